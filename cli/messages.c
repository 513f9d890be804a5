/*
** messages.c — the command line's messages, shared by every command (main.c, run.c): one line on
** stderr naming what was wrong, and exit status 2; a heap that cannot open for want of memory
** is a run-time failure, not a bad command line: exit 70, as every other out-of-memory exit
** (gcs_fatal, core/error.c; docs/faults.md).
*/
#include "cli/cli.h"
#include "collectors/collectors.h"
#include "workloads/workloads.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int gcs_cli_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("gcscope: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\n(try gcscope --help)\n", stderr);
  return 2;
}

int gcs_cli_unknown_collector(const char *cmd, const char *name) {
  fprintf(stderr, "gcscope: %s%sunknown collector '%s' (expected one of:", cmd, *cmd ? ": " : "", name);
  for (int i = 0; gcs_collectors[i]; i++) fprintf(stderr, " %s", gcs_collectors[i]->name);
  fprintf(stderr, ")\n");
  return 2;
}

int gcs_cli_unknown_workload(const char *cmd, const char *name) {
  fprintf(stderr, "gcscope: %s%sunknown workload '%s' (expected one of:", cmd, *cmd ? ": " : "", name);
  for (int i = 0; gcs_workloads[i]; i++) fprintf(stderr, " %s", gcs_workloads[i]->name);
  fprintf(stderr, ")\n");
  return 2;
}

int gcs_cli_open_failed(const char *cmd, int rc, const char *err) {
  if (rc != ENOMEM) return gcs_cli_usage("%s%s%s", cmd, *cmd ? ": " : "", err);
  fprintf(stderr, "gcscope: %s%sout of memory: %s\n", cmd, *cmd ? ": " : "", err);
  return 70; /* EX_SOFTWARE, as gcs_fatal */
}
