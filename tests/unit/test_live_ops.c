/*
 * test_live_ops.c - pausing and resuming a pool (disable/enable, ops.h).
 *
 * Without an argument: the time forms of --until and the actions on an
 * SQLite store.  "test_live_ops moto" / "... dynalite": the same actions on
 * a DynamoDB state table of a real server started here on 127.0.0.1
 * (skipped, exit 77, when the server is not installed), checking the item
 * as Clusterman reads it (keys state/entity, attributes timestamp and
 * expiration_timestamp as numbers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cman/live/dynamodb.h"
#include "cman/live/ops.h"
#include "cman/time.h"
#include "servers.h"

#define NOW INT64_C(1714586400)   /* 2024-05-01T18:00:00Z (by hand: 19844 days + 18 h) */
#define ENTITY "norcal.default.mesos"

static struct test_server server;
static struct cman_aws_client *client;
static const char *backend = "sqlite";
static char sqlite_path[256];

static int64_t until_of(const char *s)
{
	struct cman_error err = {0};
	int64_t t = -1;
	int rc = cman_ops_parse_until(s, NOW, &t, &err);

	if (rc)
		fprintf(stderr, "%s: %s\n", s, err.msg);
	assert_int_equal(rc, 0);
	return t;
}

static void bad_until(const char *s)
{
	struct cman_error err = {0};
	int64_t t = 42;

	assert_int_equal(cman_ops_parse_until(s, NOW, &t, &err), CMAN_EINVAL);
	assert_int_equal(t, 42);
	assert_non_null(strstr(err.msg, "--until"));
	assert_non_null(strstr(err.msg, "expected"));
}

static void test_until_forms(void **state)
{
	(void)state;
	assert_int_equal(until_of("30m"), NOW + 30 * 60);
	assert_int_equal(until_of("+5m"), NOW + 300);
	assert_int_equal(until_of("1h30m"), NOW + 5400);
	assert_int_equal(until_of("2d"), NOW + 2 * 86400);
	assert_int_equal(until_of("1w"), NOW + 604800);
	assert_int_equal(until_of("45s"), NOW + 45);
	assert_int_equal(until_of("now"), NOW);
	assert_int_equal(until_of("1714590000"), 1714590000);
	/* absolute times: a zone-less time is UTC (Clusterman: US/Pacific), a
	 * Z or a negative offset is honoured (Clusterman replaced them) */
	assert_int_equal(until_of("2024-05-01T20:00:00Z"), NOW + 7200);
	assert_int_equal(until_of("2024-05-01T20:00:00"), NOW + 7200);
	assert_int_equal(until_of("2024-05-01 20:00"), NOW + 7200);
	assert_int_equal(until_of("2024-05-01T13:00:00-07:00"), NOW + 7200);
	assert_int_equal(until_of("2024-05-02T05:30:00+09:30"), NOW + 7200);
	assert_int_equal(until_of("2024-05-02"), NOW + 6 * 3600);
	bad_until("");
	bad_until("soon");
	bad_until("tomorrow");
	assert_int_equal(until_of("30"), 30);   /* a bare number is epoch seconds */
	bad_until("30x");
	bad_until("m30");
	bad_until("+");
	bad_until("5m-");
	bad_until("99999999999999999999w");
	bad_until("999999999w");   /* beyond 9999-12-31 */
	bad_until("2024-13-01T00:00:00Z");
}

static struct cman_store *open_store(void)
{
	struct cman_store *st = NULL;
	struct cman_error err = {0};
	int rc;

	if (!strcmp(backend, "sqlite")) {
		snprintf(sqlite_path, sizeof(sqlite_path), "test_live_ops.%ld.sqlite",
			 (long)getpid());
		unlink(sqlite_path);
		rc = cman_store_sqlite_open(sqlite_path, true, &st, &err);
	} else {
		struct cman_dynamodb_options opt;
		static int seq;

		cman_dynamodb_options_init(&opt);
		snprintf(opt.table_prefix, sizeof(opt.table_prefix), "ops%d_clusterman_", ++seq);
		opt.create_tables = true;
		rc = cman_store_dynamodb_open(client, &opt, &st, &err);
	}
	if (rc)
		fprintf(stderr, "open: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return st;
}

static void close_store(struct cman_store *st)
{
	cman_store_free(st);
	if (sqlite_path[0])
		unlink(sqlite_path);
	sqlite_path[0] = '\0';
}

/* The raw DynamoDB item, as Clusterman's GetItem sees it. */
static json_t *raw_item(struct cman_store *st, const char *kind)
{
	json_t *req, *ans = NULL, *item;
	struct cman_error err = {0};
	char table[200];
	const char *name = strstr(st->name, "dynamodb://");

	assert_non_null(name);
	snprintf(table, sizeof(table), "%.*scluster_state", (int)strcspn(name + 11, " "),
		 name + 11);
	req = json_pack("{s:s, s:{s:{s:s}, s:{s:s}}, s:b}", "TableName", table, "Key", "state",
			"S", kind, "entity", "S", ENTITY, "ConsistentRead", 1);
	assert_int_equal(cman_aws_json(client, "dynamodb", "DynamoDB_20120810.GetItem", req, 0,
				       &ans, NULL, &err), 0);
	json_decref(req);
	item = json_incref(json_object_get(ans, "Item"));
	json_decref(ans);
	return item;
}

static void test_disable_enable(void **state)
{
	struct cman_store *st = open_store();
	struct cman_error err = {0};
	struct cman_state_item it;
	struct cman_ops_pause o;
	bool paused;
	int64_t until;

	(void)state;
	/* disable for 30 minutes: Clusterman's item */
	assert_int_equal(cman_ops_disable(st, ENTITY, NOW, NOW + 1800, &o, &err), 0);
	assert_false(o.was_paused);
	assert_true(o.paused);
	assert_int_equal(o.until, NOW + 1800);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_PAUSED, ENTITY, &it, &err), 1);
	assert_int_equal(it.timestamp, NOW);
	assert_true(it.expires);
	assert_int_equal(it.expiration, NOW + 1800);
	if (client) {
		json_t *item = raw_item(st, "autoscaler_paused");
		char ts[32], ex[32];

		assert_non_null(item);
		snprintf(ts, sizeof(ts), "%lld", (long long)NOW);
		snprintf(ex, sizeof(ex), "%lld", (long long)(NOW + 1800));
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(item, "timestamp"), "N")), ts);
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(item, "expiration_timestamp"), "N")), ex);
		assert_string_equal(json_string_value(json_object_get(
			json_object_get(item, "entity"), "S")), ENTITY);
		json_decref(item);
	}
	/* paused at the expiry second, not after */
	assert_int_equal(cman_store_paused(st, ENTITY, NOW + 1800, &paused, &until, &err), 0);
	assert_true(paused);
	assert_int_equal(cman_store_paused(st, ENTITY, NOW + 1801, &paused, &until, &err), 0);
	assert_false(paused);

	/* disabling again replaces the pause (shorter is allowed) */
	assert_int_equal(cman_ops_disable(st, ENTITY, NOW + 60, NOW + 600, &o, &err), 0);
	assert_true(o.was_paused);
	assert_int_equal(o.was_until, NOW + 1800);
	assert_int_equal(o.until, NOW + 600);
	/* until == now: paused for this second only, allowed */
	assert_int_equal(cman_ops_disable(st, ENTITY, NOW + 600, NOW + 600, &o, &err), 0);
	assert_true(o.paused);

	/* --until in the past: refused, nothing written */
	memset(&err, 0, sizeof(err));
	assert_int_equal(cman_ops_disable(st, ENTITY, NOW + 700, NOW + 699, &o, &err),
			 CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "in the past"));
	assert_non_null(strstr(err.msg, "enable"));
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_PAUSED, ENTITY, &it, &err), 1);
	assert_int_equal(it.expiration, NOW + 600);
	assert_int_equal(it.timestamp, NOW + 600);

	/* enable: the item goes; the capacity offset stays */
	it = (struct cman_state_item){.timestamp = NOW, .expires = true, .expiration = NOW + 3600,
				      .offset = 5};
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_CAPACITY_OFFSET, ENTITY, &it, &err),
			 0);
	assert_int_equal(cman_ops_enable(st, ENTITY, NOW + 300, &o, &err), 0);
	assert_true(o.was_paused);
	assert_int_equal(o.was_until, NOW + 600);
	assert_false(o.paused);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_PAUSED, ENTITY, &it, &err), 0);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_CAPACITY_OFFSET, ENTITY, &it, &err),
			 1);
	assert_true(it.offset == 5);
	if (client) {
		json_t *item = raw_item(st, "autoscaler_paused");

		assert_null(item);
	}
	/* enable when not paused: fine, and says so */
	assert_int_equal(cman_ops_enable(st, ENTITY, NOW + 300, &o, &err), 0);
	assert_false(o.was_paused);
	assert_false(o.paused);

	/* a pause for ever (Clusterman's migration workers write one without
	 * an expiry): enable removes it too */
	it = (struct cman_state_item){.timestamp = NOW, .expires = false};
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_PAUSED, ENTITY, &it, &err), 0);
	assert_int_equal(cman_ops_enable(st, ENTITY, NOW, &o, &err), 0);
	assert_true(o.was_paused);
	assert_int_equal(o.was_until, INT64_MAX);
	assert_false(o.paused);

	/* other pools are not touched */
	assert_int_equal(cman_ops_disable(st, "norcal.other.mesos", NOW, NOW + 60, &o, &err), 0);
	assert_int_equal(cman_store_paused(st, ENTITY, NOW, &paused, NULL, &err), 0);
	assert_false(paused);
	close_store(st);
}

/* The in-memory store keeps no state: the commands say so. */
static void test_no_state(void **state)
{
	struct cman_store *st = NULL;
	struct cman_error err = {0};

	(void)state;
	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	assert_int_equal(cman_ops_disable(st, ENTITY, NOW, NOW + 1, NULL, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "keeps no pool state"));
	assert_int_equal(cman_ops_enable(st, ENTITY, NOW, NULL, &err), CMAN_EINVAL);
	cman_store_free(st);
}

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
	cfg.seed = 11;
	cfg.timeout_ms = 30000;
	cfg.connect_timeout_ms = 10000;
	if (cman_aws_client_new(&cfg, &c, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	return c;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest local[] = {
		cmocka_unit_test(test_until_forms),
		cmocka_unit_test(test_disable_enable),
		cmocka_unit_test(test_no_state),
	};
	const struct CMUnitTest remote[] = {
		cmocka_unit_test(test_disable_enable),
	};
	int rc;

	if (argc < 2)
		return cmocka_run_group_tests_name("disable/enable (SQLite)", local, NULL, NULL);
	backend = argv[1];
	rc = !strcmp(backend, "dynalite") ? test_server_start_dynalite(&server, 120)
					  : test_server_start_moto(&server, 120);
	if (rc == -1)
		return TEST_SKIP_CODE;
	if (rc)
		return 1;
	if (!(client = make_client(server.url))) {
		test_server_stop(&server);
		return 1;
	}
	rc = !strcmp(backend, "dynalite")
		     ? cmocka_run_group_tests_name("disable/enable (dynalite)", remote, NULL, NULL)
		     : cmocka_run_group_tests_name("disable/enable (moto_server)", remote, NULL,
						   NULL);
	cman_aws_client_free(client);
	test_server_stop(&server);
	return rc;
}
