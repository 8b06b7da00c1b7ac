#include "cman/rng.h"

#include <gsl/gsl_errno.h>

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t cman_rng_stream_seed(uint64_t seed, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 0x100000001b3ULL;
	}
	return splitmix64(seed ^ splitmix64(h));
}

gsl_rng *cman_rng_stream(uint64_t seed, const char *name)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	uint64_t s;

	if (!r)
		return NULL;
	s = cman_rng_stream_seed(seed, name);
	/* mt19937 takes an unsigned long seed; 0 means its default seed */
	gsl_rng_set(r, (unsigned long)(s ? s : 1));
	return r;
}

void cman_gsl_quiet(void)
{
	gsl_set_error_handler_off();
}
