/*
 * live_int.h - the live adapters' readers of AWS answers, apart from the
 * calls that fetch them: the fuzz targets (tests/fuzz) feed them answers
 * without HTTP.  Not a public interface.
 */
#ifndef CMAN_LIVE_INT_H
#define CMAN_LIVE_INT_H

#include <stddef.h>

#include <jansson.h>
#include <libxml/tree.h>

#include "cman/err.h"
#include "cman/live/spot_prices.h"
#include "cman/store.h"

/*
 * One DescribeSpotPriceHistory answer: cb gets each item in the order AWS
 * sent them (a non-zero return stops the page and is returned); token (size
 * n) gets the nextToken, "" when there is none.  CMAN_ETRANSIENT for an item
 * that is not a valid price (type, zone, time within 1970..9999, a finite
 * price > 0) or a nextToken that does not fit.
 */
int cman_spot_price_page(xmlDocPtr doc, cman_spot_price_cb cb, void *ctx, char *token,
			 size_t n, struct cman_error *err);

/* Where a market map's entries live from one item to the next. */
struct cman_ddb_scratch {
	struct cman_market_value *ents;
	size_t ents_cap;
	char *names;              /* "type\0az\0" per entry of the current map */
	size_t names_cap;
};

void cman_ddb_scratch_release(struct cman_ddb_scratch *s);

/*
 * A DynamoDB item of the series key in table as a sample: "timestamp" a
 * whole number of seconds within 1970..9999, then "value" a number, or else
 * every attribute but the reserved ones a market "<type, az>" holding a
 * number (a map; its entries live in s until the next call).  CMAN_EINVAL
 * naming table and key otherwise; CMAN_ENOMEM.
 */
int cman_ddb_item_sample(const char *table, const char *key, json_t *item,
			 struct cman_ddb_scratch *s, struct cman_sample *out,
			 struct cman_error *err);

/*
 * A Query answer: *items its "Items" (an array) and *next_key its
 * "LastEvaluatedKey" when a non-empty object, else NULL (both borrowed from
 * ans).  CMAN_ETRANSIENT "DynamoDB Query on TABLE: no Items" otherwise.
 */
int cman_ddb_query_answer(const char *table, json_t *ans, json_t **items, json_t **next_key,
			  struct cman_error *err);

/*
 * A BatchWriteItem answer's "UnprocessedItems" when it holds any table
 * (borrowed), else NULL; *n_left gets the number of requests left in it.
 */
json_t *cman_ddb_unprocessed(json_t *ans, size_t *n_left);

#endif
