#!/usr/bin/env bash
# Runs one fuzz target for SECONDS from its seeds (files or folders, copied into a fresh corpus
# under WORK, so the sources stay untouched) and prints libFuzzer's execution count. A crash,
# leak, timeout or out-of-memory exits non-zero and leaves the input as WORK/crash-*: make it a
# regression test (tests/fuzz/README.md).
# Usage: run_fuzzer.sh FUZZER WORK SECONDS SEED...
set -euo pipefail
fuzzer=$(realpath "$1") work=$(realpath -m "$2") seconds=$3
shift 3
rm -rf "$work" && mkdir -p "$work/corpus"
for seed in "$@"; do
  if [ -d "$seed" ]; then cp -r "$seed"/. "$work/corpus/"; else cp "$seed" "$work/corpus/"; fi
done
cd "$work"
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" corpus > fuzz.log 2>&1 || { tail -n 40 fuzz.log; exit 1; }
grep -E "^Done [0-9]+ runs" fuzz.log
