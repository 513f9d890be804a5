/*
** gcs.h — gcscope's object model, mutator API and collector interface.
**
** One heap per process (each benchmark cell runs in a process of its own), so the heap is
** one global, `gcs_heap`, and the mutator's fast paths read it without a pointer chase.
**
** Memory layout of an object (CPython places PyGC_Head before PyObject the same way):
**
**     block --> [ collector-private prefix ][ gcs_obj header ][ slots ][ payload ]
**                                            ^ gcs_obj *o
**
**   prefix bytes  = gcs_heap.prefix[kind]   (declared by the collector, multiple of 8)
**   block bytes   = prefix + sizeof(gcs_obj) + 8*nslots + payload
**   For the reference-counting collectors (barrier has GCS_BARRIER_RC) the last 8 prefix bytes
**   hold the count: GCS_REFCNT(o) == ((intptr_t *)o)[-1].
**
** The mutator API, and its contract:
**   - gcs_new / gcs_new_atom return an object that nothing holds yet ("floating", count 0 under
**     RC). It must be stored — into a root or a slot — before the next allocation or
**     safepoint; an allocation may collect, and a floating object is garbage to every
**     collector. (The stress build collects at every allocation and finds a violation at once.)
**   - A root is a slot of the shadow stack: gcs_frame_push(n) gives n NULL roots, written only
**     through gcs_root_set, read directly; gcs_frame_pop releases them.
**   - gcs_store is the write barrier; gcs_load is a plain read (no collector needs a read
**     barrier).
**   - A C local that holds an object across an allocation must also be held by a root.
**
** The fast paths are inline and test `gcs_heap.barrier` bits, so a built-in collector pays no
** indirect call per store or load; only the slow paths (a count reaching zero, a black→white
** store) leave the inline code.
**
** Build macros read here:
**   GCS_DEBUG   0 release; 1 cheap asserts; 2 internal asserts, 0xCD/0xDD fill patterns and the
**               live-object registry; 3 also whole-heap verify at every phase boundary.
**   GCS_STRESS  1: every safepoint and every allocation runs a full collection.
*/
#ifndef GCS_H
#define GCS_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifndef GCS_DEBUG
#define GCS_DEBUG 0
#endif
#ifndef GCS_STRESS
#define GCS_STRESS 0
#endif

#define GCS_LIKELY(x)   __builtin_expect(!!(x), 1)
#define GCS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define GCS_NOINLINE    __attribute__((noinline))
#define GCS_NORETURN    __attribute__((noreturn))
#define GCS_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* --------------------------------------------------------------------------------------
** Assertions: three tiers under GCS_DEBUG; all compile away in the release build.
** ------------------------------------------------------------------------------------ */
GCS_NORETURN void gcs_assert_fail(const char *expr, const char *file, int line);
#if GCS_DEBUG >= 1
#define GCS_ASSERT(x) ((x) ? (void)0 : gcs_assert_fail(#x, __FILE__, __LINE__))
#else
#define GCS_ASSERT(x) ((void)0)
#endif
#if GCS_DEBUG >= 2
#define GCS_ASSERT_INTERNAL(x) GCS_ASSERT(x)
#else
#define GCS_ASSERT_INTERNAL(x) ((void)0)
#endif
/* Whole-heap verification at a phase boundary: `where` names the phase in the failure. */
#if GCS_DEBUG >= 3
#define GCS_VERIFY(where) gcs_heap_verify_at(where)
#else
#define GCS_VERIFY(where) ((void)0)
#endif

/* --------------------------------------------------------------------------------------
** The object model
** ------------------------------------------------------------------------------------ */
enum {
  GCS_CONTAINER = 0,   /* n pointer slots plus payload: tracked by a cycle collector */
  GCS_ATOM = 1,        /* payload only, no pointers (an int, a str): never tracked */
  GCS_FREED = 0xDD     /* debug builds: stamped on an object as it is freed */
};

typedef struct gcs_obj gcs_obj;
struct gcs_obj {
  uint32_t nslots;     /* pointer slots; 0 for an atom */
  uint32_t payload;    /* payload bytes after the slots */
  uint8_t kind;        /* GCS_CONTAINER | GCS_ATOM */
  uint8_t gcbits;      /* the collector's: colours, marks (see GCS_WHITE0.. below) */
  uint16_t gcaux;      /* the collector's: ages, flags */
  uint32_t tag;        /* the workload's: an id or a value it checks later */
  gcs_obj *slots[];    /* nslots pointers, then `payload` bytes */
};

/* Tricolour bits in gcbits, shared by the tracing collectors so that the inline barrier can
** filter without calling out (Lua lgc.h: WHITE0BIT, WHITE1BIT, BLACKBIT). Gray = no bit. */
#define GCS_WHITE0 0x01u
#define GCS_WHITE1 0x02u
#define GCS_WHITES (GCS_WHITE0 | GCS_WHITE1)
#define GCS_BLACK 0x04u

static inline size_t gcs_obj_size(const gcs_obj *o) {
  return sizeof(gcs_obj) + (size_t)o->nslots * sizeof(gcs_obj *) + o->payload;
}
static inline unsigned char *gcs_obj_payload(gcs_obj *o) {
  return (unsigned char *)&o->slots[o->nslots];
}

/* The collector-private prefix, reached from the object and back (CPython AS_GC / FROM_GC). */
#define GCS_PREFIX(o, T) ((T *)((char *)(o) - sizeof(T)))
#define GCS_FROM_PREFIX(p) ((gcs_obj *)((char *)(p) + sizeof(*(p))))
#define GCS_REFCNT(o) (((intptr_t *)(o))[-1])

/* Calls visit(child, arg) for every non-NULL slot of a container; stops at the first non-zero
** return and returns it (CPython's tp_traverse / visitproc contract). */
typedef int (*gcs_visit_fn)(gcs_obj *child, void *arg);
static inline int gcs_traverse(gcs_obj *o, gcs_visit_fn visit, void *arg) {
  for (uint32_t i = 0; i < o->nslots; i++) {
    gcs_obj *c = o->slots[i];
    if (c) {
      int r = visit(c, arg);
      if (r) return r;
    }
  }
  return 0;
}

/* --------------------------------------------------------------------------------------
** Knobs and options: every knob is an integer (or a choice among names), set with
** `--set name=value`, validated against the tables of the core and of the collector.
** ------------------------------------------------------------------------------------ */
typedef struct gcs_knob {
  const char *name;             /* as given to --set; says its unit (threshold0, purge_delay_ms) */
  int64_t def, min, max;        /* default and inclusive range */
  const char *const *choices;   /* NULL, or the names of values 0..max (NULL-terminated) */
  const char *help;             /* one line */
} gcs_knob_t;

#define GCS_MAX_OPTIONS 64
typedef struct gcs_options {
  const gcs_knob_t *workload_knobs;       /* a third table, the workload's; may be NULL */
  int n;                                  /* pairs set so far */
  struct { char name[48]; char value[80]; } set[GCS_MAX_OPTIONS]; /* as the user wrote them */
} gcs_options_t;

/* Records "name=value" (no validation yet: that needs the collector's table). 0 or EINVAL. */
int gcs_options_add(gcs_options_t *opts, const char *assignment, char *err, size_t errlen);
/* The effective value of a knob of the open heap (core or collector); aborts on an unknown
** name, which is a programming error, not user input. */
int64_t gcs_knob(const char *name);

/* --------------------------------------------------------------------------------------
** The collector interface: one const table per back-end (SQLite's sqlite3_mem_methods).
** ------------------------------------------------------------------------------------ */
enum {
  GCS_BARRIER_RC = 1u << 0,        /* counts in the prefix: inc on store, dec on overwrite */
  GCS_BARRIER_TRICOLOR = 1u << 1   /* black→white store calls ops->barrier_slow */
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
} gcs_collector_ops;

/* registry.c */
extern const gcs_collector_ops *const gcs_collectors[];   /* NULL-terminated */
const gcs_collector_ops *gcs_collector_find(const char *name);

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

/* --------------------------------------------------------------------------------------
** Pauses: every interval the mutator is stopped, logged for percentiles and MMU.
** ------------------------------------------------------------------------------------ */
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
  uint64_t start_ns, end_ns;   /* CLOCK_MONOTONIC */
  uint32_t kind;               /* gcs_pause_kind */
  int32_t generation;          /* collected generation, -1 when not generational */
  uint64_t visited;            /* objects examined */
  uint64_t freed;              /* objects freed (or found unreachable) */
  uint64_t cpu_ns;             /* this thread's CPU time in it, read just outside
                                  [start_ns, end_ns]: <= that + one CPU-clock read */
} gcs_pause_t;

/* An RC cascade is logged once it has freed this many objects; the frees before the cut-off
** are not timed (a clock read per dec-to-zero would cost more than the free). */
#define GCS_CASCADE_CUTOFF 64

/* A pause is descheduled when its wall time exceeds its CPU time by more than
** max(GCS_DESCHED_MIN_NS, wall / GCS_DESCHED_FRACTION): the thread was off the CPU (another
** process ran) for a part of it large enough to distort its wall figure, so that figure
** measures the machine, not the collector. The floor sits well above the gap the measuring
** itself leaves between the two clocks: over 75,000 incremental steps on a 2-core machine at
** load 9 that gap was 1.2-1.6 µs at the median and 4-12 µs at the 99th percentile. The fraction lets a long pause lose 10% to
** interrupts and short preemptions before its wall time stops being its own. */
#define GCS_DESCHED_MIN_NS 50000u
#define GCS_DESCHED_FRACTION 10u

/* Timing a pause: gcs_pause_begin() before it, gcs_pause_end(token, ...) after it. With the
** pause log off (knob pause_log=0) neither reads a clock: the test is inline, the clocks out
** of line (the thread's CPU time first, then the wall clock; in the reverse order at the end,
** so the costly CPU-clock reads stay out of the wall interval: core/pause.c). */
typedef struct gcs_pause_token {
  uint64_t wall_ns, cpu_ns;    /* the clocks when the pause began; 0 with the log off */
} gcs_pause_token_t;
extern bool gcs_pause_logging;  /* == knob pause_log != 0; set by the heap's open */
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

bool gcs_pause_descheduled(const gcs_pause_t *p);
uint64_t gcs_now_ns(void);   /* CLOCK_MONOTONIC, in ns */
uint64_t gcs_cpu_ns(void);   /* this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), in ns */

/* --------------------------------------------------------------------------------------
** The heap: one per process.
** ------------------------------------------------------------------------------------ */
enum { GCS_ALLOC_ARENA = 0, GCS_ALLOC_SYSTEM = 1 };

/* Tests watch every allocation and free through this (NULL in normal runs). */
typedef struct gcs_observer {
  void (*allocated)(void *arg, gcs_obj *o);
  void (*freed)(void *arg, gcs_obj *o);
  void *arg;
} gcs_observer_t;

typedef struct gcs_heap {
  uint32_t barrier;                  /* == ops->barrier; read by every inline fast path */
  uint32_t prefix[2];                /* [GCS_CONTAINER], [GCS_ATOM]: ops->prefix_* */
  const gcs_collector_ops *ops;      /* the open collector; NULL when closed */
  gcs_obj **roots_base;              /* shadow stack: base <= top <= limit */
  gcs_obj **roots_top;               /* first unused root slot */
  gcs_obj **roots_limit;             /* one past the last slot (knob roots_max) */
  int allocator;                     /* GCS_ALLOC_ARENA | GCS_ALLOC_SYSTEM */
  uint64_t live_objects;             /* objects_allocated - objects_freed */
  uint64_t live_bytes;               /* bytes_allocated - bytes_freed */
  gcs_stats_t stats;                 /* cumulative since open */
  const gcs_observer_t *observer;    /* tests only; NULL otherwise */
  gcs_obj *rc_pending;               /* RC cascade: dead containers whose slots are still to
                                        be released, linked through their count word */
  bool rc_draining;                  /* a cascade is running: new dead objects only queue */
  bool collecting;                   /* a collection is running: set by gcs_heap_collect, and
                                        by a collector around its automatic collections (no
                                        nested collection; cascades are part of its pause) */
} gcs_heap_t;

extern gcs_heap_t gcs_heap;

typedef struct gcs_teardown {
  uint64_t leaked_objects;   /* live once every root was dropped and a full collection ran */
  uint64_t leaked_bytes;     /* their block bytes */
} gcs_teardown_t;

/* Opens the heap for collector `c` with `opts` (NULL: defaults). On a bad option writes a
** message naming it into err and returns EINVAL; nothing is left open then. */
int gcs_heap_open(const gcs_collector_ops *c, const gcs_options_t *opts, char *err,
                  size_t errlen);
/* Drops every root, runs a full collection, reports what is still live (the leak), then
** releases all memory. The heap may be opened again. */
void gcs_heap_close(gcs_teardown_t *out);
/* Explicit collection: generation 0..2, or -1 for full. Returns objects found unreachable. */
uint64_t gcs_heap_collect(int generation);
/* Fills r from the collector (zeros when it has no generations). */
void gcs_heap_report(gcs_gc_report_t *r);
/* Runs the core's and the collector's checks; returns non-zero (after printing) on failure. */
int gcs_heap_verify(void);
void gcs_heap_verify_at(const char *where);
/* Calls visit(o, arg) for every live object (GCS_DEBUG >= 2 builds: the registry);
** returns ENOTSUP in a build without the registry. */
int gcs_heap_walk(void (*visit)(gcs_obj *o, void *arg), void *arg);
/* The knob tables that apply to the open heap: the core's, then the collector's. */
extern const gcs_knob_t gcs_core_knobs[];
/* Writes the effective value of every knob as JSON members ("name": value, ...). */
struct gcs_json;
void gcs_heap_write_options(struct gcs_json *j);

/* --------------------------------------------------------------------------------------
** The mutator API. Slow paths out of line, named with a trailing underscore.
** ------------------------------------------------------------------------------------ */
gcs_obj *gcs_new(uint32_t nslots, uint32_t payload_bytes);   /* a container, slots NULL */
gcs_obj *gcs_new_atom(uint32_t payload_bytes);               /* an atom */
void gcs_rc_release_(gcs_obj *o);          /* count reached zero: free, cascading */
void gcs_free_(gcs_obj *o);                /* return o's memory (tracing collectors' sweep) */
GCS_NORETURN void gcs_roots_overflow_(void);
void gcs_safepoint_stress_(void);

static inline void gcs_incref(gcs_obj *o) { GCS_REFCNT(o)++; }
static inline void gcs_decref(gcs_obj *o) {
  GCS_ASSERT_INTERNAL(GCS_REFCNT(o) > 0);
  if (--GCS_REFCNT(o) == 0) gcs_rc_release_(o);
}

/* The write barrier: o->slots[i] = v. The new value is counted before the old is released,
** so storing an object over itself is safe. */
static inline void gcs_store(gcs_obj *o, uint32_t i, gcs_obj *v) {
  GCS_ASSERT(o->kind == GCS_CONTAINER && i < o->nslots);
  gcs_obj *old = o->slots[i];
  o->slots[i] = v;
  if (gcs_heap.barrier & GCS_BARRIER_RC) {
    if (v) gcs_incref(v);
    if (old) gcs_decref(old);
  }
  if (gcs_heap.barrier & GCS_BARRIER_TRICOLOR) {
    if (v && (o->gcbits & GCS_BLACK) && (v->gcbits & GCS_WHITES)) gcs_heap.ops->barrier_slow(o, v);
  }
}

static inline gcs_obj *gcs_load(const gcs_obj *o, uint32_t i) {
  GCS_ASSERT(o->kind == GCS_CONTAINER && i < o->nslots);
  return o->slots[i];
}

/* n fresh NULL roots on the shadow stack; the pointer stays valid until gcs_frame_pop. */
static inline gcs_obj **gcs_frame_push(uint32_t n) {
  gcs_obj **f = gcs_heap.roots_top;
  if (GCS_UNLIKELY((size_t)(gcs_heap.roots_limit - f) < n)) gcs_roots_overflow_();
  for (uint32_t i = 0; i < n; i++) f[i] = NULL;
  gcs_heap.roots_top = f + n;
  return f;
}

/* A root is written only here: roots hold counted references under RC. */
static inline void gcs_root_set(gcs_obj **root, gcs_obj *v) {
  GCS_ASSERT(root >= gcs_heap.roots_base && root < gcs_heap.roots_top);
  gcs_obj *old = *root;
  *root = v;
  if (gcs_heap.barrier & GCS_BARRIER_RC) {
    if (v) gcs_incref(v);
    if (old) gcs_decref(old);
  }
}

/* Releases every root from frame f to the top (the frames pushed after f included). */
static inline void gcs_frame_pop(gcs_obj **f) {
  GCS_ASSERT(f >= gcs_heap.roots_base && f <= gcs_heap.roots_top);
  if (gcs_heap.barrier & GCS_BARRIER_RC) {
    while (gcs_heap.roots_top > f) {
      gcs_obj *o = *--gcs_heap.roots_top;
      if (o) gcs_decref(o);
    }
  }
  gcs_heap.roots_top = f;
}

/* Where a mutator may be stopped outside an allocation. */
static inline void gcs_safepoint(void) {
#if GCS_STRESS
  gcs_safepoint_stress_();
#endif
}

/* --------------------------------------------------------------------------------------
** Messages
** ------------------------------------------------------------------------------------ */
/* Prints "gcscope: " + message to stderr. */
void gcs_error(const char *fmt, ...) GCS_PRINTF(1, 2);
GCS_NORETURN void gcs_fatal(const char *fmt, ...) GCS_PRINTF(1, 2);

#endif /* GCS_H */
