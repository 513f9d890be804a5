/*
** live_heap.c — what a live heap costs: a heap of two-slot containers in a chosen shape, kept
** live while the collector works.
**
** Not a port: gcscope's own measurement of the pure traversal cost (the quantity pyperformance
** gc_traversal samples with one shape), with the shape and the allocation order as knobs:
**     chain           node k's slot 0 -> node k + 1; allocated in index order
**     tree            complete binary tree, node k's children 2k + 1 and 2k + 2 (slots 0, 1);
**                     allocated in index order (a breadth-first layout in memory)
**     shuffled-tree   the same tree, its nodes allocated in a random order (from --seed), so
**                     a traversal's next object is anywhere in the heap
** To allocate out of order every node is first held by a `holder` container of `objects`
** slots (all shapes use it, so they differ only in order); the links are stored once every
** node exists, then the holder is dropped and an untimed full collection frees it.
** Then, with the heap live:
**     churn          `churn` short-lived allocations (two-slot containers, each dead 16
**                    allocations later), with whatever automatic collections the collector
**                    runs: the pauses a live heap costs a running program
**     collections    `collections` explicit full collections, each timed with gcs_now_ns():
**                    figure ns_per_object = median collection time / objects. Each must find
**                    nothing unreachable.
** Both phases run when both knobs are non-zero (churn first). Tags hold the node index; the
** self-check walks the shape from its root and checks every link and tag, and the count.
** The shapes are acyclic: `rc` frees everything.
**
** Knobs: objects, shape, collections, churn. Peak live data ("built"): once the shape is
** linked and the holder dropped.
*/
#include "workloads/workloads.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

enum { CHAIN = 0, TREE = 1, SHUFFLED_TREE = 2 };
static const char *const shapes[] = {"chain", "tree", "shuffled-tree", NULL};

static const gcs_knob_t live_heap_knobs[] = {
  {"objects", 1000000, 1, 200000000, NULL, "two-slot containers in the live shape"},
  {"shape", TREE, 0, 2, shapes, "chain | tree (index order) | shuffled-tree (random order)"},
  {"collections", 5, 0, 1000000, NULL, "timed explicit full collections (figure ns_per_object)"},
  {"churn", 0, 0, 10000000000, NULL, "short-lived allocations with the heap live (before the collections)"},
  {NULL, 0, 0, 0, NULL, NULL},
};

#define CHURN_RING 16 /* a churn object dies this many allocations after its birth */

/* Walks the shape from root: 0, or 1 after a failed check. */
static int check_shape(gcs_obj *root, uint32_t n, int shape) {
  if (shape == CHAIN) {
    uint32_t k = 0;
    for (gcs_obj *o = root; o; o = gcs_load(o, 0), k++) {
      GCS_WL_CHECK(k < n && o->tag == k && gcs_load(o, 1) == NULL, "chain node %u has tag %u", k,
                   o->tag);
    }
    GCS_WL_CHECK(k == n, "chain of %u nodes, expected %u", k, n);
    return 0;
  }
  /* The walk's queue (8 bytes a node) gets its own mapping, as the pause log does: from
  ** malloc it would stay in glibc's heap after the walk and count against the memory
  ** returned. The holder, an object above 512 bytes, is malloc's (the arena's fallback, as
  ** pymalloc's); glibc mmap'ed it, and its free raised glibc's mmap threshold to its size, so
  ** a queue of the same size would come from the heap, below a trim threshold of twice that. */
  size_t qbytes = (size_t)n * sizeof(gcs_obj *);
  gcs_obj **queue = mmap(NULL, qbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  GCS_WL_CHECK(queue != MAP_FAILED, "no memory for the walk");
  uint32_t head = 0, tail = 0;
  bool bad = false;
  queue[tail++] = root;
  while (head < tail && !bad) {
    gcs_obj *o = queue[head++];
    uint64_t k = o->tag;
    bad = k != head - 1; /* breadth-first order is index order */
    for (uint32_t s = 0; s < 2 && !bad; s++) {
      uint64_t child = 2 * k + 1 + s;
      gcs_obj *c = gcs_load(o, s);
      if (child >= n)
        bad = c != NULL;
      else if (c == NULL || c->tag != child || tail >= n)
        bad = true;
      else
        queue[tail++] = c;
    }
  }
  munmap(queue, qbytes);
  GCS_WL_CHECK(!bad && head == n && tail == n, "tree walk: node %u of %u is wrong", head, n);
  return 0;
}

static int run_live_heap(gcs_wl_ctx *ctx) {
  const uint32_t n = (uint32_t)gcs_knob("objects");
  const int shape = (int)gcs_knob("shape");
  const uint64_t collections = (uint64_t)gcs_knob("collections");
  const uint64_t churn = (uint64_t)gcs_knob("churn");
  uint32_t *order = malloc((size_t)n * sizeof *order);
  uint64_t *times = malloc((collections + 1) * sizeof *times);
  GCS_WL_CHECK(order && times, "no memory for %u objects", n);
  for (uint32_t i = 0; i < n; i++) order[i] = i;
  if (shape == SHUFFLED_TREE) {
    uint64_t rnd = ctx->seed;
    gcs_rng_shuffle(order, n, &rnd);
  }

  gcs_obj **r = gcs_frame_push(2 + CHURN_RING); /* root, holder, churn ring */
  gcs_root_set(&r[1], gcs_new(n, 0));
  for (uint32_t i = 0; i < n; i++) {
    gcs_obj *o = gcs_new(2, 0);
    o->tag = order[i];
    gcs_store(r[1], order[i], o);
    gcs_safepoint();
  }
  free(order);
  gcs_obj *holder = r[1];
  for (uint32_t k = 0; k < n; k++) {
    gcs_obj *o = gcs_load(holder, k);
    if (shape == CHAIN) {
      if (k + 1 < n) gcs_store(o, 0, gcs_load(holder, k + 1));
    } else {
      if (2 * (uint64_t)k + 1 < n) gcs_store(o, 0, gcs_load(holder, 2 * k + 1));
      if (2 * (uint64_t)k + 2 < n) gcs_store(o, 1, gcs_load(holder, 2 * k + 2));
    }
  }
  gcs_root_set(&r[0], gcs_load(holder, 0));
  gcs_root_set(&r[1], NULL);
  gcs_heap_collect(-1); /* frees the holder (the tracing collectors) */
  gcs_wl_mark(ctx, "built");

  for (uint64_t i = 0; i < churn; i++) {
    gcs_root_set(&r[2 + i % CHURN_RING], gcs_new(2, 0));
    gcs_safepoint();
  }
  for (uint32_t i = 0; i < CHURN_RING; i++) gcs_root_set(&r[2 + i], NULL);
  if (churn) gcs_wl_mark(ctx, "churned"); /* the steady state ends: later pauses are teardown */
  if (collections) gcs_heap_collect(-1); /* untimed: the churn's garbage */

  for (uint64_t i = 0; i < collections; i++) {
    uint64_t t0 = gcs_now_ns();
    uint64_t found = gcs_heap_collect(-1);
    times[i] = gcs_now_ns() - t0;
    GCS_WL_CHECK(found == 0, "collection %llu of a live heap found %llu unreachable",
                 (unsigned long long)i, (unsigned long long)found);
  }
  if (collections) gcs_wl_figure(ctx, "ns_per_object", (double)gcs_median_u64(times, collections) / n);
  free(times);

  if (check_shape(r[0], n, shape)) return 1;
  gcs_frame_pop(r);
  return 0;
}

static const char *const live_heap_small[] = {"objects=300", "shape=shuffled-tree",
                                              "collections=3", "churn=300", NULL};
static const char *const live_heap_bench[] = {"objects=250000", NULL};

const gcs_workload_t gcs_workload_live_heap = {
  .name = "live-heap",
  .summary = "a live heap (chain | tree | shuffled-tree): timed full collections or churn beside it",
  .knobs = live_heap_knobs,
  .small = live_heap_small,
  .bench = live_heap_bench,
  .run = run_live_heap,
};
