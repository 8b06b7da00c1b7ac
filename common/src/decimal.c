/*
 * decimal.c - Clinger's fast path for decimal numbers (decimal.h).
 */
#include "cman/decimal.h"

#include <stdint.h>

/* Powers of ten that a double holds exactly. */
static const double exact_p10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool cman_decimal_exact(const char *s, size_t len, double *out)
{
	const char *p = s, *e = s + len;
	uint64_t m = 0;
	int nd = 0, k = 0, x = 0, xd = 0;
	bool neg = false, xneg = false;

	if (p < e && *p == '-') {
		neg = true;
		p++;
	}
	if (p >= e || !is_digit(*p))
		return false;
	for (; p < e && is_digit(*p); p++) {
		if (m || *p != '0')
			nd++;
		m = 10 * m + (uint64_t)(*p - '0');
		if (nd > 15)
			return false;
	}
	if (p < e && *p == '.') {
		if (++p >= e || !is_digit(*p))
			return false;
		for (; p < e && is_digit(*p); p++, k--) {
			if (m || *p != '0')
				nd++;
			m = 10 * m + (uint64_t)(*p - '0');
			if (nd > 15)
				return false;
		}
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		if (++p < e && (*p == '+' || *p == '-'))
			xneg = *p++ == '-';
		if (p >= e || !is_digit(*p))
			return false;
		for (; p < e && is_digit(*p); p++) {
			if (++xd > 4)
				return false;
			x = 10 * x + (*p - '0');
		}
		k += xneg ? -x : x;
	}
	if (p != e)
		return false;
	if (m == 0)
		*out = 0.0;
	else if (k >= 0 && k <= 22)
		*out = (double)m * exact_p10[k];
	else if (k < 0 && k >= -22)
		*out = (double)m / exact_p10[-k];
	else
		return false;
	if (neg)
		*out = -*out;
	return true;
}
