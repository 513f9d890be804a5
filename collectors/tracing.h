/*
** tracing.h — the tracing kernel: what every tracing collector shares (marksweep.c,
** incremental.c, and those to come), as MMTk's plans share its policies. The tricolour
** macros, the gray lists, mark_object, mark_roots and propagate with its prefetching edge
** FIFO; tracing.c defines the out-of-line part. Internal to collectors/: core/ never sees it.
**
** Colours (Lua lgc.h's names; the bits are gcs.h's GCS_WHITE0, GCS_WHITE1, GCS_BLACK):
**   white   not marked in this cycle: the bit gcs_trace.currentwhite
**   gray    marked, slots not scanned yet: no colour bit; the object is on a gray list
**   black   marked and scanned: the bit gcs_trace.black
** The collector says at gcs_trace_init what black is:
**   GCS_BLACK (incremental.c, as Lua): the inline write barrier (gcs.h's gcs_store) can
**     recognise a black object, and the sweep writes every survivor back to white;
**   the other white (marksweep.c): a marked object gets the white of the next cycle, and
**     the flip of currentwhite after the sweep whitens every survivor without a write.
** So iswhite tests the current white only (Lua's tests both): the other white is either
** black (marksweep) or, between atomic's flip and the end of the sweep, dead (incremental).
** A collector with GCS_BARRIER_TRICOLOR must take GCS_BLACK (the inline filter reads it).
**
** Invariants:
**   every gray object is on exactly one gray list, and everything on a gray list is gray
**   when gcs_trace_propagate_* returns, its edge FIFO is empty: no object it blackened points
**     to a white one (other black-to-white edges come from stores, the barrier's business)
**   gcs_trace.marked only grows: a collector reads its difference over a pause
**
** One kernel state a process, as there is one heap (gcs_heap): gcs_trace.
**
** Build macros: GCS_DEBUG >= 2 checks the colour of every object marked and scanned.
*/
#ifndef GCS_TRACING_H
#define GCS_TRACING_H

#include "core/internal.h"

typedef struct gcs_graylist_t {
  gcs_obj **v;              /* its own mapping, grown with mremap */
  size_t n;                 /* entries: v[0..n) */
  size_t cap;               /* capacity, in entries */
} gcs_graylist_t;

typedef struct gcs_trace_t {
  uint8_t currentwhite;     /* GCS_WHITE0 or GCS_WHITE1: unmarked in this cycle */
  uint8_t black;            /* GCS_BLACK, or the other white (see the header) */
  gcs_graylist_t gray;      /* gray objects to traverse: a stack, so marking is depth first */
  uint64_t marked;          /* objects blackened since gcs_trace_init (atoms included) */
  const char *who;          /* the collector's name, for fatal messages */
} gcs_trace_t;

extern gcs_trace_t gcs_trace;

#define MASKCOLORS (GCS_WHITES | GCS_BLACK)
#define iswhite(o) ((o)->gcbits & gcs_trace.currentwhite)
#define isblack(o) ((o)->gcbits & gcs_trace.black)
#define isgray(o) (!((o)->gcbits & MASKCOLORS))
#define otherwhite() ((uint8_t)(gcs_trace.currentwhite ^ GCS_WHITES))
/* Dead: left white by the last marking, once the flip has made that white the other one.
** Meaningful only where black is GCS_BLACK (where black is the other white, it is black). */
#define isdead(o) ((o)->gcbits & otherwhite())
#define set2gray(o) ((o)->gcbits &= (uint8_t)~MASKCOLORS)
#define set2black(o) ((o)->gcbits = (uint8_t)(((o)->gcbits & ~MASKCOLORS) | gcs_trace.black))
#define makewhite(o) \
  ((o)->gcbits = (uint8_t)(((o)->gcbits & ~MASKCOLORS) | gcs_trace.currentwhite))

/* "tracing.c" */
/* Contract: no other tracing collector is open. Whites start at GCS_WHITE0. */
void gcs_trace_init(const char *who, uint8_t black);
void gcs_trace_fini(void);
void gcs_trace_gray_grow_(gcs_graylist_t *l);
void gcs_trace_gray_free(gcs_graylist_t *l);
uint64_t gcs_trace_mark_roots(void);
uint64_t gcs_trace_propagate_mark(int64_t budget);
uint64_t gcs_trace_propagate_all(void);

static inline void gcs_trace_gray_push(gcs_graylist_t *l, gcs_obj *o) {
  if (GCS_UNLIKELY(l->n == l->cap)) gcs_trace_gray_grow_(l);
  l->v[l->n++] = o;
}

/* Lua's reallymarkobject. Contract: o is white. An atom has nothing to visit and goes
** straight to black (Lua does the same for strings); a container turns gray and waits on
** the gray stack. */
static inline void gcs_trace_mark_object(gcs_obj *o) {
  GCS_ASSERT_INTERNAL(iswhite(o));
  if (o->kind == GCS_ATOM) {
    set2black(o);
    gcs_trace.marked++;
    return;
  }
  set2gray(o);
  gcs_trace_gray_push(&gcs_trace.gray, o);
}

#endif
