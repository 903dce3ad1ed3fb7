#!/usr/bin/env bash
# data/base/make_base.sh trains in stages: each stage reads new worlds (seeds following the last
# stage's) of its reading variety, continues the stage before, and is probed; the last stage
# writes OUT_DIR; a rerun skips the stages that finished. kvchain's pretrain and probe (minutes
# on any real data) are stood in for by a recorder that logs its arguments and keeps the
# documents it was given; `data generate` is the real one.
# Usage: make_base_stages.sh KVCHAIN REPO_ROOT WORK_DIR
set -euo pipefail
real=$1 repo=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
cat > "$work/recorder" <<STUB
#!/usr/bin/env bash
set -euo pipefail
[ "\$1" = data ] && exec "$real" "\$@"
echo "\$*" >> "$work/calls"
out=\$(echo "\$*" | sed 's/.*--out \([^ ]*\).*/\1/')
if [ "\$1" = average ]; then
  mkdir -p "\$out"
elif [ "\$1" = pretrain ]; then
  mkdir -p "\$out" && cp "\$(echo "\$*" | sed 's/.*--data \([^ ]*\) --out.*/\1/')" "\$out/read.jsonl"
else
  echo "| probe |" && echo "{}" > "\$out"
fi
STUB
chmod +x "$work/recorder"
run() {
  KVCHAIN="$work/recorder" STAGES="2:fixed:1e-3 1:drawn:5e-4 1:cited:5e-4" EVAL_SCALE=1 \
    PROBE_WORLDS=1 FIRST_SEED=300 bash "$repo/data/base/make_base.sh" "$work/base" > "$work/log"
}
run
pretrains() { grep -c "^pretrain" "$work/calls"; }
[ "$(pretrains)" = 3 ] || fail "$(pretrains) pretraining runs, not 3"
expect_call() {  # LINE PATTERN
  sed -n "$1p" "$work/calls" | grep -qE -- "$2" || fail "call $1 lacks '$2': $(sed -n "$1p" "$work/calls")"
}
expect_call 1 "--out $work/base.work/stage-1 .*--preset mini --lr 1e-3"
expect_call 3 "--out $work/base.work/stage-2 .*--init $work/base.work/stage-1 --lr 5e-4"
expect_call 5 "--out $work/base .*--init $work/base.work/stage-2 --lr 5e-4"
for world in fixed-300 fixed-301 drawn-302 cited-303; do
  grep -q "\"reading\": \"${world%-*}\"" "$work/base.work/worlds/$world/manifest.json" ||
    fail "no world $world"
done
marks() { tr -cd "$1" < "$2" | wc -c; }
[ "$(marks '~@^$&[]' "$work/base.work/stage-1/read.jsonl")" = 0 ] ||
  fail "the fixed stage read drawn styles or citations"
[ "$(marks '~@^$&' "$work/base.work/stage-2/read.jsonl")" -gt 0 ] || fail "stage 2 drew no styles"
[ "$(marks '[]' "$work/base/read.jsonl")" -gt 0 ] || fail "the cited stage read no citations"
# A rerun after the last stage was interrupted (no probe yet) trains that stage alone.
rm "$work/base/probe.json" "$work/calls"
run
[ "$(pretrains)" = 1 ] || fail "the rerun trained $(pretrains) stages, not 1"
expect_call 1 "--out $work/base .*--init $work/base.work/stage-2"
# With AVERAGE the last stage trains beside the others, and OUT_DIR is the average of the last
# two, W of the last's, probed.
rm -rf "$work/base" "$work/calls"
AVERAGE=0.85 run
[ "$(pretrains)" = 1 ] || fail "the averaged rerun trained $(pretrains) stages, not 1"
expect_call 1 "--out $work/base.work/stage-3 .*--init $work/base.work/stage-2"
expect_call 3 "^average --model $work/base.work/stage-2 --model $work/base.work/stage-3 --weights 0.15,0.85 --out $work/base$"
expect_call 4 "^probe --base $work/base "
grep -q "^make_base: the last two stages averaged, 0.85 of the last" "$work/log" ||
  fail "no line on the average"
AVERAGE=0.85 STAGES=1:fixed:1e-3 bash "$repo/data/base/make_base.sh" "$work/one" 2> "$work/err" &&
  fail "AVERAGE with one stage ran"
grep -q "^error: make_base: AVERAGE needs two stages" "$work/err" || fail "$(cat "$work/err")"
echo "make_base: 3 stages chained, each on its own worlds; a rerun resumed at stage 3; AVERAGE averaged the last two"
