/*
** objtable.c — the object table's chunks: mapping, spares, growth, truncation after a sweep,
** the structural check, teardown. The invariants and the append's fast path are in
** core/objtable.h.
*/
#include "core/objtable.h"
#include "core/fault.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <sys/mman.h>

gcs_objtable_chunk gcs_objtable_full = {NULL, GCS_OBJTABLE_CAP, 0};

/* A new chunk, or NULL when the OS refuses. */
static gcs_objtable_chunk *chunk_new(void) {
  void *m = gcs_fault_inject(GCS_FAULT_OBJTABLE)
                ? MAP_FAILED
                : mmap(NULL, GCS_OBJTABLE_CHUNK_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return NULL;
  gcs_objtable_chunk *c = m;
  c->next = NULL;
  c->n = 0;
  return c;
}

static GCS_NORETURN void chunk_refused(const gcs_objtable_pool *p) {
  gcs_fatal("%s: out of memory: cannot map a %d-byte object-table chunk%s", p->owner,
            GCS_OBJTABLE_CHUNK_BYTES, gcs_fault_note());
}

static void chunk_free(gcs_objtable_chunk *c) {
  munmap(c, GCS_OBJTABLE_CHUNK_BYTES);
}

static void chunks_free(gcs_objtable_chunk *c) {
  for (gcs_objtable_chunk *next; c != NULL; c = next) {
    next = c->next;
    chunk_free(c);
  }
}

void gcs_objtable_pool_init(gcs_objtable_pool *p, const char *owner) {
  p->spare = NULL;
  p->nspare = 0;
  p->nchunks = 0;
  p->owner = owner;
}

void gcs_objtable_init(gcs_objtable *t) {
  t->head = NULL;
  t->tail = &gcs_objtable_full;
}

GCS_NOINLINE void gcs_objtable_grow_(gcs_objtable *t, gcs_objtable_pool *p, gcs_obj *o) {
  gcs_objtable_chunk *c = p->spare;
  if (c != NULL) {
    p->spare = c->next;
    p->nspare--;
    c->next = NULL;
    c->n = 0;
  } else if ((c = chunk_new()) == NULL) {
    chunk_refused(p);
  }
  p->nchunks++;
  if (t->head != NULL)
    t->tail->next = c;
  else
    t->head = c;
  t->tail = c;
  if (o != NULL) c->o[c->n++] = o;
}

int gcs_objtable_start(gcs_objtable *t, gcs_objtable_pool *p) {
  gcs_objtable_chunk *c = chunk_new();
  if (c == NULL) return ENOMEM;
  p->nchunks++;
  t->head = t->tail = c;
  return 0;
}

void gcs_objtable_truncate(gcs_objtable *t, gcs_objtable_pool *p, gcs_objtable_chunk *last,
                           uint32_t n, bool trim) {
  last->n = n;
  for (gcs_objtable_chunk *c = last->next, *next; c != NULL; c = next) {
    next = c->next;
    p->nchunks--;
    if (!trim || p->nspare < p->nchunks) {
      c->next = p->spare;
      p->spare = c;
      p->nspare++;
    } else {
      chunk_free(c);
    }
  }
  last->next = NULL;
  t->tail = last;
}

bool gcs_objtable_trim_one(gcs_objtable_pool *p) {
  if (p->nspare <= p->nchunks) return false;
  gcs_objtable_chunk *c = p->spare;
  p->spare = c->next;
  p->nspare--;
  chunk_free(c);
  return true;
}

int gcs_objtable_verify(const gcs_objtable_pool *p, const gcs_objtable *const *tables, int ntables,
                        const char *who) {
  uint64_t nchunks = 0, nspare = 0;
  for (int k = 0; k < ntables; k++) {
    const gcs_objtable *t = tables[k];
    if (t->head == NULL) {
      if (t->tail != &gcs_objtable_full) {
        gcs_error("%s: empty object table with tail %p", who, (void *)t->tail);
        return 1;
      }
      continue;
    }
    for (const gcs_objtable_chunk *c = t->head; c != NULL; c = c->next, nchunks++) {
      if (c->n > GCS_OBJTABLE_CAP || (c->next == NULL && c != t->tail)) {
        gcs_error("%s: corrupt object-table chunk %p (n %u)", who, (const void *)c, c->n);
        return 1;
      }
    }
  }
  for (const gcs_objtable_chunk *c = p->spare; c != NULL; c = c->next) nspare++;
  if (nchunks != p->nchunks || nspare != p->nspare) {
    gcs_error("%s: the object tables hold %" PRIu64 " chunks and %" PRIu64 " spares, the pool"
              " counts %" PRIu64 " and %" PRIu64, who, nchunks, nspare, p->nchunks, p->nspare);
    return 1;
  }
  return 0;
}

void gcs_objtable_free(gcs_objtable *t, gcs_objtable_pool *p) {
  for (gcs_objtable_chunk *c = t->head; c != NULL; c = c->next) p->nchunks--;
  chunks_free(t->head);
  gcs_objtable_init(t);
}

void gcs_objtable_pool_free(gcs_objtable_pool *p) {
  chunks_free(p->spare);
  p->spare = NULL;
  p->nspare = 0;
}
