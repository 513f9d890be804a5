/*
** tune.c — `gcscope tune`: hands its command line to tools/tune.py, which does the search
** (grid or successive halving), runs every cell through `gcscope cell`, and writes the
** frontier, the plots and the recommendation. Why Python: the orchestration is processes,
** files, statistics and gnuplot scripts, none of it measured; docs/tune.md has the rest.
**
** Contract: the script is found from /proc/self/exe (build/gcscope and build/<mode>/gcscope
** both sit below the repository root: up to three parent directories are searched), and is
** told in GCSCOPE_BIN which binary to run cells with — this one, so a debug build tunes with
** debug cells. The interpreter is $GCSCOPE_PYTHON if set, else /usr/bin/python3. On success
** this function does not return (exec); otherwise it prints one line and returns 2.
** tools/tune.py is the entry point of the package tools/gcs/tune/.
*/
#define _GNU_SOURCE
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TUNE_SCRIPT "tools/tune.py"

/* Finds TUNE_SCRIPT in the directories above exe; 0 and the path in out, or ENOENT. */
static int find_script(const char *exe, char *out, size_t size) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", exe);
  for (int up = 0; up < 4; up++) {
    char *slash = strrchr(dir, '/');
    if (!slash) break;
    *slash = '\0';
    if ((size_t)snprintf(out, size, "%s/" TUNE_SCRIPT, dir[0] ? dir : "") >= size) return ENAMETOOLONG;
    if (access(out, R_OK) == 0) return 0;
  }
  return ENOENT;
}

int gcs_cmd_tune(int argc, char **argv, char **full_argv) {
  char exe[PATH_MAX], script[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) {
    fprintf(stderr, "gcscope: tune: cannot read /proc/self/exe: %s\n", strerror(errno));
    return 2;
  }
  exe[n] = '\0';
  if (find_script(exe, script, sizeof script) != 0) {
    fprintf(stderr, "gcscope: tune: cannot find %s in the directories above %s (run from a gcscope checkout)\n",
            TUNE_SCRIPT, exe);
    return 2;
  }
  const char *python = getenv("GCSCOPE_PYTHON");
  if (!python || !*python) python = "/usr/bin/python3";
  char **args = calloc((size_t)argc + 3, sizeof *args);
  if (!args) gcs_fatal("out of memory");
  args[0] = (char *)(uintptr_t)python;
  args[1] = script;
  for (int i = 0; i < argc; i++) args[i + 2] = argv[i];
  setenv("GCSCOPE_BIN", exe, 1);
  (void)full_argv;
  execv(python, args);
  fprintf(stderr, "gcscope: tune: cannot run %s: %s\n", python, strerror(errno));
  free(args);
  return 2;
}
