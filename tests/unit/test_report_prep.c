/*
 * The reports of `clusterman-sim run` made beside the run's files
 * (cman_sim_reports_start/finish, cman_report_prepare, issue 12): on the
 * calling thread, on one thread and split over two, daily.csv, report.html
 * and manifest.json are the bytes the reports made from the run's files
 * give; a failure on a report thread fails the run (its code, nothing
 * committed: the previous run stays).
 *
 * The timeseries' tables are filled by whatever writes timeseries.csv
 * (cman_sim_keep_tables): the writer at the end, the thread (with the main
 * thread taking over the rows it did not reach), the inline test mode; each
 * with each way of making the reports.
 *
 * Scenarios: tests/data/memory_bound.yaml stretched to three days of
 * minutes (every resource's columns, heatmaps) and tests/data/replenish.yaml
 * (autoscaler: decisions.jsonl, groups.csv).
 */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"

#include "cman/reports/report.h"
#include "cman/runfiles.h"
#include "cman/sim/scenario.h"
#include "cman/sim/sim.h"
#include "html.h"
#include "sim_int.h"

static const char *const stretched[] = {
	"end_time=2017-12-04T00:00:00Z", "simulation.step_seconds=60",
};

struct scen {
	const char *yaml;
	const char *const *sets;
	size_t n_sets;
};

static const struct scen scens[] = {
	{ CMAN_SOURCE_DIR "/tests/data/memory_bound.yaml", stretched, 2 },
	{ CMAN_SOURCE_DIR "/tests/data/replenish.yaml", NULL, 0 },
};

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[4096];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* How timeseries.csv, and so the report tables, is written (sim_int.h's
 * test settings; the thread needs 4 batches, and a second CPU). */
enum ts_how {
	TS_AT_END,    /* by cman_sim_write_outputs() */
	TS_THREAD,    /* the thread, told every 10 steps */
	TS_IDLE,      /* a thread that formats nothing: all rows taken over */
	TS_INLINE,    /* no thread: the loop formats each row when final */
	TS_STREAM,    /* the thread, the per-step records in chunks of 16 steps
		       * it gives back as it goes (cman_sim_stream_steps) */
	TS_N
};

/* The scenario run, its tables kept; timeseries.csv begun in dir as how
 * says (dir NULL: at the end). */
static struct cman_sim *run_sim_ts(const struct scen *s, struct cman_scenario *sc,
				   enum ts_how how, const char *dir)
{
	struct cman_error err = { 0 };
	struct cman_sim *sim = NULL;

	if (cman_scenario_load(s->yaml, (const char *const *)s->sets, s->n_sets, sc, &err) ||
	    cman_sim_new(sc, NULL, &sim, &err) || cman_sim_keep_tables(sim, &err))
		fail_msg("%s: %s", s->yaml, err.msg);
	if (how != TS_AT_END && dir) {
		sim->ts_batch = how == TS_INLINE ? 1 : 10;
		sim->ts_test_inline = how == TS_INLINE;
		sim->ts_test_idle = how == TS_IDLE;
		if (how == TS_STREAM) {
			cman_sim_stream_steps(sim);
			sim->rows_shift = 4;
		}
		if (cman_sim_write_start(sim, dir, &err))
			fail_msg("%s: %s", s->yaml, err.msg);
	}
	if (cman_sim_run(sim, &err))
		fail_msg("%s: %s", s->yaml, err.msg);
	return sim;
}

static struct cman_sim *run_sim(const struct scen *s, struct cman_scenario *sc)
{
	return run_sim_ts(s, sc, TS_AT_END, NULL);
}

static void assert_same_file(const char *a, const char *b, const char *name)
{
	char pa[4096], pb[4096];
	size_t na = 0, nb = 0;
	char *x, *y;

	snprintf(pa, sizeof(pa), "%s/%s", a, name);
	snprintf(pb, sizeof(pb), "%s/%s", b, name);
	x = cman_test_slurp(pa, &na);
	y = cman_test_slurp(pb, &nb);
	assert_non_null(x);
	assert_non_null(y);
	if (na != nb || memcmp(x, y, na))
		fail_msg("%s differs from %s (%zu and %zu bytes)", pb, pa, na, nb);
	free(x);
	free(y);
}

/* The run's files and reports into dir through start, files, finish. */
static int write_run(struct cman_sim *sim, const char *dir, struct cman_error *err)
{
	struct cman_sim_reports *r = NULL;
	int rc;

	rc = cman_sim_reports_start(sim, CMAN_REPORT_CSV | CMAN_REPORT_HTML, &r, err);
	if (rc)
		return rc;
	rc = cman_sim_write_outputs(sim, dir, 0, err);
	if (!rc)
		return cman_sim_reports_finish(r, dir, err);
	cman_sim_reports_finish(r, NULL, err);
	return rc;
}

static const struct {
	size_t thread_steps, split_steps;
} modes[] = {
	{ (size_t)-1, (size_t)-1 },   /* after the files, on the calling thread */
	{ 1, (size_t)-1 },            /* one thread beside the files */
	{ 1, 1 },                     /* and its work split over two */
	{ 1, 3 },                     /* split with an odd half */
};

static void test_same_bytes_as_from_files(void **state)
{
	size_t s, m;
	int how;

	(void)state;
	for (s = 0; s < sizeof(scens) / sizeof(scens[0]); s++) {
		struct cman_scenario sc;
		struct cman_sim *sim = run_sim(&scens[s], &sc);
		struct cman_error err = { 0 };
		char ref[64], dir[64];

		/* the reference: the reports of the files (`clusterman-sim report`) */
		assert_non_null(cman_test_mkdtemp(ref, sizeof(ref), "cman-prep-ref."));
		assert_int_equal(cman_sim_write_outputs(sim, ref, 0, &err), 0);
		assert_int_equal(cman_report_write(ref, CMAN_REPORT_CSV | CMAN_REPORT_HTML, &err),
				 0);
		/* one sim, its files written again for each way of making the
		 * reports (the writer at the end fills the tables each time) */
		for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			sim_report_thread_steps = modes[m].thread_steps;
			sim_report_split_steps = modes[m].split_steps;
			assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-prep."));
			if (write_run(sim, dir, &err))
				fail_msg("%s, mode %zu: %s", scens[s].yaml, m, err.msg);
			assert_same_file(ref, dir, "daily.csv");
			assert_same_file(ref, dir, "report.html");
			assert_same_file(ref, dir, "manifest.json");
			assert_same_file(ref, dir, "timeseries.csv");
			rm_dir(dir);
		}
		cman_sim_free(sim);
		/* a run each, its timeseries.csv (and tables) written as the run
		 * goes, the report thread waiting for them when it has one */
		for (how = TS_THREAD; how < TS_N; how++)
			for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
				struct cman_scenario sc2;

				sim_report_thread_steps = modes[m].thread_steps;
				sim_report_split_steps = modes[m].split_steps;
				assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-prep."));
				sim = run_sim_ts(&scens[s], &sc2, (enum ts_how)how, dir);
				if (write_run(sim, dir, &err))
					fail_msg("%s, ts %d, mode %zu: %s", scens[s].yaml, how, m,
						 err.msg);
				cman_sim_free(sim);
				cman_scenario_release(&sc2);
				assert_same_file(ref, dir, "daily.csv");
				assert_same_file(ref, dir, "report.html");
				assert_same_file(ref, dir, "manifest.json");
				assert_same_file(ref, dir, "timeseries.csv");
				rm_dir(dir);
			}
		rm_dir(ref);
		cman_scenario_release(&sc);
	}
	sim_report_thread_steps = 2000;
	sim_report_split_steps = 100000;
}

/* Every column of the tables is the number timeseries.csv holds, read
 * back with strtod, bit for bit (an empty cell: NaN; binding_resource: its
 * index), however the file was written; the tables are handed over once
 * per file written, and a run that kept none has none to give. */
static void test_tables_are_the_file(void **state)
{
	static const char *const bind_names[] = { "cpus", "mem", "disk", "gpus", "none" };
	size_t s;
	int how;

	(void)state;
	for (s = 0; s < sizeof(scens) / sizeof(scens[0]); s++)
		for (how = TS_AT_END; how < TS_N; how++) {
			struct cman_scenario sc;
			struct cman_report_tables t;
			struct cman_error err = { 0 };
			struct cman_sim *sim;
			char dir[64], path[128], *csv, *p, *line;
			size_t n = 0, row = 0, nres = 0;
			int r, c;

			assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-prep-tab."));
			sim = run_sim_ts(&scens[s], &sc, (enum ts_how)how, dir);
			assert_int_equal(cman_sim_write_outputs(sim, dir, 0, &err), 0);
			assert_int_equal(cman_sim_report_tables(sim, &t, &err), 0);
			assert_int_equal(t.n, sim->ledger.n_steps);
			snprintf(path, sizeof(path), "%s/timeseries.csv", dir);
			csv = cman_test_slurp(path, &n);
			assert_non_null(csv);
			line = strchr(csv, '\n') + 1;   /* past the header */
			for (r = 1; r < 4; r++)
				nres += t.rcol[r][0] != NULL;
			assert_int_equal(nres > 0, s == 0);   /* memory_bound: mem (and more) */
			for (; *line; row++) {
				double cell[1 + 9 + 5 * 3];
				char *end = strchr(line, '\n');

				assert_true(row < t.n);
				*end = '\0';
				p = line;
				for (c = 0; c < 1 + 9 + 5 * 3; c++) {
					char *e = strchr(p, ',');

					assert_non_null(e);
					*e = '\0';
					cell[c] = *p ? strtod(p, NULL) : NAN;
					p = e + 1;
				}
				for (c = 0; c < 9; c++)
					if (memcmp(&t.col[c][row], &cell[1 + c], sizeof(double)) &&
					    !(isnan(t.col[c][row]) && isnan(cell[1 + c])))
						fail_msg("ts %d row %zu col %d: %.17g, file %.17g", how,
							 row, c, t.col[c][row], cell[1 + c]);
				for (r = 1; r < 4; r++) {
					static const int file_col[4] = { 0, 1, 3, 4 };

					if (!t.rcol[r][0]) {
						assert_true(isnan(cell[10 + 5 * (r - 1)]));
						continue;
					}
					for (c = 0; c < 4; c++) {
						double f = cell[10 + 5 * (r - 1) + file_col[c]];

						if (memcmp(&t.rcol[r][c][row], &f, sizeof(double)))
							fail_msg("ts %d row %zu res %d col %d: %.17g, file "
								 "%.17g", how, row, r, c, t.rcol[r][c][row],
								 f);
					}
				}
				assert_true(t.binding[row] <= 4);
				assert_string_equal(p, bind_names[t.binding[row]]);
				line = end + 1;
			}
			assert_int_equal(row, t.n);
			free(csv);
			cman_report_tables_release(&t);
			/* taken: none until the file is written again */
			assert_int_equal(cman_sim_report_tables(sim, &t, &err), CMAN_EINTERNAL);
			cman_sim_free(sim);
			cman_scenario_release(&sc);
			rm_dir(dir);
		}
	/* a run that kept no tables */
	{
		struct cman_scenario sc;
		struct cman_report_tables t;
		struct cman_sim_reports *rep = NULL;
		struct cman_error err = { 0 };
		struct cman_sim *sim = NULL;
		char dir[64];

		assert_int_equal(cman_scenario_load(scens[1].yaml, NULL, 0, &sc, &err), 0);
		assert_int_equal(cman_sim_new(&sc, NULL, &sim, &err), 0);
		assert_int_equal(cman_sim_run(sim, &err), 0);
		assert_int_equal(cman_sim_keep_tables(sim, &err), CMAN_EINTERNAL);
		assert_null(sim->tables);
		assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-prep-none."));
		assert_int_equal(cman_sim_write_outputs(sim, dir, 0, &err), 0);
		assert_int_equal(cman_sim_report_tables(sim, &t, &err), CMAN_EINTERNAL);
		assert_int_equal(cman_sim_reports_start(sim, CMAN_REPORT_HTML, &rep, &err),
				 CMAN_EINTERNAL);
		assert_null(rep);
		cman_sim_free(sim);
		cman_scenario_release(&sc);
		rm_dir(dir);
	}
}

/* The tables handed to cman_report_prepare must fit the window. */
static void test_prepare_checks_window(void **state)
{
	struct cman_scenario sc;
	struct cman_sim *sim = run_sim(&scens[0], &sc);
	struct cman_report_tables t;
	struct cman_report_prep *p = (void *)1;
	struct cman_error err = { 0 };

	char dir[64];

	(void)state;
	/* nothing to take before timeseries.csv is written */
	assert_int_equal(cman_sim_report_tables(sim, &t, &err), CMAN_EINTERNAL);
	assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-prep-win."));
	assert_int_equal(cman_sim_write_outputs(sim, dir, 0, &err), 0);
	rm_dir(dir);
	assert_int_equal(cman_sim_report_tables(sim, &t, &err), 0);
	assert_int_equal(cman_report_prepare(&p, &t, sc.start_time, sc.end_time + 3600,
					     sc.step_seconds, CMAN_REPORT_HTML, false, &err),
			 CMAN_EINTERNAL);
	assert_null(p);
	assert_null(t.col[0]);   /* taken */
	cman_sim_free(sim);
	cman_scenario_release(&sc);
}

static int fail_part, fail_calls;

static int fault(int k)
{
	__atomic_fetch_add(&fail_calls, 1, __ATOMIC_RELAXED);
	return k == fail_part ? CMAN_EIO : 0;
}

/* A part failing on a report thread fails the run with its code, and
 * nothing of the failed run replaces the previous one. */
static void test_thread_failure_keeps_previous_run(void **state)
{
	static const int parts[] = { 0, 1, 5, 11 };
	struct cman_scenario sc;
	struct cman_sim *sim = run_sim(&scens[0], &sc);
	struct cman_error err = { 0 };
	struct cman_run_out ro = { .lock_fd = -1 };
	char parent[64], out[128], before[4096];
	size_t i, m, n_before = 0, n_after = 0;
	char *html_before, *html_after;
	DIR *d;

	(void)state;
	assert_non_null(cman_test_mkdtemp(parent, sizeof(parent), "cman-prep-fail."));
	snprintf(out, sizeof(out), "%s/run", parent);
	assert_int_equal(cman_run_lock(&ro, out, &err), 0);
	assert_int_equal(cman_run_stage(&ro, false, &err), 0);
	assert_int_equal(write_run(sim, ro.stage, &err), 0);
	assert_int_equal(cman_run_commit(&ro, &err), 0);
	cman_run_release(&ro);
	snprintf(before, sizeof(before), "%s/report.html", out);
	html_before = cman_test_slurp(before, &n_before);
	assert_non_null(html_before);

	cman_report_prep_fault = fault;
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
			sim_report_thread_steps = modes[m].thread_steps;
			sim_report_split_steps = modes[m].split_steps;
			fail_part = parts[i];
			fail_calls = 0;
			memset(&err, 0, sizeof(err));
			memset(&ro, 0, sizeof(ro));
			ro.lock_fd = -1;
			assert_int_equal(cman_run_lock(&ro, out, &err), 0);
			assert_int_equal(cman_run_stage(&ro, false, &err), 0);
			assert_int_equal(write_run(sim, ro.stage, &err), CMAN_EIO);
			assert_int_equal(err.code, CMAN_EIO);
			assert_true(fail_calls > 0);
			cman_run_release(&ro);   /* as cmd_run after a failure */
		}
	cman_report_prep_fault = NULL;
	sim_report_thread_steps = 2000;
	sim_report_split_steps = 100000;

	html_after = cman_test_slurp(before, &n_after);
	assert_non_null(html_after);
	assert_int_equal(n_after, n_before);
	assert_memory_equal(html_after, html_before, n_before);
	/* nothing left beside the run: no staging folder, no lock */
	d = opendir(parent);
	assert_non_null(d);
	{
		struct dirent *e;

		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
			    strcmp(e->d_name, "run"))
				fail_msg("left in %s: %s", parent, e->d_name);
	}
	closedir(d);
	free(html_before);
	free(html_after);
	rm_dir(out);
	rmdir(parent);
	cman_sim_free(sim);
	cman_scenario_release(&sc);
}

static int unblocked_calls, all_calls;

static int note_mask(int k)
{
	sigset_t cur;

	(void)k;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	__atomic_fetch_add(&all_calls, 1, __ATOMIC_RELAXED);
	if (!sigismember(&cur, SIGINT) || !sigismember(&cur, SIGTERM))
		__atomic_fetch_add(&unblocked_calls, 1, __ATOMIC_RELAXED);
	return 0;
}

/* The report threads leave the signals to the main thread (runfiles.c's
 * handlers remove the staging folder): the parts, all made on the report
 * thread and its helper here, see SIGINT and SIGTERM blocked. */
static void test_threads_block_signals(void **state)
{
	struct cman_scenario sc;
	struct cman_sim *sim = run_sim(&scens[0], &sc);
	struct cman_error err = { 0 };
	char dir[64];

	(void)state;
	sim_report_thread_steps = 1;
	sim_report_split_steps = 1;
	cman_report_prep_fault = note_mask;
	assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-prep-sig."));
	assert_int_equal(write_run(sim, dir, &err), 0);
	cman_report_prep_fault = NULL;
	sim_report_thread_steps = 2000;
	sim_report_split_steps = 100000;
	assert_true(all_calls > 0);
	assert_int_equal(unblocked_calls, 0);
	rm_dir(dir);
	cman_sim_free(sim);
	cman_scenario_release(&sc);
}

/* The files failing: finish only waits for the thread and frees. */
static void test_finish_without_files(void **state)
{
	struct cman_scenario sc;
	struct cman_sim *sim = run_sim(&scens[0], &sc);
	struct cman_sim_reports *r = NULL;
	struct cman_error err = { 0 };

	(void)state;
	sim_report_thread_steps = 1;
	sim_report_split_steps = 1;
	assert_int_equal(cman_sim_reports_start(sim, CMAN_REPORT_HTML, &r, &err), 0);
	assert_non_null(r);
	assert_int_equal(cman_sim_reports_finish(r, NULL, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(cman_sim_reports_finish(NULL, NULL, &err), 0);
	sim_report_thread_steps = 2000;
	sim_report_split_steps = 100000;
	cman_sim_free(sim);
	cman_scenario_release(&sc);
}

int main(void)
{
	sim_report_check_cpus = false;   /* threads even when ctest allows one CPU */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_bytes_as_from_files),
		cmocka_unit_test(test_prepare_checks_window),
		cmocka_unit_test(test_tables_are_the_file),
		cmocka_unit_test(test_thread_failure_keeps_previous_run),
		cmocka_unit_test(test_finish_without_files),
		cmocka_unit_test(test_threads_block_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
