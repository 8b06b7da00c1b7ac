/*
 * scenario.c - a simulation scenario (INTERFACE.md "Scenario file"): YAML
 * loaded into a cman_node tree, "--set" overrides applied to the tree, then
 * every key read with its type, default and range.  The first problem found
 * is reported as "FILE:LINE:COL: <key path>: <what is wrong>, expected ...".
 */
#include "cman/sim/scenario.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/catalog.h"
#include "cman/config.h"
#include "cman/runfiles.h"
#include "cman/limits.h"
#include "cman/sim/coverage.h"
#include "cman/time.h"

#define PATH_MAX_LEN 256

struct name_value {
	const char *name;
	int value;
};

static const struct name_value billings[] = {
	{ "per-second", CMAN_BILL_PER_SECOND },
	{ "per-hour", CMAN_BILL_PER_HOUR },
	{ "aws", CMAN_BILL_AWS },
	{ NULL, 0 },
};

static const struct name_value strategies[] = {
	{ "diversified", CMAN_ALLOC_DIVERSIFIED },
	{ "lowestPrice", CMAN_ALLOC_LOWEST_PRICE },
	{ "capacityOptimized", CMAN_ALLOC_CAPACITY_OPTIMIZED },
	{ "priceCapacityOptimized", CMAN_ALLOC_PRICE_CAPACITY_OPTIMIZED },
	{ NULL, 0 },
};

static const struct name_value sources[] = {
	{ "clusterman_json", CMAN_SRC_CLUSTERMAN_JSON },
	{ "sqlite", CMAN_SRC_SQLITE },
	{ "csv", CMAN_SRC_CSV },
	{ "generate", CMAN_SRC_GENERATE },
	{ "dynamodb", CMAN_SRC_STORE_URI },
	{ NULL, 0 },
};

static const struct name_value schedulers[] = {
	{ "mesos", 0 },
	{ "kubernetes", 1 },
	{ NULL, 0 },
};

/* ---- helpers ----------------------------------------------------------- */

static int missing(const struct cman_node *map, const char *path,
		   const char *key, struct cman_error *err)
{
	if (!path || !*path)
		return cman_error_at(err, map->file, 0, 0,
				     "missing required key '%s'", key);
	return cman_node_error(map, err, "%s: missing required key '%s'", path, key);
}

/* Look up a name in a table; the message lists the allowed names. */
static int lookup(const struct cman_node *n, const char *kp,
		  const struct name_value *table, const char *what, int *out,
		  struct cman_error *err)
{
	char list[512];
	size_t used = 0, i;
	const char *s;
	int rc, w;

	if ((rc = cman_node_string(n, kp, &s, err)) != 0)
		return rc;
	for (i = 0; table[i].name; i++)
		if (!strcmp(s, table[i].name)) {
			*out = table[i].value;
			return 0;
		}
	list[0] = '\0';
	for (i = 0; table[i].name; i++) {
		w = snprintf(list + used, sizeof(list) - used, "%s%s",
			     !i ? "" : table[i + 1].name ? ", " : " or ",
			     table[i].name);
		if (w < 0 || (size_t)w >= sizeof(list) - used)
			break;
		used += (size_t)w;
	}
	return cman_node_error(n, err, "%s: unknown %s '%s', expected %s", kp,
			       what, s, list);
}

/* Required (or, with req false, optional) string copied into *out. */
static int get_string(const struct cman_node *map, const char *path,
		      const char *key, bool req, char **out,
		      struct cman_error *err)
{
	const struct cman_node *n = cman_node_get(map, key);
	char kp[PATH_MAX_LEN];
	const char *s;
	int rc;

	if (!n)
		return req ? missing(map, path, key, err) : 0;
	cman_key_path(kp, PATH_MAX_LEN, path, key);
	if ((rc = cman_node_string(n, kp, &s, err)) != 0)
		return rc;
	free(*out);
	if (!(*out = strdup(s)))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", kp);
	return 0;
}

/* Required string into a fixed buffer of size cap. */
static int get_fixed(const struct cman_node *map, const char *path,
		     const char *key, char *out, size_t cap,
		     struct cman_error *err)
{
	const struct cman_node *n = cman_node_get(map, key);
	char kp[PATH_MAX_LEN];
	const char *s;
	int rc;

	if (!n)
		return missing(map, path, key, err);
	cman_key_path(kp, PATH_MAX_LEN, path, key);
	if ((rc = cman_node_string(n, kp, &s, err)) != 0)
		return rc;
	if (strlen(s) >= cap)
		return cman_node_error(n, err, "%s: '%s' is too long, expected at most %zu characters",
				       kp, s, cap - 1);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

static char *resolve(const char *dir, const char *p)
{
	char *out;

	if (p[0] == '/' || !strcmp(dir, "."))
		return strdup(p);
	if (asprintf(&out, "%s%s%s", dir,
		     dir[strlen(dir) - 1] == '/' ? "" : "/", p) < 0)
		return NULL;
	return out;
}

/* ---- sections ---------------------------------------------------------- */

/* {dynamodb: {table_prefix: P, region: R}} (both optional) as the store URI
 * "dynamodb://P" or "dynamodb://P?region=R". */
static int parse_dynamodb_source(const struct cman_node *n, const char *path, char **out,
				 struct cman_error *err)
{
	static const char *const keys[] = { "table_prefix", "region", NULL };
	const char *prefix = "clusterman_", *region = NULL;
	const struct cman_node *v;
	char uri[512];
	int rc, k;

	if (n->type != CMAN_NODE_MAP)
		return cman_node_error(n, err, "%s: expected a mapping {table_prefix: PREFIX, "
				       "region: REGION}", path);
	if ((rc = cman_node_check_keys(n, path, keys, err)) != 0)
		return rc;
	if ((v = cman_node_get(n, "table_prefix")) &&
	    (rc = cman_node_string(v, "table_prefix", &prefix, err)) != 0)
		return rc;
	if ((v = cman_node_get(n, "region")) &&
	    (rc = cman_node_string(v, "region", &region, err)) != 0)
		return rc;
	k = region ? snprintf(uri, sizeof(uri), "dynamodb://%s?region=%s", prefix, region)
		   : snprintf(uri, sizeof(uri), "dynamodb://%s", prefix);
	if (k < 0 || (size_t)k >= sizeof(uri))
		return cman_node_error(n, err, "%s: table_prefix or region too long", path);
	if (!(*out = strdup(uri)))
		return cman_error_set(err, CMAN_ENOMEM, "metrics: out of memory");
	return 0;
}

static int parse_metrics(const struct cman_node *root, struct cman_scenario *sc,
			 struct cman_error *err)
{
	const struct cman_node *m = cman_node_get(root, "metrics"), *it;
	char ip[PATH_MAX_LEN + 48];
	const char *s;
	size_t i;
	int rc, type;

	if (!m)
		return missing(root, "", "metrics", err);
	if (m->type != CMAN_NODE_SEQ || m->n == 0)
		return cman_node_error(m, err,
				       "metrics: expected a non-empty list of {clusterman_json|sqlite|csv|generate: PATH} or {dynamodb: {...}}");
	if (!(sc->sources = calloc(m->n, sizeof(*sc->sources))))
		return cman_error_set(err, CMAN_ENOMEM, "metrics: out of memory");
	for (i = 0; i < m->n; i++) {
		it = m->items[i];
		snprintf(ip, sizeof(ip), "metrics[%zu]", i);
		if (it->type != CMAN_NODE_MAP || it->n != 1)
			return cman_node_error(it, err,
					       "%s: expected a mapping with one key, clusterman_json, sqlite, csv, generate or dynamodb",
					       ip);
		if ((rc = lookup(it->keys[0], ip, sources, "metrics source type",
				 &type, err)) != 0)
			return rc;
		snprintf(ip, sizeof(ip), "metrics[%zu].%s", i, it->keys[0]->scalar);
		sc->sources[i].type = (enum cman_source_type)type;
		if (type == CMAN_SRC_STORE_URI) {
			if ((rc = parse_dynamodb_source(it->items[0], ip, &sc->sources[i].path,
							err)) != 0)
				return rc;
			sc->n_sources = i + 1;
			continue;
		}
		if ((rc = cman_node_string(it->items[0], ip, &s, err)) != 0)
			return rc;
		if (!(sc->sources[i].path = resolve(sc->dir, s)))
			return cman_error_set(err, CMAN_ENOMEM, "metrics: out of memory");
		sc->n_sources = i + 1;
	}
	return 0;
}

/* An optional duration in integer seconds, 1 to CMAN_DURATION_MAX (issue 9.6:
 * documented limits, no overflow when added to a time). */
static int opt_duration(const struct cman_node *map, const char *path, const char *key,
			int64_t *out, struct cman_error *err)
{
#define DURATION_RANGE "an integer from 1 to 31622400 (seconds: 366 days)"
	_Static_assert(CMAN_DURATION_MAX == 31622400, "DURATION_RANGE names the limit");
	int64_t v = *out;
	int rc = cman_node_opt_int64(map, path, key, &v, 1, DURATION_RANGE, err);

	if (rc)
		return rc;
	if (v > CMAN_DURATION_MAX)
		return cman_node_error(cman_node_get(map, key), err,
				       "%s.%s: %lld is out of range, expected " DURATION_RANGE,
				       path, key, (long long)v);
#undef DURATION_RANGE
	*out = v;
	return 0;
}

static int parse_simulation(const struct cman_node *m, struct cman_scenario *sc,
			    struct cman_error *err)
{
	static const char *const keys[] = {
		"billing", "refund_outbid", "discount", "cpus_per_weight",
		"join_delay", "step_seconds", "spot_interruptions",
		"ebs_volume_gb", "hourly_instance_types", "coverage", "starvation", NULL,
	};
	static const char *const cov_keys[] = {
		"stale_after_seconds", "price_stale_after_seconds", "warn_fraction",
		"max_gaps", NULL,
	};
	static const char *const starve_keys[] = {
		"after_seconds", "shortfall_fraction", "oversubscribed_fraction", NULL,
	};
	static const char *const jd_keys[] = {
		"mean_seconds", "stdev_seconds", NULL,
	};
	const struct cman_node *n;
	char kp[PATH_MAX_LEN];
	int rc, v;

	if ((rc = cman_node_check_keys(m, "simulation", keys, err)) != 0)
		return rc;
	if ((n = cman_node_get(m, "billing"))) {
		if ((rc = lookup(n, "simulation.billing", billings, "billing", &v,
				 err)) != 0)
			return rc;
		sc->billing = (enum cman_billing_mode)v;
	}
	if ((rc = cman_node_opt_bool(m, "simulation", "refund_outbid", &sc->refund_outbid,
			   err)) != 0 ||
	    (rc = cman_node_opt_double(m, "simulation", "discount", &sc->discount, 0, true,
			     1e3, "a number > 0 and <= 1000", err)) != 0 ||
	    (rc = cman_node_opt_double(m, "simulation", "cpus_per_weight",
			     &sc->cpus_per_weight, 0, true, 1e6,
			     "a number > 0 and <= 1e6", err)) != 0 ||
	    (rc = cman_node_opt_int64(m, "simulation", "step_seconds", &sc->step_seconds, 1,
			  "an integer > 0", err)) != 0 ||
	    (rc = cman_node_opt_bool(m, "simulation", "spot_interruptions",
			   &sc->spot_interruptions, err)) != 0 ||
	    (rc = cman_node_opt_double(m, "simulation", "ebs_volume_gb", &sc->ebs_volume_gb,
			     0, false, 1e9, "a number >= 0 and <= 1e9", err)) != 0)
		return rc;
	if (sc->step_seconds > CMAN_STEP_MAX) {
		cman_key_path(kp, sizeof(kp), "simulation", "step_seconds");
		return cman_node_error(cman_node_get(m, "step_seconds"), err,
				       "%s: %lld is out of range, expected an integer from 1 to %d "
				       "(366 days)", kp, (long long)sc->step_seconds, CMAN_STEP_MAX);
	}
	if ((n = cman_node_get(m, "hourly_instance_types")) && !n->null) {
		size_t i;

		if (n->type != CMAN_NODE_SEQ)
			return cman_node_error(n, err, "simulation.hourly_instance_types: expected "
					       "a list of instance types");
		sc->hourly_types = calloc(n->n ? n->n : 1, sizeof(*sc->hourly_types));
		if (!sc->hourly_types)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		for (i = 0; i < n->n; i++) {
			const char *t;

			if ((rc = cman_node_string(n->items[i], "simulation.hourly_instance_types",
						   &t, err)) != 0)
				return rc;
			if (!(sc->hourly_types[i] = strdup(t)))
				return cman_error_set(err, CMAN_ENOMEM, "out of memory");
			sc->n_hourly_types = i + 1;
		}
	}
	if ((n = cman_node_section(m, "coverage"))) {
		if ((rc = cman_node_check_keys(n, "simulation.coverage", cov_keys, err)) != 0 ||
		    (rc = opt_duration(n, "simulation.coverage", "stale_after_seconds",
				       &sc->cov_stale_after, err)) != 0 ||
		    (rc = opt_duration(n, "simulation.coverage", "price_stale_after_seconds",
				       &sc->cov_price_stale_after, err)) != 0 ||
		    (rc = cman_node_opt_double(n, "simulation.coverage", "warn_fraction",
					       &sc->cov_warn_fraction, 0, false, 1,
					       "a number from 0 to 1", err)) != 0 ||
		    (rc = cman_node_opt_int64(n, "simulation.coverage", "max_gaps",
					      &sc->cov_max_gaps, 0, "an integer >= 0", err)) != 0)
			return rc;
		if (sc->cov_max_gaps > CMAN_COV_MAX_GAPS)
			return cman_node_error(cman_node_get(n, "max_gaps"), err,
					       "simulation.coverage.max_gaps: %lld is out of range, "
					       "expected an integer from 0 to %d",
					       (long long)sc->cov_max_gaps, CMAN_COV_MAX_GAPS);
	}
	if ((n = cman_node_section(m, "starvation"))) {
		if ((rc = cman_node_check_keys(n, "simulation.starvation", starve_keys,
					       err)) != 0 ||
		    (rc = opt_duration(n, "simulation.starvation", "after_seconds",
				       &sc->starve_after, err)) != 0 ||
		    (rc = cman_node_opt_double(n, "simulation.starvation", "shortfall_fraction",
					       &sc->starve_shortfall, 0, true, 1,
					       "a number > 0 and <= 1", err)) != 0 ||
		    (rc = cman_node_opt_double(n, "simulation.starvation",
					       "oversubscribed_fraction", &sc->starve_oversub, 0,
					       false, DBL_MAX, "a number >= 0", err)) != 0)
			return rc;
	}
	if ((n = cman_node_section(m, "join_delay"))) {
		if ((rc = cman_node_check_keys(n, "simulation.join_delay", jd_keys,
					       err)) != 0 ||
		    (rc = cman_node_opt_double(n, "simulation.join_delay", "mean_seconds",
				     &sc->join_delay_mean, 0, false, CMAN_SECONDS_MAX,
				     "a number >= 0 and <= 31622400 (seconds: 366 days)", err)) != 0 ||
		    (rc = cman_node_opt_double(n, "simulation.join_delay", "stdev_seconds",
				     &sc->join_delay_stdev, 0, false, CMAN_SECONDS_MAX,
				     "a number >= 0 and <= 31622400 (seconds: 366 days)", err)) != 0)
			return rc;
	}
	return 0;
}

/* "FILE:LINE:COL: path" of node n into buf ("FILE: path" without a position). */
static void where_of(const struct cman_node *n, const char *path, char *buf, size_t len)
{
	if (n && n->line > 0)
		snprintf(buf, len, "%s:%d:%d: %s", n->file, n->line, n->col, path);
	else
		snprintf(buf, len, "%s: %s", n ? n->file : "?", path);
}

static int parse_launch_spec(const struct cman_node *m, const char *path,
			     const struct cman_rg_spec *g,
			     struct cman_launch_spec *ls, struct cman_error *err)
{
	static const char *const keys[] = {
		"InstanceType", "Placement", "SpotPrice", "WeightedCapacity", NULL,
	};
	static const char *const pl_keys[] = { "AvailabilityZone", NULL };
	const struct cman_node *pl;
	char kp[PATH_MAX_LEN];
	int rc;

	if ((rc = cman_node_check_keys(m, path, keys, err)) != 0 ||
	    (rc = get_fixed(m, path, "InstanceType", ls->instance_type,
			    sizeof(ls->instance_type), err)) != 0)
		return rc;
	if (!(pl = cman_node_get(m, "Placement")))
		return missing(m, path, "Placement", err);
	cman_key_path(kp, PATH_MAX_LEN, path, "Placement");
	if ((rc = cman_node_check_keys(pl, kp, pl_keys, err)) != 0 ||
	    (rc = get_fixed(pl, kp, "AvailabilityZone", ls->az, sizeof(ls->az),
			    err)) != 0)
		return rc;
	{
		char tp[PATH_MAX_LEN], zp[PATH_MAX_LEN];

		cman_key_path(tp, sizeof(tp), path, "InstanceType");
		cman_key_path(zp, sizeof(zp), kp, "AvailabilityZone");
		where_of(cman_node_get(m, "InstanceType"), tp, ls->where_type,
			 sizeof(ls->where_type));
		where_of(cman_node_get(pl, "AvailabilityZone"), zp, ls->where_az,
			 sizeof(ls->where_az));
	}
	ls->spot_price = -1;
	ls->weight = 1;
	if ((rc = cman_node_opt_double(m, path, "SpotPrice", &ls->spot_price, 0, true,
			     CMAN_PRICE_MAX, "a price > 0 and <= 10000", err)) != 0 ||
	    (rc = cman_node_opt_double(m, path, "WeightedCapacity", &ls->weight,
			     CMAN_WEIGHT_MIN, false, CMAN_WEIGHT_MAX, "a number > 0, from 0.001 to 1e6",
			     err)) != 0)
		return rc;
	if (ls->spot_price < 0) {
		if (g->spot_price < 0)
			return cman_node_error(m, err,
					       "%s: no SpotPrice here nor in the spot fleet, expected one of them",
					       path);
		ls->spot_price = g->spot_price;
	}
	return 0;
}

static int parse_spot_fleet(const struct cman_node *m, const char *path,
			    struct cman_rg_spec *g, struct cman_error *err)
{
	static const char *const keys[] = {
		"id", "AllocationStrategy", "SpotPrice", "TargetCapacity",
		"LaunchSpecifications", NULL,
	};
	const struct cman_node *n;
	char kp[PATH_MAX_LEN], ip[PATH_MAX_LEN + 24];
	size_t i;
	int rc, v;

	if ((rc = cman_node_check_keys(m, path, keys, err)) != 0 ||
	    (rc = get_string(m, path, "id", false, &g->id, err)) != 0)
		return rc;
	if ((n = cman_node_get(m, "AllocationStrategy"))) {
		cman_key_path(kp, PATH_MAX_LEN, path, "AllocationStrategy");
		if ((rc = lookup(n, kp, strategies, "allocation strategy", &v,
				 err)) != 0)
			return rc;
		g->strategy = (enum cman_alloc_strategy)v;
	}
	if ((rc = cman_node_opt_double(m, path, "SpotPrice", &g->spot_price, 0, true,
			     CMAN_PRICE_MAX, "a price > 0 and <= 10000", err)) != 0 ||
	    (rc = cman_node_opt_double(m, path, "TargetCapacity", &g->target_capacity, 0,
			     false, CMAN_CAPACITY_MAX, "a number >= 0 and <= 1e9", err)) != 0)
		return rc;
	if (!(n = cman_node_get(m, "LaunchSpecifications")))
		return missing(m, path, "LaunchSpecifications", err);
	cman_key_path(kp, PATH_MAX_LEN, path, "LaunchSpecifications");
	if (n->type != CMAN_NODE_SEQ || n->n == 0)
		return cman_node_error(n, err,
				       "%s: expected a non-empty list of {InstanceType, Placement: {AvailabilityZone}, SpotPrice, WeightedCapacity}",
				       kp);
	if (!(g->specs = calloc(n->n, sizeof(*g->specs))))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", kp);
	g->n_specs = n->n;
	for (i = 0; i < n->n; i++) {
		snprintf(ip, sizeof(ip), "%s[%zu]", kp, i);
		if ((rc = parse_launch_spec(n->items[i], ip, g, &g->specs[i],
					    err)) != 0)
			return rc;
	}
	return 0;
}

static int parse_asg(const struct cman_node *m, const char *path,
		     struct cman_rg_spec *g, struct cman_error *err)
{
	static const char *const keys[] = {
		"id", "InstanceType", "AvailabilityZones", "MinSize", "MaxSize",
		"DesiredCapacity", "WeightedCapacity", NULL,
	};
	const struct cman_node *n, *azs;
	char kp[PATH_MAX_LEN], ip[PATH_MAX_LEN + 24];
	char type[CMAN_TYPE_MAX];
	double weight = 1;
	const char *s;
	size_t i;
	int rc;

	if ((rc = cman_node_check_keys(m, path, keys, err)) != 0 ||
	    (rc = get_string(m, path, "id", false, &g->id, err)) != 0 ||
	    (rc = get_fixed(m, path, "InstanceType", type, sizeof(type), err)) != 0)
		return rc;
	if (!(azs = cman_node_get(m, "AvailabilityZones")))
		return missing(m, path, "AvailabilityZones", err);
	cman_key_path(kp, PATH_MAX_LEN, path, "AvailabilityZones");
	if (azs->type != CMAN_NODE_SEQ || azs->n == 0)
		return cman_node_error(azs, err,
				       "%s: expected a non-empty list of availability zones",
				       kp);
	if (!cman_node_get(m, "MaxSize"))
		return missing(m, path, "MaxSize", err);
	g->min_size = 0;
	if ((rc = cman_node_opt_double(m, path, "MinSize", &g->min_size, 0, false,
			     CMAN_CAPACITY_MAX, "a number >= 0 and <= 1e9", err)) != 0 ||
	    (rc = cman_node_opt_double(m, path, "MaxSize", &g->max_size, 0, false,
			     CMAN_CAPACITY_MAX, "a number >= 0 and <= 1e9", err)) != 0 ||
	    (rc = cman_node_opt_double(m, path, "DesiredCapacity", &g->target_capacity, 0,
			     false, CMAN_CAPACITY_MAX, "a number >= 0 and <= 1e9", err)) != 0 ||
	    (rc = cman_node_opt_double(m, path, "WeightedCapacity", &weight,
			     CMAN_WEIGHT_MIN, false, CMAN_WEIGHT_MAX, "a number > 0, from 0.001 to 1e6",
			     err)) != 0)
		return rc;
	if (g->min_size > g->max_size) {
		n = cman_node_get(m, "MinSize");
		if (!n)
			n = cman_node_get(m, "MaxSize");
		cman_key_path(kp, PATH_MAX_LEN, path, "MinSize");
		return cman_node_error(n, err,
				       "%s: %g is greater than MaxSize %g, expected MinSize <= MaxSize",
				       kp, g->min_size, g->max_size);
	}
	if (g->target_capacity >= 0 &&
	    (g->target_capacity < g->min_size || g->target_capacity > g->max_size)) {
		cman_key_path(kp, PATH_MAX_LEN, path, "DesiredCapacity");
		return cman_node_error(cman_node_get(m, "DesiredCapacity"), err,
				       "%s: %g is out of range, expected a number in [MinSize, MaxSize] = [%g, %g]",
				       kp, g->target_capacity, g->min_size,
				       g->max_size);
	}
	if (!(g->specs = calloc(azs->n, sizeof(*g->specs))))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", kp);
	g->n_specs = azs->n;
	for (i = 0; i < azs->n; i++) {
		snprintf(ip, sizeof(ip), "%s[%zu]", kp, i);
		if ((rc = cman_node_string(azs->items[i], ip, &s, err)) != 0)
			return rc;
		if (strlen(s) >= CMAN_AZ_MAX)
			return cman_node_error(azs->items[i], err,
					       "%s: '%s' is too long, expected at most %d characters",
					       ip, s, CMAN_AZ_MAX - 1);
		memcpy(g->specs[i].instance_type, type, sizeof(type));
		memcpy(g->specs[i].az, s, strlen(s) + 1);
		{
			char tp[PATH_MAX_LEN];

			cman_key_path(tp, sizeof(tp), path, "InstanceType");
			where_of(cman_node_get(m, "InstanceType"), tp, g->specs[i].where_type,
				 sizeof(g->specs[i].where_type));
			where_of(azs->items[i], ip, g->specs[i].where_az,
				 sizeof(g->specs[i].where_az));
		}
		g->specs[i].spot_price = -1;
		g->specs[i].weight = weight;
	}
	return 0;
}

static int parse_groups(const struct cman_node *root, struct cman_scenario *sc,
			struct cman_error *err)
{
	const struct cman_node *l = cman_node_section(root, "resource_groups"), *it, *idn;
	char ip[PATH_MAX_LEN];
	struct cman_rg_spec *g;
	size_t i, j;
	int rc;

	if (!l)
		return 0;
	if (l->type != CMAN_NODE_SEQ)
		return cman_node_error(l, err,
				       "resource_groups: expected a list of {spot_fleet: ...} or {auto_scaling_group: ...}");
	if (l->n && !(sc->groups = calloc(l->n, sizeof(*sc->groups))))
		return cman_error_set(err, CMAN_ENOMEM, "resource_groups: out of memory");
	for (i = 0; i < l->n; i++) {
		it = l->items[i];
		g = &sc->groups[i];
		sc->n_groups = i + 1;
		g->spot_price = -1;
		g->target_capacity = -1;
		g->min_size = 0;
		g->max_size = INFINITY;
		if (it->type != CMAN_NODE_MAP || it->n != 1 ||
		    (strcmp(it->keys[0]->scalar, "spot_fleet") &&
		     strcmp(it->keys[0]->scalar, "auto_scaling_group")))
			return cman_node_error(it->type == CMAN_NODE_MAP && it->n == 1 ? it->keys[0] : it,
					       err,
					       "resource_groups[%zu]: expected a mapping with one key, spot_fleet or auto_scaling_group",
					       i);
		g->type = strcmp(it->keys[0]->scalar, "spot_fleet") ? CMAN_RG_ASG
								      : CMAN_RG_SPOT_FLEET;
		snprintf(ip, sizeof(ip), "resource_groups[%zu].%s", i,
			 it->keys[0]->scalar);
		rc = g->type == CMAN_RG_SPOT_FLEET
			     ? parse_spot_fleet(it->items[0], ip, g, err)
			     : parse_asg(it->items[0], ip, g, err);
		if (rc)
			return rc;
		if (!g->id && asprintf(&g->id, "%s-%zu", it->keys[0]->scalar, i) < 0) {
			g->id = NULL;
			return cman_error_set(err, CMAN_ENOMEM, "resource_groups: out of memory");
		}
		for (j = 0; j < i; j++) {
			if (strcmp(sc->groups[j].id, g->id))
				continue;
			idn = cman_node_get(it->items[0], "id");
			return cman_node_error(idn ? idn : it, err,
					       "%s.id: duplicate group id '%s' (also resource_groups[%zu]), expected unique ids",
					       ip, g->id, j);
		}
	}
	return 0;
}

/*
 * prices: {table: NAME, on_demand: {"<type, region>": USD_PER_HOUR, ...}}.
 * Table names, types and regions are checked against the built-in catalog.
 */
static int parse_prices(const struct cman_node *m, struct cman_scenario *sc,
			struct cman_error *err)
{
	static const char *const keys[] = { "table", "on_demand", NULL };
	const struct cman_catalog *cat;
	const struct cman_node *n;
	char kp[PATH_MAX_LEN + 64];
	size_t i;
	int rc;

	if ((rc = cman_node_check_keys(m, "prices", keys, err)) != 0 ||
	    (rc = cman_catalog_builtin(&cat, err)) != 0)
		return rc;
	if ((n = cman_node_get(m, "table")) && !n->null) {
		char list[256];
		size_t used = 0;

		if ((rc = get_string(m, "prices", "table", false, &sc->price_table, err)) != 0)
			return rc;
		if (cman_catalog_table_find(cat, sc->price_table) < 0) {
			list[0] = '\0';
			for (i = 0; i < cman_catalog_n_tables(cat) && used < sizeof(list); i++) {
				int w = snprintf(list + used, sizeof(list) - used, "%s%s",
						 i ? ", " : "", cman_catalog_table_name(cat, i));

				if (w < 0)
					break;
				used += (size_t)w;
			}
			return cman_node_error(n, err, "prices.table: unknown price table '%s', "
					       "expected one of %s", sc->price_table, list);
		}
	}
	if (!(n = cman_node_get(m, "on_demand")) || n->null)
		return 0;
	if (n->type != CMAN_NODE_MAP)
		return cman_node_error(n, err, "prices.on_demand: expected a mapping of "
				       "\"<instance type, region>\": dollars per hour");
	if (n->n && !(sc->od_prices = calloc(n->n, sizeof(*sc->od_prices))))
		return cman_error_set(err, CMAN_ENOMEM, "prices.on_demand: out of memory");
	for (i = 0; i < n->n; i++) {
		struct cman_od_price *o = &sc->od_prices[i];
		const char *key = n->keys[i]->scalar;
		size_t j;

		snprintf(kp, sizeof(kp), "prices.on_demand.%s", key);
		if (cman_market_parse(key, o->instance_type, sizeof(o->instance_type),
				      o->region, sizeof(o->region)) ||
		    !cman_catalog_find(cat, o->instance_type) || !cman_region_known(o->region))
			return cman_node_error(n->keys[i], err,
					       "%s: expected \"<instance type, region>\" with an "
					       "instance type of the catalog and a known AWS region "
					       "(like \"<m4.10xlarge, us-east-1>\")", kp);
		for (j = 0; j < i; j++)
			if (!strcmp(sc->od_prices[j].instance_type, o->instance_type) &&
			    !strcmp(sc->od_prices[j].region, o->region))
				return cman_node_error(n->keys[i], err,
						       "%s: <%s, %s> is priced twice, expected "
						       "each market once", kp, o->instance_type,
						       o->region);
		o->usd_per_hour = -1;
		if ((rc = cman_node_opt_double(n, "prices.on_demand", key, &o->usd_per_hour, 0,
					       true, DBL_MAX, "a price in $/h > 0", err)) != 0)
			return rc;
		sc->n_od_prices = i + 1;
	}
	return 0;
}

static int parse_output(const struct cman_node *m, struct cman_scenario *sc,
			struct cman_error *err)
{
	static const char *const keys[] = { "dir", "reports", NULL };
	const struct cman_node *r;
	char ip[64];
	const char *s;
	size_t i;
	int rc;

	if ((rc = cman_node_check_keys(m, "output", keys, err)) != 0 ||
	    (rc = get_string(m, "output", "dir", false, &sc->output_dir, err)) != 0)
		return rc;
	if (!(r = cman_node_get(m, "reports")))
		return 0;
	if (r->type != CMAN_NODE_SEQ)
		return cman_node_error(r, err,
				       "output.reports: expected a list of csv, html");
	sc->report_csv = sc->report_html = false;
	for (i = 0; i < r->n; i++) {
		snprintf(ip, sizeof(ip), "output.reports[%zu]", i);
		if ((rc = cman_node_string(r->items[i], ip, &s, err)) != 0)
			return rc;
		if (!strcmp(s, "csv"))
			sc->report_csv = true;
		else if (!strcmp(s, "html"))
			sc->report_html = true;
		else
			return cman_node_error(r->items[i], err,
					       "%s: unknown report '%s', expected csv or html",
					       ip, s);
	}
	return 0;
}

/* ---- the scenario ------------------------------------------------------ */

static void defaults(struct cman_scenario *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->billing = CMAN_BILL_PER_SECOND;
	sc->refund_outbid = true;
	sc->discount = 1;
	sc->cpus_per_weight = 1;
	sc->step_seconds = 60;
	sc->spot_interruptions = true;
	sc->cov_stale_after = 3600;
	sc->cov_price_stale_after = 86400;
	sc->cov_warn_fraction = 0.01;
	sc->cov_max_gaps = 5;
	sc->starve_after = 3600;
	sc->starve_shortfall = 0.2;
	sc->starve_oversub = 0;
	sc->report_csv = sc->report_html = true;
	cman_pool_config_init(&sc->pool_config);
}

void cman_scenario_release(struct cman_scenario *sc)
{
	size_t i;

	free(sc->path);
	free(sc->dir);
	free(sc->name);
	free(sc->cluster);
	free(sc->pool);
	free(sc->scheduler);
	for (i = 0; i < sc->n_sources; i++)
		free(sc->sources[i].path);
	free(sc->sources);
	cman_pool_config_release(&sc->pool_config);
	for (i = 0; i < sc->n_groups; i++) {
		free(sc->groups[i].id);
		free(sc->groups[i].specs);
	}
	free(sc->groups);
	free(sc->output_dir);
	free(sc->price_table);
	free(sc->od_prices);
	free(sc->effective_yaml);
	for (i = 0; i < sc->n_hourly_types; i++)
		free(sc->hourly_types[i]);
	free(sc->hourly_types);
	defaults(sc);
}

static int parse_root(const struct cman_node *root, struct cman_scenario *sc,
		      struct cman_error *err)
{
	static const char *const keys[] = {
		"name", "cluster", "pool", "scheduler", "start_time", "end_time",
		"seed", "metrics", "simulation", "pool_config",
		"initial_target_capacity", "resource_groups", "prices", "output", NULL,
	};
	static const char *const required[] = {
		"name", "cluster", "pool", "start_time", "end_time", "metrics", NULL,
	};
	const struct cman_node *n, *st, *et;
	char b1[CMAN_TIME_BUFSZ], b2[CMAN_TIME_BUFSZ];
	int64_t seed = 0;
	size_t i;
	int rc, v;

	if ((root->type == CMAN_NODE_SCALAR && root->null) ||
	    (root->type == CMAN_NODE_MAP && root->n == 0))
		return cman_error_at(err, root->file, 0, 0,
				     "empty scenario, expected a mapping with name, cluster, pool, start_time, end_time and metrics");
	if ((rc = cman_node_check_keys(root, "", keys, err)) != 0)
		return rc;
	for (i = 0; required[i]; i++)
		if (!cman_node_get(root, required[i]))
			return missing(root, "", required[i], err);
	if ((rc = get_string(root, "", "name", true, &sc->name, err)) != 0 ||
	    (rc = get_string(root, "", "cluster", true, &sc->cluster, err)) != 0 ||
	    (rc = get_string(root, "", "pool", true, &sc->pool, err)) != 0)
		return rc;
	if ((n = cman_node_get(root, "scheduler")) &&
	    (rc = lookup(n, "scheduler", schedulers, "scheduler", &v, err)) != 0)
		return rc;
	if ((rc = get_string(root, "", "scheduler", false, &sc->scheduler, err)) != 0)
		return rc;
	if (!sc->scheduler && !(sc->scheduler = strdup("mesos")))
		return cman_error_set(err, CMAN_ENOMEM, "scheduler: out of memory");
	st = cman_node_get(root, "start_time");
	et = cman_node_get(root, "end_time");
	if ((rc = cman_node_time(st, "start_time", &sc->start_time, err)) != 0 ||
	    (rc = cman_node_time(et, "end_time", &sc->end_time, err)) != 0)
		return rc;
	if (sc->end_time <= sc->start_time)
		return cman_node_error(et, err,
				       "end_time: %s is not after start_time %s, expected end_time > start_time",
				       cman_time_format(sc->end_time, b1),
				       cman_time_format(sc->start_time, b2));
	if ((rc = cman_node_opt_int64(root, "", "seed", &seed, 0, "an integer >= 0", err)) != 0)
		return rc;
	sc->seed = (uint64_t)seed;
	if ((rc = parse_metrics(root, sc, err)) != 0)
		return rc;
	if ((n = cman_node_section(root, "simulation")) &&
	    (rc = parse_simulation(n, sc, err)) != 0)
		return rc;
	if ((n = cman_node_section(root, "pool_config"))) {
		if ((rc = cman_pool_config_parse(n, "pool_config", &sc->pool_config,
						 err)) != 0)
			return rc;
		sc->has_pool_config = true;
	}
	if (cman_node_get(root, "initial_target_capacity")) {
		if ((rc = cman_node_opt_double(root, "", "initial_target_capacity",
				     &sc->initial_target_capacity, 0, false,
				     CMAN_CAPACITY_MAX, "a number >= 0 and <= 1e9", err)) != 0)
			return rc;
		sc->has_initial_target = true;
	}
	if ((rc = parse_groups(root, sc, err)) != 0)
		return rc;
	if ((n = cman_node_section(root, "prices")) && (rc = parse_prices(n, sc, err)) != 0)
		return rc;
	if ((n = cman_node_section(root, "output")) && (rc = parse_output(n, sc, err)) != 0)
		return rc;
	if (!sc->output_dir) {
		/* the default is relative to the working directory (INTERFACE.md) */
		if (asprintf(&sc->output_dir, "out/%s", sc->name) < 0) {
			sc->output_dir = NULL;
			return cman_error_set(err, CMAN_ENOMEM, "output.dir: out of memory");
		}
	} else if (sc->output_dir[0] != '/' && strcmp(sc->dir, ".")) {
		/* written in the scenario (or --set): relative to its folder, like
		 * the metrics paths */
		char *p;

		if (asprintf(&p, "%s/%s", sc->dir, sc->output_dir) < 0)
			return cman_error_set(err, CMAN_ENOMEM, "output.dir: out of memory");
		free(sc->output_dir);
		sc->output_dir = p;
	}
	return 0;
}

/* The effective scenario (output.dir left out: where a run goes is not what
 * it is) as YAML text, and its FNV-1a 64. */
static int effective(struct cman_node *root, struct cman_scenario *sc, struct cman_error *err)
{
	struct cman_node *o = cman_node_get(root, "output");
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp;

	if (o && o->type == CMAN_NODE_MAP) {
		for (i = 0; i < o->n; i++) {
			if (strcmp(o->keys[i]->scalar, "dir"))
				continue;
			cman_node_free(o->keys[i]);
			cman_node_free(o->items[i]);
			memmove(&o->keys[i], &o->keys[i + 1], (o->n - i - 1) * sizeof(*o->keys));
			memmove(&o->items[i], &o->items[i + 1], (o->n - i - 1) * sizeof(*o->items));
			o->n--;
			break;
		}
	}
	fp = open_memstream(&buf, &len);
	if (!fp)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	cman_node_write_yaml(fp, root);
	if (ferror(fp) | fclose(fp)) {
		free(buf);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	sc->effective_yaml = buf;
	sc->hash = cman_fnv1a64(CMAN_FNV1A64_INIT, buf, len);
	snprintf(sc->hash_hex, sizeof(sc->hash_hex), "%012llx",
		 (unsigned long long)(sc->hash >> 16));
	return 0;
}

int cman_scenario_load(const char *path, const char *const *sets, size_t n_sets,
		       struct cman_scenario *sc, struct cman_error *err)
{
	struct cman_node *root = NULL;
	const char *slash;
	size_t i;
	int rc = 0;

	defaults(sc);
	slash = strrchr(path, '/');
	sc->path = strdup(path);
	sc->dir = !slash ? strdup(".")
			 : slash == path ? strdup("/")
					 : strndup(path, (size_t)(slash - path));
	if (!sc->path || !sc->dir) {
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	if ((rc = cman_yaml_load_file(path, &root, err)) != 0)
		goto out;
	for (i = 0; i < n_sets; i++)
		if ((rc = cman_node_set_path(root, sets[i], err)) != 0)
			goto out;
	rc = parse_root(root, sc, err);
	if (!rc)
		rc = effective(root, sc, err);
out:
	cman_node_free(root);
	if (rc)
		cman_scenario_release(sc);
	return rc;
}
