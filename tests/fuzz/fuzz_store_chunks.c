/*
 * fuzz_store_chunks - the SQLite store's chunk decoder (store_sqlite.c:
 * cursor_chunk, decode_chunk, chunk_next, sq_cursor_next and its slow path,
 * the map entries and their repeats) fed chunk rows of a metrics database.
 *
 * A template store is written once (in $TMPDIR, else /dev/shm, else /tmp;
 * removed at exit) with the store's own API: four series (a market map,
 * numbers of each kind) and six markets, ids 1-3 numbered as the importer
 * numbered c5.4xlarge us-west-2a..c in the bench stores, 4-6 sorting before
 * and after them.  Per input, a copy of it has the chunks of one series
 * replaced by the input's rows (plain SQL, as tests/e2e/corrupt_store.sh
 * damages a store); it is then opened as a run opens it
 * (cman_store_sqlite_open_checking) and every series is read to the end
 * through cursors.  A read must end or fail with CMAN_EINVAL, never crash;
 * a map's value must be the sum of its entries as handed out, the entries
 * sorted; and when the whole read succeeded, a cursor with the prior
 * sample over a window of the input's choice must give exactly the
 * samples the whole read gave there.
 *
 * Input: byte 0: bits 0-1 the series replaced (0 map, 1 system_metrics,
 * 2 metadata, 3 app_metrics), bit 2 read the window too; bytes 1-2 and
 * 3-4: the window's start after T0 and its length (LE seconds).  Then up
 * to 4 rows: n (2 bytes LE), t1 - t0 (4 bytes LE), t0 - the previous
 * row's t1 (2 bytes LE; the first row: after T0), the blob's length (2
 * bytes LE, cut to what is left) and the blob.  The seeds are chunk rows
 * of the store the importer wrote for the 1-day bench (bench-1d.json.gz):
 * maps of three markets (which repeat byte for byte), numbers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fuzz_util.h"
#include "cman/store.h"

#define T0 1512086400   /* 2017-12-01T00:00:00Z */
#define MAX_ROWS 4
#define MAX_OUT 100000

static const char *const keys[4] = {
	"fulfilled_capacity|cluster=fuzz,pool=default.mesos",
	"cpus_allocated|cluster=fuzz,pool=default.mesos",
	"spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=c5.4xlarge",
	"app_metric|cluster=fuzz",
};
static const enum cman_metric_kind kinds[4] = {
	CMAN_METADATA, CMAN_SYSTEM_METRICS, CMAN_METADATA, CMAN_APP_METRICS
};

static char dir[64], tpl_path[96], work_path[96];
static unsigned char *tpl;
static size_t tpl_len;

static _Noreturn void die(const char *what, const char *msg)
{
	fprintf(stderr, "fuzz_store_chunks: %s: %s\n", what, msg);
	abort();
}

static void cleanup(void)
{
	unlink(tpl_path);
	unlink(work_path);
	rmdir(dir);
}

static void put(struct cman_store *st, int s, int64_t t, double v, size_t nm)
{
	static const char *const az[3] = { "us-west-2a", "us-west-2b", "us-west-2c" };
	struct cman_market_value m[3];
	struct cman_sample smp = { .t = t, .value = v };
	struct cman_error err = { 0 };

	for (size_t i = 0; i < nm; i++)
		m[i] = (struct cman_market_value){ "c5.4xlarge", az[i], v + (double)i };
	if (s == 0) {
		smp.is_map = true;
		smp.n_markets = nm;
		smp.markets = m;
	}
	if (cman_store_write(st, kinds[s], keys[s], &smp, &err))
		die("template write", err.msg);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die(sql, msg ? msg : sqlite3_errmsg(db));
}

static void make_template(void)
{
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };
	const char *tmp = getenv("TMPDIR");
	sqlite3 *db = NULL;
	FILE *f;
	long len;

	if (!tmp || !*tmp)   /* the files are rewritten per input: memory if we can */
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/cman-fuzz-chunks.XXXXXX", tmp);
	if (!mkdtemp(dir))
		die("mkdtemp", dir);
	snprintf(tpl_path, sizeof(tpl_path), "%s/template.sqlite", dir);
	snprintf(work_path, sizeof(work_path), "%s/input.sqlite", dir);
	atexit(cleanup);
	if (cman_store_sqlite_open(tpl_path, true, &st, &err) || cman_store_begin(st, &err))
		die("template", err.msg);
	for (int i = 0; i < 3; i++)   /* markets 1, 2, 3 in this order */
		put(st, 0, T0 + 60 * i, 4 + i, (size_t)i + 1);
	for (int s = 1; s < 4; s++)
		for (int i = 0; i < 5; i++)
			put(st, s, T0 + 60 * i, i % 2 ? 0.25 * i : 10 * i, 0);
	if (cman_store_commit(st, &err))
		die("template commit", err.msg);
	cman_store_free(st);
	if (sqlite3_open(tpl_path, &db) != SQLITE_OK)
		die(tpl_path, sqlite3_errmsg(db));
	/* ids 1-3 as the importer numbered the seeds' markets */
	exec_sql(db, "CREATE TEMP TABLE want(id, t, az);"
		     "INSERT INTO want VALUES(1, 'c5.4xlarge', 'us-west-2a'),"
		     " (2, 'c5.4xlarge', 'us-west-2b'), (3, 'c5.4xlarge', 'us-west-2c');"
		     "SELECT CASE WHEN (SELECT count(*) FROM want JOIN markets m"
		     " ON m.id = want.id AND m.instance_type = want.t AND m.az = want.az) = 3"
		     " THEN 1 ELSE abs(-9223372036854775807 - 1) END;"
		     "INSERT INTO markets VALUES(4, 'a1.medium', 'us-west-2c'),"
		     " (5, 'r5.xlarge', 'us-west-2a'), (6, 'c5.4xlarge', 'us-east-1a');");
	sqlite3_close(db);
	f = fopen(tpl_path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		die(tpl_path, "cannot read");
	tpl_len = (size_t)len;
	tpl = malloc(tpl_len);
	if (!tpl || fread(tpl, 1, tpl_len, f) != tpl_len)
		die(tpl_path, "cannot read");
	fclose(f);
}

static unsigned get_le(const uint8_t *p, int n)
{
	unsigned v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The work file: the template with the chosen series' chunks replaced. */
static void make_input(const uint8_t *data, size_t size)
{
	FILE *f = fopen(work_path, "wb");
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL;
	int64_t sid = -1, prev = T0;
	int s = size ? data[0] & 3 : 0;
	size_t off = 5;

	if (!f || fwrite(tpl, 1, tpl_len, f) != tpl_len || fclose(f))
		die(work_path, "cannot write");
	if (size < off)
		return;
	if (sqlite3_open(work_path, &db) != SQLITE_OK)
		die(work_path, sqlite3_errmsg(db));
	exec_sql(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF");
	{
		sqlite3_stmt *q = NULL;

		if (sqlite3_prepare_v2(db, "SELECT id FROM series WHERE kind = ?1 AND key = ?2",
				       -1, &q, NULL) != SQLITE_OK)
			die("series", sqlite3_errmsg(db));
		sqlite3_bind_int(q, 1, (int)kinds[s]);
		sqlite3_bind_text(q, 2, keys[s], -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			sid = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		if (sid < 0)
			die("series", keys[s]);
	}
	{
		char sql[96];

		snprintf(sql, sizeof(sql), "DELETE FROM chunks WHERE series_id = %lld", (long long)sid);
		exec_sql(db, sql);
	}
	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO chunks VALUES(?1, ?2, ?3, ?4, ?5)",
			       -1, &ins, NULL) != SQLITE_OK)
		die("insert", sqlite3_errmsg(db));
	for (int r = 0; r < MAX_ROWS && size - off >= 10; r++) {
		unsigned n = get_le(data + off, 2), span = get_le(data + off + 2, 4);
		unsigned gap = get_le(data + off + 6, 2), len = get_le(data + off + 8, 2);
		int64_t t0 = prev + gap;

		off += 10;
		if (len > size - off)
			len = (unsigned)(size - off);
		sqlite3_bind_int64(ins, 1, sid);
		sqlite3_bind_int64(ins, 2, t0);
		sqlite3_bind_int64(ins, 3, t0 + span);
		sqlite3_bind_int64(ins, 4, n);
		if (len)
			sqlite3_bind_blob(ins, 5, data + off, (int)len, SQLITE_STATIC);
		else
			sqlite3_bind_zeroblob(ins, 5, 0);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die("insert", sqlite3_errmsg(db));
		sqlite3_reset(ins);
		off += len;
		prev = t0 + span;
	}
	sqlite3_finalize(ins);
	if (sqlite3_close(db) != SQLITE_OK)
		die("close", "busy");
}

/* The samples of one series as the whole read gave them. */
struct got {
	int64_t t;
	double v;
	bool is_map;
	size_t n, at;   /* entries ents[at..at+n) */
};

static struct got *out;
static size_t n_out, out_cap;
static struct cman_market_value *ents;
static size_t n_ents, ents_cap;

static void grow(void **p, size_t *cap, size_t want, size_t size)
{
	if (want <= *cap)
		return;
	*cap = want * 2;
	*p = realloc(*p, *cap * size);
	if (!*p)
		abort();
}

/* A sample handed out: as the store's interface promises. */
static void check_sample(const struct cman_sample *s)
{
	double sum = 0;

	if (!s->is_map) {
		if (s->n_markets || !isfinite(s->value))
			abort();
		return;
	}
	if (s->n_markets && !s->markets)
		abort();
	for (size_t i = 0; i < s->n_markets; i++)
		sum += s->markets[i].value;
	if (memcmp(&sum, &s->value, sizeof(sum)))
		abort();   /* the value is the sum of the entries handed out, in order */
	for (size_t i = 0; i < s->n_markets; i++) {
		const struct cman_market_value *m = &s->markets[i];
		int c;

		if (!m->instance_type || !m->az || !isfinite(m->value))
			abort();
		if (i == 0)
			continue;
		c = strcmp(m[-1].instance_type, m->instance_type);
		if (c > 0 || (c == 0 && strcmp(m[-1].az, m->az) >= 0))
			abort();   /* sorted, each market once */
	}
}

static bool same(const struct got *g, const struct cman_sample *s)
{
	if (g->t != s->t || g->is_map != s->is_map || g->n != s->n_markets ||
	    memcmp(&g->v, &s->value, sizeof(g->v)))
		return false;
	for (size_t i = 0; i < g->n; i++) {
		const struct cman_market_value *a = &ents[g->at + i], *b = &s->markets[i];

		if (a->instance_type != b->instance_type || a->az != b->az ||
		    memcmp(&a->value, &b->value, sizeof(a->value)))
			return false;
	}
	return true;
}

/* The read ended with rc: 0, or an error the store reports as corrupt. */
static void check_end(int rc, const struct cman_error *err)
{
	if (rc < 0 && (rc != CMAN_EINVAL || !strstr(err->msg, "corrupt metrics database")))
		die("unexpected error", err->msg);
}

struct ctx {
	struct cman_store *st;
	enum cman_metric_kind kind;
	unsigned flags;
	int64_t w0, w1;
};

static int read_key(void *arg, const char *key)
{
	struct ctx *x = arg;
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	struct cman_error err = { 0 };
	int64_t last = INT64_MIN;
	size_t i, k;
	int rc = 0;

	n_out = n_ents = 0;
	if (cman_store_open_cursor(x->st, x->kind, key, INT64_MIN, INT64_MAX, 0, &cur, &err))
		die("open cursor", err.msg);
	while (n_out < MAX_OUT && (rc = cman_cursor_next(cur, &s, &err)) == 1) {
		if (s.t < last)
			abort();   /* ascending times */
		last = s.t;
		check_sample(&s);
		grow((void **)&out, &out_cap, n_out + 1, sizeof(*out));
		grow((void **)&ents, &ents_cap, n_ents + s.n_markets + 1, sizeof(*ents));
		out[n_out] = (struct got){ s.t, s.value, s.is_map, s.n_markets, n_ents };
		if (s.n_markets)
			memcpy(ents + n_ents, s.markets, s.n_markets * sizeof(*ents));
		n_ents += s.n_markets;
		n_out++;
	}
	cman_cursor_close(cur);
	check_end(rc, &err);
	if (rc < 0 || !(x->flags & 4))
		return 0;
	/* the window with the prior sample: the latest at or before w0, then
	 * w0 < t <= w1, as the whole read had them */
	for (i = 0; i < n_out && out[i].t <= x->w0; i++)
		;
	k = i ? i - 1 : i;
	if (cman_store_open_cursor(x->st, x->kind, key, x->w0, x->w1, CMAN_CURSOR_WITH_PRIOR,
				   &cur, &err))
		die("open cursor", err.msg);
	while ((rc = cman_cursor_next(cur, &s, &err)) == 1) {
		check_sample(&s);
		if (k >= n_out || out[k].t > x->w1 || !same(&out[k], &s))
			abort();   /* not what the whole read gave */
		k++;
	}
	cman_cursor_close(cur);
	if (rc < 0)
		die("the window fails where the whole read did not", err.msg);
	if (k < n_out && out[k].t <= x->w1)
		abort();   /* the window ended early */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };
	int rc;

	if (!tpl)
		make_template();
	make_input(data, size);
	rc = cman_store_sqlite_open_checking(work_path, &st, &err);
	if (rc == 0) {
		struct ctx x = { st, 0, size >= 5 ? data[0] : 0, 0, 0 };

		if (size >= 5) {
			x.w0 = T0 + (int64_t)get_le(data + 1, 2);
			x.w1 = x.w0 + (int64_t)get_le(data + 3, 2);
		}
		for (int k = 0; k < CMAN_KIND_COUNT && rc == 0; k++) {
			x.kind = (enum cman_metric_kind)k;
			rc = cman_store_keys(st, x.kind, "", read_key, &x, &err);
			if (rc)
				die("keys", err.msg);
		}
		rc = cman_store_sqlite_check_wait(st, &err);
	}
	check_end(rc, &err);
	cman_store_free(st);
	return 0;
}
