/*
 * test_pool.c - the pool manager (pool.h, SPEC §4 steps 4-6): distribution
 * of a target over resource groups (tables and a randomized comparison
 * with a unit-by-unit reference), the order in which machines are pruned,
 * every skip reason, candidate filtering, orphan clean-up, dry runs and
 * error paths, against a fake resource group and a fake connector.
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

#include "cman/autoscaler.h"
#include "cman/pool.h"

#define MAXG 6
#define MAXM 48
#define NOW 100000

/* ---- fakes ----------------------------------------------------------------- */

struct fake_group {
	struct cman_resource_group base;
	char name[300];              /* base.id */
	double target, min, max;
	bool stale;
	struct cman_rg_instance inst[MAXM];
	char ids[MAXM][300];         /* inst[].id point here */
	char ips[MAXM][16];
	size_t n;
	int fail_getters;            /* the getters fail with this (a failed refresh) */
	/* what the pool manager asked */
	int n_modify, n_terminate;
	double modify_target;
	bool modify_dry, terminate_dry;
	size_t terminate_n;
	int fail_modify, fail_terminate;
};

static struct fake_group *fg(const struct cman_resource_group *rg)
{
	return (struct fake_group *)rg;
}

static int f_target(const struct cman_resource_group *rg, double *out, struct cman_error *err)
{
	if (fg(rg)->fail_getters)
		return cman_error_set(err, fg(rg)->fail_getters, "not described");
	*out = fg(rg)->target;
	return 0;
}

static int f_fulfilled(const struct cman_resource_group *rg, double *out,
		       struct cman_error *err)
{
	double s = 0;
	size_t i;

	if (fg(rg)->fail_getters)
		return cman_error_set(err, fg(rg)->fail_getters, "not described");
	for (i = 0; i < fg(rg)->n; i++)
		s += fg(rg)->inst[i].weight;
	*out = s;
	return 0;
}

static int f_instances(struct cman_resource_group *rg, const struct cman_rg_instance **out,
		       size_t *n, struct cman_error *err)
{
	if (fg(rg)->fail_getters)
		return cman_error_set(err, fg(rg)->fail_getters, "not described");
	*out = fg(rg)->inst;
	*n = fg(rg)->n;
	return 0;
}

static int f_modify(struct cman_resource_group *rg, double target, bool dry_run,
		    struct cman_error *err)
{
	struct fake_group *g = fg(rg);

	g->n_modify++;
	g->modify_target = target;
	g->modify_dry = dry_run;
	if (g->fail_modify)
		return cman_error_set(err, g->fail_modify < 0 ? g->fail_modify : CMAN_EIO,
				      "modify failed");
	if (!dry_run)
		g->target = target;
	return 0;
}

static int f_terminate(struct cman_resource_group *rg, const char *const *ids, size_t n,
		       bool dry_run, size_t *n_done, bool *failed, struct cman_error *err)
{
	struct fake_group *g = fg(rg);
	size_t i, j, done = 0;

	g->n_terminate++;
	g->terminate_dry = dry_run;
	g->terminate_n = n;
	if (g->fail_terminate)
		return cman_error_set(err, CMAN_EIO, "terminate failed");
	for (i = 0; i < n; i++) {
		for (j = 0; j < g->n; j++)
			if (!strcmp(g->inst[j].id, ids[i]))
				break;
		if (j == g->n)
			continue;
		done++;
		if (dry_run)
			continue;
		/* scribble over the id first: the ids must not point here */
		memset((char *)g->inst[j].id, 'x', strlen(g->inst[j].id));
		memmove(&g->inst[j], &g->inst[j + 1], (g->n - j - 1) * sizeof(g->inst[0]));
		g->n--;
	}
	if (n_done)
		*n_done = done;
	return 0;
}

static bool f_stale(const struct cman_resource_group *rg)
{
	return fg(rg)->stale;
}

static double f_min(const struct cman_resource_group *rg)
{
	return fg(rg)->min;
}

static double f_max(const struct cman_resource_group *rg)
{
	return fg(rg)->max;
}

static const struct cman_rg_ops fake_rg_ops = {
	.kind = "fake",
	.target_capacity = f_target,
	.fulfilled_capacity = f_fulfilled,
	.instances = f_instances,
	.modify_target = f_modify,
	.terminate = f_terminate,
	.is_stale = f_stale,
	.min_capacity = f_min,
	.max_capacity = f_max,
};

struct fake_conn {
	struct cman_connector base;
	struct {
		char id[300];            /* instance id (or IP for agent_by_ip) */
		struct cman_agent a;
	} agents[MAXG * MAXM];
	size_t n;
	int n_lookups, n_ip_lookups, n_key_lookups;
};

static void c_agent(const struct cman_connector *c, const char *id, struct cman_agent *out)
{
	struct fake_conn *fc = (struct fake_conn *)c;
	size_t i;

	fc->n_lookups++;
	for (i = 0; i < fc->n; i++)
		if (!strcmp(fc->agents[i].id, id)) {
			*out = fc->agents[i].a;
			return;
		}
	memset(out, 0, sizeof(*out));
	out->state = CMAN_AGENT_UNKNOWN;
}

/* The same agents found by IP (the agents' id field holds the IP then). */
static void c_agent_by_ip(const struct cman_connector *c, const char *ip,
			  struct cman_agent *out)
{
	struct fake_conn *fc = (struct fake_conn *)c;
	size_t i;

	fc->n_ip_lookups++;
	for (i = 0; i < fc->n; i++)
		if (!strcmp(fc->agents[i].id, ip)) {
			*out = fc->agents[i].a;
			return;
		}
	memset(out, 0, sizeof(*out));
	out->state = CMAN_AGENT_ORPHANED;   /* no agent has the address */
	out->safe_to_kill = true;
}

/* The same agents found by key: key k is agents[k - 1]. */
static void c_agent_by_key(const struct cman_connector *c, uint64_t key,
			   struct cman_agent *out)
{
	struct fake_conn *fc = (struct fake_conn *)c;

	fc->n_key_lookups++;
	if (key >= 1 && key <= fc->n) {
		*out = fc->agents[key - 1].a;
		return;
	}
	memset(out, 0, sizeof(*out));
	out->state = CMAN_AGENT_UNKNOWN;
}

static double c_zero(const struct cman_connector *c, enum cman_resource r)
{
	return 0;
}

static const struct cman_connector_ops fake_conn_ops = {
	.kind = "fake",
	.agent = c_agent,
	.total = c_zero,
	.allocated = c_zero,
};

static const struct cman_connector_ops fake_ip_conn_ops = {
	.kind = "fake-by-ip",
	.agent = c_agent,
	.total = c_zero,
	.allocated = c_zero,
	.agent_by_ip = c_agent_by_ip,
};

static const struct cman_connector_ops fake_key_conn_ops = {
	.kind = "fake-by-key",
	.agent = c_agent,
	.total = c_zero,
	.allocated = c_zero,
	.agent_by_key = c_agent_by_key,
};

struct fake_clock {
	struct cman_clock base;
	int64_t now;
};

static int64_t k_now(const struct cman_clock *c)
{
	return ((const struct fake_clock *)c)->now;
}

static const struct cman_clock_ops fake_clock_ops = { .now = k_now };

/* A pool: groups, connector, clock, config, manager and decision. */
struct world {
	struct fake_group g[MAXG];
	struct cman_resource_group *ptrs[MAXG];
	size_t ng;
	struct fake_conn conn;
	struct fake_clock clk;
	struct cman_pool_config cfg;
	struct cman_pool_manager pm;
	struct cman_decision d;
};

static struct world *world_new(size_t ng)
{
	struct world *w = calloc(1, sizeof(*w));
	size_t i;

	assert_non_null(w);
	w->ng = ng;
	for (i = 0; i < ng; i++) {
		w->g[i].base.ops = &fake_rg_ops;
		w->g[i].base.id = w->g[i].name;
		snprintf(w->g[i].name, sizeof(w->g[i].name), "g%zu", i);
		w->g[i].max = INFINITY;
		w->ptrs[i] = &w->g[i].base;
	}
	w->conn.base.ops = &fake_conn_ops;
	w->clk.base.ops = &fake_clock_ops;
	w->clk.now = NOW;
	cman_pool_config_init(&w->cfg);
	cman_pool_manager_init(&w->pm, &w->cfg, w->ptrs, ng, &w->conn.base, &w->clk.base);
	cman_decision_init(&w->d);
	return w;
}

static void world_free(struct world *w)
{
	cman_pool_manager_release(&w->pm);
	cman_decision_release(&w->d);
	cman_pool_config_release(&w->cfg);
	free(w);
}

enum { DRAIN = 1, CORDON = 2, UNSAFE = 4 };

/* A machine of group gi; age in seconds before NOW; state UNKNOWN: the
 * connector does not know it. */
static void add(struct world *w, size_t gi, const char *id, double weight, int64_t age,
		enum cman_agent_state state, int tasks, int batch, unsigned flags)
{
	struct fake_group *g = &w->g[gi];
	struct cman_rg_instance *in = &g->inst[g->n++];

	assert_true(g->n <= MAXM);
	memset(in, 0, sizeof(*in));
	snprintf(g->ids[g->n - 1], sizeof(g->ids[0]), "%s", id);
	in->id = g->ids[g->n - 1];
	in->state = CMAN_INSTANCE_RUNNING;
	in->instance_type = "m5.large";
	in->az = "us-west-2a";
	in->weight = weight;
	in->launch_time = NOW - age;
	if (state == CMAN_AGENT_UNKNOWN)
		return;
	snprintf(w->conn.agents[w->conn.n].id, sizeof(w->conn.agents[0].id), "%s", id);
	w->conn.agents[w->conn.n].a = (struct cman_agent){
		.state = state,
		.orphaned_since = state == CMAN_AGENT_ORPHANED ? NOW - age : 0,
		.tasks = tasks,
		.batch_tasks = batch,
		.draining = flags & DRAIN,
		.cordoned = flags & CORDON,
		.safe_to_kill = !(flags & UNSAFE),
	};
	w->conn.n++;
}

/* The ids in d->terminated joined by ',' */
static const char *terminated(const struct cman_decision *d)
{
	static char buf[1024];
	size_t i;

	buf[0] = 0;
	for (i = 0; i < d->n_terminated; i++) {
		if (i)
			strcat(buf, ",");
		strcat(buf, cman_decision_str(d, d->terminated[i]));
	}
	return buf;
}

/* "id:reason" of d->skipped joined by ',' */
static const char *skipped(const struct cman_decision *d)
{
	static char buf[1024];
	size_t i;

	buf[0] = 0;
	for (i = 0; i < d->n_skipped; i++) {
		if (i)
			strcat(buf, ",");
		strcat(buf, cman_decision_str(d, d->skipped[i].id));
		strcat(buf, ":");
		strcat(buf, d->skipped[i].reason);
	}
	return buf;
}

/* ---- distribution ---------------------------------------------------------- */

#define INF INFINITY

struct dist_case {
	const char *what;
	size_t n;
	const char *ids[5];
	double cur[5], min[5], max[5];
	bool stale[5];
	double target;
	double want[5];
};

static const struct dist_case dist_cases[] = {
	{ "one group grows", 1, { "a" }, { 0 }, { 0 }, { INF }, { 0 }, 10, { 10 } },
	{ "one group shrinks", 1, { "a" }, { 10 }, { 0 }, { INF }, { 0 }, 4, { 4 } },
	{ "unchanged", 2, { "a", "b" }, { 2, 3 }, { 0, 0 }, { INF, INF }, { 0 }, 5, { 2, 3 } },
	{ "grow ties by id", 2, { "a", "b" }, { 0, 0 }, { 0, 0 }, { INF, INF }, { 0 }, 5,
	  { 3, 2 } },
	{ "grow ties by id, listed backwards", 2, { "b", "a" }, { 0, 0 }, { 0, 0 }, { INF, INF },
	  { 0 }, 1, { 0, 1 } },
	{ "grow the smallest first", 3, { "a", "b", "c" }, { 5, 1, 1 }, { 0, 0, 0 },
	  { INF, INF, INF }, { 0 }, 10, { 5, 3, 2 } },
	{ "grow levels up then rounds", 3, { "a", "b", "c" }, { 4, 0, 1 }, { 0, 0, 0 },
	  { INF, INF, INF }, { 0 }, 15, { 5, 5, 5 } },
	{ "group at max skipped", 2, { "a", "b" }, { 0, 0 }, { 0, 0 }, { 2, INF }, { 0 }, 10,
	  { 2, 8 } },
	{ "shrink the largest first", 3, { "a", "b", "c" }, { 6, 4, 2 }, { 0, 0, 0 },
	  { INF, INF, INF }, { 0 }, 6, { 2, 2, 2 } },
	{ "shrink ties by id", 2, { "b", "a" }, { 3, 3 }, { 0, 0 }, { INF, INF }, { 0 }, 5,
	  { 3, 2 } },
	{ "group at min skipped", 2, { "a", "b" }, { 5, 5 }, { 3, 0 }, { INF, INF }, { 0 }, 4,
	  { 3, 1 } },
	{ "stale group gets 0, not counted", 2, { "a", "b" }, { 5, 0 }, { 0, 0 }, { INF, INF },
	  { true, false }, 3, { 0, 3 } },
	{ "stale group ignores its min", 2, { "a", "b" }, { 5, 1 }, { 4, 0 }, { INF, INF },
	  { true, false }, 1, { 0, 1 } },
	{ "unreachable growth stops at the maxima", 2, { "a", "b" }, { 0, 0 }, { 0, 0 }, { 2, 3 },
	  { 0 }, 10, { 2, 3 } },
	{ "unreachable shrink stops at the minima", 2, { "a", "b" }, { 5, 5 }, { 2, 2 },
	  { INF, INF }, { 0 }, 0, { 2, 2 } },
	{ "current above max clamped", 1, { "a" }, { 10 }, { 0 }, { 4 }, { 0 }, 4, { 4 } },
	{ "current below min clamped", 1, { "a" }, { 0 }, { 3 }, { INF }, { 0 }, 0, { 3 } },
	{ "clamped, then distributed", 2, { "a", "b" }, { 10, 0 }, { 0, 0 }, { 4, INF }, { 0 },
	  10, { 4, 6 } },
	{ "fractional target: ceil", 2, { "a", "b" }, { 0, 0 }, { 0, 0 }, { INF, INF }, { 0 },
	  4.2, { 3, 2 } },
	{ "negative target: 0", 2, { "a", "b" }, { 3, 3 }, { 0, 0 }, { INF, INF }, { 0 }, -5,
	  { 0, 0 } },
	{ "NaN target: 0", 1, { "a" }, { 3 }, { 0 }, { INF }, { 0 }, NAN, { 0 } },
	{ "fractional current: last step a fraction", 1, { "a" }, { 1.5 }, { 0 }, { INF }, { 0 },
	  4, { 4 } },
	{ "fractional currents", 2, { "a", "b" }, { 1.5, 2 }, { 0, 0 }, { INF, INF }, { 0 }, 6,
	  { 3, 3 } },
	{ "fractional current below max: only the last fractional step", 2, { "a", "b" }, { 9.5, 0 },
	  { 0, 0 }, { 10, INF }, { 0 }, 20, { 10, 10 } },
	{ "five groups grow", 5, { "e", "d", "c", "b", "a" }, { 0, 0, 0, 0, 0 },
	  { 0, 0, 0, 0, 0 }, { INF, INF, INF, INF, INF }, { 0 }, 12, { 2, 2, 2, 3, 3 } },
	{ "five groups shrink with limits", 5, { "a", "b", "c", "d", "e" }, { 10, 8, 6, 4, 2 },
	  { 9, 0, 0, 0, 0 }, { INF, INF, INF, INF, INF }, { 0 }, 20, { 9, 3, 3, 3, 2 } },
	{ "five groups, one stale, one at max", 5, { "a", "b", "c", "d", "e" }, { 1, 1, 7, 0, 0 },
	  { 0, 0, 0, 0, 0 }, { 1, INF, INF, INF, INF }, { false, false, true, false, false }, 10,
	  { 1, 3, 0, 3, 3 } },
	{ "large target, bulk", 2, { "a", "b" }, { 0, 0 }, { 0, 0 }, { INF, INF }, { 0 }, 1e7,
	  { 5e6, 5e6 } },
	{ "no groups", 0, { 0 }, { 0 }, { 0 }, { 0 }, { 0 }, 5, { 0 } },
};

static void set_groups(struct world *w, const struct dist_case *c)
{
	size_t i;

	w->ng = w->pm.n_groups = c->n;
	for (i = 0; i < c->n; i++) {
		snprintf(w->g[i].name, sizeof(w->g[i].name), "%s", c->ids[i]);
		w->g[i].target = c->cur[i];
		w->g[i].min = c->min[i];
		w->g[i].max = c->max[i];
		w->g[i].stale = c->stale[i];
	}
}

static void test_distribute_table(void **state)
{
	size_t k, i;

	for (k = 0; k < sizeof(dist_cases) / sizeof(dist_cases[0]); k++) {
		const struct dist_case *c = &dist_cases[k];
		struct world *w = world_new(c->n);
		double out[5] = { -1, -1, -1, -1, -1 };

		set_groups(w, c);
		cman_pool_distribute(&w->pm, c->cur, c->target, out);
		for (i = 0; i < c->n; i++)
			if (fabs(out[i] - c->want[i]) > 1e-9)
				fail_msg("%s: group %s got %g, expected %g", c->what, c->ids[i],
					 out[i], c->want[i]);
		world_free(w);
	}
}

/* The rule as written: one unit at a time (integer currents only). */
static void reference_distribute(const struct dist_case *c, double *out)
{
	double goal = c->target > 0 ? ceil(c->target) : 0, sum = 0;
	size_t i;

	for (i = 0; i < c->n; i++) {
		out[i] = c->stale[i] ? 0 : fmax(c->min[i], fmin(c->max[i], c->cur[i]));
		if (!c->stale[i])
			sum += out[i];
	}
	while (sum != goal) {
		bool grow = sum < goal;
		int best = -1;

		for (i = 0; i < c->n; i++) {
			if (c->stale[i] || (grow ? out[i] + 1 > c->max[i] : out[i] - 1 < c->min[i]))
				continue;
			if (best < 0 || (grow ? out[i] < out[best] : out[i] > out[best]) ||
			    (out[i] == out[best] && strcmp(c->ids[i], c->ids[best]) < 0))
				best = (int)i;
		}
		if (best < 0)
			break;
		out[best] += grow ? 1 : -1;
		sum += grow ? 1 : -1;
	}
}

static unsigned seed = 12345;

static int rnd(int m)
{
	seed = seed * 1103515245u + 12345u;
	return (int)((seed >> 16) % (unsigned)m);
}

#define RND(m) rnd(m)

static void test_distribute_random(void **state)
{
	static const char *names[5] = { "d", "b", "e", "a", "c" };
	int round;
	size_t i;

	for (round = 0; round < 3000; round++) {
		struct dist_case c = { .what = "random" };
		double got[5], want[5];
		struct world *w;

		c.n = 1 + (size_t)RND(5);
		for (i = 0; i < c.n; i++) {
			c.ids[i] = names[i];
			c.cur[i] = RND(12);
			c.min[i] = RND(4) == 0 ? RND(6) : 0;
			c.max[i] = RND(3) == 0 ? c.min[i] + RND(10) : INF;
			c.stale[i] = RND(6) == 0;
		}
		c.target = RND(50) - 2;
		if (RND(3) == 0)
			c.target += 0.5;
		w = world_new(c.n);
		set_groups(w, &c);
		cman_pool_distribute(&w->pm, c.cur, c.target, got);
		reference_distribute(&c, want);
		for (i = 0; i < c.n; i++)
			if (got[i] != want[i])
				fail_msg("round %d group %s: got %g, reference %g (target %g)", round,
					 c.ids[i], got[i], want[i], c.target);
		world_free(w);
	}
}

/* ---- sums ------------------------------------------------------------------ */

static void test_sums(void **state)
{
	struct world *w = world_new(2);
	double v;

	w->g[0].target = 3;
	w->g[1].target = 5;
	w->g[1].stale = true;
	add(w, 0, "a1", 1, 10, CMAN_AGENT_IDLE, 0, 0, 0);
	add(w, 0, "a2", 2, 10, CMAN_AGENT_RUNNING, 3, 0, 0);
	add(w, 0, "a3", 4, 10, CMAN_AGENT_ORPHANED, 0, 0, 0);
	add(w, 0, "a4", 8, 10, CMAN_AGENT_UNKNOWN, 0, 0, 0);
	add(w, 1, "b1", 16, 10, CMAN_AGENT_IDLE, 0, 0, 0);
	assert_int_equal(cman_pool_target(&w->pm, &v, NULL), 0);
	assert_true(v == 3);
	assert_int_equal(cman_pool_fulfilled(&w->pm, &v, NULL), 0);
	assert_true(v == 15);
	/* joined machines of every group, stale or not */
	assert_int_equal(cman_pool_non_orphan_fulfilled(&w->pm, &v, NULL), 0);
	assert_true(v == 19);
	/* only running machines count as joined (LIVE-SPEC §5.1) */
	w->g[1].inst[0].state = CMAN_INSTANCE_SHUTTING_DOWN;
	assert_int_equal(cman_pool_non_orphan_fulfilled(&w->pm, &v, NULL), 0);
	assert_true(v == 3);
	/* a group whose description failed: the sums fail with its error */
	w->g[0].fail_getters = CMAN_ETHROTTLED;
	assert_int_equal(cman_pool_target(&w->pm, &v, NULL), CMAN_ETHROTTLED);
	assert_int_equal(cman_pool_fulfilled(&w->pm, &v, NULL), CMAN_ETHROTTLED);
	w->g[0].fail_getters = 0;
	w->pm.conn = NULL;
	assert_int_equal(cman_pool_non_orphan_fulfilled(&w->pm, &v, NULL), 0);
	assert_true(v == 0);
	world_free(w);
}

/* ---- modify: resizing ------------------------------------------------------ */

static void test_modify_changed_groups_only(void **state)
{
	struct world *w = world_new(3);
	size_t i;

	w->g[0].target = 2;
	w->g[1].target = 2;
	w->g[2].target = 4;
	w->g[2].stale = true;   /* goes to 0: changed */
	assert_int_equal(cman_pool_modify(&w->pm, 5, &w->d, NULL), 0);
	assert_int_equal(w->g[0].n_modify, 1);
	assert_true(w->g[0].modify_target == 3);
	assert_false(w->g[0].modify_dry);
	assert_int_equal(w->g[1].n_modify, 0);
	assert_int_equal(w->g[2].n_modify, 1);
	assert_true(w->g[2].modify_target == 0);
	assert_int_equal(w->d.n_groups, 3);
	for (i = 0; i < 3; i++)
		assert_string_equal(cman_decision_str(&w->d, w->d.groups[i].id), w->g[i].base.id);
	assert_true(w->d.groups[0].planned == 3);
	assert_true(w->d.groups[1].planned == 2);
	assert_true(w->d.groups[2].planned == 0);
	for (i = 0; i < 3; i++) {
		assert_true(w->d.groups[i].applied == w->d.groups[i].planned);
		assert_int_equal(w->d.groups[i].rc, 0);
	}
	/* nothing to prune: no terminate */
	assert_int_equal(w->g[0].n_terminate + w->g[1].n_terminate + w->g[2].n_terminate, 0);
	assert_int_equal(w->d.n_terminated, 0);

	/* a second run at the same target changes nothing */
	cman_decision_reset(&w->d);
	assert_int_equal(cman_pool_modify(&w->pm, 5, &w->d, NULL), 0);
	assert_int_equal(w->g[0].n_modify, 1);
	assert_int_equal(w->g[2].n_modify, 1);
	world_free(w);
}

/* ---- modify: the order of termination -------------------------------------- */

struct machine {
	const char *id;
	int64_t age;
	enum cman_agent_state state;
	int tasks, batch;
	unsigned flags;
};

struct order_case {
	const char *what;
	struct machine m[2];
	const char *want;
};

#define OLD 1000
#define YOUNG 10
#define RUN CMAN_AGENT_RUNNING
#define IDLE CMAN_AGENT_IDLE
#define ORPH CMAN_AGENT_ORPHANED

/* Each key in isolation: the expected machine is listed second, equal to
 * the other on the keys before, and worse on every key after. */
static const struct order_case order_cases[] = {
	{ "draining first",
	  { { "i-a", OLD, IDLE, 0, 0, 0 }, { "i-b", YOUNG, RUN, 3, 2, DRAIN } }, "i-b" },
	{ "then orphaned",
	  { { "i-a", OLD, IDLE, 0, 0, 0 }, { "i-b", YOUNG, ORPH, 0, 0, 0 } }, "i-b" },
	{ "then older than the scale-in uptime",
	  { { "i-a", YOUNG, IDLE, 0, 0, 0 }, { "i-b", OLD - 1, RUN, 3, 2, 0 } }, "i-b" },
	{ "then idle",
	  { { "i-a", OLD + 5, RUN, 0, 0, 0 }, { "i-b", OLD, IDLE, 0, 0, 0 } }, "i-b" },
	{ "then fewest batch tasks",
	  { { "i-a", OLD + 5, RUN, 2, 2, 0 }, { "i-b", OLD, RUN, 5, 1, 0 } }, "i-b" },
	{ "then fewest tasks",
	  { { "i-a", OLD + 5, RUN, 2, 0, 0 }, { "i-b", OLD, RUN, 1, 0, 0 } }, "i-b" },
	{ "then oldest launch",
	  { { "i-a", OLD, RUN, 1, 0, 0 }, { "i-b", OLD + 5, RUN, 1, 0, 0 } }, "i-b" },
	{ "then id",
	  { { "i-b", OLD, RUN, 1, 0, 0 }, { "i-a", OLD, RUN, 1, 0, 0 } }, "i-a" },
	{ "age at exactly the uptime counts as old",
	  { { "i-a", 299, IDLE, 0, 0, 0 }, { "i-b", 300, RUN, 3, 0, 0 } }, "i-b" },
};

static void test_order_each_key(void **state)
{
	size_t k, i;

	for (k = 0; k < sizeof(order_cases) / sizeof(order_cases[0]); k++) {
		const struct order_case *c = &order_cases[k];
		struct world *w = world_new(1);

		w->cfg.min_node_scalein_uptime_seconds = 300;
		w->g[0].target = 2;
		for (i = 0; i < 2; i++)
			add(w, 0, c->m[i].id, 1, c->m[i].age, c->m[i].state, c->m[i].tasks,
			    c->m[i].batch, c->m[i].flags);
		assert_int_equal(cman_pool_modify(&w->pm, 1, &w->d, NULL), 0);
		if (strcmp(terminated(&w->d), c->want))
			fail_msg("%s: terminated '%s', expected '%s' (skipped '%s')", c->what,
				 terminated(&w->d), c->want, skipped(&w->d));
		assert_int_equal(w->g[0].n_terminate, 1);
		assert_int_equal(w->g[0].n, 1);
		world_free(w);
	}
}

static void test_order_stale_group(void **state)
{
	struct world *w = world_new(2);

	/* g0 live with two old idle machines, g1 stale with a young busy one:
	 * the stale group's machine goes first; the weight limit lets only
	 * one go. */
	w->cfg.max_weight_to_remove = 1;
	w->g[0].target = 2;
	w->g[1].target = 1;
	w->g[1].stale = true;
	add(w, 0, "i-a", 1, OLD, IDLE, 0, 0, 0);
	add(w, 0, "i-b", 1, OLD, IDLE, 0, 0, 0);
	add(w, 1, "i-c", 1, YOUNG, RUN, 3, 2, 0);
	assert_int_equal(cman_pool_modify(&w->pm, 1, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-c");
	assert_string_equal(skipped(&w->d), "i-a:weight limit,i-b:weight limit");
	assert_int_equal(w->g[0].n_terminate, 0);
	assert_int_equal(w->g[1].n_terminate, 1);
	world_free(w);
}

static void test_order_scalein_cap(void **state)
{
	struct world *w = world_new(1);

	/* the scale-in uptime is capped at 900 s: 950 s counts as old */
	w->cfg.min_node_scalein_uptime_seconds = 5000;
	w->g[0].target = 2;
	add(w, 0, "i-a", 1, 100, IDLE, 0, 0, 0);
	add(w, 0, "i-b", 1, 950, RUN, 3, 0, 0);
	assert_int_equal(cman_pool_modify(&w->pm, 1, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-b");
	world_free(w);
}

static void test_order_full(void **state)
{
	struct world *w = world_new(1);

	/* target 0: everything goes, in order */
	w->cfg.min_node_scalein_uptime_seconds = 300;
	w->g[0].target = 9;
	add(w, 0, "i-young-busy", 1, YOUNG, RUN, 4, 0, 0);
	add(w, 0, "i-young-idle", 1, YOUNG, IDLE, 0, 0, 0);
	add(w, 0, "i-old-batch2", 1, OLD, RUN, 2, 2, 0);
	add(w, 0, "i-old-batch1", 1, OLD, RUN, 5, 1, 0);
	add(w, 0, "i-old-idle", 1, OLD, IDLE, 0, 0, 0);
	add(w, 0, "i-old-run3", 1, OLD, RUN, 3, 0, 0);
	add(w, 0, "i-orphan", 1, YOUNG, ORPH, 0, 0, 0);
	add(w, 0, "i-drain", 1, YOUNG, RUN, 9, 9, DRAIN);
	add(w, 0, "i-old-run1", 1, OLD, RUN, 1, 0, 0);
	assert_int_equal(cman_pool_modify(&w->pm, 0, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d),
			    "i-drain,i-orphan,i-old-idle,i-old-run1,i-old-run3,"
			    "i-old-batch1,i-old-batch2,i-young-idle,i-young-busy");
	assert_int_equal(w->d.n_skipped, 0);
	assert_int_equal(w->g[0].n_terminate, 1);
	assert_int_equal(w->g[0].terminate_n, 9);
	assert_int_equal(w->g[0].n, 0);
	world_free(w);
}

/* The order over many machines (the sort's merge path, ties on every key
 * down to the id and the group): every candidate skipped for the weight
 * limit, so d->skipped lists them all in the order of the walk; the
 * expected order sorted here by the SPEC's keys. */
struct ref_cand {
	char id[16];
	size_t group;
	bool draining, orphaned, stale, old, idle;
	int batch, tasks;
	int64_t launch;
};

static int ref_cmp(const void *pa, const void *pb)
{
	const struct ref_cand *a = pa, *b = pb;
	int c;

	if (a->draining != b->draining)
		return a->draining ? -1 : 1;
	if (a->orphaned != b->orphaned)
		return a->orphaned ? -1 : 1;
	if (a->stale != b->stale)
		return a->stale ? -1 : 1;
	if (a->old != b->old)
		return a->old ? -1 : 1;
	if (a->idle != b->idle)
		return a->idle ? -1 : 1;
	if (a->batch != b->batch)
		return a->batch < b->batch ? -1 : 1;
	if (a->tasks != b->tasks)
		return a->tasks < b->tasks ? -1 : 1;
	if (a->launch != b->launch)
		return a->launch < b->launch ? -1 : 1;
	if ((c = strcmp(a->id, b->id)) != 0)
		return c;
	return a->group < b->group ? -1 : a->group > b->group;
}

/* test_order_many's world: MAXM machines in each of 3 groups (the third
 * stale), of every kind, with ties on every key; their expected order in
 * ref (room for 3 MAXM), *n of them. */
static struct world *order_world(struct ref_cand *ref, size_t *n_out)
{
	static const int64_t ages[] = { YOUNG, 299, 300, OLD, OLD + 7 };
	struct world *w = world_new(3);
	uint32_t rnd = 12345;
	size_t n = 0, g, j;

	w->conn.base.ops = &fake_key_conn_ops;
	w->cfg.min_node_scalein_uptime_seconds = 300;
	w->cfg.max_weight_to_remove = 0;
	w->cfg.max_tasks_to_kill = 1e9;
	w->g[2].stale = true;
	for (g = 0; g < 3; g++) {
		for (j = 0; j < MAXM; j++) {
			struct ref_cand *r = &ref[n++];
			unsigned kind, flags;

			rnd = rnd * 1103515245u + 12345u;
			kind = rnd >> 16 & 3;
			flags = (rnd >> 20 & 7) == 0 ? DRAIN : 0;
			memset(r, 0, sizeof(*r));
			/* the same ids in every group, not in launch order */
			snprintf(r->id, sizeof(r->id), "i-%02zu", (j * 7) % MAXM);
			r->group = g;
			r->launch = NOW - ages[(rnd >> 24) % 5];
			r->old = NOW - r->launch >= 300;
			r->stale = g == 2;
			r->draining = flags & DRAIN;
			r->orphaned = kind == 0;
			r->idle = kind == 1;
			r->tasks = kind == 2 ? (int)(rnd >> 8 & 3) + 1 : 0;
			r->batch = kind == 2 ? (int)(rnd >> 12 & 1) : 0;
			add(w, g, r->id, 1, NOW - r->launch, kind == 0 ? ORPH : kind == 1 ? IDLE : RUN,
			    r->tasks, r->batch, flags);
			/* ids repeat over the groups: each machine's agent by key */
			w->g[g].inst[w->g[g].n - 1].agent_key = w->conn.n;
		}
		w->g[g].target = MAXM;
	}
	qsort(ref, n, sizeof(ref[0]), ref_cmp);
	*n_out = n;
	return w;
}

static void test_order_many(void **state)
{
	struct ref_cand ref[3 * MAXM];
	struct world *w;
	size_t n, j;

	(void)state;
	w = order_world(ref, &n);
	assert_int_equal(cman_pool_modify(&w->pm, 0, &w->d, NULL), 0);
	assert_int_equal(w->d.n_terminated, 0);
	assert_int_equal(w->d.n_skipped, n);
	for (j = 0; j < n; j++)
		assert_string_equal(cman_decision_str(&w->d, w->d.skipped[j].id), ref[j].id);
	world_free(w);
}

/*
 * The walk stopped after k machines by the weight limit, for every k: the
 * first k in order are terminated (group by group, each group's in order)
 * and the others skipped in order.  So the walk crosses from one group of
 * flags to the next (each ordered only when reached, issue 12) at every
 * point, and the chosen ones are put first both ways (few: through the
 * sort records' room; more than half: by a permutation).
 */
static void test_order_prefix(void **state)
{
	struct ref_cand ref[3 * MAXM];
	size_t n, k, j, g, t;

	(void)state;
	for (k = 0; k <= 3 * MAXM; k++) {
		struct world *w = order_world(ref, &n);

		w->cfg.max_weight_to_remove = (double)k;
		for (g = 0; g < 3; g++)
			w->g[g].target = 0;
		assert_int_equal(cman_pool_modify(&w->pm, 0, &w->d, NULL), 0);
		assert_int_equal(w->d.n_terminated, k);
		assert_int_equal(w->d.n_skipped, n - k);
		for (g = 0, t = 0; g < 3; g++)
			for (j = 0; j < k; j++)
				if (ref[j].group == g) {
					assert_string_equal(
						cman_decision_str(&w->d, w->d.terminated[t]), ref[j].id);
					t++;
				}
		assert_int_equal(t, k);
		for (j = k; j < n; j++)
			assert_string_equal(cman_decision_str(&w->d, w->d.skipped[j - k].id),
					    ref[j].id);
		world_free(w);
	}
}

/* ---- modify: skips ----------------------------------------------------------- */

static void test_skip_weight_limit(void **state)
{
	struct world *w = world_new(1);

	w->cfg.max_weight_to_remove = 2.5;
	w->g[0].target = 4;
	add(w, 0, "i-a", 1, OLD, IDLE, 0, 0, 0);
	add(w, 0, "i-b", 2, OLD, IDLE, 0, 0, 0);
	add(w, 0, "i-c", 1, OLD + 1, IDLE, 0, 0, 0);
	/* order: i-c (oldest), i-a, i-b */
	assert_int_equal(cman_pool_modify(&w->pm, 0, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-c,i-a");
	assert_string_equal(skipped(&w->d), "i-b:weight limit");
	world_free(w);
}

static void test_skip_group_at_target(void **state)
{
	struct world *w = world_new(2);

	/* 2 + 2 -> 3: g0 goes to 1, g1 stays at 2; g1's machines come first
	 * (draining) but may not take it below 2 */
	w->g[0].target = 2;
	w->g[1].target = 2;
	add(w, 0, "i-a1", 1, OLD, IDLE, 0, 0, 0);
	add(w, 0, "i-a2", 1, OLD, IDLE, 0, 0, 0);
	add(w, 1, "i-b1", 1, OLD, IDLE, 0, 0, DRAIN);
	add(w, 1, "i-b2", 1, OLD, IDLE, 0, 0, DRAIN);
	assert_int_equal(cman_pool_modify(&w->pm, 3, &w->d, NULL), 0);
	assert_true(w->d.groups[0].planned == 1 && w->d.groups[1].planned == 2);
	assert_string_equal(terminated(&w->d), "i-a1");
	assert_string_equal(skipped(&w->d), "i-b1:group at target,i-b2:group at target");
	assert_int_equal(w->g[1].n_terminate, 0);
	world_free(w);
}

static void test_skip_group_heavy_machine(void **state)
{
	struct world *w = world_new(1);

	/* a heavy machine would take the group below its target of 3 */
	w->g[0].target = 4;
	add(w, 0, "i-big", 3, OLD, IDLE, 0, 0, DRAIN);
	add(w, 0, "i-a", 1, OLD, IDLE, 0, 0, 0);
	add(w, 0, "i-b", 1, OLD, IDLE, 0, 0, 0);
	assert_int_equal(cman_pool_modify(&w->pm, 3, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-a,i-b");
	assert_string_equal(skipped(&w->d), "i-big:group at target");
	world_free(w);
}

static void test_skip_task_limit(void **state)
{
	struct world *w = world_new(1);

	w->cfg.max_tasks_to_kill = 5;
	w->g[0].target = 3;
	add(w, 0, "i-a", 1, OLD + 2, RUN, 3, 0, 0);
	add(w, 0, "i-b", 1, OLD + 1, RUN, 3, 0, 0);
	add(w, 0, "i-c", 1, OLD, IDLE, 0, 0, 0);
	assert_int_equal(cman_pool_modify(&w->pm, 0, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-c,i-a");
	assert_string_equal(skipped(&w->d), "i-b:task limit");
	world_free(w);
}

static void test_skip_non_orphan_floor(void **state)
{
	struct world *w = world_new(1);

	/* fulfilled 3, joined 2, new target 2: the draining joined machine
	 * would take joined capacity to 1; the orphan may go */
	w->g[0].target = 3;
	add(w, 0, "i-run", 1, OLD, RUN, 1, 0, DRAIN);
	add(w, 0, "i-orphan", 1, YOUNG, ORPH, 0, 0, 0);
	add(w, 0, "i-run2", 1, OLD, RUN, 1, 0, 0);
	assert_int_equal(cman_pool_modify(&w->pm, 2, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-orphan");
	assert_string_equal(skipped(&w->d), "i-run:non-orphan floor");
	world_free(w);
}

/* The checks in order: weight limit before group at target, before task
 * limit, before the non-orphan floor. */
static void test_skip_reason_precedence(void **state)
{
	struct world *w = world_new(1);

	w->cfg.max_weight_to_remove = 1;
	w->g[0].target = 3;
	add(w, 0, "i-1", 1, OLD, IDLE, 0, 0, DRAIN);      /* chosen */
	add(w, 0, "i-2", 1, OLD, RUN, 2, 0, DRAIN);       /* weight (also floor) */
	add(w, 0, "i-o", 1, OLD, ORPH, 0, 0, 0);          /* weight */
	assert_int_equal(cman_pool_modify(&w->pm, 1, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-1");
	assert_string_equal(skipped(&w->d), "i-2:weight limit,i-o:weight limit");
	world_free(w);

	w = world_new(1);
	w->cfg.max_tasks_to_kill = 3;
	w->g[0].target = 3;
	w->g[0].min = 2;     /* the group stays at 2 */
	add(w, 0, "i-1", 1, OLD, RUN, 2, 0, DRAIN);       /* chosen, 2 tasks */
	add(w, 0, "i-2", 1, OLD, RUN, 2, 0, DRAIN);       /* group (also tasks) */
	add(w, 0, "i-3", 1, OLD, RUN, 2, 0, 0);           /* group (also tasks) */
	assert_int_equal(cman_pool_modify(&w->pm, 0, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-1");
	assert_string_equal(skipped(&w->d), "i-2:group at target,i-3:group at target");
	world_free(w);

	w = world_new(1);
	w->cfg.max_tasks_to_kill = 3;
	w->g[0].target = 3;
	add(w, 0, "i-1", 1, OLD, RUN, 2, 0, DRAIN);       /* chosen, 2 tasks */
	add(w, 0, "i-2", 1, OLD, RUN, 2, 0, DRAIN);       /* task limit (also floor) */
	add(w, 0, "i-3", 1, OLD, ORPH, 0, 0, 0);          /* chosen */
	assert_int_equal(cman_pool_modify(&w->pm, 1, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-1,i-3");
	assert_string_equal(skipped(&w->d), "i-2:task limit");
	world_free(w);
}

/* ---- modify: candidates ---------------------------------------------------- */

struct filter_case {
	const char *what;
	enum cman_agent_state state;
	int tasks;
	unsigned flags;
	double max_tasks;
	bool candidate;
};

static const struct filter_case filter_cases[] = {
	{ "idle joined", IDLE, 0, 0, INF, true },
	{ "orphan", ORPH, 0, 0, INF, true },
	{ "unknown agent", CMAN_AGENT_UNKNOWN, 0, 0, INF, false },
	{ "not safe to kill", IDLE, 0, UNSAFE, INF, false },
	{ "cordoned", IDLE, 0, CORDON, INF, false },
	{ "tasks at max_tasks_to_kill", RUN, 5, 0, 5, false },
	{ "tasks above max_tasks_to_kill", RUN, 6, 0, 5, false },
	{ "tasks below max_tasks_to_kill", RUN, 4, 0, 5, true },
	{ "no tasks with max_tasks_to_kill 0", RUN, 0, 0, 0, true },
	{ "one task with max_tasks_to_kill 0", RUN, 1, 0, 0, false },
};

static void test_candidates(void **state)
{
	size_t k;

	for (k = 0; k < sizeof(filter_cases) / sizeof(filter_cases[0]); k++) {
		const struct filter_case *c = &filter_cases[k];
		struct world *w = world_new(1);

		w->cfg.max_tasks_to_kill = c->max_tasks;
		w->g[0].target = 1;
		add(w, 0, "i-x", 1, OLD, c->state, c->tasks, 0, c->flags);
		assert_int_equal(cman_pool_modify(&w->pm, 0, &w->d, NULL), 0);
		if ((w->d.n_terminated == 1) != c->candidate)
			fail_msg("%s: terminated '%s'", c->what, terminated(&w->d));
		/* filtered machines are not skips */
		assert_int_equal(w->d.n_skipped, 0);
		assert_int_equal(w->g[0].n_terminate, c->candidate ? 1 : 0);
		world_free(w);
	}
}

/* ---- modify: stopping, dry run, errors -------------------------------------- */

static void test_stop_at_target(void **state)
{
	struct world *w = world_new(1);
	int i;

	w->g[0].target = 5;
	for (i = 0; i < 5; i++) {
		char id[16];

		snprintf(id, sizeof(id), "i-%d", i);
		add(w, 0, id, 1, OLD + 10 - i, IDLE, 0, 0, 0);
	}
	assert_int_equal(cman_pool_modify(&w->pm, 3, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-0,i-1");
	assert_int_equal(w->g[0].n, 3);
	assert_int_equal(w->d.n_skipped, 0);

	/* already at target: nothing to prune, terminate not called */
	cman_decision_reset(&w->d);
	w->g[0].n_terminate = 0;
	assert_int_equal(cman_pool_modify(&w->pm, 3, &w->d, NULL), 0);
	assert_int_equal(w->d.n_terminated, 0);
	assert_int_equal(w->g[0].n_terminate, 0);
	/* fulfilled below target: nothing either */
	assert_int_equal(cman_pool_modify(&w->pm, 10, &w->d, NULL), 0);
	assert_int_equal(w->d.n_terminated, 0);
	assert_int_equal(w->g[0].n_terminate, 0);
	world_free(w);
}

static void test_stop_fractional_weights(void **state)
{
	struct world *w = world_new(1);

	/* 0.1 + 0.2 + 0.3 + 0.4 + 1 -> 1: stop once fulfilled <= target,
	 * with rounding */
	w->g[0].target = 2;
	add(w, 0, "i-a", 0.1, OLD + 4, IDLE, 0, 0, 0);
	add(w, 0, "i-b", 0.2, OLD + 3, IDLE, 0, 0, 0);
	add(w, 0, "i-c", 0.3, OLD + 2, IDLE, 0, 0, 0);
	add(w, 0, "i-d", 0.4, OLD + 1, IDLE, 0, 0, 0);
	add(w, 0, "i-e", 1, OLD, IDLE, 0, 0, 0);
	assert_int_equal(cman_pool_modify(&w->pm, 1, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-a,i-b,i-c,i-d");
	assert_int_equal(w->d.n_skipped, 0);
	world_free(w);
}

static void test_dry_run(void **state)
{
	struct world *w = world_new(2);

	w->pm.dry_run = true;
	w->g[0].target = 2;
	w->g[1].target = 0;
	add(w, 0, "i-a", 1, OLD, IDLE, 0, 0, 0);
	add(w, 0, "i-b", 1, OLD, IDLE, 0, 0, 0);
	add(w, 1, "i-c", 1, OLD, ORPH, 0, 0, 0);
	assert_int_equal(cman_pool_modify(&w->pm, 1, &w->d, NULL), 0);
	/* modify_target asked with dry_run: the fake did not change */
	assert_int_equal(w->g[0].n_modify, 1);
	assert_true(w->g[0].modify_dry);
	assert_true(w->g[0].target == 2);
	/* orphan first, then one of g0 */
	assert_string_equal(terminated(&w->d), "i-a,i-c");
	assert_int_equal(w->g[0].n_terminate, 1);
	assert_true(w->g[0].terminate_dry);
	assert_true(w->g[1].terminate_dry);
	assert_int_equal(w->g[0].n, 2);
	assert_int_equal(w->g[1].n, 1);

	/* orphan clean-up on a dry run: i-c is old enough but already chosen */
	w->cfg.orphan_instance_uptime_threshold_seconds = 100;
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-a,i-c");
	assert_int_equal(w->g[1].n, 1);
	world_free(w);
}

/* ---- issue 10: carrying on, long ids, IP matching, running machines only ---- */

/* LIVE-SPEC §5.2: a group whose resize fails is recorded, the others are
 * still resized, pruning still happens; the first failure is returned. */
static void test_modify_carries_on(void **state)
{
	struct world *w = world_new(3);
	struct cman_error err = { 0 };
	char *line = NULL;
	size_t len = 0;
	FILE *fp;

	/* growing: 2+2+2 -> 9 plans 3 each; g1's call fails */
	w->g[0].target = w->g[1].target = w->g[2].target = 2;
	w->g[1].fail_modify = CMAN_ETHROTTLED;
	assert_int_equal(cman_pool_modify(&w->pm, 9, &w->d, &err), CMAN_ETHROTTLED);
	assert_non_null(strstr(err.msg, "resource group 'g1': modify failed"));
	assert_int_equal(w->g[0].n_modify, 1);
	assert_int_equal(w->g[1].n_modify, 1);
	assert_int_equal(w->g[2].n_modify, 1);     /* after the failing one */
	assert_true(w->g[0].target == 3 && w->g[1].target == 2 && w->g[2].target == 3);
	assert_int_equal(w->d.n_groups, 3);
	assert_true(w->d.groups[1].planned == 3);
	assert_true(w->d.groups[1].applied == 2);  /* what it still has */
	assert_int_equal(w->d.groups[1].rc, CMAN_ETHROTTLED);
	assert_string_equal(cman_decision_str(&w->d, w->d.groups[1].error), "modify failed");
	assert_true(w->d.groups[0].planned == 3 && w->d.groups[0].applied == 3);
	assert_int_equal(w->d.groups[0].rc, 0);
	assert_true(w->d.groups[2].applied == 3);
	assert_false(w->d.dry_run);
	fp = open_memstream(&line, &len);
	assert_non_null(fp);
	assert_int_equal(cman_decision_write_json_live(&w->d, fp), 0);
	fclose(fp);
	assert_non_null(strstr(line, "\"group_targets\":{\"g0\":3.0,\"g1\":3.0,\"g2\":3.0}"));
	assert_non_null(strstr(line, "\"paused\":false,\"dry_run\":false,\"groups\":{"
				     "\"g0\":{\"planned\":3.0,\"applied\":3.0,\"error\":null},"
				     "\"g1\":{\"planned\":3.0,\"applied\":2.0,\"error\":\"modify failed\"},"
				     "\"g2\":{\"planned\":3.0,\"applied\":3.0,\"error\":null}},"
				     "\"terminate_failed\":[]}\n"));
	free(line);
	/* the simulator's line has none of live mode's keys */
	line = NULL;
	fp = open_memstream(&line, &len);
	assert_int_equal(cman_decision_write_json(&w->d, fp), 0);
	fclose(fp);
	assert_null(strstr(line, "dry_run"));
	assert_null(strstr(line, "applied"));
	free(line);
	world_free(w);

	/* shrinking: 4+4 -> 4 plans 2 and 2; g0 times out (it may have been
	 * applied: unknown), g1 is resized and pruned to 2; g0 is pruned only
	 * down to its old target 4, i.e. not at all */
	w = world_new(2);
	w->g[0].target = w->g[1].target = 4;
	w->g[0].fail_modify = CMAN_ETIMEOUT;
	add(w, 0, "a1", 1, OLD + 1, IDLE, 0, 0, 0);
	add(w, 0, "a2", 1, OLD + 2, IDLE, 0, 0, 0);
	add(w, 0, "a3", 1, OLD + 3, IDLE, 0, 0, 0);
	add(w, 0, "a4", 1, OLD + 4, IDLE, 0, 0, 0);
	add(w, 1, "b1", 1, OLD + 1, IDLE, 0, 0, 0);
	add(w, 1, "b2", 1, OLD + 2, IDLE, 0, 0, 0);
	add(w, 1, "b3", 1, OLD + 3, IDLE, 0, 0, 0);
	add(w, 1, "b4", 1, OLD + 4, IDLE, 0, 0, 0);
	cman_error_clear(&err);
	assert_int_equal(cman_pool_modify(&w->pm, 4, &w->d, &err), CMAN_ETIMEOUT);
	assert_true(isnan(w->d.groups[0].applied));
	assert_true(w->d.groups[1].applied == 2 && w->g[1].target == 2);
	/* the oldest two of g1 go; none of g0 */
	assert_string_equal(terminated(&w->d), "b4,b3");
	assert_int_equal(w->g[0].n_terminate, 0);
	assert_int_equal(w->g[0].n, 4);
	assert_int_equal(w->g[1].n, 2);
	world_free(w);

	/* a termination that fails is recorded per id; the other group is
	 * still pruned */
	w = world_new(2);
	w->g[0].target = w->g[1].target = 2;
	w->g[0].fail_terminate = 1;
	add(w, 0, "a1", 1, OLD + 1, IDLE, 0, 0, 0);
	add(w, 0, "a2", 1, OLD + 2, IDLE, 0, 0, 0);
	add(w, 1, "b1", 1, OLD + 1, IDLE, 0, 0, 0);
	add(w, 1, "b2", 1, OLD + 2, IDLE, 0, 0, 0);
	cman_error_clear(&err);
	assert_int_equal(cman_pool_modify(&w->pm, 2, &w->d, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "resource group 'g0': terminate failed"));
	assert_string_equal(terminated(&w->d), "b2");
	assert_int_equal(w->d.n_terminate_failed, 1);
	assert_string_equal(cman_decision_str(&w->d, w->d.terminate_failed[0]), "a2");
	assert_int_equal(w->g[1].n, 1);
	world_free(w);

	/* a group that could not be described fails the call at once */
	w = world_new(2);
	w->g[1].fail_getters = CMAN_ETRANSIENT;
	cman_error_clear(&err);
	assert_int_equal(cman_pool_modify(&w->pm, 3, &w->d, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "resource group 'g1': not described"));
	assert_int_equal(w->g[0].n_modify, 0);
	world_free(w);
}

/* A dry run records what it would do and the targets the groups keep. */
static void test_modify_dry_run_applied(void **state)
{
	struct world *w = world_new(2);

	w->pm.dry_run = true;
	w->g[0].target = 1;
	w->g[1].target = 1;
	assert_int_equal(cman_pool_modify(&w->pm, 4, &w->d, NULL), 0);
	assert_true(w->d.dry_run);
	assert_true(w->d.groups[0].planned == 2 && w->d.groups[0].applied == 1);
	assert_true(w->d.groups[1].planned == 2 && w->d.groups[1].applied == 1);
	assert_true(w->g[0].modify_dry && w->g[0].target == 1);
	world_free(w);
}

/* Auto Scaling group names reach 255 characters; ids are never cut. */
static void test_long_ids(void **state)
{
	struct world *w = world_new(1);
	char name[256], mid[201], *line = NULL;
	size_t len = 0;
	FILE *fp;

	memset(name, 'n', 255);
	name[255] = '\0';
	memcpy(name, "asg-", 4);
	memset(mid, 'm', 200);
	mid[200] = '\0';
	memcpy(mid, "i-", 2);
	snprintf(w->g[0].name, sizeof(w->g[0].name), "%s", name);
	w->g[0].target = 2;
	add(w, 0, mid, 1, OLD, IDLE, 0, 0, 0);
	add(w, 0, "i-short", 1, YOUNG, IDLE, 0, 0, 0);
	assert_int_equal(cman_pool_modify(&w->pm, 1, &w->d, NULL), 0);
	assert_string_equal(cman_decision_str(&w->d, w->d.groups[0].id), name);
	assert_string_equal(terminated(&w->d), mid);
	assert_int_equal(w->g[0].n, 1);              /* the group found the whole id */
	assert_string_equal(w->g[0].inst[0].id, "i-short");
	fp = open_memstream(&line, &len);
	assert_int_equal(cman_decision_write_json(&w->d, fp), 0);
	fclose(fp);
	assert_non_null(strstr(line, name));
	assert_non_null(strstr(line, mid));
	free(line);
	world_free(w);
}

/* LIVE-SPEC §3.1: agents by the machine's private IP when the connector
 * can; a machine without an IP is unknown (never pruned); orphans get the
 * machine's launch time. */
static void test_match_by_ip(void **state)
{
	struct world *w = world_new(1);
	struct fake_group *g = &w->g[0];
	double v;

	w->conn.base.ops = &fake_ip_conn_ops;
	w->cfg.orphan_instance_uptime_threshold_seconds = 500;
	g->target = 4;
	/* the connector knows agents by IP only */
	add(w, 0, "i-a", 1, OLD + 3, CMAN_AGENT_UNKNOWN, 0, 0, 0);
	add(w, 0, "i-b", 1, OLD + 2, CMAN_AGENT_UNKNOWN, 0, 0, 0);
	add(w, 0, "i-c", 1, OLD + 1, CMAN_AGENT_UNKNOWN, 0, 0, 0);
	add(w, 0, "i-d", 1, OLD, CMAN_AGENT_UNKNOWN, 0, 0, 0);
	snprintf(g->ips[0], sizeof(g->ips[0]), "10.0.0.1");
	snprintf(g->ips[1], sizeof(g->ips[1]), "10.0.0.2");
	snprintf(g->ips[2], sizeof(g->ips[2]), "10.0.0.3");
	g->inst[0].ip = g->ips[0];
	g->inst[1].ip = g->ips[1];
	g->inst[2].ip = g->ips[2];                 /* no agent has it: orphaned */
	g->inst[3].ip = NULL;                      /* i-d: no IP, unknown */
	w->conn.agents[0].a = (struct cman_agent){ .state = CMAN_AGENT_RUNNING, .tasks = 2,
						   .safe_to_kill = true };
	snprintf(w->conn.agents[0].id, sizeof(w->conn.agents[0].id), "10.0.0.1");
	w->conn.agents[1].a = (struct cman_agent){ .state = CMAN_AGENT_IDLE,
						   .safe_to_kill = true };
	snprintf(w->conn.agents[1].id, sizeof(w->conn.agents[1].id), "10.0.0.2");
	w->conn.n = 2;
	{
		struct cman_agent a;

		cman_pool_agent_of(&w->pm, &g->inst[2], &a);
		assert_int_equal(a.state, CMAN_AGENT_ORPHANED);
		assert_int_equal(a.orphaned_since, NOW - (OLD + 1));
		cman_pool_agent_of(&w->pm, &g->inst[3], &a);
		assert_int_equal(a.state, CMAN_AGENT_UNKNOWN);
		cman_pool_agent_of(&w->pm, &g->inst[0], &a);
		assert_int_equal(a.state, CMAN_AGENT_RUNNING);
		assert_int_equal(a.tasks, 2);
	}
	assert_int_equal(cman_pool_non_orphan_fulfilled(&w->pm, &v, NULL), 0);
	assert_true(v == 2);
	/* prune to 1: orphaned i-c first, then idle i-b, then running i-a;
	 * i-d (no IP) is never a candidate */
	assert_int_equal(cman_pool_modify(&w->pm, 1, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-c,i-b");
	assert_string_equal(skipped(&w->d), "i-a:non-orphan floor");
	assert_int_equal(w->conn.n_lookups, 0);    /* never by instance id */
	assert_true(w->conn.n_ip_lookups > 0);
	world_free(w);
}

/* A connector that takes the groups' agent keys (the simulator's): the
 * machines with a key are looked up by it, never by id, and those without
 * one by id; the choice is the one matching by id gives. */
static void test_match_by_key(void **state)
{
	struct world *w = world_new(1);
	struct fake_group *g = &w->g[0];
	struct cman_agent a;
	double v;

	w->conn.base.ops = &fake_key_conn_ops;
	w->cfg.orphan_instance_uptime_threshold_seconds = 500;
	g->target = 4;
	add(w, 0, "i-a", 1, OLD + 3, CMAN_AGENT_RUNNING, 2, 0, 0);
	add(w, 0, "i-b", 1, OLD + 2, CMAN_AGENT_IDLE, 0, 0, 0);
	add(w, 0, "i-c", 1, OLD + 1, CMAN_AGENT_ORPHANED, 0, 0, 0);
	add(w, 0, "i-d", 1, OLD, CMAN_AGENT_IDLE, 0, 0, 0);
	/* keys point at the agents added in this order; i-d has none and is
	 * found by its id */
	g->inst[0].agent_key = 1;
	g->inst[1].agent_key = 2;
	g->inst[2].agent_key = 3;
	/* the connector's id lookup does not know the keyed ones (UNKNOWN:
	 * never pruned nor cleaned up): only the keys find them */
	snprintf(w->conn.agents[0].id, sizeof(w->conn.agents[0].id), "not-i-a");
	snprintf(w->conn.agents[1].id, sizeof(w->conn.agents[1].id), "not-i-b");
	snprintf(w->conn.agents[2].id, sizeof(w->conn.agents[2].id), "not-i-c");
	cman_pool_agent_of(&w->pm, &g->inst[0], &a);
	assert_int_equal(a.state, CMAN_AGENT_RUNNING);
	assert_int_equal(a.tasks, 2);
	cman_pool_agent_of(&w->pm, &g->inst[2], &a);
	assert_int_equal(a.state, CMAN_AGENT_ORPHANED);
	assert_int_equal(w->conn.n_lookups, 0);
	cman_pool_agent_of(&w->pm, &g->inst[3], &a);
	assert_int_equal(a.state, CMAN_AGENT_IDLE);
	assert_int_equal(w->conn.n_lookups, 1);
	w->conn.n_lookups = 0;
	w->conn.n_key_lookups = 0;
	assert_int_equal(cman_pool_non_orphan_fulfilled(&w->pm, &v, NULL), 0);
	assert_true(v == 3);
	/* prune 4 -> 1: orphaned i-c, then the idle ones oldest first, i-b and
	 * i-d (non-orphan 3 -> 2 -> 1, not below the target); running i-a stays */
	assert_int_equal(cman_pool_modify(&w->pm, 1, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-c,i-b,i-d");
	assert_true(w->conn.n_key_lookups > 0);
	world_free(w);
}

/* Only running machines are pruned or cleaned up (LIVE-SPEC §5.3, §5.4);
 * a machine tagged cordoned never is. */
static void test_prune_running_only(void **state)
{
	struct world *w = world_new(1);
	struct fake_group *g = &w->g[0];

	w->cfg.orphan_instance_uptime_threshold_seconds = 100;
	g->target = 5;
	add(w, 0, "i-pending", 1, OLD + 5, IDLE, 0, 0, 0);
	add(w, 0, "i-ending", 1, OLD + 4, IDLE, 0, 0, 0);
	add(w, 0, "i-cordoned", 1, OLD + 3, IDLE, 0, 0, 0);
	add(w, 0, "i-run", 1, OLD + 2, IDLE, 0, 0, 0);
	add(w, 0, "i-orph", 1, OLD + 1, ORPH, 0, 0, 0);
	g->inst[0].state = CMAN_INSTANCE_PENDING;
	g->inst[1].state = CMAN_INSTANCE_SHUTTING_DOWN;
	g->inst[2].cordoned = true;
	/* prune to 0: of the five only i-orph and i-run may go */
	assert_int_equal(cman_pool_modify(&w->pm, 0, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-orph,i-run");
	assert_int_equal(g->n, 3);
	world_free(w);

	/* orphan clean-up: a stopping orphan is left alone */
	w = world_new(1);
	g = &w->g[0];
	w->cfg.orphan_instance_uptime_threshold_seconds = 100;
	g->target = 2;
	add(w, 0, "i-o1", 1, OLD, ORPH, 0, 0, 0);
	add(w, 0, "i-o2", 1, OLD, ORPH, 0, 0, 0);
	g->inst[0].state = CMAN_INSTANCE_STOPPING;
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-o2");
	world_free(w);
}

static void test_instance_states(void **state)
{
	static const char *const names[] = { "pending", "running", "shutting-down",
					     "terminated", "stopping", "stopped" };

	for (size_t i = 0; i < 6; i++) {
		enum cman_instance_state s = cman_instance_state_parse(names[i]);

		assert_int_not_equal(s, CMAN_INSTANCE_UNKNOWN);
		assert_string_equal(cman_instance_state_name(s), names[i]);
	}
	assert_int_equal(cman_instance_state_parse("Running"), CMAN_INSTANCE_UNKNOWN);
	assert_int_equal(cman_instance_state_parse(NULL), CMAN_INSTANCE_UNKNOWN);
	assert_string_equal(cman_instance_state_name((enum cman_instance_state)99), "unknown");
}

static void test_modify_errors(void **state)
{
	struct world *w = world_new(2);
	struct cman_error err = { 0 };

	w->g[0].target = 2;
	w->g[1].fail_modify = 1;
	w->g[1].target = 0;
	assert_int_equal(cman_pool_modify(&w->pm, 4, &w->d, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "resource group 'g1'"));
	assert_non_null(strstr(err.msg, "modify failed"));
	world_free(w);

	w = world_new(1);
	w->g[0].target = 2;
	w->g[0].fail_terminate = 1;
	add(w, 0, "i-a", 1, OLD, IDLE, 0, 0, 0);
	add(w, 0, "i-b", 1, OLD, IDLE, 0, 0, 0);
	cman_error_clear(&err);
	assert_int_equal(cman_pool_modify(&w->pm, 1, &w->d, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "resource group 'g0': terminate failed"));
	assert_int_equal(w->d.n_terminated, 0);
	world_free(w);

	/* pruning needs a clock */
	w = world_new(1);
	w->pm.clock = NULL;
	w->g[0].target = 2;
	add(w, 0, "i-a", 1, OLD, IDLE, 0, 0, 0);
	add(w, 0, "i-b", 1, OLD, IDLE, 0, 0, 0);
	cman_error_clear(&err);
	assert_int_equal(cman_pool_modify(&w->pm, 1, &w->d, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "clock"));
	world_free(w);
}

static void test_bad_arguments(void **state)
{
	struct world *w = world_new(1);
	struct cman_error err = { 0 };

	assert_int_equal(cman_pool_modify(&w->pm, 1, NULL, &err), CMAN_EINVAL);
	assert_int_equal(cman_pool_modify(&w->pm, NAN, &w->d, &err), CMAN_EINVAL);
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, NULL, &err), CMAN_EINVAL);
	assert_int_equal(cman_pool_modify(NULL, 1, &w->d, NULL), CMAN_EINVAL);
	world_free(w);
}

static void test_no_connector(void **state)
{
	struct world *w = world_new(1);

	w->pm.conn = NULL;
	w->g[0].target = 2;
	add(w, 0, "i-a", 1, OLD, IDLE, 0, 0, 0);
	add(w, 0, "i-b", 1, OLD, ORPH, 0, 0, 0);
	assert_int_equal(cman_pool_modify(&w->pm, 0, &w->d, NULL), 0);
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, NULL), 0);
	assert_int_equal(w->d.n_terminated, 0);
	assert_true(w->g[0].target == 0);
	world_free(w);
}

static void test_scratch_reused(void **state)
{
	struct world *w = world_new(1);
	void *scratch;
	size_t cap;
	int i;

	w->g[0].target = 6;
	for (i = 0; i < 6; i++) {
		char id[16];

		snprintf(id, sizeof(id), "i-%d", i);
		add(w, 0, id, 1, OLD + i, IDLE, 0, 0, 0);
	}
	assert_int_equal(cman_pool_modify(&w->pm, 5, &w->d, NULL), 0);
	scratch = w->pm.scratch;
	cap = w->pm.scratch_cap;
	assert_non_null(scratch);
	for (i = 4; i >= 0; i--) {
		cman_decision_reset(&w->d);
		assert_int_equal(cman_pool_modify(&w->pm, i, &w->d, NULL), 0);
		assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, NULL), 0);
		assert_int_equal(w->d.n_terminated, 1);
		assert_ptr_equal(w->pm.scratch, scratch);
		assert_int_equal(w->pm.scratch_cap, cap);
	}
	assert_int_equal(w->g[0].n, 0);
	cman_pool_manager_release(&w->pm);
	cman_pool_manager_release(&w->pm);   /* safe twice */
	assert_null(w->pm.scratch);
	world_free(w);
}

/* ---- orphans ------------------------------------------------------------------ */

static void test_orphans(void **state)
{
	struct world *w = world_new(2);

	w->cfg.orphan_instance_uptime_threshold_seconds = 1800;
	add(w, 0, "i-at", 1, 1800, ORPH, 0, 0, 0);        /* not longer: stays */
	add(w, 0, "i-over", 1, 1801, ORPH, 0, 0, 0);      /* goes */
	add(w, 0, "i-joined", 1, 5000, IDLE, 0, 0, 0);
	add(w, 0, "i-unknown", 1, 5000, CMAN_AGENT_UNKNOWN, 0, 0, 0);
	add(w, 1, "i-old1", 1, 9000, ORPH, 0, 0, UNSAFE);
	add(w, 1, "i-young", 1, 10, ORPH, 0, 0, 0);
	add(w, 1, "i-old2", 1, 9000, ORPH, 0, 0, 0);
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-over,i-old1,i-old2");
	assert_int_equal(w->g[0].n_terminate, 1);
	assert_int_equal(w->g[0].terminate_n, 1);
	assert_int_equal(w->g[1].n_terminate, 1);
	assert_int_equal(w->g[1].terminate_n, 2);
	assert_false(w->g[0].terminate_dry);
	assert_int_equal(w->g[0].n, 3);
	assert_int_equal(w->g[1].n, 1);
	assert_string_equal(w->g[1].inst[0].id, "i-young");

	/* nothing left to clean: no call */
	cman_decision_reset(&w->d);
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, NULL), 0);
	assert_int_equal(w->d.n_terminated, 0);
	assert_int_equal(w->g[0].n_terminate, 1);

	/* a minute later i-at goes too */
	w->clk.now += 60;
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-at");
	world_free(w);
}

static void test_orphans_dry_run_and_errors(void **state)
{
	struct world *w = world_new(1);
	struct cman_error err = { 0 };

	w->pm.dry_run = true;
	w->cfg.orphan_instance_uptime_threshold_seconds = 0;
	add(w, 0, "i-o", 1, 1, ORPH, 0, 0, 0);
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, NULL), 0);
	assert_string_equal(terminated(&w->d), "i-o");
	assert_true(w->g[0].terminate_dry);
	assert_int_equal(w->g[0].n, 1);

	w->g[0].fail_terminate = 1;
	cman_decision_reset(&w->d);
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "resource group 'g0'"));

	w->pm.clock = NULL;
	cman_error_clear(&err);
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, &err), CMAN_EINVAL);

	/* no groups: nothing, clock or not */
	w->pm.n_groups = 0;
	assert_int_equal(cman_pool_cleanup_orphans(&w->pm, &w->d, NULL), 0);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distribute_table),
		cmocka_unit_test(test_distribute_random),
		cmocka_unit_test(test_sums),
		cmocka_unit_test(test_modify_changed_groups_only),
		cmocka_unit_test(test_order_each_key),
		cmocka_unit_test(test_order_stale_group),
		cmocka_unit_test(test_order_scalein_cap),
		cmocka_unit_test(test_order_full),
		cmocka_unit_test(test_order_many),
		cmocka_unit_test(test_order_prefix),
		cmocka_unit_test(test_skip_weight_limit),
		cmocka_unit_test(test_skip_group_at_target),
		cmocka_unit_test(test_skip_group_heavy_machine),
		cmocka_unit_test(test_skip_task_limit),
		cmocka_unit_test(test_skip_non_orphan_floor),
		cmocka_unit_test(test_skip_reason_precedence),
		cmocka_unit_test(test_candidates),
		cmocka_unit_test(test_stop_at_target),
		cmocka_unit_test(test_stop_fractional_weights),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_modify_errors),
		cmocka_unit_test(test_modify_carries_on),
		cmocka_unit_test(test_modify_dry_run_applied),
		cmocka_unit_test(test_long_ids),
		cmocka_unit_test(test_match_by_ip),
		cmocka_unit_test(test_match_by_key),
		cmocka_unit_test(test_prune_running_only),
		cmocka_unit_test(test_instance_states),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_no_connector),
		cmocka_unit_test(test_scratch_reused),
		cmocka_unit_test(test_orphans),
		cmocka_unit_test(test_orphans_dry_run_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
