/*
** test_cpython.c — the `cpython` collector: count0 as CPython keeps it, when collections
** start, what they find, the long_lived_pending rule, freeze, untracking, delete_garbage
** with objects freed under its feet, and verify catching a broken list.
** (peers/cpython/fidelity.py checks the same collector against CPython 3.11 itself, on traces.)
**
** The stress build collects at every allocation, so tests of exact counts skip there.
*/
#include "tests/support.h"

#include <criterion/criterion.h>
#include <inttypes.h>

#define SKIP_IN_STRESS() \
  do { if (GCS_STRESS) cr_skip_test("the stress build collects at every allocation"); } while (0)

static gcs_gc_report_t report(void) {
  gcs_gc_report_t r;
  gcs_heap_report(&r);
  return r;
}

static const gcs_pause_t *last_pause(void) {
  size_t n;
  const gcs_pause_t *log = gcs_pause_log(&n);
  cr_assert_geq(n, 1, "no pause was logged");
  return &log[n - 1];
}

/* A ring of n 2-slot containers, each holding an atom in slot 1; returns its head, held
** by *root. */
static void make_ring(gcs_obj **root, gcs_obj **cursor, uint32_t n) {
  gcs_root_set(root, gcs_new(2, 0));
  gcs_root_set(cursor, *root);
  for (uint32_t i = 1; i < n; i++) {
    gcs_obj *o = gcs_new(2, 0);
    gcs_store(*cursor, 0, o);
    gcs_store(o, 1, gcs_new_atom(8));
    gcs_root_set(cursor, o);
  }
  gcs_store(*cursor, 0, *root);
  gcs_root_set(cursor, NULL);
}

Test(cpython, count0_counts_containers_only_and_clamps_at_zero) {
  SKIP_IN_STRESS();
  ts_open("cpython", NULL);
  gcs_obj **r = gcs_frame_push(6);
  for (int i = 0; i < 5; i++) gcs_root_set(&r[i], gcs_new(1, 0));
  gcs_root_set(&r[5], gcs_new_atom(100));
  cr_assert_eq(report().count[0], 5, "atoms are not GC objects: they do not count");
  gcs_root_set(&r[0], NULL);
  gcs_root_set(&r[1], NULL);
  cr_assert_eq(report().count[0], 3);
  cr_assert_eq(gcs_heap_collect(0), 0);
  gcs_gc_report_t rep = report();
  cr_assert_eq(rep.count[0], 0);
  cr_assert_eq(rep.count[1], 1, "a generation-0 collection counts toward generation 1");
  gcs_root_set(&r[2], NULL); /* a deallocation with count0 == 0: it stays 0 */
  cr_assert_eq(report().count[0], 0);
  gcs_root_set(&r[0], gcs_new(0, 0));
  cr_assert_eq(report().count[0], 1);
  gcs_frame_pop(r);
  cr_assert_eq(ts_close().leaked_objects, 0);
}

/* _PyObject_GC_Link: the 701st allocation collects generation 0, before the new object is
** tracked; the new object is then alone in generation 0. */
Test(cpython, collection_starts_at_threshold_before_the_new_object_is_tracked) {
  SKIP_IN_STRESS();
  ts_open("cpython", NULL);
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(701, 0));
  for (uint32_t i = 0; i < 699; i++) gcs_store(r[0], i, gcs_new(0, 0));
  gcs_gc_report_t rep = report();
  cr_assert_eq(rep.count[0], 700);
  cr_assert_eq(rep.gen[0].collections, 0);
  gcs_store(r[0], 699, gcs_new(0, 0)); /* the 701st */
  rep = report();
  cr_assert_eq(rep.gen[0].collections, 1);
  cr_assert_eq(rep.count[0], 0, "zeroed by the collection, after the increment");
  cr_assert_eq(rep.count[1], 1);
  cr_assert_eq(last_pause()->visited, 700, "the new object took no part");
  cr_assert_eq(last_pause()->generation, 0);
  cr_assert_eq(gcs_heap_collect(0), 0);
  cr_assert_eq(last_pause()->visited, 1, "generation 0 held the new object only");
  gcs_frame_pop(r);
  ts_close();
}

/* 3.12+ (_Py_ScheduleGC, gh-97922): the 701st allocation only schedules the collection; it
** runs at the end of the allocating call with the new object tracked and held (by the value
** stack in CPython), so it takes part, survives, and moves to generation 1 with the rest. */
Test(cpython, version_3_12_collects_after_the_new_object_is_tracked) {
  SKIP_IN_STRESS();
  ts_open("cpython", (const char *[]){"version=3.12", NULL});
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(701, 0));
  for (uint32_t i = 0; i < 699; i++) gcs_store(r[0], i, gcs_new(0, 0));
  gcs_obj *o = gcs_new(0, 0); /* the 701st: collected with it, while nothing else holds it */
  gcs_gc_report_t rep = report();
  cr_assert_eq(rep.gen[0].collections, 1);
  cr_assert_eq(rep.count[0], 0);
  cr_assert_eq(last_pause()->visited, 701, "the new object took part");
  cr_assert_eq(GCS_REFCNT(o), 0, "floating again after the collection");
  gcs_store(r[0], 699, o);
  cr_assert_eq(gcs_heap_collect(0), 0);
  cr_assert_eq(last_pause()->visited, 0, "generation 0 is empty: the new object was promoted");
  gcs_frame_pop(r);
  cr_assert_eq(ts_close().leaked_objects, 0);
}

/* A self-loop made by the allocation that schedules a collection is promoted by it under
** 3.12 and found by the next generation-0 collection under 3.11 (fidelity.py's hand case). */
Test(cpython, version_decides_where_the_scheduling_allocation_lives) {
  SKIP_IN_STRESS();
  static const char *const versions[] = {"version=3.11", "version=3.12", "version=3.13", "version=3.14.5"};
  for (int v = 0; v < 4; v++) {
    ts_open("cpython", (const char *[]){versions[v], "threshold0=2", NULL});
    gcs_obj **r = gcs_frame_push(3);
    gcs_root_set(&r[0], gcs_new(0, 0));
    gcs_root_set(&r[1], gcs_new(0, 0));
    gcs_root_set(&r[2], gcs_new(1, 0)); /* count0 3 > 2 */
    gcs_store(r[2], 0, r[2]);
    gcs_root_set(&r[2], NULL);
    cr_assert_eq(gcs_heap_collect(0), v == 0 ? 1u : 0u, "%s", versions[v]);
    gcs_gc_report_t rep = report();
    cr_assert_eq(rep.gen[0].collections, 2, "%s", versions[v]);
    cr_assert_eq(rep.count[1], 2, "%s", versions[v]);
    gcs_frame_pop(r);
    ts_close();
  }
}

/* 3.13 and 3.14.5 start at threshold0 2000 unless it is set; 3.11 and 3.12 at 700. */
Test(cpython, version_sets_the_default_threshold0) {
  SKIP_IN_STRESS();
  static const struct { const char *opt; int64_t want; } cases[] = {
    {"version=3.11", 700}, {"version=3.12", 700}, {"version=3.13", 2000}, {"version=3.14.5", 2000}};
  for (int i = 0; i < 4; i++) {
    ts_open("cpython", (const char *[]){cases[i].opt, NULL});
    cr_assert_eq(gcs_knob("threshold0"), cases[i].want, "%s", cases[i].opt);
    ts_close();
  }
  ts_open("cpython", (const char *[]){"version=3.13", "threshold0=700", NULL});
  cr_assert_eq(gcs_knob("threshold0"), 700, "a threshold the user set stands");
  ts_close();
}

Test(cpython, a_ring_is_found_unreachable_and_freed) {
  ts_open("cpython", NULL);
  gcs_obj **r = gcs_frame_push(2);
  make_ring(&r[0], &r[1], 10);
  uint64_t live = gcs_heap.live_objects;
  cr_assert_eq(live, 10 + 9);
  cr_assert_eq(gcs_heap_collect(0), 0, "still held by a root");
  gcs_root_set(&r[0], NULL);
  cr_assert_eq(gcs_heap.live_objects, live, "reference counting cannot free a ring");
  cr_assert_eq(gcs_heap_collect(-1), 10, "gc.collect() counts the tracked containers only");
  cr_assert_eq(gcs_heap.live_objects, 0, "its atoms went with it");
  if (!GCS_STRESS) {
    gcs_gc_report_t rep = report();
    cr_assert_eq(rep.gen[2].collections, 1);
    cr_assert_eq(rep.gen[2].collected, 10);
    cr_assert_eq(rep.gen[2].uncollectable, 0);
  }
  gcs_frame_pop(r);
  cr_assert_eq(ts_close().leaked_objects, 0);
}

/* Garbage where clearing one container frees many others in the list delete_garbage walks
** (and where a cleared one stays alive until later garbage lets go of it). */
Test(cpython, delete_garbage_survives_objects_freed_under_it) {
  uint64_t seed = 7;
  ts_open("cpython", NULL);
  gcs_obj **r = gcs_frame_push(1);
  const uint32_t n = 300;
  gcs_root_set(&r[0], gcs_new(n, 0));
  for (uint32_t i = 0; i < n; i++) gcs_store(r[0], i, gcs_new(4, 0));
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t k = 0; k < 4; k++) {
      uint64_t x = ts_below(&seed, n + 1);
      gcs_store(r[0]->slots[i], k, x == n ? gcs_new_atom(3) : r[0]->slots[x]);
    }
  gcs_store(r[0]->slots[0], 0, r[0]); /* and back to the holder */
  cr_assert_eq(gcs_heap_verify(), 0);
  gcs_root_set(&r[0], NULL);
  uint64_t found = gcs_heap_collect(-1);
  cr_assert_geq(found, 1);
  cr_assert_leq(found, n + 1);
  cr_assert_eq(gcs_heap.live_objects, 0);
  cr_assert_eq(gcs_heap_verify(), 0);
  gcs_frame_pop(r);
  ts_close();
}

/* layout=py-size adds CPython's ob_type and ob_size (16 bytes) to every object; layout=py
** also walks through CPython's dispatch (tp_traverse, visit calls, tp_clear). Neither may
** change what a collection finds: the same random graph (shared structure, garbage that frees
** garbage under delete_garbage) gives the same counts under every layout. */
Test(cpython, layout_changes_sizes_and_dispatch_not_results) {
  static const char *const layouts[] = {"layout=inline", "layout=py-size", "layout=py"};
  uint64_t found[3], young[3], bytes[3];
  for (int l = 0; l < 3; l++) {
    const char *knobs[] = {layouts[l], NULL};
    uint64_t seed = 11;
    ts_open("cpython", knobs);
    gcs_obj **r = gcs_frame_push(2);
    const uint32_t n = 200;
    gcs_root_set(&r[0], gcs_new(n, 0));
    gcs_root_set(&r[1], gcs_new(n, 0));
    for (uint32_t i = 0; i < n; i++) {
      gcs_store(r[0], i, gcs_new(3, 0));
      gcs_store(r[1], i, gcs_new_atom(8));
    }
    for (uint32_t i = 0; i < n; i++)
      for (uint32_t k = 0; k < 3; k++) {
        uint64_t x = ts_below(&seed, n + 1);
        gcs_store(r[0]->slots[i], k, x == n ? r[1]->slots[i] : r[0]->slots[x]);
      }
    bytes[l] = gcs_heap.live_bytes;
    young[l] = gcs_heap_collect(0);   /* everything is held: nothing found */
    for (uint32_t i = 0; i < n; i += 2) gcs_store(r[0], i, NULL);   /* half the graph unheld */
    found[l] = gcs_heap_collect(-1);
    cr_assert_eq(gcs_heap_verify(), 0);
    gcs_frame_pop(r);
    cr_assert_eq(ts_close().leaked_objects, 0);
  }
  const uint64_t objects = 2 + 2 * 200;
  cr_assert_eq(bytes[1], bytes[0] + 16 * objects, "py-size: 16 more bytes an object");
  cr_assert_eq(bytes[2], bytes[1], "py: the same size as py-size");
  for (int l = 1; l < 3; l++) {
    cr_assert_eq(young[l], young[0]);
    cr_assert_eq(found[l], found[0], "%s found %" PRIu64 ", inline %" PRIu64, layouts[l], found[l], found[0]);
  }
}

/* An old object held only by young cyclic garbage dies with it (by reference counting),
** though its own generation is not collected. */
Test(cpython, old_object_freed_by_young_garbage) {
  SKIP_IN_STRESS();
  ts_open("cpython", NULL);
  gcs_obj **r = gcs_frame_push(3);
  gcs_root_set(&r[2], gcs_new(0, 0));
  gcs_heap_collect(-1); /* r[2] is in generation 2 */
  make_ring(&r[0], &r[1], 2);
  gcs_store(r[0], 1, r[2]);
  gcs_root_set(&r[2], NULL);
  gcs_root_set(&r[0], NULL);
  cr_assert_eq(gcs_heap.live_objects, 4);
  cr_assert_eq(gcs_heap_collect(0), 2);
  cr_assert_eq(gcs_heap.live_objects, 0);
  cr_assert_eq(gcs_heap_verify(), 0);
  gcs_frame_pop(r);
  ts_close();
}

static void keep_new(gcs_obj **holder, uint32_t *used, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) gcs_store(*holder, (*used)++, gcs_new(0, 0));
}

/* gc_collect_generations: generation 2 is passed over while long_lived_pending <
** long_lived_total / 4, then collected once enough survivors are pending. */
Test(cpython, full_collection_waits_for_a_quarter_of_long_lived_pending) {
  SKIP_IN_STRESS();
  static const char *const knobs[] = {"threshold0=2000", "threshold1=0", "threshold2=0", NULL};
  ts_open("cpython", knobs);
  gcs_obj **r = gcs_frame_push(2);
  uint32_t used = 0;
  gcs_root_set(&r[0], gcs_new(10000, 0));
  keep_new(&r[0], &used, 99);
  gcs_heap_collect(2);                 /* long_lived_total = 100 */
  keep_new(&r[0], &used, 10);
  gcs_heap_collect(1);                 /* count2 = 1, long_lived_pending = 10 */
  keep_new(&r[0], &used, 2001);        /* count0 2001 > 2000 at the last */
  gcs_gc_report_t rep = report();
  cr_assert_eq(rep.gen[2].collections, 1, "10 pending < 100 / 4: generation 2 passed over");
  cr_assert_eq(rep.gen[0].collections, 1, "... and generation 0 collected instead");
  gcs_heap_collect(1);                 /* count2 = 2, pending = 10 + 2001 */
  keep_new(&r[0], &used, 2001);
  rep = report();
  cr_assert_eq(rep.gen[2].collections, 2, "2011 pending >= 100 / 4: a full collection");
  cr_assert_eq(last_pause()->generation, 2);
  gcs_frame_pop(r);
  ts_close();
}

Test(cpython, long_lived_ratio_zero_lets_every_full_collection_run) {
  SKIP_IN_STRESS();
  static const char *const knobs[] = {"threshold0=2000", "threshold1=0", "threshold2=0",
                                      "long_lived_ratio=0", NULL};
  ts_open("cpython", knobs);
  gcs_obj **r = gcs_frame_push(1);
  uint32_t used = 0;
  gcs_root_set(&r[0], gcs_new(10000, 0));
  keep_new(&r[0], &used, 99);
  gcs_heap_collect(2);
  keep_new(&r[0], &used, 10);
  gcs_heap_collect(1);
  keep_new(&r[0], &used, 2001);
  cr_assert_eq(report().gen[2].collections, 2);
  gcs_frame_pop(r);
  ts_close();
}

/* gc.freeze(): frozen objects are never examined, so a frozen cycle is never collected. */
Test(cpython, frozen_objects_are_never_collected) {
  SKIP_IN_STRESS();
  static const char *const knobs[] = {"freeze_after_allocs=10", NULL};
  ts_open("cpython", knobs);
  gcs_obj **r = gcs_frame_push(2);
  make_ring(&r[0], &r[1], 10);         /* containers 1..10: frozen at the 10th */
  gcs_gc_report_t rep = report();
  cr_assert(rep.count[0] == 0 && rep.count[1] == 0 && rep.count[2] == 0, "gc.freeze() zeroes the counts");
  gcs_root_set(&r[0], NULL);
  cr_assert_eq(gcs_heap_collect(-1), 0);
  cr_assert_eq(last_pause()->visited, 0);
  gcs_frame_pop(r);
  gcs_teardown_t td = ts_close();
  cr_assert_eq(td.leaked_objects, 10 + 9, "the frozen ring and its atoms outlive the heap");
}

/* untrack_atom_only: a container holding only atoms, nothing, or untracked containers leaves
** the lists at its first collection (as a tuple of tuples of ints does in CPython); one
** holding a tracked container stays. */
Test(cpython, untrack_atom_only_untracks_containers_of_atoms) {
  SKIP_IN_STRESS();
  for (int on = 0; on <= 1; on++) {
    static const char *const knobs_on[] = {"untrack_atom_only=on", NULL};
    ts_open("cpython", on ? knobs_on : NULL);
    gcs_obj **r = gcs_frame_push(4);
    gcs_root_set(&r[0], gcs_new(2, 0));   /* an atom and nothing: untracked */
    gcs_store(r[0], 0, gcs_new_atom(4));
    gcs_root_set(&r[1], gcs_new(1, 0));   /* holds r[0] only: untracked after it */
    gcs_store(r[1], 0, r[0]);
    gcs_root_set(&r[2], gcs_new(1, 0));   /* a self-loop: stays */
    gcs_store(r[2], 0, r[2]);
    gcs_root_set(&r[3], gcs_new(2, 0));   /* holds r[0] and r[2]: stays */
    gcs_store(r[3], 0, r[0]);
    gcs_store(r[3], 1, r[2]);
    gcs_heap_collect(0);
    cr_assert_eq(last_pause()->visited, 4);
    gcs_heap_collect(2);
    cr_assert_eq(last_pause()->visited, on ? 2 : 4, "untrack_atom_only=%d", on);
    cr_assert_eq(report().count[0], 0);
    cr_assert_eq(gcs_heap_verify(), 0);
    gcs_frame_pop(r);
    cr_assert_eq(gcs_heap_collect(-1), 1, "the self-loop");
    cr_assert_eq(gcs_heap.live_objects, 0, "untracked containers are still freed by RC");
    ts_close();
  }
}

/* verify: a generation list whose prev link is broken is reported. */
Test(cpython, verify_reports_a_broken_list) {
  ts_open("cpython", NULL);
  gcs_obj **r = gcs_frame_push(3);
  for (int i = 0; i < 3; i++) gcs_root_set(&r[i], gcs_new(0, 0));
  cr_assert_eq(gcs_heap_verify(), 0);
  uintptr_t *prev = (uintptr_t *)r[1] - 2;   /* gc_prev in the 24-byte prefix */
  uintptr_t saved = *prev;
  *prev = (uintptr_t)r[1] - 24;               /* points to itself */
  cr_assert_neq(gcs_heap.ops->verify(), 0);
  *prev = saved;
  cr_assert_eq(gcs_heap_verify(), 0);
  gcs_frame_pop(r);
  ts_close();
}

/* A long ring: found and freed without recursion, each phase a loop. (The debug build
** verifies the whole heap at every automatic collection: quadratic, so it stays short.) */
Test(cpython, long_ring, .timeout = 120) {
  if (GCS_STRESS) cr_skip_test("a full collection per allocation would take hours");
  const uint32_t n = GCS_DEBUG >= 3 ? 50 * 1000 : 1000 * 1000;
  ts_open("cpython", NULL);
  gcs_obj **r = gcs_frame_push(2);
  gcs_root_set(&r[0], gcs_new(1, 0));
  gcs_root_set(&r[1], r[0]);
  for (uint32_t i = 1; i < n; i++) {
    gcs_obj *o = gcs_new(1, 0);
    gcs_store(r[1], 0, o);
    gcs_root_set(&r[1], o);
  }
  gcs_store(r[1], 0, r[0]);
  gcs_root_set(&r[1], NULL);
  gcs_root_set(&r[0], NULL);
  cr_assert_eq(gcs_heap_collect(-1), n);
  cr_assert_eq(gcs_heap.live_objects, 0);
  gcs_frame_pop(r);
  ts_close();
}
