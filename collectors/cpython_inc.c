/*
** cpython_inc.c — `cpython-inc`: reference counting plus CPython 3.14's incremental cycle
** collector (Python/gc.c of 3.14.0–3.14.4, reverted in 3.14.5), phase for phase with its
** names, so that the two files read side by side. docs/cpython.md ("cpython-inc") gives the
** sources each variant follows and what was checked.
**
** Memory is `cpython`'s (collectors/pygc.h): a container carries PyGC_Head and its count
** before it, an atom its count. gc_next's low bit says which old space a container is in
** (_PyGC_NEXT_MASK_OLD_SPACE_1, PYGC_SPACES 1).
**
** The state (GCState, 3.14):
**   young               new containers; young.count: allocations (3.14.0; tracked objects
**                       from 3.14.1) less deallocations, zeroed by every collection;
**                       young.threshold (knob threshold0, 2000) schedules the collections
**   old[0], old[1]      the two old spaces; old[visited_space] holds what this cycle of
**                       increments has seen (survivors, marked objects), the other what it
**                       has not yet; old[0].threshold (knob threshold1, 10) is the scale
**                       factor of the work; old[i].count: young collections (gc.get_count)
**   permanent_generation  gc.freeze()'s; marked visited
**   visited_space       0 or 1; flipped by completed_scavenge when a cycle is done
**   phase               GC_PHASE_MARK: the next increment marks from the roots
**                       (mark_at_start); GC_PHASE_COLLECT: increments collect regions
**   work_to_do          objects still to be examined by increments; starts at -5000, gains
**                       assess_work_to_do at every increment, loses what each examines
**   heap_size           tracked containers (as 3.14 counts them)
**
** Every automatic collection is an increment (gc_collect_increment), scheduled when
** young.count passes the threshold (_Py_ScheduleGC) and run at the end of the allocating
** call with the new object held (_Py_RunGC), as in collectors/cpython.c's 3.12+. An
** increment: work_to_do += assess_work_to_do (new objects + the heap's tenth divided by the
** scale factor, capped at 3/2 (3.14.0) or 2 (3.14.1) times the new objects); in the MARK
** phase mark_at_start moves everything reachable from the global roots and the frames to
** the visited space and subtracts it from work_to_do -- twice, as shipped (GH-141890) --
** and returns; in the COLLECT phase mark_stacks marks from the frames down to the first one
** already visited, then the young objects and whole regions of the not-visited space
** (expand_region_transitively_reachable: an object and everything it reaches that is not
** yet visited) make the increment until it holds work_to_do objects, gc_collect_region
** collects it, and when the not-visited space is empty completed_scavenge flips the spaces
** and starts the next MARK. `collect 0` is gc_collect_young, a full collect gc_collect_full.
**
** Roots: the frames of the shadow stack are the thread's frames (core/heap.h gcs_frame_t,
** with its `visited` flag: mark_stacks stops below the first visited frame after it has
** scanned it); the bottom `global_frames` frames stand for the global roots (sysdict,
** builtins, the module dicts: mark_global_roots, at the start of a cycle only). The object
** being allocated when a collection runs sits on the top frame's value stack. Marking is only
** an optimisation: what it misses is examined by reference counts in an increment, as in
** CPython, so a root the model marks late costs work, never safety.
**
** Variants (knob variant): 3.14.0 counts at allocation, adds the heap's fraction to
** work_to_do again after each COLLECT increment, and counts only COLLECT increments in
** gc.get_stats(); 3.14.1 (PR #140262) counts tracked objects only, caps the heap fraction at
** twice the new objects, returns at once while work_to_do < 0, and counts every increment.
** Every container here is tracked from its allocation to its death, so the first change
** counts the same; the others change the work.
**
** Reported as 3.14 does: get_count (young.count, old[visited].count, old[other].count),
** get_stats per "generation" 0 (young), 1 (increments), 2 (full), get_threshold
** (threshold0, threshold1, 0).
**
** Invariants (verify, between collections): young, both old spaces and the permanent
** generation are consistent lists; young's members carry the not-visited space bit,
** old[s]'s carry s, the permanent generation's the visited one; every tracked container is in
** exactly one list; every count is the slots and roots holding the object.
**
** Build macros: GCS_DEBUG >= 2 (validate_list, verify's census); GCS_DEBUG >= 3 verifies
** the heap around every automatic collection.
*/
#define PYGC_SPACES 1   /* 3.14's gc_next: the old-space bit (pygc.h) */
#include "collectors/pygc.h"
#include "collectors/collectors.h"

#include <inttypes.h>
#include <string.h>

#define NUM_GENERATIONS 3
#define SCAN_RATE_DIVISOR 10   /* so that threshold1 10 scans 1% of the heap */
#define WORK_TO_DO_START (-5000)

enum { V3_14_0, V3_14_1 };                      /* the knob `variant` */
enum { GC_PHASE_MARK = 0, GC_PHASE_COLLECT };   /* gcstate.phase */

typedef struct gc_generation {
  gc_head head;         /* list head */
  int64_t threshold;    /* young: threshold0; old[0]: threshold1; old[1]: threshold2 */
  int64_t count;        /* see the file comment */
} gc_generation;

typedef struct gc_generation_stats {
  uint64_t collections;    /* collections ("generation" 1: increments) */
  uint64_t collected;      /* objects found unreachable by them */
  uint64_t uncollectable;  /* always 0: no legacy finalizers here */
} gc_generation_stats;

/* One collection's figures (struct gc_collection_stats). */
typedef struct gc_collection_stats {
  int64_t collected;       /* found unreachable */
  int64_t uncollectable;   /* 0 here */
  int64_t candidates;      /* examined: what update_refs saw, plus what marking moved */
} gc_collection_stats;

static struct {
  gc_generation young;
  gc_generation old[2];
  gc_generation permanent_generation;   /* gc.freeze() */
  gc_generation_stats generation_stats[NUM_GENERATIONS];
  int visited_space;            /* 0 or 1 */
  int phase;                    /* GC_PHASE_MARK | GC_PHASE_COLLECT */
  int64_t work_to_do;           /* see the file comment */
  int64_t heap_size;            /* tracked containers */
  bool enabled;                 /* knob enabled */
  uint8_t variant;              /* knob variant */
  uint32_t global_frames;       /* knob: bottom frames standing for the global roots */
  int64_t freeze_after_allocs;  /* knob: gc.freeze() at this container allocation; 0 never */
  uint8_t tuple_kind;           /* knob untrack_atom_only: GCS_CONTAINER, else 0xff (none) */
  uint64_t allocs;              /* containers allocated so far */
  bool gc_scheduled;            /* _PY_GC_SCHEDULED_BIT */
  gcs_obj *held;                /* inside run_gc: the new object on the value stack */
} gcstate;

static inline int other_space(int space) {
  return space ^ (int)NEXT_MASK_OLD_SPACE_1;
}
static inline int gc_old_space(const gc_head *g) {
  return (int)(g->gc_next & NEXT_MASK_OLD_SPACE_1);
}
static inline void gc_flip_old_space(gc_head *g) {
  g->gc_next ^= NEXT_MASK_OLD_SPACE_1;
}
static inline void gc_set_old_space(gc_head *g, int space) {
  g->gc_next = (g->gc_next & ~NEXT_MASK_OLD_SPACE_1) | (uintptr_t)space;
}

static int64_t gc_list_set_space(gc_head *list, int space) {
  int64_t size = 0;
  for (gc_head *gc = GC_NEXT(list); gc != list; gc = GC_NEXT(gc)) {
    gc_set_old_space(gc, space);
    size++;
  }
  return size;
}

/* ------------------------------------------------------------------------------------ */
/* The walks of gc_collect_region that find nothing to do here                           */
/* ------------------------------------------------------------------------------------ */

#define WEAKREF_KIND 0xfdu   /* PyWeakref_Check / supports weakrefs: none here */

/* _PyObject_GC_UNTRACK: out of its list; 3.14.1 counts tracked objects, so heap_size drops
** (inferred: its PyObject_GC_Del un-counts tracked objects only, so an untracked one must have
** been un-counted here, or heap_size would only grow). */
static void gc_untrack(gc_head *gc) {
  gc_list_remove(gc);
  if (gcstate.variant >= V3_14_1) gcstate.heap_size--;
}

/* untrack_tuples: every object is tested for being a tuple (a container, with the knob
** untrack_atom_only on; else none is), and a tuple whose slots hold only atoms, nothing or
** untracked containers is untracked (_PyTuple_MaybeUntrack), as cpython.c does. */
static void untrack_tuples(gc_head *head) {
  gc_head *next;
  for (gc_head *gc = GC_NEXT(head); gc != head; gc = next) {
    next = GC_NEXT(gc);
    gcs_obj *op = FROM_GC(gc);
    if (op->kind == gcstate.tuple_kind && tuple_untrackable(op)) gc_untrack(gc);
  }
}

/* handle_weakref_callbacks and clear_weakrefs: a walk each over the garbage, testing every
** object's type for weak references; none has them. Returns the weakrefs freed, 0. */
static int64_t weakref_walk(gc_head *unreachable) {
  int64_t n = 0;
  for (gc_head *gc = GC_NEXT(unreachable); gc != unreachable; gc = GC_NEXT(gc))
    if (FROM_GC(gc)->kind == WEAKREF_KIND) n++;
  return n;
}

/* ------------------------------------------------------------------------------------ */
/* Collecting a region (gc_collect_region, the 3.14 core of every collection)            */
/* ------------------------------------------------------------------------------------ */

static int64_t deduce_unreachable(gc_head *base, gc_head *unreachable) {
  validate_list(base, collecting_clear_unreachable_clear);
  int64_t candidates = update_refs(base);   /* gc_prev is used for gc_refs */
  subtract_refs(base);
  gc_list_init(unreachable);
  move_unreachable(base, unreachable);       /* gc_prev is a pointer again */
  validate_list(base, collecting_clear_unreachable_clear);
  validate_list(unreachable, collecting_set_unreachable_set);
  return candidates;
}

/* Nothing is resurrected here (no finalizers); the second deduce_unreachable is CPython's
** cost. */
static void handle_resurrected_objects(gc_head *unreachable, gc_head *still_unreachable,
                                       gc_head *old_generation) {
  gc_list_clear_collecting(unreachable);
  gc_head *resurrected = unreachable;
  deduce_unreachable(resurrected, still_unreachable);
  clear_unreachable_mask(still_unreachable);
  gc_list_merge(resurrected, old_generation);
}

/* Collects `from` into `to` (they may be the same list): the survivors end in `to`. */
static void gc_collect_region(gc_head *from, gc_head *to, gc_collection_stats *stats) {
  gc_head unreachable;   /* non-problematic unreachable trash */
  gc_head finalizers;    /* objects with, & reachable from, __del__ */
  int64_t candidates = deduce_unreachable(from, &unreachable);
  if (gcstate.variant >= V3_14_1) stats->candidates = candidates;
  else stats->candidates += candidates;   /* (3.14.0 does not keep it; the pause log does) */
  untrack_tuples(from);
  /* Move reachable objects to next generation. */
  if (from != to) gc_list_merge(from, to);
  gc_list_init(&finalizers);
  move_legacy_finalizers(&unreachable, &finalizers);   /* NEXT_MASK_UNREACHABLE cleared */
  validate_list(&finalizers, collecting_clear_unreachable_clear);
  validate_list(&unreachable, collecting_set_unreachable_clear);
  stats->collected += weakref_walk(&unreachable);      /* handle_weakref_callbacks */
  finalize_garbage(&unreachable);
  gc_head final_unreachable;
  handle_resurrected_objects(&unreachable, &final_unreachable, to);
  weakref_walk(&final_unreachable);                    /* clear_weakrefs */
  stats->collected += gc_list_size(&final_unreachable);
  delete_garbage(&final_unreachable, to);
  int64_t n = 0;
  for (gc_head *gc = GC_NEXT(&finalizers); gc != &finalizers; gc = GC_NEXT(gc)) n++;
  stats->uncollectable = n;
  gc_list_merge(&finalizers, to);                      /* handle_legacy_finalizers */
}

/* ------------------------------------------------------------------------------------ */
/* Marking                                                                               */
/* ------------------------------------------------------------------------------------ */

/* visit_add_to_container over op's slots: every tracked container not yet in the visited
** space joins `container` (flipped to it). Returns how many did. */
static int64_t traverse_add_to_container(gcs_obj *op, gc_head *container, int visited) {
  int64_t size = 0;
  for (uint32_t i = 0, n = op->nslots; i < n; i++) {
    gcs_obj *c = op->slots[i];
    if (c && may_be_tracked(c)) {
      gc_head *gc = AS_GC(c);
      if (gc_old_space(gc) != visited) {
        gc_flip_old_space(gc);
        gc_list_move(gc, container);
        size++;
      }
    }
  }
  return size;
}

/* Grows the region `container` from gc (its last element) to everything it reaches that is
** not yet visited. Returns how many objects joined. */
static int64_t expand_region_transitively_reachable(gc_head *container, gc_head *gc) {
  int64_t size = 0;
  GCS_ASSERT_INTERNAL(GC_NEXT(gc) == container);
  while (gc != container) {
    GCS_ASSERT_INTERNAL(gc_old_space(gc) == gcstate.visited_space);
    size += traverse_add_to_container(FROM_GC(gc), container, gcstate.visited_space);
    gc = GC_NEXT(gc);
  }
  return size;
}

/* A root: a tracked container not yet visited moves to `reachable`. 1 if it did. */
static int64_t move_to_reachable(gcs_obj *op, gc_head *reachable, int visited_space) {
  if (op != NULL && is_gc(op) && is_tracked(op)) {
    gc_head *gc = AS_GC(op);
    if (gc_old_space(gc) != visited_space) {
      gc_flip_old_space(gc);
      gc_list_move(gc, reachable);
      return 1;
    }
  }
  return 0;
}

/* Transitively traverse everything from `reachable` into `visited`, until empty. */
static int64_t mark_all_reachable(gc_head *reachable, gc_head *visited, int visited_space) {
  int64_t size = 0;
  while (!gc_list_is_empty(reachable)) {
    gc_head *gc = GC_NEXT(reachable);
    GCS_ASSERT_INTERNAL(gc_old_space(gc) == visited_space);
    gc_list_move(gc, visited);
    size += traverse_add_to_container(FROM_GC(gc), reachable, visited_space);
  }
  return size;
}

/* The roots of frame k: [its base, the next frame's base or the stack's top). */
static gcs_obj **frame_end(uint32_t k) {
  return k + 1 < gcs_heap.nframes ? gcs_heap.roots_base + gcs_heap.frames[k + 1].base
                                  : gcs_heap.roots_top;
}

/* The thread's frames, from the top down to the global ones: each frame's roots (the top
** one's value stack holding the object being allocated); after start, stop below the first
** frame already visited (the frames under it cannot have changed). */
static int64_t mark_stacks(gc_head *visited, int visited_space, bool start) {
  gc_head reachable;
  gc_list_init(&reachable);
  int64_t objects_marked = 0;
  if (gcstate.held) objects_marked += move_to_reachable(gcstate.held, &reachable, visited_space);
  for (uint32_t k = gcs_heap.nframes; k-- > gcstate.global_frames;) {
    gcs_frame_t *frame = &gcs_heap.frames[k];
    gcs_obj **locals = gcs_heap.roots_base + frame->base;
    for (gcs_obj **sp = frame_end(k); sp > locals;) {
      gcs_obj *op = *--sp;
      objects_marked += move_to_reachable(op, &reachable, visited_space);
    }
    if (!start && frame->visited) break;
    frame->visited = 1;
  }
  objects_marked += mark_all_reachable(&reachable, visited, visited_space);
  GCS_ASSERT_INTERNAL(gc_list_is_empty(&reachable));
  return objects_marked;
}

/* sysdict, builtins, the module dicts: here the roots of the bottom global_frames frames. */
static int64_t mark_global_roots(gc_head *visited, int visited_space) {
  gc_head reachable;
  gc_list_init(&reachable);
  int64_t objects_marked = 0;
  uint32_t top = gcstate.global_frames < gcs_heap.nframes ? gcstate.global_frames : gcs_heap.nframes;
  for (uint32_t k = 0; k < top; k++)
    for (gcs_obj **r = gcs_heap.roots_base + gcs_heap.frames[k].base; r < frame_end(k); r++)
      objects_marked += move_to_reachable(*r, &reachable, visited_space);
  objects_marked += mark_all_reachable(&reachable, visited, visited_space);
  return objects_marked;
}

static int64_t mark_at_start(void) {
  gc_head *visited = &gcstate.old[gcstate.visited_space].head;
  int64_t objects_marked = mark_global_roots(visited, gcstate.visited_space);
  objects_marked += mark_stacks(visited, gcstate.visited_space, true);
  gcstate.work_to_do -= objects_marked;
  gcstate.phase = GC_PHASE_COLLECT;
  return objects_marked;
}

/* ------------------------------------------------------------------------------------ */
/* The three collections                                                                 */
/* ------------------------------------------------------------------------------------ */

static void add_stats(int gen, const gc_collection_stats *stats) {
  gcstate.generation_stats[gen].collected += (uint64_t)stats->collected;
  gcstate.generation_stats[gen].uncollectable += (uint64_t)stats->uncollectable;
  gcstate.generation_stats[gen].collections += 1;
}

/* Do bookkeeping for a completed GC cycle. */
static void completed_scavenge(void) {
  /* Two invariants: members of the permanent generation are marked visited; the permanent
  ** generation is never touched. */
  int visited;
  if (gc_list_is_empty(&gcstate.permanent_generation.head)) {
    /* Permanent generation is empty so we can flip spaces bit */
    int not_visited = gcstate.visited_space;
    visited = other_space(not_visited);
    gcstate.visited_space = visited;
    /* Make sure all objects have visited bit set correctly */
    gc_list_set_space(&gcstate.young.head, not_visited);
  } else {
    /* We must move the objects from visited to pending space. */
    visited = gcstate.visited_space;
    int not_visited = other_space(visited);
    GCS_ASSERT_INTERNAL(gc_list_is_empty(&gcstate.old[not_visited].head));
    gc_list_merge(&gcstate.old[visited].head, &gcstate.old[not_visited].head);
    gc_list_set_space(&gcstate.old[not_visited].head, not_visited);
  }
  GCS_ASSERT_INTERNAL(gc_list_is_empty(&gcstate.old[visited].head));
  gcstate.work_to_do = 0;
  gcstate.phase = GC_PHASE_MARK;
}

static void gc_collect_young(gc_collection_stats *stats) {
  gc_head *young = &gcstate.young.head;
  gc_head *visited = &gcstate.old[gcstate.visited_space].head;
  untrack_tuples(young);
  gc_head survivors;
  gc_list_init(&survivors);
  gc_list_set_space(young, gcstate.visited_space);
  gc_collect_region(young, &survivors, stats);
  gc_list_merge(&survivors, visited);
  gcstate.young.count = 0;
  gcstate.old[gcstate.visited_space].count++;
  if (gcstate.variant == V3_14_0) add_stats(0, stats);
}

static int64_t assess_work_to_do(void) {
  /* The amount of work depends on the number of new objects, the growth of the heap and
  ** the heap's size (up to a multiple of the new objects, to avoid quadratic effects). */
  int64_t scale_factor = gcstate.old[0].threshold;
  if (scale_factor < 2) scale_factor = 2;
  int64_t new_objects = gcstate.young.count;
  int64_t max_heap_fraction = gcstate.variant == V3_14_0 ? new_objects * 3 / 2 : new_objects * 2;
  int64_t heap_fraction = gcstate.heap_size / SCAN_RATE_DIVISOR / scale_factor;
  if (heap_fraction > max_heap_fraction) heap_fraction = max_heap_fraction;
  gcstate.young.count = 0;
  return new_objects + heap_fraction;
}

static void gc_collect_increment(gc_collection_stats *stats) {
  gcstate.work_to_do += assess_work_to_do();
  if (gcstate.variant >= V3_14_1 && gcstate.work_to_do < 0) return;
  untrack_tuples(&gcstate.young.head);
  if (gcstate.phase == GC_PHASE_MARK) {
    int64_t objects_marked = mark_at_start();
    gcstate.work_to_do -= objects_marked;   /* a second time (GH-141890), as shipped */
    stats->candidates += objects_marked;
    return;
  }
  gc_head *not_visited = &gcstate.old[other_space(gcstate.visited_space)].head;
  gc_head *visited = &gcstate.old[gcstate.visited_space].head;
  gc_head increment;
  gc_list_init(&increment);
  int64_t scale_factor = gcstate.old[0].threshold;
  if (scale_factor < 2) scale_factor = 2;
  int64_t objects_marked = mark_stacks(visited, gcstate.visited_space, false);
  stats->candidates += objects_marked;
  gcstate.work_to_do -= objects_marked;
  gc_list_set_space(&gcstate.young.head, gcstate.visited_space);
  gc_list_merge(&gcstate.young.head, &increment);
  int64_t increment_size = gc_list_size(&increment);
  while (increment_size < gcstate.work_to_do) {
    if (gc_list_is_empty(not_visited)) break;
    gc_head *gc = GC_NEXT(not_visited);
    gc_list_move(gc, &increment);
    increment_size++;
    gc_set_old_space(gc, gcstate.visited_space);
    increment_size += expand_region_transitively_reachable(&increment, gc);
  }
  validate_list(&increment, collecting_clear_unreachable_clear);
  gc_head survivors;
  gc_list_init(&survivors);
  gc_collect_region(&increment, &survivors, stats);
  gc_list_merge(&survivors, visited);
  GCS_ASSERT_INTERNAL(gc_list_is_empty(&increment));
  if (gcstate.variant == V3_14_0)
    gcstate.work_to_do += gcstate.heap_size / SCAN_RATE_DIVISOR / scale_factor;
  gcstate.work_to_do -= increment_size;
  if (gcstate.variant == V3_14_0) add_stats(1, stats);
  if (gc_list_is_empty(not_visited)) completed_scavenge();
}

static void gc_collect_full(gc_collection_stats *stats) {
  gc_head *young = &gcstate.young.head;
  gc_head *pending = &gcstate.old[other_space(gcstate.visited_space)].head;
  gc_head *visited = &gcstate.old[gcstate.visited_space].head;
  untrack_tuples(young);
  /* merge all generations into visited */
  gc_list_merge(young, pending);
  gc_list_set_space(pending, gcstate.visited_space);
  gcstate.young.count = 0;
  gc_list_merge(pending, visited);
  gc_collect_region(visited, visited, stats);
  gcstate.young.count = 0;
  gcstate.old[0].count = 0;
  gcstate.old[1].count = 0;
  completed_scavenge();
  if (gcstate.variant == V3_14_0) add_stats(2, stats);
}

/* _PyGC_Collect: one collection of "generation" 0 (young), 1 (an increment) or 2 (full),
** one pause. Returns what it found unreachable. */
static int64_t gc_collect(int generation) {
  static const gcs_pause_kind kinds[NUM_GENERATIONS] = {GCS_PAUSE_COLLECT, GCS_PAUSE_STEP,
                                                        GCS_PAUSE_FULL};
  gc_collection_stats stats = {0, 0, 0};
  gcs_pause_token_t pause = gcs_pause_begin();
  switch (generation) {
  case 0: gc_collect_young(&stats); break;
  case 1: gc_collect_increment(&stats); break;
  default: gc_collect_full(&stats); break;
  }
  if (gcstate.variant >= V3_14_1) add_stats(generation, &stats);
  gcs_pause_end(pause, kinds[generation], generation, (uint64_t)stats.candidates,
                (uint64_t)stats.collected);
  return stats.collected + stats.uncollectable;
}

/* gc.freeze(): everything tracked to the permanent generation, marked visited. */
static void gc_freeze(void) {
  gc_list_set_space(&gcstate.young.head, gcstate.visited_space);
  gc_list_merge(&gcstate.young.head, &gcstate.permanent_generation.head);
  gcstate.young.count = 0;
  gc_head *old0 = &gcstate.old[0].head, *old1 = &gcstate.old[1].head;
  if (gcstate.visited_space) gc_list_set_space(old0, 1);
  else gc_list_set_space(old1, 0);
  gc_list_merge(old0, &gcstate.permanent_generation.head);
  gcstate.old[0].count = 0;
  gc_list_merge(old1, &gcstate.permanent_generation.head);
  gcstate.old[1].count = 0;
}

/* ------------------------------------------------------------------------------------ */
/* Hooks                                                                                 */
/* ------------------------------------------------------------------------------------ */

/* _PyObject_GC_Link (3.14.0) / _PyObject_GC_TRACK (3.14.1): count, and maybe schedule an
** increment (_Py_ScheduleGC). */
static void count_and_schedule(void) {
  gcstate.young.count++;
  gcstate.heap_size++;
  if (gcstate.young.count > gcstate.young.threshold && gcstate.enabled &&
      gcstate.young.threshold && !gcs_heap.collecting)
    gcstate.gc_scheduled = true;
}

/* _Py_RunGC at the end of the allocating call: an increment, the new object held. */
static GCS_NOINLINE void run_gc(gcs_obj *held) {
  gcstate.gc_scheduled = false;
  if (!gcstate.enabled || gcs_heap.collecting) return;
  gcstate.held = held;
  GCS_VERIFY("before a cpython-inc increment");
  GCS_REFCNT(held)++;
  gcs_heap.collecting = true;
  gc_collect(1);
  gcs_heap.collecting = false;
  GCS_REFCNT(held)--;
  GCS_VERIFY("after a cpython-inc increment");
  gcstate.held = NULL;
}

/* _PyObject_GC_Link (3.14.0: gc_alloc links once the memory is there, so an allocation that
** fails counts nothing, and an emergency collection sees no container that does not exist),
** then _PyObject_GC_TRACK: a new container joins young, in the not-visited space. */
static void allocated(gcs_obj *o) {
  if (o->kind != GCS_CONTAINER) return;
  if (gcstate.variant == V3_14_0) count_and_schedule();
  gc_head *g = AS_GC(o);
  gc_list_append(g, &gcstate.young.head);
  gc_set_old_space(g, other_space(gcstate.visited_space));
  if (gcstate.variant >= V3_14_1) count_and_schedule();
  if (GCS_UNLIKELY(gcstate.gc_scheduled)) run_gc(o);
  if (GCS_UNLIKELY(++gcstate.allocs == (uint64_t)gcstate.freeze_after_allocs)) gc_freeze();
}

/* PyObject_GC_Del: untrack, un-count (3.14.0: any GC object; 3.14.1: a tracked one). */
static void freeing(gcs_obj *o) {
  if (o->kind != GCS_CONTAINER) return;
  gc_head *g = AS_GC(o);
  bool tracked = g->gc_next != 0;
  if (tracked) gc_list_remove(g);
  if (tracked || gcstate.variant == V3_14_0) {
    if (gcstate.young.count > 0) gcstate.young.count--;
    gcstate.heap_size--;
  }
}

/* gc.collect(generation): -1 is a full collection (generation 2). */
static uint64_t collect(int generation) {
  if (generation < 0 || generation >= NUM_GENERATIONS) generation = NUM_GENERATIONS - 1;
  return (uint64_t)gc_collect(generation);
}

static int init(void) {
  memset(&gcstate, 0, sizeof gcstate);
  gc_list_init(&gcstate.young.head);
  gc_list_init(&gcstate.old[0].head);
  gc_list_init(&gcstate.old[1].head);
  gc_list_init(&gcstate.permanent_generation.head);
  gcstate.young.threshold = gcs_knob("threshold0");
  gcstate.old[0].threshold = gcs_knob("threshold1");
  gcstate.old[1].threshold = gcs_knob("threshold2");
  gcstate.work_to_do = WORK_TO_DO_START;
  gcstate.phase = GC_PHASE_MARK;
  gcstate.enabled = gcs_knob("enabled") != 0;
  gcstate.variant = (uint8_t)gcs_knob("variant");
  gcstate.global_frames = (uint32_t)gcs_knob("global_frames");
  gcstate.freeze_after_allocs = gcs_knob("freeze_after_allocs");
  gcstate.tuple_kind = gcs_knob("untrack_atom_only") ? GCS_CONTAINER : 0xffu;
  return 0;
}

static void fini(void) {
  memset(&gcstate, 0, sizeof gcstate);
}

static void report(gcs_gc_report_t *r) {
  r->ngenerations = NUM_GENERATIONS;
  r->count[0] = gcstate.young.count;
  r->count[1] = gcstate.old[gcstate.visited_space].count;
  r->count[2] = gcstate.old[other_space(gcstate.visited_space)].count;
  for (int i = 0; i < NUM_GENERATIONS; i++) {
    r->gen[i].collections = gcstate.generation_stats[i].collections;
    r->gen[i].collected = gcstate.generation_stats[i].collected;
    r->gen[i].uncollectable = gcstate.generation_stats[i].uncollectable;
  }
}

/* ------------------------------------------------------------------------------------ */
/* Verification                                                                          */
/* ------------------------------------------------------------------------------------ */

#if GCS_DEBUG >= 2
typedef struct {
  int64_t tracked;     /* live containers with gc_next != 0 */
  int64_t unlisted;    /* tracked by the flag but not seen in any list */
} census_t;

static void census(gcs_obj *o, void *arg) {
  census_t *c = arg;
  if (o->kind != GCS_CONTAINER || AS_GC(o)->gc_next == 0) return;
  c->tracked++;
  if (!(o->gcaux & AUX_LISTED)) c->unlisted++;
}
#endif

static int verify(void) {
  int visited = gcstate.visited_space;
  static const char *const names[] = {"young", "old[0]", "old[1]", "permanent"};
  gc_head *heads[] = {&gcstate.young.head, &gcstate.old[0].head, &gcstate.old[1].head,
                      &gcstate.permanent_generation.head};
  const int spaces[] = {other_space(visited), 0, 1, visited};
  int bad = 0;
  int64_t listed = 0, marked[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4 && !bad; i++) {
    int64_t n = verify_list("cpython-inc", heads[i], names[i], spaces[i], gcstate.held, &marked[i]);
    if (n < 0) bad = 1;
    else listed += n;
  }
  if (gcstate.young.count < 0 || gcstate.heap_size < 0 || (visited & ~1)) {
    gcs_error("verify cpython-inc: young.count %" PRId64 ", heap_size %" PRId64 ", visited_space %d",
              gcstate.young.count, gcstate.heap_size, visited);
    bad = 1;
  }
#if GCS_DEBUG >= 2
  if (!bad) {
    census_t c = {0, 0};
    gcs_heap_walk(census, &c);
    if (c.tracked != listed || c.unlisted != 0) {
      gcs_error("verify cpython-inc: %" PRId64 " containers are tracked, %" PRId64
                " are in the lists, %" PRId64 " tracked ones in none", c.tracked, listed, c.unlisted);
      bad = 1;
    }
    if (!bad && gcstate.tuple_kind == 0xffu && c.tracked != gcstate.heap_size) {
      gcs_error("verify cpython-inc: heap_size %" PRId64 " but %" PRId64 " containers are tracked",
                gcstate.heap_size, c.tracked);
      bad = 1;
    }
  }
#endif
  for (int i = 0; i < 4; i++) unmark_list(heads[i], marked[i]);
  bad |= gcs_rc_verify_counts();
  return bad;
}

/* ------------------------------------------------------------------------------------ */
/* The ops table                                                                         */
/* ------------------------------------------------------------------------------------ */

static const char *const variant_names[] = {"3.14.0", "3.14.1", NULL};

static const gcs_knob_t knobs[] = {
  {"threshold0", 2000, 0, (int64_t)1 << 40, NULL,
   "schedule an increment when young.count (container allocations - deallocations) exceeds this; 0 = never"},
  {"threshold1", 10, 0, (int64_t)1 << 40, NULL,
   "the scale factor of an increment's work: heap_size / 10 / max(this, 2) (old[0].threshold)"},
  {"threshold2", 0, 0, (int64_t)1 << 40, NULL, "old[1].threshold: unused by 3.14, reported by get_threshold"},
  {"variant", V3_14_0, V3_14_0, V3_14_1, variant_names,
   "3.14.0 as released, or 3.14.1's changes (count tracked objects, cap 2x new, no increment while work_to_do < 0)"},
  {"global_frames", 1, 0, (int64_t)1 << 30, NULL,
   "bottom frames of the shadow stack standing for the global roots (marked at a cycle's start only)"},
  {"enabled", 1, 0, 1, gcs_knob_off_on, "automatic increments (gc.enable() / gc.disable())"},
  {"untrack_atom_only", 0, 0, 1, gcs_knob_off_on,
   "untrack, at a collection, containers whose slots hold only atoms or nothing (tuples: _PyTuple_MaybeUntrack)"},
  {"freeze_after_allocs", 0, 0, (int64_t)1 << 62, NULL,
   "gc.freeze() right after this many containers have been allocated; 0 = never"},
  {NULL, 0, 0, 0, NULL, NULL},
};

const gcs_collector_ops gcs_collector_cpython_inc = {
  .name = "cpython-inc",
  .summary = "RC + CPython 3.14's incremental cycle collector (3.14.0-3.14.4: two old spaces, work_to_do; variant=3.14.0|3.14.1)",
  .barrier = GCS_BARRIER_RC,
  .prefix_container = sizeof(gc_head),
  .prefix_atom = sizeof(intptr_t),
  .knobs = knobs,
  .init = init,
  .fini = fini,
  .allocated = allocated,
  .freeing = freeing,
  .collect = collect,
  .verify = verify,
  .report = report,
  .freeze = gc_freeze,
};
