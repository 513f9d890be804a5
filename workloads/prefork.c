/*
** prefork.c — gc.freeze()'s reason, measured: a server builds its long-lived state, maybe
** freezes it (gcs_heap_freeze: gc.freeze() for the cpython family; the others have none), and
** forks `children` workers, one after another, that each run a churn and report what they had
** to copy of the parent's memory. Instagram's case (bpo-31558): every write a worker makes to
** an inherited page -- a reference count, a colour bit, the gc_refs a cycle collection writes
** into every PyGC_Head it examines -- copies the page (copy-on-write), and a frozen heap is one
** the cycle collector no longer examines.
**
**     state      container of `live_objects` slots: nodes (container 2: an atom of 48 bytes,
**                the next node: a ring), the parent's data
**     child      `churn` allocations of request-sized cyclic garbage (container 3 and a 2-cycle),
**                reading `reads_permille` / 1000 of the state's nodes through a root (as a
**                request reads the server's data: reference counts are written), then one full
**                collection (a worker's periodic gc.collect()), then /proc/self/smaps_rollup
**
** Each child reports to the parent through a pipe, then leaves with _exit (no teardown, no
** files: the parent's cell writes the results). Figures: child_private_dirty_bytes (mean of the
** children: what each copied or allocated), child_shared_bytes (Shared_Clean + Shared_Dirty:
** still shared with the parent), state_bytes (the parent's heap when it forked), frozen (1 if
** the collector froze the state), and child_private_dirty_max_bytes. The churn's own
** allocations are private too: compare one collector with and without freeze, and against
** `none` (no counts, no collector: it writes nothing into the state, so its figure is the
** churn's own memory).
**
** Knobs: live_objects, children, churn, reads_permille, freeze (off|on). "built": before the
** first fork. A child that fails its self-check exits 1 and the workload fails.
*/
#include "workloads/workloads.h"
#include "core/record.h"
#include "core/rss.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const gcs_knob_t prefork_knobs[] = {
  {"live_objects", 200000, 1, 100000000, NULL, "nodes of the parent's long-lived state"},
  {"children", 2, 1, 64, NULL, "workers forked, one after another"},
  {"churn", 200000, 0, 10000000000, NULL, "allocations per worker"},
  {"reads_permille", 1, 0, 1000, NULL, "state nodes a worker reads (takes a reference to), per thousand"},
  {"freeze", 0, 0, 1, gcs_knob_off_on, "gc.freeze() the state before forking (cpython, cpython-inc, py)"},
  {NULL, 0, 0, 0, NULL, NULL},
};

typedef struct report {
  uint64_t private_dirty, shared;   /* bytes, the child's smaps_rollup after its churn */
  uint64_t ok;                      /* 1: its self-checks passed */
} report_t;

/* The worker: runs in the child; returns its report. */
static report_t worker(gcs_obj *state, uint32_t live, uint64_t churn, uint64_t permille, uint64_t seed) {
  report_t rep = {0, 0, 1};
  gcs_obj **r = gcs_frame_push(2);   /* a read node, the request */
  uint64_t rnd = seed;
  for (uint64_t i = 0; i < churn; i++) {
    if (gcs_rng_next(&rnd) % 1000 < permille) {
      gcs_obj *node = gcs_load(state, (uint32_t)(gcs_rng_next(&rnd) % live));
      gcs_root_set(&r[0], node);      /* a reference taken: the count is written */
      if (gcs_load(node, 0) == NULL || gcs_load(node, 0)->tag != node->tag) rep.ok = 0;
    }
    gcs_root_set(&r[1], gcs_new(3, 0));
    gcs_store(r[1], 0, gcs_new(1, 0));
    gcs_store(gcs_load(r[1], 0), 0, r[1]);   /* a 2-cycle */
    gcs_store(r[1], 1, gcs_new_atom(64));
    gcs_store(r[1], 2, r[0]);
    gcs_root_set(&r[1], NULL);
    gcs_safepoint();
  }
  gcs_frame_pop(r);
  gcs_heap_collect(-1);
  gcs_smaps_t s;
  if (gcs_smaps_read(&s) == 0) {
    rep.private_dirty = s.private_dirty;
    rep.shared = s.shared_clean + s.shared_dirty;
  } else {
    rep.ok = 0;
  }
  return rep;
}

static int run_prefork(gcs_wl_ctx *ctx) {
  const uint32_t live = (uint32_t)gcs_knob("live_objects");
  const uint32_t children = (uint32_t)gcs_knob("children");
  const uint64_t churn = (uint64_t)gcs_knob("churn");
  const uint64_t permille = (uint64_t)gcs_knob("reads_permille");
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(live, 0));
  gcs_obj *state = r[0];
  for (uint32_t i = 0; i < live; i++) {
    gcs_store(state, i, gcs_new(2, 0));
    gcs_obj *node = gcs_load(state, i);
    node->tag = i;
    gcs_store(node, 0, gcs_new_atom(48));
    gcs_load(node, 0)->tag = i;
    if (i) gcs_store(gcs_load(state, i - 1), 1, node);
    gcs_safepoint();
  }
  gcs_store(gcs_load(state, live - 1), 1, gcs_load(state, 0));
  gcs_heap_collect(-1);   /* the server's start-up garbage gone, as before gc.freeze() */
  bool frozen = gcs_knob("freeze") && gcs_heap_freeze();
  uint64_t state_bytes = gcs_heap.live_bytes;
  gcs_wl_mark(ctx, "built");

  double sum_private = 0, sum_shared = 0, max_private = 0;
  for (uint32_t k = 0; k < children; k++) {
    int fd[2];
    GCS_WL_CHECK(pipe(fd) == 0, "pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    GCS_WL_CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
      close(fd[0]);
      gcs_record_detach();   /* `run --record`: the trace is the parent's */
      report_t rep = worker(state, live, churn, permille, ctx->seed + k);
      ssize_t w = write(fd[1], &rep, sizeof rep);
      _exit(w == (ssize_t)sizeof rep && rep.ok ? 0 : 1);
    }
    close(fd[1]);
    report_t rep;
    ssize_t n = read(fd[0], &rep, sizeof rep);
    close(fd[0]);
    int status = 0;
    GCS_WL_CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
    GCS_WL_CHECK(n == (ssize_t)sizeof rep && WIFEXITED(status) && WEXITSTATUS(status) == 0 && rep.ok,
                 "worker %u failed (exit status %d)", k, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    sum_private += (double)rep.private_dirty;
    sum_shared += (double)rep.shared;
    if ((double)rep.private_dirty > max_private) max_private = (double)rep.private_dirty;
  }
  for (uint32_t i = 0; i < live; i++)
    GCS_WL_CHECK(gcs_load(state, i)->tag == i && gcs_load(gcs_load(state, i), 0)->tag == i,
                 "state node %u is damaged", i);
  gcs_wl_figure(ctx, "child_private_dirty_bytes", sum_private / children);
  gcs_wl_figure(ctx, "child_private_dirty_max_bytes", max_private);
  gcs_wl_figure(ctx, "child_shared_bytes", sum_shared / children);
  gcs_wl_figure(ctx, "state_bytes", (double)state_bytes);
  gcs_wl_figure(ctx, "frozen", frozen ? 1 : 0);
  gcs_frame_pop(r);
  return 0;
}

static const char *const prefork_small[] = {"live_objects=2000", "children=1", "churn=2000", NULL};
static const char *const prefork_bench[] = {"live_objects=50000", "churn=50000", NULL};

const gcs_workload_t gcs_workload_prefork = {
  .name = "prefork",
  .summary = "a prefork server: build state, maybe gc.freeze() it, fork workers that churn; what each copies (bpo-31558)",
  .knobs = prefork_knobs,
  .small = prefork_small,
  .bench = prefork_bench,
  .run = run_prefork,
};
