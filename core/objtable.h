/*
** objtable.h — the object table: every object of a tracing collector, in allocation order, as
** pointers in 64 KiB mmap'd chunks; compacted by the collector's sweep. marksweep.c and
** incremental.c keep their tables (and a pool of chunks they draw from) in their static state;
** how a sweep reads and compacts a table is theirs. What is here is what they share: chunks,
** spares, the append, the structural check, freeing it all. Why a side table and not Lua's
** `next` link in every header: collectors/marksweep.c and docs/tracing.md.
**
**   chunk   64 KiB from mmap (the collector's own memory, not in gcs_heap.live_bytes):
**           a link, a count and GCS_OBJTABLE_CAP object pointers
**   table   a list of chunks, head to tail; appends go to the tail chunk
**   pool    the chunks of one collector: how many its tables hold, and the spares — chunks a
**           sweep emptied, kept for the tables to grow back into instead of mapping and
**           faulting in new ones every collection
**
** An empty table has head == NULL and tail == &gcs_objtable_full, a chunk that is always full
** and never written (Lua's `dummynode` in ltable.c): so the append's one test, "is the tail
** chunk full?", also catches the empty table, and the fast path is three loads and two stores.
**
** Invariants (checked by gcs_objtable_verify):
**   every chunk c of a table: c->n <= GCS_OBJTABLE_CAP; c->next == NULL iff c == tail
**   empty table: head == NULL and tail == &gcs_objtable_full
**   pool.nchunks == chunks in the collector's tables; pool.nspare == chunks on pool.spare
**
** Build macros: none.
*/
#ifndef GCS_OBJTABLE_H
#define GCS_OBJTABLE_H

#include "core/error.h"
#include "core/object.h"

#include <stdbool.h>
#include <stdint.h>

#define GCS_OBJTABLE_CHUNK_BYTES (64 * 1024)

typedef struct gcs_objtable_chunk {
  struct gcs_objtable_chunk *next;  /* toward the tail; NULL on the last */
  uint32_t n;                       /* entries used: o[0..n) */
  uint32_t unused;                  /* keeps o[] 8-aligned */
  gcs_obj *o[];                     /* GCS_OBJTABLE_CAP entries */
} gcs_objtable_chunk;
#define GCS_OBJTABLE_CAP \
  ((uint32_t)((GCS_OBJTABLE_CHUNK_BYTES - sizeof(gcs_objtable_chunk)) / sizeof(gcs_obj *)))

typedef struct gcs_objtable {
  gcs_objtable_chunk *head;  /* NULL when empty */
  gcs_objtable_chunk *tail;  /* appends go here; &gcs_objtable_full when empty, never NULL */
} gcs_objtable;

typedef struct gcs_objtable_pool {
  gcs_objtable_chunk *spare;  /* emptied chunks, reused by gcs_objtable_grow_ */
  uint64_t nspare;            /* chunks on spare */
  uint64_t nchunks;           /* chunks in the collector's tables */
  const char *owner;          /* the collector's name, for messages */
} gcs_objtable_pool;

/* The tail of every empty table: n == GCS_OBJTABLE_CAP, no entries, never written. */
extern gcs_objtable_chunk gcs_objtable_full;

/* Leaves p with no chunks and no spares; it holds none before (init, or after pool_free). */
void gcs_objtable_pool_init(gcs_objtable_pool *p, const char *owner);
/* Leaves t empty; it holds no chunks before (its chunks, if any, are the caller's to free). */
void gcs_objtable_init(gcs_objtable *t);
/* The append's slow path: links a spare (or a new chunk) after t's tail and, unless o is
** NULL, appends o to it (so o is not live across the call in the fast path's caller). */
void gcs_objtable_grow_(gcs_objtable *t, gcs_objtable_pool *p, gcs_obj *o);

/* Gives the empty table t its first chunk (a collector's init: an error, not an exit, when
** the OS refuses). 0, or ENOMEM with t still empty. */
int gcs_objtable_start(gcs_objtable *t, gcs_objtable_pool *p);

/* Appends o at the tail of t, growing it from p when the tail chunk is full (or t is empty). */
static inline void gcs_objtable_append(gcs_objtable *t, gcs_objtable_pool *p, gcs_obj *o) {
  gcs_objtable_chunk *c = t->tail;
  if (GCS_UNLIKELY(c->n == GCS_OBJTABLE_CAP)) {
    gcs_objtable_grow_(t, p, o);
    return;
  }
  c->o[c->n++] = o;
}

/* Ends t after its first n entries of chunk `last` (a chunk of t: where a compacting sweep's
** write cursor stopped). The chunks after `last` leave t for the spares — with `trim`, only
** while the spares are fewer than the chunks in use, and the rest are unmapped at once; without
** it all of them (gcs_objtable_trim_one unmaps the surplus later, a chunk at a time). */
void gcs_objtable_truncate(gcs_objtable *t, gcs_objtable_pool *p, gcs_objtable_chunk *last,
                           uint32_t n, bool trim);
/* Unmaps one spare if there are more spares than chunks in use; returns whether it did. */
bool gcs_objtable_trim_one(gcs_objtable_pool *p);

/* Checks the invariants above for the pool and the tables that draw from it (all of them);
** prints each breach, prefixed with `who`, and returns non-zero. Reads no object. */
int gcs_objtable_verify(const gcs_objtable_pool *p, const gcs_objtable *const *tables, int ntables,
                        const char *who);

/* Unmaps t's chunks and leaves it empty. */
void gcs_objtable_free(gcs_objtable *t, gcs_objtable_pool *p);
/* Unmaps the spares. */
void gcs_objtable_pool_free(gcs_objtable_pool *p);

#endif /* GCS_OBJTABLE_H */
