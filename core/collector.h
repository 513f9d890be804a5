/*
** collector.h — the interface a back-end implements: one const ops table (SQLite's
** sqlite3_mem_methods) and its knobs. The registry that names every back-end is
** collectors/collectors.h's; the core knows a collector only through the table the heap was
** opened with. Workloads declare their knobs with the same gcs_knob_t.
**
** Build macros: none.
*/
#ifndef GCS_COLLECTOR_H
#define GCS_COLLECTOR_H

#include "core/object.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A knob: an integer (or a choice among names) set with `--set name=value`, validated against
** the tables of the core, the collector and the workload (core/options.h). */
typedef struct gcs_knob {
  const char *name;             /* as given to --set; says its unit (threshold0, purge_delay_ms) */
  int64_t def, min, max;        /* default and inclusive range */
  const char *const *choices;   /* NULL, or the names of values 0..max (NULL-terminated) */
  const char *help;             /* one line */
} gcs_knob_t;

enum {
  GCS_BARRIER_RC = 1u << 0,        /* counts in the prefix: inc on store, dec on overwrite */
  GCS_BARRIER_TRICOLOR = 1u << 1,  /* black→white store calls ops->barrier_slow */
  GCS_BARRIER_CALL = 1u << 2       /* every store, root write and root release calls
                                      ops->ref_slow (a peer whose count the inline RC path
                                      cannot address) */
};

#define GCS_MAX_GENERATIONS 3
typedef struct gcs_gc_report {
  uint32_t ngenerations;                      /* how many entries below are meaningful */
  int64_t count[GCS_MAX_GENERATIONS];         /* as gc.get_count() */
  struct {
    uint64_t collections;                     /* as gc.get_stats()[g]['collections'] */
    uint64_t collected;                       /* ... ['collected'] */
    uint64_t uncollectable;                   /* ... ['uncollectable'] */
  } gen[GCS_MAX_GENERATIONS];
} gcs_gc_report_t;

typedef struct gcs_collector_ops {
  const char *name;            /* registry name: "rc", "cpython" */
  const char *summary;         /* one line for `gcscope list` */
  const char *kind;            /* `gcscope list --json`'s kind: NULL "collector", or "peer" (a real
                                  system behind this interface: py) */
  uint32_t barrier;            /* GCS_BARRIER_* bits the inline fast paths apply */
  uint32_t prefix_container;   /* collector-private bytes before a container, multiple of 8 */
  uint32_t prefix_atom;        /* ... before an atom */
  const gcs_knob_t *knobs;     /* the collector's knobs, ended by {NULL}; may be NULL */

  /* Heap opened and knobs resolved: set up state. 0 or an errno. */
  int (*init)(void);
  /* Heap closing, roots already dropped: release collector state (not the objects). */
  void (*fini)(void);
  /* Before the memory of a new object is taken: account for it, maybe collect. NULL: nothing. */
  void (*allocating)(size_t block_bytes, int kind);
  /* The new object has its header and NULL slots: link or track it. NULL: nothing. */
  void (*allocated)(gcs_obj *o);
  /* RC only: o's count reached zero and it is about to be freed (its children are released
  ** right after). Untrack it here. NULL: nothing. */
  void (*freeing)(gcs_obj *o);
  /* Explicit collection of `generation` (-1 = full). Returns the number of objects it found
  ** unreachable (as gc.collect()). */
  uint64_t (*collect)(int generation);
  /* GCS_BARRIER_TRICOLOR only: black `o` was just made to point to white `v`. */
  void (*barrier_slow)(gcs_obj *o, gcs_obj *v);
  /* Whole-heap consistency check; prints what is wrong and returns non-zero. NULL: none. */
  int (*verify)(void);
  /* o is garbage the collector knows of but has not reclaimed yet (an incremental sweep's
  ** unswept dead): its slots may point to memory already freed, so the core's verifier does
  ** not follow them. NULL: every live object is reachable-or-unknown. */
  bool (*is_garbage)(const gcs_obj *o);
  /* Fills the generation counts and stats. NULL: no generations. */
  void (*report)(gcs_gc_report_t *r);
  /* A peer that owns allocation (py: CPython's own allocator): returns a new object with room
  ** for its header, nslots slots and payload bytes, prefix_* bytes of the peer's before it; it
  ** may collect first. The core then fills the header. The peer reports each free with
  ** gcs_heap_freed. NULL: the core allocates (allocating, arena or malloc, then allocated). */
  gcs_obj *(*alloc_object)(uint32_t nslots, uint32_t payload, int kind);
  /* GCS_BARRIER_CALL only: a reference to v was just written over one to old (either may be
  ** NULL): count v, then release old. */
  void (*ref_slow)(gcs_obj *v, gcs_obj *old);
  /* gc.freeze(): every object the collector tracks now is never collected or examined again
  ** (gcs_heap_freeze). NULL: the collector has no such thing. */
  void (*freeze)(void);
} gcs_collector_ops;

#endif /* GCS_COLLECTOR_H */
