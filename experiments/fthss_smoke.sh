#!/usr/bin/env bash
# End to end on the embedded world, on CPU: on the embedded base model (data/base), train the
# first member (Compression&QA's compressor, or Rewrite&QA's rewriter), train the QA member as a
# text-chain member and as an FTHSS member, train the distilled model and the Prompt Tuning
# baseline, then run the task's test split in every mode (and the base alone, without and with
# the retrieved passages) and print EM / F1 / prefilled tokens per mode.
# Usage: experiments/fthss_smoke.sh [OUT_DIR] [extra `kvchain train` options]
# Environment: TASK (compression_qa or rewrite_qa), KVCHAIN (the binary), DEVICE (cpu),
# QA_EPOCHS (10), TEST_LIMIT (the first N test records; all by default), CHECK (1: assert the
# properties every run must have, as the reduced run in ctest does: every mode scores every test
# record, FTHSS prefills fewer tokens than the text chain, eviction keeps FTHSS's answers and
# lowers its KV peak), MODES (the runs to make, all by default: native rag single untrained-text
# text shared shared-evict distill), BASE (data/base; "pretrain" pretrains one in OUT_DIR/base on the
# world and PRETRAIN_TEXT, extra text files, with
# PRETRAIN_EPOCHS (40), PRETRAIN_BATCH (8), PRETRAIN_SEQ_LEN (512), PRETRAIN_VOCAB (2048) and
# PRETRAIN_PRESET (tiny)).
# Finished stages are skipped on a rerun on the same base; an interrupted training resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/fthss-smoke}
shift || true
kvchain=${KVCHAIN:-./build/kvchain}
device=${DEVICE:-cpu}
mkdir -p "$out"
start=$SECONDS
stage() { echo "== [$((SECONDS - start)) s] $*" >&2; }

[ -f "$out/world/manifest.json" ] || { stage "data"; $kvchain data generate --out "$out/world" --seed 1; }
base=${BASE:-data/base}
if [ "$base" = pretrain ]; then
  base=$out/base
fi
if [ "${BASE:-}" = pretrain ] && [ ! -f "$base/model.safetensors" ]; then
  stage "pretrain"
  # Without reading practice the base learns the world's facts but not to read (engine README).
  extra=()
  for file in ${PRETRAIN_TEXT:-}; do extra+=(--data "$file"); done
  $kvchain pretrain --data "$out/world" "${extra[@]}" --out "$out/base" \
    --epochs "${PRETRAIN_EPOCHS:-40}" --batch "${PRETRAIN_BATCH:-8}" \
    --seq-len "${PRETRAIN_SEQ_LEN:-512}" --vocab-size "${PRETRAIN_VOCAB:-2048}" \
    --preset "${PRETRAIN_PRESET:-tiny}" --device "$device"
fi

# Finished stages belong to the base they were made on (OUT/base.sha256): another base, or
# one not recorded, starts them over.
stamp=$(sha256sum "$base/model.safetensors" | cut -d' ' -f1)
if [ "$(cat "$out/base.sha256" 2> /dev/null)" != "$stamp" ]; then
  rm -rf "$out"/*.safetensors* "$out"/predictions-* "$out"/summary-*
fi
echo "$stamp" > "$out/base.sha256"

task=${TASK:-compression_qa}
case $task in
  compression_qa) first=compressor init="Copy the sentences that answer the question:" ;;
  rewrite_qa) first=rewriter init="Rewrite the question as search queries, one per line:" ;;
  *) echo "unknown TASK '$task' (compression_qa, rewrite_qa)" >&2; exit 1 ;;
esac
common=(--base "$base" --data "$out/world" --task "$task" --device "$device")
train() {  # OUT MEMBER METHOD [options...]
  local file=$1 member=$2 method=$3
  shift 3
  [ -f "$out/$file" ] && return
  stage "train $member ($method)"
  $kvchain train "${common[@]}" --member "$member" --method "$method" --out "$out/$file" "$@"
}
wants() {
  [[ " ${MODES:-native rag single untrained-text text shared shared-evict distill} " == *" $1 "* ]]
}
first_init=(--init-text "$init")
qa=(--epochs "${QA_EPOCHS:-10}" --init-text "Answer the question from the text:")
if wants text || wants shared || wants shared-evict; then
  train $first.safetensors $first standard "${first_init[@]}" "$@"
fi
wants text && train qa-text.safetensors qa standard "${qa[@]}" "$@"
if wants shared || wants shared-evict; then
  train qa-fthss.safetensors qa fthss "${qa[@]}" --adapter $first="$out/$first.safetensors" "$@"
fi
wants distill && train distill.safetensors distill distill "${first_init[@]}" "$@"
wants single && train single.safetensors single single "${qa[@]:2}" "$@"  # 3 epochs, as distill
if wants untrained-text; then  # the untrained start of each adapter: the floor to clear
  train $first-untrained.safetensors $first standard --epochs 0 "${first_init[@]}" "$@"
  train qa-untrained.safetensors qa standard --epochs 0 "${qa[@]:2}" "$@"
fi

run() {  # NAME MODE [options...]
  local name=$1 mode=$2
  shift 2
  wants "$name" || return 0
  stage "chain $name"
  local summary
  summary=$($kvchain chain "${common[@]}" ${TEST_LIMIT:+--limit "$TEST_LIMIT"} --mode "$mode" \
    --out "$out/predictions-$name.jsonl" "$@")
  echo "$summary" > "$out/summary-$name.json"
  echo "$name $summary"
}
{
  run native native
  run rag rag
  run single single --adapter single="$out/single.safetensors"
  run untrained-text text --adapter $first="$out/$first-untrained.safetensors" \
    --adapter qa="$out/qa-untrained.safetensors"
  run text text --adapter $first="$out/$first.safetensors" --adapter qa="$out/qa-text.safetensors"
  run shared shared --adapter $first="$out/$first.safetensors" --adapter qa="$out/qa-fthss.safetensors"
  run shared-evict shared-evict --adapter $first="$out/$first.safetensors" \
    --adapter qa="$out/qa-fthss.safetensors"
  run distill distill --adapter distill="$out/distill.safetensors"
} > "$out/summaries.txt"

printf "\n%-16s %6s %6s %10s %10s %12s\n" mode EM F1 prefilled decoded "KV peak MB"
while read -r name summary; do
  value() { grep -o "\"$1\":[0-9.e+-]*" <<< "$summary" | cut -d: -f2; }
  awk -v n="$name" -v em="$(value em)" -v f1="$(value f1)" -v p="$(value prefilled_tokens)" \
    -v d="$(value decoded_tokens)" -v kv="$(value kv_bytes_peak)" \
    'BEGIN { printf "%-16s %6.1f %6.1f %10.1f %10.1f %12.2f\n", n, em, f1, p, d, kv / 1048576 }'
done < "$out/summaries.txt"
echo "(per example means over the test split; $((SECONDS - start)) s in all; predictions in $out)"
echo "mean training loss per epoch:"
for member in $first qa-text qa-fthss distill single; do
  [ -f "$out/$member.safetensors.log.jsonl" ] || continue
  awk -v m="$member" '{
      match($0, /"epoch":[0-9.e+-]+/); e = substr($0, RSTART + 8, RLENGTH - 8)
      match($0, /"loss":[0-9.e+-]+/); l = substr($0, RSTART + 7, RLENGTH - 7)
      k = int(e - 1e-9) + 1; sum[k] += l; n[k]++; if (k > last) last = k
    } END { printf "  %-12s", m; for (i = 1; i <= last; i++) printf " %.2f", sum[i] / n[i]; print "" }' \
    "$out/$member.safetensors.log.jsonl"
done

[ "${CHECK:-0}" = 1 ] || exit 0
field() {  # MODE FIELD: a number from the mode's summary
  grep -o "\"$2\":[0-9.e+-]*" "$out/summary-$1.json" | cut -d: -f2
}
failed=0
check() {  # DESCRIPTION AWK-CONDITION
  if awk "BEGIN { exit !($2) }"; then echo "ok   $1"; else echo "FAIL $1 ($2)"; failed=1; fi
}
records=$(field text n)
for mode in native rag single untrained-text text shared shared-evict distill; do
  [ -f "$out/summary-$mode.json" ] || continue
  check "$mode scores every test record" "$(field "$mode" n) == $records && $records > 0"
done
check "FTHSS prefills fewer tokens than the text chain" \
  "$(field shared prefilled_tokens) < $(field text prefilled_tokens)"
check "eviction keeps FTHSS's answers" \
  "$(field shared-evict em) == $(field shared em) && $(field shared-evict f1) == $(field shared f1)"
check "eviction lowers FTHSS's KV peak" \
  "$(field shared-evict kv_bytes_peak) < $(field shared kv_bytes_peak)"
cmp -s <(grep -o '"prediction":"[^"]*"' "$out/predictions-shared.jsonl") \
  <(grep -o '"prediction":"[^"]*"' "$out/predictions-shared-evict.jsonl") &&
  echo "ok   eviction keeps every FTHSS prediction" ||
  { echo "FAIL eviction changed FTHSS predictions"; failed=1; }
exit $failed
