/*
 * mesos.h - the Mesos cluster connector (LIVE-SPEC §3.1, §3.2) and the
 * master's v1 operator API for maintenance (§5.7), over HTTP/JSON.
 *
 * Reload.  cman_mesos_reload() finds the leading master (GET /redirect on
 * the configured master: a 3xx's Location names the leader, a 200 means the
 * configured master answers itself), then reads GET <leader>/master/slaves
 * and GET <leader>/master/frameworks.  It keeps the agents whose attribute
 * `pool` equals the configured pool (no attribute: pool "default"), their
 * total (`resources`) and used (`used_resources`) cpus, mem, disk and gpus
 * (missing values 0; mem and disk in MB), their IP from `pid`
 * ("slave(1)@10.1.2.3:5051"), and the running tasks (state TASK_RUNNING)
 * of every framework in `frameworks` charged to their `slave_id`.  A task is
 * a batch task unless its framework's name starts with one of the non-batch
 * prefixes (default "marathon").  `completed_frameworks` are ignored, and
 * so is `active` (a deactivated agent still counts, as in Clusterman).
 * A reload that fails keeps the previous snapshot.
 *
 * Agents and machines are joined by IP (§3.1): the connector interface's
 * agent_by_ip() says ORPHANED for an IP no agent of the pool has, else IDLE
 * (nothing used) or RUNNING (something used); the pool manager makes a
 * machine without an IP UNKNOWN and dates an orphan from its launch.
 *
 * Redirects.  Every call follows at most max_redirects Location hops (a
 * master that is not the leader answers 307); more is a "redirect loop"
 * error.  A Location without a scheme ("//10.0.0.5:5050") gets the
 * configured master's scheme; an https master is never left for http.
 * Credentials go with every hop (the hop is to the master the cluster names
 * as its leader).
 *
 * Retries.  Reads (GET /redirect, /master/slaves, /master/frameworks, the
 * GET_MAINTENANCE_* calls) are retried up to max_attempts on a refused or
 * dropped connection, a 5xx, a timeout, a truncated or malformed answer.
 * The maintenance changes (UPDATE_MAINTENANCE_SCHEDULE, START_MAINTENANCE,
 * STOP_MAINTENANCE) are resent only when the master cannot have acted: the
 * connection was refused, or it answered 503 (no leader elected yet) or a
 * redirect.  After a timeout, a dropped connection or another 5xx they fail
 * with CMAN_ETIMEOUT or CMAN_ETRANSIENT and are not resent (the change may
 * have been applied).
 *
 * Errors.  CMAN_ETRANSIENT (unreachable master, 5xx, no leader, a redirect
 * loop, a malformed answer), CMAN_ETIMEOUT, CMAN_EREJECTED (a 4xx, with the
 * HTTP status and the master's text; 401/403 name the credentials),
 * CMAN_EINVAL (bad configuration).  Messages name the call and the URL,
 * never the secret; err->remote carries the HTTP status, the Retry-After
 * hint and the attempts made.
 */
#ifndef CMAN_LIVE_MESOS_H
#define CMAN_LIVE_MESOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/connector.h"
#include "cman/err.h"
#include "cman/poolcfg.h"

struct cman_mesos_config {
	/* clusters.<c>.mesos_master_fqdn: "host", "host:port", "http://host[:port]"
	 * or "https://host[:port]" (default scheme http, default port 5050). */
	char master[512];
	char pool[256];              /* the pool's name ("default", ...) */
	/* HTTP basic auth (mesos.mesos_agent_secret_path), sent with every call
	 * but /redirect; "" → none. */
	char principal[256];
	char secret[256];
	/* Framework-name prefixes whose tasks are not batch tasks: a
	 * NULL-terminated array copied by cman_mesos_new().  NULL → {"marathon"};
	 * an array holding only NULL → every task is a batch task. */
	const char *const *non_batch_prefixes;
	int max_attempts;            /* attempts per call, >= 1 (default 3) */
	int max_redirects;           /* Location hops per attempt (default 3) */
	long connect_timeout_ms;     /* default 3000 */
	long timeout_ms;             /* per exchange, default 10000 */
	long retry_delay_ms;         /* first wait, doubled each retry (default 500) */
	size_t max_answer;           /* bytes per answer, default 64 MiB */
	/* How to wait between attempts; NULL → nanosleep.  Tests count instead. */
	void (*sleep_ms)(void *ctx, long ms);
	void *sleep_ctx;
};

/* Fill c with the defaults above (master, pool and credentials empty). */
void cman_mesos_config_init(struct cman_mesos_config *c);

/*
 * Read the operator API credentials: path names a JSON file
 * {"principal": ..., "secret": ...} (Clusterman's mesos_agent_secret_path);
 * path NULL or "" → the same JSON in $PAASTA_SECRET_MESOS_SLAVE, and
 * neither → no credentials (0, fields left empty).  CMAN_EINVAL with
 * FILE:LINE:COLUMN on a bad file.
 */
int cman_mesos_load_secret(struct cman_mesos_config *c, const char *path,
			   struct cman_error *err);

/* One agent of the pool, as the last reload saw it. */
struct cman_mesos_agent {
	const char *id;              /* "…-S3"; owned by the connector */
	const char *hostname;        /* "" if absent */
	char ip[64];                 /* from pid; "" when pid has no IPv4 address */
	int port;                    /* from pid; 0 when none */
	bool active;
	double total[CMAN_RES_COUNT];
	double used[CMAN_RES_COUNT];
	int tasks;                   /* running tasks */
	int batch_tasks;             /* of which batch */
	enum cman_agent_state state; /* CMAN_AGENT_IDLE or CMAN_AGENT_RUNNING */
};

/* One framework, as the last reload saw it. */
struct cman_mesos_framework {
	const char *id;
	const char *name;
	bool active;
	bool batch;                  /* its tasks count as batch tasks */
	int tasks;                   /* running tasks on the pool's agents */
	int tasks_all;               /* running tasks on any agent */
};

struct cman_mesos;

/*
 * Check cfg (the master's form, attempts and timeouts) and make a connector.
 * Nothing is contacted until the first reload.  Caller frees with
 * cman_mesos_free().
 */
int cman_mesos_new(const struct cman_mesos_config *cfg, struct cman_mesos **out,
		   struct cman_error *err);
void cman_mesos_free(struct cman_mesos *m);     /* NULL is fine */

/* The connector interface (owned by m): reload = cman_mesos_reload(),
 * agent_by_ip = cman_mesos_agent_for_ip() (agent by instance id: none),
 * total/allocated over the pool's agents. */
struct cman_connector *cman_mesos_connector(struct cman_mesos *m);

/* The configured master as a base URL ("http://host:5050"). */
const char *cman_mesos_master_url(const struct cman_mesos *m);
/* The leader found by the last call ("" before any). */
const char *cman_mesos_leader_url(const struct cman_mesos *m);

/* Re-read the leader, the agents and the frameworks (see above). */
int cman_mesos_reload(struct cman_mesos *m, struct cman_error *err);

/*
 * Parse the two answers as a reload would and make them the snapshot (for
 * the fuzzer and for replaying saved answers).  CMAN_ETRANSIENT with the
 * JSON position on a malformed document; the previous snapshot stays.
 */
int cman_mesos_load(struct cman_mesos *m, const char *slaves, size_t slaves_len,
		    const char *frameworks, size_t frameworks_len,
		    struct cman_error *err);

/* The pool's agents, sorted by IP (agents without one last). */
size_t cman_mesos_agent_count(const struct cman_mesos *m);
const struct cman_mesos_agent *cman_mesos_agent_at(const struct cman_mesos *m, size_t i);
/* The pool's agent with this IP, NULL if none. */
const struct cman_mesos_agent *cman_mesos_agent_by_ip(const struct cman_mesos *m,
						      const char *ip);
/* Frameworks in the answer's order. */
size_t cman_mesos_framework_count(const struct cman_mesos *m);
const struct cman_mesos_framework *cman_mesos_framework_at(const struct cman_mesos *m,
							   size_t i);
/* Sums over the pool's agents. */
double cman_mesos_total(const struct cman_mesos *m, enum cman_resource r);
double cman_mesos_allocated(const struct cman_mesos *m, enum cman_resource r);
/* Agents whose pid gave no IP, and IPs held by two agents of the pool
 * (the active one, else the first, is kept), in the last snapshot. */
size_t cman_mesos_unaddressed(const struct cman_mesos *m);
size_t cman_mesos_duplicate_ips(const struct cman_mesos *m);

/*
 * The agent of a machine with private IP ip (NULL or "" when it has none)
 * launched at launch_time: UNKNOWN without an IP, ORPHANED since
 * launch_time when no agent of the pool has the IP, else IDLE or RUNNING
 * with its task counts; safe_to_kill true, draining and cordoned false.
 */
void cman_mesos_agent_for_ip(const struct cman_mesos *m, const char *ip,
			     int64_t launch_time, struct cman_agent *out);

/* ---- maintenance (v1 operator API, POST <leader>/api/v1) ------------------- */

/* A machine as Mesos names it (either field may be NULL or ""). */
struct cman_mesos_machine {
	const char *hostname;
	const char *ip;
};

/*
 * Drain: GET_MAINTENANCE_SCHEDULE, remove these machines from every window
 * (dropping windows left empty, keeping everything else as it was), add one
 * window for them starting at start_ns lasting duration_ns (nanoseconds
 * since the epoch), UPDATE_MAINTENANCE_SCHEDULE.  Mesos then offers their
 * resources back as inverse offers so frameworks move their tasks.
 */
int cman_mesos_drain(struct cman_mesos *m, const struct cman_mesos_machine *machines,
		     size_t n, int64_t start_ns, int64_t duration_ns,
		     struct cman_error *err);
/* Down: START_MAINTENANCE (the machines must be scheduled; their agents
 * are shut down and may not re-register). */
int cman_mesos_down(struct cman_mesos *m, const struct cman_mesos_machine *machines,
		    size_t n, struct cman_error *err);
/* Up: STOP_MAINTENANCE (the machines must be down; Mesos drops them from
 * the schedule). */
int cman_mesos_up(struct cman_mesos *m, const struct cman_mesos_machine *machines,
		  size_t n, struct cman_error *err);

/* The maintenance status (GET_MAINTENANCE_STATUS). */
struct cman_mesos_maintenance {
	struct cman_mesos_machine *draining;
	size_t n_draining;
	struct cman_mesos_machine *down;
	size_t n_down;
	char *strings;               /* storage of the names above */
};
int cman_mesos_maintenance_status(struct cman_mesos *m, struct cman_mesos_maintenance *out,
				  struct cman_error *err);
/* Parse a GET_MAINTENANCE_STATUS answer (exposed for the fuzzer). */
int cman_mesos_parse_maintenance_status(const char *json, size_t len,
					struct cman_mesos_maintenance *out,
					struct cman_error *err);
void cman_mesos_maintenance_release(struct cman_mesos_maintenance *s);

/* Parse an agent pid "slave(1)@10.1.2.3:5051" into ip and port; 0 on
 * success, -1 when it holds no IPv4 address (ip is then ""). */
int cman_mesos_parse_pid(const char *pid, char *ip, size_t n, int *port);

#endif
