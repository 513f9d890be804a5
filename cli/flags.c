/*
** flags.c — the flags of `gcscope run` and `gcscope replay`, one table: both commands take
** --collector, --set, --allocator and --json alike; run takes the rest. Every number goes
** through the strict parser (gcs_parse_u64, core/options.h); every message names the flag as
** the user wrote it: "gcscope: CMD: --FLAG VALUE: expected ...", exit status 2.
**
** Invariant: after gcs_cli_flags_parse returns 0, f->allocator is one of gcs_cell_allocators
** (replay: arena or system, the two that need no preloading), f->opts holds every --set in
** command-line order, and the numbers are within their flags' ranges.
*/
#include "cli/cli.h"
#include "measure/measure.h"

#include <stdio.h>
#include <string.h>

enum flag_id { F_JSON, F_COLLECTOR, F_SET, F_ALLOCATOR, F_WORKLOAD, F_SEED, F_OUT, F_TRACE, F_SAMPLE_MS, F_SIZE };

static const struct {
  const char *name;     /* as typed */
  unsigned cmds;        /* GCS_CLI_RUN | GCS_CLI_REPLAY: the commands that take it */
  bool value;           /* takes the next argument as its value */
} flags[] = {
  [F_JSON] = {"--json", GCS_CLI_RUN | GCS_CLI_REPLAY, false},
  [F_COLLECTOR] = {"--collector", GCS_CLI_RUN | GCS_CLI_REPLAY, true},
  [F_SET] = {"--set", GCS_CLI_RUN | GCS_CLI_REPLAY, true},
  [F_ALLOCATOR] = {"--allocator", GCS_CLI_RUN | GCS_CLI_REPLAY, true},
  [F_WORKLOAD] = {"--workload", GCS_CLI_RUN, true},
  [F_SEED] = {"--seed", GCS_CLI_RUN, true},
  [F_OUT] = {"--out", GCS_CLI_RUN, true},
  [F_TRACE] = {"--trace", GCS_CLI_RUN, true},
  [F_SAMPLE_MS] = {"--sample-ms", GCS_CLI_RUN, true},
  [F_SIZE] = {"--size", GCS_CLI_RUN, true},
};
#define NFLAGS (int)(sizeof flags / sizeof flags[0])
#define SAMPLE_MS_MAX 10000

/* --allocator V: one of gcs_cell_allocators; replay only the first two (no preloading). */
static int allocator_flag(const char *cmd, unsigned which, const char *v, gcs_cli_flags_t *f) {
  int n = 0;
  while (gcs_cell_allocators[n] && strcmp(v, gcs_cell_allocators[n]) != 0) n++;
  if (which == GCS_CLI_REPLAY && (!gcs_cell_allocators[n] || n > 1))
    return gcs_cli_usage("replay: --allocator %s: expected %s or %s (an allocator that is preloaded "
                         "runs under gcscope run)", v, gcs_cell_allocators[0], gcs_cell_allocators[1]);
  if (!gcs_cell_allocators[n]) {
    char list[256];
    size_t used = 0;
    list[0] = '\0';
    for (int i = 0; gcs_cell_allocators[i]; i++) {
      int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", gcs_cell_allocators[i]);
      if (w < 0 || (size_t)w >= sizeof list - used) gcs_fatal("flags.c: the allocator list outgrew its buffer");
      used += (size_t)w;
    }
    return gcs_cli_usage("%s: --allocator %s: expected one of %s", cmd, v, list);
  }
  f->allocator = gcs_cell_allocators[n];
  return 0;
}

static int value_flag(const char *cmd, unsigned which, enum flag_id id, const char *v, gcs_cli_flags_t *f) {
  char err[1024];
  uint64_t u;
  switch (id) {
  case F_COLLECTOR: f->collector = v; return 0;
  case F_WORKLOAD: f->workload = v; return 0;
  case F_OUT: f->out = v; return 0;
  case F_TRACE: f->trace = v; return 0;
  case F_SET:
    if (gcs_options_add(&f->opts, v, err, sizeof err) != 0) return gcs_cli_usage("%s: %s", cmd, err);
    return 0;
  case F_ALLOCATOR: return allocator_flag(cmd, which, v, f);
  case F_SEED:
    if (gcs_parse_u64(v, UINT64_MAX, &f->seed) != 0)
      return gcs_cli_usage("%s: --seed %s: expected an integer in 0..%llu", cmd, v, (unsigned long long)UINT64_MAX);
    return 0;
  case F_SAMPLE_MS:
    if (gcs_parse_u64(v, SAMPLE_MS_MAX, &u) != 0)
      return gcs_cli_usage("%s: --sample-ms %s: expected an integer in 0..%d (0: no sampling)", cmd, v, SAMPLE_MS_MAX);
    f->sample_ms = (unsigned)u;
    return 0;
  case F_SIZE:
    if (strcmp(v, "small") != 0 && strcmp(v, "bench") != 0 && strcmp(v, "default") != 0)
      return gcs_cli_usage("%s: --size %s: expected small, bench or default", cmd, v);
    f->small = strcmp(v, "small") == 0;
    f->bench = strcmp(v, "bench") == 0;
    return 0;
  case F_JSON: break;
  }
  gcs_fatal("flags.c: flag %d takes no value", (int)id);
}

int gcs_cli_flags_parse(unsigned which, int argc, char **argv, gcs_cli_flags_t *f) {
  const char *cmd = which == GCS_CLI_RUN ? "run" : "replay";
  memset(f, 0, sizeof *f);
  f->allocator = gcs_cell_allocators[0];
  f->seed = 1;
  f->sample_ms = 5;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int id = 0;
    while (id < NFLAGS && !((flags[id].cmds & which) && strcmp(a, flags[id].name) == 0)) id++;
    if (id == NFLAGS) {
      if (a[0] == '-' && a[1] != '\0') return gcs_cli_usage("%s: unknown flag '%s'", cmd, a);
      if (which == GCS_CLI_RUN) return gcs_cli_usage("run: unexpected argument '%s'", a);
      if (f->file) return gcs_cli_usage("replay: expected one FILE, got a second: '%s'", a);
      f->file = a;
    } else if (!flags[id].value) {
      f->json = true; /* F_JSON, the one flag without a value */
    } else {
      if (i + 1 == argc) return gcs_cli_usage("%s: %s expects a value", cmd, a);
      int rc = value_flag(cmd, which, (enum flag_id)id, argv[++i], f);
      if (rc) return rc;
    }
  }
  if (!f->collector) return gcs_cli_usage("%s: --collector NAME is required", cmd);
  return 0;
}

int gcs_cli_flags_allocator(unsigned which, gcs_cli_flags_t *f) {
  char err[1024];
  if (strcmp(f->allocator, gcs_cell_allocators[0]) == 0) return 0;
  if (gcs_options_add(&f->opts, "allocator=system", err, sizeof err) != 0)
    return gcs_cli_usage("%s: --allocator %s: %s", which == GCS_CLI_RUN ? "run" : "replay", f->allocator, err);
  return 0;
}
