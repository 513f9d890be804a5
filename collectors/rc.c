/*
** rc.c — pure reference counting: CPython without its `gc` module.
**
** The count is the one word of collector-private prefix before every object (containers and
** atoms alike): GCS_REFCNT(o). The inline barrier in gcs.h counts a store into a slot or a
** root; a count reaching zero frees the object in the core's iterative cascade
** (gcs_rc_release_), so dropping a 10-million-node list uses no C stack.
**
** Cycles are never freed. At teardown every root is dropped and the objects still live are
** exactly those on a garbage cycle or reachable only from one: the heap reports their number
** and bytes (gcs_teardown_t). An explicit collection finds nothing.
**
** Invariant (checked by verify): for every live object o,
**   GCS_REFCNT(o) == (slots of live objects pointing to o) + (roots holding o)
*/
#include "core/internal.h"
#include "collectors/collectors.h"

#include <inttypes.h>

static uint64_t collect(int generation) {
  (void)generation;
  return 0;
}

#if GCS_DEBUG >= 2
/* Subtracts every reference held by a slot from its target's count, as CPython's
** subtract_refs does; then every count must be zero, and adding back restores it. */
static void adjust_children(gcs_obj *o, void *arg) {
  intptr_t delta = *(const intptr_t *)arg;
  for (uint32_t i = 0; i < o->nslots; i++)
    if (o->slots[i]) GCS_REFCNT(o->slots[i]) += delta;
}

static void check_zero(gcs_obj *o, void *arg) {
  int *bad = arg;
  if (GCS_REFCNT(o) != 0) {
    gcs_error("verify rc: %p (%s, %u slots) has count %" PRIdPTR " more than its referrers",
              (void *)o, o->kind == GCS_ATOM ? "atom" : "container", o->nslots, GCS_REFCNT(o));
    *bad = 1;
  }
}

static void adjust_roots(intptr_t delta) {
  for (gcs_obj **r = gcs_heap.roots_base; r < gcs_heap.roots_top; r++)
    if (*r) GCS_REFCNT(*r) += delta;
}

static int verify(void) {
  int bad = 0;
  intptr_t minus = -1, plus = 1;
  if (gcs_heap.rc_draining) return 0; /* counts of queued objects hold links */
  gcs_heap_walk(adjust_children, &minus);
  adjust_roots(-1);
  gcs_heap_walk(check_zero, &bad);
  adjust_roots(1);
  gcs_heap_walk(adjust_children, &plus);
  return bad;
}
#else
static int verify(void) {
  return 0;
}
#endif

const gcs_collector_ops gcs_collector_rc = {
  .name = "rc",
  .summary = "pure reference counting: frees cascades iteratively, leaks cycles (CPython without gc)",
  .barrier = GCS_BARRIER_RC,
  .prefix_container = sizeof(intptr_t),
  .prefix_atom = sizeof(intptr_t),
  .knobs = NULL,
  .collect = collect,
  .verify = verify,
};
