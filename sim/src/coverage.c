/*
 * coverage.c - a series' coverage of the run's window, from its samples as
 * they stream by (see cman/sim/coverage.h).
 */
#include "cman/sim/coverage.h"

#include <string.h>

void cman_coverage_init(struct cman_coverage *c, int64_t start, int64_t end,
			int64_t stale_after, size_t max_gaps)
{
	memset(c, 0, sizeof(*c));
	c->start = start;
	c->end = end;
	c->stale_after = stale_after > 0 ? stale_after : 0;
	c->max_gaps = max_gaps < CMAN_COV_MAX_GAPS ? max_gaps : CMAN_COV_MAX_GAPS;
	c->first = CMAN_COV_NO_SAMPLE;
	c->last = CMAN_COV_NO_SAMPLE;
}

/* Keep gap g if it is among the max_gaps longest (ties: the earlier first). */
static void keep_gap(struct cman_coverage *c, const struct cman_cov_gap *g)
{
	int64_t len = g->end - g->start;
	size_t i;

	c->n_gaps++;
	if (!c->max_gaps)
		return;
	/* gaps arrive in time order: an equal length never beats a kept one */
	for (i = c->n_kept; i > 0; i--)
		if (c->gaps[i - 1].end - c->gaps[i - 1].start >= len)
			break;
	if (i >= c->max_gaps)
		return;
	if (c->n_kept < c->max_gaps)
		c->n_kept++;
	memmove(&c->gaps[i + 1], &c->gaps[i], (c->n_kept - 1 - i) * sizeof(c->gaps[0]));
	c->gaps[i] = *g;
}

/* The stretch from the last sample (or the start) to t. */
static void close_to(struct cman_coverage *c, int64_t t)
{
	struct cman_cov_gap g;
	int64_t a = c->start;

	if (c->has_last && c->last + c->stale_after > a)
		a = c->last + c->stale_after;
	if (t <= a)
		return;
	g.start = a;
	g.end = t;
	g.since = c->has_last ? c->last : CMAN_COV_NO_SAMPLE;
	if (c->has_last)
		c->stale_seconds += t - a;
	else
		c->missing_seconds += t - a;
	keep_gap(c, &g);
}

void cman_coverage_sample_slow(struct cman_coverage *c, int64_t t)
{
	if (c->finished || t >= c->end)
		return;
	if (t <= c->start) {
		if (!c->has_last || t > c->last) {
			c->last = t;
			c->first = t;
		}
		c->has_last = true;
		c->has_prior = true;
		return;
	}
	if (c->has_last && t < c->last)
		t = c->last;   /* out of order: contract broken, stay monotonic */
	close_to(c, t);
	if (!c->has_last)
		c->first = t;
	c->has_last = true;
	c->last = t;
	c->samples++;
}

void cman_coverage_finish(struct cman_coverage *c)
{
	if (c->finished)
		return;
	close_to(c, c->end);
	if (c->has_prior)
		c->samples++;
	c->finished = true;
}

double cman_coverage_stale_fraction(const struct cman_coverage *c)
{
	return (double)c->stale_seconds / (double)(c->end - c->start);
}

double cman_coverage_missing_fraction(const struct cman_coverage *c)
{
	return (double)c->missing_seconds / (double)(c->end - c->start);
}

double cman_coverage_covered_fraction(const struct cman_coverage *c)
{
	return (double)(c->end - c->start - c->stale_seconds - c->missing_seconds) /
	       (double)(c->end - c->start);
}
