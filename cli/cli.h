/*
** cli.h — the gcscope command: its messages and its commands, grouped by the file that
** defines them. Nothing below cli/ includes this file.
*/
#ifndef GCS_CLI_H
#define GCS_CLI_H

#include "core/internal.h"

/* "messages.c" — the command line's messages: one line on stderr, exit status 2 (70: out of
** memory at open). */
/* "gcscope: " + the message + a pointer to --help. */
int gcs_cli_usage(const char *fmt, ...) GCS_PRINTF(1, 2);
/* "gcscope: CMD: unknown collector 'NAME' (expected one of: ...)"; CMD may be "". */
int gcs_cli_unknown_collector(const char *cmd, const char *name);
int gcs_cli_unknown_workload(const char *cmd, const char *name);
/* gcs_heap_open failed with rc and message err: ENOMEM is "gcscope: CMD: out of memory: ERR"
** and exit status 70 (a run-time failure); anything else (EINVAL: a bad option; a peer that
** cannot start) a usage message and 2. */
int gcs_cli_open_failed(const char *cmd, int rc, const char *err);

/* "flags.c" — the flags of run and replay, one table. */
enum { GCS_CLI_RUN = 1, GCS_CLI_REPLAY = 2 };
typedef struct gcs_cli_flags {
  const char *collector;  /* --collector NAME (required) */
  const char *workload;   /* --workload NAME (run) */
  const char *allocator;  /* --allocator A: an entry of gcs_cell_allocators; default arena */
  const char *out;        /* --out PREFIX (run), or NULL */
  const char *trace;      /* --trace FILE (run), or NULL */
  const char *record;     /* --record FILE (run): the workload written as a trace, or NULL */
  const char *file;       /* the one FILE argument (replay), or NULL */
  bool json;              /* --json */
  bool small;             /* --size small (run) */
  bool bench;             /* --size bench (run): make bench's size */
  uint64_t seed;          /* --seed N (run); default 1 */
  unsigned sample_ms;     /* --sample-ms N (run), 0..10000; default 5 */
  gcs_options_t opts;     /* every --set, in command-line order */
} gcs_cli_flags_t;
/* Parses the flags of `gcscope run` (GCS_CLI_RUN) or `replay` (GCS_CLI_REPLAY): 0, or 2 after a
** usage message naming the flag. */
int gcs_cli_flags_parse(unsigned which, int argc, char **argv, gcs_cli_flags_t *f);
/* Adds allocator=system to f->opts unless --allocator is arena: 0, or 2 after a message. */
int gcs_cli_flags_allocator(unsigned which, gcs_cli_flags_t *f);

/* "run.c" — `gcscope run`; full_argv is main's argv (re-executed for jemalloc). */
int gcs_cmd_run(int argc, char **argv, char **full_argv);

/* "cell.c" — `gcscope cell`: `gcscope run` in a child process, with a timeout. */
int gcs_cmd_cell(int argc, char **argv);

/* "tune.c" — `gcscope tune`: execs tools/tune.py (docs/tune.md). */
int gcs_cmd_tune(int argc, char **argv, char **full_argv);

#endif
