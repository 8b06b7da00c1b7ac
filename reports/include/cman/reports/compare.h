/*
 * compare.h - comparing runs (`clusterman-sim compare`, README "Reports"):
 * a baseline and any number of candidates, series by series.
 */
#ifndef CMAN_REPORTS_COMPARE_H
#define CMAN_REPORTS_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cman/err.h"

enum cman_compare_op {
	CMAN_COMPARE_SUB,   /* series.csv: candidate - baseline */
	CMAN_COMPARE_DIV    /* series.csv: candidate / baseline (empty where baseline is 0) */
};

struct cman_compare_opts {
	enum cman_compare_op op;
	bool allow_different_windows;  /* else runs of different windows are refused */
	FILE *table;                   /* the settings that differ, as text (NULL: none) */
};

/*
 * Compare the runs in run_dirs[0..n) (n >= 2; the first is the baseline)
 * and write into out_dir (created if needed): compare.html (headline table
 * with absolute and relative differences, overlaid charts), compare.csv (the
 * headline table) and series.csv (each candidate's series combined with the
 * baseline's by opts->op, step by step) and settings.csv (the settings of
 * the runs' scenario.yaml that differ: one row per dotted key, one column
 * per run).  Series and columns are labelled by the settings that differ
 * ("setpoint=0.8"), or by the run names when none differ.  Refuses with CMAN_EINVAL and a
 * message saying why: fewer than two runs, runs of different windows
 * (start_time, end_time) unless opts->allow_different_windows, runs of
 * different step_seconds.  Load errors are those of the run directory.
 * Nothing is written when a check fails.
 */
int cman_compare_write(const char *const *run_dirs, size_t n, const char *out_dir,
		       const struct cman_compare_opts *opts, struct cman_error *err);

#endif
