/*
 * sigproc.h - a live pool's signal processes (LIVE-SPEC.md 1.3 "Port"):
 * the environment Clusterman's bootstrap gives them, so that existing
 * clusterman_signals tarballs run unchanged, and their supervision between
 * the daemon's cycles.  supervisord is not used: each external signal with
 * a `command` is started by the signal itself (cman/signal_external.h), in
 * a process group of its own; this module checks them between cycles,
 * restarts the ones that crashed or hung, counts it, and registers their
 * process groups so that a daemon killed by a second stop signal kills them
 * too (cman/live/daemon.h).
 */
#ifndef CMAN_LIVE_SIGPROC_H
#define CMAN_LIVE_SIGPROC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cman/err.h"
#include "cman/live/service.h"
#include "cman/signal.h"
#include "cman/signal_external.h"

/*
 * Set, in this process's environment (inherited by the signal commands
 * started afterwards), the variables of Clusterman's bootstrap (space-
 * separated lists, one entry per signal, the default signal first):
 *   CMAN_SIGNAL_NAMES, CMAN_SIGNAL_NAMESPACES, CMAN_SIGNAL_APPS,
 *   CMAN_SIGNAL_VERSIONS, CMAN_VERSIONS_TO_FETCH (distinct versions, in
 *   order), CMAN_NUM_SIGNALS, CMAN_NUM_VERSIONS, CMAN_SIGNALS_BUCKET
 *   (aws.signals_bucket, default yelp-clusterman-signals), and CMAN_CLUSTER,
 *   CMAN_POOL, CMAN_SCHEDULER.
 * The default signal is listed when the service file has an external
 * autoscale_signal: name, version autoscale_signal.branch_or_tag (absent:
 * "master"), namespace autoscaling.default_signal_role, app "__default__".
 * The pool's signal when its pool file names an external one: name,
 * version branch_or_tag (default: the pool), namespace (default: the pool),
 * app the pool.  Each command also gets its own CMAN_SIGNAL_NAME,
 * CMAN_SIGNAL_NAMESPACE and CMAN_SIGNAL_APP (signal_external.h).
 * pool_root is the pool file's root (NULL: no pool signal).  CMAN_ENOMEM on
 * failure.
 */
int cman_live_signal_env(const struct cman_live_config *cfg, const char *cluster,
			 const char *pool, const char *scheduler,
			 const struct cman_node *pool_root, struct cman_error *err);

/* The signals a daemon watches (at most two: the pool's, the default). */
struct cman_live_sigsup {
	struct cman_signal *sig[2];        /* borrowed; NULL: none */
	char label[2][16];                 /* "pool", "default" */
	struct cman_signal_proc proc[2];   /* after the last check */
	bool down[2];                      /* the last check left it down */
	uint64_t checks, failures;         /* checks made, of which failed */
};

/* Watch pool_signal and default_signal (either may be NULL, or the same:
 * then once; a built-in signal or one without a command is skipped). */
void cman_live_sigsup_init(struct cman_live_sigsup *sup, struct cman_signal *pool_signal,
			   struct cman_signal *default_signal);

/*
 * Check each watched command (cman_signal_external_supervise): restart what
 * crashed or hung, log each restart, back-off and failure to log (one line
 * each), and keep the daemon's kill-on-exit list in step with the process
 * groups.  Returns 0 when every command runs, else the last failure (the
 * caller carries on: the cycle falls back to the default signal).
 */
int cman_live_sigsup_check(struct cman_live_sigsup *sup, FILE *log, const char *prog,
			   struct cman_error *err);

/*
 * Prometheus lines for the metrics file (daemon.h's metrics callback):
 * clusterman_signal_process_up, _starts_total, _restarts_total,
 * _crashes_total, _hangs_total, each labelled signal="<name>" and
 * role="pool"|"default" plus labels (a string such as
 * `cluster="c",pool="p"`, inserted as is).
 */
void cman_live_sigsup_metrics(const struct cman_live_sigsup *sup, FILE *fp,
			      const char *labels);

/* Forget the process groups (before the signals are freed). */
void cman_live_sigsup_release(struct cman_live_sigsup *sup);

#endif
