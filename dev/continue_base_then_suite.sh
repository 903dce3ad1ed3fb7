#!/usr/bin/env bash
# Does a continued base read well enough to ship? On the GPU machine, with .gpu-bundle carried
# and the base to continue in data/base (the checkout travels; a second base would pass the
# device's 64 MiB): continues it with STAGES (data/base/make_base_gpu.sh, its environment passing
# through, FIRST_SEED included), and if the last stage's probe reads every reading layout
# (all but the claim check) at 80% or more, stores it in bfloat16 as data/base and spends the
# rest of the call on the suite (experiments/gpu/run_suite.sh, CONFIG), so one machine start
# serves both. $OUT gets the probe tables, the bfloat16 base as base-bf16.tar.gz.NN (commit
# exactly these bytes as data/base, or a resumed suite's adapters would not match) and the
# suite's resume parts; without a passing base, only the probes.
# Usage: dev/continue_base_then_suite.sh [CONFIG] [SECONDS]
set -euo pipefail
config=${1:-experiments/suites/world-gpu.json}
budget=${2:-560}
out=${OUT:-/tmp/kvchain-out}
status=0
CALL_SECONDS=$budget bash data/base/make_base_gpu.sh || status=$?
rm -f "$out"/base.tar.gz.part*
[ "$status" = 0 ] || exit "$status"
base=build-cuda/make-base/base
if ! python3 - "$base/probe.json" <<'EOF'; then
import json, sys
layouts = json.load(open(sys.argv[1]))["layouts"]
low = [l for l in layouts if l["layout"] != "claim_check" and l["exact"] < 80.0]
for l in low:
    print(f"continue_base_then_suite: {l['layout']} at {l['exact']}, under 80")
sys.exit(1 if low else 0)
EOF
  echo "continue_base_then_suite: the base is not shipped; no suite run"
  exit 0
fi
build-cuda/kvchain convert --model "$base" --out data/base --dtype bfloat16
tar -czf - -C data/base model.safetensors config.json tokenizer.json \
  -C "$PWD/$base" probe.md train_log.jsonl | split -d -b 15M - "$out/base-bf16.tar.gz."
sha256sum data/base/model.safetensors
bash experiments/gpu/run_suite.sh "$config" $((budget - SECONDS))
