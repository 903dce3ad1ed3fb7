#!/usr/bin/env bash
# Data-parallel training on the CPU (c10d's Gloo group): two processes on one global batch give
# the adapter one process gives (within 1e-5: only the order of float sums differs); a rank
# killed with SIGKILL after its 3rd step stops the run with an error naming it, in bounded time,
# never a hang; and a rerun with one process resumes from the step-3 checkpoint to the same
# adapter.
# Usage: data_parallel_train.sh KVCHAIN TENSORS_CLOSE BASE_DIR WORLD_DIR WORK_DIR
set -euo pipefail
kvchain=$1 close=$2 base=$3 world=$4 work=$5
rm -rf "$work" && mkdir -p "$work"
train() {
  "$kvchain" train --base "$base" --data "$world" --task compression_qa --member compressor \
    --limit 12 --epochs 2 --grad-accumulation 4 --micro-batch 2 --checkpoint-every 1 \
    --lr 0.01 "$@"
}

train --out "$work/one.safetensors" 2>"$work/one.log"
train --nproc 2 --out "$work/two.safetensors" 2>"$work/two.log"
grep -q "data parallel: rank 1 of 2 on cpu" "$work/two.log" ||
  { echo "FAIL: rank 1 did not join"; cat "$work/two.log"; exit 1; }
"$close" "$work/one.safetensors" "$work/two.safetensors" 1e-5 ||
  { echo "FAIL: two processes trained another adapter than one"; exit 1; }
steps=$(wc -l < "$work/two.safetensors.log.jsonl")
[ "$steps" -eq 6 ] || { echo "FAIL: the log has $steps lines, expected 6 (one per step)"; exit 1; }

start=$SECONDS
status=0
KVCHAIN_KILL_AT=train-step:3 KVCHAIN_KILL_RANK=1 KVCHAIN_DIST_TIMEOUT_S=30 \
  train --nproc 2 --out "$work/resumed.safetensors" 2>"$work/killed.log" || status=$?
[ "$status" -eq 1 ] || { echo "FAIL: the run ended with $status, not 1"; exit 1; }
grep -q "^error: data parallel: rank 1 of 2 was killed by signal 9" "$work/killed.log" ||
  { echo "FAIL: no error naming the killed rank"; cat "$work/killed.log"; exit 1; }
[ $((SECONDS - start)) -lt 60 ] || { echo "FAIL: the run took $((SECONDS - start)) s to stop"; exit 1; }
[ ! -f "$work/resumed.safetensors" ] || { echo "FAIL: adapter written by a stopped run"; exit 1; }

train --out "$work/resumed.safetensors" 2>"$work/resumed.log"
grep -q "resuming from step 3 of 6" "$work/resumed.log" ||
  { echo "FAIL: did not resume at step 3"; cat "$work/resumed.log"; exit 1; }
"$close" "$work/one.safetensors" "$work/resumed.safetensors" 1e-5 ||
  { echo "FAIL: the resumed adapter differs"; exit 1; }
echo "PASS: two processes train as one; a killed rank stops the run, which resumes"
