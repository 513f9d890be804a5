/*
** gbench.h — a thin C-callable wrapper around Google Benchmark (a C++ library), so the
** matrix stays C. Each benchmark runs with manual time: its function reports the seconds one
** iteration took (measured by the cell process) and its counters.
*/
#ifndef GCS_GBENCH_H
#define GCS_GBENCH_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gcs_bm_state gcs_bm_state;
/* One iteration: returns 0 and the seconds it took in *seconds, or non-zero with a message
** in err (the benchmark is then reported as skipped with that error). */
typedef int (*gcs_bm_fn)(gcs_bm_state *st, void *arg, double *seconds, char *err, unsigned errlen);

void gcs_bm_register(const char *name, gcs_bm_fn fn, void *arg);
void gcs_bm_counter(gcs_bm_state *st, const char *name, double value);
/* The benchmark's label (Google Benchmark's "label" in its JSON and console output). */
void gcs_bm_label(gcs_bm_state *st, const char *label);
/* Google Benchmark's flags are taken out of argv; returns 2 if any argument is left over
** (printing it), else runs the selected benchmarks and returns 0. */
int gcs_bm_main(int *argc, char **argv);
/* Context entries for Google Benchmark's JSON output. */
void gcs_bm_context(const char *key, const char *value);

#ifdef __cplusplus
}
#endif
#endif
