/*
** run.c — `gcscope run`: its flags (parsed by flags.c, the table it shares with replay) made
** into a cell; the cell itself (the run, its phases, its figures and files) is measure/cell.c's.
**
**   gcscope run --collector C --workload W [--set knob=value ...]
**               [--allocator arena|system|jemalloc|mimalloc] [--seed N] [--trace FILE]
**               [--size small|bench|default] [--sample-ms N] [--out PREFIX] [--json] [--record FILE]
**
** --record FILE writes the workload's mutator ops as a trace (docs/trace-format.md; FILE.gtrb:
** the binary form), for `replay` and `run --workload trace` under any collector or peer.
**
** --size small applies the workload's `small` settings (what make test runs) before any --set;
** --size bench its `bench` settings (what make bench runs: about a quarter of the defaults).
**
** --allocator jemalloc|mimalloc re-executes this program with that library preloaded (as
** mimalloc-bench does) and allocator=system; the child checks that malloc is really the
** library's (the table `preloads`).
**
** Output goes to memory first and is written whole: stdout at the end (the JSON with --json,
** else a summary), and with --out PREFIX the files PREFIX.pauses.tsv, .rss.tsv, .counters.tsv
** and PREFIX.json, one set whose marker PREFIX.json is renamed in last (gcs_cell_write_files).
** --out is checked before the run (gcs_cell_check_out: a file name, names that fit, a
** directory that takes files). A cell that fails its self-check writes nothing.
*/
#define _GNU_SOURCE
#include "cli/cli.h"
#include "measure/measure.h"
#include "collectors/collectors.h"
#include "workloads/workloads.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The allocators --allocator runs by preloading a shared library (as mimalloc-bench does):
** the process re-executes itself with the library in LD_PRELOAD and a marker in its
** environment; the child runs with allocator=system and checks that malloc really is the
** library's (the function the dynamic linker binds to `malloc` lies in the same object as a
** symbol only that library defines). */
typedef struct preload {
  const char *name;        /* the --allocator value */
  const char *path;        /* the shared library preloaded */
  const char *package;     /* the Debian package that installs it */
  const char *marker;      /* set in the child's environment: it is preloaded */
  const char *symbol;      /* defined by that library alone */
} preload;

static const preload preloads[] = {
  {"jemalloc", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "libjemalloc2", "GCSCOPE_JEMALLOC", "mallctl"},
  {"mimalloc", "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2", "libmimalloc2.0", "GCSCOPE_MIMALLOC", "mi_version"},
};

/* In the parent: re-executes with p preloaded (never returns on success). In the child
** (the marker set): 0 when malloc is p's, else an error. */
static int preload_allocator(const preload *p, char **argv) {
  if (!getenv(p->marker)) {
    if (access(p->path, R_OK) != 0) {
      gcs_error("run: --allocator %s needs %s (Debian's %s; make deps)", p->name, p->path, p->package);
      return 2;
    }
    setenv("LD_PRELOAD", p->path, 1);
    setenv(p->marker, "1", 1);
    execv("/proc/self/exe", argv);
    gcs_error("run: cannot re-execute with %s: %s", p->name, strerror(errno));
    return 1;
  }
  void *sym = dlsym(RTLD_DEFAULT, p->symbol), *fn = dlsym(RTLD_DEFAULT, "malloc");
  Dl_info in_sym, in_malloc;
  if (!sym || !fn || !dladdr(sym, &in_sym) || !dladdr(fn, &in_malloc) || in_sym.dli_fbase != in_malloc.dli_fbase) {
    gcs_error("run: %s was preloaded but does not serve malloc (LD_PRELOAD ignored?)", p->name);
    return 1;
  }
  return 0;
}

int gcs_cmd_run(int argc, char **argv, char **full_argv) {
  gcs_cli_flags_t f;
  char err[1024];
  int bad = gcs_cli_flags_parse(GCS_CLI_RUN, argc, argv, &f);
  if (bad) return bad;
  const char *cname = f.collector, *wname = f.workload, *allocator = f.allocator, *trace = f.trace;
  if (!wname) return gcs_cli_usage("run: --workload NAME is required");
  gcs_cell_t cell = {.seed = f.seed, .allocator_name = allocator, .trace = trace, .record = f.record,
                     .sample_ms = f.sample_ms};
  if ((cell.collector = gcs_collector_find(cname)) == NULL) return gcs_cli_unknown_collector("run", cname);
  if ((cell.workload = gcs_workload_find(wname)) == NULL) return gcs_cli_unknown_workload("run", wname);
  if (f.out && gcs_cell_check_out(f.out, err, sizeof err) != 0) return gcs_cli_usage("run: %s", err);
  if (strcmp(cell.workload->name, "trace") == 0 && !trace) return gcs_cli_usage("run: --workload trace needs --trace FILE");
  if (trace && strcmp(cell.workload->name, "trace") != 0) return gcs_cli_usage("run: --trace is for --workload trace");
  for (size_t n = 0; n < sizeof preloads / sizeof preloads[0]; n++) {
    if (strcmp(allocator, preloads[n].name) != 0) continue;
    int prc = preload_allocator(&preloads[n], full_argv);
    if (prc != 0) return prc;
  }
  if ((bad = gcs_cli_flags_allocator(GCS_CLI_RUN, &f)) != 0) return bad;
  gcs_options_t opts = f.opts;
  opts.workload_knobs = cell.workload->knobs;
  const char *const *sized = f.small ? cell.workload->small : f.bench ? cell.workload->bench : NULL;
  if (f.small || f.bench) { /* the workload's size settings go first: a later --set overrides them */
    opts.n = 0;
    for (int i = 0; sized && sized[i]; i++)
      if (gcs_options_add(&opts, sized[i], err, sizeof err) != 0) return gcs_cli_usage("run: %s", err);
    for (int i = 0; i < f.opts.n; i++) {
      if (opts.n == GCS_MAX_OPTIONS)
        return gcs_cli_usage("run: --size and the --set flags: more than %d options", GCS_MAX_OPTIONS);
      opts.set[opts.n++] = f.opts.set[i];
    }
  }
  if ((bad = gcs_heap_open(cell.collector, &opts, err, sizeof err)) != 0) return gcs_cli_open_failed("run", bad, err);

  int rc = gcs_cell_run(&cell);
  if (rc != 0) {
    gcs_error("run: %s × %s failed its self-check (no result written)", cell.collector->name, cell.workload->name);
    gcs_cell_free(&cell);
    return 1;
  }
  bad = 0;
  if (f.out) bad |= gcs_cell_write_files(&cell, f.out);
  if (f.json) fwrite(cell.json, 1, cell.json_len, stdout);
  else gcs_cell_write_summary(stdout, &cell);
  gcs_cell_free(&cell);
  return (fflush(stdout) != 0 || bad) ? 1 : 0;
}
