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

#include "cman/err.h"
#include "cman/poolcfg.h"
#include "cman/signal.h"

/*
 * Make the external signal cfg describes (cfg->external is true): start
 * cfg->command if any (stdin from /dev/null, stdout sent to stderr, stderr
 * inherited), connect to the abstract socket
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
 * the socket and stops the command (SIGTERM, up to 2 s, then SIGKILL; the
 * process is always reaped).
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

#endif
