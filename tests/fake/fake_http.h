/*
 * fake_http.h - an in-process HTTP server for the live adapters' tests
 * (libmicrohttpd on 127.0.0.1, a free port).
 *
 * It answers from a script: replies pushed with fake_http_push() are served
 * first in, first out, whatever the request; with the script empty, a
 * handler set with fake_http_route() answers (the Mesos fixtures), else a
 * 599 "no scripted reply".  A reply can be delayed (past a client's
 * timeout), or cut off half-way through its body (a truncated answer).
 * Every request is logged (method, path, headers of interest, body) so a
 * test can assert exactly which calls were made.
 */
#ifndef CMAN_TEST_FAKE_HTTP_H
#define CMAN_TEST_FAKE_HTTP_H

#include <stddef.h>

struct fake_reply {
	int status;
	const char *body;            /* copied at push */
	const char *content_type;    /* NULL: text/xml */
	const char *header;          /* one extra "Name: value" header, or NULL */
	int delay_ms;                /* wait before answering */
	int truncate;                /* announce the full length, send half, then close */
	char *body_heap;             /* route replies: a malloc'ed body the fake takes
				      * over and frees (wins over body) */
};

struct fake_request {
	char method[16];
	char path[512];
	char target[128];            /* X-Amz-Target */
	char authorization[1024];
	char content_type[128];
	char token[256];             /* X-Amz-Security-Token */
	char *body;
	size_t body_len;
};

struct fake_http;

/* Route handler: fill *r for req (a body built per request goes in
 * body_heap; handlers run on the connection's thread, so several may run at
 * once); return 0 to answer, -1 for the 599 default. */
typedef int (*fake_route_fn)(void *ctx, const struct fake_request *req,
			     struct fake_reply *r);

/* Start on 127.0.0.1 at a free port; NULL on failure. */
struct fake_http *fake_http_start(void);
void fake_http_stop(struct fake_http *f);
int fake_http_port(const struct fake_http *f);
/* "http://127.0.0.1:PORT" */
const char *fake_http_url(const struct fake_http *f);

void fake_http_push(struct fake_http *f, const struct fake_reply *r);
void fake_http_route(struct fake_http *f, fake_route_fn fn, void *ctx);
/* Forget the log and the script. */
void fake_http_reset(struct fake_http *f);

size_t fake_http_count(struct fake_http *f);
/* A copy of request i (its body stays owned by the fake until reset/stop). */
struct fake_request fake_http_request(struct fake_http *f, size_t i);

#endif
