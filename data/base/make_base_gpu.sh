#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: builds kvchain and runs data/base/make_base.sh
# once per WORLDS value (space-separated, default 80), side by side; each base's model, config and
# tokenizer come back as $OUT/wN-FILE, with its timing and loss in $OUT/summary.txt.
set -euo pipefail
source tests/gpu/deps_env.sh
build_kvchain_cuda
for n in ${WORLDS_LIST:-80}; do
  (WORLDS=$n KVCHAIN=$PWD/build-cuda/kvchain DEVICE=cuda bash data/base/make_base.sh /tmp/base-w$n \
     > /tmp/base-w$n.log 2>&1 || { echo "w$n failed"; tail -n 5 /tmp/base-w$n.log; }
   for f in model.safetensors config.json tokenizer.json; do cp /tmp/base-w$n/$f "$out/w$n-$f"; done
   { echo "w$n (done at $SECONDS s):"; grep "^pretrain\|^practice" /tmp/base-w$n.log; } >> "$out/summary.txt") &
done
wait
cat "$out/summary.txt"
nvidia-smi --query-gpu=name --format=csv,noheader
