/*
 * Tests for cman/sim/generate.h: generated data follows its requested
 * distributions and processes (fixed seeds; tolerances below), shapes,
 * affine transforms of recorded data, fleets that follow a load, spot
 * prices, copies, determinism and independence of streams, the exporters
 * (round trips through the importers) and spec errors.
 *
 * Tolerances: 20,160 samples per distribution (one a minute for 14 days):
 * means within 4 standard errors, standard deviations within 4 %,
 * quantiles within 0.05 (uniform) or 2 % (normal, log-normal); exponential
 * and uniform inter-arrival means within 3 % (~10,000 and ~20,000 gaps).
 */
#include <math.h>
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

#include "cman/catalog.h"
#include "cman/err.h"
#include "cman/import.h"
#include "cman/rng.h"
#include "cman/sim/generate.h"
#include "cman/sim/pricefit.h"
#include "cman/store.h"

#define DATA CMAN_SOURCE_DIR "/tests/data/"
#define T0 1456790400   /* 2016-03-01T00:00:00Z, a Tuesday */
#define DAY 86400
#define POOLKEY "cluster=example,pool=batch.mesos"

static char tmpdir[128];

static int group_setup(void **state)
{

	cman_gsl_quiet();
	return cman_test_mkdtemp(tmpdir, sizeof(tmpdir), "cman_test_generate_") ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void spec_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_spec(const char *name, const char *text)
{
	char path[256];
	FILE *fp;

	spec_path(path, sizeof(path), name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Load and run a spec text; returns the store (NULL and *err on failure). */
static struct cman_store *gen(const char *text, struct cman_import_stats *stats,
			      struct cman_error *err, int *rc_out)
{
	struct cman_gen_spec *sp = NULL;
	struct cman_store *st = NULL;
	char path[256];
	int rc;

	write_spec("spec.yaml", text);
	spec_path(path, sizeof(path), "spec.yaml");
	rc = cman_gen_spec_load(path, &sp, err);
	if (!rc)
		rc = cman_store_memory_new(&st, err);
	if (!rc)
		rc = cman_gen_run(sp, st, stats, err);
	cman_gen_spec_free(sp);
	if (rc_out)
		*rc_out = rc;
	if (rc) {
		cman_store_free(st);
		return NULL;
	}
	return st;
}

static struct cman_store *gen_ok(const char *text)
{
	struct cman_error err = { 0 };
	struct cman_store *st = gen(text, NULL, &err, NULL);

	if (!st)
		fail_msg("generate failed: %s", err.msg);
	return st;
}

struct ser {
	int64_t *t;
	double *v;
	size_t n, cap;
};

static void ser_read(struct cman_store *st, enum cman_metric_kind kind, const char *key,
		     struct ser *s)
{
	struct cman_cursor *cur = NULL;
	struct cman_sample x;
	int rc;

	s->n = 0;
	assert_int_equal(cman_store_open_cursor(st, kind, key, INT64_MIN, INT64_MAX, 0, &cur,
						NULL), 0);
	while ((rc = cman_cursor_next(cur, &x, NULL)) == 1) {
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 1024;
			s->t = realloc(s->t, s->cap * sizeof(*s->t));
			s->v = realloc(s->v, s->cap * sizeof(*s->v));
			assert_true(s->t && s->v);
		}
		s->t[s->n] = x.t;
		s->v[s->n++] = x.value;
	}
	assert_int_equal(rc, 0);
	cman_cursor_close(cur);
}

static void ser_free(struct ser *s)
{
	free(s->t);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double quantile(const struct ser *s, double q)
{
	double *w = malloc(s->n * sizeof(*w)), r;

	assert_non_null(w);
	memcpy(w, s->v, s->n * sizeof(*w));
	qsort(w, s->n, sizeof(*w), dcmp);
	r = w[(size_t)(q * (double)(s->n - 1))];
	free(w);
	return r;
}

static void moments(const struct ser *s, double *mean, double *sd)
{
	double m = 0, v = 0;

	for (size_t i = 0; i < s->n; i++)
		m += s->v[i];
	m /= (double)s->n;
	for (size_t i = 0; i < s->n; i++)
		v += (s->v[i] - m) * (s->v[i] - m);
	*mean = m;
	*sd = sqrt(v / (double)(s->n - 1));
}

#define HEAD "seed: 42\nstart_time: 2016-03-01T00:00:00Z\nend_time: 2016-03-15T00:00:00Z\n" \
	"cluster: example\npool: batch\n"

static void test_distributions(void **state)
{
	static const struct {
		const char *value;
		double mean, sd;
		double q, qv, qtol;     /* a quantile and its expected value */
	} cases[] = {
		{ "{uniform: {min: 2, max: 6}}", 4, 1.1547005, 0.25, 3, 0.05 },
		{ "{uniform: {min: 2, max: 6}}", 4, 1.1547005, 0.75, 5, 0.05 },
		{ "{int_uniform: {min: 1, max: 6}}", 3.5, 1.7078251, 0.5, 3.5, 0.51 },
		{ "{normal: {mean: 10, stdev: 2}}", 10, 2, 0.975, 13.919928, 0.28 },
		{ "{normal: {mean: 10, stdev: 2}}", 10, 2, 0.5, 10, 0.2 },
		{ "{lognormal: {mu: 1, sigma: 0.5}}", 3.0802168, 1.6415718, 0.5, 2.7182818, 0.055 },
		{ "{constant: 7}", 7, 0, 0.5, 7, 0 },
	};
	char text[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ser s = { 0 };
		struct cman_store *st;
		double mean, sd, q;

		snprintf(text, sizeof(text), HEAD "series:\n  - name: d\n    metric: cpus_allocated\n"
			 "    times: {every: 60}\n    value: %s\n", cases[i].value);
		st = gen_ok(text);
		ser_read(st, CMAN_SYSTEM_METRICS, "cpus_allocated|" POOLKEY, &s);
		assert_int_equal(s.n, 14 * 1440);
		moments(&s, &mean, &sd);
		q = quantile(&s, cases[i].q);
		print_message("%s: mean %.4f (want %.4f) sd %.4f (want %.4f) q%.3f %.4f (want %.4f)\n",
			      cases[i].value, mean, cases[i].mean, sd, cases[i].sd, cases[i].q, q,
			      cases[i].qv);
		assert_true(fabs(mean - cases[i].mean) <= 4 * cases[i].sd / sqrt((double)s.n) + 1e-12);
		assert_true(fabs(sd - cases[i].sd) <= 0.04 * cases[i].sd + 1e-12);
		assert_true(fabs(q - cases[i].qv) <= cases[i].qtol + 1e-12);
		if (strstr(cases[i].value, "int_uniform")) {
			size_t count[7] = { 0 };

			for (size_t k = 0; k < s.n; k++) {
				assert_true(s.v[k] == floor(s.v[k]) && s.v[k] >= 1 && s.v[k] <= 6);
				count[(int)s.v[k]]++;
			}
			for (int k = 1; k <= 6; k++)
				assert_true(fabs((double)count[k] / (double)s.n - 1.0 / 6) < 0.015);
		}
		ser_free(&s);
		cman_store_free(st);
	}
}

static void test_times(void **state)
{
	static const struct {
		const char *times;
		double mean_gap, min_gap, max_gap;
	} cases[] = {
		{ "{exponential: {mean_seconds: 120}}", 120, 0, 1e9 },
		{ "{uniform: {min_seconds: 30, max_seconds: 90}}", 60, 29, 91 },
		{ "{every: 300}", 300, 300, 300 },
	};
	char text[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ser s = { 0 };
		struct cman_store *st;
		double gap;

		snprintf(text, sizeof(text), HEAD "series:\n  - name: t\n    key: events|a=b\n"
			 "    kind: app_metrics\n    times: %s\n    value: {constant: 1}\n",
			 cases[i].times);
		st = gen_ok(text);
		ser_read(st, CMAN_APP_METRICS, "events|a=b", &s);
		assert_true(s.n > 1000);
		assert_int_equal(s.t[0], T0);
		for (size_t k = 1; k < s.n; k++) {
			assert_true(s.t[k] >= s.t[k - 1]);
			assert_true((double)(s.t[k] - s.t[k - 1]) >= cases[i].min_gap);
			assert_true((double)(s.t[k] - s.t[k - 1]) <= cases[i].max_gap);
		}
		assert_true(s.t[s.n - 1] < T0 + 14 * DAY);
		gap = (double)(s.t[s.n - 1] - s.t[0]) / (double)(s.n - 1);
		print_message("%s: %zu events, mean gap %.2f\n", cases[i].times, s.n, gap);
		assert_true(fabs(gap - cases[i].mean_gap) <= 0.03 * cases[i].mean_gap);
		ser_free(&s);
		cman_store_free(st);
	}
}

static void test_shape(void **state)
{
	struct ser s = { 0 };
	struct cman_store *st;
	double hour_sum[24] = { 0 }, dow_sum[7] = { 0 }, rel = 0, rel2 = 0;
	size_t hour_n[24] = { 0 }, dow_n[7] = { 0 }, best = 0;

	st = gen_ok("seed: 5\nstart_time: 2016-03-07T00:00:00Z\nend_time: 2016-04-04T00:00:00Z\n"
		    "cluster: example\npool: batch\nseries:\n  - name: load\n"
		    "    metric: cpus_allocated\n    times: {every: 300}\n"
		    "    value: {constant: 100}\n"
		    "    shape: {daily: {amplitude: 0.5, peak_hour: 14.5}, weekend: 0.5, noise: 0.05}\n"
		    "    min: 0\n");
	ser_read(st, CMAN_SYSTEM_METRICS, "cpus_allocated|" POOLKEY, &s);
	assert_int_equal(s.n, 28 * 288);
	for (size_t i = 0; i < s.n; i++) {
		int64_t sod = s.t[i] % DAY, day = s.t[i] / DAY;
		int dow = (int)((day + 3) % 7), h = (int)(sod / 3600);
		double expect = 100 * (1 + 0.5 * cos(2 * M_PI * ((double)sod / 3600 - 14.5) / 24)) *
				(dow >= 5 ? 0.5 : 1), r = s.v[i] / expect - 1;

		if (dow < 5) {
			hour_sum[h] += s.v[i];
			hour_n[h]++;
		}
		dow_sum[dow] += s.v[i];
		dow_n[dow]++;
		rel += r;
		rel2 += r * r;
	}
	for (int h = 1; h < 24; h++)
		if (hour_sum[h] / (double)hour_n[h] > hour_sum[best] / (double)hour_n[best])
			best = (size_t)h;
	print_message("peak hour %zu; Saturday/Wednesday %.3f; noise sd %.4f\n", best,
		      (dow_sum[5] / (double)dow_n[5]) / (dow_sum[2] / (double)dow_n[2]),
		      sqrt(rel2 / (double)s.n - (rel / (double)s.n) * (rel / (double)s.n)));
	assert_int_equal(best, 14);
	assert_true(fabs((dow_sum[5] / (double)dow_n[5]) / (dow_sum[2] / (double)dow_n[2]) - 0.5) <
		    0.02);
	assert_true(fabs(sqrt(rel2 / (double)s.n) - 0.05) < 0.003);
	ser_free(&s);
	cman_store_free(st);
}

static void test_affine_and_capacity(void **state)
{
	struct ser load = { 0 }, tgt = { 0 };
	struct cman_store *st;
	struct cman_cursor *cur;
	struct cman_sample x;
	size_t n = 0;
	char text[2048];

	snprintf(text, sizeof(text),
		 "seed: 1\nstart_time: 2016-03-01T00:00:00Z\nend_time: 2016-03-01T01:00:00Z\n"
		 "cluster: example\npool: batch\n"
		 "sources:\n  azure:\n    timeseries_csv: %s\n    time_column: t_s\n"
		 "    value_column: busy_cores_est\n    start_time: 2016-03-01T00:00:00Z\n"
		 "    scale: 0.01\n"
		 "series:\n  - name: load\n    metric: cpus_allocated\n"
		 "    value: {affine: {source: azure, key: value, a: 2, b: -600}}\n"
		 "  - name: fleet\n    capacity_follows_load:\n      load: load\n"
		 "      setpoint: 0.5\n      every: 600\n      min_instances: 4\n"
		 "      target_metric: target_capacity\n      markets:\n"
		 "        - \"<m4.10xlarge, us-east-1a>\"\n        - \"<m4.10xlarge, us-east-1b>\"\n"
		 "        - {market: \"<d2.xlarge, us-east-1c>\", share: 0}\n",
		 DATA "gen_azure_head.csv");
	st = gen_ok(text);
	ser_read(st, CMAN_SYSTEM_METRICS, "cpus_allocated|" POOLKEY, &load);
	assert_int_equal(load.n, 12);   /* the source's own times */
	assert_int_equal(load.t[1], T0 + 300);
	assert_float_equal(load.v[0], 2 * 613.55159 - 600, 1e-9);
	ser_read(st, CMAN_METADATA, "target_capacity|" POOLKEY, &tgt);
	assert_int_equal(tgt.n, 6);
	assert_int_equal(cman_store_open_cursor(st, CMAN_METADATA, "fulfilled_capacity|" POOLKEY,
						INT64_MIN, INT64_MAX, 0, &cur, NULL), 0);
	while (cman_cursor_next(cur, &x, NULL) == 1) {
		double l = load.v[(x.t - T0) / 300], inst[2] = { 0, 0 };

		assert_true(x.is_map);
		assert_int_equal(x.t, T0 + (int64_t)n * 600);
		for (size_t i = 0; i < x.n_markets; i++) {
			assert_string_equal(x.markets[i].instance_type, "m4.10xlarge");
			assert_true(fmod(x.markets[i].value, 40) == 0);
			inst[x.markets[i].az[9] - 'a'] = x.markets[i].value / 40;
		}
		/* covers load / setpoint with the fewest instances, spread evenly */
		assert_true(x.value >= l / 0.5);
		assert_true(x.value < l / 0.5 + 40);
		assert_true(fabs(inst[0] - inst[1]) <= 1 && inst[0] >= inst[1]);
		assert_true(inst[0] + inst[1] >= 4);
		assert_true(tgt.v[n] == x.value);
		n++;
	}
	cman_cursor_close(cur);
	assert_int_equal(n, 6);
	ser_free(&load);
	ser_free(&tgt);
	cman_store_free(st);
}

static void test_price_and_copy(void **state)
{
	struct ser s = { 0 };
	struct cman_store *st;
	char text[2048];

	snprintf(text, sizeof(text), HEAD
		 "sources:\n  aws: {aws_spot_csv: %s}\n"
		 "series:\n  - name: p\n    spot_price: {market: \"<m4.large, us-west-2a>\","
		 " mu: 0.1, theta: 2, sigma: 0.05, jump_rate: 3, jump_log_mean: 1,"
		 " jump_log_stdev: 0.5, floor: 0.04, ceiling: 0.3, heartbeat_hours: 2}\n"
		 "  - name: real\n    copy: {source: aws, kind: metadata}\n",
		 DATA "aws_spot_sample.csv");
	st = gen_ok(text);
	ser_read(st, CMAN_METADATA,
		 "spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=m4.large", &s);
	assert_true(s.n > 100);
	assert_int_equal(s.t[0], T0);
	for (size_t i = 0; i < s.n; i++) {
		assert_true(s.v[i] >= 0.04 - 1e-12 && s.v[i] <= 0.3 + 1e-12);
		if (i)
			assert_true(s.t[i] - s.t[i - 1] <= 7200);
	}
	ser_read(st, CMAN_METADATA,
		 "spot_prices|aws_availability_zone=us-east-1a,aws_instance_type=m4.10xlarge", &s);
	assert_int_equal(s.n, 2);
	assert_true(s.v[1] == 0.4521);
	ser_free(&s);
	cman_store_free(st);
}

static void test_determinism(void **state)
{
	struct ser a = { 0 }, b = { 0 }, c = { 0 };
	struct cman_store *s1, *s2, *s3;
	const char *one = HEAD "series:\n  - name: a\n    metric: cpus_allocated\n"
		"    times: {exponential: {mean_seconds: 600}}\n    value: {normal: {mean: 5,"
		" stdev: 1}}\n    shape: {noise: 0.1}\n";
	/* another series before it, and another seed */
	const char *two = HEAD "series:\n  - name: other\n    metric: mem_allocated\n"
		"    times: {every: 60}\n    value: {uniform: {min: 0, max: 1}}\n"
		"  - name: a\n    metric: cpus_allocated\n"
		"    times: {exponential: {mean_seconds: 600}}\n    value: {normal: {mean: 5,"
		" stdev: 1}}\n    shape: {noise: 0.1}\n";
	char three[1024];

	s1 = gen_ok(one);
	s2 = gen_ok(two);
	snprintf(three, sizeof(three), "%s", one);
	memcpy(three, "seed: 43", 8);
	s3 = gen_ok(three);
	ser_read(s1, CMAN_SYSTEM_METRICS, "cpus_allocated|" POOLKEY, &a);
	ser_read(s2, CMAN_SYSTEM_METRICS, "cpus_allocated|" POOLKEY, &b);
	ser_read(s3, CMAN_SYSTEM_METRICS, "cpus_allocated|" POOLKEY, &c);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.t, b.t, a.n * sizeof(*a.t));
	assert_memory_equal(a.v, b.v, a.n * sizeof(*a.v));
	assert_true(a.n != c.n || memcmp(a.v, c.v, a.n * sizeof(*a.v)) != 0);
	ser_free(&a);
	ser_free(&b);
	ser_free(&c);
	cman_store_free(s1);
	cman_store_free(s2);
	cman_store_free(s3);
}

static int cmp_files(const char *a, const char *b)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
	return system(cmd);
}

static void test_exports_roundtrip(void **state)
{
	struct cman_store *st, *back;
	struct cman_error err = { 0 };
	char csv1[256], csv2[256], csv3[256], js[256];
	const struct cman_catalog *cat;

	assert_int_equal(cman_catalog_builtin(&cat, NULL), 0);
	st = gen_ok("seed: 9\nstart_time: 2016-03-01T00:00:00Z\nend_time: 2016-03-02T00:00:00Z\n"
		    "cluster: example\npool: batch\nseries:\n"
		    "  - name: load\n    metric: cpus_allocated\n    times: {every: 600}\n"
		    "    value: {lognormal: {mu: 6, sigma: 0.3}}\n"
		    "  - name: fleet\n    capacity_follows_load:\n      load: load\n"
		    "      markets: [\"<m4.10xlarge, us-east-1a>\", \"<c5.xlarge, us-east-1b>\"]\n"
		    "  - name: empty\n    key: \"fulfilled_capacity|cluster=x,pool=y.mesos\"\n"
		    "    kind: metadata\n    times: {every: 3600}\n    value: {constant: 0}\n"
		    "  - name: p\n    spot_price: {market: \"<m4.10xlarge, us-east-1a>\", mu: 0.4,"
		    " sigma: 0.3}\n");
	spec_path(csv1, sizeof(csv1), "a.csv");
	spec_path(csv2, sizeof(csv2), "b.csv");
	spec_path(csv3, sizeof(csv3), "c.csv");
	spec_path(js, sizeof(js), "a.json.gz");
	assert_int_equal(cman_metrics_write_csv(st, csv1, &err), 0);
	assert_int_equal(cman_metrics_write_json(st, js, &err), 0);
	/* CSV -> store -> CSV and JSON -> store -> CSV give the same bytes */
	assert_int_equal(cman_store_memory_new(&back, NULL), 0);
	assert_int_equal(cman_import_csv(csv1, back, cat, NULL, &err), 0);
	assert_int_equal(cman_metrics_write_csv(back, csv2, &err), 0);
	cman_store_free(back);
	assert_int_equal(cman_store_memory_new(&back, NULL), 0);
	if (cman_import_clusterman_json(js, back, cat, NULL, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(cman_metrics_write_csv(back, csv3, &err), 0);
	cman_store_free(back);
	assert_int_equal(cmp_files(csv1, csv2), 0);
	assert_int_equal(cmp_files(csv1, csv3), 0);
	/* unwritable destination */
	assert_int_equal(cman_metrics_write_csv(st, "/nonexistent/dir/x.csv", &err), CMAN_EIO);
	assert_int_equal(cman_metrics_write_json(st, "/nonexistent/dir/x.json.gz", &err), CMAN_EIO);
	cman_store_free(st);
}

static void test_fit_snippet_loads(void **state)
{
	struct cman_price_point pts[3] = { { T0, 0.3 }, { T0 + DAY, 0.5 }, { T0 + 2 * DAY, 0.4 } };
	struct cman_price_fit_opts o;
	struct cman_price_fit fit;
	struct cman_error err = { 0 };
	char path[256], text[4096];
	FILE *fp;
	struct cman_store *st;

	cman_price_fit_opts_init(&o);
	assert_int_equal(cman_price_fit(pts, 3, &o, &fit, &err), 0);
	spec_path(path, sizeof(path), "snippet.yaml");
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(HEAD "series:\n", fp);
	cman_price_fit_print(fp, &fit, "fitted", "<m4.large, us-east-1a>");
	fclose(fp);
	fp = fopen(path, "r");
	text[fread(text, 1, sizeof(text) - 1, fp)] = '\0';
	fclose(fp);
	st = gen_ok(text);
	cman_store_free(st);
}

static void test_spec_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ HEAD "sede: 1\nseries: []\n", "spec.yaml:6:1: unknown key 'sede'" },
		{ "end_time: 2016-03-15T00:00:00Z\nseries: []\n", "missing start_time" },
		{ HEAD "series: []\n", "series: expected a non-empty list" },
		{ HEAD "series:\n  - name: a\n    metric: x\n    times: {every: 60}\n"
		  "    valu: {constant: 1}\n", "spec.yaml:10:5: unknown key 'valu'" },
		{ HEAD "series:\n  - name: a\n    metric: x\n    times: {every: 60}\n"
		  "    value: {gaussian: {mean: 1}}\n", "unknown key 'gaussian'" },
		{ HEAD "series:\n  - name: a\n    metric: x\n    times: {every: 60}\n"
		  "    value: {normal: {mean: 1, stdev: -1}}\n", "stdev: must not be negative" },
		{ HEAD "series:\n  - name: a\n    metric: x\n    times: {every: 60}\n"
		  "    value: {normal: {mean: 1}}\n", "missing stdev" },
		{ HEAD "series:\n  - name: a\n    metric: x\n    value: {constant: 1}\n",
		  "missing times" },
		{ HEAD "series:\n  - name: a\n    metric: x\n    times: {every: 0.5}\n"
		  "    value: {constant: 1}\n", "whole number of seconds" },
		{ HEAD "series:\n  - name: a\n    metric: x\n    times: {uniform: {min_seconds: 5,"
		  " max_seconds: 5}}\n    value: {constant: 1}\n", "min_seconds < max_seconds" },
		{ HEAD "series:\n  - name: p\n    spot_price: {market: \"<m4.huge, us-east-1a>\","
		  " mu: 1}\n", "spec.yaml:8:26: series 'p'.spot_price.market: unknown instance type" },
		{ HEAD "series:\n  - name: p\n    spot_price: {market: \"<m4.large, mars-1a>\","
		  " mu: 1}\n", "unknown availability zone 'mars-1a'" },
		{ HEAD "series:\n  - name: p\n    spot_price: {market: \"<m4.large, us-east-1a>\","
		  " mu: 1, floor: 2, ceiling: 1}\n", "ceiling must be above floor" },
		{ HEAD "series:\n  - name: a\n    metric: x\n    value: {affine: {series: b}}\n"
		  "  - name: b\n    metric: y\n    times: {every: 60}\n    value: {constant: 1}\n",
		  "no series named 'b' before this one" },
		{ HEAD "series:\n  - name: a\n    metric: x\n    value: {affine: {source: s, key: k}}\n",
		  "no source named 's'" },
		{ "start_time: 0\nend_time: 100\nseries:\n  - name: a\n    metric: x\n"
		  "    times: {every: 60}\n    value: {constant: 1}\n", "metric needs cluster and pool" },
		{ HEAD "series:\n  - {name: a, metric: x, times: {every: 60}, value: {constant: 1}}\n"
		  "  - {name: a, metric: y, times: {every: 60}, value: {constant: 1}}\n",
		  "'a' is used by an earlier series" },
		{ HEAD "series:\n  - name: a\n    metric: x\n    times: {every: 60}\n"
		  "    value: {constant: 1}\n    spot_price: {market: \"<m4.large, us-east-1a>\","
		  " mu: 1}\n", "exactly one of value, spot_price" },
		{ HEAD "sources:\n  s: {sqlite: /nonexistent.sqlite}\nseries:\n  - name: a\n"
		  "    metric: x\n    times: {every: 60}\n    value: {constant: 1}\n",
		  "spec.yaml:7:6: sources.s: /nonexistent.sqlite: no such metrics database" },
		{ HEAD "sources:\n  s: {parquet: x}\nseries: []\n", "expected one of sqlite" },
		{ HEAD "series:\n  - name: f\n    capacity_follows_load: {load: nothing, markets:"
		  " [\"<m4.large, us-east-1a>\"]}\n", "no series named 'nothing'" },
		{ HEAD "series:\n  - {name: a, metric: x, times: {every: 60}, value: {constant: 1}}\n"
		  "  - name: f\n    capacity_follows_load: {load: a, markets: []}\n",
		  "expected a non-empty list of markets" },
		{ HEAD "series:\n  - {name: a, metric: x, times: {every: 60}, value: {constant: 1}}\n"
		  "  - name: f\n    capacity_follows_load: {load: a, setpoint: 1.5, markets:"
		  " [\"<m4.large, us-east-1a>\"]}\n", "expected 0 < setpoint <= 1" },
		{ HEAD "series:\n  - {name: a, metric: x, times: {every: 60}, value: {constant: 1},"
		  " shape: {daily: {amplitude: 2, peak_hour: 3}}}\n", "0 <= amplitude <= 1" },
		{ HEAD "series:\n  - {name: a, metric: x, times: {every: 60}, value: {constant: 1},"
		  " shape: {weekly: [1, 2]}}\n", "expected a list of 7 factors" },
		{ HEAD "series:\n  - {name: a, metric: x, times: {every: 60}, value: {constant: 1},"
		  " min: 5, max: 1}\n", "max is below min" },
		{ HEAD "seed: 2\nseries: []\n", "duplicate key" },
		{ "seed: -1\nstart_time: 0\nend_time: 100\nseries: []\n",
		  "seed: expected a non-negative integer" },
		{ "start_time: 100\nend_time: 100\nseries: []\n", "end_time must be after" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_error err = { 0 };
		int rc = 0;
		struct cman_store *st = gen(cases[i].text, NULL, &err, &rc);

		assert_null(st);
		if (rc != CMAN_EINVAL || !strstr(err.msg, cases[i].want))
			fail_msg("case %zu: rc %d, message '%s', expected '%s'", i, rc, err.msg,
				 cases[i].want);
	}
	/* a source series that has nothing in the window */
	{
		struct cman_error err = { 0 };
		int rc = 0;
		char text[1024];

		snprintf(text, sizeof(text), "seed: 1\nstart_time: 2010-01-01T00:00:00Z\n"
			 "end_time: 2010-01-02T00:00:00Z\ncluster: c\npool: p\n"
			 "sources:\n  aws: {aws_spot_csv: %s}\nseries:\n  - name: c\n"
			 "    copy: {source: aws}\n", DATA "aws_spot_sample.csv");
		assert_null(gen(text, NULL, &err, &rc));
		assert_int_equal(rc, CMAN_EINVAL);
		assert_non_null(strstr(err.msg, "no matching samples"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distributions),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_affine_and_capacity),
		cmocka_unit_test(test_price_and_copy),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_exports_roundtrip),
		cmocka_unit_test(test_fit_snippet_loads),
		cmocka_unit_test(test_spec_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
