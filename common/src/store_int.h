/*
 * store_int.h - helpers shared by the metrics-store backends (private).
 *
 * A string table interns byte strings (which may contain NUL bytes) to dense
 * indexes 0..n-1; the copies live in an arena and keep their address until
 * the table is released, so pointers to them can be handed out for the
 * lifetime of a store.
 */
#ifndef CMAN_STORE_INT_H
#define CMAN_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cman/metrics.h"
#include "cman/store.h"

struct cman_store_chunk;

struct cman_store_strtab {
	const char **strs;       /* interned copies, each followed by a NUL */
	size_t *lens;
	uint64_t *hashes;
	size_t n, cap;
	uint32_t *slots;         /* open addressing: 0 empty, else index + 1 */
	size_t nslots;           /* 0 or a power of two */
	struct cman_store_chunk *chunks;
	size_t chunk_used, chunk_cap;
};

void cman_store_strtab_init(struct cman_store_strtab *t);
void cman_store_strtab_release(struct cman_store_strtab *t);
/* Index of s[0..len), or -1 when absent. */
long cman_store_strtab_find(const struct cman_store_strtab *t, const char *s, size_t len);
/* Find or add s[0..len); *idx receives its index, *added (may be NULL)
 * whether it is new.  0 or CMAN_ENOMEM. */
int cman_store_strtab_add(struct cman_store_strtab *t, const char *s, size_t len,
			  size_t *idx, int *added);

/*
 * Canonical order of map entries: by instance type, then availability zone
 * (byte order).  Sorts v in place.  Returns the index of the second of two
 * equal markets (a duplicate), or -1 when all markets differ.
 */
long cman_store_sort_markets(struct cman_market_value *v, size_t n);

/* Sum of a map's values, added in its (canonical) order. */
double cman_store_map_sum(const struct cman_market_value *v, size_t n);

/* Build "<kind byte><key>" into buf (size n); returns its length or -1 when
 * the key does not fit (longer than CMAN_KEY_MAX - 1). */
long cman_store_series_name(char *buf, size_t n, enum cman_metric_kind kind,
			    const char *key);

#endif
