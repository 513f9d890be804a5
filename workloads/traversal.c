/*
** traversal.c — pyperformance's gc_traversal: a live, densely linked heap, collected.
**
** The original (pyperformance bm_gc_traversal/run_benchmark.py), N_LEVELS = 1000:
**     create_recursive_containers(n_levels):
**         current_list = []
**         for n in range(n_levels):
**             new_list = [None] * n
**             for index in range(n): new_list[index] = current_list
**             current_list = new_list
**     all_cycles = create_recursive_containers(N_LEVELS)     # kept live
**     per loop: gc.collect(); t0; collected = gc.collect(); total += now - t0
**               assert collected is None or collected == 0
** So list n holds n references to list n - 1: 1,000 lists, ~500,000 edges, all live, and
** every collection traverses them all for nothing.
**
** Here: a list is a container with n slots (the last one, 999 slots, is a large object).
** A round is one loop: an untimed and a timed gcs_heap_collect(-1). The timed ones give the
** figure collect_ns_median. The assertion is the original's: every collection finds nothing
** (a collector without collections returns 0 too). After the rounds the whole structure is
** walked: list n has n slots, each pointing to list n - 1 (tags hold n).
**
** Knobs: levels (N_LEVELS), rounds (loops). Peak live data ("built"): once the lists exist.
*/
#include "workloads/workloads.h"

#include <stdint.h>
#include <stdlib.h>

static const gcs_knob_t traversal_knobs[] = {
  {"levels", 1000, 1, 100000, NULL, "lists; list n holds n references to list n-1 (N_LEVELS)"},
  {"rounds", 400, 1, 100000000, NULL, "loops of the original: two full collections each"},
  {NULL, 0, 0, 0, NULL, NULL},
};

static int run_traversal(gcs_wl_ctx *ctx) {
  const uint32_t levels = (uint32_t)gcs_knob("levels");
  const uint64_t rounds = (uint64_t)gcs_knob("rounds");
  uint64_t *times = malloc(rounds * sizeof *times);
  GCS_WL_CHECK(times != NULL, "no memory for %llu timings", (unsigned long long)rounds);
  gcs_obj **r = gcs_frame_push(2); /* r[0] current_list, r[1] new_list */

  gcs_root_set(&r[0], gcs_new(0, 0)); /* current_list = [] */
  for (uint32_t n = 0; n < levels; n++) {
    gcs_root_set(&r[1], gcs_new(n, 0));
    r[1]->tag = n;
    for (uint32_t i = 0; i < n; i++) gcs_store(r[1], i, r[0]);
    gcs_root_set(&r[0], r[1]);
    gcs_root_set(&r[1], NULL);
    gcs_safepoint();
  }
  gcs_wl_mark(ctx, "built");

  for (uint64_t round = 0; round < rounds; round++) {
    uint64_t c1 = gcs_heap_collect(-1);
    uint64_t t0 = gcs_now_ns();
    uint64_t c2 = gcs_heap_collect(-1);
    times[round] = gcs_now_ns() - t0;
    /* The first collection of all may free the discarded initial [] (not under RC). */
    GCS_WL_CHECK((c1 == 0 || round == 0) && c2 == 0, "round %llu: collections found %llu, %llu",
                 (unsigned long long)round, (unsigned long long)c1, (unsigned long long)c2);
  }

  gcs_obj *l = r[0];
  for (uint32_t n = levels; n-- > 1;) {
    GCS_WL_CHECK(l->tag == n && l->nslots == n, "list %u has tag %u and %u slots", n, l->tag,
                 l->nslots);
    gcs_obj *below = gcs_load(l, 0);
    for (uint32_t i = 0; i < n; i++)
      GCS_WL_CHECK(gcs_load(l, i) == below && below != NULL, "list %u slot %u", n, i);
    l = below;
  }
  GCS_WL_CHECK(l->tag == 0 && l->nslots == 0, "list 0 has tag %u and %u slots", l->tag, l->nslots);

  gcs_wl_figure(ctx, "collect_ns_median", (double)gcs_median_u64(times, rounds));
  free(times);
  gcs_frame_pop(r);
  return 0;
}

static const char *const traversal_small[] = {"levels=40", "rounds=3", NULL};
static const char *const traversal_bench[] = {"rounds=100", NULL};

const gcs_workload_t gcs_workload_traversal = {
  .name = "traversal",
  .summary = "pyperformance gc_traversal: 1,000 lists, list n holding n references to list n-1, collected while live",
  .knobs = traversal_knobs,
  .small = traversal_small,
  .bench = traversal_bench,
  .run = run_traversal,
};
