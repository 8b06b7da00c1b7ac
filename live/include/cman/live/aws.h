/*
 * aws.h - a small AWS client: credentials, endpoints, SigV4-signed calls
 * over libcurl, retries with capped exponential back-off and full jitter.
 *
 * Two protocols are spoken: the Query API (EC2, Auto Scaling: a form-encoded
 * POST answered with XML) and JSON 1.0 (DynamoDB: a JSON POST with an
 * X-Amz-Target header).  Requests are signed by libcurl (CURLOPT_AWS_SIGV4);
 * TLS peers are always verified.  No credential, session token or
 * signature ever appears in a message this module writes.
 *
 * Failures are told apart by their code (err.h): CMAN_ETHROTTLED (the
 * provider asked us to slow down), CMAN_ETRANSIENT (5xx, a dropped or
 * refused connection, a truncated or malformed answer), CMAN_ETIMEOUT (no
 * complete answer in time: the call may have been applied), CMAN_EREJECTED
 * (a 4xx with the provider's code and message), CMAN_EINVAL (bad
 * configuration).  struct cman_aws_fault carries the provider's code,
 * message and request id, the number of attempts and any retry hint; a
 * failed call also copies the code, request id, HTTP status, retry hint and
 * attempts into the caller's struct cman_error (err->remote, err.h), so
 * callers that only see a struct cman_error (the pool manager) keep them.
 */
#ifndef CMAN_LIVE_AWS_H
#define CMAN_LIVE_AWS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cman/err.h"

struct cman_aws_config {
	char region[64];             /* "" → AWS_REGION, AWS_DEFAULT_REGION, the profile's */
	char endpoint_url[512];      /* aws.endpoint_url, "{svc}" replaced; "" → none */
	char profile[128];           /* "" → $AWS_PROFILE, else "default" */
	char access_key_file[1024];  /* aws.access_key_file; "" → none */
	int max_attempts;            /* attempts per call, >= 1 (default 5) */
	long connect_timeout_ms;     /* default 3000 */
	long timeout_ms;             /* whole transfer, default 20000 */
	long base_delay_ms;          /* first back-off ceiling, default 100 */
	long max_delay_ms;           /* back-off ceiling cap, default 20000 */
	uint64_t seed;               /* jitter stream; 0 → seeded from the OS */
	/* How to wait between attempts; NULL → nanosleep.  Tests count instead. */
	void (*sleep_ms)(void *ctx, long ms);
	void *sleep_ctx;
};

/* Fill c with the defaults above (everything else empty). */
void cman_aws_config_init(struct cman_aws_config *c);

/* What went wrong with the last call (all empty after a success). */
struct cman_aws_fault {
	int kind;              /* 0 or the call's negative cman_err */
	long http_status;      /* 0 when no HTTP answer came */
	char code[128];        /* the provider's error code, e.g. "RequestLimitExceeded" */
	char message[512];     /* the provider's message */
	char request_id[128];
	int attempts;          /* attempts made */
	long retry_after_ms;   /* the provider's hint (Retry-After), 0 if none */
};

struct cman_aws_client;

/*
 * Resolve credentials and region and make a client.  Credentials: the JSON
 * access_key_file ({"accessKeyId", "secretAccessKey"}) unless AWS_PROFILE is
 * set; else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN);
 * else the profile's entry in the shared credentials file
 * ($AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials).  The region comes
 * from cfg, AWS_REGION, AWS_DEFAULT_REGION or the profile in the shared
 * config file ($AWS_CONFIG_FILE or ~/.aws/config).  CMAN_EINVAL when
 * either cannot be found.  Caller frees with cman_aws_client_free().
 */
int cman_aws_client_new(const struct cman_aws_config *cfg,
			struct cman_aws_client **out, struct cman_error *err);
void cman_aws_client_free(struct cman_aws_client *c);   /* NULL is fine */

const char *cman_aws_region(const struct cman_aws_client *c);
/* The access key id in use (not secret; for messages such as "as AKIA..."). */
const char *cman_aws_access_key_id(const struct cman_aws_client *c);

/*
 * The base URL for service svc ("ec2", "autoscaling", "dynamodb", ...):
 * AWS_ENDPOINT_URL_<SVC> (EC2, AUTO_SCALING, DYNAMODB, ...), else
 * AWS_ENDPOINT_URL, else the config's endpoint_url with "{svc}" replaced,
 * else https://<svc>.<region>.amazonaws.com.
 */
int cman_aws_endpoint(const struct cman_aws_client *c, const char *svc,
		      char *out, size_t n, struct cman_error *err);

/* A form-encoded Query API request body being built. */
struct cman_aws_params {
	char *buf;
	size_t len, cap;
	int failed;            /* an allocation failed: the call reports CMAN_ENOMEM */
	char action[64];
};

/* Start a body "Action=<action>&Version=<version>". */
void cman_aws_params_init(struct cman_aws_params *p, const char *action,
			  const char *version);
/* Append "&name=value", both percent-encoded. */
void cman_aws_params_add(struct cman_aws_params *p, const char *name,
			 const char *value);
void cman_aws_params_addf(struct cman_aws_params *p, const char *name,
			  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cman_aws_params_release(struct cman_aws_params *p);

/* Call flag: resending after a timeout or a dropped connection is safe
 * (the call sets a state rather than adding to it). */
#define CMAN_AWS_IDEMPOTENT 1u

/*
 * A Query API call to svc.  On success *body_out (caller frees with free())
 * holds the XML answer, NUL-terminated, and *len_out its length.  A
 * throttling code, a 5xx or a refused connection is retried up to
 * max_attempts; a timeout or a dropped connection only when flags has
 * CMAN_AWS_IDEMPOTENT.  fault may be NULL.
 */
int cman_aws_query(struct cman_aws_client *c, const char *svc,
		   const struct cman_aws_params *p, unsigned flags,
		   char **body_out, size_t *len_out,
		   struct cman_aws_fault *fault, struct cman_error *err);

/*
 * A JSON 1.0 call (DynamoDB): target is "DynamoDB_20120810.<Op>", body the
 * request document.  On success *out is the answer (caller json_decref()s).
 * Retries as cman_aws_query().
 */
int cman_aws_json(struct cman_aws_client *c, const char *svc, const char *target,
		  const json_t *body, unsigned flags, json_t **out,
		  struct cman_aws_fault *fault, struct cman_error *err);

/* Whether an AWS error code means throttling (RequestLimitExceeded,
 * Throttling, ThrottlingException, ProvisionedThroughputExceededException,
 * ...). */
int cman_aws_is_throttling_code(const char *code);

/*
 * The wait before attempt number attempt (1 = the first retry): a uniform
 * draw in [0, min(max_delay, base_delay * 2^(attempt-1))] ("full jitter"),
 * raised to hint_ms when the provider gave one.  u is a draw in [0, 1).
 */
long cman_aws_backoff_ms(long base_ms, long max_ms, int attempt, double u,
			 long hint_ms);

#endif
