/*
** pause.c — the clocks and the pause log: every interval the mutator was stopped, with the
** thread's CPU time in it.
**
** The log lives in its own anonymous mapping (grown with mremap), not in malloc's heap, so
** that logging does not disturb the allocator being measured. 56 bytes an event: 100,000
** pauses cost 5.6 MB of RSS, which the driver reports beside its figures.
**
** Invariants: log[0..n) are in the order they were recorded; n <= cap. clock_reads counts
** every read of gcs_now_ns and gcs_cpu_ns since the reset; with the log off
** (gcs_pause_logging false) no collector and no RC cascade adds to it.
*/
#define _GNU_SOURCE
#include "core/internal.h"

#include <sys/mman.h>
#include <time.h>

const char *const gcs_pause_kind_names[GCS_PAUSE_NKINDS] = {"collect", "full", "step", "atomic",
                                                            "cascade"};

bool gcs_pause_logging = true;  /* knob pause_log: 0 measures what logging itself costs */
static gcs_pause_t *log_;       /* the events */
static size_t n_;               /* events recorded */
static size_t cap_;             /* events the mapping holds */
static uint64_t clock_reads;    /* gcs_now_ns and gcs_cpu_ns calls since the last reset */

static uint64_t read_clock(clockid_t id) {
  struct timespec ts;
  clock_reads++;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t gcs_now_ns(void) {
  return read_clock(CLOCK_MONOTONIC);
}

uint64_t gcs_cpu_ns(void) {
  return read_clock(CLOCK_THREAD_CPUTIME_ID);
}

void gcs_pause_reset(bool enabled) {
  n_ = 0;
  clock_reads = 0;
  gcs_pause_logging = enabled;
}

uint64_t gcs_clock_reads(void) {
  return clock_reads;
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

/* The CPU clock is read outside the wall interval: it is a system call (about 4.7 µs a read
** on the 2-core VM these figures come from, against 0.09 µs for CLOCK_MONOTONIC), and inside
** the interval it would lengthen every logged pause by its cost. */
void gcs_pause_begin_(gcs_pause_token_t *t) {
  t->cpu_ns = gcs_cpu_ns();
  t->wall_ns = gcs_now_ns();
}

void gcs_pause_end_(const gcs_pause_token_t *t, gcs_pause_kind kind, int generation,
                    uint64_t visited, uint64_t freed) {
  uint64_t end = gcs_now_ns(), cpu = gcs_cpu_ns();
  if (n_ == cap_) grow();
  log_[n_++] = (gcs_pause_t){t->wall_ns, end, (uint32_t)kind, generation, visited, freed,
                             cpu - t->cpu_ns};
}

bool gcs_pause_descheduled(const gcs_pause_t *p) {
  uint64_t wall = p->end_ns - p->start_ns;
  uint64_t margin = wall / GCS_DESCHED_FRACTION;
  if (margin < GCS_DESCHED_MIN_NS) margin = GCS_DESCHED_MIN_NS;
  return wall > p->cpu_ns + margin;
}

const gcs_pause_t *gcs_pause_log(size_t *n) {
  *n = n_;
  return log_;
}
