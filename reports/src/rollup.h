/*
 * rollup.h - a run's time series per UTC day: the daily roll-up (daily.csv)
 * and the time-of-day x date profiles drawn as heatmaps, with each day's
 * median and quartiles (GSL).
 */
#ifndef CMAN_REPORTS_ROLLUP_H
#define CMAN_REPORTS_ROLLUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "cman/err.h"
#include "rundir.h"

/* One UTC day of the window.  Each step belongs to the day its start is in;
 * a step is weighted by its length within the window (the last one may be
 * cut by end_time). */
struct cman_day {
	int64_t day;             /* midnight UTC, epoch seconds */
	double seconds;          /* of the window in the day */
	double cost, unused_cost;/* dollars: sums of the steps' costs */
	double cpu_s, alloc_s, unused_s, running_s, over_s; /* value x seconds */
	double peak_cpus;
};

/*
 * Roll the timeseries of rd up per day.  *out is malloc'd (caller frees),
 * *n its length.  Returns 0 or CMAN_ENOMEM.
 */
int cman_rollup_days(const struct cman_rundir *rd, struct cman_day **out, size_t *n);

/*
 * Write daily.csv (README "Reports"): date, seconds, cost, unused_cpus_cost,
 * unused_cpus_cost_share, mean_cpus, peak_cpus, mean_cpus_allocated,
 * mean_unused_cpus, running_cpu_hours, cost_per_cpu_hour,
 * oversubscribed_cpu_hours.  Written under a temporary name and renamed.
 */
int cman_rollup_write_csv(const struct cman_rundir *rd, const char *path,
			  struct cman_error *err);

/* daily.csv's text of the nd days (header included) into fp. */
void cman_rollup_csv(FILE *fp, const struct cman_day *days, size_t nd);

/*
 * Quartiles of the n values v (NaN not allowed): GSL's
 * gsl_stats_quantile_from_sorted_data of v sorted, with v reordered in place
 * only as far as the quantiles need (v is not left sorted).  n == 0 gives
 * NaN.
 */
void cman_quartiles(double *v, size_t n, double *q25, double *q50, double *q75);

/* For the tests: cman_quartiles by its selection alone, without the radix
 * selection that goes first (issue 12).  false unless a test sets it. */
extern bool cman_quartiles_select_only;

/* A series per (day, part of day) and its daily quartiles. */
struct cman_profile {
	int64_t day0;            /* midnight of the first day */
	size_t n_days, n_bins;
	double *cell;            /* [day * n_bins + bin] mean, NaN when empty */
	double *q25, *q50, *q75; /* per day, NaN when the day has no value */
};

/*
 * Build the profile of y (n samples at start + i * step, NaN skipped,
 * values times scale) with n_bins parts per day (1..1440).  Release with
 * cman_profile_release (also after failure).  Returns 0 or CMAN_ENOMEM.
 */
int cman_profile_build(const double *y, size_t n, int64_t start, int64_t step,
		       double scale, size_t n_bins, struct cman_profile *p);
void cman_profile_release(struct cman_profile *p);

#endif
