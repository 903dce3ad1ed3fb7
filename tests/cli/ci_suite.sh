#!/usr/bin/env bash
# CI's subset of the smoke suite (experiments/suites/ci.json): the embedded world and base, all
# four tasks and all seven methods, on a few examples each, written under OUT_DIR (the build
# folder), never into the checkout. Its report is the CI run's artifact; the smoke suite itself
# (experiments/suites/smoke.json) is the README's main command.
# Usage: ci_suite.sh KVCHAIN OUT_DIR (run from anywhere)
set -euo pipefail
kvchain=$1 out=$2
cd "$(dirname "$0")/../.."
rm -rf "$out" && mkdir -p "$out"
sed -e "s|\"results/world\"|\"$out/world\"|" -e "s|\"results\": \"results\"|\"results\": \"$out\"|" \
  experiments/suites/ci.json > "$out/ci.json"
grep -q "\"results\": \"$out\"" "$out/ci.json" || { echo "FAIL: ci.json's layout changed"; exit 1; }
"$kvchain" suite "$out/ci.json" 2> "$out/suite.log" | tee "$out/suite.out"
report=$out/ci/report.md
# Each task's columns under its title as the paper writes it.
for title in "Compression&QA" "Rewrite&QA" "Memory&Reasoning" "Active RAG"; do
  grep -q "| Method | .*$title" "$report" || { echo "FAIL: $report lacks $title"; exit 1; }
done
# The score table's method rows, each with a number in every column.
rows=$(awk '/^## Scores/{on=1; next} /^## /{on=0} on' "$report" |
  grep -cE "^\| [A-Z][^|]* \|( \**[0-9]+\.[0-9]\** \|)+$" || true)
[ "$rows" -eq 7 ] || { echo "FAIL: $report has $rows of 7 method rows"; exit 1; }
grep -q "## The paper's findings on this run" "$report" || { echo "FAIL: no findings"; exit 1; }
# Every finding decided on every task from the paired tests the suite ran.
decided=$(grep -c "^- .*: holds on [0-9]*, does not hold on [0-9]*, not decided on [0-9]* of 4 tasks$" \
  "$report" || true)
[ "$decided" -eq 4 ] || { echo "FAIL: $report decides $decided of 4 findings on 4 tasks"; exit 1; }
! grep -q "no paired test" "$report" || { echo "FAIL: $report lacks a paired test"; exit 1; }
echo "PASS: CI suite report in $report"
