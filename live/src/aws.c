/*
 * aws.c - credentials, endpoints, signed calls and retries (see aws.h).
 */
#include "cman/live/aws.h"
#include "cman/live/xml.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>

/* Messages are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define MAX_ANSWER (64u << 20)   /* refuse answers larger than 64 MiB */

struct cman_aws_client {
	struct cman_aws_config cfg;
	char access_key[128];
	char secret_key[256];
	char session_token[4096];
	char sigv4_user[400];        /* "KEY:SECRET" for CURLOPT_USERPWD */
	CURL *curl;
	uint64_t rng;                /* xorshift64* state for jitter */
};

void cman_aws_config_init(struct cman_aws_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_attempts = 5;
	c->connect_timeout_ms = 3000;
	c->timeout_ms = 20000;
	c->base_delay_ms = 100;
	c->max_delay_ms = 20000;
}

/* ---- credentials and region ---------------------------------------------- */

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (s[i] && isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

static const char *home_file(char *buf, size_t n, const char *env, const char *rel)
{
	const char *v = getenv(env), *home = getenv("HOME");

	if (v && *v)
		return v;
	if (!home || !*home)
		return NULL;
	snprintf(buf, n, "%s/%s", home, rel);
	return buf;
}

/*
 * Look key up in section of an INI file (the shared credentials and config
 * files).  1 found, 0 not found (or no file).
 */
static int ini_get(const char *path, const char *section, const char *key,
		   char *out, size_t n)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	char line[4096];
	int in = 0, found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *eq;

		trim(line);
		if (!line[0] || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[') {
			char *end = strchr(line, ']');

			if (end) {
				*end = '\0';
				trim(line + 1);
				in = strcmp(line + 1, section) == 0;
			}
			continue;
		}
		if (!in || !(eq = strchr(line, '=')))
			continue;
		*eq = '\0';
		trim(line);
		trim(eq + 1);
		if (strcmp(line, key) == 0) {
			snprintf(out, n, "%s", eq + 1);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static int key_file(struct cman_aws_client *c, const char *path, struct cman_error *err)
{
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je);
	const char *id, *secret;

	if (!doc)
		return cman_error_at(err, path, je.line, je.column,
				     "cannot read the AWS key file (%s); expected JSON "
				     "{\"accessKeyId\": ..., \"secretAccessKey\": ...}", je.text);
	id = json_string_value(json_object_get(doc, "accessKeyId"));
	secret = json_string_value(json_object_get(doc, "secretAccessKey"));
	if (!id || !secret || !*id || !*secret) {
		json_decref(doc);
		return cman_error_at(err, path, 0, 0,
				     "expected string keys accessKeyId and secretAccessKey");
	}
	snprintf(c->access_key, sizeof(c->access_key), "%s", id);
	snprintf(c->secret_key, sizeof(c->secret_key), "%s", secret);
	json_decref(doc);
	return 0;
}

static int resolve_credentials(struct cman_aws_client *c, const char *profile,
			       struct cman_error *err)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");
	const char *prof_env = getenv("AWS_PROFILE");
	char buf[1024];
	const char *path;

	if (c->cfg.access_key_file[0] && !(prof_env && *prof_env))
		return key_file(c, c->cfg.access_key_file, err);
	if (id && *id && secret && *secret) {
		snprintf(c->access_key, sizeof(c->access_key), "%s", id);
		snprintf(c->secret_key, sizeof(c->secret_key), "%s", secret);
		if (token && *token)
			snprintf(c->session_token, sizeof(c->session_token), "%s", token);
		return 0;
	}
	path = home_file(buf, sizeof(buf), "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	if (ini_get(path, profile, "aws_access_key_id", c->access_key, sizeof(c->access_key)) &&
	    ini_get(path, profile, "aws_secret_access_key", c->secret_key, sizeof(c->secret_key))) {
		ini_get(path, profile, "aws_session_token", c->session_token,
			sizeof(c->session_token));
		return 0;
	}
	return cman_error_set(err, CMAN_EINVAL,
			      "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
			      "or profile \"%s\" in %s, or aws.access_key_file", profile,
			      path ? path : "~/.aws/credentials");
}

static int resolve_region(struct cman_aws_client *c, const char *profile,
			  struct cman_error *err)
{
	const char *r = getenv("AWS_REGION");
	char buf[1024], section[200];
	const char *path;

	if (c->cfg.region[0])
		return 0;
	if (!r || !*r)
		r = getenv("AWS_DEFAULT_REGION");
	if (r && *r) {
		snprintf(c->cfg.region, sizeof(c->cfg.region), "%s", r);
		return 0;
	}
	path = home_file(buf, sizeof(buf), "AWS_CONFIG_FILE", ".aws/config");
	if (strcmp(profile, "default") == 0)
		snprintf(section, sizeof(section), "default");
	else
		snprintf(section, sizeof(section), "profile %s", profile);
	if (ini_get(path, section, "region", c->cfg.region, sizeof(c->cfg.region)) &&
	    c->cfg.region[0])
		return 0;
	return cman_error_set(err, CMAN_EINVAL,
			      "no AWS region: set aws.region, AWS_REGION or the profile's region");
}

static uint64_t os_seed(void)
{
	uint64_t s = 0;

	if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s))
		s = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
	return s ? s : 0x9e3779b97f4a7c15ull;
}

int cman_aws_client_new(const struct cman_aws_config *cfg,
			struct cman_aws_client **out, struct cman_error *err)
{
	struct cman_aws_client *c;
	const char *profile;
	int rc;

	*out = NULL;
	if (cfg->max_attempts < 1 || cfg->timeout_ms <= 0 || cfg->connect_timeout_ms <= 0 ||
	    cfg->base_delay_ms < 0 || cfg->max_delay_ms < cfg->base_delay_ms)
		return cman_error_set(err, CMAN_EINVAL,
				      "AWS client: attempts must be >= 1, timeouts > 0 and "
				      "0 <= base delay <= max delay");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return cman_error_set(err, CMAN_EINTERNAL, "libcurl failed to initialise");
	c = calloc(1, sizeof(*c));
	if (!c)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	c->cfg = *cfg;
	profile = cfg->profile[0] ? cfg->profile : getenv("AWS_PROFILE");
	if (!profile || !*profile)
		profile = "default";
	rc = resolve_credentials(c, profile, err);
	if (!rc)
		rc = resolve_region(c, profile, err);
	if (rc)
		goto fail;
	snprintf(c->sigv4_user, sizeof(c->sigv4_user), "%s:%s", c->access_key, c->secret_key);
	c->curl = curl_easy_init();
	if (!c->curl) {
		rc = cman_error_set(err, CMAN_EINTERNAL, "libcurl: cannot make a handle");
		goto fail;
	}
	c->rng = cfg->seed ? cfg->seed : os_seed();
	*out = c;
	return 0;
fail:
	cman_aws_client_free(c);
	return rc;
}

static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

void cman_aws_client_free(struct cman_aws_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	wipe(c->secret_key, sizeof(c->secret_key));
	wipe(c->sigv4_user, sizeof(c->sigv4_user));
	wipe(c->session_token, sizeof(c->session_token));
	free(c);
}

const char *cman_aws_region(const struct cman_aws_client *c)
{
	return c->cfg.region;
}

const char *cman_aws_access_key_id(const struct cman_aws_client *c)
{
	return c->access_key;
}

/* ---- endpoints -------------------------------------------------------------- */

static const struct {
	const char *svc, *env;
} env_names[] = {
	{"ec2", "EC2"}, {"autoscaling", "AUTO_SCALING"}, {"dynamodb", "DYNAMODB"},
	{"sqs", "SQS"}, {"sts", "STS"}, {"s3", "S3"},
};

int cman_aws_endpoint(const struct cman_aws_client *c, const char *svc,
		      char *out, size_t n, struct cman_error *err)
{
	char var[64], upper[32];
	const char *v = NULL;
	size_t i;
	int k;

	upper[0] = '\0';
	for (i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		if (strcmp(env_names[i].svc, svc) == 0)
			snprintf(upper, sizeof(upper), "%s", env_names[i].env);
	if (!upper[0]) {
		for (i = 0; svc[i] && i + 1 < sizeof(upper); i++)
			upper[i] = (char)toupper((unsigned char)svc[i]);
		upper[i] = '\0';
	}
	snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s", upper);
	v = getenv(var);
	if (!v || !*v)
		v = getenv("AWS_ENDPOINT_URL");
	if (v && *v) {
		k = snprintf(out, n, "%s", v);
	} else if (c->cfg.endpoint_url[0]) {
		const char *t = c->cfg.endpoint_url, *hole = strstr(t, "{svc}");

		if (hole)
			k = snprintf(out, n, "%.*s%s%s", (int)(hole - t), t, svc, hole + 5);
		else
			k = snprintf(out, n, "%s", t);
	} else {
		k = snprintf(out, n, "https://%s.%s.amazonaws.com", svc, c->cfg.region);
	}
	if (k < 0 || (size_t)k >= n)
		return cman_error_set(err, CMAN_EINVAL, "the %s endpoint URL is too long", svc);
	if (strncmp(out, "http://", 7) != 0 && strncmp(out, "https://", 8) != 0)
		return cman_error_set(err, CMAN_EINVAL,
				      "the %s endpoint \"%s\" must start with http:// or https://",
				      svc, out);
	return 0;
}

/* ---- request bodies ---------------------------------------------------------- */

static void put(struct cman_aws_params *p, const char *s, size_t n)
{
	if (p->failed)
		return;
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 256;
		char *b;

		while (cap < p->len + n + 1)
			cap *= 2;
		b = realloc(p->buf, cap);
		if (!b) {
			p->failed = 1;
			return;
		}
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void put_encoded(struct cman_aws_params *p, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			put(p, (const char *)&ch, 1);
		} else {
			char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};

			put(p, e, 3);
		}
	}
}

void cman_aws_params_init(struct cman_aws_params *p, const char *action,
			  const char *version)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->action, sizeof(p->action), "%s", action);
	put(p, "Action=", 7);
	put_encoded(p, action);
	put(p, "&Version=", 9);
	put_encoded(p, version);
}

void cman_aws_params_add(struct cman_aws_params *p, const char *name, const char *value)
{
	put(p, "&", 1);
	put_encoded(p, name);
	put(p, "=", 1);
	put_encoded(p, value);
}

void cman_aws_params_addf(struct cman_aws_params *p, const char *name, const char *fmt, ...)
{
	char v[1024];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(v)) {
		p->failed = 1;
		return;
	}
	cman_aws_params_add(p, name, v);
}

void cman_aws_params_release(struct cman_aws_params *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

/* ---- retries ------------------------------------------------------------------- */

int cman_aws_is_throttling_code(const char *code)
{
	static const char *const codes[] = {
		"Throttling", "ThrottlingException", "ThrottledException",
		"RequestThrottledException", "TooManyRequestsException",
		"ProvisionedThroughputExceededException", "TransactionInProgressException",
		"RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException",
		"RequestThrottled", "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

long cman_aws_backoff_ms(long base_ms, long max_ms, int attempt, double u, long hint_ms)
{
	long ceiling = base_ms;
	long d;
	int i;

	for (i = 1; i < attempt && ceiling < max_ms; i++)
		ceiling = ceiling > max_ms / 2 ? max_ms : ceiling * 2;
	if (ceiling > max_ms)
		ceiling = max_ms;
	if (u < 0)
		u = 0;
	if (u >= 1)
		u = 0.999999999;
	d = (long)(u * (double)(ceiling + 1));
	if (d > ceiling)
		d = ceiling;
	if (hint_ms > d)
		d = hint_ms > max_ms ? max_ms : hint_ms;
	return d;
}

static double next_uniform(struct cman_aws_client *c)
{
	uint64_t x = c->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

static void do_sleep(struct cman_aws_client *c, long ms)
{
	struct timespec ts;

	if (c->cfg.sleep_ms) {
		c->cfg.sleep_ms(c->cfg.sleep_ctx, ms);
		return;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- one HTTP exchange ----------------------------------------------------------- */

struct answer {
	char *buf;
	size_t len, cap;
	int too_big;
	long retry_after_ms;
	char request_id[128];
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct answer *a = ctx;
	size_t n = size * nmemb;

	if (a->len + n + 1 > MAX_ANSWER) {
		a->too_big = 1;
		return 0;
	}
	if (a->len + n + 1 > a->cap) {
		size_t cap = a->cap ? a->cap : 4096;
		char *b;

		while (cap < a->len + n + 1)
			cap *= 2;
		b = realloc(a->buf, cap);
		if (!b)
			return 0;
		a->buf = b;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, data, n);
	a->len += n;
	a->buf[a->len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *ctx)
{
	struct answer *a = ctx;
	size_t n = size * nitems;
	char line[256];
	char *v;

	if (n >= sizeof(line))
		return n;
	memcpy(line, data, n);
	line[n] = '\0';
	v = strchr(line, ':');
	if (!v)
		return n;
	*v++ = '\0';
	trim(v);
	if (strcasecmp(line, "Retry-After") == 0) {
		char *end;
		long s = strtol(v, &end, 10);

		if (!*end && s >= 0 && s < 3600)
			a->retry_after_ms = s * 1000;
	} else if (strcasecmp(line, "x-amzn-RequestId") == 0 ||
		   strcasecmp(line, "x-amz-request-id") == 0) {
		snprintf(a->request_id, sizeof(a->request_id), "%s", v);
	}
	return n;
}

/* The provider's error code, message and request id from an error answer
 * (XML for the Query APIs, JSON for DynamoDB). */
static void parse_error_body(const struct answer *a, struct cman_aws_fault *f)
{
	if (!a->buf || !a->len)
		return;
	if (a->buf[0] == '{') {
		json_t *doc = json_loadb(a->buf, a->len, 0, NULL);
		const char *type, *msg;

		if (!doc)
			return;
		type = json_string_value(json_object_get(doc, "__type"));
		msg = json_string_value(json_object_get(doc, "message"));
		if (!msg)
			msg = json_string_value(json_object_get(doc, "Message"));
		if (type) {
			const char *hash = strrchr(type, '#');

			snprintf(f->code, sizeof(f->code), "%s", hash ? hash + 1 : type);
		}
		if (msg)
			snprintf(f->message, sizeof(f->message), "%s", msg);
		json_decref(doc);
	} else {
		xmlDocPtr doc;
		xmlNodePtr root;

		if (cman_xml_parse(a->buf, a->len, "error", &doc, NULL))
			return;
		root = xmlDocGetRootElement(doc);
		cman_xml_text(cman_xml_find(root, "Code"), f->code, sizeof(f->code));
		cman_xml_text(cman_xml_find(root, "Message"), f->message, sizeof(f->message));
		if (!f->request_id[0]) {
			xmlNodePtr r = cman_xml_find(root, "RequestID");

			if (!r)
				r = cman_xml_find(root, "RequestId");
			cman_xml_text(r, f->request_id, sizeof(f->request_id));
		}
		xmlFreeDoc(doc);
	}
}

/* Keep only printable ASCII of provider text before it enters a message. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

enum outcome { DONE, RETRY_SAFE, RETRY_IF_IDEMPOTENT, FAIL };

static enum outcome exchange(struct cman_aws_client *c, const char *url, const char *svc,
			     const char *content_type, const char *target,
			     const char *body, size_t body_len, struct answer *a,
			     struct cman_aws_fault *f, int *code)
{
	struct curl_slist *h = NULL;
	char sigv4[160], hdr[4200];
	CURLcode cc;
	long status = 0;
	enum outcome o;

	curl_easy_reset(c->curl);
	snprintf(sigv4, sizeof(sigv4), "aws:amz:%s:%s", c->cfg.region, svc);
	snprintf(hdr, sizeof(hdr), "Content-Type: %s", content_type);
	h = curl_slist_append(h, hdr);
	if (target) {
		snprintf(hdr, sizeof(hdr), "X-Amz-Target: %s", target);
		h = curl_slist_append(h, hdr);
	}
	if (c->session_token[0]) {
		snprintf(hdr, sizeof(hdr), "X-Amz-Security-Token: %s", c->session_token);
		h = curl_slist_append(h, hdr);
	}
	h = curl_slist_append(h, "Expect:");
	if (!h) {
		*code = CMAN_ENOMEM;
		return FAIL;
	}
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c->curl, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(c->curl, CURLOPT_USERPWD, c->sigv4_user);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->cfg.connect_timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->cfg.timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "clusterman-c");
	cc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	f->http_status = status;
	f->retry_after_ms = a->retry_after_ms;
	snprintf(f->request_id, sizeof(f->request_id), "%s", a->request_id);

	if (cc != CURLE_OK) {
		const char *what = curl_easy_strerror(cc);

		snprintf(f->code, sizeof(f->code), "curl:%d", (int)cc);
		if (a->too_big) {
			snprintf(f->message, sizeof(f->message), "answer larger than %u bytes",
				 MAX_ANSWER);
			*code = CMAN_ETRANSIENT;
			return RETRY_IF_IDEMPOTENT;
		}
		snprintf(f->message, sizeof(f->message), "%s", what);
		switch (cc) {
		case CURLE_OPERATION_TIMEDOUT:
			*code = CMAN_ETIMEOUT;
			return RETRY_IF_IDEMPOTENT;
		case CURLE_COULDNT_CONNECT:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
			*code = CMAN_ETRANSIENT;   /* nothing was sent */
			return RETRY_SAFE;
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
			*code = CMAN_EREJECTED;   /* retrying cannot help */
			return FAIL;
		default:
			*code = CMAN_ETRANSIENT;   /* dropped or truncated mid-way */
			return RETRY_IF_IDEMPOTENT;
		}
	}
	if (status >= 200 && status < 300)
		return DONE;
	parse_error_body(a, f);
	sanitize(f->code);
	sanitize(f->message);
	sanitize(f->request_id);
	if (!f->code[0])
		snprintf(f->code, sizeof(f->code), "HTTP%ld", status);
	if (cman_aws_is_throttling_code(f->code) || status == 429) {
		*code = CMAN_ETHROTTLED;
		o = RETRY_SAFE;
	} else if (status >= 500) {
		*code = CMAN_ETRANSIENT;
		o = RETRY_IF_IDEMPOTENT;
	} else {
		*code = CMAN_EREJECTED;
		o = FAIL;
	}
	return o;
}

static int call(struct cman_aws_client *c, const char *svc, const char *what,
		const char *content_type, const char *target, const char *body,
		size_t body_len, unsigned flags, struct answer *a,
		struct cman_aws_fault *fault, struct cman_error *err)
{
	struct cman_aws_fault local;
	struct cman_aws_fault *f = fault ? fault : &local;
	char url[600];
	int attempt, code = 0, rc;

	memset(f, 0, sizeof(*f));
	rc = cman_aws_endpoint(c, svc, url, sizeof(url), err);
	if (rc)
		return rc;
	for (attempt = 1;; attempt++) {
		enum outcome o;
		long wait;

		memset(a, 0, sizeof(*a));
		memset(f, 0, sizeof(*f));
		f->attempts = attempt;
		o = exchange(c, url, svc, content_type, target, body, body_len, a, f, &code);
		if (o == DONE)
			return 0;
		if (o == FAIL || attempt >= c->cfg.max_attempts ||
		    (o == RETRY_IF_IDEMPOTENT && !(flags & CMAN_AWS_IDEMPOTENT)))
			break;
		wait = cman_aws_backoff_ms(c->cfg.base_delay_ms, c->cfg.max_delay_ms, attempt,
					   next_uniform(c), f->retry_after_ms);
		free(a->buf);
		a->buf = NULL;
		do_sleep(c, wait);
	}
	free(a->buf);
	memset(a, 0, sizeof(*a));
	f->kind = code;
	cman_error_set(err, code, "%s %s at %s: %s (%s%s%s%s%s) after %d attempt%s", svc,
		       what, url, cman_strerror(code), f->code,
		       f->message[0] ? ": " : "", f->message,
		       f->request_id[0] ? ", request id " : "", f->request_id,
		       f->attempts, f->attempts == 1 ? "" : "s");
	/* the same facts, machine-readable, for callers that only see err */
	cman_error_remote(err, f->code, f->request_id, f->http_status, f->retry_after_ms,
			  f->attempts);
	return code;
}

int cman_aws_query(struct cman_aws_client *c, const char *svc,
		   const struct cman_aws_params *p, unsigned flags,
		   char **body_out, size_t *len_out,
		   struct cman_aws_fault *fault, struct cman_error *err)
{
	struct answer a;
	int rc;

	*body_out = NULL;
	if (len_out)
		*len_out = 0;
	if (p->failed)
		return cman_error_set(err, CMAN_ENOMEM, "%s %s: out of memory", svc, p->action);
	rc = call(c, svc, p->action, "application/x-www-form-urlencoded; charset=utf-8", NULL,
		  p->buf, p->len, flags, &a, fault, err);
	if (rc)
		return rc;
	if (!a.buf) {
		a.buf = strdup("");
		if (!a.buf)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	*body_out = a.buf;
	if (len_out)
		*len_out = a.len;
	return 0;
}

int cman_aws_json(struct cman_aws_client *c, const char *svc, const char *target,
		  const json_t *body, unsigned flags, json_t **out,
		  struct cman_aws_fault *fault, struct cman_error *err)
{
	struct answer a;
	json_error_t je;
	const char *op = strchr(target, '.');
	char *text;
	int rc;

	*out = NULL;
	text = json_dumps(body, JSON_COMPACT);
	if (!text)
		return cman_error_set(err, CMAN_ENOMEM, "%s: cannot encode the request", target);
	rc = call(c, svc, op ? op + 1 : target, "application/x-amz-json-1.0", target, text,
		  strlen(text), flags, &a, fault, err);
	free(text);
	if (rc)
		return rc;
	*out = json_loadb(a.buf ? a.buf : "", a.len, 0, &je);
	free(a.buf);
	if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		if (fault) {
			fault->kind = CMAN_ETRANSIENT;
			snprintf(fault->code, sizeof(fault->code), "MalformedAnswer");
		}
		return cman_error_set(err, CMAN_ETRANSIENT,
				      "%s %s: malformed JSON answer (line %d: %s)", svc,
				      op ? op + 1 : target, je.line, je.text);
	}
	return 0;
}
