/*
** rc.c — reference counting: the cascade that frees an object whose count reached zero, and
** the check of every count (rc.h). The inline barrier that counts is gcs.h's; the memory is
** given back through heap.c's gcs_free_.
**
** The cascade frees without recursion: a dead container is pushed on `rc_pending`,
** linked through its own count word (dead, so free to reuse); the loop pops one, releases
** its slots — pushing any child whose count reaches zero — and frees it. The stack is the
** garbage itself, so dropping a 10-million-node list takes no memory and no C stack.
**
** Invariants:
**   rc_pending is non-NULL only inside gcs_rc_release_ (a cascade never outlives its call)
**   rc_draining <=> a cascade is running; an object that dies meanwhile only queues
**
** Build macros: GCS_DEBUG (>= 2: counts asserted positive on release, and the count check
** gcs_rc_verify_counts, which needs the live-object registry).
*/
#include "core/rc.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/heap.h"
#include "core/pause.h"

#include <inttypes.h>
#include <stdint.h>

static inline void rc_push(gcs_obj *o) {
  GCS_REFCNT(o) = (intptr_t)gcs_heap.rc_pending;
  gcs_heap.rc_pending = o;
}

static inline void rc_free_now(gcs_obj *o) {
  if (gcs_heap.ops->freeing) gcs_heap.ops->freeing(o);
  gcs_free_(o);
}

/* Contract: o's count has just reached zero. On return o and everything only it held are
** freed — unless a cascade is already running further up the stack (a freeing hook that
** releases more), in which case o is queued for that cascade. */
void gcs_rc_release_(gcs_obj *o) {
  if (o->kind == GCS_ATOM && !gcs_heap.rc_draining) {
    rc_free_now(o);
    return;
  }
  rc_push(o);
  if (gcs_heap.rc_draining) return;
  gcs_heap.rc_draining = true;
  uint64_t freed = 0;
  bool timed = false;            /* past the cut-off, and not inside a collection's pause */
  gcs_pause_token_t pause = {0, 0};
  while ((o = gcs_heap.rc_pending) != NULL) {
    gcs_heap.rc_pending = (gcs_obj *)GCS_REFCNT(o);
    GCS_REFCNT(o) = 0;
    if (gcs_heap.ops->freeing) gcs_heap.ops->freeing(o);
    for (uint32_t i = 0; i < o->nslots; i++) {
      gcs_obj *c = o->slots[i];
      if (c == NULL) continue;
      GCS_ASSERT_INTERNAL(GCS_REFCNT(c) > 0);
      if (--GCS_REFCNT(c) != 0) continue;
      if (c->kind == GCS_ATOM) {
        rc_free_now(c);
        freed++;
      } else {
        rc_push(c);
      }
    }
    gcs_free_(o);
    if (++freed >= GCS_CASCADE_CUTOFF && !timed && !gcs_heap.collecting) {
      timed = true;
      pause = gcs_pause_begin();
    }
  }
  gcs_heap.rc_draining = false;
  if (freed > 1) gcs_heap.stats.rc_cascades++;
  /* Inside a collection the cascade is part of the collection's own pause. */
  if (timed) gcs_pause_end(pause, GCS_PAUSE_CASCADE, -1, freed, freed);
}

#if GCS_DEBUG >= 2
/* Subtracts every reference a slot or a root holds from its target's count, as CPython's
** subtract_refs does; then every count must be zero, and adding back restores it. */
static void adjust_children(gcs_obj *o, void *arg) {
  intptr_t delta = *(const intptr_t *)arg;
  for (uint32_t i = 0; i < o->nslots; i++)
    if (o->slots[i]) GCS_REFCNT(o->slots[i]) += delta;
}

static void adjust_roots(intptr_t delta) {
  for (gcs_obj **r = gcs_heap.roots_base; r < gcs_heap.roots_top; r++)
    if (*r) GCS_REFCNT(*r) += delta;
}

static void check_zero(gcs_obj *o, void *arg) {
  int *bad = arg;
  if (GCS_REFCNT(o) != 0) {
    gcs_error("verify %s: %p (%s, %u slots) has count %" PRIdPTR " more than its referrers",
              gcs_heap.ops->name, (void *)o, o->kind == GCS_ATOM ? "atom" : "container", o->nslots,
              GCS_REFCNT(o));
    *bad = 1;
  }
}
#endif

int gcs_rc_verify_counts(void) {
  int bad = 0;
#if GCS_DEBUG >= 2
  intptr_t minus = -1, plus = 1;
  if (gcs_heap.rc_draining) return 0; /* the counts of queued objects hold links */
  gcs_heap_walk(adjust_children, &minus);
  adjust_roots(-1);
  gcs_heap_walk(check_zero, &bad);
  adjust_roots(1);
  gcs_heap_walk(adjust_children, &plus);
#endif
  return bad;
}
