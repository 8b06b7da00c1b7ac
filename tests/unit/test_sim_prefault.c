/*
 * Unit tests of the thread that faults the per-step arrays in ahead of the
 * loop (sim.c, issue 12): it starts for a long run only, whose records are
 * kept whole (sim_rows_start(), as cman_sim_run() does first), never for
 * records in chunks (cman_sim_stream_steps() with timeseries.csv's thread,
 * or cman_sim_totals_only()), is joined when the run ends or the
 * simulation is freed unrun, and changes nothing a run computes (the
 * per-step records of a run with it are those of a run without it, to the
 * byte).
 *
 * The scenario is SPEC §3's worked example stretched to 200 days of
 * 60-second steps (13 MB of step records): one m5.large (weight 2), spot
 * $1/h, then $2/h from 00:30, per-second billing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"

#include "cman/err.h"
#include "cman/sim/scenario.h"
#include "cman/sim/sim.h"
#include "sim_int.h"

static char dir[256], csv[512], yaml[512], yaml_short[512];

static int setup(void **state)
{
	assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-prefault."));
	snprintf(csv, sizeof(csv), "%s/m.csv", dir);
	snprintf(yaml, sizeof(yaml), "%s/long.yaml", dir);
	snprintf(yaml_short, sizeof(yaml_short), "%s/short.yaml", dir);
	cman_test_write_file(csv, "kind,key,timestamp,market,value\n"
		             "metadata,\"fulfilled_capacity|cluster=test,pool=default.mesos\","
		             "2017-12-01T00:00:00Z,\"<m5.large, us-west-2a>\",2\n"
		             "metadata,\"spot_prices|aws_availability_zone=us-west-2a,"
		             "aws_instance_type=m5.large\",2017-12-01T00:00:00Z,,1.0\n"
		             "metadata,\"spot_prices|aws_availability_zone=us-west-2a,"
		             "aws_instance_type=m5.large\",2017-12-01T00:30:00Z,,2.0\n"
		             "system_metrics,\"cpus_allocated|cluster=test,pool=default.mesos\","
		             "2017-12-01T00:00:00Z,,1\n");
	cman_test_write_file(yaml, "name: prefault\ncluster: test\npool: default\n"
		             "start_time: 2017-12-01T00:00:00Z\nend_time: 2018-06-19T00:00:00Z\n"
		             "metrics:\n  - csv: m.csv\nsimulation:\n  step_seconds: 60\n");
	cman_test_write_file(yaml_short, "name: prefault\ncluster: test\npool: default\n"
		             "start_time: 2017-12-01T00:00:00Z\nend_time: 2017-12-02T00:00:00Z\n"
		             "metrics:\n  - csv: m.csv\nsimulation:\n  step_seconds: 60\n");
	return 0;
}

static int teardown(void **state)
{
	unlink(csv);
	unlink(yaml);
	unlink(yaml_short);
	rmdir(dir);
	return 0;
}

static struct cman_sim *new_sim(const char *path, struct cman_scenario *sc)
{
	struct cman_sim *sim = NULL;
	struct cman_error err = { 0 };

	assert_int_equal(cman_scenario_load(path, NULL, 0, sc, &err), 0);
	if (cman_sim_new(sc, NULL, &sim, &err))
		fail_msg("sim: %s", err.msg);
	return sim;
}

/* A long run with the thread and one without give the same bytes. */
static void test_same_records(void **state)
{
	struct cman_scenario sa, sb;
	struct cman_sim *a = new_sim(yaml, &sa), *b = new_sim(yaml, &sb);
	struct cman_error err = { 0 };
	size_t n = a->ledger.n_steps;

	(void)state;
	assert_int_equal(n, 200 * 1440);
	assert_null(a->prefault);               /* not before the run */
	assert_int_equal(sim_rows_start(a), 0);
	assert_int_equal(sim_rows_start(b), 0);
	assert_non_null(a->prefault);           /* started (13 MB of steps) */
	assert_non_null(b->prefault);
	/* b's thread is joined before its loop starts: b runs as without one */
	sim_prefault_join(b);
	assert_null(b->prefault);
	if (cman_sim_run(a, &err) || cman_sim_run(b, &err))
		fail_msg("run: %s", err.msg);
	assert_null(a->prefault);               /* joined at the run's end */
	assert_memory_equal(a->steps, b->steps, n * sizeof(*a->steps));
	assert_memory_equal(a->ledger.cost, b->ledger.cost, n * sizeof(double));
	assert_memory_equal(a->ledger.unused_cost, b->ledger.unused_cost, n * sizeof(double));
	assert_memory_equal(a->ledger.rate, b->ledger.rate, n * sizeof(double));
	assert_memory_equal(a->step_binding, b->step_binding, n);
	/* 0.5 h at $1, then $2/h to the end */
	assert_float_equal(cman_sim_totals(a)->total_cost, 0.5 + (200 * 24 - 0.5) * 2, 1e-6);
	cman_sim_free(a);
	cman_sim_free(b);
	cman_scenario_release(&sa);
	cman_scenario_release(&sb);
}

/* Freed without a run: the thread is joined before the arrays go. */
static void test_free_unrun(void **state)
{
	struct cman_scenario sc;
	struct cman_sim *sim = new_sim(yaml, &sc);

	(void)state;
	assert_int_equal(sim_rows_start(sim), 0);
	assert_non_null(sim->prefault);
	cman_sim_free(sim);
	cman_scenario_release(&sc);
}

/* A day of minutes (a few hundred KB) is not worth a thread. */
static void test_short_run_none(void **state)
{
	struct cman_scenario sc;
	struct cman_sim *sim = new_sim(yaml_short, &sc);
	struct cman_error err = { 0 };

	(void)state;
	assert_int_equal(sim_rows_start(sim), 0);
	assert_null(sim->prefault);
	assert_int_equal(cman_sim_run(sim, &err), 0);
	cman_sim_free(sim);
	cman_scenario_release(&sc);
}

/* Records in chunks (here: a run that wants only its totals) need no
 * thread: the long run starts none, and its totals are the same. */
static void test_chunked_none(void **state)
{
	struct cman_scenario sc;
	struct cman_sim *sim = new_sim(yaml, &sc);
	struct cman_error err = { 0 };

	(void)state;
	cman_sim_totals_only(sim);
	assert_int_equal(sim_rows_start(sim), 0);
	assert_null(sim->prefault);
	assert_true(sim->rows_recycle);
	assert_null(sim->steps);
	assert_int_equal(cman_sim_run(sim, &err), 0);
	assert_float_equal(cman_sim_totals(sim)->total_cost, 0.5 + (200 * 24 - 0.5) * 2, 1e-6);
	/* each chunk went back when the next was taken: one made, or two */
	assert_true(sim->row_steps.n_made <= 2);
	assert_true(sim->ledger.out[0].n_made <= 2);
	/* nothing to write a run's files from */
	assert_int_equal(cman_sim_write_outputs(sim, dir, 0, &err), CMAN_EINTERNAL);
	cman_sim_free(sim);
	cman_scenario_release(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_records),
		cmocka_unit_test(test_free_unrun),
		cmocka_unit_test(test_short_run_none),
		cmocka_unit_test(test_chunked_none),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
