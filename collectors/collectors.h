/*
** collectors.h — the ops table each back-end exports (one per file), named by registry.c.
*/
#ifndef GCS_COLLECTORS_H
#define GCS_COLLECTORS_H

#include "core/gcs.h"

extern const gcs_collector_ops gcs_collector_none;         /* "none.c" */
extern const gcs_collector_ops gcs_collector_rc;           /* "rc.c" */
extern const gcs_collector_ops gcs_collector_cpython;      /* "cpython.c" */
extern const gcs_collector_ops gcs_collector_marksweep;    /* "marksweep.c" */
extern const gcs_collector_ops gcs_collector_incremental;  /* "incremental.c" */
extern const gcs_collector_ops gcs_collector_py;           /* "peers/cpython/py.c" */

#endif
