/*
** sampler.c — a sampler thread that records RSS (core/rss.c) over the run.
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

static gcs_rss_sample_t *samples;   /* the mapping */
static atomic_size_t nsamples;      /* written by the sampler only */
static atomic_bool stopping;        /* set by gcs_sampler_stop */
static unsigned interval_ms;        /* between samples */
static pthread_t sampler_thread;    /* the sampler */

static void *sampler(void *arg) {
  (void)arg;
  struct timespec ts = {interval_ms / 1000, (long)(interval_ms % 1000) * 1000000L};
  while (!atomic_load(&stopping)) {
    size_t i = atomic_load(&nsamples);
    if (i < MAX_SAMPLES) {
      samples[i] = (gcs_rss_sample_t){gcs_now_ns(), gcs_rss_bytes()};
      atomic_store(&nsamples, i + 1);
    }
    nanosleep(&ts, NULL);
  }
  return NULL;
}

int gcs_sampler_start(unsigned period_ms) {
  if (samples == NULL) {
    void *p = mmap(NULL, MAX_SAMPLES * sizeof *samples, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return errno;
    samples = p;
  }
  atomic_store(&nsamples, 0);
  atomic_store(&stopping, false);
  interval_ms = period_ms ? period_ms : 1;
  return pthread_create(&sampler_thread, NULL, sampler, NULL);
}

uint64_t gcs_sampler_resident_bytes(void) {
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), bytes = atomic_load(&nsamples) * sizeof *samples;
  return samples ? (bytes + page - 1) / page * page : 0;
}

const gcs_rss_sample_t *gcs_sampler_stop(size_t *n) {
  atomic_store(&stopping, true);
  pthread_join(sampler_thread, NULL);
  *n = atomic_load(&nsamples);
  return samples;
}
