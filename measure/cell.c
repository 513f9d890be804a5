/*
** cell.c — one cell (collector × workload × options) in this process, measured; and its
** figures, declared once (GCS_CELL_FIGURES and the families in measure.h), with everything
** that derives from that declaration: the cell's JSON, its counters TSV (the matrix's Google
** Benchmark counters), the figure table of `gcscope list --json`.
**
** The phases of a cell, and what each measures:
**   run       t0..t1: the workload. wall and thread-CPU time, the pause log, RSS sampled
**             every sample_ms by a thread, checkpoints (statm + smaps_rollup) at the
**             workload's marks.
**   release   after the workload has dropped its data: one full collection, then (release=pool)
**             a wait of purge_delay_ms and a purge. RSS after it, and what the allocator says
**             it returned.
**   teardown  the heap closes: what is still live is the leak.
**
** Figures (every one with its doc in the table; `gcscope list --json` prints them):
**   time.gc_ns             union of the pause intervals in the run
**   pauses.*               top-level pauses (nested ones fused), nearest-rank percentiles
**   mmu[]                  exact minimum mutator utilization, windows 100 µs .. 1 s
**   memory.returned_*      what left RSS between two readings ("built", else the run's end;
**                          "freed", else after release), against what the allocator held for
**                          the blocks freed between them: one definition, docs/memory.md.
**
** Phases: the workload's marks split the run into phases (split_phases): "build" from the
** start to "built", "steady" from "built" to the next mark or the run's end (the state a
** collector is judged on), then one phase per later mark, named after it, and "release" when
** the release phase pauses. Each has the pause figures of the pauses that start in it and
** the exact MMU over it (every pause clipped to it); tests/check-phases.py recomputes the
** steady phase's from the files alone. Every pause also says who asked for it (origin): the
** collector on its own, or an explicit gcs_heap_collect.
**
** The pause log written to PREFIX.pauses.tsv holds every pause from the run's start, the
** release phase's collection included (after the run's end time); the JSON's pause figures
** and MMU count only the run (whole), or one phase.
**
** Invariants: the table lists every figure of the cell's JSON in the JSON's order; a figure's
** path is its section and key joined by a dot, except the MMU's, which name their window
** ("mmu[window_ns=N].mmu"); paths are unique. Output is rendered in memory; the four files are
** written as one set (gcs_cell_write_files, measure.h): each to a temporary, fsync'd, the TSVs
** renamed in, PREFIX.json last. A reader that finds PREFIX.json finds its run's TSVs beside it;
** a kill between the renames leaves no PREFIX.json, and temporaries (PREFIX.EXT.tmp.PID) that
** the next run of the same prefix removes once their process is gone.
*/
#define _GNU_SOURCE
#include "measure/measure.h"
#include "collectors/collectors.h"
#include "workloads/workloads.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <mimalloc.h> /* types only: the library is reached through dlsym */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GCS_MMU_WINDOW_NS(NS, COUNTER) NS,
const uint64_t gcs_mmu_windows_ns[GCS_MMU_NWINDOWS] = {GCS_MMU_WINDOWS(GCS_MMU_WINDOW_NS)};
#undef GCS_MMU_WINDOW_NS

const char *const gcs_cell_allocators[] = {"arena", "system", "jemalloc", "mimalloc", NULL};

#define MAX_FIGURES 128
static gcs_figure_t table[MAX_FIGURES];  /* built by build() on first use */
static size_t ntable;                    /* entries in table */

/* Formats into a fixed field that must hold the whole text: a figure's path, a mark's label,
** a workload figure's name. Cut short, two names could become one: a programming error. */
GCS_PRINTF(4, 5) static void put(char *dst, size_t size, const char *what, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(dst, size, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= size) gcs_fatal("cell.c: %s '%s...' does not fit its %zu bytes", what, dst, size);
}

static gcs_figure_t *add(const char *section, const char *key, gcs_figure_type type, size_t offset,
                         const char *unit, const char *doc) {
  if (ntable == MAX_FIGURES) gcs_fatal("cell.c: more than %d figures", MAX_FIGURES);
  gcs_figure_t *f = &table[ntable++];
  *f = (gcs_figure_t){.section = section, .key = key, .type = type, .offset = offset, .unit = unit,
                      .doc = doc};
  put(f->path, sizeof f->path, "figure path", "%s%s%s", section, *section ? "." : "", key);
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
    for (int k = 0; k < GCS_PAUSE_NORIGINS; k++)
      add("pauses.by_origin", gcs_pause_origin_names[k], GCS_FIG_U64,
          offsetof(gcs_cell_result_t, pauses.by_origin) + (size_t)k * sizeof(uint64_t), "pauses",
          k ? "top-level pauses inside an explicit collect (the workload's; in the release phase, "
              "the cell's)"
            : "top-level pauses the collector started on its own");
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
      f->scale = counters[i] ? 1 : 0;
      put(f->path, sizeof f->path, "figure path", "mmu[window_ns=%llu].mmu", (unsigned long long)f->window_ns);
    }
  } else if (strcmp(s, "memory") == 0) {
#define GCS_ARENA_FIGURE(name, doc)                                                                   \
  add("memory.arena", #name, GCS_FIG_ARENA_ONLY, offsetof(gcs_cell_result_t, arena.name), unit_of(#name), \
      doc);
    GCS_ARENA_STATS(GCS_ARENA_FIGURE)
#undef GCS_ARENA_FIGURE
    add("memory", "checkpoints", GCS_FIG_SERIES, 0, "list",
        "one entry per workload mark, then \"end\" and \"after_release\": label, t_ns, rss_bytes, "
        "anonymous_bytes, lazyfree_bytes (smaps_rollup), live_bytes, live_objects, held_bytes, "
        "instrumentation_bytes, arena_returned_bytes (arena only)");
  } else if (strcmp(s, "objects") == 0) {
#define GCS_STATS_FIGURE(name, doc) \
  add("stats", #name, GCS_FIG_U64, offsetof(gcs_cell_result_t, stats.name), unit_of(#name), doc);
    GCS_STATS(GCS_STATS_FIGURE)
#undef GCS_STATS_FIGURE
    add("", "phases", GCS_FIG_SERIES, 0, "list",
        "the run split at the workload's marks: name (build: start to \"built\"; steady: \"built\" "
        "to the next mark or the end; then one per later mark, named after it; release, when it "
        "pauses), from, to, start_ns, end_ns, pauses (as the run's, of the pauses that start in "
        "the phase) and mmu (exact, over the phase, pauses clipped to it)");
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

double gcs_cell_mmu(const gcs_cell_result_t *r, uint64_t window_ns) {
  for (int i = 0; i < GCS_MMU_NWINDOWS; i++)
    if (gcs_mmu_windows_ns[i] == window_ns) return r->mmu[i];
  gcs_fatal("gcs_cell_mmu: %llu ns is not a window of GCS_MMU_WINDOWS", (unsigned long long)window_ns);
}

/* --------------------------------------------------------------------------------------- */
/* The run. */

/* mimalloc's mi_block_visit_fun, called once an area (block NULL) when blocks are not
** visited: the area's blocks in use at their size class. */
static bool mi_area_held(const mi_heap_t *heap, const mi_heap_area_t *area, void *block, size_t size, void *arg) {
  (void)heap, (void)block, (void)size;
  *(uint64_t *)arg += (uint64_t)area->used * area->block_size;
  return true;
}

/* What the allocator holds for live blocks: the arena's own count (size classes and collector
** prefixes included); under malloc, jemalloc's stats.allocated when it is preloaded,
** mimalloc's blocks in use (at their size class, summed over its areas) when it is, else
** glibc's mallinfo2 (bytes in chunks in use, their headers included, and mmap'ed chunks).
** The preloaded libraries are reached through dlsym: gcscope does not link them. */
static uint64_t held_bytes(void) {
  if (gcs_heap.allocator == GCS_ALLOC_ARENA) return gcs_arena_stats()->bytes_in_use;
  typedef bool visit_fn(const mi_heap_t *, bool, mi_block_visit_fun *, void *);
  typedef mi_heap_t *heap_fn(void);
  visit_fn *visit = (visit_fn *)(uintptr_t)dlsym(RTLD_DEFAULT, "mi_heap_visit_blocks");
  heap_fn *heap = (heap_fn *)(uintptr_t)dlsym(RTLD_DEFAULT, "mi_heap_get_default");
  if (visit && heap) {
    uint64_t held = 0;
    if (visit(heap(), false, mi_area_held, &held)) return held;
  }
  typedef int mallctl_fn(const char *, void *, size_t *, void *, size_t);
  mallctl_fn *mallctl = (mallctl_fn *)(uintptr_t)dlsym(RTLD_DEFAULT, "mallctl");
  if (mallctl) {
    uint64_t epoch = 1;
    size_t allocated = 0, len = sizeof allocated;
    mallctl("epoch", NULL, NULL, &epoch, sizeof epoch);
    if (mallctl("stats.allocated", &allocated, &len, NULL, 0) == 0) return allocated;
  }
  struct mallinfo2 mi = mallinfo2();
  return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
}

/* A mark's RSS as the memory-return figures read it: Rss - LazyFree - the measurement's own. */
static uint64_t resident(const gcs_cell_mark_t *m) {
  uint64_t off = m->smaps.lazyfree + m->instrumentation_bytes;
  return m->smaps.rss > off ? m->smaps.rss - off : 0;
}

static void on_mark(gcs_wl_ctx *ctx, const char *label) {
  gcs_cell_t *c = ctx->driver;
  if (c->nmarks == GCS_CELL_MAX_MARKS) return;
  gcs_cell_mark_t *m = &c->marks[c->nmarks++];
  put(m->label, sizeof m->label, "the workload's mark", "%s", label);
  m->t_ns = gcs_now_ns() - c->t0;
  m->live_bytes = gcs_heap.live_bytes;
  m->live_objects = gcs_heap.live_objects;
  size_t npauses;
  gcs_pause_log(&npauses);
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  m->instrumentation_bytes = (npauses * sizeof(gcs_pause_t) + page - 1) / page * page + gcs_sampler_resident_bytes();
  m->held_bytes = held_bytes();
  if (gcs_heap.allocator == GCS_ALLOC_ARENA)
    m->arena_returned_bytes = gcs_arena_stats()->bytes_returned_munmap + gcs_arena_stats()->bytes_returned_madvise;
  gcs_smaps_read(&m->smaps);
}

static void on_figure(gcs_wl_ctx *ctx, const char *name, double value) {
  gcs_cell_t *c = ctx->driver;
  for (int i = 0; i < c->nfigures; i++) {
    if (strcmp(c->figures[i].name, name) == 0) {
      c->figures[i].value = value;
      return;
    }
  }
  if (c->nfigures == GCS_CELL_MAX_FIGURES) return;
  put(c->figures[c->nfigures].name, sizeof c->figures[0].name, "the workload's figure", "%s", name);
  c->figures[c->nfigures++].value = value;
}

static const gcs_cell_mark_t *find_mark(const gcs_cell_t *c, const char *label) {
  for (int i = 0; i < c->nmarks; i++)
    if (strcmp(c->marks[i].label, label) == 0) return &c->marks[i];
  return NULL;
}

static uint64_t vm_hwm_bytes(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  unsigned long long kb = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %llu kB", &kb) == 1) break;
  fclose(f);
  return kb * 1024;
}

/* The pause log as TSV, times relative to the run's start: rendered before teardown, whose
** collections may move the log. */
static char *render_pauses(const gcs_cell_t *c, size_t *len) {
  size_t nlog;
  const gcs_pause_t *log = gcs_pause_log(&nlog);
  char *buf = NULL;
  FILE *m = open_memstream(&buf, len);
  if (!m) gcs_fatal("out of memory");
  fprintf(m, "# start_ms\tend_ms\tduration_ns\tkind\tgeneration\tvisited\tfreed\torigin\tcpu_ns\n");
  for (size_t i = 0; i < nlog; i++) {
    if (log[i].start_ns < c->t0) continue;
    fprintf(m, "%.6f\t%.6f\t%llu\t%s\t%d\t%llu\t%llu\t%s\t%llu\n", (log[i].start_ns - c->t0) / 1e6,
            (log[i].end_ns - c->t0) / 1e6, (unsigned long long)(log[i].end_ns - log[i].start_ns),
            gcs_pause_kind_names[log[i].kind], log[i].generation, (unsigned long long)log[i].visited,
            (unsigned long long)log[i].freed, gcs_pause_origin_names[log[i].origin & 1],
            (unsigned long long)log[i].cpu_ns);
  }
  fclose(m);
  return buf;
}

static void render_json(FILE *out, const gcs_cell_t *c);

/* Adds a phase [a, b] (since t0) and measures it: the pauses of log[0..n) that start in [a, b)
** summarised, the MMU over [a, b] with every merged pause interval iv[0..niv) clipped to it. */
static void add_phase(gcs_cell_t *c, const char *name, const char *from, const char *to, uint64_t a,
                      uint64_t b, const gcs_pause_t *log, size_t n, const gcs_interval_t *iv, size_t niv) {
  gcs_cell_phase_t *ph = &c->phases[c->nphases++];
  *ph = (gcs_cell_phase_t){.name = name, .from = from, .to = to, .start_ns = a, .end_ns = b};
  uint64_t t0 = c->t0 + a, t1 = c->t0 + b;
  gcs_pause_t *sub = malloc((n ? n : 1) * sizeof *sub);
  gcs_interval_t *clip = malloc(((n > niv ? n : niv) + 1) * sizeof *clip);
  if (!sub || !clip) gcs_fatal("out of memory");
  size_t nsub = 0, nclip = 0;
  for (size_t i = 0; i < n; i++)
    if (log[i].start_ns >= t0 && log[i].start_ns < t1) sub[nsub++] = log[i];
  gcs_pauses_merge(sub, nsub, clip, &ph->pauses);
  for (size_t i = 0; i < niv; i++) {
    if (iv[i].end <= t0 || iv[i].start >= t1) continue;
    clip[nclip++] = (gcs_interval_t){iv[i].start < t0 ? t0 : iv[i].start, iv[i].end > t1 ? t1 : iv[i].end};
  }
  for (int i = 0; i < GCS_MMU_NWINDOWS; i++) ph->mmu[i] = gcs_mmu(clip, nclip, t0, t1, gcs_mmu_windows_ns[i]);
  free(sub);
  free(clip);
}

/* The phases: the workload's marks split the run [0, wall] into intervals. The one that ends at
** "built" is "build", the one that starts there "steady"; one before another first mark is
** "start"; every later one is named after the mark it starts at. The release phase (from "end"
** to "after_release") is one more, "release", when pauses happen in it. A run without marks has
** no phases. */
static void split_phases(gcs_cell_t *c) {
  size_t n;
  const gcs_pause_t *log = gcs_pause_log(&n);
  gcs_interval_t *iv = malloc((n ? n : 1) * sizeof *iv);
  if (!iv) gcs_fatal("out of memory");
  gcs_pause_summary_t all;
  size_t niv = gcs_pauses_merge(log, n, iv, &all);
  int k = c->nwl_marks;
  for (int i = 0; k > 0 && i <= k; i++) {
    const char *from = i ? c->marks[i - 1].label : NULL, *to = i < k ? c->marks[i].label : NULL;
    uint64_t a = i ? c->marks[i - 1].t_ns : 0, b = i < k ? c->marks[i].t_ns : c->r.wall_ns;
    if (b > c->r.wall_ns) b = c->r.wall_ns; /* a mark is taken before the run ends */
    if (a > b) a = b;
    const char *name = to && strcmp(to, "built") == 0 ? "build"
                       : from && strcmp(from, "built") == 0 ? "steady"
                       : from ? from : "start";
    add_phase(c, name, from, to, a, b, log, n, iv, niv);
  }
  const gcs_cell_mark_t *rel = find_mark(c, "after_release");
  if (rel && rel->t_ns > c->r.wall_ns) {
    add_phase(c, "release", "end", "after_release", c->r.wall_ns, rel->t_ns, log, n, iv, niv);
    if (c->phases[c->nphases - 1].pauses.count == 0) c->nphases--;
  }
  free(iv);
}

int gcs_cell_run(gcs_cell_t *c) {
  gcs_cell_result_t *r = &c->r;
  /* ------------------------------------------------------------------ run */
  gcs_wl_ctx ctx = {.seed = c->seed, .path = c->trace, .mark = on_mark, .figure = on_figure, .driver = c};
  gcs_obj **baseline = gcs_baseline_open(); /* knob baseline_objects: before the workload */
  if (c->sample_ms && gcs_sampler_start(c->sample_ms) != 0) gcs_fatal("cannot start the RSS sampler");
  r->rss_start = gcs_rss_bytes();
  uint64_t cpu0 = gcs_thread_cpu_ns();
  c->t0 = gcs_now_ns();
  gcs_backlog_begin();
  int rc = c->workload->run(&ctx);
  gcs_backlog_end();
  uint64_t t1 = gcs_now_ns();
  c->nwl_marks = c->nmarks;
  r->cpu_ns = gcs_thread_cpu_ns() - cpu0;
  r->wall_ns = t1 - c->t0;
  on_mark(&ctx, "end");
  r->rss_final = gcs_rss_bytes();
  if (gcs_heap.roots_top != baseline + 1) {
    gcs_error("run: workload %s returned with %td roots still pushed", c->workload->name,
              gcs_heap.roots_top - (baseline + 1));
    rc = 1;
  }

  /* ------------------------------------------------------------------ release */
  size_t nlog;
  const gcs_pause_t *log = gcs_pause_log(&nlog);
  size_t nrun = 0;
  while (nrun < nlog && log[nrun].start_ns < t1) nrun++;
  gcs_interval_t *iv = malloc((nrun ? nrun : 1) * sizeof *iv);
  if (!iv) gcs_fatal("out of memory");
  size_t niv = gcs_pauses_merge(log, nrun, iv, &r->pauses);
  for (size_t i = 0; i < niv; i++)
    if (iv[i].end > t1) iv[i].end = t1;
  for (int i = 0; i < GCS_MMU_NWINDOWS; i++) r->mmu[i] = gcs_mmu(iv, niv, c->t0, t1, gcs_mmu_windows_ns[i]);
  free(iv);
  r->gc_fraction = r->wall_ns ? (double)r->pauses.total / (double)r->wall_ns : 0;
  const gcs_backlog_t *bl = gcs_backlog_result();
  r->backlog_every = (double)bl->every;
  r->backlog_samples = r->backlog_max_objects = r->backlog_max_bytes = NAN;
  r->backlog_mean_objects = r->backlog_mean_bytes = r->backlog_object_s = NAN;
  if (bl->every) {
    double s = bl->run_ns ? (double)bl->run_ns * 1e-9 : NAN;
    r->backlog_samples = (double)bl->samples;
    r->backlog_max_objects = (double)bl->max_objects;
    r->backlog_max_bytes = (double)bl->max_bytes;
    r->backlog_mean_objects = bl->object_s / s;
    r->backlog_mean_bytes = bl->byte_s / s;
    r->backlog_object_s = bl->object_s;
  }

  gcs_heap_collect(-1);
  if (gcs_heap.allocator == GCS_ALLOC_ARENA && gcs_knob("release") == GCS_RELEASE_POOL) {
    struct timespec ts = {0, (long)(gcs_knob("purge_delay_ms") + 1) * 1000000L};
    while (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    nanosleep(&ts, NULL);
    gcs_arena_collect(false);
  }
  on_mark(&ctx, "after_release");
  r->rss_after_release = gcs_rss_bytes();
  uint64_t live_after_release = gcs_heap.live_bytes;
  r->stats = gcs_heap.stats;
  if (gcs_heap.allocator == GCS_ALLOC_ARENA) {
    r->arena = *gcs_arena_stats();
    r->mapped_peak = r->arena.bytes_mapped_peak;
    r->have_arena = true;
  }
  c->rss = c->sample_ms ? gcs_sampler_stop(&c->nrss) : NULL;
  r->hwm = vm_hwm_bytes();
  r->rss_peak = r->rss_final > r->rss_start ? r->rss_final : r->rss_start;
  for (size_t i = 0; i < c->nrss; i++)
    if (c->rss[i].rss > r->rss_peak) r->rss_peak = c->rss[i].rss;
  for (int i = 0; i < c->nmarks; i++)
    if (c->marks[i].smaps.rss > r->rss_peak) r->rss_peak = c->marks[i].smaps.rss;
  /* Memory returned (docs/memory.md): two readings, the workload's "built" mark (else the
  ** run's end) and its "freed" mark (else after release), each smaps_rollup's Rss less its
  ** LazyFree and less the measurement's own pages; against what the allocator held for the
  ** blocks freed in between. */
  const gcs_cell_mark_t *ref = find_mark(c, "built"), *sec = find_mark(c, "freed");
  if (!ref) ref = find_mark(c, "end");
  if (!sec) sec = find_mark(c, "after_release");
  r->rss_built = ref ? ref->smaps.rss : r->rss_final;
  uint64_t live_built = ref ? ref->live_bytes : 0;
  r->freed_bytes = live_built > live_after_release ? live_built - live_after_release : 0;
  if (ref && sec) {
    uint64_t before = resident(ref), after = resident(sec);
    r->returned_bytes = before > after ? before - after : 0;
    r->freed_held_bytes = ref->held_bytes > sec->held_bytes ? ref->held_bytes - sec->held_bytes : 0;
    r->allocator_returned = sec->arena_returned_bytes - ref->arena_returned_bytes;
    r->instrumentation_bytes = sec->instrumentation_bytes;
  }
  r->returned_fraction = r->freed_held_bytes ? (double)r->returned_bytes / (double)r->freed_held_bytes : -1.0;
  double secs = (double)r->wall_ns / 1e9;
  r->allocated_per_s = secs > 0 ? (double)r->stats.objects_allocated / secs : 0;
  r->bytes_allocated_per_s = secs > 0 ? (double)r->stats.bytes_allocated / secs : 0;

  split_phases(c);
  c->pauses_tsv = render_pauses(c, &c->pauses_len);
  gcs_heap_close(&r->teardown);
  FILE *m = open_memstream(&c->json, &c->json_len);
  if (!m) gcs_fatal("out of memory");
  render_json(m, c);
  fclose(m);
  return rc;
}

void gcs_cell_free(gcs_cell_t *c) {
  free(c->json);
  free(c->pauses_tsv);
  c->json = c->pauses_tsv = NULL;
}

/* --------------------------------------------------------------------------------------- */
/* The writers: each walks the figure table. */

/* A phase's pauses, as the whole run's: the pauses.* rows of the table, by_kind included. */
static void write_pauses(gcs_json_t *j, const char *key, const gcs_pause_summary_t *p) {
  size_t n;
  const gcs_figure_t *t = gcs_cell_figures(&n);
  gcs_json_object(j, key);
  const char *sub = NULL; /* the open object inside "pauses" (by_kind, by_origin), or NULL */
  for (size_t i = 0; i < n; i++) {
    const char *s = t[i].section;
    bool mine = strncmp(s, "pauses", 6) == 0 && (s[6] == '\0' || s[6] == '.');
    const char *want = mine && s[6] == '.' ? s + 7 : NULL;
    if (sub && (!want || strcmp(sub, want) != 0)) {
      gcs_json_end(j);
      sub = NULL;
    }
    if (!mine) continue;
    if (want && !sub) gcs_json_object(j, sub = want);
    uint64_t v;
    memcpy(&v, (const char *)p + (t[i].offset - offsetof(gcs_cell_result_t, pauses)), sizeof v);
    gcs_json_uint(j, t[i].key, v);
  }
  if (sub) gcs_json_end(j);
  gcs_json_end(j);
}

/* The series the cell writes itself (GCS_FIG_SERIES rows). */
static void write_series(gcs_json_t *j, const gcs_cell_t *c, const gcs_figure_t *f) {
  if (strcmp(f->key, "checkpoints") == 0) {
    gcs_json_array(j, f->key);
    for (int i = 0; i < c->nmarks; i++) {
      const gcs_cell_mark_t *m = &c->marks[i];
      gcs_json_object(j, NULL);
      gcs_json_str(j, "label", m->label);
      gcs_json_uint(j, "t_ns", m->t_ns);
      gcs_json_uint(j, "rss_bytes", m->smaps.rss);
      gcs_json_uint(j, "anonymous_bytes", m->smaps.anonymous);
      gcs_json_uint(j, "lazyfree_bytes", m->smaps.lazyfree);
      gcs_json_uint(j, "live_bytes", m->live_bytes);
      gcs_json_uint(j, "live_objects", m->live_objects);
      gcs_json_uint(j, "held_bytes", m->held_bytes);
      gcs_json_uint(j, "instrumentation_bytes", m->instrumentation_bytes);
      if (c->r.have_arena) gcs_json_uint(j, "arena_returned_bytes", m->arena_returned_bytes);
      gcs_json_end(j);
    }
    gcs_json_end(j);
  } else if (strcmp(f->key, "phases") == 0) {
    gcs_json_array(j, f->key);
    for (int i = 0; i < c->nphases; i++) {
      const gcs_cell_phase_t *ph = &c->phases[i];
      gcs_json_object(j, NULL);
      gcs_json_str(j, "name", ph->name);
      if (ph->from) gcs_json_str(j, "from", ph->from);
      else gcs_json_double(j, "from", NAN);
      if (ph->to) gcs_json_str(j, "to", ph->to);
      else gcs_json_double(j, "to", NAN);
      gcs_json_uint(j, "start_ns", ph->start_ns);
      gcs_json_uint(j, "end_ns", ph->end_ns);
      write_pauses(j, "pauses", &ph->pauses);
      gcs_json_array(j, "mmu");
      for (int w = 0; w < GCS_MMU_NWINDOWS; w++) {
        gcs_json_object(j, NULL);
        gcs_json_uint(j, "window_ns", gcs_mmu_windows_ns[w]);
        gcs_json_double(j, "mmu", ph->mmu[w]);
        gcs_json_end(j);
      }
      gcs_json_end(j);
      gcs_json_end(j);
    }
    gcs_json_end(j);
  } else if (strcmp(f->key, "figures") == 0) {
    gcs_json_object(j, f->key);
    for (int i = 0; i < c->nfigures; i++) gcs_json_double(j, c->figures[i].name, c->figures[i].value);
    gcs_json_end(j);
  } else {
    gcs_fatal("cell.c: no writer for the series %s", f->path);
  }
}

/* Splits a section path "a.b" into its components; returns their number. */
static int split(const char *section, char parts[4][32]) {
  int n = 0;
  for (const char *p = section; *p;) {
    if (n == 4) gcs_fatal("cell.c: the section %s is nested deeper than 4", section);
    const char *e = strchr(p, '.');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    put(parts[n++], sizeof parts[0], "a section of a figure's path", "%.*s", (int)len, p);
    p += len + (e != NULL);
  }
  return n;
}

static void write_figures(gcs_json_t *j, const gcs_cell_t *c) {
  size_t n;
  const gcs_figure_t *t = gcs_cell_figures(&n);
  char open[4][32], want[4][32];
  int nopen = 0;
  for (size_t i = 0; i < n; i++) {
    const gcs_figure_t *f = &t[i];
    if (f->type == GCS_FIG_ARENA_ONLY && !c->r.have_arena) continue;
    int nwant = split(f->section, want), same = 0;
    while (same < nopen && same < nwant && strcmp(open[same], want[same]) == 0) same++;
    for (; nopen > same; nopen--) gcs_json_end(j);
    for (; nopen < nwant; nopen++) {
      snprintf(open[nopen], sizeof open[0], "%s", want[nopen]);
      if (f->window_ns) gcs_json_array(j, want[nopen]); /* the MMU: a list of windows */
      else gcs_json_object(j, want[nopen]);
    }
    uint64_t u;
    memcpy(&u, (const char *)&c->r + f->offset, sizeof u);
    if (f->window_ns) {
      gcs_json_object(j, NULL);
      gcs_json_uint(j, "window_ns", f->window_ns);
      gcs_json_double(j, f->key, gcs_cell_figure_value(f, &c->r));
      gcs_json_end(j);
    } else if (f->type == GCS_FIG_SERIES) {
      write_series(j, c, f);
    } else if (f->type == GCS_FIG_U64 || f->type == GCS_FIG_ARENA_ONLY || (f->type == GCS_FIG_ARENA && c->r.have_arena)) {
      gcs_json_uint(j, f->key, u);
    } else { /* a double, or null */
      gcs_json_double(j, f->key, gcs_cell_figure_value(f, &c->r));
    }
  }
  for (; nopen > 0; nopen--) gcs_json_end(j);
}

static void render_json(FILE *out, const gcs_cell_t *c) {
  gcs_json_t j;
  gcs_json_open(&j, out, true);
  gcs_json_object(&j, NULL);
  gcs_json_str(&j, "collector", c->collector->name);
  gcs_json_str(&j, "workload", c->workload->name);
  gcs_json_str(&j, "allocator", c->allocator_name);
  gcs_json_uint(&j, "seed", c->seed);
  gcs_json_object(&j, "params");
  gcs_heap_write_options(&j);
  gcs_json_end(&j);
  write_figures(&j, c);
  gcs_json_end(&j);
  gcs_json_close(&j);
}

/* name TAB value, a line per figure with a counter, then the workload's figures. */
static void write_counters(FILE *out, const gcs_cell_t *c) {
  size_t n;
  const gcs_figure_t *t = gcs_cell_figures(&n);
  fprintf(out, "# name\tvalue\n");
  for (size_t i = 0; i < n; i++) {
    const gcs_figure_t *f = &t[i];
    if (!f->counter) continue;
    const char *p = (const char *)&c->r + f->offset;
    uint64_t u;
    double d;
    switch (f->type) {
    case GCS_FIG_U64:
    case GCS_FIG_ARENA:
    case GCS_FIG_ARENA_ONLY:
      memcpy(&u, p, sizeof u);
      fprintf(out, "%s\t%llu\n", f->counter, (unsigned long long)u);
      break;
    case GCS_FIG_DOUBLE:
    case GCS_FIG_FRACTION:
      memcpy(&d, p, sizeof d);
      fprintf(out, "%s\t%.6f\n", f->counter, f->type == GCS_FIG_FRACTION && d < 0 ? -1.0 : d);
      break;
    case GCS_FIG_SERIES:
      break;
    }
  }
  for (int i = 0; i < c->nfigures; i++) fprintf(out, "%s\t%.9g\n", c->figures[i].name, c->figures[i].value);
}

void gcs_cell_write_summary(FILE *out, const gcs_cell_t *c) {
  const gcs_cell_result_t *r = &c->r;
  fprintf(out, "%s × %s (%s, seed %llu)\n", c->collector->name, c->workload->name, c->allocator_name,
          (unsigned long long)c->seed);
  fprintf(out, "  time     wall %.3f s, cpu %.3f s, in pauses %.3f s (%.1f%%)\n", r->wall_ns / 1e9,
          r->cpu_ns / 1e9, r->pauses.total / 1e9, 100.0 * r->gc_fraction);
  fprintf(out, "  pauses   %llu: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", (unsigned long long)r->pauses.count,
          r->pauses.p50 / 1e6, r->pauses.p99 / 1e6, r->pauses.max / 1e6);
  fprintf(out, "  mmu      1 ms %.3f, 10 ms %.3f, 100 ms %.3f\n", gcs_cell_mmu(r, 1000000),
          gcs_cell_mmu(r, 10000000), gcs_cell_mmu(r, 100000000));
  fprintf(out, "  memory   peak RSS %.1f MiB, after release %.1f MiB, returned %.1f MiB", r->rss_peak / 1048576.0,
          r->rss_after_release / 1048576.0, r->returned_bytes / 1048576.0);
  if (r->returned_fraction >= 0) fprintf(out, " (%.1f%% of what was freed)", 100 * r->returned_fraction);
  fprintf(out, "\n  objects  %llu allocated, %llu freed, %llu leaked\n", (unsigned long long)r->stats.objects_allocated,
          (unsigned long long)r->stats.objects_freed, (unsigned long long)r->teardown.leaked_objects);
  for (int i = 0; i < c->nfigures; i++) fprintf(out, "  %-8s %g\n", c->figures[i].name, c->figures[i].value);
}

/* --------------------------------------------------------------------------------------- */
/* The files: PREFIX.pauses.tsv, .rss.tsv, .counters.tsv and .json, one set (measure.h).      */

/* In the order they are renamed in: PREFIX.json, the set's marker, last. */
static const char *const out_ext[] = {".pauses.tsv", ".rss.tsv", ".counters.tsv", ".json"};
#define NOUT 4
#define JSON_OUT 3
#define TMP_TAG ".tmp."
#define PID_DIGITS_MAX 10 /* a pid is a positive int */

/* prefix + ext + tag (+ pid when not 0), malloc'd: no fixed buffer, nothing is cut short. */
static char *out_name(const char *prefix, const char *ext, const char *tag, long pid) {
  char *s;
  int n = pid ? asprintf(&s, "%s%s%s%ld", prefix, ext, tag, pid) : asprintf(&s, "%s%s%s", prefix, ext, tag);
  if (n < 0) gcs_fatal("out of memory");
  return s;
}

/* The directory of prefix ("." without a slash), malloc'd; *base gets its last component. */
static char *out_dir(const char *prefix, const char **base) {
  const char *slash = strrchr(prefix, '/');
  *base = slash ? slash + 1 : prefix;
  char *d = slash ? strndup(prefix, slash == prefix ? 1 : (size_t)(slash - prefix)) : strdup(".");
  if (!d) gcs_fatal("out of memory");
  return d;
}

/* Removes dir's temporaries of base's set left by processes that are gone (a kill between the
** writes and the renames): BASE.EXT.tmp.PID with no process PID, or PID ours (a process
** before us of our pid). A temporary of a live process is another run's, and stays. */
static void remove_stale(const char *dir, const char *base) {
  DIR *d = opendir(dir);
  if (!d) return;
  size_t blen = strlen(base);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, base, blen) != 0) continue;
    for (int i = 0; i < NOUT; i++) {
      const char *rest = e->d_name + blen;
      size_t elen = strlen(out_ext[i]);
      uint64_t pid;
      if (strncmp(rest, out_ext[i], elen) != 0 || strncmp(rest + elen, TMP_TAG, strlen(TMP_TAG)) != 0 ||
          gcs_parse_u64(rest + elen + strlen(TMP_TAG), INT32_MAX, &pid) != 0 || pid == 0)
        continue;
      if ((pid_t)pid == getpid() || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
        char *path = out_name(dir, "/", e->d_name, 0);
        unlink(path);
        free(path);
      }
      break;
    }
  }
  closedir(d);
}

int gcs_cell_check_out(const char *prefix, char *err, size_t errlen) {
  const char *base;
  if (*prefix == '\0') {
    snprintf(err, errlen, "--out '': expected PREFIX, a path ending in a file name (PREFIX.json, ...)");
    return EINVAL;
  }
  char *dir = out_dir(prefix, &base);
  int rc = 0;
  size_t longest_ext = strlen(".counters.tsv") + strlen(TMP_TAG) + PID_DIGITS_MAX;
  struct stat st;
  int sr;
  if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
    snprintf(err, errlen, "--out %s: expected PREFIX, a path ending in a file name (PREFIX.json, ...), "
             "not a directory", prefix);
    rc = EINVAL;
  } else if (strlen(prefix) + longest_ext >= PATH_MAX) {
    snprintf(err, errlen, "--out %.40s...: too long: %zu characters; the longest name written, "
             "PREFIX.counters.tsv.tmp.PID, must stay below PATH_MAX (%d), so at most %zu", prefix,
             strlen(prefix), PATH_MAX, (size_t)PATH_MAX - 1 - longest_ext);
    rc = ENAMETOOLONG;
  } else if (strlen(base) + longest_ext > NAME_MAX) {
    snprintf(err, errlen, "--out %.40s...: too long: its last component has %zu characters; the "
             "longest name written, BASE.counters.tsv.tmp.PID, must fit NAME_MAX (%d), so at most %zu",
             prefix, strlen(base), NAME_MAX, (size_t)NAME_MAX - longest_ext);
    rc = ENAMETOOLONG;
  } else if ((sr = stat(dir, &st)) != 0 || !S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "--out %s: no directory %s (%s)", prefix, dir,
             sr != 0 ? strerror(errno) : "a file of that name, not a directory");
    rc = ENOENT;
  } else {
    remove_stale(dir, base);
    char *probe = out_name(prefix, out_ext[JSON_OUT], TMP_TAG, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
      snprintf(err, errlen, "--out %s: cannot create files in %s: %s", prefix, dir, strerror(errno));
      rc = errno;
    } else {
      close(fd);
      unlink(probe);
    }
    free(probe);
  }
  free(dir);
  return rc;
}
/* Writes len bytes of buf to a new file path, fsync'd: 0, or an errno. */
static int write_synced(const char *path, const char *buf, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return errno;
  for (size_t done = 0; done < len;) {
    ssize_t w = write(fd, buf + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      int e = errno;
      close(fd);
      return e;
    }
    done += (size_t)w;
  }
  if (fsync(fd) != 0) {
    int e = errno;
    close(fd);
    return e;
  }
  return close(fd) == 0 ? 0 : errno;
}

/* The directory's entries made durable (the renames): errors ignored, as a file system
** without directory fsync gives EINVAL and the renames stand anyway. */
static void sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

/* The set's steps, each temporary already named: 1. every temporary written and fsync'd (a
** failure leaves the old set as it was); 2. the old marker PREFIX.json removed; 3. the TSVs
** renamed in; 4. the directory synced, the marker renamed in last, the directory synced.
** 0, or 1 after a message saying what is left. The caller removes the temporaries. */
static int write_set(const char *prefix, const char *dir, const char *const data[], const size_t size[],
                     char *const final[], char *const tmp[]) {
  int e;
  for (int i = 0; i < NOUT; i++) {
    if ((e = write_synced(tmp[i], data[i], size[i])) != 0) {
      gcs_error("cannot write %s: %s; no result written (the files of %s are as they were)", tmp[i],
                strerror(e), prefix);
      return 1;
    }
  }
  if (unlink(final[JSON_OUT]) != 0 && errno != ENOENT) {
    e = errno;
    gcs_error("cannot replace %s: %s; no result written (the files of %s are as they were)",
              final[JSON_OUT], strerror(e), prefix);
    return 1;
  }
  for (int i = 0; i < NOUT; i++) {
    if (i == JSON_OUT) sync_dir(dir);
    if (rename(tmp[i], final[i]) != 0) {
      e = errno;
      for (int k = 0; k < NOUT; k++) unlink(final[k]);
      gcs_error("cannot write %s: %s; no result written (%s.json and the TSVs of its set removed)",
                final[i], strerror(e), prefix);
      return 1;
    }
  }
  sync_dir(dir);
  return 0;
}

int gcs_cell_write_files(const gcs_cell_t *c, const char *prefix) {
  char *rss = NULL, *counters = NULL, *final[NOUT], *tmp[NOUT];
  size_t rss_len = 0, counters_len = 0;
  const char *base;
  char *dir = out_dir(prefix, &base);
  FILE *m = open_memstream(&rss, &rss_len);
  if (!m) gcs_fatal("out of memory");
  fprintf(m, "# t_ms\trss_bytes\n");
  for (size_t i = 0; i < c->nrss; i++)
    if (c->rss[i].t_ns >= c->t0)
      fprintf(m, "%.3f\t%llu\n", (c->rss[i].t_ns - c->t0) / 1e6, (unsigned long long)c->rss[i].rss);
  fclose(m);
  if ((m = open_memstream(&counters, &counters_len)) == NULL) gcs_fatal("out of memory");
  write_counters(m, c);
  fclose(m);
  const char *const data[NOUT] = {c->pauses_tsv, rss, counters, c->json};
  const size_t size[NOUT] = {c->pauses_len, rss_len, counters_len, c->json_len};
  for (int i = 0; i < NOUT; i++) {
    final[i] = out_name(prefix, out_ext[i], "", 0);
    tmp[i] = out_name(prefix, out_ext[i], TMP_TAG, (long)getpid());
  }
  int bad = write_set(prefix, dir, data, size, final, tmp);
  for (int i = 0; i < NOUT; i++) {
    if (bad) unlink(tmp[i]);
    free(final[i]);
    free(tmp[i]);
  }
  free(rss);
  free(counters);
  free(dir);
  return bad;
}
