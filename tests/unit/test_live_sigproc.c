/*
 * A live pool's signal processes (live/sigproc.c): Clusterman's bootstrap
 * environment (LIVE-SPEC.md 1.3) and supervision between cycles with the
 * Prometheus lines it adds to the daemon's metrics file.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cman/config.h"
#include "cman/live/sigproc.h"
#include "cman/poolcfg.h"
#include "cman/signal_external.h"
#include "cman_test.h"

static struct cman_node *yaml(const char *text)
{
	struct cman_error err = { 0 };
	struct cman_node *n = NULL;

	if (cman_yaml_load_string("t", text, &n, &err))
		fail_msg("%s", err.msg);
	return n;
}

static void test_env(void **state)
{
	struct cman_live_config cfg;
	struct cman_error err = { 0 };
	struct cman_node *pool;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.root = yaml("aws: {signals_bucket: my-bucket}\n"
			"autoscale_signal: {name: DefSig, branch_or_tag: v7}\n");
	cfg.has_default_signal = true;
	cfg.default_signal.external = true;
	cfg.default_signal.name = (char *)"DefSig";
	cfg.default_signal.namespace_ = (char *)"clusterman";
	cfg.default_signal_role = (char *)"clusterman";
	pool = yaml("autoscale_signal: {name: PoolSig, namespace: ns1, branch_or_tag: v7}\n");
	assert_int_equal(cman_live_signal_env(&cfg, "c1", "batch", NULL, pool, &err), 0);
	assert_string_equal(getenv("CMAN_SIGNAL_NAMES"), "DefSig PoolSig");
	assert_string_equal(getenv("CMAN_SIGNAL_NAMESPACES"), "clusterman ns1");
	assert_string_equal(getenv("CMAN_SIGNAL_APPS"), "__default__ batch");
	assert_string_equal(getenv("CMAN_SIGNAL_VERSIONS"), "v7 v7");
	assert_string_equal(getenv("CMAN_VERSIONS_TO_FETCH"), "v7");
	assert_string_equal(getenv("CMAN_NUM_SIGNALS"), "2");
	assert_string_equal(getenv("CMAN_NUM_VERSIONS"), "1");
	assert_string_equal(getenv("CMAN_SIGNALS_BUCKET"), "my-bucket");
	assert_string_equal(getenv("CMAN_CLUSTER"), "c1");
	assert_string_equal(getenv("CMAN_POOL"), "batch");
	assert_string_equal(getenv("CMAN_SCHEDULER"), "mesos");
	cman_node_free(pool);

	/* the pool's defaults: namespace and version = the pool */
	pool = yaml("autoscale_signal: {name: PoolSig, period_minutes: 5}\n");
	assert_int_equal(cman_live_signal_env(&cfg, "c1", "batch", "kubernetes", pool, &err), 0);
	assert_string_equal(getenv("CMAN_SIGNAL_NAMESPACES"), "clusterman batch");
	assert_string_equal(getenv("CMAN_SIGNAL_VERSIONS"), "v7 batch");
	assert_string_equal(getenv("CMAN_VERSIONS_TO_FETCH"), "v7 batch");
	assert_string_equal(getenv("CMAN_NUM_VERSIONS"), "2");
	assert_string_equal(getenv("CMAN_SCHEDULER"), "kubernetes");
	cman_node_free(pool);

	/* an internal pool signal and no external default: no signal process */
	cman_node_free(cfg.root);
	cfg.root = yaml("aws: {region: x}\n");
	cfg.has_default_signal = false;
	pool = yaml("autoscale_signal: {name: most_recent, internal: true}\n");
	assert_int_equal(cman_live_signal_env(&cfg, "c1", "p", NULL, pool, &err), 0);
	assert_string_equal(getenv("CMAN_SIGNAL_NAMES"), "");
	assert_string_equal(getenv("CMAN_NUM_SIGNALS"), "0");
	assert_string_equal(getenv("CMAN_NUM_VERSIONS"), "0");
	assert_string_equal(getenv("CMAN_SIGNALS_BUCKET"), "yelp-clusterman-signals");
	cman_node_free(pool);
	cman_node_free(cfg.root);
}

/* A Clusterman-shaped autoscale_signal may name the command the daemon
 * starts (our extension); only for an external signal. */
static void test_command_key(void **state)
{
	struct cman_pool_parse_opts o = { CMAN_POOL_CLUSTERMAN, "p1", 0.7, 0.1, { false } };
	struct cman_signal_config sc;
	struct cman_error err = { 0 };
	struct cman_node *n;

	(void)state;
	n = yaml("{name: S, period_minutes: 5, command: [python3, -m, sig, x]}\n");
	memset(&sc, 0, sizeof(sc));
	if (cman_signal_config_parse(n, "autoscale_signal", &o, &sc, &err))
		fail_msg("%s", err.msg);
	assert_true(sc.external);
	assert_string_equal(sc.namespace_, "p1");
	assert_string_equal(sc.command[0], "python3");
	assert_string_equal(sc.command[3], "x");
	assert_null(sc.command[4]);
	cman_signal_config_release(&sc);
	cman_node_free(n);
	n = yaml("{name: most_recent, internal: true, period_minutes: 5, command: [x]}\n");
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(cman_signal_config_parse(n, "autoscale_signal", &o, &sc, &err),
			 CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "only external signals run a command"));
	cman_node_free(n);
}

/* One echo signal process started through the external signal. */
static void test_supervision(void **state)
{
	char script[512], ns[64], pidf[256], dir[256], *log_text = NULL, *m = NULL;
	char *argv[] = { "python3", script, ns, "sig", "tp", "--pid-file", pidf, NULL };
	struct cman_signal_config sc = { 0 };
	struct cman_live_sigsup sup;
	struct cman_signal *s = NULL, *b = NULL;
	struct cman_error err = { 0 };
	size_t log_len = 0, m_len = 0;
	FILE *log, *mf;
	pid_t pid;
	int ms;

	(void)state;
	assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-sigproc-"));
	snprintf(script, sizeof(script), "%s/tests/signals/echo_signal.py", CMAN_SOURCE_DIR);
	snprintf(ns, sizeof(ns), "sp%d", (int)getpid());
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	sc.name = (char *)"sig";
	sc.external = true;
	sc.namespace_ = ns;
	sc.command = argv;
	sc.period_minutes = 1;
	setenv("CMAN_SIGNAL_CONNECT_TIMEOUT_MS", "120000", 0);
	if (cman_signal_external_new(&sc, "c1", "tp", &s, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(cman_signal_new(cman_signal_default_config(), "c1", "tp", &b, &err), 0);
	cman_live_sigsup_init(&sup, s, b);
	log = open_memstream(&log_text, &log_len);
	assert_int_equal(cman_live_sigsup_check(&sup, log, "t", &err), 0);
	assert_true(sup.proc[0].pid > 0);
	assert_int_equal(sup.proc[1].pid, 0);   /* built-in: nothing to watch */
	pid = sup.proc[0].pid;
	kill(pid, SIGKILL);
	for (ms = 0; ms < 10000 && kill(pid, 0) == 0; ms += 10) {
		/* a zombie still answers kill(0): stop when it is one */
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
	assert_int_equal(cman_live_sigsup_check(&sup, log, "t", &err), 0);
	assert_true(sup.proc[0].pid > 0 && sup.proc[0].pid != pid);
	assert_int_equal(sup.proc[0].restarts, 1);
	fclose(log);
	assert_non_null(strstr(log_text, "t: pool signal 'sig': its process was killed by "
			       "signal 9\n"));
	assert_non_null(strstr(log_text, "t: pool signal 'sig': restarted (pid "));

	mf = open_memstream(&m, &m_len);
	cman_live_sigsup_metrics(&sup, mf, "cluster=\"c1\"");
	fclose(mf);
	assert_non_null(strstr(m, "# TYPE clusterman_signal_process_restarts_total counter\n"));
	assert_non_null(strstr(m, "clusterman_signal_process_up{cluster=\"c1\",signal=\"sig\","
			       "role=\"pool\"} 1\n"));
	assert_non_null(strstr(m, "clusterman_signal_process_restarts_total{cluster=\"c1\","
			       "signal=\"sig\",role=\"pool\"} 1\n"));
	assert_non_null(strstr(m, "clusterman_signal_process_crashes_total{cluster=\"c1\","
			       "signal=\"sig\",role=\"pool\"} 1\n"));
	assert_non_null(strstr(m, "clusterman_signal_process_starts_total{cluster=\"c1\","
			       "signal=\"sig\",role=\"pool\"} 2\n"));
	assert_null(strstr(m, "role=\"default\""));
	pid = sup.proc[0].pid;
	cman_live_sigsup_release(&sup);
	cman_signal_free(s);
	cman_signal_free(b);
	errno = 0;
	assert_int_equal(kill(pid, 0), -1);
	free(log_text);
	free(m);
	unlink(pidf);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_command_key),
		cmocka_unit_test(test_supervision),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
