/*
 * sweep.c - parameter sweeps (sweep.h): grids, statistics over replicas,
 * the journal of finished runs, sweep.csv and sweep.html.
 */
#include "cman/sim/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <jansson.h>

#include "cman/fsutil.h"
#include "cman/text.h"
#include "cman/reports/csv.h"

const char *const cman_sweep_metric_names[CMAN_SWEEP_N_METRICS] = {
	"cost", "unused_cost", "oversubscribed_cpu_hours", "interruptions",
	"shortfall_share", "oversubscribed_mem_hours", "oversubscribed_disk_hours",
	"oversubscribed_gpu_hours",
};

/* The journal's names of the metrics (those of summary.json). */
static const char *const journal_names[CMAN_SWEEP_N_METRICS] = {
	"total_cost", "unused_cpus_cost", "oversubscribed_cpu_hours", "instances_interrupted",
	"shortfall_share", "oversubscribed_mem_hours", "oversubscribed_disk_hours",
	"oversubscribed_gpu_hours",
};

/* 2: the per-resource totals (issue 8.3) */
#define JOURNAL_VERSION 2

/* The chart's and the Pareto front's measure of under-provisioning. */
#define SHORT CMAN_SWEEP_SHORTFALL

/* ---- grid ---- */

void cman_sweep_grid_init(struct cman_sweep_grid *g)
{
	g->axes = NULL;
	g->n_axes = 0;
}

static void axis_release(struct cman_sweep_axis *a)
{
	size_t i;

	for (i = 0; i < a->n_values; i++)
		free(a->sets[i]);
	free(a->sets);
	free(a->values);
	free(a->key);
	memset(a, 0, sizeof(*a));
}

void cman_sweep_grid_release(struct cman_sweep_grid *g)
{
	size_t i;

	for (i = 0; i < g->n_axes; i++)
		axis_release(&g->axes[i]);
	free(g->axes);
	cman_sweep_grid_init(g);
}

size_t cman_sweep_grid_points(const struct cman_sweep_grid *g)
{
	size_t i, n = 1;

	for (i = 0; i < g->n_axes; i++)
		n *= g->axes[i].n_values;
	return n;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Add value s[0..n) (trimmed) to a as "KEY=VALUE". */
static int axis_push(struct cman_sweep_axis *a, const char *s, size_t n, struct cman_error *err)
{
	size_t k = strlen(a->key), i;
	char *set, **sets;
	const char **values;

	while (n && is_blank(*s)) {
		s++;
		n--;
	}
	while (n && is_blank(s[n - 1]))
		n--;
	if (!n)
		return cman_error_set(err, CMAN_EINVAL, "--grid %s: empty value (item %zu)",
				      a->key, a->n_values + 1);
	for (i = 0; i < a->n_values; i++) {
		if (strlen(a->values[i]) == n && !memcmp(a->values[i], s, n))
			return cman_error_set(err, CMAN_EINVAL, "--grid %s: value '%s' given twice",
					      a->key, a->values[i]);
	}
	set = malloc(k + 1 + n + 1);
	if (!set)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	memcpy(set, a->key, k);
	set[k] = '=';
	memcpy(set + k + 1, s, n);
	set[k + 1 + n] = '\0';
	sets = realloc(a->sets, (a->n_values + 1) * sizeof(*sets));
	if (!sets) {
		free(set);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	a->sets = sets;
	values = realloc(a->values, (a->n_values + 1) * sizeof(*values));
	if (!values) {
		free(set);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	a->values = values;
	a->sets[a->n_values] = set;
	a->values[a->n_values] = set + k + 1;
	a->n_values++;
	/* sets[] and values[] may each have grown one more than n_values on an
	   earlier failure: harmless, both are freed by n_values and pointer */
	return 0;
}

int cman_sweep_grid_add(struct cman_sweep_grid *g, const char *spec, struct cman_error *err)
{
	struct cman_sweep_axis a = { 0 };
	struct cman_sweep_axis *axes;
	const char *eq = strchr(spec, '='), *p, *start;
	size_t klen, i, points;
	int depth = 0, rc = 0;
	char quote = 0;

	if (!eq)
		return cman_error_set(err, CMAN_EINVAL,
				      "--grid '%s': expected KEY=VALUE1,VALUE2,...", spec);
	klen = (size_t)(eq - spec);
	while (klen && is_blank(spec[klen - 1]))
		klen--;
	while (klen && is_blank(*spec)) {
		spec++;
		klen--;
	}
	if (!klen)
		return cman_error_set(err, CMAN_EINVAL, "--grid '%s': empty key", eq);
	a.key = strndup(spec, klen);
	if (!a.key)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	if (!strcmp(a.key, "seed")) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "--grid seed: seeds are not a grid axis; use --replicas N "
				    "(replica r runs with the scenario's seed + r)");
		goto out;
	}
	for (i = 0; i < g->n_axes; i++) {
		if (!strcmp(g->axes[i].key, a.key)) {
			rc = cman_error_set(err, CMAN_EINVAL, "--grid %s: key given twice", a.key);
			goto out;
		}
	}
	for (p = eq + 1; *p && is_blank(*p); p++)
		;
	if (!*p) {
		rc = cman_error_set(err, CMAN_EINVAL, "--grid %s: no values (expected %s=V1,V2,...)",
				    a.key, a.key);
		goto out;
	}
	/* split at commas outside brackets, braces and quotes */
	for (start = p = eq + 1;; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			else if (!*p)
				break;
			continue;
		}
		if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == '[' || *p == '{') {
			depth++;
		} else if ((*p == ']' || *p == '}') && depth > 0) {
			depth--;
		} else if (!*p || (*p == ',' && depth == 0)) {
			rc = axis_push(&a, start, (size_t)(p - start), err);
			if (rc)
				goto out;
			if (!*p)
				break;
			start = p + 1;
		}
	}
	if (quote || depth) {
		rc = cman_error_set(err, CMAN_EINVAL, "--grid %s: unbalanced %s in '%s'", a.key,
				    quote ? "quote" : "brackets", eq + 1);
		goto out;
	}
	points = cman_sweep_grid_points(g);
	if (points > CMAN_SWEEP_MAX_RUNS / a.n_values) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "--grid %s: the grid would have more than %u points", a.key,
				    CMAN_SWEEP_MAX_RUNS);
		goto out;
	}
	axes = realloc(g->axes, (g->n_axes + 1) * sizeof(*axes));
	if (!axes) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	g->axes = axes;
	g->axes[g->n_axes++] = a;
	return 0;
out:
	axis_release(&a);
	return rc;
}

void cman_sweep_point_sets(const struct cman_sweep_grid *g, size_t point, const char **sets,
			   size_t *value_index)
{
	size_t i = g->n_axes;

	while (i-- > 0) {
		const struct cman_sweep_axis *a = &g->axes[i];
		size_t k = point % a->n_values;

		point /= a->n_values;
		sets[i] = a->sets[k];
		if (value_index)
			value_index[i] = k;
	}
}

void cman_sweep_rename_set(const struct cman_sweep_grid *g, char *msg, size_t size)
{
	size_t i, n = strlen(msg);

	if (strncmp(msg, "--set ", 6) || n + 2 > size)
		return;
	for (i = 0; i < g->n_axes; i++) {
		size_t k = strlen(g->axes[i].key);
		char c = msg[6 + k];

		if (!strncmp(msg + 6, g->axes[i].key, k) &&
		    (c == ':' || c == '=' || c == ' ' || c == '\0')) {
			memmove(msg + 7, msg + 6, n - 6 + 1);
			memcpy(msg, "--grid ", 7);
			return;
		}
	}
}

/* ---- results and statistics ---- */

int cman_sweep_results_init(struct cman_sweep_results *r, size_t n_points, size_t n_replicas,
			    struct cman_error *err)
{
	size_t n = n_points * n_replicas;

	memset(r, 0, sizeof(*r));
	if (!n_points || !n_replicas || n / n_replicas != n_points || n > CMAN_SWEEP_MAX_RUNS)
		return cman_error_set(err, CMAN_EINVAL,
				      "a sweep of %zu points x %zu replicas: expected 1 to %u runs",
				      n_points, n_replicas, CMAN_SWEEP_MAX_RUNS);
	r->runs = calloc(n, sizeof(*r->runs));
	r->done = calloc(n, 1);
	if (!r->runs || !r->done) {
		cman_sweep_results_release(r);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	r->n_points = n_points;
	r->n_replicas = n_replicas;
	return 0;
}

void cman_sweep_results_release(struct cman_sweep_results *r)
{
	free(r->runs);
	free(r->done);
	memset(r, 0, sizeof(*r));
}

void cman_sweep_results_put(struct cman_sweep_results *r, size_t point, size_t replica,
			    const struct cman_sweep_run *run)
{
	size_t i = point * r->n_replicas + replica;

	r->runs[i] = *run;
	if (!r->done[i]) {
		r->done[i] = 1;
		r->n_done++;
	}
}

int cman_sweep_stats_compute(const double *x, size_t n, struct cman_sweep_stats *out,
			     struct cman_error *err)
{
	double *s, sd, half = 0;
	size_t i;

	if (!n)
		return cman_error_set(err, CMAN_EINVAL, "statistics of no values");
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			return cman_error_set(err, CMAN_EINVAL, "statistics: value %zu is not finite",
					      i + 1);
	}
	s = malloc(n * sizeof(*s));
	if (!s)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	memcpy(s, x, n * sizeof(*s));
	gsl_sort(s, 1, n);
	out->mean = gsl_stats_mean(x, 1, n);
	if (n > 1) {
		sd = gsl_stats_sd_m(x, 1, n, out->mean);
		half = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
	}
	out->ci_low = out->mean - half;
	out->ci_high = out->mean + half;
	out->p5 = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.05);
	out->p50 = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.50);
	out->p95 = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.95);
	free(s);
	return 0;
}

void cman_sweep_pareto(const double *x, const double *y, size_t n, bool *front)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		front[i] = true;
		for (j = 0; j < n && front[i]; j++) {
			if (x[j] <= x[i] && y[j] <= y[i] && (x[j] < x[i] || y[j] < y[i]))
				front[i] = false;
		}
	}
}

int cman_sweep_summarize(const struct cman_sweep_results *r, struct cman_sweep_summary *out,
			 struct cman_error *err)
{
	size_t np = r->n_points, nr = r->n_replicas, p, k, m;
	double *buf = calloc(nr + 2 * np, sizeof(*buf));
	double *xs = buf ? buf + nr : NULL, *ys = buf ? buf + nr + np : NULL;
	bool *front = calloc(np ? np : 1, sizeof(*front));
	int rc = 0;

	if (!buf || !front) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	for (p = 0; p < np; p++) {
		for (k = 0; k < nr; k++) {
			if (!r->done[p * nr + k]) {
				rc = cman_error_set(err, CMAN_EINTERNAL,
						    "sweep: point %zu replica %zu not done", p + 1, k);
				goto out;
			}
		}
		for (m = 0; m < CMAN_SWEEP_N_METRICS; m++) {
			for (k = 0; k < nr; k++)
				buf[k] = r->runs[p * nr + k].v[m];
			rc = cman_sweep_stats_compute(buf, nr, &out[p].m[m], err);
			if (rc) {
				cman_error_prefix(err, "point %zu, %s", p + 1,
						  cman_sweep_metric_names[m]);
				goto out;
			}
		}
		xs[p] = out[p].m[SHORT].mean;
		ys[p] = out[p].m[CMAN_SWEEP_COST].mean;
	}
	cman_sweep_pareto(xs, ys, np, front);
	for (p = 0; p < np; p++)
		out[p].pareto = front[p];
out:
	free(buf);
	free(front);
	return rc;
}

/* ---- journal ---- */

int cman_sweep_file_hash(const char *path, uint64_t *hash, struct cman_error *err)
{
	unsigned char buf[65536];
	uint64_t h = 14695981039346656037ull;
	FILE *fp = fopen(path, "rb");
	size_t n, i;
	int rc = 0;

	if (!fp)
		return cman_error_set(err, CMAN_EIO, "%s: cannot read: %s", path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		for (i = 0; i < n; i++) {
			h ^= buf[i];
			h *= 1099511628211ull;
		}
	}
	if (ferror(fp))
		rc = cman_error_set(err, CMAN_EIO, "%s: cannot read", path);
	fclose(fp);
	*hash = h;
	return rc;
}

/* A JSON string of outside text (a --set value): invalid UTF-8 replaced. */
static json_t *text_json(const char *s)
{
	char *clean = cman_utf8_clean(s);
	json_t *j = clean ? json_string(clean) : NULL;

	free(clean);
	return j;
}

/* The journal's first line (caller frees). */
static char *journal_header(uint64_t scenario_hash, const char *const *sets, size_t n_sets)
{
	json_t *o = json_object(), *a = json_array();
	char hex[24];
	char *s = NULL;
	size_t i;

	if (!o || !a)
		goto out;
	snprintf(hex, sizeof(hex), "%016" PRIx64, scenario_hash);
	for (i = 0; i < n_sets; i++)
		if (json_array_append_new(a, text_json(sets[i])))
			goto out;
	if (json_object_set_new(o, "sweep_journal", json_integer(JOURNAL_VERSION)) ||
	    json_object_set_new(o, "scenario_fnv1a", json_string(hex)) ||
	    json_object_set(o, "sets", a))
		goto out;
	s = json_dumps(o, JSON_COMPACT);
out:
	json_decref(a);
	json_decref(o);
	return s;
}

/* Write all of buf[0..n) to fd. */
static int write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Append line (without its newline) and sync. */
static int journal_write_line(struct cman_sweep_journal *j, const char *line,
			      struct cman_error *err)
{
	size_t n = strlen(line);
	char *buf = malloc(n + 2);
	int rc = 0;

	if (!buf)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	memcpy(buf, line, n);
	buf[n] = '\n';
	if (write_all(j->fd, buf, n + 1) || fdatasync(j->fd))
		rc = cman_error_set(err, CMAN_EIO, "%s: cannot write: %s", j->path,
				    strerror(errno));
	free(buf);
	return rc;
}

/*
 * Where a journal record belongs: its point (from its overrides) and
 * replica (from its seed); false when it is of another grid.
 */
static bool record_place(const struct cman_sweep_grid *g, json_t *sets, uint64_t seed,
			 uint64_t seed0, size_t n_replicas, size_t *point, size_t *replica)
{
	size_t i, k, p = 0;

	if (json_array_size(sets) != g->n_axes || seed < seed0 || seed - seed0 >= n_replicas)
		return false;
	for (i = 0; i < g->n_axes; i++) {
		const char *s = json_string_value(json_array_get(sets, i));
		const struct cman_sweep_axis *a = &g->axes[i];

		if (!s)
			return false;
		for (k = 0; k < a->n_values && strcmp(a->sets[k], s); k++)
			;
		if (k == a->n_values)
			return false;
		p = p * a->n_values + k;
	}
	*point = p;
	*replica = (size_t)(seed - seed0);
	return true;
}

/* Read the whole file of fd into a NUL-terminated buffer (caller frees). */
static int read_fd(int fd, const char *path, char **out, size_t *len, struct cman_error *err)
{
	struct stat sb;
	char *buf;
	size_t n = 0;

	if (fstat(fd, &sb))
		return cman_error_set(err, CMAN_EIO, "%s: %s", path, strerror(errno));
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	while (n < (size_t)sb.st_size) {
		ssize_t r = pread(fd, buf + n, (size_t)sb.st_size - n, (off_t)n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return cman_error_set(err, CMAN_EIO, "%s: cannot read: %s", path,
					      r < 0 ? strerror(errno) : "file shrank");
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int cman_sweep_journal_open(struct cman_sweep_journal *j, const char *path,
			    uint64_t scenario_hash, const char *const *sets, size_t n_sets,
			    const struct cman_sweep_grid *g, uint64_t seed0,
			    struct cman_sweep_results *r, size_t *n_loaded,
			    struct cman_error *err)
{
	char *header = journal_header(scenario_hash, sets, n_sets);
	char *buf = NULL, *line, *nl;
	json_t *want = NULL, *got = NULL;
	size_t len = 0, loaded = 0, lineno = 0;
	int rc = 0;

	j->fd = -1;
	snprintf(j->path, sizeof(j->path), "%s", path);
	if (n_loaded)
		*n_loaded = 0;
	if (!header) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (j->fd < 0) {
		rc = cman_error_set(err, CMAN_EIO, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	rc = read_fd(j->fd, path, &buf, &len, err);
	if (rc)
		goto out;
	/* a torn last line: cut it off */
	if (len && buf[len - 1] != '\n') {
		char *last = memrchr(buf, '\n', len);
		size_t keep = last ? (size_t)(last - buf) + 1 : 0;

		if (ftruncate(j->fd, (off_t)keep) || fdatasync(j->fd)) {
			rc = cman_error_set(err, CMAN_EIO, "%s: cannot truncate: %s", path,
					    strerror(errno));
			goto out;
		}
		len = keep;
		buf[len] = '\0';
	}
	if (!len) {
		rc = journal_write_line(j, header, err);
		goto out;
	}
	want = json_loads(header, 0, NULL);
	for (line = buf; *line; line = nl + 1) {
		json_error_t jerr;
		json_t *jsets, *jseed;
		size_t point, replica, m;
		struct cman_sweep_run run;
		bool ok = true;

		nl = strchr(line, '\n');   /* every line ends in one now */
		*nl = '\0';
		lineno++;
		json_decref(got);
		got = json_loads(line, 0, &jerr);
		if (lineno == 1) {
			if (!got || !want || !json_equal(got, want)) {
				rc = cman_error_set(err, CMAN_EINVAL,
						    "%s: the journal of another sweep (another "
						    "scenario file or other --set/--seed); remove it "
						    "or choose another -o folder", path);
				goto out;
			}
			continue;
		}
		if (!got || !json_is_object(got)) {
			rc = cman_error_at(err, path, (int)lineno, 0,
					   "not a journal record: %s", got ? "not an object"
									   : jerr.text);
			goto out;
		}
		jsets = json_object_get(got, "sets");
		jseed = json_object_get(got, "seed");
		if (!json_is_array(jsets) || !json_is_integer(jseed) ||
		    json_integer_value(jseed) < 0)
			ok = false;
		for (m = 0; ok && m < CMAN_SWEEP_N_METRICS; m++) {
			json_t *v = json_object_get(got, journal_names[m]);

			if (!json_is_number(v))
				ok = false;
			else
				run.v[m] = json_number_value(v);
		}
		if (!ok) {
			rc = cman_error_at(err, path, (int)lineno, 0,
					   "not a journal record: expected sets, seed and %s",
					   "the totals");
			goto out;
		}
		if (record_place(g, jsets, (uint64_t)json_integer_value(jseed), seed0,
				 r->n_replicas, &point, &replica)) {
			if (!r->done[point * r->n_replicas + replica])
				loaded++;
			cman_sweep_results_put(r, point, replica, &run);
		}
	}
	if (n_loaded)
		*n_loaded = loaded;
out:
	if (rc)
		cman_sweep_journal_close(j);
	json_decref(got);
	json_decref(want);
	free(buf);
	free(header);
	return rc;
}

int cman_sweep_journal_append(struct cman_sweep_journal *j, const struct cman_sweep_grid *g,
			      size_t point, uint64_t seed, const struct cman_sweep_run *run,
			      struct cman_error *err)
{
	const char **sets = calloc(g->n_axes + 1, sizeof(*sets));
	json_t *o = json_object(), *a = json_array();
	char *s = NULL;
	size_t i;
	bool bad;
	int rc = 0;

	if (!sets || !o || !a) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	if (j->fd < 0) {
		rc = cman_error_set(err, CMAN_EIO, "%s: journal not open", j->path);
		goto out;
	}
	cman_sweep_point_sets(g, point, sets, NULL);
	for (i = 0; i < CMAN_SWEEP_N_METRICS; i++)
		if (!isfinite(run->v[i])) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: %s is not a finite number",
					    j->path, journal_names[i]);
			goto out;
		}
	bad = json_object_set(o, "sets", a) ||
	      json_object_set_new(o, "seed", json_integer((json_int_t)seed));
	for (i = 0; i < g->n_axes; i++)
		bad = bad || json_array_append_new(a, text_json(sets[i]));
	for (i = 0; i < CMAN_SWEEP_N_METRICS; i++)
		bad = bad || json_object_set_new(o, journal_names[i], json_real(run->v[i]));
	s = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (!s) {
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", j->path);
		goto out;
	}
	rc = journal_write_line(j, s, err);
out:
	free(s);
	json_decref(a);
	json_decref(o);
	free(sets);
	return rc;
}

void cman_sweep_journal_close(struct cman_sweep_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}

/* ---- sweep.csv ---- */

int cman_sweep_write_csv(const char *path, const struct cman_sweep_grid *g,
			 const struct cman_sweep_results *r,
			 const struct cman_sweep_summary *s, struct cman_error *err)
{
	static const char *const stat_names[] = { "mean", "ci95_low", "ci95_high",
						  "p5", "p50", "p95" };
	struct cman_atomic_file f;
	size_t *idx = calloc(g->n_axes + 1, sizeof(*idx));
	const char **sets = calloc(g->n_axes + 1, sizeof(*sets));
	size_t i, p, m, k;
	int rc;

	if (!idx || !sets) {
		free(idx);
		free(sets);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	rc = cman_atomic_open(&f, path, err);
	if (rc)
		goto out;
	for (i = 0; i < g->n_axes; i++) {
		cman_csv_text(f.fp, g->axes[i].key);
		fputc(',', f.fp);
	}
	fputs("replicas", f.fp);
	for (m = 0; m < CMAN_SWEEP_N_METRICS; m++)
		for (k = 0; k < 6; k++)
			fprintf(f.fp, ",%s_%s", cman_sweep_metric_names[m], stat_names[k]);
	fputs(",pareto\n", f.fp);
	for (p = 0; p < r->n_points; p++) {
		cman_sweep_point_sets(g, p, sets, idx);
		for (i = 0; i < g->n_axes; i++) {
			cman_csv_text(f.fp, g->axes[i].values[idx[i]]);
			fputc(',', f.fp);
		}
		cman_csv_int(f.fp, (long long)r->n_replicas);
		for (m = 0; m < CMAN_SWEEP_N_METRICS; m++) {
			const struct cman_sweep_stats *st = &s[p].m[m];
			const double v[6] = { st->mean, st->ci_low, st->ci_high,
					      st->p5, st->p50, st->p95 };

			for (k = 0; k < 6; k++) {
				fputc(',', f.fp);
				cman_csv_number(f.fp, v[k]);
			}
		}
		fprintf(f.fp, ",%d\n", s[p].pareto ? 1 : 0);
	}
	rc = cman_atomic_commit(&f, err);
out:
	if (rc)
		cman_atomic_abort(&f);
	free(idx);
	free(sets);
	return rc;
}

/* ---- sweep.html ---- */

static void html_text(FILE *fp, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		default: fputc(*s, fp);
		}
	}
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) for about n ticks. */
static double nice_step(double span, int n)
{
	double raw = span / n, p = pow(10, floor(log10(raw))), f = raw / p;

	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* An axis: [lo, hi] rounded out to its tick step. */
struct axis {
	double lo, hi, step;
};

static void axis_fit(struct axis *a, double lo, double hi)
{
	if (!(hi > lo)) {
		double d = fabs(lo) > 0 ? fabs(lo) * 0.1 : 1;

		lo -= d;
		hi += d;
	} else {
		double pad = (hi - lo) * 0.05;

		lo -= pad;
		hi += pad;
	}
	a->step = nice_step(hi - lo, 6);
	a->lo = floor(lo / a->step) * a->step;
	a->hi = ceil(hi / a->step) * a->step;
}

/* A tick label: as few decimals as the step needs. */
static void tick_label(char *buf, size_t n, double v, double step)
{
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	if (fabs(v) < step * 1e-9)
		v = 0;
	snprintf(buf, n, "%.*f", dec > 9 ? 9 : dec, v);
}

/* Chart geometry. */
#define CW 760
#define CH 460
#define ML 84
#define MR 24
#define MT 20
#define MB 56

static double sx(const struct axis *a, double v)
{
	return ML + (v - a->lo) / (a->hi - a->lo) * (CW - ML - MR);
}

static double sy(const struct axis *a, double v)
{
	return CH - MB - (v - a->lo) / (a->hi - a->lo) * (CH - MT - MB);
}

/* The point's overrides as "k=v, k=v" (or "(the scenario)"). */
static void point_label(FILE *fp, const struct cman_sweep_grid *g, const char **sets)
{
	size_t i;

	if (!g->n_axes)
		fputs("(the scenario as it is)", fp);
	for (i = 0; i < g->n_axes; i++) {
		if (i)
			fputs(", ", fp);
		html_text(fp, sets[i]);
	}
}

static int write_chart(FILE *fp, const struct cman_sweep_grid *g,
		       const struct cman_sweep_results *r, const struct cman_sweep_summary *s,
		       const char **sets)
{
	struct axis ax, ay;
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY, v;
	size_t p, n_front = 0, *order;
	char buf[64];
	bool first;

	for (p = 0; p < r->n_points; p++) {
		const struct cman_sweep_stats *x = &s[p].m[SHORT];
		const struct cman_sweep_stats *y = &s[p].m[CMAN_SWEEP_COST];

		xlo = fmin(xlo, x->ci_low);
		xhi = fmax(xhi, x->ci_high);
		ylo = fmin(ylo, y->ci_low);
		yhi = fmax(yhi, y->ci_high);
		n_front += s[p].pareto;
	}
	axis_fit(&ax, xlo, xhi);
	axis_fit(&ay, ylo, yhi);
	fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"mean cost against mean "
		"share of demand unmet\">\n", CW, CH, CW, CH);
	fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"plot\"/>\n",
		ML, MT, CW - ML - MR, CH - MT - MB);
	for (v = ax.lo; v <= ax.hi + ax.step * 1e-6; v += ax.step) {
		tick_label(buf, sizeof(buf), v, ax.step);
		fprintf(fp, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" class=\"grid\"/>"
			"<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>\n",
			sx(&ax, v), MT, sx(&ax, v), CH - MB, sx(&ax, v), CH - MB + 16, buf);
	}
	for (v = ay.lo; v <= ay.hi + ay.step * 1e-6; v += ay.step) {
		tick_label(buf, sizeof(buf), v, ay.step);
		fprintf(fp, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
			"<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>\n",
			ML, sy(&ay, v), CW - MR, sy(&ay, v), ML - 6, sy(&ay, v) + 4, buf);
	}
	fprintf(fp, "<text x=\"%d\" y=\"%d\" class=\"label\" text-anchor=\"middle\">"
		"share of demand unmet, the shortest resource (mean over replicas)</text>\n",
		(ML + CW - MR) / 2, CH - 12);
	fprintf(fp, "<text x=\"16\" y=\"%d\" class=\"label\" text-anchor=\"middle\" "
		"transform=\"rotate(-90 16 %d)\">cost, $ (mean over replicas)</text>\n",
		(MT + CH - MB) / 2, (MT + CH - MB) / 2);
	/* the Pareto front, joined in order of x */
	order = malloc((n_front ? n_front : 1) * sizeof(*order));
	if (!order)
		return -1;
	n_front = 0;
	for (p = 0; p < r->n_points; p++) {
		size_t k;

		if (!s[p].pareto)
			continue;
		/* insertion by (x, y): front points have distinct x unless equal */
		for (k = n_front; k > 0; k--) {
			const struct cman_sweep_summary *q = &s[order[k - 1]];

			if (q->m[SHORT].mean < s[p].m[SHORT].mean ||
			    (q->m[SHORT].mean == s[p].m[SHORT].mean &&
			     q->m[CMAN_SWEEP_COST].mean <= s[p].m[CMAN_SWEEP_COST].mean))
				break;
			order[k] = order[k - 1];
		}
		order[k] = p;
		n_front++;
	}
	if (n_front > 1) {
		fputs("<polyline class=\"front\" points=\"", fp);
		for (p = 0; p < n_front; p++)
			fprintf(fp, "%s%.1f,%.1f", p ? " " : "",
				sx(&ax, s[order[p]].m[SHORT].mean),
				sy(&ay, s[order[p]].m[CMAN_SWEEP_COST].mean));
		fputs("\"/>\n", fp);
	}
	free(order);
	/* dots: the others first, the front on top */
	for (first = true;; first = false) {
		for (p = 0; p < r->n_points; p++) {
			const struct cman_sweep_stats *x = &s[p].m[SHORT];
			const struct cman_sweep_stats *y = &s[p].m[CMAN_SWEEP_COST];
			double cx = sx(&ax, x->mean), cy = sy(&ay, y->mean);

			if (s[p].pareto == first)
				continue;
			cman_sweep_point_sets(g, p, sets, NULL);
			fprintf(fp, "<g class=\"%s\"><title>#%zu ", s[p].pareto ? "best" : "pt",
				p + 1);
			point_label(fp, g, sets);
			fprintf(fp, ": cost $%.2f [%.2f, %.2f], demand unmet %.4f%% [%.4f, %.4f]"
				"%s</title>", y->mean, y->ci_low, y->ci_high, 100 * x->mean,
				100 * x->ci_low, 100 * x->ci_high,
				s[p].pareto ? " (Pareto front)" : "");
			if (x->ci_high > x->ci_low)
				fprintf(fp, "<line class=\"err\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
					"y2=\"%.1f\"/>", sx(&ax, x->ci_low), cy, sx(&ax, x->ci_high),
					cy);
			if (y->ci_high > y->ci_low)
				fprintf(fp, "<line class=\"err\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
					"y2=\"%.1f\"/>", cx, sy(&ay, y->ci_low), cx,
					sy(&ay, y->ci_high));
			fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%d\"/>", cx, cy,
				s[p].pareto ? 5 : 4);
			if (s[p].pareto && n_front <= 12)   /* more would overlap */
				fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" class=\"tag\">#%zu</text>",
					cx + 7, cy - 7, p + 1);
			fputs("</g>\n", fp);
		}
		if (!first)
			break;
	}
	fputs("</svg>\n", fp);
	return 0;
}

static const char css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em;"
	"color:#222;max-width:1100px}\n"
	"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}\n"
	"table{border-collapse:collapse;font-size:.9em}\n"
	"th,td{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:right}\n"
	"th{background:#f4f4f4}td.k,th.k{text-align:left}td{white-space:nowrap}\n"
	"tr.best td{background:#fff4e0}\n"
	".plot{fill:#fcfcfc;stroke:#bbb}.grid{stroke:#e6e6e6}\n"
	".tick{font-size:11px;fill:#555}.label{font-size:12px;fill:#333}\n"
	".tag{font-size:10px;fill:#b35900}\n"
	".pt circle{fill:#4c78a8;fill-opacity:.8}.best circle{fill:#e8790c;stroke:#7a3d00}\n"
	".err{stroke:#888;stroke-width:1}\n"
	".front{fill:none;stroke:#e8790c;stroke-width:1.5;stroke-dasharray:4 3}\n"
	".note{color:#555;font-size:.9em}\n"
	"td.one{color:#777;font-style:italic}\n";

/*
 * A 95% CI cell: "low - high", or, when the interval has zero width, what
 * that means: "one run" (one replica) or "one path" (every replica gave the
 * same number: the replicas drew nothing that changes it).
 */
static void ci_cell(FILE *fp, const struct cman_sweep_stats *st, size_t n_replicas,
		    int decimals)
{
	if (st->ci_high > st->ci_low)
		fprintf(fp, "<td>%.*f &ndash; %.*f</td>", decimals, st->ci_low, decimals,
			st->ci_high);
	else
		fprintf(fp, "<td class=\"one\">%s</td>", n_replicas > 1 ? "one path" : "one run");
}

int cman_sweep_write_html(const char *path, const char *title, const struct cman_sweep_grid *g,
			  const struct cman_sweep_results *r,
			  const struct cman_sweep_summary *s, uint64_t first_seed,
			  struct cman_error *err)
{
	struct cman_atomic_file f;
	const char **sets = calloc(g->n_axes + 1, sizeof(*sets));
	size_t *idx = calloc(g->n_axes + 1, sizeof(*idx));
	size_t p, i, n_front = 0;
	FILE *fp;
	int rc;

	if (!sets || !idx) {
		free(sets);
		free(idx);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	rc = cman_atomic_open(&f, path, err);
	if (rc)
		goto out;
	fp = f.fp;
	for (p = 0; p < r->n_points; p++)
		n_front += s[p].pareto;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
	      fp);
	html_text(fp, title);
	fprintf(fp, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", css);
	html_text(fp, title);
	fprintf(fp, "</h1>\n<p>%zu point%s &times; %zu replica%s = %zu runs; replica <i>r</i> "
		"of every point runs with seed %" PRIu64 " + <i>r</i> (common random numbers). "
		"Intervals are 95%% confidence intervals of the mean over replicas; "
		"&ldquo;one path&rdquo; marks a number every replica gave alike (its replicas "
		"drew nothing that changes it: to vary prices and load, let the scenario "
		"generate them, see the README's <i>Sweeps</i>), &ldquo;one run&rdquo; a "
		"point of one replica.</p>\n",
		r->n_points, r->n_points == 1 ? "" : "s", r->n_replicas,
		r->n_replicas == 1 ? "" : "s", r->n_points * r->n_replicas, first_seed);
	fputs("<h2>Cost against under-provisioning</h2>\n", fp);
	fprintf(fp, "<p class=\"note\">One dot per point with its error bars; the %zu "
		"point%s of the Pareto front (no other point is both cheaper and leaves less "
		"demand unmet) in orange, joined by the dashed line.  Hover over a dot for "
		"its parameters; the table below has every number.  Demand unmet: of each "
		"resource with data (cpus, mem, disk, gpus), allocation beyond running capacity "
		"over allocation, integrated over the run; the largest of them.</p>\n",
		n_front, n_front == 1 ? "" : "s");
	if (write_chart(fp, g, r, s, sets)) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	fputs("<h2>Points</h2>\n<table>\n<tr><th>#</th>", fp);
	for (i = 0; i < g->n_axes; i++) {
		fputs("<th class=\"k\">", fp);
		html_text(fp, g->axes[i].key);
		fputs("</th>", fp);
	}
	fputs("<th>cost $ (mean)</th><th>95% CI</th><th>p5</th><th>p50</th><th>p95</th>"
	      "<th>unused cost $</th><th>oversubscribed CPU-h</th><th>95% CI</th>"
	      "<th>interruptions</th><th>demand unmet</th><th>oversubscribed mem MiB-h</th>"
	      "<th>oversubscribed GPU-h</th><th>Pareto</th></tr>\n", fp);
	for (p = 0; p < r->n_points; p++) {
		const struct cman_sweep_stats *c = &s[p].m[CMAN_SWEEP_COST];
		const struct cman_sweep_stats *o = &s[p].m[CMAN_SWEEP_OVERSUB];

		cman_sweep_point_sets(g, p, sets, idx);
		fprintf(fp, "<tr%s><td>%zu</td>", s[p].pareto ? " class=\"best\"" : "", p + 1);
		for (i = 0; i < g->n_axes; i++) {
			fputs("<td class=\"k\">", fp);
			html_text(fp, g->axes[i].values[idx[i]]);
			fputs("</td>", fp);
		}
		fprintf(fp, "<td>%.2f</td>", c->mean);
		ci_cell(fp, c, r->n_replicas, 2);
		fprintf(fp, "<td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td>",
			c->p5, c->p50, c->p95, s[p].m[CMAN_SWEEP_UNUSED_COST].mean, o->mean);
		ci_cell(fp, o, r->n_replicas, 2);
		fprintf(fp, "<td>%.1f</td><td>%.4f%%</td><td>%.2f</td><td>%.2f</td><td>%s</td></tr>\n",
			s[p].m[CMAN_SWEEP_INTERRUPTIONS].mean, 100 * s[p].m[SHORT].mean,
			s[p].m[CMAN_SWEEP_OVERSUB_MEM].mean, s[p].m[CMAN_SWEEP_OVERSUB_GPU].mean,
			s[p].pareto ? "&#9733;" : "");
	}
	fputs("</table>\n</body>\n</html>\n", fp);
	rc = cman_atomic_commit(&f, err);
out:
	if (rc)
		cman_atomic_abort(&f);
	free(sets);
	free(idx);
	return rc;
}
