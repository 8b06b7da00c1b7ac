/*
 * time.h - simulated time: integer seconds since the Unix epoch, UTC.
 */
#ifndef CMAN_TIME_H
#define CMAN_TIME_H

#include <stddef.h>
#include <stdint.h>

#define CMAN_TIME_BUFSZ 32

/*
 * Parse a timestamp: an integer epoch-seconds string ("1512144000", optional
 * sign), or ISO-8601 "YYYY-MM-DDTHH:MM:SS" (a space may replace the T; the
 * seconds are optional; fractional seconds are truncated) followed by "Z",
 * "+HH:MM", "+HHMM", "+HH" or the same with "-".  A string without any offset
 * is taken as UTC.  A date alone ("YYYY-MM-DD") means its midnight UTC.
 * Returns 0 and stores the epoch seconds in *out, or CMAN_EINVAL (nothing
 * stored) when the string is not such a timestamp or a field is out of range.
 */
int cman_time_parse(const char *s, int64_t *out);

/* Format t as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least CMAN_TIME_BUFSZ). */
char *cman_time_format(int64_t t, char *buf);

/* Days since 1970-01-01 for a civil date, and back (proleptic Gregorian). */
int64_t cman_days_from_civil(int64_t y, unsigned m, unsigned d);
void cman_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
