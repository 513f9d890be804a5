/*
** boehm.c — the `boehm` and `boehm-inc` peers: real bdwgc (Debian's libgc 8.2.2, the
** Boehm-Demers-Weiser collector) as a collector back-end over gcscope's object model, so every
** workload, `replay`, the matrix and tune run on bdwgc's own allocator, marker and sweeper.
**
** Memory: every object comes from bdwgc's allocator, with the gcs_obj layout and no prefix
** (prefix_container = prefix_atom = 0, so a gcs_obj * is the object's base address and
** GC_set_all_interior_pointers(0) holds: bdwgc recognises only pointers to an object's start):
**   atom                     GC_malloc_atomic (PTRFREE kind: never scanned)
**   container, precise=on    GC_malloc_explicitly_typed with a GC_make_descriptor bitmap per
**                            slot count (words 2 .. 2+nslots-1 are pointers; the header and
**                            the payload are not), cached by nslots; a container without slots
**                            is pointer-free: GC_malloc_atomic. bdwgc stores the descriptor in
**                            the object's last word (TYPD_EXTRA_BYTES: 8 bytes an object)
**   container, precise=off   GC_malloc (NORMAL kind: every word scanned conservatively)
** Roots: the shadow stack (the core's root frames), pushed exactly over [roots_base,
** roots_top) at every mark by a GC_set_push_other_roots procedure. GC_add_roots over the
** mapping would scan all roots_max words at every collection; the mapping never moves or
** grows (core/heap.c maps it once per heap), so pushing the used part is exact. What else
** bdwgc scans, it scans CONSERVATIVELY:
**   - the registers and its own frames (GC_with_callee_saves_pushed, GC_push_current_stack),
**     at every mark: a stale word there can keep an object, and what it references, alive;
**   - knob roots=conservative: also the whole C stack (bdwgc's own push-other-roots procedure,
**     GC_push_all_stacks, chained after ours), as bdwgc is normally used. roots=shadow (the
**     default) leaves it out: gcscope's contract holds every object in a root, and a stale
**     word on the C stack made workloads' exact checks fail (rings' cycle probe). An explicit
**     collection zeroes the stack below its frame and the callee-saved registers first;
**   - statics: none. GC_set_no_dls(1) keeps bdwgc from registering the loaded objects' data
**     segments, and a PIE gcscope registers its own the same way (GC_dump: root size 0); no
**     gcscope object is held in a static, and libpython's would cost every mark.
**
** Modes (per process: bdwgc's incremental mode cannot be switched off once on, so a `boehm`
** heap after a `boehm-inc` one in the same process is refused with a message):
**   boehm       stop-the-world: each collection is GC_try_to_collect_inner's full mark, then
**               lazy sweeping (GC_finish_collection only queues blocks; GC_malloc sweeps them).
**   boehm-inc   GC_enable_incremental() and GC_set_time_limit(time_limit_ms). Debian's build
**               has PARALLEL_MARK, so its default GC_time_limit is GC_TIME_UNLIMITED (999999):
**               then "incremental" is merely generational (partial collections marking from
**               dirty pages, a full one every full_freq), every mark stop-the-world. With a
**               limit, GC_stopped_mark gives up after it and marking continues in slices of
**               GC_rate units inside GC_malloc (GC_collect_a_little_inner); after
**               max_prior_attempts (default 1) the final stopped mark is unlimited. Dirty bits:
**               GC_dirty_init picks SOFT_VDB (/proc/self/pagemap soft-dirty bits) when the
**               kernel has it, else MPROTECT_VDB (write-protect the heap, catch SIGSEGV): both
**               need no barrier from the mutator, so stores stay inline (no GCS_BARRIER_*);
**               the manual VDB (GC_set_manual_vdb_allowed + GC_ptr_store_and_dirty) is not
**               used. Which one ran is in docs/boehm.md (this machine's kernel: mprotect).
**
** Pauses (GC_set_on_collection_event; which events fire differs by mode, alloc.c):
**   - a full collection (GC_try_to_collect_inner: GC_gcollect, and every automatic collection
**     of `boehm`) fires GC_EVENT_START .. GC_EVENT_END: one pause, kind full;
**   - boehm-inc's automatic collections (GC_maybe_gc) fire no START/END: a pause opens at
**     GC_EVENT_PRE_STOP_WORLD and closes at GC_EVENT_RECLAIM_END (mark completed: kind full
**     when GC_set_start_callback announced a full collection, else collect, generation 0) or
**     at GC_EVENT_POST_START_WORLD without a GC_EVENT_MARK_END (stopped mark abandoned at the
**     time limit: kind step);
**   - everything else bdwgc does inside an allocation (lazy sweeping, incremental mark slices
**     in GC_collect_a_little_inner, growing the heap) fires no event: every allocation call
**     is timed with CLOCK_MONOTONIC, and one longer than alloc_cutoff_us (default 20 us) that
**     recorded no event pause is logged as kind step. Its CPU time is not measured (a CPU
**     clock read costs about 5 us here, more than most allocations): its cpu_ns is the cost
**     of two clock reads, so every such step longer than GCS_DESCHED_MIN_NS counts as
**     descheduled. A wall-clock cut-off also catches a preemption inside an allocation: on a
**     loaded machine many of these steps are the machine's, not bdwgc's. The part of a call before
**     an event pause (GC_reclaim_all ahead of a full mark in GC_maybe_gc) is not logged; the
**     part after it is, when longer than the cut-off. The two clock reads cost every
**     allocation about 0.1-0.2 us; alloc_cutoff_us=0 turns them off.
** Frees: bdwgc frees silently (lazy sweeping, no per-object hook but finalizers or a disclaim
** kind). The core's accounting is kept by a census at the end of every completed mark
** (GC_EVENT_MARK_END, world stopped, mark bits valid): every object the peer allocated is in
** `reg`, an array outside bdwgc's heap (malloc'd: never scanned, so it keeps nothing alive);
** each unmarked one is unreachable now and bdwgc will reclaim it, so it is reported with
** gcs_heap_freed and dropped from `reg`. The census is gcscope's accounting, not bdwgc's work:
** its wall and CPU time are cut out of the pause (added to the pause's start; two CPU-clock
** reads a collection); its memory, 8 bytes an object, is in RSS. In generational mode a
** partial collection keeps old marks, so an old object that died is counted only at the
** next full one, as bdwgc frees it. An object the
** census counted dead that a stale word then resurrects for bdwgc is never counted again.
** An explicit full collection (collect) is GC_try_to_collect with a stop function that never
** stops (so bdwgc first sweeps what earlier collections left, GC_reclaim_all, then marks);
** with at most one root left (the release phase, teardown) two more follow and the last is
** GC_gcollect_and_unmap with GC_set_force_unmap_on_gcollect(1), so free blocks are unmapped
** (GC_unmap_old unmaps blocks free for more than one collection).
**
** Knobs: precise, roots, free_space_divisor (GC_set_free_space_divisor), full_freq
** (GC_set_full_freq), alloc_cutoff_us, and time_limit_ms for boehm-inc. report: one generation; collections =
** GC_get_gc_no() since open, collected = objects the census found dead.
**
** Invariants: every object in reg[0..nreg) is live for the core (in its live counts, and its
** debug registry); after a census every one of them was marked by it or allocated since.
** No bdwgc allocation happens inside a collection event (the lock is held).
**
** Build macros: GCS_DEBUG (the core's registry is kept by the census through gcs_heap_freed).
** Links -lgc.
*/
#include "core/internal.h"
#include "collectors/collectors.h"

#include <gc/gc.h>
#include <gc/gc_mark.h>
#include <gc/gc_typed.h>

#include <errno.h>
#include <stdlib.h>

#define MAX_CUTOFF_US 1000000   /* alloc_cutoff_us's range */
#define CLEAR_STACK_BYTES 16384 /* zeroed below an explicit collection's caller */

enum { ROOTS_SHADOW, ROOTS_CONSERVATIVE };   /* knob roots */
static const char *const roots_choices[] = {"shadow", "conservative", NULL};

typedef struct descr_entry {
  uint32_t nslots;   /* key + 1 (0: empty) */
  GC_descr d;        /* GC_make_descriptor of the container with nslots slots */
} descr_entry;

static struct {
  bool started;                 /* GC_INIT has run (once per process) */
  bool incremental;             /* GC_enable_incremental has run in this process */
  bool active;                  /* a heap of ours is open: account and log */
  bool precise;                 /* knob precise */
  bool conservative;            /* knob roots=conservative: the thread stacks are pushed too */
  uint64_t cutoff_ns;           /* knob alloc_cutoff_us, in ns; 0: allocations not timed */
  GC_push_other_roots_proc chained;  /* bdwgc's own (the thread stacks) */
  /* the descriptor cache: open addressing on nslots, cap a power of two, n <= cap / 2 */
  descr_entry *descr;
  size_t descr_cap, descr_n;
  /* reg: every object allocated and not yet counted dead; nreg <= reg_cap */
  gcs_obj **reg;
  size_t nreg, reg_cap;
  /* the pause under way */
  bool open;                    /* a pause is being timed */
  bool in_full;                 /* between GC_EVENT_START and GC_EVENT_END */
  bool mark_done;               /* GC_EVENT_MARK_END since the stop-the-world began */
  bool full_cycle;              /* GC_set_start_callback: the cycle under way is full */
  bool was_collecting;          /* gcs_heap.collecting before the pause */
  gcs_pause_token_t pause;      /* its start */
  uint64_t visited;             /* live objects at its start */
  uint64_t dead_at_open;        /* `dead` at its start */
  uint64_t event_pauses;        /* pauses logged from events (a timed allocation checks it) */
  uint64_t last_event_end_ns;   /* end of the last one */
  /* counts since open */
  uint64_t dead;                /* objects the census found unreachable */
  uint64_t base_gc_no;          /* GC_get_gc_no() at open */
  uint64_t allocs_since_gc;     /* objects allocated since the last census (report count) */
} bw;

/* ------------------------------------------------------------------------------------ */
/* Type descriptors (gc_typed.h)                                                         */
/* ------------------------------------------------------------------------------------ */

/* The descriptor of a container of nslots slots: header words 0 and 1 are not pointers, the
** slots are, the payload after them is not (GC_make_descriptor ignores trailing zero bits). */
static GC_descr make_descr(uint32_t nslots) {
  size_t len = 2 + (size_t)nslots;
  size_t words = (len + GC_WORDSZ - 1) / GC_WORDSZ;
  GC_word *bm = calloc(words, sizeof *bm);
  if (!bm) gcs_fatal("boehm: no memory for a %zu-word descriptor bitmap", words);
  for (size_t i = 2; i < len; i++) GC_set_bit(bm, i);
  GC_descr d = GC_make_descriptor(bm, len);
  free(bm);
  return d;
}

static void descr_insert(descr_entry *t, size_t cap, uint32_t key, GC_descr d) {
  size_t i = (key * 0x9E3779B1u) & (cap - 1);
  while (t[i].nslots) i = (i + 1) & (cap - 1);
  t[i].nslots = key;
  t[i].d = d;
}

static GC_descr descr_for(uint32_t nslots) {
  uint32_t key = nslots + 1;
  if (bw.descr_cap) {
    size_t i = (key * 0x9E3779B1u) & (bw.descr_cap - 1);
    for (; bw.descr[i].nslots; i = (i + 1) & (bw.descr_cap - 1))
      if (bw.descr[i].nslots == key) return bw.descr[i].d;
  }
  if (2 * (bw.descr_n + 1) > bw.descr_cap) {
    size_t ncap = bw.descr_cap ? 2 * bw.descr_cap : 64;
    descr_entry *t = calloc(ncap, sizeof *t);
    if (!t) gcs_fatal("boehm: no memory for the descriptor cache (%zu entries)", ncap);
    for (size_t i = 0; i < bw.descr_cap; i++)
      if (bw.descr[i].nslots) descr_insert(t, ncap, bw.descr[i].nslots, bw.descr[i].d);
    free(bw.descr);
    bw.descr = t;
    bw.descr_cap = ncap;
  }
  GC_descr d = make_descr(nslots);   /* may allocate (an extended descriptor), so may collect */
  descr_insert(bw.descr, bw.descr_cap, key, d);
  bw.descr_n++;
  return d;
}

/* ------------------------------------------------------------------------------------ */
/* The census: what the mark left unmarked is dead                                       */
/* ------------------------------------------------------------------------------------ */

static void reg_add(gcs_obj *o) {
  if (GCS_UNLIKELY(bw.nreg == bw.reg_cap)) {
    size_t ncap = bw.reg_cap ? 2 * bw.reg_cap : 4096;
    gcs_obj **r = realloc(bw.reg, ncap * sizeof *r);
    if (!r) gcs_fatal("boehm: no memory for the census of %zu objects", ncap);
    bw.reg = r;
    bw.reg_cap = ncap;
  }
  bw.reg[bw.nreg++] = o;
}

/* Called at GC_EVENT_MARK_END (lock held, world stopped): GC_is_marked is exact now. */
static void census(void) {
  size_t keep = 0;
  uint64_t dead = 0;
  for (size_t i = 0; i < bw.nreg; i++) {
    gcs_obj *o = bw.reg[i];
    if (GC_is_marked(o)) {
      bw.reg[keep++] = o;
    } else {
      gcs_heap_freed(o);
      dead++;
    }
  }
  bw.nreg = keep;
  bw.dead += dead;
  bw.allocs_since_gc = 0;
}

/* ------------------------------------------------------------------------------------ */
/* Pauses: bdwgc's collection events                                                     */
/* ------------------------------------------------------------------------------------ */

static void pause_open(void) {
  if (bw.open) return;
  bw.open = true;
  bw.was_collecting = gcs_heap.collecting;
  gcs_heap.collecting = true;
  bw.visited = gcs_heap.live_objects;
  bw.dead_at_open = bw.dead;
  bw.pause = gcs_pause_begin();
}

static void pause_close(gcs_pause_kind kind, int generation) {
  if (!bw.open) return;
  bw.open = false;
  gcs_heap.collecting = bw.was_collecting;
  gcs_pause_end(bw.pause, kind, generation, bw.visited, bw.dead - bw.dead_at_open);
  bw.event_pauses++;
  if (gcs_pause_logging) {
    size_t n;
    const gcs_pause_t *log = gcs_pause_log(&n);
    bw.last_event_end_ns = n ? log[n - 1].end_ns : 0;
  }
}

/* The census, its time cut out of the pause under way (it is gcscope's, not bdwgc's). */
static void timed_census(void) {
  if (!bw.open || !gcs_pause_logging) {
    census();
    return;
  }
  uint64_t c0 = gcs_thread_cpu_ns(), t0 = gcs_now_ns();
  census();
  uint64_t t1 = gcs_now_ns(), c1 = gcs_thread_cpu_ns();
  bw.pause.wall_ns += t1 - t0;
  bw.pause.cpu_ns += c1 - c0;
}

/* GC_on_collection_event_proc: called with the allocation lock held; allocates nothing. */
static void GC_CALLBACK on_event(GC_EventType e) {
  if (!bw.active) return;
  switch (e) {
  case GC_EVENT_START:        /* GC_try_to_collect_inner: a full collection */
    bw.in_full = true;
    pause_open();
    break;
  case GC_EVENT_PRE_STOP_WORLD:   /* GC_stopped_mark begins */
    bw.mark_done = false;
    pause_open();
    break;
  case GC_EVENT_MARK_END:     /* the mark completed (GC_gc_no was just incremented) */
    bw.mark_done = true;
    timed_census();
    break;
  case GC_EVENT_POST_START_WORLD:   /* stopped mark over: abandoned at the time limit? */
    if (!bw.in_full && !bw.mark_done) pause_close(GCS_PAUSE_STEP, -1);
    break;
  case GC_EVENT_RECLAIM_END:  /* GC_finish_collection done */
    if (!bw.in_full) {
      pause_close(bw.full_cycle ? GCS_PAUSE_FULL : GCS_PAUSE_COLLECT, bw.full_cycle ? -1 : 0);
      bw.full_cycle = false;
    }
    break;
  case GC_EVENT_END:
    bw.in_full = false;
    bw.full_cycle = false;
    pause_close(GCS_PAUSE_FULL, -1);
    break;
  default:
    break;
  }
}

/* GC_start_callback_proc: GC_notify_full_gc, at the start of every full collection. */
static void GC_CALLBACK on_full_start(void) {
  bw.full_cycle = true;
}

/* GC_push_other_roots_proc: the shadow stack's used part; with roots=conservative, then
** bdwgc's own procedure (GC_push_all_stacks: the thread stacks, this one's whole C stack). */
static void GC_CALLBACK push_shadow_stack(void) {
  if (bw.active && gcs_heap.roots_top > gcs_heap.roots_base)
    GC_push_all(gcs_heap.roots_base, gcs_heap.roots_top);
  if (bw.conservative && bw.chained) bw.chained();
}

/* ------------------------------------------------------------------------------------ */
/* Allocation                                                                            */
/* ------------------------------------------------------------------------------------ */

static void *gc_alloc(size_t bytes, uint32_t nslots, int kind) {
  if (kind == GCS_ATOM || nslots == 0) return GC_malloc_atomic(bytes);
  if (!bw.precise) return GC_malloc(bytes);
  return GC_malloc_explicitly_typed(bytes, descr_for(nslots));
}

/* An allocation that took longer than the cut-off: bdwgc swept, marked a slice or grew the
** heap in it. Logged as a step unless a collection event logged it already; then only what
** followed that pause, when it is itself longer than the cut-off. */
static GCS_NOINLINE void log_slow_alloc(uint64_t t0, uint64_t t1, uint64_t events_before) {
  uint64_t from = t0;
  if (bw.event_pauses != events_before) from = bw.last_event_end_ns;
  if (t1 <= from || t1 - from <= bw.cutoff_ns) return;
  gcs_pause_token_t t = {from, gcs_thread_cpu_ns()};   /* its CPU time is not measured */
  gcs_pause_end(t, GCS_PAUSE_STEP, -1, 0, 0);
}

static gcs_obj *alloc_object(uint32_t nslots, uint32_t payload, int kind) {
  size_t bytes = sizeof(gcs_obj) + (size_t)nslots * sizeof(gcs_obj *) + payload;
  bool timed = bw.cutoff_ns && gcs_pause_logging;
  uint64_t events = bw.event_pauses;
  uint64_t t0 = timed ? gcs_now_ns() : 0;
  void *p = gcs_fault_inject(GCS_FAULT_PEER) ? NULL : gc_alloc(bytes, nslots, kind);
  if (timed) {
    uint64_t t1 = gcs_now_ns();
    if (GCS_UNLIKELY(t1 - t0 > bw.cutoff_ns)) log_slow_alloc(t0, t1, events);
  }
  if (GCS_UNLIKELY(!p)) {   /* Lua's tryagain: one full collection, one retry */
    gcs_heap_collect(-1);
    p = gcs_fault_inject(GCS_FAULT_PEER) ? NULL : gc_alloc(bytes, nslots, kind);
    if (!p)
      gcs_fatal("out of memory: bdwgc cannot allocate %zu bytes with %llu objects (%llu bytes) live%s",
                bytes, (unsigned long long)gcs_heap.live_objects,
                (unsigned long long)gcs_heap.live_bytes, gcs_fault_note());
  }
  reg_add(p);
  bw.allocs_since_gc++;
  return p;
}

/* ------------------------------------------------------------------------------------ */
/* Collection                                                                            */
/* ------------------------------------------------------------------------------------ */

/* GC_stop_func for GC_try_to_collect: never stop. Not GC_never_stop_func, so that
** GC_try_to_collect_inner first finishes the lazy sweeping of earlier collections. */
static int GC_CALLBACK keep_going(void) {
  return 0;
}

/* Zeroes the C stack below the caller's frame: the frames bdwgc's collection is about to
** use held the mutator's deeper calls, and a stale object pointer in one of their unwritten
** slots would keep that object alive (bdwgc's own GC_clear_stack does the same between
** allocations, a little at a time). */
static GCS_NOINLINE void clear_stack_below(void) {
  volatile char pad[CLEAR_STACK_BYTES];
  for (size_t i = 0; i < sizeof pad; i++) pad[i] = 0;
}

/* A full collection (bdwgc has no generation to choose). Returns the objects its census
** found dead. With at most one root on the shadow stack (the release: the workload has
** returned, only the cell's baseline frame of core/baseline.c is left; teardown: none), two
** more: the second sweeps what the first found, the third unmaps the blocks that freed.
** With roots=shadow the callee-saved registers are zeroed first (their values are saved in
** this frame, above the part of the stack bdwgc scans, and restored on return): what the
** mutator's callers left in them is not a root in gcscope's contract, and bdwgc's
** GC_with_callee_saves_pushed would push it. */
static GCS_NOINLINE uint64_t collect(int generation) {
  (void)generation;
  uint64_t dead0 = bw.dead;
  clear_stack_below();
#if defined(__x86_64__)
  if (!bw.conservative)
    __asm__ volatile("xor %%ebx, %%ebx\n\txor %%r12d, %%r12d\n\txor %%r13d, %%r13d\n\t"
                     "xor %%r14d, %%r14d\n\txor %%r15d, %%r15d" ::: "rbx", "r12", "r13", "r14", "r15");
#endif
  GC_try_to_collect(keep_going);
  if (gcs_heap.roots_top - gcs_heap.roots_base <= 1) {   /* the release or teardown */
    GC_try_to_collect(keep_going);
    GC_gcollect_and_unmap();
  }
  return bw.dead - dead0;
}

/* ------------------------------------------------------------------------------------ */
/* Opening and closing                                                                   */
/* ------------------------------------------------------------------------------------ */

static int start(bool incremental) {
  if (!bw.started) {
    GC_set_all_interior_pointers(0);
    GC_set_no_dls(1);
    GC_INIT();
    GC_set_on_collection_event(on_event);
    GC_set_start_callback(on_full_start);
    bw.chained = GC_get_push_other_roots();
    GC_set_push_other_roots(push_shadow_stack);
    GC_set_force_unmap_on_gcollect(1);
    bw.started = true;
  }
  if (incremental && !bw.incremental) {
    GC_enable_incremental();
    bw.incremental = GC_is_incremental_mode() != 0;
    if (!bw.incremental) {
      gcs_error("boehm-inc: GC_enable_incremental left bdwgc stop-the-world (GC_DISABLE_INCREMENTAL set?)");
      return ENOTSUP;
    }
  }
  if (!incremental && bw.incremental) {
    gcs_error("boehm: bdwgc is already incremental in this process (a boehm-inc heap was opened "
              "before); its mode cannot be switched off: run boehm in a process of its own");
    return ENOTSUP;
  }
  GC_set_free_space_divisor((GC_word)gcs_knob("free_space_divisor"));
  GC_set_full_freq((int)gcs_knob("full_freq"));
  if (incremental) {
    int64_t ms = gcs_knob("time_limit_ms");
    GC_set_time_limit(ms == 0 ? GC_TIME_UNLIMITED : (unsigned long)ms);
  }
  /* Nothing of an earlier heap is counted: what it left in bdwgc's heap is bdwgc's garbage. */
  GC_gcollect();
  bw.precise = gcs_knob("precise") != 0;
  bw.conservative = gcs_knob("roots") == ROOTS_CONSERVATIVE;
  bw.cutoff_ns = (uint64_t)gcs_knob("alloc_cutoff_us") * 1000u;
  bw.nreg = 0;
  bw.open = bw.in_full = bw.mark_done = bw.full_cycle = false;
  bw.event_pauses = 0;
  bw.dead = 0;
  bw.allocs_since_gc = 0;
  bw.base_gc_no = GC_get_gc_no();
  bw.active = true;
  return 0;
}

static int init_stw(void) {
  return start(false);
}

static int init_inc(void) {
  return start(true);
}

static void fini(void) {
  bw.active = false;
  bw.nreg = 0;   /* what is left is bdwgc's garbage now (or its conservatively kept) */
}

static void report(gcs_gc_report_t *r) {
  r->ngenerations = 1;
  r->count[0] = (int64_t)bw.allocs_since_gc;
  r->gen[0].collections = GC_get_gc_no() - bw.base_gc_no;
  r->gen[0].collected = bw.dead;
}

/* Every object the census keeps is one the core knows live; the core's registry checks the
** slots and roots. */
static int verify(void) {
  if (bw.nreg != gcs_heap.live_objects) {
    gcs_error("verify boehm: %zu objects in the census, the core counts %llu live", bw.nreg,
              (unsigned long long)gcs_heap.live_objects);
    return 1;
  }
  return 0;
}

/* ------------------------------------------------------------------------------------ */
/* The ops tables                                                                        */
/* ------------------------------------------------------------------------------------ */

#define COMMON_KNOBS                                                                          \
  {"precise", 1, 0, 1, gcs_knob_off_on,                                                       \
   "containers typed (GC_malloc_explicitly_typed: only slots scanned) or off: GC_malloc, every word scanned conservatively"}, \
  {"roots", ROOTS_SHADOW, 0, 1, roots_choices,                                                \
   "shadow: the shadow stack only (the C stack and registers are not roots; an explicit collection zeroes them first); conservative: also bdwgc's scan of the C stack"}, \
  {"free_space_divisor", 3, 1, 1000, NULL,                                                    \
   "GC_set_free_space_divisor: collect when allocation since the last one exceeds heap/this; larger = smaller heap, more collections"}, \
  {"full_freq", 19, 0, 100000, NULL,                                                          \
   "GC_set_full_freq: partial collections between full ones (incremental/generational mode only)"}, \
  {"alloc_cutoff_us", 20, 0, MAX_CUTOFF_US, NULL,                             \
   "an allocation call longer than this is logged as a step pause (lazy sweep, mark slice); 0 = allocations untimed"}

static const gcs_knob_t knobs_stw[] = {
  COMMON_KNOBS,
  {NULL, 0, 0, 0, NULL, NULL},
};

static const gcs_knob_t knobs_inc[] = {
  COMMON_KNOBS,
  {"time_limit_ms", 5, 0, 999998, NULL,
   "GC_set_time_limit: a stopped mark gives up after this and marking goes on in slices; 0 = GC_TIME_UNLIMITED (Debian's default: generational only)"},
  {NULL, 0, 0, 0, NULL, NULL},
};

/* The two tables differ in name, summary, knobs and init only. */
#define BOEHM_OPS(NAME, SUMMARY, KNOBS, INIT)                                               \
  {.name = NAME, .summary = SUMMARY, .kind = "peer", .barrier = 0, .prefix_container = 0,  \
   .prefix_atom = 0, .knobs = KNOBS, .init = INIT, .fini = fini, .collect = collect,        \
   .verify = verify, .report = report, .alloc_object = alloc_object}

const gcs_collector_ops gcs_collector_boehm =
    BOEHM_OPS("boehm", "peer: real bdwgc 8.2 (Debian libgc), stop-the-world, lazy sweep, typed containers",
              knobs_stw, init_stw);

const gcs_collector_ops gcs_collector_boehm_inc =
    BOEHM_OPS("boehm-inc", "peer: real bdwgc 8.2 incremental (GC_enable_incremental, time limit; dirty bits from the OS)",
              knobs_inc, init_inc);
