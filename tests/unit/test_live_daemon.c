/*
 * The daemons' loop (live/daemon.c) with a fake cycle callback: the splay
 * is stable and in range, N cycles run without real waits (the
 * CMAN_LIVE_TEST_PERIOD_MS hook), SIGTERM inside a mutating cycle lets it
 * finish and the loop end with status 0, SIGTERM before the cycle mutates
 * abandons it, a second signal exits at once (128 + signal) and kills the
 * registered process groups, SIGHUP reloads (a failed reload keeps the old
 * configuration), and the health and metrics files say what happened.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cman/live/daemon.h"
#include "cman_test.h"

static char dir[512], health[600], metrics[600];

/* ---- a reference FNV-1a 64 (independent of the module) ---------------- */

static uint64_t ref_fnv(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void test_splay(void **state)
{
	static const char *pools[] = { "default", "batch", "jolt", "x", "" };
	static const int64_t periods[] = { 1, 7, 1000, 60000, 600000, 3600000 };
	char key[128];

	(void)state;
	/* the reference against published FNV-1a 64 vectors */
	assert_true(ref_fnv("") == 0xcbf29ce484222325ULL);
	assert_true(ref_fnv("a") == 0xaf63dc4c8601ec8cULL);
	assert_true(ref_fnv("foobar") == 0x85944171f73967e8ULL);
	/* values computed outside the program (python, FNV-1a 64 of the key) */
	assert_int_equal(cman_daemon_splay_ms("autoscaler", "kubestage", "batch", 600000),
			 266955);
	assert_int_equal(cman_daemon_splay_ms("collector", "norcal-prod", NULL, 60000), 30835);
	for (size_t i = 0; i < sizeof(pools) / sizeof(*pools); i++)
		for (size_t j = 0; j < sizeof(periods) / sizeof(*periods); j++) {
			int64_t s = cman_daemon_splay_ms("autoscaler", "c1", pools[i], periods[j]);

			snprintf(key, sizeof(key), "autoscaler:c1:%s", pools[i]);
			assert_true(s >= 0 && s < periods[j]);
			assert_int_equal(s, (int64_t)(ref_fnv(key) % (uint64_t)periods[j]));
			/* the same on every call (no per-process seed) */
			assert_int_equal(s, cman_daemon_splay_ms("autoscaler", "c1", pools[i],
								 periods[j]));
		}
	/* different pools spread over the period */
	assert_int_not_equal(cman_daemon_splay_ms("autoscaler", "c1", "default", 600000),
			     cman_daemon_splay_ms("autoscaler", "c1", "batch", 600000));
	assert_int_equal(cman_daemon_splay_ms("autoscaler", "c1", "p", 0), 0);
}

/* ---- a fake cycle ---------------------------------------------------------- */

enum action {
	A_OK, A_PAUSED, A_THROTTLED, A_5XX, A_TIMEOUT, A_SIGNAL, A_OTHER,
	A_OK_SIGNAL_FALLBACK,     /* ok, with a non-fatal signal error */
	A_TERM_MUTATING,          /* may_mutate, SIGTERM, carry on */
	A_TERM_BEFORE,            /* SIGTERM, then may_mutate */
	A_TERM_TWICE,             /* may_mutate, SIGTERM twice */
	A_HUP,                    /* SIGHUP, ok */
};

struct fake {
	const enum action *script;
	size_t n;
	size_t calls;
	int64_t nows[64];
	uint64_t idx[64];
	bool finished_mutation;
	bool mutate_answer;
	int reloads;
	int reload_rc;
	int64_t new_period;
};

static int fake_cycle(void *ctx, struct cman_daemon *d, struct cman_daemon_cycle *c,
		      struct cman_error *err)
{
	struct fake *f = ctx;
	enum action a = f->calls < f->n ? f->script[f->calls] : A_OK;

	if (f->calls < 64) {
		f->nows[f->calls] = c->now;
		f->idx[f->calls] = c->index;
	}
	f->calls++;
	c->max_capacity = 100;
	switch (a) {
	case A_OK:
		c->target = 10 + (double)f->calls;
		c->fulfilled = 8.5;
		return 0;
	case A_OK_SIGNAL_FALLBACK:
		cman_daemon_count_error(d, CMAN_DERR_SIGNAL);
		c->target = 12;
		c->fulfilled = 12;
		return 0;
	case A_PAUSED:
		c->paused = true;
		return 0;
	case A_THROTTLED:
		return cman_error_set(err, CMAN_ETHROTTLED, "ec2: RequestLimitExceeded");
	case A_5XX:
		return cman_error_set(err, CMAN_ETRANSIENT, "autoscaling: HTTP 503");
	case A_TIMEOUT:
		return cman_error_set(err, CMAN_ETIMEOUT, "dynamodb: timed out");
	case A_SIGNAL:
		c->kind_set = true;
		c->kind = CMAN_DERR_SIGNAL;
		return cman_error_set(err, CMAN_EIO, "external signal \"s\": broken pipe");
	case A_OTHER:
		return cman_error_set(err, CMAN_EIO, "something else");
	case A_TERM_MUTATING:
		assert_true(cman_daemon_may_mutate(d));
		raise(SIGTERM);
		assert_true(cman_daemon_stopping(d));
		assert_true(cman_daemon_may_mutate(d));   /* still allowed: it started */
		f->finished_mutation = true;
		c->target = 42;
		return 0;
	case A_TERM_BEFORE:
		raise(SIGTERM);
		f->mutate_answer = cman_daemon_may_mutate(d);
		if (!f->mutate_answer)
			return 0;
		f->finished_mutation = true;
		return 0;
	case A_TERM_TWICE:
		assert_true(cman_daemon_may_mutate(d));
		raise(SIGTERM);
		raise(SIGTERM);
		f->finished_mutation = true;   /* never reached */
		return 0;
	case A_HUP:
		raise(SIGHUP);
		return 0;
	}
	return 0;
}

static int fake_reload(void *ctx, struct cman_daemon *d, struct cman_error *err)
{
	struct fake *f = ctx;

	f->reloads++;
	if (f->reload_rc)
		return cman_error_set(err, f->reload_rc, "pool.mesos:3:5: bad setpoint");
	if (f->new_period)
		cman_daemon_set_period(d, f->new_period);
	return 0;
}

static void fake_metrics(void *ctx, FILE *fp)
{
	(void)ctx;
	fputs("clusterman_extra_metric 7\n", fp);
}

static struct cman_daemon_opts opts(struct fake *f, FILE *log)
{
	struct cman_daemon_opts o = {
		.name = "autoscaler", .cluster = "c1", .pool = "p\"1",
		.period_seconds = 60, .dry_run = true,
		.health_file = health, .metrics_file = metrics, .log = log,
		.prog = "test", .cycle = fake_cycle, .reload = fake_reload,
		.metrics = fake_metrics, .ctx = f,
	};
	return o;
}

/* The whole file (caller frees); the test fails when it cannot be read. */
static char *slurp(const char *path)
{
	char *buf = cman_test_slurp(path, NULL);

	if (!buf)
		fail_msg("cannot read %s", path);
	return buf;
}

/* The value of the sample "name{labels}" in a Prometheus text file; NAN when
 * absent.  Also checks every line's shape. */
static double prom(const char *text, const char *sample)
{
	const char *p = text;
	double v = NAN;
	size_t n = strlen(sample);

	while (*p) {
		const char *e = strchr(p, '\n');

		assert_non_null(e);   /* every line ends with a newline */
		if (*p != '#') {
			const char *sp = memchr(p, ' ', (size_t)(e - p));

			assert_non_null(sp);
			if ((size_t)(sp - p) == n && !memcmp(p, sample, n)) {
				char *end;

				v = strtod(sp + 1, &end);
				assert_ptr_equal(end, e);
			}
		} else {
			assert_true(!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7));
		}
		p = e + 1;
	}
	return v;
}

#define L "cluster=\"c1\",pool=\"p\\\"1\""

static void test_cycles_and_files(void **state)
{
	static const enum action script[] = {
		A_OK, A_THROTTLED, A_5XX, A_OK_SIGNAL_FALLBACK, A_PAUSED, A_TIMEOUT,
		A_SIGNAL, A_OTHER,
	};
	struct fake f = { .script = script, .n = 8 };
	struct cman_daemon_stats st;
	struct cman_daemon_opts o;
	struct cman_error err = { 0 };
	json_error_t je;
	json_t *h;
	char *m;
	FILE *log = tmpfile();
	struct timespec t0, t1;

	(void)state;
	setenv("CMAN_LIVE_TEST_PERIOD_MS", "0", 1);
	o = opts(&f, log);
	o.max_cycles = 8;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cman_daemon_run(&o, &st, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* a 60 s period, yet no real wait */
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_int_equal(f.calls, 8);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(f.idx[i], i);
		assert_true(i == 0 || f.nows[i] >= f.nows[i - 1]);
		assert_true(llabs(f.nows[i] - (int64_t)time(NULL)) < 10);
	}
	assert_int_equal(st.cycles, 8);
	assert_int_equal(st.ok, 2);
	assert_int_equal(st.paused, 1);
	assert_int_equal(st.failed, 5);
	assert_int_equal(st.errors[CMAN_DERR_THROTTLING], 1);
	assert_int_equal(st.errors[CMAN_DERR_5XX], 1);
	assert_int_equal(st.errors[CMAN_DERR_TIMEOUT], 1);
	assert_int_equal(st.errors[CMAN_DERR_SIGNAL], 2);   /* fallback + failure */
	assert_int_equal(st.errors[CMAN_DERR_OTHER], 1);
	assert_int_equal(st.consecutive_failures, 3);
	assert_int_equal(st.stop_signal, 0);
	assert_int_equal(cman_daemon_exit_status(&o, &st), 1);

	m = slurp(metrics);
	assert_true(prom(m, "clusterman_autoscaler_cycles_total{" L ",outcome=\"ok\"}") == 2);
	assert_true(prom(m, "clusterman_autoscaler_cycles_total{" L ",outcome=\"paused\"}") == 1);
	assert_true(prom(m, "clusterman_autoscaler_cycles_total{" L ",outcome=\"failed\"}") == 5);
	assert_true(prom(m, "clusterman_autoscaler_errors_total{" L ",kind=\"throttling\"}") == 1);
	assert_true(prom(m, "clusterman_autoscaler_errors_total{" L ",kind=\"5xx\"}") == 1);
	assert_true(prom(m, "clusterman_autoscaler_errors_total{" L ",kind=\"timeout\"}") == 1);
	assert_true(prom(m, "clusterman_autoscaler_errors_total{" L ",kind=\"signal\"}") == 2);
	assert_true(prom(m, "clusterman_autoscaler_errors_total{" L ",kind=\"other\"}") == 1);
	assert_true(prom(m, "clusterman_autoscaler_consecutive_failures{" L "}") == 3);
	assert_true(prom(m, "clusterman_autoscaler_dry_run{" L "}") == 1);
	assert_true(prom(m, "clusterman_autoscaler_paused{" L "}") == 0);
	assert_true(prom(m, "clusterman_autoscaler_max_capacity{" L "}") == 100);
	/* the last cycle failed: no target known */
	assert_true(isnan(prom(m, "clusterman_autoscaler_target_capacity{" L "}")));
	assert_true(prom(m, "clusterman_autoscaler_cycle_duration_seconds{" L "}") >= 0);
	assert_true(fabs(prom(m, "clusterman_autoscaler_last_cycle_timestamp_seconds{" L "}") -
			 (double)f.nows[7]) < 0.5);
	assert_true(prom(m, "clusterman_extra_metric") == 7);
	assert_non_null(strstr(m, "# TYPE clusterman_autoscaler_errors_total counter\n"));
	free(m);

	h = json_load_file(health, 0, &je);
	assert_non_null(h);
	assert_string_equal(json_string_value(json_object_get(h, "status")), "failing");
	assert_string_equal(json_string_value(json_object_get(h, "outcome")), "failed");
	assert_string_equal(json_string_value(json_object_get(h, "error")), "something else");
	assert_string_equal(json_string_value(json_object_get(h, "error_kind")), "other");
	assert_int_equal(json_integer_value(json_object_get(h, "consecutive_failures")), 3);
	assert_int_equal(json_integer_value(json_object_get(h, "cycles")), 8);
	assert_int_equal(json_integer_value(json_object_get(h, "failures")), 5);
	assert_int_equal(json_integer_value(json_object_get(h, "last_cycle")), f.nows[7]);
	assert_int_equal(json_integer_value(json_object_get(h, "pid")), getpid());
	assert_true(json_is_true(json_object_get(h, "dry_run")));
	assert_string_equal(json_string_value(json_object_get(h, "pool")), "p\"1");
	json_decref(h);

	/* an ok last cycle: status ok, the failures in a row reset */
	{
		static const enum action s2[] = { A_TIMEOUT, A_OK };
		struct fake g = { .script = s2, .n = 2 };

		o = opts(&g, log);
		o.max_cycles = 2;
		o.dry_run = false;
		assert_int_equal(cman_daemon_run(&o, &st, &err), 0);
		assert_int_equal(cman_daemon_exit_status(&o, &st), 0);
		h = json_load_file(health, 0, &je);
		assert_non_null(h);
		assert_string_equal(json_string_value(json_object_get(h, "status")), "ok");
		assert_string_equal(json_string_value(json_object_get(h, "outcome")), "ok");
		assert_true(json_is_null(json_object_get(h, "error")));
		assert_int_equal(json_integer_value(json_object_get(h, "consecutive_failures")), 0);
		json_decref(h);
		m = slurp(metrics);
		assert_true(prom(m, "clusterman_autoscaler_target_capacity{" L "}") == 12);
		assert_true(prom(m, "clusterman_autoscaler_fulfilled_capacity{" L "}") == 8.5);
		assert_true(prom(m, "clusterman_autoscaler_dry_run{" L "}") == 0);
		assert_true(prom(m, "clusterman_autoscaler_errors_total{" L ",kind=\"timeout\"}") == 1);
		free(m);
	}
	/* no temporaries left beside the files */
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 2", dir);
		assert_int_equal(system(cmd), 0);
	}
	fclose(log);
}

static void test_period_hook_waits(void **state)
{
	struct fake f = { 0 };
	struct cman_daemon_stats st;
	struct cman_daemon_opts o;
	struct timespec t0, t1;
	double el;

	(void)state;
	setenv("CMAN_LIVE_TEST_PERIOD_MS", "40", 1);
	o = opts(&f, stderr);
	o.max_cycles = 5;
	o.health_file = o.metrics_file = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cman_daemon_run(&o, &st, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	el = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* five slots 40 ms apart: at least four full periods, far below 60 s */
	assert_int_equal(f.calls, 5);
	assert_true(el >= 0.159);
	assert_true(el < 5.0);

	/* --once starts at once, even with a long period */
	setenv("CMAN_LIVE_TEST_PERIOD_MS", "600000", 1);
	memset(&f, 0, sizeof(f));
	o = opts(&f, stderr);
	o.once = true;
	o.health_file = o.metrics_file = NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cman_daemon_run(&o, &st, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(f.calls, 1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_int_equal(cman_daemon_exit_status(&o, &st), 0);
}

static void test_sigterm_in_mutating_cycle(void **state)
{
	static const enum action script[] = { A_OK, A_TERM_MUTATING, A_OK };
	struct fake f = { .script = script, .n = 3 };
	struct cman_daemon_stats st;
	struct cman_daemon_opts o;
	FILE *log = tmpfile();
	json_t *h;

	(void)state;
	setenv("CMAN_LIVE_TEST_PERIOD_MS", "0", 1);
	o = opts(&f, log);   /* unbounded: only the signal ends it */
	assert_int_equal(cman_daemon_run(&o, &st, NULL), 0);
	assert_int_equal(f.calls, 2);
	assert_true(f.finished_mutation);
	assert_int_equal(st.cycles, 2);
	assert_int_equal(st.ok, 2);
	assert_int_equal(st.abandoned, 0);
	assert_int_equal(st.stop_signal, SIGTERM);
	assert_int_equal(cman_daemon_exit_status(&o, &st), 0);
	/* the finished cycle is in the files */
	h = json_load_file(health, 0, NULL);
	assert_non_null(h);
	assert_int_equal(json_integer_value(json_object_get(h, "cycles")), 2);
	json_decref(h);
	/* the handler is gone again: SIGTERM ignored for the check */
	{
		struct sigaction cur;

		sigaction(SIGTERM, NULL, &cur);
		assert_ptr_equal(cur.sa_handler, SIG_DFL);
	}
	fclose(log);
}

static void test_sigterm_before_mutating(void **state)
{
	static const enum action script[] = { A_OK, A_TERM_BEFORE };
	struct fake f = { .script = script, .n = 2, .mutate_answer = true };
	struct cman_daemon_stats st;
	struct cman_daemon_opts o;
	char *log_text = NULL;
	size_t log_len = 0;
	FILE *log = open_memstream(&log_text, &log_len);
	json_t *h;

	(void)state;
	setenv("CMAN_LIVE_TEST_PERIOD_MS", "0", 1);
	o = opts(&f, log);
	assert_int_equal(cman_daemon_run(&o, &st, NULL), 0);
	fclose(log);
	assert_int_equal(f.calls, 2);
	assert_false(f.mutate_answer);
	assert_false(f.finished_mutation);
	assert_int_equal(st.cycles, 1);
	assert_int_equal(st.abandoned, 1);
	assert_int_equal(st.stop_signal, SIGTERM);
	assert_non_null(strstr(log_text, "abandoned"));
	/* the files still show the last finished cycle */
	h = json_load_file(health, 0, NULL);
	assert_non_null(h);
	assert_int_equal(json_integer_value(json_object_get(h, "cycles")), 1);
	json_decref(h);
	free(log_text);
}

static void test_second_signal_exits_at_once(void **state)
{
	static const enum action script[] = { A_TERM_TWICE };
	pid_t pid, grp = 0;
	int st, pfd[2];

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fake f = { .script = script, .n = 1 };
		struct cman_daemon_opts o = opts(&f, stderr);
		pid_t g = fork();

		if (g == 0) {   /* a "signal process" in its own group */
			setpgid(0, 0);
			execlp("sleep", "sleep", "60", (char *)NULL);
			_exit(127);
		}
		setpgid(g, g);
		cman_daemon_kill_on_exit(g);
		if (write(pfd[1], &g, sizeof(g)) != (ssize_t)sizeof(g))
			_exit(99);
		setenv("CMAN_LIVE_TEST_PERIOD_MS", "0", 1);
		cman_daemon_run(&o, NULL, NULL);
		_exit(f.finished_mutation ? 98 : 97);   /* not reached */
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &grp, sizeof(grp)), (ssize_t)sizeof(grp));
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 128 + SIGTERM);
	/* the registered group is killed */
	for (int i = 0; i < 200 && kill(-grp, 0) == 0; i++)
		usleep(10000);
	assert_int_equal(kill(-grp, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void test_sighup_reload(void **state)
{
	static const enum action script[] = { A_HUP, A_OK, A_HUP, A_OK };
	struct fake f = { .script = script, .n = 4 };
	struct cman_daemon_stats st;
	struct cman_daemon_opts o;
	char *log_text = NULL;
	size_t log_len = 0;
	FILE *log;

	(void)state;
	setenv("CMAN_LIVE_TEST_PERIOD_MS", "0", 1);
	/* a good reload */
	log = open_memstream(&log_text, &log_len);
	o = opts(&f, log);
	o.max_cycles = 4;
	f.new_period = 120;
	assert_int_equal(cman_daemon_run(&o, &st, NULL), 0);
	fclose(log);
	assert_int_equal(f.calls, 4);
	assert_int_equal(f.reloads, 2);
	assert_int_equal(st.reloads, 2);
	assert_int_equal(st.reload_failures, 0);
	assert_non_null(strstr(log_text, "configuration reloaded"));
	free(log_text);

	/* a bad new configuration: the old one stays, the loop goes on */
	memset(&f, 0, sizeof(f));
	f.script = script;
	f.n = 4;
	f.reload_rc = CMAN_EINVAL;
	log_text = NULL;
	log = open_memstream(&log_text, &log_len);
	o = opts(&f, log);
	o.max_cycles = 4;
	assert_int_equal(cman_daemon_run(&o, &st, NULL), 0);
	fclose(log);
	assert_int_equal(f.calls, 4);
	assert_int_equal(st.reload_failures, 2);
	assert_int_equal(st.ok, 4);
	assert_non_null(strstr(log_text, "keeping the previous configuration: "
			       "pool.mesos:3:5: bad setpoint"));
	free(log_text);
}

static void test_options(void **state)
{
	struct cman_daemon_opts o = { 0 };
	struct cman_error err = { 0 };
	char *a1[] = { "x", "--cycles", "3", "--health-file=/h", "--metrics-file", "/m",
		       "--other" };
	char *a2[] = { "x", "--once", "--cycles=2" };
	char *a3[] = { "x", "--cycles", "0" };
	char *a4[] = { "x", "--cycles" };
	char *a5[] = { "x", "--cycles", "-3" };
	int i;

	(void)state;
	i = 1;
	assert_int_equal(cman_daemon_option(&o, 7, a1, &i, &err), 1);
	assert_int_equal(i, 2);
	assert_int_equal(o.max_cycles, 3);
	i = 3;
	assert_int_equal(cman_daemon_option(&o, 7, a1, &i, &err), 1);
	assert_string_equal(o.health_file, "/h");
	i = 4;
	assert_int_equal(cman_daemon_option(&o, 7, a1, &i, &err), 1);
	assert_int_equal(i, 5);
	assert_string_equal(o.metrics_file, "/m");
	i = 6;
	assert_int_equal(cman_daemon_option(&o, 7, a1, &i, &err), 0);

	memset(&o, 0, sizeof(o));
	i = 1;
	assert_int_equal(cman_daemon_option(&o, 3, a2, &i, &err), 1);
	assert_true(o.once);
	i = 2;
	assert_int_equal(cman_daemon_option(&o, 3, a2, &i, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "exclude"));
	memset(&o, 0, sizeof(o));
	i = 1;
	assert_int_equal(cman_daemon_option(&o, 3, a3, &i, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "--cycles"));
	i = 1;
	assert_int_equal(cman_daemon_option(&o, 2, a4, &i, &err), CMAN_EINVAL);
	i = 1;
	assert_int_equal(cman_daemon_option(&o, 3, a5, &i, &err), CMAN_EINVAL);

	/* bad run options */
	o = (struct cman_daemon_opts){ .name = "x", .period_seconds = 0, .cycle = fake_cycle };
	assert_int_equal(cman_daemon_run(&o, NULL, &err), CMAN_EINVAL);
}

static void test_error_kinds(void **state)
{
	struct cman_error e = { 0 };

	(void)state;
	e.code = CMAN_ETHROTTLED;
	assert_int_equal(cman_daemon_error_kind(&e), CMAN_DERR_THROTTLING);
	e.code = CMAN_ETRANSIENT;
	assert_int_equal(cman_daemon_error_kind(&e), CMAN_DERR_5XX);
	e.code = CMAN_ETIMEOUT;
	assert_int_equal(cman_daemon_error_kind(&e), CMAN_DERR_TIMEOUT);
	e.code = CMAN_EREJECTED;
	assert_int_equal(cman_daemon_error_kind(&e), CMAN_DERR_OTHER);
	e.remote.http_status = 502;
	assert_int_equal(cman_daemon_error_kind(&e), CMAN_DERR_5XX);
	assert_string_equal(cman_daemon_err_kind_name(CMAN_DERR_5XX), "5xx");
	assert_string_equal(cman_daemon_err_kind_name(CMAN_DERR_SIGNAL), "signal");
}

static int setup(void **state)
{
	(void)state;
	if (!cman_test_mkdtemp(dir, sizeof(dir), "cman-daemon-"))
		return -1;
	snprintf(health, sizeof(health), "%s/health.json", dir);
	snprintf(metrics, sizeof(metrics), "%s/metrics.prom", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[700];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splay),
		cmocka_unit_test(test_cycles_and_files),
		cmocka_unit_test(test_period_hook_waits),
		cmocka_unit_test(test_sigterm_in_mutating_cycle),
		cmocka_unit_test(test_sigterm_before_mutating),
		cmocka_unit_test(test_second_signal_exits_at_once),
		cmocka_unit_test(test_sighup_reload),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_error_kinds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
