/*
** fault.h — allocation-failure injection: the core knobs fail_alloc_at=N and
** fail_alloc_count=K make the N-th allocation from a page source or of a table fail (and the
** K-1 after it; K = 0: every one from the N-th on), so that the paths a real out-of-memory
** takes — the emergency collection and retry of core/heap.c, then the clean error — run in
** tests and under `--set`, not only by hand under `ulimit -v`. docs/faults.md says what each
** failure does.
**
** What is counted (each site calls gcs_fault_inject with its gcs_fault_site just before it
** asks for memory, and takes a true answer as that request's failure; by name):
**   "arena"          core/arena.c: mmap of a 1 MiB arena, realloc of its arena objects
**   "large object"   core/arena.c: malloc of an object above 512 bytes (pymalloc's fallback)
**   "malloc"         core/heap.c: an object's block under allocator=system
**   "shadow stack"   core/heap.c: the shadow stack's mapping (at heap open)
**   "live registry"  core/liveset.c: the debug registry's table (GCS_DEBUG >= 2 builds only)
**   "object table"   core/objtable.c: a 64 KiB chunk of a tracing collector's table
**   "gray list"      collectors/tracing.c: a gray list's mapping, or its growth
**   "pause log"      core/pause.c: the log's mapping, or its growth
**   "trace"          workloads/trace.c: the parser's and the replay's tables (counted only
**                    while a heap is open: `run --workload trace`, not replay's parse)
**   "peer object"    a peer's own allocator, for an object (py: as if CPython's allocator
**                    returned NULL; boehm: GC_malloc*; lua: lua_newuserdatauv); the real
**                    system's other allocations are not counted (Lua's own go through its
**                    lua_Alloc over the arena or malloc, and are counted there)
** The arena's allocations from pools it already holds are not counted: they ask no page
** source for memory.
**
** Invariants: with the knobs off (fail_alloc_at = 0) nothing is counted and gcs_fault_inject
** is one load and one predictable branch; once armed, `seen` counts every call and the calls
** numbered at .. at+count-1 (all from `at` on when count is 0) answer true. A run is
** deterministic for a seed, so a dry run's first_call[] says which N fails at which site.
** Build macros: none.
*/
#ifndef GCS_FAULT_H
#define GCS_FAULT_H

#include "core/error.h"

#include <stdbool.h>
#include <stdint.h>

/* The sites, in the order of the list above. */
typedef enum {
  GCS_FAULT_ARENA, GCS_FAULT_LARGE, GCS_FAULT_MALLOC, GCS_FAULT_ROOTS, GCS_FAULT_LIVESET,
  GCS_FAULT_OBJTABLE, GCS_FAULT_GRAY, GCS_FAULT_PAUSELOG, GCS_FAULT_TRACE, GCS_FAULT_PEER,
  GCS_FAULT_NSITES
} gcs_fault_site;
extern const char *const gcs_fault_site_names[GCS_FAULT_NSITES];   /* "arena", ... */

typedef struct gcs_fault {
  bool armed;                /* fail_alloc_at != 0: count every site's call */
  uint64_t at;               /* knob fail_alloc_at: the first call that fails, 1-based */
  uint64_t count;            /* knob fail_alloc_count: calls that fail from `at`; 0 = all */
  uint64_t seen;             /* calls counted since gcs_fault_arm */
  uint64_t injected;         /* calls answered true since gcs_fault_arm */
  int first_failed;          /* the site of the first injected failure; -1 before it */
  uint64_t first_call[GCS_FAULT_NSITES]; /* each site's first counted call (its `seen`); 0: none */
} gcs_fault_t;

extern gcs_fault_t gcs_fault;

/* Arms the counter (at = 0: off); `seen`, `injected` and `first_site` start over. Called by
** core/lifecycle.c as a heap opens, before it takes any memory. */
void gcs_fault_arm(uint64_t at, uint64_t count);
/* Stops counting, keeping the figures (a test reads them after the heap closed or failed to
** open). Called by core/lifecycle.c when a heap closes or fails to open. */
void gcs_fault_disarm(void);
/* The slow path of gcs_fault_inject: counts the call, says whether it fails. */
bool gcs_fault_inject_(gcs_fault_site site);

/* True when this allocation must fail; `site` says what asks (the list above). */
static inline bool gcs_fault_inject(gcs_fault_site site) {
  return GCS_UNLIKELY(gcs_fault.armed) && gcs_fault_inject_(site);
}

/* A suffix for an out-of-memory message: " (injected: fail_alloc_at=N)" once a failure has
** been injected, else "" (so a user who set the knob is not sent looking for a real leak). */
const char *gcs_fault_note(void);

#endif /* GCS_FAULT_H */
