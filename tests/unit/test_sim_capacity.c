/*
 * Unit tests of the replay of recorded capacity (sim.c apply_capacity): a
 * sample with the markets and values of the one before skips the
 * arithmetic and the checks (issue 12), and must still come out as a
 * sample worked out in full: repeated samples, one value changed, a market
 * dropped, a market back, all to 0.
 *
 * Two markets of m5.large (2 vCPUs, weight 2), a sample a minute; the
 * running vCPUs of each minute's step are 2 x the instances wanted.
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

#include "cman/sim/scenario.h"
#include "cman/sim/sim.h"
#include "sim_int.h"

static char dir[256], csv[512], yaml[512];

/* minute, capacity of us-west-2a and of us-west-2b (-1: not in the map) */
static const struct { int min; double a, b; } samples[] = {
	{ 0, 2, 2 }, { 1, 2, 2 }, { 2, 4, 2 }, { 3, 4, 2 }, { 4, 4, -1 }, { 5, 4, -1 },
	{ 6, 4, 6 }, { 7, 2, 6 }, { 8, 2, 6 }, { 9, 0, 0 }, { 10, 0, 0 }, { 11, 3, 2.5 },
	{ 12, 3, 2.5 },
};
static const double running[] = { 4, 4, 6, 6, 4, 4, 10, 8, 8, 0, 0, 4, 4, 4 };

static int setup(void **state)
{
	static const char key[] = "\"fulfilled_capacity|cluster=test,pool=default.mesos\"";
	char buf[8192];
	size_t i, n;

	assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-simcap."));
	snprintf(csv, sizeof(csv), "%s/m.csv", dir);
	snprintf(yaml, sizeof(yaml), "%s/s.yaml", dir);
	n = (size_t)snprintf(buf, sizeof(buf),
			     "kind,key,timestamp,market,value\n"
			     "metadata,\"spot_prices|aws_availability_zone=us-west-2a,"
			     "aws_instance_type=m5.large\",2017-12-01T00:00:00Z,,1.0\n"
			     "metadata,\"spot_prices|aws_availability_zone=us-west-2b,"
			     "aws_instance_type=m5.large\",2017-12-01T00:00:00Z,,1.0\n"
			     "system_metrics,\"cpus_allocated|cluster=test,pool=default.mesos\","
			     "2017-12-01T00:00:00Z,,1\n");
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "metadata,%s,2017-12-01T00:%02d:00Z,\"<m5.large, us-west-2a>\","
				      "%g\n", key, samples[i].min, samples[i].a);
		if (samples[i].b >= 0)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
					      "metadata,%s,2017-12-01T00:%02d:00Z,"
					      "\"<m5.large, us-west-2b>\",%g\n",
					      key, samples[i].min, samples[i].b);
		assert_true(n < sizeof(buf));
	}
	cman_test_write_file(csv, buf);
	cman_test_write_file(yaml, "name: capacity\ncluster: test\npool: default\n"
		             "start_time: 2017-12-01T00:00:00Z\nend_time: 2017-12-01T00:14:00Z\n"
		             "metrics:\n  - csv: m.csv\nsimulation:\n  step_seconds: 60\n"
		             "  join_delay: {mean_seconds: 0, stdev_seconds: 0}\n");
	return 0;
}

static int teardown(void **state)
{
	unlink(csv);
	unlink(yaml);
	rmdir(dir);
	return 0;
}

static void test_repeated_and_changed_samples(void **state)
{
	struct cman_scenario sc;
	struct cman_sim *sim = NULL;
	struct cman_error err = { 0 };
	size_t k;

	(void)state;
	assert_int_equal(cman_scenario_load(yaml, NULL, 0, &sc, &err), 0);
	if (cman_sim_new(&sc, NULL, &sim, &err) || cman_sim_run(sim, &err))
		fail_msg("run: %s", err.msg);
	assert_int_equal(sim->ledger.n_steps, 14);
	for (k = 0; k < 14; k++)
		if (sim->steps[k].running != running[k])
			fail_msg("step %zu: %g vCPUs running, expected %g", k,
				 sim->steps[k].running, running[k]);
	/* 1 + 1, +1 a, -1 b, +3 b, -1 a, -1 a -3 b, +1 a +1 b (2.5 / 2: 1) */
	assert_int_equal(cman_sim_totals(sim)->instances_launched, 8);
	cman_sim_free(sim);
	cman_scenario_release(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repeated_and_changed_samples),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
