/*
** run.c — `gcscope run`: its flags (parsed by flags.c, the table it shares with replay) made
** into a cell; the cell itself (the run, its phases, its figures and files) is measure/cell.c's.
**
**   gcscope run --collector C --workload W [--set knob=value ...]
**               [--allocator arena|system|jemalloc] [--seed N] [--trace FILE]
**               [--size small|default] [--sample-ms N] [--out PREFIX] [--json]
**
** --size small applies the workload's `small` settings (what make test runs) before any --set.
**
** --allocator jemalloc re-executes this program with jemalloc preloaded (as mimalloc-bench
** does) and allocator=system; the child checks that jemalloc is really there.
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

#define JEMALLOC_PATH "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"

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
  gcs_cli_flags_t f;
  char err[1024];
  int bad = gcs_cli_flags_parse(GCS_CLI_RUN, argc, argv, &f);
  if (bad) return bad;
  const char *cname = f.collector, *wname = f.workload, *allocator = f.allocator, *trace = f.trace;
  if (!wname) return gcs_cli_usage("run: --workload NAME is required");
  gcs_cell_t cell = {.seed = f.seed, .allocator_name = allocator, .trace = trace, .sample_ms = f.sample_ms};
  if ((cell.collector = gcs_collector_find(cname)) == NULL) return gcs_cli_unknown_collector("run", cname);
  if ((cell.workload = gcs_workload_find(wname)) == NULL) return gcs_cli_unknown_workload("run", wname);
  if (f.out && gcs_cell_check_out(f.out, err, sizeof err) != 0) return gcs_cli_usage("run: %s", err);
  if (strcmp(cell.workload->name, "trace") == 0 && !trace) return gcs_cli_usage("run: --workload trace needs --trace FILE");
  if (trace && strcmp(cell.workload->name, "trace") != 0) return gcs_cli_usage("run: --trace is for --workload trace");
  if (strcmp(allocator, "jemalloc") == 0) {
    if (!getenv("GCSCOPE_JEMALLOC")) return reexec_with_jemalloc(full_argv);
    if (dlsym(RTLD_DEFAULT, "mallctl") == NULL) {
      gcs_error("run: jemalloc was preloaded but is not in the process (LD_PRELOAD ignored?)");
      return 1;
    }
  }
  if ((bad = gcs_cli_flags_allocator(GCS_CLI_RUN, &f)) != 0) return bad;
  gcs_options_t opts = f.opts;
  opts.workload_knobs = cell.workload->knobs;
  if (f.small) { /* the workload's small settings go first: a later --set overrides them */
    opts.n = 0;
    for (int i = 0; cell.workload->small && cell.workload->small[i]; i++)
      if (gcs_options_add(&opts, cell.workload->small[i], err, sizeof err) != 0) return gcs_cli_usage("run: %s", err);
    for (int i = 0; i < f.opts.n; i++) {
      if (opts.n == GCS_MAX_OPTIONS)
        return gcs_cli_usage("run: --size small and the --set flags: more than %d options", GCS_MAX_OPTIONS);
      opts.set[opts.n++] = f.opts.set[i];
    }
  }
  if (gcs_heap_open(cell.collector, &opts, err, sizeof err) != 0) return gcs_cli_usage("run: %s", err);

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
