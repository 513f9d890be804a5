/*
** fuzz_options.c — libFuzzer target: knob parsing, `--set name=value` (core/options.c), against
** the knob tables of the core, a collector and a workload.
**
** Input: byte 0 picks the collector (gcs_collectors[b % n]), byte 1 the workload whose knobs
** are the third table (gcs_workloads[b % (m + 1)], the value m: none); the rest is a list of
** assignments, one per line ('\n' or NUL ends one).
**
** What it checks:
**   gcs_options_add     accepts exactly "NAME=VALUE" with both non-empty and short enough,
**                       and keeps both as written; otherwise a message "--set ...";
**   gcs_options_resolve on success: every knob of the three tables within [min, max], each
**                       knob holding the value of the last assignment to it (a choice's
**                       index, else the number the value spells), every other knob its
**                       default; on failure: a message naming the assignment ("--set ...");
**                       an assignment in canonical form — a knob's name and one of its
**                       choices, or a decimal integer without sign, blank or leading zero
**                       ("-" before a negative one) within its range — is never refused.
** (Whether a value like " 5" or "+5" is refused is the parser's rule, not checked here: only
** what holds under either rule.)
*/
#include "fuzz/fuzz.h"
#include "collectors/collectors.h"
#include "workloads/workloads.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 16

/* Canonical decimal: "0", or an optional '-' then a digit 1-9 then digits; within int64. */
static int canonical(const char *s, int64_t *out) {
  const char *p = s + (*s == '-');
  if (!(*p >= '1' && *p <= '9') && strcmp(s, "0") != 0) return 0;
  for (const char *q = p; *q; q++)
    if (*q < '0' || *q > '9') return 0;
  errno = 0;
  long long v = strtoll(s, NULL, 10);
  if (errno) return 0;
  *out = v;
  return 1;
}

/* The value s spells for knob kn under the lenient rule (strtoll, or a choice), 0 if none. */
static int spelled(const gcs_knob_t *kn, const char *s, int64_t *out) {
  for (int i = 0; kn->choices && kn->choices[i]; i++) {
    if (strcmp(kn->choices[i], s) == 0) {
      *out = i;
      return 1;
    }
  }
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end) return 0;
  *out = v;
  return 1;
}

static const gcs_knob_t *lookup(const gcs_knob_t *const tabs[3], const char *name) {
  for (int t = 0; t < 3; t++)
    for (int k = 0; tabs[t] && tabs[t][k].name; k++)
      if (strcmp(tabs[t][k].name, name) == 0) return &tabs[t][k];
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  int nc = gcs_fuzz_ncollectors(), nw = 0;
  while (gcs_workloads[nw]) nw++;
  const gcs_collector_ops *c = gcs_collectors[data[0] % nc];
  int wi = data[1] % (nw + 1);
  gcs_options_t opts = {0};
  opts.workload_knobs = wi < nw ? gcs_workloads[wi]->knobs : NULL;
  const gcs_knob_t *const tabs[3] = {gcs_core_knobs, c->knobs, opts.workload_knobs};

  /* the lines, NUL-terminated copies */
  char *text = malloc(size - 2 + 1);
  memcpy(text, data + 2, size - 2);
  text[size - 2] = '\0';
  char *lines[MAX_LINES];
  int nlines = 0;
  for (char *p = text, *end = text + (size - 2); p <= end && nlines < MAX_LINES;) {
    char *e = p;
    while (e < end && *e != '\n' && *e != '\0') e++;
    *e = '\0';
    lines[nlines++] = p;
    p = e + 1;
  }

  char err[1024];
  int canon_ok = 1; /* every assignment added is canonical and within its knob's range */
  for (int i = 0; i < nlines; i++) {
    const char *a = lines[i], *eq = strchr(a, '=');
    int before = opts.n;
    err[0] = '\0';
    int rc = gcs_options_add(&opts, a, err, sizeof err);
    if (rc != 0) {
      FUZZ_CHECK(opts.n == before, "a refused assignment was kept");
      FUZZ_CHECK(strncmp(err, "--set ", 6) == 0, "message: %s", err);
      FUZZ_CHECK(eq == NULL || eq == a || eq[1] == '\0' || (size_t)(eq - a) >= sizeof opts.set[0].name ||
                 strlen(eq + 1) >= sizeof opts.set[0].value,
                 "'%s' refused: %s", a, err);
      continue;
    }
    FUZZ_CHECK(eq != NULL && eq != a && eq[1] != '\0', "'%s' accepted", a);
    FUZZ_CHECK(opts.n == before + 1, "accepted but not kept");
    FUZZ_CHECK(strncmp(opts.set[before].name, a, (size_t)(eq - a)) == 0 && opts.set[before].name[eq - a] == '\0' &&
               strcmp(opts.set[before].value, eq + 1) == 0, "'%s' kept as '%s'='%s'", a, opts.set[before].name,
               opts.set[before].value);
    const gcs_knob_t *kn = lookup(tabs, opts.set[before].name);
    int64_t v;
    int is_choice = 0;
    for (int k = 0; kn && kn->choices && kn->choices[k]; k++) is_choice |= strcmp(kn->choices[k], eq + 1) == 0;
    if (!kn || !(is_choice || (canonical(eq + 1, &v) && v >= kn->min && v <= kn->max))) canon_ok = 0;
  }

  err[0] = '\0';
  int rc = gcs_options_resolve(c, &opts, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(strncmp(err, "--set ", 6) == 0, "message: %s", err);
    FUZZ_CHECK(!canon_ok, "canonical assignments refused: %s", err);
  } else {
    for (int t = 0; t < 3; t++) {
      for (int k = 0; tabs[t] && tabs[t][k].name; k++) {
        const gcs_knob_t *kn = &tabs[t][k];
        int64_t want = kn->def, got = gcs_knob(kn->name);
        for (int i = 0; i < opts.n; i++)
          if (strcmp(opts.set[i].name, kn->name) == 0)
            FUZZ_CHECK(spelled(kn, opts.set[i].value, &want), "%s=%s accepted", kn->name, opts.set[i].value);
        FUZZ_CHECK(got == want && got >= kn->min && got <= kn->max, "%s = %lld, expected %lld in %lld..%lld", kn->name,
                   (long long)got, (long long)want, (long long)kn->min, (long long)kn->max);
      }
    }
    gcs_options_clear();
  }
  free(text);
  return 0;
}
