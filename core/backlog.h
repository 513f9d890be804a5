/*
** backlog.h — the trash backlog: objects (and their bytes) that nothing reaches any more but
** no collector has reclaimed yet, found by the harness itself from the roots every
** `backlog_every` allocations (a core knob; 0, the default, samples nothing). A run that
** samples is a backlog run: the marking costs time, so its timing figures are not the
** collector's (the cell says so, `backlog.every`); the integral below runs on a clock that
** leaves the sampling out.
**
** Build macros: none.
*/
#ifndef GCS_BACKLOG_H
#define GCS_BACKLOG_H

#include <stdint.h>

typedef struct gcs_backlog {
  uint64_t every;              /* allocations between samples; 0: off */
  uint64_t samples;            /* taken so far */
  uint64_t max_objects;        /* the largest backlog seen, in objects */
  uint64_t max_bytes;          /* ... in block bytes (prefix + header + slots + payload) */
  double object_s;             /* integral of the backlog over run time, object-seconds */
  double byte_s;               /* ... byte-seconds */
  uint64_t run_ns;             /* the run time it covers (the sampling left out) */
} gcs_backlog_t;

/* Heap open: reads the knob backlog_every and, when it is not 0, hooks every allocation
** (gcs_heap.allocation_hook: counts down, samples at zero). */
void gcs_backlog_open(void);
/* The run starts (the sampling clock and the figures start from zero) / ends (one last
** sample; the integral closed at the end). */
void gcs_backlog_begin(void);
void gcs_backlog_end(void);
/* The figures so far. */
const gcs_backlog_t *gcs_backlog_result(void);

#endif /* GCS_BACKLOG_H */
