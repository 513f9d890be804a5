/*
** tracing.c — the tracing kernel's out-of-line part: the gray lists' memory, mark_roots and
** propagate (Lua's propagatemark/propagateall) with its prefetching edge FIFO. The colours,
** the state and their invariants are in tracing.h.
**
** Why an edge FIFO. The cost of marking is the cache miss on every child's header (its
** colour is read and written). So a scanned object's children are not examined at once:
** each is prefetched and queued in a small FIFO, and examined EDGE_FIFO edges later, when
** its line has arrived (prefetch-on-gray, after Cher, Hosking & Vijaykumar, ASPLOS 2004,
** applied to the edges). Between the scan and the examination a black object may point to a
** white one; that edge is in the FIFO, and the FIFO is drained before propagate returns.
**
** Build macros: GCS_DEBUG >= 2 asserts that every object popped from the gray stack is gray.
*/
#define _GNU_SOURCE /* mremap */
#include "collectors/tracing.h"

#include <string.h>
#include <sys/mman.h>

gcs_trace_t gcs_trace;

void gcs_trace_init(const char *who, uint8_t black) {
  GCS_ASSERT(gcs_trace.gray.cap == 0);
  memset(&gcs_trace, 0, sizeof gcs_trace);
  gcs_trace.currentwhite = GCS_WHITE0;
  gcs_trace.black = black;
  gcs_trace.who = who;
}

void gcs_trace_fini(void) {
  gcs_trace_gray_free(&gcs_trace.gray);
  memset(&gcs_trace, 0, sizeof gcs_trace);
}

/* The slow path of gcs_trace_gray_push: doubles the list's mapping (4096 entries first). */
GCS_NOINLINE void gcs_trace_gray_grow_(gcs_graylist_t *l) {
  size_t ncap = l->cap ? l->cap * 2 : 4096;
  void *p = gcs_fault_inject(GCS_FAULT_GRAY) ? MAP_FAILED
           : l->cap ? mremap(l->v, l->cap * sizeof *l->v, ncap * sizeof *l->v, MREMAP_MAYMOVE)
                   : mmap(NULL, ncap * sizeof *l->v, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    gcs_fatal("%s: out of memory: cannot grow a gray list to %zu entries%s", gcs_trace.who, ncap,
              gcs_fault_note());
  l->v = p;
  l->cap = ncap;
}

void gcs_trace_gray_free(gcs_graylist_t *l) {
  if (l->cap) munmap(l->v, l->cap * sizeof *l->v);
  *l = (gcs_graylist_t){NULL, 0, 0};
}

/* Marks what the roots hold; returns the roots examined (its work). */
uint64_t gcs_trace_mark_roots(void) {
  for (gcs_obj **r = gcs_heap.roots_base; r < gcs_heap.roots_top; r++)
    if (*r && iswhite(*r)) gcs_trace_mark_object(*r);
  return (uint64_t)(gcs_heap.roots_top - gcs_heap.roots_base);
}

/* Edges waiting to be examined: a power of two. Deep enough to cover a miss to memory with
** the scanning of the objects in between; shallow enough to stay in registers' reach. */
#define EDGE_FIFO 16

/* The gray stack as propagate holds it: in locals, since every colour write is a byte
** store, which the compiler must otherwise assume changes the stack's fields and the colours
** read from gcs_trace. */
typedef struct stack {
  gcs_obj **v;              /* gcs_trace.gray.v */
  size_t sp, cap;           /* its depth, and its capacity */
  uint8_t white, black;     /* gcs_trace.currentwhite, gcs_trace.black */
  uint64_t marked;          /* objects blackened: added to gcs_trace.marked at the end */
} stack;

/* Examines one edge taken from the FIFO: a white target is marked. */
static inline __attribute__((always_inline)) void examine(stack *k, gcs_obj *c) {
  if (!(c->gcbits & k->white)) return;
  if (c->kind == GCS_ATOM) {
    c->gcbits = (uint8_t)((c->gcbits & ~MASKCOLORS) | k->black);
    k->marked++;
    return;
  }
  c->gcbits &= (uint8_t)~MASKCOLORS;
  if (GCS_UNLIKELY(k->sp == k->cap)) {
    gcs_trace.gray.n = k->sp;
    gcs_trace_gray_grow_(&gcs_trace.gray);
    k->v = gcs_trace.gray.v;
    k->cap = gcs_trace.gray.cap;
  }
  k->v[k->sp++] = c;
}

/* The loop both entry points share, specialised by `bounded` (a constant after inlining).
** Empties the gray stack, or stops once `budget` units are done (at least one object when
** bounded): each gray object turns black and its white children gray. Last in, first out,
** so a chain or a tree is followed depth first and the stack stays shallow. Returns the
** work, 1 + slots per object scanned (Lua's propagatemark: 1 + the slots of a table). */
static inline __attribute__((always_inline)) uint64_t propagate(int64_t budget, bool bounded) {
  gcs_obj *fifo[EDGE_FIFO];
  unsigned head = 0, count = 0;
  stack k = {gcs_trace.gray.v, gcs_trace.gray.n, gcs_trace.gray.cap, gcs_trace.currentwhite,
             gcs_trace.black, 0};
  uint64_t work = 0;
  for (;;) {
    if (k.sp > 0 && (!bounded || (int64_t)work < budget)) {
      gcs_obj *o = k.v[--k.sp];
      GCS_ASSERT_INTERNAL(isgray(o));
      o->gcbits |= k.black;  /* gray: no colour bit to clear */
      k.marked++;
      gcs_obj **s = o->slots;
      uint32_t n = o->nslots;
      work += 1u + n;
      for (uint32_t i = n; i-- > 0;) {  /* last slot first: slot 0 is popped first, */
        gcs_obj *c = s[i];              /* so preorder-built data is read forward */
        if (!c) continue;
        __builtin_prefetch(c, 1);
        /* pymalloc's 48-byte pool header: half the 32-byte blocks straddle two lines */
        __builtin_prefetch(c->slots, 0);
        if (count < EDGE_FIFO) {
          fifo[(head + count++) % EDGE_FIFO] = c;
        } else {
          gcs_obj *e = fifo[head];
          fifo[head] = c;
          head = (head + 1) % EDGE_FIFO;
          examine(&k, e);
        }
      }
    } else if (count > 0) {  /* out of gray objects (or of budget): drain */
      gcs_obj *e = fifo[head];
      head = (head + 1) % EDGE_FIFO;
      count--;
      examine(&k, e);
    } else {
      break;
    }
  }
  gcs_trace.gray.n = k.sp;
  gcs_trace.marked += k.marked;
  return work;
}

/* Lua's propagatemark, batched: traverses gray objects from the top of the stack until
** `budget` units are done (at least one object); returns the work. */
uint64_t gcs_trace_propagate_mark(int64_t budget) {
  return propagate(budget, true);
}

/* Lua's propagateall: empties the gray stack; returns the work. */
uint64_t gcs_trace_propagate_all(void) {
  return propagate(0, false);
}
