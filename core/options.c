/*
** options.c — knobs: `--set name=value`, validated against the tables of the core and of the
** open collector, then read by name with gcs_knob().
**
** Three tables: the core's, the collector's, the workload's. Invariants: between
** gcs_options_resolve and gcs_options_clear, `values[t][k]` holds the effective value of knob
** k of table t (the user's, else the default) and lies within [min, max]. A knob name is
** unique across the tables (checked when they are resolved).
**
** Values are decimal integers, or for a knob with `choices` one of its names (or the index:
** a boolean knob's choices are gcs_knob_off_on, so off/on and 0/1 both set it). Every number
** goes through gcs_parse_u64/gcs_parse_i64 (below), the strict parser the command line's flags
** and the trace reader use too: " 5", "+5", "5 " and "0x5" are not numbers.
*/
#include "core/options.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const allocator_names[] = {"arena", "system", NULL};
static const char *const release_names[] = {"arena", "pool", "none", NULL};
const char *const gcs_knob_off_on[] = {"off", "on", NULL};

const gcs_knob_t gcs_core_knobs[] = {
  {"allocator", GCS_ALLOC_ARENA, 0, 1, allocator_names,
   "where objects come from: the pymalloc-shaped arena, or malloc (glibc; jemalloc or mimalloc when preloaded)"},
  {"release", GCS_RELEASE_ARENA, 0, 2, release_names,
   "how the arena returns memory: whole arenas (pymalloc), also empty pools (madvise), never"},
  {"purge_delay_ms", GCS_ARENA_PURGE_DELAY_MS_DEFAULT, 0, 60000, NULL,
   "release=pool: how long a pool stays empty before it is madvise'd away"},
  {"roots_max", 1 << 20, 16, (int64_t)1 << 30, NULL, "shadow-stack capacity, in roots"},
  {"pause_log", 1, 0, 1, gcs_knob_off_on, "log every pause (off: to measure what the logging costs)"},
  {"pause_cpu", 1, 0, 1, gcs_knob_off_on,
   "read the thread's CPU time around every pause (off: no system call per pause, no descheduled count; MMU without that cost)"},
  {"baseline_objects", 0, 0, (int64_t)1 << 32, NULL,
   "long-lived containers every run starts with, held by a root (a process's interpreter and module objects)"},
  {"backlog_every", 0, 0, (int64_t)1 << 40, NULL,
   "sample the trash backlog (unreachable, not yet reclaimed) every N allocations; 0 = off (a backlog run: its times include the marking)"},
  {NULL, 0, 0, 0, NULL, NULL},
};

#define MAX_KNOBS 64
#define NTABLES 3
static const gcs_knob_t *tables[NTABLES]; /* core, collector, workload (the last two may be NULL) */
static int64_t values[NTABLES][MAX_KNOBS]; /* effective values, parallel to the tables */
static bool given[NTABLES][MAX_KNOBS];     /* set by the user (--set), not the table's default */

int gcs_parse_u64(const char *s, uint64_t max, uint64_t *out) {
  if (*s == '\0') return EINVAL;
  uint64_t v = 0;
  bool over = false;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return EINVAL;
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10) over = true; /* keep going: a later non-digit is EINVAL */
    else v = v * 10 + d;
  }
  if (over || v > max) return ERANGE;
  *out = v;
  return 0;
}

int gcs_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out) {
  bool neg = s[0] == '-' && min < 0;
  uint64_t mag;
  int rc = gcs_parse_u64(s + neg, UINT64_MAX, &mag);
  if (rc) return rc;
  if (mag > (uint64_t)INT64_MAX + neg) return ERANGE;
  int64_t v = !neg ? (int64_t)mag : mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
  if (v < min || v > max) return ERANGE;
  *out = v;
  return 0;
}

int gcs_options_add(gcs_options_t *opts, const char *assignment, char *err, size_t errlen) {
  const char *eq = strchr(assignment, '=');
  if (eq == NULL || eq == assignment || eq[1] == '\0') {
    snprintf(err, errlen, "--set %s: expected name=value", assignment);
    return EINVAL;
  }
  size_t nlen = (size_t)(eq - assignment), vlen = strlen(eq + 1);
  if (nlen >= sizeof opts->set[0].name || vlen >= sizeof opts->set[0].value) {
    snprintf(err, errlen, "--set %s: name or value too long", assignment);
    return EINVAL;
  }
  if (opts->n == GCS_MAX_OPTIONS) {
    snprintf(err, errlen, "--set %s: more than %d options", assignment, GCS_MAX_OPTIONS);
    return EINVAL;
  }
  memcpy(opts->set[opts->n].name, assignment, nlen);
  opts->set[opts->n].name[nlen] = '\0';
  memcpy(opts->set[opts->n].value, eq + 1, vlen + 1);
  opts->n++;
  return 0;
}

static const gcs_knob_t *find(const char *name, int *t, int *k) {
  for (int ti = 0; ti < NTABLES; ti++) {
    if (tables[ti] == NULL) continue;
    for (int ki = 0; tables[ti][ki].name; ki++) {
      if (strcmp(tables[ti][ki].name, name) == 0) {
        *t = ti;
        *k = ki;
        return &tables[ti][ki];
      }
    }
  }
  return NULL;
}

/* Appends sep (unless buf is empty) and s to buf[0..len), *used bytes long; a list that does
** not fit ends in "..." (it is a message's, so it is cut, not refused). */
static void append(char *buf, size_t len, size_t *used, const char *sep, const char *s) {
  static const char more[] = "...";
  if (*used + sizeof more > len) return; /* already cut */
  int n = snprintf(buf + *used, len - *used, "%s%s", *used ? sep : "", s);
  if (n >= 0 && *used + (size_t)n + sizeof more <= len) {
    *used += (size_t)n;
  } else {
    memcpy(buf + *used, more, sizeof more);
    *used = len; /* nothing more goes in */
  }
}

static void list_names(char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (int ti = 0; ti < NTABLES; ti++) {
    if (tables[ti] == NULL) continue;
    for (int ki = 0; tables[ti][ki].name; ki++) append(buf, len, &used, ", ", tables[ti][ki].name);
  }
}

static int parse_value(const gcs_knob_t *kn, const char *s, int64_t *out) {
  if (kn->choices) {
    for (int i = 0; kn->choices[i]; i++) {
      if (strcmp(kn->choices[i], s) == 0) {
        *out = i;
        return 0;
      }
    }
  }
  return gcs_parse_i64(s, kn->min, kn->max, out);
}

static void describe_range(const gcs_knob_t *kn, char *buf, size_t len) {
  if (kn->choices) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; kn->choices[i]; i++) append(buf, len, &used, "|", kn->choices[i]);
  } else {
    snprintf(buf, len, "an integer in %lld..%lld", (long long)kn->min, (long long)kn->max);
  }
}

int gcs_options_resolve(const gcs_collector_ops *c, const gcs_options_t *opts, char *err,
                        size_t errlen) {
  tables[0] = gcs_core_knobs;
  tables[1] = c->knobs;
  tables[2] = opts ? opts->workload_knobs : NULL;
  for (int t = 0; t < NTABLES; t++) {
    for (int k = 0; tables[t] && tables[t][k].name; k++) {
      int t2, k2;
      if (k >= MAX_KNOBS) gcs_fatal("knob table %d has more than %d knobs", t, MAX_KNOBS);
      if (find(tables[t][k].name, &t2, &k2) != &tables[t][k])
        gcs_fatal("knob %s is defined twice (tables %d and %d)", tables[t][k].name, t2, t);
      values[t][k] = tables[t][k].def;
      given[t][k] = false;
    }
  }
  for (int i = 0; opts && i < opts->n; i++) {
    int t, k;
    const gcs_knob_t *kn = find(opts->set[i].name, &t, &k);
    if (kn == NULL) {
      char names[512];
      list_names(names, sizeof names);
      snprintf(err, errlen, "--set %s: no knob of that name for collector %s (knobs: %s)",
               opts->set[i].name, c->name, names);
      gcs_options_clear();
      return EINVAL;
    }
    int64_t v;
    if (parse_value(kn, opts->set[i].value, &v) != 0) {
      char range[256];
      describe_range(kn, range, sizeof range);
      snprintf(err, errlen, "--set %s=%s: expected %s", kn->name, opts->set[i].value, range);
      gcs_options_clear();
      return EINVAL;
    }
    values[t][k] = v;
    given[t][k] = true;
  }
  return 0;
}

void gcs_options_clear(void) {
  for (int t = 0; t < NTABLES; t++) tables[t] = NULL;
}

int64_t gcs_knob(const char *name) {
  int t, k;
  if (find(name, &t, &k) == NULL) gcs_fatal("gcs_knob(\"%s\"): no such knob is open", name);
  return values[t][k];
}

void gcs_knob_default(const char *name, int64_t value) {
  int t, k;
  const gcs_knob_t *kn = find(name, &t, &k);
  if (kn == NULL) gcs_fatal("gcs_knob_default(\"%s\"): no such knob is open", name);
  GCS_ASSERT_INTERNAL(value >= kn->min && value <= kn->max);
  if (!given[t][k]) values[t][k] = value;
}

void gcs_options_describe(FILE *f, const gcs_collector_ops *c, const gcs_knob_t *workload_knobs) {
  const gcs_knob_t *tabs[NTABLES] = {gcs_core_knobs, c ? c->knobs : NULL, workload_knobs};
  for (int t = 0; t < NTABLES; t++) {
    for (int k = 0; tabs[t] && tabs[t][k].name; k++) {
      const gcs_knob_t *kn = &tabs[t][k];
      char range[256];
      describe_range(kn, range, sizeof range);
      if (kn->choices)
        fprintf(f, "  %-18s %s (default %s)\n      %s\n", kn->name, range, kn->choices[kn->def], kn->help);
      else
        fprintf(f, "  %-18s %s (default %lld)\n      %s\n", kn->name, range, (long long)kn->def, kn->help);
    }
  }
}

void gcs_heap_write_options(gcs_json_t *j) {
  for (int t = 0; t < NTABLES; t++) {
    for (int k = 0; tables[t] && tables[t][k].name; k++) {
      const gcs_knob_t *kn = &tables[t][k];
      if (kn->choices)
        gcs_json_str(j, kn->name, kn->choices[values[t][k]]);
      else
        gcs_json_int(j, kn->name, values[t][k]);
    }
  }
}
