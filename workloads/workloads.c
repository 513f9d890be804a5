/*
** workloads.c — the workload registry, in the order tables list them.
*/
#include "workloads/workloads.h"

#include <stddef.h>
#include <string.h>

const gcs_workload_t *const gcs_workloads[] = {
  &gcs_workload_trace,
  &gcs_workload_binary_trees,
  &gcs_workload_gcbench,
  &gcs_workload_gcbench_cyclic,
  &gcs_workload_rings,
  &gcs_workload_traversal,
  &gcs_workload_btree,
  &gcs_workload_live_heap,
  &gcs_workload_churn,
  &gcs_workload_lru,
  &gcs_workload_fragment,
  &gcs_workload_requests,
  &gcs_workload_tuples,
  &gcs_workload_prefork,
  NULL,
};

const gcs_workload_t *gcs_workload_find(const char *name) {
  for (int i = 0; gcs_workloads[i]; i++)
    if (strcmp(gcs_workloads[i]->name, name) == 0) return gcs_workloads[i];
  return NULL;
}
