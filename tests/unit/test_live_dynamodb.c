/*
 * test_live_dynamodb.c - the DynamoDB metrics store.
 *
 * Run as "test_live_dynamodb moto" or "... dynalite": the same store tests
 * against a real server started here on 127.0.0.1 (skipped, exit 77, when
 * the server is not installed); without an argument: pagination,
 * unprocessed items and throttling against the scripted fake, asserting
 * the exact requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cman/live/dynamodb.h"
#include "fake_http.h"
#include "servers.h"

static struct test_server server;
static struct fake_http *fake;
static struct cman_aws_client *client;
static int prefix_seq;

static struct cman_aws_client *make_client(const char *url)
{
	struct cman_aws_config cfg;
	struct cman_aws_client *c = NULL;
	struct cman_error err;

	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "test-secret-never-printed", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	setenv("AWS_ENDPOINT_URL", url, 1);
	cman_aws_config_init(&cfg);
	snprintf(cfg.region, sizeof(cfg.region), "us-west-2");
	cfg.seed = 7;
	cfg.timeout_ms = 30000;
	cfg.connect_timeout_ms = 10000;
	if (cman_aws_client_new(&cfg, &c, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	return c;
}

/* A store on fresh tables (a new prefix per test). */
static struct cman_store *fresh_store(void)
{
	struct cman_dynamodb_options opt;
	struct cman_store *st = NULL;
	struct cman_error err;
	int rc;

	cman_dynamodb_options_init(&opt);
	snprintf(opt.table_prefix, sizeof(opt.table_prefix), "t%d_clusterman_", ++prefix_seq);
	opt.create_tables = true;
	rc = cman_store_dynamodb_open(client, &opt, &st, &err);
	if (rc)
		fprintf(stderr, "open: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return st;
}

static void put(struct cman_store *st, enum cman_metric_kind kind, const char *key,
		int64_t t, double v)
{
	struct cman_sample s = {.t = t, .value = v};
	struct cman_error err;
	int rc = cman_store_write(st, kind, key, &s, &err);

	if (rc)
		fprintf(stderr, "write: %s\n", err.msg);
	assert_int_equal(rc, 0);
}

struct collected {
	int64_t t[200];
	double v[200];
	int n;
};

static int collect(void *ctx, const struct cman_sample *s)
{
	struct collected *c = ctx;

	if (c->n < 200) {
		c->t[c->n] = s->t;
		c->v[c->n] = s->value;
	}
	c->n++;
	return 0;
}

static const char *K = "cpus_allocated|cluster=c1,pool=default.mesos";

static void test_round_trip(void **state)
{
	struct cman_store *st = fresh_store();
	struct cman_cursor *cur;
	struct cman_sample s;
	struct cman_error err;
	struct collected got = {0};
	int64_t t;
	double v;

	assert_int_equal(cman_store_begin(st, &err), 0);
	put(st, CMAN_SYSTEM_METRICS, K, 300, 3.5);
	put(st, CMAN_SYSTEM_METRICS, K, 100, 0.1);
	put(st, CMAN_SYSTEM_METRICS, K, 200, 1e-100);
	{
		struct cman_sample bad = {.t = 250, .value = 1e-300};

		/* Outside DynamoDB's number range: refused, not rounded silently. */
		assert_int_equal(cman_store_write(st, CMAN_SYSTEM_METRICS, K, &bad, &err),
				 CMAN_EINVAL);
		assert_non_null(strstr(err.msg, "not a number DynamoDB can hold"));
	}
	put(st, CMAN_SYSTEM_METRICS, "other|cluster=c1", 150, 7);
	assert_int_equal(cman_store_commit(st, &err), 0);

	assert_int_equal(cman_store_values(st, CMAN_SYSTEM_METRICS, K, 0, 1000, collect, &got,
					   &err),
			 0);
	assert_int_equal(got.n, 3);
	assert_int_equal(got.t[0], 100);
	assert_true(got.v[0] == 0.1);          /* exact: %.17g round-trips a double */
	assert_int_equal(got.t[1], 200);
	assert_true(got.v[1] == 1e-100);
	assert_int_equal(got.t[2], 300);
	assert_true(got.v[2] == 3.5);

	/* Both ends included. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(cman_store_values(st, CMAN_SYSTEM_METRICS, K, 200, 300, collect, &got,
					   &err),
			 0);
	assert_int_equal(got.n, 2);

	/* WITH_PRIOR: the latest at or before t0, then (t0, t1]. */
	assert_int_equal(cman_store_open_cursor(st, CMAN_SYSTEM_METRICS, K, 250, 1000,
						CMAN_CURSOR_WITH_PRIOR, &cur, &err),
			 0);
	assert_int_equal(cman_cursor_next(cur, &s, &err), 1);
	assert_int_equal(s.t, 200);
	assert_int_equal(cman_cursor_next(cur, &s, &err), 1);
	assert_int_equal(s.t, 300);
	assert_int_equal(cman_cursor_next(cur, &s, &err), 0);
	cman_cursor_close(cur);
	assert_int_equal(cman_store_open_cursor(st, CMAN_SYSTEM_METRICS, K, 200, 1000,
						CMAN_CURSOR_WITH_PRIOR, &cur, &err),
			 0);
	assert_int_equal(cman_cursor_next(cur, &s, &err), 1);
	assert_int_equal(s.t, 200);
	assert_int_equal(cman_cursor_next(cur, &s, &err), 1);
	assert_int_equal(s.t, 300);
	assert_int_equal(cman_cursor_next(cur, &s, &err), 0);
	cman_cursor_close(cur);
	assert_int_equal(cman_store_open_cursor(st, CMAN_SYSTEM_METRICS, K, 50, 150,
						CMAN_CURSOR_WITH_PRIOR, &cur, &err),
			 0);
	assert_int_equal(cman_cursor_next(cur, &s, &err), 1);
	assert_int_equal(s.t, 100);
	assert_int_equal(cman_cursor_next(cur, &s, &err), 0);
	cman_cursor_close(cur);

	assert_int_equal(cman_store_latest(st, CMAN_SYSTEM_METRICS, K, 299, &t, &v, &err), 1);
	assert_int_equal(t, 200);
	assert_int_equal(cman_store_latest(st, CMAN_SYSTEM_METRICS, K, 99, &t, &v, &err), 0);
	/* Another kind is another table. */
	assert_int_equal(cman_store_latest(st, CMAN_METADATA, K, 1000, &t, &v, &err), 0);
	cman_store_free(st);
}

static void test_maps(void **state)
{
	struct cman_store *st = fresh_store();
	const char *key = "fulfilled_capacity|cluster=c1,pool=default.mesos";
	struct cman_market_value m[] = {
		{"m5.large", "us-west-2b", 20}, {"c5.xlarge", "us-west-2a", 4},
		{"c5.xlarge", "us-west-2a", 1},
	};
	struct cman_sample s = {.t = 1000, .is_map = true, .n_markets = 2, .markets = m};
	struct cman_cursor *cur;
	struct cman_error err;

	assert_int_equal(cman_store_write(st, CMAN_METADATA, key, &s, &err), 0);
	s.t = 1060;
	s.n_markets = 0;
	assert_int_equal(cman_store_write(st, CMAN_METADATA, key, &s, &err), 0);
	/* A market named twice is refused. */
	s.t = 1120;
	s.markets = m + 1;
	s.n_markets = 2;
	assert_int_equal(cman_store_write(st, CMAN_METADATA, key, &s, &err), CMAN_EINVAL);
	assert_int_equal(cman_store_commit(st, &err), 0);

	assert_int_equal(cman_store_open_cursor(st, CMAN_METADATA, key, 0, 5000, 0, &cur, &err), 0);
	assert_int_equal(cman_cursor_next(cur, &s, &err), 1);
	assert_true(s.is_map);
	assert_int_equal(s.n_markets, 2);
	/* Canonical order: by type, then zone. */
	assert_string_equal(s.markets[0].instance_type, "c5.xlarge");
	assert_string_equal(s.markets[0].az, "us-west-2a");
	assert_true(s.markets[0].value == 4);
	assert_string_equal(s.markets[1].instance_type, "m5.large");
	assert_true(s.value == 24);
	/* An empty map is an item with only its keys: still a map. */
	assert_int_equal(cman_cursor_next(cur, &s, &err), 1);
	assert_int_equal(s.t, 1060);
	assert_true(s.is_map);
	assert_int_equal(s.n_markets, 0);
	assert_int_equal(cman_cursor_next(cur, &s, &err), 0);
	cman_cursor_close(cur);
	cman_store_free(st);
}

static void test_batches_and_duplicates(void **state)
{
	struct cman_store *st = fresh_store();
	struct collected got = {0};
	struct cman_error err;

	/* 60 samples: three BatchWriteItem calls; a (key, time) written twice in
	 * one batch keeps the later value (DynamoDB would refuse the batch). */
	for (int i = 0; i < 60; i++)
		put(st, CMAN_APP_METRICS, "app1,jobs", 1000 + i * 60, i);
	put(st, CMAN_APP_METRICS, "app1,jobs", 1000 + 59 * 60, 590);
	assert_int_equal(cman_store_commit(st, &err), 0);
	assert_int_equal(cman_store_values(st, CMAN_APP_METRICS, "app1,jobs", 0, 1e9, collect, &got,
					   &err),
			 0);
	assert_int_equal(got.n, 60);
	assert_true(got.v[0] == 0);
	assert_true(got.v[58] == 58);
	assert_true(got.v[59] == 590);
	cman_store_free(st);
}

struct keylist {
	char keys[16][128];
	int n;
};

static int on_key(void *ctx, const char *key)
{
	struct keylist *l = ctx;

	if (l->n < 16)
		snprintf(l->keys[l->n], sizeof(l->keys[0]), "%s", key);
	l->n++;
	return 0;
}

static void test_keys(void **state)
{
	struct cman_store *st = fresh_store();
	struct keylist l = {0};
	struct cman_error err;

	put(st, CMAN_METADATA, "spot_prices|aws_availability_zone=us-west-2b,aws_instance_type=c5.large",
	    10, 0.03);
	put(st, CMAN_METADATA, "spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=c5.large",
	    10, 0.02);
	put(st, CMAN_METADATA, "spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=c5.large",
	    20, 0.021);
	put(st, CMAN_METADATA, "target_capacity|cluster=c1,pool=default.mesos", 10, 12);
	/* Reads flush what is buffered first: no commit needed to see them. */
	assert_int_equal(cman_store_keys(st, CMAN_METADATA, "spot_prices|", on_key, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.keys[0],
			    "spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=c5.large");
	assert_string_equal(l.keys[1],
			    "spot_prices|aws_availability_zone=us-west-2b,aws_instance_type=c5.large");
	l.n = 0;
	assert_int_equal(cman_store_keys(st, CMAN_METADATA, "", on_key, &l, &err), 0);
	assert_int_equal(l.n, 3);
	l.n = 0;
	assert_int_equal(cman_store_keys(st, CMAN_SYSTEM_METRICS, "", on_key, &l, &err), 0);
	assert_int_equal(l.n, 0);
	cman_store_free(st);
}

static void test_missing_tables(void **state)
{
	struct cman_dynamodb_options opt;
	struct cman_store *st = NULL;
	struct cman_error err;

	cman_dynamodb_options_init(&opt);
	snprintf(opt.table_prefix, sizeof(opt.table_prefix), "absent_");
	assert_int_equal(cman_store_dynamodb_open(client, &opt, &st, &err), CMAN_ENOTFOUND);
	assert_null(st);
	assert_non_null(strstr(err.msg, "absent_system_metrics"));
	assert_null(strstr(err.msg, "test-secret-never-printed"));
}

/* Pool state items on a real server: Clusterman's item shapes, the pause
 * and offset rules, and a state table that does not exist. */
static void test_state(void **state)
{
	struct cman_store *st = fresh_store(), *bare;
	struct cman_dynamodb_options opt;
	struct cman_state_item it = {.timestamp = 1697650000, .expires = true,
				     .expiration = 1697651800};
	struct cman_state_item got;
	struct cman_error err;
	bool paused = true;
	int64_t until;
	double off = 9;

	assert_int_equal(cman_store_state_get(st, CMAN_STATE_PAUSED, "c1.default.mesos", &got,
					      &err), 0);
	assert_int_equal(cman_store_paused(st, "c1.default.mesos", 1697650000, &paused, &until,
					   &err), 0);
	assert_false(paused);
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_PAUSED, "c1.default.mesos", &it,
					      &err), 0);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_PAUSED, "c1.default.mesos", &got,
					      &err), 1);
	assert_int_equal(got.timestamp, 1697650000);
	assert_true(got.expires);
	assert_int_equal(got.expiration, 1697651800);
	assert_int_equal(cman_store_paused(st, "c1.default.mesos", 1697651800, &paused, &until,
					   &err), 0);
	assert_true(paused);
	assert_int_equal(until, 1697651800);
	assert_int_equal(cman_store_paused(st, "c1.default.mesos", 1697651801, &paused, NULL,
					   &err), 0);
	assert_false(paused);
	assert_int_equal(cman_store_paused(st, "c1.other.mesos", 1697650000, &paused, NULL,
					   &err), 0);
	assert_false(paused);
	/* For ever without an expiry. */
	it.expires = false;
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_PAUSED, "c1.default.mesos", &it,
					      &err), 0);
	assert_int_equal(cman_store_paused(st, "c1.default.mesos", 4000000000LL, &paused,
					   &until, &err), 0);
	assert_true(paused);
	assert_int_equal(until, INT64_MAX);
	assert_int_equal(cman_store_state_delete(st, CMAN_STATE_PAUSED, "c1.default.mesos",
						 &err), 0);
	assert_int_equal(cman_store_state_delete(st, CMAN_STATE_PAUSED, "c1.default.mesos",
						 &err), 0);
	assert_int_equal(cman_store_paused(st, "c1.default.mesos", 1697650000, &paused, NULL,
					   &err), 0);
	assert_false(paused);

	it = (struct cman_state_item){.timestamp = 100, .expires = true, .expiration = 200,
				      .offset = 0.1};
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_CAPACITY_OFFSET, "c1.default.mesos",
					      &it, &err), 0);
	assert_int_equal(cman_store_capacity_offset(st, "c1.default.mesos", 200, &off, &err), 0);
	assert_true(off == 0.1);
	assert_int_equal(cman_store_capacity_offset(st, "c1.default.mesos", 201, &off, &err), 0);
	assert_true(off == 0);

	/* ours: the drain state, its JSON in the string attribute machines */
	it = (struct cman_state_item){.timestamp = 300, .text = "[{\"instance_id\":\"i-1\"}]"};
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_DRAINING, "c1.default.mesos", &got,
					      &err), 0);
	assert_null(got.text);
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_DRAINING, "c1.default.mesos", &it,
					      &err), 0);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_DRAINING, "c1.default.mesos", &got,
					      &err), 1);
	assert_int_equal(got.timestamp, 300);
	assert_string_equal(got.text, "[{\"instance_id\":\"i-1\"}]");
	free(got.text);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_CAPACITY_OFFSET, "c1.default.mesos",
					      &got, &err), 1);
	assert_null(got.text);
	assert_int_equal(cman_store_state_delete(st, CMAN_STATE_DRAINING, "c1.default.mesos",
						 &err), 0);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_DRAINING, "c1.default.mesos", &got,
					      &err), 0);
	cman_store_free(st);

	/* A store opened without creating tables on a prefix whose metrics
	 * tables exist but whose state table does not: the metrics work, the
	 * state says which table is missing. */
	cman_dynamodb_options_init(&opt);
	snprintf(opt.table_prefix, sizeof(opt.table_prefix), "t%d_clusterman_", prefix_seq);
	assert_int_equal(cman_store_dynamodb_open(client, &opt, &bare, &err), 0);
	snprintf(opt.table_prefix, sizeof(opt.table_prefix), "t%d_nostate_", ++prefix_seq);
	cman_store_free(bare);
	opt.create_tables = true;
	assert_int_equal(cman_store_dynamodb_open(client, &opt, &bare, &err), 0);
	cman_store_free(bare);
	{
		/* delete the state table made above */
		json_t *ans = NULL, *req;
		char table[160];

		snprintf(table, sizeof(table), "%scluster_state", opt.table_prefix);
		req = json_pack("{s:s}", "TableName", table);
		assert_int_equal(cman_aws_json(client, "dynamodb", "DynamoDB_20120810.DeleteTable",
					       req, 0, &ans, NULL, &err), 0);
		json_decref(req);
		json_decref(ans);
	}
	opt.create_tables = false;
	assert_int_equal(cman_store_dynamodb_open(client, &opt, &bare, &err), 0);
	assert_int_equal(cman_store_paused(bare, "c1.default.mesos", 1, &paused, NULL, &err),
			 CMAN_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nostate_cluster_state does not exist"));
	assert_null(strstr(err.msg, "test-secret-never-printed"));
	cman_store_free(bare);
}

/* ---- against the fake ------------------------------------------------------- */

static const char *active = "{\"Table\":{\"TableStatus\":\"ACTIVE\"}}";

static void push_json(int status, const char *body)
{
	fake_http_push(fake, &(struct fake_reply){.status = status, .body = body,
						  .content_type = "application/x-amz-json-1.0"});
}

static struct cman_store *fake_store(void)
{
	struct cman_dynamodb_options opt;
	struct cman_store *st = NULL;
	struct cman_error err;

	fake_http_reset(fake);
	for (int i = 0; i < 3; i++)
		push_json(200, active);
	cman_dynamodb_options_init(&opt);
	assert_int_equal(cman_store_dynamodb_open(client, &opt, &st, &err), 0);
	assert_int_equal(fake_http_count(fake), 3);
	assert_string_equal(fake_http_request(fake, 0).target, "DynamoDB_20120810.DescribeTable");
	fake_http_reset(fake);
	return st;
}

static void test_fake_query_pages(void **state)
{
	struct cman_store *st = fake_store();
	struct collected got = {0};
	struct cman_error err;
	struct fake_request r;

	push_json(200, "{\"Items\":[{\"key\":{\"S\":\"k\"},\"timestamp\":{\"N\":\"10\"},"
		       "\"value\":{\"N\":\"1.5\"}}],\"Count\":1,"
		       "\"LastEvaluatedKey\":{\"key\":{\"S\":\"k\"},\"timestamp\":{\"N\":\"10\"}}}");
	push_json(200, "{\"Items\":[{\"key\":{\"S\":\"k\"},\"timestamp\":{\"N\":\"20\"},"
		       "\"value\":{\"N\":\"2.5E0\"}}],\"Count\":1}");
	assert_int_equal(cman_store_values(st, CMAN_SYSTEM_METRICS, "k", 0, 100, collect, &got,
					   &err),
			 0);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.t[1], 20);
	assert_true(got.v[1] == 2.5);
	assert_int_equal(fake_http_count(fake), 2);
	r = fake_http_request(fake, 0);
	assert_string_equal(r.target, "DynamoDB_20120810.Query");
	assert_non_null(strstr(r.body, "\"TableName\":\"clusterman_system_metrics\""));
	assert_non_null(strstr(r.body, "#k = :k AND #t BETWEEN :a AND :b"));
	assert_null(strstr(r.body, "ExclusiveStartKey"));
	r = fake_http_request(fake, 1);
	assert_non_null(strstr(r.body, "\"ExclusiveStartKey\":{\"key\":{\"S\":\"k\"},"
				       "\"timestamp\":{\"N\":\"10\"}}"));
	cman_store_free(st);
}

static void test_fake_bad_items(void **state)
{
	struct cman_store *st = fake_store();
	struct collected got = {0};
	struct cman_error err;

	push_json(200, "{\"Items\":[{\"key\":{\"S\":\"k\"},\"timestamp\":{\"N\":\"10\"},"
		       "\"value\":{\"S\":\"x\"}}],\"Count\":1}");
	assert_int_equal(cman_store_values(st, CMAN_SYSTEM_METRICS, "k", 0, 100, collect, &got,
					   &err),
			 CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "not a finite number"));
	push_json(200, "{\"Items\":[{\"key\":{\"S\":\"k\"},\"timestamp\":{\"N\":\"10\"},"
		       "\"oops\":{\"N\":\"1\"}}],\"Count\":1}");
	assert_int_equal(cman_store_values(st, CMAN_METADATA, "k", 0, 100, collect, &got, &err),
			 CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "\"oops\""));
	/* issue 9.6: a time outside 1970..9999 is a bad item, as in every other source */
	push_json(200, "{\"Items\":[{\"key\":{\"S\":\"k\"},\"timestamp\":{\"N\":\"253402300800\"},"
		       "\"value\":{\"N\":\"1\"}}],\"Count\":1}");
	assert_int_equal(cman_store_values(st, CMAN_SYSTEM_METRICS, "k", 0, 100, collect, &got,
					   &err),
			 CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "bad timestamp"));
	cman_store_free(st);
}

static void test_fake_unprocessed(void **state)
{
	struct cman_store *st = fake_store();
	struct cman_error err;
	struct fake_request r;

	put(st, CMAN_SYSTEM_METRICS, "k", 10, 1);
	put(st, CMAN_SYSTEM_METRICS, "k", 20, 2);
	push_json(200, "{\"UnprocessedItems\":{\"clusterman_system_metrics\":[{\"PutRequest\":"
		       "{\"Item\":{\"key\":{\"S\":\"k\"},\"timestamp\":{\"N\":\"20\"},"
		       "\"value\":{\"N\":\"2\"}}}}]}}");
	push_json(200, "{\"UnprocessedItems\":{}}");
	assert_int_equal(cman_store_commit(st, &err), 0);
	assert_int_equal(fake_http_count(fake), 2);
	r = fake_http_request(fake, 0);
	assert_string_equal(r.target, "DynamoDB_20120810.BatchWriteItem");
	assert_non_null(strstr(r.body, "\"N\":\"10\""));
	assert_non_null(strstr(r.body, "\"N\":\"20\""));
	/* Only what was left is sent again. */
	r = fake_http_request(fake, 1);
	assert_null(strstr(r.body, "\"N\":\"10\""));
	assert_non_null(strstr(r.body, "\"N\":\"20\""));

	/* Left unprocessed every time: a partial failure, said so. */
	fake_http_reset(fake);
	put(st, CMAN_SYSTEM_METRICS, "k", 30, 3);
	for (int i = 0; i < 8; i++)
		push_json(200, "{\"UnprocessedItems\":{\"clusterman_system_metrics\":[{\"PutRequest\":"
			       "{\"Item\":{\"key\":{\"S\":\"k\"},\"timestamp\":{\"N\":\"30\"},"
			       "\"value\":{\"N\":\"3\"}}}}]}}");
	assert_int_equal(cman_store_commit(st, &err), CMAN_EPARTIAL);
	assert_non_null(strstr(err.msg, "1 of 1 items still unprocessed"));
	assert_int_equal(fake_http_count(fake), 8);
	cman_store_rollback(st);
	cman_store_free(st);
}

static void test_fake_throttled_query(void **state)
{
	struct cman_store *st = fake_store();
	struct collected got = {0};
	struct cman_error err;

	push_json(400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
		       "ProvisionedThroughputExceededException\",\"message\":\"slow\"}");
	push_json(200, "{\"Items\":[],\"Count\":0}");
	assert_int_equal(cman_store_values(st, CMAN_SYSTEM_METRICS, "k", 0, 100, collect, &got,
					   &err),
			 0);
	assert_int_equal(fake_http_count(fake), 2);
	/* A table that answers garbage fails loudly, not as "no data". */
	push_json(200, "{\"Count\":0}");
	assert_int_equal(cman_store_values(st, CMAN_SYSTEM_METRICS, "k", 0, 100, collect, &got,
					   &err),
			 CMAN_ETRANSIENT);
	cman_store_free(st);
}

static void test_fake_state(void **state)
{
	struct cman_store *st = fake_store();
	struct cman_state_item it = {.timestamp = 1697650000, .expires = true,
				     .expiration = 1697651800, .offset = 3};
	struct cman_error err;
	struct fake_request r;
	bool paused = false;
	double off = 7;

	/* Clusterman's request shapes (LIVE-SPEC §10.3). */
	push_json(200, "{\"Item\":{\"state\":{\"S\":\"autoscaler_paused\"},\"entity\":"
		       "{\"S\":\"c1.default.mesos\"},\"timestamp\":{\"N\":\"1697650000\"},"
		       "\"expiration_timestamp\":{\"N\":\"1697651800.5\"}}}");
	assert_int_equal(cman_store_paused(st, "c1.default.mesos", 1697651800, &paused, NULL,
					   &err), 0);
	assert_true(paused);
	r = fake_http_request(fake, 0);
	assert_string_equal(r.target, "DynamoDB_20120810.GetItem");
	assert_non_null(strstr(r.body, "\"TableName\":\"clusterman_cluster_state\""));
	assert_non_null(strstr(r.body, "\"Key\":{\"state\":{\"S\":\"autoscaler_paused\"},"
				       "\"entity\":{\"S\":\"c1.default.mesos\"}}"));
	assert_non_null(strstr(r.body, "\"ConsistentRead\":true"));
	/* Absent: {} */
	push_json(200, "{}");
	assert_int_equal(cman_store_paused(st, "c1.default.mesos", 1, &paused, NULL, &err), 0);
	assert_false(paused);

	fake_http_reset(fake);
	push_json(200, "{}");
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_CAPACITY_OFFSET, "c1.default.mesos",
					      &it, &err), 0);
	r = fake_http_request(fake, 0);
	assert_string_equal(r.target, "DynamoDB_20120810.PutItem");
	assert_non_null(strstr(r.body, "\"state\":{\"S\":\"autoscaler_capacity_offset\"}"));
	assert_non_null(strstr(r.body, "\"timestamp\":{\"N\":\"1697650000\"}"));
	assert_non_null(strstr(r.body, "\"expiration_timestamp\":{\"N\":\"1697651800\"}"));
	assert_non_null(strstr(r.body, "\"offset\":{\"N\":\"3\"}"));
	push_json(200, "{}");
	assert_int_equal(cman_store_state_delete(st, CMAN_STATE_PAUSED, "c1.default.mesos", &err),
			 0);
	r = fake_http_request(fake, 1);
	assert_string_equal(r.target, "DynamoDB_20120810.DeleteItem");
	assert_non_null(strstr(r.body, "\"Key\":{\"state\":{\"S\":\"autoscaler_paused\"},"
				       "\"entity\":{\"S\":\"c1.default.mesos\"}}"));

	/* Throttled, then answered: retried.  Throttled throughout: an error,
	 * never "not paused". */
	fake_http_reset(fake);
	push_json(400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ThrottlingException\","
		       "\"message\":\"slow\"}");
	push_json(200, "{\"Item\":{\"timestamp\":{\"N\":\"1\"}}}");
	assert_int_equal(cman_store_paused(st, "c1.default.mesos", 5, &paused, NULL, &err), 0);
	assert_true(paused);
	assert_int_equal(fake_http_count(fake), 2);
	fake_http_reset(fake);
	for (int i = 0; i < 8; i++)
		push_json(400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
			       "ProvisionedThroughputExceededException\",\"message\":\"slow\"}");
	paused = true;
	assert_int_equal(cman_store_paused(st, "c1.default.mesos", 5, &paused, NULL, &err),
			 CMAN_ETHROTTLED);
	assert_false(paused);
	/* An item without its numbers, or a malformed answer: errors too. */
	fake_http_reset(fake);
	push_json(200, "{\"Item\":{\"timestamp\":{\"N\":\"1\"},\"expiration_timestamp\":"
		       "{\"S\":\"soon\"}}}");
	assert_int_equal(cman_store_paused(st, "c1.default.mesos", 5, &paused, NULL, &err),
			 CMAN_ETRANSIENT);
	push_json(200, "{\"Item\":{\"timestamp\":{\"N\":\"1\"}}}");
	assert_int_equal(cman_store_capacity_offset(st, "c1.default.mesos", 5, &off, &err),
			 CMAN_ETRANSIENT);
	assert_true(off == 0);
	push_json(200, "{\"Item\":");
	assert_int_equal(cman_store_paused(st, "c1.default.mesos", 5, &paused, NULL, &err),
			 CMAN_ETRANSIENT);
	push_json(400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
		       "ResourceNotFoundException\",\"message\":\"Requested resource not found\"}");
	assert_int_equal(cman_store_paused(st, "c1.default.mesos", 5, &paused, NULL, &err),
			 CMAN_ENOTFOUND);
	assert_null(strstr(err.msg, "test-secret-never-printed"));
	cman_store_free(st);
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "fake";
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_missing_tables),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_maps),
		cmocka_unit_test(test_batches_and_duplicates),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_state),
	};
	const struct CMUnitTest faked[] = {
		cmocka_unit_test(test_fake_query_pages),
		cmocka_unit_test(test_fake_bad_items),
		cmocka_unit_test(test_fake_unprocessed),
		cmocka_unit_test(test_fake_throttled_query),
		cmocka_unit_test(test_fake_state),
	};
	int rc;

	if (strcmp(which, "fake") == 0) {
		fake = fake_http_start();
		if (!fake || !(client = make_client(fake_http_url(fake))))
			return 1;
		rc = cmocka_run_group_tests_name("dynamodb store (fake)", faked, NULL, NULL);
		cman_aws_client_free(client);
		fake_http_stop(fake);
		return rc;
	}
	rc = strcmp(which, "dynalite") == 0 ? test_server_start_dynalite(&server, 120)
					    : test_server_start_moto(&server, 120);
	if (rc == -1)
		return TEST_SKIP_CODE;
	if (rc)
		return 1;
	client = make_client(server.url);
	if (!client) {
		test_server_stop(&server);
		return 1;
	}
	rc = strcmp(which, "dynalite") == 0
		     ? cmocka_run_group_tests_name("dynamodb store (dynalite)", real, NULL, NULL)
		     : cmocka_run_group_tests_name("dynamodb store (moto_server)", real, NULL, NULL);
	cman_aws_client_free(client);
	test_server_stop(&server);
	return rc;
}
