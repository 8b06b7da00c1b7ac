/*
 * rollup.c - daily roll-up and time-of-day profiles (see rollup.h).
 */
#include "rollup.h"

#include <math.h>
#include <stdbool.h>
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
	/* day by day (no division per step), the sums in registers and in the
	 * order of the steps */
	i = 0;
	while (i < rd->n) {
		int64_t t = rd->start + (int64_t)i * rd->step, ds = day_of(t);
		struct cman_day *d = &days[(ds - d0) / 86400];
		size_t end = i + (size_t)((ds + 86400 - t + rd->step - 1) / rd->step);
		double seconds = d->seconds, cost = d->cost, ucost = d->unused_cost;
		double cpu_s = d->cpu_s, alloc_s = d->alloc_s, unused_s = d->unused_s;
		double over_s = d->over_s, running_s = d->running_s, peak = d->peak_cpus;

		if (end > rd->n)
			end = rd->n;
		for (; i < end; i++, t += rd->step) {
			double w = (double)(rd->end - t < rd->step ? rd->end - t : rd->step);
			double cpus = rd->col[CMAN_TS_CPUS][i], al = rd->col[CMAN_TS_ALLOCATED][i];
			double un = rd->col[CMAN_TS_UNUSED][i], ov = rd->col[CMAN_TS_OVERSUB][i];
			double c = rd->col[CMAN_TS_COST][i], uc = rd->col[CMAN_TS_UNUSED_COST][i];

			seconds += w;
			if (!isnan(c))
				cost += c;
			if (!isnan(uc))
				ucost += uc;
			if (!isnan(cpus)) {
				cpu_s += cpus * w;
				if (isnan(peak) || cpus > peak)
					peak = cpus;
			}
			if (!isnan(al))
				alloc_s += al * w;
			if (!isnan(un))
				unused_s += un * w;
			if (!isnan(ov))
				over_s += ov * w;
			/* running vCPUs = allocated + unused - oversubscribed (one of
			 * the last two is 0) */
			if (!isnan(al) && !isnan(un) && !isnan(ov))
				running_s += (al + un - ov) * w;
		}
		d->seconds = seconds;
		d->cost = cost;
		d->unused_cost = ucost;
		d->cpu_s = cpu_s;
		d->alloc_s = alloc_s;
		d->unused_s = unused_s;
		d->over_s = over_s;
		d->running_s = running_s;
		d->peak_cpus = peak;
	}
	*out = days;
	*n = nd;
	return 0;
}

void cman_rollup_csv(FILE *fp, const struct cman_day *days, size_t nd)
{
	size_t i;

	fputs("date,seconds,cost,unused_cpus_cost,unused_cpus_cost_share,mean_cpus,peak_cpus,"
	      "mean_cpus_allocated,mean_unused_cpus,running_cpu_hours,cost_per_cpu_hour,"
	      "oversubscribed_cpu_hours\n", fp);
	for (i = 0; i < nd; i++) {
		const struct cman_day *d = &days[i];
		char buf[CMAN_FMT_BUFSZ];
		double s = d->seconds > 0 ? d->seconds : NAN;
		double rh = d->running_s / 3600;

		fputs(cman_fmt_date(buf, d->day), fp);
		fputc(',', fp);
		cman_csv_number(fp, d->seconds);
		fputc(',', fp);
		cman_csv_number(fp, d->cost);
		fputc(',', fp);
		cman_csv_number(fp, d->unused_cost);
		fputc(',', fp);
		cman_csv_number(fp, d->cost > 0 ? d->unused_cost / d->cost : 0);
		fputc(',', fp);
		cman_csv_number(fp, d->cpu_s / s);
		fputc(',', fp);
		cman_csv_number(fp, d->peak_cpus);
		fputc(',', fp);
		cman_csv_number(fp, d->alloc_s / s);
		fputc(',', fp);
		cman_csv_number(fp, d->unused_s / s);
		fputc(',', fp);
		cman_csv_number(fp, rh);
		fputc(',', fp);
		cman_csv_number(fp, rh > 0 ? d->cost / rh : NAN);
		fputc(',', fp);
		cman_csv_number(fp, d->over_s / 3600);
		fputc('\n', fp);
	}
}

int cman_rollup_write_csv(const struct cman_rundir *rd, const char *path,
			  struct cman_error *err)
{
	struct cman_atomic_file f;
	struct cman_day *days = NULL;
	size_t nd = 0;
	int rc;

	if (cman_rollup_days(rd, &days, &nd))
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	rc = cman_atomic_open(&f, path, err);
	if (rc)
		goto out;
	cman_rollup_csv(f.fp, days, nd);
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
 * Reorder v[lo..hi] so that each of the nk ranks ks[] (ascending, inside
 * [lo, hi]) holds the value of that rank, none before it larger and none
 * after it smaller: Hoare's partition around a median of three, going on
 * only into the parts that hold wanted ranks, so the ranks share the
 * partitions they have in common (one multiple selection, not one
 * selection per rank); short parts are sorted by insertion.  Expected
 * O(n); recursion at most nk deep; no NaN.
 */
static void select_ranks(double *v, ptrdiff_t lo, ptrdiff_t hi, const ptrdiff_t *ks, int nk)
{
	while (nk > 0 && lo < hi) {
		ptrdiff_t mid, i, j;
		double p;
		int a, b;

		if (hi - lo < 16) {
			for (i = lo + 1; i <= hi; i++) {
				double x = v[i];

				for (j = i; j > lo && v[j - 1] > x; j--)
					v[j] = v[j - 1];
				v[j] = x;
			}
			return;
		}
		mid = lo + (hi - lo) / 2;
		i = lo;
		j = hi;
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
		/* v[lo..j] <= p, v[j+1..i-1] == p (in place), v[i..hi] >= p */
		for (a = 0; a < nk && ks[a] <= j; a++)
			;
		for (b = a; b < nk && ks[b] < i; b++)
			;
		if (a && b < nk) {
			select_ranks(v, lo, j, ks, a);   /* fewer ranks each level */
		} else if (a) {
			hi = j;
			nk = a;
			continue;
		}
		ks += b;
		nk -= b;
		lo = i;
	}
}

/*
 * GSL's quantile of sorted data (gsl_stats_quantile_from_sorted_data) reads
 * the values of ranks lhs = (int)(f * (n - 1)) and lhs + 1 only: putting
 * those six ranks in place by one multiple selection (expected O(n)) gives
 * the same quartiles as sorting the whole day (8% of a year's run with its
 * report, issue 12.1; a selection per rank and a scan for each rank + 1
 * cost 1.6 times as much, issue 12).
 */
void cman_quartiles(double *v, size_t n, double *q25, double *q50, double *q75)
{
	static const double fr[3] = { 0.25, 0.5, 0.75 };
	ptrdiff_t ks[6];
	int nk = 0, q;

	if (!n) {
		*q25 = *q50 = *q75 = NAN;
		return;
	}
	for (q = 0; q < 3; q++) {
		const double index = fr[q] * (double)(n - 1);
		ptrdiff_t k = (ptrdiff_t)(int)index;   /* as GSL computes lhs */

		if (!nk || ks[nk - 1] < k)
			ks[nk++] = k;
		if (k + 1 < (ptrdiff_t)n && ks[nk - 1] < k + 1)
			ks[nk++] = k + 1;
	}
	select_ranks(v, 0, (ptrdiff_t)n - 1, ks, nk);
	*q25 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.25);
	*q50 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.5);
	*q75 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.75);
}

/*
 * cman_quartiles of a day of few distinct values, mostly in runs of equal
 * values (capacity between changes, a series that is 0 all day): the runs'
 * values counted into a sorted table of distinct values (a binary search
 * per run),
 * the wanted ranks read from the counts, then GSL as cman_quartiles does,
 * from the ranks' values put in place.  A multiset has one sorted order, so
 * the bits are cman_quartiles' (-0 is not taken: it equals 0 but is not
 * the same bits).  false when the day has more than FEW_DISTINCT distinct
 * values; v is left as it was then.
 */
#define FEW_DISTINCT 64

static bool quartiles_few(double *v, size_t n, double *q25, double *q50, double *q75)
{
	static const double fr[3] = { 0.25, 0.5, 0.75 };
	double val[FEW_DISTINCT];
	size_t cnt[FEW_DISTINCT], ks[6], i = 0, j, below;
	int nd = 0, nk = 0, q, k, d;

	while (i < n) {
		double x = v[i];
		int lo = 0, hi = nd;

		if (x == 0 && signbit(x))
			return false;
		for (j = i + 1; j < n && v[j] == x; j++)
			;
		while (lo < hi) {
			int mid = (lo + hi) / 2;

			if (val[mid] < x)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nd && val[lo] == x) {
			cnt[lo] += j - i;
		} else {
			if (nd == FEW_DISTINCT)
				return false;
			memmove(&val[lo + 1], &val[lo], (size_t)(nd - lo) * sizeof(*val));
			memmove(&cnt[lo + 1], &cnt[lo], (size_t)(nd - lo) * sizeof(*cnt));
			val[lo] = x;
			cnt[lo] = j - i;
			nd++;
		}
		i = j;
	}
	for (q = 0; q < 3; q++) {
		const double index = fr[q] * (double)(n - 1);
		size_t r = (size_t)(int)index;   /* as GSL computes lhs */

		if (!nk || ks[nk - 1] < r)
			ks[nk++] = r;
		if (r + 1 < n && ks[nk - 1] < r + 1)
			ks[nk++] = r + 1;
	}
	for (k = 0, d = 0, below = 0; k < nk; k++) {
		while (below + cnt[d] <= ks[k])
			below += cnt[d++];
		v[ks[k]] = val[d];
	}
	*q25 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.25);
	*q50 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.5);
	*q75 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.75);
	return true;
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
	bool few = true;
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
	/* day by day and part by part of the day: no division per sample; bin
	 * b of a day covers its seconds s with floor(s * n_bins / 86400) == b,
	 * up to ceil((b + 1) * 86400 / n_bins); a day has at most per_day
	 * samples */
	i = 0;
	while (i < n) {
		int64_t t = start + (int64_t)i * step, ds = day_of(t);
		size_t b = (size_t)((t - ds) * (int64_t)n_bins / 86400);

		d = (size_t)((ds - p->day0) / 86400);
		used = 0;
		for (; i < n && b < n_bins; b++) {
			int64_t bend = ds + ((int64_t)(b + 1) * 86400 + (int64_t)n_bins - 1) /
				       (int64_t)n_bins;
			size_t end, c = d * n_bins + b, k = 0;
			double sum = 0;

			if (t >= bend)
				continue;
			end = i + (size_t)((bend - t + step - 1) / step);
			if (end > n)
				end = n;
			for (; i < end; i++) {
				double v = y[i] * scale;

				if (isnan(v))
					continue;
				sum += v;
				k++;
				buf[used++] = v;
			}
			t = start + (int64_t)i * step;
			p->cell[c] = sum;
			cnt[c] = k;
		}
		/* a day of few values: tried first, it gives up after
		 * FEW_DISTINCT of them, at a few percent of a selection's cost;
		 * a series of many values is tried again every 8th day only */
		if (used && (few || d % 8 == 0))
			few = quartiles_few(buf, used, &p->q25[d], &p->q50[d], &p->q75[d]);
		else
			few = false;
		if (!few)
			cman_quartiles(buf, used, &p->q25[d], &p->q50[d], &p->q75[d]);
	}
	for (i = 0; i < nd * n_bins; i++)
		p->cell[i] = cnt[i] ? p->cell[i] / (double)cnt[i] : NAN;
out:
	free(cnt);
	free(buf);
	return rc;
}
