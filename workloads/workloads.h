/*
** workloads.h — the workload interface and registry.
**
** A workload is a deterministic generator written once against the mutator API (gcs.h):
** it allocates, stores, loads, roots and calls gcs_safepoint() in its loops, and checks its
** own results — a broken collector makes it stop loudly with file and line (bdwgc's chktree).
** Its size comes from its knobs (read with gcs_knob(), set with --set like every knob); its
** randomness from ctx->seed only.
**
** Contract with the driver:
**   - run() is called with the heap open and no roots pushed; it returns with every root it
**     pushed popped, so everything it allocated is garbage to the driver's final collection.
**   - it calls gcs_wl_mark(ctx, "built") once, where its live data is at its largest: the
**     driver samples RSS and the heap there, and measures memory returned from that point.
**   - figures only it knows (ns_per_object, a returned fraction of its own) go through
**     gcs_wl_figure(); they land in the JSON's "figures".
**   - it returns 0, or non-zero after GCS_WL_CHECK printed what failed.
*/
#ifndef GCS_WORKLOADS_H
#define GCS_WORKLOADS_H

#include "core/gcs.h"
#include "core/median.h"
#include "core/rng.h"

#include <stdint.h>

typedef struct gcs_wl_ctx gcs_wl_ctx;
struct gcs_wl_ctx {
  uint64_t seed;                 /* --seed: the only source of randomness */
  const char *path;              /* --trace FILE for the trace workload, else NULL */
  void (*mark)(gcs_wl_ctx *ctx, const char *label);                 /* driver: a checkpoint */
  void (*figure)(gcs_wl_ctx *ctx, const char *name, double value);  /* driver: a result */
  void *driver;                  /* the driver's state */
};

static inline void gcs_wl_mark(gcs_wl_ctx *ctx, const char *label) {
  if (ctx->mark) ctx->mark(ctx, label);
}
static inline void gcs_wl_figure(gcs_wl_ctx *ctx, const char *name, double value) {
  if (ctx->figure) ctx->figure(ctx, name, value);
}

/* A self-check: on failure prints "gcscope: FILE:LINE: workload check failed: ..." and makes
** run() return 1. */
#define GCS_WL_CHECK(cond, ...)                                                     \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      gcs_error("%s:%d: workload check failed: %s", __FILE__, __LINE__, #cond);    \
      gcs_error(__VA_ARGS__);                                                       \
      return 1;                                                                     \
    }                                                                               \
  } while (0)

typedef struct gcs_workload {
  const char *name;              /* as given to --workload */
  const char *summary;           /* one line for `gcscope list` */
  const gcs_knob_t *knobs;       /* its size and shape knobs, ended by {NULL}; may be NULL */
  const char *const *small;      /* "knob=value" settings for the quick self-check in make test */
  const char *const *bench;      /* ... for make bench's cells (--size bench): about a quarter of
                                    the default run, so that the whole matrix fits its budget;
                                    NULL: the defaults */
  int (*run)(gcs_wl_ctx *ctx);   /* 0, or non-zero after a failed self-check */
} gcs_workload_t;

extern const gcs_workload_t *const gcs_workloads[];   /* NULL-terminated */
const gcs_workload_t *gcs_workload_find(const char *name);

/* One per file, each exporting its table. */
extern const gcs_workload_t gcs_workload_trace;          /* "trace.c" */
extern const gcs_workload_t gcs_workload_binary_trees;   /* "binary_trees.c" */
extern const gcs_workload_t gcs_workload_gcbench;        /* "gcbench.c" */
extern const gcs_workload_t gcs_workload_gcbench_cyclic; /* "gcbench.c" */
extern const gcs_workload_t gcs_workload_rings;          /* "rings.c" */
extern const gcs_workload_t gcs_workload_traversal;      /* "traversal.c" */
extern const gcs_workload_t gcs_workload_btree;          /* "btree.c" */
extern const gcs_workload_t gcs_workload_live_heap;      /* "live_heap.c" */
extern const gcs_workload_t gcs_workload_churn;          /* "churn.c" */
extern const gcs_workload_t gcs_workload_lru;            /* "lru.c" */
extern const gcs_workload_t gcs_workload_fragment;       /* "fragment.c" */
extern const gcs_workload_t gcs_workload_requests;       /* "requests.c" */
extern const gcs_workload_t gcs_workload_tuples;         /* "tuples.c" */
extern const gcs_workload_t gcs_workload_prefork;        /* "prefork.c" */

#endif
