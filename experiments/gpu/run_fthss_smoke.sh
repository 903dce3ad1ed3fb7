#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: builds the kvchain tool against PyTorch's
# libtorch and runs experiments/fthss_smoke.sh on CUDA with its CPU settings. Outputs go to $OUT.
set -euo pipefail
source tests/gpu/deps_env.sh
build_kvchain_cuda
run=/tmp/fthss-smoke
KVCHAIN=build-cuda/kvchain DEVICE=cuda bash experiments/fthss_smoke.sh "$run" 2> "$out/smoke.log" | tee "$out/smoke-table.txt" || status=$?
grep -E "^==|final loss|pretrain:" "$out/smoke.log" | tail -n 30
# One archive: the device tool brings back at most 8 files.
tar -czf "$out/smoke-logs.tar.gz" -C "$run" --wildcards '*.log.jsonl' 'summary-*.json' \
  'predictions-*.jsonl' base/train_log.jsonl 2>/dev/null || true
exit ${status:-0}
