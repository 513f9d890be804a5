/*
** cpython.c — reference counting plus CPython 3.11's generational cycle collector, the
** algorithm of Modules/gcmodule.c phase for phase, with its names, so that the two files
** can be read side by side. docs/cpython.md says how it was checked against CPython itself.
**
** Memory: a container carries CPython's PyGC_Head before it, plus the reference count
** (which CPython keeps in PyObject): 24 bytes, the count last so GCS_REFCNT(o) is the
** word before the object, as the inline barrier in gcs.h expects. An atom (an int, a str)
** is not a GC object and carries the count alone: 8 bytes.
**
**     container: [ gc_next | gc_prev | refcnt ][ gcs_obj ... ]        atom: [ refcnt ][ gcs_obj ]
**
** The knob `layout` puts back what CPython's objects have and these have not, to measure
** what it costs (calibrate.py against the `py` peer): `py-size` adds CPython's ob_type and
** ob_size words (16 bytes, unused, before the prefix: a container is then py.c's size);
** `py` also walks as CPython dispatches (pygc.h: tp_traverse through the type, a visit
** call per reference with _PyObject_IS_GC through the type, tp_clear). Same results.
**
** gc_next / gc_prev (3.11's _gc_next / _gc_prev, pycore_gc.h):
**   gc_next == 0                     the object is not tracked (in no list)
**   gc_next & NEXT_MASK_UNREACHABLE  inside move_unreachable(): in the unreachable list
**   gc_prev & PREV_MASK_COLLECTING   during a collection: in the generation being collected
**   gc_prev >> PREV_SHIFT            during a collection: gc_refs (the list is then singly
**                                    linked through gc_next until move_unreachable restores
**                                    the prev pointers)
**
** The state (gcstate, CPython's struct _gc_runtime_state):
**   generations[0..2]   lists of tracked containers; generation 0 gets every new container
**   permanent           gc.freeze()'s generation, never collected
**   count[0]            tracked allocations - deallocations since the last collection; a
**                       deallocation decrements only while count[0] > 0 (PyObject_GC_Del)
**   count[g], g > 0     collections of generation g-1 since the last collection of g
**   long_lived_total    survivors of the last full collection
**   long_lived_pending  survivors of generation-1 collections since then
**
** Invariants (checked by verify between collections):
**   every tracked container is in exactly one of generations[0..2] / permanent, and those
**   lists are consistent doubly linked lists with no flag bit set;
**   an untracked container has gc_next == 0 (it is only ever untracked by the
**   untrack_atom_only knob); atoms are never in a list;
**   the reference count of every live object equals the slots and roots that hold it.
**
** Collections are triggered exactly where 3.11 triggers them: in _PyObject_GC_Link, i.e. at
** the allocation of a container, after count[0]++ and before the new object is tracked
** (hook `allocating`); the object is tracked into generation 0 by `allocated`.
**
** Versions (knob `version`, docs/cpython.md "Versions"): 3.12's _PyObject_GC_Link only
** schedules the collection (_Py_ScheduleGC, the eval breaker) and the interpreter runs it
** (_Py_RunGC) at the end of the allocating CALL: here in `allocated`, once the new object is
** tracked, with one reference taken for the value stack's. 3.13 selects the generation with
** gc_select_generation (the same rule) and starts at threshold0 2000; 3.14.5 is 3.13's
** collector again (the incremental one reverted), counting tracked objects (3.14.1's
** _PyObject_GC_TRACK count, kept by the revert): only `freeing` differs.
**
** Deleting garbage clears the slots of each unreachable container (its tp_clear), so
** reference counting frees it; the core's cascade is iterative and calls `freeing` for each
** object it frees, which untracks it — possibly while delete_garbage walks the very list the
** object is in. delete_garbage therefore always takes the head of its list afresh, as
** CPython does, holding a reference around the clear (Py_INCREF / Py_DECREF).
**
** The knob `walks` chooses how the heap is walked, with the same results and list orders
** either way (the fidelity test runs both). `3.11` (the default) walks as gcmodule.c is
** written: update_refs and subtract_refs one chain each, untrack_tuples over the young list
** at every collection (a type test per object even when nothing is untracked), untrack_dicts
** and gc_list_size(young) after a full collection, gc_list_size(young) after a generation-1
** one, handle_weakrefs, finalize_garbage and gc_list_size over the garbage -- six walks of a
** live heap at a full collection. `fused` walks it three times: move_unreachable counts what
** it keeps (instead of gc_list_size), update_refs walks from both ends, subtract_refs walks
** two halves side by side, and the walks that find nothing to do here (untrack_tuples with
** the knob off, untrack_dicts, handle_weakrefs, finalize_garbage) are skipped
** (docs/cpython.md, "Same results, fewer walks"). move_unreachable, which depends on order,
** is 3.11's exactly in both.
**
** What 3.11 has and this model has not: finalizers (tp_del, tp_finalize), weak references,
** resurrection, gc.callbacks, DEBUG_SAVEALL, untrack_dicts (no dicts), the free lists cleared
** at a full collection (no free lists: every container is malloc'd, as a list subclass in
** CPython). The phases that handle them are kept where they cost something in CPython
** (handle_resurrected_objects runs deduce_unreachable a second time, over the garbage).
**
** Build macros: GCS_DEBUG >= 2 checks lists with validate_list at phase boundaries (3.11's
** GC_DEBUG) and verify checks reference counts; GCS_DEBUG >= 3 verifies the whole heap
** around every automatic collection (the core does it around explicit ones).
*/
#define PYGC_SPACES 0   /* 3.11's gc_next (pygc.h) */
#include "collectors/pygc.h"
#include "collectors/collectors.h"

#include <inttypes.h>
#include <string.h>

#define NUM_GENERATIONS 3

/* ------------------------------------------------------------------------------------ */
/* The state                                                                             */
/* ------------------------------------------------------------------------------------ */

typedef struct gc_generation {
  gc_head head;         /* list head (its refcnt word is unused) */
  int64_t threshold;    /* collection threshold (knobs threshold0..2) */
  int64_t count;        /* see the file comment */
} gc_generation;

typedef struct gc_generation_stats {
  uint64_t collections;    /* collections of this generation */
  uint64_t collected;      /* objects found unreachable (and so freed) by them */
  uint64_t uncollectable;  /* always 0: no legacy finalizers here */
} gc_generation_stats;

static struct {
  gc_generation generations[NUM_GENERATIONS];
  gc_generation permanent_generation;              /* gc.freeze() */
  gc_generation_stats generation_stats[NUM_GENERATIONS];
  int64_t long_lived_total;     /* survivors of the last full collection */
  int64_t long_lived_pending;   /* survivors of generation-1 collections since */
  int64_t long_lived_ratio;     /* knob, percent: 25 is 3.11's `total / 4` */
  bool enabled;                 /* knob enabled: automatic collections (gc.enable()) */
  bool untrack_atom_only;       /* knob: untrack containers of atoms (_PyTuple_MaybeUntrack) */
  int64_t freeze_after_allocs;  /* knob: gc.freeze() at this container allocation; 0 never */
  bool fused;                   /* knob walks=fused: 3 heap walks, not 3.11's 6 (see below) */
  uint8_t version;              /* knob version: V3_11 .. V3_14_5 (see "Versions" above) */
  bool gc_scheduled;            /* 3.12+: _PY_GC_SCHEDULED_BIT of the eval breaker, set by
                                   _PyObject_GC_Link, cleared when _Py_RunGC runs */
  gcs_obj *held;                /* 3.12+, inside run_gc: the new object the value stack holds
                                   (tracked, count 0 outside the collection: verify allows it) */
  uint8_t tuple_kind;           /* the kind untrack_tuples tests for (PyTuple_CheckExact):
                                   GCS_CONTAINER when untrack_atom_only is on, else none */
  uint64_t allocs;              /* containers allocated so far */
  uint64_t examined;            /* objects update_refs saw in the collection under way */
} gcstate;

#define GEN_HEAD(n) (&gcstate.generations[n].head)

enum { V3_11, V3_12, V3_13, V3_14_5 };   /* the knob `version`, in its choices' order */
enum { LAYOUT_INLINE, LAYOUT_PY_SIZE, LAYOUT_PY };   /* the knob `layout` (below) */

/* CPython's PyObject header words the model's objects leave out: ob_type (the model keeps a
** kind byte in its own header) and ob_size (the model's nslots). layout=py-size and py put
** them back, unused, before the prefix, so that objects are CPython's size (a container 40
** bytes before its body, as py.c's: PyGC_Head, ob_refcnt, ob_type, ob_size). */
#define PY_HEADER_WORDS_BYTES 16

/* ------------------------------------------------------------------------------------ */
/* Finding the unreachable                                                               */
/* ------------------------------------------------------------------------------------ */

/* update_refs for walks=fused: the same, and in *mid the element where the two walks below
** met (the list's middle).
**
** The order does not matter here, so the list is walked from both ends at once, forward by
** gc_next and backward by gc_prev (read before gc_reset_refs overwrites it), meeting in the
** middle: two independent chains of loads instead of one, which halves the time of this
** latency-bound walk over a heap scattered in memory. */
static int64_t update_refs_fused(gc_head *containers, gc_head **mid) {
  *mid = containers;
  if (gc_list_is_empty(containers)) return 0;
  int64_t n = 0;
  gc_head *f = GC_NEXT(containers), *b = GC_PREV(containers);
  for (;;) {
    if (f == b) {
      gc_reset_refs(f, f->refcnt);
      GCS_ASSERT(gc_get_refs(f) != 0);
      *mid = f;
      return n + 1;
    }
    gc_head *fnext = GC_NEXT(f), *bprev = GC_PREV(b);
    gc_reset_refs(f, f->refcnt);
    gc_reset_refs(b, b->refcnt);
    /* A count of 0 here would mean an object the cascade should already have freed. */
    GCS_ASSERT(gc_get_refs(f) != 0 && gc_get_refs(b) != 0);
    n += 2;
    if (fnext == b) {
      *mid = b;
      return n;
    }
    f = fnext;
    b = bprev;
  }
}

/* subtract_refs for walks=fused. Decrements commute, so the two halves of the list, split
** at `mid` by update_refs_fused, are walked side by side: two chains of loads in flight
** instead of one. */
PYGC_SPECIALISED void subtract_refs_fused_as(gc_head *containers, gc_head *mid, const bool dispatch) {
  gc_head *a = GC_NEXT(containers), *b = mid;
  while (a != mid && b != containers) {
    gc_head *anext = GC_NEXT(a), *bnext = GC_NEXT(b);
    traverse_decref(a, dispatch);
    traverse_decref(b, dispatch);
    a = anext;
    b = bnext;
  }
  for (; a != mid; a = GC_NEXT(a)) traverse_decref(a, dispatch);
  for (; b != containers; b = GC_NEXT(b)) traverse_decref(b, dispatch);
}
static GCS_NOINLINE void subtract_refs_fused_dispatch(gc_head *containers, gc_head *mid) {
  subtract_refs_fused_as(containers, mid, true);
}
static void subtract_refs_fused(gc_head *containers, gc_head *mid) {
  if (pygc_dispatch) subtract_refs_fused_dispatch(containers, mid);
  else subtract_refs_fused_as(containers, mid, false);
}

/* The walk of untrack_tuples: every object of young is tested for being a tuple
** (PyTuple_CheckExact) and a tuple goes through _PyTuple_MaybeUntrack. Containers are tuples
** here when the untrack_atom_only knob is on (gcstate.tuple_kind is then GCS_CONTAINER,
** otherwise a kind no object has: the walk and its tests are made, as in 3.11, and untrack
** nothing). _PyTuple_MaybeUntrack: a container whose slots hold only atoms, nothing, or
** untracked containers cannot be part of a cycle, so it leaves the lists. CPython does this
** to tuples, which are immutable; our containers are not, and nothing retracks one later: a
** container stored into an untracked one is hidden from the collector, which then treats it
** as referenced from outside (safe: it may leak a cycle through it, never free a live
** object). Returns how many were untracked. */
static int64_t untrack_tuples(gc_head *head) {
  int64_t untracked = 0;
  gc_head *next;
  for (gc_head *gc = GC_NEXT(head); gc != head; gc = next) {
    gcs_obj *op = FROM_GC(gc);
    next = GC_NEXT(gc);
    if (op->kind != gcstate.tuple_kind) continue;
    if (tuple_untrackable(op)) {
      gc_list_remove(gc);
      untracked++;
    }
  }
  return untracked;
}

#define DICT_KIND 0xfeu      /* PyDict_CheckExact: no object here is a dict */
#define WEAKREF_KIND 0xfdu   /* PyWeakref_Check: no object here is a weak reference */

/* untrack_dicts' walk, at a full collection (walks=3.11): every object is tested for being
** a dict; none is, so nothing is untracked (_PyDict_MaybeUntrack would go here). Returns the
** dicts seen, 0. */
static int64_t untrack_dicts(gc_head *head) {
  int64_t dicts = 0;
  for (gc_head *gc = GC_NEXT(head); gc != head; gc = GC_NEXT(gc))
    if (FROM_GC(gc)->kind == DICT_KIND) dicts++;
  return dicts;
}

/* handle_weakrefs' walk over the garbage (walks=3.11): each object is tested for being a
** weak reference (to be cleared) and for its type supporting them; none does here. Returns
** the weak references freed, 0 (3.11 adds it to m). */
static int64_t handle_weakrefs(gc_head *unreachable, gc_head *old) {
  (void)old;
  int64_t num_freed = 0;
  const bool dispatch = pygc_dispatch;   /* layout=py: the tests through the type */
  for (gc_head *gc = GC_NEXT(unreachable); gc != unreachable; gc = GC_NEXT(gc)) {
    gcs_obj *op = FROM_GC(gc);
    if (!dispatch) {
      if (op->kind == WEAKREF_KIND) num_freed++;
      continue;
    }
    if (pygc_weakref_check(op)) num_freed++;          /* _PyWeakref_ClearRef: never, here */
    if (PY_TYPE(op)->tp_weaklistoffset <= 0) continue;  /* !_PyType_SUPPORTS_WEAKREFS */
    /* the object's weak references would be cleared here: none has any */
  }
  return num_freed;
}


/* update_refs, subtract_refs, move_unreachable: `unreachable` receives the objects of
** `base` that nothing outside `base` reaches. Returns the objects examined; *reachable is
** how many stay in base (the rest are in unreachable). */
static int64_t deduce_unreachable(gc_head *base, gc_head *unreachable, int64_t *reachable) {
  validate_list(base, collecting_clear_unreachable_clear);
  int64_t n;
  if (gcstate.fused) {
    gc_head *mid;
    n = update_refs_fused(base, &mid);   /* gc_prev is used for gc_refs */
    subtract_refs_fused(base, mid);
  } else {
    n = update_refs(base);   /* gc_prev is used for gc_refs */
    subtract_refs(base);
  }
  gc_list_init(unreachable);
  *reachable = move_unreachable(base, unreachable);   /* gc_prev is a pointer again */
  validate_list(base, collecting_clear_unreachable_clear);
  validate_list(unreachable, collecting_set_unreachable_set);
  GCS_ASSERT_INTERNAL(gc_list_size(base) == *reachable);
#if GCS_DEBUG >= 2
  int64_t nu = 0;   /* gc_list_size, through the NEXT_MASK_UNREACHABLE flags */
  for (uintptr_t g = unreachable->gc_next; g != (uintptr_t)unreachable;
       g = ((gc_head *)g)->gc_next & ~NEXT_MASK_UNREACHABLE)
    nu++;
  GCS_ASSERT(nu == n - *reachable);
#endif
  return n;
}

/* 3.11 runs deduce_unreachable a second time over the garbage, after finalizers (which
** could resurrect some of it) have run. No finalizer runs here, so nothing is resurrected;
** the pass is kept because CPython pays for it. */
static int64_t handle_resurrected_objects(gc_head *unreachable, gc_head *still_unreachable,
                                          gc_head *old_generation) {
  /* Remove PREV_MASK_COLLECTING from unreachable to prepare it for deduce_unreachable. */
  gc_list_clear_collecting(unreachable);
  /* Afterwards 'still_unreachable' has PREV_MASK_COLLECTING set, but its objects are going
  ** to be removed, so the flag is not cleared. */
  gc_head *resurrected = unreachable;
  int64_t resurrected_n;
  int64_t n = deduce_unreachable(resurrected, still_unreachable, &resurrected_n);
  clear_unreachable_mask(still_unreachable);
  /* Move the resurrected objects to the old generation for future collection. */
  gc_list_merge(resurrected, old_generation);
  return n - resurrected_n;   /* gc_list_size(still_unreachable) */
}

/* ------------------------------------------------------------------------------------ */
/* Collecting                                                                            */
/* ------------------------------------------------------------------------------------ */

/* This is the main function. Read this to understand how the collection process works.
** Collects `generation` and every younger one; returns the number of objects found
** unreachable plus the uncollectable (as gc.collect() does: n + m). */
static int64_t gc_collect_main(int generation, int64_t *n_collected, int64_t *n_uncollectable) {
  int64_t m = 0;   /* # objects collected */
  int64_t n = 0;   /* # unreachable objects that could not be collected */
  gc_head unreachable;   /* non-problematic unreachable trash */
  gc_head finalizers;    /* objects with, & reachable from, __del__ */
  gcs_pause_token_t pause = gcs_pause_begin();

  /* update collection and allocation counters */
  if (generation + 1 < NUM_GENERATIONS) gcstate.generations[generation + 1].count += 1;
  for (int i = 0; i <= generation; i++) gcstate.generations[i].count = 0;

  /* merge younger generations with one we are currently collecting */
  for (int i = 0; i < generation; i++) gc_list_merge(GEN_HEAD(i), GEN_HEAD(generation));

  /* handy references */
  gc_head *young = GEN_HEAD(generation);
  gc_head *old = generation < NUM_GENERATIONS - 1 ? GEN_HEAD(generation + 1) : young;
  validate_list(old, collecting_clear_unreachable_clear);

  int64_t young_size;   /* walks=fused: gc_list_size(young), counted by move_unreachable */
  int64_t examined = deduce_unreachable(young, &unreachable, &young_size);
  const bool fused = gcstate.fused;

  if (!fused || gcstate.untrack_atom_only) young_size -= untrack_tuples(young);
  /* Move reachable objects to next generation. */
  if (young != old) {
    if (generation == NUM_GENERATIONS - 2)
      gcstate.long_lived_pending += fused ? young_size : gc_list_size(young);
    gc_list_merge(young, old);
  } else {
    /* We only un-track dicts in full collections, to avoid quadratic dict build-up. */
    if (!fused) untrack_dicts(young);
    gcstate.long_lived_pending = 0;
    gcstate.long_lived_total = fused ? young_size : gc_list_size(young);
  }

  /* All objects in unreachable are trash, but objects reachable from legacy finalizers
  ** (e.g. tp_del) cannot safely be deleted. NEXT_MASK_UNREACHABLE is cleared here; after
  ** move_legacy_finalizers, unreachable is a normal list. */
  gc_list_init(&finalizers);
  move_legacy_finalizers(&unreachable, &finalizers);
  /* (move_legacy_finalizer_reachable(&finalizers): finalizers is empty.) */
  validate_list(&finalizers, collecting_clear_unreachable_clear);
  validate_list(&unreachable, collecting_set_unreachable_clear);

  /* Clear weakrefs (none here), call tp_finalize (none here): walks of the garbage. */
  if (!fused) {
    m += handle_weakrefs(&unreachable, old);
    validate_list(&unreachable, collecting_set_unreachable_clear);
    finalize_garbage(&unreachable);
  }

  /* Handle any objects that may have resurrected after the call to finalize_garbage and
  ** continue the collection with the objects that are still unreachable. */
  gc_head final_unreachable;
  int64_t final_size = handle_resurrected_objects(&unreachable, &final_unreachable, old);

  /* Call tp_clear on objects in the final_unreachable set. This breaks the reference
  ** cycles; it may also free objects in finalizers. */
  m += fused ? final_size : gc_list_size(&final_unreachable);
  delete_garbage(&final_unreachable, old);

  /* Collect statistics on uncollectable objects found. */
  for (gc_head *gc = GC_NEXT(&finalizers); gc != &finalizers; gc = GC_NEXT(gc)) n++;
  /* handle_legacy_finalizers: the uncollectable go to the old generation. */
  gc_list_merge(&finalizers, old);
  validate_list(old, collecting_clear_unreachable_clear);

  /* (clear_freelists at a full collection: no free lists here.) */

  /* Update stats */
  if (n_collected) *n_collected = m;
  if (n_uncollectable) *n_uncollectable = n;
  gc_generation_stats *stats = &gcstate.generation_stats[generation];
  stats->collections++;
  stats->collected += (uint64_t)m;
  stats->uncollectable += (uint64_t)n;

  gcs_pause_end(pause, generation == NUM_GENERATIONS - 1 ? GCS_PAUSE_FULL : GCS_PAUSE_COLLECT,
                generation, (uint64_t)examined, (uint64_t)m);
  return n + m;
}

/* gc_collect_with_callback: no gc.callbacks here. */
static int64_t gc_collect_with_callback(int generation) {
  int64_t collected, uncollectable;
  return gc_collect_main(generation, &collected, &uncollectable);
}

/* Find the oldest generation (highest numbered) whose count exceeds its threshold, and
** collect it and every younger one. The oldest generation is collected only if, in
** addition, the objects that survived generation-1 collections since the last full
** collection (long_lived_pending) are at least long_lived_ratio % of those that survived
** it (long_lived_total): a full collection then costs time linear in new objects, not
** quadratic in the heap (3.11's comment, citing CPython's bpo-4074). */
static int64_t gc_collect_generations(void) {
  int64_t n = 0;
  for (int i = NUM_GENERATIONS - 1; i >= 0; i--) {
    if (gcstate.generations[i].count > gcstate.generations[i].threshold) {
      if (i == NUM_GENERATIONS - 1 &&
          gcstate.long_lived_pending < gcstate.long_lived_total * gcstate.long_lived_ratio / 100)
        continue;
      n = gc_collect_with_callback(i);
      break;
    }
  }
  return n;
}

/* gc.freeze(): every tracked object to the permanent generation, which is never collected.
** It zeroes every generation's count, as CPython 3.11.2 does (checked by the fidelity test:
** gc.get_count() is (0, 0, 0) right after gc.freeze()). */
static void gc_freeze(void) {
  for (int i = 0; i < NUM_GENERATIONS; ++i) {
    gc_list_merge(GEN_HEAD(i), &gcstate.permanent_generation.head);
    gcstate.generations[i].count = 0;
  }
}

/* ------------------------------------------------------------------------------------ */
/* Hooks                                                                                 */
/* ------------------------------------------------------------------------------------ */

/* An automatic collection: gc_collect_generations with the collecting flag set. */
static void collect_automatic(void) {
  gcs_heap.collecting = true;
  GCS_VERIFY("before an automatic cpython collection");
  gc_collect_generations();
  GCS_VERIFY("after an automatic cpython collection");
  gcs_heap.collecting = false;
}

/* _PyObject_GC_Link: count the new container; over the threshold, 3.11 collects right here,
** before the object is tracked, so that it takes no part in the collection its own
** allocation starts; 3.12+ only schedules one (_Py_ScheduleGC sets the eval breaker's
** _PY_GC_SCHEDULED_BIT) and the interpreter runs it at its next check (`allocated`). */
static void allocating(size_t block_bytes, int kind) {
  (void)block_bytes;
  if (kind != GCS_CONTAINER) return;
  gcstate.generations[0].count++;   /* number of allocated GC objects */
  if (gcstate.generations[0].count > gcstate.generations[0].threshold && gcstate.enabled &&
      gcstate.generations[0].threshold && !gcs_heap.collecting) {
    if (gcstate.version == V3_11)
      collect_automatic();
    else
      gcstate.gc_scheduled = true;  /* _Py_ScheduleGC */
  }
}

/* _Py_RunGC (3.12+), where the eval loop first checks its breaker after the allocation: the
** end of the CALL that allocated, with the new object tracked and held by the value stack
** (one reference, here a count taken for the collection's length). 3.12 runs
** gc_collect_generations; 3.13 gc_collect_main(GENERATION_AUTO), whose
** gc_select_generation makes the same choice and collects nothing when no generation
** qualifies any more. Either way the counts decide again here, not at the schedule. */
static GCS_NOINLINE void run_gc(gcs_obj *held) {
  gcstate.gc_scheduled = false;
  if (!gcstate.enabled || gcs_heap.collecting) return;
  gcstate.held = held;
  GCS_VERIFY("before a scheduled cpython collection");
  GCS_REFCNT(held)++;
  gcs_heap.collecting = true;
  gc_collect_generations();
  gcs_heap.collecting = false;
  GCS_REFCNT(held)--;               /* floating again, as every new object until stored */
  GCS_VERIFY("after a scheduled cpython collection");
  gcstate.held = NULL;
}

/* _PyObject_GC_TRACK: a new container joins generation 0; 3.12+ then runs the collection its
** allocation scheduled. The freeze_after_allocs knob calls gc.freeze() right after the N-th
** container is tracked (and after that collection): the program has built its long-lived
** state and freezes it, as a service does before forking its workers. */
static void allocated(gcs_obj *o) {
  if (o->kind != GCS_CONTAINER) return;
  gc_list_append(AS_GC(o), GEN_HEAD(0));
  if (GCS_UNLIKELY(gcstate.gc_scheduled)) run_gc(o);
  if (GCS_UNLIKELY(++gcstate.allocs == (uint64_t)gcstate.freeze_after_allocs)) gc_freeze();
}

/* PyObject_GC_Del: untrack (the object may be in any list, delete_garbage's included), and
** count a deallocation while count[0] > 0. 3.14.5 counts tracked objects (the count moved
** to _PyObject_GC_TRACK in 3.14.1 and stayed after the revert), so a container that was
** untracked (untrack_atom_only) is not un-counted there; before, every GC object was. */
static void freeing(gcs_obj *o) {
  if (o->kind != GCS_CONTAINER) return;
  gc_head *g = AS_GC(o);
  bool tracked = g->gc_next != 0;
  if (tracked) gc_list_remove(g);
  if ((tracked || gcstate.version < V3_14_5) && gcstate.generations[0].count > 0)
    gcstate.generations[0].count--;
}

/* gc.collect(generation): -1 is a full collection. The core has set gcs_heap.collecting. */
static uint64_t collect(int generation) {
  if (generation < 0 || generation >= NUM_GENERATIONS) generation = NUM_GENERATIONS - 1;
  return (uint64_t)gc_collect_with_callback(generation);
}

static int init(void) {
  memset(&gcstate, 0, sizeof gcstate);
  /* 3.13 raised threshold0 to 2000; 3.14.5 kept it (gc.get_threshold() of each). */
  if (gcs_knob("version") >= V3_13) gcs_knob_default("threshold0", 2000);
  static const char *const threshold_knobs[NUM_GENERATIONS] = {"threshold0", "threshold1", "threshold2"};
  for (int i = 0; i < NUM_GENERATIONS; i++) {
    gc_list_init(GEN_HEAD(i));
    gcstate.generations[i].threshold = gcs_knob(threshold_knobs[i]);
  }
  gc_list_init(&gcstate.permanent_generation.head);
  gcstate.long_lived_ratio = gcs_knob("long_lived_ratio");
  gcstate.enabled = gcs_knob("enabled") != 0;
  gcstate.untrack_atom_only = gcs_knob("untrack_atom_only") != 0;
  gcstate.tuple_kind = gcstate.untrack_atom_only ? GCS_CONTAINER : 0xffu;   /* 0xff: none */
  gcstate.fused = gcs_knob("walks") == 1;
  gcstate.freeze_after_allocs = gcs_knob("freeze_after_allocs");
  gcstate.version = (uint8_t)gcs_knob("version");
  const int64_t layout = gcs_knob("layout");
  if (layout != LAYOUT_INLINE) {
    gcs_heap.prefix[GCS_CONTAINER] += PY_HEADER_WORDS_BYTES;
    gcs_heap.prefix[GCS_ATOM] += PY_HEADER_WORDS_BYTES;
  }
  pygc_dispatch = layout == LAYOUT_PY;
  return 0;
}

/* The objects themselves belong to the heap, which frees them; the lists go with them. */
static void fini(void) {
  memset(&gcstate, 0, sizeof gcstate);
  pygc_dispatch = false;
}

static void report(gcs_gc_report_t *r) {
  r->ngenerations = NUM_GENERATIONS;
  for (int i = 0; i < NUM_GENERATIONS; i++) {
    r->count[i] = gcstate.generations[i].count;
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
  int bad;
} census_t;

static void census(gcs_obj *o, void *arg) {
  census_t *c = arg;
  if (o->kind != GCS_CONTAINER) return;
  gc_head *g = AS_GC(o);
  if (g->gc_next != 0) {
    c->tracked++;
    if (!(o->gcaux & AUX_LISTED)) c->unlisted++;
  } else if (!gcstate.untrack_atom_only) {
    gcs_error("verify cpython: container %p is not tracked (untrack_atom_only is off)", (void *)o);
    c->bad = 1;
  }
}

#endif

static int verify(void) {
  static const char *const names[] = {"generation 0", "generation 1", "generation 2", "permanent"};
  gc_head *heads[] = {GEN_HEAD(0), GEN_HEAD(1), GEN_HEAD(2), &gcstate.permanent_generation.head};
  int bad = 0;
  int64_t listed = 0, marked[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4 && !bad; i++) {
    int64_t n = verify_list("cpython", heads[i], names[i], -1, gcstate.held, &marked[i]);
    if (n < 0) bad = 1;
    else listed += n;
  }
  for (int i = 0; i < NUM_GENERATIONS; i++) {
    if (gcstate.generations[i].count < 0) {
      gcs_error("verify cpython: count[%d] = %" PRId64 " is negative", i, gcstate.generations[i].count);
      bad = 1;
    }
  }
  if (gcstate.long_lived_pending < 0 || gcstate.long_lived_total < 0) {
    gcs_error("verify cpython: long_lived_pending %" PRId64 ", long_lived_total %" PRId64,
              gcstate.long_lived_pending, gcstate.long_lived_total);
    bad = 1;
  }
#if GCS_DEBUG >= 2
  if (!bad) {
    census_t c = {0, 0, 0};
    gcs_heap_walk(census, &c);
    if (c.tracked != listed || c.unlisted != 0) {
      gcs_error("verify cpython: %" PRId64 " containers are tracked, %" PRId64
                " are in the lists, %" PRId64 " tracked ones in none", c.tracked, listed, c.unlisted);
      bad = 1;
    }
    bad |= c.bad;
  }
#endif
  for (int i = 0; i < 4; i++) unmark_list(heads[i], marked[i]);
  bad |= gcs_rc_verify_counts(); /* the counts, as for rc */
  return bad;
}

/* ------------------------------------------------------------------------------------ */
/* The ops table                                                                         */
/* ------------------------------------------------------------------------------------ */

static const char *const walk_names[] = {"3.11", "fused", NULL};
static const char *const layout_names[] = {"inline", "py-size", "py", NULL};
static const char *const version_names[] = {"3.11", "3.12", "3.13", "3.14.5", NULL};

static const gcs_knob_t knobs[] = {
  {"threshold0", 700, 0, (int64_t)1 << 40, NULL,
   "collect generation 0 when count0 (container allocations - deallocations) exceeds this; 0 = never (default 2000 from version 3.13)"},
  {"threshold1", 10, 0, (int64_t)1 << 40, NULL,
   "collect generation 1 when more than this many generation-0 collections ran since its last"},
  {"threshold2", 10, 0, (int64_t)1 << 40, NULL,
   "collect generation 2 when more than this many generation-1 collections ran since its last (and the ratio rule allows)"},
  {"long_lived_ratio", 25, 0, 1000, NULL,
   "percent: a full collection also needs long_lived_pending >= this % of long_lived_total (3.11: 25)"},
  {"enabled", 1, 0, 1, gcs_knob_off_on, "automatic collections (gc.enable() / gc.disable()); counts are kept either way"},
  {"untrack_atom_only", 0, 0, 1, gcs_knob_off_on,
   "untrack, at a collection, containers whose slots hold only atoms or nothing (tuples: _PyTuple_MaybeUntrack)"},
  {"freeze_after_allocs", 0, 0, (int64_t)1 << 62, NULL,
   "gc.freeze() right after this many containers have been allocated (all of them frozen); 0 = never"},
  {"walks", 0, 0, 1, walk_names,
   "how a collection walks the heap, same results: as 3.11's gcmodule.c (6 walks of a live heap at a full collection), or fused (3)"},
  {"layout", LAYOUT_INLINE, LAYOUT_INLINE, LAYOUT_PY, layout_names,
   "the object as the walks see it, same results: inline slots (the model), py-size (CPython's 16 more header bytes, ob_type and ob_size), py (and CPython's dispatch: tp_traverse, a visit call per reference, _PyObject_IS_GC through the type, tp_clear)"},
  {"version", V3_11, V3_11, V3_14_5, version_names,
   "which CPython: 3.11 collects inside the allocation; 3.12+ schedules it for the eval breaker; 3.13+ threshold0 2000"},
  {NULL, 0, 0, 0, NULL, NULL},
};

const gcs_collector_ops gcs_collector_cpython = {
  .name = "cpython",
  .summary = "RC + CPython's generational cycle collector (3.11's gcmodule.c: 700/10/10, 25% rule, freeze; version=3.12|3.13|3.14.5)",
  .barrier = GCS_BARRIER_RC,
  .prefix_container = sizeof(gc_head),
  .prefix_atom = sizeof(intptr_t),
  .knobs = knobs,
  .init = init,
  .fini = fini,
  .allocating = allocating,
  .allocated = allocated,
  .freeing = freeing,
  .collect = collect,
  .verify = verify,
  .report = report,
  .freeze = gc_freeze,
};
