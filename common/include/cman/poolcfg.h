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
