/*
 * ops.h - the operator commands' actions on a pool's state items
 * (LIVE-SPEC §7.1, §7.2): pausing the autoscaler until a time (`disable`)
 * and resuming it (`enable`), in Clusterman's item shape so that a
 * Clusterman deployment sharing the state table sees them: state
 * "autoscaler_paused", entity "<cluster>.<pool>.<scheduler>", attributes
 * timestamp (write time) and expiration_timestamp (the pool is paused while
 * now <= it).
 *
 * Differences from Clusterman, on purpose: times are UTC (a time without a
 * zone is UTC, never US/Pacific; relative times count from the UTC clock);
 * a pause that would already be over is refused instead of written; the
 * change is read back at once (state reads are consistent: no 1 s sleep)
 * and a read-back that disagrees is an error, not just a message.
 */
#ifndef CMAN_LIVE_OPS_H
#define CMAN_LIVE_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "cman/err.h"
#include "cman/store.h"

/* Clusterman's default pause: 30 minutes. */
#define CMAN_OPS_DEFAULT_PAUSE 1800

/*
 * The time of --until TIME, relative to now (epoch seconds, UTC):
 * - a duration from now: an optional '+', then one or more NUMBER UNIT
 *   with UNIT s, m, h, d or w ("30m", "+5m", "1h30m", "2d");
 * - "now";
 * - an absolute time as cman_time_parse() reads it: epoch seconds, or
 *   ISO 8601 "YYYY-MM-DDTHH:MM[:SS]" (or a space for the T) with "Z" or a
 *   "+HH:MM"/"-HH:MM" offset, or none (then UTC), or a date alone (its
 *   midnight UTC).
 * CMAN_EINVAL "--until 'S': ..." naming the accepted forms otherwise, or
 * when the time is outside 1970..9999.
 */
int cman_ops_parse_until(const char *s, int64_t now, int64_t *out, struct cman_error *err);

/* What a pool's pause was before and is after a command. */
struct cman_ops_pause {
	bool was_paused;         /* paused at now before the change */
	int64_t was_until;       /* its expiration (INT64_MAX: for ever) */
	bool paused;             /* read back after the change */
	int64_t until;
};

/*
 * Pause the pool entity until `until` (>= now): PutItem of the pause item
 * (timestamp now, expiration_timestamp until; an existing pause is
 * replaced), then read back.  CMAN_EINVAL when until < now (the pause
 * would be over before it is written; `enable` resumes at once); the
 * store's errors; CMAN_EINTERNAL "... did not read back ..." when the item
 * read back is not the one written.  *out (may be NULL) says what was
 * before and after.
 */
int cman_ops_disable(struct cman_store *st, const char *entity, int64_t now, int64_t until,
		     struct cman_ops_pause *out, struct cman_error *err);

/*
 * Resume the pool: DeleteItem of the pause item (absent is fine; the
 * capacity offset is left alone), then read back; CMAN_EINTERNAL when the
 * pool still reads as paused.
 */
int cman_ops_enable(struct cman_store *st, const char *entity, int64_t now,
		    struct cman_ops_pause *out, struct cman_error *err);

/*
 * The commands (live/main.c dispatches to them): argv holds what follows
 * the command's name, config the --config FILE given before it (or NULL).
 * Each prints its own usage and messages and returns the exit status: 0,
 * 2 for bad usage, configuration or input, 1 for any other failure.
 * disable/enable: ops_cmd.c; status: ops_status.c; manage: ops_manage.c.
 */
int cman_live_cmd_disable(int argc, char **argv, const char *config);
int cman_live_cmd_enable(int argc, char **argv, const char *config);
int cman_live_cmd_status(int argc, char **argv, const char *config);
int cman_live_cmd_manage(int argc, char **argv, const char *config);

#endif
