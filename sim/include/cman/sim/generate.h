/*
 * generate.h - synthetic recorded metrics from a YAML spec
 * (`clusterman-sim generate`), exporters of a store to the metrics CSV
 * layout and to Clusterman's gzipped JSON, and the command-line hooks of
 * generate, fit-prices and import's extra formats (sim/src/gen_cli.c).
 *
 * Spec (README "Synthetic data and real-data import" has the full
 * reference and examples):
 *
 *     seed: 42
 *     start_time: 2016-03-01T00:00:00Z
 *     end_time: 2016-03-08T00:00:00Z
 *     cluster: example            # for pool keys (metric: NAME)
 *     pool: batch
 *     scheduler: mesos            # default mesos
 *     sources:                    # recorded data that series may read
 *       NAME: {sqlite|clusterman_json|csv|aws_spot_json|aws_spot_csv|
 *              timeseries_csv: FILE, ...options}
 *     series:
 *       - name: NAME              # unique; names the series' random streams
 *         metric: cpus_allocated  # or key: "name|dims"; kind: ...
 *         times: {every: S} | {exponential: {mean_seconds: S}}
 *                | {uniform: {min_seconds: A, max_seconds: B}}
 *         value: {uniform: {min, max}} | {int_uniform: {min, max}}
 *                | {normal: {mean, stdev}} | {lognormal: {mu, sigma}}
 *                | {constant: V}
 *                | {affine: {source: S, key: K, kind: K, a: A, b: B}}
 *                | {affine: {series: NAME, a: A, b: B}}
 *         shape: {daily: {amplitude, peak_hour}, weekly: [7 factors, Mon..Sun]
 *                 | weekend: F, noise: SD}
 *         min: X, max: Y, round: STEP
 *       - name: NAME
 *         spot_price: {market: "<type, az>", mu, theta, sigma, jump_rate,
 *                      jump_log_mean, jump_log_stdev, floor, ceiling, start,
 *                      tick, dt_seconds, heartbeat_hours,
 *                      spike_rate, spikes: [[hours, level], ...]}
 *       - name: NAME
 *         capacity_follows_load: {load: NAME | {source, key, kind}, setpoint,
 *                      every, markets: ["<type, az>" | {market, share}],
 *                      cpus_per_weight, min_instances, target_metric}
 *       - name: NAME
 *         copy: {source: S, kind: K, key: K}   # kind/key optional: all
 *
 * Unknown keys are errors (CMAN_EINVAL "FILE:LINE:COL: ...").  Randomness:
 * every series draws from its own GSL streams "<name>/times",
 * "<name>/values", "<name>/noise", "<name>/price" and "<name>/spikes" (the
 * spike regime of a price model, only when it has one) under the spec's seed
 * (cman_rng_stream), so editing one series never changes another.
 */
#ifndef CMAN_SIM_GENERATE_H
#define CMAN_SIM_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"
#include "cman/import.h"
#include "cman/store.h"

struct cman_gen_spec;

/*
 * Load and validate a spec; the sources it names are loaded too (paths
 * relative to the spec file).  Markets are checked against the built-in
 * catalog.  Caller frees with cman_gen_spec_free().
 */
int cman_gen_spec_load(const char *path, struct cman_gen_spec **out,
		       struct cman_error *err);
void cman_gen_spec_free(struct cman_gen_spec *spec);   /* NULL is fine */

/* Override the spec's seed (the command line's --seed). */
void cman_gen_spec_set_seed(struct cman_gen_spec *spec, uint64_t seed);

/*
 * Generate every series, in the spec's order, into dst (which must allow
 * reading a series back while writing others: an in-memory store, or a
 * SQLite store).  Does not begin/commit.  *stats (may be NULL) receives the
 * series and samples written.  The same spec and seed give the same
 * samples.
 */
int cman_gen_run(const struct cman_gen_spec *spec, struct cman_store *dst,
		 struct cman_import_stats *stats, struct cman_error *err);

/*
 * Write every series of src to path: the metrics CSV layout (epoch-second
 * timestamps, kinds in the order system_metrics, app_metrics, metadata,
 * keys in byte order), or Clusterman's gzipped JSON ({"<kind>": {"<key>":
 * [["<ISO time>", value or {"<type, az>": v}], ...]}}).  Numbers are
 * written in their shortest round-trip form.  The file appears complete or
 * not at all (written beside it and renamed).
 */
int cman_metrics_write_csv(struct cman_store *src, const char *path,
			   struct cman_error *err);
int cman_metrics_write_json(struct cman_store *src, const char *path,
			    struct cman_error *err);

/* ---- command line (sim/src/gen_cli.c) ---- */

/* `clusterman-sim generate ...` and `clusterman-sim fit-prices ...`;
 * argv[0] is the first argument after the command.  Return the exit status. */
int cman_generate_main(int argc, char **argv);
int cman_fit_prices_main(int argc, char **argv);

/* Extra options of `clusterman-sim import`: --format and the time-series
 * options. */
struct cman_import_cli {
	enum cman_import_format fmt;
	struct cman_timeseries_opts ts;
	const char *product;
	char key[512];
	const char *metric, *cluster, *pool, *scheduler;
};

void cman_import_cli_init(struct cman_import_cli *c);

/* If argv[i] is one of these options, consume it (and its value): returns
 * the number of arguments used (1 or 2), 0 when argv[i] is not one of
 * them, or -1 after printing a usage error to stderr (exit status 2). */
int cman_import_cli_option(struct cman_import_cli *c, int argc, char **argv, int i);

/* Import one file with the chosen format (cman_import_any). */
int cman_import_cli_file(struct cman_import_cli *c, const char *path,
			 struct cman_store *dst, const struct cman_catalog *cat,
			 struct cman_import_stats *stats, struct cman_error *err);

/* Usage lines of the extra options (for import's --help). */
extern const char cman_import_cli_usage[];

#endif
