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
		cmocka_unit_test(test_number_round_trip),
		cmocka_unit_test(test_text_quoting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
