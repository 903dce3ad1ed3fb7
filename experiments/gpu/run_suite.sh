#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: builds the kvchain tool against PyTorch's
# libtorch and runs a suite on CUDA (default experiments/suites/world-gpu.json: the embedded world at
# full size). The suite resumes: an interrupted call's $OUT/suite.tar.gz.NN (its adapters and
# predictions, in parts of 15 MiB, since the device returns no file over 16 MiB), put in
# .gpu-resume/ here and carried, is unpacked first, so the next call goes on
# where it stopped on a fresh machine (a warm one keeps its own, newer run; the adapter cache keys
# on the library sources, so those must not change in between). $OUT gets the report, the scores
# and the run to carry (its plots are in the run).
# SECONDS (default 560) bounds the whole call, the build included, so that the suite stops and
# packs its run before the device's 600 s per command.
# Usage: experiments/gpu/run_suite.sh [CONFIG] [SECONDS]
set -euo pipefail
source tests/gpu/deps_env.sh
config=${1:-experiments/suites/world-gpu.json}
name=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['name'])" "$config")
build_kvchain_cuda
parts=(.gpu-resume/suite.tar.gz*)
if [ -f "${parts[0]}" ] && [ ! -d "results/$name" ]; then
  cat "${parts[@]}" | tar -xzf -
  # Adapters and predictions of other library sources would all be made anew: stop at once.
  sources=$(sed -n 's/.*KVCHAIN_SOURCE_IDENTITY "\(.*\)"/\1/p' \
    build-cuda/experiments/generated/experiments/source_identity.h)
  if ! grep -qs "\"sources\": \"$sources\"" "results/$name"/predictions/*.identity.json; then
    echo "error: .gpu-resume/suite.tar.gz* holds a run of other library sources than these" \
      "($sources); check out the commit that made it" >&2
    exit 1
  fi
fi
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
timeout "$((${2:-560} - SECONDS))" build-cuda/kvchain suite "$config" 2> "$out/suite.log" || status=$?
grep -E "^suite|final loss" "$out/suite.log" | tail -n 40
for f in report.md scores.json scores.csv; do
  [ -f "results/$name/$f" ] && cp "results/$name/$f" "$out/"
done
tar -czf - results/cache "results/$name" 2>/dev/null | split -d -b 15M - "$out/suite.tar.gz." || true
exit ${status:-0}
