/*
 * Soak of the daemon loop (issue 11): CMAN_SOAK_CYCLES (default 10,000)
 * fast cycles (the CMAN_LIVE_TEST_PERIOD_MS=0 hook) of a cycle that does
 * what an autoscale cycle does around the pool: the signal processes'
 * health check (live/sigproc.c), one evaluation of a real external signal
 * process (tests/signals/echo_signal.py over the socket protocol), errors
 * of every kind on a schedule, the signal process killed every 1,000th
 * cycle (restarted by the supervision), and the health and metrics files
 * rewritten every cycle.  Memory must stay flat: the resident set size
 * after the last cycle within 10% of the one after cycle 100.  The numbers
 * are printed (RSS after 100 cycles and at the end, wall time).  The same
 * binary runs a few hundred cycles under valgrind (e2e.valgrind_daemon).
 */
/* ctest-labels: slow */
/* ctest-timeout: 1800 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cman/live/daemon.h"
#include "cman/live/sigproc.h"
#include "cman/signal_external.h"
#include "cman_test.h"


struct soak {
	struct cman_signal *sig;
	struct cman_live_sigsup sup;
	struct cman_series se;
	int64_t t[1];
	double v[1];
	uint64_t n, cycles, answered, kills, down_cycles;
	long rss_100, rss_end;
	char labels[64];
};

static long rss_kb(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	if (fp) {
		if (fscanf(fp, "%ld %ld", &size, &res) != 2)
			res = 0;
		fclose(fp);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static int soak_cycle(void *ctx, struct cman_daemon *d, struct cman_daemon_cycle *c,
		      struct cman_error *err)
{
	struct soak *s = ctx;
	struct cman_signal_input in = { .now = c->now, .series = &s->se, .n_series = 1 };
	struct cman_request req;
	struct cman_error e = { 0 };
	uint64_t i = c->index;
	int rc;

	s->cycles++;
	if (i == 100)
		s->rss_100 = rss_kb();
	if (cman_live_sigsup_check(&s->sup, stderr, "soak", &e))
		s->down_cycles++;   /* down, its restart backing off */
	if ((i % 1000 == 500 || i == 150) && i + 1 < s->n && s->sup.proc[0].pid > 0) {
		kill(s->sup.proc[0].pid, SIGKILL);   /* a crash: the next check restarts it */
		s->kills++;
	}
	s->t[0] = c->now;
	s->v[0] = (double)(i % 50);
	rc = cman_signal_evaluate(s->sig, &in, &req, &e);
	c->max_capacity = 100;
	if (rc) {
		/* the killed process: the cycle goes on "with the default signal" */
		cman_daemon_count_error(d, CMAN_DERR_SIGNAL);
	} else {
		s->answered++;
		c->target = req.has[CMAN_RES_CPUS] ? req.v[CMAN_RES_CPUS] : 0;
		c->fulfilled = c->target;
	}
	if (!cman_daemon_may_mutate(d))
		return 0;
	switch (i % 10) {
	case 3:
		return cman_error_set(err, CMAN_ETHROTTLED, "ec2: RequestLimitExceeded (cycle %llu)",
				      (unsigned long long)i);
	case 5:
		return cman_error_set(err, CMAN_ETRANSIENT, "autoscaling: HTTP 503");
	case 7:
		return cman_error_set(err, CMAN_ETIMEOUT, "dynamodb: no answer in 5000 ms");
	case 8:
		c->paused = true;
		return 0;
	default:
		return 0;
	}
}

static void soak_metrics(void *ctx, FILE *fp)
{
	struct soak *s = ctx;

	cman_live_sigsup_metrics(&s->sup, fp, s->labels);
}

static void test_soak(void **state)
{
	const char *env = getenv("CMAN_SOAK_CYCLES");
	uint64_t n = env && *env ? strtoull(env, NULL, 10) : 10000;
	char dir[256], health[320], metrics[320], script[512], ns[64];
	char *argv[] = { "python3", script, ns, "sig", "soak", NULL };
	struct cman_signal_config sc = { 0 };
	struct cman_daemon_opts o = { 0 };
	struct cman_daemon_stats st;
	struct cman_error err = { 0 };
	struct soak s = { 0 };
	struct timespec t0, t1;
	double wall;
	char cmd[400];
	FILE *quiet = fopen("/dev/null", "w");

	(void)state;
	assert_true(n >= 1);
	assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-soak-"));
	snprintf(health, sizeof(health), "%s/health.json", dir);
	snprintf(metrics, sizeof(metrics), "%s/metrics.prom", dir);
	snprintf(script, sizeof(script), "%s/tests/signals/echo_signal.py", CMAN_SOURCE_DIR);
	snprintf(ns, sizeof(ns), "soak%d", (int)getpid());
	snprintf(s.labels, sizeof(s.labels), "cluster=\"c1\",pool=\"soak\"");
	sc.name = (char *)"sig";
	sc.external = true;
	sc.namespace_ = ns;
	sc.command = argv;
	sc.period_minutes = 1;
	setenv("CMAN_SIGNAL_CONNECT_TIMEOUT_MS", "120000", 0);
	setenv("CMAN_SIGNAL_RESTART_BACKOFF_MS", "1", 1);
	setenv("CMAN_SIGNAL_TIMEOUT_MS", "20000", 0);
	setenv("CMAN_LIVE_TEST_PERIOD_MS", "0", 1);
	if (cman_signal_external_new(&sc, "c1", "soak", &s.sig, &err))
		fail_msg("%s", err.msg);
	cman_live_sigsup_init(&s.sup, s.sig, NULL);
	snprintf(s.se.name, sizeof(s.se.name), "cpus_allocated");
	s.se.n = s.se.cap = 1;
	s.se.t = s.t;
	s.se.v = s.v;

	s.n = n;
	o.name = "autoscaler";
	o.cluster = "c1";
	o.pool = "soak";
	o.period_seconds = 60;
	o.max_cycles = n;
	o.health_file = health;
	o.metrics_file = metrics;
	o.prog = "soak";
	o.log = quiet;
	o.cycle = soak_cycle;
	o.metrics = soak_metrics;
	o.ctx = &s;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cman_daemon_run(&o, &st, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s.rss_end = rss_kb();
	wall = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	/* what the loop counted is what the cycle did */
	assert_int_equal(s.cycles, n);
	assert_int_equal(st.cycles, n);
	assert_int_equal(st.errors[CMAN_DERR_THROTTLING], n / 10 + (n % 10 > 3));
	assert_int_equal(st.errors[CMAN_DERR_5XX], n / 10 + (n % 10 > 5));
	assert_int_equal(st.errors[CMAN_DERR_TIMEOUT], n / 10 + (n % 10 > 7));
	assert_int_equal(st.paused, n / 10 + (n % 10 > 8));
	assert_int_equal(st.errors[CMAN_DERR_SIGNAL], n - s.answered);
	/* an evaluation fails only right after a kill or while the restart
	 * backs off; every kill is followed by a restart */
	assert_true(s.kills >= (n > 150 ? 1 : 0));
	assert_true(n - s.answered <= s.kills + s.down_cycles);
	assert_int_equal(s.sup.proc[0].restarts, s.kills);
	fprintf(stderr, "soak: %llu cycles in %.1f s (%.2f ms/cycle); %llu signal "
		"answers, %llu kills, %llu restarts, %llu cycles backing off; RSS after 100 cycles %ld kB, at the end "
		"%ld kB (%+.1f%%)\n", (unsigned long long)n, wall, wall * 1000 / (double)n,
		(unsigned long long)s.answered, (unsigned long long)s.kills,
		(unsigned long long)s.sup.proc[0].restarts,
		(unsigned long long)s.down_cycles, s.rss_100, s.rss_end,
		s.rss_100 ? 100.0 * (double)(s.rss_end - s.rss_100) / (double)s.rss_100 : 0.0);
	if (!CMAN_TEST_RSS_MEANINGFUL)
		fprintf(stderr, "soak: RSS not checked under AddressSanitizer (its quarantine "
			"holds freed memory)\n");
	if (n > 100 && CMAN_TEST_RSS_MEANINGFUL) {
		assert_true(s.rss_100 > 0);
		assert_true(s.rss_end <= s.rss_100 + s.rss_100 / 10);
	}
	cman_live_sigsup_release(&s.sup);
	cman_signal_free(s.sig);
	fclose(quiet);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
