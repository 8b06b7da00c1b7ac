#include "cman/reports/csv.h"

#include <math.h>
#include <string.h>

void cman_csv_text(FILE *fp, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static const double pow10_tab[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
	1e14, 1e15,
};

/* Write the decimal digits of u at p; returns the end. */
static char *put_uint(char *p, unsigned long long u)
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
 * Reports write millions of numbers, and printf's %g is slow: values in
 * [1e-4, 1e15) are written here with 10 significant digits (trailing zeros
 * dropped), the same digits %.10g gives but for the last one's rounding in
 * rare ties; others go through snprintf.  Either way the text depends only
 * on the value.
 */
char *cman_fmt_number(char *buf, double v)
{
	double a = fabs(v);
	char *p = buf;

	if (isnan(v)) {
		buf[0] = '\0';
		return buf;
	}
	if (v == 0) {
		strcpy(buf, "0");
		return buf;
	}
	if (a >= 1e-4 && a < 1e15) {
		int e = 0, dec;
		unsigned long long m, ip, fp, scale;

		if (v < 0)
			*p++ = '-';
		if (a == floor(a)) {
			*put_uint(p, (unsigned long long)a) = '\0';
			return buf;
		}
		while (e < 15 && a >= pow10_tab[e + 1])
			e++;
		if (a < 1) {
			/* 1e-4 <= a < 1: e is -1 .. -4 */
			e = a >= 0.1 ? -1 : a >= 0.01 ? -2 : a >= 0.001 ? -3 : -4;
		}
		dec = 9 - e;
		if (dec > 0 && dec <= 13) {
			scale = (unsigned long long)pow10_tab[dec];
			m = (unsigned long long)llround(a * (double)scale);
			ip = m / scale;
			fp = m % scale;
			p = put_uint(p, ip);
			if (fp) {
				char digits[16];
				int k;

				for (k = dec - 1; k >= 0; k--) {
					digits[k] = (char)('0' + fp % 10);
					fp /= 10;
				}
				k = dec;
				while (k > 0 && digits[k - 1] == '0')
					k--;
				*p++ = '.';
				memcpy(p, digits, (size_t)k);
				p += k;
			}
			*p = '\0';
			return buf;
		}
		p = buf;
	}
	snprintf(buf, 32, "%.10g", v);
	return buf;
}

void cman_csv_number(FILE *fp, double v)
{
	char buf[32];

	fputs(cman_fmt_number(buf, v), fp);
}

void cman_csv_int(FILE *fp, long long v)
{
	char buf[24], *p = buf;

	if (v < 0) {
		*p++ = '-';
		p = put_uint(p, 0ULL - (unsigned long long)v);
	} else {
		p = put_uint(p, (unsigned long long)v);
	}
	fwrite(buf, 1, (size_t)(p - buf), fp);
}
