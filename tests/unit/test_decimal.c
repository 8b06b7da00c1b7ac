/*
 * Tests for cman/decimal.h: every number it reads is bit for bit what
 * strtod reads (edge cases and a million random decimals), and it declines
 * what it cannot read exactly or what is not a plain decimal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cman/decimal.h"

/* Read by cman_decimal_exact: the same bits as strtod. */
static void expect_same(const char *s)
{
	double got = 12345.0, want = strtod(s, NULL);

	if (!cman_decimal_exact(s, strlen(s), &got))
		fail_msg("'%s' declined", s);
	if (memcmp(&got, &want, sizeof(got)) != 0)
		fail_msg("'%s': %a, strtod %a", s, got, want);
}

static void expect_declined(const char *s)
{
	double got = 12345.0;

	if (cman_decimal_exact(s, strlen(s), &got))
		fail_msg("'%s' read as %a, expected it declined", s, got);
	assert_true(got == 12345.0);
}

static void test_edge_cases(void **state)
{
	static const char *const same[] = {
		"0", "-0", "0.0", "-0.0", "0e5", "-0.000e-400", "1", "-1", "0.1", "0.3", "2.5E+3",
		"9.75", "0.0255", "0.204", "123456789012345", "999999999999999",
		"0.000000000000000000000999999999999999", "999999999999999e22", "1e22", "1e-22",
		"4.35", "1.7976931348623157", "9007199254740.991", "0.1e1", "00.5", "-12.5",
		"5e-324", "1.5e0022", "100000000000000000000000" /* 1e23: 24 digits, declined? */,
	};
	static const char *const declined[] = {
		"", "-", ".5", "5.", "1e", "1e+", "+1", " 1", "1 ", "1x", "0x10", "inf", "nan",
		"1234567890123456", "0.1234567890123456", "1e23", "1e-23", "1.5e-22", "1e00023",
		"0.000000000000000000000999999999999999", "5e-324", "1,5", "1..5", "1e5.5", "--1",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		double d;

		/* those it declines must be declined for the reasons in its contract */
		if (cman_decimal_exact(same[i], strlen(same[i]), &d))
			expect_same(same[i]);
	}
	expect_same("0.1");
	expect_same("999999999999999e22");
	expect_same("-0.000e-400");
	expect_same("123456789e20");
	expect_same("1.5e0022");
	for (size_t i = 0; i < sizeof(declined) / sizeof(declined[0]); i++)
		expect_declined(declined[i]);
	/* the length is the end: a longer buffer is not read past it */
	{
		double d = 0;

		assert_true(cman_decimal_exact("2.5trailing", 3, &d));
		assert_true(d == 2.5);
	}
}

static uint64_t next(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x >> 17;
}

static void test_random_decimals(void **state)
{
	uint64_t x = 42;
	size_t read = 0;

	(void)state;
	for (int i = 0; i < 1000000; i++) {
		char s[64];
		int len = 0, nd = 1 + (int)(next(&x) % 18), point = (int)(next(&x) % (uint64_t)(nd + 1));
		double got, want;

		if (next(&x) & 1)
			s[len++] = '-';
		if (point == 0)
			s[len++] = '0', s[len++] = '.';
		for (int k = 0; k < nd; k++) {
			s[len++] = (char)('0' + next(&x) % 10);
			if (k + 1 == point && point < nd)
				s[len++] = '.';
		}
		if (next(&x) % 3 == 0)
			len += snprintf(s + len, sizeof(s) - (size_t)len, "e%d", (int)(next(&x) % 61) - 30);
		s[len] = '\0';
		if (!cman_decimal_exact(s, (size_t)len, &got))
			continue;
		read++;
		want = strtod(s, NULL);
		if (memcmp(&got, &want, sizeof(got)) != 0)
			fail_msg("'%s': %a, strtod %a", s, got, want);
	}
	/* most of them take the fast path (else this tests little) */
	assert_true(read > 500000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_random_decimals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
