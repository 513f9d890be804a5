/*
** tracebench.c — the tracing collectors' two benchmarks (docs/tracing.md). One case a
** process, so every heap starts fresh; `make bench-marksweep` and `make bench-incremental`
** run the cases side by side.
**
**   tracebench tree COLLECTOR inorder|mirrored|shuffled [LOG2N]
**       builds a complete binary tree of 2^LOG2N - 1 nodes (default 20: 1,048,575) of one
**       shape — a 16-byte header and two pointer slots, 32 bytes — all live, then times
**       REPEATS full collections and prints the median ns per node (mark + sweep).
**       inorder:  nodes allocated in depth-first preorder, slot 0's subtree first: the order
**                 in which our marker pops them (it takes slot 0 first), so our mark walks
**                 memory forward — a layout that favours us;
**       mirrored: the same preorder with slot 1's subtree allocated first (the tree is the
**                 same, its layout mirrored): the order a marker that takes slot 1 first
**                 walks forward; so the two shapes bound what the child order does to a
**                 marker, whichever order bdwgc's takes;
**       shuffled: nodes allocated first, then linked in a random permutation (heap order
**                 over shuffled addresses), so every edge the mark follows is a cache miss;
**                 it favours neither.
**       COLLECTOR may be a peer: boehm is bdwgc (Debian libgc) on the same gcs objects
**       (peers/bdwgc/boehm.c: typed nodes, 48 bytes with the descriptor word bdwgc appends;
**       the shadow stack as its roots, interior pointers off, one marker thread). It sweeps
**       lazily: a collection marks, then only queues
**       blocks for sweeping at allocation time, so on this fully live heap it sweeps nothing,
**       while our collectors' figure includes a sweep of every object.
**
**   tracebench churn COLLECTOR [--allocs N] [--set k=v ...]
**       a live tree of 2^20 - 1 nodes, then the mutator allocates N (5M) short-lived 2-slot
**       objects (each lives for 64 allocations in a rooted ring) and, every 256 allocations,
**       replaces a random leaf of the live tree with a new one (a store into an old, probably
**       black, object). Prints the time of the churn phase, the GC time inside it, the max
**       pause and the MMU at 1, 10 and 100 ms windows, from the pause log.
*/
#define _GNU_SOURCE
#include "core/internal.h"
#include "collectors/collectors.h"
#include "core/median.h"
#include "core/rng.h"
#include "measure/measure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define REPEATS 9


static GCS_NORETURN void usage(void) {
  fprintf(stderr, "usage: tracebench tree COLLECTOR inorder|mirrored|shuffled [LOG2N]\n"
                  "       tracebench churn COLLECTOR [--allocs N] [--set knob=value ...]\n");
  exit(2);
}

/* --------------------------------------------------------------------------------------
** Our heap
** ------------------------------------------------------------------------------------ */
static void open_heap(const char *name, int nset, const char *const *set) {
  const gcs_collector_ops *c = gcs_collector_find(name);
  if (!c) {
    fprintf(stderr, "tracebench: no collector named %s\n", name);
    exit(2);
  }
  gcs_options_t opts = {0};
  char err[512];
  for (int i = 0; i < nset; i++)
    if (gcs_options_add(&opts, set[i], err, sizeof err) != 0) {
      fprintf(stderr, "tracebench: %s\n", err);
      exit(2);
    }
  if (gcs_heap_open(c, &opts, err, sizeof err) != 0) {
    fprintf(stderr, "tracebench: %s\n", err);
    exit(2);
  }
}

/* Preorder: a node, then the subtree of slot `first`, then the other's (first 0: inorder,
** 1: mirrored). `path` holds the nodes on the way down as roots; returns the tree's root,
** held in path[0]. */
static gcs_obj *build_preorder(int depth, uint32_t first, gcs_obj **path) {
  int side[64] = {0};
  int k = 0;
  gcs_root_set(&path[0], gcs_new(2, 0));
  for (;;) {
    if (k + 1 < depth && side[k] < 2) {
      gcs_obj *n = gcs_new(2, 0);
      gcs_store(path[k], (uint32_t)side[k]++ ^ first, n);
      gcs_root_set(&path[++k], n);
      side[k] = 0;
    } else if (k == 0) {
      break;
    } else {
      k--;
    }
  }
  return path[0];
}

/* The random permutation of 0..n-1 (Fisher-Yates, seed 42) that places the shuffled tree's
** nodes, the same for every collector. */
static uint32_t *shuffled_order(uint32_t n) {
  uint32_t *perm = malloc(n * sizeof *perm);
  uint64_t s = 42;
  if (!perm) gcs_fatal("out of memory for a %u-entry permutation", n);
  for (uint32_t i = 0; i < n; i++) perm[i] = i;
  gcs_rng_shuffle(perm, n, &s);
  return perm;
}

/* All nodes first (allocation order = address order), then heap-ordered links over a random
** permutation. Every node is a root while linking. */
static gcs_obj *build_shuffled(uint32_t n, gcs_obj **keep) {
  gcs_obj **r = gcs_frame_push(n);
  for (uint32_t i = 0; i < n; i++) gcs_root_set(&r[i], gcs_new(2, 0));
  uint32_t *perm = shuffled_order(n);
  for (uint32_t i = 0; 2 * i + 1 < n; i++) {
    gcs_store(r[perm[i]], 0, r[perm[2 * i + 1]]);
    if (2 * i + 2 < n) gcs_store(r[perm[i]], 1, r[perm[2 * i + 2]]);
  }
  gcs_root_set(keep, r[perm[0]]);
  free(perm);
  gcs_frame_pop(r);
  return *keep;
}

/* The tree shapes of `tracebench tree`. */
enum { SHAPE_INORDER, SHAPE_MIRRORED, SHAPE_SHUFFLED, NSHAPES };
static const char *const shape_names[NSHAPES] = {"inorder", "mirrored", "shuffled"};

static int cmd_tree_ours(const char *name, int shape, int log2n) {
  uint32_t n = (1u << log2n) - 1;
  const char *set[2] = {"roots_max=4194304", NULL};
  int nset = 1;
  if (strcmp(name, "marksweep") == 0 || strcmp(name, "incremental") == 0)
    set[nset++] = "pause_min_bytes=1099511627776";  /* no collection while building */
  open_heap(name, nset, set);
  gcs_obj **keep = gcs_frame_push(64);
  if (shape == SHAPE_SHUFFLED)
    build_shuffled(n, &keep[0]);
  else
    build_preorder(log2n, shape == SHAPE_MIRRORED, keep);
  uint64_t t[REPEATS], c[REPEATS];
  for (int i = 0; i < REPEATS; i++) {
    uint64_t t0 = gcs_now_ns(), c0 = gcs_thread_cpu_ns();
    uint64_t freed = gcs_heap_collect(-1);
    c[i] = gcs_thread_cpu_ns() - c0;
    t[i] = gcs_now_ns() - t0;
    if (freed != 0 || gcs_heap.live_objects != n) {
      fprintf(stderr, "tracebench: %s freed %llu of a live tree\n", name, (unsigned long long)freed);
      return 1;
    }
  }
  qsort(t, REPEATS, sizeof t[0], gcs_median_cmp);
  qsort(c, REPEATS, sizeof c[0], gcs_median_cmp);
  printf("tree %-9s %-11s nodes %u  full collection: median %.2f ms = %.2f ns/node (min %.2f); "
         "cpu %.2f ns/node (min %.2f)\n",
         shape_names[shape], name, n, (double)t[REPEATS / 2] / 1e6,
         (double)t[REPEATS / 2] / n, (double)t[0] / n, (double)c[REPEATS / 2] / n, (double)c[0] / n);
  gcs_frame_pop(keep);
  gcs_heap_close(NULL);
  return 0;
}

/* --------------------------------------------------------------------------------------
** churn: pauses of a collector under a live tree and short-lived garbage
** ------------------------------------------------------------------------------------ */
#define CHURN_ALLOCS 5000000u
#define RING 64
#define LIVE_LOG2 20

static int cmd_churn(const char *name, uint32_t allocs, int nset, const char *const *set) {
  open_heap(name, nset, set);
  gcs_obj **keep = gcs_frame_push(64);
  build_preorder(LIVE_LOG2, 0, keep);
  gcs_root_set(&keep[1], gcs_new(RING, 0));
  gcs_heap_collect(-1);
  size_t n0;
  gcs_pause_log(&n0);
  uint64_t s = 7, replaced = 0;
  uint64_t c0 = gcs_thread_cpu_ns(), t0 = gcs_now_ns();
  for (uint32_t i = 0; i < allocs; i++) {
    gcs_obj *o = gcs_new(2, 0);
    gcs_store(keep[1], i % RING, o);
    if (i % 256 == 255) {  /* a new leaf in the old tree */
      uint64_t path = gcs_rng_next(&s);
      gcs_obj *p = keep[0];
      for (int d = 0; d < LIVE_LOG2 - 2; d++) p = gcs_load(p, (uint32_t)((path >> d) & 1));
      gcs_store(p, (uint32_t)((path >> 40) & 1), gcs_new(2, 0));
      replaced++;
    }
  }
  uint64_t t1 = gcs_now_ns(), c1 = gcs_thread_cpu_ns();
  size_t n;
  const gcs_pause_t *log = gcs_pause_log(&n);
  size_t m = n - n0;
  gcs_pause_t *mine = malloc((m + 1) * sizeof *mine);
  memcpy(mine, log + n0, m * sizeof *mine);
  gcs_interval_t *iv = malloc((m + 1) * sizeof *iv);
  gcs_pause_summary_t sum;
  size_t k = gcs_pauses_merge(mine, m, iv, &sum);
  printf("churn %-11s total %.1f ms, GC %.1f ms in %llu pauses (step %llu, atomic %llu, full %llu); "
         "max pause %.3f ms, p99 %.3f ms; MMU 1ms %.3f, 10ms %.3f, 100ms %.3f; peak heap %.1f MiB\n",
         name, (double)(t1 - t0) / 1e6, (double)sum.total / 1e6, (unsigned long long)sum.count,
         (unsigned long long)sum.by_kind[GCS_PAUSE_STEP], (unsigned long long)sum.by_kind[GCS_PAUSE_ATOMIC],
         (unsigned long long)sum.by_kind[GCS_PAUSE_FULL], (double)sum.max / 1e6, (double)sum.p99 / 1e6,
         gcs_mmu(iv, k, t0, t1, 1000000), gcs_mmu(iv, k, t0, t1, 10000000),
         gcs_mmu(iv, k, t0, t1, 100000000),
         (double)gcs_arena_stats()->bytes_mapped_peak / (1 << 20));
  uint64_t atomic_max = 0;
  for (size_t i = 0; i < m; i++)
    if (mine[i].kind == GCS_PAUSE_ATOMIC && mine[i].end_ns - mine[i].start_ns > atomic_max)
      atomic_max = mine[i].end_ns - mine[i].start_ns;
  if (sum.by_kind[GCS_PAUSE_ATOMIC]) printf("      longest atomic phase %.3f ms\n", (double)atomic_max / 1e6);
  /* the three longest pauses, to tell an atomic phase from a step (or a preemption) */
  for (int top = 0; top < 3 && m > 0; top++) {
    size_t best = 0;
    for (size_t i = 1; i < m; i++)
      if (mine[i].end_ns - mine[i].start_ns > mine[best].end_ns - mine[best].start_ns) best = i;
    printf("      pause #%d: %.3f ms %s, %llu visited, %llu freed\n", top + 1,
           (double)(mine[best].end_ns - mine[best].start_ns) / 1e6, gcs_pause_kind_names[mine[best].kind],
           (unsigned long long)mine[best].visited, (unsigned long long)mine[best].freed);
    mine[best].end_ns = mine[best].start_ns;
  }
  {
    /* steps that freed nothing are marking (or the pause state's restart); those that
    ** freed are sweeping */
    uint64_t tm = 0, ts = 0, nm = 0, ns = 0, vm = 0, vs = 0, first = 0, last = 0;
    for (size_t i = 0; i < m; i++) {
      if (mine[i].kind != GCS_PAUSE_STEP) continue;
      uint64_t d = mine[i].end_ns - mine[i].start_ns;
      if (mine[i].freed) { ts += d; ns++; vs += mine[i].visited; }
      else { tm += d; nm++; vm += mine[i].visited; }
      if (!first) first = mine[i].start_ns;
      last = mine[i].end_ns;
    }
    if (nm + ns)
      printf("      steps: %llu marking %.1f ms (%.0f ns/object), %llu sweeping %.1f ms (%.0f ns/object); "
             "steps span %.1f of the %.1f ms\n",
             (unsigned long long)nm, tm / 1e6, vm ? (double)tm / (double)vm : 0.0, (unsigned long long)ns,
             ts / 1e6, vs ? (double)ts / (double)vs : 0.0, (double)(last - first) / 1e6, (double)(t1 - t0) / 1e6);
  }
  {
    /* the worst 10 ms window starting at a pause: what is in it */
    uint64_t w = 10000000, best_gc = 0;
    size_t best = 0, j = 0;
    uint64_t acc = 0;
    for (size_t i = 0; i < m; i++) {  /* two pointers over pauses sorted by start */
      if (j < i) { j = i; acc = 0; }
      while (j < m && mine[j].start_ns < mine[i].start_ns + w) {
        acc += mine[j].end_ns - mine[j].start_ns;
        j++;
      }
      if (acc > best_gc) { best_gc = acc; best = i; }
      acc -= mine[i].end_ns - mine[i].start_ns;
    }
    uint64_t vis = 0, fr = 0, cnt = 0;
    for (size_t i = best; i < m && mine[i].start_ns < mine[best].start_ns + w; i++) {
      vis += mine[i].visited; fr += mine[i].freed; cnt++;
    }
    if (m) printf("      worst 10 ms window (at +%.1f ms): %.2f ms of GC in %llu pauses, %llu visited, %llu freed\n",
                  (double)(mine[best].start_ns - t0) / 1e6, best_gc / 1e6, (unsigned long long)cnt,
                  (unsigned long long)vis, (unsigned long long)fr);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("      ran on a CPU %.1f%% of the wall time (less: preempted, and the pause figures with it); "
         "%ld involuntary context switches\n", 100.0 * (double)(c1 - c0) / (double)(t1 - t0), ru.ru_nivcsw);
  gcs_gc_report_t rep;
  gcs_heap_report(&rep);
  printf("      since the heap opened (tree build included): %llu cycles completed, %llu objects "
         "freed by them; %llu leaves replaced\n",
         (unsigned long long)rep.gen[0].collections, (unsigned long long)rep.gen[0].collected,
         (unsigned long long)replaced);
  free(mine);
  free(iv);
  gcs_frame_pop(keep);
  gcs_heap_close(NULL);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) usage();
  if (strcmp(argv[1], "tree") == 0) {
    if (argc < 4) usage();
    int shape = 0;
    while (shape < NSHAPES && strcmp(argv[3], shape_names[shape]) != 0) shape++;
    if (shape == NSHAPES) usage();
    int log2n = argc > 4 ? atoi(argv[4]) : 20;
    if (log2n < 2 || log2n > 26) usage();
    return cmd_tree_ours(argv[2], shape, log2n);
  }
  if (strcmp(argv[1], "churn") == 0) {
    const char *set[GCS_MAX_OPTIONS] = {NULL};
    int nset = 0;
    uint32_t allocs = CHURN_ALLOCS;
    for (int i = 3; i < argc; i++) {
      if (strcmp(argv[i], "--set") == 0 && i + 1 < argc && nset < GCS_MAX_OPTIONS)
        set[nset++] = argv[++i];
      else if (strcmp(argv[i], "--allocs") == 0 && i + 1 < argc)
        allocs = (uint32_t)strtoul(argv[++i], NULL, 10);
      else
        usage();
    }
    return cmd_churn(argv[2], allocs, nset, set);
  }
  usage();
}
