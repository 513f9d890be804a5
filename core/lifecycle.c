/*
** lifecycle.c — opening and closing the heap: the top of core/, the one file that sees every
** layer (options, the heap's memory, the pause log, the collector's init and fini, the
** mutator API that drops the roots). Nothing in core/ calls back into it.
**
** Invariants: gcs_heap.ops != NULL <=> a heap is open; a failed open leaves nothing open;
** after close the options stay readable (gcs_knob) until the next open.
** Build macros: none of its own (gcs.h's apply).
*/
#include "core/gcs.h"
#include "core/backlog.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int gcs_heap_open(const gcs_collector_ops *c, const gcs_options_t *opts, char *err,
                  size_t errlen) {
  int rc;
  if (gcs_heap.ops != NULL) {
    snprintf(err, errlen, "a heap is already open (collector %s)", gcs_heap.ops->name);
    return EBUSY;
  }
  if ((rc = gcs_options_resolve(c, opts, err, errlen)) != 0) return rc;
  memset(&gcs_heap, 0, sizeof gcs_heap);
  if ((rc = gcs_heap_memory_open(err, errlen)) != 0) return rc;
  gcs_pause_reset(gcs_knob("pause_log") != 0, gcs_knob("pause_cpu") != 0);
  gcs_backlog_open();
  gcs_heap.ops = c;
  gcs_heap.barrier = c->barrier;
  gcs_heap.prefix[GCS_CONTAINER] = c->prefix_container;
  gcs_heap.prefix[GCS_ATOM] = c->prefix_atom;
  if (c->init && (rc = c->init()) != 0) {
    snprintf(err, errlen, "collector %s failed to start: %s", c->name, strerror(rc));
    gcs_heap.ops = NULL;
    gcs_heap_memory_close();
    return rc;
  }
  return 0;
}

void gcs_heap_close(gcs_teardown_t *out) {
  GCS_ASSERT(gcs_heap.ops != NULL);
  gcs_frame_pop(gcs_heap.roots_base);
  gcs_heap_collect(-1);
  if (out) {
    out->leaked_objects = gcs_heap.live_objects;
    out->leaked_bytes = gcs_heap.live_bytes;
  }
  if (gcs_heap.ops->fini) gcs_heap.ops->fini();
  gcs_heap_memory_close();
  gcs_heap.ops = NULL;
}
