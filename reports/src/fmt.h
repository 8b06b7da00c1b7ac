/*
 * fmt.h - numbers, money, times and HTML text the way a reader wants them:
 * "$1,234.56", "1.2k", "31.3%", "2016-03-01 06:00".  Every function writes
 * into a caller's buffer (at least CMAN_FMT_BUFSZ bytes unless said
 * otherwise) and returns it; the text depends only on the arguments.
 * NaN is written as "n/a".
 */
#ifndef CMAN_REPORTS_FMT_H
#define CMAN_REPORTS_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CMAN_FMT_BUFSZ 64

/* v with thousands separators and exactly `decimals` (0..6) decimals:
 * "1,234.5" (decimals 1).  -0 after rounding is written "0". */
char *cman_fmt_grouped(char *buf, double v, int decimals);

/* Dollars with cents: "$1,234.56", "-$0.50".  Amounts below one cent but
 * not zero get up to 4 significant digits ("$0.004213") so they do not read
 * as "$0.00". */
char *cman_fmt_money(char *buf, double v);

/* A price or rate: "$0.0247" (4 decimals below $10, cents above). */
char *cman_fmt_price(char *buf, double v);

/* Short form for axes and capacities: "950", "12.5", "0.25", "1.2k",
 * "1.84k", "12.3k", "123k", "4.5M", "2G" (k = 1e3, M = 1e6, G = 1e9,
 * T = 1e12); at most 3 significant digits, trailing zeros dropped. */
char *cman_fmt_si(char *buf, double v);

/* A share as a percentage with one decimal: 0.3134 -> "31.3%". */
char *cman_fmt_percent(char *buf, double share);

/* UTC "YYYY-MM-DD". */
char *cman_fmt_date(char *buf, int64_t t);

/* UTC "YYYY-MM-DD HH:MM" (":SS" added when the seconds are not 0). */
char *cman_fmt_datetime(char *buf, int64_t t);

/* A duration: "45 s", "30 min", "2 h", "2 h 30 min", "7 days", "1 day 6 h". */
char *cman_fmt_duration(char *buf, int64_t seconds);

/* A number for machine reading in HTML attributes and script data: like
 * "%.12g" (the precision summary.json is written with). */
char *cman_fmt_exact(char *buf, double v);

/* A number with 4 significant digits for compact script data ("" for NaN
 * is written "null"). */
char *cman_fmt_compact(char *buf, double v);

/* The same, returning the end of the text (its NUL). */
char *cman_fmt_compact_end(char *buf, double v);

/* Write s to fp with &, <, >, " and ' escaped for HTML text and attributes. */
void cman_html_escape(FILE *fp, const char *s);

#endif
