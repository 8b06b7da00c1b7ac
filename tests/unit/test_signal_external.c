/*
 * test_signal_external.c - external signals against real signal processes
 * (tests/signals/echo_signal.py and flaky_signal.py, run with python3 from
 * PATH): the parameters and metrics messages byte for byte, chunking,
 * reconnecting, failures, and stopping the command.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"

#include "cman/config.h"
#include "cman/err.h"
#include "cman/signal.h"
#include "cman/signal_external.h"

#define POOL "tpool"

/* One signal process with its own namespace, log and pid file. */
struct fx {
	char ns[64];
	char dir[128];
	char log[192];
	char pidf[192];
	char script[512];
	char *argv[24];
	struct cman_signal_config cfg;
	struct cman_node *params;
	struct cman_signal *sig;
};

static int counter;

static void fx_init(struct fx *f, const char *script, const char *params_yaml,
		    const char *const *extra)
{
	struct cman_error err = { 0 };
	size_t k = 0;

	memset(f, 0, sizeof(*f));
	snprintf(f->ns, sizeof(f->ns), "cmt%dx%d", (int)getpid(), counter++);
	assert_non_null(cman_test_mkdtemp(f->dir, sizeof(f->dir), "cman_extsig_"));
	snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
	snprintf(f->pidf, sizeof(f->pidf), "%s/pid", f->dir);
	snprintf(f->script, sizeof(f->script), "%s/tests/signals/%s", CMAN_SOURCE_DIR, script);
	f->argv[k++] = (char *)"python3";
	f->argv[k++] = f->script;
	f->argv[k++] = f->ns;
	f->argv[k++] = (char *)"sig";
	f->argv[k++] = (char *)POOL;
	f->argv[k++] = (char *)"--log";
	f->argv[k++] = f->log;
	f->argv[k++] = (char *)"--pid-file";
	f->argv[k++] = f->pidf;
	for (; extra && *extra; extra++)
		f->argv[k++] = (char *)*extra;
	f->argv[k] = NULL;
	f->cfg.name = (char *)"sig";
	f->cfg.external = true;
	f->cfg.namespace_ = f->ns;
	f->cfg.command = f->argv;
	f->cfg.period_minutes = 10;
	if (params_yaml) {
		struct cman_node *root = NULL;

		assert_int_equal(cman_yaml_load_string("params", params_yaml, &root, &err), 0);
		f->params = root;
		f->cfg.parameters = root;
	}
}

static void fx_release(struct fx *f)
{
	char extra[256];

	cman_signal_free(f->sig);
	f->sig = NULL;
	cman_node_free(f->params);
	snprintf(extra, sizeof(extra), "%s.extra", f->pidf);
	unlink(extra);
	unlink(f->log);
	unlink(f->pidf);
	rmdir(f->dir);
}

static void fx_start(struct fx *f)
{
	struct cman_error err = { 0 };
	int rc;

	/* python3 may take more than the default 10 s to start on a loaded
	 * machine; tests that need a short wait set their own value */
	setenv("CMAN_SIGNAL_CONNECT_TIMEOUT_MS", "120000", 0);
	rc = cman_signal_external_new(&f->cfg, "c1", POOL, &f->sig, &err);

	if (rc)
		fail_msg("cman_signal_external_new: %s", err.msg);
	assert_non_null(f->sig);
	assert_string_equal(f->sig->ops->kind, "external");
	assert_string_equal(f->sig->name, "sig");
}

/* The log's lines (caller frees lines[0] block via free(*buf)). */
static size_t read_lines(const char *path, char **buf, char **lines, size_t max)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0, len;
	long size;
	char *p;

	*buf = NULL;
	if (!fp)
		return 0;
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	*buf = calloc(1, (size_t)size + 1);
	assert_non_null(*buf);
	len = fread(*buf, 1, (size_t)size, fp);
	fclose(fp);
	(*buf)[len] = '\0';
	for (p = *buf; *p && n < max; n++) {
		char *nl = strchr(p, '\n');

		lines[n] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return n;
}

/* The pid a signal process wrote to path.  It writes it after it listens,
 * so it may not be there yet when we have connected: wait (up to 60 s). */
static pid_t read_pid(const char *path)
{
	int pid = 0, ms;

	for (ms = 0; ms < 60000 && pid <= 0; ms += 10) {
		FILE *fp = fopen(path, "r");

		if (fp) {
			if (fscanf(fp, "%d", &pid) != 1)
				pid = 0;
			fclose(fp);
		}
		if (pid <= 0)
			usleep(10 * 1000);
	}
	assert_true(pid > 0);
	return (pid_t)pid;
}

/* Lines in a file (0 when it does not exist). */
static size_t file_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;
	int c;

	if (!fp)
		return 0;
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

/* Wait (up to 60 s: a loaded machine is slow, never a fixed short sleep)
 * until the signal process has sent n extra bytes (flaky_signal.py's
 * --trailing/--chatty append a line to <pid file>.extra after each). */
static void wait_extra(const struct fx *f, size_t n)
{
	char path[256];
	int ms;

	snprintf(path, sizeof(path), "%s.extra", f->pidf);
	for (ms = 0; ms < 60000 && file_lines(path) < n; ms += 10)
		usleep(10 * 1000);
	assert_true(file_lines(path) >= n);
	usleep(20 * 1000);   /* and give the byte a moment in the socket */
}

/* Wait (up to 60 s) until process pid has exited: a zombie (our child, not
 * reaped yet) or gone. */
static void wait_exited(pid_t pid)
{
	char path[64], line[256];
	int ms;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (ms = 0; ms < 60000; ms += 10) {
		FILE *fp = fopen(path, "r");
		char *rp;

		if (!fp)
			return;
		rp = fgets(line, sizeof(line), fp) ? strrchr(line, ')') : NULL;
		fclose(fp);
		if (rp && (rp[2] == 'Z' || rp[2] == 'X'))
			return;
		usleep(10 * 1000);
	}
	fail_msg("process %d did not exit", (int)pid);
}

static void set_series(struct cman_series *se, const char *name, size_t n,
		       const int64_t *t, const double *v)
{
	memset(se, 0, sizeof(*se));
	snprintf(se->name, sizeof(se->name), "%s", name);
	se->n = se->cap = n;
	se->t = (int64_t *)t;
	se->v = (double *)v;
}

static int eval(struct fx *f, const struct cman_series *se, size_t n, int64_t now,
		struct cman_request *req, struct cman_error *err)
{
	struct cman_signal_input in = { .now = now, .series = se, .n_series = n };

	cman_error_clear(err);
	return cman_signal_evaluate(f->sig, &in, req, err);
}

static size_t count_prefix(char **lines, size_t n, const char *prefix)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += !strncmp(lines[i], prefix, strlen(prefix));
	return k;
}

/* ---- the messages ------------------------------------------------------ */

static void test_parameters_and_metrics(void **state)
{
	static const int64_t t1[] = { 100, 160 }, t2[] = { 100 };
	static const double v1[] = { 1.5, 3 }, v2[] = { 0.1 };
	struct cman_series se[2];
	struct cman_request req;
	struct cman_error err = { 0 };
	char *buf, *lines[8];
	size_t n;
	struct fx f;

	fx_init(&f, "echo_signal.py",
		"flavour: test\nn: 3\nneg: -2\nratio: 0.5\nbig: 1.0e+3\nflag: yes\noff: False\n"
		"s: \"10\"\nnothing: ~\nlist: [1, a, 2.5]\nnested: {x: 1, y: [true]}\n"
		"cluster: wrong\nword: 1.2.3\nutf: caf\xc3\xa9\n", NULL);
	fx_start(&f);
	set_series(&se[0], "cpus_allocated", 2, t1, v1);
	set_series(&se[1], "mem_allocated", 1, t2, v2);
	assert_int_equal(eval(&f, se, 2, 200, &req, &err), 0);
	assert_true(req.has[CMAN_RES_CPUS]);
	assert_true(req.v[CMAN_RES_CPUS] == 6.0);   /* 2 x the last cpus_allocated */
	assert_false(req.has[CMAN_RES_MEM]);
	assert_false(req.has[CMAN_RES_DISK]);
	assert_false(req.has[CMAN_RES_GPUS]);
	assert_int_equal(eval(&f, se, 1, 260, &req, &err), 0);

	n = read_lines(f.log, &buf, lines, 8);
	assert_int_equal(n, 3);
	assert_string_equal(lines[0],
			    "{\"parameters\": {\"flavour\": \"test\", \"n\": 3, \"neg\": -2, "
			    "\"ratio\": 0.5, \"big\": 1000.0, \"flag\": true, \"off\": false, "
			    "\"s\": \"10\", \"nothing\": null, \"list\": [1, \"a\", 2.5], "
			    "\"nested\": {\"x\": 1, \"y\": [true]}, \"cluster\": \"c1\", "
			    "\"word\": \"1.2.3\", \"utf\": \"caf\\u00e9\", \"pool\": \"" POOL "\"}}");
	assert_string_equal(lines[1],
			    "{\"metrics\": {\"cpus_allocated\": [[100, 1.5], [160, 3.0]], "
			    "\"mem_allocated\": [[100, 0.1]]}, \"timestamp\": 200}");
	assert_string_equal(lines[2],
			    "{\"metrics\": {\"cpus_allocated\": [[100, 1.5], [160, 3.0]]}, "
			    "\"timestamp\": 260}");
	free(buf);
	fx_release(&f);
}

static void test_message_format(void **state)
{
	/* series sharing a name are merged by (time, value); names escaped;
	 * numbers written as Python's repr writes floats */
	static const int64_t ta[] = { 1, 3 }, tb[] = { 2, 3, 4 }, tc[] = { 5, 6, 7, 8, 9 };
	static const double va[] = { 5, 1 }, vb[] = { 7, 0.5, -0.0 };
	static const double vc[] = { 1e16, 1e15, 1.5e-5, 0.1 + 0.2, 123456.789 };
	struct cman_series se[4];
	struct cman_request req;
	struct cman_error err = { 0 };
	char *buf, *lines[4];
	struct fx f;
	pid_t pid;

	fx_init(&f, "echo_signal.py", NULL, NULL);
	fx_start(&f);
	set_series(&se[0], "x", 2, ta, va);
	set_series(&se[1], "q\"\\\n\xc3\xa9\xf0\x9f\x98\x80", 5, tc, vc);
	set_series(&se[2], "x", 3, tb, vb);
	set_series(&se[3], "empty", 0, NULL, NULL);
	assert_int_equal(eval(&f, se, 4, -5, &req, &err), 0);
	assert_true(req.has[CMAN_RES_CPUS]);
	assert_true(req.v[CMAN_RES_CPUS] == 0.0);   /* 2 x -0.0, the last merged x */
	assert_int_equal(read_lines(f.log, &buf, lines, 4), 2);
	assert_string_equal(lines[0], "{\"parameters\": {\"cluster\": \"c1\", \"pool\": \"" POOL "\"}}");
	assert_string_equal(lines[1],
			    "{\"metrics\": {\"x\": [[1, 5.0], [2, 7.0], [3, 0.5], [3, 1.0], [4, -0.0]], "
			    "\"q\\\"\\\\\\n\\u00e9\\ud83d\\ude00\": [[5, 1e+16], [6, 1000000000000000.0], "
			    "[7, 1.5e-05], [8, 0.30000000000000004], [9, 123456.789]], "
			    "\"empty\": []}, \"timestamp\": -5}");
	free(buf);

	/* no samples: null, no opinion */
	assert_int_equal(eval(&f, &se[3], 1, 2, &req, &err), 0);
	assert_false(req.has[CMAN_RES_CPUS]);
	assert_int_equal(eval(&f, NULL, 0, 2, &req, &err), 0);
	assert_false(req.has[CMAN_RES_CPUS]);

	/* free() stops the process and reaps it */
	pid = read_pid(f.pidf);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, 0), 0);
	cman_signal_free(f.sig);
	f.sig = NULL;
	errno = 0;
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);   /* gone and reaped: no zombie */
	fx_release(&f);
}

static void test_answers(void **state)
{
	static const int64_t t[] = { 1 };
	static const double v[] = { 4 };
	struct cman_series se;
	struct cman_request req;
	struct cman_error err = { 0 };
	struct fx f;

	/* parameters["cpus"] wins over the metrics */
	fx_init(&f, "echo_signal.py", "cpus: 7.25", NULL);
	fx_start(&f);
	set_series(&se, "cpus_allocated", 1, t, v);
	assert_int_equal(eval(&f, &se, 1, 2, &req, &err), 0);
	assert_true(req.has[CMAN_RES_CPUS] && req.v[CMAN_RES_CPUS] == 7.25);
	fx_release(&f);

	/* an answer that is JSON but not a request: CMAN_EINVAL, still connected */
	fx_init(&f, "echo_signal.py", "cpus: lots", NULL);
	fx_start(&f);
	assert_int_equal(eval(&f, NULL, 0, 2, &req, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "external signal 'sig'"));
	assert_non_null(strstr(err.msg, "Resources.cpus"));
	assert_false(req.has[CMAN_RES_CPUS]);
	fx_release(&f);
}

static void test_big_payload(void **state)
{
	enum { N = 3000 };
	int64_t *t = malloc(N * sizeof(*t));
	double *v = malloc(N * sizeof(*v));
	char *expect = malloc(N * 32 + 128), *buf, *lines[4];
	struct cman_series se;
	struct cman_request req;
	struct cman_error err = { 0 };
	size_t len = 0;
	struct fx f;

	assert_non_null(t);
	assert_non_null(v);
	assert_non_null(expect);
	len += (size_t)sprintf(expect + len, "{\"metrics\": {\"m\": [");
	for (int i = 0; i < N; i++) {
		t[i] = 1000000 + i;
		v[i] = i * 0.25;
		if (i % 4 == 0)
			len += (size_t)sprintf(expect + len, "%s[%d, %d.0]", i ? ", " : "",
					       1000000 + i, i / 4);
		else
			len += (size_t)sprintf(expect + len, ", [%d, %g]", 1000000 + i, i * 0.25);
	}
	len += (size_t)sprintf(expect + len, "]}, \"timestamp\": 2000000}");
	assert_true(len > 10 * 4096);

	fx_init(&f, "echo_signal.py", NULL, NULL);
	fx_start(&f);
	set_series(&se, "m", N, t, v);
	assert_int_equal(eval(&f, &se, 1, 2000000, &req, &err), 0);
	assert_true(req.has[CMAN_RES_CPUS] && req.v[CMAN_RES_CPUS] == 2 * (N - 1) * 0.25);
	assert_int_equal(read_lines(f.log, &buf, lines, 4), 2);
	assert_string_equal(lines[1], expect);
	free(buf);
	fx_release(&f);
	free(t);
	free(v);
	free(expect);
}

/* ---- broken connections ------------------------------------------------ */

static void test_reconnect_once(void **state)
{
	static const char *const extra[] = { "--answers", "1", NULL };
	struct cman_request req;
	struct cman_error err = { 0 };
	char *buf, *lines[16];
	size_t n;
	struct fx f;

	/* the server closes every connection after one answer */
	fx_init(&f, "flaky_signal.py", "k: v", extra);
	fx_start(&f);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(eval(&f, NULL, 0, i, &req, &err), 0);
		assert_true(req.has[CMAN_RES_CPUS] && req.v[CMAN_RES_CPUS] == i);
	}
	n = read_lines(f.log, &buf, lines, 16);
	assert_int_equal(n, 6);
	assert_int_equal(count_prefix(lines, n, "{\"parameters\": {\"k\": \"v\", \"cluster\""), 3);
	assert_string_equal(lines[5], "{\"metrics\": {}, \"timestamp\": 3}");
	free(buf);
	fx_release(&f);
}

static void test_fail_after_two_drops(void **state)
{
	static const char *const extra[] = { "--answers", "0", NULL };
	struct cman_request req;
	struct cman_error err = { 0 };
	char *buf, *lines[16];
	char sock[128];
	struct fx f;

	fx_init(&f, "flaky_signal.py", NULL, extra);
	fx_start(&f);
	snprintf(sock, sizeof(sock), "'@%s-sig-" POOL "-socket'", f.ns);
	assert_int_equal(eval(&f, NULL, 0, 1, &req, &err), CMAN_EIO);
	assert_int_equal(err.code, CMAN_EIO);
	assert_non_null(strstr(err.msg, sock));
	assert_non_null(strstr(err.msg, "after reconnecting"));
	assert_non_null(strstr(err.msg, "closed the connection"));
	assert_false(req.has[CMAN_RES_CPUS]);
	/* the first connection and one reconnection */
	assert_int_equal(read_lines(f.log, &buf, lines, 16), 2);
	free(buf);
	/* still usable: the next evaluation tries again (and fails again) */
	assert_int_equal(eval(&f, NULL, 0, 2, &req, &err), CMAN_EIO);
	fx_release(&f);
}

static void test_server_died(void **state)
{
	static const char *const extra[] = { "--die-after", "1", NULL };
	struct cman_request req;
	struct cman_error err = { 0 };
	struct fx f;

	fx_init(&f, "flaky_signal.py", NULL, extra);
	fx_start(&f);
	assert_int_equal(eval(&f, NULL, 0, 1, &req, &err), 0);
	assert_true(req.v[CMAN_RES_CPUS] == 1);
	wait_exited(read_pid(f.pidf));   /* it stays a zombie until reaped */
	assert_int_equal(eval(&f, NULL, 0, 2, &req, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "after reconnecting: connecting:"));
	assert_non_null(strstr(err.msg, "exited with status 0"));
	fx_release(&f);
}

static void test_timeout(void **state)
{
	static const char *const extra[] = { "--hang", NULL };
	struct cman_request req;
	struct cman_error err = { 0 };
	struct fx f;

	setenv("CMAN_SIGNAL_TIMEOUT_MS", "300", 1);
	fx_init(&f, "flaky_signal.py", NULL, extra);
	fx_start(&f);
	assert_int_equal(eval(&f, NULL, 0, 1, &req, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "timed out after 300 ms"));
	/* a hung signal costs the timeout once, not once per connection */
	assert_null(strstr(err.msg, "after reconnecting"));
	fx_release(&f);
	unsetenv("CMAN_SIGNAL_TIMEOUT_MS");
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Issue 9.7: a dead signal is asked again only after a growing pause. */
static void test_backoff(void **state)
{
	static const char *const extra[] = { "--hang", NULL };
	/* after 3 timeouts in a row: skip 1, ask, skip 2, ask, skip 4, ask */
	static const bool asked[] = { 1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0 };
	struct cman_request req;
	struct cman_error err = { 0 };
	uint64_t skipped = 0;
	struct fx f;

	setenv("CMAN_SIGNAL_TIMEOUT_MS", "200", 1);
	fx_init(&f, "flaky_signal.py", NULL, extra);
	fx_start(&f);
	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
		double t0 = wall_now(), dt;

		assert_int_equal(eval(&f, NULL, 0, (int64_t)i, &req, &err), CMAN_EIO);
		dt = wall_now() - t0;
		if (asked[i]) {
			if (!strstr(err.msg, "timed out after 200 ms"))
				fail_msg("evaluation %zu: %s", i, err.msg);
			assert_true(dt >= 0.19);
		} else {
			skipped++;
			if (!strstr(err.msg, "not asked: it failed"))
				fail_msg("evaluation %zu: %s", i, err.msg);
			assert_true(dt < 0.1);
		}
		assert_int_equal(f.sig->skipped, skipped);
	}
	assert_non_null(strstr(err.msg, "failed 6 times in a row (back-off: 8 evaluations skipped"));
	fx_release(&f);
	unsetenv("CMAN_SIGNAL_TIMEOUT_MS");
}

/* Issue 9.7: an answer that never ends is cut off at the cap. */
static void test_answer_cap(void **state)
{
	static const char *const extra[] = { "--stream", NULL };
	struct cman_request req;
	struct cman_error err = { 0 };
	struct fx f;

	setenv("CMAN_SIGNAL_TIMEOUT_MS", "60000", 1);
	fx_init(&f, "flaky_signal.py", NULL, extra);
	fx_start(&f);
	assert_int_equal(eval(&f, NULL, 0, 1, &req, &err), CMAN_EIO);
	if (!strstr(err.msg, "the answer is longer than 1048576 bytes"))
		fail_msg("%s", err.msg);
	fx_release(&f);
	unsetenv("CMAN_SIGNAL_TIMEOUT_MS");
}

/* Issue 9.5: bytes that are not UTF-8 are shown escaped in the message. */
static void test_binary_answer(void **state)
{
	static const char *const extra[] = { "--binary", NULL };
	struct cman_request req;
	struct cman_error err = { 0 };
	struct fx f;

	fx_init(&f, "flaky_signal.py", NULL, extra);
	fx_start(&f);
	assert_int_equal(eval(&f, NULL, 0, 1, &req, &err), CMAN_EIO);
	if (!strstr(err.msg, "the answer is not a JSON object: '\\xff\\xfe\\xc3(not UTF-8)'"))
		fail_msg("%s", err.msg);
	for (const char *p = err.msg; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	fx_release(&f);
}

static void test_protocol_errors(void **state)
{
	static const char *const bad_ack[] = { "--bad-ack", NULL };
	static const char *const garbage[] = { "--garbage", NULL };
	static const char *const split[] = { "--split", NULL };
	static const char *const trailing[] = { "--trailing", NULL };
	static const char *const chatty[] = { "--chatty", NULL };
	static const char *const glued[] = { "--chatty", "--glued", NULL };
	static const char *const naive[] = { "--naive", NULL };
	struct cman_request req;
	struct cman_error err = { 0 };
	char *buf, *lines[8];
	struct fx f;

	/* a wrong ACK: no retry, but the next evaluation starts afresh */
	fx_init(&f, "flaky_signal.py", NULL, bad_ack);
	fx_start(&f);
	assert_int_equal(eval(&f, NULL, 0, 1, &req, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "expected the ACK byte 0x01 after the length, got 0x02"));
	assert_null(strstr(err.msg, "reconnecting"));
	assert_int_equal(read_lines(f.log, &buf, lines, 8), 1);
	free(buf);
	assert_int_equal(eval(&f, NULL, 0, 2, &req, &err), CMAN_EIO);
	assert_int_equal(read_lines(f.log, &buf, lines, 8), 2);
	free(buf);
	fx_release(&f);

	fx_init(&f, "flaky_signal.py", NULL, garbage);
	fx_start(&f);
	assert_int_equal(eval(&f, NULL, 0, 1, &req, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "not a JSON object: 'this is not JSON'"));
	fx_release(&f);

	/* a newline after each answer is fine; other bytes are not */
	fx_init(&f, "flaky_signal.py", NULL, trailing);
	fx_start(&f);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(eval(&f, NULL, 0, i, &req, &err), 0);
		assert_true(req.v[CMAN_RES_CPUS] == i);
		if (i == 2)
			wait_extra(&f, 2);   /* the newline waits in the socket */
	}
	assert_int_equal(read_lines(f.log, &buf, lines, 8), 4);   /* one connection */
	free(buf);
	fx_release(&f);

	fx_init(&f, "flaky_signal.py", NULL, chatty);
	fx_start(&f);
	assert_int_equal(eval(&f, NULL, 0, 1, &req, &err), 0);
	wait_extra(&f, 1);
	assert_int_equal(eval(&f, NULL, 0, 2, &req, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "unexpected byte 0x78 from the signal between evaluations"));
	fx_release(&f);

	/* the same byte arriving in the same read as the answer (as it may on
	 * a loaded machine): still reported at the next evaluation */
	fx_init(&f, "flaky_signal.py", NULL, glued);
	fx_start(&f);
	assert_int_equal(eval(&f, NULL, 0, 1, &req, &err), 0);
	assert_true(req.v[CMAN_RES_CPUS] == 1);
	assert_int_equal(eval(&f, NULL, 0, 2, &req, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "unexpected byte 0x78 from the signal between evaluations"));
	fx_release(&f);

	/* a signal that reads the unframed parameters with a single recv gets
	 * them alone even when the first evaluation follows at once */
	fx_init(&f, "flaky_signal.py", "p: 1", naive);
	fx_start(&f);
	assert_int_equal(eval(&f, NULL, 0, 1, &req, &err), 0);
	assert_true(req.v[CMAN_RES_CPUS] == 1);
	fx_release(&f);

	/* the ACK and the answer arriving in pieces */
	fx_init(&f, "flaky_signal.py", NULL, split);
	fx_start(&f);
	for (int i = 1; i <= 2; i++) {
		assert_int_equal(eval(&f, NULL, 0, i, &req, &err), 0);
		assert_true(req.has[CMAN_RES_CPUS] && req.v[CMAN_RES_CPUS] == i);
	}
	fx_release(&f);
}

/* ---- starting and stopping --------------------------------------------- */

static void test_missing_socket(void **state)
{
	struct cman_signal_config cfg = { .name = (char *)"nobody", .external = true,
					  .namespace_ = (char *)"cmtnone", .period_minutes = 1 };
	struct cman_signal *s = (struct cman_signal *)&cfg;   /* must be reset */
	struct cman_error err = { 0 };
	char want[128];

	setenv("CMAN_SIGNAL_CONNECT_TIMEOUT_MS", "100", 1);
	snprintf(want, sizeof(want), "'@cmtnone-nobody-p%d-socket'", (int)getpid());
	char pool[32];
	snprintf(pool, sizeof(pool), "p%d", (int)getpid());
	assert_int_equal(cman_signal_external_new(&cfg, "c", pool, &s, &err), CMAN_EINVAL);
	assert_null(s);
	assert_int_equal(cman_exit_status(err.code), 2);
	assert_non_null(strstr(err.msg, "pool_config.autoscale_signal: cannot connect to external "
				    "signal socket"));
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, "nothing listens on it"));
	/* through cman_signal_new too */
	assert_int_equal(cman_signal_new(&cfg, "c", pool, &s, &err), CMAN_EINVAL);
	assert_null(s);
	unsetenv("CMAN_SIGNAL_CONNECT_TIMEOUT_MS");
}

static void test_bad_commands(void **state)
{
	char *exits[] = { (char *)"sh", (char *)"-c", (char *)"exit 3", NULL };
	char *missing[] = { (char *)"/nonexistent/cman-signal", NULL };
	char *silent[] = { (char *)"sleep", (char *)"30", NULL };
	struct cman_signal_config cfg = { .name = (char *)"bad", .external = true,
					  .namespace_ = (char *)"cmtbad", .period_minutes = 1 };
	struct cman_signal *s = NULL;
	struct cman_error err = { 0 };
	char pool[32];
	time_t t0;

	snprintf(pool, sizeof(pool), "p%d", (int)getpid());
	cfg.command = exits;
	assert_int_equal(cman_signal_external_new(&cfg, "c", pool, &s, &err), CMAN_EINVAL);
	assert_null(s);
	assert_non_null(strstr(err.msg, "the command 'sh' exited with status 3 before "
				    "opening it"));

	cfg.command = missing;
	assert_int_equal(cman_signal_external_new(&cfg, "c", pool, &s, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "cannot run '/nonexistent/cman-signal': No such file"));

	/* a command that never opens the socket is given up on, and stopped */
	setenv("CMAN_SIGNAL_CONNECT_TIMEOUT_MS", "200", 1);
	cfg.command = silent;
	t0 = time(NULL);
	assert_int_equal(cman_signal_external_new(&cfg, "c", pool, &s, &err), CMAN_EINVAL);
	assert_true(time(NULL) - t0 < 25);   /* not the sleep's 30 s: it was stopped */
	assert_non_null(strstr(err.msg, "the command 'sleep' did not open it within 200 ms"));
	unsetenv("CMAN_SIGNAL_CONNECT_TIMEOUT_MS");
}

static void test_bad_config(void **state)
{
	char longname[200];
	struct cman_signal_config cfg = { .name = (char *)"x", .external = true,
					  .period_minutes = 1 };
	struct cman_signal *s = NULL;
	struct cman_error err = { 0 };

	assert_int_equal(cman_signal_external_new(&cfg, "c", "p", &s, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "namespace"));
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	cfg.namespace_ = longname;
	assert_int_equal(cman_signal_external_new(&cfg, "c", "p", &s, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "too long"));
	cfg.namespace_ = (char *)"ns";
	assert_int_equal(cman_signal_external_new(&cfg, "c", "", &s, &err), CMAN_EINVAL);
	assert_null(s);
}

static void test_free_kills_stubborn_process(void **state)
{
	/* a signal process that ignores SIGTERM gets SIGKILL after 2 s */
	struct fx f;
	char code[512];
	pid_t pid;

	fx_init(&f, "echo_signal.py", NULL, NULL);
	snprintf(code, sizeof(code),
		 "import signal, socket, time\n"
		 "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
		 "s = socket.socket(socket.AF_UNIX)\n"
		 "s.bind('\\0%s-sig-" POOL "-socket')\n"
		 "s.listen(1)\n"
		 "open('%s', 'w').write('%%d' %% __import__('os').getpid())\n"
		 "c = s.accept()\n"
		 "time.sleep(60)\n", f.ns, f.pidf);
	f.argv[0] = (char *)"python3";
	f.argv[1] = (char *)"-c";
	f.argv[2] = code;
	f.argv[3] = NULL;
	fx_start(&f);
	pid = read_pid(f.pidf);
	assert_int_equal(kill(pid, 0), 0);
	cman_signal_free(f.sig);
	f.sig = NULL;
	errno = 0;
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	fx_release(&f);
}

static void test_free_stops_stopped_process(void **state)
{
	/* a stopped (SIGSTOP) signal process gets its SIGTERM, not the SIGKILL
	 * 2 s later: it is continued so that it can act on it */
	struct fx f;
	char code[768], mark[224];
	pid_t pid;

	fx_init(&f, "echo_signal.py", NULL, NULL);
	snprintf(mark, sizeof(mark), "%s.term", f.pidf);
	snprintf(code, sizeof(code),
		 "import os, signal, socket, time\n"
		 "def term(*a):\n"
		 "    open('%s', 'w').write('term')\n"
		 "    os._exit(0)\n"
		 "signal.signal(signal.SIGTERM, term)\n"
		 "s = socket.socket(socket.AF_UNIX)\n"
		 "s.bind('\\0%s-sig-" POOL "-socket')\n"
		 "s.listen(1)\n"
		 "open('%s', 'w').write('%%d' %% os.getpid())\n"
		 "c = s.accept()\n"
		 "time.sleep(60)\n", mark, f.ns, f.pidf);
	f.argv[0] = (char *)"python3";
	f.argv[1] = (char *)"-c";
	f.argv[2] = code;
	f.argv[3] = NULL;
	fx_start(&f);
	pid = read_pid(f.pidf);
	assert_int_equal(kill(pid, SIGSTOP), 0);
	cman_signal_free(f.sig);
	f.sig = NULL;
	errno = 0;
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(access(mark, F_OK), 0);   /* its SIGTERM handler ran */
	unlink(mark);
	fx_release(&f);
}

static void test_sigpipe_ignored(void **state)
{
	/* the peer vanishes between evaluations without being our child */
	static const int64_t t[] = { 1 };
	static const double v[] = { 2 };
	struct cman_series se;
	struct cman_request req;
	struct cman_error err = { 0 };
	struct cman_signal_config cfg;
	struct cman_signal *s = NULL;
	struct fx f;
	pid_t pid;

	fx_init(&f, "echo_signal.py", NULL, NULL);
	fx_start(&f);
	pid = read_pid(f.pidf);
	/* a second signal on the same socket, started by nobody */
	cfg = f.cfg;
	cfg.command = NULL;
	assert_int_equal(cman_signal_external_new(&cfg, "c1", POOL, &s, &err), 0);
	set_series(&se, "m", 1, t, v);
	{
		struct cman_signal_input in = { .now = 1, .series = &se, .n_series = 1 };

		/* the echo server serves one connection at a time: ours first */
		assert_int_equal(eval(&f, &se, 1, 1, &req, &err), 0);
		cman_signal_free(f.sig);   /* kills the server */
		f.sig = NULL;
		assert_int_equal(kill(pid, 0), -1);
		assert_int_equal(cman_signal_evaluate(s, &in, &req, &err), CMAN_EIO);
		assert_non_null(strstr(err.msg, "after reconnecting: connecting: Connection refused"));
	}
	cman_signal_free(s);
	fx_release(&f);
}


/* Issue 11: supervision restarts a command that crashed (at once the first
 * time, then after a back-off) or hung, in its process group, with its
 * socket identity in its environment. */
static void test_supervise(void **state)
{
	static const int64_t t[] = { 1 };
	static const double v[] = { 21 };
	struct cman_signal_proc p;
	struct cman_series se;
	struct cman_request req;
	struct cman_error err = { 0 };
	char shcmd[1400], envf[256], *buf = NULL, *lines[8];
	pid_t pid1, pid2, pid3;
	struct fx f;

	fx_init(&f, "echo_signal.py", NULL, NULL);
	/* through sh, which records the environment and execs the signal */
	snprintf(envf, sizeof(envf), "%s/env", f.dir);
	snprintf(shcmd, sizeof(shcmd),
		 "printf '%%s\\n' \"$CMAN_SIGNAL_NAME\" \"$CMAN_SIGNAL_NAMESPACE\" "
		 "\"$CMAN_SIGNAL_APP\" > %s; rm -f %s; exec python3 %s %s sig " POOL
		 " --log %s --pid-file %s", envf, f.pidf, f.script, f.ns, f.log, f.pidf);
	f.argv[0] = (char *)"sh";
	f.argv[1] = (char *)"-c";
	f.argv[2] = shcmd;
	f.argv[3] = NULL;
	setenv("CMAN_SIGNAL_NAME", "inherited", 1);
	setenv("CMAN_SIGNAL_RESTART_BACKOFF_MS", "300", 1);
	fx_start(&f);
	unsetenv("CMAN_SIGNAL_NAME");
	pid1 = read_pid(f.pidf);
	assert_int_equal(getpgid(pid1), pid1);   /* a group of its own */
	assert_int_equal(read_lines(envf, &buf, lines, 8), 3);
	assert_string_equal(lines[0], "sig");
	assert_string_equal(lines[1], f.ns);
	assert_string_equal(lines[2], POOL);
	free(buf);

	/* running: left alone */
	assert_int_equal(cman_signal_external_supervise(f.sig, &p, &err), 0);
	assert_int_equal(p.pid, pid1);
	assert_int_equal(p.starts, 1);
	assert_int_equal(p.restarts, 0);
	set_series(&se, "m", 1, t, v);
	assert_int_equal(eval(&f, &se, 1, 1, &req, &err), 0);

	/* crashed: restarted at once, and answers */
	kill(pid1, SIGKILL);
	wait_exited(pid1);
	if (cman_signal_external_supervise(f.sig, &p, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(p.crashes, 1);
	assert_int_equal(p.restarts, 1);
	assert_int_equal(p.starts, 2);
	assert_string_equal(p.last_exit, "was killed by signal 9");
	pid2 = read_pid(f.pidf);
	assert_true(pid2 != pid1);
	assert_int_equal(p.pid, pid2);
	assert_int_equal(eval(&f, &se, 1, 2, &req, &err), 0);
	assert_true(req.v[CMAN_RES_CPUS] == 42);

	/* crashed again within a minute: the restart waits 300 ms */
	assert_int_equal(kill(pid2, SIGKILL), 0);
	wait_exited(pid2);
	assert_int_equal(eval(&f, &se, 1, 3, &req, &err), CMAN_EIO);
	assert_int_equal(cman_signal_external_supervise(f.sig, &p, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "was killed by signal 9; restart in"));
	assert_true(p.backing_off);
	assert_int_equal(p.pid, 0);
	assert_int_equal(p.crashes, 2);
	assert_int_equal(cman_signal_external_supervise(f.sig, &p, &err), CMAN_EIO);
	assert_int_equal(p.crashes, 2);   /* the same exit, counted once */
	usleep(350 * 1000);
	assert_int_equal(cman_signal_external_supervise(f.sig, &p, &err), 0);
	assert_int_equal(p.restarts, 2);
	assert_false(p.backing_off);
	pid3 = read_pid(f.pidf);
	assert_true(pid3 != pid2);
	assert_int_equal(eval(&f, &se, 1, 4, &req, &err), 0);

	/* freeing kills the group */
	cman_signal_free(f.sig);
	f.sig = NULL;
	errno = 0;
	assert_int_equal(kill(-pid3, 0), -1);
	assert_int_equal(errno, ESRCH);
	unlink(envf);
	fx_release(&f);
	unsetenv("CMAN_SIGNAL_RESTART_BACKOFF_MS");
}

static void test_supervise_hang(void **state)
{
	static const char *const extra[] = { "--hang", NULL };
	struct cman_signal_proc p;
	struct cman_request req;
	struct cman_error err = { 0 };
	struct fx f;
	pid_t pid1, pid2;

	setenv("CMAN_SIGNAL_TIMEOUT_MS", "300", 1);
	fx_init(&f, "flaky_signal.py", NULL, extra);
	fx_start(&f);
	pid1 = read_pid(f.pidf);
	assert_int_equal(eval(&f, NULL, 0, 1, &req, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "timed out"));
	unlink(f.pidf);
	assert_int_equal(cman_signal_external_supervise(f.sig, &p, &err), 0);
	assert_int_equal(p.hangs, 1);
	assert_int_equal(p.crashes, 0);
	assert_int_equal(p.restarts, 1);
	assert_non_null(strstr(p.last_exit, "hung"));
	errno = 0;
	assert_int_equal(kill(pid1, 0), -1);   /* killed and reaped */
	pid2 = read_pid(f.pidf);
	assert_true(pid2 != pid1 && p.pid == pid2);
	/* a built-in signal or one without a command: nothing to do */
	{
		struct cman_signal *b = NULL;

		assert_int_equal(cman_signal_new(cman_signal_default_config(), "c", "p", &b, &err), 0);
		assert_int_equal(cman_signal_external_supervise(b, &p, &err), 0);
		assert_int_equal(p.pid, 0);
		cman_signal_free(b);
	}
	fx_release(&f);
	unsetenv("CMAN_SIGNAL_TIMEOUT_MS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parameters_and_metrics),
		cmocka_unit_test(test_message_format),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_big_payload),
		cmocka_unit_test(test_reconnect_once),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_answer_cap),
		cmocka_unit_test(test_binary_answer),
		cmocka_unit_test(test_fail_after_two_drops),
		cmocka_unit_test(test_server_died),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_protocol_errors),
		cmocka_unit_test(test_missing_socket),
		cmocka_unit_test(test_bad_commands),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_free_kills_stubborn_process),
		cmocka_unit_test(test_free_stops_stopped_process),
		cmocka_unit_test(test_sigpipe_ignored),
		cmocka_unit_test(test_supervise),
		cmocka_unit_test(test_supervise_hang),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
