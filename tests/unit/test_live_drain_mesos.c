/*
 * test_live_drain_mesos.c - the Mesos drainer (live/drain_mesos.h) against
 * the fake Mesos master (tests/fake/mesos_master.c, fixtures in
 * tests/fixtures/mesos): the maintenance window it schedules, drained
 * detection from the maintenance status and the agents' tasks, the release
 * that takes machines out of the schedule; then a whole draining pool (the
 * pool manager with the Mesos connector, this drainer and an SQLite state
 * table) against a master that fails: the drain stays pending, is recorded,
 * is retried next cycle, and nothing is terminated before the deadline.
 *
 * From the fixtures (pool "default"): h1 = 10.1.2.3 runs tasks; h2 =
 * 10.1.2.4 runs none; 10.9.9.9 has no agent.
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

#include "cman/drain.h"
#include "cman/live/drain_mesos.h"
#include "cman/live/mesos.h"
#include "cman/pool.h"
#include "cman/store.h"
#include "fake_http.h"
#include "mesos_master.h"

#define NOW 1700000000

static struct fake_http *fake;
static struct fake_mesos *master;
static char self_loc[64];

static void no_sleep(void *ctx, long ms)
{
	(void)ctx;
	(void)ms;
}

/* A fresh master (fixtures) and a reloaded connector; attempts per call. */
static struct cman_mesos *fresh(int attempts)
{
	struct cman_mesos_config cfg;
	struct cman_mesos *m;
	struct cman_error err;

	fake_http_reset(fake);
	fake_mesos_free(master);
	master = fake_mesos_new(FAKE_MESOS_FIXTURES);
	assert_non_null(master);
	fake_mesos_set_leader(master, self_loc, 1);
	fake_mesos_attach(master, fake);
	cman_mesos_config_init(&cfg);
	snprintf(cfg.master, sizeof(cfg.master), "%s", fake_http_url(fake));
	snprintf(cfg.pool, sizeof(cfg.pool), "default");
	cfg.connect_timeout_ms = 10000;
	cfg.timeout_ms = 20000;
	cfg.max_attempts = attempts;
	cfg.sleep_ms = no_sleep;
	assert_int_equal(cman_mesos_new(&cfg, &m, &err), 0);
	if (cman_mesos_reload(m, &err))
		fail_msg("%s", err.msg);
	fake_http_reset(fake);
	return m;
}

static void machine(struct cman_drain_machine *m, const char *id, const char *ip)
{
	memset(m, 0, sizeof(*m));
	m->instance_id = (char *)id;
	m->group_id = (char *)"sfr-1";
	m->ip = (char *)ip;
	m->started = NOW;
	m->deadline = NOW + 600;
}

static size_t count_type(const char *type)
{
	size_t i, k = 0;

	for (i = 0; i < fake_http_count(fake); i++) {
		struct fake_request r = fake_http_request(fake, i);

		if (r.body && strstr(r.body, type))
			k++;
	}
	return k;
}

static void test_start_drained_release(void **state)
{
	struct cman_mesos *m = fresh(3);
	struct cman_mesos_drainer *md;
	struct cman_drainer *dr;
	struct cman_drain_machine v[3];
	bool drained[3] = { false, false, false };
	struct cman_error err;
	char *s;

	(void)state;
	assert_int_equal(cman_mesos_drainer_new(m, &md, &err), 0);
	dr = cman_mesos_drainer(md);
	machine(&v[0], "i-2", "10.1.2.4");
	machine(&v[1], "i-1", "10.1.2.3");
	machine(&v[2], "i-9", "10.9.9.9");
	v[2].deadline = NOW + 900;
	assert_int_equal(dr->ops->start(dr, v, 3, NOW, &err), 0);
	/* named as the agents registered; the one without an agent by its IP */
	assert_string_equal(v[0].hostname, "h2");
	assert_string_equal(v[1].hostname, "h1");
	assert_string_equal(v[2].hostname, "");
	assert_int_equal(count_type("UPDATE_MAINTENANCE_SCHEDULE"), 1);
	/* one window for the three, from now to the latest deadline (900 s);
	 * h1 left the fixture's first window */
	s = fake_mesos_schedule(master);
	assert_non_null(strstr(s, "{\"machine_ids\":[{\"hostname\":\"h2\",\"ip\":\"10.1.2.4\"},"
				  "{\"hostname\":\"h1\",\"ip\":\"10.1.2.3\"},{\"ip\":\"10.9.9.9\"}],"
				  "\"unavailability\":{\"start\":{\"nanoseconds\":"
				  "1700000000000000000},\"duration\":{\"nanoseconds\":"
				  "900000000000}}}"));
	assert_non_null(strstr(s, "{\"machine_ids\":[{\"hostname\":\"h9\",\"ip\":\"10.1.2.99\"}]"));
	free(s);

	/* h2 runs nothing and is in maintenance: drained; h1 runs tasks: not;
	 * 10.9.9.9 has no agent: drained */
	fake_http_reset(fake);
	assert_int_equal(dr->ops->drained(dr, v, 3, drained, &err), 0);
	assert_true(drained[0]);
	assert_false(drained[1]);
	assert_true(drained[2]);
	assert_int_equal(count_type("GET_MAINTENANCE_STATUS"), 1);
	assert_int_equal(count_type("UPDATE_MAINTENANCE_SCHEDULE"), 0);

	/* a machine with an idle agent that is not in maintenance is not
	 * drained (the schedule was changed behind our back) */
	{
		struct cman_drain_machine h3;
		bool d3 = true;

		machine(&h3, "i-3", "10.1.2.5");
		snprintf(h3.hostname, sizeof(h3.hostname), "h3");
		assert_int_equal(dr->ops->drained(dr, &h3, 1, &d3, &err), 0);
		assert_false(d3);
	}

	/* released after termination: out of the schedule, not left down */
	fake_http_reset(fake);
	assert_int_equal(dr->ops->release(dr, v, 1, &err), 0);
	assert_int_equal(count_type("START_MAINTENANCE"), 1);
	assert_int_equal(count_type("STOP_MAINTENANCE"), 1);
	s = fake_mesos_schedule(master);
	assert_null(strstr(s, "\"h2\""));
	assert_non_null(strstr(s, "\"h1\""));
	free(s);
	s = fake_mesos_down(master);
	assert_string_equal(s, "[]");
	free(s);
	/* releasing it again (no longer scheduled: Mesos refuses) and h1 with
	 * it: h1 is still released, the refusal skipped */
	{
		struct cman_drain_machine two[2];

		two[0] = v[0];
		two[1] = v[1];
		assert_int_equal(dr->ops->release(dr, two, 2, &err), 0);
	}
	s = fake_mesos_schedule(master);
	assert_null(strstr(s, "\"h1\""));
	free(s);
	/* a machine already down (brought down by an operator once drained):
	 * released all the same, out of the schedule and no longer down */
	assert_int_equal(dr->ops->start(dr, v, 1, NOW, &err), 0);
	{
		struct cman_mesos_machine h2 = { .hostname = "h2", .ip = "10.1.2.4" };

		if (cman_mesos_down(m, &h2, 1, &err))
			fail_msg("%s", err.msg);
	}
	s = fake_mesos_down(master);
	assert_string_equal(s, "[{\"hostname\":\"h2\",\"ip\":\"10.1.2.4\"}]");
	free(s);
	fake_http_reset(fake);
	if (dr->ops->release(dr, v, 1, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(count_type("STOP_MAINTENANCE"), 1);
	s = fake_mesos_schedule(master);
	assert_null(strstr(s, "\"h2\""));
	free(s);
	s = fake_mesos_down(master);
	assert_string_equal(s, "[]");
	free(s);
	cman_mesos_drainer_free(md);
	cman_mesos_free(m);
}

/* ---- a draining pool against the master ------------------------------------------ */

struct fake_group {
	struct cman_resource_group base;
	double target;
	struct cman_rg_instance inst[2];
	size_t n;
	int n_terminate;
	char terminated[128];
};

static int f_target(const struct cman_resource_group *rg, double *out, struct cman_error *err)
{
	*out = ((const struct fake_group *)rg)->target;
	return 0;
}

static int f_fulfilled(const struct cman_resource_group *rg, double *out,
		       struct cman_error *err)
{
	const struct fake_group *g = (const struct fake_group *)rg;

	*out = 0;
	for (size_t i = 0; i < g->n; i++)
		if (g->inst[i].state == CMAN_INSTANCE_RUNNING)
			*out += g->inst[i].weight;
	return 0;
}

static int f_instances(struct cman_resource_group *rg, const struct cman_rg_instance **out,
		       size_t *n, struct cman_error *err)
{
	*out = ((struct fake_group *)rg)->inst;
	*n = ((struct fake_group *)rg)->n;
	return 0;
}

static int f_modify(struct cman_resource_group *rg, double target, bool dry_run,
		    struct cman_error *err)
{
	if (!dry_run)
		((struct fake_group *)rg)->target = target;
	return 0;
}

static int f_terminate(struct cman_resource_group *rg, const char *const *ids, size_t n,
		       bool dry_run, size_t *n_done, bool *failed, struct cman_error *err)
{
	struct fake_group *g = (struct fake_group *)rg;

	g->n_terminate++;
	for (size_t i = 0; i < n; i++) {
		strcat(g->terminated, ids[i]);
		for (size_t j = 0; j < g->n; j++)
			if (!dry_run && !strcmp(g->inst[j].id, ids[i]))
				g->inst[j].state = CMAN_INSTANCE_SHUTTING_DOWN;
	}
	return 0;
}

static double f_min(const struct cman_resource_group *rg)
{
	return 0;
}

static double f_max(const struct cman_resource_group *rg)
{
	return 10;
}

static const struct cman_rg_ops fake_rg_ops = {
	.kind = "fake", .target_capacity = f_target, .fulfilled_capacity = f_fulfilled,
	.instances = f_instances, .modify_target = f_modify, .terminate = f_terminate,
	.min_capacity = f_min, .max_capacity = f_max,
};

struct fake_clock {
	struct cman_clock base;
	int64_t now;
};

static int64_t k_now(const struct cman_clock *c)
{
	return ((const struct fake_clock *)c)->now;
}

static const struct cman_clock_ops clock_ops = { .now = k_now };

static void test_pool_master_errors(void **state)
{
	struct cman_mesos *m = fresh(1);   /* one attempt: one 500 fails a call */
	struct cman_mesos_drainer *md;
	struct fake_group g = { .base = { &fake_rg_ops, "sfr-1" }, .target = 2, .n = 2 };
	struct cman_resource_group *ptrs[1] = { &g.base };
	struct fake_clock clk = { { &clock_ops }, NOW };
	struct cman_pool_config cfg;
	struct cman_pool_manager pm;
	struct cman_drain drain;
	struct cman_decision d;
	struct cman_store *st;
	struct cman_error err;
	char path[] = "/tmp/cman-drain-mesos-XXXXXX";
	int fd = mkstemp(path);
	char *s;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	/* i-2 on h2 (idle), i-1 on h1 (busy: max_tasks_to_kill keeps it) */
	g.inst[0] = (struct cman_rg_instance){ .id = "i-2", .ip = "10.1.2.4",
		.state = CMAN_INSTANCE_RUNNING, .weight = 1, .launch_time = NOW - 5000 };
	g.inst[1] = (struct cman_rg_instance){ .id = "i-1", .ip = "10.1.2.3",
		.state = CMAN_INSTANCE_RUNNING, .weight = 1, .launch_time = NOW - 6000 };
	cman_pool_config_init(&cfg);
	cfg.max_tasks_to_kill = 0;
	assert_int_equal(cman_store_sqlite_open(path, true, &st, &err), 0);
	assert_int_equal(cman_mesos_drainer_new(m, &md, &err), 0);
	assert_int_equal(cman_drain_init(&drain, cman_mesos_drainer(md), st, "c1.default.mesos",
					 600, &err), 0);
	cman_pool_manager_init(&pm, &cfg, ptrs, 1, cman_mesos_connector(m), &clk.base);
	pm.drain = &drain;
	cman_decision_init(&d);

	/* cycle 1: the master fails the schedule read: i-2 is chosen, recorded,
	 * pending, not terminated */
	fake_http_push(fake, &(struct fake_reply){ .status = 500, .body = "boom" });
	assert_int_equal(cman_pool_modify(&pm, 1, &d, &err), 0);
	assert_true(g.target == 1);
	assert_int_equal(d.drain[CMAN_DRAIN_STARTED].n, 1);
	assert_string_equal(cman_decision_str(&d, d.drain[CMAN_DRAIN_STARTED].ids[0]), "i-2");
	assert_int_equal(d.drain[CMAN_DRAIN_PENDING].n, 1);
	assert_true(d.drain_failed);
	assert_non_null(strstr(cman_decision_str(&d, d.drain_error), "starting to drain"));
	assert_int_equal(g.n_terminate, 0);
	s = fake_mesos_schedule(master);
	assert_null(strstr(s, "\"h2\""));
	free(s);

	/* cycle 2: retried, and this time scheduled; not asked whether drained
	 * before the next reload */
	clk.now = NOW + 60;
	cman_decision_reset(&d);
	fake_http_reset(fake);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	assert_int_equal(cman_pool_modify(&pm, 1, &d, &err), 0);
	assert_false(d.drain_failed);
	assert_int_equal(d.drain[CMAN_DRAIN_STARTED].n, 0);   /* not chosen twice */
	s = fake_mesos_schedule(master);
	assert_non_null(strstr(s, "{\"hostname\":\"h2\",\"ip\":\"10.1.2.4\"}"));
	free(s);
	assert_int_equal(g.n_terminate, 0);

	/* cycle 3: the status call fails: h2 is idle and scheduled, but without
	 * the master's word it is not terminated */
	clk.now = NOW + 120;
	cman_decision_reset(&d);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	fake_http_reset(fake);
	fake_http_push(fake, &(struct fake_reply){ .status = 503, .body = "no leader" });
	assert_int_equal(cman_pool_modify(&pm, 1, &d, &err), 0);
	assert_true(d.drain_failed);
	assert_int_equal(g.n_terminate, 0);
	assert_int_equal(d.drain[CMAN_DRAIN_PENDING].n, 1);

	/* cycle 4: the master answers: drained, terminated, released */
	clk.now = NOW + 180;
	cman_decision_reset(&d);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	assert_int_equal(cman_pool_modify(&pm, 1, &d, &err), 0);
	assert_false(d.drain_failed);
	assert_string_equal(g.terminated, "i-2");
	assert_int_equal(d.drain[CMAN_DRAIN_DRAINED].n, 1);
	assert_int_equal(d.drain[CMAN_DRAIN_PENDING].n, 0);
	s = fake_mesos_schedule(master);
	assert_null(strstr(s, "\"h2\""));
	free(s);

	cman_decision_release(&d);
	cman_pool_manager_release(&pm);
	cman_drain_release(&drain);
	cman_mesos_drainer_free(md);
	cman_store_free(st);
	cman_pool_config_release(&cfg);
	cman_mesos_free(m);
	unlink(path);
}

static int setup(void **state)
{
	fake = fake_http_start();
	if (!fake)
		return -1;
	snprintf(self_loc, sizeof(self_loc), "//127.0.0.1:%d", fake_http_port(fake));
	return 0;
}

static int teardown(void **state)
{
	fake_http_stop(fake);
	fake_mesos_free(master);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_drained_release),
		cmocka_unit_test(test_pool_master_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
