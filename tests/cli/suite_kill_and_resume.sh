#!/usr/bin/env bash
# A suite killed mid-training and then mid-evaluation (SIGKILL at a fault point,
# KVCHAIN_KILL_AT: no timing involved) resumes each time and ends with the scores of an
# uninterrupted run, every score equal.
# Usage: suite_kill_and_resume.sh KVCHAIN BASE_DIR WORLD_DIR WORK_DIR
set -euo pipefail
kvchain=$1 base=$2 world=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
suite() {  # NAME: a suite of Compression&QA's text chain and FTHSS writing into WORK/NAME
  cat > "$work/$1.json" <<JSON
{"name": "mini", "data": "$world", "base": "$base", "tasks": ["compression_qa"],
 "methods": ["text", "shared"], "epochs": 1, "answer_epochs": 1, "train_limit": 4,
 "test_limit": 3, "results": "$work/$1"}
JSON
  "$kvchain" suite "$work/$1.json"
}
suite whole > /dev/null 2> "$work/whole.log"

status=0
KVCHAIN_KILL_AT=train-step:3 suite killed > /dev/null 2> "$work/kill-train.log" || status=$?
[ "$status" -eq 137 ] || { echo "FAIL: the run to kill in training ended with $status"; exit 1; }
[ ! -e "$work/killed/mini/scores.json" ] || { echo "FAIL: scores written before the end"; exit 1; }
status=0
KVCHAIN_KILL_AT=eval-example:2 suite killed > /dev/null 2> "$work/kill-eval.log" || status=$?
[ "$status" -eq 137 ] || { echo "FAIL: the run to kill in evaluation ended with $status"; exit 1; }
grep -q "^suite: train" "$work/kill-eval.log" || { echo "FAIL: the second run trained nothing"; exit 1; }
suite killed > /dev/null 2> "$work/resume.log"

# Equal scores both ways: no score of one run is below the other's.
"$kvchain" report compare "$work/whole/mini/scores.json" "$work/killed/mini/scores.json" --tolerance 0
"$kvchain" report compare "$work/killed/mini/scores.json" "$work/whole/mini/scores.json" --tolerance 0
echo "PASS: suite killed in training and in evaluation resumed to the uninterrupted run's scores"
