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

char *cman_fmt_compact(char *buf, double v)
{
	if (isnan(v) || isinf(v))
		strcpy(buf, "null");
	else if (v == floor(v) && fabs(v) < 1e9)
		snprintf(buf, CMAN_FMT_BUFSZ, "%lld", (long long)v);
	else
		snprintf(buf, CMAN_FMT_BUFSZ, "%.4g", v);
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
