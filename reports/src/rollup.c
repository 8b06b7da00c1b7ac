/*
 * rollup.c - daily roll-up and time-of-day profiles (see rollup.h).
 */
#include "rollup.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

#include "cman/fsutil.h"
#include "cman/reports/csv.h"
#include "fmt.h"

static int64_t day_of(int64_t t)
{
	int64_t q = t / 86400;

	if (t % 86400 < 0)
		q--;
	return q * 86400;
}

int cman_rollup_days(const struct cman_rundir *rd, struct cman_day **out, size_t *n)
{
	int64_t d0 = day_of(rd->start), d1 = day_of(rd->end - 1);
	size_t nd = (size_t)((d1 - d0) / 86400 + 1), i;
	struct cman_day *days = calloc(nd, sizeof(*days));

	*out = NULL;
	*n = 0;
	if (!days)
		return CMAN_ENOMEM;
	for (i = 0; i < nd; i++) {
		days[i].day = d0 + (int64_t)i * 86400;
		days[i].peak_cpus = NAN;
	}
	for (i = 0; i < rd->n; i++) {
		int64_t t = rd->start + (int64_t)i * rd->step;
		double w = (double)(rd->end - t < rd->step ? rd->end - t : rd->step);
		struct cman_day *d = &days[(day_of(t) - d0) / 86400];
		double cpus = rd->col[CMAN_TS_CPUS][i], al = rd->col[CMAN_TS_ALLOCATED][i];
		double un = rd->col[CMAN_TS_UNUSED][i], ov = rd->col[CMAN_TS_OVERSUB][i];
		double c = rd->col[CMAN_TS_COST][i], uc = rd->col[CMAN_TS_UNUSED_COST][i];

		d->seconds += w;
		if (!isnan(c))
			d->cost += c;
		if (!isnan(uc))
			d->unused_cost += uc;
		if (!isnan(cpus)) {
			d->cpu_s += cpus * w;
			if (isnan(d->peak_cpus) || cpus > d->peak_cpus)
				d->peak_cpus = cpus;
		}
		if (!isnan(al))
			d->alloc_s += al * w;
		if (!isnan(un))
			d->unused_s += un * w;
		if (!isnan(ov))
			d->over_s += ov * w;
		/* running vCPUs = allocated + unused - oversubscribed (one of the
		 * last two is 0) */
		if (!isnan(al) && !isnan(un) && !isnan(ov))
			d->running_s += (al + un - ov) * w;
	}
	*out = days;
	*n = nd;
	return 0;
}

int cman_rollup_write_csv(const struct cman_rundir *rd, const char *path,
			  struct cman_error *err)
{
	struct cman_atomic_file f;
	struct cman_day *days = NULL;
	size_t nd = 0, i;
	int rc;

	if (cman_rollup_days(rd, &days, &nd))
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	rc = cman_atomic_open(&f, path, err);
	if (rc)
		goto out;
	fputs("date,seconds,cost,unused_cpus_cost,unused_cpus_cost_share,mean_cpus,peak_cpus,"
	      "mean_cpus_allocated,mean_unused_cpus,running_cpu_hours,cost_per_cpu_hour,"
	      "oversubscribed_cpu_hours\n", f.fp);
	for (i = 0; i < nd; i++) {
		const struct cman_day *d = &days[i];
		char buf[CMAN_FMT_BUFSZ];
		double s = d->seconds > 0 ? d->seconds : NAN;
		double rh = d->running_s / 3600;

		fputs(cman_fmt_date(buf, d->day), f.fp);
		fputc(',', f.fp);
		cman_csv_number(f.fp, d->seconds);
		fputc(',', f.fp);
		cman_csv_number(f.fp, d->cost);
		fputc(',', f.fp);
		cman_csv_number(f.fp, d->unused_cost);
		fputc(',', f.fp);
		cman_csv_number(f.fp, d->cost > 0 ? d->unused_cost / d->cost : 0);
		fputc(',', f.fp);
		cman_csv_number(f.fp, d->cpu_s / s);
		fputc(',', f.fp);
		cman_csv_number(f.fp, d->peak_cpus);
		fputc(',', f.fp);
		cman_csv_number(f.fp, d->alloc_s / s);
		fputc(',', f.fp);
		cman_csv_number(f.fp, d->unused_s / s);
		fputc(',', f.fp);
		cman_csv_number(f.fp, rh);
		fputc(',', f.fp);
		cman_csv_number(f.fp, rh > 0 ? d->cost / rh : NAN);
		fputc(',', f.fp);
		cman_csv_number(f.fp, d->over_s / 3600);
		fputc('\n', f.fp);
	}
	rc = cman_atomic_commit(&f, err);
	cman_atomic_abort(&f);
out:
	free(days);
	return rc;
}

static inline void swap_d(double *v, ptrdiff_t a, ptrdiff_t b)
{
	double t = v[a];

	v[a] = v[b];
	v[b] = t;
}

/*
 * Hoare's selection: reorder v[lo..hi] so that v[k] is the value of rank k
 * among them, none before it larger and none after it smaller.  Expected
 * O(n) (a median-of-three pivot); no NaN.
 */
static void select_rank(double *v, ptrdiff_t lo, ptrdiff_t hi, ptrdiff_t k)
{
	while (lo < hi) {
		ptrdiff_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
		double p;

		if (v[mid] < v[lo])
			swap_d(v, lo, mid);
		if (v[hi] < v[lo])
			swap_d(v, lo, hi);
		if (v[hi] < v[mid])
			swap_d(v, mid, hi);
		p = v[mid];
		while (i <= j) {
			while (v[i] < p)
				i++;
			while (v[j] > p)
				j--;
			if (i <= j) {
				swap_d(v, i, j);
				i++;
				j--;
			}
		}
		/* v[lo..j] <= p, v[j+1..i-1] == p, v[i..hi] >= p */
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return;
	}
}

/*
 * Put the values of ranks k and k + 1 (when k + 1 < n) at v[k] and v[k + 1].
 * On entry v[0..*from-1] are the values of their ranks where they were
 * placed before and v[*from..n-1] are the larger ranks in some order; on
 * return *from is past the positions now in place.
 */
static void place_pair(double *v, size_t n, size_t k, size_t *from)
{
	size_t i, m;

	if (k >= *from) {
		select_rank(v, (ptrdiff_t)*from, (ptrdiff_t)n - 1, (ptrdiff_t)k);
		*from = k + 1;
	}
	if (k + 1 < n && k + 1 >= *from) {
		/* the smallest of the rest is rank k + 1 */
		for (m = k + 1, i = k + 2; i < n; i++)
			if (v[i] < v[m])
				m = i;
		swap_d(v, (ptrdiff_t)(k + 1), (ptrdiff_t)m);
		*from = k + 2;
	}
}

/* The index GSL's gsl_stats_quantile_from_sorted_data reads first. */
static size_t quantile_lhs(size_t n, double f)
{
	const double index = f * (double)(n - 1);

	return (size_t)(int)index;
}

/*
 * GSL's quantile of sorted data reads the values of ranks lhs and lhs + 1
 * only: putting those in place (quickselect, expected O(n)) gives the same
 * quartiles as sorting the whole day (heapsort, O(n log n); 8% of a year's
 * run with its report, issue 12.1).
 */
void cman_quartiles(double *v, size_t n, double *q25, double *q50, double *q75)
{
	size_t from = 0;

	if (!n) {
		*q25 = *q50 = *q75 = NAN;
		return;
	}
	place_pair(v, n, quantile_lhs(n, 0.25), &from);
	*q25 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.25);
	place_pair(v, n, quantile_lhs(n, 0.5), &from);
	*q50 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.5);
	place_pair(v, n, quantile_lhs(n, 0.75), &from);
	*q75 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.75);
}

void cman_profile_release(struct cman_profile *p)
{
	free(p->cell);
	free(p->q25);
	free(p->q50);
	free(p->q75);
	memset(p, 0, sizeof(*p));
}

int cman_profile_build(const double *y, size_t n, int64_t start, int64_t step,
		       double scale, size_t n_bins, struct cman_profile *p)
{
	size_t nd, i, d, per_day, *cnt = NULL, used = 0;
	double *buf = NULL;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	if (n_bins < 1)
		n_bins = 1;
	if (n_bins > 1440)
		n_bins = 1440;
	p->day0 = day_of(start);
	nd = n ? (size_t)((day_of(start + (int64_t)(n - 1) * step) - p->day0) / 86400 + 1) : 1;
	per_day = (size_t)(86400 / step) + 2;
	if (per_day > n + 1)
		per_day = n + 1;
	p->n_days = nd;
	p->n_bins = n_bins;
	p->cell = calloc(nd * n_bins, sizeof(double));
	cnt = calloc(nd * n_bins, sizeof(size_t));
	p->q25 = malloc(nd * sizeof(double));
	p->q50 = malloc(nd * sizeof(double));
	p->q75 = malloc(nd * sizeof(double));
	buf = malloc(per_day * sizeof(double));
	if (!p->cell || !cnt || !p->q25 || !p->q50 || !p->q75 || !buf) {
		rc = CMAN_ENOMEM;
		goto out;
	}
	for (d = 0; d < nd; d++)
		p->q25[d] = p->q50[d] = p->q75[d] = NAN;
	/* day by day: no division per sample; bin b of a day covers its
	 * seconds s with floor(s * n_bins / 86400) == b, and ends at
	 * ceil((b + 1) * 86400 / n_bins) */
	i = 0;
	while (i < n) {
		int64_t t = start + (int64_t)i * step, ds = day_of(t), de = ds + 86400, bend;
		size_t b = (size_t)((t - ds) * (int64_t)n_bins / 86400);
		double *cell;
		size_t *cn;

		d = (size_t)((ds - p->day0) / 86400);
		cell = p->cell + d * n_bins;
		cn = cnt + d * n_bins;
		bend = ds + ((int64_t)(b + 1) * 86400 + (int64_t)n_bins - 1) / (int64_t)n_bins;
		used = 0;
		for (; i < n && t < de; i++, t += step) {
			double v = y[i] * scale;

			if (isnan(v))
				continue;
			while (t >= bend) {
				b++;
				bend = ds + ((int64_t)(b + 1) * 86400 + (int64_t)n_bins - 1) /
				       (int64_t)n_bins;
			}
			cell[b] += v;
			cn[b]++;
			if (used < per_day)
				buf[used++] = v;
		}
		cman_quartiles(buf, used, &p->q25[d], &p->q50[d], &p->q75[d]);
	}
	for (i = 0; i < nd * n_bins; i++)
		p->cell[i] = cnt[i] ? p->cell[i] / (double)cnt[i] : NAN;
out:
	free(cnt);
	free(buf);
	return rc;
}
