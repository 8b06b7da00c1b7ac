/*
 * daemon.h - the loop live mode's daemons run on (`clusterman-live
 * autoscale`, `collect`): one cycle per period at a stable splay, stop and
 * reload on signals, a health file and a Prometheus text-format metrics
 * file (LIVE-SPEC.md 1.2, 8).
 *
 * The loop: wait for the next slot, take `now` (UTC seconds) once, call the
 * cycle callback with it, count its outcome, write the health and metrics
 * files, and again, until the cycle bound is reached or a stop signal came.
 * A failed cycle never stops the loop: its error is logged, counted by kind
 * and shown in both files.
 *
 * Splay.  Cycles run at the instants t with t mod period == offset, where
 * offset = FNV-1a 64 of "<name>:<cluster>:<pool>" mod period (ms precision):
 * the same on every host and across restarts, so daemons of different pools
 * stay spread over the period and a restart keeps its slot.  Clusterman
 * takes Python's per-process randomised hash() of the same kind of key, so
 * its slot moves on every restart (LIVE-SPEC.md 9, hazard 14).  As in
 * Clusterman the first cycle waits for the first slot, except with --once
 * (a one-off run for an operator starts at once).  A cycle that overruns its
 * slot makes the loop skip to the next slot after it (never two cycles in a
 * row without a wait, never a burst to catch up).
 *
 * Signals (handlers installed by cman_daemon_run, restored before it
 * returns):
 *   SIGTERM, SIGINT  stop.  A wait is interrupted and the loop ends with
 *                    status 0.  A cycle already running goes on until it
 *                    asks cman_daemon_may_mutate(): that answers false, so
 *                    the cycle returns before changing anything (it is
 *                    "abandoned": not counted, no health update).  A cycle
 *                    that was already told it may mutate is finished, then
 *                    the loop ends (status 0).  A second SIGTERM/SIGINT
 *                    exits at once with status 128 + the signal number
 *                    (143 for SIGTERM, 130 for SIGINT) after sending
 *                    SIGKILL to the process groups registered with
 *                    cman_daemon_kill_on_exit() (the signal processes).
 *   SIGHUP           reload: at the next cycle boundary the reload callback
 *                    is called; when it fails the old configuration stays
 *                    in force and the message is logged ("keeping the
 *                    previous configuration: ...").
 *
 * Files (each written with a temporary beside it and renamed, so a reader
 * sees the old or the new file, never half of one; a write failure is a
 * logged warning, never fatal):
 *   health   one JSON object: {"name", "cluster", "pool", "pid", "status":
 *            "ok"|"failing"|"starting", "last_cycle" (UTC seconds of the
 *            last finished cycle's `now`), "last_cycle_time" (ISO 8601),
 *            "outcome": "ok"|"paused"|"failed", "error" (the last failure's
 *            message, or null), "error_kind", "consecutive_failures",
 *            "cycles", "failures", "next_cycle" (UTC seconds), "dry_run"}.
 *            status is "failing" when the last cycle failed, "starting"
 *            before the first cycle finished (written at start).
 *            With opts.load_data also "load_data" (true, false: the last
 *            cycle that said had no load data, null: none said yet),
 *            "no_load_data_since" (UTC seconds of the first cycle of the
 *            current run without, or null), "cycles_without_load_data" (in a
 *            row) and "warnings": a list of {"kind": "no_load_data",
 *            "message", "since"} (empty when the last cycle had load data).
 *   metrics  Prometheus text format (version 0.0.4), every sample labelled
 *            cluster="C",pool="P" (pool left out when NULL):
 *            clusterman_<name>_cycle_duration_seconds   gauge, last cycle
 *            clusterman_<name>_last_cycle_timestamp_seconds  gauge
 *            clusterman_<name>_cycles_total             counter, by outcome
 *            clusterman_<name>_errors_total             counter, by kind
 *              (throttling, 5xx, timeout, signal, other: every kind is
 *              always written, 0 until it happens)
 *            clusterman_<name>_consecutive_failures     gauge
 *            clusterman_<name>_paused                   gauge 0/1
 *            clusterman_<name>_dry_run                  gauge 0/1
 *            clusterman_<name>_target_capacity          gauge (when known)
 *            clusterman_<name>_fulfilled_capacity       gauge (when known)
 *            clusterman_<name>_max_capacity             gauge (when known)
 *            with opts.load_data:
 *            clusterman_<name>_no_load_data             gauge 0/1, the last
 *              cycle that said had no load data
 *            clusterman_<name>_cycles_without_load_data_total  counter
 *            plus what the metrics callback appends.
 *
 * Test hook (not for production): the environment variable
 * CMAN_LIVE_TEST_PERIOD_MS, when set to an integer >= 0, replaces the
 * period used for waiting by that many milliseconds (the splay is taken
 * within it; 0 waits not at all), so tests run N cycles without real
 * waits.  `now` given to the cycle stays the wall clock.
 */
#ifndef CMAN_LIVE_DAEMON_H
#define CMAN_LIVE_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "cman/err.h"

/* What a cycle's failure is counted as. */
enum cman_daemon_err_kind {
	CMAN_DERR_THROTTLING,   /* CMAN_ETHROTTLED: the provider asked to slow down */
	CMAN_DERR_5XX,          /* CMAN_ETRANSIENT: 5xx, dropped connection */
	CMAN_DERR_TIMEOUT,      /* CMAN_ETIMEOUT */
	CMAN_DERR_SIGNAL,       /* the autoscaling signal failed (said by the cycle) */
	CMAN_DERR_OTHER,        /* anything else */
	CMAN_DERR_COUNT
};

/* "throttling", "5xx", "timeout", "signal", "other". */
const char *cman_daemon_err_kind_name(enum cman_daemon_err_kind k);

/* The kind of a failure from its code (err->code; a remote HTTP status
 * >= 500 with another code is 5xx).  Never CMAN_DERR_SIGNAL: only the cycle
 * knows that a failure came from the signal. */
enum cman_daemon_err_kind cman_daemon_error_kind(const struct cman_error *err);

/* One cycle: in and out fields. */
struct cman_daemon_cycle {
	int64_t now;               /* in: UTC seconds, taken once per cycle */
	uint64_t index;            /* in: 0 for the first cycle of this run */
	/* out (preset: not paused, NAN capacities, kind_set false) */
	bool paused;               /* the pool was paused: nothing done */
	double target, fulfilled, max_capacity;   /* NAN: not known */
	bool kind_set;             /* the returned failure is of `kind`, not */
	enum cman_daemon_err_kind kind; /* the one its code says */
	/* load data (opts.load_data daemons; preset -1: not said): 1 the
	 * cycle decided on recorded load, 0 it had none (the signal requested
	 * nothing), with a message in no_load_why (borrowed until the cycle
	 * returns; NULL: a generic one) */
	int load_data;
	const char *no_load_why;
};

struct cman_daemon;

/*
 * The cycle: do one cycle at c->now.  Return 0, or a negative cman_err with
 * a message in err (the cycle failed: counted, logged, the loop goes on).
 * Before its first mutating call it must call cman_daemon_may_mutate(d) and
 * return without mutating when that is false.
 */
typedef int (*cman_daemon_cycle_fn)(void *ctx, struct cman_daemon *d,
				    struct cman_daemon_cycle *c, struct cman_error *err);
/* Reload the configuration (SIGHUP).  On failure the callback must leave the
 * old configuration in force.  May change the period (cman_daemon_set_period). */
typedef int (*cman_daemon_reload_fn)(void *ctx, struct cman_daemon *d, struct cman_error *err);
/* Append lines to the metrics file (Prometheus text format). */
typedef void (*cman_daemon_metrics_fn)(void *ctx, FILE *fp);

struct cman_daemon_opts {
	const char *name;          /* "autoscaler", "collector": metric names, splay key */
	const char *cluster;       /* label and splay key */
	const char *pool;          /* label and splay key; NULL for a cluster-wide daemon */
	int64_t period_seconds;    /* > 0 */
	bool dry_run;              /* shown in the files */
	bool load_data;            /* the cycles say whether they had load data
				      (cman_daemon_cycle.load_data): shown in
				      both files */
	bool once;                 /* one cycle, at once (no splay wait) */
	uint64_t max_cycles;       /* 0: until stopped; once: 1 */
	const char *health_file;   /* NULL: none */
	const char *metrics_file;  /* NULL: none */
	FILE *log;                 /* messages; NULL: stderr */
	const char *prog;          /* message prefix, e.g. "clusterman-live autoscale" */
	cman_daemon_cycle_fn cycle;
	cman_daemon_reload_fn reload;     /* NULL: SIGHUP is logged and ignored */
	cman_daemon_metrics_fn metrics;   /* NULL: nothing appended */
	void *ctx;
};

/* Counts kept over the run (read them after cman_daemon_run). */
struct cman_daemon_stats {
	uint64_t cycles;           /* finished cycles (ok, paused or failed) */
	uint64_t ok, paused, failed, abandoned;
	uint64_t errors[CMAN_DERR_COUNT];
	uint64_t consecutive_failures;
	uint64_t reloads, reload_failures;
	/* opts.load_data: finished cycles that had no load data, in all and
	 * in a row (up to the last finished cycle) */
	uint64_t no_load_cycles, no_load_streak;
	int stop_signal;           /* the signal that stopped the loop, or 0 */
};

/*
 * Options shared by the daemons' command lines: --once, --cycles N,
 * --health-file FILE, --metrics-file FILE (also as --opt=VALUE).  Returns 1
 * when argv[*i] was one of them (and *i moved past its value), 0 when not,
 * or CMAN_EINVAL with a message (a missing or bad value; --once with
 * --cycles).  CMAN_DAEMON_OPTIONS_HELP is their --help text.
 */
int cman_daemon_option(struct cman_daemon_opts *o, int argc, char **argv, int *i,
		       struct cman_error *err);

#define CMAN_DAEMON_OPTIONS_HELP \
	"  --once               one cycle, started at once, then exit (status 1 if it\n" \
	"                       failed)\n" \
	"  --cycles N           N cycles at the daemon's slots, then exit (status 1 if\n" \
	"                       the last one failed)\n" \
	"  --health-file FILE   rewrite FILE (JSON: status ok/failing, last cycle,\n" \
	"                       outcome, consecutive failures) after every cycle\n" \
	"  --metrics-file FILE  rewrite FILE (Prometheus text format: cycle duration,\n" \
	"                       target, fulfilled, cycles and errors by kind, paused,\n" \
	"                       dry_run) after every cycle\n"

/* FNV-1a 64 of "<name>:<cluster>:<pool>" (pool "" when NULL) mod period_ms:
 * the cycle's offset inside the period, in [0, period_ms). */
int64_t cman_daemon_splay_ms(const char *name, const char *cluster, const char *pool,
			     int64_t period_ms);

/*
 * Run the loop with o (copied; its strings are borrowed and must outlive
 * the run).  Returns 0 when the loop ended (cycle bound reached, or stopped
 * by SIGTERM/SIGINT), whatever the cycles' outcomes, with the counts in
 * *stats (may be NULL); CMAN_EINVAL for bad options (no cycle callback,
 * period <= 0), CMAN_ENOMEM.  A second stop signal does not return (see
 * the top).
 */
int cman_daemon_run(const struct cman_daemon_opts *o, struct cman_daemon_stats *stats,
		    struct cman_error *err);

/* The exit status for a run that returned 0: 1 when the run was bounded
 * (--once, --cycles) and its last finished cycle failed, else 0. */
int cman_daemon_exit_status(const struct cman_daemon_opts *o,
			    const struct cman_daemon_stats *stats);

/*
 * Asked by a cycle before its first mutating call: false when a stop was
 * requested (the cycle must return without mutating; it is counted as
 * abandoned), else true, and from then on a stop request lets the cycle
 * finish.
 */
bool cman_daemon_may_mutate(struct cman_daemon *d);

/* Whether a stop was requested (a long cycle may check it between steps). */
bool cman_daemon_stopping(const struct cman_daemon *d);

/* Count an error of kind k that did not fail the cycle (a fallback to the
 * default signal, a resource group that failed while others went on). */
void cman_daemon_count_error(struct cman_daemon *d, enum cman_daemon_err_kind k);

/* Change the period (a reload did); period_seconds > 0. */
void cman_daemon_set_period(struct cman_daemon *d, int64_t period_seconds);

/* The options the run was started with (the cycle callback may read them). */
const struct cman_daemon_opts *cman_daemon_opts(const struct cman_daemon *d);

/*
 * Process groups to SIGKILL when a second stop signal makes the process exit
 * at once (at most 16; async-signal-safe bookkeeping).  A pgid of 0 or
 * below is ignored; cman_daemon_forget_group() removes one (a process
 * stopped normally).
 */
void cman_daemon_kill_on_exit(pid_t pgid);
void cman_daemon_forget_group(pid_t pgid);

#endif
