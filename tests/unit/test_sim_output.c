/*
 * Unit tests of timeseries.csv written while the run goes (output.c,
 * cman_sim_write_start, issue 12): the file is the one written at the end,
 * byte for byte, whether its rows are taken as soon as they are final (no
 * thread: the loop formats them when it publishes them, so a row published
 * before its ledger step closed comes out wrong every time) or by the
 * thread, also when the per-step records are in chunks the thread gives
 * back as it goes (cman_sim_stream_steps), however far behind it is; such
 * a run has nothing to write into another folder from; a write
 * error on the thread fails cman_sim_write_outputs() and leaves no file; a
 * run given up leaves no file.
 *
 * Late cost deltas: tests/data/refund.yaml bills per hour and refunds an
 * outbid instance's last hour when it ends, up to an hour after the steps
 * the refund changes; interrupt.yaml refunds interrupted ones.  Other
 * resources (their own ledgers): memory_bound.yaml.
 */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"

#include "cman/err.h"
#include "cman/sim/scenario.h"
#include "cman/sim/sim.h"
#include "sim_int.h"

static char tmp[256];

static int setup(void **state)
{
	(void)state;
	assert_non_null(cman_test_mkdtemp(tmp, sizeof(tmp), "cman-simout."));
	return 0;
}

static void remove_tree(const char *path)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static int teardown(void **state)
{
	(void)state;
	remove_tree(tmp);
	return 0;
}

/* How the run's timeseries.csv is written. */
enum how {
	AT_END,       /* by cman_sim_write_outputs(), after the run */
	INLINE_1,     /* no thread, each row published as soon as final */
	THREAD_1,     /* the thread, told after every step */
	THREAD_100,   /* the thread, told every 100 steps */
	IDLE_100,     /* a thread that never got to run: all rows taken over */
	THREAD,       /* as `clusterman-sim run` does (these short runs: at the end) */
	/* the records in chunks of 16 steps that the thread gives back once
	 * it has written their rows (cman_sim_stream_steps): a chunk given
	 * back too soon is made again for later rows (the earlier ones then
	 * come out as those) or left NULL (the thread crashes) */
	STREAM_1,     /* told after every step */
	STREAM_100,   /* told every 100 steps */
	STREAM_LAG,   /* told after every step, the thread 1 ms late each 1024 rows */
};

/* Run data/<name>.yaml at step_seconds into tmp/<out>, written as how;
 * returns cman_sim_write_outputs()'s result (message in err). */
static int run_into(const char *name, const char *step, enum how how, const char *out,
		    struct cman_error *err)
{
	char yaml[512], dir[512], set[64];
	const char *sets[] = { set };
	struct cman_scenario sc;
	struct cman_sim *sim = NULL;
	int rc;

	snprintf(yaml, sizeof(yaml), "%s/tests/data/%s.yaml", CMAN_SOURCE_DIR, name);
	snprintf(dir, sizeof(dir), "%s/%s", tmp, out);
	snprintf(set, sizeof(set), "simulation.step_seconds=%s", step);
	if (cman_scenario_load(yaml, sets, 1, &sc, err))
		fail_msg("%s: %s", yaml, err->msg);
	if (cman_sim_new(&sc, NULL, &sim, err))
		fail_msg("%s: %s", yaml, err->msg);
	if (how == INLINE_1 || how == THREAD_1 || how == STREAM_1 || how == STREAM_LAG)
		sim->ts_batch = 1;
	if (how == THREAD_100 || how == IDLE_100 || how == STREAM_100)
		sim->ts_batch = 100;
	sim->ts_test_inline = how == INLINE_1;
	sim->ts_test_idle = how == IDLE_100;
	sim->ts_test_lag = how == STREAM_LAG;
	if (how >= STREAM_1) {
		cman_sim_stream_steps(sim);
		sim->rows_shift = 4;
	}
	if (how != AT_END)
		assert_int_equal(cman_sim_write_start(sim, dir, err), 0);
	if (cman_sim_run(sim, err))
		fail_msg("%s: %s", yaml, err->msg);
	/* chunks given back exactly when the thread writes the rows (one
	 * CPU: no thread, the records are kept whole) */
	assert_int_equal(sim->rows_recycle, how >= STREAM_1 && sim_ts_threaded(sim));
	assert_int_equal(sim->steps == NULL, sim->rows_recycle);
	rc = cman_sim_write_outputs(sim, dir, 0, err);
	assert_null(sim->ts);   /* joined either way */
	cman_sim_free(sim);
	cman_scenario_release(&sc);
	return rc;
}

static char *slurp(const char *out, const char *file, size_t *n)
{
	char path[600];
	char *s;

	snprintf(path, sizeof(path), "%s/%s/%s", tmp, out, file);
	s = cman_test_slurp(path, n);
	if (!s)
		fail_msg("%s: cannot read", path);
	return s;
}

/* The same file in two run folders, byte for byte. */
static void assert_same_file(const char *a, const char *b, const char *file)
{
	size_t na, nb;
	char *x = slurp(a, file, &na), *y = slurp(b, file, &nb);

	if (na != nb || memcmp(x, y, na) != 0)
		fail_msg("%s/%s and %s/%s differ (%zu and %zu bytes)", a, file, b, file, na, nb);
	free(x);
	free(y);
}

/* Names in tmp/out (no "." or ".."), in one string "a b c " (size n). */
static void list_dir(const char *out, char *names, size_t n)
{
	char path[600];
	DIR *d;
	struct dirent *e;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/%s", tmp, out);
	names[0] = '\0';
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		len += (size_t)snprintf(names + len, n - len, "%s ", e->d_name);
		assert_true(len < n);
	}
	closedir(d);
}

static void test_same_bytes(void **state)
{
	static const struct {
		const char *name, *step;
	} cases[] = {
		{ "refund", "60" }, { "refund", "10" }, { "refund", "7" },
		{ "interrupt", "10" }, { "memory_bound", "10" }, { "memory_bound", "600" },
		{ "worked_example", "1" },
	};
	struct cman_error err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = cases[i].name, *step = cases[i].step;

		assert_int_equal(run_into(name, step, AT_END, "end", &err), 0);
		assert_int_equal(run_into(name, step, INLINE_1, "inline", &err), 0);
		assert_int_equal(run_into(name, step, THREAD_1, "thread1", &err), 0);
		assert_int_equal(run_into(name, step, THREAD_100, "thread100", &err), 0);
		assert_int_equal(run_into(name, step, IDLE_100, "idle", &err), 0);
		assert_int_equal(run_into(name, step, THREAD, "thread", &err), 0);
		assert_int_equal(run_into(name, step, STREAM_1, "stream1", &err), 0);
		assert_int_equal(run_into(name, step, STREAM_100, "stream100", &err), 0);
		assert_int_equal(run_into(name, step, STREAM_LAG, "lag", &err), 0);
		/* the manifest holds every file's hash: the run ids agree too */
		assert_same_file("end", "inline", "timeseries.csv");
		assert_same_file("end", "thread1", "timeseries.csv");
		assert_same_file("end", "thread100", "timeseries.csv");
		assert_same_file("end", "idle", "timeseries.csv");
		assert_same_file("end", "thread", "timeseries.csv");
		assert_same_file("end", "stream1", "timeseries.csv");
		assert_same_file("end", "stream100", "timeseries.csv");
		assert_same_file("end", "lag", "timeseries.csv");
		assert_same_file("end", "lag", "manifest.json");
		assert_same_file("end", "thread1", "manifest.json");
		assert_same_file("end", "idle", "manifest.json");
		remove_tree(tmp);
		assert_int_equal(mkdir(tmp, 0700), 0);
	}
}

/*
 * The refunds reach back past the steps the loop has recorded: a row
 * taken when advance() recorded its step, before its ledger step closed,
 * would show the cost before the refund (or none).  Checks that the case
 * above would see it: the cost column of the refunded hour differs from
 * what the rates alone said when the steps were recorded.
 */
static void test_refund_is_late(void **state)
{
	struct cman_error err = { 0 };
	size_t n;
	char *csv;

	(void)state;
	assert_int_equal(run_into("refund", "10", INLINE_1, "r", &err), 0);
	csv = slurp("r", "timeseries.csv", &n);
	/* 01:00 (the 10 s step from 1512090000): the 5 instances pruned at
	 * 01:10 have their hour 2 free (refund rule 8.8, a delta 60 steps
	 * late), so the pool's cost there is that of the 5 others alone:
	 * 5 x $0.5/h x 10 s, not 10 x */
	assert_non_null(strstr(csv, "\n1512090000,"));
	{
		const char *row = strstr(csv, "\n1512090000,") + 1;
		double cost;
		int k;
		const char *p = row;

		for (k = 0; k < 4; k++)
			p = strchr(p, ',') + 1;
		cost = strtod(p, NULL);
		assert_float_equal(cost, 5 * 0.5 * 10 / 3600.0, 1e-12);
	}
	free(csv);
}

/* A write error on the thread: cman_sim_write_outputs() fails with it and
 * neither timeseries.csv nor its temporary is left. */
static void test_write_error(void **state)
{
	struct rlimit old, lim;
	struct cman_error err = { 0 };
	void (*old_xfsz)(int);
	char names[4096];
	int rc;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 64 * 1024;   /* the 1 s rows are 700 kB, the others small */
	old_xfsz = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = run_into("memory_bound", "1", THREAD_100, "big", &err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_xfsz);
	assert_int_equal(rc, CMAN_EIO);
	if (!strstr(err.msg, "timeseries.csv: cannot write: File too large"))
		fail_msg("unexpected message: %s", err.msg);
	list_dir("big", names, sizeof(names));
	if (strstr(names, "timeseries"))
		fail_msg("left behind: %s", names);
}

/* A run given up (cman_sim_free() without cman_sim_write_outputs(), as
 * after a failed run or before it ran): the thread stops, no file stays. */
static void test_given_up(void **state)
{
	char yaml[512], dir[512], names[4096];
	struct cman_scenario sc;
	struct cman_sim *sim = NULL;
	struct cman_error err = { 0 };
	int ran;

	(void)state;
	snprintf(yaml, sizeof(yaml), "%s/tests/data/refund.yaml", CMAN_SOURCE_DIR);
	snprintf(dir, sizeof(dir), "%s/gone", tmp);
	for (ran = 0; ran < 2; ran++) {
		const char *sets[] = { "simulation.step_seconds=1" };

		assert_int_equal(cman_scenario_load(yaml, sets, 1, &sc, &err), 0);
		assert_int_equal(cman_sim_new(&sc, NULL, &sim, &err), 0);
		sim->ts_batch = 100;
		assert_int_equal(cman_sim_write_start(sim, dir, &err), 0);
		/* a second start is refused (one CPU: none was made) */
		if (sim->ts)
			assert_int_equal(cman_sim_write_start(sim, dir, &err), CMAN_EINTERNAL);
		if (ran)
			assert_int_equal(cman_sim_run(sim, &err), 0);
		cman_sim_free(sim);
		cman_scenario_release(&sc);
		list_dir("gone", names, sizeof(names));
		assert_string_equal(names, "");
	}
}

/* Records given back as the thread wrote them: nothing else can read them
 * (another folder): CMAN_EINTERNAL, nothing written. */
static void test_stream_only_thread(void **state)
{
	char yaml[512], dir[512], other[512], names[4096];
	const char *sets[] = { "simulation.step_seconds=1" };
	struct cman_scenario sc;
	struct cman_sim *sim = NULL;
	struct cman_error err = { 0 };

	(void)state;
	snprintf(yaml, sizeof(yaml), "%s/tests/data/refund.yaml", CMAN_SOURCE_DIR);
	snprintf(dir, sizeof(dir), "%s/here", tmp);
	snprintf(other, sizeof(other), "%s/other", tmp);
	assert_int_equal(cman_scenario_load(yaml, sets, 1, &sc, &err), 0);
	assert_int_equal(cman_sim_new(&sc, NULL, &sim, &err), 0);
	cman_sim_stream_steps(sim);
	sim->ts_batch = 100;
	assert_int_equal(cman_sim_write_start(sim, dir, &err), 0);
	assert_int_equal(cman_sim_run(sim, &err), 0);
	if (!sim->rows_recycle) {   /* one CPU: no thread, all kept */
		assert_false(sim_ts_threaded(sim));
	} else {
		assert_int_equal(cman_sim_write_outputs(sim, other, 0, &err), CMAN_EINTERNAL);
		list_dir("other", names, sizeof(names));
		assert_string_equal(names, "");
	}
	cman_sim_free(sim);
	cman_scenario_release(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refund_is_late, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_given_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_only_thread, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
