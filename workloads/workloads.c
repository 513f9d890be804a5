/*
** workloads.c — the workload registry.
*/
#include "workloads/workloads.h"

#include <stddef.h>

const gcs_workload_t gcs_workloads[] = {
  {"trace", "replay a trace file (gcscope replay FILE; format in DESIGN.md)"},
  {NULL, NULL},
};
