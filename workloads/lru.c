/*
** lru.c — a long-lived cache with steady replacement: old objects keep being made to point to
** young ones (the case a generational or incremental collector's write barrier exists for).
**
** Not a port; modelled on functools.lru_cache (CPython Modules/_functoolsmodule.c,
** bounded_lru_cache_wrapper): a circular doubly-linked list of entries behind a sentinel
** `root`, most recently used first, plus a hash index. A hit moves the entry to the front; a
** miss makes a new entry at the front and, over capacity, evicts the last one (unlinked from
** list and index, its links cleared, then dropped).
**     cache      container 2: the root sentinel, the bucket table
**     buckets    container of nbuckets slots (the smallest power of two >= entries): hash
**                chains through the entries' HNEXT slot — one large, old object whose slots
**                keep receiving young entries
**     entry      container 5: PREV, NEXT, HNEXT, key atom (8 bytes), value atom (32..256
**                bytes whose bytes derive from the key); tag = the key
** `lookups` keys drawn uniformly from [0, keys): with keys = 2 * entries about half hit.
** (lru_cache keeps its index in a dict, a separate table of pointers; here the chains run
** through the entries, so one eviction is a chain walk rather than a dict delete.)
** Self-checks: a C model of what is cached and when each key was last used; every hit must
** be a cached key and its value bytes intact; at the end the list, walked from the front,
** holds exactly the cached keys in strictly decreasing recency, each found by the index.
** The cache is a doubly-linked ring, so `rc` leaks it whole at the end (evicted entries,
** unlinked first, are freed).
**
** Knobs: entries (capacity), keys (key space), lookups. Peak live data ("built"): once the
** cache first reaches capacity (or at the end if it never does).
*/
#include "workloads/workloads.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const gcs_knob_t lru_knobs[] = {
  {"entries", 100000, 1, 100000000, NULL, "cache capacity (entries)"},
  {"keys", 200000, 1, 1000000000, NULL, "key space; lookups draw keys uniformly from it"},
  {"lookups", 1000000, 1, 10000000000, NULL, "cache lookups (a miss inserts, evicting the LRU entry)"},
  {NULL, 0, 0, 0, NULL, NULL},
};

enum { PREV = 0, NEXT, HNEXT, KEY, VALUE, ENTRY_SLOTS };
enum { ROOT = 0, BUCKETS, CACHE_SLOTS };

static inline uint32_t hash_key(uint32_t k, uint32_t mask) {
  return (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}
static inline uint32_t value_len(uint32_t k) { return 32 + (k * 2654435761u) % 225; }
static inline unsigned char value_byte(uint32_t k, uint32_t i) { return (unsigned char)(k * 31 + i); }

static gcs_obj *find(gcs_obj *buckets, uint32_t k, uint32_t mask) {
  gcs_obj *e = gcs_load(buckets, hash_key(k, mask));
  while (e && e->tag != k) e = gcs_load(e, HNEXT);
  return e;
}

static void unlink_entry(gcs_obj *e) { /* e stays reachable from the caller's root or index */
  gcs_obj *prev = gcs_load(e, PREV), *next = gcs_load(e, NEXT);
  gcs_store(prev, NEXT, next);
  gcs_store(next, PREV, prev);
}

static void link_front(gcs_obj *root, gcs_obj *e) {
  gcs_obj *first = gcs_load(root, NEXT);
  gcs_store(e, NEXT, first);
  gcs_store(e, PREV, root);
  gcs_store(first, PREV, e);
  gcs_store(root, NEXT, e);
}

static bool value_ok(gcs_obj *e) {
  gcs_obj *v = gcs_load(e, VALUE);
  uint32_t k = e->tag;
  if (v == NULL || v->payload != value_len(k) || gcs_load(e, KEY)->tag != k) return false;
  const unsigned char *p = gcs_obj_payload(v);
  for (uint32_t i = 0; i < v->payload; i += 37)
    if (p[i] != value_byte(k, i)) return false;
  return true;
}

static int run_lru(gcs_wl_ctx *ctx) {
  const uint32_t entries = (uint32_t)gcs_knob("entries");
  const uint32_t keys = (uint32_t)gcs_knob("keys");
  const uint64_t lookups = (uint64_t)gcs_knob("lookups");
  uint32_t nbuckets = 1;
  while (nbuckets < entries) nbuckets <<= 1;
  const uint32_t mask = nbuckets - 1;
  uint64_t *stamp = calloc(keys, sizeof *stamp); /* last use + 1; 0 = not cached */
  GCS_WL_CHECK(stamp != NULL, "no memory for %u keys", keys);

  gcs_obj **r = gcs_frame_push(2); /* cache, scratch */
  gcs_root_set(&r[0], gcs_new(CACHE_SLOTS, 0));
  gcs_obj *cache = r[0];
  gcs_store(cache, ROOT, gcs_new(ENTRY_SLOTS, 0));
  gcs_obj *root = gcs_load(cache, ROOT);
  root->tag = UINT32_MAX;
  gcs_store(root, PREV, root);
  gcs_store(root, NEXT, root);
  gcs_store(cache, BUCKETS, gcs_new(nbuckets, 0));
  gcs_obj *buckets = gcs_load(cache, BUCKETS);

  uint64_t rnd = ctx->seed, hits = 0;
  uint32_t count = 0;
  bool marked = false;
  for (uint64_t op = 0; op < lookups; op++) {
    uint32_t k = (uint32_t)(gcs_rng_next(&rnd) % keys);
    gcs_obj *e = find(buckets, k, mask);
    GCS_WL_CHECK((e != NULL) == (stamp[k] != 0), "op %llu: key %u %s the cache, the model says %s",
                 (unsigned long long)op, k, e ? "in" : "not in", stamp[k] ? "in" : "not in");
    if (e) { /* hit: to the front */
      GCS_WL_CHECK(value_ok(e), "op %llu: the value of key %u is damaged", (unsigned long long)op, k);
      hits++;
      unlink_entry(e);
      link_front(root, e);
    } else { /* miss: a new entry at the front, then evict */
      gcs_root_set(&r[1], gcs_new(ENTRY_SLOTS, 0));
      e = r[1];
      e->tag = k;
      gcs_store(e, KEY, gcs_new_atom(8));
      gcs_obj *ka = gcs_load(e, KEY);
      ka->tag = k;
      uint64_t k64 = k;
      memcpy(gcs_obj_payload(ka), &k64, sizeof k64);
      gcs_store(e, VALUE, gcs_new_atom(value_len(k)));
      unsigned char *p = gcs_obj_payload(gcs_load(e, VALUE));
      for (uint32_t i = 0; i < value_len(k); i++) p[i] = value_byte(k, i);
      uint32_t b = hash_key(k, mask);
      gcs_store(e, HNEXT, gcs_load(buckets, b));
      gcs_store(buckets, b, e);
      link_front(root, e);
      count++;
      if (count > entries) {
        gcs_root_set(&r[1], gcs_load(root, PREV)); /* the victim, held while it is unlinked */
        gcs_obj *victim = r[1];
        unlink_entry(victim);
        uint32_t vb = hash_key(victim->tag, mask);
        if (gcs_load(buckets, vb) == victim) {
          gcs_store(buckets, vb, gcs_load(victim, HNEXT));
        } else {
          gcs_obj *pred = gcs_load(buckets, vb);
          while (gcs_load(pred, HNEXT) != victim) pred = gcs_load(pred, HNEXT);
          gcs_store(pred, HNEXT, gcs_load(victim, HNEXT));
        }
        gcs_store(victim, PREV, NULL);
        gcs_store(victim, NEXT, NULL);
        gcs_store(victim, HNEXT, NULL);
        stamp[victim->tag] = 0;
        count--;
        if (!marked) {
          gcs_wl_mark(ctx, "built");
          marked = true;
        }
      }
      gcs_root_set(&r[1], NULL);
    }
    stamp[k] = op + 1;
    gcs_safepoint();
  }
  if (!marked) gcs_wl_mark(ctx, "built");

  uint32_t n = 0;
  uint64_t last = UINT64_MAX;
  for (gcs_obj *e = gcs_load(root, NEXT); e != root; e = gcs_load(e, NEXT), n++) {
    uint32_t k = e->tag;
    GCS_WL_CHECK(n < count && k < keys && stamp[k] != 0 && stamp[k] < last,
                 "entry %u (key %u) is out of recency order or not cached", n, k);
    GCS_WL_CHECK(find(buckets, k, mask) == e && value_ok(e) && gcs_load(gcs_load(e, NEXT), PREV) == e,
                 "entry %u (key %u) is damaged or not indexed", n, k);
    last = stamp[k];
  }
  uint32_t cached = 0;
  for (uint32_t k = 0; k < keys; k++) cached += stamp[k] != 0;
  GCS_WL_CHECK(n == count && cached == count, "%u entries on the list, %u counted, %u in the model",
               n, count, cached);
  gcs_wl_figure(ctx, "hit_fraction", (double)hits / (double)lookups);
  free(stamp);
  gcs_frame_pop(r);
  return 0;
}

static const char *const lru_small[] = {"entries=50", "keys=100", "lookups=400", NULL};
static const char *const lru_bench[] = {"entries=25000", "keys=50000", "lookups=250000", NULL};

const gcs_workload_t gcs_workload_lru = {
  .name = "lru",
  .summary = "a long-lived LRU cache with steady replacement: old objects pointing to young ones",
  .knobs = lru_knobs,
  .small = lru_small,
  .bench = lru_bench,
  .run = run_lru,
};
