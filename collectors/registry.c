/*
** registry.c — every collector by name, in the order tables and plots list them: the floor
** first, then pure RC, the CPython design, the tracing alternatives; then the peers (real
** systems behind the same interface: py, CPython 3.11 itself; boehm and boehm-inc, bdwgc).
*/
#include "collectors/collectors.h"

#include <string.h>

const gcs_collector_ops *const gcs_collectors[] = {
  &gcs_collector_none,
  &gcs_collector_rc,
  &gcs_collector_cpython,
  &gcs_collector_cpython_inc,
  &gcs_collector_marksweep,
  &gcs_collector_incremental,
  &gcs_collector_py,
  &gcs_collector_boehm,
  &gcs_collector_boehm_inc,
  NULL,
};

const gcs_collector_ops *gcs_collector_find(const char *name) {
  for (int i = 0; gcs_collectors[i]; i++)
    if (strcmp(gcs_collectors[i]->name, name) == 0) return gcs_collectors[i];
  return NULL;
}
