/*
** rings.c — pyperformance's gc_collect: rings of nodes built, dropped, and collected.
**
** The original (pyperformance bm_gc_collect/run_benchmark.py), CYCLES = 100, LINKS = 20:
**     class Node: next, prev; link_next(n): self.next = n; n.prev = self
**     create_cycle(node, n_links): n_links new nodes after `node`, each linked to the one
**               before it by link_next, the last linked back to `node` the same way
**     per loop: gc.collect(); all_cycles = [a head Node + create_cycle(head, LINKS)] * CYCLES
**               del all_cycles; t0; collected = gc.collect(); total += now - t0
**               assert collected >= CYCLES * (LINKS + 1)
** Only the second gc.collect() is timed.
**
** Here: a Node is a two-slot container (slot 0 next, slot 1 prev), so every ring is linked
** both ways; its tag is its place in its ring (0 for the head), for the self-check only (the
** original's nodes hold nothing else). The list is a container of `rings` slots. A round is
** one loop of the original. The timed collection is reported as the figure
** collect_ns_median (median over the rounds). The original's assertion becomes: a collector
** that frees cycles (found at the start with a two-object probe cycle) must find at least
** rings * (ring_nodes) objects unreachable and leave the live count where it was before the
** round; one that does not (none, rc) must have found nothing. Each ring is walked before the
** drop: ring_nodes nodes by next, places 0, 1, .. LINKS, back to its head, every node's
** next's prev the node itself.
**
** Knobs: rounds (loops), rings (CYCLES), ring_nodes (LINKS + 1). Peak live data ("built"):
** the first round's rings, before their drop.
*/
#include "workloads/workloads.h"

#include <stdint.h>
#include <stdlib.h>

static const gcs_knob_t rings_knobs[] = {
  {"rounds", 3000, 1, 100000000, NULL, "loops of the original: build, drop, collect"},
  {"rings", 100, 1, 1000000, NULL, "rings per round (CYCLES)"},
  {"ring_nodes", 21, 1, 1000000, NULL, "nodes per ring (LINKS + 1)"},
  {NULL, 0, 0, 0, NULL, NULL},
};

/* Does the collector free an unreachable cycle? A two-node probe, dropped and collected. */
static bool frees_cycles(void) {
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(1, 0));
  gcs_store(r[0], 0, gcs_new(1, 0));
  gcs_store(gcs_load(r[0], 0), 0, r[0]);
  gcs_frame_pop(r);
  uint64_t live = gcs_heap.live_objects;
  gcs_heap_collect(-1);
  return gcs_heap.live_objects + 2 <= live;
}

static int run_rings(gcs_wl_ctx *ctx) {
  const uint64_t rounds = (uint64_t)gcs_knob("rounds");
  const uint32_t nrings = (uint32_t)gcs_knob("rings");
  const uint32_t ring_nodes = (uint32_t)gcs_knob("ring_nodes");
  const bool collects_cycles = frees_cycles();
  uint64_t *times = malloc(rounds * sizeof *times);
  GCS_WL_CHECK(times != NULL, "no memory for %llu timings", (unsigned long long)rounds);
  gcs_obj **r = gcs_frame_push(2); /* r[0] the list of rings, r[1] the ring being built */

  for (uint64_t round = 0; round < rounds; round++) {
    gcs_heap_collect(-1);
    const uint64_t live_before = gcs_heap.live_objects;
    gcs_root_set(&r[0], gcs_new(nrings, 0));
    for (uint32_t i = 0; i < nrings; i++) { /* create_gc_cycles */
      gcs_root_set(&r[1], gcs_new(2, 0)); /* node = Node() */
      gcs_store(r[0], i, r[1]);           /* cycles.append(node) */
      gcs_obj *current = r[1];            /* create_cycle(node, LINKS) */
      for (uint32_t k = 1; k < ring_nodes; k++) {
        gcs_obj *next = gcs_new(2, 0);    /* next_node = Node() */
        next->tag = k;
        gcs_store(current, 0, next);      /* current.link_next(next_node): next is reachable */
        gcs_store(next, 1, current);
        current = next;
      }
      gcs_store(current, 0, r[1]);        /* current.link_next(node) */
      gcs_store(r[1], 1, current);
      gcs_safepoint();
    }
    gcs_root_set(&r[1], NULL);
    if (round == 0) gcs_wl_mark(ctx, "built");
    for (uint32_t i = 0; i < nrings; i++) {
      gcs_obj *head = gcs_load(r[0], i), *n = head;
      uint32_t len = 0;
      do {
        GCS_WL_CHECK(n->tag == len, "ring %u node %u has place %u", i, len, n->tag);
        gcs_obj *next = gcs_load(n, 0);
        GCS_WL_CHECK(next != NULL && gcs_load(next, 1) == n, "ring %u node %u: next.prev is not it", i, len);
        n = next;
        len++;
      } while (n != head && len <= ring_nodes);
      GCS_WL_CHECK(n == head && len == ring_nodes, "ring %u: %u nodes, not closed", i, len);
    }

    gcs_root_set(&r[0], NULL); /* del all_cycles */
    uint64_t t0 = gcs_now_ns();
    uint64_t collected = gcs_heap_collect(-1);
    times[round] = gcs_now_ns() - t0;
    if (collects_cycles) {
      GCS_WL_CHECK(collected >= (uint64_t)nrings * ring_nodes && gcs_heap.live_objects == live_before,
                   "round %llu: the collection found %llu unreachable, live %llu (was %llu)",
                   (unsigned long long)round, (unsigned long long)collected,
                   (unsigned long long)gcs_heap.live_objects, (unsigned long long)live_before);
    } else {
      GCS_WL_CHECK(collected == 0, "a collector that keeps cycles found %llu unreachable",
                   (unsigned long long)collected);
    }
  }

  gcs_wl_figure(ctx, "collect_ns_median", (double)gcs_median_u64(times, rounds));
  free(times);
  gcs_frame_pop(r);
  return 0;
}

static const char *const rings_small[] = {"rounds=3", "rings=10", "ring_nodes=21", NULL};
static const char *const rings_bench[] = {"rounds=750", NULL};

const gcs_workload_t gcs_workload_rings = {
  .name = "rings",
  .summary = "pyperformance gc_collect: rings of nodes built, dropped and collected, per round",
  .knobs = rings_knobs,
  .small = rings_small,
  .bench = rings_bench,
  .run = run_rings,
};
