/*
 * The autoscaler daemon under injected faults (issue 11): `clusterman-live
 * autoscale --execute`'s loop (daemon.h + autoscale.h + sigproc.h) for one
 * pool against moto_server behind a fault-injecting proxy
 * (tests/fake/fault_proxy.py) and the in-process fake Mesos master, with
 * the pool's external signal run and supervised by the daemon.  Per cycle:
 * EC2 throttling of ModifySpotFleetRequest beyond the client's retries,
 * 503s on DescribeSpotFleetRequests (the cycle cannot read the pool), the
 * signal process killed (the cycle falls back to the default signal, the
 * process is restarted before the next), 503s on Auto Scaling's
 * SetDesiredCapacity.  The daemon runs every cycle, the groups' targets
 * never exceed the pool's max_capacity (read from moto after every cycle),
 * and every fault is recorded: the cycle's decision line and the metrics
 * file's errors by kind.
 */
/* ctest-labels: live */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"

#include "cman/live/autoscale.h"
#include "cman/live/daemon.h"
#include "cman/live/livepool.h"
#include "cman/live/sigproc.h"
#include "fake_http.h"
#include "mesos_master.h"
#include "moto_world.h"
#include "servers.h"

#define TAGKEY "puppet:role::paasta"
#define FLT_TAG "{\"pool\": \"flt\", \"paasta_cluster\": \"c1\"}"
#define TMO_TAG "{\"pool\": \"tmo\", \"paasta_cluster\": \"c1\"}"

static struct cman_aws_client *client;   /* straight to moto */
static struct moto_world world;
static struct fake_http *mesos_http;
static struct fake_mesos *mesos;
static char root[256], plan[320], reqlog[320];
static char flt_fleet[64], tmo_fleet[64];
static struct test_server moto;
static pid_t proxy_pid;
static char proxy_url[64];

/* ---- the daemon's cycle, as cmd_autoscale.c runs it ---------------------------- */

struct run;
/* What a test does around cycle i: before (after the supervisor's check),
 * after (the cycle's outcome already kept). */
typedef void (*run_hook)(struct run *r, uint64_t i);

#define MAX_CYCLES 16

struct run {
	struct cman_live_pool *lp;
	struct cman_live_autoscaler as;
	struct cman_live_sigsup sup;
	const char *fleet_id, *group;    /* what to read from moto after each cycle */
	run_hook before, after;
	int fleet[MAX_CYCLES], group_target[MAX_CYCLES];
	int rcs[MAX_CYCLES];
	int sup_rc[MAX_CYCLES];
	bool signal_failed[MAX_CYCLES];
	char labels[64];
};

static bool may_mutate(void *d)
{
	return cman_daemon_may_mutate(d);
}

static int cycle(void *ctx, struct cman_daemon *d, struct cman_daemon_cycle *dc,
		 struct cman_error *err)
{
	struct run *r = ctx;
	uint64_t i = dc->index;
	int rc, src;

	assert_true(i < MAX_CYCLES);
	src = cman_live_sigsup_check(&r->sup, stderr, "faults", NULL);
	r->sup_rc[i] = src;
	if (r->before)
		r->before(r, i);
	r->as.may_mutate = may_mutate;
	r->as.may_mutate_ctx = d;
	rc = cman_live_autoscale_cycle(&r->as, dc->now, err);
	cman_test_write_file(plan, "");
	dc->paused = r->as.stats.last_paused;
	dc->target = r->as.stats.last_target;
	dc->fulfilled = r->as.stats.last_fulfilled;
	dc->max_capacity = r->lp->pf.config.max_capacity;
	if (r->as.stats.last_signal_failed) {
		cman_daemon_count_error(d, CMAN_DERR_SIGNAL);
		if (rc) {
			dc->kind_set = true;
			dc->kind = CMAN_DERR_SIGNAL;
		}
	}
	r->rcs[i] = rc;
	r->signal_failed[i] = r->as.stats.last_signal_failed;
	if (r->after)
		r->after(r, i);
	r->fleet[i] = moto_fleet_target(client, r->fleet_id);
	r->group_target[i] = moto_group_desired(client, r->group);
	return rc;
}

static void metrics(void *ctx, FILE *fp)
{
	struct run *r = ctx;

	cman_live_sigsup_metrics(&r->sup, fp, r->labels);
}

/* The whole file (caller frees); the test fails when it cannot be read. */
static char *slurp(const char *path)
{
	char *buf = cman_test_slurp(path, NULL);

	if (!buf)
		fail_msg("cannot read %s", path);
	return buf;
}

/* Line k (0-based) of text, in a static buffer. */
static const char *line_of(const char *text, int k)
{
	static char out[16384];
	const char *p = text, *e;

	for (; k > 0 && p; k--)
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	assert_non_null(p);
	e = strchr(p, '\n');
	snprintf(out, sizeof(out), "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
	return out;
}

/* ---- a pool under the daemon ------------------------------------------------------ */

/* The service file svc (relative to root) for cluster c1 through the proxy
 * (aws_extra: more keys of its aws mapping, after a comma), with extra text
 * appended; pool file clusters/c1/<pool>.mesos with limits
 * [1, maxcap], 5 a cycle, and the echo signal asking for 1000 CPUs; the
 * pool opened for --execute, every machine of its groups in the fake Mesos
 * master; the autoscaler writing decisions.<pool>.jsonl. */
static void open_run(struct run *r, struct cman_live_config *cfg, const char *svc,
		     const char *aws_extra, const char *extra, const char *pool, int maxcap,
		     FILE **decf)
{
	struct cman_live_pool_opts po;
	struct cman_live_autoscaler_opts ao;
	struct cman_error err = { 0 };
	const struct cman_rg_instance *in;
	char text[2048], path[512], *slaves, *p;
	size_t n, i, g;

	snprintf(text, sizeof(text),
		 "clusters:\n"
		 "  c1: {aws_region: us-west-2, mesos_master_fqdn: '%s'}\n"
		 "aws: {endpoint_url: '%s'%s}\n"
		 "autoscaling: {default_signal_role: clusterman, setpoint: 0.7,"
		 " target_capacity_margin: 0.1}\n"
		 "metrics: {sqlite: m.sqlite}\n%s",
		 fake_http_url(mesos_http), proxy_url, aws_extra, extra);
	cman_test_write_file(svc, text);
	snprintf(text, sizeof(text),
		 "resource_groups:\n"
		 "  - sfr: {tag: '" TAGKEY "'}\n"
		 "  - asg: {tag: '" TAGKEY "'}\n"
		 "scaling_limits: {min_capacity: 1, max_capacity: %d, max_weight_to_add: 5,"
		 " max_weight_to_remove: 5}\n"
		 "autoscale_signal:\n"
		 "  name: echo\n"
		 "  namespace: %s%d\n"
		 "  period_minutes: 1\n"
		 "  required_metrics: []\n"
		 "  parameters: [{cpus: 1000}]\n"
		 "  command: [python3, '%s/tests/signals/echo_signal.py', %s%d, echo, %s]\n",
		 maxcap, pool, (int)getpid(), CMAN_SOURCE_DIR, pool, (int)getpid(), pool);
	snprintf(path, sizeof(path), "clusters/c1/%s.mesos", pool);
	cman_test_write_file(path, text);
	snprintf(path, sizeof(path), "%s/%s", root, svc);
	if (cman_live_config_load(path, cfg, &err))
		fail_msg("%s", err.msg);
	/* the pool through the proxy (AWS_ENDPOINT_URL would win over the file) */
	setenv("CMAN_SIGNAL_CONNECT_TIMEOUT_MS", "120000", 0);
	cman_live_pool_opts_init(&po);
	po.dry_run = false;
	if (cman_live_pool_open(cfg, "c1", pool, NULL, &po, &r->lp, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(r->lp->signal_source, CMAN_LIVE_SIGNAL_POOL);
	assert_int_equal(r->lp->n_groups, 2);
	/* every machine joins Mesos */
	if (cman_live_pool_refresh(r->lp, &err))
		fail_msg("%s", err.msg);
	slaves = malloc(65536);
	assert_non_null(slaves);
	p = slaves + sprintf(slaves, "{\"slaves\": [");
	for (g = 0; g < r->lp->n_groups; g++) {
		assert_int_equal(r->lp->rgs[g]->ops->instances(r->lp->rgs[g], &in, &n, &err), 0);
		for (i = 0; i < n; i++)
			p += sprintf(p, "%s{\"id\": \"%s\", \"pid\": \"slave(1)@%s:5051\", "
				     "\"hostname\": \"%s\", \"active\": true, \"attributes\": "
				     "{\"pool\": \"%s\"}, \"resources\": {\"cpus\": 4, \"mem\": "
				     "8000, \"disk\": 1000, \"gpus\": 0}, \"used_resources\": "
				     "{\"cpus\": 4, \"mem\": 0, \"disk\": 0, \"gpus\": 0}}",
				     p[-1] == '[' ? "" : ", ", in[i].id, in[i].ip, in[i].id, pool);
	}
	strcpy(p, "]}");
	fake_mesos_set_body(mesos, "slaves", slaves);
	free(slaves);

	snprintf(path, sizeof(path), "decisions.%s.jsonl", pool);
	*decf = fopen(path, "w");
	assert_non_null(*decf);
	cman_live_autoscaler_opts_init(&ao);
	ao.execute = true;
	ao.decisions = *decf;
	if (cman_live_autoscaler_init(&r->as, r->lp, &ao, &err))
		fail_msg("%s", err.msg);
	cman_live_sigsup_init(&r->sup, r->lp->signal, r->lp->default_signal);
	snprintf(r->labels, sizeof(r->labels), "cluster=\"c1\",pool=\"%s\"", pool);
}

/* cycles cycles of the daemon loop (no waits), its health and metrics
 * files <pool>.health.json and <pool>.prom. */
static void run_daemon(struct run *r, const char *pool, uint64_t cycles,
		       struct cman_daemon_stats *st)
{
	struct cman_daemon_opts o = { 0 };
	struct cman_error err = { 0 };
	char health[128], prom[128];

	snprintf(health, sizeof(health), "%s.health.json", pool);
	snprintf(prom, sizeof(prom), "%s.prom", pool);
	setenv("CMAN_LIVE_TEST_PERIOD_MS", "0", 1);
	o.name = "autoscaler";
	o.cluster = "c1";
	o.pool = pool;
	o.period_seconds = r->lp->period_seconds;
	o.max_cycles = cycles;
	o.health_file = health;
	o.metrics_file = prom;
	o.prog = "faults";
	o.cycle = cycle;
	o.metrics = metrics;
	o.ctx = r;
	if (cman_daemon_run(&o, st, &err))
		fail_msg("%s", err.msg);
}

static void close_run(struct run *r, struct cman_live_config *cfg, FILE *decf)
{
	fclose(decf);
	cman_live_sigsup_release(&r->sup);
	cman_live_autoscaler_release(&r->as);
	cman_live_pool_close(r->lp);
	cman_live_config_release(cfg);
}

/* errors_total{kind} of the metrics text m for pool. */
static double errors_of(const char *m, const char *pool, const char *kind)
{
	char key[256];
	const char *at;

	snprintf(key, sizeof(key), "clusterman_autoscaler_errors_total{cluster=\"c1\","
		 "pool=\"%s\",kind=\"%s\"} ", pool, kind);
	at = strstr(m, key);
	if (!at)
		fail_msg("no %s in the metrics file", key);
	return atof(at + strlen(key));
}

/* How many lines of the proxy's request log hold all of the words. */
static int log_count(const char *a, const char *b, const char *c)
{
	char *text = slurp(reqlog), *line, *save = NULL;
	int n = 0;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, a) && (!b || strstr(line, b)) && (!c || strstr(line, c)))
			n++;
	free(text);
	return n;
}

/* ---- throttling, 503s and a killed signal process ------------------------------------ */

#define FLT_MAXCAP 20

static void flt_before(struct run *r, uint64_t i)
{
	char buf[256];

	/* this cycle's faults */
	buf[0] = '\0';
	if (i == 1)
		snprintf(buf, sizeof(buf), "ModifySpotFleetRequest throttle 50 c1\n");
	else if (i == 2)
		snprintf(buf, sizeof(buf), "DescribeSpotFleetRequests 5xx 50 c2\n");
	else if (i == 5)
		snprintf(buf, sizeof(buf), "SetDesiredCapacity 5xx 50 c5\n");
	cman_test_write_file(plan, buf);
	if (i == 3) {
		pid_t pid = r->sup.proc[0].pid;

		assert_true(pid > 0);
		kill(pid, SIGKILL);
		/* wait until it is gone (a zombie of ours until reaped) */
		for (int ms = 0; ms < 10000; ms += 10) {
			char path[64], line[256], *rp;
			FILE *fp;

			snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
			if (!(fp = fopen(path, "r")))
				break;
			rp = fgets(line, sizeof(line), fp) ? strrchr(line, ')') : NULL;
			fclose(fp);
			if (rp && rp[2] == 'Z')
				break;
			usleep(10000);
		}
	}
}

static void test_faults(void **state)
{
	struct cman_live_config cfg;
	struct cman_daemon_stats st;
	struct run r;
	char key[256], *dec, *m;
	FILE *decf;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.fleet_id = flt_fleet;
	r.group = "asg-flt";
	r.before = flt_before;
	open_run(&r, &cfg, "clusterman.yaml", "", "", "flt", FLT_MAXCAP, &decf);
	run_daemon(&r, "flt", 8, &st);

	/* the daemon ran every cycle, and never went over the limit */
	assert_int_equal(st.cycles, 8);
	for (i = 0; i < 8; i++) {
		fprintf(stderr, "cycle %zu: rc %d, fleet %d + group %d\n", i, r.rcs[i],
			r.fleet[i], r.group_target[i]);
		assert_true(r.fleet[i] + r.group_target[i] <= FLT_MAXCAP);
		assert_true(r.fleet[i] >= 0 && r.group_target[i] >= 0);
	}
	/* the faulty cycles failed, the others not */
	assert_int_equal(r.rcs[0], 0);
	assert_int_not_equal(r.rcs[1], 0);   /* the fleet's change throttled */
	assert_int_not_equal(r.rcs[2], 0);   /* the fleet unreadable */
	assert_true(r.signal_failed[3]);     /* the signal process killed */
	assert_false(r.signal_failed[4]);    /* ... restarted before cycle 4 */
	assert_int_equal(r.rcs[4], 0);
	assert_int_not_equal(r.rcs[5], 0);   /* the group's change refused */
	assert_int_equal(r.rcs[7], 0);
	/* the climb: +5 a cycle at most, up to the limit, and it gets there */
	assert_int_equal(r.fleet[7] + r.group_target[7], FLT_MAXCAP);
	assert_int_equal(r.sup.proc[0].restarts, 1);
	assert_int_equal(r.sup.proc[0].crashes, 1);

	/* each fault recorded: the decision lines */
	dec = slurp("decisions.flt.jsonl");
	assert_null(strstr(line_of(dec, 0), "\"error\":\""));
	assert_non_null(strstr(line_of(dec, 1), "RequestLimitExceeded"));
	assert_non_null(strstr(line_of(dec, 1), "\"error_kind\":\"throttling\""));
	assert_non_null(strstr(line_of(dec, 2), "\"failed\":true"));
	assert_non_null(strstr(line_of(dec, 2), "\"error_kind\":\"5xx\""));
	/* the killed signal: the default signal answered, the failure kept */
	assert_non_null(strstr(line_of(dec, 3), "\"signal\":\"most_recent\""));
	assert_non_null(strstr(line_of(dec, 3), "\"signal_error\":\"external signal 'echo'"));
	assert_null(strstr(line_of(dec, 4), "\"signal_error\":\""));
	assert_non_null(strstr(line_of(dec, 5), "ServiceUnavailable"));
	assert_non_null(strstr(line_of(dec, 5), "\"error_kind\":\"5xx\""));
	free(dec);
	/* ... and the metrics file */
	m = slurp("flt.prom");
	assert_true(errors_of(m, "flt", "throttling") >= 1);
	assert_true(errors_of(m, "flt", "5xx") >= 2);
	assert_true(errors_of(m, "flt", "signal") >= 1);
	assert_non_null(strstr(m, "clusterman_signal_process_restarts_total{cluster=\"c1\","
			       "pool=\"flt\",signal=\"echo\",role=\"pool\"} 1\n"));
	snprintf(key, sizeof(key), "clusterman_autoscaler_target_capacity{cluster=\"c1\","
		 "pool=\"flt\"} %d\n", FLT_MAXCAP);
	assert_non_null(strstr(m, key));
	free(m);
	/* the proxy really injected them */
	assert_true(log_count("ModifySpotFleetRequest throttle", NULL, NULL) > 0);
	assert_true(log_count("DescribeSpotFleetRequests 5xx", NULL, NULL) > 0);
	assert_true(log_count("SetDesiredCapacity 5xx", NULL, NULL) > 0);
	close_run(&r, &cfg, decf);
}

/* ---- timeouts and a hung signal process ---------------------------------------------- */

/*
 * The clients' timeouts are 1 s (aws.timeout_seconds, mesos.timeout_seconds)
 * and a signal evaluation may take 3 s (CMAN_SIGNAL_TIMEOUT_MS); the faults
 * are 2.5 s late.  Per cycle:
 *   1  DescribeSpotFleetRequests never answers in time (a read: 5 attempts)
 *   2  DescribeAutoScalingGroups never answers in time (a read: 5 attempts)
 *   3  the Mesos master answers too late (a read: 3 attempts)
 *   4  ModifySpotFleetRequest's first attempt is late (it sets a target:
 *      sent again, the second answers; the cycle succeeds)
 *   5  ModifySpotFleetRequest never answers in time (every attempt)
 *   6  SetDesiredCapacity never answers in time (every attempt)
 *   7  the signal process stopped (SIGSTOP): the evaluation times out, the
 *      cycle goes on with the default signal
 *   8  the supervisor found it hung, killed and restarted it
 * The slow requests reach moto all the same once their delay is over (the
 * proxy forwards them late, as a slow AWS would have acted on them): the
 * test waits for them after the cycle so the next one reads what AWS has.
 */
#define TMO_MAXCAP 24
#define TMO_CYCLES 12
#define SLOW "slow:2500"
#define AWS_ATTEMPTS 5      /* aws.h's default max_attempts */
#define MESOS_ATTEMPTS 3    /* mesos.h's default max_attempts */

static pid_t stopped_pid;
/* Per cycle: the requests of the action with a fault in the plan that the
 * proxy held back (slow) and that it passed on at once (forwarded). */
static const char *tmo_action[TMO_CYCLES];
static int tmo_slow[TMO_CYCLES], tmo_fwd[TMO_CYCLES];

static void tmo_before(struct run *r, uint64_t i)
{
	const char *plan_text = "";
	static const char *const actions[TMO_CYCLES] = {
		[1] = "DescribeSpotFleetRequests", [2] = "DescribeAutoScalingGroups",
		[4] = "ModifySpotFleetRequest", [5] = "ModifySpotFleetRequest",
		[6] = "SetDesiredCapacity",
	};

	tmo_action[i] = actions[i];
	if (tmo_action[i]) {
		/* the counts before the cycle (wait_late_requests: no more to come) */
		tmo_slow[i] = -(log_count(tmo_action[i], SLOW, NULL) -
				log_count(tmo_action[i], SLOW, " done"));
		tmo_fwd[i] = -log_count(tmo_action[i], " forwarded", NULL);
	}
	if (i == 1)
		plan_text = "DescribeSpotFleetRequests " SLOW " 50 t1\n";
	else if (i == 2)
		plan_text = "DescribeAutoScalingGroups " SLOW " 50 t2\n";
	else if (i == 4)
		plan_text = "ModifySpotFleetRequest " SLOW " 1 t4\n";
	else if (i == 5)
		plan_text = "ModifySpotFleetRequest " SLOW " 50 t5\n";
	else if (i == 6)
		plan_text = "SetDesiredCapacity " SLOW " 50 t6\n";
	cman_test_write_file(plan, plan_text);
	if (i == 3) {
		struct fake_reply late = { .status = 200, .body = "{\"slaves\": []}",
					   .content_type = "application/json",
					   .delay_ms = 2500 };

		fake_http_reset(mesos_http);
		for (int k = 0; k < MESOS_ATTEMPTS; k++)
			fake_http_push(mesos_http, &late);
	}
	if (i == 7) {
		stopped_pid = r->sup.proc[0].pid;
		assert_true(stopped_pid > 0);
		assert_int_equal(kill(stopped_pid, SIGSTOP), 0);
	}
}

/* Wait until every slow request the proxy held has reached moto. */
static void wait_late_requests(void)
{
	for (int ms = 0; ms < 120000; ms += 50) {
		if (2 * log_count(" slow:", " done", NULL) == log_count(" slow:", NULL, NULL))
			return;
		usleep(50000);
	}
	fail_msg("the proxy's slow requests never reached moto");
}

static void tmo_after(struct run *r, uint64_t i)
{
	(void)r;
	if (tmo_action[i]) {
		tmo_slow[i] += log_count(tmo_action[i], SLOW, NULL) -
			       log_count(tmo_action[i], SLOW, " done");
		tmo_fwd[i] += log_count(tmo_action[i], " forwarded", NULL);
	}
	if (i == 3) {
		/* the Mesos master's late answers all taken */
		assert_int_equal(fake_http_count(mesos_http), MESOS_ATTEMPTS);
	}
	wait_late_requests();
}

/* The planned and applied targets, error and error_kind of group id in
 * decision line text: applied -1 for null, "" for a null error or kind. */
static void group_record(const char *text, const char *id, double *planned, double *applied,
			 char *error, size_t n, char *kind, size_t kn)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je), *g, *a, *e, *k;

	if (!o)
		fail_msg("decision line: %s: %s", je.text, text);
	g = json_object_get(json_object_get(o, "groups"), id);
	assert_non_null(g);
	*planned = json_number_value(json_object_get(g, "planned"));
	a = json_object_get(g, "applied");
	*applied = json_is_null(a) ? -1 : json_number_value(a);
	e = json_object_get(g, "error");
	snprintf(error, n, "%s", json_is_string(e) ? json_string_value(e) : "");
	k = json_object_get(g, "error_kind");
	assert_true(json_is_null(k) || json_is_string(k));
	snprintf(kind, kn, "%s", json_is_string(k) ? json_string_value(k) : "");
	json_decref(o);
}

static void test_timeouts_and_hang(void **state)
{
	struct cman_live_config cfg;
	struct cman_daemon_stats st;
	struct run r;
	char *dec, *m, error[2048], key[256], kind[32];
	const char *fleet_id = tmo_fleet, *line;
	double planned, applied;
	FILE *decf;
	size_t i;
	int max_seen = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.fleet_id = tmo_fleet;
	r.group = "asg-tmo";
	r.before = tmo_before;
	r.after = tmo_after;
	setenv("CMAN_SIGNAL_TIMEOUT_MS", "3000", 1);
	open_run(&r, &cfg, "clusterman-tmo.yaml", ", timeout_seconds: 1",
		 "mesos: {timeout_seconds: 1}\n", "tmo", TMO_MAXCAP, &decf);
	unsetenv("CMAN_SIGNAL_TIMEOUT_MS");
	run_daemon(&r, "tmo", TMO_CYCLES, &st);

	/* the daemon ran every cycle, and never went over the limit */
	assert_int_equal(st.cycles, TMO_CYCLES);
	for (i = 0; i < TMO_CYCLES; i++) {
		fprintf(stderr, "cycle %zu: rc %d, fleet %d + group %d\n", i, r.rcs[i],
			r.fleet[i], r.group_target[i]);
		assert_true(r.fleet[i] + r.group_target[i] <= TMO_MAXCAP);
		assert_true(r.fleet[i] >= 0 && r.group_target[i] >= 0);
		if (r.fleet[i] + r.group_target[i] > max_seen)
			max_seen = r.fleet[i] + r.group_target[i];
	}
	fprintf(stderr, "the most the groups' targets reached: %d (max_capacity %d)\n",
		max_seen, TMO_MAXCAP);
	dec = slurp("decisions.tmo.jsonl");
	for (i = 0; i < TMO_CYCLES; i++)
		fprintf(stderr, "decision %zu: %.300s\n", i, line_of(dec, (int)i));

	/* 1, 2: a read that never answers fails the cycle as a timeout, after
	 * every attempt (reads are safe to repeat) */
	assert_int_equal(r.rcs[0], 0);
	assert_int_equal(r.rcs[1], CMAN_ETIMEOUT);
	assert_int_equal(r.rcs[2], CMAN_ETIMEOUT);
	assert_int_equal(tmo_slow[1], AWS_ATTEMPTS);
	assert_int_equal(tmo_fwd[1], 0);
	assert_int_equal(tmo_slow[2], AWS_ATTEMPTS);
	assert_int_equal(tmo_fwd[2], 0);
	for (i = 1; i <= 2; i++) {
		line = line_of(dec, (int)i);
		assert_non_null(strstr(line, "\"failed\":true"));
		assert_non_null(strstr(line, "timed out"));
		assert_non_null(strstr(line, "\"error_kind\":\"timeout\""));
	}
	/* 3: the Mesos master too slow: a timeout too */
	assert_int_equal(r.rcs[3], CMAN_ETIMEOUT);
	line = line_of(dec, 3);
	assert_non_null(strstr(line, "\"failed\":true"));
	assert_non_null(strstr(line, "timed out"));
	assert_non_null(strstr(line, "\"error_kind\":\"timeout\""));
	/* 4: one late answer to a change that sets a target: sent again, applied */
	assert_int_equal(r.rcs[4], 0);
	assert_int_equal(tmo_slow[4], 1);
	assert_int_equal(tmo_fwd[4], 1);
	group_record(line_of(dec, 4), fleet_id, &planned, &applied, error, sizeof(error), kind,
		     sizeof(kind));
	assert_true(applied == planned && error[0] == '\0' && kind[0] == '\0');
	assert_int_equal(r.fleet[4], (int)planned);
	/* 5, 6: changes that never answer: the cycle fails as a timeout, the
	 * group's target is unknown (applied null) and its error says so */
	assert_int_equal(r.rcs[5], CMAN_ETIMEOUT);
	assert_int_equal(tmo_slow[5], AWS_ATTEMPTS);
	assert_int_equal(tmo_fwd[5], 0);
	assert_int_equal(tmo_slow[6], AWS_ATTEMPTS);
	assert_int_equal(tmo_fwd[6], 0);
	group_record(line_of(dec, 5), fleet_id, &planned, &applied, error, sizeof(error), kind,
		     sizeof(kind));
	assert_true(applied == -1);
	assert_non_null(strstr(error, "timed out"));
	assert_non_null(strstr(error, "ModifySpotFleetRequest"));
	assert_string_equal(kind, "timeout");
	/* unknown to the daemon, but AWS did act on the late requests */
	assert_int_equal(r.fleet[5], (int)planned);
	assert_int_equal(r.rcs[6], CMAN_ETIMEOUT);
	group_record(line_of(dec, 6), "asg-tmo", &planned, &applied, error, sizeof(error), kind,
		     sizeof(kind));
	assert_true(applied == -1);
	assert_non_null(strstr(error, "timed out"));
	assert_non_null(strstr(error, "SetDesiredCapacity"));
	assert_string_equal(kind, "timeout");
	assert_int_equal(r.group_target[6], (int)planned);
	/* 7: the stopped signal process: the evaluation timed out, the default
	 * signal answered and the failure is in the line */
	assert_true(r.signal_failed[7]);
	line = line_of(dec, 7);
	assert_non_null(strstr(line, "\"signal\":\"most_recent\""));
	assert_non_null(strstr(line, "\"signal_error\":\"external signal 'echo'"));
	/* 8: found hung, killed and restarted; the pool's signal answers again */
	assert_int_not_equal(kill(stopped_pid, 0), 0);
	assert_int_equal(r.sup.proc[0].hangs, 1);
	assert_int_equal(r.sup.proc[0].restarts, 1);
	assert_true(r.sup.proc[0].pid > 0 && r.sup.proc[0].pid != stopped_pid);
	assert_false(r.signal_failed[8]);
	assert_null(strstr(line_of(dec, 8), "\"signal_error\":\""));
	for (i = 8; i < TMO_CYCLES; i++)
		assert_int_equal(r.rcs[i], 0);
	/* ... and the climb still gets to the limit */
	assert_int_equal(r.fleet[TMO_CYCLES - 1] + r.group_target[TMO_CYCLES - 1], TMO_MAXCAP);
	assert_int_equal(max_seen, TMO_MAXCAP);
	free(dec);

	/* the metrics file: 5 timeouts (cycles 1, 2, 3, 5, 6), 1 signal */
	m = slurp("tmo.prom");
	assert_true(errors_of(m, "tmo", "timeout") == 5);
	assert_true(errors_of(m, "tmo", "signal") == 1);
	assert_true(errors_of(m, "tmo", "other") == 0);
	assert_true(errors_of(m, "tmo", "5xx") == 0);
	assert_true(errors_of(m, "tmo", "throttling") == 0);
	assert_non_null(strstr(m, "clusterman_signal_process_hangs_total{cluster=\"c1\","
			       "pool=\"tmo\",signal=\"echo\",role=\"pool\"} 1\n"));
	assert_non_null(strstr(m, "clusterman_signal_process_restarts_total{cluster=\"c1\","
			       "pool=\"tmo\",signal=\"echo\",role=\"pool\"} 1\n"));
	snprintf(key, sizeof(key), "clusterman_autoscaler_target_capacity{cluster=\"c1\","
		 "pool=\"tmo\"} %d\n", TMO_MAXCAP);
	assert_non_null(strstr(m, key));
	free(m);
	close_run(&r, &cfg, decf);
}

/* ---- the servers ------------------------------------------------------------------ */

static int start_proxy(void)
{
	char script[512], portf[320];
	int port = 0;

	snprintf(script, sizeof(script), "%s/tests/fake/fault_proxy.py", CMAN_SOURCE_DIR);
	snprintf(portf, sizeof(portf), "%s/proxy.port", root);
	snprintf(plan, sizeof(plan), "%s/plan", root);
	snprintf(reqlog, sizeof(reqlog), "%s/requests.log", root);
	cman_test_write_file(plan, "");
	proxy_pid = fork();
	if (proxy_pid < 0)
		return -1;
	if (proxy_pid == 0) {
		execlp("python3", "python3", script, moto.url, portf, plan, reqlog, (char *)NULL);
		_exit(127);
	}
	for (int ms = 0; ms < 60000 && port <= 0; ms += 20) {
		FILE *fp = fopen(portf, "r");

		if (fp) {
			if (fscanf(fp, "%d", &port) != 1)
				port = 0;
			fclose(fp);
		}
		if (port <= 0)
			usleep(20000);
	}
	if (port <= 0)
		return -1;
	snprintf(proxy_url, sizeof(proxy_url), "http://127.0.0.1:%d", port);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_timeouts_and_hang),
	};
	char loc[64], cmd[600];
	int rc;

	rc = test_server_start_moto_ec2(&moto, 120);
	if (rc == -1)
		return TEST_SKIP_CODE;
	if (rc)
		return 1;
	moto_test_env("faults-secret");
	snprintf(root, sizeof(root), "%s/cman-faults.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root) || chdir(root) != 0)
		return 1;
	mkdir("clusters", 0777);
	mkdir("clusters/c1", 0777);
	mesos_http = fake_http_start();
	mesos = fake_mesos_new(FAKE_MESOS_FIXTURES);
	if (!mesos_http || !mesos || !(client = moto_client(moto.url, 60000)) || start_proxy()) {
		test_server_stop(&moto);
		return 1;
	}
	snprintf(loc, sizeof(loc), "//127.0.0.1:%d", fake_http_port(mesos_http));
	fake_mesos_set_leader(mesos, loc, 1);
	fake_mesos_attach(mesos, mesos_http);

	moto_world_init(&world, client, 8, "faults-test", TAGKEY, 30);
	moto_make_fleet(&world, NULL, FLT_TAG, 2, flt_fleet, sizeof(flt_fleet));
	moto_make_group(&world, "asg-flt", NULL, FLT_TAG, 3, 0);
	moto_make_fleet(&world, NULL, TMO_TAG, 2, tmo_fleet, sizeof(tmo_fleet));
	moto_make_group(&world, "asg-tmo", NULL, TMO_TAG, 2, 0);

	rc = cmocka_run_group_tests_name("autoscaler daemon under faults", tests, NULL, NULL);
	cman_aws_client_free(client);
	fake_http_stop(mesos_http);
	fake_mesos_free(mesos);
	kill(proxy_pid, SIGTERM);
	waitpid(proxy_pid, NULL, 0);
	test_server_stop(&moto);
	if (!rc) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", root);
	}
	return rc;
}
