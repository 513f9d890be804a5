/*
** pausestats.c — percentiles and minimum mutator utilization (MMU) from the pause log.
**
** MMU(w) (Cheng & Blelloch 2001) is the least fraction of any window of length w in which the
** mutator ran. The mutator time in a window is piecewise linear in the window's start, with
** breakpoints where a window edge meets a pause edge; its minimum therefore lies at a window
** that starts at a pause's start or ends at a pause's end (or at the run's edges). We evaluate
** exactly those windows, each with prefix sums and two binary searches: O(n log n) per w.
**
** Pauses may nest (an RC cascade inside a collection): they are merged into disjoint intervals
** first, and a nested pause is not counted again in the percentiles.
*/
#include "measure/measure.h"
#include "core/median.h"

#include <stdlib.h>
#include <string.h>

const char *const gcs_pause_origin_names[GCS_PAUSE_NORIGINS] = {"collector", "workload"};

static int by_start(const void *a, const void *b) {
  const gcs_pause_t *x = a, *y = b;
  if (x->start_ns != y->start_ns) return x->start_ns < y->start_ns ? -1 : 1;
  return x->end_ns > y->end_ns ? -1 : x->end_ns < y->end_ns; /* the enclosing one first */
}

/* Nearest-rank percentile of sorted v[0..n). */
static uint64_t percentile(const uint64_t *v, size_t n, double p) {
  if (n == 0) return 0;
  size_t rank = (size_t)(p * (double)n + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return v[rank - 1];
}

size_t gcs_pauses_merge(const gcs_pause_t *log, size_t n, gcs_interval_t *out,
                        gcs_pause_summary_t *sum) {
  memset(sum, 0, sizeof *sum);
  if (n == 0) return 0;
  gcs_pause_t *p = malloc(n * sizeof *p);
  uint64_t *dur = malloc(n * sizeof *dur);
  if (!p || !dur) gcs_fatal("out of memory summarising %zu pauses", n);
  memcpy(p, log, n * sizeof *p);
  qsort(p, n, sizeof *p, by_start);
  size_t m = 0, top = 0;
  uint64_t top_end = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t s = p[i].start_ns, e = p[i].end_ns < s ? s : p[i].end_ns;
    if (top == 0 || s >= top_end) { /* not inside the previous top-level pause */
      dur[top++] = e - s;
      top_end = e;
      if (p[i].kind < GCS_PAUSE_NKINDS) sum->by_kind[p[i].kind]++;
      if (p[i].origin < GCS_PAUSE_NORIGINS) sum->by_origin[p[i].origin]++;
      sum->cpu_total += p[i].cpu_ns;
      if (gcs_pause_descheduled(&p[i])) sum->descheduled++;
    } else if (e > top_end) {       /* overlaps its end: extend it */
      dur[top - 1] += e - top_end;
      top_end = e;
    }
    if (m > 0 && s <= out[m - 1].end) {
      if (e > out[m - 1].end) out[m - 1].end = e;
    } else {
      out[m++] = (gcs_interval_t){s, e};
    }
  }
  qsort(dur, top, sizeof *dur, gcs_median_cmp);
  sum->count = top;
  sum->p50 = percentile(dur, top, 0.50);
  sum->p90 = percentile(dur, top, 0.90);
  sum->p99 = percentile(dur, top, 0.99);
  sum->p999 = percentile(dur, top, 0.999);
  sum->max = dur[top - 1];
  for (size_t i = 0; i < m; i++) sum->total += out[i].end - out[i].start;
  free(p);
  free(dur);
  return m;
}

/* Pause time inside [a, b], with prefix[i] = total length of iv[0..i). */
static uint64_t paused_in(const gcs_interval_t *iv, size_t n, const uint64_t *prefix, uint64_t a,
                          uint64_t b) {
  /* first interval ending after a */
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (iv[mid].end <= a) lo = mid + 1;
    else hi = mid;
  }
  size_t first = lo;
  /* first interval starting at or after b */
  lo = first, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (iv[mid].start < b) lo = mid + 1;
    else hi = mid;
  }
  size_t last = lo; /* intervals [first, last) meet (a, b) */
  if (first >= last) return 0;
  uint64_t total = prefix[last] - prefix[first];
  if (iv[first].start < a) total -= a - iv[first].start;
  if (iv[last - 1].end > b) total -= iv[last - 1].end - b;
  return total;
}

double gcs_mmu(const gcs_interval_t *iv, size_t n, uint64_t t0, uint64_t t1, uint64_t w) {
  if (t1 <= t0) return 1.0;
  if (w >= t1 - t0) w = t1 - t0;
  if (w == 0) return 1.0;
  uint64_t *prefix = malloc((n + 1) * sizeof *prefix);
  if (!prefix) gcs_fatal("out of memory computing MMU over %zu pauses", n);
  prefix[0] = 0;
  for (size_t i = 0; i < n; i++) prefix[i + 1] = prefix[i] + (iv[i].end - iv[i].start);
  uint64_t worst = paused_in(iv, n, prefix, t0, t0 + w);
  uint64_t p = paused_in(iv, n, prefix, t1 - w, t1);
  if (p > worst) worst = p;
  for (size_t i = 0; i < n; i++) {
    uint64_t a = iv[i].start, b = iv[i].end;
    if (a + w <= t1 && a >= t0) { p = paused_in(iv, n, prefix, a, a + w); if (p > worst) worst = p; }
    if (b >= t0 + w && b <= t1) { p = paused_in(iv, n, prefix, b - w, b); if (p > worst) worst = p; }
  }
  free(prefix);
  return 1.0 - (double)worst / (double)w;
}
