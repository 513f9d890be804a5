/*
** gcs.h — what a workload includes: gcscope's object model, mutator API and collector
** interface in one header. It gathers the core's layers and adds the inline mutator fast
** paths on top of them; no file of core/ below core/lifecycle.c includes it.
**
**   core/error.h      messages, assertion tiers, compiler attributes (the bottom)
**   core/object.h     the object header, the collector-private prefix, traversal
**   core/collector.h  the ops table a back-end exports, knobs
**   core/options.h    --set name=value, gcs_knob()
**   core/clock.h      gcs_now_ns, gcs_thread_cpu_ns
**   core/pause.h      the pause log
**   core/heap.h       the heap global, allocation, collection, verification
**   core/rc.h         reference counts and the cascade
**   here              opening and closing the heap (lifecycle.c), the mutator API below
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
** store) leave the inline code. Slow paths out of line are named with a trailing underscore.
** A peer whose count the inline RC path cannot address (py: the word before the object is
** CPython's ob_size) sets GCS_BARRIER_CALL and takes one out-of-line call, ops->ref_slow, per
** store, root write and root release.
**
** Build macros read here:
**   GCS_DEBUG   0 release; 1 cheap asserts; 2 internal asserts, 0xCD/0xDD fill patterns and the
**               live-object registry; 3 also whole-heap verify at every phase boundary.
**   GCS_STRESS  1: every safepoint and every allocation runs a full collection.
*/
#ifndef GCS_H
#define GCS_H

#include "core/clock.h"
#include "core/collector.h"
#include "core/error.h"
#include "core/heap.h"
#include "core/object.h"
#include "core/options.h"
#include "core/pause.h"
#include "core/rc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --------------------------------------------------------------------------------------
** Opening and closing the heap ("lifecycle.c")
** ------------------------------------------------------------------------------------ */
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

/* --------------------------------------------------------------------------------------
** The mutator API: inline fast paths; their slow paths are heap.c's and rc.c's.
** ------------------------------------------------------------------------------------ */

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
  if (gcs_heap.barrier & GCS_BARRIER_CALL) gcs_heap.ops->ref_slow(v, old);
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
  if (GCS_LIKELY(gcs_heap.nframes < gcs_heap.frames_max))
    gcs_heap.frames[gcs_heap.nframes++] = (gcs_frame_t){(uint32_t)(f - gcs_heap.roots_base), 0};
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
  if (gcs_heap.barrier & GCS_BARRIER_CALL) gcs_heap.ops->ref_slow(v, old);
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
  if (gcs_heap.barrier & GCS_BARRIER_CALL) {
    while (gcs_heap.roots_top > f) {
      gcs_obj *o = *--gcs_heap.roots_top;
      if (o) gcs_heap.ops->ref_slow(NULL, o);
    }
  }
  gcs_heap.roots_top = f;
  while (gcs_heap.nframes && gcs_heap.roots_base + gcs_heap.frames[gcs_heap.nframes - 1].base >= f)
    gcs_heap.nframes--;
}

/* Where a mutator may be stopped outside an allocation. */
static inline void gcs_safepoint(void) {
#if GCS_STRESS
  gcs_safepoint_stress_();
#endif
}

#endif /* GCS_H */
