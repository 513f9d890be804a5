/*
** btree.c — pyperformance's btree: a large, interconnected B-tree of records, rebuilt in part,
** collected, iterated and searched.
**
** The original (pyperformance bm_btree/run_benchmark.py; NUM_NODES = 200_000,
** RECREATE_FRACTION = 0.2, BNode.minimum_degree = 16):
**     records = [Record(a, b, c, d, e, f) for node_id in range(NUM_NODES)], made once:
**         a = node_id, b = f'node {node_id}', c = randbytes(node_id % 100), d = random(),
**         e = sys.intern(str(randint(0, 30))), f = choice([None, True, False])
**     per loop (run_once):
**         make_tree: ids = list(range(N)); shuffle(ids); tree[id] = records[id] for each id;
**                    then del tree[id] for id in range(N * 0.2), and re-add them
**         gc.collect()                      (timed alone in btree_gc_only)
**         for key in tree: d_total += tree[key].d            (in-order walk + a search each)
**         max(200, N / 20) lookups of randint(0, N): d_total += tree.get(id).d
**     BTree.add splits a full root; BNode.insert_item splits full children on the way down
**     (CLRS 18.2); BNode.delete is CLRS 19.3 (cases 1, 2a-c, 3a1/3a2, 3b1/3b2).
** "200,000 nodes" are NUM_NODES keys (records); the B-tree itself has ~10,000 BNodes.
**
** Here, object for object as CPython allocates them:
**     BTree   container, 1 slot (root)
**     BNode   container, 2 slots (items list, nodes list or NULL for a leaf)
**     list    container of 2t slots, its length in the tag (a Python list, never resized:
**             no B-tree list outgrows 2t = 32)
**     item    container, 2 slots (key, record): the (key, value) tuple; its tag is the key
**     key     atom, 8 payload bytes holding the int, tag = the int
**     Record  container, 6 slots a..f, tag = node_id: a an int atom, b a str atom, c a bytes
**             atom (NULL for b'', a singleton in CPython), d a float atom, e one of 31 shared
**             interned str atoms, f NULL (None) or one of two shared atoms (True, False)
** The algorithm is the original's line for line, with its new lists where Python builds one
** (slices, concatenations, BNode()'s empty list). Differences: the shuffle permutes a C index
** array instead of the ids list (same insertion order, fewer stores); a concatenation
** a + [x] + b allocates only its final list (CPython allocates two temporaries too);
** get_min_item/get_max_item, called by delete's case 2 but missing from the original (case 2
** never runs there: the deleted key is always the smallest), descend to the first/last item.
** The randomness is splitmix64 from --seed, not Mersenne Twister, and is the same every round
** as the original reseeds it. Self-checks: the in-order walk yields exactly 0..N-1; every
** search finds its record (tag == key); both d totals equal sums computed from a C copy of
** the d values; a duplicate key or a missing key on delete fails.
** The B-tree and records are acyclic: `rc` frees everything.
**
** Knobs: records (NUM_NODES), recreate_pct (RECREATE_FRACTION in percent), rounds (loops).
** Figures: collect_ns_median (the btree_gc_only measure). Peak live data ("built"): after
** the first round's tree is made.
*/
#include "workloads/workloads.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const gcs_knob_t btree_knobs[] = {
  {"records", 200000, 1, 100000000, NULL, "keys and records in the tree (NUM_NODES)"},
  {"recreate_pct", 20, 0, 100, NULL, "percent of the keys deleted and re-added (RECREATE_FRACTION)"},
  {"rounds", 3, 1, 1000000, NULL, "loops of the original: make the tree, collect, iterate, look up"},
  {NULL, 0, 0, 0, NULL, NULL},
};

#define T 16           /* BNode.minimum_degree */
#define LIST_CAP (2 * T)
enum { ITEMS = 0, NODES = 1 };               /* BNode */
enum { KEY = 0, VALUE = 1 };                 /* item */
enum { RA, RB, RC_, RD, RE, RF, RSLOTS };    /* Record a..f */
#define NINTERNED 31                         /* str(randint(0, 30)) */
enum { TRUE_ATOM = NINTERNED, FALSE_ATOM, NCONSTANTS };

/* ---- lists ------------------------------------------------------------------------------ */

static inline uint32_t list_len(const gcs_obj *l) { return l->tag; }
static inline gcs_obj *list_get(const gcs_obj *l, uint32_t i) { return gcs_load(l, i); }

static gcs_obj *list_new(void) { return gcs_new(LIST_CAP, 0); } /* floating, empty */

static void list_insert(gcs_obj *l, uint32_t pos, gcs_obj *v) {
  uint32_t n = list_len(l);
  GCS_ASSERT(n < LIST_CAP && pos <= n);
  for (uint32_t i = n; i > pos; i--) gcs_store(l, i, gcs_load(l, i - 1));
  gcs_store(l, pos, v);
  l->tag = n + 1;
}

static void list_del(gcs_obj *l, uint32_t pos) {
  uint32_t n = list_len(l);
  GCS_ASSERT(pos < n);
  for (uint32_t i = pos; i + 1 < n; i++) gcs_store(l, i, gcs_load(l, i + 1));
  gcs_store(l, n - 1, NULL);
  l->tag = n - 1;
}

/* A new list a[from:to] + [x] + b (x may be NULL: no middle; b may be NULL). Floating; the
** caller keeps a, x and b reachable. */
static gcs_obj *list_concat(gcs_obj *a, uint32_t from, uint32_t to, gcs_obj *x, gcs_obj *b) {
  gcs_obj *l = list_new();
  uint32_t n = 0;
  for (uint32_t i = from; i < to; i++) gcs_store(l, n++, gcs_load(a, i));
  if (x) gcs_store(l, n++, x);
  for (uint32_t i = 0; b && i < list_len(b); i++) gcs_store(l, n++, gcs_load(b, i));
  GCS_ASSERT(n <= LIST_CAP);
  l->tag = n;
  return l;
}
static gcs_obj *list_slice(gcs_obj *a, uint32_t from, uint32_t to) {
  return list_concat(a, from, to, NULL, NULL);
}

/* ---- BNode ------------------------------------------------------------------------------ */

static inline gcs_obj *items_of(const gcs_obj *n) { return gcs_load(n, ITEMS); }
static inline gcs_obj *nodes_of(const gcs_obj *n) { return gcs_load(n, NODES); }
static inline bool is_leaf(const gcs_obj *n) { return nodes_of(n) == NULL; }
static inline bool is_full(const gcs_obj *n) { return list_len(items_of(n)) == 2 * T - 1; }
static inline uint32_t key_at(const gcs_obj *items, uint32_t i) { return list_get(items, i)->tag; }
static inline bool is_big(const gcs_obj *n) { return n && list_len(items_of(n)) >= T; }

/* BNode(): a node with an empty items list, stored into *root. */
static void bnode_new(gcs_obj **root) {
  gcs_root_set(root, gcs_new(2, 0));
  gcs_store(*root, ITEMS, list_new());
}

static uint32_t get_position(const gcs_obj *n, uint32_t key) {
  const gcs_obj *items = items_of(n);
  uint32_t len = list_len(items);
  for (uint32_t p = 0; p < len; p++)
    if (key_at(items, p) >= key) return p;
  return len;
}

/* The item with `key`, or NULL. */
static gcs_obj *search(const gcs_obj *n, uint32_t key) {
  for (;;) {
    uint32_t p = get_position(n, key);
    const gcs_obj *items = items_of(n);
    if (p < list_len(items) && key_at(items, p) == key) return list_get(items, p);
    if (is_leaf(n)) return NULL;
    n = list_get(nodes_of(n), p);
  }
}

static void split_child(gcs_obj *self, uint32_t position, gcs_obj *child) {
  GCS_ASSERT(!is_full(self) && !is_leaf(self) && list_get(nodes_of(self), position) == child);
  GCS_ASSERT(is_full(child));
  gcs_obj **f = gcs_frame_push(2); /* bigger, splitting_key */
  bnode_new(&f[0]);
  const uint32_t middle = T - 1;
  gcs_root_set(&f[1], list_get(items_of(child), middle));
  uint32_t len = list_len(items_of(child));
  gcs_store(f[0], ITEMS, list_slice(items_of(child), middle + 1, len));
  gcs_store(child, ITEMS, list_slice(items_of(child), 0, middle));
  if (!is_leaf(child)) {
    len = list_len(nodes_of(child));
    gcs_store(f[0], NODES, list_slice(nodes_of(child), middle + 1, len));
    gcs_store(child, NODES, list_slice(nodes_of(child), 0, middle + 1));
  }
  list_insert(items_of(self), position, f[1]);
  list_insert(nodes_of(self), position + 1, f[0]);
  gcs_frame_pop(f);
}

/* item is held by the caller's root. */
static void insert_item(gcs_obj *self, gcs_obj *item) {
  for (;;) {
    GCS_ASSERT(!is_full(self));
    const uint32_t key = item->tag;
    uint32_t position = get_position(self, key);
    gcs_obj *items = items_of(self);
    if (position < list_len(items) && key_at(items, position) == key) {
      gcs_store(items, position, item);
      return;
    }
    if (is_leaf(self)) {
      list_insert(items, position, item);
      return;
    }
    gcs_obj *child = list_get(nodes_of(self), position);
    if (is_full(child)) {
      split_child(self, position, child);
      items = items_of(self);
      if (key == key_at(items, position)) {
        gcs_store(items, position, item);
        return;
      }
      if (key > key_at(items, position)) position++;
      child = list_get(nodes_of(self), position);
    }
    self = child;
  }
}

/* BTree.add: tree's root slot holds the root BNode; item is rooted by the caller. */
static void tree_add(gcs_obj *tree, gcs_obj *item) {
  gcs_obj *root = gcs_load(tree, 0);
  if (is_full(root)) {
    gcs_obj **f = gcs_frame_push(1);
    bnode_new(&f[0]);
    gcs_store(f[0], NODES, list_new());
    list_insert(nodes_of(f[0]), 0, root);
    split_child(f[0], 0, root);
    gcs_store(tree, 0, f[0]);
    gcs_frame_pop(f);
    root = gcs_load(tree, 0);
  }
  insert_item(root, item);
}

static gcs_obj *get_min_item(const gcs_obj *n) {
  while (!is_leaf(n)) n = list_get(nodes_of(n), 0);
  return list_get(items_of(n), 0);
}
static gcs_obj *get_max_item(const gcs_obj *n) {
  while (!is_leaf(n)) n = list_get(nodes_of(n), list_len(nodes_of(n)) - 1);
  return list_get(items_of(n), list_len(items_of(n)) - 1);
}

/* CLRS 19.3 as the original writes it. 0, or -1 when the key is missing (KeyError). */
static int delete_key(gcs_obj *self, uint32_t key) {
  uint32_t p = get_position(self, key);
  bool matches = p < list_len(items_of(self)) && key_at(items_of(self), p) == key;
  int rc = 0;
  if (is_leaf(self)) {
    if (!matches) return -1;
    list_del(items_of(self), p); /* case 1 */
    return 0;
  }
  gcs_obj *node = list_get(nodes_of(self), p);
  gcs_obj *lower = p > 0 ? list_get(nodes_of(self), p - 1) : NULL;
  gcs_obj *upper = p + 1 < list_len(nodes_of(self)) ? list_get(nodes_of(self), p + 1) : NULL;
  if (matches) { /* case 2 */
    gcs_obj **f = gcs_frame_push(1); /* extreme */
    if (is_big(node)) {
      gcs_root_set(&f[0], get_max_item(node)); /* 2a */
      rc = delete_key(node, f[0]->tag);
      gcs_store(items_of(self), p, f[0]);
    } else if (is_big(upper)) {
      gcs_root_set(&f[0], get_min_item(upper)); /* 2b */
      rc = delete_key(upper, f[0]->tag);
      gcs_store(items_of(self), p, f[0]);
    } else {
      gcs_root_set(&f[0], get_min_item(upper)); /* 2c */
      rc = delete_key(upper, f[0]->tag);
      gcs_store(node, ITEMS, list_concat(items_of(node), 0, list_len(items_of(node)), f[0],
                                         items_of(upper)));
      if (!is_leaf(node))
        gcs_store(node, NODES, list_concat(nodes_of(node), 0, list_len(nodes_of(node)), NULL,
                                           nodes_of(upper)));
      list_del(items_of(self), p);
      list_del(nodes_of(self), p + 1);
    }
    gcs_frame_pop(f);
  } else {
    if (!is_big(node)) {
      if (is_big(lower)) { /* 3a1: shift an item from lower */
        gcs_obj *li = items_of(lower);
        list_insert(items_of(node), 0, list_get(items_of(self), p - 1));
        gcs_store(items_of(self), p - 1, list_get(li, list_len(li) - 1));
        list_del(li, list_len(li) - 1);
        if (!is_leaf(node)) {
          gcs_obj *ln = nodes_of(lower);
          list_insert(nodes_of(node), 0, list_get(ln, list_len(ln) - 1));
          list_del(ln, list_len(ln) - 1);
        }
      } else if (is_big(upper)) { /* 3a2: shift an item from upper */
        gcs_obj *ni = items_of(node);
        list_insert(ni, list_len(ni), list_get(items_of(self), p));
        gcs_store(items_of(self), p, list_get(items_of(upper), 0));
        list_del(items_of(upper), 0);
        if (!is_leaf(node)) {
          gcs_obj *nn = nodes_of(node);
          list_insert(nn, list_len(nn), list_get(nodes_of(upper), 0));
          list_del(nodes_of(upper), 0);
        }
      } else if (lower) { /* 3b1: merge with lower */
        gcs_obj *li = items_of(lower);
        gcs_store(node, ITEMS, list_concat(li, 0, list_len(li), list_get(items_of(self), p - 1),
                                           items_of(node)));
        if (!is_leaf(node)) {
          gcs_obj *ln = nodes_of(lower);
          gcs_store(node, NODES, list_concat(ln, 0, list_len(ln), NULL, nodes_of(node)));
        }
        list_del(items_of(self), p - 1);
        list_del(nodes_of(self), p - 1);
      } else { /* 3b2: merge with upper */
        gcs_obj *ni = items_of(node);
        gcs_store(node, ITEMS, list_concat(ni, 0, list_len(ni), list_get(items_of(self), p),
                                           items_of(upper)));
        if (!is_leaf(node)) {
          gcs_obj *nn = nodes_of(node);
          gcs_store(node, NODES, list_concat(nn, 0, list_len(nn), NULL, nodes_of(upper)));
        }
        list_del(items_of(self), p);
        list_del(nodes_of(self), p + 1);
      }
    }
    GCS_ASSERT(is_big(node));
    rc = delete_key(node, key);
  }
  if (list_len(items_of(self)) == 0) { /* self is the root */
    gcs_obj *only = list_get(nodes_of(self), 0);
    gcs_store(self, ITEMS, items_of(only));
    gcs_store(self, NODES, nodes_of(only));
  }
  return rc;
}

/* ---- the benchmark ------------------------------------------------------------------------ */

static double unit_double(uint64_t *s) { return (double)(gcs_rng_next(s) >> 11) * 0x1p-53; }

static gcs_obj *new_int(uint32_t v) { /* floating */
  gcs_obj *a = gcs_new_atom(8);
  int64_t x = v;
  memcpy(gcs_obj_payload(a), &x, sizeof x);
  a->tag = v;
  return a;
}

/* records[i] for i < n into the list at *recs, constants (interned strs, True, False) into
** *consts; d[i] gets record i's d. */
static void make_records(gcs_obj **recs, gcs_obj **consts, uint32_t n, uint64_t seed, double *d) {
  gcs_root_set(consts, gcs_new(NCONSTANTS, 0));
  for (uint32_t i = 0; i < NCONSTANTS; i++) {
    char s[8];
    int len = i < NINTERNED ? snprintf(s, sizeof s, "%u", i)
                            : snprintf(s, sizeof s, "%s", i == TRUE_ATOM ? "T" : "F");
    gcs_store(*consts, i, gcs_new_atom((uint32_t)len));
    memcpy(gcs_obj_payload(gcs_load(*consts, i)), s, (size_t)len);
    gcs_load(*consts, i)->tag = i;
  }
  gcs_root_set(recs, gcs_new(n, 0));
  uint64_t rnd = seed;
  for (uint32_t id = 0; id < n; id++) {
    gcs_obj *r = gcs_new(RSLOTS, 0);
    r->tag = id;
    gcs_store(*recs, id, r); /* reachable from here on */
    gcs_store(r, RA, new_int(id));
    char b[24];
    int blen = snprintf(b, sizeof b, "node %u", id);
    gcs_store(r, RB, gcs_new_atom((uint32_t)blen));
    memcpy(gcs_obj_payload(gcs_load(r, RB)), b, (size_t)blen);
    uint32_t clen = id % 100;
    if (clen) {
      gcs_store(r, RC_, gcs_new_atom(clen));
      unsigned char *c = gcs_obj_payload(gcs_load(r, RC_));
      for (uint32_t k = 0; k < clen; k++) c[k] = (unsigned char)gcs_rng_next(&rnd);
    }
    d[id] = unit_double(&rnd);
    gcs_store(r, RD, gcs_new_atom(sizeof(double)));
    memcpy(gcs_obj_payload(gcs_load(r, RD)), &d[id], sizeof(double));
    gcs_store(r, RE, gcs_load(*consts, (uint32_t)(gcs_rng_next(&rnd) % NINTERNED)));
    uint64_t f = gcs_rng_next(&rnd) % 3;
    if (f) gcs_store(r, RF, gcs_load(*consts, f == 1 ? TRUE_ATOM : FALSE_ATOM));
    gcs_safepoint();
  }
}

static double record_d(gcs_obj *item) {
  double v;
  memcpy(&v, gcs_obj_payload(gcs_load(gcs_load(item, VALUE), RD)), sizeof v);
  return v;
}

/* tree[key] = records[key]: a new (key, record) item; keyatom reachable. */
static void tree_set(gcs_obj *tree, gcs_obj *keyatom, gcs_obj *record, gcs_obj **scratch) {
  gcs_root_set(scratch, gcs_new(2, 0));
  (*scratch)->tag = keyatom->tag;
  gcs_store(*scratch, KEY, keyatom);
  gcs_store(*scratch, VALUE, record);
  tree_add(tree, *scratch);
  gcs_root_set(scratch, NULL);
}

typedef struct walk {
  const gcs_obj *tree_root;  /* for the searches */
  uint32_t next;             /* the key the in-order walk should yield next */
  bool bad;                  /* a key out of order, or a search that failed */
  double d_total;
} walk_t;

static void walk_visit(walk_t *w, const gcs_obj *item) {
  uint32_t key = item->tag;
  gcs_obj *found = search(w->tree_root, key);
  if (key != w->next++ || found == NULL || gcs_load(found, VALUE)->tag != key ||
      gcs_load(found, KEY)->tag != key)
    w->bad = true;
  else
    w->d_total += record_d(found);
}

/* BNode.__iter__ */
static void walk_inorder(walk_t *w, const gcs_obj *n) {
  const gcs_obj *items = items_of(n);
  if (is_leaf(n)) {
    for (uint32_t i = 0; i < list_len(items); i++) walk_visit(w, list_get(items, i));
    return;
  }
  const gcs_obj *nodes = nodes_of(n);
  for (uint32_t i = 0; i < list_len(items); i++) {
    walk_inorder(w, list_get(nodes, i));
    walk_visit(w, list_get(items, i));
  }
  walk_inorder(w, list_get(nodes, list_len(nodes) - 1));
}

static int run_btree(gcs_wl_ctx *ctx) {
  const uint32_t n = (uint32_t)gcs_knob("records");
  const uint32_t remake = (uint32_t)((uint64_t)n * (uint64_t)gcs_knob("recreate_pct") / 100);
  const uint64_t rounds = (uint64_t)gcs_knob("rounds");
  double *d = malloc((size_t)n * sizeof *d);
  uint32_t *perm = malloc((size_t)n * sizeof *perm);
  uint64_t *times = malloc(rounds * sizeof *times);
  GCS_WL_CHECK(d && perm && times, "no memory for %u records", n);
  gcs_obj **r = gcs_frame_push(5); /* records, constants, tree, ids, scratch */
  make_records(&r[0], &r[1], n, ctx->seed, d);
  double expect_total = 0;
  for (uint32_t i = 0; i < n; i++) expect_total += d[i];

  for (uint64_t round = 0; round < rounds; round++) {
    /* make_tree */
    gcs_root_set(&r[3], gcs_new(n, 0)); /* ids = list(range(num_nodes)) */
    for (uint32_t i = 0; i < n; i++) gcs_store(r[3], i, new_int(i));
    uint64_t rnd = ctx->seed ^ 0x5eedb7ee; /* random.seed(RANDOM_SEED) */
    for (uint32_t i = 0; i < n; i++) perm[i] = i;
    gcs_rng_shuffle(perm, n, &rnd); /* random.shuffle(ids) */
    gcs_root_set(&r[2], gcs_new(1, 0)); /* tree = BTree() */
    bnode_new(&r[4]);
    gcs_store(r[2], 0, r[4]);
    for (uint32_t i = 0; i < n; i++) {
      gcs_obj *key = gcs_load(r[3], perm[i]);
      tree_set(r[2], key, gcs_load(r[0], key->tag), &r[4]);
      gcs_safepoint();
    }
    for (uint32_t id = 0; id < remake; id++) {
      GCS_WL_CHECK(delete_key(gcs_load(r[2], 0), id) == 0, "round %llu: key %u missing on delete",
                   (unsigned long long)round, id);
      gcs_safepoint();
    }
    for (uint32_t id = 0; id < remake; id++) {
      gcs_root_set(&r[4], new_int(id)); /* a fresh int, as range() makes */
      gcs_obj **f = gcs_frame_push(1);
      tree_set(r[2], r[4], gcs_load(r[0], id), &f[0]);
      gcs_frame_pop(f);
      gcs_safepoint();
    }
    gcs_root_set(&r[4], NULL);
    gcs_root_set(&r[3], NULL); /* ids goes with make_tree's frame */
    if (round == 0) gcs_wl_mark(ctx, "built");

    uint64_t t0 = gcs_now_ns();
    gcs_heap_collect(-1);
    times[round] = gcs_now_ns() - t0;

    walk_t w = {gcs_load(r[2], 0), 0, false, 0.0};
    walk_inorder(&w, w.tree_root);
    GCS_WL_CHECK(!w.bad && w.next == n && w.d_total == expect_total,
                 "round %llu: walk yielded %u keys (bad %d), d total %.17g, expected %.17g",
                 (unsigned long long)round, w.next, w.bad, w.d_total, expect_total);

    uint32_t num_lookup = n / 20 > 200 ? n / 20 : 200;
    double got = 0, want = 0;
    rnd = ctx->seed ^ 0x100c0b; /* random.Random(RANDOM_SEED) */
    for (uint32_t i = 0; i < num_lookup; i++) {
      uint32_t id = (uint32_t)(gcs_rng_next(&rnd) % ((uint64_t)n + 1)); /* randint(0, N) */
      gcs_obj *item = search(gcs_load(r[2], 0), id);
      GCS_WL_CHECK((item != NULL) == (id < n), "lookup of %u: %s", id, item ? "found" : "missing");
      if (item) got += record_d(item);
      if (id < n) want += d[id];
    }
    GCS_WL_CHECK(got == want, "lookups total %.17g, expected %.17g", got, want);
    gcs_root_set(&r[2], NULL);
  }

  gcs_wl_figure(ctx, "collect_ns_median", (double)gcs_median_u64(times, rounds));
  free(times);
  free(perm);
  free(d);
  gcs_frame_pop(r);
  return 0;
}

static const char *const btree_small[] = {"records=300", "rounds=2", NULL};
static const char *const btree_bench[] = {"records=100000", "rounds=2", NULL};

const gcs_workload_t gcs_workload_btree = {
  .name = "btree",
  .summary = "pyperformance btree: 200,000 records in a B-tree (t = 16), 20% deleted and re-added, collected",
  .knobs = btree_knobs,
  .small = btree_small,
  .bench = btree_bench,
  .run = run_btree,
};
