/*
 * Unit tests of cman_fmt_g() (gfmt.c, issue 12): the same bytes as
 * snprintf's "%.*g" for random doubles of every magnitude, decimal values
 * like the ones an autoscaler run prints, exact ties, powers of ten and the
 * values around them, zeros, infinities and NaN, at every precision.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cman/gfmt.h"

static void check(double v, int prec)
{
	char want[64], got[CMAN_FMT_G_MAX];
	size_t n;

	snprintf(want, sizeof(want), "%.*g", prec, v);
	n = cman_fmt_g(got, v, prec);
	if (strcmp(want, got) || n != strlen(want))
		fail_msg("%%.%dg of %a: want '%s', got '%s' (%zu)", prec, v, want, got, n);
}

static uint64_t rs = 88172645463325252ULL;

static uint64_t xorshift(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static void test_random_bits(void **state)
{
	(void)state;
	for (int i = 0; i < 300000; i++) {
		uint64_t b = xorshift();
		double v;

		memcpy(&v, &b, sizeof(v));
		check(v, 6);
		check(v, 12);
		check(v, 1 + (int)(b % 17));
	}
}

static void test_decimals(void **state)
{
	(void)state;
	/* short decimals and quotients, as requests, usages and targets are */
	for (int i = 0; i < 200000; i++) {
		uint64_t b = xorshift();
		double m = (double)(b % 10000000), d = (double)(b >> 40) / 1048576.0;

		check(m / 10, 6);
		check(m / 1000, 6);
		check(m / 7, 6);
		check(m / 0.7, 12);
		check(-m / 3, 12);
		check(m * d, 6);
	}
}

static void test_edges(void **state)
{
	static const double vals[] = {
		0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, 0.125, 1234565, 1234575, 123456.5,
		999999.5, 9999995, 99999.95, 0.00001, 0.0001, 0.001, 1e-5, 9.99999e-5,
		1e6, 1e5, 999999, 1000000, 1e15, 1e16, 1e21, 1e22, 1e23, 1e-22, 1e-23,
		1.7976931348623157e308, 4.9e-324, 2.2250738585072014e-308,
		30000, 49043.5714286, 0.7, 0.05, 1.14435, 35127.6, 0.924410526316,
	};
	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		for (int prec = 1; prec <= 17; prec++) {
			check(vals[i], prec);
			check(-vals[i], prec);
			check(nextafter(vals[i], INFINITY), prec);
			check(nextafter(vals[i], -INFINITY), prec);
		}
	for (int e = -30; e <= 30; e++)
		for (int prec = 1; prec <= 17; prec++) {
			double t = pow(10, e);

			check(t, prec);
			check(nextafter(t, 0), prec);
			check(nextafter(t, INFINITY), prec);
			check(t * 9.999995, prec);
			check(t * 5, prec);
		}
	check(INFINITY, 6);
	check(-INFINITY, 6);
	check(NAN, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_bits),
		cmocka_unit_test(test_decimals),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
