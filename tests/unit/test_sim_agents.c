/*
 * Unit tests of what autoscaler mode keeps up to date as instances launch,
 * join and end (issue 12): the connector's totals of joined agents, the
 * tasks it spreads over them as of its last reload, and each simulated
 * group's summary for the pool manager (joined weight, lightest weight,
 * oldest orphan).  After random launches, joins and terminations each must
 * equal a full recount made here from the instances themselves.
 */
#include <math.h>
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

static int setup(void **state)
{
	(void)state;
	assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-simagents."));
	snprintf(csv, sizeof(csv), "%s/m.csv", dir);
	snprintf(yaml, sizeof(yaml), "%s/s.yaml", dir);
	cman_test_write_file(csv,
		             "kind,key,timestamp,market,value\n"
		             "metadata,\"spot_prices|aws_availability_zone=us-west-2a,"
		             "aws_instance_type=m5.large\",2017-12-01T00:00:00Z,,0.01\n"
		             "metadata,\"spot_prices|aws_availability_zone=us-west-2b,"
		             "aws_instance_type=m5.2xlarge\",2017-12-01T00:00:00Z,,0.02\n"
		             "system_metrics,\"cpus_allocated|cluster=test,pool=default.mesos\","
		             "2017-12-01T00:00:00Z,,10\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(csv);
	unlink(yaml);
	rmdir(dir);
	return 0;
}

/* A scenario with a two-market fleet (weights w1, w2) and an ASG of
 * weight w3; ebs: the EBS volume (GB) of types without local disk. */
static void write_scenario(const char *w1, const char *w2, const char *w3, const char *ebs)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "name: agents\ncluster: test\npool: default\n"
		 "start_time: 2017-12-01T00:00:00Z\nend_time: 2017-12-02T00:00:00Z\n"
		 "metrics:\n  - csv: m.csv\n"
		 "simulation:\n  step_seconds: 600\n  ebs_volume_gb: %s\n"
		 "  join_delay: {mean_seconds: 300, stdev_seconds: 200}\n"
		 "pool_config:\n  autoscaling: {setpoint: 0.7}\n"
		 "  scaling_limits: {min_capacity: 0, max_capacity: 100000}\n"
		 "resource_groups:\n"
		 "  - spot_fleet:\n      id: fleet\n      SpotPrice: 1\n"
		 "      LaunchSpecifications:\n"
		 "        - {InstanceType: m5.large, Placement: {AvailabilityZone: us-west-2a},"
		 " WeightedCapacity: %s}\n"
		 "        - {InstanceType: m5.2xlarge, Placement: {AvailabilityZone: us-west-2b},"
		 " WeightedCapacity: %s}\n"
		 "  - auto_scaling_group: {id: asg, InstanceType: m5.xlarge,"
		 " AvailabilityZones: [us-west-2a, us-west-2b], MinSize: 0, MaxSize: 100000,"
		 " WeightedCapacity: %s}\n", ebs, w1, w2, w3);
	cman_test_write_file(yaml, buf);
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* ---- the recounts ------------------------------------------------------------ */

/* The joined agents' totals, summed in launch order (as a walk does). */
static void recount_totals(const struct cman_sim *sim, double *total)
{
	size_t i;
	int r;

	for (r = 0; r < CMAN_RES_COUNT; r++)
		total[r] = 0;
	for (i = 0; i < sim->n_inst; i++) {
		const struct sim_instance *in = &sim->inst[i];
		const struct sim_market *m = &sim->markets[in->market];

		if (in->end != NO_TIME || !in->joined)
			continue;
		total[CMAN_RES_CPUS] += m->it->cpus;
		total[CMAN_RES_MEM] += m->it->mem_mb;
		total[CMAN_RES_DISK] += m->it->has_local_disk ? m->it->disk_mb
							      : sim->sc->ebs_volume_gb * 1024.0;
		total[CMAN_RES_GPUS] += m->it->gpus;
	}
}

/* The tasks of every instance: allocated CPUs packed onto the joined
 * running instances oldest first (tasks[i] for instance i; -1: ended). */
static void recount_tasks(const struct cman_sim *sim, int *tasks)
{
	double left = sim->allocated;
	size_t i;

	for (i = 0; i < sim->n_inst; i++) {
		const struct sim_instance *in = &sim->inst[i];
		double cpus = sim->markets[in->market].it->cpus, take;

		tasks[i] = in->end != NO_TIME ? -1 : 0;
		if (in->end != NO_TIME || !in->joined)
			continue;
		take = left < cpus ? left : cpus;
		if (take > 0) {
			tasks[i] = (int)ceil(take);
			left -= take;
		}
	}
}

/* Group g's summary recounted from its instances() and the agents. */
static void recount_summary(struct cman_sim *sim, size_t g, struct cman_rg_summary *s)
{
	struct cman_resource_group *rg = sim->group_ptrs[g];
	const struct cman_connector *c = &sim->conn->base;
	const struct cman_rg_instance *inst;
	size_t n, j;

	assert_int_equal(rg->ops->instances(rg, &inst, &n, NULL), 0);
	s->n = n;
	s->joined = 0;
	s->lightest = INFINITY;
	s->oldest_orphan = INT64_MAX;
	for (j = 0; j < n; j++) {
		struct cman_agent a;

		c->ops->agent_by_key(c, inst[j].agent_key, &a);
		if (inst[j].weight < s->lightest)
			s->lightest = inst[j].weight;
		if (a.state == CMAN_AGENT_IDLE || a.state == CMAN_AGENT_RUNNING)
			s->joined += inst[j].weight;
		if (a.state == CMAN_AGENT_ORPHANED && a.orphaned_since < s->oldest_orphan)
			s->oldest_orphan = a.orphaned_since;
	}
}

/* ---- driving the simulation -------------------------------------------------- */

static struct cman_sim *new_sim(void)
{
	struct cman_scenario *sc = calloc(1, sizeof(*sc));
	struct cman_sim *sim = NULL;
	struct cman_error err = { 0 };

	assert_non_null(sc);
	assert_int_equal(cman_scenario_load(yaml, NULL, 0, sc, &err), 0);
	if (cman_sim_new(sc, NULL, &sim, &err))
		fail_msg("sim: %s", err.msg);
	assert_true(sim->autoscaling);
	sim->now = sc->start_time;
	return sim;
}

static void free_sim(struct cman_sim *sim)
{
	struct cman_scenario *sc = (struct cman_scenario *)sim->sc;

	cman_sim_free(sim);
	cman_scenario_release(sc);
	free(sc);
}

/* One random change: time passes (due agents join), a group grows, or
 * random instances of a group are terminated. */
static void random_step(struct cman_sim *sim)
{
	struct cman_error err = { 0 };
	size_t g = rnd((uint32_t)sim->n_groups), i;
	struct sim_group *grp = &sim->groups[g];
	struct cman_resource_group *rg = sim->group_ptrs[g];

	switch (rnd(4)) {
	case 0:
		sim->now += rnd(300);
		for (i = 0; i < sim->n_inst; i++) {
			struct sim_instance *in = &sim->inst[i];

			if (in->end == NO_TIME && !in->joined && in->join <= sim->now)
				sim_join_instance(sim, (uint32_t)i);
		}
		break;
	case 1:
		if (rg->ops->modify_target(rg, grp->target + rnd(40), false, &err))
			fail_msg("grow: %s", err.msg);
		break;
	default: {
		const struct cman_rg_instance *inst;
		const char *ids[8];
		char copy[8][16];
		size_t n, k = 0, want = rnd(5);

		assert_int_equal(rg->ops->instances(rg, &inst, &n, NULL), 0);
		for (k = 0; k < want && n; k++) {
			snprintf(copy[k], sizeof(copy[k]), "%s", inst[rnd((uint32_t)n)].id);
			ids[k] = copy[k];
		}
		/* the target first, so that the group does not refill at once */
		grp->target = grp->target > 20 ? grp->target - rnd(20) : 0;
		if (rg->ops->terminate(rg, ids, k, false, NULL, NULL, &err))
			fail_msg("terminate: %s", err.msg);
		break;
	}
	}
}

/* Every aggregate equals its recount now. */
static void check_all(struct cman_sim *sim, bool summaries)
{
	const struct cman_connector *c = &sim->conn->base;
	struct cman_error err = { 0 };
	double total[CMAN_RES_COUNT], nof, want_nof = 0;
	int *tasks = calloc(sim->n_inst + 1, sizeof(int));
	size_t g, i;
	int r;

	assert_non_null(tasks);
	assert_int_equal(c->ops->reload(&sim->conn->base, &err), 0);
	recount_totals(sim, total);
	for (r = 0; r < CMAN_RES_COUNT; r++)
		assert_true(c->ops->total(c, (enum cman_resource)r) == total[r]);
	recount_tasks(sim, tasks);
	for (i = 0; i < sim->n_inst; i++) {
		struct cman_agent a;

		c->ops->agent_by_key(c, i + 1, &a);
		if (tasks[i] < 0) {
			assert_int_equal(a.state, CMAN_AGENT_UNKNOWN);
			continue;
		}
		assert_int_equal(a.tasks, tasks[i]);
	}
	for (g = 0; g < sim->n_groups; g++) {
		struct cman_resource_group *rg = sim->group_ptrs[g];
		struct cman_rg_summary want, got;

		recount_summary(sim, g, &want);
		want_nof += want.joined;
		assert_int_equal(rg->ops->summary(rg, &got), summaries);
		if (!summaries)
			continue;
		assert_int_equal(got.n, want.n);
		assert_true(got.joined == want.joined);
		assert_true(got.lightest == want.lightest);
		assert_true(got.oldest_orphan == want.oldest_orphan);
	}
	/* the pool manager's sum, from the summaries or by walking */
	assert_int_equal(cman_pool_non_orphan_fulfilled(&sim->pm, &nof, &err), 0);
	assert_true(nof == want_nof);
	sim_connector_run_done(sim);
	free(tasks);
}

static void run_random(bool summaries)
{
	struct cman_sim *sim = new_sim();
	int step;

	for (step = 0; step < 3000; step++) {
		random_step(sim);
		/* allocations change between autoscaler runs */
		if (step % 7 == 0)
			sim->allocated = rnd(100000) / 7.0;
		if (step % 10 == 0)
			check_all(sim, summaries);
	}
	assert_true(sim->n_inst > 200);
	free_sim(sim);
}

/* Whole weights and resources: kept counts, answered without walking. */
static void test_random_exact(void **state)
{
	(void)state;
	write_scenario("2", "8", "4", "100");
	run_random(true);
}

/* A fractional weight: the groups give no summary, the pool manager walks;
 * a fractional EBS volume: the connector sums its totals by walking. */
static void test_random_fractional(void **state)
{
	(void)state;
	write_scenario("2.5", "8", "4.25", "0.3");
	run_random(false);
	write_scenario("2", "8", "4", "0.3");
	run_random(true);
}

/*
 * The tasks are those of the reload's picture however the instances change
 * before anyone asks during the run: ended ones kept theirs, new ones
 * (joined at once) have none.
 */
static void test_tasks_as_of_reload(void **state)
{
	struct cman_sim *sim;
	const struct cman_connector *c;
	struct cman_error err = { 0 };
	int *tasks;
	size_t n0, i, k;

	(void)state;
	write_scenario("2", "8", "4", "100");
	sim = new_sim();
	c = &sim->conn->base;
	for (k = 0; k < 20; k++)
		random_step(sim);
	for (k = 0; k < 5; k++) {
		struct cman_resource_group *rg = sim->group_ptrs[0];
		const struct cman_rg_instance *inst;
		const char *ids[3];
		char copy[3][16];
		size_t n;

		sim->allocated = 30 + 40 * (double)k + 0.5;
		assert_int_equal(c->ops->reload(&sim->conn->base, &err), 0);
		n0 = sim->n_inst;
		tasks = calloc(n0 + 1, sizeof(int));
		assert_non_null(tasks);
		recount_tasks(sim, tasks);
		/* during the run: the oldest instances end, new ones join at once */
		assert_int_equal(rg->ops->instances(rg, &inst, &n, NULL), 0);
		for (i = 0; i < 3 && i < n; i++) {
			snprintf(copy[i], sizeof(copy[i]), "%s", inst[i].id);
			ids[i] = copy[i];
		}
		sim->groups[0].target = sim->groups[0].fulfilled - 1;
		assert_int_equal(rg->ops->terminate(rg, ids, i, false, NULL, NULL, &err), 0);
		assert_int_equal(rg->ops->modify_target(rg, sim->groups[0].target + 30, false,
							&err), 0);
		for (i = n0; i < sim->n_inst; i++)
			if (!sim->inst[i].joined && sim->inst[i].end == NO_TIME)
				sim_join_instance(sim, (uint32_t)i);
		for (i = 0; i < sim->n_inst; i++) {
			struct cman_agent a;

			c->ops->agent_by_key(c, i + 1, &a);
			if (sim->inst[i].end != NO_TIME) {
				assert_int_equal(a.state, CMAN_AGENT_UNKNOWN);
				continue;
			}
			assert_int_equal(a.tasks, i < n0 ? tasks[i] : 0);
		}
		sim_connector_run_done(sim);
		free(tasks);
		sim->now += 600;
	}
	free_sim(sim);
}

/* sim_format_id() a word at a time (issue 12): the bytes of "i-%08x", and
 * sim_parse_id() reads them back, for every digit value in every place. */
static void test_format_id(void **state)
{
	uint32_t rnd = 1, id, back;
	char got[16], want[16];
	int i, place, digit;

	(void)state;
	for (i = 0; i < 100000 + 8 * 16; i++) {
		if (i < 8 * 16) {
			place = i / 16;
			digit = i % 16;
			id = (uint32_t)digit << (4 * place) | (i & 1 ? 0x9a5f0e61u & ~(15u << (4 * place)) : 0);
		} else {
			rnd = rnd * 1103515245u + 12345u;
			id = rnd ^ (rnd >> 13) ^ ((uint32_t)i << 20);
		}
		if (i == 100000)
			id = UINT32_MAX;
		memset(got, 'z', sizeof(got));
		sim_format_id(got, id);
		snprintf(want, sizeof(want), "i-%08x", id);
		assert_memory_equal(got, want, 11);
		assert_true(sim_parse_id(got, &back) && back == id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_exact),
		cmocka_unit_test(test_random_fractional),
		cmocka_unit_test(test_tasks_as_of_reload),
		cmocka_unit_test(test_format_id),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
