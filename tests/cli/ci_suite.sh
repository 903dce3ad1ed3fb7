#!/usr/bin/env bash
# CI's subset of the smoke suite (experiments/suites/ci.json): the embedded world and base, all four
# tasks and all seven methods, on a few examples each. Its report stays in results/ci/ as the
# run's artifact; the smoke suite itself (experiments/suites/smoke.json) is the README's main command.
# Usage: ci_suite.sh KVCHAIN (run from anywhere; works in the checkout)
set -euo pipefail
kvchain=$1
cd "$(dirname "$0")/../.."
rm -rf results/ci && mkdir -p results/ci
"$kvchain" suite experiments/suites/ci.json 2> results/ci/suite.log | tee results/ci/suite.out
report=results/ci/report.md
for task in compression_qa rewrite_qa memory_reasoning active_rag; do
  grep -q "| Method | .*$task" "$report" || { echo "FAIL: $report lacks $task"; exit 1; }
done
# The score table's method rows, each with a number in every column.
rows=$(awk '/^## Scores/{on=1; next} /^## /{on=0} on' "$report" |
  grep -cE "^\| [A-Z][^|]* \|( \**[0-9]+\.[0-9]\** \|)+$" || true)
[ "$rows" -eq 7 ] || { echo "FAIL: $report has $rows of 7 method rows"; exit 1; }
grep -q "## The paper's findings on this run" "$report" || { echo "FAIL: no findings"; exit 1; }
echo "PASS: CI suite report in $report"
