/*
 * runner.h - the pool runner: one autoscaler cycle of one pool, the same
 * code for the simulator and the live daemon (issue 10).
 *
 * A cycle, at the autoscaler's clock: reload the scheduler's view (the
 * connector), refresh every resource group (cman_pool_refresh), run the
 * autoscaler (decide, resize, prune, clean up orphans, write the pool's
 * metadata: cman_autoscaler_run) with the capacity lost since the last
 * cycle, record the decision (one line of decisions.jsonl when a stream is
 * given) and say when the next cycle is due.  The caller owns the
 * scheduling (the simulator queues an event at next_time, the daemon
 * sleeps) and the warnings it gives (the runner counts signal failures).
 *
 * Failures: a failed reload or refresh fails the cycle before anything is
 * decided (nothing recorded, the lost capacity kept for the next cycle).
 * When a resource group fails while the run carries on (cman_pool_modify),
 * the decision is complete: it is recorded, the cycle counts, and the
 * group's failure is returned.  Any other failure of the run is returned
 * without a record.  Every message is prefixed "autoscaler run at TIME".
 */
#ifndef CMAN_RUNNER_H
#define CMAN_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cman/autoscaler.h"
#include "cman/err.h"
#include "cman/pool.h"

struct cman_pool_runner {
	struct cman_autoscaler *as;      /* borrowed; its pm, clock and connector */
	int64_t period_seconds;          /* between cycles, > 0 */
	bool dry_run;                    /* change nothing (copied to the pool
					  * manager each cycle, and recorded) */
	bool live_record;                /* lines with live mode's keys
					  * (cman_decision_write_json_live) */
	FILE *decisions;                 /* NULL: no line written */
	bool no_reload;                  /* the caller reloaded the connector and
					  * refreshed the groups for this cycle (live
					  * mode reads once for production and a
					  * shadow candidate) */
	struct cman_decision decision;   /* the last cycle's, owned */
	int lost;                        /* instances lost since the last cycle */
	uint64_t cycles;                 /* cycles that reached a decision */
	uint64_t signal_failures;        /* of those, where the pool's signal failed */
	int64_t next_time;               /* after a cycle: when the next is due */
};

/* Set up r for as (borrowed) with cycles period_seconds apart. */
void cman_pool_runner_init(struct cman_pool_runner *r, struct cman_autoscaler *as,
			   int64_t period_seconds);
/* Free the decision (not as). */
void cman_pool_runner_release(struct cman_pool_runner *r);

/* Count n instances lost (interrupted, ended by the provider) since the last
 * cycle: the prevent-scale-down rule (SPEC §4 step 3) reads the count. */
void cman_pool_runner_lost(struct cman_pool_runner *r, int n);

/* One cycle (see the top); r->decision holds what it decided. */
int cman_pool_runner_cycle(struct cman_pool_runner *r, struct cman_error *err);

#endif
