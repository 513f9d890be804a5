/*
** liveset.c — the debug registry of live objects: an open-addressing hash set of pointers,
** kept by the heap in GCS_DEBUG >= 2 builds so that a verifier or a test can walk every live
** object whatever the collector and allocator (pymalloc's pools cannot tell a live block from
** a free one without walking the freelist).
**
** Invariants: count_ == entries holding a live pointer; tombstones are TOMB; the table is
** at most 3/4 full counting tombstones (it grows, rehashing, past that).
*/
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

#define TOMB ((gcs_obj *)1)

static gcs_obj **tab_;     /* the slots: NULL, TOMB or a live object */
static size_t cap_;        /* power of two */
static size_t count_;      /* live entries */
static size_t used_;       /* live entries + tombstones */

static inline size_t hash(const gcs_obj *o) {
  uint64_t x = (uint64_t)(uintptr_t)o;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (size_t)x;
}

void gcs_liveset_open(void) {
  cap_ = 1024;
  tab_ = calloc(cap_, sizeof *tab_);
  if (!tab_) gcs_fatal("cannot allocate the live-object registry");
  count_ = used_ = 0;
}

void gcs_liveset_close(void) {
  free(tab_);
  tab_ = NULL;
  cap_ = count_ = used_ = 0;
}

static void insert(gcs_obj *o) {
  size_t m = cap_ - 1, i = hash(o) & m;
  while (tab_[i] != NULL && tab_[i] != TOMB) i = (i + 1) & m;
  if (tab_[i] == NULL) used_++;
  tab_[i] = o;
  count_++;
}

static void grow(void) {
  gcs_obj **old = tab_;
  size_t oldcap = cap_;
  if (count_ * 2 >= cap_) cap_ *= 2; /* else: mostly tombstones, rehash at the same size */
  tab_ = calloc(cap_, sizeof *tab_);
  if (!tab_) gcs_fatal("cannot grow the live-object registry to %zu entries", cap_);
  count_ = used_ = 0;
  for (size_t i = 0; i < oldcap; i++)
    if (old[i] != NULL && old[i] != TOMB) insert(old[i]);
  free(old);
}

void gcs_liveset_add(gcs_obj *o) {
  if ((used_ + 1) * 4 > cap_ * 3) grow();
  insert(o);
}

static size_t find(const gcs_obj *o) {
  size_t m = cap_ - 1, i = hash(o) & m;
  while (tab_[i] != NULL) {
    if (tab_[i] == o) return i;
    i = (i + 1) & m;
  }
  return SIZE_MAX;
}

void gcs_liveset_remove(gcs_obj *o) {
  size_t i = find(o);
  if (i == SIZE_MAX) gcs_fatal("freeing %p, which is not a live object (double free?)", (void *)o);
  tab_[i] = TOMB;
  count_--;
}

bool gcs_liveset_has(const gcs_obj *o) {
  return tab_ && find(o) != SIZE_MAX;
}

uint64_t gcs_liveset_count(void) {
  return count_;
}

void gcs_liveset_walk(void (*visit)(gcs_obj *o, void *arg), void *arg) {
  /* A visit may free objects (leaving tombstones), never add: the table does not move. */
  for (size_t i = 0; i < cap_; i++)
    if (tab_[i] != NULL && tab_[i] != TOMB) visit(tab_[i], arg);
}
