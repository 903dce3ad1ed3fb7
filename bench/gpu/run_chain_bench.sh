#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: builds bench/kvchain_bench_chain against
# PyTorch's libtorch; first (CHECK=1) checks the CUDA forward paths against the plain ones in the
# test suite (the CUDA-graph decode step, the flash kernel behind a cache, the stacked
# projections); then runs the benchmark on the Llama-3-8B shape (random bf16 weights), then
# (PEERS=1) the HF transformers peers on the same work (bench/gpu/hf_chain_peer.py), prints
# Table 5 side by side (bench/gpu/merge_table5.py) and times the text chain's longest prefill
# operator by operator (dev/prefill_probe.py). Results go to $OUT (the whole check log
# as check.txt).
# Usage: bench/gpu/run_chain_bench.sh [LENGTHS, default 250,500,1000,3000,8000] [REPETITIONS,
#        default 5] [CHECK, default 1] [PEERS, default 1]
set -euo pipefail
source tests/gpu/deps_env.sh
lengths=${1:-250,500,1000,3000,8000}
repetitions=${2:-5}
check=${3:-1}
peers=${4:-1}
targets=kvchain_bench_chain
[ "$check" = 1 ] && targets="kvchain_bench_chain $cuda_check_targets"
build_kvchain_cuda "$targets" -DKVCHAIN_FIXTURES_DIR="$bundle/fixtures"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
grep "kvchain:" /tmp/cmake.log

if [ "$check" = 1 ]; then
  echo "== check: the CUDA paths equal the plain forward"
  check_cuda_paths "$out/check.txt"
  echo "check done at $SECONDS s"
fi

echo "== kvchain"
filter="BM_MemberB/shared:[01]/intermediate:(${lengths//,/|})/|BM_KvMemory|BM_DecodeMatmulsOnly|BM_LayerAttention"
KVCHAIN_BENCH_MODEL=llama3-8b KVCHAIN_BENCH_DEVICE=cuda KVCHAIN_BENCH_DTYPE=bfloat16 \
  timeout 330 build-cuda/bench/kvchain_bench_chain --benchmark_filter="$filter" \
  --benchmark_repetitions="$repetitions" --benchmark_report_aggregates_only=true \
  --benchmark_out="$out/chain-bench.json" --benchmark_out_format=json 2>&1 | tee "$out/chain-bench.txt"
echo "kvchain done at $SECONDS s"

[ "$peers" = 1 ] || exit 0
echo "== HF transformers peers"
timeout 300 python3 bench/gpu/hf_chain_peer.py "$lengths" | tee "$out/hf-peer.jsonl" || true
echo "peers done at $SECONDS s"
python3 bench/gpu/merge_table5.py "$out/chain-bench.json" "$out/hf-peer.jsonl" | tee "$out/table5.md"

echo "== where the text chain's longest prefill goes (dev/prefill_probe.py)"
timeout 120 python3 dev/prefill_probe.py 8040 100 | tee "$out/prefill-probe.md" || true
