/*
 * poolfile.h - a live pool file, `<cluster>/<pool>.<scheduler>` in
 * Clusterman's shape (LIVE-SPEC.md 2.3), so an existing Clusterman pool file
 * loads unchanged.  The autoscaling keys (autoscaling, scaling_limits,
 * autoscale_signal) are read by cman_pool_config_parse_opts() in its
 * CLUSTERMAN shape: the same code as the simulator's pool_config.  This
 * module knows nothing of AWS: discovery entries are kept as written.
 */
#ifndef CMAN_POOLFILE_H
#define CMAN_POOLFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "cman/config.h"
#include "cman/err.h"
#include "cman/poolcfg.h"

/* How long a machine may drain before it is terminated anyway, when the pool
 * file does not say (draining.draining_time_threshold_seconds): the length
 * of the Mesos maintenance window Clusterman schedules
 * (mesos_maintenance_timeout_seconds). */
#define CMAN_DRAIN_TIMEOUT_DEFAULT 600

enum cman_discovery_kind { CMAN_DISCOVER_SFR, CMAN_DISCOVER_ASG };

/*
 * An Auto Scaling group entry's `scale_in_protection` (our key; Clusterman
 * has none): what to do when lowering the group's desired capacity would let
 * AWS choose which instances to end, because some are not protected from
 * scale-in.  `refuse` (the default) fails the resize naming them; `protect`
 * protects them first (SetInstanceProtection) and then lowers the capacity,
 * so only the machines clusterman chooses are ended (live/asg.h).
 */
enum cman_scale_in_protection {
	CMAN_SCALE_IN_REFUSE = 0,
	CMAN_SCALE_IN_PROTECT = 1
};

/* One resource_groups entry: `- sfr: {...}` or `- asg: {...}`. */
struct cman_discovery {
	enum cman_discovery_kind kind;
	char *tag;                 /* tag key whose JSON value names pool and cluster; or NULL */
	char *s3_bucket, *s3_prefix;   /* sfr only: S3 discovery; or NULL */
	char *api_cache_bucket;    /* or NULL */
	enum cman_scale_in_protection protection;   /* asg only; sfr: REFUSE */
};

struct cman_pool_file {
	char *path;                /* as given */
	char *cluster, *pool, *scheduler;   /* from the path */
	struct cman_node *root;    /* the whole file */
	struct cman_pool_config config;
	struct cman_discovery *groups;
	size_t n_groups;
	bool draining_enabled;     /* default false */
	/* draining.draining_time_threshold_seconds: how long a machine may
	 * drain before it is terminated anyway (CMAN_DRAIN_TIMEOUT_DEFAULT
	 * when absent) */
	int64_t drain_timeout_seconds;
	bool alert_on_max_capacity;/* default true */
	/* clusterman_sim: what clusterman-sim promote recorded (promoted_from)
	 * and needs to simulate the pool again (simulation, prices,
	 * resource_groups); NULL when absent.  Points into root. */
	const struct cman_node *sim;
};

/*
 * Split a pool file's path into cluster (the parent folder's name), pool
 * and scheduler (the name before and after its last '.'; mesos or
 * kubernetes).  Each out buffer has n bytes.  CMAN_EINVAL "PATH: ..." for
 * a name that is not `<pool>.<scheduler>`.
 */
int cman_pool_file_name(const char *path, char *cluster, char *pool, char *scheduler,
			size_t n, struct cman_error *err);

/*
 * Load and check a pool file.  defaults carries the service file's
 * setpoint, target_capacity_margin and excluded_resources (flavor and pool
 * are set here; NULL: 0.7, 0.1, none).  Every problem is CMAN_EINVAL
 * "FILE:LINE:COL: <key path>: what is wrong, expected what"; unknown keys
 * are errors at every level checked (Clusterman's own keys, listed in the
 * README, are accepted; the Kubernetes ones and sensu_config only as to
 * their type).  resource_groups is required and every entry must be a
 * known kind with a way to find groups (sfr: tag or s3; asg: tag);
 * Clusterman skips a bad entry with a log line, we refuse it.  An
 * unreadable file is CMAN_EINVAL "PATH: cannot open: ...".  On failure *pf is released.
 */
int cman_pool_file_load(const char *path, const struct cman_pool_parse_opts *defaults,
			struct cman_pool_file *pf, struct cman_error *err);

/* The same for a tree already loaded (path names the file, as above): pf
 * takes root over, also on failure (then it is freed). */
int cman_pool_file_parse(const char *path, struct cman_node *root,
			 const struct cman_pool_parse_opts *defaults,
			 struct cman_pool_file *pf, struct cman_error *err);

/* Free what pf owns (safe twice, and on a zeroed struct). */
void cman_pool_file_release(struct cman_pool_file *pf);

#endif
