/*
** fuzz_trace.c — libFuzzer target: the trace parser (gcs_trace_load) on arbitrary bytes.
**
** Beyond "no crash, no sanitizer report, no leak", what it checks on every input:
**   rejected  the message is "PATH:LINE: ..." with LINE within the input's lines (a '\n', or
**             a '\r' not followed by one, ends a line);
**   accepted  every op is well formed (its code, names and numbers within the format's
**             bounds, lines increasing), every name is a token the format can hold (not '-',
**             no blank, '#' or NUL) and appears once; and the trace written back as text
**             parses to the very same ops and names (a round trip).
*/
#include "fuzz/fuzz.h"
#include "workloads/trace.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_lines(const uint8_t *data, size_t size) {
  size_t n = 1;
  for (size_t i = 0; i < size; i++)
    if (data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'))) n++;
  return n;
}

static void check_rejected(const char *path, const char *err, size_t nlines) {
  size_t plen = strlen(path);
  FUZZ_CHECK(strncmp(err, path, plen) == 0 && err[plen] == ':', "message without the path: %s", err);
  char *end;
  unsigned long line = strtoul(err + plen + 1, &end, 10);
  FUZZ_CHECK(end != err + plen + 1 && *end == ':', "message without a line: %s", err);
  FUZZ_CHECK(line >= 1 && line <= nlines, "line %lu of an input of %zu lines: %s", line, nlines, err);
  FUZZ_CHECK(strlen(end) > 2, "an empty message: %s", err);
}

static void check_name(const char *s) {
  FUZZ_CHECK(*s != '\0', "an empty name");
  FUZZ_CHECK(strcmp(s, "-") != 0, "'-' accepted as a name");
  FUZZ_CHECK(strpbrk(s, " \t\r\n#") == NULL, "name '%s' holds a blank or '#'", s);
}

static void check_accepted(const gcs_trace_t *t, size_t nlines) {
  uint32_t last = 0;
  for (uint32_t i = 0; i < t->nnames; i++) {
    check_name(t->names[i]);
    for (uint32_t j = 0; j < i; j++) FUZZ_CHECK(strcmp(t->names[i], t->names[j]) != 0, "name '%s' twice", t->names[i]);
  }
  for (size_t i = 0; i < t->nops; i++) {
    const gcs_trace_op_t *op = &t->ops[i];
    FUZZ_CHECK(op->line > last && op->line <= nlines, "op %zu on line %u (after %u, of %zu)", i, op->line, last, nlines);
    last = op->line;
    switch (op->code) {
    case GCS_OP_NEW:
      FUZZ_CHECK(op->a < t->nnames && op->b <= GCS_TRACE_MAX_SLOTS && op->c <= GCS_TRACE_MAX_BYTES,
                 "new: %u %u %u", op->a, op->b, op->c);
      break;
    case GCS_OP_LET:
      FUZZ_CHECK(op->a < t->nnames && op->b < t->nnames, "let: %u %u", op->a, op->b);
      break;
    case GCS_OP_MARK:
      FUZZ_CHECK(op->a < t->nmarks, "mark: %u of %u labels", op->a, t->nmarks);
      break;
    case GCS_OP_ATOM:
      FUZZ_CHECK(op->a < t->nnames && op->b <= GCS_TRACE_MAX_BYTES, "atom: %u %u", op->a, op->b);
      break;
    case GCS_OP_SET:
      FUZZ_CHECK(op->a < t->nnames && op->b < GCS_TRACE_MAX_SLOTS && (op->c < t->nnames || op->c == GCS_TRACE_NONE),
                 "set: %u %u %u", op->a, op->b, op->c);
      break;
    case GCS_OP_LOAD:
      FUZZ_CHECK(op->a < t->nnames && op->b < t->nnames && op->c < GCS_TRACE_MAX_SLOTS, "load: %u %u %u", op->a, op->b, op->c);
      break;
    case GCS_OP_DROP:
      FUZZ_CHECK(op->a < t->nnames, "drop: %u", op->a);
      break;
    case GCS_OP_COLLECT:
      FUZZ_CHECK(op->b <= 3, "collect: %u", op->b);
      break;
    default:
      FUZZ_CHECK(0, "op code %u", op->code);
    }
  }
}

/* The trace as text, one op a line, names as parsed. */
static char *write_back(const gcs_trace_t *t, size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  FUZZ_CHECK(f != NULL, "open_memstream");
  for (size_t i = 0; i < t->nops; i++) {
    const gcs_trace_op_t *op = &t->ops[i];
    switch (op->code) {
    case GCS_OP_NEW:
      if (op->c) fprintf(f, "new %s %u %u\n", t->names[op->a], op->b, op->c);
      else fprintf(f, "new %s %u\n", t->names[op->a], op->b);
      break;
    case GCS_OP_LET: fprintf(f, "let %s %s\n", t->names[op->a], t->names[op->b]); break;
    case GCS_OP_MARK: fprintf(f, "mark %s\n", t->marks[op->a]); break;
    case GCS_OP_ATOM: fprintf(f, "atom %s %u\n", t->names[op->a], op->b); break;
    case GCS_OP_SET:
      fprintf(f, "set %s %u %s\n", t->names[op->a], op->b, op->c == GCS_TRACE_NONE ? "-" : t->names[op->c]);
      break;
    case GCS_OP_LOAD: fprintf(f, "load %s %s %u\n", t->names[op->a], t->names[op->b], op->c); break;
    case GCS_OP_DROP: fprintf(f, "drop %s\n", t->names[op->a]); break;
    default:
      if (op->b) fprintf(f, "collect %u\n", op->b - 1);
      else fputs("collect\n", f);
    }
  }
  fclose(f);
  return buf;
}

static void check_round_trip(const gcs_trace_t *t) {
  size_t len;
  char *text = write_back(t, &len);
  gcs_trace_t u;
  char err[1024];
  int rc = gcs_trace_load(gcs_fuzz_file((const uint8_t *)text, len), &u, err, sizeof err);
  FUZZ_CHECK(rc == 0, "the trace written back does not parse: %s", err);
  FUZZ_CHECK(u.nops == t->nops && u.nnames == t->nnames, "written back: %zu ops %u names, was %zu ops %u names",
             u.nops, u.nnames, t->nops, t->nnames);
  for (uint32_t i = 0; i < t->nnames; i++)
    FUZZ_CHECK(strcmp(u.names[i], t->names[i]) == 0, "name %u: '%s', was '%s'", i, u.names[i], t->names[i]);
  for (size_t i = 0; i < t->nops; i++) {
    const gcs_trace_op_t *a = &t->ops[i], *b = &u.ops[i];
    FUZZ_CHECK(a->code == b->code && a->a == b->a && a->b == b->b && a->c == b->c, "op %zu differs after a round trip", i);
  }
  gcs_trace_free(&u);
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = gcs_fuzz_file(data, size);
  /* the binary form (`run --record F.gtrb`) numbers its ops where the text numbers lines */
  bool binary = size >= sizeof GCS_TRACE_BINARY_MAGIC - 1 &&
                memcmp(data, GCS_TRACE_BINARY_MAGIC, sizeof GCS_TRACE_BINARY_MAGIC - 1) == 0;
  size_t nlines = binary ? size + 1 : count_lines(data, size);
  gcs_trace_t t;
  char err[1024];
  err[0] = '\0';
  if (gcs_trace_load(path, &t, err, sizeof err) != 0) {
    check_rejected(path, err, nlines);
    return 0;
  }
  check_accepted(&t, nlines);
  check_round_trip(&t);
  gcs_trace_free(&t);
  return 0;
}
