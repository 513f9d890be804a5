/*
** internal.h — prototypes shared between core files, grouped by the file that defines them
** (mimalloc's internal.h). Collectors include this too; workloads include only gcs.h.
*/
#ifndef GCS_INTERNAL_H
#define GCS_INTERNAL_H

#include "core/gcs.h"
#include "core/arena.h"

#include <stdio.h>

/* "heap.c" */
/* The reference-counting collectors' invariant, which the inline barrier keeps: every count
** equals the slots of live objects and the roots holding it. Prints each object that breaks
** it and returns non-zero. Needs the registry (GCS_DEBUG >= 2); 0 without it. */
int gcs_rc_verify_counts(void);

/* "options.c" */
/* Validates opts against the core's and c's knob tables and makes the values effective. */
int gcs_options_resolve(const gcs_collector_ops *c, const gcs_options_t *opts, char *err,
                        size_t errlen);
void gcs_options_clear(void);
/* Prints every knob of the core, of c and of a workload (either may be NULL) to f. */
void gcs_options_describe(FILE *f, const gcs_collector_ops *c, const gcs_knob_t *workload_knobs);

/* "rss.c" */
typedef struct gcs_smaps {
  uint64_t rss, anonymous, lazyfree;   /* bytes, from /proc/self/smaps_rollup */
} gcs_smaps_t;
uint64_t gcs_rss_bytes(void);          /* /proc/self/statm resident * page size; 0 if unreadable */
int gcs_smaps_read(gcs_smaps_t *s);    /* 0 or an errno */

/* "pause.c" */
void gcs_pause_reset(bool enabled);
uint64_t gcs_clock_reads(void);   /* gcs_now_ns + gcs_cpu_ns calls since the reset (tests) */
/* The log since the heap opened; *n events. Valid until the next record or reset. */
const gcs_pause_t *gcs_pause_log(size_t *n);

/* "liveset.c" — the debug registry of live objects (GCS_DEBUG >= 2) */
void gcs_liveset_open(void);
void gcs_liveset_close(void);
void gcs_liveset_add(gcs_obj *o);
void gcs_liveset_remove(gcs_obj *o);
bool gcs_liveset_has(const gcs_obj *o);
uint64_t gcs_liveset_count(void);
void gcs_liveset_walk(void (*visit)(gcs_obj *o, void *arg), void *arg);

/* "json.c" — a small streaming JSON writer (keys NULL inside arrays) */
typedef struct gcs_json {
  FILE *f;              /* destination */
  int depth;            /* open objects/arrays */
  bool first[32];       /* no member written yet at that depth */
  char closer[32];      /* ']' or '}' for the value open at that depth */
  bool pretty;          /* newlines and indentation */
} gcs_json_t;
void gcs_json_open(gcs_json_t *j, FILE *f, bool pretty);
void gcs_json_close(gcs_json_t *j);          /* ends the top-level value with a newline */
void gcs_json_object(gcs_json_t *j, const char *key);
void gcs_json_array(gcs_json_t *j, const char *key);
void gcs_json_end(gcs_json_t *j);            /* closes the innermost object or array */
void gcs_json_int(gcs_json_t *j, const char *key, int64_t v);
void gcs_json_uint(gcs_json_t *j, const char *key, uint64_t v);
void gcs_json_double(gcs_json_t *j, const char *key, double v);
void gcs_json_str(gcs_json_t *j, const char *key, const char *s);
void gcs_json_bool(gcs_json_t *j, const char *key, bool v);

#endif /* GCS_INTERNAL_H */
