/* Loading a run directory for the reports (reports/src/rundir.c): the
 * hand-made run of tests/data/report_run, numbers, and broken files. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"

#include "cman/reports/report.h"
#include "rundir.h"

#define assert_near(a, b, eps) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (eps))) \
		fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
} while (0)

#define RUN CMAN_SOURCE_DIR "/tests/data/report_run"

static const char *const files[] = { "summary.json", "timeseries.csv", "markets.csv",
				     "instances.csv", "decisions.jsonl" };

/* A copy of the fixture run in a fresh temporary folder. */
static void copy_run(char *dir)
{
	size_t i;

	assert_non_null(cman_test_mkdtemp(dir, 64, "cman-rundir-"));   /* callers' dir[64] */
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char src[4096], dst[4096], buf[8192];
		FILE *in, *out;
		size_t n;

		snprintf(src, sizeof(src), "%s/%s", RUN, files[i]);
		snprintf(dst, sizeof(dst), "%s/%s", dir, files[i]);
		in = fopen(src, "rb");
		out = fopen(dst, "wb");
		assert_non_null(in);
		assert_non_null(out);
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			assert_int_equal(fwrite(buf, 1, n, out), n);
		fclose(in);
		fclose(out);
	}
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char p[4096];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void remove_run(const char *dir)
{
	size_t i;
	char p[4096];

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void test_parse_number(void **state)
{
	static const struct { const char *s; double want; int rc; } cases[] = {
		{ "0", 0, 0 },
		{ "1400", 1400, 0 },
		{ "-3.5", -3.5, 0 },
		{ "+2", 2, 0 },
		{ "3.198023667", 3.198023667, 0 },
		{ "0.02691428571", 0.02691428571, 0 },
		{ "1e-05", 1e-05, 0 },
		{ "4.2E+3", 4200, 0 },
		{ "1.234567890123456789e300", 1.234567890123456789e300, 0 },
		{ "12345678901234567890123", 12345678901234567890123.0, 0 },
		{ ".5", 0.5, 0 },
		{ "5.", 5, 0 },
		{ "157496.835453", 157496.835453, 0 },
		{ "abc", 0, -1 },
		{ "1.2.3", 0, -1 },
		{ "1e", 0, -1 },
		{ "12x", 0, -1 },
		{ "-", 0, -1 },
	};
	size_t i;
	double v;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *s = cases[i].s;
		int rc = cman_parse_number(s, s + strlen(s), &v);

		if (rc != cases[i].rc)
			fail_msg("'%s': rc %d, want %d", s, rc, cases[i].rc);
		/* exact: the same double strtod gives */
		if (!rc && v != strtod(s, NULL))
			fail_msg("'%s': %.17g, want %.17g", s, v, strtod(s, NULL));
		if (!rc)
			assert_near(v, cases[i].want, fabs(cases[i].want) * 1e-15);
	}
	assert_int_equal(cman_parse_number("", "", &v), 0);
	assert_true(isnan(v));
	/* random decimals with 10 significant digits parse exactly */
	srand(7);
	for (i = 0; i < 100000; i++) {
		char buf[64];
		double x = (double)rand() / RAND_MAX * pow(10, rand() % 12 - 4);

		snprintf(buf, sizeof(buf), "%.10g", x);
		assert_int_equal(cman_parse_number(buf, buf + strlen(buf), &v), 0);
		if (v != strtod(buf, NULL))
			fail_msg("'%s': %.17g, want %.17g", buf, v, strtod(buf, NULL));
	}
}

static void test_load_fixture(void **state)
{
	struct cman_rundir rd;
	struct cman_error err = { 0 };

	assert_int_equal(cman_rundir_load(&rd, RUN, &err), 0);
	assert_string_equal(rd.name, "report-fixture");
	assert_string_equal(rd.mode, "autoscaler");
	assert_string_equal(rd.billing, "per-hour");
	assert_int_equal(rd.start, 1512086400);
	assert_int_equal(rd.end, 1512086400 + 48 * 3600);
	assert_int_equal(rd.step, 3600);
	assert_int_equal(rd.seed, 7);
	assert_near(rd.total_cost, 72, 0);
	assert_near(rd.unused_cost, 12, 0);
	assert_int_equal(rd.interrupted, 1);
	assert_int_equal(rd.n_warnings, 1);
	assert_int_equal(rd.n, 48);
	assert_near(rd.col[CMAN_TS_CPUS][0], 8, 0);
	assert_near(rd.col[CMAN_TS_CPUS][12], 16, 0);
	assert_near(rd.col[CMAN_TS_OVERSUB][12], 2, 0);
	assert_true(isnan(rd.col[CMAN_TS_TARGET][0]));
	assert_near(rd.col[CMAN_TS_TARGET][24], 10, 0);
	/* markets.csv */
	assert_true(rd.has_markets);
	assert_int_equal(rd.n_markets, 2);
	assert_int_equal(rd.n_mt, 48);
	assert_int_equal(rd.mt_step, 3600);
	assert_string_equal(rd.markets[0].name, "<c5.xlarge, us-west-2a>");
	assert_string_equal(rd.markets[0].instance_type, "c5.xlarge");
	assert_string_equal(rd.markets[0].az, "us-west-2a");
	assert_near(rd.markets[0].cpus, 4, 0);
	assert_near(rd.markets[0].cost, 48, 0);   /* summary.json's cost_by_market */
	assert_int_equal(rd.markets[0].launched, 2);
	assert_int_equal(rd.markets[1].launched, 1);
	assert_near(rd.m_inst[12 * 2 + 0], 2, 0);
	assert_near(rd.m_price[0], 0.25, 0);
	assert_true(isnan(rd.m_price[1]));
	/* decisions.jsonl */
	assert_true(rd.has_decisions);
	assert_int_equal(rd.n_decisions, 4);
	assert_int_equal(rd.dec[1].time, 1512086400 + 12 * 3600);
	assert_near(rd.dec[1].new_target, 14, 0);
	assert_near(rd.dec[1].request[0], 5, 0);
	assert_true(isnan(rd.dec[1].request[1]));
	assert_string_equal(rd.dec[3].reason, "scale down");
	assert_int_equal(rd.dec[3].n_terminated, 1);
	assert_string_equal(rd.dec[3].group_targets, "sfr-1=9");
	assert_int_equal(rd.n_notes, 0);
	cman_rundir_release(&rd);
}

static void test_optional_files(void **state)
{
	struct cman_rundir rd;
	struct cman_error err = { 0 };
	char dir[64], p[128];

	copy_run(dir);
	snprintf(p, sizeof(p), "%s/markets.csv", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/decisions.jsonl", dir);
	unlink(p);
	assert_int_equal(cman_rundir_load(&rd, dir, &err), 0);
	assert_false(rd.has_markets);
	assert_false(rd.has_decisions);
	assert_int_equal(rd.n_notes, 1);
	assert_non_null(strstr(rd.notes[0], "markets.csv"));
	cman_rundir_release(&rd);
	remove_run(dir);
}

/* Each broken file: the load fails with CMAN_EINVAL and the message names
 * the file, the line and what is wrong. */
static void test_broken(void **state)
{
	static const struct { const char *file, *text, *msg; } cases[] = {
		{ "summary.json", "{\"name\": \"x\", ", "summary.json:1:" },
		{ "summary.json", "[1]", "expected a JSON object" },
		{ "summary.json", "{\"name\":\"x\",\"start_time\":0,\"end_time\":10,"
		  "\"step_seconds\":1}", "missing key 'total_cost'" },
		{ "summary.json", "{\"name\":\"x\",\"start_time\":10,\"end_time\":10,"
		  "\"step_seconds\":1,\"total_cost\":0}", "end_time after start_time" },
		{ "timeseries.csv", "", "timeseries.csv:1: empty file" },
		{ "timeseries.csv", "time,cpus\n", "no column 'cpus_allocated'" },
		{ "timeseries.csv", "time,cpus,cpus_allocated,unused_cpus,cost,unused_cpus_cost,"
		  "cost_per_cpu,oversubscribed,target_capacity,fulfilled_capacity\n"
		  "1512086400,8,4,4,1,0.5,0.125,0,,2\n", "timeseries.csv:3: 1 rows, expected 48" },
		{ "timeseries.csv", "time,cpus,cpus_allocated,unused_cpus,cost,unused_cpus_cost,"
		  "cost_per_cpu,oversubscribed,target_capacity,fulfilled_capacity\n"
		  "1512086400,8,4,4,1,0.5,0.125,0,,2\n1512090000,8,four,4,1,0.5,0.125,0,,2\n",
		  "timeseries.csv:3:14: cpus_allocated 'four': expected a number" },
		{ "timeseries.csv", "time,cpus,cpus_allocated,unused_cpus,cost,unused_cpus_cost,"
		  "cost_per_cpu,oversubscribed,target_capacity,fulfilled_capacity\n"
		  "1512086460,8,4,4,1,0.5,0.125,0,,2\n", "timeseries.csv:2:1: time '1512086460', "
		  "expected 1512086400" },
		{ "timeseries.csv", "time,cpus,cpus_allocated,unused_cpus,cost,unused_cpus_cost,"
		  "cost_per_cpu,oversubscribed,target_capacity,fulfilled_capacity\n"
		  "1512086400,8,4\n", "timeseries.csv:2: 3 fields, expected 10" },
		{ "markets.csv", "time,market,instances,cost,spot_price\n"
		  "1512086400,\"<c5.xlarge, us-west-2a>,1,1,0.25\n", "markets.csv:2:12: unterminated "
		  "quoted field" },
		/* csvread.h's RFC 4180 rules (issue 9): the column of the stray byte */
		{ "markets.csv", "time,market,instances,cost,spot_price\n"
		  "1512086400,\"<c5.xlarge, us-west-2a>\"x,1,1,0.25\n", "markets.csv:2:37: expected ',' "
		  "or the end of the line after a quoted field" },
		{ "instances.csv", "id,market\n1,\"m\"\"\n", "instances.csv:2:3: unterminated quoted "
		  "field" },
		{ "markets.csv", "time,market,instances,cost,spot_price\n"
		  "1512090000,m,1,1,0.25\n1512086400,m,1,1,0.25\n", "markets.csv:3:1: time goes "
		  "backwards" },
		{ "markets.csv", "time,market,instances\n", "no column 'cost'" },
		{ "decisions.jsonl", "{\"time\": 1, \"new_target\": 2}\n{\"time\": oops}\n",
		  "decisions.jsonl:2:" },
		{ "decisions.jsonl", "{\"new_target\": 2}\n", "decisions.jsonl:1:1: expected an "
		  "object with a numeric 'time'" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_rundir rd;
		struct cman_error err = { 0 };
		char dir[64];
		int rc;

		copy_run(dir);
		put_file(dir, cases[i].file, cases[i].text);
		rc = cman_rundir_load(&rd, dir, &err);
		if (rc != CMAN_EINVAL || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu (%s): rc %d, message '%s', expected '%s'", i,
				 cases[i].file, rc, err.msg, cases[i].msg);
		cman_rundir_release(&rd);
		remove_run(dir);
	}
}

static void test_missing_dir(void **state)
{
	struct cman_rundir rd;
	struct cman_error err = { 0 };

	assert_int_equal(cman_rundir_load(&rd, "/nonexistent/run", &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "summary.json: cannot read"));
	assert_non_null(strstr(err.msg, "is this a run directory?"));
	cman_rundir_release(&rd);
}

/* Tables holding a copy of rd's timeseries columns (for the loader to take). */
static void tables_of(struct cman_report_tables *t, const struct cman_rundir *rd)
{
	int k;

	memset(t, 0, sizeof(*t));
	t->n = rd->n;
	for (k = 0; k < CMAN_TS_NCOLS; k++) {
		t->col[k] = malloc(rd->n * sizeof(double));
		assert_non_null(t->col[k]);
		memcpy(t->col[k], rd->col[k], rd->n * sizeof(double));
	}
}

static void test_cost_mismatch_noted(void **state)
{
	struct cman_rundir rd;
	struct cman_error err = { 0 };
	char dir[64], p[128], *text;
	FILE *fp;
	long n;

	copy_run(dir);
	snprintf(p, sizeof(p), "%s/summary.json", dir);
	fp = fopen(p, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)n + 16);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	{
		char *q = strstr(text, "\"total_cost\": 72.0");

		assert_non_null(q);
		memcpy(q, "\"total_cost\": 99.0", 18);
	}
	put_file(dir, "summary.json", text);
	free(text);
	assert_int_equal(cman_rundir_load(&rd, dir, &err), 0);
	assert_int_equal(rd.n_notes, 1);
	assert_non_null(strstr(rd.notes[0], "sum to 72.000000"));
	assert_near(cman_rundir_cost_sum(&rd), 72, 0);
	/* from tables, with the sum taken before (cman_report_prepare's, issue
	 * 12): the same check, of the sum given */
	{
		struct cman_rundir rt;
		struct cman_report_tables t;

		tables_of(&t, &rd);
		assert_int_equal(cman_rundir_load_tables_summed(&rt, dir, &t, 98.5, &err), 0);
		assert_int_equal(rt.n_notes, 1);
		assert_non_null(strstr(rt.notes[0], "sum to 98.500000"));
		cman_rundir_release(&rt);
		tables_of(&t, &rd);
		assert_int_equal(cman_rundir_load_tables_summed(&rt, dir, &t, 99, &err), 0);
		assert_int_equal(rt.n_notes, 0);
		cman_rundir_release(&rt);
	}
	cman_rundir_release(&rd);
	remove_run(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_number),
		cmocka_unit_test(test_load_fixture),
		cmocka_unit_test(test_optional_files),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_cost_mismatch_noted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
