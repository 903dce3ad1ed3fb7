#!/usr/bin/env bash
# Does a continued base read well enough to ship? On the GPU machine, with .gpu-bundle carried and
# the base to continue in data/base (the checkout travels; a second base would pass the device's
# 64 MiB): builds kvchain once and continues that base in each of VARIANTS, one after another (run
# at once they take as long: the GPU bounds this base's pretraining, and a call's end would stop
# them all unprobed), with data/base/make_base.sh, its environment passing through, FIRST_SEED
# included, each into build-cuda/continue/NAME. dev/choose_average.sh (WEIGHTS passing through)
# then averages each finished variant with the base it continued and chooses one on the dev
# worlds alone; where the probe worlds confirm it, it is data/base and the rest of the call goes
# to the suite (experiments/gpu/run_suite.sh, CONFIG; "-" for none), so one machine start serves
# both. $OUT gets every variant's stage probes (probe-NAME.md), the dev table (dev.md), the
# chosen base's probe (probe.md), the chosen base as base-bf16.tar.gz.NN (commit exactly these
# bytes as data/base, or a resumed suite's adapters would not match) and the suite's resume
# parts. Where nothing passes, nothing is shipped and the chosen average comes back as
# continued-bf16.tar.gz.NN.
# A call that stops early resumes on the same warm machine: finished stages, averages and probes
# are kept.
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
kvchain=$PWD/build-cuda/kvchain
work=build-cuda/continue
read -r -a variants <<< "${VARIANTS:-only=${STAGES// /,}}"
left() { echo $((budget - SECONDS - 45)); }
continue_variant() {  # NAME STAGES
  local dir=$work/$1
  mkdir -p "$dir"
  timeout "$(left)" env KVCHAIN="$kvchain" DEVICE=cuda \
    INIT=data/base STAGES="${2//,/ }" bash data/base/make_base.sh "$dir/base" \
    > "$dir/make-base.log" 2>&1 || echo "continue_base_then_suite: $1 stopped (status $?)"
  grep -v '\[.*\] [0-9]*/[0-9]* ' "$dir/make-base.log" > "$out/probe-$1.md" || true
}
for variant in "${variants[@]}"; do continue_variant "${variant%%=*}" "${variant#*=}"; done
for variant in "${variants[@]}"; do
  echo "== ${variant%%=*}: ${variant#*=}"
  cat "$out/probe-${variant%%=*}.md"
done
finished=()
for variant in "${variants[@]%%=*}"; do
  [ -f "$work/$variant/base/probe.json" ] && finished+=("$work/$variant/base")
done
if [ ${#finished[@]} -eq 0 ]; then
  echo "continue_base_then_suite: no variant finished"
  exit 0
fi
if ! timeout "$(left)" env KVCHAIN="$kvchain" DEVICE=cuda \
  bash dev/choose_average.sh "$work/choice" data/base "${finished[@]}"; then
  echo "continue_base_then_suite: stopped before the averages were probed; call again"
  exit 0
fi
cp "$work/choice/dev.md" "$out/dev.md"
cat "$out/dev.md"
read -r chosen passes < "$work/choice/chosen"
cp "$chosen/probe.md" "$out/probe.md"
cat "$out/probe.md"
pack() {  # DIR NAME: the model's files, probes and the training log, in parts of 15 MiB
  tar -czf - -C "$1" model.safetensors config.json tokenizer.json dev.md probe.md \
    -C "$PWD/$(dirname "$1")/base" train_log.jsonl | split -d -b 15M - "$out/$2.tar.gz."
}
if [ "$passes" != passes ]; then
  echo "continue_base_then_suite: $chosen does not read every layout at 82% on the dev worlds" \
    "and 80% on the probe's; not shipped; it comes back as continued-bf16.tar.gz.NN"
  pack "$chosen" continued-bf16
  exit 0
fi
echo "continue_base_then_suite: ships $chosen"
cp "$chosen"/{model.safetensors,config.json,tokenizer.json} data/base/
pack "$chosen" base-bf16
sha256sum data/base/model.safetensors
[ "$config" = - ] || bash experiments/gpu/run_suite.sh "$config" $((budget - SECONDS))
