#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: where a decode step's time goes. Runs the CUDA
# check (as run_chain_bench.sh does), times member B of the Llama-3-8B shape's chain at 250 (or
# INTERMEDIATE) intermediate tokens, then runs it under Nsight Compute with CUDA-graph nodes profiled one by
# one and prints the kernels of one decode step and of B's prefill (bench/gpu/decode_profile.py).
# Usage: bench/gpu/profile_decode.sh [CHECK, default 1] [SHARED: 1 FTHSS (default), 0 text chain]
#        [INTERMEDIATE, default 250]
set -euo pipefail
source tests/gpu/deps_env.sh
check=${1:-1}
shared=${2:-1}
intermediate=${3:-250}
build_kvchain_cuda "kvchain_bench_chain $cuda_check_targets" -DKVCHAIN_FIXTURES_DIR="$bundle/fixtures"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
if [ "$check" = 1 ]; then
  check_cuda_paths "$out/check.txt"
fi
bench=(build-cuda/bench/kvchain_bench_chain --benchmark_filter="BM_MemberB/shared:$shared/intermediate:$intermediate/")
export KVCHAIN_BENCH_MODEL=llama3-8b KVCHAIN_BENCH_DEVICE=cuda KVCHAIN_BENCH_DTYPE=bfloat16
step_ms=$("${bench[@]}" --benchmark_min_time=0.5 2>&1 | grep -o 'decode_ms_per_token=[0-9.]*' | head -n 1 | cut -d= -f2)
echo "decode step measured: $step_ms ms"
# Past the model's setup and the first recordings, then enough kernels for a whole turn of B
# (about 7,000 in the text chain).
timeout 330 /usr/local/cuda/bin/ncu --metrics gpu__time_duration.sum --cache-control none \
  --clock-control none --graph-profiling node --launch-skip 2000 --launch-count 8000 --csv \
  "${bench[@]}" --benchmark_min_time=0.1 > /tmp/ncu.csv 2> /tmp/ncu.err || tail -n 5 /tmp/ncu.err
gzip -c /tmp/ncu.csv > "$out/ncu.csv.gz"
python3 bench/gpu/decode_profile.py /tmp/ncu.csv "$step_ms" | tee "$out/decode-profile.md"
