/*
 * Draining through the autoscaler daemon, end to end (issue 11):
 * `clusterman-live autoscale --execute`'s loop (daemon.h + autoscale.h) for
 * a pool with draining_enabled, against moto_server (an EC2 Spot Fleet of
 * four m5.large, weight 1 each) and the in-process fake Mesos master (one
 * agent per machine, with tasks; the maintenance API).  The pool's constant
 * signal makes the target drop from 4 to 2, so two machines are chosen.
 *
 * Everything is read back from moto (the fleet's target, each instance's
 * state) and from the fake master (the maintenance schedule, the down
 * machines, the calls it got), after every cycle:
 *   step 0  the target drops; two machines go into the schedule (one window
 *           from now, as long as the pool's timeout); none is terminated
 *   step 1  they still run tasks: nothing changes
 *   step 2  the first one is drained (its tasks gone, brought down by the
 *           operator's START_MAINTENANCE): terminated in moto, out of the
 *           schedule and no longer down; the other one still runs
 *   step 3  SIGTERM before the cycle mutates: the daemon stops (abandoned)
 *           with the drain state in the state table
 *   restart from here on each step is a new process: the program itself,
 *           `clusterman-live autoscale --execute --once` at the step's time
 *           (CMAN_LIVE_TEST_CLOCK)
 *   step 4  the drain is resumed from the state table: no second schedule
 *           entry, no schedule update at all, no termination
 *   step 5  still before the deadline, still running tasks: kept
 *   step 6  at the deadline: terminated, recorded timed_out, released
 *   step 7  nothing left to drain: the state table item is gone
 * The pool's clock is the cycle's `now`, which the test sets per step (a
 * virtual clock, so the 600 s timeout needs no wait).  Between the runs
 * `clusterman-live status` lists the machine being drained.  Expected values come
 * from the set-up: target = non-orphan x request / (total cpus x setpoint).
 */
/* ctest-labels: live */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"

#include "cman/live/autoscale.h"
#include "cman/live/daemon.h"
#include "cman/live/livepool.h"
#include "cman/live/mesos.h"
#include "cman/live/xml.h"
#include "cman/store.h"
#include "fake_http.h"
#include "mesos_master.h"
#include "moto_world.h"
#include "servers.h"

#define TAGKEY "puppet:role::paasta"
#define MINE "{\"pool\": \"dr\", \"paasta_cluster\": \"c1\"}"
#define NL "{\"pool\": \"nl\", \"paasta_cluster\": \"c1\"}"
#define N_MACHINES 4
#define AGENT_CPUS 4      /* each agent's cpus */
#define REQUEST_CPUS 4    /* the constant signal's request */
#define SETPOINT 0.5
#define TIMEOUT 600       /* draining_time_threshold_seconds */
#define MIN_CAPACITY 1
#define N_STEPS 8

static struct cman_aws_client *client;
static struct fake_http *mesos_http;
static struct fake_mesos *mesos;
static char root[256], fleet_id[64], nl_fleet_id[64];
static struct moto_world mw;
static struct test_server moto;

/* One machine of the fleet and its agent. */
struct machine {
	char id[32], ip[32], host[48], agent[16];
	bool agent_up;    /* the agent is in /master/slaves */
	int tasks;        /* tasks running on it */
};

static struct machine world[N_MACHINES];
static int64_t t0;
static const int64_t step_time[N_STEPS] = { 0, 60, 120, 180, 240, 540, 600, 660 };

/* What the test saw after each step. */
struct seen {
	int fleet_target;
	char state[N_MACHINES][32];
	char *schedule, *down;
	size_t updates;   /* UPDATE_MAINTENANCE_SCHEDULE calls the master got so far */
};

static struct seen seen[N_STEPS];

/* ---- moto ------------------------------------------------------------------------- */

static int fleet_target(void)
{
	return moto_fleet_target(client, fleet_id);
}

/* The instance's state name as moto says it ("running", "terminated", ...). */
static void instance_state(const char *id, char *out, size_t n)
{
	struct cman_aws_params p;
	struct cman_error err;
	xmlDocPtr doc;

	cman_aws_params_init(&p, "DescribeInstances", "2016-11-15");
	cman_aws_params_add(&p, "InstanceId.1", id);
	if (cman_aws_query_xml(client, "ec2", &p, 0, &doc, NULL, &err))
		fail_msg("%s", err.msg);
	assert_true(cman_xml_text(cman_xml_find(cman_xml_find(xmlDocGetRootElement(doc),
							      "instanceState"), "name"),
				  out, n) > 0);
	xmlFreeDoc(doc);
	cman_aws_params_release(&p);
}

/* The fleet's instances (ids and private IPs), straight from moto. */
static size_t fleet_instances(void)
{
	struct cman_aws_params p;
	struct cman_error err;
	xmlDocPtr doc;
	xmlNodePtr set, it;
	size_t k = 0;

	cman_aws_params_init(&p, "DescribeSpotFleetInstances", "2016-11-15");
	cman_aws_params_add(&p, "SpotFleetRequestId", fleet_id);
	if (cman_aws_query_xml(client, "ec2", &p, 0, &doc, NULL, &err))
		fail_msg("%s", err.msg);
	set = cman_xml_find(xmlDocGetRootElement(doc), "activeInstanceSet");
	for (it = cman_xml_find(set, "item"); it && k < N_MACHINES; it = cman_xml_next(it, "item"))
		cman_xml_text(cman_xml_find(it, "instanceId"), world[k++].id, sizeof(world[0].id));
	assert_null(it);
	xmlFreeDoc(doc);
	cman_aws_params_release(&p);
	for (size_t i = 0; i < k; i++) {
		cman_aws_params_init(&p, "DescribeInstances", "2016-11-15");
		cman_aws_params_add(&p, "InstanceId.1", world[i].id);
		moto_call(client, "ec2", &p, "privateIpAddress", world[i].ip, sizeof(world[i].ip));
	}
	return k;
}

/* ---- the fake master -------------------------------------------------------------- */

/* /master/slaves and /master/frameworks from world[]. */
static void publish_agents(void)
{
	json_t *slaves = json_array(), *tasks = json_array(), *doc;
	char *s;

	for (int i = 0; i < N_MACHINES; i++) {
		char pid[64];

		if (!world[i].agent_up)
			continue;
		snprintf(pid, sizeof(pid), "slave(1)@%s:5051", world[i].ip);
		json_array_append_new(slaves, json_pack(
			"{s:s,s:s,s:s,s:b,s:{s:s},s:{s:i,s:i,s:i,s:i},s:{s:i,s:i,s:i,s:i}}",
			"id", world[i].agent, "pid", pid, "hostname", world[i].host, "active", 1,
			"attributes", "pool", "dr",
			"resources", "cpus", AGENT_CPUS, "mem", 8000, "disk", 1000, "gpus", 0,
			"used_resources", "cpus", world[i].tasks, "mem", 0, "disk", 0, "gpus", 0));
		for (int t = 0; t < world[i].tasks; t++) {
			char tid[48];

			snprintf(tid, sizeof(tid), "%s-t%d", world[i].agent, t);
			json_array_append_new(tasks, json_pack("{s:s,s:s,s:s,s:s}", "id", tid,
							       "framework_id", "f1", "slave_id",
							       world[i].agent, "state",
							       "TASK_RUNNING"));
		}
	}
	doc = json_pack("{s:o}", "slaves", slaves);
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	fake_mesos_set_body(mesos, "slaves", s);
	free(s);
	doc = json_pack("{s:[{s:s,s:s,s:b,s:o}]}", "frameworks", "id", "f1", "name", "marathon",
			"active", 1, "tasks", tasks);
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	fake_mesos_set_body(mesos, "frameworks", s);
	free(s);
}

/* The operator brings machine i down (START_MAINTENANCE), as maintenance
 * tooling does once a machine is drained. */
static void bring_down(int i)
{
	struct cman_mesos_config cfg;
	struct cman_mesos *m;
	struct cman_mesos_machine mm = { .hostname = world[i].host, .ip = world[i].ip };
	struct cman_error err;

	cman_mesos_config_init(&cfg);
	snprintf(cfg.master, sizeof(cfg.master), "%s", fake_http_url(mesos_http));
	snprintf(cfg.pool, sizeof(cfg.pool), "dr");
	assert_int_equal(cman_mesos_new(&cfg, &m, &err), 0);
	if (cman_mesos_down(m, &mm, 1, &err))
		fail_msg("%s", err.msg);
	cman_mesos_free(m);
}

static size_t count_calls(const char *type)
{
	size_t i, k = 0;

	for (i = 0; i < fake_http_count(mesos_http); i++) {
		struct fake_request r = fake_http_request(mesos_http, i);

		if (r.body && strstr(r.body, type))
			k++;
	}
	return k;
}

/* How many times machine i is in the schedule's windows (by its address). */
static int times_scheduled(const char *sched, int i)
{
	json_t *s = json_loads(sched, 0, NULL), *w, *id;
	size_t a, b;
	int k = 0;

	assert_non_null(s);
	json_array_foreach(json_object_get(s, "windows"), a, w)
		json_array_foreach(json_object_get(w, "machine_ids"), b, id)
			k += !strcmp(json_string_value(json_object_get(id, "ip")) ?
				     json_string_value(json_object_get(id, "ip")) : "", world[i].ip);
	json_decref(s);
	return k;
}

/* ---- clusterman-live status, run as an operator runs it --------------------------- */

/* Its standard output (caller frees); the exit status must be 0. */
static char *status_pool(const char *pool, const char *extra)
{
	char cmd[1024], chunk[4096];
	size_t k, len = 0;
	char *out = calloc(1, 1);
	FILE *fp;

	snprintf(cmd, sizeof(cmd), "%s/clusterman-live --config %s/clusterman.yaml status "
		 "--cluster c1 --pool %s %s 2>>status.err", CMAN_BINARY_DIR, root, pool, extra);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	while ((k = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		out = realloc(out, len + k + 1);
		assert_non_null(out);
		memcpy(out + len, chunk, k);
		out[len += k] = '\0';
	}
	assert_int_equal(pclose(fp), 0);
	return out;
}

static char *status_of(const char *extra)
{
	return status_pool("dr", extra);
}

/* t as UTC "YYYY-MM-DDTHH:MM:SSZ" (by the C library, not our formatter). */
static const char *iso(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	assert_non_null(gmtime_r(&tt, &tm));
	assert_true(strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
	return buf;
}

/* ---- the daemon's cycle, as cmd_autoscale.c runs it ------------------------------ */

struct run {
	struct cman_live_pool *lp;
	struct cman_live_autoscaler as;
	int step0;        /* the global step of this run's first cycle */
};

/* The machines chosen at step 0, in the order the decision lists them
 * (read back from its line when step 2 starts); -1 before. */
static int first = -1, second = -1;

static int index_of(const char *id);

/* draining.started of the first decision line, into first and second. */
static void read_chosen(void)
{
	FILE *fp = fopen("decisions.jsonl", "r");
	char line[65536];
	json_t *o, *l;

	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	o = json_loads(line, 0, NULL);
	l = json_object_get(json_object_get(o, "draining"), "started");
	assert_int_equal(json_array_size(l), 2);
	first = index_of(json_string_value(json_array_get(l, 0)));
	second = index_of(json_string_value(json_array_get(l, 1)));
	json_decref(o);
}

static bool may_mutate(void *d)
{
	return cman_daemon_may_mutate(d);
}

static int index_of(const char *id)
{
	for (int i = 0; i < N_MACHINES; i++)
		if (!strcmp(world[i].id, id))
			return i;
	fail_msg("%s is not a machine of the fleet", id);
	return -1;
}

/* What moto and the master say after step `step`. */
static void observe(int step)
{
	struct seen *s = &seen[step];

	s->fleet_target = fleet_target();
	for (int i = 0; i < N_MACHINES; i++)
		instance_state(world[i].id, s->state[i], sizeof(s->state[i]));
	s->schedule = fake_mesos_schedule(mesos);
	s->down = fake_mesos_down(mesos);
	s->updates = count_calls("UPDATE_MAINTENANCE_SCHEDULE");
}

static int cycle(void *ctx, struct cman_daemon *d, struct cman_daemon_cycle *dc,
		 struct cman_error *err)
{
	struct run *r = ctx;
	int step = r->step0 + (int)dc->index, rc;

	assert_true(step < N_STEPS);
	if (step == 2) {
		/* the first chosen machine is drained, and brought down */
		read_chosen();
		world[first].tasks = 0;
		publish_agents();
		bring_down(first);
	} else if (step == 3) {
		raise(SIGTERM);   /* stop the daemon before it changes anything */
	}
	r->as.may_mutate = may_mutate;
	r->as.may_mutate_ctx = d;
	rc = cman_live_autoscale_cycle(&r->as, t0 + step_time[step], err);
	dc->paused = r->as.stats.last_paused;
	dc->target = r->as.stats.last_target;
	dc->fulfilled = r->as.stats.last_fulfilled;
	dc->max_capacity = r->lp->pf.config.max_capacity;
	observe(step);
	return rc;
}

/* Steps 4 to 7, each a new process: `clusterman-live autoscale --execute
 * --once` at the step's time (CMAN_LIVE_TEST_CLOCK), appending its line to
 * decisions.jsonl. */
static void run_program(int step)
{
	char cmd[2048];
	int rc;

	if (step == 7) {
		world[second].agent_up = false;   /* it left Mesos with its instance */
		publish_agents();
	}
	snprintf(cmd, sizeof(cmd), "CMAN_LIVE_TEST_CLOCK=%lld %s/clusterman-live --config "
		 "%s/clusterman.yaml autoscale --cluster c1 --pool dr --execute --once "
		 "--decisions decisions.jsonl 2>>autoscale.err",
		 (long long)(t0 + step_time[step]), CMAN_BINARY_DIR, root);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("step %d: autoscale --once: status %d (autoscale.err in %s)", step, rc,
			 root);
	observe(step);
}

/* One daemon run of n cycles from global step step0 (a fresh process's
 * objects: pool, autoscaler). */
static void run_daemon(struct cman_live_config *cfg, struct run *r, int n,
		       struct cman_daemon_stats *st)
{
	struct cman_live_pool_opts po;
	struct cman_live_autoscaler_opts ao;
	struct cman_daemon_opts o = { 0 };
	struct cman_error err = { 0 };
	FILE *decf;

	cman_live_pool_opts_init(&po);
	po.dry_run = false;
	if (cman_live_pool_open(cfg, "c1", "dr", NULL, &po, &r->lp, &err))
		fail_msg("%s", err.msg);
	assert_true(r->lp->pf.draining_enabled);
	decf = fopen("decisions.jsonl", "a");
	assert_non_null(decf);
	cman_live_autoscaler_opts_init(&ao);
	ao.execute = true;
	ao.decisions = decf;
	if (cman_live_autoscaler_init(&r->as, r->lp, &ao, &err))
		fail_msg("%s", err.msg);
	o.name = "autoscaler";
	o.cluster = "c1";
	o.pool = "dr";
	o.period_seconds = r->lp->period_seconds;
	o.max_cycles = (uint64_t)n;
	o.health_file = "health.json";
	o.metrics_file = "metrics.prom";
	o.prog = "drain";
	o.cycle = cycle;
	o.ctx = r;
	assert_int_equal(cman_daemon_run(&o, st, &err), 0);
	fclose(decf);
	cman_live_autoscaler_release(&r->as);
	cman_live_pool_close(r->lp);
	r->lp = NULL;
}

/* The decision lines, in order. */
static json_t *decisions(void)
{
	FILE *fp = fopen("decisions.jsonl", "r");
	json_t *all = json_array();
	char line[65536];

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		json_t *o = json_loads(line, 0, NULL);

		assert_non_null(o);
		json_array_append_new(all, o);
	}
	fclose(fp);
	return all;
}

/* The ids of decision line k's draining list `which`, as machine indexes in a
 * bit mask (and their count in *n). */
static unsigned drain_list(json_t *all, size_t k, const char *which, size_t *n)
{
	json_t *l = json_object_get(json_object_get(json_array_get(all, k), "draining"), which);
	json_t *x;
	unsigned mask = 0;
	size_t i;

	assert_true(json_is_array(l));
	*n = json_array_size(l);
	json_array_foreach(l, i, x)
		mask |= 1u << index_of(json_string_value(x));
	return mask;
}

static void expect_list(json_t *all, size_t k, const char *which, unsigned mask)
{
	size_t n;
	unsigned got = drain_list(all, k, which, &n);

	if (got != mask || n != (size_t)__builtin_popcount(mask))
		fail_msg("decision %zu: draining.%s is machines 0x%x (%zu ids), expected 0x%x",
			 k, which, got, n, mask);
}

static void expect_states(int step, const char *a, const char *b, const char *c,
			  const char *d, int ia, int ib, int ic, int id)
{
	const char *want[N_MACHINES];

	want[ia] = a;
	want[ib] = b;
	want[ic] = c;
	want[id] = d;
	for (int i = 0; i < N_MACHINES; i++) {
		bool gone = !strcmp(seen[step].state[i], "shutting-down") ||
			    !strcmp(seen[step].state[i], "terminated");

		if (!strcmp(want[i], "gone") ? !gone : strcmp(seen[step].state[i], want[i]) != 0)
			fail_msg("step %d: machine %d (%s) is %s in moto, expected %s", step, i,
				 world[i].id, seen[step].state[i], want[i]);
	}
}

static void test_drain_through_daemon(void **state)
{
	struct cman_live_config cfg;
	struct cman_daemon_stats st;
	struct cman_error err = { 0 };
	struct cman_store *store;
	struct cman_state_item it;
	struct run r;
	char text[2048], path[512];
	json_t *all, *x, *w;
	size_t n, k;
	int a, b, c, d, i;
	double expect;
	unsigned chosen;

	(void)state;
	/* the fleet as moto has it; one agent per machine, two tasks each */
	assert_int_equal(fleet_instances(), N_MACHINES);
	for (i = 0; i < N_MACHINES; i++) {
		snprintf(world[i].host, sizeof(world[i].host), "host-%s", world[i].id);
		snprintf(world[i].agent, sizeof(world[i].agent), "S%d", i);
		world[i].agent_up = true;
		world[i].tasks = 2;
	}
	publish_agents();
	snprintf(text, sizeof(text),
		 "clusters:\n"
		 "  c1: {aws_region: us-west-2, mesos_master_fqdn: '%s'}\n"
		 "aws: {endpoint_url: '%s'}\n"
		 "autoscaling: {default_signal_role: clusterman, setpoint: %g,"
		 " target_capacity_margin: 0.1}\n"
		 "metrics: {sqlite: m.sqlite}\n",
		 fake_http_url(mesos_http), moto.url, SETPOINT);
	cman_test_write_file("clusterman.yaml", text);
	snprintf(text, sizeof(text),
		 "resource_groups:\n"
		 "  - sfr: {tag: '" TAGKEY "'}\n"
		 "scaling_limits: {min_capacity: %d, max_capacity: 10, max_weight_to_add: 10,"
		 " max_weight_to_remove: 10, max_tasks_to_kill: 100}\n"
		 "autoscale_signal:\n"
		 "  name: constant\n"
		 "  internal: true\n"
		 "  period_minutes: 1\n"
		 "  parameters: [{cpus: %d}]\n"
		 "draining_enabled: true\n"
		 "draining: {draining_time_threshold_seconds: %d}\n",
		 MIN_CAPACITY, REQUEST_CPUS, TIMEOUT);
	cman_test_write_file("clusters/c1/dr.mesos", text);
	snprintf(path, sizeof(path), "%s/clusterman.yaml", root);
	if (cman_live_config_load(path, &cfg, &err))
		fail_msg("%s", err.msg);
	setenv("CMAN_LIVE_TEST_PERIOD_MS", "0", 1);
	t0 = (int64_t)time(NULL);

	/* run 1: steps 0-3, stopped by SIGTERM at the start of step 3 */
	memset(&r, 0, sizeof(r));
	r.step0 = 0;
	run_daemon(&cfg, &r, 4, &st);
	assert_int_equal(st.stop_signal, SIGTERM);
	assert_int_equal(st.cycles, 3);       /* steps 0-2 */
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.abandoned, 1);    /* step 3 */
	a = first;
	b = second;
	for (c = 0; c == a || c == b; c++)
		;
	for (d = c + 1; d == a || d == b; d++)
		;
	assert_true(a >= 0 && b >= 0 && a != b && d < N_MACHINES);
	chosen = 1u << a | 1u << b;
	all = decisions();
	assert_int_equal(json_array_size(all), 4);
	/* step 0: target = 4 agents x 4 = 16 cpus of which 4 requested: usage
	 * 0.25, 4 non-orphan x 0.25 / setpoint 0.5 = 2 */
	expect = N_MACHINES * (double)REQUEST_CPUS / (N_MACHINES * AGENT_CPUS * SETPOINT);
	assert_true(expect >= MIN_CAPACITY);
	x = json_array_get(all, 0);
	assert_true(json_number_value(json_object_get(x, "new_target")) == expect);
	assert_int_equal(seen[0].fleet_target, (int)expect);
	/* N - target machines chosen (weight 1 each), handed to the drainer,
	 * none terminated */
	drain_list(all, 0, "started", &n);
	assert_int_equal(n, N_MACHINES - (int)expect);
	expect_list(all, 0, "started", chosen);
	expect_list(all, 0, "pending", chosen);
	expect_list(all, 0, "drained", 0);
	expect_list(all, 0, "timed_out", 0);
	assert_true(json_is_null(json_object_get(json_object_get(x, "draining"), "error")));
	assert_int_equal(json_array_size(json_object_get(x, "terminated")), 0);
	expect_states(0, "running", "running", "running", "running", a, b, c, d);
	/* the schedule: both machines once, one window from now for the timeout */
	assert_int_equal(times_scheduled(seen[0].schedule, a), 1);
	assert_int_equal(times_scheduled(seen[0].schedule, b), 1);
	assert_int_equal(times_scheduled(seen[0].schedule, c), 0);
	assert_int_equal(times_scheduled(seen[0].schedule, d), 0);
	assert_int_equal(seen[0].updates, 1);
	w = json_loads(seen[0].schedule, 0, NULL);
	assert_non_null(w);
	assert_int_equal(json_array_size(json_object_get(w, "windows")), 1);
	x = json_object_get(json_array_get(json_object_get(w, "windows"), 0), "unavailability");
	assert_true(json_integer_value(json_object_get(json_object_get(x, "start"),
						       "nanoseconds")) ==
		    (json_int_t)t0 * 1000000000LL);
	assert_true(json_integer_value(json_object_get(json_object_get(x, "duration"),
						       "nanoseconds")) ==
		    (json_int_t)TIMEOUT * 1000000000LL);
	json_decref(w);
	for (i = 0; i < 2; i++) {
		int m = i ? b : a;

		snprintf(text, sizeof(text), "{\"hostname\":\"%s\",\"ip\":\"%s\"}",
			 world[m].host, world[m].ip);
		assert_non_null(strstr(seen[0].schedule, text));
	}
	assert_string_equal(seen[0].down, "[]");
	/* step 1: they still run tasks: nothing moves */
	expect_list(all, 1, "started", 0);
	expect_list(all, 1, "pending", chosen);
	expect_list(all, 1, "drained", 0);
	expect_list(all, 1, "timed_out", 0);
	expect_states(1, "running", "running", "running", "running", a, b, c, d);
	assert_string_equal(seen[1].schedule, seen[0].schedule);
	assert_int_equal(seen[1].updates, 1);
	assert_int_equal(seen[1].fleet_target, (int)expect);
	/* step 2: a drained and down: terminated, out of the schedule, not down */
	expect_list(all, 2, "started", 0);
	expect_list(all, 2, "drained", 1u << a);
	expect_list(all, 2, "pending", 1u << b);
	expect_list(all, 2, "timed_out", 0);
	assert_true(json_is_null(json_object_get(json_object_get(json_array_get(all, 2),
								 "draining"), "error")));
	expect_states(2, "gone", "running", "running", "running", a, b, c, d);
	assert_int_equal(times_scheduled(seen[2].schedule, a), 0);
	assert_int_equal(times_scheduled(seen[2].schedule, b), 1);
	assert_string_equal(seen[2].down, "[]");
	assert_int_equal(seen[2].fleet_target, (int)expect);
	/* step 3: stopped before changing anything */
	x = json_array_get(all, 3);
	assert_true(json_is_true(json_object_get(x, "failed")));
	assert_non_null(strstr(json_string_value(json_object_get(x, "error")), "abandoned"));
	expect_states(3, "gone", "running", "running", "running", a, b, c, d);
	assert_string_equal(seen[3].schedule, seen[2].schedule);
	json_decref(all);

	/* between the runs: the state table holds b alone, as it was chosen */
	snprintf(path, sizeof(path), "%s/m.sqlite", root);
	if (cman_store_sqlite_open(path, false, &store, &err))
		fail_msg("%s", err.msg);
	memset(&it, 0, sizeof(it));
	assert_int_equal(cman_store_state_get(store, CMAN_STATE_DRAINING, "c1.dr.mesos", &it,
					      &err), 1);
	w = json_loads(it.text, 0, NULL);
	assert_non_null(w);
	assert_int_equal(json_array_size(w), 1);
	x = json_array_get(w, 0);
	assert_string_equal(json_string_value(json_object_get(x, "instance_id")), world[b].id);
	assert_string_equal(json_string_value(json_object_get(x, "hostname")), world[b].host);
	assert_true(json_integer_value(json_object_get(x, "started")) == t0);
	assert_true(json_integer_value(json_object_get(x, "deadline")) == t0 + TIMEOUT);
	assert_true(json_is_true(json_object_get(x, "acked")));
	json_decref(w);
	free(it.text);
	cman_store_free(store);

	/* status lists b, since when and until when, as JSON and as text */
	{
		char *out = status_of("--json"), since[32], until[32], line[512];
		json_t *doc = json_loads(out, 0, NULL), *l;

		assert_non_null(doc);
		assert_true(json_is_true(json_object_get(doc, "draining_enabled")));
		assert_int_equal(json_integer_value(json_object_get(doc, "drain_timeout_seconds")),
				 TIMEOUT);
		assert_true(json_is_null(json_object_get(doc, "draining_error")));
		l = json_object_get(doc, "draining");
		assert_int_equal(json_array_size(l), 1);
		x = json_array_get(l, 0);
		assert_string_equal(json_string_value(json_object_get(x, "instance_id")),
				    world[b].id);
		assert_string_equal(json_string_value(json_object_get(x, "group_id")), fleet_id);
		assert_string_equal(json_string_value(json_object_get(x, "hostname")),
				    world[b].host);
		assert_string_equal(json_string_value(json_object_get(x, "ip_address")),
				    world[b].ip);
		assert_string_equal(json_string_value(json_object_get(x, "since")),
				    iso(t0, since, sizeof(since)));
		assert_string_equal(json_string_value(json_object_get(x, "deadline")),
				    iso(t0 + TIMEOUT, until, sizeof(until)));
		json_decref(doc);
		free(out);
		out = status_of("");
		assert_non_null(strstr(out, "Machines being drained: 1\n"));
		snprintf(line, sizeof(line), "  %s (%s, agent %s, %s): since %s, deadline %s\n",
			 world[b].id, fleet_id, world[b].host, world[b].ip, since, until);
		assert_non_null(strstr(out, line));
		free(out);
	}

	/* a left Mesos with its instance */
	world[a].agent_up = false;
	publish_agents();
	k = count_calls("UPDATE_MAINTENANCE_SCHEDULE");

	/* restarted, as the program, once per step */
	for (i = 4; i < N_STEPS; i++)
		run_program(i);
	all = decisions();
	assert_int_equal(json_array_size(all), 8);
	/* steps 4, 5: resumed, nothing chosen again, not scheduled again, kept
	 * (3 non-orphan x 4 / (12 cpus x 0.5) = 2: the target stays) */
	for (i = 4; i <= 5; i++) {
		x = json_array_get(all, (size_t)i);
		assert_true(json_number_value(json_object_get(x, "new_target")) == expect);
		expect_list(all, (size_t)i, "started", 0);
		expect_list(all, (size_t)i, "pending", 1u << b);
		expect_list(all, (size_t)i, "drained", 0);
		expect_list(all, (size_t)i, "timed_out", 0);
		expect_states(i, "gone", "running", "running", "running", a, b, c, d);
		assert_int_equal(times_scheduled(seen[i].schedule, b), 1);
		assert_string_equal(seen[i].schedule, seen[3].schedule);
		assert_int_equal(seen[i].updates, k);
		assert_int_equal(seen[i].fleet_target, (int)expect);
	}
	/* step 6: the deadline (t0 + timeout): terminated, timed out, released */
	assert_true(step_time[6] == TIMEOUT && step_time[5] < TIMEOUT);
	expect_list(all, 6, "timed_out", 1u << b);
	expect_list(all, 6, "drained", 0);
	expect_list(all, 6, "pending", 0);
	expect_list(all, 6, "started", 0);
	expect_states(6, "gone", "gone", "running", "running", a, b, c, d);
	assert_int_equal(times_scheduled(seen[6].schedule, b), 0);
	assert_string_equal(seen[6].schedule, "{\"windows\":[]}");
	assert_string_equal(seen[6].down, "[]");
	assert_int_equal(seen[6].fleet_target, (int)expect);
	/* step 7: nothing to drain (2 non-orphan x 4 / (8 x 0.5) = 2) */
	x = json_array_get(all, 7);
	assert_true(json_number_value(json_object_get(x, "new_target")) == expect);
	expect_list(all, 7, "started", 0);
	expect_list(all, 7, "pending", 0);
	expect_states(7, "gone", "gone", "running", "running", a, b, c, d);
	assert_int_equal(seen[7].fleet_target, (int)expect);
	json_decref(all);
	if (cman_store_sqlite_open(path, false, &store, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(cman_store_state_get(store, CMAN_STATE_DRAINING, "c1.dr.mesos", &it,
					      &err), 0);
	cman_store_free(store);
	{
		char *out = status_of("--json");
		json_t *doc = json_loads(out, 0, NULL);

		assert_non_null(doc);
		assert_int_equal(json_array_size(json_object_get(doc, "draining")), 0);
		json_decref(doc);
		free(out);
		out = status_of("");
		assert_non_null(strstr(out, "Machines being drained: none\n"));
		free(out);
	}
	cman_live_config_release(&cfg);
}

/* ---- a pool with no recorded load --------------------------------------------------- */

/* The whole file (caller frees); the test fails when it cannot be read. */
static char *slurp(const char *path)
{
	char *buf = cman_test_slurp(path, NULL);

	if (!buf)
		fail_msg("cannot read %s", path);
	return buf;
}

static size_t count_of(const char *text, const char *what)
{
	size_t k = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
		k++;
	return k;
}

/* One cpus_allocated sample of pool nl at t (the default signal's metric). */
static void record_load(int64_t t, double v)
{
	struct cman_store *st;
	struct cman_error err;
	struct cman_sample smp = { .t = t, .value = v };
	char path[512];

	snprintf(path, sizeof(path), "%s/m.sqlite", root);
	if (cman_store_sqlite_open(path, true, &st, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(cman_store_begin(st, &err), 0);
	assert_int_equal(cman_store_write(st, CMAN_SYSTEM_METRICS,
					  "cpus_allocated|cluster=c1,pool=nl.mesos", &smp, &err), 0);
	assert_int_equal(cman_store_commit(st, &err), 0);
	cman_store_free(st);
}

/*
 * Pool nl (a fleet of 2, no autoscale_signal: the default most_recent signal
 * on cpus/mem/disk/gpus_allocated with a 10-minute window and a 10-minute
 * period) with no sample in the store, run as an operator runs it:
 * `clusterman-live autoscale --cycles 4` (a dry run) on the test clock T,
 * T + 600, T + 1200, T + 1800, with one cpus_allocated sample recorded at
 * T + 1100 beforehand: only the cycle at T + 1200 has load data in its window
 * ([T + 600, T + 1200]).  Expected: the three other lines carry the
 * no_load_data warning, the third none; standard error says "no load data"
 * twice (cycles 0 and 3: once per change, not every cycle) and "load data
 * again" once; the health file and the metrics file end on the last
 * cycle's state (no data since that cycle, 1 in a row, 3 in all); status
 * says NONE while the window at the wall clock is empty, then the samples
 * once one is recorded.
 */
static void test_no_load_data(void **state)
{
	char cmd[2048], *out, *err, key[256];
	int64_t t = (int64_t)time(NULL) + 7200;   /* clear of status's wall clock */
	json_t *all, *x, *w;
	size_t i;
	int rc;

	(void)state;
	cman_test_write_file("clusters/c1/nl.mesos",
		             "resource_groups:\n"
		             "  - sfr: {tag: '" TAGKEY "'}\n"
		             "scaling_limits: {min_capacity: 1, max_capacity: 10, max_weight_to_add: 10,"
		             " max_weight_to_remove: 10}\n");
	record_load(t + 1100, 3);
	snprintf(cmd, sizeof(cmd), "CMAN_LIVE_TEST_CLOCK=%lld CMAN_LIVE_TEST_PERIOD_MS=0 "
		 "%s/clusterman-live --config %s/clusterman.yaml autoscale --cluster c1 "
		 "--pool nl --cycles 4 --health-file nl-health.json --metrics-file nl.prom "
		 "--decisions nl.jsonl 2>nl.err", (long long)t, CMAN_BINARY_DIR, root);
	rc = system(cmd);
	err = slurp("nl.err");
	if (rc != 0)
		fail_msg("autoscale: status %d: %s", rc, err);
	/* standard error: once per change */
	assert_int_equal(count_of(err, "warning: c1.nl.mesos: no load data: the signal "
				  "'most_recent' requested nothing"), 2);
	assert_int_equal(count_of(err, "c1.nl.mesos: load data again"), 1);
	assert_non_null(strstr(err, "after 2 cycle(s) without"));
	free(err);
	/* the decision lines */
	out = slurp("nl.jsonl");
	all = json_array();
	for (char *p = out, *e; *p; p = e + 1) {
		e = strchr(p, '\n');
		assert_non_null(e);
		*e = '\0';
		x = json_loads(p, 0, NULL);
		assert_non_null(x);
		json_array_append_new(all, x);
	}
	free(out);
	assert_int_equal(json_array_size(all), 4);
	for (i = 0; i < 4; i++) {
		x = json_array_get(all, i);
		w = json_object_get(x, "warnings");
		assert_true(json_is_array(w));
		assert_true(json_integer_value(json_object_get(x, "time")) ==
			    t + 600 * (json_int_t)i);
		/* the pool's target (the fleet's 2) is kept every time */
		assert_true(json_number_value(json_object_get(x, "new_target")) == 2);
		if (i == 2) {
			assert_int_equal(json_array_size(w), 0);
			assert_true(json_number_value(json_object_get(json_object_get(x, "request"),
								      "cpus")) == 3);
			continue;
		}
		assert_int_equal(json_array_size(w), 1);
		assert_string_equal(json_string_value(json_object_get(json_array_get(w, 0),
								      "kind")), "no_load_data");
		assert_non_null(strstr(json_string_value(json_object_get(json_array_get(w, 0),
									 "message")),
				       "kept at 2"));
		/* the simulator's keys are unchanged */
		assert_string_equal(json_string_value(json_object_get(x, "reason")),
				    "the signal requested nothing: keeping the current target");
		assert_true(json_is_null(json_object_get(json_object_get(x, "request"), "cpus")));
	}
	json_decref(all);
	assert_int_equal(moto_fleet_target(client, nl_fleet_id), 2);
	/* the health file: the last cycle (T + 1800) had none */
	out = slurp("nl-health.json");
	x = json_loads(out, 0, NULL);
	assert_non_null(x);
	free(out);
	assert_string_equal(json_string_value(json_object_get(x, "status")), "ok");
	assert_true(json_is_false(json_object_get(x, "load_data")));
	/* the daemon's own times are the wall clock (the test clock is the
	 * cycle's): the streak began with the last cycle */
	assert_true(json_integer_value(json_object_get(x, "no_load_data_since")) ==
		    json_integer_value(json_object_get(x, "last_cycle")));
	assert_int_equal(json_integer_value(json_object_get(x, "cycles_without_load_data")), 1);
	w = json_object_get(x, "warnings");
	assert_int_equal(json_array_size(w), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(w, 0), "kind")),
			    "no_load_data");
	assert_true(json_integer_value(json_object_get(json_array_get(w, 0), "since")) ==
		    json_integer_value(json_object_get(x, "last_cycle")));
	json_decref(x);
	/* the metrics file */
	out = slurp("nl.prom");
	snprintf(key, sizeof(key), "clusterman_autoscaler_no_load_data{cluster=\"c1\","
		 "pool=\"nl\"} 1\n");
	assert_non_null(strstr(out, key));
	snprintf(key, sizeof(key), "clusterman_autoscaler_cycles_without_load_data_total{"
		 "cluster=\"c1\",pool=\"nl\"} 3\n");
	assert_non_null(strstr(out, key));
	assert_non_null(strstr(out, "# TYPE clusterman_autoscaler_cycles_without_load_data_total "
			       "counter\n"));
	free(out);

	/* status: nothing in the window at the wall clock (the sample is ahead) */
	out = status_pool("nl", "--json");
	x = json_loads(out, 0, NULL);
	assert_non_null(x);
	free(out);
	w = json_object_get(x, "load_data");
	assert_string_equal(json_string_value(json_object_get(w, "signal")), "most_recent");
	assert_int_equal(json_integer_value(json_object_get(w, "samples_in_window")), 0);
	assert_int_equal(json_array_size(json_object_get(w, "metrics")), 4);
	w = json_object_get(x, "warnings");
	assert_int_equal(json_array_size(w), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(w, 0), "kind")),
			    "no_load_data");
	json_decref(x);
	out = status_pool("nl", "");
	assert_non_null(strstr(out, "Load data: NONE, 0 sample(s) in the window of signal "
			       "most_recent: cpus_allocated 0 (10 min);"));
	assert_non_null(strstr(out, "WARNING: no load data"));
	free(out);
	/* one sample a minute ago: known */
	record_load((int64_t)time(NULL) - 60, 3);
	out = status_pool("nl", "--json");
	x = json_loads(out, 0, NULL);
	assert_non_null(x);
	free(out);
	w = json_object_get(x, "load_data");
	assert_int_equal(json_integer_value(json_object_get(w, "samples_in_window")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
		json_object_get(w, "metrics"), 0), "samples")), 1);
	assert_int_equal(json_array_size(json_object_get(x, "warnings")), 0);
	json_decref(x);
	out = status_pool("nl", "");
	assert_non_null(strstr(out, "Load data: 1 sample(s) in the window of signal most_recent: "
			       "cpus_allocated 1 (10 min);"));
	assert_null(strstr(out, "WARNING"));
	free(out);
}

/* ---- the servers ------------------------------------------------------------------ */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drain_through_daemon),
		cmocka_unit_test(test_no_load_data),
	};
	char loc[64], cmd[600];
	int rc;

	rc = test_server_start_moto_ec2(&moto, 120);
	if (rc == -1)
		return TEST_SKIP_CODE;
	if (rc)
		return 1;
	moto_test_env("drain-secret");
	snprintf(root, sizeof(root), "%s/cman-drain.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root) || chdir(root) != 0)
		return 1;
	mkdir("clusters", 0777);
	mkdir("clusters/c1", 0777);
	mkdir("mesos", 0777);
	cman_test_write_file("mesos/slaves.json", "{\"slaves\": []}");
	cman_test_write_file("mesos/frameworks.json", "{\"frameworks\": []}");
	mesos_http = fake_http_start();
	snprintf(cmd, sizeof(cmd), "%s/mesos", root);
	mesos = fake_mesos_new(cmd);
	if (!mesos_http || !mesos || !(client = moto_client(moto.url, 60000))) {
		test_server_stop(&moto);
		return 1;
	}
	snprintf(loc, sizeof(loc), "//127.0.0.1:%d", fake_http_port(mesos_http));
	fake_mesos_set_leader(mesos, loc, 1);
	fake_mesos_attach(mesos, mesos_http);

	moto_world_init(&mw, client, 9, "drain-lt", TAGKEY, 10);
	moto_make_fleet(&mw, NULL, MINE, N_MACHINES, fleet_id, sizeof(fleet_id));
	moto_make_fleet(&mw, NULL, NL, 2, nl_fleet_id, sizeof(nl_fleet_id));

	rc = cmocka_run_group_tests_name("the autoscaler daemon: draining, no load data", tests,
					 NULL, NULL);
	cman_aws_client_free(client);
	fake_http_stop(mesos_http);
	fake_mesos_free(mesos);
	test_server_stop(&moto);
	for (int i = 0; i < N_STEPS; i++) {
		free(seen[i].schedule);
		free(seen[i].down);
	}
	if (!rc) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", root);
	}
	return rc;
}

