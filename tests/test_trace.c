/*
** test_trace.c — the trace parser and replay: every malformed case gets "file:line: ..."
** naming what was expected; well-formed traces replay with the documented semantics.
*/
#include "tests/support.h"
#include "workloads/trace.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

/* Parses text; returns the error ("" when it parsed). */
static const char *parse_error(const char *text, const char **path_out) {
  static char err[512];
  const char *path = ts_write_temp(text);
  gcs_trace_t t;
  err[0] = '\0';
  if (gcs_trace_load(path, &t, err, sizeof err) == 0) gcs_trace_free(&t);
  if (path_out) *path_out = path;
  return err;
}

static void expect_parse_error(const char *text, int line, const char *needle) {
  const char *path;
  const char *err = parse_error(text, &path);
  char prefix[128];
  snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
  cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "for %s: error '%s' does not start with '%s'", text, err, prefix);
  cr_assert(strstr(err, needle) != NULL, "for %s: error '%s' does not say '%s'", text, err, needle);
}

Test(trace_parse, malformed_lines) {
  expect_parse_error("frob a 1\n", 1, "unknown op 'frob' (expected new, atom, set, load, drop, let, collect or mark)");
  expect_parse_error("# c\n\nnew\n", 3, "expected `new ID NSLOTS [BYTES]`");
  expect_parse_error("new a\n", 1, "expected `new ID NSLOTS [BYTES]`");
  expect_parse_error("new a 1 2 3\n", 1, "expected `new ID NSLOTS [BYTES]`, with nothing after it");
  expect_parse_error("new a 1 x\n", 1, "expected BYTES (a non-negative integer), got 'x'");
  expect_parse_error("let a\n", 1, "expected `let ID ID2`");
  expect_parse_error("let a -\n", 1, "'-' is not a name");
  expect_parse_error("mark\n", 1, "expected `mark LABEL`");
  expect_parse_error("mark a b\n", 1, "expected `mark LABEL`, with nothing after it");
  expect_parse_error("new a x\n", 1, "expected NSLOTS (a non-negative integer), got 'x'");
  expect_parse_error("new a -1\n", 1, "expected NSLOTS (a non-negative integer), got '-1'");
  expect_parse_error("new a 1x\n", 1, "got '1x'");
  expect_parse_error("new a 99999999999999999999\n", 1, "NSLOTS '99999999999999999999' is out of range");
  expect_parse_error("new a 16777217\n", 1, "out of range (at most 16777216)");
  expect_parse_error("atom a\n", 1, "expected `atom ID BYTES`");
  expect_parse_error("atom a 1.5\n", 1, "expected BYTES");
  expect_parse_error("atom a 2000000000\n", 1, "BYTES '2000000000' is out of range");
  expect_parse_error("set a 0\n", 1, "expected `set ID SLOT ID2`");
  expect_parse_error("set a x b\n", 1, "expected SLOT");
  expect_parse_error("set a 0 b c\n", 1, "with nothing after it");
  expect_parse_error("set - 0 b\n", 1, "'-' is not a name");
  expect_parse_error("load a b\n", 1, "expected `load ID SRC SLOT`");
  expect_parse_error("load a - 0\n", 1, "'-' is not a name");
  expect_parse_error("load a b -3\n", 1, "expected SLOT");
  expect_parse_error("drop\n", 1, "expected `drop ID`");
  expect_parse_error("drop a b\n", 1, "expected `drop ID`, with nothing after it");
  expect_parse_error("new - 1\n", 1, "'-' is not a name");
  expect_parse_error("collect 3\n", 1, "GEN (0, 1 or 2) '3' is out of range");
  expect_parse_error("collect x\n", 1, "expected GEN");
  expect_parse_error("collect 0 1\n", 1, "expected `collect [GEN]`");
  expect_parse_error("new a 1\nnew b 1 # fine\nnew c 1 1 1 # not fine\n", 3, "with nothing after it");
}

Test(trace_parse, nul_byte) {
  const char *path = ts_write_temp("new a 1\n");
  FILE *f = fopen(path, "a");
  fputs("new b", f);
  fputc('\0', f);
  fputs(" 1\n", f);
  fclose(f);
  char err[256];
  gcs_trace_t t;
  cr_assert_neq(gcs_trace_load(path, &t, err, sizeof err), 0);
  cr_assert(strstr(err, ":2: a NUL byte") != NULL, "%s", err);
}

Test(trace_parse, missing_file) {
  char err[256];
  gcs_trace_t t;
  cr_assert_neq(gcs_trace_load("/nonexistent/t.trace", &t, err, sizeof err), 0);
  cr_assert_str_eq(err, "/nonexistent/t.trace: cannot open: No such file or directory");
}

Test(trace_parse, comments_blank_lines_and_names) {
  const char *path = ts_write_temp("# header\n\n  new a 2   # trailing\n\tatom b-long.name 10\nset a 1 b-long.name\nset a 0 -\ncollect\ncollect 0\n");
  char err[256];
  gcs_trace_t t;
  cr_assert_eq(gcs_trace_load(path, &t, err, sizeof err), 0, "%s", err);
  cr_assert_eq(t.nops, 6);
  cr_assert_eq(t.nnames, 2);
  cr_assert_str_eq(t.names[1], "b-long.name");
  cr_assert_eq(t.ops[2].line, 5);
  cr_assert_eq(t.ops[3].c, GCS_TRACE_NONE);
  cr_assert_eq(t.ops[4].b, 0, "collect without GEN is full");
  cr_assert_eq(t.ops[5].b, 1);
  gcs_trace_free(&t);
}

/* Replays text under collector; returns the error ("" when it ran). */
static const char *run_error(const char *collector, const char *text, const char **path_out,
                             gcs_trace_result_t *res_out) {
  static char err[512];
  const char *path = ts_write_temp(text);
  gcs_trace_t t;
  err[0] = '\0';
  cr_assert_eq(gcs_trace_load(path, &t, err, sizeof err), 0, "%s", err);
  ts_open(collector, NULL);
  gcs_trace_result_t res;
  if (gcs_trace_run(&t, NULL, &res, err, sizeof err) == 0) {
    if (res_out) *res_out = res;
    else gcs_trace_result_free(&res);
  }
  ts_close();
  gcs_trace_free(&t);
  if (path_out) *path_out = path;
  return err;
}

static void expect_run_error(const char *text, int line, const char *needle) {
  const char *path;
  const char *err = run_error("rc", text, &path, NULL);
  char prefix[128];
  snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
  cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "for %s: error '%s' does not start with '%s'", text, err, prefix);
  cr_assert(strstr(err, needle) != NULL, "for %s: error '%s' does not say '%s'", text, err, needle);
}

Test(trace_run, semantic_errors) {
  expect_run_error("set a 0 -\n", 1, "set through 'a', which is not bound (never bound, or dropped)");
  expect_run_error("new a 1\ndrop a\nset a 0 -\n", 3, "set through 'a', which is not bound");
  expect_run_error("atom a 4\nset a 0 -\n", 2, "set through 'a', which is an atom (no slots)");
  expect_run_error("new a 1\nload b a 0\nset b 0 -\n", 3, "set through 'b', which is bound to nothing");
  expect_run_error("new a 2\nset a 2 a\n", 2, "slot 2 is out of range: 'a' has 2 slots");
  expect_run_error("new a 0\nset a 0 a\n", 2, "slot 0 is out of range: 'a' has 0 slots");
  expect_run_error("new a 1\nset a 0 b\n", 2, "set stores 'b', which is not bound");
  expect_run_error("load a b 0\n", 1, "load through 'b', which is not bound");
  expect_run_error("atom b 1\nload a b 0\n", 2, "load through 'b', which is an atom");
  expect_run_error("new b 1\nload a b 1\n", 2, "slot 1 is out of range: 'b' has 1 slot");
  expect_run_error("drop a\n", 1, "drop of 'a', which is not bound");
  expect_run_error("new a 1\ndrop a\ndrop a\n", 3, "drop of 'a', which is not bound");
  expect_run_error("new a 1\nlet b c\n", 2, "let from 'c', which is not bound");
}

/* let binds a name to another's object (or nothing), counting it before releasing the old;
** new's BYTES is payload; mark binds nothing. Under rc every count is exact. */
Test(trace_run, let_mark_and_payload) {
  gcs_trace_result_t res;
  const char *err = run_error("rc", "new a 1 24\nlet b a\ndrop a\nmark built\nlet b b\nload e b 0\nlet c e\n"
                              "new d 2\nset d 0 b\nlet b d\ncollect\n", NULL, &res);
  cr_assert_str_eq(err, "");
  cr_assert_eq(res.live_at_end, 2, "a (held through d's slot) and d: %llu", (unsigned long long)res.live_at_end);
  gcs_trace_result_free(&res);
  const char *path = ts_write_temp("new a 3 40\nmark built\nmark freed\nmark built\n");
  char e2[256];
  gcs_trace_t t;
  cr_assert_eq(gcs_trace_load(path, &t, e2, sizeof e2), 0, "%s", e2);
  cr_assert_eq(t.ops[0].c, 40, "payload bytes");
  cr_assert_eq(t.nmarks, 2, "labels interned");
  cr_assert_str_eq(t.marks[t.ops[3].a], "built");
  gcs_trace_free(&t);
}

/* The binary form: the same ops as the text, names rI/tK from their ids, a bad op code and a
** truncated op reported with the op's ordinal. */
Test(trace_parse, binary_form) {
  static const unsigned char bin[] = {'G', 'C', 'S', 'T', 'R', 'B', '1', '\n',
                                      GCS_OP_NEW, 5, 2, 16,    /* new r2 2 16 */
                                      GCS_OP_ATOM, 4, 8,       /* atom t1 8 */
                                      GCS_OP_SET, 5, 1, 4,     /* set r2 1 t1 */
                                      GCS_OP_SET, 5, 0, 0,     /* set r2 0 - */
                                      GCS_OP_COLLECT, 0,       /* collect */
                                      GCS_OP_MARK, 5, 'b', 'u', 'i', 'l', 't'};
  const char *path = ts_write_temp("");
  FILE *f = fopen(path, "wb");
  fwrite(bin, 1, sizeof bin, f);
  fclose(f);
  char err[256];
  gcs_trace_t t;
  cr_assert_eq(gcs_trace_load(path, &t, err, sizeof err), 0, "%s", err);
  cr_assert_eq(t.nops, 6);
  cr_assert_str_eq(t.names[t.ops[0].a], "r2");
  cr_assert_str_eq(t.names[t.ops[1].a], "t1");
  cr_assert_eq(t.ops[0].b, 2);
  cr_assert_eq(t.ops[0].c, 16);
  cr_assert_eq(t.ops[3].c, GCS_TRACE_NONE);
  cr_assert_eq(t.ops[4].b, 0);
  cr_assert_str_eq(t.marks[t.ops[5].a], "built");
  gcs_trace_free(&t);
  f = fopen(path, "ab");
  fputc(9, f);
  fclose(f);
  cr_assert_neq(gcs_trace_load(path, &t, err, sizeof err), 0);
  cr_assert(strstr(err, ":7: unknown op code 9") != NULL, "%s", err);
  f = fopen(path, "wb");
  fwrite(bin, 1, 10, f);
  fclose(f);
  cr_assert_neq(gcs_trace_load(path, &t, err, sizeof err), 0);
  cr_assert(strstr(err, ":1: truncated NSLOTS") != NULL, "%s", err);
}

Test(trace_run, nothing_bindings_and_rebinding) {
  gcs_trace_result_t res;
  /* b is bound to nothing; storing it clears the slot; a rebinding frees the old object. */
  const char *err = run_error("rc",
    "new a 2\natom x 3\nset a 0 x\nload b a 1\nset a 0 b\nnew a 1\ncollect\n", NULL, &res);
  cr_assert_str_eq(err, "");
  cr_assert_eq(res.ncollects, 1);
  cr_assert_eq(res.collects[0], 0, "rc finds nothing");
  cr_assert_eq(res.nfull, 1);
  /* a (the new one) and x (still bound) */
  cr_assert_eq(res.live_after_full[0], 2);
  gcs_trace_result_free(&res);
}

Test(trace_run, rc_live_after_full_counts_leaked_cycles) {
  gcs_trace_result_t res;
  const char *err = run_error("rc",
    "new a 1\nnew b 1\nset a 0 b\nset b 0 a\ndrop a\ndrop b\natom k 0\ncollect 2\ncollect 1\n", NULL, &res);
  cr_assert_str_eq(err, "");
  cr_assert_eq(res.ncollects, 2);
  cr_assert_eq(res.nfull, 1, "collect 2 is full, collect 1 is not");
  cr_assert_eq(res.live_after_full[0], 3, "the cycle of two and the atom");
  gcs_trace_result_free(&res);
}

Test(trace_run, none_keeps_everything) {
  gcs_trace_result_t res;
  const char *err = run_error("none", "new a 1\nnew a 1\ndrop a\natom a 1\ncollect\n", NULL, &res);
  cr_assert_str_eq(err, "");
  cr_assert_eq(res.live_after_full[0], 3);
  gcs_trace_result_free(&res);
}
