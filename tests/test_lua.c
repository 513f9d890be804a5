/*
** test_lua.c — the lua-inc and lua-gen peers (real Lua 5.4 through its C API): every workload
** at its small settings under timing=approx (test_workloads.c runs them under the default,
** exact), a trace replayed with its garbage known, memory given back to the allocator, the
** pause of lua_gc(LUA_GCINC)'s pacing worked by hand, a large container (a table of slots).
*/
#include "tests/support.h"
#include "workloads/trace.h"
#include "workloads/workloads.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#if GCS_STRESS /* a full collection at every allocation: O(n^2) in the chain's length */
#define CHAIN 1000
#else
#define CHAIN 20000
#endif

typedef struct cell {
  char collector[16];
  char workload[32];
} cell;

static void no_mark(gcs_wl_ctx *ctx, const char *label) { (void)ctx; (void)label; }
static void no_figure(gcs_wl_ctx *ctx, const char *name, double value) {
  (void)ctx;
  (void)name;
  (void)value;
}

ParameterizedTestParameters(lua, approx_small) {
  static const char *const peers[] = {"lua-inc", "lua-gen"};
  size_t nw = 0;
  while (gcs_workloads[nw]) nw++;
  cell *cells = cr_malloc(2 * nw * sizeof *cells);
  size_t n = 0;
  for (size_t w = 0; w < nw; w++) {
    if (strcmp(gcs_workloads[w]->name, "trace") == 0) continue;
    for (int c = 0; c < 2; c++, n++) {
      memset(&cells[n], 0, sizeof cells[n]);
      snprintf(cells[n].collector, sizeof cells[n].collector, "%s", peers[c]);
      snprintf(cells[n].workload, sizeof cells[n].workload, "%s", gcs_workloads[w]->name);
    }
  }
  return cr_make_param_array(cell, cells, n, NULL);
}

ParameterizedTest(cell *p, lua, approx_small, .timeout = 60) {
  const gcs_workload_t *w = gcs_workload_find(p->workload);
  gcs_options_t opts = {0};
  opts.workload_knobs = w->knobs;
  char err[512];
  for (int i = 0; w->small && w->small[i]; i++)
    cr_assert(gcs_options_add(&opts, w->small[i], err, sizeof err) == 0, "%s", err);
  cr_assert(gcs_options_add(&opts, "timing=approx", err, sizeof err) == 0, "%s", err);
  cr_assert(gcs_heap_open(gcs_collector_find(p->collector), &opts, err, sizeof err) == 0, "%s", err);
  gcs_wl_ctx ctx = {.seed = 5, .mark = no_mark, .figure = no_figure};
  cr_assert_eq(w->run(&ctx), 0, "%s × %s: the workload's self-check failed", p->collector, w->name);
  cr_assert_eq(gcs_heap_verify(), 0);
  gcs_teardown_t td = ts_close();
  cr_assert_eq(td.leaked_objects, 0, "%s × %s: %llu leaked", p->collector, w->name,
               (unsigned long long)td.leaked_objects);
}

/* A cycle and a chain dropped, an atom kept through a slot: what each `collect` finds. */
static const char trace_text[] =
    "new keep 1\natom c 40\nset keep 0 c\ndrop c\n"
    "new a 2\nnew b 1\nset a 0 b\nset b 0 a\nset a 1 keep\ndrop a\ndrop b\ncollect\n"
    "new x 1\nnew y 1\nset x 0 y\nnew z 0\nset y 0 z\ndrop y\ndrop z\nload w keep 0\ncollect\n"
    "drop x\ncollect\n";

static void replay(const char *collector, const char *timing) {
  char knob[32];
  snprintf(knob, sizeof knob, "timing=%s", timing);
  const char *knobs[] = {knob, NULL};
  ts_open(collector, knobs);
  char err[512];
  gcs_trace_t t;
  cr_assert_eq(gcs_trace_load(ts_write_temp(trace_text), &t, err, sizeof err), 0, "%s", err);
  gcs_trace_result_t res;
  cr_assert_eq(gcs_trace_run(&t, NULL, &res, err, sizeof err), 0, "%s", err);
  cr_assert_eq(res.ncollects, 3);
#if !GCS_STRESS /* there every safepoint collects: the explicit ones find nothing left */
  cr_assert_eq(res.collects[0], 2, "%s %s: the cycle a-b: found %llu", collector, timing,
               (unsigned long long)res.collects[0]);
  cr_assert_eq(res.collects[1], 0, "%s %s: x-y-z is held by x", collector, timing);
  cr_assert_eq(res.collects[2], 3, "%s %s: x, y, z once x is dropped", collector, timing);
#endif
  cr_assert_eq(res.nfull, 3);
  cr_assert_eq(res.live_after_full[0], 2);   /* keep, c */
  cr_assert_eq(res.live_after_full[1], 5);   /* and x, y, z */
  cr_assert_eq(res.live_after_full[2], 2);
  cr_assert_geq(res.report.gen[0].collections, 3, "the finalizer sentinel counts each collection");
  gcs_trace_result_free(&res);
  gcs_trace_free(&t);
  cr_assert_eq(ts_close().leaked_objects, 0);
}

Test(lua, replay_inc_exact) { replay("lua-inc", "exact"); }
Test(lua, replay_inc_approx) { replay("lua-inc", "approx"); }
Test(lua, replay_gen_exact) { replay("lua-gen", "exact"); }
Test(lua, replay_gen_approx) { replay("lua-gen", "approx"); }

/* Everything dropped and collected: Lua's own count back where it started, every object
** reported freed, and (arena) the allocator holding no more than before. */
static void returns_memory(const char *collector, const char *allocator) {
  char knob[32];
  snprintf(knob, sizeof knob, "allocator=%s", allocator);
  const char *knobs[] = {knob, NULL};
  ts_open(collector, knobs);
  gcs_gc_report_t rep;
  gcs_heap_collect(-1);
  gcs_heap_report(&rep);
  int64_t kib0 = rep.count[0];
  uint64_t held0 = gcs_heap.allocator == GCS_ALLOC_ARENA ? gcs_arena_stats()->bytes_in_use : 0;
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(1, 0));
  for (int i = 0; i < CHAIN; i++) {   /* a chain: each new head holds the previous one */
    gcs_obj *n = gcs_new(1, 200);
    gcs_store(n, 0, r[0]);
    gcs_root_set(&r[0], n);
  }
  gcs_heap_report(&rep);
  cr_assert_gt(rep.count[0], kib0 + CHAIN * 200 / 1024, "Lua counts the chain: %lld KiB", (long long)rep.count[0]);
  uint64_t freed0 = gcs_heap.stats.objects_freed;
  gcs_frame_pop(r);
  gcs_heap_collect(-1);
  cr_assert_eq(gcs_heap.stats.objects_freed - freed0, CHAIN + 1);
  cr_assert_eq(gcs_heap.live_objects, 0);
  gcs_heap_report(&rep);
  cr_assert_leq(rep.count[0], kib0 + 1, "%s %s: %lld KiB after, %lld before", collector, allocator,
                (long long)rep.count[0], (long long)kib0);
  if (gcs_heap.allocator == GCS_ALLOC_ARENA)
    cr_assert_leq(gcs_arena_stats()->bytes_in_use, held0 + 1024);
  cr_assert_eq(ts_close().leaked_objects, 0);
}

Test(lua, returns_memory_inc_arena) { returns_memory("lua-inc", "arena"); }
Test(lua, returns_memory_gen_system) { returns_memory("lua-gen", "system"); }

#if !GCS_STRESS
/* Worked by hand from lgc.c's setpause: after a full collection the estimate is the bytes in
** use E, the threshold E * pause / 100, so with pause=300 no step runs until Lua holds 3E;
** the first one then comes with the allocation that crosses it (exact timing: GCdebt > 0). */
Test(lua, the_first_step_comes_at_the_pause) {
  const char *knobs[] = {"pause=300", "timing=exact", NULL};
  ts_open("lua-inc", knobs);
  gcs_gc_report_t rep;
  gcs_heap_report(&rep);
  int64_t e = rep.count[0];   /* KiB; the open ended with a full collection */
  size_t n0;
  gcs_pause_log(&n0);
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(1, 0));
  int64_t before = 0;
  size_t n = n0;
  for (int i = 0; i < 100000 && n == n0; i++) {
    gcs_heap_report(&rep);
    before = rep.count[0];
    gcs_obj *a = gcs_new(1, 100);   /* a chain, all live */
    gcs_store(a, 0, r[0]);
    gcs_root_set(&r[0], a);
    gcs_pause_log(&n);
  }
  cr_assert_gt(n, n0, "no step after 100,000 allocations");
  cr_assert(before >= 3 * e - 1 && before <= 3 * e + 3,   /* e is rounded down to a KiB */
            "the first step at %lld KiB; expected 3 x %lld", (long long)before, (long long)e);
  const gcs_pause_t *log = gcs_pause_log(&n);
  cr_assert(log[n0].kind == GCS_PAUSE_STEP || log[n0].kind == GCS_PAUSE_ATOMIC);
  cr_assert_eq(log[n0].freed, 0, "everything is live");
  gcs_frame_pop(r);
  cr_assert_eq(ts_close().leaked_objects, 0);
}
#endif

/* More slots than Lua's user values allow: the slots live in a table. */
Test(lua, a_large_container) {
  ts_open("lua-gen", NULL);
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(70000, 0));
  for (uint32_t i = 0; i < 70000; i += 7000) gcs_store(r[0], i, gcs_new_atom(8));
  gcs_store(r[0], 69999, r[0]);
  cr_assert_eq(gcs_heap_collect(-1), 0);
  cr_assert_eq(gcs_heap.live_objects, 11);
  gcs_store(r[0], 7000, NULL);
  cr_assert_eq(gcs_heap_collect(-1), 1);
  cr_assert_eq(gcs_heap_verify(), 0);
  gcs_frame_pop(r);
  cr_assert_eq(gcs_heap_collect(-1), 10, "the container (a cycle through itself) and 9 atoms");
  cr_assert_eq(ts_close().leaked_objects, 0);
}

#if !GCS_STRESS
/* lua-gen's exact timing steps exactly where Lua's own luaC_checkGC would (a generational
** step sets the debt outright: the added KiB changes nothing), so approx, which times Lua's
** own steps, must see the same collections of the same kinds. */
static void gen_collections(const char *timing, size_t *by_kind, uint64_t *cycles) {
  const gcs_workload_t *w = gcs_workload_find("live-heap");
  gcs_options_t opts = {0};
  opts.workload_knobs = w->knobs;
  char err[512], knob[32];
  snprintf(knob, sizeof knob, "timing=%s", timing);
  const char *set[] = {"objects=20000", "churn=300000", "collections=0", knob, NULL};
  for (int i = 0; set[i]; i++) cr_assert(gcs_options_add(&opts, set[i], err, sizeof err) == 0, "%s", err);
  cr_assert(gcs_heap_open(gcs_collector_find("lua-gen"), &opts, err, sizeof err) == 0, "%s", err);
  gcs_wl_ctx ctx = {.seed = 3, .mark = no_mark, .figure = no_figure};
  cr_assert_eq(w->run(&ctx), 0);
  size_t n;
  const gcs_pause_t *log = gcs_pause_log(&n);
  for (size_t i = 0; i < n; i++) by_kind[log[i].kind]++;
  gcs_gc_report_t rep;
  gcs_heap_report(&rep);
  *cycles = rep.gen[0].collections;
  ts_close();
}

Test(lua, approx_sees_every_generational_collection) {
  size_t exact[GCS_PAUSE_NKINDS] = {0}, approx[GCS_PAUSE_NKINDS] = {0};
  uint64_t ce, ca;
  gen_collections("exact", exact, &ce);
  gen_collections("approx", approx, &ca);
  cr_assert_gt(exact[GCS_PAUSE_COLLECT], 10, "minor collections: %zu", exact[GCS_PAUSE_COLLECT]);
  cr_assert_eq(ce, ca, "sentinel cycles: exact %llu, approx %llu", (unsigned long long)ce, (unsigned long long)ca);
  for (int k = 0; k < GCS_PAUSE_NKINDS; k++)
    cr_assert_eq(exact[k], approx[k], "%s pauses: exact %zu, approx %zu", gcs_pause_kind_names[k], exact[k], approx[k]);
}
#endif
