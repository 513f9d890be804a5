/*
** test_incremental.c — the incremental collector's pacer (collectors/incremental.c): the
** heap stays under the bound its pause setting states, and cycles keep completing.
**
** The bound (docs/tracing.md): with a live heap that stays as it is — E bytes kept by each
** marking, floating garbage included — and a mutator allocating objects that die, the heap
** never exceeds E * pause_pct / 100 plus a slack of two steps' allocation (the step that
** crosses the goal, and the one after it). The pacer plans to peak 10 % of the room below it. The test holds a
** live tree and churns short-lived objects through a rooted ring — the shape of tracebench
** churn, smaller — and checks gcs_heap.live_bytes after every allocation, under several
** pause settings. In the stress build (a collection at every safepoint) the bound holds
** trivially and the test still runs.
**
** Build macros: none of its own (GCS_DEBUG and GCS_STRESS as every test).
*/
#include "tests/support.h"

#include <criterion/criterion.h>
#include <stdio.h>

#define RING 64

/* A complete binary tree of 2^depth - 1 two-slot nodes, rooted in *slot. */
static void build(gcs_obj **slot, int depth) {
  gcs_root_set(slot, gcs_new(2, 0));
  if (depth == 1) return;
  gcs_obj **kids = gcs_frame_push(2);
  build(&kids[0], depth - 1);
  build(&kids[1], depth - 1);
  gcs_store(*slot, 0, kids[0]);
  gcs_store(*slot, 1, kids[1]);
  gcs_frame_pop(kids);
}

/* Churns `allocs` objects beside a live tree under pause_pct=pct and step_bytes=step; fails the test the first
** time the heap passes the bound. Returns the highest heap seen, over the bound. */
static double churn_peak(int pct, int depth, uint32_t allocs, int step) {
  char pause[64], steps[64];
  snprintf(pause, sizeof pause, "pause_pct=%d", pct);
  snprintf(steps, sizeof steps, "step_bytes=%d", step);
  ts_open("incremental", (const char *const[]){pause, "pause_min_bytes=0", steps, NULL});
  int64_t step_bytes = gcs_knob("step_bytes");
  gcs_obj **keep = gcs_frame_push(2);
  build(&keep[0], depth);
  gcs_root_set(&keep[1], gcs_new(RING, 0));
  gcs_heap_collect(-1);
  /* The estimate E the goal is set from: what the marking kept — the tree, the ring, the RING
  ** objects the ring holds at any time, and the floating garbage: the RING objects it held
  ** when the marking scanned it (replaced since), and the leaves replaced after their parent
  ** was scanned (2 % covers them: one a 256 allocations) */
  uint64_t node = gcs_heap.live_bytes / gcs_heap.live_objects;  /* all nodes have one size */
  uint64_t live = (gcs_heap.live_bytes + 2 * RING * node) * 102 / 100;
  uint64_t bound = live * (uint64_t)pct / 100 + 2 * (uint64_t)step_bytes;
  uint64_t peak = 0, s = 11;
  gcs_gc_report_t r0, r1;
  gcs_heap_report(&r0);
  for (uint32_t i = 0; i < allocs; i++) {
    gcs_store(keep[1], i % RING, gcs_new(2, 0));
    if (i % 256 == 255) {  /* a new leaf in the old tree: a store into an old object */
      uint64_t path = gcs_rng_next(&s);
      gcs_obj *p = keep[0];
      for (int d = 0; d < depth - 2; d++) p = gcs_load(p, (uint32_t)((path >> d) & 1));
      gcs_store(p, (uint32_t)((path >> 40) & 1), gcs_new(2, 0));
    }
    if (gcs_heap.live_bytes > peak) peak = gcs_heap.live_bytes;
    cr_assert_leq(gcs_heap.live_bytes, bound,
                  "pause_pct=%d: after %u allocations the heap holds %llu bytes, over the bound "
                  "%llu (estimate %llu × %d%% + 2 steps of %lld)", pct, i + 1,
                  (unsigned long long)gcs_heap.live_bytes, (unsigned long long)bound,
                  (unsigned long long)live, pct, (long long)step_bytes);
  }
  gcs_heap_report(&r1);
  uint64_t cycles = r1.gen[0].collections - r0.gen[0].collections;
  /* nothing is freed between a cycle's start and its atomic phase, nor what is allocated
  ** during its sweep: a cycle spans at most 2 × bound bytes of allocation */
  uint64_t want = (uint64_t)allocs * node / (2 * bound);
  cr_assert_geq(cycles + 1, want, "pause_pct=%d: %llu cycles completed in %u allocations, expected %llu",
                pct, (unsigned long long)cycles, allocs, (unsigned long long)want);
  gcs_frame_pop(keep);
  ts_close();
  return (double)peak / (double)bound;
}

Test(incremental, heap_stays_under_the_pause_bound) {
  bool small = GCS_DEBUG || GCS_STRESS;
  int depth = small ? 10 : 15;
  uint32_t allocs = small ? 40000 : 1000000;
  int step = small ? 512 : 8192;  /* a step small beside the room: the bound is a steady state's */
  const int pcts[] = {150, 200, 400};
  for (int i = 0; i < 3; i++) {
    double r = churn_peak(pcts[i], depth, allocs, step);
    cr_log_info("pause_pct=%d: peak heap %.2f of the bound", pcts[i], r);
  }
}
