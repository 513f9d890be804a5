/*
** incremental.c — incremental tricolor mark-sweep in the manner of Lua 5.4's lgc.c
** (incremental mode): a state machine advanced in bounded steps paid for by allocation.
**
** States (Lua's names): GCSpause -> GCSpropagate -> GCSenteratomic -> GCSatomic ->
** GCSswpallgc -> GCSswpend -> GCSpause. single_step() does one unit of progress (a batch of
** marking bounded by what the step still owes, GCSWEEPMAX objects of sweep, one surplus
** table chunk unmapped) and returns the work it did; inc_step() runs single steps until the
** allocation debt is paid.
**
**   work unit   one object marked or one slot scanned (Lua: propagatemark returns 1 + the
**               slots of a table); an object examined by the sweep is SWEEPCOST = 2 units
**               (measured: ~8 ns an object marked, 3 units; ~5 ns an object swept), so that a
**               unit is about the same time in either phase and the pauses spread evenly.
**   goal        the heap (block bytes) a cycle must end under: pause_pct % of the estimate
**               (Lua's GCestimate: what survived the last marking), never below
**               pause_min_bytes. Lua's setpause starts a cycle there; here a cycle starts as
**               soon as the last one ends (once the heap holds pause_min_bytes), so its work
**               is spread over all the allocation up to the goal — the MMU is that spread.
**   rate        units a byte allocated pays, set at each cycle's start (set_rate): with E the
**               estimate, Ln the objects the last sweep kept, M the last marking's units, b the
**               mean size of an object allocated and p = pause_pct / 100,
**                   rate = (M + SWEEPCOST Ln) / (0.9 (p - 1) E) + SWEEPCOST / b
**               the work on the live heap spread over 90 % (ROOM_MARGIN_PCT) of the room the
**               goal leaves above it, plus the sweep of each object allocated. In the steady
**               state of a live heap and dying allocations the heap then peaks at atomic,
**               under the goal (docs/tracing.md derives it; tests/test_incremental.c checks
**               peak <= E p + 2 step_bytes after every allocation). The sweep takes the
**               table newest chunk first, so it frees the (young) garbage before it meets
**               the survivors and the heap falls through the sweep. Times step_mul %. A heap over the goal anyway (a live heap that grew) paces the
**               rest of the cycle to end within GOAL_OVER_PCT % more (step_budget).
**   debt        block bytes allocated and not yet paid for; every allocation adds its bytes
**               and once the debt is positive a step runs (Lua's GCdebt).
**   a step      does rate x (debt + step_bytes) units (at least one, at most
**               step_max_units: the bound on a step's pause) and leaves a credit of
**               step_bytes: the mutator allocates step_bytes between steps (Lua's incstep).
**               Lua 5.4.6's incstep has a fixed pace instead, stepmul units per WORK2MEM
**               (16) bytes: at its default it does 100 units per 16 bytes, and a cycle
**               ends within a few hundred KB of allocation (steps of 0.7-1 ms).
** Every step is a GCS_PAUSE_STEP event. The atomic phase is never folded into a step: a step
** that reaches GCSenteratomic ends there, and the next step runs atomic() alone, logged as
** GCS_PAUSE_ATOMIC. An explicit collect(any generation) is Lua's fullinc: a marking under way is
** abandoned (its gray lists dropped, and a sweep that frees nothing — the white has not
** flipped — turns everything white again), a sweep under way is finished, then one whole
** cycle runs; all of it is one GCS_PAUSE_FULL event.
**
** Marking is the tracing kernel's (collectors/tracing.h: the colours, the gray stack,
** mark_object, propagate with its prefetching edge FIFO); black here is GCS_BLACK, which
** the inline barrier reads. Two whites (Lua's currentwhite/otherwhite): objects are
** allocated with the current white. atomic() flips it, so everything left unmarked now
** carries the other white — "dead" — while objects allocated during the sweep get the new
** current white and survive it untouched. The sweep frees the other white and turns black
** objects to the current white.
**
** Write barrier: Lua's split, by the shape of the object written into.
**   - a small container (< BACK_MIN_SLOTS slots: a node, a pair, a record): forward
**     (Dijkstra, Lua's luaC_barrier_): the white value is marked at once (gray, onto the
**     gray stack), so the work lands in ordinary steps and never in the atomic pause;
**   - a wide container (an array, a ring, a table: written over and over): backward (Lua's
**     luaC_barrierback_ for tables): the container goes back to gray onto `grayagain`, later
**     stores into it cost nothing, and atomic() rescans it once.
** Why not one of them alone. Forward only: a long-lived black array that receives every new
** object (a ring of recent results, a cache) marks every allocation the mutator makes during
** the mark phase; measured here (tracebench churn: a 64-slot ring), marking then never
** catches up with allocation and the cycle never ends. Backward only: every small node
** written during the cycle is rescanned in atomic, a cache miss each — the atomic pause grows
** with the number of distinct objects written (thousands of tree nodes here), and the
** atomic pause is the one this collector exists to bound. The split rescans in atomic only
** wide objects, at most once each per cycle. In the sweep phase either barrier whitens the
** black object instead (Lua's luaC_barrier_: it is known live; no more barriers fire).
** Roots have no barrier (gcs_root_set writes them freely), so atomic() marks them again.
**
** Memory per object: no prefix. Colours live in gcbits; the sweep finds objects through a
** side table of object pointers in 64 KiB chunks (core/objtable.h, shared with marksweep.c;
** see marksweep.c for why not Lua's `next` link). Both tables draw their chunks from one
** pool, g.pool. At the start of the sweep the table is detached, its chunk list reversed (the
** sweep meets the newest objects first, so a table is in allocation order only chunk by
** chunk): objects allocated during the sweep go to a fresh table, so the sweep never chases
** the allocator (Lua links new objects at the head of allgc for the same reason), and the two
** are joined when it ends.
**
** Invariants (checked by verify):
**   objects in the tables == g.nobjects == gcs_heap.live_objects, each a distinct live one
**   the tables' structure (core/objtable.h); g.sweeping is empty outside the sweep
**   GCSpause: every object has the current white; the gray stack is empty
**   GCSpropagate..GCSatomic (the invariant holds): no black object points to a white one;
**     every gray object is on the gray stack or on grayagain, and everything on them is gray;
**     no object has the other white
**   sweep: no gray object; no root and no object that is not dead points to a dead one;
**     objects already swept, and those allocated since, have the current white
**
** Build macros: GCS_DEBUG >= 2 checks the tables against the heap's registry; GCS_DEBUG >= 3
** verifies the heap at every state change (cycle start, atomic, end of sweep).
*/
#include "core/internal.h"
#include "collectors/collectors.h"
#include "collectors/tracing.h"

#include "core/objtable.h"

#include <inttypes.h>
#include <string.h>

/* gcaux bits used only inside verify. */
#define AUX_SEEN 0x8000u   /* met once in the tables */
#define AUX_GRAY 0x4000u   /* on the gray stack or grayagain */

#define GCSWEEPMAX 100     /* objects a single sweep step examines (Lua's value) */
#define SWEEPCOST 2        /* units an object examined by the sweep costs (see the header) */
#define GOAL_OVER_PCT 10   /* over the goal, the collector aims to end within this % more */
#define ROOM_MARGIN_PCT 10 /* the pacer plans to peak this % of the room below the goal */
#define BACK_MIN_SLOTS 8   /* containers this wide get the backward barrier */

enum { GCSpropagate, GCSenteratomic, GCSatomic, GCSswpallgc, GCSswpend, GCSpause };
#define keepinvariant() (g.state <= GCSatomic)
#define issweepphase() (g.state == GCSswpallgc || g.state == GCSswpend)
static const char *const state_names[] = {"propagate", "enteratomic", "atomic", "swpallgc",
                                          "swpend", "pause"};

/* Object tables (core/objtable.h): chunks of object pointers. */
typedef gcs_objtable_chunk chunk;
typedef gcs_objtable table;
#define CHUNK_CAP GCS_OBJTABLE_CAP

static struct {
  int state;                  /* GCS* above */
  table all;                  /* every object, except those in the sweep list while sweeping */
  table sweeping;             /* GCSswpallgc: the detached table being swept */
  gcs_objtable_pool pool;     /* the tables' chunks, and the surplus left by compaction */
  chunk *sweep_r;             /* read cursor: chunk ... */
  uint32_t sweep_ri;          /* ... and index of the next entry to examine */
  chunk *sweep_w;             /* write cursor (survivors are compacted here): chunk ... */
  uint32_t sweep_wj;          /* ... and index; (w, wj) never passes (r, ri) */
  uint64_t nobjects;          /* entries in both tables; == gcs_heap.live_objects */
  gcs_graylist_t grayagain;   /* wide objects re-grayed by the backward barrier: atomic();
                                 the gray stack is the kernel's, gcs_trace.gray */
  int64_t debt;               /* bytes; a step runs when > 0 (see the header) */
  uint64_t estimate;          /* live bytes after the last cycle (Lua's GCestimate) */
  uint64_t goal;              /* bytes: max(estimate * pause_pct / 100, pause_min_bytes); the
                                 cycle under way paces itself to end before the heap is here */
  uint64_t mark_work;         /* units of marking done by the cycle under way */
  uint64_t mark_est;          /* ... and by the last one: the estimate of this one's */
  uint64_t survivors;         /* objects the last sweep examined and kept (live objects) */
  uint64_t alloc_bytes;       /* block bytes allocated since the last cycle started ... */
  uint64_t alloc_objects;     /* ... and objects */
  double garbage_size;        /* their mean size in bytes, over the last cycle */
  double rate;                /* units a byte allocated pays, set at the cycle's start */
  uint64_t unswept;           /* GCSswpallgc: objects of the detached table not yet examined */
  uint64_t swept;             /* objects swept in the step under way */
  uint64_t kept;              /* objects the sweep under way has kept */
  uint64_t freed;             /* objects freed, cumulative */
  uint64_t since;             /* objects allocated since the last cycle ended (report) */
  uint64_t cycles;            /* cycles completed */
  uint64_t collected;         /* objects they freed */
  uint64_t cycle_freed_mark;  /* `freed` when the cycle under way started its sweep */
  bool in_full;               /* inside collect(): steps are not logged separately */
  int64_t pause_pct, pause_min_bytes, step_mul, step_bytes, step_max_units;  /* knobs */
} g;

/* --------------------------------------------------------------------------------------
** Mark (the kernel's mark_roots and propagate, between the cycle's states)
** ------------------------------------------------------------------------------------ */
static void set_rate(void);

/* Lua's restartcollection: a cycle starts by marking the roots. */
static uint64_t restart_collection(void) {
  GCS_ASSERT_INTERNAL(gcs_trace.gray.n == 0 && g.grayagain.n == 0);
  g.state = GCSpropagate;
  g.mark_work = 0;
  set_rate();
  GCS_VERIFY("incremental: cycle start");
  return 1 + gcs_trace_mark_roots();
}

/* Finishes marking with the mutator stopped: the roots again (they have no barrier), what is
** gray, then the wide objects the backward barrier re-grayed (Lua: g->gray = grayagain).
** Afterwards every object reachable from the roots is black, and the flip of the current
** white makes every other one dead. Returns its work. */
static uint64_t atomic(void) {
  g.state = GCSatomic;
  uint64_t work = gcs_trace_mark_roots();
  work += gcs_trace_propagate_all();
  gcs_graylist_t again = g.grayagain;  /* traverse grayagain as the gray stack */
  g.grayagain = gcs_trace.gray;
  gcs_trace.gray = again;
  work += gcs_trace_propagate_all();
  GCS_VERIFY("incremental: atomic, marking done");
  gcs_trace.currentwhite = otherwhite();
  return work;
}

/* --------------------------------------------------------------------------------------
** Sweep
** ------------------------------------------------------------------------------------ */

/* An unswept dead object's slots may point to objects the sweep already freed (Lua's
** checkobject skips dead objects for this reason): the core's verifier asks before following
** them. isdead holds at any time: once a sweep ends every survivor has the current white. */
static bool is_garbage(const gcs_obj *o) {
  return isdead(o);
}

/* Reverses t's chunk list: the sweep then meets the newest objects first. */
static void reverse_chunks(table *t) {
  if (t->head == NULL) return;
  chunk *prev = NULL, *c = t->head;
  t->tail = c;
  while (c != NULL) {
    chunk *next = c->next;
    c->next = prev;
    prev = c;
    c = next;
  }
  t->head = prev;
}

/* Detaches the table for sweeping, its chunks newest first (the garbage is mostly young, so
** the sweep frees before it meets the survivors, and the heap falls while the mutator
** allocates; the pacer counts on it); objects allocated from now on go to a fresh table. */
static void enter_sweep(void) {
  g.sweeping = g.all;
  reverse_chunks(&g.sweeping);
  gcs_objtable_init(&g.all);
  g.sweep_r = g.sweep_w = g.sweeping.head;
  g.sweep_ri = g.sweep_wj = 0;
  g.estimate = gcs_heap.live_bytes;
  g.unswept = g.nobjects;
  g.kept = 0;
  g.cycle_freed_mark = g.freed;
  g.state = GCSswpallgc;
  GCS_VERIFY("incremental: sweep start");
}

/* Closes the sweep: the compacted table, then the objects allocated during the sweep. The
** chunks past the write cursor become spares: the table grows back into them during the
** next cycle (unmapping them all here was a 3 ms pause, and mapping and faulting them in
** again a waste); GCSswpend unmaps, one a step, those beyond the number in use. */
static void finish_sweep(void) {
  table swept = g.sweeping;
  if (g.sweep_w != NULL) gcs_objtable_truncate(&swept, &g.pool, g.sweep_w, g.sweep_wj, false);
  if (swept.head == NULL) {
    swept = g.all;
  } else if (g.all.head != NULL) {
    swept.tail->next = g.all.head;
    swept.tail = g.all.tail;
  }
  g.all = swept;
  gcs_objtable_init(&g.sweeping);
  g.sweep_r = g.sweep_w = NULL;
  g.sweep_ri = g.sweep_wj = 0;
}

#define SWEEP_PREFETCH 64

/* Lua's sweepstep over sweeplist: examines up to GCSWEEPMAX objects of the detached table
** (fewer when the step owes fewer `budget` units), freeing the dead ones and whitening the
** rest, compacted toward its head. Returns its work, SWEEPCOST units an object examined
** (freed or kept alike: the pacer counts objects, as Lua's sweeplist). Leaves GCSswpallgc
** for GCSswpend once the table is done. */
static uint64_t sweep_step(int64_t budget) {
  budget /= SWEEPCOST;
  uint64_t max = budget < 1 ? 1 : budget < GCSWEEPMAX ? (uint64_t)budget : GCSWEEPMAX;
  chunk *r = g.sweep_r, *w = g.sweep_w;
  uint32_t ri = g.sweep_ri, wj = g.sweep_wj;
  uint64_t count = 0, freed = 0, live0 = gcs_heap.live_bytes;
  uint8_t ow = otherwhite(), white = gcs_trace.currentwhite;
  while (count < max && r != NULL) {
    if (ri == r->n) {
      r = r->next;
      ri = 0;
      continue;
    }
    if (ri + SWEEP_PREFETCH < r->n) __builtin_prefetch(r->o[ri + SWEEP_PREFETCH], 1);
    gcs_obj *o = r->o[ri++];
    count++;
    if (o->gcbits & ow) {
      gcs_free_(o);
      freed++;
      continue;
    }
    o->gcbits = (uint8_t)((o->gcbits & ~MASKCOLORS) | white);
    if (wj == CHUNK_CAP) {
      w->n = wj;
      w = w->next;
      wj = 0;
    }
    w->o[wj++] = o;
  }
  g.sweep_r = r;
  g.sweep_ri = ri;
  g.sweep_w = w;
  g.sweep_wj = wj;
  g.unswept -= count;
  g.kept += count - freed;
  g.nobjects -= freed;
  g.freed += freed;
  g.swept += count;
  g.estimate -= live0 - gcs_heap.live_bytes;  /* Lua: GCestimate follows the frees */
  if (r == NULL) {
    g.survivors = g.kept;
    finish_sweep();
    g.state = GCSswpend;
  }
  return count * SWEEPCOST;
}

/* Lua's setpause, as a goal: the cycle that starts next must end before the heap reaches
** pause_pct % of the estimate (never below pause_min_bytes). It starts at the next step once
** the heap holds pause_min_bytes (a cycle never waits for the heap to grow: its work is spread
** over all the allocation up to the goal, see the header). */
static void set_pause(void) {
  uint64_t goal = g.estimate * (uint64_t)g.pause_pct / 100;
  g.goal = goal > (uint64_t)g.pause_min_bytes ? goal : (uint64_t)g.pause_min_bytes;
  g.debt = (int64_t)gcs_heap.live_bytes - g.pause_min_bytes;
  if (g.debt > -g.step_bytes) g.debt = -g.step_bytes;
}

/* The pacer, at a cycle's start: the rate of the header (units a byte allocated pays), at
** which a steady state — the live heap as it is, the mutator allocating objects that die —
** peaks ROOM_MARGIN_PCT % of the room below the goal, p = pause_pct / 100 times the
** estimate E:
**     rate = (M + SWEEPCOST Ln) / (0.9 (p - 1) E) + SWEEPCOST / b
** M the units of marking (the last cycle's), Ln the live objects (the last sweep kept), b the
** mean size of an object allocated (over the last cycle). Times step_mul %. Before the first
** cycle has ended, every object is taken for live. */
static void set_rate(void) {
  double E = (double)(g.estimate ? g.estimate : gcs_heap.live_bytes);
  double Ln = (double)(g.survivors ? g.survivors : g.nobjects);
  double M = (double)(g.mark_est ? g.mark_est : 3 * g.nobjects);
  if (g.alloc_objects) g.garbage_size = (double)g.alloc_bytes / (double)g.alloc_objects;
  double b = g.garbage_size > 0 ? g.garbage_size : E / (Ln > 0 ? Ln : 1);
  double room = E * (double)(g.pause_pct - 100) / 100 * (100 - ROOM_MARGIN_PCT) / 100;
  if (room < (double)g.step_bytes) room = (double)g.step_bytes;
  g.rate = ((M + SWEEPCOST * Ln) / room + SWEEPCOST / (b > 0 ? b : 1)) * (double)g.step_mul / 100;
  g.alloc_bytes = g.alloc_objects = 0;
}

/* Units of work left in the cycle under way: marking (the last cycle's, less what is done; at
** least three units a gray object) and the sweep of every object in the heap, or in the
** sweep of every object not yet examined. */
static uint64_t work_left(void) {
  if (issweepphase()) return SWEEPCOST * g.unswept;
  uint64_t mark = g.mark_est > g.mark_work ? g.mark_est - g.mark_work : 0;
  uint64_t gray = 3 * (uint64_t)(gcs_trace.gray.n + g.grayagain.n);
  return (mark > gray ? mark : gray) + SWEEPCOST * g.nobjects;
}

/* The units a step pays for `bytes` of allocation: at the cycle's rate while the heap is
** under the goal. Over it (the live heap grew faster than the estimate), what is left of the
** cycle over what is left of GOAL_OVER_PCT % more (Go's assist ratio), so that a growing heap
** speeds the collector up gradually instead of at once; past that, step_max_units. Never more
** than step_max_units, never less than one. */
static int64_t step_budget(int64_t bytes) {
  double w = g.rate * (double)bytes;
  if (gcs_heap.live_bytes >= g.goal) {
    int64_t runway = (int64_t)(g.goal + g.goal * GOAL_OVER_PCT / 100) - (int64_t)gcs_heap.live_bytes;
    double catchup = runway > bytes ? (double)work_left() * (double)bytes / (double)runway : (double)g.step_max_units;
    if (catchup > w) w = catchup;
  }
  if (w > (double)g.step_max_units) w = (double)g.step_max_units;
  return w < 1 ? 1 : (int64_t)w;
}

/* --------------------------------------------------------------------------------------
** The state machine
** ------------------------------------------------------------------------------------ */
/* One unit of progress; `budget` bounds a batch of marking (units of work wanted). */
static uint64_t single_step(int64_t budget) {
  uint64_t work;
  switch (g.state) {
    case GCSpause:
      work = restart_collection();
      g.mark_work += work;
      break;
    case GCSpropagate:
      if (gcs_trace.gray.n == 0) {
        g.state = GCSenteratomic;  /* no more gray objects: finish the propagate phase */
        work = 0;
      } else {
        work = gcs_trace_propagate_mark(budget);
        g.mark_work += work;
      }
      break;
    case GCSenteratomic:
      work = atomic();
      g.mark_work += work;
      enter_sweep();
      break;
    case GCSswpallgc:
      work = sweep_step(budget);
      break;
    case GCSswpend:
      if (gcs_objtable_trim_one(&g.pool)) {  /* one surplus table chunk a step */
        work = GCSWEEPMAX;
        break;
      }
      GCS_VERIFY("incremental: sweep end");
      g.cycles++;
      g.mark_est = g.mark_work;
      g.collected += g.freed - g.cycle_freed_mark;
      g.since = 0;
      g.state = GCSpause;
      work = 0;
      break;
    default:
      gcs_fatal("incremental: bad state %d", g.state);
  }
  return work;
}

static void run_until(int state) {
  while (g.state != state) single_step(INT64_MAX);
}

/* Lua's incstep: pays in units of work for the bytes allocated since the last step (the debt
** and the credit of step_bytes it had left), at the pacer's rate; leaves a credit of
** step_bytes. */
static void inc_step(void) {
  int64_t budget = step_budget(g.debt + g.step_bytes);
  gcs_pause_token_t pause = gcs_pause_begin();
  uint64_t freed0 = g.freed, marked0 = gcs_trace.marked;
  gcs_pause_kind kind = GCS_PAUSE_STEP;
  g.swept = 0;
  if (g.state == GCSenteratomic) {
    kind = GCS_PAUSE_ATOMIC;  /* atomic() alone, a pause of its own */
    single_step(INT64_MAX);
  } else {
    do {
      if (g.state == GCSenteratomic) break;  /* stop short of atomic: the next step runs it */
      budget -= (int64_t)single_step(budget);
    } while (budget > 0 && g.state != GCSpause);
  }
  if (g.state == GCSpause)
    set_pause();
  else
    g.debt = -g.step_bytes;
  gcs_pause_end(pause, kind, -1, g.swept + gcs_trace.marked - marked0, g.freed - freed0);
}

/* --------------------------------------------------------------------------------------
** The ops
** ------------------------------------------------------------------------------------ */
static int init(void) {
  memset(&g, 0, sizeof g);
  g.pause_pct = gcs_knob("pause_pct");
  g.pause_min_bytes = gcs_knob("pause_min_bytes");
  g.step_mul = gcs_knob("step_mul");
  g.step_bytes = gcs_knob("step_bytes");
  g.step_max_units = gcs_knob("step_max_units");
  g.state = GCSpause;
  gcs_trace_init("incremental", GCS_BLACK);
  gcs_objtable_pool_init(&g.pool, "incremental");
  gcs_objtable_init(&g.all);
  gcs_objtable_init(&g.sweeping);
  set_pause();
  return 0;
}

static void fini(void) {
  gcs_objtable_free(&g.all, &g.pool);
  gcs_objtable_free(&g.sweeping, &g.pool);
  gcs_objtable_pool_free(&g.pool);
  gcs_trace_gray_free(&g.grayagain);
  gcs_trace_fini();
  memset(&g, 0, sizeof g);
}

static void allocating(size_t block_bytes, int kind) {
  (void)kind;
  g.debt += (int64_t)block_bytes;
  g.alloc_bytes += block_bytes;
  g.alloc_objects++;
  if (GCS_UNLIKELY(g.debt > 0) && !gcs_heap.collecting) {
    gcs_heap.collecting = true;
    inc_step();
    gcs_heap.collecting = false;
  }
}

static void allocated(gcs_obj *o) {
  o->gcbits = gcs_trace.currentwhite;
  gcs_objtable_append(&g.all, &g.pool, o);
  g.nobjects++;
  g.since++;
}

/* Black o now points to white v (the inline filter in gcs_store). While the invariant holds:
** Lua's luaC_barrierback_ for a wide o, luaC_barrier_ for a small one (see the header). */
static void barrier_slow(gcs_obj *o, gcs_obj *v) {
  GCS_ASSERT_INTERNAL(isblack(o) && iswhite(v) && !isdead(v) && !isdead(o));
  if (!keepinvariant()) {
    GCS_ASSERT_INTERNAL(issweepphase());
    makewhite(o);  /* sweeping: o is known live; whiten it so no more barriers fire */
  } else if (o->nslots >= BACK_MIN_SLOTS) {
    set2gray(o);  /* back to gray: atomic() traverses it again */
    gcs_trace_gray_push(&g.grayagain, o);
  } else {
    gcs_trace_mark_object(v);  /* restore the invariant */
  }
}

/* Lua's fullinc: if marking is under way, sweep everything back to white first (the white
** has not flipped, so nothing is freed and the gray stack is dropped); finish any sweep;
** then one whole cycle. Returns the objects freed by the call. */
static uint64_t collect(int generation) {
  (void)generation;
  gcs_pause_token_t pause = gcs_pause_begin();
  uint64_t freed0 = g.freed, marked0 = gcs_trace.marked;
  g.swept = 0;
  if (keepinvariant() && g.state != GCSatomic) {
    gcs_graylist_t *gray = &gcs_trace.gray;
    for (size_t i = 0; i < gray->n; i++) makewhite(gray->v[i]);  /* abandon the mark: */
    for (size_t i = 0; i < g.grayagain.n; i++) makewhite(g.grayagain.v[i]);  /* gray to white */
    gray->n = g.grayagain.n = 0;
    enter_sweep();
  }
  run_until(GCSpause);
  single_step(INT64_MAX);  /* restart */
  run_until(GCSpause);
  set_pause();
  gcs_pause_end(pause, GCS_PAUSE_FULL, -1, g.swept + gcs_trace.marked - marked0,
                g.freed - freed0);
  return g.freed - freed0;
}

static void report(gcs_gc_report_t *r) {
  r->ngenerations = 1;
  r->count[0] = (int64_t)g.since;
  r->gen[0].collections = g.cycles;
  r->gen[0].collected = g.collected;
}

/* --------------------------------------------------------------------------------------
** verify
** ------------------------------------------------------------------------------------ */
typedef struct vstate {
  int bad;
  uint64_t n;
} vstate;

#define VFAIL(v, ...) (gcs_error("verify incremental (%s): " __VA_ARGS__), (v)->bad = 1)

/* `swept`: the object is in a part of the tables the sweep has finished with (or that it
** never visits): outside GCSpropagate..GCSatomic it must have the current white. */
static void verify_entry(vstate *v, gcs_obj *o, bool swept) {
  const char *st = state_names[g.state];
  v->n++;
  if (o->kind != GCS_CONTAINER && o->kind != GCS_ATOM) {
    VFAIL(v, "table entry %p has kind %u (freed?)", st, (void *)o, o->kind);
    return;
  }
#if GCS_DEBUG >= 2
  if (!gcs_liveset_has(o)) {
    VFAIL(v, "table entry %p is not a live object", st, (void *)o);
    return;
  }
#endif
  if (o->gcaux & AUX_SEEN) {
    VFAIL(v, "%p is in the object tables twice", st, (void *)o);
    return;
  }
  o->gcaux |= AUX_SEEN;
  uint8_t c = o->gcbits & MASKCOLORS;
  if (keepinvariant()) {
    if (c & otherwhite()) VFAIL(v, "%p has the other white while marking", st, (void *)o);
    if (isgray(o) && !(o->gcaux & AUX_GRAY)) VFAIL(v, "gray %p is on no gray list", st, (void *)o);
    if (isblack(o)) {
      for (uint32_t i = 0; i < o->nslots; i++)
        if (o->slots[i] && iswhite(o->slots[i]))
          VFAIL(v, "black %p slot %u points to white %p", st, (void *)o, i, (void *)o->slots[i]);
    }
    return;
  }
  if (isgray(o)) VFAIL(v, "%p is gray outside marking", st, (void *)o);
  if ((swept || g.state == GCSpause) && c != gcs_trace.currentwhite)
    VFAIL(v, "%p has colour bits %#x where only the current white %#x may be", st, (void *)o, c,
          gcs_trace.currentwhite);
  if (!isdead(o)) {
    for (uint32_t i = 0; i < o->nslots; i++)
      if (o->slots[i] && isdead(o->slots[i]))
        VFAIL(v, "live %p slot %u points to dead %p", st, (void *)o, i, (void *)o->slots[i]);
  }
}

/* Contract: the tables' structure has been checked (gcs_objtable_verify). */
static void verify_chunks(vstate *v, chunk *c, chunk *stop, uint32_t stopi, bool swept) {
  for (; c != NULL; c = c->next) {
    uint32_t n = c == stop ? stopi : c->n;
    for (uint32_t i = 0; i < n; i++) verify_entry(v, c->o[i], swept);
    if (c == stop) return;
  }
}

static void clear_aux(chunk *c, chunk *stop, uint32_t stopi) {
  for (; c != NULL; c = c->next) {
    uint32_t n = c == stop ? stopi : c->n;
    for (uint32_t i = 0; i < n; i++) c->o[i]->gcaux &= (uint16_t)~(AUX_SEEN | AUX_GRAY);
    if (c == stop) return;
  }
}

static int verify(void) {
  vstate v = {0, 0};
  const char *st = state_names[g.state];
  char who[64];
  snprintf(who, sizeof who, "verify incremental (%s)", st);
  const gcs_objtable *tables[2] = {&g.all, &g.sweeping};
  if (gcs_objtable_verify(&g.pool, tables, 2, who)) return 1;
  if (!issweepphase() && g.sweeping.head != NULL) {
    VFAIL(&v, "the sweep table is not empty outside the sweep", st);
    return 1;
  }
  gcs_graylist_t *lists[2] = {&gcs_trace.gray, &g.grayagain};
  for (int l = 0; l < 2; l++) {
    for (size_t i = 0; i < lists[l]->n; i++) {
      gcs_obj *o = lists[l]->v[i];
      if (!keepinvariant()) {
        VFAIL(&v, "%zu objects on a gray list outside marking", st, lists[l]->n);
        break;
      }
      if (!isgray(o)) VFAIL(&v, "gray-list entry %zu (%p) is not gray", st, i, (void *)o);
      if (o->gcaux & AUX_GRAY) VFAIL(&v, "%p is on the gray lists twice", st, (void *)o);
      o->gcaux |= AUX_GRAY;
    }
  }
  if (issweepphase()) {
    /* swept and compacted: [head, (w, wj)); still to sweep: [(r, ri), end) */
    verify_chunks(&v, g.sweeping.head, g.sweep_w, g.sweep_wj, true);
    if (g.sweep_r != NULL) {
      chunk *r = g.sweep_r;
      for (uint32_t i = g.sweep_ri; i < r->n; i++) verify_entry(&v, r->o[i], false);
      verify_chunks(&v, r->next, NULL, 0, false);
    }
  }
  verify_chunks(&v, g.all.head, NULL, 0, !keepinvariant());
  for (int l = 0; l < 2; l++)
    for (size_t i = 0; i < lists[l]->n; i++) lists[l]->v[i]->gcaux &= (uint16_t)~AUX_GRAY;
  if (issweepphase()) {
    clear_aux(g.sweeping.head, g.sweep_w, g.sweep_wj);
    if (g.sweep_r != NULL) {
      for (uint32_t i = g.sweep_ri; i < g.sweep_r->n; i++) g.sweep_r->o[i]->gcaux &= (uint16_t)~AUX_SEEN;
      clear_aux(g.sweep_r->next, NULL, 0);
    }
  }
  clear_aux(g.all.head, NULL, 0);
  if (v.n != g.nobjects || v.n != gcs_heap.live_objects)
    VFAIL(&v, "object tables hold %" PRIu64 " objects, the collector counts %" PRIu64
          ", the heap %" PRIu64 " live", st, v.n, g.nobjects, gcs_heap.live_objects);
  for (gcs_obj **r = gcs_heap.roots_base; r < gcs_heap.roots_top; r++) {
    if (*r == NULL) continue;
    if (!keepinvariant() && isdead(*r))
      VFAIL(&v, "root %td holds dead %p", st, r - gcs_heap.roots_base, (void *)*r);
  }
  return v.bad;
}

static const gcs_knob_t knobs[] = {
  {"pause_pct", 500, 100, 100000, NULL,
   "the heap goal: a cycle paces itself to end before the heap reaches this % of what survived the last one (Lua's pause)"},
  {"pause_min_bytes", 1 << 16, 0, (int64_t)1 << 40, NULL,
   "no cycle starts while the heap is smaller than this, and the goal is never below it"},
  {"step_mul", 100, 1, 1000000, NULL,
   "work per allocation, in % of the pace that ends the cycle at the heap goal"},
  {"step_bytes", 8192, 16, (int64_t)1 << 30, NULL,
   "bytes the mutator allocates between two steps (Lua's stepsize, 2^13)"},
  {"step_max_units", 65536, 1, (int64_t)1 << 40, NULL,
   "most units of work (objects or slots marked, objects swept x 2) a step does: bounds a step's pause"},
  {NULL, 0, 0, 0, NULL, NULL},
};

const gcs_collector_ops gcs_collector_incremental = {
  .name = "incremental",
  .summary = "incremental tricolor mark-sweep, Lua's split barrier, bounded steps (Lua 5.4 incremental)",
  .barrier = GCS_BARRIER_TRICOLOR,
  .prefix_container = 0,
  .prefix_atom = 0,
  .knobs = knobs,
  .init = init,
  .fini = fini,
  .allocating = allocating,
  .allocated = allocated,
  .collect = collect,
  .barrier_slow = barrier_slow,
  .verify = verify,
  .is_garbage = is_garbage,
  .report = report,
};
