/*
 * billing.h - what each instance costs, and the pool's cost rate.
 *
 * SPEC §3: billing periods (1 s or 3600 s) start at launch; over each period
 * an instance pays the price in force at the period's start; the last,
 * partial period is charged whole, unless the instance is a refundable
 * outbid spot instance, in which case it is free.
 *
 * Instances are grouped into cohorts that share their billing boundaries:
 * (market, price source, launch time mod period).  A cohort updates its rate
 * once per boundary (per-hour: one event per cohort per hour, whatever the
 * number of instances in it) or at each price change of its market
 * (per-second).  Each cohort keeps the running integral of the rate of one
 * of its instances, so an instance's own cost is a difference of two
 * integrals, never a walk over its history.
 */
#ifndef CMAN_SIM_BILLING_H
#define CMAN_SIM_BILLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/sim/ledger.h"

/*
 * How far back a delta can reach, in seconds before the time of the call
 * that emits it: a refund takes back the rest of the current period (at
 * most 3600 s) and an AWS interruption within the first hour the instance's
 * whole life (under 3600 s); everything else is emitted at the call's time.
 * The simulator's ledgers are bounded by it (cman_ledger_set_horizon).
 */
#define CMAN_BILLING_LOOKBACK 3600

/* Price of a market now (dollars per hour), from the simulator. */
typedef double (*cman_price_fn)(void *ctx, uint32_t market, bool ondemand);
/* Told of every rate change of a market (besides the pool's ledger). */
typedef void (*cman_delta_fn)(void *ctx, uint32_t market, int64_t t, double d);
/* Ask the simulator to call cman_billing_tick(b, cohort, t) at time t. */
typedef int (*cman_schedule_fn)(void *ctx, int64_t t, uint32_t cohort);

struct cman_cohort {
	uint32_t market;
	bool ondemand;
	int64_t period;           /* 1 or 3600 */
	int64_t phase;            /* launch time mod period */
	int64_t count;            /* running instances */
	int64_t billed;           /* instances whose rate is in the ledger */
	double rate;              /* per-instance rate of the current period */
	int64_t boundary;         /* start of the current period */
	long double k;            /* per-instance dollars up to boundary */
	bool tick_pending;
	int64_t next_tick;
	uint32_t hnext;           /* hash chain, UINT32_MAX ends it */
	/* aws, per-second spot cohorts: every rate change (for refunds) */
	int64_t *hist_t;
	double *hist_p;
	size_t hist_n, hist_cap;
};

/* What the billing engine remembers of one instance. */
struct cman_bill_ref {
	uint32_t cohort;
	long double k_start;
	int64_t start;
	double rate_at_start;     /* aws: the rate it added at launch */
	size_t hist_at_start;     /* aws: the cohort's history length then */
};

/* A rate kept after its instance ended (aws 60-second minimum). */
struct cman_pending {
	uint32_t cohort;
	double rate;
	uint32_t next_free;
};

struct cman_billing {
	int64_t period;           /* 1 or 3600: the default period */
	bool refund;              /* refunds for outbid spot instances */
	bool aws;                 /* AWS rules: 60 s minimum, free interrupted first hour */
	cman_schedule_fn schedule_release;   /* aws: call cman_billing_expire at t */
	struct cman_pending *pend;
	size_t n_pend, cap_pend;
	uint32_t free_pend;
	struct cman_ledger *ledger;
	cman_price_fn price;
	cman_schedule_fn schedule;
	cman_delta_fn on_delta;   /* optional, set after init */
	void *ctx;
	struct cman_cohort *cohorts;
	size_t n, cap;
	uint32_t *buckets;        /* hash table of cohorts */
	size_t n_buckets;
	uint32_t *spot_by_market; /* per-second: the spot cohort of a market */
	size_t n_markets;
};

int cman_billing_init(struct cman_billing *b, int64_t period, bool refund,
		      struct cman_ledger *ledger, cman_price_fn price,
		      cman_schedule_fn schedule, void *ctx);
void cman_billing_release(struct cman_billing *b);

/* An instance of market starts at t; fills *ref.  hourly: bill it per hour
 * whatever the default period (aws mode's hourly types). */
int cman_billing_start(struct cman_billing *b, uint32_t market, bool ondemand,
		       bool hourly, int64_t t, struct cman_bill_ref *ref);

/* The end of a kept rate scheduled through schedule_release. */
void cman_billing_expire(struct cman_billing *b, uint32_t pending, int64_t t);

/*
 * The instance stops at t.  refundable: it is a spot instance whose bid was
 * not above the market price at t (the partial last period is then free when
 * refunds are on).  In aws mode, refundable also means "interrupted by EC2":
 * within its first hour the instance is free; and an instance that ran less
 * than 60 s pays 60 s (the remainder at the rate in force at t).  Returns its
 * cost in dollars, counted up to the ledger's end time.
 */
double cman_billing_stop(struct cman_billing *b, const struct cman_bill_ref *ref,
			 int64_t t, bool refundable);

/* The spot price of market changed at t (call after the price source
 * returns the new value; old is the previous one). */
void cman_billing_price_changed(struct cman_billing *b, uint32_t market,
				int64_t t, double old_price, double new_price);

/* A billing boundary of a cohort, scheduled through cman_schedule_fn. */
int cman_billing_tick(struct cman_billing *b, uint32_t cohort, int64_t t);

#endif
