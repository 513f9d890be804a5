/*
** py.c — the `py` peer: real CPython 3.11 (Debian's libpython3.11, embedded) as a collector
** back-end, so that every workload and `replay` runs on the real Modules/gcmodule.c and the
** real pymalloc, beside the `cpython` model.
**
** Memory: every object is a Python object whose body, after PyObject_VAR_HEAD, holds the
** gcs_obj header, the slots and the payload (ob_size = 8*nslots + payload, tp_itemsize 1):
**
**     container: [ PyGC_Head 16 ][ ob_refcnt | ob_type | ob_size ][ gcs_obj ... ]   (prefix 40)
**     atom:                      [ ob_refcnt | ob_type | ob_size ][ gcs_obj ... ]   (prefix 24)
**
** A container is an instance of a GC type allocated by _PyObject_GC_NewVar (gc_alloc, then
** _PyObject_GC_Link: count0++ and maybe a collection, exactly as for a list subclass in 3.11),
** tracked right after the core has filled its header, traversed and cleared through
** tp_traverse/tp_clear (the slots visited as PyObject *), freed by Py_DECREF into pymalloc
** (PyObject_GC_Del: count0-- while > 0), with the trashcan in tp_dealloc so a 10-million-node
** chain frees without deep C recursion. An atom is an instance of a non-GC type
** (PyObject_NewVar, PyObject_Free).
**
** Counts: gcscope's contract is that a new object is floating (held by nothing); CPython's
** starts at 1. alloc_object sets it to 0, and the mutator's first store counts it. The inline
** RC fast path of gcs.h reads ((intptr_t *)o)[-1], which here is ob_size, so this peer takes
** the out-of-line barrier (GCS_BARRIER_CALL): every gcs_store, gcs_root_set and root release
** calls ref_slow, which does Py_INCREF / Py_DECREF.
**
** Barrier cost (callgrind, release build): replaying 1,000,000 `set` ops among 64 live
** containers (no allocation, no free), the replay loop executes 77.0 instructions per store
** under `cpython` (inline RC) and 86.0 under `py`: +9.0 instructions per store (+12%), of
** which ref_slow's body (Py_INCREF, Py_DECREF's test, the return) is 11.0 per call.
**
** Pauses: a C function appended to gc.callbacks records each collection ("start" / "stop",
** info["generation"], info["collected"]) with gcs_pause_begin/gcs_pause_end: kind collect for generations
** 0 and 1, full for 2. Calling callbacks makes gcmodule.c build an info dict; after a full
** collection the dict free list is empty (clear_freelists), so the "stop" dict is a GC
** allocation that counts toward count0 (and is then kept by the free list, never un-counted).
** The "stop" callback of a generation-2 collection takes that one count back, so the counts
** are those of a CPython without callbacks (fidelity.py checks it against the oracle). The
** callback allocates no GC object itself (METH_FASTCALL: no argument tuple). Objects examined
** per pause: generation 2, long_lived_total + found; generation 1, the growth of
** long_lived_pending + found (both exact); generation 0, count0 at the start (gcmodule.c's
** trigger: tracked allocations less deallocations, the list length when nothing young died).
**
** Knobs map onto the gc module: threshold0..2 (gc.set_threshold), enabled (gc.disable), and
** freeze_after_allocs (gc.freeze() after the N-th container, as the cpython knob);
** interpreter_objects=frozen (default) calls gc.freeze() at every heap open so the
** interpreter's own ~4,800 tracked startup objects are not walked, `kept` unfreezes them.
** Every open ends with one full collection, so counts, long_lived_total and the
** generations start empty, as in cpython_oracle.py. report reads gc.get_count() and
** gc.get_stats() from the interpreter's gc state directly (the module functions would build
** a tuple or a list, a tracked allocation that moves count0), stats since the heap opened.
**
** Py_Initialize runs once per process (the first open); the heap may be opened and closed
** any number of times. Closing drops the roots and runs gc.collect(): every object the
** workload made is freed then, and whatever is left is the leak the core reports.
**
** Invariants (verify): every live gcscope object's ob_refcnt == the slots and roots holding
** it; every live container is tracked.
**
** Build macros: GCS_DEBUG >= 2 (verify checks the counts through the core's registry).
** Compiled with pkg-config's python3-embed flags and Py_BUILD_CORE for the gc state.
*/
#define Py_BUILD_CORE 1
#include <Python.h>
#include "internal/pycore_interp.h"

#include "core/internal.h"
#include "collectors/collectors.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#define NUM_GENERATIONS 3

typedef struct pyobj {
  PyObject_VAR_HEAD   /* ob_refcnt, ob_type, ob_size = 8 * nslots + payload */
  gcs_obj obj;        /* gcscope's header, then the slots and the payload */
} pyobj;

#define AS_PY(o) ((PyObject *)((char *)(o) - offsetof(pyobj, obj)))
#define FROM_PY(op) (&((pyobj *)(op))->obj)

static struct {
  bool started;                  /* Py_Initialize has run (once per process) */
  bool active;                   /* a heap is open: record pauses */
  PyObject *gc_collect;          /* gc.collect */
  PyObject *gc_freeze;           /* gc.freeze */
  PyObject *gc_unfreeze;         /* gc.unfreeze */
  PyObject *gc_set_threshold;    /* gc.set_threshold */
  PyObject *key_generation;      /* "generation", interned */
  PyObject *key_collected;       /* "collected" */
  PyObject *key_uncollectable;   /* "uncollectable" */
  struct _gc_runtime_state *gc;  /* the interpreter's gcmodule.c state */
  struct gc_generation_stats base[NUM_GENERATIONS]; /* stats at open, subtracted by report */
  int64_t freeze_after_allocs;   /* knob; 0 never */
  uint16_t epoch;                /* this heap's number (never 0), in every object's gcaux: an
                                    object an earlier heap left (frozen) may die in this one's
                                    collections, and is not this heap's to account */
  uint64_t allocs;               /* containers tracked since open */
  /* the collection under way (between the "start" and "stop" callbacks) */
  gcs_pause_token_t pause;       /* its start (no clock read with pause_log off) */
  int64_t count0;                /* count0 at its start */
  int64_t pending;               /* long_lived_pending at its start */
  bool was_collecting;           /* gcs_heap.collecting before it */
  /* the reference-count cascade of the current ref_slow */
  uint64_t freed;                /* objects freed since ref_slow began */
  gcs_pause_token_t cascade;     /* from the GCS_CASCADE_CUTOFF-th free of a cascade on */
  bool cascade_timed;            /* the cascade under way reached the cut-off */
} py;

/* ------------------------------------------------------------------------------------ */
/* The two types                                                                         */
/* ------------------------------------------------------------------------------------ */

/* A gcscope object is gone: the core forgets it, and the cascade clock counts it. */
static void account_free(gcs_obj *o) {
  if (gcs_heap.ops != &gcs_collector_py) return;   /* freed after its heap closed */
  if (o->gcaux != py.epoch) return;   /* an earlier heap's leak (frozen, say) freed now */
  gcs_heap_freed(o);
  if (++py.freed == GCS_CASCADE_CUTOFF) {
    py.cascade = gcs_pause_begin();
    py.cascade_timed = true;
  }
}

static int container_traverse(PyObject *self, visitproc visit, void *arg) {
  gcs_obj *o = FROM_PY(self);
  for (uint32_t i = 0; i < o->nslots; i++) {
    if (o->slots[i]) {
      int r = visit(AS_PY(o->slots[i]), arg);
      if (r) return r;
    }
  }
  return 0;
}

static int container_clear(PyObject *self) {
  gcs_obj *o = FROM_PY(self);
  for (uint32_t i = 0; i < o->nslots; i++) {
    gcs_obj *c = o->slots[i];
    if (c) {
      o->slots[i] = NULL;
      Py_DECREF(AS_PY(c));
    }
  }
  return 0;
}

static void container_dealloc(PyObject *self) {
  PyObject_GC_UnTrack(self);
  Py_TRASHCAN_BEGIN(self, container_dealloc)
  gcs_obj *o = FROM_PY(self);
  account_free(o);
  for (uint32_t i = 0; i < o->nslots; i++) {
    gcs_obj *c = o->slots[i];
    if (c) Py_DECREF(AS_PY(c));
  }
  PyObject_GC_Del(self);
  Py_TRASHCAN_END
}

static void atom_dealloc(PyObject *self) {
  account_free(FROM_PY(self));
  PyObject_Free(self);
}

static PyTypeObject container_type = {
  .ob_base = PyVarObject_HEAD_INIT(NULL, 0)
  .tp_name = "gcscope.container",
  .tp_basicsize = offsetof(pyobj, obj) + sizeof(gcs_obj),
  .tp_itemsize = 1,
  .tp_dealloc = container_dealloc,
  .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
  .tp_doc = "a gcscope container: slots and payload inline",
  .tp_traverse = container_traverse,
  .tp_clear = container_clear,
  .tp_free = PyObject_GC_Del,
};

static PyTypeObject atom_type = {
  .ob_base = PyVarObject_HEAD_INIT(NULL, 0)
  .tp_name = "gcscope.atom",
  .tp_basicsize = offsetof(pyobj, obj) + sizeof(gcs_obj),
  .tp_itemsize = 1,
  .tp_dealloc = atom_dealloc,
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_doc = "a gcscope atom: payload only, not tracked",
  .tp_free = PyObject_Free,
};

/* ------------------------------------------------------------------------------------ */
/* Pauses: the gc.callbacks entry                                                        */
/* ------------------------------------------------------------------------------------ */

static long info_long(PyObject *info, PyObject *key) {
  PyObject *v = PyDict_GetItemWithError(info, key);   /* borrowed */
  return v ? PyLong_AsLong(v) : -1;
}

/* callback(phase, info). Allocates nothing tracked: the strings are interned at start. */
static PyObject *pause_callback(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
  (void)self;
  if (nargs != 2 || !PyDict_Check(args[1])) Py_RETURN_NONE;
  bool start = PyUnicode_CompareWithASCIIString(args[0], "start") == 0;
  if (start) {
    py.was_collecting = gcs_heap.collecting;
    gcs_heap.collecting = true;   /* no nested collection; cascades are the collection's */
    py.count0 = py.gc->generations[0].count;
    py.pending = py.gc->long_lived_pending;
    py.pause = gcs_pause_begin();
    Py_RETURN_NONE;
  }
  long gen = info_long(args[1], py.key_generation);
  long found = info_long(args[1], py.key_collected);
  long uncollectable = info_long(args[1], py.key_uncollectable);
  PyErr_Clear();
  /* The info dict of this "stop" came from an empty free list after a full collection:
  ** one count0 that a CPython without callbacks does not have. */
  if (gen == NUM_GENERATIONS - 1 && py.gc->generations[0].count > 0) py.gc->generations[0].count--;
  gcs_heap.collecting = py.was_collecting;
  if (!py.active) Py_RETURN_NONE;
  uint64_t visited;
  if (gen == NUM_GENERATIONS - 1) visited = (uint64_t)py.gc->long_lived_total;
  else if (gen == NUM_GENERATIONS - 2) visited = (uint64_t)(py.gc->long_lived_pending - py.pending);
  else visited = (uint64_t)(py.count0 > 0 ? py.count0 : 0);
  if (gen > 0) visited += (uint64_t)(found + uncollectable);
  gcs_pause_end(py.pause, gen == NUM_GENERATIONS - 1 ? GCS_PAUSE_FULL : GCS_PAUSE_COLLECT,
                (int)gen, visited, (uint64_t)found);
  Py_RETURN_NONE;
}

static PyMethodDef pause_def = {"gcscope_pause", (PyCFunction)(void (*)(void))pause_callback,
                                METH_FASTCALL, "gcscope: time a collection"};

/* ------------------------------------------------------------------------------------ */
/* The interpreter                                                                       */
/* ------------------------------------------------------------------------------------ */

static PyObject *gc_attr(PyObject *gc, const char *name) {
  PyObject *f = PyObject_GetAttrString(gc, name);
  if (!f) gcs_fatal("py: the gc module has no %s", name);
  return f;
}

/* Py_Initialize, the types, the gc module's functions, the callback: once per process,
** before any freeze, so all of it is the interpreter's. */
static int start_interpreter(void) {
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.install_signal_handlers = 0;
  config.use_hash_seed = 1;   /* the interpreter's own dicts and sets alike in every run */
  config.hash_seed = 0;
  config.parse_argv = 0;
  PyStatus st = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(st)) {
    gcs_error("py: Py_InitializeFromConfig failed: %s", st.err_msg ? st.err_msg : "?");
    return ENOSYS;
  }
  if (PyType_Ready(&container_type) < 0 || PyType_Ready(&atom_type) < 0) {
    PyErr_Print();
    return ENOSYS;
  }
  PyObject *gc = PyImport_ImportModule("gc");
  if (!gc) {
    PyErr_Print();
    return ENOSYS;
  }
  py.gc_collect = gc_attr(gc, "collect");
  py.gc_freeze = gc_attr(gc, "freeze");
  py.gc_unfreeze = gc_attr(gc, "unfreeze");
  py.gc_set_threshold = gc_attr(gc, "set_threshold");
  PyObject *callbacks = gc_attr(gc, "callbacks");
  PyObject *cb = PyCFunction_New(&pause_def, NULL);
  if (!cb || PyList_Append(callbacks, cb) < 0) {
    PyErr_Print();
    return ENOSYS;
  }
  Py_DECREF(cb);
  Py_DECREF(callbacks);
  Py_DECREF(gc);
  py.key_generation = PyUnicode_InternFromString("generation");
  py.key_collected = PyUnicode_InternFromString("collected");
  py.key_uncollectable = PyUnicode_InternFromString("uncollectable");
  py.gc = &PyInterpreterState_Get()->gc;
  py.started = true;
  return 0;
}

/* f() or f(a, b, c) with small ints; the result's int value. Vectorcall: no argument tuple
** for the METH_FASTCALL / METH_NOARGS functions of the gc module. */
static long call_gc(PyObject *f, int nargs, const long *a) {
  PyObject *args[3] = {NULL, NULL, NULL};
  for (int i = 0; i < nargs; i++) args[i] = PyLong_FromLong(a[i]);
  PyObject *r = PyObject_Vectorcall(f, args, (size_t)nargs, NULL);
  for (int i = 0; i < nargs; i++) Py_XDECREF(args[i]);
  if (!r) {
    PyErr_Print();
    gcs_fatal("py: a call into the gc module failed");
  }
  long v = PyLong_Check(r) ? PyLong_AsLong(r) : 0;
  Py_DECREF(r);
  return v;
}

/* ------------------------------------------------------------------------------------ */
/* The ops                                                                               */
/* ------------------------------------------------------------------------------------ */

static int init(void) {
  if (!py.started) {
    int rc = start_interpreter();
    if (rc) return rc;
  }
  py.active = false;
  if (++py.epoch == 0) py.epoch = 1;
  long th[NUM_GENERATIONS] = {(long)gcs_knob("threshold0"), (long)gcs_knob("threshold1"),
                              (long)gcs_knob("threshold2")};
  call_gc(py.gc_set_threshold, NUM_GENERATIONS, th);
  if (gcs_knob("enabled")) PyGC_Enable();
  else PyGC_Disable();
  call_gc(gcs_knob("interpreter_objects") == 0 ? py.gc_freeze : py.gc_unfreeze, 0, NULL);
  long full = NUM_GENERATIONS - 1;
  call_gc(py.gc_collect, 1, &full);   /* empty generations, zero counts and long_lived_* */
  memcpy(py.base, py.gc->generation_stats, sizeof py.base);
  py.freeze_after_allocs = gcs_knob("freeze_after_allocs");
  py.allocs = 0;
  py.active = true;
  return 0;
}

static void fini(void) {
  py.active = false;
}

/* _PyObject_GC_NewVar / PyObject_NewVar, then floating (count 0). On failure: one full
** collection, one retry, then a clean error (Lua's tryagain). */
static gcs_obj *alloc_object(uint32_t nslots, uint32_t payload, int kind) {
  Py_ssize_t n = (Py_ssize_t)nslots * (Py_ssize_t)sizeof(gcs_obj *) + (Py_ssize_t)payload;
  PyObject *op = NULL;
  for (int attempt = 0; attempt < 2 && !op; attempt++) {
    if (attempt) {
      PyErr_Clear();
      long full = NUM_GENERATIONS - 1;
      call_gc(py.gc_collect, 1, &full);
    }
    if (gcs_fault_inject(GCS_FAULT_PEER)) continue;   /* as if CPython's allocator said no */
    op = kind == GCS_CONTAINER ? (PyObject *)_PyObject_GC_NewVar(&container_type, n)
                               : (PyObject *)PyObject_NewVar(PyVarObject, &atom_type, n);
  }
  if (!op) {
    PyErr_Clear();
    gcs_fatal("out of memory: CPython refused a py object of %zd bytes after an emergency full"
              " collection, with %llu objects (%llu bytes) live%s", n,
              (unsigned long long)gcs_heap.live_objects, (unsigned long long)gcs_heap.live_bytes,
              gcs_fault_note());
  }
  Py_SET_REFCNT(op, 0);
  return FROM_PY(op);
}

/* _PyObject_GC_TRACK, then the freeze_after_allocs knob (gc.freeze() right after the N-th). */
static void allocated(gcs_obj *o) {
  o->gcaux = py.epoch;   /* this heap's: account_free reports only those */
  if (o->kind != GCS_CONTAINER) return;
  PyObject_GC_Track(AS_PY(o));
  if (GCS_UNLIKELY(++py.allocs == (uint64_t)py.freeze_after_allocs)) call_gc(py.gc_freeze, 0, NULL);
}

/* The out-of-line barrier: Py_INCREF(v); Py_DECREF(old), timing a cascade of frees that
** reaches GCS_CASCADE_CUTOFF objects (as the core's RC cascade). */
static void ref_slow(gcs_obj *v, gcs_obj *old) {
  if (v) Py_INCREF(AS_PY(v));
  if (!old) return;
  PyObject *op = AS_PY(old);
  if (Py_REFCNT(op) > 1) {   /* not the last reference: no cascade to time */
    Py_DECREF(op);
    return;
  }
  py.freed = 0;
  py.cascade_timed = false;
  Py_DECREF(op);
  if (py.freed > 1) gcs_heap.stats.rc_cascades++;
  if (py.cascade_timed && !gcs_heap.collecting)
    gcs_pause_end(py.cascade, GCS_PAUSE_CASCADE, -1, py.freed, py.freed);
}

/* gc.freeze() itself. */
static void freeze(void) {
  call_gc(py.gc_freeze, 0, NULL);
}

/* gc.collect(generation): -1 is a full collection. */
static uint64_t collect(int generation) {
  long g = generation < 0 || generation >= NUM_GENERATIONS ? NUM_GENERATIONS - 1 : generation;
  long found = call_gc(py.gc_collect, 1, &g);
  return found > 0 ? (uint64_t)found : 0;
}

static void report(gcs_gc_report_t *r) {
  r->ngenerations = NUM_GENERATIONS;
  for (int i = 0; i < NUM_GENERATIONS; i++) {
    r->count[i] = py.gc->generations[i].count;
    r->gen[i].collections = (uint64_t)(py.gc->generation_stats[i].collections - py.base[i].collections);
    r->gen[i].collected = (uint64_t)(py.gc->generation_stats[i].collected - py.base[i].collected);
    r->gen[i].uncollectable =
        (uint64_t)(py.gc->generation_stats[i].uncollectable - py.base[i].uncollectable);
  }
}

/* ------------------------------------------------------------------------------------ */
/* Verification: ob_refcnt against the slots and roots, as gcs_rc_verify_counts          */
/* ------------------------------------------------------------------------------------ */

#if GCS_DEBUG >= 2
static void adjust_children(gcs_obj *o, void *arg) {
  Py_ssize_t delta = *(const Py_ssize_t *)arg;
  for (uint32_t i = 0; i < o->nslots; i++) {
    PyObject *c = o->slots[i] ? AS_PY(o->slots[i]) : NULL;
    if (c) Py_SET_REFCNT(c, Py_REFCNT(c) + delta);
  }
}

static void adjust_roots(Py_ssize_t delta) {
  for (gcs_obj **r = gcs_heap.roots_base; r < gcs_heap.roots_top; r++)
    if (*r) Py_SET_REFCNT(AS_PY(*r), Py_REFCNT(AS_PY(*r)) + delta);
}

static void check_object(gcs_obj *o, void *arg) {
  int *bad = arg;
  PyObject *op = AS_PY(o);
  if (Py_REFCNT(op) != 0) {
    gcs_error("verify py: %p (%s, %u slots) has count %zd more than its referrers", (void *)o,
              o->kind == GCS_ATOM ? "atom" : "container", o->nslots, Py_REFCNT(op));
    *bad = 1;
  }
  if (o->kind == GCS_CONTAINER && !PyObject_GC_IsTracked(op)) {
    gcs_error("verify py: container %p is not tracked", (void *)o);
    *bad = 1;
  }
}
#endif

static int verify(void) {
  int bad = 0;
#if GCS_DEBUG >= 2
  Py_ssize_t minus = -1, plus = 1;
  gcs_heap_walk(adjust_children, &minus);
  adjust_roots(-1);
  gcs_heap_walk(check_object, &bad);
  adjust_roots(1);
  gcs_heap_walk(adjust_children, &plus);
#endif
  return bad;
}

/* ------------------------------------------------------------------------------------ */
/* The ops table                                                                         */
/* ------------------------------------------------------------------------------------ */

static const char *const frozen_kept[] = {"frozen", "kept", NULL};

static const gcs_knob_t knobs[] = {
  {"threshold0", 700, 0, INT_MAX, NULL, "gc.set_threshold: collect generation 0 when count0 exceeds this; 0 = never"},
  {"threshold1", 10, 0, INT_MAX, NULL, "gc.set_threshold: collect generation 1 after this many generation-0 collections"},
  {"threshold2", 10, 0, INT_MAX, NULL, "gc.set_threshold: collect generation 2 after this many generation-1 collections (and the 25% rule)"},
  {"enabled", 1, 0, 1, gcs_knob_off_on, "automatic collections (gc.enable() / gc.disable()); counts are kept either way"},
  {"freeze_after_allocs", 0, 0, (int64_t)1 << 62, NULL,
   "gc.freeze() right after this many containers have been allocated; 0 = never"},
  {"interpreter_objects", 0, 0, 1, frozen_kept,
   "the interpreter's own startup objects: frozen (gc.freeze() at open, never walked) or kept in generation 2"},
  {NULL, 0, 0, 0, NULL, NULL},
};

const gcs_collector_ops gcs_collector_py = {
  .name = "py",
  .summary = "peer: real CPython 3.11 (libpython3.11 embedded: gcmodule.c, pymalloc, Py_INCREF/Py_DECREF)",
  .kind = "peer",
  .barrier = GCS_BARRIER_CALL,
  .prefix_container = sizeof(PyGC_Head) + offsetof(pyobj, obj),
  .prefix_atom = offsetof(pyobj, obj),
  .knobs = knobs,
  .init = init,
  .fini = fini,
  .allocated = allocated,
  .collect = collect,
  .verify = verify,
  .report = report,
  .alloc_object = alloc_object,
  .ref_slow = ref_slow,
  .freeze = freeze,
};
