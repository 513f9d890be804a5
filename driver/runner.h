/*
** runner.h — the ONE cell runner: a program in a fresh child process, killed after a
** timeout. `gcscope cell` (cli/main.c) and the matrix (driver/matrix.c) both run cells through
** it; nothing else spawns a cell with its own timeout.
*/
#ifndef GCS_RUNNER_H
#define GCS_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* Runs the program at `path` with argv (NULL-ended; argv[0] is its name) in a child process,
** its stderr to log_path (created or truncated; NULL: inherited) and, when stdout_to_log, its
** stdout too (else inherited), and waits for it at most timeout_s seconds (0: forever).
** Returns, as timeout(1) and the shell would: the child's exit status; 124 when it ran out
** of time (it is then killed with SIGKILL); 128 + N when signal N ended it. Returns -1 with a
** message in err when the child could not be started; GCS_RUNNER_STOPPED when gcs_runner_stop
** was set while the child ran (the child is then killed with SIGKILL and reaped). */
int gcs_runner_run(const char *path, char *const argv[], const char *log_path, bool stdout_to_log,
                   unsigned timeout_s, char *err, size_t errlen);

/* The exit status of a timed-out cell (as timeout(1)). */
#define GCS_RUNNER_TIMEOUT 124
/* What gcs_runner_run returns when it was told to stop (never a child's status). */
#define GCS_RUNNER_STOPPED (-2)

/* Set non-zero (from a signal handler: the caller's SIGINT/SIGTERM) to make a running
** gcs_runner_run kill its child and return GCS_RUNNER_STOPPED within one poll (2 ms). */
extern volatile sig_atomic_t gcs_runner_stop;

#endif
