/*
** json.h — a small streaming JSON writer: enough for gcscope's output contract, nothing more.
** Keys are NULL inside arrays.
** Strings are written as valid JSON whatever their bytes: '"', '\\' and control characters
** escaped, well-formed UTF-8 as it is, each byte of an ill-formed sequence as U+FFFD.
**
** Invariants: depth counts the open objects/arrays (at most 31); first[d] is true until the
** first member at depth d is written; closer[d] is the bracket that ends the value open at d.
** Build macros: GCS_DEBUG (unbalanced ends are asserted).
*/
#ifndef GCS_JSON_H
#define GCS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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

#endif /* GCS_JSON_H */
