/*
 * ops_int.h - what the operator commands (ops_cmd.c, ops_status.c,
 * ops_manage.c) share: option parsing and opening the pool.  Not a public
 * interface.
 */
#ifndef CMAN_LIVE_OPS_INT_H
#define CMAN_LIVE_OPS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "cman/err.h"
#include "cman/live/livepool.h"
#include "cman/live/service.h"

/* Options a command accepts beyond --cluster, --pool, --scheduler, --config. */
#define OPS_UNTIL 1u
#define OPS_TARGET 2u
#define OPS_JSON 4u
#define OPS_DRY_RUN 8u
#define OPS_FORCE 16u

struct ops_args {
	const char *config, *cluster, *pool, *scheduler;
	const char *until, *target;   /* NULL when not given */
	bool json, dry_run, force;
};

/* Parse argv (after the command).  0 parsed; -1 --help printed (exit 0);
 * 2 a usage error, printed with usage.  --cluster and --pool default to
 * $CMAN_CLUSTER and $CMAN_POOL and are required. */
int cman_ops_parse(int argc, char **argv, const char *config, unsigned allowed,
		   const char *usage, struct ops_args *a);

/* Print "clusterman-live: <fmt with arg>" and usage; returns 2. */
int cman_ops_usage_error(const char *usage, const char *fmt, const char *arg);
/* Print the error; returns its exit status (2 for CMAN_EINVAL, else 1). */
int cman_ops_fail(const char *cmd, const struct cman_error *err);

/* Load the service file and open the pool (no signal; dry run; groups
 * found only when discover).  On failure nothing stays open. */
int cman_ops_open(const struct ops_args *a, bool discover, struct cman_live_config *cfg,
		  struct cman_live_pool **lp, struct cman_error *err);
void cman_ops_close(struct cman_live_config *cfg, struct cman_live_pool *lp);

/* The wall clock, epoch seconds. */
int64_t cman_ops_now(void);

#endif
