#!/usr/bin/env bash
# Trains a chain member, kills the process with SIGKILL right after its 5th optimizer step and
# checkpoint (KVCHAIN_KILL_AT, engine/io/fault_point.h: no timing involved), resumes it, and
# checks that the adapter equals the one from an uninterrupted run, byte for byte.
# Usage: kill_and_resume.sh KVCHAIN BASE_DIR WORLD_DIR WORK_DIR
set -euo pipefail
kvchain=$1 base=$2 world=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
train() {
  "$kvchain" train --base "$base" --data "$world" --task compression_qa --member compressor \
    --limit 12 --epochs 3 --grad-accumulation 1 --checkpoint-every 1 --lr 0.01 --out "$1"
}

train "$work/reference.safetensors" 2>/dev/null

status=0
KVCHAIN_KILL_AT=train-step:5 train "$work/resumed.safetensors" 2>"$work/first.log" || status=$?
[ "$status" -eq 137 ] || { echo "FAIL: the first run ended with $status, not SIGKILL (137)"; exit 1; }
[ ! -f "$work/resumed.safetensors" ] || { echo "FAIL: adapter written before the kill"; exit 1; }
state="$work/resumed.safetensors.checkpoint/state.json"
grep -Eq '"step": *5[,}]' "$state" || { echo "FAIL: no checkpoint at step 5"; cat "$state"; exit 1; }

train "$work/resumed.safetensors" 2>"$work/second.log"
grep -q "resuming from step 5 of 36" "$work/second.log" || { echo "FAIL: did not resume at 5"; exit 1; }
cmp "$work/reference.safetensors" "$work/resumed.safetensors"
steps=$(wc -l < "$work/resumed.safetensors.log.jsonl")
[ "$steps" -eq 36 ] || { echo "FAIL: log has $steps lines, expected 36 (one per step)"; exit 1; }
echo "PASS: killed after step 5, resumed there, identical adapter"
