# Sourced by the GPU scripts: unpacks the carried Debian packages and points the loader and
# CMake at them and at PyTorch's libtorch. Sets bundle, deps, out and torch_prefix; defines
# build_kvchain_cuda, check_cuda_paths and run_variants.
bundle=$PWD/.gpu-bundle
deps=/tmp/kvchain-deps
out=${OUT:-/tmp/kvchain-out}
mkdir -p "$deps" "$out"
for deb in "$bundle"/debs/*.deb; do dpkg -x "$deb" "$deps"; done
# dpkg -x skips the alternatives that normally name the reference BLAS/LAPACK (FAISS needs them).
lib="$deps/usr/lib/x86_64-linux-gnu"
for name in blas lapack; do
  [ -e "$lib/lib$name.so" ] || ln -sf "$name/lib$name.so.3" "$lib/lib$name.so"
  [ -e "$lib/lib$name.so.3" ] || ln -sf "$name/lib$name.so.3" "$lib/lib$name.so.3"
done
export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
# build_kvchain_cuda [TARGETS, default kvchain] [CMAKE ARGS...]: builds those targets against
# PyTorch's libtorch into build-cuda/ (logs in /tmp, so that $OUT keeps room for results). The
# tests are configured only when a target asks for them.
build_kvchain_cuda() {
  local targets=${1:-kvchain} testing=OFF
  shift || true
  [[ $targets == *tests* ]] && testing=ON
  cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=$testing \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$deps/usr" "$@" > /tmp/cmake.log 2>&1 || { cat /tmp/cmake.log; exit 1; }
  # shellcheck disable=SC2086  # the targets are a list
  cmake --build build-cuda -j "$(nproc)" --target $targets > /tmp/build.log 2>&1 ||
    { grep -E "error|FAILED" /tmp/build.log | head -n 30; exit 1; }
  echo "built at $SECONDS s"
}
# run_variants "A:1:2 B:3:4" FUNCTION: FUNCTION A 1 2 & FUNCTION B 3 4 &, then waits for all.
run_variants() {
  local v fields
  for v in $1; do
    IFS=: read -r -a fields <<< "$v"
    "$2" "${fields[@]}" &
  done
  wait
}
# The test binaries check_cuda_paths runs (build them with build_kvchain_cuda).
cuda_check_targets="kvchain_engine_tests kvchain_chain_tests"
# check_cuda_paths LOG: the CUDA forward paths (the CUDA-graph steps, the fused kernels, the
# flash kernel behind a cache, the stacked projections, the chain runner, the FTHSS masks) against
# the plain ones, on the GPU; exits unless every test ran and passed. A test that skips on a GPU
# (kernels not built, say) fails the check: numbers from such a build would mean nothing.
check_cuda_paths() {
  local log=$1 binary status=0
  : > "$log"
  for binary in kvchain_engine_tests kvchain_chain_tests; do
    KVCHAIN_TEST_DEVICE=cuda "build-cuda/tests/$binary" \
      --gtest_filter='GenerationTest.*:ShapeStableStepsTest.*:*ChainRunner*:*Llama*:*Fthss*:*KVCache*:Attention*:StackedLinear*' \
      >> "$log" 2>&1 || status=1
  done
  grep -E "^\[  (PASSED|FAILED|SKIPPED) " "$log" | head -n 20
  if [ $status -ne 0 ] || grep -q "^\[  FAILED  \]" "$log" || grep -q "^\[  SKIPPED \]" "$log"; then
    echo "CHECK FAILED: see $log"
    exit 1
  fi
  echo "check passed: $(grep -c '^\[       OK \]' "$log") tests ran on cuda"
}
