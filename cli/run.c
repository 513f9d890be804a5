/*
** run.c — `gcscope run`: its flags; the cell itself (the run, its phases, its figures and
** files) is measure/cell.c's.
**
**   gcscope run --collector C --workload W [--set knob=value ...]
**               [--allocator arena|system|jemalloc] [--seed N] [--trace FILE]
**               [--size small|default] [--sample-ms N] [--out PREFIX] [--json] [--record FILE]
**
** --record FILE writes the workload's mutator ops as a trace (docs/trace-format.md; FILE.gtrb:
** the binary form), for `replay` and `run --workload trace` under any collector or peer.
**
** --size small applies the workload's `small` settings (what make test runs) before any --set.
**
** --allocator jemalloc re-executes this program with jemalloc preloaded (as mimalloc-bench
** does) and allocator=system; the child checks that jemalloc is really there.
**
** Output goes to memory first and is written whole: stdout at the end (the JSON with --json,
** else a summary), and with --out PREFIX the files PREFIX.json, .pauses.tsv, .rss.tsv,
** .counters.tsv (gcs_cell_write_files). A cell that fails its self-check writes nothing.
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
  const char *cname = NULL, *wname = NULL, *allocator = "arena", *out_prefix = NULL, *trace = NULL;
  const char *record = NULL;
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
                                             "--out", "--trace", "--sample-ms", "--size", "--record", NULL};
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
      allocator = NULL;
      for (int n = 0; gcs_cell_allocators[n]; n++)
        if (strcmp(v, gcs_cell_allocators[n]) == 0) allocator = gcs_cell_allocators[n];
      if (!allocator) return gcs_cli_usage("run: --allocator %s: expected arena, system or jemalloc", v);
      break;
    case 4:
      errno = 0;
      seed = strtoull(v, &end, 10);
      if (errno || *end || end == v || *v == '-') return gcs_cli_usage("run: --seed %s: expected a non-negative integer", v);
      break;
    case 5: out_prefix = v; break;
    case 6: trace = v; break;
    case 9: record = v; break;
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
  gcs_cell_t cell = {.seed = seed, .allocator_name = allocator, .trace = trace, .record = record,
                     .sample_ms = (unsigned)sample_ms};
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

  int rc = gcs_cell_run(&cell);
  if (rc != 0) {
    gcs_error("run: %s × %s failed its self-check (no result written)", cell.collector->name, cell.workload->name);
    gcs_cell_free(&cell);
    return 1;
  }
  int bad = 0;
  if (out_prefix) bad |= gcs_cell_write_files(&cell, out_prefix);
  if (json) fwrite(cell.json, 1, cell.json_len, stdout);
  else gcs_cell_write_summary(stdout, &cell);
  gcs_cell_free(&cell);
  return (fflush(stdout) != 0 || bad) ? 1 : 0;
}
