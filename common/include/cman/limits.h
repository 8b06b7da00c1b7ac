/*
 * limits.h - the ranges of values the project accepts (issue 9.6).
 *
 * Input outside them is an input error naming its place (exit status 2),
 * so that no computation meets a value whose conversion, sum or product
 * overflows, and no run is asked for unbounded work.  Times: see
 * CMAN_TIME_MIN/CMAN_TIME_MAX in time.h.  README.md lists the same ranges.
 */
#ifndef CMAN_LIMITS_H
#define CMAN_LIMITS_H

/* Capacities, targets, sizes and limits, in weighted units. */
#define CMAN_CAPACITY_MAX 1e9
/* WeightedCapacity of an instance type in a resource group. */
#define CMAN_WEIGHT_MIN 1e-3
#define CMAN_WEIGHT_MAX 1e6
/* Instances of one market (replay) or one launch specification at once. */
#define CMAN_INSTANCES_MAX 1000000
/* Prices and bids, dollars per instance-hour (per unit of weight for bids). */
#define CMAN_PRICE_MAX 1e4
/* Any recorded metric value (allocations, capacities), in magnitude. */
#define CMAN_VALUE_MAX 1e15
/* simulation.step_seconds: 1 s to 366 days. */
#define CMAN_STEP_MAX 31622400
/* Durations given in minutes (windows, periods): up to 366 days. */
#define CMAN_MINUTES_MAX 527040
/* Durations given in integer seconds (staleness, starvation): 1 s to 366 days. */
#define CMAN_DURATION_MAX 31622400
/* Durations given in seconds (join delays): up to 366 days. */
#define CMAN_SECONDS_MAX 31622400.0

#endif
