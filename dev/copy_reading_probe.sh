#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: does a pretraining schedule give a base that
# reads its context? Pretrains one base per variant, side by side on the GPU, each on
#   curriculum: the task world's copy.txt (lists of fresh made-up words said twice), then
#   main text:  reading text and the task world's pretrain.txt twice,
# and probes each: the loss every 250 steps, the repeat of a new list (copy probe) and 40
# held-out reading lines completed greedily (dev/completion_probe.py). Each variant's result
# is written to $OUT as soon as it is done.
# VARIANTS: space-separated NAME:PRESET:BATCH:COPY_EPOCHS:MAIN_EPOCHS:LR:READING, READING being
# sN (the reading text of one world of seed 2 and scale N, the smoke run's earlier recipe) or
# wN (that of N fresh scale-1 worlds, seeds 100...: no entity repeats, nothing to memorise).
# The engine README's "What the embedded base learns" quotes its output.
set -euo pipefail
source tests/gpu/deps_env.sh
build_kvchain_cuda
kv=build-cuda/kvchain
w=/tmp/copy-reading && rm -rf $w && mkdir -p $w
$kv data generate --out $w/world --seed 1 --copy-lines 50000 > /dev/null
$kv data generate --out $w/held --seed 999 --scale 1 --copy-lines 0 > /dev/null
reading_text() {  # sN or wN -> path of its reading text
  local kind=${1:0:1} n=${1:1}
  if [ ! -f $w/$1.txt ]; then
    if [ "$kind" = s ]; then
      $kv data generate --out $w/$1 --seed 2 --scale "$n" --copy-lines 0 > /dev/null
      cp $w/$1/reading.txt $w/$1.txt.tmp
    else
      seq 100 $((99 + n)) | xargs -P 4 -I{} sh -c \
        "$kv data generate --out $w/$1-{} --seed {} --scale 1 --copy-lines 0 > /dev/null"
      cat $w/$1-*/reading.txt > $w/$1.txt.tmp
    fi
    mv $w/$1.txt.tmp $w/$1.txt
  fi
  echo $w/$1.txt
}
variant() {  # NAME PRESET BATCH COPY_EPOCHS MAIN_EPOCHS LR READING
  local name=$1 reading
  reading=$(reading_text "$7")
  $kv pretrain --curriculum $w/world --curriculum-epochs "$4" --data "$reading" --data $w/world \
    --data $w/world --out $w/$name --preset "$2" --batch "$3" \
    --epochs "$5" --lr "$6" --device cuda > $w/$name.log 2>&1 || { tail -n 5 $w/$name.log; return 1; }
  local losses copy probe
  losses=$(grep -o '"loss":[0-9.]*' $w/$name/train_log.jsonl |
    awk -F: 'NR%250==0{s=s sprintf("%.2f ", $2)} END{print s}')
  copy=$($kv generate --model $w/$name --device cpu --max-new-tokens 12 \
    --prompt "The list is Shaitravo Herou Sekro Shotu. Once more, the list is" 2>/dev/null)
  probe=$(python3 dev/completion_probe.py $kv $w/$name $w/held/reading.txt 40 | tail -n 1)
  printf '%s (%s, batch %s, copy epochs %s, main epochs %s, lr %s, reading %s): %s steps, %s s\n  loss every 250 steps: %s\n  copy probe: ...the list is%s\n  reading probe: %s\n' \
    "$name" "$2" "$3" "$4" "$5" "$6" "$7" "$(wc -l < $w/$name/train_log.jsonl)" \
    "$(grep -o '"elapsed_s":[0-9.]*' $w/$name/train_log.jsonl | tail -n 1 | cut -d: -f2 | cut -d. -f1)" \
    "$losses" "$copy" "$probe" | tee "$out/$name.result"
}
variants=${VARIANTS:-b32:tiny:32:4:10:2e-3:s5}
for set in $(tr ' ' '\n' <<< "$variants" | cut -d: -f7 | sort -u); do reading_text "$set" > /dev/null; done
echo "data ready at $SECONDS s"
run_variants "$variants" variant
