#!/usr/bin/env bash
# Picks the prompt-tuning learning rate on dev, never test: runs the smoke suite's settings on
# the dev split once per rate (suites "lr-RATE", results/lr-RATE/), for the text chain and FTHSS
# on every task, and prints each rate's dev scores side by side (results/lr-sweep.md).
# Usage: experiments/lr_sweep.sh [RATES, default "0.003 0.01 0.03 0.1"]
# Environment: KVCHAIN (build/kvchain), BASE (data/base), ADAPTER (prompt), TASKS (the smoke's),
# TRAIN_LIMIT (40), DEV_LIMIT (0: all), EPOCHS (2), ANSWER_EPOCHS (4), DEVICE (cpu).
set -euo pipefail
cd "$(dirname "$0")/.."
kvchain=${KVCHAIN:-build/kvchain}
tasks=${TASKS:-compression_qa rewrite_qa memory_reasoning active_rag diagnostic}
task_list=$(printf '"%s",' $tasks)
summary=results/lr-sweep.md
mkdir -p results
{
  echo "| rate | task | method | dev scores |"
  echo "| ---: | --- | --- | --- |"
} > "$summary.tmp"
for rate in ${1:-0.003 0.01 0.03 0.1}; do
  config=results/lr-$rate.json
  cat > "$config" <<JSON
{"name": "lr-$rate", "data": "results/world", "world_seed": 1, "base": "${BASE:-data/base}",
 "tasks": [${task_list%,}], "methods": ["text", "shared"], "seeds": [0],
 "epochs": ${EPOCHS:-2}, "answer_epochs": ${ANSWER_EPOCHS:-4}, "train_limit": ${TRAIN_LIMIT:-40},
 "test_limit": ${DEV_LIMIT:-0}, "eval_split": "dev", "adapter": "${ADAPTER:-prompt}",
 "learning_rate": $rate, "device": "${DEVICE:-cpu}", "results": "results"}
JSON
  "$kvchain" suite "$config" > /dev/null
  awk -v rate="$rate" -F' \\| ' '/^\| .* \| (Chain of models \(text\)|FTHSS) \| 0 \|/ {
      gsub(/^\| /, "", $1); print "| " rate " | " $1 " | " $2 " | " $5 }' \
    "results/lr-$rate/report.md" >> "$summary.tmp"
done
mv "$summary.tmp" "$summary"
cat "$summary"
