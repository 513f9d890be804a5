/*
** measure.h — figures from a run: the pause log's statistics and MMU, the RSS sampler, and
** the cell's figures, each declared once (GCS_CELL_FIGURES). Grouped by the file that defines
** them.
*/
#ifndef GCS_MEASURE_H
#define GCS_MEASURE_H

#include "core/internal.h"

#include <stddef.h>
#include <stdint.h>

/* "pausestats.c" — figures from the pause log. */
typedef struct gcs_interval {
  uint64_t start, end;          /* ns, start <= end */
} gcs_interval_t;

/* The names of gcs_pause_t.origin's values: "collector" (its own decision), "workload" (an
** explicit gcs_heap_collect: the workload's; in a cell's release phase, the cell's). */
#define GCS_PAUSE_NORIGINS 2
extern const char *const gcs_pause_origin_names[GCS_PAUSE_NORIGINS];

typedef struct gcs_pause_summary {
  uint64_t count;               /* top-level pauses (one nested in another counts once) */
  uint64_t p50, p90, p99, p999, max, total;   /* ns; total = union of the intervals */
  uint64_t by_kind[GCS_PAUSE_NKINDS];         /* top-level pauses of each kind */
  uint64_t by_origin[GCS_PAUSE_NORIGINS];     /* ... of each origin (gcs_pause_t.origin) */
  uint64_t cpu_total;           /* ns: sum of the top-level pauses' cpu_ns */
  uint64_t descheduled;         /* top-level pauses gcs_pause_descheduled flags */
} gcs_pause_summary_t;

/* Merges a log into disjoint sorted intervals (nested and overlapping pauses fuse) and
** summarises it. `out` must hold n entries; returns the number of merged intervals. */
size_t gcs_pauses_merge(const gcs_pause_t *log, size_t n, gcs_interval_t *out,
                        gcs_pause_summary_t *sum);
/* Minimum mutator utilization for window w over the run [t0, t1], exactly: the worst window
** starts at a pause's start or ends at a pause's end. A window longer than the run is the
** run. iv: disjoint, sorted, within [t0, t1]. */
double gcs_mmu(const gcs_interval_t *iv, size_t n, uint64_t t0, uint64_t t1, uint64_t w);

/* "sampler.c" — a sampler thread recording RSS over the run. */
typedef struct gcs_rss_sample {
  uint64_t t_ns, rss;                  /* when, and the RSS then */
} gcs_rss_sample_t;
/* Starts a thread sampling RSS every period_ms into a buffer mapped apart from the heap. */
int gcs_sampler_start(unsigned period_ms);
/* Stops it; returns the samples (valid until the next start) and their number. */
const gcs_rss_sample_t *gcs_sampler_stop(size_t *n);
/* The bytes of its buffer the samples so far have touched (whole pages): RSS that is the
** measurement's own. */
uint64_t gcs_sampler_resident_bytes(void);

/* "cell.c" — the figures of one cell, declared once: the table below expands into the
** cell's JSON writer, its counters TSV (the Google Benchmark counters of the matrix) and
** `gcscope list --json`'s "figures". A new figure is one line here.
**
** The MMU windows: X(window_ns, counter) — counter names the window's counters-TSV line and
** summary column, NULL for the JSON only. */
#define GCS_MMU_WINDOWS(X)                                                             \
  X(100000, NULL) X(200000, NULL) X(500000, NULL) X(1000000, "mmu_1ms")                \
  X(2000000, NULL) X(5000000, NULL) X(10000000, "mmu_10ms") X(20000000, NULL)          \
  X(50000000, NULL) X(100000000, "mmu_100ms") X(200000000, NULL) X(500000000, NULL)    \
  X(1000000000, NULL)
#define GCS_MMU_COUNT_WINDOW(ns, counter) +1
enum { GCS_MMU_NWINDOWS = 0 GCS_MMU_WINDOWS(GCS_MMU_COUNT_WINDOW) };
#undef GCS_MMU_COUNT_WINDOW
extern const uint64_t gcs_mmu_windows_ns[GCS_MMU_NWINDOWS];

/* The values of a cell's figures (what the table below points into). */
typedef struct gcs_cell_result {
  uint64_t wall_ns, cpu_ns;       /* the run: wall-clock and thread CPU time */
  double gc_fraction;             /* pauses.total / wall_ns */
  gcs_pause_summary_t pauses;     /* the run's pauses (the release phase's excluded) */
  double mmu[GCS_MMU_NWINDOWS];   /* exact MMU, window gcs_mmu_windows_ns[i] */
  uint64_t rss_start, rss_peak, rss_built, rss_final, rss_after_release, hwm; /* bytes */
  uint64_t returned_bytes;        /* what left RSS from "built" to "freed" (else after release):
                                     smaps_rollup Rss - LazyFree - instrumentation, >= 0 */
  double returned_fraction;       /* returned_bytes / freed_held_bytes; < 0: undefined */
  uint64_t freed_bytes;           /* live block bytes at "built" - at the second reading */
  uint64_t freed_held_bytes;      /* the allocator-held bytes of what was freed (same readings) */
  uint64_t allocator_returned;    /* the arena's own account of what it returned (arena only) */
  uint64_t instrumentation_bytes; /* the pause log and RSS samples, resident at the 2nd reading */
  uint64_t mapped_peak;           /* the arena's bytes_mapped_peak (arena only) */
  gcs_arena_stats_t arena;        /* after release (arena only) */
  bool have_arena;                /* allocator=arena: arena, mapped_peak are set */
  gcs_stats_t stats;              /* the heap's counters after release */
  gcs_teardown_t teardown;        /* what was still live at close */
  double allocated_per_s, bytes_allocated_per_s;  /* stats over wall_ns */
  double backlog_every;           /* knob backlog_every: 0 for a timing run */
  double backlog_samples, backlog_max_objects, backlog_max_bytes;  /* NaN in a timing run */
  double backlog_mean_objects, backlog_mean_bytes, backlog_object_s;  /* ... */
} gcs_cell_result_t;

typedef enum {
  GCS_FIG_U64,      /* uint64_t */
  GCS_FIG_DOUBLE,   /* double; NaN is written null */
  GCS_FIG_FRACTION, /* double; negative: undefined, null in JSON, -1 in the counters TSV */
  GCS_FIG_ARENA,    /* uint64_t that only the arena has: null (JSON) without it */
  GCS_FIG_ARENA_ONLY, /* uint64_t that only the arena has: absent without it */
  GCS_FIG_SERIES,   /* a list the cell writes itself (checkpoints, the workload's figures) */
} gcs_figure_type;

/* The hand-declared figures, in the JSON's order. gcs_cell_figures expands the families
** after their section's last row: pauses.by_kind (a figure per pause kind) and mmu (a figure
** per window) after "pauses", memory.arena (per GCS_ARENA_STATS field) and the series
** memory.checkpoints after "memory", stats (per GCS_STATS field) and the series figures (the
** workload's own) after "objects".
**   X(section, key, type, field of gcs_cell_result_t, unit, counter, column, scale, doc)
** section: the JSON object holding it ("" for the top level). counter: its name in
** PREFIX.counters.tsv and among the matrix's Google Benchmark counters (NULL: none).
** column: its name in the results' summary tables (NULL: none), whose value is the figure
** times scale. */
#define GCS_CELL_FIGURES(X)                                                                      \
  X("time", "wall_ns", GCS_FIG_U64, wall_ns, "ns", "wall_ns", "wall_s", 1e-9,                   \
    "wall-clock time of the run (the workload, marks included)")                                \
  X("time", "cpu_ns", GCS_FIG_U64, cpu_ns, "ns", "cpu_ns", NULL, 0,                             \
    "CPU time of the running thread over the run")                                              \
  X("time", "gc_ns", GCS_FIG_U64, pauses.total, "ns", "gc_ns", NULL, 0,                          \
    "union of the pause intervals in the run")                                                  \
  X("time", "gc_fraction", GCS_FIG_DOUBLE, gc_fraction, "fraction", NULL, "gc_fraction", 1,     \
    "gc_ns / wall_ns")                                                                          \
  X("pauses", "count", GCS_FIG_U64, pauses.count, "pauses", "pauses", "pauses", 1,              \
    "top-level pauses in the run (a pause nested in another counts once)")                     \
  X("pauses", "p50_ns", GCS_FIG_U64, pauses.p50, "ns", "p50_ns", "pause_p50_ms", 1e-6,           \
    "median pause, nearest rank")                                                               \
  X("pauses", "p90_ns", GCS_FIG_U64, pauses.p90, "ns", NULL, NULL, 0, "90th percentile pause")   \
  X("pauses", "p99_ns", GCS_FIG_U64, pauses.p99, "ns", "p99_ns", "pause_p99_ms", 1e-6,           \
    "99th percentile pause")                                                                    \
  X("pauses", "p999_ns", GCS_FIG_U64, pauses.p999, "ns", NULL, NULL, 0,                         \
    "99.9th percentile pause")                                                                  \
  X("pauses", "max_ns", GCS_FIG_U64, pauses.max, "ns", "max_ns", "pause_max_ms", 1e-6,           \
    "longest pause")                                                                            \
  X("pauses", "total_ns", GCS_FIG_U64, pauses.total, "ns", NULL, NULL, 0,                       \
    "union of the pause intervals (= time.gc_ns)")                                              \
  X("pauses", "cpu_ns", GCS_FIG_U64, pauses.cpu_total, "ns", "gc_cpu_ns", NULL, 0,              \
    "the thread's CPU time in the top-level pauses (each pause's own CPU clock)")               \
  X("pauses", "descheduled", GCS_FIG_U64, pauses.descheduled, "pauses", "descheduled", NULL, 0,  \
    "top-level pauses whose wall time exceeds their CPU time beyond gcs_pause_descheduled's "   \
    "margin: off the CPU, the machine's time more than the collector's")                        \
  X("memory", "start_rss_bytes", GCS_FIG_U64, rss_start, "bytes", NULL, NULL, 0,                \
    "RSS (statm) when the run starts")                                                          \
  X("memory", "peak_rss_bytes", GCS_FIG_U64, rss_peak, "bytes", "peak_rss", "peak_rss_mib",     \
    1.0 / 1048576, "highest RSS seen: sampler, checkpoints, start and end")                     \
  X("memory", "built_rss_bytes", GCS_FIG_U64, rss_built, "bytes", NULL, NULL, 0,                \
    "RSS at the reference mark (\"built\", else the end of the run)")                           \
  X("memory", "final_rss_bytes", GCS_FIG_U64, rss_final, "bytes", NULL, NULL, 0,                \
    "RSS (statm) when the run ends")                                                            \
  X("memory", "rss_after_release_bytes", GCS_FIG_U64, rss_after_release, "bytes",               \
    "rss_after_release", "rss_after_release_mib", 1.0 / 1048576,                               \
    "RSS after the release phase (full collection, then the arena's purge)")                    \
  X("memory", "vm_hwm_bytes", GCS_FIG_U64, hwm, "bytes", NULL, NULL, 0,                         \
    "the kernel's RSS high-water mark (VmHWM) after release")                                   \
  X("memory", "returned_bytes", GCS_FIG_U64, returned_bytes, "bytes", "returned_bytes", NULL,   \
    0, "what left RSS between the two readings (docs/memory.md): smaps_rollup Rss - LazyFree - "\
    "instrumentation_bytes at \"built\" (else the run's end) minus the same at \"freed\" (else "\
    "after release); 0 if it grew")                                                            \
  X("memory", "returned_fraction", GCS_FIG_FRACTION, returned_fraction, "fraction",             \
    "returned_fraction", "returned_fraction", 1,                                                \
    "returned_bytes / freed_held_bytes: of the memory the allocator held for what was freed, "  \
    "the fraction that left RSS; above 1 when more left (the allocator's own overhead, the "     \
    "collector's tables); null when nothing was freed")                                        \
  X("memory", "freed_bytes", GCS_FIG_U64, freed_bytes, "bytes", NULL, NULL, 0,                  \
    "live block bytes at the first reading minus after release (as requested, not as held)")   \
  X("memory", "freed_held_bytes", GCS_FIG_U64, freed_held_bytes, "bytes", NULL, NULL, 0,        \
    "what the allocator held for the blocks freed between the two readings: size classes, "     \
    "collector prefixes and (glibc, jemalloc) chunk headers included")                           \
  X("memory", "allocator_returned_bytes", GCS_FIG_ARENA, allocator_returned, "bytes", NULL,     \
    NULL, 0, "of returned_bytes, what the arena says it gave back (munmap + madvise) between "   \
    "the readings; the rest is the collector's tables and the C library (null off the arena)")  \
  X("memory", "instrumentation_bytes", GCS_FIG_U64, instrumentation_bytes, "bytes", NULL, NULL, \
    0, "resident bytes of the pause log and the RSS samples at the second reading, left out "   \
    "of returned_bytes")                                                                        \
  X("memory", "mapped_peak_bytes", GCS_FIG_ARENA, mapped_peak, "bytes", NULL, NULL, 0,          \
    "the arena's peak of mapped bytes (null for the system allocator)")                        \
  X("objects", "allocated", GCS_FIG_U64, stats.objects_allocated, "objects", "allocated",       \
    NULL, 0, "objects allocated, release phase included")                                       \
  X("objects", "freed", GCS_FIG_U64, stats.objects_freed, "objects", NULL, NULL, 0,             \
    "objects freed, release phase included")                                                    \
  X("objects", "leaked", GCS_FIG_U64, teardown.leaked_objects, "objects", "leaked", "leaked",   \
    1, "objects still live once every root was dropped and a full collection ran")             \
  X("objects", "leaked_bytes", GCS_FIG_U64, teardown.leaked_bytes, "bytes", NULL, NULL, 0,      \
    "their block bytes")                                                                        \
  X("objects", "bytes_allocated", GCS_FIG_U64, stats.bytes_allocated, "bytes", NULL, NULL, 0,   \
    "block bytes allocated (prefix + header + slots + payload)")                               \
  X("objects", "allocated_per_s", GCS_FIG_DOUBLE, allocated_per_s, "objects/s", NULL,           \
    "allocated_per_s", 1, "objects allocated per second of wall time")                          \
  X("objects", "bytes_allocated_per_s", GCS_FIG_DOUBLE, bytes_allocated_per_s, "bytes/s", NULL, \
    NULL, 0, "block bytes allocated per second of wall time")                                   \
  X("backlog", "every", GCS_FIG_DOUBLE, backlog_every, "allocations", NULL, NULL, 0,            \
    "allocations between trash-backlog samples (knob backlog_every); not 0: a backlog run, "     \
    "whose times include the marking and are not the collector's")                             \
  X("backlog", "samples", GCS_FIG_DOUBLE, backlog_samples, "samples", NULL, NULL, 0,            \
    "samples taken over the run (null in a timing run)")                                        \
  X("backlog", "max_objects", GCS_FIG_DOUBLE, backlog_max_objects, "objects", NULL,             \
    "backlog_max", 1, "most objects seen unreachable but not yet reclaimed (core/backlog.c)")  \
  X("backlog", "max_bytes", GCS_FIG_DOUBLE, backlog_max_bytes, "bytes", NULL, NULL, 0,          \
    "most block bytes seen unreachable but not yet reclaimed")                                  \
  X("backlog", "mean_objects", GCS_FIG_DOUBLE, backlog_mean_objects, "objects", NULL,           \
    "backlog_mean", 1, "the backlog's time average over the run (sampling time left out)")     \
  X("backlog", "mean_bytes", GCS_FIG_DOUBLE, backlog_mean_bytes, "bytes", NULL, NULL, 0,        \
    "the same in block bytes")                                                                  \
  X("backlog", "object_s", GCS_FIG_DOUBLE, backlog_object_s, "object-seconds", NULL, NULL, 0,   \
    "the backlog's integral over the run's time")

typedef struct gcs_figure {
  char path[64];                  /* where it is in the cell's JSON: "time.wall_ns",
                                     "mmu[window_ns=1000000].mmu" */
  const char *section;            /* the JSON object holding it, "" at the top level,
                                     "mmu" for the MMU array */
  const char *key;                /* its key there */
  gcs_figure_type type;           /* how it is stored and written */
  size_t offset;                  /* of its value in gcs_cell_result_t */
  uint64_t window_ns;             /* an MMU figure's window, else 0 */
  const char *unit;               /* "ns", "bytes", "fraction", "objects", ... */
  const char *counter;            /* its counters-TSV name, or NULL */
  const char *column;             /* its summary-table column, or NULL */
  double scale;                   /* column value = figure value × scale */
  const char *doc;                /* one line */
} gcs_figure_t;

/* One cell (collector × workload × options) run in this process: what it is, and what was
** measured. */
#define GCS_CELL_MAX_MARKS 32
#define GCS_CELL_MAX_FIGURES 32

typedef struct gcs_cell_mark {
  char label[32];                 /* the workload's name for the point */
  uint64_t t_ns;                  /* since the run's start */
  uint64_t live_bytes;            /* heap block bytes live then */
  uint64_t live_objects;          /* heap objects live then */
  gcs_smaps_t smaps;              /* RSS, anonymous, LazyFree then */
  uint64_t held_bytes;            /* what the allocator held for live blocks then: the arena's
                                     bytes_in_use; glibc's mallinfo2 uordblks + hblkhd;
                                     jemalloc's stats.allocated; mimalloc's blocks in use */
  uint64_t instrumentation_bytes; /* resident bytes of the pause log and the RSS samples */
  uint64_t arena_returned_bytes;  /* the arena's munmap + madvise bytes so far (arena only) */
} gcs_cell_mark_t;

/* A phase of the run between two marks (gcs_cell_run's phases; cell.c's header). */
typedef struct gcs_cell_phase {
  const char *name;               /* "build", "steady", a mark's label, "release" */
  const char *from, *to;          /* the marks that bound it; NULL: the run's start / end */
  uint64_t start_ns, end_ns;      /* since the run's start, start <= end */
  gcs_pause_summary_t pauses;     /* the pauses that start in [start, end) */
  double mmu[GCS_MMU_NWINDOWS];   /* exact MMU over [start, end], every pause clipped to it */
} gcs_cell_phase_t;

typedef struct gcs_cell {
  const gcs_collector_ops *collector;  /* what runs: set by the caller */
  const struct gcs_workload *workload; /* ... */
  const char *allocator_name;     /* ... arena | system | jemalloc | mimalloc */
  uint64_t seed;                  /* ... --seed */
  const char *trace;              /* ... --trace FILE, or NULL */
  unsigned sample_ms;             /* ... RSS sampling period, 0: none */
  uint64_t t0;                    /* run start, ns (CLOCK_MONOTONIC) */
  gcs_cell_mark_t marks[GCS_CELL_MAX_MARKS]; /* the workload's marks, then "end", "after_release" */
  int nmarks;                     /* marks[0..nmarks) */
  int nwl_marks;                  /* marks[0..nwl_marks) are the workload's */
  gcs_cell_phase_t phases[GCS_CELL_MAX_MARKS + 2]; /* the run split at the workload's marks */
  int nphases;                    /* phases[0..nphases) */
  struct { char name[48]; double value; } figures[GCS_CELL_MAX_FIGURES]; /* the workload's */
  int nfigures;                   /* figures[0..nfigures) */
  gcs_cell_result_t r;            /* the figures of the table */
  char *json;                     /* the cell's JSON, rendered (malloc'd) */
  size_t json_len;                /* its length */
  char *pauses_tsv;               /* the pause log as TSV, rendered before teardown (malloc'd) */
  size_t pauses_len;              /* its length */
  const gcs_rss_sample_t *rss;    /* the sampler's samples (the sampler's buffer) */
  size_t nrss;                    /* their number */
} gcs_cell_t;

/* Runs the cell whose "set by the caller" fields are filled, in this process, on the heap the
** caller opened (gcs_heap_open, for c->collector with the cell's options): the run, the release
** phase, the heap's close, and renders the JSON. Returns 0, or 1 when the workload failed its
** self-check (a message was printed; the figures are still filled). */
int gcs_cell_run(gcs_cell_t *c);
/* Checks --out PREFIX before a run: a file name at its end (not '', DIR/, . or ..), names that
** fit PATH_MAX and NAME_MAX (PREFIX.counters.tsv.tmp.PID the longest), a directory that takes a
** new file (one is created and removed); removes the temporaries of PREFIX's set that processes
** now gone left behind. 0, or an errno and a message starting "--out PREFIX: " in err. */
int gcs_cell_check_out(const char *prefix, char *err, size_t errlen);
/* Writes PREFIX.pauses.tsv, .rss.tsv, .counters.tsv and PREFIX.json as one set: PREFIX.json is
** its marker, renamed in last, so a reader that finds PREFIX.json finds the three TSVs of the
** same run beside it. The steps: every file to PREFIX.EXT.tmp.PID, fsync'd; the old PREFIX.json
** removed; the TSVs renamed in, the directory fsync'd; PREFIX.json renamed in, the directory
** fsync'd. Killed between the renames, it leaves no PREFIX.json (the TSVs there, new or old,
** belong to no complete set) and temporaries that the next gcs_cell_check_out of the same
** prefix removes. On an error every temporary is removed, and after the old marker went, the
** TSVs too. 0, or 1 after a message naming the file and what is left. */
int gcs_cell_write_files(const gcs_cell_t *c, const char *prefix);
/* The human summary of `gcscope run`. */
void gcs_cell_write_summary(FILE *out, const gcs_cell_t *c);
/* Frees what gcs_cell_run rendered. */
void gcs_cell_free(gcs_cell_t *c);
/* The MMU of r for a window of the table (GCS_MMU_WINDOWS); aborts on another window. */
double gcs_cell_mmu(const gcs_cell_result_t *r, uint64_t window_ns);

/* The allocators a cell runs on (--allocator), NULL-ended: the arena, malloc, and malloc
** with jemalloc, then mimalloc, preloaded. */
extern const char *const gcs_cell_allocators[];

/* Every figure of a cell's JSON, in its order; *n gets their number. Built on the first call. */
const gcs_figure_t *gcs_cell_figures(size_t *n);
/* The figure at `path`, or NULL. */
const gcs_figure_t *gcs_cell_figure_find(const char *path);
/* The value of figure f in r, as a double (NaN when undefined). */
double gcs_cell_figure_value(const gcs_figure_t *f, const gcs_cell_result_t *r);
/* Writes the figure table as a JSON array member `key` (for gcscope list --json). */
void gcs_cell_figures_json(gcs_json_t *j, const char *key);

#endif
