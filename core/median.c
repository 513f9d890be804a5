/*
** median.c — the comparator and the median of median.h.
** Build macros: GCS_DEBUG (an empty array is a caller's error).
*/
#include "core/median.h"
#include "core/error.h"

#include <stdlib.h>

int gcs_median_cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

uint64_t gcs_median_u64(uint64_t *v, size_t n) {
  GCS_ASSERT(n > 0);
  qsort(v, n, sizeof *v, gcs_median_cmp);
  return v[n / 2];
}
