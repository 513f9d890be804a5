/*
** pygc.h — the parts of CPython's cycle collector that its versions share, for the two
** back-ends that model it: collectors/cpython.c (3.11's gcmodule.c and the generational
** gc.c of 3.12, 3.13, 3.14.5) and collectors/cpython_inc.c (3.14.0/3.14.1's incremental
** gc.c). CPython's names throughout, so either file reads beside CPython's: the PyGC_Head
** (here with ob_refcnt after it, the container's whole prefix), the list functions,
** validate_list, update_refs / subtract_refs / move_unreachable (deduce_unreachable's
** steps), the legacy-finalizer steps, tp_clear and delete_garbage. Everything is static: a
** file that includes this compiles its own copy, laid out for its version.
**
** Its one difference by version is gc_next's flag bits, chosen by PYGC_SPACES (define it
** 0 or 1 before including): 3.11 keeps NEXT_MASK_UNREACHABLE in bit 0 and overwrites gc_next
** whole; 3.14 keeps which old space an object is in there (NEXT_MASK_OLD_SPACE_1), moves
** NEXT_MASK_UNREACHABLE to bit 1, and every list operation keeps the flags
** (_PyGCHead_SET_NEXT), so move_unreachable and visit_reachable carry them over.
**
** The including file provides nothing: these functions touch only the lists and objects
** given to them. Reference counting is the core's (gcs_incref, gcs_decref, gcs_store).
**
** Build macros: PYGC_SPACES (required, 0 or 1); GCS_DEBUG >= 2: validate_list checks a
** list's links and flags (CPython's GC_DEBUG).
*/
#ifndef GCS_PYGC_H
#define GCS_PYGC_H

#ifndef PYGC_SPACES
#error "define PYGC_SPACES (0: 3.11's gc_next, 1: 3.14's old-space bit) before collectors/pygc.h"
#endif

#include "core/internal.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>

/* The functions below that are not inline: a file may leave some unused (no warning). */
#define PYGC_FUNC static __attribute__((unused))
/* A walk written once with a constant `dispatch` argument, compiled twice (pygc_dispatch). */
#define PYGC_SPECIALISED static inline __attribute__((always_inline))

/* The collector-private prefix of a container: CPython's PyGC_Head plus ob_refcnt. */
typedef struct gc_head {
  uintptr_t gc_next;    /* next in its list | flags (NEXT_MASK_*); 0 = not tracked */
  uintptr_t gc_prev;    /* prev in its list | flags; during a collection gc_refs << PREV_SHIFT */
  intptr_t refcnt;      /* the reference count: GCS_REFCNT(o) */
} gc_head;

#define AS_GC(o) GCS_PREFIX(o, gc_head)
#define FROM_GC(g) GCS_FROM_PREFIX(g)

#define PREV_MASK_FINALIZED ((uintptr_t)1)   /* 3.11: tp_finalize called (unused here) */
#define PREV_MASK_COLLECTING ((uintptr_t)2)  /* in the generation being collected */
#define PREV_SHIFT 2
#define PREV_MASK (~(uintptr_t)0 << PREV_SHIFT)
#if PYGC_SPACES
/* 3.14: gc_next's low bit says which old space the object is in (_PyGC_NEXT_MASK_OLD_SPACE_1);
** NEXT_MASK_UNREACHABLE moved to the next bit; _PyGCHead_SET_NEXT keeps both. */
#define NEXT_MASK_OLD_SPACE_1 ((uintptr_t)1)
#define NEXT_MASK_UNREACHABLE ((uintptr_t)2)
#define NEXT_FLAGS ((uintptr_t)3)
#define GC_NEXT(g) ((gc_head *)((g)->gc_next & ~NEXT_FLAGS))
static inline void gc_set_next(gc_head *g, gc_head *next) {
  g->gc_next = (g->gc_next & NEXT_FLAGS) | (uintptr_t)next;
}
#else
/* 3.11: gc_next is a plain pointer, but for NEXT_MASK_UNREACHABLE inside move_unreachable. */
#define NEXT_MASK_UNREACHABLE ((uintptr_t)1)
#define NEXT_FLAGS NEXT_MASK_UNREACHABLE
#define GC_NEXT(g) ((gc_head *)(g)->gc_next)
static inline void gc_set_next(gc_head *g, gc_head *next) {
  g->gc_next = (uintptr_t)next;
}
#endif
/* The next pointer with the flags taken off (in move_unreachable's unreachable list). */
#define NEXT_STRIPPED(g) ((gc_head *)((g)->gc_next & ~NEXT_FLAGS))
#define GC_PREV(g) ((gc_head *)((g)->gc_prev & PREV_MASK))
static inline void gc_set_prev(gc_head *g, gc_head *prev) {
  g->gc_prev = (g->gc_prev & ~PREV_MASK) | (uintptr_t)prev;
}
static inline bool gc_is_collecting(const gc_head *g) {
  return (g->gc_prev & PREV_MASK_COLLECTING) != 0;
}
static inline void gc_clear_collecting(gc_head *g) {
  g->gc_prev &= ~PREV_MASK_COLLECTING;
}
static inline intptr_t gc_get_refs(const gc_head *g) {
  return (intptr_t)(g->gc_prev >> PREV_SHIFT);
}
static inline void gc_set_refs(gc_head *g, intptr_t refs) {
  g->gc_prev = (g->gc_prev & ~PREV_MASK) | ((uintptr_t)refs << PREV_SHIFT);
}
static inline void gc_reset_refs(gc_head *g, intptr_t refs) {
  g->gc_prev = (g->gc_prev & PREV_MASK_FINALIZED) | PREV_MASK_COLLECTING |
               ((uintptr_t)refs << PREV_SHIFT);
}
static inline void gc_decref(gc_head *g) {
  GCS_ASSERT_INTERNAL(gc_get_refs(g) > 0);
  g->gc_prev -= (uintptr_t)1 << PREV_SHIFT;
}
static inline bool is_tracked(gcs_obj *o) {
  return AS_GC(o)->gc_next != 0;
}
/* _PyObject_IS_GC: only containers have a PyGC_Head. */
static inline bool is_gc(const gcs_obj *o) {
  return o->kind == GCS_CONTAINER;
}
/* _PyObject_GC_MAY_BE_TRACKED for a slot's value: an atom never is; an untracked container
** (untracked by the rule below) no longer is. */
static inline bool may_be_tracked(gcs_obj *o) {
  return is_gc(o) && is_tracked(o);
}
/* _PyTuple_MaybeUntrack's test: a container whose slots hold only atoms, nothing or untracked
** containers cannot be part of a cycle (untrack_tuples, in both versions' files). */
static inline bool tuple_untrackable(const gcs_obj *op) {
  for (uint32_t i = 0; i < op->nslots; i++)
    if (op->slots[i] && may_be_tracked(op->slots[i])) return false;
  return true;
}


/* ------------------------------------------------------------------------------------ */
/* List functions (gcmodule.c "list functions")                                          */
/* ------------------------------------------------------------------------------------ */

static inline void gc_list_init(gc_head *list) {
  list->gc_prev = (uintptr_t)list;
  list->gc_next = (uintptr_t)list;
}

static inline bool gc_list_is_empty(const gc_head *list) {
  return list->gc_next == (uintptr_t)list;
}

/* Append `node` to `list`. */
static inline void gc_list_append(gc_head *node, gc_head *list) {
  gc_head *last = (gc_head *)list->gc_prev;
  gc_set_prev(node, last);
  gc_set_next(last, node);
  gc_set_next(node, list);
  list->gc_prev = (uintptr_t)node;
}

/* Remove `node` from the list it is in: _PyObject_GC_UNTRACK. Works on a list whose
** members carry PREV_MASK_COLLECTING (delete_garbage's), as the neighbours keep their
** flags. */
static inline void gc_list_remove(gc_head *node) {
  gc_head *prev = GC_PREV(node);
  gc_head *next = GC_NEXT(node);
  gc_set_next(prev, next);
  gc_set_prev(next, prev);
  node->gc_next = 0;
  node->gc_prev &= PREV_MASK_FINALIZED;
}

/* Move `node` from the list it is in to the end of `list`. */
PYGC_FUNC void gc_list_move(gc_head *node, gc_head *list) {
  gc_head *from_prev = GC_PREV(node);
  gc_head *from_next = GC_NEXT(node);
  gc_set_next(from_prev, from_next);
  gc_set_prev(from_next, from_prev);
  gc_head *to_prev = (gc_head *)list->gc_prev;
  gc_set_prev(node, to_prev);
  gc_set_next(to_prev, node);
  list->gc_prev = (uintptr_t)node;
  gc_set_next(node, list);
}

/* Append list `from` onto list `to`; `from` becomes an empty list. */
PYGC_FUNC void gc_list_merge(gc_head *from, gc_head *to) {
  GCS_ASSERT_INTERNAL(from != to);
  if (!gc_list_is_empty(from)) {
    gc_head *to_tail = GC_PREV(to);
    gc_head *from_head = GC_NEXT(from);
    gc_head *from_tail = GC_PREV(from);
    gc_set_next(to_tail, from_head);
    gc_set_prev(from_head, to_tail);
    gc_set_next(from_tail, to);
    gc_set_prev(to, from_tail);
  }
  gc_list_init(from);
}

static inline int64_t gc_list_size(const gc_head *list) {
  int64_t n = 0;
  for (const gc_head *gc = GC_NEXT(list); gc != list; gc = GC_NEXT(gc)) n++;
  return n;
}

/* Walk the list and mark all objects as non-collecting. */
PYGC_FUNC void gc_list_clear_collecting(gc_head *collectable) {
  for (gc_head *gc = GC_NEXT(collectable); gc != collectable; gc = GC_NEXT(gc))
    gc_clear_collecting(gc);
}

/* validate_list's flags argument (3.11 enum flagstates). */
enum flagstates {
  collecting_clear_unreachable_clear,
  collecting_clear_unreachable_set,
  collecting_set_unreachable_clear,
  collecting_set_unreachable_set
};

#if GCS_DEBUG >= 2
/* The list is doubly linked (pointers may carry flags) and every member carries exactly the
** flags `flags` names. */
PYGC_FUNC void validate_list(gc_head *head, enum flagstates flags) {
  uintptr_t prev_value = 0, next_value = 0;
  switch (flags) {
  case collecting_clear_unreachable_clear: break;
  case collecting_set_unreachable_clear: prev_value = PREV_MASK_COLLECTING; break;
  case collecting_clear_unreachable_set: next_value = NEXT_MASK_UNREACHABLE; break;
  case collecting_set_unreachable_set:
    prev_value = PREV_MASK_COLLECTING;
    next_value = NEXT_MASK_UNREACHABLE;
    break;
  }
  GCS_ASSERT((head->gc_prev & PREV_MASK_COLLECTING) == 0);
  GCS_ASSERT((head->gc_next & NEXT_MASK_UNREACHABLE) == 0);
  gc_head *prev = head;
  gc_head *gc = GC_NEXT(head);
  while (gc != head) {
    gc_head *trueprev = GC_PREV(gc);
    gc_head *truenext = NEXT_STRIPPED(gc);
    GCS_ASSERT(truenext != NULL);
    GCS_ASSERT(trueprev == prev);
    GCS_ASSERT((gc->gc_prev & PREV_MASK_COLLECTING) == prev_value);
    GCS_ASSERT((gc->gc_next & NEXT_MASK_UNREACHABLE) == next_value);
    GCS_ASSERT(FROM_GC(gc)->kind == GCS_CONTAINER);
    prev = gc;
    gc = truenext;
  }
  GCS_ASSERT(prev == GC_PREV(head));
}
#else
#define validate_list(x, y) ((void)0)
#endif


/* Set all gc_refs = ob_refcnt. After this, gc_refs is > 0 and PREV_MASK_COLLECTING is set
** for every object in `containers`. Returns how many there are (the pause's "examined": 3.11
** does not count them, but counting costs a register, not a walk). walks=3.11. */
PYGC_FUNC int64_t update_refs(gc_head *containers) {
  int64_t n = 0;
  for (gc_head *gc = GC_NEXT(containers); gc != containers; gc = GC_NEXT(gc)) {
    gc_reset_refs(gc, gc->refcnt);
    /* A count of 0 here would mean an object the cascade should already have freed. */
    GCS_ASSERT(gc_get_refs(gc) != 0);
    n++;
  }
  return n;
}


/* visit_decref past its _PyObject_IS_GC test: only objects in the generation being collected
** have PREV_MASK_COLLECTING; a reference to anything else is irrelevant. */
static inline void visit_decref_gc(gcs_obj *op) {
  gc_head *gc = AS_GC(op);
  if (gc_is_collecting(gc)) gc_decref(gc);
}

/* A traversal callback for subtract_refs. */
static inline void visit_decref(gcs_obj *op) {
  if (is_gc(op)) visit_decref_gc(op);
}

/* --- CPython's dispatch (layout=py, collectors/cpython.c) ----------------------------------
** CPython reaches a container's references through its type: Py_TYPE(op)->tp_traverse(op,
** visit, arg), an indirect call per object, which calls `visit` (indirectly) per reference;
** each visit tests _PyObject_IS_GC(op) through the referent's type (tp_flags, tp_is_gc);
** delete_garbage calls Py_TYPE(op)->tp_clear. The model's default walks the slots inline
** and tests the kind byte. With pygc_dispatch set, the walks below go CPython's way: a type
** per kind (pygc_types, indexed by the kind byte where CPython loads ob_type: the same chain
** of two dependent loads), the same functions, the same results. Only cpython.c sets it. */
typedef int (*pygc_visitproc)(gcs_obj *op, void *arg);
typedef struct pygc_type pygc_type;
struct pygc_type {
  unsigned long tp_flags;                                           /* PYGC_TPFLAGS_HAVE_GC */
  int (*tp_traverse)(gcs_obj *op, pygc_visitproc visit, void *arg); /* NULL: no references */
  int (*tp_clear)(gcs_obj *op);                                     /* NULL: nothing to clear */
  int (*tp_is_gc)(gcs_obj *op);                                     /* NULL: every instance */
  void (*tp_finalize)(gcs_obj *op);   /* NULL: no PEP 442 finalizer (finalize_garbage) */
  void (*tp_del)(gcs_obj *op);        /* NULL: no legacy finalizer (move_legacy_finalizers) */
  long tp_weaklistoffset;             /* 0: no weak references (handle_weakrefs) */
  const pygc_type *const *tp_mro;     /* the type, then its bases, NULL-ended */
};
#define PYGC_TPFLAGS_HAVE_GC (1UL << 14)   /* Py_TPFLAGS_HAVE_GC */

static bool pygc_dispatch __attribute__((unused));   /* walk through pygc_types (cpython.c's layout=py) */

/* A container's tp_traverse: its slots, as a list's traverses its items. */
PYGC_FUNC int pygc_container_traverse(gcs_obj *op, pygc_visitproc visit, void *arg) {
  for (uint32_t i = 0; i < op->nslots; i++) {
    if (op->slots[i]) {
      int r = visit(op->slots[i], arg);
      if (r) return r;
    }
  }
  return 0;
}

PYGC_FUNC int pygc_container_clear(gcs_obj *op);   /* clear_container, below */

/* The types: `object`, a container's (a GC type, as a list) and an atom's (as an int); and
** weakref's three, which no object here has, for handle_weakrefs' PyWeakref_Check. */
static const pygc_type pygc_types[2];
static const pygc_type pygc_object_type;
static const pygc_type *const pygc_object_mro[] = {&pygc_object_type, NULL};
static const pygc_type *const pygc_container_mro[] = {&pygc_types[GCS_CONTAINER], &pygc_object_type, NULL};
static const pygc_type *const pygc_atom_mro[] = {&pygc_types[GCS_ATOM], &pygc_object_type, NULL};
static const pygc_type pygc_object_type = {.tp_mro = pygc_object_mro};
static const pygc_type pygc_types[2] = {
  [GCS_CONTAINER] = {.tp_flags = PYGC_TPFLAGS_HAVE_GC, .tp_traverse = pygc_container_traverse,
                     .tp_clear = pygc_container_clear, .tp_mro = pygc_container_mro},
  [GCS_ATOM] = {.tp_mro = pygc_atom_mro},
};
static const pygc_type pygc_weakref_ref_type = {.tp_mro = pygc_object_mro};
static const pygc_type pygc_weakref_proxy_type = {.tp_mro = pygc_object_mro};
static const pygc_type pygc_weakref_callable_proxy_type = {.tp_mro = pygc_object_mro};
#define PY_TYPE(op) (&pygc_types[(op)->kind])

/* PyType_IsSubtype: b in a's MRO (a call, as CPython's: it is exported, not inlined). */
static GCS_NOINLINE __attribute__((unused)) int pygc_type_is_subtype(const pygc_type *a,
                                                                     const pygc_type *b) {
  for (const pygc_type *const *m = a->tp_mro; *m; m++)
    if (*m == b) return 1;
  return 0;
}

/* PyWeakref_Check: PyObject_TypeCheck(op, &_PyWeakref_RefType) or one of the proxy types. */
static inline __attribute__((unused)) bool pygc_weakref_check(gcs_obj *op) {
  const pygc_type *t = PY_TYPE(op);
  return t == &pygc_weakref_ref_type || pygc_type_is_subtype(t, &pygc_weakref_ref_type) ||
         t == &pygc_weakref_proxy_type || t == &pygc_weakref_callable_proxy_type;
}

/* _PyObject_IS_GC, through the type. */
static inline bool pygc_is_gc_tp(gcs_obj *op) {
  const pygc_type *t = PY_TYPE(op);
  return (t->tp_flags & PYGC_TPFLAGS_HAVE_GC) && (t->tp_is_gc == NULL || t->tp_is_gc(op));
}

PYGC_FUNC int pygc_visit_decref(gcs_obj *op, void *parent) {
  (void)parent;
  if (pygc_is_gc_tp(op)) visit_decref_gc(op);
  return 0;
}

/* tp_traverse(op, visit_decref). `dispatch` is pygc_dispatch, read once per walk by the
** caller: a constant in each of the walk's two copies, so the model's walk has no test. */
PYGC_SPECIALISED void traverse_decref(gc_head *gc, const bool dispatch) {
  gcs_obj *op = FROM_GC(gc);
  if (dispatch) {
    PY_TYPE(op)->tp_traverse(op, pygc_visit_decref, op);
    return;
  }
  for (uint32_t i = 0, n = op->nslots; i < n; i++) {
    gcs_obj *c = op->slots[i];
    if (c) visit_decref(c);
  }
}

/* Subtract internal references from gc_refs. After this, gc_refs is >= 0 for every object
** in containers; those with gc_refs > 0 are referenced from outside the generation being
** collected (a root, an older generation, an untracked container), so cannot be collected.
** walks=3.11. */
PYGC_SPECIALISED void subtract_refs_as(gc_head *containers, const bool dispatch) {
  for (gc_head *gc = GC_NEXT(containers); gc != containers; gc = GC_NEXT(gc))
    traverse_decref(gc, dispatch);
}
/* The walks' copies with dispatch, kept out of line: the model's copy is inlined alone. */
static GCS_NOINLINE __attribute__((unused)) void subtract_refs_dispatch(gc_head *containers) {
  subtract_refs_as(containers, true);
}
PYGC_FUNC void subtract_refs(gc_head *containers) {
  if (pygc_dispatch) subtract_refs_dispatch(containers);
  else subtract_refs_as(containers, false);
}


/* visit_reachable past its _PyObject_IS_GC test. */
static inline void visit_reachable_gc(gcs_obj *op, gc_head *reachable) {
  gc_head *gc = AS_GC(op);
  const intptr_t gc_refs = gc_get_refs(gc);

  /* Ignore objects in other generations. This also skips objects "to the left" of the
  ** current position in move_unreachable's scan of the 'young' list: they have been
  ** traversed already and no longer have the PREV_MASK_COLLECTING flag. */
  if (!gc_is_collecting(gc)) return;
  GCS_ASSERT_INTERNAL(gc->gc_next != 0);

  if (gc->gc_next & NEXT_MASK_UNREACHABLE) {
    /* This had gc_refs = 0 when move_unreachable got to it, but turns out to be reachable
    ** after all. Move it back to move_unreachable's 'young' list, and move_unreachable
    ** will eventually get to it again. The list functions do not work with the
    ** NEXT_MASK_UNREACHABLE flags around, so unlink it by hand. */
    gc_head *prev = GC_PREV(gc);
    gc_head *next = NEXT_STRIPPED(gc);
    GCS_ASSERT_INTERNAL(prev->gc_next & NEXT_MASK_UNREACHABLE);
    GCS_ASSERT_INTERNAL(next->gc_next & NEXT_MASK_UNREACHABLE);
    prev->gc_next = gc->gc_next;   /* copies NEXT_MASK_UNREACHABLE */
#if PYGC_SPACES
    gc->gc_next &= ~NEXT_MASK_UNREACHABLE;   /* gc_set_next keeps flags from 3.14 on */
#endif
    gc_set_prev(next, prev);
    gc_list_append(gc, reachable);
    gc_set_refs(gc, 1);
  } else if (gc_refs == 0) {
    /* In move_unreachable's 'young' list, but the traversal has not yet got to it. All we
    ** need do is tell move_unreachable that it is reachable. */
    gc_set_refs(gc, 1);
  } else {
    /* gc_refs > 0: in 'young', and move_unreachable will get to it. */
    GCS_ASSERT_INTERNAL(gc_refs > 0);
  }
}

/* A traversal callback for move_unreachable. */
static inline void visit_reachable(gcs_obj *op, gc_head *reachable) {
  if (is_gc(op)) visit_reachable_gc(op, reachable);
}

PYGC_FUNC int pygc_visit_reachable(gcs_obj *op, void *reachable) {
  if (pygc_is_gc_tp(op)) visit_reachable_gc(op, (gc_head *)reachable);
  return 0;
}

/* Move the unreachable objects from young to unreachable. After this, no object in young
** has PREV_MASK_COLLECTING and every object in unreachable has it; young holds exactly the
** objects reachable (directly or not) from outside the original young.
**
** This restores the gc_prev pointers: young and unreachable are doubly linked lists again
** afterwards. But gc_next in unreachable carries NEXT_MASK_UNREACHABLE, so the list
** functions do not work on unreachable until move_legacy_finalizers removes the flag.
**
** Returns the number of objects left in young: what 3.11 counts afterwards with
** gc_list_size(young) (for long_lived_total / long_lived_pending) and gc_list_size of the
** unreachable set, a whole walk of the heap each. Every object left in young went through
** the "reachable" branch below exactly once, so counting there gives the same numbers.
** `dispatch`: traverse_decref's. */
PYGC_SPECIALISED int64_t move_unreachable_as(gc_head *young, gc_head *unreachable, const bool dispatch) {
  gc_head *prev = young;   /* previous element of young, to restore gc_prev */
  gc_head *gc = GC_NEXT(young);
  int64_t reachable = 0;
#if PYGC_SPACES
  /* Record which old space we are in, and set NEXT_MASK_UNREACHABLE bit for convenience. */
  const uintptr_t flags = NEXT_MASK_UNREACHABLE | (gc->gc_next & NEXT_MASK_OLD_SPACE_1);
#else
  const uintptr_t flags = NEXT_MASK_UNREACHABLE;
#endif

  /* Invariants: everything "to the left" of us in young is reachable from outside young as
  ** it was at entry; every other object of the original young to the left of us is now in
  ** unreachable, with NEXT_MASK_UNREACHABLE. Objects to the left of us in young have been
  ** scanned, none here or to the right has. */
  while (gc != young) {
    if (gc_get_refs(gc)) {
      /* gc is definitely reachable from outside the original young. Traverse its pointers
      ** to find any other objects that may be directly reachable from it. The traversal may
      ** append objects to young, so the next object is known only after it returns. */
      gcs_obj *op = FROM_GC(gc);
      GCS_ASSERT_INTERNAL(gc_get_refs(gc) > 0);
      if (dispatch) {
        PY_TYPE(op)->tp_traverse(op, pygc_visit_reachable, young);
      } else {
        for (uint32_t i = 0, n = op->nslots; i < n; i++) {   /* tp_traverse(op, visit_reachable) */
          gcs_obj *c = op->slots[i];
          if (c) visit_reachable(c, young);
        }
      }
      gc_set_prev(gc, prev);     /* relink gc_prev to the previous element */
      gc_clear_collecting(gc);   /* gc is not COLLECTING after here */
      prev = gc;
      reachable++;
    } else {
      /* This *may* be unreachable. To make progress, assume it is. gc is not directly
      ** reachable from any object traversed so far, but may be from one not yet reached;
      ** visit_reachable will move it back into young if so, and we will see it again. */
      prev->gc_next = gc->gc_next;   /* young is singly linked here: no gc->next->prev */
      /* gc_list_append cannot be used: unreachable carries NEXT_MASK_UNREACHABLE, set on
      ** every member unconditionally -- even on the list head's next, repaired below. */
      gc_head *last = GC_PREV(unreachable);
      last->gc_next = flags | (uintptr_t)gc;
      gc_set_prev(gc, last);
      gc->gc_next = flags | (uintptr_t)unreachable;
      unreachable->gc_prev = (uintptr_t)gc;
    }
    gc = GC_NEXT(prev);
  }
  /* young->gc_prev must be the last element left in the list. */
  young->gc_prev = (uintptr_t)prev;
  /* do not let the pollution of the list head's next pointer leak */
#if PYGC_SPACES
  young->gc_next &= ~NEXT_FLAGS;
#endif
  unreachable->gc_next &= ~NEXT_FLAGS;
  return reachable;
}
static GCS_NOINLINE __attribute__((unused)) int64_t move_unreachable_dispatch(gc_head *young,
                                                                            gc_head *unreachable) {
  return move_unreachable_as(young, unreachable, true);
}
PYGC_FUNC int64_t move_unreachable(gc_head *young, gc_head *unreachable) {
  if (pygc_dispatch) return move_unreachable_dispatch(young, unreachable);
  return move_unreachable_as(young, unreachable, false);
}


/* Return true if object has a pre-PEP 442 finalization method (tp_del). None has here; with
** CPython's dispatch the type is read to find that out. */
static inline bool has_legacy_finalizer(const gcs_obj *op, const bool dispatch) {
  return dispatch && PY_TYPE(op)->tp_del != NULL;
}

/* Move the objects in unreachable with tp_del slots into `finalizers` (none, here). This
** also removes the NEXT_MASK_UNREACHABLE flag from gc_next in unreachable. */
PYGC_FUNC void move_legacy_finalizers(gc_head *unreachable, gc_head *finalizers) {
  const bool dispatch = pygc_dispatch;
  gc_head *next;
  GCS_ASSERT_INTERNAL((unreachable->gc_next & NEXT_MASK_UNREACHABLE) == 0);
  for (gc_head *gc = GC_NEXT(unreachable); gc != unreachable; gc = next) {
    GCS_ASSERT_INTERNAL(gc->gc_next & NEXT_MASK_UNREACHABLE);
    gc->gc_next &= ~NEXT_MASK_UNREACHABLE;
    next = GC_NEXT(gc);
    if (has_legacy_finalizer(FROM_GC(gc), dispatch)) {
      gc_clear_collecting(gc);
      gc_list_move(gc, finalizers);
    }
  }
}

PYGC_FUNC void clear_unreachable_mask(gc_head *unreachable) {
  gc_head *next;
  GCS_ASSERT_INTERNAL((unreachable->gc_next & NEXT_MASK_UNREACHABLE) == 0);
  for (gc_head *gc = GC_NEXT(unreachable); gc != unreachable; gc = next) {
    GCS_ASSERT_INTERNAL(gc->gc_next & NEXT_MASK_UNREACHABLE);
    gc->gc_next &= ~NEXT_MASK_UNREACHABLE;
    next = GC_NEXT(gc);
  }
  validate_list(unreachable, collecting_set_unreachable_clear);
}


/* tp_clear: drop every reference the container holds; reference counting does the rest. */
static inline void clear_container(gcs_obj *op) {
  for (uint32_t i = 0; i < op->nslots; i++)
    if (op->slots[i]) gcs_store(op, i, NULL);
}

PYGC_FUNC int pygc_container_clear(gcs_obj *op) {
  clear_container(op);
  return 0;
}

/* Break reference cycles by clearing the containers in `collectable`. Clearing one may free
** others in the list (the `freeing` hook unlinks them), so the head is read afresh each
** time; an object still alive after its clear (referenced by garbage not yet cleared) moves
** to `old`, and dies later in this loop. `dispatch`: traverse_decref's. */
PYGC_SPECIALISED void delete_garbage_as(gc_head *collectable, gc_head *old, const bool dispatch) {
  while (!gc_list_is_empty(collectable)) {
    gc_head *gc = GC_NEXT(collectable);
    gcs_obj *op = FROM_GC(gc);
    GCS_ASSERT(gc->refcnt > 0);
    gcs_incref(op);            /* Py_INCREF(op) */
    if (dispatch) PY_TYPE(op)->tp_clear(op);
    else clear_container(op);
    gcs_decref(op);            /* Py_DECREF(op): frees op unless garbage still holds it */
    if (GC_NEXT(collectable) == gc) {
      /* object is still alive, move it, it may die later */
      gc_clear_collecting(gc);
      gc_list_move(gc, old);
    }
  }
}
static GCS_NOINLINE __attribute__((unused)) void delete_garbage_dispatch(gc_head *collectable,
                                                                        gc_head *old) {
  delete_garbage_as(collectable, old, true);
}
PYGC_FUNC void delete_garbage(gc_head *collectable, gc_head *old) {
  if (pygc_dispatch) delete_garbage_dispatch(collectable, old);
  else delete_garbage_as(collectable, old, false);
}

/* finalize_garbage (walks=3.11): every object moves to `seen` and is tested for a
** tp_finalize not yet called (none has one here: the model does not look, CPython's
** dispatch reads the type); then `seen` goes back, in the same order. */
PYGC_FUNC void finalize_garbage(gc_head *collectable) {
  const bool dispatch = pygc_dispatch;
  gc_head seen;
  gc_list_init(&seen);
  while (!gc_list_is_empty(collectable)) {
    gc_head *gc = GC_NEXT(collectable);
    gc_list_move(gc, &seen);
    if (dispatch && !(gc->gc_prev & PREV_MASK_FINALIZED) && PY_TYPE(FROM_GC(gc))->tp_finalize) {
      /* _PyGCHead_SET_FINALIZED(gc); Py_TYPE(op)->tp_finalize(op): never, here */
    }
  }
  gc_list_merge(&seen, collectable);
}

/* Verification */

#define AUX_LISTED 0x4000u   /* gcaux bit, only inside verify: seen in a list */

/* One list of collector `who`: consistent links, containers only, none seen twice, every
** count positive but `held`'s (an object the value stack holds, or NULL); no flag but, with
** PYGC_SPACES, the old-space bit, which every element carries as `space` says (0 or 1; -1:
** either). Returns its length, or -1 after printing what is wrong; *marked is how many
** elements, from the head, it marked AUX_LISTED either way (unmark_list clears them). */
PYGC_FUNC int64_t verify_list(const char *who, gc_head *head, const char *name, int space,
                              const gcs_obj *held, int64_t *marked) {
  int64_t n = 0;
  gc_head *prev = head;
  *marked = 0;
  if (head->gc_prev & ~PREV_MASK || head->gc_next & NEXT_FLAGS) {
    gcs_error("verify %s: list %s: its head carries flags", who, name);
    return -1;
  }
  for (gc_head *gc = GC_NEXT(head); gc != head; gc = GC_NEXT(gc)) {
    gcs_obj *o = FROM_GC(gc);
    if (gc == NULL || (gc->gc_next & NEXT_MASK_UNREACHABLE) || (gc->gc_prev & ~PREV_MASK)) {
      gcs_error("verify %s: list %s: element %" PRId64 " (%p) is NULL or carries flags",
                who, name, n, (void *)o);
      return -1;
    }
#if PYGC_SPACES
    if (space >= 0 && (int)(gc->gc_next & NEXT_MASK_OLD_SPACE_1) != space) {
      gcs_error("verify %s: list %s: element %" PRId64 " (%p) is in old space %d, not %d", who,
                name, n, (void *)o, (int)(gc->gc_next & NEXT_MASK_OLD_SPACE_1), space);
      return -1;
    }
#else
    (void)space;
#endif
    if (GC_PREV(gc) != prev) {
      gcs_error("verify %s: list %s: element %" PRId64 " (%p): prev does not point back",
                who, name, n, (void *)o);
      return -1;
    }
    if (o->kind != GCS_CONTAINER) {
      gcs_error("verify %s: list %s: element %" PRId64 " (%p) is not a container (kind %u)",
                who, name, n, (void *)o, o->kind);
      return -1;
    }
    if (o->gcaux & AUX_LISTED) {
      gcs_error("verify %s: list %s: %p is in a list twice", who, name, (void *)o);
      return -1;
    }
    if (gc->refcnt <= 0 && o != held) {
      gcs_error("verify %s: list %s: %p has count %" PRIdPTR, who, name, (void *)o, gc->refcnt);
      return -1;
    }
    o->gcaux |= AUX_LISTED;
    *marked = ++n;
    prev = gc;
  }
  if (GC_PREV(head) != prev) {
    gcs_error("verify %s: list %s: the head's prev is not the last element", who, name);
    return -1;
  }
  return n;
}

/* Clears AUX_LISTED from the first n elements of a list (links verified that far). */
PYGC_FUNC void unmark_list(gc_head *head, int64_t n) {
  gc_head *gc = GC_NEXT(head);
  for (int64_t i = 0; i < n; i++, gc = GC_NEXT(gc)) FROM_GC(gc)->gcaux &= (uint16_t)~AUX_LISTED;
}

#endif /* GCS_PYGC_H */
