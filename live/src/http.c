/*
 * http.c - one plain HTTP exchange over libcurl (see http.h).
 */
#include "cman/live/http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

/* Messages are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define DEFAULT_MAX_ANSWER ((size_t)64 << 20)

struct cman_http {
	CURL *curl;
};

int cman_http_new(struct cman_http **out, struct cman_error *err)
{
	struct cman_http *h;

	*out = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return cman_error_set(err, CMAN_EINTERNAL, "libcurl failed to initialise");
	h = calloc(1, sizeof(*h));
	if (!h)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	h->curl = curl_easy_init();
	if (!h->curl) {
		free(h);
		return cman_error_set(err, CMAN_EINTERNAL, "libcurl: cannot make a handle");
	}
	*out = h;
	return 0;
}

void cman_http_free(struct cman_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

void cman_http_answer_release(struct cman_http_answer *a)
{
	free(a->body);
	memset(a, 0, sizeof(*a));
}

void cman_http_printable(char *out, size_t n, const char *s, size_t len)
{
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < len && i + 1 < n && s[i]; i++)
		out[i] = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

struct sink {
	struct cman_http_answer *a;
	size_t cap, max;
	int too_big, no_mem;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct sink *s = ctx;
	struct cman_http_answer *a = s->a;
	size_t n = size * nmemb;

	if (a->len + n + 1 > s->max) {
		s->too_big = 1;
		return 0;
	}
	if (a->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *b;

		while (cap < a->len + n + 1)
			cap *= 2;
		b = realloc(a->body, cap);
		if (!b) {
			s->no_mem = 1;
			return 0;
		}
		a->body = b;
		s->cap = cap;
	}
	memcpy(a->body + a->len, data, n);
	a->len += n;
	a->body[a->len] = '\0';
	return n;
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (s[i] && isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

static size_t on_header(char *data, size_t size, size_t nitems, void *ctx)
{
	struct sink *s = ctx;
	struct cman_http_answer *a = s->a;
	size_t n = size * nitems;
	char line[2048];
	char *v;

	if (n >= sizeof(line)) {
		if (n > 9 && strncasecmp(data, "Location:", 9) == 0)
			a->location_too_long = 1;
		return n;
	}
	memcpy(line, data, n);
	line[n] = '\0';
	/* A new status line (after a 100 Continue) starts the headers afresh. */
	if (strncmp(line, "HTTP/", 5) == 0) {
		a->location[0] = '\0';
		a->location_too_long = 0;
		a->retry_after_ms = 0;
		return n;
	}
	v = strchr(line, ':');
	if (!v)
		return n;
	*v++ = '\0';
	trim(v);
	if (strcasecmp(line, "Location") == 0) {
		if (strlen(v) < sizeof(a->location))
			snprintf(a->location, sizeof(a->location), "%s", v);
		else
			a->location_too_long = 1;
	} else if (strcasecmp(line, "Retry-After") == 0) {
		char *end;
		long sec = strtol(v, &end, 10);

		if (!*end && sec >= 0 && sec < 3600)
			a->retry_after_ms = sec * 1000;
	}
	return n;
}

int cman_http_exchange(struct cman_http *h, const struct cman_http_request *rq,
		       struct cman_http_answer *a)
{
	struct curl_slist *hdr = NULL;
	struct sink s;
	char line[256];
	CURLcode cc;
	long status = 0;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	memset(&s, 0, sizeof(s));
	s.a = a;
	s.max = rq->max_answer ? rq->max_answer : DEFAULT_MAX_ANSWER;
	curl_easy_reset(h->curl);
	if (rq->content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", rq->content_type);
		hdr = curl_slist_append(hdr, line);
		if (!hdr)
			goto nomem;
	}
	hdr = curl_slist_append(hdr, "Accept: application/json");
	if (hdr)
		hdr = curl_slist_append(hdr, "Expect:");
	if (!hdr)
		goto nomem;
	curl_easy_setopt(h->curl, CURLOPT_URL, rq->url);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdr);
	if (rq->userpwd) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h->curl, CURLOPT_USERPWD, rq->userpwd);
	}
	if (strcmp(rq->method, "POST") == 0) {
		curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(rq->body ? rq->body_len : 0));
	} else {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "clusterman-c");
	cc = curl_easy_perform(h->curl);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	/* Forget the credentials: the handle is reused for other calls. */
	curl_easy_setopt(h->curl, CURLOPT_USERPWD, NULL);
	a->maybe_sent = 1;
	if (cc == CURLE_OK) {
		if (!a->body) {
			a->body = calloc(1, 1);
			if (!a->body)
				goto nomem;
		}
		a->status = status;
		goto out;
	}
	free(a->body);
	a->body = NULL;
	a->len = 0;
	if (s.no_mem)
		goto nomem;
	if (s.too_big) {
		snprintf(a->error, sizeof(a->error), "answer larger than %zu bytes", s.max);
		rc = CMAN_ETRANSIENT;
		goto out;
	}
	snprintf(a->error, sizeof(a->error), "%s (curl %d)", curl_easy_strerror(cc), (int)cc);
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		rc = CMAN_ETIMEOUT;
		break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		a->maybe_sent = 0;
		rc = CMAN_ETRANSIENT;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		a->maybe_sent = 0;
		rc = CMAN_EREJECTED;
		break;
	default:
		rc = CMAN_ETRANSIENT;   /* dropped or truncated mid-way */
		break;
	}
	goto out;
nomem:
	free(a->body);
	a->body = NULL;
	a->len = 0;
	snprintf(a->error, sizeof(a->error), "out of memory");
	rc = CMAN_ENOMEM;
out:
	curl_slist_free_all(hdr);
	return rc;
}
