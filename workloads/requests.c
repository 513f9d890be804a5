/*
** requests.c — a server's requests: every request builds a small graph with reference cycles
** (request <-> response, a callback holding the request, header and body objects), keeps a
** fraction of them in a bounded pool (a connection pool, a cache of sessions), and drops the
** rest at its end: per-request cyclic garbage with a retained fraction, the load under which
** CPython 3.14's incremental collector let memory grow (gh-142516: HTTP clients and servers;
** mypy reported 2x memory on 3.14.1-3.14.4).
**
**     session    container of `live_objects` slots, each a long-lived node (container 2,
**                linked in a ring: old state every full collection walks) — built first
**     pool       container of `retained_max` slots: retained requests, oldest replaced first
**     request    container 5: HEADERS, BODY, RESPONSE, CALLBACK, SESSION (a node of the
**                session: young pointing to old); tag = its number
**     headers    container of `headers` slots, each an atom of 24 bytes (name and value)
**     body       atom of `body_bytes`
**     response   container 2: REQUEST (back to the request: a cycle), STATUS (an atom 8)
**     callback   container 1: the request (a closure over it: another cycle)
** A request is retained with probability retained_permille / 1000; the request it replaces in
** the pool, and every request not retained, becomes cyclic garbage at once.
** Self-checks: every pool entry is a whole request (its response points back, its callback
** holds it, its headers' tags are its number); the session ring is intact at the end.
**
** Knobs: requests, live_objects, headers, body_bytes, retained_permille, retained_max.
** "built": the session made (live data then only grows by the pool, bounded).
*/
#include "workloads/workloads.h"

#include <stdint.h>

static const gcs_knob_t requests_knobs[] = {
  {"requests", 200000, 1, 10000000000, NULL, "requests served"},
  {"live_objects", 100000, 1, 100000000, NULL, "long-lived session nodes (a ring)"},
  {"headers", 8, 0, 1000, NULL, "header atoms per request"},
  {"body_bytes", 512, 0, 1 << 24, NULL, "body atom bytes per request"},
  {"retained_permille", 10, 0, 1000, NULL, "requests kept in the pool, per thousand"},
  {"retained_max", 2000, 1, 100000000, NULL, "pool capacity (requests); the oldest is replaced"},
  {NULL, 0, 0, 0, NULL, NULL},
};

enum { HEADERS = 0, BODY, RESPONSE, CALLBACK, SESSION, REQUEST_SLOTS };
enum { R_REQUEST = 0, R_STATUS, RESPONSE_SLOTS };
enum { NODE_NEXT = 0, NODE_VALUE, NODE_SLOTS };

/* A whole request numbered n: the checks of the file comment. */
static bool request_ok(gcs_obj *q, uint32_t nheaders) {
  gcs_obj *resp = gcs_load(q, RESPONSE), *cb = gcs_load(q, CALLBACK), *h = gcs_load(q, HEADERS);
  if (!resp || gcs_load(resp, R_REQUEST) != q || !cb || gcs_load(cb, 0) != q || !h ||
      h->nslots != nheaders || !gcs_load(q, SESSION))
    return false;
  for (uint32_t i = 0; i < nheaders; i++)
    if (gcs_load(h, i) == NULL || gcs_load(h, i)->tag != q->tag) return false;
  return true;
}

static int run_requests(gcs_wl_ctx *ctx) {
  const uint64_t requests = (uint64_t)gcs_knob("requests");
  const uint32_t live = (uint32_t)gcs_knob("live_objects");
  const uint32_t nheaders = (uint32_t)gcs_knob("headers");
  const uint32_t body = (uint32_t)gcs_knob("body_bytes");
  const uint64_t permille = (uint64_t)gcs_knob("retained_permille");
  const uint32_t pool_max = (uint32_t)gcs_knob("retained_max");

  gcs_obj **r = gcs_frame_push(4); /* session, pool, the request, scratch */
  gcs_root_set(&r[0], gcs_new(live, 0));
  gcs_obj *session = r[0];
  for (uint32_t i = 0; i < live; i++) {
    gcs_store(session, i, gcs_new(NODE_SLOTS, 0));
    gcs_obj *node = gcs_load(session, i);
    node->tag = i;
    gcs_store(node, NODE_VALUE, gcs_new_atom(16));
    if (i) gcs_store(gcs_load(session, i - 1), NODE_NEXT, node);
    gcs_safepoint();
  }
  gcs_store(gcs_load(session, live - 1), NODE_NEXT, gcs_load(session, 0));
  gcs_root_set(&r[1], gcs_new(pool_max, 0));
  gcs_obj *pool = r[1];
  gcs_wl_mark(ctx, "built");

  uint64_t rnd = ctx->seed, retained = 0;
  uint32_t next_slot = 0;
  for (uint64_t n = 0; n < requests; n++) {
    gcs_root_set(&r[2], gcs_new(REQUEST_SLOTS, 0));
    gcs_obj *q = r[2];
    q->tag = (uint32_t)n;
    gcs_store(q, SESSION, gcs_load(session, (uint32_t)(gcs_rng_next(&rnd) % live)));
    gcs_store(q, HEADERS, gcs_new(nheaders, 0));
    gcs_obj *h = gcs_load(q, HEADERS);
    for (uint32_t i = 0; i < nheaders; i++) {
      gcs_store(h, i, gcs_new_atom(24));
      gcs_load(h, i)->tag = (uint32_t)n;
    }
    gcs_store(q, BODY, gcs_new_atom(body));
    gcs_store(q, RESPONSE, gcs_new(RESPONSE_SLOTS, 0));
    gcs_obj *resp = gcs_load(q, RESPONSE);
    gcs_store(resp, R_REQUEST, q);
    gcs_store(resp, R_STATUS, gcs_new_atom(8));
    gcs_store(q, CALLBACK, gcs_new(1, 0));
    gcs_store(gcs_load(q, CALLBACK), 0, q);
    if (gcs_rng_next(&rnd) % 1000 < permille) {
      gcs_obj *old = gcs_load(pool, next_slot);
      GCS_WL_CHECK(old == NULL || request_ok(old, nheaders),
                   "request %u in the pool is damaged", old ? old->tag : 0);
      gcs_store(pool, next_slot, q);   /* the old one: cyclic garbage now */
      next_slot = (next_slot + 1) % pool_max;
      retained++;
    }
    gcs_root_set(&r[2], NULL);         /* the request ends: garbage unless retained */
    gcs_safepoint();
  }
  for (uint32_t i = 0; i < pool_max; i++) {
    gcs_obj *q = gcs_load(pool, i);
    GCS_WL_CHECK(q == NULL || request_ok(q, nheaders), "pool entry %u is damaged", i);
  }
  uint32_t ring = 0;
  gcs_obj *node = gcs_load(session, 0);
  do {
    GCS_WL_CHECK(node && node->tag == ring, "session node %u is damaged", ring);
    node = gcs_load(node, NODE_NEXT);
    ring++;
  } while (node != gcs_load(session, 0) && ring <= live);
  GCS_WL_CHECK(ring == live, "the session ring has %u nodes, not %u", ring, live);
  gcs_wl_figure(ctx, "retained", (double)retained);
  gcs_frame_pop(r);
  return 0;
}

static const char *const requests_small[] = {"requests=2000", "live_objects=500", "retained_max=50",
                                             "retained_permille=50", NULL};
static const char *const requests_bench[] = {"requests=20000", "live_objects=10000", NULL};

const gcs_workload_t gcs_workload_requests = {
  .name = "requests",
  .summary = "a server's requests: per-request cyclic garbage, a retained fraction in a bounded pool (gh-142516)",
  .knobs = requests_knobs,
  .small = requests_small,
  .bench = requests_bench,
  .run = run_requests,
};
