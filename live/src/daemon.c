/*
 * daemon.c - the daemons' loop: splay, signals, health and metrics files
 * (cman/live/daemon.h).
 */
#include "cman/live/daemon.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cman/fsutil.h"

#define MAX_GROUPS 16

/* Set by the handlers; read by the loop. */
static volatile sig_atomic_t g_stop;        /* the first stop signal, or 0 */
static volatile sig_atomic_t g_hup;
static volatile sig_atomic_t g_groups[MAX_GROUPS];

struct cman_daemon {
	struct cman_daemon_opts o;
	struct cman_daemon_stats st;
	FILE *log;
	bool mutating;             /* the running cycle was allowed to mutate */
	bool abandoned;            /* ... or was told not to */
	/* the last finished cycle */
	bool have_last;
	int64_t last_now;
	double last_duration;
	const char *last_outcome;
	char last_error[CMAN_ERRMSG_MAX];
	int last_kind;             /* -1: none */
	bool paused;
	double target, fulfilled, max_capacity;
	int64_t next_cycle;        /* UTC seconds, 0: unknown */
	/* opts.load_data: -1 not said yet, 0 the last cycle that said had
	 * none, 1 it had some; since when there is none, and why */
	int load_data;
	int64_t no_load_since;
	char no_load_why[CMAN_ERRMSG_MAX];
};

static const char *kind_names[CMAN_DERR_COUNT] = {
	"throttling", "5xx", "timeout", "signal", "other",
};

const char *cman_daemon_err_kind_name(enum cman_daemon_err_kind k)
{
	return (unsigned)k < CMAN_DERR_COUNT ? kind_names[k] : "other";
}

enum cman_daemon_err_kind cman_daemon_error_kind(const struct cman_error *err)
{
	if (!err)
		return CMAN_DERR_OTHER;
	switch (err->code) {
	case CMAN_ETHROTTLED:
		return CMAN_DERR_THROTTLING;
	case CMAN_ETRANSIENT:
		return CMAN_DERR_5XX;
	case CMAN_ETIMEOUT:
		return CMAN_DERR_TIMEOUT;
	default:
		break;
	}
	if (err->remote.http_status >= 500 && err->remote.http_status < 600)
		return CMAN_DERR_5XX;
	return CMAN_DERR_OTHER;
}

/* ---- options ------------------------------------------------------------ */

static int opt_value(int argc, char **argv, int *i, const char *name, const char **val,
		     struct cman_error *err)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (!strcmp(a, name)) {
		if (*i + 1 >= argc || !argv[*i + 1][0])
			return cman_error_set(err, CMAN_EINVAL, "%s needs a value", name);
		*val = argv[++*i];
		return 1;
	}
	if (!strncmp(a, name, n) && a[n] == '=') {
		if (!a[n + 1])
			return cman_error_set(err, CMAN_EINVAL, "%s needs a value", name);
		*val = a + n + 1;
		return 1;
	}
	return 0;
}

int cman_daemon_option(struct cman_daemon_opts *o, int argc, char **argv, int *i,
		       struct cman_error *err)
{
	const char *v = NULL;
	char *end;
	unsigned long long n;
	int r;

	if (!strcmp(argv[*i], "--once")) {
		if (o->max_cycles && !o->once)
			return cman_error_set(err, CMAN_EINVAL,
					      "--once and --cycles exclude each other");
		o->once = true;
		o->max_cycles = 1;
		return 1;
	}
	if ((r = opt_value(argc, argv, i, "--cycles", &v, err)) != 0) {
		if (r < 0)
			return r;
		if (o->once)
			return cman_error_set(err, CMAN_EINVAL,
					      "--once and --cycles exclude each other");
		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno || *end || v[0] == '-' || n == 0)
			return cman_error_set(err, CMAN_EINVAL,
					      "--cycles: '%s' is not a whole number of cycles "
					      "(expected an integer >= 1)", v);
		o->max_cycles = (uint64_t)n;
		return 1;
	}
	if ((r = opt_value(argc, argv, i, "--health-file", &o->health_file, err)) != 0)
		return r;
	if ((r = opt_value(argc, argv, i, "--metrics-file", &o->metrics_file, err)) != 0)
		return r;
	return 0;
}

/* ---- clocks and the splay -------------------------------------------------- */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t fnv_add(uint64_t h, const char *s)
{
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int64_t cman_daemon_splay_ms(const char *name, const char *cluster, const char *pool,
			     int64_t period_ms)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	if (period_ms <= 0)
		return 0;
	h = fnv_add(h, name);
	h = fnv_add(h, ":");
	h = fnv_add(h, cluster);
	h = fnv_add(h, ":");
	h = fnv_add(h, pool);
	return (int64_t)(h % (uint64_t)period_ms);
}

/* The test hook: CMAN_LIVE_TEST_PERIOD_MS, or -1 when unset or invalid. */
static int64_t test_period_ms(void)
{
	const char *s = getenv("CMAN_LIVE_TEST_PERIOD_MS");
	char *end;
	long long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0 || v > 7LL * 24 * 3600 * 1000)
		return -1;
	return v;
}

/* The first slot strictly after `after` (ms, wall clock). */
static int64_t next_slot(int64_t after, int64_t period, int64_t offset)
{
	int64_t base, t;

	if (period <= 0)
		return after;
	base = after - ((after % period) + period) % period;   /* floor to the period */
	t = base + offset;
	while (t <= after)
		t += period;
	return t;
}

/* ---- signals ---------------------------------------------------------------- */

static void kill_groups(void)
{
	for (int i = 0; i < MAX_GROUPS; i++) {
		pid_t g = (pid_t)g_groups[i];

		if (g > 0)
			kill(-g, SIGKILL);
	}
}

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		g_hup = 1;
		return;
	}
	if (g_stop) {
		static const char msg[] = "clusterman-live: second stop signal: exiting at once\n";
		ssize_t w = write(2, msg, sizeof(msg) - 1);

		(void)w;
		kill_groups();
		_exit(128 + sig);
	}
	g_stop = sig;
}

void cman_daemon_kill_on_exit(pid_t pgid)
{
	if (pgid <= 0)
		return;
	for (int i = 0; i < MAX_GROUPS; i++)
		if (g_groups[i] == pgid)
			return;
	for (int i = 0; i < MAX_GROUPS; i++)
		if (g_groups[i] == 0) {
			g_groups[i] = pgid;
			return;
		}
}

void cman_daemon_forget_group(pid_t pgid)
{
	for (int i = 0; i < MAX_GROUPS; i++)
		if (pgid > 0 && g_groups[i] == pgid)
			g_groups[i] = 0;
}

/*
 * Wait until wall-clock ms `until`, or a stop or reload signal.  The
 * signals are blocked while the flags are checked and unblocked atomically
 * by ppoll, so one arriving between the check and the wait is not missed.
 */
static void wait_until(int64_t until)
{
	sigset_t block, old;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (;;) {
		int64_t left = until - wall_ms();
		struct timespec ts;

		if (g_stop || g_hup || left <= 0)
			break;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		ppoll(NULL, 0, &ts, &old);   /* EINTR when a handler ran */
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- the cycle's callbacks' helpers ---------------------------------------- */

bool cman_daemon_may_mutate(struct cman_daemon *d)
{
	if (d->mutating)
		return true;
	if (g_stop) {
		d->abandoned = true;
		return false;
	}
	d->mutating = true;
	return true;
}

bool cman_daemon_stopping(const struct cman_daemon *d)
{
	(void)d;
	return g_stop != 0;
}

void cman_daemon_count_error(struct cman_daemon *d, enum cman_daemon_err_kind k)
{
	if ((unsigned)k >= CMAN_DERR_COUNT)
		k = CMAN_DERR_OTHER;
	d->st.errors[k]++;
}

void cman_daemon_set_period(struct cman_daemon *d, int64_t period_seconds)
{
	if (period_seconds > 0)
		d->o.period_seconds = period_seconds;
}

const struct cman_daemon_opts *cman_daemon_opts(const struct cman_daemon *d)
{
	return &d->o;
}

/* ---- files ---------------------------------------------------------------- */

static void logf_(struct cman_daemon *d, const char *fmt, const char *a, const char *b)
{
	fprintf(d->log, "%s: ", d->o.prog ? d->o.prog : "clusterman-live");
	fprintf(d->log, fmt, a, b);
	fputc('\n', d->log);
	fflush(d->log);
}

static void iso_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "%lld", (long long)t);
}

static void write_health(struct cman_daemon *d)
{
	struct cman_atomic_file f;
	struct cman_error err = { 0 };
	json_t *o = NULL;
	char iso[40];
	const char *status;

	if (!d->o.health_file)
		return;
	status = !d->have_last ? "starting" :
		 !strcmp(d->last_outcome, "failed") ? "failing" : "ok";
	o = json_pack("{s:s, s:s, s:s?, s:I, s:s, s:I, s:I, s:I, s:b}",
		      "name", d->o.name ? d->o.name : "daemon",
		      "cluster", d->o.cluster ? d->o.cluster : "",
		      "pool", d->o.pool,
		      "pid", (json_int_t)getpid(),
		      "status", status,
		      "consecutive_failures", (json_int_t)d->st.consecutive_failures,
		      "cycles", (json_int_t)d->st.cycles,
		      "failures", (json_int_t)d->st.failed,
		      "dry_run", d->o.dry_run);
	if (!o)
		goto nomem;
	if (d->have_last) {
		iso_time(d->last_now, iso, sizeof(iso));
		if (json_object_set_new(o, "last_cycle", json_integer(d->last_now)) ||
		    json_object_set_new(o, "last_cycle_time", json_string(iso)) ||
		    json_object_set_new(o, "outcome", json_string(d->last_outcome)) ||
		    json_object_set_new(o, "error", d->last_kind >= 0 ?
					json_string(d->last_error) : json_null()) ||
		    json_object_set_new(o, "error_kind", d->last_kind >= 0 ?
					json_string(kind_names[d->last_kind]) : json_null()))
			goto nomem;
	} else if (json_object_set_new(o, "last_cycle", json_null()) ||
		   json_object_set_new(o, "outcome", json_null())) {
		goto nomem;
	}
	if (json_object_set_new(o, "next_cycle", d->next_cycle ?
				json_integer(d->next_cycle) : json_null()))
		goto nomem;
	if (d->o.load_data) {
		json_t *w = json_array();

		if (!w || json_object_set_new(o, "warnings", w))
			goto nomem;
		if (json_object_set_new(o, "load_data", d->load_data < 0 ? json_null()
					: json_boolean(d->load_data)) ||
		    json_object_set_new(o, "no_load_data_since", d->load_data == 0
					? json_integer(d->no_load_since) : json_null()) ||
		    json_object_set_new(o, "cycles_without_load_data",
					json_integer((json_int_t)d->st.no_load_streak)))
			goto nomem;
		if (d->load_data == 0 &&
		    json_array_append_new(w, json_pack("{s:s, s:s, s:I}", "kind", "no_load_data",
						       "message", d->no_load_why, "since",
						       (json_int_t)d->no_load_since)))
			goto nomem;
	}
	if (cman_atomic_open(&f, d->o.health_file, &err))
		goto fail;
	if (json_dumpf(o, f.fp, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) ||
	    fputc('\n', f.fp) == EOF) {
		cman_atomic_abort(&f);
		cman_error_set(&err, CMAN_EIO, "%s: cannot write", d->o.health_file);
		goto fail;
	}
	if (cman_atomic_commit(&f, &err))
		goto fail;
	json_decref(o);
	return;
nomem:
	cman_error_set(&err, CMAN_ENOMEM, "out of memory");
fail:
	json_decref(o);
	logf_(d, "warning: health file not written: %s%s", err.msg, "");
}

/* A label value with \, " and newline escaped (Prometheus text format). */
static void put_label(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', fp);
		if (*s == '\n') {
			fputs("\\n", fp);
			continue;
		}
		fputc(*s, fp);
	}
}

static void put_labels(FILE *fp, const struct cman_daemon *d, const char *key,
		       const char *val)
{
	fputs("{cluster=\"", fp);
	put_label(fp, d->o.cluster ? d->o.cluster : "");
	fputc('"', fp);
	if (d->o.pool) {
		fputs(",pool=\"", fp);
		put_label(fp, d->o.pool);
		fputc('"', fp);
	}
	if (key) {
		fprintf(fp, ",%s=\"", key);
		put_label(fp, val);
		fputc('"', fp);
	}
	fputc('}', fp);
}

static void metric_head(FILE *fp, const struct cman_daemon *d, const char *m,
			const char *type, const char *help)
{
	fprintf(fp, "# HELP clusterman_%s_%s %s\n# TYPE clusterman_%s_%s %s\n",
		d->o.name, m, help, d->o.name, m, type);
}

static void metric_val(FILE *fp, const struct cman_daemon *d, const char *m,
		       const char *key, const char *val, double v)
{
	fprintf(fp, "clusterman_%s_%s", d->o.name, m);
	put_labels(fp, d, key, val);
	if (v == floor(v) && fabs(v) < 9.0e15)
		fprintf(fp, " %.0f\n", v);
	else
		fprintf(fp, " %.17g\n", v);
}

static void gauge(FILE *fp, const struct cman_daemon *d, const char *m, const char *help,
		  double v)
{
	if (isnan(v))
		return;
	metric_head(fp, d, m, "gauge", help);
	metric_val(fp, d, m, NULL, NULL, v);
}

static void write_metrics(struct cman_daemon *d)
{
	struct cman_atomic_file f;
	struct cman_error err = { 0 };
	FILE *fp;

	if (!d->o.metrics_file)
		return;
	if (cman_atomic_open(&f, d->o.metrics_file, &err))
		goto fail;
	fp = f.fp;
	gauge(fp, d, "cycle_duration_seconds", "Duration of the last finished cycle.",
	      d->have_last ? d->last_duration : NAN);
	gauge(fp, d, "last_cycle_timestamp_seconds",
	      "UTC time (the cycle's now) of the last finished cycle.",
	      d->have_last ? (double)d->last_now : NAN);
	metric_head(fp, d, "cycles_total", "counter", "Finished cycles by outcome.");
	metric_val(fp, d, "cycles_total", "outcome", "ok", (double)d->st.ok);
	metric_val(fp, d, "cycles_total", "outcome", "paused", (double)d->st.paused);
	metric_val(fp, d, "cycles_total", "outcome", "failed", (double)d->st.failed);
	metric_head(fp, d, "errors_total", "counter",
		    "Errors by kind (failed cycles and errors a cycle carried on after).");
	for (int k = 0; k < CMAN_DERR_COUNT; k++)
		metric_val(fp, d, "errors_total", "kind", kind_names[k], (double)d->st.errors[k]);
	gauge(fp, d, "consecutive_failures", "Failed cycles in a row.",
	      (double)d->st.consecutive_failures);
	gauge(fp, d, "paused", "1 when the last cycle found the pool paused.",
	      d->paused ? 1 : 0);
	gauge(fp, d, "dry_run", "1 when the daemon changes nothing (no --execute).",
	      d->o.dry_run ? 1 : 0);
	gauge(fp, d, "target_capacity", "Target capacity decided by the last cycle.",
	      d->target);
	gauge(fp, d, "fulfilled_capacity", "Fulfilled capacity seen by the last cycle.",
	      d->fulfilled);
	gauge(fp, d, "max_capacity", "The pool's max_capacity.", d->max_capacity);
	if (d->o.load_data) {
		gauge(fp, d, "no_load_data", "1 when the last cycle had no load data (the "
		      "signal requested nothing: the target was kept).", d->load_data == 0);
		metric_head(fp, d, "cycles_without_load_data_total", "counter",
			    "Cycles that had no load data.");
		metric_val(fp, d, "cycles_without_load_data_total", NULL, NULL,
			   (double)d->st.no_load_cycles);
	}
	if (d->o.metrics)
		d->o.metrics(d->o.ctx, fp);
	if (ferror(fp)) {
		cman_atomic_abort(&f);
		cman_error_set(&err, CMAN_EIO, "%s: cannot write", d->o.metrics_file);
		goto fail;
	}
	if (cman_atomic_commit(&f, &err))
		goto fail;
	return;
fail:
	logf_(d, "warning: metrics file not written: %s%s", err.msg, "");
}

/* ---- the loop ---------------------------------------------------------------- */

static void do_reload(struct cman_daemon *d)
{
	struct cman_error err = { 0 };

	g_hup = 0;
	if (!d->o.reload) {
		logf_(d, "SIGHUP: this command has nothing to reload%s%s", "", "");
		return;
	}
	if (d->o.reload(d->o.ctx, d, &err)) {
		d->st.reload_failures++;
		logf_(d, "SIGHUP: keeping the previous configuration: %s%s",
		      err.msg[0] ? err.msg : cman_strerror(err.code), "");
		return;
	}
	d->st.reloads++;
	logf_(d, "SIGHUP: configuration reloaded%s%s", "", "");
}

static void run_cycle(struct cman_daemon *d, uint64_t index)
{
	struct cman_daemon_cycle c = {
		.now = wall_ms() / 1000, .index = index,
		.target = NAN, .fulfilled = NAN, .max_capacity = NAN, .load_data = -1,
	};
	struct cman_error err = { 0 };
	char when[40];
	double t0 = mono_s();
	int rc, kind;

	d->mutating = false;
	d->abandoned = false;
	rc = d->o.cycle(d->o.ctx, d, &c, &err);
	if (d->abandoned) {
		d->st.abandoned++;
		iso_time(c.now, when, sizeof(when));
		logf_(d, "cycle at %s abandoned: stop requested before it changed "
		      "anything%s", when, "");
		return;
	}
	d->have_last = true;
	d->last_now = c.now;
	d->last_duration = mono_s() - t0;
	d->st.cycles++;
	d->paused = c.paused;
	d->target = c.target;
	d->fulfilled = c.fulfilled;
	if (!isnan(c.max_capacity))
		d->max_capacity = c.max_capacity;
	if (d->o.load_data && c.load_data >= 0) {
		if (c.load_data) {
			d->st.no_load_streak = 0;
		} else {
			if (d->load_data != 0)
				d->no_load_since = c.now;
			d->st.no_load_cycles++;
			d->st.no_load_streak++;
			snprintf(d->no_load_why, sizeof(d->no_load_why), "%s",
				 c.no_load_why ? c.no_load_why : "no load data");
		}
		d->load_data = c.load_data != 0;
	}
	if (rc) {
		kind = c.kind_set ? (int)c.kind : (int)cman_daemon_error_kind(&err);
		if (kind < 0 || kind >= CMAN_DERR_COUNT)
			kind = CMAN_DERR_OTHER;
		d->st.failed++;
		d->st.errors[kind]++;
		d->st.consecutive_failures++;
		d->last_outcome = "failed";
		d->last_kind = kind;
		snprintf(d->last_error, sizeof(d->last_error), "%s",
			 err.msg[0] ? err.msg : cman_strerror(rc));
		iso_time(c.now, when, sizeof(when));
		fprintf(d->log, "%s: cycle at %s failed (%s): %s\n",
			d->o.prog ? d->o.prog : "clusterman-live", when, kind_names[kind],
			d->last_error);
		fflush(d->log);
	} else {
		d->st.consecutive_failures = 0;
		d->last_kind = -1;
		d->last_error[0] = '\0';
		if (c.paused) {
			d->st.paused++;
			d->last_outcome = "paused";
		} else {
			d->st.ok++;
			d->last_outcome = "ok";
		}
	}
}

int cman_daemon_run(const struct cman_daemon_opts *o, struct cman_daemon_stats *stats,
		    struct cman_error *err)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa, old[3];
	struct cman_daemon *d;
	int64_t tp, period_ms, offset, slot, now_ms;
	uint64_t index = 0;
	bool bounded;

	if (stats)
		memset(stats, 0, sizeof(*stats));
	if (!o || !o->cycle || o->period_seconds <= 0 || !o->name || !*o->name)
		return cman_error_set(err, CMAN_EINVAL,
				      "daemon: a name, a cycle and a period > 0 are needed");
	if (!(d = calloc(1, sizeof(*d))))
		return cman_error_set(err, CMAN_ENOMEM, "daemon: out of memory");
	d->o = *o;
	if (d->o.once)
		d->o.max_cycles = 1;
	bounded = d->o.max_cycles > 0;
	d->log = o->log ? o->log : stderr;
	d->last_kind = -1;
	d->load_data = -1;
	d->target = d->fulfilled = d->max_capacity = NAN;

	g_stop = 0;
	g_hup = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;   /* no SA_RESTART: a handler interrupts waits */
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);

	tp = test_period_ms();
	period_ms = tp >= 0 ? tp : d->o.period_seconds * 1000;
	offset = cman_daemon_splay_ms(d->o.name, d->o.cluster, d->o.pool, period_ms);
	now_ms = wall_ms();
	slot = d->o.once ? now_ms : next_slot(now_ms - 1, period_ms, offset);
	d->next_cycle = (slot + 999) / 1000;
	write_health(d);

	while (!g_stop && (!bounded || index < d->o.max_cycles)) {
		wait_until(slot);
		if (g_stop)
			break;
		if (g_hup) {
			int64_t before = d->o.period_seconds;

			do_reload(d);
			if (d->o.period_seconds != before && tp < 0) {
				period_ms = d->o.period_seconds * 1000;
				offset = cman_daemon_splay_ms(d->o.name, d->o.cluster, d->o.pool,
							      period_ms);
				slot = next_slot(wall_ms() - 1, period_ms, offset);
			}
			if (wall_ms() < slot)
				continue;   /* woken early by SIGHUP: wait for the slot */
		}
		run_cycle(d, index++);
		/* the next slot after this cycle's end: an overrun skips slots */
		slot = next_slot(period_ms > 0 ? wall_ms() : slot, period_ms, offset);
		d->next_cycle = bounded && index >= d->o.max_cycles ? 0 : (slot + 999) / 1000;
		if (!d->abandoned) {
			write_health(d);
			write_metrics(d);
		}
	}
	d->st.stop_signal = g_stop;
	if (g_stop) {
		fprintf(d->log, "%s: stopped by signal %d after %llu cycle(s)\n",
			d->o.prog ? d->o.prog : "clusterman-live", (int)g_stop,
			(unsigned long long)d->st.cycles);
		fflush(d->log);
	}
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (stats)
		*stats = d->st;
	g_stop = 0;
	g_hup = 0;
	free(d);
	return 0;
}

int cman_daemon_exit_status(const struct cman_daemon_opts *o,
			    const struct cman_daemon_stats *stats)
{
	if (!o || !stats || !(o->once || o->max_cycles))
		return 0;
	return stats->consecutive_failures > 0 ? 1 : 0;
}
