/*
** clock.h — the two clocks every measurement of gcscope reads, in nanoseconds.
**
**   gcs_now_ns         CLOCK_MONOTONIC: wall time, for pauses, phases and runs
**   gcs_thread_cpu_ns  CLOCK_THREAD_CPUTIME_ID: CPU time of the calling thread; unlike the wall
**                      clock it does not count the time the thread was preempted (the machines
**                      the figures come from are shared)
**
** Inline: a pause is two reads, and a call would be a measurable share of a short one.
** Build macros: none.
*/
#ifndef GCS_CLOCK_H
#define GCS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t gcs_clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t gcs_now_ns(void) { return gcs_clock_ns(CLOCK_MONOTONIC); }
static inline uint64_t gcs_thread_cpu_ns(void) { return gcs_clock_ns(CLOCK_THREAD_CPUTIME_ID); }

#endif /* GCS_CLOCK_H */
