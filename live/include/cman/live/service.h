/*
 * service.h - live mode's service file, `clusterman.yaml` in Clusterman's
 * shape (LIVE-SPEC.md 2.2), and the pool files it leads to.
 *
 * The file is found by --config FILE, else $CLUSTERMAN_CONFIG, else
 * /etc/clusterman/clusterman.yaml.  Its cluster_config_directory (relative
 * to the file; default clusters/ beside it) holds one pool file per pool at
 * <cluster>/<pool>.<scheduler> (cman/poolfile.h).  Relative paths in the
 * file (access_key_file, metrics.sqlite, cluster_config_directory) are
 * relative to the file's folder.
 */
#ifndef CMAN_LIVE_SERVICE_H
#define CMAN_LIVE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/config.h"
#include "cman/live/aws.h"
#include "cman/live/mesos.h"
#include "cman/err.h"
#include "cman/poolcfg.h"

#define CMAN_LIVE_DEFAULT_CONFIG "/etc/clusterman/clusterman.yaml"

struct cman_live_cluster {
	char *name;
	char *region;              /* clusters.<name>.aws_region, else aws.region */
	char *manager;             /* cluster_manager: "mesos" (default) or "kubernetes" */
	char *mesos_url;           /* mesos_master_fqdn as scheme://host:port
				      (default http and 5050); NULL when absent */
	char *account;             /* aws_account_number or NULL */
};

struct cman_live_config {
	char *path;                /* the service file, as found */
	char *dir;                 /* its folder */
	char *pools_dir;           /* cluster_config_directory, resolved */
	struct cman_node *root;
	char *region;              /* aws.region or NULL */
	char *endpoint_url;        /* aws.endpoint_url (with {svc}) or NULL */
	char *access_key_file;     /* resolved, or NULL */
	char *state_table;         /* aws.state_table, default clusterman_cluster_state */
	/* aws.timeout_seconds, aws.connect_timeout_seconds,
	 * mesos.timeout_seconds, mesos.connect_timeout_seconds (our extension)
	 * in milliseconds; 0 when absent: the clients' defaults (aws.h,
	 * mesos.h).  cman_live_config_aws() and _mesos() apply them. */
	long aws_timeout_ms, aws_connect_timeout_ms;
	long mesos_timeout_ms, mesos_connect_timeout_ms;
	/* the metrics store as cman_store_open() names it: an SQLite path
	 * (metrics.sqlite) or dynamodb://PREFIX[?region=R] (the default:
	 * Clusterman's tables, prefix clusterman_) */
	char *store;
	bool store_is_sqlite;
	/* pool defaults: autoscaling.setpoint (0.7), target_capacity_margin
	 * (0.1), excluded_resources ([]) */
	struct cman_pool_parse_opts defaults;
	char *default_signal_role; /* autoscaling.default_signal_role or NULL */
	bool has_default_signal;   /* autoscale_signal given */
	struct cman_signal_config default_signal;
	/* batches.*.run_interval_seconds (60 when absent) and the spot
	 * prices' dedupe_interval_seconds (60) */
	int64_t metrics_interval, prices_interval, prices_dedupe;
	struct cman_live_cluster *clusters;   /* in file order */
	size_t n_clusters;
};

/* The service file to use: opt when given, else $CLUSTERMAN_CONFIG when
 * set and non-empty, else CMAN_LIVE_DEFAULT_CONFIG.  Static or borrowed. */
const char *cman_live_config_find(const char *opt);

/*
 * Load and check the service file (not the pool files).  Every problem is
 * CMAN_EINVAL "FILE:LINE:COL: <key path>: what is wrong, expected what";
 * unknown keys are errors (Clusterman's keys are accepted).  A cluster
 * needs a region (its aws_region or aws.region) and, unless its
 * cluster_manager is kubernetes, a mesos_master_fqdn
 * ([http:// or https://]HOST[:PORT]).  An unreadable file is CMAN_EINVAL "PATH: cannot open: ..." (exit 2).
 * On failure *cfg is released.  Release with cman_live_config_release().
 */
int cman_live_config_load(const char *path, struct cman_live_config *cfg,
			  struct cman_error *err);

void cman_live_config_release(struct cman_live_config *cfg);

/* The AWS client configuration of the service file for region (NULL or
 * "": the client resolves it): cman_aws_config_init() defaults, then
 * aws.endpoint_url, aws.access_key_file and the timeouts. */
void cman_live_config_aws(const struct cman_live_config *cfg, const char *region,
			  struct cman_aws_config *ac);
/* The timeouts of the mesos section over mc (left as they are when absent). */
void cman_live_config_mesos(const struct cman_live_config *cfg, struct cman_mesos_config *mc);

/* The cluster named name, or NULL. */
const struct cman_live_cluster *cman_live_config_cluster(const struct cman_live_config *cfg,
							 const char *name);

/*
 * The pool files of a cluster: <pools_dir>/<cluster>/ *.mesos and
 * *.kubernetes (dotfiles skipped), sorted by name, as a NULL-terminated
 * array of paths (caller frees each and the array).  A missing folder is no
 * pool (0 and an empty list); an unreadable one CMAN_EIO.
 */
int cman_live_config_pool_files(const struct cman_live_config *cfg, const char *cluster,
				char ***paths, size_t *n, struct cman_error *err);

/* <pools_dir>/<cluster>/<pool>.<scheduler> into buf (n bytes). */
int cman_live_config_pool_path(const struct cman_live_config *cfg, const char *cluster,
			       const char *pool, const char *scheduler, char *buf, size_t n);

#endif
