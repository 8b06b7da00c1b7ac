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

#include "cman/autoscaler.h"
#include "cman/connector.h"
#include "cman/err.h"
#include "cman/poolcfg.h"
#include "cman/resource_group.h"

struct cman_pool_manager {
	const struct cman_pool_config *cfg;
	struct cman_resource_group **groups;   /* not owned */
	size_t n_groups;
	struct cman_connector *conn;           /* not owned */
	const struct cman_clock *clock;        /* not owned */
	bool dry_run;
	/* scratch, owned */
	void *scratch;
	size_t scratch_cap;
};

void cman_pool_manager_init(struct cman_pool_manager *pm,
			    const struct cman_pool_config *cfg,
			    struct cman_resource_group **groups, size_t n_groups,
			    struct cman_connector *conn, const struct cman_clock *clock);
void cman_pool_manager_release(struct cman_pool_manager *pm);

/* Sums over the non-stale groups. */
double cman_pool_target(const struct cman_pool_manager *pm);
double cman_pool_fulfilled(const struct cman_pool_manager *pm);
/* Fulfilled capacity of machines whose agent has joined (not orphaned,
 * not unknown). */
double cman_pool_non_orphan_fulfilled(const struct cman_pool_manager *pm);

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
 * machines to terminate (SPEC §4 "Choosing machines to terminate") and
 * terminate them.  Records group targets, terminations and skips in d.
 */
int cman_pool_modify(struct cman_pool_manager *pm, double new_target,
		     struct cman_decision *d, struct cman_error *err);

/* Step 6: terminate machines orphaned for longer than the threshold. */
int cman_pool_cleanup_orphans(struct cman_pool_manager *pm,
			      struct cman_decision *d, struct cman_error *err);

#endif
