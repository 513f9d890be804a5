/*
** support.c — shared test helpers (see support.h).
*/
#include "tests/support.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ts_open(const char *name, const char *const *knobs) {
  const gcs_collector_ops *c = gcs_collector_find(name);
  cr_assert(c != NULL, "no collector named %s", name);
  gcs_options_t opts = {0};
  char err[512];
  for (int i = 0; knobs && knobs[i]; i++)
    cr_assert(gcs_options_add(&opts, knobs[i], err, sizeof err) == 0, "%s", err);
  cr_assert(gcs_heap_open(c, &opts, err, sizeof err) == 0, "%s", err);
}

gcs_teardown_t ts_close(void) {
  gcs_teardown_t td;
  gcs_heap_close(&td);
  return td;
}

uint64_t ts_rss_bytes(void) {
  uint64_t rss = gcs_rss_bytes();
  cr_assert(rss > 0, "cannot read /proc/self/statm");
  return rss;
}

const char *ts_write_temp(const char *text) {
  static char paths[8][64];
  static int next;
  char *p = paths[next++ % 8];
  strcpy(p, "/tmp/gcscope-test-XXXXXX");
  int fd = mkstemp(p);
  cr_assert(fd >= 0);
  size_t n = strlen(text);
  cr_assert(write(fd, text, n) == (ssize_t)n);
  close(fd);
  return p;
}

static void count_alloc(void *arg, gcs_obj *o) {
  (void)o;
  ((ts_counter *)arg)->allocated++;
}
static void count_free(void *arg, gcs_obj *o) {
  (void)o;
  ((ts_counter *)arg)->freed++;
}

void ts_observe(ts_counter *c) {
  static gcs_observer_t obs;
  obs = (gcs_observer_t){count_alloc, count_free, c, NULL};
  gcs_heap.observer = &obs;
}
