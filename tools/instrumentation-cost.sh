#!/usr/bin/env bash
# instrumentation-cost.sh [ROUNDS] [COLLECTOR:WORKLOAD ...] — what the driver's own measuring
# costs: each cell is run ROUNDS times with pause logging and RSS sampling on (the default)
# and off (--set pause_log=0 --sample-ms 0), alternating, each run a fresh process; prints the
# median wall time and main-thread CPU time of each, and their ratios. Ratios, side by side,
# because this machine is shared; the CPU-time ratio is the one other load disturbs least (it
# leaves out the sampler thread, whose own cost is one statm read per --sample-ms).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-11}; shift || true
cells=("$@")
[ ${#cells[@]} -gt 0 ] || cells=(cpython:churn rc:binary-trees incremental:live-heap marksweep:gcbench)
bin=build/gcscope
wall() { "$bin" run --json "$@" | /usr/bin/python3 -c 'import json,sys; t=json.load(sys.stdin)["time"]; print("%d:%d" % (t["wall_ns"], t["cpu_ns"]))'; }
printf '%-24s %10s %10s %9s %10s %10s %9s\n' cell wall_on wall_off wall_ratio cpu_on cpu_off cpu_ratio
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
wa, wb = statistics.median(w for w, _ in on), statistics.median(w for w, _ in off)
ca, cb = statistics.median(c for _, c in on), statistics.median(c for _, c in off)
print("%-24s %8.1fms %8.1fms %9.4f %8.1fms %8.1fms %9.4f" % (cell, wa / 1e6, wb / 1e6, wa / wb, ca / 1e6, cb / 1e6, ca / cb))
PY
done
