/*
 * mesos.c - the Mesos cluster connector and the maintenance calls of the
 * master's v1 operator API (see mesos.h).
 */
#include "cman/live/mesos.h"
#include "cman/live/http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* Messages are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define URL_MAX 1200
#define MAX_WAIT_MS 30000L

static const char *const res_names[CMAN_RES_COUNT] = {"cpus", "mem", "disk", "gpus"};

struct id_index {
	const char *id;
	size_t agent;
};

/* Everything one reload learnt; replaced whole, never patched. */
struct snapshot {
	struct cman_mesos_agent *agents;   /* sorted by IP ("" last) */
	size_t n_agents;
	struct id_index *by_id;            /* agents sorted by id */
	struct cman_mesos_framework *fw;
	size_t n_fw;
	char **strs;                       /* every string the above point to */
	size_t n_strs, cap_strs;
	double total[CMAN_RES_COUNT], used[CMAN_RES_COUNT];
	size_t unaddressed, duplicates;
};

struct cman_mesos {
	struct cman_connector base;        /* first: the connector interface */
	struct cman_mesos_config cfg;
	char **prefixes;                   /* non-batch framework prefixes */
	size_t n_prefixes;
	char scheme[8];                    /* "http" or "https" */
	char master[URL_MAX];              /* "http://host:5050" */
	char leader[URL_MAX];              /* the last leader found, "" none */
	char userpwd[520];                 /* "principal:secret", "" none */
	struct cman_http *http;
	struct snapshot snap;
};

/* ---- configuration ------------------------------------------------------------ */

void cman_mesos_config_init(struct cman_mesos_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_attempts = 3;
	c->max_redirects = 3;
	c->connect_timeout_ms = 3000;
	c->timeout_ms = 10000;
	c->retry_delay_ms = 500;
}

static int secret_from(struct cman_mesos_config *c, json_t *doc, const char *where,
		       struct cman_error *err)
{
	const char *p = json_string_value(json_object_get(doc, "principal"));
	const char *s = json_string_value(json_object_get(doc, "secret"));

	if (!json_is_object(doc) || !p || !s || !*p)
		return cman_error_at(err, where, 0, 0,
				     "expected a JSON object with string keys principal and secret");
	if (strlen(p) >= sizeof(c->principal) || strlen(s) >= sizeof(c->secret) ||
	    strchr(p, ':'))
		return cman_error_at(err, where, 0, 0,
				     "the principal must be shorter than %zu bytes without ':', "
				     "the secret shorter than %zu bytes",
				     sizeof(c->principal), sizeof(c->secret));
	snprintf(c->principal, sizeof(c->principal), "%s", p);
	snprintf(c->secret, sizeof(c->secret), "%s", s);
	return 0;
}

int cman_mesos_load_secret(struct cman_mesos_config *c, const char *path,
			   struct cman_error *err)
{
	json_error_t je;
	json_t *doc;
	int rc;

	if (path && *path) {
		doc = json_load_file(path, 0, &je);
		if (!doc)
			return cman_error_at(err, path, je.line, je.column,
					     "cannot read the Mesos secret (%s); expected JSON "
					     "{\"principal\": ..., \"secret\": ...}", je.text);
		rc = secret_from(c, doc, path, err);
	} else {
		const char *env = getenv("PAASTA_SECRET_MESOS_SLAVE");

		if (!env || !*env)
			return 0;
		doc = json_loads(env, 0, &je);
		if (!doc)
			return cman_error_at(err, "$PAASTA_SECRET_MESOS_SLAVE", je.line, je.column,
					     "not JSON (%s); expected {\"principal\": ..., "
					     "\"secret\": ...}", je.text);
		rc = secret_from(c, doc, "$PAASTA_SECRET_MESOS_SLAVE", err);
	}
	json_decref(doc);
	return rc;
}

static int host_char(int ch)
{
	return isalnum(ch) || ch == '-' || ch == '.' || ch == '_';
}

/*
 * Split "host[:port]" (host may be "[v6]") at its end; 0 when well formed.
 * *port is -1 when absent.
 */
static int split_hostport(const char *s, size_t len, size_t *host_len, long *port)
{
	size_t i = 0, h;

	*port = -1;
	if (len == 0)
		return -1;
	if (s[0] == '[') {
		for (i = 1; i < len && s[i] != ']'; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
				return -1;
		if (i >= len || i == 1)
			return -1;
		i++;
	} else {
		while (i < len && host_char((unsigned char)s[i]))
			i++;
		if (i == 0)
			return -1;
	}
	h = i;
	if (i < len) {
		long p = 0;

		if (s[i] != ':' || i + 1 >= len)
			return -1;
		for (i++; i < len; i++) {
			if (!isdigit((unsigned char)s[i]) || (p = p * 10 + (s[i] - '0')) > 65535)
				return -1;
		}
		if (p == 0)
			return -1;
		*port = p;
	}
	*host_len = h;
	return 0;
}

/* "host", "host:port", "http(s)://host[:port][/]" → scheme and base URL. */
static int parse_master(struct cman_mesos *m, const char *in, struct cman_error *err)
{
	const char *rest = in;
	size_t len, hl;
	long port;

	if (strncmp(in, "http://", 7) == 0) {
		snprintf(m->scheme, sizeof(m->scheme), "http");
		rest = in + 7;
	} else if (strncmp(in, "https://", 8) == 0) {
		snprintf(m->scheme, sizeof(m->scheme), "https");
		rest = in + 8;
	} else if (strstr(in, "://")) {
		return cman_error_set(err, CMAN_EINVAL,
				      "mesos_master_fqdn \"%s\": only http:// and https:// are "
				      "supported", in);
	} else {
		snprintf(m->scheme, sizeof(m->scheme), "http");
	}
	len = strlen(rest);
	if (len > 0 && rest[len - 1] == '/')
		len--;
	if (split_hostport(rest, len, &hl, &port) != 0)
		return cman_error_set(err, CMAN_EINVAL,
				      "mesos_master_fqdn \"%s\": expected HOST, HOST:PORT or "
				      "http(s)://HOST[:PORT] (no path, no user)", in);
	snprintf(m->master, sizeof(m->master), "%s://%.*s:%ld", m->scheme, (int)hl, rest,
		 port < 0 ? 5050L : port);
	return 0;
}

/* ---- snapshot ------------------------------------------------------------------ */

static void snapshot_release(struct snapshot *s)
{
	size_t i;

	for (i = 0; i < s->n_strs; i++)
		free(s->strs[i]);
	free(s->strs);
	free(s->agents);
	free(s->by_id);
	free(s->fw);
	memset(s, 0, sizeof(*s));
}

/* A copy of str kept by the snapshot; NULL when out of memory. */
static const char *keep(struct snapshot *s, const char *str)
{
	char *c;

	if (s->n_strs == s->cap_strs) {
		size_t cap = s->cap_strs ? s->cap_strs * 2 : 64;
		char **b = realloc(s->strs, cap * sizeof(*b));

		if (!b)
			return NULL;
		s->strs = b;
		s->cap_strs = cap;
	}
	c = strdup(str);
	if (c)
		s->strs[s->n_strs++] = c;
	return c;
}

int cman_mesos_parse_pid(const char *pid, char *ip, size_t n, int *port)
{
	const char *at = pid ? strrchr(pid, '@') : NULL;
	const char *colon;
	char buf[64];
	struct in_addr a;
	long p = 0;
	size_t len;

	if (n)
		ip[0] = '\0';
	if (port)
		*port = 0;
	if (!at)
		return -1;
	colon = strchr(at + 1, ':');
	len = colon ? (size_t)(colon - at - 1) : strlen(at + 1);
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, at + 1, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1 || len >= n)
		return -1;
	if (colon) {
		const char *d = colon + 1;

		if (!*d)
			return -1;
		for (; *d; d++)
			if (!isdigit((unsigned char)*d) || (p = p * 10 + (*d - '0')) > 65535)
				return -1;
	}
	memcpy(ip, buf, len + 1);
	if (port)
		*port = (int)p;
	return 0;
}

static int malformed(struct cman_error *err, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int malformed(struct cman_error *err, const char *what, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cman_error_set(err, CMAN_ETRANSIENT, "malformed %s answer: %s", what, msg);
}

/* Read resources {cpus, mem, disk, gpus} of agent i into v. */
static int read_resources(json_t *obj, const char *key, size_t i, double *v,
			  struct cman_error *err)
{
	json_t *res = json_object_get(obj, key);
	int r;

	for (r = 0; r < CMAN_RES_COUNT; r++)
		v[r] = 0;
	if (!res || json_is_null(res))
		return 0;
	if (!json_is_object(res))
		return malformed(err, "/master/slaves", "slaves[%zu].%s: expected an object", i,
				 key);
	for (r = 0; r < CMAN_RES_COUNT; r++) {
		json_t *x = json_object_get(res, res_names[r]);

		if (!x)
			continue;
		if (!json_is_number(x) || !isfinite(json_number_value(x)) ||
		    json_number_value(x) < 0)
			return malformed(err, "/master/slaves",
					 "slaves[%zu].%s.%s: expected a number >= 0", i, key,
					 res_names[r]);
		v[r] = json_number_value(x);
	}
	return 0;
}

static int load_json(const char *what, const char *text, size_t len, json_t **out,
		     struct cman_error *err)
{
	json_error_t je;

	*out = json_loadb(text ? text : "", len, 0, &je);
	if (!*out)
		return malformed(err, what, "line %d column %d: %s", je.line, je.column, je.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return malformed(err, what, "expected a JSON object");
	}
	return 0;
}

static int cmp_ip(const void *a, const void *b)
{
	const struct cman_mesos_agent *x = a, *y = b;
	int c;

	if (!x->ip[0] != !y->ip[0])
		return x->ip[0] ? -1 : 1;       /* agents without an IP last */
	c = strcmp(x->ip, y->ip);
	if (c)
		return c;
	if (x->active != y->active)
		return x->active ? -1 : 1;      /* the active one first */
	return strcmp(x->id, y->id);
}

static int cmp_id(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;

	return strcmp(x->id, y->id);
}

static struct cman_mesos_agent *agent_by_id(struct snapshot *s, const char *id)
{
	size_t lo = 0, hi = s->n_agents;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->by_id[mid].id, id);

		if (c == 0)
			return &s->agents[s->by_id[mid].agent];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int parse_slaves(struct snapshot *s, const char *pool, json_t *doc,
			struct cman_error *err)
{
	json_t *list = json_object_get(doc, "slaves"), *a;
	size_t i, k = 0;
	int r, rc;

	if (!json_is_array(list))
		return malformed(err, "/master/slaves", "expected an array \"slaves\"");
	s->agents = calloc(json_array_size(list) + 1, sizeof(*s->agents));
	if (!s->agents)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	json_array_foreach(list, i, a) {
		struct cman_mesos_agent *ag = &s->agents[k];
		json_t *attrs = json_object_get(a, "attributes"), *p;
		const char *id = json_string_value(json_object_get(a, "id"));
		const char *host = json_string_value(json_object_get(a, "hostname"));
		const char *agent_pool = "default";

		if (!json_is_object(a) || !id || !*id)
			return malformed(err, "/master/slaves",
					 "slaves[%zu]: expected an object with a string \"id\"", i);
		if (attrs && !json_is_object(attrs) && !json_is_null(attrs))
			return malformed(err, "/master/slaves",
					 "slaves[%zu].attributes: expected an object", i);
		p = json_object_get(attrs, "pool");
		if (p)
			agent_pool = json_string_value(p);   /* a number is no pool name */
		if (!agent_pool || strcmp(agent_pool, pool) != 0)
			continue;
		if ((rc = read_resources(a, "resources", i, ag->total, err)) != 0 ||
		    (rc = read_resources(a, "used_resources", i, ag->used, err)) != 0)
			return rc;
		ag->id = keep(s, id);
		ag->hostname = keep(s, host ? host : "");
		if (!ag->id || !ag->hostname)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		if (cman_mesos_parse_pid(json_string_value(json_object_get(a, "pid")), ag->ip,
					 sizeof(ag->ip), &ag->port) != 0)
			s->unaddressed++;
		ag->active = json_is_true(json_object_get(a, "active"));
		ag->state = CMAN_AGENT_IDLE;
		for (r = 0; r < CMAN_RES_COUNT; r++) {
			s->total[r] += ag->total[r];
			s->used[r] += ag->used[r];
			if (ag->used[r] > 0)
				ag->state = CMAN_AGENT_RUNNING;
		}
		k++;
	}
	s->n_agents = k;
	qsort(s->agents, k, sizeof(*s->agents), cmp_ip);
	for (i = 1; i < k; i++)
		if (s->agents[i].ip[0] && strcmp(s->agents[i].ip, s->agents[i - 1].ip) == 0)
			s->duplicates++;
	s->by_id = calloc(k + 1, sizeof(*s->by_id));
	if (!s->by_id)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	for (i = 0; i < k; i++) {
		s->by_id[i].id = s->agents[i].id;
		s->by_id[i].agent = i;
	}
	qsort(s->by_id, k, sizeof(*s->by_id), cmp_id);
	for (i = 1; i < k; i++)
		if (strcmp(s->by_id[i].id, s->by_id[i - 1].id) == 0)
			return malformed(err, "/master/slaves", "agent id \"%s\" appears twice",
					 s->by_id[i].id);
	return 0;
}

static bool is_batch(const struct cman_mesos *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n_prefixes; i++)
		if (strncmp(name, m->prefixes[i], strlen(m->prefixes[i])) == 0)
			return false;
	return true;
}

static int parse_frameworks(const struct cman_mesos *m, struct snapshot *s, json_t *doc,
			    struct cman_error *err)
{
	json_t *list = json_object_get(doc, "frameworks"), *f;
	size_t i;

	if (!json_is_array(list))
		return malformed(err, "/master/frameworks", "expected an array \"frameworks\"");
	s->fw = calloc(json_array_size(list) + 1, sizeof(*s->fw));
	if (!s->fw)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	json_array_foreach(list, i, f) {
		struct cman_mesos_framework *fw = &s->fw[i];
		const char *id = json_string_value(json_object_get(f, "id"));
		const char *name = json_string_value(json_object_get(f, "name"));
		json_t *tasks = json_object_get(f, "tasks"), *t;
		size_t j;

		if (!json_is_object(f) || !id)
			return malformed(err, "/master/frameworks",
					 "frameworks[%zu]: expected an object with a string \"id\"", i);
		if (tasks && !json_is_array(tasks))
			return malformed(err, "/master/frameworks",
					 "frameworks[%zu].tasks: expected an array", i);
		fw->id = keep(s, id);
		fw->name = keep(s, name ? name : "");
		if (!fw->id || !fw->name)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		fw->active = json_is_true(json_object_get(f, "active"));
		fw->batch = is_batch(m, fw->name);
		json_array_foreach(tasks, j, t) {
			const char *state = json_string_value(json_object_get(t, "state"));
			const char *agent = json_string_value(json_object_get(t, "slave_id"));
			struct cman_mesos_agent *ag;

			if (!json_is_object(t))
				return malformed(err, "/master/frameworks",
						 "frameworks[%zu].tasks[%zu]: expected an object", i, j);
			if (!state || strcmp(state, "TASK_RUNNING") != 0)
				continue;
			fw->tasks_all++;
			if (!agent || !(ag = agent_by_id(s, agent)))
				continue;
			fw->tasks++;
			ag->tasks++;
			if (fw->batch)
				ag->batch_tasks++;
		}
	}
	s->n_fw = json_array_size(list);
	return 0;
}

/* Build a snapshot from the two documents and swap it in. */
static int load_docs(struct cman_mesos *m, json_t *slaves, json_t *frameworks,
		     struct cman_error *err)
{
	struct snapshot s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = parse_slaves(&s, m->cfg.pool, slaves, err);
	if (!rc)
		rc = parse_frameworks(m, &s, frameworks, err);
	if (rc) {
		snapshot_release(&s);
		return rc;
	}
	snapshot_release(&m->snap);
	m->snap = s;
	return 0;
}

int cman_mesos_load(struct cman_mesos *m, const char *slaves, size_t slaves_len,
		    const char *frameworks, size_t frameworks_len, struct cman_error *err)
{
	json_t *a = NULL, *b = NULL;
	int rc;

	rc = load_json("/master/slaves", slaves, slaves_len, &a, err);
	if (!rc)
		rc = load_json("/master/frameworks", frameworks, frameworks_len, &b, err);
	if (!rc)
		rc = load_docs(m, a, b, err);
	json_decref(a);
	json_decref(b);
	return rc;
}

/* ---- HTTP: leader, redirects, retries ------------------------------------------- */

static void wait_ms(struct cman_mesos *m, long ms)
{
	struct timespec ts;

	if (m->cfg.sleep_ms) {
		m->cfg.sleep_ms(m->cfg.sleep_ctx, ms);
		return;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long backoff(const struct cman_mesos *m, int attempt, long hint_ms)
{
	long d = m->cfg.retry_delay_ms;
	int i;

	for (i = 1; i < attempt && d < MAX_WAIT_MS; i++)
		d *= 2;
	if (hint_ms > d)
		d = hint_ms;
	return d > MAX_WAIT_MS ? MAX_WAIT_MS : d;
}

/*
 * Resolve a Location against the URL that answered it.  base_only: keep
 * only scheme://host:port.  0, or CMAN_EREJECTED for a Location we will
 * not follow.
 */
static int resolve_location(const struct cman_mesos *m, const char *from, const char *loc,
			    bool base_only, char *out, size_t n, struct cman_error *err)
{
	char abs[URL_MAX];
	const char *hp, *slash;
	size_t hl, auth_len;
	long port;

	if (strncmp(loc, "//", 2) == 0) {
		snprintf(abs, sizeof(abs), "%s:%s", m->scheme, loc);
	} else if (strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0) {
		if (strcmp(m->scheme, "https") == 0 && strncmp(loc, "http://", 7) == 0)
			return cman_error_set(err, CMAN_EREJECTED,
					      "the master at %s redirects to \"%s\", which would "
					      "leave https for http: refused", from, loc);
		snprintf(abs, sizeof(abs), "%s", loc);
	} else if (loc[0] == '/') {
		const char *p = strstr(from, "://");
		const char *end = p ? strchr(p + 3, '/') : NULL;
		size_t origin = end ? (size_t)(end - from) : strlen(from);

		snprintf(abs, sizeof(abs), "%.*s%s", (int)origin, from, loc);
	} else {
		char shown[200];

		cman_http_printable(shown, sizeof(shown), loc, strlen(loc));
		return cman_error_set(err, CMAN_EREJECTED,
				      "the master at %s redirects to \"%s\": not a URL", from, shown);
	}
	hp = strstr(abs, "://") + 3;
	slash = strchr(hp, '/');
	auth_len = slash ? (size_t)(slash - hp) : strlen(hp);
	if (split_hostport(hp, auth_len, &hl, &port) != 0 || strpbrk(abs, " \t\r\n")) {
		char shown[200];

		cman_http_printable(shown, sizeof(shown), loc, strlen(loc));
		return cman_error_set(err, CMAN_EREJECTED,
				      "the master at %s redirects to \"%s\": not a host[:port]",
				      from, shown);
	}
	if (base_only)
		snprintf(out, n, "%.*s", (int)(hp - abs + auth_len), abs);
	else
		snprintf(out, n, "%s", abs);
	return 0;
}

static void set_leader_from(struct cman_mesos *m, const char *url)
{
	const char *hp = strstr(url, "://");
	const char *slash = hp ? strchr(hp + 3, '/') : NULL;

	snprintf(m->leader, sizeof(m->leader), "%.*s",
		 (int)(slash ? (size_t)(slash - url) : strlen(url)), url);
}

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 ||
	       status == 308;
}

enum kind { READ, CHANGE };

/* The master's text of an error answer, for a message. */
static void answer_text(const struct cman_http_answer *a, char *out, size_t n)
{
	char tmp[300];

	cman_http_printable(tmp, sizeof(tmp), a->body ? a->body : "", a->len);
	if (tmp[0])
		snprintf(out, n, ": %s", tmp);
	else
		out[0] = '\0';
}

/*
 * One call: method on url (following Location hops) with the credentials,
 * if any, retried as kind allows.  With doc non-NULL the answer must be a JSON object (a malformed
 * one is retried for reads).  On success *ans holds the answer (caller
 * releases) and, for doc, *doc the document (caller decrefs).
 */
static int request(struct cman_mesos *m, const char *what, const char *method,
		   const char *url0, const char *body, enum kind kind,
		   struct cman_http_answer *ans, json_t **doc, struct cman_error *err)
{
	struct cman_http_request rq;
	char url[URL_MAX], why[600];
	int attempt, hops = 0, code = 0;

	memset(ans, 0, sizeof(*ans));
	if (doc)
		*doc = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	rq.content_type = body ? "application/json" : NULL;
	rq.userpwd = m->userpwd[0] ? m->userpwd : NULL;
	rq.connect_timeout_ms = m->cfg.connect_timeout_ms;
	rq.timeout_ms = m->cfg.timeout_ms;
	rq.max_answer = m->cfg.max_answer;
	why[0] = '\0';
	for (attempt = 1;; attempt++) {
		bool retry;
		int rc;

		snprintf(url, sizeof(url), "%s", url0);
		hops = 0;
		for (;;) {
			rq.url = url;
			rc = cman_http_exchange(m->http, &rq, ans);
			if (rc || !is_redirect(ans->status))
				break;
			if (!ans->location[0]) {
				cman_http_answer_release(ans);
				return cman_error_set(err, CMAN_EREJECTED,
						      "mesos %s at %s: HTTP %ld without a Location",
						      what, url, ans->status);
			}
			if (++hops > m->cfg.max_redirects) {
				char shown[200];

				cman_http_printable(shown, sizeof(shown), ans->location,
						    strlen(ans->location));
				cman_http_answer_release(ans);
				return cman_error_set(err, CMAN_ETRANSIENT,
						      "mesos %s: redirect loop: more than %d "
						      "redirects, the last from %s to \"%s\"", what,
						      m->cfg.max_redirects, url, shown);
			}
			{
				char next[URL_MAX];

				rc = resolve_location(m, url, ans->location, false, next,
						      sizeof(next), err);
				cman_http_answer_release(ans);
				if (rc)
					return rc;
				snprintf(url, sizeof(url), "%s", next);
				set_leader_from(m, url);
			}
		}
		if (rc) {
			code = rc;
			snprintf(why, sizeof(why), "%s", ans->error);
			retry = rc != CMAN_EREJECTED && rc != CMAN_ENOMEM &&
				(kind == READ || !ans->maybe_sent);
		} else if (ans->status >= 200 && ans->status < 300) {
			if (!doc)
				return 0;
			{
				json_error_t je;

				*doc = json_loadb(ans->body, ans->len, 0, &je);
				if (*doc && json_is_object(*doc))
					return 0;
				json_decref(*doc);
				*doc = NULL;
				code = CMAN_ETRANSIENT;
				snprintf(why, sizeof(why),
					 "malformed answer: line %d column %d: %s", je.line,
					 je.column, *je.text ? je.text : "expected a JSON object");
				retry = kind == READ;
			}
		} else {
			char text[320];

			answer_text(ans, text, sizeof(text));
			if (ans->status == 401 || ans->status == 403) {
				code = CMAN_EREJECTED;
				snprintf(why, sizeof(why), "HTTP %ld%s (%s)", ans->status, text,
					 m->userpwd[0] ? "check the principal and secret and the "
					 "master's ACLs" : "the master wants credentials: set "
					 "mesos.mesos_agent_secret_path");
				retry = false;
			} else if (ans->status >= 500) {
				code = CMAN_ETRANSIENT;
				snprintf(why, sizeof(why), "HTTP %ld%s", ans->status, text);
				/* 503: no leader yet, nothing was done; other 5xx may
				 * come after the change was applied. */
				retry = kind == READ || ans->status == 503;
			} else {
				code = CMAN_EREJECTED;
				snprintf(why, sizeof(why), "HTTP %ld%s", ans->status, text);
				retry = false;
			}
		}
		if (!retry || attempt >= m->cfg.max_attempts) {
			long status = ans->status, hint = ans->retry_after_ms;

			cman_http_answer_release(ans);
			cman_error_set(err, code, "mesos %s at %s: %s (%s) after %d attempt%s",
				       what, url, cman_strerror(code), why, attempt,
				       attempt == 1 ? "" : "s");
			cman_error_remote(err, NULL, NULL, status, hint, attempt);
			return code;
		}
		{
			long wait = backoff(m, attempt, ans->retry_after_ms);

			cman_http_answer_release(ans);
			wait_ms(m, wait);
		}
	}
}

/* GET /redirect on the configured master: the leader's base URL. */
static int find_leader(struct cman_mesos *m, struct cman_error *err)
{
	char url[URL_MAX], why[600];
	struct cman_http_request rq;
	struct cman_http_answer ans;
	int attempt, code = 0;

	snprintf(url, sizeof(url), "%s/redirect", m->master);
	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.url = url;
	rq.connect_timeout_ms = m->cfg.connect_timeout_ms;
	rq.timeout_ms = m->cfg.timeout_ms;
	rq.max_answer = 1 << 20;
	for (attempt = 1;; attempt++) {
		int rc = cman_http_exchange(m->http, &rq, &ans);
		bool retry = true;

		if (rc) {
			code = rc;
			snprintf(why, sizeof(why), "%s", ans.error);
			retry = rc != CMAN_EREJECTED && rc != CMAN_ENOMEM;
		} else if (is_redirect(ans.status)) {
			if (ans.location[0]) {
				rc = resolve_location(m, url, ans.location, true, m->leader,
						      sizeof(m->leader), err);
				cman_http_answer_release(&ans);
				if (rc)
					m->leader[0] = '\0';
				return rc;
			}
			code = CMAN_EREJECTED;
			snprintf(why, sizeof(why), "HTTP %ld without a Location", ans.status);
			retry = false;
		} else if (ans.status >= 200 && ans.status < 300) {
			/* A master (or a proxy) that answers itself leads. */
			snprintf(m->leader, sizeof(m->leader), "%s", m->master);
			cman_http_answer_release(&ans);
			return 0;
		} else {
			char text[320];

			answer_text(&ans, text, sizeof(text));
			code = ans.status >= 500 ? CMAN_ETRANSIENT : CMAN_EREJECTED;
			snprintf(why, sizeof(why), "HTTP %ld%s%s", ans.status, text,
				 ans.status == 503 ? " (no leading master)" : "");
			retry = ans.status >= 500;
		}
		if (!retry || attempt >= m->cfg.max_attempts) {
			long status = ans.status, hint = ans.retry_after_ms;

			cman_http_answer_release(&ans);
			m->leader[0] = '\0';
			cman_error_set(err, code,
					      "Mesos master %s: GET %s: %s (%s) after %d attempt%s",
					      code == CMAN_EREJECTED ? "refused the call"
								     : "unreachable",
					      url, cman_strerror(code), why, attempt,
					      attempt == 1 ? "" : "s");
			cman_error_remote(err, NULL, NULL, status, hint, attempt);
			return code;
		}
		{
			long wait = backoff(m, attempt, ans.retry_after_ms);

			cman_http_answer_release(&ans);
			wait_ms(m, wait);
		}
	}
}

/* GET <leader><path> as a JSON object (caller decrefs *doc). */
static int get_json(struct cman_mesos *m, const char *path, json_t **doc,
		    struct cman_error *err)
{
	struct cman_http_answer ans;
	char url[URL_MAX], what[64];
	int rc;

	snprintf(url, sizeof(url), "%s%s", m->leader, path);
	snprintf(what, sizeof(what), "GET %s", path);
	rc = request(m, what, "GET", url, NULL, READ, &ans, doc, err);
	cman_http_answer_release(&ans);
	return rc;
}

int cman_mesos_reload(struct cman_mesos *m, struct cman_error *err)
{
	json_t *slaves = NULL, *frameworks = NULL;
	int rc;

	rc = find_leader(m, err);
	if (!rc)
		rc = get_json(m, "/master/slaves", &slaves, err);
	if (!rc)
		rc = get_json(m, "/master/frameworks", &frameworks, err);
	if (!rc)
		rc = load_docs(m, slaves, frameworks, err);
	json_decref(slaves);
	json_decref(frameworks);
	return rc;
}

/* ---- lookups ----------------------------------------------------------------------- */

size_t cman_mesos_agent_count(const struct cman_mesos *m)
{
	return m->snap.n_agents;
}

const struct cman_mesos_agent *cman_mesos_agent_at(const struct cman_mesos *m, size_t i)
{
	return i < m->snap.n_agents ? &m->snap.agents[i] : NULL;
}

const struct cman_mesos_agent *cman_mesos_agent_by_ip(const struct cman_mesos *m,
						      const char *ip)
{
	const struct snapshot *s = &m->snap;
	size_t lo = 0, hi = s->n_agents;

	if (!ip || !*ip)
		return NULL;
	while (lo < hi) {   /* the first agent with ip >= the one sought */
		size_t mid = lo + (hi - lo) / 2;
		const char *x = s->agents[mid].ip;

		if (x[0] && strcmp(x, ip) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->n_agents && strcmp(s->agents[lo].ip, ip) == 0)
		return &s->agents[lo];
	return NULL;
}

size_t cman_mesos_framework_count(const struct cman_mesos *m)
{
	return m->snap.n_fw;
}

const struct cman_mesos_framework *cman_mesos_framework_at(const struct cman_mesos *m,
							   size_t i)
{
	return i < m->snap.n_fw ? &m->snap.fw[i] : NULL;
}

double cman_mesos_total(const struct cman_mesos *m, enum cman_resource r)
{
	return (unsigned)r < CMAN_RES_COUNT ? m->snap.total[r] : 0;
}

double cman_mesos_allocated(const struct cman_mesos *m, enum cman_resource r)
{
	return (unsigned)r < CMAN_RES_COUNT ? m->snap.used[r] : 0;
}

size_t cman_mesos_unaddressed(const struct cman_mesos *m)
{
	return m->snap.unaddressed;
}

size_t cman_mesos_duplicate_ips(const struct cman_mesos *m)
{
	return m->snap.duplicates;
}

void cman_mesos_agent_for_ip(const struct cman_mesos *m, const char *ip,
			     int64_t launch_time, struct cman_agent *out)
{
	const struct cman_mesos_agent *a;

	memset(out, 0, sizeof(*out));
	out->state = CMAN_AGENT_UNKNOWN;
	out->safe_to_kill = true;
	if (!ip || !*ip)
		return;
	a = cman_mesos_agent_by_ip(m, ip);
	if (!a) {
		out->state = CMAN_AGENT_ORPHANED;
		out->orphaned_since = launch_time;
		return;
	}
	out->state = a->state;
	out->tasks = a->tasks;
	out->batch_tasks = a->batch_tasks;
}

/* ---- the connector interface ---------------------------------------------------- */

static int ops_reload(struct cman_connector *c, struct cman_error *err)
{
	return cman_mesos_reload((struct cman_mesos *)c, err);
}

static void ops_agent_by_ip(const struct cman_connector *c, const char *ip,
			    struct cman_agent *out)
{
	/* the pool manager sets orphaned_since from the machine's launch */
	cman_mesos_agent_for_ip((const struct cman_mesos *)c, ip, 0, out);
}

static double ops_total(const struct cman_connector *c, enum cman_resource r)
{
	return cman_mesos_total((const struct cman_mesos *)c, r);
}

static double ops_allocated(const struct cman_connector *c, enum cman_resource r)
{
	return cman_mesos_allocated((const struct cman_mesos *)c, r);
}

static const struct cman_connector_ops mesos_ops = {
	.kind = "mesos",
	.reload = ops_reload,
	.agent = NULL,                 /* machines are matched by IP */
	.total = ops_total,
	.allocated = ops_allocated,
	.agent_by_ip = ops_agent_by_ip,
};

struct cman_connector *cman_mesos_connector(struct cman_mesos *m)
{
	return &m->base;
}

const char *cman_mesos_master_url(const struct cman_mesos *m)
{
	return m->master;
}

const char *cman_mesos_leader_url(const struct cman_mesos *m)
{
	return m->leader;
}

/* ---- life cycle ------------------------------------------------------------------- */

int cman_mesos_new(const struct cman_mesos_config *cfg, struct cman_mesos **out,
		   struct cman_error *err)
{
	static const char *const default_prefixes[] = {"marathon", NULL};
	const char *const *pre = cfg->non_batch_prefixes ? cfg->non_batch_prefixes
							 : default_prefixes;
	struct cman_mesos *m;
	size_t i, n = 0;
	int rc;

	*out = NULL;
	if (cfg->max_attempts < 1 || cfg->max_redirects < 0 || cfg->connect_timeout_ms <= 0 ||
	    cfg->timeout_ms <= 0 || cfg->retry_delay_ms < 0)
		return cman_error_set(err, CMAN_EINVAL,
				      "Mesos connector: attempts must be >= 1, redirects >= 0, "
				      "timeouts > 0 and the retry delay >= 0");
	if (!cfg->pool[0])
		return cman_error_set(err, CMAN_EINVAL, "Mesos connector: no pool name");
	if (!cfg->master[0])
		return cman_error_set(err, CMAN_EINVAL,
				      "Mesos connector: no master (clusters.<cluster>."
				      "mesos_master_fqdn)");
	if (cfg->principal[0] && strchr(cfg->principal, ':'))
		return cman_error_set(err, CMAN_EINVAL,
				      "Mesos connector: the principal may not contain ':'");
	m = calloc(1, sizeof(*m));
	if (!m)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	m->base.ops = &mesos_ops;
	m->cfg = *cfg;
	m->cfg.non_batch_prefixes = NULL;
	rc = parse_master(m, cfg->master, err);
	if (rc)
		goto fail;
	while (pre[n])
		n++;
	m->prefixes = calloc(n + 1, sizeof(*m->prefixes));
	if (!m->prefixes) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		m->prefixes[i] = strdup(pre[i]);
		if (!m->prefixes[i]) {
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
			goto fail;
		}
		m->n_prefixes++;
	}
	if (cfg->principal[0])
		snprintf(m->userpwd, sizeof(m->userpwd), "%s:%s", cfg->principal, cfg->secret);
	rc = cman_http_new(&m->http, err);
	if (rc)
		goto fail;
	*out = m;
	return 0;
fail:
	cman_mesos_free(m);
	return rc;
}

static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

void cman_mesos_free(struct cman_mesos *m)
{
	size_t i;

	if (!m)
		return;
	snapshot_release(&m->snap);
	for (i = 0; i < m->n_prefixes; i++)
		free(m->prefixes[i]);
	free(m->prefixes);
	cman_http_free(m->http);
	wipe(m->userpwd, sizeof(m->userpwd));
	wipe(m->cfg.secret, sizeof(m->cfg.secret));
	free(m);
}

/* ---- maintenance -------------------------------------------------------------------- */

/*
 * POST <leader>/api/v1 with body; for reads *doc gets the answer.  The
 * leader is looked up first (/redirect), as for a reload.
 */
static int operator_call(struct cman_mesos *m, const char *type, json_t *body,
			 enum kind kind, json_t **doc, struct cman_error *err)
{
	struct cman_http_answer ans;
	char url[URL_MAX];
	char *text = NULL;
	int rc;

	text = json_dumps(body, JSON_COMPACT);
	if (!text)
		return cman_error_set(err, CMAN_ENOMEM, "%s: cannot encode the request", type);
	rc = find_leader(m, err);
	if (!rc) {
		snprintf(url, sizeof(url), "%s/api/v1", m->leader);
		rc = request(m, type, "POST", url, text, kind, &ans, doc, err);
		cman_http_answer_release(&ans);
	}
	free(text);
	return rc;
}

/* [{"hostname": ..., "ip": ...}, ...] for v (caller decrefs *out). */
static int machine_ids(const struct cman_mesos_machine *v, size_t n, json_t **out,
		       struct cman_error *err)
{
	json_t *arr = json_array();
	size_t i;

	*out = NULL;
	if (!arr)
		goto nomem;
	for (i = 0; i < n; i++) {
		bool h = v[i].hostname && *v[i].hostname, p = v[i].ip && *v[i].ip;
		json_t *o;

		if (!h && !p) {
			json_decref(arr);
			return cman_error_set(err, CMAN_EINVAL,
					      "Mesos maintenance: machine %zu has neither a "
					      "hostname nor an IP", i);
		}
		o = json_object();
		if (json_array_append_new(arr, o) ||
		    (h && json_object_set_new(o, "hostname", json_string(v[i].hostname))) ||
		    (p && json_object_set_new(o, "ip", json_string(v[i].ip)))) {
			json_decref(arr);
			goto nomem;
		}
	}
	*out = arr;
	return 0;
nomem:
	return cman_error_set(err, CMAN_ENOMEM, "out of memory (or a name that is not UTF-8)");
}

static const char *str_or_empty(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static bool same_machine(json_t *id, const struct cman_mesos_machine *m)
{
	return strcmp(str_or_empty(id, "hostname"), m->hostname ? m->hostname : "") == 0 &&
	       strcmp(str_or_empty(id, "ip"), m->ip ? m->ip : "") == 0;
}

static int machines_call(struct cman_mesos *m, const char *type, const char *field,
			 const struct cman_mesos_machine *v, size_t n, struct cman_error *err)
{
	json_t *body, *ids;
	int rc;

	if (n == 0)
		return cman_error_set(err, CMAN_EINVAL, "Mesos %s: no machines given", type);
	rc = machine_ids(v, n, &ids, err);
	if (rc)
		return rc;
	body = json_pack("{s:s,s:{s:o}}", "type", type, field, "machines", ids);
	if (!body)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	rc = operator_call(m, type, body, CHANGE, NULL, err);
	json_decref(body);
	return rc;
}

int cman_mesos_down(struct cman_mesos *m, const struct cman_mesos_machine *machines,
		    size_t n, struct cman_error *err)
{
	return machines_call(m, "START_MAINTENANCE", "start_maintenance", machines, n, err);
}

int cman_mesos_up(struct cman_mesos *m, const struct cman_mesos_machine *machines,
		  size_t n, struct cman_error *err)
{
	return machines_call(m, "STOP_MAINTENANCE", "stop_maintenance", machines, n, err);
}

/* The windows of a GET_MAINTENANCE_SCHEDULE answer (borrowed; an empty
 * array made for a schedule without windows is kept in *empty). */
static int schedule_windows(json_t *doc, json_t **windows, json_t **empty,
			    struct cman_error *err)
{
	json_t *sched = json_object_get(json_object_get(doc, "get_maintenance_schedule"),
					"schedule");

	*windows = NULL;
	if (!json_is_object(sched))
		return malformed(err, "GET_MAINTENANCE_SCHEDULE",
				 "expected an object get_maintenance_schedule.schedule");
	*windows = json_object_get(sched, "windows");
	if (!*windows) {
		*empty = *windows = json_array();
		return *empty ? 0 : cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	if (!json_is_array(*windows))
		return malformed(err, "GET_MAINTENANCE_SCHEDULE", "windows: expected an array");
	return 0;
}

int cman_mesos_drain(struct cman_mesos *m, const struct cman_mesos_machine *machines,
		     size_t n, int64_t start_ns, int64_t duration_ns, struct cman_error *err)
{
	json_t *get = NULL, *answer = NULL, *empty = NULL, *windows, *kept = NULL;
	json_t *body = NULL, *window = NULL, *ids = NULL, *w;
	size_t i, j, k;
	int rc = 0;

	if (n == 0)
		return cman_error_set(err, CMAN_EINVAL, "Mesos drain: no machines given");
	if (duration_ns <= 0 || start_ns < 0)
		return cman_error_set(err, CMAN_EINVAL,
				      "Mesos drain: the window needs a start >= 0 and a duration > 0");
	rc = machine_ids(machines, n, &ids, err);
	if (rc)
		return rc;
	get = json_pack("{s:s}", "type", "GET_MAINTENANCE_SCHEDULE");
	if (!get) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	rc = operator_call(m, "GET_MAINTENANCE_SCHEDULE", get, READ, &answer, err);
	if (rc)
		goto out;
	rc = schedule_windows(answer, &windows, &empty, err);
	if (rc)
		goto out;
	kept = json_array();
	if (!kept)
		goto nomem;
	json_array_foreach(windows, i, w) {
		json_t *mids = json_object_get(w, "machine_ids"), *id, *left, *copy;

		if (!json_is_object(w) || !json_is_array(mids)) {
			rc = malformed(err, "GET_MAINTENANCE_SCHEDULE",
				       "windows[%zu]: expected an object with an array machine_ids", i);
			goto out;
		}
		left = json_array();
		if (!left)
			goto nomem;
		json_array_foreach(mids, j, id) {
			bool ours = false;

			if (!json_is_object(id)) {
				json_decref(left);
				rc = malformed(err, "GET_MAINTENANCE_SCHEDULE",
					       "windows[%zu].machine_ids[%zu]: expected an object", i, j);
				goto out;
			}
			for (k = 0; k < n && !ours; k++)
				ours = same_machine(id, &machines[k]);
			if (!ours && json_array_append(left, id)) {
				json_decref(left);
				goto nomem;
			}
		}
		if (json_array_size(left) == 0) {
			json_decref(left);
			continue;       /* the window held only our machines */
		}
		copy = json_copy(w);
		if (!copy) {
			json_decref(left);
			goto nomem;
		}
		if (json_object_set_new(copy, "machine_ids", left) ||
		    json_array_append_new(kept, copy))
			goto nomem;   /* both steal their reference, even on failure */
	}
	window = json_pack("{s:O,s:{s:{s:I},s:{s:I}}}", "machine_ids", ids, "unavailability",
			   "start", "nanoseconds", (json_int_t)start_ns, "duration",
			   "nanoseconds", (json_int_t)duration_ns);
	if (!window || json_array_append_new(kept, window))
		goto nomem;
	window = NULL;
	body = json_pack("{s:s,s:{s:{s:O}}}", "type", "UPDATE_MAINTENANCE_SCHEDULE",
			 "update_maintenance_schedule", "schedule", "windows", kept);
	if (!body)
		goto nomem;
	rc = operator_call(m, "UPDATE_MAINTENANCE_SCHEDULE", body, CHANGE, NULL, err);
	goto out;
nomem:
	rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
out:
	json_decref(get);
	json_decref(answer);
	json_decref(empty);
	json_decref(kept);
	json_decref(body);
	json_decref(ids);
	return rc;
}

void cman_mesos_maintenance_release(struct cman_mesos_maintenance *s)
{
	free(s->draining);
	free(s->down);
	free(s->strings);
	memset(s, 0, sizeof(*s));
}

/* Copy one machine id {hostname, ip} into *out with its strings at *pos. */
static void put_machine(json_t *id, struct cman_mesos_machine *out, char *strings,
			size_t *pos)
{
	const char *h = str_or_empty(id, "hostname"), *ip = str_or_empty(id, "ip");
	size_t hl = strlen(h) + 1, il = strlen(ip) + 1;

	memcpy(strings + *pos, h, hl);
	out->hostname = strings + *pos;
	*pos += hl;
	memcpy(strings + *pos, ip, il);
	out->ip = strings + *pos;
	*pos += il;
}

int cman_mesos_parse_maintenance_status(const char *json, size_t len,
					struct cman_mesos_maintenance *out,
					struct cman_error *err)
{
	json_t *doc = NULL, *st, *dr, *dn, *x;
	size_t i, bytes = 0, pos = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = load_json("GET_MAINTENANCE_STATUS", json, len, &doc, err);
	if (rc)
		return rc;
	st = json_object_get(json_object_get(doc, "get_maintenance_status"), "status");
	if (!json_is_object(st)) {
		rc = malformed(err, "GET_MAINTENANCE_STATUS",
			       "expected an object get_maintenance_status.status");
		goto out;
	}
	dr = json_object_get(st, "draining_machines");
	dn = json_object_get(st, "down_machines");
	if ((dr && !json_is_array(dr)) || (dn && !json_is_array(dn))) {
		rc = malformed(err, "GET_MAINTENANCE_STATUS",
			       "draining_machines and down_machines: expected arrays");
		goto out;
	}
	json_array_foreach(dr, i, x) {
		json_t *id = json_object_get(x, "id");

		if (!json_is_object(id)) {
			rc = malformed(err, "GET_MAINTENANCE_STATUS",
				       "draining_machines[%zu]: expected an object id", i);
			goto out;
		}
		bytes += strlen(str_or_empty(id, "hostname")) + strlen(str_or_empty(id, "ip")) + 2;
	}
	json_array_foreach(dn, i, x) {
		if (!json_is_object(x)) {
			rc = malformed(err, "GET_MAINTENANCE_STATUS",
				       "down_machines[%zu]: expected an object", i);
			goto out;
		}
		bytes += strlen(str_or_empty(x, "hostname")) + strlen(str_or_empty(x, "ip")) + 2;
	}
	out->draining = calloc(json_array_size(dr) + 1, sizeof(*out->draining));
	out->down = calloc(json_array_size(dn) + 1, sizeof(*out->down));
	out->strings = malloc(bytes + 1);
	if (!out->draining || !out->down || !out->strings) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(dr, i, x)
		put_machine(json_object_get(x, "id"), &out->draining[i], out->strings, &pos);
	json_array_foreach(dn, i, x)
		put_machine(x, &out->down[i], out->strings, &pos);
	out->n_draining = json_array_size(dr);
	out->n_down = json_array_size(dn);
out:
	json_decref(doc);
	if (rc)
		cman_mesos_maintenance_release(out);
	return rc;
}

int cman_mesos_maintenance_status(struct cman_mesos *m, struct cman_mesos_maintenance *out,
				  struct cman_error *err)
{
	json_t *get = json_pack("{s:s}", "type", "GET_MAINTENANCE_STATUS"), *answer = NULL;
	char *text = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!get)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	rc = operator_call(m, "GET_MAINTENANCE_STATUS", get, READ, &answer, err);
	json_decref(get);
	if (rc)
		return rc;
	text = json_dumps(answer, JSON_COMPACT);
	json_decref(answer);
	if (!text)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	rc = cman_mesos_parse_maintenance_status(text, strlen(text), out, err);
	free(text);
	return rc;
}
