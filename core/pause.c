/*
** pause.c — the clock and the pause log: every interval the mutator was stopped.
**
** The log lives in its own anonymous mapping (grown with mremap), not in malloc's heap, so
** that logging does not disturb the allocator being measured. 48 bytes an event: 100,000
** pauses cost 4.8 MB of RSS, which the driver reports beside its figures.
**
** Invariant: log[0..n) are in the order they were recorded; n <= cap.
*/
#define _GNU_SOURCE
#include "core/internal.h"

#include <sys/mman.h>
#include <time.h>

const char *const gcs_pause_kind_names[GCS_PAUSE_NKINDS] = {"collect", "full", "step", "atomic",
                                                            "cascade"};

static gcs_pause_t *log_; /* the events */
static size_t n_;         /* events recorded */
static size_t cap_;       /* events the mapping holds */
static bool on_ = true;   /* knob pause_log: 0 measures what logging itself costs */

uint64_t gcs_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void gcs_pause_reset(bool enabled) {
  n_ = 0;
  on_ = enabled;
}

static GCS_NOINLINE void grow(void) {
  size_t ncap = cap_ ? cap_ * 2 : 4096;
  void *p = cap_ ? mremap(log_, cap_ * sizeof *log_, ncap * sizeof *log_, MREMAP_MAYMOVE)
                 : mmap(NULL, ncap * sizeof *log_, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) gcs_fatal("cannot grow the pause log to %zu events", ncap);
  log_ = p;
  cap_ = ncap;
}

void gcs_pause_record(uint64_t start_ns, uint64_t end_ns, gcs_pause_kind kind, int generation,
                      uint64_t visited, uint64_t freed) {
  if (!on_) return;
  if (n_ == cap_) grow();
  log_[n_++] = (gcs_pause_t){start_ns, end_ns, (uint32_t)kind, generation, visited, freed,
                             gcs_heap.explicit_collect};
}

const gcs_pause_t *gcs_pause_log(size_t *n) {
  *n = n_;
  return log_;
}
