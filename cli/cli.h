/*
** cli.h — the gcscope command: its messages and its commands, grouped by the file that
** defines them. Nothing below cli/ includes this file.
*/
#ifndef GCS_CLI_H
#define GCS_CLI_H

#include "core/internal.h"

/* "messages.c" — the command line's messages: one line on stderr, exit status 2. */
/* "gcscope: " + the message + a pointer to --help. */
int gcs_cli_usage(const char *fmt, ...) GCS_PRINTF(1, 2);
/* "gcscope: CMD: unknown collector 'NAME' (expected one of: ...)"; CMD may be "". */
int gcs_cli_unknown_collector(const char *cmd, const char *name);
int gcs_cli_unknown_workload(const char *cmd, const char *name);

/* "run.c" — `gcscope run`; full_argv is main's argv (re-executed for jemalloc). */
int gcs_cmd_run(int argc, char **argv, char **full_argv);

/* "cell.c" — `gcscope cell`: `gcscope run` in a child process, with a timeout. */
int gcs_cmd_cell(int argc, char **argv);

/* "tune.c" — `gcscope tune`: execs tools/tune.py (docs/tune.md). */
int gcs_cmd_tune(int argc, char **argv, char **full_argv);

#endif
