/*
** test_workloads.c — every workload in gcs_workloads[] against every collector in
** gcs_collectors[], at the workload's `small` settings: run() must pass its own self-checks
** and return 0, and the teardown must leak what the collector's design leaks:
**   none                        everything it allocated (not checked)
**   rc                          exactly the cyclic garbage: nothing for an acyclic workload,
**                               something for a cyclic one (the `cyclic` table below)
**   every other collector       nothing
** The debug build (ASan, GCS_DEBUG=3) verifies the heap at every phase boundary; the stress
** build collects at every allocation, so a workload's missing root shows up as a freed
** object its self-check (or ASan/the debug fill pattern) trips over.
** The trace workload replays a small cyclic trace written to a temporary file.
*/
#include "tests/support.h"
#include "workloads/workloads.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

/* Workloads whose garbage includes cycles: pure RC must leak under them. */
static const char *const cyclic[] = {"gcbench-cyclic", "rings", "churn", "lru", "trace", "requests", "prefork",
                                     NULL};

static bool is_cyclic(const char *name) {
  for (int i = 0; cyclic[i]; i++)
    if (strcmp(cyclic[i], name) == 0) return true;
  return false;
}

static const char trace_text[] =
    "# two objects in a cycle, dropped, then a chain\n"
    "new a 2\nnew b 1\nset a 0 b\nset b 0 a\natom c 16\nset a 1 c\n"
    "drop b\ncollect 0\ndrop a\ncollect\n"
    "new x 1\nnew y 1\nset x 0 y\ndrop y\ndrop c\ncollect\n";

typedef struct cell {
  char collector[32];
  char workload[32];
} cell;

typedef struct marks {
  int built;   /* gcs_wl_mark(ctx, "built") calls */
  int other;   /* marks with any other label */
} marks;

static void on_mark(gcs_wl_ctx *ctx, const char *label) {
  marks *m = ctx->driver;
  if (strcmp(label, "built") == 0)
    m->built++;
  else
    m->other++;
}
static void on_figure(gcs_wl_ctx *ctx, const char *name, double value) {
  (void)ctx;
  (void)name;
  (void)value;
}

ParameterizedTestParameters(workloads, small) {
  size_t nc = 0, nw = 0;
  while (gcs_collectors[nc]) nc++;
  while (gcs_workloads[nw]) nw++;
  cell *cells = cr_malloc(nc * nw * sizeof *cells);
  size_t n = 0;
  for (size_t w = 0; w < nw; w++)
    for (size_t c = 0; c < nc; c++, n++) {
      memset(&cells[n], 0, sizeof cells[n]);
      snprintf(cells[n].collector, sizeof cells[n].collector, "%s", gcs_collectors[c]->name);
      snprintf(cells[n].workload, sizeof cells[n].workload, "%s", gcs_workloads[w]->name);
    }
  return cr_make_param_array(cell, cells, n, NULL);
}

ParameterizedTest(cell *p, workloads, small, .timeout = 60) {
  const gcs_workload_t *w = gcs_workload_find(p->workload);
  const gcs_collector_ops *c = gcs_collector_find(p->collector);
  cr_assert(w != NULL && c != NULL);
  gcs_options_t opts = {0};
  opts.workload_knobs = w->knobs;
  char err[512];
  for (int i = 0; w->small && w->small[i]; i++)
    cr_assert(gcs_options_add(&opts, w->small[i], err, sizeof err) == 0, "%s", err);
  cr_assert(gcs_heap_open(c, &opts, err, sizeof err) == 0, "%s × %s: %s", p->collector,
            p->workload, err);

  marks m = {0, 0};
  gcs_wl_ctx ctx = {.seed = 42, .path = NULL, .mark = on_mark, .figure = on_figure, .driver = &m};
  if (strcmp(w->name, "trace") == 0) ctx.path = ts_write_temp(trace_text);
  int rc = w->run(&ctx);
  cr_assert_eq(rc, 0, "%s × %s: the workload's self-check failed", p->collector, p->workload);
  cr_assert_eq(gcs_heap.roots_top, gcs_heap.roots_base, "%s × %s: run() left roots pushed",
               p->collector, p->workload);
  if (strcmp(w->name, "trace") != 0)
    cr_assert_eq(m.built, 1, "%s × %s: gcs_wl_mark(\"built\") called %d times", p->collector,
                 p->workload, m.built);
  cr_assert_eq(gcs_heap_verify(), 0, "%s × %s: heap verify", p->collector, p->workload);

  gcs_teardown_t td = ts_close();
  if (strcmp(c->name, "none") == 0) return;
  if (strcmp(c->name, "rc") == 0) {
    if (is_cyclic(w->name))
      cr_assert_gt(td.leaked_objects, 0, "rc × %s: a cyclic workload, yet nothing leaked",
                   w->name);
    else
      cr_assert_eq(td.leaked_objects, 0, "rc × %s: acyclic, yet %llu objects leaked", w->name,
                   (unsigned long long)td.leaked_objects);
    return;
  }
  if (strncmp(c->name, "boehm", 5) == 0) {
    /* bdwgc's marker scans its own frames and registers conservatively: a stale word may keep
    ** an object (and what it holds) at teardown, never more than a sliver of the run's. */
    uint64_t allocated = gcs_heap.stats.objects_allocated;
    cr_assert_leq(td.leaked_objects, allocated / 100 + 8, "%s × %s: %llu of %llu objects leaked",
                  c->name, w->name, (unsigned long long)td.leaked_objects,
                  (unsigned long long)allocated);
    return;
  }
  cr_assert_eq(td.leaked_objects, 0, "%s × %s: %llu objects (%llu bytes) leaked", c->name,
               w->name, (unsigned long long)td.leaked_objects,
               (unsigned long long)td.leaked_bytes);
}

/* Same seed, same knobs: the same allocations (a workload is deterministic from ctx->seed). */
Test(workloads, deterministic) {
  for (int i = 0; gcs_workloads[i]; i++) {
    const gcs_workload_t *w = gcs_workloads[i];
    if (strcmp(w->name, "trace") == 0) continue;
    uint64_t allocated[2], bytes[2];
    for (int k = 0; k < 2; k++) {
      gcs_options_t opts = {0};
      opts.workload_knobs = w->knobs;
      char err[512];
      for (int s = 0; w->small && w->small[s]; s++)
        cr_assert(gcs_options_add(&opts, w->small[s], err, sizeof err) == 0, "%s", err);
      cr_assert(gcs_heap_open(gcs_collector_find("rc"), &opts, err, sizeof err) == 0, "%s", err);
      gcs_wl_ctx ctx = {.seed = 7};
      cr_assert_eq(w->run(&ctx), 0, "%s", w->name);
      allocated[k] = gcs_heap.stats.objects_allocated;
      bytes[k] = gcs_heap.stats.bytes_allocated;
      ts_close();
    }
    cr_assert(allocated[0] == allocated[1] && bytes[0] == bytes[1],
              "%s: %llu then %llu objects allocated", w->name, (unsigned long long)allocated[0],
              (unsigned long long)allocated[1]);
  }
}
