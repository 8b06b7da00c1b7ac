/* Tests for cman/time.h: parsing, formatting and the civil-date algorithms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cman/err.h"
#include "cman/time.h"

struct parse_case {
	const char *in;
	int rc;
	int64_t want;
};

static const struct parse_case parse_cases[] = {
	/* epoch seconds */
	{ "0", 0, 0 },
	{ "1512144000", 0, 1512144000 },
	{ "+1512144000", 0, 1512144000 },
	/* issue 9.6: only 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
	{ "-86400", CMAN_EINVAL, 0 },
	{ "-1", CMAN_EINVAL, 0 },
	{ "253402300799", 0, 253402300799LL },
	{ "253402300800", CMAN_EINVAL, 0 },
	{ "9223372036854775807", CMAN_EINVAL, 0 },
	{ "-9223372036854775808", CMAN_EINVAL, 0 },
	{ "9223372036854775808", CMAN_EINVAL, 0 },
	{ "-9223372036854775809", CMAN_EINVAL, 0 },
	{ "99999999999999999999", CMAN_EINVAL, 0 },
	{ "", CMAN_EINVAL, 0 },
	{ "+", CMAN_EINVAL, 0 },
	{ "-", CMAN_EINVAL, 0 },
	{ "12 ", CMAN_EINVAL, 0 },
	{ " 12", CMAN_EINVAL, 0 },
	{ "12x", CMAN_EINVAL, 0 },
	{ "1.5", CMAN_EINVAL, 0 },
	{ "--1", CMAN_EINVAL, 0 },
	/* ISO-8601, UTC */
	{ "1970-01-01T00:00:00Z", 0, 0 },
	{ "2017-12-01T08:00:00Z", 0, 1512115200 },
	{ "2017-12-01T16:00:00Z", 0, 1512144000 },
	{ "2017-12-01 16:00:00Z", 0, 1512144000 },
	{ "2017-12-01T16:00:00", 0, 1512144000 },
	{ "2017-12-01T16:00Z", 0, 1512144000 },
	{ "2017-12-01T16:00", 0, 1512144000 },
	{ "2017-12-01", 0, 1512086400 },
	{ "2017-12-01T16:00:00.999Z", 0, 1512144000 },
	{ "2017-12-01T16:00:59.5", 0, 1512144059 },
	{ "2017-08-01T15:00:00+0000", 0, 1501599600 },   /* Clusterman docs */
	{ "2017-08-01T15:00:00+00:00", 0, 1501599600 },
	{ "2017-08-01T15:00:00-00", 0, 1501599600 },
	/* offsets */
	{ "2017-08-01T15:00:00+02:00", 0, 1501599600 - 7200 },
	{ "2017-08-01T15:00:00+0530", 0, 1501599600 - 19800 },
	{ "2017-08-01T15:00:00+05", 0, 1501599600 - 18000 },
	{ "2017-08-01T15:00:00-07:00", 0, 1501599600 + 25200 },
	{ "2017-08-01T15:00:00-0330", 0, 1501599600 + 12600 },
	{ "2017-08-01T15:00:00.25-08", 0, 1501599600 + 28800 },
	{ "2017-12-31T23:00:00-01:00", 0, 1514764800 },  /* crosses the year */
	{ "1969-12-31T23:59:59Z", CMAN_EINVAL, 0 },
	{ "1970-01-01T00:30:00+01:00", CMAN_EINVAL, 0 },
	{ "1900-01-01T00:00:00Z", CMAN_EINVAL, 0 },
	{ "0000-03-01", CMAN_EINVAL, 0 },
	{ "9999-12-31T23:59:59-00:01", CMAN_EINVAL, 0 },
	{ "9999-12-31T23:59:59Z", 0, 253402300799LL },
	/* calendar checks */
	{ "2016-02-29", 0, 1456704000 },
	{ "2000-02-29", 0, 951782400 },
	{ "2017-02-29", CMAN_EINVAL, 0 },
	{ "1900-02-29", CMAN_EINVAL, 0 },
	{ "2017-04-31", CMAN_EINVAL, 0 },
	{ "2017-13-01", CMAN_EINVAL, 0 },
	{ "2017-00-01", CMAN_EINVAL, 0 },
	{ "2017-01-00", CMAN_EINVAL, 0 },
	{ "2017-01-32", CMAN_EINVAL, 0 },
	{ "2017-12-01T24:00:00Z", CMAN_EINVAL, 0 },
	{ "2017-12-01T23:60:00Z", CMAN_EINVAL, 0 },
	{ "2017-12-01T23:59:60Z", CMAN_EINVAL, 0 },
	/* syntax */
	{ "2017-12-01T16:00:00Zjunk", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:00 ", CMAN_EINVAL, 0 },
	{ "2017-12-01T", CMAN_EINVAL, 0 },
	{ "2017-12-01T16", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:0", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:0", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:00.", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:00.Z", CMAN_EINVAL, 0 },
	{ "2017-12-01t16:00:00Z", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:00z", CMAN_EINVAL, 0 },
	{ "2017-12-01X16:00:00Z", CMAN_EINVAL, 0 },
	{ "2017-12-1", CMAN_EINVAL, 0 },
	{ "17-12-01", CMAN_EINVAL, 0 },
	{ "2017/12/01", CMAN_EINVAL, 0 },
	{ "2017-12-01Z", CMAN_EINVAL, 0 },
	{ "-2017-12-01", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:00+", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:00+1", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:00+123", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:00+12:3", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:00+12:345", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:00+24:00", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:00+01:60", CMAN_EINVAL, 0 },
	{ "2017-12-01T16:00:00+01:00Z", CMAN_EINVAL, 0 },
};

static void test_parse_table(void **state)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		int64_t got = 424242;
		int rc = cman_time_parse(c->in, &got);

		if (rc != c->rc || (rc == 0 && got != c->want) ||
		    (rc != 0 && got != 424242))
			fail_msg("\"%s\": rc %d (want %d), value %lld (want %lld)",
				 c->in, rc, c->rc, (long long)got,
				 (long long)(rc == 0 ? c->want : 424242));
	}
}

static void test_parse_null(void **state)
{
	int64_t t = 7;

	assert_int_equal(cman_time_parse(NULL, &t), CMAN_EINVAL);
	assert_int_equal(t, 7);
}

struct format_case {
	int64_t t;
	const char *want;
};

static const struct format_case format_cases[] = {
	{ 0, "1970-01-01T00:00:00Z" },
	{ 1512115200, "2017-12-01T08:00:00Z" },
	{ 1501599600, "2017-08-01T15:00:00Z" },
	/* outside the valid range: the number, not a date */
	{ -1, "-1" },
	{ -86400, "-86400" },
	{ 253402300800LL, "253402300800" },
	{ 951782400, "2000-02-29T00:00:00Z" },
	{ 253402300799LL, "9999-12-31T23:59:59Z" },
	{ INT64_MIN, "-9223372036854775808" },
};

static void test_format_table(void **state)
{
	char buf[CMAN_TIME_BUFSZ];

	for (size_t i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		assert_ptr_equal(cman_time_format(format_cases[i].t, buf), buf);
		assert_string_equal(buf, format_cases[i].want);
	}
}

static void test_format_extremes(void **state)
{
	char buf[CMAN_TIME_BUFSZ];

	/* must not overflow the buffer nor crash */
	int64_t back;

	cman_time_format(INT64_MAX, buf);
	assert_string_equal(buf, "9223372036854775807");
	assert_int_equal(cman_time_parse(buf, &back), CMAN_EINVAL);
	cman_time_format(INT64_MIN, buf);
	assert_string_equal(buf, "-9223372036854775808");
	assert_int_equal(cman_time_parse(buf, &back), CMAN_EINVAL);
}

static void test_civil_known(void **state)
{
	int64_t y;
	unsigned m, d;

	assert_int_equal(cman_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(cman_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(cman_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(cman_days_from_civil(-1, 12, 31), -719529);
	cman_civil_from_days(-719529, &y, &m, &d);
	assert_int_equal(y, -1);
	assert_int_equal(m, 12);
	assert_int_equal(d, 31);
	cman_civil_from_days(11016, &y, &m, &d);
	assert_int_equal(y, 2000);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
}

/* Every day of 1600..2400 round-trips and days are consecutive. */
static void test_civil_exhaustive(void **state)
{
	int64_t prev = cman_days_from_civil(1599, 12, 31);

	for (int64_t y = 1600; y <= 2400; y++) {
		for (unsigned m = 1; m <= 12; m++) {
			static const unsigned len[] = { 31, 28, 31, 30, 31, 30,
							31, 31, 30, 31, 30, 31 };
			bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
			unsigned n = len[m - 1] + (m == 2 && leap);

			for (unsigned d = 1; d <= n; d++) {
				int64_t z = cman_days_from_civil(y, m, d), yy;
				unsigned mm, dd;

				assert_int_equal(z, prev + 1);
				prev = z;
				cman_civil_from_days(z, &yy, &mm, &dd);
				assert_int_equal(yy, y);
				assert_int_equal(mm, m);
				assert_int_equal(dd, d);
			}
		}
	}
}

/* xorshift64*: deterministic pseudo-random numbers */
static uint64_t rng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* format -> parse is the identity over the valid range, 1970..9999. */
static void test_roundtrip_random(void **state)
{
	const int64_t lo = 0;                   /* 1970-01-01T00:00:00Z */
	const int64_t hi = 253402300799LL;      /* 9999-12-31T23:59:59Z */
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	char buf[CMAN_TIME_BUFSZ], alt[CMAN_TIME_BUFSZ + 8];

	for (int i = 0; i < 200000; i++) {
		int64_t t = lo + (int64_t)(rng(&seed) % (uint64_t)(hi - lo + 1));
		int64_t back = 0;

		cman_time_format(t, buf);
		assert_int_equal(strlen(buf), 20);
		assert_int_equal(cman_time_parse(buf, &back), 0);
		if (back != t)
			fail_msg("%lld -> %s -> %lld", (long long)t, buf, (long long)back);
		/* the same instant written with an offset */
		if (t > lo + 86400 && t < hi - 86400) {
			int64_t off = (int64_t)(rng(&seed) % 47) * 1800 - 23 * 1800;
			int64_t local = t + off, a = off < 0 ? -off : off;

			cman_time_format(local, buf);
			buf[19] = '\0';
			snprintf(alt, sizeof(alt), "%s%c%02d:%02d", buf,
				 off < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60));
			assert_int_equal(cman_time_parse(alt, &back), 0);
			if (back != t)
				fail_msg("%s -> %lld, want %lld", alt, (long long)back,
					 (long long)t);
		}
	}
}

/* parse -> format -> parse with epoch strings over the whole int64 range
 * that formats with a 4-digit year is covered above; epochs round-trip too. */
static void test_epoch_roundtrip_random(void **state)
{
	uint64_t seed = 12345;
	char buf[32];

	for (int i = 0; i < 20000; i++) {
		int64_t t = (int64_t)rng(&seed), back = 0;
		bool valid = t >= 0 && t <= 253402300799LL;

		snprintf(buf, sizeof(buf), "%lld", (long long)t);
		assert_int_equal(cman_time_parse(buf, &back), valid ? 0 : CMAN_EINVAL);
		if (valid)
			assert_int_equal(back, t);
		/* in range: also as a plain number of the range */
		t = (int64_t)(rng(&seed) % 253402300800ULL);
		snprintf(buf, sizeof(buf), "%lld", (long long)t);
		assert_int_equal(cman_time_parse(buf, &back), 0);
		assert_int_equal(back, t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_null),
		cmocka_unit_test(test_format_table),
		cmocka_unit_test(test_format_extremes),
		cmocka_unit_test(test_civil_known),
		cmocka_unit_test(test_civil_exhaustive),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_epoch_roundtrip_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
