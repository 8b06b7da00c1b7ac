/*
 * rng.h - seeded random streams.  A run has one seed; every random source
 * (join delays, interruptions, synthetic data, ...) draws from its own GSL
 * generator whose seed is derived from the run's seed and the source's name,
 * so adding draws to one source never shifts the numbers of another.
 */
#ifndef CMAN_RNG_H
#define CMAN_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* A new generator (mt19937) for stream name under seed; caller frees with
 * gsl_rng_free().  NULL on allocation failure. */
gsl_rng *cman_rng_stream(uint64_t seed, const char *name);

/* The 64-bit seed of a stream (splitmix64 of seed mixed with FNV-1a(name)). */
uint64_t cman_rng_stream_seed(uint64_t seed, const char *name);

/* Turn GSL's abort-on-error handler off for the process (call once at start). */
void cman_gsl_quiet(void);

#endif
