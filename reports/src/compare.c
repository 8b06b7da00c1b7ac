/*
 * compare.c - `clusterman-sim compare`: headline numbers of several runs
 * against a baseline, overlaid charts, and series combined step by step.
 */
#include "cman/reports/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/config.h"
#include "cman/fsutil.h"
#include "cman/reports/csv.h"
#include "fmt.h"
#include "html.h"
#include "rundir.h"
#include "svg.h"

enum mfmt { MF_MONEY, MF_PRICE, MF_SHARE, MF_NUM, MF_INT };

static const struct metric {
	const char *key, *label, *unit;
	enum mfmt fmt;
} metrics[] = {
	{ "total_cost", "Total cost", "$", MF_MONEY },
	{ "cost_per_cpu_hour", "Cost per vCPU-hour", "$/vCPU-hour", MF_PRICE },
	{ "unused_cpus_cost", "Unused-CPU cost", "$", MF_MONEY },
	{ "unused_cpus_cost_share", "Unused-CPU share of the cost", "fraction", MF_SHARE },
	{ "oversubscribed_cpu_hours", "Oversubscribed", "vCPU-hours", MF_NUM },
	{ "mean_cpus", "Mean capacity", "vCPUs", MF_NUM },
	{ "peak_cpus", "Peak capacity", "vCPUs", MF_NUM },
	{ "mean_cpus_allocated", "Mean allocated", "vCPUs", MF_NUM },
	{ "running_cpu_hours", "Running vCPU-hours", "vCPU-hours", MF_NUM },
	{ "instances_launched", "Instances launched", "instances", MF_INT },
	{ "instances_terminated", "Instances terminated", "instances", MF_INT },
	{ "instances_interrupted", "Instances interrupted", "instances", MF_INT },
};
#define N_METRICS (sizeof(metrics) / sizeof(metrics[0]))

static double metric_value(const struct cman_rundir *rd, size_t k)
{
	switch (k) {
	case 0: return rd->total_cost;
	case 1: return rd->cost_per_cpu_hour;
	case 2: return rd->unused_cost;
	case 3: return rd->unused_share;
	case 4: return rd->oversub_cpu_hours;
	case 5: return rd->mean_cpus;
	case 6: return rd->peak_cpus;
	case 7: return rd->mean_allocated;
	case 8: return rd->running_cpu_hours;
	case 9: return (double)rd->launched;
	case 10: return (double)rd->terminated;
	default: return (double)rd->interrupted;
	}
}

static char *fmt_metric(char *buf, double v, enum mfmt f)
{
	char tmp[CMAN_FMT_BUFSZ];

	switch (f) {
	case MF_MONEY: return cman_fmt_money(buf, v);
	case MF_PRICE: return cman_fmt_price(buf, v);
	case MF_SHARE: return cman_fmt_percent(buf, v);
	case MF_INT: return cman_fmt_grouped(buf, v, 0);
	case MF_NUM:
	default:
		if (fabs(v) >= 1000)
			return cman_fmt_grouped(buf, v, 0);
		snprintf(tmp, sizeof(tmp), "%s", cman_fmt_si(buf, v));
		strcpy(buf, tmp);
		return buf;
	}
}

/* A difference with its sign: "+$12.30", "-0.5", "+2.1 pp" for shares. */
static char *fmt_diff(char *buf, double d, enum mfmt f)
{
	char tmp[CMAN_FMT_BUFSZ];

	if (isnan(d)) {
		strcpy(buf, "n/a");
		return buf;
	}
	if (f == MF_SHARE) {
		snprintf(buf, CMAN_FMT_BUFSZ, "%s%.1f pp", d > 0 ? "+" : d < 0 ? "-" : "",
			 fabs(round(d * 1000) / 10));
		return buf;
	}
	fmt_metric(tmp, fabs(d), f);
	snprintf(buf, CMAN_FMT_BUFSZ, "%s%s", d > 0 ? "+" : d < 0 ? "-" : "", tmp);
	if (!strcmp(tmp, "$0.00") || !strcmp(tmp, "0"))
		snprintf(buf, CMAN_FMT_BUFSZ, "%s", tmp);
	return buf;
}

static double rel_diff(double v, double base)
{
	if (base == 0)
		return v == 0 ? 0 : NAN;
	return (v - base) / fabs(base);
}

static double combine(double c, double b, enum cman_compare_op op)
{
	if (isnan(c) || isnan(b))
		return NAN;
	if (op == CMAN_COMPARE_SUB)
		return c - b;
	return b != 0 ? c / b : NAN;
}

static const char *base_name(const char *path)
{
	const char *e = path + strlen(path), *s;

	while (e > path && e[-1] == '/')
		e--;
	s = e;
	while (s > path && s[-1] != '/')
		s--;
	return s;   /* may include trailing slashes; labels copy up to e */
}

/* ---- the settings that differ (scenario.yaml of each run) ----------- */

struct settings {
	size_t n, cap;
	char **keys, **vals;     /* "a.b[0].c" -> its value as written */
};

static int settings_add(struct settings *st, const char *key, const char *val)
{
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		char **k = realloc(st->keys, cap * sizeof(*k)), **v;

		if (!k)
			return CMAN_ENOMEM;
		st->keys = k;
		v = realloc(st->vals, cap * sizeof(*v));
		if (!v)
			return CMAN_ENOMEM;
		st->vals = v;
		st->cap = cap;
	}
	st->keys[st->n] = strdup(key);
	st->vals[st->n] = strdup(val);
	if (!st->keys[st->n] || !st->vals[st->n]) {
		free(st->keys[st->n]);
		free(st->vals[st->n]);
		return CMAN_ENOMEM;
	}
	st->n++;
	return 0;
}

static int flatten(struct settings *st, const struct cman_node *n, const char *prefix)
{
	char key[1024];
	size_t i;
	int rc = 0;

	if (n->type == CMAN_NODE_SCALAR)
		return settings_add(st, prefix[0] ? prefix : "(document)", n->null ? "~" : n->scalar);
	if (n->n == 0)
		return settings_add(st, prefix, n->type == CMAN_NODE_MAP ? "{}" : "[]");
	for (i = 0; i < n->n && !rc; i++) {
		if (n->type == CMAN_NODE_MAP)
			snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "",
				 n->keys[i]->scalar);
		else
			snprintf(key, sizeof(key), "%s[%zu]", prefix, i);
		rc = flatten(st, n->items[i], key);
	}
	return rc;
}

static void settings_release(struct settings *st)
{
	size_t i;

	for (i = 0; i < st->n; i++) {
		free(st->keys[i]);
		free(st->vals[i]);
	}
	free(st->keys);
	free(st->vals);
	memset(st, 0, sizeof(*st));
}

static const char *settings_get(const struct settings *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (!strcmp(st->keys[i], key))
			return st->vals[i];
	return NULL;
}

/* The differing settings of n runs: keys (not owned) in the order of first
 * appearance, baseline first.  *ok false when a run has no scenario.yaml
 * (written before runs kept it): no table then. */
struct diffs {
	bool ok;
	size_t n;
	const char **keys;
	struct settings *st;
	size_t n_runs;
};

static int settings_diff(struct cman_rundir *rds, const char *const *dirs, size_t n,
			 struct diffs *d, struct cman_error *err)
{
	size_t r, i, q;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	d->st = calloc(n, sizeof(*d->st));
	if (!d->st)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	d->n_runs = n;
	for (r = 0; r < n; r++)
		if (!rds[r].scenario_yaml)
			return 0;
	for (r = 0; r < n && !rc; r++) {
		struct cman_node *root = NULL;
		char name[4200];

		snprintf(name, sizeof(name), "%s/scenario.yaml", dirs[r]);
		rc = cman_yaml_load_string(name, rds[r].scenario_yaml, &root, err);
		if (!rc && flatten(&d->st[r], root, ""))
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		cman_node_free(root);
	}
	if (rc)
		return rc;
	d->ok = true;
	for (r = 0; r < n; r++) {
		for (i = 0; i < d->st[r].n; i++) {
			const char *k = d->st[r].keys[i], *v0 = settings_get(&d->st[0], k);
			bool differs = false, seen = false;
			const char **nk;

			for (q = 0; q < d->n; q++)
				if (!strcmp(d->keys[q], k))
					seen = true;
			if (seen)
				continue;
			for (q = 1; q < n && !differs; q++) {
				const char *v = settings_get(&d->st[q], k);

				differs = !v || !v0 || strcmp(v, v0);
			}
			if (!differs)
				continue;
			nk = realloc(d->keys, (d->n + 1) * sizeof(*nk));
			if (!nk)
				return cman_error_set(err, CMAN_ENOMEM, "out of memory");
			d->keys = nk;
			d->keys[d->n++] = k;
		}
	}
	return 0;
}

static void diffs_release(struct diffs *d)
{
	size_t r;

	if (d->st)
		for (r = 0; r < d->n_runs; r++)
			settings_release(&d->st[r]);
	free(d->st);
	free(d->keys);
	memset(d, 0, sizeof(*d));
}

/* The key's last component ("pool_config.autoscaling.setpoint" -> "setpoint"),
 * or the whole key when another differing key has the same last component. */
static const char *short_key(const struct diffs *d, const char *key)
{
	const char *dot = strrchr(key, '.'), *s = dot ? dot + 1 : key;
	size_t q;

	for (q = 0; q < d->n; q++) {
		const char *o = d->keys[q], *od = strrchr(o, '.');

		if (o != key && !strcmp(od ? od + 1 : o, s))
			return key;
	}
	return s;
}

/* A run's label from its differing settings: "setpoint=0.8, billing=per-hour"
 * (at most three, then "+N more"); NULL when nothing differs. */
static char *settings_label(const struct diffs *d, size_t r)
{
	char *buf = NULL;
	size_t len = 0, q;
	FILE *fp;

	if (!d->ok || d->n == 0)
		return NULL;
	fp = open_memstream(&buf, &len);
	if (!fp)
		return NULL;
	for (q = 0; q < d->n && q < 3; q++) {
		const char *v = settings_get(&d->st[r], d->keys[q]);

		fprintf(fp, "%s%s=%s", q ? ", " : "", short_key(d, d->keys[q]),
			v ? v : "(default)");
	}
	if (d->n > 3)
		fprintf(fp, ", +%zu more", d->n - 3);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Labels: the differing settings when the runs have any, else the run
 * names made unique with the folder names; then "#k". */
static int make_labels(struct cman_rundir *rds, const char *const *dirs, size_t n,
		       const struct diffs *d, char **labels)
{
	size_t i, j;

	if (d->ok && d->n) {
		for (i = 0; i < n; i++)
			if (!(labels[i] = settings_label(d, i)))
				return CMAN_ENOMEM;
		goto unique;
	}
	for (i = 0; i < n; i++) {
		if (!(labels[i] = strdup(rds[i].name)))
			return CMAN_ENOMEM;
	}
	for (i = 0; i < n; i++) {
		bool dup = false;

		for (j = 0; j < n; j++)
			if (j != i && !strcmp(rds[i].name, rds[j].name))
				dup = true;
		if (dup) {
			const char *b = base_name(dirs[i]);
			size_t len = strlen(b);
			char *s;

			while (len && b[len - 1] == '/')
				len--;
			if (asprintf(&s, "%s (%.*s)", rds[i].name, (int)len, b) < 0)
				return CMAN_ENOMEM;
			free(labels[i]);
			labels[i] = s;
		}
	}
unique:
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(labels[i], labels[j])) {
				char *s;

				if (asprintf(&s, "%s #%zu", labels[i], i + 1) < 0)
					return CMAN_ENOMEM;
				free(labels[i]);
				labels[i] = s;
				break;
			}
	return 0;
}

static int write_table_csv(const char *path, struct cman_rundir *rds, char **labels, size_t n,
			   struct cman_error *err)
{
	struct cman_atomic_file f;
	size_t k, i;
	int rc = cman_atomic_open(&f, path, err);

	if (rc)
		return rc;
	fputs("metric,unit,run,value,difference,relative_difference,ratio\n", f.fp);
	for (k = 0; k < N_METRICS; k++) {
		double base = metric_value(&rds[0], k);

		for (i = 0; i < n; i++) {
			double v = metric_value(&rds[i], k);

			fprintf(f.fp, "%s,", metrics[k].key);
			cman_csv_text(f.fp, metrics[k].unit);
			fputc(',', f.fp);
			cman_csv_text(f.fp, labels[i]);
			fputc(',', f.fp);
			cman_csv_number(f.fp, v);
			fputc(',', f.fp);
			cman_csv_number(f.fp, v - base);
			fputc(',', f.fp);
			cman_csv_number(f.fp, rel_diff(v, base));
			fputc(',', f.fp);
			cman_csv_number(f.fp, base != 0 ? v / base : v == 0 ? 1 : NAN);
			fputc('\n', f.fp);
		}
	}
	rc = cman_atomic_commit(&f, err);
	cman_atomic_abort(&f);
	return rc;
}

static int write_series_csv(const char *path, struct cman_rundir *rds, char **labels,
			    size_t n, size_t steps, enum cman_compare_op op,
			    struct cman_error *err)
{
	struct cman_atomic_file f;
	size_t i, r;
	int k, rc = cman_atomic_open(&f, path, err);

	if (rc)
		return rc;
	fputs("time,offset_seconds,run", f.fp);
	for (k = 0; k < CMAN_TS_NCOLS; k++)
		fprintf(f.fp, ",%s", cman_ts_names[k]);
	fputc('\n', f.fp);
	for (i = 0; i < steps; i++) {
		int64_t off = (int64_t)i * rds[0].step;

		for (r = 1; r < n; r++) {
			cman_csv_int(f.fp, rds[0].start + off);
			fputc(',', f.fp);
			cman_csv_int(f.fp, off);
			fputc(',', f.fp);
			cman_csv_text(f.fp, labels[r]);
			for (k = 0; k < CMAN_TS_NCOLS; k++) {
				fputc(',', f.fp);
				cman_csv_number(f.fp, combine(rds[r].col[k][i], rds[0].col[k][i], op));
			}
			fputc('\n', f.fp);
		}
	}
	rc = cman_atomic_commit(&f, err);
	cman_atomic_abort(&f);
	return rc;
}

static void chart_base(struct cman_timechart *c, const struct cman_rundir *b, size_t steps,
		       const char *id, const char *title, const char *unit, bool money)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->title = title;
	c->unit = unit;
	c->money = money;
	c->t0 = b->start;
	c->dt = b->step;
	c->n = steps;
	c->x0 = b->start;
	c->x1 = b->start + (int64_t)steps * b->step;
	if (c->x1 > b->end)
		c->x1 = b->end;
}

static void settings_table_html(FILE *fp, const struct diffs *d, char **labels, size_t n)
{
	size_t q, r;

	fputs("<h2>Settings that differ</h2>\n", fp);
	if (!d->ok) {
		fputs("<p>Not known: a run directory has no scenario.yaml (written before "
		      "runs kept their effective scenario).</p>\n", fp);
		return;
	}
	if (!d->n) {
		fputs("<p>None: the runs have the same effective scenario (scenario.yaml, "
		      "output.dir aside).</p>\n", fp);
		return;
	}
	fputs("<table class=\"settings\">\n<thead><tr><th>Setting</th>", fp);
	for (r = 0; r < n; r++) {
		fputs("<th>", fp);
		cman_html_escape(fp, labels[r]);
		fputs("</th>", fp);
	}
	fputs("</tr></thead>\n<tbody>\n", fp);
	for (q = 0; q < d->n; q++) {
		fputs("<tr><td><code>", fp);
		cman_html_escape(fp, d->keys[q]);
		fputs("</code></td>", fp);
		for (r = 0; r < n; r++) {
			const char *v = settings_get(&d->st[r], d->keys[q]);

			fputs("<td>", fp);
			cman_html_escape(fp, v ? v : "(default)");
			fputs("</td>", fp);
		}
		fputs("</tr>\n", fp);
	}
	fputs("</tbody>\n</table>\n", fp);
}

/* The same as plain text (for the terminal). */
static void settings_table_text(FILE *fp, const struct diffs *d, const char *const *dirs,
				size_t n)
{
	size_t q, r, w = 7;

	if (!fp)
		return;
	if (!d->ok) {
		fputs("settings that differ: not known (a run directory has no scenario.yaml)\n",
		      fp);
		return;
	}
	if (!d->n) {
		fputs("settings that differ: none (the same effective scenario)\n", fp);
		return;
	}
	for (q = 0; q < d->n; q++)
		if (strlen(d->keys[q]) > w)
			w = strlen(d->keys[q]);
	fputs("settings that differ:\n", fp);
	fprintf(fp, "  %-*s", (int)w, "setting");
	for (r = 0; r < n; r++)
		fprintf(fp, "  %s%s", dirs[r], r == 0 ? " (baseline)" : "");
	fputc('\n', fp);
	for (q = 0; q < d->n; q++) {
		fprintf(fp, "  %-*s", (int)w, d->keys[q]);
		for (r = 0; r < n; r++) {
			const char *v = settings_get(&d->st[r], d->keys[q]);
			size_t cw = strlen(dirs[r]) + (r == 0 ? 11 : 0);

			fprintf(fp, "  %-*s", (int)cw, v ? v : "(default)");
		}
		fputc('\n', fp);
	}
}

static int write_settings_csv(const char *path, const struct diffs *d, char **labels,
			      size_t n, struct cman_error *err)
{
	struct cman_atomic_file f;
	size_t q, r;
	int rc = cman_atomic_open(&f, path, err);

	if (rc)
		return rc;
	fputs("setting", f.fp);
	for (r = 0; r < n; r++) {
		fputc(',', f.fp);
		cman_csv_text(f.fp, labels[r]);
	}
	fputc('\n', f.fp);
	for (q = 0; d->ok && q < d->n; q++) {
		cman_csv_text(f.fp, d->keys[q]);
		for (r = 0; r < n; r++) {
			const char *v = settings_get(&d->st[r], d->keys[q]);

			fputc(',', f.fp);
			if (v)
				cman_csv_text(f.fp, v);
		}
		fputc('\n', f.fp);
	}
	rc = cman_atomic_commit(&f, err);
	cman_atomic_abort(&f);
	return rc;
}

static int write_html(FILE *fp, struct cman_rundir *rds, char **labels,
		      const char *const *dirs, size_t n, size_t steps,
		      const struct cman_compare_opts *o, bool windows_differ,
		      double **diff_store, const struct diffs *d)
{
	static const struct {
		enum cman_ts_col col;
		const char *id, *title, *unit;
		bool money, rate;
	} charts[] = {
		{ CMAN_TS_CPUS, "cmp-cpus", "Capacity (joined vCPUs)", "vCPUs", false, false },
		{ CMAN_TS_ALLOCATED, "cmp-alloc", "Allocated vCPUs", "vCPUs", false, false },
		{ CMAN_TS_COST, "cmp-cost", "Cost rate", "$/h", true, true },
		{ CMAN_TS_UNUSED_COST, "cmp-ucost", "Unused-CPU cost rate", "$/h", true, true },
		{ CMAN_TS_UNUSED, "cmp-unused", "Unused vCPUs", "vCPUs", false, false },
		{ CMAN_TS_OVERSUB, "cmp-oversub", "Oversubscribed vCPUs", "vCPUs", false, false },
	};
	char *data = NULL;
	size_t data_len = 0, i, k, r;
	FILE *dfp = open_memstream(&data, &data_len);
	double rate = 3600.0 / (double)rds[0].step;
	char a[CMAN_FMT_BUFSZ], b[CMAN_FMT_BUFSZ], title[512];
	struct cman_timechart c;
	int rc = 0;

	if (!dfp)
		return CMAN_ENOMEM;
	snprintf(title, sizeof(title), "Comparison: %s and %zu other run%s", labels[0], n - 1,
		 n == 2 ? "" : "s");
	cman_html_head(fp, title);
	fputs("<h1>Comparison of ", fp);
	fprintf(fp, "%zu runs</h1>\n<p class=\"sub\">Baseline: ", n);
	cman_html_escape(fp, labels[0]);
	fputs(".  Differences are candidate minus baseline; relative differences are "
	      "divided by the baseline.</p>\n", fp);

	fputs("<table class=\"runs\">\n<thead><tr><th>Run</th><th>Directory</th><th>Window "
	      "(UTC)</th><th>Policy</th><th>Billing</th><th class=\"n\">Seed</th></tr>"
	      "</thead>\n<tbody>\n", fp);
	for (r = 0; r < n; r++) {
		fputs("<tr><td>", fp);
		cman_html_escape(fp, labels[r]);
		fputs(r == 0 ? " <b>(baseline)</b>" : "", fp);
		fputs("</td><td>", fp);
		cman_html_escape(fp, dirs[r]);
		fprintf(fp, "</td><td>%s to ", cman_fmt_datetime(a, rds[r].start));
		fprintf(fp, "%s</td><td>", cman_fmt_datetime(b, rds[r].end));
		cman_html_escape(fp, rds[r].mode);
		fputs("</td><td>", fp);
		cman_html_escape(fp, rds[r].billing);
		fprintf(fp, "</td><td class=\"n\">%lld</td></tr>\n", rds[r].seed);
	}
	fputs("</tbody>\n</table>\n", fp);
	settings_table_html(fp, d, labels, n);
	if (windows_differ)
		fputs("<p class=\"warn\">The runs cover different windows "
		      "(--allow-different-windows): series are compared step by step from each "
		      "run's start, and the time axis is the baseline's.</p>\n", fp);

	fputs("<h2>Headline numbers</h2>\n<table class=\"cmp\">\n<thead><tr><th>Metric</th>"
	      "<th class=\"n\">", fp);
	cman_html_escape(fp, labels[0]);
	fputs("</th>", fp);
	for (r = 1; r < n; r++) {
		fputs("<th class=\"n\">", fp);
		cman_html_escape(fp, labels[r]);
		fputs("</th><th class=\"n\">Difference</th><th class=\"n\">Relative</th>", fp);
	}
	fputs("</tr></thead>\n<tbody>\n", fp);
	for (k = 0; k < N_METRICS; k++) {
		double base = metric_value(&rds[0], k);

		bool costly = metrics[k].fmt == MF_MONEY || metrics[k].fmt == MF_PRICE ||
			      metrics[k].fmt == MF_SHARE;

		fprintf(fp, "<tr data-metric=\"%s\"><td>%s", metrics[k].key, metrics[k].label);
		if (metrics[k].unit[0] != '$' && metrics[k].fmt != MF_SHARE)
			fprintf(fp, " <span class=\"unit\">(%s)</span>", metrics[k].unit);
		fprintf(fp, "</td><td class=\"n\" data-value=\"%s\">%s</td>", cman_fmt_exact(a, base),
			fmt_metric(b, base, metrics[k].fmt));
		for (r = 1; r < n; r++) {
			double v = metric_value(&rds[r], k), d = v - base, rel = rel_diff(v, base);
			/* colour only costs: up red, down green */
			const char *cls = !costly ? "" : d > 0 ? " pos" : d < 0 ? " neg" : "";

			fprintf(fp, "<td class=\"n\" data-value=\"%s\">", cman_fmt_exact(a, v));
			fprintf(fp, "%s</td>", fmt_metric(b, v, metrics[k].fmt));
			fprintf(fp, "<td class=\"n%s\" data-diff=\"%s\">", cls, cman_fmt_exact(a, d));
			fprintf(fp, "%s</td>", fmt_diff(b, d, metrics[k].fmt));
			fprintf(fp, "<td class=\"n%s\" data-rel=\"%s\">", cls, cman_fmt_exact(a, rel));
			if (isnan(rel))
				fputs("n/a</td>", fp);
			else
				fprintf(fp, "%s%s</td>", rel > 0 ? "+" : "",
					cman_fmt_percent(b, rel));
		}
		fputs("</tr>\n", fp);
	}
	fputs("</tbody>\n</table>\n<p class=\"note\">Costs and rates in US dollars; the "
	      "oversubscribed figure is vCPU-hours of allocation beyond running vCPUs.  "
	      "compare.csv has these numbers unrounded.</p>\n", fp);

	fputs("<h2>Series, overlaid</h2>\n", fp);
	for (i = 0; i < sizeof(charts) / sizeof(charts[0]); i++) {
		chart_base(&c, &rds[0], steps, charts[i].id, charts[i].title, charts[i].unit,
			   charts[i].money);
		for (r = 0; r < n && c.n_series < CMAN_MAX_SERIES; r++) {
			struct cman_series *s = &c.s[c.n_series++];

			s->name = labels[r];
			s->color = cman_html_color(r);
			s->style = r == 0 ? CMAN_DASHED : CMAN_LINE;
			s->y = rds[r].col[charts[i].col];
			s->scale = charts[i].rate ? rate : 1;
		}
		if ((rc = cman_svg_timechart(fp, dfp, &c)))
			goto out;
	}

	fprintf(fp, "<h2>Series, candidate %s baseline</h2>\n<p class=\"note\">As in "
		"series.csv (--op %s)%s.</p>\n", o->op == CMAN_COMPARE_SUB ? "&minus;" : "&divide;",
		o->op == CMAN_COMPARE_SUB ? "sub" : "div",
		o->op == CMAN_COMPARE_DIV ? "; empty where the baseline is 0" : "");
	for (i = 0; i < 3; i++) {
		static const struct {
			enum cman_ts_col col;
			const char *id, *title, *unit;
			bool money, rate;
		} d[] = {
			{ CMAN_TS_COST, "op-cost", "Cost rate", "$/h", true, true },
			{ CMAN_TS_CPUS, "op-cpus", "Capacity (joined vCPUs)", "vCPUs", false, false },
			{ CMAN_TS_UNUSED, "op-unused", "Unused vCPUs", "vCPUs", false, false },
		};
		char t[128];

		snprintf(t, sizeof(t), "%s, %s", d[i].title,
			 o->op == CMAN_COMPARE_SUB ? "difference" : "ratio");
		chart_base(&c, &rds[0], steps, d[i].id, t,
			   o->op == CMAN_COMPARE_SUB ? d[i].unit : "candidate / baseline",
			   o->op == CMAN_COMPARE_SUB && d[i].money);
		for (r = 1; r < n && c.n_series < CMAN_MAX_SERIES; r++) {
			double *y = diff_store[(r - 1) * 3 + i];
			struct cman_series *s = &c.s[c.n_series++];

			for (k = 0; k < steps; k++)
				y[k] = combine(rds[r].col[d[i].col][k], rds[0].col[d[i].col][k], o->op);
			s->name = labels[r];
			s->color = cman_html_color(r);
			s->style = CMAN_LINE;
			s->y = y;
			s->scale = o->op == CMAN_COMPARE_SUB && d[i].rate ? rate : 1;
		}
		c.height = 200;
		if ((rc = cman_svg_timechart(fp, dfp, &c)))
			goto out;
	}
	fputs("<footer><p>All times UTC.  Made by clusterman-sim compare from the runs' "
	      "summary.json and timeseries.csv; compare.csv holds the headline table, "
	      "series.csv the combined series.</p></footer>\n", fp);
out:
	if (fclose(dfp) != 0 && !rc)
		rc = CMAN_ENOMEM;
	if (!rc)
		cman_html_tail(fp, data, data_len);
	free(data);
	return rc;
}

int cman_compare_write(const char *const *run_dirs, size_t n, const char *out_dir,
		       const struct cman_compare_opts *opts, struct cman_error *err)
{
	struct cman_rundir *rds = NULL;
	char **labels = NULL, path[4096], a[CMAN_FMT_BUFSZ], b[CMAN_FMT_BUFSZ];
	char c[CMAN_FMT_BUFSZ], d[CMAN_FMT_BUFSZ];
	double **store = NULL;
	size_t i, loaded = 0, steps;
	bool differ = false;
	struct cman_atomic_file f;
	struct diffs dd = { 0 };
	int rc = 0;

	if (n < 2)
		return cman_error_set(err, CMAN_EINVAL,
				      "compare needs at least two runs (a baseline and a candidate)");
	rds = calloc(n, sizeof(*rds));
	labels = calloc(n, sizeof(*labels));
	store = calloc((n - 1) * 3, sizeof(*store));
	if (!rds || !labels || !store) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		rc = cman_rundir_load(&rds[i], run_dirs[i], err);
		loaded = i + 1;
		if (rc)
			goto out;
	}
	steps = rds[0].n;
	for (i = 1; i < n; i++) {
		if (rds[i].step != rds[0].step) {
			rc = cman_error_set(err, CMAN_EINVAL,
					    "%s has step_seconds %lld but the baseline %s has %lld: "
					    "their series cannot be lined up step by step (rerun "
					    "one with --set simulation.step_seconds=%lld)",
					    run_dirs[i], (long long)rds[i].step, run_dirs[0],
					    (long long)rds[0].step, (long long)rds[0].step);
			goto out;
		}
		if (rds[i].start != rds[0].start || rds[i].end != rds[0].end) {
			differ = true;
			if (!opts->allow_different_windows) {
				rc = cman_error_set(err, CMAN_EINVAL,
						    "different windows: the baseline %s covers %s to %s "
						    "UTC but %s covers %s to %s UTC; costs over different "
						    "spans (and prices) are not comparable.  Pass "
						    "--allow-different-windows to compare them anyway, "
						    "step by step from each run's start",
						    run_dirs[0], cman_fmt_datetime(a, rds[0].start),
						    cman_fmt_datetime(b, rds[0].end), run_dirs[i],
						    cman_fmt_datetime(c, rds[i].start),
						    cman_fmt_datetime(d, rds[i].end));
				goto out;
			}
		}
		if (rds[i].n < steps)
			steps = rds[i].n;
	}
	for (i = 0; i < (n - 1) * 3; i++)
		if (!(store[i] = malloc((steps ? steps : 1) * sizeof(double)))) {
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
			goto out;
		}
	rc = settings_diff(rds, run_dirs, n, &dd, err);
	if (rc)
		goto out;
	if (make_labels(rds, run_dirs, n, &dd, labels)) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	rc = cman_mkdirs(out_dir, err);
	if (rc)
		goto out;
	if (cman_path_join(path, sizeof(path), out_dir, "compare.csv")) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: path too long", out_dir);
		goto out;
	}
	rc = write_table_csv(path, rds, labels, n, err);
	if (rc)
		goto out;
	cman_path_join(path, sizeof(path), out_dir, "settings.csv");
	rc = write_settings_csv(path, &dd, labels, n, err);
	if (rc)
		goto out;
	cman_path_join(path, sizeof(path), out_dir, "series.csv");
	rc = write_series_csv(path, rds, labels, n, steps, opts->op, err);
	if (rc)
		goto out;
	cman_path_join(path, sizeof(path), out_dir, "compare.html");
	rc = cman_atomic_open(&f, path, err);
	if (rc)
		goto out;
	rc = write_html(f.fp, rds, labels, run_dirs, n, steps, opts, differ, store, &dd);
	if (rc)
		cman_error_set(err, rc, "out of memory");
	else
		rc = cman_atomic_commit(&f, err);
	cman_atomic_abort(&f);
	if (!rc)
		settings_table_text(opts->table, &dd, run_dirs, n);
out:
	diffs_release(&dd);
	for (i = 0; i < loaded; i++)
		cman_rundir_release(&rds[i]);
	free(rds);
	if (labels)
		for (i = 0; i < n; i++)
			free(labels[i]);
	free(labels);
	if (store)
		for (i = 0; i < (n - 1) * 3; i++)
			free(store[i]);
	free(store);
	return rc;
}
