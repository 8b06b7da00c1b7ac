/*
 * rollup.c - daily roll-up and time-of-day profiles (see rollup.h).
 */
#include "rollup.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
 * An unsigned key of a double that is not NaN, in the doubles' order: the
 * sign bit flipped for positives, every bit for negatives; -0 gets 0's key
 * (x + 0 is 0 for both).  For values that are all positive or 0 the bits
 * themselves will do.
 */
static inline uint64_t key_of(double x, bool any_neg)
{
	uint64_t u;

	x += 0.0;
	memcpy(&u, &x, sizeof(u));
	if (!any_neg)
		return u;
	return u ^ ((uint64_t)((int64_t)u >> 63) | (UINT64_C(1) << 63));
}

#define RADIX_MIN 32          /* fewer values: the selection */
#define RADIX_MAX_BITS 10
#define RADIX_STACK 2048      /* values with their links on the stack */
#define RADIX_CAP 256         /* values of a bucket sorted by insertion */

/* Pass 2 of select_radix: each value counted into its bucket b (cnt[b])
 * and linked into the bucket's list (cnt[RADIX_HEAD + b], then next[]
 * down to the bucket's count; neither needs clearing).  The mask only
 * keeps a NaN (not allowed) inside the buckets. */
#define RADIX_HEAD (1u << RADIX_MAX_BITS)

static inline void radix_count(const double *v, size_t n, bool any_neg, int shift,
			       uint64_t base, uint32_t mask, uint32_t *cnt, uint32_t *next)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t b = (uint32_t)((key_of(v[i], any_neg) >> shift) - base) & mask;

		next[i] = cnt[RADIX_HEAD + b];
		cnt[RADIX_HEAD + b] = (uint32_t)i;
		cnt[b]++;
	}
}

/*
 * Put the nk ranks ks[] (ascending, distinct, below n) of v in place by a
 * radix selection: a pass for the values' range, a pass counting them into
 * up to 2^RADIX_MAX_BITS buckets by the key bits below the range's highest
 * differing bit (each bucket a linked list of its values), then only the
 * few buckets that hold a wanted rank are read, sorted by insertion unless
 * they hold one value.  Neither pass has a data-dependent branch that fails
 * often (a selection's partition mispredicts about every other value,
 * issue 12).  v stays a permutation of itself: a rank's value is taken from
 * where it was, and what was at the rank goes there.  A multiset has one
 * sorted order, so the values are a selection's, but for 0 and -0, which
 * compare equal: false when a wanted bucket holds -0 (the zeros are all in
 * one bucket), or when it holds more than RADIX_CAP values not all equal,
 * or without memory for the links; v is unchanged then.
 */
static bool select_radix(double *v, size_t n, const size_t *ks, int nk)
{
	uint32_t cnt[2u << RADIX_MAX_BITS], *head = cnt + RADIX_HEAD;   /* counts, lists */
	uint32_t next_stack[RADIX_STACK], *next = next_stack;
	struct {
		uint64_t key;
		uint32_t at;
	} got[RADIX_CAP], x;
	size_t src[6], i, j, cum = 0;
	uint32_t clump_at[6];
	double lo = v[0], hi = v[0], lo2 = v[0], hi2 = v[0], val[6];
	uint64_t base;
	int bits = 4, shift, k, first = 0;
	bool any_neg, ok = false, clump = false;

	if (n > UINT32_MAX)
		return false;
	/* two of each: the minimum and maximum instructions' latency */
	for (i = 1; i + 1 < n; i += 2) {
		double y = v[i], z = v[i + 1];

		lo = lo < y ? lo : y;
		hi = hi > y ? hi : y;
		lo2 = lo2 < z ? lo2 : z;
		hi2 = hi2 > z ? hi2 : z;
	}
	if (i < n) {
		lo = lo < v[i] ? lo : v[i];
		hi = hi > v[i] ? hi : v[i];
	}
	lo = lo < lo2 ? lo : lo2;
	hi = hi > hi2 ? hi : hi2;
	if (lo == hi) {   /* one value: every rank holds it, unless 0 and -0 */
		for (i = 0; i < n && lo == 0; i++)
			if (signbit(v[i]))
				return false;
		return true;
	}
	if (n > RADIX_STACK && !(next = malloc(n * sizeof(*next))))
		return false;
	any_neg = lo < 0;
	while (bits < RADIX_MAX_BITS && ((size_t)1 << bits) < n)
		bits++;
	shift = 64 - __builtin_clzll(key_of(lo, any_neg) ^ key_of(hi, any_neg)) - bits;
	if (shift < 0)
		shift = 0;
	base = key_of(lo, any_neg) >> shift;   /* (key(hi) >> shift) - base < 2^bits */
	memset(cnt, 0, ((size_t)1 << bits) * sizeof(*cnt));
	if (any_neg)
		radix_count(v, n, true, shift, base, (1u << bits) - 1, cnt, next);
	else
		radix_count(v, n, false, shift, base, (1u << bits) - 1, cnt, next);
	/* each rank from its bucket's values, sorted; a bucket holding two
	 * ranks is read once; a bucket of one value (a clump) is not sorted:
	 * its ranks take its first values */
	for (k = 0, j = 0; k < nk; k++) {
		size_t had = j, e, m;
		uint32_t at;

		while (cum + cnt[j] <= ks[k])
			cum += cnt[j++];
		if (k && j == had) {
			src[k] = clump ? clump_at[k - first] : got[ks[k] - cum].at;
			continue;
		}
		e = cnt[j];
		at = head[j];
		clump = true;
		first = k;
		for (m = 0; m < e && clump; m++, at = next[at]) {
			if (v[at] == 0 && signbit(v[at]))
				goto out;
			clump = v[at] == v[head[j]];
			if (m < 6)
				clump_at[m] = at;
		}
		if (clump) {
			src[k] = clump_at[0];
			continue;
		}
		if (e > RADIX_CAP)
			goto out;
		for (m = 0, at = head[j]; m < e; m++, at = next[at]) {
			if (v[at] == 0 && signbit(v[at]))
				goto out;
			x.key = key_of(v[at], any_neg);
			x.at = at;
			for (i = m; i > 0 && got[i - 1].key > x.key; i--)
				got[i] = got[i - 1];
			got[i] = x;
		}
		src[k] = got[ks[k] - cum].at;
	}
	/* distinct places in the sorted order: distinct places in v */
	for (k = 0; k < nk; k++)
		val[k] = v[src[k]];
	{
		size_t from[6], to[6];
		int nf = 0, nt = 0, a, b;

		for (a = 0; a < nk; a++) {
			bool is_src = false, is_rank = false;

			for (b = 0; b < nk; b++) {
				is_src |= src[b] == ks[a];
				is_rank |= ks[b] == src[a];
			}
			if (!is_src)
				from[nf++] = ks[a];
			if (!is_rank)
				to[nt++] = src[a];
		}
		for (a = 0; a < nf; a++)
			v[to[a]] = v[from[a]];
	}
	for (k = 0; k < nk; k++)
		v[ks[k]] = val[k];
	ok = true;
out:
	if (next != next_stack)
		free(next);
	return ok;
}

/*
 * GSL's quantile of sorted data (gsl_stats_quantile_from_sorted_data) reads
 * the values of ranks lhs = (int)(f * (n - 1)) and lhs + 1 only: putting
 * those six ranks in place (by the radix selection, else by one multiple
 * selection, expected O(n)) gives the same quartiles as sorting the whole
 * day (8% of a year's run with its report, issue 12.1; a selection per rank
 * and a scan for each rank + 1 cost 1.6 times as much, issue 12).
 */
bool cman_quartiles_select_only;

void cman_quartiles(double *v, size_t n, double *q25, double *q50, double *q75)
{
	static const double fr[3] = { 0.25, 0.5, 0.75 };
	size_t ks[6];
	int nk = 0, q;

	if (!n) {
		*q25 = *q50 = *q75 = NAN;
		return;
	}
	for (q = 0; q < 3; q++) {
		const double index = fr[q] * (double)(n - 1);
		size_t k = (size_t)(int)index;   /* as GSL computes lhs */

		if (!nk || ks[nk - 1] < k)
			ks[nk++] = k;
		if (k + 1 < n && ks[nk - 1] < k + 1)
			ks[nk++] = k + 1;
	}
	if (n < RADIX_MIN || cman_quartiles_select_only || !select_radix(v, n, ks, nk)) {
		ptrdiff_t pk[6];

		for (q = 0; q < nk; q++)
			pk[q] = (ptrdiff_t)ks[q];
		select_ranks(v, 0, (ptrdiff_t)n - 1, pk, nk);
	}
	*q25 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.25);
	*q50 = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.5);
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
		cman_quartiles(buf, used, &p->q25[d], &p->q50[d], &p->q75[d]);
	}
	for (i = 0; i < nd * n_bins; i++)
		p->cell[i] = cnt[i] ? p->cell[i] / (double)cnt[i] : NAN;
out:
	free(cnt);
	free(buf);
	return rc;
}
