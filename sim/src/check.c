/*
 * check.c - doubtful input made loud (README "Data coverage"): how well each
 * recorded series the run uses covers the window (span, stale and missing
 * shares, the longest gaps), series the policy needs that have no sample at
 * all (an input error), and stretches of starvation (fulfilled capacity far
 * under the target, or oversubscription).
 *
 * Cost: the feeds' samples are counted as the run streams them (O(1) each);
 * a series no feed streams (a signal's metric the simulator does not replay)
 * is read once at setup; starvation is O(groups) per step of simulated time.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cman/jsonout.h"
#include "cman/time.h"
#include "sim_int.h"

#define LISTED_EPISODE_WARNINGS 20

static const char *const episode_kind[2] = { "shortfall", "oversubscribed" };

/* ---- series ------------------------------------------------------------ */

int sim_series_for(struct cman_sim *sim, enum cman_metric_kind kind, const char *key,
		   const char *label, uint32_t market, uint32_t *out, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	struct sim_series *s;
	size_t i;

	for (i = 0; i < sim->n_series; i++) {
		if (sim->series[i].kind == kind && !strcmp(sim->series[i].key, key)) {
			*out = (uint32_t)i;
			return 0;
		}
	}
	if (sim->n_series == sim->cap_series) {
		size_t cap = sim->cap_series ? 2 * sim->cap_series : 16;
		struct sim_series *ns = realloc(sim->series, cap * sizeof(*ns));

		if (!ns)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		sim->series = ns;
		sim->cap_series = cap;
	}
	s = &sim->series[sim->n_series];
	memset(s, 0, sizeof(*s));
	snprintf(s->label, sizeof(s->label), "%s", label);
	snprintf(s->key, sizeof(s->key), "%s", key);
	s->kind = kind;
	s->market = market;
	cman_coverage_init(&s->cov, sc->start_time, sc->end_time,
			   market != NO_MARKET ? sc->cov_price_stale_after : sc->cov_stale_after,
			   (size_t)sc->cov_max_gaps);
	*out = (uint32_t)sim->n_series++;
	return 0;
}

/* Read a series no feed streams: every store's samples, merged in time order. */
static int read_series(struct cman_sim *sim, struct sim_series *s, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	struct cman_cursor **cur = calloc(sim->n_stores ? sim->n_stores : 1, sizeof(*cur));
	struct cman_sample *pend = calloc(sim->n_stores ? sim->n_stores : 1, sizeof(*pend));
	bool *live = calloc(sim->n_stores ? sim->n_stores : 1, sizeof(*live));
	size_t i;
	int rc = 0;

	if (!cur || !pend || !live) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < sim->n_stores && !rc; i++) {
		rc = cman_store_open_cursor(sim->stores[i], s->kind, s->key, sc->start_time,
					    sc->end_time - 1, CMAN_CURSOR_WITH_PRIOR, &cur[i], err);
		if (!rc) {
			rc = cman_cursor_next(cur[i], &pend[i], err);
			live[i] = rc > 0;
			rc = rc > 0 ? 0 : rc;
		}
	}
	while (!rc) {
		size_t best = SIZE_MAX;

		for (i = 0; i < sim->n_stores; i++)
			if (live[i] && (best == SIZE_MAX || pend[i].t < pend[best].t))
				best = i;
		if (best == SIZE_MAX)
			break;
		cman_coverage_sample(&s->cov, pend[best].t);
		rc = cman_cursor_next(cur[best], &pend[best], err);
		live[best] = rc > 0;
		rc = rc > 0 ? 0 : rc;
	}
	cman_coverage_finish(&s->cov);
out:
	for (i = 0; cur && i < sim->n_stores; i++)
		cman_cursor_close(cur[i]);
	free(cur);
	free(pend);
	free(live);
	return rc;
}

/* The label of a signal's metric: the name, with the kind when not system. */
static void metric_label(char *buf, size_t n, const struct cman_required_metric *rm)
{
	if (rm->type == CMAN_SYSTEM_METRICS)
		snprintf(buf, n, "%s", rm->name);
	else
		snprintf(buf, n, "%s (%s)", rm->name, cman_kind_name(rm->type));
}

int sim_check_setup(struct cman_sim *sim, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	char key[CMAN_KEY_MAX], label[CMAN_KEY_MAX + 64];
	uint32_t id;
	size_t i;
	int rc;

	for (i = 0; i < 1 + CMAN_RES_COUNT; i++)
		sim->starve_since[i] = NO_TIME;
	/* the load is always shown, even when nothing records it */
	cman_metric_key_pool(key, sizeof(key), "cpus_allocated", sc->cluster, sc->pool,
			     sc->scheduler);
	rc = sim_series_for(sim, CMAN_SYSTEM_METRICS, key, "cpus_allocated", NO_MARKET, &id, err);
	if (rc)
		return rc;
	if (!sim->autoscaling) {
		cman_metric_key_pool(key, sizeof(key), "fulfilled_capacity", sc->cluster, sc->pool,
				     sc->scheduler);
		rc = sim_series_for(sim, CMAN_METADATA, key, "fulfilled_capacity", NO_MARKET, &id,
				    err);
		if (rc)
			return rc;
		sim->series[id].needed = true;
		sim->series[id].needed_by = "the replay";
	} else {
		const struct cman_signal_config *cfg = sc->pool_config.has_signal
			? &sc->pool_config.signal : cman_signal_default_config();

		for (i = 0; i < cfg->n_required_metrics; i++) {
			const struct cman_required_metric *rm = &cfg->required_metrics[i];

			if (rm->type == CMAN_APP_METRICS)
				snprintf(key, sizeof(key), "%s", rm->name);
			else
				cman_metric_key_pool(key, sizeof(key), rm->name, sc->cluster,
						     sc->pool, sc->scheduler);
			metric_label(label, sizeof(label), rm);
			rc = sim_series_for(sim, rm->type, key, label, NO_MARKET, &id, err);
			if (rc)
				return rc;
			/* the default signal needs one of its metrics, not all */
			if (sc->pool_config.has_signal) {
				sim->series[id].needed = true;
				sim->series[id].needed_by = "the autoscaler's signal";
			}
		}
	}
	/* series no feed streams are read now, once */
	for (i = 0; i < sim->n_series; i++) {
		if (sim->series[i].n_feeds)
			continue;
		rc = read_series(sim, &sim->series[i], err);
		if (rc)
			return rc;
		sim->series[i].first_seen = sim->series[i].cov.has_last;
	}
	return 0;
}

/* ", " joined names of the stores into buf. */
static void store_names(const struct cman_sim *sim, char *buf, size_t n)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < sim->n_stores && len < n; i++) {
		int w = snprintf(buf + len, n - len, "%s%s", i ? ", " : "", sim->stores[i]->name);

		if (w < 0)
			break;
		len += (size_t)w;
	}
	if (!sim->n_stores)
		snprintf(buf, n, "no metrics source");
}

struct similar {
	const char *own;             /* the series' key */
	bool has_own;
	char *buf;                   /* up to 3 other keys */
	size_t n, len;
	int count;
};

static int similar_key(void *ctx, const char *key)
{
	struct similar *s = ctx;
	int w;

	if (!strcmp(key, s->own)) {
		s->has_own = true;
		return 0;
	}
	if (s->count >= 3 || s->len >= s->n)
		return 0;
	w = snprintf(s->buf + s->len, s->n - s->len, "%s'%s'", s->count ? ", " : "", key);
	if (w > 0)
		s->len += (size_t)w;
	s->count++;
	return 0;
}

/* What the stores do have: the series after the window, or keys of the
 * same metric name (another pool, a typo). */
static int hint(struct cman_sim *sim, const struct sim_series *s, char *buf, size_t n,
		struct cman_error *err)
{
	char name[CMAN_KEY_MAX + 2], keys[1536];
	struct similar sm = { s->key, false, keys, sizeof(keys), 0, 0 };
	size_t i;
	int rc = 0;

	buf[0] = keys[0] = '\0';
	if (cman_metric_key_name(s->key, name, sizeof(name) - 1))
		return 0;
	if (strchr(s->key, '|'))
		strcat(name, "|");
	for (i = 0; i < sim->n_stores && !rc; i++)
		rc = cman_store_keys(sim->stores[i], s->kind, name, similar_key, &sm, err);
	if (rc)
		return rc;
	if (sm.has_own)
		snprintf(buf, n, "; its samples all come after the window");
	else if (sm.count)
		snprintf(buf, n, "; the sources have %s", keys);
	return 0;
}

int sim_check_needed(struct cman_sim *sim, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	char stores[2048], more[2048], end[CMAN_TIME_BUFSZ];
	size_t i;
	bool any_default;
	int rc;

	for (i = 0; i < sim->n_feeds; i++)
		if (sim->feeds[i].s.t != NO_TIME)
			sim->series[sim->feeds[i].series].first_seen = true;
	for (i = 0; i < sim->n_series; i++) {
		const struct sim_series *s = &sim->series[i];

		if (!s->needed || s->first_seen)
			continue;
		store_names(sim, stores, sizeof(stores));
		rc = hint(sim, s, more, sizeof(more), err);
		if (rc)
			return rc;
		return cman_error_set(err, CMAN_EINVAL,
				      "%s: no samples of %s '%s' at or before %s, the end of the "
				      "window (searched: %s)%s; %s needs it (check cluster, pool "
				      "and scheduler, and the window)",
				      sc->path, cman_kind_name(s->kind), s->key,
				      cman_time_format(sc->end_time - 1, end), stores, more,
				      s->needed_by);
	}
	if (sim->autoscaling && !sc->pool_config.has_signal) {
		const struct cman_signal_config *cfg = cman_signal_default_config();
		char names[512];
		size_t len = 0;

		any_default = false;
		names[0] = '\0';
		for (i = 0; i < cfg->n_required_metrics; i++) {
			const struct cman_required_metric *rm = &cfg->required_metrics[i];
			char key[CMAN_KEY_MAX];
			size_t k;

			cman_metric_key_pool(key, sizeof(key), rm->name, sc->cluster, sc->pool,
					     sc->scheduler);
			for (k = 0; k < sim->n_series; k++)
				if (sim->series[k].kind == rm->type && !strcmp(sim->series[k].key, key) &&
				    sim->series[k].first_seen)
					any_default = true;
			if (len < sizeof(names))
				len += (size_t)snprintf(names + len, sizeof(names) - len, "%s'%s'",
							i ? ", " : "", key);
		}
		if (!any_default) {
			store_names(sim, stores, sizeof(stores));
			return cman_error_set(err, CMAN_EINVAL,
					      "%s: no samples of any of %s (system_metrics) at or "
					      "before %s, the end of the window (searched: %s); the "
					      "autoscaler's default signal needs one of them (check "
					      "cluster, pool and scheduler, and the window)",
					      sc->path, names, cman_time_format(sc->end_time - 1, end),
					      stores);
		}
	}
	return 0;
}

/* ---- starvation --------------------------------------------------------- */

/* Close condition k (0 shortfall, 1 + r oversubscribed r) at t. */
static void starve_close(struct cman_sim *sim, int k, int64_t t)
{
	if (sim->starve_since[k] == NO_TIME)
		return;
	if (t - sim->starve_since[k] >= sim->sc->starve_after) {
		sim->n_episodes_total++;
		if (sim->n_episodes < SIM_MAX_EPISODES) {
			struct sim_episode *e = &sim->episodes[sim->n_episodes++];

			e->kind = k ? 1 : 0;
			e->resource = k ? k - 1 : CMAN_RES_CPUS;
			e->start = sim->starve_since[k];
			e->end = t;
			e->worst = sim->starve_worst[k];
		}
	}
	sim->starve_since[k] = NO_TIME;
}

void sim_check_interval(struct cman_sim *sim, int64_t t)
{
	const struct cman_scenario *sc = sim->sc;
	double target = 0, worst[1 + CMAN_RES_COUNT] = { 0 };
	bool cond[1 + CMAN_RES_COUNT];
	/* CPUs alone: the other resources' conditions never hold, their
	 * episodes never open (CMAN_RES_CPUS is the first resource) */
	int k, n_res = sim->any_res_data ? CMAN_RES_COUNT : CMAN_RES_CPUS + 1;

	_Static_assert(CMAN_RES_CPUS == 0, "the CPUs' condition is cond[1]");

	(void)t;
	if (sim->autoscaling) {
		size_t g;

		for (g = 0; g < sim->n_groups; g++)
			target += sim->groups[g].target;
	} else if (sim->has_target) {
		target = sim->target;
	}
	cond[0] = target > 0 && sim->fulfilled < (1 - sc->starve_shortfall) * target - 1e-9;
	if (cond[0])
		worst[0] = (target - sim->fulfilled) / target;
	/* every resource with a recorded allocation (CPUs always) */
	for (k = 0; k < n_res; k++) {
		double a = k == CMAN_RES_CPUS ? sim->allocated : sim->allocated_res[k];
		double c = k == CMAN_RES_CPUS ? sim->running_cpus : sim->running_res[k];
		double over = a - c;

		cond[1 + k] = (k == CMAN_RES_CPUS || sim->res_data[k]) && over > 1e-9 &&
			      over > sc->starve_oversub * a;
		if (cond[1 + k])
			worst[1 + k] = over;
	}
	for (k = 0; k < 1 + n_res; k++) {
		if (!cond[k]) {
			starve_close(sim, k, sim->last_t);
		} else if (sim->starve_since[k] == NO_TIME) {
			sim->starve_since[k] = sim->last_t;
			sim->starve_worst[k] = worst[k];
		} else if (worst[k] > sim->starve_worst[k]) {
			sim->starve_worst[k] = worst[k];
		}
	}
}

/* ---- the end -------------------------------------------------------------- */

static bool reported(const struct cman_sim *sim, const struct sim_series *s)
{
	return s->market == NO_MARKET || sim->markets[s->market].spot_used;
}

/* A duration for a sentence: "45 s", "12 min", "5.5 h", "358.0 days". */
static const char *dur(char *buf, size_t n, int64_t s)
{
	if (s < 120)
		snprintf(buf, n, "%" PRId64 " s", s);
	else if (s % 86400 == 0)
		snprintf(buf, n, "%" PRId64 " day%s", s / 86400, s == 86400 ? "" : "s");
	else if (s % 3600 == 0)
		snprintf(buf, n, "%" PRId64 " h", s / 3600);
	else if (s < 7200)
		snprintf(buf, n, "%.0f min", (double)s / 60);
	else if (s < 172800)
		snprintf(buf, n, "%.1f h", (double)s / 3600);
	else
		snprintf(buf, n, "%.1f days", (double)s / 86400);
	return buf;
}

static int warn_coverage(struct cman_sim *sim, const struct sim_series *s)
{
	const struct cman_coverage *c = &s->cov;
	char a[CMAN_TIME_BUFSZ], b[CMAN_TIME_BUFSZ], d[32], e[32], gap[256] = "";
	double share = 1 - cman_coverage_covered_fraction(c);

	if (!c->has_last)
		return sim_warn(sim, "data coverage: %s has no sample in the window (%s '%s')",
				s->label, cman_kind_name(s->kind), s->key);
	if (c->n_kept) {
		const struct cman_cov_gap *g = &c->gaps[0];

		if (g->since == CMAN_COV_NO_SAMPLE)
			snprintf(gap, sizeof(gap), "; no sample from %s to %s (%s)",
				 cman_time_format(g->start, a), cman_time_format(g->end, b),
				 dur(d, sizeof(d), g->end - g->start));
		else
			snprintf(gap, sizeof(gap), "; longest gap %s to %s (%s, after the "
				 "sample of %s)", cman_time_format(g->start, a),
				 cman_time_format(g->end, b), dur(d, sizeof(d), g->end - g->start),
				 cman_time_format(g->since, e));
	}
	return sim_warn(sim, "data coverage: %s covers only %.1f%% of the window "
			"(%.1f%% stale: samples older than %s; %.1f%% before its first "
			"sample)%s", s->label, 100 * (1 - share),
			100 * cman_coverage_stale_fraction(c), dur(d, sizeof(d), c->stale_after),
			100 * cman_coverage_missing_fraction(c), gap);
}

/* The coverage table on the log. */
static void print_table(const struct cman_sim *sim, FILE *fp)
{
	const struct cman_scenario *sc = sim->sc;
	char a[32], b[32];
	size_t i, w = 6;

	if (!fp)
		return;
	for (i = 0; i < sim->n_series; i++)
		if (reported(sim, &sim->series[i]) && strlen(sim->series[i].label) > w)
			w = strlen(sim->series[i].label);
	fprintf(fp, "data coverage (a sample covers %s; spot prices %s):\n",
		dur(a, sizeof(a), sc->cov_stale_after), dur(b, sizeof(b), sc->cov_price_stale_after));
	fprintf(fp, "  %-*s %8s %8s %8s %8s  %s\n", (int)w, "series", "samples", "covered",
		"stale", "missing", "longest gap");
	for (i = 0; i < sim->n_series; i++) {
		const struct sim_series *s = &sim->series[i];
		const struct cman_coverage *c = &s->cov;
		char t1[CMAN_TIME_BUFSZ], t2[CMAN_TIME_BUFSZ], d[32];

		if (!reported(sim, s))
			continue;
		fprintf(fp, "  %-*s %8" PRIu64 " %7.1f%% %7.1f%% %7.1f%%  ", (int)w, s->label,
			c->samples, 100 * cman_coverage_covered_fraction(c),
			100 * cman_coverage_stale_fraction(c), 100 * cman_coverage_missing_fraction(c));
		if (c->n_kept)
			fprintf(fp, "%s to %s (%s)\n", cman_time_format(c->gaps[0].start, t1),
				cman_time_format(c->gaps[0].end, t2),
				dur(d, sizeof(d), c->gaps[0].end - c->gaps[0].start));
		else
			fputs("none\n", fp);
	}
}

int sim_check_finish(struct cman_sim *sim, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	size_t i, g;
	int k, rc;

	/* markets a spot fleet may use count as used */
	for (g = 0; g < sim->n_groups; g++)
		for (i = 0; i < sim->groups[g].n_specs; i++)
			if (sim->groups[g].specs[i].spot)
				sim->markets[sim->groups[g].specs[i].market].spot_used = true;
	/* a used market nothing recorded a price for gets a row too */
	for (i = 0; i < sim->n_markets; i++) {
		struct sim_market *m = &sim->markets[i];
		char key[CMAN_KEY_MAX], label[CMAN_KEY_MAX + 64], mk[128];
		uint32_t id;

		if (!m->spot_used || m->price_series != NO_SERIES)
			continue;
		cman_metric_key_spot_price(key, sizeof(key), m->type, m->az);
		cman_market_format(mk, sizeof(mk), m->type, m->az);
		snprintf(label, sizeof(label), "spot_prices %s", mk);
		rc = sim_series_for(sim, CMAN_METADATA, key, label, (uint32_t)i, &id, err);
		if (rc)
			return rc;
		sim->markets[i].price_series = id;
	}
	for (i = 0; i < sim->n_series; i++)
		cman_coverage_finish(&sim->series[i].cov);
	print_table(sim, sim->log);
	for (i = 0; i < sim->n_series; i++) {
		const struct sim_series *s = &sim->series[i];

		if (reported(sim, s) &&
		    1 - cman_coverage_covered_fraction(&s->cov) > sc->cov_warn_fraction) {
			rc = warn_coverage(sim, s);
			if (rc)
				return cman_error_set(err, rc, "out of memory");
		}
	}
	/* starvation still going on at the end */
	for (k = 0; k < 1 + CMAN_RES_COUNT; k++)
		starve_close(sim, k, sc->end_time);
	for (i = 0; i < sim->n_episodes && i < LISTED_EPISODE_WARNINGS; i++) {
		const struct sim_episode *e = &sim->episodes[i];
		char a[CMAN_TIME_BUFSZ], b[CMAN_TIME_BUFSZ], d[32];

		if (e->kind == 0)
			rc = sim_warn(sim, "starvation: fulfilled capacity under %.0f%% of the "
				      "target from %s to %s (%s; at worst %.1f%% of the target "
				      "missing)", 100 * (1 - sc->starve_shortfall),
				      cman_time_format(e->start, a), cman_time_format(e->end, b),
				      dur(d, sizeof(d), e->end - e->start), 100 * e->worst);
		else if (e->resource == CMAN_RES_CPUS)
			rc = sim_warn(sim, "starvation: oversubscribed (allocated vCPUs beyond the "
				      "running ones) from %s to %s (%s; at worst %.6g vCPUs)",
				      cman_time_format(e->start, a), cman_time_format(e->end, b),
				      dur(d, sizeof(d), e->end - e->start), e->worst);
		else
			rc = sim_warn(sim, "starvation: %s oversubscribed (allocated beyond the "
				      "running instances' %s) from %s to %s (%s; at worst %.6g %s)",
				      cman_resource_name((enum cman_resource)e->resource),
				      cman_resource_name((enum cman_resource)e->resource),
				      cman_time_format(e->start, a), cman_time_format(e->end, b),
				      dur(d, sizeof(d), e->end - e->start), e->worst,
				      e->resource == CMAN_RES_GPUS ? "GPUs" : "MiB");
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	if (sim->n_episodes_total > LISTED_EPISODE_WARNINGS) {
		rc = sim_warn(sim, "starvation: %" PRIu64 " stretches in all (only the first %d "
			      "are listed)", sim->n_episodes_total, LISTED_EPISODE_WARNINGS);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	return 0;
}

/* ---- outputs -------------------------------------------------------------- */

static json_t *time_or_null(int64_t t)
{
	return t == CMAN_COV_NO_SAMPLE ? json_null() : json_integer((json_int_t)t);
}

static json_t *series_json(const struct sim_series *s, struct cman_jout *j)
{
	const struct cman_coverage *c = &s->cov;
	json_t *o = json_object(), *gaps = json_array();
	size_t i;

	cman_jout_set(j, o, "kind", json_string(cman_kind_name(s->kind)));
	cman_jout_set(j, o, "key", cman_json_text(s->key));
	cman_jout_set(j, o, "needed", json_boolean(s->needed));
	cman_jout_set(j, o, "samples", json_integer((json_int_t)c->samples));
	cman_jout_set(j, o, "first_sample", time_or_null(c->has_last ? c->first
							 : CMAN_COV_NO_SAMPLE));
	cman_jout_set(j, o, "last_sample", time_or_null(c->has_last ? c->last
							: CMAN_COV_NO_SAMPLE));
	cman_jout_set(j, o, "stale_after_seconds", json_integer((json_int_t)c->stale_after));
	cman_jout_set(j, o, "covered_fraction", json_real(cman_coverage_covered_fraction(c)));
	cman_jout_set(j, o, "stale_fraction", json_real(cman_coverage_stale_fraction(c)));
	cman_jout_set(j, o, "missing_fraction", json_real(cman_coverage_missing_fraction(c)));
	cman_jout_set(j, o, "stale_seconds", json_integer((json_int_t)c->stale_seconds));
	cman_jout_set(j, o, "missing_seconds", json_integer((json_int_t)c->missing_seconds));
	for (i = 0; i < c->n_kept; i++) {
		json_t *g = json_object();

		cman_jout_set(j, g, "start", json_integer((json_int_t)c->gaps[i].start));
		cman_jout_set(j, g, "end", json_integer((json_int_t)c->gaps[i].end));
		cman_jout_set(j, g, "seconds",
			      json_integer((json_int_t)(c->gaps[i].end - c->gaps[i].start)));
		cman_jout_set(j, g, "since", time_or_null(c->gaps[i].since));
		cman_jout_append(j, gaps, "gaps", g);
	}
	cman_jout_set(j, o, "gaps", gaps);
	cman_jout_set(j, o, "gaps_total", json_integer((json_int_t)c->n_gaps));
	return o;
}

void sim_check_json(const struct cman_sim *sim, json_t *summary, struct cman_jout *j)
{
	const struct cman_scenario *sc = sim->sc;
	json_t *cov = json_object(), *ser = json_object(), *st = json_object(),
	       *eps = json_array();
	size_t i;

	cman_jout_set(j, cov, "stale_after_seconds", json_integer((json_int_t)sc->cov_stale_after));
	cman_jout_set(j, cov, "price_stale_after_seconds",
		      json_integer((json_int_t)sc->cov_price_stale_after));
	cman_jout_set(j, cov, "warn_fraction", json_real(sc->cov_warn_fraction));
	for (i = 0; i < sim->n_series; i++) {
		const struct sim_series *s = &sim->series[i];

		if (reported(sim, s))
			cman_jout_set_text_key(j, ser, s->label, series_json(s, j));
	}
	cman_jout_set(j, cov, "series", ser);
	cman_jout_set(j, st, "after_seconds", json_integer((json_int_t)sc->starve_after));
	cman_jout_set(j, st, "shortfall_fraction", json_real(sc->starve_shortfall));
	cman_jout_set(j, st, "oversubscribed_fraction", json_real(sc->starve_oversub));
	for (i = 0; i < sim->n_episodes; i++) {
		const struct sim_episode *e = &sim->episodes[i];
		json_t *o = json_object();

		cman_jout_set(j, o, "kind", json_string(episode_kind[e->kind]));
		if (e->kind == 1)
			cman_jout_set(j, o, "resource", json_string(cman_resource_name(
						(enum cman_resource)e->resource)));
		cman_jout_set(j, o, "start", json_integer((json_int_t)e->start));
		cman_jout_set(j, o, "end", json_integer((json_int_t)e->end));
		cman_jout_set(j, o, "seconds", json_integer((json_int_t)(e->end - e->start)));
		cman_jout_set(j, o, "worst", json_real(e->worst));
		cman_jout_append(j, eps, "episodes", o);
	}
	cman_jout_set(j, st, "episodes", eps);
	cman_jout_set(j, st, "episodes_total", json_integer((json_int_t)sim->n_episodes_total));
	cman_jout_set(j, summary, "coverage", cov);
	cman_jout_set(j, summary, "starvation", st);
}
