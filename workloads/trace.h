/*
** trace.h — the trace format (docs/trace-format.md): parsing and replay.
**
** A trace is parsed whole before it runs, so a syntax error is reported before any work;
** errors that depend on the heap's state (a name never bound, a set through an atom, a slot
** out of range) are found while replaying. Either way the message is "FILE:LINE: what was
** expected" and nothing is printed from a half-run trace.
*/
#ifndef GCS_TRACE_H
#define GCS_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "core/gcs.h"

/* The ops (GCS_OP_*) and the binary form's magic are core/record.h's: the recorder writes them. */

#define GCS_TRACE_NONE UINT32_MAX   /* `set X S -`: the slot is cleared */
#define GCS_TRACE_MAX_SLOTS (1u << 24)
#define GCS_TRACE_MAX_BYTES (1u << 30)

typedef struct gcs_trace_op {
  uint8_t code;     /* GCS_OP_* */
  uint32_t line;    /* 1-based line in the file (the binary form: the op's ordinal) */
  uint32_t a;       /* the name bound, written or dropped | MARK the label's index in marks */
  uint32_t b;       /* NEW nslots | ATOM bytes | SET slot | LOAD source name | LET source name |
                       COLLECT gen+1 (0 = full) */
  uint32_t c;       /* SET value name or GCS_TRACE_NONE | LOAD slot | NEW payload bytes */
} gcs_trace_op_t;

typedef struct gcs_trace {
  char *path;             /* as given, for messages */
  gcs_trace_op_t *ops;    /* nops parsed ops, in file order */
  size_t nops;
  char **names;           /* nnames distinct names, in order of first appearance */
  uint32_t nnames;
  char **marks;           /* nmarks labels of `mark` ops, in file order */
  uint32_t nmarks;
} gcs_trace_t;

typedef struct gcs_trace_result {
  uint64_t *collects;         /* per collect op: objects found unreachable */
  size_t ncollects;
  uint64_t *live_after_full;  /* per full collect op: live objects after it, atoms included */
  size_t nfull;
  gcs_gc_report_t report;     /* the collector's counts and stats at the end, names still bound */
  uint64_t live_at_end;       /* live objects at the end, names still bound */
} gcs_trace_result_t;

/* Parses path, text or (starting with GCS_TRACE_BINARY_MAGIC) binary. On error writes
** "path:line: ..." into err and returns non-zero. */
int gcs_trace_load(const char *path, gcs_trace_t *t, char *err, size_t errlen);
void gcs_trace_free(gcs_trace_t *t);
/* Replays t on the open heap; each `mark` op goes to gcs_wl_mark(ctx, label) (ctx NULL: marks
** are skipped). On error writes "path:line: ..." and returns non-zero; the heap is still
** consistent (it can be closed). */
struct gcs_wl_ctx;
int gcs_trace_run(const gcs_trace_t *t, struct gcs_wl_ctx *ctx, gcs_trace_result_t *res, char *err,
                  size_t errlen);
void gcs_trace_result_free(gcs_trace_result_t *res);

#endif
