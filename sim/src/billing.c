#include "cman/sim/billing.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "cman/err.h"

#define NIL UINT32_MAX

/* A rate change of a cohort: into the pool's ledger, and to the listener. */
static void emit(struct cman_billing *b, const struct cman_cohort *c, int64_t t, double d)
{
	if (d == 0.0)
		return;
	cman_ledger_delta(b->ledger, t, d);
	if (b->on_delta)
		b->on_delta(b->ctx, c->market, t, d);
}

int cman_billing_init(struct cman_billing *b, int64_t period, bool refund,
		      struct cman_ledger *ledger, cman_price_fn price,
		      cman_schedule_fn schedule, void *ctx)
{
	memset(b, 0, sizeof(*b));
	b->period = period;
	b->refund = refund;
	b->ledger = ledger;
	b->price = price;
	b->schedule = schedule;
	b->ctx = ctx;
	b->free_pend = NIL;
	b->n_buckets = 1024;
	b->buckets = malloc(b->n_buckets * sizeof(*b->buckets));
	if (!b->buckets)
		return CMAN_ENOMEM;
	memset(b->buckets, 0xff, b->n_buckets * sizeof(*b->buckets));
	return 0;
}

void cman_billing_release(struct cman_billing *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->cohorts[i].hist_t);
		free(b->cohorts[i].hist_p);
	}
	free(b->pend);
	free(b->cohorts);
	free(b->buckets);
	free(b->spot_by_market);
	memset(b, 0, sizeof(*b));
}

static size_t hash(uint32_t market, bool ondemand, int64_t phase, size_t n)
{
	/* per-hour phases are 0..3599; per-second cohorts use phase -1 */
	uint64_t h = ((uint64_t)market << 1 | ondemand) * 0x9e3779b97f4a7c15ULL;

	h ^= (uint64_t)phase * 0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 29;
	return (size_t)(h & (n - 1));
}

static int rehash(struct cman_billing *b)
{
	size_t nb = b->n_buckets * 2, i;
	uint32_t *bk = malloc(nb * sizeof(*bk));

	if (!bk)
		return CMAN_ENOMEM;
	memset(bk, 0xff, nb * sizeof(*bk));
	for (i = 0; i < b->n; i++) {
		struct cman_cohort *c = &b->cohorts[i];
		size_t h = hash(c->market, c->ondemand, c->phase, nb);

		c->hnext = bk[h];
		bk[h] = (uint32_t)i;
	}
	free(b->buckets);
	b->buckets = bk;
	b->n_buckets = nb;
	return 0;
}

/* Find or create the cohort; *out its index. */
static int cohort_get(struct cman_billing *b, uint32_t market, bool ondemand,
		      int64_t period, int64_t t, uint32_t *out)
{
	int64_t phase = period == 1 ? -1 : ((t % period) + period) % period;
	size_t h = hash(market, ondemand, phase, b->n_buckets);
	struct cman_cohort *c;
	uint32_t i;

	for (i = b->buckets[h]; i != NIL; i = b->cohorts[i].hnext) {
		c = &b->cohorts[i];
		if (c->market == market && c->ondemand == ondemand && c->phase == phase) {
			*out = i;
			return 0;
		}
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct cman_cohort *nc = realloc(b->cohorts, cap * sizeof(*nc));

		if (!nc)
			return CMAN_ENOMEM;
		b->cohorts = nc;
		b->cap = cap;
	}
	if (b->n >= NIL - 1)
		return CMAN_ENOMEM;
	if (b->n + 1 > b->n_buckets) {
		int rc = rehash(b);

		if (rc)
			return rc;
		h = hash(market, ondemand, phase, b->n_buckets);
	}
	c = &b->cohorts[b->n];
	memset(c, 0, sizeof(*c));
	c->market = market;
	c->ondemand = ondemand;
	c->period = period;
	c->phase = phase;
	c->boundary = t;
	c->rate = period == 1 ? b->price(b->ctx, market, ondemand) : 0.0;
	c->hnext = b->buckets[h];
	b->buckets[h] = (uint32_t)b->n;
	*out = (uint32_t)b->n++;
	if (period == 1 && !ondemand) {
		if (market >= b->n_markets) {
			size_t nm = market + 16, j;
			uint32_t *m = realloc(b->spot_by_market, nm * sizeof(*m));

			if (!m)
				return CMAN_ENOMEM;
			for (j = b->n_markets; j < nm; j++)
				m[j] = NIL;
			b->spot_by_market = m;
			b->n_markets = nm;
		}
		b->spot_by_market[market] = *out;
	}
	return 0;
}

/* Per-instance dollars accumulated by the cohort up to t. */
static long double k_at(const struct cman_cohort *c, int64_t t)
{
	return c->k + (long double)c->rate * (long double)(t - c->boundary) / 3600.0L;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

int cman_billing_start(struct cman_billing *b, uint32_t market, bool ondemand,
		       bool hourly, int64_t t, struct cman_bill_ref *ref)
{
	struct cman_cohort *c;
	uint32_t ci;
	int rc = cohort_get(b, market, ondemand, hourly ? 3600 : b->period, t, &ci);

	if (rc)
		return rc;
	c = &b->cohorts[ci];
	ref->cohort = ci;
	ref->start = t;
	ref->rate_at_start = c->rate;
	ref->hist_at_start = c->hist_n;
	if (c->period == 1) {
		ref->k_start = k_at(c, t);
		c->count++;
		c->billed++;
		emit(b, c, t, c->rate);
		return 0;
	}
	if (c->tick_pending && c->next_tick == t) {
		/* the boundary at t will rate it, after the prices of t */
		ref->k_start = k_at(c, t);
		c->count++;
		return 0;
	}
	if (c->tick_pending) {
		/* the boundary at t has been handled already: join its period */
		assert(c->boundary == t);
		ref->k_start = c->k;
		c->count++;
		c->billed++;
		emit(b, c, t, c->rate);
		return 0;
	}
	/* an idle cohort wakes up: its rate is 0, so k stays flat */
	c->k = k_at(c, t);
	c->boundary = t;
	c->rate = 0;
	ref->k_start = c->k;
	c->count++;
	c->tick_pending = true;
	c->next_tick = t;
	return b->schedule(b->ctx, t, ci);
}

/* aws: a rate kept until t after its instance ended. */
static int keep_rate(struct cman_billing *b, uint32_t ci, double rate, int64_t t)
{
	uint32_t i;

	if (b->free_pend != NIL) {
		i = b->free_pend;
		b->free_pend = b->pend[i].next_free;
	} else {
		if (b->n_pend == b->cap_pend) {
			size_t cap = b->cap_pend ? 2 * b->cap_pend : 64;
			struct cman_pending *p = realloc(b->pend, cap * sizeof(*p));

			if (!p)
				return CMAN_ENOMEM;
			b->pend = p;
			b->cap_pend = cap;
		}
		i = (uint32_t)b->n_pend++;
	}
	b->pend[i].cohort = ci;
	b->pend[i].rate = rate;
	b->pend[i].next_free = NIL;
	return b->schedule_release(b->ctx, t, i);
}

void cman_billing_expire(struct cman_billing *b, uint32_t i, int64_t t)
{
	emit(b, &b->cohorts[b->pend[i].cohort], t, -b->pend[i].rate);
	b->pend[i].next_free = b->free_pend;
	b->free_pend = i;
}

/* aws: take back every rate an instance added since its launch. */
static void cancel_since_start(struct cman_billing *b, struct cman_cohort *c,
			       const struct cman_bill_ref *ref)
{
	size_t k;

	emit(b, c, ref->start, -ref->rate_at_start);
	for (k = ref->hist_at_start; k < c->hist_n; k++) {
		double prev = k ? c->hist_p[k - 1] : ref->rate_at_start;

		emit(b, c, c->hist_t[k], -(c->hist_p[k] - prev));
	}
}

double cman_billing_stop(struct cman_billing *b, const struct cman_bill_ref *ref,
			 int64_t t, bool refundable)
{
	struct cman_cohort *c = &b->cohorts[ref->cohort];
	int64_t end = b->ledger->end;
	int64_t bill_end;

	assert(c->count > 0);
	c->count--;
	if (c->period == 1) {
		c->billed--;
		if (b->aws && refundable && !c->ondemand && t - ref->start < 3600) {
			/* interrupted by EC2 within its first hour: free */
			cancel_since_start(b, c, ref);
			return 0;
		}
		if (b->aws && t - ref->start < 60 && t < end) {
			/* the 60-second minimum: the rate stays until start + 60 */
			int64_t until = ref->start + 60 < end ? ref->start + 60 : end;
			double rest = c->rate * (double)(until - t) / 3600.0;

			if (until < end && keep_rate(b, ref->cohort, c->rate, until) != 0) {
				emit(b, c, t, -c->rate);   /* out of memory: bill to t */
				return (double)(k_at(c, t) - ref->k_start);
			}
			return (double)(k_at(c, t) - ref->k_start) + rest;
		}
		emit(b, c, t, -c->rate);
		return (double)(k_at(c, min64(t, end)) - ref->k_start);
	}
	if (c->tick_pending && c->next_tick == t) {
		/* ended on a boundary: whole periods only; the tick drops it */
		return (double)(k_at(c, min64(t, end)) - ref->k_start);
	}
	if (refundable && (b->refund || b->aws) && t > c->boundary) {
		/* the partial last period is free (aws: an EC2 interruption) */
		c->billed--;
		emit(b, c, c->boundary, -c->rate);
		return (double)(c->k - ref->k_start);
	}
	/* charged to the end of the period; the next tick drops it */
	bill_end = min64(c->boundary + c->period, end);
	return (double)(k_at(c, bill_end) - ref->k_start);
}

void cman_billing_price_changed(struct cman_billing *b, uint32_t market,
				int64_t t, double old_price, double new_price)
{
	struct cman_cohort *c;

	(void)old_price;
	if (market >= b->n_markets || b->spot_by_market[market] == NIL)
		return;
	c = &b->cohorts[b->spot_by_market[market]];
	c->k = k_at(c, t);
	c->boundary = t;
	if (c->billed)
		emit(b, c, t, (double)c->billed * (new_price - c->rate));
	c->rate = new_price;
	if (b->aws && c->hist_n < SIZE_MAX / 2) {
		if (c->hist_n == c->hist_cap) {
			size_t cap = c->hist_cap ? 2 * c->hist_cap : 64;
			int64_t *ht = realloc(c->hist_t, cap * sizeof(*ht));
			double *hp;

			if (!ht)
				return;
			c->hist_t = ht;
			hp = realloc(c->hist_p, cap * sizeof(*hp));
			if (!hp)
				return;
			c->hist_p = hp;
			c->hist_cap = cap;
		}
		c->hist_t[c->hist_n] = t;
		c->hist_p[c->hist_n++] = new_price;
	}
}

int cman_billing_tick(struct cman_billing *b, uint32_t ci, int64_t t)
{
	struct cman_cohort *c = &b->cohorts[ci];
	double p;

	assert(c->tick_pending && c->next_tick == t);
	c->k = k_at(c, t);
	c->boundary = t;
	p = c->count ? b->price(b->ctx, c->market, c->ondemand) : 0.0;
	emit(b, c, t, (double)c->count * p - (double)c->billed * c->rate);
	c->billed = c->count;
	c->rate = p;
	if (!c->count) {
		c->tick_pending = false;
		return 0;
	}
	c->next_tick = t + c->period;
	return b->schedule(b->ctx, c->next_tick, ci);
}
