/*
** runner.c — the ONE cell runner (runner.h): posix_spawn, then a wait that polls every 2 ms
** until the child ends or its time is up.
**
** Invariant: when gcs_runner_run returns, the child has been reaped (no zombie, no orphan
** left running by us) — after a timeout or a stop request (gcs_runner_stop) too.
*/
#define _GNU_SOURCE
#include "driver/runner.h"
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

volatile sig_atomic_t gcs_runner_stop;

int gcs_runner_run(const char *path, char *const argv[], const char *log_path, bool stdout_to_log,
                   unsigned timeout_s, char *err, size_t errlen) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (log_path) {
    posix_spawn_file_actions_addopen(&fa, 2, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (stdout_to_log) posix_spawn_file_actions_adddup2(&fa, 2, 1);
  }
  pid_t pid;
  int rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    snprintf(err, errlen, "cannot run %s: %s", path, strerror(rc));
    return -1;
  }
  int status = 0;
  uint64_t t0 = gcs_now_ns();
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) { /* cannot happen for our own child; reap it anyway */
      snprintf(err, errlen, "waitpid: %s", strerror(errno));
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
      return -1;
    }
    bool stop = gcs_runner_stop != 0;
    if (stop || (timeout_s && gcs_now_ns() - t0 > (uint64_t)timeout_s * 1000000000u)) {
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
      return stop ? GCS_RUNNER_STOPPED : GCS_RUNNER_TIMEOUT;
    }
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
