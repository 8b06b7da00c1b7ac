/*
 * report.h - the reports of a run directory (README "Reports").
 *
 * Reports are built from the files of a run directory only (summary.json,
 * timeseries.csv, and markets.csv, instances.csv, decisions.jsonl when
 * present), so `clusterman-sim report RUN_DIR` and the end of
 * `clusterman-sim run` give the same files.  The same run directory always
 * gives byte-identical reports (no wall-clock time, no paths in them).
 */
#ifndef CMAN_REPORTS_REPORT_H
#define CMAN_REPORTS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"

#define CMAN_REPORT_CSV  1u   /* daily.csv */
#define CMAN_REPORT_HTML 2u   /* report.html */

/*
 * Write the reports chosen by `what` (CMAN_REPORT_CSV | CMAN_REPORT_HTML)
 * into run_dir, each under a temporary name renamed into place.  Fails with
 * CMAN_EINVAL (message "FILE:LINE:COL: ...") when a file of the run is
 * missing or malformed, CMAN_EIO when writing fails, CMAN_ENOMEM.  Nothing
 * is written when loading the run fails.  what == 0 only checks that the
 * run directory loads.
 */
int cman_report_write(const char *run_dir, unsigned what, struct cman_error *err);

/*
 * The same, reading the run from src_dir and writing the reports into
 * run_dir (a staging copy of src_dir, see cman/runfiles.h), whose
 * manifest.json then lists them.  Messages name src_dir's files.
 */
int cman_report_write_to(const char *src_dir, const char *run_dir, unsigned what,
			 struct cman_error *err);

/*
 * The tables of a run just written, handed over from memory (issue 12.1):
 * `clusterman-sim run` builds its reports from them instead of parsing the
 * CSV files it has just written.  Each number must be the value its file
 * holds (cman_csv_round() of the number written: the reports are then the
 * bytes `clusterman-sim report` makes from the files).  The other files
 * (summary.json, decisions.jsonl, scenario.yaml, manifest.json) are read.
 * Arrays are malloc'd; the report takes them (frees them) in every case.
 */
struct cman_report_tables {
	/* timeseries.csv: n rows; col[k] per number column in the file's
	 * order: cpus, cpus_allocated, unused_cpus, cost, unused_cpus_cost,
	 * cost_per_cpu, oversubscribed, target_capacity, fulfilled_capacity */
	size_t n;
	double *col[9];
	/* mem, disk, gpus ([1..3]; [0] unused): the columns <r>,
	 * <r>_allocated, unused_<r>_cost, oversubscribed_<r>; NULL when the
	 * resource has no data (its cells are empty) */
	double *rcol[4][4];
	unsigned char *binding;      /* binding_resource: 0..3 (cpus, mem, disk,
					gpus), 4 for none */
	/* markets.csv: the markets of its rows in the order they first
	 * appear, n_mt times from mt_start every mt_step; cells
	 * [k * n_markets + m], NaN where the file has no row */
	size_t n_markets, n_mt;
	int64_t mt_start, mt_step;
	char **market_names;
	long long *launched;         /* instances.csv's rows of each market */
	double *m_inst, *m_cost, *m_price;
};

/* Free what the tables hold (the report does it itself). */
void cman_report_tables_release(struct cman_report_tables *t);

/*
 * cman_report_write into run_dir, with the tables from memory (taken
 * whatever happens).  The files it reads must belong to the run as for
 * cman_report_write (manifest.json is checked).
 */
int cman_report_write_tables(const char *run_dir, struct cman_report_tables *t,
			     unsigned what, struct cman_error *err);

/*
 * The reports of `clusterman-sim run` in two steps (issue 12), so that their
 * heavy part runs while the run's files are written:
 *
 * cman_report_prepare() makes, from the tables (taken whatever happens) and
 * the run's window (start, end, step: the scenario's), the charts over
 * time, the heatmaps and daily.csv's text in memory; it reads no file and
 * shares nothing with other threads, so it may run beside
 * cman_sim_write_outputs().  With split, the parts are shared with a second
 * thread (for long runs: a thread costs about as much as a week's parts).
 * *out is NULL after a failure: CMAN_EINTERNAL when the tables do not fit
 * the window, CMAN_ENOMEM.
 *
 * cman_report_write_prepared() then writes the reports of run_dir like
 * cman_report_write_tables() (reading summary.json, the manifest,
 * decisions.jsonl, scenario.yaml); the bytes are those of
 * cman_report_write_tables().  It frees p in every case.
 */
struct cman_report_prep;
int cman_report_prepare(struct cman_report_prep **out, struct cman_report_tables *t,
			int64_t start, int64_t end, int64_t step, unsigned what, bool split,
			struct cman_error *err);
int cman_report_write_prepared(const char *run_dir, struct cman_report_prep *p,
			       struct cman_error *err);
/* Free p without writing (NULL is fine). */
void cman_report_prep_free(struct cman_report_prep *p);

#endif
