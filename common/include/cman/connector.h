/*
 * connector.h - what the cluster's scheduler knows of the pool (Mesos in
 * live mode, the simulated cluster in the simulator), behind a const
 * function table.
 */
#ifndef CMAN_CONNECTOR_H
#define CMAN_CONNECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "cman/err.h"
#include "cman/poolcfg.h"

enum cman_agent_state {
	CMAN_AGENT_UNKNOWN,          /* the scheduler cannot say */
	CMAN_AGENT_ORPHANED,         /* running machine, no agent joined */
	CMAN_AGENT_IDLE,             /* joined, no tasks */
	CMAN_AGENT_RUNNING,          /* joined, running tasks */
};

struct cman_agent {
	enum cman_agent_state state;
	int64_t orphaned_since;      /* ORPHANED: since when (launch time) */
	int tasks;
	int batch_tasks;
	bool draining;
	bool cordoned;               /* marked unschedulable */
	bool safe_to_kill;           /* false: something asked to keep it */
};

struct cman_connector;

struct cman_connector_ops {
	const char *kind;
	/* Refresh what the scheduler knows (once per autoscaler run). */
	int (*reload)(struct cman_connector *c, struct cman_error *err);
	/* The agent on machine instance_id; fills *out (state UNKNOWN if none).
	 * May be NULL when agent_by_ip is set. */
	void (*agent)(const struct cman_connector *c, const char *instance_id,
		      struct cman_agent *out);
	/* Totals and allocations of joined agents, per resource. */
	double (*total)(const struct cman_connector *c, enum cman_resource r);
	double (*allocated)(const struct cman_connector *c, enum cman_resource r);
	/*
	 * Optional (added for live connectors; NULL keeps matching by instance
	 * id through agent()).  The agent whose machine has this private IPv4
	 * address (LIVE-SPEC §3.1), from what the last reload saw; fills *out:
	 * IDLE or RUNNING for a joined agent, ORPHANED when no agent has the
	 * address.  When it is set the pool manager uses it for every machine:
	 * a machine without an IP is UNKNOWN without asking, and the pool
	 * manager sets orphaned_since to the machine's launch time itself (the
	 * connector does not know it).
	 */
	void (*agent_by_ip)(const struct cman_connector *c, const char *ip,
			    struct cman_agent *out);
	/*
	 * Optional (the simulator's connector; NULL in live mode).  The agent
	 * of the machine a group listed with this nonzero agent_key
	 * (cman/resource_group.h): the same answer agent() gives for its id,
	 * without parsing the id.  The pool manager uses it for every machine
	 * that has a key, and agent_by_ip() or agent() for the others.
	 */
	void (*agent_by_key)(const struct cman_connector *c, uint64_t key,
			     struct cman_agent *out);
};

struct cman_connector {
	const struct cman_connector_ops *ops;
};

/* A clock: "now" for the autoscaler (simulated or wall clock). */
struct cman_clock;
struct cman_clock_ops {
	int64_t (*now)(const struct cman_clock *clk);
};
struct cman_clock {
	const struct cman_clock_ops *ops;
};

#endif
