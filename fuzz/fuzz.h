/*
** fuzz.h — what the libFuzzer targets of fuzz/ share (docs/fuzzing.md): the fuzz input as a
** file the trace parser can open, a check that stops the run as a finding, and the bounds
** that keep one execution fast.
**
** The parser takes a path (gcs_trace_load opens it): the input is written to one memfd per
** process and its /proc/self/fd name handed over, so the parser reads exactly the fuzzed
** bytes through its own fopen/getline and no file is ever left on disk.
**
** A finding is a crash, a sanitizer report, a heap verification failure (GCS_DEBUG=3: fatal,
** so libFuzzer reports "fuzz target exited"), a leak, or a FUZZ_CHECK below.
** Build macros: none of its own (the library is built with GCS_DEBUG=3, fuzz/fuzz.mk).
*/
#ifndef GCS_FUZZ_H
#define GCS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Stops the run with a message when cond is false (a finding: libFuzzer saves the input). */
#define FUZZ_CHECK(cond, ...) \
  do { if (!(cond)) gcs_fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); } while (0)

/* Prints "FILE:LINE: check failed: COND: MESSAGE" and aborts. */
void gcs_fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
  __attribute__((noreturn, format(printf, 4, 5)));

/* Writes data[0..size) to this process's memfd (replacing what it held) and returns its
** path, /proc/self/fd/N, valid until the next call. */
const char *gcs_fuzz_file(const uint8_t *data, size_t size);

/* Number of collectors in the registry. */
int gcs_fuzz_ncollectors(void);

/* Bounds on a replayed trace, so one execution stays within milliseconds: the parser accepts
** up to 2^24 slots and 2^30 payload bytes per object, a replay target clamps to these. */
#define FUZZ_MAX_SLOTS 64u
#define FUZZ_MAX_BYTES 4096u

#endif
