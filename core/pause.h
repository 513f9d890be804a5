/*
** pause.h — the pause log: every interval the mutator was stopped (a collection, an
** incremental step, a long RC cascade), kept for percentiles and MMU (measure/).
** Build macros: none.
*/
#ifndef GCS_PAUSE_H
#define GCS_PAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  GCS_PAUSE_COLLECT = 0,   /* a (generational: young) collection */
  GCS_PAUSE_FULL,          /* a full collection */
  GCS_PAUSE_STEP,          /* an incremental step */
  GCS_PAUSE_ATOMIC,        /* an incremental collector's atomic phase */
  GCS_PAUSE_CASCADE,       /* an RC cascade of frees above the cut-off */
  GCS_PAUSE_NKINDS
} gcs_pause_kind;
extern const char *const gcs_pause_kind_names[GCS_PAUSE_NKINDS];

typedef struct gcs_pause {
  uint64_t start_ns, end_ns;   /* CLOCK_MONOTONIC (gcs_now_ns) */
  uint32_t kind;               /* gcs_pause_kind */
  int32_t generation;          /* collected generation, -1 when not generational */
  uint64_t visited;            /* objects examined */
  uint64_t freed;              /* objects freed (or found unreachable) */
  uint32_t origin;             /* who asked: 1 an explicit gcs_heap_collect, 0 the collector */
} gcs_pause_t;

void gcs_pause_record(uint64_t start_ns, uint64_t end_ns, gcs_pause_kind kind, int generation,
                      uint64_t visited, uint64_t freed);
/* The origin of the pauses recorded from now on: heap.c's gcs_heap_collect sets 1 around an
** explicit collection, then 0 again. */
void gcs_pause_set_origin(uint32_t origin);
/* Empties the log; `enabled` false (knob pause_log off) makes gcs_pause_record a no-op. */
void gcs_pause_reset(bool enabled);
/* The log since the heap opened; *n events. Valid until the next record or reset. */
const gcs_pause_t *gcs_pause_log(size_t *n);

#endif /* GCS_PAUSE_H */
