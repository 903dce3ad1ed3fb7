#!/usr/bin/env bash
# On a multi-GPU kind (nvidia-h100-x2 or larger), with .gpu-bundle carried: builds kvchain with
# c10d's NCCL path and checks data parallelism on GPUs as CI checks it with Gloo on CPUs:
#  1. one member (Compression&QA's compressor on the GPU world) trained on 1 GPU and on 2, on
#     the same global batch of 16 (8 a GPU): the adapters must agree within bfloat16 rounding;
#     each run's training tokens/s (the median of its log's logged steps);
#  2. a small suite (two tasks, text chain and FTHSS) on 1 GPU and spread over 2: scores must be
#     equal, and the wall time of each.
# $OUT gets the logs and a summary table (multi_gpu.md).
set -euo pipefail
source tests/gpu/deps_env.sh
nccl=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "include"))')
build_kvchain_cuda "kvchain kvchain_tensors_close" -DBUILD_TESTING=ON -DNCCL_INCLUDE_DIR="$nccl"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
kvchain=build-cuda/kvchain world=results/world-72
"$kvchain" data generate --seed 1 --scale 72 --out "$world" > /dev/null
train() {  # train NPROC
  "$kvchain" train --base data/base --data "$world" --task compression_qa --member compressor \
    --limit 2000 --epochs 1 --grad-accumulation 16 --micro-batch 8 --lr 0.03 --device cuda \
    --nproc "$1" --out "/tmp/multi/gpus-$1.safetensors" 2> "$out/train-$1.log"
}
median_tokens() {
  python3 -c "import json,sys,statistics;print(round(statistics.median(json.loads(l)['tokens_per_s'] for l in open(sys.argv[1]))))" "$1"
}
rm -rf /tmp/multi && mkdir -p /tmp/multi
train 1 && train 2
agreement=$(build-cuda/tests/kvchain_tensors_close /tmp/multi/gpus-1.safetensors \
  /tmp/multi/gpus-2.safetensors 0.05 || true)
suite() {  # suite NPROC
  cat > "/tmp/multi/suite-$1.json" <<JSON
{"name": "multi-gpu-$1", "data": "$world", "world_seed": 1, "world_scale": 72,
 "base": "data/base", "tasks": ["compression_qa", "rewrite_qa"], "methods": ["text", "shared"],
 "epochs": 2, "answer_epochs": 2, "train_limit": 500, "test_limit": 200,
 "train_batch_size": 8, "learning_rate": 0.03, "device": "cuda", "results": "/tmp/multi/results"}
JSON
  local start=$SECONDS
  "$kvchain" suite "/tmp/multi/suite-$1.json" --nproc "$1" > /dev/null 2> "$out/suite-$1.log"
  echo $((SECONDS - start))
}
wall1=$(suite 1) && wall2=$(suite 2)
same=no
diff <(grep -v latency_s /tmp/multi/results/multi-gpu-1/scores.json) \
  <(grep -v latency_s /tmp/multi/results/multi-gpu-2/scores.json) > /dev/null && same=yes
{
  echo "| GPUs | training tokens/s (median step) | suite wall s |"
  echo "| ---: | ---: | ---: |"
  echo "| 1 | $(median_tokens /tmp/multi/gpus-1.safetensors.log.jsonl) | $wall1 |"
  echo "| 2 | $(median_tokens /tmp/multi/gpus-2.safetensors.log.jsonl) | $wall2 |"
  echo
  echo "adapters, 1 against 2 GPUs: $agreement; suite scores equal: $same"
} | tee "$out/multi_gpu.md"
