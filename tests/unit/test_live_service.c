/*
 * Live configuration: the pool file in Clusterman's shape (common/poolfile.c
 * through poolcfg.c's CLUSTERMAN flavor) and the service file
 * (live/service.c).  A real Clusterman-shaped pool file loads unchanged;
 * bad inputs are errors naming FILE:LINE:COL and the key.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cman/live/service.h"
#include "cman/poolfile.h"
#include "cman_test.h"

static char root[512];

static void write_file(const char *rel, const char *text)
{
	char p[1024], d[1024], *slash;
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(d, sizeof(d), "%s", p);
	for (slash = strchr(d + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(d, 0777);
		*slash = '/';
	}
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static const char *path_of(const char *rel)
{
	static char p[1024];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return p;
}

/* A pool file as Clusterman's own acceptance setup writes them: document
 * marker, S3 and tag discovery, a signal with branch_or_tag, parameters as
 * a list of one-key maps, alert_on_max_capacity and Kubernetes keys. */
static const char clusterman_pool[] =
	"---\n"
	"resource_groups:\n"
	"  - sfr:\n"
	"      s3:\n"
	"        bucket: clusterman-resource-groups\n"
	"        prefix: acceptance\n"
	"  - sfr: {tag: 'puppet:role::paasta'}\n"
	"  - asg:\n"
	"      tag: 'puppet:role::paasta'\n"
	"\n"
	"scaling_limits:\n"
	"  min_capacity: 10\n"
	"  max_capacity: 60\n"
	"  max_tasks_to_kill: 100\n"
	"  max_weight_to_add: 10\n"
	"  max_weight_to_remove: 10\n"
	"  min_node_scalein_uptime_seconds: 300\n"
	"\n"
	"autoscaling:\n"
	"  setpoint: 0.8\n"
	"  orphan_instance_uptime_threshold_seconds: 900\n"
	"  prevent_scale_down_after_capacity_loss: true\n"
	"  instance_loss_threshold: 3\n"
	"\n"
	"autoscale_signal:\n"
	"  namespace: clusterman\n"
	"  name: MostRecentResources\n"
	"  branch_or_tag: acceptance\n"
	"  period_minutes: 10\n"
	"  required_metrics:\n"
	"    - name: cpus_allocated\n"
	"      type: system_metrics\n"
	"      minute_range: 10\n"
	"    - name: mem_allocated\n"
	"      type: system_metrics\n"
	"      minute_range: 10\n"
	"      regex: false\n"
	"  parameters:\n"
	"    - scale: 1.5\n"
	"    - window: 10\n"
	"    - scale: 2\n"
	"\n"
	"draining_enabled: true\n"
	"draining: {draining_time_threshold_seconds: 1800, force_terminate: false}\n"
	"alert_on_max_capacity: false\n"
	"sensu_config:\n"
	"  - team: noop\n"
	"    page: false\n"
	"non_batch_framework_prefixes: [marathon, chronos]\n";

static void test_clusterman_pool_file(void **state)
{
	struct cman_pool_file pf;
	struct cman_error err = { 0 };
	const struct cman_node *p;

	(void)state;
	write_file("clusters/norcal-prod/default.mesos", clusterman_pool);
	if (cman_pool_file_load(path_of("clusters/norcal-prod/default.mesos"), NULL, &pf,
				&err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(pf.cluster, "norcal-prod");
	assert_string_equal(pf.pool, "default");
	assert_string_equal(pf.scheduler, "mesos");
	assert_int_equal(pf.n_groups, 3);
	assert_int_equal(pf.groups[0].kind, CMAN_DISCOVER_SFR);
	assert_null(pf.groups[0].tag);
	assert_string_equal(pf.groups[0].s3_bucket, "clusterman-resource-groups");
	assert_string_equal(pf.groups[0].s3_prefix, "acceptance");
	assert_string_equal(pf.groups[1].tag, "puppet:role::paasta");
	assert_int_equal(pf.groups[2].kind, CMAN_DISCOVER_ASG);
	assert_int_equal(pf.groups[2].protection, CMAN_SCALE_IN_REFUSE);   /* the default */
	assert_true(pf.draining_enabled);
	assert_int_equal(pf.drain_timeout_seconds, 1800);
	assert_false(pf.alert_on_max_capacity);
	/* the autoscaling keys, through the simulator's parser */
	assert_true(pf.config.setpoint == 0.8);
	assert_true(pf.config.target_capacity_margin == 0.1);   /* the default */
	assert_true(pf.config.min_capacity == 10 && pf.config.max_capacity == 60);
	assert_true(pf.config.max_tasks_to_kill == 100);
	assert_int_equal(pf.config.orphan_instance_uptime_threshold_seconds, 900);
	assert_true(pf.config.prevent_scale_down_after_capacity_loss);
	assert_int_equal(pf.config.instance_loss_threshold, 3);
	assert_int_equal(pf.groups[0].protection, CMAN_SCALE_IN_REFUSE);
	assert_true(pf.config.has_signal);
	assert_true(pf.config.signal.external);          /* not internal */
	assert_string_equal(pf.config.signal.namespace_, "clusterman");
	assert_string_equal(pf.config.signal.name, "MostRecentResources");
	assert_int_equal(pf.config.signal.period_minutes, 10);
	assert_int_equal(pf.config.signal.n_required_metrics, 2);
	assert_string_equal(pf.config.signal.required_metrics[1].name, "mem_allocated");
	/* the list of one-key maps merged in order: the later scale wins */
	p = pf.config.signal.parameters;
	assert_non_null(p);
	assert_int_equal(p->type, CMAN_NODE_MAP);
	assert_int_equal(p->n, 2);
	assert_string_equal(cman_node_get(p, "scale")->scalar, "2");
	assert_string_equal(cman_node_get(p, "window")->scalar, "10");
	assert_null(pf.sim);
	cman_pool_file_release(&pf);
	cman_pool_file_release(&pf);   /* safe twice */
}

/* Clusterman's defaults: max_tasks_to_kill 0 when absent, the service's
 * setpoint and margin, namespace = the pool, internal = built-in. */
static void test_clusterman_defaults(void **state)
{
	struct cman_pool_parse_opts d = { CMAN_POOL_CLUSTERMAN, NULL, 0.65, 0.05, { false } };
	struct cman_pool_file pf;
	struct cman_error err = { 0 };

	(void)state;
	d.excluded[CMAN_RES_GPUS] = true;
	write_file("clusters/c1/batch.kubernetes",
		   "resource_groups: [{asg: {tag: pool_tag}}]\n"
		   "scaling_limits: {min_capacity: 0, max_capacity: 5, max_weight_to_add: 1,\n"
		   "                 max_weight_to_remove: 1}\n"
		   "autoscale_signal: {name: Sig, period_minutes: 5}\n");
	if (cman_pool_file_load(path_of("clusters/c1/batch.kubernetes"), &d, &pf, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(pf.scheduler, "kubernetes");
	assert_true(pf.config.max_tasks_to_kill == 0);
	assert_true(pf.config.setpoint == 0.65);
	assert_true(pf.config.target_capacity_margin == 0.05);
	assert_true(pf.config.excluded[CMAN_RES_GPUS]);
	assert_true(pf.config.signal.external);
	assert_string_equal(pf.config.signal.namespace_, "batch");
	assert_true(pf.alert_on_max_capacity);
	assert_int_equal(pf.drain_timeout_seconds, CMAN_DRAIN_TIMEOUT_DEFAULT);
	cman_pool_file_release(&pf);

	write_file("clusters/c1/p2.mesos",
		   "resource_groups: [{sfr: {tag: t}}]\n"
		   "scaling_limits: {min_capacity: 0, max_capacity: 5, max_weight_to_add: 1,\n"
		   "                 max_weight_to_remove: 1, max_tasks_to_kill: 'inf'}\n"
		   "autoscaling: {excluded_resources: [mem]}\n"
		   "autoscale_signal: {name: most_recent, internal: true, period_minutes: 10}\n");
	if (cman_pool_file_load(path_of("clusters/c1/p2.mesos"), &d, &pf, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(isinf(pf.config.max_tasks_to_kill));
	assert_false(pf.config.signal.external);
	assert_null(pf.config.signal.namespace_);
	/* the pool's list replaces the service's */
	assert_true(pf.config.excluded[CMAN_RES_MEM]);
	assert_false(pf.config.excluded[CMAN_RES_GPUS]);
	cman_pool_file_release(&pf);

	/* our keys: scale_in_protection per asg entry, the drain timeout */
	write_file("clusters/c1/p3.mesos",
		   "resource_groups:\n"
		   "  - asg: {tag: a, scale_in_protection: protect}\n"
		   "  - asg: {tag: b, scale_in_protection: refuse}\n"
		   "scaling_limits: {min_capacity: 0, max_capacity: 5, max_weight_to_add: 1,\n"
		   "                 max_weight_to_remove: 1}\n"
		   "draining_enabled: true\n"
		   "draining: {draining_time_threshold_seconds: 120}\n");
	if (cman_pool_file_load(path_of("clusters/c1/p3.mesos"), &d, &pf, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(pf.groups[0].protection, CMAN_SCALE_IN_PROTECT);
	assert_int_equal(pf.groups[1].protection, CMAN_SCALE_IN_REFUSE);
	assert_true(pf.draining_enabled);
	assert_int_equal(pf.drain_timeout_seconds, 120);
	cman_pool_file_release(&pf);
}

struct bad_case {
	const char *name;     /* file name under clusters/ */
	const char *text;
	const char *want;     /* substring of the message after the path */
};

static void test_bad_pool_files(void **state)
{
	static const char limits[] =
		"scaling_limits: {min_capacity: 0, max_capacity: 5, max_weight_to_add: 1,"
		" max_weight_to_remove: 1}\n";
	static const struct bad_case cases[] = {
		{ "c/p.yaml", "", "unknown scheduler 'yaml'" },
		{ "c/.mesos", "", "a pool file is named <pool>.<scheduler>" },
		{ "c/p.mesos", "scaling_limits: {}\n", "missing required key 'resource_groups'" },
		{ "c/p.mesos", "resource_groups: [{sfr: {}}]\n",
		  ":1:25: resource_groups[0].sfr: no way to find the pool's groups" },
		{ "c/p.mesos", "resource_groups: [{spot: {tag: x}}]\n",
		  ":1:20: resource_groups[0]: unknown resource group kind 'spot'" },
		{ "c/p.mesos", "resource_groups:\n  - sfr: {tag: x, tags: y}\n",
		  ":2:19: unknown key 'tags' in resource_groups[0].sfr" },
		{ "c/p.mesos", "resource_groups: [{asg: {tag: x}}]\nscaling_limit: {}\n",
		  ":2:1: unknown key 'scaling_limit'" },
		{ "c/p.mesos", "resource_groups: [{asg: {tag: x}}]\n",
		  "missing required key 'scaling_limits'" },
		{ "c/p.mesos",
		  "resource_groups: [{asg: {tag: x}}]\n"
		  "scaling_limits: {min_capacity: 0, max_capacity: 5, max_weight_to_add: 1}\n",
		  ":2:17: scaling_limits: missing required key 'max_weight_to_remove'" },
		{ "c/p.mesos",
		  "resource_groups: [{asg: {tag: x}}]\n"
		  "scaling_limits: {min_capacity: 9, max_capacity: 5, max_weight_to_add: 1,"
		  " max_weight_to_remove: 1}\n",
		  ":2:32: scaling_limits.min_capacity: 9 is greater than max_capacity 5" },
		{ "c/p.mesos", "resource_groups: [{asg: {tag: x}}]\n%sautoscaling: {setpoint: 1.5}\n",
		  ":3:25: autoscaling.setpoint: 1.5 is out of range" },
		{ "c/p.mesos",
		  "resource_groups: [{asg: {tag: x}}]\n%s"
		  "autoscale_signal: {name: S, period_minutes: 10, parameters: [{a: 1, b: 2}]}\n",
		  ":3:62: autoscale_signal.parameters[0]: expected a mapping with one key" },
		{ "c/p.mesos",
		  "resource_groups: [{asg: {tag: x}}]\n%s"
		  "autoscale_signal: {name: S, period_minutes: 10, external: true}\n",
		  ":3:49: unknown key 'external' in autoscale_signal" },
		{ "c/p.mesos",
		  "resource_groups: [{asg: {tag: x}}]\n%s"
		  "autoscale_signal:\n  name: S\n  period_minutes: 10\n  required_metrics:\n"
		  "    - {name: m.*, type: system_metrics, minute_range: 1, regex: true}\n",
		  ":7:65: autoscale_signal.required_metrics[0].regex: metric names as regular "
		  "expressions are not supported" },
		{ "c/p.mesos",
		  "resource_groups: [{asg: {tag: x}}]\n%s"
		  "autoscale_signal: {name: S, period_minutes: 0}\n",
		  ":3:45: autoscale_signal.period_minutes: 0 is out of range" },
		{ "c/p.mesos", "resource_groups: [{asg: {tag: x}}]\n%sdraining_enabled: maybe\n",
		  ":3:19: draining_enabled: expected true or false, got 'maybe'" },
		{ "c/p.mesos",
		  "resource_groups: [{asg: {tag: x}}]\n%sclusterman_sim: {promoted_from: {seed: -1}}\n",
		  ":3:40: clusterman_sim.promoted_from.seed: -1 is out of range" },
		{ "c/p.mesos",
		  "resource_groups:\n  - asg: {tag: x, scale_in_protection: maybe}\n%s",
		  ":2:40: resource_groups[0].asg.scale_in_protection: unknown policy 'maybe', "
		  "expected refuse" },
		{ "c/p.mesos",
		  "resource_groups:\n  - sfr: {tag: x, scale_in_protection: protect}\n%s",
		  ":2:19: unknown key 'scale_in_protection' in resource_groups[0].sfr" },
		{ "c/p.mesos", "resource_groups: [{asg: {tag: x}}]\n%sdraining:\n"
		  "  draining_time_threshold_seconds: -5\n",
		  ":4:36: draining.draining_time_threshold_seconds: -5 is out of range" },
		{ "c/p.mesos", "resource_groups: [{asg: {tag: x}}\n",
		  ":2:1: " },   /* a YAML syntax error has a position too */
	};
	struct cman_pool_file pf;
	struct cman_error err;
	char text[2048], want[1024];
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rel[256];

		snprintf(text, sizeof(text), cases[i].text, limits);
		snprintf(rel, sizeof(rel), "bad%zu/%s", i, cases[i].name);
		write_file(rel, text);
		cman_error_clear(&err);
		assert_int_equal(cman_pool_file_load(path_of(rel), NULL, &pf, &err), CMAN_EINVAL);
		snprintf(want, sizeof(want), "%s", cases[i].want);
		if (!strstr(err.msg, want) || !strstr(err.msg, path_of(rel)))
			print_error("case %zu: got '%s', expected '%s' and the path\n", i, err.msg,
				    want), bad++;
		/* released on failure: safe to release again */
		cman_pool_file_release(&pf);
	}
	assert_int_equal(bad, 0);
	/* a missing file is bad input naming it */
	assert_int_equal(cman_pool_file_load(path_of("none/p.mesos"), NULL, &pf, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "cannot open"));
}

static void test_service_file(void **state)
{
	struct cman_live_config cfg;
	struct cman_error err = { 0 };
	const struct cman_live_cluster *c;
	char **files;
	size_t n;

	(void)state;
	write_file("svc/clusterman.yaml",
		   "---\n"
		   "aws:\n"
		   "  region: us-west-1\n"
		   "  endpoint_url: http://127.0.0.1:5000/{svc}\n"
		   "  access_key_file: keys/aws.json\n"
		   "clusters:\n"
		   "  norcal-prod:\n"
		   "    aws_region: us-west-2\n"
		   "    aws_account_number: 123456789012\n"
		   "    mesos_master_fqdn: mesos.example.com\n"
		   "  local:\n"
		   "    mesos_master_fqdn: https://127.0.0.1:5051\n"
		   "  kube:\n"
		   "    cluster_manager: kubernetes\n"
		   "autoscaling:\n"
		   "  default_signal_role: clusterman\n"
		   "  setpoint: 0.6\n"
		   "  target_capacity_margin: 0.05\n"
		   "autoscale_signal:\n"
		   "  name: MostRecentResources\n"
		   "  branch_or_tag: v2\n"
		   "  period_minutes: 10\n"
		   "batches:\n"
		   "  cluster_metrics: {run_interval_seconds: 30}\n"
		   "  spot_prices: {run_interval_seconds: 120, dedupe_interval_seconds: 300}\n"
		   "mesos_maintenance_timeout_seconds: 600\n"
		   "sensu_config: [{team: noop, page: false}]\n"
		   "module_config: [{namespace: clusterman_metrics, file: /x.yaml}]\n");
	write_file("svc/clusters/norcal-prod/default.mesos", "x: 1\n");
	write_file("svc/clusters/norcal-prod/.hidden.mesos", "x: 1\n");
	write_file("svc/clusters/norcal-prod/a.kubernetes", "x: 1\n");
	write_file("svc/clusters/norcal-prod/notes.txt", "x\n");
	if (cman_live_config_load(path_of("svc/clusterman.yaml"), &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.n_clusters, 3);
	c = cman_live_config_cluster(&cfg, "norcal-prod");
	assert_non_null(c);
	assert_string_equal(c->region, "us-west-2");
	assert_string_equal(c->mesos_url, "http://mesos.example.com:5050");
	assert_string_equal(c->account, "123456789012");
	c = cman_live_config_cluster(&cfg, "local");
	assert_string_equal(c->region, "us-west-1");     /* aws.region */
	assert_string_equal(c->mesos_url, "https://127.0.0.1:5051");
	c = cman_live_config_cluster(&cfg, "kube");
	assert_null(c->mesos_url);
	assert_string_equal(c->manager, "kubernetes");
	assert_null(cman_live_config_cluster(&cfg, "nope"));
	assert_string_equal(cfg.endpoint_url, "http://127.0.0.1:5000/{svc}");
	assert_string_equal(cfg.access_key_file, path_of("svc/keys/aws.json"));
	assert_string_equal(cfg.pools_dir, path_of("svc/clusters"));
	assert_string_equal(cfg.state_table, "clusterman_cluster_state");
	assert_string_equal(cfg.store, "dynamodb://clusterman_?region=us-west-1");
	assert_false(cfg.store_is_sqlite);
	assert_true(cfg.defaults.setpoint == 0.6);
	assert_true(cfg.defaults.target_capacity_margin == 0.05);
	assert_true(cfg.has_default_signal);
	assert_string_equal(cfg.default_signal.namespace_, "clusterman");
	assert_int_equal(cfg.metrics_interval, 30);
	assert_int_equal(cfg.prices_interval, 120);
	assert_int_equal(cfg.prices_dedupe, 300);
	assert_int_equal(cman_live_config_pool_files(&cfg, "norcal-prod", &files, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(files[0], path_of("svc/clusters/norcal-prod/a.kubernetes"));
	assert_string_equal(files[1], path_of("svc/clusters/norcal-prod/default.mesos"));
	assert_null(files[2]);
	free(files[0]);
	free(files[1]);
	free(files);
	assert_int_equal(cman_live_config_pool_files(&cfg, "local", &files, &n, &err), 0);
	assert_int_equal(n, 0);
	free(files);
	cman_live_config_release(&cfg);

	/* metrics.sqlite and cluster_config_directory, relative to the file */
	write_file("svc2/clusterman.yaml",
		   "clusters: {c: {aws_region: r, mesos_master_fqdn: 'h:1'}}\n"
		   "metrics: {sqlite: data/m.sqlite}\n"
		   "cluster_config_directory: pools\n");
	if (cman_live_config_load(path_of("svc2/clusterman.yaml"), &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(cfg.store_is_sqlite);
	assert_string_equal(cfg.store, path_of("svc2/data/m.sqlite"));
	assert_string_equal(cfg.pools_dir, path_of("svc2/pools"));
	assert_string_equal(cfg.clusters[0].mesos_url, "http://h:1");
	/* no timeouts given: the clients' own defaults */
	{
		struct cman_aws_config ac;
		struct cman_mesos_config mc;

		cman_live_config_aws(&cfg, NULL, &ac);
		assert_int_equal(ac.timeout_ms, 20000);
		assert_int_equal(ac.connect_timeout_ms, 3000);
		cman_mesos_config_init(&mc);
		cman_live_config_mesos(&cfg, &mc);
		assert_int_equal(mc.timeout_ms, 10000);
		assert_int_equal(mc.connect_timeout_ms, 3000);
	}
	cman_live_config_release(&cfg);

	/* the clients' timeouts (seconds, fractions rounded up to a millisecond) */
	write_file("svc3/clusterman.yaml",
		   "clusters: {c: {aws_region: r, mesos_master_fqdn: 'h:1'}}\n"
		   "aws: {endpoint_url: 'http://127.0.0.1:1', timeout_seconds: 1.5,"
		   " connect_timeout_seconds: 0.0004}\n"
		   "mesos: {timeout_seconds: 2, connect_timeout_seconds: 0.25}\n");
	if (cman_live_config_load(path_of("svc3/clusterman.yaml"), &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	{
		struct cman_aws_config ac;
		struct cman_mesos_config mc;

		cman_live_config_aws(&cfg, "eu-west-1", &ac);
		assert_string_equal(ac.region, "eu-west-1");
		assert_string_equal(ac.endpoint_url, "http://127.0.0.1:1");
		assert_int_equal(ac.timeout_ms, 1500);
		assert_int_equal(ac.connect_timeout_ms, 1);
		assert_int_equal(ac.max_attempts, 5);
		cman_mesos_config_init(&mc);
		cman_live_config_mesos(&cfg, &mc);
		assert_int_equal(mc.timeout_ms, 2000);
		assert_int_equal(mc.connect_timeout_ms, 250);
		assert_int_equal(mc.max_attempts, 3);
	}
	cman_live_config_release(&cfg);
}

static void test_bad_service_files(void **state)
{
	static const struct bad_case cases[] = {
		{ "a.yaml", "aws: {region: r}\n", "missing required key 'clusters'" },
		{ "a.yaml", "clusters: {c: {mesos_master_fqdn: h}}\n",
		  ":1:15: clusters.c: missing required key 'aws_region'" },
		{ "a.yaml", "clusters: {c: {aws_region: r}}\n",
		  ":1:15: clusters.c: missing required key 'mesos_master_fqdn'" },
		{ "a.yaml", "clusters: {c: {aws_region: r, mesos_master_fqdn: 'h:99999'}}\n",
		  ":1:50: clusters.c.mesos_master_fqdn: bad port in 'h:99999'" },
		{ "a.yaml", "clusters: {c: {aws_region: r, mesos_master_fqdn: 'ftp://h'}}\n",
		  "unknown scheme in 'ftp://h'" },
		{ "a.yaml", "clusters: {c: {aws_region: r, mesos_master: h}}\n",
		  ":1:31: unknown key 'mesos_master' in clusters.c" },
		{ "a.yaml", "clusters: {c: {aws_region: r, cluster_manager: yarn}}\n",
		  "clusters.c.cluster_manager: unknown cluster manager 'yarn'" },
		{ "a.yaml", "aws: {endpoint_url: '127.0.0.1:5000'}\nclusters: {}\n",
		  ":1:21: aws.endpoint_url: '127.0.0.1:5000' is not a URL" },
		{ "a.yaml", "clusters: {}\nmetrics: {sqlite: a, dynamodb: {}}\n",
		  ":2:10: metrics: both sqlite and dynamodb" },
		{ "a.yaml", "clusters: {}\nautoscaling: {setpoint: 0}\n",
		  ":2:25: autoscaling.setpoint: 0 is out of range" },
		{ "a.yaml", "clusters: {}\nautoscale_signal: {name: S}\n",
		  "autoscale_signal: missing required key 'period_minutes'" },
		{ "a.yaml", "clusters: {}\nbatches: {spot_prices: {run_interval_seconds: 0}}\n",
		  "batches.spot_prices.run_interval_seconds: 0 is out of range" },
		{ "a.yaml", "clusters: {}\nbogus: 1\n", ":2:1: unknown key 'bogus'" },
		{ "a.yaml", "clusters: {}\naws: {timeout_seconds: 0}\n",
		  ":2:24: aws.timeout_seconds: 0 is out of range, expected seconds > 0" },
		{ "a.yaml", "clusters: {}\naws: {connect_timeout_seconds: 7200}\n",
		  "aws.connect_timeout_seconds: 7200 is out of range" },
		{ "a.yaml", "clusters: {}\nmesos: {timeout_seconds: soon}\n",
		  ":2:26: mesos.timeout_seconds: expected a number" },
		{ "a.yaml", "clusters: {}\nmesos: {read_timeout: 1}\n",
		  "unknown key 'read_timeout' in mesos" },
	};
	struct cman_live_config cfg;
	struct cman_error err;
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "badsvc%zu/%s", i, cases[i].name);
		write_file(rel, cases[i].text);
		cman_error_clear(&err);
		assert_int_equal(cman_live_config_load(path_of(rel), &cfg, &err), CMAN_EINVAL);
		if (!strstr(err.msg, cases[i].want) || !strstr(err.msg, path_of(rel)))
			print_error("case %zu: got '%s', expected '%s'\n", i, err.msg,
				    cases[i].want), bad++;
		cman_live_config_release(&cfg);
	}
	assert_int_equal(bad, 0);
	assert_int_equal(cman_live_config_load(path_of("none.yaml"), &cfg, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "cannot open"));
}

static void test_find(void **state)
{
	(void)state;
	setenv("CLUSTERMAN_CONFIG", "/x/env.yaml", 1);
	assert_string_equal(cman_live_config_find("a.yaml"), "a.yaml");
	assert_string_equal(cman_live_config_find(NULL), "/x/env.yaml");
	setenv("CLUSTERMAN_CONFIG", "", 1);
	assert_string_equal(cman_live_config_find(NULL), "/etc/clusterman/clusterman.yaml");
	unsetenv("CLUSTERMAN_CONFIG");
	assert_string_equal(cman_live_config_find(NULL), "/etc/clusterman/clusterman.yaml");
}


/* The compact writer (promote's pool files): list items that are maps
 * start on the "- " line, and the text loads back to the same tree. */
static void same_tree(const struct cman_node *a, const struct cman_node *b)
{
	size_t i;

	assert_int_equal(a->type, b->type);
	assert_int_equal(a->n, b->n);
	if (a->type == CMAN_NODE_SCALAR) {
		assert_string_equal(a->scalar, b->scalar);
		assert_int_equal(a->null, b->null);
		return;
	}
	for (i = 0; i < a->n; i++) {
		if (a->type == CMAN_NODE_MAP)
			assert_string_equal(a->keys[i]->scalar, b->keys[i]->scalar);
		same_tree(a->items[i], b->items[i]);
	}
}

static void test_compact_yaml(void **state)
{
	static const char text[] =
		"resource_groups:\n"
		"  - sfr:\n"
		"      tag: 'puppet:role::paasta'\n"
		"  - asg: {tag: x, n: [1, [2, 3], {a: b}]}\n"
		"  - []\n"
		"  - {}\n"
		"  - plain\n"
		"empty: ~\n"
		"quoted: 'true'\n";
	static const char want[] =
		"resource_groups:\n"
		"  - sfr:\n"
		"      tag: \"puppet:role::paasta\"\n"
		"  - asg:\n"
		"      tag: x\n"
		"      n:\n"
		"        - 1\n"
		"        - - 2\n"
		"          - 3\n"
		"        - a: b\n"
		"  - []\n"
		"  - {}\n"
		"  - plain\n"
		"empty: ~\n"
		"quoted: \"true\"\n";
	struct cman_node *a = NULL, *b = NULL;
	struct cman_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *ms;

	(void)state;
	assert_int_equal(cman_yaml_load_string("t.yaml", text, &a, &err), 0);
	ms = open_memstream(&buf, &len);
	assert_non_null(ms);
	cman_node_write_yaml_compact(ms, a);
	assert_int_equal(fclose(ms), 0);
	assert_string_equal(buf, want);
	if (cman_yaml_load_string("back.yaml", buf, &b, &err) != 0)
		fail_msg("%s", err.msg);
	same_tree(a, b);
	assert_true(cman_node_get(b, "quoted")->quoted);
	free(buf);
	cman_node_free(a);
	cman_node_free(b);
}

/* Node constructors: map_set replaces in place or appends; a pool file
 * parsed from a tree built in memory (as promote checks what it writes). */
static void test_build_and_parse(void **state)
{
	struct cman_node *root, *seq, *m, *t;
	struct cman_pool_file pf;
	struct cman_error err = { 0 };

	(void)state;
	root = cman_node_new(CMAN_NODE_MAP, NULL);
	assert_non_null(root);
	seq = cman_node_new(CMAN_NODE_SEQ, NULL);
	m = cman_node_new(CMAN_NODE_MAP, NULL);
	t = cman_node_new(CMAN_NODE_MAP, NULL);
	assert_int_equal(cman_node_map_set(t, "tag", cman_node_new_scalar("k", NULL)), 0);
	assert_int_equal(cman_node_map_set(m, "asg", t), 0);
	assert_int_equal(cman_node_seq_append(seq, m), 0);
	assert_int_equal(cman_node_map_set(root, "resource_groups", seq), 0);
	m = cman_node_new(CMAN_NODE_MAP, NULL);
	assert_int_equal(cman_node_map_set(m, "min_capacity", cman_node_new_scalar("1", NULL)), 0);
	assert_int_equal(cman_node_map_set(m, "max_capacity", cman_node_new_scalar("9", NULL)), 0);
	assert_int_equal(cman_node_map_set(m, "max_weight_to_add",
					   cman_node_new_scalar("2", NULL)), 0);
	assert_int_equal(cman_node_map_set(m, "max_weight_to_remove",
					   cman_node_new_scalar("2", NULL)), 0);
	/* replaced in place: the pair keeps its place, the value is new */
	assert_int_equal(cman_node_map_set(m, "max_capacity", cman_node_new_scalar("8", NULL)), 0);
	assert_int_equal(m->n, 4);
	assert_string_equal(m->keys[1]->scalar, "max_capacity");
	assert_string_equal(m->items[1]->scalar, "8");
	assert_int_equal(cman_node_map_set(root, "scaling_limits", m), 0);
	/* a map_set on a list fails and frees the value */
	assert_int_equal(cman_node_map_set(seq, "x", cman_node_new_scalar("1", NULL)), CMAN_EINVAL);
	assert_int_equal(cman_node_seq_append(root, cman_node_new_scalar("1", NULL)), CMAN_EINVAL);
	if (cman_pool_file_parse("cl/p.mesos", root, NULL, &pf, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(pf.cluster, "cl");
	assert_true(pf.config.max_capacity == 8);
	assert_string_equal(pf.groups[0].tag, "k");
	cman_pool_file_release(&pf);
}

static int setup(void **state)
{
	(void)state;
	return cman_test_mkdtemp(root, sizeof(root), "cman-live-svc.") ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clusterman_pool_file),
		cmocka_unit_test(test_clusterman_defaults),
		cmocka_unit_test(test_bad_pool_files),
		cmocka_unit_test(test_service_file),
		cmocka_unit_test(test_bad_service_files),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_compact_yaml),
		cmocka_unit_test(test_build_and_parse),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
