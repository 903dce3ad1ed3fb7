#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: builds kvchain's c10d NCCL path
# (engine/distributed, KVCHAIN_NCCL) against PyTorch's libtorch, with the nccl.h of PyTorch's
# wheel (nvidia/nccl/include), and asks it for a data-parallel group: a single GPU cannot hold
# two NCCL ranks, so this checks the build and the error path, not the collectives. The other
# GPU scripts build without NCCL until this passes.
set -euo pipefail
source tests/gpu/deps_env.sh
nccl=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "include"))')
ls "$nccl/nccl.h"
cmake -S . -B build-nccl -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$deps/usr" -DNCCL_INCLUDE_DIR="$nccl" 2>&1 |
  grep -E "kvchain:|Error" || true
cmake --build build-nccl -j "$(nproc)" --target kvchain > /tmp/build-nccl.log 2>&1 ||
  { grep -E "error|FAILED" /tmp/build-nccl.log | head -n 30; exit 1; }
echo "built with NCCL at $SECONDS s"
