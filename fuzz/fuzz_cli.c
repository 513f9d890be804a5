/*
** fuzz_cli.c — libFuzzer target: the gcscope command line as a function. cli/main.c is
** compiled with its main renamed gcs_cli_main (fuzz/fuzz.mk), and called with an argv made
** from the input; list, knobs, replay and run parse their flags, and replay and run go on to
** replay a fuzzed trace.
**
** Input: the arguments, one a line, then an empty line, then a trace; the argument "@" is
** that trace's path (the memfd of fuzz.h).
** Skipped, so that one execution stays in this process, fast, and touches no file: `cell`
** and `tune` (they start processes), `jemalloc` (run re-executes itself), `--out` (files),
** any argument with a '/' (a device or a file elsewhere: the trace is "@"), boehm-inc (bdwgc's
** incremental mode stays on for the process: boehm would no longer open), lua-inc and lua-gen
** (their layout check refuses clang's build: fuzz_replay.c), a workload other
** than trace (a real run), roots_max and baseline_objects (a deliberate fatal exit or a huge
** heap), fail_alloc_at and fail_alloc_count (an injected out-of-memory exits 70, by design:
** docs/faults.md), and a trace beyond the replay target's bounds (fuzz.h).
**
** What it checks: the exit status is 0, 1 (a bad input file) or 2 (a bad command line), and
** no heap is left open after the command returns. stdout goes to /dev/null, and stderr too
** while the command runs (sanitizer reports keep the real stderr).
*/
#include "fuzz/fuzz.h"
#include "core/gcs.h"
#include "workloads/trace.h"
#include "workloads/workloads.h"

#include <fcntl.h>
#include <sanitizer/common_interface_defs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int gcs_cli_main(int argc, char **argv);

#define MAX_ARGS 24
#define MAX_OPS 2000

static int devnull = -1, real_stderr = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  devnull = open("/dev/null", O_WRONLY);
  real_stderr = dup(2);
  if (devnull < 0 || real_stderr < 0 || dup2(devnull, 1) < 0) abort();
  __sanitizer_set_report_fd((void *)(intptr_t)real_stderr);
  return 0;
}

/* 1 when the trace at path is within the replay bounds (or does not parse: an error path). */
static int bounded(const char *path) {
  gcs_trace_t t;
  char err[1024];
  if (gcs_trace_load(path, &t, err, sizeof err) != 0) return 1;
  int ok = t.nops <= MAX_OPS;
  for (size_t i = 0; ok && i < t.nops; i++) {
    if (t.ops[i].code == GCS_OP_NEW && t.ops[i].b > FUZZ_MAX_SLOTS) ok = 0;
    if (t.ops[i].code == GCS_OP_ATOM && t.ops[i].b > FUZZ_MAX_BYTES) ok = 0;
    if (t.ops[i].code == GCS_OP_NEW && t.ops[i].c > FUZZ_MAX_BYTES) ok = 0;
  }
  gcs_trace_free(&t);
  return ok;
}

static int skipped(char **args, int n) {
  if (n > 0 && (strcmp(args[0], "cell") == 0 || strcmp(args[0], "tune") == 0)) return 1;
  for (int i = 0; i < n; i++) {
    const char *a = args[i];
    if (strchr(a, '/') || strstr(a, "jemalloc") || strcmp(a, "boehm-inc") == 0 || strncmp(a, "lua-", 4) == 0 || strcmp(a, "--out") == 0 || strstr(a, "roots_max") ||
        strstr(a, "baseline_objects") || strstr(a, "fail_alloc"))
      return 1;
    if (i > 0 && strcmp(args[i - 1], "--workload") == 0 && gcs_workload_find(a) && strcmp(a, "trace") != 0) return 1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *sep = NULL;
  for (size_t i = 0; i + 1 < size; i++)
    if (data[i] == '\n' && data[i + 1] == '\n') {
      sep = data + i;
      break;
    }
  size_t alen = sep ? (size_t)(sep - data) : size;
  static char path[64]; /* argv holds char * */
  snprintf(path, sizeof path, "%s", sep ? gcs_fuzz_file(sep + 2, size - alen - 2) : gcs_fuzz_file(data, 0));
  if (!bounded(path)) return 0;

  char *text = malloc(alen + 1);
  memcpy(text, data, alen);
  text[alen] = '\0';
  char *argv[MAX_ARGS + 2];
  int argc = 0;
  static char prog[] = "gcscope";
  argv[argc++] = prog;
  for (char *p = text, *end = text + alen; p <= end && argc <= MAX_ARGS;) {
    char *e = p;
    while (e < end && *e != '\n' && *e != '\0') e++;
    *e = '\0';
    argv[argc++] = p;
    p = e + 1;
  }
  argv[argc] = NULL;
  if (alen == 0) argc = 1; /* no argument at all */
  int skip = skipped(argv + 1, argc - 1);
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "@") == 0) argv[i] = path;
  int status = 0;
  if (!skip) {
    fflush(stderr);
    dup2(devnull, 2);
    status = gcs_cli_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(real_stderr, 2);
    FUZZ_CHECK(status == 0 || status == 1 || status == 2, "exit status %d", status);
    FUZZ_CHECK(gcs_heap.ops == NULL, "the command returned %d with the heap of %s still open", status,
               gcs_heap.ops->name);
  }
  free(text);
  return 0;
}
