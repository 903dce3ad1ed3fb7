#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: picks the learning rate of
# experiments/suites/world-gpu.json's batched training on dev (experiments/lr_sweep.sh with that
# suite's settings) for the tasks in TASKS (default Compression&QA). SECONDS (default 560) bounds
# the whole call, the build included; a rate that does not finish is left out of the table.
# $OUT gets the table and sweep.tar.gz, whose results/cache the world-gpu suite reuses (the
# adapters of the chosen rate are the suite's own).
# Usage: experiments/gpu/run_lr_sweep.sh [RATES, default "0.1 0.03 0.3"] [SECONDS]
# Environment: EPOCHS (10: the first member's epochs, as world-gpu.json's) and NAME
# (lr-sweep-gpu) for a sweep at other epochs.
set -euo pipefail
source tests/gpu/deps_env.sh
build_kvchain_cuda
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
export KVCHAIN=build-cuda/kvchain NAME=${NAME:-lr-sweep-gpu} DATA=results/world-72 SCALE=72
export TRAIN_LIMIT=2000 EPOCHS=${EPOCHS:-10} ANSWER_EPOCHS=6 TRAIN_BATCH=8 DEVICE=cuda
export TASKS=${TASKS:-compression_qa} DEV_LIMIT=${DEV_LIMIT:-300}
timeout "$((${2:-560} - SECONDS))" bash experiments/lr_sweep.sh "${1:-0.1 0.03 0.3}" \
  2> "$out/sweep.log" || status=$?
grep -E "^suite: train|final loss" "$out/sweep.log" | tail -n 30
cp "results/$NAME.md" "$out/" 2>/dev/null || true
tar -czf "$out/sweep.tar.gz" results/cache "results/$NAME"* 2>/dev/null || true
exit ${status:-0}
