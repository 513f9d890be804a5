/*
** test_cpython_inc.c — `cpython-inc`, CPython 3.14's incremental collector: a hand-worked
** sequence of explicit collections under both variants (what each increment marks,
** collects and reports; work_to_do's double subtraction after MARK; 3.14.1's early return;
** the flip of the old spaces seen through gc.get_count()), scheduling, and freeze.
**
** The sequence (threshold0 0: no automatic increment; threshold1 2: scale factor 2;
** global_frames 0: the test's frame is a thread frame), K held throughout:
**   S1  K; a<->b made and dropped            young [K a b], heap_size 3
**   S2  collect 2: a, b found (2); completed_scavenge flips visited_space 0 -> 1,
**       work_to_do 0, phase MARK
**   S3  collect 0 on an empty young: old[1].count 1 -> get_count (0, 1, 0)
**   S4  c<->d made and dropped; e rooted     young [c d e], young.count 3, heap_size 4
**   S5  collect 1: work_to_do 0 + 3 + min(4/10/2, 2*3 or 3*3/2) = 3; MARK: the frame holds
**       e and K (in old[0], not visited now): 2 marked, work_to_do 3 - 2 - 2 = -1
**   S6  collect 1: work_to_do -1 + 0.
**       3.14.1: < 0, returns at once.
**       3.14.0: COLLECT: the frame was visited; young [c d] is the increment, found (2);
**       old[0] is empty: completed_scavenge flips visited_space 1 -> 0 -> get_count (0, 0, 1)
**   S7  f, g rooted; collect 1: 3.14.1 now -1 + 2 = 1: COLLECT: mark_stacks marks g, f;
**       young [c d] found (2); flip -> get_count (0, 0, 1). (3.14.0: a MARK increment.)
**
** The stress build collects at every allocation, so these exact-count tests skip there.
*/
#include "tests/support.h"

#include <criterion/criterion.h>
#include <string.h>

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

static void assert_count(int64_t c0, int64_t c1, int64_t c2, const char *when) {
  gcs_gc_report_t r = report();
  cr_assert(r.count[0] == c0 && r.count[1] == c1 && r.count[2] == c2,
            "%s: get_count (%lld, %lld, %lld), expected (%lld, %lld, %lld)", when,
            (long long)r.count[0], (long long)r.count[1], (long long)r.count[2], (long long)c0,
            (long long)c1, (long long)c2);
}

/* A 2-cycle held by nothing. */
static void make_garbage_cycle(gcs_obj **r1, gcs_obj **r2) {
  gcs_root_set(r1, gcs_new(1, 0));
  gcs_root_set(r2, gcs_new(1, 0));
  gcs_store(*r1, 0, *r2);
  gcs_store(*r2, 0, *r1);
  gcs_root_set(r1, NULL);
  gcs_root_set(r2, NULL);
}

static void run_sequence(const char *variant) {
  bool v0 = strcmp(variant, "variant=3.14.0") == 0;
  ts_open("cpython-inc", (const char *[]){variant, "threshold0=0", "threshold1=2", "global_frames=0", NULL});
  gcs_obj **r = gcs_frame_push(8);
  gcs_root_set(&r[0], gcs_new(0, 0));                          /* S1: K */
  make_garbage_cycle(&r[1], &r[2]);
  cr_assert_eq(report().count[0], 3);
  cr_assert_eq(gcs_heap_collect(2), 2, "S2: the full collection finds a and b");
  cr_assert_eq(last_pause()->kind, GCS_PAUSE_FULL);
  assert_count(0, 0, 0, "S2");
  gcs_heap_collect(0);                                          /* S3 */
  assert_count(0, 1, 0, "S3: old[visited_space 1].count");
  make_garbage_cycle(&r[1], &r[2]);                             /* S4 */
  gcs_root_set(&r[3], gcs_new(0, 0));                           /* e */
  assert_count(3, 1, 0, "S4");
  cr_assert_eq(gcs_heap_collect(1), 0, "S5: MARK collects nothing");
  cr_assert_eq(last_pause()->kind, GCS_PAUSE_STEP);
  cr_assert_eq(last_pause()->visited, 2, "S5: MARK marks e and K");
  assert_count(0, 1, 0, "S5: assess_work_to_do zeroed young.count");
  uint64_t found = gcs_heap_collect(1);                         /* S6 */
  if (v0) {
    cr_assert_eq(found, 2, "S6 (3.14.0): the increment is young [c d], both garbage");
    cr_assert_eq(last_pause()->freed, 2);
    assert_count(0, 0, 1, "S6 (3.14.0): the spaces flipped");
    cr_assert_eq(report().gen[1].collections, 1, "3.14.0 counts COLLECT increments only");
  } else {
    cr_assert_eq(found, 0, "S6 (3.14.1): work_to_do -1 < 0, the increment returns at once");
    cr_assert_eq(last_pause()->visited, 0);
    assert_count(0, 1, 0, "S6 (3.14.1): nothing moved");
    cr_assert_eq(report().gen[1].collections, 2, "3.14.1 counts every increment");
  }
  gcs_root_set(&r[4], gcs_new(0, 0));                           /* S7: f, g */
  gcs_root_set(&r[5], gcs_new(0, 0));
  found = gcs_heap_collect(1);
  if (v0) {
    cr_assert_eq(found, 0, "S7 (3.14.0): a MARK increment");
    cr_assert_eq(last_pause()->visited, 4, "S7 (3.14.0): K, e, f, g marked");
  } else {
    cr_assert_eq(found, 2, "S7 (3.14.1): c and d found at last");
    assert_count(0, 0, 1, "S7 (3.14.1): the spaces flipped");
    cr_assert_eq(report().gen[1].collections, 3);
    cr_assert_eq(report().gen[1].collected, 2);
  }
  gcs_frame_pop(r);
  cr_assert_eq(ts_close().leaked_objects, 0);
}

Test(cpython_inc, hand_worked_sequence_3_14_0) {
  SKIP_IN_STRESS();
  run_sequence("variant=3.14.0");
}

Test(cpython_inc, hand_worked_sequence_3_14_1) {
  SKIP_IN_STRESS();
  run_sequence("variant=3.14.1");
}

/* young.count over threshold0 schedules an increment, run as the allocating call returns
** with the new object held: the first is a MARK increment, which marks it (and the others,
** all in the test's frame). */
Test(cpython_inc, the_threshold_schedules_an_increment) {
  SKIP_IN_STRESS();
  ts_open("cpython-inc", (const char *[]){"threshold0=5", "global_frames=0", NULL});
  gcs_obj **r = gcs_frame_push(8);
  for (int i = 0; i < 5; i++) gcs_root_set(&r[i], gcs_new(0, 0));
  size_t n0;
  gcs_pause_log(&n0);
  cr_assert_eq(n0, 0, "count 5 is not over 5");
  gcs_obj *o = gcs_new(0, 0);   /* the 6th: scheduled and run, o held */
  size_t n1;
  gcs_pause_log(&n1);
  cr_assert_eq(n1, 1);
  cr_assert_eq(last_pause()->kind, GCS_PAUSE_STEP);
  cr_assert_eq(last_pause()->visited, 6, "MARK: five roots and the held object");
  cr_assert_eq(GCS_REFCNT(o), 0, "floating again");
  gcs_root_set(&r[5], o);
  cr_assert_eq(report().count[0], 0, "assess_work_to_do took young.count");
  gcs_frame_pop(r);
  cr_assert_eq(ts_close().leaked_objects, 0);
}

/* gc.freeze() after the 2nd container: nothing frozen is ever collected, not even a cycle. */
Test(cpython_inc, frozen_objects_are_never_collected) {
  SKIP_IN_STRESS();
  ts_open("cpython-inc", (const char *[]){"threshold0=0", "freeze_after_allocs=2", NULL});
  gcs_obj **r = gcs_frame_push(2);
  make_garbage_cycle(&r[0], &r[1]);   /* frozen with the second allocation */
  cr_assert_eq(gcs_heap_collect(2), 0);
  cr_assert_eq(gcs_heap_collect(1), 0);
  gcs_frame_pop(r);
  ts_close();
}
