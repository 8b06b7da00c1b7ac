/*
 * ledger.h - step accounting of the pool's cost rate.
 *
 * The cost rate is a piecewise-constant function of time given as deltas
 * ("from t on, the rate changes by d"), which may arrive late: a refunded
 * spot instance removes its rate from the start of its last billing period,
 * in the past.  The ledger keeps per-step sums of the deltas, so a delta
 * costs O(1) whenever it arrives and no later breakpoint is ever rewritten;
 * the per-step integrals are produced once, at the end (cman_ledger_finish).
 *
 * It also integrates cost x unused share (unused_cpus_cost): the unused share
 * is a piecewise-constant function set in time order; deltas may refer to
 * any time up to the latest share change.
 */
#ifndef CMAN_SIM_LEDGER_H
#define CMAN_SIM_LEDGER_H

#include <stddef.h>
#include <stdint.h>

struct cman_ledger {
	int64_t start, end, step;
	size_t n_steps;
	long double *sum_d;       /* per step: sum of deltas in [a_i, a_i+1) */
	long double *sum_dt;      /* per step: sum of d * (a_i+1 - t) */
	long double *sum_at;      /* per step: sum of deltas exactly at a_i */
	long double *sum_ds;      /* per step: sum of d * (S(t) - S(a_i)) */
	/* unused share history: S(t) = hs[k] + hv[k] * (t - ht[k]) */
	int64_t *ht;
	long double *hs;
	double *hv;
	size_t nh, caph;
	size_t hk;                /* the entry found last: lookups move from it */
	/* results of cman_ledger_finish() */
	double *cost;             /* dollars within step i */
	double *unused_cost;      /* dollars x unused share within step i */
	double *rate;             /* rate at a_i, dollars per hour */
	double total_cost, total_unused_cost;
};

/* Steps of step seconds over [start, end) (the last may be shorter). */
int cman_ledger_init(struct cman_ledger *l, int64_t start, int64_t end,
		     int64_t step);
void cman_ledger_release(struct cman_ledger *l);

/*
 * From time t on, the rate (dollars per hour) changes by d.  t outside
 * [start, end) is ignored (before start it is clamped to start).  t must
 * not be later than the last cman_ledger_set_share() time.
 */
void cman_ledger_delta(struct cman_ledger *l, int64_t t, double d);

/* From time t on (t non-decreasing across calls), the unused share is v. */
int cman_ledger_set_share(struct cman_ledger *l, int64_t t, double v);

/* Compute cost, unused_cost and rate per step and the totals. */
int cman_ledger_finish(struct cman_ledger *l);

#endif
