/*
 * import_aws.c - real-data importers (import.h): AWS spot-price history as
 * `describe-spot-price-history` JSON or as the CSV layout of the shared 2016
 * files, a generic time-series CSV (one time column, one value column), and
 * format sniffing.
 *
 * Files are read whole through zlib, which reads plain files transparently,
 * so every format may be gzip-compressed.  Rows are collected into arrays
 * (one allocation per doubling), sorted where the format needs it, and
 * written through the store interface; the importers never begin or commit.
 */
#include "cman/grow.h"
#include "cman/import.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "cman/csvread.h"
#include "cman/fsutil.h"
#include "cman/time.h"
#include "store_int.h"

#define DEFAULT_PRODUCT "Linux/UNIX"

/* Read a (possibly gzip-compressed) file whole; *buf is NUL-terminated.
 * max > 0 stops after max bytes (for sniffing). */
static int read_all(const char *path, size_t max, char **buf, size_t *len,
		    struct cman_error *err)
{
	gzFile gz;
	char *b = NULL;
	size_t n = 0, cap = 0, step;
	int fd, rc = 0, zerr;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: cannot open: %s", path, strerror(errno));
	step = cman_read_buffer_size(fd, 65536);   /* a small file: small buffers */
	gz = gzdopen(fd, "rb");
	if (!gz) {
		close(fd);
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
	}
	for (;;) {
		size_t room;
		int got;

		if (cman_grow((void **)&b, &cap, n + step + 1, 1)) {
			rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
			goto out;
		}
		room = cap - n - 1;
		if (room > INT_MAX / 2)
			room = INT_MAX / 2;
		if (max && room > max - n)
			room = max - n;
		got = gzread(gz, b + n, (unsigned)room);
		if (got < 0) {
			const char *m = gzerror(gz, &zerr);

			if (zerr == Z_ERRNO)
				rc = cman_error_set(err, CMAN_EINVAL, "%s: read error: %s", path,
						    strerror(errno));
			else
				rc = cman_error_set(err, CMAN_EINVAL, "%s: corrupt gzip data: %s",
						    path, m ? m : "unknown error");
			goto out;
		}
		n += (size_t)got;
		if (got == 0 || (max && n >= max))
			break;
	}
	if (!max) {
		(void)gzerror(gz, &zerr);
		if (zerr == Z_BUF_ERROR)
			rc = cman_error_set(err, CMAN_EINVAL,
					    "%s: truncated gzip data (unexpected end of file)", path);
	}
out:
	gzclose_r(gz);
	if (rc) {
		free(b);
		return rc;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writing and counting                                                */
/* ------------------------------------------------------------------ */

struct writer {
	const char *path;
	struct cman_store *dst;
	const struct cman_catalog *cat;
	struct cman_import_stats stats;
	struct cman_store_strtab seen;
};

static void writer_init(struct writer *w, const char *path, struct cman_store *dst,
			const struct cman_catalog *cat)
{
	memset(w, 0, sizeof(*w));
	w->path = path;
	w->dst = dst;
	w->cat = cat;
	cman_store_strtab_init(&w->seen);
}

static void writer_release(struct writer *w, struct cman_import_stats *stats)
{
	if (stats)
		*stats = w->stats;
	cman_store_strtab_release(&w->seen);
}

static int put(struct writer *w, enum cman_metric_kind kind, const char *key, int64_t t,
	       double v, struct cman_error *err)
{
	struct cman_sample s = { .t = t, .value = v };
	char name[CMAN_KEY_MAX + 2];
	long len;
	size_t idx;
	int added = 0, rc = cman_store_write(w->dst, kind, key, &s, err);

	if (rc)
		return rc;
	w->stats.samples++;
	len = cman_store_series_name(name, sizeof(name), kind, key);
	if (len >= 0) {
		if (cman_store_strtab_add(&w->seen, name, (size_t)len, &idx, &added))
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", w->path);
		w->stats.series += added != 0;
	}
	return 0;
}

/* With a catalog: why a market is not valid (0 when it is). */
static int check_market(const struct cman_catalog *cat, const char *type, const char *az,
			char *why, size_t n)
{
	char region[64];

	if (!type[0] || strlen(type) >= CMAN_TYPE_MAX) {
		snprintf(why, n, "bad instance type '%.60s'", type);
		return -1;
	}
	if (!az[0] || strlen(az) >= CMAN_AZ_MAX) {
		snprintf(why, n, "bad availability zone '%.60s'", az);
		return -1;
	}
	if (!cat)
		return 0;
	if (!cman_catalog_find(cat, type)) {
		snprintf(why, n, "unknown instance type '%s'", type);
		return -1;
	}
	if (cman_region_of_az(az, region, sizeof(region)) != 0) {
		snprintf(why, n, "unknown availability zone '%s' (not in a known AWS region)", az);
		return -1;
	}
	return 0;
}

static bool product_ok(const char *want, const char *got)
{
	if (!want)
		want = DEFAULT_PRODUCT;
	return strcmp(want, "*") == 0 || strcmp(want, got) == 0;
}

/* A price: a finite number >= 0 from the whole text. */
static int parse_price(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(*out) || *out < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* AWS JSON                                                            */
/* ------------------------------------------------------------------ */

struct rec {
	int64_t t;
	double price;
	size_t market;   /* index in the markets table */
	size_t order;    /* position in the file */
};

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->market != y->market)
		return x->market < y->market ? -1 : 1;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	/* AWS lists newest first: at equal times the first listed applies last */
	return x->order > y->order ? -1 : x->order < y->order;
}

static const char *jstr(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int cman_import_aws_spot_json(const char *path, const char *product,
			      struct cman_store *dst, const struct cman_catalog *cat,
			      struct cman_import_stats *stats, struct cman_error *err)
{
	struct writer w;
	struct cman_store_strtab markets;
	struct rec *recs = NULL;
	size_t n = 0, cap = 0, len = 0, i;
	char *text = NULL;
	json_t *root = NULL, *arr;
	json_error_t jerr;
	int rc;

	writer_init(&w, path, dst, cat);
	cman_store_strtab_init(&markets);
	rc = read_all(path, 0, &text, &len, err);
	if (rc)
		goto out;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		rc = cman_error_at(err, path, jerr.line, jerr.column, "%s", jerr.text);
		goto out;
	}
	arr = json_object_get(root, "SpotPriceHistory");
	if (!json_is_object(root) || !json_is_array(arr)) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: expected a JSON object with an array"
				    " \"SpotPriceHistory\" (aws ec2 describe-spot-price-history"
				    " output)", path);
		goto out;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *r = json_array_get(arr, i), *pj;
		const char *az, *type, *prod, *ts;
		char why[160], mk[CMAN_TYPE_MAX + CMAN_AZ_MAX];
		struct rec rc1;
		int ml;

		if (!json_is_object(r)) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: SpotPriceHistory[%zu]: expected"
					    " an object", path, i);
			goto out;
		}
		az = jstr(r, "AvailabilityZone");
		type = jstr(r, "InstanceType");
		prod = jstr(r, "ProductDescription");
		ts = jstr(r, "Timestamp");
		pj = json_object_get(r, "SpotPrice");
		if (!az || !type || !ts || !pj) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: SpotPriceHistory[%zu]: missing %s",
					    path, i, !az ? "AvailabilityZone" : !type ? "InstanceType"
					    : !ts ? "Timestamp" : "SpotPrice");
			goto out;
		}
		if (prod && !product_ok(product, prod))
			continue;
		if (check_market(cat, type, az, why, sizeof(why))) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: SpotPriceHistory[%zu]: %s", path,
					    i, why);
			goto out;
		}
		if (cman_time_parse(ts, &rc1.t) != 0) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: SpotPriceHistory[%zu]: bad"
					    " Timestamp '%.60s'", path, i, ts);
			goto out;
		}
		if (json_is_string(pj) ? parse_price(json_string_value(pj), &rc1.price) != 0
		    : !json_is_number(pj) || (rc1.price = json_number_value(pj)) < 0) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: SpotPriceHistory[%zu]: bad"
					    " SpotPrice (expected a non-negative number)", path, i);
			goto out;
		}
		ml = snprintf(mk, sizeof(mk), "%s%c%s", type, '\0', az);
		if (cman_store_strtab_add(&markets, mk, (size_t)ml, &rc1.market, NULL) ||
		    cman_grow((void **)&recs, &cap, n + 1, sizeof(*recs))) {
			rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
			goto out;
		}
		rc1.order = i;
		recs[n++] = rc1;
	}
	if (n)
		qsort(recs, n, sizeof(*recs), rec_cmp);
	for (i = 0; i < n && !rc; i++) {
		const char *type = markets.strs[recs[i].market];
		char key[CMAN_KEY_MAX];

		cman_metric_key_spot_price(key, sizeof(key), type, type + strlen(type) + 1);
		rc = put(&w, CMAN_METADATA, key, recs[i].t, recs[i].price, err);
	}
out:
	json_decref(root);
	free(text);
	free(recs);
	cman_store_strtab_release(&markets);
	writer_release(&w, stats);
	return rc;
}

/* ------------------------------------------------------------------ */
/* CSV (both the AWS layout and generic time series)                   */
/* ------------------------------------------------------------------ */

/* Index of a header column, -1 when absent. */
static int column(const struct cman_csv_field *f, size_t nf, const char *name)
{
	for (size_t i = 0; i < nf; i++)
		if (strcmp(f[i].s, name) == 0)
			return (int)i;
	return -1;
}

/* Open a CSV file and read its header row into *f, *nf. */
static int csv_open(const char *path, struct cman_csv **c, const struct cman_csv_field **f,
		    size_t *nf, struct cman_error *err)
{
	int rc = cman_csv_open(path, c, err);

	if (rc)
		return rc;
	rc = cman_csv_next(*c, f, nf, err);
	if (rc == 0)
		return cman_error_at(err, path, 1, 1, "empty file (expected a header row)");
	return rc < 0 ? rc : 0;
}

static int field_count(const char *path, const struct cman_csv_field *f, size_t nf, size_t want,
		       struct cman_error *err)
{
	if (nf == want)
		return 0;
	return cman_error_at(err, path, f[0].line, nf > want ? f[want].col : 1,
			     "expected %zu fields like the header, got %zu", want, nf);
}

int cman_import_aws_spot_csv(const char *path, const char *product,
			     struct cman_store *dst, const struct cman_catalog *cat,
			     struct cman_import_stats *stats, struct cman_error *err)
{
	struct writer w;
	struct cman_csv *c = NULL;
	const struct cman_csv_field *f = NULL;
	size_t nf = 0, hdr_n;
	int rc, i_epoch, i_iso, i_az, i_type, i_price, i_prod;
	char last_type[CMAN_TYPE_MAX] = "", last_az[CMAN_AZ_MAX] = "", key[CMAN_KEY_MAX];
	struct cman_store_strtab last_t;   /* market -> index into tvals */
	int64_t *tvals = NULL;
	size_t tcap = 0;

	writer_init(&w, path, dst, cat);
	cman_store_strtab_init(&last_t);
	rc = csv_open(path, &c, &f, &nf, err);
	if (rc)
		goto out;
	i_epoch = column(f, nf, "epoch_s");
	i_iso = column(f, nf, "timestamp_utc");
	i_az = column(f, nf, "availability_zone");
	i_type = column(f, nf, "instance_type");
	i_price = column(f, nf, "spot_price_usd_per_hour");
	i_prod = column(f, nf, "product_description");
	hdr_n = nf;
	if ((i_epoch < 0 && i_iso < 0) || i_az < 0 || i_type < 0 || i_price < 0) {
		rc = cman_error_at(err, path, 1, 1, "expected a header naming availability_zone,"
				   " instance_type, spot_price_usd_per_hour and epoch_s or"
				   " timestamp_utc");
		goto out;
	}
	while ((rc = cman_csv_next(c, &f, &nf, err)) == 1) {
		const char *type, *az;
		char why[160], mk[CMAN_TYPE_MAX + CMAN_AZ_MAX];
		int it = i_epoch >= 0 ? i_epoch : i_iso, ml, added;
		int64_t t;
		double price;
		size_t idx;

		if ((rc = field_count(path, f, nf, hdr_n, err)) != 0)
			goto out;
		if (i_prod >= 0 && !product_ok(product, f[i_prod].s))
			continue;
		type = f[i_type].s;
		az = f[i_az].s;
		if (strcmp(type, last_type) != 0 || strcmp(az, last_az) != 0) {
			if (check_market(cat, type, az, why, sizeof(why))) {
				bool bad_type = !type[0] || strlen(type) >= CMAN_TYPE_MAX ||
						(cat && !cman_catalog_find(cat, type));

				rc = cman_error_at(err, path, f[0].line,
						   f[bad_type ? i_type : i_az].col, "%s", why);
				goto out;
			}
			snprintf(last_type, sizeof(last_type), "%s", type);
			snprintf(last_az, sizeof(last_az), "%s", az);
			cman_metric_key_spot_price(key, sizeof(key), type, az);
		}
		if (cman_time_parse(f[it].s, &t) != 0) {
			rc = cman_error_at(err, path, f[0].line, f[it].col, "bad timestamp '%.60s'"
					   " (expected epoch seconds or ISO-8601)", f[it].s);
			goto out;
		}
		if (parse_price(f[i_price].s, &price) != 0) {
			rc = cman_error_at(err, path, f[0].line, f[i_price].col, "bad price '%.60s'"
					   " (expected a non-negative number)", f[i_price].s);
			goto out;
		}
		ml = snprintf(mk, sizeof(mk), "%s%c%s", type, '\0', az);
		if (cman_store_strtab_add(&last_t, mk, (size_t)ml, &idx, &added) ||
		    cman_grow((void **)&tvals, &tcap, idx + 1, sizeof(*tvals))) {
			rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
			goto out;
		}
		if (!added && t < tvals[idx]) {
			rc = cman_error_at(err, path, f[0].line, f[it].col, "time goes backwards"
					   " for market <%s, %s> (rows must be in time order)",
					   type, az);
			goto out;
		}
		tvals[idx] = t;
		rc = put(&w, CMAN_METADATA, key, t, price, err);
		if (rc) {
			cman_error_prefix(err, "%s:%d", path, f[0].line);
			goto out;
		}
	}
out:
	cman_csv_close(c);
	free(tvals);
	cman_store_strtab_release(&last_t);
	writer_release(&w, stats);
	return rc < 0 ? rc : 0;
}

void cman_timeseries_opts_init(struct cman_timeseries_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->scale = 1.0;
	o->kind = CMAN_SYSTEM_METRICS;
}

struct tv {
	int64_t t;
	double v;
	size_t order;
};

static int tv_cmp(const void *a, const void *b)
{
	const struct tv *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Relative seconds: a decimal, truncated toward zero. */
static int parse_rel(const char *s, int64_t start, int64_t *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(d) || fabs(d) > 1e15)
		return -1;
	*out = start + (int64_t)d;
	return 0;
}

int cman_import_timeseries_csv(const char *path, const struct cman_timeseries_opts *o,
			       struct cman_store *dst, const struct cman_catalog *cat,
			       struct cman_import_stats *stats, struct cman_error *err)
{
	struct writer w;
	struct cman_csv *c = NULL;
	const struct cman_csv_field *f = NULL;
	char key[CMAN_KEY_MAX], name[CMAN_KEY_MAX];
	struct tv *rows = NULL;
	size_t n = 0, cap = 0, i, nf = 0, hdr_n;
	int rc, it, iv;

	writer_init(&w, path, dst, cat);
	if (!o->key || !o->key[0]) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: a time-series import needs a target"
				    " metric key", path);
		goto out_nofile;
	}
	if (!isfinite(o->scale) || !isfinite(o->offset)) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: scale and offset must be finite", path);
		goto out_nofile;
	}
	rc = cman_metric_key_normalize(o->key, key, sizeof(key), err);
	if (rc) {
		cman_error_prefix(err, "%s: target key '%.200s'", path, o->key);
		goto out_nofile;
	}
	if (cat && cman_metric_key_name(key, name, sizeof(name)) == 0 &&
	    strcmp(name, "spot_prices") == 0) {
		char type[CMAN_KEY_MAX], az[CMAN_KEY_MAX], why[160];

		if (cman_metric_key_dim(key, "aws_instance_type", type, sizeof(type)) ||
		    cman_metric_key_dim(key, "aws_availability_zone", az, sizeof(az))) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: a spot_prices key needs the"
					    " dimensions aws_instance_type and aws_availability_zone",
					    path);
			goto out_nofile;
		}
		if (check_market(cat, type, az, why, sizeof(why))) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: target key: %s", path, why);
			goto out_nofile;
		}
	}
	rc = csv_open(path, &c, &f, &nf, err);
	if (rc)
		goto out;
	hdr_n = nf;
	it = o->time_column ? column(f, nf, o->time_column) : 0;
	iv = o->value_column ? column(f, nf, o->value_column) : 1;
	if (it < 0 || iv < 0 || (size_t)iv >= hdr_n || it == iv) {
		rc = cman_error_at(err, path, 1, 1, it < 0 ? "no time column '%s' in the header" :
				   iv < 0 ? "no value column '%s' in the header" :
				   "%sexpected separate time and value columns",
				   it < 0 ? o->time_column : iv < 0 ? o->value_column : "");
		goto out;
	}
	while ((rc = cman_csv_next(c, &f, &nf, err)) == 1) {
		struct tv r;
		char *end;

		if ((rc = field_count(path, f, nf, hdr_n, err)) != 0)
			goto out;
		if (!f[iv].s[0])
			continue;
		if (o->relative ? parse_rel(f[it].s, o->start_time, &r.t) != 0
		    : cman_time_parse(f[it].s, &r.t) != 0) {
			rc = cman_error_at(err, path, f[0].line, f[it].col, "bad time '%.60s'"
					   " (expected %s)", f[it].s, o->relative ? "seconds" :
					   "epoch seconds or ISO-8601");
			goto out;
		}
		errno = 0;
		r.v = strtod(f[iv].s, &end);
		if (*end || errno || !isfinite(r.v)) {
			rc = cman_error_at(err, path, f[0].line, f[iv].col, "expected a number,"
					   " got '%.60s'", f[iv].s);
			goto out;
		}
		r.v = r.v * o->scale + o->offset;
		r.order = n;
		if (cman_grow((void **)&rows, &cap, n + 1, sizeof(*rows))) {
			rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
			goto out;
		}
		rows[n++] = r;
	}
	if (rc < 0)
		goto out;
	if (n)
		qsort(rows, n, sizeof(*rows), tv_cmp);
	for (i = 0; i < n && !rc; i++)
		rc = put(&w, o->kind, key, rows[i].t, rows[i].v, err);
out:
	cman_csv_close(c);
	free(rows);
out_nofile:
	writer_release(&w, stats);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ */
/* Sniffing                                                            */
/* ------------------------------------------------------------------ */

int cman_import_format_parse(const char *s, enum cman_import_format *out)
{
	static const struct {
		const char *name;
		enum cman_import_format f;
	} t[] = {
		{ "auto", CMAN_FMT_AUTO }, { "clusterman", CMAN_FMT_CLUSTERMAN_JSON },
		{ "csv", CMAN_FMT_CSV }, { "aws-json", CMAN_FMT_AWS_JSON },
		{ "aws-csv", CMAN_FMT_AWS_CSV }, { "timeseries", CMAN_FMT_TIMESERIES },
		{ "sqlite", CMAN_FMT_SQLITE },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(s, t[i].name) == 0) {
			*out = t[i].f;
			return 0;
		}
	}
	return CMAN_EINVAL;
}

int cman_import_sniff(const char *path, enum cman_import_format *out,
		      struct cman_error *err)
{
	char *head = NULL, *p, *nl;
	size_t len = 0;
	int rc;

	/* SQLite files are never compressed: look at the raw bytes first */
	{
		unsigned char magic[16];
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t got;

		if (fd < 0)
			return cman_error_set(err, CMAN_EINVAL, "%s: cannot open: %s", path,
					      strerror(errno));
		got = read(fd, magic, sizeof(magic));
		close(fd);
		if (got == 16 && memcmp(magic, "SQLite format 3", 16) == 0) {
			*out = CMAN_FMT_SQLITE;
			return 0;
		}
		if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b &&
		    read_all(path, 4096, &head, &len, NULL) != 0) {
			/* a damaged gzip file: Clusterman's importer says what is wrong */
			*out = CMAN_FMT_CLUSTERMAN_JSON;
			return 0;
		}
	}
	if (!head && (rc = read_all(path, 4096, &head, &len, err)) != 0)
		return rc;
	p = head;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (*p && strchr(" \t\r\n", *p))
		p++;
	if (*p == '{') {
		p++;
		while (*p && strchr(" \t\r\n", *p))
			p++;
		*out = strncmp(p, "\"SpotPriceHistory\"", 18) == 0 ? CMAN_FMT_AWS_JSON
			: CMAN_FMT_CLUSTERMAN_JSON;
	} else {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		*out = strstr(p, "spot_price_usd_per_hour") ? CMAN_FMT_AWS_CSV : CMAN_FMT_CSV;
	}
	free(head);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Any format                                                          */
/* ------------------------------------------------------------------ */

struct copy_ctx {
	struct cman_store *src;
	struct writer *w;
	enum cman_metric_kind kind;
	struct cman_error *err;
};

static int copy_series(void *vctx, const char *key)
{
	struct copy_ctx *c = vctx;
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	char name[CMAN_KEY_MAX], type[CMAN_KEY_MAX], az[CMAN_KEY_MAX], why[160];
	size_t idx;
	long len;
	int rc, added = 0;

	if (c->w->cat && cman_metric_key_name(key, name, sizeof(name)) == 0 &&
	    strcmp(name, "spot_prices") == 0 &&
	    (cman_metric_key_dim(key, "aws_instance_type", type, sizeof(type)) ||
	     cman_metric_key_dim(key, "aws_availability_zone", az, sizeof(az)) ||
	     check_market(c->w->cat, type, az, why, sizeof(why))))
		return cman_error_set(c->err, CMAN_EINVAL, "%s: metric key '%.200s': not a valid"
				      " spot price market", c->w->path, key);
	rc = cman_store_open_cursor(c->src, c->kind, key, INT64_MIN, INT64_MAX, 0, &cur, c->err);
	if (rc)
		return rc;
	while ((rc = cman_cursor_next(cur, &s, c->err)) == 1) {
		for (size_t i = 0; i < s.n_markets && c->w->cat; i++) {
			if (check_market(c->w->cat, s.markets[i].instance_type, s.markets[i].az,
					 why, sizeof(why))) {
				rc = cman_error_set(c->err, CMAN_EINVAL, "%s: %s key '%.200s': %s",
						    c->w->path, cman_kind_name(c->kind), key, why);
				goto out;
			}
		}
		rc = cman_store_write(c->w->dst, c->kind, key, &s, c->err);
		if (rc)
			goto out;
		c->w->stats.samples++;
		if (!added) {
			len = cman_store_series_name(name, sizeof(name), c->kind, key);
			if (len >= 0 && cman_store_strtab_add(&c->w->seen, name, (size_t)len, &idx,
							       &added)) {
				rc = cman_error_set(c->err, CMAN_ENOMEM, "out of memory");
				goto out;
			}
			c->w->stats.series += added != 0;
			added = 1;
		}
	}
out:
	cman_cursor_close(cur);
	return rc < 0 ? rc : 0;
}

int cman_import_store(struct cman_store *src, struct cman_store *dst,
		      const struct cman_catalog *cat, struct cman_import_stats *stats,
		      struct cman_error *err)
{
	struct writer w;
	struct copy_ctx c = { src, &w, CMAN_SYSTEM_METRICS, err };
	int rc = 0;

	writer_init(&w, src->name, dst, cat);
	for (int k = 0; k < CMAN_KIND_COUNT && !rc; k++) {
		c.kind = (enum cman_metric_kind)k;
		rc = cman_store_keys(src, c.kind, "", copy_series, &c, err);
	}
	writer_release(&w, stats);
	return rc;
}

int cman_import_any(const char *path, enum cman_import_format fmt,
		    const struct cman_timeseries_opts *ts, const char *product,
		    struct cman_store *dst, const struct cman_catalog *cat,
		    struct cman_import_stats *stats, struct cman_error *err)
{
	struct cman_store *src = NULL;
	int rc;

	if (stats)
		memset(stats, 0, sizeof(*stats));
	if (fmt == CMAN_FMT_AUTO && (rc = cman_import_sniff(path, &fmt, err)) != 0)
		return rc;
	switch (fmt) {
	case CMAN_FMT_CLUSTERMAN_JSON:
		return cman_import_clusterman_json(path, dst, cat, stats, err);
	case CMAN_FMT_CSV:
		return cman_import_csv(path, dst, cat, stats, err);
	case CMAN_FMT_AWS_JSON:
		return cman_import_aws_spot_json(path, product, dst, cat, stats, err);
	case CMAN_FMT_AWS_CSV:
		return cman_import_aws_spot_csv(path, product, dst, cat, stats, err);
	case CMAN_FMT_TIMESERIES:
		if (!ts)
			return cman_error_set(err, CMAN_EINVAL, "%s: a time-series import needs its"
					      " options (time and value columns, target key)", path);
		return cman_import_timeseries_csv(path, ts, dst, cat, stats, err);
	case CMAN_FMT_SQLITE:
		rc = cman_store_sqlite_open(path, false, &src, err);
		if (!rc)
			rc = cman_import_store(src, dst, cat, stats, err);
		cman_store_free(src);
		return rc;
	default:
		return cman_error_set(err, CMAN_EINTERNAL, "%s: unknown import format", path);
	}
}

int cman_metrics_open(const char *path, enum cman_import_format fmt,
		      const struct cman_timeseries_opts *ts, const char *product,
		      const struct cman_catalog *cat, struct cman_store **out,
		      struct cman_error *err)
{
	struct cman_store *st = NULL;
	int rc;

	*out = NULL;
	if (fmt == CMAN_FMT_AUTO && (rc = cman_import_sniff(path, &fmt, err)) != 0)
		return rc;
	if (fmt == CMAN_FMT_SQLITE)
		return cman_store_sqlite_open(path, false, out, err);
	rc = cman_store_memory_new(&st, err);
	if (rc)
		return rc;
	rc = cman_import_any(path, fmt, ts, product, st, cat, NULL, err);
	if (rc) {
		cman_store_free(st);
		return rc;
	}
	snprintf(st->name, sizeof(st->name), "%s", path);
	*out = st;
	return 0;
}
