#!/usr/bin/env bash
# bench.sh — `make bench`: the default matrix (every collector × every workload at its default
# size; the memory workloads also under glibc and jemalloc), every cell REPS times (default 3;
# interleaved: repetition 1 of every cell, then 2, ...; each a fresh process), into
# results/<date>-<commit>/:
#   list.json        `gcscope list --json`: the collectors, workloads and figures measured
#   gbench.json      Google Benchmark's JSON (every cell's figures as counters)
#   cells/           each cell's own JSON, pause log and RSS timeline, one set per repetition (.rK)
#   *.tsv            one TSV per figure, '#' header line (tools/summarize.py)
#   run.json         the machine, the commit, the command
#   scaling/         live-heap at a few heap sizes (driver/scaling.sh), scaling.tsv
#   traces/          the trace cells' traces: a few workloads recorded once (run --record), each
#                    replayed by every collector and peer (gcscope-bench --traces)
#   plots/, report.md  the figures and the report (tools/plots.sh)
# Extra arguments go to gcscope-bench (e.g. --workloads churn --repetitions 5); without
# --repetitions, REPS (default 3) repetitions. It prints how long the whole run took (the
# budget: 5 minutes on 2 idle cores).
set -euo pipefail
cd "$(dirname "$0")/.."
began=$SECONDS
reps=()
case " $* " in *" --repetitions "*) ;; *) reps=(--repetitions "${REPS:-3}") ;; esac
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain 2>/dev/null | grep -qv '^??' && echo "-dirty" || true)
dir="results/$(date -u +%Y%m%d-%H%M%S)-${commit}${dirty}"
mkdir -p "$dir"
if ! build/gcscope list --json > "$dir/list.json.tmp"; then
  echo "gcscope: build/gcscope list --json failed: the tables need its collectors and figures" >&2
  exit 1
fi
mv "$dir/list.json.tmp" "$dir/list.json"
/usr/bin/python3 - "$dir" "$commit$dirty" "${reps[@]:1}" "$@" <<'PY'
import json, os, platform, subprocess, sys, time
d, commit, args = sys.argv[1], sys.argv[2], sys.argv[3:]
reps = args.pop(0) if args and args[0].isdigit() else (args + ["1"])[args.index("--repetitions") + 1] if "--repetitions" in args else "1"
def first(path, key):
    try:
        for line in open(path):
            if line.startswith(key): return line.split(":", 1)[1].strip()
    except OSError: pass
    return None
info = {
    "commit": commit, "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "command": "make bench" + ("" if not args else " BENCH_ARGS='%s'" % " ".join(args)),
    "repetitions": int(reps) if reps.isdigit() else reps,
    "machine": {"cpu": first("/proc/cpuinfo", "model name"), "cores": os.cpu_count(),
                "memory": first("/proc/meminfo", "MemTotal"), "kernel": platform.release(),
                "loadavg_at_start": open("/proc/loadavg").read().split()[:3]},
    "compiler": subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
}
tmp = os.path.join(d, "run.json.tmp")
json.dump(info, open(tmp, "w"), indent=2); os.replace(tmp, os.path.join(d, "run.json"))
PY
echo "gcscope: results in $dir" >&2
# The trace cells' traces, recorded under cpython at sizes whose replay takes ~0.05-0.3 s of CPU
# (the trace cells add about a minute): a tree builder, request churn with cycles, rings of
# garbage cycles, GCBench's trees, and a large live heap with churn beside it.
mkdir -p "$dir/traces"
while read -r w settings; do
  build/gcscope run --collector cpython --workload "$w" $settings --sample-ms 0 --record "$dir/traces/$w.gtrb" \
    > /dev/null || echo "gcscope: recording $w failed: no trace cells for it" >&2
done <<'EOF'
binary-trees --set depth=12
churn --set requests=20000
rings --set rounds=40
gcbench --set stretch_depth=13 --set long_lived_depth=12 --set max_depth=12
live-heap --set objects=100000 --set churn=200000 --set collections=2
EOF
build/gcscope-bench --out "$dir" --benchmark_out="$dir/gbench.json" --benchmark_out_format=json \
  --benchmark_counters_tabular=false --traces "$dir/traces" "${reps[@]}" "$@" > "$dir/gbench.txt"
status=0   # a failed cell fails the run, but what did run is still summarized and drawn
/usr/bin/python3 tools/summarize.py "$dir" || status=$?
driver/scaling.sh "$dir" "$@" || status=1   # live-heap at a few sizes (≤ ~1 min), for the plots
if [ -x tools/plots.sh ] && [ -f "$dir/cells.tsv" ]; then tools/plots.sh "$dir" || status=1; fi
echo "gcscope: results in $dir ($((SECONDS - began)) s)" >&2
exit $status
