/*
 * scenario.h - a simulation scenario (INTERFACE.md "Scenario file"), loaded
 * from YAML, overridden with --set, validated.
 */
#ifndef CMAN_SIM_SCENARIO_H
#define CMAN_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"
#include "cman/metrics.h"
#include "cman/poolcfg.h"

enum cman_source_type {
	CMAN_SRC_CLUSTERMAN_JSON,
	CMAN_SRC_SQLITE,
	CMAN_SRC_CSV,
	CMAN_SRC_GENERATE,          /* a generate spec, run with the scenario's seed */
	CMAN_SRC_STORE_URI,         /* a store named by URI, e.g. dynamodb://PREFIX */
};

struct cman_metrics_source {
	enum cman_source_type type;
	char *path;                 /* resolved against the scenario's folder; for
				       CMAN_SRC_STORE_URI the store's URI */
};

enum cman_billing_mode {
	CMAN_BILL_PER_SECOND,
	CMAN_BILL_PER_HOUR,
	CMAN_BILL_AWS,              /* per-second, 60 s minimum, free interrupted
				       first hour, per-hour for hourly types */
};

enum cman_alloc_strategy {
	CMAN_ALLOC_DIVERSIFIED,
	CMAN_ALLOC_LOWEST_PRICE,
	CMAN_ALLOC_CAPACITY_OPTIMIZED,
	CMAN_ALLOC_PRICE_CAPACITY_OPTIMIZED,
};

struct cman_launch_spec {
	char instance_type[CMAN_TYPE_MAX];
	char az[CMAN_AZ_MAX];
	double spot_price;          /* bid per unit of weight: spot fleets, its own
	                               SpotPrice or else the fleet's (always > 0
	                               after loading); ASGs: -1 (on demand) */
	double weight;              /* WeightedCapacity, > 0, default 1 */
	/* "FILE:LINE:COL: <key path>" of the instance type and of the zone
	   ("--set KEY: <key path>" from an override), for messages */
	char where_type[320], where_az[320];
};

enum cman_rg_type { CMAN_RG_SPOT_FLEET, CMAN_RG_ASG };

struct cman_rg_spec {
	enum cman_rg_type type;
	char *id;                   /* "id" key, default "<type>-<index>" */
	/* spot fleet */
	enum cman_alloc_strategy strategy;
	double spot_price;          /* fleet-level SpotPrice; <0 when absent */
	struct cman_launch_spec *specs;
	size_t n_specs;
	/* both */
	double target_capacity;     /* TargetCapacity / DesiredCapacity; <0 absent */
	/* auto scaling group (uses specs[0..n_specs) for its AZs, one type);
	   spot fleets get 0 and INFINITY */
	double min_size, max_size;
};

/* prices.on_demand: one (type, region) priced by the scenario. */
struct cman_od_price {
	char instance_type[CMAN_TYPE_MAX];
	char region[CMAN_AZ_MAX];
	double usd_per_hour;        /* > 0 */
};

struct cman_scenario {
	char *path;                 /* as given */
	char *dir;                  /* folder of the scenario file */
	char *name, *cluster, *pool, *scheduler;
	int64_t start_time, end_time;
	uint64_t seed;
	struct cman_metrics_source *sources;
	size_t n_sources;
	/* simulation */
	enum cman_billing_mode billing;
	bool refund_outbid;
	double discount;
	double cpus_per_weight;
	double join_delay_mean, join_delay_stdev;   /* seconds */
	int64_t step_seconds;
	bool spot_interruptions;
	double ebs_volume_gb;       /* disk of types without local disk */
	char **hourly_types;        /* billing aws: types billed per hour */
	size_t n_hourly_types;
	/* simulation.coverage (README "Data coverage"): a sample covers
	   stale_after seconds (spot prices: price_stale_after) */
	int64_t cov_stale_after, cov_price_stale_after;
	double cov_warn_fraction;   /* warn when a larger share is not covered */
	int64_t cov_max_gaps;       /* gaps listed per series */
	/* simulation.starvation: warn about shortfall (fulfilled below
	   (1 - shortfall) x target) or oversubscription (above oversub x
	   allocated) lasting at least starve_after seconds */
	int64_t starve_after;
	double starve_shortfall, starve_oversub;
	/* autoscaler */
	bool has_pool_config;
	struct cman_pool_config pool_config;
	bool has_initial_target;
	double initial_target_capacity;
	struct cman_rg_spec *groups;
	size_t n_groups;
	/* prices */
	char *price_table;          /* prices.table; NULL: the catalog's table
				       nearest start_time */
	struct cman_od_price *od_prices;   /* prices.on_demand */
	size_t n_od_prices;
	/* output */
	char *output_dir;           /* output.dir resolved against the scenario's
				       folder; default out/<name> (working dir) */
	bool report_csv, report_html;
	/* what the run is: the merged tree after --set, written back as YAML
	 * without output.dir, and its FNV-1a 64 (hash_hex: the top 48 bits) */
	char *effective_yaml;
	uint64_t hash;
	char hash_hex[13];
};

/*
 * Load path, apply the "KEY=VALUE" overrides in order (cman_node_set_path),
 * then validate the merged tree.  Every problem is CMAN_EINVAL with
 * "FILE:LINE:COL: <key path>: <what is wrong>, expected <what>" (or
 * "--set KEY: ..." for values that came from an override; "FILE: missing
 * required key 'k'" and "FILE: empty scenario ..." carry no position).
 * Unknown keys are errors at every level.  A mapping-valued key written
 * with an empty value (simulation:, pool_config:, output:, join_delay:,
 * resource_groups:) counts as absent.  Defaults: scheduler mesos, seed 0,
 * billing per-second, refund_outbid true, discount 1, cpus_per_weight 1,
 * join_delay 0/0, step_seconds 60, spot_interruptions true, ebs_volume_gb 0,
 * coverage {stale_after_seconds 3600, price_stale_after_seconds 86400,
 * warn_fraction 0.01, max_gaps 5}, starvation {after_seconds 3600,
 * shortfall_fraction 0.2, oversubscribed_fraction 0},
 * output dir "out/<name>" (relative to the working directory; an output.dir
 * given in the file or by --set is relative to the scenario's folder),
 * reports csv and html.  Group ids default to
 * "spot_fleet-<i>" / "auto_scaling_group-<i>" (i: index in the list).
 * Instance types and zones are not checked against the catalog here.
 * An unreadable file is CMAN_EIO.  On failure *sc is released (and safe to
 * release again).
 */
int cman_scenario_load(const char *path, const char *const *sets, size_t n_sets,
		       struct cman_scenario *sc, struct cman_error *err);

/* Free everything sc owns and reset it to the defaults (safe twice). */
void cman_scenario_release(struct cman_scenario *sc);

#endif
