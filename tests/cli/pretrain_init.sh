#!/usr/bin/env bash
# `pretrain --init` goes on training a base: with no steps it writes that base back unchanged
# (weights, shape and tokenizer), and its first step starts from the base's loss, not from a
# random model's.
# Usage: pretrain_init.sh KVCHAIN TEXT WORK_DIR
set -euo pipefail
kvchain=$1 text=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
first_loss() { head -n 1 "$1/train_log.jsonl" | sed 's/.*"loss":\([0-9.e+-]*\).*/\1/'; }
"$kvchain" pretrain --data "$text" --out "$work/base" --seq-len 16 --epochs 3 2> /dev/null
"$kvchain" pretrain --data "$text" --out "$work/same" --init "$work/base" --seq-len 16 \
  --epochs 0 2> /dev/null
for f in model.safetensors tokenizer.json; do
  cmp -s "$work/base/$f" "$work/same/$f" || { echo "FAIL: --init with no steps changed $f"; exit 1; }
done
"$kvchain" pretrain --data "$text" --out "$work/more" --init "$work/base" --seq-len 16 \
  --epochs 1 2> /dev/null
fresh=$(first_loss "$work/base") continued=$(first_loss "$work/more")
awk -v f="$fresh" -v c="$continued" 'BEGIN { exit !(c < f - 1) }' ||
  { echo "FAIL: the continued run's first loss $continued is not below the fresh one's $fresh"; exit 1; }
echo "pretrain --init: base kept, first loss $fresh fresh, $continued continued"
