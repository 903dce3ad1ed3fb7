#!/usr/bin/env bash
# Does a continued base read well enough to ship? On the GPU machine, with .gpu-bundle carried and
# the base to continue in data/base (the checkout travels; a second base would pass the device's
# 64 MiB): builds kvchain once and continues that base in each of VARIANTS, one after another (run
# at once they take as long: the GPU bounds this base's pretraining, and a call's end would stop
# them all unprobed), with data/base/make_base.sh, its environment passing through, FIRST_SEED
# included, each into build-cuda/continue/NAME. Of the variants whose last probe reads every
# reading layout (all but the claim check and the comparison) at 80% or more, the one whose
# claim check and comparison add up to the most is stored in bfloat16 as data/base, and the rest
# of the call goes to the suite (experiments/gpu/run_suite.sh, CONFIG; "-" for none), so one
# machine start serves both. $OUT gets every variant's probe tables (probe-NAME.md), the chosen
# base as base-bf16.tar.gz.NN (commit exactly these bytes as data/base, or a resumed suite's
# adapters would not match) and the suite's resume parts. Where no variant passes, nothing is
# shipped and the best-ranked one comes back as continued-bf16.tar.gz.NN, to be averaged with the
# base it continued (`kvchain average`, as run 13 was made).
# Usage: dev/continue_base_then_suite.sh [CONFIG] [SECONDS]
# VARIANTS: space-separated NAME=STAGES, the stages joined by commas
# ("a=200:checked:2.5e-4 b=100:cited:5e-4,100:checked:2.5e-4"); without it, one variant of
# STAGES.
set -euo pipefail
config=${1:-experiments/suites/world-gpu.json}
budget=${2:-560}
source tests/gpu/deps_env.sh
build_kvchain_cuda
nvidia-smi --query-gpu=name --format=csv,noheader
read -r -a variants <<< "${VARIANTS:-only=${STAGES// /,}}"
continue_variant() {  # NAME STAGES
  local dir=build-cuda/continue/$1
  mkdir -p "$dir"
  timeout $((budget - SECONDS - 45)) env KVCHAIN="$PWD/build-cuda/kvchain" DEVICE=cuda \
    INIT=data/base STAGES="${2//,/ }" bash data/base/make_base.sh "$dir/base" \
    > "$dir/make-base.log" 2>&1 || echo "continue_base_then_suite: $1 stopped (status $?)"
  grep -v '\[.*\] [0-9]*/[0-9]* ' "$dir/make-base.log" > "$out/probe-$1.md" || true
}
for variant in "${variants[@]}"; do continue_variant "${variant%%=*}" "${variant#*=}"; done
for variant in "${variants[@]}"; do
  echo "== ${variant%%=*}: ${variant#*=}"
  cat "$out/probe-${variant%%=*}.md"
done
# Prints the variant to keep and whether it passes: the best-ranked of those that pass, else the
# best-ranked of all (kept to be averaged with the base it continued, as run 13 was made).
read -r chosen passes < <(python3 - "${variants[@]%%=*}" <<'EOF'
import json, os, sys
best = {True: None, False: None}
for name in sys.argv[1:]:
    path = f"build-cuda/continue/{name}/base/probe.json"
    if not os.path.exists(path):
        print(f"continue_base_then_suite: {name} did not finish", file=sys.stderr)
        continue
    layouts = {l["layout"]: l["exact"] for l in json.load(open(path))["layouts"]}
    # The 80% target is the reading layouts'; claim checks and comparisons judge, and are ranked.
    judged = ("claim_check", "comparison")
    low = [f"{k} at {v}" for k, v in layouts.items() if k not in judged and v < 80.0]
    if low:
        print(f"continue_base_then_suite: {name}: {', '.join(low)}, under 80", file=sys.stderr)
    rank = sum(layouts.get(k, 0) for k in judged)
    for passing in {False, not low}:
        if best[passing] is None or rank > best[passing][1]:
            best[passing] = (name, rank)
if best[True]:
    print(best[True][0], "passes")
elif best[False]:
    print(best[False][0], "fails")
EOF
) || true
if [ -z "${chosen:-}" ]; then
  echo "continue_base_then_suite: no variant finished"
  exit 0
fi
if [ "$passes" != passes ]; then
  # Not shipped; its bfloat16 weights come back for `kvchain average` with the base it continued.
  echo "continue_base_then_suite: no variant reads every layout at 80%; the base is not shipped;" \
    "$chosen (best ranked) comes back as continued-bf16.tar.gz.NN to be averaged"
  build-cuda/kvchain convert --model "build-cuda/continue/$chosen/base" \
    --out "build-cuda/continue/$chosen/bf16" --dtype bfloat16
  tar -czf - -C "build-cuda/continue/$chosen/bf16" model.safetensors config.json tokenizer.json \
    -C "$PWD/build-cuda/continue/$chosen/base" probe.md train_log.jsonl |
    split -d -b 15M - "$out/continued-bf16.tar.gz."
  exit 0
fi
base=build-cuda/continue/$chosen/base
echo "continue_base_then_suite: ships $chosen"
build-cuda/kvchain convert --model "$base" --out data/base --dtype bfloat16
tar -czf - -C data/base model.safetensors config.json tokenizer.json \
  -C "$PWD/$base" probe.md train_log.jsonl | split -d -b 15M - "$out/base-bf16.tar.gz."
sha256sum data/base/model.safetensors
[ "$config" = - ] || bash experiments/gpu/run_suite.sh "$config" $((budget - SECONDS))
