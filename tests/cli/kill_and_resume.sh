#!/usr/bin/env bash
# Trains a chain member, kills the process with SIGKILL once a checkpoint exists, resumes it,
# and checks that the adapter equals the one from an uninterrupted run, byte for byte.
# Usage: kill_and_resume.sh KVCHAIN BASE_DIR WORLD_DIR WORK_DIR
set -euo pipefail
kvchain=$1 base=$2 world=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
train() {
  "$kvchain" train --base "$base" --data "$world" --task compression_qa --member compressor \
    --limit 12 --epochs 3 --grad-accumulation 1 --checkpoint-every 1 --lr 0.01 --out "$1"
}

train "$work/reference.safetensors" 2>/dev/null

train "$work/resumed.safetensors" 2>"$work/first.log" &
pid=$!
state="$work/resumed.safetensors.checkpoint/state.json"
for _ in $(seq 1 600); do
  if [ -f "$state" ] && grep -Eq '"step": *([3-9]|[1-9][0-9])' "$state"; then break; fi
  sleep 0.02
done
kill -9 "$pid" 2>/dev/null || { echo "FAIL: training finished before it could be killed"; exit 1; }
wait "$pid" 2>/dev/null || true
[ ! -f "$work/resumed.safetensors" ] || { echo "FAIL: adapter written before the kill"; exit 1; }

train "$work/resumed.safetensors" 2>"$work/second.log"
grep -q "resuming from step" "$work/second.log" || { echo "FAIL: did not resume"; exit 1; }
cmp "$work/reference.safetensors" "$work/resumed.safetensors"
steps=$(wc -l < "$work/resumed.safetensors.log.jsonl")
[ "$steps" -eq 36 ] || { echo "FAIL: log has $steps lines, expected 36 (one per step)"; exit 1; }
echo "PASS: killed at $(grep -Eo '"step": *[0-9]+' "$state" | head -1), resumed, identical adapter"
