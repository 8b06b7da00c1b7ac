/*
 * time.h - simulated time: integer seconds since the Unix epoch, UTC.
 */
#ifndef CMAN_TIME_H
#define CMAN_TIME_H

#include <stddef.h>
#include <stdint.h>

#define CMAN_TIME_BUFSZ 32

/*
 * The times the project accepts anywhere (scenarios, metrics, stores):
 * 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z.  Parser and formatter agree
 * on this range (issue 9.6).
 */
#define CMAN_TIME_MIN INT64_C(0)
#define CMAN_TIME_MAX INT64_C(253402300799)

/* Whether t is within [CMAN_TIME_MIN, CMAN_TIME_MAX]. */
static inline int cman_time_valid(int64_t t)
{
	return t >= CMAN_TIME_MIN && t <= CMAN_TIME_MAX;
}

/*
 * Parse a timestamp: an integer epoch-seconds string ("1512144000", optional
 * sign), or ISO-8601 "YYYY-MM-DDTHH:MM:SS" (a space may replace the T; the
 * seconds are optional; fractional seconds are truncated) followed by "Z",
 * "+HH:MM", "+HHMM", "+HH" or the same with "-".  A string without any offset
 * is taken as UTC.  A date alone ("YYYY-MM-DD") means its midnight UTC.
 * Returns 0 and stores the epoch seconds in *out, or CMAN_EINVAL (nothing
 * stored) when the string is not such a timestamp, a field is out of range,
 * or the time is outside [CMAN_TIME_MIN, CMAN_TIME_MAX].
 */
int cman_time_parse(const char *s, int64_t *out);

/*
 * Format t as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least CMAN_TIME_BUFSZ).  A
 * t outside [CMAN_TIME_MIN, CMAN_TIME_MAX] is written as its decimal number
 * (which cman_time_parse() refuses), so every formatted time parses back to
 * itself and nothing else does.
 */
char *cman_time_format(int64_t t, char *buf);

/* Days since 1970-01-01 for a civil date, and back (proleptic Gregorian). */
int64_t cman_days_from_civil(int64_t y, unsigned m, unsigned d);
void cman_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
