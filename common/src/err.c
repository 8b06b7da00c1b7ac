#include "cman/err.h"

/* Messages are cut to the buffer on purpose (GCC's warning; clang has none). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include <stdio.h>
#include <string.h>

void cman_error_clear(struct cman_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
	memset(&err->remote, 0, sizeof(err->remote));
}

static void vset(struct cman_error *err, int code, const char *fmt, va_list ap)
{
	if (!err)
		return;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	memset(&err->remote, 0, sizeof(err->remote));
}

int cman_error_set(struct cman_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int cman_error_at(struct cman_error *err, const char *file, int line, int col,
		  const char *fmt, ...)
{
	char body[CMAN_ERRMSG_MAX];
	va_list ap;

	if (!err)
		return CMAN_EINVAL;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (line > 0 && col > 0)
		snprintf(err->msg, sizeof(err->msg), "%s:%d:%d: %s", file, line, col, body);
	else if (line > 0)
		snprintf(err->msg, sizeof(err->msg), "%s:%d: %s", file, line, body);
	else
		snprintf(err->msg, sizeof(err->msg), "%s: %s", file, body);
	err->code = CMAN_EINVAL;
	memset(&err->remote, 0, sizeof(err->remote));
	return CMAN_EINVAL;
}

void cman_error_remote(struct cman_error *err, const char *provider_code,
		       const char *request_id, long http_status, long retry_after_ms,
		       int attempts)
{
	if (!err)
		return;
	snprintf(err->remote.provider_code, sizeof(err->remote.provider_code), "%s",
		 provider_code ? provider_code : "");
	snprintf(err->remote.request_id, sizeof(err->remote.request_id), "%s",
		 request_id ? request_id : "");
	err->remote.http_status = http_status;
	err->remote.retry_after_ms = retry_after_ms;
	err->remote.attempts = attempts;
}

int cman_error_retryable(int code)
{
	return code == CMAN_ETHROTTLED || code == CMAN_ETRANSIENT || code == CMAN_ETIMEOUT;
}

void cman_error_prefix(struct cman_error *err, const char *fmt, ...)
{
	char prefix[CMAN_ERRMSG_MAX / 2];
	char old[CMAN_ERRMSG_MAX];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
}

int cman_exit_status(int code)
{
	if (code == 0)
		return 0;
	return code == CMAN_EINVAL ? 2 : 1;
}

const char *cman_strerror(int code)
{
	switch (code) {
	case CMAN_OK: return "success";
	case CMAN_EINVAL: return "invalid input";
	case CMAN_ENOMEM: return "out of memory";
	case CMAN_EIO: return "input/output error";
	case CMAN_ENOTFOUND: return "not found";
	case CMAN_ETHROTTLED: return "throttled";
	case CMAN_ETRANSIENT: return "transient failure";
	case CMAN_ETIMEOUT: return "timed out";
	case CMAN_EREJECTED: return "rejected";
	case CMAN_EPARTIAL: return "partially applied";
	default: return "internal error";
	}
}
