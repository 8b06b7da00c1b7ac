/*
 * coverage.h - how well one recorded series covers a run's window
 * (README "Data coverage"), computed from the series' samples as they
 * stream by: O(1) per sample (O(max_gaps) when a gap is recorded), no
 * memory allocated, nothing re-read.
 *
 * A sample at t covers [t, t + stale_after).  Within the window
 * [start, end) a second x is
 *   - covered when the latest sample at or before x is less than
 *     stale_after seconds old (x - t < stale_after),
 *   - stale when that sample is older,
 *   - missing when no sample is at or before x.
 * An uncovered stretch (a "gap") runs from where coverage was lost
 * (max(start, t + stale_after) after a sample at t; start when there was
 * none) to the next sample or the end; the tracker keeps the max_gaps
 * longest (ties: the earlier first) and counts them all.  The seconds of
 * all gaps add up to stale_seconds + missing_seconds.
 */
#ifndef CMAN_SIM_COVERAGE_H
#define CMAN_SIM_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMAN_COV_MAX_GAPS 20
#define CMAN_COV_NO_SAMPLE INT64_MIN

struct cman_cov_gap {
	int64_t start, end;          /* the uncovered stretch [start, end) */
	int64_t since;               /* the last sample before it, or CMAN_COV_NO_SAMPLE */
};

struct cman_coverage {
	int64_t start, end, stale_after;
	size_t max_gaps;
	bool has_last, has_prior;
	int64_t last;                /* the latest sample seen */
	int64_t first;               /* the first sample in force in the window */
	uint64_t samples;            /* samples after start, plus 1 for a prior one */
	int64_t stale_seconds, missing_seconds;
	uint64_t n_gaps;             /* every gap (also those not kept) */
	size_t n_kept;
	struct cman_cov_gap gaps[CMAN_COV_MAX_GAPS];   /* longest first */
	bool finished;
};

/* Start tracking [start, end) (start < end); max_gaps is capped at
 * CMAN_COV_MAX_GAPS, stale_after should be > 0 (0: nothing is covered). */
void cman_coverage_init(struct cman_coverage *c, int64_t start, int64_t end,
			int64_t stale_after, size_t max_gaps);

/* cman_coverage_sample() when the sample is not the common case below. */
void cman_coverage_sample_slow(struct cman_coverage *c, int64_t t);

/*
 * A sample at t.  Samples at or before start (the one in force at the start;
 * several sources may each have one) may come in any order, before the
 * later ones; samples after start must come in non-decreasing time order.
 * Samples at or after end are ignored.  (Inline: a replay calls it for every
 * sample, and mostly the sample is after start, before end, in order and at
 * most stale_after after the one before, no gap: then it only moves last.)
 */
static inline void cman_coverage_sample(struct cman_coverage *c, int64_t t)
{
	if (!c->finished && t < c->end && t > c->start && c->has_last && t >= c->last &&
	    t - c->last <= c->stale_after) {
		c->last = t;
		c->samples++;
		return;
	}
	cman_coverage_sample_slow(c, t);
}

/* The window's end: closes the last gap.  Call once, after every sample. */
void cman_coverage_finish(struct cman_coverage *c);

/* After finish: shares of the window (0..1). */
double cman_coverage_stale_fraction(const struct cman_coverage *c);
double cman_coverage_missing_fraction(const struct cman_coverage *c);
double cman_coverage_covered_fraction(const struct cman_coverage *c);

#endif
