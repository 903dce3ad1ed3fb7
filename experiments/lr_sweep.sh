#!/usr/bin/env bash
# Picks the prompt-tuning learning rate on dev, never test: runs one suite per rate on the dev
# split (suites "NAME-RATE", results/NAME-RATE/), for the text chain and FTHSS, and writes each
# rate's dev scores side by side to results/NAME.md as each rate finishes.
# Usage: experiments/lr_sweep.sh [RATES, default "0.003 0.01 0.03 0.1"]
# Environment: KVCHAIN (build/kvchain), NAME (lr-sweep), DATA (results/world), SCALE (1: the
# world's scale), BASE (data/base), ADAPTER (prompt), TASKS (the smoke's), TRAIN_LIMIT (40),
# DEV_LIMIT (0: all), EPOCHS (2), ANSWER_EPOCHS (4), TRAIN_BATCH (1), DEVICE (cpu).
# The settings of experiments/suites/world-gpu.json, on the GPU:
#   NAME=lr-sweep-gpu DATA=results/world-72 SCALE=72 TRAIN_LIMIT=2000 EPOCHS=10 ANSWER_EPOCHS=6
#   TRAIN_BATCH=8 DEVICE=cuda. Their adapters are the ones the suite trains at the chosen rate.
set -euo pipefail
cd "$(dirname "$0")/.."
kvchain=${KVCHAIN:-build/kvchain}
name=${NAME:-lr-sweep}
tasks=${TASKS:-compression_qa rewrite_qa memory_reasoning active_rag diagnostic}
task_list=$(printf '"%s",' $tasks)
summary=results/$name.md
mkdir -p results
{
  echo "| rate | task | method | dev scores |"
  echo "| ---: | --- | --- | --- |"
} > "$summary.tmp"
for rate in ${1:-0.003 0.01 0.03 0.1}; do
  config=results/$name-$rate.json
  cat > "$config" <<JSON
{"name": "$name-$rate", "data": "${DATA:-results/world}", "world_seed": 1,
 "world_scale": ${SCALE:-1}, "base": "${BASE:-data/base}",
 "tasks": [${task_list%,}], "methods": ["text", "shared"], "seeds": [0],
 "epochs": ${EPOCHS:-2}, "answer_epochs": ${ANSWER_EPOCHS:-4}, "train_limit": ${TRAIN_LIMIT:-40},
 "test_limit": ${DEV_LIMIT:-0}, "eval_split": "dev", "adapter": "${ADAPTER:-prompt}",
 "learning_rate": $rate, "train_batch_size": ${TRAIN_BATCH:-1}, "device": "${DEVICE:-cpu}",
 "results": "results"}
JSON
  "$kvchain" suite "$config" > /dev/null
  awk -v rate="$rate" -F' \\| ' '/^\| .* \| (Chain of models \(text\)|FTHSS) \| 0 \|/ {
      gsub(/^\| /, "", $1); print "| " rate " | " $1 " | " $2 " | " $5 }' \
    "results/$name-$rate/report.md" | tee -a "$summary.tmp"
  cp "$summary.tmp" "$summary"
done
rm "$summary.tmp"
