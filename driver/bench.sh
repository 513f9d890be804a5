#!/usr/bin/env bash
# bench.sh — `make bench`: the default matrix (every collector × every workload at its bench
# size -- the workload's `bench` settings, about a quarter of its defaults, so the matrix fits its
# 5 minutes; BENCH_ARGS='--sizes default' runs the defaults; the memory workloads also under
# glibc, jemalloc and mimalloc), every cell REPS times (default 3;
# interleaved: repetition 1 of every cell, then 2, ...; each a fresh process), into
# results/<date>-<commit>/:
#   state            running PID | interrupted | failed | finished (the run's progress)
#   list.json        `gcscope list --json`: the collectors, workloads and figures measured
#   run.json         the machine, the commit, the command, the matrix's arguments ("bench_args")
#                    and, per resumption, its date and load ("resumed")
#   plan.txt         the benchmarks to run, one name a line, in their order
#   gbench.json      Google Benchmark's JSON (every cell's figures as counters), gbench.txt its table
#   cells/           each cell's own JSON, pause log, RSS timeline and counters, one set per
#                    repetition (.rK), and its stderr (.rK.log)
#   *.tsv            one TSV per figure, '#' header line (tools/summarize.py)
#   scaling/         live-heap at a few heap sizes (driver/scaling.sh), scaling.tsv
#   plots/, report.md  the figures and the report (tools/plots.sh)
#
#   driver/bench.sh [--results DIR] [gcscope-bench arguments]   a new run (DIR: its folder)
#   driver/bench.sh --resume DIR                                 the rest of an unfinished run
# Extra arguments go to gcscope-bench (e.g. --workloads churn --repetitions 5); without
# --repetitions, REPS (default 3) repetitions. It prints how long the whole run took (the
# budget: 5 minutes on 2 idle cores).
#
# Interruption and resumption. Every file of the folder is written whole (a temporary, then a
# rename: Google Benchmark's JSON too, see driver/matrix.c), so whenever the run stops no JSON
# in it is cut off. On SIGINT (Ctrl-C), SIGTERM or SIGHUP the running step — it runs in a
# process group of its own — gets SIGTERM: the matrix kills the running cell's child and removes
# that cell's files, the folder's state becomes `interrupted`, and bench.sh dies of the signal it
# got (exit status 128 + N). `make bench RESUME=DIR` (this script's --resume DIR) runs the same
# matrix again in DIR (the arguments come from run.json; the commit must be the same) with
# gcscope-bench --resume: every run whose files are whole is kept — reported from its files, so
# gbench.json again covers every cell — and only the others run, in the same interleaved order;
# then the tables, the scaling step (its finished runs kept) and the figures are made again from
# all the cells' files, as an uninterrupted run makes them. A run that failed is run again too.
# The tables are built from the cells' own JSON (cells/), never from gbench.json, whose
# failures only are read. An unfinished folder's cells are readable as they are:
# tools/summarize.py DIR tables those present and lists the missing ones (plan.txt).
# A new `make bench` never resumes by itself (a fresh folder is what it promises; a resumed one
# mixes two sittings of the machine, which run.json records): when an unfinished folder of the
# same commit exists, it names it and the command that resumes it.
set -euo pipefail
cd "$(dirname "$0")/.."
began=$SECONDS
dir="" resuming=""
case "${1:-}" in
  --resume)
    dir=${2:?"bench.sh: --resume expects a results folder (results/DATE-COMMIT)"}; dir=${dir%/}; resuming=1; shift 2
    if [ $# -gt 0 ]; then
      echo "bench.sh: --resume $dir: no other argument expected (got '$*'): a resumed run repeats the folder's own matrix (run.json bench_args)" >&2
      exit 2
    fi ;;
  --results) dir=${2:?"bench.sh: --results expects a folder"}; dir=${dir%/}; shift 2 ;;
esac
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain 2>/dev/null | grep -qv '^??' && echo "-dirty" || true)

set_state() {   # the folder's state file, written whole
  printf '%s\n' "$*" > "$dir/state.tmp" && mv -f "$dir/state.tmp" "$dir/state"
}

# runjson new N ARGS... | runjson resume: writes run.json (new: the matrix's arguments ARGS, of
# which the first N bench.sh added) or appends this sitting to its "resumed" (resume); prints
# the matrix's arguments, NUL-separated.
runjson() {
  /usr/bin/python3 - "$dir" "$commit$dirty" "$@" <<'PY'
import json, os, platform, subprocess, sys, time
d, commit, mode, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
path = os.path.join(d, "run.json")
def first(p, key):
    try:
        for line in open(p):
            if line.startswith(key): return line.split(":", 1)[1].strip()
    except OSError: pass
    return None
now = {"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "loadavg_at_start": open("/proc/loadavg").read().split()[:3]}
if mode == "new":
    added, args = int(args[0]), args[1:]
    reps = args[args.index("--repetitions") + 1] if "--repetitions" in args[:-1] else "1"
    user = args[added:]
    info = {
        "commit": commit, "date_utc": now["date_utc"],
        "command": "make bench" + ("" if not user else " BENCH_ARGS='%s'" % " ".join(user)),
        "bench_args": args,
        "repetitions": int(reps) if reps.isdigit() else reps,
        "machine": {"cpu": first("/proc/cpuinfo", "model name"), "cores": os.cpu_count(),
                    "memory": first("/proc/meminfo", "MemTotal"), "kernel": platform.release(),
                    "loadavg_at_start": now["loadavg_at_start"]},
        "compiler": subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
    }
else:
    try:
        info = json.load(open(path))
        args = info["bench_args"]
    except (OSError, ValueError, KeyError) as e:
        sys.exit("bench.sh: %s: cannot resume: no matrix arguments to repeat (%s: a folder of an older "
                 "make bench, or not a results folder)" % (path, e))
    if info.get("commit") != commit:
        sys.exit("bench.sh: %s was measured at commit %s, this tree is %s: its cells and the rest would come "
                 "from two builds; start a new run (make bench)" % (d, info.get("commit"), commit))
    if commit.endswith("-dirty"):
        print("bench.sh: warning: uncommitted changes: whether they are those %s was measured with "
              "cannot be told" % d, file=sys.stderr)
    info.setdefault("resumed", []).append(now)
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(info, f, indent=2)
os.replace(tmp, path)
sys.stdout.write("".join(a + "\0" for a in args))
PY
}

# unfinished FOLDER: whether FOLDER's run stopped before its end (interrupted, or its bench.sh
# is gone while the state still says running).
unfinished() {
  local s pid
  read -r s pid < "$1/state" 2>/dev/null || return 1
  case "$s" in
    interrupted) return 0 ;;
    running) [ "$pid" != $$ ] && ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q bench.sh ;;
    *) return 1 ;;
  esac
}

# The running step, in a process group of its own so that one signal reaches all of it (the
# matrix and its cell, the scaling step and its `gcscope cell`, gnuplot).
step="" caught=""
on_signal() {
  [ -n "$caught" ] || caught=$1
  if [ -n "$step" ]; then kill -TERM -- "-$step" 2> /dev/null || kill -TERM "$step" 2> /dev/null || true; fi
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP
# Whatever ends the script early (a setup command killed by Ctrl-C, an error), the state file
# does not go on saying running.
on_exit() {
  local s pid
  if [ -n "$dir" ] && read -r s pid < "$dir/state" 2> /dev/null && [ "$s" = running ] && [ "$pid" = $$ ]; then
    if [ -n "$caught" ]; then set_state interrupted; else set_state failed; fi
  fi
}
trap on_exit EXIT
# remove_temporaries: what a killed step left of the folder's files (the matrix and scaling.sh
# remove a cell's partial set themselves); only while no step runs.
remove_temporaries() {
  find "$dir" \( -name '*.tmp' -o -name '*.tmp.*' \) -prune -exec rm -rf {} +
}
interrupted() {
  remove_temporaries
  set_state interrupted
  echo "gcscope: interrupted (SIG$caught): $dir keeps every finished cell; make bench RESUME=$dir" \
       "(driver/bench.sh --resume $dir) runs the rest" >&2
  trap - "$caught"
  kill -s "$caught" $$
  exit 130
}
# run_step CMD...: CMD in its own session, waited for; returns its status. After a signal,
# ends the run as interrupted instead.
run_step() {
  local st=0
  [ -z "$caught" ] || interrupted
  setsid "$@" &
  step=$!
  [ -z "$caught" ] || on_signal "$caught"
  wait "$step" || st=$?
  while kill -0 "$step" 2> /dev/null; do   # a trap ended the wait: wait for the step's end
    st=0
    wait "$step" || st=$?
  done
  step=""
  [ -z "$caught" ] || interrupted
  return "$st"
}

resume_flag=()
if [ -n "$resuming" ]; then
  if [ ! -d "$dir/cells" ] || [ ! -f "$dir/run.json" ]; then
    echo "bench.sh: --resume $dir: not a results folder (no cells/ or run.json)" >&2
    exit 2
  fi
  if read -r s pid < "$dir/state" 2> /dev/null && [ "$s" = running ] && ! unfinished "$dir"; then
    echo "bench.sh: --resume $dir: another bench.sh (pid $pid) is running in it" >&2
    exit 2
  fi
  read -r s _ < "$dir/state" 2> /dev/null || s="(no state: an older make bench)"
  runjson resume > "$dir/args.tmp" || { rm -f "$dir/args.tmp"; exit 2; }
  mapfile -d '' margs < "$dir/args.tmp"
  set_state running $$
  remove_temporaries   # a SIGKILL's
  resume_flag=(--resume)
  echo "gcscope: resuming $dir (it was $s): finished cells kept, the rest run" >&2
else
  reps=()
  case " $* " in *" --repetitions "*) ;; *) reps=(--repetitions "${REPS:-3}") ;; esac
  for old in results/*/; do   # the newest unfinished folder of this commit, named, not taken
    [ -f "$old/run.json" ] && unfinished "${old%/}" && grep -q "\"commit\": \"$commit$dirty\"" "$old/run.json" &&
      hint=${old%/}
  done
  if [ -n "${hint:-}" ]; then
    echo "gcscope: $hint (this commit) is unfinished: make bench RESUME=$hint runs only its missing cells" >&2
  fi
  [ -n "$dir" ] || dir="results/$(date -u +%Y%m%d-%H%M%S)-${commit}${dirty}"
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
    echo "bench.sh: --results $dir: the folder exists and is not empty (--resume $dir resumes it)" >&2
    exit 2
  fi
  mkdir -p "$dir/cells"
  set_state running $$
  if ! build/gcscope list --json > "$dir/list.json.tmp"; then
    echo "gcscope: build/gcscope list --json failed: the tables need its collectors and figures" >&2
    exit 1
  fi
  mv "$dir/list.json.tmp" "$dir/list.json"
  runjson new ${#reps[@]} "${reps[@]}" "$@" > "$dir/args.tmp"
  mapfile -d '' margs < "$dir/args.tmp"
  rm -f "$dir/args.tmp"
  build/gcscope-bench --out "$dir" --benchmark_list_tests=true "${margs[@]}" |
    sed 's|/iterations:.*||' > "$dir/plan.txt.tmp"
  mv "$dir/plan.txt.tmp" "$dir/plan.txt"
fi
echo "gcscope: results in $dir" >&2

st=0
run_step build/gcscope-bench --out "$dir" "${resume_flag[@]}" --benchmark_out="$dir/gbench.json" \
  --benchmark_out_format=json --benchmark_counters_tabular=false "${margs[@]}" > "$dir/gbench.txt.tmp" || st=$?
mv -f "$dir/gbench.txt.tmp" "$dir/gbench.txt"
if [ "$st" -ne 0 ]; then
  set_state failed
  echo "gcscope: the matrix failed (exit status $st)" >&2
  exit "$st"
fi
status=0   # a failed cell fails the run, but what did run is still summarized and drawn
run_step /usr/bin/python3 tools/summarize.py "$dir" || status=$?
run_step driver/scaling.sh "$dir" "${margs[@]}" || status=1   # live-heap at a few sizes (≤ ~1 min), for the plots
if [ -x tools/plots.sh ] && [ -f "$dir/cells.tsv" ]; then run_step tools/plots.sh "$dir" || status=1; fi
if [ "$status" -eq 0 ]; then set_state finished; else set_state failed; fi
echo "gcscope: results in $dir ($((SECONDS - began)) s)" >&2
exit $status
