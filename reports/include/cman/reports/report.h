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

#endif
