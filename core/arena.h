/*
** arena.h — a pymalloc-shaped small-object allocator (CPython 3.11 Objects/obmalloc.c, 64-bit).
**
**   size classes  16-byte steps up to GCS_ARENA_SMALL_MAX (512): class i serves (i+1)*16 bytes
**   pools         16 KiB, aligned to 16 KiB, one size class each
**   arenas        1 MiB from mmap; kept in `usable_arenas` sorted most-full-first (fewest free
**                 pools first), so allocation drains the nearly empty ones; an arena whose
**                 pools are all free is munmap'ed, unless it is the last usable one (3.9+).
**   large         > 512 bytes: the C library's malloc and free, as pymalloc falls back to
**                 PyMem_RawMalloc / PyMem_RawFree above SMALL_REQUEST_THRESHOLD; counted
**                 as requested. Debug builds add a header to each (GCS_ARENA_TRACK_LARGE).
**
** Single-threaded, like pymalloc under the GIL: one allocator per process, no locking.
**
** Retained pools (GCS_ARENA_RETAIN, default 1; not in pymalloc): a pool that empties while
** it is the only pool of its class stays on usedpools until another pool of the class joins
** it or gcs_arena_collect runs, instead of going through freepools on every free; so a loop
** that allocates and frees one object does not thrash a pool in and out (CPython keeps one
** empty arena for the same reason at arena level, bpo-37257; mimalloc retires such a page
** late). At most one pool per class (32 x 16 KiB) is held past the free that emptied it; its
** arena stays mapped with it, so beside the one wholly free arena pymalloc keeps (the last
** usable one) a second arena may stay mapped until the next release point: which one is
** kept depends on the arenas' pool counts (63 or 64, i.e. on where mmap put them).
**
** Release policy (knob `release`): `arena` as pymalloc; `pool` also madvise(MADV_DONTNEED)s an
** empty pool once it has stayed empty for `purge_delay_ms`; `none` never returns an arena.
** Large objects are malloc's under every policy: glibc decides when their memory leaves.
**
** Free is sized: the caller passes the size it allocated, so no address lookup is needed
** (pymalloc's radix tree answers "is this mine?", which our caller always knows).
**
** Invariants (checked by gcs_arena_check):
**   bytes_in_use  == sum of the small blocks handed out and not freed (rounded to the class)
**                    + large_bytes_in_use (the large objects' requested sizes)
**   bytes_mapped  == arenas * 1 MiB (large objects are malloc's memory, not the arena's)
**   returned      bytes_returned_munmap and bytes_returned_madvise are disjoint: an arena's
**                 munmap counts only what its purged pools had not already returned
**   every pool on usedpools[c] has 0 < ref.count < capacity(c), except that a pool alone on
**   its ring may be empty (retained, GCS_ARENA_RETAIN)
**   usable_arenas is sorted by nfreepools ascending
**
** Build macros: GCS_DEBUG >= 2 fills fresh blocks with 0xCD and freed ones with 0xDD, and
** poisons freed blocks for ASan; GCS_DEBUG >= 2 or __SANITIZE_ADDRESS__ also turns the inline
** fast paths off (GCS_ARENA_INLINE 0), so every call reaches the checking code, and tracks the
** large objects (GCS_ARENA_TRACK_LARGE 1: a header each, so a free checks its size and
** gcs_arena_fini frees what is still live; release builds leave those to the C library).
*/
#ifndef GCS_ARENA_H
#define GCS_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define GCS_ARENA_ALIGNMENT 16
#define GCS_ARENA_SMALL_MAX 512
#define GCS_ARENA_NCLASSES (GCS_ARENA_SMALL_MAX / GCS_ARENA_ALIGNMENT)
#define GCS_POOL_SIZE (16 * 1024)
#define GCS_ARENA_SIZE (1024 * 1024)

enum { GCS_RELEASE_ARENA = 0, GCS_RELEASE_POOL = 1, GCS_RELEASE_NONE = 2 };

/* Default of purge_delay_ms; core/arena.c's header says why 50 and not mimalloc's 10. */
#define GCS_ARENA_PURGE_DELAY_MS_DEFAULT 50

typedef struct gcs_arena_config {
  int release;                 /* GCS_RELEASE_* */
  int64_t purge_delay_ms;      /* `pool` policy: how long a pool stays empty before madvise */
} gcs_arena_config_t;

#define GCS_ARENA_STATS(X)                                                                \
  X(bytes_mapped, "bytes of arenas currently mapped (large objects are malloc's)")        \
  X(bytes_mapped_peak, "peak of bytes_mapped")                                            \
  X(bytes_in_use, "bytes handed out: small blocks at their size class, large objects as " \
    "requested")                                                                          \
  X(bytes_returned_munmap, "bytes returned to the OS by munmap, cumulative")              \
  X(bytes_returned_madvise, "bytes returned to the OS by madvise, cumulative")            \
  X(bytes_purged, "bytes of empty pools currently madvise'd away")                        \
  X(arenas_allocated, "arenas mapped, cumulative")                                        \
  X(arenas_freed, "arenas unmapped, cumulative")                                          \
  X(pools_purged, "pools madvise'd, cumulative")                                          \
  X(large_allocated, "large (> 512 B) objects allocated from malloc, cumulative")         \
  X(large_bytes_in_use, "bytes of the large objects handed out, as requested (part of "   \
    "bytes_in_use)")

typedef struct gcs_arena_stats {
#define GCS_ARENA_STAT_FIELD(name, doc) uint64_t name;
  GCS_ARENA_STATS(GCS_ARENA_STAT_FIELD)
#undef GCS_ARENA_STAT_FIELD
} gcs_arena_stats_t;

/* Starts the allocator (all state is global; one allocator per process). 0 or an errno:
** EINVAL for a bad config, EBUSY when an arena is still mapped or (tracked builds) a large
** object still live (call gcs_arena_fini first).
** NULL cfg: release `arena`, the default delay. Resets the stats. */
int gcs_arena_init(const gcs_arena_config_t *cfg);
/* Unmaps every arena, whatever is still allocated in it, and (tracked builds) frees every
** large object still live; stats are kept (the unmapping is counted in
** bytes_returned_munmap; bytes_in_use keeps what was still allocated, i.e. leaked). Release
** builds leave live large objects allocated: the C library's, as at CPython's exit. */
void gcs_arena_fini(void);
/* nbytes > 0. A 16-byte aligned block of at least nbytes, or NULL (errno: EINVAL for 0,
** ENOMEM when the OS or malloc says no). Inline below. */
static inline void *gcs_arena_alloc(size_t nbytes);
/* p from gcs_arena_alloc(nbytes) with the same nbytes; p == NULL is allowed for a large
** nbytes only. Inline below. */
static inline void gcs_arena_free(void *p, size_t nbytes);
/* A collection finished: the `pool` policy purges pools empty for longer than the delay, or
** every empty pool when `force` (an explicit full collection, a release checkpoint). */
void gcs_arena_collect(bool force);
const gcs_arena_stats_t *gcs_arena_stats(void);
/* Walks the allocator's structures; prints what is wrong and returns non-zero. */
int gcs_arena_check(void);

/* --------------------------------------------------------------------------------------
** Inline fast paths (Lua's luaC_objbarrier shape: the filter inline, the rest out of line).
** They are pymalloc's own fast path: pop or push a pool's free list, carve a virgin block,
** take a pool that fills off its ring or put a full pool that gets a block back on it
** (O(1) list operations on usedpools). A new pool, a pool going empty (arena bookkeeping),
** large objects (malloc and free) are the _slow functions'. Debug builds (GCS_DEBUG >= 2,
** ASan) always call the _slow functions, which fill and poison. The structures below belong to core/arena.c; nothing else writes them.
** ------------------------------------------------------------------------------------ */

/* pymalloc's struct pool_header: at the start of every 16 KiB pool. */
typedef struct gcs_pool_header gcs_pool_header_t;
struct gcs_pool_header {
  union {
    uint8_t *padding;              /* keeps pymalloc's layout (48 bytes in all) */
    uint32_t count;                /* blocks handed out: 0 <= count <= capacity */
  } ref;
  uint8_t *freeblock;              /* head of the pool's free list; NULL <=> full (or sentinel) */
  gcs_pool_header_t *nextpool;     /* usedpools[szidx] ring, or the next on its arena's freepools */
  union {
    gcs_pool_header_t *prevpool;   /* usedpools[szidx] ring */
    int64_t empty_since_ms;        /* on freepools: when it went empty (`pool` policy) */
  };
  uint32_t arenaindex;             /* allarenas[arenaindex] holds this pool */
  uint32_t szidx;                  /* size class, or 0xffff when never formatted */
  uint32_t nextoffset;             /* offset of the first virgin block */
  uint32_t maxnextoffset;          /* largest valid nextoffset == POOL_SIZE - block size */
};

/* pymalloc's usedpools: one sentinel per class heads the ring of its pools with a free block
** (sentinel freeblock is always NULL). */
extern gcs_pool_header_t gcs_arena_usedpools[GCS_ARENA_NCLASSES];
/* What gcs_arena_stats() returns; the fast paths keep bytes_in_use. */
extern gcs_arena_stats_t gcs_arena_counters;

/* "arena.c": the out-of-line paths, also the whole of alloc/free in debug builds. */
void *gcs_arena_alloc_slow(size_t nbytes);
void gcs_arena_free_slow(void *p, size_t nbytes);
/* A retained empty pool is no longer alone on its ring: to its arena's freepools. */
void gcs_arena_retire_slow(gcs_pool_header_t *pool);

/* 1: a pool that empties while it is the only pool of its class stays on usedpools (see
** core/arena.c, "Retained pools"); 0: pymalloc exactly, it goes to freepools at once. */
#ifndef GCS_ARENA_RETAIN
#define GCS_ARENA_RETAIN 1
#endif

#if (defined(GCS_DEBUG) && GCS_DEBUG >= 2) || defined(__SANITIZE_ADDRESS__)
#define GCS_ARENA_INLINE 0
#else
#define GCS_ARENA_INLINE 1
#endif

/* 1: every large object carries a header linking it into a list (core/arena.c, "Tracked
** large objects"): a free checks its size, fini frees it. 0: malloc(nbytes) and free(p) bare,
** as pymalloc. */
#ifndef GCS_ARENA_TRACK_LARGE
#if (defined(GCS_DEBUG) && GCS_DEBUG >= 2) || defined(__SANITIZE_ADDRESS__)
#define GCS_ARENA_TRACK_LARGE 1
#else
#define GCS_ARENA_TRACK_LARGE 0
#endif
#endif

/* Fast path: pymalloc_alloc with pymalloc_pool_extend. A new pool, large objects and the
** debug builds go out of line. */
static inline void *gcs_arena_alloc(size_t nbytes) {
#if GCS_ARENA_INLINE
  if (__builtin_expect(nbytes - 1 < GCS_ARENA_SMALL_MAX, 1)) {
    uint32_t c = (uint32_t)(nbytes - 1) >> 4;
    gcs_pool_header_t *pool = gcs_arena_usedpools[c].nextpool;
    uint8_t *bp = pool->freeblock;                 /* NULL when the ring is empty */
    if (__builtin_expect(bp != NULL, 1)) {
      uint8_t *next = *(uint8_t **)bp;
      pool->ref.count++;
      gcs_arena_counters.bytes_in_use += (uint64_t)(c + 1) << 4;
      if (__builtin_expect(next == NULL, 0)) {
        if (pool->nextoffset <= pool->maxnextoffset) {   /* carve the next virgin block */
          next = (uint8_t *)pool + pool->nextoffset;
          pool->nextoffset += (c + 1) << 4;
          *(uint8_t **)next = NULL;
        } else {                                         /* full: off the ring */
          gcs_pool_header_t *n = pool->nextpool, *pr = pool->prevpool;
          n->prevpool = pr;
          pr->nextpool = n;
        }
      }
      pool->freeblock = next;
      return bp;
    }
  }
#endif
  return gcs_arena_alloc_slow(nbytes);
}

/* Fast path: pymalloc_free with insert_to_usedpool. A pool going empty (unless alone on its
** ring), large objects and the debug builds go out of line. */
static inline void gcs_arena_free(void *p, size_t nbytes) {
#if GCS_ARENA_INLINE
  if (__builtin_expect(nbytes - 1 < GCS_ARENA_SMALL_MAX, 1)) {
    gcs_pool_header_t *pool =
        (gcs_pool_header_t *)((uintptr_t)p & ~(uintptr_t)(GCS_POOL_SIZE - 1));
    uint8_t *lastfree = pool->freeblock;
    if (__builtin_expect(pool->ref.count > 1 ||
                         (GCS_ARENA_RETAIN && lastfree != NULL &&
                          pool->nextpool == pool->prevpool), 1)) {
      *(uint8_t **)p = lastfree;
      pool->freeblock = (uint8_t *)p;
      pool->ref.count--;
      gcs_arena_counters.bytes_in_use -= (nbytes + 15) & ~(size_t)15;
      if (__builtin_expect(lastfree == NULL, 0)) {        /* was full: front of the ring */
        gcs_pool_header_t *head = &gcs_arena_usedpools[(nbytes - 1) >> 4];
        gcs_pool_header_t *next = head->nextpool;
        pool->nextpool = next;
        pool->prevpool = head;
        next->prevpool = pool;
        head->nextpool = pool;
        if (GCS_ARENA_RETAIN && next != head && next->ref.count == 0)
          gcs_arena_retire_slow(next);                    /* a kept empty pool: not alone */
      }
      return;
    }
  }
#endif
  gcs_arena_free_slow(p, nbytes);
}

#endif /* GCS_ARENA_H */
