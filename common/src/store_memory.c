/*
 * store_memory.c - the in-memory metrics store.
 *
 * Series are found through a string table of "<kind byte><key>"; each holds
 * its samples (time, value: 16 bytes) in one array grown by doubling.  The
 * entries of all market maps live in one shared array (market index +
 * value), each map preceded by a header entry holding its length, markets
 * in an interned table ("type\0az"); a series with maps has a second array
 * giving each sample's map (0 for a number).  A map equal to the series'
 * previous one is stored once (recorded capacity rarely changes from one
 * sample to the next).  Writing a sample never allocates except when an
 * array doubles.  Samples written out of time order mark the series
 * unsorted; the next cursor opened on it stable-sorts it by time (equal
 * times keep their write order).  Transactions are no-ops: begin, commit
 * and rollback succeed and change nothing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cman/grow.h"
#include "cman/store.h"
#include "store_int.h"

struct msample {
	int64_t t;
	double value;     /* for a map, the sum of its entries */
};

struct mseries {
	enum cman_metric_kind kind;
	struct msample *s;
	size_t n, cap;
	size_t *map;      /* NULL until the first map; else per sample 0 (a
			   * number) or 1 + the index of the map's header in
			   * mstore.ents */
	size_t map_cap;
	bool unsorted;
};

/* A map is a header {n, 0} followed by n entries {market, value}. */
struct ment {
	uint32_t market;
	double value;
};

struct mstore {
	struct cman_store base;
	struct cman_store_strtab series_names;
	struct mseries *series;             /* indexed like series_names */
	size_t series_cap;
	struct cman_store_strtab markets;   /* "type\0az" */
	struct ment *ents;
	size_t n_ents, ents_cap;
	struct cman_market_value *scratch;  /* sorting a map being written */
	size_t scratch_cap;
	long last;                          /* series of the last write, -1 */
	/* the series of the last writes, -1: a writer cycling through a few
	 * series (the autoscaler's history, 7 per run) finds them without
	 * hashing their names (issue 12) */
	long recent[8];
	unsigned recent_next;
};

struct mcursor {
	struct cman_cursor base;
	long series;          /* -1: nothing to yield */
	long prior;           /* index of the prior sample, -1 when none */
	size_t i;
	int64_t t1;
	struct cman_market_value *ents;
	size_t ents_cap;
};

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int mem_keys(struct cman_store *st, enum cman_metric_kind kind,
		    const char *prefix, cman_key_cb cb, void *ctx,
		    struct cman_error *err)
{
	struct mstore *ms = (struct mstore *)st;
	const char **keys;
	size_t n = 0, plen = strlen(prefix);
	int rc = 0;

	keys = malloc((ms->series_names.n + 1) * sizeof(*keys));
	if (!keys)
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", st->name);
	for (size_t i = 0; i < ms->series_names.n; i++) {
		const char *name = ms->series_names.strs[i];

		if (ms->series[i].kind == kind && ms->series[i].n > 0 &&
		    strncmp(name + 1, prefix, plen) == 0)
			keys[n++] = name + 1;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (size_t i = 0; i < n; i++) {
		rc = cb(ctx, keys[i]);
		if (rc)
			break;
	}
	free(keys);
	return rc;
}

/* A sample with what sorting needs: its map and its write order. */
struct sortable {
	int64_t t;
	double value;
	size_t map, seq;
};

static int sample_cmp(const void *a, const void *b)
{
	const struct sortable *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Stable sort of a series by time (transient memory for that series). */
static int sort_series(struct mseries *se)
{
	struct sortable *tmp = malloc((se->n ? se->n : 1) * sizeof(*tmp));

	if (!tmp)
		return CMAN_ENOMEM;
	for (size_t i = 0; i < se->n; i++)
		tmp[i] = (struct sortable){ se->s[i].t, se->s[i].value, se->map ? se->map[i] : 0, i };
	qsort(tmp, se->n, sizeof(*tmp), sample_cmp);
	for (size_t i = 0; i < se->n; i++) {
		se->s[i] = (struct msample){ tmp[i].t, tmp[i].value };
		if (se->map)
			se->map[i] = tmp[i].map;
	}
	free(tmp);
	se->unsorted = false;
	return 0;
}

/* First index with t > bound (upper) or t >= bound (!upper). */
static size_t bsearch_t(const struct mseries *se, int64_t bound, bool upper)
{
	size_t lo = 0, hi = se->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		bool before = upper ? se->s[mid].t <= bound : se->s[mid].t < bound;

		if (before)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int mem_open_cursor(struct cman_store *st, enum cman_metric_kind kind,
			   const char *key, int64_t t0, int64_t t1,
			   unsigned flags, struct cman_cursor **out,
			   struct cman_error *err)
{
	struct mstore *ms = (struct mstore *)st;
	struct mcursor *cur;
	char name[CMAN_KEY_MAX + 2];
	long len = cman_store_series_name(name, sizeof(name), kind, key);
	long k = len < 0 ? -1 : cman_store_strtab_find(&ms->series_names, name, (size_t)len);

	cur = calloc(1, sizeof(*cur));
	if (!cur)
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", st->name);
	cur->base.store = st;
	cur->series = k;
	cur->prior = -1;
	cur->t1 = t1;
	if (k >= 0) {
		struct mseries *se = &ms->series[k];

		if (se->unsorted && sort_series(se)) {
			free(cur);
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", st->name);
		}
		if (flags & CMAN_CURSOR_WITH_PRIOR) {
			cur->i = bsearch_t(se, t0, true);
			cur->prior = (long)cur->i - 1;
		} else {
			cur->i = bsearch_t(se, t0, false);
		}
	}
	*out = &cur->base;
	return 0;
}

static int fill(struct mcursor *cur, const struct mseries *se, size_t i,
		struct cman_sample *out, struct cman_error *err)
{
	struct mstore *ms = (struct mstore *)cur->base.store;
	size_t m = se->map ? se->map[i] : 0;
	uint32_t n;

	out->t = se->s[i].t;
	out->value = se->s[i].value;
	out->is_map = m != 0;
	out->n_markets = 0;
	out->markets = NULL;
	if (!m)
		return 1;
	n = ms->ents[m - 1].market;
	if (cman_grow((void **)&cur->ents, &cur->ents_cap, n, sizeof(*cur->ents)))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ms->base.name);
	for (uint32_t j = 0; j < n; j++) {
		const struct ment *e = &ms->ents[m + j];
		const char *type = ms->markets.strs[e->market];

		cur->ents[j].instance_type = type;
		cur->ents[j].az = type + strlen(type) + 1;
		cur->ents[j].value = e->value;
	}
	out->n_markets = n;
	out->markets = cur->ents;
	return 1;
}

static int mem_cursor_next(struct cman_cursor *base, struct cman_sample *out,
			   struct cman_error *err)
{
	struct mcursor *cur = (struct mcursor *)base;
	struct mstore *ms = (struct mstore *)base->store;
	const struct mseries *se;

	if (cur->series < 0)
		return 0;
	se = &ms->series[cur->series];
	if (cur->prior >= 0) {
		long p = cur->prior;

		cur->prior = -1;
		return fill(cur, se, (size_t)p, out, err);
	}
	if (cur->i >= se->n || se->s[cur->i].t > cur->t1)
		return 0;
	return fill(cur, se, cur->i++, out, err);
}

static void mem_cursor_close(struct cman_cursor *base)
{
	struct mcursor *cur = (struct mcursor *)base;

	free(cur->ents);
	free(cur);
}

static int intern_market(struct mstore *ms, const struct cman_market_value *m, uint32_t *idx)
{
	char buf[CMAN_TYPE_MAX + CMAN_AZ_MAX + 2];
	size_t tl = strlen(m->instance_type), al = strlen(m->az), k;

	if (tl >= CMAN_TYPE_MAX || al >= CMAN_AZ_MAX)
		return CMAN_EINVAL;
	memcpy(buf, m->instance_type, tl + 1);
	memcpy(buf + tl + 1, m->az, al);
	if (cman_store_strtab_add(&ms->markets, buf, tl + 1 + al, &k, NULL))
		return CMAN_ENOMEM;
	*idx = (uint32_t)k;
	return 0;
}

/* Are the maps with headers at ents[a - 1] and ents[b - 1] equal? */
static bool same_map(const struct mstore *ms, size_t a, size_t b)
{
	uint32_t n = ms->ents[a - 1].market;

	if (n != ms->ents[b - 1].market)
		return false;
	for (uint32_t j = 0; j < n; j++) {
		const struct ment *x = &ms->ents[a + j], *y = &ms->ents[b + j];

		/* bit patterns: -0 and 0 differ, as they would in a copy */
		if (x->market != y->market || memcmp(&x->value, &y->value, sizeof(x->value)) != 0)
			return false;
	}
	return true;
}

/* The series named name among the recent ones, else SIZE_MAX. */
static size_t recent_find(const struct mstore *ms, const char *name, size_t len)
{
	for (int i = 0; i < 8; i++) {
		long k = ms->recent[i];

		if (k >= 0 && ms->series_names.lens[k] == len &&
		    memcmp(ms->series_names.strs[k], name, len) == 0)
			return (size_t)k;
	}
	return SIZE_MAX;
}

static int mem_write(struct cman_store *st, enum cman_metric_kind kind,
		     const char *key, const struct cman_sample *s,
		     struct cman_error *err)
{
	struct mstore *ms = (struct mstore *)st;
	char name[CMAN_KEY_MAX + 2];
	long len;
	struct mseries *se;
	struct msample *ns;
	size_t k;
	int added, rc;

	/* writes come in runs of one series: the last one's name (kind's
	 * digit, then the key) read in place, without making the name
	 * (issue 12: that was a quarter of a write) */
	if (ms->last >= 0 && ms->series_names.strs[ms->last][0] == (char)('0' + (int)kind) &&
	    strcmp(ms->series_names.strs[ms->last] + 1, key) == 0) {
		k = (size_t)ms->last;
		len = (long)ms->series_names.lens[k];   /* (name is not needed) */
	} else {
		len = cman_store_series_name(name, sizeof(name), kind, key);
		if (len < 0)
			return cman_error_set(err, CMAN_EINVAL,
					      "%s: metric key longer than %d bytes: '%.100s...'",
					      st->name, CMAN_KEY_MAX - 1, key);
		k = recent_find(ms, name, (size_t)len);
	}
	if (s->is_map) {
		long dup;

		if (s->n_markets > UINT32_MAX)
			return cman_error_set(err, CMAN_EINVAL, "%s: too many markets", st->name);
		if (cman_grow((void **)&ms->scratch, &ms->scratch_cap, s->n_markets, sizeof(*ms->scratch)))
			goto nomem;
		if (s->n_markets)
			memcpy(ms->scratch, s->markets, s->n_markets * sizeof(*ms->scratch));
		dup = cman_store_sort_markets(ms->scratch, s->n_markets);
		if (dup >= 0)
			return cman_error_set(err, CMAN_EINVAL, "%s: %s key '%s' at %lld: duplicate market <%s, %s>",
					      st->name, cman_kind_name(kind), key, (long long)s->t,
					      ms->scratch[dup].instance_type, ms->scratch[dup].az);
		/* staged after the last map: kept by advancing n_ents */
		if (cman_grow((void **)&ms->ents, &ms->ents_cap, ms->n_ents + 1 + s->n_markets,
			      sizeof(*ms->ents)))
			goto nomem;
		ms->ents[ms->n_ents] = (struct ment){ (uint32_t)s->n_markets, 0 };
		for (size_t j = 0; j < s->n_markets; j++) {
			uint32_t m;

			rc = intern_market(ms, &ms->scratch[j], &m);
			if (rc == CMAN_EINVAL)
				return cman_error_set(err, CMAN_EINVAL, "%s: market <%.60s, %.60s>: name too long",
						      st->name, ms->scratch[j].instance_type, ms->scratch[j].az);
			if (rc)
				goto nomem;
			ms->ents[ms->n_ents + 1 + j] = (struct ment){ m, ms->scratch[j].value };
		}
	}
	added = 0;
	if (k == SIZE_MAX && cman_store_strtab_add(&ms->series_names, name, (size_t)len, &k, &added))
		goto nomem;
	if (ms->last != (long)k) {
		ms->recent[ms->recent_next++ % 8] = (long)k;
		ms->last = (long)k;
	}
	if (added) {
		if (cman_grow((void **)&ms->series, &ms->series_cap, k + 1, sizeof(*ms->series)))
			goto nomem;
		memset(&ms->series[k], 0, sizeof(ms->series[k]));
		ms->series[k].kind = kind;
	}
	se = &ms->series[k];
	if (se->n + 1 > se->cap && cman_grow((void **)&se->s, &se->cap, se->n + 1, sizeof(*se->s)))
		goto nomem;
	if ((s->is_map || se->map) && se->map_cap < se->cap) {
		size_t old = se->map ? se->map_cap : 0, cap = se->map_cap;

		if (cman_grow((void **)&se->map, &cap, se->cap, sizeof(*se->map)))
			goto nomem;
		se->map_cap = cap;
		if (!old)   /* the samples before the first map are numbers */
			memset(se->map, 0, se->n * sizeof(*se->map));
	}
	ns = &se->s[se->n];
	ns->t = s->t;
	ns->value = s->value;
	if (s->is_map) {
		size_t prev = se->n ? se->map[se->n - 1] : 0, m = ms->n_ents + 1;

		ns->value = cman_store_map_sum(ms->scratch, s->n_markets);
		if (prev && same_map(ms, prev, m))
			m = prev;
		else
			ms->n_ents += 1 + s->n_markets;
		se->map[se->n] = m;
	} else if (se->map) {
		se->map[se->n] = 0;
	}
	if (se->n > 0 && se->s[se->n - 1].t > s->t)
		se->unsorted = true;
	se->n++;
	return 0;
nomem:
	return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", st->name);
}

static int mem_begin(struct cman_store *st, struct cman_error *err)
{
	return 0;
}

static int mem_commit(struct cman_store *st, struct cman_error *err)
{
	return 0;
}

static void mem_rollback(struct cman_store *st)
{
}

static void mem_free(struct cman_store *st)
{
	struct mstore *ms = (struct mstore *)st;

	for (size_t i = 0; i < ms->series_names.n; i++) {
		free(ms->series[i].s);
		free(ms->series[i].map);
	}
	free(ms->series);
	cman_store_strtab_release(&ms->series_names);
	cman_store_strtab_release(&ms->markets);
	free(ms->ents);
	free(ms->scratch);
	free(ms);
}

static const struct cman_store_ops memory_ops = {
	.name = "memory",
	.keys = mem_keys,
	.open_cursor = mem_open_cursor,
	.cursor_next = mem_cursor_next,
	.cursor_close = mem_cursor_close,
	.write = mem_write,
	.begin = mem_begin,
	.commit = mem_commit,
	.rollback = mem_rollback,
	.free = mem_free,
};

int cman_store_memory_new(struct cman_store **out, struct cman_error *err)
{
	struct mstore *ms = calloc(1, sizeof(*ms));

	*out = NULL;
	if (!ms)
		return cman_error_set(err, CMAN_ENOMEM, "memory store: out of memory");
	ms->base.ops = &memory_ops;
	strcpy(ms->base.name, "memory");
	cman_store_strtab_init(&ms->series_names);
	cman_store_strtab_init(&ms->markets);
	ms->last = -1;
	for (int i = 0; i < 8; i++)
		ms->recent[i] = -1;
	*out = &ms->base;
	return 0;
}
