/*
 * sim.c - the replay simulator: recorded series become events, events change
 * the cluster, the billing engine and the ledger turn the cluster into cost.
 */
#include "cman/sim/sim.h"
#include "cman/sim/generate.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <gsl/gsl_randist.h>

#include "cman/autoscaler.h"
#include "cman/grow.h"
#include "cman/import.h"
#include "cman/limits.h"
#include "cman/pool.h"
#include "cman/reports/progress.h"
#include "cman/rng.h"
#include "cman/signal_external.h"
#include "cman/text.h"
#include "cman/thread.h"
#include "cman/time.h"
#include "sim_int.h"

#define NIL UINT32_MAX

/* ---- markets ---------------------------------------------------------- */

static uint32_t market_hash(const char *type, const char *az)
{
	uint32_t h = 2166136261u;

	for (; *type; type++)
		h = (h ^ (unsigned char)*type) * 16777619u;
	h = (h ^ '|') * 16777619u;
	for (; *az; az++)
		h = (h ^ (unsigned char)*az) * 16777619u;
	return h;
}

static int market_rehash(struct cman_sim *sim)
{
	size_t nb = sim->n_mbuckets ? 2 * sim->n_mbuckets : 64, i;
	uint32_t *b = malloc(nb * sizeof(*b));

	if (!b)
		return CMAN_ENOMEM;
	memset(b, 0xff, nb * sizeof(*b));
	for (i = 0; i < sim->n_markets; i++) {
		struct sim_market *m = &sim->markets[i];
		size_t h = market_hash(m->type, m->az) & (nb - 1);

		m->hnext = b[h];
		b[h] = (uint32_t)i;
	}
	free(sim->mbuckets);
	sim->mbuckets = b;
	sim->n_mbuckets = nb;
	return 0;
}

/* The index of a market already seen: true and *out set, else false. */
static bool market_find(const struct cman_sim *sim, const char *type, const char *az,
			uint32_t *out)
{
	uint32_t i;

	if (!sim->n_mbuckets)
		return false;
	for (i = sim->mbuckets[market_hash(type, az) & (sim->n_mbuckets - 1)]; i != NIL;
	     i = sim->markets[i].hnext) {
		const struct sim_market *m = &sim->markets[i];

		if (!strcmp(m->type, type) && !strcmp(m->az, az)) {
			*out = i;
			return true;
		}
	}
	return false;
}

/* Warn (once per type) when a market's on-demand price is not the chosen
 * table's price for its region. */
static int warn_od_source(struct cman_sim *sim, const struct sim_market *m, const char *used)
{
	bool other_region = used && strcmp(used, m->region);
	bool other_table = sim->price_table_name && strcmp(m->od_source, sim->price_table_name);

	if ((!other_region && !other_table) || sim->od_warned[m->it->index])
		return 0;
	sim->od_warned[m->it->index] = 1;
	if (!other_table)
		return sim_warn(sim, "the catalog has no on-demand price for %s in %s; "
				"using the %s price ($%.4f/h)", m->type, m->region, used,
				m->ondemand_price);
	return sim_warn(sim, "the %s on-demand price table has no price for %s in %s; "
			"using the %s price of the %s table ($%.4f/h; set prices.on_demand "
			"to price it)", sim->price_table_name, m->type, m->region, used,
			m->od_source, m->ondemand_price);
}

/* (market_intern: see sim_int.h; where names the input for messages.) */
int market_intern(struct cman_sim *sim, const char *type, const char *az,
		      const char *where, uint32_t *out, struct cman_error *err)
{
	struct sim_market *m;
	const char *used = NULL;
	int rc;

	if (market_find(sim, type, az, out))
		return 0;
	if (sim->n_markets == sim->cap_markets) {
		size_t cap = sim->cap_markets ? 2 * sim->cap_markets : 16;
		struct sim_market *nm = realloc(sim->markets, cap * sizeof(*nm));
		int64_t *want;

		if (!nm)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		sim->markets = nm;
		want = realloc(sim->want, cap * sizeof(*want));
		if (!want)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		sim->want = want;
		sim->cap_markets = cap;
	}
	m = &sim->markets[sim->n_markets];
	memset(m, 0, sizeof(*m));
	sim->want[sim->n_markets] = 0;   /* a market first seen in a capacity sample */
	if (strlen(type) >= sizeof(m->type) || strlen(az) >= sizeof(m->az))
		return cman_error_set(err, CMAN_EINVAL, "%s: market <%s, %s>: name too long",
				      where, type, az);
	strcpy(m->type, type);
	strcpy(m->az, az);
	m->it = cman_catalog_find(sim->cat, type);
	if (!m->it)
		return cman_error_set(err, CMAN_EINVAL,
				      "%s: unknown instance type '%s' in market <%s, %s> "
				      "(expected an EC2 instance type of the catalog)",
				      where, type, type, az);
	if (cman_region_of_az(az, m->region, sizeof(m->region)))
		return cman_error_set(err, CMAN_EINVAL,
				      "%s: unknown availability zone '%s' in market <%s, %s> "
				      "(expected a zone of a known AWS region, like us-west-2a)",
				      where, az, type, az);
	for (size_t k = 0; k < sim->sc->n_od_prices; k++) {
		const struct cman_od_price *o = &sim->sc->od_prices[k];

		if (!strcmp(o->instance_type, type) && !strcmp(o->region, m->region)) {
			m->ondemand_price = o->usd_per_hour;
			m->od_source = "scenario";
		}
	}
	if (!m->od_source) {
		if (cman_catalog_ondemand_price_at(sim->cat, m->it, m->region,
						   sim->sc->start_time, sim->price_table,
						   &m->ondemand_price, &used, &m->od_source))
			return cman_error_set(err, CMAN_EINVAL,
					      "%s: the catalog has no on-demand price for '%s'",
					      where, type);
		rc = warn_od_source(sim, m, used);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	m->weight = floor(m->it->cpus / sim->sc->cpus_per_weight);
	/* as the simulated connector counts an agent (connector.c) */
	m->res[CMAN_RES_CPUS] = m->it->cpus;
	m->res[CMAN_RES_MEM] = m->it->mem_mb;
	m->res[CMAN_RES_DISK] = m->it->has_local_disk ? m->it->disk_mb
						      : sim->sc->ebs_volume_gb * 1024.0;
	m->res[CMAN_RES_GPUS] = m->it->gpus;
	m->res_exact = true;
	for (int r = 0; r < CMAN_RES_COUNT; r++)
		if (!(m->res[r] >= 0 && m->res[r] < 4294967296.0 && m->res[r] == floor(m->res[r])))
			m->res_exact = false;
	m->uncovered_since = NO_TIME;
	m->price_series = NO_SERIES;
	if (sim->sc->billing == CMAN_BILL_AWS)
		for (size_t k = 0; k < sim->sc->n_hourly_types; k++)
			if (!strcmp(sim->sc->hourly_types[k], type))
				m->hourly = true;
	if (cman_ledger_init(&m->ledger, sim->sc->start_time, sim->sc->end_time,
			     sim->market_step))
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	/* the same deltas as the pool's ledger: its steps close as the run
	 * moves on (close_market_steps), so its ring of open steps stays a few
	 * slots instead of growing to the whole run (1 MB a market a year) */
	cman_ledger_set_horizon(&m->ledger, CMAN_BILLING_LOOKBACK);
	(void)cman_ledger_set_share(&m->ledger, sim->now, 0.0);
	m->h_instances = calloc(sim->n_market_steps, sizeof(*m->h_instances));
	m->h_price = malloc(sim->n_market_steps * sizeof(*m->h_price));
	m->h_spot_seconds = calloc(sim->n_market_steps, sizeof(*m->h_spot_seconds));
	m->h_spot_at_price = calloc(sim->n_market_steps, sizeof(*m->h_spot_at_price));
	m->spot_since = sim->sc->start_time;
	if (!m->h_instances || !m->h_price || !m->h_spot_seconds || !m->h_spot_at_price) {
		free(m->h_instances);
		free(m->h_price);
		free(m->h_spot_seconds);
		free(m->h_spot_at_price);
		cman_ledger_release(&m->ledger);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < sim->n_market_steps; k++)
		m->h_price[k] = NAN;
	*out = (uint32_t)sim->n_markets++;
	if (sim->n_markets * 2 > sim->n_mbuckets) {
		rc = market_rehash(sim);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	} else {
		size_t h = market_hash(type, az) & (sim->n_mbuckets - 1);

		m->hnext = sim->mbuckets[h];
		sim->mbuckets[h] = *out;
	}
	return 0;
}

static void market_fmt(const struct sim_market *m, char *buf, size_t n)
{
	cman_market_format(buf, n, m->type, m->az);
}

/* ---- billing callbacks --------------------------------------------------- */

static double price_cb(void *ctx, uint32_t market, bool ondemand)
{
	struct cman_sim *sim = ctx;
	struct sim_market *m = &sim->markets[market];

	if (ondemand)
		return m->ondemand_price;
	if (m->has_price)
		return m->spot_price;
	if (m->uncovered_since == NO_TIME)
		m->uncovered_since = sim->now;
	return m->ondemand_price;
}

static void delta_cb(void *ctx, uint32_t market, int64_t t, double d)
{
	struct cman_sim *sim = ctx;

	cman_ledger_delta(&sim->markets[market].ledger, t, d);
	if (sim->any_res_data)
		for (int r = CMAN_RES_MEM; r < CMAN_RES_COUNT; r++)
			if (sim->res_data[r])
				cman_ledger_delta(&sim->res_ledger[r], t, d);
}

static int expire_cb(void *ctx, int64_t t, uint32_t pending)
{
	struct cman_sim *sim = ctx;

	if (t >= sim->sc->end_time)
		return 0;
	return cman_queue_push(&sim->q, t, CMAN_PRIO_BILLING, EV_EXPIRE, pending);
}

static int schedule_cb(void *ctx, int64_t t, uint32_t cohort)
{
	struct cman_sim *sim = ctx;

	if (t >= sim->sc->end_time)
		return 0;
	return cman_queue_push(&sim->q, t, CMAN_PRIO_BILLING, EV_TICK, cohort);
}

static int warn_uncovered(struct cman_sim *sim, struct sim_market *m, int64_t until)
{
	char a[CMAN_TIME_BUFSZ], b[CMAN_TIME_BUFSZ], mk[128];

	/* a price recorded at that very second applies from it: nothing uncovered */
	if (m->uncovered_since == NO_TIME || until <= m->uncovered_since)
		return 0;
	market_fmt(m, mk, sizeof(mk));
	return sim_warn(sim, "market %s: no spot price recorded from %s to %s; "
			"billed at the on-demand price $%.4f/h",
			mk, cman_time_format(m->uncovered_since, a),
			cman_time_format(until, b), m->ondemand_price);
}

/*
 * The on-demand comparison: add market m's running spot instances, at the
 * price they are billed at, from m->spot_since to now into its market steps.
 * Called before the count or the price changes; amortized O(1).
 */
static void spot_accrue(struct cman_sim *sim, struct sim_market *m)
{
	int64_t t = m->spot_since, end = sim->now, t0 = sim->sc->start_time;
	double price = m->has_price ? m->spot_price : m->ondemand_price;
	size_t k;

	if (m->spot_running && end > t) {
		for (k = (size_t)((t - t0) / sim->market_step); t < end && k < sim->n_market_steps;
		     k++) {
			int64_t b = t0 + (int64_t)(k + 1) * sim->market_step;
			double s;

			if (b > end)
				b = end;
			s = (double)m->spot_running * (double)(b - t);
			m->h_spot_seconds[k] += s;
			m->h_spot_at_price[k] += s * price / 3600.0;
			t = b;
		}
	}
	if (end > m->spot_since)
		m->spot_since = end;
}

/* ---- pool state ---------------------------------------------------------- */

static void totals_per_resource(struct cman_sim *sim);

static double unused_cpus(const struct cman_sim *sim)
{
	double u = sim->running_cpus - sim->allocated;

	return u > 0 ? u : 0;
}

static double oversubscribed(const struct cman_sim *sim)
{
	double o = sim->allocated - sim->running_cpus;

	return o > 0 ? o : 0;
}

static inline double res_running(const struct cman_sim *sim, int r)
{
	return r == CMAN_RES_CPUS ? sim->running_cpus : sim->running_res[r];
}

/*
 * The binding resource now: of the resources with data, the one whose
 * allocation is the largest share of the running capacity (allocated with
 * no capacity counts as infinitely large); the first in the order cpus,
 * mem, disk, gpus on a tie; NO_BINDING when nothing is allocated.
 */
static int binding_of(const struct cman_sim *sim)
{
	int r, best = NO_BINDING;
	double best_u = 0;

	if (!sim->any_res_data)   /* CPUs alone */
		return sim->allocated > 0 ? CMAN_RES_CPUS : NO_BINDING;
	for (r = 0; r < CMAN_RES_COUNT; r++) {
		double a = sim->allocated_res[r], c, u;

		if (!sim->res_data[r] || !(a > 0))
			continue;
		c = res_running(sim, r);
		u = c > 0 ? a / c : INFINITY;
		if (best == NO_BINDING || u > best_u) {
			best = r;
			best_u = u;
		}
	}
	return best;
}

/*
 * advance() reached step next_step (>= row_hi) with chunked records: the
 * chunk it starts (rows_sink: the ones before go back first).  Out of
 * memory: the rows go to the scratch row one at a time, and the run fails
 * (rows_fail).  Out of line: advance() keeps its registers for the step
 * (inlined, it saved and restored two more at each call, 1.7 M calls a
 * year, measured with callgrind).
 */
static __attribute__((noinline, cold)) void rows_enter(struct cman_sim *sim)
{
	struct cman_chunks *tabs[3] = { &sim->row_steps, &sim->row_binding, &sim->row_res };
	void *p[3] = { NULL, NULL, NULL };
	size_t i = sim->next_step;

	if (sim->rows_recycle &&
	    !cman_chunks_enter(tabs, sim->any_res_data ? 3 : 2, i, sim->rows_sink, p,
			       &sim->row_lo, &sim->row_hi)) {
		sim->row_at = p[0];
		sim->bind_at = p[1];
		sim->res_at = p[2];
		return;
	}
	sim->rows_fail = CMAN_ENOMEM;
	sim->row_lo = i;
	sim->row_hi = i + 1;
	sim->row_at = &sim->scratch_row;
	sim->bind_at = &sim->scratch_bind;
	sim->res_at = &sim->scratch_res;
}

/* Every record so far was kept (else no row is published again). */
static __attribute__((noinline)) bool rows_ok(const struct cman_sim *sim)
{
	int k;

	if (sim->rows_fail || sim->ledger.fail == CMAN_ENOMEM)
		return false;
	for (k = CMAN_RES_MEM; k < CMAN_RES_COUNT; k++)
		if (sim->res_data[k] && sim->res_ledger[k].fail == CMAN_ENOMEM)
			return false;
	return true;
}

void sim_rows_at(const struct cman_sim *sim, size_t i, struct sim_rows *v)
{
	const size_t mask = ((size_t)1 << sim->rows_shift) - 1, j = i & mask;
	int k;

	memset(v, 0, sizeof(*v));
	if (!sim->rows_recycle) {
		v->steps = sim->steps + i;
		v->binding = sim->step_binding + i;
		v->res = sim->res_steps ? sim->res_steps + i : NULL;
		v->cost = sim->ledger.cost + i;
		v->unused_cost = sim->ledger.unused_cost + i;
		v->rate = sim->ledger.rate + i;
		for (k = CMAN_RES_MEM; k < CMAN_RES_COUNT; k++)
			if (sim->res_data[k])
				v->res_unused_cost[k] = sim->res_ledger[k].unused_cost + i;
		v->n = sim->ledger.n_steps - i;
		return;
	}
	v->steps = (const struct step_row *)(const void *)cman_chunks_of(&sim->row_steps, i) + j;
	v->binding = cman_chunks_of(&sim->row_binding, i) + j;
	if (sim->any_res_data)
		v->res = (const struct res_row *)(const void *)cman_chunks_of(&sim->row_res, i) + j;
	v->cost = (const double *)(const void *)cman_chunks_of(&sim->ledger.out[0], i) + j;
	v->unused_cost = (const double *)(const void *)cman_chunks_of(&sim->ledger.out[1], i) + j;
	v->rate = (const double *)(const void *)cman_chunks_of(&sim->ledger.out[2], i) + j;
	for (k = CMAN_RES_MEM; k < CMAN_RES_COUNT; k++)
		if (sim->res_data[k])
			v->res_unused_cost[k] = (const double *)(const void *)
				cman_chunks_of(&sim->res_ledger[k].out[1], i) + j;
	v->n = cman_chunks_left(&sim->row_steps, i);
}

void sim_rows_give_back(struct cman_sim *sim, size_t done)
{
	int k, c;

	if (!sim->rows_recycle)
		return;
	cman_chunks_give_back(&sim->row_steps, done);
	cman_chunks_give_back(&sim->row_binding, done);
	if (sim->any_res_data)
		cman_chunks_give_back(&sim->row_res, done);
	for (c = 0; c < 3; c++)
		cman_chunks_give_back(&sim->ledger.out[c], done);
	for (k = CMAN_RES_MEM; k < CMAN_RES_COUNT; k++)
		for (c = 0; c < 3 && sim->res_data[k]; c++)
			cman_chunks_give_back(&sim->res_ledger[k].out[c], done);
}

/* Integrate the state up to t and record the steps that start before t. */
static void advance(struct cman_sim *sim, int64_t t)
{
	const struct cman_scenario *sc = sim->sc;
	int64_t dt = t - sim->last_t;

	/* again at the time of the last call (or the start): the steps that
	 * start before t are recorded already, nothing to integrate */
	if (dt == 0)
		return;
	while (sim->next_step < sim->ledger.n_steps) {
		int64_t a = sc->start_time + (int64_t)sim->next_step * sc->step_seconds;
		struct step_row *r;
		size_t j;

		if (a >= t)
			break;
		if (sim->autoscaling) {
			double total = 0;
			size_t g;

			for (g = 0; g < sim->n_groups; g++) {
				sim->groups[g].step_target[sim->next_step] = sim->groups[g].target;
				sim->groups[g].step_fulfilled[sim->next_step] = sim->groups[g].fulfilled;
				total += sim->groups[g].target;
			}
			sim->target = total;
			sim->has_target = true;
		}
		if (sim->next_step >= sim->row_hi)
			rows_enter(sim);   /* the next chunk */
		j = sim->next_step++ - sim->row_lo;
		r = &sim->row_at[j];
		r->cpus = sim->joined_cpus;
		r->allocated = sim->allocated;
		r->running = sim->running_cpus;
		r->oversubscribed = oversubscribed(sim);
		r->target = sim->has_target ? sim->target : NAN;
		r->fulfilled = sim->fulfilled;
		sim->bind_at[j] = (unsigned char)binding_of(sim);
		if (sim->any_res_data) {
			struct res_row *x = &sim->res_at[j];
			int k;

			for (k = CMAN_RES_MEM; k < CMAN_RES_COUNT; k++) {
				x->joined[k] = sim->joined_res[k];
				x->allocated[k] = sim->allocated_res[k];
				x->running[k] = sim->running_res[k];
			}
		}
	}
	if (sim->next_step >= sim->ts_publish_at && rows_ok(sim))
		sim_ts_publish(sim);   /* timeseries.csv's thread takes the rows */
	while (sim->next_market_step < sim->n_market_steps) {
		int64_t a = sc->start_time + (int64_t)sim->next_market_step * sim->market_step;
		size_t k = sim->next_market_step, i;

		if (a >= t)
			break;
		for (i = 0; i < sim->n_markets; i++) {
			struct sim_market *m = &sim->markets[i];

			m->h_instances[k] = (double)m->running;
			m->h_price[k] = m->has_price ? m->spot_price : NAN;
		}
		sim->next_market_step++;
	}
	if (dt > 0) {
		sim_check_interval(sim, t);
		sim->joined_s += (long double)sim->joined_cpus * dt;
		sim->alloc_s += (long double)sim->allocated * dt;
		sim->over_s += (long double)oversubscribed(sim) * dt;
		sim->running_s += (long double)sim->running_cpus * dt;
		sim->binding_s[binding_of(sim)] += dt;
		if (sim->any_res_data) {
			int r;

			for (r = CMAN_RES_MEM; r < CMAN_RES_COUNT; r++) {
				double a = sim->allocated_res[r], c = sim->running_res[r];

				if (!sim->res_data[r])
					continue;
				sim->res_joined_s[r] += (long double)sim->joined_res[r] * dt;
				sim->res_alloc_s[r] += (long double)a * dt;
				sim->res_running_s[r] += (long double)c * dt;
				if (a > c)
					sim->res_over_s[r] += (long double)(a - c) * dt;
			}
		}
		sim->last_t = t;
	}
}

/* The pool's unused share and the other resources' from now on (when any
 * has data).  (Not inline: update_share() stays small for the CPUs alone.) */
static __attribute__((noinline)) int update_res_shares(struct cman_sim *sim, double share)
{
	int r, rc = cman_ledger_set_share(&sim->ledger, sim->now, share);

	for (r = CMAN_RES_MEM; r < CMAN_RES_COUNT && !rc; r++) {
		double c = sim->running_res[r], u = c - sim->allocated_res[r];

		if (sim->res_data[r])
			rc = cman_ledger_set_share(&sim->res_ledger[r], sim->now,
						   c > 0 && u > 0 ? u / c : 0);
	}
	return rc;
}

/*
 * The markets' ledgers take the deltas the pool's takes, with no unused
 * share (always 0): their steps a lookback old are final as well.  All of
 * them close together (the first one's close_at stands for them all; a
 * market met later closed its steps up to then when it was interned).
 */
static __attribute__((noinline)) void close_market_steps(struct cman_sim *sim)
{
	size_t i;

	/* v is the share in force (0): no history entry, nothing to fail */
	for (i = 0; i < sim->n_markets; i++)
		(void)cman_ledger_set_share(&sim->markets[i].ledger, sim->now, 0.0);
}

/* After an event: the unused share from now on. */
static inline int update_share(struct cman_sim *sim)
{
	double share = sim->running_cpus > 0 ? unused_cpus(sim) / sim->running_cpus : 0;

	if (sim->joined_cpus > sim->peak_cpus)
		sim->peak_cpus = sim->joined_cpus;
	if (sim->n_markets && sim->now >= sim->markets[0].ledger.close_at)
		close_market_steps(sim);
	if (sim->any_res_data)
		return update_res_shares(sim, share);
	return cman_ledger_set_share(&sim->ledger, sim->now, share);
}

/* ---- instances ------------------------------------------------------------ */

static int fifo_push(struct sim_market *m, uint32_t id)
{
	if (m->len == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16, i;
		uint32_t *f = malloc(cap * sizeof(*f));

		if (!f)
			return CMAN_ENOMEM;
		for (i = 0; i < m->len; i++)
			f[i] = m->fifo[(m->head + i) % m->cap];
		free(m->fifo);
		m->fifo = f;
		m->head = 0;
		m->cap = cap;
	}
	m->fifo[(m->head + m->len) % m->cap] = id;
	m->len++;
	return 0;
}

static uint32_t fifo_pop(struct sim_market *m)
{
	uint32_t id = m->fifo[m->head];

	m->head = (m->head + 1) % m->cap;
	m->len--;
	return id;
}

static int64_t draw_join_delay(struct cman_sim *sim)
{
	double d = sim->sc->join_delay_mean;

	if (sim->sc->join_delay_stdev > 0)
		d += gsl_ran_gaussian(sim->rng_join, sim->sc->join_delay_stdev);
	if (d < 0)
		d = 0;
	return (int64_t)llround(d);
}

void sim_join_instance(struct cman_sim *sim, uint32_t id)
{
	struct sim_instance *in = &sim->inst[id];
	const struct sim_market *m = &sim->markets[in->market];

	in->joined = true;
	sim->joined_cpus += m->it->cpus;
	for (int r = CMAN_RES_MEM; r < CMAN_RES_COUNT; r++)
		sim->joined_res[r] += m->res[r];
	if (sim->autoscaling) {
		sim_connector_joined(sim, id);
		sim_group_joined(&sim->groups[in->group], id);
	}
}

int sim_launch(struct cman_sim *sim, uint32_t market, uint32_t group, uint32_t spec,
	       bool spot, double bid, double weight, bool immediate, uint32_t *out,
	       struct cman_error *err)
{
	struct sim_market *m = &sim->markets[market];
	struct sim_instance *in;
	uint32_t id;
	int rc;

	if (sim->n_inst == sim->cap_inst) {
		size_t cap = sim->cap_inst ? 2 * sim->cap_inst : 1024;
		struct sim_instance *ni = realloc(sim->inst, cap * sizeof(*ni));

		if (!ni)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		sim->inst = ni;
		sim->cap_inst = cap;
		cman_hint_huge(ni, cap * sizeof(*ni));
	}
	if (sim->n_inst >= NIL)
		return cman_error_set(err, CMAN_ENOMEM, "too many instances");
	id = (uint32_t)sim->n_inst++;
	in = &sim->inst[id];
	memset(in, 0, sizeof(*in));
	in->start = sim->now;
	in->end = NO_TIME;
	in->market = market;
	in->group = group;
	in->spec = spec;
	in->spot = spot;
	in->has_bid = spot && group != NO_GROUP;
	in->bid = bid;
	in->weight = weight;
	in->join = immediate ? sim->now : sim->now + draw_join_delay(sim);
	rc = cman_billing_start(&sim->billing, market, !spot, m->hourly, sim->now, &in->bill);
	if (rc)
		return cman_error_set(err, rc, "out of memory");
	if (sim->autoscaling) {
		if (sim->n_running_ids == sim->cap_running_ids) {
			size_t cap = sim->cap_running_ids ? 2 * sim->cap_running_ids : 1024;
			uint32_t *r = realloc(sim->running_ids, cap * sizeof(*r));

			if (!r)
				return cman_error_set(err, CMAN_ENOMEM, "out of memory");
			sim->running_ids = r;
			sim->cap_running_ids = cap;
		}
		sim->running_ids[sim->n_running_ids++] = id;
	}
	m->launched++;
	m->running++;
	if (spot) {
		m->spot_used = true;
		spot_accrue(sim, m);
		m->spot_running++;
	}
	sim->totals.instances_launched++;
	sim->running_cpus += m->it->cpus;
	for (int r = CMAN_RES_MEM; r < CMAN_RES_COUNT; r++)
		sim->running_res[r] += m->res[r];
	sim->fulfilled += weight;
	if (in->join == sim->now) {
		sim_join_instance(sim, id);
	} else if (in->join < sim->sc->end_time) {
		rc = cman_queue_push(&sim->q, in->join, CMAN_PRIO_CLUSTER, EV_JOIN, id);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	*out = id;
	return 0;
}

/* Replay: launch one instance of market at now. */
static int launch(struct cman_sim *sim, uint32_t market, bool immediate,
		  struct cman_error *err)
{
	struct sim_market *m = &sim->markets[market];
	uint32_t id = 0;
	int rc = sim_launch(sim, market, NO_GROUP, 0, true, 0, m->weight, immediate, &id, err);

	if (rc)
		return rc;
	rc = fifo_push(&sim->markets[market], id);
	return rc ? cman_error_set(err, rc, "out of memory") : 0;
}

void sim_finish_instance(struct cman_sim *sim, uint32_t id, bool by_ec2)
{
	struct sim_instance *in = &sim->inst[id];
	struct sim_market *m = &sim->markets[in->market];
	/* outbid: a spot instance with a bid not above the price at its end,
	 * however it ended (EC2 interruption, pruned, end of the run) */
	bool outbid = in->has_bid && in->bid <= sim_market_price(sim, in->market);
	/* aws billing refunds only what EC2 itself interrupted */
	bool refundable = sim->billing.aws ? by_ec2 && outbid : outbid;

	if (sim->autoscaling)
		sim_connector_ending(sim, id);
	in->end = sim->now;
	in->cost = cman_billing_stop(&sim->billing, &in->bill, sim->now, refundable);
	m->cost += in->cost;
	m->running--;
	if (in->spot) {
		spot_accrue(sim, m);
		m->spot_running--;
	}
	sim->running_cpus -= m->it->cpus;
	for (int r = CMAN_RES_MEM; r < CMAN_RES_COUNT; r++)
		sim->running_res[r] -= m->res[r];
	sim->fulfilled -= in->weight;
	if (in->joined) {
		sim->joined_cpus -= m->it->cpus;
		for (int r = CMAN_RES_MEM; r < CMAN_RES_COUNT; r++)
			sim->joined_res[r] -= m->res[r];
	}
	if (sim->now < sim->sc->end_time)
		sim->totals.instances_terminated++;
}

/* Replay: make market m run count instances (oldest leave first). */
static int set_market_count(struct cman_sim *sim, uint32_t market, int64_t count,
			    bool immediate, struct cman_error *err)
{
	struct sim_market *m = &sim->markets[market];
	int rc;

	while ((int64_t)m->len < count) {
		rc = launch(sim, market, immediate, err);
		if (rc)
			return rc;
		m = &sim->markets[market];
	}
	while ((int64_t)m->len > count)
		sim_finish_instance(sim, fifo_pop(m), false);
	return 0;
}

/* ---- feeds ----------------------------------------------------------------- */

static const char *feed_where(const struct cman_sim *sim, const struct feed *f,
			      char *buf, size_t n)
{
	char t[CMAN_TIME_BUFSZ];

	snprintf(buf, n, "%s: %s key '%s' at %s", f->store->name,
		 cman_kind_name(f->mkind), f->key, cman_time_format(f->s.t, t));
	return buf;
}

/* (Not inline: apply_feed() stays small for the numbers, the most samples.) */
static __attribute__((noinline)) int apply_capacity(struct cman_sim *sim, const struct feed *f,
						    struct cman_error *err)
{
	char where[CMAN_KEY_MAX + 1200];
	bool immediate = !sim->first_capacity_done;
	double count, q;
	size_t i;
	int rc = 0;

	if (!f->s.is_map)
		return cman_error_set(err, CMAN_EINVAL, "%s: expected a map of market to "
				      "weighted capacity, got a number",
				      feed_where(sim, f, where, sizeof(where)));
	/* the same markets (the same names) and values as the last sample,
	 * which passed: want[] holds their counts already (and 0 for markets
	 * met since), the checks would pass again, and the markets run those
	 * counts: in a replay only a capacity sample launches or ends an
	 * instance before the end (the autoscaler, which does too, has no
	 * capacity feed), and the last one set every market to want[] */
	if (f->s.n_markets + 1 == sim->cap_n1) {
		for (i = 0; i < f->s.n_markets; i++) {
			const struct cman_market_value *mv = &f->s.markets[i];

			if (mv->instance_type != sim->cap_type[i] || mv->az != sim->cap_az[i] ||
			    mv->value != sim->cap_value[i])
				break;
		}
		if (i == f->s.n_markets) {
			assert(!sim->autoscaling && sim->first_capacity_done);
			for (i = 0; i < sim->n_markets; i++)
				assert((int64_t)sim->markets[i].len == sim->want[i]);
			return 0;
		}
	}
	sim->cap_n1 = 0;
	for (i = 0; i < sim->n_markets; i++)
		sim->want[i] = 0;
	for (i = 0; i < f->s.n_markets; i++) {
		const struct cman_market_value *mv = &f->s.markets[i];
		uint32_t mi = i < 16 ? sim->cap_market[i] : NIL;

		if (i < 16 && mv->instance_type == sim->cap_type[i] && mv->az == sim->cap_az[i]) {
			/* the same names as last time: market mi */
		} else if (mi >= sim->n_markets || strcmp(sim->markets[mi].type, mv->instance_type) ||
			   strcmp(sim->markets[mi].az, mv->az)) {
			if (!market_find(sim, mv->instance_type, mv->az, &mi)) {
				/* first sight of a market: check it, with the sample's place */
				feed_where(sim, f, where, sizeof(where));
				rc = market_intern(sim, mv->instance_type, mv->az, where, &mi, err);
				if (rc)
					return rc;
			}
			if (i < 16)
				sim->cap_market[i] = mi;
		}
		if (i < 16) {
			sim->cap_type[i] = mv->instance_type;
			sim->cap_az[i] = mv->az;
		}
		if (sim->markets[mi].weight <= 0)
			return cman_error_set(err, CMAN_EINVAL,
					      "%s: market <%s, %s> has %g vCPUs, less than "
					      "simulation.cpus_per_weight (%g): its weight would be 0",
					      feed_where(sim, f, where, sizeof(where)),
					      mv->instance_type, mv->az,
					      sim->markets[mi].it->cpus, sim->sc->cpus_per_weight);
		if (!(mv->value >= 0) || !isfinite(mv->value))
			return cman_error_set(err, CMAN_EINVAL,
					      "%s: market <%s, %s>: capacity %g is not a "
					      "non-negative number", feed_where(sim, f, where, sizeof(where)),
					      mv->instance_type, mv->az, mv->value);
		/* issue 9.6: bounded before the conversion (1e308 is not a long);
		 * below 2^53 the truncation is floor (q >= 0), and cheaper */
		q = mv->value / sim->markets[mi].weight;
		count = q < 9007199254740992.0 ? (double)(int64_t)q : floor(q);
		if (count + (double)sim->want[mi] > CMAN_INSTANCES_MAX)
			return cman_error_set(err, CMAN_EINVAL,
					      "%s: market <%s, %s>: capacity %g means %.0f "
					      "instances, expected at most %d per market",
					      feed_where(sim, f, where, sizeof(where)),
					      mv->instance_type, mv->az, mv->value,
					      count + (double)sim->want[mi], CMAN_INSTANCES_MAX);
		sim->want[mi] += (int64_t)count;
		if (i < 16)
			sim->cap_value[i] = mv->value;
	}
	if (f->s.n_markets <= 16)
		sim->cap_n1 = f->s.n_markets + 1;
	for (i = 0; i < sim->n_markets && !rc; i++)
		rc = set_market_count(sim, (uint32_t)i, sim->want[i], immediate, err);
	sim->first_capacity_done = true;
	return rc;
}

static __attribute__((noinline)) int apply_price(struct cman_sim *sim, const struct feed *f,
						 struct cman_error *err)
{
	struct sim_market *m = &sim->markets[f->market];
	double old = m->has_price ? m->spot_price : m->ondemand_price;
	double p = f->s.value * sim->sc->discount;
	char where[CMAN_KEY_MAX + 1200];
	int rc;

	if (!(f->s.value >= 0) || !(f->s.value <= CMAN_PRICE_MAX) || f->s.is_map)
		return cman_error_set(err, CMAN_EINVAL, "%s: expected a price from 0 to %g $/h",
				      feed_where(sim, f, where, sizeof(where)), CMAN_PRICE_MAX);
	if (!m->has_price && m->uncovered_since != NO_TIME) {
		rc = warn_uncovered(sim, m, sim->now);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
		m->uncovered_since = NO_TIME;
	}
	spot_accrue(sim, m);
	m->spot_price = p;
	m->has_price = true;
	cman_billing_price_changed(&sim->billing, f->market, sim->now, old, p);
	return sim->autoscaling ? sim_groups_price_changed(sim, f->market, err) : 0;
}

static __attribute__((noinline, cold)) int bad_number(struct cman_sim *sim,
							const struct feed *f,
							struct cman_error *err)
{
	char where[CMAN_KEY_MAX + 1200];

	return cman_error_set(err, CMAN_EINVAL, "%s: expected a number from 0 to %g",
			      feed_where(sim, f, where, sizeof(where)), CMAN_VALUE_MAX);
}

static int apply_feed(struct cman_sim *sim, const struct feed *f,
		      struct cman_error *err)
{
	switch (f->kind) {
	case FEED_CAPACITY:
		return apply_capacity(sim, f, err);
	case FEED_PRICE:
		return apply_price(sim, f, err);
	case FEED_ALLOCATED:
	case FEED_TARGET:
		if (f->s.is_map || !(f->s.value >= 0) || !(f->s.value <= CMAN_VALUE_MAX))
			return bad_number(sim, f, err);
		if (f->kind == FEED_ALLOCATED) {
			sim->allocated_res[f->market] = f->s.value;
			sim->allocated = sim->allocated_res[CMAN_RES_CPUS];
		} else {
			sim->target = f->s.value;
			sim->has_target = true;
		}
		return 0;
	}
	return 0;
}

static int add_feed(struct cman_sim *sim, struct cman_store *st, enum feed_kind kind,
		    enum cman_metric_kind mkind, const char *key, uint32_t market,
		    struct cman_error *err)
{
	char label[CMAN_KEY_MAX + 64];
	struct feed *f;
	uint32_t series;
	int rc;

	if (sim->n_feeds == sim->cap_feeds) {
		size_t cap = sim->cap_feeds ? 2 * sim->cap_feeds : 16;
		struct feed *nf = realloc(sim->feeds, cap * sizeof(*nf));

		if (!nf)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		sim->feeds = nf;
		sim->cap_feeds = cap;
	}
	f = &sim->feeds[sim->n_feeds];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->mkind = mkind;
	f->market = market;
	f->store = st;
	snprintf(f->key, sizeof(f->key), "%s", key);
	rc = cman_store_open_cursor(st, mkind, key, sim->sc->start_time,
				    sim->sc->end_time - 1, CMAN_CURSOR_WITH_PRIOR,
				    &f->cur, err);
	if (rc)
		return rc;
	sim->n_feeds++;
	/* its coverage series (one per kind and key, whatever the store) */
	if (kind == FEED_PRICE) {
		char mk[128];

		market_fmt(&sim->markets[market], mk, sizeof(mk));
		snprintf(label, sizeof(label), "spot_prices %s", mk);
	} else if (cman_metric_key_name(key, label, sizeof(label))) {
		snprintf(label, sizeof(label), "%s", key);
	}
	rc = sim_series_for(sim, mkind, key, label, kind == FEED_PRICE ? market : NO_MARKET,
			    &series, err);
	if (rc)
		return rc;
	sim->feeds[sim->n_feeds - 1].series = series;
	sim->series[series].n_feeds++;
	if (kind == FEED_PRICE)
		sim->markets[market].price_series = series;
	return 0;
}

struct key_list {
	char **keys;
	size_t n, cap;
};

static int collect_key(void *ctx, const char *key)
{
	struct key_list *kl = ctx;

	if (kl->n == kl->cap) {
		size_t cap = kl->cap ? 2 * kl->cap : 16;
		char **k = realloc(kl->keys, cap * sizeof(*k));

		if (!k)
			return CMAN_ENOMEM;
		kl->keys = k;
		kl->cap = cap;
	}
	kl->keys[kl->n] = strdup(key);
	if (!kl->keys[kl->n])
		return CMAN_ENOMEM;
	kl->n++;
	return 0;
}

static void key_list_free(struct key_list *kl)
{
	size_t i;

	for (i = 0; i < kl->n; i++)
		free(kl->keys[i]);
	free(kl->keys);
	memset(kl, 0, sizeof(*kl));
}

/* Does st hold samples for (kind, key)? */
static int has_key(struct cman_store *st, enum cman_metric_kind kind,
		   const char *key, bool *out, struct cman_error *err)
{
	struct key_list kl = { 0 };
	size_t i;
	int rc = cman_store_keys(st, kind, key, collect_key, &kl, err);

	*out = false;
	for (i = 0; i < kl.n && !rc; i++)
		if (!strcmp(kl.keys[i], key))
			*out = true;
	key_list_free(&kl);
	return rc;
}

/* Open the feeds of every source: capacity, allocated, target, spot prices. */
static int open_feeds(struct cman_sim *sim, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	char cap_key[CMAN_KEY_MAX], alloc_key[CMAN_KEY_MAX], target_key[CMAN_KEY_MAX];
	bool any_capacity = false;
	size_t s, i;
	int rc = 0;

	cman_metric_key_pool(cap_key, sizeof(cap_key), "fulfilled_capacity", sc->cluster,
			     sc->pool, sc->scheduler);
	cman_metric_key_pool(target_key, sizeof(target_key), "target_capacity", sc->cluster,
			     sc->pool, sc->scheduler);
	for (s = 0; s < sim->n_stores && !rc; s++) {
		struct cman_store *st = sim->stores[s];
		struct key_list kl = { 0 };
		bool have;
		int r;

		/* replay follows the recorded capacity; the autoscaler makes its own */
		if (!sim->autoscaling) {
			rc = has_key(st, CMAN_METADATA, cap_key, &have, err);
			if (!rc && have) {
				any_capacity = true;
				rc = add_feed(sim, st, FEED_CAPACITY, CMAN_METADATA, cap_key, 0, err);
			}
			if (!rc)
				rc = has_key(st, CMAN_METADATA, target_key, &have, err);
			if (!rc && have)
				rc = add_feed(sim, st, FEED_TARGET, CMAN_METADATA, target_key, 0, err);
		}
		for (r = 0; r < CMAN_RES_COUNT && !rc; r++) {
			char name[32];

			snprintf(name, sizeof(name), "%s_allocated", cman_resource_name(r));
			cman_metric_key_pool(alloc_key, sizeof(alloc_key), name, sc->cluster,
					     sc->pool, sc->scheduler);
			rc = has_key(st, CMAN_SYSTEM_METRICS, alloc_key, &have, err);
			if (!rc && have)
				rc = add_feed(sim, st, FEED_ALLOCATED, CMAN_SYSTEM_METRICS, alloc_key,
					      (uint32_t)r, err);
		}
		if (!rc)
			rc = cman_store_keys(st, CMAN_METADATA, "spot_prices|", collect_key,
					     &kl, err);
		for (i = 0; i < kl.n && !rc; i++) {
			char type[CMAN_TYPE_MAX], az[CMAN_AZ_MAX], where[CMAN_KEY_MAX + 1100];
			uint32_t mi;

			snprintf(where, sizeof(where), "%s: metadata key '%s'", st->name, kl.keys[i]);
			if (cman_metric_key_dim(kl.keys[i], "aws_instance_type", type, sizeof(type)) ||
			    cman_metric_key_dim(kl.keys[i], "aws_availability_zone", az, sizeof(az))) {
				rc = cman_error_set(err, CMAN_EINVAL, "%s: expected dimensions "
						    "aws_availability_zone and aws_instance_type", where);
				break;
			}
			rc = market_intern(sim, type, az, where, &mi, err);
			if (!rc)
				rc = add_feed(sim, st, FEED_PRICE, CMAN_METADATA, kl.keys[i], mi, err);
		}
		key_list_free(&kl);
	}
	if (!rc && !any_capacity && !sim->autoscaling) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "%s: no metrics source records '%s' (metadata); a replay "
				    "needs the pool's fulfilled capacity (check cluster, pool "
				    "and scheduler)", sc->path, cap_key);
	}
	return rc;
}

/*
 * Which resources have data (a recorded <res>_allocated series: CPUs are
 * always accounted), and their unused-cost ledgers (their per-step records
 * are made at the run's start: sim_rows_start()).
 */
static int setup_resources(struct cman_sim *sim, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	size_t i;

	sim->res_data[CMAN_RES_CPUS] = true;
	for (i = 0; i < sim->n_feeds; i++)
		if (sim->feeds[i].kind == FEED_ALLOCATED && sim->feeds[i].market != CMAN_RES_CPUS) {
			sim->res_data[sim->feeds[i].market] = true;
			sim->any_res_data = true;
		}
	if (!sim->any_res_data)
		return 0;
	for (i = CMAN_RES_MEM; i < CMAN_RES_COUNT; i++)
		if (sim->res_data[i]) {
			if (cman_ledger_init(&sim->res_ledger[i], sc->start_time, sc->end_time,
					     sc->step_seconds))
				return cman_error_set(err, CMAN_ENOMEM, "out of memory");
			cman_ledger_set_horizon(&sim->res_ledger[i], CMAN_BILLING_LOOKBACK);
		}
	return 0;
}

/*
 * A generate spec as a metrics source: its series drawn afresh with the
 * run's seed (so each sweep replica draws its own price and load paths, and
 * replica r draws the same ones at every grid point).
 */
static int generate_source(struct cman_sim *sim, const char *path, struct cman_store *st,
			   struct cman_error *err)
{
	struct cman_gen_spec *spec = NULL;
	int rc = cman_gen_spec_load(path, &spec, err);

	if (!rc) {
		cman_gen_spec_set_seed(spec, sim->sc->seed);
		rc = cman_gen_run(spec, st, NULL, err);
	}
	cman_gen_spec_free(spec);
	return rc;
}

/* ---- the cache of loaded metrics files (issue 12.4) ------------------------ */

struct cache_entry {
	enum cman_source_type type;
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct cman_store *st;
	bool stale;     /* the file changed since: kept for the sims using it */
};

/* The signals' memory copies of a cached store (signal_stores()): the same
 * store, series and window give the same copy, read only by every run. */
struct sig_entry {
	const struct cman_store *src;
	struct sig_series *want;
	size_t n_want;
	int64_t end;
	struct cman_store *dst;
};

struct cman_sim_cache {
	struct cache_entry *e;
	size_t n, cap;
	size_t loads;
	struct sig_entry *sig;
	size_t n_sig, cap_sig;
};

struct cman_sim_cache *cman_sim_cache_new(void)
{
	return calloc(1, sizeof(struct cman_sim_cache));
}

void cman_sim_cache_free(struct cman_sim_cache *cache)
{
	size_t i;

	if (!cache)
		return;
	for (i = 0; i < cache->n_sig; i++) {
		free(cache->sig[i].want);
		cman_store_free(cache->sig[i].dst);
	}
	free(cache->sig);
	for (i = 0; i < cache->n; i++) {
		free(cache->e[i].path);
		cman_store_free(cache->e[i].st);
	}
	free(cache->e);
	free(cache);
}

size_t cman_sim_cache_loads(const struct cman_sim_cache *cache)
{
	return cache ? cache->loads : 0;
}

static bool same_file(const struct cache_entry *e, const struct stat *sb)
{
	return e->dev == sb->st_dev && e->ino == sb->st_ino && e->size == sb->st_size &&
	       e->mtime.tv_sec == sb->st_mtim.tv_sec && e->mtime.tv_nsec == sb->st_mtim.tv_nsec;
}

/* The cached store of src when its file did not change, else NULL (an entry
 * of a file changed since is marked stale); *sb receives the file's status
 * (*ok false: no status, nothing is cached). */
static struct cman_store *cache_find(struct cman_sim_cache *cache,
				     const struct cman_metrics_source *src, struct stat *sb,
				     bool *ok)
{
	size_t i;

	*ok = stat(src->path, sb) == 0;
	for (i = 0; i < cache->n; i++) {
		struct cache_entry *e = &cache->e[i];

		if (e->stale || e->type != src->type || strcmp(e->path, src->path))
			continue;
		if (*ok && same_file(e, sb))
			return e->st;
		/* changed since: load it again (sims still alive may use the
		 * old store: it stays until the cache is freed) */
		e->stale = true;
		return NULL;
	}
	return NULL;
}

/* Keep st for the next runs; false when it could not be kept (the caller
 * still owns st). */
static bool cache_put(struct cman_sim_cache *cache, const struct cman_metrics_source *src,
		      const struct stat *sb, struct cman_store *st)
{
	struct cache_entry *e;

	if (cache->n == cache->cap) {
		size_t cap = cache->cap ? 2 * cache->cap : 4;
		struct cache_entry *ne = realloc(cache->e, cap * sizeof(*ne));

		if (!ne)
			return false;
		cache->e = ne;
		cache->cap = cap;
	}
	e = &cache->e[cache->n];
	e->path = strdup(src->path);
	if (!e->path)
		return false;
	e->type = src->type;
	e->dev = sb->st_dev;
	e->ino = sb->st_ino;
	e->size = sb->st_size;
	e->mtime = sb->st_mtim;
	e->st = st;
	e->stale = false;
	cache->n++;
	return true;
}

static int load_sources(struct cman_sim *sim, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	size_t i;
	int rc = 0;

	sim->stores = calloc(sc->n_sources ? sc->n_sources : 1, sizeof(*sim->stores));
	sim->store_cached = calloc(sc->n_sources ? sc->n_sources : 1, sizeof(bool));
	if (!sim->stores || !sim->store_cached)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	for (i = 0; i < sc->n_sources && !rc; i++) {
		const struct cman_metrics_source *src = &sc->sources[i];
		struct cman_store *st = NULL;
		bool cacheable = sim->cache && (src->type == CMAN_SRC_CLUSTERMAN_JSON ||
						src->type == CMAN_SRC_CSV);
		bool stat_ok = false;
		struct stat sb;

		if (cacheable) {
			st = cache_find(sim->cache, src, &sb, &stat_ok);
			if (st) {
				sim->store_cached[sim->n_stores] = true;
				sim->stores[sim->n_stores++] = st;
				if (sim->log)
					fprintf(sim->log, "loaded %s\n", src->path);
				continue;
			}
		}
		if (src->type == CMAN_SRC_SQLITE) {
			/* its slow checks run beside the setup and the loop
			 * (settle_checks() waits for them) */
			rc = cman_store_sqlite_open_checking(src->path, &st, err);
		} else if (src->type == CMAN_SRC_STORE_URI) {
			rc = cman_store_open(src->path, false, &st, err);
		} else if (src->type == CMAN_SRC_GENERATE) {
			rc = cman_store_memory_new(&st, err);
			if (!rc) {
				snprintf(st->name, sizeof(st->name), "%s", src->path);
				rc = generate_source(sim, src->path, st, err);
			}
		} else {
			/* streamed into a private SQLite file: memory follows the
			 * run's live state, not the file's size (issue 9.8) */
			rc = cman_store_sqlite_temp(src->path, &st, err);
			if (!rc)
				rc = cman_store_begin(st, err);
			if (!rc && src->type == CMAN_SRC_CLUSTERMAN_JSON)
				rc = cman_import_clusterman_json(src->path, st, sim->cat, NULL, err);
			else if (!rc)
				rc = cman_import_csv(src->path, st, sim->cat, NULL, err);
			if (!rc)
				rc = cman_store_commit(st, err);
		}
		if (cacheable)
			sim->cache->loads++;
		if (st) {
			if (!rc && cacheable && stat_ok && cache_put(sim->cache, src, &sb, st))
				sim->store_cached[sim->n_stores] = true;
			sim->stores[sim->n_stores++] = st;
		}
		if (sim->log && !rc)
			fprintf(sim->log, "loaded %s\n", src->path);
	}
	return rc;
}

/* What the simulated groups need of the simulation (sim_int.h). */
static const struct sim_group_host group_host = {
	.launch = sim_launch,
	.finish = sim_finish_instance,
	.market = market_intern,
};

/* ---- the signals' metrics in memory ------------------------------------------- */

/* A signal reads its metrics from memory, not from sim->stores: a SQLite
 * store decodes a chunk of samples from its start to reach a window, at
 * every run (47% of a sweep's instructions, issue 12). */

/* Copy every sample of (kind, key) with t0 <= t <= t1 from src to dst, in
 * the order src's cursor gives them (ascending time, equal times as
 * written), so a window read from dst is the one read from src. */
static int copy_series(struct cman_store *src, struct cman_store *dst,
		       enum cman_metric_kind kind, const char *key, int64_t t0, int64_t t1,
		       struct cman_error *err)
{
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	int rc;

	rc = cman_store_open_cursor(src, kind, key, t0, t1, 0, &cur, err);
	while (!rc && (rc = cman_cursor_next(cur, &s, err)) == 1)
		rc = cman_store_write(dst, kind, key, &s, err);
	cman_cursor_close(cur);
	return rc;
}

/* The key a signal reads a required metric under (as cman_signal_fetch()
 * makes it); 0 or CMAN_EINVAL when too long (the fetch reports it). */
static int signal_key(const struct cman_scenario *sc, const struct cman_required_metric *rm,
		      char *key, size_t n)
{
	if (rm->type == CMAN_APP_METRICS)
		return snprintf(key, n, "%s", rm->name) >= (int)n ? CMAN_EINVAL : 0;
	return cman_metric_key_pool(key, n, rm->name, sc->cluster, sc->pool, sc->scheduler)
		? CMAN_EINVAL : 0;
}

/* The first time a run's signal window can start: start_time less the
 * metric's range (INT64_MIN past the representable times, as the fetch). */
static int64_t signal_from(int64_t start, const struct cman_required_metric *rm)
{
	if (rm->minute_range <= 0)
		return start;
	if (rm->minute_range > INT64_MAX / 60 || start < INT64_MIN + rm->minute_range * 60)
		return INT64_MIN;
	return start - rm->minute_range * 60;
}

/* A series the signals read, from the earliest time any of them does. */
struct sig_series {
	enum cman_metric_kind kind;
	char key[CMAN_KEY_MAX];
	int64_t from;
};

/* The cached copy of src's series want[0..n) up to end, else NULL. */
static struct cman_store *sig_cache_find(const struct cman_sim_cache *cache,
					 const struct cman_store *src,
					 const struct sig_series *want, size_t n, int64_t end)
{
	size_t i, j;

	for (i = 0; i < cache->n_sig; i++) {
		const struct sig_entry *e = &cache->sig[i];

		if (e->src != src || e->n_want != n || e->end != end)
			continue;
		for (j = 0; j < n; j++)
			if (e->want[j].kind != want[j].kind || e->want[j].from != want[j].from ||
			    strcmp(e->want[j].key, want[j].key))
				break;
		if (j == n)
			return e->dst;
	}
	return NULL;
}

/* Keep dst, the copy of src's series, for the next runs; false when it
 * could not be kept (the caller still owns dst). */
static bool sig_cache_put(struct cman_sim_cache *cache, const struct cman_store *src,
			  const struct sig_series *want, size_t n, int64_t end,
			  struct cman_store *dst)
{
	struct sig_entry *e;
	struct sig_series *w = malloc((n ? n : 1) * sizeof(*w));

	if (!w || cman_grow((void **)&cache->sig, &cache->cap_sig, cache->n_sig + 1,
			    sizeof(*cache->sig))) {
		free(w);
		return false;
	}
	if (n)
		memcpy(w, want, n * sizeof(*w));
	e = &cache->sig[cache->n_sig++];
	e->src = src;
	e->want = w;
	e->n_want = n;
	e->end = end;
	e->dst = dst;
	return true;
}

/*
 * sim->sig_stores: per store of sim->stores, a memory store with the
 * samples of every metric the signals (the pool's and the default one)
 * require, from the earliest window of the run to its end; a (kind, key)
 * both read is copied once, from the earlier of their windows.
 */
static int signal_stores(struct cman_sim *sim, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	const struct cman_signal_config *cfgs[2] = {
		sc->pool_config.has_signal ? &sc->pool_config.signal : NULL,
		cman_signal_default_config(),
	};
	struct sig_series *want = NULL;
	size_t n_want = 0, cap = 0, s, c, i, j;
	int rc = 0;

	for (c = 0; c < 2; c++) {
		for (i = 0; cfgs[c] && i < cfgs[c]->n_required_metrics; i++) {
			const struct cman_required_metric *rm = &cfgs[c]->required_metrics[i];
			struct sig_series w = { .kind = rm->type,
						.from = signal_from(sc->start_time, rm) };

			if (signal_key(sc, rm, w.key, sizeof(w.key)))
				continue;   /* the fetch reports it, as before */
			for (j = 0; j < n_want; j++)
				if (want[j].kind == w.kind && !strcmp(want[j].key, w.key))
					break;
			if (j < n_want) {
				if (w.from < want[j].from)
					want[j].from = w.from;
				continue;
			}
			if (cman_grow((void **)&want, &cap, n_want + 1, sizeof(*want))) {
				rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
				goto out;
			}
			want[n_want++] = w;
		}
	}
	sim->sig_stores = calloc(sim->n_stores ? sim->n_stores : 1, sizeof(*sim->sig_stores));
	sim->sig_cached = calloc(sim->n_stores ? sim->n_stores : 1, sizeof(*sim->sig_cached));
	if (!sim->sig_stores || !sim->sig_cached) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	for (s = 0; s < sim->n_stores && !rc; s++) {
		/* a store of the cache: its copy is the last run's (issue 12) */
		bool cacheable = sim->cache && sim->store_cached[s];
		struct cman_store *dst = cacheable ? sig_cache_find(sim->cache, sim->stores[s], want,
								    n_want, sc->end_time)
						   : NULL;

		if (dst) {
			sim->sig_cached[sim->n_sig_stores] = true;
			sim->sig_stores[sim->n_sig_stores++] = dst;
			continue;
		}
		if ((rc = cman_store_memory_new(&dst, err)) != 0)
			break;
		sim->sig_stores[sim->n_sig_stores++] = dst;
		snprintf(dst->name, sizeof(dst->name), "%s", sim->stores[s]->name);
		rc = cman_store_begin(dst, err);
		for (j = 0; j < n_want && !rc; j++)
			rc = copy_series(sim->stores[s], dst, want[j].kind, want[j].key,
					 want[j].from, sc->end_time, err);
		if (!rc)
			rc = cman_store_commit(dst, err);
		if (!rc && cacheable && sig_cache_put(sim->cache, sim->stores[s], want, n_want,
						      sc->end_time, dst))
			sim->sig_cached[sim->n_sig_stores - 1] = true;
	}
out:
	free(want);
	return rc;
}

/* Autoscaler mode: groups, connector, signals, pool manager, autoscaler. */
static int setup_autoscaler(struct cman_sim *sim, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	int rc;

	if (!sc->n_groups)
		return cman_error_set(err, CMAN_EINVAL, "%s: resource_groups: the autoscaler "
				      "(pool_config) needs at least one resource group to scale",
				      sc->path);
	rc = sim_groups_init(sim, &group_host, err);
	if (!rc)
		rc = sim_connector_new(sim, err);
	if (!rc)
		rc = cman_store_memory_new(&sim->history, err);
	if (!rc)
		rc = signal_stores(sim, err);
	if (rc)
		return rc;
	snprintf(sim->history->name, sizeof(sim->history->name), "autoscaler history");
	if (sc->pool_config.has_signal) {
		rc = cman_signal_new(&sc->pool_config.signal, sc->cluster, sc->pool,
				     &sim->signal, err);
		if (rc)
			return rc;
	}
	rc = cman_signal_new(cman_signal_default_config(), sc->cluster, sc->pool,
			     &sim->default_signal, err);
	if (rc)
		return rc;
	cman_pool_manager_init(&sim->pm, &sc->pool_config, sim->group_ptrs, sim->n_groups,
			       &sim->conn->base, &sim->clock->base);
	sim->as.cfg = &sc->pool_config;
	sim->as.cluster = sc->cluster;
	sim->as.pool = sc->pool;
	sim->as.scheduler = sc->scheduler;
	sim->as.signal = sim->signal;
	sim->as.default_signal = sim->default_signal;
	sim->as.stores = sim->sig_stores;
	sim->as.n_stores = sim->n_sig_stores;
	sim->as.history = sim->history;
	sim->as.pm = &sim->pm;
	sim->as.clock = &sim->clock->base;
	cman_pool_runner_init(&sim->runner, &sim->as, autoscale_period_of(sim));
	/* decisions.jsonl shows the first skipped machines and the count */
	sim->runner.decision.skipped_keep = CMAN_DECISION_JSON_SKIPPED;
	sim->decisions = open_memstream(&sim->decisions_buf, &sim->decisions_len);
	if (!sim->decisions)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	return 0;
}

/* The autoscaler's period in seconds. */
int64_t autoscale_period_of(const struct cman_sim *sim)
{
	const struct cman_pool_config *pc = &sim->sc->pool_config;

	return 60 * (pc->has_signal ? pc->signal.period_minutes
				    : cman_signal_default_config()->period_minutes);
}

/*
 * The recorded target at the start, as Clusterman's simulator takes it: the
 * earliest sample in [start, start + INITIAL_TARGET_WINDOW]; without one,
 * the latest sample at or before the start; 0 without either (*t_out: the
 * sample's time, INT64_MIN without one).  At equal times a later source
 * wins.
 */
#define INITIAL_TARGET_WINDOW 300

static int recorded_initial_target(struct cman_sim *sim, double *target, int64_t *t_out,
				   struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	char key[CMAN_KEY_MAX];
	int64_t best_t = INT64_MAX;
	size_t i;
	int rc;

	*target = 0;
	*t_out = INT64_MIN;
	cman_metric_key_pool(key, sizeof(key), "target_capacity", sc->cluster, sc->pool,
			     sc->scheduler);
	for (i = 0; i < sim->n_stores; i++) {
		struct cman_cursor *cur = NULL;
		struct cman_sample smp;

		rc = cman_store_open_cursor(sim->stores[i], CMAN_METADATA, key, sc->start_time,
					    sc->start_time + INITIAL_TARGET_WINDOW, 0, &cur, err);
		if (!rc)
			rc = cman_cursor_next(cur, &smp, err);
		if (rc > 0 && smp.t <= best_t) {
			best_t = smp.t;
			*target = smp.value;
		}
		cman_cursor_close(cur);
		if (rc < 0)
			return rc;
	}
	if (best_t != INT64_MAX) {
		*t_out = best_t;
		return 0;
	}
	best_t = INT64_MIN;
	for (i = 0; i < sim->n_stores; i++) {
		int64_t t;
		double v;
		int found = cman_store_latest(sim->stores[i], CMAN_METADATA, key,
					      sc->start_time, &t, &v, err);

		if (found < 0)
			return found;
		if (found && t >= best_t) {
			best_t = t;
			*target = v;
		}
	}
	*t_out = best_t;
	return 0;
}

/*
 * The starting fleet: the initial target (the scenario's, else the recorded
 * one, recorded_initial_target) over the groups, launched at once.
 */
static int start_groups(struct cman_sim *sim, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	double target = 0, *cur, *out;
	int64_t first;
	size_t i;
	int rc = 0;

	if (sc->has_initial_target) {
		target = sc->initial_target_capacity;
	} else {
		int64_t best_t;

		rc = recorded_initial_target(sim, &target, &best_t, err);
		if (rc)
			return rc;
		/* data coverage: where the starting fleet comes from */
		if (best_t == INT64_MIN) {
			char key[CMAN_KEY_MAX];

			cman_metric_key_pool(key, sizeof(key), "target_capacity", sc->cluster,
					     sc->pool, sc->scheduler);
			rc = sim_warn(sim, "data coverage: no initial_target_capacity and no recorded "
				      "'%s' in the first 5 minutes or before the start: the "
				      "starting fleet is the groups' own target capacities", key);
		} else if (sc->start_time - best_t >= sc->cov_stale_after) {
			char when[CMAN_TIME_BUFSZ];

			rc = sim_warn(sim, "data coverage: the starting target %g comes from a "
				      "target_capacity sample of %s, %.1f h before the start",
				      target, cman_time_format(best_t, when),
				      (double)(sc->start_time - best_t) / 3600);
		}
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	cur = calloc(sim->n_groups, sizeof(*cur));
	out = calloc(sim->n_groups, sizeof(*out));
	if (!cur || !out) {
		free(cur);
		free(out);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	for (i = 0; i < sim->n_groups; i++)
		cur[i] = sim->groups[i].cfg->target_capacity > 0 ? sim->groups[i].cfg->target_capacity : 0;
	if (sc->has_initial_target || target > 0) {
		cman_pool_distribute(&sim->pm, cur, target, out);
	} else {
		memcpy(out, cur, sim->n_groups * sizeof(*out));
	}
	for (i = 0; i < sim->n_groups && !rc; i++) {
		sim->groups[i].target = out[i];
		rc = sim_group_fill(&sim->groups[i], true, err);
	}
	free(cur);
	free(out);
	if (rc)
		return rc;
	first = sc->start_time;
	if (sc->pool_config.has_signal && sc->pool_config.signal.has_first_run_offset)
		first += sc->pool_config.signal.first_run_offset_seconds;
	if (first < sc->end_time) {
		rc = cman_queue_push(&sim->q, first, CMAN_PRIO_CLUSTER, EV_AUTOSCALE, 0);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	return 0;
}

/* One autoscaler run, its decision record, and the next run. */
static int autoscale(struct cman_sim *sim, struct cman_error *err)
{
	struct cman_pool_runner *r = &sim->runner;
	char when[CMAN_TIME_BUFSZ];
	int rc;

	/* the cycle itself is common/'s pool runner, as in live mode */
	r->decisions = sim->totals_only ? NULL : sim->decisions;
	rc = cman_pool_runner_cycle(r, err);
	sim_connector_run_done(sim);
	if (rc)
		return rc;
	sim->totals.autoscaler_runs++;
	if (r->decision.signal_failed && r->signal_failures <= 10) {
		rc = sim_warn(sim, "autoscaler run at %s: signal failed (%s); the default "
			      "signal was used", cman_time_format(sim->now, when),
			      r->decision.signal_error);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	if (r->next_time < sim->sc->end_time) {
		rc = cman_queue_push(&sim->q, r->next_time, CMAN_PRIO_CLUSTER, EV_AUTOSCALE, 0);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	return 0;
}

/*
 * Wait for the checks of the SQLite sources that run beside the setup and
 * the loop (cman_store_sqlite_open_checking): the run's result rc stands
 * only if they all passed; otherwise the first failure is the error (what
 * the source's open would have failed with, before anything else).
 */
static int settle_checks(struct cman_sim *sim, int rc, struct cman_error *err)
{
	size_t i;

	for (i = 0; i < sim->n_stores; i++) {
		int crc = cman_store_sqlite_check_wait(sim->stores[i], err);

		if (crc)
			return crc;
	}
	return rc;
}

/*
 * The per-step arrays (tens of MB on a year of minutes) are filled front to
 * back by the loop, whose first write to each page paid for the kernel's
 * zeroing of it (on this kind of virtual machine about 1 ms per MB, most of
 * the loop's system time).  A thread asks the kernel for those pages ahead
 * of the loop instead (MADV_POPULATE_WRITE: it faults them in as a write
 * would, and leaves what is there as it is; it never touches the memory
 * itself, so it shares no data with the loop).  Without the kernel's
 * support, or without the thread, the loop faults them in as before.
 */
#define PREFAULT_MIN_BYTES ((size_t)8 << 20)
#define PREFAULT_MAX_BLOCKS 16
#define PREFAULT_PARTS 32

struct sim_prefault {
	pthread_t thread;
	size_t n;
	uintptr_t a[PREFAULT_MAX_BLOCKS], b[PREFAULT_MAX_BLOCKS];   /* whole pages */
};

static void *prefault_main(void *arg)
{
	const struct sim_prefault *pf = arg;
	int part;
	size_t i;

#ifdef MADV_POPULATE_WRITE
	/* all of them a part at a time: in the order the loop gets there */
	for (part = 0; part < PREFAULT_PARTS; part++) {
		for (i = 0; i < pf->n; i++) {
			uintptr_t len = pf->b[i] - pf->a[i], page = 4096;
			uintptr_t x = pf->a[i] + len / PREFAULT_PARTS * (uintptr_t)part;
			uintptr_t y = part == PREFAULT_PARTS - 1 ? pf->b[i]
				      : pf->a[i] + len / PREFAULT_PARTS * (uintptr_t)(part + 1);

			x &= ~(page - 1);
			y &= ~(page - 1);
			if (y > x && madvise((void *)x, y - x, MADV_POPULATE_WRITE) != 0)
				return NULL;   /* not supported (EINVAL): the loop faults */
		}
	}
#else
	(void)pf;
	(void)part;
	(void)i;
#endif
	return NULL;
}

static void prefault_add(struct sim_prefault *pf, const void *p, size_t bytes)
{
	const uintptr_t page = 4096;
	uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t b = ((uintptr_t)p + bytes) & ~(page - 1);

	if (p && b > a && pf->n < PREFAULT_MAX_BLOCKS) {
		pf->a[pf->n] = a;
		pf->b[pf->n] = b;
		pf->n++;
	}
}

/* Start the thread for the per-step arrays of a long run (else nothing):
 * those that are flat arrays (not the records in chunks, sim_rows_start). */
static void prefault_start(struct cman_sim *sim)
{
	struct sim_prefault *pf;
	size_t n = sim->ledger.n_steps, total = 0, i;
	int r;

	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return;
	prefault_add(pf, sim->steps, n * sizeof(*sim->steps));
	prefault_add(pf, sim->ledger.cost, n * sizeof(double));
	prefault_add(pf, sim->ledger.unused_cost, n * sizeof(double));
	prefault_add(pf, sim->ledger.rate, n * sizeof(double));
	prefault_add(pf, sim->step_binding, n);
	if (sim->any_res_data)
		prefault_add(pf, sim->res_steps, n * sizeof(*sim->res_steps));
	for (r = CMAN_RES_MEM; r < CMAN_RES_COUNT; r++) {
		if (!sim->res_data[r])
			continue;
		prefault_add(pf, sim->res_ledger[r].cost, n * sizeof(double));
		prefault_add(pf, sim->res_ledger[r].unused_cost, n * sizeof(double));
	}
	for (i = 0; i < sim->n_groups && sim->autoscaling; i++) {
		prefault_add(pf, sim->groups[i].step_target, n * sizeof(double));
		prefault_add(pf, sim->groups[i].step_fulfilled, n * sizeof(double));
	}
	for (i = 0; i < pf->n; i++)
		total += pf->b[i] - pf->a[i];
	if (total < PREFAULT_MIN_BYTES || cman_thread_start(&pf->thread, 0, prefault_main, pf)) {
		free(pf);
		return;
	}
	sim->prefault = pf;
}

int sim_rows_start(struct cman_sim *sim)
{
	size_t n = sim->ledger.n_steps;
	int k, rc = 0;

	if (sim->rows_started)
		return 0;
	sim->rows_started = true;
	/* chunks given back: when only timeseries.csv's thread reads the
	 * records, or nobody does */
	sim->rows_sink = sim->totals_only;
	sim->rows_recycle = sim->rows_sink || (sim->stream_steps && sim_ts_threaded(sim));
	if (sim->rows_recycle) {
		unsigned sh = sim->rows_shift;

		rc = cman_chunks_init(&sim->row_steps, n, sizeof(struct step_row), sh);
		if (!rc)
			rc = cman_chunks_init(&sim->row_binding, n, 1, sh);
		if (!rc && sim->any_res_data)
			rc = cman_chunks_init(&sim->row_res, n, sizeof(struct res_row), sh);
		if (!rc)
			rc = cman_ledger_chunked(&sim->ledger, sh, sim->rows_sink);
		for (k = CMAN_RES_MEM; k < CMAN_RES_COUNT && !rc; k++)
			if (sim->res_data[k])
				rc = cman_ledger_chunked(&sim->res_ledger[k], sh, sim->rows_sink);
		sim->row_lo = sim->row_hi = 0;   /* step 0 takes the first chunk */
		if (!rc)
			prefault_start(sim);   /* (the groups' arrays, if large) */
		return rc;
	}
	/* every record kept, in flat arrays (the prefault thread faults them
	 * in ahead of the loop) */
	sim->steps = calloc(n, sizeof(*sim->steps));
	sim->step_binding = malloc(n);
	if (sim->any_res_data)
		sim->res_steps = calloc(n, sizeof(*sim->res_steps));
	if (!sim->steps || !sim->step_binding || (sim->any_res_data && !sim->res_steps))
		return CMAN_ENOMEM;
	cman_hint_huge(sim->steps, n * sizeof(*sim->steps));
	cman_hint_huge(sim->step_binding, n);
	if (sim->res_steps)
		cman_hint_huge(sim->res_steps, n * sizeof(*sim->res_steps));
	sim->row_lo = 0;
	sim->row_hi = n;
	sim->row_at = sim->steps;
	sim->bind_at = sim->step_binding;
	sim->res_at = sim->res_steps;
	prefault_start(sim);
	return 0;
}

void cman_sim_stream_steps(struct cman_sim *sim)
{
	sim->stream_steps = true;
}

void sim_prefault_join(struct cman_sim *sim)
{
	if (!sim->prefault)
		return;
	pthread_join(sim->prefault->thread, NULL);
	free(sim->prefault);
	sim->prefault = NULL;
}

int cman_sim_new(const struct cman_scenario *sc, FILE *log,
		 struct cman_sim **out, struct cman_error *err)
{
	return cman_sim_new_cached(sc, log, NULL, out, err);
}

int cman_sim_new_cached(const struct cman_scenario *sc, FILE *log,
			struct cman_sim_cache *cache, struct cman_sim **out,
			struct cman_error *err)
{
	struct cman_sim *sim = calloc(1, sizeof(*sim));
	int rc;

	*out = NULL;
	if (!sim)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	sim->sc = sc;
	sim->ts_publish_at = SIZE_MAX;
	sim->rows_shift = SIM_ROWS_SHIFT;
	sim->cache = cache;
	sim->log = log;
	sim->autoscaling = sc->has_pool_config;
	cman_queue_init(&sim->q);
	rc = cman_catalog_builtin(&sim->cat, err);
	if (rc)
		goto out;
	sim->od_warned = calloc(cman_catalog_count(sim->cat) + 1, 1);
	if (!sim->od_warned) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	/* on-demand prices: the table named by prices.table, else the one
	   dated nearest the start */
	sim->price_table_auto = !sc->price_table;
	sim->price_table = sc->price_table ? cman_catalog_table_find(sim->cat, sc->price_table)
					   : cman_catalog_table_at(sim->cat, sc->start_time);
	sim->price_table_name = cman_catalog_table_name(sim->cat,
							sim->price_table < 0 ? SIZE_MAX
									     : (size_t)sim->price_table);
	rc = cman_ledger_init(&sim->ledger, sc->start_time, sc->end_time, sc->step_seconds);
	if (rc) {
		cman_error_set(err, rc, "%s: cannot set up %s", sc->path,
			       rc == CMAN_ENOMEM ? "the cost ledger (out of memory)" : "the run");
		goto out;
	}
	/* the share is set after every event: steps a lookback old are final */
	cman_ledger_set_horizon(&sim->ledger, CMAN_BILLING_LOOKBACK);
	rc = cman_billing_init(&sim->billing, sc->billing == CMAN_BILL_PER_HOUR ? 3600 : 1,
			       sc->refund_outbid, &sim->ledger, price_cb, schedule_cb, sim);
	if (rc) {
		cman_error_set(err, rc, "out of memory");
		goto out;
	}
	sim->billing.on_delta = delta_cb;
	sim->billing.aws = sc->billing == CMAN_BILL_AWS;
	sim->billing.schedule_release = expire_cb;
	for (size_t k = 0; k < sc->n_hourly_types; k++) {
		if (!cman_catalog_find(sim->cat, sc->hourly_types[k])) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: simulation.hourly_instance_types: "
					    "unknown instance type '%s' (expected an EC2 instance "
					    "type of the catalog)", sc->path, sc->hourly_types[k]);
			goto out;
		}
	}
	sim->market_step = sc->step_seconds > 3600 ? sc->step_seconds : 3600;
	sim->n_market_steps = (size_t)((sc->end_time - sc->start_time + sim->market_step - 1) /
				       sim->market_step);
	sim->rng_join = cman_rng_stream(sc->seed, "join_delay");
	if (!sim->rng_join) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	rc = load_sources(sim, err);
	if (!rc && sim->autoscaling)
		rc = setup_autoscaler(sim, err);
	if (!rc)
		rc = open_feeds(sim, err);
	if (!rc)
		rc = setup_resources(sim, err);
	if (!rc)
		rc = sim_check_setup(sim, err);
out:
	if (rc) {
		rc = settle_checks(sim, rc, err);
		cman_sim_free(sim);
		return rc;
	}
	*out = sim;
	return 0;
}

/* Read the next sample of feed i; 1 if there is one, 0 at its end. */
static int feed_next(struct cman_sim *sim, size_t i, struct cman_error *err)
{
	return cman_cursor_next(sim->feeds[i].cur, &sim->feeds[i].s, err);
}

/*
 * Autoscaler mode: every spot market of a resource group needs a recorded
 * price at or before some time of the run (called once each feed holds its
 * first sample); a market without one would never launch (its price is
 * taken as on-demand, above any sensible bid) and cost a silent $0.
 */
static int check_spot_prices(struct cman_sim *sim, struct cman_error *err)
{
	size_t g, s, i;

	for (g = 0; g < sim->n_groups; g++) {
		const struct sim_group *grp = &sim->groups[g];

		for (s = 0; s < grp->n_specs; s++) {
			const struct sim_spec *sp = &grp->specs[s];
			const struct sim_market *m = &sim->markets[sp->market];
			bool priced = false;
			char mk[128], a[CMAN_TIME_BUFSZ];

			if (!sp->spot)
				continue;
			for (i = 0; i < sim->n_feeds && !priced; i++)
				priced = sim->feeds[i].kind == FEED_PRICE &&
					 sim->feeds[i].market == sp->market &&
					 sim->feeds[i].s.t != NO_TIME;
			if (priced)
				continue;
			market_fmt(m, mk, sizeof(mk));
			return cman_error_set(err, CMAN_EINVAL,
					      "%s: spot market %s of resource group %s has no "
					      "recorded spot price before %s in any metrics source, "
					      "expected metadata 'spot_prices|aws_availability_zone=%s,"
					      "aws_instance_type=%s' samples (without a price the fleet "
					      "could never launch there)", grp->cfg->specs[s].where_az, mk,
					      grp->base.id, cman_time_format(sim->sc->end_time, a),
					      m->az, m->type);
		}
	}
	return 0;
}

/*
 * Position every series at start_time (SPEC §3): the latest sample at or
 * before the start is in force from the start; prices and allocations first,
 * then the starting capacity.  Later samples are queued.
 */
static int position(struct cman_sim *sim, struct cman_error *err)
{
	const int64_t start = sim->sc->start_time;
	static const enum feed_kind order[] = { FEED_PRICE, FEED_ALLOCATED, FEED_TARGET,
						FEED_CAPACITY };
	size_t k, i;
	int rc;

	for (i = 0; i < sim->n_feeds; i++) {
		rc = feed_next(sim, i, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			sim->feeds[i].s.t = NO_TIME;
		else if (sim->feeds[i].s.t <= start)
			sim_check_sample(sim, &sim->feeds[i]);
	}
	rc = sim_check_needed(sim, err);
	if (rc)
		return rc;
	if (sim->autoscaling) {
		rc = check_spot_prices(sim, err);
		if (rc)
			return rc;
	}
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		for (i = 0; i < sim->n_feeds; i++) {
			struct feed *f = &sim->feeds[i];

			if (f->kind != order[k] || f->s.t > start)
				continue;
			/* a later source's prior sample wins only if not older */
			{
				size_t j;
				bool beaten = false;

				for (j = 0; j < sim->n_feeds; j++) {
					const struct feed *g = &sim->feeds[j];

					if (j == i || g->kind != f->kind || g->market != f->market ||
					    g->s.t > start)
						continue;
					if (g->s.t > f->s.t || (g->s.t == f->s.t && j > i))
						beaten = true;
				}
				if (!beaten) {
					rc = apply_feed(sim, f, err);
					if (rc)
						return rc;
				}
			}
		}
	}
	for (i = 0; i < sim->n_feeds; i++) {
		struct feed *f = &sim->feeds[i];

		if (f->s.t <= start) {
			rc = feed_next(sim, i, err);
			if (rc < 0)
				return rc;
			if (rc == 0)
				continue;
		} else if (f->s.t == NO_TIME) {
			continue;
		}
		rc = cman_queue_push(&sim->q, f->s.t,
				     f->kind == FEED_PRICE ? CMAN_PRIO_PRICE : CMAN_PRIO_CLUSTER,
				     EV_FEED, i);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	if (sim->autoscaling) {
		rc = start_groups(sim, err);
		if (rc)
			return rc;
	}
	return update_share(sim);
}

void cman_sim_totals_only(struct cman_sim *sim)
{
	sim->totals_only = true;
	sim->runner.decision.no_text = true;   /* nobody reads the reasons */
	sim->runner.decision.skipped_keep = 1; /* nor which machines were skipped */
}

static int run(struct cman_sim *sim, struct cman_error *err);

int cman_sim_run(struct cman_sim *sim, struct cman_error *err)
{
	int rc = sim_rows_start(sim);

	if (rc)
		rc = cman_error_set(err, rc, "out of memory");
	else
		rc = run(sim, err);

	sim_prefault_join(sim);
	return settle_checks(sim, rc, err);
}

static int run(struct cman_sim *sim, struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	struct cman_event ev;
	struct cman_progress prog;
	size_t i;
	int rc;

	sim->now = sc->start_time;
	sim->last_t = sc->start_time;
	rc = position(sim, err);
	if (rc)
		return rc;
	/* a progress line on a terminal only (and only when there is a log) */
	cman_progress_init(&prog, sim->log ? stderr : NULL, "simulating",
			   (double)(sc->end_time - sc->start_time));
	for (;;) {
		const struct cman_event *top = cman_queue_peek(&sim->q);

		if (!top)
			break;
		ev = *top;
		/* a feed's sample is handled at the root, where its next sample
		 * then takes its place in one sift (cman_queue_done_top) */
		if (ev.type != EV_FEED || ev.time >= sc->end_time || ev.time < sim->now)
			(void)cman_queue_pop(&sim->q, &ev);
		sim->totals.events_processed++;
		cman_progress_update(&prog, (double)(ev.time - sc->start_time));
		if (ev.time >= sc->end_time || ev.time < sim->now) {
			if (sim->log)
				fprintf(sim->log, "dropped event of type %u at %" PRId64 "\n",
					ev.type, ev.time);
			continue;
		}
		advance(sim, ev.time);
		sim->now = ev.time;
		switch (ev.type) {
		case EV_FEED: {
			struct feed *f = &sim->feeds[ev.arg];

			sim_check_sample(sim, f);
			rc = apply_feed(sim, f, err);
			if (rc)
				return rc;
			rc = feed_next(sim, ev.arg, err);
			if (rc < 0)
				return rc;
			rc = cman_queue_done_top(&sim->q, ev.seq, rc > 0, f->s.t,
						 f->kind == FEED_PRICE ? CMAN_PRIO_PRICE
								       : CMAN_PRIO_CLUSTER,
						 EV_FEED, ev.arg);
			if (rc)
				return cman_error_set(err, rc, "out of memory");
			break;
		}
		case EV_JOIN: {
			struct sim_instance *in = &sim->inst[ev.arg];

			if (in->end == NO_TIME && !in->joined && in->join == ev.time)
				sim_join_instance(sim, (uint32_t)ev.arg);
			break;
		}
		case EV_TICK:
			rc = cman_billing_tick(&sim->billing, (uint32_t)ev.arg, ev.time);
			if (rc)
				return cman_error_set(err, rc, "out of memory");
			break;
		case EV_EXPIRE:
			cman_billing_expire(&sim->billing, (uint32_t)ev.arg, ev.time);
			break;
		case EV_AUTOSCALE:
			rc = autoscale(sim, err);
			if (rc)
				return rc;
			break;
		case EV_INTERRUPT:
			rc = sim_groups_interrupt(sim, (uint32_t)(ev.arg >> 32),
						  (uint32_t)(ev.arg & 0xffffffffu), err);
			if (rc)
				return rc;
			break;
		case EV_REPLENISH:
			rc = sim_groups_replenish(sim, (uint32_t)ev.arg, err);
			if (rc)
				return rc;
			break;
		}
		rc = update_share(sim);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	cman_progress_finish(&prog);
	if (sim->runner.signal_failures > 10) {
		rc = sim_warn(sim, "the signal failed in %" PRIu64 " autoscaler runs in all "
			      "(only the first 10 are listed)", sim->runner.signal_failures);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	if (sim->signal && sim->signal->skipped) {
		rc = sim_warn(sim, "the external signal '%s' was not asked in %" PRIu64 " of the "
			      "%" PRIu64 " autoscaler runs where it failed: after %d failures in a "
			      "row it is skipped for 1, 2, 4, ... up to %d runs (back-off)",
			      sim->signal->name, sim->signal->skipped, sim->runner.signal_failures,
			      CMAN_SIGNAL_BACKOFF_AFTER, CMAN_SIGNAL_BACKOFF_MAX);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	/* the end: every instance still running ends now and is billed */
	advance(sim, sc->end_time);
	sim->now = sc->end_time;
	rc = sim_groups_finish(sim, err);
	if (rc)
		return rc;
	for (i = 0; i < sim->n_groups; i++) {
		struct sim_group *g = &sim->groups[i];
		size_t s;

		for (s = 0; s < g->n_specs; s++) {
			struct sim_spec *sp = &g->specs[s];

			while (sp->n) {
				uint32_t id = sp->ids[sp->n - 1];

				sim_group_forget(g, id);
				sim_finish_instance(sim, id, false);
			}
		}
	}
	for (i = 0; i < sim->n_markets; i++) {
		struct sim_market *m = &sim->markets[i];

		while (m->len)
			sim_finish_instance(sim, fifo_pop(m), false);
		m = &sim->markets[i];
		rc = warn_uncovered(sim, m, sc->end_time);
		if (rc)
			return cman_error_set(err, rc, "out of memory");
	}
	rc = sim_check_finish(sim, err);
	if (rc)
		return rc;
	rc = sim->rows_fail;   /* (ENOMEM) */
	if (!rc)
		rc = cman_ledger_finish(&sim->ledger);
	for (i = 0; i < sim->n_markets && !rc; i++)
		rc = cman_ledger_finish(&sim->markets[i].ledger);
	for (i = CMAN_RES_MEM; i < CMAN_RES_COUNT && !rc; i++)
		if (sim->res_data[i])
			rc = cman_ledger_finish(&sim->res_ledger[i]);
	if (rc)
		return cman_error_set(err, rc, rc == CMAN_ENOMEM ? "out of memory"
				      : "internal error: a cost delta came after its step was "
				      "closed (more than %d s late)", CMAN_BILLING_LOOKBACK);
	{
		double span = (double)(sc->end_time - sc->start_time);
		struct cman_sim_totals *t = &sim->totals;

		t->total_cost = sim->ledger.total_cost;
		t->unused_cpus_cost = sim->ledger.total_unused_cost;
		t->mean_cpus = (double)(sim->joined_s / span);
		t->mean_cpus_allocated = (double)(sim->alloc_s / span);
		t->oversubscribed_cpu_hours = (double)(sim->over_s / 3600.0L);
		t->running_cpu_hours = (double)(sim->running_s / 3600.0L);
		t->peak_cpus = sim->peak_cpus;
		t->n_warnings = sim->n_warnings;
		t->instances_interrupted = sim->interrupted;
		totals_per_resource(sim);
	}
	sim->finished = true;
	return 0;
}

/* The per-resource totals (sim.h) of a run that reached its end. */
static void totals_per_resource(struct cman_sim *sim)
{
	const struct cman_scenario *sc = sim->sc;
	long double span = (long double)(sc->end_time - sc->start_time);
	struct cman_sim_totals *t = &sim->totals;
	int r;

	t->has_data[CMAN_RES_CPUS] = true;
	t->mean_capacity[CMAN_RES_CPUS] = t->mean_cpus;
	t->mean_allocated[CMAN_RES_CPUS] = t->mean_cpus_allocated;
	t->running_hours[CMAN_RES_CPUS] = t->running_cpu_hours;
	t->unused_cost[CMAN_RES_CPUS] = t->unused_cpus_cost;
	t->oversubscribed_hours[CMAN_RES_CPUS] = t->oversubscribed_cpu_hours;
	t->oversubscribed_share[CMAN_RES_CPUS] =
		sim->alloc_s > 0 ? (double)(sim->over_s / sim->alloc_s) : 0;
	for (r = CMAN_RES_MEM; r < CMAN_RES_COUNT; r++) {
		t->has_data[r] = sim->res_data[r];
		if (!sim->res_data[r])
			continue;
		t->mean_capacity[r] = (double)(sim->res_joined_s[r] / span);
		t->mean_allocated[r] = (double)(sim->res_alloc_s[r] / span);
		t->running_hours[r] = (double)(sim->res_running_s[r] / 3600.0L);
		t->unused_cost[r] = sim->res_ledger[r].total_unused_cost;
		t->oversubscribed_hours[r] = (double)(sim->res_over_s[r] / 3600.0L);
		t->oversubscribed_share[r] = sim->res_alloc_s[r] > 0
			? (double)(sim->res_over_s[r] / sim->res_alloc_s[r]) : 0;
	}
	t->shortfall_share = 0;
	for (r = 0; r < CMAN_RES_COUNT; r++)
		if (t->oversubscribed_share[r] > t->shortfall_share)
			t->shortfall_share = t->oversubscribed_share[r];
	for (r = 0; r <= CMAN_RES_COUNT; r++)
		t->binding_share[r] = (double)((long double)sim->binding_s[r] / span);
}

const struct cman_sim_totals *cman_sim_totals(const struct cman_sim *sim)
{
	return &sim->totals;
}

void cman_sim_free(struct cman_sim *sim)
{
	size_t i;

	if (!sim)
		return;
	sim_ts_stop(sim);   /* first: it reads the per-step records */
	sim_tables_free(sim);
	sim_prefault_join(sim);
	for (i = 0; i < sim->n_feeds; i++)
		cman_cursor_close(sim->feeds[i].cur);
	free(sim->feeds);
	for (i = 0; i < sim->n_stores; i++)
		if (!sim->store_cached[i])
			cman_store_free(sim->stores[i]);
	free(sim->stores);
	free(sim->store_cached);
	for (i = 0; i < sim->n_markets; i++) {
		free(sim->markets[i].fifo);
		free(sim->markets[i].h_instances);
		free(sim->markets[i].h_price);
		free(sim->markets[i].h_spot_seconds);
		free(sim->markets[i].h_spot_at_price);
		cman_ledger_release(&sim->markets[i].ledger);
	}
	free(sim->markets);
	free(sim->mbuckets);
	free(sim->want);
	free(sim->od_warned);
	free(sim->inst);
	free(sim->running_ids);
	free(sim->steps);
	free(sim->series);
	free(sim->res_steps);
	free(sim->step_binding);
	cman_chunks_release(&sim->row_steps);
	cman_chunks_release(&sim->row_binding);
	cman_chunks_release(&sim->row_res);
	for (i = CMAN_RES_MEM; i < CMAN_RES_COUNT; i++)
		cman_ledger_release(&sim->res_ledger[i]);
	if (sim->autoscaling) {
		cman_pool_runner_release(&sim->runner);
		cman_autoscaler_release(&sim->as);
		cman_pool_manager_release(&sim->pm);
		cman_signal_free(sim->signal);
		cman_signal_free(sim->default_signal);
		cman_store_free(sim->history);
		for (i = 0; i < sim->n_sig_stores; i++)
			if (!sim->sig_cached[i])
				cman_store_free(sim->sig_stores[i]);
		free(sim->sig_stores);
		free(sim->sig_cached);
		if (sim->decisions)
			fclose(sim->decisions);
		free(sim->decisions_buf);
	}
	sim_groups_release(sim);
	sim_connector_free(sim);
	for (i = 0; i < sim->n_warnings; i++)
		free(sim->warnings[i]);
	free(sim->warnings);
	if (sim->rng_join)
		gsl_rng_free(sim->rng_join);
	cman_billing_release(&sim->billing);
	cman_ledger_release(&sim->ledger);
	cman_queue_release(&sim->q);
	free(sim);
}
