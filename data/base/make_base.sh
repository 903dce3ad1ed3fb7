#!/usr/bin/env bash
# Makes the embedded default base model (data/base/README.md): a tiny Llama pretrained on the
# embedded world's encyclopedia (seed 1) plus reading practice, the Compression&QA training
# records of WORLDS other worlds (seeds 100...) in chain layout. Those worlds share no records
# with the embedded one, so the base learns to read the layout without seeing its answers.
# Usage: data/base/make_base.sh OUT_DIR
# Environment: KVCHAIN (the binary, build/kvchain), DEVICE (cuda; cpu works but takes hours),
# WORLDS (80), EPOCHS (3), BATCH (32), SEQ_LEN (512), PRESET (tiny), SEED (0).
set -euo pipefail
cd "$(dirname "$0")/../.."
kvchain=${KVCHAIN:-build/kvchain}
out=${1:?usage: data/base/make_base.sh OUT_DIR}
work=$out.work
mkdir -p "$work/worlds"
[ -d "$work/world" ] || $kvchain data generate --out "$work/world" --seed 1 > /dev/null
seeds=$(seq 100 $((99 + ${WORLDS:-80})))
echo "$seeds" | xargs -P "$(nproc)" -I{} sh -c \
  "[ -d '$work/worlds/{}' ] || $kvchain data generate --out '$work/worlds/{}' --seed {} > /dev/null"
worlds=()
for seed in $seeds; do worlds+=(--data "$work/worlds/$seed"); done
$kvchain practice --task compression_qa "${worlds[@]}" --out "$work/practice.jsonl"
$kvchain pretrain --data "$work/world" --data "$work/practice.jsonl" --out "$out" \
  --epochs "${EPOCHS:-3}" --batch "${BATCH:-32}" --seq-len "${SEQ_LEN:-512}" \
  --preset "${PRESET:-tiny}" --seed "${SEED:-0}" --device "${DEVICE:-cuda}"
