/* Unit tests: a series' coverage of a window (sim/src/coverage.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cman/sim/coverage.h"

/* Window [100, 200), stale after 10; samples worked out by hand. */
static void test_by_hand(void **state)
{
	struct cman_coverage c;

	(void)state;
	cman_coverage_init(&c, 100, 200, 10, 5);
	cman_coverage_sample(&c, 95);    /* prior: covers [100, 105) */
	cman_coverage_sample(&c, 90);    /* an older prior of another source */
	cman_coverage_sample(&c, 120);   /* gap [105, 120): 15 stale */
	cman_coverage_sample(&c, 125);
	cman_coverage_sample(&c, 125);   /* equal times are fine */
	cman_coverage_sample(&c, 160);   /* gap [135, 160): 25 */
	cman_coverage_sample(&c, 250);   /* after the end: ignored */
	cman_coverage_finish(&c);        /* gap [170, 200): 30 */
	assert_int_equal(c.stale_seconds, 15 + 25 + 30);
	assert_int_equal(c.missing_seconds, 0);
	assert_int_equal(c.samples, 1 + 4);
	assert_int_equal(c.first, 95);
	assert_int_equal(c.last, 160);
	assert_int_equal(c.n_gaps, 3);
	assert_int_equal(c.n_kept, 3);
	/* longest first */
	assert_int_equal(c.gaps[0].start, 170);
	assert_int_equal(c.gaps[0].end, 200);
	assert_int_equal(c.gaps[0].since, 160);
	assert_int_equal(c.gaps[1].start, 135);
	assert_int_equal(c.gaps[1].end, 160);
	assert_int_equal(c.gaps[1].since, 125);
	assert_int_equal(c.gaps[2].start, 105);
	assert_int_equal(c.gaps[2].since, 95);
	assert_true(cman_coverage_stale_fraction(&c) == 0.7);
	assert_true(cman_coverage_covered_fraction(&c) == 0.3);   /* 30 / 100 */
	assert_true(cman_coverage_missing_fraction(&c) == 0);
}

/* No sample before the window: the start is missing, not stale. */
static void test_missing_start(void **state)
{
	struct cman_coverage c;

	(void)state;
	cman_coverage_init(&c, 0, 1000, 100, 2);
	cman_coverage_sample(&c, 400);
	cman_coverage_sample(&c, 450);
	cman_coverage_finish(&c);
	assert_int_equal(c.missing_seconds, 400);
	assert_int_equal(c.stale_seconds, 1000 - 550);
	assert_int_equal(c.first, 400);
	assert_int_equal(c.samples, 2);
	assert_int_equal(c.n_kept, 2);
	assert_int_equal(c.gaps[0].start, 550);
	assert_int_equal(c.gaps[0].end, 1000);
	assert_int_equal(c.gaps[1].start, 0);
	assert_int_equal(c.gaps[1].end, 400);
	assert_true(c.gaps[1].since == CMAN_COV_NO_SAMPLE);
}

/* Nothing at all: one gap, the whole window missing. */
static void test_empty(void **state)
{
	struct cman_coverage c;

	(void)state;
	cman_coverage_init(&c, 10, 20, 0, 5);
	cman_coverage_finish(&c);
	cman_coverage_finish(&c);        /* twice is harmless */
	assert_false(c.has_last);
	assert_int_equal(c.samples, 0);
	assert_int_equal(c.missing_seconds, 10);
	assert_true(cman_coverage_missing_fraction(&c) == 1);
	assert_int_equal(c.n_gaps, 1);
	assert_int_equal(c.gaps[0].start, 10);
	assert_int_equal(c.gaps[0].end, 20);
}

/* Keeping the k longest gaps: ties keep the earlier; all are counted. */
static void test_keep_longest(void **state)
{
	static const int64_t t[] = { 0, 5, 20, 22, 40, 41, 51, 70 };
	struct cman_coverage c;
	size_t i;

	(void)state;
	cman_coverage_init(&c, 0, 71, 1, 3);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cman_coverage_sample(&c, t[i]);
	cman_coverage_finish(&c);
	/* a sample covers 1 s; gaps: [1,5) 4, [6,20) 14, [21,22) 1, [23,40) 17,
	 * [42,51) 9, [52,70) 18; none at the end (70 covers [70, 71)) */
	assert_int_equal(c.n_gaps, 6);
	assert_int_equal(c.n_kept, 3);
	assert_int_equal(c.gaps[0].start, 52);
	assert_int_equal(c.gaps[1].start, 23);
	assert_int_equal(c.gaps[2].start, 6);
	assert_int_equal(c.stale_seconds, 4 + 14 + 1 + 17 + 9 + 18);
	/* max_gaps 0: nothing kept, still counted */
	cman_coverage_init(&c, 0, 71, 1, 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cman_coverage_sample(&c, t[i]);
	cman_coverage_finish(&c);
	assert_int_equal(c.n_gaps, 6);
	assert_int_equal(c.n_kept, 0);
}

/* Random series against a second-by-second reference. */
static void test_against_reference(void **state)
{
	unsigned seed = 12345;
	int round;

	(void)state;
	for (round = 0; round < 200; round++) {
		int64_t start = 1000, end = 1000 + 1 + (int64_t)(rand_r(&seed) % 400);
		int64_t stale = 1 + rand_r(&seed) % 40, ts[64], x;
		int n = rand_r(&seed) % 20, i, k;
		int64_t ref_stale = 0, ref_missing = 0, ref_longest = 0;
		uint64_t ref_samples = 0;
		bool prior = false;
		struct cman_coverage c;

		for (i = 0; i < n; i++)
			ts[i] = start - 100 + rand_r(&seed) % 600;
		/* sort */
		for (i = 1; i < n; i++)
			for (k = i; k > 0 && ts[k - 1] > ts[k]; k--) {
				int64_t tmp = ts[k];

				ts[k] = ts[k - 1];
				ts[k - 1] = tmp;
			}
		cman_coverage_init(&c, start, end, stale, 1);
		for (i = 0; i < n; i++)
			cman_coverage_sample(&c, ts[i]);
		cman_coverage_finish(&c);
		/* the reference: every second x stands for [x, x + 1) and is
		 * uncovered when no sample is at or before it, or the latest is
		 * stale seconds old or more; a sample's own second is covered,
		 * so runs of uncovered seconds are exactly the gaps */
		{
			int64_t run = 0;

			for (x = start; x < end; x++) {
				int64_t latest = INT64_MIN;

				for (i = 0; i < n; i++)
					if (ts[i] <= x)
						latest = ts[i];
				if (latest == INT64_MIN)
					ref_missing++;
				else if (x - latest >= stale)
					ref_stale++;
				if (latest == INT64_MIN || x - latest >= stale)
					run++;
				else
					run = 0;
				if (run > ref_longest)
					ref_longest = run;
			}
		}
		/* every sample inside the window counts, and one before it */
		for (i = 0; i < n; i++) {
			if (ts[i] <= start)
				prior = true;
			else if (ts[i] < end)
				ref_samples++;
		}
		assert_int_equal(c.samples, ref_samples + prior);
		assert_int_equal(c.stale_seconds, ref_stale);
		assert_int_equal(c.missing_seconds, ref_missing);
		if (ref_stale + ref_missing)
			assert_true(c.n_kept == 1 && c.gaps[0].end - c.gaps[0].start == ref_longest);
		else
			assert_int_equal(c.n_gaps, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_hand),
		cmocka_unit_test(test_missing_start),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_keep_longest),
		cmocka_unit_test(test_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
