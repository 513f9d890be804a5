/*
** none.c — allocates, never frees: the harness floor (MMTk's NoGC, OpenJDK's Epsilon).
**
** No barrier, no prefix, no collection. Whatever a workload costs under `none` is the cost of
** the work and of the mutator API itself; every other collector's overhead is measured
** against it. Everything it allocated is still live at teardown, and reported as such.
*/
#include "collectors/collectors.h"

#include <stddef.h>

const gcs_collector_ops gcs_collector_none = {
  .name = "none",
  .summary = "allocates, never frees: the harness floor (MMTk NoGC, Epsilon)",
  .barrier = 0,
  .prefix_container = 0,
  .prefix_atom = 0,
  .knobs = NULL,
};
