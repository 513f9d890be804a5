/*
** test_faults.c — allocation-failure injection (core/fault.h, docs/faults.md): the knobs
** fail_alloc_at=N and fail_alloc_count=K against the heap's failure paths.
**
** Build macros: GCS_DEBUG (>= 2: the live registry is a site).
*/
#include "tests/support.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

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

#if GCS_DEBUG >= 2
/* The registry is the second allocation of an open (after the shadow stack). */
Test(faults, live_registry_at_open_is_an_error_return) {
  const char *knobs[] = {"fail_alloc_at=2", NULL};
  char err[512];
  cr_assert_eq(open_with("none", knobs, err, sizeof err), ENOMEM, "the open did not fail");
  cr_assert_eq(gcs_fault.first_failed, GCS_FAULT_LIVESET);
  cr_assert(strstr(err, "cannot allocate the live-object registry") && strstr(err, "injected"), "%s", err);
  check_nothing_left();
}
#endif

/* The shadow stack is the first allocation of an open. */
Test(faults, shadow_stack_at_open_is_an_error_return) {
  const char *knobs[] = {"fail_alloc_at=1", NULL};
  char err[512];
  cr_assert_eq(open_with("cpython", knobs, err, sizeof err), ENOMEM, "the open did not fail");
  cr_assert_eq(gcs_fault.first_failed, GCS_FAULT_ROOTS);
  cr_assert(strstr(err, "cannot map the shadow stack") && strstr(err, "injected"), "%s", err);
  check_nothing_left();
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
    char at[64], err[512];
    snprintf(at, sizeof at, "fail_alloc_at=%llu",
             (unsigned long long)first_call_at_open("marksweep", allocator, GCS_FAULT_OBJTABLE));
    const char *knobs[] = {at, allocator, NULL};
    cr_assert_eq(open_with("marksweep", knobs, err, sizeof err), ENOMEM, "the open did not fail");
    cr_assert_eq(gcs_fault.first_failed, GCS_FAULT_OBJTABLE);
    cr_assert(strstr(err, "collector marksweep failed to start: Cannot allocate memory") &&
              strstr(err, "injected"), "%s", err);
    check_nothing_left();
  }
}
