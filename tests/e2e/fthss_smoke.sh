#!/usr/bin/env bash
# End to end on the embedded world, on CPU: pretrain the base, train the compressor, train the
# QA member as a text-chain member and as an FTHSS member, train the distilled model, then run
# Compression&QA's test split in every mode and print EM / F1 / prefilled tokens per mode.
# Usage: tests/e2e/fthss_smoke.sh [OUT_DIR] [extra `kvchain train` options]
# Environment: KVCHAIN (the binary), DEVICE (cpu), PRETRAIN_EPOCHS (40), PRETRAIN_BATCH (8),
# QA_EPOCHS (10).
# Finished stages are skipped on a rerun; an interrupted training resumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-results/fthss-smoke}
shift || true
kvchain=${KVCHAIN:-./build/kvchain}
device=${DEVICE:-cpu}
mkdir -p "$out"
start=$SECONDS
stage() { echo "== [$((SECONDS - start)) s] $*" >&2; }

[ -f "$out/world/manifest.json" ] || { stage "data"; $kvchain data generate --out "$out/world" --seed 1; }
if [ ! -f "$out/base/model.safetensors" ]; then
  stage "pretrain"
  # The base learns the world's facts; the engine README says why it does not learn to read.
  $kvchain pretrain --data "$out/world" --out "$out/base" --epochs "${PRETRAIN_EPOCHS:-40}" \
    --batch "${PRETRAIN_BATCH:-8}" --device "$device"
fi

common=(--base "$out/base" --data "$out/world" --task compression_qa --device "$device")
train() {  # OUT MEMBER METHOD [options...]
  local file=$1 member=$2 method=$3
  shift 3
  [ -f "$out/$file" ] && return
  stage "train $member ($method)"
  $kvchain train "${common[@]}" --member "$member" --method "$method" --out "$out/$file" "$@"
}
train compressor.safetensors compressor standard --init-text "Copy the sentences that answer the question:" "$@"
qa_epochs=(--epochs "${QA_EPOCHS:-10}")
train qa-text.safetensors qa standard "${qa_epochs[@]}" --init-text "Answer the question from the text:" "$@"
train qa-fthss.safetensors qa fthss "${qa_epochs[@]}" --adapter compressor="$out/compressor.safetensors" \
  --init-text "Answer the question from the text:" "$@"
train distill.safetensors distill distill --init-text "Copy the sentences that answer the question:" "$@"
# The untrained start of each adapter: the floor that training must clear.
train compressor-untrained.safetensors compressor standard --epochs 0 \
  --init-text "Copy the sentences that answer the question:" "$@"
train qa-untrained.safetensors qa standard --epochs 0 --init-text "Answer the question from the text:" "$@"

run() {  # NAME MODE [options...]
  local name=$1 mode=$2
  shift 2
  stage "chain $name"
  local summary
  summary=$($kvchain chain "${common[@]}" --mode "$mode" --out "$out/predictions-$name.jsonl" "$@")
  echo "$summary" > "$out/summary-$name.json"
  echo "$name $summary"
}
{
  run untrained-text text --adapter compressor="$out/compressor-untrained.safetensors" \
    --adapter qa="$out/qa-untrained.safetensors"
  run text text --adapter compressor="$out/compressor.safetensors" --adapter qa="$out/qa-text.safetensors"
  run shared shared --adapter compressor="$out/compressor.safetensors" --adapter qa="$out/qa-fthss.safetensors"
  run shared-evict shared --evict --adapter compressor="$out/compressor.safetensors" \
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
for member in compressor qa-text qa-fthss distill; do
  awk -v m="$member" '{
      match($0, /"epoch":[0-9.e+-]+/); e = substr($0, RSTART + 8, RLENGTH - 8)
      match($0, /"loss":[0-9.e+-]+/); l = substr($0, RSTART + 7, RLENGTH - 7)
      k = int(e - 1e-9) + 1; sum[k] += l; n[k]++; if (k > last) last = k
    } END { printf "  %-12s", m; for (i = 1; i <= last; i++) printf " %.2f", sum[i] / n[i]; print "" }' \
    "$out/$member.safetensors.log.jsonl"
done
