/*
 * rundir.h - a run directory loaded for reporting: summary.json,
 * timeseries.csv, and when present markets.csv, instances.csv and
 * decisions.jsonl (README "Run directory").  Reports are built from these
 * files only, so `clusterman-sim report` and the end of a run share one path.
 */
#ifndef CMAN_REPORTS_RUNDIR_H
#define CMAN_REPORTS_RUNDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"

/* The columns of timeseries.csv, in the order of its header. */
enum cman_ts_col {
	CMAN_TS_CPUS,
	CMAN_TS_ALLOCATED,
	CMAN_TS_UNUSED,
	CMAN_TS_COST,
	CMAN_TS_UNUSED_COST,
	CMAN_TS_COST_PER_CPU,
	CMAN_TS_OVERSUB,
	CMAN_TS_TARGET,
	CMAN_TS_FULFILLED,
	CMAN_TS_NCOLS
};

/* Column names as in timeseries.csv's header. */
extern const char *const cman_ts_names[CMAN_TS_NCOLS];

/*
 * The columns of each other resource in timeseries.csv (issue 8.3):
 * "<r>", "<r>_allocated", "unused_<r>_cost", "oversubscribed_<r>" for r in
 * mem, disk, gpus (README "Every resource").
 */
enum cman_rs_col {
	CMAN_RS_CAPACITY,
	CMAN_RS_ALLOCATED,
	CMAN_RS_UNUSED_COST,
	CMAN_RS_OVERSUB,
	CMAN_RS_NCOLS
};

/* Resources as in the run's files: cpus, mem, disk, gpus (enum cman_resource). */
#define CMAN_RD_NRES 4
/* binding[] for a row whose binding_resource is "none". */
#define CMAN_RD_NO_BINDING 4

/* One line of decisions.jsonl. */
struct cman_report_decision {
	int64_t time;
	char *signal;            /* "" when absent */
	double request[4];       /* cpus, mem, disk, gpus; NaN when null/absent */
	double current_target, new_target;
	char *group_targets;     /* "id=target, ..." in the file's order */
	size_t n_terminated;
	char *reason;            /* "" when absent */
};

/* One market of markets.csv. */
struct cman_rd_market {
	char *name;              /* "<c5.xlarge, us-west-2a>" */
	char *instance_type, *az;/* parsed from name ("" when it does not parse) */
	double cpus;             /* vCPUs of the type by the catalog, NaN if unknown */
	double cost;             /* summary.json cost_by_market, else markets.csv sum */
	long long launched;      /* instances.csv rows of the market (-1 unknown) */
};

struct cman_rundir {
	/* summary.json */
	char *name, *cluster, *pool, *scheduler, *mode, *billing;
	int64_t start, end, step;
	long long seed;
	bool refund_outbid;
	double discount;
	double total_cost, unused_cost, unused_share, cost_per_cpu_hour;
	double mean_cpus, peak_cpus, mean_allocated, running_cpu_hours, oversub_cpu_hours;
	long long launched, terminated, interrupted, running_at_end, autoscaler_runs, events;
	char **warnings;
	size_t n_warnings;
	void *summary;           /* the parsed summary.json (a json_t *) */

	/* timeseries.csv: n rows at start + i * step; NaN for empty fields */
	size_t n;
	double *col[CMAN_TS_NCOLS];
	/* the other resources' columns: rcol[r] for r = 1..3 (mem, disk,
	 * gpus; [0] unused) is set when the file has the columns and some
	 * value in them (has_res[r]); binding[i] is the row's binding resource
	 * (0..3, or CMAN_RD_NO_BINDING), NULL when the column is absent */
	bool has_res[CMAN_RD_NRES];
	double *rcol[CMAN_RD_NRES][CMAN_RS_NCOLS];
	unsigned char *binding;

	/* markets.csv (has_markets false when the file is absent): n_mt rows
	 * of time at mt_start + k * mt_step, values [k * n_markets + m], NaN
	 * where a market has no row at a time */
	bool has_markets;
	size_t n_markets, n_mt;
	struct cman_rd_market *markets;
	int64_t mt_start, mt_step;
	double *m_inst, *m_cost, *m_price;

	/* decisions.jsonl (has_decisions false when absent) */
	bool has_decisions;
	size_t n_decisions;
	struct cman_report_decision *dec;

	/* what the loader noticed (missing optional files, inconsistencies) */
	char **notes;
	size_t n_notes;

	/* which run: summary.json's run_id and scenario_hash ("" when absent,
	 * in run directories older than run ids), manifest.json's run id */
	char *run_id, *scenario_hash;
	char manifest_run_id[17];
	char *scenario_yaml;     /* scenario.yaml's text, NULL when absent */
	bool unchecked;          /* no manifest.json (a run older than run ids):
				    the files could not be checked */
	int dfd;                 /* the run directory, open while loaded */
};

/*
 * Load the run directory dir into rd (embedded; release with
 * cman_rundir_release, also after a failure).  summary.json and
 * timeseries.csv are required; markets.csv, instances.csv and
 * decisions.jsonl are read when present, all from the one folder opened
 * first.  The files must belong to one run: manifest.json's sizes and
 * hashes match (cman_manifest_check) and its run id is summary.json's
 * run_id; otherwise CMAN_EINVAL naming the file that does not belong.  A
 * folder without manifest.json and without run_id (older runs) loads with
 * unchecked set.  Bad content fails with
 * CMAN_EINVAL and "FILE:LINE:COL: what is wrong"; an unreadable or missing
 * required file with CMAN_EINVAL too (the input is wrong), other I/O
 * failures CMAN_EIO.
 */
int cman_rundir_load(struct cman_rundir *rd, const char *dir, struct cman_error *err);

/* The same with timeseries.csv, markets.csv and instances.csv's launches
 * from t (cman/reports/report.h), whose arrays rd takes in every case. */
struct cman_report_tables;
int cman_rundir_load_tables(struct cman_rundir *rd, const char *dir,
			    struct cman_report_tables *t, struct cman_error *err);

/*
 * cman_rundir_load_tables with the sum of the cost column (its check
 * against summary.json's total_cost) taken before by cman_rundir_cost_sum
 * of a view of the same tables (issue 12: the report threads take it, not
 * the run's thread once its files are written; a year's is a chain of
 * 525,600 additions).
 */
int cman_rundir_load_tables_summed(struct cman_rundir *rd, const char *dir,
				   struct cman_report_tables *t, double cost_sum,
				   struct cman_error *err);

/* The sum of rd's cost column (NaN left out), in the order of the steps. */
double cman_rundir_cost_sum(const struct cman_rundir *rd);
void cman_rundir_release(struct cman_rundir *rd);

/*
 * Point rd's timeseries (n, col, rcol, has_res, binding) at t's arrays,
 * which stay t's: what loading timeseries.csv makes of the file, for the
 * window rd->start, end, step.  CMAN_EINTERNAL when t's rows do not fill
 * that window or t lacks a column.
 */
int cman_rundir_view_tables(struct cman_rundir *rd, const struct cman_report_tables *t,
			    struct cman_error *err);

/*
 * The text of summary.json's top-level number `key` as summary.json writes
 * it (e.g. "3954.94767044", "607") into buf (size n); when the key is absent
 * or not a number, v formatted like "%.12g".  Returns buf.
 */
char *cman_rundir_summary_text(const struct cman_rundir *rd, const char *key, double v,
			       char *buf, size_t n);

/*
 * Parse a decimal number in [s, e) the way the run's CSV files write them
 * (optional sign, digits, point, exponent); an empty field is NaN.  Exact
 * (correctly rounded) for up to 19 significant digits and exponents within
 * ±22, strtod otherwise.  Returns 0, or -1 when the text is not a number.
 */
int cman_parse_number(const char *s, const char *e, double *out);

#endif
