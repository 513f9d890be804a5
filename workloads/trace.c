/*
** trace.c — parse and replay a trace (the format: docs/trace-format.md).
**
**   new ID NSLOTS [BYTES]   atom ID BYTES   set ID SLOT ID2|-   load ID SRC SLOT
**   drop ID   let ID ID2   collect [GEN]   mark LABEL   # comment
**
** The binary form (what `run --record FILE.gtrb` writes) carries the same ops: the magic, then
** per op its code byte and LEB128 varints; it is read by the same gcs_trace_load.
**
** Names are root bindings: a frame of one root per distinct name. A name is unbound until
** bound, and again after `drop`; bound, it holds an object or nothing (`load` of an empty
** slot, as a Python local holding None). Rebinding allocates the new object while the old
** binding still holds, then drops the old one (CPython's order): gcs_root_set does exactly
** that.
*/
#include "workloads/trace.h"
#include "core/gcs.h"
#include "core/fault.h"
#include "workloads/workloads.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* Names: an open-addressing map from name to index                                      */
/* ------------------------------------------------------------------------------------ */

typedef struct names_map {
  uint32_t *slot;   /* index+1 into names, 0 = empty */
  size_t cap;       /* power of two, at most half full */
} names_map;

static uint64_t fnv1a(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static int names_grow(names_map *m, gcs_trace_t *t) {
  size_t cap = m->cap ? m->cap * 2 : 256;
  uint32_t *slot = gcs_fault_inject(GCS_FAULT_TRACE) ? NULL : calloc(cap, sizeof *slot);
  if (!slot) return ENOMEM;
  for (uint32_t i = 0; i < t->nnames; i++) {
    size_t j = fnv1a(t->names[i]) & (cap - 1);
    while (slot[j]) j = (j + 1) & (cap - 1);
    slot[j] = i + 1;
  }
  free(m->slot);
  m->slot = slot;
  m->cap = cap;
  return 0;
}

/* The index of name, adding it on first sight. UINT32_MAX when out of memory. */
static uint32_t names_intern(names_map *m, gcs_trace_t *t, const char *name) {
  if ((t->nnames + 1) * 2 > m->cap && names_grow(m, t) != 0) return UINT32_MAX;
  size_t j = fnv1a(name) & (m->cap - 1);
  while (m->slot[j]) {
    if (strcmp(t->names[m->slot[j] - 1], name) == 0) return m->slot[j] - 1;
    j = (j + 1) & (m->cap - 1);
  }
  if ((t->nnames & (t->nnames - 1)) == 0) { /* full at 0 and at each power of two: double */
    char **nn = gcs_fault_inject(GCS_FAULT_TRACE) ? NULL : realloc(t->names, (t->nnames ? 2 * t->nnames : 1) * sizeof *nn);
    if (!nn) return UINT32_MAX;
    t->names = nn;
  }
  if (gcs_fault_inject(GCS_FAULT_TRACE) || (t->names[t->nnames] = strdup(name)) == NULL) return UINT32_MAX;
  m->slot[j] = ++t->nnames;
  return t->nnames - 1;
}

/* ------------------------------------------------------------------------------------ */
/* Parsing                                                                               */
/* ------------------------------------------------------------------------------------ */

#define MAX_TOKENS 5

/* Splits line in place at blanks; a '#' starts a comment. Returns the token count, or
** MAX_TOKENS+1 when there are more. */
static int tokenize(char *line, char **tok) {
  int n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '\0' || *p == '#') return n;
    if (n == MAX_TOKENS) return MAX_TOKENS + 1;
    tok[n++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '#') p++;
    if (*p == '#') { *p = '\0'; return n; }
    if (*p) *p++ = '\0';
  }
}

static int valid_name(const char *s) {
  return strcmp(s, "-") != 0;
}

typedef struct parser {
  gcs_trace_t *t;
  names_map names;
  size_t cap;           /* ops allocated */
  char *err;
  size_t errlen;
  uint32_t line;
} parser;

/* Writes "path:line: " + the message into err; returns EINVAL. */
static int vfail(const char *path, uint32_t line, char *err, size_t errlen, const char *fmt,
                 va_list ap) {
  int n = snprintf(err, errlen, "%s:%u: ", path, line);
  if (n >= 0 && (size_t)n < errlen) vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
  return EINVAL;
}

GCS_PRINTF(2, 3) static int fail(parser *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = vfail(p->t->path, p->line, p->err, p->errlen, fmt, ap);
  va_end(ap);
  return rc;
}

static int name_arg(parser *p, const char *s, uint32_t *out) {
  if (!valid_name(s)) return fail(p, "'-' is not a name (it only clears a slot in `set`)");
  *out = names_intern(&p->names, p->t, s);
  if (*out == UINT32_MAX) return fail(p, "out of memory interning name '%s'", s);
  return 0;
}

static int uint_arg(parser *p, const char *s, uint32_t max, const char *what, uint32_t *out) {
  uint64_t v = 0;
  int rc = gcs_parse_u64(s, max, &v);
  *out = (uint32_t)v;
  if (rc == EINVAL) return fail(p, "expected %s (a non-negative integer), got '%s'", what, s);
  if (rc == ERANGE) return fail(p, "%s '%s' is out of range (at most %u)", what, s, max);
  return 0;
}

static const char *const usage[] = {
  [GCS_OP_NEW] = "new ID NSLOTS [BYTES]", [GCS_OP_ATOM] = "atom ID BYTES",
  [GCS_OP_SET] = "set ID SLOT ID2",       [GCS_OP_LOAD] = "load ID SRC SLOT",
  [GCS_OP_DROP] = "drop ID",              [GCS_OP_COLLECT] = "collect [GEN]",
  [GCS_OP_LET] = "let ID ID2",            [GCS_OP_MARK] = "mark LABEL",
};

/* A mark's label: interned in file order (labels repeat rarely). UINT32_MAX: out of memory. */
static uint32_t mark_intern(gcs_trace_t *t, const char *label) {
  for (uint32_t i = 0; i < t->nmarks; i++)
    if (strcmp(t->marks[i], label) == 0) return i;
  char **nm = realloc(t->marks, (t->nmarks + 1) * sizeof *nm);
  if (!nm) return UINT32_MAX;
  t->marks = nm;
  if ((t->marks[t->nmarks] = strdup(label)) == NULL) return UINT32_MAX;
  return t->nmarks++;
}

static int parse_line(parser *p, char *line, gcs_trace_op_t *op) {
  char *tok[MAX_TOKENS];
  int n = tokenize(line, tok);
  static const char *const opnames[] = {"new", "atom", "set", "load", "drop", "collect", "let", "mark"};
  static const int nargs[] = {2, 2, 3, 3, 1, 0, 2, 1};
  int code = -1;
  for (int i = 0; i < 8; i++)
    if (strcmp(tok[0], opnames[i]) == 0) code = i;
  if (code < 0)
    return fail(p, "unknown op '%s' (expected new, atom, set, load, drop, let, collect or mark)", tok[0]);
  int args = n - 1;
  int optional = code == GCS_OP_COLLECT || code == GCS_OP_NEW; /* one more argument allowed */
  if (args < nargs[code] || args > nargs[code] + optional) {
    return fail(p, "expected `%s`%s", usage[code], args > nargs[code] ? ", with nothing after it" : "");
  }
  op->code = (uint8_t)code;
  op->line = p->line;
  op->a = op->b = op->c = 0;
  int rc = 0;
  switch (code) {
  case GCS_OP_NEW:
    if ((rc = name_arg(p, tok[1], &op->a))) return rc;
    if ((rc = uint_arg(p, tok[2], GCS_TRACE_MAX_SLOTS, "NSLOTS", &op->b))) return rc;
    return args == 3 ? uint_arg(p, tok[3], GCS_TRACE_MAX_BYTES, "BYTES", &op->c) : 0;
  case GCS_OP_ATOM:
    if ((rc = name_arg(p, tok[1], &op->a))) return rc;
    return uint_arg(p, tok[2], GCS_TRACE_MAX_BYTES, "BYTES", &op->b);
  case GCS_OP_SET:
    if ((rc = name_arg(p, tok[1], &op->a))) return rc;
    if ((rc = uint_arg(p, tok[2], GCS_TRACE_MAX_SLOTS - 1, "SLOT", &op->b))) return rc;
    if (strcmp(tok[3], "-") == 0) {
      op->c = GCS_TRACE_NONE;
      return 0;
    }
    return name_arg(p, tok[3], &op->c);
  case GCS_OP_LOAD:
    if ((rc = name_arg(p, tok[1], &op->a))) return rc;
    if ((rc = name_arg(p, tok[2], &op->b))) return rc;
    return uint_arg(p, tok[3], GCS_TRACE_MAX_SLOTS - 1, "SLOT", &op->c);
  case GCS_OP_DROP:
    return name_arg(p, tok[1], &op->a);
  case GCS_OP_LET:
    if ((rc = name_arg(p, tok[1], &op->a))) return rc;
    return name_arg(p, tok[2], &op->b);
  case GCS_OP_MARK:
    if ((op->a = mark_intern(p->t, tok[1])) == UINT32_MAX) return fail(p, "%s", "out of memory");
    return 0;
  default: /* GCS_OP_COLLECT */
    if (args == 1) {
      uint32_t gen;
      if ((rc = uint_arg(p, tok[1], 2, "GEN (0, 1 or 2)", &gen))) return rc;
      op->b = gen + 1;
    }
    return 0;
  }
}

/* The next line of f into *buf (grown as needed), without its end: LF, CR or CRLF each end a
** line (a file written on any system counts as its editor shows it). *len gets its length;
** *nul is set when it holds a NUL byte. 0, EOF at the end of the file (nothing read), ENOMEM. */
static int read_line(FILE *f, char **buf, size_t *cap, size_t *len, bool *nul) {
  size_t n = 0;
  int ch = EOF;
  *nul = false;
  while ((ch = getc_unlocked(f)) != EOF && ch != '\n' && ch != '\r') {
    if (n + 1 >= *cap) {
      size_t ncap = *cap ? 2 * *cap : 256;
      char *nb = realloc(*buf, ncap);
      if (!nb) return ENOMEM;
      *buf = nb;
      *cap = ncap;
    }
    if (ch == '\0') *nul = true;
    (*buf)[n++] = (char)ch;
  }
  if (ch == '\r') {
    int next = getc_unlocked(f);
    if (next != '\n' && next != EOF) ungetc(next, f);
  }
  if (ch == EOF && n == 0) return EOF;
  if (*cap == 0) { /* an empty first line: still a string */
    if ((*buf = malloc(1)) == NULL) return ENOMEM;
    *cap = 1;
  }
  (*buf)[n] = '\0';
  *len = n;
  return 0;
}

/* Room for one more op: 0, or ENOMEM (with the message written). */
static int reserve_op(parser *p) {
  if (p->t->nops < p->cap) return 0;
  size_t ncap = p->cap ? p->cap * 2 : 1024;
  gcs_trace_op_t *nops = gcs_fault_inject(GCS_FAULT_TRACE) ? NULL : realloc(p->t->ops, ncap * sizeof *nops);
  if (!nops) return fail(p, "%s", "out of memory"), ENOMEM;
  p->t->ops = nops;
  p->cap = ncap;
  return 0;
}

/* The binary form: after the magic, per op its code byte, then LEB128 varints -- new: ID
** NSLOTS BYTES; atom: ID BYTES; set: ID SLOT ID2|0; load: ID SRC SLOT; drop: ID; let: ID ID2;
** collect: GEN+1 (0: full); mark: a length and the label's bytes. A name is written as its id
** + 1, id 2*I for `rI` and 2*K+1 for `tK`: the names the text form of the same recording has.
** Messages give the op's ordinal where the text form gives a line. */
typedef struct bin_reader {
  const unsigned char *s, *end;   /* the bytes after the magic */
  uint32_t *ids;                  /* name id -> index + 1 in t->names (0: not seen) */
  size_t nids;
} bin_reader;

static int get_varint(parser *p, bin_reader *b, uint64_t max, const char *what, uint32_t *out) {
  uint64_t v = 0;
  for (int shift = 0; b->s < b->end && shift < 64; shift += 7) {
    unsigned char c = *b->s++;
    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      if (v > max) return fail(p, "%s %llu is out of range (at most %llu)", what, (unsigned long long)v,
                               (unsigned long long)max);
      *out = (uint32_t)v;
      return 0;
    }
  }
  return fail(p, "truncated %s (the file ends inside an op)", what);
}

/* The largest name id the binary form takes (+ 1 as written): ids index a table, which this
** bounds to 64 MiB; a recording's ids are 2 * root position or 2 * temporary + 1. */
#define BIN_MAX_NAME_ID ((uint32_t)1 << 24)

static int get_name(parser *p, bin_reader *b, bool dash_ok, uint32_t *out) {
  uint32_t id;
  int rc = get_varint(p, b, BIN_MAX_NAME_ID, "name", &id);
  if (rc) return rc;
  if (id == 0) {
    if (dash_ok) return *out = GCS_TRACE_NONE, 0;
    return fail(p, "'-' is not a name (it only clears a slot in `set`)");
  }
  id--;
  if (id >= b->nids) {
    size_t n = b->nids ? b->nids : 256;
    while (n <= id) n *= 2;
    uint32_t *ids = realloc(b->ids, n * sizeof *ids);
    if (!ids) return fail(p, "%s", "out of memory");
    memset(ids + b->nids, 0, (n - b->nids) * sizeof *ids);
    b->ids = ids;
    b->nids = n;
  }
  if (!b->ids[id]) {
    char name[16];
    snprintf(name, sizeof name, "%c%u", id & 1 ? 't' : 'r', id >> 1);
    uint32_t i = names_intern(&p->names, p->t, name);
    if (i == UINT32_MAX) return fail(p, "out of memory interning name '%s'", name);
    b->ids[id] = i + 1;
  }
  *out = b->ids[id] - 1;
  return 0;
}

static int parse_binary(parser *p, const unsigned char *s, size_t len) {
  bin_reader b = {.s = s, .end = s + len};
  int rc = 0;
  while (rc == 0 && b.s < b.end) {
    p->line++;
    if ((rc = reserve_op(p))) break;
    gcs_trace_op_t *op = &p->t->ops[p->t->nops];
    *op = (gcs_trace_op_t){.code = *b.s++, .line = p->line};
    uint32_t len8;
    switch (op->code) {
    case GCS_OP_NEW:
      if (!(rc = get_name(p, &b, false, &op->a)) && !(rc = get_varint(p, &b, GCS_TRACE_MAX_SLOTS, "NSLOTS", &op->b)))
        rc = get_varint(p, &b, GCS_TRACE_MAX_BYTES, "BYTES", &op->c);
      break;
    case GCS_OP_ATOM:
      if (!(rc = get_name(p, &b, false, &op->a))) rc = get_varint(p, &b, GCS_TRACE_MAX_BYTES, "BYTES", &op->b);
      break;
    case GCS_OP_SET:
      if (!(rc = get_name(p, &b, false, &op->a)) && !(rc = get_varint(p, &b, GCS_TRACE_MAX_SLOTS - 1, "SLOT", &op->b)))
        rc = get_name(p, &b, true, &op->c);
      break;
    case GCS_OP_LOAD:
      if (!(rc = get_name(p, &b, false, &op->a)) && !(rc = get_name(p, &b, false, &op->b)))
        rc = get_varint(p, &b, GCS_TRACE_MAX_SLOTS - 1, "SLOT", &op->c);
      break;
    case GCS_OP_DROP:
      rc = get_name(p, &b, false, &op->a);
      break;
    case GCS_OP_LET:
      if (!(rc = get_name(p, &b, false, &op->a))) rc = get_name(p, &b, false, &op->b);
      break;
    case GCS_OP_COLLECT:
      rc = get_varint(p, &b, 3, "GEN+1 (0 full, 1..3)", &op->b);
      break;
    case GCS_OP_MARK: {
      if ((rc = get_varint(p, &b, 255, "mark length", &len8))) break;
      char label[256];
      if ((size_t)(b.end - b.s) < len8) {
        rc = fail(p, "%s", "truncated mark (the file ends inside an op)");
        break;
      }
      memcpy(label, b.s, len8);
      label[len8] = '\0';
      b.s += len8;
      bool word = len8 > 0;   /* as the text form's token: no blank, control byte or '#' */
      for (uint32_t k = 0; k < len8 && word; k++)
        word = (unsigned char)label[k] > ' ' && label[k] != '#' && label[k] != 0x7f;
      if (!word) {
        rc = fail(p, "%s", "a mark's label must be a word (no blank, control byte or '#')");
        break;
      }
      if ((op->a = mark_intern(p->t, label)) == UINT32_MAX) rc = fail(p, "%s", "out of memory");
      break;
    }
    default:
      rc = fail(p, "unknown op code %u in the binary form (expected 0..%d)", op->code, GCS_OP_MARK);
    }
    if (rc == 0) p->t->nops++;
  }
  free(b.ids);
  return rc;
}

/* The whole file in memory (the binary form is read at once). */
static int slurp(FILE *f, unsigned char **out, size_t *len) {
  size_t cap = 1 << 20, n = 0;
  unsigned char *buf = malloc(cap);
  if (!buf) return ENOMEM;
  for (;;) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    unsigned char *nb = realloc(buf, cap *= 2);
    if (!nb) return free(buf), ENOMEM;
    buf = nb;
  }
  *out = buf;
  *len = n;
  return 0;
}

int gcs_trace_load(const char *path, gcs_trace_t *t, char *err, size_t errlen) {
  memset(t, 0, sizeof *t);
  parser p = {.t = t, .err = err, .errlen = errlen};
  if ((t->path = strdup(path)) == NULL) return ENOMEM;
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    int e = errno;
    snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
    gcs_trace_free(t);
    return e;
  }
  char *line = NULL;
  size_t linecap = 0, len;
  int rc = 0, got;
  bool nul;
  char magic[sizeof GCS_TRACE_BINARY_MAGIC - 1];
  if (fread(magic, 1, sizeof magic, f) == sizeof magic && memcmp(magic, GCS_TRACE_BINARY_MAGIC, sizeof magic) == 0) {
    unsigned char *bytes = NULL;
    size_t n = 0;
    if ((rc = slurp(f, &bytes, &n)) != 0) snprintf(err, errlen, "%s: out of memory", path);
    else if (!ferror(f)) rc = parse_binary(&p, bytes, n);
    free(bytes);
  } else {
    rewind(f);
  }
  while (rc == 0 && !ferror(f) && (got = read_line(f, &line, &linecap, &len, &nul)) != EOF) {
    p.line++;
    if (got == ENOMEM) {
      rc = fail(&p, "%s", "out of memory");
      break;
    }
    if (nul) {
      rc = fail(&p, "%s", "a NUL byte in the line (is this a text file?)");
      break;
    }
    if ((rc = reserve_op(&p))) break;
    char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '\0' || *s == '#') continue;
    if ((rc = parse_line(&p, s, &t->ops[t->nops])) != 0) break;
    t->nops++;
  }
  if (rc == 0 && ferror(f)) {
    snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
    rc = EIO;
  }
  free(line);
  fclose(f);
  free(p.names.slot);
  if (rc) gcs_trace_free(t);
  return rc;
}

void gcs_trace_free(gcs_trace_t *t) {
  for (uint32_t i = 0; i < t->nnames; i++) free(t->names[i]);
  free(t->names);
  for (uint32_t i = 0; i < t->nmarks; i++) free(t->marks[i]);
  free(t->marks);
  free(t->ops);
  free(t->path);
  memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------------------------------ */
/* Replay                                                                                */
/* ------------------------------------------------------------------------------------ */

typedef struct replay {
  const gcs_trace_t *t;
  gcs_wl_ctx *ctx;    /* where `mark` ops go; NULL: nowhere */
  gcs_obj **root;     /* one root per name */
  uint8_t *bound;     /* per name: 1 when bound (to an object or to nothing) */
  char *err;
  size_t errlen;
} replay;

GCS_PRINTF(3, 4) static int rfail(replay *r, const gcs_trace_op_t *op, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = vfail(r->t->path, op->line, r->err, r->errlen, fmt, ap);
  va_end(ap);
  return rc;
}

/* The container bound to name i, or an error naming why there is none. */
static int container(replay *r, const gcs_trace_op_t *op, uint32_t i, const char *verb, gcs_obj **out) {
  const char *name = r->t->names[i];
  if (!r->bound[i]) return rfail(r, op, "%s through '%s', which is not bound (never bound, or dropped)", verb, name);
  gcs_obj *o = r->root[i];
  if (o == NULL) return rfail(r, op, "%s through '%s', which is bound to nothing (an empty slot was loaded)", verb, name);
  if (o->kind != GCS_CONTAINER) return rfail(r, op, "%s through '%s', which is an atom (no slots)", verb, name);
  *out = o;
  return 0;
}

static int slot_ok(replay *r, const gcs_trace_op_t *op, gcs_obj *o, uint32_t slot, uint32_t name) {
  if (slot < o->nslots) return 0;
  return rfail(r, op, "slot %u is out of range: '%s' has %u slot%s", slot, r->t->names[name],
               o->nslots, o->nslots == 1 ? "" : "s");
}

static int push_u64(uint64_t **v, size_t *n, uint64_t x) {
  if ((*n & (*n - 1)) == 0) {
    uint64_t *nv = gcs_fault_inject(GCS_FAULT_TRACE) ? NULL : realloc(*v, (*n ? 2 * *n : 1) * sizeof *nv);
    if (!nv) return ENOMEM;
    *v = nv;
  }
  (*v)[(*n)++] = x;
  return 0;
}

static int step(replay *r, const gcs_trace_op_t *op, gcs_trace_result_t *res) {
  gcs_obj *o;
  int rc;
  switch (op->code) {
  case GCS_OP_NEW:
    gcs_root_set(&r->root[op->a], gcs_new(op->b, op->c));
    r->bound[op->a] = 1;
    return 0;
  case GCS_OP_ATOM:
    gcs_root_set(&r->root[op->a], gcs_new_atom(op->b));
    r->bound[op->a] = 1;
    return 0;
  case GCS_OP_SET: {
    if ((rc = container(r, op, op->a, "set", &o)) || (rc = slot_ok(r, op, o, op->b, op->a))) return rc;
    gcs_obj *v = NULL;
    if (op->c != GCS_TRACE_NONE) {
      if (!r->bound[op->c])
        return rfail(r, op, "set stores '%s', which is not bound (never bound, or dropped)", r->t->names[op->c]);
      v = r->root[op->c];
    }
    gcs_store(o, op->b, v);
    return 0;
  }
  case GCS_OP_LOAD:
    if ((rc = container(r, op, op->b, "load", &o)) || (rc = slot_ok(r, op, o, op->c, op->b))) return rc;
    gcs_root_set(&r->root[op->a], gcs_load(o, op->c));
    r->bound[op->a] = 1;
    return 0;
  case GCS_OP_DROP:
    if (!r->bound[op->a])
      return rfail(r, op, "drop of '%s', which is not bound (never bound, or dropped)", r->t->names[op->a]);
    gcs_root_set(&r->root[op->a], NULL);
    r->bound[op->a] = 0;
    return 0;
  case GCS_OP_LET:
    if (!r->bound[op->b])
      return rfail(r, op, "let from '%s', which is not bound (never bound, or dropped)", r->t->names[op->b]);
    gcs_root_set(&r->root[op->a], r->root[op->b]);
    r->bound[op->a] = 1;
    return 0;
  case GCS_OP_MARK:
    if (r->ctx) gcs_wl_mark(r->ctx, r->t->marks[op->a]);
    return 0;
  default: { /* GCS_OP_COLLECT */
    int gen = (int)op->b - 1;
    uint64_t found = gcs_heap_collect(gen);
    if (push_u64(&res->collects, &res->ncollects, found)) return ENOMEM;
    if ((gen < 0 || gen == 2) && push_u64(&res->live_after_full, &res->nfull, gcs_heap.live_objects))
      return ENOMEM;
    return 0;
  }
  }
}

/* More names than the shadow stack has roots free: an error at the line where the first name
** too many appears (names are numbered in order of first appearance). */
static int too_many_names(replay *r) {
  uint32_t room = (uint32_t)(gcs_heap.roots_limit - gcs_heap.roots_top);
  for (size_t i = 0; i < r->t->nops; i++) {
    const gcs_trace_op_t *op = &r->t->ops[i];
    uint32_t n = op->code == GCS_OP_COLLECT || op->code == GCS_OP_MARK ? 0 : op->a;
    if ((op->code == GCS_OP_LOAD || op->code == GCS_OP_LET) && op->b > n) n = op->b;
    if (op->code == GCS_OP_SET && op->c != GCS_TRACE_NONE && op->c > n) n = op->c;
    if (n >= room)
      return rfail(r, op, "'%s' is name %u, more than the %u roots free on the shadow stack "
                   "(roots_max=%lld; raise it with --set roots_max=N)", r->t->names[n], n + 1, room,
                   (long long)gcs_knob("roots_max"));
  }
  gcs_fatal("trace.c: %u names but none beyond the %u roots free", r->t->nnames, room);
}

int gcs_trace_run(const gcs_trace_t *t, gcs_wl_ctx *ctx, gcs_trace_result_t *res, char *err, size_t errlen) {
  memset(res, 0, sizeof *res);
  replay r = {.t = t, .ctx = ctx, .err = err, .errlen = errlen};
  r.bound = gcs_fault_inject(GCS_FAULT_TRACE) ? NULL : calloc(t->nnames ? t->nnames : 1, 1);
  if (!r.bound) {
    snprintf(err, errlen, "%s: out of memory", t->path);
    return ENOMEM;
  }
  if ((size_t)(gcs_heap.roots_limit - gcs_heap.roots_top) < t->nnames) {
    int rc = too_many_names(&r);
    free(r.bound);
    return rc;
  }
  r.root = gcs_frame_push(t->nnames);
  int rc = 0;
  uint32_t line = 0;
  gcs_error_where(t->path, &line); /* a fatal error inside an op names its line */
  for (size_t i = 0; i < t->nops && rc == 0; i++) {
    line = t->ops[i].line;
    rc = step(&r, &t->ops[i], res);
    if (rc == ENOMEM) rc = rfail(&r, &t->ops[i], "out of memory");
    gcs_safepoint();
  }
  gcs_error_where(NULL, NULL);
  if (rc == 0) {
    gcs_heap_report(&res->report); /* as gc.get_count()/get_stats() with the names still bound */
    res->live_at_end = gcs_heap.live_objects;
  }
  gcs_frame_pop(r.root);
  free(r.bound);
  if (rc) gcs_trace_result_free(res);
  return rc;
}

void gcs_trace_result_free(gcs_trace_result_t *res) {
  free(res->collects);
  free(res->live_after_full);
  memset(res, 0, sizeof *res);
}

/* ------------------------------------------------------------------------------------ */
/* The trace as a workload: `gcscope run --workload trace --trace FILE`                  */
/* ------------------------------------------------------------------------------------ */

/* The parsed trace of the last run, kept until the next one (or the process's end): freed
** inside the run, its pages (16 bytes an op) would count in the cell's memory figures as
** memory the collector gave back. */
static gcs_trace_t kept;

static int run_trace(gcs_wl_ctx *ctx) {
  char err[1024];
  gcs_trace_t t;
  gcs_trace_free(&kept);
  if (ctx->path == NULL) {
    gcs_error("workload trace: expected --trace FILE");
    return 1;
  }
  if (gcs_trace_load(ctx->path, &t, err, sizeof err) != 0) {
    gcs_error("%s", err);
    return 1;
  }
  gcs_trace_result_t res;
  int rc = gcs_trace_run(&t, ctx, &res, err, sizeof err);
  if (rc != 0) {
    gcs_error("%s", err);
  } else {
    gcs_wl_figure(ctx, "ops", (double)t.nops);
    gcs_wl_figure(ctx, "collects", (double)res.ncollects);
    gcs_trace_result_free(&res);
  }
  kept = t;
  return rc ? 1 : 0;
}

static const char *const trace_small[] = {NULL};

const gcs_workload_t gcs_workload_trace = {
  .name = "trace",
  .summary = "replay a trace file (--trace FILE; format in docs/trace-format.md)",
  .knobs = NULL,
  .small = trace_small,
  .run = run_trace,
};
