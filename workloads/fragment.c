/*
** fragment.c — the memory-return story: most of a heap of small objects dies, scattered or in
** runs; how much of the freed memory leaves RSS?
**
** Not a port; it reproduces a measurement of CPython's pymalloc that prompted it
** (2M objects, 90% freed: 0% returned one by one, 0% in runs of 100, 23% in runs of 1,000 —
** one live object pins its 1 MiB arena):
**     `objects` two-slot containers, allocated in order as a chain (slot 0 -> the next; tag =
**     the index), held from one root
**     mark "built" (the cell reads RSS and what the allocator holds there)
**     free_pct percent of them dropped: the chain is cut into runs of `batch` consecutive
**     allocations (the last may be shorter) and exactly round(runs * free_pct / 100) runs,
**     chosen uniformly at random from --seed (Knuth's selection sampling), are unlinked —
**     batch = 1 drops single objects at random, larger batches whole structures that die
**     together
**     gcs_heap_collect(-1) (it frees the tracing collectors' garbage; under RC every unlink
**     has freed already), then gcs_arena_collect(true) (core/arena.h, through core/internal.h)
**     when the heap runs on the arena, so that the `pool` release policy purges every empty
**     pool now rather than after purge_delay_ms; under every policy it also hands back the
**     lone empty pool a size class retains (GCS_ARENA_RETAIN), which can free an arena
**     mark "freed": the cell measures what was returned between "built" and "freed" — its
**     memory.returned_bytes and returned_fraction, one definition for every workload
**     (docs/memory.md): smaps_rollup Rss less LazyFree at both marks, against the bytes the
**     allocator held for the objects freed in between; memory.allocator_returned_bytes is
**     what the arena itself says it gave back, to tell object memory from the collector's own
** The unlinks run in chain order, not in a random order: which objects die (what pins a pool
** or an arena) is random, the order of the frees is not. The RSS includes the C stack, the
** shadow stack and the driver; nothing else changes between the two readings.
** Self-check: the surviving chain has exactly the survivors' count, tags strictly
** increasing, and every survivor's run was one chosen to live (recomputed from the seed).
** The chain is acyclic: `rc` frees everything.
**
** Knobs: objects, free_pct, batch.
*/
#include "core/internal.h"
#include "workloads/workloads.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const gcs_knob_t fragment_knobs[] = {
  {"objects", 2000000, 1, 1000000000, NULL, "two-slot containers allocated"},
  {"free_pct", 90, 0, 100, NULL, "percent of the runs dropped"},
  {"batch", 1, 1, 1000000000, NULL, "run length: consecutive allocations that die together (1 = one by one)"},
  {NULL, 0, 0, 0, NULL, NULL},
};

/* Knuth's algorithm S: decides, run after run, which `want` of `runs` runs die. */
typedef struct selection {
  uint64_t rnd;       /* PRNG state */
  uint64_t left;      /* runs not yet decided */
  uint64_t want;      /* of those, how many must still die */
} selection_t;

static bool next_dies(selection_t *s) {
  bool dies = gcs_rng_next(&s->rnd) % s->left < s->want;
  s->left--;
  if (dies) s->want--;
  return dies;
}

static int run_fragment(gcs_wl_ctx *ctx) {
  const uint64_t n = (uint64_t)gcs_knob("objects");
  const uint64_t free_pct = (uint64_t)gcs_knob("free_pct");
  const uint64_t batch = (uint64_t)gcs_knob("batch");
  const uint64_t runs = (n + batch - 1) / batch;
  const uint64_t dying_runs = (runs * free_pct + 50) / 100;
  GCS_WL_CHECK(n <= UINT32_MAX, "objects must fit a tag");
  gcs_obj **r = gcs_frame_push(1); /* the head of the chain */

  gcs_root_set(&r[0], gcs_new(2, 0));
  gcs_obj *tail = r[0]; /* reachable: the chain is rooted */
  for (uint64_t i = 1; i < n; i++) {
    gcs_obj *o = gcs_new(2, 0);
    o->tag = (uint32_t)i;
    gcs_store(tail, 0, o);
    tail = o;
    gcs_safepoint();
  }
  gcs_wl_mark(ctx, "built");

  /* Drop the chosen runs: unlink each dying object from the last survivor before it. */
  selection_t sel = {ctx->seed ^ 0xf7a6, runs, dying_runs};
  gcs_obj *prev = NULL; /* the last survivor, NULL while none: then the root is the link */
  gcs_obj *o = r[0];
  uint64_t survivors = 0;
  bool dies = false;
  for (uint64_t i = 0; i < n; i++) {
    if (i % batch == 0) dies = next_dies(&sel);
    gcs_obj *next = gcs_load(o, 0);
    if (dies) {
      if (prev)
        gcs_store(prev, 0, next); /* under RC, frees o now */
      else
        gcs_root_set(&r[0], next);
    } else {
      prev = o;
      survivors++;
    }
    o = next;
  }
  gcs_heap_collect(-1);
  if (gcs_heap.allocator == GCS_ALLOC_ARENA) gcs_arena_collect(true);
  gcs_wl_mark(ctx, "freed");

  /* The survivors: recompute the selection and walk the chain beside it. */
  sel = (selection_t){ctx->seed ^ 0xf7a6, runs, dying_runs};
  uint64_t k = 0, i = 0;
  o = r[0];
  for (; i < n; i++) {
    if (i % batch == 0) dies = next_dies(&sel);
    if (dies) continue;
    GCS_WL_CHECK(o != NULL && o->tag == i, "survivor %llu: expected object %llu, found %lld",
                 (unsigned long long)k, (unsigned long long)i, o ? (long long)o->tag : -1LL);
    o = gcs_load(o, 0);
    k++;
  }
  GCS_WL_CHECK(o == NULL && k == survivors, "%llu survivors walked, %llu kept",
               (unsigned long long)k, (unsigned long long)survivors);
  gcs_frame_pop(r);
  return 0;
}

static const char *const fragment_small[] = {"objects=400", "free_pct=90", "batch=7", NULL};
static const char *const fragment_bench[] = {"objects=500000", NULL};

const gcs_workload_t gcs_workload_fragment = {
  .name = "fragment",
  .summary = "memory return: small objects, free_pct of them dropped (one by one or in runs), RSS returned",
  .knobs = fragment_knobs,
  .small = fragment_small,
  .bench = fragment_bench,
  .run = run_fragment,
};
