/*
 * poolcfg.h - a pool's autoscaling configuration, the same shape as a
 * Clusterman pool config (autoscaling, scaling_limits, autoscale_signal).
 * Shared by the simulator's scenarios and live mode's config directory.
 */
#ifndef CMAN_POOLCFG_H
#define CMAN_POOLCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/config.h"
#include "cman/err.h"
#include "cman/metrics.h"

enum cman_resource { CMAN_RES_CPUS, CMAN_RES_MEM, CMAN_RES_DISK, CMAN_RES_GPUS };
#define CMAN_RES_COUNT 4
/* "cpus", "mem", "disk", "gpus" */
const char *cman_resource_name(enum cman_resource r);

struct cman_required_metric {
	char *name;
	enum cman_metric_kind type;   /* system_metrics or app_metrics */
	int64_t minute_range;
};

struct cman_signal_config {
	char *name;                   /* built-in name, or external signal name */
	bool external;
	char *namespace_;             /* external only */
	char **command;               /* external only: argv, NULL-terminated; may be NULL */
	int64_t period_minutes;       /* > 0 */
	bool has_first_run_offset;
	int64_t first_run_offset_seconds;
	struct cman_required_metric *required_metrics;
	size_t n_required_metrics;
	struct cman_node *parameters; /* owned copy of the parameters map (may be NULL) */
};

struct cman_pool_config {
	/* autoscaling */
	double setpoint;                  /* (0, 1], default 0.7 */
	double target_capacity_margin;    /* >= 0, default 0.1 */
	bool excluded[CMAN_RES_COUNT];    /* excluded_resources */
	double capacity_offset;           /* default 0 */
	/* scale-down is prevented in a run when this is true and more than
	 * instance_loss_threshold instances were lost since the last run */
	bool prevent_scale_down_after_capacity_loss;   /* default false */
	int64_t instance_loss_threshold;  /* >= 0, default 0 */
	/* scaling_limits */
	double min_capacity, max_capacity;
	double max_weight_to_add, max_weight_to_remove;
	double max_tasks_to_kill;         /* may be INFINITY */
	int64_t min_node_scalein_uptime_seconds;        /* >= -1; default -1 (off,
							   as in Clusterman) */
	int64_t orphan_instance_uptime_threshold_seconds; /* default 1800 */
	/* autoscale_signal (has_signal false: the default signal) */
	bool has_signal;
	struct cman_signal_config signal;
};

/*
 * Read and validate a pool_config mapping (unknown keys, types, ranges:
 * setpoint in (0, 1], margin >= 0, period_minutes > 0, min <= max, limits
 * >= 0).  path is the key path for messages ("pool_config").  On failure
 * *cfg is left released.
 * Keys: autoscaling {setpoint, target_capacity_margin, excluded_resources,
 * capacity_offset (finite), prevent_scale_down_after_capacity_loss (bool),
 * instance_loss_threshold (integer >= 0)}; scaling_limits {min_capacity,
 * max_capacity, max_weight_to_add, max_weight_to_remove, max_tasks_to_kill
 * (numbers >= 0, inf allowed), min_node_scalein_uptime_seconds (an
 * integer >= -1, -1 meaning off), orphan_instance_uptime_threshold_seconds
 * (integer >= 0)};
 * autoscale_signal {name and period_minutes required, required_metrics
 * (each name, type, minute_range all required), parameters (a mapping),
 * external, namespace (required when external), command (external only),
 * first_run_offset_seconds (integer >= 0)}.  A section written with an
 * empty value counts as absent.  Built-in signal names are not checked.
 */
int cman_pool_config_parse(const struct cman_node *node, const char *path,
			   struct cman_pool_config *cfg, struct cman_error *err);

/*
 * The two shapes a pool configuration is written in.  SCENARIO is the
 * simulator's pool_config (above).  CLUSTERMAN is a Clusterman pool file
 * (`<pool>.<scheduler>`, LIVE-SPEC.md 2.3), read by the same code with
 * Clusterman's differences:
 * - the top-level keys are not checked here (the pool file has others:
 *   resource_groups, draining_enabled, ...; cman/poolfile.h checks them);
 * - autoscaling also takes orphan_instance_uptime_threshold_seconds (there,
 *   not in scaling_limits) and killable_nodes_prioritizing_v2 (a bool,
 *   Kubernetes only, read and not used);
 * - scaling_limits min_capacity, max_capacity, max_weight_to_add and
 *   max_weight_to_remove are required; an absent max_tasks_to_kill is 0;
 *   max_tasks_to_kill may be the string 'inf' (quoted or not);
 * - autoscale_signal keys are name, namespace, branch_or_tag,
 *   period_minutes, required_metrics (each may add regex: false),
 *   parameters (a list of one-key mappings merged in order, or a mapping),
 *   internal and, our extension for the live daemon, command (argv of the
 *   signal process it starts and supervises; external signals only).  A signal is external unless internal: true (then name
 *   is one of the simulator's built-in signals); namespace defaults to the
 *   pool's name.  regex: true is refused (not supported).
 * - setpoint, target_capacity_margin and excluded_resources default to
 *   the service file's values (opts).
 */
enum cman_pool_flavor { CMAN_POOL_SCENARIO, CMAN_POOL_CLUSTERMAN };

struct cman_pool_parse_opts {
	enum cman_pool_flavor flavor;
	const char *pool;                 /* CLUSTERMAN: default namespace */
	/* CLUSTERMAN: the service file's autoscaling defaults */
	double setpoint, target_capacity_margin;
	bool excluded[CMAN_RES_COUNT];
};

/* cman_pool_config_parse() in either shape (opts NULL: SCENARIO). */
int cman_pool_config_parse_opts(const struct cman_node *node, const char *path,
				const struct cman_pool_parse_opts *opts,
				struct cman_pool_config *cfg, struct cman_error *err);

/*
 * An autoscale_signal mapping alone, in either shape (the service file's
 * default signal: CLUSTERMAN).  On failure *sig is released.  Release with
 * cman_signal_config_release().
 */
int cman_signal_config_parse(const struct cman_node *node, const char *path,
			     const struct cman_pool_parse_opts *opts,
			     struct cman_signal_config *sig, struct cman_error *err);
void cman_signal_config_release(struct cman_signal_config *sig);

/*
 * Defaults without a file: setpoint 0.7, margin 0.1, nothing excluded,
 * offset 0, scale-down never prevented (loss threshold 0), min_capacity 0,
 * max_capacity / max_weight_to_add / max_weight_to_remove /
 * max_tasks_to_kill INFINITY, scale-in uptime 300, orphan threshold 1800,
 * no signal.
 */
void cman_pool_config_init(struct cman_pool_config *cfg);
/* Free what cfg owns and reset it to the defaults (safe twice). */
void cman_pool_config_release(struct cman_pool_config *cfg);

#endif
