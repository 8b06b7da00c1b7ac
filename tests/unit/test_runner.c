/*
 * test_runner.c - the pool runner (runner.h, issue 10): one autoscaler
 * cycle in common/ (reload, refresh, decide, apply, record, reschedule,
 * lost capacity), its dry run and live record, and how failures of the
 * reload, the refresh and a resource group are handled.  A fake group,
 * connector and clock; the default signal over a memory store.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cman/metrics.h"
#include "cman/runner.h"
#include "cman/signal.h"
#include "cman/store.h"

#define NOW 1512115200   /* 2017-12-01T08:00:00Z */
#define NINST 10

struct fake_group {
	struct cman_resource_group base;
	double target;
	struct cman_rg_instance inst[NINST];
	char ids[NINST][16];
	size_t n;
	int refreshes, modifies, refresh_rc, modify_rc;
	bool last_dry;
};

static int g_refresh(struct cman_resource_group *rg, struct cman_error *err)
{
	struct fake_group *g = (struct fake_group *)rg;

	g->refreshes++;
	if (g->refresh_rc)
		return cman_error_set(err, g->refresh_rc, "throttled here");
	return 0;
}

static int g_target(const struct cman_resource_group *rg, double *out, struct cman_error *err)
{
	*out = ((const struct fake_group *)rg)->target;
	return 0;
}

static int g_fulfilled(const struct cman_resource_group *rg, double *out,
		       struct cman_error *err)
{
	*out = (double)((const struct fake_group *)rg)->n;
	return 0;
}

static int g_instances(struct cman_resource_group *rg, const struct cman_rg_instance **out,
		       size_t *n, struct cman_error *err)
{
	*out = ((struct fake_group *)rg)->inst;
	*n = ((struct fake_group *)rg)->n;
	return 0;
}

static int g_modify(struct cman_resource_group *rg, double target, bool dry_run,
		    struct cman_error *err)
{
	struct fake_group *g = (struct fake_group *)rg;

	g->modifies++;
	g->last_dry = dry_run;
	if (g->modify_rc)
		return cman_error_set(err, g->modify_rc, "no capacity");
	if (!dry_run)
		g->target = target;
	return 0;
}

static int g_terminate(struct cman_resource_group *rg, const char *const *ids, size_t n,
		       bool dry_run, size_t *n_done, bool *failed, struct cman_error *err)
{
	if (n_done)
		*n_done = 0;
	return 0;
}

static bool g_stale(const struct cman_resource_group *rg)
{
	return false;
}

static double g_min(const struct cman_resource_group *rg)
{
	return 0;
}

static double g_max(const struct cman_resource_group *rg)
{
	return INFINITY;
}

static const struct cman_rg_ops g_ops = {
	.kind = "fake",
	.refresh = g_refresh,
	.target_capacity = g_target,
	.fulfilled_capacity = g_fulfilled,
	.instances = g_instances,
	.modify_target = g_modify,
	.terminate = g_terminate,
	.is_stale = g_stale,
	.min_capacity = g_min,
	.max_capacity = g_max,
};

struct fake_conn {
	struct cman_connector base;
	int reloads, reload_rc;
};

static int c_reload(struct cman_connector *c, struct cman_error *err)
{
	struct fake_conn *fc = (struct fake_conn *)c;

	fc->reloads++;
	if (fc->reload_rc)
		return cman_error_set(err, fc->reload_rc, "master unreachable");
	return 0;
}

static void c_agent(const struct cman_connector *c, const char *id, struct cman_agent *out)
{
	memset(out, 0, sizeof(*out));
	out->state = CMAN_AGENT_RUNNING;
	out->tasks = 1;
	out->safe_to_kill = true;
}

static double c_total(const struct cman_connector *c, enum cman_resource r)
{
	return r == CMAN_RES_CPUS ? 4.0 * NINST : 0;
}

static double c_allocated(const struct cman_connector *c, enum cman_resource r)
{
	return 0;
}

static const struct cman_connector_ops c_ops = {
	.kind = "fake",
	.reload = c_reload,
	.agent = c_agent,
	.total = c_total,
	.allocated = c_allocated,
};

struct fake_clock {
	struct cman_clock base;
	int64_t now;
};

static int64_t k_now(const struct cman_clock *c)
{
	return ((const struct fake_clock *)c)->now;
}

static const struct cman_clock_ops k_ops = { .now = k_now };

struct rig {
	struct cman_pool_config cfg;
	struct fake_group g;
	struct cman_resource_group *groups[1];
	struct fake_conn conn;
	struct fake_clock clock;
	struct cman_pool_manager pm;
	struct cman_store *metrics;
	struct cman_signal *def;
	struct cman_autoscaler a;
	struct cman_pool_runner r;
	char *buf;
	size_t len;
	FILE *out;
};

/* A pool of NINST machines of 4 CPUs, cpus_allocated recorded a minute ago. */
static struct rig *rig_new(double cpus_allocated)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct cman_error e = { 0 };
	char key[CMAN_KEY_MAX];
	struct cman_sample s = { .t = NOW - 60, .value = cpus_allocated };

	assert_non_null(r);
	cman_pool_config_init(&r->cfg);
	r->g.base.ops = &g_ops;
	r->g.base.id = "sfr-1";
	r->g.target = NINST;
	r->g.n = NINST;
	for (size_t i = 0; i < NINST; i++) {
		snprintf(r->g.ids[i], sizeof(r->g.ids[i]), "i-%zu", i);
		r->g.inst[i].id = r->g.ids[i];
		r->g.inst[i].state = CMAN_INSTANCE_RUNNING;
		r->g.inst[i].weight = 1;
		r->g.inst[i].launch_time = NOW - 7200;
	}
	r->groups[0] = &r->g.base;
	r->conn.base.ops = &c_ops;
	r->clock.base.ops = &k_ops;
	r->clock.now = NOW;
	cman_pool_manager_init(&r->pm, &r->cfg, r->groups, 1, &r->conn.base, &r->clock.base);
	assert_int_equal(cman_store_memory_new(&r->metrics, &e), 0);
	cman_metric_key_pool(key, sizeof(key), "cpus_allocated", "prod", "batch", "mesos");
	assert_int_equal(cman_store_write(r->metrics, CMAN_SYSTEM_METRICS, key, &s, &e), 0);
	assert_int_equal(cman_signal_new(cman_signal_default_config(), "prod", "batch",
					 &r->def, &e), 0);
	r->a.cfg = &r->cfg;
	r->a.cluster = "prod";
	r->a.pool = "batch";
	r->a.scheduler = "mesos";
	r->a.default_signal = r->def;
	r->a.stores = &r->metrics;
	r->a.n_stores = 1;
	r->a.pm = &r->pm;
	r->a.clock = &r->clock.base;
	cman_pool_runner_init(&r->r, &r->a, 600);
	r->out = open_memstream(&r->buf, &r->len);
	assert_non_null(r->out);
	r->r.decisions = r->out;
	return r;
}

/* What the runner has written so far. */
static const char *written(struct rig *r)
{
	fflush(r->out);
	return r->buf ? r->buf : "";
}

static void rig_free(struct rig *r)
{
	fclose(r->out);
	free(r->buf);
	cman_pool_runner_release(&r->r);
	cman_autoscaler_release(&r->a);
	cman_pool_manager_release(&r->pm);
	cman_signal_free(r->def);
	cman_store_free(r->metrics);
	cman_pool_config_release(&r->cfg);
	free(r);
}

/* One cycle: reload, refresh, decide, apply, record, reschedule. */
static void test_cycle(void **state)
{
	struct rig *r = rig_new(40);   /* usage 1: 10 / 0.7 = 14.29, 15 machines */
	struct cman_error e = { 0 };

	assert_int_equal(cman_pool_runner_cycle(&r->r, &e), 0);
	assert_int_equal(r->conn.reloads, 1);
	assert_int_equal(r->g.refreshes, 1);
	assert_int_equal(r->g.modifies, 1);
	assert_false(r->g.last_dry);
	assert_true(r->g.target == 15);
	assert_true(fabs(r->r.decision.new_target - 10 / 0.7) < 1e-9);
	assert_true(r->r.decision.groups[0].planned == 15);
	assert_true(r->r.decision.groups[0].applied == 15);
	assert_int_equal(r->r.cycles, 1);
	assert_int_equal(r->r.next_time, NOW + 600);
	/* the simulator's line: none of live mode's keys */
	assert_non_null(strstr(written(r), "{\"time\":1512115200,"));
	assert_non_null(strstr(written(r), "\"group_targets\":{\"sfr-1\":15.0}"));
	assert_null(strstr(written(r), "dry_run"));
	assert_int_equal(strchr(written(r), '\n') - written(r) + 1, (long)strlen(written(r)));
	/* no stream: decided, nothing written */
	r->r.decisions = NULL;
	r->clock.now = NOW + 600;
	assert_int_equal(cman_pool_runner_cycle(&r->r, &e), 0);
	assert_int_equal(r->r.cycles, 2);
	assert_int_equal(r->r.next_time, NOW + 1200);
	assert_null(strstr(written(r), "1512115800"));
	rig_free(r);
}

/* dry_run: decided and recorded, nothing changed; the live line says so. */
static void test_dry_run_live_record(void **state)
{
	struct rig *r = rig_new(40);
	struct cman_error e = { 0 };

	r->r.dry_run = true;
	r->r.live_record = true;
	assert_int_equal(cman_pool_runner_cycle(&r->r, &e), 0);
	assert_int_equal(r->g.modifies, 1);
	assert_true(r->g.last_dry);
	assert_true(r->g.target == NINST);
	assert_true(r->pm.dry_run);
	assert_true(r->r.decision.dry_run);
	assert_non_null(strstr(written(r), "\"group_targets\":{\"sfr-1\":15.0}"));
	assert_non_null(strstr(written(r), "\"paused\":false,\"dry_run\":true,\"groups\":{\"sfr-1\":"
					   "{\"planned\":15.0,\"applied\":10.0,\"error\":null}},"
					   "\"terminate_failed\":[]}\n"));
	/* and back to acting */
	r->r.dry_run = false;
	assert_int_equal(cman_pool_runner_cycle(&r->r, &e), 0);
	assert_false(r->pm.dry_run);
	assert_true(r->g.target == 15);
	assert_non_null(strstr(written(r), "\"dry_run\":false"));
	rig_free(r);
}

/* A failed reload or refresh: nothing decided, recorded or counted; the
 * lost capacity waits for the next cycle. */
static void test_reload_refresh_fail(void **state)
{
	struct rig *r = rig_new(40);
	struct cman_error e = { 0 };

	cman_pool_runner_lost(&r->r, 3);
	r->g.refresh_rc = CMAN_ETHROTTLED;
	assert_int_equal(cman_pool_runner_cycle(&r->r, &e), CMAN_ETHROTTLED);
	assert_string_equal(e.msg, "autoscaler run at 2017-12-01T08:00:00Z: resource group "
				   "'sfr-1': throttled here");
	assert_int_equal(r->g.modifies, 0);
	assert_string_equal(written(r), "");
	assert_int_equal(r->r.cycles, 0);
	assert_int_equal(r->r.lost, 3);

	r->g.refresh_rc = 0;
	r->conn.reload_rc = CMAN_ETRANSIENT;
	assert_int_equal(cman_pool_runner_cycle(&r->r, &e), CMAN_ETRANSIENT);
	assert_string_equal(e.msg, "autoscaler run at 2017-12-01T08:00:00Z: master unreachable");
	assert_int_equal(r->g.refreshes, 1);     /* not refreshed after a failed reload */
	assert_string_equal(written(r), "");
	assert_int_equal(r->r.lost, 3);
	rig_free(r);
}

/* A group's failure: the decision is complete, recorded with the error,
 * the cycle counts, and the failure is returned. */
static void test_group_failure_recorded(void **state)
{
	struct rig *r = rig_new(40);
	struct cman_error e = { 0 };

	r->r.live_record = true;
	r->g.modify_rc = CMAN_EREJECTED;
	assert_int_equal(cman_pool_runner_cycle(&r->r, &e), CMAN_EREJECTED);
	assert_string_equal(e.msg, "autoscaler run at 2017-12-01T08:00:00Z: resource group "
				   "'sfr-1': no capacity");
	assert_int_equal(r->r.cycles, 1);
	assert_int_equal(r->r.next_time, NOW + 600);
	assert_non_null(strstr(written(r), "\"sfr-1\":{\"planned\":15.0,\"applied\":10.0,"
					   "\"error\":\"no capacity\"}"));
	rig_free(r);
}

/* Lost capacity reaches the prevent-scale-down rule once, then resets. */
static void test_lost_capacity(void **state)
{
	struct rig *r = rig_new(10);   /* usage 0.25: down to 2.5 / 0.7 */
	struct cman_error e = { 0 };

	r->cfg.prevent_scale_down_after_capacity_loss = true;
	r->cfg.instance_loss_threshold = 1;
	cman_pool_runner_lost(&r->r, 1);
	cman_pool_runner_lost(&r->r, 1);
	assert_int_equal(r->r.lost, 2);
	assert_int_equal(cman_pool_runner_cycle(&r->r, &e), 0);
	assert_true(r->r.decision.new_target == NINST);    /* prevented */
	assert_int_equal(r->r.lost, 0);
	/* the next cycle has lost nothing: the scale-down goes ahead */
	assert_int_equal(cman_pool_runner_cycle(&r->r, &e), 0);
	assert_true(fabs(r->r.decision.new_target - 2.5 / 0.7) < 1e-9);
	/* the count saturates instead of wrapping */
	cman_pool_runner_lost(&r->r, 2147483647);
	cman_pool_runner_lost(&r->r, 5);
	assert_int_equal(r->r.lost, 2147483647);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_dry_run_live_record),
		cmocka_unit_test(test_reload_refresh_fail),
		cmocka_unit_test(test_group_failure_recorded),
		cmocka_unit_test(test_lost_capacity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
