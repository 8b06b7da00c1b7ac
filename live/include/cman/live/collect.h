/*
 * collect.h - `clusterman-live collect`: Clusterman's cluster metrics
 * collector and spot price collector (LIVE-SPEC §1.5, §1.6, §6.4, §6.5) in
 * one loop, writing Clusterman's metric names to the configured store so
 * that clusterman-sim replays what live mode saw.
 *
 * Each Mesos pool file of the cluster is opened as a live pool (livepool.h:
 * its Mesos connector and its resource groups, found by tag; no signal, dry
 * run: the collector changes nothing).
 *
 * One cycle at time now (taken once; every sample of the cycle carries it):
 *  - for every pool: re-read the agents from the master, find the groups
 *    again and describe them (LIVE-SPEC 5.1), then write under
 *    "cluster=<cluster>,pool=<pool>.mesos": cpus/mem/disk/gpus_allocated
 *    (system_metrics), cpus/mem/disk/gpus_total (metadata; a pool without
 *    agents writes zeros, which is what was seen), target_capacity (the
 *    non-stale groups' targets; not written when no group is live),
 *    fulfilled_capacity (a market map: per "<type, az>" the weight of the
 *    groups' pending and running machines, every group) and
 *    non_orphan_fulfilled_capacity (pool.h).  A pool whose reload fails is
 *    reported and skipped for this cycle; the other pools are still written
 *    (Clusterman ends its loop there).
 *  - spot prices of the cluster's region (when an EC2 client is given and
 *    batches.spot_prices.run_interval_seconds has passed since the last
 *    read): DescribeSpotPriceHistory for the window (a, b], b = now rounded
 *    down to a multiple of d = dedupe_interval_seconds and a = the previous
 *    window's end, so every slot is complete when it is read and written
 *    by exactly one cycle.  Each market gets, per slot, the newest price in
 *    (slot - d, slot] at the slot (spot_prices.h).  The first window is
 *    [b, b]: the price in force at b of each market is written at b unless
 *    the store already holds that price as the market's latest sample at
 *    or before b (a restart writes nothing twice).  A failed read keeps a,
 *    so the next cycle covers the gap; throttling is counted, not fatal.
 * Samples of a cycle are written between begin and commit (one SQLite
 * transaction; DynamoDB batches flushed at commit).
 */
#ifndef CMAN_LIVE_COLLECT_H
#define CMAN_LIVE_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cman/err.h"
#include "cman/store.h"
#include "cman/live/aws.h"
#include "cman/live/service.h"

struct cman_collector;

struct cman_collect_options {
	const struct cman_live_config *cfg;  /* borrowed; outlives the collector */
	const char *cluster;                 /* a cluster of cfg */
	struct cman_store *store;            /* borrowed */
	struct cman_aws_client *ec2;         /* borrowed; NULL: no spot prices */
	FILE *log;                           /* per-pool problems; NULL: stderr */
};

/* What one cycle did. */
struct cman_collect_stats {
	int64_t t;                  /* the cycle's time */
	size_t pools;               /* pools collected */
	size_t pools_failed;        /* pools skipped this cycle (reported) */
	size_t pools_skipped;       /* pool files never collected (kubernetes, bad file) */
	size_t metric_samples;      /* pool metrics written */
	bool prices_read;           /* a spot price window was read */
	size_t price_samples;       /* spot price samples written */
	int64_t prices_from, prices_to;   /* the window read (when prices_read) */
	int prices_error;           /* 0, or the read's cman_err (window kept) */
};

/*
 * Make a collector for opt->cluster: open a live pool per pool file (one
 * that does not open, or a Kubernetes one, is reported on opt->log and
 * skipped until restart, as Clusterman does).  CMAN_EINVAL for an unknown
 * cluster or one without a Mesos master.  Nothing is contacted yet.  Caller
 * frees with cman_collector_free().
 */
int cman_collector_new(const struct cman_collect_options *opt, struct cman_collector **out,
		       struct cman_error *err);
void cman_collector_free(struct cman_collector *c);   /* NULL is fine */

/* The number of pools collected and their "<pool>.<scheduler>" names. */
size_t cman_collector_pool_count(const struct cman_collector *c);
const char *cman_collector_pool_name(const struct cman_collector *c, size_t i);

/*
 * One cycle at time now (see above).  0 when everything was read and
 * written; CMAN_EPARTIAL when a pool or the spot prices failed (each
 * reported on the log, the rest written and committed); a store failure
 * is returned as it is (the cycle's writes rolled back).  *stats (may be
 * NULL) says what was done.
 */
int cman_collector_cycle(struct cman_collector *c, int64_t now, struct cman_collect_stats *stats,
			 struct cman_error *err);

/*
 * The collect command: clusterman-live collect --cluster C [--once |
 * --cycles N] [--health-file F] [--metrics-file F] on the daemon loop
 * (daemon.h; argv after the command name; config: --config given before
 * the command, or NULL).  Returns the exit status.
 */
int cman_collect_main(int argc, char **argv, const char *config);

#endif
