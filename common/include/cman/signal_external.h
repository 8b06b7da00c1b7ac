/*
 * signal_external.h - external signals (SPEC §6): a signal process spoken to
 * over Clusterman's abstract-Unix-socket protocol, behind the same
 * struct cman_signal_ops table as the built-in signals.
 *
 * The wire protocol is Clusterman's (clusterman/signals/external_signal.py):
 * on connect the client sends the JSON {"parameters": {...}} as is (no
 * length prefix, no ACK); per evaluation it sends a 4-byte big-endian length
 * of {"metrics": {"<name>": [[t, v], ...], ...}, "timestamp": <int>}, reads
 * the 1-byte ACK 0x01, sends the JSON in chunks of at most 4096 bytes, reads
 * an ACK byte and then the JSON answer {"Resources": {...}}.
 *
 * Environment (mainly for tests):
 *   CMAN_SIGNAL_TIMEOUT_MS          time allowed for one evaluation's
 *                                   exchange (default 30000)
 *   CMAN_SIGNAL_CONNECT_TIMEOUT_MS  how long cman_signal_external_new()
 *                                   waits for the socket (default 10000)
 */
#ifndef CMAN_SIGNAL_EXTERNAL_H
#define CMAN_SIGNAL_EXTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cman/err.h"
#include "cman/poolcfg.h"
#include "cman/signal.h"

/*
 * Make the external signal cfg describes (cfg->external is true): start
 * cfg->command if any (stdin from /dev/null, stdout sent to stderr, stderr
 * inherited; in a process group of its own; its environment ours plus
 * CMAN_SIGNAL_NAME, CMAN_SIGNAL_NAMESPACE and CMAN_SIGNAL_APP = pool, the
 * three parts of its socket name), connect to the abstract socket
 * "\0<namespace>-<name>-<pool>-socket" (retrying every 20 ms for up to
 * CMAN_SIGNAL_CONNECT_TIMEOUT_MS while the socket is missing) and send the
 * parameters: cfg's parameters map as JSON plus "cluster" and "pool" (which
 * override keys of the same name).  Unquoted YAML scalars become JSON
 * numbers when they read as decimal numbers, booleans for YAML 1.1's
 * true/false/yes/no/on/off spellings, null for null; everything else is a
 * string.
 *
 * A socket that cannot be reached (no listener, the command exited or could
 * not be started, timeout) is CMAN_EINVAL "pool_config.autoscale_signal:
 * cannot connect to external signal socket '@NS-NAME-POOL-socket': <why>";
 * a command that was started is stopped again before returning.  *out is
 * set only on success; caller frees with cman_signal_free(), which closes
 * the socket and stops the command (SIGTERM to its process group, up to
 * 2 s, then SIGKILL to the group; the process is always reaped).
 *
 * Evaluation (cman_signal_evaluate) sends in->series keyed by bare metric
 * name in required-metrics order (series sharing a name are merged, sorted
 * by time then value, as Clusterman does) and in->now as the timestamp.  A
 * broken connection (EPIPE, ECONNRESET, end of file) is retried once on a
 * fresh connection (parameters sent again); a second failure is CMAN_EIO
 * naming the socket and both failures.  A timeout (CMAN_SIGNAL_TIMEOUT_MS for
 * the whole exchange) is CMAN_EIO without a retry.  A protocol error (a byte
 * other than the ACK, an answer that is not JSON, an answer longer than
 * CMAN_SIGNAL_ANSWER_MAX bytes) is CMAN_EIO without a retry, and the
 * connection is dropped so that the next evaluation starts on a fresh one.
 * An answer that is JSON but not a valid {"Resources": ...} is CMAN_EINVAL
 * (cman_request_from_json, request.h).  SIGPIPE is never raised.
 *
 * Back-off: after CMAN_SIGNAL_BACKOFF_AFTER failed evaluations in a row, the
 * next 1, then 2, 4, ... (at most CMAN_SIGNAL_BACKOFF_MAX) evaluations are not
 * attempted: each returns CMAN_EIO at once ("not asked: it failed N times in
 * a row") and counts in the signal's `skipped`.  A success resets the count.
 */
#define CMAN_SIGNAL_ANSWER_MAX (1 << 20)
#define CMAN_SIGNAL_BACKOFF_AFTER 3
#define CMAN_SIGNAL_BACKOFF_MAX 32

int cman_signal_external_new(const struct cman_signal_config *cfg,
			     const char *cluster, const char *pool,
			     struct cman_signal **out, struct cman_error *err);

/* The state of an external signal's command (cman_signal_external_supervise). */
struct cman_signal_proc {
	pid_t pid;            /* the running command, also its process group; 0: none */
	uint64_t starts;      /* times started, the first included */
	uint64_t restarts;    /* restarts tried by supervision */
	uint64_t crashes;     /* exits seen (and failed restarts) */
	uint64_t hangs;       /* killed because an evaluation timed out */
	char last_exit[96];   /* how it last went down ("exited with status 1",
				 "was killed by signal 9", "hung ..."), or "" */
	bool backing_off;     /* down, its restart delayed */
};

/*
 * Health check of the command of s, for a daemon between cycles.  Nothing
 * to do (0, p->pid 0) for a built-in signal or an external one without a
 * command.  A running command is left alone (0).  A command that exited
 * (seen here or by an evaluation) is restarted, and so is one whose last
 * evaluation timed out (a hang: its process group is killed first).  A
 * restart waits, as cman_signal_external_new() does, until the socket
 * accepts a connection and the parameters are sent; the evaluation
 * back-off is reset so that the fresh process is asked at the next cycle.
 * Restart back-off: a command that went down within a minute of its start
 * again is restarted after 1, 2, 4, ... at most 64 times
 * CMAN_SIGNAL_RESTART_BACKOFF_MS (default 1000; environment, for tests);
 * the first restart is immediate.  While the back-off lasts, or when the
 * restart failed, the result is CMAN_EIO saying why (the next call tries
 * again).  p (may be NULL) receives the counts.
 */
int cman_signal_external_supervise(struct cman_signal *s, struct cman_signal_proc *p,
				   struct cman_error *err);

#endif
