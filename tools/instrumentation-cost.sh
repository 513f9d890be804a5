#!/usr/bin/env bash
# instrumentation-cost.sh [ROUNDS] [COLLECTOR:WORKLOAD ...] — what the driver's own measuring
# costs: each cell is run ROUNDS times with pause logging and RSS sampling on (the default)
# and off (--set pause_log=0 --sample-ms 0), alternating, each run a fresh process; prints the
# median wall time of each and their ratio. Ratios, side by side, because this machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-11}; shift || true
cells=("$@")
[ ${#cells[@]} -gt 0 ] || cells=(cpython:churn rc:binary-trees incremental:live-heap marksweep:gcbench)
bin=build/gcscope
wall() { "$bin" run --json "$@" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["time"]["wall_ns"])'; }
printf '%-24s %12s %12s %8s\n' cell on_ms off_ms on/off
for cell in "${cells[@]}"; do
  c=${cell%%:*} w=${cell#*:}
  on=() off=()
  for ((i = 0; i < rounds; i++)); do
    on+=("$(wall --collector "$c" --workload "$w")")
    off+=("$(wall --collector "$c" --workload "$w" --set pause_log=0 --sample-ms 0)")
  done
  /usr/bin/python3 - "$cell" "${on[*]}" "${off[*]}" <<'PY'
import statistics, sys
cell, on, off = sys.argv[1], [int(x) for x in sys.argv[2].split()], [int(x) for x in sys.argv[3].split()]
a, b = statistics.median(on), statistics.median(off)
print("%-24s %12.1f %12.1f %8.4f" % (cell, a / 1e6, b / 1e6, a / b))
PY
done
