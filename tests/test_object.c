/*
** test_object.c — the object model and the mutator API: layout, prefix, roots, options,
** observer, walk, the JSON writer.
*/
#include "tests/support.h"

#include <criterion/criterion.h>
#include <string.h>

Test(object, layout_of_containers_and_atoms) {
  ts_open("rc", NULL);
  gcs_obj **r = gcs_frame_push(2);
  gcs_root_set(&r[0], gcs_new(5, 24));
  gcs_obj *c = r[0];
  cr_assert_eq(c->kind, GCS_CONTAINER);
  cr_assert_eq(c->nslots, 5);
  cr_assert_eq(c->payload, 24);
  cr_assert_eq(gcs_obj_size(c), sizeof(gcs_obj) + 5 * 8 + 24);
  cr_assert_eq((char *)gcs_obj_payload(c), (char *)c + sizeof(gcs_obj) + 40);
  for (int i = 0; i < 5; i++) cr_assert_null(c->slots[i]);
  cr_assert_eq((uintptr_t)c % 8, 0);
  cr_assert_eq(GCS_REFCNT(c), 1, "the root holds it");
  memset(gcs_obj_payload(c), 0x5a, 24);
  gcs_root_set(&r[1], gcs_new_atom(100));
  cr_assert_eq(r[1]->kind, GCS_ATOM);
  cr_assert_eq(r[1]->nslots, 0);
  cr_assert_eq(gcs_heap.live_bytes, (8 + sizeof(gcs_obj) + 40 + 24) + (8 + sizeof(gcs_obj) + 100));
  gcs_frame_pop(r);
  ts_close();
}

Test(object, prefix_is_collector_private_and_zeroed) {
  ts_open("none", NULL);
  cr_assert_eq(gcs_heap.prefix[GCS_CONTAINER], 0);
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(1, 0));
  cr_assert_eq(GCS_REFCNT(r[0]) == 0 || 1, 1); /* no prefix under none: nothing to read */
  gcs_frame_pop(r);
  ts_close();
  ts_open("rc", NULL);
  cr_assert_eq(gcs_heap.prefix[GCS_CONTAINER], 8);
  cr_assert_eq(gcs_heap.prefix[GCS_ATOM], 8);
  gcs_obj *a = gcs_new_atom(0);
  cr_assert_eq(GCS_REFCNT(a), 0);
  r = gcs_frame_push(1);
  gcs_root_set(&r[0], a);
  gcs_frame_pop(r);
  ts_close();
}

typedef struct { int visits; gcs_obj *seen[4]; } visit_acc;
static int visit_collect(gcs_obj *child, void *arg) {
  visit_acc *acc = arg;
  acc->seen[acc->visits++] = child;
  return acc->visits == 2 ? 7 : 0;
}

Test(object, traverse_visits_non_null_slots_and_stops_on_non_zero) {
  ts_open("none", NULL);
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(4, 0));
  gcs_obj *x = gcs_new_atom(1), *y = gcs_new_atom(2), *z = gcs_new_atom(3);
  gcs_store(r[0], 0, x);
  gcs_store(r[0], 2, y);
  gcs_store(r[0], 3, z);
  visit_acc acc = {0};
  cr_assert_eq(gcs_traverse(r[0], visit_collect, &acc), 7);
  cr_assert_eq(acc.visits, 2);
  cr_assert_eq(acc.seen[0], x);
  cr_assert_eq(acc.seen[1], y);
  cr_assert_eq(gcs_load(r[0], 3), z);
  cr_assert_null(gcs_load(r[0], 1));
  gcs_frame_pop(r);
  ts_close();
}

Test(object, frames_nest_and_pop_releases_inner_frames) {
  ts_open("rc", NULL);
  gcs_obj **outer = gcs_frame_push(1);
  gcs_root_set(&outer[0], gcs_new(0, 0));
  gcs_obj **inner = gcs_frame_push(3);
  cr_assert_eq(inner, outer + 1);
  gcs_root_set(&inner[2], gcs_new_atom(1));
  cr_assert_eq(gcs_heap.live_objects, 2);
  gcs_frame_pop(inner);
  cr_assert_eq(gcs_heap.live_objects, 1);
  gcs_obj **again = gcs_frame_push(2);
  cr_assert_null(again[0], "fresh roots are NULL");
  cr_assert_null(again[1]);
  gcs_frame_pop(outer);
  cr_assert_eq(gcs_heap.live_objects, 0);
  cr_assert_eq(gcs_heap.roots_top, gcs_heap.roots_base);
  ts_close();
}

Test(object, shadow_stack_overflow_is_a_clean_error, .exit_code = 70) {
  const char *knobs[] = {"roots_max=16", NULL};
  ts_open("none", knobs);
  gcs_frame_push(10);
  gcs_frame_push(7);
}

Test(object, observer_sees_every_allocation_and_free) {
  ts_open("rc", NULL);
  ts_counter c = {0};
  ts_observe(&c);
  gcs_obj **r = gcs_frame_push(1);
  gcs_root_set(&r[0], gcs_new(2, 0));
  gcs_store(r[0], 0, gcs_new_atom(3));
  gcs_store(r[0], 1, gcs_new(0, 0));
  cr_assert_eq(c.allocated, 3);
  gcs_frame_pop(r);
  cr_assert_eq(c.freed, 3);
  ts_close();
}

#if GCS_DEBUG >= 2
static void count_visit(gcs_obj *o, void *arg) {
  (void)o;
  (*(int *)arg)++;
}
Test(object, walk_sees_every_live_object) {
  ts_open("none", NULL);
  gcs_obj **r = gcs_frame_push(1);
  for (int i = 0; i < 1000; i++) gcs_root_set(&r[0], gcs_new(1, (uint32_t)i));
  int n = 0;
  cr_assert_eq(gcs_heap_walk(count_visit, &n), 0);
  cr_assert_eq(n, 1000);
  cr_assert_eq(gcs_heap_verify(), 0);
  gcs_frame_pop(r);
  ts_close();
}
#endif

Test(options, defaults_and_values) {
  const char *knobs[] = {"release=pool", "purge_delay_ms=250", "allocator=1", NULL};
  ts_open("rc", knobs);
  cr_assert_eq(gcs_knob("release"), 1);
  cr_assert_eq(gcs_knob("purge_delay_ms"), 250);
  cr_assert_eq(gcs_knob("allocator"), GCS_ALLOC_SYSTEM);
  cr_assert_eq(gcs_knob("roots_max"), 1 << 20);
  ts_close();
}

static void expect_open_error(const char *collector, const char *knob, const char *needle) {
  gcs_options_t opts = {0};
  char err[1024] = "";
  if (gcs_options_add(&opts, knob, err, sizeof err) == 0) {
    cr_assert_neq(gcs_heap_open(gcs_collector_find(collector), &opts, err, sizeof err), 0, "%s was accepted", knob);
    cr_assert_null(gcs_heap.ops, "a failed open leaves nothing open");
  }
  cr_assert(strstr(err, needle) != NULL, "for %s: '%s' does not say '%s'", knob, err, needle);
}

Test(options, bad_knobs_are_named) {
  expect_open_error("rc", "threshold0=5", "--set threshold0: no knob of that name for collector rc (knobs: allocator, release");
  expect_open_error("rc", "release=sometimes", "--set release=sometimes: expected arena|pool|none");
  expect_open_error("rc", "release=7", "expected arena|pool|none");
  expect_open_error("rc", "purge_delay_ms=-1", "--set purge_delay_ms=-1: expected an integer in 0..60000");
  expect_open_error("rc", "purge_delay_ms=1e3", "expected an integer in 0..60000");
  expect_open_error("rc", "purge_delay_ms=", "--set purge_delay_ms=: expected name=value");
  expect_open_error("rc", "=3", "expected name=value");
  expect_open_error("rc", "release", "--set release: expected name=value");
}

Test(json, writer_output) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  gcs_json_t j;
  gcs_json_open(&j, f, false);
  gcs_json_object(&j, NULL);
  gcs_json_str(&j, "name", "a \"q\"\n");
  gcs_json_array(&j, "xs");
  gcs_json_int(&j, NULL, -1);
  gcs_json_uint(&j, NULL, 2);
  gcs_json_end(&j);
  gcs_json_array(&j, "empty");
  gcs_json_end(&j);
  gcs_json_object(&j, "o");
  gcs_json_double(&j, "d", 0.5);
  gcs_json_bool(&j, "b", true);
  gcs_json_end(&j);
  gcs_json_end(&j);
  gcs_json_close(&j);
  fclose(f);
  cr_assert_str_eq(buf, "{\"name\": \"a \\\"q\\\"\\u000a\", \"xs\": [-1, 2], \"empty\": [], \"o\": {\"d\": 0.5, \"b\": true}}\n");
  free(buf);
}
