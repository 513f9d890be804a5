#!/usr/bin/env bash
# test-cli.sh — the gcscope command line, as a user meets it: help, list, replay output, and
# a clear one-line error with a non-zero exit for every bad input. Prints "cli: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0 failed=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

ok()   { passed=$((passed + 1)); }
bad()  { failed=$((failed + 1)); echo "FAIL: $*"; }

# expect BIN STATUS PATTERN ARGS... : exit status STATUS and stderr+stdout matching PATTERN
expect() {
  local bin=$1 want=$2 pat=$3; shift 3
  local out status
  out=$("$bin" "$@" 2>&1); status=$?
  if [ "$status" -ne "$want" ]; then bad "$bin $* exited $status, want $want: $out"; return; fi
  if ! printf '%s' "$out" | grep -qE -- "$pat"; then bad "$bin $*: output does not match '$pat': $out"; return; fi
  if [ "$want" -ne 0 ] && [ "$(printf '%s\n' "$out" | grep -c 'gcscope')" -lt 1 ]; then bad "$bin $*: no gcscope: prefix"; return; fi
  ok
}

for bin in build/gcscope build/debug/gcscope build/stress/gcscope; do
  [ -x "$bin" ] || { bad "$bin not built"; continue; }
  expect "$bin" 0 'usage:' --help
  expect "$bin" 0 '^collectors:' list
  expect "$bin" 0 'rc +pure reference counting' list
  expect "$bin" 0 'trace' list
  expect "$bin" 0 'purge_delay_ms' knobs rc
  expect "$bin" 2 "unknown command 'frob'" frob
  expect "$bin" 2 'expected a command'
  expect "$bin" 2 "unknown collector 'nope' \(expected one of: none rc" replay --collector nope traces/small.trace
  expect "$bin" 2 '--collector NAME is required' replay traces/small.trace
  expect "$bin" 2 'expected a trace FILE' replay --collector rc
  expect "$bin" 2 "unknown flag '--frob'" replay --collector rc --frob traces/small.trace
  expect "$bin" 2 'expects a value' replay --collector rc traces/small.trace --set
  expect "$bin" 2 "no knob of that name" replay --collector rc --set nope=1 traces/small.trace
  expect "$bin" 2 "replay: --allocator jemalloc: expected arena or system" replay --collector rc --allocator jemalloc traces/small.trace
  expect "$bin" 1 '^gcscope: /nonexistent.trace: cannot open: No such file or directory$' replay --collector rc /nonexistent.trace
  printf 'new a 1\nnew b 2\nset a 5 b\n' > "$tmp/bad.trace"
  expect "$bin" 1 "^gcscope: $tmp/bad.trace:3: slot 5 is out of range: 'a' has 1 slot$" replay --collector rc --json "$tmp/bad.trace"
  printf 'new a 1\nfrob\n' > "$tmp/bad2.trace"
  expect "$bin" 1 "^gcscope: $tmp/bad2.trace:2: unknown op 'frob'" replay --collector rc "$tmp/bad2.trace"
  # a failed replay prints nothing on stdout
  out=$("$bin" replay --collector rc --json "$tmp/bad.trace" 2>/dev/null)
  [ -z "$out" ] && ok || bad "half a result on stdout: $out"
done

# replay --json's fields (docs/trace-format.md), checked with the standard library's json module.
bin=build/gcscope
for c in none rc; do
  out=$($bin replay --collector $c --json traces/small.trace 2>&1)
  if printf '%s' "$out" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in ("collector", "collects", "stats", "count", "live_after_full", "objects", "options"):
    assert k in d, k
c = sys.argv[1]
assert d["collector"] == c
assert len(d["collects"]) == 4, d["collects"]
assert len(d["live_after_full"]) == 3, d["live_after_full"]
if c == "rc":
    assert d["collects"] == [0, 0, 0, 0], d["collects"]
    # the ring of three is leaked: it stays live after every full collect, and at teardown
    assert d["live_after_full"] == [8, 8, 8], d["live_after_full"]
    assert d["objects"]["leaked"] == 3, d["objects"]
    assert d["objects"]["leaked_bytes"] == 3 * (8 + 16 + 16), d["objects"]
else:
    assert d["objects"]["leaked"] == d["objects"]["allocated"] == 9, d["objects"]
' $c; then ok; else bad "replay --json under $c: $out"; fi
done

# gcscope run --json: every field of the output contract, for every collector ×
# workload at the workload's small size, and a clean error for a bad flag.
names() { $bin list --json | /usr/bin/python3 -c \
  'import json, sys; print(" ".join(x["name"] for x in json.load(sys.stdin)[sys.argv[1]]))' "$1"; }
collectors=$(names collectors)
workloads=$(names workloads)
[ -n "$collectors" ] && [ -n "$workloads" ] && ok || bad "list --json: no collectors or workloads"
printf 'new a 2\nnew b 1\nset a 0 b\nset b 0 a\ndrop b\ncollect\n' > "$tmp/run.trace"
for w in $workloads; do
  for c in $collectors; do
    args=(run --collector "$c" --workload "$w" --size small --json --sample-ms 1)
    [ "$w" = trace ] && args+=(--trace "$tmp/run.trace")
    out=$($bin "${args[@]}" 2>&1)
    if printf '%s' "$out" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
need = {"collector": None, "workload": None, "params": None,
        "time": ["wall_ns", "cpu_ns", "gc_ns"],
        "pauses": ["count", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns", "total_ns"],
        "mmu": None,
        "memory": ["peak_rss_bytes", "final_rss_bytes", "rss_after_release_bytes", "returned_bytes",
                   "returned_fraction", "mapped_peak_bytes"],
        "objects": ["allocated", "freed", "leaked"]}
for k, sub in need.items():
    assert k in d, "missing " + k
    for s in sub or []:
        assert s in d[k], "missing %s.%s" % (k, s)
windows = [m["window_ns"] for m in d["mmu"]]
assert windows[0] == 100000 and windows[-1] == 1000000000, windows
assert all(0 <= m["mmu"] <= 1 for m in d["mmu"]), d["mmu"]
p = d["pauses"]
assert p["p50_ns"] <= p["p90_ns"] <= p["p99_ns"] <= p["p999_ns"] <= p["max_ns"] <= p["total_ns"] or p["count"] == 0, p
assert d["objects"]["allocated"] > 0
if d["collector"] == "none":
    assert d["objects"]["freed"] == 0 and d["objects"]["leaked"] == d["objects"]["allocated"]
if d["collector"] in ("cpython", "marksweep", "incremental"):
    assert d["objects"]["leaked"] == 0, d["objects"]
'; then ok; else bad "run --json $c × $w: $out"; fi
  done
done
# list --json and knobs --json: the shapes every tool reads.
if $bin list --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [c["name"] for c in d["collectors"]][:2] == ["none", "rc"], d["collectors"]
assert all(set(c) == {"name", "summary", "kind"} and c["kind"] in ("collector", "peer") for c in d["collectors"])
assert all(set(w) == {"name", "summary"} for w in d["workloads"])
assert d["allocators"] == ["arena", "system", "jemalloc", "mimalloc"], d["allocators"]
assert d["pause_kinds"] == ["collect", "full", "step", "atomic", "cascade"], d["pause_kinds"]
names = [f["name"] for f in d["figures"]]
assert len(names) == len(set(names)), "figure names not unique"
for f in d["figures"]:
    assert {"name", "unit", "doc", "column", "scale"} <= set(f), f
    assert (f["column"] is None) == (f["scale"] is None), f
for n in ("time.wall_ns", "pauses.p99_ns", "memory.returned_fraction", "mmu[window_ns=10000000].mmu",
          "stats.objects_allocated", "pauses.by_kind.cascade"):
    assert n in names, n
'; then ok; else bad "list --json"; fi
if $bin knobs cpython churn --json | /usr/bin/python3 -c '
import json, sys
k = {x["name"]: x for x in json.load(sys.stdin)["knobs"]}
assert k["threshold0"]["owner"] == "collector" and k["threshold0"]["default"] == 700, k["threshold0"]
assert k["release"]["owner"] == "core" and k["release"]["default"] == "arena", k["release"]
assert k["release"]["choices"] == ["arena", "pool", "none"], k["release"]
assert k["requests"]["owner"] == "workload" and k["requests"]["choices"] is None, k["requests"]
for x in k.values():
    assert set(x) == {"name", "owner", "default", "min", "max", "choices", "help"}, x
'; then ok; else bad "knobs --json"; fi
expect "$bin" 2 "list: unexpected argument '--frob'" list --frob

# gcscope cell: the run in a child, its files and log; 124 on a timeout, as timeout(1).
expect "$bin" 0 'rc × churn' cell --out "$tmp/cell" --collector rc --workload churn --size small
for ext in json pauses.tsv rss.tsv counters.tsv log; do
  [ -f "$tmp/cell.$ext" ] && ok || bad "cell: no $tmp/cell.$ext"
done
expect "$bin" 124 'cell: timed out after 1 s' cell --timeout-s 1 --out "$tmp/slow" --collector none --workload churn --set requests=1000000000
expect "$bin" 2 'cell: the run failed \(exit 2' cell --out "$tmp/badcell" --collector rc --workload nope
grep -q "unknown workload 'nope'" "$tmp/badcell.log" && ok || bad "cell: the run's stderr is not in its log"
expect "$bin" 2 'cell: --out PREFIX is required' cell --collector rc --workload churn
expect "$bin" 2 'cell: --timeout-s 0: expected' cell --timeout-s 0 --out "$tmp/x" --collector rc --workload churn

# Phases: the steady phase's max pause and MMU equal an independent computation from the pause
# log and the checkpoints (tests/check-phases.py), for the live-heap cell whose build-phase
# pauses would otherwise hide the steady state's.
for c in incremental cpython; do
  $bin run --collector $c --workload live-heap --set shape=tree --set objects=32768 --set churn=200000 \
    --set collections=0 --out "$tmp/phases.$c" > /dev/null 2>&1 || bad "run live-heap for phases ($c)"
  out=$(/usr/bin/python3 tests/check-phases.py "$tmp/phases.$c" 2>&1) && ok || bad "check-phases $c: $out"
done
if /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = [p["name"] for p in d["phases"]]
assert names[:3] == ["build", "steady", "churned"], names
b, s = d["phases"][0], d["phases"][1]
assert b["from"] is None and b["to"] == "built" and s["from"] == "built" and s["to"] == "churned", (b, s)
assert b["start_ns"] == 0 and b["end_ns"] == s["start_ns"] <= s["end_ns"] <= d["time"]["wall_ns"]
for p in d["phases"]:
    assert set(p["pauses"]["by_kind"]) == set(d["pauses"]["by_kind"]), p
    assert sum(p["pauses"]["by_origin"].values()) == p["pauses"]["count"], p
    assert [m["window_ns"] for m in p["mmu"]] == [m["window_ns"] for m in d["mmu"]]
run = [p for p in d["phases"] if p["name"] != "release"]
assert sum(p["pauses"]["count"] for p in run) >= d["pauses"]["count"] - 1, (run, d["pauses"])
' "$tmp/phases.incremental.json"; then ok; else bad "phases of live-heap"; fi

expect "$bin" 2 "unknown workload 'nope'" run --collector rc --workload nope
expect "$bin" 2 "run: unknown flag '--frob'" run --collector rc --workload trace --frob
expect "$bin" 2 "--seed x: expected an integer in 0\.\." run --collector rc --workload binary-trees --seed x
expect "$bin" 2 "no knob of that name" run --collector rc --workload binary-trees --set threshold0=9
expect "$bin" 2 "needs --trace FILE" run --collector rc --workload trace
expect "$bin" 2 "--size medium: expected small, bench or default" run --collector rc --workload binary-trees --size medium

# the cpython collector's walks: the same replay under both values (timings aside)
for w in 3.11 fused; do
  "$bin" replay --collector cpython --json --set walks=$w traces/small.trace > "$tmp/walks.$w.json" || bad "replay walks=$w"
done
if cmp -s "$tmp/walks.3.11.json" <(sed 's/"walks": "fused"/"walks": "3.11"/' "$tmp/walks.fused.json"); then ok
else bad "replay --set walks=fused differs from walks=3.11"; fi
expect "$bin" 2 "walks=2.7: expected 3.11\|fused" replay --collector cpython --set walks=2.7 traces/small.trace

# calibrate.py (make calibrate) at --size small, one process a side: every workload makes the
# same collections per generation and finds the same objects under cpython (both walks, every
# layout) and py, and each ladder row's factors multiply to its py / 3.11
if /usr/bin/python3 peers/cpython/calibrate.py --size small --reps 1 --no-pyperformance \
     --json "$tmp/cal.json" > "$tmp/cal.md" 2> "$tmp/cal.err" && /usr/bin/python3 -c '
import json, math, sys
d = json.load(open(sys.argv[1]))
assert d["py"], "py is not built"
bad = []
for w, by in d["workloads"].items():
    seen = {(tuple(s.get("gens", ())), s.get("collected")) for s in by.values()}
    if len(seen) != 1 or any("error" in s for s in by.values()):
        bad.append("%s: %s" % (w, {n: s.get("error") or (s["gens"], s["collected"]) for n, s in by.items()}))
    r = d["ladder"][w]
    if "why" not in r and r["rest"] is not None:
        prod = r["size"] * r["dispatch"] * r["fixed"] * r["free"] * r["rest"]
        if not math.isclose(prod, r["total"], rel_tol=1e-9):
            bad.append("%s: factors multiply to %g, py / 3.11 is %g" % (w, prod, r["total"]))
if len(d["workloads"]) < 10 or bad:
    sys.exit("; ".join(bad) or "too few workloads")
' "$tmp/cal.json"; then ok
else bad "calibrate.py --size small: $(tail -1 "$tmp/cal.err")"; fi

# baseline_objects: N containers more allocated, live through the workload, none leaked (rc:
# all of them, cycles), and the workload's own objects as without it (debug build: heap
# verified at collections)
for c in cpython marksweep incremental rc; do
  if build/debug/gcscope run --collector $c --workload churn --size small --json > "$tmp/b0.json" &&
     build/debug/gcscope run --collector $c --workload churn --size small --set baseline_objects=3000 --json > "$tmp/b1.json" &&
     /usr/bin/python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert b["objects"]["allocated"] == a["objects"]["allocated"] + 3000, (a["objects"], b["objects"])
cyclic = 3000 if sys.argv[3] == "rc" else 0   # rc leaks the baseline: its blocks are cycles
assert b["objects"]["leaked"] == a["objects"]["leaked"] + cyclic, (a["objects"], b["objects"])
assert b["params"]["baseline_objects"] == 3000
' "$tmp/b0.json" "$tmp/b1.json" $c; then ok; else bad "baseline_objects=3000 under $c"; fi
done


# --- run --out, number parsing, JSON strings, line ends, the flag named: one block a defect, each
# named in its failure messages. Release build unless the block says otherwise.
run_small=(run --collector rc --workload churn --size small)

# out-prefix-too-long: a prefix whose file names (PREFIX.counters.tsv.tmp.PID the longest) would
# not fit PATH_MAX, or whose last component would not fit NAME_MAX, is refused before the run
# and nothing is written; a long prefix that fits works.
mkdir -p "$tmp/long"
long_prefix() { # long_prefix LEN: "$tmp/long/" then "./" pairs then x's, LEN characters in all
  local p="$tmp/long/" n=$1
  while [ $(( ${#p} + 2 )) -lt "$n" ]; do p+="./"; done
  while [ "${#p}" -lt "$n" ]; do p+="x"; done
  printf '%s' "$p"
}
p=$(long_prefix 4093)
[ "${#p}" -eq 4093 ] && ok || bad "out-prefix-too-long: the prefix has ${#p} characters"
expect "$bin" 2 "run: --out .*: too long" "${run_small[@]}" --out "$p"
expect "$bin" 2 "run: --out .*: too long" "${run_small[@]}" --out "$tmp/long/$(printf 'y%.0s' $(seq 250))"
[ -z "$(ls -A "$tmp/long")" ] && ok || bad "out-prefix-too-long: files written: $(ls -A "$tmp/long" | cut -c1-80)"
p=$(long_prefix 4000)
expect "$bin" 0 'rc × churn' "${run_small[@]}" --out "$p"
b=${p##*/}
[ "$(ls "$tmp/long" | sort | tr '\n' ' ')" = "$b.counters.tsv $b.json $b.pauses.tsv $b.rss.tsv " ] && ok ||
  bad "out-prefix-too-long: a 4,000-character prefix wrote: $(ls "$tmp/long" | tr '\n' ' ')"

# out-destination: --out '' and --out DIR/ would write hidden files; a directory that does not
# exist, is a file, or takes no new files is found before the run (the run would take minutes:
# requests=10^9 under timeout 60).
slow=(run --collector none --workload churn --set requests=1000000000)
expect "$bin" 2 "run: --out '': expected PREFIX" "${run_small[@]}" --out ''
mkdir -p "$tmp/outdir"
expect "$bin" 2 "run: --out $tmp/outdir/: expected PREFIX" "${run_small[@]}" --out "$tmp/outdir/"
expect "$bin" 2 "run: --out $tmp/outdir/\.\.: expected PREFIX" "${run_small[@]}" --out "$tmp/outdir/.."
[ -z "$(ls -A "$tmp/outdir")" ] && ok || bad "out-destination: hidden files written: $(ls -A "$tmp/outdir")"
expect timeout 2 "run: --out $tmp/nodir/x: no directory $tmp/nodir" 60 "$bin" "${slow[@]}" --out "$tmp/nodir/x"
touch "$tmp/afile"
expect "$bin" 2 "cell: --out $tmp/nodir/x: no directory $tmp/nodir" cell --out "$tmp/nodir/x" --collector rc --workload churn
expect timeout 2 "run: --out $tmp/afile/x: no directory $tmp/afile" 60 "$bin" "${slow[@]}" --out "$tmp/afile/x"
expect timeout 2 "run: --out /proc/gcscope-x: cannot create files in /proc" 60 "$bin" "${slow[@]}" --out /proc/gcscope-x

# out-set: the four files are one set, PREFIX.json renamed in last (the old one removed before
# the first rename): a rename that fails (PREFIX.rss.tsv a directory) leaves no PREFIX.json and
# no temporary; a later run removes the temporaries of dead processes for its prefix (only).
expect "$bin" 0 'rc × churn' "${run_small[@]}" --out "$tmp/set"
rm "$tmp/set.rss.tsv"; mkdir -p "$tmp/set.rss.tsv/sub"
expect "$bin" 1 "gcscope: cannot write $tmp/set.rss.tsv: .*; no result written" "${run_small[@]}" --out "$tmp/set"
[ ! -e "$tmp/set.json" ] && ok || bad "out-set: $tmp/set.json outlived a failed set"
[ -z "$(ls "$tmp" | grep '^set\..*\.tmp\.')" ] && ok || bad "out-set: temporaries left: $(ls "$tmp" | grep '^set\.')"
rm -rf "$tmp/set.rss.tsv"
touch "$tmp/st.json.tmp.2147483647" "$tmp/st.rss.tsv.tmp.4194304" "$tmp/st.counters.tsv.tmp.$$" "$tmp/st.json.tmp.x1" \
      "$tmp/stx.json.tmp.2147483647"
expect "$bin" 0 'rc × churn' "${run_small[@]}" --out "$tmp/st"
left=$(cd "$tmp" && ls st.* stx.* | sort | tr '\n' ' ')
[ "$left" = "st.counters.tsv st.counters.tsv.tmp.$$ st.json st.json.tmp.x1 st.pauses.tsv st.rss.tsv stx.json.tmp.2147483647 " ] && ok ||
  bad "out-set: stale temporaries: left $left"

# strict-numbers: digits only, no white space, no '+', overflow checked, the flag named.
re() { printf '%s' "$1" | sed 's/[+.]/\\&/g'; }   # a value as a literal in a regex
for v in ' -1' ' 1' '1 ' '+5' '-1' '' '18446744073709551616' '0x10' '1e3'; do
  expect "$bin" 2 "run: --seed $(re "$v"): expected an integer in 0\.\.18446744073709551615" "${run_small[@]}" --seed "$v"
done
for v in ' 5' '+5' '5 ' '-5' '99999999999999999999' '5x'; do
  expect "$bin" 2 "run: --set threshold0=$(re "$v"): expected an integer in 0\.\." run --collector cpython --workload churn --size small --set "threshold0=$v"
  expect "$bin" 2 "--set threshold0=$(re "$v"): expected an integer in 0\.\." replay --collector cpython --set "threshold0=$v" traces/small.trace
done
expect "$bin" 2 "run: --set pause_log= 1: expected off\|on" "${run_small[@]}" --set 'pause_log= 1'
expect "$bin" 2 "run: --sample-ms  5: expected an integer in 0\.\.10000" "${run_small[@]}" --sample-ms ' 5'
expect "$bin" 2 "cell: --timeout-s \+5: expected an integer in 1\.\.86400" cell --timeout-s +5 --out "$tmp/x" --collector rc --workload churn
out=$($bin "${run_small[@]}" --json --seed 18446744073709551615 --set pause_log=1 2>&1)
printf '%s' "$out" | grep -q '"seed": 18446744073709551615' && ok || bad "strict-numbers: the largest seed: $out"

# json-utf8: replay --json of a trace whose path is not UTF-8 (and holds a control character)
# is valid JSON: each byte of an invalid sequence is U+FFFD, controls are \u00XX, valid UTF-8 stays.
for bin2 in build/gcscope build/debug/gcscope; do
  f=$(printf '%s/bad\xff\xc3(\x01é\xe2\x82.trace' "$tmp")
  printf 'new a 1\n' > "$f"
  "$bin2" replay --collector rc --json "$f" > "$tmp/utf8.json" || bad "json-utf8: replay failed"
  if /usr/bin/python3 -c '
import json, sys
d = json.loads(open(sys.argv[1], "rb").read())   # bytes: decoded as strict UTF-8
want = sys.argv[2] + "/bad\ufffd\ufffd(\x01\u00e9\ufffd\ufffd.trace"
assert d["trace"] == want, (d["trace"], want)
' "$tmp/utf8.json" "$tmp"; then ok; else bad "json-utf8 ($bin2): $(head -c 300 "$tmp/utf8.json")"; fi
done

# cr-lines: CR, LF and CRLF each end a line; messages name the right line under each.
printf 'new a 1\nnew b 2\nset a 5 b\n' > "$tmp/lf.trace"
for nl in '\r' '\r\n' '\n'; do
  printf "new a 1${nl}# c${nl}${nl}frob${nl}" > "$tmp/nl.trace"
  expect "$bin" 1 "^gcscope: $tmp/nl.trace:4: unknown op 'frob'" replay --collector rc "$tmp/nl.trace"
  printf "new a 1${nl}new b 2${nl}set a 5 b${nl}" > "$tmp/nl.trace"
  expect "$bin" 1 "^gcscope: $tmp/nl.trace:3: slot 5 is out of range" replay --collector rc "$tmp/nl.trace"
  tr '\n' '\r' < traces/small.trace | sed "s/\r/${nl}/g" > "$tmp/nl.trace"
  if cmp -s <($bin replay --collector cpython --json traces/small.trace | grep -v '"trace"') \
            <($bin replay --collector cpython --json "$tmp/nl.trace" | grep -v '"trace"'); then ok
  else bad "cr-lines: traces/small.trace with line ends '$nl' replays differently"; fi
done
printf 'new a 1\n\rfrob\n' > "$tmp/nl.trace"   # LF then CR: two line ends, an empty line between
expect "$bin" 1 "^gcscope: $tmp/nl.trace:3: unknown op 'frob'" replay --collector rc "$tmp/nl.trace"

# flag-names: a message names the flag the user gave.
out=$($bin replay --collector rc --allocator jemalloc traces/small.trace 2>&1)
case $out in
  *"replay: --allocator jemalloc: expected arena or system"*) case $out in *--set*) bad "flag-names: $out";; *) ok;; esac;;
  *) bad "flag-names: $out";;
esac
expect "$bin" 2 "run: --allocator frob: expected one of arena, system, jemalloc" "${run_small[@]}" --allocator frob
expect "$bin" 2 "replay: unknown flag '--seed'" replay --collector rc --seed 1 traces/small.trace
expect "$bin" 2 "run: unexpected argument 'traces/small.trace'" "${run_small[@]}" traces/small.trace

# replay-where: more names than the shadow stack holds, out of memory and a shadow-stack
# overflow name FILE:LINE (the line where the first name too many appears; the line whose
# allocation failed: 3 here, where the second GiB passes the 1.5 GiB ulimit -v; 2 if the
# process starts larger).
for i in $(seq 1 20); do echo "new n$i 1"; done > "$tmp/names.trace"
for bin2 in build/gcscope build/debug/gcscope build/stress/gcscope; do
  expect "$bin2" 1 "^gcscope: $tmp/names.trace:17: 'n17' is name 17, more than the 16 roots free on the shadow stack \(roots_max=16;" \
    replay --collector rc --set roots_max=16 "$tmp/names.trace"
  expect "$bin2" 1 "gcscope: $tmp/names.trace:16: 'n16' is name 16, more than the 15 roots free" \
    run --collector rc --workload trace --trace "$tmp/names.trace" --set roots_max=16
done
printf 'new a 1\natom b 1073741824\natom c 1073741824\natom d 1073741824\n' > "$tmp/big.trace"
out=$(ulimit -v 1600000; $bin replay --collector rc "$tmp/big.trace" 2>&1); status=$?
[ $status -eq 70 ] && printf '%s' "$out" | grep -qE "^gcscope: fatal: $tmp/big.trace:[23]: out of memory" && ok ||
  bad "replay-where: out of memory (exit $status): $out"
# the preloaded allocators: the run re-executes itself with the library preloaded and serves its
# objects from it (the child checks that malloc is the library's: without the preload, the
# marker alone is refused), and what the allocator holds for the live tree is at least its bytes
for a in jemalloc mimalloc; do
  if build/gcscope run --collector marksweep --workload churn --size small --allocator $a --json > "$tmp/$a.json" &&
     /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["allocator"] == sys.argv[2] and d["params"]["allocator"] == "system", (d["allocator"], d["params"])
built = [m for m in d["memory"]["checkpoints"] if m["label"] == "built"][0]
assert built["held_bytes"] >= built["live_bytes"] > 0, built
' "$tmp/$a.json" $a; then ok; else bad "run --allocator $a"; fi
done
expect env 1 "mimalloc was preloaded but does not serve malloc" -u LD_PRELOAD GCSCOPE_MIMALLOC=1 build/gcscope run --collector rc --workload churn --size small --allocator mimalloc
# run --record: every workload's recorded trace, replayed under the collector it was recorded
# with (run --workload trace), makes the same collections (the pause log's kind, generation,
# objects visited and freed; RC cascades aside) and the same object counts as the direct run.
# Left out: incremental's steps (the replay's frame orders roots by first appearance, so a
# step's visited/freed differ by a few: its object counts are compared), and collectors whose
# collections are not a function of the ops (a conservative scan of the C stack: boehm,
# boehm-inc), or that do not run workloads natively (the trace replayers lua-inc, lua-gen).
# The second list gives a few workloads enough allocations for automatic collections.
cat > "$tmp/record_cmp.py" <<'PY'
import json, sys
def load(prefix):
    j = json.load(open(prefix + ".json"))
    rows = [l.rstrip("\n").split("\t") for l in open(prefix + ".pauses.tsv") if not l.startswith("#")]
    coll = [(r[3], r[4], r[5], r[6]) for r in rows if r[3] != "cascade"]
    st = dict(j["stats"]); st.pop("rc_cascades")
    return {"stats": st, "leaked": j["objects"]["leaked"], "collections": coll,
            "phases": [p["name"] for p in j["phases"]]}
a, b = load(sys.argv[1]), load(sys.argv[2])
if sys.argv[3] == "incremental":
    a.pop("collections"); b.pop("collections")
bad = [k for k in a if a[k] != b[k]]
assert not bad, (bad, [(a[k], b[k]) for k in bad])
PY
record_check() { # COLLECTOR WORKLOAD FORM RUN-FLAGS...
  local c=$1 w=$2 form=$3; shift 3
  local d="$tmp/rec-$c-$w"
  if build/gcscope run --collector $c --workload $w "$@" --sample-ms 0 --record "$d.$form" --out "$d.direct" > /dev/null &&
     build/gcscope run --collector $c --workload trace --trace "$d.$form" --sample-ms 0 --out "$d.replay" > /dev/null &&
     /usr/bin/python3 "$tmp/record_cmp.py" "$d.direct" "$d.replay" $c; then ok; else bad "record/replay $c × $w ($form) $*"; fi
}
skip_record=" incremental boehm boehm-inc lua-inc lua-gen "
for c in $(build/gcscope list --json | /usr/bin/python3 -c 'import json, sys; print(" ".join(c["name"] for c in json.load(sys.stdin)["collectors"]))'); do
  case "$skip_record" in *" $c "*) [ $c = incremental ] || continue ;; esac
  for w in $(build/gcscope list --json | /usr/bin/python3 -c 'import json, sys; print(" ".join(w["name"] for w in json.load(sys.stdin)["workloads"] if w["name"] != "trace"))'); do
    record_check $c $w trace --size small
  done
done
for c in cpython marksweep; do
  record_check $c binary-trees gtrb --set depth=9
  record_check $c churn gtrb --size small --set requests=3000
  record_check $c gcbench-cyclic trace --size small --set stretch_depth=9 --set max_depth=8
done
# the CPython oracle reads a recorded trace (let, mark, new with payload bytes) and agrees
build/gcscope run --collector cpython --workload gcbench-cyclic --size small --set stretch_depth=9 --sample-ms 0 --record "$tmp/o.trace" > /dev/null
if build/gcscope replay --collector cpython --json "$tmp/o.trace" > "$tmp/o.gcs.json" &&
   /usr/bin/python3 peers/cpython/cpython_oracle.py "$tmp/o.trace" > "$tmp/o.py.json" &&
   /usr/bin/python3 -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for k in ("collects", "stats", "count", "live_after_full", "live_at_end"):
    assert a[k] == b[k], (k, a[k], b[k])
assert sum(g["collections"] for g in a["stats"]) > 1, a["stats"]
' "$tmp/o.gcs.json" "$tmp/o.py.json"; then ok; else bad "the oracle on a recorded trace"; fi
# the debug build records and replays (heap verified), and the binary form reads as the text
if build/debug/gcscope run --collector cpython --workload btree --size small --sample-ms 0 --record "$tmp/d.trace" > /dev/null &&
   build/debug/gcscope run --collector cpython --workload btree --size small --sample-ms 0 --record "$tmp/d.gtrb" > /dev/null &&
   build/debug/gcscope replay --collector cpython --json "$tmp/d.trace" > "$tmp/d1.json" &&
   build/debug/gcscope replay --collector cpython --json "$tmp/d.gtrb" | sed "s|d.gtrb|d.trace|" > "$tmp/d2.json" &&
   cmp -s "$tmp/d1.json" "$tmp/d2.json"; then ok; else bad "debug build: record btree, text and binary replay alike"; fi
expect build/gcscope 1 "record: cannot create /nonexistent/x.trace.tmp" run --collector rc --workload churn --size small --record /nonexistent/x.trace
printf 'GCSTRB1\n\002\001' > "$tmp/trunc.gtrb"
expect build/gcscope 1 "trunc.gtrb:1: truncated SLOT" replay --collector rc "$tmp/trunc.gtrb"
printf 'new a 1 8\nlet b a\nmark built\nlet c nope\n' > "$tmp/let.trace"
expect build/gcscope 1 "let.trace:4: let from 'nope', which is not bound" replay --collector rc "$tmp/let.trace"

# fail_alloc_at (docs/faults.md): a run whose allocations are refused from the 2nd on exits
# non-zero with one message naming what failed, and writes no --out file; one refusal of the
# arena's first mapping is survived (the emergency collection and retry) and the files are
# written; an out-of-memory during replay names the trace and line
bin=build/gcscope
mkdir -p "$tmp/oom"
for c in $($bin list --json | /usr/bin/python3 -c 'import json,sys; print(*[c["name"] for c in json.load(sys.stdin)["collectors"]])'); do
  rm -f "$tmp/oom"/*
  out=$($bin run --collector $c --workload churn --size small --sample-ms 0 --set fail_alloc_at=2 \
          --set fail_alloc_count=0 --out "$tmp/oom/x" 2>&1 >/dev/null); status=$?
  if [ $status -eq 0 ]; then bad "run $c fail_alloc_at=2 fail_alloc_count=0 exited 0"
  elif ! printf '%s\n' "$out" | head -1 | grep -qE '^gcscope: (run: )?(fatal: )?.*(out of memory|cannot|failed to start).*\(injected: fail_alloc_at=2\)'; then
    bad "run $c fail_alloc_at=2: no message naming the failure: $out"
  elif [ -n "$(ls -A "$tmp/oom")" ]; then bad "run $c fail_alloc_at=2 left files: $(ls "$tmp/oom")"
  else ok; fi
done
for c in none rc cpython; do
  rm -f "$tmp/oom"/*
  if $bin run --collector $c --workload churn --size small --sample-ms 0 --set fail_alloc_at=2 \
       --out "$tmp/oom/x" >/dev/null 2>&1 && [ "$(ls "$tmp/oom" | wc -l)" -eq 4 ]; then ok
  else bad "run $c fail_alloc_at=2 (one refusal of the arena): not survived, or not 4 files"; fi
done
for bin in build/gcscope build/debug/gcscope; do
  hit=0
  for n in 2 3 4; do
    out=$($bin replay --collector rc --set fail_alloc_at=$n --set fail_alloc_count=0 traces/small.trace 2>&1) &&
      bad "replay fail_alloc_at=$n ($bin) exited 0"
    printf '%s' "$out" | grep -qE '^gcscope: fatal: traces/small.trace:[0-9]+: out of memory: the arena allocator refused' && hit=1
  done
  [ $hit -eq 1 ] && ok || bad "replay ($bin): no out-of-memory message naming a trace line"
done

# out of memory while the heap opens (fail_alloc_at=1: the shadow stack's mapping) is a
# run-time failure, not a usage error: exit 70 as every out-of-memory exit, one line naming
# what failed, no pointer to --help; a bad knob at the same place stays a usage error (2)
for bin in build/gcscope build/debug/gcscope build/stress/gcscope; do
  for cmd in "run --collector rc --workload churn --size small" "replay --collector rc traces/small.trace"; do
    out=$($bin $cmd --set fail_alloc_at=1 2>&1 >/dev/null); status=$?
    pre=$([ "${cmd%% *}" = run ] && echo 'run: ')
    if [ $status -eq 70 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
       printf '%s' "$out" | grep -qE "^gcscope: ${pre}out of memory: cannot map the shadow stack: .*\(injected: fail_alloc_at=1\)\$"; then ok
    else bad "$bin ${cmd%% *} fail_alloc_at=1: exit $status, want 70 and one out-of-memory line: $out"; fi
  done
  expect "$bin" 2 "^gcscope: run: --set nope: no knob of that name" run --collector rc --workload churn --set nope=1
done

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
