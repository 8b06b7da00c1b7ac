/*
 * poolcfg.c - a pool's autoscaling configuration read from a cman_node
 * mapping: every key checked (unknown keys name their full path), every
 * value typed and range-checked at its own position.
 */
#include "cman/poolcfg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/limits.h"

static const char *const resource_names[CMAN_RES_COUNT] = {
	"cpus", "mem", "disk", "gpus",
};

const char *cman_resource_name(enum cman_resource r)
{
	if ((unsigned)r >= CMAN_RES_COUNT)
		return "?";
	return resource_names[r];
}

void cman_pool_config_init(struct cman_pool_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->setpoint = 0.7;
	cfg->target_capacity_margin = 0.1;
	cfg->capacity_offset = 0;
	cfg->min_capacity = 0;
	cfg->max_capacity = INFINITY;
	cfg->max_weight_to_add = INFINITY;
	cfg->max_weight_to_remove = INFINITY;
	cfg->max_tasks_to_kill = INFINITY;
	cfg->min_node_scalein_uptime_seconds = -1;   /* Clusterman's: off */
	cfg->orphan_instance_uptime_threshold_seconds = 1800;
}

void cman_signal_config_release(struct cman_signal_config *s)
{
	size_t i;

	free(s->name);
	free(s->namespace_);
	if (s->command)
		for (i = 0; s->command[i]; i++)
			free(s->command[i]);
	free(s->command);
	for (i = 0; i < s->n_required_metrics; i++)
		free(s->required_metrics[i].name);
	free(s->required_metrics);
	cman_node_free(s->parameters);
	memset(s, 0, sizeof(*s));
}

void cman_pool_config_release(struct cman_pool_config *cfg)
{
	cman_signal_config_release(&cfg->signal);
	cman_pool_config_init(cfg);
}

static bool clusterman(const struct cman_pool_parse_opts *o)
{
	return o && o->flavor == CMAN_POOL_CLUSTERMAN;
}

/* ---- helpers ----------------------------------------------------------- */

#define PATH_MAX_LEN 256

static int missing(const struct cman_node *map, const char *path,
		   const char *key, struct cman_error *err)
{
	return cman_node_error(map, err, "%s: missing required key '%s'", path, key);
}

static int dup_string(const struct cman_node *n, const char *kp, char **out,
		      struct cman_error *err)
{
	const char *s;
	int rc;

	if ((rc = cman_node_string(n, kp, &s, err)) != 0)
		return rc;
	if (!(*out = strdup(s)))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", kp);
	return 0;
}

/* ---- sections ---------------------------------------------------------- */

/* Issue 9.6: an integer read from key must be at most max. */
static int at_most(const struct cman_node *m, const char *path, const char *key, int64_t v,
		   int64_t max, const char *unit, struct cman_error *err)
{
	char kp[PATH_MAX_LEN];

	if (v <= max)
		return 0;
	cman_key_path(kp, PATH_MAX_LEN, path, key);
	return cman_node_error(cman_node_get(m, key), err,
			       "%s: %lld is out of range, expected at most %lld %s (366 days)",
			       kp, (long long)v, (long long)max, unit);
}

static int parse_autoscaling(const struct cman_node *m, const char *path,
			     const struct cman_pool_parse_opts *o,
			     struct cman_pool_config *cfg, struct cman_error *err)
{
	static const char *const keys[] = {
		"setpoint", "target_capacity_margin", "excluded_resources",
		"capacity_offset", "prevent_scale_down_after_capacity_loss",
		"instance_loss_threshold", NULL,
	};
	/* Clusterman's pool file: also the orphan threshold (here, not in
	 * scaling_limits) and the Kubernetes prune-order switch */
	static const char *const ckeys[] = {
		"setpoint", "target_capacity_margin", "excluded_resources",
		"capacity_offset", "prevent_scale_down_after_capacity_loss",
		"instance_loss_threshold", "orphan_instance_uptime_threshold_seconds",
		"killable_nodes_prioritizing_v2", NULL,
	};
	const struct cman_node *ex, *n;
	bool unused;
	char kp[PATH_MAX_LEN], ip[PATH_MAX_LEN + 24];
	const char *s;
	size_t i;
	int rc, r;

	if ((rc = cman_node_check_keys(m, path, clusterman(o) ? ckeys : keys, err)) != 0)
		return rc;
	if (clusterman(o)) {
		if ((rc = cman_node_opt_bool(m, path, "killable_nodes_prioritizing_v2", &unused,
					     err)) != 0 ||
		    (rc = cman_node_opt_int64(m, path, "orphan_instance_uptime_threshold_seconds",
				  &cfg->orphan_instance_uptime_threshold_seconds, 0,
				  "an integer >= 0", err)) != 0 ||
		    (rc = at_most(m, path, "orphan_instance_uptime_threshold_seconds",
				  cfg->orphan_instance_uptime_threshold_seconds,
				  (int64_t)CMAN_SECONDS_MAX, "seconds", err)) != 0)
			return rc;
	}
	if ((rc = cman_node_opt_double(m, path, "setpoint", &cfg->setpoint, 0, true, 1,
			     "a number in (0, 1]", err)) != 0)
		return rc;
	if ((rc = cman_node_opt_double(m, path, "target_capacity_margin",
			     &cfg->target_capacity_margin, 0, false, 1e6,
			     "a number >= 0 and <= 1e6", err)) != 0)
		return rc;
	if ((rc = cman_node_opt_double(m, path, "capacity_offset", &cfg->capacity_offset,
			     -INFINITY, false, INFINITY, "a number", err)) != 0)
		return rc;
	if (!(fabs(cfg->capacity_offset) <= CMAN_CAPACITY_MAX)) {
		cman_key_path(kp, PATH_MAX_LEN, path, "capacity_offset");
		return cman_node_error(cman_node_get(m, "capacity_offset"), err,
				       "%s: must be finite and within [-1e9, 1e9], expected a number",
				       kp);
	}
	if ((n = cman_node_get(m, "prevent_scale_down_after_capacity_loss"))) {
		cman_key_path(kp, PATH_MAX_LEN, path, "prevent_scale_down_after_capacity_loss");
		if ((rc = cman_node_bool(n, kp, &cfg->prevent_scale_down_after_capacity_loss,
					 err)) != 0)
			return rc;
	}
	if ((rc = cman_node_opt_int64(m, path, "instance_loss_threshold",
			  &cfg->instance_loss_threshold, 0, "an integer >= 0",
			  err)) != 0)
		return rc;
	ex = cman_node_section(m, "excluded_resources");
	if (!ex)
		return 0;
	cman_key_path(kp, PATH_MAX_LEN, path, "excluded_resources");
	if (ex->type != CMAN_NODE_SEQ)
		return cman_node_error(ex, err,
				       "%s: expected a list of cpus, mem, disk, gpus", kp);
	memset(cfg->excluded, 0, sizeof(cfg->excluded));   /* replaces a default */
	for (i = 0; i < ex->n; i++) {
		snprintf(ip, sizeof(ip), "%s[%zu]", kp, i);
		if ((rc = cman_node_string(ex->items[i], ip, &s, err)) != 0)
			return rc;
		for (r = 0; r < CMAN_RES_COUNT; r++)
			if (!strcmp(s, resource_names[r]))
				break;
		if (r == CMAN_RES_COUNT)
			return cman_node_error(ex->items[i], err,
					       "%s: unknown resource '%s', expected one of cpus, mem, disk, gpus",
					       ip, s);
		cfg->excluded[r] = true;
	}
	return 0;
}

static int parse_limits(const struct cman_node *m, const char *path,
			const struct cman_pool_parse_opts *o,
			struct cman_pool_config *cfg, struct cman_error *err)
{
	static const char *const keys[] = {
		"min_capacity", "max_capacity", "max_weight_to_add",
		"max_weight_to_remove", "max_tasks_to_kill",
		"min_node_scalein_uptime_seconds",
		"orphan_instance_uptime_threshold_seconds", NULL,
	};
	static const char *const ckeys[] = {
		"min_capacity", "max_capacity", "max_weight_to_add",
		"max_weight_to_remove", "max_tasks_to_kill",
		"min_node_scalein_uptime_seconds", NULL,
	};
	static const char *const dkeys[] = {
		"min_capacity", "max_capacity", "max_weight_to_add",
		"max_weight_to_remove", "max_tasks_to_kill",
	};
	double *dout[] = {
		&cfg->min_capacity, &cfg->max_capacity, &cfg->max_weight_to_add,
		&cfg->max_weight_to_remove, &cfg->max_tasks_to_kill,
	};
	const struct cman_node *n;
	char kp[PATH_MAX_LEN];
	size_t i;
	int rc;

	if ((rc = cman_node_check_keys(m, path, clusterman(o) ? ckeys : keys, err)) != 0)
		return rc;
	if (clusterman(o)) {
		/* Clusterman requires the four capacity limits; its
		 * max_tasks_to_kill is read as a string first ('inf') and is 0
		 * when absent */
		for (i = 0; i < 4; i++)
			if (!cman_node_get(m, dkeys[i]))
				return missing(m, path, dkeys[i], err);
		cfg->max_tasks_to_kill = 0;
		n = cman_node_get(m, "max_tasks_to_kill");
		if (n && n->type == CMAN_NODE_SCALAR && n->quoted && !strcmp(n->scalar, "inf"))
			cfg->max_tasks_to_kill = INFINITY;
	}
	for (i = 0; i < sizeof(dkeys) / sizeof(dkeys[0]); i++) {
		if (clusterman(o) && i == 4 && isinf(cfg->max_tasks_to_kill))
			continue;    /* the quoted 'inf' */
		if ((rc = cman_node_opt_double(m, path, dkeys[i], dout[i], 0, false,
				     INFINITY, "a number >= 0 (or inf)", err)) != 0)
			return rc;
		/* issue 9.6: finite capacities are bounded; inf means no limit */
		if (isfinite(*dout[i]) && *dout[i] > CMAN_CAPACITY_MAX) {
			cman_key_path(kp, PATH_MAX_LEN, path, dkeys[i]);
			return cman_node_error(cman_node_get(m, dkeys[i]), err,
					       "%s: %g is out of range, expected a number from 0 "
					       "to 1e9 (or inf)", kp, *dout[i]);
		}
	}
	if ((rc = cman_node_opt_int64(m, path, "min_node_scalein_uptime_seconds",
			  &cfg->min_node_scalein_uptime_seconds, -1,
			  "an integer >= -1 (-1: off)", err)) != 0 ||
	    (rc = at_most(m, path, "min_node_scalein_uptime_seconds",
			  cfg->min_node_scalein_uptime_seconds, (int64_t)CMAN_SECONDS_MAX,
			  "seconds", err)) != 0)
		return rc;
	if ((rc = cman_node_opt_int64(m, path, "orphan_instance_uptime_threshold_seconds",
			  &cfg->orphan_instance_uptime_threshold_seconds, 0,
			  "an integer >= 0", err)) != 0 ||
	    (rc = at_most(m, path, "orphan_instance_uptime_threshold_seconds",
			  cfg->orphan_instance_uptime_threshold_seconds,
			  (int64_t)CMAN_SECONDS_MAX, "seconds", err)) != 0)
		return rc;
	if (cfg->min_capacity > cfg->max_capacity) {
		n = cman_node_get(m, "min_capacity");
		if (!n)
			n = cman_node_get(m, "max_capacity");
		cman_key_path(kp, PATH_MAX_LEN, path, "min_capacity");
		return cman_node_error(n, err,
				       "%s: %g is greater than max_capacity %g, expected min_capacity <= max_capacity",
				       kp, cfg->min_capacity, cfg->max_capacity);
	}
	return 0;
}

static int parse_required_metric(const struct cman_node *m, const char *path,
				 const struct cman_pool_parse_opts *o,
				 struct cman_required_metric *rm,
				 struct cman_error *err)
{
	static const char *const keys[] = { "name", "type", "minute_range", NULL };
	static const char *const ckeys[] = { "name", "type", "minute_range", "regex", NULL };
	const struct cman_node *t;
	char kp[PATH_MAX_LEN];
	const char *s;
	bool regex = false;
	int rc;

	if ((rc = cman_node_check_keys(m, path, clusterman(o) ? ckeys : keys, err)) != 0)
		return rc;
	if ((t = cman_node_get(m, "regex"))) {
		cman_key_path(kp, PATH_MAX_LEN, path, "regex");
		if ((rc = cman_node_bool(t, kp, &regex, err)) != 0)
			return rc;
		if (regex)
			return cman_node_error(t, err,
					       "%s: metric names as regular expressions are not supported, "
					       "expected regex: false (name one metric)", kp);
	}
	if (!cman_node_get(m, "name"))
		return missing(m, path, "name", err);
	if (!(t = cman_node_get(m, "type")))
		return missing(m, path, "type", err);
	if (!cman_node_get(m, "minute_range"))
		return missing(m, path, "minute_range", err);
	cman_key_path(kp, PATH_MAX_LEN, path, "name");
	if ((rc = dup_string(cman_node_get(m, "name"), kp, &rm->name, err)) != 0)
		return rc;
	cman_key_path(kp, PATH_MAX_LEN, path, "type");
	if ((rc = cman_node_string(t, kp, &s, err)) != 0)
		return rc;
	if (!strcmp(s, "system_metrics"))
		rm->type = CMAN_SYSTEM_METRICS;
	else if (!strcmp(s, "app_metrics"))
		rm->type = CMAN_APP_METRICS;
	else
		return cman_node_error(t, err,
				       "%s: unknown metric type '%s', expected system_metrics or app_metrics",
				       kp, s);
	if ((rc = cman_node_opt_int64(m, path, "minute_range", &rm->minute_range, 0,
				      "an integer >= 0", err)) != 0)
		return rc;
	return at_most(m, path, "minute_range", rm->minute_range, CMAN_MINUTES_MAX, "minutes",
		       err);
}

/*
 * Clusterman's parameters: a list of one-key mappings merged in order (a
 * later key replaces an earlier one), or a mapping.  A new MAP into *out.
 */
static int merge_parameters(const struct cman_node *n, const char *kp,
			    struct cman_node **out, struct cman_error *err)
{
	struct cman_node *map;
	const struct cman_node *it;
	char ip[PATH_MAX_LEN + 24];
	size_t i;

	if (n->type == CMAN_NODE_MAP) {
		if (!(*out = cman_node_copy(n)))
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", kp);
		return 0;
	}
	if (n->type != CMAN_NODE_SEQ)
		return cman_node_error(n, err,
				       "%s: expected a list of one-key mappings (- key: value)", kp);
	if (!(map = cman_node_new(CMAN_NODE_MAP, n)))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", kp);
	for (i = 0; i < n->n; i++) {
		it = n->items[i];
		snprintf(ip, sizeof(ip), "%s[%zu]", kp, i);
		if (it->type != CMAN_NODE_MAP || it->n != 1) {
			cman_node_free(map);
			return cman_node_error(it, err, "%s: expected a mapping with one key "
					       "(- key: value)", ip);
		}
		if (cman_node_map_set(map, it->keys[0]->scalar, cman_node_copy(it->items[0]))) {
			cman_node_free(map);
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", kp);
		}
	}
	*out = map;
	return 0;
}

static int parse_signal(const struct cman_node *m, const char *path,
			const struct cman_pool_parse_opts *o,
			struct cman_signal_config *sig, struct cman_error *err)
{
	static const char *const keys[] = {
		"name", "period_minutes", "required_metrics", "parameters",
		"external", "namespace", "command", "first_run_offset_seconds",
		NULL,
	};
	static const char *const ckeys[] = {
		"name", "namespace", "branch_or_tag", "period_minutes",
		"required_metrics", "parameters", "internal", "command", NULL,
	};
	const struct cman_node *n;
	char kp[PATH_MAX_LEN], ip[PATH_MAX_LEN + 24];
	const char *unused;
	bool internal = false;
	size_t i;
	int rc;

	if ((rc = cman_node_check_keys(m, path, clusterman(o) ? ckeys : keys, err)) != 0)
		return rc;
	if (clusterman(o)) {
		/* a signal is external unless internal: true */
		if ((n = cman_node_get(m, "internal"))) {
			cman_key_path(kp, PATH_MAX_LEN, path, "internal");
			if ((rc = cman_node_bool(n, kp, &internal, err)) != 0)
				return rc;
		}
		sig->external = !internal;
		if ((n = cman_node_get(m, "branch_or_tag"))) {
			cman_key_path(kp, PATH_MAX_LEN, path, "branch_or_tag");
			if ((rc = cman_node_string(n, kp, &unused, err)) != 0)
				return rc;
		}
		if (!cman_node_get(m, "namespace") && sig->external && o->pool &&
		    !(sig->namespace_ = strdup(o->pool)))
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
	}
	if (!(n = cman_node_get(m, "name")))
		return missing(m, path, "name", err);
	cman_key_path(kp, PATH_MAX_LEN, path, "name");
	if ((rc = dup_string(n, kp, &sig->name, err)) != 0)
		return rc;
	if (!cman_node_get(m, "period_minutes"))
		return missing(m, path, "period_minutes", err);
	if ((rc = cman_node_opt_int64(m, path, "period_minutes", &sig->period_minutes, 1,
			  "an integer > 0", err)) != 0 ||
	    (rc = at_most(m, path, "period_minutes", sig->period_minutes, CMAN_MINUTES_MAX,
			  "minutes", err)) != 0)
		return rc;
	if ((n = cman_node_get(m, "external"))) {
		cman_key_path(kp, PATH_MAX_LEN, path, "external");
		if ((rc = cman_node_bool(n, kp, &sig->external, err)) != 0)
			return rc;
	}
	if ((n = cman_node_get(m, "namespace"))) {
		cman_key_path(kp, PATH_MAX_LEN, path, "namespace");
		if ((rc = dup_string(n, kp, &sig->namespace_, err)) != 0)
			return rc;
	} else if (sig->external && !sig->namespace_) {
		return cman_node_error(m, err,
				       "%s: missing required key 'namespace', expected one for an external signal",
				       path);
	}
	if ((n = cman_node_get(m, "first_run_offset_seconds"))) {
		if ((rc = cman_node_opt_int64(m, path, "first_run_offset_seconds",
				  &sig->first_run_offset_seconds, 0,
				  "an integer >= 0", err)) != 0 ||
		    (rc = at_most(m, path, "first_run_offset_seconds",
				  sig->first_run_offset_seconds, (int64_t)CMAN_SECONDS_MAX,
				  "seconds", err)) != 0)
			return rc;
		sig->has_first_run_offset = true;
	}
	if ((n = cman_node_get(m, "command"))) {
		cman_key_path(kp, PATH_MAX_LEN, path, "command");
		if (!sig->external)
			return cman_node_error(n, err,
					       "%s: only external signals run a command, expected external: true",
					       kp);
		if (n->type != CMAN_NODE_SEQ || n->n == 0)
			return cman_node_error(n, err,
					       "%s: expected a non-empty list of strings (argv)",
					       kp);
		if (!(sig->command = calloc(n->n + 1, sizeof(char *))))
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", kp);
		for (i = 0; i < n->n; i++) {
			snprintf(ip, sizeof(ip), "%s[%zu]", kp, i);
			if ((rc = dup_string(n->items[i], ip, &sig->command[i], err)) != 0)
				return rc;
		}
	}
	if ((n = cman_node_section(m, "required_metrics"))) {
		cman_key_path(kp, PATH_MAX_LEN, path, "required_metrics");
		if (n->type != CMAN_NODE_SEQ)
			return cman_node_error(n, err,
					       "%s: expected a list of {name, type, minute_range}",
					       kp);
		if (n->n) {
			sig->required_metrics = calloc(n->n, sizeof(*sig->required_metrics));
			if (!sig->required_metrics)
				return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", kp);
		}
		for (i = 0; i < n->n; i++) {
			snprintf(ip, sizeof(ip), "%s[%zu]", kp, i);
			sig->n_required_metrics = i + 1;
			if ((rc = parse_required_metric(n->items[i], ip, o,
							&sig->required_metrics[i],
							err)) != 0)
				return rc;
		}
	}
	if ((n = cman_node_section(m, "parameters"))) {
		cman_key_path(kp, PATH_MAX_LEN, path, "parameters");
		if (clusterman(o))
			return merge_parameters(n, kp, &sig->parameters, err);
		if (n->type != CMAN_NODE_MAP)
			return cman_node_error(n, err, "%s: expected a mapping", kp);
		if (!(sig->parameters = cman_node_copy(n)))
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", kp);
	}
	return 0;
}

int cman_signal_config_parse(const struct cman_node *node, const char *path,
			     const struct cman_pool_parse_opts *opts,
			     struct cman_signal_config *sig, struct cman_error *err)
{
	int rc;

	memset(sig, 0, sizeof(*sig));
	rc = parse_signal(node, path, opts, sig, err);
	if (rc)
		cman_signal_config_release(sig);
	return rc;
}

int cman_pool_config_parse(const struct cman_node *node, const char *path,
			   struct cman_pool_config *cfg, struct cman_error *err)
{
	return cman_pool_config_parse_opts(node, path, NULL, cfg, err);
}

int cman_pool_config_parse_opts(const struct cman_node *node, const char *path,
				const struct cman_pool_parse_opts *opts,
				struct cman_pool_config *cfg, struct cman_error *err)
{
	static const char *const keys[] = {
		"autoscaling", "scaling_limits", "autoscale_signal", NULL,
	};
	const struct cman_node *n;
	char kp[PATH_MAX_LEN];
	int rc;

	cman_pool_config_init(cfg);
	if (clusterman(opts)) {
		cfg->setpoint = opts->setpoint;
		cfg->target_capacity_margin = opts->target_capacity_margin;
		memcpy(cfg->excluded, opts->excluded, sizeof(cfg->excluded));
		if (!node || node->type != CMAN_NODE_MAP) {
			rc = cman_node_error(node, err, "%s must be a mapping",
					     path && *path ? path : "the document");
			goto out;
		}
		/* Clusterman requires scaling_limits */
		if (!cman_node_section(node, "scaling_limits")) {
			rc = cman_node_error(node, err, "%s%smissing required key 'scaling_limits' "
					     "(min_capacity, max_capacity, max_weight_to_add, "
					     "max_weight_to_remove)", path && *path ? path : "",
					     path && *path ? ": " : "");
			goto out;
		}
	} else if ((rc = cman_node_check_keys(node, path, keys, err)) != 0) {
		goto out;
	}
	if ((n = cman_node_section(node, "autoscaling"))) {
		cman_key_path(kp, PATH_MAX_LEN, path, "autoscaling");
		if ((rc = parse_autoscaling(n, kp, opts, cfg, err)) != 0)
			goto out;
	}
	if ((n = cman_node_section(node, "scaling_limits"))) {
		cman_key_path(kp, PATH_MAX_LEN, path, "scaling_limits");
		if ((rc = parse_limits(n, kp, opts, cfg, err)) != 0)
			goto out;
	}
	if ((n = cman_node_section(node, "autoscale_signal"))) {
		cman_key_path(kp, PATH_MAX_LEN, path, "autoscale_signal");
		cfg->has_signal = true;
		if ((rc = parse_signal(n, kp, opts, &cfg->signal, err)) != 0)
			goto out;
	}
out:
	if (rc)
		cman_pool_config_release(cfg);
	return rc;
}
