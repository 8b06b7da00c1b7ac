/*
 * svg.c - chart primitives of the HTML report (see svg.h).
 */
#include "svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "cman/err.h"
#include "cman/time.h"
#include "fmt.h"

/* ---- ticks ------------------------------------------------------------ */

void cman_nice_ticks(double lo, double hi, int target, struct cman_ticks *t)
{
	double range, rough, mag, norm, step, a, b;
	int i, n;

	if (!isfinite(lo) || !isfinite(hi)) {
		lo = 0;
		hi = 1;
	}
	if (target < 2)
		target = 2;
	if (target > CMAN_MAX_TICKS / 2)
		target = CMAN_MAX_TICKS / 2;
	if (hi < lo) {
		double x = lo;

		lo = hi;
		hi = x;
	}
	if (hi == lo) {
		if (lo == 0) {
			hi = 1;
		} else {
			double d = fabs(lo) * 0.1;

			lo -= d;
			hi += d;
		}
	}
	range = hi - lo;
	rough = range / (target - 1);
	mag = pow(10, floor(log10(rough)));
	norm = rough / mag;
	step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
	a = floor(lo / step + 1e-9) * step;
	b = ceil(hi / step - 1e-9) * step;
	n = (int)llround((b - a) / step) + 1;
	while (n > CMAN_MAX_TICKS) {   /* not reached with target <= MAX / 2 */
		step *= norm <= 1 ? 2 : 2.5;
		a = floor(lo / step + 1e-9) * step;
		b = ceil(hi / step - 1e-9) * step;
		n = (int)llround((b - a) / step) + 1;
	}
	t->lo = a;
	t->hi = b;
	t->step = step;
	t->n = n;
	for (i = 0; i < n; i++) {
		double v = a + i * step;

		if (fabs(v) < step * 1e-9)
			v = 0;
		/* trim representation noise: 0.30000000000000004 -> 0.3 */
		t->v[i] = round(v / step) * step;
		if (t->v[i] == 0)
			t->v[i] = 0;
	}
}

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Regular ticks every step seconds, aligned to off + k * step. */
static int regular_ticks(int64_t t0, int64_t t1, int64_t step, int64_t off, int max,
			 int64_t *v)
{
	int64_t first = (floor_div(t0 - off - 1, step) + 1) * step + off;
	int n = 0;

	for (int64_t t = first; t <= t1; t += step) {
		if (n < max && v)
			v[n] = t;
		n++;
		if (n > 4 * CMAN_MAX_TICKS)
			break;
	}
	return n;
}

/* First days of months whose index (y * 12 + m - 1) is a multiple of k. */
static int month_ticks(int64_t t0, int64_t t1, int k, int max, int64_t *v)
{
	int64_t y;
	unsigned m, d;
	int64_t mi;
	int n = 0;

	cman_civil_from_days(floor_div(t0, 86400), &y, &m, &d);
	mi = y * 12 + (m - 1);
	for (;; mi++) {
		int64_t t = cman_days_from_civil(floor_div(mi, 12), (unsigned)(mi - floor_div(mi, 12) * 12) + 1, 1) * 86400;

		if (t > t1)
			break;
		if (t < t0 || mi % k)
			continue;
		if (n < max && v)
			v[n] = t;
		n++;
		if (n > 4 * CMAN_MAX_TICKS)
			break;
	}
	return n;
}

void cman_time_ticks(int64_t t0, int64_t t1, int target, struct cman_time_ticks *t)
{
	static const int64_t sub[] = { 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
				       43200, 86400, 172800, 604800, 1209600 };
	static const int months[] = { 1, 2, 3, 6, 12, 24, 60, 120, 600 };
	size_t i;

	if (target < 2)
		target = 2;
	if (target > CMAN_MAX_TICKS)
		target = CMAN_MAX_TICKS;
	if (t1 < t0)
		t1 = t0;
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		int64_t off = sub[i] >= 604800 ? 4 * 86400 : 0;   /* 1970-01-05: a Monday */

		if (regular_ticks(t0, t1, sub[i], off, 0, NULL) <= target) {
			t->n = regular_ticks(t0, t1, sub[i], off, CMAN_MAX_TICKS, t->v);
			t->step = sub[i];
			t->unit = sub[i] < 86400 ? CMAN_TU_SUBDAY : CMAN_TU_DAYS;
			return;
		}
	}
	for (i = 0; i < sizeof(months) / sizeof(months[0]); i++) {
		int n = month_ticks(t0, t1, months[i], 0, NULL);

		if (n <= target || i + 1 == sizeof(months) / sizeof(months[0])) {
			t->n = month_ticks(t0, t1, months[i], CMAN_MAX_TICKS, t->v);
			if (t->n > CMAN_MAX_TICKS)
				t->n = CMAN_MAX_TICKS;
			t->step = (int64_t)months[i] * 30 * 86400;
			t->unit = CMAN_TU_MONTHS;
			return;
		}
	}
}

char *cman_time_tick_label(char *buf, const struct cman_time_ticks *t, int i)
{
	int64_t v = t->v[i], days = floor_div(v, 86400), sod = v - days * 86400, y;
	unsigned m, d;

	cman_civil_from_days(days, &y, &m, &d);
	switch (t->unit) {
	case CMAN_TU_SUBDAY:
		if (sod == 0)
			snprintf(buf, 32, "%s %02u", month_names[m - 1], d);
		else if (i == 0)
			snprintf(buf, 32, "%s %02u %02d:%02d", month_names[m - 1], d,
				 (int)(sod / 3600), (int)(sod / 60 % 60));
		else
			snprintf(buf, 32, "%02d:%02d", (int)(sod / 3600), (int)(sod / 60 % 60));
		break;
	case CMAN_TU_DAYS:
		snprintf(buf, 32, "%s %02u", month_names[m - 1], d);
		break;
	case CMAN_TU_MONTHS:
		if (t->step >= 12 * 30 * 86400)
			snprintf(buf, 32, "%lld", (long long)y);
		else if (i == 0 || m == 1)
			snprintf(buf, 32, "%s %lld", month_names[m - 1], (long long)y);
		else
			snprintf(buf, 32, "%s", month_names[m - 1]);
		break;
	}
	return buf;
}

/* ---- downsampling ----------------------------------------------------- */

/*
 * The minimum and maximum of *a, *b and the m values q[i * stride] (NaN
 * skipped): without a branch per value (issue 12), two at a time for the
 * minimum and maximum instructions' latency.
 */
static inline void column_minmax(const double *q, size_t stride, size_t m, double *a,
				 double *b)
{
	double a0 = *a, b0 = *b, a1 = *a, b1 = *b;
	size_t i;

	for (i = 0; i + 1 < m; i += 2, q += 2 * stride) {
		double v = q[0], w = q[stride];

		a0 = v < a0 ? v : a0;
		b0 = v > b0 ? v : b0;
		a1 = w < a1 ? w : a1;
		b1 = w > b1 ? w : b1;
	}
	if (i < m) {
		a0 = *q < a0 ? *q : a0;
		b0 = *q > b0 ? *q : b0;
	}
	/* equal values are the same bits but for 0 and -0: the caller takes
	 * those from where they first occur */
	*a = a1 < a0 ? a1 : a0;
	*b = b1 > b0 ? b1 : b0;
}

size_t cman_downsample_minmax(const double *y, size_t stride, size_t n, size_t cols,
			      double *mn, double *mx, unsigned char *order)
{
	size_t c, k;

	if (!stride)
		stride = 1;
	if (!cols)
		return 0;
	if (n <= cols) {
		for (c = 0; c < n; c++) {
			mn[c] = mx[c] = y[c * stride];
			if (order)
				order[c] = 0;
		}
		return n;
	}
	for (c = 0; c < cols; c++) {
		size_t lo = (size_t)((unsigned long long)c * n / cols);
		size_t hi = (size_t)((unsigned long long)(c + 1) * n / cols);
		const double *q = y + lo * stride;
		double a = NAN, b = NAN;
		bool max_first = false;

		/* from the first value on, a NaN compares false: skipped */
		for (k = lo; k < hi && isnan(*q); k++)
			q += stride;
		if (k < hi) {
			a = b = *q;
			column_minmax(q + stride, stride, hi - k - 1, &a, &b);
			if (a != b) {
				/* the first value equal to either: the maximum first
				 * or not; and the bits of each where it first occurs
				 * (0 or -0; other values equal are the same bits) */
				while (*q != a && *q != b)
					q += stride;
				max_first = *q == b;
				if (max_first)
					b = *q;
				else
					a = *q;
				if (max_first ? a == 0 : b == 0) {
					double z = max_first ? a : b;

					while (*q != z)
						q += stride;
					*(max_first ? &a : &b) = *q;
				}
			}
		}
		mn[c] = a;
		mx[c] = b;
		if (order)
			order[c] = max_first;
	}
	return cols;
}

/* cman_downsample_minmax of y[i] = cat[i] == val ? 1 : 0. */
static size_t downsample_cat(const unsigned char *cat, unsigned char val, size_t n, size_t cols,
			     double *mn, double *mx, unsigned char *order)
{
	size_t c, k;

	if (!cols)
		return 0;
	if (n <= cols) {
		for (c = 0; c < n; c++) {
			mn[c] = mx[c] = cat[c] == val;
			order[c] = 0;
		}
		return n;
	}
	for (c = 0; c < cols; c++) {
		size_t lo = (size_t)((unsigned long long)c * n / cols);
		size_t hi = (size_t)((unsigned long long)(c + 1) * n / cols);
		size_t first1 = hi, first0 = hi;

		/* the first of each value: the minimum and maximum come first there */
		for (k = lo; k < hi && (first1 == hi || first0 == hi); k++) {
			if (cat[k] == val) {
				if (first1 == hi)
					first1 = k;
			} else if (first0 == hi) {
				first0 = k;
			}
		}
		mn[c] = first0 < hi ? 0 : 1;
		mx[c] = first1 < hi ? 1 : 0;
		/* ia, ib: where the minimum and the maximum first occur */
		order[c] = (first1 < hi ? first1 : lo) < (first0 < hi ? first0 : lo);
	}
	return cols;
}

/* ---- small writers ---------------------------------------------------- */

/*
 * The report writes hundreds of thousands of short numbers: a character at a
 * time into the stream's buffer (no lock, no strlen, as fputs would do; the
 * streams of a report are its own).
 */
static inline void put_chars(FILE *fp, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		putc_unlocked(s[i], fp);
}

/* llround(x) without the call (issue 12): the fraction x - trunc(x) is
 * exact below 2^52, and 0 from there on. */
static inline long long round_half_away(double x)
{
	long long t;
	double r;

	if (!(fabs(x) < 0x1p62))
		return llround(x);
	t = (long long)x;
	r = x - (double)t;
	return t + (r >= 0.5) - (r <= -0.5);
}

/* A coordinate with at most one decimal, written backwards to end; returns
 * where its text starts (end needs 24 bytes before it). */
static inline char *coord_text(char *end, double v)
{
	long long t = round_half_away(v * 10);
	char *p = end;
	bool neg = t < 0;
	unsigned long long u = neg ? 0ULL - (unsigned long long)t : (unsigned long long)t;
	unsigned frac = (unsigned)(u % 10);

	u /= 10;
	if (frac) {
		*--p = (char)('0' + frac);
		*--p = '.';
	}
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		*--p = '-';
	return p;
}

static void put_coord(FILE *fp, double v)
{
	char buf[32], *end = buf + sizeof(buf), *p = coord_text(end, v);

	put_chars(fp, p, (size_t)(end - p));
}

static void put_xy(FILE *fp, double x, double y)
{
	put_coord(fp, x);
	putc_unlocked(' ', fp);
	put_coord(fp, y);
}

/*
 * A path's text gathered in a buffer of its own before it goes to the
 * stream a few kilobytes at a time: a byte stored per character, not a
 * putc_unlocked with its check of the stream's buffer (issue 12).  Flushed
 * before anything else is written to the stream.
 */
struct pbuf {
	FILE *fp;
	size_t n;
	char b[4096];
};

static void pb_flush(struct pbuf *pb)
{
	if (pb->n)
		fwrite(pb->b, 1, pb->n, pb->fp);
	pb->n = 0;
}

/* Room for k more characters. */
static inline char *pb_room(struct pbuf *pb, size_t k)
{
	if (pb->n + k > sizeof(pb->b))
		pb_flush(pb);
	return pb->b + pb->n;
}

static inline void pb_char(struct pbuf *pb, char c)
{
	*pb_room(pb, 1) = c;
	pb->n++;
}

/* put_coord's text into pb. */
static void pb_coord(struct pbuf *pb, double v)
{
	char tmp[32], *end = tmp + sizeof(tmp), *p = coord_text(end, v);

	memcpy(pb_room(pb, (size_t)(end - p)), p, (size_t)(end - p));
	pb->n += (size_t)(end - p);
}

static void pb_xy(struct pbuf *pb, double x, double y)
{
	pb_coord(pb, x);
	pb_char(pb, ' ');
	pb_coord(pb, y);
}

/* A JSON string (also safe inside <script>: '<' is escaped). */
static void put_json_string(FILE *fp, const char *s)
{
	putc_unlocked('"', fp);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20 || c == '<' || c == '>' || c == '&')
			fprintf(fp, "\\u%04x", c);
		else
			putc_unlocked(c, fp);
	}
	putc_unlocked('"', fp);
}

/*
 * The numbers of a chart's hover data: a heatmap's 8,760 cells of a year
 * hold a few hundred values (capacity, fulfilled capacity, cost per vCPU),
 * so each text is kept in a small table by the value's bits and a repeated
 * value is a copy, not a formatting (issue 12).
 */
#define NUM_MEMO 1024

static void put_json_numbers(FILE *fp, const double *v, size_t n, double scale)
{
	struct {
		uint64_t bits;
		unsigned char len;   /* 0: empty */
		char text[23];
	} memo[NUM_MEMO];
	char buf[CMAN_FMT_BUFSZ];
	size_t i;

	for (i = 0; i < NUM_MEMO; i++)
		memo[i].len = 0;
	putc_unlocked('[', fp);
	for (i = 0; i < n; i++) {
		double x = v[i] * scale;
		uint64_t bits;
		size_t h, len;

		if (i)
			putc_unlocked(',', fp);
		memcpy(&bits, &x, sizeof(bits));
		h = (size_t)((bits * 0x9E3779B97F4A7C15ULL) >> 54);
		if (memo[h].len && memo[h].bits == bits) {
			put_chars(fp, memo[h].text, memo[h].len);
			continue;
		}
		len = (size_t)(cman_fmt_compact_end(buf, x) - buf);
		put_chars(fp, buf, len);
		if (len < sizeof(memo[h].text)) {
			memo[h].bits = bits;
			memo[h].len = (unsigned char)len;
			memcpy(memo[h].text, buf, len);
		}
	}
	putc_unlocked(']', fp);
}

static void tick_label(char *buf, double v, bool money)
{
	char tmp[CMAN_FMT_BUFSZ];

	cman_fmt_si(tmp, fabs(v));
	snprintf(buf, CMAN_FMT_BUFSZ, "%s%s%s", v < 0 ? "-" : "", money ? "$" : "", tmp);
}

struct plot {
	double x, y, w, h;
	int64_t x0, x1;
	double ylo, yhi;
};

static double px(const struct plot *p, double t)
{
	return p->x + (t - (double)p->x0) * p->w / (double)(p->x1 - p->x0);
}

static double py(const struct plot *p, double v)
{
	return p->y + p->h - (v - p->ylo) * p->h / (p->yhi - p->ylo);
}

/* Horizontal grid lines and labels of the value axis. */
static void y_axis(FILE *fp, const struct plot *p, const struct cman_ticks *yt, bool money)
{
	char buf[CMAN_FMT_BUFSZ];
	int i;

	fputs("<path class=\"grid\" d=\"", fp);
	for (i = 0; i < yt->n; i++) {
		putc_unlocked('M', fp);
		put_xy(fp, p->x, py(p, yt->v[i]));
		putc_unlocked('H', fp);
		put_coord(fp, p->x + p->w);
	}
	fputs("\"/>\n<g class=\"yl\">", fp);
	for (i = 0; i < yt->n; i++) {
		tick_label(buf, yt->v[i], money);
		fputs("<text x=\"", fp);
		put_coord(fp, p->x - 6);
		fputs("\" y=\"", fp);
		put_coord(fp, py(p, yt->v[i]) + 4);
		fprintf(fp, "\">%s</text>", buf);
	}
	fputs("</g>\n", fp);
}

/* Vertical grid lines and labels of the time axis, labels at y = ly. */
static void x_axis(FILE *fp, const struct plot *p, double top, double bottom, double ly)
{
	struct cman_time_ticks tt;
	char buf[32];
	int i, target = 9;

	cman_time_ticks(p->x0, p->x1, target, &tt);
	fputs("<path class=\"grid\" d=\"", fp);
	for (i = 0; i < tt.n; i++) {
		putc_unlocked('M', fp);
		put_xy(fp, px(p, (double)tt.v[i]), top);
		putc_unlocked('V', fp);
		put_coord(fp, bottom);
	}
	fputs("\"/>\n<g class=\"xl\">", fp);
	for (i = 0; i < tt.n; i++) {
		double x = px(p, (double)tt.v[i]);
		const char *anchor = "";

		/* labels at the very edges stay inside the picture */
		if (x - p->x < 30)
			anchor = " class=\"a0\"";
		else if (p->x + p->w - x < 30)
			anchor = " class=\"a1\"";
		fputs("<text x=\"", fp);
		put_coord(fp, x);
		fputs("\" y=\"", fp);
		put_coord(fp, ly);
		fprintf(fp, "\"%s>%s</text>", anchor, cman_time_tick_label(buf, &tt, i));
	}
	fputs("</g>\n", fp);
	fputs("<path class=\"axis\" d=\"M", fp);
	put_xy(fp, p->x, bottom);
	putc_unlocked('H', fp);
	put_coord(fp, p->x + p->w);
	fputs("\"/>\n", fp);
}

/* The date axis of a heatmap with few days: a label under each day's
 * column, grid lines between days. */
static void day_axis(FILE *fp, const struct plot *p, double top, double bottom, double ly,
		     size_t nd)
{
	char buf[CMAN_FMT_BUFSZ];
	size_t d;

	fputs("<path class=\"grid\" d=\"", fp);
	for (d = 1; d < nd; d++) {
		putc_unlocked('M', fp);
		put_xy(fp, p->x + p->w * (double)d / (double)nd, top);
		putc_unlocked('V', fp);
		put_coord(fp, bottom);
	}
	fputs("\"/>\n<g class=\"xl\">", fp);
	for (d = 0; d < nd; d++) {
		int64_t t = p->x0 + (int64_t)d * 86400, days = floor_div(t, 86400), y;
		unsigned m, dd;

		cman_civil_from_days(days, &y, &m, &dd);
		snprintf(buf, sizeof(buf), "%s %02u", month_names[m - 1], dd);
		fputs("<text x=\"", fp);
		put_coord(fp, p->x + p->w * ((double)d + 0.5) / (double)nd);
		fputs("\" y=\"", fp);
		put_coord(fp, ly);
		fprintf(fp, "\">%s</text>", buf);
	}
	fputs("</g>\n<path class=\"axis\" d=\"M", fp);
	put_xy(fp, p->x, bottom);
	putc_unlocked('H', fp);
	put_coord(fp, p->x + p->w);
	fputs("\"/>\n", fp);
}

static void legend_item(FILE *fp, const char *name, const char *color, enum cman_style st)
{
	fputs("<span>", fp);
	if (st == CMAN_DASHED)
		fprintf(fp, "<i class=\"dash\" style=\"border-color:%s\"></i>", color);
	else if (st == CMAN_AREA)
		fprintf(fp, "<i class=\"area\" style=\"background:%s\"></i>", color);
	else
		fprintf(fp, "<i style=\"background:%s\"></i>", color);
	cman_html_escape(fp, name);
	fputs("</span>", fp);
}

static void figure_head(FILE *fp, const char *id, const char *title, const char *unit,
			int height)
{
	fputs("<figure class=\"chart\" id=\"", fp);
	cman_html_escape(fp, id);
	fputs("\"><figcaption>", fp);
	cman_html_escape(fp, title);
	if (unit && unit[0]) {
		fputs(" <span class=\"unit\">(", fp);
		cman_html_escape(fp, unit);
		fputs(")</span>", fp);
	}
	fprintf(fp, "</figcaption>\n<svg viewBox=\"0 0 %d %d\" role=\"img\" "
		"preserveAspectRatio=\"xMinYMin meet\" data-chart=\"", CMAN_SVG_WIDTH, height);
	cman_html_escape(fp, id);
	fputs("\" aria-label=\"", fp);
	cman_html_escape(fp, title);
	fputs("\">\n", fp);
}

/* ---- time charts ------------------------------------------------------ */

static double sample_time(const struct cman_timechart *c, size_t i)
{
	return c->tx ? (double)c->tx[i] : (double)c->t0 + (double)i * (double)c->dt;
}

int cman_svg_timechart(FILE *fp, FILE *data, const struct cman_timechart *c)
{
	const int height = c->height > 0 ? c->height : 240;
	struct plot p = { CMAN_PLOT_LEFT, 10, CMAN_PLOT_COLS, height - 10 - 28,
			  c->x0, c->x1 > c->x0 ? c->x1 : c->x0 + 1, 0, 1 };
	size_t cols_max = CMAN_PLOT_COLS, ncol = 0, s, k;
	double *mn = NULL, *mx = NULL, lo = INFINITY, hi = -INFINITY;
	unsigned char *ord = NULL;
	struct cman_ticks yt;
	int rc = 0;

	if (c->n_series) {
		mn = malloc(c->n_series * cols_max * sizeof(double));
		mx = malloc(c->n_series * cols_max * sizeof(double));
		ord = malloc(c->n_series * cols_max);
		if (!mn || !mx || !ord) {
			rc = CMAN_ENOMEM;
			goto out;
		}
	}
	for (s = 0; s < c->n_series; s++) {
		const struct cman_series *se = &c->s[s];
		double sc = se->scale != 0 ? se->scale : 1;

		if (se->cat)
			ncol = downsample_cat(se->cat, se->cat_value, c->n, cols_max,
					      mn + s * cols_max, mx + s * cols_max,
					      ord + s * cols_max);
		else
			ncol = cman_downsample_minmax(se->y, se->stride, c->n, cols_max,
						      mn + s * cols_max, mx + s * cols_max,
						      ord + s * cols_max);
		for (k = 0; k < ncol; k++) {
			double *a = &mn[s * cols_max + k], *b = &mx[s * cols_max + k];

			*a *= sc;
			*b *= sc;
			if (!isnan(*a) && *a < lo)
				lo = *a;
			if (!isnan(*b) && *b > hi)
				hi = *b;
		}
	}
	if (!(lo <= hi)) {
		lo = 0;
		hi = 1;
	}
	cman_nice_ticks(lo < 0 ? lo : 0, hi > 0 ? hi : 0, 5, &yt);
	p.ylo = yt.lo;
	p.yhi = yt.hi;

	figure_head(fp, c->id, c->title, c->unit, height);
	y_axis(fp, &p, &yt, c->money);
	x_axis(fp, &p, p.y, p.y + p.h, p.y + p.h + 18);
	for (s = 0; s < c->n_series; s++) {
		const struct cman_series *se = &c->s[s];
		const double *a = mn + s * cols_max, *b = mx + s * cols_max;
		const unsigned char *o = ord + s * cols_max;
		double base = py(&p, p.ylo < 0 && p.yhi > 0 ? 0 : p.ylo), last_x = 0;
		bool in_seg = false, area = se->style == CMAN_AREA;
		struct pbuf pb;

		fprintf(fp, "<path class=\"s%s\" style=\"stroke:%s%s%s\" d=\"",
			area ? " area" : se->style == CMAN_DASHED ? " dashed"
			: se->style == CMAN_EVENTS ? " ev" : "",
			se->color, area ? ";fill:" : "", area ? se->color : "");
		pb.fp = fp;
		pb.n = 0;
		if (se->style == CMAN_EVENTS) {
			for (k = 0; k < ncol; k++) {
				double v = fabs(a[k]) > fabs(b[k]) ? a[k] : b[k], t;

				if (isnan(v) || v == 0)
					continue;
				if (c->n <= cols_max) {
					t = sample_time(c, k);
				} else {
					size_t lo_i = (size_t)((unsigned long long)k * c->n / cols_max);
					size_t hi_i = (size_t)((unsigned long long)(k + 1) * c->n / cols_max);

					t = c->tx ? (double)c->tx[(lo_i + hi_i - 1) / 2]
						: (double)c->t0 + (lo_i + hi_i) / 2.0 * (double)c->dt;
				}
				pb_char(&pb, 'M');
				pb_xy(&pb, px(&p, t), base);
				pb_char(&pb, 'V');
				pb_coord(&pb, py(&p, v));
			}
			pb_flush(&pb);
			fputs("\"/>\n", fp);
			continue;
		}
		for (k = 0; k < ncol; k++) {
			if (isnan(a[k])) {
				if (in_seg && area) {
					pb_char(&pb, c->n <= cols_max ? 'V' : 'L');
					if (c->n > cols_max)
						pb_xy(&pb, last_x, base);
					else
						pb_coord(&pb, base);
					pb_char(&pb, 'Z');
				}
				in_seg = false;
				continue;
			}
			if (c->n <= cols_max) {
				/* every sample holds until the next one: steps */
				double t = sample_time(c, k), tn = k + 1 < c->n ? sample_time(c, k + 1)
								   : (double)p.x1;
				double x = px(&p, t), xn = px(&p, tn > (double)p.x1 ? (double)p.x1 : tn);

				if (!in_seg) {
					pb_char(&pb, 'M');
					pb_xy(&pb, x, area ? base : py(&p, a[k]));
					if (area) {
						pb_char(&pb, 'V');
						pb_coord(&pb, py(&p, a[k]));
					}
					in_seg = true;
				} else {
					pb_char(&pb, 'V');
					pb_coord(&pb, py(&p, a[k]));
				}
				pb_char(&pb, 'H');
				pb_coord(&pb, xn);
				last_x = xn;
				if (k + 1 == ncol && area) {
					pb_char(&pb, 'V');
					pb_coord(&pb, base);
					pb_char(&pb, 'Z');
				}
				continue;
			} else {
				size_t lo_i = (size_t)((unsigned long long)k * c->n / cols_max);
				size_t hi_i = (size_t)((unsigned long long)(k + 1) * c->n / cols_max);
				double t = c->tx ? (double)c->tx[(lo_i + hi_i - 1) / 2]
					: (double)c->t0 + (lo_i + hi_i) / 2.0 * (double)c->dt;
				double x = px(&p, t);

				if (!in_seg) {
					pb_char(&pb, 'M');
					if (area) {
						pb_xy(&pb, x, base);
						pb_char(&pb, 'L');
					}
					in_seg = true;
				} else {
					pb_char(&pb, ' ');
				}
				if (a[k] == b[k]) {
					pb_xy(&pb, x, py(&p, a[k]));
				} else {
					pb_xy(&pb, x, py(&p, o[k] ? b[k] : a[k]));
					pb_char(&pb, ' ');
					pb_xy(&pb, x, py(&p, o[k] ? a[k] : b[k]));
				}
				last_x = x;
				if (k + 1 == ncol && area) {
					pb_char(&pb, 'L');
					pb_xy(&pb, last_x, base);
					pb_char(&pb, 'Z');
				}
			}
		}
		pb_flush(&pb);
		fputs("\"/>\n", fp);
	}
	fprintf(fp, "<line class=\"cursor\" x1=\"0\" x2=\"0\" y1=\"%d\" y2=\"%d\"/>\n",
		(int)p.y, (int)(p.y + p.h));
	fputs("</svg>\n<div class=\"legend\">", fp);
	for (s = 0; s < c->n_series; s++)
		legend_item(fp, c->s[s].name, c->s[s].color, c->s[s].style);
	fputs("</div>\n", fp);
	if (c->note && c->note[0]) {
		fputs("<p class=\"note\">", fp);
		cman_html_escape(fp, c->note);
		fputs("</p>\n", fp);
	}
	fputs("</figure>\n", fp);

	if (data) {
		put_json_string(data, c->id);
		fprintf(data, ":{\"k\":\"ts\",\"t0\":%lld,\"dt\":%lld,\"n\":%zu,\"c\":%zu,"
			"\"x0\":%lld,\"x1\":%lld,\"px\":%d,\"pw\":%d,\"m\":%d,\"u\":",
			(long long)c->t0, (long long)c->dt, c->n, ncol, (long long)p.x0,
			(long long)p.x1, CMAN_PLOT_LEFT, CMAN_PLOT_COLS, c->money ? 1 : 0);
		put_json_string(data, c->unit ? c->unit : "");
		if (c->tx && ncol) {
			fputs(",\"t\":[", data);
			for (k = 0; k < ncol; k++) {
				size_t lo_i = c->n <= cols_max ? k
					: (size_t)((unsigned long long)k * c->n / cols_max);

				fprintf(data, "%s%lld", k ? "," : "", (long long)c->tx[lo_i]);
			}
			putc_unlocked(']', data);
		}
		fputs(",\"s\":[", data);
		for (s = 0; s < c->n_series; s++) {
			const double *a = mn + s * cols_max, *b = mx + s * cols_max;
			bool same = true;

			for (k = 0; k < ncol && same; k++)
				if (!(a[k] == b[k] || (isnan(a[k]) && isnan(b[k]))))
					same = false;
			fprintf(data, "%s{\"n\":", s ? "," : "");
			put_json_string(data, c->s[s].name);
			fputs(",\"c\":", data);
			put_json_string(data, c->s[s].color);
			fputs(",\"a\":", data);
			put_json_numbers(data, a, ncol, 1);
			if (!same) {
				fputs(",\"b\":", data);
				put_json_numbers(data, b, ncol, 1);
			}
			putc_unlocked('}', data);
		}
		fputs("]},\n", data);
	}
out:
	free(mn);
	free(mx);
	free(ord);
	return rc;
}

/* ---- heatmaps --------------------------------------------------------- */

/* Light yellow to dark blue (ColorBrewer YlGnBu, 9 classes). */
static const unsigned heat_stops[9] = {
	0xffffd9, 0xedf8b1, 0xc7e9b4, 0x7fcdbb, 0x41b6c4, 0x1d91c0, 0x225ea8, 0x253494,
	0x081d58,
};

unsigned cman_heat_color(double u)
{
	double f;
	int i, k;
	unsigned out = 0;

	if (!(u >= 0))
		u = 0;
	if (u > 1)
		u = 1;
	f = u * 8;
	i = (int)f;   /* f >= 0: floor */
	if (i >= 8)
		return heat_stops[8];
	f -= i;
	for (k = 16; k >= 0; k -= 8) {
		double a = (heat_stops[i] >> k) & 0xff, b = (heat_stops[i + 1] >> k) & 0xff;
		double x = a + (b - a) * f;
		/* lround of x in [0, 255] without the call: halves away from 0,
		 * x - c exact */
		unsigned c = (unsigned)x;

		out |= (c + (x - (double)c >= 0.5)) << k;
	}
	return out;
}

void cman_base64(FILE *fp, const unsigned char *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char out[4], buf[1024];
	size_t i, k = 0;

	/* a kilobyte to each fwrite, not four bytes */
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];

		buf[k] = tab[v >> 18];
		buf[k + 1] = tab[(v >> 12) & 63];
		buf[k + 2] = tab[(v >> 6) & 63];
		buf[k + 3] = tab[v & 63];
		k += 4;
		if (k == sizeof(buf)) {
			fwrite(buf, 1, k, fp);
			k = 0;
		}
	}
	if (k)
		fwrite(buf, 1, k, fp);
	if (i < n) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);

		out[0] = tab[v >> 18];
		out[1] = tab[(v >> 12) & 63];
		out[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[3] = '=';
		fwrite(out, 1, 4, fp);
	}
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Append a chunk (length, type, data, CRC) at *pp. */
static unsigned char *png_chunk(unsigned char *p, const char *type, const unsigned char *d,
				uint32_t n)
{
	uLong crc;

	put_be32(p, n);
	memcpy(p + 4, type, 4);
	if (n)
		memcpy(p + 8, d, n);
	crc = crc32(0L, p + 4, 4 + n);
	put_be32(p + 8 + n, (uint32_t)crc);
	return p + 12 + n;
}

int cman_png_rgb(const unsigned char *rgb, unsigned w, unsigned h, unsigned char **out,
		 size_t *n_out)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	size_t row = (size_t)w * 3 + 1, raw_n = row * h, y;
	unsigned char *raw = NULL, *z = NULL, *png = NULL, *p, ihdr[13];
	uLongf zn;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	if (!w || !h)
		return CMAN_EINTERNAL;
	raw = malloc(raw_n);
	zn = compressBound((uLong)raw_n);
	z = malloc(zn);
	if (!raw || !z) {
		rc = CMAN_ENOMEM;
		goto out;
	}
	for (y = 0; y < h; y++) {
		raw[y * row] = 0;   /* filter: none */
		memcpy(raw + y * row + 1, rgb + y * (size_t)w * 3, (size_t)w * 3);
	}
	if (compress2(z, &zn, raw, (uLong)raw_n, 9) != Z_OK) {
		rc = CMAN_EINTERNAL;
		goto out;
	}
	png = malloc(8 + 25 + 12 + zn + 12);
	if (!png) {
		rc = CMAN_ENOMEM;
		goto out;
	}
	memcpy(png, sig, 8);
	put_be32(ihdr, w);
	put_be32(ihdr + 4, h);
	ihdr[8] = 8;    /* bit depth */
	ihdr[9] = 2;    /* RGB */
	ihdr[10] = ihdr[11] = ihdr[12] = 0;
	p = png_chunk(png + 8, "IHDR", ihdr, 13);
	p = png_chunk(p, "IDAT", z, (uint32_t)zn);
	p = png_chunk(p, "IEND", NULL, 0);
	*out = png;
	*n_out = (size_t)(p - png);
	png = NULL;
out:
	free(raw);
	free(z);
	free(png);
	return rc;
}

int cman_svg_heatmap(FILE *fp, FILE *data, const struct cman_heatmap *h)
{
	const double hm_y = 8, hm_h = 144, band_y = 184, band_h = 96;
	const int height = 312;
	size_t nd = h->n_days ? h->n_days : 1, nb = h->n_bins ? h->n_bins : 1, i, d;
	size_t cells = h->n_days * h->n_bins;
	struct plot p = { CMAN_PLOT_LEFT, band_y, CMAN_PLOT_COLS, band_h, h->day0,
			  h->day0 + (int64_t)nd * 86400, 0, 1 };
	double lo = INFINITY, hi = -INFINITY, blo = INFINITY, bhi = -INFINITY;
	unsigned char *rgb = NULL, *png = NULL;
	size_t png_n = 0;
	struct cman_ticks yt;
	struct pbuf pb;
	char b1[CMAN_FMT_BUFSZ], b2[CMAN_FMT_BUFSZ];
	int rc = 0, k;

	for (i = 0; i < cells; i++)
		if (!isnan(h->cell[i])) {
			lo = fmin(lo, h->cell[i]);
			hi = fmax(hi, h->cell[i]);
		}
	for (d = 0; d < h->n_days; d++) {
		if (!isnan(h->q25[d]))
			blo = fmin(blo, h->q25[d]);
		if (!isnan(h->q75[d]))
			bhi = fmax(bhi, h->q75[d]);
	}
	if (!(blo <= bhi)) {
		blo = 0;
		bhi = 1;
	}
	rgb = malloc(nd * nb * 3);
	if (!rgb) {
		rc = CMAN_ENOMEM;
		goto out;
	}
	for (i = 0; i < nb; i++)
		for (d = 0; d < nd; d++) {
			double v = d < h->n_days && i < h->n_bins ? h->cell[d * h->n_bins + i] : NAN;
			unsigned col = isnan(v) ? 0xeeeeee
				: cman_heat_color(hi > lo ? (v - lo) / (hi - lo) : 0.5);
			unsigned char *px3 = rgb + (i * nd + d) * 3;

			px3[0] = (unsigned char)(col >> 16);
			px3[1] = (unsigned char)(col >> 8);
			px3[2] = (unsigned char)col;
		}
	rc = cman_png_rgb(rgb, (unsigned)nd, (unsigned)nb, &png, &png_n);
	if (rc)
		goto out;

	figure_head(fp, h->id, h->title, h->unit, height);
	/* the heatmap: hours down the side */
	fputs("<g class=\"yl\">", fp);
	for (k = 0; k <= 24; k += 6) {
		fputs("<text x=\"", fp);
		put_coord(fp, CMAN_PLOT_LEFT - 6);
		fputs("\" y=\"", fp);
		put_coord(fp, hm_y + hm_h * k / 24.0 + 4);
		fprintf(fp, "\">%02d:00</text>", k);
	}
	fputs("</g>\n", fp);
	fprintf(fp, "<image x=\"%d\" y=\"", CMAN_PLOT_LEFT);
	put_coord(fp, hm_y);
	fprintf(fp, "\" width=\"%d\" height=\"", CMAN_PLOT_COLS);
	put_coord(fp, hm_h);
	fputs("\" preserveAspectRatio=\"none\" href=\"data:image/png;base64,", fp);
	cman_base64(fp, png, png_n);
	fputs("\"/>\n<rect class=\"frame\" x=\"", fp);
	put_coord(fp, CMAN_PLOT_LEFT);
	fputs("\" y=\"", fp);
	put_coord(fp, hm_y);
	fprintf(fp, "\" width=\"%d\" height=\"", CMAN_PLOT_COLS);
	put_coord(fp, hm_h);
	fputs("\"/>\n", fp);

	/* the daily band below, on the same dates */
	cman_nice_ticks(blo < 0 ? blo : 0, bhi > 0 ? bhi : 0, 3, &yt);
	p.ylo = yt.lo;
	p.yhi = yt.hi;
	y_axis(fp, &p, &yt, h->money);
	if (nd <= 14)
		day_axis(fp, &p, hm_y, band_y + band_h, band_y + band_h + 18, nd);
	else
		x_axis(fp, &p, hm_y, band_y + band_h, band_y + band_h + 18);
	fputs("<path class=\"band\" d=\"", fp);
	pb.fp = fp;
	pb.n = 0;
	for (d = 0; d < h->n_days;) {
		size_t e = d, j;

		if (isnan(h->q25[d]) || isnan(h->q75[d])) {
			d++;
			continue;
		}
		while (e < h->n_days && !isnan(h->q25[e]) && !isnan(h->q75[e]))
			e++;
		pb_char(&pb, 'M');
		for (j = d; j < e; j++) {
			double x0 = px(&p, (double)(h->day0 + (int64_t)j * 86400));

			if (j > d)
				pb_char(&pb, ' ');
			pb_xy(&pb, x0, py(&p, h->q75[j]));
			pb_char(&pb, ' ');
			pb_xy(&pb, x0 + p.w / (double)nd, py(&p, h->q75[j]));
		}
		for (j = e; j-- > d;) {
			double x0 = px(&p, (double)(h->day0 + (int64_t)j * 86400));

			pb_char(&pb, ' ');
			pb_xy(&pb, x0 + p.w / (double)nd, py(&p, h->q25[j]));
			pb_char(&pb, ' ');
			pb_xy(&pb, x0, py(&p, h->q25[j]));
		}
		pb_char(&pb, 'Z');
		d = e;
	}
	pb_flush(&pb);
	fputs("\"/>\n<path class=\"median\" d=\"", fp);
	for (d = 0; d < h->n_days; d++) {
		double x0 = px(&p, (double)(h->day0 + (int64_t)d * 86400));

		if (isnan(h->q50[d]))
			continue;
		pb_char(&pb, d && !isnan(h->q50[d - 1]) ? 'L' : 'M');
		pb_xy(&pb, x0, py(&p, h->q50[d]));
		pb_char(&pb, 'H');
		pb_coord(&pb, x0 + p.w / (double)nd);
	}
	pb_flush(&pb);
	fprintf(fp, "\"/>\n<line class=\"cursor\" x1=\"0\" x2=\"0\" y1=\"%d\" y2=\"%d\"/>\n",
		(int)hm_y, (int)(band_y + band_h));
	fputs("</svg>\n<div class=\"legend\"><span>", fp);
	if (lo <= hi) {
		fputs("<b class=\"cbar\" style=\"background:linear-gradient(to right", fp);
		for (k = 0; k < 9; k++)
			fprintf(fp, ",#%06x", heat_stops[k]);
		fputs(")\"></b>", fp);
		tick_label(b1, lo, h->money);
		tick_label(b2, hi, h->money);
		if (lo < hi)
			fprintf(fp, "%s mean from %s (light) to %s (dark)",
				h->n_bins == 24 ? "hourly" : "per-part", b1, b2);
		else
			fprintf(fp, "%s mean %s throughout",
				h->n_bins == 24 ? "hourly" : "per-part", b1);
	} else {
		fputs("no data", fp);
	}
	fputs("</span>", fp);
	legend_item(fp, "daily median", "#08306b", CMAN_LINE);
	legend_item(fp, "inter-quartile range (25th to 75th percentile)", "#6baed6", CMAN_AREA);
	fputs("</div>\n</figure>\n", fp);

	if (data) {
		put_json_string(data, h->id);
		fprintf(data, ":{\"k\":\"hm\",\"d0\":%lld,\"nd\":%zu,\"nb\":%zu,\"px\":%d,"
			"\"pw\":%d,\"hy\":%g,\"hh\":%g,\"by\":%g,\"bh\":%g,\"m\":%d,\"u\":",
			(long long)h->day0, h->n_days, h->n_bins, CMAN_PLOT_LEFT, CMAN_PLOT_COLS,
			hm_y, hm_h, band_y, band_h, h->money ? 1 : 0);
		put_json_string(data, h->unit ? h->unit : "");
		fputs(",\"v\":", data);
		put_json_numbers(data, h->cell, cells, 1);
		fputs(",\"q1\":", data);
		put_json_numbers(data, h->q25, h->n_days, 1);
		fputs(",\"q2\":", data);
		put_json_numbers(data, h->q50, h->n_days, 1);
		fputs(",\"q3\":", data);
		put_json_numbers(data, h->q75, h->n_days, 1);
		fputs("},\n", data);
	}
out:
	free(rgb);
	free(png);
	return rc;
}
