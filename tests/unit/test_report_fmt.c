/* Number, money, time and HTML formatting of the reports (reports/src/fmt.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fmt.h"

static void test_money(void **state)
{
	static const struct { double v; const char *want; } cases[] = {
		{ 0, "$0.00" },
		{ 3.5, "$3.50" },
		{ 1234.56, "$1,234.56" },
		{ 1234.565001, "$1,234.57" },
		{ 3954.94767044, "$3,954.95" },
		{ 1234567.891, "$1,234,567.89" },
		{ 999.999, "$1,000.00" },
		{ -0.5, "-$0.50" },
		{ -1234.5, "-$1,234.50" },
		{ 0.004213, "$0.004213" },
		{ -0.001, "-$0.001" },
		{ -0.0000001, "-$1e-07" },
		{ NAN, "n/a" },
	};
	char buf[CMAN_FMT_BUFSZ];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(cman_fmt_money(buf, cases[i].v), cases[i].want);
}

static void test_price_grouped_percent(void **state)
{
	char buf[CMAN_FMT_BUFSZ];

	assert_string_equal(cman_fmt_price(buf, 0.0246797768), "$0.0247");
	assert_string_equal(cman_fmt_price(buf, 2.5), "$2.5000");
	assert_string_equal(cman_fmt_price(buf, 12.345), "$12.35");
	assert_string_equal(cman_fmt_price(buf, 0), "$0.0000");
	assert_string_equal(cman_fmt_grouped(buf, 1234.5, 1), "1,234.5");
	assert_string_equal(cman_fmt_grouped(buf, 1000000, 0), "1,000,000");
	assert_string_equal(cman_fmt_grouped(buf, 999, 0), "999");
	assert_string_equal(cman_fmt_grouped(buf, -0.04, 1), "0.0");
	assert_string_equal(cman_fmt_grouped(buf, -1234, 0), "-1,234");
	assert_string_equal(cman_fmt_grouped(buf, 1e30, 2), "1e+30");
	assert_string_equal(cman_fmt_percent(buf, 0.313468944238), "31.3%");
	assert_string_equal(cman_fmt_percent(buf, 1), "100.0%");
	assert_string_equal(cman_fmt_percent(buf, -0.0001), "0.0%");
	assert_string_equal(cman_fmt_percent(buf, -0.142857), "-14.3%");
	assert_string_equal(cman_fmt_percent(buf, NAN), "n/a");
}

static void test_si(void **state)
{
	static const struct { double v; const char *want; } cases[] = {
		{ 0, "0" },
		{ 950, "950" },
		{ 999.4, "999" },
		{ 999.7, "1k" },
		{ 1000, "1k" },
		{ 1200, "1.2k" },
		{ 1234, "1.23k" },
		{ 1840, "1.84k" },
		{ 1500, "1.5k" },
		{ 12345, "12.3k" },
		{ 123456, "123k" },
		{ 999999, "1M" },
		{ 4.5e6, "4.5M" },
		{ 2e9, "2G" },
		{ 12.5, "12.5" },
		{ 12.0, "12" },
		{ 0.25, "0.25" },
		{ 0.05, "0.05" },
		{ 0.0246797, "0.0247" },
		{ -1500, "-1.5k" },
		{ 0.0001, "0.0001" },
		{ NAN, "n/a" },
	};
	char buf[CMAN_FMT_BUFSZ];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cman_fmt_si(buf, cases[i].v);
		if (strcmp(buf, cases[i].want))
			fail_msg("cman_fmt_si(%g) = '%s', want '%s'", cases[i].v, buf, cases[i].want);
	}
}

static void test_times(void **state)
{
	char buf[CMAN_FMT_BUFSZ];

	assert_string_equal(cman_fmt_date(buf, 1456790400), "2016-03-01");
	assert_string_equal(cman_fmt_datetime(buf, 1456790400 + 6 * 3600), "2016-03-01 06:00");
	assert_string_equal(cman_fmt_datetime(buf, 1456790400 + 61), "2016-03-01 00:01:01");
	assert_string_equal(cman_fmt_date(buf, -1), "1969-12-31");
	assert_string_equal(cman_fmt_duration(buf, 45), "45 s");
	assert_string_equal(cman_fmt_duration(buf, 300), "5 min");
	assert_string_equal(cman_fmt_duration(buf, 7200), "2 h");
	assert_string_equal(cman_fmt_duration(buf, 9000), "2 h 30 min");
	assert_string_equal(cman_fmt_duration(buf, 7 * 86400), "7 days");
	assert_string_equal(cman_fmt_duration(buf, 86400 + 6 * 3600), "1 day 6 h");
}

static void test_exact_compact(void **state)
{
	char buf[CMAN_FMT_BUFSZ];

	assert_string_equal(cman_fmt_exact(buf, 3954.94767044), "3954.94767044");
	assert_string_equal(cman_fmt_exact(buf, 0.857142857142857), "0.857142857143");
	assert_string_equal(cman_fmt_exact(buf, -0.0), "0");
	assert_string_equal(cman_fmt_exact(buf, NAN), "null");
	assert_string_equal(cman_fmt_compact(buf, 1840), "1840");
	assert_string_equal(cman_fmt_compact(buf, 3.14159), "3.142");
	assert_string_equal(cman_fmt_compact(buf, INFINITY), "null");
}

static uint64_t next_u64(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* cman_fmt_compact is "%lld" of integers below 1e9 and "%.4g" of the rest,
 * byte for byte as printf (issue 12: the fast path rounds exactly, ties to
 * even); _end returns the end of the same text. */
static void test_compact_as_printf(void **state)
{
	static const double fixed[] = {
		1.0625, 1.0635, 0.00012345, 0.0001, 9999.5, 9999.49, 9999.4999999, 99.995,
		0.99995, 12345.5, 1e9, 1e9 + 0.5, 123456789012.0, 1e15, 9.9995e14, 2.5e-3,
		0.000125, 1234.5, 1235.5, 5e-5, 1e-4, 0.1, 0.3, 1e300, 5e-324, -0.0, -1234.5,
		-0.5, 999999999.0, 999999999.5,
	};
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	char buf[CMAN_FMT_BUFSZ], want[CMAN_FMT_BUFSZ];
	size_t i;

	(void)state;
	for (i = 0; i < 300000 + sizeof(fixed) / sizeof(fixed[0]); i++) {
		double v, mant;
		int ex;
		char *end;

		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			v = fixed[i];
		} else {
			mant = (double)(next_u64(&x) >> 11) / 9007199254740992.0;
			ex = (int)(next_u64(&x) % 81) - 30;       /* 2^-30 .. 2^50 */
			v = ldexp(1 + mant, ex);
			if (i % 5 == 1)   /* 4 or 5 digits and a half: near ties */
				v = ((double)(next_u64(&x) % 100000) + 0.5) *
				    pow(10, (double)((int)(next_u64(&x) % 16) - 9));
			else if (i % 5 == 2)   /* short decimals */
				v = (double)(next_u64(&x) % 100000) / pow(10, (double)(i % 9));
			if (next_u64(&x) & 1)
				v = -v;
		}
		if (v == floor(v) && fabs(v) < 1e9)
			snprintf(want, sizeof(want), "%lld", (long long)v);
		else
			snprintf(want, sizeof(want), "%.4g", v);
		end = cman_fmt_compact_end(buf, v);
		if (strcmp(buf, want))
			fail_msg("cman_fmt_compact(%.17g) = \"%s\", printf \"%s\"", v, buf, want);
		assert_int_equal((size_t)(end - buf), strlen(buf));
	}
	assert_string_equal(cman_fmt_compact(buf, NAN), "null");
	assert_string_equal(cman_fmt_compact(buf, -INFINITY), "null");
}

static void test_html_escape(void **state)
{
	char *out = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&out, &n);

	assert_non_null(fp);
	cman_html_escape(fp, "<a href=\"x\">Tom & 'Jerry'</a>");
	fclose(fp);
	assert_string_equal(out, "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_money),
		cmocka_unit_test(test_price_grouped_percent),
		cmocka_unit_test(test_si),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_exact_compact),
		cmocka_unit_test(test_compact_as_printf),
		cmocka_unit_test(test_html_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
