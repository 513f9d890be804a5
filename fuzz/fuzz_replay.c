/*
** fuzz_replay.c — libFuzzer target: a trace parsed and replayed under the collectors of the
** registry, the heap verified at every phase (GCS_DEBUG=3), ASan and UBSan on.
**
** Input: a header, then the trace text.
**   byte 0   which collector: gcs_collectors[b % (n + 1)]; the value n means all of them, one
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
** What it checks, beyond no crash, no sanitizer report, no failed heap verification, no leak:
**   every run   a replay error is "PATH:LINE: ..." with LINE within the trace; the heap is
**               consistent after the run (gcs_heap_verify), open or failed; after close the
**               counters agree (allocated - freed = what close reports as leaked); `none`
**               never frees; a collector that reclaims exactly the unreachable objects
**               (EXACT below) leaks nothing unless a knob froze objects;
**   all of them every collector stops at the same line with the same message, or none does;
**               after each full `collect` the EXACT collectors keep the same number of objects
**               live, and every other one at least that many.
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
static const char *const exact[] = {"cpython", "marksweep", "incremental", "py", NULL};

static int is_exact(const gcs_collector_ops *c) {
  for (int i = 0; exact[i]; i++)
    if (strcmp(exact[i], c->name) == 0) return 1;
  return 0;
}

typedef struct outcome {
  int rc;                     /* gcs_trace_run's */
  char err[1024];             /* its message when rc != 0 */
  uint64_t live_after_full[MAX_OPS];
  size_t nfull;
} outcome;

static size_t count_lines(const uint8_t *data, size_t size) {
  size_t n = 1;
  for (size_t i = 0; i < size; i++)
    if (data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'))) n++;
  return n;
}

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

/* Replays t under c with opts; fills out. frozen: a knob may have frozen objects. */
static void replay(const gcs_collector_ops *c, const gcs_options_t *opts, int frozen, const gcs_trace_t *t,
                   size_t nlines, outcome *out) {
  char err[1024];
  FUZZ_CHECK(gcs_heap_open(c, opts, err, sizeof err) == 0, "%s: %s", c->name, err);
  gcs_trace_result_t res;
  out->err[0] = '\0';
  out->rc = gcs_trace_run(t, &res, out->err, sizeof out->err);
  FUZZ_CHECK(gcs_heap_verify() == 0, "%s: the heap is inconsistent after the replay", c->name);
  if (out->rc != 0) {
    size_t plen = strlen(t->path);
    char *end;
    unsigned long line = strtoul(out->err + plen + 1, &end, 10);
    FUZZ_CHECK(strncmp(out->err, t->path, plen) == 0 && out->err[plen] == ':' && *end == ':' && line >= 1 &&
               line <= nlines, "%s: a replay error without its line: %s", c->name, out->err);
    out->nfull = 0;
  } else {
    out->nfull = res.nfull;
    if (res.nfull) memcpy(out->live_after_full, res.live_after_full, res.nfull * sizeof res.live_after_full[0]);
    gcs_trace_result_free(&res);
  }
  gcs_teardown_t td;
  gcs_heap_close(&td);
  const gcs_stats_t *st = &gcs_heap.stats;
  FUZZ_CHECK(st->objects_allocated - st->objects_freed == td.leaked_objects,
             "%s: %llu allocated - %llu freed, but %llu leaked", c->name, (unsigned long long)st->objects_allocated,
             (unsigned long long)st->objects_freed, (unsigned long long)td.leaked_objects);
  if (strcmp(c->name, "none") == 0) FUZZ_CHECK(st->objects_freed == 0, "none freed an object");
  if (is_exact(c) && !frozen)
    FUZZ_CHECK(td.leaked_objects == 0, "%s: %llu objects leaked at close", c->name, (unsigned long long)td.leaked_objects);
}

static outcome outs[MAX_COLLECTORS];

static void differential(const gcs_options_t *opts, const gcs_trace_t *t, size_t nlines) {
  int n = gcs_fuzz_ncollectors(), first_exact = -1;
  FUZZ_CHECK(n <= MAX_COLLECTORS, "%d collectors", n);
  for (int i = 0; i < n; i++) {
    replay(gcs_collectors[i], opts, 0, t, nlines, &outs[i]);
    if (first_exact < 0 && is_exact(gcs_collectors[i])) first_exact = i;
  }
  for (int i = 1; i < n; i++)
    FUZZ_CHECK(outs[i].rc == outs[0].rc && strcmp(outs[i].err, outs[0].err) == 0, "%s: '%s', but %s: '%s'",
               gcs_collectors[0]->name, outs[0].err, gcs_collectors[i]->name, outs[i].err);
  if (first_exact < 0 || outs[0].rc != 0) return;
  const outcome *e = &outs[first_exact];
  for (int i = 0; i < n; i++) {
    FUZZ_CHECK(outs[i].nfull == e->nfull, "%s: %zu full collects, %s: %zu", gcs_collectors[i]->name, outs[i].nfull,
               gcs_collectors[first_exact]->name, e->nfull);
    for (size_t k = 0; k < e->nfull; k++) {
      if (is_exact(gcs_collectors[i]))
        FUZZ_CHECK(outs[i].live_after_full[k] == e->live_after_full[k], "full collect %zu: %s keeps %llu live, %s %llu",
                   k, gcs_collectors[i]->name, (unsigned long long)outs[i].live_after_full[k],
                   gcs_collectors[first_exact]->name, (unsigned long long)e->live_after_full[k]);
      else
        FUZZ_CHECK(outs[i].live_after_full[k] >= e->live_after_full[k], "full collect %zu: %s keeps %llu live, fewer than %s's %llu",
                   k, gcs_collectors[i]->name, (unsigned long long)outs[i].live_after_full[k],
                   gcs_collectors[first_exact]->name, (unsigned long long)e->live_after_full[k]);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  int n = gcs_fuzz_ncollectors();
  int which = data[0] % (n + 1);
  int npairs = data[1] & 3;
  size_t hdr = 2 + 2 * (size_t)npairs;
  if (size < hdr) return 0;
  gcs_options_t opts = {0};
  if (data[1] & 4) add(&opts, "allocator=system");
  if (data[1] & 8) add(&opts, "release=pool");
  int frozen = 0;
  if (which < n) {
    const gcs_knob_t *kn = gcs_collectors[which]->knobs;
    int nk = 0;
    while (kn && kn[nk].name) nk++;
    for (int i = 0; i < npairs && nk > 0; i++) {
      const gcs_knob_t *k = &kn[data[2 + 2 * i] % nk];
      char kv[160];
      knob_setting(k, data[3 + 2 * i], kv, sizeof kv);
      add(&opts, kv);
      if (strstr(k->name, "freeze")) frozen = 1;
    }
  }

  gcs_trace_t t;
  char err[1024];
  if (gcs_trace_load(gcs_fuzz_file(data + hdr, size - hdr), &t, err, sizeof err) != 0) return 0;
  size_t nlines = count_lines(data + hdr, size - hdr);
  if (t.nops > MAX_OPS) t.nops = MAX_OPS;
  for (size_t i = 0; i < t.nops; i++) {
    gcs_trace_op_t *op = &t.ops[i];
    if (op->code == GCS_OP_NEW && op->b > FUZZ_MAX_SLOTS) op->b = FUZZ_MAX_SLOTS;
    if (op->code == GCS_OP_ATOM && op->b > FUZZ_MAX_BYTES) op->b = FUZZ_MAX_BYTES;
  }
  if (which < n) replay(gcs_collectors[which], &opts, frozen, &t, nlines, &outs[0]);
  else differential(&opts, &t, nlines);
  gcs_trace_free(&t);
  return 0;
}
