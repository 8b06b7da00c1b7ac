/*
 * rundir.c - loading a run directory for the reports (see rundir.h).
 *
 * timeseries.csv of a one-year run at one-minute steps has 525,600 rows:
 * the CSV files are read with the project's one RFC 4180 reader
 * (cman/csvread.h, in blocks) and numbers parsed by hand
 * (cman_parse_number), not with sscanf per field.
 */
#include "rundir.h"

#include "cman/reports/report.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cman/catalog.h"
#include "cman/csvread.h"
#include "cman/fsutil.h"
#include "cman/limits.h"
#include "cman/metrics.h"
#include "cman/runfiles.h"
#include "cman/time.h"

const char *const cman_ts_names[CMAN_TS_NCOLS] = {
	"cpus", "cpus_allocated", "unused_cpus", "cost", "unused_cpus_cost",
	"cost_per_cpu", "oversubscribed", "target_capacity", "fulfilled_capacity",
};

/* ---- numbers ---------------------------------------------------------- */

static const double exact_pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

static int parse_slow(const char *s, const char *e, double *out)
{
	char tmp[128], *end;
	size_t n = (size_t)(e - s);

	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	*out = strtod(tmp, &end);
	if (end != tmp + n || n == 0)
		return -1;
	return 0;
}

int cman_parse_number(const char *s, const char *e, double *out)
{
	const char *p = s;
	unsigned long long m = 0;
	int digits = 0, exp10 = 0, any = 0;
	bool neg = false;
	double v;

	if (p == e) {
		*out = NAN;
		return 0;
	}
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	while (p < e && *p >= '0' && *p <= '9') {
		any = 1;
		if (m || *p != '0')
			digits++;
		if (digits > 19)
			return parse_slow(s, e, out);
		m = m * 10 + (unsigned)(*p++ - '0');
	}
	if (p < e && *p == '.') {
		p++;
		while (p < e && *p >= '0' && *p <= '9') {
			any = 1;
			if (m || *p != '0')
				digits++;
			if (digits > 19)
				return parse_slow(s, e, out);
			m = m * 10 + (unsigned)(*p++ - '0');
			exp10--;
		}
	}
	if (!any)
		return parse_slow(s, e, out);   /* "inf", "nan" and the like */
	if (p < e && (*p == 'e' || *p == 'E')) {
		int x = 0, xneg = 0, xd = 0;

		p++;
		if (p < e && (*p == '-' || *p == '+'))
			xneg = *p++ == '-';
		while (p < e && *p >= '0' && *p <= '9' && xd < 6) {
			x = x * 10 + (*p++ - '0');
			xd++;
		}
		if (!xd)
			return -1;
		exp10 += xneg ? -x : x;
	}
	if (p != e)
		return -1;
	if (m >= (1ULL << 53) || exp10 > 22 || exp10 < -22)
		return parse_slow(s, e, out);
	v = (double)m;
	v = exp10 >= 0 ? v * exact_pow10[exp10] : v / exact_pow10[-exp10];
	*out = neg ? -v : v;
	return 0;
}

/* ---- lines and fields ------------------------------------------------- */

struct lines {
	FILE *fp;
	const char *path;
	char *buf;
	size_t cap, len, pos;
	int line;
	bool eof;
};

/* Open the file of path (its last component) in the run directory dfd:
 * every file of one load comes from the same folder, even if the path is
 * swapped to another run meanwhile.  Links are not followed. */
static FILE *open_in(int dfd, const char *path)
{
	const char *slash = strrchr(path, '/');
	int fd = openat(dfd, slash ? slash + 1 : path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *fp;

	if (fd < 0)
		return NULL;
	fp = fdopen(fd, "rb");
	if (!fp)
		close(fd);
	return fp;
}

static int lines_open(struct lines *lr, int dfd, const char *path, bool optional,
		      bool *absent, struct cman_error *err)
{
	memset(lr, 0, sizeof(*lr));
	lr->path = path;
	lr->fp = open_in(dfd, path);
	if (!lr->fp) {
		int e = errno;

		if (optional && e == ENOENT) {
			*absent = true;
			return 0;
		}
		return cman_error_set(err, e == ENOENT ? CMAN_EINVAL : CMAN_EIO,
				      "%s: cannot read: %s", path, strerror(e));
	}
	lr->cap = 1 << 20;
	lr->buf = malloc(lr->cap + 1);
	if (!lr->buf)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	return 0;
}

static void lines_close(struct lines *lr)
{
	if (lr->fp)
		fclose(lr->fp);
	free(lr->buf);
	lr->fp = NULL;
	lr->buf = NULL;
}

/* The next line, without its end of line, NUL-terminated and writable:
 * 1 with *s, *e set; 0 at the end; < 0 on error. */
static int lines_next(struct lines *lr, char **s, char **e, struct cman_error *err)
{
	for (;;) {
		char *nl = memchr(lr->buf + lr->pos, '\n', lr->len - lr->pos);
		size_t got;

		if (nl || (lr->eof && lr->pos < lr->len)) {
			char *b = lr->buf + lr->pos, *end = nl ? nl : lr->buf + lr->len;

			lr->pos = (size_t)(end - lr->buf) + (nl ? 1 : 0);
			if (end > b && end[-1] == '\r')
				end--;
			*end = '\0';
			*s = b;
			*e = end;
			lr->line++;
			return 1;
		}
		if (lr->eof)
			return 0;
		if (lr->pos) {
			memmove(lr->buf, lr->buf + lr->pos, lr->len - lr->pos);
			lr->len -= lr->pos;
			lr->pos = 0;
		}
		if (lr->len == lr->cap) {
			char *nb;

			if (lr->cap >= (64u << 20))
				return cman_error_at(err, lr->path, lr->line + 1, 0,
						     "line longer than 64 MiB");
			nb = realloc(lr->buf, lr->cap * 2 + 1);
			if (!nb)
				return cman_error_set(err, CMAN_ENOMEM, "out of memory");
			lr->buf = nb;
			lr->cap *= 2;
		}
		got = fread(lr->buf + lr->len, 1, lr->cap - lr->len, lr->fp);
		if (got == 0) {
			if (ferror(lr->fp))
				return cman_error_set(err, CMAN_EIO, "%s: read error", lr->path);
			lr->eof = true;
		}
		lr->len += got;
	}
}

#define MAX_FIELDS 64

/* The CSV file of path (its last component) in the run directory dfd, read
 * with csvread.h; an optional file that does not exist sets *absent. */
static int csv_open_in(int dfd, const char *path, bool optional, bool *absent,
		       struct cman_csv **out, struct cman_error *err)
{
	const char *slash = strrchr(path, '/');
	int fd = openat(dfd, slash ? slash + 1 : path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	*out = NULL;
	if (fd < 0) {
		int e = errno;

		if (optional && e == ENOENT) {
			*absent = true;
			return 0;
		}
		return cman_error_set(err, e == ENOENT ? CMAN_EINVAL : CMAN_EIO,
				      "%s: cannot read: %s", path, strerror(e));
	}
	return cman_csv_open_fd(fd, path, out, err);
}

/* The column of each wanted name in the header record; -1 when absent. */
static int header_columns(struct cman_csv *csv, const char *path, const char *const *names,
			  int n_names, int *cols, int *n_fields, struct cman_error *err)
{
	const struct cman_csv_field *f;
	size_t n;
	int rc = cman_csv_next(csv, &f, &n, err), i, k;

	if (rc < 0)
		return rc;
	if (rc == 0)
		return cman_error_at(err, path, 1, 0, "empty file, expected a CSV header");
	if (n > MAX_FIELDS)
		return cman_error_at(err, path, f[0].line, 0, "malformed CSV header");
	for (i = 0; i < n_names; i++) {
		cols[i] = -1;
		for (k = 0; k < (int)n; k++)
			if (!strcmp(f[k].s, names[i]))
				cols[i] = k;
	}
	*n_fields = (int)n;
	return 0;
}

/* A number field: cman_parse_number over its text. */
static int field_number(const struct cman_csv_field *f, double *out)
{
	return cman_parse_number(f->s, f->s + f->len, out);
}

/* ---- summary.json ----------------------------------------------------- */

static char *dupstr(const char *s)
{
	return strdup(s ? s : "");
}

static double num_or(json_t *o, const char *key, double dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

static long long int_or(json_t *o, const char *key, long long dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? (long long)llround(json_number_value(v)) : dflt;
}

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

static int add_note(struct cman_rundir *rd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int add_note(struct cman_rundir *rd, const char *fmt, ...)
{
	char **nn = realloc(rd->notes, (rd->n_notes + 1) * sizeof(*nn));
	va_list ap;
	char *s;

	if (!nn)
		return CMAN_ENOMEM;
	rd->notes = nn;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return CMAN_ENOMEM;
	rd->notes[rd->n_notes++] = s;
	return 0;
}

static int load_summary(struct cman_rundir *rd, const char *path, json_t **bym,
			struct cman_error *err)
{
	static const char *const required[] = { "name", "start_time", "end_time",
						"step_seconds", "total_cost", NULL };
	json_error_t je;
	FILE *fp = open_in(rd->dfd, path);
	json_t *o, *w;
	size_t i;
	int rc = 0;

	if (!fp)
		return cman_error_set(err, errno == ENOENT ? CMAN_EINVAL : CMAN_EIO,
				      "%s: cannot read: %s (is this a run directory?)",
				      path, strerror(errno));
	o = json_loadf(fp, 0, &je);
	fclose(fp);
	if (!o)
		return cman_error_at(err, path, je.line, je.column, "%s", je.text);
	if (!json_is_object(o)) {
		rc = cman_error_at(err, path, 1, 1, "expected a JSON object");
		goto out;
	}
	for (i = 0; required[i]; i++) {
		json_t *v = json_object_get(o, required[i]);

		if (!v || (i == 0 ? !json_is_string(v) : !json_is_number(v))) {
			rc = cman_error_at(err, path, 0, 0, "%s key '%s' (expected %s)",
					   v ? "bad" : "missing", required[i],
					   i == 0 ? "a string" : "a number");
			goto out;
		}
	}
	rd->name = dupstr(str_or(o, "name", ""));
	rd->cluster = dupstr(str_or(o, "cluster", ""));
	rd->pool = dupstr(str_or(o, "pool", ""));
	rd->scheduler = dupstr(str_or(o, "scheduler", ""));
	rd->mode = dupstr(str_or(o, "mode", json_integer_value(json_object_get(o,
						"autoscaler_runs")) > 0 ? "autoscaler" : "replay"));
	rd->billing = dupstr(str_or(o, "billing", ""));
	if (!rd->name || !rd->cluster || !rd->pool || !rd->scheduler || !rd->mode ||
	    !rd->billing) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	rd->start = int_or(o, "start_time", 0);
	rd->end = int_or(o, "end_time", 0);
	rd->step = int_or(o, "step_seconds", 0);
	/* issue 9.6: the ranges a run can have (no overflow in the roll-ups) */
	if (rd->end <= rd->start || !cman_time_valid(rd->start) || !cman_time_valid(rd->end) ||
	    rd->step <= 0 || rd->step > CMAN_STEP_MAX) {
		rc = cman_error_at(err, path, 0, 0,
				   "expected end_time after start_time, both within 1970..9999, "
				   "and step_seconds from 1 to %d", CMAN_STEP_MAX);
		goto out;
	}
	rd->seed = int_or(o, "seed", 0);
	rd->refund_outbid = json_is_true(json_object_get(o, "refund_outbid"));
	rd->discount = num_or(o, "discount", 1);
	rd->total_cost = num_or(o, "total_cost", NAN);
	rd->unused_cost = num_or(o, "unused_cpus_cost", NAN);
	rd->unused_share = num_or(o, "unused_cpus_cost_share",
				  rd->total_cost > 0 ? rd->unused_cost / rd->total_cost : 0);
	rd->running_cpu_hours = num_or(o, "running_cpu_hours", NAN);
	rd->cost_per_cpu_hour = num_or(o, "cost_per_cpu_hour",
				       rd->running_cpu_hours > 0
				       ? rd->total_cost / rd->running_cpu_hours : NAN);
	rd->mean_cpus = num_or(o, "mean_cpus", NAN);
	rd->peak_cpus = num_or(o, "peak_cpus", NAN);
	rd->mean_allocated = num_or(o, "mean_cpus_allocated", NAN);
	rd->oversub_cpu_hours = num_or(o, "oversubscribed_cpu_hours", NAN);
	rd->launched = int_or(o, "instances_launched", 0);
	rd->terminated = int_or(o, "instances_terminated", 0);
	rd->interrupted = int_or(o, "instances_interrupted", 0);
	rd->running_at_end = int_or(o, "instances_running_at_end", -1);
	rd->autoscaler_runs = int_or(o, "autoscaler_runs", 0);
	rd->events = int_or(o, "events_processed", 0);
	w = json_object_get(o, "warnings");
	if (json_is_array(w) && json_array_size(w)) {
		rd->warnings = calloc(json_array_size(w), sizeof(*rd->warnings));
		if (!rd->warnings) {
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < json_array_size(w); i++) {
			json_t *s = json_array_get(w, i);

			rd->warnings[rd->n_warnings] = dupstr(json_is_string(s)
							      ? json_string_value(s) : "");
			if (!rd->warnings[rd->n_warnings]) {
				rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
				goto out;
			}
			rd->n_warnings++;
		}
	}
	*bym = json_incref(json_object_get(o, "cost_by_market"));
	rd->summary = json_incref(o);
out:
	json_decref(o);
	return rc;
}

/* ---- timeseries.csv --------------------------------------------------- */

/* Optional columns after INTERFACE.md's: every other resource, binding. */
#define TS_NRS ((CMAN_RD_NRES - 1) * CMAN_RS_NCOLS)
#define TS_NALL (CMAN_TS_NCOLS + 1 + TS_NRS + 1)

static const char *const binding_names[CMAN_RD_NRES + 1] = {
	"cpus", "mem", "disk", "gpus", "none",
};

static int load_timeseries(struct cman_rundir *rd, const char *path, struct cman_error *err)
{
	static const char *const names[TS_NALL] = {
		"time", "cpus", "cpus_allocated", "unused_cpus", "cost", "unused_cpus_cost",
		"cost_per_cpu", "oversubscribed", "target_capacity", "fulfilled_capacity",
		"mem", "mem_allocated", "unused_mem_cost", "oversubscribed_mem",
		"disk", "disk_allocated", "unused_disk_cost", "oversubscribed_disk",
		"gpus", "gpus_allocated", "unused_gpus_cost", "oversubscribed_gpus",
		"binding_resource",
	};
	struct cman_csv *csv = NULL;
	const struct cman_csv_field *f = NULL;
	size_t nf;
	int cols[TS_NALL], n_fields = 0, rc, k, r, last_line = 1;
	size_t expect = (size_t)((rd->end - rd->start + rd->step - 1) / rd->step), i = 0;
	double sum = 0;

	rc = csv_open_in(rd->dfd, path, false, NULL, &csv, err);
	if (rc)
		goto out;
	rc = header_columns(csv, path, names, TS_NALL, cols, &n_fields, err);
	if (rc)
		goto out;
	for (k = 0; k <= CMAN_TS_NCOLS; k++)
		if (cols[k] < 0) {
			rc = cman_error_at(err, path, 1, 0, "no column '%s' in the header", names[k]);
			goto out;
		}
	for (k = 0; k < CMAN_TS_NCOLS; k++) {
		rd->col[k] = malloc((expect ? expect : 1) * sizeof(double));
		if (!rd->col[k]) {
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
			goto out;
		}
	}
	for (r = 1; r < CMAN_RD_NRES; r++) {
		bool all = true;

		for (k = 0; k < CMAN_RS_NCOLS; k++)
			all = all && cols[CMAN_TS_NCOLS + 1 + (r - 1) * CMAN_RS_NCOLS + k] >= 0;
		for (k = 0; k < CMAN_RS_NCOLS && all; k++) {
			rd->rcol[r][k] = malloc((expect ? expect : 1) * sizeof(double));
			if (!rd->rcol[r][k]) {
				rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	if (cols[TS_NALL - 1] >= 0 && !(rd->binding = malloc(expect ? expect : 1))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	while ((rc = cman_csv_next(csv, &f, &nf, err)) == 1) {
		int line = f[0].line;
		double t;

		last_line = line;
		if ((int)nf != n_fields) {
			rc = cman_error_at(err, path, line, 0, "%d fields, expected %d",
					   (int)nf, n_fields);
			goto out;
		}
		if (i >= expect) {
			rc = cman_error_at(err, path, line, 0,
					   "more rows than the window holds (%zu of %lld s)",
					   expect, (long long)rd->step);
			goto out;
		}
		if (field_number(&f[cols[0]], &t) ||
		    t != (double)(rd->start + (int64_t)i * rd->step)) {
			rc = cman_error_at(err, path, line, f[cols[0]].col,
					   "time '%s', expected %lld (start_time + %zu x %lld s)",
					   f[cols[0]].s,
					   (long long)(rd->start + (int64_t)i * rd->step), i,
					   (long long)rd->step);
			goto out;
		}
		for (k = 0; k < CMAN_TS_NCOLS; k++) {
			int c = cols[k + 1];

			if (field_number(&f[c], &rd->col[k][i])) {
				rc = cman_error_at(err, path, line, f[c].col,
						   "%s '%s': expected a number",
						   cman_ts_names[k], f[c].s);
				goto out;
			}
		}
		for (r = 1; r < CMAN_RD_NRES; r++) {
			for (k = 0; k < CMAN_RS_NCOLS && rd->rcol[r][0]; k++) {
				int c = cols[CMAN_TS_NCOLS + 1 + (r - 1) * CMAN_RS_NCOLS + k];
				double *v = &rd->rcol[r][k][i];

				if (field_number(&f[c], v)) {
					rc = cman_error_at(err, path, line, f[c].col,
							   "%s '%s': expected a number or nothing",
							   names[CMAN_TS_NCOLS + 1 +
								 (r - 1) * CMAN_RS_NCOLS + k],
							   f[c].s);
					goto out;
				}
				if (!isnan(*v))
					rd->has_res[r] = true;
			}
		}
		if (rd->binding) {
			int c = cols[TS_NALL - 1];

			for (k = 0; k <= CMAN_RD_NRES; k++)
				if (!strcmp(binding_names[k], f[c].s))
					break;
			if (k > CMAN_RD_NRES) {
				rc = cman_error_at(err, path, line, f[c].col,
						   "binding_resource '%s': expected cpus, mem, "
						   "disk, gpus or none", f[c].s);
				goto out;
			}
			rd->binding[i] = (unsigned char)k;
		}
		if (!isnan(rd->col[CMAN_TS_COST][i]))
			sum += rd->col[CMAN_TS_COST][i];
		i++;
	}
	if (rc < 0)
		goto out;
	rc = 0;
	if (i != expect) {
		rc = cman_error_at(err, path, last_line + 1, 0,
				   "%zu rows, expected %zu (one per %lld s from start_time to "
				   "end_time): truncated?", i, expect, (long long)rd->step);
		goto out;
	}
	rd->n = i;
	if (fabs(sum - rd->total_cost) > 1e-6 * fmax(1, fabs(rd->total_cost)))
		rc = add_note(rd, "timeseries.csv's costs sum to %.6f, summary.json's "
			      "total_cost is %.6f", sum, rd->total_cost);
out:
	cman_csv_close(csv);
	return rc;
}

/* ---- markets.csv ------------------------------------------------------ */

struct mrow {
	size_t k, m;
	double inst, cost, price;
};

static int find_market(struct cman_rundir *rd, const char *name, size_t hint, size_t *out)
{
	size_t i;

	if (hint < rd->n_markets && !strcmp(rd->markets[hint].name, name)) {
		*out = hint;
		return 0;
	}
	for (i = 0; i < rd->n_markets; i++)
		if (!strcmp(rd->markets[i].name, name)) {
			*out = i;
			return 0;
		}
	return -1;
}

static int add_market(struct cman_rundir *rd, const char *name, size_t *cap, size_t *out)
{
	const struct cman_catalog *cat = NULL;
	struct cman_rd_market *mk;
	char type[64], az[64];

	if (rd->n_markets == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct cman_rd_market *nm = realloc(rd->markets, nc * sizeof(*nm));

		if (!nm)
			return CMAN_ENOMEM;
		rd->markets = nm;
		*cap = nc;
	}
	mk = &rd->markets[rd->n_markets];
	memset(mk, 0, sizeof(*mk));
	mk->launched = -1;
	mk->cpus = NAN;
	if (cman_market_parse(name, type, sizeof(type), az, sizeof(az)))
		type[0] = az[0] = '\0';
	mk->name = strdup(name);
	mk->instance_type = strdup(type);
	mk->az = strdup(az);
	if (!mk->name || !mk->instance_type || !mk->az) {
		free(mk->name);
		free(mk->instance_type);
		free(mk->az);
		return CMAN_ENOMEM;
	}
	if (type[0] && !cman_catalog_builtin(&cat, NULL)) {
		const struct cman_instance_type *it = cman_catalog_find(cat, type);

		if (it)
			mk->cpus = it->cpus;
	}
	*out = rd->n_markets++;
	return 0;
}

static int load_markets(struct cman_rundir *rd, const char *path, json_t *bym,
			struct cman_error *err)
{
	static const char *const names[] = { "time", "market", "instances", "cost",
					     "spot_price" };
	struct cman_csv *csv = NULL;
	const struct cman_csv_field *f = NULL;
	size_t nf;
	struct mrow *rows = NULL;
	size_t n_rows = 0, cap_rows = 0, cap_m = 0, hint = 0, i, k_cur = 0;
	int cols[5], n_fields = 0, rc, k;
	bool absent = false, have_t = false;
	int64_t t_first = 0;

	rc = csv_open_in(rd->dfd, path, true, &absent, &csv, err);
	if (rc || absent)
		goto out;
	rc = header_columns(csv, path, names, 5, cols, &n_fields, err);
	if (rc)
		goto out;
	for (k = 0; k < 5; k++)
		if (cols[k] < 0) {
			rc = cman_error_at(err, path, 1, 0, "no column '%s' in the header", names[k]);
			goto out;
		}
	rd->mt_step = 0;
	while ((rc = cman_csv_next(csv, &f, &nf, err)) == 1) {
		struct mrow r;
		double v[5];
		int line = f[0].line;

		if ((int)nf != n_fields) {
			rc = cman_error_at(err, path, line, 0, "%d fields, expected %d",
					   (int)nf, n_fields);
			goto out;
		}
		for (k = 0; k < 5; k++) {
			if (k == 1)
				continue;
			if (field_number(&f[cols[k]], &v[k]) || (k == 0 && isnan(v[0]))) {
				rc = cman_error_at(err, path, line, f[cols[k]].col,
						   "%s '%s': expected a number", names[k],
						   f[cols[k]].s);
				goto out;
			}
		}
		if (!have_t) {
			have_t = true;
			t_first = (int64_t)v[0];
		} else if (!rd->mt_step && (int64_t)v[0] != t_first) {
			rd->mt_step = (int64_t)v[0] - t_first;
			if (rd->mt_step < 0) {
				rc = cman_error_at(err, path, line, f[cols[0]].col,
						   "time goes backwards");
				goto out;
			}
		}
		if (rd->mt_step) {
			int64_t d = (int64_t)v[0] - t_first;
			size_t kk = (size_t)(d / rd->mt_step);

			if (d < 0 || d % rd->mt_step || kk < k_cur) {
				rc = cman_error_at(err, path, line, f[cols[0]].col,
						   "time %lld: expected rows every %lld s from %lld, "
						   "in order", (long long)v[0],
						   (long long)rd->mt_step, (long long)t_first);
				goto out;
			}
			k_cur = kk;
		}
		if (find_market(rd, f[cols[1]].s, hint, &r.m)) {
			rc = add_market(rd, f[cols[1]].s, &cap_m, &r.m);
			if (rc) {
				rc = cman_error_set(err, rc, "out of memory");
				goto out;
			}
		}
		hint = r.m + 1;
		r.k = k_cur;
		r.inst = v[2];
		r.cost = v[3];
		r.price = v[4];
		if (n_rows == cap_rows) {
			size_t nc = cap_rows ? cap_rows * 2 : 1024;
			struct mrow *nr = realloc(rows, nc * sizeof(*nr));

			if (!nr) {
				rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
				goto out;
			}
			rows = nr;
			cap_rows = nc;
		}
		rows[n_rows++] = r;
	}
	if (rc < 0)
		goto out;
	rc = 0;
	rd->has_markets = true;
	rd->mt_start = have_t ? t_first : rd->start;
	if (!rd->mt_step)
		rd->mt_step = rd->step > 3600 ? rd->step : 3600;
	rd->n_mt = n_rows ? rows[n_rows - 1].k + 1 : 0;
	if (rd->n_markets && rd->n_mt) {
		size_t cells = rd->n_mt * rd->n_markets;

		rd->m_inst = malloc(cells * sizeof(double));
		rd->m_cost = malloc(cells * sizeof(double));
		rd->m_price = malloc(cells * sizeof(double));
		if (!rd->m_inst || !rd->m_cost || !rd->m_price) {
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < cells; i++)
			rd->m_inst[i] = rd->m_cost[i] = rd->m_price[i] = NAN;
		for (i = 0; i < n_rows; i++) {
			size_t c = rows[i].k * rd->n_markets + rows[i].m;

			rd->m_inst[c] = rows[i].inst;
			rd->m_cost[c] = rows[i].cost;
			rd->m_price[c] = rows[i].price;
			if (!isnan(rows[i].cost))
				rd->markets[rows[i].m].cost += rows[i].cost;
		}
	}
	/* summary.json's per-market costs are the reference when present */
	for (i = 0; i < rd->n_markets; i++) {
		json_t *c = json_object_get(bym, rd->markets[i].name);

		if (json_is_number(c))
			rd->markets[i].cost = json_number_value(c);
	}
out:
	free(rows);
	cman_csv_close(csv);
	return rc;
}

/* ---- instances.csv: launches per market ------------------------------- */

static int load_instances(struct cman_rundir *rd, const char *path, struct cman_error *err)
{
	static const char *const names[] = { "market" };
	struct cman_csv *csv = NULL;
	const struct cman_csv_field *f = NULL;
	size_t i, hint = 0, m, nf;
	int col = -1, n_fields = 0, rc;
	bool absent = false;

	rc = csv_open_in(rd->dfd, path, true, &absent, &csv, err);
	if (rc || absent || !rd->has_markets)
		goto out;
	rc = header_columns(csv, path, names, 1, &col, &n_fields, err);
	if (rc)
		goto out;
	if (col < 0) {
		rc = cman_error_at(err, path, 1, 0, "no column 'market' in the header");
		goto out;
	}
	for (i = 0; i < rd->n_markets; i++)
		rd->markets[i].launched = 0;
	while ((rc = cman_csv_next(csv, &f, &nf, err)) == 1) {
		if ((int)nf != n_fields) {
			rc = cman_error_at(err, path, f[0].line, 0, "wrong number of fields");
			goto out;
		}
		if (!find_market(rd, f[col].s, hint, &m)) {
			rd->markets[m].launched++;
			hint = m;
		}
	}
	if (rc > 0)
		rc = 0;
out:
	cman_csv_close(csv);
	return rc;
}

/* ---- decisions.jsonl -------------------------------------------------- */

static int load_decisions(struct cman_rundir *rd, const char *path, struct cman_error *err)
{
	static const char *const res[4] = { "cpus", "mem", "disk", "gpus" };
	struct lines lr;
	size_t cap = 0;
	bool absent = false;
	char *s = NULL, *e = NULL;
	int rc;

	rc = lines_open(&lr, rd->dfd, path, true, &absent, err);
	if (rc || absent)
		goto out;
	rd->has_decisions = true;
	while ((rc = lines_next(&lr, &s, &e, err)) == 1) {
		json_error_t je;
		json_t *o, *v, *req, *gt, *term;
		struct cman_report_decision *d;
		char *gbuf = NULL;
		size_t glen = 0;
		FILE *gfp;
		const char *key;
		int r;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if (s == e)
			continue;
		o = json_loadb(s, (size_t)(e - s), 0, &je);
		if (!o) {
			rc = cman_error_at(err, path, lr.line, je.column, "%s", je.text);
			goto out;
		}
		v = json_object_get(o, "time");
		if (!json_is_object(o) || !json_is_number(v) ||
		    !json_is_number(json_object_get(o, "new_target"))) {
			json_decref(o);
			rc = cman_error_at(err, path, lr.line, 1,
					   "expected an object with a numeric 'time' and "
					   "'new_target'");
			goto out;
		}
		if (rd->n_decisions == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct cman_report_decision *nd = realloc(rd->dec, nc * sizeof(*nd));

			if (!nd) {
				json_decref(o);
				rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
				goto out;
			}
			rd->dec = nd;
			cap = nc;
		}
		d = &rd->dec[rd->n_decisions];
		memset(d, 0, sizeof(*d));
		d->time = (int64_t)json_number_value(v);
		d->new_target = json_number_value(json_object_get(o, "new_target"));
		d->current_target = num_or(o, "current_target", NAN);
		req = json_object_get(o, "request");
		for (r = 0; r < 4; r++)
			d->request[r] = num_or(req, res[r], NAN);
		term = json_object_get(o, "terminated");
		d->n_terminated = json_is_array(term) ? json_array_size(term) : 0;
		gt = json_object_get(o, "group_targets");
		gfp = open_memstream(&gbuf, &glen);
		if (gfp) {
			bool first = true;

			json_object_foreach(gt, key, v) {
				fprintf(gfp, "%s%s=%.6g", first ? "" : ", ", key,
					json_is_number(v) ? json_number_value(v) : NAN);
				first = false;
			}
			fclose(gfp);
		}
		d->group_targets = gbuf;
		d->signal = dupstr(str_or(o, "signal", ""));
		d->reason = dupstr(str_or(o, "reason", ""));
		rd->n_decisions++;
		json_decref(o);
		if (!d->group_targets || !d->signal || !d->reason) {
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (rc > 0)
		rc = 0;
out:
	lines_close(&lr);
	return rc;
}

/* ---- the whole directory ---------------------------------------------- */

/* scenario.yaml (optional): its text, for compare's table of settings. */
static int load_scenario(struct cman_rundir *rd, const char *dir, struct cman_error *err)
{
	char path[4200];
	FILE *fp = open_in(rd->dfd, "scenario.yaml");
	size_t cap = 0, len = 0, got;
	char *buf = NULL;

	if (!fp)
		return 0;
	snprintf(path, sizeof(path), "%s/scenario.yaml", dir);
	do {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (cap ? cap * 2 : 8192));

			if (!nb) {
				free(buf);
				fclose(fp);
				return cman_error_set(err, CMAN_ENOMEM, "out of memory");
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len - 1, fp);
		len += got;
	} while (got > 0 && len < (64u << 20));
	if (ferror(fp)) {
		free(buf);
		fclose(fp);
		return cman_error_set(err, CMAN_EIO, "%s: read error", path);
	}
	fclose(fp);
	buf[len] = '\0';
	rd->scenario_yaml = buf;
	return 0;
}

/* ---- the tables from memory (issue 12.1) -------------------------------- */

void cman_report_tables_release(struct cman_report_tables *t)
{
	size_t i;
	int k, r;

	for (k = 0; k < CMAN_TS_NCOLS; k++)
		free(t->col[k]);
	for (r = 0; r < CMAN_RD_NRES; r++)
		for (k = 0; k < CMAN_RS_NCOLS; k++)
			free(t->rcol[r][k]);
	free(t->binding);
	for (i = 0; t->market_names && i < t->n_markets; i++)
		free(t->market_names[i]);
	free(t->market_names);
	free(t->launched);
	free(t->m_inst);
	free(t->m_cost);
	free(t->m_price);
	memset(t, 0, sizeof(*t));
}

int cman_rundir_view_tables(struct cman_rundir *rd, const struct cman_report_tables *t,
			    struct cman_error *err)
{
	size_t expect = rd->step > 0 && rd->end > rd->start
		? (size_t)((rd->end - rd->start + rd->step - 1) / rd->step) : 0, i;
	int k, r;

	if (rd->step <= 0 || t->n != expect)
		return cman_error_set(err, CMAN_EINTERNAL, "the run's tables have %zu rows, "
				      "its window %zu steps", t->n, expect);
	for (k = 0; k < CMAN_TS_NCOLS; k++)
		if (!t->col[k])
			return cman_error_set(err, CMAN_EINTERNAL, "the run's tables lack %s",
					      cman_ts_names[k]);
	/* (rd is left as it was on an error above) */
	for (k = 0; k < CMAN_TS_NCOLS; k++)
		rd->col[k] = t->col[k];
	for (r = 1; r < CMAN_RD_NRES; r++) {
		if (!t->rcol[r][0])
			continue;
		for (k = 0; k < CMAN_RS_NCOLS; k++) {
			rd->rcol[r][k] = t->rcol[r][k];
			for (i = 0; i < t->n && !rd->has_res[r] && rd->rcol[r][k]; i++)
				if (!isnan(rd->rcol[r][k][i]))
					rd->has_res[r] = true;
		}
	}
	rd->binding = t->binding;
	rd->n = t->n;
	return 0;
}

/* timeseries.csv from t: what load_timeseries makes of the file (rd takes
 * t's arrays). */
static int take_timeseries(struct cman_rundir *rd, struct cman_report_tables *t,
			   const double *cost_sum, struct cman_error *err)
{
	double sum;
	int k, r, rc = cman_rundir_view_tables(rd, t, err);

	if (rc)
		return rc;
	for (k = 0; k < CMAN_TS_NCOLS; k++)
		t->col[k] = NULL;
	for (r = 1; r < CMAN_RD_NRES; r++)
		for (k = 0; k < CMAN_RS_NCOLS && rd->rcol[r][0]; k++)
			t->rcol[r][k] = NULL;
	t->binding = NULL;
	sum = cost_sum ? *cost_sum : cman_rundir_cost_sum(rd);
	if (fabs(sum - rd->total_cost) > 1e-6 * fmax(1, fabs(rd->total_cost)))
		return add_note(rd, "timeseries.csv's costs sum to %.6f, summary.json's "
				"total_cost is %.6f", sum, rd->total_cost);
	return 0;
}

double cman_rundir_cost_sum(const struct cman_rundir *rd)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < rd->n; i++)
		if (!isnan(rd->col[CMAN_TS_COST][i]))
			sum += rd->col[CMAN_TS_COST][i];
	return sum;
}

/* markets.csv and instances.csv's launches from t, as load_markets and
 * load_instances make them of the files. */
static int take_markets(struct cman_rundir *rd, struct cman_report_tables *t, json_t *bym,
			struct cman_error *err)
{
	size_t cap = 0, i, k, m;
	int rc;

	rd->has_markets = true;
	rd->mt_start = t->mt_start;
	rd->mt_step = t->mt_step;
	for (m = 0; m < t->n_markets; m++) {
		rc = add_market(rd, t->market_names[m], &cap, &i);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
		rd->markets[i].launched = t->launched ? t->launched[m] : -1;
	}
	rd->n_mt = t->n_markets ? t->n_mt : 0;
	if (rd->n_markets && rd->n_mt) {
		rd->m_inst = t->m_inst;
		rd->m_cost = t->m_cost;
		rd->m_price = t->m_price;
		t->m_inst = t->m_cost = t->m_price = NULL;
		if (!rd->m_inst || !rd->m_cost || !rd->m_price)
			return cman_error_set(err, CMAN_EINTERNAL, "the run's tables lack markets");
		for (k = 0; k < rd->n_mt; k++)
			for (m = 0; m < rd->n_markets; m++) {
				double c = rd->m_cost[k * rd->n_markets + m];

				if (!isnan(c))
					rd->markets[m].cost += c;
			}
	}
	for (i = 0; i < rd->n_markets; i++) {
		json_t *c = json_object_get(bym, rd->markets[i].name);

		if (json_is_number(c))
			rd->markets[i].cost = json_number_value(c);
	}
	return 0;
}

static int load_dir(struct cman_rundir *rd, const char *dir, struct cman_report_tables *t,
		    const double *cost_sum, struct cman_error *err);

int cman_rundir_load(struct cman_rundir *rd, const char *dir, struct cman_error *err)
{
	return load_dir(rd, dir, NULL, NULL, err);
}

int cman_rundir_load_tables(struct cman_rundir *rd, const char *dir,
			    struct cman_report_tables *t, struct cman_error *err)
{
	int rc = load_dir(rd, dir, t, NULL, err);

	cman_report_tables_release(t);
	return rc;
}

int cman_rundir_load_tables_summed(struct cman_rundir *rd, const char *dir,
				   struct cman_report_tables *t, double cost_sum,
				   struct cman_error *err)
{
	int rc = load_dir(rd, dir, t, &cost_sum, err);

	cman_report_tables_release(t);
	return rc;
}

static int load_dir(struct cman_rundir *rd, const char *dir, struct cman_report_tables *t,
		    const double *cost_sum, struct cman_error *err)
{
	char path[4096];
	json_t *bym = NULL;
	bool has_manifest = false;
	int rc;

	memset(rd, 0, sizeof(*rd));
	rd->dfd = -1;
	if (cman_path_join(path, sizeof(path), dir, "summary.json"))
		return cman_error_set(err, CMAN_EINVAL, "%s: path too long", dir);
	rd->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rd->dfd < 0)
		return cman_error_set(err, errno == ENOENT || errno == ENOTDIR ? CMAN_EINVAL
				      : CMAN_EIO, "%s: cannot read: %s (is this a run directory?)",
				      path, strerror(errno));
	rc = cman_manifest_check(rd->dfd, dir, rd->manifest_run_id, &has_manifest, err);
	if (rc)
		goto out;
	rc = load_summary(rd, path, &bym, err);
	if (rc)
		goto out;
	/* summary.json carries the run id; the manifest binds the other files */
	rd->run_id = dupstr(str_or(rd->summary, "run_id", ""));
	rd->scenario_hash = dupstr(str_or(rd->summary, "scenario_hash", ""));
	if (!rd->run_id || !rd->scenario_hash) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	if (has_manifest && strcmp(rd->run_id, rd->manifest_run_id)) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "%s: belongs to run %s, but the run directory's manifest.json "
				    "is of run %s: the run directory mixes files of different runs",
				    path, rd->run_id[0] ? rd->run_id : "(none)", rd->manifest_run_id);
		goto out;
	}
	if (!has_manifest && rd->run_id[0]) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "%s/manifest.json: missing, but summary.json names run %s: the "
				    "run directory is incomplete", dir, rd->run_id);
		goto out;
	}
	rd->unchecked = !has_manifest;
	if (t) {
		rc = take_timeseries(rd, t, cost_sum, err);
		if (!rc)
			rc = take_markets(rd, t, bym, err);
		if (rc)
			goto out;
		goto tables_done;
	}
	cman_path_join(path, sizeof(path), dir, "timeseries.csv");
	rc = load_timeseries(rd, path, err);
	if (rc)
		goto out;
	cman_path_join(path, sizeof(path), dir, "markets.csv");
	rc = load_markets(rd, path, bym, err);
	if (rc)
		goto out;
	if (!rd->has_markets && add_note(rd, "no markets.csv in the run directory: "
					 "the per-market section is left out")) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	cman_path_join(path, sizeof(path), dir, "instances.csv");
	rc = load_instances(rd, path, err);
	if (rc)
		goto out;
tables_done:
	cman_path_join(path, sizeof(path), dir, "decisions.jsonl");
	rc = load_decisions(rd, path, err);
	if (rc)
		goto out;
	rc = load_scenario(rd, dir, err);
out:
	json_decref(bym);
	if (rc == CMAN_ENOMEM && err && !err->code)
		cman_error_set(err, CMAN_ENOMEM, "out of memory");
	return rc;
}

void cman_rundir_release(struct cman_rundir *rd)
{
	size_t i;
	int k;

	free(rd->name);
	free(rd->cluster);
	free(rd->pool);
	free(rd->scheduler);
	free(rd->mode);
	free(rd->billing);
	for (i = 0; i < rd->n_warnings; i++)
		free(rd->warnings[i]);
	free(rd->warnings);
	for (k = 0; k < CMAN_TS_NCOLS; k++)
		free(rd->col[k]);
	for (i = 0; i < CMAN_RD_NRES; i++)
		for (k = 0; k < CMAN_RS_NCOLS; k++)
			free(rd->rcol[i][k]);
	free(rd->binding);
	for (i = 0; i < rd->n_markets; i++) {
		free(rd->markets[i].name);
		free(rd->markets[i].instance_type);
		free(rd->markets[i].az);
	}
	free(rd->markets);
	free(rd->m_inst);
	free(rd->m_cost);
	free(rd->m_price);
	for (i = 0; i < rd->n_decisions; i++) {
		free(rd->dec[i].signal);
		free(rd->dec[i].reason);
		free(rd->dec[i].group_targets);
	}
	free(rd->dec);
	for (i = 0; i < rd->n_notes; i++)
		free(rd->notes[i]);
	free(rd->notes);
	json_decref(rd->summary);
	free(rd->run_id);
	free(rd->scenario_hash);
	free(rd->scenario_yaml);
	if (rd->dfd > 0)
		close(rd->dfd);
	memset(rd, 0, sizeof(*rd));
}

char *cman_rundir_summary_text(const struct cman_rundir *rd, const char *key, double v,
			       char *buf, size_t n)
{
	json_t *j = json_object_get(rd->summary, key);
	char *s = json_is_number(j) ? json_dumps(j, JSON_ENCODE_ANY | JSON_REAL_PRECISION(12))
		: NULL;

	if (s)
		snprintf(buf, n, "%s", s);
	else if (isnan(v) || isinf(v))
		snprintf(buf, n, "null");
	else
		snprintf(buf, n, "%.12g", v == 0 ? 0.0 : v);
	free(s);
	return buf;
}
