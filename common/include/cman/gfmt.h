/*
 * gfmt.h - printf's "%.<prec>g" of a double, written without printf where
 * the digits are certain (issue 12: an autoscaler run's reason and decision
 * record spent most of their time in printf's floating-point conversion).
 */
#ifndef CMAN_GFMT_H
#define CMAN_GFMT_H

#include <stddef.h>

/* Room cman_fmt_g() needs: sign, 17 digits, point, exponent, NUL. */
#define CMAN_FMT_G_MAX 32

/*
 * Write v as snprintf(buf, CMAN_FMT_G_MAX, "%.*g", prec, v) does (the same
 * bytes, NUL-terminated; the C locale's decimal point) and return its
 * length.  buf has room for CMAN_FMT_G_MAX bytes; prec from 1 to 17.
 * Values whose rounding to prec digits is not certain from one correctly
 * rounded scaling (within a few units of the last place of a tie), and
 * zeros, infinities, NaNs and magnitudes beyond 1e+/-22 of the digits, go
 * to snprintf itself.
 */
size_t cman_fmt_g(char *buf, double v, int prec);

#endif
