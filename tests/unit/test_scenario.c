/*
 * test_scenario.c - scenario loading (sim/include/cman/sim/scenario.h):
 * the INTERFACE.md example, defaults, --set overrides, path resolution and
 * a table of bad scenarios with the exact position and message expected.
 */
#include <limits.h>
#include <math.h>
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

#include "cman_test.h"

#include "cman/sim/scenario.h"

#ifndef CMAN_SOURCE_DIR
#define CMAN_SOURCE_DIR "."
#endif

#define BASE                                 \
	"name: t\n"                          \
	"cluster: c\n"                       \
	"pool: p\n"                          \
	"start_time: 2017-12-01T08:00:00Z\n" \
	"end_time: 2017-12-01T09:00:00Z\n"   \
	"metrics:\n"                         \
	"  - csv: m.csv\n"

static char tmpdir[256];

static int setup(void **state)
{
	if (!cman_test_mkdtemp(tmpdir, sizeof(tmpdir), "cman_test_scenario_"))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to tmpdir/name; returns the path in buf. */
static const char *write_file(const char *name, const char *text, char *buf,
			      size_t n)
{
	FILE *f;

	snprintf(buf, n, "%s/%s", tmpdir, name);
	f = fopen(buf, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return buf;
}

static void assert_contains(const char *msg, const char *want)
{
	if (!strstr(msg, want))
		fail_msg("message '%s' does not contain '%s'", msg, want);
}

static void load_ok(const char *text, const char *const *sets, size_t n_sets,
		    struct cman_scenario *sc)
{
	struct cman_error e = { 0 };
	char path[PATH_MAX];

	write_file("ok.yaml", text, path, sizeof(path));
	if (cman_scenario_load(path, sets, n_sets, sc, &e) != 0)
		fail_msg("load failed: %s", e.msg);
}

/* ---- good scenarios ---------------------------------------------------- */

static void test_interface_example(void **state)
{
	const char *path = CMAN_SOURCE_DIR "/tests/data/scenario_interface_example.yaml";
	struct cman_scenario sc;
	struct cman_error e = { 0 };
	const struct cman_rg_spec *g;

	if (cman_scenario_load(path, NULL, 0, &sc, &e) != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(sc.path, path);
	assert_string_equal(sc.dir, CMAN_SOURCE_DIR "/tests/data");
	assert_string_equal(sc.name, "quickstart");
	assert_string_equal(sc.cluster, "local-dev");
	assert_string_equal(sc.pool, "default");
	assert_string_equal(sc.scheduler, "mesos");
	assert_int_equal(sc.start_time, 1512115200);
	assert_int_equal(sc.end_time, 1512118800);
	assert_int_equal(sc.seed, 1);
	assert_int_equal(sc.n_sources, 3);
	assert_int_equal(sc.sources[0].type, CMAN_SRC_CLUSTERMAN_JSON);
	assert_string_equal(sc.sources[0].path,
			    CMAN_SOURCE_DIR "/tests/data/data/metrics.json.gz");
	assert_int_equal(sc.sources[1].type, CMAN_SRC_SQLITE);
	assert_string_equal(sc.sources[1].path,
			    CMAN_SOURCE_DIR "/tests/data/data/metrics.sqlite");
	assert_int_equal(sc.sources[2].type, CMAN_SRC_CSV);
	assert_int_equal(sc.billing, CMAN_BILL_PER_SECOND);
	assert_true(sc.refund_outbid);
	assert_true(sc.discount == 1.0);
	assert_true(sc.cpus_per_weight == 1);
	assert_true(sc.join_delay_mean == 0);
	assert_true(sc.join_delay_stdev == 0);
	assert_int_equal(sc.step_seconds, 60);
	assert_true(sc.spot_interruptions);
	assert_true(sc.ebs_volume_gb == 0);

	assert_true(sc.has_pool_config);
	assert_true(sc.pool_config.setpoint == 0.7);
	assert_true(sc.pool_config.target_capacity_margin == 0.1);
	assert_true(sc.pool_config.min_capacity == 1);
	assert_true(sc.pool_config.max_capacity == 800);
	assert_true(sc.pool_config.max_weight_to_add == 100);
	assert_true(sc.pool_config.max_weight_to_remove == 100);
	assert_true(isinf(sc.pool_config.max_tasks_to_kill));
	assert_int_equal(sc.pool_config.min_node_scalein_uptime_seconds, 300);
	assert_true(sc.pool_config.has_signal);
	assert_string_equal(sc.pool_config.signal.name, "most_recent");
	assert_int_equal(sc.pool_config.signal.period_minutes, 10);
	assert_int_equal(sc.pool_config.signal.n_required_metrics, 1);
	assert_string_equal(sc.pool_config.signal.required_metrics[0].name,
			    "cpus_allocated");
	assert_int_equal(sc.pool_config.signal.required_metrics[0].minute_range, 10);
	assert_non_null(sc.pool_config.signal.parameters);
	assert_int_equal(sc.pool_config.signal.parameters->n, 0);

	assert_true(sc.has_initial_target);
	assert_true(sc.initial_target_capacity == 20);
	assert_int_equal(sc.n_groups, 2);
	g = &sc.groups[0];
	assert_int_equal(g->type, CMAN_RG_SPOT_FLEET);
	assert_string_equal(g->id, "spot_fleet-0");
	assert_int_equal(g->strategy, CMAN_ALLOC_DIVERSIFIED);
	assert_true(g->spot_price < 0);
	assert_true(g->target_capacity < 0);
	assert_int_equal(g->n_specs, 1);
	assert_string_equal(g->specs[0].instance_type, "c5.4xlarge");
	assert_string_equal(g->specs[0].az, "us-west-2a");
	assert_true(g->specs[0].spot_price == 0.25);
	assert_true(g->specs[0].weight == 4);
	g = &sc.groups[1];
	assert_int_equal(g->type, CMAN_RG_ASG);
	assert_string_equal(g->id, "auto_scaling_group-1");
	assert_int_equal(g->n_specs, 1);
	assert_string_equal(g->specs[0].instance_type, "m5.large");
	assert_string_equal(g->specs[0].az, "us-west-2a");
	assert_true(g->specs[0].weight == 1);
	assert_true(g->specs[0].spot_price < 0);
	assert_true(g->min_size == 0);
	assert_true(g->max_size == 50);
	/* output.dir is relative to the scenario's folder (issue 8.7) */
	assert_string_equal(sc.output_dir, CMAN_SOURCE_DIR "/tests/data/out/quickstart");
	assert_true(sc.report_csv);
	assert_true(sc.report_html);
	cman_scenario_release(&sc);
	cman_scenario_release(&sc);
}

static void test_defaults(void **state)
{
	struct cman_scenario sc;

	load_ok(BASE, NULL, 0, &sc);
	assert_string_equal(sc.scheduler, "mesos");
	assert_int_equal(sc.seed, 0);
	assert_int_equal(sc.billing, CMAN_BILL_PER_SECOND);
	assert_true(sc.refund_outbid);
	assert_true(sc.discount == 1);
	assert_true(sc.cpus_per_weight == 1);
	assert_true(sc.join_delay_mean == 0 && sc.join_delay_stdev == 0);
	assert_int_equal(sc.step_seconds, 60);
	assert_true(sc.spot_interruptions);
	assert_true(sc.ebs_volume_gb == 0);
	assert_int_equal(sc.cov_stale_after, 3600);
	assert_int_equal(sc.cov_price_stale_after, 86400);
	assert_true(sc.cov_warn_fraction == 0.01);
	assert_int_equal(sc.cov_max_gaps, 5);
	assert_int_equal(sc.starve_after, 3600);
	assert_true(sc.starve_shortfall == 0.2);
	assert_true(sc.starve_oversub == 0);
	assert_false(sc.has_pool_config);
	assert_true(sc.pool_config.setpoint == 0.7);
	assert_false(sc.has_initial_target);
	assert_int_equal(sc.n_groups, 0);
	assert_null(sc.groups);
	assert_string_equal(sc.output_dir, "out/t");
	assert_true(sc.report_csv && sc.report_html);
	cman_scenario_release(&sc);
}

static void test_full_values(void **state)
{
	struct cman_scenario sc;

	load_ok(BASE
		"scheduler: kubernetes\n"
		"seed: 42\n"
		"simulation:\n"
		"  billing: per-hour\n"
		"  refund_outbid: no\n"
		"  discount: 0.5\n"
		"  cpus_per_weight: 4\n"
		"  join_delay: {mean_seconds: 120, stdev_seconds: 30}\n"
		"  step_seconds: 300\n"
		"  spot_interruptions: false\n"
		"  ebs_volume_gb: 100\n"
		"  coverage: {stale_after_seconds: 600, price_stale_after_seconds: 7200,\n"
		"             warn_fraction: 0.25, max_gaps: 20}\n"
		"  starvation: {after_seconds: 900, shortfall_fraction: 1, oversubscribed_fraction: 0.5}\n"
		"pool_config:\n"
		"initial_target_capacity: 0\n"
		"resource_groups:\n"
		"  - spot_fleet:\n"
		"      id: sfr-1\n"
		"      AllocationStrategy: lowestPrice\n"
		"      SpotPrice: 0.1\n"
		"      TargetCapacity: 10\n"
		"      LaunchSpecifications:\n"
		"        - {InstanceType: c5.xlarge, Placement: {AvailabilityZone: us-west-2a}}\n"
		"        - {InstanceType: c5.2xlarge, Placement: {AvailabilityZone: us-west-2b},\n"
		"           SpotPrice: 0.2, WeightedCapacity: 2}\n"
		"  - auto_scaling_group:\n"
		"      {id: asg-1, InstanceType: m5.large, AvailabilityZones: [us-west-2a, us-west-2c],\n"
		"       MinSize: 1, MaxSize: 9, DesiredCapacity: 3, WeightedCapacity: 2}\n"
		"output:\n"
		"  dir: /tmp/elsewhere\n"
		"  reports: [html]\n",
		NULL, 0, &sc);
	assert_string_equal(sc.scheduler, "kubernetes");
	assert_int_equal(sc.seed, 42);
	assert_int_equal(sc.billing, CMAN_BILL_PER_HOUR);
	assert_false(sc.refund_outbid);
	assert_true(sc.discount == 0.5);
	assert_true(sc.cpus_per_weight == 4);
	assert_true(sc.join_delay_mean == 120);
	assert_true(sc.join_delay_stdev == 30);
	assert_int_equal(sc.step_seconds, 300);
	assert_false(sc.spot_interruptions);
	assert_true(sc.ebs_volume_gb == 100);
	assert_int_equal(sc.cov_stale_after, 600);
	assert_int_equal(sc.cov_price_stale_after, 7200);
	assert_true(sc.cov_warn_fraction == 0.25);
	assert_int_equal(sc.cov_max_gaps, 20);
	assert_int_equal(sc.starve_after, 900);
	assert_true(sc.starve_shortfall == 1);
	assert_true(sc.starve_oversub == 0.5);
	assert_false(sc.has_pool_config);   /* "pool_config:" empty: absent */
	assert_true(sc.has_initial_target);
	assert_true(sc.initial_target_capacity == 0);
	assert_int_equal(sc.n_groups, 2);
	assert_string_equal(sc.groups[0].id, "sfr-1");
	assert_int_equal(sc.groups[0].strategy, CMAN_ALLOC_LOWEST_PRICE);
	assert_true(sc.groups[0].spot_price == 0.1);
	assert_true(sc.groups[0].target_capacity == 10);
	assert_true(sc.groups[0].specs[0].spot_price == 0.1);   /* the fleet's */
	assert_true(sc.groups[0].specs[0].weight == 1);
	assert_true(sc.groups[0].specs[1].spot_price == 0.2);
	assert_true(sc.groups[0].specs[1].weight == 2);
	assert_true(isinf(sc.groups[0].max_size));
	assert_string_equal(sc.groups[1].id, "asg-1");
	assert_int_equal(sc.groups[1].n_specs, 2);
	assert_string_equal(sc.groups[1].specs[1].az, "us-west-2c");
	assert_string_equal(sc.groups[1].specs[1].instance_type, "m5.large");
	assert_true(sc.groups[1].specs[1].weight == 2);
	assert_true(sc.groups[1].min_size == 1);
	assert_true(sc.groups[1].max_size == 9);
	assert_true(sc.groups[1].target_capacity == 3);
	assert_string_equal(sc.output_dir, "/tmp/elsewhere");
	assert_false(sc.report_csv);
	assert_true(sc.report_html);
	cman_scenario_release(&sc);

	/* integer epoch seconds and offsets */
	load_ok("name: t\ncluster: c\npool: p\nstart_time: 1512115200\n"
		"end_time: '2017-12-01T10:00:00+01:00'\nmetrics: [{sqlite: /abs/m.sqlite}]\n",
		NULL, 0, &sc);
	assert_int_equal(sc.start_time, 1512115200);
	assert_int_equal(sc.end_time, 1512118800);
	assert_string_equal(sc.sources[0].path, "/abs/m.sqlite");
	cman_scenario_release(&sc);
}

static void test_paths(void **state)
{
	struct cman_scenario sc;
	struct cman_error e = { 0 };
	char sub[PATH_MAX], path[PATH_MAX], want[PATH_MAX + 16], cwd[PATH_MAX];

	snprintf(sub, sizeof(sub), "%s/sub", tmpdir);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file("sub/s.yaml",
		   "name: t\ncluster: c\npool: p\nstart_time: 0\nend_time: 60\n"
		   "metrics:\n  - csv: data/m.csv\n  - sqlite: ../up.sqlite\n"
		   "  - clusterman_json: /abs/x.json.gz\n",
		   path, sizeof(path));
	assert_int_equal(cman_scenario_load(path, NULL, 0, &sc, &e), 0);
	assert_string_equal(sc.dir, sub);
	snprintf(want, sizeof(want), "%s/data/m.csv", sub);
	assert_string_equal(sc.sources[0].path, want);
	snprintf(want, sizeof(want), "%s/../up.sqlite", sub);
	assert_string_equal(sc.sources[1].path, want);
	assert_string_equal(sc.sources[2].path, "/abs/x.json.gz");
	cman_scenario_release(&sc);

	/* a scenario named without a folder: paths stay relative to "." */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(sub), 0);
	assert_int_equal(cman_scenario_load("s.yaml", NULL, 0, &sc, &e), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(sc.dir, ".");
	assert_string_equal(sc.sources[0].path, "data/m.csv");
	cman_scenario_release(&sc);
}

/* ---- --set ------------------------------------------------------------- */

static void test_sets(void **state)
{
	struct cman_scenario sc;
	struct cman_error e = { 0 };
	char path[PATH_MAX];
	static const char *const s1[] = {
		"pool_config.autoscaling.setpoint=0.8",
		"seed=7",
		"simulation.billing=per-hour",
		"seed=9",                       /* in order: the last one wins */
		"resource_groups=[{auto_scaling_group: {InstanceType: m5.large, AvailabilityZones: [a], MaxSize: 3}}]",
	};
	static const char *const s2[] = { "simulation.bogus=1" };
	static const char *const s3[] = { "simulation.discount=[1" };
	static const char *const s4[] = { "simulation.step_seconds=abc" };
	static const char *const s5[] = { "pool_config.autoscaling.setpoint=1.5" };
	static const char *const s6[] = { "nokey" };
	static const char *const s7[] = { "name.x=1" };
	static const char *const s8[] = { "output.dir=" };

	/* nested maps created; values replaced */
	load_ok(BASE, s1, 5, &sc);
	assert_true(sc.has_pool_config);
	assert_true(sc.pool_config.setpoint == 0.8);
	assert_int_equal(sc.seed, 9);
	assert_int_equal(sc.billing, CMAN_BILL_PER_HOUR);
	assert_int_equal(sc.n_groups, 1);
	assert_true(sc.groups[0].max_size == 3);
	cman_scenario_release(&sc);

	/* replacing a value given in the file */
	load_ok(BASE "pool_config:\n  autoscaling: {setpoint: 0.5, target_capacity_margin: 0.2}\n",
		s1, 1, &sc);
	assert_true(sc.pool_config.setpoint == 0.8);
	assert_true(sc.pool_config.target_capacity_margin == 0.2);
	cman_scenario_release(&sc);

	write_file("base.yaml", BASE, path, sizeof(path));
	assert_int_equal(cman_scenario_load(path, s2, 1, &sc, &e), CMAN_EINVAL);
	assert_contains(e.msg, "--set simulation.bogus: unknown key 'bogus' in simulation (expected one of: billing, ");
	assert_true(strncmp(e.msg, "--set ", 6) == 0);
	assert_int_equal(cman_scenario_load(path, s3, 1, &sc, &e), CMAN_EINVAL);
	assert_contains(e.msg, "--set simulation.discount:2:1: did not find expected ',' or ']'");
	assert_int_equal(cman_scenario_load(path, s4, 1, &sc, &e), CMAN_EINVAL);
	assert_string_equal(e.msg,
			    "--set simulation.step_seconds: simulation.step_seconds: expected an integer, got 'abc'");
	assert_int_equal(cman_scenario_load(path, s5, 1, &sc, &e), CMAN_EINVAL);
	assert_string_equal(e.msg,
			    "--set pool_config.autoscaling.setpoint: pool_config.autoscaling.setpoint: 1.5 is out of range, expected a number in (0, 1]");
	assert_int_equal(cman_scenario_load(path, s6, 1, &sc, &e), CMAN_EINVAL);
	assert_string_equal(e.msg, "--set nokey: expected KEY=VALUE");
	assert_int_equal(cman_scenario_load(path, s7, 1, &sc, &e), CMAN_EINVAL);
	assert_contains(e.msg, "--set name.x: 'name' is a scalar");
	assert_int_equal(cman_scenario_load(path, s8, 1, &sc, &e), CMAN_EINVAL);
	assert_string_equal(e.msg, "--set output.dir: output.dir: expected a non-empty string, got an empty value");
	/* released on failure */
	assert_null(sc.name);
	assert_null(sc.sources);
}

/* ---- bad scenarios ----------------------------------------------------- */

struct bad_case {
	const char *text;
	const char *pos;        /* what follows the file name, e.g. ":8:1: " */
	const char *want;       /* expected text after pos (a prefix of it) */
};

static void test_bad(void **state)
{
	static const struct bad_case cases[] = {
		/* YAML syntax */
		{ BASE "simulation: {billing: per-second\n", ":9:1: ",
		  "did not find expected ',' or '}' (while parsing a flow mapping at line 8, column 13)" },
		{ BASE "name: again\n", ":8:1: ", "duplicate key 'name' (first at line 1, column 1)" },
		{ BASE "---\nname: x\n", ":8:1: ", "a second YAML document" },
		{ "", ": ", "empty scenario" },
		{ "# nothing\n", ": ", "empty scenario" },
		{ "- 1\n", ":1:1: ", "the document must be a mapping" },
		/* unknown keys */
		{ BASE "bogus: 1\n", ":8:1: ",
		  "unknown key 'bogus' (expected one of: name, cluster, pool, scheduler, start_time, end_time, seed, metrics, simulation, pool_config, initial_target_capacity, resource_groups, prices, output)" },
		{ BASE "simulation:\n  biling: per-hour\n", ":9:3: ",
		  "unknown key 'biling' in simulation (expected one of: billing, refund_outbid, discount, cpus_per_weight, join_delay, step_seconds, spot_interruptions, ebs_volume_gb, hourly_instance_types, coverage, starvation)" },
		{ BASE "simulation: {coverage: {stale_after: 60}}\n", ":8:25: ",
		  "unknown key 'stale_after' in simulation.coverage" },
		{ BASE "simulation: {coverage: {warn_fraction: 1.5}}\n", ":8:40: ",
		  "simulation.coverage.warn_fraction: 1.5 is out of range, expected a number from 0 to 1" },
		{ BASE "simulation: {coverage: {max_gaps: 21}}\n", ":8:35: ",
		  "simulation.coverage.max_gaps: 21 is out of range, expected an integer from 0 to 20" },
		{ BASE "simulation: {coverage: {stale_after_seconds: -1}}\n", ":8:46: ",
		  "simulation.coverage.stale_after_seconds: -1 is out of range, expected an integer from 1 to 31622400" },
		{ BASE "simulation: {starvation: {after_seconds: 0}}\n", ":8:42: ",
		  "simulation.starvation.after_seconds: 0 is out of range, expected an integer from 1 to 31622400" },
		{ BASE "simulation: {starvation: {after_seconds: 31622401}}\n", ":8:42: ",
		  "simulation.starvation.after_seconds: 31622401 is out of range, expected an integer from 1 to 31622400 (seconds: 366 days)" },
		{ BASE "simulation: {coverage: {stale_after_seconds: 9223372036854775807}}\n", ":8:46: ",
		  "simulation.coverage.stale_after_seconds: 9223372036854775807 is out of range, expected an integer from 1 to 31622400" },
		{ BASE "simulation: {coverage: {price_stale_after_seconds: 31622401}}\n", ":8:52: ",
		  "simulation.coverage.price_stale_after_seconds: 31622401 is out of range, expected an integer from 1 to 31622400" },
		{ BASE "simulation: {starvation: {shortfall_fraction: 0}}\n", ":8:47: ",
		  "simulation.starvation.shortfall_fraction: 0 is out of range, expected a number > 0 and <= 1" },
		{ BASE "pool_config:\n  autoscaling:\n    setpoint: 0.5\n    setpont: 0.6\n", ":11:5: ",
		  "unknown key 'setpont' in pool_config.autoscaling (expected one of: setpoint, target_capacity_margin, excluded_resources, capacity_offset, prevent_scale_down_after_capacity_loss, instance_loss_threshold)" },
		{ BASE "simulation: {join_delay: {mean: 1}}\n", ":8:27: ",
		  "unknown key 'mean' in simulation.join_delay" },
		{ BASE "output: {dir: x, format: csv}\n", ":8:18: ", "unknown key 'format' in output" },
		/* missing keys */
		{ "name: t\npool: p\nstart_time: 0\nend_time: 1\nmetrics: [{csv: m}]\n", ": ",
		  "missing required key 'cluster'" },
		{ "name: t\ncluster: c\npool: p\nend_time: 1\nmetrics: [{csv: m}]\n", ": ",
		  "missing required key 'start_time'" },
		{ "name: t\ncluster: c\npool: p\nstart_time: 0\nend_time: 1\n", ": ",
		  "missing required key 'metrics'" },
		/* wrong types and ranges */
		{ BASE "pool_config: {autoscaling: {setpoint: \"abc\"}}\n", ":8:39: ",
		  "pool_config.autoscaling.setpoint: expected a number, got 'abc' (quoted, so a string)" },
		{ BASE "pool_config: {autoscaling: {setpoint: 1.5}}\n", ":8:39: ",
		  "pool_config.autoscaling.setpoint: 1.5 is out of range, expected a number in (0, 1]" },
		{ BASE "pool_config: {autoscaling: {setpoint: 0}}\n", ":8:39: ",
		  "pool_config.autoscaling.setpoint: 0 is out of range, expected a number in (0, 1]" },
		{ BASE "pool_config: {autoscaling: {target_capacity_margin: -0.1}}\n", ":8:53: ",
		  "pool_config.autoscaling.target_capacity_margin: -0.1 is out of range, expected a number >= 0" },
		{ BASE "pool_config:\n  autoscale_signal: {name: mean, period_minutes: 0}\n", ":9:50: ",
		  "pool_config.autoscale_signal.period_minutes: 0 is out of range, expected an integer > 0" },
		{ BASE "pool_config:\n  scaling_limits: {min_capacity: 10, max_capacity: 5}\n", ":9:34: ",
		  "pool_config.scaling_limits.min_capacity: 10 is greater than max_capacity 5, expected min_capacity <= max_capacity" },
		{ "name: t\ncluster: c\npool: p\nstart_time: 2017-12-01T09:00:00Z\nend_time: 2017-12-01T08:00:00Z\nmetrics: [{csv: m}]\n",
		  ":5:11: ",
		  "end_time: 2017-12-01T08:00:00Z is not after start_time 2017-12-01T09:00:00Z, expected end_time > start_time" },
		{ "name: t\ncluster: c\npool: p\nstart_time: 100\nend_time: 100\nmetrics: [{csv: m}]\n",
		  ":5:11: ", "end_time: 1970-01-01T00:01:40Z is not after start_time 1970-01-01T00:01:40Z" },
		{ "name: t\ncluster: c\npool: p\nstart_time: 2017-02-30T00:00:00Z\nend_time: 1\nmetrics: [{csv: m}]\n",
		  ":4:13: ", "start_time: expected an ISO-8601 timestamp (2017-12-01T08:00:00Z) or integer epoch seconds, from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z, got '2017-02-30T00:00:00Z'" },
		{ "name: t\ncluster: c\npool: p\nstart_time: 0\nend_time: soon\nmetrics: [{csv: m}]\n",
		  ":5:11: ", "end_time: expected an ISO-8601 timestamp" },
		{ BASE "simulation: {billing: monthly}\n", ":8:23: ",
		  "simulation.billing: unknown billing 'monthly', expected per-second, per-hour or aws" },
		{ BASE "simulation: {refund_outbid: 2}\n", ":8:29: ",
		  "simulation.refund_outbid: expected true or false, got '2'" },
		{ BASE "simulation: {discount: 0}\n", ":8:24: ",
		  "simulation.discount: 0 is out of range, expected a number > 0" },
		{ BASE "simulation: {cpus_per_weight: -1}\n", ":8:31: ",
		  "simulation.cpus_per_weight: -1 is out of range, expected a number > 0" },
		{ BASE "simulation: {step_seconds: 0}\n", ":8:28: ",
		  "simulation.step_seconds: 0 is out of range, expected an integer > 0" },
		{ BASE "simulation: {step_seconds: 1.5}\n", ":8:28: ",
		  "simulation.step_seconds: expected an integer, got '1.5'" },
		{ BASE "simulation: {join_delay: {stdev_seconds: -1}}\n", ":8:42: ",
		  "simulation.join_delay.stdev_seconds: -1 is out of range, expected a number >= 0" },
		{ BASE "simulation: {ebs_volume_gb: -1}\n", ":8:29: ",
		  "simulation.ebs_volume_gb: -1 is out of range, expected a number >= 0" },
		{ BASE "simulation: 5\n", ":8:13: ", "simulation must be a mapping" },
		{ BASE "seed: -1\n", ":8:7: ", "seed: -1 is out of range, expected an integer >= 0" },
		{ BASE "seed: x\n", ":8:7: ", "seed: expected an integer, got 'x'" },
		{ BASE "scheduler: yarn\n", ":8:12: ",
		  "scheduler: unknown scheduler 'yarn', expected mesos or kubernetes" },
		{ BASE "initial_target_capacity: -1\n", ":8:26: ",
		  "initial_target_capacity: -1 is out of range, expected a number >= 0" },
		{ "name: ''\ncluster: c\npool: p\nstart_time: 0\nend_time: 1\nmetrics: [{csv: m}]\n",
		  ":1:7: ", "name: expected a non-empty string, got ''" },
		/* metrics */
		{ "name: t\ncluster: c\npool: p\nstart_time: 0\nend_time: 1\nmetrics: []\n",
		  ":6:10: ", "metrics: expected a non-empty list of {clusterman_json|sqlite|csv|generate: PATH}" },
		{ "name: t\ncluster: c\npool: p\nstart_time: 0\nend_time: 1\nmetrics: [{parquet: m}]\n",
		  ":6:12: ", "metrics[0]: unknown metrics source type 'parquet', expected clusterman_json, sqlite, csv, generate or dynamodb" },
		{ "name: t\ncluster: c\npool: p\nstart_time: 0\nend_time: 1\nmetrics: [{csv: m, sqlite: n}]\n",
		  ":6:11: ", "metrics[0]: expected a mapping with one key" },
		{ "name: t\ncluster: c\npool: p\nstart_time: 0\nend_time: 1\nmetrics: [{csv: }]\n",
		  ":6:17: ", "metrics[0].csv: expected a non-empty string, got an empty value" },
		/* resource groups */
		{ BASE "resource_groups:\n  - spot_fleet:\n      AllocationStrategy: cheapest\n"
		       "      LaunchSpecifications: [{InstanceType: a, Placement: {AvailabilityZone: z}, SpotPrice: 1}]\n",
		  ":10:27: ",
		  "resource_groups[0].spot_fleet.AllocationStrategy: unknown allocation strategy 'cheapest', expected diversified, lowestPrice, capacityOptimized or priceCapacityOptimized" },
		{ BASE "resource_groups:\n  - spot_fleet:\n      LaunchSpecifications:\n"
		       "        - {InstanceType: a, Placement: {AvailabilityZone: z}}\n",
		  ":11:11: ",
		  "resource_groups[0].spot_fleet.LaunchSpecifications[0]: no SpotPrice here nor in the spot fleet, expected one of them" },
		{ BASE "resource_groups:\n  - spot_fleet: {SpotPrice: 1}\n", ":9:17: ",
		  "resource_groups[0].spot_fleet: missing required key 'LaunchSpecifications'" },
		{ BASE "resource_groups:\n  - spot_fleet: {SpotPrice: 1, LaunchSpecifications: []}\n", ":9:54: ",
		  "resource_groups[0].spot_fleet.LaunchSpecifications: expected a non-empty list" },
		{ BASE "resource_groups:\n  - spot_fleet: {SpotPrice: 1, LaunchSpecifications: [{InstanceType: a}]}\n",
		  ":9:55: ", "resource_groups[0].spot_fleet.LaunchSpecifications[0]: missing required key 'Placement'" },
		{ BASE "resource_groups:\n  - spot_fleet: {SpotPrice: 1, LaunchSpecifications: [{InstanceType: a, Placement: {Zone: z}}]}\n",
		  ":9:85: ", "unknown key 'Zone' in resource_groups[0].spot_fleet.LaunchSpecifications[0].Placement" },
		{ BASE "resource_groups:\n  - spot_fleet: {SpotPrice: -1, LaunchSpecifications: [{InstanceType: a}]}\n",
		  ":9:29: ", "resource_groups[0].spot_fleet.SpotPrice: -1 is out of range, expected a price > 0" },
		{ BASE "resource_groups:\n  - spot_fleet: {SpotPrice: 1, LaunchSpecifications: [{InstanceType: a, Placement: {AvailabilityZone: z}, WeightedCapacity: 0}]}\n",
		  ":9:125: ", "resource_groups[0].spot_fleet.LaunchSpecifications[0].WeightedCapacity: 0 is out of range, expected a number > 0" },
		{ BASE "resource_groups:\n  - auto_scaling_group: {InstanceType: a, AvailabilityZones: [z], MinSize: 5, MaxSize: 2}\n",
		  ":9:76: ", "resource_groups[0].auto_scaling_group.MinSize: 5 is greater than MaxSize 2, expected MinSize <= MaxSize" },
		{ BASE "resource_groups:\n  - auto_scaling_group: {InstanceType: a, AvailabilityZones: [], MaxSize: 2}\n",
		  ":9:62: ", "resource_groups[0].auto_scaling_group.AvailabilityZones: expected a non-empty list of availability zones" },
		{ BASE "resource_groups:\n  - auto_scaling_group: {InstanceType: a, MaxSize: 2}\n",
		  ":9:25: ", "resource_groups[0].auto_scaling_group: missing required key 'AvailabilityZones'" },
		{ BASE "resource_groups:\n  - auto_scaling_group: {InstanceType: a, AvailabilityZones: [z]}\n",
		  ":9:25: ", "resource_groups[0].auto_scaling_group: missing required key 'MaxSize'" },
		{ BASE "resource_groups:\n  - auto_scaling_group: {InstanceType: a, AvailabilityZones: [z], MaxSize: 2, DesiredCapacity: 3}\n",
		  ":9:96: ", "resource_groups[0].auto_scaling_group.DesiredCapacity: 3 is out of range, expected a number in [MinSize, MaxSize] = [0, 2]" },
		{ BASE "resource_groups:\n  - auto_scaling_group: {InstanceType: a, AvailabilityZones: [z], MaxSize: 2, WeightedCapacity: 0}\n",
		  ":9:97: ", "resource_groups[0].auto_scaling_group.WeightedCapacity: 0 is out of range, expected a number > 0" },
		{ BASE "resource_groups:\n  - auto_scaling_group: {InstanceType: a, AvailabilityZones: [z], MaxSize: 2, Tags: []}\n",
		  ":9:79: ", "unknown key 'Tags' in resource_groups[0].auto_scaling_group" },
		{ BASE "resource_groups:\n  - auto_scaling_group: {id: g, InstanceType: a, AvailabilityZones: [z], MaxSize: 2}\n"
		       "  - auto_scaling_group: {id: g, InstanceType: a, AvailabilityZones: [z], MaxSize: 2}\n",
		  ":10:30: ", "resource_groups[1].auto_scaling_group.id: duplicate group id 'g' (also resource_groups[0]), expected unique ids" },
		{ BASE "resource_groups:\n  - auto_scaling_group: {id: auto_scaling_group-1, InstanceType: a, AvailabilityZones: [z], MaxSize: 2}\n"
		       "  - auto_scaling_group: {InstanceType: a, AvailabilityZones: [z], MaxSize: 2}\n",
		  ":10:5: ", "resource_groups[1].auto_scaling_group.id: duplicate group id 'auto_scaling_group-1'" },
		{ BASE "resource_groups:\n  - on_demand: {}\n", ":9:5: ",
		  "resource_groups[0]: expected a mapping with one key, spot_fleet or auto_scaling_group" },
		{ BASE "resource_groups: {spot_fleet: {}}\n", ":8:18: ", "resource_groups: expected a list" },
		/* output */
		{ BASE "output: {reports: [csv, pdf]}\n", ":8:25: ",
		  "output.reports[1]: unknown report 'pdf', expected csv or html" },
		{ BASE "output: {reports: csv}\n", ":8:19: ", "output.reports: expected a list of csv, html" },
	};
	size_t i, failures = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_scenario sc;
		struct cman_error e = { 0 };
		char path[PATH_MAX], want[2 * PATH_MAX];
		int rc;

		write_file("bad.yaml", cases[i].text, path, sizeof(path));
		rc = cman_scenario_load(path, NULL, 0, &sc, &e);
		snprintf(want, sizeof(want), "%s%s%s", path, cases[i].pos, cases[i].want);
		if (rc != CMAN_EINVAL || strncmp(e.msg, want, strlen(want))) {
			print_error("case %zu: rc %d\n  got  '%s'\n  want '%s...'\n",
				    i, rc, e.msg, want);
			failures++;
		}
		if (rc == 0)
			cman_scenario_release(&sc);
		assert_null(sc.name);
		assert_int_equal(sc.n_groups, 0);
	}
	assert_int_equal(failures, 0);
}

static void test_unreadable(void **state)
{
	struct cman_scenario sc;
	struct cman_error e = { 0 };

	assert_int_equal(cman_scenario_load("/nonexistent/s.yaml", NULL, 0, &sc, &e),
			 CMAN_EINVAL);
	assert_contains(e.msg, "/nonexistent/s.yaml");
	assert_null(sc.path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interface_example),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_values),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_sets),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_unreadable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
