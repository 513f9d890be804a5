#!/usr/bin/env bash
# run-tests.sh — what `make test` runs: every test binary given (Criterion), then the program
# suites (the CLI checks, the CPython fidelity check, tune's checks); ends with one summary
# line "tests: N passed, N failed".
#
# Counts come from machine-readable output only: a Criterion binary's --json report (its
# tests' statuses: PASSED passes, FAILED and ERRORED (crashed) fail; its totals count a crash
# in both "failed" and "errored"), and a program suite's last line of the exact form
# "NAME: N passed, N failed" (NAME: cli, fidelity, tune, resume). Each suite's counts are printed as
# it finishes ("  = NAME: N passed, N failed"), and the summary is their sum, so a reader can
# check it. A suite that crashes, writes no report or prints no count line counts one failure
# of its own; so does one that exits non-zero while reporting no failure.
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 failures=()
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# tally NAME P F STATUS: adds one suite's counts (one failure more when it exited non-zero
# without reporting one), prints them, remembers a failed suite.
tally() {
  local name=$1 p=$2 f=$3 status=$4
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  echo "  = $name: $p passed, $f failed"
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -ne 0 ]; then failures+=("$name"); fi
}

for bin in "$@"; do
  echo "== $bin"
  report=$tmp/report.json
  rm -f "$report"
  "$bin" --jobs 2 --color=never --json="$report" > "$tmp/out" 2>&1; status=$?
  out=$(sed 's/\x1b\[[0-9;]*m//g' "$tmp/out")
  printf '%s\n' "$out" | grep -E 'Synthesis|FAIL|\[FAIL\]|Assertion|error|crash' | grep -v '^\s*$' | head -40
  counts=$(/usr/bin/python3 -c '
import json, sys
tests = [t["status"] for s in json.load(open(sys.argv[1]))["test_suites"] for t in s["tests"]]
print(tests.count("PASSED"), tests.count("FAILED") + tests.count("ERRORED"))' "$report" 2>/dev/null)
  if [[ "$counts" =~ ^([0-9]+)\ ([0-9]+)$ ]]; then
    tally "$bin" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "$status"
  else
    printf '%s\n' "$out" | tail -20
    echo "$bin: no Criterion report (exit status $status)"
    tally "$bin" 0 1 "$status"
  fi
done

# Program suites: NAME and command; each ends with the line "NAME: N passed, N failed".
suites=("cli|tests/test-cli.sh")
[ -f peers/cpython/fidelity.py ] && suites+=("fidelity|/usr/bin/python3 peers/cpython/fidelity.py --quick")
[ -f tests/test-tune.sh ] && suites+=("tune|tests/test-tune.sh")
[ -f tests/test-resume.py ] && suites+=("resume|/usr/bin/python3 tests/test-resume.py")
[ -x fuzz/run.sh ] && suites+=("fuzz|fuzz/run.sh check")   # the short fuzz run (fuzz/run.sh)
for suite in "${suites[@]}"; do
  name=${suite%%|*} cmd=${suite#*|}
  echo "== $cmd"
  out=$($cmd 2>&1); status=$?
  printf '%s\n' "$out" | tail -5
  line=$(printf '%s\n' "$out" | grep -E "^$name: [0-9]+ passed, [0-9]+ failed\$" | tail -1)
  if [[ "$line" =~ ^$name:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    tally "$name" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "$status"
  else
    echo "$name: no line \"$name: N passed, N failed\" (exit status $status)"
    tally "$name" 0 1 "$status"
  fi
done
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "tests: $passed passed, $failed failed"
[ ${#failures[@]} -eq 0 ]
