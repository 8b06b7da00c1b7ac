#include "cman/sim/ledger.h"

#include <stdlib.h>
#include <string.h>

#include "cman/err.h"
#include "cman/grow.h"

int cman_ledger_init(struct cman_ledger *l, int64_t start, int64_t end,
		     int64_t step)
{
	size_t n;

	memset(l, 0, sizeof(*l));
	if (end <= start || step <= 0)
		return CMAN_EINVAL;
	n = (size_t)((end - start + step - 1) / step);
	l->start = start;
	l->end = end;
	l->step = step;
	l->n_steps = n;
	l->close_at = INT64_MAX;
	l->n_slot = 64;
	l->slot = calloc(l->n_slot, sizeof(*l->slot));
	l->cost = malloc(n * sizeof(*l->cost));
	l->unused_cost = malloc(n * sizeof(*l->unused_cost));
	l->rate = malloc(n * sizeof(*l->rate));
	if (!l->slot || !l->cost || !l->unused_cost || !l->rate) {
		cman_ledger_release(l);
		return CMAN_ENOMEM;
	}
	cman_hint_huge(l->cost, n * sizeof(*l->cost));
	cman_hint_huge(l->unused_cost, n * sizeof(*l->unused_cost));
	cman_hint_huge(l->rate, n * sizeof(*l->rate));
	l->o_hi = n;
	l->o_cost = l->cost;
	l->o_unused = l->unused_cost;
	l->o_rate = l->rate;
	/* the share is 0 from the start until told otherwise */
	return cman_ledger_set_share(l, start, 0.0);
}

void cman_ledger_release(struct cman_ledger *l)
{
	free(l->slot);
	free(l->ht);
	free(l->hs);
	free(l->hv);
	free(l->cost);
	free(l->unused_cost);
	free(l->rate);
	if (l->out) {
		for (int k = 0; k < 3; k++)
			cman_chunks_release(&l->out[k]);
		free(l->out);
	}
	memset(l, 0, sizeof(*l));
}

int cman_ledger_chunked(struct cman_ledger *l, unsigned shift, bool sink)
{
	struct cman_chunks *out;
	int k, rc = 0;

	if (l->fin || l->out)
		return CMAN_EINTERNAL;
	out = calloc(3, sizeof(*out));
	if (!out)
		return CMAN_ENOMEM;
	for (k = 0; k < 3 && !rc; k++)
		rc = cman_chunks_init(&out[k], l->n_steps, sizeof(double), shift);
	if (rc) {
		for (k = 0; k < 3; k++)
			cman_chunks_release(&out[k]);
		free(out);
		return rc;
	}
	free(l->cost);
	free(l->unused_cost);
	free(l->rate);
	l->cost = l->unused_cost = l->rate = NULL;
	l->out = out;
	l->out_sink = sink;
	l->o_lo = l->o_hi = 0;
	l->o_cost = l->o_unused = l->o_rate = NULL;
	return 0;
}

/* Step i (>= o_hi) is the first of its chunk to close: where its numbers
 * go (out of memory: to the scratch triple, one step at a time, and fail
 * says so).  Out of line: close_step's caller keeps its registers. */
static __attribute__((noinline, cold)) void out_enter(struct cman_ledger *l, size_t i)
{
	struct cman_chunks *c = l->out;
	void *p[3];

	/* (flat arrays end at n_steps: not reached) */
	if (c) {
		struct cman_chunks *tabs[3] = { &c[0], &c[1], &c[2] };

		if (!cman_chunks_enter(tabs, 3, i, l->out_sink, p, &l->o_lo, &l->o_hi)) {
			l->o_cost = p[0];
			l->o_unused = p[1];
			l->o_rate = p[2];
			return;
		}
	}
	if (!l->fail)
		l->fail = CMAN_ENOMEM;
	l->o_lo = i;
	l->o_hi = i + 1;
	l->o_cost = &l->o_scratch[0];
	l->o_unused = &l->o_scratch[1];
	l->o_rate = &l->o_scratch[2];
}

static inline int64_t step_end(const struct cman_ledger *l, size_t i)
{
	int64_t e = l->start + (int64_t)(i + 1) * l->step;

	return e < l->end ? e : l->end;
}

/* When a share change closes step fin (INT64_MAX: never before the end). */
static int64_t close_time(const struct cman_ledger *l)
{
	int64_t e;

	if (!l->bounded || l->fin >= l->n_steps)
		return INT64_MAX;
	e = step_end(l, l->fin);
	return l->horizon < INT64_MAX - e ? e + l->horizon : INT64_MAX;
}

void cman_ledger_set_horizon(struct cman_ledger *l, int64_t horizon)
{
	l->bounded = horizon >= 0;
	l->horizon = horizon;
	l->close_at = close_time(l);
}

/*
 * Index of the last history entry at or before t (t >= the start of the
 * oldest open step).  Lookups mostly ask for the latest entry (deltas at
 * the current time), for the same entry again (the start of the current
 * step) or for the next ones (final steps are computed in order): a cursor
 * at the entry found last answers those in O(1) amortized; a binary search
 * the rest (late deltas of refunds).
 */
static size_t hist_find(struct cman_ledger *l, int64_t t)
{
	size_t lo = l->h0, hi = l->nh, k = l->hk, i;

	/* common case: t is at or after the latest change */
	if (l->ht[l->nh - 1] <= t)
		return l->nh - 1;
	if (k >= lo && k < l->nh && l->ht[k] <= t) {
		/* a few entries forward, else search the rest */
		for (i = 0; i < 8; i++, k++)
			if (l->ht[k + 1] > t)
				return l->hk = k;
		lo = k;
	}
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->ht[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return l->hk = lo;
}

/* Integral of the unused share from start to t. */
static long double share_integral(struct cman_ledger *l, int64_t t)
{
	size_t k = hist_find(l, t);

	return l->hs[k] + (long double)l->hv[k] * (long double)(t - l->ht[k]);
}

/* Make room in the ring for step i (i >= fin): double it until it fits. */
static int ring_fit(struct cman_ledger *l, size_t i)
{
	size_t n = l->n_slot, k, span = (l->top > l->fin ? l->top : l->fin) - l->fin;
	struct cman_ledger_slot *s;

	while (i - l->fin >= n)
		n *= 2;
	s = calloc(n, sizeof(*s));
	if (!s)
		return CMAN_ENOMEM;
	/* the open steps fin..top-1 move to their new slots */
	for (k = l->fin; k < l->fin + span; k++)
		s[k & (n - 1)] = l->slot[k & (l->n_slot - 1)];
	free(l->slot);
	l->slot = s;
	l->n_slot = n;
	return 0;
}

void cman_ledger_delta(struct cman_ledger *l, int64_t t, double d)
{
	struct cman_ledger_slot *s;
	size_t i;
	int64_t a;

	if (t >= l->end || d == 0.0)
		return;
	if (t < l->start)
		t = l->start;
	i = (size_t)((t - l->start) / l->step);
	if (i < l->fin) {
		l->fail = CMAN_EINTERNAL;   /* a broken horizon: finish() says so */
		return;
	}
	if (i - l->fin >= l->n_slot && ring_fit(l, i)) {
		if (!l->fail)
			l->fail = CMAN_ENOMEM;
		return;
	}
	if (i >= l->top)
		l->top = i + 1;
	a = l->start + (int64_t)i * l->step;
	s = &l->slot[i & (l->n_slot - 1)];
	s->sum_d += d;
	s->sum_dt += (long double)d * (long double)(step_end(l, i) - t);
	if (t == a)
		s->sum_at += d;
	else if (l->nh > 1 || l->hv[0] != 0.0)
		s->sum_ds += (long double)d * (share_integral(l, t) - share_integral(l, a));
	/* else the share is 0 throughout the history kept (a ledger nobody
	 * gives a share, as the markets'): the term is d x 0 and would leave
	 * sum_ds as it is (it is never -0) */
}

/*
 * Step fin becomes final: its cost, unused cost and rate.  Returns the
 * history entry in force at its end (the start of the next step).
 */
static size_t close_step(struct cman_ledger *l)
{
	size_t i = l->fin, k;
	struct cman_ledger_slot *s = &l->slot[i & (l->n_slot - 1)];
	int64_t a = l->start + (int64_t)i * l->step, b = step_end(l, i);
	int64_t len = b - a;
	long double s_next, w, c, u;

	if (i == 0)
		l->f_s = share_integral(l, l->start);
	k = hist_find(l, b);
	s_next = l->hs[k] + (long double)l->hv[k] * (long double)(b - l->ht[k]);
	w = s_next - l->f_s;
	/* rate is in dollars per hour; integrals are in rate x seconds */
	c = (l->f_rate * len + s->sum_dt) / 3600.0L;
	/* deltas exactly at a_i weigh the whole step's share */
	u = ((l->f_rate + s->sum_d) * w - s->sum_ds) / 3600.0L;
	if (i >= l->o_hi)   /* (chunked: the next chunk) */
		out_enter(l, i);
	l->o_rate[i - l->o_lo] = (double)(l->f_rate + s->sum_at);
	l->o_cost[i - l->o_lo] = (double)c;
	l->o_unused[i - l->o_lo] = (double)u;
	l->f_total += c;
	l->f_unused += u;
	l->f_rate += s->sum_d;
	l->f_s = s_next;
	memset(s, 0, sizeof(*s));
	l->fin++;
	l->close_at = close_time(l);
	return k;
}

/*
 * Drop the share history before entry k, the one in force at the start of
 * the oldest open step (amortized O(1): the live entries move to the front
 * when the dropped ones are as many).
 */
static void hist_prune(struct cman_ledger *l, size_t k)
{
	size_t n;

	l->h0 = k;
	if (l->h0 < 1024 || l->h0 < l->nh - l->h0)
		return;
	n = l->nh - l->h0;
	memmove(l->ht, l->ht + l->h0, n * sizeof(*l->ht));
	memmove(l->hs, l->hs + l->h0, n * sizeof(*l->hs));
	memmove(l->hv, l->hv + l->h0, n * sizeof(*l->hv));
	l->hk = l->hk >= l->h0 ? l->hk - l->h0 : 0;
	l->nh = n;
	l->h0 = 0;
}

int cman_ledger_set_share_slow(struct cman_ledger *l, int64_t t, double v)
{
	long double s;

	if (t < l->start)
		t = l->start;
	if (t >= l->close_at && l->close_at != INT64_MAX) {
		size_t k;

		/* steps ending a horizon before t take no more deltas */
		do
			k = close_step(l);
		while (t >= l->close_at && l->close_at != INT64_MAX);
		if (l->fin < l->n_steps)
			hist_prune(l, k);
	}
	if (l->nh) {
		if (l->hv[l->nh - 1] == v)
			return 0;
		if (l->ht[l->nh - 1] == t) {  /* replace a change at the same second */
			l->hv[l->nh - 1] = v;
			return 0;
		}
		s = share_integral(l, t);
	} else {
		s = 0;
	}
	if (l->nh == l->caph) {
		size_t cap = l->caph ? 2 * l->caph : 256;
		int64_t *ht = realloc(l->ht, cap * sizeof(*ht));
		long double *hs;
		double *hv;

		if (!ht)
			return CMAN_ENOMEM;
		l->ht = ht;
		hs = realloc(l->hs, cap * sizeof(*hs));
		if (!hs)
			return CMAN_ENOMEM;
		l->hs = hs;
		hv = realloc(l->hv, cap * sizeof(*hv));
		if (!hv)
			return CMAN_ENOMEM;
		l->hv = hv;
		l->caph = cap;
	}
	l->ht[l->nh] = t;
	l->hs[l->nh] = s;
	l->hv[l->nh] = v;
	l->nh++;
	return 0;
}

int cman_ledger_finish(struct cman_ledger *l)
{
	if (!l->cost && !l->out)
		return CMAN_ENOMEM;
	while (l->fin < l->n_steps)
		(void)close_step(l);
	l->total_cost = (double)l->f_total;
	l->total_unused_cost = (double)l->f_unused;
	return l->fail;
}
