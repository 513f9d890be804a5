/*
** test_faults.c — allocation-failure injection (core/fault.h, docs/faults.md): the knobs
** fail_alloc_at=N and fail_alloc_count=K against every collector in gcs_collectors[], under
** the arena and the system allocator (py: CPython's own, its objects injected).
**
** Each case runs in a child process of its own (this binary run again, with the case in its
** environment: a fork of the Criterion worker would inherit threads LeakSanitizer cannot
** suspend), because the clean error of an out-of-memory is an exit (70). The child opens a
** heap with the knobs, runs a small mutator (cycles of containers, atoms, a large atom now and
** then: garbage every collector but `none` and `rc` reclaims, under a bounded live set),
** closes the heap and reports through a file what the injection did. The parent reads its
** exit status and its stderr. Whatever the case, the child must end in one of three ways:
**   completed   exit 0: every injected failure was an object's, and the emergency full
**               collection and retry of core/heap.c (py: py.c's) got past it; the heap closed
**               with nothing still mapped by the arena
**   refused     gcs_heap_open returned an error naming what failed, and left nothing open: a
**               heap opens and closes again in the same process
**   clean error exit 70 with one "gcscope: fatal: ..." line naming what failed and saying
**               the failure was injected
** and never with a signal, a sanitizer report (the debug build's LeakSanitizer runs at the
** child's exit, the error's exit included) or another status.
**
** The sweeps: a dry run counts the allocations of the run and the first of each site; then N
** = each site's first allocation, a spread over the rest, and (one failure only) 1..SWEEP,
** with one failure (fail_alloc_count=1: the retry after an emergency collection succeeds) and
** with every allocation failing from N on (fail_alloc_count=0). Every site the run reaches is
** hit, so the arena, the shadow stack, the pause log, the tables and the live registry (debug
** builds) are all exercised. A ring test shows a persistent refusal survived when the
** emergency collection frees the pools the retry needs; the error-return tests at the end run
** in this process.
**
** Build macros: GCS_DEBUG (>= 2: the live registry is a site), GCS_STRESS (smaller runs).
*/
#include "tests/support.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#if GCS_STRESS
#define ROUNDS 400      /* mutator rounds of a case */
#elif GCS_DEBUG
#define ROUNDS 3000
#else
#define ROUNDS 12000
#endif
#define RING 30000      /* containers of a ring (refuse_after_garbage): three arenas' worth */
#define SWEEP 2         /* the first N, one by one (with fail_alloc_count=1) */
#define SPREAD 2        /* N spread over the rest */

#define EXIT_REFUSED 3   /* the child's status when gcs_heap_open returned an error */

/* What a child reports through the shared page. */
typedef struct report {
  bool opened;                 /* gcs_heap_open succeeded */
  bool reopened;               /* after a refused open: a heap opened and closed again */
  bool completed;              /* the mutator ran to its end and the heap closed */
  uint64_t seen;               /* gcs_fault.seen when the heap closed (or the open failed) */
  uint64_t injected;           /* gcs_fault.injected, idem */
  int site;                    /* gcs_fault.first_failed: -1 when nothing was injected */
  uint64_t first_call[GCS_FAULT_NSITES]; /* gcs_fault.first_call */
  uint64_t emergency;          /* full collections the mutator did not ask for (explicit_collections) */
  uint64_t mapped_after;       /* arena bytes still mapped after close or a refused open */
  uint64_t leaked;             /* objects live at teardown */
} report;

typedef struct outcome {
  int status;                  /* the child's exit status; -signal when killed */
  char err[2048];              /* the start of its stderr */
  report r;
} outcome;

static report rep;             /* the child's report, written to REPORT_FD at its exit */
#define REPORT_FD 3
#define CASE_ENV "GCS_FAULTS_CASE"

/* The mutator: NBIND roots; each round a two-container cycle (dropped: garbage for a cycle
** collector), an atom kept in a ring of the last 8 (the live set), now and then a large atom
** (the arena's large-object path) and an object with slots to the ring. */
#define NBIND 4
static void mutate(int rounds) {
  gcs_obj **r = gcs_frame_push(NBIND);
  gcs_root_set(&r[0], gcs_new(8, 0));
  for (int i = 0; i < rounds; i++) {
    gcs_root_set(&r[1], gcs_new(2, 16));
    gcs_root_set(&r[2], gcs_new(2, 0));
    gcs_store(r[1], 0, r[2]);
    gcs_store(r[2], 0, r[1]);
    gcs_root_set(&r[3], gcs_new_atom(i % 64 == 0 ? 1500 : 24));
    gcs_store(r[1], 1, r[3]);
    gcs_store(r[0], (uint32_t)(i % 8), (i % 3) ? r[3] : r[1]);
    gcs_root_set(&r[1], NULL);
    gcs_root_set(&r[2], NULL);
    gcs_safepoint();
  }
  gcs_frame_pop(r);
}

/* What the injection did, into rep (once: a refused open takes it before opening again). */
static bool snapped;
static bool ring_mode;         /* inside refuse_after_garbage's second ring: an exit counts the
                                  emergency collections */
static void snapshot(void) {
  if (snapped) return;
  snapped = true;
  if (ring_mode) rep.emergency = gcs_heap.stats.explicit_collections;
  rep.seen = gcs_fault.seen;
  rep.injected = gcs_fault.injected;
  rep.site = gcs_fault.first_failed;
  memcpy(rep.first_call, gcs_fault.first_call, sizeof rep.first_call);
}

/* A cycle of n containers, held by *root. */
static void make_ring(gcs_obj **root, gcs_obj **cursor, int n) {
  gcs_root_set(root, gcs_new(1, 32));
  gcs_root_set(cursor, *root);
  for (int i = 1; i < n; i++) {
    gcs_store(*cursor, 0, gcs_new(1, 32));
    gcs_root_set(cursor, gcs_load(*cursor, 0));
  }
  gcs_store(*cursor, 0, *root);
  gcs_root_set(cursor, NULL);
}

/* A ring of n containers is built, collected while live (every table the collector keeps
** grows to it), dropped: garbage on the arena's pools, cyclic, so only a cycle collector
** frees it. Then the page source refuses every allocation, and a second ring of n is built:
** it fits only where the first one was. */
static void refuse_after_garbage(int n) {
  gcs_obj **r = gcs_frame_push(2);
  make_ring(&r[0], &r[1], n);
  gcs_heap_collect(-1);
  gcs_root_set(&r[0], NULL);
  gcs_heap.stats.explicit_collections = 0;
  gcs_fault.at = gcs_fault.seen + 1;
  gcs_fault.count = 0;
  ring_mode = true;
  make_ring(&r[0], &r[1], n);
  ring_mode = false;
  rep.emergency = gcs_heap.stats.explicit_collections;
  gcs_frame_pop(r);
}

/* At the child's exit, the clean error's included: the report, to REPORT_FD. */
static void report_fault(void) {
  snapshot();
  if (pwrite(REPORT_FD, &rep, sizeof rep, 0) != (ssize_t)sizeof rep) _exit(98);
}

static void child_open_failed(const char *err) {
  fprintf(stderr, "gcscope: %s\n", err);
  snapshot();
  rep.mapped_after = gcs_arena_stats()->bytes_mapped;
  /* A failed open leaves nothing open: the same heap opens and closes again. */
  gcs_options_t none = {0};
  char err2[512];
  if (gcs_heap_open(gcs_collector_find("none"), &none, err2, sizeof err2) == 0) {
    gcs_heap_close(NULL);
    rep.reopened = true;
  }
  exit(EXIT_REFUSED);
}

/* The child, a fresh process (the test binary run again with CASE_ENV set: a fork of the
** Criterion worker would inherit its threads, which LeakSanitizer cannot suspend): opens the
** heap with the knobs, runs the mutator, closes; never returns to Criterion.
** The spec: "COLLECTOR ROUNDS RING KNOB=VALUE...": ROUNDS rounds of the mutator, or with
** RING > 0 refuse_after_garbage(RING) instead (the injection re-aimed by hand: the knob only
** arms it). */
__attribute__((constructor)) static void child(void) {
  const char *spec = getenv(CASE_ENV);
  if (spec == NULL) return;
  char collector[32], knob[64];
  int rounds, warm, used;   /* warm: RING */
  if (sscanf(spec, "%31s %d %d%n", collector, &rounds, &warm, &used) != 3) _exit(97);
  gcs_options_t opts = {0};
  char err[512];
  rep.site = -1;
  atexit(report_fault);
  for (const char *p = spec + used; sscanf(p, "%63s%n", knob, &used) == 1; p += used)
    if (gcs_options_add(&opts, knob, err, sizeof err) != 0) {
      fprintf(stderr, "%s\n", err);
      _exit(99);
    }
  if (gcs_heap_open(gcs_collector_find(collector), &opts, err, sizeof err) != 0) child_open_failed(err);
  rep.opened = true;
  if (warm > 0) {
    refuse_after_garbage(warm);
  } else {
    mutate(rounds);
    rep.emergency = gcs_heap.stats.explicit_collections;
  }
  gcs_teardown_t td;
  gcs_heap_close(&td);
  rep.leaked = td.leaked_objects;
  rep.mapped_after = gcs_arena_stats()->bytes_mapped;
  rep.completed = true;
  exit(0);   /* exit, not _exit: LeakSanitizer runs at exit */
}

/* Runs one case in a child (spec: see child()); its status, stderr and report. */
static outcome run_spec(const char *spec) {
  FILE *errf = tmpfile(), *repf = tmpfile();
  cr_assert(errf != NULL && repf != NULL);
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    dup2(fileno(errf), 2);
    dup2(fileno(repf), REPORT_FD);
    setenv(CASE_ENV, spec, 1);
    static char name[] = "test_faults";
    char *argv[] = {name, NULL};
    execv("/proc/self/exe", argv);
    _exit(96);
  }
  int ws;
  cr_assert(waitpid(pid, &ws, 0) == pid);
  outcome o;
  memset(&o, 0, sizeof o);
  o.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws);
  rewind(errf);
  size_t n = fread(o.err, 1, sizeof o.err - 1, errf);
  o.err[n] = '\0';
  fclose(errf);
  o.r.site = -1;
  rewind(repf);
  if (fread(&o.r, 1, sizeof o.r, repf) != sizeof o.r) o.r.site = -1;
  fclose(repf);
  return o;
}

/* One case of the sweeps: ROUNDS rounds under the allocator, failing at `at` `count` times. */
static outcome run_case(const char *collector, const char *allocator, uint64_t at, uint64_t count) {
  char spec[256];
  snprintf(spec, sizeof spec, "%s %d 0 allocator=%s fail_alloc_at=%llu fail_alloc_count=%llu", collector,
           ROUNDS, allocator, (unsigned long long)at, (unsigned long long)count);
  return run_spec(spec);
}

/* The sites where an injected failure is an object's: the emergency collection and retry. */
static bool object_site(int site) {
  return site == GCS_FAULT_ARENA || site == GCS_FAULT_LARGE || site == GCS_FAULT_MALLOC ||
         site == GCS_FAULT_PEER;
}

/* What the message of a clean error must say, by the site that failed (with
** fail_alloc_count=0 the last failure may be another site's: only "injected" is checked). */
static const char *const says[GCS_FAULT_NSITES] = {
  [GCS_FAULT_ARENA] = "out of memory: the arena allocator refused",
  [GCS_FAULT_LARGE] = "out of memory: the arena allocator refused",
  [GCS_FAULT_MALLOC] = "out of memory: the system allocator refused",
  [GCS_FAULT_PEER] = "out of memory: ",
  [GCS_FAULT_ROOTS] = "cannot map the shadow stack",
  [GCS_FAULT_LIVESET] = "live-object registry",
  [GCS_FAULT_OBJTABLE] = "out of memory: cannot map a 65536-byte object-table chunk",
  [GCS_FAULT_GRAY] = "out of memory: cannot grow a gray list",
  [GCS_FAULT_PAUSELOG] = "out of memory: cannot grow the pause log",
  [GCS_FAULT_TRACE] = "out of memory",
};

static const char *site_name(int site) {
  return site >= 0 && site < GCS_FAULT_NSITES ? gcs_fault_site_names[site] : "(none)";
}

/* The checks every case shares (see the file's header); `what` names the case. */
static void check_outcome(const outcome *o, const char *what, const gcs_collector_ops *c,
                          uint64_t count) {
  cr_assert(strstr(o->err, "Sanitizer") == NULL && strstr(o->err, "runtime error") == NULL,
            "%s: a sanitizer report:\n%s", what, o->err);
  int site = o->r.site;
  switch (o->status) {
  case 0:
    cr_assert(o->r.completed, "%s: exit 0 without completing", what);
    cr_assert(o->r.injected > 0 && object_site(site),
              "%s: completed, but the failure injected at '%s' was not an object's (%llu injected)",
              what, site_name(site), (unsigned long long)o->r.injected);
    /* py collects through CPython (py.c's alloc_object), `none` cannot */
    cr_assert(o->r.emergency > 0 || c->alloc_object || !c->collect,
              "%s: an object's allocation failed and no emergency collection ran", what);
    cr_assert_eq(o->r.mapped_after, 0, "%s: %llu bytes still mapped by the arena after close", what,
                 (unsigned long long)o->r.mapped_after);
    break;
  case EXIT_REFUSED:
    cr_assert(o->r.injected > 0, "%s: the open failed with nothing injected:\n%s", what, o->err);
    cr_assert(strstr(o->err, "gcscope: ") != NULL && strlen(o->err) > 10, "%s: no message", what);
    cr_assert_eq(o->r.mapped_after, 0, "%s: the refused open left %llu bytes mapped", what,
                 (unsigned long long)o->r.mapped_after);
    cr_assert(o->r.reopened, "%s: after the refused open no heap opens again", what);
    break;
  case 70:
    cr_assert(o->r.opened, "%s: exit 70 before the heap was open (the open must return an error):\n%s",
              what, o->err);
    cr_assert(o->r.injected > 0, "%s: exit 70 with nothing injected:\n%s", what, o->err);
    cr_assert(strncmp(o->err, "gcscope: fatal: ", 16) == 0 && strchr(o->err, '\n') == strrchr(o->err, '\n'),
              "%s: not one fatal line:\n%s", what, o->err);
    cr_assert(strstr(o->err, "(injected: fail_alloc_at=") != NULL, "%s: the message does not say the failure was injected:\n%s",
              what, o->err);
    if (count == 1) {
      /* a peer's own system reports a page source's refusal in its own words (Lua: "not
      ** enough memory", through its panic function) */
      const char *want = site >= 0 ? says[site] : "";
      if (c->alloc_object && object_site(site)) want = "memory";
      cr_assert(site >= 0 && strstr(o->err, want) != NULL, "%s: failed at '%s', expected \"%s\" in:\n%s",
                what, site_name(site), want, o->err);
      cr_assert(!object_site(site), "%s: one failure of an object's allocation (%s) was not survived:\n%s",
                what, site_name(site), o->err);
    }
    break;
  default:
    cr_assert_fail("%s: status %d (a negative one is a signal):\n%s", what, o->status, o->err);
  }
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Sweeps fail_alloc_at over a run of `collector` under `allocator`, with fail_alloc_count
** `count`: N = the first call of every site the dry run reached, SPREAD more spread over the
** run, and with count 1 also 1..SWEEP. Checks every case, then that every site the dry run
** reached was hit. (Every N of a run, by hand: tests/test-cli.sh's block, or a loop over
** `gcscope run --set fail_alloc_at=N`; docs/faults.md.) */
static void sweep(const char *collector, const char *allocator, uint64_t count, const outcome *dry) {
  uint64_t k = dry->r.seen;
  uint64_t ns[SWEEP + GCS_FAULT_NSITES + SPREAD];
  size_t nn = 0;
  for (uint64_t n = 1; count == 1 && n <= SWEEP && n <= k; n++) ns[nn++] = n;
  for (int s = 0; s < GCS_FAULT_NSITES; s++)
    if (dry->r.first_call[s] > 0) ns[nn++] = dry->r.first_call[s];
  for (uint64_t i = 1; i <= SPREAD && k > SWEEP; i++) ns[nn++] = SWEEP + i * (k - SWEEP) / (SPREAD + 1);
  qsort(ns, nn, sizeof ns[0], cmp_u64);
  bool hit[GCS_FAULT_NSITES] = {false};
  for (size_t i = 0; i < nn; i++) {
    if (i > 0 && ns[i] == ns[i - 1]) continue;
    char what[160];
    snprintf(what, sizeof what, "%s/%s fail_alloc_at=%llu fail_alloc_count=%llu (of %llu)",
             collector, allocator, (unsigned long long)ns[i], (unsigned long long)count,
             (unsigned long long)k);
    outcome o = run_case(collector, allocator, ns[i], count);
    check_outcome(&o, what, gcs_collector_find(collector), count);
    if (o.r.site >= 0) hit[o.r.site] = true;
  }
  for (int s = 0; s < GCS_FAULT_NSITES; s++)
    cr_assert(hit[s] || dry->r.first_call[s] == 0, "%s/%s fail_alloc_count=%llu: no case failed at '%s'",
              collector, allocator, (unsigned long long)count, gcs_fault_site_names[s]);
}

/* The sites every run must reach: the shadow stack, the page source of its objects, the pause
** log of every collector that pauses (rc only above a cascade's cut-off), the debug registry. */
static void check_reach(const char *collector, const char *allocator, const outcome *dry) {
  const gcs_collector_ops *c = gcs_collector_find(collector);
  int want[4], n = 0;
  want[n++] = GCS_FAULT_ROOTS;
  want[n++] = c->alloc_object ? GCS_FAULT_PEER : strcmp(allocator, "arena") == 0 ? GCS_FAULT_ARENA : GCS_FAULT_MALLOC;
  if (c->collect && strcmp(collector, "rc") != 0) want[n++] = GCS_FAULT_PAUSELOG;
  if (GCS_DEBUG >= 2) want[n++] = GCS_FAULT_LIVESET;
  for (int i = 0; i < n; i++)
    cr_assert(dry->r.first_call[want[i]] > 0, "%s/%s: the run never allocated at '%s'", collector,
              allocator, gcs_fault_site_names[want[i]]);
}

ParameterizedTestParameters(faults, every_collector) {
  static int idx[16];
  size_t n = 0;
  while (gcs_collectors[n] && n < 16) {
    idx[n] = (int)n;
    n++;
  }
  return cr_make_param_array(int, idx, n);
}

/* Every collector, both allocators, one failure and every failure from N on. */
ParameterizedTest(int *i, faults, every_collector) {
  const char *collector = gcs_collectors[*i]->name;
  static const char *const allocators[] = {"arena", "system"};
  for (int a = 0; a < 2; a++) {
    if (gcs_collectors[*i]->alloc_object && a == 1) continue;   /* py: CPython's allocator */
    outcome dry = run_case(collector, allocators[a], (uint64_t)INT64_MAX, 1);
    cr_assert_eq(dry.status, 0, "%s/%s: the dry run failed (status %d):\n%s", collector,
                 allocators[a], dry.status, dry.err);
    cr_assert(dry.r.completed && dry.r.injected == 0 && dry.r.seen > 0);
    check_reach(collector, allocators[a], &dry);
    sweep(collector, allocators[a], 1, &dry);
    sweep(collector, allocators[a], 0, &dry);
  }
}

/* ------------------------------------------------------------------------------------ */
/* Error returns at open, in this process                                                 */
/* ------------------------------------------------------------------------------------ */

/* Opens collector c with the knobs; returns gcs_heap_open's result, its message in err. */
static int open_with(const char *c, const char *const *knobs, char *err, size_t errlen) {
  gcs_options_t opts = {0};
  for (int i = 0; knobs[i]; i++) cr_assert(gcs_options_add(&opts, knobs[i], err, errlen) == 0, "%s", err);
  return gcs_heap_open(gcs_collector_find(c), &opts, err, errlen);
}

/* A refused open leaves nothing open: nothing mapped by the arena or as the shadow stack, and
** the next open succeeds. */
static void check_nothing_left(void) {
  cr_assert_null(gcs_heap.ops);
  cr_assert_null(gcs_heap.roots_base, "the shadow stack is still mapped");
  cr_assert_eq(gcs_arena_stats()->bytes_mapped, 0, "the arena still maps %llu bytes",
               (unsigned long long)gcs_arena_stats()->bytes_mapped);
  ts_open("none", NULL);
  ts_close();
}

/* An open of collector c with the knobs fails at `site`, with ENOMEM and a message that
** contains `message` and says the failure was injected, and leaves nothing open. */
static void check_refused_open(const char *c, const char *const *knobs, gcs_fault_site site,
                               const char *message) {
  char err[512];
  cr_assert_eq(open_with(c, knobs, err, sizeof err), ENOMEM, "%s: the open did not fail", c);
  cr_assert_eq(gcs_fault.first_failed, (int)site, "%s: failed at %d, not %s", c, gcs_fault.first_failed,
               gcs_fault_site_names[site]);
  cr_assert(strstr(err, message) && strstr(err, "injected"), "%s", err);
  check_nothing_left();
}

#if GCS_DEBUG >= 2
/* The registry is the second allocation of an open (after the shadow stack). */
Test(faults, live_registry_at_open_is_an_error_return) {
  const char *knobs[] = {"fail_alloc_at=2", NULL};
  check_refused_open("none", knobs, GCS_FAULT_LIVESET, "cannot allocate the live-object registry");
}
#endif

/* The shadow stack is the first allocation of an open. */
Test(faults, shadow_stack_at_open_is_an_error_return) {
  const char *knobs[] = {"fail_alloc_at=1", NULL};
  check_refused_open("cpython", knobs, GCS_FAULT_ROOTS, "cannot map the shadow stack");
}

/* The ordinal of `site`'s first allocation in an open of collector c with the knobs (a dry
** run: the knob armed past the end). */
static uint64_t first_call_at_open(const char *c, const char *allocator, gcs_fault_site site) {
  const char *knobs[] = {"fail_alloc_at=9223372036854775807", allocator, NULL};
  char err[512];
  cr_assert_eq(open_with(c, knobs, err, sizeof err), 0, "%s", err);
  uint64_t n = gcs_fault.first_call[site];
  ts_close();
  cr_assert(n > 0, "%s: its open made no %s allocation", c, gcs_fault_site_names[site]);
  return n;
}

/* marksweep maps its object table's first chunk in init: a refusal is the open's error (it
** was an exit), and the heap's memory is given back with the collector still known (the
** debug build's system allocator frees what leaked through it: it was a NULL dereference). */
Test(faults, collector_init_refused_is_an_error_return) {
  for (int a = 0; a < 2; a++) {
    const char *allocator = a ? "allocator=system" : "allocator=arena";
    char at[64];
    snprintf(at, sizeof at, "fail_alloc_at=%llu",
             (unsigned long long)first_call_at_open("marksweep", allocator, GCS_FAULT_OBJTABLE));
    const char *knobs[] = {at, allocator, NULL};
    check_refused_open("marksweep", knobs, GCS_FAULT_OBJTABLE,
                       "collector marksweep failed to start: Cannot allocate memory");
  }
}

/* ------------------------------------------------------------------------------------ */
/* A page source that stays refused                                                       */
/* ------------------------------------------------------------------------------------ */

/* The arena's page source refuses everything once a cyclic ring of containers has become
** garbage (refuse_after_garbage): a collector that reclaims cycles frees it in the emergency
** collection and the retry is served from the pools it held, object after object (one that
** reclaims the ring before it needs the page source, cpython-inc's increments, is never
** refused); `none`
** keeps it and `rc` leaks it: their retry fails, a clean error. The pause log is off (its
** growth would be refused too: the sweeps cover it). py allocates through CPython: its
** injected failure is the object's own, which no collection undoes. Release build only: the
** debug registry of the other builds is a table too, and it rehashes as objects die. */
#if GCS_DEBUG < 2
Test(faults, refused_page_source_survived_when_a_collection_frees) {
  bool cpython_survived = false;
  for (int i = 0; gcs_collectors[i]; i++) {
    const gcs_collector_ops *c = gcs_collectors[i];
    char spec[256], what[128];
    snprintf(spec, sizeof spec, "%s 0 %d allocator=arena release=none pause_log=off fail_alloc_at=%lld",
             c->name, RING, (long long)INT64_MAX);
    snprintf(what, sizeof what, "%s: every page-source allocation refused once a ring is garbage", c->name);
    outcome o = run_spec(spec);
    bool reclaims = c->collect && strcmp(c->name, "rc") != 0 && !c->alloc_object;
    cr_log_info("%s: exit %d, first refused at '%s', %llu refused, %llu emergency collections", c->name, o.status,
                site_name(o.r.site), (unsigned long long)o.r.injected, (unsigned long long)o.r.emergency);
    if (reclaims && o.status == 0 && o.r.injected == 0) continue;  /* it reclaimed the ring in time */
    check_outcome(&o, what, c, 0);
    if (reclaims) {
      /* an incremental collector may need its object table before any object is refused */
      bool table_first = o.status == 70 && strstr(o.err, "object-table chunk");
      cr_assert(o.r.injected > 0 && (o.r.emergency > 0 || table_first),
                "%s: %llu injected, %llu emergency collections", what, (unsigned long long)o.r.injected,
                (unsigned long long)o.r.emergency);
      cr_assert(o.status == 0 || (o.status == 70 && strstr(o.err, "object-table chunk")),
                "%s: exit %d:\n%s", what, o.status, o.err);
      cpython_survived |= strcmp(c->name, "cpython") == 0 && o.status == 0;
    } else {
      if (c->alloc_object && o.status == 0 && o.r.injected == 0) continue;  /* bdwgc's own pages */
      cr_assert_eq(o.status, 70, "%s: exit %d:\n%s", what, o.status, o.err);
      cr_assert(strstr(o.err, c->alloc_object ? "memory" : "the arena allocator refused"), "%s:\n%s",
                what, o.err);
    }
  }
  cr_assert(cpython_survived, "cpython did not survive the refusals by its emergency collections");
}
#endif
