#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: builds bench/kvchain_bench_chain against
# PyTorch's libtorch and runs it on the Llama-3-8B shape (random bf16 weights), then the HF
# transformers peer on the same work (tests/gpu/hf_chain_peer.py). Results go to $OUT.
# Usage: tests/gpu/run_chain_bench.sh [LENGTHS, default 250,1000,3000]
set -euo pipefail
source tests/gpu/deps_env.sh
lengths=${1:-250,1000,3000}
cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$deps/usr" > /tmp/cmake.log 2>&1 || { cat /tmp/cmake.log; exit 1; }
cmake --build build-cuda -j "$(nproc)" --target kvchain_bench_chain > /tmp/build.log 2>&1 ||
  { tail -n 30 /tmp/build.log; exit 1; }
echo "built at $SECONDS s"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
filter="BM_MemberB/shared:[01]/intermediate:(${lengths//,/|})/|BM_KvMemory"
KVCHAIN_BENCH_MODEL=llama3-8b KVCHAIN_BENCH_DEVICE=cuda KVCHAIN_BENCH_DTYPE=bfloat16 \
  timeout 300 build-cuda/bench/kvchain_bench_chain --benchmark_filter="$filter" \
  --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/chain-bench-h100.json" --benchmark_out_format=json 2>&1 | tee "$out/chain-bench.txt"
echo "kvchain done at $SECONDS s"
timeout 200 python3 tests/gpu/hf_chain_peer.py "$lengths" | tee "$out/hf-peer.jsonl"
echo "peer done at $SECONDS s"
