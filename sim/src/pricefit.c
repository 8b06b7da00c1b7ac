/*
 * pricefit.c - the spot-price model: generation and fit (pricefit.h).
 */
#include "cman/sim/pricefit.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "cman/time.h"

#define DAY 86400.0

void cman_price_model_init(struct cman_price_model *m)
{
	memset(m, 0, sizeof(*m));
	m->theta = 1.0;
	m->ceiling = 1e6;
	m->start = NAN;
	m->tick = 0.0001;
	m->dt = 300;
	m->heartbeat = 6 * 3600;
}

int cman_price_model_check(const struct cman_price_model *m, char *why, size_t n)
{
	const char *msg = NULL;

	if (!isfinite(m->mu) || m->mu < 0)
		msg = "mu must be a non-negative number";
	else if (!isfinite(m->theta) || m->theta <= 0)
		msg = "theta must be positive";
	else if (!isfinite(m->sigma) || m->sigma < 0)
		msg = "sigma must not be negative";
	else if (!isfinite(m->jump_rate) || m->jump_rate < 0)
		msg = "jump_rate must not be negative";
	else if (!isfinite(m->jump_log_mean) || fabs(m->jump_log_mean) > 20)
		msg = "jump_log_mean must be a number between -20 and 20";
	else if (!isfinite(m->jump_log_stdev) || m->jump_log_stdev < 0 || m->jump_log_stdev > 10)
		msg = "jump_log_stdev must be between 0 and 10";
	else if (!isfinite(m->floor) || m->floor < 0)
		msg = "floor must not be negative";
	else if (!isfinite(m->ceiling) || m->ceiling <= m->floor)
		msg = "ceiling must be above floor";
	else if (!isnan(m->start) && (!isfinite(m->start) || m->start < 0))
		msg = "start must be a non-negative price";
	else if (!isfinite(m->tick) || m->tick <= 0)
		msg = "tick must be positive";
	else if (m->dt <= 0 || m->dt > 86400)
		msg = "dt_seconds must be between 1 and 86400";
	else if (m->heartbeat < 0)
		msg = "heartbeat must not be negative";
	else if (m->theta * (double)m->dt / DAY > 1.0)
		msg = "theta * dt must not exceed one (a smaller dt_seconds is needed)";
	if (!msg)
		return 0;
	snprintf(why, n, "%s", msg);
	return -1;
}

static double clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* x to the nearest multiple of tick; for ticks like 0.0001 by dividing by
 * 10000, so that the result is the nearest double to the decimal */
static double quantize(double x, double tick)
{
	double inv = 1.0 / tick;

	if (inv >= 1 && fabs(inv - round(inv)) < 1e-9)
		return round(x * round(inv)) / round(inv);
	return round(x / tick) * tick;
}

int cman_price_simulate(const struct cman_price_model *m, gsl_rng *r, int64_t t0,
			int64_t t1, cman_price_cb cb, void *ctx, struct cman_error *err)
{
	char why[128];
	double x, dtd, sq, last;
	int64_t t, last_t;
	int rc;

	if (cman_price_model_check(m, why, sizeof(why)))
		return cman_error_set(err, CMAN_EINVAL, "spot price model: %s", why);
	if (t1 <= t0)
		return 0;
	dtd = (double)m->dt / DAY;
	sq = sqrt(dtd);
	x = clamp(isnan(m->start) ? m->mu : m->start, m->floor, m->ceiling);
	last = quantize(x, m->tick);
	last_t = t0;
	rc = cb(ctx, t0, last);
	if (rc)
		return rc;
	for (t = t0 + m->dt; t < t1; t += m->dt) {
		double q;

		x += m->theta * (m->mu - x) * dtd + m->sigma * sq * gsl_ran_gaussian(r, 1.0);
		if (m->jump_rate > 0) {
			unsigned k = gsl_ran_poisson(r, m->jump_rate * dtd);

			while (k--)
				x *= exp(m->jump_log_mean + gsl_ran_gaussian(r, m->jump_log_stdev));
		}
		x = clamp(x, m->floor, m->ceiling);
		q = quantize(x, m->tick);
		if (fabs(q - last) >= m->tick * 0.5 || (m->heartbeat && t - last_t >= m->heartbeat)) {
			rc = cb(ctx, t, q);
			if (rc)
				return rc;
			last = q;
			last_t = t;
		}
	}
	return 0;
}

void cman_price_fit_opts_init(struct cman_price_fit_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dt = 300;
	o->jump_k = 5.0;
	o->min_jump_log = 0.1;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of v[0..n) (sorts v). */
static double median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), dcmp);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Robust standard deviation of r[0..n): 1.4826 * MAD; when that is 0 (most
 * steps without change), 1.4826 * the median |r| of the steps that moved. */
static double robust_sd(const double *r, size_t n, double *work)
{
	size_t i, m = 0;
	double med, s;

	memcpy(work, r, n * sizeof(*r));
	med = median(work, n);
	for (i = 0; i < n; i++)
		work[i] = fabs(r[i] - med);
	s = 1.4826 * median(work, n);
	if (s > 0)
		return s;
	for (i = 0; i < n; i++)
		if (r[i] != 0)
			work[m++] = fabs(r[i]);
	return 1.4826 * median(work, m);
}

int cman_price_fit(const struct cman_price_point *pts, size_t n,
		   const struct cman_price_fit_opts *o, struct cman_price_fit *out,
		   struct cman_error *err)
{
	double *g = NULL, *r = NULL, *work = NULL;
	double sw = 0, swx = 0, swxx = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
	double jsum = 0, jsq = 0, dtd, kappa, factor;
	size_t i, j, K, np = 0;
	int64_t t0, t1;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (n < 2)
		return cman_error_set(err, CMAN_EINVAL, "price fit: need at least two samples,"
				      " got %zu", n);
	if (o->dt <= 0 || !(o->jump_k > 0) || !(o->min_jump_log >= 0))
		return cman_error_set(err, CMAN_EINVAL, "price fit: dt and jump_k must be positive");
	for (i = 0; i < n; i++) {
		if (!isfinite(pts[i].price) || pts[i].price <= 0)
			return cman_error_set(err, CMAN_EINVAL, "price fit: price %g at %" PRId64
					      " is not positive", pts[i].price, pts[i].t);
		if (i && pts[i].t < pts[i - 1].t)
			return cman_error_set(err, CMAN_EINVAL, "price fit: samples are not in"
					      " time order");
	}
	t0 = o->t1 > o->t0 ? o->t0 : pts[0].t;
	t1 = o->t1 > o->t0 ? o->t1 : pts[n - 1].t;
	if (t0 < pts[0].t)
		t0 = pts[0].t;
	if (t1 <= t0 || (t1 - t0) / o->dt < 10)
		return cman_error_set(err, CMAN_EINVAL, "price fit: the window holds fewer than"
				      " 10 steps of %" PRId64 " s", o->dt);
	out->t0 = t0;
	out->t1 = t1;
	out->days = (double)(t1 - t0) / DAY;
	dtd = (double)o->dt / DAY;

	/* time-weighted moments of the piecewise-constant history over [t0, t1) */
	j = 0;
	while (j + 1 < n && pts[j + 1].t <= t0)
		j++;
	out->min = out->max = pts[j].price;
	for (i = j; i < n && pts[i].t < t1; i++) {
		int64_t a = pts[i].t > t0 ? pts[i].t : t0;
		int64_t b = i + 1 < n && pts[i + 1].t < t1 ? pts[i + 1].t : t1;
		double w = (double)(b - a), p = pts[i].price;

		if (w <= 0)
			continue;
		sw += w;
		swx += w * p;
		if (p < out->min)
			out->min = p;
		if (p > out->max)
			out->max = p;
	}
	out->mean = swx / sw;
	for (i = j; i < n && pts[i].t < t1; i++) {
		int64_t a = pts[i].t > t0 ? pts[i].t : t0;
		int64_t b = i + 1 < n && pts[i + 1].t < t1 ? pts[i + 1].t : t1;
		double d = pts[i].price - out->mean;

		if (b > a)
			swxx += (double)(b - a) * d * d;
	}
	out->stdev = sqrt(swxx / sw);

	/* resample */
	K = (size_t)((t1 - t0) / o->dt);   /* increments */
	g = malloc((K + 1) * sizeof(*g));
	r = malloc(K * sizeof(*r));
	work = malloc(K * sizeof(*work));
	if (!g || !r || !work) {
		rc = cman_error_set(err, CMAN_ENOMEM, "price fit: out of memory");
		goto out;
	}
	for (i = 0; i <= K; i++) {
		int64_t t = t0 + (int64_t)i * o->dt;

		while (j + 1 < n && pts[j + 1].t <= t)
			j++;
		g[i] = pts[j].price;
	}
	for (i = 0; i < K; i++)
		r[i] = log(g[i + 1] / g[i]);
	out->n_steps = K;
	out->threshold = o->jump_k * robust_sd(r, K, work);
	if (out->threshold < o->min_jump_log)
		out->threshold = o->min_jump_log;
	for (i = 0; i < K; i++) {
		double x = g[i], y = g[i + 1];

		if (r[i] > out->threshold) {
			out->n_jumps++;
			jsum += r[i];
			jsq += r[i] * r[i];
			continue;
		}
		if (r[i] < -out->threshold) {
			out->n_drops++;
			continue;
		}
		np++;
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		syy += y * y;
	}

	cman_price_model_init(&out->model);
	out->model.dt = o->dt;
	out->model.floor = out->min;
	out->model.ceiling = out->max > out->min ? out->max : out->min + 1e-4;
	out->model.jump_rate = (double)out->n_jumps / out->days;
	if (out->n_jumps) {
		double mj = jsum / (double)out->n_jumps;
		double v = out->n_jumps > 1 ? (jsq - (double)out->n_jumps * mj * mj) /
			   (double)(out->n_jumps - 1) : 0;

		out->model.jump_log_mean = mj;
		out->model.jump_log_stdev = v > 0 ? sqrt(v) : 0;
	}
	out->phi = NAN;
	if (np >= 3) {
		double mx = sx / (double)np, my = sy / (double)np;
		double vxx = sxx / (double)np - mx * mx, cxy = sxy / (double)np - mx * my;
		double vyy = syy / (double)np - my * my;

		if (vxx > 1e-18) {
			double phi = cxy / vxx, c = my - phi * mx;
			double ve = vyy - phi * cxy;   /* residual variance */

			out->level = phi < 1 ? c / (1 - phi) : my;
			if (ve < 0)
				ve = 0;
			out->phi = phi;
			if (phi > 0 && phi < 1) {
				out->reversion_found = true;
				out->model.theta = -log(phi) / dtd;
				out->model.sigma = sqrt(ve * 2 * out->model.theta / (1 - phi * phi));
			} else {
				out->model.sigma = sqrt(ve / dtd);
			}
		}
	}
	if (!out->reversion_found)
		out->model.theta = 1.0 / out->days;
	if (out->model.theta * dtd > 1.0)
		out->model.theta = 1.0 / dtd;
	kappa = out->n_jumps ? exp(out->model.jump_log_mean + 0.5 * out->model.jump_log_stdev *
				   out->model.jump_log_stdev) - 1 : 0;
	factor = 1 - out->model.jump_rate * kappa / out->model.theta;
	if (factor < 0.25 && out->model.jump_rate > 0) {
		/* the diffusion's reversion is too slow to undo the jumps (spikes
		 * in real data end abruptly): speed it up until the long-run mean
		 * is the recorded one with mu at the regression's level; sigma
		 * (the local diffusion of the steps) stays */
		double lvl = out->level, th;

		if (!(lvl >= out->min))
			lvl = out->min;
		if (lvl > 0.95 * out->mean)
			lvl = 0.95 * out->mean;
		factor = lvl / out->mean;
		th = out->model.jump_rate * kappa / (1 - factor);
		if (th * dtd > 1.0)
			th = 1.0 / dtd;
		out->model.theta = th;
		factor = 1 - out->model.jump_rate * kappa / th;
		out->theta_from_mean = true;
	}
	out->model.mu = out->mean * factor;
	if (out->model.mu < out->model.floor)
		out->model.mu = out->model.floor;
	out->model.start = g[0];
	/* the tick: the finest decimal step the recorded prices use (>= 1e-6) */
	out->model.tick = 1e-6;
	for (double tk = 1.0; tk >= 1e-6; tk /= 10) {
		bool all = true;

		for (i = 0; i < n && all; i++)
			all = fabs(pts[i].price / tk - round(pts[i].price / tk)) < 1e-6;
		if (all) {
			out->model.tick = tk;
			break;
		}
	}
out:
	free(g);
	free(r);
	free(work);
	return rc;
}

void cman_price_fit_print(FILE *fp, const struct cman_price_fit *f, const char *name,
			  const char *market)
{
	char a[CMAN_TIME_BUFSZ], b[CMAN_TIME_BUFSZ];
	const struct cman_price_model *m = &f->model;

	fprintf(fp, "# fit-prices %s: %s .. %s (%.2f days, %zu steps of %" PRId64 " s)\n",
		market, cman_time_format(f->t0, a), cman_time_format(f->t1, b), f->days,
		f->n_steps, m->dt);
	fprintf(fp, "# recorded: mean %.6g, stdev %.6g, min %.6g, max %.6g\n", f->mean,
		f->stdev, f->min, f->max);
	fprintf(fp, "# moves beyond |log| %.4g: %zu jumps up (%.4g/day), %zu drops;"
		" AR(1) phi %.6g%s\n", f->threshold, f->n_jumps, m->jump_rate, f->n_drops,
		f->phi, f->reversion_found ? "" : " (no reversion found: theta = 1/days)");
	if (f->theta_from_mean)
		fprintf(fp, "# theta raised so that the jumps decay fast enough for the long-run"
			" mean to be the recorded one (regression level %.6g)\n", f->level);
	fprintf(fp, "- name: %s\n", name);
	fprintf(fp, "  spot_price:\n");
	fprintf(fp, "    market: \"%s\"\n", market);
	fprintf(fp, "    mu: %.6g\n", m->mu);
	fprintf(fp, "    theta: %.6g\n", m->theta);
	fprintf(fp, "    sigma: %.6g\n", m->sigma);
	fprintf(fp, "    jump_rate: %.6g\n", m->jump_rate);
	fprintf(fp, "    jump_log_mean: %.6g\n", m->jump_log_mean);
	fprintf(fp, "    jump_log_stdev: %.6g\n", m->jump_log_stdev);
	fprintf(fp, "    floor: %.6g\n", m->floor);
	fprintf(fp, "    ceiling: %.6g\n", m->ceiling);
	fprintf(fp, "    start: %.6g\n", m->start);
	fprintf(fp, "    tick: %.6g\n", m->tick);
	fprintf(fp, "    dt_seconds: %" PRId64 "\n", m->dt);
	fprintf(fp, "    heartbeat_hours: %.6g\n", (double)m->heartbeat / 3600.0);
}
