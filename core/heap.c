/*
** heap.c — the heap's objects: allocation, freeing, the shadow stack's memory, explicit
** collection, verification. Reference counting is rc.c's (it frees through gcs_free_);
** opening and closing the heap is lifecycle.c's (it calls gcs_heap_memory_open/_close).
**
** Invariants:
**   live_objects == objects_allocated - objects_freed        (and the same for bytes)
**   roots_base <= roots_top <= roots_limit; every root below roots_top is NULL or live
**   no collection starts while `collecting` (an allocation inside a collection cannot
**   start another)
**
** Build macros: GCS_DEBUG (>= 2: the live-object registry behind gcs_heap_walk, fill
** patterns in system-allocator mode; >= 3: verify around every collection), GCS_STRESS (a
** full collection at every allocation and safepoint).
*/
#include "core/heap.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/liveset.h"
#include "core/options.h"
#include "core/pause.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

gcs_heap_t gcs_heap;

/* ------------------------------------------------------------------------------------ */
/* Memory: the arena or the system allocator                                             */
/* ------------------------------------------------------------------------------------ */

static inline size_t block_size(const gcs_obj *o) {
  return gcs_heap.prefix[o->kind] + gcs_obj_size(o);
}

static void *take_block(size_t bytes) {
  if (gcs_heap.allocator == GCS_ALLOC_ARENA) return gcs_arena_alloc(bytes);
  void *p = malloc(bytes);
#if GCS_DEBUG >= 2
  if (p) memset(p, 0xCD, bytes);
#endif
  return p;
}

static void give_block(void *block, size_t bytes) {
  if (gcs_heap.allocator == GCS_ALLOC_ARENA) {
    gcs_arena_free(block, bytes);
  } else {
#if GCS_DEBUG >= 2
    memset(block, 0xDD, bytes);
#endif
    free(block);
  }
}

/* ------------------------------------------------------------------------------------ */
/* Allocation                                                                            */
/* ------------------------------------------------------------------------------------ */

/* Lua's tryagain: one emergency full collection, one retry, then a clean error. */
static GCS_NOINLINE void *take_block_after_collecting(size_t bytes) {
  gcs_heap_collect(-1);
  void *block = take_block(bytes);
  if (!block)
    gcs_fatal("out of memory: %zu bytes with %llu objects (%llu bytes) live", bytes,
              (unsigned long long)gcs_heap.live_objects,
              (unsigned long long)gcs_heap.live_bytes);
  return block;
}

static gcs_obj *new_object(uint32_t nslots, uint32_t payload, int kind) {
  const gcs_collector_ops *ops = gcs_heap.ops;
  size_t prefix = gcs_heap.prefix[kind];
  size_t bytes = prefix + sizeof(gcs_obj) + (size_t)nslots * sizeof(gcs_obj *) + payload;
  gcs_obj *o;
  GCS_ASSERT(ops != NULL);
#if GCS_STRESS
  gcs_safepoint_stress_();
#endif
  if (GCS_UNLIKELY(gcs_heap.allocation_hook != NULL)) gcs_heap.allocation_hook();
  if (ops->alloc_object) {
    o = ops->alloc_object(nslots, payload, kind);   /* the prefix is the peer's */
  } else {
    if (ops->allocating) ops->allocating(bytes, kind);
    void *block = take_block(bytes);
    if (GCS_UNLIKELY(!block)) block = take_block_after_collecting(bytes);
    memset(block, 0, prefix);
    o = (gcs_obj *)((char *)block + prefix);
  }
  o->nslots = nslots;
  o->payload = payload;
  o->kind = (uint8_t)kind;
  o->gcbits = 0;
  o->gcaux = 0;
  o->tag = 0;
  memset(o->slots, 0, (size_t)nslots * sizeof(gcs_obj *));
  gcs_heap.stats.objects_allocated++;
  gcs_heap.stats.bytes_allocated += bytes;
  gcs_heap.live_objects++;
  gcs_heap.live_bytes += bytes;
#if GCS_DEBUG >= 2
  gcs_liveset_add(o);
#endif
  if (ops->allocated) ops->allocated(o);
  if (GCS_UNLIKELY(gcs_heap.observer != NULL)) gcs_heap.observer->allocated(gcs_heap.observer->arg, o);
  return o;
}

gcs_obj *gcs_new(uint32_t nslots, uint32_t payload_bytes) {
  return new_object(nslots, payload_bytes, GCS_CONTAINER);
}

gcs_obj *gcs_new_atom(uint32_t payload_bytes) {
  return new_object(0, payload_bytes, GCS_ATOM);
}

void gcs_free_(gcs_obj *o) {
  size_t bytes = block_size(o);
  gcs_heap_freed(o);
  give_block((char *)o - gcs_heap.prefix[o->kind], bytes);
}

void gcs_heap_freed(gcs_obj *o) {
  size_t bytes = block_size(o);
  GCS_ASSERT(gcs_heap.live_objects > 0);
  if (GCS_UNLIKELY(gcs_heap.observer != NULL)) gcs_heap.observer->freed(gcs_heap.observer->arg, o);
#if GCS_DEBUG >= 2
  gcs_liveset_remove(o);
#endif
  gcs_heap.stats.objects_freed++;
  gcs_heap.stats.bytes_freed += bytes;
  gcs_heap.live_objects--;
  gcs_heap.live_bytes -= bytes;
}

/* ------------------------------------------------------------------------------------ */
/* The shadow stack's memory, and the heap's as a whole                                  */
/* ------------------------------------------------------------------------------------ */

void gcs_roots_overflow_(void) {
  gcs_fatal("shadow stack overflow: more than %lld roots (raise it with --set roots_max=N)",
            (long long)gcs_knob("roots_max"));
}

/* The shadow stack and its frame records: n roots, n frames at most (a frame may hold no
** root), both mapped NORESERVE so that only what is used is resident. */
static int roots_open(size_t n) {
  size_t bytes = n * sizeof(gcs_obj *);
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) return errno;
  void *fr = mmap(NULL, n * sizeof(gcs_frame_t), PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (fr == MAP_FAILED) {
    int e = errno;
    munmap(p, bytes);
    return e;
  }
  gcs_heap.roots_base = gcs_heap.roots_top = p;
  gcs_heap.roots_limit = gcs_heap.roots_base + n;
  gcs_heap.frames = fr;
  gcs_heap.nframes = 0;
  gcs_heap.frames_max = (uint32_t)n;
  return 0;
}

static void roots_close(void) {
  size_t n = (size_t)(gcs_heap.roots_limit - gcs_heap.roots_base);
  if (gcs_heap.roots_base) munmap(gcs_heap.roots_base, n * sizeof(gcs_obj *));
  if (gcs_heap.frames) munmap(gcs_heap.frames, n * sizeof(gcs_frame_t));
  gcs_heap.roots_base = gcs_heap.roots_top = gcs_heap.roots_limit = NULL;
  gcs_heap.frames = NULL;
  gcs_heap.nframes = gcs_heap.frames_max = 0;
}

int gcs_heap_memory_open(char *err, size_t errlen) {
  int rc;
  gcs_heap.allocator = (int)gcs_knob("allocator");
  if (gcs_heap.allocator == GCS_ALLOC_ARENA) {
    gcs_arena_config_t cfg = {(int)gcs_knob("release"), gcs_knob("purge_delay_ms")};
    if ((rc = gcs_arena_init(&cfg)) != 0) {
      snprintf(err, errlen, "cannot start the arena allocator: %s", strerror(rc));
      return rc;
    }
  }
  if ((rc = roots_open((size_t)gcs_knob("roots_max"))) != 0) {
    snprintf(err, errlen, "cannot map the shadow stack: %s", strerror(rc));
    if (gcs_heap.allocator == GCS_ALLOC_ARENA) gcs_arena_fini();
    return rc;
  }
#if GCS_DEBUG >= 2
  gcs_liveset_open();
#endif
  return 0;
}

#if GCS_DEBUG >= 2
static void free_leaked(gcs_obj *o, void *arg) {
  (void)arg;
  give_block((char *)o - gcs_heap.prefix[o->kind], block_size(o));
}
#endif

void gcs_heap_memory_close(void) {
#if GCS_DEBUG >= 2
  /* The system allocator cannot drop everything at once: free what leaked, one by one. */
  if (gcs_heap.allocator == GCS_ALLOC_SYSTEM && !gcs_heap.ops->alloc_object)
    gcs_liveset_walk(free_leaked, NULL);   /* a peer's leaks stay in the peer's memory */
  gcs_liveset_close();
#endif
  if (gcs_heap.allocator == GCS_ALLOC_ARENA) gcs_arena_fini();
  roots_close();
}

/* ------------------------------------------------------------------------------------ */
/* Collection                                                                            */
/* ------------------------------------------------------------------------------------ */

uint64_t gcs_heap_collect(int generation) {
  const gcs_collector_ops *ops = gcs_heap.ops;
  if (ops->collect == NULL || gcs_heap.collecting) return 0;
  gcs_heap.collecting = true;
  gcs_pause_set_origin(1);
  GCS_VERIFY("before an explicit collection");
  uint64_t found = ops->collect(generation);
  GCS_VERIFY("after an explicit collection");
  gcs_heap.collecting = false;
  gcs_pause_set_origin(0);
  gcs_heap.stats.explicit_collections++;
  if (generation < 0 && gcs_heap.allocator == GCS_ALLOC_ARENA) gcs_arena_collect(false);
  return found;
}

void gcs_safepoint_stress_(void) {
  if (!gcs_heap.collecting && !gcs_heap.rc_draining && gcs_heap.ops->collect) {
    gcs_heap.collecting = true;
    gcs_heap.ops->collect(-1);
    gcs_heap.collecting = false;
  }
}

bool gcs_heap_freeze(void) {
  if (gcs_heap.ops->freeze == NULL) return false;
  gcs_heap.ops->freeze();
  return true;
}

void gcs_heap_report(gcs_gc_report_t *r) {
  memset(r, 0, sizeof *r);
  if (gcs_heap.ops->report) gcs_heap.ops->report(r);
}

/* ------------------------------------------------------------------------------------ */
/* Verification                                                                          */
/* ------------------------------------------------------------------------------------ */

#if GCS_DEBUG >= 2
static int check_object(gcs_obj *o) {
  if (o->kind != GCS_CONTAINER && o->kind != GCS_ATOM) {
    gcs_error("verify: object %p has kind %u (freed?)", (void *)o, o->kind);
    return 1;
  }
  if (o->kind == GCS_ATOM && o->nslots != 0) {
    gcs_error("verify: atom %p has %u slots", (void *)o, o->nslots);
    return 1;
  }
  return 0;
}

typedef struct { int bad; } verify_acc;

static void verify_visit(gcs_obj *o, void *arg) {
  verify_acc *acc = arg;
  if (check_object(o)) { acc->bad = 1; return; }
  if (gcs_heap.ops->is_garbage && gcs_heap.ops->is_garbage(o)) return; /* its slots may dangle */
  for (uint32_t i = 0; i < o->nslots; i++) {
    gcs_obj *c = o->slots[i];
    if (c && !gcs_liveset_has(c)) {
      gcs_error("verify: %p slot %u points to %p, which is not a live object", (void *)o, i, (void *)c);
      acc->bad = 1;
    }
  }
}
#endif

int gcs_heap_verify(void) {
  int bad = 0;
  if (gcs_heap.roots_top < gcs_heap.roots_base || gcs_heap.roots_top > gcs_heap.roots_limit) {
    gcs_error("verify: shadow stack top out of bounds");
    return 1;
  }
#if GCS_DEBUG >= 2
  for (gcs_obj **r = gcs_heap.roots_base; r < gcs_heap.roots_top; r++) {
    if (*r && !gcs_liveset_has(*r)) {
      gcs_error("verify: root %td points to %p, which is not a live object",
                r - gcs_heap.roots_base, (void *)*r);
      bad = 1;
    }
  }
  if (gcs_liveset_count() != gcs_heap.live_objects) {
    gcs_error("verify: registry holds %llu objects, counters say %llu live",
              (unsigned long long)gcs_liveset_count(), (unsigned long long)gcs_heap.live_objects);
    bad = 1;
  }
  verify_acc acc = {0};
  gcs_liveset_walk(verify_visit, &acc);
  bad |= acc.bad;
#endif
  if (gcs_heap.allocator == GCS_ALLOC_ARENA) bad |= gcs_arena_check();
  if (gcs_heap.ops->verify) bad |= gcs_heap.ops->verify();
  return bad;
}

void gcs_heap_verify_at(const char *where) {
  if (gcs_heap_verify() != 0) gcs_fatal("heap verification failed %s (collector %s)", where, gcs_heap.ops->name);
}

int gcs_heap_walk(void (*visit)(gcs_obj *o, void *arg), void *arg) {
#if GCS_DEBUG >= 2
  gcs_liveset_walk(visit, arg);
  return 0;
#else
  (void)visit;
  (void)arg;
  return ENOTSUP;
#endif
}
