/*
 * service.c - the service file clusterman.yaml and the pool files it leads
 * to (cman/live/service.h).
 */
#include "cman/live/service.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cman/fsutil.h"

#define KP_MAX 256

const char *cman_live_config_find(const char *opt)
{
	const char *env = getenv("CLUSTERMAN_CONFIG");

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return CMAN_LIVE_DEFAULT_CONFIG;
}

void cman_live_config_release(struct cman_live_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->n_clusters; i++) {
		free(cfg->clusters[i].name);
		free(cfg->clusters[i].region);
		free(cfg->clusters[i].manager);
		free(cfg->clusters[i].mesos_url);
		free(cfg->clusters[i].account);
	}
	free(cfg->clusters);
	free(cfg->path);
	free(cfg->dir);
	free(cfg->pools_dir);
	cman_node_free(cfg->root);
	free(cfg->region);
	free(cfg->endpoint_url);
	free(cfg->access_key_file);
	free(cfg->state_table);
	free(cfg->store);
	free(cfg->default_signal_role);
	cman_signal_config_release(&cfg->default_signal);
	memset(cfg, 0, sizeof(*cfg));
}

const struct cman_live_cluster *cman_live_config_cluster(const struct cman_live_config *cfg,
							 const char *name)
{
	size_t i;

	for (i = 0; name && i < cfg->n_clusters; i++)
		if (!strcmp(cfg->clusters[i].name, name))
			return &cfg->clusters[i];
	return NULL;
}

/* ---- helpers ----------------------------------------------------------- */

static int nomem(struct cman_error *err, const char *what)
{
	return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", what);
}

/* An optional string key copied into *out (NULL out: checked only). */
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
	if (out) {
		free(*out);
		if (!(*out = strdup(s)))
			return nomem(err, kp);
	}
	return 0;
}

/* A mapping-valued key (absent or empty: NULL) whose keys are checked. */
static int section(const struct cman_node *m, const char *path, const char *key,
		   const char *const *keys, const struct cman_node **out,
		   struct cman_error *err)
{
	char kp[KP_MAX];

	*out = cman_node_section(m, key);
	if (!*out)
		return 0;
	cman_key_path(kp, sizeof(kp), path, key);
	return cman_node_check_keys(*out, kp, keys, err);
}

/* A path relative to the service file's folder, copied. */
static int resolve(const struct cman_live_config *cfg, const char *p, char **out,
		   struct cman_error *err)
{
	char buf[PATH_MAX];

	if (cman_path_join(buf, sizeof(buf), cfg->dir, p) != 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: path too long", p);
	free(*out);
	if (!(*out = strdup(buf)))
		return nomem(err, p);
	return 0;
}

/*
 * mesos_master_fqdn: [http:// | https://]HOST[:PORT] -> scheme://host:port
 * (Clusterman's key holds a bare host name, port 5050).
 */
static int mesos_url(const struct cman_node *n, const char *kp, char **out,
		     struct cman_error *err)
{
	const char *s, *host, *colon, *scheme = "http";
	char *end, buf[1024];
	long port = 5050;
	size_t hl;
	int rc;

	if ((rc = cman_node_string(n, kp, &s, err)) != 0)
		return rc;
	host = s;
	if (!strncmp(s, "http://", 7)) {
		host = s + 7;
	} else if (!strncmp(s, "https://", 8)) {
		host = s + 8;
		scheme = "https";
	} else if (strstr(s, "://")) {
		return cman_node_error(n, err, "%s: unknown scheme in '%s', expected http:// "
				       "or https:// (or a bare host name)", kp, s);
	}
	colon = strrchr(host, ':');
	hl = colon ? (size_t)(colon - host) : strlen(host);
	if (colon) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || *end || !colon[1] || port < 1 || port > 65535)
			return cman_node_error(n, err, "%s: bad port in '%s', expected "
					       "HOST[:PORT] with a port from 1 to 65535", kp, s);
	}
	if (!hl || memchr(host, '/', hl) || strchr(host, '/') ||
	    strcspn(host, " \t?#@") < hl)
		return cman_node_error(n, err, "%s: '%s' is not a host name, expected "
				       "[http:// or https://]HOST[:PORT]", kp, s);
	snprintf(buf, sizeof(buf), "%s://%.*s:%ld", scheme, (int)hl, host, port);
	if (!(*out = strdup(buf)))
		return nomem(err, kp);
	return 0;
}

/* ---- sections ---------------------------------------------------------- */

/* An optional timeout in seconds (> 0, at most an hour; fractions allowed)
 * into *ms, rounded up to a whole millisecond; left alone when absent. */
static int opt_seconds_ms(const struct cman_node *m, const char *path, const char *key,
			  long *ms, struct cman_error *err)
{
	double v = -1;
	int rc;

	if ((rc = cman_node_opt_double(m, path, key, &v, 0, true, 3600,
				       "seconds > 0 and <= 3600", err)) != 0)
		return rc;
	if (v > 0)
		*ms = (long)ceil(v * 1000.0);
	return 0;
}

static int parse_aws(const struct cman_node *root, struct cman_live_config *cfg,
		     struct cman_error *err)
{
	static const char *const keys[] = {
		"region", "access_key_file", "endpoint_url", "add_entrypoint_info",
		"signals_bucket", "state_table", "timeout_seconds", "connect_timeout_seconds",
		NULL,
	};
	const struct cman_node *a;
	char *akf = NULL;
	bool b;
	int rc;

	if ((rc = section(root, "", "aws", keys, &a, err)) != 0 || !a)
		return rc;
	if ((rc = opt_string(a, "aws", "region", &cfg->region, err)) != 0 ||
	    (rc = opt_string(a, "aws", "endpoint_url", &cfg->endpoint_url, err)) != 0 ||
	    (rc = opt_string(a, "aws", "signals_bucket", NULL, err)) != 0 ||
	    (rc = opt_string(a, "aws", "state_table", &cfg->state_table, err)) != 0 ||
	    (rc = cman_node_opt_bool(a, "aws", "add_entrypoint_info", &b, err)) != 0 ||
	    (rc = opt_string(a, "aws", "access_key_file", &akf, err)) != 0 ||
	    (rc = opt_seconds_ms(a, "aws", "timeout_seconds", &cfg->aws_timeout_ms, err)) != 0 ||
	    (rc = opt_seconds_ms(a, "aws", "connect_timeout_seconds",
				 &cfg->aws_connect_timeout_ms, err)) != 0)
		goto out;
	if (cfg->endpoint_url && strncmp(cfg->endpoint_url, "http://", 7) &&
	    strncmp(cfg->endpoint_url, "https://", 8)) {
		rc = cman_node_error(cman_node_get(a, "endpoint_url"), err,
				     "aws.endpoint_url: '%s' is not a URL, expected http://... or "
				     "https://... ({svc} is replaced by the service name)",
				     cfg->endpoint_url);
		goto out;
	}
	if (akf)
		rc = resolve(cfg, akf, &cfg->access_key_file, err);
out:
	free(akf);
	return rc;
}

static int parse_cluster(const struct cman_node *m, const char *name, const char *path,
			 struct cman_live_config *cfg, struct cman_live_cluster *c,
			 struct cman_error *err)
{
	static const char *const keys[] = {
		"aws_region", "aws_account_number", "cluster_manager", "mesos_master_fqdn",
		"kubeconfig_path", "pod_safe_to_evict_annotation", "drain_queue_url",
		"termination_queue_url", "warning_queue_url", "always_delay_drain_processing",
		"spot_fleet_resource_groups_cache_seconds",
		"auto_scaling_resource_groups_cache_seconds", "sensu_config", NULL,
	};
	static const char *const strs[] = {
		"kubeconfig_path", "pod_safe_to_evict_annotation", "drain_queue_url",
		"termination_queue_url", "warning_queue_url",
	};
	const struct cman_node *n;
	char kp[KP_MAX];
	int64_t v;
	bool b;
	size_t i;
	int rc;

	if (!(c->name = strdup(name)))
		return nomem(err, path);
	if (m->type == CMAN_NODE_SCALAR && m->null)
		return cman_node_error(m, err, "%s: empty cluster, expected at least "
				       "aws_region and mesos_master_fqdn", path);
	if ((rc = cman_node_check_keys(m, path, keys, err)) != 0 ||
	    (rc = opt_string(m, path, "aws_region", &c->region, err)) != 0 ||
	    (rc = opt_string(m, path, "cluster_manager", &c->manager, err)) != 0)
		return rc;
	/* the account number is a string in Clusterman; YAML reads digits as
	 * a plain scalar, which is fine */
	if ((n = cman_node_get(m, "aws_account_number"))) {
		cman_key_path(kp, sizeof(kp), path, "aws_account_number");
		if (n->type != CMAN_NODE_SCALAR || n->null || !*n->scalar)
			return cman_node_error(n, err, "%s: expected an account number", kp);
		if (!(c->account = strdup(n->scalar)))
			return nomem(err, kp);
	}
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if ((rc = opt_string(m, path, strs[i], NULL, err)) != 0)
			return rc;
	if ((rc = cman_node_opt_bool(m, path, "always_delay_drain_processing", &b, err)) != 0 ||
	    (rc = cman_node_opt_int64(m, path, "spot_fleet_resource_groups_cache_seconds", &v, 0,
				      "an integer >= 0", err)) != 0 ||
	    (rc = cman_node_opt_int64(m, path, "auto_scaling_resource_groups_cache_seconds", &v,
				      0, "an integer >= 0", err)) != 0)
		return rc;
	if ((n = cman_node_section(m, "sensu_config")) && n->type != CMAN_NODE_SEQ) {
		cman_key_path(kp, sizeof(kp), path, "sensu_config");
		return cman_node_error(n, err, "%s: expected a list of one mapping", kp);
	}
	if (!c->manager && !(c->manager = strdup("mesos")))
		return nomem(err, path);
	if (strcmp(c->manager, "mesos") && strcmp(c->manager, "kubernetes")) {
		cman_key_path(kp, sizeof(kp), path, "cluster_manager");
		return cman_node_error(cman_node_get(m, "cluster_manager"), err,
				       "%s: unknown cluster manager '%s', expected mesos or kubernetes",
				       kp, c->manager);
	}
	if (!c->region) {
		if (!cfg->region)
			return cman_node_error(m, err, "%s: missing required key 'aws_region' "
					       "(or aws.region for every cluster)", path);
		if (!(c->region = strdup(cfg->region)))
			return nomem(err, path);
	}
	if ((n = cman_node_get(m, "mesos_master_fqdn"))) {
		cman_key_path(kp, sizeof(kp), path, "mesos_master_fqdn");
		if ((rc = mesos_url(n, kp, &c->mesos_url, err)) != 0)
			return rc;
	} else if (!strcmp(c->manager, "mesos")) {
		return cman_node_error(m, err, "%s: missing required key 'mesos_master_fqdn', "
				       "expected the Mesos master ([http://]HOST[:PORT], port 5050 "
				       "by default)", path);
	}
	return 0;
}

static int parse_clusters(const struct cman_node *root, struct cman_live_config *cfg,
			  struct cman_error *err)
{
	const struct cman_node *cl = cman_node_section(root, "clusters");
	char kp[KP_MAX];
	size_t i;
	int rc;

	if (!cl)
		return cman_node_error(root, err, "missing required key 'clusters', expected a "
				       "mapping of cluster names to {aws_region, mesos_master_fqdn, ...}");
	if (cl->type != CMAN_NODE_MAP)
		return cman_node_error(cl, err, "clusters: expected a mapping of cluster names");
	if (cl->n && !(cfg->clusters = calloc(cl->n, sizeof(*cfg->clusters))))
		return nomem(err, "clusters");
	for (i = 0; i < cl->n; i++) {
		const char *name = cl->keys[i]->scalar;

		cman_key_path(kp, sizeof(kp), "clusters", name);
		cfg->n_clusters = i + 1;
		if (!*name || strchr(name, '/') || name[0] == '.')
			return cman_node_error(cl->keys[i], err, "%s: '%s' cannot name a folder "
					       "of pool files, expected a cluster name", kp, name);
		if ((rc = parse_cluster(cl->items[i], name, kp, cfg, &cfg->clusters[i], err)) != 0)
			return rc;
	}
	return 0;
}

static int parse_autoscaling(const struct cman_node *root, struct cman_live_config *cfg,
			     struct cman_error *err)
{
	static const char *const keys[] = {
		"default_signal_role", "setpoint", "target_capacity_margin",
		"excluded_resources", NULL,
	};
	const struct cman_node *a, *ex, *sig;
	struct cman_pool_parse_opts so = { CMAN_POOL_CLUSTERMAN, NULL, 0, 0, { false } };
	char ip[KP_MAX];
	const char *s;
	size_t i;
	int r, rc;

	cfg->defaults.flavor = CMAN_POOL_CLUSTERMAN;
	cfg->defaults.setpoint = 0.7;
	cfg->defaults.target_capacity_margin = 0.1;
	if ((rc = section(root, "", "autoscaling", keys, &a, err)) != 0)
		return rc;
	if (a) {
		if ((rc = opt_string(a, "autoscaling", "default_signal_role",
				     &cfg->default_signal_role, err)) != 0 ||
		    (rc = cman_node_opt_double(a, "autoscaling", "setpoint", &cfg->defaults.setpoint,
					       0, true, 1, "a number in (0, 1]", err)) != 0 ||
		    (rc = cman_node_opt_double(a, "autoscaling", "target_capacity_margin",
					       &cfg->defaults.target_capacity_margin, 0, false,
					       1e6, "a number >= 0 and <= 1e6", err)) != 0)
			return rc;
		if ((ex = cman_node_section(a, "excluded_resources"))) {
			if (ex->type != CMAN_NODE_SEQ)
				return cman_node_error(ex, err, "autoscaling.excluded_resources: "
						       "expected a list of cpus, mem, disk, gpus");
			for (i = 0; i < ex->n; i++) {
				snprintf(ip, sizeof(ip), "autoscaling.excluded_resources[%zu]", i);
				if ((rc = cman_node_string(ex->items[i], ip, &s, err)) != 0)
					return rc;
				for (r = 0; r < CMAN_RES_COUNT; r++)
					if (!strcmp(s, cman_resource_name((enum cman_resource)r)))
						break;
				if (r == CMAN_RES_COUNT)
					return cman_node_error(ex->items[i], err,
							       "%s: unknown resource '%s', expected "
							       "one of cpus, mem, disk, gpus", ip, s);
				cfg->defaults.excluded[r] = true;
			}
		}
	}
	/* the default signal: namespace autoscaling.default_signal_role */
	if ((sig = cman_node_section(root, "autoscale_signal"))) {
		so.pool = cfg->default_signal_role;
		if ((rc = cman_signal_config_parse(sig, "autoscale_signal", &so,
						   &cfg->default_signal, err)) != 0)
			return rc;
		cfg->has_default_signal = true;
	}
	return 0;
}

static int parse_batches(const struct cman_node *root, struct cman_live_config *cfg,
			 struct cman_error *err)
{
	static const char *const keys[] = {
		"cluster_metrics", "spot_prices", "drainer", "node_migration", NULL,
	};
	static const char *const interval[] = { "run_interval_seconds", NULL };
	static const char *const prices[] = {
		"run_interval_seconds", "dedupe_interval_seconds", NULL,
	};
	static const char *const nm[] = {
		"run_interval_seconds", "max_worker_processes",
		"worker_termination_timeout_seconds", "failed_attemps_margin", NULL,
	};
	const struct cman_node *b, *s;
	int64_t v;
	size_t i;
	int rc;

	cfg->metrics_interval = cfg->prices_interval = cfg->prices_dedupe = 60;
	if ((rc = section(root, "", "batches", keys, &b, err)) != 0 || !b)
		return rc;
	if ((rc = section(b, "batches", "cluster_metrics", interval, &s, err)) != 0 ||
	    (s && (rc = cman_node_opt_int64(s, "batches.cluster_metrics", "run_interval_seconds",
					    &cfg->metrics_interval, 1, "an integer > 0", err)) != 0))
		return rc;
	if ((rc = section(b, "batches", "spot_prices", prices, &s, err)) != 0 ||
	    (s && (rc = cman_node_opt_int64(s, "batches.spot_prices", "run_interval_seconds",
					    &cfg->prices_interval, 1, "an integer > 0", err)) != 0) ||
	    (s && (rc = cman_node_opt_int64(s, "batches.spot_prices", "dedupe_interval_seconds",
					    &cfg->prices_dedupe, 1, "an integer > 0", err)) != 0))
		return rc;
	if ((rc = section(b, "batches", "drainer", interval, &s, err)) != 0 ||
	    (s && (rc = cman_node_opt_int64(s, "batches.drainer", "run_interval_seconds", &v, 1,
					    "an integer > 0", err)) != 0))
		return rc;
	if ((rc = section(b, "batches", "node_migration", nm, &s, err)) != 0)
		return rc;
	for (i = 0; s && nm[i]; i++)
		if ((rc = cman_node_opt_int64(s, "batches.node_migration", nm[i], &v, 0,
					      "an integer >= 0", err)) != 0)
			return rc;
	return 0;
}

/* metrics: {sqlite: FILE} or {dynamodb: {table_prefix, region}}; default
 * Clusterman's DynamoDB tables. */
static int parse_metrics(const struct cman_node *root, struct cman_live_config *cfg,
			 struct cman_error *err)
{
	static const char *const keys[] = { "sqlite", "dynamodb", NULL };
	static const char *const dkeys[] = { "table_prefix", "region", NULL };
	const struct cman_node *m, *d = NULL;
	char *sqlite = NULL, *prefix = NULL, *region = NULL, buf[1024];
	int rc;

	if ((rc = section(root, "", "metrics", keys, &m, err)) != 0)
		return rc;
	if (m && cman_node_get(m, "sqlite") && cman_node_get(m, "dynamodb")) {
		rc = cman_node_error(m, err, "metrics: both sqlite and dynamodb, expected one "
				     "store");
		goto out;
	}
	if (m && (rc = opt_string(m, "metrics", "sqlite", &sqlite, err)) != 0)
		goto out;
	if (sqlite) {
		cfg->store_is_sqlite = true;
		rc = resolve(cfg, sqlite, &cfg->store, err);
		goto out;
	}
	if (m && (rc = section(m, "metrics", "dynamodb", dkeys, &d, err)) != 0)
		goto out;
	if (d && ((rc = opt_string(d, "metrics.dynamodb", "table_prefix", &prefix, err)) != 0 ||
		  (rc = opt_string(d, "metrics.dynamodb", "region", &region, err)) != 0))
		goto out;
	if (!region && cfg->region && !(region = strdup(cfg->region))) {
		rc = nomem(err, "metrics");
		goto out;
	}
	snprintf(buf, sizeof(buf), "dynamodb://%s%s%s", prefix ? prefix : "clusterman_",
		 region ? "?region=" : "", region ? region : "");
	if (!(cfg->store = strdup(buf)))
		rc = nomem(err, "metrics");
out:
	free(sqlite);
	free(prefix);
	free(region);
	return rc;
}

static int parse_rest(const struct cman_node *root, struct cman_live_config *cfg,
		      struct cman_error *err)
{
	static const char *const mesos_keys[] = {
		"mesos_agent_secret_path", "timeout_seconds", "connect_timeout_seconds", NULL,
	};
	static const char *const dtt_keys[] = { "sfr", "asg", NULL };
	static const char *const ints[] = {
		"mesos_maintenance_timeout_seconds", "global_redraining_delay_seconds",
	};
	const struct cman_node *s;
	int64_t v;
	bool b;
	size_t i;
	int rc;

	if ((rc = section(root, "", "mesos", mesos_keys, &s, err)) != 0 ||
	    (s && (rc = opt_string(s, "mesos", "mesos_agent_secret_path", NULL, err)) != 0) ||
	    (s && (rc = opt_seconds_ms(s, "mesos", "timeout_seconds", &cfg->mesos_timeout_ms,
				       err)) != 0) ||
	    (s && (rc = opt_seconds_ms(s, "mesos", "connect_timeout_seconds",
				       &cfg->mesos_connect_timeout_ms, err)) != 0))
		return rc;
	if ((rc = section(root, "", "drain_termination_timeout_seconds", dtt_keys, &s,
			  err)) != 0)
		return rc;
	for (i = 0; s && dtt_keys[i]; i++)
		if ((rc = cman_node_opt_int64(s, "drain_termination_timeout_seconds", dtt_keys[i],
					      &v, 0, "an integer >= 0", err)) != 0)
			return rc;
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if ((rc = cman_node_opt_int64(root, "", ints[i], &v, 0, "an integer >= 0",
					      err)) != 0)
			return rc;
	if ((rc = cman_node_opt_bool(root, "", "exclude_daemonset_pods", &b, err)) != 0 ||
	    (rc = opt_string(root, "", "monitoring_client", NULL, err)) != 0)
		return rc;
	if ((s = cman_node_section(root, "sensu_config")) && s->type != CMAN_NODE_SEQ)
		return cman_node_error(s, err, "sensu_config: expected a list of one mapping");
	if ((s = cman_node_section(root, "module_config")) && s->type != CMAN_NODE_SEQ)
		return cman_node_error(s, err, "module_config: expected a list of "
				       "{namespace, file} mappings");
	if ((s = cman_node_section(root, "module_env_config")) && s->type != CMAN_NODE_SEQ)
		return cman_node_error(s, err, "module_env_config: expected a list");
	return 0;
}

int cman_live_config_load(const char *path, struct cman_live_config *cfg,
			  struct cman_error *err)
{
	static const char *const keys[] = {
		"aws", "clusters", "autoscaling", "autoscale_signal", "batches", "metrics",
		"cluster_config_directory", "drain_termination_timeout_seconds",
		"mesos_maintenance_timeout_seconds", "global_redraining_delay_seconds",
		"exclude_daemonset_pods", "sensu_config", "monitoring_client", "mesos",
		"module_config", "module_env_config", NULL,
	};
	const char *slash;
	char *ccd = NULL;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!(cfg->path = strdup(path))) {
		rc = nomem(err, path);
		goto out;
	}
	slash = strrchr(path, '/');
	cfg->dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
			 : strdup(".");
	if (!cfg->dir) {
		rc = nomem(err, path);
		goto out;
	}
	if ((rc = cman_yaml_load_file(path, &cfg->root, err)) != 0)
		goto out;
	if ((rc = cman_node_check_keys(cfg->root, "", keys, err)) != 0 ||
	    (rc = parse_aws(cfg->root, cfg, err)) != 0 ||
	    (rc = parse_autoscaling(cfg->root, cfg, err)) != 0 ||
	    (rc = parse_clusters(cfg->root, cfg, err)) != 0 ||
	    (rc = parse_batches(cfg->root, cfg, err)) != 0 ||
	    (rc = parse_metrics(cfg->root, cfg, err)) != 0 ||
	    (rc = parse_rest(cfg->root, cfg, err)) != 0 ||
	    (rc = opt_string(cfg->root, "", "cluster_config_directory", &ccd, err)) != 0)
		goto out;
	if ((rc = resolve(cfg, ccd ? ccd : "clusters", &cfg->pools_dir, err)) != 0)
		goto out;
	if (!cfg->state_table && !(cfg->state_table = strdup("clusterman_cluster_state")))
		rc = nomem(err, path);
out:
	free(ccd);
	if (rc)
		cman_live_config_release(cfg);
	return rc;
}

int cman_live_config_pool_path(const struct cman_live_config *cfg, const char *cluster,
			       const char *pool, const char *scheduler, char *buf, size_t n)
{
	int w = snprintf(buf, n, "%s/%s/%s.%s", cfg->pools_dir, cluster, pool, scheduler);

	return (w < 0 || (size_t)w >= n) ? CMAN_EINVAL : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool pool_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	return name[0] != '.' && dot && dot != name &&
	       (!strcmp(dot, ".mesos") || !strcmp(dot, ".kubernetes"));
}

int cman_live_config_pool_files(const struct cman_live_config *cfg, const char *cluster,
				char ***paths, size_t *n, struct cman_error *err)
{
	char dir[PATH_MAX], p[PATH_MAX];
	char **list = NULL, **grown;
	size_t cnt = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	*paths = NULL;
	*n = 0;
	snprintf(dir, sizeof(dir), "%s/%s", cfg->pools_dir, cluster);
	if (!(d = opendir(dir))) {
		if (errno != ENOENT)
			return cman_error_set(err, CMAN_EIO, "%s: cannot read: %s", dir,
					      strerror(errno));
	} else {
		while ((de = readdir(d))) {
			if (!pool_name(de->d_name))
				continue;
			if (cnt + 2 > cap) {
				cap = cap ? 2 * cap : 8;
				if (!(grown = realloc(list, cap * sizeof(*list)))) {
					rc = nomem(err, dir);
					break;
				}
				list = grown;
			}
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			if (!(list[cnt] = strdup(p))) {
				rc = nomem(err, dir);
				break;
			}
			cnt++;
		}
		closedir(d);
	}
	if (!rc && !list && !(list = calloc(1, sizeof(*list))))
		rc = nomem(err, dir);
	if (rc) {
		for (i = 0; i < cnt; i++)
			free(list[i]);
		free(list);
		return rc;
	}
	qsort(list, cnt, sizeof(*list), cmp_str);
	list[cnt] = NULL;
	*paths = list;
	*n = cnt;
	return 0;
}

void cman_live_config_aws(const struct cman_live_config *cfg, const char *region,
			  struct cman_aws_config *ac)
{
	cman_aws_config_init(ac);
	if (region)
		snprintf(ac->region, sizeof(ac->region), "%s", region);
	if (cfg->endpoint_url)
		snprintf(ac->endpoint_url, sizeof(ac->endpoint_url), "%s", cfg->endpoint_url);
	if (cfg->access_key_file)
		snprintf(ac->access_key_file, sizeof(ac->access_key_file), "%s",
			 cfg->access_key_file);
	if (cfg->aws_timeout_ms > 0)
		ac->timeout_ms = cfg->aws_timeout_ms;
	if (cfg->aws_connect_timeout_ms > 0)
		ac->connect_timeout_ms = cfg->aws_connect_timeout_ms;
}

void cman_live_config_mesos(const struct cman_live_config *cfg, struct cman_mesos_config *mc)
{
	if (cfg->mesos_timeout_ms > 0)
		mc->timeout_ms = cfg->mesos_timeout_ms;
	if (cfg->mesos_connect_timeout_ms > 0)
		mc->connect_timeout_ms = cfg->mesos_connect_timeout_ms;
}
