#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: the text chain and FTHSS of
# experiments/suites/world-gpu.json on Compression&QA's dev split (never test), at its learning
# rate, in variants of the first member's epochs and the training records per member, run side
# by side on one GPU (the members are small, so one run leaves most of the device idle). Each
# variant reads its own copy of the world (the same seed and scale: the same files), so that
# no two write one retrieval index. SECONDS (default 560) bounds the whole call, the build
# included. $OUT gets each variant's table (NAME.md) and log.
# Usage: experiments/gpu/run_dev_variants.sh "NAME:EPOCHS:TRAIN_LIMIT ..." [SECONDS]
set -euo pipefail
source tests/gpu/deps_env.sh
build_kvchain_cuda
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
export KVCHAIN=build-cuda/kvchain SCALE=72 ANSWER_EPOCHS=6 TRAIN_BATCH=8 DEVICE=cuda
export TASKS=compression_qa DEV_LIMIT=${DEV_LIMIT:-200}
limit=$((${2:-560} - SECONDS))
variant() {
  NAME=$1 EPOCHS=$2 TRAIN_LIMIT=$3 DATA=results/world-72-$1 timeout "$limit" \
    bash experiments/lr_sweep.sh 0.03 2> "$out/$1.log" > /dev/null || echo "$1: stopped ($?)"
  grep -E "final loss" "$out/$1.log" | sed "s/^/$1: /" | tail -n 4
  cp "results/$1.md" "$out/" 2>/dev/null || true
}
run_variants "$1" variant
for table in "$out"/*.md; do echo "== $(basename "$table" .md)" && cat "$table"; done
