/*
** pause.h — the pause log: every interval the mutator was stopped (a collection, an
** incremental step, a long RC cascade), kept for percentiles and MMU (measure/), each with
** the thread's CPU time in it. With the log off (knob pause_log) no pause reads a clock.
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
  uint64_t cpu_ns;             /* this thread's CPU time in it, read just outside
                                  [start_ns, end_ns]: <= that + one CPU-clock read */
} gcs_pause_t;

/* A pause is descheduled when its wall time exceeds its CPU time by more than
** max(GCS_DESCHED_MIN_NS, wall / GCS_DESCHED_FRACTION): the thread was off the CPU (another
** process ran) for a part of it large enough to distort its wall figure, so that figure
** measures the machine, not the collector. The floor sits well above the gap the measuring
** itself leaves between the two clocks: over 75,000 incremental steps on a 2-core machine at
** load 9 that gap was 1.2-1.6 us at the median and 4-12 us at the 99th percentile. The
** fraction lets a long pause lose 10% to interrupts and short preemptions before its wall
** time stops being its own. */
#define GCS_DESCHED_MIN_NS 50000u
#define GCS_DESCHED_FRACTION 10u
bool gcs_pause_descheduled(const gcs_pause_t *p);

/* Timing a pause: gcs_pause_begin() before it, gcs_pause_end(token, ...) after it. With the
** log off neither reads a clock: the test is inline, the clocks out of line (the thread's
** CPU time first, then the wall clock; in the reverse order at the end, so the costly
** CPU-clock reads stay out of the wall interval: pause.c). */
typedef struct gcs_pause_token {
  uint64_t wall_ns, cpu_ns;    /* the clocks when the pause began; 0 with the log off */
} gcs_pause_token_t;
extern bool gcs_pause_logging;  /* knob pause_log; set by gcs_pause_reset */
void gcs_pause_begin_(gcs_pause_token_t *t);
void gcs_pause_end_(const gcs_pause_token_t *t, gcs_pause_kind kind, int generation,
                    uint64_t visited, uint64_t freed);

static inline gcs_pause_token_t gcs_pause_begin(void) {
  gcs_pause_token_t t = {0, 0};
  if (gcs_pause_logging) gcs_pause_begin_(&t);
  return t;
}

/* Logs the pause begun with t: `visited` objects examined, `freed` freed. */
static inline void gcs_pause_end(gcs_pause_token_t t, gcs_pause_kind kind, int generation,
                                 uint64_t visited, uint64_t freed) {
  if (gcs_pause_logging) gcs_pause_end_(&t, kind, generation, visited, freed);
}

/* The origin of the pauses recorded from now on: heap.c's gcs_heap_collect sets 1 around an
** explicit collection, then 0 again. */
void gcs_pause_set_origin(uint32_t origin);
/* Empties the log; `enabled` false (knob pause_log off) makes the pause API read no clock;
** `cpu` false (knob pause_cpu off) leaves out the thread CPU clock: cpu_ns 0, no pause
** descheduled. Its reads, a system call each here (~1.5 us), stay out of the pause's wall
** interval, so with many short pauses they count as mutator time and lift MMU a little:
** pause_cpu=off measures MMU without them. */
void gcs_pause_reset(bool enabled, bool cpu);
/* Clocks read by gcs_pause_begin/end since the reset (for the tests). */
uint64_t gcs_pause_clock_reads(void);
/* The log since the heap opened; *n events. Valid until the next record or reset. */
const gcs_pause_t *gcs_pause_log(size_t *n);

#endif /* GCS_PAUSE_H */
