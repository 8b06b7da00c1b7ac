/* Daily roll-up, quartiles and time-of-day profiles (reports/src/rollup.c),
 * on the hand-made run of tests/data/report_run. */
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
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "cman_test.h"

#include "rollup.h"
#include "rundir.h"

#define assert_near(a, b, eps) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (eps))) \
		fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
} while (0)

#define RUN CMAN_SOURCE_DIR "/tests/data/report_run"

static uint64_t xs(uint64_t *x);

static void test_quartiles(void **state)
{
	static const struct {
		double v[8];
		size_t n;
		double q1, q2, q3;
	} cases[] = {
		{ { 5 }, 1, 5, 5, 5 },
		{ { 4, 1, 3, 2 }, 4, 1.75, 2.5, 3.25 },
		{ { 10, 20, 30, 40, 50 }, 5, 20, 30, 40 },
		{ { 8, 8, 16, 16 }, 4, 8, 12, 16 },
		{ { -1, 7, 3 }, 3, 1, 3, 5 },
	};
	size_t i;
	double q1, q2, q3, v[8];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(v, cases[i].v, sizeof(v));
		cman_quartiles(v, cases[i].n, &q1, &q2, &q3);
		assert_near(q1, cases[i].q1, 1e-12);
		assert_near(q2, cases[i].q2, 1e-12);
		assert_near(q3, cases[i].q3, 1e-12);
	}
	cman_quartiles(v, 0, &q1, &q2, &q3);
	assert_true(isnan(q1) && isnan(q2) && isnan(q3));
}

/* The quartiles are bit for bit GSL's of the sorted values (the report's
 * bytes depend on it) for every size and with many equal values. */
static void test_quartiles_as_sorted(void **state)
{
	static double v[1500], w[1500];
	uint64_t x = 88172645463325252ULL;
	size_t n, i, rep;

	for (n = 1; n < 1500; n += n < 40 ? 1 : 97) {
		for (rep = 0; rep < 20; rep++) {
			double q[3], g[3];
			/* values from few (many ties) to many distinct */
			uint64_t span = rep % 4 == 0 ? 3 : rep % 4 == 1 ? 50 : 1000000;

			for (i = 0; i < n; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				v[i] = (double)(x % span) * 0.37 - (rep % 3 == 0 ? 5 : 0);
				if (rep % 5 == 4)   /* sorted and reversed runs */
					v[i] = rep % 2 ? (double)i : -(double)i;
			}
			memcpy(w, v, n * sizeof(double));
			cman_quartiles(v, n, &q[0], &q[1], &q[2]);
			gsl_sort(w, 1, n);
			g[0] = gsl_stats_quantile_from_sorted_data(w, 1, n, 0.25);
			g[1] = gsl_stats_quantile_from_sorted_data(w, 1, n, 0.5);
			g[2] = gsl_stats_quantile_from_sorted_data(w, 1, n, 0.75);
			for (i = 0; i < 3; i++)
				if (memcmp(&q[i], &g[i], sizeof(double)))
					fail_msg("n %zu rep %zu: quartile %zu is %.17g, sorted %.17g",
						 n, rep, i + 1, q[i], g[i]);
			/* the values are the same, reordered */
			gsl_sort(v, 1, n);
			assert_memory_equal(v, w, n * sizeof(double));
		}
	}
}

/* Quartiles of v[0..n) against the selection's alone (the same bits, 0
 * and -0 too) and GSL's of the values sorted (the same bits but where
 * sorting puts 0 and -0 in an order of its own), and v still holds the
 * same values. */
static void check_quartiles_as_sorted(double *v, double *w, size_t n, const char *what,
				      size_t rep)
{
	double q[3], g[3];
	size_t i;

	memcpy(w, v, n * sizeof(double));
	cman_quartiles_select_only = true;
	cman_quartiles(w, n, &g[0], &g[1], &g[2]);
	cman_quartiles_select_only = false;
	memcpy(w, v, n * sizeof(double));
	cman_quartiles(v, n, &q[0], &q[1], &q[2]);
	if (memcmp(q, g, sizeof(q)))
		fail_msg("%s n %zu rep %zu: quartiles %.17g %.17g %.17g, by selection %.17g "
			 "%.17g %.17g", what, n, rep, q[0], q[1], q[2], g[0], g[1], g[2]);
	gsl_sort(w, 1, n);
	g[0] = gsl_stats_quantile_from_sorted_data(w, 1, n, 0.25);
	g[1] = gsl_stats_quantile_from_sorted_data(w, 1, n, 0.5);
	g[2] = gsl_stats_quantile_from_sorted_data(w, 1, n, 0.75);
	for (i = 0; i < 3; i++)
		if (g[i] == 0 ? q[i] != 0 : memcmp(&q[i], &g[i], sizeof(double)))
			fail_msg("%s n %zu rep %zu: quartile %zu is %.17g, sorted %.17g", what, n,
				 rep, i + 1, q[i], g[i]);
	gsl_sort(v, 1, n);
	for (i = 0; i < n; i++)
		if (!(v[i] == w[i]) || (v[i] != 0 && memcmp(&v[i], &w[i], sizeof(double))))
			fail_msg("%s n %zu rep %zu: the values changed", what, n, rep);
}

/* The radix selection's cases (issue 12): days of few values in runs,
 * a clump of one value holding ranks, values a few ulps apart in one
 * bucket (more than it sorts: the selection), negative and positive,
 * infinities, subnormals, 0 and -0, sizes about its limits (32 values,
 * 2048 links on the stack). */
static void test_quartiles_radix(void **state)
{
	static const size_t sizes[] = { 31, 32, 33, 100, 1439, 1440, 1441, 2047, 2048, 2049,
					5000 };
	static double v[5000], w[5000];
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	size_t si, i, rep;
	int kind;

	(void)state;
	for (kind = 0; kind < 10; kind++)
		for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
			for (rep = 0; rep < 6; rep++) {
				size_t n = sizes[si], run = 1 + (size_t)(xs(&x) % 40);

				for (i = 0; i < n; i++) {
					uint64_t r = xs(&x);

					switch (kind) {
					case 0:   /* capacity: few values in runs */
						v[i] = i % run && i ? v[i - 1] : (double)(700 + 16 * (r % 40));
						break;
					case 1:   /* a clump of 0 over most of the day */
						v[i] = r % 10 < 7 ? 0 : (double)(r % 100000) * 0.01;
						break;
					case 2:   /* a clump of 3.5 amid other values */
						v[i] = r % 3 ? 3.5 : (double)(r % 1000) * 0.01;
						break;
					case 3:   /* a few ulps apart, and far values */
						v[i] = r % 50 ? nextafter(1.0, 2.0) + (double)(r % 1000) * 0x1p-52
							: 1e6 * (double)(r % 7);
						break;
					case 4:   /* negative and positive */
						v[i] = ((double)(r % 2000001) - 1000000) * 0.001;
						break;
					case 5:   /* negative only, in runs */
						v[i] = i % run && i ? v[i - 1] : -(double)(r % 300) * 0.25 - 1;
						break;
					case 6:   /* infinities among the values */
						v[i] = r % 17 == 0 ? (r & 64 ? INFINITY : -INFINITY)
							: (double)(r % 1000);
						break;
					case 7:   /* subnormals, 0 and -0 (with 1: in one bucket) */
						v[i] = r % 5 > 1 ? (double)(r % 1000) * 0x1p-1074
							: r % 5 ? (rep % 2 ? 0.0 : -0.0) : r % 3 ? 0.0 : 1.0;
						break;
					case 8:   /* 0 and -0 with others (a rank at 0 or not) */
						v[i] = r % 4 == 0 ? -0.0 : r % 4 == 1 ? 0.0
							: (double)(r % 100) * (rep % 2 ? 1 : -1);
						break;
					default:   /* all one value; all 0 and -0 */
						v[i] = rep % 2 ? 42.25 : r % (rep + 2) ? 0.0 : -0.0;
						break;
					}
				}
				check_quartiles_as_sorted(v, w, n, "radix", (size_t)kind * 100 + rep);
			}
}

static void test_days(void **state)
{
	struct cman_rundir rd;
	struct cman_error err = { 0 };
	struct cman_day *days = NULL;
	size_t n = 0, i;
	double sum = 0;

	assert_int_equal(cman_rundir_load(&rd, RUN, &err), 0);
	assert_int_equal(cman_rollup_days(&rd, &days, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(days[i].day, 1512086400 + (int64_t)i * 86400);
		assert_near(days[i].seconds, 86400, 0);
		assert_near(days[i].cost, 36, 1e-12);   /* 12 h at $1 + 12 h at $2 */
		assert_near(days[i].unused_cost, 6, 1e-12);
		assert_near(days[i].cpu_s / days[i].seconds, 12, 1e-12);
		assert_near(days[i].peak_cpus, 16, 0);
		assert_near(days[i].over_s / 3600, 24, 1e-12);   /* 2 vCPUs for 12 h */
		assert_near(days[i].running_s / 3600, 12 * 8 + 12 * 16, 1e-9);
		sum += days[i].cost;
	}
	assert_near(sum, rd.total_cost, 1e-9);
	free(days);
	cman_rundir_release(&rd);
}

static void test_daily_csv(void **state)
{
	struct cman_rundir rd;
	struct cman_error err = { 0 };
	char path[64], file[96], line[512];
	FILE *fp;

	assert_non_null(cman_test_mkdtemp(path, sizeof(path), "cman-rollup-"));
	snprintf(file, sizeof(file), "%s/daily.csv", path);
	assert_int_equal(cman_rundir_load(&rd, RUN, &err), 0);
	assert_int_equal(cman_rollup_write_csv(&rd, file, &err), 0);
	fp = fopen(file, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "date,seconds,cost,unused_cpus_cost,unused_cpus_cost_share,"
			    "mean_cpus,peak_cpus,mean_cpus_allocated,mean_unused_cpus,"
			    "running_cpu_hours,cost_per_cpu_hour,oversubscribed_cpu_hours\n");
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "2017-12-01,86400,36,6,0.1666666667,12,16,11,2,288,0.125,24\n");
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_true(!strncmp(line, "2017-12-02,", 11));
	assert_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	unlink(file);
	/* an unwritable place fails with an I/O error */
	assert_int_equal(cman_rollup_write_csv(&rd, "/nonexistent-dir/daily.csv", &err), CMAN_EIO);
	cman_rundir_release(&rd);
	rmdir(path);
}

static void test_partial_days(void **state)
{
	/* a window from 18:00 for 30 hours at 2-hour steps: 3 days, the last
	 * step cut by the end */
	struct cman_rundir rd = { 0 };
	double cost[15], zero[15];
	struct cman_day *days = NULL;
	size_t n = 0, i;
	int k;

	for (i = 0; i < 15; i++) {
		cost[i] = 1;
		zero[i] = 0;
	}
	rd.start = 1512086400 + 18 * 3600;
	rd.end = rd.start + 29 * 3600;
	rd.step = 7200;
	rd.n = 15;
	for (k = 0; k < CMAN_TS_NCOLS; k++)
		rd.col[k] = zero;
	rd.col[CMAN_TS_COST] = cost;
	assert_int_equal(cman_rollup_days(&rd, &days, &n), 0);
	assert_int_equal(n, 2);
	assert_near(days[0].seconds, 6 * 3600, 0);
	assert_near(days[0].cost, 3, 0);
	assert_near(days[1].seconds, 23 * 3600, 0);   /* 11 full steps and 1 h */
	assert_near(days[1].cost, 12, 0);
	free(days);
}

static void test_profile(void **state)
{
	struct cman_rundir rd;
	struct cman_error err = { 0 };
	struct cman_profile p;
	size_t d, b;

	assert_int_equal(cman_rundir_load(&rd, RUN, &err), 0);
	assert_int_equal(cman_profile_build(rd.col[CMAN_TS_CPUS], rd.n, rd.start, rd.step, 1, 24,
					    &p), 0);
	assert_int_equal(p.n_days, 2);
	assert_int_equal(p.n_bins, 24);
	assert_int_equal(p.day0, 1512086400);
	for (d = 0; d < 2; d++) {
		for (b = 0; b < 24; b++)
			assert_near(p.cell[d * 24 + b], b < 12 ? 8 : 16, 0);
		assert_near(p.q25[d], 8, 1e-12);
		assert_near(p.q50[d], 12, 1e-12);
		assert_near(p.q75[d], 16, 1e-12);
	}
	cman_profile_release(&p);
	/* 4 parts a day, values scaled; target capacity is empty on day 1 */
	assert_int_equal(cman_profile_build(rd.col[CMAN_TS_TARGET], rd.n, rd.start, rd.step, 2, 4,
					    &p), 0);
	assert_true(isnan(p.cell[0]) && isnan(p.q50[0]));
	assert_near(p.cell[4], 20, 0);
	assert_near(p.q50[1], 20, 0);
	cman_profile_release(&p);
	/* a start in the middle of a day: cells before it are empty */
	assert_int_equal(cman_profile_build(rd.col[CMAN_TS_CPUS] + 6, rd.n - 6,
					    rd.start + 6 * 3600, rd.step, 1, 24, &p), 0);
	assert_int_equal(p.n_days, 2);
	assert_true(isnan(p.cell[5]));
	assert_near(p.cell[6], 8, 0);
	cman_profile_release(&p);
	cman_rundir_release(&rd);
}

static uint64_t xs(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int64_t ref_day(int64_t t)
{
	int64_t q = t / 86400;

	return (t % 86400 < 0 ? q - 1 : q) * 86400;
}

/* cman_profile_build and cman_rollup_days walk the steps day by day (issue
 * 12); a sample-by-sample reference (each sample's day and part of the day
 * by division, sums in the order of the samples, quartiles of the sorted
 * day) gives the same bits: steps that do or do not divide a day or a part,
 * windows starting inside a day and ending inside a step, NaN, days in
 * few runs of equal values. */
static void test_profile_and_days_as_reference(void **state)
{
	static const int64_t steps[] = { 60, 420, 3600, 5400, 7, 86400, 100000 };
	static const size_t bins[] = { 24, 7, 1440, 1 };
	uint64_t x = 0x2545F4914F6CDD1DULL;
	size_t si, bi, rep;

	(void)state;
	for (si = 0; si < sizeof(steps) / sizeof(steps[0]); si++)
		for (bi = 0; bi < sizeof(bins) / sizeof(bins[0]); bi++)
			for (rep = 0; rep < 5; rep++) {
				int64_t step = steps[si], start = 1514764800 + (int64_t)(xs(&x) % 86400) -
					       (rep == 1 ? 5 * 86400 + 13 : 0);
				size_t n = (size_t)(3 * 86400 / step) + 1 + xs(&x) % 50, nb = bins[bi], i, d;
				double *y = malloc(n * sizeof(double)), *cells, *w;
				size_t *cnt, nd;
				struct cman_profile p;
				int64_t d0 = ref_day(start);

				for (i = 0; i < n; i++)
					y[i] = xs(&x) % 7 == 0 ? NAN : (double)(xs(&x) % 1000) * 0.37;
				/* days in few runs of few values (quartiles_few), or of
				 * a few more than it takes */
				for (i = 0; rep >= 3 && i < n; i++)
					if (!isnan(y[i]))
						y[i] = (double)((i / (rep == 3 ? 40 : 20) * 7919) %
								(rep == 3 ? 5 : 70)) * 0.37 - 0.74;
				assert_int_equal(cman_profile_build(y, n, start, step, 1.5, nb, &p), 0);
				nd = (size_t)((ref_day(start + (int64_t)(n - 1) * step) - d0) / 86400 + 1);
				assert_int_equal(p.n_days, nd);
				cells = calloc(nd * nb, sizeof(double));
				cnt = calloc(nd * nb, sizeof(size_t));
				w = malloc(n * sizeof(double));
				for (i = 0; i < n; i++) {
					int64_t t = start + (int64_t)i * step;
					size_t di = (size_t)((ref_day(t) - d0) / 86400);
					size_t b = (size_t)((t - ref_day(t)) * (int64_t)nb / 86400);

					if (isnan(y[i]))
						continue;
					cells[di * nb + b] += y[i] * 1.5;
					cnt[di * nb + b]++;
				}
				for (i = 0; i < nd * nb; i++) {
					double want = cnt[i] ? cells[i] / (double)cnt[i] : NAN;

					if (memcmp(&want, &p.cell[i], sizeof(double)) &&
					    !(isnan(want) && isnan(p.cell[i])))
						fail_msg("step %lld bins %zu cell %zu: %.17g, expected %.17g",
							 (long long)step, nb, i, p.cell[i], want);
				}
				for (d = 0; d < nd; d++) {
					size_t m = 0;
					double q[3];

					for (i = 0; i < n; i++) {
						int64_t t = start + (int64_t)i * step;

						if (!isnan(y[i]) && (size_t)((ref_day(t) - d0) / 86400) == d)
							w[m++] = y[i] * 1.5;
					}
					gsl_sort(w, 1, m);
					q[0] = m ? gsl_stats_quantile_from_sorted_data(w, 1, m, 0.25) : NAN;
					q[1] = m ? gsl_stats_quantile_from_sorted_data(w, 1, m, 0.5) : NAN;
					q[2] = m ? gsl_stats_quantile_from_sorted_data(w, 1, m, 0.75) : NAN;
					if (m) {
						assert_memory_equal(&q[0], &p.q25[d], sizeof(double));
						assert_memory_equal(&q[1], &p.q50[d], sizeof(double));
						assert_memory_equal(&q[2], &p.q75[d], sizeof(double));
					} else {
						assert_true(isnan(p.q25[d]) && isnan(p.q50[d]) && isnan(p.q75[d]));
					}
				}
				/* the daily roll-up of the same steps, cost and cpus from y */
				{
					struct cman_rundir rd;
					struct cman_day *days = NULL;
					size_t ndays = 0;
					double *zero = calloc(n, sizeof(double));
					int k;

					memset(&rd, 0, sizeof(rd));
					rd.start = start;
					rd.step = step;
					rd.n = n;
					rd.end = start + (int64_t)n * step - (int64_t)(xs(&x) % (uint64_t)step);
					for (k = 0; k < CMAN_TS_NCOLS; k++)
						rd.col[k] = zero;
					rd.col[CMAN_TS_COST] = y;
					rd.col[CMAN_TS_CPUS] = y;
					rd.col[CMAN_TS_ALLOCATED] = y;
					assert_int_equal(cman_rollup_days(&rd, &days, &ndays), 0);
					for (d = 0; d < ndays; d++) {
						double sec = 0, cost = 0, cpu_s = 0, peak = NAN, run = 0;

						for (i = 0; i < n; i++) {
							int64_t t = start + (int64_t)i * step;
							double wt = (double)(rd.end - t < step ? rd.end - t : step);

							if (ref_day(t) != days[d].day)
								continue;
							sec += wt;
							if (!isnan(y[i])) {
								cost += y[i];
								cpu_s += y[i] * wt;
								if (isnan(peak) || y[i] > peak)
									peak = y[i];
								run += (y[i] + 0 - 0) * wt;
							}
						}
						assert_memory_equal(&sec, &days[d].seconds, sizeof(double));
						assert_memory_equal(&cost, &days[d].cost, sizeof(double));
						assert_memory_equal(&cpu_s, &days[d].cpu_s, sizeof(double));
						assert_memory_equal(&cpu_s, &days[d].alloc_s, sizeof(double));
						assert_memory_equal(&run, &days[d].running_s, sizeof(double));
						if (isnan(peak))
							assert_true(isnan(days[d].peak_cpus));
						else
							assert_memory_equal(&peak, &days[d].peak_cpus, sizeof(double));
					}
					free(days);
					free(zero);
				}
				cman_profile_release(&p);
				free(cells);
				free(cnt);
				free(w);
				free(y);
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quartiles),
		cmocka_unit_test(test_quartiles_as_sorted),
		cmocka_unit_test(test_quartiles_radix),
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_daily_csv),
		cmocka_unit_test(test_partial_days),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_profile_and_days_as_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
