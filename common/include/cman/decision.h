/*
 * decision.h - the record of one autoscaler run (a line of decisions.jsonl,
 * INTERFACE.md): what the run saw, decided and did, per group and per
 * machine.  Filled by the autoscaler (autoscaler.h) and the pool manager
 * (pool.h); depends on neither.
 */
#ifndef CMAN_DECISION_H
#define CMAN_DECISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cman/err.h"
#include "cman/request.h"

#define CMAN_MAX_CLAMPS 8
/* decisions.jsonl lists the first this many skipped machines of a run (a
 * pool just above its target can skip thousands) and their total count. */
#define CMAN_DECISION_JSON_SKIPPED 50

struct cman_skip {
	size_t id;                   /* the machine's id: cman_decision_str() */
	const char *reason;          /* static: "weight limit", "group at target",
				      * "task limit", "non-orphan floor", ... */
};

/* What the run did to one resource group (pool manager step 5). */
struct cman_group_result {
	size_t id;                   /* the group's id: cman_decision_str() */
	double planned;              /* the target the distribution gave it */
	/* the target it has after the run: planned when it was resized or
	 * already there; on a dry run or when the resize failed, the target it
	 * had (a failed call may also have been applied: NaN, unknown, for
	 * CMAN_ETIMEOUT and CMAN_EPARTIAL) */
	double applied;
	int rc;                      /* 0, or the error of its resize */
	size_t error;                /* rc != 0: the message, cman_decision_str() */
};

/* Machine ids, as offsets into the decision's strings. */
struct cman_id_list {
	size_t n, cap;
	size_t *ids;
};

/* What a draining pool did with its machines in one run. */
enum cman_drain_list {
	CMAN_DRAIN_STARTED = 0,      /* chosen by pruning, handed to the drainer
				      * (dry run: would be) */
	CMAN_DRAIN_DRAINED,          /* drained: terminated (or termination tried:
				      * see terminated / terminate_failed) */
	CMAN_DRAIN_TIMED_OUT,        /* the timeout came first: terminated anyway */
	CMAN_DRAIN_GONE,             /* no longer running in its group: forgotten */
	CMAN_DRAIN_PENDING,          /* still draining after the run */
	CMAN_DRAIN_LISTS
};

/*
 * What one autoscaler run saw and did (a line of decisions.jsonl).  Ids
 * and messages of any length live in one string buffer the decision owns
 * (offsets, read with cman_decision_str()); every array is kept across
 * cman_decision_reset() and freed by cman_decision_release().
 */
struct cman_decision {
	int64_t time;
	char signal[128];            /* the signal evaluated (default on fallback) */
	bool signal_failed;
	char signal_error[512];
	struct cman_request request;
	bool has_usage;
	double usage;                /* of the most constrained resource */
	int constrained;             /* its enum cman_resource, -1 if none */
	double current_target;
	double computed_target;      /* step 2, before the constraints */
	double new_target;           /* after them */
	char reason[256];            /* how step 2 decided */
	size_t n_clamps;
	char clamps[CMAN_MAX_CLAMPS][160];   /* "max_capacity: 40 -> 30", ... */
	/* per group, parallel to the pool manager's groups */
	size_t n_groups, cap_groups;
	struct cman_group_result *groups;
	/* machines terminated (pruned or orphaned; on a dry run: chosen), those
	 * whose termination failed, and those skipped; offsets of their ids */
	size_t n_terminated, cap_terminated;
	size_t *terminated;
	size_t n_terminate_failed, cap_terminate_failed;
	size_t *terminate_failed;
	/* n_skipped counts every skipped machine; skipped[] holds them all,
	 * or the first skipped_keep of them when that is set */
	size_t n_skipped, cap_skipped;
	struct cman_skip *skipped;
	bool paused;
	bool dry_run;                /* nothing was changed (live: no --execute) */
	/* draining (a pool that drains before terminating, cman/drain.h):
	 * per list, offsets of ids; the first error of the drainer or of the
	 * drain state (drain_error, when drain_failed) */
	bool draining;
	struct cman_id_list drain[CMAN_DRAIN_LISTS];
	bool drain_failed;
	size_t drain_error;
	/* the strings */
	char *strs;
	size_t strs_len, strs_cap;
	/* set by the caller, kept by cman_decision_reset: the reason is never
	 * shown (sweeps keep totals only), so it is not formatted and stays ""
	 * (issue 12.4: its printf of floating-point numbers was 15% of a run) */
	bool no_text;
	/* set by the caller, kept by cman_decision_reset: 0 keeps every
	 * skipped machine; else only the first skipped_keep are kept (and all
	 * counted): CMAN_DECISION_JSON_SKIPPED is all a record shows (issue
	 * 12: a prune may skip every machine of a large pool, every run) */
	size_t skipped_keep;
};

/* An empty decision (constrained -1, no arrays). */
void cman_decision_init(struct cman_decision *d);
/* Empty it for the next run, keeping its arrays. */
void cman_decision_reset(struct cman_decision *d);
/* Free its arrays and leave it as cman_decision_init() does (safe twice). */
void cman_decision_release(struct cman_decision *d);
/* The string at offset off of d's buffer (an id or message offset above). */
static inline const char *cman_decision_str(const struct cman_decision *d, size_t off)
{
	return d->strs + off;
}
/* Append a clamp message (truncated to 159 bytes); CMAN_EINVAL when
 * CMAN_MAX_CLAMPS are already recorded. */
int cman_decision_add_clamp(struct cman_decision *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append a terminated machine (the id copied whole); CMAN_ENOMEM. */
int cman_decision_add_terminated(struct cman_decision *d, const char *id);
/* Append a machine whose termination failed; CMAN_ENOMEM. */
int cman_decision_add_terminate_failed(struct cman_decision *d, const char *id);
/* Append a skipped machine (only counted past d->skipped_keep, when set);
 * reason must be static (not copied); CMAN_ENOMEM. */
int cman_decision_add_skipped(struct cman_decision *d, const char *id,
			      const char *reason);
/* n more skipped machines, only counted: for a caller that set
 * skipped_keep and has already added that many. */
void cman_decision_count_skipped(struct cman_decision *d, size_t n);
/* Append id to drain list which; CMAN_ENOMEM. */
int cman_decision_add_drain(struct cman_decision *d, enum cman_drain_list which,
			    const char *id);
/* Record a drain error (the first is kept; later ones are dropped);
 * CMAN_ENOMEM. */
int cman_decision_drain_error(struct cman_decision *d, const char *msg);
/* Was id recorded as terminated in this run? */
bool cman_decision_has_terminated(const struct cman_decision *d, const char *id);
/*
 * Make room for n groups (arrays grown as needed, kept across resets), set
 * n_groups = n, every id "", planned and applied 0, no error.  0 or
 * CMAN_ENOMEM (d unchanged then).
 */
int cman_decision_set_groups(struct cman_decision *d, size_t n);
/* Group i's id (copied whole) and planned target; applied = planned.
 * CMAN_ENOMEM. */
int cman_decision_set_group(struct cman_decision *d, size_t i, const char *id,
			    double planned);
/* Group i's resize failed with rc and message msg (copied); CMAN_ENOMEM. */
int cman_decision_set_group_error(struct cman_decision *d, size_t i, int rc,
				  const char *msg);

/*
 * Write d as one line of JSON (decisions.jsonl, INTERFACE.md): time,
 * signal, signal_error (null), request {cpus, mem, disk, gpus; null when
 * absent}, usage, constrained_resource, current_target, computed_target,
 * new_target, clamps [..], reason, group_targets {id: planned target},
 * terminated [ids], skipped [{id, reason}] (the first
 * CMAN_DECISION_JSON_SKIPPED), skipped_total, paused.  Deterministic.
 */
int cman_decision_write_json(const struct cman_decision *d, FILE *fp);
/* (Returns 0, CMAN_ENOMEM, or CMAN_EIO when fp cannot be written.  Numbers
 * are written with 12 significant digits; a non-finite one as null.) */

/*
 * The same line with live mode's keys after the simulator's (INTERFACE.md
 * "clusterman-live autoscale"): dry_run, groups {id: {planned, applied
 * (null: unknown), error (null: none)}}, terminate_failed [ids]; for a
 * draining pool (d->draining) also draining {started, drained, timed_out,
 * gone, pending: [ids], error: text or null}.
 */
int cman_decision_write_json_live(const struct cman_decision *d, FILE *fp);

#endif
