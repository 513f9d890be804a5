/*
** json.c — a streaming JSON writer: enough for the output contract, nothing more.
** Invariants: depth counts the open objects/arrays; first[d] is true until the first member
** at depth d is written; closer[d] is the bracket that ends the value open at depth d.
*/
#include "core/json.h"
#include "core/error.h"

#include <math.h>

void gcs_json_open(gcs_json_t *j, FILE *f, bool pretty) {
  j->f = f;
  j->depth = 0;
  j->first[0] = true;
  j->pretty = pretty;
}

static void write_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

/* Separator, indentation and key before a value. Pretty output keeps the numbers of an
** array on one line: [0, 3, 5]. */
static void begin_member(gcs_json_t *j, const char *key, bool scalar) {
  if (j->depth > 0) {
    bool same_line = !j->pretty || (scalar && j->closer[j->depth] == ']');
    if (!j->first[j->depth]) fputc(',', j->f);
    if (!same_line) fprintf(j->f, "\n%*s", 2 * j->depth, "");
    else if (!j->first[j->depth]) fputc(' ', j->f);
  }
  j->first[j->depth] = false;
  if (key) {
    write_string(j->f, key);
    fputs(": ", j->f);
  }
}

static void member(gcs_json_t *j, const char *key) { begin_member(j, key, true); }

static void open_value(gcs_json_t *j, const char *key, char opener, char closer) {
  begin_member(j, key, false);
  fputc(opener, j->f);
  if (j->depth + 1 >= (int)(sizeof j->first / sizeof j->first[0])) gcs_fatal("JSON nested too deep");
  j->depth++;
  j->first[j->depth] = true;
  j->closer[j->depth] = closer;
}

void gcs_json_object(gcs_json_t *j, const char *key) { open_value(j, key, '{', '}'); }
void gcs_json_array(gcs_json_t *j, const char *key) { open_value(j, key, '[', ']'); }

void gcs_json_end(gcs_json_t *j) {
  GCS_ASSERT(j->depth > 0);
  char closer = j->closer[j->depth];
  bool empty = j->first[j->depth];
  j->depth--;
  if (j->pretty && !empty && closer == '}') fprintf(j->f, "\n%*s", 2 * j->depth, "");
  fputc(closer, j->f);
}

void gcs_json_close(gcs_json_t *j) {
  GCS_ASSERT(j->depth == 0);
  fputc('\n', j->f);
  fflush(j->f);
}

void gcs_json_int(gcs_json_t *j, const char *key, int64_t v) {
  member(j, key);
  fprintf(j->f, "%lld", (long long)v);
}

void gcs_json_uint(gcs_json_t *j, const char *key, uint64_t v) {
  member(j, key);
  fprintf(j->f, "%llu", (unsigned long long)v);
}

void gcs_json_double(gcs_json_t *j, const char *key, double v) {
  member(j, key);
  if (isfinite(v)) fprintf(j->f, "%.17g", v);
  else fputs("null", j->f);
}

void gcs_json_bool(gcs_json_t *j, const char *key, bool v) {
  member(j, key);
  fputs(v ? "true" : "false", j->f);
}

void gcs_json_str(gcs_json_t *j, const char *key, const char *s) {
  member(j, key);
  write_string(j->f, s);
}
