/*
 * poolfile.c - a live pool file in Clusterman's shape: the top-level keys,
 * the discovery entries and the clusterman_sim block here; the autoscaling
 * keys through poolcfg.c.
 */
#include "cman/poolfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KP_MAX 256

void cman_pool_file_release(struct cman_pool_file *pf)
{
	size_t i;

	if (!pf)
		return;
	for (i = 0; i < pf->n_groups; i++) {
		free(pf->groups[i].tag);
		free(pf->groups[i].s3_bucket);
		free(pf->groups[i].s3_prefix);
		free(pf->groups[i].api_cache_bucket);
	}
	free(pf->groups);
	free(pf->path);
	free(pf->cluster);
	free(pf->pool);
	free(pf->scheduler);
	cman_node_free(pf->root);
	cman_pool_config_release(&pf->config);
	memset(pf, 0, sizeof(*pf));
	cman_pool_config_init(&pf->config);
}

int cman_pool_file_name(const char *path, char *cluster, char *pool, char *scheduler,
			size_t n, struct cman_error *err)
{
	const char *base = strrchr(path, '/'), *dot, *dir_end, *dir;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (!*base || !dot || dot == base || !dot[1])
		return cman_error_set(err, CMAN_EINVAL,
				      "%s: a pool file is named <pool>.<scheduler>, expected "
				      "for example default.mesos", path);
	if (strcmp(dot + 1, "mesos") && strcmp(dot + 1, "kubernetes"))
		return cman_error_set(err, CMAN_EINVAL,
				      "%s: unknown scheduler '%s' in the file name, expected "
				      "<pool>.mesos or <pool>.kubernetes", path, dot + 1);
	/* the cluster is the folder holding the file */
	dir_end = base > path ? base - 1 : path;
	while (dir_end > path && dir_end[-1] == '/' && dir_end - 1 > path)
		dir_end--;
	dir = dir_end;
	while (dir > path && dir[-1] != '/')
		dir--;
	if (dir_end <= dir || (dir_end - dir == 1 && *dir == '.'))
		return cman_error_set(err, CMAN_EINVAL,
				      "%s: a pool file lives in its cluster's folder, expected "
				      "<cluster>/<pool>.<scheduler>", path);
	if ((size_t)(dir_end - dir) >= n || (size_t)(dot - base) >= n || strlen(dot + 1) >= n)
		return cman_error_set(err, CMAN_EINVAL, "%s: name too long", path);
	memcpy(cluster, dir, (size_t)(dir_end - dir));
	cluster[dir_end - dir] = '\0';
	memcpy(pool, base, (size_t)(dot - base));
	pool[dot - base] = '\0';
	strcpy(scheduler, dot + 1);
	return 0;
}

static int opt_string(const struct cman_node *m, const char *path, const char *key,
		      char **out, struct cman_error *err)
{
	const struct cman_node *n = cman_node_get(m, key);
	char kp[KP_MAX];
	const char *s;
	int rc;

	if (!n)
		return 0;
	cman_key_path(kp, sizeof(kp), path, key);
	if ((rc = cman_node_string(n, kp, &s, err)) != 0)
		return rc;
	if (out && !(*out = strdup(s)))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", kp);
	return 0;
}

/* asg: {scale_in_protection: refuse | protect} (see poolfile.h). */
static int parse_protection(const struct cman_node *body, const char *path,
			    struct cman_discovery *g, struct cman_error *err)
{
	const struct cman_node *n = cman_node_get(body, "scale_in_protection");
	char kp[KP_MAX];
	const char *s;
	int rc;

	g->protection = CMAN_SCALE_IN_REFUSE;
	if (!n)
		return 0;
	cman_key_path(kp, sizeof(kp), path, "scale_in_protection");
	if ((rc = cman_node_string(n, kp, &s, err)) != 0)
		return rc;
	if (!strcmp(s, "refuse"))
		g->protection = CMAN_SCALE_IN_REFUSE;
	else if (!strcmp(s, "protect"))
		g->protection = CMAN_SCALE_IN_PROTECT;
	else
		return cman_node_error(n, err, "%s: unknown policy '%s', expected refuse (fail a "
				       "scale-in that AWS could choose victims for) or protect "
				       "(protect unprotected instances first)", kp, s);
	return 0;
}

static int parse_group(const struct cman_node *entry, const char *path,
		       struct cman_discovery *g, struct cman_error *err)
{
	static const char *const sfr_keys[] = { "tag", "s3", "aws_api_cache_bucket", NULL };
	static const char *const asg_keys[] = { "tag", "aws_api_cache_bucket",
						"scale_in_protection", NULL };
	static const char *const s3_keys[] = { "bucket", "prefix", NULL };
	const struct cman_node *body, *s3;
	char kp[KP_MAX], sp[KP_MAX + 8];
	const char *kind;
	int rc;

	if (entry->type != CMAN_NODE_MAP || entry->n != 1)
		return cman_node_error(entry, err,
				       "%s: expected a mapping with one key, sfr or asg "
				       "(- sfr: {tag: KEY})", path);
	kind = entry->keys[0]->scalar;
	body = entry->items[0];
	cman_key_path(kp, sizeof(kp), path, kind);
	if (!strcmp(kind, "sfr"))
		g->kind = CMAN_DISCOVER_SFR;
	else if (!strcmp(kind, "asg"))
		g->kind = CMAN_DISCOVER_ASG;
	else
		return cman_node_error(entry->keys[0], err,
				       "%s: unknown resource group kind '%s', expected sfr or asg "
				       "(Clusterman skips such an entry; it is refused here)",
				       path, kind);
	if ((rc = cman_node_check_keys(body, kp, g->kind == CMAN_DISCOVER_SFR ? sfr_keys
								   : asg_keys, err)) != 0)
		return rc;
	if ((rc = opt_string(body, kp, "tag", &g->tag, err)) != 0 ||
	    (rc = opt_string(body, kp, "aws_api_cache_bucket", &g->api_cache_bucket, err)) != 0)
		return rc;
	if ((rc = parse_protection(body, kp, g, err)) != 0)
		return rc;
	if ((s3 = cman_node_get(body, "s3"))) {
		snprintf(sp, sizeof(sp), "%s.s3", kp);
		if ((rc = cman_node_check_keys(s3, sp, s3_keys, err)) != 0)
			return rc;
		if (!cman_node_get(s3, "bucket"))
			return cman_node_error(s3, err, "%s: missing required key 'bucket'", sp);
		if ((rc = opt_string(s3, sp, "bucket", &g->s3_bucket, err)) != 0 ||
		    (rc = opt_string(s3, sp, "prefix", &g->s3_prefix, err)) != 0)
			return rc;
	}
	if (!g->tag && !g->s3_bucket)
		return cman_node_error(body, err,
				       "%s: no way to find the pool's groups, expected %s",
				       kp, g->kind == CMAN_DISCOVER_SFR ? "tag: KEY or s3: {bucket, prefix}"
								 : "tag: KEY");
	return 0;
}

static int parse_groups(const struct cman_node *root, struct cman_pool_file *pf,
			struct cman_error *err)
{
	const struct cman_node *rg = cman_node_get(root, "resource_groups");
	char ip[64];
	size_t i;
	int rc;

	if (!rg || (rg->type == CMAN_NODE_SCALAR && rg->null))
		return cman_node_error(rg ? rg : root, err,
				       "missing required key 'resource_groups', expected a list "
				       "of discovery entries (- sfr: {tag: KEY} or - asg: {tag: KEY})");
	if (rg->type != CMAN_NODE_SEQ)
		return cman_node_error(rg, err, "resource_groups: expected a list of discovery "
				       "entries (- sfr: {tag: KEY} or - asg: {tag: KEY})");
	if (rg->n && !(pf->groups = calloc(rg->n, sizeof(*pf->groups))))
		return cman_error_set(err, CMAN_ENOMEM, "resource_groups: out of memory");
	for (i = 0; i < rg->n; i++) {
		snprintf(ip, sizeof(ip), "resource_groups[%zu]", i);
		pf->n_groups = i + 1;
		if ((rc = parse_group(rg->items[i], ip, &pf->groups[i], err)) != 0)
			return rc;
	}
	return 0;
}

/* A key whose value must be a mapping (or empty). */
static int want_map(const struct cman_node *m, const char *path, const char *key,
		    struct cman_error *err)
{
	const struct cman_node *n = cman_node_section(m, key);
	char kp[KP_MAX];

	if (!n || n->type == CMAN_NODE_MAP)
		return 0;
	cman_key_path(kp, sizeof(kp), path, key);
	return cman_node_error(n, err, "%s: expected a mapping", kp);
}

/* A key whose value must be a list (or empty); strings: of strings. */
static int want_list(const struct cman_node *m, const char *key, bool strings,
		     struct cman_error *err)
{
	const struct cman_node *n = cman_node_section(m, key);
	char ip[KP_MAX];
	const char *s;
	size_t i;
	int rc;

	if (!n)
		return 0;
	if (n->type != CMAN_NODE_SEQ)
		return cman_node_error(n, err, "%s: expected a list", key);
	for (i = 0; strings && i < n->n; i++) {
		snprintf(ip, sizeof(ip), "%s[%zu]", key, i);
		if ((rc = cman_node_string(n->items[i], ip, &s, err)) != 0)
			return rc;
	}
	return 0;
}

static int parse_draining(const struct cman_node *root, struct cman_pool_file *pf,
			  struct cman_error *err)
{
	static const char *const keys[] = {
		"draining_time_threshold_seconds", "redraining_delay_seconds",
		"force_terminate", "process_spot_warnings", NULL,
	};
	const struct cman_node *d = cman_node_section(root, "draining");
	int64_t v;
	bool b;
	int rc;

	if (!d)
		return 0;
	if ((rc = cman_node_check_keys(d, "draining", keys, err)) != 0 ||
	    (rc = cman_node_opt_int64(d, "draining", "draining_time_threshold_seconds",
				      &pf->drain_timeout_seconds, 0, "an integer >= 0",
				      err)) != 0 ||
	    (rc = cman_node_opt_int64(d, "draining", "redraining_delay_seconds", &v, 0,
				      "an integer >= 0", err)) != 0 ||
	    (rc = cman_node_opt_bool(d, "draining", "force_terminate", &b, err)) != 0 ||
	    (rc = cman_node_opt_bool(d, "draining", "process_spot_warnings", &b, err)) != 0)
		return rc;
	return 0;
}

/* clusterman_sim: promote's record of the run and what backtest needs. */
static int parse_sim(const struct cman_node *root, struct cman_pool_file *pf,
		     struct cman_error *err)
{
	static const char *const keys[] = {
		"promoted_from", "simulation", "prices", "resource_groups", NULL,
	};
	static const char *const from_keys[] = {
		"run_dir", "run_id", "scenario", "scenario_hash", "total_cost", "seed",
		"warnings", "forced", NULL,
	};
	const struct cman_node *s = cman_node_section(root, "clusterman_sim"), *f, *rg;
	double cost;
	int64_t seed;
	bool forced;
	int rc;

	if (!s)
		return 0;
	if ((rc = cman_node_check_keys(s, "clusterman_sim", keys, err)) != 0 ||
	    (rc = want_map(s, "clusterman_sim", "simulation", err)) != 0 ||
	    (rc = want_map(s, "clusterman_sim", "prices", err)) != 0)
		return rc;
	if ((f = cman_node_section(s, "promoted_from"))) {
		if ((rc = cman_node_check_keys(f, "clusterman_sim.promoted_from", from_keys,
					       err)) != 0 ||
		    (rc = opt_string(f, "clusterman_sim.promoted_from", "run_dir", NULL, err)) != 0 ||
		    (rc = opt_string(f, "clusterman_sim.promoted_from", "run_id", NULL, err)) != 0 ||
		    (rc = opt_string(f, "clusterman_sim.promoted_from", "scenario", NULL, err)) != 0 ||
		    (rc = opt_string(f, "clusterman_sim.promoted_from", "scenario_hash", NULL,
				     err)) != 0 ||
		    (rc = cman_node_opt_double(f, "clusterman_sim.promoted_from", "total_cost",
					       &cost, 0, false, 1e300, "a number >= 0", err)) != 0 ||
		    (rc = cman_node_opt_int64(f, "clusterman_sim.promoted_from", "seed", &seed, 0,
					      "an integer >= 0", err)) != 0 ||
		    (rc = cman_node_opt_int64(f, "clusterman_sim.promoted_from", "warnings", &seed,
					      0, "an integer >= 0", err)) != 0 ||
		    (rc = cman_node_opt_bool(f, "clusterman_sim.promoted_from", "forced", &forced,
					     err)) != 0)
			return rc;
	}
	rg = cman_node_section(s, "resource_groups");
	if (rg && rg->type != CMAN_NODE_SEQ)
		return cman_node_error(rg, err, "clusterman_sim.resource_groups: expected a list "
				       "of simulated groups (- spot_fleet: ... or "
				       "- auto_scaling_group: ...)");
	pf->sim = s;
	return 0;
}

int cman_pool_file_load(const char *path, const struct cman_pool_parse_opts *defaults,
			struct cman_pool_file *pf, struct cman_error *err)
{
	struct cman_node *root = NULL;
	int rc;

	if ((rc = cman_yaml_load_file(path, &root, err)) != 0) {
		memset(pf, 0, sizeof(*pf));
		cman_pool_config_init(&pf->config);
		return rc;
	}
	return cman_pool_file_parse(path, root, defaults, pf, err);
}

int cman_pool_file_parse(const char *path, struct cman_node *root,
			 const struct cman_pool_parse_opts *defaults,
			 struct cman_pool_file *pf, struct cman_error *err)
{
	static const char *const keys[] = {
		"resource_groups", "scaling_limits", "autoscaling", "autoscale_signal",
		"draining_enabled", "draining", "alert_on_max_capacity", "sensu_config",
		"non_batch_framework_prefixes", "node_label_key", "pool_label_key",
		"safe_to_evict_key", "exclude_daemonset_pods", "node_migration",
		"clusterman_sim", NULL,
	};
	struct cman_pool_parse_opts o = { CMAN_POOL_CLUSTERMAN, NULL, 0.7, 0.1, { false } };
	char cluster[256], pool[256], sched[256];
	const char *str_keys[] = { "node_label_key", "pool_label_key", "safe_to_evict_key" };
	bool b;
	size_t i;
	int rc;

	memset(pf, 0, sizeof(*pf));
	cman_pool_config_init(&pf->config);
	pf->alert_on_max_capacity = true;
	pf->drain_timeout_seconds = CMAN_DRAIN_TIMEOUT_DEFAULT;
	pf->root = root;
	if ((rc = cman_pool_file_name(path, cluster, pool, sched, sizeof(cluster), err)) != 0)
		goto out;
	if (!(pf->path = strdup(path)) || !(pf->cluster = strdup(cluster)) ||
	    !(pf->pool = strdup(pool)) || !(pf->scheduler = strdup(sched))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	if ((rc = cman_node_check_keys(pf->root, "", keys, err)) != 0)
		goto out;
	if (defaults)
		o = *defaults;
	o.flavor = CMAN_POOL_CLUSTERMAN;
	o.pool = pf->pool;
	if ((rc = parse_groups(pf->root, pf, err)) != 0 ||
	    (rc = cman_pool_config_parse_opts(pf->root, "", &o, &pf->config, err)) != 0)
		goto out;
	if ((rc = cman_node_opt_bool(pf->root, "", "draining_enabled", &pf->draining_enabled,
				     err)) != 0 ||
	    (rc = cman_node_opt_bool(pf->root, "", "alert_on_max_capacity",
				     &pf->alert_on_max_capacity, err)) != 0 ||
	    (rc = cman_node_opt_bool(pf->root, "", "exclude_daemonset_pods", &b, err)) != 0 ||
	    (rc = parse_draining(pf->root, pf, err)) != 0 ||
	    (rc = want_list(pf->root, "sensu_config", false, err)) != 0 ||
	    (rc = want_list(pf->root, "non_batch_framework_prefixes", true, err)) != 0 ||
	    (rc = want_map(pf->root, "", "node_migration", err)) != 0)
		goto out;
	for (i = 0; i < sizeof(str_keys) / sizeof(str_keys[0]); i++)
		if ((rc = opt_string(pf->root, "", str_keys[i], NULL, err)) != 0)
			goto out;
	rc = parse_sim(pf->root, pf, err);
out:
	if (rc)
		cman_pool_file_release(pf);
	return rc;
}
