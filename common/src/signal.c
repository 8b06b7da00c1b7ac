/*
 * signal.c - signals behind one function table: making one from its
 * configuration (built-in or external), evaluating it, reading the windows
 * of its required metrics from the metrics stores.  (The answer's JSON
 * form is request.c's, which the external signal client uses too: that
 * keeps signal.c -> signal_external.c -> request.c free of cycles.)
 */
#include "cman/signal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/metrics.h"
#include "cman/signal_external.h"
#include "signal_int.h"

/* ---- the default signal ------------------------------------------------ */

static struct cman_required_metric default_metrics[] = {
	{ (char *)"cpus_allocated", CMAN_SYSTEM_METRICS, 10 },
	{ (char *)"mem_allocated", CMAN_SYSTEM_METRICS, 10 },
	{ (char *)"disk_allocated", CMAN_SYSTEM_METRICS, 10 },
	{ (char *)"gpus_allocated", CMAN_SYSTEM_METRICS, 10 },
};

static const struct cman_signal_config default_config = {
	.name = (char *)"most_recent",
	.period_minutes = 10,
	.required_metrics = default_metrics,
	.n_required_metrics = sizeof(default_metrics) / sizeof(default_metrics[0]),
};

const struct cman_signal_config *cman_signal_default_config(void)
{
	return &default_config;
}

/* ---- lifecycle and evaluation ------------------------------------------ */

int cman_signal_new(const struct cman_signal_config *cfg, const char *cluster,
		    const char *pool, struct cman_signal **out,
		    struct cman_error *err)
{
	*out = NULL;
	if (!cfg)
		return cman_error_set(err, CMAN_EINVAL, CMAN_SIGNAL_PATH ": missing");
	if (cfg->external)
		return cman_signal_external_new(cfg, cluster, pool, out, err);
	return cman_signal_builtin_new(cfg, out, err);
}

/*
 * Evaluate, then check the answer: every value given must be a finite
 * number >= 0 (a negative or infinite request has no meaning), else the
 * evaluation fails with CMAN_EINVAL and *out is left empty.
 */
int cman_signal_evaluate(struct cman_signal *s, const struct cman_signal_input *in,
			 struct cman_request *out, struct cman_error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = s->ops->evaluate(s, in, out, err);
	if (rc)
		goto out;
	for (int r = 0; r < CMAN_RES_COUNT; r++) {
		if (out->has[r] && (!isfinite(out->v[r]) || out->v[r] < 0)) {
			rc = cman_error_set(err, CMAN_EINVAL,
					    "signal '%s' returned %s = %g (expected a number >= 0)",
					    s->name, cman_resource_name((enum cman_resource)r),
					    out->v[r]);
			goto out;
		}
	}
out:
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

void cman_signal_free(struct cman_signal *s)
{
	if (s)
		s->ops->free(s);
}

/* ---- fetching the windows ---------------------------------------------- */

static int series_push(struct cman_series *se, int64_t t, double v)
{
	if (se->n == se->cap) {
		size_t cap = se->cap ? se->cap * 2 : 64;
		int64_t *nt = realloc(se->t, cap * sizeof(*nt));
		double *nv;

		if (!nt)
			return CMAN_ENOMEM;
		se->t = nt;
		nv = realloc(se->v, cap * sizeof(*nv));
		if (!nv)
			return CMAN_ENOMEM;
		se->v = nv;
		se->cap = cap;
	}
	se->t[se->n] = t;
	se->v[se->n] = v;
	se->n++;
	return 0;
}

/*
 * Merge the sorted runs [0, m) and [m, n) of se, stably: at equal times the
 * first run's samples (an earlier store's) come first.
 */
static int series_merge(struct cman_series *se, size_t m)
{
	int64_t *lt = malloc(m * sizeof(*lt));
	double *lv = malloc(m * sizeof(*lv));
	size_t i = 0, j = m, k = 0;
	int rc = 0;

	if (!lt || !lv) {
		rc = CMAN_ENOMEM;
		goto out;
	}
	memcpy(lt, se->t, m * sizeof(*lt));
	memcpy(lv, se->v, m * sizeof(*lv));
	while (i < m && j < se->n) {
		if (lt[i] <= se->t[j]) {
			se->t[k] = lt[i];
			se->v[k++] = lv[i++];
		} else {
			se->t[k] = se->t[j];
			se->v[k++] = se->v[j++];
		}
	}
	while (i < m) {
		se->t[k] = lt[i];
		se->v[k++] = lv[i++];
	}
out:
	free(lt);
	free(lv);
	return rc;
}

static int read_store(struct cman_store *st, enum cman_metric_kind kind,
		      const char *key, int64_t t0, int64_t t1,
		      struct cman_series *se, struct cman_error *err)
{
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	size_t m = se->n;
	int rc;

	rc = cman_store_open_cursor(st, kind, key, t0, t1, 0, &cur, err);
	if (rc)
		goto out;
	while ((rc = cman_cursor_next(cur, &s, err)) == 1) {
		if ((rc = series_push(se, s.t, s.value)) != 0) {
			cman_error_set(err, rc, "out of memory");
			goto out;
		}
	}
	if (rc)
		goto out;
	if (m > 0 && se->n > m && se->t[m - 1] > se->t[m] &&
	    (rc = series_merge(se, m)) != 0)
		cman_error_set(err, rc, "out of memory");
out:
	cman_cursor_close(cur);
	return rc;
}

/* snprintf(dst, n, "%s", src) without printf (every autoscaler run). */
static void copy_name(char *dst, size_t n, const char *src)
{
	size_t k = strlen(src);

	if (k >= n)
		k = n - 1;
	memcpy(dst, src, k);
	dst[k] = '\0';
}

int cman_signal_fetch(const struct cman_signal_config *cfg,
		      struct cman_store *const *stores, size_t n_stores,
		      const char *cluster, const char *pool, const char *scheduler,
		      int64_t now, struct cman_signal_input *in,
		      struct cman_series **scratch, size_t *n_scratch,
		      struct cman_error *err)
{
	size_t n = cfg->n_required_metrics, i, k;
	char key[CMAN_KEY_MAX];
	int rc = 0;

	in->now = now;
	in->series = *scratch;
	in->n_series = 0;
	if (n > *n_scratch) {
		struct cman_series *s = realloc(*scratch, n * sizeof(*s));

		if (!s)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		memset(s + *n_scratch, 0, (n - *n_scratch) * sizeof(*s));
		*scratch = s;
		*n_scratch = n;
	}
	for (i = 0; i < n; i++) {
		const struct cman_required_metric *rm = &cfg->required_metrics[i];
		struct cman_series *se = &(*scratch)[i];
		int64_t t0;

		copy_name(se->name, sizeof(se->name), rm->name);
		se->n = 0;
		if (rm->type == CMAN_APP_METRICS)
			rc = snprintf(key, sizeof(key), "%s", rm->name) >= (int)sizeof(key);
		else
			rc = cman_metric_key_pool(key, sizeof(key), rm->name, cluster, pool,
						  scheduler);
		if (rc) {
			rc = cman_error_set(err, CMAN_EINVAL,
					    "metric '%s': key longer than %d bytes", rm->name,
					    CMAN_KEY_MAX - 1);
			goto out;
		}
		/* [now - minute_range minutes, now], both ends included
		 * (minute_range 0: samples at now only); a range reaching
		 * past the representable times reads everything before now. */
		if (rm->minute_range <= 0)
			t0 = now;
		else if (rm->minute_range > INT64_MAX / 60 ||
			 now < INT64_MIN + rm->minute_range * 60)
			t0 = INT64_MIN;
		else
			t0 = now - rm->minute_range * 60;
		for (k = 0; k < n_stores; k++) {
			rc = read_store(stores[k], rm->type, key, t0, now, se, err);
			if (rc)
				goto out;
		}
	}
out:
	in->series = *scratch;
	in->n_series = rc ? 0 : n;
	return rc;
}

void cman_signal_input_release(struct cman_series *scratch, size_t n_scratch)
{
	for (size_t i = 0; i < n_scratch; i++) {
		free(scratch[i].t);
		free(scratch[i].v);
	}
	free(scratch);
}
