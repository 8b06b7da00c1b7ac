/*
 * autoscale.h - the live autoscaler of one pool: one daemon cycle
 * (LIVE-SPEC §1.4 "One cycle"), for `clusterman-live autoscale` and for the
 * daemon loop (daemon.h) that schedules it.
 *
 * One cycle at now (epoch seconds, taken once by the caller):
 * 1. the pause: the state table's autoscaler_paused item for
 *    <cluster>.<pool>.<scheduler> (cman_store_paused).  A read error fails
 *    the cycle (as Clusterman).  A paused pool still gets a decision line
 *    (paused: true, its current target; the groups and the scheduler are
 *    read, nothing is changed, not even the pool's metadata) and the cycle
 *    counts as paused;
 * 2. the capacity offset: autoscaler_capacity_offset in force at now
 *    (cman_store_capacity_offset), added to the pool file's own
 *    autoscaling.capacity_offset.  It is added to a computed target, never
 *    to a kept one (the offset ratchet of LIVE-SPEC §9.11 fixed).  A read
 *    error counts as 0, as in Clusterman, and the line says so
 *    (capacity_offset_error);
 * 3. re-discovery of the pool's groups (LIVE-SPEC §2.4), then the pool runner
 *    (runner.h: reload the connector, refresh the groups, decide, resize,
 *    prune, clean up orphans, write the pool's metadata) with dry_run unless
 *    execute.  A dry run calls no mutating AWS or Mesos API at all and
 *    writes no metadata (the history is read through a read-only view of
 *    the store: a would-be target is not the pool's target);
 * 4. one line in the live decisions format (cman_decision_write_json_live)
 *    on the decisions stream, with these keys after the simulator's and the
 *    live ones: "pool" (<cluster>.<pool>.<scheduler>), "signal_source"
 *    (pool, default, "default (fallback)": which signal the pool was built
 *    with), "signal_fallback" (why, or null), "capacity_offset" (the offset
 *    applied), "capacity_offset_error" (null, or why the state table's
 *    offset was read as 0), "shadow" (false) and "warnings": a list of
 *    {"kind", "message"} for doubtful input the cycle carried on with
 *    (empty when none).  The one kind so far is "no_load_data": the pool
 *    was not paused and the signal requested nothing (no resource at all:
 *    for the built-in signals, no sample of any required metric in the
 *    window, as with an empty or missing store), so the current target was
 *    kept.  It is also said on standard error once when it starts ("no
 *    load data") and once when it ends ("load data again"), not every
 *    cycle, and counted in the stats.  A cycle that fails before
 *    a decision is complete (the pause unreadable, the scheduler or a group
 *    unreadable) writes {"time", "pool", "failed": true, "error", "dry_run",
 *    "shadow", "warnings"} instead, so that every cycle leaves exactly one line per
 *    configuration (clusterman-sim backtest skips failed and shadow lines).
 *
 * Shadow mode: with a candidate pool file, the same cycle then evaluates
 * the candidate configuration on the same groups, scheduler view, signal
 * answer inputs (the same store at the same now) and state (pause, offset),
 * always as a dry run, and writes a second line marked "shadow": true
 * ("pool_file": the candidate).  The candidate never changes anything and
 * writes no metadata; its failure never fails the cycle (it is counted and
 * recorded in its line).
 *
 * Ownership: the autoscaler borrows the pool (and the candidate pool) and
 * the decisions stream; cman_live_autoscaler_release() frees only what
 * cman_live_autoscaler_init() made.
 */
#ifndef CMAN_LIVE_AUTOSCALE_H
#define CMAN_LIVE_AUTOSCALE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cman/connector.h"
#include "cman/err.h"
#include "cman/live/livepool.h"
#include "cman/runner.h"

struct cman_live_autoscaler_opts {
	bool execute;                  /* false (default): dry run */
	FILE *decisions;               /* borrowed; NULL: no line written */
	/* a candidate configuration evaluated beside the pool (shadow mode),
	 * opened by the caller with cman_live_pool_open(..., opts.pool_file =
	 * the candidate, opts.no_discovery, opts.store = the pool's store);
	 * NULL: none.  Borrowed. */
	struct cman_live_pool *shadow;
};

void cman_live_autoscaler_opts_init(struct cman_live_autoscaler_opts *o);

/* What the cycles did so far (for the daemon's health and metrics files). */
struct cman_live_autoscale_stats {
	uint64_t cycles;               /* cycles run (including paused and failed) */
	uint64_t decided;              /* cycles that recorded a decision */
	uint64_t paused;               /* cycles of a paused pool */
	uint64_t failed;               /* cycles that returned an error */
	uint64_t offset_errors;        /* offset reads that failed (counted as 0) */
	uint64_t signal_failures;      /* decisions on the default signal after the
					  pool's failed */
	uint64_t shadow_failed;        /* candidate evaluations that failed */
	int last_rc;                   /* the last cycle's result (0 or enum cman_err) */
	int64_t last_time;             /* the last cycle's now */
	double last_target;            /* its new target (current when paused) */
	double last_fulfilled;         /* fulfilled capacity it found (NaN if unread) */
	double last_offset;            /* capacity offset it applied */
	bool last_paused;              /* the last cycle found the pool paused */
	bool last_signal_failed;       /* ... decided on the default signal after
					  the pool's failed */
	uint64_t abandoned;            /* cycles stopped before changing anything */
	/* load data: decided cycles of a pool not paused whose signal
	 * requested nothing (the target kept), in all and in a row, and the
	 * last decided cycle's verdict with its message */
	uint64_t no_load, no_load_streak;
	int64_t no_load_since;         /* now of the first cycle of the streak */
	bool last_no_load;             /* the last decided cycle had no load data */
	bool load_known;               /* a cycle has decided (last_no_load set) */
	char no_load_why[256];
};

struct cman_live_autoscaler {
	struct cman_live_pool *lp;     /* borrowed */
	struct cman_live_pool *shadow; /* borrowed, or NULL */
	bool execute;
	FILE *decisions;               /* borrowed */
	struct cman_pool_runner runner;
	struct cman_pool_runner shadow_runner;
	/* the cycle's clock: now of the cycle being run, for the autoscaler,
	 * the pool manager and the signals */
	struct cman_clock clock;
	int64_t now;
	double base_offset;            /* the pool file's autoscaling.capacity_offset */
	double shadow_base_offset;
	struct cman_live_autoscale_stats stats;
	/* with --execute, asked before the first call that may change anything
	 * (the daemon's cman_daemon_may_mutate): false stops the cycle there,
	 * nothing changed (its line says failed, "abandoned"); NULL: never asked */
	bool (*may_mutate)(void *ctx);
	void *may_mutate_ctx;
	/* shadow mode: one signal answer per cycle for both, the candidate's
	 * decision */
	struct cman_signal *memo_signal, *memo_default;
	struct cman_decision shadow_decision;
	/* the pool's store, read-only: the history of dry runs and of the
	 * candidate (their would-be targets are never written) */
	struct cman_store *readonly;
	/* scratch for the decision line */
	char *line;
	size_t line_len;
};

/*
 * Set a up for lp (and o->shadow): the autoscaler, the pool manager and
 * the pool's signals now take their time from the cycle's now.  lp must
 * have been opened with signals (not opts.no_signal).  CMAN_EINVAL
 * otherwise.
 */
int cman_live_autoscaler_init(struct cman_live_autoscaler *a, struct cman_live_pool *lp,
			      const struct cman_live_autoscaler_opts *o,
			      struct cman_error *err);
void cman_live_autoscaler_release(struct cman_live_autoscaler *a);

/*
 * One cycle at now (see the top).  0 when the pool's decision was complete
 * and applied (or, on a dry run, computed), and when the pool is paused;
 * otherwise the failure (message prefixed "autoscaler run at TIME"), after
 * the cycle's line was written.  Writing the line failing is CMAN_EIO.
 * The period to the next cycle is a->lp->period_seconds.
 */
int cman_live_autoscale_cycle(struct cman_live_autoscaler *a, int64_t now,
			      struct cman_error *err);

/*
 * `clusterman-live autoscale` (cmd_autoscale.c): argv holds the arguments
 * after the command name; config is the --config given before it (or
 * NULL).  Returns the exit status.
 */
int cman_live_autoscale_main(int argc, char **argv, const char *config);

#endif
