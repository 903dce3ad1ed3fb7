#!/usr/bin/env bash
# Runs one command as a user would and checks what it did: its exit status and its output
# (stdout and stderr together), against patterns and numbers. Every CLI test goes through it,
# so none passes on the words alone when the exit status is wrong, or on a number's presence
# when its value is wrong.
# Usage: expect.sh [--exit N] [--match RE]... [--absent RE]... [--number RE OP VALUE]... -- CMD...
#   --exit N              the exit status the command must end with (default 0)
#   --match RE            an extended regular expression the output must contain
#   --absent RE           one it must not contain
#   --number RE OP VALUE  RE holds one (group) that captures a number in the output (its first
#                         match); the number must satisfy OP VALUE, OP one of == != < <= > >=
set -uo pipefail
want_exit=0
matches=() absents=() numbers=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case $1 in
    --exit) want_exit=$2; shift 2 ;;
    --match) matches+=("$2"); shift 2 ;;
    --absent) absents+=("$2"); shift 2 ;;
    --number) numbers+=("$2" "$3" "$4"); shift 4 ;;
    *) echo "expect.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "${1:-}" = "--" ] || { echo "expect.sh: no -- before the command" >&2; exit 2; }
shift
output=$("$@" 2>&1)
status=$?
failed=0
fail() { echo "FAIL: $*"; failed=1; }
[ "$status" -eq "$want_exit" ] || fail "exit status $status, expected $want_exit"
for re in "${matches[@]}"; do
  grep -qE -- "$re" <<< "$output" || fail "output lacks /$re/"
done
for re in "${absents[@]}"; do
  ! grep -qE -- "$re" <<< "$output" || fail "output has /$re/"
done
for ((i = 0; i < ${#numbers[@]}; i += 3)); do
  re=${numbers[i]} op=${numbers[i + 1]} value=${numbers[i + 2]}
  if [[ $output =~ $re ]] && [ -n "${BASH_REMATCH[1]:-}" ]; then
    got=${BASH_REMATCH[1]}
    awk -v a="$got" -v b="$value" -v op="$op" 'BEGIN {
      a += 0; b += 0; ok = 0
      if (op == "==") ok = a == b
      else if (op == "!=") ok = a != b
      else if (op == "<") ok = a < b
      else if (op == "<=") ok = a <= b
      else if (op == ">") ok = a > b
      else if (op == ">=") ok = a >= b
      exit !ok }' || fail "/$re/ gives $got, expected $op $value"
  else
    fail "output lacks a number for /$re/"
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "--- command: $*"
  echo "--- output:"
  printf '%s\n' "$output"
  exit 1
fi
echo "PASS: $1 exited $status; ${#matches[@]} patterns, ${#absents[@]} absent, $((${#numbers[@]} / 3)) numbers checked"
