#!/usr/bin/env bash
# run.sh — runs the libFuzzer targets built by fuzz/fuzz.mk (docs/fuzzing.md).
#   run.sh long  [TARGET...] make fuzz: each target FUZZ_SECONDS (default 600), its corpus kept
#                            in build/fuzz/corpus/TARGET/ (grown from fuzz/corpus/TARGET/ and
#                            tests/fuzz-regress/TARGET/), a finding saved in
#                            build/fuzz/findings/TARGET/, the log in build/fuzz/logs/TARGET.log
#   run.sh check [TARGET...] make test's short run: every file of tests/fuzz-regress/TARGET/
#                            once (a test each), then each target FUZZ_SECONDS (default 10)
#                            from its seed corpus in a scratch folder (a test each)
# No TARGET: every fuzz/fuzz_TARGET.c. The figures printed per target: runs, exec/s (wall:
# libFuzzer's own), exec per CPU second (the machine may be shared), the coverage reached.
# Both end with the line "fuzz: N passed, N failed" (tools/run-tests.sh reads it). A finding
# is a crash, a sanitizer report, a failed check or heap verification, a leak, or an input
# running longer than FUZZ_TIMEOUT seconds (default 25); copy it into tests/fuzz-regress/TARGET/
# once it is fixed, so that make test replays it from then on.
set -u
cd "$(dirname "$0")/.."
mode=${1:-}; shift || true
[ "$mode" = long ] || [ "$mode" = check ] || { echo "usage: run.sh long|check TARGET..." >&2; exit 2; }
seconds=${FUZZ_SECONDS:-$([ "$mode" = long ] && echo 600 || echo 10)}
timeout_s=${FUZZ_TIMEOUT:-25}
# the embedded CPython is never finalized: its blocks are not leaks (tools/lsan-libpython.supp)
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tools/lsan-libpython.supp:print_suppressions=0}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz/fuzz_*.c; do f=${f#fuzz/fuzz_}; targets+=("${f%.c}"); done
fi
passed=0 failed=0
TIMEFORMAT='%U %S'
mkdir -p build/fuzz/logs
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# one NAME OK: counts a test, prints a failure
one() {
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "  FAIL $1"; fi
}

for t in "${targets[@]}"; do
  bin=build/fuzz/$t
  [ -x "$bin" ] || { echo "run.sh: $bin is not built (make fuzz-build)" >&2; one "$t: not built" 1; continue; }
  regress=tests/fuzz-regress/$t
  flags=(-max_len=8192 -dict=fuzz/trace.dict -timeout="$timeout_s" -print_final_stats=1)
  if [ "$mode" = check ]; then
    n=0
    for f in "$regress"/*; do
      [ -f "$f" ] || continue
      "$bin" -timeout="$timeout_s" "$f" > "$tmp/one.log" 2>&1; st=$?
      [ $st -eq 0 ] || tail -30 "$tmp/one.log"
      one "$t: regression $f" $st; n=$((n + 1))
    done
    mkdir -p "$tmp/$t" "$tmp/findings-$t"
    log=build/fuzz/logs/$t-check.log
    { time "$bin" "${flags[@]}" -max_total_time="$seconds" -artifact_prefix="$tmp/findings-$t/" "$tmp/$t" fuzz/corpus/"$t" > "$log" 2>&1; } 2> "$tmp/cpu"; st=$?
  else
    mkdir -p build/fuzz/corpus/"$t" build/fuzz/findings/"$t"
    log=build/fuzz/logs/$t.log
    dirs=(build/fuzz/corpus/"$t" fuzz/corpus/"$t")
    [ -d "$regress" ] && dirs+=("$regress")
    echo "== $t: $seconds s (log: $log)"
    { time "$bin" "${flags[@]}" -max_total_time="$seconds" -artifact_prefix=build/fuzz/findings/"$t"/ "${dirs[@]}" > "$log" 2>&1; } 2> "$tmp/cpu"; st=$?
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  cpu=$(awk '{ printf "%.1f", $1 + $2 }' "$tmp/cpu")
  per_cpu=$(awk -v r="${runs:-0}" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? r / c : 0) }')
  echo "  $t: ${runs:-?} runs, ${rate:-?} exec/s, $per_cpu exec per CPU s ($cpu CPU s), ${cov:-cov: ?}, ${seconds} s$([ "$mode" = check ] && echo ", $n regression files")"
  if [ $st -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|check failed|fatal|runtime error|Test unit written' "$log" | head -10
    echo "  $t: a finding (exit status $st): see $log"
  fi
  one "$t: $seconds s of fuzzing" $st
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
