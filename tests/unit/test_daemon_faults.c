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

#include "cman/live/autoscale.h"
#include "cman/live/daemon.h"
#include "cman/live/livepool.h"
#include "cman/live/sigproc.h"
#include "cman/live/xml.h"
#include "fake_http.h"
#include "mesos_master.h"
#include "servers.h"

#define TAGKEY "puppet:role::paasta"
#define MINE "{\"pool\": \"flt\", \"paasta_cluster\": \"c1\"}"
#define MAXCAP 20

static struct cman_aws_client *client;
static struct fake_http *mesos_http;
static struct fake_mesos *mesos;
static char root[256], fleet_id[64], subnet[64], plan[320], reqlog[320];
static struct test_server moto;
static pid_t proxy_pid;
static char proxy_url[64];

static void call(const char *svc, struct cman_aws_params *p, const char *find, char *out,
		 size_t n)
{
	struct cman_error err;
	xmlDocPtr doc;
	int rc = cman_aws_query_xml(client, svc, p, 0, &doc, NULL, &err);

	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	if (find)
		assert_true(cman_xml_text(cman_xml_find(xmlDocGetRootElement(doc), find), out, n) > 0);
	xmlFreeDoc(doc);
	cman_aws_params_release(p);
}

static int group_desired(const char *name)
{
	struct cman_aws_params p;
	char v[32];

	cman_aws_params_init(&p, "DescribeAutoScalingGroups", "2011-01-01");
	cman_aws_params_add(&p, "AutoScalingGroupNames.member.1", name);
	call("autoscaling", &p, "DesiredCapacity", v, sizeof(v));
	return atoi(v);
}

static int fleet_target(const char *id)
{
	struct cman_aws_params p;
	char v[32];

	cman_aws_params_init(&p, "DescribeSpotFleetRequests", "2016-11-15");
	cman_aws_params_add(&p, "SpotFleetRequestId.1", id);
	call("ec2", &p, "targetCapacity", v, sizeof(v));
	return atoi(v);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* ---- the daemon's cycle, as cmd_autoscale.c runs it ---------------------------- */

struct run {
	struct cman_live_pool *lp;
	struct cman_live_autoscaler as;
	struct cman_live_sigsup sup;
	int fleet[16], group[16];
	int rcs[16];
	bool signal_failed[16];
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
	char buf[256];
	int rc;

	/* this cycle's faults */
	buf[0] = '\0';
	if (i == 1)
		snprintf(buf, sizeof(buf), "ModifySpotFleetRequest throttle 50 c1\n");
	else if (i == 2)
		snprintf(buf, sizeof(buf), "DescribeSpotFleetRequests 5xx 50 c2\n");
	else if (i == 5)
		snprintf(buf, sizeof(buf), "SetDesiredCapacity 5xx 50 c5\n");
	write_file(plan, buf);
	cman_live_sigsup_check(&r->sup, stderr, "faults", NULL);
	if (i == 3) {
		pid_t pid = r->sup.proc[0].pid;
		int st;

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
		(void)st;
	}
	r->as.may_mutate = may_mutate;
	r->as.may_mutate_ctx = d;
	rc = cman_live_autoscale_cycle(&r->as, dc->now, err);
	write_file(plan, "");
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
	if (i < 16) {
		r->rcs[i] = rc;
		r->signal_failed[i] = r->as.stats.last_signal_failed;
		r->fleet[i] = fleet_target(fleet_id);
		r->group[i] = group_desired("asg-flt");
	}
	return rc;
}

static void metrics(void *ctx, FILE *fp)
{
	struct run *r = ctx;

	cman_live_sigsup_metrics(&r->sup, fp, r->labels);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
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

static void test_faults(void **state)
{
	static const char *labels = "{cluster=\"c1\",pool=\"flt\"";
	struct cman_live_config cfg;
	struct cman_live_pool_opts po;
	struct cman_live_autoscaler_opts ao;
	struct cman_daemon_opts o = { 0 };
	struct cman_daemon_stats st;
	struct cman_error err = { 0 };
	struct run r;
	const struct cman_rg_instance *in;
	char text[2048], path[512], *dec, *m, *slaves, *p, key[256];
	FILE *decf;
	size_t n, i, g;

	(void)state;
	memset(&r, 0, sizeof(r));
	snprintf(text, sizeof(text),
		 "clusters:\n"
		 "  c1: {aws_region: us-west-2, mesos_master_fqdn: '%s'}\n"
		 "aws: {endpoint_url: '%s'}\n"
		 "autoscaling: {default_signal_role: clusterman, setpoint: 0.7,"
		 " target_capacity_margin: 0.1}\n"
		 "metrics: {sqlite: m.sqlite}\n",
		 fake_http_url(mesos_http), proxy_url);
	write_file("clusterman.yaml", text);
	snprintf(text, sizeof(text),
		 "resource_groups:\n"
		 "  - sfr: {tag: '" TAGKEY "'}\n"
		 "  - asg: {tag: '" TAGKEY "'}\n"
		 "scaling_limits: {min_capacity: 1, max_capacity: %d, max_weight_to_add: 5,"
		 " max_weight_to_remove: 5}\n"
		 "autoscale_signal:\n"
		 "  name: echo\n"
		 "  namespace: flt%d\n"
		 "  period_minutes: 1\n"
		 "  required_metrics: []\n"
		 "  parameters: [{cpus: 1000}]\n"
		 "  command: [python3, '%s/tests/signals/echo_signal.py', flt%d, echo, flt]\n",
		 MAXCAP, (int)getpid(), CMAN_SOURCE_DIR, (int)getpid());
	write_file("clusters/c1/flt.mesos", text);
	snprintf(path, sizeof(path), "%s/clusterman.yaml", root);
	if (cman_live_config_load(path, &cfg, &err))
		fail_msg("%s", err.msg);
	/* the pool through the proxy (AWS_ENDPOINT_URL would win over the file) */
	unsetenv("AWS_ENDPOINT_URL");
	setenv("CMAN_SIGNAL_CONNECT_TIMEOUT_MS", "120000", 0);
	cman_live_pool_opts_init(&po);
	po.dry_run = false;
	if (cman_live_pool_open(&cfg, "c1", "flt", NULL, &po, &r.lp, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(r.lp->signal_source, CMAN_LIVE_SIGNAL_POOL);
	assert_int_equal(r.lp->n_groups, 2);
	/* every machine joins Mesos */
	if (cman_live_pool_refresh(r.lp, &err))
		fail_msg("%s", err.msg);
	slaves = malloc(65536);
	p = slaves + sprintf(slaves, "{\"slaves\": [");
	for (g = 0; g < r.lp->n_groups; g++) {
		assert_int_equal(r.lp->rgs[g]->ops->instances(r.lp->rgs[g], &in, &n, &err), 0);
		for (i = 0; i < n; i++)
			p += sprintf(p, "%s{\"id\": \"%s\", \"pid\": \"slave(1)@%s:5051\", "
				     "\"hostname\": \"%s\", \"active\": true, \"attributes\": "
				     "{\"pool\": \"flt\"}, \"resources\": {\"cpus\": 4, \"mem\": "
				     "8000, \"disk\": 1000, \"gpus\": 0}, \"used_resources\": "
				     "{\"cpus\": 4, \"mem\": 0, \"disk\": 0, \"gpus\": 0}}",
				     p[-1] == '[' ? "" : ", ", in[i].id, in[i].ip, in[i].id);
	}
	strcpy(p, "]}");
	fake_mesos_set_body(mesos, "slaves", slaves);
	free(slaves);

	decf = fopen("decisions.jsonl", "w");
	assert_non_null(decf);
	cman_live_autoscaler_opts_init(&ao);
	ao.execute = true;
	ao.decisions = decf;
	if (cman_live_autoscaler_init(&r.as, r.lp, &ao, &err))
		fail_msg("%s", err.msg);
	cman_live_sigsup_init(&r.sup, r.lp->signal, r.lp->default_signal);
	snprintf(r.labels, sizeof(r.labels), "cluster=\"c1\",pool=\"flt\"");
	setenv("CMAN_LIVE_TEST_PERIOD_MS", "0", 1);
	o.name = "autoscaler";
	o.cluster = "c1";
	o.pool = "flt";
	o.period_seconds = r.lp->period_seconds;
	o.max_cycles = 8;
	o.health_file = "health.json";
	o.metrics_file = "metrics.prom";
	o.prog = "faults";
	o.cycle = cycle;
	o.metrics = metrics;
	o.ctx = &r;
	assert_int_equal(cman_daemon_run(&o, &st, &err), 0);
	fclose(decf);

	/* the daemon ran every cycle, and never went over the limit */
	assert_int_equal(st.cycles, 8);
	for (i = 0; i < 8; i++) {
		fprintf(stderr, "cycle %zu: rc %d, fleet %d + group %d\n", i, r.rcs[i],
			r.fleet[i], r.group[i]);
		assert_true(r.fleet[i] + r.group[i] <= MAXCAP);
		assert_true(r.fleet[i] >= 0 && r.group[i] >= 0);
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
	assert_int_equal(r.fleet[7] + r.group[7], MAXCAP);
	assert_int_equal(r.sup.proc[0].restarts, 1);
	assert_int_equal(r.sup.proc[0].crashes, 1);

	/* each fault recorded: the decision lines */
	dec = slurp("decisions.jsonl");
	assert_null(strstr(line_of(dec, 0), "\"error\":\""));
	assert_non_null(strstr(line_of(dec, 1), "RequestLimitExceeded"));
	assert_non_null(strstr(line_of(dec, 2), "\"failed\":true"));
	/* the killed signal: the default signal answered, the failure kept */
	assert_non_null(strstr(line_of(dec, 3), "\"signal\":\"most_recent\""));
	assert_non_null(strstr(line_of(dec, 3), "\"signal_error\":\"external signal 'echo'"));
	assert_null(strstr(line_of(dec, 4), "\"signal_error\":\""));
	assert_non_null(strstr(line_of(dec, 5), "ServiceUnavailable"));
	free(dec);
	/* ... and the metrics file */
	m = slurp("metrics.prom");
	snprintf(key, sizeof(key), "clusterman_autoscaler_errors_total%s,kind=\"throttling\"} ",
		 labels);
	assert_non_null(strstr(m, key));
	assert_true(atof(strstr(m, key) + strlen(key)) >= 1);
	snprintf(key, sizeof(key), "clusterman_autoscaler_errors_total%s,kind=\"5xx\"} ", labels);
	assert_true(atof(strstr(m, key) + strlen(key)) >= 2);
	snprintf(key, sizeof(key), "clusterman_autoscaler_errors_total%s,kind=\"signal\"} ",
		 labels);
	assert_true(atof(strstr(m, key) + strlen(key)) >= 1);
	assert_non_null(strstr(m, "clusterman_signal_process_restarts_total{cluster=\"c1\","
			       "pool=\"flt\",signal=\"echo\",role=\"pool\"} 1\n"));
	snprintf(key, sizeof(key), "clusterman_autoscaler_target_capacity%s} %d\n", labels,
		 MAXCAP);
	assert_non_null(strstr(m, key));
	free(m);
	/* the proxy really injected them */
	m = slurp(reqlog);
	assert_non_null(strstr(m, "ModifySpotFleetRequest throttle"));
	assert_non_null(strstr(m, "DescribeSpotFleetRequests 5xx"));
	assert_non_null(strstr(m, "SetDesiredCapacity 5xx"));
	free(m);

	cman_live_sigsup_release(&r.sup);
	cman_live_autoscaler_release(&r.as);
	cman_live_pool_close(r.lp);
	cman_live_config_release(&cfg);
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
	write_file(plan, "");
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

static struct cman_aws_client *make_client(void)
{
	struct cman_aws_config c;
	struct cman_aws_client *out = NULL;
	struct cman_error err;

	cman_aws_config_init(&c);
	snprintf(c.region, sizeof(c.region), "us-west-2");
	snprintf(c.endpoint_url, sizeof(c.endpoint_url), "%s", moto.url);
	c.timeout_ms = 60000;
	if (cman_aws_client_new(&c, &out, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	return out;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults),
	};
	struct cman_aws_params p;
	char vpc[64], loc[64], cmd[600];
	int rc;

	rc = test_server_start_moto_ec2(&moto, 120);
	if (rc == -1)
		return TEST_SKIP_CODE;
	if (rc)
		return 1;
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "faults-secret", 1);
	setenv("AWS_REGION", "us-west-2", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_ENDPOINT_URL");
	snprintf(root, sizeof(root), "%s/cman-faults.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root) || chdir(root) != 0)
		return 1;
	mkdir("clusters", 0777);
	mkdir("clusters/c1", 0777);
	mesos_http = fake_http_start();
	mesos = fake_mesos_new(FAKE_MESOS_FIXTURES);
	if (!mesos_http || !mesos || !(client = make_client()) || start_proxy()) {
		test_server_stop(&moto);
		return 1;
	}
	snprintf(loc, sizeof(loc), "//127.0.0.1:%d", fake_http_port(mesos_http));
	fake_mesos_set_leader(mesos, loc, 1);
	fake_mesos_attach(mesos, mesos_http);

	cman_aws_params_init(&p, "CreateVpc", "2016-11-15");
	cman_aws_params_add(&p, "CidrBlock", "10.8.0.0/16");
	call("ec2", &p, "vpcId", vpc, sizeof(vpc));
	cman_aws_params_init(&p, "CreateSubnet", "2016-11-15");
	cman_aws_params_add(&p, "VpcId", vpc);
	cman_aws_params_add(&p, "CidrBlock", "10.8.1.0/24");
	cman_aws_params_add(&p, "AvailabilityZone", "us-west-2a");
	call("ec2", &p, "subnetId", subnet, sizeof(subnet));
	cman_aws_params_init(&p, "CreateLaunchTemplate", "2016-11-15");
	cman_aws_params_add(&p, "LaunchTemplateName", "faults-test");
	cman_aws_params_add(&p, "LaunchTemplateData.ImageId", "ami-12c6146b");
	cman_aws_params_add(&p, "LaunchTemplateData.InstanceType", "m5.large");
	call("ec2", &p, NULL, NULL, 0);
	cman_aws_params_init(&p, "RequestSpotFleet", "2016-11-15");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.IamFleetRole",
			    "arn:aws:iam::123456789012:role/fleet");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.TargetCapacity", "2");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.AllocationStrategy", "diversified");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.SpotPrice", "0.5");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1.ImageId",
			    "ami-12c6146b");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1.InstanceType",
			    "m5.large");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1.SubnetId", subnet);
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1."
			    "TagSpecificationSet.1.ResourceType", "instance");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1."
			    "TagSpecificationSet.1.Tag.1.Key", TAGKEY);
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1."
			    "TagSpecificationSet.1.Tag.1.Value", MINE);
	call("ec2", &p, "spotFleetRequestId", fleet_id, sizeof(fleet_id));
	cman_aws_params_init(&p, "CreateAutoScalingGroup", "2011-01-01");
	cman_aws_params_add(&p, "AutoScalingGroupName", "asg-flt");
	cman_aws_params_add(&p, "LaunchTemplate.LaunchTemplateName", "faults-test");
	cman_aws_params_add(&p, "MinSize", "0");
	cman_aws_params_add(&p, "MaxSize", "30");
	cman_aws_params_add(&p, "DesiredCapacity", "3");
	cman_aws_params_add(&p, "VPCZoneIdentifier", subnet);
	cman_aws_params_add(&p, "Tags.member.1.Key", TAGKEY);
	cman_aws_params_add(&p, "Tags.member.1.Value", MINE);
	call("autoscaling", &p, NULL, NULL, 0);

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
