/*
 * test_live_collect.c - the collect command's cycle (collect.h) against the
 * fake Mesos master and a scripted EC2 endpoint (two in-process fakes), into
 * the in-memory store, SQLite and DynamoDB on moto_server: the metrics of
 * each pool (expected values worked by hand from the agents below), a pool
 * whose master fails skipped alone, the spot price windows (aligned to the
 * slots, the price in force written once, a failed read re-covered).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman/live/collect.h"
#include "cman/live/dynamodb.h"
#include "fake_http.h"
#include "mesos_master.h"
#include "servers.h"
#include "cman_test.h"

static struct fake_http *mesos_http, *ec2_http;
static struct fake_mesos *master;
static struct cman_aws_client *ec2;
static char dir[256];
static int n_sleeps;

static void count_sleep(void *ctx, long ms)
{
	(void)ctx;
	(void)ms;
	n_sleeps++;
}

/*
 * Pool "default": a1 (16 cpus, 30000 mem, 400000 disk, 0 gpus; used 4.5,
 * 2048, 1000, 0) and a3 without a pool attribute (4, 7000, 100000; nothing
 * used).  Pool "batch": a4 (32, 60000, 800000, 2 gpus; used 10, 4096, 0, 1).
 * a5 belongs to pool "other", which has no pool file.
 */
static const char slaves[] =
	"{\"slaves\": ["
	"{\"id\": \"a1\", \"pid\": \"slave(1)@10.0.0.1:5051\", \"active\": true,"
	" \"attributes\": {\"pool\": \"default\"},"
	" \"resources\": {\"cpus\": 16, \"mem\": 30000, \"disk\": 400000, \"gpus\": 0},"
	" \"used_resources\": {\"cpus\": 4.5, \"mem\": 2048, \"disk\": 1000, \"gpus\": 0}},"
	"{\"id\": \"a3\", \"pid\": \"slave(1)@10.0.0.3:5051\", \"active\": true,"
	" \"attributes\": {}, \"resources\": {\"cpus\": 4, \"mem\": 7000, \"disk\": 100000}},"
	"{\"id\": \"a4\", \"pid\": \"slave(1)@10.0.0.4:5051\", \"active\": true,"
	" \"attributes\": {\"pool\": \"batch\"},"
	" \"resources\": {\"cpus\": 32, \"mem\": 60000, \"disk\": 800000, \"gpus\": 2},"
	" \"used_resources\": {\"cpus\": 10, \"mem\": 4096, \"disk\": 0, \"gpus\": 1}},"
	"{\"id\": \"a5\", \"pid\": \"slave(1)@10.0.0.5:5051\", \"active\": true,"
	" \"attributes\": {\"pool\": \"other\"},"
	" \"resources\": {\"cpus\": 8, \"mem\": 1, \"disk\": 1},"
	" \"used_resources\": {\"cpus\": 8, \"mem\": 1, \"disk\": 1}}]}";

static const char pool_file[] =
	"resource_groups: [{sfr: {tag: clusterman_pool}}]\n"
	"scaling_limits: {min_capacity: 0, max_capacity: 100, max_weight_to_add: 10,\n"
	"                 max_weight_to_remove: 10, max_tasks_to_kill: 10}\n";

/* A configuration: cluster "test" at the fake master, pools default and
 * batch (Mesos), web (Kubernetes: skipped) and broken (a bad file). */
static void make_config(struct cman_live_config *cfg)
{
	char path[512], text[1024];
	struct cman_error err;

	snprintf(path, sizeof(path), "%s/clusters/test", dir);
	mkdir(path, 0755);
	snprintf(text, sizeof(text),
		 "clusters:\n  test: {aws_region: us-west-2, mesos_master_fqdn: '%s'}\n"
		 "batches:\n  spot_prices: {run_interval_seconds: 60, dedupe_interval_seconds: 60}\n"
		 "metrics: {sqlite: metrics.sqlite}\n", fake_http_url(mesos_http));
	snprintf(path, sizeof(path), "%s/clusterman.yaml", dir);
	cman_test_write_file(path, text);
	snprintf(path, sizeof(path), "%s/clusters/test/default.mesos", dir);
	cman_test_write_file(path, pool_file);
	snprintf(path, sizeof(path), "%s/clusters/test/batch.mesos", dir);
	cman_test_write_file(path, pool_file);
	snprintf(path, sizeof(path), "%s/clusters/test/web.kubernetes", dir);
	cman_test_write_file(path, pool_file);
	snprintf(path, sizeof(path), "%s/clusters/test/broken.mesos", dir);
	cman_test_write_file(path, "resource_groups: 3\n");
	snprintf(path, sizeof(path), "%s/clusterman.yaml", dir);
	if (cman_live_config_load(path, cfg, &err))
		fail_msg("%s", err.msg);
}

static FILE *logf_;

static struct cman_collector *make(struct cman_live_config *cfg, struct cman_store *st,
				   bool prices)
{
	struct cman_collect_options opt = {0};
	struct cman_collector *c = NULL;
	struct cman_error err;

	opt.cfg = cfg;
	opt.cluster = "test";
	opt.store = st;
	opt.ec2 = prices ? ec2 : NULL;
	opt.log = logf_;
	if (cman_collector_new(&opt, &c, &err))
		fail_msg("%s", err.msg);
	return c;
}

/* The value at exactly t of a pool's metric, or -1. */
static double at(struct cman_store *st, enum cman_metric_kind kind, const char *name,
		 const char *pool, int64_t t)
{
	char key[CMAN_KEY_MAX];
	struct cman_error err;
	int64_t lt;
	double v;

	cman_metric_key_pool(key, sizeof(key), name, "test", pool, "mesos");
	if (cman_store_latest(st, kind, key, t, &lt, &v, &err) != 1 || lt != t)
		return -1;
	return v;
}

static void reset_master(void)
{
	char loc[64];

	fake_http_reset(mesos_http);
	fake_mesos_free(master);
	master = fake_mesos_new(FAKE_MESOS_FIXTURES);
	assert_non_null(master);
	snprintf(loc, sizeof(loc), "//127.0.0.1:%d", fake_http_port(mesos_http));
	fake_mesos_set_leader(master, loc, 1);
	fake_mesos_set_body(master, "slaves", slaves);
	fake_mesos_attach(master, mesos_http);
}

static void test_pool_metrics(void **state)
{
	struct cman_live_config cfg;
	struct cman_store *st;
	struct cman_collector *c;
	struct cman_collect_stats s;
	struct cman_error err;
	const int64_t t = 1767571230;

	(void)state;
	reset_master();
	make_config(&cfg);
	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	c = make(&cfg, st, false);
	assert_int_equal(cman_collector_pool_count(c), 2);
	assert_string_equal(cman_collector_pool_name(c, 0), "batch.mesos");
	assert_string_equal(cman_collector_pool_name(c, 1), "default.mesos");
	assert_int_equal(cman_collector_cycle(c, t, &s, &err), 0);
	assert_int_equal(s.t, t);
	assert_int_equal(s.pools, 2);
	assert_int_equal(s.pools_failed, 0);
	assert_int_equal(s.pools_skipped, 2);      /* web.kubernetes, broken.mesos */
	/* 8 each from Mesos, fulfilled_capacity (empty) and
	 * non_orphan_fulfilled_capacity; no target_capacity (no group) */
	assert_int_equal(s.metric_samples, 20);
	assert_false(s.prices_read);
	/* default: a1 + a3 */
	assert_true(at(st, CMAN_SYSTEM_METRICS, "cpus_allocated", "default", t) == 4.5);
	assert_true(at(st, CMAN_SYSTEM_METRICS, "mem_allocated", "default", t) == 2048);
	assert_true(at(st, CMAN_SYSTEM_METRICS, "disk_allocated", "default", t) == 1000);
	assert_true(at(st, CMAN_SYSTEM_METRICS, "gpus_allocated", "default", t) == 0);
	assert_true(at(st, CMAN_METADATA, "cpus_total", "default", t) == 20);
	assert_true(at(st, CMAN_METADATA, "mem_total", "default", t) == 37000);
	assert_true(at(st, CMAN_METADATA, "disk_total", "default", t) == 500000);
	assert_true(at(st, CMAN_METADATA, "gpus_total", "default", t) == 0);
	/* batch: a4 */
	assert_true(at(st, CMAN_SYSTEM_METRICS, "cpus_allocated", "batch", t) == 10);
	assert_true(at(st, CMAN_SYSTEM_METRICS, "gpus_allocated", "batch", t) == 1);
	assert_true(at(st, CMAN_METADATA, "cpus_total", "batch", t) == 32);
	assert_true(at(st, CMAN_METADATA, "gpus_total", "batch", t) == 2);
	/* no group: an empty market map, nothing joined, no target */
	assert_true(at(st, CMAN_METADATA, "fulfilled_capacity", "batch", t) == 0);
	assert_true(at(st, CMAN_METADATA, "non_orphan_fulfilled_capacity", "batch", t) == 0);
	assert_true(at(st, CMAN_METADATA, "target_capacity", "batch", t) == -1);
	/* the allocations are system metrics, the totals metadata, not both */
	assert_true(at(st, CMAN_METADATA, "cpus_allocated", "batch", t) == -1);
	assert_true(at(st, CMAN_SYSTEM_METRICS, "cpus_total", "batch", t) == -1);

	/* a pool with no agents any more: zeros, at the next cycle's time */
	fake_mesos_set_body(master, "slaves", "{\"slaves\": []}");
	assert_int_equal(cman_collector_cycle(c, t + 60, &s, &err), 0);
	assert_int_equal(s.metric_samples, 20);
	assert_true(at(st, CMAN_SYSTEM_METRICS, "cpus_allocated", "batch", t + 60) == 0);
	assert_true(at(st, CMAN_METADATA, "mem_total", "default", t + 60) == 0);
	cman_collector_free(c);
	cman_store_free(st);
	cman_live_config_release(&cfg);
}

/* The master fails the first pool's first call: that pool is skipped, the
 * other one written, and the cycle says so. */
static void test_pool_failure_isolated(void **state)
{
	struct cman_live_config cfg;
	struct cman_store *st;
	struct cman_collector *c;
	struct cman_collect_stats s;
	struct cman_error err;
	const int64_t t = 1767571200;

	(void)state;
	reset_master();
	make_config(&cfg);
	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	c = make(&cfg, st, false);
	for (int i = 0; i < 3; i++)   /* every attempt of the connector's first call */
		fake_http_push(mesos_http, &(struct fake_reply){.status = 500, .body = "down"});
	assert_int_equal(cman_collector_cycle(c, t, &s, &err), CMAN_EPARTIAL);
	assert_non_null(strstr(err.msg, "1 of 2 pools not collected"));
	assert_int_equal(s.pools, 1);
	assert_int_equal(s.pools_failed, 1);
	assert_int_equal(s.metric_samples, 10);
	assert_true(at(st, CMAN_SYSTEM_METRICS, "cpus_allocated", "batch", t) == -1);
	assert_true(at(st, CMAN_SYSTEM_METRICS, "cpus_allocated", "default", t) == 4.5);
	/* the next cycle collects both again */
	assert_int_equal(cman_collector_cycle(c, t + 60, &s, &err), 0);
	assert_true(at(st, CMAN_SYSTEM_METRICS, "cpus_allocated", "batch", t + 60) == 10);
	cman_collector_free(c);
	cman_store_free(st);
	cman_live_config_release(&cfg);
}

static char page_buf[8192];
static int price_failures;        /* answer the next N price reads with 500 */
static int price_reads;

/*
 * The EC2 fake's answers: DescribeSpotFleetRequests (the pools' discovery:
 * no fleet), DescribeSpotPriceHistory (page_buf, or a 500 while
 * price_failures lasts).
 */
static int ec2_route(void *ctx, const struct fake_request *req, struct fake_reply *r)
{
	(void)ctx;
	if (req->body && strstr(req->body, "Action=DescribeSpotFleetRequests")) {
		r->status = 200;
		r->body = "<DescribeSpotFleetRequestsResponse xmlns=\"http://ec2.amazonaws.com/doc/"
			  "2016-11-15/\"><requestId>r</requestId><spotFleetRequestConfigSet/>"
			  "</DescribeSpotFleetRequestsResponse>";
		return 0;
	}
	if (req->body && strstr(req->body, "Action=DescribeSpotPriceHistory")) {
		price_reads++;
		if (price_failures > 0) {
			price_failures--;
			r->status = 500;
			r->body = "<x/>";
			return 0;
		}
		r->status = 200;
		r->body_heap = strdup(page_buf);
		return 0;
	}
	return -1;
}

/* The last DescribeSpotPriceHistory request. */
static struct fake_request last_price_request(void)
{
	for (size_t i = fake_http_count(ec2_http); i > 0; i--) {
		struct fake_request r = fake_http_request(ec2_http, i - 1);

		if (r.body && strstr(r.body, "Action=DescribeSpotPriceHistory"))
			return r;
	}
	fail_msg("no DescribeSpotPriceHistory request");
	return fake_http_request(ec2_http, 0);
}

static const char *page(const char *items)
{
	snprintf(page_buf, sizeof(page_buf),
		 "<DescribeSpotPriceHistoryResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
		 "<requestId>r</requestId><spotPriceHistorySet>%s</spotPriceHistorySet>"
		 "<nextToken></nextToken></DescribeSpotPriceHistoryResponse>", items);
	return page_buf;
}

static char items_buf[4096];

static const char *items(int n, ...)
{
	va_list ap;
	size_t len = 0;

	items_buf[0] = 0;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		const char *type = va_arg(ap, const char *), *az = va_arg(ap, const char *);
		const char *when = va_arg(ap, const char *), *price = va_arg(ap, const char *);

		len += (size_t)snprintf(items_buf + len, sizeof(items_buf) - len,
					"<item><instanceType>%s</instanceType><productDescription>"
					"Linux/UNIX (Amazon VPC)</productDescription><spotPrice>%s"
					"</spotPrice><timestamp>%s</timestamp><availabilityZone>%s"
					"</availabilityZone></item>", type, price, when, az);
	}
	va_end(ap);
	return items_buf;
}

struct got {
	int64_t t[16];
	double v[16];
	int n;
};

static int on_sample(void *ctx, const struct cman_sample *s)
{
	struct got *g = ctx;

	if (g->n < 16) {
		g->t[g->n] = s->t;
		g->v[g->n] = s->value;
	}
	g->n++;
	return 0;
}

#define KEY_A "spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=c5.xlarge"
#define KEY_B "spot_prices|aws_availability_zone=us-west-2b,aws_instance_type=m5.large"

/*
 * T = 1767571200 = 2026-01-05T00:00:00Z.  Cycle 1 at T+30: window [T, T]
 * (T+30 rounded down to the minute); AWS sends the prices in force, A 0.06
 * since T-100 (and an older one), B 0.03 since T-10: written at T.
 * Cycle 2 at T+95: window (T, T+60]; AWS sends A's 0.06 again (in force at
 * T: dropped), 0.07 at T+10 and 0.08 at T+50 (slot T+60: 0.08 wins), and a
 * price at T+61 (after the window: dropped).  Cycle 3 at T+160: the read
 * fails (500 twice); the window stays.  Cycle 4 at T+190: window (T+60,
 * T+180] in one read.
 */
static void test_price_windows(void **state)
{
	struct cman_live_config cfg;
	struct cman_store *st;
	struct cman_collector *c;
	struct cman_collect_stats s;
	struct cman_error err;
	struct fake_request r;
	struct got a = {0}, b = {0};
	const int64_t T = 1767571200;

	(void)state;
	reset_master();
	make_config(&cfg);
	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	c = make(&cfg, st, true);
	fake_http_reset(ec2_http);
	page(items(3,
			"c5.xlarge", "us-west-2a", "2026-01-04T23:58:20Z", "0.06",
			"c5.xlarge", "us-west-2a", "2026-01-04T22:00:00Z", "0.05",
			"m5.large", "us-west-2b", "2026-01-04T23:59:50Z", "0.03"));
	assert_int_equal(cman_collector_cycle(c, T + 30, &s, &err), 0);
	assert_true(s.prices_read);
	assert_int_equal(s.prices_from, T);
	assert_int_equal(s.prices_to, T);
	assert_int_equal(s.price_samples, 2);
	r = last_price_request();
	assert_non_null(strstr(r.body, "StartTime=2026-01-05T00%3A00%3A00Z"));
	assert_non_null(strstr(r.body, "EndTime=2026-01-05T00%3A00%3A00Z"));

	page(items(4,
			"c5.xlarge", "us-west-2a", "2026-01-05T00:01:01Z", "0.09",
			"c5.xlarge", "us-west-2a", "2026-01-05T00:00:50Z", "0.08",
			"c5.xlarge", "us-west-2a", "2026-01-05T00:00:10Z", "0.07",
			"c5.xlarge", "us-west-2a", "2026-01-04T23:58:20Z", "0.06"));
	assert_int_equal(cman_collector_cycle(c, T + 95, &s, &err), 0);
	assert_int_equal(s.prices_from, T);
	assert_int_equal(s.prices_to, T + 60);
	assert_int_equal(s.price_samples, 1);

	/* not due: less than run_interval_seconds since the last read */
	assert_int_equal(cman_collector_cycle(c, T + 119, &s, &err), 0);
	assert_false(s.prices_read);

	n_sleeps = 0;
	price_failures = 2;
	assert_int_equal(cman_collector_cycle(c, T + 160, &s, &err), CMAN_EPARTIAL);
	assert_non_null(strstr(err.msg, "spot prices not read"));
	assert_int_equal(s.prices_error, CMAN_ETRANSIENT);
	assert_int_equal(s.pools, 2);              /* the pools were still written */
	assert_int_equal(n_sleeps, 1);

	page(items(1, "c5.xlarge", "us-west-2a", "2026-01-05T00:01:01Z", "0.09"));
	assert_int_equal(cman_collector_cycle(c, T + 190, &s, &err), 0);
	assert_int_equal(s.prices_from, T + 60);
	assert_int_equal(s.prices_to, T + 180);
	assert_int_equal(s.price_samples, 1);
	r = last_price_request();
	assert_non_null(strstr(r.body, "StartTime=2026-01-05T00%3A01%3A00Z"));
	assert_non_null(strstr(r.body, "EndTime=2026-01-05T00%3A03%3A00Z"));

	assert_int_equal(cman_store_values(st, CMAN_METADATA, KEY_A, 0, T + 1000, on_sample, &a,
					   &err), 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.t[0], T);
	assert_true(a.v[0] == 0.06);
	assert_int_equal(a.t[1], T + 60);
	assert_true(a.v[1] == 0.08);
	assert_int_equal(a.t[2], T + 120);
	assert_true(a.v[2] == 0.09);
	assert_int_equal(cman_store_values(st, CMAN_METADATA, KEY_B, 0, T + 1000, on_sample, &b,
					   &err), 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.t[0], T);
	assert_true(b.v[0] == 0.03);
	cman_collector_free(c);

	/* a restart: the prices in force are already stored (A's 0.09 since
	 * T+120, B's 0.03 since T): nothing written; B's new price is */
	c = make(&cfg, st, true);
	page(items(2, "c5.xlarge", "us-west-2a", "2026-01-05T00:01:01Z", "0.09",
		   "m5.large", "us-west-2b", "2026-01-05T00:02:00Z", "0.035"));
	assert_int_equal(cman_collector_cycle(c, T + 200, &s, &err), 0);
	assert_int_equal(s.prices_from, T + 180);
	assert_int_equal(s.price_samples, 1);
	b.n = 0;
	assert_int_equal(cman_store_values(st, CMAN_METADATA, KEY_B, 0, T + 1000, on_sample, &b,
					   &err), 0);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.t[1], T + 180);
	assert_true(b.v[1] == 0.035);
	cman_collector_free(c);
	cman_store_free(st);
	cman_live_config_release(&cfg);
}

static void test_bad_cluster(void **state)
{
	struct cman_live_config cfg;
	struct cman_collect_options opt = {0};
	struct cman_collector *c = NULL;
	struct cman_error err;

	(void)state;
	make_config(&cfg);
	opt.cfg = &cfg;
	opt.cluster = "nosuch";
	opt.log = logf_;
	assert_int_equal(cman_collector_new(&opt, &c, &err), CMAN_EINVAL);
	assert_null(c);
	assert_non_null(strstr(err.msg, "no cluster 'nosuch'"));
	cman_live_config_release(&cfg);
}

/* SQLite: a cycle is one transaction, readable by another handle after. */
static void test_sqlite(void **state)
{
	struct cman_live_config cfg;
	struct cman_store *st, *rd;
	struct cman_collector *c;
	struct cman_collect_stats s;
	struct cman_error err;
	char path[512];

	(void)state;
	reset_master();
	make_config(&cfg);
	snprintf(path, sizeof(path), "%s/m.sqlite", dir);
	assert_int_equal(cman_store_sqlite_open(path, true, &st, &err), 0);
	c = make(&cfg, st, false);
	assert_int_equal(cman_collector_cycle(c, 1767571200, &s, &err), 0);
	cman_collector_free(c);
	cman_store_free(st);
	assert_int_equal(cman_store_sqlite_open(path, false, &rd, &err), 0);
	assert_true(at(rd, CMAN_METADATA, "disk_total", "default", 1767571200) == 500000);
	cman_store_free(rd);
	cman_live_config_release(&cfg);
}

/* DynamoDB on moto_server: the same metrics, read back through the store
 * (only as unit.test_live_collect.moto: the plain run and valgrind use the
 * fakes alone). */
static bool with_moto;

static void test_dynamodb_moto(void **state)
{
	struct test_server srv;
	struct cman_live_config cfg;
	struct cman_aws_config ac;
	struct cman_aws_client *ddb = NULL;
	struct cman_dynamodb_options opt;
	struct cman_store *st;
	struct cman_collector *c;
	struct cman_collect_stats s;
	struct cman_error err;
	int rc;

	(void)state;
	if (!with_moto)
		skip();
	rc = test_server_start_moto(&srv, 120);
	if (rc == -1)
		skip();
	assert_int_equal(rc, 0);
	reset_master();
	make_config(&cfg);
	cman_aws_config_init(&ac);
	snprintf(ac.region, sizeof(ac.region), "us-west-2");
	snprintf(ac.endpoint_url, sizeof(ac.endpoint_url), "%s", srv.url);
	/* DynamoDB at moto; EC2 (the pools' discovery) stays at the fake */
	setenv("AWS_ENDPOINT_URL_DYNAMODB", srv.url, 1);
	assert_int_equal(cman_aws_client_new(&ac, &ddb, &err), 0);
	cman_dynamodb_options_init(&opt);
	snprintf(opt.table_prefix, sizeof(opt.table_prefix), "collect_");
	opt.create_tables = true;
	if (cman_store_dynamodb_open(ddb, &opt, &st, &err))
		fail_msg("%s", err.msg);
	c = make(&cfg, st, false);
	assert_int_equal(cman_collector_cycle(c, 1767571200, &s, &err), 0);
	assert_int_equal(s.metric_samples, 20);
	assert_true(at(st, CMAN_SYSTEM_METRICS, "cpus_allocated", "default", 1767571200) == 4.5);
	assert_true(at(st, CMAN_METADATA, "gpus_total", "batch", 1767571200) == 2);
	cman_collector_free(c);
	cman_store_free(st);
	cman_aws_client_free(ddb);
	cman_live_config_release(&cfg);
	test_server_stop(&srv);
	unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
}

static int setup(void **state)
{
	struct cman_aws_config cfg;
	struct cman_error err;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/cman-collect-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
									      : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	{
		char p[300];

		snprintf(p, sizeof(p), "%s/clusters", dir);
		mkdir(p, 0755);
	}
	logf_ = tmpfile();
	mesos_http = fake_http_start();
	ec2_http = fake_http_start();
	if (!mesos_http || !ec2_http || !logf_)
		return -1;
	fake_http_route(ec2_http, ec2_route, NULL);
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "collect-secret", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_ENDPOINT_URL_EC2");
	unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
	setenv("AWS_ENDPOINT_URL", fake_http_url(ec2_http), 1);
	cman_aws_config_init(&cfg);
	snprintf(cfg.region, sizeof(cfg.region), "us-west-2");
	cfg.max_attempts = 2;
	cfg.seed = 5;
	cfg.sleep_ms = count_sleep;
	if (cman_aws_client_new(&cfg, &ec2, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	cman_aws_client_free(ec2);
	fake_mesos_free(master);
	fake_http_stop(mesos_http);
	fake_http_stop(ec2_http);
	if (logf_)
		fclose(logf_);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_metrics),
		cmocka_unit_test(test_pool_failure_isolated),
		cmocka_unit_test(test_price_windows),
		cmocka_unit_test(test_bad_cluster),
		cmocka_unit_test(test_sqlite),
		cmocka_unit_test(test_dynamodb_moto),
	};
	with_moto = argc > 1 && !strcmp(argv[1], "moto");
	return cmocka_run_group_tests(tests, setup, teardown);
}
