/*
 * generate.c - synthetic recorded metrics from a YAML spec (generate.h),
 * and exporters of a store to the metrics CSV layout and Clusterman JSON.
 *
 * A spec is parsed whole into plain structs (sources loaded into stores),
 * then cman_gen_run writes each series in order: value series (event
 * times x a distribution or an affine transform of a recorded series, times
 * an optional daily/weekly shape with noise), spot prices from the price
 * model (pricefit.h), fleets that follow a load, and copies of recorded
 * series.  Series that read another series (affine, capacity) walk a
 * cursor over it alongside their own times.
 */
#include "cman/sim/generate.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <zlib.h>

#include "cman/catalog.h"
#include "cman/config.h"
#include "cman/fsutil.h"
#include "cman/metrics.h"
#include "cman/rng.h"
#include "cman/sim/pricefit.h"
#include "cman/time.h"

#define NAME_MAX_LEN 128
#define MAX_INSTANCES 1000000.0

enum tkind { T_EVERY, T_EXP, T_UNIFORM, T_SOURCE };
enum dkind { D_UNIFORM, D_INT_UNIFORM, D_NORMAL, D_LOGNORMAL, D_CONSTANT, D_AFFINE };
enum skind { S_VALUES, S_PRICE, S_CAPACITY, S_COPY };

/* A recorded series read by another: a source's (kind, key) or a series. */
struct ref {
	int source;                  /* index in spec->sources; -1: a series */
	int series;                  /* index in spec->series when source < 0 */
	enum cman_metric_kind kind;
	char key[CMAN_KEY_MAX];
	bool any_kind, any_key;      /* copy: all kinds / all keys */
};

struct gmarket {
	char type[CMAN_TYPE_MAX];
	char az[CMAN_AZ_MAX];
	double share;                /* normalized */
	double cpus;                 /* vCPUs of the type */
	double weight;               /* floor(cpus / cpus_per_weight) */
};

struct gseries {
	char name[NAME_MAX_LEN];
	enum skind type;
	enum cman_metric_kind kind;
	char key[CMAN_KEY_MAX];
	int64_t start, end;
	/* value series */
	enum tkind tk;
	double ta, tb;
	enum dkind dk;
	double p1, p2;
	struct ref ref;              /* affine, capacity's load, copy */
	double a, b;                 /* affine: a * x + b */
	bool shaped;
	double amplitude, peak_hour, weekly[7], noise;
	bool has_min, has_max;
	double min, max, round;
	/* spot prices */
	struct cman_price_model pm;
	/* capacity */
	double setpoint, cpus_per_weight;
	int64_t every, min_instances;
	struct gmarket *markets;
	size_t n_markets;
	bool has_target;
	char target_key[CMAN_KEY_MAX];
};

struct gsource {
	char name[NAME_MAX_LEN];
	struct cman_store *st;
};

struct cman_gen_spec {
	uint64_t seed;
	int64_t start, end;
	char cluster[NAME_MAX_LEN], pool[NAME_MAX_LEN], scheduler[64];
	bool have_pool;
	struct gsource *sources;
	size_t n_sources;
	struct gseries *series;
	size_t n_series;
};

/* ------------------------------------------------------------------ */
/* Spec parsing                                                        */
/* ------------------------------------------------------------------ */

struct ld {
	const char *path;            /* the spec file */
	struct cman_gen_spec *sp;
	const struct cman_catalog *cat;
	struct cman_error *err;
};

/* Optional double at map.key: 0 and *out set, 1 when absent, <0 error. */
static int opt_double(struct ld *l, const struct cman_node *map, const char *key,
		      const char *path, double *out)
{
	const struct cman_node *n = cman_node_get(map, key);
	char p[256];

	if (!n)
		return 1;
	snprintf(p, sizeof(p), "%s.%s", path, key);
	return cman_node_double(n, p, out, l->err);
}

static int req_double(struct ld *l, const struct cman_node *map, const char *key,
		      const char *path, double *out)
{
	int rc = opt_double(l, map, key, path, out);

	if (rc == 1)
		return cman_node_error(map, l->err, "%s: missing %s", path, key);
	return rc;
}

static int opt_string(struct ld *l, const struct cman_node *map, const char *key,
		      const char *path, const char **out)
{
	const struct cman_node *n = cman_node_get(map, key);
	char p[256];

	if (!n)
		return 1;
	snprintf(p, sizeof(p), "%s.%s", path, key);
	return cman_node_string(n, p, out, l->err);
}

static int opt_time(struct ld *l, const struct cman_node *map, const char *key,
		    const char *path, int64_t *out)
{
	const struct cman_node *n = cman_node_get(map, key);
	char p[256];

	if (!n)
		return 1;
	snprintf(p, sizeof(p), "%s.%s", path, key);
	return cman_node_time(n, p, out, l->err);
}

static int copy_name(struct ld *l, const struct cman_node *n, const char *what,
		     const char *s, char *out, size_t size)
{
	if (strlen(s) >= size)
		return cman_node_error(n, l->err, "%s: too long (at most %zu bytes)", what, size - 1);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* One-key map {name: value}: the key's name and value node. */
static int one_of(struct ld *l, const struct cman_node *n, const char *path,
		  const char *const *allowed, int *which, const struct cman_node **val)
{
	if (!n || n->type != CMAN_NODE_MAP || n->n != 1) {
		char list[256] = "";

		for (int i = 0; allowed[i]; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", allowed[i]);
		return cman_node_error(n, l->err, "%s: expected a mapping with one of: %s", path,
				       list);
	}
	for (int i = 0; allowed[i]; i++) {
		if (strcmp(n->keys[0]->scalar, allowed[i]) == 0) {
			*which = i;
			*val = n->items[0];
			return 0;
		}
	}
	return cman_node_check_keys(n, path, allowed, l->err);
}

static int kind_of(struct ld *l, const struct cman_node *map, const char *path,
		   enum cman_metric_kind *out)
{
	const char *s;
	int rc = opt_string(l, map, "kind", path, &s);

	if (rc)
		return rc;
	if (cman_kind_parse(s, out) != 0)
		return cman_node_error(cman_node_get(map, "kind"), l->err,
				       "%s.kind: unknown kind '%s' (expected system_metrics,"
				       " app_metrics or metadata)", path, s);
	return 0;
}

static int parse_market(struct ld *l, const struct cman_node *n, const char *path,
			char *type, char *az)
{
	const char *s;
	char region[64];
	int rc = cman_node_string(n, path, &s, l->err);

	if (rc)
		return rc;
	if (cman_market_parse(s, type, CMAN_TYPE_MAX, az, CMAN_AZ_MAX) != 0)
		return cman_node_error(n, l->err, "%s: bad market '%s' (expected \"<type, az>\")",
				       path, s);
	if (!cman_catalog_find(l->cat, type))
		return cman_node_error(n, l->err, "%s: unknown instance type '%s'", path, type);
	if (cman_region_of_az(az, region, sizeof(region)) != 0)
		return cman_node_error(n, l->err, "%s: unknown availability zone '%s'", path, az);
	return 0;
}

static int find_source(const struct cman_gen_spec *sp, const char *name)
{
	for (size_t i = 0; i < sp->n_sources; i++)
		if (strcmp(sp->sources[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int find_series(const struct cman_gen_spec *sp, size_t before, const char *name)
{
	for (size_t i = 0; i < before; i++)
		if (strcmp(sp->series[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int parse_sources(struct ld *l, const struct cman_node *m)
{
	static const char *const types[] = { "sqlite", "clusterman_json", "csv", "aws_spot_json",
		"aws_spot_csv", "timeseries_csv", NULL };
	static const enum cman_import_format fmts[] = { CMAN_FMT_SQLITE,
		CMAN_FMT_CLUSTERMAN_JSON, CMAN_FMT_CSV, CMAN_FMT_AWS_JSON, CMAN_FMT_AWS_CSV,
		CMAN_FMT_TIMESERIES };
	struct cman_gen_spec *sp = l->sp;
	int rc;

	if (m->type != CMAN_NODE_MAP)
		return cman_node_error(m, l->err, "sources: expected a mapping of source names");
	sp->sources = calloc(m->n ? m->n : 1, sizeof(*sp->sources));
	if (!sp->sources)
		return cman_error_set(l->err, CMAN_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->n; i++) {
		const struct cman_node *s = m->items[i];
		struct gsource *g = &sp->sources[sp->n_sources];
		struct cman_timeseries_opts ts;
		const char *file = NULL, *product = NULL, *str;
		char path[256], full[4096], dir[4096];
		enum cman_import_format fmt = CMAN_FMT_AUTO;
		int t = -1;
		double d;
		static const char *const ts_keys[] = { "timeseries_csv", "time_column",
			"value_column", "scale", "offset", "start_time", "key", "kind", NULL };
		static const char *const aws_keys[] = { "aws_spot_json", "aws_spot_csv",
			"product", NULL };

		snprintf(path, sizeof(path), "sources.%s", m->keys[i]->scalar);
		if ((rc = copy_name(l, m->keys[i], path, m->keys[i]->scalar, g->name,
				    sizeof(g->name))) != 0)
			return rc;
		if (s->type != CMAN_NODE_MAP)
			return cman_node_error(s, l->err, "%s: expected a mapping like {sqlite: FILE}",
					       path);
		for (int k = 0; types[k]; k++) {
			if (cman_node_get(s, types[k])) {
				if (t >= 0)
					return cman_node_error(s, l->err, "%s: more than one source"
							       " type", path);
				t = k;
			}
		}
		if (t < 0)
			return cman_node_error(s, l->err, "%s: expected one of sqlite, clusterman_json,"
					       " csv, aws_spot_json, aws_spot_csv, timeseries_csv",
					       path);
		fmt = fmts[t];
		if (fmt == CMAN_FMT_TIMESERIES)
			rc = cman_node_check_keys(s, path, ts_keys, l->err);
		else if (fmt == CMAN_FMT_AWS_JSON || fmt == CMAN_FMT_AWS_CSV)
			rc = cman_node_check_keys(s, path, aws_keys, l->err);
		else
			rc = cman_node_check_keys(s, path, (const char *const[]){ types[t], NULL },
						  l->err);
		if (rc)
			return rc;
		if ((rc = opt_string(l, s, types[t], path, &file)) != 0)
			return rc;
		if ((rc = opt_string(l, s, "product", path, &product)) < 0)
			return rc;
		cman_timeseries_opts_init(&ts);
		ts.key = "value";
		if (fmt == CMAN_FMT_TIMESERIES) {
			if ((rc = opt_string(l, s, "time_column", path, &ts.time_column)) < 0 ||
			    (rc = opt_string(l, s, "value_column", path, &ts.value_column)) < 0 ||
			    (rc = opt_string(l, s, "key", path, &ts.key)) < 0 ||
			    (rc = kind_of(l, s, path, &ts.kind)) < 0)
				return rc;
			if ((rc = opt_double(l, s, "scale", path, &d)) < 0)
				return rc;
			if (rc == 0)
				ts.scale = d;
			if ((rc = opt_double(l, s, "offset", path, &d)) < 0)
				return rc;
			if (rc == 0)
				ts.offset = d;
			if ((rc = opt_time(l, s, "start_time", path, &ts.start_time)) < 0)
				return rc;
			ts.relative = rc == 0;
		}
		/* relative to the spec's folder */
		snprintf(dir, sizeof(dir), "%s", l->path);
		str = strrchr(dir, '/');
		if (file[0] == '/' || !str)
			snprintf(full, sizeof(full), "%s", file);
		else
			snprintf(full, sizeof(full), "%.*s/%s", (int)(str - dir), dir, file);
		rc = cman_metrics_open(full, fmt, &ts, product, l->cat, &g->st, l->err);
		if (rc) {
			cman_error_prefix(l->err, "%s:%d:%d: %s", l->path, s->line, s->col, path);
			return rc;
		}
		sp->n_sources++;
	}
	return 0;
}

/* A reference to recorded data: {source: S, kind, key} or {series: NAME}. */
static int parse_ref(struct ld *l, const struct cman_node *n, const char *path, size_t self,
		     bool copy, struct ref *r)
{
	const char *s;
	int rc;

	memset(r, 0, sizeof(*r));
	r->source = -1;
	r->series = -1;
	if (n->type == CMAN_NODE_SCALAR) {   /* a series name */
		if ((rc = cman_node_string(n, path, &s, l->err)) != 0)
			return rc;
		goto series;
	}
	if (n->type != CMAN_NODE_MAP)
		return cman_node_error(n, l->err, "%s: expected a series name or {source, key}",
				       path);
	if ((rc = opt_string(l, n, "series", path, &s)) < 0)
		return rc;
	if (rc == 0) {
		if (cman_node_get(n, "source") || cman_node_get(n, "key") || cman_node_get(n, "kind"))
			return cman_node_error(n, l->err, "%s: series and source exclude each other",
					       path);
		goto series;
	}
	if ((rc = opt_string(l, n, "source", path, &s)) != 0)
		return rc == 1 ? cman_node_error(n, l->err, "%s: missing source (or series)", path)
			: rc;
	r->source = find_source(l->sp, s);
	if (r->source < 0)
		return cman_node_error(cman_node_get(n, "source"), l->err, "%s.source: no source"
				       " named '%s' under sources", path, s);
	r->kind = CMAN_SYSTEM_METRICS;
	if ((rc = kind_of(l, n, path, &r->kind)) < 0)
		return rc;
	r->any_kind = rc == 1 && copy;
	if ((rc = opt_string(l, n, "key", path, &s)) < 0)
		return rc;
	if (rc == 1) {
		if (!copy)
			return cman_node_error(n, l->err, "%s: missing key", path);
		r->any_key = true;
		return 0;
	}
	if (cman_metric_key_normalize(s, r->key, sizeof(r->key), l->err) != 0) {
		const struct cman_node *kn = cman_node_get(n, "key");

		cman_error_prefix(l->err, "%s:%d:%d: %s.key", kn->file, kn->line, kn->col, path);
		return CMAN_EINVAL;
	}
	return 0;
series:
	r->series = find_series(l->sp, self, s);
	if (r->series < 0)
		return cman_node_error(n, l->err, "%s: no series named '%s' before this one", path, s);
	if (l->sp->series[r->series].type == S_COPY)
		return cman_node_error(n, l->err, "%s: series '%s' is a copy of several series",
				       path, s);
	r->kind = l->sp->series[r->series].kind;
	memcpy(r->key, l->sp->series[r->series].key, sizeof(r->key));
	return 0;
}

static int parse_times(struct ld *l, const struct cman_node *n, const char *path,
		       struct gseries *g)
{
	static const char *const kinds[] = { "every", "exponential", "uniform", NULL };
	static const char *const expk[] = { "mean_seconds", NULL };
	static const char *const unik[] = { "min_seconds", "max_seconds", NULL };
	const struct cman_node *v;
	char p[256];
	int which, rc;

	if ((rc = one_of(l, n, path, kinds, &which, &v)) != 0)
		return rc;
	snprintf(p, sizeof(p), "%s.%s", path, kinds[which]);
	if (which == 0) {
		g->tk = T_EVERY;
		if ((rc = cman_node_double(v, p, &g->ta, l->err)) != 0)
			return rc;
		if (g->ta < 1 || g->ta != floor(g->ta))
			return cman_node_error(v, l->err, "%s: expected a whole number of seconds >= 1",
					       p);
	} else if (which == 1) {
		g->tk = T_EXP;
		if ((rc = cman_node_check_keys(v, p, expk, l->err)) != 0 ||
		    (rc = req_double(l, v, "mean_seconds", p, &g->ta)) != 0)
			return rc;
		if (!(g->ta > 0))
			return cman_node_error(v, l->err, "%s.mean_seconds: must be positive", p);
	} else {
		g->tk = T_UNIFORM;
		if ((rc = cman_node_check_keys(v, p, unik, l->err)) != 0 ||
		    (rc = req_double(l, v, "min_seconds", p, &g->ta)) != 0 ||
		    (rc = req_double(l, v, "max_seconds", p, &g->tb)) != 0)
			return rc;
		if (!(g->ta >= 0 && g->tb > g->ta))
			return cman_node_error(v, l->err, "%s: expected 0 <= min_seconds < max_seconds",
					       p);
	}
	return 0;
}

static int parse_value(struct ld *l, const struct cman_node *n, const char *path, size_t self,
		       struct gseries *g)
{
	static const char *const kinds[] = { "uniform", "int_uniform", "normal", "lognormal",
		"constant", "affine", NULL };
	static const char *const mm[] = { "min", "max", NULL };
	static const char *const ns[] = { "mean", "stdev", NULL };
	static const char *const ln[] = { "mu", "sigma", NULL };
	static const char *const af[] = { "source", "series", "kind", "key", "a", "b", NULL };
	const struct cman_node *v;
	char p[256];
	int which, rc;

	if ((rc = one_of(l, n, path, kinds, &which, &v)) != 0)
		return rc;
	snprintf(p, sizeof(p), "%s.%s", path, kinds[which]);
	g->dk = (enum dkind)which;
	switch (g->dk) {
	case D_UNIFORM:
	case D_INT_UNIFORM:
		if ((rc = cman_node_check_keys(v, p, mm, l->err)) != 0 ||
		    (rc = req_double(l, v, "min", p, &g->p1)) != 0 ||
		    (rc = req_double(l, v, "max", p, &g->p2)) != 0)
			return rc;
		if (g->dk == D_INT_UNIFORM &&
		    (g->p1 != floor(g->p1) || g->p2 != floor(g->p2) || g->p2 - g->p1 > 4e9))
			return cman_node_error(v, l->err, "%s: min and max must be integers at most"
					       " 4e9 apart", p);
		if (g->dk == D_UNIFORM ? !(g->p2 > g->p1) : !(g->p2 >= g->p1))
			return cman_node_error(v, l->err, "%s: expected min < max", p);
		break;
	case D_NORMAL:
		if ((rc = cman_node_check_keys(v, p, ns, l->err)) != 0 ||
		    (rc = req_double(l, v, "mean", p, &g->p1)) != 0 ||
		    (rc = req_double(l, v, "stdev", p, &g->p2)) != 0)
			return rc;
		if (!(g->p2 >= 0) || !isfinite(g->p2))
			return cman_node_error(v, l->err, "%s.stdev: must not be negative", p);
		break;
	case D_LOGNORMAL:
		if ((rc = cman_node_check_keys(v, p, ln, l->err)) != 0 ||
		    (rc = req_double(l, v, "mu", p, &g->p1)) != 0 ||
		    (rc = req_double(l, v, "sigma", p, &g->p2)) != 0)
			return rc;
		if (!(g->p2 >= 0) || !isfinite(g->p2) || fabs(g->p1) > 700)
			return cman_node_error(v, l->err, "%s: sigma must not be negative and |mu|"
					       " at most 700", p);
		break;
	case D_CONSTANT:
		if ((rc = cman_node_double(v, p, &g->p1, l->err)) != 0)
			return rc;
		if (!isfinite(g->p1))
			return cman_node_error(v, l->err, "%s: must be finite", p);
		break;
	case D_AFFINE:
		if ((rc = cman_node_check_keys(v, p, af, l->err)) != 0 ||
		    (rc = parse_ref(l, v, p, self, false, &g->ref)) != 0)
			return rc;
		g->a = 1;
		g->b = 0;
		if ((rc = opt_double(l, v, "a", p, &g->a)) < 0 ||
		    (rc = opt_double(l, v, "b", p, &g->b)) < 0)
			return rc;
		if (!isfinite(g->a) || !isfinite(g->b))
			return cman_node_error(v, l->err, "%s: a and b must be finite", p);
		break;
	}
	return 0;
}

static int parse_shape(struct ld *l, const struct cman_node *n, const char *path,
		       struct gseries *g)
{
	static const char *const keys[] = { "daily", "weekly", "weekend", "noise", NULL };
	static const char *const dk[] = { "amplitude", "peak_hour", NULL };
	const struct cman_node *d = cman_node_get(n, "daily"), *w = cman_node_get(n, "weekly");
	char p[256];
	int rc;

	if ((rc = cman_node_check_keys(n, path, keys, l->err)) != 0)
		return rc;
	g->shaped = true;
	for (int i = 0; i < 7; i++)
		g->weekly[i] = 1;
	if (d) {
		snprintf(p, sizeof(p), "%s.daily", path);
		if ((rc = cman_node_check_keys(d, p, dk, l->err)) != 0 ||
		    (rc = req_double(l, d, "amplitude", p, &g->amplitude)) != 0 ||
		    (rc = req_double(l, d, "peak_hour", p, &g->peak_hour)) != 0)
			return rc;
		if (!(g->amplitude >= 0 && g->amplitude <= 1) ||
		    !(g->peak_hour >= 0 && g->peak_hour < 24))
			return cman_node_error(d, l->err, "%s: expected 0 <= amplitude <= 1 and"
					       " 0 <= peak_hour < 24", p);
	}
	if (w && cman_node_get(n, "weekend"))
		return cman_node_error(w, l->err, "%s: weekly and weekend exclude each other", path);
	if (w) {
		snprintf(p, sizeof(p), "%s.weekly", path);
		if (w->type != CMAN_NODE_SEQ || w->n != 7)
			return cman_node_error(w, l->err, "%s: expected a list of 7 factors (Monday"
					       " first)", p);
		for (int i = 0; i < 7; i++) {
			char pi[300];

			snprintf(pi, sizeof(pi), "%s[%d]", p, i);
			if ((rc = cman_node_double(w->items[i], pi, &g->weekly[i], l->err)) != 0)
				return rc;
			if (!(g->weekly[i] >= 0) || !isfinite(g->weekly[i]))
				return cman_node_error(w->items[i], l->err, "%s: must not be negative",
						       pi);
		}
	}
	if ((rc = opt_double(l, n, "weekend", path, &g->weekly[5])) < 0)
		return rc;
	if (rc == 0) {
		if (!(g->weekly[5] >= 0) || !isfinite(g->weekly[5]))
			return cman_node_error(cman_node_get(n, "weekend"), l->err,
					       "%s.weekend: must not be negative", path);
		g->weekly[6] = g->weekly[5];
	}
	if ((rc = opt_double(l, n, "noise", path, &g->noise)) < 0)
		return rc;
	if (!(g->noise >= 0) || !isfinite(g->noise))
		return cman_node_error(n, l->err, "%s.noise: must not be negative", path);
	return 0;
}

static int parse_price(struct ld *l, const struct cman_node *n, const char *path,
		       struct gseries *g)
{
	static const char *const keys[] = { "market", "mu", "theta", "sigma", "jump_rate",
		"jump_log_mean", "jump_log_stdev", "floor", "ceiling", "start", "tick",
		"dt_seconds", "heartbeat_hours", "spike_rate", "spikes", NULL };
	struct cman_price_model *m = &g->pm;
	const struct cman_node *sl;
	char type[CMAN_TYPE_MAX], az[CMAN_AZ_MAX], p[256], why[128];
	const struct cman_node *mk = cman_node_get(n, "market");
	double d;
	int rc;

	if ((rc = cman_node_check_keys(n, path, keys, l->err)) != 0)
		return rc;
	if (!mk)
		return cman_node_error(n, l->err, "%s: missing market", path);
	snprintf(p, sizeof(p), "%s.market", path);
	if ((rc = parse_market(l, mk, p, type, az)) != 0)
		return rc;
	cman_metric_key_spot_price(g->key, sizeof(g->key), type, az);
	g->kind = CMAN_METADATA;
	cman_price_model_init(m);
	if ((rc = req_double(l, n, "mu", path, &m->mu)) != 0 ||
	    (rc = opt_double(l, n, "theta", path, &m->theta)) < 0 ||
	    (rc = opt_double(l, n, "sigma", path, &m->sigma)) < 0 ||
	    (rc = opt_double(l, n, "jump_rate", path, &m->jump_rate)) < 0 ||
	    (rc = opt_double(l, n, "jump_log_mean", path, &m->jump_log_mean)) < 0 ||
	    (rc = opt_double(l, n, "jump_log_stdev", path, &m->jump_log_stdev)) < 0 ||
	    (rc = opt_double(l, n, "floor", path, &m->floor)) < 0 ||
	    (rc = opt_double(l, n, "ceiling", path, &m->ceiling)) < 0 ||
	    (rc = opt_double(l, n, "start", path, &m->start)) < 0 ||
	    (rc = opt_double(l, n, "tick", path, &m->tick)) < 0)
		return rc;
	if ((rc = opt_double(l, n, "dt_seconds", path, &d)) < 0)
		return rc;
	if (rc == 0) {
		if (d != floor(d) || d < 1 || d > 86400)
			return cman_node_error(cman_node_get(n, "dt_seconds"), l->err,
					       "%s.dt_seconds: expected whole seconds in 1..86400", path);
		m->dt = (int64_t)d;
	}
	if ((rc = opt_double(l, n, "heartbeat_hours", path, &d)) < 0)
		return rc;
	if (rc == 0) {
		if (!(d >= 0 && d <= 24 * 365))
			return cman_node_error(cman_node_get(n, "heartbeat_hours"), l->err,
					       "%s.heartbeat_hours: expected 0..8760", path);
		m->heartbeat = (int64_t)llround(d * 3600);
	}
	if ((rc = opt_double(l, n, "spike_rate", path, &m->spike_rate)) < 0)
		return rc;
	if ((sl = cman_node_get(n, "spikes")) && !sl->null) {
		if (sl->type != CMAN_NODE_SEQ || sl->n < 1 || sl->n > CMAN_PRICE_MAX_SPIKES)
			return cman_node_error(sl, l->err, "%s.spikes: expected a list of 1 to %d "
					       "[hours, level] pairs", path, CMAN_PRICE_MAX_SPIKES);
		for (size_t i = 0; i < sl->n; i++) {
			const struct cman_node *it = sl->items[i];
			double v[2];

			snprintf(p, sizeof(p), "%s.spikes[%zu]", path, i);
			if (it->type != CMAN_NODE_SEQ || it->n != 2)
				return cman_node_error(it, l->err, "%s: expected [hours, level]", p);
			for (int k = 0; k < 2; k++)
				if ((rc = cman_node_double(it->items[k], p, &v[k], l->err)) != 0)
					return rc;
			if (!(v[0] > 0) || !(v[1] > 0) || !isfinite(v[0]) || !isfinite(v[1]))
				return cman_node_error(it, l->err, "%s: expected a positive duration "
						       "in hours and a positive price", p);
			m->spikes[i].hours = v[0];
			m->spikes[i].level = v[1];
		}
		m->n_spikes = sl->n;
	}
	if (cman_price_model_check(m, why, sizeof(why)))
		return cman_node_error(n, l->err, "%s: %s", path, why);
	return 0;
}

static int parse_capacity(struct ld *l, const struct cman_node *n, const char *path,
			  size_t self, struct gseries *g)
{
	static const char *const keys[] = { "load", "setpoint", "every", "markets",
		"cpus_per_weight", "min_instances", "target_metric", NULL };
	static const char *const mkeys[] = { "market", "share", NULL };
	const struct cman_node *ms = cman_node_get(n, "markets"), *ld = cman_node_get(n, "load");
	const char *tm;
	char p[256];
	double d, total = 0;
	int rc;

	if ((rc = cman_node_check_keys(n, path, keys, l->err)) != 0)
		return rc;
	if (!ld)
		return cman_node_error(n, l->err, "%s: missing load", path);
	snprintf(p, sizeof(p), "%s.load", path);
	if ((rc = parse_ref(l, ld, p, self, false, &g->ref)) != 0)
		return rc;
	g->setpoint = 0.7;
	g->cpus_per_weight = 1;
	g->every = 600;
	if ((rc = opt_double(l, n, "setpoint", path, &g->setpoint)) < 0 ||
	    (rc = opt_double(l, n, "cpus_per_weight", path, &g->cpus_per_weight)) < 0)
		return rc;
	if (!(g->setpoint > 0 && g->setpoint <= 1))
		return cman_node_error(n, l->err, "%s.setpoint: expected 0 < setpoint <= 1", path);
	if (!(g->cpus_per_weight > 0) || !isfinite(g->cpus_per_weight))
		return cman_node_error(n, l->err, "%s.cpus_per_weight: must be positive", path);
	if ((rc = opt_double(l, n, "every", path, &d)) < 0)
		return rc;
	if (rc == 0) {
		if (d < 1 || d != floor(d) || d > 1e9)
			return cman_node_error(cman_node_get(n, "every"), l->err,
					       "%s.every: expected whole seconds >= 1", path);
		g->every = (int64_t)d;
	}
	if ((rc = opt_double(l, n, "min_instances", path, &d)) < 0)
		return rc;
	if (rc == 0) {
		if (d < 0 || d != floor(d) || d > MAX_INSTANCES)
			return cman_node_error(cman_node_get(n, "min_instances"), l->err,
					       "%s.min_instances: expected a whole number >= 0", path);
		g->min_instances = (int64_t)d;
	}
	if (!ms || ms->type != CMAN_NODE_SEQ || ms->n == 0)
		return cman_node_error(ms ? ms : n, l->err, "%s.markets: expected a non-empty list"
				       " of markets", path);
	g->markets = calloc(ms->n, sizeof(*g->markets));
	if (!g->markets)
		return cman_error_set(l->err, CMAN_ENOMEM, "out of memory");
	for (size_t i = 0; i < ms->n; i++) {
		const struct cman_node *it = ms->items[i], *mk = it;
		struct gmarket *gm = &g->markets[i];
		const struct cman_instance_type *ty;

		snprintf(p, sizeof(p), "%s.markets[%zu]", path, i);
		gm->share = 1;
		if (it->type == CMAN_NODE_MAP) {
			if ((rc = cman_node_check_keys(it, p, mkeys, l->err)) != 0 ||
			    (rc = opt_double(l, it, "share", p, &gm->share)) < 0)
				return rc;
			if (!(gm->share >= 0) || !isfinite(gm->share))
				return cman_node_error(it, l->err, "%s.share: must not be negative", p);
			mk = cman_node_get(it, "market");
			if (!mk)
				return cman_node_error(it, l->err, "%s: missing market", p);
			snprintf(p + strlen(p), sizeof(p) - strlen(p), ".market");
		}
		if ((rc = parse_market(l, mk, p, gm->type, gm->az)) != 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(g->markets[k].type, gm->type) && !strcmp(g->markets[k].az, gm->az))
				return cman_node_error(mk, l->err, "%s: market listed twice", p);
		ty = cman_catalog_find(l->cat, gm->type);
		gm->cpus = ty->cpus;
		gm->weight = floor(ty->cpus / g->cpus_per_weight);
		if (gm->weight < 1)
			return cman_node_error(mk, l->err, "%s: %s has %g vCPUs, fewer than"
					       " cpus_per_weight", p, gm->type, ty->cpus);
		total += gm->share;
		g->n_markets++;
	}
	if (!(total > 0))
		return cman_node_error(ms, l->err, "%s.markets: the shares sum to 0", path);
	for (size_t i = 0; i < g->n_markets; i++)
		g->markets[i].share /= total;
	if ((rc = opt_string(l, n, "target_metric", path, &tm)) < 0)
		return rc;
	if (rc == 0) {
		if (!l->sp->have_pool)
			return cman_node_error(n, l->err, "%s.target_metric: needs cluster and pool"
					       " at the top of the spec", path);
		if (cman_metric_key_pool(g->target_key, sizeof(g->target_key), tm, l->sp->cluster,
					 l->sp->pool, l->sp->scheduler) != 0)
			return cman_node_error(n, l->err, "%s.target_metric: key too long", path);
		g->has_target = true;
	}
	return 0;
}

static bool metadata_metric(const char *name)
{
	static const char *const md[] = { "cpus_total", "mem_total", "disk_total",
		"gpus_total", "target_capacity", "fulfilled_capacity",
		"non_orphan_fulfilled_capacity", "spot_prices", NULL };

	for (int i = 0; md[i]; i++)
		if (!strcmp(md[i], name))
			return true;
	return false;
}

static int parse_series(struct ld *l, const struct cman_node *n, size_t idx)
{
	static const char *const keys[] = { "name", "metric", "key", "kind", "start_time",
		"end_time", "times", "value", "shape", "min", "max", "round", "spot_price",
		"capacity_follows_load", "copy", NULL };
	static const char *const cpk[] = { "source", "kind", "key", NULL };
	struct cman_gen_spec *sp = l->sp;
	struct gseries *g = &sp->series[idx];
	const char *name, *metric = NULL, *key = NULL;
	const struct cman_node *val = cman_node_get(n, "value"),
		*pr = cman_node_get(n, "spot_price"),
		*cap = cman_node_get(n, "capacity_follows_load"), *cp = cman_node_get(n, "copy");
	char path[300], p[330], mname[CMAN_KEY_MAX];
	int rc, kinds;

	snprintf(path, sizeof(path), "series[%zu]", idx);
	if ((rc = cman_node_check_keys(n, path, keys, l->err)) != 0)
		return rc;
	if ((rc = opt_string(l, n, "name", path, &name)) != 0)
		return rc == 1 ? cman_node_error(n, l->err, "%s: missing name", path) : rc;
	if ((rc = copy_name(l, n, "name", name, g->name, sizeof(g->name))) != 0)
		return rc;
	if (find_series(sp, idx, name) >= 0)
		return cman_node_error(cman_node_get(n, "name"), l->err, "%s.name: '%s' is used by"
				       " an earlier series", path, name);
	snprintf(path, sizeof(path), "series '%s'", name);
	kinds = !!val + !!pr + !!cap + !!cp;
	if (kinds != 1)
		return cman_node_error(n, l->err, "%s: expected exactly one of value, spot_price,"
				       " capacity_follows_load or copy", path);
	g->start = sp->start;
	g->end = sp->end;
	if ((rc = opt_time(l, n, "start_time", path, &g->start)) < 0 ||
	    (rc = opt_time(l, n, "end_time", path, &g->end)) < 0)
		return rc;
	if (g->end <= g->start)
		return cman_node_error(n, l->err, "%s: end_time must be after start_time", path);
	if ((rc = opt_string(l, n, "metric", path, &metric)) < 0 ||
	    (rc = opt_string(l, n, "key", path, &key)) < 0)
		return rc;
	if (metric && key)
		return cman_node_error(n, l->err, "%s: metric and key exclude each other", path);
	if ((pr || cp) && (metric || key || cman_node_get(n, "kind")))
		return cman_node_error(n, l->err, "%s: a %s series has no metric, key or kind",
				       path, pr ? "spot_price" : "copy");
	if (!val && (cman_node_get(n, "times") || cman_node_get(n, "shape") ||
		     cman_node_get(n, "min") || cman_node_get(n, "max") || cman_node_get(n, "round")))
		return cman_node_error(n, l->err, "%s: times, shape, min, max and round belong to"
				       " value series", path);
	if (cap && !metric && !key)
		metric = "fulfilled_capacity";
	if (!pr && !cp) {
		if (!metric && !key)
			return cman_node_error(n, l->err, "%s: missing metric (or key)", path);
		if (metric) {
			if (!sp->have_pool)
				return cman_node_error(n, l->err, "%s: metric needs cluster and pool at"
						       " the top of the spec (or use key)", path);
			if (cman_metric_key_pool(g->key, sizeof(g->key), metric, sp->cluster,
						 sp->pool, sp->scheduler) != 0)
				return cman_node_error(n, l->err, "%s: key too long", path);
		} else if (cman_metric_key_normalize(key, g->key, sizeof(g->key), l->err) != 0) {
			const struct cman_node *kn = cman_node_get(n, "key");

			cman_error_prefix(l->err, "%s:%d:%d: %s.key", kn->file, kn->line, kn->col,
					  path);
			return CMAN_EINVAL;
		}
		cman_metric_key_name(g->key, mname, sizeof(mname));
		g->kind = metadata_metric(mname) ? CMAN_METADATA : CMAN_SYSTEM_METRICS;
		if ((rc = kind_of(l, n, path, &g->kind)) < 0)
			return rc;
	}
	if (pr) {
		g->type = S_PRICE;
		snprintf(p, sizeof(p), "%s.spot_price", path);
		return parse_price(l, pr, p, g);
	}
	if (cap) {
		g->type = S_CAPACITY;
		snprintf(p, sizeof(p), "%s.capacity_follows_load", path);
		return parse_capacity(l, cap, p, idx, g);
	}
	if (cp) {
		g->type = S_COPY;
		snprintf(p, sizeof(p), "%s.copy", path);
		if ((rc = cman_node_check_keys(cp, p, cpk, l->err)) != 0)
			return rc;
		return parse_ref(l, cp, p, idx, true, &g->ref);
	}
	g->type = S_VALUES;
	snprintf(p, sizeof(p), "%s.value", path);
	if ((rc = parse_value(l, val, p, idx, g)) != 0)
		return rc;
	if (cman_node_get(n, "times")) {
		snprintf(p, sizeof(p), "%s.times", path);
		if ((rc = parse_times(l, cman_node_get(n, "times"), p, g)) != 0)
			return rc;
	} else if (g->dk == D_AFFINE) {
		g->tk = T_SOURCE;
	} else {
		return cman_node_error(n, l->err, "%s: missing times", path);
	}
	if (cman_node_get(n, "shape")) {
		snprintf(p, sizeof(p), "%s.shape", path);
		if ((rc = parse_shape(l, cman_node_get(n, "shape"), p, g)) != 0)
			return rc;
	}
	if ((rc = opt_double(l, n, "min", path, &g->min)) < 0)
		return rc;
	g->has_min = rc == 0;
	if ((rc = opt_double(l, n, "max", path, &g->max)) < 0)
		return rc;
	g->has_max = rc == 0;
	if (g->has_min && g->has_max && g->max < g->min)
		return cman_node_error(n, l->err, "%s: max is below min", path);
	if ((rc = opt_double(l, n, "round", path, &g->round)) < 0)
		return rc;
	if (rc == 0 && !(g->round > 0 && isfinite(g->round)))
		return cman_node_error(cman_node_get(n, "round"), l->err, "%s.round: must be"
				       " positive", path);
	return 0;
}

void cman_gen_spec_free(struct cman_gen_spec *sp)
{
	if (!sp)
		return;
	for (size_t i = 0; i < sp->n_sources; i++)
		cman_store_free(sp->sources[i].st);
	free(sp->sources);
	for (size_t i = 0; sp->series && i < sp->n_series; i++)
		free(sp->series[i].markets);
	free(sp->series);
	free(sp);
}

void cman_gen_spec_set_seed(struct cman_gen_spec *spec, uint64_t seed)
{
	spec->seed = seed;
}

int cman_gen_spec_load(const char *path, struct cman_gen_spec **out, struct cman_error *err)
{
	static const char *const keys[] = { "seed", "start_time", "end_time", "cluster", "pool",
		"scheduler", "sources", "series", NULL };
	struct cman_node *root = NULL;
	struct cman_gen_spec *sp = NULL;
	struct ld l = { path, NULL, NULL, err };
	const struct cman_node *ser, *src, *seedn;
	const char *s;
	int rc, rc2;

	*out = NULL;
	rc = cman_catalog_builtin(&l.cat, err);
	if (rc)
		return rc;
	rc = cman_yaml_load_file(path, &root, err);
	if (rc)
		return rc;
	sp = calloc(1, sizeof(*sp));
	if (!sp) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	l.sp = sp;
	if ((rc = cman_node_check_keys(root, "the spec", keys, err)) != 0)
		goto out;
	seedn = cman_node_get(root, "seed");
	if (seedn) {
		int64_t v;

		if ((rc = cman_node_int64(seedn, "seed", &v, err)) != 0)
			goto out;
		if (v < 0) {
			rc = cman_node_error(seedn, err, "seed: expected a non-negative integer");
			goto out;
		}
		sp->seed = (uint64_t)v;
	}
	if ((rc = opt_time(&l, root, "start_time", "the spec", &sp->start)) != 0 ||
	    (rc = opt_time(&l, root, "end_time", "the spec", &sp->end)) != 0) {
		if (rc == 1)
			rc = cman_node_error(root, err, "missing %s", cman_node_get(root, "start_time")
					     ? "end_time" : "start_time");
		goto out;
	}
	if (sp->end <= sp->start) {
		rc = cman_node_error(cman_node_get(root, "end_time"), err,
				     "end_time must be after start_time");
		goto out;
	}
	snprintf(sp->scheduler, sizeof(sp->scheduler), "mesos");
	rc = opt_string(&l, root, "cluster", "", &s);
	if (rc < 0)
		goto out;
	if (rc == 0 && (rc = copy_name(&l, root, "cluster", s, sp->cluster, sizeof(sp->cluster))))
		goto out;
	rc2 = opt_string(&l, root, "pool", "", &s);
	if (rc2 < 0) {
		rc = rc2;
		goto out;
	}
	if (rc2 == 0 && (rc = copy_name(&l, root, "pool", s, sp->pool, sizeof(sp->pool))))
		goto out;
	if (rc != rc2) {
		rc = cman_node_error(root, err, "cluster and pool go together");
		goto out;
	}
	sp->have_pool = rc == 0;
	rc = opt_string(&l, root, "scheduler", "", &s);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		if (strcmp(s, "mesos") && strcmp(s, "kubernetes")) {
			rc = cman_node_error(cman_node_get(root, "scheduler"), err,
					     "scheduler: expected mesos or kubernetes");
			goto out;
		}
		snprintf(sp->scheduler, sizeof(sp->scheduler), "%s", s);
	}
	src = cman_node_get(root, "sources");
	if (src && (rc = parse_sources(&l, src)) != 0)
		goto out;
	ser = cman_node_get(root, "series");
	if (!ser || ser->type != CMAN_NODE_SEQ || ser->n == 0) {
		rc = cman_node_error(ser ? ser : root, err, "series: expected a non-empty list");
		goto out;
	}
	sp->series = calloc(ser->n, sizeof(*sp->series));
	if (!sp->series) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ser->n; i++) {
		sp->n_series = i + 1;
		if ((rc = parse_series(&l, ser->items[i], i)) != 0)
			goto out;
	}
	rc = 0;
out:
	cman_node_free(root);
	if (rc) {
		cman_gen_spec_free(sp);
		return rc;
	}
	*out = sp;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Generation                                                          */
/* ------------------------------------------------------------------ */

struct run {
	const struct cman_gen_spec *sp;
	struct cman_store *dst;
	struct cman_import_stats stats;
	const struct gseries *g;
	struct cman_error *err;
};

static int put(struct run *r, enum cman_metric_kind kind, const char *key,
	       const struct cman_sample *s, bool *first)
{
	int rc = cman_store_write(r->dst, kind, key, s, r->err);

	if (rc) {
		cman_error_prefix(r->err, "series '%s'", r->g->name);
		return rc;
	}
	r->stats.samples++;
	if (*first) {
		r->stats.series++;
		*first = false;
	}
	return 0;
}

static int put_value(struct run *r, int64_t t, double v, bool *first)
{
	struct cman_sample s = { .t = t, .value = v };

	return put(r, r->g->kind, r->g->key, &s, first);
}

/* The value in force of a recorded series, read alongside increasing times. */
struct stepper {
	struct cman_cursor *cur;
	struct cman_sample next;
	bool have_next, have;
	double value;
};

static struct cman_store *ref_store(const struct run *r, const struct ref *ref)
{
	return ref->source >= 0 ? r->sp->sources[ref->source].st : r->dst;
}

static int stepper_open(struct run *r, const struct ref *ref, int64_t t0, struct stepper *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = cman_store_open_cursor(ref_store(r, ref), ref->kind, ref->key, t0, INT64_MAX,
				    CMAN_CURSOR_WITH_PRIOR, &s->cur, r->err);
	if (rc)
		return rc;
	rc = cman_cursor_next(s->cur, &s->next, r->err);
	s->have_next = rc == 1;
	return rc < 0 ? rc : 0;
}

static int stepper_at(struct stepper *s, int64_t t, struct cman_error *err)
{
	while (s->have_next && s->next.t <= t) {
		int rc;

		s->value = s->next.value;
		s->have = true;
		rc = cman_cursor_next(s->cur, &s->next, err);
		if (rc < 0)
			return rc;
		s->have_next = rc == 1;
	}
	return 0;
}

static double shape_at(const struct gseries *g, int64_t t, gsl_rng *noise)
{
	int64_t sod = ((t % 86400) + 86400) % 86400;
	int64_t day = (t - sod) / 86400;
	int dow = (int)(((day + 3) % 7 + 7) % 7);   /* 1970-01-01 was a Thursday; Monday 0 */
	double h = (double)sod / 3600.0, m;

	m = (1 + g->amplitude * cos(2 * M_PI * (h - g->peak_hour) / 24.0)) * g->weekly[dow];
	if (g->noise > 0) {
		m *= 1 + g->noise * gsl_ran_gaussian(noise, 1.0);
		if (m < 0)
			m = 0;
	}
	return m;
}

static double draw(const struct gseries *g, gsl_rng *r)
{
	switch (g->dk) {
	case D_UNIFORM:
		return g->p1 + (g->p2 - g->p1) * gsl_rng_uniform(r);
	case D_INT_UNIFORM:
		return g->p1 + (double)gsl_rng_uniform_int(r, (unsigned long)(g->p2 - g->p1) + 1);
	case D_NORMAL:
		return g->p1 + gsl_ran_gaussian(r, g->p2);
	case D_LOGNORMAL:
		return gsl_ran_lognormal(r, g->p1, g->p2);
	default:
		return g->p1;
	}
}

static double finish(const struct gseries *g, double v)
{
	if (g->has_min && v < g->min)
		v = g->min;
	if (g->has_max && v > g->max)
		v = g->max;
	if (g->round > 0) {
		double inv = 1.0 / g->round;

		/* a step like 0.001: divide by 1000 so the result is the nearest
		 * double to the decimal (631.608, not 631.6080000000001) */
		if (inv >= 1 && fabs(inv - round(inv)) < 1e-9)
			v = round(v * round(inv)) / round(inv);
		else
			v = round(v / g->round) * g->round;
	}
	return v;
}

static gsl_rng *stream(const struct run *r, const char *what)
{
	char name[NAME_MAX_LEN + 16];

	snprintf(name, sizeof(name), "%s/%s", r->g->name, what);
	return cman_rng_stream(r->sp->seed, name);
}

static int gen_values(struct run *r)
{
	const struct gseries *g = r->g;
	gsl_rng *rt = stream(r, "times"), *rv = stream(r, "values"), *rn = stream(r, "noise");
	struct stepper st = { 0 };
	bool first = true, src_done = false;
	double tt = (double)g->start;
	int64_t t = g->start;
	int rc = 0;

	if (!rt || !rv || !rn) {
		rc = cman_error_set(r->err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	if (g->dk == D_AFFINE && (rc = stepper_open(r, &g->ref, g->start, &st)) != 0)
		goto out;
	if (g->tk == T_SOURCE) {
		/* the source's own times: the one in force at start, then each later one */
		if (!st.have_next) {
			src_done = true;
		} else if (st.next.t > g->start) {
			t = st.next.t;
		}
	}
	while (!src_done && t < g->end) {
		double v;

		if (g->dk == D_AFFINE) {
			if ((rc = stepper_at(&st, t, r->err)) != 0)
				goto out;
			if (!st.have)
				goto next;   /* nothing recorded yet */
			v = g->a * st.value + g->b;
		} else {
			v = draw(g, rv);
		}
		if (g->shaped)
			v *= shape_at(g, t, rn);
		if ((rc = put_value(r, t, finish(g, v), &first)) != 0)
			goto out;
next:
		switch (g->tk) {
		case T_EVERY:
			t += (int64_t)g->ta;
			break;
		case T_EXP:
		case T_UNIFORM:
			tt += g->tk == T_EXP ? gsl_ran_exponential(rt, g->ta)
				: g->ta + (g->tb - g->ta) * gsl_rng_uniform(rt);
			if (tt >= (double)g->end)
				goto out;
			t = (int64_t)floor(tt);
			break;
		case T_SOURCE:
			if (!st.have_next) {
				src_done = true;
				break;
			}
			t = st.next.t;
			break;
		}
	}
out:
	cman_cursor_close(st.cur);
	gsl_rng_free(rt);
	gsl_rng_free(rv);
	gsl_rng_free(rn);
	if (!rc && first && g->tk == T_SOURCE)
		return cman_error_set(r->err, CMAN_EINVAL, "series '%s': the series it reads (%s"
				      " '%s') has no samples before %" PRId64, g->name,
				      cman_kind_name(g->ref.kind), g->ref.key, g->end);
	return rc;
}

struct price_ctx {
	struct run *r;
	bool first;
};

static int price_cb(void *vctx, int64_t t, double price)
{
	struct price_ctx *c = vctx;

	return put_value(c->r, t, price, &c->first);
}

static int gen_price(struct run *r)
{
	struct price_ctx c = { r, true };
	gsl_rng *rng = stream(r, "price");
	/* the spike regime draws from its own stream */
	gsl_rng *spikes = r->g->pm.spike_rate > 0 ? stream(r, "spikes") : NULL;
	int rc;

	if (!rng || (r->g->pm.spike_rate > 0 && !spikes)) {
		if (rng)
			gsl_rng_free(rng);
		if (spikes)
			gsl_rng_free(spikes);
		return cman_error_set(r->err, CMAN_ENOMEM, "out of memory");
	}
	rc = cman_price_simulate_regimes(&r->g->pm, rng, spikes, r->g->start, r->g->end,
					 price_cb, &c, r->err);
	gsl_rng_free(rng);
	if (spikes)
		gsl_rng_free(spikes);
	return rc;
}

static int gen_capacity(struct run *r)
{
	const struct gseries *g = r->g;
	struct cman_market_value *mv = NULL;
	struct stepper st;
	double *x = NULL, *cnt = NULL;
	bool first = true, first_t = true;
	int rc;

	rc = stepper_open(r, &g->ref, g->start, &st);
	if (rc)
		return rc;
	mv = calloc(g->n_markets, sizeof(*mv));
	x = calloc(g->n_markets, sizeof(*x));
	cnt = calloc(g->n_markets, sizeof(*cnt));
	if (!mv || !x || !cnt) {
		rc = cman_error_set(r->err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	for (int64_t t = g->start; t < g->end; t += g->every) {
		struct cman_sample s = { .t = t, .is_map = true, .markets = mv };
		double need, covered = 0, total_inst = 0, total_w = 0;

		if ((rc = stepper_at(&st, t, r->err)) != 0)
			goto out;
		need = st.have && st.value > 0 ? st.value / g->setpoint : 0;
		for (size_t i = 0; i < g->n_markets; i++) {
			x[i] = need * g->markets[i].share / g->markets[i].cpus;
			if (x[i] > MAX_INSTANCES) {
				rc = cman_error_set(r->err, CMAN_EINVAL, "series '%s': the load %g"
						    " needs more than %g instances", g->name,
						    st.value, MAX_INSTANCES);
				goto out;
			}
			cnt[i] = floor(x[i]);
			covered += cnt[i] * g->markets[i].cpus;
			total_inst += cnt[i];
		}
		/* cover the need, then the minimum, adding where the deficit is largest */
		while (covered < need - 1e-9 || total_inst < (double)g->min_instances) {
			size_t best = 0;

			for (size_t i = 1; i < g->n_markets; i++)
				if (x[i] - cnt[i] > x[best] - cnt[best])
					best = i;
			cnt[best] += 1;
			covered += g->markets[best].cpus;
			total_inst += 1;
		}
		s.n_markets = 0;
		for (size_t i = 0; i < g->n_markets; i++) {
			if (cnt[i] <= 0)
				continue;
			mv[s.n_markets].instance_type = g->markets[i].type;
			mv[s.n_markets].az = g->markets[i].az;
			mv[s.n_markets].value = cnt[i] * g->markets[i].weight;
			total_w += mv[s.n_markets].value;
			s.n_markets++;
		}
		s.value = total_w;
		if ((rc = put(r, g->kind, g->key, &s, &first)) != 0)
			goto out;
		if (g->has_target) {
			struct cman_sample ts = { .t = t, .value = total_w };

			if ((rc = put(r, CMAN_METADATA, g->target_key, &ts, &first_t)) != 0)
				goto out;
		}
	}
out:
	cman_cursor_close(st.cur);
	free(mv);
	free(x);
	free(cnt);
	return rc;
}

struct copy_ctx {
	struct run *r;
	enum cman_metric_kind kind;
};

static int copy_key(void *vctx, const char *key)
{
	struct copy_ctx *c = vctx;
	struct run *r = c->r;
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	bool first = true;
	int rc;

	rc = cman_store_open_cursor(ref_store(r, &r->g->ref), c->kind, key, r->g->start,
				    r->g->end - 1, CMAN_CURSOR_WITH_PRIOR, &cur, r->err);
	if (rc)
		return rc;
	while ((rc = cman_cursor_next(cur, &s, r->err)) == 1)
		if ((rc = put(r, c->kind, key, &s, &first)) != 0)
			break;
	cman_cursor_close(cur);
	return rc < 0 ? rc : 0;
}

static int gen_copy(struct run *r)
{
	const struct ref *ref = &r->g->ref;
	struct copy_ctx c = { r, ref->kind };
	size_t before = r->stats.samples;
	int rc = 0;

	for (int k = 0; k < CMAN_KIND_COUNT && !rc; k++) {
		if (!ref->any_kind && k != (int)ref->kind)
			continue;
		c.kind = (enum cman_metric_kind)k;
		if (ref->any_key)
			rc = cman_store_keys(ref_store(r, ref), c.kind, "", copy_key, &c, r->err);
		else
			rc = copy_key(&c, ref->key);
	}
	if (!rc && r->stats.samples == before)
		return cman_error_set(r->err, CMAN_EINVAL, "series '%s': source '%s' has no"
				      " matching samples in the window", r->g->name,
				      r->sp->sources[ref->source].name);
	return rc;
}

int cman_gen_run(const struct cman_gen_spec *spec, struct cman_store *dst,
		 struct cman_import_stats *stats, struct cman_error *err)
{
	struct run r = { spec, dst, { 0, 0 }, NULL, err };
	int rc = 0;

	for (size_t i = 0; i < spec->n_series && !rc; i++) {
		r.g = &spec->series[i];
		switch (r.g->type) {
		case S_VALUES:
			rc = gen_values(&r);
			break;
		case S_PRICE:
			rc = gen_price(&r);
			break;
		case S_CAPACITY:
			rc = gen_capacity(&r);
			break;
		case S_COPY:
			rc = gen_copy(&r);
			break;
		}
	}
	if (stats)
		*stats = r.stats;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Exporters                                                           */
/* ------------------------------------------------------------------ */

struct out {
	FILE *fp;
	gzFile gz;
	char buf[65536];
	size_t n;
	bool failed;
};

static void out_flush(struct out *o)
{
	if (!o->n || o->failed)
		return;
	if (o->gz) {
		if (gzwrite(o->gz, o->buf, (unsigned)o->n) != (int)o->n)
			o->failed = true;
	} else if (fwrite(o->buf, 1, o->n, o->fp) != o->n) {
		o->failed = true;
	}
	o->n = 0;
}

static void out_str(struct out *o, const char *s)
{
	size_t len = strlen(s);

	if (o->n + len > sizeof(o->buf))
		out_flush(o);
	if (len > sizeof(o->buf)) {
		o->failed = true;
		return;
	}
	memcpy(o->buf + o->n, s, len);
	o->n += len;
}

/* The shortest of %.15g/%.16g/%.17g that reads back as v. */
static void fmt_num(char *buf, size_t n, double v)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* A double-quoted string: CSV doubles quotes, JSON escapes. */
static void out_quoted(struct out *o, const char *s, bool json)
{
	char tmp[8];

	out_str(o, "\"");
	for (; *s; s++) {
		if (*s == '"')
			out_str(o, json ? "\\\"" : "\"\"");
		else if (json && *s == '\\')
			out_str(o, "\\\\");
		else if (json && (unsigned char)*s < 0x20) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned char)*s);
			out_str(o, tmp);
		} else {
			tmp[0] = *s;
			tmp[1] = '\0';
			out_str(o, tmp);
		}
	}
	out_str(o, "\"");
}

struct exp_ctx {
	struct cman_store *src;
	struct out *o;
	enum cman_metric_kind kind;
	bool json, first_key;
	size_t keys;
	struct cman_error *err;
};

static int count_key(void *vctx, const char *key)
{
	((struct exp_ctx *)vctx)->keys++;
	return 0;
}

static int export_key(void *vctx, const char *key)
{
	struct exp_ctx *c = vctx;
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	char num[40], tb[CMAN_TIME_BUFSZ], mk[CMAN_TYPE_MAX + CMAN_AZ_MAX + 8];
	bool first = true;
	int rc;

	rc = cman_store_open_cursor(c->src, c->kind, key, INT64_MIN, INT64_MAX, 0, &cur, c->err);
	if (rc)
		return rc;
	if (c->json) {
		out_str(c->o, c->first_key ? "\n" : ",\n");
		out_quoted(c->o, key, true);
		out_str(c->o, ":[");
		c->first_key = false;
	}
	while ((rc = cman_cursor_next(cur, &s, c->err)) == 1) {
		if (c->json) {
			out_str(c->o, first ? "[" : ",\n[");
			first = false;
			out_quoted(c->o, cman_time_format(s.t, tb), true);
			out_str(c->o, ",");
			if (s.is_map) {
				out_str(c->o, "{");
				for (size_t i = 0; i < s.n_markets; i++) {
					cman_market_format(mk, sizeof(mk), s.markets[i].instance_type,
							   s.markets[i].az);
					out_str(c->o, i ? "," : "");
					out_quoted(c->o, mk, true);
					fmt_num(num, sizeof(num), s.markets[i].value);
					out_str(c->o, ":");
					out_str(c->o, num);
				}
				out_str(c->o, "}");
			} else {
				fmt_num(num, sizeof(num), s.value);
				out_str(c->o, num);
			}
			out_str(c->o, "]");
			continue;
		}
		snprintf(num, sizeof(num), ",%" PRId64 ",", s.t);
		if (s.is_map && s.n_markets == 0) {
			out_str(c->o, cman_kind_name(c->kind));
			out_str(c->o, ",");
			out_quoted(c->o, key, false);
			out_str(c->o, num);
			out_str(c->o, "{},\n");
		}
		for (size_t i = 0; i < (s.is_map ? s.n_markets : 1); i++) {
			char tnum[40];

			out_str(c->o, cman_kind_name(c->kind));
			out_str(c->o, ",");
			out_quoted(c->o, key, false);
			out_str(c->o, num);
			if (s.is_map) {
				cman_market_format(mk, sizeof(mk), s.markets[i].instance_type,
						   s.markets[i].az);
				out_quoted(c->o, mk, false);
			}
			out_str(c->o, ",");
			fmt_num(tnum, sizeof(tnum), s.is_map ? s.markets[i].value : s.value);
			out_str(c->o, tnum);
			out_str(c->o, "\n");
		}
	}
	cman_cursor_close(cur);
	if (c->json)
		out_str(c->o, "]");
	return rc < 0 ? rc : 0;
}

static int export_store(struct cman_store *src, const char *path, bool json,
			struct cman_error *err)
{
	char tmp[4200];
	struct out *o = calloc(1, sizeof(*o));
	struct exp_ctx c = { src, o, CMAN_SYSTEM_METRICS, json, true, 0, err };
	bool first_kind = true;
	int rc = 0, fd;

	if (!o)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	fd = cman_tmp_create(path, tmp, sizeof(tmp), err);
	if (fd < 0) {
		free(o);
		return fd;
	}
	if (json)
		o->gz = gzdopen(fd, "wb");
	else
		o->fp = fdopen(fd, "w");
	if (!o->gz && !o->fp) {
		rc = cman_error_set(err, CMAN_EIO, "%s: cannot create: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		free(o);
		return rc;
	}
	out_str(o, json ? "{" : "kind,key,timestamp,market,value\n");
	for (int k = 0; k < CMAN_KIND_COUNT && !rc; k++) {
		c.kind = (enum cman_metric_kind)k;
		c.keys = 0;
		rc = cman_store_keys(src, c.kind, "", count_key, &c, err);
		if (rc || !c.keys)
			continue;
		if (json) {
			out_str(o, first_kind ? "\n" : "\n},\n");
			out_quoted(o, cman_kind_name(c.kind), true);
			out_str(o, ":{");
			first_kind = false;
			c.first_key = true;
		}
		rc = cman_store_keys(src, c.kind, "", export_key, &c, err);
	}
	if (json)
		out_str(o, first_kind ? "}\n" : "\n}\n}\n");
	out_flush(o);
	if (!rc && o->failed)
		rc = cman_error_set(err, CMAN_EIO, "%s: write error", path);
	if (o->gz) {
		if (gzclose_w(o->gz) != Z_OK && !rc)
			rc = cman_error_set(err, CMAN_EIO, "%s: write error", path);
	} else if (fclose(o->fp) != 0 && !rc) {
		rc = cman_error_set(err, CMAN_EIO, "%s: write error: %s", path, strerror(errno));
	}
	if (!rc && rename(tmp, path) != 0)
		rc = cman_error_set(err, CMAN_EIO, "%s: cannot rename into place: %s", path,
				    strerror(errno));
	if (rc)
		unlink(tmp);
	free(o);
	return rc;
}

int cman_metrics_write_csv(struct cman_store *src, const char *path, struct cman_error *err)
{
	return export_store(src, path, false, err);
}

int cman_metrics_write_json(struct cman_store *src, const char *path, struct cman_error *err)
{
	return export_store(src, path, true, err);
}
