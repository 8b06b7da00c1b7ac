/*
 * resource_group.c - the few helpers of the resource-group interface
 * (resource_group.h): instance state names and the optional refresh.
 */
#include "cman/resource_group.h"

#include <string.h>

static const char *const state_names[] = {
	[CMAN_INSTANCE_UNKNOWN] = "unknown",
	[CMAN_INSTANCE_PENDING] = "pending",
	[CMAN_INSTANCE_RUNNING] = "running",
	[CMAN_INSTANCE_SHUTTING_DOWN] = "shutting-down",
	[CMAN_INSTANCE_TERMINATED] = "terminated",
	[CMAN_INSTANCE_STOPPING] = "stopping",
	[CMAN_INSTANCE_STOPPED] = "stopped",
};

const char *cman_instance_state_name(enum cman_instance_state s)
{
	if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0]))
		return state_names[CMAN_INSTANCE_UNKNOWN];
	return state_names[s];
}

enum cman_instance_state cman_instance_state_parse(const char *name)
{
	size_t i;

	if (!name)
		return CMAN_INSTANCE_UNKNOWN;
	for (i = 1; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (!strcmp(name, state_names[i]))
			return (enum cman_instance_state)i;
	return CMAN_INSTANCE_UNKNOWN;
}

int cman_rg_refresh(struct cman_resource_group *rg, struct cman_error *err)
{
	if (!rg->ops->refresh)
		return 0;
	return rg->ops->refresh(rg, err);
}
