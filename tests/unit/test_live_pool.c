/*
 * test_live_pool.c - one live pool built from a live configuration
 * (livepool.h) against moto_server (started here; exit 77 when it is
 * absent) and the in-process fake Mesos master: discovery by tag into
 * resource groups, the signal chosen and its fallback, the period, the
 * store, a dry-run cycle that changes nothing, re-discovery, bad input.
 */
/* ctest-labels: live */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman/live/autoscale.h"
#include "cman/live/livepool.h"
#include "cman/runner.h"
#include "fake_http.h"
#include "mesos_master.h"
#include "moto_world.h"
#include "servers.h"

#define TAGKEY "puppet:role::paasta"
#define MINE "{\"pool\": \"default\", \"paasta_cluster\": \"c1\"}"
#define OTHER_POOL "{\"pool\": \"batch\", \"paasta_cluster\": \"c1\"}"
#define EXEC_POOL "{\"pool\": \"exec\", \"paasta_cluster\": \"c1\"}"

static struct cman_aws_client *client;   /* to set moto up and look at it */
static struct fake_http *mesos_http;
static struct fake_mesos *mesos;
static char root[256];
static char fleet_id[64];
static char exec_fleet[64];
static struct moto_world world;

/* ---- the configuration ------------------------------------------------------------- */

static void write_file(const char *rel, const char *text)
{
	char p[1024];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void write_service(const char *extra)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "clusters:\n"
		 "  c1: {aws_region: us-west-2, mesos_master_fqdn: '%s'}\n"
		 "  k8s: {aws_region: us-west-2, cluster_manager: kubernetes}\n"
		 "autoscaling: {default_signal_role: clusterman, setpoint: 0.7,"
		 " target_capacity_margin: 0.1}\n"
		 "metrics: {sqlite: m.sqlite}\n"
		 "%s",
		 fake_http_url(mesos_http), extra);
	write_file("clusterman.yaml", buf);
}

#define POOL_HEAD                                                                          \
	"resource_groups:\n"                                                               \
	"  - sfr: {tag: '" TAGKEY "'}\n"                                                    \
	"  - asg: {tag: '" TAGKEY "'}\n"                                                    \
	"scaling_limits: {min_capacity: 1, max_capacity: 20, max_weight_to_add: 5,"         \
	" max_weight_to_remove: 5}\n"

static struct cman_live_config cfg;

static void load_config(void)
{
	char p[512];
	struct cman_error err;

	cman_live_config_release(&cfg);
	snprintf(p, sizeof(p), "%s/clusterman.yaml", root);
	if (cman_live_config_load(p, &cfg, &err) != 0)
		fail_msg("%s", err.msg);
}

static struct cman_live_pool *open_pool(const struct cman_live_pool_opts *o)
{
	struct cman_live_pool *lp = NULL;
	struct cman_error err;

	if (cman_live_pool_open(&cfg, "c1", "default", NULL, o, &lp, &err) != 0)
		fail_msg("%s", err.msg);
	return lp;
}

/* ---- the tests --------------------------------------------------------------------- */

static void test_open_default_signal(void **state)
{
	struct cman_live_pool *lp;
	struct cman_error err;
	double target;

	(void)state;
	write_file("clusters/c1/default.mesos", POOL_HEAD);
	load_config();
	lp = open_pool(NULL);
	/* the pool's fleet and group, in the pool file's order; not the batch pool's */
	assert_int_equal(lp->n_groups, 2);
	assert_int_equal(lp->groups[0].kind, CMAN_DISCOVER_SFR);
	assert_string_equal(lp->groups[0].id, fleet_id);
	assert_int_equal(lp->groups[1].kind, CMAN_DISCOVER_ASG);
	assert_string_equal(lp->groups[1].id, "asg-default");
	assert_int_equal(lp->pm.n_groups, 2);
	assert_ptr_equal(lp->pm.groups[1], lp->groups[1].rg);
	assert_int_equal(lp->signal_source, CMAN_LIVE_SIGNAL_DEFAULT_UNSET);
	assert_string_equal(cman_live_signal_source_name(lp->signal_source), "default");
	assert_null(lp->signal);
	assert_non_null(lp->default_signal);
	assert_int_equal(lp->period_seconds, 600);  /* the built-in default: 10 minutes */
	assert_true(lp->dry_run && lp->pm.dry_run);
	assert_string_equal(lp->entity, "c1.default.mesos");
	assert_true(lp->own_store);
	assert_ptr_equal(lp->as.history, lp->store);
	/* read as a cycle would: fleet target 2 + group desired 3 */
	if (cman_live_pool_refresh(lp, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cman_pool_target(&lp->pm, &target, &err), 0);
	assert_true(target == 5.0);
	assert_true(cman_mesos_agent_count(lp->mesos) > 0);
	cman_live_pool_close(lp);
}

static void test_pool_signal_and_fallback(void **state)
{
	struct cman_live_pool *lp;

	(void)state;
	/* a built-in signal: used, its period */
	write_file("clusters/c1/default.mesos", POOL_HEAD
		   "autoscale_signal:\n"
		   "  internal: true\n"
		   "  name: most_recent\n"
		   "  period_minutes: 3\n"
		   "  required_metrics:\n"
		   "    - {name: cpus_allocated, type: system_metrics, minute_range: 10}\n");
	load_config();
	lp = open_pool(NULL);
	assert_int_equal(lp->signal_source, CMAN_LIVE_SIGNAL_POOL);
	assert_non_null(lp->signal);
	assert_ptr_equal(lp->as.signal, lp->signal);
	assert_int_equal(lp->period_seconds, 180);
	assert_string_equal(lp->signal_fallback, "");
	cman_live_pool_close(lp);

	/* an external signal nobody serves: the default signal, the reason kept,
	 * the default's period */
	setenv("CMAN_SIGNAL_CONNECT_TIMEOUT_MS", "50", 1);
	write_file("clusters/c1/default.mesos", POOL_HEAD
		   "autoscale_signal:\n"
		   "  namespace: nobody\n"
		   "  name: NotThere\n"
		   "  period_minutes: 3\n"
		   "  required_metrics: []\n");
	load_config();
	lp = open_pool(NULL);
	assert_int_equal(lp->signal_source, CMAN_LIVE_SIGNAL_DEFAULT_FALLBACK);
	assert_null(lp->signal);
	assert_null(lp->as.signal);
	assert_non_null(strstr(lp->signal_fallback, "default.mesos"));
	assert_non_null(strstr(lp->signal_fallback, "nobody-NotThere-default-socket"));
	assert_int_equal(lp->period_seconds, 600);
	cman_live_pool_close(lp);
}

static void test_no_signal_and_dry_cycle(void **state)
{
	struct cman_live_pool_opts o;
	struct cman_live_pool *lp;
	struct cman_pool_runner r;
	struct cman_error err;
	FILE *fp;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	(void)state;
	write_file("clusters/c1/default.mesos", POOL_HEAD);
	load_config();
	cman_live_pool_opts_init(&o);
	o.no_signal = true;
	lp = open_pool(&o);
	assert_null(lp->default_signal);
	assert_int_equal(lp->signal_source, CMAN_LIVE_SIGNAL_NONE);
	assert_int_equal(lp->n_groups, 2);
	cman_live_pool_close(lp);

	/* a dry-run cycle: no metrics, so the default signal asks for nothing;
	 * the decision is recorded and AWS does not change */
	lp = open_pool(NULL);
	cman_pool_runner_init(&r, &lp->as, lp->period_seconds);
	r.dry_run = true;
	r.live_record = true;
	fp = open_memstream(&buf, &len);
	r.decisions = fp;
	rc = cman_pool_runner_cycle(&r, &err);
	fclose(fp);
	if (rc)
		fail_msg("%s", err.msg);
	assert_non_null(strstr(buf, "\"dry_run\":true"));
	assert_non_null(strstr(buf, "asg-default"));
	assert_true(r.decision.current_target == 5.0);
	assert_int_equal(moto_group_desired(client, "asg-default"), 3);
	assert_int_equal(moto_fleet_target(client, fleet_id), 2);
	free(buf);
	cman_pool_runner_release(&r);
	cman_live_pool_close(lp);
}

static void test_rediscover(void **state)
{
	struct cman_live_pool *lp;
	struct cman_resource_group *asg_rg;
	struct cman_error err;

	(void)state;
	write_file("clusters/c1/default.mesos", POOL_HEAD);
	load_config();
	lp = open_pool(NULL);
	assert_int_equal(lp->n_groups, 2);
	asg_rg = lp->groups[1].rg;
	moto_make_group(&world, "asg-default-2", NULL, MINE, 0, 0);
	if (cman_live_pool_discover(lp, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(lp->n_groups, 3);
	assert_ptr_equal(lp->groups[1].rg, asg_rg);   /* kept, not made again */
	assert_string_equal(lp->groups[2].id, "asg-default-2");
	assert_int_equal(lp->pm.n_groups, 3);
	assert_ptr_equal(lp->pm.groups[2], lp->groups[2].rg);
	cman_live_pool_close(lp);
}

/* The pool file's scale_in_protection reaches the group discovery made
 * (a dry-run lowering: refused with refuse, accepted with protect), and
 * draining_enabled plugs the Mesos drainer and the drain set into the pool
 * manager with the pool file's timeout. */
static void test_protection_and_draining(void **state)
{
	struct cman_live_pool *lp;
	struct cman_resource_group *rg;
	struct cman_error err;

	(void)state;
	write_file("clusters/c1/default.mesos", POOL_HEAD);
	load_config();
	lp = open_pool(NULL);
	assert_null(lp->pm.drain);
	if (cman_live_pool_refresh(lp, &err) != 0)
		fail_msg("%s", err.msg);
	rg = lp->groups[1].rg;
	assert_string_equal(rg->id, "asg-default");
	assert_int_equal(rg->ops->modify_target(rg, 1, true, &err), CMAN_EREJECTED);
	assert_non_null(strstr(err.msg, "scale_in_protection: protect"));
	cman_live_pool_close(lp);

	write_file("clusters/c1/default.mesos",
		   "resource_groups:\n"
		   "  - sfr: {tag: '" TAGKEY "'}\n"
		   "  - asg: {tag: '" TAGKEY "', scale_in_protection: protect}\n"
		   "scaling_limits: {min_capacity: 1, max_capacity: 20, max_weight_to_add: 5,"
		   " max_weight_to_remove: 5}\n"
		   "draining_enabled: true\n"
		   "draining: {draining_time_threshold_seconds: 120}\n");
	load_config();
	lp = open_pool(NULL);
	if (cman_live_pool_refresh(lp, &err) != 0)
		fail_msg("%s", err.msg);
	rg = lp->groups[1].rg;
	assert_int_equal(rg->ops->modify_target(rg, 1, true, &err), 0);
	assert_int_equal(moto_group_desired(client, "asg-default"), 3);   /* a dry run */
	assert_ptr_equal(lp->pm.drain, &lp->drain);
	assert_string_equal(lp->drain.drainer->ops->kind, "mesos");
	assert_ptr_equal(lp->drain.state, lp->store);
	assert_string_equal(lp->drain.entity, "c1.default.mesos");
	assert_int_equal(lp->drain.timeout, 120);
	cman_live_pool_close(lp);
}

static void test_bad_input(void **state)
{
	struct cman_live_pool *lp = (void *)1;
	struct cman_error err;

	(void)state;
	write_file("clusters/c1/default.mesos", POOL_HEAD);
	load_config();
	assert_int_equal(cman_live_pool_open(&cfg, "nosuch", "default", NULL, NULL, &lp, &err),
			 CMAN_EINVAL);
	assert_null(lp);
	assert_non_null(strstr(err.msg, "clusterman.yaml: clusters: no cluster 'nosuch'"));
	assert_int_equal(cman_live_pool_open(&cfg, "c1", "nosuch", NULL, NULL, &lp, &err),
			 CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "nosuch.mesos"));
	mkdir("clusters/k8s", 0777);
	write_file("clusters/k8s/default.mesos", POOL_HEAD);
	assert_int_equal(cman_live_pool_open(&cfg, "k8s", "default", NULL, NULL, &lp, &err),
			 CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "clusters.k8s.cluster_manager: 'kubernetes'"));
	/* S3 discovery is refused, naming the entry */
	write_file("clusters/c1/default.mesos",
		   "resource_groups:\n"
		   "  - sfr: {s3: {bucket: b, prefix: p}}\n"
		   "scaling_limits: {min_capacity: 1, max_capacity: 20, max_weight_to_add: 5,"
		   " max_weight_to_remove: 5}\n");
	assert_int_equal(cman_live_pool_open(&cfg, "c1", "default", NULL, NULL, &lp, &err),
			 CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "resource_groups[0].sfr"));
}


/* ---- the autoscaler's cycle (autoscale.h) ------------------------------------------ */

#define T0 1700000000

/* Pool "exec": a fleet of 2 and a group of 3, every machine an agent of
 * 4 cpus; cpus_allocated 28 at T0 - 60. */
static struct cman_live_pool *exec_pool(bool execute, const char *file)
{
	struct cman_live_pool_opts o;
	struct cman_live_pool *lp = NULL;
	struct cman_error err;
	const struct cman_rg_instance *in;
	struct cman_sample s = { .t = T0 - 60, .value = 28 };
	char *slaves, *p;
	size_t n, i, g, cap = 65536;

	cman_live_pool_opts_init(&o);
	o.dry_run = !execute;
	o.pool_file = file;
	if (cman_live_pool_open(&cfg, "c1", "exec", NULL, &o, &lp, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(lp->n_groups, 2);
	/* the machines join: one agent per instance IP */
	if (cman_live_pool_refresh(lp, &err) != 0)
		fail_msg("%s", err.msg);
	slaves = malloc(cap);
	p = slaves + sprintf(slaves, "{\"slaves\": [");
	for (g = 0; g < lp->n_groups; g++) {
		assert_int_equal(lp->rgs[g]->ops->instances(lp->rgs[g], &in, &n, &err), 0);
		for (i = 0; i < n; i++) {
			assert_true(in[i].ip && in[i].ip[0]);
			p += sprintf(p, "%s{\"id\": \"%s\", \"pid\": \"slave(1)@%s:5051\", "
				     "\"hostname\": \"%s\", \"active\": true, \"attributes\": "
				     "{\"pool\": \"exec\"}, \"resources\": {\"cpus\": 4, \"mem\": "
				     "8000, \"disk\": 1000, \"gpus\": 0}, \"used_resources\": "
				     "{\"cpus\": 1, \"mem\": 0, \"disk\": 0, \"gpus\": 0}}",
				     p[-1] == '[' ? "" : ", ", in[i].id, in[i].ip, in[i].id);
		}
	}
	strcpy(p, "]}");
	fake_mesos_set_body(mesos, "slaves", slaves);
	free(slaves);
	assert_int_equal(cman_store_begin(lp->store, &err), 0);
	assert_int_equal(cman_store_write(lp->store, CMAN_SYSTEM_METRICS,
					  "cpus_allocated|cluster=c1,pool=exec.mesos", &s, &err), 0);
	assert_int_equal(cman_store_commit(lp->store, &err), 0);
	return lp;
}

static char *run_cycle(struct cman_live_pool *lp, struct cman_live_pool *shadow, bool execute,
		       int expect_rc, struct cman_live_autoscale_stats *stats)
{
	struct cman_live_autoscaler_opts o;
	struct cman_live_autoscaler a;
	struct cman_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	int rc;

	cman_live_autoscaler_opts_init(&o);
	o.execute = execute;
	o.decisions = fp;
	o.shadow = shadow;
	if (cman_live_autoscaler_init(&a, lp, &o, &err) != 0)
		fail_msg("%s", err.msg);
	rc = cman_live_autoscale_cycle(&a, T0, &err);
	if (rc != expect_rc)
		fail_msg("cycle: %d %s", rc, err.msg);
	*stats = a.stats;
	cman_live_autoscaler_release(&a);
	fclose(fp);
	return buf;
}

static void test_cycles(void **state)
{
	struct cman_live_pool *lp, *sh;
	struct cman_live_autoscale_stats st;
	struct cman_state_item item = { .timestamp = T0 - 10, .expires = true,
					.expiration = T0 + 100 };
	struct cman_error err;
	char *line, *second;

	(void)state;
	write_file("clusters/c1/exec.mesos", POOL_HEAD);
	load_config();
	lp = exec_pool(false, NULL);

	/* paused: recorded as such, nothing changed */
	assert_int_equal(cman_store_state_put(lp->store, CMAN_STATE_PAUSED, "c1.exec.mesos",
					      &item, &err), 0);
	line = run_cycle(lp, NULL, false, 0, &st);
	assert_non_null(strstr(line, "\"paused\":true"));
	assert_non_null(strstr(line, "\"pool\":\"c1.exec.mesos\""));
	assert_non_null(strstr(line, "\"shadow\":false"));
	assert_int_equal(st.paused, 1);
	assert_true(st.last_paused);
	free(line);
	assert_int_equal(cman_store_state_delete(lp->store, CMAN_STATE_PAUSED, "c1.exec.mesos",
						 &err), 0);

	/* a dry run: 5 joined units of 4 cpus, 28 cpus asked at setpoint 0.7:
	 * 5 x 28 / (20 x 0.7) = 10; AWS unchanged; no metadata written */
	line = run_cycle(lp, NULL, false, 0, &st);
	assert_non_null(strstr(line, "\"new_target\":10.0,"));
	assert_non_null(strstr(line, "\"current_target\":5.0,"));
	assert_non_null(strstr(line, "\"dry_run\":true"));
	assert_non_null(strstr(line, "\"capacity_offset\":0.0,"));
	assert_non_null(strstr(line, "\"capacity_offset_error\":null"));
	assert_non_null(strstr(line, "\"signal_source\":\"default\""));
	assert_true(st.last_target == 10 && st.last_fulfilled == 5);
	free(line);
	assert_int_equal(moto_group_desired(client, "asg-exec"), 3);
	assert_int_equal(moto_fleet_target(client, exec_fleet), 2);
	{
		int64_t tt;
		double v;
		int found = cman_store_latest(lp->store, CMAN_METADATA,
					      "target_capacity|cluster=c1,pool=exec.mesos",
					      T0 + 1000, &tt, &v, &err);

		assert_int_equal(found, 0);
	}

	/* an offset of -1 in the state table: 10 - 1 = 9 */
	item.offset = -1;
	assert_int_equal(cman_store_state_put(lp->store, CMAN_STATE_CAPACITY_OFFSET,
					      "c1.exec.mesos", &item, &err), 0);
	line = run_cycle(lp, NULL, false, 0, &st);
	assert_non_null(strstr(line, "\"new_target\":9.0,"));
	assert_non_null(strstr(line, "\"capacity_offset\":-1.0,"));
	free(line);
	assert_int_equal(cman_store_state_delete(lp->store, CMAN_STATE_CAPACITY_OFFSET,
						 "c1.exec.mesos", &err), 0);

	/* shadow: a candidate that adds at most 2 a cycle; its line first,
	 * marked, a dry run; production's as before */
	mkdir("cand", 0777);
	mkdir("cand/c1", 0777);
	write_file("cand/c1/exec.mesos",
		   "resource_groups:\n"
		   "  - asg: {tag: '" TAGKEY "'}\n"
		   "scaling_limits: {min_capacity: 1, max_capacity: 20, max_weight_to_add: 2,"
		   " max_weight_to_remove: 5}\n");
	{
		struct cman_live_pool_opts o;

		cman_live_pool_opts_init(&o);
		o.no_signal = true;
		o.no_discovery = true;
		o.pool_file = "cand/c1/exec.mesos";
		o.store = lp->store;
		if (cman_live_pool_open(&cfg, "c1", "exec", NULL, &o, &sh, &err) != 0)
			fail_msg("%s", err.msg);
	}
	line = run_cycle(lp, sh, true, 0, &st);
	second = strchr(line, '\n');
	assert_non_null(second);
	*second++ = '\0';
	assert_non_null(strstr(line, "\"shadow\":true"));
	assert_non_null(strstr(line, "\"pool_file\":\"cand/c1/exec.mesos\""));
	assert_non_null(strstr(line, "\"new_target\":7.0,"));
	assert_non_null(strstr(line, "\"dry_run\":true"));
	assert_non_null(strstr(line, "max_weight_to_add"));
	assert_non_null(strstr(second, "\"shadow\":false"));
	assert_non_null(strstr(second, "\"new_target\":10.0,"));
	assert_non_null(strstr(second, "\"dry_run\":false"));
	free(line);
	cman_live_pool_close(sh);

	/* executed: 10 over the fleet (2) and the group (3), +1 to the smallest,
	 * ties by id (asg-exec before sfr-...): 5 and 5 */
	assert_int_equal(moto_group_desired(client, "asg-exec"), 5);
	assert_int_equal(moto_fleet_target(client, exec_fleet), 5);
	assert_int_equal(st.decided, 1);
	assert_int_equal(st.failed, 0);
	cman_live_pool_close(lp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_default_signal),
		cmocka_unit_test(test_pool_signal_and_fallback),
		cmocka_unit_test(test_no_signal_and_dry_cycle),
		cmocka_unit_test(test_rediscover),
		cmocka_unit_test(test_protection_and_draining),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_cycles),
	};
	struct test_server srv;
	char other[64], loc[64];
	int rc;

	rc = test_server_start_moto_ec2(&srv, 120);
	if (rc == -1)
		return TEST_SKIP_CODE;
	if (rc)
		return 1;
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "livepool-secret", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	setenv("AWS_ENDPOINT_URL", srv.url, 1);
	mesos_http = fake_http_start();
	mesos = fake_mesos_new(FAKE_MESOS_FIXTURES);
	if (!mesos_http || !mesos || !(client = moto_client(srv.url, 60000))) {
		test_server_stop(&srv);
		return 1;
	}
	snprintf(loc, sizeof(loc), "//127.0.0.1:%d", fake_http_port(mesos_http));
	fake_mesos_set_leader(mesos, loc, 1);
	fake_mesos_attach(mesos, mesos_http);
	snprintf(root, sizeof(root), "%s/livepool.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
								        : "/tmp");
	if (!mkdtemp(root) || chdir(root) != 0)
		return 1;
	mkdir("clusters", 0777);
	mkdir("clusters/c1", 0777);
	write_service("");

	/* the world: a VPC, a subnet, a launch template, the pool's fleet and
	 * group, and another pool's */
	moto_world_init(&world, client, 7, "livepool-test", TAGKEY, 10);
	moto_make_fleet(&world, NULL, MINE, 2, fleet_id, sizeof(fleet_id));
	moto_make_fleet(&world, NULL, OTHER_POOL, 1, other, sizeof(other));
	moto_make_group(&world, "asg-default", NULL, MINE, 3, 0);
	moto_make_group(&world, "asg-batch", NULL, OTHER_POOL, 1, 0);
	moto_make_fleet(&world, NULL, EXEC_POOL, 2, exec_fleet, sizeof(exec_fleet));
	moto_make_group(&world, "asg-exec", NULL, EXEC_POOL, 3, 0);

	rc = cmocka_run_group_tests_name("live pool (moto_server, fake Mesos)", tests, NULL,
					 NULL);
	cman_live_config_release(&cfg);
	cman_aws_client_free(client);
	fake_http_stop(mesos_http);
	fake_mesos_free(mesos);
	test_server_stop(&srv);
	if (!rc) {
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", root);
	}
	return rc;
}
