/*
** cell.c — `gcscope cell [--timeout-s N] --out PREFIX RUN-FLAGS...`: `gcscope run RUN-FLAGS
** --out PREFIX` in a fresh child process through the one cell runner (driver/runner.c), its
** stderr to PREFIX.log, its stdout ours; killed after N seconds (default 600). Exits with the
** child's status, 124 on a timeout (as timeout(1)), 128 + N when signal N ended it.
**
** --timeout-s and --out may stand anywhere; every other argument goes to `run` unchanged
** (each run flag but --json takes one value, so a value is never mistaken for a flag).
*/
#include "cli/cli.h"
#include "driver/runner.h"
#include "measure/measure.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_S 600

int gcs_cmd_cell(int argc, char **argv) {
  char *prefix = NULL;
  unsigned long timeout_s = DEFAULT_TIMEOUT_S;
  char **args = calloc((size_t)argc + 5, sizeof *args);
  if (!args) gcs_fatal("out of memory");
  static char name[] = "gcscope", run[] = "run", out[] = "--out"; /* posix_spawn wants char * */
  int n = 0;
  args[n++] = name;
  args[n++] = run;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--json") == 0) {
      args[n++] = argv[i];
      continue;
    }
    if (i + 1 == argc) {
      free(args);
      return gcs_cli_usage("cell: %s expects a value", a);
    }
    if (strcmp(a, "--out") == 0) {
      prefix = argv[++i];
    } else if (strcmp(a, "--timeout-s") == 0) {
      const char *v = argv[++i];
      int64_t t;
      if (gcs_parse_i64(v, 1, 86400, &t) != 0) {
        free(args);
        return gcs_cli_usage("cell: --timeout-s %s: expected an integer in 1..86400", v);
      }
      timeout_s = (unsigned long)t;
    } else {
      args[n++] = argv[i];
      args[n++] = argv[++i];
    }
  }
  if (!prefix) {
    free(args);
    return gcs_cli_usage("cell: --out PREFIX is required");
  }
  char err[512];
  if (gcs_cell_check_out(prefix, err, sizeof err) != 0) { /* before PREFIX.log is opened */
    free(args);
    return gcs_cli_usage("cell: %s", err);
  }
  args[n++] = out;
  args[n++] = prefix;
  args[n] = NULL;

  char self[PATH_MAX], log[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len < 0) {
    free(args);
    gcs_error("cell: cannot find this program (/proc/self/exe): %s", strerror(errno));
    return 1;
  }
  self[len] = '\0';
  if ((size_t)snprintf(log, sizeof log, "%s.log", prefix) >= sizeof log) {
    free(args);
    return gcs_cli_usage("cell: --out %s: too long", prefix);
  }
  fflush(stdout);
  int rc = gcs_runner_run(self, args, log, false, (unsigned)timeout_s, err, sizeof err);
  free(args);
  if (rc < 0) {
    gcs_error("cell: %s", err);
    return 1;
  }
  if (rc == GCS_RUNNER_TIMEOUT) gcs_error("cell: timed out after %lu s (see %s)", timeout_s, log);
  else if (rc != 0) gcs_error("cell: the run failed (%s %d; see %s)", rc > 128 ? "signal" : "exit", rc > 128 ? rc - 128 : rc, log);
  return rc;
}
