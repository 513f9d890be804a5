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


static uint64_t collect(int generation) {
  (void)generation;
  return 0;
}

static int verify(void) {
  return gcs_rc_verify_counts();
}

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
