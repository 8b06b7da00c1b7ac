/*
 * http.h - one plain HTTP exchange over libcurl, for adapters that speak
 * JSON over HTTP to something other than AWS (the Mesos master).  AWS calls
 * go through aws.h, which signs them.
 *
 * An exchange never follows redirects (the caller decides where a Location
 * may lead and how many hops it allows), never retries (the caller knows
 * whether its call may be resent), and always verifies TLS peers.  The
 * answer is capped in size.  Basic-auth credentials given in a request are
 * never copied into an answer or a message.
 */
#ifndef CMAN_LIVE_HTTP_H
#define CMAN_LIVE_HTTP_H

#include <stddef.h>

#include "cman/err.h"

struct cman_http_request {
	const char *method;          /* "GET" or "POST" */
	const char *url;             /* http:// or https:// only */
	const char *body;            /* POST body (NULL: empty) */
	size_t body_len;
	const char *content_type;    /* NULL: no Content-Type header */
	const char *userpwd;         /* "principal:secret" for basic auth, NULL: none */
	long connect_timeout_ms;     /* > 0 */
	long timeout_ms;             /* whole exchange, > 0 */
	size_t max_answer;           /* bytes; 0: 64 MiB */
};

struct cman_http_answer {
	long status;                 /* 0 when no HTTP answer came */
	char *body;                  /* NUL-terminated (never NULL after an answer) */
	size_t len;
	char location[1024];         /* the Location header, "" when absent */
	int location_too_long;       /* it was longer than the buffer (then "") */
	long retry_after_ms;         /* Retry-After in seconds, as ms; 0 if none */
	int maybe_sent;              /* 0: the request surely never reached the server */
	char error[256];             /* what failed in transport, "" otherwise */
};

struct cman_http;

/* A connection handle (reused across exchanges).  Caller frees. */
int cman_http_new(struct cman_http **out, struct cman_error *err);
void cman_http_free(struct cman_http *h);   /* NULL is fine */

/*
 * Send rq and read the answer into *a (cleared first; release it with
 * cman_http_answer_release() whatever the result).  0 when an HTTP answer
 * of any status came whole.  Otherwise: CMAN_ETIMEOUT (no complete answer
 * in time), CMAN_ETRANSIENT (refused or dropped connection, truncated or
 * oversized answer), CMAN_EREJECTED (bad URL, TLS failure: resending cannot
 * help), CMAN_ENOMEM; a->error says what happened and a->maybe_sent whether
 * the server may have seen the request.  No message goes to err: the
 * caller names the call.
 */
int cman_http_exchange(struct cman_http *h, const struct cman_http_request *rq,
		       struct cman_http_answer *a);
void cman_http_answer_release(struct cman_http_answer *a);

/* Copy at most n-1 bytes of s into out with every byte outside printable
 * ASCII replaced by '?' (server text entering a message). */
void cman_http_printable(char *out, size_t n, const char *s, size_t len);

#endif
