/*
** options.h — knobs: `--set name=value` pairs as the user wrote them, validated against the
** knob tables of the core (below), of the collector and of the workload, then read by name.
** The knob type is core/collector.h's (a back-end declares its knobs beside its ops).
**
** Build macros: none.
*/
#ifndef GCS_OPTIONS_H
#define GCS_OPTIONS_H

#include "core/collector.h"
#include "core/json.h"

#include <stdint.h>
#include <stdio.h>

#define GCS_MAX_OPTIONS 64
typedef struct gcs_options {
  const gcs_knob_t *workload_knobs;       /* a third table, the workload's; may be NULL */
  int n;                                  /* pairs set so far */
  struct { char name[48]; char value[80]; } set[GCS_MAX_OPTIONS]; /* as the user wrote them */
} gcs_options_t;

/* The core's knobs (allocator, release, purge_delay_ms, roots_max, pause_log). */
extern const gcs_knob_t gcs_core_knobs[];
/* The choices of every boolean knob: off (0), on (1); 0 and 1 are accepted too. */
extern const char *const gcs_knob_off_on[];
/* Values of the core knob `allocator`. */
enum { GCS_ALLOC_ARENA = 0, GCS_ALLOC_SYSTEM = 1 };

/* Strict decimal integers: the one number parser of every flag, knob and trace field. Digits
** only, with one leading '-' only where the range takes negatives (min < 0); no white space, no
** '+', no base prefix; overflow checked. 0 and the value in *out; EINVAL when s is not such a
** number; ERANGE when it is one outside [0, max] / [min, max] (*out untouched). */
int gcs_parse_u64(const char *s, uint64_t max, uint64_t *out);
int gcs_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Records "name=value" (no validation yet: that needs the collector's table). 0 or EINVAL. */
int gcs_options_add(gcs_options_t *opts, const char *assignment, char *err, size_t errlen);
/* Validates opts against the core's and c's knob tables and makes the values effective.
** 0, or EINVAL with a message naming the flag in err. */
int gcs_options_resolve(const gcs_collector_ops *c, const gcs_options_t *opts, char *err,
                        size_t errlen);
void gcs_options_clear(void);
/* The effective value of a knob of the open heap (core or collector); aborts on an unknown
** name, which is a programming error, not user input. */
int64_t gcs_knob(const char *name);
/* A default that depends on another knob (cpython's threshold0 on its version): makes `value`
** the effective value of knob `name` unless the user set it. Called by a collector's init;
** the written options (gcs_heap_write_options) show it. */
void gcs_knob_default(const char *name, int64_t value);
/* Prints every knob of the core, of c and of a workload (either may be NULL) to f. */
void gcs_options_describe(FILE *f, const gcs_collector_ops *c, const gcs_knob_t *workload_knobs);
/* Writes the effective value of every knob as JSON members ("name": value, ...). */
void gcs_heap_write_options(gcs_json_t *j);

#endif /* GCS_OPTIONS_H */
