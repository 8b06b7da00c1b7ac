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
 */
#ifndef CMAN_SIM_PRICEFIT_H
#define CMAN_SIM_PRICEFIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "cman/err.h"

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

struct cman_price_point {
	int64_t t;
	double price;
};

struct cman_price_fit_opts {
	int64_t dt;             /* resampling step, seconds (default 300) */
	double jump_k;          /* threshold in robust sds (default 5) */
	double min_jump_log;    /* smallest |log move| that may be a jump (default 0.1) */
	int64_t t0, t1;         /* window; t1 <= t0: from the first to the last sample */
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
 * Print a fit as a YAML snippet: comments with the recorded statistics and
 * one series item "- name: NAME\n  spot_price: {...}" usable under a
 * generate spec's series: list.  market is "<type, az>".
 */
void cman_price_fit_print(FILE *fp, const struct cman_price_fit *f, const char *name,
			  const char *market);

#endif
