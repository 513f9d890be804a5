/*
** support.h — what the tests share: a seeded PRNG, opening a heap or failing the test, RSS,
** temporary files, and a live-set observer.
*/
#ifndef GCS_TEST_SUPPORT_H
#define GCS_TEST_SUPPORT_H

#include "core/internal.h"
#include "collectors/collectors.h"
#include "core/rng.h"

#include <stdint.h>
#include <stdio.h>

/* A random value below n (core/rng.h's splitmix64: a seed replays a failure exactly). */
static inline uint64_t ts_below(uint64_t *s, uint64_t n) { return gcs_rng_next(s) % n; }

/* Opens the heap with collector `name` and the given "knob=value" strings (NULL-ended), or
** fails the test with the heap's message. */
void ts_open(const char *name, const char *const *knobs);
/* Closes the heap and returns its teardown report. */
gcs_teardown_t ts_close(void);

/* Resident set size of this process, in bytes, from /proc/self/statm. */
uint64_t ts_rss_bytes(void);

/* Writes text to a fresh temporary file and returns its path (static buffer per call slot). */
const char *ts_write_temp(const char *text);

/* Counts live objects by the observer: allocations minus frees seen. */
typedef struct ts_counter {
  uint64_t allocated, freed;
} ts_counter;
void ts_observe(ts_counter *c);   /* installs an observer counting into c */

#endif
