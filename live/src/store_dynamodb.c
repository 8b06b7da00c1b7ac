/*
 * store_dynamodb.c - the DynamoDB metrics store (see dynamodb.h).
 */
#include "cman/live/dynamodb.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cman/grow.h"
#include "cman/time.h"
#include "live_int.h"

/* Messages are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define TARGET "DynamoDB_20120810."
#define BATCH 25
#define TABLE_WAIT_SECONDS 60

struct pending {
	enum cman_metric_kind kind;
	json_t *item;            /* the PutRequest's Item */
	char *key;
	int64_t t;
};

struct dstore {
	struct cman_store base;
	struct cman_aws_client *client;
	bool owns_client;
	struct cman_dynamodb_options opt;
	char tables[CMAN_KIND_COUNT][160];
	char state_table[160];    /* <prefix>cluster_state */
	struct pending *buf;
	size_t n_buf, buf_cap;
};

struct dcursor {
	struct cman_cursor base;
	enum cman_metric_kind kind;
	char key[CMAN_KEY_MAX];
	int64_t t0, t1;
	json_t *page;             /* the current page's Items */
	size_t i;
	json_t *next_key;         /* LastEvaluatedKey, NULL at the end */
	int phase;                /* 0: prior lookup pending, 1: range, 2: done */
	bool started;             /* the range query has been sent once */
	struct cman_ddb_scratch map;   /* the entries of the last map read */
};

void cman_dynamodb_options_init(struct cman_dynamodb_options *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->table_prefix, sizeof(o->table_prefix), "clusterman_");
	o->ttl_days = -1;
}

static int ddb(struct dstore *ds, const char *op, json_t *req, json_t **out,
	       struct cman_error *err)
{
	char target[96];
	int rc;

	snprintf(target, sizeof(target), TARGET "%s", op);
	if (!req)
		return cman_error_set(err, CMAN_ENOMEM, "DynamoDB %s: out of memory", op);
	rc = cman_aws_json(ds->client, "dynamodb", target, req, CMAN_AWS_IDEMPOTENT, out,
			   NULL, err);
	json_decref(req);
	return rc;
}

/* ---- tables ------------------------------------------------------------------ */

static int describe_status(struct dstore *ds, const char *table, char *status, size_t n,
			   struct cman_error *err)
{
	struct cman_aws_fault f;
	json_t *ans = NULL;
	char target[96];
	json_t *req = json_pack("{s:s}", "TableName", table);
	int rc;

	if (!req)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	snprintf(target, sizeof(target), TARGET "DescribeTable");
	rc = cman_aws_json(ds->client, "dynamodb", target, req, CMAN_AWS_IDEMPOTENT, &ans, &f,
			   err);
	json_decref(req);
	if (rc == CMAN_EREJECTED && strcmp(f.code, "ResourceNotFoundException") == 0)
		return cman_error_set(err, CMAN_ENOTFOUND, "DynamoDB table %s does not exist", table);
	if (rc)
		return rc;
	{
		const char *st = json_string_value(json_object_get(json_object_get(ans, "Table"),
								   "TableStatus"));

		snprintf(status, n, "%s", st ? st : "");
	}
	json_decref(ans);
	return 0;
}

/* Create table with string/number hash and range keys (on demand billing). */
static int create_table(struct dstore *ds, const char *table, const char *hash,
			const char *range, const char *range_type, struct cman_error *err)
{
	json_t *req, *ans = NULL;
	int rc;

	req = json_pack("{s:s, s:[{s:s,s:s},{s:s,s:s}], s:[{s:s,s:s},{s:s,s:s}], s:s}",
			"TableName", table,
			"AttributeDefinitions", "AttributeName", hash, "AttributeType", "S",
			"AttributeName", range, "AttributeType", range_type,
			"KeySchema", "AttributeName", hash, "KeyType", "HASH",
			"AttributeName", range, "KeyType", "RANGE",
			"BillingMode", "PAY_PER_REQUEST");
	rc = ddb(ds, "CreateTable", req, &ans, err);
	json_decref(ans);
	return rc;
}

/* Check that table exists (or create it) and wait until it is ACTIVE. */
static int ensure_table(struct dstore *ds, const char *table, const char *hash,
			const char *range, const char *range_type, struct cman_error *err)
{
	char status[32];
	int rc = describe_status(ds, table, status, sizeof(status), err);
	int waited = 0;

	if (rc == CMAN_ENOTFOUND && ds->opt.create_tables) {
		rc = create_table(ds, table, hash, range, range_type, err);
		if (!rc)
			rc = describe_status(ds, table, status, sizeof(status), err);
	}
	if (rc)
		return rc;
	while (strcmp(status, "ACTIVE") != 0) {
		struct timespec ts = {0, 200 * 1000000L};

		if (waited++ > TABLE_WAIT_SECONDS * 5)
			return cman_error_set(err, CMAN_ETIMEOUT, "DynamoDB table %s is still %s "
					      "after %d s", table, status, TABLE_WAIT_SECONDS);
		nanosleep(&ts, NULL);
		rc = describe_status(ds, table, status, sizeof(status), err);
		if (rc)
			return rc;
	}
	return 0;
}

/* The metrics tables must exist (or are created); the state table is only
 * created on request and otherwise looked for when first used. */
static int ensure_tables(struct dstore *ds, struct cman_error *err)
{
	for (int k = 0; k < CMAN_KIND_COUNT; k++) {
		int rc = ensure_table(ds, ds->tables[k], "key", "timestamp", "N", err);

		if (rc)
			return rc;
	}
	if (ds->opt.create_tables)
		return ensure_table(ds, ds->state_table, "state", "entity", "S", err);
	return 0;
}

/* ---- writing -------------------------------------------------------------------- */

/* DynamoDB numbers: 0, or magnitudes in [1e-130, 1e126). */
static bool ddb_number(double v)
{
	return v == 0 || (isfinite(v) && fabs(v) >= 1e-130 && fabs(v) < 1e126);
}

static json_t *num(double v)
{
	char b[40];

	snprintf(b, sizeof(b), "%.17g", v);
	return json_pack("{s:s}", "N", b);
}

static json_t *num_i(int64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", (long long)v);
	return json_pack("{s:s}", "N", b);
}

static void drop_pending(struct dstore *ds)
{
	for (size_t i = 0; i < ds->n_buf; i++) {
		json_decref(ds->buf[i].item);
		free(ds->buf[i].key);
	}
	ds->n_buf = 0;
}

/* Send what is buffered, kind by kind, 25 requests a call. */
static int flush(struct dstore *ds, struct cman_error *err)
{
	int rc = 0;

	while (ds->n_buf > 0 && !rc) {
		json_t *items = json_object(), *req, *ans = NULL, *unproc;
		size_t n = ds->n_buf < BATCH ? ds->n_buf : BATCH, left = 0;
		int attempt;

		if (!items)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			const char *table = ds->tables[ds->buf[i].kind];
			json_t *list = json_object_get(items, table);

			if (!list) {
				list = json_array();
				if (!list || json_object_set_new(items, table, list)) {
					json_decref(items);
					return cman_error_set(err, CMAN_ENOMEM, "out of memory");
				}
			}
			if (json_array_append_new(list, json_pack("{s:{s:O}}", "PutRequest", "Item",
								   ds->buf[i].item))) {
				json_decref(items);
				return cman_error_set(err, CMAN_ENOMEM, "out of memory");
			}
		}
		for (attempt = 1;; attempt++) {
			req = json_pack("{s:O}", "RequestItems", items);
			rc = ddb(ds, "BatchWriteItem", req, &ans, err);
			if (rc)
				break;
			unproc = cman_ddb_unprocessed(ans, &left);
			if (!unproc)
				break;
			if (attempt >= 8) {
				rc = cman_error_set(err, CMAN_EPARTIAL,
						    "DynamoDB BatchWriteItem: %zu of %zu items still "
						    "unprocessed after %d attempts", left, n, attempt);
				break;
			}
			/* Re-send only what DynamoDB left, after a back-off. */
			json_decref(items);
			items = json_deep_copy(unproc);
			json_decref(ans);
			ans = NULL;
			{
				long ms = cman_aws_backoff_ms(50, 5000, attempt, 0.5, 0);
				struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

				nanosleep(&ts, NULL);
			}
			if (!items) {
				rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
				break;
			}
		}
		json_decref(ans);
		json_decref(items);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++) {
			json_decref(ds->buf[i].item);
			free(ds->buf[i].key);
		}
		memmove(ds->buf, ds->buf + n, (ds->n_buf - n) * sizeof(*ds->buf));
		ds->n_buf -= n;
	}
	return rc;
}

static int d_write(struct cman_store *st, enum cman_metric_kind kind, const char *key,
		   const struct cman_sample *s, struct cman_error *err)
{
	struct dstore *ds = (struct dstore *)st;
	json_t *item;
	int rc;

	if (kind < 0 || kind >= CMAN_KIND_COUNT)
		return cman_error_set(err, CMAN_EINVAL, "bad metric kind");
	item = json_pack("{s:{s:s}, s:o}", "key", "S", key, "timestamp", num_i(s->t));
	if (!item)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	if (s->is_map) {
		for (size_t i = 0; i < s->n_markets; i++) {
			char name[CMAN_TYPE_MAX + CMAN_AZ_MAX + 8];

			if (!ddb_number(s->markets[i].value)) {
				json_decref(item);
				return cman_error_set(err, CMAN_EINVAL,
						      "%s at %lld: %g is not a number DynamoDB can "
						      "hold (0 or 1e-130 <= |v| < 1e126)", key,
						      (long long)s->t, s->markets[i].value);
			}
			cman_market_format(name, sizeof(name), s->markets[i].instance_type,
					   s->markets[i].az);
			if (json_object_get(item, name)) {
				json_decref(item);
				return cman_error_set(err, CMAN_EINVAL, "%s at %lld: market %s twice",
						      key, (long long)s->t, name);
			}
			if (json_object_set_new(item, name, num(s->markets[i].value))) {
				json_decref(item);
				return cman_error_set(err, CMAN_ENOMEM, "out of memory");
			}
		}
	} else {
		if (!ddb_number(s->value)) {
			json_decref(item);
			return cman_error_set(err, CMAN_EINVAL,
					      "%s at %lld: %g is not a number DynamoDB can hold "
					      "(0 or 1e-130 <= |v| < 1e126)", key, (long long)s->t,
					      s->value);
		}
		if (json_object_set_new(item, "value", num(s->value))) {
			json_decref(item);
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		}
	}
	if (ds->opt.ttl_days >= 0 &&
	    json_object_set_new(item, "expiration_timestamp",
				num_i(s->t + (int64_t)ds->opt.ttl_days * 86400))) {
		json_decref(item);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	/* Two puts of one (key, time) in a batch make DynamoDB refuse it: the
	 * later write replaces the earlier while both are buffered. */
	for (size_t i = 0; i < ds->n_buf; i++) {
		if (ds->buf[i].kind == kind && ds->buf[i].t == s->t &&
		    strcmp(ds->buf[i].key, key) == 0) {
			json_decref(ds->buf[i].item);
			ds->buf[i].item = item;
			return 0;
		}
	}
	rc = cman_grow((void **)&ds->buf, &ds->buf_cap, ds->n_buf + 1, sizeof(*ds->buf));
	if (rc) {
		json_decref(item);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	ds->buf[ds->n_buf].kind = kind;
	ds->buf[ds->n_buf].item = item;
	ds->buf[ds->n_buf].t = s->t;
	ds->buf[ds->n_buf].key = strdup(key);
	if (!ds->buf[ds->n_buf].key) {
		json_decref(item);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	ds->n_buf++;
	return ds->n_buf >= BATCH ? flush(ds, err) : 0;
}

static int d_begin(struct cman_store *st, struct cman_error *err)
{
	return 0;
}

static int d_commit(struct cman_store *st, struct cman_error *err)
{
	return flush((struct dstore *)st, err);
}

static void d_rollback(struct cman_store *st)
{
	/* Only what is still buffered can be taken back. */
	drop_pending((struct dstore *)st);
}

/* ---- reading -------------------------------------------------------------------- */

static int parse_n(const json_t *attr, double *out)
{
	const char *s = json_string_value(json_object_get(attr, "N"));
	char *end;

	if (!s)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return (*end || errno == ERANGE || !isfinite(*out)) ? -1 : 0;
}

static int query_page(struct dstore *ds, struct dcursor *c, struct cman_error *err)
{
	json_t *req, *ans = NULL, *items, *lek;
	int rc;

	if (c->phase == 0) {
		req = json_pack("{s:s, s:s, s:{s:s,s:s}, s:{s:{s:s},s:o}, s:b, s:i}",
				"TableName", ds->tables[c->kind],
				"KeyConditionExpression", "#k = :k AND #t <= :a",
				"ExpressionAttributeNames", "#k", "key", "#t", "timestamp",
				"ExpressionAttributeValues", ":k", "S", c->key, ":a", num_i(c->t0),
				"ScanIndexForward", 0, "Limit", 1);
	} else {
		int64_t lo = c->t0;

		req = json_pack("{s:s, s:s, s:{s:s,s:s}, s:{s:{s:s},s:o,s:o}}",
				"TableName", ds->tables[c->kind],
				"KeyConditionExpression", "#k = :k AND #t BETWEEN :a AND :b",
				"ExpressionAttributeNames", "#k", "key", "#t", "timestamp",
				"ExpressionAttributeValues", ":k", "S", c->key,
				":a", num_i(lo), ":b", num_i(c->t1));
		if (req && c->next_key && json_object_set(req, "ExclusiveStartKey", c->next_key)) {
			json_decref(req);
			req = NULL;
		}
	}
	rc = ddb(ds, "Query", req, &ans, err);
	if (rc)
		return rc;
	json_decref(c->page);
	c->page = NULL;
	c->i = 0;
	json_decref(c->next_key);
	c->next_key = NULL;
	rc = cman_ddb_query_answer(ds->tables[c->kind], ans, &items, &lek, err);
	if (!rc) {
		c->page = json_incref(items);
		if (c->phase == 1)
			c->next_key = json_incref(lek);
	}
	json_decref(ans);
	return rc;
}

int cman_ddb_query_answer(const char *table, json_t *ans, json_t **items, json_t **next_key,
			  struct cman_error *err)
{
	json_t *lek = json_object_get(ans, "LastEvaluatedKey");

	*items = json_object_get(ans, "Items");
	*next_key = json_is_object(lek) && json_object_size(lek) > 0 ? lek : NULL;
	if (!json_is_array(*items)) {
		*items = *next_key = NULL;
		return cman_error_set(err, CMAN_ETRANSIENT, "DynamoDB Query on %s: no Items",
				      table);
	}
	return 0;
}

json_t *cman_ddb_unprocessed(json_t *ans, size_t *n_left)
{
	json_t *unproc = json_object_get(ans, "UnprocessedItems"), *l;
	const char *t;

	*n_left = 0;
	if (!json_is_object(unproc) || json_object_size(unproc) == 0)
		return NULL;
	json_object_foreach(unproc, t, l)
		*n_left += json_array_size(l);
	return unproc;
}

static int d_open_cursor(struct cman_store *st, enum cman_metric_kind kind, const char *key,
			 int64_t t0, int64_t t1, unsigned flags, struct cman_cursor **out,
			 struct cman_error *err)
{
	struct dstore *ds = (struct dstore *)st;
	struct dcursor *c;
	int rc;

	*out = NULL;
	if (kind < 0 || kind >= CMAN_KIND_COUNT || strlen(key) >= CMAN_KEY_MAX)
		return cman_error_set(err, CMAN_EINVAL, "bad metric kind or key");
	rc = flush(ds, err);
	if (rc)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	c->base.store = st;
	c->kind = kind;
	snprintf(c->key, sizeof(c->key), "%s", key);
	c->t0 = t0;
	c->t1 = t1;
	if (flags & CMAN_CURSOR_WITH_PRIOR) {
		c->phase = 0;
	} else {
		c->phase = 1;
	}
	*out = &c->base;
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	const struct cman_market_value *x = a, *y = b;
	int d = strcmp(x->instance_type, y->instance_type);

	return d ? d : strcmp(x->az, y->az);
}

static bool reserved(const char *name)
{
	return !strcmp(name, "key") || !strcmp(name, "timestamp") ||
	       !strcmp(name, "expiration_timestamp") || !strcmp(name, "gsi_partition") ||
	       !strcmp(name, "app_timestamp");
}

void cman_ddb_scratch_release(struct cman_ddb_scratch *s)
{
	free(s->ents);
	free(s->names);
	memset(s, 0, sizeof(*s));
}

static int item_to_sample(struct dcursor *c, json_t *item, struct cman_sample *out,
			  struct cman_error *err)
{
	struct dstore *ds = (struct dstore *)c->base.store;

	return cman_ddb_item_sample(ds->tables[c->kind], c->key, item, &c->map, out, err);
}

int cman_ddb_item_sample(const char *table, const char *key, json_t *item,
			 struct cman_ddb_scratch *c, struct cman_sample *out,
			 struct cman_error *err)
{
	double t, v;
	json_t *value = json_object_get(item, "value");
	const char *name;
	json_t *attr;
	size_t n = 0, need = 0, off = 0;

	/* issue 9.6: times within 1970..9999, as everywhere else */
	if (parse_n(json_object_get(item, "timestamp"), &t) || t != floor(t) ||
	    t < (double)CMAN_TIME_MIN || t > (double)CMAN_TIME_MAX)
		return cman_error_set(err, CMAN_EINVAL, "%s: %s: an item with a bad timestamp",
				      table, key);
	memset(out, 0, sizeof(*out));
	out->t = (int64_t)t;
	if (value) {
		if (parse_n(value, &v))
			return cman_error_set(err, CMAN_EINVAL,
					      "%s: %s at %lld: value is not a finite number",
					      table, key, (long long)out->t);
		out->value = v;
		return 0;
	}
	/* A market map: every non-reserved attribute is "<type, az>" -> N. */
	json_object_foreach(item, name, attr) {
		if (reserved(name))
			continue;
		n++;
		need += strlen(name) + 2;
	}
	if (cman_grow((void **)&c->ents, &c->ents_cap, n + 1, sizeof(*c->ents)) ||
	    cman_grow((void **)&c->names, &c->names_cap, need + 1, 1))
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	n = 0;
	json_object_foreach(item, name, attr) {
		char type[CMAN_TYPE_MAX], az[CMAN_AZ_MAX];
		size_t tl, al;

		if (reserved(name))
			continue;
		if (cman_market_parse(name, type, sizeof(type), az, sizeof(az)) ||
		    parse_n(attr, &v))
			return cman_error_set(err, CMAN_EINVAL,
					      "%s: %s at %lld: attribute \"%s\" is not a market "
					      "\"<type, az>\" with a number", table,
					      key, (long long)out->t, name);
		tl = strlen(type);
		al = strlen(az);
		memcpy(c->names + off, type, tl + 1);
		memcpy(c->names + off + tl + 1, az, al + 1);
		c->ents[n].instance_type = c->names + off;
		c->ents[n].az = c->names + off + tl + 1;
		c->ents[n].value = v;
		off += tl + al + 2;
		n++;
	}
	qsort(c->ents, n, sizeof(*c->ents), ent_cmp);
	out->is_map = true;
	out->n_markets = n;
	out->markets = c->ents;
	for (size_t i = 0; i < n; i++)
		out->value += c->ents[i].value;
	return 0;
}

static int d_cursor_next(struct cman_cursor *base, struct cman_sample *out,
			 struct cman_error *err)
{
	struct dcursor *c = (struct dcursor *)base;
	struct dstore *ds = (struct dstore *)base->store;
	int rc;

	for (;;) {
		if (c->phase == 2)
			return 0;
		if (c->phase == 0) {
			rc = query_page(ds, c, err);
			if (rc)
				return rc;
			c->phase = 1;
			c->started = false;
			/* The range that follows the prior sample is (t0, t1]. */
			if (json_array_size(c->page) > 0) {
				json_t *item = json_array_get(c->page, 0);

				rc = item_to_sample(c, item, out, err);
				json_decref(c->page);
				c->page = NULL;
				if (c->t0 == INT64_MAX) {
					c->phase = 2;
				} else {
					c->t0++;
				}
				return rc ? rc : 1;
			}
			json_decref(c->page);
			c->page = NULL;
			if (c->t0 == INT64_MAX)
				c->phase = 2;
			else
				c->t0++;
			continue;
		}
		if (c->page && c->i < json_array_size(c->page)) {
			rc = item_to_sample(c, json_array_get(c->page, c->i++), out, err);
			return rc ? rc : 1;
		}
		if (c->started && !c->next_key) {
			c->phase = 2;
			return 0;
		}
		if (c->t0 > c->t1) {
			c->phase = 2;
			return 0;
		}
		rc = query_page(ds, c, err);
		if (rc)
			return rc;
		c->started = true;
	}
}

static void d_cursor_close(struct cman_cursor *base)
{
	struct dcursor *c = (struct dcursor *)base;

	if (!c)
		return;
	json_decref(c->page);
	json_decref(c->next_key);
	cman_ddb_scratch_release(&c->map);
	free(c);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int d_keys(struct cman_store *st, enum cman_metric_kind kind, const char *prefix,
		  cman_key_cb cb, void *ctx, struct cman_error *err)
{
	struct dstore *ds = (struct dstore *)st;
	char **keys = NULL;
	size_t n = 0, cap = 0, plen = strlen(prefix);
	json_t *start = NULL;
	int rc;

	if (kind < 0 || kind >= CMAN_KIND_COUNT)
		return cman_error_set(err, CMAN_EINVAL, "bad metric kind");
	rc = flush(ds, err);
	if (rc)
		return rc;
	do {
		json_t *req, *ans = NULL, *items, *it, *lek;
		size_t i;

		req = json_pack("{s:s, s:s, s:{s:s}}", "TableName", ds->tables[kind],
				"ProjectionExpression", "#k", "ExpressionAttributeNames", "#k", "key");
		if (req && plen) {
			if (json_object_set_new(req, "FilterExpression",
						json_string("begins_with(#k, :p)")) ||
			    json_object_set_new(req, "ExpressionAttributeValues",
						json_pack("{s:{s:s}}", ":p", "S", prefix))) {
				json_decref(req);
				req = NULL;
			}
		}
		if (req && start && json_object_set_new(req, "ExclusiveStartKey", start)) {
			json_decref(req);
			req = NULL;
		}
		start = NULL;
		rc = ddb(ds, "Scan", req, &ans, err);
		if (rc)
			break;
		items = json_object_get(ans, "Items");
		json_array_foreach(items, i, it) {
			const char *k = json_string_value(json_object_get(json_object_get(it, "key"),
									   "S"));

			if (!k || strncmp(k, prefix, plen) != 0)
				continue;
			if (cman_grow((void **)&keys, &cap, n + 1, sizeof(*keys)) ||
			    !(keys[n] = strdup(k))) {
				rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
				break;
			}
			n++;
		}
		lek = json_object_get(ans, "LastEvaluatedKey");
		if (!rc && json_is_object(lek) && json_object_size(lek) > 0)
			start = json_incref(lek);
		json_decref(ans);
	} while (!rc && start);
	if (!rc && n) {
		qsort(keys, n, sizeof(*keys), str_cmp);
		for (size_t i = 0; i < n && !rc; i++) {
			if (i > 0 && strcmp(keys[i], keys[i - 1]) == 0)
				continue;
			rc = cb(ctx, keys[i]);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	return rc;
}

/* ---- pool state items (LIVE-SPEC §7.1, §10.3) -------------------------------- */

static json_t *state_key(enum cman_state_kind kind, const char *entity)
{
	return json_pack("{s:{s:s}, s:{s:s}}", "state", "S", cman_state_name(kind),
			 "entity", "S", entity);
}

/* A state call; a missing table is CMAN_ENOTFOUND naming it. */
static int state_call(struct dstore *ds, const char *op, json_t *req, json_t **out,
		      struct cman_error *err)
{
	struct cman_aws_fault f;
	char target[96];
	int rc;

	*out = NULL;
	if (!req)
		return cman_error_set(err, CMAN_ENOMEM, "DynamoDB %s: out of memory", op);
	snprintf(target, sizeof(target), TARGET "%s", op);
	/* Get, put and delete of one whole item: resending is harmless. */
	rc = cman_aws_json(ds->client, "dynamodb", target, req, CMAN_AWS_IDEMPOTENT, out, &f,
			   err);
	json_decref(req);
	if (rc == CMAN_EREJECTED && strcmp(f.code, "ResourceNotFoundException") == 0)
		return cman_error_set(err, CMAN_ENOTFOUND, "DynamoDB %s: the state table %s does "
				      "not exist", op, ds->state_table);
	return rc;
}

/* A whole number of seconds from an N attribute (Clusterman may write a
 * fraction: it is rounded down, which keeps "paused while now <= t" for
 * integer times). */
static int parse_seconds(const json_t *attr, int64_t *out)
{
	double v;

	if (parse_n(attr, &v) || v < -9.2e18 || v > 9.2e18)
		return -1;
	*out = (int64_t)floor(v);
	return 0;
}

static int d_state_get(struct cman_store *st, enum cman_state_kind kind, const char *entity,
		       struct cman_state_item *out, struct cman_error *err)
{
	struct dstore *ds = (struct dstore *)st;
	json_t *ans, *item, *exp, *off;
	int rc;

	rc = state_call(ds, "GetItem",
			json_pack("{s:s, s:o, s:b}", "TableName", ds->state_table, "Key",
				  state_key(kind, entity), "ConsistentRead", 1),
			&ans, err);
	if (rc)
		return rc;
	item = json_object_get(ans, "Item");
	if (!item) {
		json_decref(ans);
		return 0;
	}
	exp = json_object_get(item, "expiration_timestamp");
	off = json_object_get(item, "offset");
	if (kind == CMAN_STATE_DRAINING) {
		const char *t = json_string_value(json_object_get(json_object_get(item, "machines"),
								  "S"));

		if (!t) {
			rc = cman_error_set(err, CMAN_ETRANSIENT, "DynamoDB GetItem %s (%s, %s): the "
					    "item lacks a string machines", ds->state_table,
					    cman_state_name(kind), entity);
			json_decref(ans);
			return rc;
		}
		if (!(out->text = strdup(t))) {
			json_decref(ans);
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		}
	}
	out->expires = exp != NULL;
	if (parse_seconds(json_object_get(item, "timestamp"), &out->timestamp) ||
	    (exp && parse_seconds(exp, &out->expiration)) ||
	    (kind == CMAN_STATE_CAPACITY_OFFSET && (!off || parse_n(off, &out->offset))))
		rc = cman_error_set(err, CMAN_ETRANSIENT, "DynamoDB GetItem %s (%s, %s): the item "
				    "lacks a number in timestamp%s%s", ds->state_table,
				    cman_state_name(kind), entity, exp ? ", expiration_timestamp" : "",
				    kind == CMAN_STATE_CAPACITY_OFFSET ? " or offset" : "");
	else
		rc = 1;
	if (rc != 1) {
		free(out->text);
		out->text = NULL;
	}
	json_decref(ans);
	return rc;
}

static int d_state_put(struct cman_store *st, enum cman_state_kind kind, const char *entity,
		       const struct cman_state_item *item, struct cman_error *err)
{
	struct dstore *ds = (struct dstore *)st;
	json_t *it = state_key(kind, entity), *ans;
	int rc, bad = !it;

	if (it) {
		bad |= json_object_set_new(it, "timestamp", num_i(item->timestamp));
		if (item->expires)
			bad |= json_object_set_new(it, "expiration_timestamp",
						   num_i(item->expiration));
		if (kind == CMAN_STATE_CAPACITY_OFFSET) {
			if (!ddb_number(item->offset)) {
				json_decref(it);
				return cman_error_set(err, CMAN_EINVAL, "capacity offset %g: not a "
						      "DynamoDB number", item->offset);
			}
			bad |= json_object_set_new(it, "offset", num(item->offset));
		}
		if (kind == CMAN_STATE_DRAINING)
			bad |= json_object_set_new(it, "machines",
						   json_pack("{s:s}", "S", item->text));
	}
	if (bad) {
		json_decref(it);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	rc = state_call(ds, "PutItem", json_pack("{s:s, s:o}", "TableName", ds->state_table,
						 "Item", it), &ans, err);
	json_decref(ans);
	return rc;
}

static int d_state_delete(struct cman_store *st, enum cman_state_kind kind, const char *entity,
			  struct cman_error *err)
{
	struct dstore *ds = (struct dstore *)st;
	json_t *ans;
	int rc;

	rc = state_call(ds, "DeleteItem",
			json_pack("{s:s, s:o}", "TableName", ds->state_table, "Key",
				  state_key(kind, entity)), &ans, err);
	json_decref(ans);
	return rc;
}

static void d_free(struct cman_store *st)
{
	struct dstore *ds = (struct dstore *)st;

	if (!ds)
		return;
	if (ds->n_buf)
		fprintf(stderr, "warning: %s: %zu buffered samples were never committed and are "
			"dropped\n", st->name, ds->n_buf);
	drop_pending(ds);
	free(ds->buf);
	if (ds->owns_client)
		cman_aws_client_free(ds->client);
	free(ds);
}

static const struct cman_store_ops dynamodb_ops = {
	.name = "dynamodb",
	.keys = d_keys,
	.open_cursor = d_open_cursor,
	.cursor_next = d_cursor_next,
	.cursor_close = d_cursor_close,
	.write = d_write,
	.begin = d_begin,
	.commit = d_commit,
	.rollback = d_rollback,
	.free = d_free,
	.state_get = d_state_get,
	.state_put = d_state_put,
	.state_delete = d_state_delete,
};

int cman_store_dynamodb_open(struct cman_aws_client *client,
			     const struct cman_dynamodb_options *opt,
			     struct cman_store **out, struct cman_error *err)
{
	struct dstore *ds;
	int rc;

	*out = NULL;
	ds = calloc(1, sizeof(*ds));
	if (!ds)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	ds->base.ops = &dynamodb_ops;
	ds->client = client;
	ds->opt = *opt;
	snprintf(ds->base.name, sizeof(ds->base.name), "dynamodb://%s (%s)", opt->table_prefix,
		 cman_aws_region(client));
	for (int k = 0; k < CMAN_KIND_COUNT; k++)
		snprintf(ds->tables[k], sizeof(ds->tables[k]), "%s%s", opt->table_prefix,
			 cman_kind_name((enum cman_metric_kind)k));
	if (opt->state_table[0])
		snprintf(ds->state_table, sizeof(ds->state_table), "%s", opt->state_table);
	else
		snprintf(ds->state_table, sizeof(ds->state_table), "%scluster_state",
			 opt->table_prefix);
	rc = ensure_tables(ds, err);
	if (rc) {
		free(ds);
		return rc;
	}
	*out = &ds->base;
	return 0;
}

int cman_store_dynamodb_open_uri(const char *uri, bool create, struct cman_store **out,
				 struct cman_error *err)
{
	struct cman_aws_config cfg;
	struct cman_dynamodb_options opt;
	struct cman_aws_client *client;
	const char *prefix, *query;
	size_t plen;
	int rc;

	*out = NULL;
	if (strncmp(uri, "dynamodb://", 11) != 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: expected dynamodb://TABLE_PREFIX", uri);
	prefix = uri + 11;
	query = strchr(prefix, '?');
	plen = query ? (size_t)(query - prefix) : strlen(prefix);
	cman_dynamodb_options_init(&opt);
	cman_aws_config_init(&cfg);
	if (plen) {
		if (plen >= sizeof(opt.table_prefix) ||
		    strspn(prefix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789_.-") != plen)
			return cman_error_set(err, CMAN_EINVAL,
					      "%s: a table prefix is letters, digits, '_', '.' "
					      "and '-'", uri);
		snprintf(opt.table_prefix, sizeof(opt.table_prefix), "%.*s", (int)plen, prefix);
	}
	if (query) {
		if (strncmp(query, "?region=", 8) != 0 || !query[8] ||
		    strlen(query + 8) >= sizeof(cfg.region))
			return cman_error_set(err, CMAN_EINVAL,
					      "%s: expected dynamodb://TABLE_PREFIX or "
					      "dynamodb://TABLE_PREFIX?region=REGION", uri);
		snprintf(cfg.region, sizeof(cfg.region), "%s", query + 8);
	}
	opt.create_tables = create;
	rc = cman_aws_client_new(&cfg, &client, err);
	if (rc)
		return rc;
	rc = cman_store_dynamodb_open(client, &opt, out, err);
	if (rc) {
		cman_aws_client_free(client);
		return rc;
	}
	((struct dstore *)*out)->owns_client = true;
	return 0;
}
