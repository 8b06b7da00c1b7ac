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
	l->sum_d = calloc(n, sizeof(*l->sum_d));
	l->sum_dt = calloc(n, sizeof(*l->sum_dt));
	l->sum_at = calloc(n, sizeof(*l->sum_at));
	l->sum_ds = calloc(n, sizeof(*l->sum_ds));
	if (!l->sum_d || !l->sum_dt || !l->sum_at || !l->sum_ds) {
		cman_ledger_release(l);
		return CMAN_ENOMEM;
	}
	cman_hint_huge(l->sum_d, n * sizeof(*l->sum_d));
	cman_hint_huge(l->sum_dt, n * sizeof(*l->sum_dt));
	cman_hint_huge(l->sum_at, n * sizeof(*l->sum_at));
	cman_hint_huge(l->sum_ds, n * sizeof(*l->sum_ds));
	/* the share is 0 from the start until told otherwise */
	return cman_ledger_set_share(l, start, 0.0);
}

void cman_ledger_release(struct cman_ledger *l)
{
	free(l->sum_d);
	free(l->sum_dt);
	free(l->sum_at);
	free(l->sum_ds);
	free(l->ht);
	free(l->hs);
	free(l->hv);
	free(l->cost);
	free(l->unused_cost);
	free(l->rate);
	memset(l, 0, sizeof(*l));
}

static inline int64_t step_end(const struct cman_ledger *l, size_t i)
{
	int64_t e = l->start + (int64_t)(i + 1) * l->step;

	return e < l->end ? e : l->end;
}

/*
 * Index of the last history entry at or before t (t >= start).  Lookups
 * mostly ask for the latest entry (deltas at the current time), for the
 * same entry again (the start of the current step) or for the next ones
 * (cman_ledger_finish walks the steps in order): a cursor at the entry found
 * last answers those in O(1) amortized; a binary search the rest (late
 * deltas of refunds).
 */
static size_t hist_find(struct cman_ledger *l, int64_t t)
{
	size_t lo = 0, hi = l->nh, k = l->hk, i;

	/* common case: t is at or after the latest change */
	if (l->ht[l->nh - 1] <= t)
		return l->nh - 1;
	if (k < l->nh && l->ht[k] <= t) {
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

void cman_ledger_delta(struct cman_ledger *l, int64_t t, double d)
{
	size_t i;
	int64_t a;

	if (t >= l->end || d == 0.0)
		return;
	if (t < l->start)
		t = l->start;
	i = (size_t)((t - l->start) / l->step);
	a = l->start + (int64_t)i * l->step;
	l->sum_d[i] += d;
	l->sum_dt[i] += (long double)d * (long double)(step_end(l, i) - t);
	if (t == a)
		l->sum_at[i] += d;
	else
		l->sum_ds[i] += (long double)d * (share_integral(l, t) - share_integral(l, a));
}

int cman_ledger_set_share(struct cman_ledger *l, int64_t t, double v)
{
	long double s;

	if (t < l->start)
		t = l->start;
	if (l->nh) {
		if (l->hv[l->nh - 1] == v)
			return 0;
		s = share_integral(l, t);
		if (l->ht[l->nh - 1] == t) {  /* replace a change at the same second */
			l->hv[l->nh - 1] = v;
			return 0;
		}
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
		cman_hint_huge(ht, cap * sizeof(*ht));
		cman_hint_huge(hs, cap * sizeof(*hs));
		cman_hint_huge(hv, cap * sizeof(*hv));
	}
	l->ht[l->nh] = t;
	l->hs[l->nh] = s;
	l->hv[l->nh] = v;
	l->nh++;
	return 0;
}

int cman_ledger_finish(struct cman_ledger *l)
{
	long double rate = 0, total = 0, total_unused = 0;
	long double s_prev;
	size_t i;

	l->cost = calloc(l->n_steps, sizeof(*l->cost));
	l->unused_cost = calloc(l->n_steps, sizeof(*l->unused_cost));
	l->rate = calloc(l->n_steps, sizeof(*l->rate));
	if (!l->cost || !l->unused_cost || !l->rate)
		return CMAN_ENOMEM;
	cman_hint_huge(l->cost, l->n_steps * sizeof(*l->cost));
	cman_hint_huge(l->unused_cost, l->n_steps * sizeof(*l->unused_cost));
	cman_hint_huge(l->rate, l->n_steps * sizeof(*l->rate));
	s_prev = share_integral(l, l->start);
	for (i = 0; i < l->n_steps; i++) {
		int64_t a = l->start + (int64_t)i * l->step;
		int64_t len = step_end(l, i) - a;
		long double s_next = share_integral(l, step_end(l, i));
		long double w = s_next - s_prev;
		/* rate is in dollars per hour; integrals are in rate x seconds */
		long double c = (rate * len + l->sum_dt[i]) / 3600.0L;
		/* deltas exactly at a_i weigh the whole step's share */
		long double u = ((rate + l->sum_d[i]) * w - l->sum_ds[i]) / 3600.0L;

		l->rate[i] = (double)(rate + l->sum_at[i]);
		l->cost[i] = (double)c;
		l->unused_cost[i] = (double)u;
		total += c;
		total_unused += u;
		rate += l->sum_d[i];
		s_prev = s_next;
	}
	l->total_cost = (double)total;
	l->total_unused_cost = (double)total_unused;
	return 0;
}
