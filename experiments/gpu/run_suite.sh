#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: builds the kvchain tool against PyTorch's
# libtorch and runs a suite on CUDA (default experiments/suites/world-gpu.json: the embedded world at
# full size). The suite resumes, so carrying results/cache and results/NAME back in continues
# an interrupted run. $OUT gets the report, scores, plots and the run (suite.tar.gz) to carry.
# SECONDS (default 560) bounds the whole call, the build included, so that the suite stops and
# packs its run before the device's 600 s per command.
# Usage: experiments/gpu/run_suite.sh [CONFIG] [SECONDS]
set -euo pipefail
source tests/gpu/deps_env.sh
config=${1:-experiments/suites/world-gpu.json}
name=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['name'])" "$config")
build_kvchain_cuda
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
timeout "$((${2:-560} - SECONDS))" build-cuda/kvchain suite "$config" 2> "$out/suite.log" || status=$?
grep -E "^suite|final loss" "$out/suite.log" | tail -n 40
for f in report.md scores.json scores.csv; do
  [ -f "results/$name/$f" ] && cp "results/$name/$f" "$out/"
done
tar -czf "$out/suite.tar.gz" results/cache "results/$name" 2>/dev/null || true
exit ${status:-0}
