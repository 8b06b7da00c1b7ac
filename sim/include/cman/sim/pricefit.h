/*
 * pricefit.h - a spot-price model (mean reversion with jumps, clamped) that
 * generates price histories, and its fit to a recorded history.
 *
 * Model, on a grid of dt seconds (time in days inside the formulas):
 *
 *     x += theta * (mu - x) * dt + sigma * sqrt(dt) * N(0, 1)
 *     K ~ Poisson(jump_rate * dt) jumps, each x *= exp(N(jump_log_mean,
 *         jump_log_stdev))          (a jump then decays by the same reversion)
 *     x  = min(max(x, floor), ceiling)
 *
 * The recorded price is x rounded to the tick; a sample is emitted at the
 * start, whenever the recorded price changes, and at least every heartbeat
 * seconds.  The long-run mean of the price (without clamping) is
 * theta * mu / (theta - jump_rate * kappa) with
 * kappa = exp(jump_log_mean + jump_log_stdev^2 / 2) - 1.
 *
 * Fit (cman_price_fit): the piecewise-constant history is resampled every
 * dt seconds; log increments r_k = log(p_{k+1} / p_k) beyond a threshold
 * (jump_k robust standard deviations, at least min_jump_log) are jumps when
 * upward and spike ends ("drops") when downward; both are left out of an
 * AR(1) regression p_{k+1} = c + phi * p_k + e on the other steps, which
 * gives theta = -ln(phi) / dt and sigma = sd(e) * sqrt(2 theta / (1 -
 * phi^2)).  The jump rate is jumps per day, the jump log mean/stdev those
 * of the jumps' r_k.  mu is set so that the model's long-run mean equals
 * the recorded time-weighted mean: mu = mean * (1 - jump_rate * kappa /
 * theta), not below the floor.  When that factor is below 0.25 (the
 * regression's reversion is too slow to undo the jumps, as with spikes that
 * end abruptly), theta is raised instead so that the long-run mean is the
 * recorded one with mu at the regression's level (clamped to [min, 0.95 *
 * mean]); sigma, the local diffusion of the steps, stays.  floor and ceiling
 * are the recorded minimum and maximum.
 *
 * Spike regime (a regime-switching model; off while spike_rate is 0):
 * while in the base regime above, a spike starts at each grid step with
 * probability 1 - exp(-spike_rate * dt); it draws one of the spikes[] pairs
 * (hours, level) uniformly and holds the recorded price at level (clamped)
 * for that many hours (at least one step), then the base regime's price
 * (which kept evolving underneath) returns for at least one step.  Spike
 * draws come from their own random stream.  fit (with spike_factor > 0): grid points above
 * spike_factor times the median price are spike points; each maximal run
 * of them is a spike, kept as (its duration, its time-weighted mean price);
 * spike_rate is spikes per day of base-regime time; the base regime is
 * fitted as above on the steps between two base points only, mu from the
 * base points' mean.  With too many spikes, an even subsample of
 * CMAN_PRICE_MAX_SPIKES is kept.
 */
#ifndef CMAN_SIM_PRICEFIT_H
#define CMAN_SIM_PRICEFIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "cman/err.h"

#define CMAN_PRICE_MAX_SPIKES 256

struct cman_price_spike {
	double hours;           /* > 0 */
	double level;           /* $/h, > 0 */
};

struct cman_price_model {
	double mu;              /* $/h, the level the price reverts to */
	double theta;           /* reversion rate per day, > 0 */
	double sigma;           /* $/h per sqrt(day), >= 0 */
	double jump_rate;       /* jumps per day, >= 0 */
	double jump_log_mean;   /* mean of a jump's log factor */
	double jump_log_stdev;  /* its standard deviation, >= 0 */
	double floor;           /* >= 0 */
	double ceiling;         /* > floor */
	double start;           /* price at the start; NAN: mu (clamped) */
	double tick;            /* granularity of recorded prices, > 0 */
	int64_t dt;             /* grid step in seconds, > 0 */
	int64_t heartbeat;      /* emit at least every this many seconds; 0: never */
	/* spike regime */
	double spike_rate;      /* spikes per day of base time, >= 0 (0: none) */
	size_t n_spikes;        /* spikes[] to draw from (>= 1 when spike_rate > 0) */
	struct cman_price_spike spikes[CMAN_PRICE_MAX_SPIKES];
};

/* Defaults: theta 1, sigma 0, no jumps, floor 0, ceiling 1e6, start NAN,
 * tick 0.0001, dt 300, heartbeat 6 h; mu 0 (must be set). */
void cman_price_model_init(struct cman_price_model *m);

/* 0 when the parameters are usable, else -1 and why (e.g. "theta must be
 * positive") in why (size n). */
int cman_price_model_check(const struct cman_price_model *m, char *why, size_t n);

/* Called for each emitted sample; a non-zero return stops and is returned. */
typedef int (*cman_price_cb)(void *ctx, int64_t t, double price);

/*
 * Generate the prices of [t0, t1) from r: a sample at t0, then on the grid
 * t0 + k*dt < t1 as described above.  The model must pass
 * cman_price_model_check (else CMAN_EINVAL).  Returns 0 or cb's value.
 */
int cman_price_simulate(const struct cman_price_model *m, gsl_rng *r, int64_t t0,
			int64_t t1, cman_price_cb cb, void *ctx, struct cman_error *err);

/* The same with the spike regime's draws from rs (which may be NULL only
 * when spike_rate is 0; CMAN_EINVAL otherwise).  cman_price_simulate is
 * this with rs NULL. */
int cman_price_simulate_regimes(const struct cman_price_model *m, gsl_rng *r, gsl_rng *rs,
				int64_t t0, int64_t t1, cman_price_cb cb, void *ctx,
				struct cman_error *err);

struct cman_price_point {
	int64_t t;
	double price;
};

struct cman_price_fit_opts {
	int64_t dt;             /* resampling step, seconds (default 300) */
	double jump_k;          /* threshold in robust sds (default 5) */
	double min_jump_log;    /* smallest |log move| that may be a jump (default 0.1) */
	int64_t t0, t1;         /* window; t1 <= t0: from the first to the last sample */
	double spike_factor;    /* spike points: above this times the median (default 0:
				   no spike regime; fit-prices uses 2) */
};

void cman_price_fit_opts_init(struct cman_price_fit_opts *o);

struct cman_price_fit {
	struct cman_price_model model;  /* the fitted parameters */
	double mean, stdev;             /* recorded, time-weighted over the window */
	double min, max;                /* recorded */
	int64_t t0, t1;                 /* the window fitted */
	double days;                    /* its length */
	size_t n_steps;                 /* resampled increments */
	size_t n_jumps, n_drops;        /* upward / downward moves beyond the threshold */
	double threshold;               /* the log threshold used */
	double phi;                     /* AR(1) coefficient of the regression */
	bool reversion_found;           /* false: phi outside (0, 1); theta = 1 / days */
	double level;                   /* the regression's level c / (1 - phi) */
	bool theta_from_mean;           /* theta raised to match the mean (below) */
	double median;                  /* of the resampled prices */
	double spike_threshold;         /* spike_factor * median (0: no spike regime) */
	size_t n_spike_runs;            /* spikes found (before any subsampling) */
	double base_mean;               /* mean of the base points */
};

/* Goodness of fit: the record against a long path of the fitted model. */
#define CMAN_PRICE_GOF_NQ 7
extern const double cman_price_gof_quantiles[CMAN_PRICE_GOF_NQ];   /* .01 .. .99 */

struct cman_price_gof_side {
	double mean, stdev;
	double q[CMAN_PRICE_GOF_NQ];    /* quantiles of the resampled prices */
	double spikes_per_day;          /* runs above the threshold per day */
	double spike_hours_mean, spike_hours_median;
	double spike_share;             /* share of the time above the threshold */
	size_t n_spikes;
	double days;
};

struct cman_price_gof {
	struct cman_price_gof_side rec, sim;
	double threshold;               /* spikes: above this ($/h) */
	double ks;                      /* Kolmogorov-Smirnov distance of the prices */
	uint64_t seed;
	bool poor;                      /* one of the checks below failed */
	char why[256];                  /* which, when poor */
};

/*
 * Fit the model to a price history (pts sorted by time; equal times: the
 * last applies).  The window starts no earlier than the first sample.
 * CMAN_EINVAL when there are fewer than two samples, a price is not
 * positive and finite, the times are not sorted, or the window holds fewer
 * than 10 steps of dt.
 */
int cman_price_fit(const struct cman_price_point *pts, size_t n,
		   const struct cman_price_fit_opts *o, struct cman_price_fit *out,
		   struct cman_error *err);

/*
 * Check a fit: resample the record (pts, as given to cman_price_fit) over
 * the fitted window, simulate the fitted model for days days (streams
 * "fit-check/price" and "fit-check/spikes" of seed), and compare: mean,
 * standard deviation, quantiles, the KS distance between the two price
 * distributions, and spikes above threshold (the fit's spike threshold, or
 * twice the median when it fitted none): rate, mean and median duration,
 * share of time.  poor when KS > 0.2, the standard deviations differ by
 * more than a factor 1.5, or the record has 3 or more spikes and the
 * median spike durations differ by more than a factor 3 or the shares of
 * time in spikes by more than a factor 2.
 */
int cman_price_fit_check(const struct cman_price_fit *f, const struct cman_price_point *pts,
			 size_t n, uint64_t seed, double days, struct cman_price_gof *out,
			 struct cman_error *err);

/*
 * Print a fit as a YAML snippet: comments with the recorded statistics and
 * one series item "- name: NAME\n  spot_price: {...}" usable under a
 * generate spec's series: list.  market is "<type, az>".
 */
void cman_price_fit_print(FILE *fp, const struct cman_price_fit *f, const char *name,
			  const char *market);

/* Print a check as YAML comments (a table of recorded against simulated). */
void cman_price_gof_print(FILE *fp, const struct cman_price_gof *g);

#endif
