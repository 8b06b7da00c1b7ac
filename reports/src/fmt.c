/*
 * fmt.c - human-readable numbers for the HTML report (see fmt.h).
 */
#include "fmt.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "cman/time.h"

static const double pow10_tab[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6 };

/* Digits of u with a comma every three, at p; returns the end. */
static char *put_grouped(char *p, unsigned long long u)
{
	char tmp[32];
	int n = 0, k;

	do {
		if (n % 4 == 3)
			tmp[n++] = ',';
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	for (k = n - 1; k >= 0; k--)
		*p++ = tmp[k];
	return p;
}

char *cman_fmt_grouped(char *buf, double v, int decimals)
{
	unsigned long long m, scale, ip, fp;
	char *p = buf;
	int k;

	if (isnan(v)) {
		strcpy(buf, "n/a");
		return buf;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > 6)
		decimals = 6;
	scale = (unsigned long long)pow10_tab[decimals];
	if (!(fabs(v) * (double)scale < 9e18)) {
		snprintf(buf, CMAN_FMT_BUFSZ, "%.4g", v);
		return buf;
	}
	m = (unsigned long long)llround(fabs(v) * (double)scale);
	if (v < 0 && m)
		*p++ = '-';
	ip = m / scale;
	fp = m % scale;
	p = put_grouped(p, ip);
	if (decimals) {
		*p++ = '.';
		for (k = decimals - 1; k >= 0; k--) {
			p[k] = (char)('0' + fp % 10);
			fp /= 10;
		}
		p += decimals;
	}
	*p = '\0';
	return buf;
}

/* "$" after the sign of a grouped number. */
static char *dollars(char *buf, double v, int decimals)
{
	char tmp[CMAN_FMT_BUFSZ];
	const char *s = cman_fmt_grouped(tmp, v, decimals);

	if (s[0] == '-')
		snprintf(buf, CMAN_FMT_BUFSZ, "-$%s", s + 1);
	else
		snprintf(buf, CMAN_FMT_BUFSZ, "$%s", s);
	return buf;
}

char *cman_fmt_money(char *buf, double v)
{
	if (isnan(v)) {
		strcpy(buf, "n/a");
		return buf;
	}
	if (v != 0 && fabs(v) < 0.005) {
		snprintf(buf, CMAN_FMT_BUFSZ, "%s$%.4g", v < 0 ? "-" : "", fabs(v));
		return buf;
	}
	return dollars(buf, v, 2);
}

char *cman_fmt_price(char *buf, double v)
{
	if (isnan(v)) {
		strcpy(buf, "n/a");
		return buf;
	}
	if (v != 0 && fabs(v) < 0.00005) {
		snprintf(buf, CMAN_FMT_BUFSZ, "%s$%.3g", v < 0 ? "-" : "", fabs(v));
		return buf;
	}
	return dollars(buf, v, fabs(v) < 10 ? 4 : 2);
}

/* Drop trailing zeros (and a bare point) of a decimal in buf. */
static void strip_zeros(char *buf)
{
	char *dot = strchr(buf, '.'), *e;

	if (!dot)
		return;
	e = buf + strlen(buf);
	while (e > dot + 1 && e[-1] == '0')
		e--;
	if (e == dot + 1)
		e = dot;
	*e = '\0';
}

char *cman_fmt_si(char *buf, double v)
{
	static const char suffix[] = { 0, 'k', 'M', 'G', 'T' };
	const char *sign = v < 0 ? "-" : "";
	double a = fabs(v), s;
	int k = 0, dec;

	if (isnan(v)) {
		strcpy(buf, "n/a");
		return buf;
	}
	if (a == 0) {
		strcpy(buf, "0");
		return buf;
	}
	if (a < 0.001) {
		snprintf(buf, CMAN_FMT_BUFSZ, "%s%.2g", sign, a);
		return buf;
	}
	if (a < 1000) {
		if (a >= 100)
			dec = 0;
		else if (a >= 10)
			dec = 1;
		else if (a >= 1)
			dec = 2;
		else
			dec = 2 - (int)floor(log10(a));
		if (dec == 0 && round(a) >= 1000) {
			a = 1000;   /* falls through to "1k" */
		} else {
			snprintf(buf, CMAN_FMT_BUFSZ, "%s%.*f", sign, dec, a);
			strip_zeros(buf);
			return buf;
		}
	}
	s = a;
	while (s >= 1000 && k < 4) {
		s /= 1000;
		k++;
	}
	for (;;) {
		dec = s < 10 ? 2 : s < 100 ? 1 : 0;
		if (round(s * pow10_tab[dec]) / pow10_tab[dec] >= 1000 && k < 4) {
			s /= 1000;
			k++;
			continue;
		}
		break;
	}
	if (s >= 1000) {
		snprintf(buf, CMAN_FMT_BUFSZ, "%s%.3g%c", sign, s, suffix[k]);
		return buf;
	}
	snprintf(buf, CMAN_FMT_BUFSZ, "%s%.*f", sign, dec, s);
	strip_zeros(buf);
	snprintf(buf + strlen(buf), 4, "%c", suffix[k]);
	return buf;
}

char *cman_fmt_percent(char *buf, double share)
{
	double p;

	if (isnan(share)) {
		strcpy(buf, "n/a");
		return buf;
	}
	p = round(share * 1000) / 10;
	if (p == 0)
		p = 0;   /* no "-0.0%" */
	snprintf(buf, CMAN_FMT_BUFSZ, "%.1f%%", p);
	return buf;
}

static void split_time(int64_t t, int64_t *y, unsigned *mo, unsigned *d, int *h, int *mi,
		       int *s)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t sod = t - days * 86400;

	cman_civil_from_days(days, y, mo, d);
	*h = (int)(sod / 3600);
	*mi = (int)(sod / 60 % 60);
	*s = (int)(sod % 60);
}

char *cman_fmt_date(char *buf, int64_t t)
{
	int64_t y;
	unsigned mo, d;
	int h, mi, s;

	split_time(t, &y, &mo, &d, &h, &mi, &s);
	snprintf(buf, CMAN_FMT_BUFSZ, "%04lld-%02u-%02u", (long long)y, mo, d);
	return buf;
}

char *cman_fmt_datetime(char *buf, int64_t t)
{
	int64_t y;
	unsigned mo, d;
	int h, mi, s;

	split_time(t, &y, &mo, &d, &h, &mi, &s);
	if (s)
		snprintf(buf, CMAN_FMT_BUFSZ, "%04lld-%02u-%02u %02d:%02d:%02d", (long long)y,
			 mo, d, h, mi, s);
	else
		snprintf(buf, CMAN_FMT_BUFSZ, "%04lld-%02u-%02u %02d:%02d", (long long)y, mo, d,
			 h, mi);
	return buf;
}

char *cman_fmt_duration(char *buf, int64_t sec)
{
	int64_t d = sec / 86400, h = sec % 86400 / 3600, m = sec % 3600 / 60, s = sec % 60;

	if (sec < 0) {
		snprintf(buf, CMAN_FMT_BUFSZ, "%lld s", (long long)sec);
	} else if (sec < 60) {
		snprintf(buf, CMAN_FMT_BUFSZ, "%lld s", (long long)s);
	} else if (sec < 3600) {
		if (s)
			snprintf(buf, CMAN_FMT_BUFSZ, "%lld min %lld s", (long long)m, (long long)s);
		else
			snprintf(buf, CMAN_FMT_BUFSZ, "%lld min", (long long)m);
	} else if (sec < 86400) {
		if (m)
			snprintf(buf, CMAN_FMT_BUFSZ, "%lld h %lld min", (long long)h, (long long)m);
		else
			snprintf(buf, CMAN_FMT_BUFSZ, "%lld h", (long long)h);
	} else if (h) {
		snprintf(buf, CMAN_FMT_BUFSZ, "%lld day%s %lld h", (long long)d, d == 1 ? "" : "s",
			 (long long)h);
	} else {
		snprintf(buf, CMAN_FMT_BUFSZ, "%lld day%s", (long long)d, d == 1 ? "" : "s");
	}
	return buf;
}

char *cman_fmt_exact(char *buf, double v)
{
	if (isnan(v) || isinf(v))
		strcpy(buf, "null");
	else
		snprintf(buf, CMAN_FMT_BUFSZ, "%.12g", v == 0 ? 0.0 : v);
	return buf;
}

/* The digits of u (at least one) at p; returns the end. */
static char *put_digits(char *p, unsigned long long u)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/*
 * "%.4g" of a finite v with 1e-4 <= |v| < 1e15 that is not an integer
 * below 1e9, exactly as glibc writes it: the decimal exponent e of |v|
 * (10^e <= |v| < 10^(e+1)) from the binary one and one compare, m = |v| /
 * 10^(e-3) rounded to an integer of 4 digits (ties to even, as printf
 * rounds the exact binary value), in 128-bit integers: |v| = mant * 2^-s
 * with mant < 2^53 and 3 <= s <= 66 in this range, so mant * 10^(3-e)
 * (below 2^77) or 10^(e-3) * 2^s (below 2^76) is exact.  Then m written
 * with the point 3 - e digits from its right, or as d.ddde+XX when e (after
 * rounding) is 4 or more, trailing zeros dropped.  NULL when v is outside
 * this range (the caller uses snprintf).
 */
#ifdef __SIZEOF_INT128__
static char *compact4_end(char *buf, double v)
{
	static const double p10[20] = {
		1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
		1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	};
	static const unsigned long long p10i[12] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
		100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
	};
	double a = fabs(v);
	unsigned long long bits, mant, m;
	unsigned __int128 num, den, rem;
	int bexp, s, e;
	char dig[4], *p = buf;
	int sd;

	if (!(a >= 1e-4 && a < 1e15))
		return NULL;
	memcpy(&bits, &a, sizeof(bits));
	bexp = (int)(bits >> 52 & 0x7ff);
	s = 1075 - bexp;
	mant = (bits & ((1ULL << 52) - 1)) | 1ULL << 52;
	/* the decimal exponent: floor(k log10 2) (exact for |k| < 681) or one more
	 * (the doubles nearest 10^-j for j = 1..4 lie above 10^-j: the compare is
	 * exact) */
	e = ((bexp - 1023) * 1233) >> 12;
	if (e < -4)
		e = -4;
	if (e < 14 && a >= p10[e + 5])
		e++;
	if (e <= 3) {
		num = (unsigned __int128)mant * p10i[3 - e];
		den = (unsigned __int128)1 << s;
		m = (unsigned long long)(num >> s);
		rem = num & (den - 1);
	} else {
		num = mant;
		den = (unsigned __int128)p10i[e - 3] << s;
		m = (unsigned long long)(num / den);
		rem = num - (unsigned __int128)m * den;
	}
	if (2 * rem > den || (2 * rem == den && (m & 1)))
		m++;
	if (m == 10000) {
		m = 1000;
		e++;
	}
	dig[0] = (char)('0' + m / 1000);
	dig[1] = (char)('0' + m / 100 % 10);
	dig[2] = (char)('0' + m / 10 % 10);
	dig[3] = (char)('0' + m % 10);
	for (sd = 4; sd > 1 && dig[sd - 1] == '0'; sd--)
		;
	if (v < 0)
		*p++ = '-';
	if (e >= 4) {
		*p++ = dig[0];
		if (sd > 1) {
			*p++ = '.';
			memcpy(p, dig + 1, (size_t)(sd - 1));
			p += sd - 1;
		}
		*p++ = 'e';
		*p++ = '+';
		if (e < 10)
			*p++ = '0';
		p = put_digits(p, (unsigned long long)e);
	} else if (e >= 0) {
		/* e + 1 integer digits, then the rest of the significant ones */
		memcpy(p, dig, (size_t)e + 1);
		p += e + 1;
		if (sd > e + 1) {
			*p++ = '.';
			memcpy(p, dig + e + 1, (size_t)(sd - e - 1));
			p += sd - e - 1;
		}
	} else {
		*p++ = '0';
		*p++ = '.';
		for (; e < -1; e++)
			*p++ = '0';
		memcpy(p, dig, (size_t)sd);
		p += sd;
	}
	*p = '\0';
	return p;
}
#endif

char *cman_fmt_compact_end(char *buf, double v)
{
	char *p;

	if (isnan(v) || isinf(v)) {
		memcpy(buf, "null", 5);
		return buf + 4;
	}
	if (v == floor(v) && fabs(v) < 1e9) {
		p = buf;
		if (v < 0)
			*p++ = '-';
		p = put_digits(p, (unsigned long long)fabs(v));
		*p = '\0';
		return p;
	}
#ifdef __SIZEOF_INT128__
	if ((p = compact4_end(buf, v)))
		return p;
#endif
	return buf + snprintf(buf, CMAN_FMT_BUFSZ, "%.4g", v);
}

char *cman_fmt_compact(char *buf, double v)
{
	cman_fmt_compact_end(buf, v);
	return buf;
}

void cman_html_escape(FILE *fp, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		fwrite(run, 1, (size_t)(s - run), fp);
		fputs(rep, fp);
		run = s + 1;
	}
	fputs(run, fp);
}
