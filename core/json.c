/*
** json.c — a streaming JSON writer: enough for the output contract, nothing more.
** Every string it writes is valid JSON, whatever its bytes (a path from the command line need
** not be UTF-8): write_string says how. Invariants: depth counts the open objects/arrays; first[d] is true until the first member
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

/* The length of the well-formed UTF-8 sequence at p (1..4), or 0 when p starts none: an
** unexpected continuation byte, a truncated sequence, an overlong form, a surrogate
** (U+D800..U+DFFF) or a code point above U+10FFFF (RFC 3629's table of well-formed sequences). */
static int utf8_length(const unsigned char *p) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  int n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (n == 0) return 0;
  unsigned char lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80; /* no overlong forms */
  unsigned char hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF; /* no surrogates, <= U+10FFFF */
  if (p[1] < lo || p[1] > hi) return 0;
  for (int i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xBF) return 0; /* the NUL that ends s stops here too */
  return n;
}

/* s as a JSON string, valid whatever its bytes: '"' and '\\' escaped, control characters as
** \u00XX, well-formed UTF-8 copied, and every byte that starts no well-formed sequence written
** as one U+FFFD, the replacement character (a byte each, not a maximal subpart as Python's
** errors="replace": the count of bad bytes shows). */
static void write_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    int n = utf8_length(p);
    if (n == 0) {
      fputs("\\ufffd", f);
      p++;
    } else if (*p == '"' || *p == '\\') {
      fprintf(f, "\\%c", *p++);
    } else if (*p < 0x20 || *p == 0x7F) {
      fprintf(f, "\\u%04x", *p++);
    } else {
      fwrite(p, 1, (size_t)n, f);
      p += n;
    }
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
