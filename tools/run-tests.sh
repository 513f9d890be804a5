#!/usr/bin/env bash
# run-tests.sh — what `make test` runs: every test binary given (Criterion), then the CLI
# checks, then any extra suites; ends with one summary line "tests: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0 failures=()
for bin in "$@"; do
  echo "== $bin"
  out=$("$bin" --jobs 2 --color=never 2>&1 | sed 's/\x1b\[[0-9;]*m//g'); status=${PIPESTATUS[0]}
  printf '%s\n' "$out" | grep -E 'Synthesis|FAIL|\[FAIL\]|Assertion|error|crash' | grep -v '^\s*$' | head -40
  line=$(printf '%s\n' "$out" | grep 'Synthesis' | tail -1)
  p=$(printf '%s' "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
  t=$(printf '%s' "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
  if [ -z "$t" ] || [ "$status" -ne 0 ]; then
    failures+=("$bin"); failed=$((failed + ${t:-1} - ${p:-0})); [ -z "$t" ] && printf '%s\n' "$out" | tail -20
    passed=$((passed + ${p:-0}))
  else
    passed=$((passed + p)); failed=$((failed + t - p))
  fi
done
# Suites that are programs: each ends with a line "NAME: N passed, N failed".
suites=("tests/test-cli.sh")
[ -f peers/cpython/fidelity.py ] && suites+=("/usr/bin/python3 peers/cpython/fidelity.py --quick")
[ -f tests/test-tune.sh ] && suites+=("tests/test-tune.sh")
for suite in "${suites[@]}"; do
  echo "== $suite"
  out=$($suite 2>&1); status=$?
  printf '%s\n' "$out" | tail -5
  line=$(printf '%s\n' "$out" | grep -E '^[a-z-]*:? *[0-9]+ passed, [0-9]+ failed' | tail -1)
  p=$(printf '%s' "$line" | sed -n 's/.* \?\([0-9][0-9]*\) passed.*/\1/p')
  f=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [ "$status" -ne 0 ] || [ -z "$line" ]; then failures+=("$suite"); [ -z "$line" ] && failed=$((failed + 1)); fi
done
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "tests: $passed passed, $failed failed"
[ ${#failures[@]} -eq 0 ] && [ "$failed" -eq 0 ]
