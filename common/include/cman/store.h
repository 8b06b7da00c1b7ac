/*
 * store.h - the metrics-store interface and its backends.
 *
 * A store holds samples per (kind, key), ordered by time.  Backends are a
 * const function table (SQLite, in-memory; DynamoDB in live mode).  Reads
 * stream through cursors: a cursor yields samples in ascending time order;
 * samples with equal times come out in the order they were written.
 *
 * Market maps: every backend hands map entries out sorted by (instance
 * type, availability zone), byte order, and reports as the sample's value
 * the sum of the entries added in that order (the value passed to write()
 * is ignored for maps).  Writing a map that names a market twice fails with
 * CMAN_EINVAL.  A cursor must be closed before its store is freed; writes
 * to a series while a cursor on it is open give unspecified results for
 * that cursor.
 */
#ifndef CMAN_STORE_H
#define CMAN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"
#include "cman/metrics.h"

struct cman_store;
struct cman_cursor;

/* Cursor flag: first yield the latest sample at or before t0 (if any), then
 * the samples with t0 < t <= t1.  Without it: samples with t0 <= t <= t1. */
#define CMAN_CURSOR_WITH_PRIOR 1u

/*
 * Pool state items (LIVE-SPEC §7.1), kept beside the metrics: Clusterman's
 * state table clusterman_cluster_state, hash key `state` (the item's name)
 * and range key `entity` ("<cluster>.<pool>.<scheduler>").
 */
enum cman_state_kind {
	CMAN_STATE_PAUSED = 0,          /* "autoscaler_paused" */
	CMAN_STATE_CAPACITY_OFFSET = 1, /* "autoscaler_capacity_offset" */
	/* ours: the machines a pool is draining (cman/drain.h) */
	CMAN_STATE_DRAINING = 2         /* "autoscaler_draining" */
};

struct cman_state_item {
	int64_t timestamp;       /* when it was written (epoch seconds) */
	bool expires;            /* it has an expiration_timestamp */
	int64_t expiration;      /* in force while now <= expiration */
	double offset;           /* CMAN_STATE_CAPACITY_OFFSET only */
	/* CMAN_STATE_DRAINING only: the machines as JSON text (attribute
	 * `machines`; SQLite column `text`, added to an older table on the
	 * first put).  put reads it (required); get sets it to a malloc'ed
	 * copy the caller frees, and to NULL for every other kind. */
	char *text;
};

typedef int (*cman_key_cb)(void *ctx, const char *key);
typedef int (*cman_sample_cb)(void *ctx, const struct cman_sample *s);

struct cman_store_ops {
	const char *name;
	/* Call cb for each key of kind starting with prefix ("" = all), in
	 * ascending byte order.  A non-zero return from cb stops and is returned. */
	int (*keys)(struct cman_store *st, enum cman_metric_kind kind,
		    const char *prefix, cman_key_cb cb, void *ctx,
		    struct cman_error *err);
	int (*open_cursor)(struct cman_store *st, enum cman_metric_kind kind,
			   const char *key, int64_t t0, int64_t t1,
			   unsigned flags, struct cman_cursor **out,
			   struct cman_error *err);
	/* 1 and *out filled, 0 at the end, or a negative cman_err. */
	int (*cursor_next)(struct cman_cursor *cur, struct cman_sample *out,
			   struct cman_error *err);
	void (*cursor_close)(struct cman_cursor *cur);
	int (*write)(struct cman_store *st, enum cman_metric_kind kind,
		     const char *key, const struct cman_sample *s,
		     struct cman_error *err);
	int (*begin)(struct cman_store *st, struct cman_error *err);
	int (*commit)(struct cman_store *st, struct cman_error *err);
	void (*rollback)(struct cman_store *st);
	void (*free)(struct cman_store *st);
	/* Pool state items; NULL in a backend that keeps none.  get: 1 and *out
	 * filled, 0 when there is no such item, or a negative cman_err.  put
	 * replaces the item; delete of an absent item is not an error.  State
	 * calls are immediate (never buffered, never inside begin/commit) and
	 * reads are consistent: they see every completed put. */
	int (*state_get)(struct cman_store *st, enum cman_state_kind kind,
			 const char *entity, struct cman_state_item *out,
			 struct cman_error *err);
	int (*state_put)(struct cman_store *st, enum cman_state_kind kind,
			 const char *entity, const struct cman_state_item *item,
			 struct cman_error *err);
	int (*state_delete)(struct cman_store *st, enum cman_state_kind kind,
			    const char *entity, struct cman_error *err);
};

/* Base of every store; backends embed it first. */
struct cman_store {
	const struct cman_store_ops *ops;
	char name[1024];   /* for messages: the file path, or "memory" */
};

/* Base of every cursor; backends embed it first. */
struct cman_cursor {
	struct cman_store *store;
};

/* Thin wrappers over the ops. */
int cman_store_keys(struct cman_store *st, enum cman_metric_kind kind,
		    const char *prefix, cman_key_cb cb, void *ctx,
		    struct cman_error *err);
int cman_store_open_cursor(struct cman_store *st, enum cman_metric_kind kind,
			   const char *key, int64_t t0, int64_t t1,
			   unsigned flags, struct cman_cursor **out,
			   struct cman_error *err);
int cman_cursor_next(struct cman_cursor *cur, struct cman_sample *out,
		     struct cman_error *err);
void cman_cursor_close(struct cman_cursor *cur);   /* NULL is fine */
int cman_store_write(struct cman_store *st, enum cman_metric_kind kind,
		     const char *key, const struct cman_sample *s,
		     struct cman_error *err);
int cman_store_begin(struct cman_store *st, struct cman_error *err);
int cman_store_commit(struct cman_store *st, struct cman_error *err);
void cman_store_rollback(struct cman_store *st);
void cman_store_free(struct cman_store *st);       /* NULL is fine */

/* values(kind, key, t0, t1): cb for every sample with t0 <= t <= t1. */
int cman_store_values(struct cman_store *st, enum cman_metric_kind kind,
		      const char *key, int64_t t0, int64_t t1,
		      cman_sample_cb cb, void *ctx, struct cman_error *err);

/* latest(kind, key, t): 1 and *t_out, *value_out set (the sum for a map),
 * 0 when there is no sample at or before t, or a negative cman_err. */
int cman_store_latest(struct cman_store *st, enum cman_metric_kind kind,
		      const char *key, int64_t t, int64_t *t_out,
		      double *value_out, struct cman_error *err);

/*
 * Pool state through the store's backend (SQLite, DynamoDB); a store that
 * keeps none (in-memory) fails with CMAN_EINVAL "NAME keeps no pool state".
 * The entity is checked (non-empty, at most CMAN_STATE_ENTITY_MAX - 1 bytes,
 * no control characters); get returns 1 (found) or 0 (absent).
 */
#define CMAN_STATE_ENTITY_MAX 512
int cman_store_state_get(struct cman_store *st, enum cman_state_kind kind,
			 const char *entity, struct cman_state_item *out,
			 struct cman_error *err);
int cman_store_state_put(struct cman_store *st, enum cman_state_kind kind,
			 const char *entity, const struct cman_state_item *item,
			 struct cman_error *err);
int cman_store_state_delete(struct cman_store *st, enum cman_state_kind kind,
			    const char *entity, struct cman_error *err);
/* Clusterman's name of a state item ("autoscaler_paused", ...). */
const char *cman_state_name(enum cman_state_kind kind);
/* "<cluster>.<pool>.<scheduler>" into buf; CMAN_EINVAL when a part is
 * empty or the whole does not fit. */
int cman_state_entity(char *buf, size_t n, const char *cluster, const char *pool,
		      const char *scheduler, struct cman_error *err);

/*
 * Whether the pool is paused at now: *paused is true while now <= the
 * item's expiration (at exactly the expiry second it is still paused), or
 * for ever when the item has none; *until (may be NULL) is the expiration,
 * INT64_MAX for ever, 0 when not paused.  Errors are returned (Clusterman
 * fails the cycle when the pause cannot be read).
 */
int cman_store_paused(struct cman_store *st, const char *entity, int64_t now,
		      bool *paused, int64_t *until, struct cman_error *err);
/*
 * The capacity offset in force at now (0 when there is none or it expired,
 * with the same rule as the pause).  Errors are returned; Clusterman counts
 * an offset it cannot read as 0, which is the caller's choice.
 */
int cman_store_capacity_offset(struct cman_store *st, const char *entity, int64_t now,
			       double *offset, struct cman_error *err);

/*
 * SQLite backend.  Opens (create=true: creates if missing, with the schema)
 * the database at path.  Opening a file that is not a clusterman metrics
 * database fails with CMAN_EINVAL naming it ("FILE: not a clusterman
 * metrics database"); a missing file without create is CMAN_EINVAL "FILE:
 * no such metrics database".  A damaged file is CMAN_EINVAL "FILE: corrupt
 * metrics database (...)": checked on open (header, file size against the
 * page count, the tables' definitions, PRAGMA quick_check up to 256 MiB)
 * and chunk by chunk while reading (well-formed blobs, finite values,
 * valid times in order), the message naming the place (table, kind, key,
 * chunk t0, sample and byte; for a schema version 1 store the row's t and
 * seq).  Series are stored as chunks (schema version 2); a store of schema
 * version 1 (one row per sample, as written by clusterman 0.1.0) is read
 * as it is, and converted to version 2 in place (one transaction) when
 * opened with create=true; writing to a version 1 store opened without
 * create is CMAN_EINVAL.  A written time must be valid (cman_time_valid)
 * and a value finite (CMAN_EINVAL otherwise).  The store's name is path.  begin/commit wrap
 * an SQLite transaction (bulk writes belong in one); rollback discards the
 * writes since begin.  Reads outside begin/commit share one SQLite read
 * transaction that stays open until the next write, begin or free (so a
 * point lookup costs no locking system calls); meanwhile other processes
 * cannot commit to the file.  The handle assumes it is the only writer of
 * the file while open.  Caller frees with cman_store_free().
 */
int cman_store_sqlite_open(const char *path, bool create,
			   struct cman_store **out, struct cman_error *err);

/*
 * As cman_store_sqlite_open(path, false, ...), for a reader that wants its
 * first samples early: the open checks all but the slow ones, and PRAGMA
 * quick_check and the pass for values of the wrong type run on a thread of
 * their own, with a connection of their own, while the caller reads.  What
 * the caller reads before cman_store_sqlite_check_wait() returned 0 may come
 * from a damaged file: it must not be committed or trusted before then.
 * (A version 1 store, read row by row, is checked before the open returns.)
 */
int cman_store_sqlite_open_checking(const char *path, struct cman_store **out,
				    struct cman_error *err);

/*
 * Wait for the checks a cman_store_sqlite_open_checking() store runs (at
 * once for any other store): 0, or the error they found, with its message
 * into err (what cman_store_sqlite_open() would have failed with).  It can
 * be called again, with the same answer; cman_store_free() waits too.
 */
int cman_store_sqlite_check_wait(struct cman_store *st, struct cman_error *err);

/*
 * A private SQLite store in a temporary file (SQLite's temporary directory:
 * $SQLITE_TMPDIR, $TMPDIR, then /var/tmp or /tmp), deleted when the store
 * is freed; its pages stay in a bounded cache (16 MiB) and spill to the
 * file beyond that, so memory does not follow the amount written.  name
 * is the store's name in messages (the file the data comes from).  No
 * journal: a failure mid-way leaves it unusable (free it).
 */
int cman_store_sqlite_temp(const char *name, struct cman_store **out, struct cman_error *err);

/*
 * Stores named by a URI ("dynamodb://PREFIX") come from backends that a
 * program registers at start-up (common knows none of them: the live
 * library's DynamoDB store is registered by the executables that link it).
 * An opener gets the whole name.  Registering a scheme twice replaces it;
 * at most 8 schemes.  0, or CMAN_ENOMEM when the table is full.
 */
typedef int (*cman_store_opener)(const char *uri, bool create,
				 struct cman_store **out, struct cman_error *err);
int cman_store_register_scheme(const char *scheme, cman_store_opener open);

/*
 * Open the store named name: "SCHEME://..." through its registered opener
 * (CMAN_EINVAL "no backend for SCHEME://" when none is), anything else as
 * an SQLite file (cman_store_sqlite_open).  Caller frees with
 * cman_store_free().
 */
int cman_store_open(const char *name, bool create, struct cman_store **out,
		    struct cman_error *err);
/* Whether name is a URI (has "://") rather than a file path. */
bool cman_store_name_is_uri(const char *name);

/*
 * In-memory backend (used for JSON/CSV sources and tests).  Samples may be
 * written in any time order.  begin/commit/rollback are no-ops (a rollback
 * does not undo writes).  Caller frees with cman_store_free().
 */
int cman_store_memory_new(struct cman_store **out, struct cman_error *err);

#endif
