/*
** memory.c — a sampler thread that records RSS (core/rss.c) over the run.
**
** The sampler writes into its own anonymous mapping, so sampling allocates nothing from the
** allocator under measurement; it reads statm (one open/read/close, a few microseconds) every
** period: at 5 ms that is ~0.1% of one core.
*/
#define _GNU_SOURCE
#include "measure/measure.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (1u << 20)   /* 16 MiB of virtual space; ~87 minutes at 5 ms */

static gcs_rss_sample_t *samples_;    /* the mapping */
static atomic_size_t nsamples_;       /* written by the sampler only */
static atomic_bool stop_;             /* set by gcs_sampler_stop */
static unsigned period_ms_;           /* between samples */
static pthread_t thread_;             /* the sampler */

static void *sampler(void *arg) {
  (void)arg;
  struct timespec ts = {period_ms_ / 1000, (long)(period_ms_ % 1000) * 1000000L};
  while (!atomic_load(&stop_)) {
    size_t i = atomic_load(&nsamples_);
    if (i < MAX_SAMPLES) {
      samples_[i] = (gcs_rss_sample_t){gcs_now_ns(), gcs_rss_bytes()};
      atomic_store(&nsamples_, i + 1);
    }
    nanosleep(&ts, NULL);
  }
  return NULL;
}

int gcs_sampler_start(unsigned period_ms) {
  if (samples_ == NULL) {
    void *p = mmap(NULL, MAX_SAMPLES * sizeof *samples_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return errno;
    samples_ = p;
  }
  atomic_store(&nsamples_, 0);
  atomic_store(&stop_, false);
  period_ms_ = period_ms ? period_ms : 1;
  return pthread_create(&thread_, NULL, sampler, NULL);
}

uint64_t gcs_sampler_resident_bytes(void) {
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), bytes = atomic_load(&nsamples_) * sizeof *samples_;
  return samples_ ? (bytes + page - 1) / page * page : 0;
}

const gcs_rss_sample_t *gcs_sampler_stop(size_t *n) {
  atomic_store(&stop_, true);
  pthread_join(thread_, NULL);
  *n = atomic_load(&nsamples_);
  return samples_;
}
