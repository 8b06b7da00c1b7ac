/*
 * time.c - timestamps as integer seconds since the Unix epoch, UTC.
 *
 * Calendar arithmetic follows Howard Hinnant's "chrono-Compatible Low-Level
 * Date Algorithms" (days_from_civil / civil_from_days), proleptic Gregorian.
 * Nothing here depends on the C library's time zone or locale.
 */
#include "cman/time.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "cman/err.h"

int64_t cman_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t mm = m, era, yoe, doy, doe;

	y -= mm <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;                                   /* [0, 399] */
	doy = (153 * (mm > 2 ? mm - 3 : mm + 9) + 2) / 5 + (int64_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

void cman_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;                                /* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);         /* [0, 365] */
	mp = (5 * doy + 2) / 153;                              /* [0, 11] */
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yy + (*m <= 2);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n digits at *p; advances *p. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* "[+-]digits" with nothing after, within int64. */
static int parse_epoch(const char *s, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0, limit;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!*s)
		return CMAN_EINVAL;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s; s++) {
		unsigned dg;

		if (!is_digit(*s))
			return CMAN_EINVAL;
		dg = (unsigned)(*s - '0');
		if (v > (limit - dg) / 10)
			return CMAN_EINVAL;
		v = v * 10 + dg;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

/* Offset after the time: "", "Z", "+HH", "+HHMM", "+HH:MM" (or '-'). */
static int parse_offset(const char *p, int64_t *offset)
{
	int sign, oh, om = 0;

	*offset = 0;
	if (!*p)
		return 0;
	if (p[0] == 'Z')
		return p[1] ? CMAN_EINVAL : 0;
	if (*p != '+' && *p != '-')
		return CMAN_EINVAL;
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &oh))
		return CMAN_EINVAL;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, &om))
			return CMAN_EINVAL;
	} else if (*p) {
		if (!digits(&p, 2, &om))
			return CMAN_EINVAL;
	}
	if (*p || oh > 23 || om > 59)
		return CMAN_EINVAL;
	*offset = sign * (int64_t)(oh * 3600 + om * 60);
	return 0;
}

static int parse_iso(const char *s, int64_t *out)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t offset = 0;

	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d))
		return CMAN_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return CMAN_EINVAL;
	if (*p) {
		if (*p != 'T' && *p != ' ')
			return CMAN_EINVAL;
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return CMAN_EINVAL;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec))
				return CMAN_EINVAL;
			if (*p == '.') {
				p++;
				if (!is_digit(*p))
					return CMAN_EINVAL;
				while (is_digit(*p))
					p++;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return CMAN_EINVAL;
		if (parse_offset(p, &offset) != 0)
			return CMAN_EINVAL;
	}
	*out = cman_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + sec - offset;
	return 0;
}

int cman_time_parse(const char *s, int64_t *out)
{
	const char *p;
	bool all_digits = true;
	int64_t t = 0;
	int rc;

	if (!s || !*s)
		return CMAN_EINVAL;
	p = (*s == '+' || *s == '-') ? s + 1 : s;
	if (!*p)
		return CMAN_EINVAL;
	for (; *p; p++)
		if (!is_digit(*p)) {
			all_digits = false;
			break;
		}
	rc = all_digits ? parse_epoch(s, &t) : parse_iso(s, &t);
	if (rc)
		return rc;
	if (!cman_time_valid(t))
		return CMAN_EINVAL;   /* outside 1970..9999: what the formatter prints */
	*out = t;
	return 0;
}

char *cman_time_format(int64_t t, char *buf)
{
	int64_t days = t / 86400, secs = t % 86400, y;
	unsigned m, d;

	if (!cman_time_valid(t)) {
		/* not a time of the valid range: the number, which the parser
		 * refuses as a time (never a date that reads back as another) */
		snprintf(buf, CMAN_TIME_BUFSZ, "%" PRId64, t);
		return buf;
	}

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	cman_civil_from_days(days, &y, &m, &d);
	snprintf(buf, CMAN_TIME_BUFSZ, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02dZ",
		 y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
	return buf;
}
