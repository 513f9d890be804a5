#!/usr/bin/env bash
# scaling.sh DIR [gcscope-bench arguments] — the scaling step of `make bench`: `live-heap` at a few
# heap sizes N per collector, so the plots can draw the longest and p99 pause against the live
# heap. Each run: N two-slot containers in a (shuffled) tree, then 3N short-lived allocations with
# the heap live (churn), the collector's own collections only (collections=0).
#   DIR/scaling/COLLECTOR.live-heap.N.{json,pauses.tsv,rss.tsv,counters.tsv,log}
#   (each run through `gcscope cell`: a child process, its stderr to the .log, 30 s at most)
#   DIR/scaling.tsv   collector, N, live MiB, p99 and max pause after the heap is built
# Honours the matrix's --collectors; skipped when --workloads leaves out live-heap, when
# --sizes leaves out default, when this build has no live-heap, or with GCS_SCALING=0.
# Budget: the sizes run smallest first and no new run starts after SCALING_BUDGET_S (20) seconds,
# so the step stays within about a minute on 2 cores.
# Resumable (make bench RESUME=DIR): a run whose four result files are present is kept, not run
# again (and costs no budget); what an interrupted run left of its files is removed before it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: driver/scaling.sh RESULTS_DIR [gcscope-bench arguments]}
shift
collectors="" workloads="" sizes="default"
while [ $# -gt 0 ]; do
  case "$1" in
    --collectors) collectors=${2:-}; shift ;;
    --workloads) workloads=${2:-}; shift ;;
    --sizes) sizes=${2:-}; shift ;;
  esac
  shift
done
has() { case ",$1," in *",$2,"*) return 0 ;; *) return 1 ;; esac; }
if [ "${GCS_SCALING:-1}" = 0 ] || { [ -n "$workloads" ] && ! has "$workloads" live-heap; } || ! has "$sizes" default; then
  exit 0
fi
# names() KEY: the names under KEY in `gcscope list --json`, comma-separated, in registry order
names() {
  build/gcscope list --json | /usr/bin/python3 -c \
    'import json, sys; print(",".join(x["name"] for x in json.load(sys.stdin)[sys.argv[1]]))' "$1"
}
if ! has "$(names workloads)" live-heap; then
  echo "gcscope: scaling step skipped: this build has no live-heap workload" >&2
  exit 0
fi
[ -n "$collectors" ] || collectors=$(names collectors)
budget=${SCALING_BUDGET_S:-20}
mkdir -p "$dir/scaling"
start=$SECONDS
skipped=""
for n in 10000 30000 100000 300000 1000000 3000000; do
  for c in ${collectors//,/ }; do
    [ "$c" = none ] && continue   # never pauses: nothing to draw
    prefix="$dir/scaling/$c.live-heap.$n"
    whole=1
    for ext in json pauses.tsv rss.tsv counters.tsv; do [ -s "$prefix.$ext" ] || whole=""; done
    [ -z "$whole" ] || continue
    if [ $((SECONDS - start)) -ge "$budget" ]; then
      skipped="$skipped $c@$n"
      continue
    fi
    rm -f "$prefix".*
    if ! build/gcscope cell --timeout-s 30 --out "$prefix" --collector "$c" --workload live-heap \
         --set objects=$n --set shape=shuffled-tree --set churn=$((3 * n)) --set collections=0 \
         > /dev/null; then
      echo "gcscope: scaling: $c at $n objects failed (see $prefix.log)" >&2
    fi
  done
done
[ -z "$skipped" ] || echo "gcscope: scaling: out of time budget (${budget}s), not run:$skipped" >&2
echo "gcscope: scaling step: $((SECONDS - start)) s" >&2
/usr/bin/python3 tools/plotdata.py scaling "$dir"
