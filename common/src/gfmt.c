/*
 * gfmt.c - printf's "%.<prec>g" without printf where the digits are
 * certain (see gfmt.h).
 *
 * v is scaled by one power of ten (exact up to 10^22) into
 * [10^(prec-1), 10^prec): one correctly rounded multiplication or division,
 * so the scaled value is within half a unit in its last place of the exact
 * v x 10^k.  Rounding it to an integer gives printf's digits unless the
 * exact value may lie on the other side of a half: when the fraction is
 * within a few units in the last place of 0.5, snprintf decides.  The
 * digits are then laid out as %g does: %e style when the exponent is
 * below -4 or at least prec, else %f style, trailing zeros (and a bare
 * point) removed.
 */
#include "cman/gfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const double p10[23] = {
	1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static size_t slow(char *buf, double v, int prec)
{
	int n = snprintf(buf, CMAN_FMT_G_MAX, "%.*g", prec, v);

	return n < 0 ? 0 : (size_t)n;
}

/* a x 10^k, one rounding; false when 10^|k| is not exact. */
static int scale(double a, int k, double *out)
{
	if (k > 22 || k < -22)
		return 0;
	*out = k >= 0 ? a * p10[k] : a / p10[-k];
	return 1;
}

size_t cman_fmt_g(char *buf, double v, int prec)
{
	char dig[20], *p = buf;
	double a = fabs(v), y, r, frac;
	uint64_t u;
	int x, i, nd;

	if (prec < 1 || prec > 15 || !isfinite(v) || v == 0)
		return slow(buf, v, prec);
	x = (int)floor(log10(a));
	/* y in [10^(prec-1), 10^prec), the exponent x corrected if log10 was
	 * off by one at a power of ten */
	if (!scale(a, prec - 1 - x, &y))
		return slow(buf, v, prec);
	if (y < p10[prec - 1]) {
		x--;
		if (!scale(a, prec - 1 - x, &y))
			return slow(buf, v, prec);
	} else if (y >= p10[prec]) {
		x++;
		if (!scale(a, prec - 1 - x, &y))
			return slow(buf, v, prec);
	}
	if (!(y >= p10[prec - 1] && y < p10[prec]))
		return slow(buf, v, prec);
	/* y is within half an ulp of the exact value: only a fraction near
	 * one half leaves the rounding in doubt */
	frac = y - floor(y);
	if (fabs(frac - 0.5) <= 4 * y * 0x1p-52)
		return slow(buf, v, prec);
	r = floor(y + 0.5);
	if (r >= p10[prec]) {   /* 999999.6 -> 1000000: one more digit */
		r = p10[prec - 1];
		x++;
	}
	u = (uint64_t)r;
	for (i = prec - 1; i >= 0; i--, u /= 10)
		dig[i] = (char)('0' + u % 10);
	nd = prec;
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	if (v < 0)
		*p++ = '-';
	if (x < -4 || x >= prec) {
		*p++ = dig[0];
		if (nd > 1) {
			*p++ = '.';
			memcpy(p, dig + 1, (size_t)(nd - 1));
			p += nd - 1;
		}
		*p++ = 'e';
		*p++ = x < 0 ? '-' : '+';
		if (x < 0)
			x = -x;
		if (x >= 100)
			*p++ = (char)('0' + x / 100);
		*p++ = (char)('0' + x / 10 % 10);
		*p++ = (char)('0' + x % 10);
	} else if (x >= 0) {
		memcpy(p, dig, (size_t)(x + 1));
		p += x + 1;
		if (nd > x + 1) {
			*p++ = '.';
			memcpy(p, dig + x + 1, (size_t)(nd - x - 1));
			p += nd - x - 1;
		}
	} else {
		*p++ = '0';
		*p++ = '.';
		for (i = 0; i < -x - 1; i++)
			*p++ = '0';
		memcpy(p, dig, (size_t)nd);
		p += nd;
	}
	*p = '\0';
	return (size_t)(p - buf);
}
