/*
 * Tests for cman/sim/pricefit.h: the spot-price model's generation (bounds,
 * ticks, heartbeat, determinism), its fit on long generated series (the
 * true parameters come back) and on real 2016 prices, and error paths.
 *
 * Tolerances (stated with the sample sizes they assume): 400 simulated days
 * on a 300 s grid (115,200 steps, ~200 jumps): mu within 10 %, theta within
 * 25 % (the AR(1) coefficient's sd is ~3.5 % of 1 - phi here), sigma within
 * 10 %, jump rate within 20 % (Poisson sd ~7 %), jump log mean/stdev within
 * 0.06.  A model re-simulated from its fit reproduces the recorded mean
 * within 6 %, stdev within 15 % and jump rate within 25 %.
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

#include <cmocka.h>

#include "cman/catalog.h"
#include "cman/err.h"
#include "cman/import.h"
#include "cman/rng.h"
#include "cman/sim/pricefit.h"
#include "cman/store.h"

#define DATA CMAN_SOURCE_DIR "/tests/data/"
#define T0 1456790400   /* 2016-03-01T00:00:00Z */
#define DAY 86400

struct pts {
	struct cman_price_point *v;
	size_t n, cap;
};

static int collect(void *ctx, int64_t t, double price)
{
	struct pts *p = ctx;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4096;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		assert_non_null(p->v);
	}
	p->v[p->n].t = t;
	p->v[p->n++].price = price;
	return 0;
}

static struct cman_price_model truth(void)
{
	struct cman_price_model m;

	cman_price_model_init(&m);
	m.mu = 0.5;
	m.theta = 4;
	m.sigma = 0.15;
	m.jump_rate = 0.5;
	m.jump_log_mean = 0.8;
	m.jump_log_stdev = 0.2;
	m.floor = 0.05;
	m.ceiling = 20;
	return m;
}

static void simulate(const struct cman_price_model *m, const char *stream, int64_t days,
		     struct pts *out)
{
	gsl_rng *r = cman_rng_stream(7, stream);
	struct cman_error err = { 0 };

	out->n = 0;
	assert_int_equal(cman_price_simulate(m, r, T0, T0 + days * DAY, collect, out, &err), 0);
	gsl_rng_free(r);
}

static void test_model_check(void **state)
{
	static const struct {
		const char *field;
		double value;
		const char *why;
	} cases[] = {
		{ "mu", -1, "mu" }, { "theta", 0, "theta" }, { "sigma", -0.1, "sigma" },
		{ "jump_rate", -1, "jump_rate" }, { "jump_log_stdev", -1, "jump_log_stdev" },
		{ "floor", -1, "floor" }, { "ceiling", 0.01, "ceiling" }, { "tick", 0, "tick" },
		{ "dt", 0, "dt_seconds" }, { "theta", 500, "theta * dt" },
		{ "start", -2, "start" }, { "jump_log_mean", NAN, "jump_log_mean" },
	};
	char why[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_price_model m = truth();

		m.floor = 0.05;
		if (!strcmp(cases[i].field, "mu")) m.mu = cases[i].value;
		if (!strcmp(cases[i].field, "theta")) m.theta = cases[i].value;
		if (!strcmp(cases[i].field, "sigma")) m.sigma = cases[i].value;
		if (!strcmp(cases[i].field, "jump_rate")) m.jump_rate = cases[i].value;
		if (!strcmp(cases[i].field, "jump_log_mean")) m.jump_log_mean = cases[i].value;
		if (!strcmp(cases[i].field, "jump_log_stdev")) m.jump_log_stdev = cases[i].value;
		if (!strcmp(cases[i].field, "floor")) m.floor = cases[i].value;
		if (!strcmp(cases[i].field, "ceiling")) m.ceiling = cases[i].value;
		if (!strcmp(cases[i].field, "tick")) m.tick = cases[i].value;
		if (!strcmp(cases[i].field, "dt")) m.dt = (int64_t)cases[i].value;
		if (!strcmp(cases[i].field, "start")) m.start = cases[i].value;
		why[0] = '\0';
		if (cman_price_model_check(&m, why, sizeof(why)) != -1 || !strstr(why, cases[i].why))
			fail_msg("%s = %g: got '%s'", cases[i].field, cases[i].value, why);
	}
	{
		struct cman_price_model m = truth();
		struct cman_error err = { 0 };
		gsl_rng *r = cman_rng_stream(1, "x");
		struct pts p = { 0 };

		assert_int_equal(cman_price_model_check(&m, why, sizeof(why)), 0);
		m.theta = -1;
		assert_int_equal(cman_price_simulate(&m, r, 0, 100, collect, &p, &err), CMAN_EINVAL);
		assert_non_null(strstr(err.msg, "theta must be positive"));
		gsl_rng_free(r);
	}
}

static void test_simulate_bounds(void **state)
{
	struct cman_price_model m = truth();
	struct pts a = { 0 }, b = { 0 };
	size_t i, at_floor = 0, at_ceiling = 0;

	/* wild: frequent big jumps that hit the ceiling, noise that hits the floor */
	m.sigma = 1.0;
	m.jump_rate = 6;
	m.jump_log_mean = 1.5;
	m.floor = 0.2;
	m.ceiling = 1.5;
	m.heartbeat = 3600;
	m.tick = 0.001;
	simulate(&m, "bounds", 60, &a);
	assert_true(a.n > 1000);
	assert_int_equal(a.v[0].t, T0);
	for (i = 0; i < a.n; i++) {
		double q = a.v[i].price / m.tick;

		assert_true(a.v[i].price >= m.floor - 1e-12 && a.v[i].price <= m.ceiling + 1e-12);
		assert_true(fabs(q - round(q)) < 1e-6);
		at_floor += a.v[i].price <= m.floor + 1e-9;
		at_ceiling += a.v[i].price >= m.ceiling - 1e-9;
		if (i) {
			assert_true(a.v[i].t > a.v[i - 1].t);
			assert_true(a.v[i].t - a.v[i - 1].t <= m.heartbeat);
			assert_true((a.v[i].t - T0) % m.dt == 0);
		}
	}
	assert_true(at_floor > 0);
	assert_true(at_ceiling > 0);
	/* the same stream gives the same prices, another stream others */
	simulate(&m, "bounds", 60, &b);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.v, b.v, a.n * sizeof(*a.v));
	simulate(&m, "other", 60, &b);
	assert_true(a.n != b.n || memcmp(a.v, b.v, a.n * sizeof(*a.v)) != 0);
	/* no heartbeat and no moves: one sample */
	m = truth();
	m.sigma = 0;
	m.jump_rate = 0;
	m.heartbeat = 0;
	simulate(&m, "flat", 5, &b);
	assert_int_equal(b.n, 1);
	assert_true(fabs(b.v[0].price - 0.5) < 1e-12);
	free(a.v);
	free(b.v);
}

static void test_fit_recovers(void **state)
{
	struct cman_price_model m = truth(), *f;
	struct cman_price_fit fit, fit2;
	struct cman_price_fit_opts o;
	struct cman_error err = { 0 };
	struct pts p = { 0 }, q = { 0 };

	simulate(&m, "recover", 400, &p);
	cman_price_fit_opts_init(&o);
	assert_int_equal(cman_price_fit(p.v, p.n, &o, &fit, &err), 0);
	f = &fit.model;
	print_message("fit: mu %.4f theta %.3f sigma %.4f rate %.3f jlm %.3f jls %.3f"
		      " (mean %.4f sd %.4f, %zu jumps, %zu drops)\n", f->mu, f->theta, f->sigma,
		      f->jump_rate, f->jump_log_mean, f->jump_log_stdev, fit.mean, fit.stdev,
		      fit.n_jumps, fit.n_drops);
	assert_true(fit.reversion_found);
	assert_false(fit.theta_from_mean);
	assert_true(fabs(f->mu - m.mu) <= 0.10 * m.mu);
	assert_true(fabs(f->theta - m.theta) <= 0.25 * m.theta);
	assert_true(fabs(f->sigma - m.sigma) <= 0.10 * m.sigma);
	assert_true(fabs(f->jump_rate - m.jump_rate) <= 0.20 * m.jump_rate);
	assert_true(fabs(f->jump_log_mean - m.jump_log_mean) <= 0.06);
	assert_true(fabs(f->jump_log_stdev - m.jump_log_stdev) <= 0.06);
	assert_true(f->floor >= m.floor && f->ceiling <= m.ceiling);
	assert_true(fabs(f->tick - 1e-4) < 1e-12);
	assert_int_equal(f->dt, 300);

	/* the fitted model reproduces the recorded mean, spread and jump frequency */
	simulate(f, "reproduce", 400, &q);
	assert_int_equal(cman_price_fit(q.v, q.n, &o, &fit2, &err), 0);
	print_message("recorded mean %.4f sd %.4f rate %.3f; re-simulated mean %.4f sd %.4f"
		      " rate %.3f\n", fit.mean, fit.stdev, f->jump_rate, fit2.mean, fit2.stdev,
		      fit2.model.jump_rate);
	assert_true(fabs(fit2.mean - fit.mean) <= 0.06 * fit.mean);
	assert_true(fabs(fit2.stdev - fit.stdev) <= 0.15 * fit.stdev);
	assert_true(fabs(fit2.model.jump_rate - f->jump_rate) <= 0.25 * f->jump_rate);
	free(p.v);
	free(q.v);
}

/* The real 2016 prices of m4.10xlarge in us-east-1a (one week). */
static void real_points(struct pts *p)
{
	struct cman_store *st;
	struct cman_cursor *cur;
	struct cman_sample s;
	const struct cman_catalog *cat;
	struct cman_error err = { 0 };

	assert_int_equal(cman_catalog_builtin(&cat, NULL), 0);
	assert_int_equal(cman_store_memory_new(&st, NULL), 0);
	assert_int_equal(cman_import_aws_spot_csv(DATA "aws_spot_2016_m4-1a.csv.gz", NULL, st,
						  cat, NULL, &err), 0);
	assert_int_equal(cman_store_open_cursor(st, CMAN_METADATA, "spot_prices|"
						"aws_availability_zone=us-east-1a,aws_instance_type="
						"m4.10xlarge", INT64_MIN, INT64_MAX, 0, &cur, &err), 0);
	p->n = 0;
	while (cman_cursor_next(cur, &s, &err) == 1)
		collect(p, s.t, s.value);
	cman_cursor_close(cur);
	cman_store_free(st);
}

static void test_fit_real(void **state)
{
	struct cman_price_fit fit, fit2;
	struct cman_price_fit_opts o;
	struct cman_error err = { 0 };
	struct pts p = { 0 }, q = { 0 };
	double sw = 0, swx = 0, prev;
	size_t i, j, raw_up = 0, grid_up = 0;
	int64_t t1;

	real_points(&p);
	assert_int_equal(p.n, 1356);
	cman_price_fit_opts_init(&o);
	assert_int_equal(cman_price_fit(p.v, p.n, &o, &fit, &err), 0);
	/* the time-weighted mean, computed here independently */
	t1 = p.v[p.n - 1].t;
	for (i = 0; i + 1 < p.n; i++) {
		sw += (double)(p.v[i + 1].t - p.v[i].t);
		swx += (double)(p.v[i + 1].t - p.v[i].t) * p.v[i].price;
	}
	assert_true(fabs(fit.mean - swx / sw) <= 0.01 * swx / sw);
	assert_int_equal(fit.t1, t1);
	/* jumps: upward 5-minute moves beyond the threshold, counted here */
	prev = p.v[0].price;
	for (int64_t t = p.v[0].t + 300, j0 = 0; t <= t1; t += 300) {
		double cur;

		j = (size_t)j0;
		while (j + 1 < p.n && p.v[j + 1].t <= t)
			j++;
		j0 = (int64_t)j;
		cur = p.v[j].price;
		grid_up += log(cur / prev) > fit.threshold;
		prev = cur;
	}
	for (i = 1; i < p.n; i++)
		raw_up += log(p.v[i].price / p.v[i - 1].price) > fit.threshold;
	print_message("real: mean %.4f (independent %.4f) sd %.4f, threshold %.3f, %zu jumps"
		      " (%.2f/day; %zu on the grid here, %zu raw upward moves beyond it)\n",
		      fit.mean, swx / sw, fit.stdev, fit.threshold, fit.n_jumps,
		      fit.model.jump_rate, grid_up, raw_up);
	assert_int_equal(fit.n_jumps, grid_up);
	assert_true(fit.n_jumps > 0);
	assert_true((double)fit.n_jumps <= 1.2 * (double)raw_up);
	assert_true(fabs(fit.model.jump_rate - (double)fit.n_jumps / fit.days) < 1e-9);
	assert_true(fit.model.floor == fit.min && fit.model.ceiling == fit.max);
	assert_true(fit.model.mu >= fit.model.floor && fit.model.mu <= fit.mean);

	/* re-simulated a year: the long-run mean is the recorded one within 15 % */
	{
		gsl_rng *r = cman_rng_stream(3, "real");

		assert_int_equal(cman_price_simulate(&fit.model, r, T0, T0 + 365 * DAY, collect, &q,
						     &err), 0);
		gsl_rng_free(r);
		assert_int_equal(cman_price_fit(q.v, q.n, &o, &fit2, &err), 0);
		print_message("real re-simulated: mean %.4f sd %.4f rate %.2f/day\n", fit2.mean,
			      fit2.stdev, fit2.model.jump_rate);
		assert_true(fabs(fit2.mean - fit.mean) <= 0.15 * fit.mean);
	}
	free(p.v);
	free(q.v);
}

static void test_fit_errors(void **state)
{
	struct cman_price_point one[1] = { { 0, 1 } };
	struct cman_price_point zero[2] = { { 0, 1 }, { 100000, 0 } };
	struct cman_price_point unsorted[2] = { { 100000, 1 }, { 0, 1 } };
	struct cman_price_point shortw[2] = { { 0, 1 }, { 2000, 2 } };
	struct cman_price_fit_opts o;
	struct cman_price_fit fit;
	struct cman_error err = { 0 };

	cman_price_fit_opts_init(&o);
	assert_int_equal(cman_price_fit(one, 1, &o, &fit, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "at least two samples"));
	assert_int_equal(cman_price_fit(zero, 2, &o, &fit, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "not positive"));
	assert_int_equal(cman_price_fit(unsorted, 2, &o, &fit, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "time order"));
	assert_int_equal(cman_price_fit(shortw, 2, &o, &fit, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "fewer than 10 steps"));
	o.dt = 0;
	assert_int_equal(cman_price_fit(zero, 2, &o, &fit, &err), CMAN_EINVAL);
}

static void test_fit_flat_and_print(void **state)
{
	struct cman_price_point flat[2] = { { T0, 0.25 }, { T0 + 10 * DAY, 0.25 } };
	struct cman_price_fit_opts o;
	struct cman_price_fit fit;
	struct cman_error err = { 0 };
	char buf[4096] = "";
	FILE *fp = fmemopen(buf, sizeof(buf) - 1, "w");
	char why[128];

	cman_price_fit_opts_init(&o);
	assert_int_equal(cman_price_fit(flat, 2, &o, &fit, &err), 0);
	assert_false(fit.reversion_found);
	assert_true(fit.model.mu == 0.25 && fit.model.sigma == 0 && fit.n_jumps == 0);
	assert_true(fit.stdev == 0);
	assert_int_equal(cman_price_model_check(&fit.model, why, sizeof(why)), 0);
	/* a window given explicitly */
	o.t0 = T0 + DAY;
	o.t1 = T0 + 3 * DAY;
	assert_int_equal(cman_price_fit(flat, 2, &o, &fit, &err), 0);
	assert_int_equal(fit.t0, T0 + DAY);
	assert_true(fabs(fit.days - 2) < 1e-12);
	assert_non_null(fp);
	cman_price_fit_print(fp, &fit, "flat", "<m4.large, us-east-1a>");
	fclose(fp);
	assert_non_null(strstr(buf, "- name: flat\n  spot_price:\n    market: \"<m4.large,"
			       " us-east-1a>\"\n    mu: 0.25\n"));
	assert_non_null(strstr(buf, "# recorded: mean 0.25, stdev 0,"));
	assert_non_null(strstr(buf, "no reversion found"));
}

/* The spike regime (issue 8.6): spikes drawn from the listed pairs come
 * back from a fit of a long path with their rate, durations and levels;
 * the fit's check finds the re-simulated model good, and the single-regime
 * model of the same path poor. */
static void test_spike_regime(void **state)
{
	struct cman_price_model m = truth();
	struct cman_price_fit_opts o;
	struct cman_price_fit f;
	struct cman_price_gof g;
	struct cman_error err = { 0 };
	struct pts p = { 0 };
	gsl_rng *r = cman_rng_stream(7, "spiky/price"), *rs = cman_rng_stream(7, "spiky/spikes");
	double hours = 0;
	size_t i;

	(void)state;
	m.jump_rate = 0;
	m.spike_rate = 0.5;                   /* one spike every 2 days */
	m.n_spikes = 2;
	m.spikes[0] = (struct cman_price_spike){ 2.0, 5.0 };
	m.spikes[1] = (struct cman_price_spike){ 6.0, 20.0 };
	m.ceiling = 30;
	/* without its stream the spike regime is refused */
	assert_int_equal(cman_price_simulate(&m, r, T0, T0 + DAY, collect, &p, &err),
			 CMAN_EINVAL);
	assert_int_equal(cman_price_simulate_regimes(&m, r, rs, T0, T0 + 400 * DAY, collect,
						     &p, &err), 0);
	gsl_rng_free(r);
	gsl_rng_free(rs);
	cman_price_fit_opts_init(&o);
	o.spike_factor = 3;   /* the base regime stays well under 1.5 */
	assert_int_equal(cman_price_fit(p.v, p.n, &o, &f, &err), 0);
	/* ~200 spikes: Poisson sd ~7 % */
	assert_true(fabs(f.model.spike_rate - 0.5) < 0.1);
	assert_int_equal(f.model.n_spikes, f.n_spike_runs);
	for (i = 0; i < f.model.n_spikes; i++) {
		const struct cman_price_spike *s = &f.model.spikes[i];

		/* the last one may be cut by the end of the path */
		if (i + 1 < f.model.n_spikes && !(fabs(s->hours - 2) < 1e-9 ||
						  fabs(s->hours - 6) < 1e-9))
			fail_msg("spike %zu of %zu: %g h at %g", i, f.model.n_spikes, s->hours, s->level);
		assert_true(fabs(s->level - 5.0) < 1e-9 || fabs(s->level - 20.0) < 1e-9);
		if (i + 1 < f.model.n_spikes)
			assert_true(fabs(s->level - (s->hours < 3 ? 5.0 : 20.0)) < 1e-9);
		hours += s->hours;
	}
	assert_true(fabs(hours / (double)f.model.n_spikes - 4) < 0.6);
	assert_true(fabs(f.model.mu - 0.5) < 0.05);
	assert_int_equal(cman_price_fit_check(&f, p.v, p.n, 1, 400, &g, &err), 0);
	if (g.poor)
		fail_msg("regime fit judged poor: %s", g.why);
	assert_true(g.ks < 0.1);
	assert_true(fabs(g.sim.spike_hours_median - g.rec.spike_hours_median) < 4.01);
	/* the single-regime model cannot hold a spike for hours */
	o.spike_factor = 0;
	assert_int_equal(cman_price_fit(p.v, p.n, &o, &f, &err), 0);
	assert_true(f.model.spike_rate == 0);
	assert_int_equal(cman_price_fit_check(&f, p.v, p.n, 1, 400, &g, &err), 0);
	assert_true(g.poor);
	free(p.v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_check),
		cmocka_unit_test(test_simulate_bounds),
		cmocka_unit_test(test_fit_recovers),
		cmocka_unit_test(test_fit_real),
		cmocka_unit_test(test_fit_errors),
		cmocka_unit_test(test_fit_flat_and_print),
		cmocka_unit_test(test_spike_regime),
	};

	cman_gsl_quiet();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
