#!/usr/bin/env bash
# A suite spread over two processes (--nproc 2: each trains the adapters of whole (task, seed)
# pairs, both evaluate half of every evaluation's records, the first joins the halves and writes
# the report) gives the scores and report of one process; both read one BM25 index, made
# once under its lock. A rank killed mid-evaluation stops the run with an error naming it, and a
# rerun resumes to the same scores. Scores, intervals, findings, tokens and KV bytes are
# compared; latencies are measured and differ. One thread a process, as floats summed by more
# threads may round otherwise.
# Usage: suite_data_parallel.sh KVCHAIN BASE_DIR WORLD_DIR WORK_DIR
set -euo pipefail
kvchain=$1 base=$2 world=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
cp -r "$world" "$work/world" && rm -rf "$work/world"/index-*
export OMP_NUM_THREADS=1
suite() {  # suite NAME [ARGS...]
  cat > "$work/$1.json" <<JSON
{"name": "$1", "data": "$work/world", "base": "$base",
 "tasks": ["compression_qa", "rewrite_qa", "active_rag"], "methods": ["rag", "text", "shared"],
 "epochs": 1, "answer_epochs": 1, "train_limit": 3, "test_limit": 3, "results": "$work/results"}
JSON
  "$kvchain" suite "$work/$1.json" "${@:2}"
}
suite one > /dev/null 2> "$work/one.log"
suite two --nproc 2 > "$work/two.out" 2> "$work/two.log"
grep -q "^report: .*/two/report.md" "$work/two.out" || { echo "FAIL: no report"; exit 1; }
for rank in 0 1; do
  grep -q "^suite: rank $rank trains for " "$work/two.log" || { echo "FAIL: rank $rank took no pair"; exit 1; }
done
same_scores() {  # same_scores RUN_A RUN_B
  diff <(grep -v '"latency_s"' "$work/results/$1/scores.json") \
    <(grep -v '"latency_s"' "$work/results/$2/scores.json") >&2 &&
    diff <(untimed "$work/results/$1/report.md") <(untimed "$work/results/$2/report.md") >&2
}
untimed() {  # the report less its title, provenance and efficiency table
  awk '/^## /{skip = /^## Efficiency/} !skip && !/^# / && !/^Run on /' "$1"
}
same_scores one two || { echo "FAIL: two processes scored otherwise than one"; exit 1; }

status=0
KVCHAIN_KILL_AT=eval-example:2 KVCHAIN_KILL_RANK=1 suite killed --nproc 2 > /dev/null \
  2> "$work/killed.log" || status=$?
[ "$status" -eq 1 ] && grep -q "^error: data parallel: rank 1 of 2 was killed by signal 9" \
  "$work/killed.log" || { echo "FAIL: ended with $status, no error naming rank 1"; exit 1; }
suite killed --nproc 2 > /dev/null 2> "$work/resumed.log"
same_scores one killed || { echo "FAIL: the resumed run scored otherwise"; exit 1; }
echo "PASS: two processes ran the suite as one; a killed rank stopped it, and it resumed"
