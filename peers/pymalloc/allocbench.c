/*
** allocbench.c — our arena allocator (core/arena.c) against CPython 3.11's pymalloc
** (PyObject_Malloc/PyObject_Free from libpython3.11.so, no interpreter started) and glibc
** malloc/free. Two subcommands, each a table on stdout:
**
**   allocbench speed    ns per malloc+free pair of 32..64-byte objects (sizes cycle
**                       32, 33, .., 64), three patterns: immediate free; batches of 100
**                       (alloc 100, then free them in order); random frees over a 1M-object
**                       live set (each step frees a random live object and allocates its
**                       replacement). Four columns with equal weight: ours as built
**                       (GCS_ARENA_RETAIN=1, the default), ours with GCS_ARENA_RETAIN=0
**                       (pymalloc's behaviour exactly: the sibling binary
**                       build/allocbench-noretain), pymalloc, glibc. Every measurement is
**                       a fresh process (`speed-once`) that runs the pattern once untimed,
**                       then once timed; the allocators are interleaved within every
**                       repetition (their order rotates); the median and min-max of REPS
**                       repetitions are reported, and of the per-repetition ratios.
**   allocbench return   memory return: 8M x 64-byte objects allocated, then freed all / 90%
**                       one by one at random / 90% in runs of 100 / in runs of 1,000
**                       consecutive allocations; the share of the freed objects' memory that
**                       left RSS, for our arena under each release policy, glibc (as it
**                       behaves; and with malloc_trim(0) at the end), and pymalloc. Every
**                       case runs in a fresh process (this program re-executed with the hidden
**                       argument `return-case`), so RSS starts clean.
**
** Which pymalloc: the one in libpython3.11.so (Debian's shared build, position-independent,
** reached through PyObject_Malloc's allocator function pointer), not the copy statically
** linked into /usr/bin/python3.11 (`ldd` shows no libpython; its PyObject_Malloc calls the
** allocator directly): the interpreter's pymalloc may be faster than this column.
**
** Invariants: the work cannot be optimised away — every block gets a word written and its
** address escapes through an empty asm; each allocator runs the same loop code (macros
** instantiate it per allocator, so nobody pays an indirect call the others do not).
** pymalloc needs no Py_Initialize in 3.11: its allocators are statically initialised; `speed`
** verifies it (the allocator name is "pymalloc" and pymalloc's own stats show arenas).
**
** Build macros: GCS_ARENA_RETAIN (core/arena.h): `make build/allocbench` builds it with the
** default 1, `make build/allocbench-noretain` with 0; both -O2 -DNDEBUG.
*/
#include <Python.h>   /* first, as the CPython docs require */

#include "core/arena.h"
#include "core/internal.h"
#include "core/rng.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Exported by libpython3.11, declared in no public header. */
extern const char *_PyMem_GetCurrentAllocatorName(void);
extern int _PyObject_DebugMallocStats(FILE *out);

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")
#define REPS 9
#define MIN_SIZE 32
#define NSIZES 33                    /* 32..64 */
#define PAIRS_SIMPLE (20u * 1000 * 1000)
#define LIVE (1u << 20)              /* the random pattern's live set */
#define PAIRS_RANDOM (4u * 1000 * 1000)


/* --------------------------------------------------------------------------------------
** speed
** ------------------------------------------------------------------------------------ */

enum { A_OURS, A_PYMALLOC, A_GLIBC, NALLOC };
enum { P_IMMEDIATE, P_BATCH, P_RANDOM, NPATTERN };
static const char *const pattern_names[NPATTERN] = {"immediate free", "batches of 100",
                                                    "random, 1M live"};

static void *slots[LIVE];            /* live set of the random pattern, and the batch */
static uint8_t slot_size[LIVE];      /* the size each slot was allocated with */

/* One set of pattern functions per allocator: ALLOC(n) and FREE(p, n) are direct calls. */
#define DEFINE_PATTERNS(name, ALLOC, FREE)                                             \
  static double immediate_##name(void) {                                              \
    uint32_t s = 0;                                                                   \
    uint64_t t0 = gcs_now_ns();                                                           \
    for (uint32_t i = 0; i < PAIRS_SIMPLE; i++) {                                     \
      size_t n = MIN_SIZE + s;                                                        \
      if (++s == NSIZES) s = 0;                                                       \
      uint64_t *p = ALLOC(n);                                                         \
      p[0] = i;                                                                       \
      ESCAPE(p);                                                                      \
      FREE(p, n);                                                                     \
    }                                                                                 \
    return (double)(gcs_now_ns() - t0) / PAIRS_SIMPLE;                                    \
  }                                                                                   \
  static double batch_##name(void) {                                                  \
    uint32_t s = 0;                                                                   \
    uint64_t t0 = gcs_now_ns();                                                           \
    for (uint32_t b = 0; b < PAIRS_SIMPLE / 100; b++) {                               \
      for (uint32_t i = 0; i < 100; i++) {                                            \
        size_t n = MIN_SIZE + s;                                                      \
        if (++s == NSIZES) s = 0;                                                     \
        uint64_t *p = ALLOC(n);                                                       \
        p[0] = i;                                                                     \
        ESCAPE(p);                                                                    \
        slots[i] = p;                                                                 \
        slot_size[i] = (uint8_t)n;                                                    \
      }                                                                               \
      for (uint32_t i = 0; i < 100; i++) FREE(slots[i], slot_size[i]);                \
    }                                                                                 \
    return (double)(gcs_now_ns() - t0) / PAIRS_SIMPLE;                                    \
  }                                                                                   \
  static double random_##name(void) {                                                 \
    uint32_t s = 0;                                                                   \
    uint64_t rng = 42;                                                                \
    for (uint32_t i = 0; i < LIVE; i++) { /* untimed: build the live set */           \
      size_t n = MIN_SIZE + s;                                                        \
      if (++s == NSIZES) s = 0;                                                       \
      uint64_t *p = ALLOC(n);                                                         \
      p[0] = i;                                                                       \
      slots[i] = p;                                                                   \
      slot_size[i] = (uint8_t)n;                                                      \
    }                                                                                 \
    uint64_t t0 = gcs_now_ns();                                                           \
    for (uint32_t i = 0; i < PAIRS_RANDOM; i++) {                                     \
      uint32_t j = (uint32_t)(gcs_rng_next(&rng) & (LIVE - 1));                          \
      FREE(slots[j], slot_size[j]);                                                   \
      size_t n = MIN_SIZE + s;                                                        \
      if (++s == NSIZES) s = 0;                                                       \
      uint64_t *p = ALLOC(n);                                                         \
      p[0] = i;                                                                       \
      ESCAPE(p);                                                                      \
      slots[j] = p;                                                                   \
      slot_size[j] = (uint8_t)n;                                                      \
    }                                                                                 \
    double ns = (double)(gcs_now_ns() - t0) / PAIRS_RANDOM;                               \
    for (uint32_t i = 0; i < LIVE; i++) FREE(slots[i], slot_size[i]);                 \
    return ns;                                                                        \
  }

#define OURS_ALLOC(n) gcs_arena_alloc(n)
#define OURS_FREE(p, n) gcs_arena_free((p), (n))
#define PYM_ALLOC(n) PyObject_Malloc(n)
#define PYM_FREE(p, n) PyObject_Free(p)
#define GLIBC_ALLOC(n) malloc(n)
#define GLIBC_FREE(p, n) free(p)
DEFINE_PATTERNS(ours, OURS_ALLOC, OURS_FREE)
DEFINE_PATTERNS(pymalloc, PYM_ALLOC, PYM_FREE)
DEFINE_PATTERNS(glibc, GLIBC_ALLOC, GLIBC_FREE)

typedef double (*pattern_fn)(void);
static const pattern_fn patterns[NPATTERN][NALLOC] = {
  {immediate_ours, immediate_pymalloc, immediate_glibc},
  {batch_ours, batch_pymalloc, batch_glibc},
  {random_ours, random_pymalloc, random_glibc},
};

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* pymalloc really serves PyObject_Malloc without an interpreter: returns 0 or prints why not. */
static int check_pymalloc(void) {
  const char *name = _PyMem_GetCurrentAllocatorName();
  if (name == NULL || strcmp(name, "pymalloc") != 0) {
    fprintf(stderr, "allocbench: the object allocator is %s, not pymalloc\n",
            name ? name : "(unknown)");
    return EINVAL;
  }
  void *p = PyObject_Malloc(64);
  char buf[8192] = "";
  FILE *f = fmemopen(buf, sizeof buf - 1, "w");
  int shown = f ? _PyObject_DebugMallocStats(f) : 0;
  if (f) fclose(f);
  PyObject_Free(p);
  const char *arenas = strstr(buf, "# arenas allocated total");
  if (!shown || arenas == NULL) {
    fprintf(stderr, "allocbench: pymalloc's stats do not show an arena\n");
    return EINVAL;
  }
  const char *eol = strchr(arenas, '\n');
  printf("# pymalloc check: allocator \"%s\" without Py_Initialize, its stats say \"%.*s\"\n",
         name, eol ? (int)(eol - arenas) : 40, arenas);
  return 0;
}

/* The machine is shared: the load average goes into the output beside the figures. */
static void print_loadavg(const char *when) {
  char buf[128] = "?";
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (fgets(buf, sizeof buf, f) == NULL) strcpy(buf, "?");
    fclose(f);
  }
  buf[strcspn(buf, "\n")] = 0;
  printf("# load average %s: %s\n", when, buf);
}

/* Runs exe with argv in a child whose stdout goes to buf (NUL-ended); 0, or -1 when it did
** not exit 0. */
static int run_child(const char *exe, char *const argv[], char *buf, size_t size) {
  int fd[2];
  if (pipe(fd) != 0) return -1;
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    execv(exe, argv);
    fprintf(stderr, "allocbench: cannot run %s: %s\n", exe, strerror(errno));
    _exit(127);
  }
  close(fd[1]);
  size_t got = 0;
  ssize_t r;
  while (got < size - 1 && (r = read(fd[0], buf + got, size - 1 - got)) > 0) got += (size_t)r;
  buf[got] = 0;
  close(fd[0]);
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The speed columns: the two builds of ours, then pymalloc and glibc (run by this binary). */
enum { C_RETAIN, C_NORETAIN, C_PYMALLOC, C_GLIBC, NCOL };
static const char *const col_heads[NCOL] = {"ours:retain=1", "ours:retain=0",
                                            "pymalloc:libpython.so", "glibc"};

/* One measurement in a fresh process: pattern p with column c; the ns per pair, or < 0. */
static double speed_once(const char *self, const char *noretain, int p, int c) {
  char ps[8], as[8], buf[128];
  snprintf(ps, sizeof ps, "%d", p);
  snprintf(as, sizeof as, "%d", c == C_PYMALLOC ? A_PYMALLOC : c == C_GLIBC ? A_GLIBC : A_OURS);
  const char *exe = c == C_NORETAIN ? noretain : self;
  char prog[] = "allocbench", cmd[] = "speed-once";
  char *argv[] = {prog, cmd, ps, as, NULL};
  double ns;
  int retain;
  if (run_child(exe, argv, buf, sizeof buf) != 0 || sscanf(buf, "%lf %d", &ns, &retain) != 2) {
    fprintf(stderr, "allocbench: %s speed-once %d %s failed\n", exe, p, as);
    return -1;
  }
  if (c <= C_NORETAIN && retain != (c == C_RETAIN)) {
    fprintf(stderr, "allocbench: %s is built with GCS_ARENA_RETAIN=%d, column %s wants %d\n",
            exe, retain, col_heads[c], c == C_RETAIN);
    return -1;
  }
  return ns;
}

/* "median (min-max)" of n values (sorted in place); a ratio gets an "x". */
static void print_spread(double *v, int n, bool ratio) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  char cell[64];
  snprintf(cell, sizeof cell, "%.2f%s (%.2f-%.2f)", v[n / 2], ratio ? "x" : "", v[0], v[n - 1]);
  printf(" %22s", cell);
}

static int cmd_speed(void) {
  if (!GCS_ARENA_RETAIN) {
    fprintf(stderr, "allocbench: this is the GCS_ARENA_RETAIN=0 build; run build/allocbench speed, "
                    "which runs this one for its retain=0 column\n");
    return 2;
  }
  if (check_pymalloc() != 0) return 1;
  char self[4096], noretain[4096 + 16];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) {
    fprintf(stderr, "allocbench: readlink /proc/self/exe: %s\n", strerror(errno));
    return 1;
  }
  self[len] = 0;
  snprintf(noretain, sizeof noretain, "%s-noretain", self);
  if (access(noretain, X_OK) != 0) {
    fprintf(stderr, "allocbench: %s: %s (make build/allocbench-noretain builds it)\n", noretain,
            strerror(errno));
    return 1;
  }
  print_loadavg("before");
  double t[NPATTERN][NCOL][REPS];
  for (int r = 0; r < REPS; r++) {
    for (int p = 0; p < NPATTERN; p++) {
      for (int k = 0; k < NCOL; k++) {
        int c = (k + r) % NCOL;   /* rotate who goes first */
        if ((t[p][c][r] = speed_once(self, noretain, p, c)) < 0) return 1;
      }
    }
    fprintf(stderr, "allocbench: repetition %d/%d done\n", r + 1, REPS);
  }
  print_loadavg("after");
  printf("# ns per malloc+free pair: median (min-max) of %d repetitions, the allocators\n"
         "# interleaved, each measurement a fresh process (one untimed pass, one timed); sizes\n"
         "# cycle 32..64 bytes; each block gets a word written. ours = gcs_arena (release policy\n"
         "# arena) built with GCS_ARENA_RETAIN=1 (the default: a lone empty pool stays on its\n"
         "# ring) and =0 (pymalloc exactly); pymalloc = PyObject_Malloc/Free of CPython 3.11 from\n"
         "# libpython3.11.so (not /usr/bin/python3's statically linked copy); glibc = malloc/free.\n",
         REPS);
  printf("%-16s", "pattern");
  for (int c = 0; c < NCOL; c++) printf(" %22s", col_heads[c]);
  printf("\n");
  for (int p = 0; p < NPATTERN; p++) {
    printf("%-16s", pattern_names[p]);
    for (int c = 0; c < NCOL; c++) {
      double v[REPS];
      memcpy(v, t[p][c], sizeof v);
      print_spread(v, REPS, false);
    }
    printf("\n");
  }
  printf("# ratios, per repetition (same repetition, interleaved): median (min-max)\n");
  static const int num[4] = {C_RETAIN, C_NORETAIN, C_RETAIN, C_NORETAIN};
  static const int den[4] = {C_PYMALLOC, C_PYMALLOC, C_GLIBC, C_GLIBC};
  static const char *const ratio_heads[4] = {"retain=1/pymalloc", "retain=0/pymalloc",
                                             "retain=1/glibc", "retain=0/glibc"};
  printf("%-16s", "pattern");
  for (int q = 0; q < 4; q++) printf(" %22s", ratio_heads[q]);
  printf("\n");
  for (int p = 0; p < NPATTERN; p++) {
    printf("%-16s", pattern_names[p]);
    for (int q = 0; q < 4; q++) {
      double v[REPS];
      for (int r = 0; r < REPS; r++) v[r] = t[p][num[q]][r] / t[p][den[q]][r];
      print_spread(v, REPS, true);
    }
    printf("\n");
  }
  return 0;
}

/* --------------------------------------------------------------------------------------
** return
** ------------------------------------------------------------------------------------ */

#define NOBJ (8u * 1024 * 1024)
#define OBJ 64
enum { R_ARENA, R_POOL, R_NONE, R_GLIBC, R_GLIBC_TRIM, R_PYMALLOC, NRALLOC };
static const char *const ralloc_names[NRALLOC] = {"arena", "pool", "none", "glibc",
                                                  "glibc+trim", "pymalloc"};
static const char *const ralloc_heads[NRALLOC] = {"ours:arena", "ours:pool", "ours:none",
                                                  "glibc", "glibc+trim", "pymalloc:libpython.so"};
enum { S_ALL, S_RANDOM, S_RUN100, S_RUN1000, NSCEN };
static const char *const scen_names[NSCEN] = {"free all", "free 90%, one by one at random",
                                              "free 90%, runs of 100", "free 90%, runs of 1000"};

/* core/rss.c's reading: open/read, no stdio buffer malloc'ed under the allocator measured. */
static uint64_t rss_bytes(void) {
  uint64_t rss = gcs_rss_bytes();
  if (rss == 0) {
    fprintf(stderr, "allocbench: cannot read /proc/self/statm\n");
    exit(1);
  }
  return rss;
}

/* Whether object i is freed: all, or 90% chosen per object / per run of `run` objects. */
static bool is_freed(int scen, uint32_t i) {
  if (scen == S_ALL) return true;
  uint64_t unit = scen == S_RANDOM ? i : scen == S_RUN100 ? i / 100 : i / 1000;
  uint64_t s = unit * 0x2545f4914f6cdd1dull + 7;
  return gcs_rng_next(&s) % 10 != 0;
}

/* One case, in this (fresh) process: prints "held_bytes dropped_bytes freed_objects". */
static int run_case(int alloc, int scen) {
  void **v = malloc(NOBJ * sizeof *v);
  if (v == NULL) return 1;
  /* Resident before the first read. Not 0: GCC turns malloc + memset(0) into calloc, which
  ** leaves the fresh mapping untouched. */
  memset(v, 0xff, NOBJ * sizeof *v);
  if (alloc <= R_NONE) {
    gcs_arena_config_t cfg = {alloc == R_ARENA ? GCS_RELEASE_ARENA
                              : alloc == R_POOL ? GCS_RELEASE_POOL : GCS_RELEASE_NONE,
                              GCS_ARENA_PURGE_DELAY_MS_DEFAULT};
    int err = gcs_arena_init(&cfg);
    if (err) {
      fprintf(stderr, "allocbench: gcs_arena_init: %s\n", strerror(err));
      return 1;
    }
  }
  uint64_t rss0 = rss_bytes();
  for (uint32_t i = 0; i < NOBJ; i++) {
    uint64_t *p = alloc <= R_NONE ? gcs_arena_alloc(OBJ)
                  : alloc == R_PYMALLOC ? PyObject_Malloc(OBJ) : malloc(OBJ);
    if (p == NULL) {
      fprintf(stderr, "allocbench: out of memory at object %u\n", i);
      return 1;
    }
    p[0] = i;
    v[i] = p;
  }
  uint64_t rss1 = rss_bytes();
  uint64_t freed = 0;
  for (uint32_t i = 0; i < NOBJ; i++) {
    if (!is_freed(scen, i)) continue;
    if (alloc <= R_NONE)
      gcs_arena_free(v[i], OBJ);
    else if (alloc == R_PYMALLOC)
      PyObject_Free(v[i]);
    else
      free(v[i]);
    freed++;
  }
  if (alloc <= R_NONE) gcs_arena_collect(true);
  if (alloc == R_GLIBC_TRIM) malloc_trim(0);
  uint64_t rss2 = rss_bytes();
  printf("%llu %lld %llu\n", (unsigned long long)(rss1 - rss0), (long long)rss1 - (long long)rss2,
         (unsigned long long)freed);
  return 0;
}

/* Runs one case in a fresh process (this program, exec'ed again); 0 and the figures, or -1. */
static int spawn_case(int alloc, int scen, double *share, double *held_mib) {
  char a[8], sc[8], buf[256];
  snprintf(a, sizeof a, "%d", alloc);
  snprintf(sc, sizeof sc, "%d", scen);
  char prog[] = "allocbench", cmd[] = "return-case";
  char *argv[] = {prog, cmd, a, sc, NULL};
  int err = run_child("/proc/self/exe", argv, buf, sizeof buf);
  unsigned long long held, nfreed;
  long long dropped;
  if (err != 0 || sscanf(buf, "%llu %lld %llu", &held, &dropped, &nfreed) != 3) {
    fprintf(stderr, "allocbench: case %s / %s failed\n", ralloc_names[alloc], scen_names[scen]);
    return -1;
  }
  /* The memory the freed objects held: their share of what the allocations cost RSS. */
  double freed_held = (double)held * (double)nfreed / NOBJ;
  *share = freed_held > 0 ? (double)dropped / freed_held : 0;
  *held_mib = (double)held / (1024.0 * 1024.0);
  return 0;
}

static int cmd_return(void) {
  double share[NSCEN][NRALLOC], held[NSCEN][NRALLOC];
  for (int s = 0; s < NSCEN; s++) {
    for (int a = 0; a < NRALLOC; a++) {
      if (spawn_case(a, s, &share[s][a], &held[s][a]) != 0) return 1;
      fprintf(stderr, "allocbench: %-10s %-32s %6.1f%% (allocations cost %.0f MiB of RSS)\n",
              ralloc_names[a], scen_names[s], 100 * share[s][a], held[s][a]);
    }
  }
  printf("# share of the freed objects' memory that left RSS: (RSS after the allocations -\n"
         "# RSS at the end) / (RSS the allocations added x freed/allocated). 8M x 64-byte\n"
         "# objects, each case in a fresh process. End state: ours after gcs_arena_collect(true)\n"
         "# (pool purge delay %d ms), glibc as it behaves, glibc+trim after malloc_trim(0).\n",
         GCS_ARENA_PURGE_DELAY_MS_DEFAULT);
  printf("%-32s", "scenario");
  int w[NRALLOC];
  for (int a = 0; a < NRALLOC; a++) {
    w[a] = strlen(ralloc_heads[a]) > 11 ? (int)strlen(ralloc_heads[a]) : 11;
    printf(" %*s", w[a], ralloc_heads[a]);
  }
  printf("\n");
  for (int s = 0; s < NSCEN; s++) {
    printf("%-32s", scen_names[s]);
    for (int a = 0; a < NRALLOC; a++) printf(" %*.1f%%", w[a] - 1, 100 * share[s][a]);
    printf("\n");
  }
  printf("%-32s", "# RSS added by 8M objects (MiB)");
  for (int a = 0; a < NRALLOC; a++) printf(" %*.0f", w[a], held[S_ALL][a]);
  printf("\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "speed") == 0) return cmd_speed();
  if (argc == 2 && strcmp(argv[1], "return") == 0) return cmd_return();
  if (argc == 4 && strcmp(argv[1], "speed-one") == 0) {   /* for a profiler: one pattern */
    int p = atoi(argv[2]), a = atoi(argv[3]);
    if (p < 0 || p >= NPATTERN || a < 0 || a >= NALLOC || gcs_arena_init(NULL) != 0) return 2;
    double ns = 0;
    for (int r = 0; r < 3; r++) ns = patterns[p][a]();
    printf("%.2f ns per pair\n", ns);
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "speed-once") == 0) {   /* one measurement of `speed` */
    int p = atoi(argv[2]), a = atoi(argv[3]);
    if (p < 0 || p >= NPATTERN || a < 0 || a >= NALLOC || gcs_arena_init(NULL) != 0) return 2;
    patterns[p][a]();   /* untimed: the mappings and page faults of a first pass */
    printf("%.4f %d\n", patterns[p][a](), GCS_ARENA_RETAIN);
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "return-case") == 0) {
    int a = atoi(argv[2]), s = atoi(argv[3]);
    if (a < 0 || a >= NRALLOC || s < 0 || s >= NSCEN) return 2;
    return run_case(a, s);
  }
  fprintf(stderr, "usage: allocbench speed | return\n");
  return 2;
}
