/*
 * fake_http.c - an in-process scripted HTTP server (see fake_http.h).
 */
#include "fake_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

#define MAX_SCRIPT 256
#define MAX_LOG 4096

struct scripted {
	struct fake_reply r;
	char *body;
};

struct fake_http {
	struct MHD_Daemon *d;
	int port;
	char url[64];
	pthread_mutex_t mu;
	struct scripted script[MAX_SCRIPT];
	size_t head, tail;
	struct fake_request log[MAX_LOG];
	size_t n_log;
	fake_route_fn route;
	void *route_ctx;
};

struct conn {
	char *body;
	size_t len, cap;
};

struct trunc {
	char *body;
	size_t len, sent, limit;
};

static ssize_t trunc_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct trunc *t = cls;
	size_t n;

	if (t->sent >= t->limit)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = t->limit - t->sent;
	if (n > max)
		n = max;
	memcpy(buf, t->body + t->sent, n);
	t->sent += n;
	return (ssize_t)n;
}

static void trunc_free(void *cls)
{
	struct trunc *t = cls;

	free(t->body);
	free(t);
}

static void copy_header(struct MHD_Connection *c, const char *name, char *out, size_t n)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	snprintf(out, n, "%s", v ? v : "");
}

static mhd_result handle(void *cls, struct MHD_Connection *connection, const char *url,
			 const char *method, const char *version, const char *upload_data,
			 size_t *upload_data_size, void **con_cls)
{
	struct fake_http *f = cls;
	struct conn *c = *con_cls;
	struct fake_request req;
	struct fake_reply r;
	struct MHD_Response *resp;
	char *body = NULL;
	int have = 0, logged;
	mhd_result ret;

	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c)
			return MHD_NO;
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (c->len + *upload_data_size + 1 > c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 4096;
			char *b;

			while (cap < c->len + *upload_data_size + 1)
				cap *= 2;
			b = realloc(c->body, cap);
			if (!b)
				return MHD_NO;
			c->body = b;
			c->cap = cap;
		}
		memcpy(c->body + c->len, upload_data, *upload_data_size);
		c->len += *upload_data_size;
		c->body[c->len] = '\0';
		*upload_data_size = 0;
		return MHD_YES;
	}
	memset(&req, 0, sizeof(req));
	snprintf(req.method, sizeof(req.method), "%s", method);
	snprintf(req.path, sizeof(req.path), "%s", url);
	copy_header(connection, "X-Amz-Target", req.target, sizeof(req.target));
	copy_header(connection, "Authorization", req.authorization, sizeof(req.authorization));
	copy_header(connection, "Content-Type", req.content_type, sizeof(req.content_type));
	copy_header(connection, "X-Amz-Security-Token", req.token, sizeof(req.token));
	req.body = c->body ? c->body : calloc(1, 1);
	req.body_len = c->len;
	c->body = NULL;

	pthread_mutex_lock(&f->mu);
	logged = f->n_log < MAX_LOG;
	if (logged)
		f->log[f->n_log++] = req;
	if (f->head != f->tail) {
		struct scripted *s = &f->script[f->head % MAX_SCRIPT];

		r = s->r;
		body = s->body;
		f->head++;
		have = 1;
	}
	pthread_mutex_unlock(&f->mu);
	if (!have && f->route) {
		memset(&r, 0, sizeof(r));
		if (f->route(f->route_ctx, &req, &r) == 0) {
			body = r.body_heap ? r.body_heap : strdup(r.body ? r.body : "");
			have = 1;
		} else {
			free(r.body_heap);
		}
	}
	if (!logged)
		free(req.body);
	if (!have) {
		memset(&r, 0, sizeof(r));
		r.status = 599;
		body = strdup("no scripted reply");
	}
	if (r.delay_ms > 0) {
		struct timespec ts = {r.delay_ms / 1000, (r.delay_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
	}
	if (r.truncate) {
		struct trunc *t = calloc(1, sizeof(*t));

		t->body = body;
		t->len = strlen(body);
		t->limit = t->len / 2;
		resp = MHD_create_response_from_callback(t->len, 1024, trunc_reader, t, trunc_free);
	} else {
		resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	}
	MHD_add_response_header(resp, "Content-Type",
				r.content_type ? r.content_type : "text/xml");
	if (r.header) {
		char name[128];
		const char *colon = strchr(r.header, ':');

		if (colon && (size_t)(colon - r.header) < sizeof(name)) {
			memcpy(name, r.header, (size_t)(colon - r.header));
			name[colon - r.header] = '\0';
			MHD_add_response_header(resp, name, colon + 1 + (colon[1] == ' '));
		}
	}
	ret = MHD_queue_response(connection, (unsigned)r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *connection, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	if (c) {
		free(c->body);
		free(c);
		*con_cls = NULL;
	}
}

struct fake_http *fake_http_start(void)
{
	struct fake_http *f = calloc(1, sizeof(*f));
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	if (!f)
		return NULL;
	pthread_mutex_init(&f->mu, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				0, NULL, NULL, handle, f, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_NOTIFY_COMPLETED, completed, f,
				MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (!f->d) {
		free(f);
		return NULL;
	}
	info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
	f->port = info ? info->port : 0;
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", f->port);
	return f;
}

void fake_http_reset(struct fake_http *f)
{
	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < f->n_log; i++)
		free(f->log[i].body);
	f->n_log = 0;
	while (f->head != f->tail) {
		free(f->script[f->head % MAX_SCRIPT].body);
		f->head++;
	}
	pthread_mutex_unlock(&f->mu);
}

void fake_http_stop(struct fake_http *f)
{
	if (!f)
		return;
	MHD_stop_daemon(f->d);
	fake_http_reset(f);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

int fake_http_port(const struct fake_http *f)
{
	return f->port;
}

const char *fake_http_url(const struct fake_http *f)
{
	return f->url;
}

void fake_http_push(struct fake_http *f, const struct fake_reply *r)
{
	pthread_mutex_lock(&f->mu);
	if (f->tail - f->head < MAX_SCRIPT) {
		struct scripted *s = &f->script[f->tail % MAX_SCRIPT];

		s->r = *r;
		s->body = strdup(r->body ? r->body : "");
		s->r.body = NULL;
		f->tail++;
	}
	pthread_mutex_unlock(&f->mu);
}

void fake_http_route(struct fake_http *f, fake_route_fn fn, void *ctx)
{
	f->route = fn;
	f->route_ctx = ctx;
}

size_t fake_http_count(struct fake_http *f)
{
	size_t n;

	pthread_mutex_lock(&f->mu);
	n = f->n_log;
	pthread_mutex_unlock(&f->mu);
	return n;
}

struct fake_request fake_http_request(struct fake_http *f, size_t i)
{
	struct fake_request r;

	pthread_mutex_lock(&f->mu);
	if (i < f->n_log) {
		r = f->log[i];
	} else {
		memset(&r, 0, sizeof(r));
		r.body = (char *)"";
	}
	pthread_mutex_unlock(&f->mu);
	return r;
}
