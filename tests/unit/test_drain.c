/*
 * test_drain.c - draining before termination in the core (drain.h, pool.h):
 * a fake resource group, connector, clock and drainer, with the drain state
 * in a real SQLite state table.  Drain then terminate, the timeout, a
 * restart that resumes from the state table, a drainer that fails (start
 * retried, never terminated before the deadline), a dry run that drains
 * nothing, the state item's round trip and the live decision record.
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

#include "cman/drain.h"
#include "cman/pool.h"
#include "cman/store.h"

#define NOW 1700000000
#define MAXM 8
#define ENTITY "c1.p1.mesos"

/* ---- one resource group ------------------------------------------------------ */

struct fake_group {
	struct cman_resource_group base;
	double target;
	struct cman_rg_instance inst[MAXM];
	char ids[MAXM][32], ips[MAXM][32];
	size_t n;
	int n_terminate;
	bool terminate_dry;
	char terminated[256];        /* ids asked for, ',' separated */
	int fail_terminate;
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
	g->terminate_dry = dry_run;
	for (size_t i = 0; i < n; i++) {
		if (g->terminated[0])
			strcat(g->terminated, ",");
		strcat(g->terminated, ids[i]);
	}
	if (g->fail_terminate)
		return cman_error_set(err, CMAN_ETRANSIENT, "terminate failed");
	for (size_t i = 0; i < n && !dry_run; i++)
		for (size_t j = 0; j < g->n; j++)
			if (!strcmp(g->inst[j].id, ids[i])) {
				/* EC2 says shutting-down, as a real group would */
				g->inst[j].state = CMAN_INSTANCE_SHUTTING_DOWN;
				break;
			}
	if (n_done)
		*n_done = n;
	return 0;
}

static double f_min(const struct cman_resource_group *rg)
{
	return 0;
}

static double f_max(const struct cman_resource_group *rg)
{
	return 100;
}

static const struct cman_rg_ops fake_rg_ops = {
	.kind = "fake", .target_capacity = f_target, .fulfilled_capacity = f_fulfilled,
	.instances = f_instances, .modify_target = f_modify, .terminate = f_terminate,
	.min_capacity = f_min, .max_capacity = f_max,
};

/* ---- connector: every machine idle and joined ------------------------------------- */

static const char *orphan_id = "";   /* this machine has no agent (since 0) */

static void c_agent(const struct cman_connector *c, const char *id, struct cman_agent *out)
{
	memset(out, 0, sizeof(*out));
	out->state = strcmp(id, orphan_id) ? CMAN_AGENT_IDLE : CMAN_AGENT_ORPHANED;
	out->safe_to_kill = true;
}

static double c_zero(const struct cman_connector *c, enum cman_resource r)
{
	return 0;
}

static const struct cman_connector_ops conn_ops = {
	.kind = "fake", .agent = c_agent, .total = c_zero, .allocated = c_zero,
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

/* ---- the drainer --------------------------------------------------------------- */

struct fake_drainer {
	struct cman_drainer base;
	int n_start, n_drained, n_release;
	char started[256], released[256], asked[256];
	char drained_ids[256];       /* ',' separated ids it says are drained */
	int fail_start, fail_drained;
	char hostnames_seen[256];    /* hostnames given to drained() */
};

static void join(char *buf, const char *s)
{
	if (buf[0])
		strcat(buf, ",");
	strcat(buf, s);
}

static int d_start(struct cman_drainer *dr, struct cman_drain_machine *m, size_t n,
		   int64_t now, struct cman_error *err)
{
	struct fake_drainer *f = (struct fake_drainer *)dr;

	f->n_start++;
	for (size_t i = 0; i < n; i++) {
		join(f->started, m[i].instance_id);
		assert_true(m[i].deadline > now);
	}
	if (f->fail_start)
		return cman_error_set(err, CMAN_ETRANSIENT, "master unreachable");
	for (size_t i = 0; i < n; i++)
		snprintf(m[i].hostname, sizeof(m[i].hostname), "host-%s", m[i].instance_id);
	return 0;
}

static int d_drained(struct cman_drainer *dr, const struct cman_drain_machine *m, size_t n,
		     bool *drained, struct cman_error *err)
{
	struct fake_drainer *f = (struct fake_drainer *)dr;
	char want[40];

	f->n_drained++;
	for (size_t i = 0; i < n; i++) {
		join(f->asked, m[i].instance_id);
		join(f->hostnames_seen, m[i].hostname);
	}
	if (f->fail_drained)
		return cman_error_set(err, CMAN_ETIMEOUT, "master timed out");
	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof(want), ",%s,", m[i].instance_id);
		char list[300];

		snprintf(list, sizeof(list), ",%s,", f->drained_ids);
		drained[i] = strstr(list, want) != NULL;
	}
	return 0;
}

static int d_release(struct cman_drainer *dr, const struct cman_drain_machine *m, size_t n,
		     struct cman_error *err)
{
	struct fake_drainer *f = (struct fake_drainer *)dr;

	f->n_release++;
	for (size_t i = 0; i < n; i++)
		join(f->released, m[i].instance_id);
	return 0;
}

static const struct cman_drainer_ops drainer_ops = {
	.kind = "fake", .start = d_start, .drained = d_drained, .release = d_release,
};

/* ---- a pool ------------------------------------------------------------------------ */

struct world {
	struct fake_group g;
	struct cman_resource_group *ptrs[1];
	struct cman_connector conn;
	struct fake_clock clk;
	struct fake_drainer dr;
	struct cman_pool_config cfg;
	struct cman_store *st;
	struct cman_drain drain;
	struct cman_pool_manager pm;
	struct cman_decision d;
	char path[64];
};

static void world_open(struct world *w)
{
	struct cman_error err;

	if (cman_store_sqlite_open(w->path, true, &w->st, &err))
		fail_msg("%s", err.msg);
	if (cman_drain_init(&w->drain, &w->dr.base, w->st, ENTITY, 600, &err))
		fail_msg("%s", err.msg);
	cman_pool_manager_init(&w->pm, &w->cfg, w->ptrs, 1, &w->conn, &w->clk.base);
	w->pm.drain = &w->drain;
}

static void world_close(struct world *w)
{
	cman_pool_manager_release(&w->pm);
	cman_drain_release(&w->drain);
	cman_store_free(w->st);
	w->st = NULL;
}

/* Four idle machines of weight 1, target 4; i-1 the oldest. */
static struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof(*w));
	int fd;

	assert_non_null(w);
	snprintf(w->path, sizeof(w->path), "/tmp/cman-drain-XXXXXX");
	fd = mkstemp(w->path);
	assert_true(fd >= 0);
	close(fd);
	unlink(w->path);
	w->g.base.ops = &fake_rg_ops;
	w->g.base.id = "sfr-1";
	w->g.target = 4;
	for (size_t i = 0; i < 4; i++) {
		struct cman_rg_instance *in = &w->g.inst[i];

		snprintf(w->g.ids[i], sizeof(w->g.ids[i]), "i-%zu", i + 1);
		snprintf(w->g.ips[i], sizeof(w->g.ips[i]), "10.0.0.%zu", i + 1);
		in->id = w->g.ids[i];
		in->ip = w->g.ips[i];
		in->state = CMAN_INSTANCE_RUNNING;
		in->weight = 1;
		in->launch_time = NOW - 10000 + (int64_t)i;
	}
	w->g.n = 4;
	w->ptrs[0] = &w->g.base;
	w->conn.ops = &conn_ops;
	w->clk.base.ops = &clock_ops;
	w->clk.now = NOW;
	w->dr.base.ops = &drainer_ops;
	cman_pool_config_init(&w->cfg);
	cman_decision_init(&w->d);
	world_open(w);
	return w;
}

static void world_free(struct world *w)
{
	world_close(w);
	cman_decision_release(&w->d);
	cman_pool_config_release(&w->cfg);
	unlink(w->path);
	free(w);
}

/* One run to target at time t; returns its status. */
static int run(struct world *w, int64_t t, double target)
{
	struct cman_error err;

	w->clk.now = t;
	cman_decision_reset(&w->d);
	w->g.n_terminate = 0;
	w->g.terminated[0] = '\0';
	return cman_pool_modify(&w->pm, target, &w->d, &err);
}

static const char *list(const struct cman_decision *d, enum cman_drain_list k)
{
	static char buf[4][256];
	static int slot;
	char *b = buf[slot++ % 4];

	b[0] = '\0';
	for (size_t i = 0; i < d->drain[k].n; i++)
		join(b, cman_decision_str(d, d->drain[k].ids[i]));
	return b;
}

static const char *terminated(const struct cman_decision *d)
{
	static char buf[256];

	buf[0] = '\0';
	for (size_t i = 0; i < d->n_terminated; i++)
		join(buf, cman_decision_str(d, d->terminated[i]));
	return buf;
}

/* The state table's item as text ("" when none). */
static const char *state_text(struct world *w)
{
	static char buf[2048];
	struct cman_state_item it;
	struct cman_error err;
	int rc = cman_store_state_get(w->st, CMAN_STATE_DRAINING, ENTITY, &it, &err);

	assert_true(rc >= 0);
	buf[0] = '\0';
	if (rc == 1)
		snprintf(buf, sizeof(buf), "%s", it.text);
	free(it.text);
	return buf;
}

/* ---- tests ------------------------------------------------------------------------ */

/* Chosen machines are drained, not terminated; drained ones go next run,
 * the rest at the timeout; draining machines are not pruned twice. */
static void test_drain_then_terminate(void **state)
{
	struct world *w = world_new();

	(void)state;
	assert_int_equal(run(w, NOW, 2), 0);
	assert_true(w->g.target == 2);
	assert_int_equal(w->g.n_terminate, 0);
	assert_string_equal(terminated(&w->d), "");
	assert_string_equal(list(&w->d, CMAN_DRAIN_STARTED), "i-1,i-2");
	assert_string_equal(list(&w->d, CMAN_DRAIN_PENDING), "i-1,i-2");
	assert_string_equal(w->dr.started, "i-1,i-2");
	assert_true(w->d.draining);
	assert_false(w->d.drain_failed);
	/* in the state table, with their deadline (NOW + 600) and the names
	 * the drainer gave them */
	assert_non_null(strstr(state_text(w), "\"instance_id\":\"i-1\",\"group_id\":\"sfr-1\","
				      "\"ip\":\"10.0.0.1\",\"hostname\":\"host-i-1\","
				      "\"started\":1700000000,\"deadline\":1700000600,"
				      "\"acked\":true"));

	/* a minute later i-1 is drained: terminated and released; i-2 waits;
	 * nothing else is chosen although the group still holds 4 */
	strcpy(w->dr.drained_ids, "i-1");
	assert_int_equal(run(w, NOW + 60, 2), 0);
	assert_string_equal(w->g.terminated, "i-1");
	assert_false(w->g.terminate_dry);
	assert_string_equal(list(&w->d, CMAN_DRAIN_DRAINED), "i-1");
	assert_string_equal(list(&w->d, CMAN_DRAIN_TIMED_OUT), "");
	assert_string_equal(list(&w->d, CMAN_DRAIN_STARTED), "");
	assert_string_equal(list(&w->d, CMAN_DRAIN_PENDING), "i-2");
	assert_string_equal(terminated(&w->d), "i-1");
	assert_string_equal(w->dr.released, "i-1");
	assert_int_equal(w->dr.n_start, 1);
	assert_null(strstr(state_text(w), "i-1"));
	assert_non_null(strstr(state_text(w), "i-2"));

	/* one second before the deadline: still waiting */
	assert_int_equal(run(w, NOW + 599, 2), 0);
	assert_int_equal(w->g.n_terminate, 0);
	assert_string_equal(list(&w->d, CMAN_DRAIN_PENDING), "i-2");
	/* at the deadline: terminated anyway, and the record says why */
	assert_int_equal(run(w, NOW + 600, 2), 0);
	assert_string_equal(w->g.terminated, "i-2");
	assert_string_equal(list(&w->d, CMAN_DRAIN_TIMED_OUT), "i-2");
	assert_string_equal(list(&w->d, CMAN_DRAIN_DRAINED), "");
	assert_string_equal(list(&w->d, CMAN_DRAIN_PENDING), "");
	assert_string_equal(w->dr.released, "i-1,i-2");
	assert_string_equal(state_text(w), "");   /* the item is deleted */
	/* the next run: nothing left to do; the terminated machines are gone */
	assert_int_equal(run(w, NOW + 660, 2), 0);
	assert_int_equal(w->g.n_terminate, 0);
	assert_int_equal(w->dr.n_drained, 3);
	world_free(w);
}

/* A restarted daemon (new store handle, new drain set, new pool manager)
 * resumes from the state table: no second start, the names kept. */
static void test_restart_resumes(void **state)
{
	struct world *w = world_new();

	(void)state;
	assert_int_equal(run(w, NOW, 3), 0);
	assert_string_equal(w->dr.started, "i-1");
	world_close(w);
	world_open(w);
	strcpy(w->dr.drained_ids, "i-1");
	assert_int_equal(run(w, NOW + 30, 3), 0);
	assert_int_equal(w->dr.n_start, 1);
	assert_string_equal(w->dr.hostnames_seen, "host-i-1");
	assert_string_equal(w->g.terminated, "i-1");
	assert_string_equal(list(&w->d, CMAN_DRAIN_DRAINED), "i-1");
	assert_string_equal(list(&w->d, CMAN_DRAIN_STARTED), "");
	world_free(w);
}

/* A drainer that fails: the drain is recorded and pending, its start is
 * retried, and the machine is not terminated before its deadline. */
static void test_drainer_errors(void **state)
{
	struct world *w = world_new();

	(void)state;
	w->dr.fail_start = 1;
	assert_int_equal(run(w, NOW, 3), 0);   /* the run itself goes on */
	assert_string_equal(list(&w->d, CMAN_DRAIN_STARTED), "i-1");
	assert_string_equal(list(&w->d, CMAN_DRAIN_PENDING), "i-1");
	assert_true(w->d.drain_failed);
	assert_non_null(strstr(cman_decision_str(&w->d, w->d.drain_error),
			       "starting to drain: master unreachable"));
	assert_non_null(strstr(state_text(w), "\"acked\":false"));
	/* next run: retried (still failing), not asked whether drained */
	assert_int_equal(run(w, NOW + 60, 3), 0);
	assert_int_equal(w->dr.n_start, 2);
	assert_int_equal(w->dr.n_drained, 0);
	assert_int_equal(w->g.n_terminate, 0);
	assert_string_equal(list(&w->d, CMAN_DRAIN_STARTED), "");   /* not chosen twice */
	/* the master comes back: taken */
	w->dr.fail_start = 0;
	assert_int_equal(run(w, NOW + 120, 3), 0);
	assert_int_equal(w->dr.n_start, 3);
	assert_false(w->d.drain_failed);
	assert_non_null(strstr(state_text(w), "\"acked\":true"));
	/* then the question fails: pending, never terminated early */
	w->dr.fail_drained = 1;
	strcpy(w->dr.drained_ids, "i-1");
	assert_int_equal(run(w, NOW + 180, 3), 0);
	assert_int_equal(w->g.n_terminate, 0);
	assert_true(w->d.drain_failed);
	assert_string_equal(list(&w->d, CMAN_DRAIN_PENDING), "i-1");
	/* the deadline (from the first choice) still holds */
	assert_int_equal(run(w, NOW + 600, 3), 0);
	assert_string_equal(w->g.terminated, "i-1");
	assert_string_equal(list(&w->d, CMAN_DRAIN_TIMED_OUT), "i-1");
	world_free(w);
}

/* A failed termination keeps the machine in the set (tried again). */
static void test_termination_fails(void **state)
{
	struct world *w = world_new();

	(void)state;
	assert_int_equal(run(w, NOW, 3), 0);
	strcpy(w->dr.drained_ids, "i-1");
	w->g.fail_terminate = 1;
	assert_int_equal(run(w, NOW + 60, 3), CMAN_ETRANSIENT);
	assert_int_equal(w->d.n_terminate_failed, 1);
	assert_string_equal(list(&w->d, CMAN_DRAIN_PENDING), "i-1");
	assert_string_equal(w->dr.released, "");
	w->g.fail_terminate = 0;
	assert_int_equal(run(w, NOW + 120, 3), 0);
	assert_string_equal(w->g.terminated, "i-1");
	assert_string_equal(w->dr.released, "i-1");
	world_free(w);
}

/* A dry run drains nothing: no drainer start or release, no termination
 * (only checked), nothing written; the record says what would happen. */
static void test_dry_run(void **state)
{
	struct world *w = world_new();

	(void)state;
	w->pm.dry_run = true;
	assert_int_equal(run(w, NOW, 2), 0);
	assert_string_equal(list(&w->d, CMAN_DRAIN_STARTED), "i-1,i-2");
	assert_string_equal(list(&w->d, CMAN_DRAIN_PENDING), "");
	assert_int_equal(w->dr.n_start, 0);
	assert_int_equal(w->g.n_terminate, 0);
	assert_string_equal(state_text(w), "");
	/* a drain an executed run started, seen by a dry run at its deadline */
	w->pm.dry_run = false;
	assert_int_equal(run(w, NOW, 3), 0);
	w->pm.dry_run = true;
	assert_int_equal(run(w, NOW + 600, 3), 0);
	assert_string_equal(list(&w->d, CMAN_DRAIN_TIMED_OUT), "i-1");
	assert_true(w->g.terminate_dry);
	assert_int_equal(w->dr.n_release, 0);
	assert_int_equal(w->dr.n_start, 1);
	assert_non_null(strstr(state_text(w), "i-1"));   /* unchanged */
	world_free(w);
}

/* The state item round trip and bad items. */
static void test_state_item(void **state)
{
	struct fake_drainer fd = { .base.ops = &drainer_ops };
	struct cman_drain dr, back;
	struct cman_store *mem;
	struct cman_error err;
	char *text;

	(void)state;
	assert_int_equal(cman_store_memory_new(&mem, &err), 0);
	assert_int_equal(cman_drain_init(&dr, &fd.base, mem, ENTITY, 30, &err), 0);
	assert_int_equal(cman_drain_init(&back, &fd.base, mem, ENTITY, 30, &err), 0);
	assert_int_equal(cman_drain_add(&dr, "i-a", "asg-1", NULL, 100), 0);
	assert_int_equal(cman_drain_add(&dr, "i-b", "asg-1", "10.1.2.3", 101), 1);
	assert_int_equal(cman_drain_encode(&dr, &text, &err), 0);
	assert_string_equal(text, "[{\"instance_id\":\"i-a\",\"group_id\":\"asg-1\",\"ip\":\"\","
				  "\"hostname\":\"\",\"started\":100,\"deadline\":130,"
				  "\"acked\":false},{\"instance_id\":\"i-b\",\"group_id\":\"asg-1\","
				  "\"ip\":\"10.1.2.3\",\"hostname\":\"\",\"started\":101,"
				  "\"deadline\":131,\"acked\":false}]");
	assert_int_equal(cman_drain_decode(&back, text, &err), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(cman_drain_find(&back, "i-b"), 1);
	assert_int_equal(cman_drain_find(&back, "i-c"), -1);
	assert_true(back.m[1].deadline == 131);
	free(text);
	assert_int_equal(cman_drain_decode(&back, "{}", &err), CMAN_EINVAL);
	assert_int_equal(back.n, 0);
	assert_int_equal(cman_drain_decode(&back, "[{\"instance_id\":\"i\"}]", &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "machine 0"));
	assert_int_equal(cman_drain_decode(&back, "[", &err), CMAN_EINVAL);
	/* a store without pool state cannot keep it */
	assert_int_equal(cman_drain_load(&dr, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "keeps no pool state"));
	cman_drain_release(&back);
	assert_int_equal(cman_drain_init(&back, NULL, mem, ENTITY, 30, &err), CMAN_EINVAL);
	assert_int_equal(cman_drain_init(&back, &fd.base, mem, ENTITY, -1, &err), CMAN_EINVAL);
	cman_drain_release(&dr);
	cman_drain_release(&back);
	cman_store_free(mem);
}

/* A state item that cannot be read fails the run before anything changes. */
static void test_bad_state_fails_run(void **state)
{
	struct world *w = world_new();
	struct cman_state_item it = { .timestamp = NOW, .text = "not json" };
	struct cman_error err;

	(void)state;
	assert_int_equal(cman_store_state_put(w->st, CMAN_STATE_DRAINING, ENTITY, &it, &err), 0);
	assert_int_equal(run(w, NOW, 2), CMAN_EINVAL);
	assert_true(w->g.target == 4);   /* not resized */
	assert_int_equal(w->g.n_terminate, 0);
	assert_int_equal(w->dr.n_start, 0);
	assert_string_equal(state_text(w), "not json");   /* left alone */
	/* nor are orphans cleaned up: i-1 might be one being drained */
	orphan_id = "i-1";
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, &err), 0);
	assert_int_equal(w->g.n_terminate, 0);
	/* with a readable state (none), the orphan goes */
	assert_int_equal(cman_store_state_delete(w->st, CMAN_STATE_DRAINING, ENTITY, &err), 0);
	assert_int_equal(run(w, NOW, 4), 0);
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, &err), 0);
	assert_string_equal(w->g.terminated, "i-1");
	/* and a machine being drained that is orphaned is left to the drain */
	orphan_id = "i-2";
	assert_int_equal(run(w, NOW, 2), 0);   /* 3 running (i-1 is ending): one drains */
	assert_string_equal(list(&w->d, CMAN_DRAIN_STARTED), "i-2");
	w->g.n_terminate = 0;
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, &err), 0);
	assert_int_equal(w->g.n_terminate, 0);
	orphan_id = "";
	world_free(w);
}

/* The live record carries a draining pool's lists; others are unchanged. */
static void test_live_record(void **state)
{
	struct world *w = world_new();
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(run(w, NOW, 2), 0);
	f = open_memstream(&buf, &len);
	assert_int_equal(cman_decision_write_json_live(&w->d, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, ",\"draining\":{\"started\":[\"i-1\",\"i-2\"],"
				    "\"drained\":[],\"timed_out\":[],\"gone\":[],"
				    "\"pending\":[\"i-1\",\"i-2\"],\"error\":null}}"));
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(cman_decision_write_json(&w->d, f), 0);
	fclose(f);
	assert_null(strstr(buf, "draining"));
	free(buf);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drain_then_terminate),
		cmocka_unit_test(test_restart_resumes),
		cmocka_unit_test(test_drainer_errors),
		cmocka_unit_test(test_termination_fails),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_state_item),
		cmocka_unit_test(test_bad_state_fails_run),
		cmocka_unit_test(test_live_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
