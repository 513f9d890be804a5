/*
** matrix.c — gcscope-bench: the collector × workload × size × allocator matrix through Google
** Benchmark. Every benchmark iteration is one `gcscope run` in a fresh process (so RSS and the
** allocator start clean), through the one cell runner (driver/runner.c); its figures come back as
** Google Benchmark counters, its wall time as the manual iteration time. All of Google Benchmark's
** flags work (--benchmark_filter, --benchmark_repetitions, --benchmark_out=FILE.json, ...).
**
**   gcscope-bench --out DIR [--collectors a,b] [--workloads x,y] [--sizes bench,default,small]
**                 [--allocators arena,system,jemalloc,mimalloc] [--gcscope PATH] [--cell-timeout-s N]
**                 [--repetitions N] [--resume] [Google Benchmark flags]
**
** Benchmarks are named cell/COLLECTOR/WORKLOAD/SIZE/ALLOCATOR. The system allocators (glibc,
** and jemalloc and mimalloc preloaded; --allocators defaults to every one of
** gcs_cell_allocators) are run for the workloads whose story is memory (ALLOCATOR_WORKLOADS);
** every workload runs on the arena. Each cell's own files land in DIR/cells/, PREFIX.rK for its
** K-th run: PREFIX.rK.json, .pauses.tsv, .rss.tsv, .counters.tsv (the run's, each written whole)
** and .log (its stderr, written as PREFIX.rK.log.tmp and renamed when the child has ended).
**
** --repetitions N registers the matrix N times, interleaved: repetition 1 of every cell, then
** repetition 2, ... (each run a fresh process; names end in /repK when N > 1), so a slow drift
** of the machine spreads over every cell instead of landing on a few; Google Benchmark's
** --benchmark_repetitions runs one cell's repetitions back to back.
**
** Invariants of DIR/cells/, whatever moment the matrix is stopped at: a run's four result files
** are all there (a finished run) or none is; no temporary is left but by a SIGKILL (the next
** run of that cell removes it). A failed run keeps only its .log.
**   - --benchmark_out=FILE is written whole: Google Benchmark writes FILE.tmp.PID, renamed to
**     FILE when every benchmark has run (removed when interrupted).
**   - --resume: a run whose four files are present (the JSON ending in its closing brace) and
**     whose counters read back is not run again: its counters are reported from its files,
**     labelled "kept", so FILE covers every cell again; the rest run in the same order.
**   - SIGINT, SIGTERM, SIGHUP: the running cell's child is killed (SIGKILL, reaped), that run's
**     files are removed, FILE's temporary too, and the matrix dies of the same signal (exit
**     status 128 + N in a shell). The cells finished before stay.
*/
#define _GNU_SOURCE
#include "driver/gbench.h"
#include "driver/runner.h"
#include "collectors/collectors.h"
#include "core/internal.h"
#include "measure/measure.h"
#include "workloads/workloads.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const ALLOCATOR_WORKLOADS[] = {"fragment", "churn", NULL};

typedef struct cell {
  const char *collector, *workload, *size, *allocator;  /* what runs */
  const gcs_workload_t *w;                               /* its table (for `small`) */
  char name[192];                                        /* the benchmark's name */
  int rep;                                               /* its repetition, 0..repetitions-1 */
  int runs;                                              /* iterations so far */
} cell_t;

static const char *out_dir;          /* --out */
static char gcscope_path[PATH_MAX];  /* the cell runner */
static unsigned cell_timeout_s = 300;
static int repetitions = 1;          /* --repetitions: the matrix registered this many times */
static bool resume;                  /* --resume: keep the runs whose files are whole */
static int cells_registered, cells_done, cells_kept;   /* cells_kept <= cells_done */
static uint64_t started_ns;
static char gbench_out[PATH_MAX];    /* --benchmark_out's FILE, or "" */
static char gbench_tmp[PATH_MAX];    /* what Google Benchmark writes instead: FILE.tmp.PID */
static volatile sig_atomic_t stop_signal;   /* the SIGINT/SIGTERM/SIGHUP received, or 0 */

/* The four files of a finished run, after its PREFIX. */
static const char *const RESULT_FILES[] = {".json", ".pauses.tsv", ".rss.tsv", ".counters.tsv", NULL};

static bool in_list(const char *list, const char *name) {
  if (list == NULL) return true;
  size_t n = strlen(name);
  for (const char *p = list; *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) return true;
    if (!e) break;
    p = e + 1;
  }
  return false;
}

/* Every name in list must be one of the known (NULL-ended) names. */
static int check_list(const char *flag, const char *list, const char *const *known) {
  if (list == NULL) return 0;
  char buf[512];
  if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf) {
    fprintf(stderr, "gcscope-bench: %s: a list of at most %zu characters expected\n", flag, sizeof buf - 1);
    return 2;
  }
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    bool ok = false;
    for (int i = 0; known[i]; i++) ok |= strcmp(known[i], tok) == 0;
    if (!ok) {
      fprintf(stderr, "gcscope-bench: %s: unknown name '%s' (expected one of:", flag, tok);
      for (int i = 0; known[i]; i++) fprintf(stderr, " %s", known[i]);
      fprintf(stderr, ")\n");
      return 2;
    }
  }
  return 0;
}

/* The cell's counters (PREFIX.counters.tsv): a Google Benchmark counter each. The figures the
** table gives a counter must all be there (else the cell program is of another schema); the
** rest are the workload's own. The iteration's time is the table's time.wall_ns. */
static int read_counters(gcs_bm_state *st, const char *path, double *wall_s, char *err, unsigned errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "no counters from the cell (%s): %s", path, strerror(errno));
    return 1;
  }
  size_t nfig;
  const gcs_figure_t *fig = gcs_cell_figures(&nfig);
  const gcs_figure_t *wall = gcs_cell_figure_find("time.wall_ns");
  bool seen[256] = {false};
  char line[256], name[128];
  double v;
  *wall_s = -1;
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || sscanf(line, "%127s %lf", name, &v) != 2) continue;
    gcs_bm_counter(st, name, v);
    for (size_t i = 0; i < nfig && i < 256; i++)
      if (fig[i].counter && strcmp(fig[i].counter, name) == 0) seen[i] = true;
    if (strcmp(name, wall->counter) == 0) *wall_s = v * wall->scale;
  }
  fclose(f);
  for (size_t i = 0; i < nfig && i < 256; i++) {
    if (fig[i].counter && !seen[i]) {
      snprintf(err, errlen, "%s has no %s (the figure %s)", path, fig[i].counter, fig[i].path);
      return 1;
    }
  }
  return 0;
}

static void on_signal(int sig) {
  stop_signal = sig;
  gcs_runner_stop = 1;   /* the runner kills the running child within a poll */
}

/* Dies of the signal received, after removing the temporary of --benchmark_out. Called from
** the matrix's own flow (never from the handler), with the running cell's files removed. */
static _Noreturn void die_interrupted(void) {
  int sig = stop_signal;
  if (gbench_tmp[0]) unlink(gbench_tmp);
  fprintf(stderr, "gcscope-bench: interrupted (%s) after %d of %d cells%s; their files are kept, "
          "--resume runs the rest\n", strsignal(sig), cells_done, cells_registered,
          cells_kept ? " (some kept from an earlier run)" : "");
  signal(sig, SIG_DFL);
  raise(sig);
  _exit(128 + sig);
}

/* Removes the files of the run at PREFIX (DIR/cells/NAME.rK): every DIR/cells/NAME.rK.* —
** results, temporaries a killed child left, its log unless keep_log. */
static void remove_run(const char *prefix, bool keep_log) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", prefix);
  char *slash = strrchr(dir, '/');
  const char *base = slash ? slash + 1 : prefix;
  if (slash) *slash = '\0';
  size_t len = strlen(base);
  DIR *d = opendir(slash ? dir : ".");
  if (!d) return;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strncmp(e->d_name, base, len) != 0 || e->d_name[len] != '.') continue;
    if (keep_log && strcmp(e->d_name + len, ".log") == 0) continue;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", slash ? dir : ".", e->d_name) < (int)sizeof path) unlink(path);
  }
  closedir(d);
}

/* Whether the run at PREFIX finished: its four result files present, the JSON's last
** non-blank byte its closing brace (each file is renamed into place whole, so this only
** rejects what a hand or an older gcscope left). */
static bool run_whole(const char *prefix) {
  char path[PATH_MAX];
  for (int i = 0; RESULT_FILES[i]; i++) {
    struct stat sb;
    snprintf(path, sizeof path, "%s%s", prefix, RESULT_FILES[i]);
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0) return false;
  }
  snprintf(path, sizeof path, "%s.json", prefix);
  FILE *f = fopen(path, "r");
  if (!f) return false;
  int last = EOF;
  if (fseek(f, -64, SEEK_END) != 0) rewind(f);
  for (int ch; (ch = fgetc(f)) != EOF;)
    if (ch != ' ' && ch != '\n' && ch != '\t' && ch != '\r') last = ch;
  fclose(f);
  return last == '}';
}

static void progress(const cell_t *c, const char *what) {
  double elapsed = (double)(gcs_now_ns() - started_ns) / 1e9;
  fprintf(stderr, "[%d/%d] %-44s %10s   elapsed %dm%02ds\n", cells_done, cells_registered, c->name, what,
          (int)elapsed / 60, (int)elapsed % 60);
}

static int run_cell(gcs_bm_state *st, void *arg, double *seconds, char *err, unsigned errlen) {
  cell_t *c = arg;
  char prefix[PATH_MAX - 32], *argv[64];
  int n = 0;
  if (stop_signal) die_interrupted();
  snprintf(prefix, sizeof prefix, "%s/cells/%s.%s.%s.%s.r%d", out_dir, c->collector, c->workload, c->size,
           c->allocator, c->rep + repetitions * c->runs++);   /* .rK: K unique per run */
  char counters[PATH_MAX];
  snprintf(counters, sizeof counters, "%s.counters.tsv", prefix);
  if (resume && run_whole(prefix) && read_counters(st, counters, seconds, err, errlen) == 0) {
    gcs_bm_label(st, "kept");
    cells_done++;
    cells_kept++;
    progress(c, "kept");
    return 0;
  }
  remove_run(prefix, false);   /* what an interrupted, failed or killed run of it left */
  char store[4096];   /* posix_spawn wants char *const argv[]: writable copies */
  size_t used = 0;
  const char *args[64];
  int na = 0;
  args[na++] = gcscope_path;
  args[na++] = "run";
  args[na++] = "--collector";
  args[na++] = c->collector;
  args[na++] = "--workload";
  args[na++] = c->workload;
  args[na++] = "--allocator";
  args[na++] = c->allocator;
  args[na++] = "--out";
  args[na++] = prefix;
  args[na++] = "--size";
  args[na++] = c->size;
  for (int i = 0; i < na; i++) {
    size_t len = strlen(args[i]) + 1;
    if (used + len > sizeof store) {
      snprintf(err, errlen, "command line too long");
      return 1;
    }
    argv[n++] = memcpy(store + used, args[i], len);
    used += len;
  }
  argv[n] = NULL;

  char logpath[PATH_MAX], logtmp[PATH_MAX + 8];
  snprintf(logpath, sizeof logpath, "%s.log", prefix);
  snprintf(logtmp, sizeof logtmp, "%s.tmp", logpath);
  int rc = gcs_runner_run(gcscope_path, argv, logtmp, true, cell_timeout_s, err, errlen);
  if (rc == GCS_RUNNER_STOPPED || (stop_signal && rc != 0)) {   /* a child killed with us: not a failure */
    remove_run(prefix, false);
    die_interrupted();
  }
  if (access(logtmp, F_OK) == 0 && rename(logtmp, logpath) != 0) {
    snprintf(err, errlen, "cannot rename %s to %s: %s", logtmp, logpath, strerror(errno));
    rc = -1;
  }
  if (rc == 0) rc = read_counters(st, counters, seconds, err, errlen);
  else if (rc == GCS_RUNNER_TIMEOUT) snprintf(err, errlen, "timed out after %u s (see %s)", cell_timeout_s, logpath);
  else if (rc > 0)
    snprintf(err, errlen, "the cell failed (%s %d; see %s)", rc > 128 ? "signal" : "exit", rc > 128 ? rc - 128 : rc,
             logpath);
  if (rc != 0) remove_run(prefix, true);   /* a failed run keeps its log only: --resume runs it again */
  cells_done++;
  char took[32];
  snprintf(took, sizeof took, "%.3f s", rc == 0 ? *seconds : 0.0);
  progress(c, rc == 0 ? took : "FAILED");
  return rc != 0;
}

static int usage(const char *msg, const char *arg) {
  fprintf(stderr, "gcscope-bench: %s%s\n", msg, arg);
  fprintf(stderr,
          "usage: gcscope-bench --out DIR [--collectors a,b] [--workloads x,y] [--sizes bench,default,small]\n"
          "                     [--allocators arena,system,jemalloc,mimalloc] [--gcscope PATH] [--cell-timeout-s N]\n"
          "                     [--repetitions N]\n"
          "                     [Google Benchmark flags: --benchmark_filter=RE, --benchmark_repetitions=N,\n"
          "                      --benchmark_out=FILE, --benchmark_list_tests, ...]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *collectors = NULL, *workloads = NULL, *sizes = "bench", *allocators = NULL;
  const char *gcscope = NULL;
  /* Our flags first; what remains is Google Benchmark's. */
  int keep = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = strcmp(a, "--out") == 0          ? &out_dir
                        : strcmp(a, "--collectors") == 0 ? &collectors
                        : strcmp(a, "--workloads") == 0  ? &workloads
                        : strcmp(a, "--sizes") == 0      ? &sizes
                        : strcmp(a, "--allocators") == 0 ? &allocators
                        : strcmp(a, "--gcscope") == 0    ? &gcscope
                                                         : NULL;
    if (slot == NULL && strcmp(a, "--cell-timeout-s") == 0) {
      char *end;
      if (i + 1 == argc) return usage("--cell-timeout-s expects a value", "");
      unsigned long v = strtoul(argv[++i], &end, 10);
      if (*end || end == argv[i] || v == 0 || v > 86400) return usage("--cell-timeout-s: expected 1..86400, got ", argv[i]);
      cell_timeout_s = (unsigned)v;
      continue;
    }
    if (slot == NULL && strcmp(a, "--repetitions") == 0) {
      char *end;
      if (i + 1 == argc) return usage("--repetitions expects a value", "");
      long v = strtol(argv[++i], &end, 10);
      if (*end || end == argv[i] || v < 1 || v > 100) return usage("--repetitions: expected 1..100, got ", argv[i]);
      repetitions = (int)v;
      continue;
    }
    if (slot == NULL && strcmp(a, "--resume") == 0) {
      resume = true;
      continue;
    }
    if (slot == NULL) {
      argv[keep++] = argv[i];
      continue;
    }
    if (i + 1 == argc) return usage(a, " expects a value");
    *slot = argv[++i];
  }
  argc = keep;
  argv[argc] = NULL;
  bool listing = false;
  for (int i = 1; i < argc; i++) listing |= strncmp(argv[i], "--benchmark_list_tests", 22) == 0;
  if (!out_dir && !listing) return usage("--out DIR is required", "");

  const char *cnames[32], *wnames[64];
  int nc = 0, nw = 0;
  for (int i = 0; gcs_collectors[i] && nc < 31; i++) cnames[nc++] = gcs_collectors[i]->name;
  cnames[nc] = NULL;
  for (int i = 0; gcs_workloads[i] && nw < 63; i++) wnames[nw++] = gcs_workloads[i]->name;
  wnames[nw] = NULL;
  static const char *const snames[] = {"bench", "default", "small", NULL};
  const char *const *anames = gcs_cell_allocators;
  int rc;
  if ((rc = check_list("--collectors", collectors, cnames)) || (rc = check_list("--workloads", workloads, wnames)) ||
      (rc = check_list("--sizes", sizes, snames)) || (rc = check_list("--allocators", allocators, anames)))
    return rc;

  if (gcscope) {
    if (snprintf(gcscope_path, sizeof gcscope_path, "%s", gcscope) >= (int)sizeof gcscope_path)
      return usage("--gcscope: a path too long: ", gcscope);
  } else { /* beside this program */
    ssize_t len = readlink("/proc/self/exe", gcscope_path, sizeof gcscope_path - 16);
    if (len < 0) return usage("cannot find myself: ", strerror(errno));
    gcscope_path[len] = '\0';
    char *slash = strrchr(gcscope_path, '/');
    strcpy(slash ? slash + 1 : gcscope_path, "gcscope");
  }
  if (access(gcscope_path, X_OK) != 0) return usage("cannot run the cell program ", gcscope_path);
  /* The longest name a cell writes: DIR/cells/C.W.SIZE.ALLOCATOR.rK.counters.tsv.tmp.PID,
  ** each part at most its table's longest name; refuse a folder that cannot hold it, rather
  ** than cut names (run_cell builds them in PATH_MAX buffers). */
  if (out_dir) {
    size_t lc = 0, lw = 0;
    for (int i = 0; cnames[i]; i++)
      if (strlen(cnames[i]) > lc) lc = strlen(cnames[i]);
    for (int i = 0; wnames[i]; i++)
      if (strlen(wnames[i]) > lw) lw = strlen(wnames[i]);
    if (strlen(out_dir) + lc + lw + 96 >= PATH_MAX - 32)
      return usage("--out: a folder name too long for its cells' names: ", out_dir);
  }
  if (out_dir) {
    char cells[PATH_MAX];
    snprintf(cells, sizeof cells, "%s/cells", out_dir);
    mkdir(out_dir, 0755);
    if (mkdir(cells, 0755) != 0 && errno != EEXIST) return usage("cannot create ", cells);
    gcs_bm_context("gcscope_out", out_dir);
  }

  static cell_t cells[4096];
  int n = 0;
  for (int rep = 0; rep < repetitions; rep++)
  for (int wi = 0; gcs_workloads[wi]; wi++) {
    const gcs_workload_t *w = gcs_workloads[wi];
    if (strcmp(w->name, "trace") == 0 || !in_list(workloads, w->name)) continue;
    bool alloc_story = false;
    for (int k = 0; ALLOCATOR_WORKLOADS[k]; k++) alloc_story |= strcmp(ALLOCATOR_WORKLOADS[k], w->name) == 0;
    for (int si = 0; snames[si]; si++) {
      if (!in_list(sizes, snames[si])) continue;
      for (int ai = 0; anames[ai]; ai++) {
        if (!in_list(allocators, anames[ai]) || (ai > 0 && !alloc_story)) continue;
        for (int ci = 0; gcs_collectors[ci]; ci++) {
          if (!in_list(collectors, gcs_collectors[ci]->name) || n == 4096) continue;
          /* A peer that allocates through its own system (py: CPython's pymalloc) runs in the
          ** first column only: under --allocator system, jemalloc or mimalloc its objects would still
          ** come from that system, so those cells would repeat it under a false name. */
          if (ai > 0 && gcs_collectors[ci]->alloc_object) continue;
          cell_t *c = &cells[n++];
          *c = (cell_t){gcs_collectors[ci]->name, w->name, snames[si], anames[ai], w, "", rep, 0};
          int len = snprintf(c->name, sizeof c->name, "cell/%s/%s/%s/%s", c->collector, c->workload, c->size, c->allocator);
          if (repetitions > 1) snprintf(c->name + len, sizeof c->name - (size_t)len, "/rep%d", rep + 1);
          gcs_bm_register(c->name, run_cell, c);
        }
      }
    }
  }
  cells_registered = n;

  /* Google Benchmark writes its JSON as it goes: give it a temporary, renamed when it is done. */
  static char out_flag[PATH_MAX + 32];
  for (int i = 1; i < argc && !listing; i++) {
    if (strncmp(argv[i], "--benchmark_out=", 16) != 0 || argv[i][16] == '\0') continue;
    if (snprintf(gbench_out, sizeof gbench_out, "%s", argv[i] + 16) >= (int)sizeof gbench_out ||
        snprintf(gbench_tmp, sizeof gbench_tmp, "%s.tmp.%d", gbench_out, (int)getpid()) >= (int)sizeof gbench_tmp)
      return usage("--benchmark_out: the file name is too long: ", argv[i] + 16);
    snprintf(out_flag, sizeof out_flag, "--benchmark_out=%s", gbench_tmp);
    argv[i] = out_flag;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;   /* no SA_RESTART: the runner's sleep returns at once */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);

  started_ns = gcs_now_ns();
  rc = gcs_bm_main(&argc, argv);
  if (stop_signal) die_interrupted();
  if (gbench_tmp[0] && access(gbench_tmp, F_OK) == 0) {
    if (rc != 0) {
      unlink(gbench_tmp);
    } else if (rename(gbench_tmp, gbench_out) != 0) {
      fprintf(stderr, "gcscope-bench: cannot rename %s to %s: %s\n", gbench_tmp, gbench_out, strerror(errno));
      unlink(gbench_tmp);
      rc = 1;
    }
  }
  return rc;
}
