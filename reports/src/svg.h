/*
 * svg.h - chart primitives of the HTML report, drawn as inline SVG: axes
 * with nice ticks, time charts of lines and areas, and time-of-day x date
 * heatmaps with a daily median and inter-quartile band.  Long series are
 * downsampled to one column per pixel keeping each column's minimum and
 * maximum, so peaks survive.
 *
 * Charts are written as HTML <figure> elements to fp.  When data is not
 * NULL, each chart also appends a JavaScript property `"ID":{...},` with
 * the drawn values to data, which the report's small script uses for hover
 * details; the charts read fine without it.
 */
#ifndef CMAN_REPORTS_SVG_H
#define CMAN_REPORTS_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CMAN_MAX_TICKS 32
#define CMAN_MAX_SERIES 12

/* Chart geometry (SVG user units; the SVG scales to the page width). */
#define CMAN_SVG_WIDTH 1000
#define CMAN_PLOT_LEFT 64
#define CMAN_PLOT_RIGHT 16
#define CMAN_PLOT_COLS (CMAN_SVG_WIDTH - CMAN_PLOT_LEFT - CMAN_PLOT_RIGHT)

/* Ticks on a value axis: n values lo, lo + step, ..., hi. */
struct cman_ticks {
	double lo, hi, step;
	int n;
	double v[CMAN_MAX_TICKS];
};

/*
 * "Nice" ticks covering [lo, hi]: steps of 1, 2 or 5 times a power of ten,
 * about `target` of them (target >= 2), with lo and hi rounded outwards to
 * multiples of the step.  An empty range (hi <= lo) is widened around lo
 * ([0, 1] for 0).  Non-finite input gives the ticks of [0, 1].
 */
void cman_nice_ticks(double lo, double hi, int target, struct cman_ticks *t);

/* Ticks on a time axis (UTC). */
enum cman_time_unit { CMAN_TU_SUBDAY, CMAN_TU_DAYS, CMAN_TU_MONTHS };
struct cman_time_ticks {
	int n;
	int64_t v[CMAN_MAX_TICKS];
	int64_t step;             /* seconds; for months an approximate 30 days x k */
	enum cman_time_unit unit;
};

/*
 * Ticks inside [t0, t1] at round times: multiples of 1, 5, 10, 15, 30 min,
 * 1, 2, 3, 6, 12 h (sub-day), 1, 2 days, Mondays every 1 or 2 weeks, first
 * days of every 1, 2, 3, 6 months, or of January every k years: the finest
 * step giving at most `target` ticks.
 */
void cman_time_ticks(int64_t t0, int64_t t1, int target, struct cman_time_ticks *t);

/*
 * The label of tick i: "06:00" (sub-day; "Mar 01" at midnights and the
 * first tick gets the date: "Mar 01 06:00"), "Mar 01" (days), "Mar 2016"
 * (months; "2016" in January when every 12 months).  buf at least 32 bytes.
 */
char *cman_time_tick_label(char *buf, const struct cman_time_ticks *t, int i);

/*
 * Downsample n samples (y[i * stride]) into at most cols columns: column c
 * covers samples [c * n / cols, (c + 1) * n / cols).  mn[c], mx[c] are the
 * minimum and maximum of the column's non-NaN values (NaN when it has
 * none); order[c] (may be NULL) is 1 when the maximum comes first.  When
 * n <= cols every sample is its own column.  Returns the number of columns
 * (min(n, cols)); mn, mx, order must hold that many.
 */
size_t cman_downsample_minmax(const double *y, size_t stride, size_t n, size_t cols,
			      double *mn, double *mx, unsigned char *order);

/* LINE, DASHED, AREA: a value holds until the next sample (steps), or
 * min/max per pixel column when downsampled; EVENTS: a stem from 0 to each
 * non-zero value (the largest of a pixel column), for counts of events. */
enum cman_style { CMAN_LINE, CMAN_DASHED, CMAN_AREA, CMAN_EVENTS };

struct cman_series {
	const char *name;      /* legend text */
	const char *color;     /* CSS colour, e.g. "#1f77b4" */
	enum cman_style style;
	const double *y;       /* y[i * stride], NaN = no value (a gap) */
	size_t stride;         /* 0 means 1 */
	double scale;          /* values are multiplied by it; 0 means 1 */
	/* or, when cat is set (y unused): the value is 1 where cat[i] ==
	 * cat_value, else 0 (an indicator of a category per sample, without an
	 * array of doubles for it) */
	const unsigned char *cat;
	unsigned char cat_value;
};

struct cman_timechart {
	const char *id;        /* unique within the page */
	const char *title;
	const char *unit;      /* shown beside the title and in hover details */
	const char *note;      /* optional text under the chart (HTML escaped) */
	bool money;            /* "$" before tick labels */
	int64_t t0, dt;        /* sample i is at t0 + i * dt ... */
	const int64_t *tx;     /* ... unless tx (times of the samples) is set */
	size_t n;
	int64_t x0, x1;        /* the time axis' range */
	int height;            /* of the SVG in user units; 0 means 240 */
	size_t n_series;
	struct cman_series s[CMAN_MAX_SERIES];
};

/* Write a time chart (figure, SVG, legend).  Returns 0 or CMAN_ENOMEM. */
int cman_svg_timechart(FILE *fp, FILE *data, const struct cman_timechart *c);

struct cman_heatmap {
	const char *id, *title, *unit;
	bool money;
	int64_t day0;          /* midnight (UTC) of the first day */
	size_t n_days, n_bins; /* columns (dates) and rows (parts of the day) */
	const double *cell;    /* [day * n_bins + bin]: mean of the part; NaN empty */
	const double *q25, *q50, *q75; /* per day: quartiles of the day's samples */
};

/*
 * Write a time-of-day x date heatmap (the cells as one embedded PNG image,
 * rows = parts of the day from midnight at the top) with the daily median
 * line and inter-quartile band below it on the same date axis.  Returns 0 or
 * CMAN_ENOMEM.
 */
int cman_svg_heatmap(FILE *fp, FILE *data, const struct cman_heatmap *h);

/* The heatmap's colour for a position u in [0, 1] as 0xRRGGBB. */
unsigned cman_heat_color(double u);

/* Write n bytes as base64 to fp. */
void cman_base64(FILE *fp, const unsigned char *p, size_t n);

/*
 * Encode an 8-bit RGB image (w x h, rows top to bottom) as PNG.  *out is
 * malloc'd (caller frees).  Returns 0, CMAN_ENOMEM or CMAN_EINTERNAL.
 */
int cman_png_rgb(const unsigned char *rgb, unsigned w, unsigned h, unsigned char **out,
		 size_t *n_out);

#endif
