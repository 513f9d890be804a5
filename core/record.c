/*
** record.c — the recorder behind `gcscope run --record FILE` (record.h; the design and what a
** recorded trace keeps: docs/trace-format.md, "Recording a workload").
**
** The trace has flat names; a workload has shadow-stack roots and C locals. The mapping:
**   - root position I (gcs_heap.roots_base + I) is the name `rI`: bound while the root holds an
**     object, dropped when it is cleared or popped;
**   - a new object is `new`/`atom` straight into `rI` when the very next event roots it there
**     (gcs_root_set(&r[I], gcs_new(...))), else into a temporary `tK`;
**   - an object reached through loads is named lazily: each load and store remembers where the
**     object was seen (a parent container and slot: the first place still valid, and the last;
**     checked against the heap when used), and only when a store or a root write needs the
**     object is a chain of `load`s from a bound name written; an object no walk reaches from a
**     bound name is a fatal error naming it (a workload breaking the mutator contract);
**   - nothing is recorded while a collection runs (CPython's tp_clear stores into garbage);
**   - every temporary is dropped before the next allocation, safepoint, explicit collection or
**     mark: by the mutator contract (gcs.h) no C local may hold an object across those, so a
**     temporary never keeps alive in the replay what the run had freed by the time it counts
**     (an object the run frees by reference counting while a temporary still holds it is freed
**     in the replay at that drop, before the next allocation: the counts at every allocation
**     and collection are the run's).
**
** Invariants:
**   every object in `map` is live (an entry is removed when its object is freed);
**   temps[k].obj is bound to `tk` in the trace for k < ntemps, and is the object of entry
**     temps[k].serial (a freed object's address reused by another never matches);
**   `pending`, when set, is the last object allocated, not yet written to the trace.
**
** Build macros: none.
*/
#include "core/record.h"
#include "core/error.h"
#include "core/heap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NAME_NONE UINT32_MAX   /* `set X S -` */
#define BIND_NONE UINT32_MAX   /* an entry with no name of its own */
#define TEMP_BIT 1u            /* a name: root I is I << 1, temporary K is K << 1 | 1 */

typedef struct place {
  const gcs_obj *parent;   /* obj was seen in parent->slots[slot]; NULL: nowhere */
  uint32_t slot;
} place;

typedef struct entry {
  const gcs_obj *obj;      /* key; NULL = empty */
  place kept;              /* the first place obj was seen and still is (see seen_at) */
  place last;              /* the last place obj was seen */
  uint32_t bind;           /* a name that held obj when last written (checked before use) */
  uint64_t serial;         /* this entry's: distinguishes objects at one address */
} entry;

typedef struct temp {
  const gcs_obj *obj;      /* the object `tK` holds */
  uint64_t serial;         /* its entry's serial */
} temp;

static struct recorder {
  FILE *f;                 /* the temporary file */
  char *path, *tmp;        /* the trace's path, the temporary's */
  bool binary;             /* the path ends in .gtrb */
  entry *map;              /* open addressing, linear probing; cap a power of two */
  size_t cap, count;       /* count <= cap / 2 */
  uint64_t serial;         /* the last serial given */
  temp *temps;             /* ntemps bound temporaries, capacity tcap */
  uint32_t ntemps, tcap;
  gcs_obj *pending;        /* allocated, not yet written (see the header) */
  uint32_t *chain_slot;    /* scratch for naming through loads, capacity ccap */
  size_t ccap;
} rec;

static gcs_observer_t observer;

/* ------------------------------------------------------------------------------------ */
/* Writing ops                                                                           */
/* ------------------------------------------------------------------------------------ */

static void put_varint(uint64_t v) {
  while (v >= 0x80) {
    putc_unlocked((int)(v & 0x7f) | 0x80, rec.f);
    v >>= 7;
  }
  putc_unlocked((int)v, rec.f);
}

static void put_uint(uint64_t v) {
  char buf[24];
  int n = 0;
  do buf[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
  while (n) putc_unlocked(buf[--n], rec.f);
}

static void put_name(uint32_t name) {
  putc_unlocked(' ', rec.f);
  putc_unlocked(name & TEMP_BIT ? 't' : 'r', rec.f);
  put_uint(name >> 1);
}

/* One op: its code, then up to three arguments; names are marked in `names` (bit k: argument
** k is a name). A name argument NAME_NONE is `-`. */
static void put_op(int code, int nargs, unsigned names, uint32_t a, uint32_t b, uint32_t c) {
  static const char *const opname[] = {"new", "atom", "set", "load", "drop", "collect", "let", "mark"};
  uint32_t arg[3] = {a, b, c};
  if (rec.binary) { /* a name as id + 1 (0 is `-`); `collect` always has GEN + 1 (0: full) */
    putc_unlocked(code, rec.f);
    if (code == GCS_OP_COLLECT) put_varint(nargs ? (uint64_t)a + 1 : 0);
    for (int k = 0; k < nargs && code != GCS_OP_COLLECT; k++)
      put_varint(!(names >> k & 1) ? arg[k] : arg[k] == NAME_NONE ? 0 : (uint64_t)arg[k] + 1);
    return;
  }
  fputs(opname[code], rec.f);
  for (int k = 0; k < nargs; k++) {
    if (!(names >> k & 1)) {
      putc_unlocked(' ', rec.f);
      put_uint(arg[k]);
    } else if (arg[k] == NAME_NONE) {
      fputs(" -", rec.f);
    } else {
      put_name(arg[k]);
    }
  }
  putc_unlocked('\n', rec.f);
}

/* ------------------------------------------------------------------------------------ */
/* The object map                                                                        */
/* ------------------------------------------------------------------------------------ */

static size_t hash_ptr(const gcs_obj *o) {
  uint64_t h = (uint64_t)(uintptr_t)o;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return (size_t)h & (rec.cap - 1);
}

static entry *find(const gcs_obj *o) {
  if (!rec.cap) return NULL;
  for (size_t j = hash_ptr(o);; j = (j + 1) & (rec.cap - 1)) {
    if (rec.map[j].obj == o) return &rec.map[j];
    if (rec.map[j].obj == NULL) return NULL;
  }
}

static void grow(void) {
  entry *old = rec.map;
  size_t oldcap = rec.cap;
  rec.cap = oldcap ? oldcap * 2 : 4096;
  rec.map = calloc(rec.cap, sizeof *rec.map);
  if (!rec.map) gcs_fatal("out of memory: the recorder's object map (%zu entries)", rec.cap);
  for (size_t i = 0; i < oldcap; i++) {
    if (!old[i].obj) continue;
    size_t j = hash_ptr(old[i].obj);
    while (rec.map[j].obj) j = (j + 1) & (rec.cap - 1);
    rec.map[j] = old[i];
  }
  free(old);
}

/* o's entry, made when missing. */
static entry *get(const gcs_obj *o) {
  entry *e = find(o);
  if (e) return e;
  if ((rec.count + 1) * 2 > rec.cap) grow();
  size_t j = hash_ptr(o);
  while (rec.map[j].obj) j = (j + 1) & (rec.cap - 1);
  rec.count++;
  rec.map[j] = (entry){.obj = o, .bind = BIND_NONE, .serial = ++rec.serial};
  return &rec.map[j];
}

/* Backward-shift deletion keeps every probe chain whole. */
static void forget(const gcs_obj *o) {
  entry *e = find(o);
  if (!e) return;
  size_t i = (size_t)(e - rec.map);
  for (size_t j = (i + 1) & (rec.cap - 1); rec.map[j].obj; j = (j + 1) & (rec.cap - 1)) {
    size_t home = hash_ptr(rec.map[j].obj);
    if (((j - home) & (rec.cap - 1)) >= ((j - i) & (rec.cap - 1))) {
      rec.map[i] = rec.map[j];
      i = j;
    }
  }
  rec.map[i].obj = NULL;
  rec.count--;
}

/* ------------------------------------------------------------------------------------ */
/* Names                                                                                 */
/* ------------------------------------------------------------------------------------ */

static uint32_t root_name(gcs_obj *const *root) {
  return (uint32_t)(root - gcs_heap.roots_base) << 1;
}

/* Whether o is still at place p: its parent live and the slot holding it. */
static bool still_at(place p, const gcs_obj *o) {
  const gcs_obj *q = p.parent;
  return q && find(q) && q->kind == GCS_CONTAINER && p.slot < q->nslots && q->slots[p.slot] == o;
}

/* v was seen in o->slots[i]. Two places are kept, as neither always leads back to a root: the
** first one still valid (a ring built node by node: node k is first seen in node k-1, then in
** node k+1, which was itself seen only in node k) and the last (the first may be garbage that
** a tracing collector has not freed yet). */
static void seen_at(const gcs_obj *o, uint32_t i, const gcs_obj *v) {
  get(o);   /* a parent has an entry, so that its free is noticed */
  entry *e = get(v);
  e->last = (place){o, i};
  if (!still_at(e->kept, v)) e->kept = e->last;
}

/* Whether `name` holds o now. */
static bool holds(uint32_t name, const entry *e) {
  if (name == BIND_NONE) return false;
  uint32_t k = name >> 1;
  if (name & TEMP_BIT) return k < rec.ntemps && rec.temps[k].obj == e->obj && rec.temps[k].serial == e->serial;
  return gcs_heap.roots_base + k < gcs_heap.roots_top && gcs_heap.roots_base[k] == e->obj;
}

static uint32_t new_temp(const gcs_obj *o) {
  if (rec.ntemps == rec.tcap) {
    rec.tcap = rec.tcap ? 2 * rec.tcap : 64;
    rec.temps = realloc(rec.temps, rec.tcap * sizeof *rec.temps);
    if (!rec.temps) gcs_fatal("out of memory: the recorder's temporaries");
  }
  entry *e = get(o);
  rec.temps[rec.ntemps] = (temp){o, e->serial};
  e->bind = rec.ntemps++ << 1 | TEMP_BIT;
  return e->bind;
}

/* Writes the pending allocation into `name` (a fresh temporary when NAME_NONE). */
static uint32_t flush_pending(uint32_t name) {
  gcs_obj *o = rec.pending;
  rec.pending = NULL;
  if (name == NAME_NONE) name = new_temp(o);
  else get(o)->bind = name;
  if (o->kind == GCS_ATOM) put_op(GCS_OP_ATOM, 2, 1, name, o->payload, 0);
  else if (o->payload || rec.binary) put_op(GCS_OP_NEW, 3, 1, name, o->nslots, o->payload);
  else put_op(GCS_OP_NEW, 2, 1, name, o->nslots, 0);
  return name;
}

/* Before an op that no C local may cross: the pending object and every temporary go. */
static void settle(void) {
  if (rec.pending) flush_pending(NAME_NONE);
  while (rec.ntemps) put_op(GCS_OP_DROP, 1, 1, (--rec.ntemps) << 1 | TEMP_BIT, 0, 0);
}

GCS_NORETURN static void unnamed(const gcs_obj *o) {
  gcs_fatal("record: object %p is used through a C local that no root, temporary or loaded slot "
            "still names (a workload keeping an unrooted object across a store that unlinked it?)",
            (const void *)o);
}

/* Walks from o up the places it was seen, each checked against the heap, to an object a name
** holds: returns that name, the chain's slots in rec.chain_slot[0..*len) (o's first);
** BIND_NONE when the walk ends nowhere. `last`: prefer the last places to the kept ones. */
static uint32_t walk(const gcs_obj *o, bool last, size_t *len) {
  size_t n = 0;
  const gcs_obj *cur = o;
  uint32_t base = BIND_NONE;
  for (;;) {
    entry *e = find(cur);
    if (!e) break;
    if (holds(e->bind, e)) {
      base = e->bind;
      break;
    }
    place p = last ? e->last : e->kept;
    if (!still_at(p, cur)) p = last ? e->kept : e->last;
    if (!still_at(p, cur) || n > rec.count) break;
    if (n == rec.ccap) {
      rec.ccap = rec.ccap ? 2 * rec.ccap : 64;
      rec.chain_slot = realloc(rec.chain_slot, rec.ccap * sizeof *rec.chain_slot);
      if (!rec.chain_slot) gcs_fatal("out of memory: the recorder's load chain");
    }
    rec.chain_slot[n++] = p.slot;
    cur = p.parent;
  }
  *len = n;
  return base;
}

/* A name for o, written to the trace when needed; `into` (a root name, or NAME_NONE) is where
** the caller will bind it: a chain of loads then goes straight there. Returns the name that
** now holds o (`into` when a chain was written into it). */
static uint32_t name_for(const gcs_obj *o, uint32_t into) {
  if (o == rec.pending) return flush_pending(into);
  size_t n;
  uint32_t base = walk(o, false, &n);
  if (base == BIND_NONE) base = walk(o, true, &n);
  if (base == BIND_NONE) { /* last resort: a root holding it (an object seen in two roots) */
    for (gcs_obj **r = gcs_heap.roots_top; r > gcs_heap.roots_base;)
      if (*--r == o) {
        get(o)->bind = root_name(r);
        return get(o)->bind;
      }
    unnamed(o);
  }
  if (n == 0) return base;
  uint32_t to = into != NAME_NONE ? into : (uint32_t)(rec.ntemps << 1 | TEMP_BIT);
  for (size_t k = n; k-- > 0;) {
    put_op(GCS_OP_LOAD, 3, 3, to, base, rec.chain_slot[k]);
    base = to;
  }
  if (into == NAME_NONE) return new_temp(o);
  get(o)->bind = into;
  return into;
}

/* ------------------------------------------------------------------------------------ */
/* The events                                                                            */
/* ------------------------------------------------------------------------------------ */

static void on_allocated(void *arg, gcs_obj *o) {
  (void)arg;
  settle();
  rec.pending = o;
}

static void on_freed(void *arg, gcs_obj *o) {
  (void)arg;
  forget(o);
}

static void on_collect(void *arg, int generation) {
  (void)arg;
  if (gcs_heap.collecting) return; /* an emergency collection inside an allocation */
  settle();
  if (generation < 0) put_op(GCS_OP_COLLECT, 0, 0, 0, 0, 0);
  else put_op(GCS_OP_COLLECT, 1, 0, (uint32_t)generation, 0, 0);
}

void gcs_record_store_(gcs_obj *o, uint32_t i, gcs_obj *v) {
  if (gcs_heap.collecting) return; /* a collector clearing garbage (CPython's tp_clear) */
  uint32_t target = name_for(o, NAME_NONE);
  uint32_t value = v ? name_for(v, NAME_NONE) : NAME_NONE;
  put_op(GCS_OP_SET, 3, 5, target, i, value);
  if (v) seen_at(o, i, v);
}

void gcs_record_load_(const gcs_obj *o, uint32_t i) {
  if (gcs_heap.collecting || o->slots[i] == NULL) return;
  seen_at(o, i, o->slots[i]);
}

void gcs_record_root_(gcs_obj **root, gcs_obj *v) {
  uint32_t name = root_name(root);
  if (v == *root) return;
  if (v == NULL) {
    put_op(GCS_OP_DROP, 1, 1, name, 0, 0);
    return;
  }
  uint32_t from = name_for(v, name);
  if (from != name) put_op(GCS_OP_LET, 2, 3, name, from, 0);
  get(v)->bind = name;
}

void gcs_record_pop_(gcs_obj **f) {
  if (rec.pending) flush_pending(NAME_NONE);
  for (gcs_obj **r = gcs_heap.roots_top; r > f;)
    if (*--r) put_op(GCS_OP_DROP, 1, 1, root_name(r), 0, 0);
}

void gcs_record_safepoint_(void) {
  settle();
}

void gcs_record_mark_(const char *label) {
  settle();
  if (rec.binary) {
    size_t n = strlen(label);
    putc_unlocked(GCS_OP_MARK, rec.f);
    put_varint(n);
    fwrite(label, 1, n, rec.f);
  } else {
    fprintf(rec.f, "mark %s\n", label);
  }
}

/* ------------------------------------------------------------------------------------ */
/* Start and stop                                                                        */
/* ------------------------------------------------------------------------------------ */

/* A run that stops on a fatal error (gcs_fatal exits) leaves no half-written temporary. */
static void remove_temporary(void) {
  if (rec.f) unlink(rec.tmp);
}

int gcs_record_start(const char *path, char *err, size_t errlen) {
  if (gcs_heap.observer) {
    snprintf(err, errlen, "record: the heap already has an observer (a test's)");
    return EBUSY;
  }
  memset(&rec, 0, sizeof rec);
  size_t len = strlen(path);
  rec.binary = len >= 5 && strcmp(path + len - 5, ".gtrb") == 0;
  rec.path = strdup(path);
  rec.tmp = malloc(len + 32);
  if (!rec.path || !rec.tmp) gcs_fatal("out of memory");
  snprintf(rec.tmp, len + 32, "%s.tmp.%ld", path, (long)getpid());
  if ((rec.f = fopen(rec.tmp, "wb")) == NULL) {
    int e = errno;
    snprintf(err, errlen, "record: cannot create %s: %s", rec.tmp, strerror(e));
    free(rec.path);
    free(rec.tmp);
    return e;
  }
  setvbuf(rec.f, NULL, _IOFBF, 1 << 20);
  static bool registered;
  if (!registered) registered = atexit(remove_temporary) == 0;
  if (rec.binary) fputs(GCS_TRACE_BINARY_MAGIC, rec.f);
  else fputs("# recorded by gcscope run --record (docs/trace-format.md)\n", rec.f);
  observer = (gcs_observer_t){.allocated = on_allocated, .freed = on_freed, .collect = on_collect};
  gcs_heap.observer = &observer;
  gcs_heap.barrier |= GCS_BARRIER_RECORD;
  return 0;
}

void gcs_record_detach(void) {
  if (!rec.f) return;
  gcs_heap.barrier &= ~(uint32_t)GCS_BARRIER_RECORD;
  gcs_heap.observer = NULL;
  rec.f = NULL;   /* the parent's FILE: neither written nor flushed here (the child _exits) */
}

int gcs_record_stop(bool keep, char *err, size_t errlen) {
  int rc = 0;
  if (!rec.f) return 0;
  gcs_heap.barrier &= ~(uint32_t)GCS_BARRIER_RECORD;
  gcs_heap.observer = NULL;
  if (keep) settle();
  if (ferror(rec.f)) rc = EIO;
  if (fclose(rec.f) != 0 && rc == 0) rc = errno;
  rec.f = NULL;
  if (keep && rc == 0 && rename(rec.tmp, rec.path) != 0) rc = errno;
  if (rc) snprintf(err, errlen, "record: cannot write %s: %s", rec.path, strerror(rc));
  if (!keep || rc) unlink(rec.tmp);
  free(rec.map);
  free(rec.temps);
  free(rec.chain_slot);
  free(rec.path);
  free(rec.tmp);
  memset(&rec, 0, sizeof rec);
  return rc;
}
