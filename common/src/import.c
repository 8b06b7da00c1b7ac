/*
 * import.c - loading Clusterman's gzipped JSON metrics files and metrics
 * CSV files into a store (import.h documents both formats).
 *
 * Both stream: a JSON file through a window of text (zlib, transparently
 * accepting an uncompressed file that holds a JSON object), each entry
 * parsed in place when it has one of the common forms, else with jansson; a CSV file record by record (csvread.h).  Samples are written through the store
 * interface one by one; map entries are collected in arrays reused from
 * sample to sample.  The importers never begin or commit a transaction.
 */
#include "cman/grow.h"
#include "cman/import.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "cman/csvread.h"
#include "cman/decimal.h"
#include "cman/fsutil.h"
#include "cman/time.h"
#include "store_int.h"

#define CSV_HEADER "kind,key,timestamp,market,value"

struct mname {
	char type[CMAN_TYPE_MAX];
	char az[CMAN_AZ_MAX];
};

#define MKEY_LEN 128      /* longest market key the fast path reads, + 1 */
#define MKEYS 16          /* market keys remembered */

/* A market key as written in the file, and the market it names. */
struct mkey {
	size_t len;
	char text[MKEY_LEN];
	struct mname m;
	size_t type_len;   /* strlen(m.type) */
	uint32_t id;       /* the market's index in importer.markets */
};

struct importer {
	const char *path;
	long last_seen;                  /* index in seen of the last series written */
	struct cman_store *dst;
	const struct cman_catalog *cat;
	struct cman_import_stats stats;
	struct cman_store_strtab seen;   /* series written to */
	bool same_series;                /* writes go to the last series counted */
	struct mname *names;             /* the markets of the map being built */
	struct cman_market_value *mv;
	size_t n, names_cap, mv_cap;
	/* JSON fast path: market keys already parsed and checked (the catalog
	 * does not change during an import), and the day of the last ISO
	 * time read */
	struct mkey *mkeys;
	size_t n_mkeys, next_mkey;
	size_t mk_next;                  /* the key expected next: the one after
					    the last read (maps repeat their order) */
	/* every market the fast path has read, "type\0az" (never evicted, so
	 * two texts of one market share an index); ids[] holds the indexes
	 * of the map being built by the fast path */
	struct cman_store_strtab markets;
	uint32_t *ids;
	size_t ids_cap;
	char day[10];
	int64_t day_t;                   /* day[] at 00:00:00Z; -1: none yet */
};

static void importer_init(struct importer *imp, const char *path, struct cman_store *dst,
			  const struct cman_catalog *cat)
{
	memset(imp, 0, sizeof(*imp));
	imp->path = path;
	imp->dst = dst;
	imp->cat = cat;
	imp->last_seen = -1;
	imp->day_t = -1;
	cman_store_strtab_init(&imp->seen);
	cman_store_strtab_init(&imp->markets);
}

static void importer_release(struct importer *imp, struct cman_import_stats *stats)
{
	if (stats)
		*stats = imp->stats;
	cman_store_strtab_release(&imp->seen);
	cman_store_strtab_release(&imp->markets);
	free(imp->ids);
	free(imp->names);
	free(imp->mv);
	free(imp->mkeys);
}

static int nomem(struct importer *imp, struct cman_error *err)
{
	return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", imp->path);
}

/* Write one sample and count it. */
static int put(struct importer *imp, enum cman_metric_kind kind, const char *key,
	       const struct cman_sample *s, struct cman_error *err)
{
	char name[CMAN_KEY_MAX + 2];
	long len;
	size_t idx;
	int rc = cman_store_write(imp->dst, kind, key, s, err);

	if (rc)
		return rc;
	imp->stats.samples++;
	if (imp->same_series)   /* the series of the last write, already counted */
		return 0;
	len = cman_store_series_name(name, sizeof(name), kind, key);
	if (len >= 0 && imp->last_seen >= 0 && imp->seen.lens[imp->last_seen] == (size_t)len &&
	    memcmp(imp->seen.strs[imp->last_seen], name, (size_t)len) == 0)
		return 0;
	if (len >= 0) {
		int added;

		if (cman_store_strtab_add(&imp->seen, name, (size_t)len, &idx, &added))
			return nomem(imp, err);
		imp->stats.series += added != 0;
		imp->last_seen = (long)idx;
	}
	return 0;
}

/* Start a new map. */
static void map_reset(struct importer *imp)
{
	imp->n = 0;
}

/* Add a market to the map being built; 1 when it is already there. */
static int map_add(struct importer *imp, const char *type, const char *az, double v)
{
	for (size_t i = 0; i < imp->n; i++)
		if (strcmp(imp->names[i].type, type) == 0 && strcmp(imp->names[i].az, az) == 0)
			return 1;
	if (cman_grow((void **)&imp->names, &imp->names_cap, imp->n + 1, sizeof(*imp->names)) ||
	    cman_grow((void **)&imp->mv, &imp->mv_cap, imp->n + 1, sizeof(*imp->mv)))
		return CMAN_ENOMEM;
	/* both fit: cman_market_parse bounded them */
	memcpy(imp->names[imp->n].type, type, strlen(type) + 1);
	memcpy(imp->names[imp->n].az, az, strlen(az) + 1);
	imp->mv[imp->n].value = v;
	imp->n++;
	return 0;
}

/* map_add of a market already parsed (the fast path): k's market, found
 * twice by its index; the entry points at the name kept in imp->markets.
 * The map is finished by map_sample_fast. */
static int map_add_m(struct importer *imp, const struct mkey *k, double v)
{
	const char *type;

	for (size_t i = 0; i < imp->n; i++)
		if (imp->ids[i] == k->id)
			return 1;
	if ((imp->n + 1 > imp->ids_cap &&
	     cman_grow((void **)&imp->ids, &imp->ids_cap, imp->n + 1, sizeof(*imp->ids))) ||
	    (imp->n + 1 > imp->mv_cap &&
	     cman_grow((void **)&imp->mv, &imp->mv_cap, imp->n + 1, sizeof(*imp->mv))))
		return CMAN_ENOMEM;
	type = imp->markets.strs[k->id];
	imp->ids[imp->n] = k->id;
	imp->mv[imp->n].instance_type = type;
	imp->mv[imp->n].az = type + k->type_len + 1;
	imp->mv[imp->n].value = v;
	imp->n++;
	return 0;
}

static void map_sample_fast(struct importer *imp, int64_t t, struct cman_sample *s);

/* The finished map as a sample (entry pointers fixed up after growth). */
static void map_sample(struct importer *imp, int64_t t, struct cman_sample *s)
{
	for (size_t i = 0; i < imp->n; i++) {
		imp->mv[i].instance_type = imp->names[i].type;
		imp->mv[i].az = imp->names[i].az;
	}
	map_sample_fast(imp, t, s);
}

/* map_sample of a map built by map_add_m (its entries point at names). */
static void map_sample_fast(struct importer *imp, int64_t t, struct cman_sample *s)
{
	s->t = t;
	s->is_map = true;
	s->n_markets = imp->n;
	s->markets = imp->mv;
	s->value = cman_store_map_sum(imp->mv, imp->n);
}

/* With a catalog: why the market is not valid (0 when it is). */
static int check_market(const struct importer *imp, const char *type, const char *az,
			char *why, size_t n)
{
	char region[64];

	if (!imp->cat)
		return 0;
	if (!cman_catalog_find(imp->cat, type)) {
		snprintf(why, n, "unknown instance type '%s'", type);
		return -1;
	}
	if (cman_region_of_az(az, region, sizeof(region)) != 0) {
		snprintf(why, n, "unknown availability zone '%s' (not in a known AWS region)", az);
		return -1;
	}
	return 0;
}

/* With a catalog: why a (normalized) key is not valid (0 when it is). */
static int check_key(const struct importer *imp, const char *key, char *why, size_t n)
{
	char name[CMAN_KEY_MAX], type[CMAN_TYPE_MAX], az[CMAN_AZ_MAX];

	if (!imp->cat || cman_metric_key_name(key, name, sizeof(name)) != 0 ||
	    strcmp(name, "spot_prices") != 0)
		return 0;
	if (cman_metric_key_dim(key, "aws_instance_type", type, sizeof(type)) != 0 ||
	    cman_metric_key_dim(key, "aws_availability_zone", az, sizeof(az)) != 0) {
		snprintf(why, n, "a spot_prices key needs the dimensions aws_instance_type and"
			 " aws_availability_zone");
		return -1;
	}
	return check_market(imp, type, az, why, n);
}

/* ------------------------------------------------------------------ */
/* Clusterman JSON                                                     */
/* ------------------------------------------------------------------ */

static int open_file(const char *path, struct cman_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: cannot open: %s", path, strerror(errno));
	return fd;
}

/* zlib's message without the "<fd:N>: " it puts first for gzdopen files. */
static const char *gz_msg(const char *m)
{
	const char *p;

	if (m && strncmp(m, "<fd:", 4) == 0 && (p = strstr(m, ": ")) != NULL)
		return p + 2;
	return m ? m : "unknown error";
}

static const char *json_type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "something else";
}

/* jsonpickle bookkeeping beside the metric keys. */
static bool skip_key(const char *k)
{
	return strncmp(k, "py/", 3) == 0 || strcmp(k, "default_factory") == 0;
}

struct jctx {
	struct importer *imp;
	const char *kind_name;
	const char *rawkey;
	size_t entry;        /* 1-based */
};

static int entry_error(const struct jctx *c, struct cman_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int entry_error(const struct jctx *c, struct cman_error *err, const char *fmt, ...)
{
	char body[CMAN_ERRMSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	return cman_error_set(err, CMAN_EINVAL, "%s: %s key '%.200s' entry %zu: %s", c->imp->path,
			      c->kind_name, c->rawkey, c->entry, body);
}

static int json_time(const struct jctx *c, json_t *tj, int64_t *t, struct cman_error *err)
{
	if (json_is_object(tj)) {
		json_t *ts = json_object_get(tj, "timestamp");

		if (!ts)
			return entry_error(c, err, "expected a timestamp, got an object without"
					   " \"timestamp\"");
		tj = ts;
	}
	if (json_is_integer(tj)) {
		*t = (int64_t)json_integer_value(tj);
		if (!cman_time_valid(*t))
			return entry_error(c, err, "timestamp %lld out of range (expected epoch "
					   "seconds from 0 to %lld, years 1970-9999)", (long long)*t,
					   (long long)CMAN_TIME_MAX);
		return 0;
	}
	if (json_is_real(tj)) {
		double d = json_real_value(tj);

		if (!(d >= (double)CMAN_TIME_MIN && d < (double)CMAN_TIME_MAX + 1))
			return entry_error(c, err, "timestamp %g out of range (expected epoch "
					   "seconds from 0 to %lld, years 1970-9999)", d,
					   (long long)CMAN_TIME_MAX);
		*t = (int64_t)d;  /* fractional seconds are truncated */
		return 0;
	}
	if (json_is_string(tj)) {
		if (cman_time_parse(json_string_value(tj), t) != 0)
			return entry_error(c, err, "bad timestamp '%.100s' (expected ISO-8601 or epoch"
					   " seconds)", json_string_value(tj));
		return 0;
	}
	return entry_error(c, err, "expected a timestamp, got %s", json_type_name(tj));
}

/* Write an entry's sample; errors are prefixed with the entry's place. */
static int entry_put(struct jctx *c, enum cman_metric_kind kind, const char *key,
		     const struct cman_sample *s, struct cman_error *err)
{
	int rc = put(c->imp, kind, key, s, err);

	if (rc)
		cman_error_prefix(err, "%s: %s key '%.200s' entry %zu", c->imp->path, c->kind_name,
				  c->rawkey, c->entry);
	return rc;
}

static int json_entry(struct jctx *c, enum cman_metric_kind kind, const char *key, json_t *ent,
		      struct cman_error *err)
{
	struct importer *imp = c->imp;
	struct cman_sample s = { 0 };
	json_t *tj, *vj, *tup = ent;
	int rc;

	if (json_is_object(ent))
		tup = json_object_get(ent, "py/tuple");
	if (!tup || !json_is_array(tup) || json_array_size(tup) != 2)
		return entry_error(c, err, "expected [time, value] or {\"py/tuple\": [time, value]},"
				   " got %s", json_type_name(ent));
	tj = json_array_get(tup, 0);
	vj = json_array_get(tup, 1);
	rc = json_time(c, tj, &s.t, err);
	if (rc)
		return rc;
	if (json_is_number(vj)) {
		s.value = json_number_value(vj);
	} else if (json_is_object(vj)) {
		const char *mk;
		json_t *mvj;

		map_reset(imp);
		json_object_foreach(vj, mk, mvj) {
			char type[CMAN_TYPE_MAX], az[CMAN_AZ_MAX], why[256];

			if (skip_key(mk))
				continue;
			if (cman_market_parse(mk, type, sizeof(type), az, sizeof(az)) != 0)
				return entry_error(c, err, "bad market '%.100s' (expected \"<type, az>\")", mk);
			if (!json_is_number(mvj))
				return entry_error(c, err, "market '%s': expected a number, got %s", mk,
						   json_type_name(mvj));
			if (check_market(imp, type, az, why, sizeof(why)))
				return entry_error(c, err, "market '%s': %s", mk, why);
			rc = map_add(imp, type, az, json_number_value(mvj));
			if (rc == 1)
				return entry_error(c, err, "market '%s' appears twice", mk);
			if (rc)
				return nomem(imp, err);
		}
		map_sample(imp, s.t, &s);
	} else {
		return entry_error(c, err, "expected a number or a map of market to number, got %s",
				   json_type_name(vj));
	}
	return entry_put(c, kind, key, &s, err);
}

/*
 * The file is walked by a small scanner that handles only the structure of
 * the three outer levels ({kind: {key: [entry, ...]}}); every key and every
 * entry is parsed by jansson (json_loadb with JSON_DISABLE_EOF_CHECK, which
 * reports how many bytes it consumed) and released at once.  Building the
 * whole document as one jansson tree would cost ~8 bytes of small
 * allocations per input byte.
 *
 * The text streams through a window (zlib reads gzip and plain files
 * alike): the scanner asks for WINDOW bytes ahead of each value and the
 * window grows only for a value longer than that, so memory follows the
 * longest entry, not the file.  A value that jansson could not finish, or
 * that ends exactly where the window does, is parsed again with twice the
 * text.  Positions count the lines and columns of the bytes dropped from
 * the window.  A read or gzip error ends the input; it is reported in
 * place of whatever the truncated text looked like.
 */
#define WINDOW (64 * 1024)    /* text wanted ahead of each value */
#define BLOCK (1024 * 1024)    /* least window size: refills are large */

struct jscan {
	const char *path;
	gzFile gz;
	char *buf;                /* the window: buf[0..end) holds text */
	const char *p, *end;      /* read position, end of the text */
	size_t cap;
	size_t block;             /* least window size: BLOCK, less for a small file */
	size_t window;            /* WINDOW, less for a small file */
	int line0;                /* line of buf[0] */
	long col0;                /* 0-based column of buf[0] in that line */
	bool eof;
	int zrc;                  /* a read or gzip error (message in zmsg) */
	char zmsg[CMAN_ERRMSG_MAX];
};

/* Record a read or gzip error: the input ends here. */
static void jfail(struct jscan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void jfail(struct jscan *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->zmsg, sizeof(s->zmsg), fmt, ap);
	va_end(ap);
	s->zrc = CMAN_EINVAL;
	s->eof = true;
}

/* Make at least need bytes available at s->p unless the input ends first;
 * true when they are. */
static bool more(struct jscan *s, size_t need)
{
	size_t have = (size_t)(s->end - s->p);

	if (have >= need)
		return true;
	if (s->eof)
		return false;
	if (s->p > s->buf) {   /* drop what was read, counting its lines */
		const char *q = s->buf, *nl;

		while ((nl = memchr(q, '\n', (size_t)(s->p - q))) != NULL) {
			s->line0++;
			s->col0 = 0;
			q = nl + 1;
		}
		s->col0 += (long)(s->p - q);
		memmove(s->buf, s->p, have);
		s->p = s->buf;
		s->end = s->buf + have;
	}
	if (need + 1 > s->cap || s->cap < s->block) {
		size_t off = (size_t)(s->end - s->buf);

		if (cman_grow((void **)&s->buf, &s->cap, need + 1 > s->block ? need + 1 : s->block,
			       1)) {
			jfail(s, "%s: out of memory", s->path);
			s->zrc = CMAN_ENOMEM;
			return false;
		}
		s->p = s->buf;
		s->end = s->buf + off;
	}
	while ((size_t)(s->end - s->p) < need && !s->eof) {   /* fill the window */
		size_t room = s->cap - (size_t)(s->end - s->buf) - 1;
		int got, zerr;
		const char *msg;

		if (room > INT_MAX / 2)
			room = INT_MAX / 2;
		got = gzread(s->gz, s->buf + (s->end - s->buf), (unsigned)room);
		if (got > 0) {
			s->end += got;
			continue;
		}
		s->eof = true;
		msg = gzerror(s->gz, &zerr);
		if (got < 0 && zerr == Z_ERRNO)
			jfail(s, "%s: read error: %s", s->path, strerror(errno));
		else if (zerr == Z_BUF_ERROR)
			jfail(s, "%s: truncated gzip data (unexpected end of file)", s->path);
		else if (got < 0 || (zerr != Z_OK && zerr != Z_STREAM_END))
			jfail(s, "%s: corrupt gzip data: %s", s->path, gz_msg(msg));
	}
	return (size_t)(s->end - s->p) >= need;
}

/* Read the rest of the input: a syntax error in text that zlib made up
 * from damaged data is reported as the damage. */
static void jdrain(struct jscan *s)
{
	while (!s->eof) {
		s->p = s->end;
		(void)more(s, s->cap > s->window ? s->cap - 1 : s->window);
	}
}

static void jws(struct jscan *s)
{
	while (more(s, 1) && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Is the next byte c? */
static bool jat(struct jscan *s, char c)
{
	return more(s, 1) && *s->p == c;
}

static void line_col(const struct jscan *s, const char *at, int *line, int *col)
{
	const char *ls = NULL;
	int l = s->line0;

	for (const char *q = s->buf; q < at; q++) {
		if (*q == '\n') {
			l++;
			ls = q + 1;
		}
	}
	*line = l;
	*col = ls ? (int)(at - ls) + 1 : (int)(s->col0 + (at - s->buf)) + 1;
}

/* A structural syntax error at s->p, worded like jansson's. */
static int jexpected(struct jscan *s, const char *what, struct cman_error *err)
{
	int line, col;

	line_col(s, s->p, &line, &col);
	if (!more(s, 1))
		return cman_error_at(err, s->path, line, col, "%s near end of file", what);
	return cman_error_at(err, s->path, line, col, "%s near '%c'", what, *s->p);
}

/* Parse one JSON value at s->p with jansson and step over it. */
static int jvalue(struct jscan *s, json_t **out, struct cman_error *err)
{
	json_error_t jerr;
	size_t want = s->window, have;
	int line, col;

	jws(s);
	for (;;) {
		(void)more(s, want);
		have = (size_t)(s->end - s->p);
		*out = json_loadb(s->p, have, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
		/* done, unless the value ran into the end of the window */
		if (s->eof || (*out ? (size_t)jerr.position < have : (size_t)jerr.position + 64 < have))
			break;
		json_decref(*out);
		*out = NULL;
		want = have * 2;
	}
	if (*out) {
		s->p += jerr.position;
		return 0;
	}
	line_col(s, s->p, &line, &col);
	if (jerr.line <= 1)
		col += jerr.column > 0 ? jerr.column - 1 : 0;
	else
		line += jerr.line - 1, col = jerr.column;
	return cman_error_at(err, s->path, line, col, "%s", jerr.text);
}

/* An object key: a string followed by ':'. */
static int jkey(struct jscan *s, json_t **out, struct cman_error *err)
{
	int rc;

	*out = NULL;
	if (!jat(s, '"'))
		return jexpected(s, "string or '}' expected", err);
	rc = jvalue(s, out, err);
	if (rc)
		return rc;
	jws(s);
	if (!jat(s, ':')) {
		json_decref(*out);
		*out = NULL;
		return jexpected(s, "':' expected", err);
	}
	s->p++;
	jws(s);
	return 0;
}

/* Skip one value (checked by jansson). */
static int jskip(struct jscan *s, struct cman_error *err)
{
	json_t *v;
	int rc = jvalue(s, &v, err);

	json_decref(v);
	return rc;
}

/* After a member or element: 1 when close follows (consumed), 0 after a ','. */
static int jnext(struct jscan *s, char close, struct cman_error *err)
{
	jws(s);
	if (jat(s, ',')) {
		s->p++;
		jws(s);
		return 0;
	}
	if (jat(s, close)) {
		s->p++;
		return 1;
	}
	return jexpected(s, close == '}' ? "',' or '}' expected" : "',' or ']' expected", err);
}

/* Step into a '{' or '[' at s->p: 0.  Otherwise parse what is there: 1
 * and *got = its type ("an array", ...), or jansson's syntax error. */
static int jopen(struct jscan *s, char open, const char **got, struct cman_error *err)
{
	json_t *v;
	int rc;

	if (jat(s, open)) {
		s->p++;
		jws(s);
		return 0;
	}
	rc = jvalue(s, &v, err);
	if (rc)
		return rc;
	*got = json_type_name(v);
	json_decref(v);
	return 1;
}

/*
 * The fast path for the common entries, [<ISO string or integer time>,
 * <number>] and [<time>, {"<market>": <number>, ...}], parsed in place in
 * the window without building jansson values (which cost most of a JSON
 * run).  It accepts only what it can read exactly as jansson would: plain
 * ASCII strings without escapes, integers of up to 18 digits, reals that
 * strtod reads finitely; valid times, parseable and valid markets, no
 * skipped or repeated map keys.  Anything else (also any error) goes to
 * the jansson path, which then reports it as it always did.
 */
#define FAST_AHEAD 4096   /* text wanted in the window for one entry */

static const char *fws(const char *p, const char *e)
{
	while (p < e && (unsigned char)*p <= ' ' &&
	       (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Eight bytes at p, in memory order. */
static uint64_t load8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Whether any of the eight bytes of w is '"', '\\', below 0x20 or 0x7f
 * and above: the bytes that end the plain part of a string.  (Each test is
 * exact about whether some byte matches, which is all that is asked.) */
static bool stops(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), bs = w ^ (ONES * '\\');
	uint64_t zero_q = (q - ONES) & ~q, zero_bs = (bs - ONES) & ~bs;
	uint64_t low = (w - ONES * 0x20) & ~w;        /* a byte < 0x20 */
	uint64_t high = (w + ONES * 0x01) | w;        /* a byte >= 0x7f */

	return ((zero_q | zero_bs | low | high) & HIGHS) != 0;
}

/* A plain string at p ('"'): its body [*b, *be); the position after it, or
 * NULL (escapes, control or non-ASCII bytes, the window's end). */
static const char *fstring(const char *p, const char *e, const char **b, const char **be)
{
	if (p >= e || *p != '"')
		return NULL;
	*b = ++p;
	while (e - p >= 8 && !stops(load8(p)))   /* eight plain bytes at a time */
		p += 8;
	while (p < e && *p != '"') {
		unsigned char ch = (unsigned char)*p;

		if (ch == '\\' || ch < 0x20 || ch >= 0x7f)
			return NULL;
		p++;
	}
	if (p >= e)
		return NULL;
	*be = p;
	return p + 1;
}

/* A JSON number at p: the position after it and *v, *is_int; NULL when it
 * is not one the fast path reads exactly. */
static const char *fnumber(const char *p, const char *e, double *v, bool *is_int,
			   int64_t *iv)
{
	const char *start = p, *digits;
	char buf[64];
	bool neg = false;
	/* the digits as an integer m with nd significant digits and the
	 * point k places from its end (Clinger's fast path, as decimal.c) */
	uint64_t m = 0;
	int nd = 0, k = 0;
	bool expo = false;

	if (p < e && *p == '-') {
		neg = true;
		p++;
	}
	digits = p;
	if (p < e && *p == '0') {
		p++;
	} else {
		if (p >= e || *p < '1' || *p > '9')
			return NULL;
		while (p < e && *p >= '0' && *p <= '9') {
			m = 10 * m + (uint64_t)(*p++ - '0');
			nd++;
		}
	}
	*is_int = true;
	if (p < e && *p == '.') {
		*is_int = false;
		if (++p >= e || *p < '0' || *p > '9')
			return NULL;
		while (p < e && *p >= '0' && *p <= '9') {
			if (nd < 16) {   /* past 15: not the fast path (m is not read) */
				nd += m || *p != '0';
				m = 10 * m + (uint64_t)(*p - '0');
			}
			p++;
			k--;
		}
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		*is_int = false;
		expo = true;
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return NULL;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p >= e)
		return NULL;   /* the token may go on past the window */
	if (*is_int) {
		if (p - digits > 18)
			return NULL;
		*iv = neg ? -(int64_t)m : (int64_t)m;   /* at most 18 digits: exact */
		*v = (double)*iv;
		return p;
	}
	if (!expo && nd <= 15 && k >= -22) {
		/* D+.D+ with at most 15 significant digits: m / 10^-k, one
		 * correctly rounded division, what cman_decimal_exact gives
		 * without reading the digits again */
		static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
					      1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
					      1e18, 1e19, 1e20, 1e21, 1e22 };

		*v = m == 0 ? 0.0 : (double)m / p10[-k];
		if (neg)
			*v = -*v;
		return p;
	}
	if (cman_decimal_exact(start, (size_t)(p - start), v))
		return p;   /* what strtod gives, without strtod */
	if ((size_t)(p - start) >= sizeof(buf))
		return NULL;
	memcpy(buf, start, (size_t)(p - start));
	buf[p - start] = '\0';
	*v = strtod(buf, NULL);
	return isfinite(*v) ? p : NULL;
}

/* The market named by a map key [b, b + len) of the fast path: one seen
 * before, else parsed, checked and remembered; NULL when the fast path does
 * not read it (jsonpickle bookkeeping, a bad or unknown market: the jansson
 * path reports it as it always did). */
static const struct mkey *fast_market(struct importer *imp, const char *b, size_t len)
{
	char buf[MKEY_LEN], why[256], name[CMAN_TYPE_MAX + CMAN_AZ_MAX];
	struct mname m;
	struct mkey *k;
	size_t tl, id;

	for (size_t i = 0; i < imp->n_mkeys; i++) {
		k = &imp->mkeys[i];
		if (k->len == len && memcmp(k->text, b, len) == 0)
			return k;
	}
	if (len >= MKEY_LEN)
		return NULL;
	memcpy(buf, b, len);
	buf[len] = '\0';
	if (skip_key(buf) || cman_market_parse(buf, m.type, sizeof(m.type), m.az, sizeof(m.az)) != 0 ||
	    check_market(imp, m.type, m.az, why, sizeof(why)))
		return NULL;
	tl = strlen(m.type);
	memcpy(name, m.type, tl + 1);
	memcpy(name + tl + 1, m.az, strlen(m.az) + 1);
	if (cman_store_strtab_add(&imp->markets, name, tl + 1 + strlen(m.az), &id, NULL) ||
	    id > UINT32_MAX)
		return NULL;   /* out of memory: the jansson path then tells */
	if (!imp->mkeys && !(imp->mkeys = malloc(MKEYS * sizeof(*imp->mkeys))))
		return NULL;
	if (imp->n_mkeys < MKEYS) {
		k = &imp->mkeys[imp->n_mkeys++];
	} else {
		k = &imp->mkeys[imp->next_mkey];
		imp->next_mkey = (imp->next_mkey + 1) % MKEYS;
	}
	k->len = len;
	memcpy(k->text, buf, len + 1);
	k->m = m;
	k->type_len = tl;
	k->id = (uint32_t)id;
	imp->mk_next = (size_t)(k - imp->mkeys);
	return k;
}

/* The known market key whose text, closed by '"', starts at p (a string's
 * body): no scan of the text for escapes is needed, it was checked when
 * the key was first read.  NULL when none matches. */
static const struct mkey *known_market(struct importer *imp, const char *p, const char *e)
{
	size_t n = imp->n_mkeys;

	for (size_t j = 0; j < n; j++) {
		size_t i = (imp->mk_next + j) % n;   /* the expected key first */
		const struct mkey *k = &imp->mkeys[i];

		if ((size_t)(e - p) > k->len && p[k->len] == '"' && memcmp(k->text, p, k->len) == 0) {
			imp->mk_next = i + 1 < n ? i + 1 : 0;
			return k;
		}
	}
	return NULL;
}

static bool two_digits(const char *p, int *v)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return false;
	*v = 10 * (p[0] - '0') + (p[1] - '0');
	return true;
}

/* A time string [b, b + len) of the fast path (len < 128): 0 and *t, or
 * nonzero when cman_time_parse refuses it.  "YYYY-MM-DDTHH:MM:SSZ" of the
 * day read last is the day's time plus the time of day; anything else is
 * read by cman_time_parse (the day remembered when it has that form). */
/* Whether the 20 bytes at b are "YYYY-MM-DDTHH:MM:SSZ" of the day read last
 * (then *t is its time).  Every byte is checked: the first ten against the
 * day (which fast_time took from such a string), the others here. */
static bool same_day_time(const struct importer *imp, const char *b, int64_t *t)
{
	unsigned d[6];

	if (imp->day_t < 0 || load8(b) != load8(imp->day) || b[8] != imp->day[8] ||
	    b[9] != imp->day[9] || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != 'Z')
		return false;
	d[0] = (unsigned)(unsigned char)b[11] - '0';
	d[1] = (unsigned)(unsigned char)b[12] - '0';
	d[2] = (unsigned)(unsigned char)b[14] - '0';
	d[3] = (unsigned)(unsigned char)b[15] - '0';
	d[4] = (unsigned)(unsigned char)b[17] - '0';
	d[5] = (unsigned)(unsigned char)b[18] - '0';
	if (d[0] > 9 || d[1] > 9 || d[2] > 9 || d[3] > 9 || d[4] > 9 || d[5] > 9)
		return false;
	if (d[0] * 10 + d[1] > 23 || d[2] > 5 || d[4] > 5)
		return false;
	*t = imp->day_t + (int64_t)(d[0] * 10 + d[1]) * 3600 + (d[2] * 10 + d[3]) * 60 +
	     d[4] * 10 + d[5];
	return true;
}

static int fast_time(struct importer *imp, const char *b, size_t len, int64_t *t)
{
	char buf[128];
	int h, mi, sec;
	bool hms = len == 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' &&
		   b[16] == ':' && b[19] == 'Z' && two_digits(b + 11, &h) &&
		   two_digits(b + 14, &mi) && two_digits(b + 17, &sec) && h <= 23 && mi <= 59 &&
		   sec <= 59;

	if (hms && imp->day_t >= 0 && memcmp(imp->day, b, 10) == 0) {
		*t = imp->day_t + h * 3600 + mi * 60 + sec;
		return 0;
	}
	memcpy(buf, b, len);
	buf[len] = '\0';
	if (cman_time_parse(buf, t) != 0)
		return -1;
	if (hms) {   /* an ISO date and time of day, UTC: the day starts at t - time of day */
		memcpy(imp->day, b, 10);
		imp->day_t = *t - (h * 3600 + mi * 60 + sec);
	}
	return 0;
}

/* 1: the entry at s->p was read and written (s->p after it); 0: not a
 * fast-path entry (s->p unchanged); or a negative cman_err from writing. */
static int fast_entry(struct jctx *c, struct jscan *s, struct cman_sample *smp)
{
	struct importer *imp = c->imp;
	const char *p, *e, *b, *be;
	double v;
	int64_t iv;
	bool is_int;

	if ((size_t)(s->end - s->p) < FAST_AHEAD)
		(void)more(s, FAST_AHEAD);
	p = s->p;
	e = s->end;
	if (p >= e || *p != '[')
		return 0;
	p = fws(p + 1, e);
	if (p < e && *p == '"') {
		/* "YYYY-MM-DDTHH:MM:SSZ" of the day read last: every byte checked */
		if (e - p > 21 && p[21] == '"' && same_day_time(imp, p + 1, &smp->t))
			p += 22;
		else if (!(p = fstring(p, e, &b, &be)) || (size_t)(be - b) >= 128 ||
			 fast_time(imp, b, (size_t)(be - b), &smp->t) != 0)
			return 0;
	} else {
		if (!(p = fnumber(p, e, &v, &is_int, &iv)) || !is_int || !cman_time_valid(iv))
			return 0;
		smp->t = iv;
	}
	p = fws(p, e);
	if (p >= e || *p != ',')
		return 0;
	p = fws(p + 1, e);
	if (p < e && *p == '{') {
		map_reset(imp);
		p = fws(p + 1, e);
		if (p < e && *p == '}') {
			p++;
		} else {
			for (;;) {
				const struct mkey *k;

				if (p < e && *p == '"' && (k = known_market(imp, p + 1, e)) != NULL) {
					p += k->len + 2;
				} else if (!(p = fstring(p, e, &b, &be)) ||
					   !(k = fast_market(imp, b, (size_t)(be - b)))) {
					return 0;
				}
				p = fws(p, e);
				if (p >= e || *p != ':')
					return 0;
				p = fws(p + 1, e);
				if (!(p = fnumber(p, e, &v, &is_int, &iv)))
					return 0;
				switch (map_add_m(imp, k, v)) {
				case 0:
					break;
				case 1:
					return 0;
				default:
					return CMAN_ENOMEM;
				}
				p = fws(p, e);
				if (p < e && *p == '}') {
					p++;
					break;
				}
				if (p >= e || *p != ',')
					return 0;
				p = fws(p + 1, e);
			}
		}
		map_sample_fast(imp, smp->t, smp);
	} else {
		if (!(p = fnumber(p, e, &v, &is_int, &iv)))
			return 0;
		smp->value = v;
		smp->is_map = false;
		smp->n_markets = 0;
		smp->markets = NULL;
	}
	p = fws(p, e);
	if (p >= e || *p != ']')
		return 0;
	s->p = p + 1;
	return 1;
}

static int json_series(struct importer *imp, struct jscan *s, enum cman_metric_kind kind,
		       const char *kname, const char *rawkey, struct cman_error *err)
{
	char key[CMAN_KEY_MAX], why[256];
	struct jctx c = { imp, kname, rawkey, 0 };
	const char *got;
	int rc;

	rc = cman_metric_key_normalize(rawkey, key, sizeof(key), err);
	if (rc) {
		cman_error_prefix(err, "%s: %s", imp->path, kname);
		return rc;
	}
	rc = jopen(s, '[', &got, err);
	if (rc == 1)
		return cman_error_set(err, CMAN_EINVAL, "%s: %s key '%.200s': expected an array of"
				      " samples, got %s", imp->path, kname, rawkey, got);
	if (rc)
		return rc;
	if (jat(s, ']')) {
		s->p++;
		return 0;
	}
	if (check_key(imp, key, why, sizeof(why)))
		return cman_error_set(err, CMAN_EINVAL, "%s: %s key '%.200s': %s", imp->path, kname,
				      rawkey, why);
	for (;;) {
		struct cman_sample smp = { 0 };
		json_t *ent;

		c.entry++;
		rc = fast_entry(&c, s, &smp);
		if (rc == 1) {
			rc = entry_put(&c, kind, key, &smp, err);
		} else if (rc == 0) {
			rc = jvalue(s, &ent, err);
			if (rc)
				break;
			rc = json_entry(&c, kind, key, ent, err);
			json_decref(ent);
		} else {
			rc = nomem(imp, err);
		}
		if (rc)
			break;
		imp->same_series = true;   /* the series is counted: skip that from now on */
		if (s->p < s->end && *s->p == ',') {   /* the common case of jnext, in the window */
			const char *p = fws(s->p + 1, s->end);

			if (p < s->end) {
				s->p = p;
				continue;
			}
		}
		rc = jnext(s, ']', err);
		if (rc) {
			rc = rc < 0 ? rc : 0;
			break;
		}
	}
	imp->same_series = false;
	return rc;
}

static int json_kind(struct importer *imp, struct jscan *s, const char *kname,
		     struct cman_error *err)
{
	enum cman_metric_kind kind;
	const char *got;
	int rc;

	if (cman_kind_parse(kname, &kind) != 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: unknown metric kind '%.100s'"
				      " (expected system_metrics, app_metrics or metadata)",
				      imp->path, kname);
	rc = jopen(s, '{', &got, err);
	if (rc == 1)
		return cman_error_set(err, CMAN_EINVAL, "%s: %s: expected an object of metric keys,"
				      " got %s", imp->path, kname, got);
	if (rc)
		return rc;
	if (jat(s, '}')) {
		s->p++;
		return 0;
	}
	for (;;) {
		json_t *k;
		const char *rawkey;

		rc = jkey(s, &k, err);
		if (rc)
			return rc;
		rawkey = json_string_value(k);
		rc = skip_key(rawkey) ? jskip(s, err) : json_series(imp, s, kind, kname, rawkey, err);
		json_decref(k);
		if (rc)
			return rc;
		rc = jnext(s, '}', err);
		if (rc)
			return rc < 0 ? rc : 0;
	}
}

static int json_walk(struct importer *imp, struct jscan *s, struct cman_error *err)
{
	const char *got;
	int rc;

	jws(s);
	rc = jopen(s, '{', &got, err);
	if (rc == 1)
		return cman_error_set(err, CMAN_EINVAL, "%s: expected a JSON object of metric kinds at"
				      " the top level, got %s", s->path, got);
	if (rc)
		return rc;
	if (jat(s, '}')) {
		s->p++;
	} else {
		for (;;) {
			json_t *k;
			const char *kname;

			rc = jkey(s, &k, err);
			if (rc)
				return rc;
			kname = json_string_value(k);
			rc = skip_key(kname) ? jskip(s, err) : json_kind(imp, s, kname, err);
			json_decref(k);
			if (rc)
				return rc;
			rc = jnext(s, '}', err);
			if (rc < 0)
				return rc;
			if (rc)
				break;
		}
	}
	jws(s);
	if (more(s, 1))
		return jexpected(s, "end of file expected", err);
	return 0;
}

int cman_import_clusterman_json(const char *path, struct cman_store *dst,
				const struct cman_catalog *cat,
				struct cman_import_stats *stats,
				struct cman_error *err)
{
	struct importer imp;
	struct jscan s = { .path = path, .line0 = 1 };
	int fd, rc, zrc;

	importer_init(&imp, path, dst, cat);
	fd = open_file(path, err);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	s.gz = gzdopen(fd, "rb");
	if (!s.gz) {
		close(fd);
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	/* a small file gets small buffers (no megabytes per test or fuzz input) */
	s.block = cman_read_buffer_size(fd, BLOCK);
	s.window = s.block - 1 < WINDOW ? s.block - 1 : WINDOW;
	gzbuffer(s.gz, (unsigned)(s.block < 128 * 1024 ? s.block : 128 * 1024));
	(void)more(&s, s.window);
	if (!s.zrc && gzdirect(s.gz)) {
		jws(&s);
		if (!jat(&s, '{')) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: not a gzip-compressed file (and not"
					    " a JSON object either)", path);
			goto out;
		}
	}
	rc = json_walk(&imp, &s, err);
	if (rc == CMAN_EINVAL)
		jdrain(&s);
	zrc = gzclose_r(s.gz);
	s.gz = NULL;
	if (!s.zrc && zrc == Z_BUF_ERROR)
		jfail(&s, "%s: truncated gzip data (unexpected end of file)", path);
	else if (!s.zrc && zrc != Z_OK)
		jfail(&s, "%s: corrupt gzip data", path);
	if (s.zrc && (rc == 0 || rc == CMAN_EINVAL))
		rc = cman_error_set(err, s.zrc, "%s", s.zmsg);
out:
	if (s.gz)
		gzclose_r(s.gz);
	free(s.buf);
	importer_release(&imp, stats);
	return rc;
}

/* ------------------------------------------------------------------ */
/* CSV                                                                 */
/* ------------------------------------------------------------------ */

/* The map sample being collected from consecutive rows. */
struct pending {
	bool active;
	enum cman_metric_kind kind;
	char key[CMAN_KEY_MAX];
	int64_t t;
	int line;
};

static int flush(struct importer *imp, struct pending *pd, struct cman_error *err)
{
	struct cman_sample s;
	int rc;

	if (!pd->active)
		return 0;
	pd->active = false;
	map_sample(imp, pd->t, &s);
	rc = put(imp, pd->kind, pd->key, &s, err);
	if (rc)
		cman_error_prefix(err, "%s:%d", imp->path, pd->line);
	return rc;
}

static int csv_rows(struct importer *imp, struct cman_csv *c, struct cman_error *err)
{
	struct pending pd = { 0 };
	char raw_prev[CMAN_KEY_MAX] = "", key[CMAN_KEY_MAX] = "";
	int rc;

	const struct cman_csv_field *f;
	const char *path = imp->path;
	size_t nf;

	while ((rc = cman_csv_next(c, &f, &nf, err)) == 1) {
		enum cman_metric_kind kind;
		struct cman_sample s = { 0 };
		const char *mk, *vs;
		char why[256];
		int line = f[0].line;

		if (nf != 5) {
			size_t i = nf > 5 ? 5 : nf - 1;

			return cman_error_at(err, path, f[i].line, f[i].col,
					     "expected 5 fields (kind,key,timestamp,market,value),"
					     " got %zu", nf);
		}
		if (cman_kind_parse(f[0].s, &kind) != 0)
			return cman_error_at(err, path, f[0].line, f[0].col,
					     "unknown metric kind '%.100s' (expected system_metrics,"
					     " app_metrics or metadata)", f[0].s);
		if (strcmp(f[1].s, raw_prev) != 0 || !key[0]) {
			key[0] = '\0';
			raw_prev[0] = '\0';
			rc = cman_metric_key_normalize(f[1].s, key, sizeof(key), err);
			if (rc) {
				key[0] = '\0';
				cman_error_prefix(err, "%s:%d:%d", path, f[1].line, f[1].col);
				return rc;
			}
			if (check_key(imp, key, why, sizeof(why)))
				return cman_error_at(err, path, f[1].line, f[1].col,
						     "metric key '%.200s': %s", f[1].s, why);
			if (f[1].len < sizeof(raw_prev))
				memcpy(raw_prev, f[1].s, f[1].len + 1);
		}
		if (cman_time_parse(f[2].s, &s.t) != 0)
			return cman_error_at(err, path, f[2].line, f[2].col,
					     "bad timestamp '%.100s' (expected epoch seconds or"
					     " ISO-8601)", f[2].s);
		mk = f[3].s;
		vs = f[4].s;
		if (*vs || strcmp(mk, "{}") != 0) {
			char *e;

			errno = 0;
			s.value = strtod(vs, &e);
			if (!*vs || *e || !isfinite(s.value))
				return cman_error_at(err, path, f[4].line, f[4].col,
						     "expected a number, got '%.100s'", vs);
		}
		if (*mk && strcmp(mk, "{}") != 0) {
			char type[CMAN_TYPE_MAX], az[CMAN_AZ_MAX];

			if (cman_market_parse(mk, type, sizeof(type), az, sizeof(az)) != 0)
				return cman_error_at(err, path, f[3].line, f[3].col,
						     "bad market '%.100s' (expected \"<type, az>\" or"
						     " \"type,az\")", mk);
			if (check_market(imp, type, az, why, sizeof(why)))
				return cman_error_at(err, path, f[3].line, f[3].col,
						     "market '%s': %s", mk, why);
			if (!pd.active || pd.kind != kind || pd.t != s.t || strcmp(pd.key, key) != 0) {
				rc = flush(imp, &pd, err);
				if (rc)
					return rc;
				map_reset(imp);
				pd.active = true;
				pd.kind = kind;
				pd.t = s.t;
				pd.line = line;
				memcpy(pd.key, key, sizeof(pd.key));
			}
			rc = map_add(imp, type, az, s.value);
			if (rc == 1)
				return cman_error_at(err, path, f[3].line, f[3].col,
						     "market '%s' appears twice in the map sample of"
						     " line %d", mk, pd.line);
			if (rc)
				return nomem(imp, err);
			continue;
		}
		rc = flush(imp, &pd, err);
		if (rc)
			return rc;
		if (*mk) {   /* "{}": an empty map */
			map_reset(imp);
			map_sample(imp, s.t, &s);
		}
		rc = put(imp, kind, key, &s, err);
		if (rc) {
			cman_error_prefix(err, "%s:%d", path, line);
			return rc;
		}
	}
	if (rc < 0)
		return rc;
	return flush(imp, &pd, err);
}

int cman_import_csv(const char *path, struct cman_store *dst,
		    const struct cman_catalog *cat,
		    struct cman_import_stats *stats, struct cman_error *err)
{
	static const char *const want[5] = { "kind", "key", "timestamp", "market", "value" };
	struct importer imp;
	struct cman_csv *c = NULL;
	const struct cman_csv_field *f;
	size_t nf;
	int rc;

	importer_init(&imp, path, dst, cat);
	rc = cman_csv_open(path, &c, err);
	if (rc)
		goto out;
	rc = cman_csv_next(c, &f, &nf, err);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = cman_error_at(err, path, 1, 1, "empty file (expected the header '" CSV_HEADER "')");
		goto out;
	}
	for (size_t i = 0; i < 5 || i < nf; i++) {
		if (i >= nf || i >= 5 || strcmp(f[i].s, want[i]) != 0) {
			size_t k = i < nf ? i : nf - 1;

			if (nf >= 2 && strcmp(f[0].s, "kind"))
				rc = cman_error_at(err, path, f[k].line, f[k].col,
						   "expected the header '" CSV_HEADER "' of a "
						   "metrics CSV; if this is a time series (a time "
						   "column and value columns), import it with "
						   "--format timeseries --key KEY (or --metric NAME "
						   "--cluster C --pool P)");
			else
				rc = cman_error_at(err, path, f[k].line, f[k].col,
						   "expected the header '" CSV_HEADER "'");
			goto out;
		}
	}
	rc = csv_rows(&imp, c, err);
out:
	cman_csv_close(c);
	importer_release(&imp, stats);
	return rc;
}

/* ------------------------------------------------------------------ */

int cman_import_file(const char *path, struct cman_store *dst,
		     const struct cman_catalog *cat,
		     struct cman_import_stats *stats, struct cman_error *err)
{
	unsigned char head[256];
	ssize_t n;
	size_t i = 0;
	int fd = open_file(path, err);

	if (fd < 0)
		return fd;
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n < 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: read error: %s", path, strerror(errno));
	if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
		return cman_import_clusterman_json(path, dst, cat, stats, err);
	if (n >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < (size_t)n && strchr(" \t\r\n", head[i]) && head[i])
		i++;
	if (i < (size_t)n && head[i] == '{')
		return cman_import_clusterman_json(path, dst, cat, stats, err);
	return cman_import_csv(path, dst, cat, stats, err);
}
