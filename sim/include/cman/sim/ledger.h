/*
 * ledger.h - step accounting of the pool's cost rate.
 *
 * The cost rate is a piecewise-constant function of time given as deltas
 * ("from t on, the rate changes by d"), which may arrive late: a refunded
 * spot instance removes its rate from the start of its last billing period,
 * in the past.  The ledger keeps per-step sums of the deltas, so a delta
 * costs O(1) whenever it arrives and no later breakpoint is ever rewritten;
 * the per-step integrals are produced once per step, when no delta can reach
 * the step any more (see the horizon below) or at the end (cman_ledger_finish).
 *
 * It also integrates cost x unused share (unused_cpus_cost): the unused share
 * is a piecewise-constant function set in time order; deltas may refer to
 * any time up to the latest share change.
 *
 * With a horizon (cman_ledger_set_horizon: deltas reach at most that many
 * seconds before the latest share change), a step is final once the share
 * has moved a horizon past its end: its cost is computed then, and the
 * ledger keeps only the open steps' sums (a ring) and the share history
 * since the oldest open step, so its memory follows the horizon, not the
 * run's length.  Without one, every step stays open until the end.  The
 * numbers are the same either way, to the bit.
 */
#ifndef CMAN_SIM_LEDGER_H
#define CMAN_SIM_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/sim/chunks.h"

/* The sums of one open step (a_i is its start, a_i+1 the next one's). */
struct cman_ledger_slot {
	long double sum_d;        /* sum of deltas in [a_i, a_i+1) */
	long double sum_dt;       /* sum of d * (a_i+1 - t) */
	long double sum_at;       /* sum of deltas exactly at a_i */
	long double sum_ds;       /* sum of d * (S(t) - S(a_i)) */
};

struct cman_ledger {
	int64_t start, end, step;
	size_t n_steps;
	bool bounded;             /* a horizon was set */
	int64_t horizon;          /* seconds (when bounded) */
	int64_t close_at;         /* a share change at or after it closes step fin */
	/* open steps fin.. in a ring: step i in slot[i & (n_slot - 1)] */
	struct cman_ledger_slot *slot;
	size_t n_slot;            /* a power of 2 */
	size_t fin;               /* steps before fin are final */
	size_t top;               /* one past the latest step a delta reached */
	long double f_rate, f_total, f_unused, f_s;   /* the running sums of the final steps */
	int fail;                 /* CMAN_EINTERNAL: a delta came for a final step (a
				   * broken horizon); CMAN_ENOMEM: the ring could not grow */
	/* unused share history: S(t) = hs[k] + hv[k] * (t - ht[k]), entries
	 * h0..nh-1 (the older ones are no longer needed) */
	int64_t *ht;
	long double *hs;
	double *hv;
	size_t h0, nh, caph;
	size_t hk;                /* the entry found last: lookups move from it */
	/* per step, filled as steps become final (all of them after
	 * cman_ledger_finish()); NULL after cman_ledger_chunked() */
	double *cost;             /* dollars within step i */
	double *unused_cost;      /* dollars x unused share within step i */
	double *rate;             /* rate at a_i, dollars per hour */
	/* cman_ledger_chunked(): the same in chunk tables (out[0] cost, [1]
	 * unused_cost, [2] rate), else NULL; out_sink: nobody reads them */
	struct cman_chunks *out;
	bool out_sink;
	/* where a closing step's numbers go: step i (o_lo <= i < o_hi) at
	 * o_cost[i - o_lo], ... (the flat arrays, the chunk of i, or when
	 * that could not be made o_scratch) */
	size_t o_lo, o_hi;
	double *o_cost, *o_unused, *o_rate;
	double o_scratch[3];
	double total_cost, total_unused_cost;
};

/* Steps of step seconds over [start, end) (the last may be shorter). */
int cman_ledger_init(struct cman_ledger *l, int64_t start, int64_t end,
		     int64_t step);
void cman_ledger_release(struct cman_ledger *l);

/*
 * Keep the per-step numbers in chunks of 2^shift steps instead of flat
 * arrays (cman/sim/chunks.h; cost, unused_cost and rate become NULL): a
 * reader takes them from l->out[0..2] and gives the chunks back as it goes
 * (issue 12).  sink: there is no reader; each chunk goes back as soon as
 * the next one is taken.  Call after init, before any step closes.  0, or
 * CMAN_ENOMEM (the flat arrays are kept), CMAN_EINTERNAL (a step closed).
 * A chunk that cannot be made later fails cman_ledger_finish() (ENOMEM)
 * and leaves its steps unwritten.
 */
int cman_ledger_chunked(struct cman_ledger *l, unsigned shift, bool sink);

/*
 * From time t on, the rate (dollars per hour) changes by d.  t outside
 * [start, end) is ignored (before start it is clamped to start).  t must
 * not be later than the last cman_ledger_set_share() time.
 */
void cman_ledger_delta(struct cman_ledger *l, int64_t t, double d);

/*
 * Deltas come at most horizon seconds (>= 0) before the latest
 * cman_ledger_set_share() time: steps that end a horizon before it are final
 * (call once, after init, before anything else).  A delta for a final step
 * is not counted and makes cman_ledger_finish() fail.
 */
void cman_ledger_set_horizon(struct cman_ledger *l, int64_t horizon);

/* cman_ledger_set_share() when it has something to do (below). */
int cman_ledger_set_share_slow(struct cman_ledger *l, int64_t t, double v);

/*
 * From time t on (t non-decreasing across calls), the unused share is v.
 * 0, or CMAN_ENOMEM when the share history cannot grow.  (Inline: the
 * simulator calls it after every event, and mostly the share is the same
 * and no step is due to close.)
 */
static inline int cman_ledger_set_share(struct cman_ledger *l, int64_t t, double v)
{
	if (t >= l->start && t < l->close_at && l->nh && l->hv[l->nh - 1] == v)
		return 0;
	return cman_ledger_set_share_slow(l, t, v);
}

/*
 * Compute cost, unused_cost and rate of the steps still open and the
 * totals.  CMAN_ENOMEM when a delta could not be kept (out of memory), or
 * CMAN_EINTERNAL when a delta broke the horizon; the numbers are then
 * wrong.
 */
int cman_ledger_finish(struct cman_ledger *l);

#endif
