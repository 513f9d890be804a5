/*
** liveset.c — the debug registry of live objects: an open-addressing hash set of pointers,
** kept by the heap in GCS_DEBUG >= 2 builds so that a verifier or a test can walk every live
** object whatever the collector and allocator (pymalloc's pools cannot tell a live block from
** a free one without walking the freelist).
**
** Invariants: nlive == entries holding a live pointer; tombstones are TOMB; the table is
** at most 3/4 full counting tombstones (it grows, rehashing, past that).
*/
#include "core/liveset.h"
#include "core/error.h"
#include "core/fault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TOMB ((gcs_obj *)1)

static gcs_obj **table;    /* the slots: NULL, TOMB or a live object */
static size_t capacity;    /* power of two */
static size_t nlive;       /* live entries */
static size_t nused;       /* live entries + tombstones */

static inline size_t hash(const gcs_obj *o) {
  uint64_t x = (uint64_t)(uintptr_t)o;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (size_t)x;
}

int gcs_liveset_open(void) {
  table = gcs_fault_inject(GCS_FAULT_LIVESET) ? NULL : calloc(1024, sizeof *table);
  if (!table) return ENOMEM;
  capacity = 1024;
  nlive = nused = 0;
  return 0;
}

void gcs_liveset_close(void) {
  free(table);
  table = NULL;
  capacity = nlive = nused = 0;
}

static void insert(gcs_obj *o) {
  size_t m = capacity - 1, i = hash(o) & m;
  while (table[i] != NULL && table[i] != TOMB) i = (i + 1) & m;
  if (table[i] == NULL) nused++;
  table[i] = o;
  nlive++;
}

/* On failure the old table stays the registry (freed at close), and the error is fatal. */
static void grow(void) {
  gcs_obj **old = table;
  size_t oldcap = capacity, ncap = capacity;
  if (nlive * 2 >= capacity) ncap *= 2; /* else: mostly tombstones, rehash at the same size */
  gcs_obj **t = gcs_fault_inject(GCS_FAULT_LIVESET) ? NULL : calloc(ncap, sizeof *t);
  if (!t) gcs_fatal("out of memory: cannot grow the live-object registry to %zu entries%s", ncap, gcs_fault_note());
  table = t;
  capacity = ncap;
  nlive = nused = 0;
  for (size_t i = 0; i < oldcap; i++)
    if (old[i] != NULL && old[i] != TOMB) insert(old[i]);
  free(old);
}

void gcs_liveset_add(gcs_obj *o) {
  if ((nused + 1) * 4 > capacity * 3) grow();
  insert(o);
}

static size_t find(const gcs_obj *o) {
  size_t m = capacity - 1, i = hash(o) & m;
  while (table[i] != NULL) {
    if (table[i] == o) return i;
    i = (i + 1) & m;
  }
  return SIZE_MAX;
}

void gcs_liveset_remove(gcs_obj *o) {
  size_t i = find(o);
  if (i == SIZE_MAX) gcs_fatal("freeing %p, which is not a live object (double free?)", (void *)o);
  table[i] = TOMB;
  nlive--;
}

bool gcs_liveset_has(const gcs_obj *o) {
  return table && find(o) != SIZE_MAX;
}

uint64_t gcs_liveset_count(void) {
  return nlive;
}

void gcs_liveset_walk(void (*visit)(gcs_obj *o, void *arg), void *arg) {
  /* A visit may free objects (leaving tombstones), never add: the table does not move. */
  for (size_t i = 0; i < capacity; i++)
    if (table[i] != NULL && table[i] != TOMB) visit(table[i], arg);
}
