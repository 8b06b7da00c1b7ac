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
#include "cman/err.h"
#include "cman/poolcfg.h"
#include "cman/signal.h"
#include "cman/store.h"

struct cman_pool_manager;

#define CMAN_MAX_CLAMPS 8
/* decisions.jsonl lists the first this many skipped machines of a run (a
 * pool just above its target can skip thousands) and their total count. */
#define CMAN_DECISION_JSON_SKIPPED 50

struct cman_skip {
	size_t id;                   /* the machine's id: cman_decision_str() */
	const char *reason;          /* static: "weight limit", "group at target",
				      * "task limit", "non-orphan floor", ... */
};

/* What the run did to one resource group (pool manager step 5). */
struct cman_group_result {
	size_t id;                   /* the group's id: cman_decision_str() */
	double planned;              /* the target the distribution gave it */
	/* the target it has after the run: planned when it was resized or
	 * already there; on a dry run or when the resize failed, the target it
	 * had (a failed call may also have been applied: NaN, unknown, for
	 * CMAN_ETIMEOUT and CMAN_EPARTIAL) */
	double applied;
	int rc;                      /* 0, or the error of its resize */
	size_t error;                /* rc != 0: the message, cman_decision_str() */
};

/*
 * What one autoscaler run saw and did (a line of decisions.jsonl).  Ids
 * and messages of any length live in one string buffer the decision owns
 * (offsets, read with cman_decision_str()); every array is kept across
 * cman_decision_reset() and freed by cman_decision_release().
 */
struct cman_decision {
	int64_t time;
	char signal[128];            /* the signal evaluated (default on fallback) */
	bool signal_failed;
	char signal_error[512];
	struct cman_request request;
	bool has_usage;
	double usage;                /* of the most constrained resource */
	int constrained;             /* its enum cman_resource, -1 if none */
	double current_target;
	double computed_target;      /* step 2, before the constraints */
	double new_target;           /* after them */
	char reason[256];            /* how step 2 decided */
	size_t n_clamps;
	char clamps[CMAN_MAX_CLAMPS][160];   /* "max_capacity: 40 -> 30", ... */
	/* per group, parallel to the pool manager's groups */
	size_t n_groups, cap_groups;
	struct cman_group_result *groups;
	/* machines terminated (pruned or orphaned; on a dry run: chosen), those
	 * whose termination failed, and those skipped; offsets of their ids */
	size_t n_terminated, cap_terminated;
	size_t *terminated;
	size_t n_terminate_failed, cap_terminate_failed;
	size_t *terminate_failed;
	size_t n_skipped, cap_skipped;
	struct cman_skip *skipped;
	bool paused;
	bool dry_run;                /* nothing was changed (live: no --execute) */
	/* the strings */
	char *strs;
	size_t strs_len, strs_cap;
};

/* An empty decision (constrained -1, no arrays). */
void cman_decision_init(struct cman_decision *d);
/* Empty it for the next run, keeping its arrays. */
void cman_decision_reset(struct cman_decision *d);
/* Free its arrays and leave it as cman_decision_init() does (safe twice). */
void cman_decision_release(struct cman_decision *d);
/* The string at offset off of d's buffer (an id or message offset above). */
static inline const char *cman_decision_str(const struct cman_decision *d, size_t off)
{
	return d->strs + off;
}
/* Append a clamp message (truncated to 159 bytes); CMAN_EINVAL when
 * CMAN_MAX_CLAMPS are already recorded. */
int cman_decision_add_clamp(struct cman_decision *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append a terminated machine (the id copied whole); CMAN_ENOMEM. */
int cman_decision_add_terminated(struct cman_decision *d, const char *id);
/* Append a machine whose termination failed; CMAN_ENOMEM. */
int cman_decision_add_terminate_failed(struct cman_decision *d, const char *id);
/* Append a skipped machine; reason must be static (not copied); CMAN_ENOMEM. */
int cman_decision_add_skipped(struct cman_decision *d, const char *id,
			      const char *reason);
/* Was id recorded as terminated in this run? */
bool cman_decision_has_terminated(const struct cman_decision *d, const char *id);
/*
 * Make room for n groups (arrays grown as needed, kept across resets), set
 * n_groups = n, every id "", planned and applied 0, no error.  0 or
 * CMAN_ENOMEM (d unchanged then).
 */
int cman_decision_set_groups(struct cman_decision *d, size_t n);
/* Group i's id (copied whole) and planned target; applied = planned.
 * CMAN_ENOMEM. */
int cman_decision_set_group(struct cman_decision *d, size_t i, const char *id,
			    double planned);
/* Group i's resize failed with rc and message msg (copied); CMAN_ENOMEM. */
int cman_decision_set_group_error(struct cman_decision *d, size_t i, int rc,
				  const char *msg);

/*
 * Write d as one line of JSON (decisions.jsonl, INTERFACE.md): time,
 * signal, signal_error (null), request {cpus, mem, disk, gpus; null when
 * absent}, usage, constrained_resource, current_target, computed_target,
 * new_target, clamps [..], reason, group_targets {id: planned target},
 * terminated [ids], skipped [{id, reason}] (the first
 * CMAN_DECISION_JSON_SKIPPED), skipped_total, paused.  Deterministic.
 */
int cman_decision_write_json(const struct cman_decision *d, FILE *fp);
/* (Returns 0, CMAN_ENOMEM, or CMAN_EIO when fp cannot be written.  Numbers
 * are written with 12 significant digits; a non-finite one as null.) */

/*
 * The same line with live mode's keys after the simulator's (INTERFACE.md
 * "clusterman-live autoscale"): dry_run, groups {id: {planned, applied
 * (null: unknown), error (null: none)}}, terminate_failed [ids].
 */
int cman_decision_write_json_live(const struct cman_decision *d, FILE *fp);

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
