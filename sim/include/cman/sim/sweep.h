/*
 * sweep.h - parameter sweeps: many runs of one scenario over a grid of
 * --set overrides, several seeds each, summarized per grid point.
 *
 * A grid is the cross product of axes, each a scenario key with a list of
 * values ("--grid simulation.discount=0.5,0.8,1"); points are numbered in
 * grid order: the first axis varies slowest, the last fastest.  Replica r of
 * every point runs with seed (scenario seed + r), so all points see the same
 * random numbers (common random numbers) and their differences are not
 * noise.  Each finished run's totals go to a journal (one JSON line each,
 * appended and synced), from which an interrupted sweep resumes and from
 * which sweep.csv and sweep.html are written at the end.
 *
 * Ownership: the grid owns its strings; results and summaries are plain
 * arrays owned by their struct.  The command itself (workers, progress,
 * signals, MPI) is cman_sweep_main() in sweep_cli.c.
 */
#ifndef CMAN_SIM_SWEEP_H
#define CMAN_SIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"

/* The totals kept per run, in sweep.csv's column order. */
enum cman_sweep_metric {
	CMAN_SWEEP_COST,            /* total_cost, dollars */
	CMAN_SWEEP_UNUSED_COST,     /* unused_cpus_cost, dollars */
	CMAN_SWEEP_OVERSUB,         /* oversubscribed_cpu_hours */
	CMAN_SWEEP_INTERRUPTIONS,   /* instances_interrupted */
	/* every resource (issue 8.3) */
	CMAN_SWEEP_SHORTFALL,       /* shortfall_share: the largest share of any
				     * resource's demand beyond capacity */
	CMAN_SWEEP_OVERSUB_MEM,     /* oversubscribed_mem_hours (MiB-hours; 0 without data) */
	CMAN_SWEEP_OVERSUB_DISK,    /* oversubscribed_disk_hours (MiB-hours) */
	CMAN_SWEEP_OVERSUB_GPU,     /* oversubscribed_gpu_hours */
	CMAN_SWEEP_N_METRICS
};

/* Column stems of the metrics: "cost", "unused_cost",
   "oversubscribed_cpu_hours", "interruptions", "shortfall_share",
   "oversubscribed_mem_hours", "oversubscribed_disk_hours",
   "oversubscribed_gpu_hours". */
extern const char *const cman_sweep_metric_names[CMAN_SWEEP_N_METRICS];

/* Upper bound on points x replicas of one sweep. */
#define CMAN_SWEEP_MAX_RUNS 10000000u

struct cman_sweep_axis {
	char *key;                  /* dotted scenario key */
	char **sets;                /* n_values "KEY=VALUE" strings */
	const char **values;        /* the VALUE parts (inside sets) */
	size_t n_values;
};

struct cman_sweep_grid {
	struct cman_sweep_axis *axes;
	size_t n_axes;
};

/* One run's totals. */
struct cman_sweep_run {
	double v[CMAN_SWEEP_N_METRICS];
};

/* Every run of a sweep: runs[point * n_replicas + replica]. */
struct cman_sweep_results {
	size_t n_points, n_replicas;
	struct cman_sweep_run *runs;
	unsigned char *done;        /* 1 where runs[] holds a finished run */
	size_t n_done;
};

/* Statistics of one metric over a point's replicas. */
struct cman_sweep_stats {
	double mean;
	double ci_low, ci_high;     /* t-based 95% CI of the mean (= mean when n is 1) */
	double p5, p50, p95;        /* percentiles (linear interpolation) */
};

struct cman_sweep_summary {
	struct cman_sweep_stats m[CMAN_SWEEP_N_METRICS];
	bool pareto;                /* not dominated in (shortfall share, cost) */
};

/* An open journal (append-only). */
struct cman_sweep_journal {
	int fd;                     /* -1 when closed */
	char path[4096];
};

/* An empty grid (one point: the scenario as it is). */
void cman_sweep_grid_init(struct cman_sweep_grid *g);

/* Free the grid's strings and reset it (safe twice). */
void cman_sweep_grid_release(struct cman_sweep_grid *g);

/*
 * Add the axis "KEY=V1,V2,...".  Values are split at commas outside
 * brackets, braces and quotes ("simulation.join_delay={mean_seconds: 60,
 * stdev_seconds: 0},{mean_seconds: 300, stdev_seconds: 60}" has two) and
 * trimmed of surrounding blanks.  CMAN_EINVAL naming "--grid KEY" for: no
 * '=', an empty key, no values or an empty value, a duplicate value, a key
 * already in the grid, the key "seed" (use replicas), or a grid of more
 * than CMAN_SWEEP_MAX_RUNS points.
 */
int cman_sweep_grid_add(struct cman_sweep_grid *g, const char *spec,
			struct cman_error *err);

/* Number of points: the product of the axes' sizes (1 without axes). */
size_t cman_sweep_grid_points(const struct cman_sweep_grid *g);

/*
 * The "KEY=VALUE" overrides of a point (< cman_sweep_grid_points) into
 * sets[0..n_axes); the strings are owned by g.  value_index (may be NULL)
 * receives each axis' value index.
 */
void cman_sweep_point_sets(const struct cman_sweep_grid *g, size_t point,
			   const char **sets, size_t *value_index);

/*
 * A loader message about a grid point made to name the grid: a message
 * starting with "--set KEY" for a KEY of the grid gets "--grid KEY"
 * instead.  msg is rewritten in place (at most size bytes).
 */
void cman_sweep_rename_set(const struct cman_sweep_grid *g, char *msg, size_t size);

/* Room for n_points x n_replicas runs, none done. */
int cman_sweep_results_init(struct cman_sweep_results *r, size_t n_points,
			    size_t n_replicas, struct cman_error *err);
void cman_sweep_results_release(struct cman_sweep_results *r);

/* Record a run (again: the last one wins; n_done counts distinct runs). */
void cman_sweep_results_put(struct cman_sweep_results *r, size_t point, size_t replica,
			    const struct cman_sweep_run *run);

/*
 * Statistics of x[0..n) (n >= 1; x is not changed): mean, 95% CI of the
 * mean with Student's t (n - 1 degrees of freedom; half-width 0 when n is
 * 1), 5th/50th/95th percentiles.  CMAN_EINVAL for n = 0 or a value that is
 * not finite; CMAN_ENOMEM.
 */
int cman_sweep_stats_compute(const double *x, size_t n, struct cman_sweep_stats *out,
			     struct cman_error *err);

/*
 * front[i] = no j has x[j] <= x[i] and y[j] <= y[i] with one of them
 * strictly smaller (both objectives minimized; equal points are all on the
 * front).
 */
void cman_sweep_pareto(const double *x, const double *y, size_t n, bool *front);

/*
 * Summaries of every point of r (all runs must be done) into
 * out[0..n_points): per-metric statistics, and the Pareto front of
 * (mean shortfall share, mean cost): the shortfall of whichever resource
 * falls shortest, so a memory-bound pool is judged by its memory.
 */
int cman_sweep_summarize(const struct cman_sweep_results *r, struct cman_sweep_summary *out,
			 struct cman_error *err);

/*
 * 64-bit FNV-1a of a file's bytes (identifies the scenario in the
 * journal).  CMAN_EIO when it cannot be read.
 */
int cman_sweep_file_hash(const char *path, uint64_t *hash, struct cman_error *err);

/*
 * Open or create the journal at path for a sweep identified by
 * scenario_hash and the fixed overrides sets[0..n_sets) (recorded in its
 * first line).  An existing journal of another sweep (other hash or
 * overrides) is CMAN_EINVAL naming it.  Every finished run recorded in it
 * whose overrides and seed are those of a point of g and replica
 * (seed - seed0 < r->n_replicas) is put into r; lines of other grids are
 * kept and ignored; a torn last line (no newline: an interrupted write) is
 * cut off the file.  *n_loaded (may be NULL) receives the number of runs
 * put into r.  On failure j is closed.
 */
int cman_sweep_journal_open(struct cman_sweep_journal *j, const char *path,
			    uint64_t scenario_hash, const char *const *sets, size_t n_sets,
			    const struct cman_sweep_grid *g, uint64_t seed0,
			    struct cman_sweep_results *r, size_t *n_loaded,
			    struct cman_error *err);

/*
 * Append one finished run (its point's overrides, its seed, its totals with
 * every digit) as one line with a single write, then fdatasync it.
 */
int cman_sweep_journal_append(struct cman_sweep_journal *j, const struct cman_sweep_grid *g,
			      size_t point, uint64_t seed, const struct cman_sweep_run *run,
			      struct cman_error *err);

/* Close the journal (safe twice). */
void cman_sweep_journal_close(struct cman_sweep_journal *j);

/*
 * Write sweep.csv to path (temporary file renamed into place): one row per
 * point in grid order: the axes' values (columns named by their keys),
 * replicas, then for cost, unused_cost, oversubscribed_cpu_hours and
 * interruptions, then shortfall_share and oversubscribed_{mem,disk,gpu}_hours: <m>_mean, <m>_ci95_low, <m>_ci95_high, <m>_p5, <m>_p50,
 * <m>_p95; then pareto (1 on the front, else 0).  Numbers as
 * cman_csv_number writes them, so equal runs give identical bytes.
 */
int cman_sweep_write_csv(const char *path, const struct cman_sweep_grid *g,
			 const struct cman_sweep_results *r,
			 const struct cman_sweep_summary *s, struct cman_error *err);

/*
 * Write sweep.html to path (temporary file renamed into place): one
 * self-contained page (inline CSS and SVG, no script, no network) titled
 * after title: the cost vs under-provisioning chart (x: mean oversubscribed
 * CPU-hours, y: mean cost, one dot per point with 95% CI error bars, the
 * Pareto front marked and joined) and a table of every point.  first_seed is
 * the seed of replica 0.  The same inputs give identical bytes.
 */
int cman_sweep_write_html(const char *path, const char *title, const struct cman_sweep_grid *g,
			  const struct cman_sweep_results *r,
			  const struct cman_sweep_summary *s, uint64_t first_seed,
			  struct cman_error *err);

/*
 * The sweep command: clusterman-sim sweep SCENARIO.yaml --grid ... (argv
 * without "clusterman-sim sweep").  Returns the process exit status: 0, 2
 * for bad usage or input, 1 for other failures, 130 when interrupted.
 */
int cman_sweep_main(int argc, char **argv);

#endif
