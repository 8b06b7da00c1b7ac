/* Chart primitives of the reports (reports/src/svg.c): ticks, min/max
 * downsampling, PNG and base64, charts' SVG. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "cman/err.h"
#include "fmt.h"
#include "svg.h"

#define assert_near(a, b, eps) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (eps))) \
		fail_msg("%s = %.17g, expected %.17g", #a, a_, b_); \
} while (0)

static void test_nice_ticks(void **state)
{
	static const struct {
		double lo, hi;
		int target;
	} cases[] = {
		{ 0, 1840, 5 }, { 0, 1, 5 }, { 0, 97, 5 }, { 0, 3.5, 5 }, { 0, 0.0247, 5 },
		{ -3, 7, 5 }, { 5, 5, 5 }, { 0, 0, 5 }, { 0, 250, 3 }, { 1e-9, 3e-9, 4 },
		{ 123456, 987654321, 6 }, { 0, 1, 1000 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_ticks t;
		int k;

		cman_nice_ticks(cases[i].lo, cases[i].hi, cases[i].target, &t);
		/* always: covers the range, starts and ends on the ticks, nice steps */
		assert_true(t.lo <= cases[i].lo);
		assert_true(t.hi >= cases[i].hi);
		assert_int_equal(t.n, (int)llround((t.hi - t.lo) / t.step) + 1);
		assert_true(t.n >= 2 && t.n <= CMAN_MAX_TICKS);
		for (k = 0; k < t.n; k++)
			assert_near(t.v[k], t.lo + k * t.step, 1e-12 * fmax(1, fabs(t.hi)));
		{
			double m = t.step / pow(10, floor(log10(t.step)) );

			assert_true(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9);
		}
	}
	/* exact expectations for the common cases */
	{
		struct cman_ticks t;

		cman_nice_ticks(0, 1840, 5, &t);
		assert_near(t.step, 500, 0);
		assert_near(t.hi, 2000, 0);
		assert_int_equal(t.n, 5);
		cman_nice_ticks(0, 3.5, 5, &t);
		assert_near(t.step, 1, 0);
		assert_near(t.hi, 4, 0);
		cman_nice_ticks(0, 0.0247, 5, &t);
		assert_near(t.step, 0.01, 1e-15);
		assert_near(t.v[3], 0.03, 0);   /* no 0.030000000000000002 */
		cman_nice_ticks(-3, 7, 5, &t);
		assert_true(t.lo <= -3 && t.hi >= 7);
		assert_near(t.v[0] + 0, t.lo, 0);
		cman_nice_ticks(NAN, 1, 5, &t);
		assert_near(t.lo, 0, 0);
		assert_near(t.hi, 1, 0);
	}
}

static void test_time_ticks(void **state)
{
	struct cman_time_ticks t;
	char buf[32];

	/* two hours: every 15 minutes, from the start */
	cman_time_ticks(1512086400, 1512093600, 9, &t);
	assert_int_equal(t.unit, CMAN_TU_SUBDAY);
	assert_int_equal(t.step, 900);
	assert_int_equal(t.n, 9);
	assert_int_equal(t.v[0], 1512086400);
	assert_string_equal(cman_time_tick_label(buf, &t, 0), "Dec 01");
	assert_string_equal(cman_time_tick_label(buf, &t, 1), "00:15");
	/* a week: daily at midnight */
	cman_time_ticks(1456790400, 1456790400 + 7 * 86400, 9, &t);
	assert_int_equal(t.unit, CMAN_TU_DAYS);
	assert_int_equal(t.step, 86400);
	assert_int_equal(t.n, 8);
	assert_string_equal(cman_time_tick_label(buf, &t, 0), "Mar 01");
	assert_string_equal(cman_time_tick_label(buf, &t, 7), "Mar 08");
	/* a year: months */
	cman_time_ticks(1514764800, 1546300800, 9, &t);
	assert_int_equal(t.unit, CMAN_TU_MONTHS);
	assert_true(t.n <= 9 && t.n >= 4);
	assert_string_equal(cman_time_tick_label(buf, &t, 0), "Jan 2018");
	assert_string_equal(cman_time_tick_label(buf, &t, 1), "Mar");
	assert_string_equal(cman_time_tick_label(buf, &t, t.n - 1), "Jan 2019");
	/* 10 weeks: Mondays */
	cman_time_ticks(1514764800, 1514764800 + 70 * 86400, 11, &t);
	assert_int_equal(t.step % 604800, 0);
	assert_int_equal((t.v[0] / 86400 + 3) % 7, 0);   /* 1970-01-05 (day 4) was a Monday */
	/* a window starting at 06:30 for 6 hours: ticks inside it, first one dated */
	cman_time_ticks(1456813800, 1456813800 + 6 * 3600, 9, &t);
	assert_true(t.v[0] >= 1456813800 && t.v[t.n - 1] <= 1456813800 + 6 * 3600);
	assert_string_equal(cman_time_tick_label(buf, &t, 0), "Mar 01 07:00");
	/* decades */
	cman_time_ticks(0, 40LL * 365 * 86400, 9, &t);
	assert_true(t.n >= 2 && t.n <= 9);
}

static void test_downsample_keeps_peaks(void **state)
{
	enum { N = 100000, COLS = 920 };
	double *y = malloc(N * sizeof(double)), mn[COLS], mx[COLS];
	unsigned char ord[COLS];
	size_t n, c;
	double gmax = -1, gmin = 1e9;
	int found_peak = 0, found_dip = 0;

	assert_non_null(y);
	for (n = 0; n < N; n++)
		y[n] = 100 + 10 * sin((double)n / 50);
	y[12345] = 1000;   /* a one-sample spike */
	y[77777] = -50;    /* a one-sample dip */
	y[500] = NAN;
	n = cman_downsample_minmax(y, 1, N, COLS, mn, mx, ord);
	assert_int_equal(n, COLS);
	for (c = 0; c < COLS; c++) {
		gmax = fmax(gmax, mx[c]);
		gmin = fmin(gmin, mn[c]);
		if (mx[c] == 1000) {
			found_peak = 1;
			/* the spike's column is the one its index falls in */
			assert_int_equal(c, (size_t)12345 * COLS / N);
		}
		if (mn[c] == -50)
			found_dip = 1;
		assert_true(mn[c] <= mx[c]);
	}
	assert_true(found_peak && found_dip);
	assert_near(gmax, 1000, 0);
	assert_near(gmin, -50, 0);

	/* short series: one column per sample, values unchanged */
	n = cman_downsample_minmax(y, 1, 10, COLS, mn, mx, ord);
	assert_int_equal(n, 10);
	assert_near(mn[3], y[3], 0);
	assert_near(mx[3], y[3], 0);

	/* stride: every other value; an all-NaN column stays NaN */
	for (n = 0; n < 40; n++)
		y[n] = n % 2 ? 999 : (double)n;
	for (n = 0; n < 8; n += 2)
		y[n] = NAN;
	n = cman_downsample_minmax(y, 2, 20, 5, mn, mx, ord);
	assert_int_equal(n, 5);
	assert_true(isnan(mn[0]) && isnan(mx[0]));
	assert_near(mn[1], 8, 0);
	assert_near(mx[1], 14, 0);
	assert_int_equal(ord[1], 0);   /* min first */
	free(y);
}

/* cman_downsample_minmax against a loop that keeps where each minimum and
 * maximum first occurs (issue 12): the same bits (0 and -0 too), the same
 * order, with NaN, strides, runs, columns of one value. */
static void test_downsample_as_reference(void **state)
{
	static const size_t sizes[] = { 1, 7, 920, 921, 5000, 100003 };
	uint64_t x = 0x2545F4914F6CDD1DULL;
	size_t si, rep, stride, n, c, k;

	(void)state;
	for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
		for (rep = 0; rep < 8; rep++)
			for (stride = 1; stride <= 3; stride += 2) {
				size_t cols = rep % 2 ? 920 : 37, nc;
				double *y, *mn = malloc(cols * sizeof(double));
				double *mx = malloc(cols * sizeof(double));
				unsigned char *ord = malloc(cols);

				n = sizes[si];
				y = malloc(n * stride * sizeof(double));
				for (k = 0; k < n * stride; k++) {
					x ^= x << 13;
					x ^= x >> 7;
					x ^= x << 17;
					switch (rep / 2) {
					case 0:   /* values with NaN */
						y[k] = x % 9 == 0 ? NAN : (double)(x % 1000) - 500;
						break;
					case 1:   /* 0 and -0 as the minimum, runs */
						y[k] = k % 50 && k ? y[k - 1]
							: x % 3 == 0 ? -0.0 : x % 3 == 1 ? 0.0
							: (double)(x % 10);
						break;
					case 2:   /* 0 and -0 as the maximum, NaN */
						y[k] = x % 4 == 0 ? -0.0 : x % 4 == 1 ? 0.0
							: x % 4 == 2 ? NAN : -(double)(x % 10);
						break;
					default:   /* one value, NaN runs */
						y[k] = (k / 300) % 3 == 1 ? NAN : 7.5;
						break;
					}
				}
				nc = cman_downsample_minmax(y, stride, n, cols, mn, mx, ord);
				assert_int_equal(nc, n < cols ? n : cols);
				for (c = 0; c < nc && n > cols; c++) {
					size_t lo = c * n / cols, hi = (c + 1) * n / cols, ia = 0, ib = 0;
					double a = NAN, b = NAN;

					for (k = lo; k < hi && isnan(y[k * stride]); k++)
						;
					if (k < hi) {
						a = b = y[k * stride];
						ia = ib = k;
						for (k++; k < hi; k++) {
							double v = y[k * stride];

							if (v < a) {
								a = v;
								ia = k;
							}
							if (v > b) {
								b = v;
								ib = k;
							}
						}
					}
					if (memcmp(&a, &mn[c], sizeof(a)) || memcmp(&b, &mx[c], sizeof(b)) ||
					    ord[c] != (ib < ia))
						fail_msg("n %zu rep %zu stride %zu column %zu: %g %g %d, "
							 "expected %g %g %d", n, rep, stride, c, mn[c], mx[c],
							 ord[c], a, b, ib < ia);
				}
				free(y);
				free(mn);
				free(mx);
				free(ord);
			}
}

static void test_base64_png(void **state)
{
	char *out = NULL;
	size_t n = 0, i;
	FILE *fp = open_memstream(&out, &n);
	unsigned char rgb[2 * 3 * 3], *png = NULL, raw[64];
	size_t png_n = 0;
	uLongf raw_n = sizeof(raw);
	uint32_t len;

	cman_base64(fp, (const unsigned char *)"Man", 3);
	cman_base64(fp, (const unsigned char *)"Ma", 2);
	cman_base64(fp, (const unsigned char *)"M", 1);
	fclose(fp);
	assert_string_equal(out, "TWFuTWE=TQ==");
	free(out);

	for (i = 0; i < sizeof(rgb); i++)
		rgb[i] = (unsigned char)(i * 13);
	assert_int_equal(cman_png_rgb(rgb, 3, 2, &png, &png_n), 0);
	assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
	assert_memory_equal(png + 12, "IHDR", 4);
	assert_int_equal(png[16 + 3], 3);   /* width */
	assert_int_equal(png[20 + 3], 2);   /* height */
	/* IDAT holds the rows, each behind a filter byte 0 */
	len = (uint32_t)png[33] << 24 | (uint32_t)png[34] << 16 | (uint32_t)png[35] << 8 | png[36];
	assert_memory_equal(png + 37, "IDAT", 4);
	assert_int_equal(uncompress(raw, &raw_n, png + 41, len), Z_OK);
	assert_int_equal(raw_n, 2 * (1 + 9));
	assert_int_equal(raw[0], 0);
	assert_memory_equal(raw + 1, rgb, 9);
	assert_memory_equal(raw + 11, rgb + 9, 9);
	/* the IDAT CRC */
	{
		uLong crc = crc32(0L, png + 37, 4 + len);
		const unsigned char *c = png + 41 + len;

		assert_int_equal((uint32_t)crc, (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 |
				 (uint32_t)c[2] << 8 | c[3]);
	}
	assert_memory_equal(png + png_n - 8, "IEND", 4);
	free(png);
	assert_int_equal(cman_png_rgb(rgb, 0, 2, &png, &png_n), CMAN_EINTERNAL);
	assert_int_equal(cman_heat_color(0), 0xffffd9);
	assert_int_equal(cman_heat_color(1), 0x081d58);
	assert_int_equal(cman_heat_color(NAN), 0xffffd9);
}

/* The heatmap colours as floor() and lround() made them (the PNG bytes
 * depend on them): every stop, halves between channel values, a grid and
 * pseudo-random points. */
static unsigned heat_ref(double u)
{
	static const unsigned stops[9] = {
		0xffffd9, 0xedf8b1, 0xc7e9b4, 0x7fcdbb, 0x41b6c4, 0x1d91c0, 0x225ea8, 0x253494,
		0x081d58,
	};
	double f;
	int i, k;
	unsigned out = 0;

	if (!(u >= 0))
		u = 0;
	if (u > 1)
		u = 1;
	f = u * 8;
	i = (int)floor(f);
	if (i >= 8)
		return stops[8];
	f -= i;
	for (k = 16; k >= 0; k -= 8) {
		double a = (stops[i] >> k) & 0xff, b = (stops[i + 1] >> k) & 0xff;

		out |= (unsigned)lround(a + (b - a) * f) << k;
	}
	return out;
}

static void test_heat_color_as_lround(void **state)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	int i;

	(void)state;
	for (i = -10; i <= 2 * 8 * 512 + 10; i++) {
		double u = (double)i / (2 * 8 * 512);

		assert_int_equal(cman_heat_color(u), heat_ref(u));
		assert_int_equal(cman_heat_color(nextafter(u, 2)), heat_ref(nextafter(u, 2)));
		assert_int_equal(cman_heat_color(nextafter(u, -1)), heat_ref(nextafter(u, -1)));
	}
	for (i = 0; i < 200000; i++) {
		double u;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		u = (double)(x >> 11) * 0x1p-53;
		assert_int_equal(cman_heat_color(u), heat_ref(u));
	}
	assert_int_equal(cman_heat_color(INFINITY), heat_ref(INFINITY));
	assert_int_equal(cman_heat_color(-INFINITY), heat_ref(-INFINITY));
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

static void test_timechart(void **state)
{
	enum { N = 525600 };
	double *y = malloc(N * sizeof(double));
	char *out = NULL, *data = NULL;
	size_t n = 0, dn = 0, i;
	FILE *fp = open_memstream(&out, &n), *dfp = open_memstream(&data, &dn);
	struct cman_timechart c = { 0 };
	const char *path;

	assert_non_null(y);
	for (i = 0; i < N; i++)
		y[i] = (double)(i % 1440);
	y[1000] = 5000;   /* a spike that must reach the top of the chart */
	c.id = "t1";
	c.title = "Capacity <vCPUs>";
	c.unit = "vCPUs";
	c.t0 = 1514764800;
	c.dt = 60;
	c.n = N;
	c.x0 = c.t0;
	c.x1 = c.t0 + (int64_t)N * 60;
	c.n_series = 1;
	c.s[0].name = "capacity";
	c.s[0].color = "#1f77b4";
	c.s[0].y = y;
	assert_int_equal(cman_svg_timechart(fp, dfp, &c), 0);
	fclose(fp);
	fclose(dfp);
	assert_non_null(strstr(out, "<figure class=\"chart\" id=\"t1\">"));
	assert_non_null(strstr(out, "Capacity &lt;vCPUs&gt;"));
	assert_non_null(strstr(out, "Jan 2018"));
	/* the y axis reaches the spike: ticks 0, 2k, 4k, 6k */
	assert_non_null(strstr(out, ">6k</text>"));
	/* at most two points per pixel column */
	path = strstr(out, "<path class=\"s\"");
	assert_non_null(path);
	assert_true(count(path, " ") < 2 * 2 * CMAN_PLOT_COLS + 10);
	/* the output stays small */
	assert_true(n < 60000);
	assert_non_null(strstr(data, "\"t1\":{\"k\":\"ts\""));
	assert_non_null(strstr(data, "5000"));
	free(out);
	free(data);
	free(y);
}

/* A category series (cat, cat_value: the binding resource, issue 12) draws
 * exactly what the same series as an array of 0 and 1 draws: short runs,
 * long ones downsampled, runs of one value, in the page and the hover data. */
static void test_timechart_category(void **state)
{
	static const size_t ns[] = { 5, 936, 937, 10080, 525600 };
	uint64_t x = 0x3C6EF372FE94F82BULL;
	size_t t;

	(void)state;
	for (t = 0; t < sizeof(ns) / sizeof(ns[0]) * 3; t++) {
		size_t n = ns[t / 3], i, k;
		unsigned char *cat = malloc(n);
		double *ind[3];
		char *out[2] = { NULL, NULL }, *data[2] = { NULL, NULL };
		size_t on[2], dn[2];
		int pass;

		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* runs: long (t % 3 == 0), short, or one value throughout */
			cat[i] = t % 3 == 2 ? 1 : t % 3 == 0 ? (unsigned char)(i / 700 % 3)
				 : (unsigned char)(x % 3);
		}
		for (k = 0; k < 3; k++) {
			ind[k] = malloc(n * sizeof(double));
			for (i = 0; i < n; i++)
				ind[k][i] = cat[i] == k ? 1 : 0;
		}
		for (pass = 0; pass < 2; pass++) {
			FILE *fp = open_memstream(&out[pass], &on[pass]);
			FILE *dfp = open_memstream(&data[pass], &dn[pass]);
			struct cman_timechart c = { 0 };

			c.id = "cat";
			c.title = "Binding";
			c.t0 = 1514764800;
			c.dt = 60;
			c.n = n;
			c.x0 = c.t0;
			c.x1 = c.t0 + (int64_t)n * 60;
			c.n_series = 3;
			for (k = 0; k < 3; k++) {
				c.s[k].name = "r";
				c.s[k].color = "#1f77b4";
				c.s[k].style = CMAN_AREA;
				if (pass) {
					c.s[k].cat = cat;
					c.s[k].cat_value = (unsigned char)k;
				} else {
					c.s[k].y = ind[k];
				}
			}
			assert_int_equal(cman_svg_timechart(fp, dfp, &c), 0);
			fclose(fp);
			fclose(dfp);
		}
		assert_string_equal(out[0], out[1]);
		assert_string_equal(data[0], data[1]);
		for (k = 0; k < 3; k++)
			free(ind[k]);
		for (pass = 0; pass < 2; pass++) {
			free(out[pass]);
			free(data[pass]);
		}
		free(cat);
	}
}

static void test_timechart_steps_and_gaps(void **state)
{
	double y[4] = { 1, 2, NAN, 3 };
	char *out = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&out, &n);
	struct cman_timechart c = { 0 };

	c.id = "t2";
	c.title = "steps";
	c.t0 = 0;
	c.dt = 10;
	c.n = 4;
	c.x0 = 0;
	c.x1 = 40;
	c.n_series = 1;
	c.s[0].name = "s";
	c.s[0].color = "#000";
	c.s[0].y = y;
	assert_int_equal(cman_svg_timechart(fp, NULL, &c), 0);
	fclose(fp);
	/* a sample holds until the next one: M, V, H; the gap starts a new M */
	assert_non_null(strstr(out, "<path class=\"s\" style=\"stroke:#000\" d=\"M64 "));
	assert_int_equal(count(strstr(out, "<path class=\"s\""), "M"), 2);
	/* the last step reaches the end of the axis */
	assert_non_null(strstr(out, "H984\"/>"));
	free(out);
}

static void test_heatmap(void **state)
{
	double cell[3 * 24], q1[3], q2[3], q3[3];
	char *out = NULL, *data = NULL;
	size_t n = 0, dn = 0, i;
	FILE *fp = open_memstream(&out, &n), *dfp = open_memstream(&data, &dn);
	struct cman_heatmap h = { 0 };

	for (i = 0; i < 3 * 24; i++)
		cell[i] = i == 5 ? NAN : (double)(i % 24);
	for (i = 0; i < 3; i++) {
		q1[i] = 5;
		q2[i] = 11.5;
		q3[i] = 18;
	}
	h.id = "h1";
	h.title = "Cost rate";
	h.unit = "$/h";
	h.money = true;
	h.day0 = 1456790400;
	h.n_days = 3;
	h.n_bins = 24;
	h.cell = cell;
	h.q25 = q1;
	h.q50 = q2;
	h.q75 = q3;
	assert_int_equal(cman_svg_heatmap(fp, dfp, &h), 0);
	fclose(fp);
	fclose(dfp);
	assert_non_null(strstr(out, "href=\"data:image/png;base64,iVBORw0KGgo"));
	assert_non_null(strstr(out, "Mar 01"));
	assert_non_null(strstr(out, "Mar 03"));
	assert_non_null(strstr(out, "hourly mean from $0 (light) to $23 (dark)"));
	assert_non_null(strstr(out, "class=\"band\""));
	assert_non_null(strstr(data, "\"h1\":{\"k\":\"hm\""));
	assert_non_null(strstr(data, "null"));   /* the empty cell */
	free(out);
	free(data);
}

/* A heatmap's hover numbers are each cell's compact text, also where the
 * texts are taken again for a repeated value (issue 12): thousands of
 * cells of a few hundred values, 0 and -0, NaN, values that share a slot
 * of the table of texts. */
static void test_heatmap_numbers(void **state)
{
	enum { DAYS = 365, BINS = 24, N = DAYS * BINS };
	static double cell[N];
	double q[DAYS];
	char *out = NULL, *data = NULL, *want = NULL, buf[CMAN_FMT_BUFSZ];
	size_t n = 0, dn = 0, wn = 0, i;
	FILE *fp = open_memstream(&out, &n), *dfp = open_memstream(&data, &dn);
	FILE *wfp = open_memstream(&want, &wn);
	struct cman_heatmap h = { 0 };
	uint64_t x = 0x9E3779B97F4A7C15ULL;

	(void)state;
	for (i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		cell[i] = x % 50 == 0 ? NAN : x % 50 == 1 ? -0.0 : x % 50 == 2 ? 0.0
			: x % 2 ? (double)(x % 300) * 16 : (double)(x % 3000) * 0.001237;
	}
	for (i = 0; i < DAYS; i++)
		q[i] = (double)i;
	h.id = "h2";
	h.title = "Capacity";
	h.unit = "vCPUs";
	h.day0 = 1456790400;
	h.n_days = DAYS;
	h.n_bins = BINS;
	h.cell = cell;
	h.q25 = h.q50 = h.q75 = q;
	assert_int_equal(cman_svg_heatmap(fp, dfp, &h), 0);
	fclose(fp);
	fclose(dfp);
	fputs("\"v\":[", wfp);
	for (i = 0; i < N; i++)
		fprintf(wfp, "%s%s", i ? "," : "", cman_fmt_compact(buf, cell[i]));
	fputs("],", wfp);
	fclose(wfp);
	assert_non_null(strstr(data, want));
	free(out);
	free(data);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nice_ticks),
		cmocka_unit_test(test_time_ticks),
		cmocka_unit_test(test_downsample_keeps_peaks),
		cmocka_unit_test(test_downsample_as_reference),
		cmocka_unit_test(test_base64_png),
		cmocka_unit_test(test_timechart),
		cmocka_unit_test(test_timechart_category),
		cmocka_unit_test(test_timechart_steps_and_gaps),
		cmocka_unit_test(test_heatmap),
		cmocka_unit_test(test_heatmap_numbers),
		cmocka_unit_test(test_heat_color_as_lround),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
