/*
 * sim.h - one simulation run (SPEC §3): replay of recorded metrics through
 * the event queue, instances with join delays, billing, and every series.
 *
 * Life cycle: cman_sim_new() opens and checks the metrics sources (nothing
 * is written), cman_sim_run() processes the events, cman_sim_write_outputs()
 * writes the run directory, cman_sim_free() releases everything.
 */
#ifndef CMAN_SIM_SIM_H
#define CMAN_SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cman/catalog.h"
#include "cman/err.h"
#include "cman/sim/scenario.h"

struct cman_sim;

/* Results a caller may want without parsing the outputs. */
struct cman_sim_totals {
	double total_cost;
	double unused_cpus_cost;
	double mean_cpus;
	double mean_cpus_allocated;
	double oversubscribed_cpu_hours;
	double running_cpu_hours;
	double peak_cpus;
	uint64_t instances_launched;
	uint64_t instances_terminated;
	uint64_t instances_interrupted;
	uint64_t autoscaler_runs;
	uint64_t events_processed;
	size_t n_warnings;
	/*
	 * Every resource (issue 8.3), indexed by enum cman_resource (cpus, mem,
	 * disk, gpus; memory and disk in MiB).  has_data: the resource's
	 * <res>_allocated series is recorded (CPUs: always true); the other
	 * fields are 0 for a resource without data.  The [CMAN_RES_CPUS]
	 * entries repeat the CPU totals above.
	 */
	bool has_data[CMAN_RES_COUNT];
	double mean_capacity[CMAN_RES_COUNT];          /* joined, time-weighted */
	double mean_allocated[CMAN_RES_COUNT];
	double running_hours[CMAN_RES_COUNT];        /* running capacity x hours */
	double unused_cost[CMAN_RES_COUNT];          /* dollars x unused share of the resource */
	double oversubscribed_hours[CMAN_RES_COUNT];  /* allocated beyond running, x hours */
	double oversubscribed_share[CMAN_RES_COUNT];  /* oversubscribed / allocated (x hours) */
	double binding_share[CMAN_RES_COUNT + 1];         /* share of the run each resource was
					   * binding; [4]: none (nothing allocated) */
	double shortfall_share;           /* the largest oversubscribed_share */
};

/*
 * Prepare a run of sc (which must outlive the sim): open the metrics sources
 * (Clusterman JSON and CSV files are loaded into memory, SQLite databases are
 * streamed from), check that the pool's series exist.  Bad input is
 * CMAN_EINVAL naming the file.  log (may be NULL) receives progress lines.
 */
int cman_sim_new(const struct cman_scenario *sc, FILE *log,
		 struct cman_sim **out, struct cman_error *err);

/*
 * Metrics files kept loaded across the runs of one process (issue 12.4): a
 * sweep worker runs the same scenario hundreds of times, and parsing its
 * Clusterman JSON or CSV metrics was half of each run.  With a cache, the
 * first run of a file loads it into a memory store owned by the cache; the
 * later runs share that store (runs only read it).  A file is reused while
 * its path, device, inode, size and modification time are the same;
 * otherwise it is loaded again.  Sources made from the scenario itself
 * (generate specs, which depend on the seed) and streamed sources (SQLite,
 * store URIs) are never cached.  Not thread-safe: one cache per process or
 * thread.  The cache must outlive every sim given it.
 */
struct cman_sim_cache;

/* An empty cache; NULL when out of memory. */
struct cman_sim_cache *cman_sim_cache_new(void);
/* Free the cache and its stores (NULL is fine). */
void cman_sim_cache_free(struct cman_sim_cache *cache);
/* How many times a sim given the cache parsed a file (loaded, not reused). */
size_t cman_sim_cache_loads(const struct cman_sim_cache *cache);

/* cman_sim_new taking the files it loads from cache (NULL: no cache). */
int cman_sim_new_cached(const struct cman_scenario *sc, FILE *log,
			struct cman_sim_cache *cache, struct cman_sim **out,
			struct cman_error *err);

/* Run the simulation to its end. */
int cman_sim_run(struct cman_sim *sim, struct cman_error *err);

/* Totals of a finished run (owned by the sim). */
const struct cman_sim_totals *cman_sim_totals(const struct cman_sim *sim);

/*
 * Keep only what cman_sim_totals() reports: the run does not record the
 * autoscaler's decisions, and its per-step records are dropped as the run
 * goes (so cman_sim_write_outputs() and cman_sim_report_tables() fail with
 * CMAN_EINTERNAL).  For callers that never write a run directory, such as
 * sweeps, where formatting the decision log is half of an autoscaler run's
 * time.  Call before cman_sim_run().
 */
void cman_sim_totals_only(struct cman_sim *sim);
#define CMAN_SIM_HAVE_TOTALS_ONLY 1

/*
 * Nothing reads the run's per-step records after cman_sim_run() but the
 * writers of timeseries.csv (the report tables of cman_sim_keep_tables()
 * come from them): cman_sim_write_outputs() writes into the folder given
 * to cman_sim_write_start() (into another it fails with CMAN_EINTERNAL).
 * Then the records are kept in chunks of a few thousand steps that the
 * thread of cman_sim_write_start() gives back once it has written their
 * rows, so a long run needs a few of them, not tens of MB of fresh memory
 * (issue 12).  Without that thread (a short run, one CPU) they are kept
 * whole as before.  Call before cman_sim_run().
 */
void cman_sim_stream_steps(struct cman_sim *sim);

/*
 * Write the run's files into dir (created if missing; callers pass a fresh
 * staging folder, see cman/runfiles.h): timeseries.csv, instances.csv,
 * markets.csv (autoscaler mode: groups.csv, decisions.jsonl), scenario.yaml
 * (the effective scenario), summary.json with run_id and scenario_hash, and
 * manifest.json last.  The run id is the FNV-1a 64 of the scenario hash and
 * the data files' names and hashes.  wall_seconds goes into summary.json as
 * measured by the caller.
 */
int cman_sim_write_outputs(struct cman_sim *sim, const char *dir,
			   double wall_seconds, struct cman_error *err);

/*
 * Begin writing timeseries.csv into dir (created if missing; the folder
 * later given to cman_sim_write_outputs()) while the run goes: call after
 * cman_sim_new(), before cman_sim_run().  A thread formats each row (and
 * hashes and writes the file) once its step is final, so the 50 MB of a
 * year's run are mostly written when the loop ends (issue 12); the bytes
 * are the same.  cman_sim_write_outputs() waits for it and reports its
 * errors (a write error fails it as before); cman_sim_free() stops it and
 * removes the unfinished file, so free the sim before removing dir.  With
 * one CPU, or no thread to be had, nothing is started and the file is
 * written at the end as before.  An error here (dir or the file cannot
 * be made) leaves nothing started.
 */
int cman_sim_write_start(struct cman_sim *sim, const char *dir, struct cman_error *err);

/*
 * Keep the run's report tables: every writer of timeseries.csv (the thread
 * of cman_sim_write_start(), or cman_sim_write_outputs()) then puts each
 * number it formats into them too, as the file holds it, for
 * cman_sim_report_tables() and cman_sim_reports_start(), which need it
 * (issue 12: after the loop nothing reads the per-step records again for
 * the reports).  Call after cman_sim_new(), before cman_sim_write_start()
 * and cman_sim_run(); the columns (about 73 bytes a step) are allocated
 * when timeseries.csv is begun.  0, CMAN_EINTERNAL (the run has begun) or
 * CMAN_ENOMEM.
 */
int cman_sim_keep_tables(struct cman_sim *sim, struct cman_error *err);

/*
 * The tables of the files cman_sim_write_outputs() wrote (timeseries.csv,
 * markets.csv, instances.csv's launches per market), with every number as
 * the file holds it, into *t for cman_report_write_tables(): the run's
 * reports without parsing its files again (issue 12.1).  The timeseries'
 * columns are those cman_sim_keep_tables() kept, handed over: a second
 * call needs cman_sim_write_outputs() again.  Release with
 * cman_report_tables_release() (the report does).  0, CMAN_ENOMEM, or
 * CMAN_EINTERNAL when no tables were kept or timeseries.csv was not
 * written since they were last taken.
 */
struct cman_report_tables;
int cman_sim_report_tables(const struct cman_sim *sim, struct cman_report_tables *t,
			   struct cman_error *err);

/*
 * The run's reports (CMAN_REPORT_CSV | CMAN_REPORT_HTML of
 * cman/reports/report.h) made while cman_sim_write_outputs() writes the
 * files (issue 12): cman_sim_reports_start() after cman_sim_run() starts
 * making their tables, charts and daily.csv from the finished run's memory
 * on a thread of its own (short runs: nothing, finish makes them);
 * cman_sim_reports_finish() waits for it and writes the reports into dir,
 * which must hold the run's files (cman_sim_write_outputs() done), with the
 * bytes of cman_sim_report_tables() + cman_report_write_tables().  The sim
 * must stay alive and unchanged but for cman_sim_write_outputs() between
 * the two.  finish with dir NULL (the files failed) only waits and frees;
 * it frees r in every case and returns the first failure of the two
 * (CMAN_ENOMEM, CMAN_EIO, ...).  start fails with CMAN_EINTERNAL when the
 * run has not finished or kept no tables (cman_sim_keep_tables()),
 * CMAN_ENOMEM.  The thread takes the timeseries' tables once
 * cman_sim_write_outputs() has written timeseries.csv.
 */
struct cman_sim_reports;
int cman_sim_reports_start(const struct cman_sim *sim, unsigned what,
			   struct cman_sim_reports **out, struct cman_error *err);
int cman_sim_reports_finish(struct cman_sim_reports *r, const char *dir,
			    struct cman_error *err);

void cman_sim_free(struct cman_sim *sim);

#endif
