/* Unit tests: CSV field writing (reports/src/csv.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cman/reports/csv.h"

static void test_number_table(void **state)
{
	static const struct { double v; const char *s; } cases[] = {
		{ 0.0, "0" }, { -0.0, "0" }, { 1.0, "1" }, { -3.0, "-3" },
		{ 1456790400.0, "1456790400" }, { 0.5, "0.5" }, { 3.5, "3.5" },
		{ 1.0 / 3, "0.3333333333" }, { 2.0 / 3, "0.6666666667" },
		{ 974.4, "974.4" }, { -0.125, "-0.125" }, { 123456.789, "123456.789" },
		{ 0.00015, "0.00015" }, { 1e-7, "1e-07" }, { 1e20, "1e+20" },
		{ 99999.999999999, "100000" }, { 0.02756142857142857, "0.02756142857" },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(cman_fmt_number(buf, cases[i].v), cases[i].s);
	assert_string_equal(cman_fmt_number(buf, NAN), "");
}

/* cman_fmt_number(v) must be snprintf("%.10g", v) but for -0 ("0") and
 * NaN (""): count and show the values where it is not. */
static size_t mismatches(const double *vs, size_t n)
{
	char got[32], want[32];
	size_t bad = 0, i;

	for (i = 0; i < n; i++) {
		double v = vs[i];

		cman_fmt_number(got, v);
		snprintf(want, sizeof(want), "%.10g", v == 0 ? 0.0 : v);
		if (strcmp(got, want)) {
			if (bad < 10)
				print_message("%.17g: got %s, want %s\n", v, got, want);
			bad++;
		}
	}
	return bad;
}

/* xorshift64*: a fixed sequence, independent of the C library */
static uint64_t next_u64(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ULL;
}

/* c[0] = d.ddddddddd5 x 10^e, a tie in decimal, never quite one in binary
 * (10^e itself when k is 0), c[1..4] its two neighbouring doubles on each
 * side: below, above, below that, above that. */
static void tie_and_neighbours(uint64_t *x, int e, int k, double c[5])
{
	unsigned long long m = 1000000000ULL + next_u64(x) % 9000000000ULL;
	double t = ((double)m * 10 + 5) * pow(10, (double)(e - 10));

	if (k == 0)
		t = pow(10, (double)e);
	c[0] = t;
	c[1] = nextafter(t, 0);
	c[2] = nextafter(t, INFINITY);
	c[3] = nextafter(c[1], 0);
	c[4] = nextafter(c[2], INFINITY);
}

/* Values printf rounds differently from a naive a * 10^d: decimal ties
 * that are not exact in binary, exact binary ties (to even), the edges of
 * each decade, and carries into the next digit. */
static void test_number_known_cases(void **state)
{
	static const double vs[] = {
		-34042014.734999999, 34042014.735, 0.1234567890500000, 1.00000000005,
		123456789.25, 123456789.75, 123456788.5, 123456789.5, 9999999999.5,
		9999999999.4, 999999999.95, 99999.999999999, 0.99999999995,
		0.000099999999995, 0.0001, 0.00010000000005, 1e-4, 0.1, 0.01, 0.001,
		1e9, 1e10, 12345678901.0, 1e15, 4503599627370497.0, 0.30000000000000004,
		2.675, 1.005, 1234.5678905, 0.5, 0.25, 0.125,
	};
	double more[sizeof(vs) / sizeof(vs[0]) * 5];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		more[n++] = vs[i];
		more[n++] = -vs[i];
		more[n++] = nextafter(vs[i], 0);
		more[n++] = nextafter(vs[i], INFINITY);
		more[n++] = -nextafter(vs[i], INFINITY);
	}
	assert_int_equal(mismatches(more, n), 0);
}

/* Property: the same text as snprintf's "%.10g" for millions of values:
 * uniform bit patterns over the fast path's decades, decimals with few
 * digits (prices, costs: near-ties), and exact binary ties. */
static void test_number_matches_printf(void **state)
{
	enum { N = 1000000 };
	double *vs = malloc(N * sizeof(*vs));
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	size_t i, bad = 0;

	(void)state;
	assert_non_null(vs);
	/* any double of magnitude 1e-6 .. 1e12, either sign */
	for (i = 0; i < N; i++) {
		double mant = (double)(next_u64(&x) >> 11) / 9007199254740992.0;   /* [0, 1) */
		int ex = (int)(next_u64(&x) % 61) - 20;                            /* 2^-20 .. 2^40 */

		vs[i] = ldexp(1 + mant, ex) * (next_u64(&x) & 1 ? -1 : 1);
	}
	bad += mismatches(vs, N);
	/* decimals of 9 to 12 significant digits: the 11th digit a 5 (or near) */
	for (i = 0; i < N; i++) {
		uint64_t digits = next_u64(&x) % 1000000000000ULL;
		int shift = (int)(next_u64(&x) % 16);

		vs[i] = (double)digits / pow(10, shift) * (next_u64(&x) & 1 ? -1 : 1);
	}
	bad += mismatches(vs, N);
	/* exact binary ties of 10 significant digits: (2k + 1) / 2^j */
	for (i = 0; i < N; i++) {
		uint64_t k = next_u64(&x) % 20000000000ULL;

		vs[i] = ldexp((double)(2 * k + 1), -(int)(1 + next_u64(&x) % 30));
	}
	bad += mismatches(vs, N);
	free(vs);
	if (bad)
		fail_msg("%zu of %d values differ from %%.10g", bad, 3 * N);
}

/* Property: the text reads back within the 10th significant digit. */
static void test_number_round_trip(void **state)
{
	unsigned seed = 5;
	char buf[32];
	int i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		double mant = (double)rand_r(&seed) / RAND_MAX;
		int ex = rand_r(&seed) % 30 - 10;
		double v = mant * pow(10, ex) * (rand_r(&seed) % 2 ? 1 : -1);
		double back;

		cman_fmt_number(buf, v);
		back = strtod(buf, NULL);
		assert_true(fabs(back - v) <= 5.1e-10 * fabs(v));
		assert_true(strlen(buf) <= 17);
	}
}

/* cman_csv_round(v) is what strtod reads back from "%.10g" of v, bit for
 * bit, and cman_fmt_number_end / cman_fmt_int_end write the same text as
 * cman_fmt_number / printf and return its end. */
static void test_round_and_end(void **state)
{
	uint64_t x = 0x243F6A8885A308D3ULL;
	char buf[32], want[32];
	size_t i;

	(void)state;
	for (i = 0; i < 400000; i++) {
		double mant = (double)(next_u64(&x) >> 11) / 9007199254740992.0;
		int ex = (int)(next_u64(&x) % 101) - 50;          /* 2^-50 .. 2^50 */
		double v = ldexp(1 + mant, ex) * (next_u64(&x) & 1 ? -1 : 1), r, back;
		char *e;

		if (i % 4 == 1)   /* decimals with few digits, near ties */
			v = (double)(next_u64(&x) % 1000000000000ULL) / pow(10, (double)(i % 16));
		snprintf(want, sizeof(want), "%.10g", v);
		back = strtod(want, NULL);
		r = cman_csv_round(v);
		if (memcmp(&r, &back, sizeof(r)))
			fail_msg("cman_csv_round(%.17g) = %.17g, strtod(\"%s\") = %.17g", v, r,
				 want, back);
		e = cman_fmt_number_end(buf, v);
		assert_int_equal((size_t)(e - buf), strlen(buf));
		assert_string_equal(buf, cman_fmt_number(want, v));
	}
	assert_true(isnan(cman_csv_round(NAN)));
	assert_true(cman_csv_round(-0.0) == 0 && !signbit(cman_csv_round(-0.0)));
	*cman_fmt_int_end(buf, -9223372036854775807LL - 1) = '\0';
	assert_string_equal(buf, "-9223372036854775808");
	*cman_fmt_int_end(buf, 1514764800) = '\0';
	assert_string_equal(buf, "1514764800");
}

/* cman_csv_round's fast path (issue 12) decides the rounding from a
 * product rounded to a double unless it is near a tie: decimal ties of 11
 * significant digits and their neighbouring doubles, the powers of ten and
 * theirs, at every decimal exponent of the range, read as strtod reads
 * "%.10g". */
static void test_round_ties_and_decades(void **state)
{
	uint64_t x = 0x452821E638D01377ULL;
	char want[32];
	int e, k, j;

	(void)state;
	for (e = -5; e <= 10; e++) {
		for (k = 0; k < 3000; k++) {
			double c[5];

			tie_and_neighbours(&x, e, k, c);
			for (j = 0; j < 10; j++) {
				double v = j < 5 ? c[j] : -c[j - 5], r, back;

				snprintf(want, sizeof(want), "%.10g", v);
				back = strtod(want, NULL);
				r = cman_csv_round(v);
				if (memcmp(&r, &back, sizeof(r)))
					fail_msg("cman_csv_round(%.17g) = %.17g, strtod(\"%s\") = %.17g",
						 v, r, want, back);
			}
		}
	}
	/* exact ties at 10 digits exist only in [1e9, 1e10): n + 0.5 (ties to
	 * even), and n + 0.25, n + 0.75 beside them */
	for (k = 0; k < 30000; k++) {
		double v = (double)(1000000000ULL + next_u64(&x) % 9000000000ULL) +
			   0.25 * (double)(1 + k % 3), r, back;

		snprintf(want, sizeof(want), "%.10g", v);
		back = strtod(want, NULL);
		r = cman_csv_round(v);
		assert_memory_equal(&r, &back, sizeof(r));
	}
}

/* One value through cman_fmt_number_round: the text of "%.10g", its end,
 * and the value strtod reads from it, which is cman_csv_round's, bit for
 * bit (NaN: NaN). */
static void check_fmt_round(double v)
{
	char buf[32], want[32];
	double r = 1234.5, back, cr;
	char *e;

	snprintf(want, sizeof(want), "%.10g", v);
	if (isnan(v))
		want[0] = '\0';
	else if (v == 0)
		strcpy(want, "0");   /* -0 written as 0 */
	e = cman_fmt_number_round(buf, v, &r);
	if (strcmp(buf, want) || (size_t)(e - buf) != strlen(want))
		fail_msg("cman_fmt_number_round(%.17g) wrote \"%s\", printf \"%s\"", v, buf, want);
	if (isnan(v)) {
		assert_true(isnan(r));
		return;
	}
	back = strtod(want, NULL);
	cr = cman_csv_round(v);
	if (memcmp(&r, &back, sizeof(r)) || memcmp(&r, &cr, sizeof(r)))
		fail_msg("cman_fmt_number_round(%.17g) = %.17g, strtod(\"%s\") = %.17g, "
			 "cman_csv_round = %.17g", v, r, want, back, cr);
}

/* cman_fmt_number_round (issue 12: the report tables filled as
 * timeseries.csv is formatted): random doubles of every exponent, random
 * decimals of few digits, decimal near-ties and their neighbours at every
 * decade of the fast range, values rounding up to the next power of ten,
 * integers, negatives, zeros, subnormals, infinities and NaN. */
static void test_fmt_number_round(void **state)
{
	static const double special[] = {
		0.0, -0.0, 1.0, -1.0, 1e-4, -1e-4, 9.99999999995e-5, 1e10, -1e10,
		9999999999.5, 9999999999.4, 9.99999999996, 0.99999999996, 123456789012.0,
		4.9406564584124654e-324, -4.9406564584124654e-324, 2.2250738585072014e-308,
		1.7976931348623157e308, -1.7976931348623157e308, 9007199254740993.0,
		0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 0.0001234567891, 123.4567890125,
	};
	uint64_t x = 0xA4093822299F31D0ULL;
	size_t i;
	int e, k, j;

	(void)state;
	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		check_fmt_round(special[i]);
	check_fmt_round(NAN);
	check_fmt_round(-NAN);
	check_fmt_round(INFINITY);
	check_fmt_round(-INFINITY);
	for (i = 0; i < 300000; i++) {
		uint64_t bits = next_u64(&x);
		double v;

		switch (i % 6) {
		case 0:   /* any finite double */
			memcpy(&v, &bits, sizeof(v));
			if (!isfinite(v))
				v = 1.5;
			break;
		case 1:   /* the fast range and around it */
			v = ldexp(1 + (double)(bits >> 11) / 9007199254740992.0,
				  (int)(next_u64(&x) % 101) - 50);
			break;
		case 2:   /* decimals with few digits */
			v = (double)(bits % 1000000000000ULL) / pow(10, (double)(i % 16));
			break;
		case 3:   /* integers, some past 10 digits */
			v = (double)(bits >> (next_u64(&x) % 64));
			break;
		case 4:   /* a cost: cents times a fraction of an hour */
			v = (double)(bits % 100000) * 0.0001 / 60 * (double)(1 + i % 7);
			break;
		default:  /* tiny and huge */
			v = ldexp(1 + (double)(bits >> 11) / 9007199254740992.0,
				  (int)(next_u64(&x) % 2000) - 1000);
			break;
		}
		check_fmt_round(next_u64(&x) & 1 ? -v : v);
	}
	/* d.ddddddddd5 x 10^e, a tie in decimal, and its neighbouring doubles */
	for (e = -5; e <= 10; e++)
		for (k = 0; k < 2000; k++) {
			double c[5];

			tie_and_neighbours(&x, e, k, c);
			for (j = 0; j < 10; j++)
				check_fmt_round(j < 5 ? c[j] : -c[j - 5]);
		}
	/* exact binary ties at 10 digits: n + 0.5 in [1e9, 1e10) */
	for (k = 0; k < 30000; k++)
		check_fmt_round((double)(1000000000ULL + next_u64(&x) % 9000000000ULL) +
				0.25 * (double)(1 + k % 3));
}

/* The number writers stay inside their 32 bytes (rows are built in one
 * buffer with 32 bytes a number, and the fast path stores digits in wide
 * blocks), and integers of every length and sign read as printf's. */
static void test_bounds_and_ints(void **state)
{
	uint64_t x = 0x13198A2E03707344ULL;
	unsigned char buf[48];
	char want[32];
	size_t i, k;

	(void)state;
	for (i = 0; i < 200000; i++) {
		double mant = (double)(next_u64(&x) >> 11) / 9007199254740992.0;
		double v = ldexp(1 + mant, (int)(next_u64(&x) % 81) - 40) *
			   (next_u64(&x) & 1 ? -1 : 1);

		if (i % 3 == 1)   /* 10-digit decimals: every length of text */
			v = -(double)(next_u64(&x) % 10000000000ULL) / pow(10, (double)(i % 14));
		memset(buf, 0xAA, sizeof(buf));
		cman_fmt_number_end((char *)buf, v);
		for (k = 32; k < sizeof(buf); k++)
			if (buf[k] != 0xAA)
				fail_msg("cman_fmt_number_end(%.17g) wrote byte %zu", v, k);
	}
	for (i = 0; i < 20000; i++) {
		long long v = (long long)(next_u64(&x) >> (next_u64(&x) % 64));

		if (i & 1)
			v = -v;
		if (i % 97 == 0)
			v = (long long)(i / 97) % 20 - 10;   /* small ones and 0 */
		memset(buf, 0xAA, sizeof(buf));
		*cman_fmt_int_end((char *)buf, v) = '\0';
		snprintf(want, sizeof(want), "%lld", v);
		assert_string_equal((char *)buf, want);
		for (k = 24; k < sizeof(buf); k++)
			assert_int_equal(buf[k], 0xAA);
	}
}

static void test_text_quoting(void **state)
{
	char *out = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&out, &n);

	(void)state;
	cman_csv_text(fp, "plain");
	fputc('|', fp);
	cman_csv_text(fp, "<m5.large, us-west-2a>");
	fputc('|', fp);
	cman_csv_text(fp, "say \"hi\"");
	fputc('|', fp);
	cman_csv_int(fp, -1234567890123LL);
	fputc('|', fp);
	cman_csv_int(fp, 0);
	fclose(fp);
	assert_string_equal(out, "plain|\"<m5.large, us-west-2a>\"|\"say \"\"hi\"\"\"|-1234567890123|0");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_number_table),
		cmocka_unit_test(test_number_known_cases),
		cmocka_unit_test(test_number_matches_printf),
		cmocka_unit_test(test_number_round_trip),
		cmocka_unit_test(test_round_and_end),
		cmocka_unit_test(test_round_ties_and_decades),
		cmocka_unit_test(test_fmt_number_round),
		cmocka_unit_test(test_bounds_and_ints),
		cmocka_unit_test(test_text_quoting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
