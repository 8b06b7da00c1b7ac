/*
 * importcheck.c - checked imports and `inspect` (see importcheck.h).
 */
#include "cman/sim/importcheck.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cman/catalog.h"
#include "cman/import.h"
#include "cman/time.h"

/* Every valid time: year 1 to 9999 (wider bounds overflow the backends'
 * span arithmetic). */
#define T_LO INT64_C(-62135596800)
#define T_HI INT64_C(253402300799)

struct series {
	enum cman_metric_kind kind;
	char *key;
	bool pre_any;            /* dst had samples before the import */
	int64_t pre_min, pre_max;
	size_t n;                /* samples written */
	int64_t t0, t1;
	double vmin, vmax;
	int64_t last_t;          /* the last write's time, and how many */
	size_t at_last;          /* writes in a row had it */
};

struct cman_import_check {
	struct cman_store base;  /* first: the checking store */
	struct cman_store *dst;
	struct series *s;
	size_t n, cap;
	size_t last;             /* index of the series written last */
};

static struct cman_import_check *of(struct cman_store *st)
{
	return (struct cman_import_check *)(void *)st;
}

static int ck_keys(struct cman_store *st, enum cman_metric_kind kind, const char *prefix,
		   cman_key_cb cb, void *ctx, struct cman_error *err)
{
	return cman_store_keys(of(st)->dst, kind, prefix, cb, ctx, err);
}

static int ck_open_cursor(struct cman_store *st, enum cman_metric_kind kind, const char *key,
			  int64_t t0, int64_t t1, unsigned flags, struct cman_cursor **out,
			  struct cman_error *err)
{
	/* the cursor is dst's and dispatches to dst's operations */
	return cman_store_open_cursor(of(st)->dst, kind, key, t0, t1, flags, out, err);
}

static int ck_cursor_next(struct cman_cursor *cur, struct cman_sample *out,
			  struct cman_error *err)
{
	return cman_cursor_next(cur, out, err);
}

static void ck_cursor_close(struct cman_cursor *cur)
{
	cman_cursor_close(cur);
}

/* Samples of (kind, key) in dst at times t0..t1 (stops counting at 2^30). */
static int count(struct cman_store *dst, enum cman_metric_kind kind, const char *key,
		 int64_t t0, int64_t t1, size_t *n, int64_t *first, struct cman_error *err)
{
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	int rc = cman_store_open_cursor(dst, kind, key, t0, t1, 0, &cur, err);

	*n = 0;
	while (!rc && (rc = cman_cursor_next(cur, &s, err)) == 1) {
		rc = 0;
		if (*n == 0 && first)
			*first = s.t;
		(*n)++;
		if (*n >= (1u << 30))
			break;
	}
	cman_cursor_close(cur);
	return rc < 0 ? rc : 0;
}

static int find_series(struct cman_import_check *c, enum cman_metric_kind kind,
		       const char *key, struct series **out, struct cman_error *err)
{
	struct series *s;
	size_t i, n;
	double v;
	int rc;

	if (c->last < c->n && c->s[c->last].kind == kind && !strcmp(c->s[c->last].key, key)) {
		*out = &c->s[c->last];
		return 0;
	}
	for (i = 0; i < c->n; i++) {
		if (c->s[i].kind == kind && !strcmp(c->s[i].key, key)) {
			c->last = i;
			*out = &c->s[i];
			return 0;
		}
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct series *ns = realloc(c->s, cap * sizeof(*ns));

		if (!ns)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		c->s = ns;
		c->cap = cap;
	}
	s = &c->s[c->n];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	if (!(s->key = strdup(key)))
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	/* what dst held before: its first and last time */
	rc = cman_store_latest(c->dst, kind, key, T_HI, &s->pre_max, &v, err);
	if (rc < 0) {
		free(s->key);
		return rc;
	}
	if (rc == 1) {
		s->pre_any = true;
		rc = count(c->dst, kind, key, T_LO, T_HI, &n, &s->pre_min, err);
		if (rc) {
			free(s->key);
			return rc;
		}
		(void)n;
	}
	c->last = c->n++;
	*out = s;
	return 0;
}

static int ck_write(struct cman_store *st, enum cman_metric_kind kind, const char *key,
		    const struct cman_sample *smp, struct cman_error *err)
{
	struct cman_import_check *c = of(st);
	struct series *s = NULL;
	int rc = find_series(c, kind, key, &s, err);

	if (rc)
		return rc;
	if (s->pre_any && smp->t >= s->pre_min && smp->t <= s->pre_max) {
		size_t have;
		size_t own = s->n && s->last_t == smp->t ? s->at_last : 0;

		rc = count(c->dst, kind, key, smp->t, smp->t, &have, NULL, err);
		if (rc)
			return rc;
		if (have > own) {
			char b[CMAN_TIME_BUFSZ];

			return cman_error_set(err, CMAN_EINVAL,
					      "%s: %s '%s' already has a sample at %s (%" PRId64
					      "): these rows were imported before, and importing "
					      "them again would count them twice; nothing was "
					      "imported (import only the new rows, or into a new "
					      "store)", c->dst->name, cman_kind_name(kind), key,
					      cman_time_format(smp->t, b), smp->t);
		}
	}
	rc = cman_store_write(c->dst, kind, key, smp, err);
	if (rc)
		return rc;
	if (s->n == 0 || smp->t < s->t0)
		s->t0 = smp->t;
	if (s->n == 0 || smp->t > s->t1)
		s->t1 = smp->t;
	if (s->n == 0 || smp->value < s->vmin)
		s->vmin = smp->value;
	if (s->n == 0 || smp->value > s->vmax)
		s->vmax = smp->value;
	s->at_last = s->n && s->last_t == smp->t ? s->at_last + 1 : 1;
	s->last_t = smp->t;
	s->n++;
	return 0;
}

static int ck_begin(struct cman_store *st, struct cman_error *err)
{
	return cman_store_begin(of(st)->dst, err);
}

static int ck_commit(struct cman_store *st, struct cman_error *err)
{
	return cman_store_commit(of(st)->dst, err);
}

static void ck_rollback(struct cman_store *st)
{
	cman_store_rollback(of(st)->dst);
}

static void ck_free(struct cman_store *st)
{
	(void)st;   /* freed by cman_import_check_free() */
}

static const struct cman_store_ops check_ops = {
	"import-check", ck_keys, ck_open_cursor, ck_cursor_next, ck_cursor_close, ck_write,
	ck_begin, ck_commit, ck_rollback, ck_free,
	NULL, NULL, NULL,   /* keeps no pool state */
};

int cman_import_check_new(struct cman_store *dst, struct cman_import_check **out,
			  struct cman_error *err)
{
	struct cman_import_check *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	c->base.ops = &check_ops;
	snprintf(c->base.name, sizeof(c->base.name), "%s", dst->name);
	c->dst = dst;
	*out = c;
	return 0;
}

struct cman_store *cman_import_check_store(struct cman_import_check *c)
{
	return &c->base;
}

static void print_series(FILE *fp, enum cman_metric_kind kind, const char *key, size_t n,
			 int64_t t0, int64_t t1, double vmin, double vmax)
{
	char a[CMAN_TIME_BUFSZ], b[CMAN_TIME_BUFSZ];

	fprintf(fp, "  %s %s: %zu sample%s", cman_kind_name(kind), key, n, n == 1 ? "" : "s");
	if (n)
		fprintf(fp, ", %s to %s, values %.10g to %.10g", cman_time_format(t0, a),
			cman_time_format(t1, b), vmin, vmax);
	fputc('\n', fp);
}

void cman_import_check_print(const struct cman_import_check *c, FILE *fp, size_t max)
{
	size_t i;

	for (i = 0; i < c->n && i < max; i++) {
		const struct series *s = &c->s[i];

		print_series(fp, s->kind, s->key, s->n, s->t0, s->t1, s->vmin, s->vmax);
	}
	if (c->n > max)
		fprintf(fp, "  ... and %zu more series\n", c->n - max);
}

void cman_import_check_free(struct cman_import_check *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		free(c->s[i].key);
	free(c->s);
	free(c);
}

/* ---- inspect ------------------------------------------------------------ */

static const char usage_inspect[] =
	"usage: clusterman-sim inspect STORE [--prefix KEY_PREFIX]\n"
	"\n"
	"Lists the series of a metrics store (SQLite) or of any metrics file that\n"
	"import reads: kind, key, number of samples, first and last time (UTC) and\n"
	"the smallest and largest value (for a market map, of the sums).\n"
	"  --prefix P   only the keys starting with P\n";

struct inspect {
	struct cman_store *st;
	enum cman_metric_kind kind;
	size_t series, samples;
	struct cman_error *err;
};

static int inspect_key(void *ctx, const char *key)
{
	struct inspect *in = ctx;
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	size_t n = 0;
	int64_t t0 = 0, t1 = 0;
	double vmin = 0, vmax = 0;
	int rc = cman_store_open_cursor(in->st, in->kind, key, T_LO, T_HI, 0, &cur, in->err);

	while (!rc && (rc = cman_cursor_next(cur, &s, in->err)) == 1) {
		rc = 0;
		if (!n || s.t < t0)
			t0 = s.t;
		if (!n || s.t > t1)
			t1 = s.t;
		if (!n || s.value < vmin)
			vmin = s.value;
		if (!n || s.value > vmax)
			vmax = s.value;
		n++;
	}
	cman_cursor_close(cur);
	if (rc < 0)
		return rc;
	print_series(stdout, in->kind, key, n, t0, t1, vmin, vmax);
	in->series++;
	in->samples += n;
	return 0;
}

int cman_inspect_main(int argc, char **argv)
{
	struct cman_error err = { 0 };
	const struct cman_catalog *cat;
	struct cman_store *st = NULL;
	struct inspect in = { 0 };
	const char *path = NULL, *prefix = "";
	int i, rc = 0, k;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_inspect, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--prefix")) {
			if (++i >= argc) {
				fprintf(stderr, "clusterman-sim: --prefix needs a value\n%s",
					usage_inspect);
				return 2;
			}
			prefix = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "clusterman-sim: unknown option '%s'\n%s", argv[i],
				usage_inspect);
			return 2;
		} else if (!path) {
			path = argv[i];
		} else {
			fprintf(stderr, "clusterman-sim: unexpected argument '%s'\n%s", argv[i],
				usage_inspect);
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "clusterman-sim: missing STORE\n%s", usage_inspect);
		return 2;
	}
	rc = cman_catalog_builtin(&cat, &err);
	if (!rc)
		rc = cman_metrics_open(path, CMAN_FMT_AUTO, NULL, NULL, cat, &st, &err);
	in.st = st;
	in.err = &err;
	for (k = 0; !rc && k < CMAN_KIND_COUNT; k++) {
		in.kind = (enum cman_metric_kind)k;
		rc = cman_store_keys(st, in.kind, prefix, inspect_key, &in, &err);
	}
	if (!rc)
		printf("%s: %zu series, %zu samples\n", path, in.series, in.samples);
	cman_store_free(st);
	if (rc) {
		fprintf(stderr, "clusterman-sim: %s\n", err.msg[0] ? err.msg : cman_strerror(rc));
		return cman_exit_status(rc);
	}
	return 0;
}
