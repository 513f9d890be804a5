/*
** cpython_bench.c — one heap shape, built in this (fresh) process under the `cpython`
** collector, and its collections timed. peers/cpython/cpython_bench.py runs it beside the same
** shapes built from lists in CPython 3.11 and prints the comparison (docs/cpython.md).
**
**   cpython_bench full chain|tree|shuffled [N [REPS [KNOB=VALUE...]]]
**                                 REPS full collections of N live containers
**   cpython_bench young [N [REPS [KNOB=VALUE...]]]
**                                 REPS generation-0 collections of 700 young containers over
**                                 an N-node old tree
** KNOB=VALUE: a knob of the collector, as `--set` takes it (walks=3.11|fused, say).
**
** Shapes (N containers, all reachable from one root):
**   chain     node k+1 holds node k in its one slot (each new node points to the previous)
**   tree      a complete binary tree of 2-slot nodes, allocated in level order (node i's
**             children are nodes 2i+1 and 2i+2), so a parent and its children are near in
**             memory and in generation order
**   shuffled  the same tree, but the node at tree position i is the perm[i]-th allocated
**             (a seeded random permutation): parents and children far apart
** Automatic collections are off while building (knob enabled=off, as gc.disable()), then one
** full collection moves everything to generation 2 before the timed ones.
**
** Prints one JSON object: the per-collection times, their median, objects examined (from
** the pause log), and ns per examined object.
*/
#include "core/internal.h"
#include "collectors/collectors.h"
#include "core/median.h"
#include "core/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;   /* the shuffles' splitmix64 state */

/* Builds the shape under root[0]. */
static void build(const char *shape, uint32_t n, gcs_obj **root) {
  if (strcmp(shape, "chain") == 0) {
    for (uint32_t k = 0; k < n; k++) {
      gcs_obj *o = gcs_new(1, 0);
      gcs_store(o, 0, root[0]);
      gcs_root_set(&root[0], o);
    }
    return;
  }
  bool shuffled = strcmp(shape, "shuffled") == 0;
  if (!shuffled && strcmp(shape, "tree") != 0) gcs_fatal("unknown shape '%s' (chain, tree, shuffled)", shape);
  /* node[i] is the node at tree position i. The tree holds every node (and the root holds
  ** the tree), so these C pointers stay valid: RC objects do not move. */
  gcs_obj **node = malloc((size_t)n * sizeof *node);
  if (!node) gcs_fatal("out of memory");
  if (!shuffled) {
    for (uint32_t i = 0; i < n; i++) {
      node[i] = gcs_new(2, 0);
      if (i == 0) gcs_root_set(&root[0], node[0]);
      else gcs_store(node[(i - 1) / 2], (i - 1) % 2, node[i]);
    }
  } else {
    /* allocate in order, each held by a root until linked; position perm[k] gets node k */
    uint32_t *perm = malloc((size_t)n * sizeof *perm);
    if (!perm) gcs_fatal("out of memory");
    for (uint32_t i = 0; i < n; i++) perm[i] = i;
    gcs_rng_shuffle(perm, n, &rng_state);
    gcs_obj **hold = gcs_frame_push(n);
    for (uint32_t k = 0; k < n; k++) {
      gcs_root_set(&hold[k], gcs_new(2, 0));
      node[perm[k]] = hold[k];
    }
    gcs_root_set(&root[0], node[0]);
    for (uint32_t i = 1; i < n; i++) gcs_store(node[(i - 1) / 2], (i - 1) % 2, node[i]);
    gcs_frame_pop(hold);
    free(perm);
  }
  free(node);
}

static uint64_t last_pause_visited(void) {
  size_t np;
  const gcs_pause_t *p = gcs_pause_log(&np);
  return np ? p[np - 1].visited : 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || (strcmp(argv[1], "full") != 0 && strcmp(argv[1], "young") != 0)) {
    fprintf(stderr, "usage: cpython_bench full chain|tree|shuffled [N [REPS [KNOB=VALUE...]]]\n"
                    "       cpython_bench young [N [REPS [KNOB=VALUE...]]]\n");
    return 2;
  }
  bool young = strcmp(argv[1], "young") == 0;
  int a = young ? 2 : 3;
  if (!young && argc < 3) {
    fprintf(stderr, "cpython_bench: full needs a shape: chain, tree or shuffled\n");
    return 2;
  }
  const char *shape = young ? "tree" : argv[2];
  uint32_t n = argc > a ? (uint32_t)strtoul(argv[a], NULL, 10) : 1000000;
  int reps = argc > a + 1 ? atoi(argv[a + 1]) : 7;
  if (n < 1 || reps < 1 || reps > 100000) {
    fprintf(stderr, "cpython_bench: bad N or REPS\n");
    return 2;
  }

  gcs_options_t opts = {0};
  char err[256];
  if (gcs_options_add(&opts, "enabled=off", err, sizeof err) ||
      gcs_options_add(&opts, "roots_max=2000000", err, sizeof err)) {
    fprintf(stderr, "cpython_bench: %s\n", err);
    return 1;
  }
  for (int i = a + 2; i < argc; i++) {
    if (gcs_options_add(&opts, argv[i], err, sizeof err) != 0) {
      fprintf(stderr, "cpython_bench: %s\n", err);
      return 2;
    }
  }
  if (gcs_heap_open(&gcs_collector_cpython, &opts, err, sizeof err) != 0) {
    fprintf(stderr, "cpython_bench: %s\n", err);
    return 1;
  }
  gcs_obj **root = gcs_frame_push(2);
  uint64_t tb = gcs_now_ns();
  build(shape, n, root);
  uint64_t build_ns = gcs_now_ns() - tb;
  gcs_heap_collect(2); /* everything to generation 2 */

  uint64_t *ns = calloc((size_t)reps, sizeof *ns), *cpu = calloc((size_t)reps, sizeof *cpu);
  uint64_t examined = 0;
  for (int r = 0; r < reps; r++) {
    if (young) {
      /* 700 young 2-slot containers, a chain held by root[1] */
      for (int k = 0; k < 700; k++) {
        gcs_obj *o = gcs_new(2, 0);
        gcs_store(o, 0, root[1]);
        gcs_root_set(&root[1], o);
      }
    }
    uint64_t c0 = gcs_thread_cpu_ns(), t0 = gcs_now_ns();
    uint64_t found = gcs_heap_collect(young ? 0 : 2);
    ns[r] = gcs_now_ns() - t0;
    cpu[r] = gcs_thread_cpu_ns() - c0;
    examined = last_pause_visited();
    if (found != 0) gcs_fatal("a collection of a live heap found %llu unreachable", (unsigned long long)found);
    if (young) gcs_root_set(&root[1], NULL);
  }
  uint64_t *sorted = malloc((size_t)reps * sizeof *sorted);
  memcpy(sorted, ns, (size_t)reps * sizeof *ns);
  uint64_t median = gcs_median_u64(sorted, (size_t)reps);
  printf("{\"impl\": \"gcscope cpython\", \"what\": \"%s\", \"shape\": \"%s\", \"objects\": %u, "
         "\"examined\": %llu, \"build_ms\": %.1f, \"ns\": [",
         young ? "young" : "full", shape, n, (unsigned long long)examined, build_ns / 1e6);
  for (int r = 0; r < reps; r++) printf("%s%llu", r ? ", " : "", (unsigned long long)ns[r]);
  printf("], \"cpu_ns\": [");
  for (int r = 0; r < reps; r++) printf("%s%llu", r ? ", " : "", (unsigned long long)cpu[r]);
  printf("], \"median_ns\": %llu, \"ns_per_object\": %.2f}\n", (unsigned long long)median,
         examined ? (double)median / (double)examined : 0.0);
  free(sorted);
  free(cpu);
  free(ns);
  gcs_frame_pop(root);
  gcs_heap_close(NULL);
  return 0;
}
