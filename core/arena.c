/*
** arena.c — gcscope's small-object allocator: CPython 3.11 pymalloc (Objects/obmalloc.c) on
** 64-bit, with a sized free and a pool-granular release policy added.
**
** The shape, and the names, are pymalloc's, so the two files can be read side by side:
**
**   block         a 16-byte multiple; class c (szidx) serves sizes (c*16, (c+1)*16]
**   pool          16 KiB aligned to 16 KiB, one class; a 48-byte pool_header, then blocks
**   arena         1 MiB from mmap; pools are carved from the first 16 KiB boundary, so an
**                 arena holds 64 pools when mmap returned a 16 KiB-aligned address, else 63
**   usedpools[c]  ring of the pools of class c that have a free block (neither full nor
**                 empty); the fast path pops usedpools[c].nextpool->freeblock
**   freepools     per arena, the empty pools still resident, singly linked, newest first
**   usable_arenas arenas with at least one free pool, sorted by nfreepools ascending (most
**                 full first), so allocation drains the nearly empty ones; nfp2lasta[n] is the
**                 last arena of the list with nfreepools == n, which makes re-sorting O(1)
**   large         > 512 bytes: the C library's malloc and free, as pymalloc's fallback
**                 (_PyObject_Malloc: pymalloc_alloc returns NULL above SMALL_REQUEST_THRESHOLD,
**                 then PyMem_RawMalloc, i.e. malloc; _PyObject_Free: pymalloc_free fails
**                 address_in_range, then PyMem_RawFree, i.e. free). glibc serves them from its
**                 heap below its mmap threshold (128 KiB, raised up to 32 MiB each time a larger
**                 mmap'ed chunk is freed) and maps the rest itself; either is glibc's, not ours
**
** Differences from pymalloc, all deliberate:
**   - free is sized (gcs_arena_free(p, nbytes)): no radix tree, no address_in_range (the
**     size alone says whether a block is a pool's or malloc's);
**   - usedpools[] is an array of sentinel pool headers, not pymalloc's array of pointer pairs
**     posing as headers (PTA): same lists, no type punning, 1.5 KiB instead of 512 bytes;
**   - a pool on freepools keeps the time it went empty in the word that holds prevpool while
**     the pool is on usedpools (pymalloc leaves that word unused there);
**   - the `pool` release policy below, and an arena's madvise'd ("purged") pools, which sit
**     in a bitmap beside freepools and the virgin pools;
**   - retained pools (GCS_ARENA_RETAIN, arena.h): a pool that empties while alone on its
**     ring stays there until another pool joins it or gcs_arena_collect runs;
**   - pymalloc's fast path (with pool_extend and insert_to_usedpool) is inline in arena.h;
**     the slow paths here run frameless for their common cases.
**
** Release policies (config.release):
**   arena  pymalloc: an arena whose pools are all free is munmap'ed, unless it is the last
**          arena of usable_arenas (`ao->nextarena != NULL`, CPython 3.9+, bpo-37257).
**   pool   as arena, and a pool that has stayed on freepools for purge_delay_ms is
**          madvise(MADV_DONTNEED)'d. Expired pools are purged on the slow paths (a new pool,
**          a pool going empty, a large object) and by gcs_arena_collect(false); every empty
**          pool by gcs_arena_collect(true). A purged pool is reused before a virgin one.
**   none   the arena returns nothing: empty arenas stay mapped.
** The policy is the arena's: large objects are malloc's under every policy, and glibc's own
** rules decide when their memory leaves (a chunk it mmap'ed is unmapped by free; the top of
** its heap is trimmed once more than M_TRIM_THRESHOLD is free there), as in CPython.
**
** Default purge delay: GCS_ARENA_PURGE_DELAY_MS_DEFAULT (50 ms), not mimalloc's 10 ms.
**   - Our stamps come from CLOCK_MONOTONIC_COARSE, which ticks every 4 ms on this kernel
**     (clock_getres): a 10 ms delay would really be anything from 6 to 14 ms; 50 ms is
**     12 ticks, so the jitter is under 10%.
**   - Purging a pool that is then reused costs a madvise plus four page faults that zero
**     16 KiB: measured on the dev machine (2-vCPU VM, loaded) 2.4 us + 6.8 us per pool,
**     about 7 times the ~1.3 us it takes to hand out the pool's 254 blocks of 64 bytes. A
**     Python-like mutator churns pools at the rhythm of its young collections (CPython:
**     every 700 net allocations, tens of microseconds apart) and of its loops; a delay well
**     above those keeps churned pools resident and purges only memory whose data went away.
**   - mimalloc checks its delay on every page free with a thread-local heap and many short
**     pages; we check only on slow paths and collections, so memory left behind by a phase
**     waits for delay + the next slow path or collection anyway: a shorter delay buys little
**     there, while 50 ms remains short on the scale of RSS sampling and of a phase change.
**
** Counters (gcs_arena_stats_t, the X-macro in arena.h): bytes_returned_munmap and
** bytes_returned_madvise are disjoint: munmap of an arena counts only the bytes not already
** counted when its pools were purged, so their sum never counts a byte twice per release.
** gcs_arena_fini's unmapping is counted too. Both count the arenas only: what glibc gives back
** of the large objects' memory it does on its own, and the arena does not see it.
**
** Tracked large objects (GCS_ARENA_TRACK_LARGE, arena.h: on in the debug builds and under
** ASan, off in release): each large object is malloc'ed with a 32-byte header in front that
** links it into `large_live` and keeps its size, as CPython's debug hooks put their own words
** around a block (_PyMem_DebugRawAlloc). A free then checks the size it is given, fini frees
** what is still live (so LeakSanitizer sees no leak, and a process that opens heaps one after
** another does not keep them), and gcs_arena_check sums them. Release builds call malloc and
** free with nothing added, as pymalloc does, and so keep no list: fini leaves the large
** objects still live to the C library (their bytes stay in large_bytes_in_use and
** bytes_in_use, the leak), as CPython leaves its live objects at exit and as the heap leaves
** them under allocator=system.
**
** Invariants (gcs_arena_check verifies them all):
**   bytes_in_use  == sum over pools of ref.count * block size + large_bytes_in_use
**   large_bytes_in_use == sum of the live large objects' requested sizes (tracked: of large_live)
**   bytes_mapped  == arenas mapped * ARENA_SIZE
**   bytes_purged  == pools in purged bitmaps * POOL_SIZE
**   pool on usedpools[c]:  szidx == c, 0 < ref.count < capacity(c), freeblock != NULL;
**                          ref.count == 0 only for a retained pool alone on its ring
**   full pool (in no list): ref.count == capacity, freeblock == NULL
**   arena: nfreepools == |freepools| + |purged| + virgin pools, and nfreepools > 0 <=> on
**          usable_arenas; usable_arenas sorted by nfreepools ascending; nfp2lasta[n] is its
**          last arena with nfreepools == n, or NULL
**   freepools stamps: non-increasing from head to tail; oldest_empty_ms == the tail's stamp
**
** Build macros:
**   GCS_ARENA_RETAIN 1 (default) keeps a lone empty pool on its ring; 0 is pymalloc exactly.
**   GCS_ARENA_TRACK_LARGE  1 (debug builds, ASan) or 0 (release): tracked large objects, above.
**   GCS_DEBUG >= 2   internal asserts (GCS_ASSERT_INTERNAL); fresh blocks are filled with 0xCD,
**                    freed blocks with 0xDD past the free list link, and a block taken from a
**                    free list must still hold its 0xDD (a write after free, reported through
**                    gcs_corrupt); a pool formatted for a class is filled with 0xDD; a free
**                    checks the pool's class against nbytes.
**   __SANITIZE_ADDRESS__  free blocks are poisoned for ASan (the allocator reads a free
**                    block's link through load_link, which is not instrumented).
*/
#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define NO_ASAN __attribute__((no_sanitize_address))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define NO_ASAN
#endif

#define CLEANBYTE 0xCD   /* fresh block (CPython PYMEM_CLEANBYTE) */
#define DEADBYTE 0xDD    /* freed block (CPython PYMEM_DEADBYTE) */

#define ALIGNMENT_SHIFT 4
#define INDEX2SIZE(i) (((uint32_t)(i) + 1) << ALIGNMENT_SHIFT)
#define NB_SMALL_SIZE_CLASSES GCS_ARENA_NCLASSES
#define POOL_SIZE ((uint32_t)GCS_POOL_SIZE)
#define POOL_SIZE_MASK ((uintptr_t)POOL_SIZE - 1)
#define ARENA_SIZE ((size_t)GCS_ARENA_SIZE)
#define MAX_POOLS_IN_ARENA (GCS_ARENA_SIZE / GCS_POOL_SIZE)
#define DUMMY_SIZE_IDX 0xffff   /* szidx of a pool never formatted (or purged) */
#define INITIAL_ARENA_OBJECTS 16
#define POOL_ADDR(p) ((poolp)((uintptr_t)(p) & ~POOL_SIZE_MASK))
#define NO_STAMP INT64_MAX

typedef uint8_t block;
/* pymalloc's struct pool_header is gcs_pool_header_t, in arena.h (the inline fast paths read
** it); its usedpools is gcs_arena_usedpools. The pymalloc names are kept here. */
#define pool_header gcs_pool_header
#define usedpools gcs_arena_usedpools
typedef struct pool_header *poolp;
_Static_assert(sizeof(struct pool_header) == 48, "pymalloc's pool header is 48 bytes on 64-bit");

/* Round up to the alignment: 48 bytes, as pymalloc on 64-bit. */
#define POOL_OVERHEAD \
  ((uint32_t)((sizeof(struct pool_header) + GCS_ARENA_ALIGNMENT - 1) & ~(size_t)(GCS_ARENA_ALIGNMENT - 1)))

struct arena_object {
  uintptr_t address;               /* base of the 1 MiB mapping; 0 when this object is unused */
  block *pool_address;             /* next virgin pool to carve (pools are carved in order) */
  uint32_t nfreepools;             /* == |freepools| + popcount(purged) + virgin pools */
  uint32_t ntotalpools;            /* 63 or 64 */
  struct pool_header *freepools;   /* empty resident pools, newest first */
  struct arena_object *nextarena;  /* usable_arenas, or the unused_arena_objects list */
  struct arena_object *prevarena;  /* usable_arenas */
  uint64_t purged;                 /* bit i: pool i (from the first aligned pool) madvise'd */
  int64_t oldest_empty_ms;         /* stamp of freepools' tail; meaningful when freepools */
};

/* Tracked builds (GCS_ARENA_TRACK_LARGE): a large object's malloc'ed block starts with this;
** the object follows it, 16-byte aligned (malloc's alignment, 32 bytes in). */
typedef struct large_header {
  struct large_header *next;       /* large_live, doubly linked */
  struct large_header *prev;       /* ... NULL at the head */
  size_t nbytes;                   /* as requested (checked by free) */
  uint64_t magic;                  /* LARGE_MAGIC while live, DEADBYTEs once freed */
} large_header;
#define LARGE_OVERHEAD ((size_t)sizeof(large_header))
#define LARGE_MAGIC UINT64_C(0x6763736c61726765)   /* "gcslarge" */
_Static_assert(sizeof(large_header) % GCS_ARENA_ALIGNMENT == 0, "the object after the header stays aligned");

#define SENTINEL(i) {.nextpool = &usedpools[i], .prevpool = &usedpools[i], .szidx = (i)}
#define SENTINEL4(i) SENTINEL(i), SENTINEL(i + 1), SENTINEL(i + 2), SENTINEL(i + 3)
/* Statically initialised, as pymalloc's, so an allocation before gcs_arena_init works. */
struct pool_header usedpools[NB_SMALL_SIZE_CLASSES] = {
  SENTINEL4(0), SENTINEL4(4), SENTINEL4(8), SENTINEL4(12),
  SENTINEL4(16), SENTINEL4(20), SENTINEL4(24), SENTINEL4(28),
};
_Static_assert(NB_SMALL_SIZE_CLASSES == 32, "SENTINEL table above lists 32 classes");

static struct arena_object *allarenas;            /* maxarenas objects, realloc'ed */
static uint32_t maxarenas;                        /* size of allarenas */
static struct arena_object *unused_arena_objects; /* singly linked through nextarena */
static struct arena_object *usable_arenas;        /* sorted by nfreepools ascending */
static struct arena_object *nfp2lasta[MAX_POOLS_IN_ARENA + 1]; /* see the file header */
static large_header *large_live;                  /* tracked builds: large objects handed out */
static int64_t purge_due_ms = NO_STAMP;           /* no arena's oldest stamp + delay is earlier */
gcs_arena_stats_t gcs_arena_counters;
static gcs_arena_config_t config = {GCS_RELEASE_ARENA, GCS_ARENA_PURGE_DELAY_MS_DEFAULT};

/* --------------------------------------------------------------------------------------
** Small helpers
** ------------------------------------------------------------------------------------ */

/* A free block's link. Free blocks are poisoned under ASan, so reading it is not instrumented. */
NO_ASAN static inline block *load_link(const block *b) { return *(block *const *)b; }
NO_ASAN static inline void store_link(block *b, block *next) { *(block **)b = next; }

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline uint32_t capacity(uint32_t szidx) {
  return (POOL_SIZE - POOL_OVERHEAD) / INDEX2SIZE(szidx);
}

/* The first pool-aligned address of an arena: pool 0 of its `purged` bitmap. */
static inline uintptr_t first_pool(const struct arena_object *ao) {
  return (ao->address + POOL_SIZE_MASK) & ~POOL_SIZE_MASK;
}

static void note_mapped(size_t n) {
  gcs_arena_counters.bytes_mapped += n;
  if (gcs_arena_counters.bytes_mapped > gcs_arena_counters.bytes_mapped_peak) gcs_arena_counters.bytes_mapped_peak = gcs_arena_counters.bytes_mapped;
}

/* Unmaps [p, p+n), first clearing any ASan poison so a later mapping at the same address
** starts clean. Returns 0 or errno. */
static int unmap(void *p, size_t n) {
  UNPOISON(p, n);
  return munmap(p, n) == 0 ? 0 : errno;
}

/* --------------------------------------------------------------------------------------
** Debug fill patterns (GCS_DEBUG >= 2)
** ------------------------------------------------------------------------------------ */

#if GCS_DEBUG >= 2
/* A block leaving a free list must still be DEADBYTE past its link. */
static void check_dead(const block *bp, uint32_t size) {
  for (uint32_t i = sizeof(block *); i < size; i++)
    if (bp[i] != DEADBYTE)
      gcs_corrupt("arena: block %p (%u bytes) was written after it was freed (byte %u is 0x%02x)",
              (const void *)bp, size, i, bp[i]);
}
#endif

/* --------------------------------------------------------------------------------------
** Arenas (pymalloc: new_arena, and case 1 of insert_to_freepool)
** ------------------------------------------------------------------------------------ */

/* Maps a new arena and returns its object, or NULL (errno set). Only called when
** usable_arenas is NULL, so no pointer into allarenas is live when it is realloc'ed. */
static struct arena_object *new_arena(void) {
  if (unused_arena_objects == NULL) {
    uint32_t numarenas = maxarenas ? maxarenas << 1 : INITIAL_ARENA_OBJECTS;
    if (numarenas <= maxarenas) {   /* overflow */
      errno = ENOMEM;
      return NULL;
    }
    GCS_ASSERT_INTERNAL(usable_arenas == NULL);
    if (gcs_fault_inject(GCS_FAULT_ARENA)) {
      errno = ENOMEM;
      return NULL;
    }
    struct arena_object *a = realloc(allarenas, (size_t)numarenas * sizeof(*allarenas));
    if (a == NULL) return NULL;
    allarenas = a;
    for (uint32_t i = maxarenas; i < numarenas; i++) {
      allarenas[i].address = 0;
      allarenas[i].nextarena = i < numarenas - 1 ? &allarenas[i + 1] : NULL;
    }
    unused_arena_objects = &allarenas[maxarenas];
    maxarenas = numarenas;
  }
  struct arena_object *ao = unused_arena_objects;
  if (gcs_fault_inject(GCS_FAULT_ARENA)) {
    errno = ENOMEM;
    return NULL;
  }
  void *address = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
  if (address == MAP_FAILED) return NULL;
  unused_arena_objects = ao->nextarena;
  ao->address = (uintptr_t)address;
  ao->freepools = NULL;
  ao->nextarena = ao->prevarena = NULL;
  ao->purged = 0;
  ao->oldest_empty_ms = NO_STAMP;
  ao->pool_address = (block *)address;
  ao->nfreepools = MAX_POOLS_IN_ARENA;
  uintptr_t excess = ao->address & POOL_SIZE_MASK;
  if (excess != 0) {
    ao->nfreepools--;
    ao->pool_address += POOL_SIZE - excess;
  }
  ao->ntotalpools = ao->nfreepools;
  gcs_arena_counters.arenas_allocated++;
  note_mapped(ARENA_SIZE);
  return ao;
}

/* Unmaps a wholly free arena already unlinked from usable_arenas and recycles its object. */
static void free_arena(struct arena_object *ao) {
  uint64_t purged_bytes = (uint64_t)__builtin_popcountll(ao->purged) * POOL_SIZE;
  int err = unmap((void *)ao->address, ARENA_SIZE);
  if (err) {
    /* Keep it out of every list rather than hand out memory of unknown state. */
    gcs_error("arena: munmap(%p): %s; the arena is leaked", (void *)ao->address, strerror(err));
    return;
  }
  gcs_arena_counters.bytes_mapped -= ARENA_SIZE;
  gcs_arena_counters.bytes_purged -= purged_bytes;
  gcs_arena_counters.bytes_returned_munmap += ARENA_SIZE - purged_bytes;
  gcs_arena_counters.arenas_freed++;
  ao->address = 0;
  ao->nextarena = unused_arena_objects;
  unused_arena_objects = ao;
}

/* --------------------------------------------------------------------------------------
** The `pool` release policy
** ------------------------------------------------------------------------------------ */

/* madvises pool `pool` of arena `ao` away; it is already off freepools. */
static void purge_pool(struct arena_object *ao, poolp pool) {
  if (madvise(pool, POOL_SIZE, MADV_DONTNEED) != 0) {
    /* Leave it resident: back on freepools, as if it had just gone empty. */
    gcs_error("arena: madvise(%p): %s", (void *)pool, strerror(errno));
    pool->nextpool = ao->freepools;
    pool->empty_since_ms = now_ms();
    if (ao->freepools == NULL) ao->oldest_empty_ms = pool->empty_since_ms;
    ao->freepools = pool;
    return;
  }
  uint32_t i = (uint32_t)(((uintptr_t)pool - first_pool(ao)) / POOL_SIZE);
  ao->purged |= UINT64_C(1) << i;
  gcs_arena_counters.bytes_purged += POOL_SIZE;
  gcs_arena_counters.bytes_returned_madvise += POOL_SIZE;
  gcs_arena_counters.pools_purged++;
}

/* Purges every pool that went empty at least config.purge_delay_ms before `now` (all of them
** when `force`), and recomputes purge_due_ms. Every arena with an empty pool has
** nfreepools > 0, so walking usable_arenas finds them all. */
static void purge_pools(int64_t now, bool force) {
  int64_t due = NO_STAMP;
  for (struct arena_object *ao = usable_arenas; ao != NULL; ao = ao->nextarena) {
    if (ao->freepools == NULL) continue;
    if (!force && now - ao->oldest_empty_ms < config.purge_delay_ms) {
      if (ao->oldest_empty_ms + config.purge_delay_ms < due)
        due = ao->oldest_empty_ms + config.purge_delay_ms;
      continue;
    }
    /* Stamps fall from head to tail: keep the young prefix, purge the rest. */
    poolp *link = &ao->freepools, keep = NULL;
    while (*link != NULL && !force && now - (*link)->empty_since_ms < config.purge_delay_ms) {
      keep = *link;
      link = &keep->nextpool;
    }
    poolp pool = *link;
    *link = NULL;
    if (keep != NULL) {
      ao->oldest_empty_ms = keep->empty_since_ms;
      if (keep->empty_since_ms + config.purge_delay_ms < due)
        due = keep->empty_since_ms + config.purge_delay_ms;
    } else {
      ao->oldest_empty_ms = NO_STAMP;
    }
    while (pool != NULL) {
      poolp next = pool->nextpool;
      purge_pool(ao, pool);
      pool = next;
    }
    /* purge_pool may have put a pool back (madvise failed): keep the stamp right. */
    if (ao->freepools != NULL && ao->oldest_empty_ms == NO_STAMP) {
      ao->oldest_empty_ms = ao->freepools->empty_since_ms;
      if (ao->oldest_empty_ms + config.purge_delay_ms < due)
        due = ao->oldest_empty_ms + config.purge_delay_ms;
    }
  }
  purge_due_ms = due;
}

/* On a slow path: purge if something may have expired. */
static inline void maybe_purge(void) {
  if (purge_due_ms != NO_STAMP) {
    int64_t now = now_ms();
    if (now >= purge_due_ms) purge_pools(now, false);
  }
}

/* --------------------------------------------------------------------------------------
** Pools (pymalloc: pymalloc_pool_extend, allocate_from_new_pool, insert_to_usedpool,
** insert_to_freepool)
** ------------------------------------------------------------------------------------ */

/* The free list of a pool on usedpools[size] just ran dry: carve the next virgin block, or,
** when there is none, the pool is full and leaves usedpools. */
static void pymalloc_pool_extend(poolp pool, uint32_t size) {
  if (pool->nextoffset <= pool->maxnextoffset) {
    pool->freeblock = (block *)pool + pool->nextoffset;
    pool->nextoffset += INDEX2SIZE(size);
    store_link(pool->freeblock, NULL);
    return;
  }
  poolp next = pool->nextpool;
  poolp prev = pool->prevpool;
  next->prevpool = prev;
  prev->nextpool = next;
}

/* usedpools[size] is empty: take a free pool from the most full usable arena (a new arena if
** none), format it for `size` unless it already is, put it on usedpools[size] and return its
** first free block. NULL when the OS refuses an arena. */
static block *allocate_from_new_pool(uint32_t size) {
  if (config.release == GCS_RELEASE_POOL) maybe_purge();
  if (GCS_UNLIKELY(usable_arenas == NULL)) {
    usable_arenas = new_arena();
    if (usable_arenas == NULL) return NULL;
    GCS_ASSERT_INTERNAL(nfp2lasta[usable_arenas->nfreepools] == NULL);
    nfp2lasta[usable_arenas->nfreepools] = usable_arenas;
  }
  struct arena_object *ao = usable_arenas;
  GCS_ASSERT_INTERNAL(ao->address != 0 && ao->nfreepools > 0);

  /* ao has the smallest nfreepools, so taking one keeps the order; keep nfp2lasta right. */
  if (nfp2lasta[ao->nfreepools] == ao) nfp2lasta[ao->nfreepools] = NULL;
  if (ao->nfreepools > 1) {
    GCS_ASSERT_INTERNAL(nfp2lasta[ao->nfreepools - 1] == NULL);
    nfp2lasta[ao->nfreepools - 1] = ao;
  }

  poolp pool = ao->freepools;
  if (GCS_LIKELY(pool != NULL)) {
    ao->freepools = pool->nextpool;       /* a resident empty pool: the newest */
  } else if (ao->purged != 0) {
    uint32_t i = (uint32_t)__builtin_ctzll(ao->purged);   /* madvise'd: page-faults back */
    ao->purged &= ao->purged - 1;
    pool = (poolp)(first_pool(ao) + (uintptr_t)i * POOL_SIZE);
    gcs_arena_counters.bytes_purged -= POOL_SIZE;
    pool->arenaindex = (uint32_t)(ao - allarenas);
    pool->szidx = DUMMY_SIZE_IDX;
  } else {
    pool = (poolp)ao->pool_address;       /* virgin */
    GCS_ASSERT_INTERNAL((uintptr_t)pool + POOL_SIZE <= ao->address + ARENA_SIZE);
    pool->arenaindex = (uint32_t)(ao - allarenas);
    pool->szidx = DUMMY_SIZE_IDX;
    ao->pool_address += POOL_SIZE;
  }
  if (--ao->nfreepools == 0) {
    /* Wholly allocated: it leaves usable_arenas. */
    usable_arenas = ao->nextarena;
    if (usable_arenas != NULL) usable_arenas->prevarena = NULL;
    ao->nextarena = ao->prevarena = NULL;
  }

  /* Frontlink to usedpools[size] (which is empty). */
  poolp head = &usedpools[size];
  pool->nextpool = head;
  pool->prevpool = head;
  head->nextpool = pool;
  head->prevpool = pool;
  pool->ref.count = 1;
  block *bp;
  if (pool->szidx == size) {
    /* Last held this class: header and free list are still good. */
    bp = pool->freeblock;
    GCS_ASSERT_INTERNAL(bp != NULL);
    pool->freeblock = load_link(bp);
    if (pool->freeblock == NULL) pymalloc_pool_extend(pool, size);
#if GCS_DEBUG >= 2
    UNPOISON(bp, INDEX2SIZE(size));
    check_dead(bp, INDEX2SIZE(size));
#endif
    return bp;
  }
  /* Format: the first block is returned, the second is the free list, the rest virgin. */
  pool->szidx = size;
  uint32_t bsize = INDEX2SIZE(size);
  POISON((block *)pool + POOL_OVERHEAD, POOL_SIZE - POOL_OVERHEAD);
#if GCS_DEBUG >= 2
  {
    /* Virgin blocks look freed, so check_dead holds for every block a free list gives. */
    block *area = (block *)pool + POOL_OVERHEAD;
    UNPOISON(area, POOL_SIZE - POOL_OVERHEAD);
    memset(area, DEADBYTE, POOL_SIZE - POOL_OVERHEAD);
    POISON(area, POOL_SIZE - POOL_OVERHEAD);
  }
#endif
  bp = (block *)pool + POOL_OVERHEAD;
  pool->nextoffset = POOL_OVERHEAD + (bsize << 1);
  pool->maxnextoffset = POOL_SIZE - bsize;
  pool->freeblock = bp + bsize;
  store_link(pool->freeblock, NULL);
  UNPOISON(bp, bsize);
  return bp;
}

/* A full pool got a free block: back on usedpools[szidx], at the front, so the next
** allocation of the class takes the block just freed (still in cache). pymalloc reads
** `next = usedpools[size + size]`, which is the first pool (the fake header's nextpool),
** and links between the fake header and it. Returns the pool it put second when that one is
** an empty retained pool (no longer alone: the caller hands it to insert_to_freepool), else
** NULL. */
static inline poolp insert_to_usedpool(poolp pool) {
  GCS_ASSERT_INTERNAL(pool->ref.count > 0);
  poolp prev = &usedpools[pool->szidx];
  poolp next = prev->nextpool;
  pool->nextpool = next;
  pool->prevpool = prev;
  next->prevpool = pool;
  prev->nextpool = pool;
  return next != prev && next->ref.count == 0 ? next : NULL;
}

/* A pool went empty: off usedpools, onto its arena's freepools, and the arena management of
** pymalloc's four cases (free the arena; back onto usable_arenas; slide right; nothing). */
static void insert_to_freepool(poolp pool) {
  poolp next = pool->nextpool;
  poolp prev = pool->prevpool;
  next->prevpool = prev;
  prev->nextpool = next;

  struct arena_object *ao = &allarenas[pool->arenaindex];
  pool->nextpool = ao->freepools;
  if (config.release == GCS_RELEASE_POOL) {
    int64_t now = now_ms();
    pool->empty_since_ms = now;
    if (ao->freepools == NULL) ao->oldest_empty_ms = now;
    if (now + config.purge_delay_ms < purge_due_ms) purge_due_ms = now + config.purge_delay_ms;
  } else {
    pool->empty_since_ms = NO_STAMP;
  }
  ao->freepools = pool;

  uint32_t nf = ao->nfreepools;
  struct arena_object *lastnf = nfp2lasta[nf];
  GCS_ASSERT_INTERNAL((nf == 0 && lastnf == NULL) ||
                      (nf > 0 && lastnf != NULL && lastnf->nfreepools == nf &&
                       (lastnf->nextarena == NULL || nf < lastnf->nextarena->nfreepools)));
  if (lastnf == ao) {
    struct arena_object *p = ao->prevarena;
    nfp2lasta[nf] = (p != NULL && p->nfreepools == nf) ? p : NULL;
  }
  ao->nfreepools = ++nf;

  /* Case 1: wholly free and not the last usable arena: unmap it. */
  if (nf == ao->ntotalpools && ao->nextarena != NULL && config.release != GCS_RELEASE_NONE) {
    if (ao->prevarena == NULL)
      usable_arenas = ao->nextarena;
    else
      ao->prevarena->nextarena = ao->nextarena;
    ao->nextarena->prevarena = ao->prevarena;
    free_arena(ao);
    return;
  }
  /* Case 2: its first free pool: it joins usable_arenas at the head (nfreepools 1 is least). */
  if (nf == 1) {
    ao->nextarena = usable_arenas;
    ao->prevarena = NULL;
    if (usable_arenas) usable_arenas->prevarena = ao;
    usable_arenas = ao;
    if (nfp2lasta[1] == NULL) nfp2lasta[1] = ao;
    return;
  }
  if (nfp2lasta[nf] == NULL) nfp2lasta[nf] = ao;
  /* Case 4: it was the last with nf - 1 free pools, so it is already in place. */
  if (ao == lastnf) return;
  /* Case 3: slide it right, to just after lastnf. */
  GCS_ASSERT_INTERNAL(ao->nextarena != NULL);
  if (ao->prevarena != NULL)
    ao->prevarena->nextarena = ao->nextarena;
  else
    usable_arenas = ao->nextarena;
  ao->nextarena->prevarena = ao->prevarena;
  ao->prevarena = lastnf;
  ao->nextarena = lastnf->nextarena;
  if (ao->nextarena != NULL) ao->nextarena->prevarena = ao;
  lastnf->nextarena = ao;
}

/* --------------------------------------------------------------------------------------
** Large objects (pymalloc: the PyMem_RawMalloc / PyMem_RawFree fallback of _PyObject_Malloc
** and _PyObject_Free)
** ------------------------------------------------------------------------------------ */

/* A block above GCS_ARENA_SMALL_MAX from malloc, or NULL (errno ENOMEM). Counted as a
** page-source allocation for fault injection: a NULL here is CPython's MemoryError. */
static void *alloc_large(size_t nbytes) {
  if (gcs_fault_inject(GCS_FAULT_LARGE)) {
    errno = ENOMEM;
    return NULL;
  }
#if GCS_ARENA_TRACK_LARGE
  if (nbytes > SIZE_MAX - LARGE_OVERHEAD) {
    errno = ENOMEM;
    return NULL;
  }
  large_header *h = malloc(LARGE_OVERHEAD + nbytes);
  if (h == NULL) return NULL;
  h->nbytes = nbytes;
  h->magic = LARGE_MAGIC;
  h->prev = NULL;
  h->next = large_live;
  if (large_live) large_live->prev = h;
  large_live = h;
  void *p = h + 1;
#else
  void *p = malloc(nbytes);
  if (p == NULL) return NULL;
#endif
  gcs_arena_counters.large_allocated++;
  gcs_arena_counters.large_bytes_in_use += nbytes;
  gcs_arena_counters.bytes_in_use += nbytes;
#if GCS_DEBUG >= 2
  memset(p, CLEANBYTE, nbytes);
#endif
  return p;
}

#if GCS_ARENA_TRACK_LARGE
/* Unlinks a tracked large object from large_live and frees it. */
static void release_large(large_header *h) {
  if (h->prev)
    h->prev->next = h->next;
  else
    large_live = h->next;
  if (h->next) h->next->prev = h->prev;
  memset(h, DEADBYTE, sizeof *h);
  free(h);
}
#endif

static void free_large(void *p, size_t nbytes) {
#if GCS_ARENA_TRACK_LARGE
  large_header *h = (large_header *)p - 1;
  if (h->magic != LARGE_MAGIC || h->nbytes != nbytes)
    gcs_corrupt("arena: gcs_arena_free(%p, %zu): not a live large object of that size", p, nbytes);
#endif
  gcs_arena_counters.large_bytes_in_use -= nbytes;
  gcs_arena_counters.bytes_in_use -= nbytes;
#if GCS_DEBUG >= 2
  memset(p, DEADBYTE, nbytes);
#endif
#if GCS_ARENA_TRACK_LARGE
  release_large(h);
#else
  free(p);
#endif
}

/* --------------------------------------------------------------------------------------
** The public interface
** ------------------------------------------------------------------------------------ */

int gcs_arena_init(const gcs_arena_config_t *cfg) {
  gcs_arena_config_t c = {GCS_RELEASE_ARENA, GCS_ARENA_PURGE_DELAY_MS_DEFAULT};
  if (cfg != NULL) c = *cfg;
  if (c.release < GCS_RELEASE_ARENA || c.release > GCS_RELEASE_NONE || c.purge_delay_ms < 0)
    return EINVAL;
  if (gcs_arena_counters.bytes_mapped != 0 || (GCS_ARENA_TRACK_LARGE && large_live != NULL))
    return EBUSY;   /* gcs_arena_fini first */
  config = c;
  memset(&gcs_arena_counters, 0, sizeof gcs_arena_counters);
  purge_due_ms = NO_STAMP;
  return 0;
}

void gcs_arena_fini(void) {
  for (uint32_t i = 0; i < maxarenas; i++) {
    struct arena_object *ao = &allarenas[i];
    if (ao->address == 0) continue;
    uint64_t purged_bytes = (uint64_t)__builtin_popcountll(ao->purged) * POOL_SIZE;
    if (unmap((void *)ao->address, ARENA_SIZE) != 0) continue;
    gcs_arena_counters.bytes_mapped -= ARENA_SIZE;
    gcs_arena_counters.bytes_purged -= purged_bytes;
    gcs_arena_counters.bytes_returned_munmap += ARENA_SIZE - purged_bytes;
    gcs_arena_counters.arenas_freed++;
  }
#if GCS_ARENA_TRACK_LARGE
  while (large_live != NULL) release_large(large_live);
#endif
  free(allarenas);
  allarenas = NULL;
  maxarenas = 0;
  unused_arena_objects = usable_arenas = NULL;
  memset(nfp2lasta, 0, sizeof nfp2lasta);
  purge_due_ms = NO_STAMP;
  for (uint32_t c = 0; c < NB_SMALL_SIZE_CLASSES; c++)
    usedpools[c].nextpool = usedpools[c].prevpool = &usedpools[c];
  /* bytes_in_use and large_bytes_in_use are left as they were: what was still allocated at
  ** fini (a leak). */
}

/* The slow paths are shaped so that their common cases — the last free block of a pool's
** list (carve a virgin one, or the pool fills), a free into a full pool, a free that empties
** a pool alone on its ring — run without a stack frame; what needs calls is in the NOINLINE
** functions they tail-call. */

/* bp leaves a free list: the debug checks, then it counts as in use. */
static inline block *handed_out(block *bp, uint32_t size) {
#if GCS_DEBUG >= 2
  UNPOISON(bp, INDEX2SIZE(size));
  check_dead(bp, INDEX2SIZE(size));
  memset(bp, CLEANBYTE, INDEX2SIZE(size));
#endif
  UNPOISON(bp, INDEX2SIZE(size));
  gcs_arena_counters.bytes_in_use += INDEX2SIZE(size);
  return bp;
}

GCS_NOINLINE static void *alloc_in_new_pool(uint32_t size) {
  block *bp = allocate_from_new_pool(size);
  if (GCS_UNLIKELY(bp == NULL)) return NULL;
#if GCS_DEBUG >= 2
  memset(bp, CLEANBYTE, INDEX2SIZE(size));   /* virgin or checked by allocate_from_new_pool */
#endif
  UNPOISON(bp, INDEX2SIZE(size));
  gcs_arena_counters.bytes_in_use += INDEX2SIZE(size);
  return bp;
}

GCS_NOINLINE static void *alloc_big(size_t nbytes) {
  if (nbytes == 0) {
    errno = EINVAL;
    return NULL;
  }
  if (config.release == GCS_RELEASE_POOL) maybe_purge();
  return alloc_large(nbytes);
}

void *gcs_arena_alloc_slow(size_t nbytes) {
  if (GCS_LIKELY(nbytes - 1 < GCS_ARENA_SMALL_MAX)) {
    uint32_t size = (uint32_t)(nbytes - 1) >> ALIGNMENT_SHIFT;
    poolp head = &usedpools[size];
    poolp pool = head->nextpool;
    if (GCS_LIKELY(pool != head)) {
      pool->ref.count++;
      block *bp = pool->freeblock;
      GCS_ASSERT_INTERNAL(bp != NULL);
      if (GCS_UNLIKELY((pool->freeblock = load_link(bp)) == NULL))
        pymalloc_pool_extend(pool, size);
      return handed_out(bp, size);
    }
    return alloc_in_new_pool(size);
  }
  return alloc_big(nbytes);
}

/* A pool went empty and is not kept on its ring: pymalloc's insert_to_freepool. */
GCS_NOINLINE static void pool_emptied(poolp pool) {
  insert_to_freepool(pool);
  if (config.release == GCS_RELEASE_POOL) maybe_purge();
}

void gcs_arena_retire_slow(gcs_pool_header_t *pool) {
  GCS_ASSERT_INTERNAL(pool->ref.count == 0 && pool->freeblock != NULL);
  pool_emptied(pool);
}

GCS_NOINLINE static void free_big(void *p, size_t nbytes) {
  if (p == NULL) return;
  if (config.release == GCS_RELEASE_POOL) maybe_purge();
  free_large(p, nbytes);
}

void gcs_arena_free_slow(void *p, size_t nbytes) {
  if (GCS_LIKELY(nbytes - 1 < GCS_ARENA_SMALL_MAX)) {
    uint32_t size = (uint32_t)(nbytes - 1) >> ALIGNMENT_SHIFT;
    poolp pool = POOL_ADDR(p);
#if GCS_DEBUG >= 2
    if (((uintptr_t)p & (GCS_ARENA_ALIGNMENT - 1)) != 0 || pool->szidx != size ||
        pool->ref.count == 0 || pool->arenaindex >= maxarenas)
      gcs_corrupt("arena: gcs_arena_free(%p, %zu): not a live block of that size (pool class %u, count %u)",
              p, nbytes, pool->szidx, pool->ref.count);
    memset((block *)p + sizeof(block *), DEADBYTE, INDEX2SIZE(size) - sizeof(block *));
#endif
    block *lastfree = pool->freeblock;
    store_link(p, lastfree);
    POISON(p, INDEX2SIZE(size));
    pool->freeblock = (block *)p;
    pool->ref.count--;
    gcs_arena_counters.bytes_in_use -= INDEX2SIZE(size);
    if (GCS_UNLIKELY(lastfree == NULL)) {
      /* Was full (count > 0 now: every class holds >= 31 blocks). */
      poolp alone = insert_to_usedpool(pool);
      if (GCS_UNLIKELY(alone != NULL)) pool_emptied(alone);
      return;
    }
    if (GCS_LIKELY(pool->ref.count != 0)) return;
#if GCS_ARENA_RETAIN
    if (pool->nextpool == pool->prevpool) return;   /* alone on its ring: retained */
#endif
    pool_emptied(pool);
    return;
  }
  free_big(p, nbytes);
}

/* Retired: every retained empty pool goes to its arena's freepools (and may free its arena). */
static void retire_retained(void) {
  for (uint32_t c = 0; c < NB_SMALL_SIZE_CLASSES; c++) {
    poolp pool = usedpools[c].nextpool;
    if (pool != &usedpools[c] && pool->ref.count == 0) insert_to_freepool(pool);
  }
}

void gcs_arena_collect(bool force) {
  retire_retained();
  if (config.release != GCS_RELEASE_POOL) return;
  if (force)
    purge_pools(now_ms(), true);
  else
    maybe_purge();
}

const gcs_arena_stats_t *gcs_arena_stats(void) { return &gcs_arena_counters; }

/* --------------------------------------------------------------------------------------
** gcs_arena_check
** ------------------------------------------------------------------------------------ */

#define FAIL(...) (gcs_error("gcs_arena_check: " __VA_ARGS__), ++bad)

/* The arena object holding pool, or NULL. */
static struct arena_object *arena_of(poolp pool) {
  if (pool->arenaindex >= maxarenas) return NULL;
  struct arena_object *ao = &allarenas[pool->arenaindex];
  if (ao->address == 0 || (uintptr_t)pool < first_pool(ao) ||
      (uintptr_t)pool >= (uintptr_t)ao->pool_address)
    return NULL;
  return ao;
}

/* Walks a pool's free list: every link inside the pool on a block boundary below nextoffset,
** no more than capacity links. Returns the number of bad findings. */
static int check_pool(poolp pool) {
  int bad = 0;
  uint32_t sz = pool->szidx;
  if (sz >= NB_SMALL_SIZE_CLASSES) return FAIL("pool %p: szidx %u", (void *)pool, sz), bad;
  uint32_t bsize = INDEX2SIZE(sz), cap = capacity(sz), nfree = 0;
  if (pool->maxnextoffset != POOL_SIZE - bsize || pool->nextoffset > POOL_SIZE ||
      (pool->nextoffset - POOL_OVERHEAD) % bsize != 0)
    FAIL("pool %p: nextoffset %u maxnextoffset %u for %u-byte blocks", (void *)pool,
         pool->nextoffset, pool->maxnextoffset, bsize);
  uint32_t virgin = (POOL_SIZE - pool->nextoffset) / bsize;
  for (block *b = pool->freeblock; b != NULL; b = load_link(b)) {
    uintptr_t off = (uintptr_t)b - (uintptr_t)pool;
    if (POOL_ADDR(b) != pool || off < POOL_OVERHEAD || (off - POOL_OVERHEAD) % bsize != 0 ||
        off >= pool->nextoffset) {
      FAIL("pool %p: free-list link %p is not a carved block", (void *)pool, (void *)b);
      break;
    }
    if (++nfree > cap) {
      FAIL("pool %p: free list longer than the capacity (a cycle?)", (void *)pool);
      break;
    }
  }
  if (pool->ref.count + nfree + virgin != cap)
    FAIL("pool %p: count %u + free %u + virgin %u != capacity %u", (void *)pool,
         pool->ref.count, nfree, virgin, cap);
  return bad;
}

int gcs_arena_check(void) {
  int bad = 0;
  uint64_t in_use = 0, mapped = 0, purged = 0;

  /* usedpools rings. */
  uint64_t on_used = 0;
  for (uint32_t c = 0; c < NB_SMALL_SIZE_CLASSES; c++) {
    poolp head = &usedpools[c];
    for (poolp p = head->nextpool, prev = head; p != head; prev = p, p = p->nextpool) {
      if (p->prevpool != prev) {
        FAIL("usedpools[%u]: %p's prevpool is not its predecessor", c, (void *)p);
        break;
      }
      if (arena_of(p) == NULL) {
        FAIL("usedpools[%u]: %p is not a carved pool of a live arena", c, (void *)p);
        break;
      }
      bool retained = p->ref.count == 0 && p->nextpool == head && p->prevpool == head;
      if (p->szidx != c || (p->ref.count == 0 && !(GCS_ARENA_RETAIN && retained)) ||
          p->ref.count >= capacity(c) || !p->freeblock)
        FAIL("usedpools[%u]: pool %p szidx %u count %u freeblock %p", c, (void *)p, p->szidx,
             p->ref.count, (void *)p->freeblock);
      if (++on_used > (uint64_t)maxarenas * MAX_POOLS_IN_ARENA) {
        FAIL("usedpools[%u]: ring does not close", c);
        break;
      }
    }
  }

  /* Every arena, every pool in it. */
  uint64_t used_seen = 0;
  for (uint32_t i = 0; i < maxarenas; i++) {
    struct arena_object *ao = &allarenas[i];
    if (ao->address == 0) continue;
    mapped += ARENA_SIZE;
    uintptr_t first = first_pool(ao);
    uint32_t carved = (uint32_t)(((uintptr_t)ao->pool_address - first) / POOL_SIZE);
    if (ao->ntotalpools != (first == ao->address ? 64u : 63u) || carved > ao->ntotalpools) {
      FAIL("arena %u: ntotalpools %u, %u carved", i, ao->ntotalpools, carved);
      continue;
    }
    uint64_t onfree = 0;
    int64_t stamp = INT64_MAX;
    for (poolp p = ao->freepools; p != NULL; p = p->nextpool) {
      if (arena_of(p) != ao || p->ref.count != 0) {
        FAIL("arena %u: freepools holds %p (count %u)", i, (void *)p,
             arena_of(p) == ao ? p->ref.count : 0u);
        break;
      }
      if (config.release == GCS_RELEASE_POOL) {
        if (p->empty_since_ms > stamp) FAIL("arena %u: freepools stamps not falling", i);
        stamp = p->empty_since_ms;
        if (p->nextpool == NULL && ao->oldest_empty_ms != stamp)
          FAIL("arena %u: oldest_empty_ms %lld, tail stamp %lld", i,
               (long long)ao->oldest_empty_ms, (long long)stamp);
      }
      if (++onfree > carved) {
        FAIL("arena %u: freepools does not end", i);
        break;
      }
    }
    uint32_t npurged = (uint32_t)__builtin_popcountll(ao->purged);
    if (carved < 64 && ao->purged >> carved != 0)
      FAIL("arena %u: purged bitmap %#llx beyond the %u carved pools", i,
           (unsigned long long)ao->purged, carved);
    purged += (uint64_t)npurged * POOL_SIZE;
    if (ao->nfreepools != onfree + npurged + (ao->ntotalpools - carved))
      FAIL("arena %u: nfreepools %u != %llu on freepools + %u purged + %u virgin", i,
           ao->nfreepools, (unsigned long long)onfree, npurged, ao->ntotalpools - carved);
    uint64_t zero = 0;
    for (uint32_t k = 0; k < carved; k++) {
      if (ao->purged >> k & 1) continue;
      poolp p = (poolp)(first + (uintptr_t)k * POOL_SIZE);
      if (p->arenaindex != i) {
        FAIL("arena %u: pool %p has arenaindex %u", i, (void *)p, p->arenaindex);
        continue;
      }
      if (p->ref.count == 0 &&
          !(p->szidx < NB_SMALL_SIZE_CLASSES && usedpools[p->szidx].nextpool == p)) {
        zero++;   /* must be on freepools (counted above) */
        continue;
      }
      bad += check_pool(p);
      if (p->szidx < NB_SMALL_SIZE_CLASSES) {
        in_use += (uint64_t)p->ref.count * INDEX2SIZE(p->szidx);
        if (p->ref.count < capacity(p->szidx))
          used_seen++;
        else if (p->freeblock != NULL)
          FAIL("pool %p: full but freeblock %p", (void *)p, (void *)p->freeblock);
      }
    }
    if (zero != onfree)
      FAIL("arena %u: %llu empty resident pools, %llu on freepools", i,
           (unsigned long long)zero, (unsigned long long)onfree);
  }
  if (used_seen != on_used)
    FAIL("%llu partly used pools in arenas, %llu on usedpools", (unsigned long long)used_seen,
         (unsigned long long)on_used);

  /* usable_arenas: sorted, linked both ways, nfp2lasta right, every arena with a free pool. */
  uint64_t usable = 0, want_usable = 0;
  for (uint32_t i = 0; i < maxarenas; i++)
    if (allarenas[i].address != 0 && allarenas[i].nfreepools > 0) want_usable++;
  struct arena_object *prev = NULL;
  for (struct arena_object *ao = usable_arenas; ao != NULL; prev = ao, ao = ao->nextarena) {
    if (ao->prevarena != prev) FAIL("usable_arenas: broken prevarena");
    if (ao->address == 0 || ao->nfreepools == 0) FAIL("usable_arenas: an arena with no free pool");
    if (prev != NULL && prev->nfreepools > ao->nfreepools)
      FAIL("usable_arenas: not sorted (%u before %u)", prev->nfreepools, ao->nfreepools);
    if ((ao->nextarena == NULL || ao->nextarena->nfreepools != ao->nfreepools) &&
        nfp2lasta[ao->nfreepools] != ao)
      FAIL("nfp2lasta[%u] is not the last arena with that many free pools", ao->nfreepools);
    if (++usable > maxarenas) {
      FAIL("usable_arenas does not end");
      break;
    }
  }
  if (usable != want_usable)
    FAIL("usable_arenas holds %llu arenas, %llu have a free pool", (unsigned long long)usable,
         (unsigned long long)want_usable);
  for (uint32_t n = 0; n <= MAX_POOLS_IN_ARENA; n++)
    if (nfp2lasta[n] != NULL && (nfp2lasta[n]->address == 0 || nfp2lasta[n]->nfreepools != n))
      FAIL("nfp2lasta[%u] points to an arena with %u free pools", n, nfp2lasta[n]->nfreepools);

  /* Large objects: counted, and in tracked builds walked. */
#if GCS_ARENA_TRACK_LARGE
  uint64_t large = 0, nlarge = 0;
  for (large_header *h = large_live, *hp = NULL; h != NULL; hp = h, h = h->next) {
    if (h->prev != hp || h->magic != LARGE_MAGIC || h->nbytes <= GCS_ARENA_SMALL_MAX) {
      FAIL("large object %p: bad header", (void *)(h + 1));
      break;
    }
    large += h->nbytes;
    if (++nlarge > gcs_arena_counters.large_allocated) {
      FAIL("large list does not end");
      break;
    }
  }
  if (large != gcs_arena_counters.large_bytes_in_use)
    FAIL("large_bytes_in_use %llu, large objects live %llu", (unsigned long long)gcs_arena_counters.large_bytes_in_use,
         (unsigned long long)large);
#endif
  in_use += gcs_arena_counters.large_bytes_in_use;

  if (in_use != gcs_arena_counters.bytes_in_use)
    FAIL("bytes_in_use %llu, blocks handed out %llu", (unsigned long long)gcs_arena_counters.bytes_in_use,
         (unsigned long long)in_use);
  if (mapped != gcs_arena_counters.bytes_mapped)
    FAIL("bytes_mapped %llu, mappings %llu", (unsigned long long)gcs_arena_counters.bytes_mapped,
         (unsigned long long)mapped);
  if (purged != gcs_arena_counters.bytes_purged)
    FAIL("bytes_purged %llu, purged pools %llu", (unsigned long long)gcs_arena_counters.bytes_purged,
         (unsigned long long)purged);
  if (gcs_arena_counters.bytes_mapped > gcs_arena_counters.bytes_mapped_peak) FAIL("bytes_mapped above its peak");
  return bad;
}
