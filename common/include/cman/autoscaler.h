/*
 * autoscaler.h - one autoscaler run (SPEC §4), the same code for the
 * simulator and live mode, and the decision record it leaves.
 */
#ifndef CMAN_AUTOSCALER_H
#define CMAN_AUTOSCALER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cman/connector.h"
#include "cman/decision.h"   /* struct cman_decision: what a run records */
#include "cman/err.h"
#include "cman/poolcfg.h"
#include "cman/signal.h"
#include "cman/store.h"

struct cman_pool_manager;

/* What step 2 needs to know of the pool. */
struct cman_pool_view {
	double current_target;
	double non_orphan_fulfilled;
	double total[CMAN_RES_COUNT];     /* cluster totals of joined agents */
	/* for an empty pool: resource per unit of weight from history
	 * (has_per_weight false: no history) */
	bool has_per_weight[CMAN_RES_COUNT];
	double per_weight[CMAN_RES_COUNT];
};

/*
 * SPEC §4 step 2: request -> target capacity, every case; sets
 * d->computed_target, d->reason, d->usage/constrained (and copies the
 * request and current target into d).  Adds the capacity offset to a
 * computed target, never to a kept one.  Pure.  The decisions on the edge
 * cases are listed at the top of autoscaler.c.
 */
void cman_autoscaler_compute_target(const struct cman_pool_config *cfg,
				    const struct cman_request *req,
				    const struct cman_pool_view *pool,
				    struct cman_decision *d);

/*
 * SPEC §4 step 3: clamp the change from current to proposed into
 * [min_capacity, max_capacity], then max_weight_to_add / _remove, then no
 * decrease when prevent_scale_down; force skips all of it.  Records each
 * clamp in d ("max_capacity: 900 -> 800") and sets d->new_target; returns
 * the new target.  Pure.
 */
double cman_autoscaler_constrain(const struct cman_pool_config *cfg,
				 double current, double proposed,
				 bool prevent_scale_down, bool force,
				 struct cman_decision *d);

/*
 * History for an empty pool: per resource, the mean of the last 5 non-zero
 * samples of "<res>_total|<pool key>" over the past week, divided by the
 * mean of the last 5 non-zero "non_orphan_fulfilled_capacity|<pool key>"
 * (both metadata) read from store.  Fills view->has_per_weight/per_weight.
 */
int cman_autoscaler_history(struct cman_store *store, const char *cluster,
			    const char *pool, const char *scheduler, int64_t now,
			    struct cman_pool_view *view, struct cman_error *err);

/* Everything a run needs; set up by the caller (simulator or daemon). */
struct cman_autoscaler {
	const struct cman_pool_config *cfg;
	const char *cluster, *pool, *scheduler;
	struct cman_signal *signal;          /* NULL: the default signal */
	struct cman_signal *default_signal;  /* required */
	struct cman_store *const *stores;    /* metrics the signals read */
	size_t n_stores;
	struct cman_store *history;          /* metadata the run writes and reads */
	struct cman_pool_manager *pm;
	const struct cman_clock *clock;
	bool paused;
	/* scratch, owned */
	struct cman_series *scratch;
	size_t n_scratch;
	/* the metadata keys, made once for cluster, pool and scheduler
	 * (meta_of: the strings they were made of; change the pointers, not
	 * the strings in place, to move the autoscaler to another pool) */
	const char *meta_of[3];
	char meta_keys[7][CMAN_KEY_MAX];
};

/*
 * One run at clock->now: evaluate the signal (on failure the default one,
 * the failure recorded in d), compute and constrain the target, distribute
 * it over the groups, prune, clean up orphans, and write the pool's metadata
 * (target_capacity, fulfilled_capacity totals, non_orphan_fulfilled_capacity,
 * <res>_total) into a->history.  capacity_lost: instances lost (interrupted)
 * since the last run, for the prevent-scale-down rule.  Fails only on errors
 * of the groups or stores, not of the signal.
 * Details: d is reset first.  The caller reloads the connector before the
 * run.  A paused pool records paused (and its current target) and changes
 * nothing, not even the metadata.  A failure of the default signal itself
 * (pool without a signal, or after a fallback) fails the run.  The metadata
 * samples, all at now, are the new target and the pool as the run found it
 * (fulfilled and non-orphan fulfilled capacity as plain numbers, connector
 * totals); a->history may be NULL (no history: an empty pool goes to 1).
 * A resource group's failure (a resize or termination, cman_pool_modify())
 * does not stop the run: orphans are still cleaned up, the metadata
 * written and d completed; the first failure is returned at the end.  Only
 * CMAN_ENOMEM stops at once.
 */
int cman_autoscaler_run(struct cman_autoscaler *a, int capacity_lost,
			struct cman_decision *d, struct cman_error *err);

/* Free the scratch (not the signals, stores or pool manager, which the
 * caller owns). */
void cman_autoscaler_release(struct cman_autoscaler *a);

#endif
