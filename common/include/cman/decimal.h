/*
 * decimal.h - decimal numbers read exactly as strtod reads them, without
 * strtod for the short ones data files are made of.
 */
#ifndef CMAN_DECIMAL_H
#define CMAN_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The double strtod returns for s[0..len) when that is a decimal of the
 * form -?D+(.D+)?([eE][+-]?D+)? with at most 15 significant digits and a
 * power of ten of at most 22 once the point is moved: the digits are an
 * integer m < 2^53 and 10^k is exact, so m * 10^k or m / 10^k is one
 * correctly rounded operation (Clinger's fast path), bit for bit strtod's
 * result in round-to-nearest.  False for anything else (longer numbers,
 * larger exponents, other text): the caller then uses strtod.  No locale,
 * no allocation.
 */
bool cman_decimal_exact(const char *s, size_t len, double *out);

#endif
