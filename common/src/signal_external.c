/*
 * signal_external.c - external signals: a separate process, optionally
 * started by us, spoken to over Clusterman's abstract-Unix-socket protocol.
 *
 * What the protocol is, as Clusterman implements it (Yelp/clusterman):
 *  - clusterman/signals/external_signal.py, _connect_to_signal_process():
 *    connect(f"\0{signal_namespace}-{name}-{app}-socket"), then one plain
 *    send(json.dumps({"parameters": self.parameters}).encode()): the
 *    parameters message has no length prefix and is not ACKed.
 *  - clusterman/interfaces/signal.py, Signal.__init__(): parameters are the
 *    configured ones, then .update(cluster=..., pool=...), so cluster and
 *    pool override configured keys of the same name (keeping their place)
 *    and are otherwise appended in that order.
 *  - external_signal.py, evaluate(): json.dumps({"metrics": metrics,
 *    "timestamp": timestamp.timestamp}), send struct.pack(">I", len), recv
 *    must return exactly ACK = bytes([1]); the JSON is sent in slices of
 *    SOCKET_MESG_SIZE = 4096; the next recv must start with ACK, and the
 *    answer is the rest of that read or the next recv; json.loads(answer)
 *    ["Resources"].  On BrokenPipeError it reconnects once (resending the
 *    parameters) and retries with retry_on_broken_pipe=False.
 *  - clusterman/interfaces/signal.py, get_metrics_for_signal(): metrics are
 *    keyed by bare metric name, each a list of (timestamp, value) sorted
 *    oldest first; metrics of the same name are concatenated and sorted.
 *  - signals/run_signal.sh: a signal process is started as
 *    "python -m clusterman_signals.run NAMESPACE NAME APP".
 * We write the same bytes Python's json.dumps writes (separators ", " and
 * ": ", ensure_ascii escapes, float repr), and read the answer until a
 * complete JSON value has arrived instead of trusting a single recv.
 *
 * One difference on purpose: since the parameters message is not framed, a
 * signal process that reads it with one recv() could get the first length
 * prefix glued to it if both were sent back to back; before the first
 * evaluation on a connection we wait until the signal has read the
 * parameters (the socket's unread output, SIOCOUTQ, is 0), for at most
 * HELLO_GAP_MS.
 */
#include "cman/signal_external.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <linux/sockios.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cman/request.h"
#include "signal_int.h"

#define CHUNK 4096                     /* SOCKET_MESG_SIZE */
#define ACK 0x01
#define HELLO_GAP_MS 200
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_CONNECT_MS_COMMAND 60000   /* a loaded machine starts an interpreter slowly */
#define DEFAULT_CONNECT_MS_NO_COMMAND 1000
#define CONNECT_RETRY_MS 20
#define STOP_WAIT_MS 2000
#define WHY_MAX 384
#define BACKOFF_AFTER CMAN_SIGNAL_BACKOFF_AFTER
#define BACKOFF_MAX CMAN_SIGNAL_BACKOFF_MAX

struct buf {
	char *p;
	size_t len, cap;
};

struct ext_signal {
	struct cman_signal base;
	char addr[108];            /* socket name after the leading NUL */
	size_t addr_len;
	char *hello;               /* {"parameters": {...}} */
	size_t hello_len;
	int fd;                    /* -1: not connected */
	bool fresh;                /* connected, no evaluation sent yet */
	int64_t hello_ms;          /* when the parameters were sent */
	pid_t pid;                 /* started command (and its process group);
				      0: none or reaped */
	char exited[96];           /* "exited with status 1", once reaped */
	char **envp;               /* the command's environment (built once) */
	char *const *argv;         /* the command (cfg's), NULL: none */
	int connect_ms;            /* how long a (re)start may take to listen */
	/* supervision (cman_signal_external_supervise) */
	bool hung;                 /* the last evaluation timed out */
	int64_t started_ms;        /* when the command was last started */
	unsigned quick_fails;      /* restarts in a row that did not last */
	int64_t next_restart_ms;   /* back-off: no restart before this */
	bool down_counted;         /* the command's exit was counted */
	char last_down[96];        /* how it last went down */
	uint64_t starts, restarts, crashes, hangs;
	int timeout_ms;
	struct buf out;            /* the evaluation message, reused */
	struct buf in;             /* the answer, reused */
	size_t *cursor;            /* merge cursors, reused */
	size_t cursor_cap;
	unsigned fails;            /* failed evaluations in a row */
	unsigned skip;             /* evaluations still to skip (backing off) */
	unsigned pause;            /* the length of the current back-off */
	bool has_stray;            /* a non-blank byte came after the last answer */
	unsigned char stray;       /* ... in the same read: drain() reports it */
};

/* Result of one exchange step. */
enum xfer { XF_OK, XF_BROKEN, XF_TIMEOUT, XF_PROTO, XF_NOMEM };

/* ---- small helpers ----------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int env_ms(const char *name, int def)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 24L * 3600 * 1000)
		return def;
	return (int)v;
}

static int buf_reserve(struct buf *b, size_t extra)
{
	size_t cap;
	char *p;

	if (b->len + extra <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra)
		cap *= 2;
	if (!(p = realloc(b->p, cap)))
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n))
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

static int buf_str(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* A string as Python's json.dumps writes it (ensure_ascii). */
static int buf_jstr(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char tmp[16];

	if (buf_add(b, "\"", 1))
		return -1;
	while (*p) {
		unsigned c = *p, cp;
		int n, k;

		if (c < 0x80) {
			const char *esc = NULL;

			switch (c) {
			case '"': esc = "\\\""; break;
			case '\\': esc = "\\\\"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			default: break;
			}
			if (esc) {
				if (buf_str(b, esc))
					return -1;
			} else if (c < 0x20) {
				snprintf(tmp, sizeof(tmp), "\\u%04x", c);
				if (buf_str(b, tmp))
					return -1;
			} else if (buf_add(b, (const char *)p, 1)) {
				return -1;
			}
			p++;
			continue;
		}
		/* UTF-8: a bad sequence becomes U+FFFD, one byte consumed */
		n = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
		if (c >= 0xf5)
			n = 0;
		cp = n == 4 ? c & 0x07 : n == 3 ? c & 0x0f : c & 0x1f;
		for (k = 1; k < n; k++) {
			if ((p[k] & 0xc0) != 0x80)
				break;
			cp = (cp << 6) | (p[k] & 0x3f);
		}
		if (n == 0 || k < n || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			cp = 0xfffd;
			n = 1;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			snprintf(tmp, sizeof(tmp), "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
				 0xdc00 + (cp & 0x3ff));
		} else {
			snprintf(tmp, sizeof(tmp), "\\u%04x", cp);
		}
		if (buf_str(b, tmp))
			return -1;
		p += n;
	}
	return buf_add(b, "\"", 1);
}

/* A double as Python's repr (and so json.dumps) writes it. */
static int fmt_double(char *dst, size_t n, double v)
{
	if (isnan(v))
		return snprintf(dst, n, "NaN");
	if (isinf(v))
		return snprintf(dst, n, v > 0 ? "Infinity" : "-Infinity");
	if (v == floor(v) && fabs(v) < 1e16)
		return snprintf(dst, n, "%.1f", v);
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(dst, n, "%.*g", prec, v);
		if (strtod(dst, NULL) == v)
			break;
	}
	return (int)strlen(dst);
}

static int buf_double(struct buf *b, double v)
{
	char tmp[40];
	int n = fmt_double(tmp, sizeof(tmp), v);

	return buf_add(b, tmp, (size_t)n);
}

static int buf_int(struct buf *b, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);

	return buf_add(b, tmp, (size_t)n);
}

/* ---- parameters -------------------------------------------------------- */

/* YAML 1.1's booleans, as PyYAML (and so Clusterman's config) reads them. */
static int yaml_bool(const char *s)
{
	static const char *const yes[] = { "yes", "Yes", "YES", "true", "True", "TRUE",
					   "on", "On", "ON" };
	static const char *const no[] = { "no", "No", "NO", "false", "False", "FALSE",
					  "off", "Off", "OFF" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(s, yes[i]))
			return 1;
		if (!strcmp(s, no[i]))
			return 0;
	}
	return -1;
}

/* An unquoted scalar as JSON: number, boolean, null or string. */
static int buf_scalar(struct buf *b, const struct cman_node *n)
{
	const char *s = n->scalar ? n->scalar : "";
	const char *q;
	bool digit = false, other = false, intlike = true;
	int bv;

	if (n->null)
		return buf_str(b, "null");
	if (n->quoted)
		return buf_jstr(b, s);
	if ((bv = yaml_bool(s)) >= 0)
		return buf_str(b, bv ? "true" : "false");
	for (q = s; *q; q++) {
		if (*q >= '0' && *q <= '9')
			digit = true;
		else if ((*q == '+' || *q == '-') && q == s)
			;
		else if (strchr(".eE+-", *q))
			intlike = false;
		else
			other = true;
	}
	if (digit && !other) {
		char *end;

		if (intlike) {
			long long v;

			errno = 0;
			v = strtoll(s, &end, 10);
			if (!errno && !*end)
				return buf_int(b, v);
		}
		errno = 0;
		double d = strtod(s, &end);
		if (!*end && end != s && isfinite(d) && errno != ERANGE)
			return buf_double(b, d);
	}
	return buf_jstr(b, s);
}

static int buf_node(struct buf *b, const struct cman_node *n)
{
	switch (n->type) {
	case CMAN_NODE_SCALAR:
		return buf_scalar(b, n);
	case CMAN_NODE_MAP:
		if (buf_str(b, "{"))
			return -1;
		for (size_t i = 0; i < n->n; i++) {
			if ((i && buf_str(b, ", ")) || buf_jstr(b, n->keys[i]->scalar ? n->keys[i]->scalar : "") ||
			    buf_str(b, ": ") || buf_node(b, n->items[i]))
				return -1;
		}
		return buf_str(b, "}");
	case CMAN_NODE_SEQ:
		if (buf_str(b, "["))
			return -1;
		for (size_t i = 0; i < n->n; i++)
			if ((i && buf_str(b, ", ")) || buf_node(b, n->items[i]))
				return -1;
		return buf_str(b, "]");
	}
	return -1;
}

/* {"parameters": {<configured>, "cluster": c, "pool": p}} */
static int build_hello(struct buf *b, const struct cman_node *params,
		       const char *cluster, const char *pool)
{
	bool have_cluster = false, have_pool = false, any = false;

	if (buf_str(b, "{\"parameters\": {"))
		return -1;
	if (params && params->type == CMAN_NODE_MAP) {
		for (size_t i = 0; i < params->n; i++) {
			const char *k = params->keys[i]->scalar ? params->keys[i]->scalar : "";

			if ((any && buf_str(b, ", ")) || buf_jstr(b, k) || buf_str(b, ": "))
				return -1;
			any = true;
			if (!strcmp(k, "cluster")) {
				have_cluster = true;
				if (buf_jstr(b, cluster))
					return -1;
			} else if (!strcmp(k, "pool")) {
				have_pool = true;
				if (buf_jstr(b, pool))
					return -1;
			} else if (buf_node(b, params->items[i])) {
				return -1;
			}
		}
	}
	if (!have_cluster) {
		if ((any && buf_str(b, ", ")) || buf_str(b, "\"cluster\": ") || buf_jstr(b, cluster))
			return -1;
		any = true;
	}
	if (!have_pool) {
		if ((any && buf_str(b, ", ")) || buf_str(b, "\"pool\": ") || buf_jstr(b, pool))
			return -1;
	}
	return buf_str(b, "}}");
}

/* ---- the evaluation message -------------------------------------------- */

static int add_pair(struct buf *b, bool first, int64_t t, double v)
{
	if ((!first && buf_add(b, ", ", 2)) || buf_add(b, "[", 1) || buf_int(b, t) ||
	    buf_add(b, ", ", 2) || buf_double(b, v) || buf_add(b, "]", 1))
		return -1;
	return 0;
}

/* (t, v) ordering as Python sorts tuples; NaN values compare as equal. */
static bool pair_less(int64_t t1, double v1, int64_t t2, double v2)
{
	return t1 < t2 || (t1 == t2 && v1 < v2);
}

/* All samples of the series named like in->series[first], merged. */
static int add_metric(struct ext_signal *x, const struct cman_signal_input *in, size_t first)
{
	const char *name = in->series[first].name;
	struct buf *b = &x->out;
	size_t i, k = 0;
	bool start = true;

	if (buf_jstr(b, name) || buf_str(b, ": ["))
		return -1;
	for (i = first; i < in->n_series; i++)
		if (!strcmp(in->series[i].name, name))
			k++;
	if (k == 1) {
		const struct cman_series *se = &in->series[first];

		for (i = 0; i < se->n; i++, start = false)
			if (add_pair(b, start, se->t[i], se->v[i]))
				return -1;
		return buf_str(b, "]");
	}
	if (x->cursor_cap < in->n_series) {
		size_t *c = realloc(x->cursor, in->n_series * sizeof(*c));

		if (!c)
			return -1;
		x->cursor = c;
		x->cursor_cap = in->n_series;
	}
	memset(x->cursor, 0, in->n_series * sizeof(*x->cursor));
	for (;;) {
		size_t best = SIZE_MAX;

		for (i = first; i < in->n_series; i++) {
			const struct cman_series *se = &in->series[i];
			size_t c = x->cursor[i];

			if (strcmp(se->name, name) || c >= se->n)
				continue;
			if (best == SIZE_MAX ||
			    pair_less(se->t[c], se->v[c], in->series[best].t[x->cursor[best]],
				      in->series[best].v[x->cursor[best]]))
				best = i;
		}
		if (best == SIZE_MAX)
			break;
		if (add_pair(b, start, in->series[best].t[x->cursor[best]],
			     in->series[best].v[x->cursor[best]]))
			return -1;
		start = false;
		x->cursor[best]++;
	}
	return buf_str(b, "]");
}

/* {"metrics": {"name": [[t, v], ...], ...}, "timestamp": now} */
static int build_message(struct ext_signal *x, const struct cman_signal_input *in)
{
	bool any = false;

	x->out.len = 0;
	if (buf_str(&x->out, "{\"metrics\": {"))
		return -1;
	for (size_t i = 0; i < in->n_series; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (!strcmp(in->series[j].name, in->series[i].name))
				break;
		if (j < i)
			continue;   /* merged into the first of its name */
		if ((any && buf_str(&x->out, ", ")) || add_metric(x, in, i))
			return -1;
		any = true;
	}
	if (buf_str(&x->out, "}, \"timestamp\": ") || buf_int(&x->out, in->now) ||
	    buf_str(&x->out, "}"))
		return -1;
	return 0;
}

/* ---- the command ------------------------------------------------------- */

/* Has the command exited?  Reaps it and remembers how. */
static bool command_exited(struct ext_signal *x)
{
	int st;
	pid_t r;

	if (x->pid <= 0)
		return x->exited[0] != '\0';
	do
		r = waitpid(x->pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return false;
	if (r < 0)
		snprintf(x->exited, sizeof(x->exited), "is gone (%s)", strerror(errno));
	else if (WIFEXITED(st))
		snprintf(x->exited, sizeof(x->exited), "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(x->exited, sizeof(x->exited), "was killed by signal %d", WTERMSIG(st));
	else
		snprintf(x->exited, sizeof(x->exited), "exited");
	x->pid = 0;
	return true;
}

static void stop_command(struct ext_signal *x)
{
	int st;
	pid_t r;

	if (x->pid <= 0)
		return;
	/* the command's whole process group: a wrapper's children too */
	if (kill(-x->pid, SIGTERM) < 0)
		kill(x->pid, SIGTERM);
	/* a stopped process (SIGSTOP, a hang being debugged) only sees the
	 * SIGTERM once it runs again: without this it waits for the SIGKILL */
	if (kill(-x->pid, SIGCONT) < 0)
		kill(x->pid, SIGCONT);
	for (int waited = 0; waited < STOP_WAIT_MS; waited += 10) {
		r = waitpid(x->pid, &st, WNOHANG);
		if (r == x->pid || (r < 0 && errno != EINTR))
			goto out;
		sleep_ms(10);
	}
	kill(-x->pid, SIGKILL);
	kill(x->pid, SIGKILL);
	while (waitpid(x->pid, &st, 0) < 0 && errno == EINTR)
		;
out:
	kill(-x->pid, SIGKILL);   /* what is left of the group */
	x->pid = 0;
}

/* fork + exec argv; an exec failure comes back through a CLOEXEC pipe. */
static int start_command(struct ext_signal *x, char *const *argv, char *why, size_t n)
{
	pid_t parent = getpid(), pid;
	int pfd[2], e = 0, rc = 0;
	ssize_t got;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(why, n, "cannot start '%s': pipe: %s", argv[0], strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, n, "cannot start '%s': fork: %s", argv[0], strerror(errno));
		rc = -1;
		goto out;
	}
	if (pid == 0) {
		sigset_t none;
		int dn;

		close(pfd[0]);
		/* a process group of its own, stopped as a whole */
		setpgid(0, 0);
		/* die with us rather than keep a stale socket open */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if ((dn = open("/dev/null", O_RDONLY)) >= 0 && dn != 0) {
			dup2(dn, 0);
			close(dn);
		}
		dup2(2, 1);   /* keep our stdout clean */
		if (x->envp)
			execvpe(argv[0], argv, x->envp);
		else
			execvp(argv[0], argv);
		e = errno;
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	x->pid = pid;
	setpgid(pid, pid);   /* also here: no race with a kill of the group */
	x->started_ms = now_ms();
	x->starts++;
	x->down_counted = false;
	x->exited[0] = '\0';
	close(pfd[1]);
	pfd[1] = -1;
	do
		got = read(pfd[0], &e, sizeof(e));
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof(e)) {
		snprintf(why, n, "cannot run '%s': %s", argv[0], strerror(e));
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		x->pid = 0;
		rc = -1;
	}
out:
	close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	return rc;
}

/* ---- the connection ---------------------------------------------------- */

static void drop(struct ext_signal *x)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	x->fresh = false;
	x->has_stray = false;
}

/* One connection attempt: 0 or an errno. */
static int try_connect(struct ext_signal *x)
{
	struct sockaddr_un a;
	socklen_t len;
	int fd, e;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path + 1, x->addr, x->addr_len);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + x->addr_len);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&a, len) < 0) {
		e = errno;
		close(fd);
		return e;
	}
	x->fd = fd;
	return 0;
}

/* Wait for fd to be ready for events until deadline: 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static enum xfer send_all(struct ext_signal *x, const void *data, size_t len,
			  int64_t deadline, const char *what, char *why, size_t n)
{
	const char *p = data;

	while (len) {
		ssize_t w = send(x->fd, p, len, MSG_NOSIGNAL);
		int r;

		if (w >= 0) {
			p += w;
			len -= (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(why, n, "%s: %s", what, strerror(errno));
			return XF_BROKEN;
		}
		r = wait_fd(x->fd, POLLOUT, deadline);
		if (r == 0) {
			snprintf(why, n, "%s: timed out after %d ms", what, x->timeout_ms);
			return XF_TIMEOUT;
		}
		if (r < 0) {
			snprintf(why, n, "%s: poll: %s", what, strerror(errno));
			return XF_BROKEN;
		}
	}
	return XF_OK;
}

/* Read at least one byte (at most cap) into dst. */
static enum xfer recv_some(struct ext_signal *x, void *dst, size_t cap, size_t *got,
			   int64_t deadline, const char *what, char *why, size_t n)
{
	for (;;) {
		ssize_t r = recv(x->fd, dst, cap, 0);
		int w;

		if (r > 0) {
			*got = (size_t)r;
			return XF_OK;
		}
		if (r == 0) {
			snprintf(why, n, "%s: the signal closed the connection", what);
			return XF_BROKEN;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(why, n, "%s: %s", what, strerror(errno));
			return XF_BROKEN;
		}
		w = wait_fd(x->fd, POLLIN, deadline);
		if (w == 0) {
			snprintf(why, n, "%s: timed out after %d ms", what, x->timeout_ms);
			return XF_TIMEOUT;
		}
		if (w < 0) {
			snprintf(why, n, "%s: poll: %s", what, strerror(errno));
			return XF_BROKEN;
		}
	}
}

/* Connect (one attempt) and send the parameters. */
static enum xfer connect_hello(struct ext_signal *x, int64_t deadline, char *why, size_t n)
{
	enum xfer rc;
	int e = try_connect(x);

	if (e) {
		if (command_exited(x))
			snprintf(why, n, "connecting: %s (the signal command %s)", strerror(e),
				 x->exited);
		else
			snprintf(why, n, "connecting: %s", strerror(e));
		return XF_BROKEN;
	}
	rc = send_all(x, x->hello, x->hello_len, deadline, "sending the parameters", why, n);
	if (rc != XF_OK) {
		drop(x);
		return rc;
	}
	x->fresh = true;
	x->hello_ms = now_ms();
	return XF_OK;
}

/*
 * Bytes of an answer shown in a message: printable ASCII as is, anything
 * else as \xNN, so that what a signal sends never puts control bytes or
 * invalid UTF-8 into messages (and from there into JSON files).
 */
static void snippet(char *dst, size_t n, const char *src, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 <= n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, n - o, "\\x%02x", c);
	}
	dst[o] = '\0';
}

/* How far scan_json() got, kept across reads. */
struct scan {
	size_t pos;
	int depth;
	bool started, in_str, esc;
};

/*
 * Where the JSON value starting at b->p[st->pos] (after whitespace) ends:
 * the index one past it, 0 while it is incomplete, SIZE_MAX if it is not
 * an object or array.  Only strings, escapes and nesting are tracked;
 * json_loadb() checks the rest.
 */
static size_t scan_json(const struct buf *b, struct scan *st)
{
	for (; st->pos < b->len; st->pos++) {
		char c = b->p[st->pos];

		if (!st->started) {
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
				continue;
			if (c != '{' && c != '[')
				return SIZE_MAX;
			st->started = true;
			st->depth = 1;
			continue;
		}
		if (st->in_str) {
			if (st->esc)
				st->esc = false;
			else if (c == '\\')
				st->esc = true;
			else if (c == '"')
				st->in_str = false;
			continue;
		}
		if (c == '"') {
			st->in_str = true;
		} else if (c == '{' || c == '[') {
			st->depth++;
		} else if ((c == '}' || c == ']') && --st->depth == 0) {
			st->pos++;
			return st->pos;
		}
	}
	return 0;
}

/*
 * Before an evaluation on a connection used before: whitespace the signal
 * sent after its last answer (a trailing newline) is dropped, and a
 * connection the signal has closed since is dropped so that a fresh one is
 * made; anything else waiting to be read is a protocol error.
 */
static enum xfer drain(struct ext_signal *x, char *why, size_t n)
{
	char tmp[256];

	if (x->has_stray) {
		x->has_stray = false;
		snprintf(why, n, "unexpected byte 0x%02x from the signal between evaluations",
			 x->stray);
		return XF_PROTO;
	}
	for (;;) {
		ssize_t r = recv(x->fd, tmp, sizeof(tmp), MSG_DONTWAIT);

		if (r > 0) {
			for (ssize_t i = 0; i < r; i++) {
				if (!strchr(" \t\r\n", tmp[i]) || !tmp[i]) {
					snprintf(why, n, "unexpected byte 0x%02x from the signal "
						 "between evaluations", (unsigned char)tmp[i]);
					return XF_PROTO;
				}
			}
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return XF_OK;
		drop(x);   /* closed or reset: start afresh */
		return XF_OK;
	}
}

/* One evaluation on the current connection (connecting first if needed). */
static enum xfer exchange(struct ext_signal *x, json_t **answer, char *why, size_t n)
{
	int64_t deadline = now_ms() + x->timeout_ms;
	uint32_t len = (uint32_t)x->out.len;
	unsigned char hdr[4] = { len >> 24, len >> 16, len >> 8, len };
	unsigned char ack = 0;
	struct scan st = { 0 };
	json_error_t jerr;
	size_t got, end;
	enum xfer rc;

	if (x->fd >= 0 && !x->fresh && (rc = drain(x, why, n)) != XF_OK)
		return rc;
	if (x->fd < 0 && (rc = connect_hello(x, deadline, why, n)) != XF_OK)
		return rc;
	if (x->fresh) {
		/* until the signal has read the parameters (nothing of ours left
		 * unread in the socket), for at most HELLO_GAP_MS */
		int queued = 0;

		while (ioctl(x->fd, SIOCOUTQ, &queued) == 0 && queued > 0 &&
		       now_ms() < x->hello_ms + HELLO_GAP_MS)
			sleep_ms(1);
		x->fresh = false;
	}
	if ((rc = send_all(x, hdr, 4, deadline, "sending the length", why, n)) != XF_OK)
		return rc;
	do {   /* whitespace left over from the last answer is skipped */
		if ((rc = recv_some(x, &ack, 1, &got, deadline,
				    "waiting for the ACK of the length", why, n)) != XF_OK)
			return rc;
	} while (ack == ' ' || ack == '\t' || ack == '\r' || ack == '\n');
	if (ack != ACK) {
		snprintf(why, n, "expected the ACK byte 0x01 after the length, got 0x%02x", ack);
		return XF_PROTO;
	}
	for (size_t off = 0; off < x->out.len; off += CHUNK) {
		size_t k = x->out.len - off < CHUNK ? x->out.len - off : CHUNK;

		if ((rc = send_all(x, x->out.p + off, k, deadline, "sending the metrics", why,
				   n)) != XF_OK)
			return rc;
	}
	x->in.len = 0;
	for (;;) {
		if (x->in.len > CMAN_SIGNAL_ANSWER_MAX) {
			snprintf(why, n, "the answer is longer than %d bytes (the limit) and still "
				 "incomplete", CMAN_SIGNAL_ANSWER_MAX);
			return XF_PROTO;
		}
		if (buf_reserve(&x->in, CHUNK))
			return XF_NOMEM;
		if ((rc = recv_some(x, x->in.p + x->in.len, CHUNK, &got, deadline,
				    x->in.len ? "reading the answer" : "waiting for the ACK of the metrics",
				    why, n)) != XF_OK)
			return rc;
		if (!x->in.len && (unsigned char)x->in.p[0] != ACK) {
			snprintf(why, n, "expected the ACK byte 0x01 after the metrics, got 0x%02x",
				 (unsigned char)x->in.p[0]);
			return XF_PROTO;
		}
		if (!x->in.len)
			st.pos = 1;   /* the answer starts after the ACK */
		x->in.len += got;
		end = scan_json(&x->in, &st);
		if (end == SIZE_MAX) {
			size_t k = x->in.len - st.pos < 40 ? x->in.len - st.pos : 40;
			char shown[4 * 40 + 1];

			snippet(shown, sizeof(shown), x->in.p + st.pos, k);
			snprintf(why, n, "the answer is not a JSON object: '%s'", shown);
			return XF_PROTO;
		}
		if (end)
			break;
	}
	/* Bytes read together with the answer but after it: blanks are fine,
	 * anything else is reported at the next evaluation, exactly as if it
	 * had arrived in a read of its own (drain()). */
	x->has_stray = false;
	for (size_t i = end; i < x->in.len; i++) {
		if (!strchr(" \t\r\n", x->in.p[i]) || !x->in.p[i]) {
			x->has_stray = true;
			x->stray = (unsigned char)x->in.p[i];
			break;
		}
	}
	*answer = json_loadb(x->in.p + 1, end - 1, 0, &jerr);
	if (!*answer) {
		char shown[4 * sizeof(jerr.text)];

		snippet(shown, sizeof(shown), jerr.text, strlen(jerr.text));
		snprintf(why, n, "the answer is not valid JSON: %s", shown);
		return XF_PROTO;
	}
	return XF_OK;
}

static const struct cman_signal_ops ext_ops;

/*
 * The command's environment: ours, with CMAN_SIGNAL_NAME, CMAN_SIGNAL_NAMESPACE
 * and CMAN_SIGNAL_APP set to this signal's (replacing inherited ones).  Built
 * before any fork (no allocation in the child).  0 or -1 (out of memory).
 */
static int build_env(struct ext_signal *x, const struct cman_signal_config *cfg,
		     const char *app)
{
	extern char **environ;
	const char *own[3][2] = {
		{ "CMAN_SIGNAL_NAME", cfg->name },
		{ "CMAN_SIGNAL_NAMESPACE", cfg->namespace_ },
		{ "CMAN_SIGNAL_APP", app },
	};
	size_t n = 0, k = 0;

	for (char **e = environ; e && *e; e++)
		n++;
	if (!(x->envp = calloc(n + 4, sizeof(char *))))
		return -1;
	for (char **e = environ; e && *e; e++) {
		bool skip = false;

		for (int i = 0; i < 3; i++) {
			size_t l = strlen(own[i][0]);

			if (!strncmp(*e, own[i][0], l) && (*e)[l] == '=')
				skip = true;
		}
		if (!skip && !(x->envp[k++] = strdup(*e)))
			return -1;
	}
	for (int i = 0; i < 3; i++) {
		size_t l = strlen(own[i][0]) + strlen(own[i][1]) + 2;

		if (!(x->envp[k] = malloc(l)))
			return -1;
		snprintf(x->envp[k++], l, "%s=%s", own[i][0], own[i][1]);
	}
	return 0;
}

/*
 * Wait (up to x->connect_ms) until the socket accepts a connection, then
 * send the parameters.  0, or -1 with why: nothing listens, the command
 * exited, the parameters could not be sent.
 */
static int open_socket(struct ext_signal *x, char *why, size_t n)
{
	int64_t deadline = now_ms() + x->connect_ms;
	int e;

	for (;;) {
		e = try_connect(x);
		if (!e)
			break;
		if (e != ECONNREFUSED && e != ENOENT && e != EAGAIN) {
			snprintf(why, n, "%s", strerror(e));
		} else if (x->argv && command_exited(x)) {
			snprintf(why, n, "the command '%s' %s before opening it", x->argv[0],
				 x->exited);
		} else if (now_ms() >= deadline) {
			if (x->argv)
				snprintf(why, n, "the command '%s' did not open it within %d ms",
					 x->argv[0], x->connect_ms);
			else
				snprintf(why, n, "%s (nothing listens on it; waited %d ms)",
					 strerror(e), x->connect_ms);
		} else {
			sleep_ms(CONNECT_RETRY_MS);
			continue;
		}
		return -1;
	}
	if (send_all(x, x->hello, x->hello_len, now_ms() + x->timeout_ms,
		     "sending the parameters", why, n) != XF_OK) {
		drop(x);
		return -1;
	}
	x->fresh = true;
	x->hello_ms = now_ms();
	return 0;
}

/* ---- supervision -------------------------------------------------------- */

static void proc_report(const struct ext_signal *x, struct cman_signal_proc *p)
{
	p->pid = x->pid;
	p->starts = x->starts;
	p->restarts = x->restarts;
	p->crashes = x->crashes;
	p->hangs = x->hangs;
	snprintf(p->last_exit, sizeof(p->last_exit), "%s", x->last_down);
	p->backing_off = x->pid <= 0 && x->next_restart_ms > now_ms();
}

int cman_signal_external_supervise(struct cman_signal *s, struct cman_signal_proc *p,
				   struct cman_error *err)
{
	struct ext_signal *x = (struct ext_signal *)s;
	struct cman_signal_proc dummy;
	char why[WHY_MAX];
	int64_t now, base;
	int rc = 0;

	if (!p)
		p = &dummy;
	memset(p, 0, sizeof(*p));
	if (!s || s->ops != &ext_ops || !x->argv)
		return 0;
	if (x->pid > 0 && x->hung) {
		/* the last evaluation timed out: a hung process is replaced */
		drop(x);
		stop_command(x);
		snprintf(x->exited, sizeof(x->exited), "hung (an evaluation timed out after "
			 "%d ms) and was killed", x->timeout_ms);
		x->hangs++;
		x->down_counted = true;
		memcpy(x->last_down, x->exited, sizeof(x->last_down));
		x->next_restart_ms = 0;
		x->quick_fails = 0;   /* it lasted until it hung: restart at once */
	} else if (x->pid > 0 && !command_exited(x)) {
		goto out;   /* running */
	}
	x->hung = false;
	now = now_ms();
	if (!x->down_counted) {
		/* the exit is new (reaped here or by an evaluation).  A command
		 * that ran for less than a minute failed quickly: the restarts
		 * back off 0, 1, 2, 4, ... 64 times CMAN_SIGNAL_RESTART_BACKOFF_MS
		 * (default 1000) */
		x->down_counted = true;
		x->crashes++;
		memcpy(x->last_down, x->exited, sizeof(x->last_down));
		base = env_ms("CMAN_SIGNAL_RESTART_BACKOFF_MS", 1000);
		if (now - x->started_ms < 60000)
			x->quick_fails++;
		else
			x->quick_fails = 1;
		x->next_restart_ms = now;
		if (x->quick_fails > 1)
			x->next_restart_ms += base << (x->quick_fails - 2 > 6 ? 6 :
						      x->quick_fails - 2);
	}
	if (now < x->next_restart_ms) {
		rc = cman_error_set(err, CMAN_EIO,
				    "external signal '%s': its command %s; restart in %" PRId64
				    " ms (back-off)", s->name, x->exited, x->next_restart_ms - now);
		goto out;
	}
	drop(x);
	x->restarts++;
	if (start_command(x, x->argv, why, sizeof(why)) || open_socket(x, why, sizeof(why))) {
		stop_command(x);
		snprintf(x->exited, sizeof(x->exited), "did not restart");
		rc = cman_error_set(err, CMAN_EIO, "external signal '%s': restarting its command: %s",
				    s->name, why);
		goto out;
	}
	/* a fresh process is asked again at once */
	x->fails = 0;
	x->skip = 0;
	x->pause = 0;
out:
	proc_report(x, p);
	return rc;
}

/* ---- the signal -------------------------------------------------------- */

static int ext_evaluate(struct cman_signal *s, const struct cman_signal_input *in,
			struct cman_request *out, struct cman_error *err)
{
	struct ext_signal *x = (struct ext_signal *)s;
	char why1[WHY_MAX], why2[WHY_MAX];
	json_t *answer = NULL;
	bool skipped = false;
	enum xfer r;
	int rc = 0;

	if (x->skip) {
		skipped = true;
		x->skip--;
		s->skipped++;
		rc = cman_error_set(err, CMAN_EIO,
				    "external signal '%s' on socket '@%s': not asked: it failed "
				    "%u times in a row (back-off: %u evaluation%s skipped before the "
				    "next attempt)", s->name, x->addr, x->fails, x->pause,
				    x->pause == 1 ? "" : "s");
		goto out;
	}
	if (build_message(x, in)) {
		rc = cman_error_set(err, CMAN_ENOMEM, "external signal '%s': out of memory",
				    s->name);
		goto out;
	}
	r = exchange(x, &answer, why1, sizeof(why1));
	if (r == XF_BROKEN) {
		/* Clusterman's retry_on_broken_pipe: one fresh connection */
		drop(x);
		r = exchange(x, &answer, why2, sizeof(why2));
		if (r == XF_BROKEN) {
			drop(x);
			rc = cman_error_set(err, CMAN_EIO,
					    "external signal '%s' on socket '@%s': %s; after "
					    "reconnecting: %s", s->name, x->addr, why1, why2);
			goto out;
		}
		memcpy(why1, why2, sizeof(why1));
	}
	if (r == XF_TIMEOUT) {
		x->hung = true;
		/* no second try: a signal that hangs would cost the timeout twice */
		drop(x);
		rc = cman_error_set(err, CMAN_EIO, "external signal '%s' on socket '@%s': %s",
				    s->name, x->addr, why1);
		goto out;
	}
	if (r == XF_NOMEM) {
		rc = cman_error_set(err, CMAN_ENOMEM, "external signal '%s': out of memory",
				    s->name);
		drop(x);
		goto out;
	}
	if (r == XF_PROTO) {
		drop(x);   /* out of step: the next evaluation starts afresh */
		rc = cman_error_set(err, CMAN_EIO, "external signal '%s' on socket '@%s': %s",
				    s->name, x->addr, why1);
		goto out;
	}
	rc = cman_request_from_json(answer, out, err);
	if (rc)
		cman_error_prefix(err, "external signal '%s'", s->name);
out:
	json_decref(answer);
	if (!rc) {
		x->fails = 0;
		x->hung = false;
	} else if (rc != CMAN_ENOMEM && !skipped) {
		/* after BACKOFF_AFTER failures in a row, skip 1, 2, 4, ... (at most
		 * BACKOFF_MAX) evaluations before asking again */
		x->fails++;
		if (x->fails >= BACKOFF_AFTER) {
			unsigned k = x->fails - BACKOFF_AFTER;

			x->skip = k >= 5 ? BACKOFF_MAX : 1u << k;
			if (x->skip > BACKOFF_MAX)
				x->skip = BACKOFF_MAX;
			x->pause = x->skip;
		}
	}
	return rc;
}

static void ext_free(struct cman_signal *s)
{
	struct ext_signal *x = (struct ext_signal *)s;

	if (!x)
		return;
	drop(x);
	stop_command(x);
	free(x->hello);
	if (x->envp)
		for (char **e = x->envp; *e; e++)
			free(*e);
	free(x->envp);
	free(x->out.p);
	free(x->in.p);
	free(x->cursor);
	free(x);
}

static const struct cman_signal_ops ext_ops = {
	.kind = "external",
	.evaluate = ext_evaluate,
	.free = ext_free,
};

int cman_signal_external_new(const struct cman_signal_config *cfg,
			     const char *cluster, const char *pool,
			     struct cman_signal **out, struct cman_error *err)
{
	struct ext_signal *x = NULL;
	struct buf hello = { 0 };
	char why[WHY_MAX];
	int rc = 0, n;

	*out = NULL;
	if (!cfg || !cfg->external || !cfg->name || !*cfg->name || !cfg->namespace_ ||
	    !*cfg->namespace_) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    CMAN_SIGNAL_PATH ": an external signal needs a name and a "
				    "namespace");
		goto out;
	}
	if (!cluster)
		cluster = "";
	if (!pool || !*pool) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    CMAN_SIGNAL_PATH ": an external signal needs a pool name");
		goto out;
	}
	if (!(x = calloc(1, sizeof(*x)))) {
		rc = cman_error_set(err, CMAN_ENOMEM, CMAN_SIGNAL_PATH ": out of memory");
		goto out;
	}
	x->base.ops = &ext_ops;
	x->base.cfg = cfg;
	snprintf(x->base.name, sizeof(x->base.name), "%s", cfg->name);
	x->fd = -1;
	x->timeout_ms = env_ms("CMAN_SIGNAL_TIMEOUT_MS", DEFAULT_TIMEOUT_MS);
	n = snprintf(x->addr, sizeof(x->addr), "%s-%s-%s-socket", cfg->namespace_, cfg->name,
		     pool);
	/* sun_path holds 108 bytes, the first being the abstract-name NUL */
	if (n < 0 || (size_t)n >= sizeof(x->addr) - 1) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    CMAN_SIGNAL_PATH ": external signal socket name '@%s-%s-%s-socket' "
				    "is too long (at most 106 bytes)", cfg->namespace_, cfg->name,
				    pool);
		goto out;
	}
	x->addr_len = (size_t)n;
	if (build_hello(&hello, cfg->parameters, cluster, pool)) {
		rc = cman_error_set(err, CMAN_ENOMEM, CMAN_SIGNAL_PATH ": out of memory");
		goto out;
	}
	x->hello = hello.p;
	x->hello_len = hello.len;
	hello.p = NULL;

	if (cfg->command && cfg->command[0]) {
		x->argv = cfg->command;
		if (build_env(x, cfg, pool)) {
			rc = cman_error_set(err, CMAN_ENOMEM, CMAN_SIGNAL_PATH ": out of memory");
			goto out;
		}
		if (start_command(x, cfg->command, why, sizeof(why))) {
			rc = cman_error_set(err, CMAN_EINVAL,
					    CMAN_SIGNAL_PATH ": cannot connect to external signal "
					    "socket '@%s': %s", x->addr, why);
			goto out;
		}
		x->connect_ms = env_ms("CMAN_SIGNAL_CONNECT_TIMEOUT_MS", DEFAULT_CONNECT_MS_COMMAND);
	} else {
		x->connect_ms = env_ms("CMAN_SIGNAL_CONNECT_TIMEOUT_MS",
				       DEFAULT_CONNECT_MS_NO_COMMAND);
	}
	if (open_socket(x, why, sizeof(why))) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    CMAN_SIGNAL_PATH ": cannot connect to external signal socket "
				    "'@%s': %s", x->addr, why);
		goto out;
	}
	*out = &x->base;
	x = NULL;
out:
	free(hello.p);
	if (x)
		ext_free(&x->base);
	return rc;
}
