#!/usr/bin/env bash
# Chooses the base to ship from continued bases, on dev worlds alone. Each CONTINUED base (a
# model directory that continued BASE) is averaged with BASE at each of WEIGHTS (its share;
# default "0.5 0.7 0.85 1", 1 being it alone; `kvchain average`, as run 13 was made), in
# bfloat16 as it would ship, into CONTINUED/../average-W, and each average is probed on the dev
# worlds (DEV_SEEDS, default 9100-9104: neither trained on nor the probe's). Of the averages whose
# every reading layout (all but the claim check and the two comparisons) reads at 82% or more
# there (about one standard error over the 80% target), the one whose claim check and comparisons
# add up to the most is chosen, else the best-ranked of all. The chosen one is then probed on the
# probe worlds (PROBE_SEEDS, default 9000-9004), and passes where every reading layout reaches 80%
# there too. Writes WORK/dev.md (the dev table) and WORK/chosen ("PATH passes" or "PATH fails");
# the probes are NAME.md and NAME.json beside each model. Interrupted, it resumes: averages and
# probes already made are kept.
# Usage: dev/choose_average.sh WORK BASE CONTINUED...
# Environment: KVCHAIN (build/kvchain), DEVICE (cuda), WEIGHTS, DEV_SEEDS, PROBE_SEEDS.
set -euo pipefail
work=${1:?usage: dev/choose_average.sh WORK BASE CONTINUED...}
base=${2:?usage: dev/choose_average.sh WORK BASE CONTINUED...}
shift 2
kvchain=${KVCHAIN:-build/kvchain}
read -r -a weights <<< "${WEIGHTS:-0.5 0.7 0.85 1}"
mkdir -p "$work"
# The probe's layouts that judge rather than read: ranked, not held to the reading target.
export JUDGED="claim_check comparison spelled_comparison"
worlds() {  # SEED...: generates the worlds once, prints their directories
  for seed in "$@"; do
    [ -f "$work/world-$seed/probe.jsonl" ] ||
      "$kvchain" data generate --out "$work/world-$seed" --seed "$seed" --scale 1 > /dev/null
    echo "$work/world-$seed"
  done
}
# shellcheck disable=SC2046  # the seeds are a list
mapfile -t dev_worlds < <(worlds ${DEV_SEEDS:-9100 9101 9102 9103 9104})
# shellcheck disable=SC2046
mapfile -t probe_worlds < <(worlds ${PROBE_SEEDS:-9000 9001 9002 9003 9004})
probe() {  # MODEL NAME WORLD...: NAME.json and NAME.md beside MODEL
  local model=$1 name=$2 items=()
  shift 2
  [ -f "$model/$name.json" ] && return
  for world in "$@"; do items+=(--items "$world"); done
  "$kvchain" probe --base "$model" "${items[@]}" --device "${DEVICE:-cuda}" \
    --out "$model/$name.json.partial" > "$model/$name.md"
  mv "$model/$name.json.partial" "$model/$name.json"
}
candidates=()
for continued in "$@"; do
  for w in "${weights[@]}"; do
    dir=$(dirname "$continued")/average-$w
    [ -f "$dir/model.safetensors" ] ||
      "$kvchain" average --model "$base" --model "$continued" \
        --weights "$(awk -v w="$w" 'BEGIN { printf "%.6g,%s", 1 - w, w }')" --dtype bfloat16 \
        --out "$dir" > /dev/null
    probe "$dir" dev "${dev_worlds[@]}"
    candidates+=("$dir")
  done
done
# The dev table, then the candidate to keep and whether it passes the dev rule.
python3 - "${candidates[@]}" > "$work/dev.md" <<'PY'
import json, os, sys
judged = os.environ["JUDGED"].split()
rows, best = [], {True: None, False: None}
for path in sys.argv[1:]:
    layouts = {l["layout"]: l["exact"] for l in json.load(open(f"{path}/dev.json"))["layouts"]}
    rows.append((path, layouts))
    passes = all(v >= 82.0 for k, v in layouts.items() if k not in judged)
    rank = sum(layouts.get(k, 0) for k in judged)
    for key in {False, passes}:
        if best[key] is None or rank > best[key][1]:
            best[key] = (path, rank)
names = list(rows[0][1])
print("| candidate | " + " | ".join(names) + " |")
print("| --- |" + " ---: |" * len(names))
for path, layouts in rows:
    print(f"| {path} | " + " | ".join(f"{layouts[n]:.1f}" for n in names) + " |")
chosen = best[True] or best[False]
print(f"\nchosen: {chosen[0]} {'passes' if best[True] else 'fails'}")
PY
read -r _ chosen passes < <(tail -n 1 "$work/dev.md")
probe "$chosen" probe "${probe_worlds[@]}"
if [ "$passes" = passes ] && ! python3 - "$chosen/probe.json" <<'PY'; then passes=fails; fi
import json, os, sys
layouts = json.load(open(sys.argv[1]))["layouts"]
low = [l for l in layouts if l["layout"] not in os.environ["JUDGED"].split() and l["exact"] < 80]
sys.exit(1 if low else 0)
PY
echo "$chosen $passes" > "$work/chosen"
