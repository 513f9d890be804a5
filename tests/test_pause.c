/*
** test_pause.c — core/pause.c: with pause_log=0 no collector and no RC cascade reads a clock;
** with it on, every pause carries the thread's CPU time (<= its wall time, > 0 when long);
** and gcs_pause_descheduled's margin, on made-up pauses and on a pause that sleeps.
*/
#include "tests/support.h"

#include <criterion/criterion.h>
#include <time.h>

/* Work that makes every collector pause: a chain of 1,000 containers each holding an atom,
** dropped at once (an RC cascade above GCS_CASCADE_CUTOFF), garbage cycles and explicit
** collections of every generation. */
static void make_pauses(void) {
  gcs_obj **r = gcs_frame_push(3);
  for (int round = 0; round < (GCS_STRESS ? 2 : 20); round++) {
    gcs_root_set(&r[0], gcs_new(2, 0));
    gcs_root_set(&r[1], r[0]);
    for (int i = 0; i < 1000; i++) {
      gcs_root_set(&r[2], gcs_new(2, 0)); /* rooted: the next allocation may collect */
      gcs_store(r[2], 1, gcs_new_atom(16));
      gcs_store(r[1], 0, r[2]);
      gcs_root_set(&r[1], r[2]);
    }
    gcs_root_set(&r[2], NULL);
    if (round % 2) gcs_store(r[1], 0, r[0]); /* a cycle: only a tracing collection frees it */
    gcs_root_set(&r[1], NULL);
    gcs_root_set(&r[0], NULL);
    gcs_heap_collect(round % 3);
  }
  gcs_heap_collect(-1);
  gcs_frame_pop(r);
}

/* What cpu_ns may exceed the wall time by: the CPU interval encloses the wall one by a
** CPU-clock read, a system call of a few µs that a loaded VM stretches (84 µs seen once in
** 32,000 pauses at load 12 on 2 cores). */
#define SLACK_NS 1000000u

static const char *const collectors[] = {"rc", "cpython", "marksweep", "incremental"};

Test(pause, pause_log_off_reads_no_clock) {
  for (size_t c = 0; c < sizeof collectors / sizeof *collectors; c++) {
    ts_open(collectors[c], (const char *const[]){"pause_log=0", NULL});
    make_pauses();
    size_t n;
    gcs_pause_log(&n);
    cr_assert_eq(n, 0, "%s logged %zu pauses with pause_log=0", collectors[c], n);
    cr_assert_eq(gcs_pause_clock_reads(), 0, "%s read a clock %llu times with pause_log=0",
                 collectors[c], (unsigned long long)gcs_pause_clock_reads());
    ts_close();
  }
}

Test(pause, pause_log_on_reads_four_clocks_a_pause) {
  for (size_t c = 0; c < sizeof collectors / sizeof *collectors; c++) {
    ts_open(collectors[c], NULL);
    make_pauses();
    size_t n;
    const gcs_pause_t *log = gcs_pause_log(&n);
    cr_assert_gt(n, 0, "%s logged no pause", collectors[c]);
    cr_assert_eq(gcs_pause_clock_reads(), 4 * n, "%s: %llu clock reads for %zu pauses", collectors[c],
                 (unsigned long long)gcs_pause_clock_reads(), n);
    for (size_t i = 0; i < n; i++) {
      uint64_t wall = log[i].end_ns - log[i].start_ns;
      cr_assert_leq(log[i].cpu_ns, wall + SLACK_NS, "%s pause %zu: cpu %llu ns > wall %llu ns",
                    collectors[c], i, (unsigned long long)log[i].cpu_ns, (unsigned long long)wall);
    }
    ts_close();
  }
}

/* pause_cpu=off: the wall clock only, two reads a pause, no CPU time, nothing descheduled. */
Test(pause, pause_cpu_off_reads_the_wall_clock_only) {
  for (size_t c = 0; c < sizeof collectors / sizeof *collectors; c++) {
    ts_open(collectors[c], (const char *const[]){"pause_cpu=off", NULL});
    make_pauses();
    size_t n;
    const gcs_pause_t *log = gcs_pause_log(&n);
    cr_assert_gt(n, 0, "%s logged no pause", collectors[c]);
    cr_assert_eq(gcs_pause_clock_reads(), 2 * n, "%s: %llu clock reads for %zu pauses", collectors[c],
                 (unsigned long long)gcs_pause_clock_reads(), n);
    for (size_t i = 0; i < n; i++) {
      cr_assert_eq(log[i].cpu_ns, 0, "%s pause %zu has cpu_ns with pause_cpu=off", collectors[c], i);
      cr_assert(!gcs_pause_descheduled(&log[i]));
    }
    ts_close();
  }
}

/* A long pause (the collection of a 2^17-node tree, and a pause spinning for 2 ms of CPU)
** carries its CPU time: more than 0, at most its wall time. */
Test(pause, a_long_pause_carries_its_cpu_time) {
  ts_open("marksweep", NULL);
  gcs_obj **r = gcs_frame_push(1);
  int nodes = GCS_STRESS ? 1 << 10 : 1 << 17;
  gcs_root_set(&r[0], gcs_new(2, 0));
  for (int i = 1; i < nodes; i++) { /* a random binary tree: each node under a random leaf */
    gcs_obj *o = r[0];
    uint64_t s = (uint64_t)i;
    for (;;) {
      uint32_t k = (uint32_t)(gcs_rng_next(&s) & 1);
      if (o->slots[k] == NULL) {
        gcs_store(o, k, gcs_new(2, 0));
        break;
      }
      o = o->slots[k];
    }
  }
  size_t n;
  gcs_heap_collect(-1);
  const gcs_pause_t *log = gcs_pause_log(&n);
  const gcs_pause_t *p = &log[n - 1];
  cr_assert_eq(p->visited, (uint64_t)nodes);
  cr_assert_gt(p->cpu_ns, 0, "a collection of %d objects took no CPU time", nodes);
  cr_assert_leq(p->cpu_ns, p->end_ns - p->start_ns + SLACK_NS);

  gcs_pause_token_t t = gcs_pause_begin();
  uint64_t c0 = gcs_thread_cpu_ns();
  while (gcs_thread_cpu_ns() - c0 < 2000000) {
  }
  gcs_pause_end(t, GCS_PAUSE_FULL, -1, 0, 0);
  log = gcs_pause_log(&n);
  p = &log[n - 1];
  cr_assert_geq(p->cpu_ns, 2000000);
  cr_assert_leq(p->cpu_ns, p->end_ns - p->start_ns + SLACK_NS);
  gcs_frame_pop(r);
  ts_close();
}

static gcs_pause_t pause_of(uint64_t wall_ns, uint64_t cpu_ns) {
  return (gcs_pause_t){1000, 1000 + wall_ns, GCS_PAUSE_STEP, -1, 0, 0, 0, cpu_ns};
}

Test(pause, descheduled_means_off_cpu_beyond_the_margin) {
  gcs_pause_t p;
  p = pause_of(1000000, 1000000);
  cr_assert(!gcs_pause_descheduled(&p));
  p = pause_of(1000000, 500000);
  cr_assert(gcs_pause_descheduled(&p), "half of 1 ms off the CPU");
  p = pause_of(100000, 100000 - GCS_DESCHED_MIN_NS);
  cr_assert(!gcs_pause_descheduled(&p), "at the floor exactly");
  p = pause_of(100000, 100000 - GCS_DESCHED_MIN_NS - 1);
  cr_assert(gcs_pause_descheduled(&p), "just past the floor");
  p = pause_of(10000000, 10000000 - 10000000 / GCS_DESCHED_FRACTION);
  cr_assert(!gcs_pause_descheduled(&p), "a long pause may lose its fraction");
  p = pause_of(10000000, 10000000 - 10000000 / GCS_DESCHED_FRACTION - 1);
  cr_assert(gcs_pause_descheduled(&p));
  p = pause_of(5000, 0);
  cr_assert(!gcs_pause_descheduled(&p), "a 5 µs pause cannot lose more than the floor");
}

/* A pause that sleeps 3 ms spends it off the CPU: it is flagged. */
Test(pause, a_pause_that_sleeps_is_descheduled) {
  ts_open("none", NULL);
  gcs_pause_token_t t = gcs_pause_begin();
  nanosleep(&(struct timespec){0, 3000000}, NULL);
  gcs_pause_end(t, GCS_PAUSE_FULL, -1, 0, 0);
  size_t n;
  const gcs_pause_t *log = gcs_pause_log(&n);
  cr_assert_eq(n, 1);
  cr_assert_geq(log[0].end_ns - log[0].start_ns, 3000000);
  cr_assert(gcs_pause_descheduled(&log[0]), "slept 3 ms, cpu %llu ns",
            (unsigned long long)log[0].cpu_ns);
  ts_close();
}
