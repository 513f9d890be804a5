/*
** churn.c — a web service's shape: a high rate of short-lived cyclic garbage (requests whose
** parts point back to them) beside a long-lived heap that keeps growing (sessions retained).
**
** Not a port: the pattern under which CPython 3.14's incremental collector was seen
** holding far more memory than 3.13's generational one — many young cycles per second while
** the old generation grows. Each request is
**     req        container 4: headers, body, response, NULL (tag = request number)
**     headers    container 6: five header atoms (16..64 bytes), a back-reference to req
**     body       atom, 32..480 bytes
**     response   container 3: a back-reference to req, a body atom (32..480 bytes), a status
**                atom holding the checksum of the header bytes ("the work")
** 11 objects, two cycles (req <-> headers, req <-> response), all payload sizes small-object
** classes. `inflight` requests are live at once (a ring of roots: request i replaces request
** i - inflight, which becomes cyclic garbage). With probability retain_permille / 1000 a
** finished request's response (and so its whole request) is retained by a new session
** object pushed on a long-lived linked list: the long-lived heap grows through the run, and
** holds cycles too.
** Self-checks: every request, when it leaves the ring, still has its back-references, tags
** and checksum; at the end the session list has exactly the sessions retained, each reaching
** an intact request.
** `rc` leaks every request (each is cyclic).
**
** Knobs: requests, inflight, retain_permille. Peak live data ("built"): at the end, when the
** session list is longest (marked before the final check).
*/
#include "workloads/workloads.h"

#include <stdint.h>
#include <string.h>

static const gcs_knob_t churn_knobs[] = {
  {"requests", 500000, 1, 1000000000, NULL, "requests served (11 objects each, two cycles)"},
  {"inflight", 32, 1, 100000, NULL, "requests live at once"},
  {"retain_permille", 40, 0, 1000, NULL, "per mille of requests whose response a session retains"},
  {NULL, 0, 0, 0, NULL, NULL},
};

enum { REQ_HEADERS = 0, REQ_BODY, REQ_RESPONSE, REQ_SLOTS = 4 };
enum { NHEADERS = 5, HDR_REQ = NHEADERS, HDR_SLOTS };
enum { RESP_REQ = 0, RESP_BODY, RESP_STATUS, RESP_SLOTS };
enum { SESS_ID = 0, SESS_RESPONSE, SESS_NEXT, SESS_SLOTS };

static uint32_t rand_between(uint64_t *s, uint32_t lo, uint32_t hi) {
  return lo + (uint32_t)(gcs_rng_next(s) % (hi - lo + 1));
}

static void fill(gcs_obj *atom, uint64_t *s) {
  unsigned char *p = gcs_obj_payload(atom);
  uint64_t x = gcs_rng_next(s);
  for (uint32_t i = 0; i < atom->payload; i++) p[i] = (unsigned char)(x >> (8 * (i % 8)));
}

static uint64_t header_checksum(const gcs_obj *headers) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (uint32_t i = 0; i < NHEADERS; i++) {
    gcs_obj *a = gcs_load(headers, i);
    const unsigned char *p = gcs_obj_payload(a);
    for (uint32_t k = 0; k < a->payload; k++) h = (h ^ p[k]) * 1099511628211ull;
  }
  return h;
}

/* A new request numbered id into *slot (a root). */
static void new_request(gcs_obj **slot, uint32_t id, uint64_t *rnd) {
  gcs_root_set(slot, gcs_new(REQ_SLOTS, 0));
  gcs_obj *req = *slot;
  req->tag = id;
  gcs_store(req, REQ_HEADERS, gcs_new(HDR_SLOTS, 0));
  gcs_obj *headers = gcs_load(req, REQ_HEADERS);
  headers->tag = id;
  gcs_store(headers, HDR_REQ, req);
  for (uint32_t i = 0; i < NHEADERS; i++) {
    gcs_store(headers, i, gcs_new_atom(rand_between(rnd, 16, 64)));
    fill(gcs_load(headers, i), rnd);
  }
  gcs_store(req, REQ_BODY, gcs_new_atom(rand_between(rnd, 32, 480)));
  fill(gcs_load(req, REQ_BODY), rnd);
  /* the work: a response, pointing back to its request */
  gcs_store(req, REQ_RESPONSE, gcs_new(RESP_SLOTS, 0));
  gcs_obj *resp = gcs_load(req, REQ_RESPONSE);
  resp->tag = id;
  gcs_store(resp, RESP_REQ, req);
  gcs_store(resp, RESP_BODY, gcs_new_atom(rand_between(rnd, 32, 480)));
  fill(gcs_load(resp, RESP_BODY), rnd);
  gcs_store(resp, RESP_STATUS, gcs_new_atom(sizeof(uint64_t)));
  uint64_t sum = header_checksum(headers);
  memcpy(gcs_obj_payload(gcs_load(resp, RESP_STATUS)), &sum, sizeof sum);
}

/* Is the request intact? */
static bool request_ok(const gcs_obj *req, uint32_t id) {
  const gcs_obj *headers = gcs_load(req, REQ_HEADERS), *resp = gcs_load(req, REQ_RESPONSE);
  if (req->tag != id || headers == NULL || resp == NULL || gcs_load(req, REQ_BODY) == NULL)
    return false;
  if (headers->tag != id || gcs_load(headers, HDR_REQ) != req) return false;
  if (resp->tag != id || gcs_load(resp, RESP_REQ) != req || gcs_load(resp, RESP_BODY) == NULL)
    return false;
  uint64_t sum;
  memcpy(&sum, gcs_obj_payload(gcs_load(resp, RESP_STATUS)), sizeof sum);
  return sum == header_checksum(headers);
}

static int run_churn(gcs_wl_ctx *ctx) {
  const uint32_t requests = (uint32_t)gcs_knob("requests");
  const uint32_t inflight = (uint32_t)gcs_knob("inflight");
  const uint64_t retain = (uint64_t)gcs_knob("retain_permille");
  uint64_t rnd = ctx->seed;
  gcs_obj **sessions = gcs_frame_push(1); /* the head of the session list */
  gcs_obj **ring = gcs_frame_push(inflight);
  uint32_t retained = 0;

  for (uint32_t id = 0; id < requests; id++) {
    gcs_obj **slot = &ring[id % inflight];
    if (*slot) {
      GCS_WL_CHECK(request_ok(*slot, id - inflight), "request %u was damaged", id - inflight);
    }
    new_request(slot, id, &rnd); /* the old request becomes garbage */
    if (gcs_rng_next(&rnd) % 1000 < retain) {
      gcs_obj *s = gcs_new(SESS_SLOTS, 0);
      s->tag = id;
      gcs_store(s, SESS_NEXT, sessions[0]);
      gcs_root_set(&sessions[0], s);
      gcs_store(s, SESS_RESPONSE, gcs_load(*slot, REQ_RESPONSE));
      gcs_store(s, SESS_ID, gcs_new_atom(32));
      fill(gcs_load(s, SESS_ID), &rnd);
      retained++;
    }
    gcs_safepoint();
  }
  gcs_wl_mark(ctx, "built");

  for (uint32_t i = 0; i < inflight && i < requests; i++) {
    uint32_t id = requests - 1 - i;
    GCS_WL_CHECK(request_ok(ring[id % inflight], id), "request %u was damaged", id);
  }
  uint32_t n = 0, last = UINT32_MAX;
  for (gcs_obj *s = sessions[0]; s; s = gcs_load(s, SESS_NEXT), n++) {
    gcs_obj *resp = gcs_load(s, SESS_RESPONSE);
    GCS_WL_CHECK(s->tag < last && resp && resp->tag == s->tag && gcs_load(s, SESS_ID),
                 "session %u (request %u) is damaged", n, s->tag);
    GCS_WL_CHECK(request_ok(gcs_load(resp, RESP_REQ), s->tag), "retained request %u damaged",
                 s->tag);
    last = s->tag;
  }
  GCS_WL_CHECK(n == retained, "%u sessions on the list, %u retained", n, retained);
  gcs_wl_figure(ctx, "sessions", retained);
  gcs_frame_pop(sessions);
  return 0;
}

static const char *const churn_small[] = {"requests=120", "inflight=8", "retain_permille=100",
                                          NULL};
static const char *const churn_bench[] = {"requests=125000", NULL};

const gcs_workload_t gcs_workload_churn = {
  .name = "churn",
  .summary = "web-service shape: short-lived cyclic requests beside a growing long-lived session heap",
  .knobs = churn_knobs,
  .small = churn_small,
  .bench = churn_bench,
  .run = run_churn,
};
