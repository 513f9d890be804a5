/*
** median.h — ordering timings: the one comparator of uint64_t values (for qsort) and the
** median the workloads, the peers and the pause statistics report.
**
** The median of n values is the element at n/2 of the sorted array (the upper median when n
** is even), as every figure of gcscope has reported it.
** Build macros: none.
*/
#ifndef GCS_MEDIAN_H
#define GCS_MEDIAN_H

#include <stddef.h>
#include <stdint.h>

/* qsort's comparator for uint64_t: -1, 0 or 1, without the overflow of a subtraction. */
int gcs_median_cmp(const void *a, const void *b);
/* Sorts v[0..n) ascending in place and returns v[n/2]; n > 0. */
uint64_t gcs_median_u64(uint64_t *v, size_t n);

#endif /* GCS_MEDIAN_H */
