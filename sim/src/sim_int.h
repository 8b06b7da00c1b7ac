/*
 * sim_int.h - the simulator's private state, shared by sim.c and output.c.
 */
#ifndef CMAN_SIM_INT_H
#define CMAN_SIM_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "cman/autoscaler.h"
#include "cman/catalog.h"
#include "cman/pool.h"
#include "cman/resource_group.h"
#include "cman/runner.h"
#include "cman/signal.h"
#include "cman/metrics.h"
#include "cman/sim/billing.h"
#include "cman/sim/chunks.h"
#include "cman/sim/coverage.h"
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
	EV_AUTOSCALE, /* an autoscaler run */
	EV_INTERRUPT, /* the end of a spot interruption notice (arg: group << 32 | spec) */
	EV_EXPIRE,    /* aws billing: a 60-second minimum ends */
	EV_REPLENISH, /* a group short of its target tries again (arg: group) */
};

#define NO_GROUP UINT32_MAX
#define INTERRUPT_NOTICE_SECONDS 120
/* A group below its target tries to launch again this often (README). */
#define REPLENISH_SECONDS 60
/* A group below its target for at least this long is reported (warning). */
#define SHORT_WARN_SECONDS 3600
/* Per group, the shortfalls listed one by one (the rest are counted). */
#define SHORT_WARN_MAX 10

struct sim_market {
	char type[CMAN_TYPE_MAX];
	char az[CMAN_AZ_MAX];
	char region[CMAN_AZ_MAX];
	const struct cman_instance_type *it;
	double ondemand_price;
	const char *od_source;        /* the price table's name, or "scenario" */
	double spot_price;            /* discounted, when has_price */
	/* the on-demand comparison: spot instances and their price, integrated
	   per market step from spot_since on */
	uint64_t spot_running;
	int64_t spot_since;
	double *h_spot_seconds;       /* per market step: spot instance-seconds */
	double *h_spot_at_price;      /* per market step: those at the spot price, $ */
	bool has_price;
	bool hourly;                  /* billing aws: this type bills per hour */
	int64_t uncovered_since;      /* NO_TIME: no instance billed without a price */
	double weight;                /* replay: floor(cpus / cpus_per_weight) */
	double res[CMAN_RES_COUNT];   /* one instance's cpus, mem (MiB), disk (MiB:
				       * local storage, else the EBS volume), gpus */
	uint32_t *fifo;               /* running instances, oldest first (ring) */
	size_t head, len, cap;
	double cost;                  /* dollars spent in this market */
	uint64_t running;             /* running instances (both modes) */
	struct cman_ledger ledger;    /* the market's cost per market step */
	double *h_instances;          /* per market step: running instances at its start */
	double *h_price;              /* per market step: spot price at its start (NaN: none) */
	uint64_t launched;
	uint32_t hnext;
	uint32_t price_series;        /* its spot_prices series, or NO_SERIES */
	bool spot_used;               /* a spot instance ran here (coverage row) */
	bool res_exact;               /* every res[] a whole number below 2^32 */
};

struct sim_instance {
	int64_t start, join, end;     /* join/end NO_TIME while unknown */
	uint32_t market;
	uint32_t group, spec, slot;   /* autoscaler mode: where the group keeps it */
	bool spot, has_bid, joined, interrupted;
	int tasks;                    /* autoscaler mode: tasks at the last run */
	double bid;                   /* dollars per instance-hour */
	double weight;
	double cost;
	struct cman_bill_ref bill;
};

/* A launch specification of a simulated group and its running instances. */
struct sim_spec {
	uint32_t market;
	double weight;
	bool spot;
	double bid;                   /* per instance-hour (SpotPrice x weight) */
	uint32_t *ids;                /* running instances (unordered) */
	size_t n, cap;
	bool notice_pending;          /* an interruption notice is running */
	int64_t notice_time;
};

/* A simulated resource group: Spot Fleet or Auto Scaling group. */
struct sim_group {
	struct cman_resource_group base;   /* first: the pool manager's view */
	struct cman_sim *sim;
	const struct cman_rg_spec *cfg;
	struct sim_spec *specs;
	size_t n_specs;
	double target, fulfilled;
	double min, max;
	struct cman_rg_instance *view;
	char (*view_ids)[12];         /* the view's ids ("i-" and 8 hex digits) */
	size_t view_cap, view_n;
	bool view_valid;              /* false after any launch or removal */
	double *step_target, *step_fulfilled;   /* per step, for groups.csv */
	bool replenish_pending;       /* an EV_REPLENISH is queued */
	int64_t short_since;          /* below target since; NO_TIME when not */
	double short_least;           /* least fulfilled capacity while short */
	uint64_t n_short, short_seconds;   /* reported shortfalls, their length */
	/* the pool manager's summary, kept as machines launch, join and end
	 * (issue 12; rg_summary()): every spec's weight a whole number (so
	 * sums of them are exact), the weight of the joined ones, and the
	 * ones not joined yet in launch order (joined and ended ones are
	 * dropped from the front when asked) */
	bool weights_exact;
	uint64_t joined_weight;
	uint32_t *unjoined;
	size_t unjoined_head, unjoined_n, unjoined_cap;
};

enum feed_kind { FEED_CAPACITY, FEED_PRICE, FEED_ALLOCATED, FEED_TARGET };

#define NO_SERIES UINT32_MAX
#define NO_MARKET UINT32_MAX

/* A recorded series the run uses and its coverage of the window (check.c). */
struct sim_series {
	char label[CMAN_KEY_MAX + 64];   /* "cpus_allocated", "spot_prices <type, az>" */
	enum cman_metric_kind kind;
	char key[CMAN_KEY_MAX];
	uint32_t market;              /* spot prices: the market, else NO_MARKET */
	bool needed;                  /* no sample in the window is an input error */
	const char *needed_by;        /* who needs it, for that error */
	uint32_t n_feeds;             /* feeds streaming it (0: read at setup) */
	bool first_seen;              /* position(): a feed had a sample <= end */
	struct cman_coverage cov;
};

/* A stretch of starvation (check.c). */
struct sim_episode {
	int kind;                     /* 0 shortfall, 1 oversubscribed */
	int resource;                 /* oversubscribed: the enum cman_resource */
	int64_t start, end;
	double worst;                 /* shortfall: the largest share of the target
				       * missing; oversubscribed: the most of the
				       * resource short (vCPUs, MiB, GPUs) */
};

#define SIM_MAX_EPISODES 100

struct feed {
	enum feed_kind kind;
	uint32_t series;              /* its coverage series */
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

/* The other resources at a step's start (index enum cman_resource; [0] unused). */
struct res_row {
	double joined[CMAN_RES_COUNT], allocated[CMAN_RES_COUNT], running[CMAN_RES_COUNT];
};

/* No resource is binding (nothing allocated). */
#define NO_BINDING CMAN_RES_COUNT

/* The simulated cluster as the autoscaler sees it (connector.c). */
struct sim_connector {
	struct cman_connector base;
	struct cman_sim *sim;
	double total[CMAN_RES_COUNT];
	/*
	 * Issue 12: when every group market's resources are whole numbers
	 * (exact), the joined agents' totals are kept as integers as agents
	 * join and leave (the sums a walk would make, exactly), and the
	 * tasks are spread over the agents only when an agent is asked for
	 * or an instance ends during the run (pack_pending; pack_n: the
	 * running_ids the reload saw), not at every reload.
	 */
	bool exact;
	uint64_t joined_sum[CMAN_RES_COUNT];
	bool pack_pending;
	size_t pack_n;
};

struct sim_clock {
	struct cman_clock base;
	struct cman_sim *sim;
};

struct cman_sim {
	const struct cman_scenario *sc;
	const struct cman_catalog *cat;
	FILE *log;
	char run_id[17];            /* set by cman_sim_write_outputs() */
	struct cman_store **stores;
	bool *store_cached;          /* stores[i] belongs to the cache */
	size_t n_stores;
	struct cman_sim_cache *cache;   /* NULL: no cache */
	/* the market of each position of the last capacity map (samples
	 * repeat the same markets in the same order): checked by name, found
	 * by hash only when it changed; the names' addresses, when the same
	 * as last time, skip the check (a store's market names stay at one
	 * address, distinct from any other name's, until the store is freed,
	 * and the stores outlive the run) */
	uint32_t cap_market[16];
	const char *cap_type[16], *cap_az[16];
	double cap_value[16];         /* the last capacity sample's values, */
	size_t cap_n1;                /* its size + 1 (0: none to compare with) */
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
	int price_table;              /* the on-demand price table chosen (-1: none) */
	const char *price_table_name;
	bool price_table_auto;        /* chosen by the start time (no prices.table) */

	struct sim_instance *inst;
	size_t n_inst, cap_inst;

	/* pool state */
	double running_cpus, joined_cpus, allocated, fulfilled, target;
	double allocated_res[CMAN_RES_COUNT];   /* recorded <res>_allocated */
	bool has_target, first_capacity_done;
	/* integrals since start, in x-seconds */
	long double joined_s, alloc_s, over_s, running_s;
	int64_t last_t;
	double peak_cpus;

	/*
	 * Every resource (issue 8.3), indexed by enum cman_resource.  CPUs keep
	 * the fields above (running_cpus, joined_cpus, allocated, ledger); the
	 * arrays' [CMAN_RES_CPUS] entries are unused except res_data and
	 * binding_s.  A resource other than CPUs is accounted only when its
	 * <res>_allocated series is recorded (res_data).
	 */
	bool res_data[CMAN_RES_COUNT];
	bool any_res_data;            /* res_data of mem, disk or gpus */
	double running_res[CMAN_RES_COUNT], joined_res[CMAN_RES_COUNT];
	struct cman_ledger res_ledger[CMAN_RES_COUNT];   /* unused-<res> cost */
	long double res_joined_s[CMAN_RES_COUNT], res_alloc_s[CMAN_RES_COUNT];
	long double res_over_s[CMAN_RES_COUNT], res_running_s[CMAN_RES_COUNT];
	int64_t binding_s[CMAN_RES_COUNT + 1];      /* seconds; [NO_BINDING]: none */
	struct res_row *res_steps;    /* per step, when any_res_data */
	unsigned char *step_binding;  /* per step: the binding resource or NO_BINDING */

	struct step_row *steps;
	size_t next_step;
	/*
	 * Where the per-step records go (sim_rows_start(), at the run's
	 * start; issue 12): flat arrays (steps, step_binding, res_steps and
	 * the ledgers' cost, unused_cost, rate), or with rows_recycle chunks
	 * of steps (the row_* tables and the ledgers' out)
	 * that timeseries.csv's thread gives back once it has written their
	 * rows (sim_rows_give_back), or that go back at once (rows_sink:
	 * cman_sim_totals_only, nobody reads them); 2^rows_shift steps a
	 * chunk.  advance() writes step i
	 * (row_lo <= i < row_hi) at row_at[i - row_lo], bind_at[...],
	 * res_at[...].  rows_fail: a chunk could not be made (the rows from
	 * then on went to the scratch row; the run fails).
	 */
	bool stream_steps;            /* cman_sim_stream_steps() */
	unsigned rows_shift;          /* SIM_ROWS_SHIFT (tests: smaller, before the run) */
	bool rows_started, rows_recycle, rows_sink;
	int rows_fail;
	struct cman_chunks row_steps, row_binding, row_res;
	size_t row_lo, row_hi;
	struct step_row *row_at;
	unsigned char *bind_at;
	struct res_row *res_at;
	struct step_row scratch_row;
	unsigned char scratch_bind;
	struct res_row scratch_res;
	/* timeseries.csv formatted while the run goes (output.c), or NULL;
	 * advance() tells it which rows are final when next_step reaches
	 * ts_publish_at (SIZE_MAX: never) */
	struct sim_ts *ts;
	size_t ts_publish_at;
	/* the report tables every writer of timeseries.csv fills as it goes
	 * (cman_sim_keep_tables, output.c), or NULL: nothing reads the
	 * per-step records for the reports after the loop */
	struct sim_tables *tables;
	/* tests, set before cman_sim_write_start(): publish every ts_batch
	 * steps (0: every 4096; a thread only for 4 batches or more);
	 * ts_test_inline: no thread, the loop formats the rows itself when it
	 * publishes them (a row published before it is final then comes out
	 * wrong every time, not by a race) */
	size_t ts_batch;
	bool ts_test_inline;
	bool ts_test_idle;            /* the thread formats nothing (as if it never
				       * got a CPU): the end takes all rows over */
	bool ts_test_lag;             /* the thread sleeps 1 ms before each TS_CHUNK
				       * rows (a consumer far behind the loop) */
	struct sim_prefault *prefault;   /* a thread faulting the per-step arrays in (sim.c) */
	int64_t market_step;          /* resolution of markets.csv */
	size_t n_market_steps, next_market_step;

	char **warnings;
	size_t n_warnings, cap_warnings;

	/* autoscaler mode */
	bool autoscaling;
	struct sim_group *groups;
	size_t n_groups;
	const struct sim_group_host *group_host;   /* groups.c's view of sim.c */
	struct cman_resource_group **group_ptrs;
	struct cman_store *history;   /* the pool's metadata the autoscaler writes */
	/* what the signals read, copied from sim->stores (one memory store
	 * each, owned; see signal_stores() in sim.c) */
	struct cman_store **sig_stores;
	bool *sig_cached;             /* sig_stores[i] belongs to the cache */
	size_t n_sig_stores;
	struct cman_signal *signal, *default_signal;
	struct cman_pool_manager pm;
	struct cman_autoscaler as;
	struct cman_pool_runner runner;  /* one autoscaler cycle (common/) */
	struct sim_connector *conn;
	struct sim_clock *clock;
	bool totals_only;             /* cman_sim_totals_only(): no decision log */
	FILE *decisions;              /* decisions.jsonl lines, in memory */
	char *decisions_buf;
	size_t decisions_len;
	uint32_t *running_ids;        /* autoscaler mode: ids launched, oldest first;
				       * ended ones are dropped at each connector reload */
	size_t n_running_ids, cap_running_ids;
	uint64_t interrupted;

	/* data coverage and starvation (check.c) */
	struct sim_series *series;
	size_t n_series, cap_series;
	/* [0] shortfall, [1 + r] resource r oversubscribed: since (NO_TIME: not) */
	int64_t starve_since[1 + CMAN_RES_COUNT];
	double starve_worst[1 + CMAN_RES_COUNT];
	struct sim_episode episodes[SIM_MAX_EPISODES];   /* the first ones */
	size_t n_episodes;
	uint64_t n_episodes_total;

	struct cman_sim_totals totals;
	bool finished;
};

/* Instance ids: "i-" and 8 lowercase hex digits of the instance index.
 * The digits a word at a time (issue 12: the groups' views format every
 * id of a pool each prune): each nibble spread into a byte of its own
 * (nibble j in byte j), '0' added, and 'a' - '0' - 10 more where the
 * nibble is 10 or more, then the bytes in reading order. */
static inline void sim_format_id(char *buf, uint32_t id)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t x = id, ten;

	x = (x & 0xffff0000u) << 16 | (x & 0xffffu);
	x = (x & UINT64_C(0x0000ff000000ff00)) << 8 | (x & UINT64_C(0x000000ff000000ff));
	x = (x & UINT64_C(0x00f000f000f000f0)) << 4 | (x & UINT64_C(0x000f000f000f000f));
	ten = ((x + UINT64_C(0x0606060606060606)) >> 4) & UINT64_C(0x0101010101010101);
	x += UINT64_C(0x3030303030303030) + ten * ('a' - '0' - 10);
	x = __builtin_bswap64(x);
	buf[0] = 'i';
	buf[1] = '-';
	memcpy(buf + 2, &x, 8);
#else
	static const char hex[] = "0123456789abcdef";
	int k;

	buf[0] = 'i';
	buf[1] = '-';
	for (k = 9; k >= 2; k--, id >>= 4)
		buf[k] = hex[id & 15];
#endif
	buf[10] = '\0';
}

/* The index of an id made by sim_format_id; false when it is not one. */
static inline bool sim_parse_id(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int k;

	if (s[0] != 'i' || s[1] != '-')
		return false;
	for (k = 2; k < 10; k++) {
		char c = s[k];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint32_t)(c - 'a' + 10);
		else
			return false;
	}
	if (s[10])
		return false;
	*out = v;
	return true;
}

/* The spot price of a market now (the on-demand price while none recorded). */
static inline double sim_market_price(const struct cman_sim *sim, uint32_t market)
{
	const struct sim_market *m = &sim->markets[market];

	return m->has_price ? m->spot_price : m->ondemand_price;
}

/* Instances: launch one of market at now (immediate: joined at once). */
int sim_launch(struct cman_sim *sim, uint32_t market, uint32_t group, uint32_t spec,
	       bool spot, double bid, double weight, bool immediate, uint32_t *id,
	       struct cman_error *err);
/* Instance id's agent joins at now. */
void sim_join_instance(struct cman_sim *sim, uint32_t id);
/* The per-step records' chunks: steps a power of two. */
#define SIM_ROWS_SHIFT 12

/*
 * The per-step records from step i on as one reader sees them: the rows
 * i .. i + n - 1 at [0 .. n-1] (one chunk, or the rest of the flat arrays;
 * res and res_unused_cost only with data).
 */
struct sim_rows {
	const struct step_row *steps;
	const unsigned char *binding;
	const struct res_row *res;
	const double *cost, *unused_cost, *rate;
	const double *res_unused_cost[CMAN_RES_COUNT];
	size_t n;
};
void sim_rows_at(const struct cman_sim *sim, size_t i, struct sim_rows *v);
/* timeseries.csv's thread: the rows before done are written; with
 * rows_recycle their chunks go back (else nothing). */
void sim_rows_give_back(struct cman_sim *sim, size_t done);
/* Where the records go, decided once (cman_sim_run does it first; tests
 * may call it before); the prefault thread starts for flat arrays of a
 * long run.  0 or CMAN_ENOMEM. */
int sim_rows_start(struct cman_sim *sim);
/* output.c: a thread formats timeseries.csv while the run goes. */
bool sim_ts_threaded(const struct cman_sim *sim);

/* Wait for the thread that faults the per-step arrays in, if one runs
 * (cman_sim_run and cman_sim_free do, before the arrays may go). */
void sim_prefault_join(struct cman_sim *sim);
/*
 * End instance id at now; by_ec2: interrupted by the simulated EC2.  A spot
 * instance whose bid is not above its market's price now is outbid and gets
 * the outbid refund (README "Billing rules") however it ended; in aws
 * billing only an outbid instance interrupted by EC2 is refunded.
 */
void sim_finish_instance(struct cman_sim *sim, uint32_t id, bool by_ec2);

/* timeseries.csv's thread (output.c): rows whose step advance() recorded
 * and every ledger closed are final (sim_ts_publish, by the loop); stop it
 * where it is and remove its file (sim_ts_stop; safe without one). */
void sim_ts_publish(struct cman_sim *sim);
void sim_ts_stop(struct cman_sim *sim);

/* Markets: the index of (type, az), checked and created on first sight. */
int market_intern(struct cman_sim *sim, const char *type, const char *az,
		  const char *where, uint32_t *out, struct cman_error *err);

/* The simulated connector and clock (connector.c); new() after the groups
 * are set up. */
int sim_connector_new(struct cman_sim *sim, struct cman_error *err);
void sim_connector_free(struct cman_sim *sim);
/* Autoscaler mode: instance id's agent joined / id is about to end (before
 * its end is set); sim_connector_run_done(): the autoscaler run is over. */
void sim_connector_joined(struct cman_sim *sim, uint32_t id);
void sim_connector_ending(struct cman_sim *sim, uint32_t id);
void sim_connector_run_done(struct cman_sim *sim);

/*
 * What the simulated groups (groups.c) need of the simulation: sim.c gives
 * them its instance and market bookkeeping through this table, so that
 * groups.c calls no function of sim.c and the modules depend one way
 * (sim.c -> groups.c), as the billing engine does with its callbacks.
 */
struct sim_group_host {
	int (*launch)(struct cman_sim *sim, uint32_t market, uint32_t group, uint32_t spec,
		      bool spot, double bid, double weight, bool immediate, uint32_t *id,
		      struct cman_error *err);                   /* sim_launch */
	void (*finish)(struct cman_sim *sim, uint32_t id, bool by_ec2);  /* sim_finish_instance */
	int (*market)(struct cman_sim *sim, const char *type, const char *az,
		      const char *where, uint32_t *out, struct cman_error *err);  /* market_intern */
};

/* Groups (groups.c); host is borrowed and outlives the groups. */
int sim_groups_init(struct cman_sim *sim, const struct sim_group_host *host,
		    struct cman_error *err);
void sim_groups_release(struct cman_sim *sim);
/* Launch up to the group's target in the markets its strategy picks. */
int sim_group_fill(struct sim_group *g, bool immediate, struct cman_error *err);
/* A group's instance ended (terminated or interrupted): forget it. */
void sim_group_forget(struct sim_group *g, uint32_t id);
/* A group's instance's agent joined. */
void sim_group_joined(struct sim_group *g, uint32_t id);
/* A market's price changed: give notice to outbid spot instances. */
int sim_groups_price_changed(struct cman_sim *sim, uint32_t market, struct cman_error *err);
/* The end of a notice: interrupt, then refill. */
int sim_groups_interrupt(struct cman_sim *sim, uint32_t group, uint32_t spec,
			 struct cman_error *err);
/* EV_REPLENISH: a group below its target tries again. */
int sim_groups_replenish(struct cman_sim *sim, uint32_t group, struct cman_error *err);
/* The end of the run: close every group's open shortfall (warnings). */
int sim_groups_finish(struct cman_sim *sim, struct cman_error *err);

/*
 * Data coverage and starvation (check.c).  sim_series_for(): the series
 * (kind, key) of a feed, made on first sight.  sim_check_setup(): after the
 * feeds are open, add the series the policy needs (the signal's required
 * metrics, read here when no feed streams them) and mark them needed.
 * sim_check_sample(): a feed's sample.  sim_check_needed(): after position()
 * read every feed's first sample: a needed series without a sample at or
 * before the end is CMAN_EINVAL naming it and the stores searched.
 * sim_check_interval(): the state held over [sim->last_t, t) (call before
 * the time moves on).  sim_check_finish(): at the end; coverage and
 * starvation warnings, the coverage table on the log.  sim_check_json():
 * the summary's "coverage" and "starvation" objects; a value that cannot be
 * stored is recorded in j (cman/jsonout.h), never dropped silently.
 */
int sim_series_for(struct cman_sim *sim, enum cman_metric_kind kind, const char *key,
		   const char *label, uint32_t market, uint32_t *out, struct cman_error *err);
int sim_check_setup(struct cman_sim *sim, struct cman_error *err);
static inline void sim_check_sample(struct cman_sim *sim, const struct feed *f)
{
	cman_coverage_sample(&sim->series[f->series].cov, f->s.t);
}
int sim_check_needed(struct cman_sim *sim, struct cman_error *err);
void sim_check_interval(struct cman_sim *sim, int64_t t);
int sim_check_finish(struct cman_sim *sim, struct cman_error *err);
struct json_t;
struct cman_jout;
void sim_check_json(const struct cman_sim *sim, struct json_t *summary, struct cman_jout *j);

/* The autoscaler's period, seconds. */
int64_t autoscale_period_of(const struct cman_sim *sim);

/* Add a warning (printf-style; warn.c); fails only on ENOMEM. */
int sim_warn(struct cman_sim *sim, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* output.c: from how many steps cman_sim_reports_start() splits the
 * reports' work over two threads, from how many it starts a thread at all,
 * and whether it looks at the CPUs the process may use (the tests lower
 * them and start threads on one CPU too). */
extern size_t sim_report_split_steps, sim_report_thread_steps;
extern bool sim_report_check_cpus;

/* output.c: free what cman_sim_keep_tables() made (cman_sim_free). */
void sim_tables_free(struct cman_sim *sim);

#endif
