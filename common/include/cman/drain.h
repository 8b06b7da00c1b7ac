/*
 * drain.h - draining machines before they are terminated (LIVE-SPEC §5.3,
 * §5.7), knowing nothing of the scheduler: a drainer behind a const function
 * table (Mesos maintenance in live mode, a fake in tests) and the set of
 * machines being drained, kept in the pool's state table so that a
 * restarted daemon resumes it.
 *
 * How the pool manager uses it (pool.h, cman_pool_modify()) when a pool
 * drains (draining_enabled):
 * 1. the set is read from the state table (a read error fails the run
 *    before anything changes, as for the pause);
 * 2. each machine of the set still running in its group is terminated when
 *    the drainer says it is drained, or when its deadline (started + the
 *    pool's timeout) has come, drained or not (recorded as timed out); one
 *    whose drain the drainer did not take yet is offered to it again; a
 *    machine no longer running in its group is dropped (gone).  A
 *    terminated or gone machine is released (the drainer forgets it) and
 *    leaves the set; one whose termination failed stays, and is tried again
 *    next run;
 * 3. machines being drained are not pruned again and their weight counts as
 *    already removed when pruning (see pool.h);
 * 4. machines pruning chooses are added to the set (written to the state
 *    table first), then handed to the drainer's start();
 * 5. the set is written back when it changed (deleted when empty).
 * On a dry run the set is read, the drainer is only asked which machines
 * are drained, termination is only checked, and nothing is started,
 * released or written.
 */
#ifndef CMAN_DRAIN_H
#define CMAN_DRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"
#include "cman/store.h"

/* Room for a scheduler's name of a machine (a DNS name is at most 253). */
#define CMAN_DRAIN_NAME_MAX 256

/* A machine being drained. */
struct cman_drain_machine {
	char *instance_id;            /* owned by the set */
	char *group_id;               /* the resource group it belongs to */
	char *ip;                     /* private IPv4 address, "" when none */
	/* the scheduler's name for it, set by the drainer's start() (Mesos:
	 * the agent's hostname); "" when unknown; kept in the state table */
	char hostname[CMAN_DRAIN_NAME_MAX];
	int64_t started;              /* when it was chosen (epoch seconds) */
	int64_t deadline;             /* terminated from then on, drained or not */
	bool acked;                   /* the drainer's start() took it */
	/* per run, not stored (set by the pool manager) */
	bool done;                    /* terminated or gone: leaves at the end */
	bool found;                   /* running in its group this run */
	size_t group;                 /* found: its group's index */
	double weight;                /* found: its weight */
};

struct cman_drainer;

/*
 * Every call gets the machines as the set holds them.  Errors are negative
 * cman_err codes with a message in err; the pool manager records them in
 * the decision and carries on (a start that failed is retried next run, a
 * failed drained() counts as "none drained yet").
 */
struct cman_drainer_ops {
	const char *kind;             /* "mesos", ... */
	/* Start draining m[0..n) (started and deadline set).  May set
	 * m[i].hostname.  Starting a machine that is already draining again is
	 * harmless.  0: every machine was taken; an error: none counts as taken. */
	int (*start)(struct cman_drainer *dr, struct cman_drain_machine *m, size_t n,
		     int64_t now, struct cman_error *err);
	/* Set drained[i] (false on entry) for each machine that is drained:
	 * nothing of the scheduler runs on it any more. */
	int (*drained)(struct cman_drainer *dr, const struct cman_drain_machine *m,
		       size_t n, bool *drained, struct cman_error *err);
	/* The machines were terminated or are gone: forget them (may be NULL). */
	int (*release)(struct cman_drainer *dr, const struct cman_drain_machine *m,
		       size_t n, struct cman_error *err);
};

struct cman_drainer {
	const struct cman_drainer_ops *ops;
};

/* The set of machines being drained for one pool. */
struct cman_drain {
	struct cman_drainer *drainer;     /* borrowed */
	struct cman_store *state;         /* borrowed: the pool's state table */
	char entity[CMAN_STATE_ENTITY_MAX];   /* "<cluster>.<pool>.<scheduler>" */
	int64_t timeout;                  /* seconds a machine may drain */
	struct cman_drain_machine *m;
	size_t n, cap;
	bool changed;                     /* differs from the state table */
	bool loaded;                      /* the last cman_drain_load() worked */
	bool *flags;                      /* scratch for drained() */
	size_t flags_cap;
};

/*
 * Set up dr for one pool: drainer and state are borrowed (both required;
 * the state store must keep pool state: SQLite or DynamoDB), entity as
 * cman_state_entity() makes it, timeout >= 0.  CMAN_EINVAL otherwise.
 * Nothing is read until cman_drain_load().  Release with cman_drain_release().
 */
int cman_drain_init(struct cman_drain *dr, struct cman_drainer *drainer,
		    struct cman_store *state, const char *entity, int64_t timeout,
		    struct cman_error *err);
void cman_drain_release(struct cman_drain *dr);   /* safe twice */

/* Replace the set with the state table's (empty when there is no item).
 * A read error or a malformed item is returned (the set is then empty and
 * loaded false: the pool manager then cleans up no orphan either, since it
 * cannot tell which machines are being drained). */
int cman_drain_load(struct cman_drain *dr, struct cman_error *err);
/* Write the set (delete the item when it is empty) at time now; clears
 * changed on success. */
int cman_drain_save(struct cman_drain *dr, int64_t now, struct cman_error *err);

/* Add a machine chosen at now (deadline now + timeout, not acked); its
 * index, or CMAN_ENOMEM.  ip may be NULL. */
int cman_drain_add(struct cman_drain *dr, const char *instance_id, const char *group_id,
		   const char *ip, int64_t now);
/* The index of the machine with this instance id, or -1. */
long cman_drain_find(const struct cman_drain *dr, const char *instance_id);
/* Drop the machines marked done. */
void cman_drain_compact(struct cman_drain *dr);

/*
 * The set as the state table keeps it: a JSON array of
 * {"instance_id", "group_id", "ip", "hostname", "started", "deadline",
 * "acked"}, in the set's order.  encode: *out malloc'ed (caller frees);
 * decode replaces the set, CMAN_EINVAL naming what is wrong.  decode also
 * works on a zeroed set with only entity filled in (a reader without a
 * drainer, such as `status`); release it with cman_drain_release().
 */
int cman_drain_encode(const struct cman_drain *dr, char **out, struct cman_error *err);
int cman_drain_decode(struct cman_drain *dr, const char *text, struct cman_error *err);

#endif
