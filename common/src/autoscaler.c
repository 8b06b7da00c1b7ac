/*
 * autoscaler.c - one autoscaler run (SPEC §4): signal, target computation
 * (step 2), constraints (step 3), then the pool manager's distribution,
 * pruning and orphan clean-up (steps 4-6), and the pool metadata the next
 * runs read back as history.
 *
 * Decisions on what SPEC §4 leaves open, written down here and in the
 * README:
 * - "All absent" and "all absent or zero" look at the four resources as the
 *   signal returned them, excluded ones included; exclusion only matters
 *   where requests are turned into a target (usage and history).
 * - Usage: when several resources are equally the most constrained, the
 *   first in the order cpus, mem, disk, gpus is reported.  When every
 *   requested resource is excluded there is no usage: the current target
 *   is kept.
 * - History (empty pool): only requested, non-excluded resources with a
 *   positive request and a positive resource-per-weight from history count;
 *   when none does, the target is 1.
 * - The capacity offset is part of every target step 2 computes (zero
 *   request, history, usage), never of a kept target (which already holds
 *   the offset of the run that set it; adding it again would grow the pool
 *   by the offset every run).  For the margin, the computed target with its
 *   offset is compared with the current one.
 * - Step 3 applies its limits in order, each to the previous one's result:
 *   [min_capacity, max_capacity], then max_weight_to_add /
 *   max_weight_to_remove, then no decrease when scale-down is prevented.
 *   So a pool above a lowered max_capacity shrinks by at most
 *   max_weight_to_remove per run (and not at all while scale-down is
 *   prevented).
 */
#include "cman/autoscaler.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cman/gfmt.h"
#include "cman/pool.h"

#define WEEK_SECONDS (7 * 24 * 3600)
#define HISTORY_SAMPLES 5

/* ---- step 2 ------------------------------------------------------------ */

/* d's reason, unless nobody reads it (d->no_text). */
static void reason_set(struct cman_decision *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void reason_set(struct cman_decision *d, const char *fmt, ...)
{
	char *out = d->reason, num[CMAN_FMT_G_MAX];
	size_t cap = sizeof(d->reason) - 1, n = 0, len;
	const char *f, *add;
	va_list ap, ap2;

	if (d->no_text)
		return;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	/* the reasons use %g and %s only: written here as vsnprintf would
	 * (cut to the buffer), %g by cman_fmt_g (issue 12: printf's %g was
	 * a tenth of an autoscaler run) */
	for (f = fmt; *f; f++) {
		if (*f != '%') {
			/* the text up to the next conversion in one piece */
			len = strcspn(f, "%");
			add = f;
			f += len - 1;
			if (len > cap - n)
				len = cap - n;
			memcpy(out + n, add, len);
			n += len;
			continue;
		}
		f++;
		if (*f == 'g') {
			len = cman_fmt_g(num, va_arg(ap, double), 6);
			add = num;
		} else if (*f == 's') {
			add = va_arg(ap, const char *);
			len = strlen(add);
		} else if (*f == '%') {
			add = "%";
			len = 1;
		} else {
			vsnprintf(d->reason, sizeof(d->reason), fmt, ap2);
			goto out;
		}
		if (len > cap - n)
			len = cap - n;
		memcpy(out + n, add, len);
		n += len;
	}
	out[n] = '\0';
out:
	va_end(ap2);
	va_end(ap);
}

static void history_target(const struct cman_pool_config *cfg,
			   const struct cman_request *req,
			   const struct cman_pool_view *pool,
			   struct cman_decision *d, double *target)
{
	double best_units = 0;
	int best = -1;

	for (int r = 0; r < CMAN_RES_COUNT; r++) {
		double units;

		if (cfg->excluded[r] || !req->has[r] || !(req->v[r] > 0) ||
		    !pool->has_per_weight[r] || !(pool->per_weight[r] > 0))
			continue;
		units = req->v[r] / pool->per_weight[r];
		if (best < 0 || units > best_units) {
			best = r;
			best_units = units;
		}
	}
	if (best < 0) {
		*target = 1;
		reason_set(d,
			 "empty pool (target 0) and no history of resources per unit of "
			 "weight: target 1");
		return;
	}
	d->constrained = best;
	*target = best_units / cfg->setpoint;
	reason_set(d,
		 "empty pool (target 0): from history %s needs %g units (%g / %g per "
		 "unit), / setpoint %g = %g",
		 cman_resource_name((enum cman_resource)best), best_units,
		 req->v[best], pool->per_weight[best], cfg->setpoint, *target);
}

void cman_autoscaler_compute_target(const struct cman_pool_config *cfg,
				    const struct cman_request *req,
				    const struct cman_pool_view *pool,
				    struct cman_decision *d)
{
	double cur = pool->current_target, target = cur;
	bool any = false, nonzero = false, with_offset = true;
	int r;

	d->request = *req;
	d->current_target = cur;
	d->has_usage = false;
	d->usage = 0;
	d->constrained = -1;
	for (r = 0; r < CMAN_RES_COUNT; r++) {
		any |= req->has[r];
		nonzero |= req->has[r] && req->v[r] != 0;
	}
	if (!any) {
		with_offset = false;
		reason_set(d,
			 "the signal requested nothing: keeping the current target");
	} else if (!nonzero) {
		target = 0;
		reason_set(d, "every request is 0: target 0");
	} else if (cur <= 0) {
		history_target(cfg, req, pool, d, &target);
	} else if (!(pool->non_orphan_fulfilled > 0)) {
		with_offset = false;
		reason_set(d,
			 "no joined capacity yet (non-orphan fulfilled capacity 0): keeping "
			 "the current target");
	} else {
		double u = 0, total = 0;
		int best = -1;

		for (r = 0; r < CMAN_RES_COUNT; r++) {
			double usage;

			if (cfg->excluded[r] || !req->has[r])
				continue;
			/* A total of 0 counts as usage 0 (SPEC §4). */
			usage = pool->total[r] > 0 ? req->v[r] / pool->total[r] : 0;
			if (best < 0 || usage > u) {   /* ties: the first resource */
				best = r;
				u = usage;
				total = pool->total[r];
			}
		}
		if (best < 0) {
			with_offset = false;
			reason_set(d,
				 "only excluded resources requested: keeping the current target");
		} else {
			/* one rounding per operation on the inputs as given: exact
			 * products of whole numbers stay exact (2080 x 1264.2 /
			 * (2080 x 0.7) is 1806, where 2080 x (1264.2 / 2080) / 0.7
			 * is 1806.0000000000002) */
			double raw = total > 0 ? pool->non_orphan_fulfilled * req->v[best] /
						 (total * cfg->setpoint) : 0;
			double change = fabs(raw + cfg->capacity_offset - cur) / cur;

			d->has_usage = true;
			d->usage = u;
			d->constrained = best;
			if (change < cfg->target_capacity_margin) {
				with_offset = false;
				reason_set(d,
					 "usage %g of %s (%g / %g): change %g to %g is within the "
					 "margin %g, keeping the current target",
					 u, cman_resource_name((enum cman_resource)best),
					 req->v[best], total, change,
					 raw + cfg->capacity_offset, cfg->target_capacity_margin);
			} else {
				target = raw;
				reason_set(d,
					 "usage %g of %s (%g / %g): %g non-orphan x %g / setpoint "
					 "%g = %g", u, cman_resource_name((enum cman_resource)best),
					 req->v[best], total, pool->non_orphan_fulfilled, u,
					 cfg->setpoint, raw);
			}
		}
	}
	if (with_offset && cfg->capacity_offset != 0) {
		size_t len = strlen(d->reason);

		target += cfg->capacity_offset;
		if (!d->no_text)
			snprintf(d->reason + len, sizeof(d->reason) - len,
				 "; capacity offset %+g = %g", cfg->capacity_offset, target);
	}
	d->computed_target = target;
}

/* ---- step 3 ------------------------------------------------------------ */

double cman_autoscaler_constrain(const struct cman_pool_config *cfg,
				 double current, double proposed,
				 bool prevent_scale_down, bool force,
				 struct cman_decision *d)
{
	double v = proposed, nv;

	if (force)
		goto out;
	if (v > cfg->max_capacity) {
		cman_decision_add_clamp(d, "max_capacity: %.12g -> %.12g", v, cfg->max_capacity);
		v = cfg->max_capacity;
	}
	if (v < cfg->min_capacity) {
		cman_decision_add_clamp(d, "min_capacity: %.12g -> %.12g", v, cfg->min_capacity);
		v = cfg->min_capacity;
	}
	if (v - current > cfg->max_weight_to_add) {
		nv = current + cfg->max_weight_to_add;
		cman_decision_add_clamp(d, "max_weight_to_add: %.12g -> %.12g", v, nv);
		v = nv;
	}
	if (current - v > cfg->max_weight_to_remove) {
		nv = current - cfg->max_weight_to_remove;
		cman_decision_add_clamp(d, "max_weight_to_remove: %.12g -> %.12g", v, nv);
		v = nv;
	}
	if (prevent_scale_down && v < current) {
		cman_decision_add_clamp(d, "prevent_scale_down_after_capacity_loss: %.12g -> %.12g",
					v, current);
		v = current;
	}
out:
	d->new_target = v;
	return v;
}

/* ---- history ----------------------------------------------------------- */

/* The last HISTORY_SAMPLES non-zero values of a series. */
struct recent {
	double v[HISTORY_SAMPLES];
	size_t n, next;
};

static int recent_add(void *ctx, const struct cman_sample *s)
{
	struct recent *rc = ctx;

	if (s->value == 0 || !isfinite(s->value))
		return 0;
	rc->v[rc->next] = s->value;
	rc->next = (rc->next + 1) % HISTORY_SAMPLES;
	if (rc->n < HISTORY_SAMPLES)
		rc->n++;
	return 0;
}

/* Mean of the last non-zero samples of metadata name over the past week
 * (both ends included): 1 and *mean, 0 when there is none, or an error. */
static int smoothed(struct cman_store *store, const char *name, const char *cluster,
		    const char *pool, const char *scheduler, int64_t now,
		    double *mean, struct cman_error *err)
{
	struct recent rec = { .n = 0 };
	char key[CMAN_KEY_MAX];
	double sum = 0;
	int rc;

	if (cman_metric_key_pool(key, sizeof(key), name, cluster, pool, scheduler))
		return cman_error_set(err, CMAN_EINVAL, "metric key for %s too long", name);
	rc = cman_store_values(store, CMAN_METADATA, key, now - WEEK_SECONDS, now,
			       recent_add, &rec, err);
	if (rc)
		return rc;
	if (!rec.n)
		return 0;
	for (size_t i = 0; i < rec.n; i++)
		sum += rec.v[i];
	*mean = sum / (double)rec.n;
	return 1;
}

int cman_autoscaler_history(struct cman_store *store, const char *cluster,
			    const char *pool, const char *scheduler, int64_t now,
			    struct cman_pool_view *view, struct cman_error *err)
{
	char name[32];
	double capacity = 0, total = 0;
	int rc, r;

	for (r = 0; r < CMAN_RES_COUNT; r++) {
		view->has_per_weight[r] = false;
		view->per_weight[r] = 0;
	}
	rc = smoothed(store, "non_orphan_fulfilled_capacity", cluster, pool, scheduler,
		      now, &capacity, err);
	if (rc <= 0)
		return rc;
	for (r = 0; r < CMAN_RES_COUNT; r++) {
		snprintf(name, sizeof(name), "%s_total", cman_resource_name((enum cman_resource)r));
		rc = smoothed(store, name, cluster, pool, scheduler, now, &total, err);
		if (rc < 0)
			return rc;
		if (rc == 1 && total / capacity > 0 && isfinite(total / capacity)) {
			view->has_per_weight[r] = true;
			view->per_weight[r] = total / capacity;
		}
	}
	return 0;
}

/* ---- one run ----------------------------------------------------------- */

/* Copy src into dst[n], truncating. */
static void copy_str(char *dst, size_t n, const char *src)
{
	size_t len = strnlen(src, n - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

static const struct cman_signal_config *config_of(const struct cman_autoscaler *a,
						  const struct cman_signal *s)
{
	if (s->cfg)
		return s->cfg;
	if (s == a->default_signal || !a->cfg->has_signal)
		return cman_signal_default_config();
	return &a->cfg->signal;
}

/* Fetch s's metrics and evaluate it.  *fetch_failed tells a store error
 * (the run fails) from a signal error (the run falls back). */
static int evaluate(struct cman_autoscaler *a, struct cman_signal *s, int64_t now,
		    struct cman_request *out, bool *fetch_failed, struct cman_error *err)
{
	struct cman_signal_input in;
	int rc;

	*fetch_failed = false;
	rc = cman_signal_fetch(config_of(a, s), a->stores, a->n_stores, a->cluster, a->pool,
			       a->scheduler, now, &in, &a->scratch, &a->n_scratch, err);
	if (rc) {
		*fetch_failed = true;
		return rc;
	}
	return cman_signal_evaluate(s, &in, out, err);
}

static int write_metadata(struct cman_autoscaler *a, int64_t now, const double *values,
			  struct cman_error *err)
{
	static const char *const names[] = {
		"target_capacity", "fulfilled_capacity", "non_orphan_fulfilled_capacity",
		"cpus_total", "mem_total", "disk_total", "gpus_total",
	};
	size_t i;
	int rc;

	/* the keys once per pool, not at every run */
	if (a->meta_of[0] != a->cluster || a->meta_of[1] != a->pool ||
	    a->meta_of[2] != a->scheduler) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (cman_metric_key_pool(a->meta_keys[i], sizeof(a->meta_keys[i]), names[i],
						 a->cluster, a->pool, a->scheduler)) {
				a->meta_of[0] = NULL;
				return cman_error_set(err, CMAN_EINVAL, "metric key for %s too long",
						      names[i]);
			}
		a->meta_of[0] = a->cluster;
		a->meta_of[1] = a->pool;
		a->meta_of[2] = a->scheduler;
	}
	if ((rc = cman_store_begin(a->history, err)) != 0)
		return rc;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct cman_sample s = { .t = now, .value = values[i] };

		if ((rc = cman_store_write(a->history, CMAN_METADATA, a->meta_keys[i], &s,
					   err)) != 0)
			goto out;
	}
	rc = cman_store_commit(a->history, err);
out:
	if (rc)
		cman_store_rollback(a->history);
	return rc;
}

int cman_autoscaler_run(struct cman_autoscaler *a, int capacity_lost,
			struct cman_decision *d, struct cman_error *err)
{
	struct cman_signal *sig = a->signal ? a->signal : a->default_signal;
	struct cman_error serr = { 0 };
	struct cman_pool_view view;
	double meta[7];
	bool fetch_failed, prevent;
	int64_t now = a->clock->ops->now(a->clock);
	int rc = 0, r;

	cman_decision_reset(d);
	d->time = now;
	memset(&view, 0, sizeof(view));
	if ((rc = cman_pool_target(a->pm, &view.current_target, err)) != 0)
		goto out;
	d->current_target = view.current_target;
	if (a->paused) {
		d->paused = true;
		d->computed_target = d->new_target = view.current_target;
		reason_set(d, "pool is paused: nothing changed");
		goto out;
	}
	if (!sig) {
		rc = cman_error_set(err, CMAN_EINVAL, "autoscaler: no default signal");
		goto out;
	}

	/* Step 1: the pool's signal, else the default one. */
	copy_str(d->signal, sizeof(d->signal), sig->name);
	rc = evaluate(a, sig, now, &d->request, &fetch_failed, &serr);
	if (rc && !fetch_failed && sig != a->default_signal && a->default_signal) {
		d->signal_failed = true;
		copy_str(d->signal_error, sizeof(d->signal_error), serr.msg);
		sig = a->default_signal;
		copy_str(d->signal, sizeof(d->signal), sig->name);
		rc = evaluate(a, sig, now, &d->request, &fetch_failed, &serr);
	}
	if (rc) {
		if (err)
			*err = serr;
		if (!fetch_failed)
			cman_error_prefix(err, "signal '%s' failed", sig->name);
		goto out;
	}

	/* Steps 2 and 3. */
	if ((rc = cman_pool_non_orphan_fulfilled(a->pm, &view.non_orphan_fulfilled, err)) != 0)
		goto out;
	for (r = 0; r < CMAN_RES_COUNT; r++)
		view.total[r] = a->pm->conn->ops->total(a->pm->conn, (enum cman_resource)r);
	if (view.current_target <= 0 && a->history) {
		rc = cman_autoscaler_history(a->history, a->cluster, a->pool, a->scheduler,
					     now, &view, err);
		if (rc)
			goto out;
	}
	if ((rc = cman_pool_fulfilled(a->pm, &meta[1], err)) != 0)
		goto out;
	meta[2] = view.non_orphan_fulfilled;
	for (r = 0; r < CMAN_RES_COUNT; r++)
		meta[3 + r] = view.total[r];
	cman_autoscaler_compute_target(a->cfg, &d->request, &view, d);
	prevent = a->cfg->prevent_scale_down_after_capacity_loss &&
		  (int64_t)capacity_lost > a->cfg->instance_loss_threshold;
	cman_autoscaler_constrain(a->cfg, view.current_target, d->computed_target,
				  prevent, false, d);
	meta[0] = d->new_target;

	/* Steps 4 to 6.  A group's failure does not stop the run (LIVE-SPEC
	 * §5.2): the rest is done and the first failure returned at the end. */
	rc = cman_pool_modify(a->pm, d->new_target, d, err);
	if (rc == CMAN_ENOMEM)
		goto out;
	r = cman_pool_cleanup_orphans(a->pm, d, rc ? NULL : err);
	if (!rc)
		rc = r;
	if (r == CMAN_ENOMEM)
		goto out;

	/* The pool as this run found it, and the target it set. */
	if (a->history) {
		r = write_metadata(a, now, meta, rc ? NULL : err);
		if (!rc)
			rc = r;
	}
out:
	return rc;
}

void cman_autoscaler_release(struct cman_autoscaler *a)
{
	cman_signal_input_release(a->scratch, a->n_scratch);
	a->scratch = NULL;
	a->n_scratch = 0;
}
