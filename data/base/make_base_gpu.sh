#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: builds kvchain and runs data/base/make_base.sh
# (its environment passes through) into build-cuda/make-base/base. A device call may run at most
# 10 minutes, so the run stops itself after CALL_SECONDS (560) of the call, its pretraining
# checkpointed every 500 steps: calling again on the same machine (while it is still warm)
# resumes where it stopped. The finished base comes back as $OUT/base.tar.gz.partN (the device
# returns files of at most 16 MiB: `cat base.tar.gz.part* | tar -xz`), with the log and the probe
# table.
set -euo pipefail
source tests/gpu/deps_env.sh
build_kvchain_cuda
nvidia-smi --query-gpu=name --format=csv,noheader
dir=build-cuda/make-base
mkdir -p "$dir"
status=0
timeout $((${CALL_SECONDS:-560} - SECONDS)) env KVCHAIN="$PWD/build-cuda/kvchain" DEVICE=cuda \
  bash data/base/make_base.sh "$dir/base" > "$dir/make-base.log" 2>&1 || status=$?
grep -v '\[.*\] [0-9]*/[0-9]* ' "$dir/make-base.log" | tee "$out/make-base.log"
if [ "$status" = 124 ]; then
  grep '"step"' "$dir/base/train_log.jsonl" 2>/dev/null | tail -n 1
  echo "make_base_gpu: stopped at ${CALL_SECONDS:-560} s; call again on this machine to resume"
  exit 3
fi
[ "$status" = 0 ] || exit "$status"
cp "$dir/base/probe.md" "$out/probe.md"
tar -czf - -C "$dir/base" model.safetensors config.json tokenizer.json probe.json probe.md \
  train_log.jsonl | split -b 15M - "$out/base.tar.gz.part"
ls -la "$out"
