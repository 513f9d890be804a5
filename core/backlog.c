/*
** backlog.c — the trash backlog (backlog.h): live objects the roots no longer reach.
**
** A sample marks from the shadow stack's roots through every slot, with a hash set of the
** objects reached (open addressing on the object's address) and an explicit stack, both
** mapped for the sample and unmapped after it, so the heap's objects are not touched (no
** collector's bit is borrowed). backlog = live objects - reached, and the same in bytes
** (gcs_heap.live_objects / live_bytes count what was allocated and not yet freed, the RC
** cascade's queue and an incremental sweep's unswept dead included). Samples are taken at
** the start of an allocation, where every object the mutator still holds is in a root
** (gcs.h's contract); never inside a collection.
**
** The integral is a step function: each sample's backlog holds until the next, on a clock
** that stops while sampling (gcs_now_ns less the sampling time so far).
**
** Build macros: none.
*/
#include "core/backlog.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/heap.h"
#include "core/options.h"

#include <string.h>
#include <sys/mman.h>

static gcs_backlog_t bl;
static uint64_t countdown;     /* allocations until the next sample */
static uint64_t t_start;       /* gcs_now_ns at the run's start */
static uint64_t excluded;      /* ns spent sampling so far */
static uint64_t t_last;        /* run clock of the previous sample */
static uint64_t last_objects, last_bytes;   /* its backlog */

static uint64_t run_clock(void) {
  return gcs_now_ns() - t_start - excluded;
}

static void *map(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) gcs_fatal("trash backlog: cannot map %zu bytes for a sample", bytes);
  return p;
}

/* Inserts o into the set (capacity mask + 1, a power of two); true if it was not there. */
static bool insert(uintptr_t *set, size_t mask, const gcs_obj *o) {
  uintptr_t key = (uintptr_t)o;
  size_t i = (size_t)((key >> 4) * 0x9e3779b97f4a7c15ull) & mask;
  while (set[i]) {
    if (set[i] == key) return false;
    i = (i + 1) & mask;
  }
  set[i] = key;
  return true;
}

static void sample(void) {
  uint64_t t0 = gcs_now_ns();
  uint64_t live = gcs_heap.live_objects;
  size_t cap = 16;
  while (cap < 2 * live + 2) cap <<= 1;
  uintptr_t *set = map(cap * sizeof *set);
  gcs_obj **stack = map((live + 1) * sizeof *stack);
  size_t top = 0;
  uint64_t reached = 0, reached_bytes = 0;
  for (gcs_obj **r = gcs_heap.roots_base; r < gcs_heap.roots_top; r++)
    if (*r && insert(set, cap - 1, *r)) stack[top++] = *r;
  while (top) {
    gcs_obj *o = stack[--top];
    reached++;
    reached_bytes += gcs_heap.prefix[o->kind] + gcs_obj_size(o);
    for (uint32_t i = 0; i < o->nslots; i++) {
      gcs_obj *c = o->slots[i];
      if (c && insert(set, cap - 1, c)) {
        if (top > live) gcs_fatal("trash backlog: more objects reached than are live (%llu)",
                                  (unsigned long long)live);
        stack[top++] = c;
      }
    }
  }
  munmap(set, cap * sizeof *set);
  munmap(stack, (live + 1) * sizeof *stack);
  uint64_t objects = live > reached ? live - reached : 0;
  uint64_t bytes = gcs_heap.live_bytes > reached_bytes ? gcs_heap.live_bytes - reached_bytes : 0;
  excluded += gcs_now_ns() - t0;
  uint64_t now = run_clock();
  bl.object_s += (double)last_objects * (double)(now - t_last) * 1e-9;
  bl.byte_s += (double)last_bytes * (double)(now - t_last) * 1e-9;
  t_last = now;
  last_objects = objects;
  last_bytes = bytes;
  if (objects > bl.max_objects) bl.max_objects = objects;
  if (bytes > bl.max_bytes) bl.max_bytes = bytes;
  bl.samples++;
}

static void tick(void) {
  if (--countdown == 0) {
    countdown = bl.every;
    if (!gcs_heap.collecting && !gcs_heap.rc_draining) sample();
  }
}

void gcs_backlog_open(void) {
  memset(&bl, 0, sizeof bl);
  bl.every = (uint64_t)gcs_knob("backlog_every");
  gcs_heap.allocation_hook = bl.every ? tick : NULL;
  countdown = bl.every ? bl.every : 1;
}

void gcs_backlog_begin(void) {
  uint64_t every = bl.every;
  memset(&bl, 0, sizeof bl);
  bl.every = every;
  countdown = every ? every : 1;
  t_start = gcs_now_ns();
  excluded = t_last = last_objects = last_bytes = 0;
}

void gcs_backlog_end(void) {
  if (!bl.every) return;
  sample();
  bl.run_ns = t_last;
}

const gcs_backlog_t *gcs_backlog_result(void) {
  return &bl;
}
