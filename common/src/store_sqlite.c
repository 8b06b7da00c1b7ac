/*
 * store_sqlite.c - the embedded metrics store, an SQLite database.
 *
 * Schema (version 2, written by this version):
 *
 *   CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
 *       -- ('format', 'clusterman-metrics'), ('schema_version', '2')
 *   CREATE TABLE series(id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,
 *                       key TEXT NOT NULL, UNIQUE(kind, key));
 *       -- kind: 0 system_metrics, 1 app_metrics, 2 metadata
 *   CREATE TABLE markets(id INTEGER PRIMARY KEY, instance_type TEXT NOT NULL,
 *                        az TEXT NOT NULL, UNIQUE(instance_type, az));
 *   CREATE TABLE chunks(series_id INTEGER NOT NULL, t0 INTEGER NOT NULL,
 *                       t1 INTEGER NOT NULL, n INTEGER NOT NULL,
 *                       data BLOB NOT NULL,
 *                       PRIMARY KEY(series_id, t0)) WITHOUT ROWID;
 *
 * A series is a run of chunks: each holds the n >= 1 samples with times
 * t0..t1 (its first and last), encoded in data, in order (equal times in
 * write order).  Chunks of a series do not overlap: each starts after the
 * previous one ends, so the samples at one time are always in one chunk.
 * A chunk is closed once its blob reaches CHUNK_BYTES (a few kB: one read
 * of the b-tree hands out a few hundred samples).
 *
 * The blob: per sample, the time as an unsigned LEB128 varint of the
 * difference to the previous sample's time (the first: to t0, so 0), then
 * the value: a tag byte 0 and an IEEE double (8 bytes, little-endian), or
 * tag 1 and a zigzag varint (an integral value of magnitude below 2^53),
 * or tag 2, a varint count and per entry a varint market id and a value
 * (tag 0 or 1): a market map, entries in canonical market order.  A map's
 * sample value is not stored: readers add the entries up, as every backend.
 *
 * Reading: a cursor steps one statement over the chunks of its range and
 * decodes the blobs as it goes (one chunk in memory at a time).  Every
 * chunk is checked while decoding (well-formed varints and tags, times
 * between t0 and t1 and not decreasing, n samples, no bytes left over,
 * finite values, valid times, known market ids, chunks in order); damage
 * is an input error naming the series, the chunk and the sample.
 *
 * Writing: each written series keeps its last chunk (the tail) encoded in
 * memory; a sample at or after the tail's last time is appended to it, and
 * the tail is upserted into chunks before the store is read, at commit and,
 * outside begin/commit, after every write.  A sample older than the
 * series' last time is merged into the chunk that covers its time (read,
 * re-encoded, split when it grew large).
 *
 * Schema version 1 (one row per sample in tables samples and
 * market_samples) is still read as it is, by the version 1 cursor below;
 * opening such a store for writing (create=true: import, generate)
 * converts it to version 2 in place, in one transaction.
 *
 * The series and markets tables are small and are mirrored in memory at
 * open; market names are interned there for the store's lifetime, so the
 * strings of a cman_market_value stay valid until the store is freed.  Map
 * entries come out sorted by (instance type, az), as from every backend.
 * Closed cursors keep their statements in a free list for the next open.
 * begin/commit/rollback map to an SQLite transaction (a rollback also
 * reloads the in-memory mirror and drops the tails).  Reads outside
 * begin/commit share one read transaction that stays open until the next
 * write (so other processes cannot commit to the file meanwhile).  The
 * store assumes it is the only writer while it is open.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "cman/grow.h"
#include "cman/store.h"
#include "cman/thread.h"
#include "cman/time.h"
#include "store_int.h"

#define SCHEMA_VERSION 2
#define QUICK_CHECK_MAX ((int64_t)256 << 20)   /* bytes: PRAGMA quick_check up to this */
#define BUSY_TIMEOUT_MS 5000 /* how long a connection waits for another's lock */
#define CHUNK_BYTES 3072     /* a chunk's blob is closed at this size */
#define SPLIT_BYTES (2 * CHUNK_BYTES)   /* a merged chunk larger than this is split */
#define SAMPLE_MAX(n) (24 + (size_t)(n) * 20)   /* bytes of one encoded sample */

enum { TAG_DOUBLE = 0, TAG_INT = 1, TAG_MAP = 2 };

/* The last chunk of a series starting at or before a time (ss->chunk_before:
 * the writers' tail and split lookups and the version 2 cursors' prior
 * sample share it, each binding, stepping and resetting it in one call). */
#define CHUNK_BEFORE_SQL \
	"SELECT t0, t1, n, data FROM chunks WHERE series_id = ?1 AND t0 <= ?2" \
	" ORDER BY t0 DESC LIMIT 1"

static const char schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"INSERT INTO meta VALUES('format', 'clusterman-metrics'), ('schema_version', '2');"
	"CREATE TABLE series(id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
	" key TEXT NOT NULL, UNIQUE(kind, key));"
	"CREATE TABLE markets(id INTEGER PRIMARY KEY, instance_type TEXT NOT NULL,"
	" az TEXT NOT NULL, UNIQUE(instance_type, az));"
	"CREATE TABLE chunks(series_id INTEGER NOT NULL, t0 INTEGER NOT NULL,"
	" t1 INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,"
	" PRIMARY KEY(series_id, t0)) WITHOUT ROWID;";

/* Version 1, for checking and converting stores written before chunks. */
static const char schema_v1_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE series(id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
	" key TEXT NOT NULL, UNIQUE(kind, key));"
	"CREATE TABLE markets(id INTEGER PRIMARY KEY, instance_type TEXT NOT NULL,"
	" az TEXT NOT NULL, UNIQUE(instance_type, az));"
	"CREATE TABLE samples(series_id INTEGER NOT NULL, t INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, value REAL NOT NULL, is_map INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY(series_id, t, seq)) WITHOUT ROWID;"
	"CREATE TABLE market_samples(series_id INTEGER NOT NULL, t INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, market_id INTEGER NOT NULL, value REAL NOT NULL,"
	" PRIMARY KEY(series_id, t, seq, market_id)) WITHOUT ROWID;";

/* Write state of one series: its last chunk (the tail), loaded on the
 * first write. */
struct sqseries {
	int64_t id;
	bool loaded;        /* the tail below mirrors the last chunk */
	bool dirty;         /* the tail has samples not yet in chunks */
	bool in_db;         /* the tail has a row (series_id, t0) */
	int64_t t0, t1, n;  /* the tail's times and count; n == 0: none */
	unsigned char *buf; /* the tail's blob */
	size_t len, cap;
};

/* A market id and a value, as stored in a map. */
struct idval {
	int64_t id;
	double v;
};

/* A decoded sample of a chunk: time, value (a number) or its map's entries
 * (ids[off..off+n) of the cursor), and where it starts in the blob. */
struct dsample {
	int64_t t;
	double v;
	uint32_t off, n;                     /* n == UINT32_MAX: a number */
	size_t at;
};

struct sqcursor;

#define MK_HINTS 8

struct sqstore {
	struct cman_store base;
	sqlite3 *db;
	int version;     /* of the schema: 1 (read as it is) or 2 */
	bool in_tx;      /* a write transaction from begin() */
	bool read_tx;    /* a read transaction opened by a read */
	struct cman_store_strtab series_names;  /* "<kind byte><key>" */
	struct sqseries *series;
	size_t series_cap;
	size_t n_dirty;                         /* series with a dirty tail */
	long last_series;                       /* index of the series written last, -1 */
	char last_name[CMAN_KEY_MAX + 2];       /* its "<kind byte><key>" */
	struct cman_store_strtab markets;       /* "type\0az", never shrinks */
	struct sqmarket *mk;
	size_t mk_cap;
	long *by_id;                            /* market id -> markets index, -1 */
	size_t by_id_cap;
	long mk_hint[MK_HINTS];                 /* markets index written last at each
						   place of a map, + 1; 0 none */
	uint64_t markets_gen;                   /* counts load_markets() calls */
	sqlite3_stmt *ins_series, *ins_market;
	sqlite3_stmt *put_chunk, *del_chunk, *chunk_before, *chunk_first;
	sqlite3_stmt *keys;                     /* sq_keys' query, for ss->version */
	struct cman_market_value *scratch;
	size_t scratch_cap;
	int64_t *scratch_ids;
	size_t scratch_ids_cap;
	struct idval *dec;                      /* a decoded map */
	size_t dec_cap;
	unsigned char *mbuf;                    /* chunks being merged */
	size_t mbuf_cap;
	struct span *spans;
	size_t spans_cap;
	struct sqcursor *free_cursors;
	struct sqcursor *all_cursors;
	struct sqcheck *check;                  /* a check running beside the reads */
};

static int check_join(struct sqstore *ss, struct cman_error *err);

struct sqmarket {
	int64_t id;      /* 0 when not (or no longer) in the database */
};

struct sqcursor {
	struct cman_cursor base;
	struct sqcursor *next_free, *next_all;
	/* version 1: samples and market_samples rows */
	sqlite3_stmt *prior, *prior_m, *range, *range_m;
	int64_t sid, lo, hi;
	int64_t last_t, last_seq;   /* the last sample handed out (range phase) */
	bool any_out;               /* last_t/last_seq are set */
	enum cman_metric_kind kind;
	char key[CMAN_KEY_MAX + 1];  /* for messages */
	int phase;           /* 0: prior pending, 1: range, 2: done */
	bool range_bound, m_bound, m_row;
	bool range_empty;    /* lo > hi: no statement to step */
	int64_t mt, mseq;
	struct cman_market_value *ents;
	size_t ents_cap;
	/* version 2: the chunk being read (a row of range), decoded whole when
	 * taken: samples 0..dn-1 in flat arrays, handed out from ci on */
	bool in_chunk;
	int64_t ct0, ct1, cn, ci;            /* the chunk's t0, t1, n; samples handed out */
	int64_t prev_t1;                     /* t1 of the previous chunk */
	bool any_chunk;                      /* prev_t1 is set */
	int64_t dn;                          /* samples decoded (cn unless damaged) */
	const char *dwhy;                    /* dn < cn: what is wrong with sample dn */
	size_t dwhy_at;                      /* its byte in the blob */
	bool dleft;                          /* dn == cn: bytes left after the last one */
	struct dsample *ds;                  /* per decoded sample */
	size_t ds_cap;
	struct idval *ids;                   /* the maps' entries, one after the other */
	size_t ids_cap;
	/* the last map's market ids in blob order and where each went in the
	 * sorted ents (recorded maps repeat the same markets in the same
	 * order: the next one only moves its values in) */
	int64_t *last_ids;
	size_t *perm;
	size_t last_n, last_cap, perm_cap;   /* last_n 0: nothing cached */
	uint64_t last_gen;                   /* ss->markets_gen then */
	/* ents hold the values of the chunk's entries ids[ents_off..) (a map
	 * repeated byte for byte shares its entries with the one before) and
	 * sum to ents_sum; UINT32_MAX: not known */
	uint32_t ents_off;
	double ents_sum;
};

static int db_error(struct sqstore *ss, struct cman_error *err, const char *what)
{
	int ec = sqlite3_errcode(ss->db);

	if (ec == SQLITE_CORRUPT || ec == SQLITE_NOTADB)
		return cman_error_set(err, CMAN_EINVAL, "%s: corrupt metrics database (%s: %s)",
				      ss->base.name, what, sqlite3_errmsg(ss->db));
	return cman_error_set(err, CMAN_EIO, "%s: %s: %s", ss->base.name, what,
			      sqlite3_errmsg(ss->db));
}

static int exec(struct sqstore *ss, const char *sql, struct cman_error *err)
{
	char *msg = NULL;
	int rc = 0;

	if (sqlite3_exec(ss->db, sql, NULL, NULL, &msg) != SQLITE_OK)
		rc = cman_error_set(err, CMAN_EIO, "%s: %s: %s", ss->base.name, sql,
				    msg ? msg : sqlite3_errmsg(ss->db));
	sqlite3_free(msg);
	return rc;
}

/*
 * Reads outside begin/commit share one open read transaction, so that a
 * statement does not pay SQLite's per-transaction locking (a few system
 * calls, which dominate a point lookup).  It ends before any write.
 */
static void read_tx_start(struct sqstore *ss)
{
	if (!ss->in_tx && !ss->read_tx && exec(ss, "BEGIN", NULL) == 0)
		ss->read_tx = true;
}

static int read_tx_end(struct sqstore *ss, struct cman_error *err)
{
	if (!ss->read_tx)
		return 0;
	ss->read_tx = false;
	return exec(ss, "COMMIT", err);
}

static int prepare(struct sqstore *ss, const char *sql, sqlite3_stmt **st,
		   struct cman_error *err)
{
	if (*st)
		return 0;
	if (sqlite3_prepare_v3(ss->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return db_error(ss, err, "preparing a statement");
	return 0;
}

/* ---- the in-memory mirror of series and markets ---- */

static int set_market_id(struct sqstore *ss, size_t idx, int64_t id)
{
	if (id <= 0 || id > (int64_t)1 << 40)
		return CMAN_EIO;
	if ((size_t)id >= ss->by_id_cap) {
		size_t old = ss->by_id_cap;

		if (cman_grow((void **)&ss->by_id, &ss->by_id_cap, (size_t)id + 1, sizeof(*ss->by_id)))
			return CMAN_ENOMEM;
		for (size_t i = old; i < ss->by_id_cap; i++)
			ss->by_id[i] = -1;
	}
	ss->by_id[id] = (long)idx;
	ss->mk[idx].id = id;
	return 0;
}

static int intern_market(struct sqstore *ss, const char *type, const char *az, size_t *idx)
{
	char buf[CMAN_TYPE_MAX + CMAN_AZ_MAX + 2];
	size_t tl = strlen(type), al = strlen(az);
	int added;

	if (tl >= CMAN_TYPE_MAX || al >= CMAN_AZ_MAX)
		return CMAN_EINVAL;
	memcpy(buf, type, tl + 1);
	memcpy(buf + tl + 1, az, al);
	if (cman_store_strtab_add(&ss->markets, buf, tl + 1 + al, idx, &added))
		return CMAN_ENOMEM;
	if (added) {
		if (cman_grow((void **)&ss->mk, &ss->mk_cap, *idx + 1, sizeof(*ss->mk)))
			return CMAN_ENOMEM;
		ss->mk[*idx].id = 0;
	}
	return 0;
}

static int load_markets(struct sqstore *ss, struct cman_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	ss->markets_gen++;   /* ids may name other markets now */
	for (size_t i = 0; i < ss->markets.n; i++)
		ss->mk[i].id = 0;
	for (size_t i = 0; i < ss->by_id_cap; i++)
		ss->by_id[i] = -1;
	if (sqlite3_prepare_v2(ss->db, "SELECT id, instance_type, az FROM markets", -1, &st,
			       NULL) != SQLITE_OK) {
		rc = db_error(ss, err, "reading markets");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 1);
		const char *az = (const char *)sqlite3_column_text(st, 2);
		size_t idx;

		rc = intern_market(ss, type ? type : "", az ? az : "", &idx);
		if (!rc)
			rc = set_market_id(ss, idx, sqlite3_column_int64(st, 0));
		if (rc) {
			rc = rc == CMAN_ENOMEM ? cman_error_set(err, rc, "%s: out of memory", ss->base.name)
					       : cman_error_set(err, CMAN_EIO, "%s: bad row in table markets",
								ss->base.name);
			goto out;
		}
	}
	if (step != SQLITE_DONE)
		rc = db_error(ss, err, "reading markets");
out:
	sqlite3_finalize(st);
	return rc;
}


static void tail_drop(struct sqstore *ss, struct sqseries *se)
{
	if (se->dirty)
		ss->n_dirty--;
	se->loaded = se->dirty = se->in_db = false;
	se->n = 0;
	se->len = 0;
}

static int add_series(struct sqstore *ss, const char *name, size_t len, int64_t id,
		      size_t *idx)
{
	int added;

	if (cman_store_strtab_add(&ss->series_names, name, len, idx, &added))
		return CMAN_ENOMEM;
	if (added) {
		size_t old = ss->series_cap;

		if (cman_grow((void **)&ss->series, &ss->series_cap, *idx + 1, sizeof(*ss->series)))
			return CMAN_ENOMEM;
		if (ss->series_cap > old)
			memset(&ss->series[old], 0, (ss->series_cap - old) * sizeof(*ss->series));
		tail_drop(ss, &ss->series[*idx]);
	}
	ss->series[*idx].id = id;
	return 0;
}

static int load_series(struct sqstore *ss, struct cman_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	for (size_t i = 0; i < ss->series_names.n; i++)
		tail_drop(ss, &ss->series[i]);
	ss->last_series = -1;
	cman_store_strtab_release(&ss->series_names);
	cman_store_strtab_init(&ss->series_names);
	if (sqlite3_prepare_v2(ss->db, "SELECT id, kind, key FROM series", -1, &st, NULL) != SQLITE_OK) {
		rc = db_error(ss, err, "reading series");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int kind = sqlite3_column_int(st, 1);
		const char *key = (const char *)sqlite3_column_text(st, 2);
		char name[CMAN_KEY_MAX + 2];
		long len;
		size_t idx;

		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
		    sqlite3_column_type(st, 1) != SQLITE_INTEGER || kind < 0 ||
		    kind >= CMAN_KIND_COUNT || !key ||
		    (len = cman_store_series_name(name, sizeof(name), (enum cman_metric_kind)kind,
						  key)) < 0) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: corrupt metrics database: table "
					    "series, row id %lld: expected an integer id, a kind 0-%d "
					    "and a key of at most %d bytes",
					    ss->base.name, (long long)sqlite3_column_int64(st, 0),
					    CMAN_KIND_COUNT - 1, CMAN_KEY_MAX - 1);
			goto out;
		}
		if (add_series(ss, name, (size_t)len, sqlite3_column_int64(st, 0), &idx)) {
			rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
			goto out;
		}
	}
	if (step != SQLITE_DONE)
		rc = db_error(ss, err, "reading series");
out:
	sqlite3_finalize(st);
	return rc;
}

/* ---- chunk rows ---- */

static int put_row(struct sqstore *ss, int64_t sid, int64_t t0, int64_t t1, int64_t n,
		   const unsigned char *data, size_t len, struct cman_error *err)
{
	int rc = prepare(ss, "INSERT OR REPLACE INTO chunks(series_id, t0, t1, n, data)"
			 " VALUES(?1, ?2, ?3, ?4, ?5)", &ss->put_chunk, err);

	if (rc)
		return rc;
	sqlite3_bind_int64(ss->put_chunk, 1, sid);
	sqlite3_bind_int64(ss->put_chunk, 2, t0);
	sqlite3_bind_int64(ss->put_chunk, 3, t1);
	sqlite3_bind_int64(ss->put_chunk, 4, n);
	sqlite3_bind_blob(ss->put_chunk, 5, data, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(ss->put_chunk);
	sqlite3_reset(ss->put_chunk);
	sqlite3_clear_bindings(ss->put_chunk);
	if (rc != SQLITE_DONE)
		return db_error(ss, err, "writing a chunk");
	return 0;
}

static int flush_tail(struct sqstore *ss, struct sqseries *se, struct cman_error *err)
{
	int rc;

	if (!se->dirty)
		return 0;
	rc = put_row(ss, se->id, se->t0, se->t1, se->n, se->buf, se->len, err);
	if (rc)
		return rc;
	se->dirty = false;
	se->in_db = true;
	ss->n_dirty--;
	return 0;
}

/* Write every dirty tail, so that reads (SQL) see all writes. */
static int flush_all(struct sqstore *ss, struct cman_error *err)
{
	for (size_t i = 0; i < ss->series_names.n && ss->n_dirty; i++) {
		int rc = flush_tail(ss, &ss->series[i], err);

		if (rc)
			return rc;
	}
	return 0;
}

/* ---- keys ---- */

static int sq_keys(struct cman_store *st, enum cman_metric_kind kind,
		   const char *prefix, cman_key_cb cb, void *ctx,
		   struct cman_error *err)
{
	struct sqstore *ss = (struct sqstore *)st;
	const char *sql = ss->version == 1 ?
		"SELECT key FROM series WHERE kind = ?1 AND key >= ?2 AND"
		" EXISTS(SELECT 1 FROM samples WHERE series_id = series.id)"
		" ORDER BY key" :
		"SELECT key FROM series WHERE kind = ?1 AND key >= ?2 AND"
		" EXISTS(SELECT 1 FROM chunks WHERE series_id = series.id)"
		" ORDER BY key";
	sqlite3_stmt *q = NULL, *own = NULL;
	size_t plen = strlen(prefix);
	int rc, step;

	rc = flush_all(ss, err);
	if (rc)
		return rc;
	read_tx_start(ss);
	/* The query is prepared once per store (a run asks for keys half a
	 * dozen times, and preparing was most of each answer; finalized with
	 * the cursors when the schema changes), or afresh when a callback
	 * lists keys while this one is still stepping. */
	if (ss->keys && sqlite3_stmt_busy(ss->keys)) {
		if (sqlite3_prepare_v2(ss->db, sql, -1, &own, NULL) != SQLITE_OK)
			return db_error(ss, err, "listing keys");
		q = own;
	} else {
		if (!ss->keys && sqlite3_prepare_v3(ss->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
						    &ss->keys, NULL) != SQLITE_OK)
			return db_error(ss, err, "listing keys");
		q = ss->keys;
	}
	sqlite3_bind_int(q, 1, (int)kind);
	sqlite3_bind_text(q, 2, prefix, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(q, 0);

		if (!key || strncmp(key, prefix, plen) != 0)
			break;
		rc = cb(ctx, key);
		if (rc)
			goto out;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		rc = db_error(ss, err, "listing keys");
out:
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	sqlite3_finalize(own);
	return rc;
}

/* ---- cursors ---- */

static int cursor_prepare(struct sqstore *ss, struct sqcursor *c, struct cman_error *err)
{
	static const char *const sql_v1[4] = {
		"SELECT t, seq, value, is_map FROM samples WHERE series_id = ?1 AND t <= ?2"
		" ORDER BY t DESC, seq DESC LIMIT 1",
		"SELECT market_id, value FROM market_samples WHERE series_id = ?1 AND t = ?2"
		" AND seq = ?3 ORDER BY market_id",
		"SELECT t, seq, value, is_map FROM samples WHERE series_id = ?1"
		" AND t BETWEEN ?2 AND ?3 ORDER BY t, seq",
		"SELECT t, seq, market_id, value FROM market_samples WHERE series_id = ?1"
		" AND t BETWEEN ?2 AND ?3 ORDER BY t, seq, market_id",
	};
	/* version 2: the prior sample's query is the store's chunk_before */
	static const char *const sql_v2[2] = {
		CHUNK_BEFORE_SQL,
		"SELECT t0, t1, n, data FROM chunks WHERE series_id = ?1"
		" AND t0 BETWEEN ?2 AND ?3 ORDER BY t0",
	};
	sqlite3_stmt **st_v1[4] = { &c->prior, &c->prior_m, &c->range, &c->range_m };
	sqlite3_stmt **st_v2[2] = { &ss->chunk_before, &c->range };
	int n = ss->version == 1 ? 4 : 2;

	for (int i = 0; i < n; i++) {
		int rc = prepare(ss, ss->version == 1 ? sql_v1[i] : sql_v2[i],
				 ss->version == 1 ? st_v1[i] : st_v2[i], err);

		if (rc)
			return rc;
	}
	return 0;
}

static void cursor_destroy(struct sqcursor *c)
{
	sqlite3_finalize(c->prior);
	sqlite3_finalize(c->prior_m);
	sqlite3_finalize(c->range);
	sqlite3_finalize(c->range_m);
	free(c->ents);
	free(c->ids);
	free(c->ds);
	free(c->last_ids);
	free(c->perm);
	free(c);
}

/* Finalize every cursor (all must be closed) and the keys query: before the
 * schema changes. */
static void cursors_destroy(struct sqstore *ss)
{
	struct sqcursor *c = ss->all_cursors;

	while (c) {
		struct sqcursor *next = c->next_all;

		cursor_destroy(c);
		c = next;
	}
	ss->all_cursors = ss->free_cursors = NULL;
	sqlite3_finalize(ss->keys);   /* its SQL depends on the schema version too */
	ss->keys = NULL;
}

static int sq_open_cursor(struct cman_store *st, enum cman_metric_kind kind,
			  const char *key, int64_t t0, int64_t t1,
			  unsigned flags, struct cman_cursor **out,
			  struct cman_error *err)
{
	struct sqstore *ss = (struct sqstore *)st;
	struct sqcursor *c;
	char name[CMAN_KEY_MAX + 2];
	long len = cman_store_series_name(name, sizeof(name), kind, key);
	long k = len < 0 ? -1 : cman_store_strtab_find(&ss->series_names, name, (size_t)len);
	int rc = flush_all(ss, err);

	if (rc)
		return rc;
	c = ss->free_cursors;
	if (c) {
		ss->free_cursors = c->next_free;
	} else {
		c = calloc(1, sizeof(*c));
		if (!c)
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", st->name);
		rc = cursor_prepare(ss, c, err);
		if (rc) {
			cursor_destroy(c);
			return rc;
		}
		c->base.store = st;
		c->next_all = ss->all_cursors;
		ss->all_cursors = c;
	}
	c->next_free = NULL;
	c->range_bound = c->m_bound = c->m_row = false;
	c->any_out = false;
	c->in_chunk = c->any_chunk = false;
	c->last_n = 0;
	c->ents_off = UINT32_MAX;
	c->kind = kind;
	snprintf(c->key, sizeof(c->key), "%s", key);
	read_tx_start(ss);
	if (k < 0) {
		c->phase = 2;
	} else {
		c->sid = ss->series[k].id;
		c->phase = (flags & CMAN_CURSOR_WITH_PRIOR) ? 0 : 1;
		c->hi = t1;
		c->mt = t0;   /* version 2: the prior sample's bound */
		if (flags & CMAN_CURSOR_WITH_PRIOR) {
			if (ss->version == 1) {   /* version 2 binds its shared query when read */
				sqlite3_bind_int64(c->prior, 1, c->sid);
				sqlite3_bind_int64(c->prior, 2, t0);
			}
			if (t0 == INT64_MAX)
				c->hi = INT64_MIN; /* nothing after t0 */
			c->lo = t0 == INT64_MAX ? INT64_MAX : t0 + 1;
		} else {
			c->lo = t0;
		}
		c->range_empty = c->lo > c->hi;
	}
	*out = &c->base;
	return 0;
}

static const struct cman_market_value *entry(struct sqstore *ss, int64_t id, double v,
					     struct cman_market_value *e, struct cman_error *err)
{
	long idx = (id > 0 && (size_t)id < ss->by_id_cap) ? ss->by_id[id] : -1;
	const char *type;

	if (idx < 0) {
		/* written by another connection since we loaded: reload once */
		if (load_markets(ss, err))
			return NULL;
		idx = (id > 0 && (size_t)id < ss->by_id_cap) ? ss->by_id[id] : -1;
		if (idx < 0) {
			cman_error_set(err, CMAN_EIO, "%s: market id %lld missing from table markets",
				       ss->base.name, (long long)id);
			return NULL;
		}
	}
	type = ss->markets.strs[idx];
	e->instance_type = type;
	e->az = type + strlen(type) + 1;
	e->value = v;
	return e;
}

static int push_entry(struct sqstore *ss, struct sqcursor *c, size_t n, int64_t id, double v,
		      struct cman_error *err)
{
	c->last_n = 0;   /* ents no longer hold the last chunk map */
	if (cman_grow((void **)&c->ents, &c->ents_cap, n + 1, sizeof(*c->ents)))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
	if (!entry(ss, id, v, &c->ents[n], err))
		return err ? err->code : CMAN_EIO;
	return 0;
}

/* The row's place, for messages: "table T, KIND key 'K', row t=..., seq=...". */
static int bad_row(struct sqstore *ss, struct sqcursor *c, struct cman_error *err,
		   const char *table, sqlite3_stmt *q, const char *what)
{
	const char *t = (const char *)sqlite3_column_text(q, 0);
	char tt[64];

	snprintf(tt, sizeof(tt), "%s", t ? t : "NULL");
	t = (const char *)sqlite3_column_text(q, 1);
	return cman_error_set(err, CMAN_EINVAL, "%s: corrupt metrics database: table %s, %s key "
			      "'%s', row t=%s seq=%s: %s", ss->base.name, table,
			      cman_kind_name(c->kind), c->key, tt, t ? t : "NULL", what);
}

static bool is_number(sqlite3_stmt *q, int col)
{
	int ty = sqlite3_column_type(q, col);

	return ty == SQLITE_INTEGER || ty == SQLITE_FLOAT;
}

/*
 * A sample row (t, seq, value, is_map), checked: integers where integers
 * belong, a finite value, a time within the valid range and, in the range
 * phase, strictly after the previous row and inside [lo, hi] (a damaged
 * b-tree can hand rows out of order; the simulator must never see that).
 */
static int fill_row(struct sqstore *ss, struct sqcursor *c, sqlite3_stmt *q,
		    struct cman_sample *out, int64_t *seq, bool in_range, struct cman_error *err)
{
	if (sqlite3_column_type(q, 0) != SQLITE_INTEGER || sqlite3_column_type(q, 1) != SQLITE_INTEGER)
		return bad_row(ss, c, err, "samples", q, "t and seq must be integers");
	if (!is_number(q, 2))
		return bad_row(ss, c, err, "samples", q, "the value is not a number");
	if (sqlite3_column_type(q, 3) != SQLITE_INTEGER ||
	    (sqlite3_column_int64(q, 3) != 0 && sqlite3_column_int64(q, 3) != 1))
		return bad_row(ss, c, err, "samples", q, "is_map must be 0 or 1");
	out->t = sqlite3_column_int64(q, 0);
	*seq = sqlite3_column_int64(q, 1);
	out->value = sqlite3_column_double(q, 2);
	out->is_map = sqlite3_column_int(q, 3) != 0;
	out->n_markets = 0;
	out->markets = NULL;
	if (!isfinite(out->value))
		return bad_row(ss, c, err, "samples", q, "the value is not a finite number");
	if (!cman_time_valid(out->t))
		return bad_row(ss, c, err, "samples", q,
			       "the time is outside 1970-01-01T00:00:00Z..9999-12-31T23:59:59Z");
	if (*seq < 0)
		return bad_row(ss, c, err, "samples", q, "seq is negative");
	if (in_range) {
		if (out->t < c->lo || out->t > c->hi ||
		    (c->any_out && (out->t < c->last_t ||
				    (out->t == c->last_t && *seq <= c->last_seq))))
			return bad_row(ss, c, err, "samples", q, "out of order (the rows are not "
				       "sorted by time: the file is damaged)");
		c->last_t = out->t;
		c->last_seq = *seq;
		c->any_out = true;
	}
	return 0;
}

/* A market_samples row's (market_id, value) at columns col, col + 1. */
static int check_mrow(struct sqstore *ss, struct sqcursor *c, sqlite3_stmt *q, int col,
		      struct cman_error *err)
{
	if (sqlite3_column_type(q, col) != SQLITE_INTEGER || !is_number(q, col + 1) ||
	    !isfinite(sqlite3_column_double(q, col + 1)))
		return cman_error_set(err, CMAN_EINVAL, "%s: corrupt metrics database: table "
				      "market_samples, %s key '%s', market id %s: expected an "
				      "integer market id and a finite value",
				      ss->base.name, cman_kind_name(c->kind), c->key,
				      (const char *)sqlite3_column_text(q, col) ?
				      (const char *)sqlite3_column_text(q, col) : "NULL");
	return 0;
}

static int v1_next_prior(struct sqstore *ss, struct sqcursor *c, struct cman_sample *out,
		      struct cman_error *err)
{
	int64_t seq;
	size_t n = 0;
	int step = sqlite3_step(c->prior), rc = 0;

	if (step == SQLITE_DONE)
		return 0;
	if (step != SQLITE_ROW)
		return db_error(ss, err, "reading samples");
	rc = fill_row(ss, c, c->prior, out, &seq, false, err);
	if (rc)
		return rc;
	if (out->t >= c->lo && c->lo != INT64_MAX)
		return bad_row(ss, c, err, "samples", c->prior, "out of order (the rows are not "
			       "sorted by time: the file is damaged)");
	if (!out->is_map)
		return 1;
	sqlite3_bind_int64(c->prior_m, 1, c->sid);
	sqlite3_bind_int64(c->prior_m, 2, out->t);
	sqlite3_bind_int64(c->prior_m, 3, seq);
	while ((step = sqlite3_step(c->prior_m)) == SQLITE_ROW) {
		rc = check_mrow(ss, c, c->prior_m, 0, err);
		if (rc)
			goto out;
		rc = push_entry(ss, c, n, sqlite3_column_int64(c->prior_m, 0),
				sqlite3_column_double(c->prior_m, 1), err);
		if (rc)
			goto out;
		n++;
	}
	if (step != SQLITE_DONE) {
		rc = db_error(ss, err, "reading market samples");
		goto out;
	}
	cman_store_sort_markets(c->ents, n);
	out->n_markets = n;
	out->markets = c->ents;
	rc = 1;
out:
	sqlite3_reset(c->prior_m);
	return rc;
}

static int step_m(struct sqstore *ss, struct sqcursor *c, struct cman_error *err)
{
	int step = sqlite3_step(c->range_m);

	if (step == SQLITE_ROW) {
		c->m_row = true;
		c->mt = sqlite3_column_int64(c->range_m, 0);
		c->mseq = sqlite3_column_int64(c->range_m, 1);
		return 0;
	}
	c->m_row = false;
	if (step != SQLITE_DONE)
		return db_error(ss, err, "reading market samples");
	return 0;
}

static int v1_next_range(struct sqstore *ss, struct sqcursor *c, struct cman_sample *out,
		      struct cman_error *err)
{
	int64_t seq;
	size_t n = 0;
	int step, rc;

	if (!c->range_bound) {
		sqlite3_bind_int64(c->range, 1, c->sid);
		sqlite3_bind_int64(c->range, 2, c->lo);
		sqlite3_bind_int64(c->range, 3, c->hi);
		c->range_bound = true;
	}
	step = sqlite3_step(c->range);
	if (step == SQLITE_DONE)
		return 0;
	if (step != SQLITE_ROW)
		return db_error(ss, err, "reading samples");
	rc = fill_row(ss, c, c->range, out, &seq, true, err);
	if (rc)
		return rc;
	if (!out->is_map)
		return 1;
	if (!c->m_bound) {
		sqlite3_bind_int64(c->range_m, 1, c->sid);
		sqlite3_bind_int64(c->range_m, 2, c->lo);
		sqlite3_bind_int64(c->range_m, 3, c->hi);
		c->m_bound = true;
		rc = step_m(ss, c, err);
		if (rc)
			return rc;
	}
	/* skip entries of earlier samples (none in a consistent database) */
	while (c->m_row && (c->mt < out->t || (c->mt == out->t && c->mseq < seq))) {
		rc = step_m(ss, c, err);
		if (rc)
			return rc;
	}
	while (c->m_row && c->mt == out->t && c->mseq == seq) {
		rc = check_mrow(ss, c, c->range_m, 2, err);
		if (rc)
			return rc;
		rc = push_entry(ss, c, n, sqlite3_column_int64(c->range_m, 2),
				sqlite3_column_double(c->range_m, 3), err);
		if (rc)
			return rc;
		n++;
		rc = step_m(ss, c, err);
		if (rc)
			return rc;
	}
	cman_store_sort_markets(c->ents, n);
	out->n_markets = n;
	out->markets = c->ents;
	return 1;
}


/* ---- version 2: the chunk codec ---- */

static unsigned char *put_varint(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

static inline bool get_varint(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
	const unsigned char *p = *pp;
	uint64_t x = 0;

	if (p < end && !(*p & 0x80)) {   /* one byte: most time steps and ids */
		*v = *p;
		*pp = p + 1;
		return true;
	}
	for (int shift = 0; shift < 64 && p < end; shift += 7) {
		unsigned char b = *p++;

		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			*pp = p;
			return true;
		}
	}
	return false;
}

/* A number: an integer below 2^53 as a zigzag varint, else the double. */
static unsigned char *put_value(unsigned char *p, double v)
{
	if (fabs(v) < 9007199254740992.0 && (double)(int64_t)v == v && !(v == 0 && signbit(v))) {
		int64_t i = (int64_t)v;

		*p++ = TAG_INT;
		return put_varint(p, i < 0 ? ((uint64_t)(-(i + 1)) << 1) | 1 : (uint64_t)i << 1);
	} else {
		uint64_t bits;

		memcpy(&bits, &v, sizeof(bits));
		*p++ = TAG_DOUBLE;
		for (int i = 0; i < 8; i++)
			*p++ = (unsigned char)(bits >> (8 * i));
		return p;
	}
}

/* A number of tag tag at *pp; NULL, or what is wrong. */
static inline const char *get_value(const unsigned char **pp, const unsigned char *end, int tag,
			     double *v)
{
	if (tag == TAG_DOUBLE) {
		const unsigned char *p = *pp;
		uint64_t bits = 0;

		if (end - p < 8)
			return "the blob ends inside a number";
		for (int i = 0; i < 8; i++)
			bits |= (uint64_t)p[i] << (8 * i);
		memcpy(v, &bits, sizeof(*v));
		*pp = p + 8;
		if (!isfinite(*v))
			return "the value is not a finite number";
		return NULL;
	}
	if (tag == TAG_INT) {
		uint64_t z;

		if (!get_varint(pp, end, &z))
			return "the blob ends inside a number";
		if ((z >> 1) >= ((uint64_t)1 << 53))
			return "an integer value of 2^53 or more";
		*v = (z & 1) ? -(double)(z >> 1) - 1 : (double)(z >> 1);
		return NULL;
	}
	return "an unknown value tag";
}

/*
 * One encoded sample at *pp (the previous time prev): its time, and either
 * *is_map = false and *v, or *is_map = true and *n entries in *ids (grown as
 * needed).  NULL, or what is wrong (*pp then at an unknown place).
 */
static const char *decode_sample(const unsigned char **pp, const unsigned char *end,
				 int64_t prev, int64_t *t, bool *is_map, double *v,
				 struct idval **ids, size_t *ids_cap, size_t *n)
{
	uint64_t d, cnt;
	const char *why;
	int tag;

	if (!get_varint(pp, end, &d))
		return "the blob ends inside a time";
	if (d > (uint64_t)(CMAN_TIME_MAX - CMAN_TIME_MIN))
		return "a time step beyond the valid range";
	*t = prev + (int64_t)d;
	if (*pp >= end)
		return "the blob ends before a value";
	tag = *(*pp)++;
	if (tag != TAG_MAP) {
		*is_map = false;
		return get_value(pp, end, tag, v);
	}
	*is_map = true;
	if (!get_varint(pp, end, &cnt))
		return "the blob ends inside a map";
	if (cnt > (uint64_t)(end - *pp) / 2)
		return "a map longer than the blob";
	if ((size_t)cnt > *ids_cap &&
	    cman_grow((void **)ids, ids_cap, (size_t)cnt, sizeof(**ids)))
		return "out of memory";
	for (uint64_t i = 0; i < cnt; i++) {
		uint64_t id;

		if (!get_varint(pp, end, &id) || *pp >= end)
			return "the blob ends inside a map";
		if (id == 0 || id > ((uint64_t)1 << 40))
			return "a market id out of range";
		(*ids)[i].id = (int64_t)id;
		tag = *(*pp)++;
		if ((why = get_value(pp, end, tag, &(*ids)[i].v)) != NULL)
			return why;
	}
	*n = (size_t)cnt;
	return NULL;
}

/* "FILE: corrupt metrics database: table chunks, KIND key 'K', chunk t0=T[, ...]: WHY" */
static int bad_chunk(struct sqstore *ss, struct cman_error *err, enum cman_metric_kind kind,
		     const char *key, int64_t t0, int64_t sample, size_t byte, const char *why)
{
	if (sample < 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: corrupt metrics database: table chunks, "
				      "%s key '%s', chunk t0=%lld: %s", ss->base.name,
				      cman_kind_name(kind), key, (long long)t0, why);
	return cman_error_set(err, CMAN_EINVAL, "%s: corrupt metrics database: table chunks, "
			      "%s key '%s', chunk t0=%lld, sample %lld (byte %zu of the blob): %s",
			      ss->base.name, cman_kind_name(kind), key, (long long)t0,
			      (long long)sample, byte, why);
}

/* A chunk row (t0, t1, n, data): the columns' types and bounds. */
static const char *chunk_row_why(sqlite3_stmt *q, int64_t *t0, int64_t *t1, int64_t *n)
{
	if (sqlite3_column_type(q, 0) != SQLITE_INTEGER || sqlite3_column_type(q, 1) != SQLITE_INTEGER ||
	    sqlite3_column_type(q, 2) != SQLITE_INTEGER || sqlite3_column_type(q, 3) != SQLITE_BLOB)
		return "a value of the wrong type (expected integers t0, t1, n and a blob)";
	*t0 = sqlite3_column_int64(q, 0);
	*t1 = sqlite3_column_int64(q, 1);
	*n = sqlite3_column_int64(q, 2);
	if (!cman_time_valid(*t0) || !cman_time_valid(*t1))
		return "the time is outside 1970-01-01T00:00:00Z..9999-12-31T23:59:59Z";
	if (*t0 > *t1)
		return "t0 after t1";
	if (*n < 1 || *n > sqlite3_column_bytes(q, 3) / 2)
		return "a sample count that does not fit the blob";
	return NULL;
}

/* Index in the mirror of market id, reloading it once for a new id; -1. */
static long market_index(struct sqstore *ss, int64_t id, struct cman_error *err, int *rc)
{
	long idx = (id > 0 && (size_t)id < ss->by_id_cap) ? ss->by_id[id] : -1;

	*rc = 0;
	if (idx < 0) {
		*rc = load_markets(ss, err);
		if (*rc)
			return -1;
		idx = (id > 0 && (size_t)id < ss->by_id_cap) ? ss->by_id[id] : -1;
	}
	return idx;
}

/*
 * Decode and check a whole chunk; spans (may be NULL) receives per sample
 * its time and where its value starts and ends.  0 or CMAN_EINVAL (corrupt)
 * or another cman_err.
 */
struct span {
	int64_t t;
	size_t off, end;
};

static int check_chunk(struct sqstore *ss, enum cman_metric_kind kind, const char *key,
		       int64_t t0, int64_t t1, int64_t n, const unsigned char *blob,
		       size_t len, bool want_spans, struct cman_error *err)
{
	const unsigned char *p = blob, *end = blob + len;
	int64_t prev = t0;

	if (want_spans && cman_grow((void **)&ss->spans, &ss->spans_cap, (size_t)n + 1,
				    sizeof(*ss->spans)))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
	for (int64_t i = 0; i < n; i++) {
		const unsigned char *at = p, *vat;
		const char *why;
		bool is_map;
		double v;
		size_t nm = 0;
		int64_t t;
		uint64_t d;

		if (p >= end)
			return bad_chunk(ss, err, kind, key, t0, i + 1, (size_t)(p - blob),
					 "the blob ends before the chunk's count of samples");
		vat = p;
		if (get_varint(&vat, end, &d) && want_spans)
			ss->spans[i].off = (size_t)(vat - blob);
		why = decode_sample(&p, end, prev, &t, &is_map, &v, &ss->dec, &ss->dec_cap, &nm);
		if (!why && (t > t1 || (i == n - 1 && t != t1)))
			why = "a time outside the chunk's t0..t1";
		for (size_t j = 0; !why && j < nm; j++) {
			int rc;

			if (market_index(ss, ss->dec[j].id, err, &rc) < 0)
				why = rc ? NULL : "a market id missing from table markets";
			if (rc)
				return rc;
		}
		if (why)
			return bad_chunk(ss, err, kind, key, t0, i + 1, (size_t)(at - blob), why);
		if (want_spans) {
			ss->spans[i].t = t;
			ss->spans[i].end = (size_t)(p - blob);
		}
		prev = t;
	}
	if (p != end)
		return bad_chunk(ss, err, kind, key, t0, -1, 0, "bytes left after the last sample");
	return 0;
}

/* ---- version 2: cursors ---- */

/*
 * A number of tag tag at *pp as get_value() reads it, in the common forms
 * only (a finite double, an integer varint of one or two bytes): true and
 * *pp past it, or false (*pp unmoved: get_value() decides).
 */
static inline bool fast_number(const unsigned char **pp, const unsigned char *end, int tag,
			       double *v)
{
	const unsigned char *p = *pp;

	if (tag == TAG_DOUBLE) {
		uint64_t bits = 0;

		if (end - p < 8)
			return false;
		for (int k = 0; k < 8; k++)
			bits |= (uint64_t)p[k] << (8 * k);
		memcpy(v, &bits, sizeof(*v));
		if (!isfinite(*v))
			return false;
		*pp = p + 8;
		return true;
	}
	if (tag == TAG_INT && p < end) {
		uint64_t z = p[0];

		if (z & 0x80) {
			if (end - p < 2 || (p[1] & 0x80))
				return false;
			z = (z & 0x7f) | (uint64_t)p[1] << 7;
			p += 2;
		} else {
			p++;
		}
		*v = (z & 1) ? -(double)(z >> 1) - 1 : (double)(z >> 1);
		*pp = p;
		return true;
	}
	return false;
}

/*
 * Decode the whole blob of the chunk just taken into c->ds and c->ids, up
 * to the first damaged sample (c->dn, c->dwhy, c->dwhy_at: chunk_next()
 * reports it when it gets there, after the samples before it, as when
 * decoding one sample at a time).  0 or CMAN_ENOMEM.
 */
static int decode_chunk(struct sqstore *ss, struct sqcursor *c, const unsigned char *blob,
			size_t len)
{
	const unsigned char *p = blob, *end = blob + len;
	int64_t prev = c->ct0, i;
	size_t n_ids = 0;
	/* the last map the fast way took: its bytes (from the map tag) and
	 * entries; the same bytes again (recorded capacity mostly repeats)
	 * decode to the same entries */
	const unsigned char *pm = NULL;
	size_t pm_len = 0;
	uint32_t pm_off = 0, pm_n = 0;

	/* chunk_row_why() checked 1 <= cn <= len / 2 */
	if (cman_grow((void **)&c->ds, &c->ds_cap, (size_t)c->cn, sizeof(*c->ds)))
		return CMAN_ENOMEM;
	c->dwhy = NULL;
	for (i = 0; i < c->cn; i++) {
		struct dsample *d = &c->ds[i];
		const char *why;
		bool is_map;
		size_t nm = 0;

		d->at = (size_t)(p - blob);
		/* the common cases, taken as decode_sample would take them: a
		 * time step of one or two bytes, then a number or a map of
		 * one-byte ids and numbers (anything else: decode_sample) */
		if (end - p >= 4) {
			uint64_t dt = p[0];
			const unsigned char *q = p + 1;
			double v;

			if (dt & 0x80) {
				dt = (dt & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7;
				q = p[1] & 0x80 ? NULL : p + 2;
			}
			if (q && prev + (int64_t)dt <= c->ct1) {
				const unsigned char *r = q + 1;

				if (q[0] != TAG_MAP && fast_number(&r, end, q[0], &v)) {
					d->t = prev = prev + (int64_t)dt;
					d->v = v;
					d->n = UINT32_MAX;
					p = r;
					continue;
				}
				if (q[0] == TAG_MAP && pm && (size_t)(end - q) >= pm_len &&
				    !memcmp(q, pm, pm_len)) {
					d->t = prev = prev + (int64_t)dt;
					d->off = pm_off;
					d->n = pm_n;
					p = q + pm_len;
					continue;
				}
				if (q[0] == TAG_MAP && !(q[1] & 0x80) &&
				    q[1] <= (size_t)(end - (q + 2)) / 2) {
					size_t cnt = q[1], j;

					r = q + 2;
					if (n_ids + cnt >= c->ids_cap &&
					    cman_grow((void **)&c->ids, &c->ids_cap, n_ids + cnt + 1,
						      sizeof(*c->ids)))
						return CMAN_ENOMEM;
					for (j = 0; j < cnt; j++) {
						const unsigned char *e = r;

						if (end - e < 2 || e[0] == 0 || (e[0] & 0x80))
							break;
						r = e + 2;
						if (!fast_number(&r, end, e[1], &c->ids[n_ids + j].v))
							break;
						c->ids[n_ids + j].id = e[0];
					}
					if (j == cnt) {
						d->t = prev = prev + (int64_t)dt;
						d->off = pm_off = (uint32_t)n_ids;
						d->n = pm_n = (uint32_t)cnt;
						n_ids += cnt;
						pm = q;
						pm_len = (size_t)(r - q);
						p = r;
						continue;
					}
				}
			}
		}
		if (p >= end) {
			why = "the blob ends before the chunk's count of samples";
		} else {
			why = decode_sample(&p, end, prev, &d->t, &is_map, &d->v, &ss->dec,
					    &ss->dec_cap, &nm);
			if (!why && d->t > c->ct1)
				why = "a time after the chunk's t1";
		}
		if (why) {
			c->dwhy = why;
			c->dwhy_at = d->at;
			break;
		}
		prev = d->t;
		if (!is_map) {
			d->n = UINT32_MAX;
			continue;
		}
		if (n_ids + nm >= c->ids_cap &&
		    cman_grow((void **)&c->ids, &c->ids_cap, n_ids + nm + 1, sizeof(*c->ids)))
			return CMAN_ENOMEM;
		if (nm)
			memcpy(c->ids + n_ids, ss->dec, nm * sizeof(*c->ids));
		d->off = (uint32_t)n_ids;   /* n_ids < len: a blob is far below 4 GB */
		d->n = (uint32_t)nm;
		n_ids += nm;
	}
	c->dn = i;
	c->dleft = i == c->cn && p != end;
	return 0;
}

/* Take the chunk at the cursor's statement q. */
static int cursor_chunk(struct sqstore *ss, struct sqcursor *c, sqlite3_stmt *q,
			struct cman_error *err)
{
	const char *why = chunk_row_why(q, &c->ct0, &c->ct1, &c->cn);

	if (why)
		return bad_chunk(ss, err, c->kind, c->key, sqlite3_column_int64(q, 0), -1, 0, why);
	c->ents_off = UINT32_MAX;   /* the offsets start again */
	if (decode_chunk(ss, c, sqlite3_column_blob(q, 3), (size_t)sqlite3_column_bytes(q, 3)))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
	c->ci = 0;
	c->in_chunk = true;
	return 0;
}

/* The map of ids (n entries) has the last map's markets in the same order,
 * and no market was reloaded since. */
static bool same_markets(const struct sqstore *ss, const struct sqcursor *c,
			 const struct idval *ids, size_t n)
{
	if (n != c->last_n || !n || c->last_gen != ss->markets_gen)
		return false;
	for (size_t j = 0; j < n; j++)
		if (ids[j].id != c->last_ids[j])
			return false;
	return true;
}

/*
 * The decoded map's entries, sorted (c->ents), and the cache that lets the
 * next map with the same markets skip the names and the sort.
 */
static int map_entries(struct sqstore *ss, struct sqcursor *c, const struct idval *ids,
		       size_t n, size_t at, struct cman_error *err)
{
	c->last_n = 0;
	c->ents_off = UINT32_MAX;
	if (cman_grow((void **)&c->ents, &c->ents_cap, n ? n : 1, sizeof(*c->ents)) ||
	    cman_grow((void **)&c->last_ids, &c->last_cap, n ? n : 1, sizeof(*c->last_ids)) ||
	    cman_grow((void **)&c->perm, &c->perm_cap, n ? n : 1, sizeof(*c->perm)))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
	for (size_t j = 0; j < n; j++) {
		int rc;
		long idx = market_index(ss, ids[j].id, err, &rc);
		const char *type;

		if (rc)
			return rc;
		if (idx < 0)
			return bad_chunk(ss, err, c->kind, c->key, c->ct0, c->ci, at,
					 "a market id missing from table markets");
		type = ss->markets.strs[idx];
		c->ents[j].instance_type = type;
		c->ents[j].az = type + strlen(type) + 1;
		c->ents[j].value = (double)j;   /* where it came from, for perm */
	}
	if (cman_store_sort_markets(c->ents, n) >= 0)
		return bad_chunk(ss, err, c->kind, c->key, c->ct0, c->ci, at,
				 "a market twice in one map");
	for (size_t k = 0; k < n; k++) {
		size_t j = (size_t)c->ents[k].value;

		c->perm[j] = k;
		c->ents[k].value = ids[j].v;
		c->last_ids[j] = ids[j].id;
	}
	c->last_n = n;
	c->last_gen = ss->markets_gen;
	return 0;
}

/* The chunk's next sample into *out: 1, 0 at the chunk's end (checked), or
 * a negative cman_err. */
static int chunk_next(struct sqstore *ss, struct sqcursor *c, struct cman_sample *out,
		      struct cman_error *err)
{
	const struct dsample *d;

	if (c->ci == c->cn) {
		c->in_chunk = false;
		if (c->dleft)
			return bad_chunk(ss, err, c->kind, c->key, c->ct0, -1, 0,
					 "bytes left after the last sample");
		if (c->ds[c->cn - 1].t != c->ct1)
			return bad_chunk(ss, err, c->kind, c->key, c->ct0, -1, 0,
					 "the last sample's time is not t1");
		return 0;
	}
	if (c->ci == c->dn)
		return bad_chunk(ss, err, c->kind, c->key, c->ct0, c->ci + 1, c->dwhy_at, c->dwhy);
	d = &c->ds[c->ci++];
	out->t = d->t;
	out->n_markets = 0;
	out->markets = NULL;
	if (d->n == UINT32_MAX) {
		out->is_map = false;
		out->value = d->v;
		return 1;
	}
	out->is_map = true;
	{
		const struct idval *ids = c->ids + d->off;
		size_t n = d->n;

		if (same_markets(ss, c, ids, n)) {
			c->ents_off = UINT32_MAX;
			for (size_t j = 0; j < n; j++)
				c->ents[c->perm[j]].value = ids[j].v;
		} else {
			int rc = map_entries(ss, c, ids, n, d->at, err);

			if (rc)
				return rc;
		}
		out->n_markets = n;
		out->markets = c->ents;
		out->value = cman_store_map_sum(c->ents, n);
	}
	return 1;
}

/* The latest sample at or before c->mt: in the last chunk starting then. */
static int v2_next_prior(struct sqstore *ss, struct sqcursor *c, struct cman_sample *out,
			 struct cman_error *err)
{
	bool best = false;
	int64_t best_i = 0;
	sqlite3_stmt *q = ss->chunk_before;   /* reset by sq_cursor_next */
	int step, rc;

	sqlite3_bind_int64(q, 1, c->sid);
	sqlite3_bind_int64(q, 2, c->mt);
	step = sqlite3_step(q);
	if (step == SQLITE_DONE)
		return 0;
	if (step != SQLITE_ROW)
		return db_error(ss, err, "reading chunks");
	rc = cursor_chunk(ss, c, q, err);
	while (!rc) {
		int64_t i = c->ci;

		rc = chunk_next(ss, c, out, err);
		if (rc == 1 && out->t <= c->mt) {
			best = true;
			best_i = i;
			rc = 0;
		} else if (rc == 1) {
			rc = 0;
			break;
		} else if (rc == 0) {
			break;
		}
	}
	if (rc < 0)
		return rc;
	if (!best)   /* t0 <= mt: the chunk's first sample qualifies */
		return bad_chunk(ss, err, c->kind, c->key, c->ct0, -1, 0, "no sample at t0");
	c->ci = best_i;
	c->in_chunk = true;
	rc = chunk_next(ss, c, out, err);
	c->in_chunk = false;
	return rc;
}

static int v2_next_range(struct sqstore *ss, struct sqcursor *c, struct cman_sample *out,
			 struct cman_error *err)
{
	int rc, step;

	if (!c->range_bound) {
		int64_t start = INT64_MIN;

		/* the chunk that may hold lo, then the chunks starting up to hi */
		sqlite3_bind_int64(ss->chunk_before, 1, c->sid);
		sqlite3_bind_int64(ss->chunk_before, 2, c->lo);
		step = sqlite3_step(ss->chunk_before);
		if (step == SQLITE_ROW && sqlite3_column_type(ss->chunk_before, 0) == SQLITE_INTEGER)
			start = sqlite3_column_int64(ss->chunk_before, 0);
		sqlite3_reset(ss->chunk_before);
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			return db_error(ss, err, "reading chunks");
		sqlite3_bind_int64(c->range, 1, c->sid);
		sqlite3_bind_int64(c->range, 2, start);
		sqlite3_bind_int64(c->range, 3, c->hi);
		c->range_bound = true;
		c->in_chunk = false;
	}
	for (;;) {
		if (!c->in_chunk) {
			step = sqlite3_step(c->range);
			if (step == SQLITE_DONE)
				return 0;
			if (step != SQLITE_ROW)
				return db_error(ss, err, "reading chunks");
			rc = cursor_chunk(ss, c, c->range, err);
			if (rc)
				return rc;
			if (c->any_chunk && c->ct0 <= c->prev_t1)
				return bad_chunk(ss, err, c->kind, c->key, c->ct0, -1, 0,
						 "chunks out of order (overlapping the previous one:"
						 " the file is damaged)");
			c->any_chunk = true;
			c->prev_t1 = c->ct1;
		}
		rc = chunk_next(ss, c, out, err);
		if (rc < 0)
			return rc;
		if (rc == 0 || out->t < c->lo)
			continue;
		return out->t > c->hi ? 0 : 1;
	}
}

static int sq_cursor_next_slow(struct cman_cursor *base, struct cman_sample *out,
			       struct cman_error *err);

/*
 * The common case: a sample of the chunk being read, inside the range (what
 * v2_next_range() and chunk_next() would hand out); the rest in
 * sq_cursor_next_slow(), a tail call (this one saves no registers).
 */
static int sq_cursor_next(struct cman_cursor *base, struct cman_sample *out,
			  struct cman_error *err)
{
	struct sqcursor *c = (struct sqcursor *)base;
	struct sqstore *ss = (struct sqstore *)base->store;

	if (c->in_chunk && c->phase == 1 && c->ci < c->dn &&
	    c->ds[c->ci].t >= c->lo && c->ds[c->ci].t <= c->hi) {
		const struct dsample *d = &c->ds[c->ci];

		if (d->n == UINT32_MAX) {
			c->ci++;
			out->t = d->t;
			out->value = d->v;
			out->is_map = false;
			out->n_markets = 0;
			out->markets = NULL;
			return 1;
		}
		/* a map of the markets of the one before (chunk_next's way) */
		if (same_markets(ss, c, c->ids + d->off, d->n)) {
			const struct idval *ids = c->ids + d->off;
			size_t n = d->n;

			c->ci++;
			if (d->off != c->ents_off) {   /* else ents hold these values */
				for (size_t j = 0; j < n; j++)
					c->ents[c->perm[j]].value = ids[j].v;
				c->ents_sum = cman_store_map_sum(c->ents, n);
				c->ents_off = d->off;
			}
			out->t = d->t;
			out->is_map = true;
			out->n_markets = n;
			out->markets = c->ents;
			out->value = c->ents_sum;
			return 1;
		}
	}
	return sq_cursor_next_slow(base, out, err);
}

static __attribute__((noinline)) int sq_cursor_next_slow(struct cman_cursor *base,
							 struct cman_sample *out,
							 struct cman_error *err)
{
	struct sqcursor *c = (struct sqcursor *)base;
	struct sqstore *ss = (struct sqstore *)base->store;
	int rc;

	if (c->phase == 0) {
		c->phase = 1;
		rc = ss->version == 1 ? v1_next_prior(ss, c, out, err) : v2_next_prior(ss, c, out, err);
		sqlite3_reset(ss->version == 1 ? c->prior : ss->chunk_before);
		if (rc)
			goto out;
	}
	if (c->phase == 1 && !c->range_empty) {
		rc = ss->version == 1 ? v1_next_range(ss, c, out, err) : v2_next_range(ss, c, out, err);
		if (rc)
			goto out;
	}
	rc = 0;
out:
	if (rc <= 0)
		c->phase = 2;
	return rc;
}

static void sq_cursor_close(struct cman_cursor *base)
{
	struct sqcursor *c = (struct sqcursor *)base;
	struct sqstore *ss = (struct sqstore *)base->store;

	sqlite3_reset(c->prior);
	sqlite3_reset(c->prior_m);
	sqlite3_reset(c->range);
	sqlite3_reset(c->range_m);
	c->next_free = ss->free_cursors;
	ss->free_cursors = c;
}

static int series_for_write(struct sqstore *ss, enum cman_metric_kind kind, const char *key,
			    struct sqseries **out, struct cman_error *err)
{
	char name[CMAN_KEY_MAX + 2];
	long len, k;
	size_t idx;
	int rc;

	/* bulk writes come series by series: the last one first */
	if (ss->last_series >= 0 && ss->last_name[0] == (char)('0' + (int)kind) &&
	    strcmp(ss->last_name + 1, key) == 0) {
		*out = &ss->series[ss->last_series];
		return 0;
	}
	len = cman_store_series_name(name, sizeof(name), kind, key);
	if (len < 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: metric key longer than %d bytes: '%.100s...'",
				      ss->base.name, CMAN_KEY_MAX - 1, key);
	k = cman_store_strtab_find(&ss->series_names, name, (size_t)len);
	if (k >= 0) {
		ss->last_series = k;
		memcpy(ss->last_name, name, (size_t)len + 1);
		*out = &ss->series[k];
		return 0;
	}
	rc = prepare(ss, "INSERT INTO series(kind, key) VALUES(?1, ?2)", &ss->ins_series, err);
	if (rc)
		return rc;
	sqlite3_bind_int(ss->ins_series, 1, (int)kind);
	sqlite3_bind_text(ss->ins_series, 2, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(ss->ins_series);
	sqlite3_reset(ss->ins_series);
	if (rc != SQLITE_DONE)
		return db_error(ss, err, "adding a series");
	if (add_series(ss, name, (size_t)len, sqlite3_last_insert_rowid(ss->db), &idx))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
	tail_drop(ss, &ss->series[idx]);
	ss->series[idx].loaded = true;   /* new: no samples yet */
	ss->last_series = (long)idx;
	memcpy(ss->last_name, name, (size_t)len + 1);
	*out = &ss->series[idx];
	return 0;
}

/* Whether markets entry idx is <type, az>. */
static bool market_is(const struct sqstore *ss, size_t idx, const char *type, const char *az)
{
	const char *s = ss->markets.strs[idx];
	size_t tl = strlen(type);

	return tl < ss->markets.lens[idx] && memcmp(s, type, tl + 1) == 0 &&
	       strcmp(s + tl + 1, az) == 0;
}

/* The id of market m, the place-th of a map (bulk writes repeat a map's
 * markets: the market of the same place last time is tried first). */
static int market_id_for_write(struct sqstore *ss, const struct cman_market_value *m,
			       size_t place, int64_t *id, struct cman_error *err)
{
	long *hint = place < MK_HINTS ? &ss->mk_hint[place] : NULL;
	size_t idx;
	int rc;

	if (hint && *hint > 0 && ss->mk[*hint - 1].id != 0 &&
	    market_is(ss, (size_t)(*hint - 1), m->instance_type, m->az)) {
		*id = ss->mk[*hint - 1].id;
		return 0;
	}
	rc = intern_market(ss, m->instance_type, m->az, &idx);

	if (rc == CMAN_EINVAL)
		return cman_error_set(err, CMAN_EINVAL, "%s: market <%.60s, %.60s>: name too long",
				      ss->base.name, m->instance_type, m->az);
	if (rc)
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
	if (ss->mk[idx].id == 0) {
		rc = prepare(ss, "INSERT INTO markets(instance_type, az) VALUES(?1, ?2)",
			     &ss->ins_market, err);
		if (rc)
			return rc;
		sqlite3_bind_text(ss->ins_market, 1, m->instance_type, -1, SQLITE_STATIC);
		sqlite3_bind_text(ss->ins_market, 2, m->az, -1, SQLITE_STATIC);
		rc = sqlite3_step(ss->ins_market);
		sqlite3_reset(ss->ins_market);
		if (rc != SQLITE_DONE)
			return db_error(ss, err, "adding a market");
		if (set_market_id(ss, idx, sqlite3_last_insert_rowid(ss->db)))
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
	}
	*id = ss->mk[idx].id;
	if (hint)
		*hint = (long)idx + 1;
	return 0;
}

/* ---- writing (version 2) ---- */

/* Load se's last chunk as its tail (checked). */
static int load_tail(struct sqstore *ss, struct sqseries *se, enum cman_metric_kind kind,
		     const char *key, struct cman_error *err)
{
	int64_t t0, t1, n;
	const char *why;
	size_t len;
	int rc = prepare(ss, CHUNK_BEFORE_SQL, &ss->chunk_before, err);
	int step;

	if (rc)
		return rc;
	tail_drop(ss, se);
	sqlite3_bind_int64(ss->chunk_before, 1, se->id);
	sqlite3_bind_int64(ss->chunk_before, 2, INT64_MAX);
	step = sqlite3_step(ss->chunk_before);
	if (step == SQLITE_DONE) {
		se->loaded = true;
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = db_error(ss, err, "reading chunks");
		goto out;
	}
	if ((why = chunk_row_why(ss->chunk_before, &t0, &t1, &n)) != NULL) {
		rc = bad_chunk(ss, err, kind, key, sqlite3_column_int64(ss->chunk_before, 0), -1, 0,
			       why);
		goto out;
	}
	len = (size_t)sqlite3_column_bytes(ss->chunk_before, 3);
	if (cman_grow((void **)&se->buf, &se->cap, len + 1, 1)) {
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
		goto out;
	}
	memcpy(se->buf, sqlite3_column_blob(ss->chunk_before, 3), len);
	rc = check_chunk(ss, kind, key, t0, t1, n, se->buf, len, false, err);
	if (rc)
		goto out;
	se->t0 = t0;
	se->t1 = t1;
	se->n = n;
	se->len = len;
	se->in_db = true;
	se->loaded = true;
out:
	sqlite3_reset(ss->chunk_before);
	return rc;
}

/* The value part (tag onward) of sample s at p; ids: its map's market ids. */
static unsigned char *encode_value(unsigned char *p, const struct cman_sample *s,
				   const struct cman_market_value *m, const int64_t *ids)
{
	if (!s->is_map)
		return put_value(p, s->value);
	*p++ = TAG_MAP;
	p = put_varint(p, s->n_markets);
	for (size_t j = 0; j < s->n_markets; j++) {
		p = put_varint(p, (uint64_t)ids[j]);
		p = put_value(p, m[j].value);
	}
	return p;
}

/*
 * Merge a sample older than the series' last one into the chunk covering
 * its time (the last chunk starting at or before it, else the first),
 * after the samples of equal time; split the result when it grew large.
 * The tail is dropped (reloaded on the next write).
 */
static int merge_sample(struct sqstore *ss, struct sqseries *se, enum cman_metric_kind kind,
			const char *key, int64_t t, const unsigned char *val, size_t vlen,
			struct cman_error *err)
{
	sqlite3_stmt *q;
	unsigned char *out = NULL, *p;
	int64_t t0, t1, n;
	const char *why;
	size_t len, at, split, nb;
	int rc, step;

	rc = flush_tail(ss, se, err);
	if (!rc)
		rc = prepare(ss, CHUNK_BEFORE_SQL, &ss->chunk_before, err);
	if (!rc)
		rc = prepare(ss, "SELECT t0, t1, n, data FROM chunks WHERE series_id = ?1"
			     " ORDER BY t0 LIMIT 1", &ss->chunk_first, err);
	if (!rc)
		rc = prepare(ss, "DELETE FROM chunks WHERE series_id = ?1 AND t0 = ?2",
			     &ss->del_chunk, err);
	if (rc)
		return rc;
	tail_drop(ss, se);
	q = ss->chunk_before;
	sqlite3_bind_int64(q, 1, se->id);
	sqlite3_bind_int64(q, 2, t);
	step = sqlite3_step(q);
	if (step == SQLITE_DONE) {
		sqlite3_reset(q);
		q = ss->chunk_first;
		sqlite3_bind_int64(q, 1, se->id);
		step = sqlite3_step(q);
	}
	if (step != SQLITE_ROW) {
		rc = step == SQLITE_DONE ? cman_error_set(err, CMAN_EIO, "%s: %s key '%s': no chunk "
							  "to merge into", ss->base.name,
							  cman_kind_name(kind), key)
					 : db_error(ss, err, "reading chunks");
		goto out;
	}
	if ((why = chunk_row_why(q, &t0, &t1, &n)) != NULL) {
		rc = bad_chunk(ss, err, kind, key, sqlite3_column_int64(q, 0), -1, 0, why);
		goto out;
	}
	len = (size_t)sqlite3_column_bytes(q, 3);
	if (cman_grow((void **)&ss->mbuf, &ss->mbuf_cap, len + 1, 1)) {
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
		goto out;
	}
	memcpy(ss->mbuf, sqlite3_column_blob(q, 3), len);
	sqlite3_reset(q);
	rc = check_chunk(ss, kind, key, t0, t1, n, ss->mbuf, len, true, err);
	if (rc)
		goto out;
	/* the new sample goes after every sample at or before t */
	for (at = 0; at < (size_t)n && ss->spans[at].t <= t; at++)
		;
	memmove(&ss->spans[at + 1], &ss->spans[at], ((size_t)n - at) * sizeof(*ss->spans));
	ss->spans[at] = (struct span){ t, SIZE_MAX, vlen };   /* off SIZE_MAX: val */
	n++;
	out = malloc(len + vlen + 11 * (size_t)n + 16);
	if (!out) {
		rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
		goto out;
	}
	/* split at a change of time near the middle when large */
	split = (size_t)n;
	if (len + vlen > SPLIT_BYTES) {
		for (size_t k = (size_t)n / 2; k < (size_t)n && split == (size_t)n; k++)
			if (ss->spans[k].t != ss->spans[k - 1].t)
				split = k;
		for (size_t k = (size_t)n / 2; k > 0 && split == (size_t)n; k--)
			if (ss->spans[k].t != ss->spans[k - 1].t)
				split = k;
	}
	sqlite3_bind_int64(ss->del_chunk, 1, se->id);
	sqlite3_bind_int64(ss->del_chunk, 2, t0);
	step = sqlite3_step(ss->del_chunk);
	sqlite3_reset(ss->del_chunk);
	if (step != SQLITE_DONE) {
		rc = db_error(ss, err, "writing a chunk");
		goto out;
	}
	for (size_t b = 0; b < (size_t)n && !rc; b = nb) {
		int64_t prev;

		nb = b < split ? split : (size_t)n;
		prev = ss->spans[b].t;
		p = out;
		for (size_t k = b; k < nb; k++) {
			const struct span *sp = &ss->spans[k];

			p = put_varint(p, (uint64_t)(sp->t - prev));
			if (sp->off == SIZE_MAX) {
				memcpy(p, val, vlen);
				p += vlen;
			} else {
				memcpy(p, ss->mbuf + sp->off, sp->end - sp->off);
				p += sp->end - sp->off;
			}
			prev = sp->t;
		}
		rc = put_row(ss, se->id, ss->spans[b].t, ss->spans[nb - 1].t, (int64_t)(nb - b), out,
			     (size_t)(p - out), err);
	}
out:
	sqlite3_reset(ss->chunk_before);
	sqlite3_reset(ss->chunk_first);
	free(out);
	return rc;
}


/* Write s (kind, key) in the version 2 layout. */
static int write_v2(struct sqstore *ss, enum cman_metric_kind kind, const char *key,
		    const struct cman_sample *s, struct cman_error *err)
{
	struct sqseries *se = NULL;
	size_t n = s->is_map ? s->n_markets : 0;
	struct cman_sample cs = *s;
	unsigned char *p;
	int rc;

	if (!cman_time_valid(s->t))
		return cman_error_set(err, CMAN_EINVAL, "%s: %s key '%s': time %lld outside "
				      "1970-01-01T00:00:00Z..9999-12-31T23:59:59Z", ss->base.name,
				      cman_kind_name(kind), key, (long long)s->t);
	if (!s->is_map && !isfinite(s->value))
		return cman_error_set(err, CMAN_EINVAL, "%s: %s key '%s' at %lld: the value is not "
				      "a finite number", ss->base.name, cman_kind_name(kind), key,
				      (long long)s->t);
	if (s->is_map) {
		long dup;

		if ((n > ss->scratch_cap || !ss->scratch) &&
		    cman_grow((void **)&ss->scratch, &ss->scratch_cap, n ? n : 1, sizeof(*ss->scratch)))
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
		if ((n > ss->scratch_ids_cap || !ss->scratch_ids) &&
		    cman_grow((void **)&ss->scratch_ids, &ss->scratch_ids_cap, n ? n : 1,
			      sizeof(*ss->scratch_ids)))
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
		if (n)
			memcpy(ss->scratch, s->markets, n * sizeof(*ss->scratch));
		dup = cman_store_sort_markets(ss->scratch, n);
		if (dup >= 0)
			return cman_error_set(err, CMAN_EINVAL, "%s: %s key '%s' at %lld: duplicate market <%s, %s>",
					      ss->base.name, cman_kind_name(kind), key, (long long)s->t,
					      ss->scratch[dup].instance_type, ss->scratch[dup].az);
		for (size_t j = 0; j < n; j++) {
			if (!isfinite(ss->scratch[j].value))
				return cman_error_set(err, CMAN_EINVAL, "%s: %s key '%s' at %lld: market "
						      "<%s, %s>: the value is not a finite number",
						      ss->base.name, cman_kind_name(kind), key,
						      (long long)s->t, ss->scratch[j].instance_type,
						      ss->scratch[j].az);
			rc = market_id_for_write(ss, &ss->scratch[j], j, &ss->scratch_ids[j], err);
			if (rc)
				return rc;
		}
		cs.markets = ss->scratch;
	}
	rc = series_for_write(ss, kind, key, &se, err);
	if (rc)
		return rc;
	if (!se->loaded && (rc = load_tail(ss, se, kind, key, err)) != 0)
		return rc;
	if (se->n > 0 && s->t < se->t1) {
		unsigned char val[SAMPLE_MAX(0)], *v = n > 0 ? malloc(SAMPLE_MAX(n)) : val;

		if (!v)
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
		p = encode_value(v, &cs, ss->scratch, ss->scratch_ids);
		rc = merge_sample(ss, se, kind, key, s->t, v, (size_t)(p - v), err);
		if (v != val)
			free(v);
		return rc;
	}
	if (se->n > 0 && s->t > se->t1 && se->len >= CHUNK_BYTES) {
		rc = flush_tail(ss, se, err);
		if (rc)
			return rc;
		se->n = 0;
		se->len = 0;
		se->in_db = false;
	}
	if (se->len + SAMPLE_MAX(n) > se->cap &&
	    cman_grow((void **)&se->buf, &se->cap, se->len + SAMPLE_MAX(n), 1))
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", ss->base.name);
	if (se->n == 0)
		se->t0 = se->t1 = s->t;
	p = put_varint(se->buf + se->len, (uint64_t)(s->t - se->t1));
	p = encode_value(p, &cs, ss->scratch, ss->scratch_ids);
	se->len = (size_t)(p - se->buf);
	se->t1 = s->t;
	se->n++;
	if (!se->dirty) {
		se->dirty = true;
		ss->n_dirty++;
	}
	return ss->in_tx ? 0 : flush_tail(ss, se, err);
}

static int sq_write(struct cman_store *st, enum cman_metric_kind kind,
		    const char *key, const struct cman_sample *s,
		    struct cman_error *err)
{
	struct sqstore *ss = (struct sqstore *)st;
	int rc;

	if (!ss->in_tx && (rc = read_tx_end(ss, err)))
		return rc;
	if (ss->version != SCHEMA_VERSION)   /* opened for reading only */
		return cman_error_set(err, CMAN_EINVAL, "%s: a schema version %d store is read as "
				      "it is; open it for writing to convert it", st->name,
				      ss->version);
	return write_v2(ss, kind, key, s, err);
}

/* ---- transactions ---- */

static int sq_begin(struct cman_store *st, struct cman_error *err)
{
	struct sqstore *ss = (struct sqstore *)st;
	int rc;

	if (ss->in_tx)
		return cman_error_set(err, CMAN_EINVAL, "%s: a transaction is already open", st->name);
	rc = read_tx_end(ss, err);
	if (!rc)
		rc = exec(ss, "BEGIN IMMEDIATE", err);
	if (!rc)
		ss->in_tx = true;
	return rc;
}

static int sq_commit(struct cman_store *st, struct cman_error *err)
{
	struct sqstore *ss = (struct sqstore *)st;
	int rc;

	if (!ss->in_tx)
		return 0;
	rc = flush_all(ss, err);
	if (!rc)
		rc = exec(ss, "COMMIT", err);
	if (!rc)
		ss->in_tx = false;
	return rc;
}

static void sq_rollback(struct cman_store *st)
{
	struct sqstore *ss = (struct sqstore *)st;

	if (!ss->in_tx)
		return;
	for (struct sqcursor *c = ss->all_cursors; c; c = c->next_all) {
		c->phase = 2;   /* a cursor open across a rollback yields no more */
		c->in_chunk = false;
		sqlite3_reset(c->prior);
		sqlite3_reset(c->prior_m);
		sqlite3_reset(c->range);
		sqlite3_reset(c->range_m);
	}
	exec(ss, "ROLLBACK", NULL);
	ss->in_tx = false;
	/* the mirror may name rows that no longer exist: reload it (drops the tails) */
	load_series(ss, NULL);
	load_markets(ss, NULL);
}

/*
 * Convert a version 1 store to version 2 in place, in one transaction:
 * every series read by the version 1 cursor and written as chunks, then
 * the old tables dropped.  On failure the store is left as it was.
 */
static int migrate_v1(struct sqstore *ss, struct cman_error *err)
{
	int rc = sq_begin(&ss->base, err);

	if (rc)
		return rc;
	rc = exec(ss, strstr(schema_sql, "CREATE TABLE chunks"), err);
	for (size_t i = 0; i < ss->series_names.n && !rc; i++) {
		const char *name = ss->series_names.strs[i];
		enum cman_metric_kind kind = (enum cman_metric_kind)(name[0] - '0');
		struct cman_cursor *cur = NULL;
		struct cman_sample s;

		ss->version = 1;
		rc = sq_open_cursor(&ss->base, kind, name + 1, INT64_MIN, INT64_MAX, 0, &cur, err);
		while (!rc && (rc = sq_cursor_next(cur, &s, err)) == 1)
			rc = write_v2(ss, kind, name + 1, &s, err);
		if (cur)
			sq_cursor_close(cur);
		if (rc > 0)
			rc = 0;
	}
	ss->version = 1;
	if (!rc)
		rc = flush_all(ss, err);
	cursors_destroy(ss);
	if (!rc)
		rc = exec(ss, "DROP TABLE market_samples; DROP TABLE samples;"
			  " UPDATE meta SET value = '2' WHERE key = 'schema_version'", err);
	if (!rc)
		rc = sq_commit(&ss->base, err);
	if (rc) {
		sq_rollback(&ss->base);
		cman_error_prefix(err, "%s: converting schema version 1 to %d", ss->base.name,
				  SCHEMA_VERSION);
		return rc;
	}
	ss->version = SCHEMA_VERSION;
	return 0;
}

/* ---- pool state items (LIVE-SPEC §7.1) ----
 *
 * One table beside the metrics, made on the first put (so opening a store
 * never changes its file, and a metrics database without state stays as it
 * was):
 *   CREATE TABLE cluster_state(state TEXT NOT NULL, entity TEXT NOT NULL,
 *       timestamp INTEGER NOT NULL, expiration_timestamp INTEGER,
 *       capacity_offset REAL, PRIMARY KEY(state, entity)) WITHOUT ROWID;
 * and, on the first put of a drain state (CMAN_STATE_DRAINING), a column
 *   text TEXT (ALTER TABLE ... ADD COLUMN), the machines as JSON;
 * State calls run in SQLite's autocommit mode, outside the shared read
 * transaction (which they end first), so a read sees what another process
 * wrote and a write is on disk when it returns.  Inside begin/commit they
 * are refused: a pause must never wait for a bulk import's commit.
 */

static const char state_table_sql[] =
	"CREATE TABLE IF NOT EXISTS cluster_state(state TEXT NOT NULL, entity TEXT NOT NULL,"
	" timestamp INTEGER NOT NULL, expiration_timestamp INTEGER, capacity_offset REAL,"
	" PRIMARY KEY(state, entity)) WITHOUT ROWID";

static int state_ready(struct sqstore *ss, struct cman_error *err)
{
	if (ss->in_tx)
		return cman_error_set(err, CMAN_EINVAL, "%s: pool state cannot be read or written "
				      "inside a transaction", ss->base.name);
	return read_tx_end(ss, err);
}

/* Whether the state table has the column `text` (added for the drain state
 * by ALTER TABLE on the first put of one): 1, 0, or an error. */
static int state_has_text(struct sqstore *ss, struct cman_error *err)
{
	sqlite3_stmt *q = NULL;
	int step, found = 0;

	if (sqlite3_prepare_v2(ss->db, "SELECT name FROM pragma_table_info('cluster_state')",
			       -1, &q, NULL) != SQLITE_OK)
		return db_error(ss, err, "reading the schema");
	while ((step = sqlite3_step(q)) == SQLITE_ROW)
		if (!found && sqlite3_column_text(q, 0) &&
		    !strcmp((const char *)sqlite3_column_text(q, 0), "text"))
			found = 1;
	sqlite3_finalize(q);
	if (step != SQLITE_DONE)
		return db_error(ss, err, "reading the schema");
	return found;
}

/* Whether the state table exists (1), not (0), or an error. */
static int state_table_exists(struct sqstore *ss, struct cman_error *err)
{
	sqlite3_stmt *q = NULL;
	int step;

	if (sqlite3_prepare_v2(ss->db, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
			       " AND name = 'cluster_state'", -1, &q, NULL) != SQLITE_OK)
		return db_error(ss, err, "reading the schema");
	step = sqlite3_step(q);
	sqlite3_finalize(q);
	if (step == SQLITE_ROW)
		return 1;
	if (step == SQLITE_DONE)
		return 0;
	return db_error(ss, err, "reading the schema");
}

static int sq_state_get(struct cman_store *st, enum cman_state_kind kind, const char *entity,
			struct cman_state_item *out, struct cman_error *err)
{
	struct sqstore *ss = (struct sqstore *)st;
	sqlite3_stmt *q = NULL;
	int rc, step;

	if ((rc = state_ready(ss, err)) != 0 || (rc = state_table_exists(ss, err)) <= 0)
		return rc;
	/* a table without the text column holds no drain state */
	if (kind == CMAN_STATE_DRAINING && (rc = state_has_text(ss, err)) <= 0)
		return rc;
	if (sqlite3_prepare_v2(ss->db, kind == CMAN_STATE_DRAINING
			       ? "SELECT timestamp, expiration_timestamp, capacity_offset, text FROM"
				 " cluster_state WHERE state = ?1 AND entity = ?2"
			       : "SELECT timestamp, expiration_timestamp, capacity_offset FROM"
				 " cluster_state WHERE state = ?1 AND entity = ?2", -1, &q,
			       NULL) != SQLITE_OK)
		return db_error(ss, err, "reading pool state");
	sqlite3_bind_text(q, 1, cman_state_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, entity, -1, SQLITE_STATIC);
	rc = 0;
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		int te = sqlite3_column_type(q, 1), to = sqlite3_column_type(q, 2);

		if (sqlite3_column_type(q, 0) != SQLITE_INTEGER ||
		    (te != SQLITE_NULL && te != SQLITE_INTEGER) ||
		    (to != SQLITE_NULL && to != SQLITE_INTEGER && to != SQLITE_FLOAT) ||
		    (kind == CMAN_STATE_CAPACITY_OFFSET && to == SQLITE_NULL) ||
		    (kind == CMAN_STATE_DRAINING && sqlite3_column_type(q, 3) != SQLITE_TEXT)) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: corrupt pool state: table "
					    "cluster_state, row (%s, %s): a value of the wrong type",
					    st->name, cman_state_name(kind), entity);
		} else {
			out->timestamp = sqlite3_column_int64(q, 0);
			out->expires = te == SQLITE_INTEGER;
			out->expiration = out->expires ? sqlite3_column_int64(q, 1) : 0;
			out->offset = to == SQLITE_NULL ? 0 : sqlite3_column_double(q, 2);
			rc = 1;
			if (kind == CMAN_STATE_DRAINING &&
			    !(out->text = strdup((const char *)sqlite3_column_text(q, 3))))
				rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", st->name);
		}
	} else if (step != SQLITE_DONE) {
		rc = db_error(ss, err, "reading pool state");
	}
	sqlite3_finalize(q);
	return rc;
}

static int sq_state_put(struct cman_store *st, enum cman_state_kind kind, const char *entity,
			const struct cman_state_item *item, struct cman_error *err)
{
	struct sqstore *ss = (struct sqstore *)st;
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = state_ready(ss, err)) != 0 || (rc = exec(ss, state_table_sql, err)) != 0)
		return rc;
	if (kind == CMAN_STATE_DRAINING) {
		if ((rc = state_has_text(ss, err)) < 0)
			return rc;
		if (rc == 0 &&
		    (rc = exec(ss, "ALTER TABLE cluster_state ADD COLUMN text TEXT", err)) != 0)
			return rc;
		rc = 0;
	}
	if (sqlite3_prepare_v2(ss->db, kind == CMAN_STATE_DRAINING
			       ? "INSERT OR REPLACE INTO cluster_state(state, entity, timestamp,"
				 " expiration_timestamp, capacity_offset, text) VALUES"
				 " (?1, ?2, ?3, ?4, ?5, ?6)"
			       : "INSERT OR REPLACE INTO cluster_state(state, entity, timestamp,"
				 " expiration_timestamp, capacity_offset) VALUES"
				 " (?1, ?2, ?3, ?4, ?5)", -1, &q, NULL) != SQLITE_OK)
		return db_error(ss, err, "writing pool state");
	if (kind == CMAN_STATE_DRAINING)
		sqlite3_bind_text(q, 6, item->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 1, cman_state_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, item->timestamp);
	if (item->expires)
		sqlite3_bind_int64(q, 4, item->expiration);
	else
		sqlite3_bind_null(q, 4);
	if (kind == CMAN_STATE_CAPACITY_OFFSET)
		sqlite3_bind_double(q, 5, item->offset);
	else
		sqlite3_bind_null(q, 5);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_error(ss, err, "writing pool state");
	sqlite3_finalize(q);
	return rc;
}

static int sq_state_delete(struct cman_store *st, enum cman_state_kind kind,
			   const char *entity, struct cman_error *err)
{
	struct sqstore *ss = (struct sqstore *)st;
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = state_ready(ss, err)) != 0 || (rc = state_table_exists(ss, err)) <= 0)
		return rc;
	if (sqlite3_prepare_v2(ss->db, "DELETE FROM cluster_state WHERE state = ?1 AND"
			       " entity = ?2", -1, &q, NULL) != SQLITE_OK)
		return db_error(ss, err, "deleting pool state");
	sqlite3_bind_text(q, 1, cman_state_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, entity, -1, SQLITE_STATIC);
	rc = 0;
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = db_error(ss, err, "deleting pool state");
	sqlite3_finalize(q);
	return rc;
}

/* ---- open / free ---- */

static void sq_free(struct cman_store *st)
{
	struct sqstore *ss = (struct sqstore *)st;

	if (ss->in_tx)
		sq_rollback(st);
	read_tx_end(ss, NULL);
	(void)check_join(ss, NULL);
	free(ss->check);
	cursors_destroy(ss);
	sqlite3_finalize(ss->ins_series);
	sqlite3_finalize(ss->ins_market);
	sqlite3_finalize(ss->put_chunk);
	sqlite3_finalize(ss->del_chunk);
	sqlite3_finalize(ss->chunk_before);
	sqlite3_finalize(ss->chunk_first);
	sqlite3_close(ss->db);
	for (size_t i = 0; i < ss->series_cap; i++)
		free(ss->series[i].buf);
	cman_store_strtab_release(&ss->series_names);
	cman_store_strtab_release(&ss->markets);
	free(ss->series);
	free(ss->mk);
	free(ss->by_id);
	free(ss->scratch);
	free(ss->scratch_ids);
	free(ss->dec);
	free(ss->mbuf);
	free(ss->spans);
	free(ss);
}

static const struct cman_store_ops sqlite_ops = {
	.name = "sqlite",
	.keys = sq_keys,
	.open_cursor = sq_open_cursor,
	.cursor_next = sq_cursor_next,
	.cursor_close = sq_cursor_close,
	.write = sq_write,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.free = sq_free,
	.state_get = sq_state_get,
	.state_put = sq_state_put,
	.state_delete = sq_state_delete,
};

static uint32_t be(const unsigned char *p, int n)
{
	uint32_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Cheap checks of an existing, non-empty file before SQLite opens it: the
 * SQLite header, a page size SQLite can have, and a file size that is a
 * whole number of pages and (when the header's page count is current and no
 * journal or WAL may change it) the size the header says.  A truncated or
 * overwritten file fails here with a message saying what is wrong.
 */
static int check_header(const char *path, int64_t size, struct cman_error *err)
{
	unsigned char h[100];
	char side[4200];
	struct stat sb;
	uint32_t page, pages;
	FILE *f;
	int rc = 0;

	if (size < (int64_t)sizeof(h))
		return cman_error_set(err, CMAN_EINVAL, "%s: not a clusterman metrics database "
				      "(%lld bytes: too short for an SQLite header)", path,
				      (long long)size);
	if (!(f = fopen(path, "rb")))
		return cman_error_set(err, CMAN_EINVAL, "%s: cannot open: %s", path, strerror(errno));
	if (fread(h, 1, sizeof(h), f) != sizeof(h))
		rc = cman_error_set(err, CMAN_EINVAL, "%s: cannot read the header", path);
	fclose(f);
	if (rc)
		return rc;
	if (memcmp(h, "SQLite format 3", 16) != 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: not a clusterman metrics database "
				      "(no SQLite header)", path);
	page = be(h + 16, 2);
	if (page == 1)
		page = 65536;
	if (page < 512 || (page & (page - 1)))
		return cman_error_set(err, CMAN_EINVAL, "%s: corrupt metrics database (page size "
				      "%u in the header)", path, page);
	if (size % page)
		return cman_error_set(err, CMAN_EINVAL, "%s: corrupt metrics database (%lld bytes "
				      "is not a whole number of %u-byte pages: truncated?)", path,
				      (long long)size, page);
	pages = be(h + 28, 4);
	snprintf(side, sizeof(side), "%s-journal", path);
	if (stat(side, &sb) == 0)
		return 0;
	snprintf(side, sizeof(side), "%s-wal", path);
	if (stat(side, &sb) == 0)
		return 0;
	if (pages && be(h + 24, 4) == be(h + 92, 4) && (int64_t)pages * page != size)
		return cman_error_set(err, CMAN_EINVAL, "%s: corrupt metrics database (the header "
				      "says %u pages of %u bytes, the file has %lld bytes: "
				      "truncated?)", path, pages, page, (long long)size);
	return 0;
}

static int check_tables(struct sqstore *ss, struct cman_error *err)
{
	const char *p = ss->version == 1 ? schema_v1_sql : schema_sql;
	sqlite3_stmt *q = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(ss->db, "SELECT sql FROM sqlite_master WHERE type = 'table'"
			       " AND name = ?1", -1, &q, NULL) != SQLITE_OK)
		return db_error(ss, err, "reading the schema");
	while ((p = strstr(p, "CREATE TABLE "))) {
		const char *name = p + 13, *paren = strchr(name, '('), *end = strchr(p, ';');
		const char *sql;

		sqlite3_bind_text(q, 1, name, (int)(paren - name), SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_ROW ||
		    !(sql = (const char *)sqlite3_column_text(q, 0)) ||
		    strlen(sql) != (size_t)(end - p) || memcmp(sql, p, (size_t)(end - p)) != 0) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: not a clusterman metrics database "
					    "(table %.*s is missing or differs from schema version %d)",
					    ss->base.name, (int)(paren - name), name, ss->version);
			break;
		}
		sqlite3_reset(q);
		p = end;
	}
	sqlite3_finalize(q);
	return rc;
}

/*
 * PRAGMA quick_check (b-tree structure, record formats, NOT NULL), then one
 * pass over the samples for values of the wrong type (SQLite's type affinity
 * lets text into an INTEGER column, and a text time would sort after every
 * number: invisible to time-range reads, never silently dropped here).
 */
static int quick_check(struct sqstore *ss, struct cman_error *err)
{
	static const char *const typed[2] = {
		"SELECT s.kind, s.key, x.t, x.seq FROM samples x LEFT JOIN series s"
		" ON s.id = x.series_id WHERE typeof(x.t) != 'integer'"
		" OR typeof(x.seq) != 'integer' OR typeof(x.is_map) != 'integer'"
		" OR typeof(x.value) NOT IN ('integer', 'real') LIMIT 1",
		"SELECT s.kind, s.key, x.t, x.seq FROM market_samples x LEFT JOIN series s"
		" ON s.id = x.series_id WHERE typeof(x.t) != 'integer'"
		" OR typeof(x.seq) != 'integer' OR typeof(x.market_id) != 'integer'"
		" OR typeof(x.value) NOT IN ('integer', 'real') LIMIT 1",
	};
	static const char chunks_typed[] =
		"SELECT s.kind, s.key, x.t0 FROM chunks x LEFT JOIN series s"
		" ON s.id = x.series_id WHERE typeof(x.t0) != 'integer'"
		" OR typeof(x.t1) != 'integer' OR typeof(x.n) != 'integer'"
		" OR typeof(x.data) != 'blob' LIMIT 1";
	static const char *const table[2] = { "samples", "market_samples" };
	sqlite3_stmt *q = NULL;
	const char *msg;
	int rc = 0, step;

	if (sqlite3_prepare_v2(ss->db, "PRAGMA quick_check(1)", -1, &q, NULL) != SQLITE_OK)
		return db_error(ss, err, "checking integrity");
	step = sqlite3_step(q);
	if (step != SQLITE_ROW)
		rc = db_error(ss, err, "checking integrity");
	else if ((msg = (const char *)sqlite3_column_text(q, 0)) && strcmp(msg, "ok") != 0)
		rc = cman_error_set(err, CMAN_EINVAL, "%s: corrupt metrics database (SQLite "
				    "quick_check: %s)", ss->base.name, msg);
	sqlite3_finalize(q);
	for (int i = 0; i < (ss->version == 1 ? 2 : 1) && !rc; i++) {
		q = NULL;
		if (sqlite3_prepare_v2(ss->db, ss->version == 1 ? typed[i] : chunks_typed, -1, &q,
				       NULL) != SQLITE_OK)
			return db_error(ss, err, "checking integrity");
		step = sqlite3_step(q);
		if (step == SQLITE_ROW) {
			const char *key = (const char *)sqlite3_column_text(q, 1);
			const char *t = (const char *)sqlite3_column_text(q, 2);
			const char *seq = (const char *)sqlite3_column_text(q, 3);
			int kind = sqlite3_column_int(q, 0);
			char tt[64];

			snprintf(tt, sizeof(tt), "%s", t ? t : "NULL");
			if (ss->version != 1)
				rc = cman_error_set(err, CMAN_EINVAL, "%s: corrupt metrics database: "
						    "table chunks, %s key '%s', chunk t0=%s: a value "
						    "of the wrong type (expected integers t0, t1, n "
						    "and a blob)", ss->base.name,
						    kind >= 0 && kind < CMAN_KIND_COUNT ?
						    cman_kind_name((enum cman_metric_kind)kind) :
						    "unknown", key ? key : "?", tt);
			else
			rc = cman_error_set(err, CMAN_EINVAL, "%s: corrupt metrics database: table "
					    "%s, %s key '%s', row t=%s seq=%s: a value of the wrong "
					    "type (expected integers and a number)", ss->base.name,
					    table[i], kind >= 0 && kind < CMAN_KIND_COUNT ?
					    cman_kind_name((enum cman_metric_kind)kind) : "unknown",
					    key ? key : "?", tt, seq ? seq : "NULL");
		} else if (step != SQLITE_DONE) {
			rc = db_error(ss, err, "checking integrity");
		}
		sqlite3_finalize(q);
	}
	return rc;
}

/*
 * The checks of quick_check() on a thread of their own, with a connection of
 * their own (read-only), while the opener goes on reading: the file is read
 * twice at the same time instead of once before the rest.
 */
struct sqcheck {
	pthread_t thread;
	bool joined;
	int rc;
	struct cman_error err;
	struct sqstore ss;       /* name, version and db of the check's connection */
};

static void *check_main(void *arg)
{
	struct sqcheck *k = arg;

	if (sqlite3_open_v2(k->ss.base.name, &k->ss.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		k->rc = cman_error_set(&k->err, CMAN_EINVAL, "%s: cannot open metrics database: %s",
				       k->ss.base.name,
				       k->ss.db ? sqlite3_errmsg(k->ss.db) : "out of memory");
	} else {
		/* a writer's lock is waited for as the opener's connection
		 * waits for it (the check inside the open ran under the
		 * opener's own read lock, and never met one) */
		sqlite3_busy_timeout(k->ss.db, BUSY_TIMEOUT_MS);
		k->rc = exec(&k->ss, "PRAGMA mmap_size = 1073741824", &k->err);
	}
	if (!k->rc)
		k->rc = quick_check(&k->ss, &k->err);
	sqlite3_close(k->ss.db);
	k->ss.db = NULL;
	return NULL;
}

/* Start the checks of ss on a thread; 0, or nonzero (run them here). */
static int check_start(struct sqstore *ss)
{
	struct sqcheck *k;

	if (!sqlite3_threadsafe())
		return -1;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -1;
	memcpy(k->ss.base.name, ss->base.name, sizeof(k->ss.base.name));
	k->ss.version = ss->version;
	if (cman_thread_start(&k->thread, 0, check_main, k) != 0) {
		free(k);
		return -1;
	}
	ss->check = k;
	return 0;
}

/* Wait for ss's check thread (if any); its result, the error into err. */
static int check_join(struct sqstore *ss, struct cman_error *err)
{
	struct sqcheck *k = ss->check;

	if (!k)
		return 0;
	if (!k->joined) {
		pthread_join(k->thread, NULL);
		k->joined = true;
	}
	if (k->rc && err)
		*err = k->err;
	return k->rc;
}

int cman_store_sqlite_check_wait(struct cman_store *st, struct cman_error *err)
{
	if (!st || st->ops != &sqlite_ops)
		return 0;
	return check_join((struct sqstore *)st, err);
}

/* Check (or, when empty and create, lay down) the schema. */
static int check_schema(struct sqstore *ss, bool create, struct cman_error *err)
{
	const char *path = ss->base.name;
	sqlite3_stmt *q = NULL;
	int rc = 0, n_tables, step;

	if (sqlite3_prepare_v2(ss->db, "SELECT count(*) FROM sqlite_master", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		int ec = sqlite3_errcode(ss->db);

		if (ec == SQLITE_NOTADB || ec == SQLITE_CORRUPT)
			rc = cman_error_set(err, CMAN_EINVAL, "%s: not a clusterman metrics database",
					    path);
		else
			rc = db_error(ss, err, "reading the schema");
		goto out;
	}
	n_tables = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	if (n_tables == 0) {
		if (!create) {
			rc = cman_error_set(err, CMAN_EINVAL,
					    "%s: not a clusterman metrics database (empty database)", path);
			goto out;
		}
		ss->version = SCHEMA_VERSION;
		rc = read_tx_end(ss, err);
		if (!rc)
			rc = exec(ss, "PRAGMA page_size = 16384; BEGIN", err);
		if (!rc)
			rc = exec(ss, schema_sql, err);
		if (!rc)
			rc = exec(ss, "COMMIT", err);
		else
			exec(ss, "ROLLBACK", NULL);
		goto out;
	}
	if (sqlite3_prepare_v2(ss->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1,
			       &q, NULL) != SQLITE_OK) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "%s: not a clusterman metrics database (no meta table)", path);
		goto out;
	}
	step = sqlite3_step(q);
	if (step != SQLITE_ROW) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "%s: not a clusterman metrics database (no schema version)", path);
		goto out;
	}
	ss->version = sqlite3_column_int(q, 0);
	if (ss->version != SCHEMA_VERSION && ss->version != 1) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "%s: metrics database schema version %s is not supported (expected 1 "
				    "or %d)", path, (const char *)sqlite3_column_text(q, 0), SCHEMA_VERSION);
		goto out;
	}
	rc = check_tables(ss, err);
out:
	sqlite3_finalize(q);
	return rc;
}

static int sqlite_open(const char *path, bool create, bool check_beside,
		       struct cman_store **out, struct cman_error *err);

int cman_store_sqlite_open(const char *path, bool create,
			   struct cman_store **out, struct cman_error *err)
{
	return sqlite_open(path, create, false, out, err);
}

int cman_store_sqlite_open_checking(const char *path, struct cman_store **out,
				    struct cman_error *err)
{
	return sqlite_open(path, false, true, out, err);
}

static int sqlite_open(const char *path, bool create, bool check_beside,
		       struct cman_store **out, struct cman_error *err)
{
	struct sqstore *ss = NULL;
	struct stat sb;
	int rc = 0, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int64_t size = -1;

	*out = NULL;
	if (stat(path, &sb) != 0) {
		if (errno != ENOENT)
			return cman_error_set(err, CMAN_EINVAL, "%s: cannot open: %s", path, strerror(errno));
		if (!create)
			return cman_error_set(err, CMAN_EINVAL, "%s: no such metrics database", path);
		flags |= SQLITE_OPEN_CREATE;
	} else if (S_ISDIR(sb.st_mode)) {
		return cman_error_set(err, CMAN_EINVAL, "%s: not a clusterman metrics database (a directory)",
				      path);
	} else if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
		size = (int64_t)sb.st_size;
		if ((rc = check_header(path, size, err)) != 0)
			return rc;
	}
	ss = calloc(1, sizeof(*ss));
	if (!ss)
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
	ss->base.ops = &sqlite_ops;
	snprintf(ss->base.name, sizeof(ss->base.name), "%s", path);
	ss->last_series = -1;
	cman_store_strtab_init(&ss->series_names);
	cman_store_strtab_init(&ss->markets);
	if (sqlite3_open_v2(path, &ss->db, flags, NULL) != SQLITE_OK) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: cannot open metrics database: %s", path,
				    ss->db ? sqlite3_errmsg(ss->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(ss->db, BUSY_TIMEOUT_MS);
	rc = exec(ss, "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;"
		  " PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 1073741824", err);
	if (rc)
		goto out;
	/* the checks and loads below read in one transaction: each statement
	 * on its own took and dropped SQLite's locks (nine system calls) */
	read_tx_start(ss);
	rc = check_schema(ss, create, err);
	if (!rc && size > 0 && size <= QUICK_CHECK_MAX &&
	    !(check_beside && ss->version == SCHEMA_VERSION && check_start(ss) == 0))
		rc = quick_check(ss, err);
	if (rc)
		goto out;
	rc = load_series(ss, err);
	if (!rc)
		rc = load_markets(ss, err);
	if (!rc && create && ss->version == 1)
		rc = migrate_v1(ss, err);
out:
	/* a failure the check would have found first: the check's message */
	if (rc && ss && check_join(ss, err))
		rc = ss->check->rc;
	if (rc) {
		sq_free(&ss->base);
		return rc;
	}
	*out = &ss->base;
	return 0;
}

int cman_store_sqlite_temp(const char *name, struct cman_store **out, struct cman_error *err)
{
	struct sqstore *ss = calloc(1, sizeof(*ss));
	int rc;

	*out = NULL;
	if (!ss)
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", name);
	ss->base.ops = &sqlite_ops;
	snprintf(ss->base.name, sizeof(ss->base.name), "%s", name);
	ss->last_series = -1;
	cman_store_strtab_init(&ss->series_names);
	cman_store_strtab_init(&ss->markets);
	/* "": a private database in a temporary file, deleted on close */
	if (sqlite3_open_v2("", &ss->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = cman_error_set(err, CMAN_EIO, "%s: cannot open a temporary store: %s", name,
				    ss->db ? sqlite3_errmsg(ss->db) : "out of memory");
		goto out;
	}
	rc = check_schema(ss, true, err);
	if (!rc)
		rc = exec(ss, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
			  " PRAGMA cache_size = -16384", err);
out:
	if (rc) {
		sq_free(&ss->base);
		return rc;
	}
	*out = &ss->base;
	return 0;
}
