/*
** fuzz_replay.c — libFuzzer target: a trace parsed and replayed under the collectors of the
** registry, the heap verified at every phase (GCS_DEBUG=3), ASan and UBSan on.
**
** Input: a header, then the trace text.
**   byte 0   which collector: gcs_collectors[b % (n + 1)] (but not_here's); n means all of them, one
**            after the other, with their default knobs (the differential mode below; byte 1's
**            core knobs apply, its pairs are skipped)
**   byte 1   bits 0-1: how many knob pairs follow (0..3); bit 2: allocator=system;
**            bit 3: release=pool
**   pairs    (knob, value) bytes: the collector's knob number knob % count, and a value drawn
**            from value: the knob's minimum, minimum + (value >> 2), its default, or its
**            default divided by 1 + (value >> 2) % 8 (kept within its range); for a knob with
**            choices, choice value % count
** Sizes are clamped so that one execution stays short: a container has at most FUZZ_MAX_SLOTS
** slots, an atom at most FUZZ_MAX_BYTES bytes, a trace at most MAX_OPS ops.
**
** What it checks, beyond no crash, no sanitizer report, no failed heap verification, no leak.
** The trace is first run on a model (plain arrays: each object's slots, each name's binding),
** which says where the replay must stop and what must be live:
**   every run   the replay stops at the model's first bad op, with "PATH:LINE: ..." naming its
**               line, or runs to the end as the model does; the heap is consistent after the
**               run (gcs_heap_verify); after close the counters agree (allocated - freed =
**               what close reports as leaked); a collector that frees exactly the unreachable
**               objects (exact_names below; no knob that freezes or untracks) keeps after each full
**               `collect` exactly the objects the model reaches from the bound names, and
**               leaks nothing, and every other collector keeps at least those; `rc` leaks
**               exactly what reference counting cannot free (the objects left once every one
**               without a referrer is peeled off, repeatedly); `none` frees nothing;
**   all of them every collector stops with the same message (the trace's errors are the
**               replay's, never the collector's).
*/
#include "fuzz/fuzz.h"
#include "collectors/collectors.h"
#include "workloads/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 2000
#define MAX_COLLECTORS 32

/* Collectors whose full collection frees exactly the unreachable objects. */
static const char *const exact_names[] = {"cpython", "marksweep", "incremental", "py", NULL};

/* Collectors this target never opens: bdwgc's incremental mode, once on, stays on for the
** process, and a later boehm heap then refuses to open (boehm-inc needs a process of its own,
** which libFuzzer's one process per run cannot give). lua-inc and lua-gen: built by clang for
** this target, lua.c's check of Lua 5.4.4's struct layouts (peers/lua/lua.c check_layout)
** refuses to start -- gcc's builds pass it; not yet understood, so the Lua peers are fuzzed by
** no target. */
static const char *const not_here[] = {"boehm-inc", "lua-inc", "lua-gen", NULL};

static int skipped(const gcs_collector_ops *c) {
  for (int i = 0; not_here[i]; i++)
    if (strcmp(not_here[i], c->name) == 0) return 1;
  return 0;
}

static int is_exact(const gcs_collector_ops *c) {
  for (int i = 0; exact_names[i]; i++)
    if (strcmp(exact_names[i], c->name) == 0) return 1;
  return 0;
}

/* The model: what the trace does to the object graph, without a heap. Objects are numbered
** from 1 in allocation order; 0 is nothing. */
typedef struct model {
  uint32_t nobj;              /* objects allocated */
  uint32_t *nslots;           /* [id]: slots (atoms: 0) */
  uint8_t *atom;              /* [id]: 1 for an atom */
  uint32_t **slots;           /* [id]: slot contents */
  uint32_t *bind;             /* [name]: the object bound, 0 = nothing */
  uint8_t *bound;             /* [name]: bound (to an object or to nothing) */
  uint32_t bad_line;          /* the line of the first op the replay must refuse; 0 = none */
  uint64_t full[MAX_OPS];     /* objects reachable from the names at each full collect */
  size_t nfull;
  uint64_t rc_leak;           /* what reference counting cannot free once every name is gone */
} model;

static uint64_t reachable(const model *m, uint32_t nnames) {
  uint8_t *seen = calloc(m->nobj + 1, 1);
  uint32_t *stack = malloc((m->nobj + 1) * sizeof *stack);
  size_t sp = 0;
  uint64_t n = 0;
  for (uint32_t i = 0; i < nnames; i++)
    if (m->bound[i] && m->bind[i] && !seen[m->bind[i]]) seen[stack[sp++] = m->bind[i]] = 1;
  while (sp) {
    uint32_t o = stack[--sp];
    n++;
    for (uint32_t k = 0; k < m->nslots[o]; k++) {
      uint32_t v = m->slots[o][k];
      if (v && !seen[v]) seen[stack[sp++] = v] = 1;
    }
  }
  free(seen);
  free(stack);
  return n;
}

/* With every name gone: peel off objects without a referrer until none is left; the rest is
** what reference counting leaks (cycles and what they hold). */
static uint64_t rc_leak(const model *m) {
  uint32_t *refs = calloc(m->nobj + 1, sizeof *refs), *queue = malloc((m->nobj + 1) * sizeof *queue);
  size_t head = 0, tail = 0;
  for (uint32_t o = 1; o <= m->nobj; o++)
    for (uint32_t k = 0; k < m->nslots[o]; k++) refs[m->slots[o][k]]++;
  for (uint32_t o = 1; o <= m->nobj; o++)
    if (refs[o] == 0) queue[tail++] = o;
  while (head < tail) {
    uint32_t o = queue[head++];
    for (uint32_t k = 0; k < m->nslots[o]; k++) {
      uint32_t v = m->slots[o][k];
      if (v && --refs[v] == 0) queue[tail++] = v;
    }
  }
  free(refs);
  free(queue);
  return m->nobj - tail;
}

/* 1 when name i is bound to a container (what the replay's container() asks). */
static int model_container(const model *m, uint32_t i) {
  return m->bound[i] && m->bind[i] && !m->atom[m->bind[i]];
}

/* Runs t on the model, up to its first bad op (as gcs_trace_run: a refused op changes nothing). */
static void model_run(model *m, const gcs_trace_t *t) {
  memset(m, 0, sizeof *m);
  size_t cap = t->nops + 1;
  m->nslots = calloc(cap, sizeof *m->nslots);
  m->atom = calloc(cap, 1);
  m->slots = calloc(cap, sizeof *m->slots);
  m->bind = calloc(t->nnames + 1, sizeof *m->bind);
  m->bound = calloc(t->nnames + 1, 1);
  for (size_t i = 0; i < t->nops && !m->bad_line; i++) {
    const gcs_trace_op_t *op = &t->ops[i];
    uint32_t id;
    switch (op->code) {
    case GCS_OP_NEW:
    case GCS_OP_ATOM:
      id = ++m->nobj;
      m->atom[id] = op->code == GCS_OP_ATOM;
      m->nslots[id] = m->atom[id] ? 0 : op->b;
      m->slots[id] = calloc(m->nslots[id] + 1, sizeof **m->slots);
      m->bind[op->a] = id;
      m->bound[op->a] = 1;
      break;
    case GCS_OP_SET:
      if (!model_container(m, op->a) || op->b >= m->nslots[m->bind[op->a]] ||
          (op->c != GCS_TRACE_NONE && !m->bound[op->c])) {
        m->bad_line = op->line;
        break;
      }
      m->slots[m->bind[op->a]][op->b] = op->c == GCS_TRACE_NONE ? 0 : m->bind[op->c];
      break;
    case GCS_OP_LOAD:
      if (!model_container(m, op->b) || op->c >= m->nslots[m->bind[op->b]]) {
        m->bad_line = op->line;
        break;
      }
      m->bind[op->a] = m->slots[m->bind[op->b]][op->c];
      m->bound[op->a] = 1;
      break;
    case GCS_OP_DROP:
      if (!m->bound[op->a]) {
        m->bad_line = op->line;
        break;
      }
      m->bind[op->a] = 0;
      m->bound[op->a] = 0;
      break;
    case GCS_OP_LET:
      if (!m->bound[op->b]) {
        m->bad_line = op->line;
        break;
      }
      m->bind[op->a] = m->bind[op->b];
      m->bound[op->a] = 1;
      break;
    case GCS_OP_MARK:
      break;
    default: /* collect: a full one is GEN absent (b 0) or 2 (b 3) */
      if (op->b == 0 || op->b == 3) m->full[m->nfull++] = reachable(m, t->nnames);
    }
  }
  m->rc_leak = rc_leak(m);
}

static void model_free(model *m) {
  for (uint32_t o = 0; o <= m->nobj; o++) free(m->slots[o]);
  free(m->nslots);
  free(m->atom);
  free(m->slots);
  free(m->bind);
  free(m->bound);
}

typedef struct outcome {
  int rc;                     /* gcs_trace_run's */
  char err[1024];             /* its message when rc != 0 */
} outcome;

/* value drawn for knob kn from byte v, as "name=value" into buf */
static void knob_setting(const gcs_knob_t *kn, uint8_t v, char *buf, size_t len) {
  if (kn->choices) {
    int n = 0;
    while (kn->choices[n]) n++;
    snprintf(buf, len, "%s=%s", kn->name, kn->choices[v % n]);
    return;
  }
  int64_t x;
  switch (v & 3) {
  case 0: x = kn->min; break;
  case 1: x = kn->min + (v >> 2); break;
  case 2: x = kn->def; break;
  default: x = kn->def / (1 + (v >> 2) % 8); break;
  }
  if (x < kn->min) x = kn->min;
  if (x > kn->max) x = kn->max;
  snprintf(buf, len, "%s=%lld", kn->name, (long long)x);
}

static void add(gcs_options_t *opts, const char *kv) {
  char err[256];
  FUZZ_CHECK(gcs_options_add(opts, kv, err, sizeof err) == 0, "%s", err);
}

/* Replays t under c with opts and checks it against the model m; fills out. inexact: a knob
** lets an exact collector (is_exact) keep garbage (freezing, untracking). */
static void replay(const gcs_collector_ops *c, const gcs_options_t *opts, int inexact, const gcs_trace_t *t,
                   const model *m, outcome *out) {
  char err[1024];
  FUZZ_CHECK(gcs_heap_open(c, opts, err, sizeof err) == 0, "%s: %s", c->name, err);
  gcs_trace_result_t res;
  out->err[0] = '\0';
  out->rc = gcs_trace_run(t, NULL, &res, out->err, sizeof out->err);
  FUZZ_CHECK(gcs_heap_verify() == 0, "%s: the heap is inconsistent after the replay", c->name);
  int exact = is_exact(c) && !inexact;
  if (out->rc != 0) {
    size_t plen = strlen(t->path);
    char *end;
    unsigned long line = strtoul(out->err + plen + 1, &end, 10);
    FUZZ_CHECK(strncmp(out->err, t->path, plen) == 0 && out->err[plen] == ':' && *end == ':' && line == m->bad_line,
               "%s: stopped with '%s', the model at line %u", c->name, out->err, m->bad_line);
  } else {
    FUZZ_CHECK(m->bad_line == 0, "%s: ran to the end, the model stops at line %u", c->name, m->bad_line);
    FUZZ_CHECK(res.nfull == m->nfull, "%s: %zu full collects, the model %zu", c->name, res.nfull, m->nfull);
    for (size_t k = 0; k < res.nfull; k++)
      FUZZ_CHECK(exact ? res.live_after_full[k] == m->full[k] : res.live_after_full[k] >= m->full[k],
                 "%s: %llu objects live after full collect %zu, the model reaches %llu", c->name,
                 (unsigned long long)res.live_after_full[k], k, (unsigned long long)m->full[k]);
    gcs_trace_result_free(&res);
  }
  gcs_teardown_t td;
  gcs_heap_close(&td);
  const gcs_stats_t *st = &gcs_heap.stats;
  FUZZ_CHECK(st->objects_allocated - st->objects_freed == td.leaked_objects,
             "%s: %llu allocated - %llu freed, but %llu leaked", c->name, (unsigned long long)st->objects_allocated,
             (unsigned long long)st->objects_freed, (unsigned long long)td.leaked_objects);
  FUZZ_CHECK(st->objects_allocated == m->nobj, "%s: %llu objects allocated, the model %u", c->name,
             (unsigned long long)st->objects_allocated, m->nobj);
  if (strcmp(c->name, "none") == 0) FUZZ_CHECK(st->objects_freed == 0, "none freed an object");
  if (strcmp(c->name, "rc") == 0)
    FUZZ_CHECK(td.leaked_objects == m->rc_leak, "rc: %llu objects leaked, the model %llu",
               (unsigned long long)td.leaked_objects, (unsigned long long)m->rc_leak);
  if (exact)
    FUZZ_CHECK(td.leaked_objects == 0, "%s: %llu objects leaked at close", c->name, (unsigned long long)td.leaked_objects);
}

static outcome outs[MAX_COLLECTORS];

static void differential(const gcs_options_t *opts, const gcs_trace_t *t, const model *m) {
  int n = gcs_fuzz_ncollectors();
  FUZZ_CHECK(n <= MAX_COLLECTORS, "%d collectors", n);
  for (int i = 0; i < n; i++) {
    if (skipped(gcs_collectors[i])) {
      outs[i] = outs[0];
      continue;
    }
    replay(gcs_collectors[i], opts, 0, t, m, &outs[i]);
    FUZZ_CHECK(outs[i].rc == outs[0].rc && strcmp(outs[i].err, outs[0].err) == 0, "%s: '%s', but %s: '%s'",
               gcs_collectors[0]->name, outs[0].err, gcs_collectors[i]->name, outs[i].err);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  int n = gcs_fuzz_ncollectors();
  int which = data[0] % (n + 1);
  if (which < n && skipped(gcs_collectors[which])) return 0;
  int npairs = data[1] & 3;
  size_t hdr = 2 + 2 * (size_t)npairs;
  if (size < hdr) return 0;
  gcs_options_t opts = {0};
  if (data[1] & 4) add(&opts, "allocator=system");
  if (data[1] & 8) add(&opts, "release=pool");
  int inexact = 0;
  if (which < n) {
    const gcs_knob_t *kn = gcs_collectors[which]->knobs;
    int nk = 0;
    while (kn && kn[nk].name) nk++;
    for (int i = 0; i < npairs && nk > 0; i++) {
      const gcs_knob_t *k = &kn[data[2 + 2 * i] % nk];
      char kv[160];
      knob_setting(k, data[3 + 2 * i], kv, sizeof kv);
      add(&opts, kv);
      if (strstr(k->name, "freeze") || strstr(k->name, "untrack")) inexact = 1;
    }
  }

  gcs_trace_t t;
  char err[1024];
  if (gcs_trace_load(gcs_fuzz_file(data + hdr, size - hdr), &t, err, sizeof err) != 0) return 0;
  if (t.nops > MAX_OPS) t.nops = MAX_OPS;
  for (size_t i = 0; i < t.nops; i++) {
    gcs_trace_op_t *op = &t.ops[i];
    if (op->code == GCS_OP_NEW && op->b > FUZZ_MAX_SLOTS) op->b = FUZZ_MAX_SLOTS;
    if (op->code == GCS_OP_ATOM && op->b > FUZZ_MAX_BYTES) op->b = FUZZ_MAX_BYTES;
    if (op->code == GCS_OP_NEW && op->c > FUZZ_MAX_BYTES) op->c = FUZZ_MAX_BYTES;
  }
  static model m;
  model_run(&m, &t);
  if (which < n) replay(gcs_collectors[which], &opts, inexact, &t, &m, &outs[0]);
  else differential(&opts, &t, &m);
  model_free(&m);
  gcs_trace_free(&t);
  return 0;
}
