#!/usr/bin/env bash
# instrumentation-cost.sh [ROUNDS] [COLLECTOR:WORKLOAD ...] — what the driver's own measuring
# costs, measured three ways:
#   clocks     ns per read of each clock a logged pause reads (CLOCK_MONOTONIC twice,
#              CLOCK_THREAD_CPUTIME_ID twice), from a small C loop compiled here;
#   callgrind  instructions of each cell with the pause log on and off (--set pause_log=1|0,
#              both with --sample-ms 0 so the sampler thread is out of both): deterministic, so
#              the difference is the log's cost, clock reads included (pause_log=0 reads none);
#   wall       each cell run ROUNDS times with pause logging and RSS sampling on (the default)
#              and off (--set pause_log=0 --sample-ms 0), alternating, each run a fresh
#              process; the median wall time and main-thread CPU time of each, with min-max,
#              and their ratios. Ratios, side by side, because this machine is shared; the
#              CPU-time ratio is the one other load disturbs least (it leaves out the sampler
#              thread, whose own cost is one statm read per --sample-ms).
# SKIP=callgrind (or clocks, wall; comma-separated) leaves a part out; BIN=path another gcscope
# binary. Needs valgrind and cc.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-11}; shift || true
cells=("$@")
[ ${#cells[@]} -gt 0 ] || cells=(cpython:churn rc:binary-trees incremental:live-heap marksweep:gcbench)
skip=",${SKIP:-},"
bin=${BIN:-build/gcscope}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ $skip != *,clocks,* ]]; then
  cat > "$tmp/clockcost.c" <<'C'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static uint64_t ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
int main(void) { /* the median of 11 loops of 200,000 reads */
  const clockid_t ids[2] = {CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID};
  const char *names[2] = {"CLOCK_MONOTONIC", "CLOCK_THREAD_CPUTIME_ID"};
  for (int c = 0; c < 2; c++) {
    double r[11];
    volatile uint64_t sink = 0;
    for (int k = 0; k < 11; k++) {
      uint64_t t0 = ns(CLOCK_MONOTONIC);
      for (int i = 0; i < 200000; i++) sink += ns(ids[c]);
      r[k] = (double)(ns(CLOCK_MONOTONIC) - t0) / 200000;
    }
    qsort(r, 11, sizeof *r, cmp);
    printf("%-24s %8.1f ns a read (min %.1f, max %.1f)\n", names[c], r[5], r[0], r[10]);
  }
  return 0;
}
C
  cc -O2 -o "$tmp/clockcost" "$tmp/clockcost.c"
  echo "# clocks: ns per read (a logged pause reads each twice)"
  "$tmp/clockcost"
fi

if [[ $skip != *,callgrind,* ]]; then
  echo "# callgrind: instructions (Ir) with the pause log on and off, --sample-ms 0 in both"
  printf '%-24s %8s %15s %15s %12s %10s\n' cell pauses ir_on ir_off ir_per_pause ratio
  for cell in "${cells[@]}"; do
    c=${cell%%:*} w=${cell#*:}
    for log in 1 0; do
      valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$log" "$bin" run --collector "$c" \
        --workload "$w" --set pause_log=$log --sample-ms 0 --json --out "$tmp/run.$log" \
        > /dev/null 2> "$tmp/cg.$log.err"
    done
    /usr/bin/python3 - "$cell" "$tmp" <<'PY'
import json, re, sys
cell, tmp = sys.argv[1], sys.argv[2]
ir = {}
for log in "10":
    m = re.search(r"Collected : (\d+)", open("%s/cg.%s.err" % (tmp, log)).read())
    ir[log] = int(m.group(1))
n = json.load(open(tmp + "/run.1.json"))["pauses"]["count"]
d = ir["1"] - ir["0"]
print("%-24s %8d %15d %15d %12s %10.5f" % (cell, n, ir["1"], ir["0"], "%.0f" % (d / n) if n else "-",
                                          ir["1"] / ir["0"]))
PY
  done
fi

if [[ $skip != *,wall,* ]]; then
  echo "# wall: median (min-max) of $rounds runs each, instrumentation on and off, alternating"
  wall() { "$bin" run --json "$@" | /usr/bin/python3 -c 'import json,sys; t=json.load(sys.stdin)["time"]; print("%d:%d" % (t["wall_ns"], t["cpu_ns"]))'; }
  printf '%-24s %22s %22s %9s %22s %22s %9s\n' cell wall_on wall_off wall_ratio cpu_on cpu_off cpu_ratio
  for cell in "${cells[@]}"; do
    c=${cell%%:*} w=${cell#*:}
    on=() off=()
    for ((i = 0; i < rounds; i++)); do
      on+=("$(wall --collector "$c" --workload "$w")")
      off+=("$(wall --collector "$c" --workload "$w" --set pause_log=0 --sample-ms 0)")
    done
    /usr/bin/python3 - "$cell" "${on[*]}" "${off[*]}" <<'PY'
import statistics, sys
cell = sys.argv[1]
on = [tuple(map(int, x.split(":"))) for x in sys.argv[2].split()]
off = [tuple(map(int, x.split(":"))) for x in sys.argv[3].split()]
def fig(xs):
    return "%.1f (%.1f-%.1f)ms" % (statistics.median(xs) / 1e6, min(xs) / 1e6, max(xs) / 1e6)
wa, wb = [w for w, _ in on], [w for w, _ in off]
ca, cb = [c for _, c in on], [c for _, c in off]
print("%-24s %22s %22s %9.4f %22s %22s %9.4f" % (cell, fig(wa), fig(wb), statistics.median(wa) / statistics.median(wb),
                                               fig(ca), fig(cb), statistics.median(ca) / statistics.median(cb)))
PY
  done
fi
