/*
** collectors.h — the collector registry: the ops table each back-end exports (one per file),
** and registry.c's list of them all, in the order every table and plot lists collectors.
** The core knows none of these names: it is handed one table when the heap opens.
*/
#ifndef GCS_COLLECTORS_H
#define GCS_COLLECTORS_H

#include "core/gcs.h"

extern const gcs_collector_ops gcs_collector_none;         /* "none.c" */
extern const gcs_collector_ops gcs_collector_rc;           /* "rc.c" */
extern const gcs_collector_ops gcs_collector_cpython;      /* "cpython.c" */
extern const gcs_collector_ops gcs_collector_cpython_inc;  /* "cpython_inc.c" */
extern const gcs_collector_ops gcs_collector_marksweep;    /* "marksweep.c" */
extern const gcs_collector_ops gcs_collector_incremental;  /* "incremental.c" */
extern const gcs_collector_ops gcs_collector_py;           /* "peers/cpython/py.c" */
extern const gcs_collector_ops gcs_collector_boehm;        /* "peers/bdwgc/boehm.c" */
extern const gcs_collector_ops gcs_collector_boehm_inc;    /* "peers/bdwgc/boehm.c" */

/* "registry.c" */
extern const gcs_collector_ops *const gcs_collectors[];   /* NULL-terminated */
/* The collector of that registry name, or NULL. */
const gcs_collector_ops *gcs_collector_find(const char *name);

#endif
