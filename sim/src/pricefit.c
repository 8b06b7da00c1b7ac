/*
 * pricefit.c - the spot-price model: generation and fit (pricefit.h).
 */
#include "cman/sim/pricefit.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "cman/rng.h"
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
	else if (!isfinite(m->spike_rate) || m->spike_rate < 0)
		msg = "spike_rate must not be negative";
	else if (m->spike_rate > 0 && (m->n_spikes < 1 || m->n_spikes > CMAN_PRICE_MAX_SPIKES))
		msg = "spikes must list 1 to 256 [hours, level] pairs when spike_rate is positive";
	for (size_t i = 0; !msg && i < m->n_spikes && i < CMAN_PRICE_MAX_SPIKES; i++)
		if (!(m->spikes[i].hours > 0) || !isfinite(m->spikes[i].hours) ||
		    !(m->spikes[i].level > 0) || !isfinite(m->spikes[i].level))
			msg = "a spike's hours and level must be positive numbers";
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

int cman_price_simulate_regimes(const struct cman_price_model *m, gsl_rng *r, gsl_rng *rs,
				int64_t t0, int64_t t1, cman_price_cb cb, void *ctx,
				struct cman_error *err)
{
	char why[128];
	double x, dtd, sq, last, p_spike = 0, level = 0;
	int64_t t, last_t, spike_left = 0;
	int rc;

	if (cman_price_model_check(m, why, sizeof(why)))
		return cman_error_set(err, CMAN_EINVAL, "spot price model: %s", why);
	if (m->spike_rate > 0 && !rs)
		return cman_error_set(err, CMAN_EINVAL, "spot price model: the spike regime "
				      "needs its random stream");
	if (t1 <= t0)
		return 0;
	dtd = (double)m->dt / DAY;
	sq = sqrt(dtd);
	if (m->spike_rate > 0)
		p_spike = 1 - exp(-m->spike_rate * dtd);
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
		if (spike_left > 0) {
			spike_left--;   /* a spike's end: at least one base step follows */
		} else if (p_spike > 0 && gsl_rng_uniform(rs) < p_spike) {
			const struct cman_price_spike *sp =
				&m->spikes[gsl_rng_uniform_int(rs, (unsigned long)m->n_spikes)];

			spike_left = llround(sp->hours * 3600.0 / (double)m->dt);
			if (spike_left < 1)
				spike_left = 1;
			level = clamp(sp->level, m->floor, m->ceiling);
		}
		q = quantize(spike_left > 0 ? level : x, m->tick);
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

int cman_price_simulate(const struct cman_price_model *m, gsl_rng *r, int64_t t0,
			int64_t t1, cman_price_cb cb, void *ctx, struct cman_error *err)
{
	return cman_price_simulate_regimes(m, r, NULL, t0, t1, cb, ctx, err);
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
	unsigned char *spike = NULL;
	double sw = 0, swx = 0, swxx = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
	double jsum = 0, jsq = 0, dtd, kappa, factor, mean, days, bsum = 0;
	size_t i, j, K, np = 0, nr = 0, nb = 0;
	int64_t t0, t1;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (n < 2)
		return cman_error_set(err, CMAN_EINVAL, "price fit: need at least two samples,"
				      " got %zu", n);
	if (o->dt <= 0 || !(o->jump_k > 0) || !(o->min_jump_log >= 0) ||
	    !(o->spike_factor >= 0) || !isfinite(o->spike_factor))
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
	work = malloc((K + 1) * sizeof(*work));
	spike = calloc(K + 1, 1);
	if (!g || !r || !work || !spike) {
		rc = cman_error_set(err, CMAN_ENOMEM, "price fit: out of memory");
		goto out;
	}
	for (i = 0; i <= K; i++) {
		int64_t t = t0 + (int64_t)i * o->dt;

		while (j + 1 < n && pts[j + 1].t <= t)
			j++;
		g[i] = pts[j].price;
	}
	memcpy(work, g, (K + 1) * sizeof(*g));
	out->median = median(work, K + 1);
	cman_price_model_init(&out->model);
	mean = out->mean;
	days = out->days;
	if (o->spike_factor > 0) {
		/* the spike regime: runs of points above spike_factor x median */
		size_t run = 0, total;
		double rsum = 0;

		out->spike_threshold = o->spike_factor * out->median;
		for (i = 0; i <= K; i++)
			spike[i] = g[i] > out->spike_threshold;
		for (i = 0; i <= K + 1; i++) {
			if (i <= K && spike[i]) {
				run++;
				rsum += g[i];
				continue;
			}
			if (!run)
				continue;
			out->n_spike_runs++;
			if (out->model.n_spikes < CMAN_PRICE_MAX_SPIKES) {
				struct cman_price_spike *sp = &out->model.spikes[out->model.n_spikes++];

				sp->hours = (double)run * (double)o->dt / 3600.0;
				sp->level = rsum / (double)run;
			}
			run = 0;
			rsum = 0;
		}
		total = out->n_spike_runs;
		if (total > CMAN_PRICE_MAX_SPIKES) {
			/* an even subsample: found again in a second pass */
			size_t k = 0, want = 0, next = 0;

			out->model.n_spikes = 0;
			run = 0;
			rsum = 0;
			for (i = 0; i <= K + 1; i++) {
				if (i <= K && spike[i]) {
					run++;
					rsum += g[i];
					continue;
				}
				if (!run)
					continue;
				next = want * total / CMAN_PRICE_MAX_SPIKES;
				if (k == next && want < CMAN_PRICE_MAX_SPIKES) {
					struct cman_price_spike *sp = &out->model.spikes[want++];

					sp->hours = (double)run * (double)o->dt / 3600.0;
					sp->level = rsum / (double)run;
				}
				k++;
				run = 0;
				rsum = 0;
			}
			out->model.n_spikes = want;
		}
		for (i = 0; i <= K; i++)
			if (!spike[i]) {
				nb++;
				bsum += g[i];
			}
		if (out->n_spike_runs && nb) {
			/* the base regime: its own points and time */
			out->base_mean = bsum / (double)nb;
			mean = out->base_mean;
			days = (double)nb * dtd;
			out->model.spike_rate = (double)out->n_spike_runs / days;
		} else if (out->n_spike_runs) {
			rc = cman_error_set(err, CMAN_EINVAL, "price fit: every price is above "
					    "%g x the median; expected some time outside spikes",
					    o->spike_factor);
			goto out;
		}
	}
	if (!out->n_spike_runs) {
		out->model.n_spikes = 0;
		out->spike_threshold = 0;
		out->base_mean = out->mean;
	}
	/* increments between two base points */
	for (i = 0; i < K; i++)
		if (!spike[i] && !spike[i + 1])
			r[nr++] = log(g[i + 1] / g[i]);
	out->n_steps = K;
	out->threshold = o->jump_k * robust_sd(r, nr, work);
	if (out->threshold < o->min_jump_log)
		out->threshold = o->min_jump_log;
	for (i = 0; i < K; i++) {
		double x = g[i], y = g[i + 1], ri;

		if (spike[i] || spike[i + 1])
			continue;
		ri = log(y / x);
		if (ri > out->threshold) {
			out->n_jumps++;
			jsum += ri;
			jsq += ri * ri;
			continue;
		}
		if (ri < -out->threshold) {
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

	out->model.dt = o->dt;
	out->model.floor = out->min;
	out->model.ceiling = out->max > out->min ? out->max : out->min + 1e-4;
	out->model.jump_rate = (double)out->n_jumps / days;
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
		out->model.theta = 1.0 / days;
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
		if (lvl > 0.95 * mean)
			lvl = 0.95 * mean;
		factor = lvl / mean;
		th = out->model.jump_rate * kappa / (1 - factor);
		if (th * dtd > 1.0)
			th = 1.0 / dtd;
		out->model.theta = th;
		factor = 1 - out->model.jump_rate * kappa / th;
		out->theta_from_mean = true;
	}
	out->model.mu = mean * factor;
	if (out->model.mu < out->model.floor)
		out->model.mu = out->model.floor;
	out->model.start = spike[0] ? out->base_mean : g[0];
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
	free(spike);
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
	if (m->spike_rate > 0) {
		fprintf(fp, "    spike_rate: %.6g\n", m->spike_rate);
		fprintf(fp, "    spikes:   # [hours, $/h] of the recorded spikes\n");
		for (size_t i = 0; i < m->n_spikes; i++)
			fprintf(fp, "      - [%.6g, %.6g]\n", m->spikes[i].hours, m->spikes[i].level);
	}
}

const double cman_price_gof_quantiles[CMAN_PRICE_GOF_NQ] = {
	0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99,
};

/* Statistics of a resampled path g[0..n) (sorted copy in work). */
static void gof_side(const double *g, size_t n, double dt, double threshold, double *work,
		     struct cman_price_gof_side *o)
{
	double s = 0, ss = 0, *dur = NULL;
	size_t i, run = 0, above = 0, nd = 0;

	memset(o, 0, sizeof(*o));
	if (!n)
		return;
	for (i = 0; i < n; i++)
		s += g[i];
	o->mean = s / (double)n;
	for (i = 0; i < n; i++)
		ss += (g[i] - o->mean) * (g[i] - o->mean);
	o->stdev = sqrt(ss / (double)n);
	memcpy(work, g, n * sizeof(*g));
	qsort(work, n, sizeof(*work), dcmp);
	for (int k = 0; k < CMAN_PRICE_GOF_NQ; k++) {
		double h = cman_price_gof_quantiles[k] * (double)(n - 1);
		size_t lo = (size_t)floor(h);

		o->q[k] = lo + 1 < n ? work[lo] + (h - (double)lo) * (work[lo + 1] - work[lo])
				     : work[n - 1];
	}
	/* spike runs; their durations reuse work (sorted values are done) */
	dur = work;
	for (i = 0; i <= n; i++) {
		if (i < n && g[i] > threshold) {
			run++;
			above++;
			continue;
		}
		if (run)
			dur[nd++] = (double)run * dt / 3600.0;
		run = 0;
	}
	o->days = (double)n * dt / DAY;
	o->n_spikes = nd;
	o->spikes_per_day = (double)nd / o->days;
	o->spike_share = (double)above / (double)n;
	if (nd) {
		double sum = 0;

		for (i = 0; i < nd; i++)
			sum += dur[i];
		o->spike_hours_mean = sum / (double)nd;
		o->spike_hours_median = median(dur, nd);
	}
}

/* Two-sample Kolmogorov-Smirnov distance of sorted a[0..na) and b[0..nb). */
static double ks_distance(const double *a, size_t na, const double *b, size_t nb)
{
	size_t i = 0, j = 0;
	double d = 0;

	while (i < na && j < nb) {
		double x = a[i] < b[j] ? a[i] : b[j], e;

		while (i < na && a[i] <= x)
			i++;
		while (j < nb && b[j] <= x)
			j++;
		e = fabs((double)i / (double)na - (double)j / (double)nb);
		if (e > d)
			d = e;
	}
	return d;
}

struct grid_ctx {
	double *g;
	size_t n, filled;
	int64_t t0, dt;
	double last;
};

/* Simulated samples onto the grid: each value holds until the next sample. */
static int grid_cb(void *vctx, int64_t t, double price)
{
	struct grid_ctx *c = vctx;
	size_t k = (size_t)((t - c->t0) / c->dt);

	if (k > c->n)
		k = c->n;
	for (; c->filled < k; c->filled++)
		c->g[c->filled] = c->last;
	c->last = price;
	return 0;
}

static bool ratio_off(double a, double b, double f)
{
	if (!(a > 0) || !(b > 0))
		return a != b;
	return a / b > f || b / a > f;
}

int cman_price_fit_check(const struct cman_price_fit *f, const struct cman_price_point *pts,
			 size_t n, uint64_t seed, double days, struct cman_price_gof *out,
			 struct cman_error *err)
{
	const int64_t dt = f->model.dt;
	size_t K, ns, i, j = 0;
	double *g = NULL, *h = NULL, *wa = NULL, *wb = NULL;
	struct grid_ctx c = { 0 };
	gsl_rng *r = NULL, *rs = NULL;
	size_t used = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->seed = seed;
	if (!n || dt <= 0 || f->t1 <= f->t0 || !(days > 0) || days > 100000)
		return cman_error_set(err, CMAN_EINVAL, "price fit check: nothing to check "
				      "(expected a fit, its samples and 0 < days <= 100000)");
	K = (size_t)((f->t1 - f->t0) / dt) + 1;
	ns = (size_t)(days * DAY / (double)dt);
	if (ns < 2)
		ns = 2;
	g = malloc(K * sizeof(*g));
	h = malloc(ns * sizeof(*h));
	wa = malloc((K > ns ? K : ns) * sizeof(*wa));
	wb = malloc(ns * sizeof(*wb));
	r = cman_rng_stream(seed, "fit-check/price");
	if (f->model.spike_rate > 0)
		rs = cman_rng_stream(seed, "fit-check/spikes");
	if (!g || !h || !wa || !wb || !r || (f->model.spike_rate > 0 && !rs)) {
		rc = cman_error_set(err, CMAN_ENOMEM, "price fit check: out of memory");
		goto out;
	}
	for (i = 0; i < K; i++) {
		int64_t t = f->t0 + (int64_t)i * dt;

		while (j + 1 < n && pts[j + 1].t <= t)
			j++;
		g[i] = pts[j].price;
	}
	c.g = h;
	c.n = ns;
	c.t0 = 0;
	c.dt = dt;
	rc = cman_price_simulate_regimes(&f->model, r, rs, 0, (int64_t)ns * dt, grid_cb, &c, err);
	if (rc)
		goto out;
	for (; c.filled < ns; c.filled++)
		h[c.filled] = c.last;
	out->threshold = f->spike_threshold > 0 ? f->spike_threshold : 2 * f->median;
	gof_side(g, K, (double)dt, out->threshold, wa, &out->rec);
	gof_side(h, ns, (double)dt, out->threshold, wa, &out->sim);
	memcpy(wa, g, K * sizeof(*g));
	qsort(wa, K, sizeof(*wa), dcmp);
	memcpy(wb, h, ns * sizeof(*h));
	qsort(wb, ns, sizeof(*wb), dcmp);
	out->ks = ks_distance(wa, K, wb, ns);
	if (out->ks > 0.2)
		used += (size_t)snprintf(out->why + used, sizeof(out->why) - used,
					 "%sKS distance %.3f > 0.2", used ? "; " : "", out->ks);
	if (used < sizeof(out->why) && ratio_off(out->sim.stdev, out->rec.stdev, 1.5))
		used += (size_t)snprintf(out->why + used, sizeof(out->why) - used,
					 "%sstandard deviation %.4g simulated against %.4g recorded",
					 used ? "; " : "", out->sim.stdev, out->rec.stdev);
	if (used < sizeof(out->why) && out->rec.n_spikes >= 3 &&
	    ratio_off(out->sim.spike_hours_median, out->rec.spike_hours_median, 3))
		used += (size_t)snprintf(out->why + used, sizeof(out->why) - used,
					 "%smedian spike duration %.3g h simulated against %.3g h "
					 "recorded", used ? "; " : "", out->sim.spike_hours_median,
					 out->rec.spike_hours_median);
	if (used < sizeof(out->why) && out->rec.n_spikes >= 3 &&
	    ratio_off(out->sim.spike_share, out->rec.spike_share, 2))
		used += (size_t)snprintf(out->why + used, sizeof(out->why) - used,
					 "%stime in spikes %.3g%% simulated against %.3g%% recorded",
					 used ? "; " : "", 100 * out->sim.spike_share,
					 100 * out->rec.spike_share);
	out->poor = used > 0;
out:
	free(g);
	free(h);
	free(wa);
	free(wb);
	gsl_rng_free(r);
	if (rs)
		gsl_rng_free(rs);
	return rc;
}

void cman_price_gof_print(FILE *fp, const struct cman_price_gof *g)
{
	const struct cman_price_gof_side *a = &g->rec, *b = &g->sim;

	fprintf(fp, "# goodness of fit: the record (%.2f days) against the model simulated for "
		"%.0f days (seed %" PRIu64 "), prices resampled on the model's grid\n",
		a->days, b->days, g->seed);
	fprintf(fp, "#   %-28s %12s %12s\n", "", "recorded", "simulated");
	fprintf(fp, "#   %-28s %12.6g %12.6g\n", "mean $/h", a->mean, b->mean);
	fprintf(fp, "#   %-28s %12.6g %12.6g\n", "standard deviation $/h", a->stdev, b->stdev);
	for (int k = 0; k < CMAN_PRICE_GOF_NQ; k++) {
		char lbl[32];

		snprintf(lbl, sizeof(lbl), "quantile %g", cman_price_gof_quantiles[k]);
		fprintf(fp, "#   %-28s %12.6g %12.6g\n", lbl, a->q[k], b->q[k]);
	}
	fprintf(fp, "#   %-28s %12.6g\n", "KS distance of the prices", g->ks);
	fprintf(fp, "#   spikes: runs above $%.6g/h\n", g->threshold);
	fprintf(fp, "#   %-28s %12.6g %12.6g\n", "spikes per day", a->spikes_per_day,
		b->spikes_per_day);
	fprintf(fp, "#   %-28s %12.6g %12.6g\n", "spike duration, mean h", a->spike_hours_mean,
		b->spike_hours_mean);
	fprintf(fp, "#   %-28s %12.6g %12.6g\n", "spike duration, median h",
		a->spike_hours_median, b->spike_hours_median);
	fprintf(fp, "#   %-28s %11.4g%% %11.4g%%\n", "time in spikes", 100 * a->spike_share,
		100 * b->spike_share);
	if (g->poor)
		fprintf(fp, "# POOR FIT: %s\n", g->why);
	else
		fprintf(fp, "# fit: good (KS <= 0.2, spread within x1.5, spike durations within x3)\n");
}
