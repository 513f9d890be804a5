/*
** measure.h — figures from a run: the pause log's statistics and MMU, and the RSS sampler.
** Grouped by the file that defines them.
*/
#ifndef GCS_MEASURE_H
#define GCS_MEASURE_H

#include "core/internal.h"

#include <stddef.h>
#include <stdint.h>

/* "pausestats.c" — figures from the pause log. */
typedef struct gcs_interval {
  uint64_t start, end;          /* ns, start <= end */
} gcs_interval_t;

typedef struct gcs_pause_summary {
  uint64_t count;               /* top-level pauses (one nested in another counts once) */
  uint64_t p50, p90, p99, p999, max, total;   /* ns; total = union of the intervals */
  uint64_t by_kind[GCS_PAUSE_NKINDS];         /* top-level pauses of each kind */
} gcs_pause_summary_t;

/* Merges a log into disjoint sorted intervals (nested and overlapping pauses fuse) and
** summarises it. `out` must hold n entries; returns the number of merged intervals. */
size_t gcs_pauses_merge(const gcs_pause_t *log, size_t n, gcs_interval_t *out,
                        gcs_pause_summary_t *sum);
/* Minimum mutator utilization for window w over the run [t0, t1], exactly: the worst window
** starts at a pause's start or ends at a pause's end. A window longer than the run is the
** run. iv: disjoint, sorted, within [t0, t1]. */
double gcs_mmu(const gcs_interval_t *iv, size_t n, uint64_t t0, uint64_t t1, uint64_t w);

/* "sampler.c" — a sampler thread recording RSS over the run. */
typedef struct gcs_rss_sample {
  uint64_t t_ns, rss;                  /* when, and the RSS then */
} gcs_rss_sample_t;
/* Starts a thread sampling RSS every period_ms into a buffer mapped apart from the heap. */
int gcs_sampler_start(unsigned period_ms);
/* Stops it; returns the samples (valid until the next start) and their number. */
const gcs_rss_sample_t *gcs_sampler_stop(size_t *n);

#endif
