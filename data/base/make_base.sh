#!/usr/bin/env bash
# Makes the embedded default base model (data/base/README.md), method-neutral: a Llama of the
# `mini` preset pretrained on text that holds no chain's layout, tags or answer markers:
#   - generic reading from WORLDS other worlds (seeds 100...), each seen once per epoch: each
#     world's passages as prose and one reading-comprehension document per question, in seven
#     shapes (passages then question, question first, a list, a table, a dialogue, a gap of
#     unrelated prose, a quoted sentence), each asking several questions of its context, with
#     cue words drawn per document (data/world/reading.h);
#   - the encyclopedias of the worlds the suites evaluate (pretrain.txt of seed 1 at scale 1, the
#     smoke world, and at EVAL_SCALE, the GPU world), so the base knows their facts, as a real
#     pretrained model knows Wikipedia; none of their task records.
# It then runs the reading probe on PROBE_WORLDS worlds it never saw (seeds 9000...), one layout
# of which (bracketed section cues) no training document uses, and writes OUT_DIR/probe.md and
# probe.json beside the model.
# Usage: data/base/make_base.sh OUT_DIR
# Environment: KVCHAIN (build/kvchain), DEVICE (cuda; cpu works but takes days), WORLDS (1500),
# EVAL_SCALE (72), PROBE_WORLDS (5), EPOCHS (1), BATCH (64), SEQ_LEN (512), PRESET (mini),
# LR (1.5e-3), SEED (0), FIRST_SEED (100, the first training world's seed), INIT (a base to go on
# training, whose shape and tokenizer it keeps; PRESET is then unused). An interrupted run
# resumes from OUT_DIR/checkpoint.
set -euo pipefail
cd "$(dirname "$0")/../.."
kvchain=${KVCHAIN:-build/kvchain}
out=${1:?usage: data/base/make_base.sh OUT_DIR}
work=$out.work
mkdir -p "$work/worlds"
start=$SECONDS
generate() {  # DIR SEED [SCALE]
  [ -f "$1/manifest.json" ] || $kvchain data generate --out "$1" --seed "$2" --scale "${3:-1}" > /dev/null
}
export -f generate
export kvchain
generate "$work/eval-smoke" 1
generate "$work/eval-gpu" 1 "${EVAL_SCALE:-72}"
first=${FIRST_SEED:-100}
train_seeds=$(seq "$first" $((first + ${WORLDS:-1500} - 1)))
probe_seeds=$(seq 9000 $((8999 + ${PROBE_WORLDS:-5})))
for seed in $train_seeds $probe_seeds; do echo "$seed"; done |
  xargs -P "$(nproc)" -I{} bash -c "generate '$work/worlds/{}' {}"
for seed in $train_seeds; do cat "$work/worlds/$seed/documents.jsonl"; done > "$work/documents.jsonl"
echo "make_base: $(wc -l < "$work/documents.jsonl") reading documents from ${WORLDS:-1500} worlds ($((SECONDS - start)) s)"
shape=(--preset "${PRESET:-mini}")
[ -z "${INIT:-}" ] || shape=(--init "$INIT")
$kvchain pretrain --data "$work/eval-smoke" --data "$work/eval-gpu" --data "$work/documents.jsonl" \
  --out "$out" --epochs "${EPOCHS:-1}" --batch "${BATCH:-64}" --seq-len "${SEQ_LEN:-512}" \
  "${shape[@]}" --lr "${LR:-1.5e-3}" --seed "${SEED:-0}" --device "${DEVICE:-cuda}" \
  --checkpoint-every 500
echo "make_base: pretrained ($((SECONDS - start)) s)"
probes=()
for seed in $probe_seeds; do probes+=(--items "$work/worlds/$seed"); done
$kvchain probe --base "$out" "${probes[@]}" --device "${DEVICE:-cuda}" --out "$out/probe.json" \
  | tee "$out/probe.md"
echo "make_base: probed ($((SECONDS - start)) s)"
