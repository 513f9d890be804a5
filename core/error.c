/*
** error.c — the one error path of gcscope (see error.h): every message of the core, the
** collectors and the tools is printed by report() below, and each entry point only decides
** what happens after it: return, exit(70) or abort().
**
** Invariant: nothing here allocates or calls into another gcscope file, so a report works
** from inside the allocator, a collection or a failed assertion anywhere.
** Build macros: none.
*/
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const char *where_file;   /* gcs_error_where's: the input's name, or NULL */
static const uint32_t *where_line;  /* ... its current line */

void gcs_error_where(const char *file, const uint32_t *line) {
  where_file = file;
  where_line = line;
}

static void report(const char *kind, const char *fmt, va_list ap) {
  fputs("gcscope: ", stderr);
  fputs(kind, stderr);
  if (where_file) fprintf(stderr, "%s:%u: ", where_file, (unsigned)*where_line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

GCS_PRINTF(2, 3) static void print(const char *kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report(kind, fmt, ap);
  va_end(ap);
}

void gcs_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report("", fmt, ap);
  va_end(ap);
}

void gcs_fatal(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report("fatal: ", fmt, ap);
  va_end(ap);
  exit(70); /* EX_SOFTWARE */
}

void gcs_corrupt(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report("heap corruption: ", fmt, ap);
  va_end(ap);
  abort();
}

void gcs_assert_fail(const char *expr, const char *file, int line) {
  print("", "%s:%d: assertion failed: %s", file, line, expr);
  abort();
}
