/*
** test_pausestats.c — percentiles and exact MMU, against hand-worked cases and brute force.
*/
#include "tests/support.h"
#include "measure/measure.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

static gcs_pause_t P(uint64_t s, uint64_t e, gcs_pause_kind k) {
  return (gcs_pause_t){s, e, (uint32_t)k, -1, 0, 0, 0, e - s};
}

Test(pausestats, percentiles_nearest_rank) {
  gcs_pause_t log[100];
  for (int i = 0; i < 100; i++) log[i] = P(1000u * (uint64_t)i, 1000u * (uint64_t)i + (uint64_t)i + 1, GCS_PAUSE_COLLECT);
  gcs_interval_t iv[100];
  gcs_pause_summary_t s;
  cr_assert_eq(gcs_pauses_merge(log, 100, iv, &s), 100);
  cr_assert_eq(s.count, 100);
  cr_assert_eq(s.p50, 50);
  cr_assert_eq(s.p90, 90);
  cr_assert_eq(s.p99, 99);
  cr_assert_eq(s.p999, 100);
  cr_assert_eq(s.max, 100);
  cr_assert_eq(s.total, 5050);
  cr_assert_eq(s.by_kind[GCS_PAUSE_COLLECT], 100);
}

Test(pausestats, nested_and_overlapping_pauses_fuse) {
  gcs_pause_t log[] = {
    P(100, 200, GCS_PAUSE_CASCADE),  /* inside the collection below */
    P(50, 300, GCS_PAUSE_FULL),
    P(250, 400, GCS_PAUSE_STEP),     /* overlaps its end */
    P(1000, 1010, GCS_PAUSE_STEP),
  };
  gcs_interval_t iv[4];
  gcs_pause_summary_t s;
  cr_assert_eq(gcs_pauses_merge(log, 4, iv, &s), 2);
  cr_assert_eq(iv[0].start, 50);
  cr_assert_eq(iv[0].end, 400);
  cr_assert_eq(s.count, 2);
  cr_assert_eq(s.max, 350);
  cr_assert_eq(s.total, 360);
  cr_assert_eq(s.by_kind[GCS_PAUSE_FULL], 1);
  cr_assert_eq(s.by_kind[GCS_PAUSE_CASCADE], 0);
}

Test(pausestats, mmu_hand_worked) {
  const uint64_t ms = 1000000;
  gcs_interval_t one[] = {{50 * ms, 52 * ms}};
  cr_assert_float_eq(gcs_mmu(one, 1, 0, 100 * ms, 10 * ms), 0.8, 1e-12);
  cr_assert_float_eq(gcs_mmu(one, 1, 0, 100 * ms, 1 * ms), 0.0, 1e-12);
  cr_assert_float_eq(gcs_mmu(one, 1, 0, 100 * ms, 100 * ms), 0.98, 1e-12);
  cr_assert_float_eq(gcs_mmu(one, 1, 0, 100 * ms, 1000 * ms), 0.98, 1e-12, "a window longer than the run is the run");
  gcs_interval_t two[] = {{10 * ms, 11 * ms}, {12 * ms, 13 * ms}};
  cr_assert_float_eq(gcs_mmu(two, 2, 0, 100 * ms, 3 * ms), 1.0 / 3, 1e-12);
  cr_assert_float_eq(gcs_mmu(NULL, 0, 0, 100 * ms, 3 * ms), 1.0, 1e-12);
}

/* With integer edges the paused time is piecewise linear between integer window starts:
** trying every integer start gives the exact minimum. */
static double mmu_brute(const gcs_interval_t *iv, size_t n, uint64_t t0, uint64_t t1, uint64_t w) {
  if (w > t1 - t0) w = t1 - t0;
  uint64_t worst = 0;
  for (uint64_t a = t0; a + w <= t1; a++) {
    uint64_t p = 0;
    for (size_t i = 0; i < n; i++) {
      uint64_t s = iv[i].start > a ? iv[i].start : a, e = iv[i].end < a + w ? iv[i].end : a + w;
      if (e > s) p += e - s;
    }
    if (p > worst) worst = p;
  }
  return 1.0 - (double)worst / (double)w;
}

Test(pausestats, mmu_equals_brute_force_on_random_logs) {
  uint64_t seed = 7;
  for (int round = 0; round < 200; round++) {
    gcs_pause_t log[40];
    size_t n = 1 + ts_below(&seed, 40);
    uint64_t t1 = 2000;
    for (size_t i = 0; i < n; i++) {
      uint64_t s = ts_below(&seed, t1 - 50);
      log[i] = P(s, s + 1 + ts_below(&seed, 40), GCS_PAUSE_STEP);
    }
    gcs_interval_t iv[40];
    gcs_pause_summary_t sum;
    size_t m = gcs_pauses_merge(log, n, iv, &sum);
    uint64_t w = 1 + ts_below(&seed, 300);
    double fast = gcs_mmu(iv, m, 0, t1, w), slow = mmu_brute(iv, m, 0, t1, w);
    cr_assert(fabs(fast - slow) < 1e-12, "round %d: window %llu: %f vs brute force %f", round,
              (unsigned long long)w, fast, slow);
  }
}

Test(pausestats, by_origin_counts_top_level_pauses) {
  gcs_pause_t log[3] = {P(0, 100, GCS_PAUSE_FULL), P(10, 20, GCS_PAUSE_CASCADE), P(200, 210, GCS_PAUSE_STEP)};
  log[0].origin = log[1].origin = 1; /* an explicit collect, and a cascade inside it */
  gcs_interval_t iv[3];
  gcs_pause_summary_t s;
  cr_assert_eq(gcs_pauses_merge(log, 3, iv, &s), 2);
  cr_assert_eq(s.by_origin[1], 1);
  cr_assert_eq(s.by_origin[0], 1);
  cr_assert_str_eq(gcs_pause_origin_names[1], "workload");
}

Test(pausestats, cpu_time_and_descheduled_count_top_level_pauses) {
  gcs_pause_t log[] = {
    P(50, 300, GCS_PAUSE_FULL),          /* on the CPU all along: cpu 250 */
    P(100, 200, GCS_PAUSE_CASCADE),      /* nested: its CPU is inside the collection's */
    P(1000000, 3000000, GCS_PAUSE_STEP), /* 2 ms wall, 0.5 ms on the CPU: descheduled */
  };
  log[2].cpu_ns = 500000;
  gcs_interval_t iv[3];
  gcs_pause_summary_t s;
  cr_assert_eq(gcs_pauses_merge(log, 3, iv, &s), 2);
  cr_assert_eq(s.count, 2);
  cr_assert_eq(s.cpu_total, 250 + 500000, "top-level pauses only: %lu", (unsigned long)s.cpu_total);
  cr_assert_eq(s.descheduled, 1);
}
