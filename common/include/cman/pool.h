/*
 * pool.h - the pool manager (SPEC §4 steps 4-6): a pool's resource groups
 * and the scheduler's view of their machines; distributes a target over the
 * groups, chooses machines to terminate, cleans up orphans.
 */
#ifndef CMAN_POOL_H
#define CMAN_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/decision.h"
#include "cman/connector.h"
#include "cman/drain.h"
#include "cman/err.h"
#include "cman/poolcfg.h"
#include "cman/resource_group.h"

struct cman_pool_manager {
	const struct cman_pool_config *cfg;
	struct cman_resource_group **groups;   /* not owned */
	size_t n_groups;
	struct cman_connector *conn;           /* not owned */
	const struct cman_clock *clock;        /* not owned */
	bool dry_run;                          /* change nothing: groups only check */
	/* NULL: machines chosen by pruning are terminated at once; else they
	 * are drained first (cman/drain.h; not owned) */
	struct cman_drain *drain;
	/* scratch, owned */
	void *scratch;
	size_t scratch_cap;
	char *names;                           /* copies of machine ids */
	size_t names_len, names_cap;
};

void cman_pool_manager_init(struct cman_pool_manager *pm,
			    const struct cman_pool_config *cfg,
			    struct cman_resource_group **groups, size_t n_groups,
			    struct cman_connector *conn, const struct cman_clock *clock);
void cman_pool_manager_release(struct cman_pool_manager *pm);

/*
 * Refresh every group (cman_rg_refresh), all of them even when one fails;
 * returns the first failure (message prefixed with the group's id).  The
 * caller does this once per cycle, after reloading the connector.
 */
int cman_pool_refresh(struct cman_pool_manager *pm, struct cman_error *err);

/* Sums over the non-stale groups into *out; a group's getter error
 * (prefixed with its id) otherwise. */
int cman_pool_target(const struct cman_pool_manager *pm, double *out,
		     struct cman_error *err);
int cman_pool_fulfilled(const struct cman_pool_manager *pm, double *out,
			struct cman_error *err);
/* Fulfilled capacity of running machines whose agent has joined (not
 * orphaned, not unknown), stale groups included. */
int cman_pool_non_orphan_fulfilled(const struct cman_pool_manager *pm, double *out,
				   struct cman_error *err);

/*
 * The agent of machine inst (LIVE-SPEC §3.1): by its agent_key through
 * the connector's agent_by_key when both are there (the simulator), else
 * by its IP through the connector's agent_by_ip when the connector has one (no IP: UNKNOWN;
 * ORPHANED gets the machine's launch time as orphaned_since), else by its
 * id through agent(); UNKNOWN without a connector.
 */
void cman_pool_agent_of(const struct cman_pool_manager *pm,
			const struct cman_rg_instance *inst, struct cman_agent *out);

/*
 * A target counts as a whole number when it lies within this relative
 * distance above it (one part in 10^12 of max(1, |target|)): computed
 * targets such as 2080 x (1264.2 / 2080) / 0.7 = 1806.0000000000002 are
 * 1806, not 1807, while any real excess (far above the few units in the
 * last place a floating-point computation can add) still rounds up.
 */
#define CMAN_TARGET_TOLERANCE 1e-12

/* The whole units target asks for: ceil(target) with the tolerance above;
 * 0 for a negative or NaN target. */
double cman_pool_goal(double target);

/*
 * SPEC §4 step 4, pure: distribute target over the groups in steps of 1
 * (+1 to the group with the smallest target, ties by group id; -1 from the
 * largest when shrinking), skipping groups that would leave their own
 * [min, max], until the sum reaches cman_pool_goal(target); stale groups
 * get 0.
 * current[i] are the groups' targets now; out[i] the new ones.
 */
void cman_pool_distribute(const struct cman_pool_manager *pm, const double *current,
			  double target, double *out);

/*
 * Steps 4 and 5: distribute new_target, ask each group whose target changed
 * to resize, then prune: if fulfilled capacity exceeds new_target, choose
 * machines to terminate (SPEC §4 "Choosing machines to terminate") among
 * the RUNNING ones and terminate them.
 * Records in d, per group, what was planned, what was applied and the
 * error (cman_group_result), and the terminations, failed terminations and
 * skips.  A group whose resize fails does not stop the others (LIVE-SPEC
 * §5.2): every group is tried, pruning still happens (a failed group is
 * pruned only down to the larger of its old and planned targets, one it
 * may really have), and the first failure (resize or termination) is
 * returned after everything else was done, with d complete.  Only
 * CMAN_ENOMEM and a getter's error stop at once.  On a dry run
 * (pm->dry_run) the groups are called with dry_run set and applied is
 * their current target; d->dry_run is set.
 *
 * A draining pool (pm->drain set; needs a clock): the drain set is read
 * first (a read error is returned before anything changes); after the
 * resizes, machines of the set are terminated when drained or past their
 * deadline, the others keep draining (cman/drain.h); pruning then treats
 * every machine of the set as already removed (its weight leaves the
 * fulfilled capacity of its group, of the pool and, when joined, the
 * non-orphan floor; it is never chosen again), and hands the machines it
 * chooses to the drainer instead of terminating them.  What happened is in
 * d's drain lists; drainer and state-table failures are recorded there
 * (drain_error) and do not fail the run.
 */
int cman_pool_modify(struct cman_pool_manager *pm, double new_target,
		     struct cman_decision *d, struct cman_error *err);

/* Step 6: terminate running machines orphaned for longer than the
 * threshold (not cordoned ones, nor those being drained); carries on past a
 * failing group and returns its error as cman_pool_modify() does. */
int cman_pool_cleanup_orphans(struct cman_pool_manager *pm,
			      struct cman_decision *d, struct cman_error *err);

#endif
