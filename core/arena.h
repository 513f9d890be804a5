/*
** arena.h — a pymalloc-shaped small-object allocator (CPython 3.11 Objects/obmalloc.c, 64-bit).
**
**   size classes  16-byte steps up to GCS_ARENA_SMALL_MAX (512): class i serves (i+1)*16 bytes
**   pools         16 KiB, aligned to 16 KiB, one size class each
**   arenas        1 MiB from mmap; kept in `usable_arenas` sorted most-full-first (fewest free
**                 pools first), so allocation drains the nearly empty ones; an arena whose
**                 pools are all free is munmap'ed, unless it is the last usable one (3.9+).
**   large         > 512 bytes: straight from mmap, rounded to pages, munmap'ed on free.
**
** Release policy (knob `release`): `arena` as pymalloc; `pool` also madvise(MADV_DONTNEED)s an
** empty pool once it has stayed empty for `purge_delay_ms`; `none` never returns memory.
**
** Free is sized: the caller passes the size it allocated, so no address lookup is needed
** (pymalloc's radix tree answers "is this mine?", which our caller always knows).
**
** Invariants (checked by gcs_arena_check):
**   bytes_in_use  == sum of the block sizes handed out and not freed (rounded to the class)
**   bytes_mapped  == arenas * 1 MiB + sum of large mappings
**   every pool on usedpools[c] has 0 < ref.count < capacity(c)
**   usable_arenas is sorted by nfreepools ascending
**
** Build macros: GCS_DEBUG >= 2 fills fresh blocks with 0xCD and freed ones with 0xDD, and
** poisons freed blocks for ASan.
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

#define GCS_ARENA_STATS(X)                                                         \
  X(bytes_mapped, "bytes currently mapped (arenas + large objects)")              \
  X(bytes_mapped_peak, "peak of bytes_mapped")                                    \
  X(bytes_in_use, "bytes in blocks handed out (rounded to their size class)")     \
  X(bytes_returned_munmap, "bytes returned to the OS by munmap, cumulative")      \
  X(bytes_returned_madvise, "bytes returned to the OS by madvise, cumulative")    \
  X(bytes_purged, "bytes of empty pools currently madvise'd away")                \
  X(arenas_allocated, "arenas mapped, cumulative")                                \
  X(arenas_freed, "arenas unmapped, cumulative")                                  \
  X(pools_purged, "pools madvise'd, cumulative")                                  \
  X(large_allocated, "large (> 512 B) objects mapped, cumulative")

typedef struct gcs_arena_stats {
#define GCS_ARENA_STAT_FIELD(name, doc) uint64_t name;
  GCS_ARENA_STATS(GCS_ARENA_STAT_FIELD)
#undef GCS_ARENA_STAT_FIELD
} gcs_arena_stats_t;

/* Starts the allocator (all state is global; one allocator per process). 0 or an errno. */
int gcs_arena_init(const gcs_arena_config_t *cfg);
/* Unmaps every arena and large object, whatever is still allocated; stats are kept. */
void gcs_arena_fini(void);
/* nbytes > 0. A 16-byte aligned block of at least nbytes, or NULL when the OS says no. */
void *gcs_arena_alloc(size_t nbytes);
/* p from gcs_arena_alloc(nbytes) with the same nbytes. */
void gcs_arena_free(void *p, size_t nbytes);
/* A collection finished: the `pool` policy purges pools empty for longer than the delay, or
** every empty pool when `force` (an explicit full collection, a release checkpoint). */
void gcs_arena_collect(bool force);
const gcs_arena_stats_t *gcs_arena_stats(void);
/* Walks the allocator's structures; prints what is wrong and returns non-zero. */
int gcs_arena_check(void);

#endif /* GCS_ARENA_H */
