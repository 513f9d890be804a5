/*
** liveset.h — the debug registry of live objects (GCS_DEBUG >= 2): the heap adds every object
** it hands out and removes it when freed, so a verifier or a test can walk every live object
** whatever the collector and the allocator.
** Build macros: none (the heap calls it only when GCS_DEBUG >= 2).
*/
#ifndef GCS_LIVESET_H
#define GCS_LIVESET_H

#include "core/object.h"

#include <stdbool.h>
#include <stdint.h>

/* 0, or ENOMEM with nothing allocated. */
int gcs_liveset_open(void);
void gcs_liveset_close(void);
void gcs_liveset_add(gcs_obj *o);
void gcs_liveset_remove(gcs_obj *o);         /* fatal when o is not live (a double free) */
bool gcs_liveset_has(const gcs_obj *o);
uint64_t gcs_liveset_count(void);
/* visit may free objects, never allocate. */
void gcs_liveset_walk(void (*visit)(gcs_obj *o, void *arg), void *arg);

#endif /* GCS_LIVESET_H */
