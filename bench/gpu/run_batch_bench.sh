#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: builds bench/kvchain_bench_chain against
# PyTorch's libtorch and runs the batched benchmarks on the Llama-3-8B shape (random bf16
# weights): BM_TrainStep (one FTHSS member step at 1,224 tokens, rows 1/4/8: tokens/s, MFU)
# and BM_ChainThroughput (text chain and FTHSS at 500 and 3,000 intermediate tokens, batch 1,
# 8, 32, 64: examples/s against the floor), each family in a run of its own so that one that
# fails keeps the others. The GPU's memory in use is sampled every 200 ms into memory.csv.
# Results go to $OUT. Usage: bench/gpu/run_batch_bench.sh [SECONDS per family, default 200]
set -euo pipefail
source tests/gpu/deps_env.sh
seconds=${1:-200}
build_kvchain_cuda kvchain_bench_chain
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
nvidia-smi --query-gpu=timestamp,memory.used --format=csv,noheader -lms 200 > "$out/memory.csv" &
sampler=$!
for family in BM_TrainStep BM_ChainThroughput; do
  echo "== $family at $SECONDS s"
  KVCHAIN_BENCH_MODEL=llama3-8b KVCHAIN_BENCH_DEVICE=cuda KVCHAIN_BENCH_DTYPE=bfloat16 \
    timeout "$seconds" build-cuda/bench/kvchain_bench_chain --benchmark_filter="$family" \
    --benchmark_out="$out/$family.json" --benchmark_out_format=json 2>&1 |
    tee "$out/$family.txt" || echo "$family stopped: status $?"
done
kill "$sampler"
echo "peak memory used: $(cut -d, -f2 "$out/memory.csv" | sort -n | tail -n 1)"
echo "done at $SECONDS s"
