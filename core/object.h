/*
** object.h — gcscope's object model: the header every object carries, the collector-private
** prefix before it, and the traversal of its slots. Types and inline reads only: nothing here
** calls out, so every layer may include it.
**
** Memory layout of an object (CPython places PyGC_Head before PyObject the same way):
**
**     block --> [ collector-private prefix ][ gcs_obj header ][ slots ][ payload ]
**                                            ^ gcs_obj *o
**
**   prefix bytes  = gcs_heap.prefix[kind]   (declared by the collector, multiple of 8)
**   block bytes   = prefix + sizeof(gcs_obj) + 8*nslots + payload
**   For the reference-counting collectors (barrier has GCS_BARRIER_RC) the last 8 prefix bytes
**   hold the count: GCS_REFCNT(o) == ((intptr_t *)o)[-1].
**
** Build macros: none.
*/
#ifndef GCS_OBJECT_H
#define GCS_OBJECT_H

#include <stddef.h>
#include <stdint.h>

enum {
  GCS_CONTAINER = 0,   /* n pointer slots plus payload: tracked by a cycle collector */
  GCS_ATOM = 1         /* payload only, no pointers (an int, a str): never tracked */
};

typedef struct gcs_obj gcs_obj;
struct gcs_obj {
  uint32_t nslots;     /* pointer slots; 0 for an atom */
  uint32_t payload;    /* payload bytes after the slots */
  uint8_t kind;        /* GCS_CONTAINER | GCS_ATOM */
  uint8_t gcbits;      /* the collector's: colours, marks (see GCS_WHITE0.. below) */
  uint16_t gcaux;      /* the collector's: ages, flags */
  uint32_t tag;        /* the workload's: an id or a value it checks later */
  gcs_obj *slots[];    /* nslots pointers, then `payload` bytes */
};

/* Tricolour bits in gcbits, shared by the tracing collectors so that the inline barrier can
** filter without calling out (Lua lgc.h: WHITE0BIT, WHITE1BIT, BLACKBIT). Gray = no bit. */
#define GCS_WHITE0 0x01u
#define GCS_WHITE1 0x02u
#define GCS_WHITES (GCS_WHITE0 | GCS_WHITE1)
#define GCS_BLACK 0x04u

static inline size_t gcs_obj_size(const gcs_obj *o) {
  return sizeof(gcs_obj) + (size_t)o->nslots * sizeof(gcs_obj *) + o->payload;
}
static inline unsigned char *gcs_obj_payload(gcs_obj *o) {
  return (unsigned char *)&o->slots[o->nslots];
}

/* The collector-private prefix, reached from the object and back (CPython AS_GC / FROM_GC). */
#define GCS_PREFIX(o, T) ((T *)((char *)(o) - sizeof(T)))
#define GCS_FROM_PREFIX(p) ((gcs_obj *)((char *)(p) + sizeof(*(p))))
#define GCS_REFCNT(o) (((intptr_t *)(o))[-1])

/* Calls visit(child, arg) for every non-NULL slot of a container; stops at the first non-zero
** return and returns it (CPython's tp_traverse / visitproc contract). */
typedef int (*gcs_visit_fn)(gcs_obj *child, void *arg);
static inline int gcs_traverse(gcs_obj *o, gcs_visit_fn visit, void *arg) {
  for (uint32_t i = 0; i < o->nslots; i++) {
    gcs_obj *c = o->slots[i];
    if (c) {
      int r = visit(c, arg);
      if (r) return r;
    }
  }
  return 0;
}

#endif /* GCS_OBJECT_H */
