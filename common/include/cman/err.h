/*
 * err.h - error codes and the caller-provided error buffer.
 *
 * Every fallible function in the cman API returns 0 on success or a
 * negative enum cman_err, and writes one human-readable message into a
 * struct cman_error supplied by the caller (which may be NULL when the
 * caller does not care).  Messages about bad input carry their position as
 * "FILE:LINE:COLUMN: what is wrong and what was expected".
 *
 * Ownership rule for the whole API (stated once): a pointer returned by a
 * function is owned by the object it was obtained from and lives as long as
 * that object, unless the function's comment says "caller frees"; objects
 * made by cman_X_new() are released with cman_X_free(), embedded ones set up
 * by cman_X_init() are released with cman_X_release().
 */
#ifndef CMAN_ERR_H
#define CMAN_ERR_H

#include <stdarg.h>
#include <stddef.h>

enum cman_err {
	CMAN_OK = 0,
	CMAN_EINVAL = -1,   /* bad usage, configuration or input: exit 2 */
	CMAN_ENOMEM = -2,   /* allocation failed */
	CMAN_EIO = -3,      /* a file or database operation failed */
	CMAN_ENOTFOUND = -4,/* a looked-up thing does not exist */
	CMAN_EINTERNAL = -5,/* a bug or an unexpected library failure */
	/* Remote calls (live mode).  None of these is an input error: exit 1. */
	CMAN_ETHROTTLED = -6,/* the provider asked us to slow down; retry later */
	CMAN_ETRANSIENT = -7,/* 5xx or a dropped connection; retrying may work */
	CMAN_ETIMEOUT = -8, /* no complete answer in time: the call may have been applied */
	CMAN_EREJECTED = -9,/* the provider refused the call (its code in the message) */
	CMAN_EPARTIAL = -10 /* some of a batch was applied, some not */
};

#define CMAN_ERRMSG_MAX 1024

/*
 * What a remote provider said about a failed call (live adapters; empty
 * otherwise).  cman_error_set() and cman_error_at() clear it (a new error),
 * cman_error_prefix() keeps it, cman_error_remote() fills it.
 */
struct cman_remote_info {
	char provider_code[128];     /* e.g. "RequestLimitExceeded"; "" if none */
	char request_id[128];        /* the provider's request id; "" if none */
	long http_status;            /* 0 when no HTTP answer came */
	long retry_after_ms;         /* the provider's retry hint, 0 if none */
	int attempts;                /* attempts made, 0 if not counted */
};

struct cman_error {
	int code;                    /* last code set, 0 if none */
	char msg[CMAN_ERRMSG_MAX];   /* NUL-terminated message */
	struct cman_remote_info remote;
};

/* Clear an error buffer (safe on NULL). */
void cman_error_clear(struct cman_error *err);

/*
 * Record an error with a printf-style message; returns code so callers can
 * write "return cman_error_set(err, CMAN_EINVAL, ...)".  NULL err is fine.
 */
int cman_error_set(struct cman_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Record an input error at a position: "FILE:LINE:COL: message".  line or
 * col <= 0 leaves that part out ("FILE:LINE: message", "FILE: message").
 * Always returns CMAN_EINVAL.
 */
int cman_error_at(struct cman_error *err, const char *file, int line, int col,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Prefix an existing message with "prefix: " (keeps the code). */
void cman_error_prefix(struct cman_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Attach what the provider said to err (safe on NULL; strings may be NULL). */
void cman_error_remote(struct cman_error *err, const char *provider_code,
		       const char *request_id, long http_status, long retry_after_ms,
		       int attempts);

/* Whether trying the same call again later may work: throttled, transient,
 * timed out (the caller must then know the call is safe to repeat). */
int cman_error_retryable(int code);

/* The process exit status for a code: 0, 2 for CMAN_EINVAL, 1 otherwise. */
int cman_exit_status(int code);

/* Static name of a code, e.g. "invalid input". */
const char *cman_strerror(int code);

#endif
