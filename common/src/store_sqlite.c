/*
 * store_sqlite.c - the embedded metrics store, an SQLite database.
 *
 * Schema (version 1):
 *
 *   CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
 *       -- ('format', 'clusterman-metrics'), ('schema_version', '1')
 *   CREATE TABLE series(id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,
 *                       key TEXT NOT NULL, UNIQUE(kind, key));
 *       -- kind: 0 system_metrics, 1 app_metrics, 2 metadata
 *   CREATE TABLE markets(id INTEGER PRIMARY KEY, instance_type TEXT NOT NULL,
 *                        az TEXT NOT NULL, UNIQUE(instance_type, az));
 *   CREATE TABLE samples(series_id INTEGER NOT NULL, t INTEGER NOT NULL,
 *                        seq INTEGER NOT NULL, value REAL NOT NULL,
 *                        is_map INTEGER NOT NULL DEFAULT 0,
 *                        PRIMARY KEY(series_id, t, seq)) WITHOUT ROWID;
 *   CREATE TABLE market_samples(series_id INTEGER NOT NULL, t INTEGER NOT NULL,
 *                        seq INTEGER NOT NULL, market_id INTEGER NOT NULL,
 *                        value REAL NOT NULL,
 *                        PRIMARY KEY(series_id, t, seq, market_id)) WITHOUT ROWID;
 *
 * Every sample has a row in samples: t is epoch seconds, seq numbers the
 * samples of one series written at the same t (0, 1, ...) so that equal
 * times come back in write order; for a market map, value is the sum of
 * its entries, is_map is 1 and each entry is a row of market_samples (an
 * empty map has none).
 *
 * Reading: a cursor steps prepared statements lazily over the primary key
 * (no series is ever loaded whole); for maps a second statement over
 * market_samples, ordered the same way, is walked in lockstep.  Closed
 * cursors keep their statements in a free list for the next open.  The
 * series and markets tables are small and are mirrored in memory at open;
 * market names are interned there for the store's lifetime, so the strings
 * of a cman_market_value stay valid until the store is freed.  Map entries
 * come out sorted by (instance type, az), as from every backend.
 *
 * Writing uses cached prepared statements; begin/commit/rollback map to an
 * SQLite transaction (a rollback also reloads the in-memory mirror).  Reads
 * outside begin/commit share one read transaction that stays open until the
 * next write (so other processes cannot commit to the file meanwhile).  The
 * store assumes it is the only writer while it is open.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "cman/grow.h"
#include "cman/store.h"
#include "cman/time.h"
#include "store_int.h"

#define SCHEMA_VERSION 1
#define QUICK_CHECK_MAX ((int64_t)256 << 20)   /* bytes: PRAGMA quick_check up to this */

static const char schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"INSERT INTO meta VALUES('format', 'clusterman-metrics'), ('schema_version', '1');"
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

/* Write state of one series, loaded on its first write. */
struct sqseries {
	int64_t id;
	bool loaded;     /* max_t/max_seq known */
	bool any;        /* the series has samples */
	int64_t max_t, max_seq;
};

struct sqmarket {
	int64_t id;      /* 0 when not (or no longer) in the database */
};

struct sqcursor;

struct sqstore {
	struct cman_store base;
	sqlite3 *db;
	bool in_tx;      /* a write transaction from begin() */
	bool read_tx;    /* a read transaction opened by a read */
	struct cman_store_strtab series_names;  /* "<kind byte><key>" */
	struct sqseries *series;
	size_t series_cap;
	struct cman_store_strtab markets;       /* "type\0az", never shrinks */
	struct sqmarket *mk;
	size_t mk_cap;
	long *by_id;                            /* market id -> markets index, -1 */
	size_t by_id_cap;
	sqlite3_stmt *ins_sample, *ins_msample, *ins_series, *ins_market;
	sqlite3_stmt *last_sample, *max_seq_at;
	struct cman_market_value *scratch;
	size_t scratch_cap;
	int64_t *scratch_ids;
	size_t scratch_ids_cap;
	struct sqcursor *free_cursors;
	struct sqcursor *all_cursors;
};

struct sqcursor {
	struct cman_cursor base;
	struct sqcursor *next_free, *next_all;
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
};

/* A failed SQLite call; a damaged file is an input error (exit 2). */
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

static int add_series(struct sqstore *ss, const char *name, size_t len, int64_t id,
		      size_t *idx)
{
	int added;

	if (cman_store_strtab_add(&ss->series_names, name, len, idx, &added))
		return CMAN_ENOMEM;
	if (added) {
		if (cman_grow((void **)&ss->series, &ss->series_cap, *idx + 1, sizeof(*ss->series)))
			return CMAN_ENOMEM;
		memset(&ss->series[*idx], 0, sizeof(ss->series[*idx]));
	}
	ss->series[*idx].id = id;
	return 0;
}

static int load_series(struct sqstore *ss, struct cman_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

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

/* ---- keys ---- */

static int sq_keys(struct cman_store *st, enum cman_metric_kind kind,
		   const char *prefix, cman_key_cb cb, void *ctx,
		   struct cman_error *err)
{
	struct sqstore *ss = (struct sqstore *)st;
	sqlite3_stmt *q = NULL;
	size_t plen = strlen(prefix);
	int rc = 0, step;

	read_tx_start(ss);
	if (sqlite3_prepare_v2(ss->db,
			       "SELECT key FROM series WHERE kind = ?1 AND key >= ?2 AND"
			       " EXISTS(SELECT 1 FROM samples WHERE series_id = series.id)"
			       " ORDER BY key", -1, &q, NULL) != SQLITE_OK) {
		rc = db_error(ss, err, "listing keys");
		goto out;
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
	sqlite3_finalize(q);
	return rc;
}

/* ---- cursors ---- */

static int cursor_prepare(struct sqstore *ss, struct sqcursor *c, struct cman_error *err)
{
	static const char *const sql[4] = {
		"SELECT t, seq, value, is_map FROM samples WHERE series_id = ?1 AND t <= ?2"
		" ORDER BY t DESC, seq DESC LIMIT 1",
		"SELECT market_id, value FROM market_samples WHERE series_id = ?1 AND t = ?2"
		" AND seq = ?3 ORDER BY market_id",
		"SELECT t, seq, value, is_map FROM samples WHERE series_id = ?1"
		" AND t BETWEEN ?2 AND ?3 ORDER BY t, seq",
		"SELECT t, seq, market_id, value FROM market_samples WHERE series_id = ?1"
		" AND t BETWEEN ?2 AND ?3 ORDER BY t, seq, market_id",
	};
	sqlite3_stmt **st[4] = { &c->prior, &c->prior_m, &c->range, &c->range_m };

	for (int i = 0; i < 4; i++) {
		int rc = prepare(ss, sql[i], st[i], err);

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
	free(c);
}

static int sq_open_cursor(struct cman_store *st, enum cman_metric_kind kind,
			  const char *key, int64_t t0, int64_t t1,
			  unsigned flags, struct cman_cursor **out,
			  struct cman_error *err)
{
	struct sqstore *ss = (struct sqstore *)st;
	struct sqcursor *c = ss->free_cursors;
	char name[CMAN_KEY_MAX + 2];
	long len = cman_store_series_name(name, sizeof(name), kind, key);
	long k = len < 0 ? -1 : cman_store_strtab_find(&ss->series_names, name, (size_t)len);
	int rc;

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
	c->kind = kind;
	snprintf(c->key, sizeof(c->key), "%s", key);
	read_tx_start(ss);
	if (k < 0) {
		c->phase = 2;
	} else {
		c->sid = ss->series[k].id;
		c->phase = (flags & CMAN_CURSOR_WITH_PRIOR) ? 0 : 1;
		c->hi = t1;
		if (flags & CMAN_CURSOR_WITH_PRIOR) {
			sqlite3_bind_int64(c->prior, 1, c->sid);
			sqlite3_bind_int64(c->prior, 2, t0);
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

static int next_prior(struct sqstore *ss, struct sqcursor *c, struct cman_sample *out,
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

static int next_range(struct sqstore *ss, struct sqcursor *c, struct cman_sample *out,
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

static int sq_cursor_next(struct cman_cursor *base, struct cman_sample *out,
			  struct cman_error *err)
{
	struct sqcursor *c = (struct sqcursor *)base;
	struct sqstore *ss = (struct sqstore *)base->store;
	int rc;

	if (c->phase == 0) {
		c->phase = 1;
		rc = next_prior(ss, c, out, err);
		sqlite3_reset(c->prior);
		if (rc)
			goto out;
	}
	if (c->phase == 1 && !c->range_empty) {
		rc = next_range(ss, c, out, err);
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

/* ---- writing ---- */

static int load_series_state(struct sqstore *ss, struct sqseries *se, struct cman_error *err)
{
	int rc = prepare(ss, "SELECT t, seq FROM samples WHERE series_id = ?1"
			 " ORDER BY t DESC, seq DESC LIMIT 1", &ss->last_sample, err);
	int step;

	if (rc)
		return rc;
	sqlite3_bind_int64(ss->last_sample, 1, se->id);
	step = sqlite3_step(ss->last_sample);
	se->any = step == SQLITE_ROW;
	if (se->any) {
		se->max_t = sqlite3_column_int64(ss->last_sample, 0);
		se->max_seq = sqlite3_column_int64(ss->last_sample, 1);
	}
	sqlite3_reset(ss->last_sample);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return db_error(ss, err, "reading samples");
	se->loaded = true;
	return 0;
}

/* The seq of a new sample of se at t. */
static int next_seq(struct sqstore *ss, struct sqseries *se, int64_t t, int64_t *seq,
		    struct cman_error *err)
{
	int rc, step;

	if (!se->loaded && (rc = load_series_state(ss, se, err)))
		return rc;
	if (!se->any || t > se->max_t) {
		*seq = 0;
		return 0;
	}
	if (t == se->max_t) {
		*seq = se->max_seq + 1;
		return 0;
	}
	rc = prepare(ss, "SELECT max(seq) FROM samples WHERE series_id = ?1 AND t = ?2",
		     &ss->max_seq_at, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(ss->max_seq_at, 1, se->id);
	sqlite3_bind_int64(ss->max_seq_at, 2, t);
	step = sqlite3_step(ss->max_seq_at);
	if (step == SQLITE_ROW && sqlite3_column_type(ss->max_seq_at, 0) != SQLITE_NULL)
		*seq = sqlite3_column_int64(ss->max_seq_at, 0) + 1;
	else
		*seq = 0;
	sqlite3_reset(ss->max_seq_at);
	if (step != SQLITE_ROW)
		return db_error(ss, err, "reading samples");
	return 0;
}

static int series_for_write(struct sqstore *ss, enum cman_metric_kind kind, const char *key,
			    struct sqseries **out, struct cman_error *err)
{
	char name[CMAN_KEY_MAX + 2];
	long len = cman_store_series_name(name, sizeof(name), kind, key);
	long k;
	size_t idx;
	int rc;

	if (len < 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: metric key longer than %d bytes: '%.100s...'",
				      ss->base.name, CMAN_KEY_MAX - 1, key);
	k = cman_store_strtab_find(&ss->series_names, name, (size_t)len);
	if (k >= 0) {
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
	ss->series[idx].loaded = true;   /* new: no samples yet */
	ss->series[idx].any = false;
	*out = &ss->series[idx];
	return 0;
}

static int market_id_for_write(struct sqstore *ss, const struct cman_market_value *m,
			       int64_t *id, struct cman_error *err)
{
	size_t idx;
	int rc = intern_market(ss, m->instance_type, m->az, &idx);

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
	return 0;
}

static int sq_write(struct cman_store *st, enum cman_metric_kind kind,
		    const char *key, const struct cman_sample *s,
		    struct cman_error *err)
{
	struct sqstore *ss = (struct sqstore *)st;
	struct sqseries *se = NULL;
	size_t n = s->is_map ? s->n_markets : 0;
	double value = s->value;
	int64_t seq;
	int rc;

	if (!ss->in_tx && (rc = read_tx_end(ss, err)))
		return rc;
	if (s->is_map) {
		long dup;

		if (cman_grow((void **)&ss->scratch, &ss->scratch_cap, n, sizeof(*ss->scratch)) ||
		    cman_grow((void **)&ss->scratch_ids, &ss->scratch_ids_cap, n, sizeof(*ss->scratch_ids)))
			return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", st->name);
		if (n)
			memcpy(ss->scratch, s->markets, n * sizeof(*ss->scratch));
		dup = cman_store_sort_markets(ss->scratch, n);
		if (dup >= 0)
			return cman_error_set(err, CMAN_EINVAL, "%s: %s key '%s' at %lld: duplicate market <%s, %s>",
					      st->name, cman_kind_name(kind), key, (long long)s->t,
					      ss->scratch[dup].instance_type, ss->scratch[dup].az);
		value = cman_store_map_sum(ss->scratch, n);
		for (size_t j = 0; j < n; j++) {
			rc = market_id_for_write(ss, &ss->scratch[j], &ss->scratch_ids[j], err);
			if (rc)
				return rc;
		}
	}
	rc = series_for_write(ss, kind, key, &se, err);
	if (rc)
		return rc;
	rc = next_seq(ss, se, s->t, &seq, err);
	if (rc)
		goto out;
	rc = prepare(ss, "INSERT INTO samples(series_id, t, seq, value, is_map)"
		     " VALUES(?1, ?2, ?3, ?4, ?5)", &ss->ins_sample, err);
	if (rc)
		goto out;
	sqlite3_bind_int64(ss->ins_sample, 1, se->id);
	sqlite3_bind_int64(ss->ins_sample, 2, s->t);
	sqlite3_bind_int64(ss->ins_sample, 3, seq);
	sqlite3_bind_double(ss->ins_sample, 4, value);
	sqlite3_bind_int(ss->ins_sample, 5, s->is_map ? 1 : 0);
	rc = sqlite3_step(ss->ins_sample);
	sqlite3_reset(ss->ins_sample);
	if (rc != SQLITE_DONE) {
		rc = db_error(ss, err, "writing a sample");
		goto out;
	}
	rc = 0;
	if (n) {
		rc = prepare(ss, "INSERT INTO market_samples(series_id, t, seq, market_id, value)"
			     " VALUES(?1, ?2, ?3, ?4, ?5)", &ss->ins_msample, err);
		if (rc)
			goto out;
		sqlite3_bind_int64(ss->ins_msample, 1, se->id);
		sqlite3_bind_int64(ss->ins_msample, 2, s->t);
		sqlite3_bind_int64(ss->ins_msample, 3, seq);
		for (size_t j = 0; j < n; j++) {
			sqlite3_bind_int64(ss->ins_msample, 4, ss->scratch_ids[j]);
			sqlite3_bind_double(ss->ins_msample, 5, ss->scratch[j].value);
			rc = sqlite3_step(ss->ins_msample);
			sqlite3_reset(ss->ins_msample);
			if (rc != SQLITE_DONE) {
				rc = db_error(ss, err, "writing a market sample");
				goto out;
			}
		}
		rc = 0;
	}
	if (!se->any || s->t > se->max_t) {
		se->any = true;
		se->max_t = s->t;
		se->max_seq = seq;
	} else if (s->t == se->max_t) {
		se->max_seq = seq;
	}
out:
	if (rc && se)
		se->loaded = false;   /* re-read its state on the next write */
	return rc;
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
		sqlite3_reset(c->prior);
		sqlite3_reset(c->prior_m);
		sqlite3_reset(c->range);
		sqlite3_reset(c->range_m);
	}
	exec(ss, "ROLLBACK", NULL);
	ss->in_tx = false;
	/* the mirror may name rows that no longer exist: reload it */
	load_series(ss, NULL);
	load_markets(ss, NULL);
}

/* ---- pool state items (LIVE-SPEC §7.1) ----
 *
 * One table beside the metrics, made on the first put (so opening a store
 * never changes its file, and a metrics database without state stays as it
 * was):
 *   CREATE TABLE cluster_state(state TEXT NOT NULL, entity TEXT NOT NULL,
 *       timestamp INTEGER NOT NULL, expiration_timestamp INTEGER,
 *       capacity_offset REAL, PRIMARY KEY(state, entity)) WITHOUT ROWID;
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
	if (sqlite3_prepare_v2(ss->db, "SELECT timestamp, expiration_timestamp, capacity_offset FROM"
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
		    (kind == CMAN_STATE_CAPACITY_OFFSET && to == SQLITE_NULL)) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: corrupt pool state: table "
					    "cluster_state, row (%s, %s): a value of the wrong type",
					    st->name, cman_state_name(kind), entity);
		} else {
			out->timestamp = sqlite3_column_int64(q, 0);
			out->expires = te == SQLITE_INTEGER;
			out->expiration = out->expires ? sqlite3_column_int64(q, 1) : 0;
			out->offset = to == SQLITE_NULL ? 0 : sqlite3_column_double(q, 2);
			rc = 1;
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
	if (sqlite3_prepare_v2(ss->db, "INSERT OR REPLACE INTO cluster_state VALUES"
			       " (?1, ?2, ?3, ?4, ?5)", -1, &q, NULL) != SQLITE_OK)
		return db_error(ss, err, "writing pool state");
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
	struct sqcursor *c = ss->all_cursors;

	if (ss->in_tx)
		sq_rollback(st);
	read_tx_end(ss, NULL);
	while (c) {
		struct sqcursor *next = c->next_all;

		cursor_destroy(c);
		c = next;
	}
	sqlite3_finalize(ss->ins_sample);
	sqlite3_finalize(ss->ins_msample);
	sqlite3_finalize(ss->ins_series);
	sqlite3_finalize(ss->ins_market);
	sqlite3_finalize(ss->last_sample);
	sqlite3_finalize(ss->max_seq_at);
	sqlite3_close(ss->db);
	cman_store_strtab_release(&ss->series_names);
	cman_store_strtab_release(&ss->markets);
	free(ss->series);
	free(ss->mk);
	free(ss->by_id);
	free(ss->scratch);
	free(ss->scratch_ids);
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

/* The tables of schema_sql, compared by their CREATE statements. */
static int check_tables(struct sqstore *ss, struct cman_error *err)
{
	const char *p = schema_sql;
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
					    ss->base.name, (int)(paren - name), name, SCHEMA_VERSION);
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
	for (int i = 0; i < 2 && !rc; i++) {
		q = NULL;
		if (sqlite3_prepare_v2(ss->db, typed[i], -1, &q, NULL) != SQLITE_OK)
			return db_error(ss, err, "checking integrity");
		step = sqlite3_step(q);
		if (step == SQLITE_ROW) {
			const char *key = (const char *)sqlite3_column_text(q, 1);
			const char *t = (const char *)sqlite3_column_text(q, 2);
			const char *seq = (const char *)sqlite3_column_text(q, 3);
			int kind = sqlite3_column_int(q, 0);
			char tt[64];

			snprintf(tt, sizeof(tt), "%s", t ? t : "NULL");
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
	if (sqlite3_column_int(q, 0) != SCHEMA_VERSION) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "%s: metrics database schema version %s is not supported (expected %d)",
				    path, (const char *)sqlite3_column_text(q, 0), SCHEMA_VERSION);
		goto out;
	}
	rc = check_tables(ss, err);
out:
	sqlite3_finalize(q);
	return rc;
}

int cman_store_sqlite_open(const char *path, bool create,
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
	cman_store_strtab_init(&ss->series_names);
	cman_store_strtab_init(&ss->markets);
	if (sqlite3_open_v2(path, &ss->db, flags, NULL) != SQLITE_OK) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: cannot open metrics database: %s", path,
				    ss->db ? sqlite3_errmsg(ss->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(ss->db, 5000);
	rc = check_schema(ss, create, err);
	if (!rc && size > 0 && size <= QUICK_CHECK_MAX)
		rc = quick_check(ss, err);
	if (rc)
		goto out;
	rc = exec(ss, "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;"
		  " PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 1073741824", err);
	if (rc)
		goto out;
	rc = load_series(ss, err);
	if (!rc)
		rc = load_markets(ss, err);
out:
	if (rc) {
		sq_free(&ss->base);
		return rc;
	}
	*out = &ss->base;
	return 0;
}
