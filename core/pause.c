/*
** pause.c — the pause log: every interval the mutator was stopped (pause.h).
**
** The log lives in its own anonymous mapping (grown with mremap), not in malloc's heap, so
** that logging does not disturb the allocator being measured. 56 bytes an event: 100,000
** pauses cost 5.6 MB of RSS, which the driver reports beside its figures.
**
** The CPU clock is read outside the wall interval: it is a system call (about 5 us a read on
** the 2-core VM these figures come from, against 0.09 us for CLOCK_MONOTONIC;
** tools/instrumentation-cost.sh measures both), and inside the interval it would lengthen
** every logged pause by its cost.
**
** Invariants: events[0..nevents) are in the order they were recorded; nevents <= capacity.
** With the log off, clock_reads stays 0: no pause reads a clock.
** Build macros: none.
*/
#define _GNU_SOURCE
#include "core/pause.h"
#include "core/clock.h"
#include "core/error.h"

#include <sys/mman.h>

const char *const gcs_pause_kind_names[GCS_PAUSE_NKINDS] = {"collect", "full", "step", "atomic",
                                                            "cascade"};

static gcs_pause_t *events; /* the log */
static size_t nevents;      /* events recorded */
static size_t capacity;     /* events the mapping holds */
static uint64_t clock_reads; /* by gcs_pause_begin_/end_ since the reset */
static uint32_t origin;     /* of the pauses recorded now: gcs_pause_set_origin */
bool gcs_pause_logging = true; /* knob pause_log: off measures what logging costs */

void gcs_pause_set_origin(uint32_t o) { origin = o; }

static bool cpu_clock = true; /* knob pause_cpu: read the thread's CPU clock around a pause */

void gcs_pause_reset(bool enabled, bool cpu) {
  cpu_clock = cpu;
  nevents = 0;
  clock_reads = 0;
  gcs_pause_logging = enabled;
}

uint64_t gcs_pause_clock_reads(void) {
  return clock_reads;
}

static GCS_NOINLINE void grow(void) {
  size_t ncap = capacity ? capacity * 2 : 4096;
  void *p = capacity ? mremap(events, capacity * sizeof *events, ncap * sizeof *events, MREMAP_MAYMOVE)
                      : mmap(NULL, ncap * sizeof *events, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) gcs_fatal("cannot grow the pause log to %zu events", ncap);
  events = p;
  capacity = ncap;
}

void gcs_pause_begin_(gcs_pause_token_t *t) {
  if (cpu_clock) {
    t->cpu_ns = gcs_thread_cpu_ns();
    clock_reads++;
  }
  t->wall_ns = gcs_now_ns();
  clock_reads++;
}

void gcs_pause_end_(const gcs_pause_token_t *t, gcs_pause_kind kind, int generation,
                    uint64_t visited, uint64_t freed) {
  uint64_t end = gcs_now_ns(), cpu = cpu_clock ? gcs_thread_cpu_ns() : 0;
  clock_reads += cpu_clock ? 2 : 1;
  if (nevents == capacity) grow();
  events[nevents++] = (gcs_pause_t){t->wall_ns, end, (uint32_t)kind, generation, visited, freed,
                                    origin, cpu - t->cpu_ns};
}

bool gcs_pause_descheduled(const gcs_pause_t *p) {
  if (!cpu_clock) return false;   /* no CPU time to compare with */
  uint64_t wall = p->end_ns - p->start_ns;
  uint64_t margin = wall / GCS_DESCHED_FRACTION;
  if (margin < GCS_DESCHED_MIN_NS) margin = GCS_DESCHED_MIN_NS;
  return wall > p->cpu_ns + margin;
}

const gcs_pause_t *gcs_pause_log(size_t *n) {
  *n = nevents;
  return events;
}
