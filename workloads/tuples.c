/*
** tuples.c — gh-139951's loop: a list that only grows, appended pairs of small values
** (`for i in range(n): l.append((i, i))`): every iteration makes net-new containers that
** stay live, each of which a CPython collector may untrack (a tuple of atoms:
** _PyTuple_MaybeUntrack, the `untrack_atom_only` knob of cpython and cpython-inc). Under
** 3.14.0's incremental collector the untracked tuples still counted in heap_size, and every
** increment's work grew with them; 3.14.1 counts tracked objects only (PR #140262).
**
**     list       a chain of chunks: container of `chunk` + 1 slots, the last the next chunk
**                (a Python list's item array, grown in steps)
**     pair       container 2 holding two atoms of 8 bytes; tag = i
** Self-check: walking the chain gives every pair in order with its atoms' tags.
**
** Knobs: items, chunk. "built": the end (the list is the live data, growing to the end).
*/
#include "workloads/workloads.h"

#include <stdint.h>

static const gcs_knob_t tuples_knobs[] = {
  {"items", 2000000, 1, 1000000000, NULL, "pairs appended"},
  {"chunk", 1024, 1, 1 << 24, NULL, "pairs per chunk of the list"},
  {NULL, 0, 0, 0, NULL, NULL},
};

static int run_tuples(gcs_wl_ctx *ctx) {
  (void)ctx;
  const uint64_t items = (uint64_t)gcs_knob("items");
  const uint32_t chunk = (uint32_t)gcs_knob("chunk");
  gcs_obj **r = gcs_frame_push(2); /* the list's first chunk, its last */
  gcs_root_set(&r[0], gcs_new(chunk + 1, 0));
  gcs_root_set(&r[1], r[0]);
  uint32_t used = 0;
  for (uint64_t i = 0; i < items; i++) {
    if (used == chunk) {
      gcs_store(r[1], chunk, gcs_new(chunk + 1, 0));
      gcs_root_set(&r[1], gcs_load(r[1], chunk));
      used = 0;
    }
    gcs_obj *pair = gcs_new(2, 0);
    pair->tag = (uint32_t)i;
    gcs_store(r[1], used++, pair);
    gcs_store(pair, 0, gcs_new_atom(8));
    gcs_store(pair, 1, gcs_new_atom(8));
    gcs_load(pair, 0)->tag = gcs_load(pair, 1)->tag = (uint32_t)i;
    gcs_safepoint();
  }
  gcs_wl_mark(ctx, "built");
  uint64_t seen = 0;
  for (gcs_obj *c = r[0]; c; c = gcs_load(c, chunk)) {
    for (uint32_t k = 0; k < chunk && seen < items; k++, seen++) {
      gcs_obj *p = gcs_load(c, k);
      GCS_WL_CHECK(p && p->tag == (uint32_t)seen && gcs_load(p, 0)->tag == (uint32_t)seen &&
                   gcs_load(p, 1)->tag == (uint32_t)seen, "pair %llu is damaged", (unsigned long long)seen);
    }
  }
  GCS_WL_CHECK(seen == items, "%llu pairs on the list, not %llu", (unsigned long long)seen,
               (unsigned long long)items);
  gcs_frame_pop(r);
  return 0;
}

static const char *const tuples_small[] = {"items=5000", "chunk=64", NULL};
static const char *const tuples_bench[] = {"items=500000", NULL};

const gcs_workload_t gcs_workload_tuples = {
  .name = "tuples",
  .summary = "gh-139951's loop: a growing list of appended pairs of atoms (net-new, untrackable containers)",
  .knobs = tuples_knobs,
  .small = tuples_small,
  .bench = tuples_bench,
  .run = run_tuples,
};
