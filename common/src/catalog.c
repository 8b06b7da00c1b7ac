/*
 * catalog.c - the EC2 instance-type catalog and the table of AWS regions.
 *
 * A catalog is two flat arrays parsed from CSV text (csvread.h): the types,
 * sorted by name (so a type's index is its rank and lookups are binary
 * searches), and the on-demand prices, sorted by (type index, region index)
 * with a per-type offset table (layout in catalog_int.h).  All names of a
 * parsed catalog live in one arena allocation.  The built-in catalog is not
 * parsed at run time: at build time common/catalog_gen.c parses the shipped
 * CSV files with this same parser and writes the result out as static const
 * C tables (catalog_data.c in the build tree, which defines
 * cman_catalog_builtin), so a process pays nothing for it.
 */
#include "cman/catalog.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"
#include "cman/csvread.h"
#include "cman/decimal.h"

#define TYPES_HEADER "instance_type,vcpu,memory_gib,local_disk_gb,gpus"
#define PRICES_HEADER "instance_type,region,usd_per_hour,source"
#define MAX_FIELDS 5
#define NAME_MAX_LEN 64

struct region {
	const char *name;
	double lat, lon;   /* approximate location, degrees */
	char last_zone;    /* zones are <name>a .. <name><last_zone> */
};

/* AWS partitions: prices are only comparable within one. */
static int partition_of(const char *region)
{
	if (strncmp(region, "us-gov-", 7) == 0)
		return 1;
	if (strncmp(region, "cn-", 3) == 0)
		return 2;
	return 0;
}

/*
 * Known AWS regions, sorted by name (binary search).  Locations are the
 * approximate metro area of each region, good enough to rank distances.
 * Zone letters run from a to the last letter AWS lists for the region
 * (AWS maps letters per account, and a few regions skip a letter, such as
 * ca-central-1 without c: the range is what cman_az_known accepts).
 */
static const struct region regions[] = {
	{ "af-south-1", -33.92, 18.42, 'c' },       /* Cape Town */
	{ "ap-east-1", 22.32, 114.17, 'c' },        /* Hong Kong */
	{ "ap-east-2", 25.03, 121.57, 'c' },        /* Taipei */
	{ "ap-northeast-1", 35.68, 139.69, 'd' },   /* Tokyo */
	{ "ap-northeast-2", 37.57, 126.98, 'd' },   /* Seoul */
	{ "ap-northeast-3", 34.69, 135.50, 'c' },   /* Osaka */
	{ "ap-south-1", 19.08, 72.88, 'c' },        /* Mumbai */
	{ "ap-south-2", 17.39, 78.49, 'c' },        /* Hyderabad */
	{ "ap-southeast-1", 1.35, 103.82, 'c' },    /* Singapore */
	{ "ap-southeast-2", -33.87, 151.21, 'c' },  /* Sydney */
	{ "ap-southeast-3", -6.21, 106.85, 'c' },   /* Jakarta */
	{ "ap-southeast-4", -37.81, 144.96, 'c' },  /* Melbourne */
	{ "ap-southeast-5", 3.14, 101.69, 'c' },    /* Malaysia */
	{ "ap-southeast-6", -36.85, 174.76, 'c' },  /* New Zealand */
	{ "ap-southeast-7", 13.76, 100.50, 'c' },   /* Thailand */
	{ "ca-central-1", 45.50, -73.57, 'd' },     /* Montreal */
	{ "ca-west-1", 51.05, -114.07, 'c' },       /* Calgary */
	{ "cn-north-1", 39.90, 116.40, 'd' },       /* Beijing */
	{ "cn-northwest-1", 37.50, 105.19, 'c' },   /* Ningxia */
	{ "eu-central-1", 50.11, 8.68, 'c' },       /* Frankfurt */
	{ "eu-central-2", 47.37, 8.54, 'c' },       /* Zurich */
	{ "eu-north-1", 59.33, 18.07, 'c' },        /* Stockholm */
	{ "eu-south-1", 45.46, 9.19, 'c' },         /* Milan */
	{ "eu-south-2", 41.65, -0.88, 'c' },        /* Spain (Aragon) */
	{ "eu-west-1", 53.35, -6.26, 'c' },         /* Ireland */
	{ "eu-west-2", 51.51, -0.13, 'c' },         /* London */
	{ "eu-west-3", 48.86, 2.35, 'c' },          /* Paris */
	{ "il-central-1", 32.09, 34.78, 'c' },      /* Tel Aviv */
	{ "me-central-1", 25.20, 55.27, 'c' },      /* UAE */
	{ "me-south-1", 26.07, 50.56, 'c' },        /* Bahrain */
	{ "mx-central-1", 20.59, -100.39, 'c' },    /* Mexico (Queretaro) */
	{ "sa-east-1", -23.55, -46.63, 'c' },       /* Sao Paulo */
	{ "us-east-1", 38.95, -77.45, 'f' },        /* N. Virginia */
	{ "us-east-2", 39.96, -83.00, 'c' },        /* Ohio */
	{ "us-gov-east-1", 40.10, -82.80, 'c' },    /* GovCloud (US-East), Ohio */
	{ "us-gov-west-1", 45.60, -121.20, 'c' },   /* GovCloud (US-West), Oregon */
	{ "us-west-1", 37.35, -121.96, 'c' },       /* N. California */
	{ "us-west-2", 45.84, -119.70, 'd' },       /* Oregon */
};

#define NREGIONS (sizeof(regions) / sizeof(regions[0]))

#define MAX_TABLES CMAN_CATALOG_MAX_TABLES
#define TABLE_NAME_MAX CMAN_CATALOG_TABLE_NAME_MAX

/* Compare a (ptr, len) string with a NUL-terminated one, like strcmp. */
static int cmp_n(const char *a, size_t alen, const char *b)
{
	int c = strncmp(a, b, alen);

	if (c)
		return c;
	return b[alen] ? -1 : 0;
}

static int region_index(const char *name, size_t len)
{
	size_t lo = 0, hi = NREGIONS;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_n(name, len, regions[mid].name);

		if (c == 0)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static long type_index(const struct cman_catalog *cat, const char *name, size_t len)
{
	size_t lo = 0, hi = cat->ntypes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_n(name, len, cat->types[mid].name);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

bool cman_region_known(const char *name)
{
	return name && region_index(name, strlen(name)) >= 0;
}

bool cman_az_known(const char *az)
{
	size_t len = az ? strlen(az) : 0;
	int r;

	if (len < 2)
		return false;
	r = region_index(az, len - 1);
	return r >= 0 && az[len - 1] >= 'a' && az[len - 1] <= regions[r].last_zone;
}

char cman_region_last_zone(const char *region)
{
	int r = region ? region_index(region, strlen(region)) : -1;

	return r >= 0 ? regions[r].last_zone : 0;
}

int cman_region_of_az(const char *az, char *region, size_t n)
{
	size_t len;
	char last;

	if (!az)
		return CMAN_EINVAL;
	len = strlen(az);
	if (len < 2)
		return CMAN_EINVAL;
	last = az[len - 1];
	if (last < 'a' || last > 'z' || region_index(az, len - 1) < 0 || n < len)
		return CMAN_EINVAL;
	memcpy(region, az, len - 1);
	region[len - 1] = '\0';
	return 0;
}

/* ---- CSV reading ---- */

struct reader {
	struct cman_csv *csv;  /* over the text (csvread.h: RFC 4180) */
	const char *file;      /* name for messages */
	int line;              /* line number of the current record */
	const char *f[MAX_FIELDS];
	size_t flen[MAX_FIELDS];
	int col[MAX_FIELDS];
};

/*
 * Read the next record, which must have exactly nf fields.  Returns 1 for
 * a record, 0 at the end, CMAN_EINVAL on a wrong field count or bad CSV.
 */
static int next_record(struct reader *r, int nf, struct cman_error *err)
{
	const struct cman_csv_field *f;
	size_t n;
	int rc = cman_csv_next(r->csv, &f, &n, err);

	if (rc <= 0)
		return rc;
	r->line = f[0].line;
	if (n != (size_t)nf)
		return cman_error_at(err, r->file, r->line, 0,
				     "expected %d comma-separated fields, got %zu", nf, n);
	for (int k = 0; k < nf; k++) {
		r->f[k] = f[k].s;
		r->flen[k] = f[k].len;
		r->col[k] = f[k].col;
	}
	return 1;
}

static int col_of(const struct reader *r, int k)
{
	return r->col[k];
}

/*
 * A non-negative decimal "123" or "1.25" (no sign, exponent, inf or nan).
 * Empty fields are accepted when empty_ok, giving *present = false.
 */
static int field_number(const struct reader *r, int k, const char *what,
			bool empty_ok, bool positive, double *out, bool *present,
			struct cman_error *err)
{
	const char *s = r->f[k];
	size_t len = r->flen[k], i = 0, intd = 0, fracd = 0;
	char buf[64];

	if (present)
		*present = len > 0;
	if (len == 0) {
		if (empty_ok) {
			*out = 0;
			return 0;
		}
		return cman_error_at(err, r->file, r->line, col_of(r, k),
				     "%s: expected a number, got an empty field", what);
	}
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, intd++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, fracd++;
		if (fracd == 0)
			intd = 0;
	}
	if (i != len || intd == 0 || len >= sizeof(buf))
		return cman_error_at(err, r->file, r->line, col_of(r, k),
				     "%s: expected a non-negative decimal number, got '%.*s'",
				     what, (int)(len > 40 ? 40 : len), s);
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!cman_decimal_exact(s, len, out))
		*out = strtod(buf, NULL);
	if (!isfinite(*out) || (positive && *out <= 0))
		return cman_error_at(err, r->file, r->line, col_of(r, k),
				     "%s: expected a %snumber, got '%s'", what,
				     positive ? "positive " : "finite ", buf);
	return 0;
}

static int check_header(struct reader *r, const char *want, int nf,
			struct cman_error *err)
{
	int rc = next_record(r, nf, err);
	const char *w = want;

	if (rc == 0)
		return cman_error_at(err, r->file, 1, 0, "empty file, expected header '%s'",
				     want);
	if (rc < 0)
		return cman_error_at(err, r->file, r->line ? r->line : 1, 0,
				     "expected header '%s'", want);
	for (int k = 0; k < nf; k++) {   /* want is the names joined by ',' */
		size_t len = strcspn(w, ",");

		if (len != r->flen[k] || memcmp(w, r->f[k], len) != 0)
			return cman_error_at(err, r->file, r->line, 0, "expected header '%s'",
					     want);
		w += len + (w[len] == ',');
	}
	return 0;
}

static bool name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 1;

	for (const char *p = s; (p = memchr(p, '\n', len - (size_t)(p - s))); p++)
		n++;
	return n;
}

struct type_row {
	struct cman_instance_type t;
	int line;
};

static int cmp_type_row(const void *a, const void *b)
{
	return strcmp(((const struct type_row *)a)->t.name,
		      ((const struct type_row *)b)->t.name);
}

static int cmp_price(const void *a, const void *b)
{
	const struct cman_catalog_price *x = a, *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->region != y->region)
		return x->region < y->region ? -1 : 1;
	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Whether the n elements at base are in cmp's order already (then the
 * start-up's sort has nothing to do). */
static bool sorted(const void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	const char *p = base;

	for (size_t i = 1; i < n; i++)
		if (cmp(p + (i - 1) * size, p + i * size) > 0)
			return false;
	return true;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * The date a source tag starts with: "YYYY", "YYYY-MM" or "YYYY-MM-DD"
 * (then the end of the tag or a character other than a digit or '-'),
 * as epoch seconds of its first day; CMAN_CATALOG_UNDATED otherwise.
 */
static int64_t tag_time(const char *s, size_t len)
{
	int v[3] = { 0, 1, 1 }, digits[3] = { 4, 2, 2 };
	size_t i = 0;
	int k;

	for (k = 0; k < 3; k++) {
		int n = 0;

		if (k > 0) {
			if (i >= len || s[i] != '-')
				break;
			i++;
		}
		v[k] = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9' && n < digits[k]) {
			v[k] = v[k] * 10 + (s[i++] - '0');
			n++;
		}
		if (n != digits[k])
			return CMAN_CATALOG_UNDATED;
	}
	if (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
		return CMAN_CATALOG_UNDATED;
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31)
		return CMAN_CATALOG_UNDATED;
	return days_from_civil(v[0], v[1], v[2]) * 86400;
}

/* The index of the table named by a source tag, added on first sight. */
static int table_index(struct cman_catalog *cat, const char *s, size_t len,
		       const char *file, int line, int col, struct cman_error *err)
{
	size_t i;

	for (i = 0; i < cat->ntables; i++)
		if (strlen(cat->tables[i].name) == len && !memcmp(cat->tables[i].name, s, len))
			return (int)i;
	if (len >= TABLE_NAME_MAX)
		return cman_error_at(err, file, line, col,
				     "source: '%.*s' is too long, expected at most %d characters",
				     40, s, TABLE_NAME_MAX - 1);
	if (cat->ntables == MAX_TABLES)
		return cman_error_at(err, file, line, col,
				     "source: more than %d different source tags, expected "
				     "at most %d price tables", MAX_TABLES, MAX_TABLES);
	memcpy(cat->tables[i].name, s, len);
	cat->tables[i].name[len] = '\0';
	cat->tables[i].time = tag_time(s, len);
	cat->ntables++;
	return (int)i;
}

static int parse_types(struct cman_catalog *cat, const char *text, size_t len,
		       const char *file, struct cman_error *err)
{
	struct reader r = { .file = file };
	struct type_row *rows = NULL;
	struct cman_instance_type *types;
	size_t cap = count_lines(text, len), n = 0, used = 0;
	int rc;

	rc = cman_csv_open_mem(file, text, len, &r.csv, err);
	if (!rc)
		rc = check_header(&r, TYPES_HEADER, 5, err);
	if (rc)
		goto out;
	rows = malloc(cap * sizeof(*rows));
	cat->names = malloc(len + 1);
	if (!rows || !cat->names) {
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", file);
		goto out;
	}
	while ((rc = next_record(&r, 5, err)) == 1) {
		struct type_row *row = &rows[n];
		bool has_disk;
		double disk;

		if (!name_ok(r.f[0], r.flen[0])) {
			rc = cman_error_at(err, file, r.line, 1,
					   "instance_type: expected a name like 'c5.xlarge', got '%.*s'",
					   (int)(r.flen[0] > 40 ? 40 : r.flen[0]), r.f[0]);
			goto out;
		}
		memset(row, 0, sizeof(*row));
		row->line = r.line;
		if ((rc = field_number(&r, 1, "vcpu", false, true, &row->t.cpus, NULL, err)) ||
		    (rc = field_number(&r, 2, "memory_gib", false, true, &row->t.mem_mb, NULL,
				       err)) ||
		    (rc = field_number(&r, 3, "local_disk_gb", true, false, &disk, &has_disk,
				       err)) ||
		    (rc = field_number(&r, 4, "gpus", false, false, &row->t.gpus, NULL, err)))
			goto out;
		memcpy(cat->names + used, r.f[0], r.flen[0]);
		cat->names[used + r.flen[0]] = '\0';
		row->t.name = cat->names + used;
		used += r.flen[0] + 1;
		row->t.mem_mb *= 1024;
		row->t.disk_mb = disk * 1024;
		row->t.has_local_disk = has_disk && disk > 0;
		n++;
	}
	if (rc < 0)
		goto out;
	if (!sorted(rows, n, sizeof(*rows), cmp_type_row))   /* the built-in file is */
		qsort(rows, n, sizeof(*rows), cmp_type_row);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(rows[i - 1].t.name, rows[i].t.name) == 0) {
			const struct type_row *a = &rows[i - 1], *b = &rows[i];

			rc = cman_error_at(err, file, a->line > b->line ? a->line : b->line, 1,
					   "duplicate instance type '%s' (also on line %d)",
					   a->t.name, a->line < b->line ? a->line : b->line);
			goto out;
		}
	}
	cat->types = types = malloc((n ? n : 1) * sizeof(*types));
	if (!types) {
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", file);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		types[i] = rows[i].t;
		types[i].index = (int)i;
	}
	cat->ntypes = n;
	rc = 0;
out:
	cman_csv_close(r.csv);
	free(rows);
	return rc;
}

static int parse_prices(struct cman_catalog *cat, const char *text, size_t len,
			const char *file, struct cman_error *err)
{
	struct reader r = { .file = file };
	struct cman_catalog_price *prices;
	size_t cap = count_lines(text, len), n = 0, *start;
	int rc;

	rc = cman_csv_open_mem(file, text, len, &r.csv, err);
	if (!rc)
		rc = check_header(&r, PRICES_HEADER, 4, err);
	if (rc)
		goto out;
	cat->prices = prices = malloc(cap * sizeof(*prices));
	cat->price_start = start = calloc(cat->ntypes + 1, sizeof(*start));
	if (!prices || !start) {
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", file);
		goto out;
	}
	while ((rc = next_record(&r, 4, err)) == 1) {
		struct cman_catalog_price *p = &prices[n];
		long t = type_index(cat, r.f[0], r.flen[0]);

		if (t < 0) {
			rc = cman_error_at(err, file, r.line, 1,
					   "instance_type: '%.*s' is not in the types file",
					   (int)(r.flen[0] > 40 ? 40 : r.flen[0]), r.f[0]);
			goto out;
		}
		p->type = (int)t;
		p->region = region_index(r.f[1], r.flen[1]);
		if (p->region < 0) {
			rc = cman_error_at(err, file, r.line, col_of(&r, 1),
					   "region: expected a known AWS region, got '%.*s'",
					   (int)(r.flen[1] > 40 ? 40 : r.flen[1]), r.f[1]);
			goto out;
		}
		rc = field_number(&r, 2, "usd_per_hour", false, true, &p->usd, NULL, err);
		if (rc)
			goto out;
		if (r.flen[3] == 0) {
			rc = cman_error_at(err, file, r.line, col_of(&r, 3),
					   "source: expected a non-empty source tag");
			goto out;
		}
		rc = table_index(cat, r.f[3], r.flen[3], file, r.line, col_of(&r, 3), err);
		if (rc < 0)
			goto out;
		p->table = rc;
		rc = 0;
		p->line = r.line;
		n++;
	}
	if (rc < 0)
		goto out;
	if (!sorted(prices, n, sizeof(*prices), cmp_price))
		qsort(prices, n, sizeof(*prices), cmp_price);
	for (size_t i = 0; i < n; i++) {
		const struct cman_catalog_price *p = &prices[i];

		if (i > 0 && p->type == p[-1].type && p->region == p[-1].region &&
		    p->table == p[-1].table) {
			rc = cman_error_at(err, file, p->line, 1,
					   "duplicate price for (%s, %s) in table %s (also on line %d)",
					   cat->types[p->type].name, regions[p->region].name,
					   cat->tables[p->table].name, p[-1].line);
			goto out;
		}
		start[p->type + 1]++;
	}
	for (size_t t = 0; t < cat->ntypes; t++)
		start[t + 1] += start[t];
	cat->nprices = n;
	rc = 0;
out:
	cman_csv_close(r.csv);
	return rc;
}

static int parse_catalog(const char *types, size_t types_len, const char *types_file,
			 const char *prices, size_t prices_len, const char *prices_file,
			 struct cman_catalog **out, struct cman_error *err)
{
	struct cman_catalog *cat = calloc(1, sizeof(*cat));
	int rc;

	if (!cat) {
		rc = cman_error_set(err, CMAN_ENOMEM, "catalog: out of memory");
		goto out;
	}
	rc = parse_types(cat, types, types_len, types_file, err);
	if (rc)
		goto out;
	rc = parse_prices(cat, prices, prices_len, prices_file, err);
	if (rc)
		goto out;
	*out = cat;
	cat = NULL;
out:
	cman_catalog_free(cat);
	return rc;
}

void cman_catalog_free(struct cman_catalog *cat)
{
	if (!cat)
		return;
	free((void *)cat->types);
	free((void *)cat->prices);
	free((void *)cat->price_start);
	free(cat->names);
	free(cat);
}

/* Read a whole file into a NUL-terminated heap buffer. */
static int read_file(const char *path, char **buf, size_t *len, struct cman_error *err)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t cap = 0, n = 0;
	int rc = 0;

	*buf = NULL;
	if (!f) {
		rc = cman_error_set(err, CMAN_EIO, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *bigger;

			cap = cap ? cap * 2 : 65536;
			bigger = realloc(data, cap + 1);
			if (!bigger) {
				rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
				goto out;
			}
			data = bigger;
		}
		got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = cman_error_set(err, CMAN_EIO, "%s: read error", path);
		goto out;
	}
	data[n] = '\0';
	*buf = data;
	*len = n;
	data = NULL;
out:
	if (f)
		fclose(f);
	free(data);
	return rc;
}

int cman_catalog_load(const char *types_csv, const char *prices_csv,
		      struct cman_catalog **out, struct cman_error *err)
{
	char *types = NULL, *prices = NULL;
	size_t types_len = 0, prices_len = 0;
	int rc;

	rc = read_file(types_csv, &types, &types_len, err);
	if (rc)
		goto out;
	rc = read_file(prices_csv, &prices, &prices_len, err);
	if (rc)
		goto out;
	rc = parse_catalog(types, types_len, types_csv, prices, prices_len, prices_csv,
			   out, err);
out:
	free(types);
	free(prices);
	return rc;
}

size_t cman_catalog_count(const struct cman_catalog *cat)
{
	return cat->ntypes;
}

const struct cman_instance_type *cman_catalog_type(const struct cman_catalog *cat,
						   size_t index)
{
	return index < cat->ntypes ? &cat->types[index] : NULL;
}

const struct cman_instance_type *cman_catalog_find(const struct cman_catalog *cat,
						   const char *name)
{
	long i;

	if (!name)
		return NULL;
	i = type_index(cat, name, strlen(name));
	return i < 0 ? NULL : &cat->types[i];
}

/* Central angle between two regions (radians), haversine formula. */
static double distance(const struct region *a, const struct region *b)
{
	const double rad = M_PI / 180.0;
	double dlat = (b->lat - a->lat) * rad, dlon = (b->lon - a->lon) * rad;
	double h = sin(dlat / 2) * sin(dlat / 2) +
		   cos(a->lat * rad) * cos(b->lat * rad) * sin(dlon / 2) * sin(dlon / 2);

	return 2 * asin(sqrt(h < 1 ? h : 1));
}

/* How far a table's date is from t (undated tables: farthest). */
static uint64_t time_gap(const struct cman_catalog_table *tb, int64_t t)
{
	if (tb->time == CMAN_CATALOG_UNDATED)
		return UINT64_MAX;
	return tb->time > t ? (uint64_t)tb->time - (uint64_t)t : (uint64_t)t - (uint64_t)tb->time;
}

int cman_catalog_ondemand_price_at(const struct cman_catalog *cat,
				   const struct cman_instance_type *type,
				   const char *region, int64_t t, int table,
				   double *price, const char **used_region,
				   const char **used_table)
{
	const struct cman_catalog_price *first, *last, *best = NULL;
	const struct region *from;
	double best_d = INFINITY;
	uint64_t best_g = UINT64_MAX;
	int r, ti, part;

	if (!type)
		return CMAN_ENOTFOUND;
	ti = type->index;
	if (ti < 0 || (size_t)ti >= cat->ntypes || &cat->types[ti] != type) {
		/* a type from another catalog: look it up by name */
		const struct cman_instance_type *mine = cman_catalog_find(cat, type->name);

		if (!mine)
			return CMAN_ENOTFOUND;
		ti = mine->index;
	}
	first = cat->prices + cat->price_start[ti];
	last = cat->prices + cat->price_start[ti + 1];
	if (first == last)
		return CMAN_ENOTFOUND;
	r = region ? region_index(region, strlen(region)) : -1;
	if (r < 0)
		r = region_index("us-east-1", 9);   /* unknown location: start there */
	from = &regions[r];
	part = partition_of(from->name);
	/* the nearest region first, then the table nearest in time */
	for (const struct cman_catalog_price *p = first; p < last; p++) {
		uint64_t g = p->table == table ? 0 : time_gap(&cat->tables[p->table], t);
		double d = 0;

		if (p->region != r) {
			d = distance(from, &regions[p->region]);
			/* another partition only when this one has no price at all */
			if (partition_of(regions[p->region].name) != part)
				d += 10.0;   /* more than any distance on Earth (pi) */
		}
		if (!best || d < best_d || (d == best_d && g < best_g)) {
			best_d = d;
			best_g = g;
			best = p;
		}
	}
	*price = best->usd;
	if (used_region)
		*used_region = regions[best->region].name;
	if (used_table)
		*used_table = cat->tables[best->table].name;
	return 0;
}

int cman_catalog_ondemand_price(const struct cman_catalog *cat,
				const struct cman_instance_type *type,
				const char *region, double *price,
				const char **used_region)
{
	return cman_catalog_ondemand_price_at(cat, type, region, INT64_MAX, -1, price,
					      used_region, NULL);
}

size_t cman_catalog_n_tables(const struct cman_catalog *cat)
{
	return cat->ntables;
}

const char *cman_catalog_table_name(const struct cman_catalog *cat, size_t i)
{
	return i < cat->ntables ? cat->tables[i].name : NULL;
}

int64_t cman_catalog_table_time(const struct cman_catalog *cat, size_t i)
{
	return i < cat->ntables ? cat->tables[i].time : CMAN_CATALOG_UNDATED;
}

int cman_catalog_table_find(const struct cman_catalog *cat, const char *name)
{
	for (size_t i = 0; i < cat->ntables; i++)
		if (!strcmp(cat->tables[i].name, name))
			return (int)i;
	return -1;
}

int cman_catalog_table_at(const struct cman_catalog *cat, int64_t t)
{
	uint64_t best_g = UINT64_MAX;
	int best = -1;

	for (size_t i = 0; i < cat->ntables; i++) {
		uint64_t g = time_gap(&cat->tables[i], t);

		if (best < 0 || g < best_g) {
			best = (int)i;
			best_g = g;
		}
	}
	return best;
}
