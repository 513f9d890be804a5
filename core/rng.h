/*
** rng.h — gcscope's one PRNG: splitmix64 (Steele, Lea and Flood 2014; the constants of
** Vigna's splitmix64.c). Every seeded random choice — workloads, tests, peers — draws from it,
** so a seed names the same run everywhere and a failure is a seed to replay.
**
** The state is the caller's (a uint64_t, any value is a valid seed): no global, no locking.
** Build macros: none.
*/
#ifndef GCS_RNG_H
#define GCS_RNG_H

#include <stdint.h>

/* Advances *state and returns the next 64 random bits. */
static inline uint64_t gcs_rng_next(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Shuffles v[0..n) in place (Fisher-Yates, from the top: v[i] swaps with v[j], j uniform in
** [0, i] up to splitmix's modulo bias, negligible for n << 2^64), drawing from *state. */
static inline void gcs_rng_shuffle(uint32_t *v, uint32_t n, uint64_t *state) {
  for (uint32_t i = n ? n - 1 : 0; i > 0; i--) {
    uint32_t j = (uint32_t)(gcs_rng_next(state) % (i + 1));
    uint32_t t = v[i];
    v[i] = v[j];
    v[j] = t;
  }
}

#endif /* GCS_RNG_H */
