/*
** heap.h — the heap: one per process (each benchmark cell runs in a process of its own), so
** it is one global, `gcs_heap`, and the mutator's fast paths read it without a pointer chase.
** heap.c allocates and frees objects, runs collections and verifies; the reference counts
** are core/rc.c's, opening and closing core/lifecycle.c's, the inline mutator API core/gcs.h's.
**
** Build macros read here:
**   GCS_STRESS  1: every safepoint and every allocation runs a full collection (default 0).
**   GCS_DEBUG   >= 3: GCS_VERIFY checks the whole heap at every phase boundary.
*/
#ifndef GCS_HEAP_H
#define GCS_HEAP_H

#include "core/collector.h"
#include "core/error.h"
#include "core/object.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef GCS_STRESS
#define GCS_STRESS 0
#endif

/* Whole-heap verification at a phase boundary: `where` names the phase in the failure. */
#if GCS_DEBUG >= 3
#define GCS_VERIFY(where) gcs_heap_verify_at(where)
#else
#define GCS_VERIFY(where) ((void)0)
#endif

/* --------------------------------------------------------------------------------------
** Statistics: one X-macro list (mimalloc-stats.h) expands into the struct; the heap resets it
** on open. (No writer expands it yet: gcscope run writes the objects figures by hand.)
** ------------------------------------------------------------------------------------ */
#define GCS_STATS(X)                                                              \
  X(objects_allocated, "objects allocated")                                       \
  X(objects_freed, "objects freed")                                               \
  X(bytes_allocated, "block bytes allocated (prefix + header + slots + payload)") \
  X(bytes_freed, "block bytes freed")                                             \
  X(explicit_collections, "collections asked for by the workload (gcs_heap_collect)") \
  X(rc_cascades, "reference-count cascades that freed more than one object")

typedef struct gcs_stats {
#define GCS_STAT_FIELD(name, doc) uint64_t name;
  GCS_STATS(GCS_STAT_FIELD)
#undef GCS_STAT_FIELD
} gcs_stats_t;

/* Tests, and the recorder (core/record.c), watch every allocation and free through this (NULL
** in normal runs). */
typedef struct gcs_observer {
  void (*allocated)(void *arg, gcs_obj *o);   /* o has its header, NULL slots */
  void (*freed)(void *arg, gcs_obj *o);       /* o is about to be freed */
  void *arg;                                  /* passed to all three */
  void (*collect)(void *arg, int generation); /* NULL, or: gcs_heap_collect(generation) was
                                                 called (before it runs) */
} gcs_observer_t;

/* A frame of the shadow stack: what one gcs_frame_push made. A collector that scans the
** stack frame by frame (cpython-inc, as CPython 3.14's mark_stacks) reads them; `visited` is
** the collector's, zeroed at the push. */
typedef struct gcs_frame {
  uint32_t base;                     /* its first root: roots_base + base */
  uint32_t visited;                  /* 0 when pushed; the collector's flag afterwards */
} gcs_frame_t;

typedef struct gcs_heap {
  uint32_t barrier;                  /* == ops->barrier; read by every inline fast path */
  uint32_t prefix[2];                /* [GCS_CONTAINER], [GCS_ATOM]: ops->prefix_*, which the
                                        collector's init may enlarge (cpython's layout knob) */
  const gcs_collector_ops *ops;      /* the open collector; NULL when closed */
  gcs_obj **roots_base;              /* shadow stack: base <= top <= limit */
  gcs_obj **roots_top;               /* first unused root slot */
  gcs_obj **roots_limit;             /* one past the last slot (knob roots_max) */
  gcs_frame_t *frames;               /* the frames pushed and not popped, bottom first */
  uint32_t nframes;                  /* how many; a push beyond frames_max joins the frame
                                        below it (its roots are scanned with that frame's) */
  uint32_t frames_max;               /* == roots_max */
  int allocator;                     /* GCS_ALLOC_ARENA | GCS_ALLOC_SYSTEM */
  uint64_t live_objects;             /* objects_allocated - objects_freed */
  uint64_t live_bytes;               /* bytes_allocated - bytes_freed */
  gcs_stats_t stats;                 /* cumulative since open */
  const gcs_observer_t *observer;    /* tests and the recorder; NULL otherwise */
  gcs_obj *rc_pending;               /* RC cascade (rc.c): dead containers whose slots are
                                        still to be released, linked through their count word */
  bool rc_draining;                  /* a cascade is running: new dead objects only queue */
  void (*allocation_hook)(void);     /* called at the start of every allocation by a module
                                        above the heap (the trash backlog's sampler,
                                        core/backlog.c); NULL normally */
  bool collecting;                   /* a collection is running: set by gcs_heap_collect, and
                                        by a collector around its automatic collections (no
                                        nested collection; cascades are part of its pause) */
} gcs_heap_t;

extern gcs_heap_t gcs_heap;

/* "heap.c": objects. gcs_new / gcs_new_atom may collect (gcs.h states the mutator contract). */
gcs_obj *gcs_new(uint32_t nslots, uint32_t payload_bytes);   /* a container, slots NULL */
gcs_obj *gcs_new_atom(uint32_t payload_bytes);               /* an atom */
void gcs_free_(gcs_obj *o);          /* return o's memory (the RC cascade, tracing sweeps) */
/* A peer that owns allocation (ops->alloc_object) tells the core it freed o: the stats, the
** live counts, the debug registry and a test's observer forget it. */
void gcs_heap_freed(gcs_obj *o);

/* "heap.c": collection. Explicit collection: generation 0..2, or -1 for full. Returns
** objects found unreachable. */
uint64_t gcs_heap_collect(int generation);
/* GCS_STRESS: a full collection unless one (or a cascade) is running. */
void gcs_safepoint_stress_(void);
/* Fills r from the collector (zeros when it has no generations). */
void gcs_heap_report(gcs_gc_report_t *r);
/* gc.freeze() where the collector has it (ops->freeze): true if it did. */
bool gcs_heap_freeze(void);

/* "heap.c": verification. Runs the core's and the collector's checks; returns non-zero
** (after printing) on failure. gcs_heap_verify_at is fatal on failure. */
int gcs_heap_verify(void);
void gcs_heap_verify_at(const char *where);
/* Calls visit(o, arg) for every live object (GCS_DEBUG >= 2 builds: the registry);
** returns ENOTSUP in a build without the registry. */
int gcs_heap_walk(void (*visit)(gcs_obj *o, void *arg), void *arg);

/* "heap.c": the shadow stack's end (fatal: raise roots_max). */
GCS_NORETURN void gcs_roots_overflow_(void);
/* "heap.c": the memory behind a heap, for lifecycle.c. _open takes the allocator (knob
** `allocator`, the arena started with its knobs), the shadow stack (knob `roots_max`) and the
** debug registry: 0, or an errno with a message in err and nothing left taken. _close frees
** what is still live and gives all of it back. */
int gcs_heap_memory_open(char *err, size_t errlen);
void gcs_heap_memory_close(void);

#endif /* GCS_HEAP_H */
