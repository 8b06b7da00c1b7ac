/*
 * store.c - the metrics-store interface: wrappers over a backend's ops,
 * values()/latest() built on cursors, and helpers shared by the backends.
 */
#include "cman/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

int cman_store_keys(struct cman_store *st, enum cman_metric_kind kind,
		    const char *prefix, cman_key_cb cb, void *ctx,
		    struct cman_error *err)
{
	if ((unsigned)kind >= CMAN_KIND_COUNT)
		return cman_error_set(err, CMAN_EINVAL, "%s: bad metric kind %d", st->name, (int)kind);
	return st->ops->keys(st, kind, prefix ? prefix : "", cb, ctx, err);
}

int cman_store_open_cursor(struct cman_store *st, enum cman_metric_kind kind,
			   const char *key, int64_t t0, int64_t t1,
			   unsigned flags, struct cman_cursor **out,
			   struct cman_error *err)
{
	*out = NULL;
	if ((unsigned)kind >= CMAN_KIND_COUNT)
		return cman_error_set(err, CMAN_EINVAL, "%s: bad metric kind %d", st->name, (int)kind);
	return st->ops->open_cursor(st, kind, key, t0, t1, flags, out, err);
}

int cman_cursor_next(struct cman_cursor *cur, struct cman_sample *out,
		     struct cman_error *err)
{
	return cur->store->ops->cursor_next(cur, out, err);
}

void cman_cursor_close(struct cman_cursor *cur)
{
	if (cur)
		cur->store->ops->cursor_close(cur);
}

int cman_store_write(struct cman_store *st, enum cman_metric_kind kind,
		     const char *key, const struct cman_sample *s,
		     struct cman_error *err)
{
	if ((unsigned)kind >= CMAN_KIND_COUNT)
		return cman_error_set(err, CMAN_EINVAL, "%s: bad metric kind %d", st->name, (int)kind);
	return st->ops->write(st, kind, key, s, err);
}

int cman_store_begin(struct cman_store *st, struct cman_error *err)
{
	return st->ops->begin(st, err);
}

int cman_store_commit(struct cman_store *st, struct cman_error *err)
{
	return st->ops->commit(st, err);
}

void cman_store_rollback(struct cman_store *st)
{
	st->ops->rollback(st);
}

void cman_store_free(struct cman_store *st)
{
	if (st)
		st->ops->free(st);
}

/* ---- pool state items ---- */

const char *cman_state_name(enum cman_state_kind kind)
{
	switch (kind) {
	case CMAN_STATE_PAUSED:
		return "autoscaler_paused";
	case CMAN_STATE_CAPACITY_OFFSET:
		return "autoscaler_capacity_offset";
	case CMAN_STATE_DRAINING:
		return "autoscaler_draining";
	}
	return "?";
}

int cman_state_entity(char *buf, size_t n, const char *cluster, const char *pool,
		      const char *scheduler, struct cman_error *err)
{
	int len;

	if (!cluster[0] || !pool[0] || !scheduler[0])
		return cman_error_set(err, CMAN_EINVAL, "a pool state entity needs a cluster, a "
				      "pool and a scheduler (got \"%s\", \"%s\", \"%s\")",
				      cluster, pool, scheduler);
	len = snprintf(buf, n, "%s.%s.%s", cluster, pool, scheduler);
	if (len < 0 || (size_t)len >= n)
		return cman_error_set(err, CMAN_EINVAL, "pool state entity %s.%s.%s: longer than "
				      "%zu bytes", cluster, pool, scheduler, n - 1);
	return 0;
}

static int state_check(struct cman_store *st, enum cman_state_kind kind, const char *entity,
		       bool have_op, struct cman_error *err)
{
	size_t len = strlen(entity);

	if (!have_op)
		return cman_error_set(err, CMAN_EINVAL, "%s keeps no pool state", st->name);
	if ((unsigned)kind > CMAN_STATE_DRAINING)
		return cman_error_set(err, CMAN_EINVAL, "%s: bad state kind %d", st->name, (int)kind);
	if (len == 0 || len >= CMAN_STATE_ENTITY_MAX)
		return cman_error_set(err, CMAN_EINVAL, "%s: a pool state entity is 1 to %d bytes",
				      st->name, CMAN_STATE_ENTITY_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)entity[i] < 0x20 || entity[i] == 0x7f)
			return cman_error_set(err, CMAN_EINVAL, "%s: a pool state entity with a "
					      "control character", st->name);
	return 0;
}

int cman_store_state_get(struct cman_store *st, enum cman_state_kind kind,
			 const char *entity, struct cman_state_item *out,
			 struct cman_error *err)
{
	int rc = state_check(st, kind, entity, st->ops->state_get != NULL, err);

	memset(out, 0, sizeof(*out));
	return rc ? rc : st->ops->state_get(st, kind, entity, out, err);
}

int cman_store_state_put(struct cman_store *st, enum cman_state_kind kind,
			 const char *entity, const struct cman_state_item *item,
			 struct cman_error *err)
{
	int rc = state_check(st, kind, entity, st->ops->state_put != NULL, err);

	if (!rc && !isfinite(item->offset))
		rc = cman_error_set(err, CMAN_EINVAL, "%s: a capacity offset must be finite",
				    st->name);
	if (!rc && kind == CMAN_STATE_DRAINING && !item->text)
		rc = cman_error_set(err, CMAN_EINVAL, "%s: a drain state item needs its text",
				    st->name);
	return rc ? rc : st->ops->state_put(st, kind, entity, item, err);
}

int cman_store_state_delete(struct cman_store *st, enum cman_state_kind kind,
			    const char *entity, struct cman_error *err)
{
	int rc = state_check(st, kind, entity, st->ops->state_delete != NULL, err);

	return rc ? rc : st->ops->state_delete(st, kind, entity, err);
}

int cman_store_paused(struct cman_store *st, const char *entity, int64_t now,
		      bool *paused, int64_t *until, struct cman_error *err)
{
	struct cman_state_item it;
	int rc = cman_store_state_get(st, CMAN_STATE_PAUSED, entity, &it, err);

	*paused = false;
	if (until)
		*until = 0;
	if (rc < 0)
		return rc;
	if (rc == 1 && (!it.expires || now <= it.expiration)) {
		*paused = true;
		if (until)
			*until = it.expires ? it.expiration : INT64_MAX;
	}
	return 0;
}

int cman_store_capacity_offset(struct cman_store *st, const char *entity, int64_t now,
			       double *offset, struct cman_error *err)
{
	struct cman_state_item it;
	int rc = cman_store_state_get(st, CMAN_STATE_CAPACITY_OFFSET, entity, &it, err);

	*offset = 0;
	if (rc < 0)
		return rc;
	if (rc == 1 && (!it.expires || now <= it.expiration))
		*offset = it.offset;
	return 0;
}

int cman_store_values(struct cman_store *st, enum cman_metric_kind kind,
		      const char *key, int64_t t0, int64_t t1,
		      cman_sample_cb cb, void *ctx, struct cman_error *err)
{
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	int rc;

	rc = cman_store_open_cursor(st, kind, key, t0, t1, 0, &cur, err);
	if (rc)
		goto out;
	while ((rc = cman_cursor_next(cur, &s, err)) == 1) {
		rc = cb(ctx, &s);
		if (rc)
			goto out;
	}
out:
	cman_cursor_close(cur);
	return rc;
}

int cman_store_latest(struct cman_store *st, enum cman_metric_kind kind,
		      const char *key, int64_t t, int64_t *t_out,
		      double *value_out, struct cman_error *err)
{
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	int rc;

	rc = cman_store_open_cursor(st, kind, key, t, t, CMAN_CURSOR_WITH_PRIOR, &cur, err);
	if (rc)
		goto out;
	rc = cman_cursor_next(cur, &s, err);
	if (rc == 1) {
		if (t_out)
			*t_out = s.t;
		if (value_out)
			*value_out = s.value;
	}
out:
	cman_cursor_close(cur);
	return rc;
}

/* ---- helpers shared by the backends ---- */

struct cman_store_chunk {
	struct cman_store_chunk *next;
	char data[];
};

#define CHUNK_SIZE 65536

void cman_store_strtab_init(struct cman_store_strtab *t)
{
	memset(t, 0, sizeof(*t));
}

void cman_store_strtab_release(struct cman_store_strtab *t)
{
	struct cman_store_chunk *c = t->chunks;

	while (c) {
		struct cman_store_chunk *next = c->next;

		free(c);
		c = next;
	}
	free(t->strs);
	free(t->lens);
	free(t->hashes);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

long cman_store_strtab_find(const struct cman_store_strtab *t, const char *s, size_t len)
{
	uint64_t h;
	size_t mask, i;

	if (!t->nslots)
		return -1;
	h = hash_bytes(s, len);
	mask = t->nslots - 1;
	for (i = h & mask; t->slots[i]; i = (i + 1) & mask) {
		size_t k = t->slots[i] - 1;

		if (t->hashes[k] == h && t->lens[k] == len && memcmp(t->strs[k], s, len) == 0)
			return (long)k;
	}
	return -1;
}

static int rehash(struct cman_store_strtab *t, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return CMAN_ENOMEM;
	for (size_t k = 0; k < t->n; k++) {
		size_t i = t->hashes[k] & (nslots - 1);

		while (slots[i])
			i = (i + 1) & (nslots - 1);
		slots[i] = (uint32_t)(k + 1);
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

static char *arena_copy(struct cman_store_strtab *t, const char *s, size_t len)
{
	char *p;

	if (!t->chunks || t->chunk_used + len + 1 > t->chunk_cap) {
		/* chunks double from 1 KiB to CHUNK_SIZE: a small table stays small */
		size_t cap = !t->chunks ? 1024
			     : t->chunk_cap < CHUNK_SIZE / 2 ? t->chunk_cap * 2 : CHUNK_SIZE;

		if (cap < len + 1)
			cap = len + 1;
		struct cman_store_chunk *c = malloc(sizeof(*c) + cap);

		if (!c)
			return NULL;
		c->next = t->chunks;
		t->chunks = c;
		t->chunk_used = 0;
		t->chunk_cap = cap;
	}
	p = t->chunks->data + t->chunk_used;
	memcpy(p, s, len);
	p[len] = '\0';
	t->chunk_used += len + 1;
	return p;
}

int cman_store_strtab_add(struct cman_store_strtab *t, const char *s, size_t len,
			  size_t *idx, int *added)
{
	long k = cman_store_strtab_find(t, s, len);
	char *copy;

	if (added)
		*added = 0;
	if (k >= 0) {
		*idx = (size_t)k;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		const char **strs = realloc(t->strs, cap * sizeof(*strs));
		size_t *lens;
		uint64_t *hashes;

		if (!strs)
			return CMAN_ENOMEM;
		t->strs = strs;
		lens = realloc(t->lens, cap * sizeof(*lens));
		if (!lens)
			return CMAN_ENOMEM;
		t->lens = lens;
		hashes = realloc(t->hashes, cap * sizeof(*hashes));
		if (!hashes)
			return CMAN_ENOMEM;
		t->hashes = hashes;
		t->cap = cap;
	}
	if ((t->n + 1) * 2 > t->nslots && rehash(t, t->nslots ? t->nslots * 2 : 32))
		return CMAN_ENOMEM;
	copy = arena_copy(t, s, len);
	if (!copy)
		return CMAN_ENOMEM;
	t->strs[t->n] = copy;
	t->lens[t->n] = len;
	t->hashes[t->n] = hash_bytes(s, len);
	{
		size_t mask = t->nslots - 1, i = t->hashes[t->n] & mask;

		while (t->slots[i])
			i = (i + 1) & mask;
		t->slots[i] = (uint32_t)(t->n + 1);
	}
	*idx = t->n++;
	if (added)
		*added = 1;
	return 0;
}

static int market_cmp(const struct cman_market_value *a, const struct cman_market_value *b)
{
	int c = strcmp(a->instance_type, b->instance_type);

	return c ? c : strcmp(a->az, b->az);
}

static int market_qcmp(const void *a, const void *b)
{
	return market_cmp(a, b);
}

long cman_store_sort_markets(struct cman_market_value *v, size_t n)
{
	if (n > 16) {
		qsort(v, n, sizeof(*v), market_qcmp);
	} else {
		bool equal = false;

		/* Insertion sort.  An element equal to the one being inserted
		 * is the one it stops at (the prefix is sorted), so the sort
		 * sees every duplicate; without one the check below is skipped
		 * (it repeated every comparison of a sorted map). */
		for (size_t i = 1; i < n; i++) {
			struct cman_market_value x = v[i];
			size_t j = i;
			int c = 1;

			while (j > 0 && (c = market_cmp(&v[j - 1], &x)) > 0) {
				v[j] = v[j - 1];
				j--;
			}
			v[j] = x;
			equal |= j > 0 && c == 0;
		}
		if (!equal)
			return -1;
	}
	for (size_t i = 1; i < n; i++)
		if (market_cmp(&v[i - 1], &v[i]) == 0)
			return (long)i;
	return -1;
}

double cman_store_map_sum(const struct cman_market_value *v, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i].value;
	return sum;
}

long cman_store_series_name(char *buf, size_t n, enum cman_metric_kind kind,
			    const char *key)
{
	size_t len = strlen(key);

	if (len >= CMAN_KEY_MAX || len + 2 > n)
		return -1;
	buf[0] = (char)('0' + (int)kind);
	memcpy(buf + 1, key, len + 1);
	return (long)(len + 1);
}

/* ---- stores named by URI ------------------------------------------------- */

#define MAX_SCHEMES 8

static struct {
	char scheme[32];
	cman_store_opener open;
} schemes[MAX_SCHEMES];
static size_t n_schemes;

int cman_store_register_scheme(const char *scheme, cman_store_opener open)
{
	size_t i;

	for (i = 0; i < n_schemes; i++)
		if (strcmp(schemes[i].scheme, scheme) == 0)
			break;
	if (i == MAX_SCHEMES || strlen(scheme) >= sizeof(schemes[0].scheme))
		return CMAN_ENOMEM;
	memcpy(schemes[i].scheme, scheme, strlen(scheme) + 1);
	schemes[i].open = open;
	if (i == n_schemes)
		n_schemes++;
	return 0;
}

bool cman_store_name_is_uri(const char *name)
{
	const char *p = strstr(name, "://");

	if (!p || p == name)
		return false;
	for (const char *q = name; q < p; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '+'))
			return false;
	return true;
}

int cman_store_open(const char *name, bool create, struct cman_store **out,
		    struct cman_error *err)
{
	*out = NULL;
	if (cman_store_name_is_uri(name)) {
		size_t k = (size_t)(strstr(name, "://") - name);

		for (size_t i = 0; i < n_schemes; i++)
			if (strlen(schemes[i].scheme) == k &&
			    memcmp(schemes[i].scheme, name, k) == 0)
				return schemes[i].open(name, create, out, err);
		return cman_error_set(err, CMAN_EINVAL, "%s: no backend for %.*s:// in this program",
				      name, (int)k, name);
	}
	return cman_store_sqlite_open(name, create, out, err);
}
