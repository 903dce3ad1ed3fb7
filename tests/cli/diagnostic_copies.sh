#!/usr/bin/env bash
# The diagnostic chain, reduced for CI: on the shipped base, at the smoke's budget (40 training
# records, 2 epochs for the extractor and 4 for the copier, the default learning rate), the
# extractor and the copier are prompt-tuned, and with the extractor's output forced to gold the
# copier must repeat it, as a text-chain member and as an FTHSS member. Both must copy at least
# MIN_EM (90, the issue's CPU target) of 40 dev items: an untrained copier copies none, so this
# fails if either method's train -> infer path breaks or the tasks' layout stops suiting the base.
# Usage: diagnostic_copies.sh KVCHAIN BASE_DIR WORLD_DIR WORK_DIR
set -euo pipefail
kvchain=$1 base=$2 world=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
cat > "$work/suite.json" <<JSON
{"name": "diagnostic", "data": "$world", "base": "$base", "tasks": ["diagnostic"],
 "methods": ["text", "shared"], "seeds": [0], "epochs": 2, "answer_epochs": 4,
 "train_limit": 40, "test_limit": 40, "eval_split": "dev",
 "device": "cpu", "results": "$work/results"}
JSON
"$kvchain" suite "$work/suite.json" > /dev/null 2> "$work/suite.log"
scores=$work/results/diagnostic/scores.csv
status=0
for method in text shared; do
  em=$(awk -F, -v m="$method" '$1 == "diagnostic" && $2 == m { print $5 }' "$scores")
  echo "diagnostic $method: EM $em on 40 dev items"
  awk -v em="$em" -v min="${MIN_EM:-90}" 'BEGIN { exit !(em != "" && em >= min) }' || status=1
done
[ "$status" = 0 ] && echo "PASS: both methods copy the extractor's output" ||
  echo "FAIL: a method copies less than ${MIN_EM:-90}% (report: $work/results/diagnostic/report.md)"
exit "$status"
