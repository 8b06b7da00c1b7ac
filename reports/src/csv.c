#include "cman/reports/csv.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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
 * Reports write millions of numbers, and printf's %g is slow.  Values in
 * [1e-4, 1e10) are written here with exactly the text of "%.10g": the
 * value times 10^d (d = 9 - its decimal exponent) rounded to an integer m
 * with 10 digits, correctly -- the product a * 10^d is formed exactly as
 * p + r (r = fma(a, 10^d, -p), 10^d <= 1e13 being exact), and ties go to
 * the even m as glibc's printf does -- then m written with d decimals and
 * trailing zeros dropped.  Every other value goes through snprintf.
 *
 * decimal10() finds m and d for a = |v| not an integer in [1e-4, 1e10);
 * false when the value needs snprintf's exponent form.
 */
static bool decimal10(double a, unsigned long long *m_out, int *dec_out)
{
	int e = 0, dec;
	unsigned long long m;
	double prod, err, fl, d;

	/* the decimal exponent: 10^e <= a < 10^(e+1); the double nearest
	 * 0.1 (0.01, 0.001) lies above it, so these compares are exact */
	if (a < 1)
		e = a >= 0.1 ? -1 : a >= 0.01 ? -2 : a >= 0.001 ? -3 : -4;
	else
		while (e < 9 && a >= pow10_tab[e + 1])
			e++;
	dec = 9 - e;   /* 0 .. 13 */
	prod = a * pow10_tab[dec];
	err = fma(a, pow10_tab[dec], -prod);   /* a * 10^dec == prod + err */
	fl = floor(prod);
	/* prod - fl and (prod - fl) - 0.5 are exact; the sign of their sum
	 * with err is the sign of the exact fraction's distance to 1/2 */
	d = (prod - fl - 0.5) + err;
	m = (unsigned long long)fl;
	if (d > 0 || (d == 0 && (m & 1)))
		m++;
	if (dec == 0 && m >= 10000000000ULL)
		return false;   /* rounds up to 1e+10: "%g" switches to exponents */
	*m_out = m;
	*dec_out = dec;
	return true;
}

char *cman_fmt_number_end(char *buf, double v)
{
	double a = fabs(v);
	char *p = buf;
	unsigned long long m, ip, fp, scale;
	int dec;

	if (isnan(v)) {
		buf[0] = '\0';
		return buf;
	}
	if (v == 0) {
		strcpy(buf, "0");
		return buf + 1;
	}
	if (a >= 1e-4 && a < 1e10) {
		if (v < 0)
			*p++ = '-';
		if (a == floor(a)) {
			p = put_uint(p, (unsigned long long)a);
			*p = '\0';
			return p;
		}
		if (!decimal10(a, &m, &dec)) {
			p = buf;
			goto slow;
		}
		scale = (unsigned long long)pow10_tab[dec];
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
		return p;
	}
slow:
	return buf + snprintf(buf, 32, "%.10g", v);
}

/*
 * The text is m x 10^-dec exactly; m < 2^53 and 10^dec <= 1e13 are exact
 * doubles, so one division rounds it correctly: the double a correct
 * reader of the text gets.
 */
double cman_csv_round(double v)
{
	double a = fabs(v), r;
	unsigned long long m;
	int dec;
	char buf[32];

	if (isnan(v))
		return v;
	if (v == 0)
		return 0.0;
	if (a >= 1e-4 && a < 1e10) {
		if (a == floor(a))
			return v;
		if (decimal10(a, &m, &dec)) {
			r = (double)m / pow10_tab[dec];
			return v < 0 ? -r : r;
		}
	}
	snprintf(buf, sizeof(buf), "%.10g", v);
	return strtod(buf, NULL);
}

char *cman_fmt_number(char *buf, double v)
{
	cman_fmt_number_end(buf, v);
	return buf;
}

/* (the length is known: no strlen as fputs would do; 7% of a year's run) */
void cman_csv_number(FILE *fp, double v)
{
	char buf[32];

	fwrite(buf, 1, (size_t)(cman_fmt_number_end(buf, v) - buf), fp);
}

char *cman_fmt_int_end(char *buf, long long v)
{
	if (v < 0) {
		*buf++ = '-';
		return put_uint(buf, 0ULL - (unsigned long long)v);
	}
	return put_uint(buf, (unsigned long long)v);
}

void cman_csv_int(FILE *fp, long long v)
{
	char buf[24];

	fwrite(buf, 1, (size_t)(cman_fmt_int_end(buf, v) - buf), fp);
}
