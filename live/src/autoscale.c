/*
 * autoscale.c - one live autoscaler cycle of a pool (see autoscale.h).
 */
#include "cman/live/autoscale.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cman/live/daemon.h"
#include "cman/time.h"

/* ---- the cycle's clock ----------------------------------------------------------- */

static int64_t cycle_now(const struct cman_clock *clk)
{
	const struct cman_live_autoscaler *a = (const struct cman_live_autoscaler *)
		((const char *)clk - offsetof(struct cman_live_autoscaler, clock));

	return a->now;
}

static const struct cman_clock_ops cycle_clock_ops = { .now = cycle_now };

/* ---- one signal answer for both configurations (shadow mode) --------------------- */

/* Evaluates the wrapped signal once per now and gives the same answer (or
 * failure) to every caller at that now: the candidate configuration and
 * production decide on one answer. */
struct memo_signal {
	struct cman_signal base;
	struct cman_signal *inner;      /* borrowed */
	bool have;
	int64_t t;
	int rc;
	struct cman_request req;
	char msg[CMAN_ERRMSG_MAX];
};

static int memo_evaluate(struct cman_signal *s, const struct cman_signal_input *in,
			 struct cman_request *out, struct cman_error *err)
{
	struct memo_signal *m = (struct memo_signal *)s;
	struct cman_error e = { 0 };

	if (!m->have || m->t != in->now) {
		m->rc = cman_signal_evaluate(m->inner, in, &m->req, &e);
		m->t = in->now;
		m->have = true;
		snprintf(m->msg, sizeof(m->msg), "%s", e.msg);
		s->skipped = m->inner->skipped;
	}
	if (m->rc)
		return cman_error_set(err, m->rc, "%s", m->msg);
	*out = m->req;
	return 0;
}

static void memo_free(struct cman_signal *s)
{
	free(s);
}

static const struct cman_signal_ops memo_ops = {
	.kind = "memo",
	.evaluate = memo_evaluate,
	.free = memo_free,
};

static struct cman_signal *memo_new(struct cman_signal *inner)
{
	struct memo_signal *m;

	if (!inner)
		return NULL;
	if (!(m = calloc(1, sizeof(*m))))
		return NULL;
	m->base.ops = &memo_ops;
	m->base.cfg = inner->cfg;
	snprintf(m->base.name, sizeof(m->base.name), "%s", inner->name);
	m->inner = inner;
	return &m->base;
}

/* ---- history that is read, never written (dry runs, the candidate) ------------------- */

/* The pool's metadata as history for a run that must not record anything:
 * reads go to the store, writes are dropped (a dry run's would-be target is
 * not the pool's target), state items cannot be changed. */
struct ro_store {
	struct cman_store base;
	struct cman_store *inner;      /* borrowed */
};

static struct cman_store *inner_of(struct cman_store *st)
{
	return ((struct ro_store *)st)->inner;
}

static int ro_keys(struct cman_store *st, enum cman_metric_kind kind, const char *prefix,
		   cman_key_cb cb, void *ctx, struct cman_error *err)
{
	return cman_store_keys(inner_of(st), kind, prefix, cb, ctx, err);
}

static int ro_open_cursor(struct cman_store *st, enum cman_metric_kind kind, const char *key,
			  int64_t t0, int64_t t1, unsigned flags, struct cman_cursor **out,
			  struct cman_error *err)
{
	/* the inner store's cursor: next and close go to its own table */
	return cman_store_open_cursor(inner_of(st), kind, key, t0, t1, flags, out, err);
}

static int ro_write(struct cman_store *st, enum cman_metric_kind kind, const char *key,
		    const struct cman_sample *s, struct cman_error *err)
{
	(void)st, (void)kind, (void)key, (void)s, (void)err;
	return 0;
}

static int ro_tx(struct cman_store *st, struct cman_error *err)
{
	(void)st, (void)err;
	return 0;
}

static void ro_rollback(struct cman_store *st)
{
	(void)st;
}

static void ro_free(struct cman_store *st)
{
	free(st);
}

static int ro_state_get(struct cman_store *st, enum cman_state_kind kind, const char *entity,
			struct cman_state_item *out, struct cman_error *err)
{
	return cman_store_state_get(inner_of(st), kind, entity, out, err);
}

static const struct cman_store_ops ro_ops = {
	.name = "read-only",
	.keys = ro_keys,
	.open_cursor = ro_open_cursor,
	.write = ro_write,
	.begin = ro_tx,
	.commit = ro_tx,
	.rollback = ro_rollback,
	.free = ro_free,
	.state_get = ro_state_get,
};

static struct cman_store *ro_new(struct cman_store *inner)
{
	struct ro_store *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->base.ops = &ro_ops;
	snprintf(r->base.name, sizeof(r->base.name), "%s", inner->name);
	r->inner = inner;
	return &r->base;
}

/* ---- set-up ---------------------------------------------------------------------- */

void cman_live_autoscaler_opts_init(struct cman_live_autoscaler_opts *o)
{
	memset(o, 0, sizeof(*o));
}

int cman_live_autoscaler_init(struct cman_live_autoscaler *a, struct cman_live_pool *lp,
			      const struct cman_live_autoscaler_opts *o,
			      struct cman_error *err)
{
	struct cman_live_pool *sh = o->shadow;

	memset(a, 0, sizeof(*a));
	if (!lp->default_signal)
		return cman_error_set(err, CMAN_EINVAL, "pool %s was opened without signals: "
				      "it cannot be autoscaled", lp->entity);
	a->lp = lp;
	a->shadow = sh;
	a->execute = o->execute;
	a->decisions = o->decisions;
	a->clock.ops = &cycle_clock_ops;
	a->base_offset = lp->pf.config.capacity_offset;
	lp->as.clock = &a->clock;
	lp->pm.clock = &a->clock;
	cman_live_pool_set_dry_run(lp, !a->execute);
	cman_pool_runner_init(&a->runner, &lp->as, lp->period_seconds);
	a->runner.dry_run = !a->execute;
	a->runner.live_record = true;
	a->runner.no_reload = true;     /* the cycle reloads (once, for both) */
	a->stats.last_fulfilled = NAN;
	if (!(a->readonly = ro_new(lp->store)))
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	/* a dry run reads the pool's history and writes none */
	lp->as.history = a->execute ? lp->store : a->readonly;
	if (!sh)
		return 0;
	/* the candidate: production's groups, scheduler view, store and signal
	 * answers; a dry run; no metadata written (no history) */
	a->shadow_base_offset = sh->pf.config.capacity_offset;
	a->memo_signal = memo_new(lp->signal);
	a->memo_default = memo_new(lp->default_signal);
	if ((lp->signal && !a->memo_signal) || !a->memo_default) {
		cman_live_autoscaler_release(a);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	lp->as.signal = a->memo_signal;
	lp->as.default_signal = a->memo_default;
	sh->as.signal = a->memo_signal;
	sh->as.default_signal = a->memo_default;
	sh->as.stores = &lp->store;
	sh->as.n_stores = 1;
	sh->as.history = a->readonly;
	sh->as.clock = &a->clock;
	sh->as.cluster = lp->as.cluster;
	sh->as.pool = lp->as.pool;
	sh->as.scheduler = lp->as.scheduler;
	sh->pm.clock = &a->clock;
	sh->pm.conn = lp->conn;
	cman_live_pool_set_dry_run(sh, true);
	cman_decision_init(&a->shadow_decision);
	return 0;
}

void cman_live_autoscaler_release(struct cman_live_autoscaler *a)
{
	if (a->lp) {
		a->lp->pf.config.capacity_offset = a->base_offset;
		a->lp->as.signal = a->lp->signal;
		a->lp->as.default_signal = a->lp->default_signal;
	}
	if (a->shadow) {
		a->shadow->pf.config.capacity_offset = a->shadow_base_offset;
		a->shadow->as.signal = NULL;
		a->shadow->as.default_signal = NULL;
	}
	if (a->lp)
		a->lp->as.history = a->lp->store;
	cman_store_free(a->readonly);
	a->readonly = NULL;
	cman_signal_free(a->memo_signal);
	cman_signal_free(a->memo_default);
	a->memo_signal = a->memo_default = NULL;
	cman_pool_runner_release(&a->runner);
	cman_decision_release(&a->shadow_decision);
	free(a->line);
	a->line = NULL;
}

/* ---- the decision line ----------------------------------------------------------- */

static int put(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* What every line of this autoscaler says besides the decision. */
static int put_common(const struct cman_live_autoscaler *a, const struct cman_live_pool *p,
		      json_t *o, bool shadow, double offset, const char *offset_error)
{
	int bad = 0;

	bad |= put(o, "pool", json_string(a->lp->entity));
	bad |= put(o, "signal_source", json_string(cman_live_signal_source_name(
						      a->lp->signal_source)));
	bad |= put(o, "signal_fallback", str_or_null(a->lp->signal_fallback));
	bad |= put(o, "capacity_offset", isfinite(offset) ? json_real(offset) : json_null());
	bad |= put(o, "capacity_offset_error", str_or_null(offset_error));
	bad |= put(o, "shadow", json_boolean(shadow));
	if (shadow)
		bad |= put(o, "pool_file", json_string(p->pf.path));
	return bad;
}

static int emit(struct cman_live_autoscaler *a, json_t *o)
{
	int rc = 0;

	if (!o)
		return CMAN_ENOMEM;
	if (a->decisions &&
	    (json_dumpf(o, a->decisions, JSON_PRESERVE_ORDER | JSON_COMPACT |
			JSON_REAL_PRECISION(12)) != 0 ||
	     fputc('\n', a->decisions) == EOF || fflush(a->decisions) != 0))
		rc = CMAN_EIO;
	json_decref(o);
	return rc;
}

/* The daemon's name for the kind of failure code (daemon.h): throttling,
 * 5xx, timeout or other. */
static const char *kind_of(int code, long http_status)
{
	struct cman_error e = { 0 };

	e.code = code;
	e.remote.http_status = http_status;
	return cman_daemon_err_kind_name(cman_daemon_error_kind(&e));
}

/* error_kind beside each group's error: null, or the failure's kind. */
static int put_group_kinds(const struct cman_decision *d, json_t *o)
{
	json_t *groups = json_object_get(o, "groups");
	int bad = 0;

	for (size_t i = 0; groups && i < d->n_groups; i++) {
		const struct cman_group_result *g = &d->groups[i];
		json_t *go = json_object_get(groups, cman_decision_str(d, g->id));

		if (go)
			bad |= put(go, "error_kind", g->rc ? json_string(kind_of(g->rc, 0))
							   : json_null());
	}
	return bad;
}

/* Whether decision d had no load data: the pool was not paused and the
 * signal requested no resource at all. */
static bool no_load_data(const struct cman_decision *d)
{
	if (d->paused)
		return false;
	for (int r = 0; r < CMAN_RES_COUNT; r++)
		if (d->request.has[r])
			return false;
	return true;
}

/* The message for a cycle without load data, into buf. */
static void no_load_message(const struct cman_live_pool *p, const struct cman_decision *d,
			    char *buf, size_t n)
{
	int k = snprintf(buf, n, "no load data: the signal '%s' requested nothing (no metric "
			 "sample in its window: an empty or missing store, or no collector "
			 "writing it?); the target is kept at %.12g",
			 d->signal[0] ? d->signal : p->signal_name, d->current_target);

	/* a kept target outside the scaling limits is still moved into them */
	if (k > 0 && (size_t)k < n && d->new_target != d->current_target)
		snprintf(buf + k, n - (size_t)k, ", and the scaling limits make it %.12g",
			 d->new_target);
}

/* The line's "warnings" (an empty list when none). */
static json_t *warnings_of(const struct cman_live_pool *p, const struct cman_decision *d)
{
	json_t *w = json_array();
	char msg[512];

	if (w && d && no_load_data(d)) {
		no_load_message(p, d, msg, sizeof(msg));
		if (json_array_append_new(w, json_pack("{s:s, s:s}", "kind", "no_load_data",
						       "message", msg))) {
			json_decref(w);
			return NULL;
		}
	}
	return w;
}

/* The decision d as its live line plus the common keys. */
static int write_decision(struct cman_live_autoscaler *a, const struct cman_live_pool *p,
			  const struct cman_decision *d, bool shadow, double offset,
			  const char *offset_error)
{
	FILE *ms;
	json_t *o;
	int rc;

	if (!a->decisions)
		return 0;
	free(a->line);   /* open_memstream() makes a new buffer each time */
	a->line = NULL;
	a->line_len = 0;
	if (!(ms = open_memstream(&a->line, &a->line_len)))
		return CMAN_ENOMEM;
	rc = cman_decision_write_json_live(d, ms);
	if (fclose(ms) != 0 && !rc)
		rc = CMAN_EIO;
	if (rc)
		return rc;
	if (!(o = json_loadb(a->line, a->line_len, 0, NULL)))
		return CMAN_EINTERNAL;
	if (put_group_kinds(d, o) || put_common(a, p, o, shadow, offset, offset_error) ||
	    put(o, "warnings", warnings_of(p, d))) {
		json_decref(o);
		return CMAN_ENOMEM;
	}
	return emit(a, o);
}

/* A cycle that left no decision. */
static int write_failure(struct cman_live_autoscaler *a, const struct cman_live_pool *p,
			 int64_t now, bool shadow, double offset, const char *offset_error,
			 const struct cman_error *err)
{
	json_t *o;

	if (!a->decisions)
		return 0;
	if (!(o = json_object()))
		return CMAN_ENOMEM;
	if (put(o, "time", json_integer(now)) ||
	    put(o, "failed", json_true()) ||
	    put(o, "error", json_string(err->msg[0] ? err->msg : cman_strerror(err->code))) ||
	    put(o, "error_kind", json_string(kind_of(err->code, err->remote.http_status))) ||
	    put(o, "dry_run", json_boolean(shadow || !a->execute)) ||
	    put_common(a, p, o, shadow, offset, offset_error) ||
	    put(o, "warnings", warnings_of(p, NULL))) {
		json_decref(o);
		return CMAN_ENOMEM;
	}
	return emit(a, o);
}

/* ---- the cycle ------------------------------------------------------------------- */

/* The candidate on the snapshot just read, before production changes it. */
static void shadow_cycle(struct cman_live_autoscaler *a, bool paused, double offset,
			 const char *offset_error)
{
	struct cman_live_pool *lp = a->lp, *sh = a->shadow;
	struct cman_decision *d = &a->shadow_decision;
	struct cman_error e = { 0 };
	char when[CMAN_TIME_BUFSZ];
	int rc, wrc;

	sh->pm.groups = lp->rgs;
	sh->pm.n_groups = lp->n_groups;
	sh->pm.dry_run = true;
	sh->pf.config.capacity_offset = a->shadow_base_offset + offset;
	sh->as.paused = paused;
	cman_decision_reset(d);
	rc = cman_autoscaler_run(&sh->as, 0, d, &e);
	d->dry_run = true;
	if (rc) {
		a->stats.shadow_failed++;
		cman_error_prefix(&e, "candidate %s: autoscaler run at %s", sh->pf.path,
				  cman_time_format(a->now, when));
		fprintf(stderr, "clusterman-live: warning: %s\n", e.msg);
		wrc = write_failure(a, sh, a->now, true, offset, offset_error, &e);
	} else {
		wrc = write_decision(a, sh, d, true, offset, offset_error);
	}
	if (wrc)
		fprintf(stderr, "clusterman-live: warning: shadow decision record: %s\n",
			cman_strerror(wrc));
}

/* Count a decided cycle's load data, and say on standard error when a
 * run of cycles without it starts and when it ends (not every cycle).  A
 * paused cycle says nothing either way. */
static void note_load(struct cman_live_autoscaler *a, const struct cman_decision *d,
		      int64_t now)
{
	struct cman_live_autoscale_stats *st = &a->stats;
	char when[CMAN_TIME_BUFSZ];

	if (d->paused)
		return;
	if (no_load_data(d)) {
		no_load_message(a->lp, d, st->no_load_why, sizeof(st->no_load_why));
		if (!st->load_known || !st->last_no_load) {
			st->no_load_since = now;
			st->no_load_streak = 0;
			fprintf(stderr, "clusterman-live: warning: %s: %s (from %s; said again "
				"when load data comes back)\n", a->lp->entity, st->no_load_why,
				cman_time_format(now, when));
		}
		st->no_load++;
		st->no_load_streak++;
		st->last_no_load = true;
	} else {
		if (st->load_known && st->last_no_load)
			fprintf(stderr, "clusterman-live: %s: load data again at %s, after %llu "
				"cycle(s) without\n", a->lp->entity, cman_time_format(now, when),
				(unsigned long long)st->no_load_streak);
		st->no_load_streak = 0;
		st->last_no_load = false;
		st->no_load_why[0] = '\0';
	}
	st->load_known = true;
}

int cman_live_autoscale_cycle(struct cman_live_autoscaler *a, int64_t now,
			      struct cman_error *err)
{
	struct cman_live_pool *lp = a->lp;
	struct cman_error oe = { 0 };
	char when[CMAN_TIME_BUFSZ], until_s[CMAN_TIME_BUFSZ];
	char offset_error[CMAN_ERRMSG_MAX] = "";
	double offset = 0, fulfilled;
	bool paused = false;
	int64_t until = 0;
	uint64_t before;
	int rc, wrc;

	a->now = now;
	a->stats.cycles++;
	a->stats.last_time = now;
	a->stats.last_fulfilled = NAN;
	a->stats.last_paused = false;
	a->stats.last_signal_failed = false;
	/* 1. the pause: an error fails the cycle */
	if ((rc = cman_store_paused(lp->store, lp->entity, now, &paused, &until, err)) != 0) {
		cman_error_prefix(err, "reading the pause of %s", lp->entity);
		goto failed;
	}
	/* 2. the offset: an error counts as 0, and is said */
	if (cman_store_capacity_offset(lp->store, lp->entity, now, &offset, &oe) != 0) {
		a->stats.offset_errors++;
		offset = 0;
		snprintf(offset_error, sizeof(offset_error), "%s", oe.msg[0] ? oe.msg
							: cman_strerror(oe.code));
		fprintf(stderr, "clusterman-live: warning: %s: capacity offset read as 0: %s\n",
			lp->entity, offset_error);
	}
	offset += a->base_offset;
	lp->pf.config.capacity_offset = offset;
	lp->as.paused = paused;
	a->stats.last_offset = offset;
	if (paused) {
		a->stats.paused++;
		fprintf(stderr, "clusterman-live: %s: the autoscaler is paused %s%s; nothing is "
			"changed\n", lp->entity, until == INT64_MAX ? "" : "until ",
			until == INT64_MAX ? "(no end)" : cman_time_format(until, until_s));
	}
	/* 3. the groups found again, the scheduler and the groups read once for
	 * the candidate and production */
	if ((rc = cman_live_pool_discover(lp, err)) != 0 ||
	    (rc = cman_live_pool_refresh(lp, err)) != 0) {
		cman_error_prefix(err, "autoscaler run at %s", cman_time_format(now, when));
		goto failed_prefixed;
	}
	if (cman_pool_fulfilled(&lp->pm, &fulfilled, &oe) == 0)
		a->stats.last_fulfilled = fulfilled;
	if (a->shadow)
		shadow_cycle(a, paused, offset, offset_error);
	/* 4. production (its line written below, with our keys) */
	if (a->execute && a->may_mutate && !a->may_mutate(a->may_mutate_ctx)) {
		a->stats.abandoned++;
		rc = cman_error_set(err, CMAN_EINTERNAL, "autoscaler run at %s: abandoned "
				    "before changing anything (stopping)",
				    cman_time_format(now, when));
		if ((wrc = write_failure(a, lp, now, false, offset, offset_error, err)) != 0)
			fprintf(stderr, "clusterman-live: warning: decision record: %s\n",
				cman_strerror(wrc));
		return 0;
	}
	a->runner.decisions = NULL;
	a->runner.dry_run = !a->execute;
	before = a->runner.cycles;
	rc = cman_pool_runner_cycle(&a->runner, err);
	a->stats.signal_failures = a->runner.signal_failures;
	if (a->runner.cycles == before) {
		a->stats.failed++;
		a->stats.last_rc = rc;
		if ((wrc = write_failure(a, lp, now, false, offset, offset_error, err)) != 0)
			fprintf(stderr, "clusterman-live: warning: decision record: %s\n",
				cman_strerror(wrc));
		return rc;
	}
	a->stats.decided++;
	note_load(a, &a->runner.decision, now);
	a->stats.last_paused = paused;
	a->stats.last_signal_failed = a->runner.decision.signal_failed;
	a->stats.last_target = a->runner.decision.new_target;
	if (paused)
		a->stats.last_target = a->runner.decision.current_target;
	wrc = write_decision(a, lp, &a->runner.decision, false, offset, offset_error);
	if (wrc && !rc)
		rc = cman_error_set(err, wrc, "decision record: %s", cman_strerror(wrc));
	if (rc)
		a->stats.failed++;
	a->stats.last_rc = rc;
	return rc;
failed:
	cman_error_prefix(err, "autoscaler run at %s", cman_time_format(now, when));
failed_prefixed:
	a->stats.failed++;
	a->stats.last_rc = rc;
	if ((wrc = write_failure(a, lp, now, false, offset, offset_error, err)) != 0)
		fprintf(stderr, "clusterman-live: warning: decision record: %s\n",
			cman_strerror(wrc));
	if (a->shadow) {
		/* the candidate's line for the same cycle */
		if ((wrc = write_failure(a, a->shadow, now, true, offset, offset_error, err)) != 0)
			fprintf(stderr, "clusterman-live: warning: shadow decision record: %s\n",
				cman_strerror(wrc));
	}
	return rc;
}
