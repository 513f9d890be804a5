/*
** test_conformance.c — every collector in gcs_collectors[] against seeded random mutator
** traces (cycles, deep chains, rebinding, loads), driven through the mutator API.
**
** The test keeps its own model of the object graph: every object ever allocated gets an id
** (its `tag`, assigned by the test's observer), and the model mirrors every binding and store.
** After each full collection the live set — kept by the observer from the heap's allocation
** and free events — must equal what the model says, computed without asking the collector:
**   tracing collectors, cpython    the objects reachable from the roots
**   rc                             those, plus the garbage pure reference counting cannot free:
**                                  what is left of the unreachable objects once every one with
**                                  no referrer is peeled off, repeatedly (objects on a cycle or
**                                  reachable from one)
**   none                           everything ever allocated
** Every reachable object is also checked against the model: its slots and its payload
** pattern. The heap verifier (core + collector) runs at random points; a GCS_DEBUG=3 build
** also verifies at every phase boundary, the stress build collects at every allocation.
**
** A failure prints the collector, the variant, the seed and the op; CONFORMANCE_DEBUG=1 in the
** environment also prints the model's referrers of the object that is wrong.
*/
#include "tests/support.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#if GCS_STRESS
#define NOPS 500          /* operations per trace */
#define NSEEDS 3          /* traces per collector and variant */
#define CHAIN_MAX 200     /* longest deep chain */
#elif GCS_DEBUG
#define NOPS 4000
#define NSEEDS 6
#define CHAIN_MAX 3000
#else
#define NOPS 6000
#define NSEEDS 6
#define CHAIN_MAX 10000
#endif
#define NBIND 16          /* named bindings (roots) the trace uses; one more is scratch */

/* --------------------------------------------------------------------------------------
** The model
** ------------------------------------------------------------------------------------ */
typedef struct mobj {
  gcs_obj *ptr;      /* the heap object while it is live */
  uint32_t nslots;   /* as allocated */
  uint32_t payload;  /* payload bytes, filled with (uint8_t)(id * 7) */
  uint32_t *slots;   /* ids of the slot targets, 0 = NULL */
  bool atom;
  bool live;         /* per the observer */
} mobj;

static struct {
  mobj *o;           /* o[1..n]; id 0 is "nothing" */
  uint32_t n, cap;
  uint64_t live, freed;
  uint32_t bind[NBIND + 1];  /* the model of the roots */
  uint8_t *mark;     /* scratch, cap entries */
  uint32_t *stack;   /* scratch */
  uint32_t *indeg;   /* scratch */
  bool no_free;      /* `none`: a free is a failure */
} M;

static void obs_allocated(void *arg, gcs_obj *o) {
  (void)arg;
  if (M.n + 1 >= M.cap) {
    M.cap = M.cap ? M.cap * 2 : 4096;
    M.o = realloc(M.o, M.cap * sizeof *M.o);
    M.mark = realloc(M.mark, M.cap);
    M.stack = realloc(M.stack, M.cap * sizeof *M.stack);
    M.indeg = realloc(M.indeg, M.cap * sizeof *M.indeg);
    cr_assert(M.o && M.mark && M.stack && M.indeg);
  }
  uint32_t id = ++M.n;
  o->tag = id;
  mobj *m = &M.o[id];
  m->ptr = o;
  m->nslots = o->nslots;
  m->payload = o->payload;
  m->slots = o->nslots ? calloc(o->nslots, sizeof *m->slots) : NULL;
  m->atom = o->kind == GCS_ATOM;
  m->live = true;
  M.live++;
  memset(gcs_obj_payload(o), (uint8_t)(id * 7), o->payload);
}

static void obs_freed(void *arg, gcs_obj *o) {
  (void)arg;
  uint32_t id = o->tag;
  cr_assert(id >= 1 && id <= M.n && M.o[id].ptr == o && M.o[id].live,
            "freed %p (tag %u) is not a live object", (void *)o, id);
  cr_assert(!M.no_free, "collector `none` freed object %u", id);
  M.o[id].live = false;
  M.o[id].ptr = NULL;
  M.live--;
  M.freed++;
}

static const gcs_observer_t observer = {obs_allocated, obs_freed, NULL};

static void model_reset(void) {
  for (uint32_t i = 1; i <= M.n; i++) free(M.o[i].slots);
  free(M.o);
  free(M.mark);
  free(M.stack);
  free(M.indeg);
  memset(&M, 0, sizeof M);
}

/* Marks in M.mark every id reachable from the model's roots; returns how many. */
static uint64_t model_reachable(void) {
  uint64_t n = 0;
  uint32_t sp = 0;
  memset(M.mark, 0, M.n + 1);
  for (int i = 0; i <= NBIND; i++) {
    uint32_t id = M.bind[i];
    if (id && !M.mark[id]) {
      M.mark[id] = 1;
      M.stack[sp++] = id;
    }
  }
  while (sp > 0) {
    mobj *m = &M.o[M.stack[--sp]];
    n++;
    for (uint32_t s = 0; s < m->nslots; s++) {
      uint32_t c = m->slots[s];
      if (c && !M.mark[c]) {
        M.mark[c] = 1;
        M.stack[sp++] = c;
      }
    }
  }
  return n;
}

/* After model_reachable: marks with 2 the unreachable objects pure RC cannot free. Peels
** off, repeatedly, every unreachable object that no unreachable object refers to (what a
** count reaching zero does); what remains is on a cycle or reachable from one. */
static void model_rc_leak(void) {
  uint32_t sp = 0;
  for (uint32_t id = 1; id <= M.n; id++) M.indeg[id] = 0;
  for (uint32_t id = 1; id <= M.n; id++) {
    if (M.mark[id]) continue;
    for (uint32_t s = 0; s < M.o[id].nslots; s++) {
      uint32_t c = M.o[id].slots[s];
      if (c && !M.mark[c]) M.indeg[c]++;  /* garbage may point into the reachable: skip */
    }
  }
  for (uint32_t id = 1; id <= M.n; id++) {
    if (M.mark[id]) continue;
    M.mark[id] = 2;  /* leaked unless peeled */
    if (M.indeg[id] == 0) M.stack[sp++] = id;
  }
  while (sp > 0) {
    uint32_t id = M.stack[--sp];
    M.mark[id] = 0;
    for (uint32_t s = 0; s < M.o[id].nslots; s++) {
      uint32_t c = M.o[id].slots[s];
      if (c && M.mark[c] == 2 && --M.indeg[c] == 0) M.stack[sp++] = c;
    }
  }
}

/* --------------------------------------------------------------------------------------
** The checks
** ------------------------------------------------------------------------------------ */
/* EXPECT_RETAINED: a collector that scans some roots conservatively (bdwgc): every reachable
** object is live, and garbage may stay (a stale word can hold it), never the reverse. */
typedef enum { EXPECT_REACHABLE, EXPECT_RC, EXPECT_ALL, EXPECT_RETAINED } expectation;

static expectation expect_for(const char *name) {
  if (strcmp(name, "none") == 0) return EXPECT_ALL;
  if (strcmp(name, "rc") == 0) return EXPECT_RC;
  if (strncmp(name, "boehm", 5) == 0) return EXPECT_RETAINED;
  return EXPECT_REACHABLE;
}

static void check_object(uint32_t id, const char *ctx) {
  mobj *m = &M.o[id];
  gcs_obj *o = m->ptr;
  cr_assert(m->live && o != NULL, "%s: object %u is reachable but was freed", ctx, id);
  cr_assert(o->tag == id && o->nslots == m->nslots && o->payload == m->payload,
            "%s: object %u's header was overwritten (tag %u, %u slots)", ctx, id, o->tag, o->nslots);
  for (uint32_t s = 0; s < m->nslots; s++) {
    gcs_obj *c = o->slots[s];
    uint32_t want = m->slots[s];
    cr_assert((c ? c->tag : 0) == want, "%s: object %u slot %u holds %u, the model says %u", ctx,
              id, s, c ? c->tag : 0, want);
  }
  const uint8_t *p = gcs_obj_payload(o);
  for (uint32_t b = 0; b < m->payload; b++)
    cr_assert(p[b] == (uint8_t)(id * 7), "%s: object %u's payload byte %u was overwritten", ctx, id, b);
}

/* The live set after a full collection equals the model's expectation. */
static void check_live_set(expectation ex, const char *ctx) {
  model_reachable();
  if (ex == EXPECT_RC) model_rc_leak();
  uint64_t want = 0;
  for (uint32_t id = 1; id <= M.n; id++) {
    bool expected = ex == EXPECT_ALL || M.mark[id] != 0;
    if (ex == EXPECT_RETAINED && !expected) expected = M.o[id].live;   /* retained or freed */
    want += expected;
    if (M.mark[id] == 1) check_object(id, ctx);
    if (M.o[id].live != expected && getenv("CONFORMANCE_DEBUG")) {  /* who refers to it */
      fprintf(stderr, "slots of %u:", id);
      for (uint32_t s = 0; s < M.o[id].nslots; s++) fprintf(stderr, " %u", M.o[id].slots[s]);
      bool rc = gcs_heap.barrier & GCS_BARRIER_RC;
      fprintf(stderr, "\nobject %u count %ld; referrers:", id,
              rc && M.o[id].live ? (long)GCS_REFCNT(M.o[id].ptr) : -1L);
      for (uint32_t x = 1; x <= M.n; x++)
        for (uint32_t s = 0; s < M.o[x].nslots; s++)
          if (M.o[x].slots[s] == id) fprintf(stderr, " %u.%u(%s,mark %d)", x, s, M.o[x].live ? "live" : "freed", M.mark[x]);
      fprintf(stderr, "\n");
    }
    cr_assert(M.o[id].live == expected, "%s: object %u (%s, %u slots) is %s, expected %s (%s)", ctx,
              id, M.o[id].atom ? "atom" : "container", M.o[id].nslots,
              M.o[id].live ? "live" : "freed", expected ? "live" : "freed",
              M.mark[id] == 1 ? "reachable" : M.mark[id] == 2 ? "cyclic garbage" : "garbage");
  }
  cr_assert(M.live == want && gcs_heap.live_objects == want,
            "%s: %llu objects live per the observer, %llu per the heap, %llu expected", ctx,
            (unsigned long long)M.live, (unsigned long long)gcs_heap.live_objects,
            (unsigned long long)want);
}

/* --------------------------------------------------------------------------------------
** The trace
** ------------------------------------------------------------------------------------ */
static gcs_obj **R;  /* the frame: NBIND bindings + scratch at R[NBIND] */

static void bind(int i, gcs_obj *o) {
  gcs_root_set(&R[i], o);
  M.bind[i] = o ? o->tag : 0;
}

static void store(gcs_obj *o, uint32_t s, gcs_obj *v) {
  gcs_store(o, s, v);
  M.o[o->tag].slots[s] = v ? v->tag : 0;
}

static uint32_t pick_slots(uint64_t *rng) {
  uint64_t r = ts_below(rng, 10);
  return r < 2 ? 0 : r < 5 ? 1 : r < 8 ? 2 : (uint32_t)(3 + ts_below(rng, 6));
}

static gcs_obj *new_container(uint64_t *rng) {
  return gcs_new(pick_slots(rng), (uint32_t)(ts_below(rng, 4) * 8));
}

/* A binding that holds a container with slots, or -1. */
static int pick_container(uint64_t *rng) {
  for (int tries = 0; tries < 8; tries++) {
    int i = (int)ts_below(rng, NBIND);
    if (R[i] && R[i]->kind == GCS_CONTAINER && R[i]->nslots > 0) return i;
  }
  return -1;
}

static uint64_t full_collect(expectation ex, const char *ctx) {
  uint64_t before = gcs_heap.live_objects;
  uint64_t found = gcs_heap_collect(-1);
  check_live_set(ex, ctx);
  if (strcmp(gcs_heap.ops->name, "marksweep") == 0 || strcmp(gcs_heap.ops->name, "incremental") == 0)
    cr_assert(found == before - gcs_heap.live_objects, "%s: collect returned %llu, freed %llu", ctx,
              (unsigned long long)found, (unsigned long long)(before - gcs_heap.live_objects));
  return found;
}

static void run_trace(const char *name, const char *const *knobs, uint64_t seed, const char *variant) {
  char ctx[160];
  snprintf(ctx, sizeof ctx, "%s [%s] seed %llu", name, variant, (unsigned long long)seed);
  expectation ex = expect_for(name);
  ts_open(name, knobs);
  model_reset();
  M.no_free = ex == EXPECT_ALL;
  gcs_heap.observer = &observer;
  R = gcs_frame_push(NBIND + 1);
  uint64_t rng = seed;
  for (int op = 0; op < NOPS; op++) {
    uint64_t r = ts_below(&rng, 1000);
    int i = (int)ts_below(&rng, NBIND);
    if (r < 250) {                       /* new: rebinding, in CPython's order */
      bind(i, new_container(&rng));
    } else if (r < 330) {                /* atom */
      bind(i, gcs_new_atom((uint32_t)ts_below(&rng, 40)));
    } else if (r < 600) {                /* set X S Y (or clear) */
      int x = pick_container(&rng);
      if (x < 0) continue;
      int y = (int)ts_below(&rng, NBIND + 2);
      store(R[x], (uint32_t)ts_below(&rng, R[x]->nslots), y < NBIND ? R[y] : NULL);
    } else if (r < 720) {                /* load I X S */
      int x = pick_container(&rng);
      if (x < 0) continue;
      gcs_obj *v = gcs_load(R[x], (uint32_t)ts_below(&rng, R[x]->nslots));
      bind(i, v);
    } else if (r < 770) {                /* drop */
      bind(i, NULL);
    } else if (r < 790) {                /* a deep chain hanging from binding i */
      uint32_t len = 1 + (uint32_t)ts_below(&rng, CHAIN_MAX);
      bind(NBIND, gcs_new(2, 0));
      bind(i, R[NBIND]);
      for (uint32_t k = 1; k < len; k++) {
        gcs_obj *n = gcs_new(2, 0);
        store(R[NBIND], 0, n);
        bind(NBIND, n);
        if (ts_below(&rng, 4) == 0) store(n, 1, gcs_new_atom(8));
      }
      if (ts_below(&rng, 3) == 0) store(R[NBIND], 1, R[i]);  /* close it: one big cycle */
      bind(NBIND, NULL);
    } else if (r < 840) {                /* a ring of k objects, maybe with a tail */
      uint32_t k = 1 + (uint32_t)ts_below(&rng, 8);
      bind(NBIND, gcs_new(2, 0));
      bind(i, R[NBIND]);
      for (uint32_t j = 1; j < k; j++) {
        gcs_obj *n = gcs_new(2, 0);
        store(R[NBIND], 0, n);
        bind(NBIND, n);
      }
      store(R[NBIND], 0, R[i]);
      if (ts_below(&rng, 2)) store(R[NBIND], 1, new_container(&rng));
      bind(NBIND, NULL);
    } else if (r < 870) {                /* a full binary tree of depth d */
      uint32_t d = 1 + (uint32_t)ts_below(&rng, 7);
      gcs_obj **f = gcs_frame_push(d + 1);
      gcs_root_set(&f[0], gcs_new(2, 0));
      bind(i, f[0]);
      /* depth-first: f[k] is the node at depth k on the current path */
      uint32_t k = 0;
      uint32_t *side = calloc(d + 1, sizeof *side);
      for (;;) {
        if (k + 1 < d && side[k] < 2) {
          gcs_obj *n = gcs_new(2, 0);
          store(f[k], side[k]++, n);
          gcs_root_set(&f[k + 1], n);
          side[++k] = 0;
        } else if (k == 0) {
          break;
        } else {
          k--;
        }
      }
      free(side);
      gcs_frame_pop(f);
    } else if (r < 985) {                /* a safepoint (the stress build collects here) */
      gcs_safepoint();
    } else if (r < 993) {                /* the heap verifier at a random point */
      cr_assert(gcs_heap_verify() == 0, "%s: verify failed at op %d", ctx, op);
    } else {                             /* an explicit full collection */
      char at[200];
      snprintf(at, sizeof at, "%s, op %d", ctx, op);
      full_collect(ex, at);
    }
  }
  full_collect(ex, ctx);
  /* everything dropped: only what the collector cannot free is left */
  for (int k = 0; k <= NBIND; k++) bind(k, NULL);
  full_collect(ex, ctx);
  cr_assert(gcs_heap_verify() == 0, "%s: verify failed at the end", ctx);
  gcs_frame_pop(R);
  gcs_heap.observer = NULL;
  uint64_t expected_leak = M.live;
  gcs_teardown_t td = ts_close();
  cr_assert(td.leaked_objects == expected_leak || (ex == EXPECT_RETAINED && td.leaked_objects <= expected_leak),
            "%s: teardown reports %llu leaked, expected %llu", ctx,
            (unsigned long long)td.leaked_objects, (unsigned long long)expected_leak);
  model_reset();
}

/* --------------------------------------------------------------------------------------
** Collectors × variants
** ------------------------------------------------------------------------------------ */
/* Held by value: Criterion hands parameters to a separate worker process. */
typedef struct variant {
  char collector[32];
  char label[64];
  char knobs[6][48];  /* "name=value", "" ends */
} variant;

/* Extra knob settings per collector, beyond its defaults: small heaps must trigger
** collections, and small steps interleave the incremental collector with the mutator; the py
** peer (real CPython) also runs with the interpreter's own objects left in generation 2. */
static const struct {
  const char *collector;
  const char *label;
  const char *knobs[6];
} extras[] = {
  {"marksweep", "small heap", {"pause_min_bytes=0", NULL}},
  {"marksweep", "system allocator", {"pause_min_bytes=0", "allocator=system", NULL}},
  {"incremental", "tiny steps", {"pause_min_bytes=0", "step_bytes=64", "pause_pct=100", "step_max_units=64", NULL}},
  {"incremental", "slow collector", {"pause_min_bytes=0", "step_bytes=256", "step_mul=20", NULL}},
  {"incremental", "Lua 5.4 pace", {"pause_min_bytes=0", "step_mul=10000", NULL}},
  {"incremental", "system allocator",
   {"pause_min_bytes=0", "step_bytes=128", "allocator=system", NULL}},
  {"py", "small thresholds", {"threshold0=20", "threshold1=3", "threshold2=3", NULL}},
  {"py", "interpreter kept", {"interpreter_objects=kept", "threshold0=100", NULL}},
};

ParameterizedTestParameters(conformance, random_traces) {
  size_t n = 0, cap = 0;
  for (int c = 0; gcs_collectors[c]; c++) cap++;
  cap += sizeof extras / sizeof extras[0];
  variant *v = cr_malloc(cap * sizeof *v);
  for (int c = 0; gcs_collectors[c]; c++) {
    memset(&v[n], 0, sizeof v[n]);
    snprintf(v[n].collector, sizeof v[n].collector, "%s", gcs_collectors[c]->name);
    snprintf(v[n].label, sizeof v[n].label, "defaults");
    n++;
    for (size_t e = 0; e < sizeof extras / sizeof extras[0]; e++) {
      if (strcmp(extras[e].collector, gcs_collectors[c]->name) != 0) continue;
      memset(&v[n], 0, sizeof v[n]);
      snprintf(v[n].collector, sizeof v[n].collector, "%s", extras[e].collector);
      snprintf(v[n].label, sizeof v[n].label, "%s", extras[e].label);
      for (int k = 0; k < 5 && extras[e].knobs[k]; k++)
        snprintf(v[n].knobs[k], sizeof v[n].knobs[k], "%s", extras[e].knobs[k]);
      n++;
    }
  }
  return cr_make_param_array(variant, v, n, NULL);
}

ParameterizedTest(variant *v, conformance, random_traces, .timeout = 120) {
  const char *knobs[7] = {NULL};
  for (int k = 0; k < 6 && v->knobs[k][0]; k++) knobs[k] = v->knobs[k];
  for (uint64_t s = 1; s <= NSEEDS; s++)
    run_trace(v->collector, knobs, s * 0x9e3779b97f4a7c15ull + (uint64_t)strlen(v->label), v->label);
}

/* --------------------------------------------------------------------------------------
** Targeted checks of the tracing collectors
** ------------------------------------------------------------------------------------ */

/* The trigger: with pause_pct=200 a collection starts when the heap doubles what survived. */
#if !GCS_STRESS /* the stress build collects at every allocation */
Test(conformance, marksweep_collects_when_the_heap_doubles) {
  ts_open("marksweep", (const char *const[]){"pause_min_bytes=0", NULL});
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(1, 1000));
  uint64_t live = gcs_heap.live_bytes;
  gcs_heap_collect(-1);
  size_t n0;
  gcs_pause_log(&n0);
  uint64_t allocated = 0;
  size_t n1 = n0;
  while (n1 == n0) {
    gcs_obj *a = gcs_new_atom(100);
    allocated += gcs_heap.prefix[GCS_ATOM] + sizeof(gcs_obj) + 100;
    gcs_store(r[0], 0, a);
    gcs_pause_log(&n1);
  }
  /* the collection ran in the allocation that would have passed 2 x live */
  cr_assert(live + allocated > 2 * live, "collected before the heap doubled");
  cr_assert(live + allocated - (sizeof(gcs_obj) + 100) <= 2 * live, "collected late");
  gcs_frame_pop(r);
  ts_close();
}
#endif

/* The barriers: a white object moved into an already-black one during marking, its only
** other reference dropped, must survive the cycle — stored into a wide array (the backward
** barrier re-grays the array) and into a small node (the forward barrier marks the value). */
static bool black_to_white(const gcs_obj *o, const gcs_obj *v) {
  return (o->gcbits & GCS_BLACK) && v && (v->gcbits & GCS_WHITES);
}

Test(conformance, incremental_barriers_keep_moved_objects) {
  ts_open("incremental", (const char *const[]){"pause_min_bytes=0", "step_bytes=16",
                                                "pause_pct=100", "step_max_units=4", NULL});
  gcs_obj **r = gcs_frame_push(3);
  const uint32_t n = 2000;
  int wide_black = 0, small_black = 0;
  gcs_root_set(&r[0], gcs_new(n, 0));  /* a wide array, marked early */
  for (uint32_t i = 0; i < n; i++) gcs_store(r[0], i, gcs_new(2, 0));
  for (uint32_t round = 0; round < 40000; round++) {
    uint32_t s = round % n;
    gcs_root_set(&r[1], gcs_new(2, 8));  /* a new white object, rooted */
    wide_black += (r[0]->gcbits & GCS_BLACK) != 0;
    gcs_store(r[0], s, r[1]);            /* into the wide array: backward */
    cr_assert(!black_to_white(r[0], r[1]), "round %u: black array -> white object", round);
    gcs_root_set(&r[2], gcs_new(1, 0));
    gcs_obj *node = gcs_load(r[0], (s + 7) % n);
    small_black += (node->gcbits & GCS_BLACK) != 0;
    gcs_store(node, 1, r[2]);            /* into a small node: forward */
    cr_assert(!black_to_white(node, r[2]), "round %u: black node -> white object", round);
    gcs_root_set(&r[1], NULL);           /* the roots no longer hold them */
    gcs_root_set(&r[2], NULL);
    if (round % 4000 == 0) cr_assert_eq(gcs_heap_verify(), 0);
  }
#if !GCS_STRESS
  /* the array is re-grayed once a cycle, then stays gray until atomic */
  cr_assert(wide_black > 3 && small_black > 100,
            "stores into black objects: %d wide, %d small: the test missed a barrier", wide_black,
            small_black);
#endif
  gcs_heap_collect(-1);
  for (uint32_t i = 0; i < n; i++) {
    gcs_obj *c = gcs_load(r[0], i);
    cr_assert(c && c->kind == GCS_CONTAINER && c->nslots == 2, "slot %u lost its object", i);
    gcs_obj *d = gcs_load(c, 1);
    cr_assert(!d || (d->kind == GCS_CONTAINER && d->nslots == 1), "slot %u's node lost its child", i);
  }
  cr_assert_eq(gcs_heap_verify(), 0);
  gcs_frame_pop(r);
  gcs_teardown_t td = ts_close();
  cr_assert_eq(td.leaked_objects, 0);
}

/* A heap of ~70K objects: the object tables span many chunks, so the sweep compacts across
** chunks, leaves spares, and (incremental) sweeps a detached table while the mutator
** allocates into a fresh one. The live set is checked against the model as above. */
static void big_heap(const char *name, const char *const *knobs) {
  char ctx[96];
  snprintf(ctx, sizeof ctx, "%s big heap", name);
  expectation ex = expect_for(name);
  ts_open(name, knobs);
  model_reset();
  gcs_heap.observer = &observer;
  R = gcs_frame_push(NBIND + 1);
  uint64_t rng = 99;
  const uint32_t rows = 64, cols = GCS_STRESS ? 16 : 1024;
  bind(0, gcs_new(rows, 0));
  for (uint32_t i = 0; i < rows; i++) {
    bind(1, gcs_new(cols, 0));
    store(R[0], i, R[1]);
    for (uint32_t j = 0; j < cols; j++)
      store(R[1], j, j % 3 ? gcs_new_atom(8) : gcs_new(1, 0));
  }
  bind(1, NULL);
  for (int round = 0; round < (GCS_STRESS ? 3 : 12); round++) {
    /* replace a third of the entries: garbage spread over every chunk */
    for (uint32_t k = 0; k < rows * cols / 3; k++) {
      gcs_obj *row = gcs_load(R[0], (uint32_t)ts_below(&rng, rows));
      store(row, (uint32_t)ts_below(&rng, cols), ts_below(&rng, 2) ? gcs_new_atom(16) : NULL);
    }
    if (round % 3 == 2) full_collect(ex, ctx);
  }
  full_collect(ex, ctx);
  bind(0, NULL);
  full_collect(ex, ctx);
  gcs_frame_pop(R);
  gcs_heap.observer = NULL;
  gcs_teardown_t td = ts_close();
  cr_assert_eq(td.leaked_objects, 0);
  model_reset();
}

Test(conformance, tables_span_many_chunks, .timeout = 120) {
  big_heap("marksweep", (const char *const[]){"pause_min_bytes=0", NULL});
  big_heap("incremental", (const char *const[]){"pause_min_bytes=0", NULL});
  big_heap("incremental", (const char *const[]){"pause_min_bytes=0", "step_bytes=1024",
                                                "pause_pct=100", "step_max_units=128", NULL});
}

/* Pause events: marksweep logs one FULL event a collection; incremental logs steps and
** atomic phases, in order and never overlapping. */
Test(conformance, pause_events_are_ordered_and_typed) {
  const char *names[] = {"marksweep", "incremental"};
  for (int c = 0; c < 2; c++) {
    ts_open(names[c], (const char *const[]){"pause_min_bytes=0", NULL});
    gcs_obj **r = gcs_frame_push(1);
    gcs_root_set(&r[0], gcs_new(64, 0));
    for (int i = 0; i < (GCS_STRESS ? 5000 : 200000); i++)
      gcs_store(r[0], (uint32_t)(i % 64), gcs_new(2, 16));
    size_t n;
    const gcs_pause_t *log = gcs_pause_log(&n);
    cr_assert(n > 2, "%s logged %zu pauses", names[c], n);
    bool atomic = false;
    for (size_t i = 0; i < n; i++) {
      cr_assert(log[i].end_ns >= log[i].start_ns);
      if (i) cr_assert(log[i].start_ns >= log[i - 1].end_ns, "%s: pauses %zu and %zu overlap", names[c], i - 1, i);
      if (c == 0)
        cr_assert_eq(log[i].kind, GCS_PAUSE_FULL);
      else /* the stress build's collections at every allocation are full ones */
        cr_assert(log[i].kind == GCS_PAUSE_STEP || log[i].kind == GCS_PAUSE_ATOMIC ||
                  (GCS_STRESS && log[i].kind == GCS_PAUSE_FULL));
      atomic |= log[i].kind == GCS_PAUSE_ATOMIC;
    }
    if (c == 1 && !GCS_STRESS) cr_assert(atomic, "incremental never logged an atomic phase");
    gcs_frame_pop(r);
    ts_close();
  }
}
