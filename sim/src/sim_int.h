/*
 * sim_int.h - the simulator's private state, shared by sim.c and output.c.
 */
#ifndef CMAN_SIM_INT_H
#define CMAN_SIM_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "cman/catalog.h"
#include "cman/metrics.h"
#include "cman/sim/billing.h"
#include "cman/sim/ledger.h"
#include "cman/sim/queue.h"
#include "cman/sim/scenario.h"
#include "cman/sim/sim.h"
#include "cman/store.h"

#define NO_TIME INT64_MAX

enum ev_type {
	EV_FEED,      /* the next sample of a recorded series */
	EV_JOIN,      /* an instance's agent joins the cluster */
	EV_TICK,      /* a billing boundary of a cohort */
};

struct sim_market {
	char type[CMAN_TYPE_MAX];
	char az[CMAN_AZ_MAX];
	char region[CMAN_AZ_MAX];
	const struct cman_instance_type *it;
	double ondemand_price;
	double spot_price;            /* discounted, when has_price */
	bool has_price;
	int64_t uncovered_since;      /* NO_TIME: no instance billed without a price */
	double weight;                /* replay: floor(cpus / cpus_per_weight) */
	uint32_t *fifo;               /* running instances, oldest first (ring) */
	size_t head, len, cap;
	double cost;                  /* dollars spent in this market */
	struct cman_ledger ledger;    /* the market's cost per market step */
	double *h_instances;          /* per market step: running instances at its start */
	double *h_price;              /* per market step: spot price at its start (NaN: none) */
	uint64_t launched;
	uint32_t hnext;
};

struct sim_instance {
	int64_t start, join, end;     /* join/end NO_TIME while unknown */
	uint32_t market;
	bool spot, has_bid, joined;
	double bid;
	double cost;
	struct cman_bill_ref bill;
};

enum feed_kind { FEED_CAPACITY, FEED_PRICE, FEED_ALLOCATED, FEED_TARGET };

struct feed {
	enum feed_kind kind;
	uint32_t market;              /* FEED_PRICE */
	struct cman_store *store;
	struct cman_cursor *cur;
	struct cman_sample s;         /* the pending sample */
	char key[CMAN_KEY_MAX];
	enum cman_metric_kind mkind;
};

/* The state of the pool at a step's start. */
struct step_row {
	double cpus, allocated, running, oversubscribed, target, fulfilled;
};

struct cman_sim {
	const struct cman_scenario *sc;
	const struct cman_catalog *cat;
	FILE *log;
	struct cman_store **stores;
	size_t n_stores;
	struct feed *feeds;
	size_t n_feeds, cap_feeds;

	struct cman_queue q;
	struct cman_ledger ledger;
	struct cman_billing billing;
	gsl_rng *rng_join;
	int64_t now;

	struct sim_market *markets;
	size_t n_markets, cap_markets;
	int64_t *want;                /* scratch: instances wanted per market */
	uint32_t *mbuckets;
	size_t n_mbuckets;
	unsigned char *od_warned;     /* per catalog type: nearest-region warning given */

	struct sim_instance *inst;
	size_t n_inst, cap_inst;

	/* pool state */
	double running_cpus, joined_cpus, allocated, fulfilled, target;
	bool has_target, first_capacity_done;
	/* integrals since start, in x-seconds */
	long double joined_s, alloc_s, over_s, running_s;
	int64_t last_t;
	double peak_cpus;

	struct step_row *steps;
	size_t next_step;
	int64_t market_step;          /* resolution of markets.csv */
	size_t n_market_steps, next_market_step;

	char **warnings;
	size_t n_warnings, cap_warnings;

	struct cman_sim_totals totals;
	bool finished;
};

/* Add a warning (printf-style); fails only on ENOMEM. */
int sim_warn(struct cman_sim *sim, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
