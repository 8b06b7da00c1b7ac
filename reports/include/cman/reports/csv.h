/*
 * csv.h - writing CSV fields the way every report of the project does:
 * RFC 4180 quoting, numbers with up to 10 significant digits (deterministic
 * for equal inputs), NaN written as an empty field.
 */
#ifndef CMAN_REPORTS_CSV_H
#define CMAN_REPORTS_CSV_H

#include <stdio.h>

/* A text field, quoted when it holds a comma, quote or line break. */
void cman_csv_text(FILE *fp, const char *s);

/* A number: exactly the text of snprintf "%.10g" (correctly rounded, ties
 * to even as glibc), -0 written as 0, NaN as nothing. */
void cman_csv_number(FILE *fp, double v);

/* An integer. */
void cman_csv_int(FILE *fp, long long v);

/* A number the same way into buf (at least 32 bytes); "" for NaN. */
char *cman_fmt_number(char *buf, double v);

/* The same, returning the end of the text (its NUL) instead: rows are
 * built in a buffer and written at once. */
char *cman_fmt_number_end(char *buf, double v);

/* cman_fmt_number_end(), and the value its text denotes into *r: bit for
 * bit cman_csv_round(v), for the price of a division when v is not an
 * integer (issue 12: the run's report tables are filled as timeseries.csv
 * is formatted). */
char *cman_fmt_number_round(char *buf, double v, double *r);

/* An integer into buf (at least 24 bytes), returning the end (no NUL). */
char *cman_fmt_int_end(char *buf, long long v);

/* The value the text of cman_csv_number(v) denotes, as a correct reader
 * parses it back: v rounded to 10 significant digits (NaN stays NaN, -0 is
 * 0).  Reports built from a run's memory use it to see what its files hold. */
double cman_csv_round(double v);

#endif
