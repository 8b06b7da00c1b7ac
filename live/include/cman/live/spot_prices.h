/*
 * spot_prices.h - EC2 spot price history (DescribeSpotPriceHistory) into the
 * metrics store, in the series the simulator replays.
 */
#ifndef CMAN_LIVE_SPOT_PRICES_H
#define CMAN_LIVE_SPOT_PRICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"
#include "cman/metrics.h"
#include "cman/store.h"
#include "cman/live/aws.h"

/* One price change of one market. */
struct cman_spot_price {
	char instance_type[CMAN_TYPE_MAX];
	char az[CMAN_AZ_MAX];
	int64_t t;                 /* epoch seconds (fractions dropped) */
	double price;              /* $/h */
};

typedef int (*cman_spot_price_cb)(void *ctx, const struct cman_spot_price *p);

/*
 * Every price of product (e.g. "Linux/UNIX (Amazon VPC)") between t0 and t1,
 * following NextToken (a token seen twice is a CMAN_ETRANSIENT error, not an
 * endless loop).  types/n_types (may be 0) restrict the instance types.
 * cb gets each price in the order AWS sends them; a non-zero return stops
 * and is returned.  An item that is not a price (no type, zone, time or a
 * price that is not a positive number) is CMAN_ETRANSIENT naming it.
 */
int cman_spot_price_history(struct cman_aws_client *c, int64_t t0, int64_t t1,
			    const char *product, const char *const *types, size_t n_types,
			    cman_spot_price_cb cb, void *ctx, struct cman_error *err);

/*
 * Clusterman's spot price collector for one window: read the history of
 * (t0, t1] and write, for each market and each slot (a multiple of
 * dedupe_seconds), the newest price at or before the slot and after the
 * slot before it, as metadata "spot_prices|aws_availability_zone=<az>,
 * aws_instance_type=<type>" at the slot's time.  The result does not depend
 * on the order AWS sends the prices in.  *n_written (may be NULL) counts the
 * samples written; the caller commits.
 */
int cman_spot_prices_collect(struct cman_aws_client *c, struct cman_store *st,
			     int64_t t0, int64_t t1, int64_t dedupe_seconds,
			     const char *product, size_t *n_written, struct cman_error *err);

/*
 * The collect command's window (collect.h): read [t0, t1] (t0, t1 and
 * dedupe_seconds > 0, t0 <= t1) for types/n_types (0: every type) and
 * write
 *  - for the prices with t0 < t <= t1: per market and slot, the newest
 *    price of the slot at the slot's time, as cman_spot_prices_collect();
 *  - when in_force is set, per market the newest price with t <= t0 (the
 *    one in force at t0; AWS sends it with every window) at t0, unless the
 *    store's latest sample of the market at or before t0 already has that
 *    price.  Without in_force those prices are dropped (an earlier window
 *    read them).
 * Prices after t1 are dropped.  *n_written (may be NULL) counts the samples
 * written; the caller commits.  A throttled read is CMAN_ETHROTTLED.
 */
struct cman_spot_window {
	int64_t t0, t1;
	int64_t dedupe_seconds;
	const char *product;
	const char *const *types;
	size_t n_types;
	bool in_force;
};

int cman_spot_prices_collect_window(struct cman_aws_client *c, struct cman_store *st,
				    const struct cman_spot_window *w, size_t *n_written,
				    struct cman_error *err);

#endif
