#!/usr/bin/env bash
# bench-replay.sh — `make bench-replay`: replays the bundled traces (traces/*.trace) under every
# collector and prints a table of what each allocated, freed, leaked and found at each `collect`.
# A correctness table, not timed: `make bench` (driver/bench.sh) is the measured matrix.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/gcscope
collectors=$($bin list | awk '/^collectors:/{on=1; next} /^[a-z]/{on=0} on{print $1}')
printf '%-22s %-12s %8s %8s %8s %12s %s\n' trace collector alloc freed leaked leaked_bytes collects
for t in traces/*.trace; do
  for c in $collectors; do
    $bin replay --collector "$c" --json "$t" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin); o = d["objects"]
print("%-22s %-12s %8d %8d %8d %12d %s" % (sys.argv[1], d["collector"], o["allocated"], o["freed"],
      o["leaked"], o["leaked_bytes"], d["collects"]))' "$(basename "$t")"
  done
done
