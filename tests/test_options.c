/*
** test_options.c — core/options.c's strict number parser (gcs_parse_u64, gcs_parse_i64), the
** one every flag, knob and trace field goes through: digits only, '-' only where the range
** takes negatives, no white space or '+', overflow and range checked; and a knob value through
** gcs_options_resolve, whose message names the flag.
*/
#include "tests/support.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

Test(parse_number, unsigned_accepts_digits_only) {
  uint64_t v = 7;
  cr_assert_eq(gcs_parse_u64("0", 10, &v), 0);
  cr_assert_eq(v, 0);
  cr_assert_eq(gcs_parse_u64("007", 10, &v), 0);
  cr_assert_eq(v, 7);
  cr_assert_eq(gcs_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
  cr_assert_eq(v, UINT64_MAX);
  static const char *const not_numbers[] = {"", " 1", "1 ", "+1", "-1", " -1", "\t1", "1\n", "0x1", "1e3", "1.0", "-", "１"};
  for (size_t i = 0; i < sizeof not_numbers / sizeof *not_numbers; i++) {
    v = 42;
    cr_expect_eq(gcs_parse_u64(not_numbers[i], UINT64_MAX, &v), EINVAL, "'%s' parsed", not_numbers[i]);
    cr_expect_eq(v, 42, "'%s' wrote *out", not_numbers[i]);
  }
}

Test(parse_number, unsigned_overflow_and_range) {
  uint64_t v = 42;
  cr_assert_eq(gcs_parse_u64("18446744073709551616", UINT64_MAX, &v), ERANGE);
  cr_assert_eq(gcs_parse_u64("99999999999999999999999", UINT64_MAX, &v), ERANGE);
  cr_assert_eq(gcs_parse_u64("99999999999999999999x", UINT64_MAX, &v), EINVAL); /* not a number at all */
  cr_assert_eq(gcs_parse_u64("11", 10, &v), ERANGE);
  cr_assert_eq(v, 42);
  cr_assert_eq(gcs_parse_u64("10", 10, &v), 0);
  cr_assert_eq(v, 10);
}

Test(parse_number, signed_takes_a_minus_only_where_the_range_has_negatives) {
  int64_t v = 42;
  cr_assert_eq(gcs_parse_i64("-5", 0, 100, &v), EINVAL);
  cr_assert_eq(gcs_parse_i64("-5", -10, 100, &v), 0);
  cr_assert_eq(v, -5);
  cr_assert_eq(gcs_parse_i64("-0", -10, 100, &v), 0);
  cr_assert_eq(v, 0);
  cr_assert_eq(gcs_parse_i64("-11", -10, 100, &v), ERANGE);
  cr_assert_eq(gcs_parse_i64("- 5", -10, 100, &v), EINVAL);
  cr_assert_eq(gcs_parse_i64("--5", -10, 100, &v), EINVAL);
  cr_assert_eq(gcs_parse_i64(" -5", -10, 100, &v), EINVAL);
  cr_assert_eq(gcs_parse_i64("+5", -10, 100, &v), EINVAL);
  cr_assert_eq(gcs_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v), 0);
  cr_assert_eq(v, INT64_MIN);
  cr_assert_eq(gcs_parse_i64("9223372036854775807", INT64_MIN, INT64_MAX, &v), 0);
  cr_assert_eq(v, INT64_MAX);
  v = 42;
  cr_assert_eq(gcs_parse_i64("-9223372036854775809", INT64_MIN, INT64_MAX, &v), ERANGE);
  cr_assert_eq(gcs_parse_i64("9223372036854775808", INT64_MIN, INT64_MAX, &v), ERANGE);
  cr_assert_eq(v, 42);
}

Test(parse_number, a_knob_value_with_white_space_is_refused_naming_the_flag) {
  gcs_options_t opts = {0};
  char err[512];
  cr_assert_eq(gcs_options_add(&opts, "threshold0= 5", err, sizeof err), 0);
  cr_assert_neq(gcs_heap_open(gcs_collector_find("cpython"), &opts, err, sizeof err), 0);
  cr_assert(strstr(err, "--set threshold0= 5: expected an integer in 0..") != NULL, "%s", err);
  opts.n = 0;
  cr_assert_eq(gcs_options_add(&opts, "pause_log=1", err, sizeof err), 0);
  cr_assert_eq(gcs_heap_open(gcs_collector_find("cpython"), &opts, err, sizeof err), 0, "%s", err);
  cr_assert_eq(gcs_knob("pause_log"), 1);
  gcs_teardown_t td;
  gcs_heap_close(&td);
}
