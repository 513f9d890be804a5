/*
** pause.c — the pause log: every interval the mutator was stopped (pause.h).
**
** The log lives in its own anonymous mapping (grown with mremap), not in malloc's heap, so
** that logging does not disturb the allocator being measured. 48 bytes an event: 100,000
** pauses cost 4.8 MB of RSS, which the driver reports beside its figures.
**
** Invariant: events[0..nevents) are in the order they were recorded; nevents <= capacity.
** Build macros: none.
*/
#define _GNU_SOURCE
#include "core/pause.h"
#include "core/error.h"

#include <sys/mman.h>

const char *const gcs_pause_kind_names[GCS_PAUSE_NKINDS] = {"collect", "full", "step", "atomic",
                                                            "cascade"};

static gcs_pause_t *events; /* the log */
static size_t nevents;      /* events recorded */
static size_t capacity;     /* events the mapping holds */
static bool logging = true; /* knob pause_log: off measures what logging costs */
static uint32_t origin;     /* of the pauses recorded now: gcs_pause_set_origin */

void gcs_pause_set_origin(uint32_t o) { origin = o; }

void gcs_pause_reset(bool enabled) {
  nevents = 0;
  logging = enabled;
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

void gcs_pause_record(uint64_t start_ns, uint64_t end_ns, gcs_pause_kind kind, int generation,
                      uint64_t visited, uint64_t freed) {
  if (!logging) return;
  if (nevents == capacity) grow();
  events[nevents++] = (gcs_pause_t){start_ns, end_ns, (uint32_t)kind, generation, visited, freed, origin};
}

const gcs_pause_t *gcs_pause_log(size_t *n) {
  *n = nevents;
  return events;
}
