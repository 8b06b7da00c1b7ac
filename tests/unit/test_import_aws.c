/*
 * Tests for the real-data importers of cman/import.h (import_aws.c): AWS
 * describe-spot-price-history JSON, the AWS spot CSV layout, generic time
 * series, sniffing, copying a store, and their error messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"
#include <zlib.h>

#include "cman/catalog.h"
#include "cman/err.h"
#include "cman/import.h"
#include "cman/metrics.h"
#include "cman/store.h"

#define DATA CMAN_SOURCE_DIR "/tests/data/"

static char tmpdir[128];

static int group_setup(void **state)
{
	return cman_test_mkdtemp(tmpdir, sizeof(tmpdir), "cman_test_import_aws_") ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct cman_catalog *catalog(void)
{
	const struct cman_catalog *cat = NULL;

	assert_int_equal(cman_catalog_builtin(&cat, NULL), 0);
	return cat;
}

static void write_file(const char *name, const char *text, char *path, size_t n)
{
	FILE *fp;

	snprintf(path, n, "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

struct series {
	int64_t t[4096];
	double v[4096];
	size_t n;
};

static void read_series(struct cman_store *st, enum cman_metric_kind kind, const char *key,
			struct series *out)
{
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	int rc;

	out->n = 0;
	assert_int_equal(cman_store_open_cursor(st, kind, key, INT64_MIN, INT64_MAX, 0, &cur,
						NULL), 0);
	while ((rc = cman_cursor_next(cur, &s, NULL)) == 1) {
		assert_true(out->n < 4096);
		out->t[out->n] = s.t;
		out->v[out->n++] = s.value;
	}
	assert_int_equal(rc, 0);
	cman_cursor_close(cur);
}

static struct series ser;

static void test_aws_json(void **state)
{
	struct cman_store *st;
	struct cman_import_stats stats;
	struct cman_error err = { 0 };

	assert_int_equal(cman_store_memory_new(&st, NULL), 0);
	assert_int_equal(cman_import_aws_spot_json(DATA "aws_spot_sample.json", NULL, st,
						   catalog(), &stats, &err), 0);
	assert_int_equal(stats.series, 2);
	assert_int_equal(stats.samples, 5);   /* the Windows record is skipped */
	read_series(st, CMAN_METADATA,
		    "spot_prices|aws_availability_zone=us-east-1b,aws_instance_type=m4.10xlarge", &ser);
	assert_int_equal(ser.n, 2);
	assert_int_equal(ser.t[0], 1456828200);   /* 10:30, oldest first */
	assert_true(ser.v[0] == 0.5);
	assert_int_equal(ser.t[1], 1456865772);   /* 20:56:12, fraction dropped */
	assert_true(ser.v[1] == 25.2);
	read_series(st, CMAN_METADATA,
		    "spot_prices|aws_availability_zone=us-east-1a,aws_instance_type=d2.xlarge", &ser);
	assert_int_equal(ser.n, 3);
	assert_true(ser.v[0] == 0.0727);
	/* equal times: the first listed (newest) applies last */
	assert_int_equal(ser.t[1], ser.t[2]);
	assert_true(ser.v[1] == 0.075);
	assert_true(ser.v[2] == 0.08);
	cman_store_free(st);

	/* product "*" keeps the Windows record too */
	assert_int_equal(cman_store_memory_new(&st, NULL), 0);
	assert_int_equal(cman_import_aws_spot_json(DATA "aws_spot_sample.json", "*", st, NULL,
						   &stats, &err), 0);
	assert_int_equal(stats.samples, 6);
	cman_store_free(st);
}

static void test_aws_csv(void **state)
{
	struct cman_store *st;
	struct cman_import_stats stats;
	struct cman_error err = { 0 };

	assert_int_equal(cman_store_memory_new(&st, NULL), 0);
	assert_int_equal(cman_import_aws_spot_csv(DATA "aws_spot_sample.csv", NULL, st, catalog(),
						  &stats, &err), 0);
	assert_int_equal(stats.series, 2);
	assert_int_equal(stats.samples, 4);
	read_series(st, CMAN_METADATA,
		    "spot_prices|aws_availability_zone=us-east-1a,aws_instance_type=m4.10xlarge", &ser);
	assert_int_equal(ser.n, 2);
	assert_int_equal(ser.t[1], 1456790731);
	assert_true(ser.v[1] == 0.4521);
	cman_store_free(st);

	/* the gzip-compressed real subset: one row per sample */
	assert_int_equal(cman_store_memory_new(&st, NULL), 0);
	assert_int_equal(cman_import_aws_spot_csv(DATA "aws_spot_2016_m4-1a.csv.gz", NULL, st,
						  catalog(), &stats, &err), 0);
	assert_int_equal(stats.series, 1);
	assert_int_equal(stats.samples, 1356);
	cman_store_free(st);
}

static void test_timeseries(void **state)
{
	struct cman_store *st;
	struct cman_import_stats stats;
	struct cman_error err = { 0 };
	struct cman_timeseries_opts o;
	char path[256];

	cman_timeseries_opts_init(&o);
	o.time_column = "t_s";
	o.value_column = "busy_cores_est";
	o.scale = 0.01;
	o.offset = 1;
	o.relative = true;
	o.start_time = 1456790400;
	o.key = "cpus_allocated|pool=batch.mesos,cluster=example";
	assert_int_equal(cman_store_memory_new(&st, NULL), 0);
	assert_int_equal(cman_import_timeseries_csv(DATA "gen_azure_head.csv", &o, st, catalog(),
						    &stats, &err), 0);
	assert_int_equal(stats.series, 1);
	assert_int_equal(stats.samples, 12);
	read_series(st, CMAN_SYSTEM_METRICS, "cpus_allocated|cluster=example,pool=batch.mesos",
		    &ser);
	assert_int_equal(ser.n, 12);
	assert_int_equal(ser.t[0], 1456790400);
	assert_int_equal(ser.t[11], 1456790400 + 3300);
	assert_float_equal(ser.v[0], 61355.159 * 0.01 + 1, 1e-9);
	cman_store_free(st);

	/* default columns (first, second), absolute times, unsorted rows, empty values */
	write_file("ts.csv", "when,value\n2016-03-01T00:10:00Z,3\n1456790400,1\n"
		   "2016-03-01T00:05:00Z,\n", path, sizeof(path));
	cman_timeseries_opts_init(&o);
	o.key = "x|a=b";
	o.kind = CMAN_APP_METRICS;
	assert_int_equal(cman_store_memory_new(&st, NULL), 0);
	assert_int_equal(cman_import_timeseries_csv(path, &o, st, NULL, &stats, &err), 0);
	read_series(st, CMAN_APP_METRICS, "x|a=b", &ser);
	assert_int_equal(ser.n, 2);
	assert_int_equal(ser.t[0], 1456790400);
	assert_true(ser.v[1] == 3);
	cman_store_free(st);
}

struct bad {
	const char *name, *text;
	int fmt;                 /* 0 json, 1 aws csv, 2 timeseries */
	const char *want;        /* substring of the message */
};

static void test_errors(void **state)
{
	static const struct bad cases[] = {
		{ "a.json", "{\"SpotPriceHistory\": [}", 0, "a.json:1:" },
		{ "b.json", "{\"Other\": []}", 0, "expected a JSON object with an array" },
		{ "c.json", "{\"SpotPriceHistory\": [{\"AvailabilityZone\": \"us-east-1a\","
		  " \"InstanceType\": \"m4.large\", \"SpotPrice\": \"x\", \"Timestamp\":"
		  " \"2016-03-01T00:00:00Z\"}]}", 0, "SpotPriceHistory[0]: bad SpotPrice" },
		{ "d.json", "{\"SpotPriceHistory\": [{\"AvailabilityZone\": \"us-east-1a\","
		  " \"InstanceType\": \"m4.huge\", \"SpotPrice\": \"1\", \"Timestamp\":"
		  " \"2016-03-01T00:00:00Z\", \"ProductDescription\": \"Linux/UNIX\"}]}", 0,
		  "unknown instance type 'm4.huge'" },
		{ "e.json", "{\"SpotPriceHistory\": [{\"AvailabilityZone\": \"us-east-1a\"}]}", 0,
		  "SpotPriceHistory[0]: missing InstanceType" },
		{ "f.json", "{\"SpotPriceHistory\": [{\"AvailabilityZone\": \"us-east-1a\","
		  " \"InstanceType\": \"m4.large\", \"SpotPrice\": \"1\", \"Timestamp\":"
		  " \"yesterday\"}]}", 0, "bad Timestamp 'yesterday'" },
		{ "a.csv", "time,price\n1,2\n", 1, "a.csv:1:1: expected a header naming" },
		{ "b.csv", "epoch_s,availability_zone,instance_type,spot_price_usd_per_hour\n"
		  "1,us-east-1a,m4.large,0.1\n2,us-east-1a,m4.large,-1\n", 1,
		  "b.csv:3:23: bad price '-1'" },
		{ "c.csv", "epoch_s,availability_zone,instance_type,spot_price_usd_per_hour\n"
		  "5,us-east-1a,m4.large,0.1\n2,us-east-1a,m4.large,0.2\n", 1,
		  "c.csv:3:1: time goes backwards" },
		{ "d.csv", "epoch_s,availability_zone,instance_type,spot_price_usd_per_hour\n"
		  "5,mars-1a,m4.large,0.1\n", 1, "d.csv:2:3: unknown availability zone" },
		{ "e.csv", "epoch_s,availability_zone,instance_type,spot_price_usd_per_hour\n"
		  "5,us-east-1a,m4.large\n", 1, "e.csv:2:1: expected 4 fields" },
		{ "f.csv", "epoch_s,availability_zone,instance_type,spot_price_usd_per_hour\n"
		  "\"5,us-east-1a,m4.large,1\n", 1, "f.csv:2:1: unterminated quoted field" },
		{ "g.csv", "", 1, "g.csv:1:1: empty file" },
		{ "a.ts", "t,v\n0,1\n300,x\n", 2, "a.ts:3:5: expected a number, got 'x'" },
		{ "b.ts", "t,v\nsoon,1\n", 2, "b.ts:2:1: bad time 'soon'" },
		{ "c.ts", "when,v\n0,1\n", 2, "no time column 't_s'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_store *st;
		struct cman_error err = { 0 };
		struct cman_import_stats stats;
		struct cman_timeseries_opts o;
		char path[256];
		int rc;

		write_file(cases[i].name, cases[i].text, path, sizeof(path));
		assert_int_equal(cman_store_memory_new(&st, NULL), 0);
		cman_timeseries_opts_init(&o);
		o.key = "load";
		if (!strcmp(cases[i].name, "c.ts"))
			o.time_column = "t_s";
		rc = cases[i].fmt == 0 ? cman_import_aws_spot_json(path, NULL, st, catalog(),
								   &stats, &err)
			: cases[i].fmt == 1 ? cman_import_aws_spot_csv(path, NULL, st, catalog(),
								       &stats, &err)
			: cman_import_timeseries_csv(path, &o, st, catalog(), &stats, &err);
		if (rc != CMAN_EINVAL || !strstr(err.msg, cases[i].want))
			fail_msg("%s: rc %d, message '%s', expected '%s'", cases[i].name, rc,
				 err.msg, cases[i].want);
		cman_store_free(st);
	}
}

static void test_missing_and_options(void **state)
{
	struct cman_store *st;
	struct cman_error err = { 0 };
	struct cman_timeseries_opts o;

	assert_int_equal(cman_store_memory_new(&st, NULL), 0);
	assert_int_equal(cman_import_aws_spot_json("/nonexistent/x.json", NULL, st, NULL, NULL,
						   &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "/nonexistent/x.json: cannot open"));
	assert_int_equal(cman_import_aws_spot_csv("/nonexistent/x.csv", NULL, st, NULL, NULL,
						  &err), CMAN_EINVAL);
	cman_timeseries_opts_init(&o);
	assert_int_equal(cman_import_timeseries_csv(DATA "gen_azure_head.csv", &o, st, NULL,
						    NULL, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "needs a target metric key"));
	o.key = "spot_prices|aws_instance_type=m4.large";
	assert_int_equal(cman_import_timeseries_csv(DATA "gen_azure_head.csv", &o, st, catalog(),
						    NULL, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "spot_prices key needs"));
	o.key = "x|=y";
	assert_int_equal(cman_import_timeseries_csv(DATA "gen_azure_head.csv", &o, st, NULL,
						    NULL, &err), CMAN_EINVAL);
	assert_int_equal(cman_import_any(DATA "gen_azure_head.csv", CMAN_FMT_TIMESERIES, NULL,
					 NULL, st, NULL, NULL, &err), CMAN_EINVAL);
	cman_store_free(st);
}

static void test_sniff_and_any(void **state)
{
	struct {
		const char *path;
		enum cman_import_format want;
	} cases[] = {
		{ DATA "aws_spot_sample.json", CMAN_FMT_AWS_JSON },
		{ DATA "aws_spot_sample.csv", CMAN_FMT_AWS_CSV },
		{ DATA "aws_spot_2016_m4-1a.csv.gz", CMAN_FMT_AWS_CSV },
		{ DATA "import_itest-metrics.json.gz", CMAN_FMT_CLUSTERMAN_JSON },
		{ DATA "import_sample.csv", CMAN_FMT_CSV },
		{ DATA "gen_azure_head.csv", CMAN_FMT_CSV },
	};
	enum cman_import_format f;
	struct cman_store *mem, *db, *back;
	struct cman_import_stats a, b;
	struct cman_error err = { 0 };
	char path[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cman_import_sniff(cases[i].path, &f, &err), 0);
		if (f != cases[i].want)
			fail_msg("%s: sniffed %d, expected %d", cases[i].path, f, cases[i].want);
	}
	assert_int_equal(cman_import_sniff("/nonexistent", &f, &err), CMAN_EINVAL);
	assert_int_equal(cman_import_format_parse("aws-csv", &f), 0);
	assert_int_equal(f, CMAN_FMT_AWS_CSV);
	assert_int_equal(cman_import_format_parse("parquet", &f), CMAN_EINVAL);

	/* AWS CSV -> SQLite -> (sniffed as SQLite) copied back into memory */
	snprintf(path, sizeof(path), "%s/copy.sqlite", tmpdir);
	assert_int_equal(cman_store_sqlite_open(path, true, &db, &err), 0);
	assert_int_equal(cman_store_begin(db, &err), 0);
	assert_int_equal(cman_import_any(DATA "aws_spot_sample.csv", CMAN_FMT_AUTO, NULL, NULL, db,
					 catalog(), &a, &err), 0);
	assert_int_equal(cman_store_commit(db, &err), 0);
	cman_store_free(db);
	assert_int_equal(cman_import_sniff(path, &f, &err), 0);
	assert_int_equal(f, CMAN_FMT_SQLITE);
	assert_int_equal(cman_store_memory_new(&mem, NULL), 0);
	assert_int_equal(cman_import_any(path, CMAN_FMT_AUTO, NULL, NULL, mem, catalog(), &b,
					 &err), 0);
	assert_int_equal(a.samples, b.samples);
	assert_int_equal(a.series, b.series);
	cman_store_free(mem);
	assert_int_equal(cman_metrics_open(path, CMAN_FMT_AUTO, NULL, NULL, NULL, &back, &err), 0);
	read_series(back, CMAN_METADATA,
		    "spot_prices|aws_availability_zone=us-east-1a,aws_instance_type=d2.xlarge", &ser);
	assert_int_equal(ser.n, 2);
	cman_store_free(back);
	assert_int_equal(cman_metrics_open(DATA "aws_spot_sample.json", CMAN_FMT_AUTO, NULL, NULL,
					   catalog(), &back, &err), 0);
	assert_string_equal(back->name, DATA "aws_spot_sample.json");
	cman_store_free(back);
	assert_int_equal(cman_metrics_open("/nonexistent", CMAN_FMT_AUTO, NULL, NULL, NULL, &back,
					   &err), CMAN_EINVAL);
	assert_null(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_json),
		cmocka_unit_test(test_aws_csv),
		cmocka_unit_test(test_timeseries),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_and_options),
		cmocka_unit_test(test_sniff_and_any),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
