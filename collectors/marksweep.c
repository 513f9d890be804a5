/*
** marksweep.c — precise stop-the-world tricolor mark-sweep with a heap-growth trigger
** (Lua 5.4's `pause`; the shape of bdwgc's full collection, but precise).
**
** A collection is two named phases, as in lgc.c:
**   mark_roots + propagate_all   white -> gray (on the gray stack) -> black, by the tracing
**                                kernel (collectors/tracing.h); an explicit stack, no
**                                recursion, so a 10-million-node chain needs no C stack
**   sweep                        one pass over the object table: white objects are freed
**                                (gcs_free_, so the arena's release policy applies), the
**                                table is compacted in place, and the flip of the current
**                                white turns the survivors white again (see Colours)
** Trigger: a collection runs when the heap (block bytes) would pass `pause_pct` % of what
** survived the last one (Lua's setpause: 200 = wait for the heap to double), and never below
** `pause_min_bytes`. An explicit collect(any generation) is the same full collection.
**
** Memory per object: no prefix at all. The mark is the colour in the header's gcbits (as
** Lua's `marked`); the sweep finds every object through a side table of object pointers,
** kept in allocation order in 64 KiB chunks (8 bytes an object, outside the object). Lua
** links every object through an 8-byte `next` in its header instead (allgc); here that word
** would push a 2-slot node from 32 to 40 bytes, i.e. into the 48-byte size class — 50% more
** heap and cache traffic for the very objects that dominate — while the side table costs the
** same 8 bytes, packs densely, and is read sequentially by the sweep (with prefetch).
** The table is core/objtable.h's (shared with incremental.c): the collector's own memory
** (mmap'd), not counted in gcs_heap.live_bytes; chunks a sweep empties are kept for it to
** grow back into (at most as many as in use). Here it is never empty: init gives it a chunk.
**
** Colours (collectors/tracing.h, the tracing kernel this collector marks with): Lua's two
** whites, and gray = no colour bit. But a marked object is not painted GCS_BLACK: black is
** the *other* white — the white of the next collection — and the collection ends by
** flipping the current white. So the sweep only reads survivors: it never has to whiten them
** (Lua's sweeplist writes every survivor; here that write-back of the whole live heap is
** gone). No inline barrier reads these bits (marksweep has none), so the GCS_BLACK
** convention the incremental collector's barrier needs does not apply.
**
** Invariants (checked by verify):
**   table entries == g.nobjects == gcs_heap.live_objects, each a distinct live object
**   the table's structure (core/objtable.h); g.table.head != NULL
**   between collections: every object has the current white, gray stack empty
**   after marking: no gray object, no root to a white object, no black -> white edge
**
** Build macros: GCS_DEBUG >= 2 checks the table against the heap's registry; GCS_DEBUG >= 3
** verifies the heap before marking, after marking and after sweeping.
*/
#include "core/internal.h"
#include "collectors/collectors.h"
#include "collectors/tracing.h"

#include "core/objtable.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* gcaux bit used only inside verify, to find duplicates in the table. */
#define AUX_SEEN 0x8000u

/* The object table (core/objtable.h): chunks of object pointers, in allocation order. */
typedef gcs_objtable_chunk chunk;
#define CHUNK_CAP GCS_OBJTABLE_CAP

enum { PHASE_IDLE, PHASE_MARKED, PHASE_SWEEP };

static struct {
  gcs_objtable table;         /* every object; never empty of chunks (head != NULL) */
  gcs_objtable_pool pool;     /* its chunks, and the spares the compaction emptied */
  uint64_t nobjects;          /* entries in the table; == gcs_heap.live_objects */
  uint64_t threshold;         /* live_bytes at which the next collection starts */
  int phase;                  /* PHASE_*: what verify may expect */
  uint64_t since;             /* objects allocated since the last collection (report) */
  uint64_t collections;       /* collections run, triggered and explicit */
  uint64_t collected;         /* objects they freed */
  int64_t pause_pct;          /* knob */
  int64_t pause_min_bytes;    /* knob */
} g;

/* --------------------------------------------------------------------------------------
** Sweep
** ------------------------------------------------------------------------------------ */
#define SWEEP_PREFETCH 64

/* One pass over the table: frees white objects and compacts the survivors toward the head
** (the write cursor never passes the read cursor); survivors are only read — the flip that
** follows makes them white. Chunks left empty are kept as spares. Returns the number
** of objects freed. */
static uint64_t sweep(void) {
  uint64_t freed = 0;
  chunk *w = g.table.head;
  uint32_t j = 0;
  const uint8_t white = gcs_trace.currentwhite;
  for (chunk *r = g.table.head; r != NULL; r = r->next) {
    for (uint32_t i = 0, n = r->n; i < n; i++) {
      if (i + SWEEP_PREFETCH < n) __builtin_prefetch(r->o[i + SWEEP_PREFETCH], 1);
      gcs_obj *o = r->o[i];
      if (o->gcbits & white) {
        gcs_free_(o);
        freed++;
        continue;
      }
      GCS_ASSERT_INTERNAL(isblack(o));
      if (j == CHUNK_CAP) {
        w->n = j;
        w = w->next;
        j = 0;
      }
      if (w != r || j != i) w->o[j] = o;  /* nothing freed yet: leave the table clean */
      j++;
    }
  }
  /* Emptied chunks are kept for the table to grow back into (up to as many as are in use:
  ** mapping and faulting them in again every collection is a waste); the rest is unmapped. */
  gcs_objtable_truncate(&g.table, &g.pool, w, j, true);
  g.nobjects -= freed;
  return freed;
}

/* --------------------------------------------------------------------------------------
** A collection
** ------------------------------------------------------------------------------------ */

/* Lua's setpause: the next collection starts when the heap reaches pause_pct % of what
** survived this one. */
static void set_pause(void) {
  uint64_t t = gcs_heap.live_bytes * (uint64_t)g.pause_pct / 100;
  g.threshold = t > (uint64_t)g.pause_min_bytes ? t : (uint64_t)g.pause_min_bytes;
}

/* A full collection, logged as one GCS_PAUSE_FULL event. Returns the objects it freed. */
static uint64_t full_collection(void) {
  gcs_pause_token_t pause = gcs_pause_begin();
  uint64_t examined = g.nobjects;
  GCS_VERIFY("marksweep: before marking");
  gcs_trace_mark_roots();
  gcs_trace_propagate_all();
  g.phase = PHASE_MARKED;
  GCS_VERIFY("marksweep: after marking");
  g.phase = PHASE_SWEEP;
  uint64_t freed = sweep();
  gcs_trace.black = gcs_trace.currentwhite;  /* the flip: survivors are white again, */
  gcs_trace.currentwhite = otherwhite();       /* without a write */
  g.phase = PHASE_IDLE;
  GCS_VERIFY("marksweep: after sweeping");
  set_pause();
  g.collections++;
  g.collected += freed;
  g.since = 0;
  gcs_pause_end(pause, GCS_PAUSE_FULL, -1, examined, freed);
  return freed;
}

/* --------------------------------------------------------------------------------------
** The ops
** ------------------------------------------------------------------------------------ */
static int init(void) {
  memset(&g, 0, sizeof g);
  g.pause_pct = gcs_knob("pause_pct");
  g.pause_min_bytes = gcs_knob("pause_min_bytes");
  gcs_trace_init("marksweep", GCS_WHITE1);  /* black: the other white (see Colours) */
  gcs_objtable_pool_init(&g.pool, "marksweep");
  gcs_objtable_init(&g.table);
  if (gcs_objtable_start(&g.table, &g.pool) != 0) {  /* sweep() compacts toward a head chunk */
    gcs_trace_fini();
    return ENOMEM;
  }
  set_pause();
  return 0;
}

static void fini(void) {
  gcs_objtable_free(&g.table, &g.pool);
  gcs_objtable_pool_free(&g.pool);
  gcs_trace_fini();
  memset(&g, 0, sizeof g);
}

static void allocating(size_t block_bytes, int kind) {
  (void)kind;
  if (GCS_UNLIKELY(gcs_heap.live_bytes + block_bytes > g.threshold) && !gcs_heap.collecting) {
    gcs_heap.collecting = true;
    full_collection();
    gcs_heap.collecting = false;
  }
}

static void allocated(gcs_obj *o) {
  o->gcbits = gcs_trace.currentwhite;
  gcs_objtable_append(&g.table, &g.pool, o);
  g.nobjects++;
  g.since++;
}

static uint64_t collect(int generation) {
  (void)generation;
  return full_collection();
}

static void report(gcs_gc_report_t *r) {
  r->ngenerations = 1;
  r->count[0] = (int64_t)g.since;
  r->gen[0].collections = g.collections;
  r->gen[0].collected = g.collected;
}

/* --------------------------------------------------------------------------------------
** verify
** ------------------------------------------------------------------------------------ */
static int verify_object(gcs_obj *o, int *bad) {
  if (o->kind != GCS_CONTAINER && o->kind != GCS_ATOM) {
    gcs_error("verify marksweep: table entry %p has kind %u (freed?)", (void *)o, o->kind);
    *bad = 1;
    return 1;
  }
#if GCS_DEBUG >= 2
  if (!gcs_liveset_has(o)) {
    gcs_error("verify marksweep: table entry %p is not a live object", (void *)o);
    *bad = 1;
    return 1;
  }
#endif
  if (o->gcaux & AUX_SEEN) {
    gcs_error("verify marksweep: %p is in the object table twice", (void *)o);
    *bad = 1;
    return 1;
  }
  o->gcaux |= AUX_SEEN;
  if (g.phase == PHASE_IDLE && (o->gcbits & MASKCOLORS) != gcs_trace.currentwhite) {
    gcs_error("verify marksweep: %p has colour bits %#x between collections (expected white %#x)",
              (void *)o, o->gcbits, gcs_trace.currentwhite);
    *bad = 1;
  }
  if (g.phase == PHASE_MARKED) {
    if (isgray(o)) {
      gcs_error("verify marksweep: %p is gray after marking", (void *)o);
      *bad = 1;
    }
    if (isblack(o)) {
      for (uint32_t i = 0; i < o->nslots; i++) {
        gcs_obj *c = o->slots[i];
        if (c && iswhite(c)) {
          gcs_error("verify marksweep: black %p slot %u points to white %p after marking",
                    (void *)o, i, (void *)c);
          *bad = 1;
        }
      }
    }
  }
  return 0;
}

static int verify(void) {
  int bad = 0;
  uint64_t n = 0;
  if (g.phase == PHASE_SWEEP) return 0; /* mid-sweep: the table is being rewritten */
  const gcs_objtable *tables[1] = {&g.table};
  if (gcs_objtable_verify(&g.pool, tables, 1, "verify marksweep")) return 1;
  if (g.table.head == NULL) {
    gcs_error("verify marksweep: the object table has no chunk");
    return 1;
  }
  for (chunk *c = g.table.head; c != NULL; c = c->next) {
    for (uint32_t i = 0; i < c->n; i++, n++)
      if (verify_object(c->o[i], &bad)) return bad;
  }
  for (chunk *c = g.table.head; c != NULL; c = c->next)
    for (uint32_t i = 0; i < c->n; i++) c->o[i]->gcaux &= (uint16_t)~AUX_SEEN;
  if (n != g.nobjects || n != gcs_heap.live_objects) {
    gcs_error("verify marksweep: object table holds %" PRIu64 " objects, the collector counts %" PRIu64
              ", the heap %" PRIu64 " live", n, g.nobjects, gcs_heap.live_objects);
    bad = 1;
  }
  if (gcs_trace.gray.n != 0) {
    gcs_error("verify marksweep: %zu objects left on the gray stack outside marking",
              gcs_trace.gray.n);
    bad = 1;
  }
  if (g.phase == PHASE_MARKED) {
    for (gcs_obj **r = gcs_heap.roots_base; r < gcs_heap.roots_top; r++) {
      if (*r && !isblack(*r)) {
        gcs_error("verify marksweep: root %td holds %p, not black after marking",
                  r - gcs_heap.roots_base, (void *)*r);
        bad = 1;
      }
    }
  }
  return bad;
}

static const gcs_knob_t knobs[] = {
  {"pause_pct", 200, 100, 100000, NULL,
   "collect when the heap reaches this % of what survived the last collection (Lua's pause)"},
  {"pause_min_bytes", 1 << 16, 0, (int64_t)1 << 40, NULL,
   "no collection is triggered while the heap is smaller than this"},
  {NULL, 0, 0, 0, NULL, NULL},
};

const gcs_collector_ops gcs_collector_marksweep = {
  .name = "marksweep",
  .summary = "precise stop-the-world tricolor mark-sweep, heap-growth trigger (Lua pause, bdwgc)",
  .barrier = 0,
  .prefix_container = 0,
  .prefix_atom = 0,
  .knobs = knobs,
  .init = init,
  .fini = fini,
  .allocating = allocating,
  .allocated = allocated,
  .collect = collect,
  .verify = verify,
  .report = report,
};
