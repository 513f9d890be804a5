/*
** test_rc.c — pure reference counting: counts, cascades without recursion, and the exact
** report of what leaks in cycles.
*/
#include "tests/support.h"

#include <criterion/criterion.h>
#include <sys/resource.h>

#define BLOCK(nslots, payload) (sizeof(intptr_t) + sizeof(gcs_obj) + 8u * (nslots) + (payload))

Test(rc, counts_follow_stores_and_roots) {
  ts_open("rc", NULL);
  gcs_obj **r = gcs_frame_push(2);
  gcs_root_set(&r[0], gcs_new(3, 0));
  gcs_obj *a = r[0];
  gcs_obj *x = gcs_new_atom(8);
  cr_assert_eq(GCS_REFCNT(x), 0, "a new object is floating");
  gcs_store(a, 0, x);
  gcs_store(a, 1, x);
  cr_assert_eq(GCS_REFCNT(x), 2);
  gcs_root_set(&r[1], x);
  cr_assert_eq(GCS_REFCNT(x), 3);
  gcs_store(a, 1, x); /* over itself: counted before released */
  cr_assert_eq(GCS_REFCNT(x), 3);
  cr_assert_eq(gcs_heap_verify(), 0);
  gcs_store(a, 0, NULL);
  gcs_store(a, 1, NULL);
  cr_assert_eq(GCS_REFCNT(x), 1);
  cr_assert_eq(gcs_heap.live_objects, 2);
  gcs_root_set(&r[1], NULL);
  cr_assert_eq(gcs_heap.live_objects, 1, "the atom is freed when its last reference goes");
  gcs_frame_pop(r);
  cr_assert_eq(gcs_heap.live_objects, 0);
  gcs_teardown_t td = ts_close();
  cr_assert_eq(td.leaked_objects, 0);
}

Test(rc, self_store_does_not_free) {
  ts_open("rc", NULL);
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(1, 0));
  gcs_store(r[0], 0, r[0]); /* a one-object cycle */
  cr_assert_eq(GCS_REFCNT(r[0]), 2);
  gcs_root_set(&r[0], r[0]);
  cr_assert_eq(GCS_REFCNT(r[0]), 2);
  gcs_frame_pop(r);
  gcs_teardown_t td = ts_close();
  cr_assert_eq(td.leaked_objects, 1);
  cr_assert_eq(td.leaked_bytes, BLOCK(1, 0));
}

/* The length of chain that proves the cascade does not recurse. A recursive free nests at
** least one call per node, and every call takes at least 16 bytes of stack (its return address;
** the x86-64 and AArch64 ABIs keep frames 16-byte aligned), so stack_limit / 16 nodes overflow
** any recursive free, and 4 times that is the margin: 2 Mi nodes under the default 8 MiB limit,
** where a recursive gcs_rc_release_ (freeing a node's slots, then the node) overflows at 262 Ki
** nodes in the release and stress builds (32 bytes a level) and 175 Ki in debug (48 bytes).
** The release build drops 10 million nodes (about 3 s). The builds with the live-object
** registry (GCS_DEBUG >= 2: a hash-set insert and remove per object, under ASan in debug; about
** 1.6 us a node there, 16 s of CPU for 10 million) drop the stack-derived length, at most
** 10 million (10 million also when the stack is unlimited). */
static uint32_t chain_length(void) {
  const uint64_t most = 10 * 1000 * 1000;
#if GCS_DEBUG >= 2
  struct rlimit rl;
  if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    uint64_t n = (uint64_t)rl.rlim_cur / 16 * 4;
    return (uint32_t)(n < most ? n : most);
  }
#endif
  return (uint32_t)most;
}

/* Dropping a long list (chain_length) must not overflow the C stack: the cascade is a loop. */
Test(rc, ten_million_node_chain_frees_without_recursion, .timeout = 120) {
  const uint32_t n = chain_length();
  ts_open("rc", NULL);
  gcs_obj **r = gcs_frame_push(2);
  gcs_root_set(&r[0], gcs_new(2, 0));
  gcs_root_set(&r[1], r[0]);
  for (uint32_t i = 1; i < n; i++) {
    gcs_obj *next = gcs_new(2, 0);
    gcs_store(r[1], 0, next);
    gcs_store(next, 1, gcs_new_atom(0)); /* an atom per node: mixed cascade */
    gcs_root_set(&r[1], next);
  }
  gcs_root_set(&r[1], NULL);
  cr_assert_eq(gcs_heap.live_objects, 2ull * n - 1);
  uint64_t cascades = gcs_heap.stats.rc_cascades;
  gcs_root_set(&r[0], NULL);
  cr_assert_eq(gcs_heap.live_objects, 0);
  cr_assert_eq(gcs_heap.stats.rc_cascades, cascades + 1);
  size_t npauses;
  const gcs_pause_t *log = gcs_pause_log(&npauses);
  cr_assert_geq(npauses, 1);
  cr_assert_eq(log[npauses - 1].kind, GCS_PAUSE_CASCADE);
  cr_assert_eq(log[npauses - 1].freed, 2ull * n - 1);
  gcs_frame_pop(r);
  ts_close();
}

/* A wide tree: the pending list grows to a whole level at once. */
Test(rc, wide_tree_cascade) {
  ts_open("rc", NULL);
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(1000, 0));
  for (uint32_t i = 0; i < 1000; i++) {
    gcs_store(r[0], i, gcs_new(100, 16));
    for (uint32_t k = 0; k < 100; k++) gcs_store(r[0]->slots[i], k, gcs_new_atom(k));
  }
  cr_assert_eq(gcs_heap.live_objects, 1 + 1000 + 1000 * 100);
  cr_assert_eq(gcs_heap_verify(), 0);
  gcs_frame_pop(r);
  cr_assert_eq(gcs_heap.live_objects, 0);
  cr_assert_eq(gcs_heap.live_bytes, 0);
  ts_close();
}

/* Leaks: rings with tails and atoms hanging off them (all leaked: reachable from a cycle),
** beside acyclic garbage (all freed). The report must be exact in objects and bytes. */
Test(rc, cycle_leak_report_is_exact) {
  uint64_t seed = 42, want_objects = 0, want_bytes = 0;
  ts_open("rc", NULL);
  gcs_obj **r = gcs_frame_push(3);
  for (int ring = 0; ring < 50; ring++) {
    uint32_t len = 1 + (uint32_t)ts_below(&seed, 20);
    gcs_root_set(&r[0], gcs_new(3, 0));                 /* the ring's first node */
    gcs_root_set(&r[1], r[0]);
    want_objects++, want_bytes += BLOCK(3, 0);
    for (uint32_t i = 1; i < len; i++) {
      gcs_obj *n = gcs_new(3, 0);
      gcs_store(r[1], 0, n);
      gcs_root_set(&r[1], n);
      want_objects++, want_bytes += BLOCK(3, 0);
    }
    gcs_store(r[1], 0, r[0]);                           /* close the ring */
    uint32_t payload = (uint32_t)ts_below(&seed, 100);
    gcs_store(r[1], 1, gcs_new_atom(payload));          /* an atom held by the ring */
    want_objects++, want_bytes += BLOCK(0, payload);
    gcs_root_set(&r[2], gcs_new(1, 7));                 /* a tail: the ring holds it */
    gcs_store(r[0], 2, r[2]);
    want_objects++, want_bytes += BLOCK(1, 7);
    gcs_store(r[2], 0, gcs_new(0, 0));
    want_objects++, want_bytes += BLOCK(0, 0);
    gcs_root_set(&r[2], gcs_new(3, 0));                 /* acyclic garbage: freed */
    gcs_store(r[2], 0, gcs_new_atom(5));
  }
  gcs_frame_pop(r);
  gcs_teardown_t td = ts_close();
  cr_assert_eq(td.leaked_objects, want_objects, "leaked %llu objects, want %llu",
               (unsigned long long)td.leaked_objects, (unsigned long long)want_objects);
  cr_assert_eq(td.leaked_bytes, want_bytes);
}

Test(rc, explicit_collect_finds_nothing) {
  ts_open("rc", NULL);
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(1, 0));
  gcs_store(r[0], 0, r[0]);
  gcs_frame_pop(r);
  cr_assert_eq(gcs_heap_collect(-1), 0);
  cr_assert_eq(gcs_heap.live_objects, 1);
  ts_close();
}

#if GCS_DEBUG >= 2
Test(rc, verify_catches_a_wrong_count) {
  ts_open("rc", NULL);
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(1, 0));
  gcs_store(r[0], 0, gcs_new_atom(1));
  cr_assert_eq(gcs_heap_verify(), 0);
  GCS_REFCNT(r[0]->slots[0])++;
  cr_assert_neq(gcs_heap_verify(), 0);
  GCS_REFCNT(r[0]->slots[0])--;
  gcs_frame_pop(r);
  ts_close();
}
#endif

Test(rc, system_allocator_runs_the_same) {
  const char *knobs[] = {"allocator=system", NULL};
  ts_open("rc", knobs);
  gcs_obj **r = gcs_frame_push(1);
  for (int i = 0; i < 1000; i++) {
    gcs_obj *o = gcs_new(1, 0);
    gcs_store(o, 0, r[0]);
    gcs_root_set(&r[0], o);
  }
  cr_assert_eq(gcs_heap.live_objects, 1000);
  gcs_frame_pop(r);
  cr_assert_eq(gcs_heap.live_objects, 0);
  ts_close();
}
