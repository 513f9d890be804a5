/*
** test_cell.c — the cell's figure table (measure/cell.c): every figure declared once, with a
** unique path; the families complete (each pause kind, each MMU window, each GCS_STATS and
** arena counter); the counters the matrix reads are there.
*/
#include "tests/support.h"
#include "measure/measure.h"

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

Test(cell, paths_unique_and_documented) {
  size_t n;
  const gcs_figure_t *t = gcs_cell_figures(&n);
  cr_assert_gt(n, 40);
  for (size_t i = 0; i < n; i++) {
    cr_assert(t[i].doc && *t[i].doc, "%s has no doc", t[i].path);
    cr_assert(t[i].unit != NULL, "%s has no unit", t[i].path);
    cr_assert((t[i].column == NULL) == (t[i].scale == 0), "%s: a column needs a scale", t[i].path);
    cr_assert_eq(gcs_cell_figure_find(t[i].path), &t[i], "%s is not unique", t[i].path);
    for (size_t k = 0; k < i; k++)
      if (t[i].counter && t[k].counter) cr_assert_str_neq(t[i].counter, t[k].counter);
  }
}

Test(cell, families_complete) {
  char path[64];
  for (int k = 0; k < GCS_PAUSE_NKINDS; k++) {
    snprintf(path, sizeof path, "pauses.by_kind.%s", gcs_pause_kind_names[k]);
    cr_assert_not_null(gcs_cell_figure_find(path), "%s", path);
  }
#define CHECK_STAT(name, doc) cr_assert_not_null(gcs_cell_figure_find("stats." #name), #name);
  GCS_STATS(CHECK_STAT)
#undef CHECK_STAT
#define CHECK_ARENA(name, doc) cr_assert_not_null(gcs_cell_figure_find("memory.arena." #name), #name);
  GCS_ARENA_STATS(CHECK_ARENA)
#undef CHECK_ARENA
  gcs_cell_result_t r = {0};
  for (int i = 0; i < GCS_MMU_NWINDOWS; i++) {
    snprintf(path, sizeof path, "mmu[window_ns=%llu].mmu", (unsigned long long)gcs_mmu_windows_ns[i]);
    const gcs_figure_t *f = gcs_cell_figure_find(path);
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(f->window_ns, gcs_mmu_windows_ns[i]);
    r.mmu[i] = 0.5 + i;
    cr_assert_eq(gcs_cell_figure_value(f, &r), 0.5 + i);
    cr_assert_eq(gcs_cell_mmu(&r, gcs_mmu_windows_ns[i]), 0.5 + i);
  }
}

Test(cell, values_by_type) {
  gcs_cell_result_t r = {0};
  r.wall_ns = 123;
  r.returned_fraction = -1;
  r.mapped_peak = 7;
  cr_assert_eq(gcs_cell_figure_value(gcs_cell_figure_find("time.wall_ns"), &r), 123);
  cr_assert(isnan(gcs_cell_figure_value(gcs_cell_figure_find("memory.returned_fraction"), &r)));
  cr_assert(isnan(gcs_cell_figure_value(gcs_cell_figure_find("memory.mapped_peak_bytes"), &r)));
  r.have_arena = true;
  cr_assert_eq(gcs_cell_figure_value(gcs_cell_figure_find("memory.mapped_peak_bytes"), &r), 7);
  const gcs_figure_t *w = gcs_cell_figure_find("time.wall_ns");
  cr_assert_str_eq(w->counter, "wall_ns");
  cr_assert_str_eq(w->column, "wall_s");
}

/* gcs_heap_collect marks its pauses as the workload's; the collector's own are the collector's. */
Test(cell, pause_origin) {
  static const char *const knobs[] = {"threshold0=10", NULL};
  ts_open("cpython", knobs);
  gcs_pause_reset(true, true);
  gcs_obj **r = gcs_frame_push(64);
  for (int i = 0; i < 64; i++) gcs_root_set(&r[i], gcs_new(1, 0)); /* over threshold0: collects */
  size_t n0;
  gcs_pause_log(&n0);
  cr_assert_gt(n0, 0, "no automatic collection");
  gcs_heap_collect(-1);
  size_t n;
  const gcs_pause_t *log = gcs_pause_log(&n);
  cr_assert_gt(n, n0);
  for (size_t i = 0; i < n0; i++) cr_assert_eq(log[i].origin, 0, "pause %zu", i);
  for (size_t i = n0; i < n; i++) cr_assert_eq(log[i].origin, 1, "pause %zu", i);
  gcs_frame_pop(r);
  ts_close();
}
