#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: builds kvchain and runs data/base/make_base.sh
# (its environment passes through) into build-cuda/make-base/base, where a later call on the
# same machine resumes an interrupted pretraining. The base comes back as $OUT/base.tar.gz.partN
# (the device returns files of at most 16 MiB: `cat base.tar.gz.part* | tar -xz`), with the log
# and the probe table.
set -euo pipefail
source tests/gpu/deps_env.sh
build_kvchain_cuda
nvidia-smi --query-gpu=name --format=csv,noheader
dir=build-cuda/make-base
mkdir -p "$dir"
KVCHAIN=$PWD/build-cuda/kvchain DEVICE=cuda bash data/base/make_base.sh "$dir/base" 2>&1 |
  grep -v '\[.*\] [0-9]*/[0-9]* ' | tee "$out/make-base.log"
cp "$dir/base/probe.md" "$out/probe.md"
tar -czf - -C "$dir/base" model.safetensors config.json tokenizer.json probe.json probe.md \
    train_log.jsonl | split -b 15M - "$out/base.tar.gz.part"
ls -la "$out"
