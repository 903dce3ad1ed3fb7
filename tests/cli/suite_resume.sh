#!/usr/bin/env bash
# A small suite end to end on the tiny-llama fixture: it trains and evaluates every method of
# Compression&QA (5 adapters) and FTHSS again with deep-prefix members (the ablation: 2 more),
# writes scores.json and report.md; a second run trains and evaluates nothing
# and gives the same scores; a run whose predictions were deleted redoes only those; a run with
# another test limit evaluates everything again.
# Usage: suite_resume.sh KVCHAIN BASE_DIR WORLD_DIR WORK_DIR
set -euo pipefail
kvchain=$1 base=$2 world=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
cat > "$work/suite.json" <<JSON
{"name": "mini", "data": "$world", "base": "$base", "tasks": ["compression_qa"],
 "methods": ["native", "rag", "single", "text", "distill", "shared", "shared-evict"],
 "epochs": 1, "answer_epochs": 1, "train_limit": 3, "test_limit": 2, "results": "$work/results",
 "ablation": {"adapter": "prefix", "tasks": ["compression_qa"], "methods": ["shared"]}}
JSON
"$kvchain" suite "$work/suite.json" > "$work/first.out" 2> "$work/first.log"
run=$work/results/mini
for f in scores.json scores.csv report.md plots/compression_qa-em.svg; do [ -s "$run/$f" ] || { echo "FAIL: no $f"; exit 1; }; done
grep -q "| FTHSS, P_A and x_A evicted |" "$run/report.md" || { echo "FAIL: report lacks a method row"; exit 1; }
grep -q "^| Compression&QA | FTHSS | 0 | em | 2 | .* | .* | .* | .* | .* |$" "$run/report.md" &&
  grep -q "^## Ablation: prefix, 50 virtual tokens against prompt, 50 virtual tokens" "$run/report.md" &&
  [ -s "$run/ablation-prefix/predictions/compression_qa-shared-s0.jsonl" ] ||
  { echo "FAIL: the report or the results lack the ablation"; exit 1; }
trained=$(grep -c "^suite: train" "$work/first.log")
[ "$trained" -eq 7 ] || { echo "FAIL: first run trained $trained adapters, expected 7"; exit 1; }
cp "$run/scores.json" "$work/scores-first.json"

"$kvchain" suite "$work/suite.json" > /dev/null 2> "$work/second.log"
! grep -q "^suite: train\|compression_qa .* \[" "$work/second.log" ||
  { echo "FAIL: the second run redid work"; exit 1; }
cmp "$run/scores.json" "$work/scores-first.json"

rm "$run/predictions/compression_qa-text-s0.summary.json"
"$kvchain" suite "$work/suite.json" > /dev/null 2> "$work/third.log"
redone=$(grep -c "compression_qa text \[" "$work/third.log" || true)
[ "$redone" -gt 0 ] && ! grep -q "^suite: train" "$work/third.log" ||
  { echo "FAIL: a deleted evaluation was not redone alone"; exit 1; }
"$kvchain" report compare "$work/scores-first.json" "$run/scores.json"

# Kept predictions made under other settings (here a smaller test limit) are evaluated again,
# never reused: every method, with no training.
sed 's/"test_limit": 2/"test_limit": 1/' "$work/suite.json" > "$work/suite-one.json"
"$kvchain" suite "$work/suite-one.json" > /dev/null 2> "$work/fourth.log"
stale=$(grep -c "made with other settings; evaluating again" "$work/fourth.log" || true)
[ "$stale" -eq 8 ] && ! grep -q "^suite: train" "$work/fourth.log" &&
  grep -q "^| Compression&QA | FTHSS | 0 | 1 | " "$run/report.md" ||
  { echo "FAIL: $stale of 8 evaluations made with another test limit were redone"; exit 1; }
echo "PASS: suite ran, resumed, redid only what was missing, and redid what other settings made"
