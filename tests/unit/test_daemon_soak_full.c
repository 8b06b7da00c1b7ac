/*
 * Soak of the whole autoscaler (issue 11): the real `clusterman-live
 * autoscale --execute --cycles N` (N = CMAN_SOAK_CYCLES, default 10,000)
 * against fakes that run in this process on 127.0.0.1: EC2 Spot Fleet and
 * Auto Scaling (tests/fake/fake_aws.h: one fleet and one group of the pool,
 * found by tag) and the Mesos master (tests/fake/mesos_master.h, its agents
 * kept in step with the fake's machines by private IP).  Every cycle does
 * what production does: the pause and offset from the state table
 * (SQLite), discovery, the Mesos read, the fleet's and the group's
 * descriptions, the pool's external signal process (echo_signal.py, run and
 * supervised by the daemon) on recorded load, the pool manager's resize
 * and prune (ModifySpotFleetRequest, TerminateInstances, SetInstanceProtection,
 * SetDesiredCapacity, TerminateInstanceInAutoScalingGroup), the decision
 * line, the health and Prometheus files.  The recorded load moves between
 * levels every 7 cycles, so the targets move all the time.
 *
 * Checked: every cycle ok (metrics file, health file, decision lines: no
 * error, the external signal answered), the pool's target within its limits
 * and the groups' within them at every cycle start (read from the fake),
 * each fake call count as derived from the decision lines (one
 * ModifySpotFleetRequest per change of the fleet's target, one
 * TerminateInstances per cycle that ended fleet machines, ...) or from the
 * cycle's code (two DescribeSpotFleetRequests per cycle and one at start,
 * ...), and flat memory: the daemon's VmRSS when its last cycle starts
 * within 10% of the one after its first 100 cycles, both sampled while the
 * daemon waits for the fake's answer to that cycle's first call.  The
 * numbers are printed for the note.
 *
 * CMAN_SOAK_CHILD_PREFIX="valgrind ..." runs the daemon under that
 * command (e2e.valgrind_daemon does, for a few hundred cycles); RSS is then
 * not checked (valgrind's own memory), nor under AddressSanitizer (its
 * quarantine keeps freed memory resident).
 */
/* ctest-labels: slow */
/* ctest-timeout: 1800 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cman/metrics.h"
#include "cman/store.h"
#include "cman_test.h"
#include "fake_aws.h"
#include "fake_http.h"
#include "mesos_master.h"
#include "servers.h"

#define TAGKEY "puppet:role::paasta"
#define MINE "{\"pool\": \"soak\", \"paasta_cluster\": \"c1\"}"
#define MINCAP 4
#define MAXCAP 40
#define STEP 5                      /* max_weight_to_add and _to_remove */
#define FLEET0 5                    /* the fleet's target at start */
#define GROUP0 5                    /* the group's desired capacity at start */
#define T0 1700006400LL             /* 2023-11-15T00:00:00Z: cycle i runs at T0 + 60 i */
#define MAX_MARKS 64

/* What the fakes' threads see while the daemon runs. */
struct watch {
	pthread_mutex_t mu;
	pid_t pid;                      /* the daemon, once started */
	uint64_t n;                     /* cycles asked for */
	char health[512];
	long rss_100, rss_end;          /* kB */
	long parts_100[3], parts_end[3];   /* anon, file, shmem */
	long cycles_at_100, cycles_at_end;   /* the health file's count then */
	long rss_mark[MAX_MARKS];       /* after 1000 k cycles */
	long min_sum, max_sum;          /* fleet target + group desired, at cycle starts */
	unsigned long starts;           /* cycle starts seen */
};

static struct watch w = { .mu = PTHREAD_MUTEX_INITIALIZER };
static struct fake_aws *aws;
static char fleet_id[64];

/* VmRSS of pid in kB (-1: not known), and its parts into parts[3]:
 * RssAnon (the heap and stacks), RssFile, RssShmem (mapped files: the
 * store's database is memory-mapped by SQLite). */
static long vm_rss_kb(pid_t pid, long *parts)
{
	static const char *const names[] = { "RssAnon:", "RssFile:", "RssShmem:" };
	char path[64], line[256];
	long kb = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(fp = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
		for (int i = 0; parts && i < 3; i++)
			if (!strncmp(line, names[i], strlen(names[i])))
				parts[i] = strtol(line + strlen(names[i]), NULL, 10);
	}
	fclose(fp);
	return kb;
}

static long health_cycles(const char *path)
{
	json_t *doc = json_load_file(path, 0, NULL);
	long n = doc ? (long)json_integer_value(json_object_get(doc, "cycles")) : -1;

	json_decref(doc);
	return n;
}

/* The fake's hook: Auto Scaling DescribeTags is the second call of every
 * cycle (discovery), and the daemon made one at start-up, so call n starts
 * the cycle after n - 2 finished ones; the daemon waits for the answer. */
static void on_call(void *ctx, const char *action, unsigned long n)
{
	unsigned long done;
	long target, desired, sum;
	double ful;
	size_t machines;
	pid_t pid;

	(void)ctx;
	if (strcmp(action, "DescribeTags") != 0 || n < 2)
		return;
	done = n - 2;
	if (fake_aws_fleet(aws, fleet_id, &target, &ful) ||
	    fake_aws_group(aws, "asg-soak", &desired, &machines))
		return;
	sum = target + desired;
	pthread_mutex_lock(&w.mu);
	pid = w.pid;
	w.starts++;
	if (done > 0) {
		/* what the previous cycles left */
		if (sum < w.min_sum)
			w.min_sum = sum;
		if (sum > w.max_sum)
			w.max_sum = sum;
	}
	if (pid > 0 && done == 100) {
		w.rss_100 = vm_rss_kb(pid, w.parts_100);
		w.cycles_at_100 = health_cycles(w.health);
	}
	if (pid > 0 && done % 1000 == 0 && done / 1000 < MAX_MARKS)
		w.rss_mark[done / 1000] = vm_rss_kb(pid, NULL);
	if (pid > 0 && done + 1 == w.n) {
		w.rss_end = vm_rss_kb(pid, w.parts_end);
		w.cycles_at_end = health_cycles(w.health);
	}
	pthread_mutex_unlock(&w.mu);
}

/* This process's user (0) or system (1) CPU seconds. */
static double self_cpu(int which)
{
	struct rusage ru;
	const struct timeval *tv = which ? &ru.ru_stime : &ru.ru_utime;

	getrusage(RUSAGE_SELF, &ru);
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* The recorded load (cpus allocated) of minute k: a level held 7 minutes. */
static double load_at(long k)
{
	static const double levels[] = { 10, 30, 50, 20, 45, 6, 25, 38, 12 };
	size_t n = sizeof(levels) / sizeof(levels[0]);

	return k < 0 ? levels[0] : levels[(size_t)(k / 7) % n];
}

/* cpus_allocated of the pool, one sample 30 s before each cycle's time,
 * from an hour before the first to after the last. */
static void record_load(const char *db, uint64_t n)
{
	struct cman_store *st;
	struct cman_error err = { 0 };
	char key[CMAN_KEY_MAX];

	assert_int_equal(cman_metric_key_pool(key, sizeof(key), "cpus_allocated", "c1", "soak",
					      "mesos"), 0);
	if (cman_store_open(db, true, &st, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(cman_store_begin(st, &err), 0);
	for (long k = -60; k <= (long)n + 1; k++) {
		struct cman_sample s = { .t = T0 + 60 * k - 30, .value = load_at(k) };

		if (cman_store_write(st, CMAN_SYSTEM_METRICS, key, &s, &err))
			fail_msg("%s", err.msg);
	}
	if (cman_store_commit(st, &err))
		fail_msg("%s", err.msg);
	cman_store_free(st);
}

static double metric(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	if (!p)
		fail_msg("metrics file: no %s", name);
	return atof(p + strlen(name));
}

/* The whole file (caller frees); the test fails when it cannot be read. */
static char *slurp(const char *path)
{
	char *buf = cman_test_slurp(path, NULL);

	if (!buf)
		fail_msg("cannot read %s", path);
	return buf;
}

/* What the decision lines say the daemon asked of AWS. */
struct expect {
	uint64_t lines;
	unsigned long fleet_changes, group_changes;   /* target moves */
	unsigned long fleet_term_calls, fleet_terminated, group_terminated;
	double last_fleet, last_group;
};

static void read_decisions(const char *path, struct expect *e)
{
	FILE *fp = fopen(path, "r");
	double prev_fleet = FLEET0, prev_group = GROUP0;
	char *line = NULL, owner[300];
	size_t cap = 0;

	assert_non_null(fp);
	memset(e, 0, sizeof(*e));
	while (getline(&line, &cap, fp) > 0) {
		json_error_t je;
		json_t *d = json_loads(line, 0, &je), *groups, *g, *term, *id;
		double target, fl, gr;
		bool fleet_terms = false;
		size_t i;

		if (!d)
			fail_msg("decision line %llu: %s", (unsigned long long)e->lines + 1, je.text);
		e->lines++;
		if (json_is_true(json_object_get(d, "failed")) ||
		    !json_is_false(json_object_get(d, "dry_run")) ||
		    !json_is_false(json_object_get(d, "paused")))
			fail_msg("line %llu: %s", (unsigned long long)e->lines, line);
		/* the pool's external signal answered every cycle */
		assert_string_equal(json_string_value(json_object_get(d, "signal")), "echo");
		assert_true(json_is_null(json_object_get(d, "signal_error")));
		assert_int_equal(json_array_size(json_object_get(d, "terminate_failed")), 0);
		target = json_number_value(json_object_get(d, "new_target"));
		if (target < MINCAP - 1e-9 || target > MAXCAP + 1e-9)
			fail_msg("line %llu: new_target %g outside [%d, %d]",
				 (unsigned long long)e->lines, target, MINCAP, MAXCAP);
		groups = json_object_get(d, "groups");
		assert_int_equal(json_object_size(groups), 2);
		g = json_object_get(groups, fleet_id);
		assert_non_null(g);
		assert_true(json_is_null(json_object_get(g, "error")));
		fl = json_number_value(json_object_get(g, "applied"));
		assert_true(fl == json_number_value(json_object_get(g, "planned")));
		g = json_object_get(groups, "asg-soak");
		assert_non_null(g);
		assert_true(json_is_null(json_object_get(g, "error")));
		gr = json_number_value(json_object_get(g, "applied"));
		assert_true(gr == json_number_value(json_object_get(g, "planned")));
		/* the groups share the pool's (whole) target */
		assert_true(fabs(fl + gr - ceil(target - 1e-9)) < 1e-9);
		e->fleet_changes += fl != prev_fleet;
		e->group_changes += gr != prev_group;
		prev_fleet = fl;
		prev_group = gr;
		term = json_object_get(d, "terminated");
		json_array_foreach(term, i, id) {
			assert_int_equal(fake_aws_owner(aws, json_string_value(id), owner,
							sizeof(owner)), 0);
			if (!strcmp(owner, fleet_id)) {
				e->fleet_terminated++;
				fleet_terms = true;
			} else {
				assert_string_equal(owner, "asg-soak");
				e->group_terminated++;
			}
		}
		e->fleet_term_calls += fleet_terms;
		json_decref(d);
	}
	e->last_fleet = prev_fleet;
	e->last_group = prev_group;
	free(line);
	fclose(fp);
}

/* argv for the daemon, after the words of CMAN_SOAK_CHILD_PREFIX (in buf). */
static int child_argv(char **argv, int max, char *buf, const char *tail[])
{
	const char *prefix = getenv("CMAN_SOAK_CHILD_PREFIX");
	int n = 0;

	if (prefix && *prefix) {
		snprintf(buf, 1024, "%s", prefix);
		for (char *tok = strtok(buf, " "); tok && n < max - 1; tok = strtok(NULL, " "))
			argv[n++] = tok;
	}
	for (int i = 0; tail[i] && n < max - 1; i++)
		argv[n++] = (char *)tail[i];
	argv[n] = NULL;
	return n;
}

static void test_soak_full(void **state)
{
	const char *env = getenv("CMAN_SOAK_CYCLES");
	const char *prefix = getenv("CMAN_SOAK_CHILD_PREFIX");
	uint64_t n = env && *env ? strtoull(env, NULL, 10) : 10000;
	bool rss_checked = CMAN_TEST_RSS_MEANINGFUL && !(prefix && *prefix) && n > 100;
	struct fake_http *aws_http, *mesos_http;
	struct fake_mesos *mesos;
	struct fake_aws_fleet_spec fs = { 0 };
	struct fake_aws_group_spec gs = { 0 };
	struct expect e;
	struct rusage ru;
	struct stat sb;
	struct timespec t0, t1;
	char dir[256], subnet[64], loc[64], text[4096], path[512], ncyc[32], cmd[600];
	char cfg[400], dec[400], health[400], prom[400], errf[400], pbuf[1024];
	char *argv[48], *m;
	const char *tail[] = { CMAN_BINARY_DIR "/clusterman-live", "--config", cfg, "autoscale",
			       "--cluster", "c1", "--pool", "soak", "--execute", "--cycles",
			       ncyc, "--decisions", dec, "--health-file", health,
			       "--metrics-file", prom, NULL };
	unsigned long calls, mutating;
	long target, desired;
	double ful, wall;
	long long db0;
	size_t machines;
	int status;
	pid_t pid;

	(void)state;
	assert_true(n >= 2 && n < 1000000);
	/* on tmpfs when there is one: the store's commits sync the disk three
	 * times a cycle, which here measures the disk, not the daemon */
	snprintf(dir, sizeof(dir), "/dev/shm/cman-soak-full-XXXXXX");
	if (access("/dev/shm", W_OK) != 0 || !mkdtemp(dir))
		assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-soak-full-"));
	snprintf(cfg, sizeof(cfg), "%s/etc/clusterman.yaml", dir);
	snprintf(dec, sizeof(dec), "%s/decisions.jsonl", dir);
	snprintf(health, sizeof(health), "%s/health.json", dir);
	snprintf(prom, sizeof(prom), "%s/metrics.prom", dir);
	snprintf(errf, sizeof(errf), "%s/daemon.err", dir);
	snprintf(ncyc, sizeof(ncyc), "%llu", (unsigned long long)n);

	/* the fakes, on 127.0.0.1 at free ports, in this process */
	assert_non_null(aws_http = fake_http_start());
	assert_non_null(mesos_http = fake_http_start());
	assert_non_null(mesos = fake_mesos_new(FAKE_MESOS_FIXTURES));
	assert_non_null(aws = fake_aws_new("us-west-2"));
	snprintf(loc, sizeof(loc), "//127.0.0.1:%d", fake_http_port(mesos_http));
	fake_mesos_set_leader(mesos, loc, 1);
	fake_mesos_set_body(mesos, "frameworks", "{\"frameworks\": []}");
	fake_mesos_attach(mesos, mesos_http);
	fake_aws_attach(aws, aws_http);
	assert_int_equal(fake_aws_add_subnet(aws, "us-west-2a", subnet, sizeof(subnet)), 0);
	fs.instance_type = "m5.large";
	fs.weight = 1;
	fs.subnet = subnet;
	fs.tag_key = TAGKEY;
	fs.tag_value = MINE;
	fs.target = FLEET0;
	assert_int_equal(fake_aws_add_fleet(aws, &fs, fleet_id, sizeof(fleet_id)), 0);
	gs.name = "asg-soak";
	gs.instance_type = "m5.large";
	gs.subnet = subnet;
	gs.min = 0;
	gs.max = 60;
	gs.desired = GROUP0;
	gs.tag_key = TAGKEY;
	gs.tag_value = MINE;
	assert_int_equal(fake_aws_add_group(aws, &gs), 0);
	/* every machine joins Mesos at once, 4 cpus a unit of weight */
	fake_aws_join_mesos(aws, mesos, "soak", 4, 8000);
	w.n = n;
	w.min_sum = LONG_MAX;
	w.max_sum = LONG_MIN;
	snprintf(w.health, sizeof(w.health), "%s", health);
	fake_aws_on_call(aws, on_call, NULL);

	/* the configuration, the recorded load */
	snprintf(path, sizeof(path), "%s/etc", dir);
	assert_int_equal(mkdir(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/etc/clusters", dir);
	assert_int_equal(mkdir(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/etc/clusters/c1", dir);
	assert_int_equal(mkdir(path, 0777), 0);
	snprintf(text, sizeof(text),
		 "clusters:\n"
		 "  c1: {aws_region: us-west-2, mesos_master_fqdn: '%s'}\n"
		 "aws: {endpoint_url: '%s'}\n"
		 "autoscaling: {default_signal_role: clusterman, setpoint: 0.7,"
		 " target_capacity_margin: 0.1}\n"
		 "metrics: {sqlite: '%s/m.sqlite'}\n",
		 fake_http_url(mesos_http), fake_http_url(aws_http), dir);
	cman_test_write_file(cfg, text);
	snprintf(text, sizeof(text),
		 "resource_groups:\n"
		 "  - sfr: {tag: '" TAGKEY "'}\n"
		 "  - asg: {tag: '" TAGKEY "', scale_in_protection: protect}\n"
		 "scaling_limits: {min_capacity: %d, max_capacity: %d, max_weight_to_add: %d,"
		 " max_weight_to_remove: %d, max_tasks_to_kill: 0}\n"
		 "autoscale_signal:\n"
		 "  name: echo\n"
		 "  namespace: soak%d\n"
		 "  period_minutes: 1\n"
		 "  required_metrics:\n"
		 "    - {name: cpus_allocated, type: system_metrics, minute_range: 10}\n"
		 "  command: [python3, '%s/tests/signals/echo_signal.py', soak%d, echo, soak]\n",
		 MINCAP, MAXCAP, STEP, STEP, (int)getpid(), CMAN_SOURCE_DIR, (int)getpid());
	snprintf(path, sizeof(path), "%s/etc/clusters/c1/soak.mesos", dir);
	cman_test_write_file(path, text);
	snprintf(path, sizeof(path), "%s/m.sqlite", dir);
	record_load(path, n);
	db0 = stat(path, &sb) == 0 ? (long long)sb.st_size / 1024 : -1;

	/* the daemon */
	child_argv(argv, 48, pbuf, tail);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0666);

		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(126);
		setenv("AWS_ACCESS_KEY_ID", "AKIDSOAK", 1);
		setenv("AWS_SECRET_ACCESS_KEY", "soak-secret", 1);
		unsetenv("AWS_SESSION_TOKEN");
		unsetenv("AWS_PROFILE");
		unsetenv("AWS_ENDPOINT_URL");
		unsetenv("AWS_ENDPOINT_URL_EC2");
		unsetenv("AWS_ENDPOINT_URL_AUTO_SCALING");
		unsetenv("CLUSTERMAN_CONFIG");
		setenv("CMAN_LIVE_TEST_PERIOD_MS", "0", 1);
		snprintf(text, sizeof(text), "%lld", T0);
		setenv("CMAN_LIVE_TEST_CLOCK", text, 1);
		setenv("CMAN_SIGNAL_CONNECT_TIMEOUT_MS", "120000", 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	pthread_mutex_lock(&w.mu);
	w.pid = pid;
	pthread_mutex_unlock(&w.mu);
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_lock(&w.mu);
	w.pid = 0;
	pthread_mutex_unlock(&w.mu);
	wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(cmd, sizeof(cmd), "tail -n 30 '%s' >&2", errf);
		if (system(cmd) != 0)
			fprintf(stderr, "(no daemon log)\n");
		fail_msg("the daemon ended with status 0x%x", status);
	}

	/* every cycle ran and was ok: the metrics and health files */
	m = slurp(prom);
	assert_int_equal((uint64_t)metric(m, "clusterman_autoscaler_cycles_total{cluster=\"c1\","
					  "pool=\"soak\",outcome=\"ok\"} "), n);
	assert_int_equal(metric(m, "clusterman_autoscaler_cycles_total{cluster=\"c1\","
				"pool=\"soak\",outcome=\"failed\"} "), 0);
	for (const char *p = m; (p = strstr(p, "clusterman_autoscaler_errors_total{")); p++)
		if (atof(strchr(p, '}') + 1) != 0)
			fail_msg("errors counted: %.120s", p);
	free(m);
	assert_int_equal(health_cycles(health), (long)n);

	/* the decision lines, and the calls the fake saw */
	read_decisions(dec, &e);
	assert_int_equal(e.lines, n);
	assert_int_equal(fake_aws_calls(aws, "ModifySpotFleetRequest"), e.fleet_changes);
	assert_int_equal(fake_aws_calls(aws, "SetDesiredCapacity"), e.group_changes);
	assert_int_equal(fake_aws_calls(aws, "TerminateInstances"), e.fleet_term_calls);
	assert_int_equal(fake_aws_calls(aws, "TerminateInstanceInAutoScalingGroup"),
			 e.group_terminated);
	assert_int_equal(fake_aws_terminated(aws), e.fleet_terminated + e.group_terminated);
	/* reads: discovery at start-up and every cycle, the groups every cycle,
	 * the fleet's subnet zone once (cached) */
	assert_int_equal(fake_aws_calls(aws, "DescribeTags"), n + 1);
	assert_int_equal(fake_aws_calls(aws, "DescribeSpotFleetRequests"), 2 * n + 1);
	assert_int_equal(fake_aws_calls(aws, "DescribeSpotFleetInstances"), n);
	assert_int_equal(fake_aws_calls(aws, "DescribeAutoScalingGroups"), n);
	assert_int_equal(fake_aws_calls(aws, "DescribeInstances"), 2 * n);
	assert_int_equal(fake_aws_calls(aws, "DescribeSubnets"), 1);
	assert_int_equal(fake_aws_errors(aws), 0);
	/* the targets move, both ways, and stay within the limits */
	if (n >= 100) {
		assert_true(e.fleet_changes >= n / 20);
		assert_true(e.group_changes >= n / 20);
		assert_true(e.fleet_terminated > 0 && e.group_terminated > 0);
		assert_true(fake_aws_calls(aws, "SetInstanceProtection") > 0);
	}
	assert_true(w.min_sum >= MINCAP && w.max_sum <= MAXCAP);
	assert_int_equal(fake_aws_fleet(aws, fleet_id, &target, &ful), 0);
	assert_int_equal(fake_aws_group(aws, "asg-soak", &desired, &machines), 0);
	assert_true(target == e.last_fleet && desired == e.last_group);
	assert_true(ful == target && (long)machines == desired);
	calls = fake_aws_calls(aws, NULL);
	mutating = e.fleet_changes + e.group_changes + e.fleet_term_calls + e.group_terminated +
		   fake_aws_calls(aws, "SetInstanceProtection");

	fprintf(stderr, "soak-full: %llu cycles in %.1f s (%.2f ms/cycle); %lu AWS calls "
		"(%.1f per cycle), %lu mutating: ModifySpotFleetRequest %lu, "
		"SetDesiredCapacity %lu, TerminateInstances %lu (%lu machines), "
		"TerminateInstanceInAutoScalingGroup %lu, SetInstanceProtection %lu; "
		"machines launched %lu, terminated %lu; pool target %ld..%ld\n",
		(unsigned long long)n, wall, wall * 1000 / (double)n, calls,
		(double)calls / (double)n, mutating, e.fleet_changes, e.group_changes,
		e.fleet_term_calls, e.fleet_terminated, e.group_terminated,
		fake_aws_calls(aws, "SetInstanceProtection"), fake_aws_launched(aws),
		fake_aws_terminated(aws), w.min_sum, w.max_sum);
	fprintf(stderr, "soak-full: CPU: the daemon and its signal process %.1f s user + %.1f s "
		"system, this process (the fakes) %.1f s + %.1f s; files in %s\n",
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
		self_cpu(0), self_cpu(1), dir);
	fprintf(stderr, "soak-full: daemon VmRSS after 100 cycles %ld kB (health file: %ld), "
		"after %llu %ld kB (health file: %ld): %+.1f%%; peak (ru_maxrss) %ld kB\n",
		w.rss_100, w.cycles_at_100, (unsigned long long)n - 1, w.rss_end,
		w.cycles_at_end, w.rss_100 > 0 ? 100.0 * (double)(w.rss_end - w.rss_100) /
		(double)w.rss_100 : 0.0, ru.ru_maxrss);
	fprintf(stderr, "soak-full: of which anon/file/shmem after 100 cycles %ld/%ld/%ld kB, "
		"at the end %ld/%ld/%ld kB\n", w.parts_100[0], w.parts_100[1], w.parts_100[2],
		w.parts_end[0], w.parts_end[1], w.parts_end[2]);
	snprintf(path, sizeof(path), "%s/m.sqlite", dir);
	fprintf(stderr, "soak-full: the store (SQLite: the load, the state, the targets recorded "
		"every cycle) %lld kB before the first cycle, %lld kB at the end\n", db0,
		stat(path, &sb) == 0 ? (long long)sb.st_size / 1024 : -1LL);
	fprintf(stderr, "soak-full: VmRSS (kB) every 1000 cycles:");
	for (uint64_t k = 0; k * 1000 < n && k < MAX_MARKS; k++)
		fprintf(stderr, " %ld", w.rss_mark[k]);
	fprintf(stderr, "\n");
	if (!rss_checked)
		fprintf(stderr, "soak-full: RSS not checked (%s)\n",
			!CMAN_TEST_RSS_MEANINGFUL ? "AddressSanitizer's quarantine holds freed memory" :
			prefix && *prefix ? "the daemon runs under CMAN_SOAK_CHILD_PREFIX" :
					    "100 cycles or fewer");
	if (n > 100) {
		/* the samples were taken where they should have been */
		assert_int_equal(w.cycles_at_100, 100);
		assert_int_equal(w.cycles_at_end, (long)n - 1);
	}
	if (rss_checked) {
		assert_true(w.rss_100 > 0 && w.rss_end > 0);
		assert_true(w.rss_end <= w.rss_100 + w.rss_100 / 10);
	}

	fake_aws_on_call(aws, NULL, NULL);
	fake_http_stop(aws_http);
	fake_http_stop(mesos_http);
	fake_mesos_free(mesos);
	fake_aws_free(aws);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soak_full),
	};

	if (system("python3 -c 'import sys' > /dev/null 2>&1") != 0) {
		fprintf(stderr, "skipped: no python3 to run the pool's external signal\n");
		return TEST_SKIP_CODE;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
