#!/usr/bin/env bash
# Run here, before tests/gpu/run_cuda_checks.sh goes to the GPU machine (which has no network
# and no ../shared): gathers the Debian packages kvchain builds against and the fixtures into
# .gpu-bundle/, which the device call carries.
set -euo pipefail
cd "$(dirname "$0")/../.."
bundle=.gpu-bundle
rm -rf "$bundle" && mkdir -p "$bundle/debs"
(cd "$bundle/debs" && apt-get download libre2-dev libre2-9 libgtest-dev libgmock-dev \
  nlohmann-json3-dev libcli11-dev libbenchmark-dev libbenchmark1debian libutf8proc-dev libutf8proc2 \
  libfaiss-dev libstemmer-dev libstemmer0d libblas-dev libblas3 liblapack-dev liblapack3 \
  libgfortran5 libsodium-dev libsodium23)
cp -r ../shared/fixtures "$bundle/fixtures"
du -sh "$bundle"
