/*
 * output.c - the run directory: summary.json, timeseries.csv, instances.csv
 * (INTERFACE.md "Run directory").  Each file is written under a temporary
 * name and renamed into place; summary.json goes last, so a run directory
 * with a summary is a complete one.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cman/fsutil.h"
#include "cman/jsonout.h"
#include "cman/reports/csv.h"
#include "cman/reports/report.h"
#include "cman/runfiles.h"
#include "cman/thread.h"
#include "cman/time.h"
#include "sim_int.h"

/*
 * The text of the number last written in one column of a file.  Columns
 * repeat their value from row to row (a pool's size, the cost of a step
 * at the same prices): copying the text is cheaper than formatting it
 * again, and equal values (0 and -0 included) have equal texts.  With
 * round, r is the value the text denotes (cman_csv_round(v), NaN for NaN):
 * timeseries.csv's columns when the run keeps its report tables.
 */
struct num_cache {
	double v, r;
	size_t len;
	bool round;
	char text[32];
};

static void num_cache_init(struct num_cache *c, size_t n)
{
	memset(c, 0, n * sizeof(*c));
	while (n--)
		c[n].v = c[n].r = NAN;   /* equal to nothing */
}

/* The text of v at p, through the column's cache; returns the end (p needs
 * 32 bytes of room). */
static inline char *put_num(char *p, double v, struct num_cache *c)
{
	if (isnan(v)) {
		c->v = c->r = NAN;
		return p;   /* an empty field, as cman_fmt_number_end() writes */
	}
	if (v != c->v) {
		c->v = v;
		c->len = (size_t)((c->round ? cman_fmt_number_round(c->text, v, &c->r)
				   : cman_fmt_number_end(c->text, v)) - c->text);
	}
	memcpy(p, c->text, sizeof(c->text));
	return p + c->len;
}

/*
 * A time (or any integer) through a cache of its digits but the last 5: a
 * column of times keeps them for 10^5 seconds (a day of rows), and the
 * last 5 are a few multiplications.
 */
struct time_cache {
	int64_t hi;     /* the time / 10^5 whose text is cached, -1 for none */
	size_t len;
	char text[24];
};

static inline char *put_time(char *p, int64_t t, struct time_cache *c)
{
	unsigned lo;

	if (t < 100000)
		return cman_fmt_int_end(p, t);
	lo = (unsigned)(t % 100000);
	if (t / 100000 != c->hi) {
		c->hi = t / 100000;
		c->len = (size_t)(cman_fmt_int_end(c->text, c->hi) - c->text);
	}
	memcpy(p, c->text, 16);   /* at most 14 digits: t < 2^63 */
	p += c->len;
	p[0] = (char)('0' + lo / 10000);
	p[1] = (char)('0' + lo / 1000 % 10);
	p[2] = (char)('0' + lo / 100 % 10);
	p[3] = (char)('0' + lo / 10 % 10);
	p[4] = (char)('0' + lo % 10);
	return p + 5;
}

/* Room a row needs: 40 bytes a number or field (32 of text, written as a
 * whole), plus its texts. */
#define ROW_ROOM(fields, texts) ((size_t)(fields) * 40 + (texts) + 8)

/* ",<binding resource>\n", copied whole */
struct bind_text {
	char text[16];
	size_t len;
};

/*
 * timeseries.csv being written: its rows 0..done-1 are in the file.  Rows
 * are formatted in order, through caches of one file (the bytes are the
 * same however the rows are cut into batches).  keep: each number's value
 * as the file holds it goes into tab's columns too (the run's report
 * tables, sim->tables; tab holds their arrays, this writer's to fill).
 */
struct ts_file {
	struct cman_atomic_file f;
	struct num_cache nc[9 + 5 * (CMAN_RES_COUNT - 1)];
	struct bind_text bind[CMAN_RES_COUNT + 1];
	struct time_cache tc;
	size_t done;
	bool keep;
	struct cman_report_tables tab;
};

static int tables_begin(const struct cman_sim *sim, struct cman_report_tables *view,
			struct cman_error *err);
static void tables_filled(const struct cman_sim *sim);

/* Open the file at path and write its header; the report tables, when the
 * run keeps them, are this file's to fill. */
static int ts_open(struct ts_file *t, const struct cman_sim *sim, const char *path,
		   struct cman_error *err)
{
	char head[1024], *h = head;
	int k, rc;

	t->keep = sim->tables != NULL;
	if (t->keep && (rc = tables_begin(sim, &t->tab, err)) != 0)
		return rc;
	rc = cman_atomic_open_raw(&t->f, path, err);
	if (rc)
		return rc;
	num_cache_init(t->nc, sizeof(t->nc) / sizeof(t->nc[0]));
	for (k = 0; k < (int)(sizeof(t->nc) / sizeof(t->nc[0])); k++)
		t->nc[k].round = t->keep;
	memset(t->bind, 0, sizeof(t->bind));
	t->tc = (struct time_cache){ -1, 0, "" };
	t->done = 0;
	for (k = 0; k <= CMAN_RES_COUNT; k++) {
		const char *n = k < CMAN_RES_COUNT ? cman_resource_name(k) : "none";
		struct bind_text *b = &t->bind[k];

		b->len = (size_t)snprintf(b->text, sizeof(b->text), ",%s\n", n);
		if (b->len >= sizeof(b->text)) {
			cman_atomic_abort(&t->f);
			return cman_error_set(err, CMAN_EINTERNAL, "resource name too long");
		}
	}
	h += sprintf(h, "time,cpus,cpus_allocated,unused_cpus,cost,unused_cpus_cost,cost_per_cpu,"
		     "oversubscribed,target_capacity,fulfilled_capacity");
	for (k = CMAN_RES_MEM; k < CMAN_RES_COUNT; k++) {
		const char *n = cman_resource_name(k);

		h += sprintf(h, ",%s,%s_allocated,unused_%s,unused_%s_cost,oversubscribed_%s",
			     n, n, n, n, n);
	}
	h += sprintf(h, ",binding_resource\n");
	cman_atomic_write(&t->f, head, (size_t)(h - head));
	return 0;
}

/*
 * Rows done..end-1, from the run's per-step records: each step's row
 * (sim.c advance()) and its ledgers' steps must be final.  Reads only
 * those, and what cman_sim_new() set.  keep: each row's numbers go into
 * the report tables too, as the file holds them (issue 12: nothing reads
 * the per-step records again for the reports).
 */
static void ts_rows(struct ts_file *t, const struct cman_sim *sim, size_t end)
{
	const struct cman_scenario *sc = sim->sc;
	struct num_cache *nc = t->nc;
	double *const *col = t->tab.col;
	bool keep = t->keep;
	struct sim_rows v = { 0 };
	size_t i, j = 0;
	int k;

	if (end <= t->done)
		return;

	/* each row formatted straight into the file's buffer; the records
	 * a chunk at a time (sim_rows_at: row i at [j]) */
	for (i = t->done; i < end; i++, j++) {
		const struct step_row *r;
		double unused;
		char *p = cman_atomic_room(&t->f, ROW_ROOM(1 + 9 + 5 * (CMAN_RES_COUNT - 1), 16));
		const struct bind_text *b;

		if (j == v.n) {
			sim_rows_at(sim, i, &v);
			j = 0;
		}
		r = &v.steps[j];
		unused = r->running - r->allocated;
		p = put_time(p, sc->start_time + (int64_t)i * sc->step_seconds, &t->tc);
		*p++ = ',';
		p = put_num(p, r->cpus, &nc[0]);
		*p++ = ',';
		p = put_num(p, r->allocated, &nc[1]);
		*p++ = ',';
		p = put_num(p, unused > 0 ? unused : 0, &nc[2]);
		*p++ = ',';
		p = put_num(p, v.cost[j], &nc[3]);
		*p++ = ',';
		p = put_num(p, v.unused_cost[j], &nc[4]);
		*p++ = ',';
		p = put_num(p, r->running > 0 ? v.rate[j] / r->running : 0, &nc[5]);
		*p++ = ',';
		p = put_num(p, r->oversubscribed, &nc[6]);
		*p++ = ',';
		p = put_num(p, r->target, &nc[7]);
		*p++ = ',';
		p = put_num(p, r->fulfilled, &nc[8]);
		if (keep)
			for (k = 0; k < 9; k++)
				col[k][i] = nc[k].r;
		/* every other resource: empty cells when it has no data */
		if (!sim->any_res_data) {
			memcpy(p, ",,,,,,,,,,,,,,,", 15);
			p += 15;
		}
		for (k = CMAN_RES_MEM; k < CMAN_RES_COUNT && sim->any_res_data; k++) {
			struct num_cache *c = &nc[9 + 5 * (k - CMAN_RES_MEM)];
			const struct res_row *x;
			double run, a;

			if (!sim->res_data[k]) {
				memcpy(p, ",,,,,", 5);
				p += 5;
				continue;
			}
			x = &v.res[j];
			run = x->running[k];
			a = x->allocated[k];
			*p++ = ',';
			p = put_num(p, x->joined[k], &c[0]);
			*p++ = ',';
			p = put_num(p, a, &c[1]);
			*p++ = ',';
			p = put_num(p, run > a ? run - a : 0, &c[2]);
			*p++ = ',';
			p = put_num(p, v.res_unused_cost[k][j], &c[3]);
			*p++ = ',';
			p = put_num(p, a > run ? a - run : 0, &c[4]);
			if (keep) {   /* the report's columns: all but unused_<r> */
				t->tab.rcol[k][0][i] = c[0].r;
				t->tab.rcol[k][1][i] = c[1].r;
				t->tab.rcol[k][2][i] = c[3].r;
				t->tab.rcol[k][3][i] = c[4].r;
			}
		}
		b = &t->bind[v.binding[j] == NO_BINDING ? CMAN_RES_COUNT : v.binding[j]];
		memcpy(p, b->text, sizeof(b->text));
		cman_atomic_advance(&t->f, p + b->len);
		if (keep)
			t->tab.binding[i] = v.binding[j];
	}
	t->done = end;
	if (keep && end == sim->ledger.n_steps)
		tables_filled(sim);   /* the reports may take them */
}

/* The whole file, on the caller's thread (a run nobody wrote it for). */
static int write_timeseries(struct cman_sim *sim, const char *path,
			    struct cman_error *err)
{
	struct ts_file *t = malloc(sizeof(*t));
	int rc;

	if (!t)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	rc = ts_open(t, sim, path, err);
	if (!rc) {
		ts_rows(t, sim, sim->ledger.n_steps);
		rc = cman_atomic_commit(&t->f, err);
		cman_atomic_abort(&t->f);
	}
	free(t);
	return rc;
}

/* ---- timeseries.csv while the run goes (issue 12) ------------------------ */

/*
 * A thread formats the rows as they become final, while the run goes on.
 * The loop (sim.c advance()) publishes how many are final every TS_BATCH
 * steps; a row is final once advance() recorded its step and every ledger
 * whose per-step numbers it shows closed it (ledger.h: with a horizon,
 * steps close during the run; the run's ledgers all have one), and no one
 * writes either again.  The thread takes the rows TS_CHUNK at a time and
 * looks for news between chunks.  At the end the main thread, once it has
 * written the other files, takes the file over: whatever rows the thread
 * has not reached (a busy machine did not give it the CPU) it formats
 * itself, rather than wait.  Everything the two threads share is under mu;
 * the file and its rows belong to the thread until it is joined.
 */
#define TS_BATCH 4096
#define TS_CHUNK 1024
/* Fewer steps than this many batches: written at the end (a week of
 * minutes, 1 MB: a thread would save a millisecond at most, and cost as
 * much on a machine where it waits for a CPU). */
#define TS_MIN_BATCHES 4

struct sim_ts {
	struct ts_file t;
	struct cman_sim *sim;   /* (the thread changes only the records' chunks) */
	char dir[4096];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t more;
	size_t final;         /* rows that are final (published) */
	bool over;            /* the thread is to return (taken over, or stopped) */
	bool threaded;        /* false: sim->ts_test_inline */
	bool committed;       /* all rows written, committed (rc) */
	int rc;
	struct cman_error err;
};

/* All rows are written: commit the file. */
static void ts_commit(struct sim_ts *ts)
{
	ts->rc = cman_atomic_commit(&ts->t.f, &ts->err);
	ts->committed = true;
}

static void *ts_thread(void *arg)
{
	struct sim_ts *ts = arg;
	size_t n = ts->sim->ledger.n_steps;

	pthread_mutex_lock(&ts->mu);
	for (;;) {
		size_t to;

		while ((ts->final == ts->t.done || ts->sim->ts_test_idle) && !ts->over)
			pthread_cond_wait(&ts->more, &ts->mu);
		if (ts->over)
			break;
		to = ts->final - ts->t.done > TS_CHUNK ? ts->t.done + TS_CHUNK : ts->final;
		pthread_mutex_unlock(&ts->mu);
		if (ts->sim->ts_test_lag)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
		ts_rows(&ts->t, ts->sim, to);
		sim_rows_give_back(ts->sim, to);   /* (when nothing reads them later) */
		if (to == n)
			ts_commit(ts);
		pthread_mutex_lock(&ts->mu);
	}
	pthread_mutex_unlock(&ts->mu);
	return NULL;
}

/* Rows before final are final (more than the thread knew). */
static void ts_tell(struct sim_ts *ts, size_t final)
{
	if (!ts->threaded) {   /* (tests: each row as soon as it is final) */
		if (final > ts->t.done) {
			ts_rows(&ts->t, ts->sim, final);
			if (final == ts->sim->ledger.n_steps)
				ts_commit(ts);
		}
		return;
	}
	pthread_mutex_lock(&ts->mu);
	if (final > ts->final) {
		ts->final = final;
		pthread_cond_signal(&ts->more);
	}
	pthread_mutex_unlock(&ts->mu);
}

bool sim_ts_threaded(const struct cman_sim *sim)
{
	return sim->ts && sim->ts->threaded;
}

void sim_ts_publish(struct cman_sim *sim)
{
	size_t final = sim->next_step;
	int k;

	if (sim->ledger.fin < final)
		final = sim->ledger.fin;
	for (k = CMAN_RES_MEM; k < CMAN_RES_COUNT; k++)
		if (sim->res_data[k] && sim->res_ledger[k].fin < final)
			final = sim->res_ledger[k].fin;
	ts_tell(sim->ts, final);
	sim->ts_publish_at = sim->next_step + (sim->ts_batch ? sim->ts_batch : TS_BATCH);
}

int cman_sim_write_start(struct cman_sim *sim, const char *dir, struct cman_error *err)
{
	size_t batch = sim->ts_batch ? sim->ts_batch : TS_BATCH;
	struct sim_ts *ts;
	char path[4096];
	int rc;

	if (sim->ts || sim->next_step || sim->finished)
		return cman_error_set(err, CMAN_EINTERNAL, "the run has begun");
	if (sim->ledger.n_steps / batch < TS_MIN_BATCHES && !sim->ts_test_inline)
		return 0;
	/* one core: the same work, only taking turns with the loop */
	if (!sim->ts_test_inline && cman_one_cpu())
		return 0;
	if (strlen(dir) >= sizeof(ts->dir) ||
	    cman_path_join(path, sizeof(path), dir, "timeseries.csv"))
		return cman_error_set(err, CMAN_EINVAL, "%s: path too long", dir);
	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	ts->sim = sim;
	strcpy(ts->dir, dir);
	rc = cman_mkdirs(dir, err);
	if (!rc)
		rc = ts_open(&ts->t, sim, path, err);
	if (rc) {
		free(ts);
		return rc;
	}
	/* its buffers are hashed and written by fsutil's two threads, as any
	 * large file's: measured on the loaded 2-core machine, formatting,
	 * hashing and writing on this one thread alone was 10-20% slower (a
	 * process with more threads gets more of a busy machine; idle, the one
	 * thread kept up with the loop) */
	if (sim->ts_test_inline) {
		sim->ts = ts;
		sim->ts_publish_at = batch;
		return 0;
	}
	if (pthread_mutex_init(&ts->mu, NULL) != 0) {
		cman_atomic_abort(&ts->t.f);
		free(ts);
		return 0;   /* written at the end instead */
	}
	if (pthread_cond_init(&ts->more, NULL) != 0) {
		pthread_mutex_destroy(&ts->mu);
		cman_atomic_abort(&ts->t.f);
		free(ts);
		return 0;
	}
	/* signals are the main thread's (cman/thread.h) */
	if (cman_thread_start(&ts->thread, 256 * 1024, ts_thread, ts) != 0) {
		pthread_cond_destroy(&ts->more);
		pthread_mutex_destroy(&ts->mu);
		cman_atomic_abort(&ts->t.f);
		free(ts);
		return 0;
	}
	ts->threaded = true;
	sim->ts = ts;
	sim->ts_publish_at = batch;
	return 0;
}

/*
 * End the thread (it returns after the chunk it is on) and free it.
 * finish: every row is final; the rows it did not reach are formatted here
 * and the file committed: its result (error in err).  Else the file is
 * removed.
 */
static int ts_end(struct cman_sim *sim, bool finish, struct cman_error *err)
{
	struct sim_ts *ts = sim->ts;
	int rc = 0;

	if (!ts)
		return 0;
	if (ts->threaded) {
		pthread_mutex_lock(&ts->mu);
		ts->over = true;
		pthread_cond_signal(&ts->more);
		pthread_mutex_unlock(&ts->mu);
		pthread_join(ts->thread, NULL);
		pthread_cond_destroy(&ts->more);
		pthread_mutex_destroy(&ts->mu);
	}
	if (finish) {
		if (!ts->committed) {
			ts_rows(&ts->t, sim, sim->ledger.n_steps);
			ts_commit(ts);
		}
		rc = ts->rc;
		if (rc)
			*err = ts->err;
	}
	cman_atomic_abort(&ts->t.f);   /* (not committed: the rows so far go) */
	free(ts);
	sim->ts = NULL;
	sim->ts_publish_at = SIZE_MAX;
	return rc;
}

void sim_ts_stop(struct cman_sim *sim)
{
	(void)ts_end(sim, false, NULL);
}

/* The text cman_csv_text writes for s, at p; returns the end. */
static char *csv_text_end(char *p, const char *s)
{
	size_t n = strlen(s);

	if (!strpbrk(s, ",\"\r\n")) {
		memcpy(p, s, n);
		return p + n;
	}
	*p++ = '"';
	for (; *s; s++) {
		if (*s == '"')
			*p++ = '"';
		*p++ = *s;
	}
	*p++ = '"';
	return p;
}

/* Room for the CSV text of s (every character doubled, and the quotes). */
static size_t csv_text_room(const char *s)
{
	return 2 * strlen(s) + 2;
}

/*
 * Texts that every row of a market or of a group repeats, made once per
 * file: rows are formatted into one buffer and written with one fwrite
 * (the quoted market names written character by character were a few
 * percent of a year's run).  text[i] of each market or group, longest
 * gives the room a row needs for it.
 */
struct row_texts {
	char **text;
	size_t n, longest;
};

static void row_texts_free(struct row_texts *rt)
{
	for (size_t i = 0; rt->text && i < rt->n; i++)
		free(rt->text[i]);
	free(rt->text);
	memset(rt, 0, sizeof(*rt));
}

/* instances.csv's "market,type,az," (with_type) or markets.csv's "market," */
static int market_texts(const struct cman_sim *sim, bool with_type, struct row_texts *rt)
{
	memset(rt, 0, sizeof(*rt));
	rt->text = calloc(sim->n_markets ? sim->n_markets : 1, sizeof(*rt->text));
	if (!rt->text)
		return CMAN_ENOMEM;
	rt->n = sim->n_markets;
	for (size_t i = 0; i < sim->n_markets; i++) {
		const struct sim_market *m = &sim->markets[i];
		char mk[128], *p;
		size_t room;

		cman_market_format(mk, sizeof(mk), m->type, m->az);
		room = csv_text_room(mk) + strlen(m->type) + strlen(m->az) + 4;
		p = rt->text[i] = malloc(room);
		if (!p)
			return CMAN_ENOMEM;
		p = csv_text_end(p, mk);
		*p++ = ',';
		if (with_type)
			p += sprintf(p, "%s,%s,", m->type, m->az);
		*p = '\0';
		if ((size_t)(p - rt->text[i]) > rt->longest)
			rt->longest = (size_t)(p - rt->text[i]);
	}
	return 0;
}

/* the groups' ids (CSV text) */
static int group_texts(const struct cman_sim *sim, struct row_texts *rt)
{
	memset(rt, 0, sizeof(*rt));
	rt->text = calloc(sim->n_groups ? sim->n_groups : 1, sizeof(*rt->text));
	if (!rt->text)
		return CMAN_ENOMEM;
	rt->n = sim->n_groups;
	for (size_t g = 0; g < sim->n_groups; g++) {
		const char *id = sim->groups[g].base.id;
		char *p = rt->text[g] = malloc(csv_text_room(id) + 1);

		if (!p)
			return CMAN_ENOMEM;
		p = csv_text_end(p, id);
		*p = '\0';
		if ((size_t)(p - rt->text[g]) > rt->longest)
			rt->longest = (size_t)(p - rt->text[g]);
	}
	return 0;
}

static char *put_text(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static int write_instances(struct cman_sim *sim, const char *path,
			   struct cman_error *err)
{
	static const char head[] = "id,group,market,instance_type,availability_zone,spot,"
				   "bid_price,start_time,join_time,end_time,cost\n";
	struct cman_atomic_file f;
	struct row_texts mt = { 0 }, gt = { 0 };
	struct num_cache nc[2];
	struct time_cache tc[3] = { { -1, 0, "" }, { -1, 0, "" }, { -1, 0, "" } };
	size_t i, room;
	int rc = cman_atomic_open_raw(&f, path, err);

	if (rc)
		return rc;
	if (market_texts(sim, true, &mt) || group_texts(sim, &gt)) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	room = ROW_ROOM(8, mt.longest + gt.longest);
	if (room > CMAN_ATOMIC_ROOM_MAX) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: market or group names too long", path);
		goto out;
	}
	num_cache_init(nc, 2);
	cman_atomic_write(&f, head, sizeof(head) - 1);
	for (i = 0; i < sim->n_inst; i++) {
		const struct sim_instance *in = &sim->inst[i];
		char *p = cman_atomic_room(&f, room);

		sim_format_id(p, (uint32_t)i);
		p += 10;
		*p++ = ',';
		if (in->group != NO_GROUP)
			p = put_text(p, gt.text[in->group]);
		*p++ = ',';
		p = put_text(p, mt.text[in->market]);
		p = put_text(p, in->spot ? "true," : "false,");
		if (in->has_bid)
			p = put_num(p, in->bid, &nc[0]);
		*p++ = ',';
		p = put_time(p, in->start, &tc[0]);
		*p++ = ',';
		if (in->joined)
			p = put_time(p, in->join, &tc[1]);
		*p++ = ',';
		p = put_time(p, in->end, &tc[2]);
		*p++ = ',';
		p = put_num(p, in->cost, &nc[1]);
		*p++ = '\n';
		cman_atomic_advance(&f, p);
	}
	rc = cman_atomic_commit(&f, err);
out:
	cman_atomic_abort(&f);
	row_texts_free(&mt);
	row_texts_free(&gt);
	return rc;
}

static int write_markets(struct cman_sim *sim, const char *path, struct cman_error *err)
{
	static const char head[] = "time,market,instances,cost,spot_price\n";
	struct cman_atomic_file f;
	struct row_texts mt = { 0 };
	struct num_cache *nc = NULL;
	struct time_cache tc = { -1, 0, "" };
	size_t k, i, room;
	int rc = cman_atomic_open_raw(&f, path, err);

	if (rc)
		return rc;
	if (market_texts(sim, false, &mt) ||
	    !(nc = malloc((3 * sim->n_markets + 1) * sizeof(*nc)))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	room = ROW_ROOM(4, mt.longest);
	if (room > CMAN_ATOMIC_ROOM_MAX) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: market names too long", path);
		goto out;
	}
	/* a cache per market and column: rows of one market are n_markets apart */
	num_cache_init(nc, 3 * sim->n_markets);
	cman_atomic_write(&f, head, sizeof(head) - 1);
	for (k = 0; k < sim->n_market_steps; k++) {
		int64_t t = sim->sc->start_time + (int64_t)k * sim->market_step;

		for (i = 0; i < sim->n_markets; i++) {
			const struct sim_market *m = &sim->markets[i];
			char *p;

			if (!m->launched)
				continue;
			p = cman_atomic_room(&f, room);
			p = put_time(p, t, &tc);
			*p++ = ',';
			p = put_text(p, mt.text[i]);
			p = put_num(p, m->h_instances[k], &nc[3 * i]);
			*p++ = ',';
			p = put_num(p, m->ledger.cost[k], &nc[3 * i + 1]);
			*p++ = ',';
			p = put_num(p, m->h_price[k], &nc[3 * i + 2]);
			*p++ = '\n';
			cman_atomic_advance(&f, p);
		}
	}
	rc = cman_atomic_commit(&f, err);
out:
	cman_atomic_abort(&f);
	free(nc);
	row_texts_free(&mt);
	return rc;
}

static int write_groups(struct cman_sim *sim, const char *path, struct cman_error *err)
{
	static const char head[] = "time,group,target_capacity,fulfilled_capacity\n";
	struct cman_atomic_file f;
	struct row_texts gt = { 0 };
	struct num_cache *nc = NULL;
	struct time_cache tc = { -1, 0, "" };
	size_t k, g, room;
	int rc = cman_atomic_open_raw(&f, path, err);

	if (rc)
		return rc;
	if (group_texts(sim, &gt) || !(nc = malloc((2 * sim->n_groups + 1) * sizeof(*nc)))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	room = ROW_ROOM(3, gt.longest);
	if (room > CMAN_ATOMIC_ROOM_MAX) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: group names too long", path);
		goto out;
	}
	num_cache_init(nc, 2 * sim->n_groups);
	cman_atomic_write(&f, head, sizeof(head) - 1);
	for (k = 0; k < sim->ledger.n_steps; k++) {
		for (g = 0; g < sim->n_groups; g++) {
			char *p = cman_atomic_room(&f, room);

			p = put_time(p, sim->sc->start_time + (int64_t)k * sim->sc->step_seconds,
				     &tc);
			*p++ = ',';
			p = put_text(p, gt.text[g]);
			*p++ = ',';
			p = put_num(p, sim->groups[g].step_target[k], &nc[2 * g]);
			*p++ = ',';
			p = put_num(p, sim->groups[g].step_fulfilled[k], &nc[2 * g + 1]);
			*p++ = '\n';
			cman_atomic_advance(&f, p);
		}
	}
	rc = cman_atomic_commit(&f, err);
out:
	cman_atomic_abort(&f);
	free(nc);
	row_texts_free(&gt);
	return rc;
}

static int write_decisions(struct cman_sim *sim, const char *path, struct cman_error *err)
{
	struct cman_atomic_file f;
	int rc;

	if (fflush(sim->decisions) != 0)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	rc = cman_atomic_open_raw(&f, path, err);
	if (rc)
		return rc;
	if (sim->decisions_len)
		cman_atomic_write(&f, sim->decisions_buf, sim->decisions_len);
	rc = cman_atomic_commit(&f, err);
	cman_atomic_abort(&f);
	return rc;
}

/*
 * Every value of summary.json is checked on its way in: a constructor that
 * fails (a number that is not finite, text that is not UTF-8, no memory)
 * must not silently drop a key (issue 9.5).  The first key that failed is
 * kept for the message (cman/jsonout.h).
 */
static void put(struct cman_jout *jb, json_t *obj, const char *key, json_t *v)
{
	cman_jout_set(jb, obj, key, v);
}

static void append(struct cman_jout *jb, json_t *arr, const char *key, json_t *v)
{
	cman_jout_append(jb, arr, key, v);
}

/* A number, or null for a resource without data. */
static json_t *res_real(const struct cman_sim_totals *t, int r, double v)
{
	return t->has_data[r] ? json_real(v) : json_null();
}

/*
 * Every resource (issue 8.3): flat keys for memory, disk and GPUs mirroring
 * the CPU ones (null without data), "resources" with one object per
 * resource, "binding_resource_share" and "shortfall_share".
 */
static void resources_json(const struct cman_sim *sim, json_t *o, struct cman_jout *jb)
{
	static const char *const units[CMAN_RES_COUNT] = { "vCPU", "MiB", "MiB", "GPU" };
	static const char *const hours[CMAN_RES_COUNT] = { "cpu", "mem", "disk", "gpu" };
	const struct cman_sim_totals *t = &sim->totals;
	json_t *res = json_object(), *bind = json_object(), *with = json_array();
	char key[64];
	int r;

	if (!res || !bind || !with) {
		json_decref(res);
		json_decref(bind);
		json_decref(with);
		cman_jout_fail(jb, "resources");
		return;
	}

	for (r = CMAN_RES_MEM; r < CMAN_RES_COUNT; r++) {
		const char *n = cman_resource_name(r);

		snprintf(key, sizeof(key), "mean_%s", n);
		put(jb, o, key, res_real(t, r, t->mean_capacity[r]));
		snprintf(key, sizeof(key), "mean_%s_allocated", n);
		put(jb, o, key, res_real(t, r, t->mean_allocated[r]));
		snprintf(key, sizeof(key), "unused_%s_cost", n);
		put(jb, o, key, res_real(t, r, t->unused_cost[r]));
		snprintf(key, sizeof(key), "unused_%s_cost_share", n);
		put(jb, o, key, res_real(t, r, t->total_cost > 0
						   ? t->unused_cost[r] / t->total_cost : 0));
		snprintf(key, sizeof(key), "oversubscribed_%s_hours", hours[r]);
		put(jb, o, key, res_real(t, r, t->oversubscribed_hours[r]));
	}
	for (r = 0; r < CMAN_RES_COUNT; r++) {
		json_t *x = json_object();

		if (!x) {
			cman_jout_fail(jb, "resources");
			continue;
		}

		if (t->has_data[r])
			append(jb, with, "resources_with_data", json_string(cman_resource_name(r)));
		put(jb, x, "unit", json_string(units[r]));
		put(jb, x, "has_data", json_boolean(t->has_data[r]));
		put(jb, x, "mean_capacity", res_real(t, r, t->mean_capacity[r]));
		put(jb, x, "mean_allocated", res_real(t, r, t->mean_allocated[r]));
		put(jb, x, "running_hours", res_real(t, r, t->running_hours[r]));
		put(jb, x, "unused_cost", res_real(t, r, t->unused_cost[r]));
		put(jb, x, "unused_cost_share",
				    res_real(t, r, t->total_cost > 0
					     ? t->unused_cost[r] / t->total_cost : 0));
		put(jb, x, "oversubscribed_hours",
				    res_real(t, r, t->oversubscribed_hours[r]));
		put(jb, x, "oversubscribed_share",
				    res_real(t, r, t->oversubscribed_share[r]));
		put(jb, x, "binding_share", json_real(t->binding_share[r]));
		put(jb, res, cman_resource_name(r), x);
		put(jb, bind, cman_resource_name(r), json_real(t->binding_share[r]));
	}
	put(jb, bind, "none", json_real(t->binding_share[CMAN_RES_COUNT]));
	put(jb, o, "resources_with_data", with);
	put(jb, o, "resources", res);
	put(jb, o, "binding_resource_share", bind);
	put(jb, o, "shortfall_share", json_real(t->shortfall_share));
}

/* The on-demand prices used: the table, how it was chosen, each market's. */
static json_t *od_prices_json(const struct cman_sim *sim, struct cman_jout *jb)
{
	json_t *o = json_object(), *mk = json_object();
	size_t i;

	if (!o || !mk) {
		json_decref(o);
		json_decref(mk);
		return NULL;
	}
	put(jb, o, "table", sim->price_table_name ? cman_json_text(sim->price_table_name)
						   : json_null());
	put(jb, o, "chosen_by", json_string(sim->price_table_auto
					    ? "the table dated nearest start_time"
					    : "prices.table"));
	put(jb, o, "scenario_prices", json_integer((json_int_t)sim->sc->n_od_prices));
	for (i = 0; i < sim->n_markets; i++) {
		const struct sim_market *m = &sim->markets[i];
		json_t *e;
		char name[128];

		if (!m->launched)
			continue;
		e = json_object();
		cman_market_format(name, sizeof(name), m->type, m->az);
		put(jb, e, "usd_per_hour", json_real(m->ondemand_price));
		put(jb, e, "source", cman_json_text(m->od_source));
		cman_jout_set_text_key(jb, mk, name, e);
	}
	put(jb, o, "markets", mk);
	return o;
}

/* The seconds an instance would be billed on demand: per-hour billing (and
 * aws billing of an hourly type) rounds up to whole hours, aws billing
 * bills at least 60 seconds. */
static double billed_seconds(const struct cman_sim *sim, const struct sim_instance *in)
{
	int64_t s = in->end - in->start;
	enum cman_billing_mode b = sim->sc->billing;

	if (b == CMAN_BILL_PER_HOUR || (b == CMAN_BILL_AWS && sim->markets[in->market].hourly))
		return (double)((s + 3599) / 3600 * 3600);
	if (b == CMAN_BILL_AWS && s < 60)
		return 60;
	return (double)s;
}

/*
 * What the spot instances cost against the same instance-hours on demand,
 * and the market steps in which the spot price of the running spot
 * instances came to more than their on-demand price (merged into periods).
 */
static json_t *spot_vs_od_json(const struct cman_sim *sim, struct cman_jout *jb)
{
	const int64_t t0 = sim->sc->start_time, step = sim->market_step;
	json_t *o = json_object(), *periods = json_array();
	double spot_cost = 0, od_cost = 0, spot_s = 0, extra = 0, hours_above = 0;
	size_t i, k, n_periods = 0, n_steps_above = 0;
	int64_t pstart = -1;
	double pextra = 0;

	if (!o || !periods) {
		json_decref(o);
		json_decref(periods);
		return NULL;
	}
	for (i = 0; i < sim->n_inst; i++) {
		const struct sim_instance *in = &sim->inst[i];
		double s;

		if (!in->spot)
			continue;
		s = billed_seconds(sim, in);
		spot_cost += in->cost;
		spot_s += s;
		od_cost += s * sim->markets[in->market].ondemand_price / 3600.0;
	}
	for (k = 0; k <= sim->n_market_steps; k++) {
		double at_spot = 0, at_od = 0;
		bool above = false;

		for (i = 0; k < sim->n_market_steps && i < sim->n_markets; i++) {
			const struct sim_market *m = &sim->markets[i];

			at_spot += m->h_spot_at_price[k];
			at_od += m->h_spot_seconds[k] * m->ondemand_price / 3600.0;
		}
		if (k < sim->n_market_steps && at_spot > at_od * (1 + 1e-12) && at_spot > 0) {
			above = true;
			n_steps_above++;
			extra += at_spot - at_od;
			hours_above += (double)step / 3600.0;
		}
		if (above && pstart < 0) {
			pstart = t0 + (int64_t)k * step;
			pextra = 0;
		}
		if (above)
			pextra += at_spot - at_od;
		if (!above && pstart >= 0) {
			int64_t pend = t0 + (int64_t)k * step;
			json_t *e;

			if (pend > sim->sc->end_time)
				pend = sim->sc->end_time;
			if (n_periods++ < 50) {
				e = json_object();
				put(jb, e, "start", json_integer(pstart));
				put(jb, e, "end", json_integer(pend));
				put(jb, e, "extra_cost", json_real(pextra));
				append(jb, periods, "periods", e);
			}
			pstart = -1;
		}
	}
	put(jb, o, "spot_cost", json_real(spot_cost));
	put(jb, o, "on_demand_cost", json_real(od_cost));
	put(jb, o, "savings", json_real(od_cost - spot_cost));
	put(jb, o, "savings_share",
	    json_real(od_cost > 0 ? (od_cost - spot_cost) / od_cost : 0));
	put(jb, o, "spot_instance_hours", json_real(spot_s / 3600.0));
	put(jb, o, "step_seconds", json_integer(step));
	put(jb, o, "hours_spot_above_on_demand", json_real(hours_above));
	put(jb, o, "steps_spot_above_on_demand", json_integer((json_int_t)n_steps_above));
	put(jb, o, "extra_cost_above_on_demand", json_real(extra));
	put(jb, o, "periods_above_on_demand", json_integer((json_int_t)n_periods));
	put(jb, o, "periods", periods);
	return o;
}

static json_t *summary_json(struct cman_sim *sim, double wall_seconds, struct cman_error *err)
{
	struct cman_jout jb = { "" };
	const struct cman_scenario *sc = sim->sc;
	const struct cman_sim_totals *t = &sim->totals;
	json_t *o = json_object(), *w = json_array(), *bym = json_object();
	uint64_t running_at_end = 0;
	size_t i;

	if (!o || !w || !bym) {
		json_decref(o);
		json_decref(w);
		json_decref(bym);
		cman_error_set(err, CMAN_ENOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < sim->n_inst; i++)
		if (sim->inst[i].end == sc->end_time)
			running_at_end++;
	put(&jb, o, "name", json_string(sc->name));
	put(&jb, o, "run_id", json_string(sim->run_id));
	put(&jb, o, "scenario_hash", json_string(sc->hash_hex));
	put(&jb, o, "cluster", json_string(sc->cluster));
	put(&jb, o, "pool", json_string(sc->pool));
	put(&jb, o, "scheduler", json_string(sc->scheduler));
	put(&jb, o, "mode", json_string(sc->has_pool_config ? "autoscaler" : "replay"));
	put(&jb, o, "start_time", json_integer(sc->start_time));
	put(&jb, o, "end_time", json_integer(sc->end_time));
	put(&jb, o, "seed", json_integer((json_int_t)sc->seed));
	put(&jb, o, "billing", json_string(sc->billing == CMAN_BILL_PER_HOUR ? "per-hour"
						     : sc->billing == CMAN_BILL_AWS ? "aws"
						     : "per-second"));
	put(&jb, o, "refund_outbid", json_boolean(sc->refund_outbid));
	put(&jb, o, "discount", json_real(sc->discount));
	put(&jb, o, "step_seconds", json_integer(sc->step_seconds));
	put(&jb, o, "total_cost", json_real(t->total_cost));
	put(&jb, o, "unused_cpus_cost", json_real(t->unused_cpus_cost));
	put(&jb, o, "unused_cpus_cost_share",
	    json_real(t->total_cost > 0 ? t->unused_cpus_cost / t->total_cost : 0));
	put(&jb, o, "cost_per_cpu_hour",
	    json_real(t->running_cpu_hours > 0
				      ? t->total_cost / t->running_cpu_hours : 0));
	put(&jb, o, "mean_cpus", json_real(t->mean_cpus));
	put(&jb, o, "peak_cpus", json_real(t->peak_cpus));
	put(&jb, o, "mean_cpus_allocated", json_real(t->mean_cpus_allocated));
	put(&jb, o, "running_cpu_hours", json_real(t->running_cpu_hours));
	put(&jb, o, "oversubscribed_cpu_hours", json_real(t->oversubscribed_cpu_hours));
	put(&jb, o, "instances_launched", json_integer((json_int_t)t->instances_launched));
	put(&jb, o, "instances_terminated",
	    json_integer((json_int_t)t->instances_terminated));
	put(&jb, o, "instances_running_at_end", json_integer((json_int_t)running_at_end));
	put(&jb, o, "instances_interrupted",
	    json_integer((json_int_t)t->instances_interrupted));
	put(&jb, o, "autoscaler_runs", json_integer((json_int_t)t->autoscaler_runs));
	put(&jb, o, "events_processed", json_integer((json_int_t)t->events_processed));
	for (i = 0; i < sim->n_markets; i++) {
		const struct sim_market *m = &sim->markets[i];
		char mk[128];

		if (!m->launched)
			continue;
		cman_market_format(mk, sizeof(mk), m->type, m->az);
		cman_jout_set_text_key(&jb, bym, mk, json_real(m->cost));
	}
	put(&jb, o, "cost_by_market", bym);
	resources_json(sim, o, &jb);
	put(&jb, o, "on_demand_prices", od_prices_json(sim, &jb));
	put(&jb, o, "spot_vs_on_demand", spot_vs_od_json(sim, &jb));
	if (sim->autoscaling) {
		const struct cman_pool_config *pc = &sc->pool_config;
		json_t *pol = json_object();

		if (!pol) {
			json_decref(o);
			json_decref(w);
			cman_error_set(err, CMAN_ENOMEM, "out of memory");
			return NULL;
		}
		put(&jb, pol, "setpoint", json_real(pc->setpoint));
		put(&jb, pol, "target_capacity_margin", json_real(pc->target_capacity_margin));
		put(&jb, pol, "signal", json_string(pc->has_signal ? pc->signal.name
										: "default"));
		put(&jb, pol, "period_minutes",
		    json_integer((json_int_t)(autoscale_period_of(sim) / 60)));
		put(&jb, pol, "resource_groups", json_integer((json_int_t)sim->n_groups));
		put(&jb, o, "policy", pol);
	}
	sim_check_json(sim, o, &jb);
	put(&jb, o, "wall_seconds", json_real(wall_seconds));
	for (i = 0; i < sim->n_warnings; i++)
		append(&jb, w, "warnings", cman_json_text(sim->warnings[i]));
	put(&jb, o, "warnings", w);
	if (cman_jout_check(&jb, "summary.json", err)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int write_summary(struct cman_sim *sim, const char *path, double wall_seconds,
			 struct cman_error *err)
{
	struct cman_atomic_file f;
	json_t *o = summary_json(sim, wall_seconds, err);
	int rc;

	if (!o)
		return err ? err->code : CMAN_ENOMEM;
	rc = cman_atomic_open(&f, path, err);
	if (!rc) {
		if (json_dumpf(o, f.fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
			       JSON_REAL_PRECISION(12)) != 0)
			fputc('\0', f.fp);   /* unreachable in practice; commit reports */
		fputc('\n', f.fp);
		rc = cman_atomic_commit(&f, err);
		cman_atomic_abort(&f);
	}
	json_decref(o);
	return rc;
}

/* scenario.yaml: a comment saying what it is, then the effective scenario
 * (whose bytes scenario_hash covers). */
static int write_scenario(struct cman_sim *sim, const char *path, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	struct cman_atomic_file f;
	char *abs = realpath(sc->path, NULL);
	int rc = cman_atomic_open(&f, path, err);

	if (!rc) {
		fprintf(f.fp,
			"# The effective scenario of this run: %s after its --set\n"
			"# overrides and --seed, output.dir left out.  Relative paths are\n"
			"# relative to that file's folder.  scenario_hash %s is the first 12\n"
			"# hex digits of the FNV-1a 64 of the lines below this comment.\n",
			abs ? abs : sc->path, sc->hash_hex);
		fputs(sc->effective_yaml, f.fp);
		rc = cman_atomic_commit(&f, err);
		cman_atomic_abort(&f);
	}
	free(abs);
	return rc;
}

/* The run id: FNV-1a 64 over the scenario hash and the name and FNV-1a 64
 * of each data file (so equal ids mean equal data). */
static int run_id(const char *dir, const char *scenario_hash, const char *const *files,
		  char *out, struct cman_error *err)
{
	uint64_t h = cman_fnv1a64(CMAN_FNV1A64_INIT, scenario_hash, strlen(scenario_hash));
	char path[4096];
	size_t i;

	for (i = 0; files[i]; i++) {
		uint64_t fh, bytes;
		int rc;

		cman_path_join(path, sizeof(path), dir, files[i]);
		rc = cman_fnv1a64_file(path, &fh, &bytes, err);
		if (rc)
			return rc;
		h = cman_fnv1a64(h, files[i], strlen(files[i]) + 1);
		h = cman_fnv1a64(h, &fh, sizeof(fh));
	}
	snprintf(out, CMAN_RUN_ID_LEN + 1, "%016llx", (unsigned long long)h);
	return 0;
}

/* ---- the same tables for the reports, from memory --------------------------- */

static double *column(size_t n)
{
	return malloc((n ? n : 1) * sizeof(double));
}

/*
 * cman_csv_round with its last argument remembered: a column repeats its
 * value from step to step (capacity between changes, cost between price
 * changes), and rounding is most of the cost of these tables.  Equal
 * arguments have equal roundings (0 and -0 both round to 0); NaN is never
 * equal, so it is rounded (kept) each time.
 */
struct round_memo {
	double v, r;
};

static inline double round_memo(struct round_memo *m, double v)
{
	if (v != m->v) {
		m->v = v;
		m->r = cman_csv_round(v);
	}
	return m->r;
}

/*
 * The timeseries tables (issue 12): every writer of timeseries.csv
 * (ts_open: the thread and the main thread's takeover, the writer at the
 * end, the inline test mode) fills their columns as it formats each number,
 * from row 0, and tells when it has done the last row (filled); the
 * reports then take the arrays (tables_take), once.  A writer that begins
 * again fills the same arrays, or new ones if taken.  mu guards the arrays'
 * pointers and filled; the numbers are written by one writer at a time,
 * and read only once filled (under mu).
 */
struct sim_tables {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct cman_report_tables t;   /* n, col, rcol, binding only */
	bool filled;
};

int cman_sim_keep_tables(struct cman_sim *sim, struct cman_error *err)
{
	struct sim_tables *st;

	if (sim->tables)
		return 0;
	if (sim->ts || sim->next_step || sim->finished)
		return cman_error_set(err, CMAN_EINTERNAL, "the run has begun");
	st = calloc(1, sizeof(*st));
	if (!st)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	if (pthread_mutex_init(&st->mu, NULL) != 0) {
		free(st);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	if (pthread_cond_init(&st->cv, NULL) != 0) {
		pthread_mutex_destroy(&st->mu);
		free(st);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	sim->tables = st;
	return 0;
}

void sim_tables_free(struct cman_sim *sim)
{
	struct sim_tables *st = sim->tables;

	if (!st)
		return;
	cman_report_tables_release(&st->t);
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->mu);
	free(st);
	sim->tables = NULL;
}

/* A writer begins: the arrays (made if missing or taken) into *view, to
 * fill from row 0. */
static int tables_begin(const struct cman_sim *sim, struct cman_report_tables *view,
			struct cman_error *err)
{
	struct sim_tables *st = sim->tables;
	struct cman_report_tables *t = &st->t;
	size_t n = sim->ledger.n_steps, sz = (n ? n : 1) * sizeof(double);
	int c, r, rc = 0;

	pthread_mutex_lock(&st->mu);
	st->filled = false;
	if (!t->binding) {
		t->n = n;
		for (c = 0; c < 9; c++)
			if (!(t->col[c] = malloc(sz)))
				goto nomem;
		for (r = CMAN_RES_MEM; r < CMAN_RES_COUNT; r++)
			for (c = 0; c < 4 && sim->any_res_data && sim->res_data[r]; c++)
				if (!(t->rcol[r][c] = malloc(sz)))
					goto nomem;
		if (!(t->binding = malloc(n ? n : 1)))
			goto nomem;
	}
	*view = *t;
	goto out;
nomem:
	cman_report_tables_release(t);
	rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
out:
	pthread_mutex_unlock(&st->mu);
	return rc;
}

/* The writer has done the last row. */
static void tables_filled(const struct cman_sim *sim)
{
	struct sim_tables *st = sim->tables;

	pthread_mutex_lock(&st->mu);
	st->filled = true;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

/*
 * The filled timeseries tables into t's n, col, rcol and binding (the rest
 * of t untouched): waiting for the writer unless *stop (read under mu; a
 * caller sets it with tables_stop).  CMAN_EINTERNAL when none are kept or
 * none were filled.
 */
static int tables_take(const struct cman_sim *sim, struct cman_report_tables *t,
		       const bool *stop, struct cman_error *err)
{
	struct sim_tables *st = sim->tables;
	int r, rc = 0;

	if (!st)
		return cman_error_set(err, CMAN_EINTERNAL, "the run kept no report tables");
	pthread_mutex_lock(&st->mu);
	while (!st->filled && !*stop)
		pthread_cond_wait(&st->cv, &st->mu);
	if (st->filled) {
		t->n = st->t.n;
		memcpy(t->col, st->t.col, sizeof(t->col));
		for (r = 0; r < CMAN_RES_COUNT; r++)
			memcpy(t->rcol[r], st->t.rcol[r], sizeof(t->rcol[r]));
		t->binding = st->t.binding;
		memset(&st->t, 0, sizeof(st->t));
		st->filled = false;
	} else {
		rc = cman_error_set(err, CMAN_EINTERNAL, "timeseries.csv was not written");
	}
	pthread_mutex_unlock(&st->mu);
	return rc;
}

/* No writer will fill the tables for whoever waits with stop. */
static void tables_stop(const struct cman_sim *sim, bool *stop)
{
	struct sim_tables *st = sim->tables;

	if (!st) {
		*stop = true;
		return;
	}
	pthread_mutex_lock(&st->mu);
	*stop = true;
	pthread_cond_broadcast(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

/* markets.csv's and instances.csv's tables into t (all else zero), as
 * write_markets and write_instances write them: the markets with
 * launches, a row each per market step. */
static int market_tables(const struct cman_sim *sim, struct cman_report_tables *t,
			 struct cman_error *err)
{
	size_t k, m, nm = 0;
	struct round_memo mmemo[3];
	int c;

	memset(t, 0, sizeof(*t));
	for (m = 0; m < sim->n_markets; m++)
		nm += sim->markets[m].launched > 0;
	t->mt_start = sim->sc->start_time;
	t->mt_step = sim->market_step;
	t->n_mt = nm ? sim->n_market_steps : 0;
	if (!(t->market_names = calloc(nm ? nm : 1, sizeof(char *))) ||
	    !(t->launched = calloc(nm ? nm : 1, sizeof(long long))) ||
	    !(t->m_inst = column(t->n_mt * nm)) || !(t->m_cost = column(t->n_mt * nm)) ||
	    !(t->m_price = column(t->n_mt * nm)))
		goto nomem;
	for (m = 0; m < sim->n_markets; m++) {
		const struct sim_market *mk = &sim->markets[m];
		char name[128];
		size_t j = t->n_markets;

		if (!mk->launched)
			continue;
		cman_market_format(name, sizeof(name), mk->type, mk->az);
		if (!(t->market_names[j] = strdup(name)))
			goto nomem;
		t->launched[j] = (long long)mk->launched;
		for (c = 0; c < 3; c++)
			mmemo[c].v = mmemo[c].r = NAN;
		for (k = 0; k < t->n_mt; k++) {
			t->m_inst[k * nm + j] = round_memo(&mmemo[0], mk->h_instances[k]);
			t->m_cost[k * nm + j] = round_memo(&mmemo[1], mk->ledger.cost[k]);
			t->m_price[k * nm + j] = round_memo(&mmemo[2], mk->h_price[k]);
		}
		t->n_markets++;
	}
	return 0;
nomem:
	cman_report_tables_release(t);
	return cman_error_set(err, CMAN_ENOMEM, "out of memory");
}

/* The run's tables into t: the markets', then the timeseries' as the
 * writer filled them (waiting for it unless *stop). */
static int report_tables(const struct cman_sim *sim, struct cman_report_tables *t,
			 const bool *stop, struct cman_error *err)
{
	int rc = market_tables(sim, t, err);

	if (!rc && (rc = tables_take(sim, t, stop, err)) != 0)
		cman_report_tables_release(t);
	return rc;
}

int cman_sim_report_tables(const struct cman_sim *sim, struct cman_report_tables *t,
			   struct cman_error *err)
{
	static const bool now = true;

	return report_tables(sim, t, &now, err);
}

/* ---- the reports beside the run's files (issue 12) ------------------------ */

/* Runs of at least this many steps make their reports on two threads (a
 * year of minutes: 525,600; a week of minutes: 10,080, too little to
 * split); runs shorter than the second make them after the files, on the
 * calling thread, as do processes allowed one CPU.  Variables for the
 * tests (sim_int.h). */
size_t sim_report_split_steps = 100000;
size_t sim_report_thread_steps = 2000;
bool sim_report_check_cpus = true;

struct cman_sim_reports {
	const struct cman_sim *sim;
	unsigned what;
	bool split, threaded, made;
	bool stop;   /* no more writers of the tables (under their mu) */
	pthread_t th;
	struct cman_report_prep *prep;
	int rc;
	struct cman_error err;
};

static void reports_make(struct cman_sim_reports *r)
{
	const struct cman_scenario *sc = r->sim->sc;
	struct cman_report_tables t;

	/* the markets' tables, then the timeseries' once their writer has
	 * done (the thread started before cman_sim_write_outputs took the
	 * rows over: it waits for that, usually a chunk of rows) */
	r->rc = report_tables(r->sim, &t, &r->stop, &r->err);
	if (!r->rc)
		r->rc = cman_report_prepare(&r->prep, &t, sc->start_time, sc->end_time,
					    sc->step_seconds, r->what, r->split, &r->err);
	r->made = true;
}

static void *reports_thread(void *arg)
{
	reports_make(arg);
	return NULL;
}

int cman_sim_reports_start(const struct cman_sim *sim, unsigned what,
			   struct cman_sim_reports **out, struct cman_error *err)
{
	struct cman_sim_reports *r;

	*out = NULL;
	if (!sim->finished)
		return cman_error_set(err, CMAN_EINTERNAL, "the run has not finished");
	if (!sim->tables)
		return cman_error_set(err, CMAN_EINTERNAL, "the run kept no report tables");
	r = calloc(1, sizeof(*r));
	if (!r)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	r->sim = sim;
	r->what = what;
	*out = r;
	/* a process allowed one CPU makes them on its own thread, as it
	 * writes its files (cman/fsutil.h) */
	if (sim_report_check_cpus && cman_one_cpu())
		return 0;
	r->split = sim->ledger.n_steps >= sim_report_split_steps;
	/* when the thread cannot start, cman_sim_reports_finish makes them */
	if (sim->ledger.n_steps >= sim_report_thread_steps &&
	    cman_thread_start(&r->th, 0, reports_thread, r) == 0)
		r->threaded = true;
	return 0;
}

int cman_sim_reports_finish(struct cman_sim_reports *r, const char *dir,
			    struct cman_error *err)
{
	int rc = 0;

	if (!r)
		return 0;
	/* the files are written (or failed): the tables are filled by now, or
	 * never will be */
	tables_stop(r->sim, &r->stop);
	if (r->threaded)
		pthread_join(r->th, NULL);
	else if (dir)
		reports_make(r);
	if (dir && r->rc) {
		rc = r->rc;
		if (err)
			*err = r->err;
	} else if (dir) {
		rc = cman_report_write_prepared(dir, r->prep, err);
		r->prep = NULL;
	}
	cman_report_prep_free(r->prep);
	free(r);
	return rc;
}

int cman_sim_write_outputs(struct cman_sim *sim, const char *dir,
			   double wall_seconds, struct cman_error *err)
{
	static const char *const replay_files[] = {
		"timeseries.csv", "instances.csv", "markets.csv", NULL,
	};
	static const char *const autoscaler_files[] = {
		"timeseries.csv", "instances.csv", "markets.csv", "groups.csv",
		"decisions.jsonl", NULL,
	};
	char path[4096];
	bool ts_here = !sim->ts || strcmp(sim->ts->dir, dir) != 0;
	int rc;

	if (!sim->finished) {
		sim_ts_stop(sim);
		return cman_error_set(err, CMAN_EINTERNAL, "the run has not finished");
	}
	if (ts_here)
		sim_ts_stop(sim);   /* (started for another folder) */
	if (ts_here && sim->rows_recycle)
		return cman_error_set(err, CMAN_EINTERNAL, "the run kept no per-step records "
				      "(cman_sim_stream_steps, cman_sim_totals_only)");
	rc = cman_mkdirs(dir, err);
	if (!rc && cman_path_join(path, sizeof(path), dir, "timeseries.csv"))
		rc = cman_error_set(err, CMAN_EINVAL, "%s: path too long", dir);
	if (!rc && ts_here)
		rc = write_timeseries(sim, path, err);
	else if (!rc)   /* every row is final: the thread goes on meanwhile */
		ts_tell(sim->ts, sim->ledger.n_steps);
	if (!rc) {
		cman_path_join(path, sizeof(path), dir, "instances.csv");
		rc = write_instances(sim, path, err);
	}
	if (!rc) {
		cman_path_join(path, sizeof(path), dir, "markets.csv");
		rc = write_markets(sim, path, err);
	}
	if (!rc && sim->autoscaling) {
		cman_path_join(path, sizeof(path), dir, "groups.csv");
		rc = write_groups(sim, path, err);
		if (!rc) {
			cman_path_join(path, sizeof(path), dir, "decisions.jsonl");
			rc = write_decisions(sim, path, err);
		}
	}
	/* timeseries.csv committed (or not), then the run id hashes it */
	if (rc)
		sim_ts_stop(sim);
	else
		rc = ts_end(sim, true, err);
	if (rc)
		return rc;
	rc = run_id(dir, sim->sc->hash_hex, sim->autoscaling ? autoscaler_files : replay_files,
		    sim->run_id, err);
	if (rc)
		return rc;
	cman_path_join(path, sizeof(path), dir, "scenario.yaml");
	rc = write_scenario(sim, path, err);
	if (rc)
		return rc;
	cman_path_join(path, sizeof(path), dir, "summary.json");
	rc = write_summary(sim, path, wall_seconds, err);
	if (rc)
		return rc;
	return cman_manifest_write(dir, sim->run_id, err);
}
