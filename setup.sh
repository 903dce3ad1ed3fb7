#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: install the build dependencies by name, then build.
# Extra arguments go to CMake (e.g. -DCMAKE_PREFIX_PATH=... for PyTorch's libtorch on a GPU box).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake ninja-build
  libtorch-dev          # libtorch 1.13 (CPU)
  libopenblas0-pthread  # without it libtorch's CPU matmul falls back to a ~20x slower BLAS
  nlohmann-json3-dev libre2-dev libcli11-dev libutf8proc-dev
  libfaiss-dev libstemmer-dev zlib1g-dev  # retrievers: dense search, Porter stemming, CRC-32
  libsodium-dev         # content hashes (BLAKE2b) of cache keys
  libgloo-dev           # Gloo's headers, for c10d's CPU process group (data-parallel training)
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev  # the loaders' fuzz targets (libFuzzer; tests/fuzz/)
)
if ! dpkg-query -W -f='${Status}\n' "${PACKAGES[@]}" 2>/dev/null | grep -qv '^install ok installed$' &&
   [ "$(dpkg-query -W -f='${Status}\n' "${PACKAGES[@]}" 2>/dev/null | wc -l)" -eq "${#PACKAGES[@]}" ]; then
  echo "setup: all Debian packages present"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j"$(nproc)"
