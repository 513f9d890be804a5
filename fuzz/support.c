/*
** support.c — the helpers every fuzz target links (fuzz.h): the memfd the trace parser reads,
** the failure report, the registry's size.
**
** Invariant: one memfd per process, created on first use and truncated at every call, so an
** execution sees exactly its own bytes.
*/
#define _GNU_SOURCE
#include "fuzz/fuzz.h"
#include "collectors/collectors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void gcs_fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s:%d: check failed: %s: ", file, line, cond);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  abort();
}

const char *gcs_fuzz_file(const uint8_t *data, size_t size) {
  static int fd = -1;
  static char path[64];
  if (fd < 0) {
    if ((fd = memfd_create("gcscope-fuzz", 0)) < 0) {
      perror("memfd_create");
      abort();
    }
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (ftruncate(fd, 0) != 0) {
    perror("ftruncate");
    abort();
  }
  for (size_t done = 0; done < size;) {
    ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
    if (n <= 0) {
      perror("pwrite");
      abort();
    }
    done += (size_t)n;
  }
  return path;
}

int gcs_fuzz_ncollectors(void) {
  int n = 0;
  while (gcs_collectors[n]) n++;
  return n;
}
