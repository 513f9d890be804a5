/*
** cell.c — the figures of one cell, declared once (GCS_CELL_FIGURES and the families in
** measure.h), and what derives from that declaration: the figure table of
** `gcscope list --json`.
**
** Invariants: the table lists every figure of the cell's JSON in the JSON's order; a figure's
** path is its section and key joined by a dot, except the MMU's, which name their window
** ("mmu[window_ns=N].mmu"); paths are unique.
*/
#include "measure/measure.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define GCS_MMU_WINDOW_NS(NS, COUNTER) NS,
const uint64_t gcs_mmu_windows_ns[GCS_MMU_NWINDOWS] = {GCS_MMU_WINDOWS(GCS_MMU_WINDOW_NS)};
#undef GCS_MMU_WINDOW_NS

const char *const gcs_cell_allocators[] = {"arena", "system", "jemalloc", NULL};

#define MAX_FIGURES 128
static gcs_figure_t table[MAX_FIGURES];  /* built by build() on first use */
static size_t ntable;                    /* entries in table */

static gcs_figure_t *add(const char *section, const char *key, gcs_figure_type type, size_t offset,
                         const char *unit, const char *doc) {
  if (ntable == MAX_FIGURES) gcs_fatal("cell.c: more than %d figures", MAX_FIGURES);
  gcs_figure_t *f = &table[ntable++];
  *f = (gcs_figure_t){.section = section, .key = key, .type = type, .offset = offset, .unit = unit,
                      .doc = doc};
  snprintf(f->path, sizeof f->path, "%s%s%s", section, *section ? "." : "", key);
  return f;
}

/* A counter's unit from its name: the core's counters do not declare one. */
static const char *unit_of(const char *name) {
  return strstr(name, "bytes") ? "bytes" : strncmp(name, "objects", 7) == 0 ? "objects" : "count";
}

/* The families that follow section `s`'s last hand-declared row. */
static void families_after(const char *s) {
  if (strcmp(s, "pauses") == 0) {
    for (int k = 0; k < GCS_PAUSE_NKINDS; k++)
      add("pauses.by_kind", gcs_pause_kind_names[k], GCS_FIG_U64,
          offsetof(gcs_cell_result_t, pauses.by_kind) + (size_t)k * sizeof(uint64_t), "pauses",
          "top-level pauses of this kind");
    static const char *const counters[] = {
#define GCS_MMU_COUNTER(NS, COUNTER) COUNTER,
      GCS_MMU_WINDOWS(GCS_MMU_COUNTER)
#undef GCS_MMU_COUNTER
    };
    for (int i = 0; i < GCS_MMU_NWINDOWS; i++) {
      gcs_figure_t *f = add("mmu", "mmu", GCS_FIG_DOUBLE,
                            offsetof(gcs_cell_result_t, mmu) + (size_t)i * sizeof(double), "fraction",
                            "exact minimum mutator utilization over the run for this window");
      f->window_ns = gcs_mmu_windows_ns[i];
      f->counter = f->column = counters[i];
      f->scale = 1;
      snprintf(f->path, sizeof f->path, "mmu[window_ns=%llu].mmu", (unsigned long long)f->window_ns);
    }
  } else if (strcmp(s, "memory") == 0) {
#define GCS_ARENA_FIGURE(name, doc)                                                                   \
  add("memory.arena", #name, GCS_FIG_ARENA_ONLY, offsetof(gcs_cell_result_t, arena.name), unit_of(#name), \
      doc);
    GCS_ARENA_STATS(GCS_ARENA_FIGURE)
#undef GCS_ARENA_FIGURE
    add("memory", "checkpoints", GCS_FIG_SERIES, 0, "list",
        "one entry per workload mark, then \"end\" and \"after_release\": label, t_ns, rss_bytes, "
        "anonymous_bytes, lazyfree_bytes (smaps_rollup), live_bytes, live_objects");
  } else if (strcmp(s, "objects") == 0) {
#define GCS_STATS_FIGURE(name, doc) \
  add("stats", #name, GCS_FIG_U64, offsetof(gcs_cell_result_t, stats.name), unit_of(#name), doc);
    GCS_STATS(GCS_STATS_FIGURE)
#undef GCS_STATS_FIGURE
    add("", "figures", GCS_FIG_SERIES, 0, "",
        "the workload's own figures, by name (also lines of the counters TSV)");
  }
}

static void build(void) {
  const char *section = NULL;
#define GCS_CELL_FIGURE(SEC, KEY, TYPE, FIELD, UNIT, COUNTER, COLUMN, SCALE, DOC)     \
  if (section && strcmp(section, SEC) != 0) families_after(section);                 \
  section = SEC;                                                                     \
  {                                                                                  \
    gcs_figure_t *f = add(SEC, KEY, TYPE, offsetof(gcs_cell_result_t, FIELD), UNIT, DOC); \
    f->counter = COUNTER;                                                            \
    f->column = COLUMN;                                                              \
    f->scale = SCALE;                                                                \
  }
  GCS_CELL_FIGURES(GCS_CELL_FIGURE)
#undef GCS_CELL_FIGURE
  families_after(section);
}

const gcs_figure_t *gcs_cell_figures(size_t *n) {
  if (ntable == 0) build();
  *n = ntable;
  return table;
}

const gcs_figure_t *gcs_cell_figure_find(const char *path) {
  size_t n;
  const gcs_figure_t *t = gcs_cell_figures(&n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(t[i].path, path) == 0) return &t[i];
  return NULL;
}

double gcs_cell_figure_value(const gcs_figure_t *f, const gcs_cell_result_t *r) {
  const char *p = (const char *)r + f->offset;
  uint64_t u;
  double d;
  switch (f->type) {
  case GCS_FIG_U64:
    memcpy(&u, p, sizeof u);
    return (double)u;
  case GCS_FIG_ARENA:
  case GCS_FIG_ARENA_ONLY:
    memcpy(&u, p, sizeof u);
    return r->have_arena ? (double)u : NAN;
  case GCS_FIG_DOUBLE:
    memcpy(&d, p, sizeof d);
    return d;
  case GCS_FIG_FRACTION:
    memcpy(&d, p, sizeof d);
    return d >= 0 ? d : NAN;
  case GCS_FIG_SERIES:
    break;
  }
  return NAN;
}

void gcs_cell_figures_json(gcs_json_t *j, const char *key) {
  size_t n;
  const gcs_figure_t *t = gcs_cell_figures(&n);
  gcs_json_array(j, key);
  for (size_t i = 0; i < n; i++) {
    gcs_json_object(j, NULL);
    gcs_json_str(j, "name", t[i].path);
    gcs_json_str(j, "unit", t[i].unit);
    gcs_json_str(j, "doc", t[i].doc);
    if (t[i].column) gcs_json_str(j, "column", t[i].column);
    else gcs_json_double(j, "column", NAN);
    if (t[i].column) gcs_json_double(j, "scale", t[i].scale);
    else gcs_json_double(j, "scale", NAN);
    if (t[i].counter) gcs_json_str(j, "counter", t[i].counter);
    else gcs_json_double(j, "counter", NAN);
    if (t[i].window_ns) gcs_json_uint(j, "window_ns", t[i].window_ns);
    gcs_json_end(j);
  }
  gcs_json_end(j);
}
