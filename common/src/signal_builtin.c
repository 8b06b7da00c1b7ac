/*
 * signal_builtin.c - the built-in signals (SPEC §6, INTERFACE.md):
 *
 *   most_recent   the last sample of each metric's window
 *   mean          the arithmetic mean of the window
 *   percentile    the p-th percentile (parameter p in [0, 100]) of the
 *                 window, linear interpolation between order statistics
 *                 (GSL's gsl_stats_quantile_from_sorted_data)
 *   constant      fixed values (parameters cpus, mem, disk, gpus, each
 *                 optional, numbers >= 0); reads no metrics
 *
 * The first three read each required metric as one resource, by name:
 * cpus_allocated or cpus -> cpus, mem_allocated or mem -> mem, and so on.
 * A resource whose metric has no sample in the window is absent (no
 * opinion).  A required metric that names no resource, or two that name
 * the same resource, are configuration errors.
 */
#include "signal_int.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum builtin_kind { MOST_RECENT, MEAN, PERCENTILE, CONSTANT, N_KINDS };

static const char *const kind_names[N_KINDS] = {
	[MOST_RECENT] = "most_recent",
	[MEAN] = "mean",
	[PERCENTILE] = "percentile",
	[CONSTANT] = "constant",
};

struct builtin {
	struct cman_signal base;
	enum builtin_kind kind;
	double q;                    /* percentile: p / 100 */
	struct cman_request constant;
	double *sorted;              /* percentile: scratch, grown by doubling */
	size_t sorted_cap;
};

static const char *const metric_names[2][CMAN_RES_COUNT] = {
	{ "cpus_allocated", "mem_allocated", "disk_allocated", "gpus_allocated" },
	{ "cpus", "mem", "disk", "gpus" },
};

int cman_signal_metric_resource(const char *metric)
{
	for (int form = 0; form < 2; form++)
		for (int r = 0; r < CMAN_RES_COUNT; r++)
			if (!strcmp(metric, metric_names[form][r]))
				return r;
	return -1;
}

static double percentile(struct builtin *b, const double *v, size_t n, int *rc)
{
	if (n > b->sorted_cap) {
		size_t cap = b->sorted_cap ? b->sorted_cap : 64;
		double *p;

		while (cap < n)
			cap *= 2;
		p = realloc(b->sorted, cap * sizeof(*p));
		if (!p) {
			*rc = CMAN_ENOMEM;
			return 0;
		}
		b->sorted = p;
		b->sorted_cap = cap;
	}
	memcpy(b->sorted, v, n * sizeof(*v));
	gsl_sort(b->sorted, 1, n);
	return gsl_stats_quantile_from_sorted_data(b->sorted, 1, n, b->q);
}

static int builtin_evaluate(struct cman_signal *s, const struct cman_signal_input *in,
			    struct cman_request *out, struct cman_error *err)
{
	struct builtin *b = (struct builtin *)s;
	size_t i;
	int rc = 0;

	if (b->kind == CONSTANT) {
		*out = b->constant;
		return 0;
	}
	for (i = 0; i < in->n_series; i++) {
		const struct cman_series *se = &in->series[i];
		int r = cman_signal_metric_resource(se->name);

		/* Unmapped names cannot come from a checked configuration;
		 * an empty window is no opinion. */
		if (r < 0 || se->n == 0)
			continue;
		switch (b->kind) {
		case MOST_RECENT:
			out->v[r] = se->v[se->n - 1];
			break;
		case MEAN:
			out->v[r] = gsl_stats_mean(se->v, 1, se->n);
			break;
		default:
			out->v[r] = percentile(b, se->v, se->n, &rc);
			if (rc)
				return cman_error_set(err, rc, "signal '%s': out of memory",
						      s->name);
			break;
		}
		out->has[r] = true;
	}
	return 0;
}

static void builtin_free(struct cman_signal *s)
{
	struct builtin *b = (struct builtin *)s;

	free(b->sorted);
	free(b);
}

static const struct cman_signal_ops builtin_ops = {
	.kind = "builtin",
	.evaluate = builtin_evaluate,
	.free = builtin_free,
};

/* ---- configuration ----------------------------------------------------- */

#define PARAMS_PATH CMAN_SIGNAL_PATH ".parameters"

static int check_metrics(const struct cman_signal_config *cfg, struct cman_error *err)
{
	int seen[CMAN_RES_COUNT];
	size_t i;

	for (i = 0; i < CMAN_RES_COUNT; i++)
		seen[i] = -1;
	for (i = 0; i < cfg->n_required_metrics; i++) {
		const char *name = cfg->required_metrics[i].name;
		int r = cman_signal_metric_resource(name ? name : "");

		if (r < 0)
			return cman_error_set(err, CMAN_EINVAL,
					      CMAN_SIGNAL_PATH ".required_metrics[%zu].name: "
					      "signal '%s' reads resources, but metric '%s' is none "
					      "(expected one of: cpus_allocated, mem_allocated, "
					      "disk_allocated, gpus_allocated, cpus, mem, disk, gpus)",
					      i, cfg->name, name ? name : "");
		if (seen[r] >= 0)
			return cman_error_set(err, CMAN_EINVAL,
					      CMAN_SIGNAL_PATH ".required_metrics[%zu].name: "
					      "metric '%s' gives resource %s, as required_metrics[%d] "
					      "already does (expected one metric per resource)",
					      i, name, cman_resource_name((enum cman_resource)r),
					      seen[r]);
		seen[r] = (int)i;
	}
	return 0;
}

/* Check the parameter keys against allowed (NULL-terminated, may be empty). */
static int check_params(const struct cman_signal_config *cfg,
			const char *const *allowed, struct cman_error *err)
{
	const struct cman_node *p = cfg->parameters;

	if (!p)
		return 0;
	if (!allowed[0] && p->type == CMAN_NODE_MAP && p->n)
		return cman_node_error(p->keys[0], err,
				       PARAMS_PATH ": unknown key '%s' (signal %s takes no parameters)",
				       p->keys[0]->scalar, cfg->name);
	return cman_node_check_keys(p, PARAMS_PATH, allowed, err);
}

/* parameters.key as a finite number in [lo, hi]; *found whether present. */
static int param_number(const struct cman_signal_config *cfg, const char *key,
			double lo, double hi, const char *range, double *out,
			bool *found, struct cman_error *err)
{
	const struct cman_node *n = cfg->parameters ? cman_node_get(cfg->parameters, key) : NULL;
	char kp[128];
	int rc;

	*found = false;
	if (!n)
		return 0;
	snprintf(kp, sizeof(kp), PARAMS_PATH ".%s", key);
	if ((rc = cman_node_double(n, kp, out, err)) != 0)
		return rc;
	if (!isfinite(*out) || *out < lo || *out > hi)
		return cman_node_error(n, err, "%s: %s is out of range, expected %s",
				       kp, n->scalar, range);
	*found = true;
	return 0;
}

int cman_signal_builtin_new(const struct cman_signal_config *cfg,
			    struct cman_signal **out, struct cman_error *err)
{
	static const char *const no_params[] = { NULL };
	static const char *const p_params[] = { "p", NULL };
	static const char *const res_params[] = { "cpus", "mem", "disk", "gpus", NULL };
	struct builtin *b = NULL;
	int kind, rc = 0;
	bool found;

	*out = NULL;
	if (!cfg->name)
		return cman_error_set(err, CMAN_EINVAL, CMAN_SIGNAL_PATH ".name: missing");
	for (kind = 0; kind < N_KINDS; kind++)
		if (!strcmp(cfg->name, kind_names[kind]))
			break;
	if (kind == N_KINDS)
		return cman_error_set(err, CMAN_EINVAL,
				      CMAN_SIGNAL_PATH ".name: unknown signal '%s' (expected one of: "
				      "most_recent, mean, percentile, constant, or external: true)",
				      cfg->name);
	if (!(b = calloc(1, sizeof(*b)))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	b->base.ops = &builtin_ops;
	b->base.cfg = cfg;
	snprintf(b->base.name, sizeof(b->base.name), "%s", cfg->name);
	b->kind = (enum builtin_kind)kind;
	switch (b->kind) {
	case PERCENTILE:
		if ((rc = check_params(cfg, p_params, err)) != 0)
			goto out;
		if ((rc = param_number(cfg, "p", 0, 100, "a number in [0, 100]",
				       &b->q, &found, err)) != 0)
			goto out;
		if (!found) {
			rc = cman_error_set(err, CMAN_EINVAL,
					    PARAMS_PATH ".p: missing, expected a number in [0, 100] "
					    "(signal percentile needs it)");
			goto out;
		}
		b->q /= 100;
		rc = check_metrics(cfg, err);
		break;
	case CONSTANT:
		/* The constant signal reads no metrics, so any are accepted
		 * (and fetched for nothing). */
		if ((rc = check_params(cfg, res_params, err)) != 0)
			goto out;
		for (int r = 0; r < CMAN_RES_COUNT; r++) {
			rc = param_number(cfg, res_params[r], 0, INFINITY,
					  "a finite number >= 0", &b->constant.v[r],
					  &found, err);
			if (rc)
				goto out;
			b->constant.has[r] = found;
		}
		break;
	default:
		if ((rc = check_params(cfg, no_params, err)) != 0)
			goto out;
		rc = check_metrics(cfg, err);
		break;
	}
out:
	if (rc) {
		if (b)
			builtin_free(&b->base);
		return rc;
	}
	*out = &b->base;
	return 0;
}
