/*
 * resource_group.h - a group of machines resized as one (SPEC §5): an AWS
 * Spot Fleet request or Auto Scaling group, simulated or live, behind one
 * const function table.  The pool manager sees only this interface.
 *
 * How an adapter implements it (live groups; the simulated ones follow the
 * same rules):
 * - refresh() describes the group again (once per autoscaler cycle, before
 *   anything else is asked).  On success the getters answer from that new
 *   description.  On failure it returns the error (CMAN_ETHROTTLED,
 *   CMAN_ETRANSIENT, CMAN_ETIMEOUT, CMAN_EREJECTED, CMAN_ENOMEM, ...; with
 *   err->remote filled for a provider's answer) and the group remembers it:
 *   every fallible getter then returns that same code and message until a
 *   refresh succeeds, so a cycle never acts on a description it does not
 *   have.  A group that was never refreshed successfully behaves the same.
 * - target_capacity(), fulfilled_capacity() and instances() are fallible:
 *   they return 0 and fill their out parameters, or a negative cman_err
 *   with a message (and leave the out parameters zero / empty).  They do
 *   not call the provider: they answer from the last description (a
 *   simulated group may build its answer lazily; an allocation failure is
 *   then CMAN_ENOMEM, never an empty group).
 * - is_stale(), min_capacity() and max_capacity() cannot fail; they answer
 *   from the last good description or the configuration (a group whose
 *   refresh failed is not stale on that account).
 * - modify_target() and terminate() are the only calls that change the
 *   group; with dry_run set they only check and call nothing that mutates.
 */
#ifndef CMAN_RESOURCE_GROUP_H
#define CMAN_RESOURCE_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"

/* An instance's lifecycle state, as EC2 names them. */
enum cman_instance_state {
	CMAN_INSTANCE_UNKNOWN = 0,   /* the provider did not say */
	CMAN_INSTANCE_PENDING,
	CMAN_INSTANCE_RUNNING,
	CMAN_INSTANCE_SHUTTING_DOWN,
	CMAN_INSTANCE_TERMINATED,
	CMAN_INSTANCE_STOPPING,
	CMAN_INSTANCE_STOPPED,
};

/* EC2's name of a state ("shutting-down"); "unknown" for CMAN_INSTANCE_UNKNOWN. */
const char *cman_instance_state_name(enum cman_instance_state s);
/* The state EC2 names name; CMAN_INSTANCE_UNKNOWN for any other text or NULL. */
enum cman_instance_state cman_instance_state_parse(const char *name);

/*
 * A machine of a group, as the pool manager sees it.  Every pointer is
 * owned by the group and valid until the group's next refresh(),
 * modify_target() or terminate(); strings have any length (an id is not
 * cut).  Groups list machines in every state they know; the pool manager
 * prunes, cleans up and counts as joined only RUNNING ones.
 */
struct cman_rg_instance {
	const char *id;              /* "i-0123456789abcdef0"; never NULL */
	const char *ip;              /* private IPv4 address; NULL or "" when none */
	enum cman_instance_state state;
	const char *instance_type;
	const char *az;
	double weight;               /* weighted capacity it counts for */
	int64_t launch_time;
	bool spot;
	bool cordoned;               /* tagged is_cordoned=true: never pruned */
	/* Optional: nonzero when the group shares its bookkeeping with the
	 * connector (the simulator's groups and connector): the key the
	 * connector's agent_by_key() takes for this machine, so the pool
	 * manager need not match the id as text (issue 12).  0 (every live
	 * group) when there is none. */
	uint64_t agent_key;
};

struct cman_resource_group;

/*
 * What the pool manager otherwise works out machine by machine from
 * instances() and the connector's agents (issue 12), for a group that
 * keeps it up to date as its machines launch, join and end.
 */
struct cman_rg_summary {
	size_t n;                    /* machines instances() lists */
	/* weight of the RUNNING ones whose agent has joined (IDLE or
	 * RUNNING): exactly the sum the pool manager would make of them, in
	 * the order instances() lists them, added to a sum of such exact
	 * values (the group answers only when its weights make every such
	 * sum exact, e.g. whole numbers) */
	double joined;
	double lightest;             /* the smallest weight listed; INFINITY: none */
	/* the launch time of the oldest RUNNING, uncordoned machine whose
	 * agent is ORPHANED (orphaned since its launch); INT64_MAX: none */
	int64_t oldest_orphan;
};

struct cman_rg_ops {
	const char *kind;            /* "spot_fleet", "auto_scaling_group", ... */
	/* Describe the group again (see the top of this file).  NULL: nothing
	 * to describe (the group always answers from memory). */
	int (*refresh)(struct cman_resource_group *rg, struct cman_error *err);
	/* Fallible getters (see the top): 0 and *out, or the error. */
	int (*target_capacity)(const struct cman_resource_group *rg, double *out,
			       struct cman_error *err);
	int (*fulfilled_capacity)(const struct cman_resource_group *rg, double *out,
				  struct cman_error *err);
	/* The group's machines into *out (owned by the group, see above) and
	 * their number into *n. */
	int (*instances)(struct cman_resource_group *rg, const struct cman_rg_instance **out,
			 size_t *n, struct cman_error *err);
	/* Ask for a new target; the group launches (never terminates) to reach
	 * it.  dry_run: only check. */
	int (*modify_target)(struct cman_resource_group *rg, double target,
			     bool dry_run, struct cman_error *err);
	/*
	 * Terminate these machines (ids from instances()).  Ids that are not
	 * the group's (or already ending) are ignored: neither done nor failed.
	 * *n_done (may be NULL) counts those terminated (on a dry run: those
	 * that would be).  failed (may be NULL) has room for n flags, all false
	 * on entry; the group sets failed[i] for each ids[i] it tried and could
	 * not terminate.  Returns 0 when none failed, CMAN_EPARTIAL when some
	 * did, or the error of the call that failed (flags set for every id
	 * that call carried).
	 */
	int (*terminate)(struct cman_resource_group *rg, const char *const *ids,
			 size_t n, bool dry_run, size_t *n_done, bool *failed,
			 struct cman_error *err);
	bool (*is_stale)(const struct cman_resource_group *rg);
	/* Optional (the simulator's groups, which share their bookkeeping
	 * with the connector, as agent_key; NULL in live mode): the summary
	 * above into *out and true, or false when the group cannot give it
	 * exactly (the pool manager then walks the machines).  Answers from
	 * the same state as instances() and the connector's agents. */
	bool (*summary)(struct cman_resource_group *rg, struct cman_rg_summary *out);
	double (*min_capacity)(const struct cman_resource_group *rg);
	double (*max_capacity)(const struct cman_resource_group *rg);
};

/* Base of every group; implementations embed it first. */
struct cman_resource_group {
	const struct cman_rg_ops *ops;
	const char *id;              /* owned by the implementation, any length
				      * (Auto Scaling group names reach 255) */
};

/* rg->ops->refresh when there is one, else 0. */
int cman_rg_refresh(struct cman_resource_group *rg, struct cman_error *err);

#endif
