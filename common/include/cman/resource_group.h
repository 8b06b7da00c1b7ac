/*
 * resource_group.h - a group of machines resized as one (SPEC §5): an AWS
 * Spot Fleet request or Auto Scaling group, simulated or live, behind one
 * const function table.  The pool manager sees only this interface.
 */
#ifndef CMAN_RESOURCE_GROUP_H
#define CMAN_RESOURCE_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"

/* A machine of a group, as the pool manager sees it. */
struct cman_rg_instance {
	char id[32];                 /* "i-0000002a" */
	const char *instance_type;   /* owned by the group */
	const char *az;
	double weight;               /* weighted capacity it counts for */
	int64_t launch_time;
	bool spot;
};

struct cman_resource_group;

struct cman_rg_ops {
	const char *kind;            /* "spot_fleet", "auto_scaling_group", ... */
	double (*target_capacity)(const struct cman_resource_group *rg);
	double (*fulfilled_capacity)(const struct cman_resource_group *rg);
	/* The group's running machines; *out owned by the group, valid until
	 * its next modification. */
	size_t (*instances)(struct cman_resource_group *rg,
			    const struct cman_rg_instance **out);
	/* Ask for a new target; the group launches (never terminates) to reach
	 * it.  dry_run: only check. */
	int (*modify_target)(struct cman_resource_group *rg, double target,
			     bool dry_run, struct cman_error *err);
	/* Terminate these machines (ids from instances()); unknown ids are
	 * ignored.  *n_done (may be NULL) counts those terminated. */
	int (*terminate)(struct cman_resource_group *rg, const char *const *ids,
			 size_t n, bool dry_run, size_t *n_done,
			 struct cman_error *err);
	bool (*is_stale)(const struct cman_resource_group *rg);
	double (*min_capacity)(const struct cman_resource_group *rg);
	double (*max_capacity)(const struct cman_resource_group *rg);
};

/* Base of every group; implementations embed it first. */
struct cman_resource_group {
	const struct cman_rg_ops *ops;
	char id[64];
};

#endif
