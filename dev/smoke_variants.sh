#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: which pretraining recipe lets the chain members
# learn? Runs experiments/fthss_smoke.sh once per variant, side by side on the GPU, and writes each
# variant's table to $OUT/NAME.txt as soon as it is done.
# VARIANTS: space-separated NAME:EPOCHS:BATCH:SEQ_LEN:TEXT:VOCAB:PRESET, TEXT being a comma-separated list of
# extra pretraining text (or "-" for none): "reading" (the smoke world's own reading.txt),
# "copyN" (N lines of copy practice), "wN" (the reading text of N fresh worlds, seeds 100...) or
# "pN" (those worlds' Compression&QA training records as JSONL, `kvchain practice`);
# VOCAB the base's BPE vocabulary size, PRESET its shape.
# MODES (default "untrained-text text") picks the smoke script's chain runs.
set -euo pipefail
source tests/gpu/deps_env.sh
build_kvchain_cuda
kv=$PWD/build-cuda/kvchain
w=/tmp/smoke-variants && rm -rf $w && mkdir -p $w
$kv data generate --out $w/world --seed 1 > /dev/null
text_file() {  # one TEXT item -> path of its text
  case $1 in
    reading) echo $w/world/reading.txt ;;
    copy*)
      [ -f $w/$1/copy.txt ] ||
        $kv data generate --out $w/$1 --seed 3 --copy-lines "${1#copy}" > /dev/null
      echo $w/$1/copy.txt ;;
    w* | p*)
      local file=$w/$1.txt
      [ "${1:0:1}" = w ] || file=$w/$1.jsonl
      if [ ! -f $file ]; then
        seq 100 $((99 + ${1:1})) | xargs -P 8 -I{} sh -c \
          "[ -d $w/worlds/{} ] || $kv data generate --out $w/worlds/{} --seed {} > /dev/null"
        local worlds
        worlds=$(seq 100 $((99 + ${1:1})) | sed "s|^|$w/worlds/|")
        if [ "${1:0:1}" = w ]; then
          for d in $worlds; do cat $d/reading.txt; done > $file
        else
          local args=()
          for d in $worlds; do args+=(--data $d); done
          $kv practice --task compression_qa "${args[@]}" --out $file 2> /dev/null
        fi
      fi
      echo $file ;;
    *) echo "unknown text '$1'" >&2; exit 1 ;;
  esac
}
variant() {  # NAME EPOCHS BATCH SEQ_LEN TEXT VOCAB PRESET
  local name=$1 files=""
  if [ "$5" != "-" ]; then
    for item in ${5//,/ }; do files="$files $(text_file "$item")"; done
  fi
  mkdir -p $w/$name && cp -r $w/world $w/$name/world
  BASE=pretrain OMP_NUM_THREADS=2 MODES="${MODES:-untrained-text text}" KVCHAIN=$kv DEVICE=cuda PRETRAIN_EPOCHS=$2 PRETRAIN_BATCH=$3 PRETRAIN_SEQ_LEN=$4 \
    PRETRAIN_VOCAB=$6 PRETRAIN_PRESET=$7 PRETRAIN_TEXT="$files" bash experiments/fthss_smoke.sh $w/$name > $w/$name.txt 2> $w/$name.log ||
    { echo "failed: $?"; tail -n 5 $w/$name.log; } >> $w/$name.txt
  { echo "$name: epochs $2, batch $3, seq-len $4, extra text $5, vocab $6, preset $7"; cat $w/$name.txt
    grep -h "final loss\|per epoch" $w/$name.log; head -n 3 $w/$name/predictions-text.jsonl; } > "$out/$name.txt"
}
variants=${VARIANTS:-s512:40:8:512:-:2048:tiny}
for v in $variants; do  # extra texts first, so parallel variants do not make one twice
  IFS=: read -r _ _ _ _ text _ _ <<< "$v"
  [ "$text" = "-" ] || for item in ${text//,/ }; do text_file "$item" > /dev/null; done
done
echo "data ready at $SECONDS s"
run_variants "$variants" variant
cat "$out"/*.txt 2> /dev/null | grep -v '^$' | grep -v '^{' || true
