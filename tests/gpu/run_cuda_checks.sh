#!/usr/bin/env bash
# On the GPU machine (device tool), from the repo root, with .gpu-bundle carried:
#   builds kvchain against PyTorch's own libtorch, runs the whole test suite on CPU and on CUDA
#   (float32 fixture tests included; on CUDA a skipped test fails the check), trains and runs a
#   chain on CUDA, checks that transformers and tokenizers open what kvchain writes, and runs the
#   engine benchmark on the GPU.
# Usage: tests/gpu/run_cuda_checks.sh [PARTS], PARTS a comma-separated list of cpu, cuda and
# rest (default: all three). A cold machine's build and the CPU tests take most of a device
# call's 10 minutes, so the parts go in separate calls to one warm machine:
#   run_cuda_checks.sh cpu; run_cuda_checks.sh cuda; run_cuda_checks.sh rest
# The fuzz harnesses are left out: libFuzzer needs clang, which the GPU machine lacks, and they
# test parsers that do not depend on the device (CI runs them).
set -euo pipefail
source tests/gpu/deps_env.sh
parts=",${1:-cpu,cuda,rest},"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader

echo "== build (libtorch $(python3 -c 'import torch;print(torch.__version__)'))"
cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$deps/usr" -DKVCHAIN_FIXTURES_DIR="$bundle/fixtures" \
  > "$out/cmake.log" 2>&1 || { cat "$out/cmake.log"; exit 1; }
grep "kvchain:" "$out/cmake.log"
cmake --build build-cuda -j "$(nproc)" 2>&1 | tee "$out/build.log" | grep -E "warning|error" || true
test -x build-cuda/kvchain

status=0
# Full logs go to $OUT; the summary and any failures to the terminal.
run_tests() {  # name, then env assignments for ctest
  local name=$1; shift
  echo "== tests on $name"
  # Four tests at a time, four threads each: libtorch would otherwise start 16 threads per test.
  if env OMP_NUM_THREADS=4 "$@" ctest --test-dir build-cuda -j 4 -E '^fuzz[.]' \
    --output-on-failure > "$out/ctest-$name.log" 2>&1; then
    grep -E "tests passed" "$out/ctest-$name.log"
  else
    status=1
    grep -E "tests passed|\*\*\*|Failed|SEGFAULT|Exception" "$out/ctest-$name.log" | head -n 40
  fi
}
[[ $parts != *,cpu,* ]] || run_tests cpu KVCHAIN_TEST_DEVICE=cpu
if [[ $parts == *,cuda,* ]]; then
  run_tests cuda KVCHAIN_TEST_DEVICE=cuda
  # On the GPU every test runs: one that skips there (the fused kernels not built, say) fails.
  if grep -q "(Skipped)" "$out/ctest-cuda.log"; then
    status=1
    echo "FAILED: tests skipped on cuda:"
    grep "(Skipped)" "$out/ctest-cuda.log"
  fi
fi
[[ $parts == *,rest,* ]] || exit $status

echo "== transformers and tokenizers read what kvchain writes"
work=/tmp/kvchain-interop
rm -rf "$work" && mkdir -p "$work"
build-cuda/kvchain convert --model "$bundle/fixtures/tiny-llama" --out "$work/f32-sharded" --max-shard-mb 1
build-cuda/kvchain convert --model "$bundle/fixtures/tiny-llama" --out "$work/bf16" --dtype bfloat16
build-cuda/kvchain train-tokenizer --corpus "$bundle/fixtures/tiny-llama/README.md" \
  --out "$work/tokenizer.json" --vocab-size 300 --min-frequency 1
python3 tests/gpu/hf_interop.py "$bundle/fixtures/tiny-llama" "$work" build-cuda/kvchain || status=1

echo "== PEFT's adapters load in kvchain, kvchain's in PEFT (fixtures for tests/samples/peft/)"
build-cuda/kvchain data generate --out "$work/world" --seed 3 > /dev/null
python3 tests/gpu/peft_interop.py "$bundle/fixtures/tiny-llama" "$work/world" build-cuda/kvchain \
  "$work/peft" || status=1
tar -czf "$out/peft-fixtures.tar.gz" -C "$work/peft" .

echo "== a chain member trains against a bfloat16 base on cuda, and the chain runs in every mode"
tiny="$bundle/fixtures/tiny-llama"
for member in compressor qa; do
  build-cuda/kvchain train --base "$tiny" --data "$work/world" --task compression_qa --device cuda \
    --member $member --limit 16 --epochs 1 --out "$work/$member.safetensors" 2>&1 | tail -n 1 || status=1
done
for mode in text shared shared-evict; do
  build-cuda/kvchain chain --base "$tiny" --data "$work/world" --task compression_qa --device cuda \
    --mode $mode --limit 4 --adapter compressor="$work/compressor.safetensors" \
    --adapter qa="$work/qa.safetensors" 2>/dev/null || status=1
done

echo "== engine benchmark on cuda"
for dtype in float32 bfloat16; do
  KVCHAIN_BENCH_DEVICE=cuda KVCHAIN_BENCH_DTYPE=$dtype build-cuda/bench/kvchain_bench_engine \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=true 2>&1 \
    | grep -E "Benchmark|median" | sed "s/^/[$dtype] /"
done
exit $status
