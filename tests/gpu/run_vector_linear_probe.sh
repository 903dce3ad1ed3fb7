#!/usr/bin/env bash
# On the GPU machine: builds tests/gpu/vector_linear_probe.cu with nvcc (with cuBLAS next to it
# when the toolkit has it) and prints its table of variants. Results go to $OUT.
set -euo pipefail
out=${OUT:-/tmp/kvchain-out}
mkdir -p "$out"
flags=(-std=c++17 -O3 -I. -gencode arch=compute_90,code=sm_90 -o /tmp/vector_linear_probe)
nvcc "${flags[@]}" -DPROBE_CUBLAS tests/gpu/vector_linear_probe.cu -lcublas 2> /tmp/probe-build.log ||
  nvcc "${flags[@]}" tests/gpu/vector_linear_probe.cu
nvidia-smi --query-gpu=name --format=csv,noheader
/tmp/vector_linear_probe | tee "$out/vector-linear-probe.md"
