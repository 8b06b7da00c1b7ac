/*
 * Unit tests of sweep.c: grids, statistics, Pareto fronts, the journal,
 * sweep.csv and sweep.html.
 */
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

#include "cman/sim/sweep.h"

static char tmpdir[256];

static void path_in(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void spit(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- grid ---- */

static void test_grid_values(void **state)
{
	static const struct {
		const char *spec;
		const char *key;
		size_t n;
		const char *values[3];
	} cases[] = {
		{ "simulation.discount=0.5,1", "simulation.discount", 2, { "0.5", "1" } },
		{ " a.b = x , y ,z ", "a.b", 3, { "x", "y", "z" } },
		{ "simulation.join_delay={mean_seconds: 60, stdev_seconds: 0},"
		  "{mean_seconds: 300, stdev_seconds: 60}", "simulation.join_delay", 2,
		  { "{mean_seconds: 60, stdev_seconds: 0}",
		    "{mean_seconds: 300, stdev_seconds: 60}" } },
		{ "k=[1, 2],'a,b',\"c,d\"", "k", 3, { "[1, 2]", "'a,b'", "\"c,d\"" } },
		{ "name=only", "name", 1, { "only" } },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_sweep_grid g;
		struct cman_error err = { 0 };

		cman_sweep_grid_init(&g);
		assert_int_equal(cman_sweep_grid_add(&g, cases[i].spec, &err), 0);
		assert_int_equal(g.n_axes, 1);
		assert_string_equal(g.axes[0].key, cases[i].key);
		assert_int_equal(g.axes[0].n_values, cases[i].n);
		for (k = 0; k < cases[i].n; k++) {
			char set[256];

			assert_string_equal(g.axes[0].values[k], cases[i].values[k]);
			snprintf(set, sizeof(set), "%s=%s", cases[i].key, cases[i].values[k]);
			assert_string_equal(g.axes[0].sets[k], set);
		}
		cman_sweep_grid_release(&g);
		cman_sweep_grid_release(&g);
	}
}

static void test_grid_errors(void **state)
{
	static const struct {
		const char *spec;
		const char *msg;
	} cases[] = {
		{ "simulation.discount", "expected KEY=VALUE1" },
		{ "=1,2", "empty key" },
		{ "simulation.discount=", "--grid simulation.discount: no values" },
		{ "simulation.discount=  ", "--grid simulation.discount: no values" },
		{ "simulation.discount=1,,2", "--grid simulation.discount: empty value (item 2)" },
		{ "simulation.discount=1,", "--grid simulation.discount: empty value (item 2)" },
		{ "simulation.discount=1,2,1", "value '1' given twice" },
		{ "seed=1,2", "--grid seed: seeds are not a grid axis" },
		{ "k={a: 1", "--grid k: unbalanced brackets" },
		{ "k='a,b", "--grid k: unbalanced quote" },
		{ "existing=3,4", "--grid existing: key given twice" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_sweep_grid g;
		struct cman_error err = { 0 };

		cman_sweep_grid_init(&g);
		assert_int_equal(cman_sweep_grid_add(&g, "existing=1,2", &err), 0);
		assert_int_equal(cman_sweep_grid_add(&g, cases[i].spec, &err), CMAN_EINVAL);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", cases[i].spec, err.msg,
				 cases[i].msg);
		assert_int_equal(g.n_axes, 1);   /* the grid is unchanged */
		assert_int_equal(cman_sweep_grid_points(&g), 2);
		cman_sweep_grid_release(&g);
	}
}

static void test_grid_too_big(void **state)
{
	struct cman_sweep_grid g;
	struct cman_error err = { 0 };
	char spec[8192];
	size_t n = 0, i, k;

	(void)state;
	/* 4 axes of 100 values: 1e8 points > CMAN_SWEEP_MAX_RUNS */
	cman_sweep_grid_init(&g);
	for (k = 0; k < 4; k++) {
		n = (size_t)snprintf(spec, sizeof(spec), "k%zu=", k);
		for (i = 0; i < 100; i++)
			n += (size_t)snprintf(spec + n, sizeof(spec) - n, "%s%zu", i ? "," : "", i);
		if (k < 3) {
			assert_int_equal(cman_sweep_grid_add(&g, spec, &err), 0);
		} else {
			assert_int_equal(cman_sweep_grid_add(&g, spec, &err), CMAN_EINVAL);
			assert_non_null(strstr(err.msg, "more than"));
		}
	}
	assert_int_equal(cman_sweep_grid_points(&g), 1000000);
	cman_sweep_grid_release(&g);
}

static void test_grid_points(void **state)
{
	struct cman_sweep_grid g;
	struct cman_error err = { 0 };
	const char *sets[3];
	size_t idx[3];
	static const char *const want[6][2] = {
		{ "a=1", "b=x" }, { "a=1", "b=y" }, { "a=1", "b=z" },
		{ "a=2", "b=x" }, { "a=2", "b=y" }, { "a=2", "b=z" },
	};
	size_t p;

	(void)state;
	cman_sweep_grid_init(&g);
	assert_int_equal(cman_sweep_grid_points(&g), 1);
	cman_sweep_point_sets(&g, 0, sets, idx);    /* no axes: nothing */
	assert_int_equal(cman_sweep_grid_add(&g, "a=1,2", &err), 0);
	assert_int_equal(cman_sweep_grid_add(&g, "b=x,y,z", &err), 0);
	assert_int_equal(cman_sweep_grid_points(&g), 6);
	for (p = 0; p < 6; p++) {
		cman_sweep_point_sets(&g, p, sets, idx);
		assert_string_equal(sets[0], want[p][0]);
		assert_string_equal(sets[1], want[p][1]);
		assert_int_equal(idx[0], p / 3);
		assert_int_equal(idx[1], p % 3);
	}
	cman_sweep_grid_release(&g);
}

static void test_rename_set(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "--set simulation.discount: expected a number, got 'abc'",
		  "--grid simulation.discount: expected a number, got 'abc'" },
		{ "--set simulation.bogus: unknown key 'bogus'",
		  "--grid simulation.bogus: unknown key 'bogus'" },
		{ "--set simulation.discountx: x", "--set simulation.discountx: x" },
		{ "--set other.key: x", "--set other.key: x" },
		{ "file.yaml:3:4: simulation.discount: bad", "file.yaml:3:4: simulation.discount: bad" },
	};
	struct cman_sweep_grid g;
	struct cman_error err = { 0 };
	size_t i;

	(void)state;
	cman_sweep_grid_init(&g);
	assert_int_equal(cman_sweep_grid_add(&g, "simulation.discount=abc", &err), 0);
	assert_int_equal(cman_sweep_grid_add(&g, "simulation.bogus=1", &err), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%s", cases[i].in);
		cman_sweep_rename_set(&g, msg, sizeof(msg));
		assert_string_equal(msg, cases[i].out);
	}
	cman_sweep_grid_release(&g);
}

/* ---- statistics ---- */

static void test_stats(void **state)
{
	/* not static: sqrt() in the initializers is not a constant expression */
	const struct {
		double x[6];
		size_t n;
		double mean, half, p5, p50, p95;
	} cases[] = {
		/* sd = sqrt(2.5), t(0.975, 4) = 2.7764451 */
		{ { 5, 1, 4, 2, 3 }, 5, 3, 2.7764451052 * sqrt(2.5) / sqrt(5), 1.2, 3, 4.8 },
		{ { 7 }, 1, 7, 0, 7, 7, 7 },
		{ { 2, 2, 2 }, 3, 2, 0, 2, 2, 2 },
		/* t(0.975, 1) = 12.7062047 */
		{ { 0, 10 }, 2, 5, 12.7062047362 * sqrt(50) / sqrt(2), 0.5, 5, 9.5 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_sweep_stats s;
		struct cman_error err = { 0 };
		double copy[6];

		memcpy(copy, cases[i].x, sizeof(copy));
		assert_int_equal(cman_sweep_stats_compute(cases[i].x, cases[i].n, &s, &err), 0);
		assert_memory_equal(copy, cases[i].x, sizeof(copy));   /* x untouched */
		assert_float_equal(s.mean, cases[i].mean, 1e-9);
		assert_float_equal(s.ci_low, cases[i].mean - cases[i].half, 1e-6);
		assert_float_equal(s.ci_high, cases[i].mean + cases[i].half, 1e-6);
		assert_float_equal(s.p5, cases[i].p5, 1e-9);
		assert_float_equal(s.p50, cases[i].p50, 1e-9);
		assert_float_equal(s.p95, cases[i].p95, 1e-9);
	}
}

static void test_stats_errors(void **state)
{
	struct cman_sweep_stats s;
	struct cman_error err = { 0 };
	double bad[2] = { 1, NAN }, inf[1] = { INFINITY };

	(void)state;
	assert_int_equal(cman_sweep_stats_compute(bad, 0, &s, &err), CMAN_EINVAL);
	assert_int_equal(cman_sweep_stats_compute(bad, 2, &s, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "value 2 is not finite"));
	assert_int_equal(cman_sweep_stats_compute(inf, 1, &s, NULL), CMAN_EINVAL);
}

static void test_pareto(void **state)
{
	static const struct {
		size_t n;
		double x[5], y[5];
		bool front[5];
	} cases[] = {
		{ 1, { 3 }, { 3 }, { true } },
		/* a chain of trade-offs: all on the front */
		{ 3, { 1, 2, 3 }, { 3, 2, 1 }, { true, true, true } },
		/* (2,2) dominates (3,3); (2,3) is dominated by (2,2) */
		{ 4, { 2, 3, 2, 1 }, { 2, 3, 3, 5 }, { true, false, false, true } },
		/* equal points are both on the front */
		{ 3, { 1, 1, 0 }, { 1, 1, 2 }, { true, true, true } },
		/* one point better in both than everything */
		{ 4, { 5, 0, 6, 1 }, { 5, 0, 1, 6 }, { false, true, false, false } },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool front[5];

		cman_sweep_pareto(cases[i].x, cases[i].y, cases[i].n, front);
		for (k = 0; k < cases[i].n; k++)
			assert_int_equal(front[k], cases[i].front[k]);
	}
}

/* 2 points x 2 replicas with known totals */
static void fill(struct cman_sweep_results *r)
{
	struct cman_error err = { 0 };
	size_t p, k, m;

	assert_int_equal(cman_sweep_results_init(r, 2, 2, &err), 0);
	for (p = 0; p < 2; p++) {
		for (k = 0; k < 2; k++) {
			struct cman_sweep_run run;

			for (m = 0; m < CMAN_SWEEP_N_METRICS; m++)
				run.v[m] = (double)(p * 10 + k) + (double)m * 0.1;
			cman_sweep_results_put(r, p, k, &run);
		}
	}
}

static void test_results_summarize(void **state)
{
	struct cman_sweep_results r;
	struct cman_sweep_summary s[2];
	struct cman_error err = { 0 };
	struct cman_sweep_run run = { { 1, 2, 3, 4 } };

	(void)state;
	assert_int_equal(cman_sweep_results_init(&r, 0, 3, &err), CMAN_EINVAL);
	assert_int_equal(cman_sweep_results_init(&r, 3, 0, &err), CMAN_EINVAL);
	assert_int_equal(cman_sweep_results_init(&r, CMAN_SWEEP_MAX_RUNS, 2, &err), CMAN_EINVAL);
	assert_int_equal(cman_sweep_results_init(&r, 2, 2, &err), 0);
	cman_sweep_results_put(&r, 1, 1, &run);
	cman_sweep_results_put(&r, 1, 1, &run);
	assert_int_equal(r.n_done, 1);
	assert_int_equal(cman_sweep_summarize(&r, s, &err), CMAN_EINTERNAL);
	cman_sweep_results_release(&r);

	fill(&r);
	assert_int_equal(r.n_done, 4);
	assert_int_equal(cman_sweep_summarize(&r, s, &err), 0);
	assert_float_equal(s[0].m[CMAN_SWEEP_COST].mean, 0.5, 1e-12);
	assert_float_equal(s[1].m[CMAN_SWEEP_COST].mean, 10.5, 1e-12);
	assert_float_equal(s[1].m[CMAN_SWEEP_INTERRUPTIONS].p50, 10.8, 1e-12);
	assert_true(s[0].pareto);
	assert_false(s[1].pareto);
	cman_sweep_results_release(&r);
	cman_sweep_results_release(&r);
}

/* ---- journal ---- */

static void make_grid(struct cman_sweep_grid *g)
{
	struct cman_error err = { 0 };

	cman_sweep_grid_init(g);
	assert_int_equal(cman_sweep_grid_add(g, "simulation.discount=0.5,1", &err), 0);
	assert_int_equal(cman_sweep_grid_add(g, "simulation.billing=per-second,per-hour", &err),
			 0);
}

static void test_file_hash(void **state)
{
	char path[512];
	uint64_t h = 0;
	struct cman_error err = { 0 };

	(void)state;
	path_in(path, sizeof(path), "hash.txt");
	spit(path, "a");
	assert_int_equal(cman_sweep_file_hash(path, &h, &err), 0);
	assert_true(h == 0xaf63dc4c8601ec8cull);    /* FNV-1a 64 of "a" */
	spit(path, "");
	assert_int_equal(cman_sweep_file_hash(path, &h, &err), 0);
	assert_true(h == 14695981039346656037ull);
	path_in(path, sizeof(path), "missing/none");
	assert_int_equal(cman_sweep_file_hash(path, &h, &err), CMAN_EIO);
}

static void test_journal_roundtrip(void **state)
{
	struct cman_sweep_grid g;
	struct cman_sweep_results r;
	struct cman_sweep_journal j;
	struct cman_error err = { 0 };
	const char *sets[] = { "simulation.join_delay={mean_seconds: 1, stdev_seconds: 2}" };
	/* values that need all 17 digits */
	struct cman_sweep_run a = { { 0.1 + 0.2, 1.0 / 3, 2e-300, 7 } };
	struct cman_sweep_run b = { { 3954.94767044123, 0, 1e17, 0 } };
	char path[512];
	size_t n = 99;

	(void)state;
	path_in(path, sizeof(path), "rt.jsonl");
	unlink(path);
	make_grid(&g);
	assert_int_equal(cman_sweep_results_init(&r, 4, 3, &err), 0);
	assert_int_equal(cman_sweep_journal_open(&j, path, 42, sets, 1, &g, 10, &r, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(cman_sweep_journal_append(&j, &g, 2, 11, &a, &err), 0);
	assert_int_equal(cman_sweep_journal_append(&j, &g, 3, 12, &b, &err), 0);
	cman_sweep_journal_close(&j);
	cman_sweep_journal_close(&j);
	assert_int_equal(cman_sweep_journal_append(&j, &g, 3, 12, &b, &err), CMAN_EIO);
	cman_sweep_results_release(&r);

	assert_int_equal(cman_sweep_results_init(&r, 4, 3, &err), 0);
	assert_int_equal(cman_sweep_journal_open(&j, path, 42, sets, 1, &g, 10, &r, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r.n_done, 2);
	assert_true(r.done[2 * 3 + 1]);
	assert_true(r.done[3 * 3 + 2]);
	assert_memory_equal(&r.runs[2 * 3 + 1], &a, sizeof(a));   /* bit for bit */
	assert_memory_equal(&r.runs[3 * 3 + 2], &b, sizeof(b));
	cman_sweep_journal_close(&j);
	cman_sweep_results_release(&r);

	/* fewer replicas or another first seed: those runs do not belong */
	assert_int_equal(cman_sweep_results_init(&r, 4, 2, &err), 0);
	assert_int_equal(cman_sweep_journal_open(&j, path, 42, sets, 1, &g, 10, &r, &n, &err), 0);
	assert_int_equal(n, 1);
	cman_sweep_journal_close(&j);
	cman_sweep_results_release(&r);
	assert_int_equal(cman_sweep_results_init(&r, 4, 3, &err), 0);
	assert_int_equal(cman_sweep_journal_open(&j, path, 42, sets, 1, &g, 12, &r, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(r.done[3 * 3 + 0]);
	cman_sweep_journal_close(&j);
	cman_sweep_results_release(&r);

	/* another sweep: other hash, other fixed overrides */
	assert_int_equal(cman_sweep_results_init(&r, 4, 3, &err), 0);
	assert_int_equal(cman_sweep_journal_open(&j, path, 43, sets, 1, &g, 10, &r, &n, &err),
			 CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "the journal of another sweep"));
	assert_int_equal(j.fd, -1);
	assert_int_equal(cman_sweep_journal_open(&j, path, 42, sets, 0, &g, 10, &r, &n, &err),
			 CMAN_EINVAL);
	cman_sweep_results_release(&r);
	cman_sweep_grid_release(&g);
}

static void test_journal_other_grid(void **state)
{
	struct cman_sweep_grid g, g2;
	struct cman_sweep_results r;
	struct cman_sweep_journal j;
	struct cman_error err = { 0 };
	struct cman_sweep_run a = { { 1, 2, 3, 4 } };
	char path[512];
	size_t n;

	(void)state;
	path_in(path, sizeof(path), "grid.jsonl");
	unlink(path);
	make_grid(&g);
	assert_int_equal(cman_sweep_results_init(&r, 4, 1, &err), 0);
	assert_int_equal(cman_sweep_journal_open(&j, path, 1, NULL, 0, &g, 0, &r, &n, &err), 0);
	for (n = 0; n < 4; n++)
		assert_int_equal(cman_sweep_journal_append(&j, &g, n, 0, &a, &err), 0);
	cman_sweep_journal_close(&j);
	cman_sweep_results_release(&r);

	/* a grid with one more discount: the old points are found again */
	cman_sweep_grid_init(&g2);
	assert_int_equal(cman_sweep_grid_add(&g2, "simulation.discount=0.5,0.7,1", &err), 0);
	assert_int_equal(cman_sweep_grid_add(&g2, "simulation.billing=per-second,per-hour", &err),
			 0);
	assert_int_equal(cman_sweep_results_init(&r, 6, 1, &err), 0);
	assert_int_equal(cman_sweep_journal_open(&j, path, 1, NULL, 0, &g2, 0, &r, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_true(r.done[0] && r.done[1] && !r.done[2] && !r.done[3] && r.done[4] && r.done[5]);
	cman_sweep_journal_close(&j);
	cman_sweep_results_release(&r);
	cman_sweep_grid_release(&g2);

	/* a grid over another key: nothing matches */
	cman_sweep_grid_init(&g2);
	assert_int_equal(cman_sweep_grid_add(&g2, "simulation.discount=0.5,1", &err), 0);
	assert_int_equal(cman_sweep_results_init(&r, 2, 1, &err), 0);
	assert_int_equal(cman_sweep_journal_open(&j, path, 1, NULL, 0, &g2, 0, &r, &n, &err), 0);
	assert_int_equal(n, 0);
	cman_sweep_journal_close(&j);
	cman_sweep_results_release(&r);
	cman_sweep_grid_release(&g2);
	cman_sweep_grid_release(&g);
}

static void test_journal_torn_and_corrupt(void **state)
{
	struct cman_sweep_grid g;
	struct cman_sweep_results r;
	struct cman_sweep_journal j;
	struct cman_error err = { 0 };
	struct cman_sweep_run a = { { 1, 2, 3, 4 } };
	char path[512], *text, *torn;
	size_t n, len;
	FILE *fp;


	(void)state;
	path_in(path, sizeof(path), "torn.jsonl");
	unlink(path);
	make_grid(&g);
	assert_int_equal(cman_sweep_results_init(&r, 4, 1, &err), 0);
	assert_int_equal(cman_sweep_journal_open(&j, path, 1, NULL, 0, &g, 0, &r, &n, &err), 0);
	assert_int_equal(cman_sweep_journal_append(&j, &g, 0, 0, &a, &err), 0);
	assert_int_equal(cman_sweep_journal_append(&j, &g, 1, 0, &a, &err), 0);
	cman_sweep_journal_close(&j);
	text = slurp(path);
	len = strlen(text);

	/* the last line cut in the middle: ignored and cut off the file */
	torn = strndup(text, len - 20);
	spit(path, torn);
	cman_sweep_results_release(&r);
	assert_int_equal(cman_sweep_results_init(&r, 4, 1, &err), 0);
	assert_int_equal(cman_sweep_journal_open(&j, path, 1, NULL, 0, &g, 0, &r, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cman_sweep_journal_append(&j, &g, 2, 0, &a, &err), 0);
	cman_sweep_journal_close(&j);
	free(torn);
	torn = slurp(path);
	assert_int_equal(count_lines(torn), 3);    /* header, point 0, point 2 */
	assert_int_equal(torn[strlen(torn) - 1], '\n');
	cman_sweep_results_release(&r);
	assert_int_equal(cman_sweep_results_init(&r, 4, 1, &err), 0);
	assert_int_equal(cman_sweep_journal_open(&j, path, 1, NULL, 0, &g, 0, &r, &n, &err), 0);
	assert_int_equal(n, 2);          /* points 0 and 2: the torn one is gone */
	assert_true(r.done[0] && !r.done[1] && r.done[2]);
	cman_sweep_journal_close(&j);
	free(torn);

	/* a torn header: the journal starts again */
	spit(path, "{\"sweep_jour");
	cman_sweep_results_release(&r);
	assert_int_equal(cman_sweep_results_init(&r, 4, 1, &err), 0);
	assert_int_equal(cman_sweep_journal_open(&j, path, 1, NULL, 0, &g, 0, &r, &n, &err), 0);
	assert_int_equal(n, 0);
	cman_sweep_journal_close(&j);

	/* a broken line in the middle is an error naming its line */
	fp = fopen(path, "ab");
	assert_non_null(fp);
	fputs("{\"sets\": [\"simulation.discount=0.5\"], garbage\n", fp);
	fputs("{\"sets\":[],\"seed\":0}\n", fp);
	fclose(fp);
	assert_int_equal(cman_sweep_journal_open(&j, path, 1, NULL, 0, &g, 0, &r, &n, &err),
			 CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "torn.jsonl:2:"));
	assert_int_equal(j.fd, -1);
	/* a record without its totals */
	free(text);
	text = slurp(path);
	*strchr(text, '\n') = '\0';
	spit(path, text);
	fp = fopen(path, "ab");
	fputs("\n{\"sets\":[],\"seed\":0}\n", fp);
	fclose(fp);
	assert_int_equal(cman_sweep_journal_open(&j, path, 1, NULL, 0, &g, 0, &r, &n, &err),
			 CMAN_EINVAL);
	assert_non_null(strstr(err.msg, ":2: not a journal record: expected sets, seed"));
	free(text);

	/* not a folder we can write in */
	assert_int_equal(cman_sweep_journal_open(&j, "/nonexistent-dir/j.jsonl", 1, NULL, 0, &g,
						 0, &r, &n, &err), CMAN_EIO);
	cman_sweep_results_release(&r);
	cman_sweep_grid_release(&g);
}

/* ---- outputs ---- */

static void test_write_csv(void **state)
{
	struct cman_sweep_grid g;
	struct cman_sweep_results r;
	struct cman_sweep_summary s[2];
	struct cman_error err = { 0 };
	char path[512], *text, *line2;

	(void)state;
	cman_sweep_grid_init(&g);
	assert_int_equal(cman_sweep_grid_add(&g, "k={a: 1, b: 2},x", &err), 0);
	fill(&r);
	assert_int_equal(cman_sweep_summarize(&r, s, &err), 0);
	path_in(path, sizeof(path), "sweep.csv");
	assert_int_equal(cman_sweep_write_csv(path, &g, &r, s, &err), 0);
	text = slurp(path);
	assert_int_equal(strncmp(text, "k,replicas,cost_mean,cost_ci95_low,cost_ci95_high,"
				 "cost_p5,cost_p50,cost_p95,unused_cost_mean,", 60), 0);
	assert_non_null(strstr(text, ",oversubscribed_gpu_hours_p95,pareto\n"));
	line2 = strchr(text, '\n') + 1;
	/* point 1: cost 0 and 1: mean 0.5, half-width 12.7062047362 * 0.5 */
	assert_int_equal(strncmp(line2, "\"{a: 1, b: 2}\",2,0.5,-5.853102368,6.853102368,0.05,"
				 "0.5,0.95,", 50), 0);
	assert_non_null(strstr(line2, ",1\nx,2,10.5,"));
	assert_int_equal(text[strlen(text) - 2], '0');     /* point 2: not on the front */
	free(text);
	/* unwritable */
	assert_int_equal(cman_sweep_write_csv("/nonexistent-dir/sweep.csv", &g, &r, s, &err),
			 CMAN_EIO);
	cman_sweep_results_release(&r);
	cman_sweep_grid_release(&g);
}

static void test_write_html(void **state)
{
	struct cman_sweep_grid g;
	struct cman_sweep_results r;
	struct cman_sweep_summary s[2];
	struct cman_error err = { 0 };
	char path[512], path2[512], *a, *b;

	(void)state;
	cman_sweep_grid_init(&g);
	assert_int_equal(cman_sweep_grid_add(&g, "k=<1>,\"&\"", &err), 0);
	fill(&r);
	assert_int_equal(cman_sweep_summarize(&r, s, &err), 0);
	path_in(path, sizeof(path), "a.html");
	path_in(path2, sizeof(path2), "b.html");
	assert_int_equal(cman_sweep_write_html(path, "Sweep <t>", &g, &r, s, 7, &err), 0);
	assert_int_equal(cman_sweep_write_html(path2, "Sweep <t>", &g, &r, s, 7, &err), 0);
	a = slurp(path);
	b = slurp(path2);
	assert_string_equal(a, b);                   /* deterministic */
	assert_non_null(strstr(a, "<title>Sweep &lt;t&gt;</title>"));
	assert_non_null(strstr(a, "<svg"));
	assert_non_null(strstr(a, "&lt;1&gt;"));
	assert_non_null(strstr(a, "&quot;&amp;&quot;"));
	assert_non_null(strstr(a, "seed 7 + <i>r</i>"));
	assert_non_null(strstr(a, "class=\"best\""));
	assert_non_null(strstr(a, "class=\"err\""));   /* error bars */
	assert_null(strstr(a, "<script"));
	assert_null(strstr(a, "https:"));
	assert_null(strstr(a, "<1>"));
	free(a);
	free(b);
	assert_int_equal(cman_sweep_write_html("/nonexistent-dir/s.html", "t", &g, &r, s, 0,
					       &err), CMAN_EIO);
	cman_sweep_results_release(&r);
	cman_sweep_grid_release(&g);
}

static int setup(void **state)
{
	(void)state;
	return cman_test_mkdtemp(tmpdir, sizeof(tmpdir), "cman-test-sweep.") ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grid_values),
		cmocka_unit_test(test_grid_errors),
		cmocka_unit_test(test_grid_too_big),
		cmocka_unit_test(test_grid_points),
		cmocka_unit_test(test_rename_set),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_stats_errors),
		cmocka_unit_test(test_pareto),
		cmocka_unit_test(test_results_summarize),
		cmocka_unit_test(test_file_hash),
		cmocka_unit_test(test_journal_roundtrip),
		cmocka_unit_test(test_journal_other_grid),
		cmocka_unit_test(test_journal_torn_and_corrupt),
		cmocka_unit_test(test_write_csv),
		cmocka_unit_test(test_write_html),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
