#!/usr/bin/env bash
# test-tune.sh — `gcscope tune` as a user meets it: one-line errors with exit 2, a full grid
# with its files and recommendation, successive halving with a heatmap, constraints, several
# workloads, and resuming after an interrupt (SIGINT, as Ctrl-C) and after a kill (SIGKILL):
# the rerun reuses every stored run and measures only the rest, leaving stored files untouched.
# Tiny workload sizes, so it runs in well under a minute. Prints "tune: N passed, N failed".
#   usage: tests/test-tune.sh [GCSCOPE]      (default build/gcscope)
set -u
cd "$(dirname "$0")/.."
bin=${1:-build/gcscope}
passed=0 failed=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

ok()  { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

if [ ! -x "$bin" ]; then bad "$bin not built"; echo "tune: $passed passed, $failed failed"; exit 1; fi

# usage_error PATTERN ARGS... : exit 2, exactly one line on stderr, prefixed, matching PATTERN
usage_error() {
  local pat=$1; shift
  local err status
  err=$("$bin" tune "$@" 2>&1 >/dev/null); status=$?
  if [ "$status" -ne 2 ]; then bad "tune $* exited $status, want 2: $err"; return; fi
  if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then bad "tune $*: want one line, got: $err"; return; fi
  if ! printf '%s' "$err" | grep -qE -- "^gcscope: tune: .*$pat"; then bad "tune $*: '$err' does not match '$pat'"; return; fi
  ok
}

# --- help and argument errors --------------------------------------------------------------
out=$("$bin" tune --help 2>&1); status=$?
if [ "$status" -eq 0 ] && printf '%s' "$out" | grep -q 'successive halving' && printf '%s' "$out" | grep -q -- '--constraint'; then ok; else bad "tune --help ($status): $out"; fi
"$bin" --help | grep -q 'gcscope tune' && ok || bad "gcscope --help does not mention tune"

C=(--collector cpython --workload binary-trees)
usage_error '--collector C is required'
usage_error '--workload W is required' --collector cpython --knob threshold0=1
usage_error 'at least one --knob' "${C[@]}"
usage_error "unknown collector 'nope'" --collector nope --workload binary-trees --knob threshold0=1
usage_error "unknown workload 'nope' \\(expected one of: .*binary-trees" --collector cpython --workload nope --knob threshold0=1
usage_error "no knob 'threshold9'" "${C[@]}" --knob threshold9=1,2
usage_error 'LO must be below HI' "${C[@]}" --knob threshold0=1000:10:log:4
usage_error 'a log range needs LO > 0' "${C[@]}" --knob threshold0=0:1000:log:4
usage_error 'LO:HI:lin:N or LO:HI:log:N' "${C[@]}" --knob threshold0=1:1000:geo:4
usage_error 'outside threshold0' "${C[@]}" --knob threshold0=1,2000000000000
usage_error "'x' is not one of arena\|pool\|none" "${C[@]}" --knob release=arena,x
usage_error 'give a list, not a range' "${C[@]}" --knob release=1:2:lin:2
usage_error '--objective speed: expected one of' "${C[@]}" --knob threshold0=1 --objective speed
usage_error "unit 'MiB' is not a time unit" "${C[@]}" --knob threshold0=1 --constraint 'max-pause<=2MiB'
usage_error 'expected METRIC<=VALUE' "${C[@]}" --knob threshold0=1 --constraint 'max-pause=2ms'
usage_error '--jobs 0: expected an integer >= 1' "${C[@]}" --knob threshold0=1 --jobs 0
usage_error "unknown argument '--frob'" "${C[@]}" --knob threshold0=1 --frob
usage_error '--budget expects a value' "${C[@]}" --knob threshold0=1 --budget
usage_error "--set depth=99: expected an integer in 6..24" "${C[@]}" --knob threshold0=1 --set depth=99

# --- a full grid: the files, the recommendation beside the defaults -------------------------
T=(--collector cpython --workload binary-trees --set depth=8)
out=$("$bin" tune "${T[@]}" --knob threshold0=100,1000,10000 --reps 3 --jobs 2 --out "$tmp/grid" 2>"$tmp/grid.err"); status=$?
if [ "$status" -eq 0 ]; then ok; else bad "grid tune exited $status: $(cat "$tmp/grid.err")"; fi
for pat in '^search: full grid' '^recommendation: threshold0=' 'defaults \(threshold0=700\)' \
           'gc\.set_threshold\([0-9]+, 10, 10\)' 'CPU time .*\[.*-.*\]' 'p99 pause' 'peak RSS'; do
  printf '%s\n' "$out" | grep -qE -- "$pat" && ok || bad "grid tune output lacks '$pat': $out"
done
grep -qE 'cells done 4/4, 0 left; runs left 0; time left' "$tmp/grid.err" && ok || bad "no final progress line: $(cat "$tmp/grid.err")"
for f in cells.tsv cells.json frontier.tsv frontier.png frontier.gp recommendation.txt; do
  [ -s "$tmp/grid/$f" ] && ok || bad "grid tune wrote no $f"
done
[ "$(ls "$tmp/grid/cells" | wc -l)" -eq 12 ] && ok || bad "grid: want 12 stored runs (4 cells x 3), got $(ls "$tmp/grid/cells" | wc -l)"
[ "$(grep -vc '^#' "$tmp/grid/cells.tsv")" -eq 4 ] && ok || bad "cells.tsv: want 4 rows"
file "$tmp/grid/frontier.png" | grep -q 'PNG image data' && ok || bad "frontier.png is not a PNG"
[ ! -e "$tmp/grid/heatmap.png" ] && ok || bad "heatmap.png with one knob"

# --- successive halving over two knobs, a heatmap, a constraint -----------------------------
out=$("$bin" tune "${T[@]}" --knob threshold0=100:100000:log:6 --knob threshold1=5,10,20 --budget 4 --reps 3 \
      --jobs 2 --objective time,max-pause --constraint 'peak-rss<=1GiB' --out "$tmp/sh" 2>"$tmp/sh.err"); status=$?
[ "$status" -eq 0 ] && ok || bad "halving tune exited $status: $(cat "$tmp/sh.err")"
printf '%s\n' "$out" | grep -qE '^search: successive halving over [0-9]+ of 18 settings, rungs [0-9]+x1 -> [0-9]+x3' && ok \
  || bad "halving: no search line: $out"
printf '%s\n' "$out" | grep -q 'constraint peak-rss<=1GiB: met' && ok || bad "halving: constraint not reported: $out"
file "$tmp/sh/heatmap.png" 2>/dev/null | grep -q 'PNG image data' && ok || bad "two knobs: no heatmap.png"
runs=$(ls "$tmp/sh/cells" | wc -l)
[ "$runs" -le $((4 * 3 + 3)) ] && ok || bad "halving spent $runs runs, over the budget (4 cells x 3 reps + the defaults' 3)"

# a halving tune resumes too: the same command again measures nothing, answers the same
out2=$("$bin" tune "${T[@]}" --knob threshold0=100:100000:log:6 --knob threshold1=5,10,20 --budget 4 --reps 3 \
      --jobs 2 --objective time,max-pause --constraint 'peak-rss<=1GiB' --out "$tmp/sh" 2>"$tmp/sh.err"); status=$?
[ "$status" -eq 0 ] && printf '%s\n' "$out2" | grep -qE "\(0 measured now, $runs reused" && ok \
  || bad "halving rerun ($status): $(printf '%s\n' "$out2" | grep '^search') $(tail -3 "$tmp/sh.err")"
[ "$(printf '%s\n' "$out" | grep '^recommendation')" = "$(printf '%s\n' "$out2" | grep '^recommendation')" ] && ok \
  || bad "halving rerun recommends differently"

# an unmeetable constraint: no recommendation, said plainly
out=$("$bin" tune "${T[@]}" --knob threshold0=100,1000 --reps 1 --constraint 'peak-rss<=1KiB' --out "$tmp/c" --quiet 2>&1); status=$?
[ "$status" -eq 0 ] && printf '%s' "$out" | grep -q 'recommendation: none' && ok || bad "unmeetable constraint ($status): $out"

# several workloads: figures per workload, ratios to the defaults on the frontier
out=$("$bin" tune --collector cpython --workload binary-trees --workload rings --set depth=8 --set rounds=20 \
      --knob threshold0=100,10000 --reps 1 --out "$tmp/multi" --quiet 2>&1); status=$?
[ "$status" -eq 0 ] && printf '%s' "$out" | grep -q 'on rings:' && printf '%s' "$out" | grep -q 'geometric mean over workloads' \
  && ok || bad "two workloads ($status): $out"

# --- resume: interrupted, then rerun with the same arguments ------------------------------
# 16 settings x 3 reps + the defaults' 3 = 51 runs, one at a time
R=(tune --collector cpython --workload binary-trees --set depth=11 --knob threshold0=100:100000:log:16 --reps 3 --jobs 1)
want=51
# resume_after SIGNAL DIR: start a tune, signal it once a few runs are stored, rerun it
resume_after() {
  local sig=$1 dir=$2
  # bash ignores SIGINT in background jobs; restore it, as in a terminal where Ctrl-C works
  /usr/bin/python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
    "$bin" "${R[@]}" --out "$dir" >"$dir.out1" 2>"$dir.err1" &
  local pid=$! i
  for i in $(seq 400); do
    [ "$(ls "$dir/cells" 2>/dev/null | wc -l)" -ge 5 ] && break
    sleep 0.025
  done
  kill -"$sig" "$pid"; { wait "$pid"; } 2>/dev/null; local status=$?
  local stored; stored=$(ls "$dir/cells" | wc -l)
  if [ "$sig" = INT ]; then
    [ "$status" -eq 130 ] && grep -q 'interrupted; .* run the same command again to resume' "$dir.err1" && ok \
      || bad "SIGINT: exit $status, want 130 and a resume hint: $(cat "$dir.err1")"
  else
    [ "$status" -eq 137 ] && ok || bad "SIGKILL: exit $status, want 137"
  fi
  if [ "$stored" -ge 5 ] && [ "$stored" -lt "$want" ]; then ok; else bad "$sig: $stored runs stored at the interrupt, want 5..$((want - 1))"; return; fi
  (cd "$dir/cells" && stat -c '%n %i %Y' -- * | sort) >"$dir.before"
  local out; out=$("$bin" "${R[@]}" --out "$dir" 2>"$dir.err2"); status=$?
  [ "$status" -eq 0 ] && ok || bad "$sig: the rerun exited $status: $(cat "$dir.err2")"
  printf '%s\n' "$out" | grep -qE "^search: .* $want runs \($((want - stored)) measured now, $stored reused from an earlier run\)" && ok \
    || bad "$sig: the rerun should measure $((want - stored)) and reuse $stored: $(printf '%s\n' "$out" | grep '^search')"
  # every run stored before the interrupt is still the same file (name, inode, mtime)
  local same; same=$( (cd "$dir/cells" && stat -c '%n %i %Y' -- * | sort) | grep -Fxc -f "$dir.before")
  [ "$same" -eq "$stored" ] && ok || bad "$sig: $((stored - same)) runs stored before the interrupt were rewritten"
  [ "$(ls "$dir/cells" | wc -l)" -eq "$want" ] && ok || bad "$sig: want $want stored runs after the rerun"
  printf '%s\n' "$out" | grep -q '^recommendation: ' && ok || bad "$sig: no recommendation after resuming"
  # a third run measures nothing
  out=$("$bin" "${R[@]}" --out "$dir" --quiet 2>&1)
  printf '%s\n' "$out" | grep -qE "\(0 measured now, $want reused" && ok || bad "$sig: a third run re-measured: $(printf '%s\n' "$out" | grep '^search')"
}
resume_after INT "$tmp/int"
# the log range, rounded to the fewest digits that keep 16 values distinct, ends exact
vals=$(awk -F'\t' '!/^#/ && $4 != -1 {print $2}' "$tmp/int/cells.tsv" | sort -n | tr '\n' ' ')
[ "$vals" = "100 160 250 400 630 1000 1600 2500 4000 6300 10000 16000 25000 40000 63000 100000 " ] && ok \
  || bad "threshold0=100:100000:log:16 expanded to: $vals"
resume_after KILL "$tmp/kill"

echo "tune: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
