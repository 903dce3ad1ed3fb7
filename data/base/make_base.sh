#!/usr/bin/env bash
# Makes the embedded default base model (data/base/README.md), method-neutral: a Llama of the
# `mini` preset pretrained on text that holds no chain's layout, tags or answer markers:
#   - generic reading from other worlds (seeds FIRST_SEED and up), each seen once: each world's
#     passages as prose and one reading-comprehension document per question, in seven shapes
#     (passages then question, question first, a list, a table, a dialogue, a gap of unrelated
#     prose, a quoted sentence; with READING checked, half of them claims judged true or false;
#     with compared, half of them comparisons: which of two the context shows came first; with
#     spelled, half of those answered with both values before the choice, and a quarter of all
#     documents claims),
#     each asking several questions of its context, with cue words drawn per document
#     (data/world/reading.h);
#   - the encyclopedias of the worlds the suites evaluate (pretrain.txt of seed 1 at scale 1, the
#     smoke world, and at EVAL_SCALE, the GPU world), so the base knows their facts, as a real
#     pretrained model knows Wikipedia; none of their task records.
# It trains in stages, plain forms first and their variety after (a base that reads every form
# from the first step learns far more slowly): each stage reads new worlds of one reading
# variety (`kvchain data generate --reading`) and continues the stage before (`pretrain
# --init`). After each stage the reading probe runs on PROBE_WORLDS worlds no stage saw (seeds
# 9000...), one layout of which (bracketed section cues) no training document uses, and writes
# probe.md and probe.json beside that stage's model. The last stage's model is OUT_DIR, or with
# AVERAGE=W the average of the last two stages' weights, W of the last's (`kvchain average`;
# checkpoint averaging keeps what each stage learned better than either alone), probed too.
# Usage: data/base/make_base.sh OUT_DIR
# Environment: KVCHAIN (build/kvchain), DEVICE (cuda; cpu works but takes days), STAGES (the
# stages, each WORLDS:READING:LR; default "1500:fixed:1.5e-3 250:drawn:5e-4 400:cited:5e-4"),
# EVAL_SCALE (72), PROBE_WORLDS (5), BATCH (64), SEQ_LEN (512), PRESET (mini), SEED (0),
# FIRST_SEED (100, the first stage's first world; each stage's worlds follow the last one's),
# INIT (a base the first stage continues, keeping its shape and tokenizer; PRESET is then
# unused), AVERAGE (unset). An interrupted run resumes: a stage with its probe is done, and
# pretraining resumes from its checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
kvchain=${KVCHAIN:-build/kvchain}
out=${1:?usage: data/base/make_base.sh OUT_DIR}
read -r -a stages <<< "${STAGES:-1500:fixed:1.5e-3 250:drawn:5e-4 400:cited:5e-4}"
if [ -n "${AVERAGE:-}" ] && [ "${#stages[@]}" -lt 2 ]; then
  echo "error: make_base: AVERAGE needs two stages in STAGES" >&2
  exit 1
fi
work=$out.work
mkdir -p "$work/worlds"
start=$SECONDS
generate() {  # DIR SEED SCALE READING
  [ -f "$1/manifest.json" ] ||
    $kvchain data generate --out "$1" --seed "$2" --scale "$3" --reading "$4" > /dev/null
}
export -f generate
export kvchain
generate "$work/eval-smoke" 1 1 cited
generate "$work/eval-gpu" 1 "${EVAL_SCALE:-72}" cited
probe_seeds=$(seq 9000 $((8999 + ${PROBE_WORLDS:-5})))
for seed in $probe_seeds; do echo "$seed"; done |
  xargs -P "$(nproc)" -I{} bash -c "generate '$work/worlds/probe-{}' {} 1 cited"
probes=()
for seed in $probe_seeds; do probes+=(--items "$work/worlds/probe-$seed"); done
probe() {  # DIR: probe.md and probe.json beside the model in DIR
  $kvchain probe --base "$1" "${probes[@]}" --device "${DEVICE:-cuda}" \
    --out "$1/probe.json.partial" > "$1/probe.md"
  mv "$1/probe.json.partial" "$1/probe.json"
}

shape=(--preset "${PRESET:-mini}")
[ -z "${INIT:-}" ] || shape=(--init "$INIT")
first=${FIRST_SEED:-100}
for i in "${!stages[@]}"; do
  IFS=: read -r worlds reading lr <<< "${stages[$i]}"
  name="stage $((i + 1)) of ${#stages[@]} ($worlds worlds, $reading, lr $lr)"
  dir=$work/stage-$((i + 1))
  [ "$i" -lt $((${#stages[@]} - 1)) ] || [ -n "${AVERAGE:-}" ] || dir=$out
  seeds=$(seq "$first" $((first + worlds - 1)))
  first=$((first + worlds))
  if [ ! -f "$dir/probe.json" ]; then
    for seed in $seeds; do echo "$seed"; done |
      xargs -P "$(nproc)" -I{} bash -c "generate '$work/worlds/$reading-{}' {} 1 $reading"
    for seed in $seeds; do cat "$work/worlds/$reading-$seed/documents.jsonl"; done \
      > "$work/documents.jsonl"
    echo "make_base: $name: $(wc -l < "$work/documents.jsonl") reading documents" \
      "($((SECONDS - start)) s)"
    $kvchain pretrain --data "$work/eval-smoke" --data "$work/eval-gpu" \
      --data "$work/documents.jsonl" --out "$dir" --epochs 1 --batch "${BATCH:-64}" \
      --seq-len "${SEQ_LEN:-512}" "${shape[@]}" --lr "$lr" --seed "${SEED:-0}" \
      --device "${DEVICE:-cuda}" --checkpoint-every 500
    probe "$dir"
  fi
  echo "make_base: $name done ($((SECONDS - start)) s)"
  cat "$dir/probe.md"
  shape=(--init "$dir")
done
if [ -n "${AVERAGE:-}" ] && [ ! -f "$out/probe.json" ]; then
  last=$work/stage-${#stages[@]} before=$work/stage-$((${#stages[@]} - 1))
  $kvchain average --model "$before" --model "$last" \
    --weights "$(awk -v w="$AVERAGE" 'BEGIN { printf "%.6g,%s", 1 - w, w }')" --out "$out"
  probe "$out"
  echo "make_base: the last two stages averaged, $AVERAGE of the last ($((SECONDS - start)) s)"
  cat "$out/probe.md"
fi
