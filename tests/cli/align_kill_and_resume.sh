#!/usr/bin/env bash
# `align train` on two models of different shapes that share a tokenizer (untrained: the tiny
# preset, and the mini preset with the tiny one's tokenizer through pretrain --tokenizer-from):
# killed with SIGKILL right after its 3rd optimizer step and checkpoint (KVCHAIN_KILL_AT: no
# timing involved), it resumes there and ends with adapters byte-identical to an uninterrupted
# run's. Models with different tokenizers are refused.
# Usage: align_kill_and_resume.sh KVCHAIN TEXT WORK_DIR
set -euo pipefail
kvchain=$1 text=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
base() { "$kvchain" pretrain --data "$text" --seq-len 16 --epochs 0 --out "$work/$1" "${@:2}" 2> /dev/null; }
base small --preset tiny
base wide --preset mini --tokenizer-from "$work/small"
base other --preset tiny --vocab-size 300
align() {
  "$kvchain" align train --models "$1" --data "$text" --out "$2" --limit 6 --prefix-tokens 8 \
    --suffix-tokens 6 --grad-accumulation 2 --epochs 2 --checkpoint-every 1 --reconstruction 0.1
}
pair="$work/small,$work/wide"
align "$pair" "$work/reference" > /dev/null 2>&1

status=0
KVCHAIN_KILL_AT=train-step:3 align "$pair" "$work/resumed" > /dev/null 2> "$work/first.log" || status=$?
[ "$status" -eq 137 ] || { echo "FAIL: the first run ended with $status, not SIGKILL (137)"; exit 1; }
[ ! -f "$work/resumed/kv-space-small.safetensors" ] || { echo "FAIL: adapter written before the kill"; exit 1; }
align "$pair" "$work/resumed" > /dev/null 2> "$work/second.log"
# 6 documents x 2 directions = 12 examples, 2 a step: 6 steps an epoch, 12 in all.
grep -q "resuming from step 3 of 12" "$work/second.log" || { echo "FAIL: did not resume at 3"; cat "$work/second.log"; exit 1; }
for f in kv-space-small.safetensors kv-space-wide.safetensors alignment.json; do
  cmp "$work/reference/$f" "$work/resumed/$f" || { echo "FAIL: $f differs after the resume"; exit 1; }
done
steps=$(wc -l < "$work/resumed/log.jsonl")
[ "$steps" -eq 12 ] || { echo "FAIL: log has $steps lines, expected 12 (one per step)"; exit 1; }

status=0
align "$work/small,$work/other" "$work/refused" > /dev/null 2> "$work/refused.log" || status=$?
grep -q "^error: align: .*other/tokenizer.json differs from" "$work/refused.log" && [ "$status" -eq 1 ] ||
  { echo "FAIL: different tokenizers were not refused (status $status)"; cat "$work/refused.log"; exit 1; }
echo "PASS: align killed after step 3, resumed there, identical adapters; other tokenizers refused"
