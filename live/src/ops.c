/*
 * ops.c - pausing and resuming a pool's autoscaler (see ops.h).
 */
#include "cman/live/ops.h"

#include <ctype.h>
#include <string.h>

#include "cman/time.h"

static int bad_until(const char *s, struct cman_error *err, const char *why)
{
	return cman_error_set(err, CMAN_EINVAL,
			      "--until '%s': %s; expected a duration from now (30m, +5m, 1h30m, "
			      "2d: units s, m, h, d, w), 'now', epoch seconds, or an ISO 8601 time "
			      "such as 2024-05-01T18:00:00Z (no zone: UTC)", s, why);
}

/* "[+]N UNIT [N UNIT]...": 1 and *secs when s is such a duration, 0 when
 * it is not one at all, CMAN_EINVAL when it is one but too large. */
static int parse_duration(const char *s, int64_t *secs, struct cman_error *err)
{
	const char *p = s;
	int64_t total = 0;

	if (*p == '+')
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	while (*p) {
		int64_t n = 0, unit;

		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p)) {
			if (n > CMAN_TIME_MAX / 10)
				return bad_until(s, err, "too far ahead");
			n = n * 10 + (*p++ - '0');
		}
		switch (*p++) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		case 'w': unit = 7 * 86400; break;
		default: return 0;
		}
		if (n > (CMAN_TIME_MAX - total) / unit)
			return bad_until(s, err, "too far ahead");
		total += n * unit;
	}
	*secs = total;
	return 1;
}

int cman_ops_parse_until(const char *s, int64_t now, int64_t *out, struct cman_error *err)
{
	int64_t d = 0, t;
	int rc;

	if (!s || !*s)
		return bad_until(s ? s : "", err, "empty");
	if (!strcmp(s, "now")) {
		*out = now;
		return 0;
	}
	if ((rc = parse_duration(s, &d, err)) < 0)
		return rc;
	if (rc == 1) {
		if (d > CMAN_TIME_MAX - now)
			return bad_until(s, err, "after 9999-12-31T23:59:59Z");
		*out = now + d;
		return 0;
	}
	if (cman_time_parse(s, &t) != 0)
		return bad_until(s, err, "not a time");
	*out = t;
	return 0;
}

static int read_pause(struct cman_store *st, const char *entity, int64_t now, bool *paused,
		      int64_t *until, struct cman_error *err)
{
	int rc = cman_store_paused(st, entity, now, paused, until, err);

	if (rc)
		cman_error_prefix(err, "reading the pause of %s", entity);
	return rc;
}

int cman_ops_disable(struct cman_store *st, const char *entity, int64_t now, int64_t until,
		     struct cman_ops_pause *out, struct cman_error *err)
{
	struct cman_state_item it = {.timestamp = now, .expires = true, .expiration = until};
	struct cman_ops_pause o = {0};
	char a[CMAN_TIME_BUFSZ], b[CMAN_TIME_BUFSZ];
	int rc;

	if (until < now)
		return cman_error_set(err, CMAN_EINVAL,
				      "--until %s is in the past (now %s): the pause would be over "
				      "before it starts; use 'enable' to resume the autoscaler",
				      cman_time_format(until, a), cman_time_format(now, b));
	if ((rc = read_pause(st, entity, now, &o.was_paused, &o.was_until, err)) != 0)
		return rc;
	if ((rc = cman_store_state_put(st, CMAN_STATE_PAUSED, entity, &it, err)) != 0) {
		cman_error_prefix(err, "pausing %s", entity);
		return rc;
	}
	if ((rc = read_pause(st, entity, now, &o.paused, &o.until, err)) != 0)
		return rc;
	if (out)
		*out = o;
	if (!o.paused || o.until != until)
		return cman_error_set(err, CMAN_EINTERNAL,
				      "%s: the pause did not read back (wrote until %s, read %s): "
				      "something went wrong", entity, cman_time_format(until, a),
				      o.paused ? cman_time_format(o.until, b) : "not paused");
	return 0;
}

int cman_ops_enable(struct cman_store *st, const char *entity, int64_t now,
		    struct cman_ops_pause *out, struct cman_error *err)
{
	struct cman_ops_pause o = {0};
	char a[CMAN_TIME_BUFSZ];
	int rc;

	if ((rc = read_pause(st, entity, now, &o.was_paused, &o.was_until, err)) != 0)
		return rc;
	if ((rc = cman_store_state_delete(st, CMAN_STATE_PAUSED, entity, err)) != 0) {
		cman_error_prefix(err, "resuming %s", entity);
		return rc;
	}
	if ((rc = read_pause(st, entity, now, &o.paused, &o.until, err)) != 0)
		return rc;
	if (out)
		*out = o;
	if (o.paused)
		return cman_error_set(err, CMAN_EINTERNAL,
				      "%s: still paused (until %s) after the pause was deleted: "
				      "something went wrong", entity,
				      o.until == INT64_MAX ? "for ever" : cman_time_format(o.until, a));
	return 0;
}
