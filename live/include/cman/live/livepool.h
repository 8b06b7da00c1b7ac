/*
 * livepool.h - one live pool built from the live configuration (the
 * service file and the pool file, service.h, poolfile.h): the metrics
 * store, the AWS client, the pool's resource groups found by tag, the Mesos
 * connector, the pool's signal with the default signal behind it, the pool
 * manager and the autoscaler, ready for cman_pool_runner_cycle() (runner.h)
 * or for read-only commands.
 *
 * What cman_live_pool_open() builds, in order (LIVE-SPEC §1.4 initialisation):
 * - the pool file <pools_dir>/<cluster>/<pool>.<scheduler> (or opts->pool_file),
 *   loaded with the service file's defaults;
 * - the AWS client: the cluster's region, aws.endpoint_url and
 *   aws.access_key_file of the service file (AWS_ENDPOINT_URL[_<SVC>] win,
 *   aws.h);
 * - the store: metrics.sqlite (an SQLite file, created when missing) or
 *   DynamoDB (Clusterman's tables through the DynamoDB store over a client
 *   of the store's region, the cluster's by default), with the state table
 *   named by aws.state_table for reads AND writes (Clusterman reads a
 *   constant name: LIVE-SPEC §9.11);
 * - the Mesos connector for clusters.<cluster>.mesos_master_fqdn (credentials
 *   from mesos.mesos_agent_secret_path, else $PAASTA_SECRET_MESOS_SLAVE);
 *   a Kubernetes cluster is CMAN_EINVAL (not supported);
 * - discovery (cman_live_pool_discover): the Spot Fleet requests and Auto
 *   Scaling groups carrying the pool's tag, each made a resource group;
 * - unless opts->no_signal: the default signal (the service file's
 *   autoscale_signal, an external signal of namespace
 *   autoscaling.default_signal_role and app "__default__"; without one, the
 *   simulator's built-in default signal); a default signal that cannot be
 *   made fails the open, as in Clusterman.  Then the pool's signal
 *   (autoscale_signal of the pool file): none configured -> the default
 *   signal is used (signal_source CMAN_LIVE_SIGNAL_DEFAULT_UNSET); it cannot
 *   be made (socket unreachable, bad built-in) -> the default signal is
 *   used, the reason kept in signal_fallback and a warning printed on
 *   standard error (CMAN_LIVE_SIGNAL_DEFAULT_FALLBACK);
 * - the period: the chosen signal's period_minutes x 60 (the default
 *   signal's when it is the one used, and when there is no signal);
 * - the pool manager (dry_run from opts) and the autoscaler (clock: opts->clock
 *   or the wall clock; history: the store); with draining_enabled in the
 *   pool file, the Mesos drainer (drain_mesos.h) and the pool's drain set in
 *   the store's state table, timeout draining.draining_time_threshold_seconds
 *   (pm.drain; cman/drain.h).  An Auto Scaling group gets the
 *   scale_in_protection of the pool file entry that found it.
 *
 * Ownership: the pool owns everything it builds and frees it in
 * cman_live_pool_close(); cfg (and opts->clock, opts->store) are borrowed and
 * must outlive the pool.  Nothing is contacted except discovery (AWS
 * describe calls), the store's table check and the signals' sockets: the
 * groups and the connector are first read by the first cycle (or by
 * cman_live_pool_refresh()).  No call made by open, discover or refresh
 * changes anything in AWS or Mesos.
 *
 * Errors: CMAN_EINVAL for configuration ("FILE:LINE:COL: key: ..." from the
 * loaders; "<service file>: clusters: no cluster 'C'"; "<pool file>: ...");
 * the adapters' codes (CMAN_ETRANSIENT, CMAN_ETHROTTLED, CMAN_EREJECTED, ...)
 * for a failed discovery or store check, the message prefixed with what was
 * being done.
 */
#ifndef CMAN_LIVE_LIVEPOOL_H
#define CMAN_LIVE_LIVEPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/autoscaler.h"
#include "cman/connector.h"
#include "cman/err.h"
#include "cman/live/asg.h"
#include "cman/live/aws.h"
#include "cman/live/drain_mesos.h"
#include "cman/live/mesos.h"
#include "cman/live/service.h"
#include "cman/live/spot_fleet.h"
#include "cman/pool.h"
#include "cman/poolfile.h"
#include "cman/signal.h"
#include "cman/store.h"

struct cman_live_pool_opts {
	bool dry_run;               /* the pool manager changes nothing (default) */
	bool no_signal;             /* build no signal (collect, status, manage):
				       signal and default_signal stay NULL and the
				       autoscaler cannot run */
	bool no_discovery;          /* find no groups at open (call
				       cman_live_pool_discover() later) */
	/* asg.h: REFUSE (default): each asg entry's scale_in_protection
	 * decides; SET: protect in every group whatever the pool file says */
	enum cman_asg_protection asg_protection;
	const char *pool_file;      /* NULL: <pools_dir>/<cluster>/<pool>.<scheduler>;
				       else this file (its own name need not
				       follow the pattern: shadow candidates) */
	struct cman_store *store;   /* borrowed: use this store instead of the
				       configured one (tests, a shared store) */
	const struct cman_clock *clock;  /* borrowed; NULL: the wall clock */
};

/* Fill o with the defaults: dry run, signals built, discovery at open. */
void cman_live_pool_opts_init(struct cman_live_pool_opts *o);

enum cman_live_signal_source {
	CMAN_LIVE_SIGNAL_NONE = 0,          /* opts->no_signal */
	CMAN_LIVE_SIGNAL_POOL,              /* the pool file's autoscale_signal */
	CMAN_LIVE_SIGNAL_DEFAULT_UNSET,     /* the pool file names no signal */
	CMAN_LIVE_SIGNAL_DEFAULT_FALLBACK   /* the pool's signal could not be made */
};

/* "none", "pool", "default" or "default (fallback)". */
const char *cman_live_signal_source_name(enum cman_live_signal_source s);

/* One resource group found by discovery. */
struct cman_live_group {
	enum cman_discovery_kind kind;      /* SFR or ASG */
	char *id;                           /* fleet request id or group name */
	struct cman_aws_sfr *sfr;           /* kind SFR */
	struct cman_aws_asg *asg;           /* kind ASG */
	struct cman_resource_group *rg;     /* the interface (owned by sfr/asg) */
};

struct cman_live_pool {
	const struct cman_live_config *cfg;        /* borrowed */
	const struct cman_live_cluster *cluster;   /* in cfg */
	char name[256];                            /* the pool */
	char scheduler[32];
	char entity[512];                          /* <cluster>.<pool>.<scheduler> */
	struct cman_pool_file pf;                  /* the pool file, loaded */
	struct cman_aws_client *aws;
	struct cman_aws_client *store_aws;         /* DynamoDB in another region, or NULL */
	struct cman_store *store;
	bool own_store;
	struct cman_mesos *mesos;
	struct cman_connector *conn;               /* cman_mesos_connector(mesos) */
	/* groups in discovery order: the pool file's entries in order, each
	 * entry's ids in the order AWS listed them, each id once */
	struct cman_live_group *groups;
	size_t n_groups;
	struct cman_resource_group **rgs;          /* parallel to groups (pm.groups) */
	size_t discover_skipped;                   /* tagged groups whose tag was not JSON */
	/* signals (NULL with opts->no_signal) */
	struct cman_signal *signal;                /* the pool's; NULL when the default is used */
	struct cman_signal *default_signal;
	enum cman_live_signal_source signal_source;
	char signal_fallback[512];                 /* why (DEFAULT_FALLBACK), else "" */
	char signal_name[128];                     /* the signal used */
	int64_t period_seconds;                    /* of the signal used (> 0) */
	/* the autoscaler */
	struct cman_pool_manager pm;
	struct cman_autoscaler as;
	struct cman_clock wall;                    /* used when opts->clock is NULL */
	const struct cman_clock *clock;
	bool dry_run;
	enum cman_asg_protection asg_protection;
	/* draining_enabled: the Mesos drainer and the pool's drain set (the
	 * pool manager's drain; state in the store's state table) */
	struct cman_mesos_drainer *drainer;
	struct cman_drain drain;
};

/*
 * Build the pool (see the top) into a new *out; cluster names a cluster of
 * cfg, pool and scheduler (NULL: "mesos") the pool file.  On failure *out is
 * NULL and everything built so far is freed.  Caller frees with
 * cman_live_pool_close().
 */
int cman_live_pool_open(const struct cman_live_config *cfg, const char *cluster,
			const char *pool, const char *scheduler,
			const struct cman_live_pool_opts *opts,
			struct cman_live_pool **out, struct cman_error *err);

/* Free everything the pool built (signal processes stopped, sockets closed,
 * an owned store flushed and closed).  NULL is fine. */
void cman_live_pool_close(struct cman_live_pool *lp);

/*
 * Find the pool's groups again (LIVE-SPEC §2.4: Clusterman re-discovers on
 * every reload): groups still found keep their object (and its last
 * description), new ones are added (not yet described), vanished ones are
 * freed.  The pool manager's group list follows.  On failure the previous
 * list stays.  A pool file entry with S3 discovery only is CMAN_EINVAL (not
 * supported).
 */
int cman_live_pool_discover(struct cman_live_pool *lp, struct cman_error *err);

/*
 * Read the pool as a cycle would, without deciding anything: reload the
 * connector, then refresh every group (cman_pool_refresh).  For read-only
 * commands (status).  Describe calls only.
 */
int cman_live_pool_refresh(struct cman_live_pool *lp, struct cman_error *err);

/* Set the pool manager's dry-run flag (the runner also copies its own). */
void cman_live_pool_set_dry_run(struct cman_live_pool *lp, bool dry_run);

/* The wall clock (CLOCK_REALTIME seconds); static. */
const struct cman_clock *cman_live_wall_clock(void);

#endif
