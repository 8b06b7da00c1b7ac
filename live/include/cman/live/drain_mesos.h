/*
 * drain_mesos.h - the Mesos drainer (cman/drain.h) over the master's
 * maintenance API (mesos.h, LIVE-SPEC §5.7).
 *
 * - start: each machine's agent is found by its private IP in the
 *   connector's last reload, and the machine is named as Mesos names it,
 *   {hostname, ip} (the hostname is kept in the drain state, so the same
 *   name is used after the agent has left); then one maintenance window is
 *   scheduled for them all (cman_mesos_drain(): taken out of every other
 *   window, a window from now to the latest deadline).  Mesos then sends
 *   the frameworks inverse offers, and they move their tasks away.  A
 *   machine with neither an agent nor an IP has nothing to drain: it is
 *   taken without a call.
 * - drained: GET_MAINTENANCE_STATUS; a machine is drained when its agent
 *   has left the cluster (no agent of the pool has its IP in the last
 *   reload), or when the machine is in maintenance (draining or down, by
 *   the name start gave it) and its agent runs no task.  A machine that is
 *   no longer in the maintenance schedule is not drained (the pool's
 *   timeout then ends it).
 * - release (after termination): START_MAINTENANCE then STOP_MAINTENANCE
 *   for the machines, which takes them out of the schedule; when Mesos
 *   refuses (a machine no longer scheduled, or already down because an
 *   operator or maintenance tooling brought it down) each machine is done
 *   alone: START_MAINTENANCE, then STOP_MAINTENANCE even if the first was
 *   refused (a machine already down is only brought up), refusals skipped,
 *   so only failures to reach the master are returned.
 * Clusterman differs: it schedules the window through an SQS queue and
 *   terminates 90 s later whatever the machine runs (no drained check), and
 *   its Mesos termination error kills the drainer (LIVE-SPEC §9.9).
 */
#ifndef CMAN_LIVE_DRAIN_MESOS_H
#define CMAN_LIVE_DRAIN_MESOS_H

#include "cman/drain.h"
#include "cman/err.h"
#include "cman/live/mesos.h"

struct cman_mesos_drainer;

/* A drainer for the pool of m (borrowed: the same connector the pool
 * reloads each cycle).  Caller frees with cman_mesos_drainer_free(). */
int cman_mesos_drainer_new(struct cman_mesos *m, struct cman_mesos_drainer **out,
			   struct cman_error *err);
void cman_mesos_drainer_free(struct cman_mesos_drainer *d);   /* NULL is fine */

/* The drainer interface (owned by d), for cman_drain_init(). */
struct cman_drainer *cman_mesos_drainer(struct cman_mesos_drainer *d);

#endif
