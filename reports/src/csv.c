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

static const unsigned long long pow10_int[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
	100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL,
	1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
	1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
	1000000000000000000ULL, 10000000000000000000ULL,
};

/* "00", "01", ... "99": two digits per division */
static const char digits2[200] = {
#define D10(t) t, '0', t, '1', t, '2', t, '3', t, '4', t, '5', t, '6', t, '7', t, '8', t, '9'
	D10('0'), D10('1'), D10('2'), D10('3'), D10('4'),
	D10('5'), D10('6'), D10('7'), D10('8'), D10('9'),
#undef D10
};

/* How many decimal digits u has (1 for 0). */
static inline int n_digits(unsigned long long u)
{
	/* floor(log10(2^bits)) by 1233 / 4096, then one compare */
	int t = ((64 - __builtin_clzll(u | 1)) * 1233) >> 12;

	return t + ((u | 1) >= pow10_int[t]);
}

/* Write the n (= n_digits(u)) decimal digits of u at p, from the right. */
static inline void put_digits(char *p, unsigned long long u, int n)
{
	char *q = p + n;

	while (u >= 100) {
		unsigned r = (unsigned)(u % 100);

		u /= 100;
		q -= 2;
		q[0] = digits2[2 * r];
		q[1] = digits2[2 * r + 1];
	}
	if (u >= 10) {
		q[-2] = digits2[2 * u];
		q[-1] = digits2[2 * u + 1];
	} else {
		q[-1] = (char)('0' + u);
	}
}

/*
 * The 8 decimal digits of x < 10^8 (leading zeros kept) as the values 0-9
 * in the bytes of the result, the first digit in the lowest byte (memory
 * order on a little-endian machine): 4-digit halves in 32-bit lanes, then
 * 2-digit quarters in 16-bit lanes, then digits, each by a multiply and a
 * shift that divide exactly in that range (n / 100 = n * 5243 >> 19 for
 * n < 43699, n / 10 = n * 103 >> 10 for n < 179).
 */
static inline unsigned long long digits8(unsigned x)
{
	unsigned long long z = x / 10000 | (unsigned long long)(x % 10000) << 32, q, w;

	q = (z * 5243 >> 19) & 0x0000007F0000007FULL;
	w = q | (z - q * 100) << 16;
	q = (w * 103 >> 10) & 0x000F000F000F000FULL;
	return q | (w - q * 10) << 8;
}

/* The n <= 8 digits of u < 10^8 at p, as 8 bytes stored at once (the
 * bytes past the n digits are garbage). */
static inline void put8(char *p, unsigned u, int n)
{
	unsigned long long w = digits8(u) + 0x3030303030303030ULL;

	/* the first digit is in the lowest byte: the leading zeros go with
	 * a shift down */
	w >>= 8 * (8 - n);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	memcpy(p, &w, 8);
}

/* Write the decimal digits of u at p; returns the end.  Up to 16 digits in
 * two blocks of 8 bytes (p needs room for 16 bytes, or the digits of u if
 * more); wider numbers digit pair by digit pair. */
static inline char *put_uint(char *p, unsigned long long u)
{
	int n = n_digits(u);

	if (n <= 8) {
		put8(p, (unsigned)u, n);
	} else if (n <= 16) {
		put8(p, (unsigned)(u / 100000000), n - 8);
		put8(p + n - 8, (unsigned)(u % 100000000), 8);
	} else {
		put_digits(p, u, n);
	}
	return p + n;
}

/*
 * Reports write millions of numbers, and printf's %g is slow.  Values in
 * [1e-4, 1e10) are written here with exactly the text of "%.10g": the
 * value times 10^d (d = 9 - its decimal exponent) rounded to an integer m
 * with 10 digits, correctly, ties to the even m as glibc's printf does,
 * then m written with d decimals and trailing zeros dropped.  Every other
 * value goes through snprintf.
 *
 * decimal10() finds m and d for a = |v| not an integer in [1e-4, 1e10);
 * false when the value needs snprintf's exponent form.  The product
 * a * 10^d is formed exactly: a = M * 2^-s (M < 2^53, s from 19 to 66 in
 * this range), M * 10^d < 2^97 in 128-bit integers, so its integer part
 * and the remainder's comparison with 1/2 are exact.  (Without 128-bit
 * integers: the product as p + r with r = fma(a, 10^d, -p), 10^d <= 1e13
 * being exact.)
 */
static bool decimal10(double a, unsigned long long *m_out, int *dec_out)
{
	int e = 0, dec;
	unsigned long long m;

	/* the decimal exponent: 10^e <= a < 10^(e+1); the double nearest
	 * 0.1 (0.01, 0.001) lies above it, so these compares are exact */
	if (a < 1)
		e = a >= 0.1 ? -1 : a >= 0.01 ? -2 : a >= 0.001 ? -3 : -4;
	else
		while (e < 9 && a >= pow10_tab[e + 1])
			e++;
	dec = 9 - e;   /* 0 .. 13 */
#ifdef __SIZEOF_INT128__
	{
		unsigned long long bits, mant;
		unsigned __int128 prod, rem, half;
		int bexp, s;

		memcpy(&bits, &a, sizeof(bits));
		bexp = (int)(bits >> 52 & 0x7ff);
		mant = (bits & ((1ULL << 52) - 1)) | 1ULL << 52;   /* a is normal here */
		s = 1075 - bexp;                                  /* a = mant * 2^-s */
		prod = (unsigned __int128)mant * pow10_int[dec];
		m = (unsigned long long)(prod >> s);
		rem = prod & (((unsigned __int128)1 << s) - 1);
		half = (unsigned __int128)1 << (s - 1);
		if (rem > half || (rem == half && (m & 1)))
			m++;
	}
#else
	{
		double prod, err, fl, d;

		prod = a * pow10_tab[dec];
		err = fma(a, pow10_tab[dec], -prod);   /* a * 10^dec == prod + err */
		fl = floor(prod);
		/* prod - fl and (prod - fl) - 0.5 are exact; the sign of their sum
		 * with err is the sign of the exact fraction's distance to 1/2 */
		d = (prod - fl - 0.5) + err;
		m = (unsigned long long)fl;
		if (d > 0 || (d == 0 && (m & 1)))
			m++;
	}
#endif
	if (dec == 0 && m >= 10000000000ULL)
		return false;   /* rounds up to 1e+10: "%g" switches to exponents */
	*m_out = m;
	*dec_out = dec;
	return true;
}

/* 10^j for j = -4 .. 10, each the double nearest (above the real value for
 * the negative j, so a >= it exactly when a >= 10^j) */
static const double pow10_m4[15] = {
	1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
};

/* The decimal exponent e (10^e <= a < 10^(e+1)) of a in [1e-4, 1e10), from
 * a's biased binary exponent bexp: for a in [2^k, 2^(k+1)) it is
 * floor(k log10 2) = k * 1233 >> 12 (exact for |k| < 681) or one more, and
 * one compare tells which. */
static inline int decimal_exponent(double a, int bexp)
{
	int e = ((bexp - 1023) * 1233) >> 12;   /* -14 .. 9 */

	if (e < -4)
		e = -4;                         /* a >= 1e-4 */
	if (e < 9 && a >= pow10_m4[e + 5])
		e++;
	return e;
}

/*
 * decimal10() for the writers, faster where it can be: the decimal exponent
 * e from the binary one (for a in [2^k, 2^(k+1)) it is floor(k log10 2) =
 * k * 1233 >> 12 or one more, one compare tells), then a * 10^(9-e) as a
 * double p (one rounding: |p - exact| <= 2^-19, p < 2^34).  Its fraction
 * p - floor(p) is exact; farther than 2^-17 from 1/2, it rounds as the
 * exact product does.  Nearer (about one value in 10^5), decimal10().
 */
static inline bool decimal10_fast(double a, unsigned long long *m_out, int *dec_out)
{
	unsigned long long bits, m;
	int e, dec;
	double prod, frac;

	memcpy(&bits, &a, sizeof(bits));
	e = decimal_exponent(a, (int)(bits >> 52 & 0x7ff));
	dec = 9 - e;                                            /* 0 .. 13 */
	prod = a * pow10_tab[dec];
	/* (signed conversions: single instructions, prod < 2^34) */
	m = (unsigned long long)(long long)prod;
	frac = prod - (double)(long long)m;
	if (frac < 0.5 - 0x1p-17)
		;
	else if (frac > 0.5 + 0x1p-17)
		m++;
	else
		return decimal10(a, m_out, dec_out);
	*m_out = m;
	*dec_out = dec;
	return true;
}

/*
 * The text of v at buf (its end returned) and, when r is not NULL, the
 * value that text denotes (cman_csv_round(v)) in *r: NaN for NaN, 0 for
 * zeros, an integer itself, m / 10^dec on the fast path (m < 2^34 and
 * 10^dec <= 10^13 are exact, so the quotient is the double nearest the
 * decimal, as strtod reads it), strtod of snprintf's text on the slow one.
 * Inlined into its two callers, r a constant in each.
 */
static inline __attribute__((always_inline)) char *fmt_number(char *buf, double v, double *r)
{
	double a = fabs(v);
	char *p = buf;
	unsigned long long m;
	int dec;

	if (isnan(v)) {
		buf[0] = '\0';
		if (r)
			*r = v;
		return buf;
	}
	if (v == 0) {
		strcpy(buf, "0");
		if (r)
			*r = 0.0;
		return buf + 1;
	}
	if (a >= 1e-4 && a < 1e10) {
		char d[32];
		long long ia = (long long)a;
		unsigned long long lo, lo_txt;
		unsigned hi;
		int sd;

		if (v < 0)
			*p++ = '-';
		if ((double)ia == a) {
			p = put_uint(p, (unsigned long long)ia);
			*p = '\0';
			if (r)
				*r = v;
			return p;
		}
		if (!decimal10_fast(a, &m, &dec)) {
			p = buf;
			goto slow;
		}
		if (m >= 10000000000ULL) {   /* 10^10 (9.99999999996 and the like) */
			p = buf;
			goto slow;
		}
		/* m has 10 digits, the first nonzero: 2 of m / 10^8, then 8 */
		lo = digits8((unsigned)(m % 100000000));
		hi = (unsigned)(m / 100000000);
		d[0] = digits2[2 * hi];
		d[1] = digits2[2 * hi + 1];
		lo_txt = lo + 0x3030303030303030ULL;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		lo_txt = __builtin_bswap64(lo_txt);
#endif
		memcpy(d + 2, &lo_txt, 8);
		memset(d + 10, '0', sizeof(d) - 10);
		/* significant digits: the trailing zeros dropped */
		if (lo)
			sd = 10 - __builtin_clzll(lo) / 8;
		else
			sd = hi % 10 ? 2 : 1;
		/* the point goes dec digits from the right: int digits 10 - dec */
		if (dec < 10) {
			int n_int = 10 - dec;

			memcpy(p, d, 16);
			p += n_int;
			if (sd > n_int) {
				*p = '.';
				memcpy(p + 1, d + n_int, 16);
				p += 1 + sd - n_int;
			}
		} else {
			int z = dec - 10;   /* 0 to 3 zeros after the point */

			memcpy(p, "0.000000", 8);
			memcpy(p + 2 + z, d, 16);
			p += 2 + z + sd;
		}
		*p = '\0';
		if (r) {
			double q = (double)m / pow10_tab[dec];

			*r = v < 0 ? -q : q;
		}
		return p;
	}
slow:
	p = buf + snprintf(buf, 32, "%.10g", v);
	if (r)
		*r = strtod(buf, NULL);
	return p;
}

char *cman_fmt_number_end(char *buf, double v)
{
	return fmt_number(buf, v, NULL);
}

char *cman_fmt_number_round(char *buf, double v, double *r)
{
	return fmt_number(buf, v, r);
}

/* What strtod reads back from "%.10g" of v, the long way. */
static __attribute__((noinline)) double csv_round_slow(double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.10g", v);
	return strtod(buf, NULL);
}

/*
 * The reports round every number of a run as its CSV file prints it
 * (millions of them): m and d as decimal10() finds them, faster.  With
 * the decimal exponent e from the binary one (decimal_exponent), x =
 * a * 10^(9-e) in [10^9, 10^10) is within 2^-20 (half its ulp) of the
 * exact product, so x's integer part and its fraction's side of 1/2 are
 * the exact product's unless the fraction is within 2^-16 of 1/2: only
 * then is the product formed exactly (decimal10).  The double nearest m /
 * 10^(9-e) is one correctly rounded division (m < 2^34 and 10^(9-e) <=
 * 10^13 are exact), which is what strtod reads.
 */
double cman_csv_round(double v)
{
	double a = fabs(v), x, f, r;
	unsigned long long bits, mant, m;
	int bexp, s, e, dec;

	if (!(a >= 1e-4 && a < 1e10)) {
		if (isnan(v))
			return v;
		return v == 0 ? 0.0 : csv_round_slow(v);
	}
	memcpy(&bits, &a, sizeof(bits));
	bexp = (int)(bits >> 52 & 0x7ff);
	s = 1075 - bexp;                                  /* a = mant * 2^-s, s 19 .. 66 */
	mant = (bits & ((1ULL << 52) - 1)) | 1ULL << 52;  /* a is normal here */
	if (s <= 52 && !(mant & ((1ULL << s) - 1)))
		return v;                                 /* an integer */
	e = decimal_exponent(a, bexp);
	dec = 9 - e;                                      /* 0 .. 13 */
	x = a * pow10_tab[dec];
	m = (unsigned long long)x;
	f = x - (double)m;                                /* exact */
	if (f > 0.5 + 0x1p-16) {
		m++;
	} else if (f >= 0.5 - 0x1p-16) {
		int d2;

		if (!decimal10(a, &m, &d2) || d2 != dec)
			return csv_round_slow(v);
	}
	if (!dec && m >= 10000000000ULL)
		return csv_round_slow(v);   /* 1e+10: "%g" switches to exponents */
	r = (double)m / pow10_tab[dec];
	return v < 0 ? -r : r;
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
