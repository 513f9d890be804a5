/*
** binary_trees.c — the Computer Language Benchmarks Game's binary-trees.
**
** The original (benchmarksgame binarytrees, e.g. the C gcc #1 or Python #1 program), with
** n = its argument (21 in the published runs):
**     max_depth = max(min_depth + 2, n), min_depth = 4
**     stretch tree of depth max_depth + 1: build bottom-up, check, drop
**     long-lived tree of depth max_depth, kept to the end
**     for d = min_depth, min_depth + 2, .. max_depth:
**         2^(max_depth - d + min_depth) trees of depth d, each built bottom-up, checked, dropped
**     check the long-lived tree
** A node is two pointers (left, right; both NULL in a leaf); check() counts the nodes of a
** tree, so a tree of depth d checks to 2^(d+1) - 1.
**
** Here: a node is a two-slot container with no payload, its tag the depth it was built at.
** bottom_up() builds both children before the parent (as the original), so each level keeps
** its finished left subtree in a shadow-stack root while it builds the right one. The
** checks are the original's node counts, compared with 2^(d+1) - 1 for every tree, plus the
** tags (a node built at depth k has children built at depth k - 1, leaves at 0). Nothing is
** printed. Differences: `depth` defaults to 16, not 21 (21 allocates 2.4 G nodes; 16 keeps a
** default cell near a second under the slowest collector and ~0.7 GiB under `none`); set
** depth=21 for the published size. The tree is acyclic: `rc` frees everything.
**
** Knobs: depth (n above). Peak live data ("built"): the long-lived tree, once built.
*/
#include "workloads/workloads.h"

#include <stddef.h>
#include <stdint.h>

#define MIN_DEPTH 4

static const gcs_knob_t binary_trees_knobs[] = {
  {"depth", 16, MIN_DEPTH + 2, 24, NULL, "max_depth (the CLBG argument n; 21 in its published runs)"},
  {NULL, 0, 0, 0, NULL, NULL},
};

/* A tree of depth d, children built before the parent. The result is floating: the caller
** stores it before its next allocation. */
static gcs_obj *bottom_up(uint32_t d) {
  if (d == 0) {
    gcs_obj *leaf = gcs_new(2, 0);
    leaf->tag = 0;
    return leaf;
  }
  gcs_obj **r = gcs_frame_push(2);
  gcs_root_set(&r[0], bottom_up(d - 1));
  gcs_root_set(&r[1], bottom_up(d - 1));
  gcs_obj *node = gcs_new(2, 0);
  node->tag = d;
  gcs_store(node, 0, r[0]);
  gcs_store(node, 1, r[1]);
  gcs_frame_pop(r); /* node holds both children now */
  return node;
}

/* The original's check(): the number of nodes, or 0 when a node is malformed (a wrong tag,
** one child missing), which no well-formed tree gives. Recursion depth <= 25. */
static uint64_t check(const gcs_obj *t, uint32_t d) {
  const gcs_obj *l = gcs_load(t, 0), *r = gcs_load(t, 1);
  if (t->tag != d || (l == NULL) != (r == NULL) || (l == NULL) != (d == 0)) return 0;
  if (l == NULL) return 1;
  uint64_t cl = check(l, d - 1), cr = check(r, d - 1);
  return (cl && cr) ? 1 + cl + cr : 0;
}

static uint64_t tree_size(uint32_t d) { return (UINT64_C(2) << d) - 1; }

static int run_binary_trees(gcs_wl_ctx *ctx) {
  const uint32_t max_depth = (uint32_t)gcs_knob("depth");
  const uint32_t stretch_depth = max_depth + 1;
  gcs_obj **r = gcs_frame_push(2); /* r[0] long-lived tree, r[1] the tree at hand */

  gcs_root_set(&r[1], bottom_up(stretch_depth));
  uint64_t c = check(r[1], stretch_depth);
  GCS_WL_CHECK(c == tree_size(stretch_depth), "stretch tree of depth %u checks to %llu",
               stretch_depth, (unsigned long long)c);
  gcs_root_set(&r[1], NULL);

  gcs_root_set(&r[0], bottom_up(max_depth));
  gcs_wl_mark(ctx, "built");

  uint64_t trees = 0;
  for (uint32_t d = MIN_DEPTH; d <= max_depth; d += 2) {
    const uint64_t iterations = UINT64_C(1) << (max_depth - d + MIN_DEPTH);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < iterations; i++) {
      gcs_root_set(&r[1], bottom_up(d));
      sum += check(r[1], d);
      gcs_root_set(&r[1], NULL);
      gcs_safepoint();
    }
    GCS_WL_CHECK(sum == iterations * tree_size(d), "%llu trees of depth %u check to %llu",
                 (unsigned long long)iterations, d, (unsigned long long)sum);
    trees += iterations;
  }

  c = check(r[0], max_depth);
  GCS_WL_CHECK(c == tree_size(max_depth), "long-lived tree of depth %u checks to %llu",
               max_depth, (unsigned long long)c);
  gcs_wl_figure(ctx, "trees", (double)trees);
  gcs_frame_pop(r);
  return 0;
}

static const char *const binary_trees_small[] = {"depth=6", NULL};
static const char *const binary_trees_bench[] = {"depth=14", NULL};

const gcs_workload_t gcs_workload_binary_trees = {
  .name = "binary-trees",
  .summary = "CLBG binary-trees: many short-lived complete trees beside one long-lived tree",
  .knobs = binary_trees_knobs,
  .small = binary_trees_small,
  .bench = binary_trees_bench,
  .run = run_binary_trees,
};
