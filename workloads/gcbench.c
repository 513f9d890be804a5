/*
** gcbench.c — Ellis, Kovac and Boehm's GCBench, and gcbench-cyclic (the same with parent
** pointers). Both tables live in this one file because they are one program with one switch;
** it is the only workload file that exports two tables.
**
** The original (GCBench.java by John Ellis and Pete Kovac, C/C++ version by Hans Boehm,
** http://www.hboehm.info/gc/gc_bench/), with its constants:
**     kStretchTreeDepth 18, kLongLivedTreeDepth 16, kArraySize 500000,
**     kMinTreeDepth 4, kMaxTreeDepth 16
**     Node { Node left, right; int i, j; }
**     TreeSize(d) = 2^(d+1) - 1;  NumIters(d) = 2 * TreeSize(kStretchTreeDepth) / TreeSize(d)
**     Populate(d, n): top-down — n.left = new Node, n.right = new Node, recurse (d - 1)
**     MakeTree(d):    bottom-up — new Node(MakeTree(d - 1), MakeTree(d - 1))
**     main: stretch: MakeTree(kStretchTreeDepth), dropped
**           longLivedTree = new Node; Populate(kLongLivedTreeDepth, longLivedTree)
**           array = new double[kArraySize]; array[i] = 1.0 / i for i < kArraySize / 2
**           for d = kMinTreeDepth .. kMaxTreeDepth step 2:
**               NumIters(d) times: tempTree = new Node; Populate(d, tempTree); drop it
**               NumIters(d) times: tempTree = MakeTree(d); drop it
**           check longLivedTree != null and array[1000] == 1.0 / 1000
**
** Here: a Node is a container with two slots (three in gcbench-cyclic: left, right, parent)
** and 8 payload bytes (the ints i, j); the array is one atom with 8 * array_doubles payload
** bytes (a double[] holds no pointers). MakeTree keeps its finished left subtree in a
** shadow-stack root while it builds the right one; Populate needs none (each new node is
** stored into its reachable parent before the next allocation, as in the original).
** gcbench-cyclic: every child's slot 2 points back to its parent (Populate sets it right
** after the store into the parent, MakeTree once the parent exists), so every tree is a
** bundle of 2-cycles — GCBench builds no cycles, which flatters pure RC; here `rc` leaks
** every tree.
** Self-checks beyond the original's: every node's `i` payload holds its depth and the
** long-lived tree and the last tree of each depth and kind are walked (node count == TreeSize,
** parent pointers in the cyclic variant), and the whole array is checked, not one element.
** The original's timing printouts are left out (the driver times the cell); the figure
** `trees` counts the temporary trees.
**
** Knobs: stretch_depth, long_lived_depth, array_doubles, min_depth, max_depth. The defaults
** are GCBench's own but for stretch_depth, 17 instead of 18: NumIters doubles with each level
** of it, and at 18 a gcbench-cyclic cell takes ~6 s of CPU under `cpython` (the matrix wants
** a cell within ~3 s). --set stretch_depth=18 gives the original exactly.
** Peak live data ("built"): after the array is filled.
*/
#include "workloads/workloads.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static const gcs_knob_t gcbench_knobs[] = {
  {"stretch_depth", 17, 2, 24, NULL, "depth of the stretch tree; sets the temporary trees' count (kStretchTreeDepth: 18)"},
  {"long_lived_depth", 16, 1, 24, NULL, "depth of the long-lived tree (kLongLivedTreeDepth)"},
  {"array_doubles", 500000, 2002, 100000000, NULL, "doubles in the long-lived array atom (kArraySize)"},
  {"min_depth", 4, 0, 24, NULL, "depth of the smallest temporary trees (kMinTreeDepth)"},
  {"max_depth", 16, 0, 24, NULL, "depth of the largest temporary trees (kMaxTreeDepth)"},
  {NULL, 0, 0, 0, NULL, NULL},
};

enum { LEFT = 0, RIGHT = 1, PARENT = 2 };
#define NODE_PAYLOAD 8 /* int i, j */

static uint32_t node_slots; /* 2, or 3 with parent pointers */

static gcs_obj *new_node(uint32_t depth) {
  gcs_obj *n = gcs_new(node_slots, NODE_PAYLOAD);
  int32_t ij[2] = {(int32_t)depth, 0};
  memcpy(gcs_obj_payload(n), ij, sizeof ij);
  return n;
}

static uint64_t tree_size(uint32_t d) { return (UINT64_C(2) << d) - 1; }

/* Top-down: n (reachable) gets two fresh children, and so on down to depth 0. */
static void populate(uint32_t d, gcs_obj *n) {
  if (d == 0) return;
  d--;
  gcs_store(n, LEFT, new_node(d));
  if (node_slots > PARENT) gcs_store(gcs_load(n, LEFT), PARENT, n);
  gcs_store(n, RIGHT, new_node(d));
  if (node_slots > PARENT) gcs_store(gcs_load(n, RIGHT), PARENT, n);
  populate(d, gcs_load(n, LEFT));
  populate(d, gcs_load(n, RIGHT));
}

/* Bottom-up: the children first. The result is floating: store it before allocating. */
static gcs_obj *make_tree(uint32_t d) {
  if (d == 0) return new_node(0);
  gcs_obj **r = gcs_frame_push(2);
  gcs_root_set(&r[0], make_tree(d - 1));
  gcs_root_set(&r[1], make_tree(d - 1));
  gcs_obj *n = new_node(d);
  gcs_store(n, LEFT, r[0]);
  gcs_store(n, RIGHT, r[1]);
  if (node_slots > PARENT) {
    gcs_store(r[0], PARENT, n);
    gcs_store(r[1], PARENT, n);
  }
  gcs_frame_pop(r);
  return n;
}

/* Nodes in the tree at t, or 0 when a node is malformed: its depth, a missing child, or (with
** parent pointers) a child not pointing back. */
static uint64_t count_nodes(gcs_obj *t, uint32_t d, const gcs_obj *parent) {
  int32_t ij[2];
  memcpy(ij, gcs_obj_payload(t), sizeof ij);
  gcs_obj *l = gcs_load(t, LEFT), *r = gcs_load(t, RIGHT);
  if (ij[0] != (int32_t)d || (l == NULL) != (d == 0) || (r == NULL) != (d == 0)) return 0;
  if (node_slots > PARENT && gcs_load(t, PARENT) != parent) return 0;
  if (d == 0) return 1;
  uint64_t cl = count_nodes(l, d - 1, t), cr = count_nodes(r, d - 1, t);
  return (cl && cr) ? 1 + cl + cr : 0;
}

static int run_gcbench(gcs_wl_ctx *ctx, uint32_t nslots) {
  node_slots = nslots;
  const uint32_t stretch = (uint32_t)gcs_knob("stretch_depth");
  const uint32_t long_lived = (uint32_t)gcs_knob("long_lived_depth");
  const uint32_t array_n = (uint32_t)gcs_knob("array_doubles");
  const uint32_t min_d = (uint32_t)gcs_knob("min_depth");
  const uint32_t max_d = (uint32_t)gcs_knob("max_depth");
  GCS_WL_CHECK(min_d <= max_d && max_d <= stretch, "need min_depth <= max_depth <= stretch_depth");
  GCS_WL_CHECK((uint64_t)array_n * 8 <= UINT32_MAX, "array_doubles too large for one atom");
  gcs_obj **r = gcs_frame_push(3); /* long-lived tree, array, temporary tree */

  /* Stretch the memory space quickly. */
  gcs_root_set(&r[2], make_tree(stretch));
  uint64_t c = count_nodes(r[2], stretch, NULL);
  GCS_WL_CHECK(c == tree_size(stretch), "stretch tree of depth %u has %llu good nodes", stretch,
               (unsigned long long)c);
  gcs_root_set(&r[2], NULL);

  /* A long-lived tree and array, kept to the end. */
  gcs_root_set(&r[0], new_node(long_lived));
  populate(long_lived, r[0]);
  gcs_root_set(&r[1], gcs_new_atom(array_n * 8u));
  double *array = (double *)gcs_obj_payload(r[1]);
  for (uint32_t i = 0; i < array_n / 2; i++) array[i] = 1.0 / i; /* array[0] = inf, as GCBench */
  for (uint32_t i = array_n / 2; i < array_n; i++) array[i] = 0.0;
  gcs_wl_mark(ctx, "built");

  uint64_t trees = 0;
  for (uint32_t d = min_d; d <= max_d; d += 2) {
    const uint64_t iters = 2 * tree_size(stretch) / tree_size(d);
    for (uint64_t i = 0; i < iters; i++) { /* top-down */
      gcs_root_set(&r[2], new_node(d));
      populate(d, r[2]);
      if (i + 1 == iters) {
        c = count_nodes(r[2], d, NULL);
        GCS_WL_CHECK(c == tree_size(d), "top-down tree of depth %u has %llu good nodes", d,
                     (unsigned long long)c);
      }
      gcs_root_set(&r[2], NULL);
      gcs_safepoint();
    }
    for (uint64_t i = 0; i < iters; i++) { /* bottom-up */
      gcs_root_set(&r[2], make_tree(d));
      if (i + 1 == iters) {
        c = count_nodes(r[2], d, NULL);
        GCS_WL_CHECK(c == tree_size(d), "bottom-up tree of depth %u has %llu good nodes", d,
                     (unsigned long long)c);
      }
      gcs_root_set(&r[2], NULL);
      gcs_safepoint();
    }
    trees += 2 * iters;
  }

  c = count_nodes(r[0], long_lived, NULL);
  GCS_WL_CHECK(c == tree_size(long_lived), "long-lived tree of depth %u has %llu good nodes",
               long_lived, (unsigned long long)c);
  array = (double *)gcs_obj_payload(r[1]);
  GCS_WL_CHECK(array[1000] == 1.0 / 1000, "array[1000] is %g", array[1000]);
  for (uint32_t i = 1; i < array_n; i++)
    GCS_WL_CHECK(array[i] == (i < array_n / 2 ? 1.0 / i : 0.0), "array[%u] is %g", i, array[i]);
  gcs_wl_figure(ctx, "trees", (double)trees);
  gcs_frame_pop(r);
  return 0;
}

static int run_acyclic(gcs_wl_ctx *ctx) { return run_gcbench(ctx, 2); }
static int run_cyclic(gcs_wl_ctx *ctx) { return run_gcbench(ctx, 3); }

static const char *const gcbench_small[] = {"stretch_depth=7", "long_lived_depth=6",
                                            "array_doubles=2002", "min_depth=2", "max_depth=6",
                                            NULL};
static const char *const gcbench_bench[] = {"stretch_depth=15", "long_lived_depth=14", "array_doubles=125000",
                                            "max_depth=14", NULL};

const gcs_workload_t gcs_workload_gcbench = {
  .name = "gcbench",
  .summary = "Ellis/Kovac/Boehm GCBench: trees built top-down and bottom-up beside a long-lived tree",
  .knobs = gcbench_knobs,
  .small = gcbench_small,
  .bench = gcbench_bench,
  .run = run_acyclic,
};

const gcs_workload_t gcs_workload_gcbench_cyclic = {
  .name = "gcbench-cyclic",
  .summary = "GCBench with parent pointers: every tree is cyclic garbage",
  .knobs = gcbench_knobs,
  .small = gcbench_small,
  .bench = gcbench_bench,
  .run = run_cyclic,
};
