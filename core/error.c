/*
** error.c — the one error path of gcscope (see error.h): every message of the core, the
** collectors and the tools is printed by report() below, and each entry point only decides
** what happens after it: return, exit(70) or abort().
**
** Invariant: nothing here allocates or calls into another gcscope file, so a report works
** from inside the allocator, a collection or a failed assertion anywhere (the context is two
** pointers its setter keeps valid, read, never called).
** Build macros: none.
*/
#include "core/error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static const char *context_file;   /* gcs_error_context: NULL when there is none */
static const unsigned *context_line;

void gcs_error_context(const char *file, const unsigned *line) {
  context_file = file;
  context_line = line;
}

/* `where`: the context first, when there is one (the fatal reports). */
static void report(const char *kind, bool where, const char *fmt, va_list ap) {
  fputs("gcscope: ", stderr);
  fputs(kind, stderr);
  if (where && context_file != NULL && context_line != NULL && *context_line != 0)
    fprintf(stderr, "%s:%u: ", context_file, *context_line);
  else if (where && context_file != NULL)
    fprintf(stderr, "%s: ", context_file);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

GCS_PRINTF(2, 3) static void print(const char *kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report(kind, false, fmt, ap);
  va_end(ap);
}

void gcs_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report("", false, fmt, ap);
  va_end(ap);
}

void gcs_fatal(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report("fatal: ", true, fmt, ap);
  va_end(ap);
  exit(70); /* EX_SOFTWARE */
}

void gcs_corrupt(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report("heap corruption: ", true, fmt, ap);
  va_end(ap);
  abort();
}

void gcs_assert_fail(const char *expr, const char *file, int line) {
  print("", "%s:%d: assertion failed: %s", file, line, expr);
  abort();
}
