/*
** workloads.h — the workload registry: every generator the driver can run, by name.
*/
#ifndef GCS_WORKLOADS_H
#define GCS_WORKLOADS_H

typedef struct gcs_workload {
  const char *name;      /* as given to --workload */
  const char *summary;   /* one line for `gcscope list` */
} gcs_workload_t;

extern const gcs_workload_t gcs_workloads[];   /* ended by {NULL} */

#endif
