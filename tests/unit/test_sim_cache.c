/*
 * Unit tests of the cache of loaded metrics files (sim.c, issue 12.4): runs
 * given a cache parse a file once and give the totals of uncached runs; a
 * file changed between runs is loaded again.
 *
 * The scenario is SPEC §3's worked example: one m5.large (2 vCPUs, weight
 * 2) for two hours, spot price $1/h, then $2/h from 00:30, per-second
 * billing: 0.5 h x $1 + 1.5 h x $2 = $3.50.  With the second price $1/h
 * throughout: 2 h x $1 = $2.00.
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

static void write_csv(const char *second_price)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "kind,key,timestamp,market,value\n"
		 "metadata,\"fulfilled_capacity|cluster=test,pool=default.mesos\","
		 "2017-12-01T00:00:00Z,\"<m5.large, us-west-2a>\",2\n"
		 "metadata,\"spot_prices|aws_availability_zone=us-west-2a,"
		 "aws_instance_type=m5.large\",2017-12-01T00:00:00Z,,1.0\n"
		 "metadata,\"spot_prices|aws_availability_zone=us-west-2a,"
		 "aws_instance_type=m5.large\",2017-12-01T00:30:00Z,,%s\n"
		 "system_metrics,\"cpus_allocated|cluster=test,pool=default.mesos\","
		 "2017-12-01T00:00:00Z,,1\n", second_price);
	cman_test_write_file(csv, buf);
}

static int setup(void **state)
{
	assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-simcache."));
	snprintf(csv, sizeof(csv), "%s/m.csv", dir);
	snprintf(yaml, sizeof(yaml), "%s/s.yaml", dir);
	cman_test_write_file(yaml, "name: cache\ncluster: test\npool: default\n"
		             "start_time: 2017-12-01T00:00:00Z\nend_time: 2017-12-01T02:00:00Z\n"
		             "metrics:\n  - csv: m.csv\nsimulation:\n  step_seconds: 600\n");
	write_csv("2.0");
	return 0;
}

static int teardown(void **state)
{
	unlink(csv);
	unlink(yaml);
	rmdir(dir);
	return 0;
}

/* Total cost of one run of the scenario, with cache (may be NULL). */
static double run_cost(struct cman_sim_cache *cache)
{
	struct cman_scenario sc;
	struct cman_sim *sim = NULL;
	struct cman_error err = { 0 };
	double cost;

	assert_int_equal(cman_scenario_load(yaml, NULL, 0, &sc, &err), 0);
	if (cman_sim_new_cached(&sc, NULL, cache, &sim, &err) || cman_sim_run(sim, &err))
		fail_msg("run: %s", err.msg);
	cost = cman_sim_totals(sim)->total_cost;
	cman_sim_free(sim);
	cman_scenario_release(&sc);
	return cost;
}

static void test_loaded_once(void **state)
{
	struct cman_sim_cache *cache = cman_sim_cache_new();

	assert_non_null(cache);
	assert_float_equal(run_cost(NULL), 3.5, 1e-9);
	assert_int_equal(cman_sim_cache_loads(cache), 0);
	assert_float_equal(run_cost(cache), 3.5, 1e-9);
	assert_int_equal(cman_sim_cache_loads(cache), 1);
	/* the next runs share the loaded store */
	assert_float_equal(run_cost(cache), 3.5, 1e-9);
	assert_float_equal(run_cost(cache), 3.5, 1e-9);
	assert_int_equal(cman_sim_cache_loads(cache), 1);
	cman_sim_cache_free(cache);
}

static void test_two_sims_share(void **state)
{
	struct cman_sim_cache *cache = cman_sim_cache_new();
	struct cman_scenario sc;
	struct cman_sim *a = NULL, *b = NULL;
	struct cman_error err = { 0 };

	assert_non_null(cache);
	assert_int_equal(cman_scenario_load(yaml, NULL, 0, &sc, &err), 0);
	assert_int_equal(cman_sim_new_cached(&sc, NULL, cache, &a, &err), 0);
	assert_int_equal(cman_sim_new_cached(&sc, NULL, cache, &b, &err), 0);
	assert_int_equal(cman_sim_cache_loads(cache), 1);
	assert_int_equal(cman_sim_run(a, &err), 0);
	cman_sim_free(a);   /* b's store is the cache's: still there */
	assert_int_equal(cman_sim_run(b, &err), 0);
	assert_float_equal(cman_sim_totals(b)->total_cost, 3.5, 1e-9);
	cman_sim_free(b);
	cman_scenario_release(&sc);
	cman_sim_cache_free(cache);
}

static void test_changed_file_reloaded(void **state)
{
	struct cman_sim_cache *cache = cman_sim_cache_new();

	assert_non_null(cache);
	assert_float_equal(run_cost(cache), 3.5, 1e-9);
	write_csv("1.00");   /* $1/h all along (and another size) */
	assert_float_equal(run_cost(cache), 2.0, 1e-9);
	assert_int_equal(cman_sim_cache_loads(cache), 2);
	/* the new content is the one kept now */
	assert_float_equal(run_cost(cache), 2.0, 1e-9);
	assert_int_equal(cman_sim_cache_loads(cache), 2);
	write_csv("2.0");
	cman_sim_cache_free(cache);
}

/* An autoscaler run of the file (the fleet sized by the signal). */
static void write_as_yaml(const char *path, const char *setpoint)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "name: cache-as\ncluster: test\npool: default\n"
		 "start_time: 2017-12-01T00:00:00Z\nend_time: 2017-12-01T02:00:00Z\n"
		 "metrics:\n  - csv: m.csv\nsimulation:\n  step_seconds: 600\n"
		 "pool_config:\n  autoscaling: {setpoint: %s}\n"
		 "  scaling_limits: {min_capacity: 1, max_capacity: 100}\n"
		 "resource_groups:\n  - spot_fleet:\n      id: fleet\n      SpotPrice: 5\n"
		 "      LaunchSpecifications:\n"
		 "        - {InstanceType: m5.large, Placement: {AvailabilityZone: us-west-2a},"
		 " WeightedCapacity: 2}\n", setpoint);
	cman_test_write_file(path, buf);
}

/*
 * Autoscaler mode: the signals' copy of a cached store is made by the first
 * run and shared by the next runs of the same store, series and window (two
 * sims alive at once read the same copy, which outlives the first); the
 * totals are those of runs without a cache.
 */
static void test_signal_copies_shared(void **state)
{
	struct cman_sim_cache *cache = cman_sim_cache_new();
	struct cman_scenario sa, sb;
	struct cman_sim *a = NULL, *b = NULL, *c = NULL;
	struct cman_error err = { 0 };
	const struct cman_store *first;
	char path[600];
	double cost;

	(void)state;
	assert_non_null(cache);
	snprintf(path, sizeof(path), "%s/as.yaml", dir);
	write_as_yaml(path, "0.5");
	assert_int_equal(cman_scenario_load(path, NULL, 0, &sa, &err), 0);
	if (cman_sim_new(&sa, NULL, &c, &err) || cman_sim_run(c, &err))
		fail_msg("uncached: %s", err.msg);
	cost = cman_sim_totals(c)->total_cost;
	assert_true(cost > 0);
	assert_false(c->sig_cached[0]);
	cman_sim_free(c);
	write_as_yaml(path, "0.8");   /* another point of a sweep: same series */
	assert_int_equal(cman_scenario_load(path, NULL, 0, &sb, &err), 0);
	assert_int_equal(cman_sim_new_cached(&sa, NULL, cache, &a, &err), 0);
	assert_int_equal(cman_sim_new_cached(&sb, NULL, cache, &b, &err), 0);
	assert_int_equal(a->n_sig_stores, 1);
	assert_true(a->sig_cached[0] && b->sig_cached[0]);
	assert_ptr_equal(a->sig_stores[0], b->sig_stores[0]);
	first = a->sig_stores[0];
	assert_int_equal(cman_sim_run(a, &err), 0);
	assert_float_equal(cman_sim_totals(a)->total_cost, cost, 1e-12);
	cman_sim_free(a);
	assert_int_equal(cman_sim_run(b, &err), 0);   /* the copy is still there */
	cman_sim_free(b);
	/* a run with another window has its own copy */
	cman_scenario_release(&sb);
	sa.end_time -= 600;
	assert_int_equal(cman_sim_new_cached(&sa, NULL, cache, &a, &err), 0);
	assert_int_equal(cman_sim_new_cached(&sa, NULL, cache, &b, &err), 0);
	assert_ptr_equal(a->sig_stores[0], b->sig_stores[0]);
	assert_ptr_not_equal(a->sig_stores[0], first);
	cman_sim_free(a);
	cman_sim_free(b);
	cman_scenario_release(&sa);
	cman_sim_cache_free(cache);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loaded_once),
		cmocka_unit_test(test_two_sims_share),
		cmocka_unit_test(test_changed_file_reloaded),
		cmocka_unit_test(test_signal_copies_shared),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
