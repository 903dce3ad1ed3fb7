#!/usr/bin/env bash
# On the GPU machine, with .gpu-bundle carried: can the base learn to read its context?
# Pretrains two bases side by side and probes them:
#   copy:    on copy practice ("The list is W1 ... Wn. Once more, the list is W1 ... Wn.", fresh
#            random words), then asked to repeat a new list;
#   reading: on the reading text of $WORLDS fresh scale-1 worlds (no entity repeats across
#            worlds) plus the task world, then asked to complete 40 held-out reading lines.
# Settings: PRESET (tiny), BATCH (32), COPY_EPOCHS (4), READING_EPOCHS (4), WORLDS (200).
# The engine README's "Open problem" quotes its output. Loss every 400 steps goes to stdout.
set -euo pipefail
source tests/gpu/deps_env.sh
cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DCMAKE_PREFIX_PATH="$torch_prefix;$deps/usr" > "$out/cmake.log" 2>&1 || { cat "$out/cmake.log"; exit 1; }
cmake --build build-cuda -j "$(nproc)" --target kvchain > "$out/build.log" 2>&1 || { tail -n 30 "$out/build.log"; exit 1; }
kv=build-cuda/kvchain
w=/tmp/copy-reading && mkdir -p $w
python3 tests/gpu/copy_practice.py > $w/copy.txt
seq 100 $((99 + ${WORLDS:-200})) |
  xargs -P "$(nproc)" -I{} sh -c "$kv data generate --out $w/w{} --seed {} --scale 1 > /dev/null"
cat $w/w*/reading.txt > $w/reading.txt
$kv data generate --out $w/world --seed 1 > /dev/null
$kv data generate --out $w/held --seed 999 --scale 1 > /dev/null
pretrain() {  # NAME EPOCHS DATA...
  local name=$1 epochs=$2; shift 2
  local data=(); for d in "$@"; do data+=(--data "$d"); done
  $kv pretrain "${data[@]}" --out $w/$name --preset "${PRESET:-tiny}" --epochs "$epochs" \
    --batch "${BATCH:-32}" --device cuda > $w/$name.log 2>&1
  grep -o '"loss":[0-9.]*' $w/$name/train_log.jsonl |
    awk -F: -v n=$name 'NR%400==0{s=s sprintf("%.2f ", $2)} END{print n" loss every 400 steps: "s}'
}
pretrain copy "${COPY_EPOCHS:-4}" $w/copy.txt &
pretrain reading "${READING_EPOCHS:-4}" $w/reading.txt $w/world $w/world &
wait
for p in "The list is Shaitravo Herou Sekro Shotu. Once more, the list is" \
  "The list is Breku Tamizo Plaithou Sadek Moula. Once more, the list is Breku"; do
  echo "copy probe: $p ->$($kv generate --model $w/copy --prompt "$p" --max-new-tokens 12 2>/dev/null)"
done
python3 tests/gpu/reading_probe.py $kv $w/reading $w/held/reading.txt 40 | tail -n 4
