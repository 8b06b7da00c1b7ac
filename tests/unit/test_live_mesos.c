/*
 * test_live_mesos.c - the Mesos cluster connector against the fake master
 * (tests/fake/mesos_master.c) serving the documented shapes from
 * tests/fixtures/mesos: leader discovery and redirects, the pool's agents,
 * totals, IP matching and states, task counts, the maintenance calls (exact
 * request bodies from the request log) and faults.  Expected numbers are
 * worked out by hand from the fixtures (see their README).
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

#include "cman/live/mesos.h"
#include "cman/pool.h"
#include "fake_http.h"
#include "mesos_master.h"

/* A call's timeout in the "slow answer" cases, and how late the slow
 * answers come; the other answers must arrive within SHORT_MS. */
#define SHORT_MS 1500
#define SLOW_MS 4000

static struct fake_http *fake;
static struct fake_mesos *master;
static char self_loc[64];         /* "//127.0.0.1:PORT" of the fake */
static int n_sleeps;
static long slept_ms[16];

static void count_sleep(void *ctx, long ms)
{
	(void)ctx;
	if (n_sleeps < 16)
		slept_ms[n_sleeps] = ms;
	n_sleeps++;
}

static void config(struct cman_mesos_config *c, const char *url)
{
	cman_mesos_config_init(c);
	snprintf(c->master, sizeof(c->master), "%s", url);
	snprintf(c->pool, sizeof(c->pool), "default");
	/* generous: the machine may be loaded (or this may run under valgrind) */
	c->connect_timeout_ms = 10000;
	c->timeout_ms = 20000;
	c->sleep_ms = count_sleep;
}

/* A fresh master (fixtures, leader = itself), an empty log, a connector. */
static struct cman_mesos *fresh(struct cman_mesos_config *cfg_out)
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
	n_sleeps = 0;
	config(&cfg, fake_http_url(fake));
	if (cfg_out)
		cfg = *cfg_out;
	assert_int_equal(cman_mesos_new(&cfg, &m, &err), 0);
	return m;
}

static void push(int status, const char *body, const char *header, int delay, int truncate)
{
	fake_http_push(fake, &(struct fake_reply){.status = status, .body = body,
		       .header = header, .delay_ms = delay, .truncate = truncate,
		       .content_type = "application/json"});
}

static char self_header[96];      /* "Location: //127.0.0.1:PORT" */
static char api_header[96];       /* the same with /api/v1 */

static void push_leader(void)
{
	push(307, "", self_header, 0, 0);
}

static void assert_request(size_t i, const char *method, const char *path)
{
	struct fake_request r = fake_http_request(fake, i);

	assert_string_equal(r.method, method);
	assert_string_equal(r.path, path);
}

static size_t count_path(const char *path)
{
	size_t i, k = 0;

	for (i = 0; i < fake_http_count(fake); i++)
		if (strcmp(fake_http_request(fake, i).path, path) == 0)
			k++;
	return k;
}

/* ---- configuration --------------------------------------------------------------- */

static void test_master_forms(void **state)
{
	static const struct {
		const char *in, *url;
	} ok[] = {
		{"mesos.example.com", "http://mesos.example.com:5050"},
		{"mesos-1:6060", "http://mesos-1:6060"},
		{"http://127.0.0.1:1234/", "http://127.0.0.1:1234"},
		{"https://m.internal", "https://m.internal:5050"},
		{"[::1]:5051", "http://[::1]:5051"},
	};
	static const char *const bad[] = {
		"ftp://m", "m:0", "m:99999", "http://m/mesos", "user@m", "m:", "m:5x",
		"http://", "m n",
	};
	struct cman_mesos_config c;
	struct cman_mesos *m;
	struct cman_error err;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		config(&c, ok[i].in);
		assert_int_equal(cman_mesos_new(&c, &m, &err), 0);
		assert_string_equal(cman_mesos_master_url(m), ok[i].url);
		assert_string_equal(cman_mesos_leader_url(m), "");
		assert_string_equal(cman_mesos_connector(m)->ops->kind, "mesos");
		cman_mesos_free(m);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config(&c, bad[i]);
		assert_int_equal(cman_mesos_new(&c, &m, &err), CMAN_EINVAL);
		assert_null(m);
		assert_non_null(strstr(err.msg, "mesos_master_fqdn"));
	}
	config(&c, "");
	assert_int_equal(cman_mesos_new(&c, &m, &err), CMAN_EINVAL);
	config(&c, "m");
	c.pool[0] = '\0';
	assert_int_equal(cman_mesos_new(&c, &m, &err), CMAN_EINVAL);
	config(&c, "m");
	c.max_attempts = 0;
	assert_int_equal(cman_mesos_new(&c, &m, &err), CMAN_EINVAL);
}

static void test_pid(void **state)
{
	char ip[64];
	int port;

	assert_int_equal(cman_mesos_parse_pid("slave(1)@10.40.31.172:5051", ip, sizeof(ip),
					      &port), 0);
	assert_string_equal(ip, "10.40.31.172");
	assert_int_equal(port, 5051);
	assert_int_equal(cman_mesos_parse_pid("slave(12)@10.0.0.1", ip, sizeof(ip), &port), 0);
	assert_string_equal(ip, "10.0.0.1");
	assert_int_equal(port, 0);
	assert_int_equal(cman_mesos_parse_pid("slave(1)@host.name:5051", ip, sizeof(ip), &port),
			 -1);
	assert_string_equal(ip, "");
	assert_int_equal(cman_mesos_parse_pid("slave(1)@10.0.0.1:", ip, sizeof(ip), &port), -1);
	assert_int_equal(cman_mesos_parse_pid("slave(1)@10.0.0.1:99999", ip, sizeof(ip), &port),
			 -1);
	assert_int_equal(cman_mesos_parse_pid("slave(1)@10.0.0.256:5051", ip, sizeof(ip), &port),
			 -1);
	assert_int_equal(cman_mesos_parse_pid("10.0.0.1:5051", ip, sizeof(ip), &port), -1);
	assert_int_equal(cman_mesos_parse_pid(NULL, ip, sizeof(ip), &port), -1);
}

static void test_secret(void **state)
{
	struct cman_mesos_config c;
	struct cman_error err;
	char path[] = "/tmp/cman-mesos-secret-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("{\"principal\": \"clusterman\", \"secret\": \"s3cr3t\"}", f);
	fclose(f);
	cman_mesos_config_init(&c);
	assert_int_equal(cman_mesos_load_secret(&c, path, &err), 0);
	assert_string_equal(c.principal, "clusterman");
	assert_string_equal(c.secret, "s3cr3t");
	f = fopen(path, "w");
	fputs("{\"principal\": \"clusterman\",\n \"secret\": }", f);
	fclose(f);
	cman_mesos_config_init(&c);
	assert_int_equal(cman_mesos_load_secret(&c, path, &err), CMAN_EINVAL);
	assert_true(strncmp(err.msg, path, strlen(path)) == 0);
	assert_non_null(strstr(err.msg, ":2:"));           /* FILE:LINE:COLUMN */
	unlink(path);
	setenv("PAASTA_SECRET_MESOS_SLAVE", "{\"principal\": \"p\", \"secret\": \"q\"}", 1);
	assert_int_equal(cman_mesos_load_secret(&c, NULL, &err), 0);
	assert_string_equal(c.principal, "p");
	assert_string_equal(c.secret, "q");
	setenv("PAASTA_SECRET_MESOS_SLAVE", "{\"secret\": \"q\"}", 1);
	assert_int_equal(cman_mesos_load_secret(&c, "", &err), CMAN_EINVAL);
	unsetenv("PAASTA_SECRET_MESOS_SLAVE");
	cman_mesos_config_init(&c);
	assert_int_equal(cman_mesos_load_secret(&c, NULL, &err), 0);
	assert_string_equal(c.principal, "");
}

/* ---- reload ----------------------------------------------------------------------- */

static void assert_fixture_snapshot(const struct cman_mesos *m)
{
	const struct cman_mesos_agent *a;
	const struct cman_mesos_framework *fw;

	/* Pool default: S1, S2, S3 (no pool attribute), S5 (inactive), S6 (no IP). */
	assert_int_equal(cman_mesos_agent_count(m), 5);
	assert_int_equal(cman_mesos_unaddressed(m), 1);
	assert_int_equal(cman_mesos_duplicate_ips(m), 0);
	/* Sorted by IP, the agent without one last. */
	assert_string_equal(cman_mesos_agent_at(m, 0)->id, "a1-S1");
	assert_string_equal(cman_mesos_agent_at(m, 3)->id, "a1-S5");
	assert_string_equal(cman_mesos_agent_at(m, 4)->id, "a1-S6");
	assert_string_equal(cman_mesos_agent_at(m, 4)->ip, "");
	assert_null(cman_mesos_agent_at(m, 5));
	/* Totals: 16+8+4+2+1 cpus, 30000+15000+7000+4000+1000 MB, ... */
	assert_true(cman_mesos_total(m, CMAN_RES_CPUS) == 31);
	assert_true(cman_mesos_total(m, CMAN_RES_MEM) == 57000);
	assert_true(cman_mesos_total(m, CMAN_RES_DISK) == 751000);
	assert_true(cman_mesos_total(m, CMAN_RES_GPUS) == 1);
	/* Used: S1 4.5 cpus 2048 MB, S5 1 cpu 512 MB. */
	assert_true(cman_mesos_allocated(m, CMAN_RES_CPUS) == 5.5);
	assert_true(cman_mesos_allocated(m, CMAN_RES_MEM) == 2560);
	assert_true(cman_mesos_allocated(m, CMAN_RES_DISK) == 0);
	assert_true(cman_mesos_allocated(m, CMAN_RES_GPUS) == 0);

	a = cman_mesos_agent_by_ip(m, "10.1.2.3");
	assert_non_null(a);
	assert_string_equal(a->id, "a1-S1");
	assert_string_equal(a->hostname, "h1");
	assert_int_equal(a->port, 5051);
	assert_true(a->active);
	assert_true(a->total[CMAN_RES_CPUS] == 16 && a->used[CMAN_RES_CPUS] == 4.5);
	assert_int_equal(a->state, CMAN_AGENT_RUNNING);
	assert_int_equal(a->tasks, 2);          /* t1 (marathon), t5 (chronos) */
	assert_int_equal(a->batch_tasks, 1);    /* t5 */
	a = cman_mesos_agent_by_ip(m, "10.1.2.4");
	assert_int_equal(a->state, CMAN_AGENT_IDLE);
	assert_int_equal(a->tasks, 0);          /* t6 is only killing */
	a = cman_mesos_agent_by_ip(m, "10.1.2.5");
	assert_string_equal(a->id, "a1-S3");
	assert_int_equal(a->state, CMAN_AGENT_IDLE);
	assert_true(a->total[CMAN_RES_GPUS] == 0 && a->used[CMAN_RES_MEM] == 0);
	a = cman_mesos_agent_by_ip(m, "10.1.2.7");
	assert_false(a->active);
	assert_int_equal(a->state, CMAN_AGENT_RUNNING);
	assert_int_equal(a->tasks, 2);          /* t3 (marathon), t8 (marathon-user) */
	assert_int_equal(a->batch_tasks, 0);
	assert_null(cman_mesos_agent_by_ip(m, "10.1.2.6"));   /* pool batch */
	assert_null(cman_mesos_agent_by_ip(m, "10.1.2.8"));
	assert_null(cman_mesos_agent_by_ip(m, ""));

	assert_int_equal(cman_mesos_framework_count(m), 3);
	fw = cman_mesos_framework_at(m, 0);
	assert_string_equal(fw->name, "marathon");
	assert_false(fw->batch);
	assert_int_equal(fw->tasks, 2);         /* t1, t3 */
	assert_int_equal(fw->tasks_all, 3);     /* and t4 in pool batch */
	fw = cman_mesos_framework_at(m, 1);
	assert_string_equal(fw->id, "f2");
	assert_true(fw->batch);
	assert_int_equal(fw->tasks, 1);         /* t5 */
	assert_int_equal(fw->tasks_all, 2);     /* and t7 on an unlisted agent */
	fw = cman_mesos_framework_at(m, 2);
	assert_false(fw->batch);
	assert_false(fw->active);
	assert_int_equal(fw->tasks, 1);
	assert_null(cman_mesos_framework_at(m, 3));
}

static void test_reload(void **state)
{
	struct cman_mesos *m = fresh(NULL);
	struct cman_connector *c = cman_mesos_connector(m);
	struct cman_error err;

	assert_int_equal(c->ops->reload(c, &err), 0);
	assert_int_equal(fake_http_count(fake), 3);
	assert_request(0, "GET", "/redirect");
	assert_request(1, "GET", "/master/slaves");
	assert_request(2, "GET", "/master/frameworks");
	assert_string_equal(fake_http_request(fake, 1).authorization, "");
	assert_string_equal(cman_mesos_leader_url(m), fake_http_url(fake));
	assert_fixture_snapshot(m);
	assert_true(c->ops->total(c, CMAN_RES_CPUS) == 31);
	assert_true(c->ops->allocated(c, CMAN_RES_MEM) == 2560);
	assert_int_equal(n_sleeps, 0);
	cman_mesos_free(m);
}

/* The master answers /redirect itself with 200 (a proxy in front of the
 * leader): it is used as the leader. */
static void test_leader_answers_itself(void **state)
{
	struct cman_mesos *m = fresh(NULL);
	struct cman_error err;

	push(200, "", NULL, 0, 0);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	assert_int_equal(fake_http_count(fake), 3);
	assert_string_equal(cman_mesos_leader_url(m), fake_http_url(fake));
	cman_mesos_free(m);
}

static void test_leader_redirect(void **state)
{
	struct fake_http *other = fake_http_start();
	struct fake_mesos *om = fake_mesos_new(FAKE_MESOS_FIXTURES);
	struct cman_mesos_config cfg;
	struct cman_mesos *m;
	struct cman_error err;
	char other_loc[64], other_hostport[64];

	assert_non_null(other);
	assert_non_null(om);
	fake_mesos_attach(om, other);
	snprintf(other_loc, sizeof(other_loc), "//127.0.0.1:%d", fake_http_port(other));
	snprintf(other_hostport, sizeof(other_hostport), "127.0.0.1:%d", fake_http_port(other));

	/* The configured master (other, no scheme given) is not the leader:
	 * its /redirect names the fake, which serves everything. */
	config(&cfg, other_hostport);
	m = fresh(&cfg);
	fake_mesos_set_leader(om, self_loc, 0);
	fake_http_reset(other);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	assert_int_equal(fake_http_count(other), 1);
	assert_string_equal(fake_http_request(other, 0).path, "/redirect");
	assert_int_equal(fake_http_count(fake), 2);
	assert_request(0, "GET", "/master/slaves");
	assert_request(1, "GET", "/master/frameworks");
	assert_string_equal(cman_mesos_leader_url(m), fake_http_url(fake));
	assert_fixture_snapshot(m);

	/* Leadership moved after /redirect answered: the old leader (fake)
	 * sends /master/slaves on to the new one (other), which serves the
	 * rest; the frameworks go straight to it. */
	fake_http_reset(other);
	fake_http_reset(fake);
	fake_mesos_set_leader(om, self_loc, 1);             /* stale /redirect answer */
	fake_mesos_set_leader(master, other_loc, 0);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	assert_int_equal(fake_http_count(fake), 1);
	assert_request(0, "GET", "/master/slaves");
	assert_int_equal(fake_http_count(other), 3);
	assert_string_equal(fake_http_request(other, 0).path, "/redirect");
	assert_string_equal(fake_http_request(other, 1).path, "/master/slaves");
	assert_string_equal(fake_http_request(other, 2).path, "/master/frameworks");
	assert_string_equal(cman_mesos_leader_url(m), fake_http_url(other));
	cman_mesos_free(m);
	fake_http_stop(other);
	fake_mesos_free(om);
}

static void test_redirect_loop(void **state)
{
	struct cman_mesos *m = fresh(NULL);
	struct cman_error err;

	assert_int_equal(cman_mesos_reload(m, &err), 0);
	fake_http_reset(fake);
	/* Every endpoint points back at itself. */
	fake_mesos_set_leader(master, self_loc, 0);
	assert_int_equal(cman_mesos_reload(m, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "redirect loop"));
	/* /redirect, then /master/slaves followed 3 times: not retried. */
	assert_int_equal(fake_http_count(fake), 5);
	assert_int_equal(count_path("/master/slaves"), 4);
	assert_int_equal(n_sleeps, 0);
	/* The failed reload left the previous snapshot. */
	assert_fixture_snapshot(m);
	cman_mesos_free(m);
}

static void test_no_leader(void **state)
{
	struct cman_mesos *m = fresh(NULL);
	struct cman_error err;

	fake_mesos_set_leader(master, "", 1);
	assert_int_equal(cman_mesos_reload(m, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "Mesos master unreachable"));
	assert_non_null(strstr(err.msg, "HTTP 503"));
	assert_non_null(strstr(err.msg, "after 3 attempts"));
	assert_int_equal(fake_http_count(fake), 3);
	assert_int_equal(count_path("/redirect"), 3);
	assert_int_equal(err.remote.http_status, 503);
	assert_int_equal(err.remote.attempts, 3);
	assert_int_equal(n_sleeps, 2);
	assert_int_equal(slept_ms[0], 500);
	assert_int_equal(slept_ms[1], 1000);
	assert_int_equal(cman_mesos_agent_count(m), 0);
	cman_mesos_free(m);
}

/* ---- agents and instances ----------------------------------------------------------- */

/* A resource group that only lists machines (what the pool manager asks
 * of it to match agents). */
struct list_group {
	struct cman_resource_group base;
	const struct cman_rg_instance *inst;
	size_t n;
};

static int lg_instances(struct cman_resource_group *rg, const struct cman_rg_instance **out,
			size_t *n, struct cman_error *err)
{
	struct list_group *g = (struct list_group *)rg;

	(void)err;
	*out = g->inst;
	*n = g->n;
	return 0;
}

static bool lg_stale(const struct cman_resource_group *rg)
{
	(void)rg;
	return false;
}

static const struct cman_rg_ops list_group_ops = {
	.kind = "list",
	.instances = lg_instances,
	.is_stale = lg_stale,
};

#define RUN CMAN_INSTANCE_RUNNING
static const struct cman_rg_instance machines[] = {
	{.id = "i-1", .ip = "10.1.2.3", .state = RUN, .weight = 4, .launch_time = 100},
	{.id = "i-2", .ip = "10.1.2.4", .state = RUN, .weight = 2, .launch_time = 200},
	{.id = "i-3", .ip = "", .state = RUN, .weight = 1, .launch_time = 300},
	{.id = "i-4", .ip = "10.1.2.200", .state = RUN, .weight = 8, .launch_time = 400},
	{.id = "i-5", .ip = "10.1.2.6", .state = RUN, .weight = 16, .launch_time = 500},
	{.id = "i-6", .ip = "10.1.2.5", .state = CMAN_INSTANCE_SHUTTING_DOWN, .weight = 32,
	 .launch_time = 600},
	{.id = "i-7", .ip = "10.1.2.7", .state = RUN, .weight = 64, .launch_time = 700},
	{.id = "i-8", .ip = NULL, .state = RUN, .weight = 128, .launch_time = 800},
};

/* The connector behind the core's pool manager: machines of a group are
 * matched to the fixture's agents by IP. */
static void test_states(void **state)
{
	static const struct {
		enum cman_agent_state st;
		int tasks, batch;
		int64_t since;
	} want[] = {
		{CMAN_AGENT_RUNNING, 2, 1, 0},
		{CMAN_AGENT_IDLE, 0, 0, 0},
		{CMAN_AGENT_UNKNOWN, 0, 0, 0},      /* no private IP */
		{CMAN_AGENT_ORPHANED, 0, 0, 400},   /* an IP no agent has */
		{CMAN_AGENT_ORPHANED, 0, 0, 500},   /* an agent of pool batch */
		{CMAN_AGENT_IDLE, 0, 0, 0},         /* a1-S3, no pool attribute */
		{CMAN_AGENT_RUNNING, 2, 0, 0},      /* deactivated agent a1-S5 */
		{CMAN_AGENT_UNKNOWN, 0, 0, 0},
	};
	struct cman_mesos *m = fresh(NULL);
	struct cman_connector *c = cman_mesos_connector(m);
	struct list_group g = {{&list_group_ops, "g"}, machines,
			       sizeof(machines) / sizeof(machines[0])};
	struct cman_resource_group *groups[] = {&g.base};
	struct cman_pool_config pcfg;
	struct cman_pool_manager pm;
	struct cman_agent a;
	struct cman_error err;
	double joined;
	size_t i;

	assert_int_equal(c->ops->reload(c, &err), 0);
	assert_null(c->ops->agent);             /* matched by IP only */
	memset(&pcfg, 0, sizeof(pcfg));
	cman_pool_manager_init(&pm, &pcfg, groups, 1, c, NULL);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		memset(&a, 0x5a, sizeof(a));
		cman_pool_agent_of(&pm, &machines[i], &a);
		if (a.state != want[i].st)
			fail_msg("%s: state %d, expected %d", machines[i].id, a.state, want[i].st);
		assert_int_equal(a.tasks, want[i].tasks);
		assert_int_equal(a.batch_tasks, want[i].batch);
		assert_int_equal(a.orphaned_since, want[i].since);
		assert_false(a.draining);
		assert_false(a.cordoned);
	}
	/* Joined and running: i-1 (4), i-2 (2), i-7 (64); i-6 is shutting down. */
	assert_int_equal(cman_pool_non_orphan_fulfilled(&pm, &joined, &err), 0);
	assert_true(joined == 70);
	cman_pool_manager_release(&pm);

	/* The connector's own answer for an IP. */
	c->ops->agent_by_ip(c, "10.1.2.3", &a);
	assert_int_equal(a.state, CMAN_AGENT_RUNNING);
	assert_true(a.safe_to_kill);
	cman_mesos_agent_for_ip(m, "", 9, &a);
	assert_int_equal(a.state, CMAN_AGENT_UNKNOWN);
	cman_mesos_agent_for_ip(m, "10.9.9.9", 9, &a);
	assert_int_equal(a.state, CMAN_AGENT_ORPHANED);
	assert_int_equal(a.orphaned_since, 9);
	cman_mesos_free(m);
}

static void test_batch_prefixes(void **state)
{
	static const char *const chronos[] = {"chronos", NULL};
	static const char *const none[] = {NULL};
	struct cman_mesos_config cfg;
	struct cman_mesos *m;
	struct cman_error err;

	config(&cfg, fake_http_url(fake));
	cfg.non_batch_prefixes = chronos;
	m = fresh(&cfg);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	/* t1 (marathon) is batch now, t5 (chronos) is not. */
	assert_int_equal(cman_mesos_agent_by_ip(m, "10.1.2.3")->batch_tasks, 1);
	assert_int_equal(cman_mesos_agent_by_ip(m, "10.1.2.7")->batch_tasks, 2);
	assert_true(cman_mesos_framework_at(m, 0)->batch);
	assert_false(cman_mesos_framework_at(m, 1)->batch);
	cman_mesos_free(m);

	cfg.non_batch_prefixes = none;
	m = fresh(&cfg);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	assert_int_equal(cman_mesos_agent_by_ip(m, "10.1.2.3")->batch_tasks, 2);
	assert_int_equal(cman_mesos_agent_by_ip(m, "10.1.2.7")->batch_tasks, 2);
	cman_mesos_free(m);

	/* Another pool. */
	config(&cfg, fake_http_url(fake));
	snprintf(cfg.pool, sizeof(cfg.pool), "batch");
	m = fresh(&cfg);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	assert_int_equal(cman_mesos_agent_count(m), 1);
	assert_true(cman_mesos_total(m, CMAN_RES_CPUS) == 32);
	assert_true(cman_mesos_allocated(m, CMAN_RES_MEM) == 4096);
	assert_int_equal(cman_mesos_agent_by_ip(m, "10.1.2.6")->tasks, 1);   /* t4 */
	cman_mesos_free(m);
}

static void test_duplicate_ips(void **state)
{
	struct cman_mesos *m = fresh(NULL);
	struct cman_error err;
	const char *slaves =
		"{\"slaves\":[{\"id\":\"old\",\"pid\":\"slave(1)@10.0.0.1:5051\",\"active\":false,"
		"\"resources\":{\"cpus\":2}},{\"id\":\"new\",\"pid\":\"slave(1)@10.0.0.1:5051\","
		"\"active\":true,\"resources\":{\"cpus\":4}},{\"id\":\"b\",\"pid\":"
		"\"slave(1)@10.0.0.0:5051\"}]}";
	const char *fw = "{\"frameworks\":[]}";

	assert_int_equal(cman_mesos_load(m, slaves, strlen(slaves), fw, strlen(fw), &err), 0);
	assert_int_equal(cman_mesos_agent_count(m), 3);
	assert_int_equal(cman_mesos_duplicate_ips(m), 1);
	assert_string_equal(cman_mesos_agent_by_ip(m, "10.0.0.1")->id, "new");
	assert_string_equal(cman_mesos_agent_by_ip(m, "10.0.0.0")->id, "b");
	assert_true(cman_mesos_total(m, CMAN_RES_CPUS) == 6);
	cman_mesos_free(m);
}

static void test_shapes(void **state)
{
	static const struct {
		const char *slaves, *frameworks, *msg;
	} bad[] = {
		{"[]", "{\"frameworks\":[]}", "expected a JSON object"},
		{"{\"slaves\":{}}", "{\"frameworks\":[]}", "expected an array \"slaves\""},
		{"{\"slaves\":[{\"pid\":\"x\"}]}", "{\"frameworks\":[]}", "slaves[0]"},
		{"{\"slaves\":[{\"id\":\"a\",\"resources\":{\"cpus\":\"4\"}}]}",
		 "{\"frameworks\":[]}", "slaves[0].resources.cpus"},
		{"{\"slaves\":[{\"id\":\"a\",\"used_resources\":{\"mem\":-1}}]}",
		 "{\"frameworks\":[]}", "slaves[0].used_resources.mem"},
		{"{\"slaves\":[{\"id\":\"a\"},{\"id\":\"a\"}]}", "{\"frameworks\":[]}",
		 "appears twice"},
		{"{\"slaves\":[]}", "{}", "expected an array \"frameworks\""},
		{"{\"slaves\":[]}", "{\"frameworks\":[{\"id\":\"f\",\"tasks\":[1]}]}",
		 "frameworks[0].tasks[0]"},
		{"{\"slaves\":[]}", "{\"frameworks\":[{\"id\":\"f\",\"tasks\":{}}]}",
		 "frameworks[0].tasks"},
		{"{\"slaves\":[", "{\"frameworks\":[]}", "line 1"},
	};
	struct cman_mesos *m = fresh(NULL);
	struct cman_error err;
	size_t i;

	assert_int_equal(cman_mesos_reload(m, &err), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cman_mesos_load(m, bad[i].slaves, strlen(bad[i].slaves),
						 bad[i].frameworks, strlen(bad[i].frameworks),
						 &err), CMAN_ETRANSIENT);
		assert_non_null(strstr(err.msg, "malformed"));
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.msg, bad[i].msg);
		assert_fixture_snapshot(m);      /* unchanged */
	}
	/* A pool attribute that is not a string names no pool. */
	{
		const char *s = "{\"slaves\":[{\"id\":\"a\",\"attributes\":{\"pool\":5}}]}";
		const char *f = "{\"frameworks\":[]}";

		assert_int_equal(cman_mesos_load(m, s, strlen(s), f, strlen(f), &err), 0);
		assert_int_equal(cman_mesos_agent_count(m), 0);
	}
	cman_mesos_free(m);
}

/* ---- faults on reads ------------------------------------------------------------------ */

static void test_read_faults(void **state)
{
	struct cman_mesos_config cfg;
	struct cman_mesos *m = fresh(NULL);
	struct cman_error err;

	/* 500 on /redirect, then the routes: retried once. */
	push(500, "boom", NULL, 0, 0);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	assert_int_equal(fake_http_count(fake), 4);
	assert_int_equal(count_path("/redirect"), 2);
	assert_int_equal(n_sleeps, 1);

	/* 503 on /master/slaves. */
	fake_http_reset(fake);
	push_leader();
	push(503, "", NULL, 0, 0);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	assert_int_equal(count_path("/master/slaves"), 2);

	/* A truncated answer, then malformed JSON: both retried. */
	fake_http_reset(fake);
	push_leader();
	push(200, "{\"slaves\": [{\"id\": \"a\", \"pid\": \"slave(1)@10.9.9.9:5051\"}]}", NULL, 0, 1);
	push(200, "{\"slaves\": [", NULL, 0, 0);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	assert_int_equal(count_path("/master/slaves"), 3);
	assert_fixture_snapshot(m);

	/* Malformed every time: fails, naming the call, after 3 attempts. */
	fake_http_reset(fake);
	n_sleeps = 0;
	push_leader();
	push(200, "not json", NULL, 0, 0);
	push(200, "{\"slaves\": 1", NULL, 0, 0);
	push(200, "[1, 2]", NULL, 0, 0);
	assert_int_equal(cman_mesos_reload(m, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "GET /master/slaves"));
	assert_non_null(strstr(err.msg, "malformed"));
	assert_non_null(strstr(err.msg, "after 3 attempts"));
	assert_int_equal(fake_http_count(fake), 4);
	assert_int_equal(n_sleeps, 2);
	assert_fixture_snapshot(m);

	/* A well-formed answer of the wrong shape is not retried. */
	fake_http_reset(fake);
	push_leader();
	push(200, "{\"slaves\": 1}", NULL, 0, 0);
	assert_int_equal(cman_mesos_reload(m, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "expected an array \"slaves\""));
	assert_int_equal(fake_http_count(fake), 3);

	/* A 404 is rejected at once, with the status and the master's text. */
	fake_http_reset(fake);
	push_leader();
	push(404, "No such endpoint", NULL, 0, 0);
	assert_int_equal(cman_mesos_reload(m, &err), CMAN_EREJECTED);
	assert_non_null(strstr(err.msg, "HTTP 404: No such endpoint"));
	assert_int_equal(err.remote.http_status, 404);
	assert_int_equal(err.remote.attempts, 1);
	assert_int_equal(fake_http_count(fake), 2);
	cman_mesos_free(m);

	/* Slow past the timeout: retried, then success; and always slow: a
	 * timeout after 3 attempts. */
	config(&cfg, fake_http_url(fake));
	cfg.timeout_ms = SHORT_MS;
	m = fresh(&cfg);
	push_leader();
	push(200, "{}", NULL, SLOW_MS, 0);
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	assert_int_equal(count_path("/master/slaves"), 2);
	fake_http_reset(fake);
	push(200, "", NULL, SLOW_MS, 0);
	push(200, "", NULL, SLOW_MS, 0);
	push(200, "", NULL, SLOW_MS, 0);
	assert_int_equal(cman_mesos_reload(m, &err), CMAN_ETIMEOUT);
	assert_non_null(strstr(err.msg, "Mesos master unreachable"));
	assert_int_equal(fake_http_count(fake), 3);
	cman_mesos_free(m);
}

static void test_unreachable(void **state)
{
	struct fake_http *gone = fake_http_start();
	struct cman_mesos_config cfg;
	struct cman_mesos *m;
	struct cman_error err;
	char url[64];
	struct cman_mesos_machine h1 = {"h1", "10.1.2.3"};

	snprintf(url, sizeof(url), "%s", fake_http_url(gone));
	fake_http_stop(gone);          /* nothing listens there now */
	config(&cfg, url);
	m = fresh(&cfg);
	assert_int_equal(cman_mesos_reload(m, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "Mesos master unreachable"));
	assert_int_equal(n_sleeps, 2);
	n_sleeps = 0;
	assert_int_equal(cman_mesos_down(m, &h1, 1, &err), CMAN_ETRANSIENT);
	assert_int_equal(n_sleeps, 2);
	assert_int_equal(fake_http_count(fake), 0);
	cman_mesos_free(m);
}

/* ---- maintenance ------------------------------------------------------------------------ */

static struct cman_mesos *with_credentials(void)
{
	struct cman_mesos_config cfg;
	struct cman_mesos *m;

	config(&cfg, fake_http_url(fake));
	snprintf(cfg.principal, sizeof(cfg.principal), "clusterman");
	snprintf(cfg.secret, sizeof(cfg.secret), "s3cr3t");
	m = fresh(&cfg);
	fake_mesos_set_credentials(master, "clusterman", "s3cr3t");
	return m;
}

static void assert_api_call(size_t i, const char *body)
{
	struct fake_request r = fake_http_request(fake, i);

	assert_string_equal(r.method, "POST");
	assert_string_equal(r.path, "/api/v1");
	assert_string_equal(r.content_type, "application/json");
	assert_string_equal(r.authorization, "Basic Y2x1c3Rlcm1hbjpzM2NyM3Q=");
	assert_string_equal(r.body, body);
}

#define H1 "{\"hostname\":\"h1\",\"ip\":\"10.1.2.3\"}"
#define H9 "{\"hostname\":\"h9\",\"ip\":\"10.1.2.99\"}"
#define W2 "{\"machine_ids\":[{\"hostname\":\"h8\"}],\"unavailability\":{\"start\":" \
	   "{\"nanoseconds\":1697660000000000000}}}"

static void test_drain(void **state)
{
	struct cman_mesos *m = with_credentials();
	struct cman_mesos_machine h1 = {"h1", "10.1.2.3"};
	struct cman_error err;
	char *s;

	/* Reads carry the credentials too (all but /redirect). */
	assert_int_equal(cman_mesos_reload(m, &err), 0);
	assert_string_equal(fake_http_request(fake, 0).authorization, "");
	assert_string_equal(fake_http_request(fake, 1).authorization,
			    "Basic Y2x1c3Rlcm1hbjpzM2NyM3Q=");
	fake_http_reset(fake);
	assert_int_equal(cman_mesos_drain(m, &h1, 1, 1700000000000000000LL, 600000000000LL,
					  &err), 0);
	assert_int_equal(fake_http_count(fake), 4);
	assert_request(0, "GET", "/redirect");
	assert_api_call(1, "{\"type\":\"GET_MAINTENANCE_SCHEDULE\"}");
	assert_request(2, "GET", "/redirect");
	/* h1 leaves the first window (h9 stays), the second is untouched, and a
	 * window of its own is added. */
	assert_api_call(3,
		"{\"type\":\"UPDATE_MAINTENANCE_SCHEDULE\",\"update_maintenance_schedule\":"
		"{\"schedule\":{\"windows\":["
		"{\"machine_ids\":[" H9 "],\"unavailability\":{\"start\":{\"nanoseconds\":"
		"1697650000000000000},\"duration\":{\"nanoseconds\":600000000000}}},"
		W2 ","
		"{\"machine_ids\":[" H1 "],\"unavailability\":{\"start\":{\"nanoseconds\":"
		"1700000000000000000},\"duration\":{\"nanoseconds\":600000000000}}}]}}}");
	s = fake_mesos_schedule(master);
	assert_non_null(strstr(s, "1700000000000000000"));
	free(s);

	/* Draining h9 too empties the first window, which is dropped. */
	fake_http_reset(fake);
	{
		struct cman_mesos_machine h9 = {"h9", "10.1.2.99"};

		assert_int_equal(cman_mesos_drain(m, &h9, 1, 5, 7, &err), 0);
	}
	assert_api_call(3,
		"{\"type\":\"UPDATE_MAINTENANCE_SCHEDULE\",\"update_maintenance_schedule\":"
		"{\"schedule\":{\"windows\":[" W2 ","
		"{\"machine_ids\":[" H1 "],\"unavailability\":{\"start\":{\"nanoseconds\":"
		"1700000000000000000},\"duration\":{\"nanoseconds\":600000000000}}},"
		"{\"machine_ids\":[" H9 "],\"unavailability\":{\"start\":{\"nanoseconds\":5},"
		"\"duration\":{\"nanoseconds\":7}}}]}}}");

	/* Bad arguments call nothing. */
	fake_http_reset(fake);
	assert_int_equal(cman_mesos_drain(m, &h1, 0, 5, 7, &err), CMAN_EINVAL);
	assert_int_equal(cman_mesos_drain(m, &h1, 1, 5, 0, &err), CMAN_EINVAL);
	{
		struct cman_mesos_machine nothing = {"", NULL};

		assert_int_equal(cman_mesos_drain(m, &nothing, 1, 5, 7, &err), CMAN_EINVAL);
		assert_int_equal(cman_mesos_down(m, &nothing, 1, &err), CMAN_EINVAL);
	}
	assert_int_equal(fake_http_count(fake), 0);
	cman_mesos_free(m);
}

static void test_down_up_status(void **state)
{
	struct cman_mesos *m = with_credentials();
	struct cman_mesos_machine h1 = {"h1", "10.1.2.3"};
	struct cman_mesos_maintenance st;
	struct cman_error err;
	char *s;

	assert_int_equal(cman_mesos_down(m, &h1, 1, &err), 0);
	assert_int_equal(fake_http_count(fake), 2);
	assert_api_call(1, "{\"type\":\"START_MAINTENANCE\",\"start_maintenance\":"
			   "{\"machines\":[" H1 "]}}");
	s = fake_mesos_down(master);
	assert_string_equal(s, "[" H1 "]");
	free(s);

	fake_http_reset(fake);
	assert_int_equal(cman_mesos_maintenance_status(m, &st, &err), 0);
	assert_api_call(1, "{\"type\":\"GET_MAINTENANCE_STATUS\"}");
	assert_int_equal(st.n_draining, 2);
	assert_string_equal(st.draining[0].hostname, "h9");
	assert_string_equal(st.draining[0].ip, "10.1.2.99");
	assert_string_equal(st.draining[1].hostname, "h8");
	assert_string_equal(st.draining[1].ip, "");
	assert_int_equal(st.n_down, 1);
	assert_string_equal(st.down[0].hostname, "h1");
	cman_mesos_maintenance_release(&st);

	fake_http_reset(fake);
	assert_int_equal(cman_mesos_up(m, &h1, 1, &err), 0);
	assert_api_call(1, "{\"type\":\"STOP_MAINTENANCE\",\"stop_maintenance\":"
			   "{\"machines\":[" H1 "]}}");
	s = fake_mesos_down(master);
	assert_string_equal(s, "[]");
	free(s);
	s = fake_mesos_schedule(master);
	assert_null(strstr(s, "\"h1\""));
	free(s);

	/* h1 is no longer scheduled: the master refuses, and it is not resent. */
	fake_http_reset(fake);
	assert_int_equal(cman_mesos_down(m, &h1, 1, &err), CMAN_EREJECTED);
	assert_non_null(strstr(err.msg, "START_MAINTENANCE"));
	assert_non_null(strstr(err.msg, "HTTP 400: Machine is not part of a maintenance schedule"));
	assert_int_equal(count_path("/api/v1"), 1);
	/* Nor can it be brought up. */
	fake_http_reset(fake);
	assert_int_equal(cman_mesos_up(m, &h1, 1, &err), CMAN_EREJECTED);
	assert_int_equal(count_path("/api/v1"), 1);
	cman_mesos_free(m);
}

static void test_status_fixture(void **state)
{
	struct cman_mesos_maintenance st;
	struct cman_error err;
	char path[512], *text;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/maintenance_status.json", FAKE_MESOS_FIXTURES);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	assert_int_equal(cman_mesos_parse_maintenance_status(text, (size_t)n, &st, &err), 0);
	assert_int_equal(st.n_draining, 2);
	assert_string_equal(st.draining[1].hostname, "h8");
	assert_int_equal(st.n_down, 1);
	assert_string_equal(st.down[0].ip, "10.1.2.3");
	cman_mesos_maintenance_release(&st);
	free(text);
	text = "{\"get_maintenance_status\":{\"status\":{\"down_machines\":[5]}}}";
	assert_int_equal(cman_mesos_parse_maintenance_status(text, strlen(text), &st, &err),
			 CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "down_machines[0]"));
	text = "{\"get_maintenance_status\":{\"status\":{}}}";
	assert_int_equal(cman_mesos_parse_maintenance_status(text, strlen(text), &st, &err), 0);
	assert_int_equal(st.n_draining + st.n_down, 0);
	cman_mesos_maintenance_release(&st);
}

static void test_maintenance_faults(void **state)
{
	struct cman_mesos_config cfg;
	struct cman_mesos *m = with_credentials();
	struct cman_mesos_machine h1 = {"h1", "10.1.2.3"};
	struct cman_error err;
	char *before, *after, sched[4096], *cur;

	/* 500 on the UPDATE: not resent, reported, the schedule untouched. */
	cur = fake_mesos_schedule(master);
	snprintf(sched, sizeof(sched), "{\"type\":\"GET_MAINTENANCE_SCHEDULE\","
		 "\"get_maintenance_schedule\":{\"schedule\":%s}}", cur);
	free(cur);
	before = fake_mesos_schedule(master);
	push_leader();
	push(200, sched, NULL, 0, 0);
	push_leader();
	push(500, "Internal error", NULL, 0, 0);
	assert_int_equal(cman_mesos_drain(m, &h1, 1, 5, 7, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "UPDATE_MAINTENANCE_SCHEDULE"));
	assert_non_null(strstr(err.msg, "HTTP 500"));
	assert_non_null(strstr(err.msg, "after 1 attempt"));
	assert_int_equal(fake_http_count(fake), 4);
	assert_int_equal(n_sleeps, 0);
	after = fake_mesos_schedule(master);
	assert_string_equal(before, after);
	free(after);

	/* A schedule answer without a schedule: nothing is updated. */
	fake_http_reset(fake);
	push_leader();
	push(200, "{\"type\":\"GET_MAINTENANCE_SCHEDULE\"}", NULL, 0, 0);
	assert_int_equal(cman_mesos_drain(m, &h1, 1, 5, 7, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "get_maintenance_schedule.schedule"));
	assert_int_equal(fake_http_count(fake), 2);

	/* A truncated schedule answer is read again (a read), then the update
	 * goes out once. */
	fake_http_reset(fake);
	push_leader();
	push(200, sched, NULL, 0, 1);
	assert_int_equal(cman_mesos_drain(m, &h1, 1, 5, 7, &err), 0);
	assert_int_equal(count_path("/api/v1"), 3);
	assert_non_null(strstr(fake_http_request(fake, 4).body, "UPDATE_MAINTENANCE_SCHEDULE"));
	after = fake_mesos_schedule(master);
	assert_string_not_equal(before, after);
	free(after);
	free(before);

	/* 503 (no leader yet) on START_MAINTENANCE: the master did nothing, so
	 * it is sent again, and h1 is down once. */
	fake_http_reset(fake);
	n_sleeps = 0;
	push_leader();
	push(503, "", NULL, 0, 0);
	assert_int_equal(cman_mesos_down(m, &h1, 1, &err), 0);
	assert_int_equal(count_path("/api/v1"), 2);
	assert_int_equal(n_sleeps, 1);
	after = fake_mesos_down(master);
	assert_string_equal(after, "[" H1 "]");
	free(after);

	/* 502 on STOP_MAINTENANCE: it may have been applied; not resent. */
	fake_http_reset(fake);
	push_leader();
	push(502, "Bad gateway", NULL, 0, 0);
	assert_int_equal(cman_mesos_up(m, &h1, 1, &err), CMAN_ETRANSIENT);
	assert_int_equal(count_path("/api/v1"), 1);

	/* A 307 on STOP_MAINTENANCE (not the leader: nothing done) is followed. */
	fake_http_reset(fake);
	push_leader();
	push(307, "", api_header, 0, 0);
	assert_int_equal(cman_mesos_up(m, &h1, 1, &err), 0);
	assert_int_equal(count_path("/api/v1"), 2);
	assert_api_call(2, "{\"type\":\"STOP_MAINTENANCE\",\"stop_maintenance\":"
			   "{\"machines\":[" H1 "]}}");
	after = fake_mesos_down(master);
	assert_string_equal(after, "[]");
	free(after);
	cman_mesos_free(m);

	/* Wrong credentials: 401, not resent, and the secret is in no message. */
	config(&cfg, fake_http_url(fake));
	snprintf(cfg.principal, sizeof(cfg.principal), "clusterman");
	snprintf(cfg.secret, sizeof(cfg.secret), "wrong-secret");
	m = fresh(&cfg);
	fake_mesos_set_credentials(master, "clusterman", "s3cr3t");
	assert_int_equal(cman_mesos_down(m, &h1, 1, &err), CMAN_EREJECTED);
	assert_non_null(strstr(err.msg, "HTTP 401"));
	assert_non_null(strstr(err.msg, "principal and secret"));
	assert_null(strstr(err.msg, "wrong-secret"));
	assert_int_equal(count_path("/api/v1"), 1);
	cman_mesos_free(m);

	/* No credentials where the master wants some. */
	m = fresh(NULL);
	fake_mesos_set_credentials(master, "clusterman", "s3cr3t");
	assert_int_equal(cman_mesos_up(m, &h1, 1, &err), CMAN_EREJECTED);
	assert_non_null(strstr(err.msg, "mesos_agent_secret_path"));
	assert_string_equal(fake_http_request(fake, 1).authorization, "");
	cman_mesos_free(m);

	/* Slow past the timeout on START_MAINTENANCE: CMAN_ETIMEOUT, sent once. */
	config(&cfg, fake_http_url(fake));
	cfg.timeout_ms = SHORT_MS;
	m = fresh(&cfg);
	push_leader();
	push(200, "", NULL, SLOW_MS, 0);
	assert_int_equal(cman_mesos_down(m, &h1, 1, &err), CMAN_ETIMEOUT);
	assert_non_null(strstr(err.msg, "START_MAINTENANCE"));
	assert_int_equal(count_path("/api/v1"), 1);
	assert_int_equal(n_sleeps, 0);
	cman_mesos_free(m);
}

static int setup(void **state)
{
	fake = fake_http_start();
	if (!fake)
		return -1;
	snprintf(self_loc, sizeof(self_loc), "//127.0.0.1:%d", fake_http_port(fake));
	snprintf(self_header, sizeof(self_header), "Location: %s", self_loc);
	snprintf(api_header, sizeof(api_header), "Location: %s/api/v1", self_loc);
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
		cmocka_unit_test(test_master_forms),
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_leader_answers_itself),
		cmocka_unit_test(test_leader_redirect),
		cmocka_unit_test(test_redirect_loop),
		cmocka_unit_test(test_no_leader),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_batch_prefixes),
		cmocka_unit_test(test_duplicate_ips),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_read_faults),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_down_up_status),
		cmocka_unit_test(test_status_fixture),
		cmocka_unit_test(test_maintenance_faults),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
