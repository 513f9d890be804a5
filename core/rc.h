/*
** rc.h — reference counting, for the collectors whose barrier has GCS_BARRIER_RC (rc,
** cpython): the inline count operations the write barrier applies, the cascade that frees an
** object whose count reaches zero (rc.c), and the check of every count.
**
** Invariant (kept by the inline barrier of gcs.h, checked by gcs_rc_verify_counts): the
** count of a live object, GCS_REFCNT(o), equals the slots of live objects and the roots that
** hold it — except while a cascade runs, when a queued dead object's count word is a link.
** Build macros: GCS_DEBUG (>= 2: counts are asserted positive before a decrement).
*/
#ifndef GCS_RC_H
#define GCS_RC_H

#include "core/error.h"
#include "core/heap.h"
#include "core/object.h"

/* An RC cascade is logged once it has freed this many objects; the frees before the cut-off
** are not timed (a clock read per dec-to-zero would cost more than the free). */
#define GCS_CASCADE_CUTOFF 64

/* Slow path: o's count reached zero; free it and, cascading, what only it held. */
void gcs_rc_release_(gcs_obj *o);
/* Prints each object whose count breaks the invariant and returns non-zero. Needs the
** registry (GCS_DEBUG >= 2); 0 without it. */
int gcs_rc_verify_counts(void);

static inline void gcs_incref(gcs_obj *o) { GCS_REFCNT(o)++; }
static inline void gcs_decref(gcs_obj *o) {
  GCS_ASSERT_INTERNAL(GCS_REFCNT(o) > 0);
  if (--GCS_REFCNT(o) == 0) gcs_rc_release_(o);
}

#endif /* GCS_RC_H */
