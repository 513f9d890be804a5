/*
** run.c — `gcscope run`: one cell (collector × workload × options) in this process, measured.
**
**   gcscope run --collector C --workload W [--set knob=value ...]
**               [--allocator arena|system|jemalloc] [--seed N] [--trace FILE]
**               [--size small|default] [--sample-ms N] [--out PREFIX] [--json]
**
** --size small applies the workload's `small` settings (what make test runs) before any --set.
**
** The phases of a cell, and what each measures:
**   run       t0..t1: the workload. wall and thread-CPU time, the pause log, RSS sampled
**             every --sample-ms by a thread, checkpoints (statm + smaps_rollup) at the
**             workload's marks.
**   release   after the workload has dropped its data: one full collection, then (release=pool)
**             a wait of purge_delay_ms and a purge. RSS after it, and what the allocator says
**             it returned.
**   teardown  the heap closes: what is still live is the leak.
**
** Figures (the JSON's fields):
**   time.gc_ns             union of the pause intervals in the run
**   pauses.*               top-level pauses (nested ones fused), nearest-rank percentiles
**   mmu[]                  exact minimum mutator utilization, windows 100 µs .. 1 s
**   memory.returned_bytes  RSS at the "built" mark (else at the end of the run) minus RSS after
**                          release
**   memory.returned_fraction  returned_bytes / (live bytes at "built" − live bytes after
**                          release): of the bytes the workload freed, the fraction that left
**                          RSS. Can exceed 1 when the allocator also returns its own
**                          overhead, and is null when nothing was freed.
**
** --allocator jemalloc re-executes this program with jemalloc preloaded (as mimalloc-bench
** does) and allocator=system; the child checks that jemalloc is really there.
**
** The pause log written to PREFIX.pauses.tsv holds every pause from the run's start, the
** release phase's collection included (after the run's end time); the JSON's pause figures
** and MMU count only the run.
**
** Output goes to memory first and is written whole: stdout at the end, and --out PREFIX
** files (PREFIX.json, .pauses.tsv, .rss.tsv, .counters.tsv) each written to a temporary name
** and renamed, so a crash never leaves half a result.
*/
#define _GNU_SOURCE
#include "cli/cli.h"
#include "measure/measure.h"
#include "collectors/collectors.h"
#include "workloads/workloads.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define JEMALLOC_PATH "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
#define MAX_MARKS 32
#define MAX_FIGURES 32

static const uint64_t mmu_windows_ns[] = {
  100000, 200000, 500000, 1000000, 2000000, 5000000, 10000000, 20000000, 50000000,
  100000000, 200000000, 500000000, 1000000000,
};
#define NWINDOWS (sizeof mmu_windows_ns / sizeof mmu_windows_ns[0])

typedef struct mark {
  char label[32];        /* the workload's name for the point */
  uint64_t t_ns;         /* since t0 */
  uint64_t live_bytes;   /* heap block bytes live then */
  uint64_t live_objects; /* heap objects live then */
  gcs_smaps_t smaps;     /* RSS, anonymous, LazyFree then */
} mark_t;

typedef struct cell {
  const gcs_collector_ops *collector;
  const gcs_workload_t *workload;
  const char *allocator_name;     /* arena | system | jemalloc */
  uint64_t seed;
  uint64_t t0;                    /* run start, ns */
  mark_t marks[MAX_MARKS];
  int nmarks;
  struct { char name[48]; double value; } figures[MAX_FIGURES];
  int nfigures;
} cell_t;

static void on_mark(gcs_wl_ctx *ctx, const char *label) {
  cell_t *c = ctx->driver;
  if (c->nmarks == MAX_MARKS) return;
  mark_t *m = &c->marks[c->nmarks++];
  snprintf(m->label, sizeof m->label, "%s", label);
  m->t_ns = gcs_now_ns() - c->t0;
  m->live_bytes = gcs_heap.live_bytes;
  m->live_objects = gcs_heap.live_objects;
  gcs_smaps_read(&m->smaps);
}

static void on_figure(gcs_wl_ctx *ctx, const char *name, double value) {
  cell_t *c = ctx->driver;
  for (int i = 0; i < c->nfigures; i++) {
    if (strcmp(c->figures[i].name, name) == 0) {
      c->figures[i].value = value;
      return;
    }
  }
  if (c->nfigures == MAX_FIGURES) return;
  snprintf(c->figures[c->nfigures].name, sizeof c->figures[0].name, "%s", name);
  c->figures[c->nfigures++].value = value;
}

static const mark_t *find_mark(const cell_t *c, const char *label) {
  for (int i = 0; i < c->nmarks; i++)
    if (strcmp(c->marks[i].label, label) == 0) return &c->marks[i];
  return NULL;
}

static uint64_t thread_cpu_ns(void) {
  return gcs_thread_cpu_ns();   /* core/clock.h */
}

/* Writes buf to path through a temporary file and a rename. */
static int write_whole(const char *path, const char *buf, size_t len) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) {
    gcs_error("cannot write %s: %s", tmp, strerror(errno));
    return 1;
  }
  size_t w = fwrite(buf, 1, len, f);
  if (fclose(f) != 0 || w != len || rename(tmp, path) != 0) {
    gcs_error("cannot write %s: %s", path, strerror(errno));
    unlink(tmp);
    return 1;
  }
  return 0;
}

/* --------------------------------------------------------------------------------------- */

typedef struct figures {
  uint64_t wall_ns, cpu_ns;
  gcs_pause_summary_t pauses;
  double mmu[NWINDOWS];
  uint64_t rss_start, rss_peak, rss_built, rss_final, rss_after_release, hwm;
  uint64_t live_bytes_built, live_bytes_after_release;
  uint64_t returned_bytes;
  double returned_fraction;       /* < 0: undefined (nothing freed) */
  gcs_arena_stats_t arena;
  bool have_arena;
  gcs_stats_t stats;              /* after release */
  gcs_teardown_t teardown;
} figures_t;

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

static void write_json(FILE *out, const cell_t *c, const figures_t *fg) {
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

  gcs_json_object(&j, "time");
  gcs_json_uint(&j, "wall_ns", fg->wall_ns);
  gcs_json_uint(&j, "cpu_ns", fg->cpu_ns);
  gcs_json_uint(&j, "gc_ns", fg->pauses.total);
  gcs_json_double(&j, "gc_fraction", fg->wall_ns ? (double)fg->pauses.total / (double)fg->wall_ns : 0);
  gcs_json_end(&j);

  gcs_json_object(&j, "pauses");
  gcs_json_uint(&j, "count", fg->pauses.count);
  gcs_json_uint(&j, "p50_ns", fg->pauses.p50);
  gcs_json_uint(&j, "p90_ns", fg->pauses.p90);
  gcs_json_uint(&j, "p99_ns", fg->pauses.p99);
  gcs_json_uint(&j, "p999_ns", fg->pauses.p999);
  gcs_json_uint(&j, "max_ns", fg->pauses.max);
  gcs_json_uint(&j, "total_ns", fg->pauses.total);
  gcs_json_object(&j, "by_kind");
  for (int k = 0; k < GCS_PAUSE_NKINDS; k++) gcs_json_uint(&j, gcs_pause_kind_names[k], fg->pauses.by_kind[k]);
  gcs_json_end(&j);
  gcs_json_end(&j);

  gcs_json_array(&j, "mmu");
  for (size_t i = 0; i < NWINDOWS; i++) {
    gcs_json_object(&j, NULL);
    gcs_json_uint(&j, "window_ns", mmu_windows_ns[i]);
    gcs_json_double(&j, "mmu", fg->mmu[i]);
    gcs_json_end(&j);
  }
  gcs_json_end(&j);

  gcs_json_object(&j, "memory");
  gcs_json_uint(&j, "start_rss_bytes", fg->rss_start);
  gcs_json_uint(&j, "peak_rss_bytes", fg->rss_peak);
  gcs_json_uint(&j, "built_rss_bytes", fg->rss_built);
  gcs_json_uint(&j, "final_rss_bytes", fg->rss_final);
  gcs_json_uint(&j, "rss_after_release_bytes", fg->rss_after_release);
  gcs_json_uint(&j, "vm_hwm_bytes", fg->hwm);
  gcs_json_uint(&j, "returned_bytes", fg->returned_bytes);
  if (fg->returned_fraction >= 0) gcs_json_double(&j, "returned_fraction", fg->returned_fraction);
  else gcs_json_double(&j, "returned_fraction", 0.0 / 0.0);
  gcs_json_uint(&j, "freed_bytes", fg->live_bytes_built - fg->live_bytes_after_release);
  if (fg->have_arena) {
    gcs_json_uint(&j, "mapped_peak_bytes", fg->arena.bytes_mapped_peak);
    gcs_json_object(&j, "arena");
#define GCS_ARENA_JSON(name, doc) gcs_json_uint(&j, #name, fg->arena.name);
    GCS_ARENA_STATS(GCS_ARENA_JSON)
#undef GCS_ARENA_JSON
    gcs_json_end(&j);
  } else {
    gcs_json_double(&j, "mapped_peak_bytes", 0.0 / 0.0);
  }
  gcs_json_array(&j, "checkpoints");
  for (int i = 0; i < c->nmarks; i++) {
    const mark_t *m = &c->marks[i];
    gcs_json_object(&j, NULL);
    gcs_json_str(&j, "label", m->label);
    gcs_json_uint(&j, "t_ns", m->t_ns);
    gcs_json_uint(&j, "rss_bytes", m->smaps.rss);
    gcs_json_uint(&j, "anonymous_bytes", m->smaps.anonymous);
    gcs_json_uint(&j, "lazyfree_bytes", m->smaps.lazyfree);
    gcs_json_uint(&j, "live_bytes", m->live_bytes);
    gcs_json_uint(&j, "live_objects", m->live_objects);
    gcs_json_end(&j);
  }
  gcs_json_end(&j);
  gcs_json_end(&j);

  gcs_json_object(&j, "objects");
  gcs_json_uint(&j, "allocated", fg->stats.objects_allocated);
  gcs_json_uint(&j, "freed", fg->stats.objects_freed);
  gcs_json_uint(&j, "leaked", fg->teardown.leaked_objects);
  gcs_json_uint(&j, "leaked_bytes", fg->teardown.leaked_bytes);
  gcs_json_uint(&j, "bytes_allocated", fg->stats.bytes_allocated);
  double secs = (double)fg->wall_ns / 1e9;
  gcs_json_double(&j, "allocated_per_s", secs > 0 ? (double)fg->stats.objects_allocated / secs : 0);
  gcs_json_double(&j, "bytes_allocated_per_s", secs > 0 ? (double)fg->stats.bytes_allocated / secs : 0);
  gcs_json_end(&j);

  gcs_json_object(&j, "figures");
  for (int i = 0; i < c->nfigures; i++) gcs_json_double(&j, c->figures[i].name, c->figures[i].value);
  gcs_json_end(&j);
  gcs_json_end(&j);
  gcs_json_close(&j);
}

static void write_summary(FILE *out, const cell_t *c, const figures_t *fg) {
  fprintf(out, "%s × %s (%s, seed %llu)\n", c->collector->name, c->workload->name,
          c->allocator_name, (unsigned long long)c->seed);
  fprintf(out, "  time     wall %.3f s, cpu %.3f s, in pauses %.3f s (%.1f%%)\n", fg->wall_ns / 1e9,
          fg->cpu_ns / 1e9, fg->pauses.total / 1e9,
          fg->wall_ns ? 100.0 * (double)fg->pauses.total / (double)fg->wall_ns : 0.0);
  fprintf(out, "  pauses   %llu: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
          (unsigned long long)fg->pauses.count, fg->pauses.p50 / 1e6, fg->pauses.p99 / 1e6,
          fg->pauses.max / 1e6);
  fprintf(out, "  mmu      1 ms %.3f, 10 ms %.3f, 100 ms %.3f\n", fg->mmu[3], fg->mmu[6], fg->mmu[9]);
  fprintf(out, "  memory   peak RSS %.1f MiB, after release %.1f MiB, returned %.1f MiB", fg->rss_peak / 1048576.0,
          fg->rss_after_release / 1048576.0, fg->returned_bytes / 1048576.0);
  if (fg->returned_fraction >= 0) fprintf(out, " (%.1f%% of what was freed)", 100 * fg->returned_fraction);
  fprintf(out, "\n  objects  %llu allocated, %llu freed, %llu leaked\n",
          (unsigned long long)fg->stats.objects_allocated, (unsigned long long)fg->stats.objects_freed,
          (unsigned long long)fg->teardown.leaked_objects);
  for (int i = 0; i < c->nfigures; i++) fprintf(out, "  %-8s %g\n", c->figures[i].name, c->figures[i].value);
}

static void write_counters(FILE *out, const figures_t *fg, const cell_t *c) {
  fprintf(out, "# name\tvalue\n");
  fprintf(out, "wall_ns\t%llu\ncpu_ns\t%llu\ngc_ns\t%llu\n", (unsigned long long)fg->wall_ns,
          (unsigned long long)fg->cpu_ns, (unsigned long long)fg->pauses.total);
  fprintf(out, "pauses\t%llu\np50_ns\t%llu\np99_ns\t%llu\nmax_ns\t%llu\n", (unsigned long long)fg->pauses.count,
          (unsigned long long)fg->pauses.p50, (unsigned long long)fg->pauses.p99, (unsigned long long)fg->pauses.max);
  fprintf(out, "mmu_1ms\t%.6f\nmmu_10ms\t%.6f\nmmu_100ms\t%.6f\n", fg->mmu[3], fg->mmu[6], fg->mmu[9]);
  fprintf(out, "peak_rss\t%llu\nrss_after_release\t%llu\nreturned_bytes\t%llu\n", (unsigned long long)fg->rss_peak,
          (unsigned long long)fg->rss_after_release, (unsigned long long)fg->returned_bytes);
  fprintf(out, "returned_fraction\t%.6f\n", fg->returned_fraction >= 0 ? fg->returned_fraction : -1.0);
  fprintf(out, "allocated\t%llu\nleaked\t%llu\n", (unsigned long long)fg->stats.objects_allocated,
          (unsigned long long)fg->teardown.leaked_objects);
  for (int i = 0; i < c->nfigures; i++) fprintf(out, "%s\t%.9g\n", c->figures[i].name, c->figures[i].value);
}

/* The pause log as TSV, times relative to the run's start: rendered before teardown, whose
** collections may move the log. */
static char *render_pauses(const cell_t *c, size_t *len) {
  size_t nlog;
  const gcs_pause_t *log = gcs_pause_log(&nlog);
  char *buf = NULL;
  FILE *m = open_memstream(&buf, len);
  if (!m) gcs_fatal("out of memory");
  fprintf(m, "# start_ms\tend_ms\tduration_ns\tkind\tgeneration\tvisited\tfreed\tcpu_ns\n");
  for (size_t i = 0; i < nlog; i++) {
    if (log[i].start_ns < c->t0) continue;
    fprintf(m, "%.6f\t%.6f\t%llu\t%s\t%d\t%llu\t%llu\t%llu\n", (log[i].start_ns - c->t0) / 1e6,
            (log[i].end_ns - c->t0) / 1e6, (unsigned long long)(log[i].end_ns - log[i].start_ns),
            gcs_pause_kind_names[log[i].kind], log[i].generation, (unsigned long long)log[i].visited,
            (unsigned long long)log[i].freed, (unsigned long long)log[i].cpu_ns);
  }
  fclose(m);
  return buf;
}

static int write_outputs(const char *prefix, const cell_t *c, const figures_t *fg, const char *pauses,
                         size_t plen, const gcs_rss_sample_t *rss, size_t nrss, const char *json, size_t jlen) {
  char path[4096], *buf = NULL;
  size_t len = 0;
  int bad = 0;
  snprintf(path, sizeof path, "%s.json", prefix);
  bad |= write_whole(path, json, jlen);
  snprintf(path, sizeof path, "%s.pauses.tsv", prefix);
  bad |= write_whole(path, pauses, plen);

  FILE *m = open_memstream(&buf, &len);
  fprintf(m, "# t_ms\trss_bytes\n");
  for (size_t i = 0; i < nrss; i++)
    if (rss[i].t_ns >= c->t0) fprintf(m, "%.3f\t%llu\n", (rss[i].t_ns - c->t0) / 1e6, (unsigned long long)rss[i].rss);
  fclose(m);
  snprintf(path, sizeof path, "%s.rss.tsv", prefix);
  bad |= write_whole(path, buf, len);
  free(buf);

  m = open_memstream(&buf, &len);
  write_counters(m, fg, c);
  fclose(m);
  snprintf(path, sizeof path, "%s.counters.tsv", prefix);
  bad |= write_whole(path, buf, len);
  free(buf);
  return bad;
}

/* --------------------------------------------------------------------------------------- */

static int reexec_with_jemalloc(char **argv) {
  if (access(JEMALLOC_PATH, R_OK) != 0) {
    gcs_error("run: --allocator jemalloc needs %s (Debian's libjemalloc2; make deps)", JEMALLOC_PATH);
    return 2;
  }
  setenv("LD_PRELOAD", JEMALLOC_PATH, 1);
  setenv("GCSCOPE_JEMALLOC", "1", 1);
  execv("/proc/self/exe", argv);
  gcs_error("run: cannot re-execute with jemalloc: %s", strerror(errno));
  return 1;
}

int gcs_cmd_run(int argc, char **argv, char **full_argv) {
  const char *cname = NULL, *wname = NULL, *allocator = "arena", *out_prefix = NULL, *trace = NULL;
  bool small = false;
  bool json = false;
  unsigned long sample_ms = 5;
  uint64_t seed = 1;
  gcs_options_t opts = {0};
  char err[1024];

  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--json") == 0) {
      json = true;
      continue;
    }
    static const char *const with_value[] = {"--collector", "--workload", "--set", "--allocator", "--seed",
                                             "--out", "--trace", "--sample-ms", "--size", NULL};
    int k = -1;
    for (int n = 0; with_value[n]; n++)
      if (strcmp(a, with_value[n]) == 0) k = n;
    if (k < 0) return gcs_cli_usage("run: unknown argument '%s'", a);
    if (i + 1 == argc) return gcs_cli_usage("run: %s expects a value", a);
    const char *v = argv[++i];
    char *end;
    switch (k) {
    case 0: cname = v; break;
    case 1: wname = v; break;
    case 2:
      if (gcs_options_add(&opts, v, err, sizeof err) != 0) return gcs_cli_usage("run: %s", err);
      break;
    case 3:
      if (strcmp(v, "arena") && strcmp(v, "system") && strcmp(v, "jemalloc"))
        return gcs_cli_usage("run: --allocator %s: expected arena, system or jemalloc", v);
      allocator = v;
      break;
    case 4:
      errno = 0;
      seed = strtoull(v, &end, 10);
      if (errno || *end || end == v || *v == '-') return gcs_cli_usage("run: --seed %s: expected a non-negative integer", v);
      break;
    case 5: out_prefix = v; break;
    case 6: trace = v; break;
    case 8:
      if (strcmp(v, "small") && strcmp(v, "default")) return gcs_cli_usage("run: --size %s: expected small or default", v);
      small = strcmp(v, "small") == 0;
      break;
    default:
      errno = 0;
      sample_ms = strtoul(v, &end, 10);
      if (errno || *end || end == v || *v == '-' || sample_ms > 10000)
        return gcs_cli_usage("run: --sample-ms %s: expected an integer in 0..10000 (0: no sampling)", v);
      break;
    }
  }
  if (!cname) return gcs_cli_usage("run: --collector NAME is required");
  if (!wname) return gcs_cli_usage("run: --workload NAME is required");
  cell_t cell = {.seed = seed, .allocator_name = allocator};
  if ((cell.collector = gcs_collector_find(cname)) == NULL) return gcs_cli_unknown_collector("run", cname);
  if ((cell.workload = gcs_workload_find(wname)) == NULL) return gcs_cli_unknown_workload("run", wname);
  if (strcmp(cell.workload->name, "trace") == 0 && !trace) return gcs_cli_usage("run: --workload trace needs --trace FILE");
  if (trace && strcmp(cell.workload->name, "trace") != 0) return gcs_cli_usage("run: --trace is for --workload trace");
  if (strcmp(allocator, "jemalloc") == 0) {
    if (!getenv("GCSCOPE_JEMALLOC")) return reexec_with_jemalloc(full_argv);
    if (dlsym(RTLD_DEFAULT, "mallctl") == NULL) {
      gcs_error("run: jemalloc was preloaded but is not in the process (LD_PRELOAD ignored?)");
      return 1;
    }
  }
  if (strcmp(allocator, "arena") != 0 && gcs_options_add(&opts, "allocator=system", err, sizeof err) != 0)
    return gcs_cli_usage("run: %s", err);
  opts.workload_knobs = cell.workload->knobs;
  if (small) { /* the workload's small settings go first: a later --set overrides them */
    gcs_options_t user = opts;
    opts.n = 0;
    for (int i = 0; cell.workload->small && cell.workload->small[i]; i++)
      if (gcs_options_add(&opts, cell.workload->small[i], err, sizeof err) != 0) return gcs_cli_usage("run: %s", err);
    for (int i = 0; i < user.n; i++) {
      char kv[sizeof user.set[0].name + sizeof user.set[0].value + 2];
      snprintf(kv, sizeof kv, "%s=%s", user.set[i].name, user.set[i].value);
      if (gcs_options_add(&opts, kv, err, sizeof err) != 0) return gcs_cli_usage("run: %s", err);
    }
  }
  if (gcs_heap_open(cell.collector, &opts, err, sizeof err) != 0) return gcs_cli_usage("run: %s", err);

  /* ------------------------------------------------------------------ run */
  figures_t fg = {0};
  gcs_wl_ctx ctx = {.seed = seed, .path = trace, .mark = on_mark, .figure = on_figure, .driver = &cell};
  if (sample_ms && gcs_sampler_start((unsigned)sample_ms) != 0) gcs_fatal("cannot start the RSS sampler");
  fg.rss_start = gcs_rss_bytes();
  uint64_t cpu0 = thread_cpu_ns();
  cell.t0 = gcs_now_ns();
  int rc = cell.workload->run(&ctx);
  uint64_t t1 = gcs_now_ns();
  fg.cpu_ns = thread_cpu_ns() - cpu0;
  fg.wall_ns = t1 - cell.t0;
  on_mark(&ctx, "end");
  fg.rss_final = gcs_rss_bytes();
  if (gcs_heap.roots_top != gcs_heap.roots_base) {
    gcs_error("run: workload %s returned with %td roots still pushed", cell.workload->name,
              gcs_heap.roots_top - gcs_heap.roots_base);
    rc = 1;
  }

  /* ------------------------------------------------------------------ release */
  size_t nlog;
  const gcs_pause_t *log = gcs_pause_log(&nlog);
  size_t nrun = 0;
  while (nrun < nlog && log[nrun].start_ns < t1) nrun++;
  gcs_interval_t *iv = malloc((nrun ? nrun : 1) * sizeof *iv);
  if (!iv) gcs_fatal("out of memory");
  size_t niv = gcs_pauses_merge(log, nrun, iv, &fg.pauses);
  for (size_t i = 0; i < niv; i++)
    if (iv[i].end > t1) iv[i].end = t1;
  for (size_t i = 0; i < NWINDOWS; i++) fg.mmu[i] = gcs_mmu(iv, niv, cell.t0, t1, mmu_windows_ns[i]);
  free(iv);

  gcs_heap_collect(-1);
  if (gcs_heap.allocator == GCS_ALLOC_ARENA && gcs_knob("release") == GCS_RELEASE_POOL) {
    struct timespec ts = {0, (long)(gcs_knob("purge_delay_ms") + 1) * 1000000L};
    while (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    nanosleep(&ts, NULL);
    gcs_arena_collect(false);
  }
  on_mark(&ctx, "after_release");
  fg.rss_after_release = gcs_rss_bytes();
  fg.live_bytes_after_release = gcs_heap.live_bytes;
  fg.stats = gcs_heap.stats;
  if (gcs_heap.allocator == GCS_ALLOC_ARENA) {
    fg.arena = *gcs_arena_stats();
    fg.have_arena = true;
  }
  size_t nrss = 0;
  const gcs_rss_sample_t *rss = sample_ms ? gcs_sampler_stop(&nrss) : NULL;
  fg.hwm = vm_hwm_bytes();
  fg.rss_peak = fg.rss_final > fg.rss_start ? fg.rss_final : fg.rss_start;
  for (size_t i = 0; i < nrss; i++)
    if (rss[i].rss > fg.rss_peak) fg.rss_peak = rss[i].rss;
  for (int i = 0; i < cell.nmarks; i++)
    if (cell.marks[i].smaps.rss > fg.rss_peak) fg.rss_peak = cell.marks[i].smaps.rss;
  /* The reference point for what was returned: the workload's "built" mark, else the end. */
  const mark_t *ref = find_mark(&cell, "built");
  if (!ref) ref = find_mark(&cell, "end");
  fg.rss_built = ref ? ref->smaps.rss : fg.rss_final;
  fg.live_bytes_built = ref ? ref->live_bytes : 0;
  fg.returned_bytes = fg.rss_built > fg.rss_after_release ? fg.rss_built - fg.rss_after_release : 0;
  uint64_t freed = fg.live_bytes_built > fg.live_bytes_after_release ? fg.live_bytes_built - fg.live_bytes_after_release : 0;
  fg.returned_fraction = freed ? (double)fg.returned_bytes / (double)freed : -1.0;
  if (fg.live_bytes_built < fg.live_bytes_after_release) fg.live_bytes_built = fg.live_bytes_after_release;

  size_t pauses_len = 0;
  char *pauses_buf = render_pauses(&cell, &pauses_len);
  char *json_buf = NULL;
  size_t json_len = 0;
  gcs_heap_close(&fg.teardown);
  FILE *m = open_memstream(&json_buf, &json_len);
  write_json(m, &cell, &fg);
  fclose(m);
  if (rc != 0) {
    gcs_error("run: %s × %s failed its self-check (no result written)", cell.collector->name, cell.workload->name);
    free(json_buf);
    free(pauses_buf);
    return 1;
  }
  int bad = 0;
  if (out_prefix) bad |= write_outputs(out_prefix, &cell, &fg, pauses_buf, pauses_len, rss, nrss, json_buf, json_len);
  if (json) {
    fwrite(json_buf, 1, json_len, stdout);
  } else {
    write_summary(stdout, &cell, &fg);
  }
  free(json_buf);
  free(pauses_buf);
  return (fflush(stdout) != 0 || bad) ? 1 : 0;
}
