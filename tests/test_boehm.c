/*
** test_boehm.c — the boehm and boehm-inc peers (real bdwgc): the census counts exactly what
** an explicit collection leaves unmarked, typed containers against conservative ones,
** automatic collections reported and logged, memory unmapped at the release, the one-way
** incremental mode. (Every workload and the random conformance traces run on both peers too:
** test_workloads.c, test_conformance.c.)
*/
#include "tests/support.h"

#include <gc/gc.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#if GCS_STRESS
#define GARBAGE 2000      /* a full collection at every allocation */
#else
#define GARBAGE 200000
#endif

/* With the shadow stack as the only roots an explicit collection frees exactly the dropped. */
Test(boehm, census_counts_exactly_the_unreachable) {
  ts_open("boehm", NULL);
  gcs_obj **r = gcs_frame_push(100);
  for (int i = 0; i < 100; i++) gcs_root_set(&r[i], i % 2 ? gcs_new_atom(24) : gcs_new(3, 8));
  for (int i = 0; i < 100; i += 2) gcs_store(r[i], 0, r[i + 1]);   /* each atom held twice */
  for (int i = 0; i < 50; i++) gcs_root_set(&r[i], NULL);          /* 25 pairs unreachable */
  uint64_t found = gcs_heap_collect(-1);
  cr_assert_eq(found, 50, "the collection found %llu unreachable", (unsigned long long)found);
  cr_assert_eq(gcs_heap.live_objects, 50);
  cr_assert_eq(gcs_heap_verify(), 0);
  for (int i = 50; i < 100; i += 2) cr_assert_eq(gcs_load(r[i], 0), r[i + 1]);
  gcs_frame_pop(r);
  cr_assert_eq(ts_close().leaked_objects, 0);
}

Test(boehm, census_counts_exactly_the_unreachable_incremental) {
  ts_open("boehm-inc", NULL);
  gcs_obj **r = gcs_frame_push(10);
  for (int i = 0; i < 10; i++) gcs_root_set(&r[i], gcs_new(1, 0));
  for (int i = 0; i < 9; i++) gcs_store(r[i], 0, r[i + 1]);
  gcs_root_set(&r[0], NULL);
  gcs_root_set(&r[1], NULL);   /* nodes 0 and 1 unreachable (only node 0 held node 1) */
  cr_assert_eq(gcs_heap_collect(-1), 2);
  cr_assert_eq(gcs_heap.live_objects, 8);
  gcs_frame_pop(r);
  cr_assert_eq(ts_close().leaked_objects, 0);
}

/* A container whose payload holds an atom's address: typed (precise=on) only its slots are
** scanned and the atom dies; with precise=off every word is, and the payload keeps it. */
Test(boehm, precise_against_conservative_containers) {
  for (int precise = 1; precise >= 0; precise--) {
    const char *knobs[] = {precise ? "precise=on" : "precise=off", NULL};
    ts_open("boehm", knobs);
    gcs_obj **r = gcs_frame_push(2);
    gcs_root_set(&r[0], gcs_new(1, 16));
    gcs_root_set(&r[1], gcs_new_atom(32));
    gcs_obj *atom = r[1];
    memcpy(gcs_obj_payload(r[0]), &atom, sizeof atom);
    atom = NULL;
    gcs_root_set(&r[1], NULL);
    gcs_heap_collect(-1);
    cr_assert_eq(gcs_heap.live_objects, precise ? 1u : 2u,
                 "precise=%s: %llu live after the collection", precise ? "on" : "off",
                 (unsigned long long)gcs_heap.live_objects);
    memset(gcs_obj_payload(r[0]), 0, 16);
    gcs_frame_pop(r);
    cr_assert_eq(ts_close().leaked_objects, 0);
  }
}

/* Garbage triggers bdwgc's own collections: counted by GC_get_gc_no(), logged as pauses of
** the kinds each mode fires, each freeing what the census found. */
static void automatic(const char *name) {
  ts_open(name, NULL);
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(16, 0));
  for (int i = 0; i < GARBAGE; i++) gcs_store(r[0], (uint32_t)(i % 16), gcs_new(2, 48));
  gcs_gc_report_t rep;
  gcs_heap_report(&rep);
  cr_assert_eq(rep.ngenerations, 1);
  cr_assert_gt(rep.gen[0].collections, 0, "%s: no collection in %d allocations", name, GARBAGE);
  cr_assert_gt(rep.gen[0].collected, 0);
  cr_assert_eq(rep.gen[0].collected, gcs_heap.stats.objects_freed);
  size_t n;
  const gcs_pause_t *log = gcs_pause_log(&n);
  cr_assert_gt(n, 0, "%s logged no pause", name);
  for (size_t i = 0; i < n; i++) {
    cr_assert(log[i].end_ns >= log[i].start_ns);
    if (strcmp(name, "boehm") == 0)
      cr_assert(log[i].kind == GCS_PAUSE_FULL || log[i].kind == GCS_PAUSE_STEP, "pause kind %u", log[i].kind);
    else
      cr_assert(log[i].kind != GCS_PAUSE_CASCADE && log[i].kind != GCS_PAUSE_ATOMIC, "pause kind %u", log[i].kind);
  }
  cr_assert_eq(gcs_heap_verify(), 0);
  gcs_frame_pop(r);
  cr_assert_eq(ts_close().leaked_objects, 0);
}

Test(boehm, automatic_collections_are_reported_and_logged) { automatic("boehm"); }
Test(boehm, automatic_collections_are_reported_and_logged_incremental) { automatic("boehm-inc"); }

/* The release (an explicit collection with no root left) unmaps what bdwgc freed:
** GC_set_force_unmap_on_gcollect and GC_gcollect_and_unmap. */
Test(boehm, memory_is_returned_at_the_release) {
  const int n = GCS_STRESS ? 256 : 4096;   /* 16 KiB atoms: 64 MiB (4 MiB under stress) */
  ts_open("boehm", NULL);
  gcs_obj **r = gcs_frame_push((uint32_t)n);
  for (int i = 0; i < n; i++) {
    gcs_root_set(&r[i], gcs_new_atom(16 << 10));
    memset(gcs_obj_payload(r[i]), 1, 16 << 10);   /* touched: resident */
  }
  uint64_t before = ts_rss_bytes();
  gcs_frame_pop(r);
  gcs_heap_collect(-1);
  uint64_t after = ts_rss_bytes();
  uint64_t held = (uint64_t)n << 14;
  cr_assert_eq(gcs_heap.live_objects, 0);
  cr_assert_geq(GC_get_unmapped_bytes(), held / 2, "%zu bytes unmapped of %llu", GC_get_unmapped_bytes(),
                (unsigned long long)held);
  cr_assert(before > after && before - after >= held / 2, "RSS %llu -> %llu: less than half of %llu returned",
            (unsigned long long)before, (unsigned long long)after, (unsigned long long)held);
  ts_close();
}

/* bdwgc's incremental mode cannot be switched off: boehm after boehm-inc is refused. */
Test(boehm, stop_the_world_after_incremental_is_refused) {
  ts_open("boehm-inc", NULL);
  ts_close();
  char err[256];
  int rc = gcs_heap_open(gcs_collector_find("boehm"), NULL, err, sizeof err);
  cr_assert_eq(rc, ENOTSUP, "boehm opened after boehm-inc (%d)", rc);
}
