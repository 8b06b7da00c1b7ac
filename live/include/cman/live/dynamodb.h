/*
 * dynamodb.h - the DynamoDB metrics store (Clusterman's table layout).
 *
 * Tables are <table_prefix><kind>: clusterman_system_metrics,
 * clusterman_app_metrics and clusterman_metadata by default, each with hash
 * key `key` (S) and range key `timestamp` (N).  An item holds `value` (N), or
 * for a market map one N attribute per market named "<type, az>" and no
 * `value`; `expiration_timestamp` (N) when a TTL is set.  The store speaks the
 * same interface as the SQLite one (store.h), so a run replays from
 * DynamoDB exactly as from SQLite.
 *
 * Writes are buffered and sent 25 at a time with BatchWriteItem (a later
 * write of the same (key, time) replaces an earlier one still buffered);
 * UnprocessedItems are re-sent under back-off, and what is still unprocessed
 * after the client's attempts fails the write with CMAN_EPARTIAL.  commit
 * flushes; reads flush first.  Items are read per series with Query
 * (`timestamp` BETWEEN, following LastEvaluatedKey); each item is read as a
 * number when it has `value` and as a map otherwise (Clusterman decides for
 * a whole page at once; we decide per item).  keys() scans the table's keys
 * once (a Scan with a projection), so it costs one pass over the table.
 */
#ifndef CMAN_LIVE_DYNAMODB_H
#define CMAN_LIVE_DYNAMODB_H

#include <stdbool.h>

#include "cman/err.h"
#include "cman/store.h"
#include "cman/live/aws.h"

struct cman_dynamodb_options {
	char table_prefix[128];   /* default "clusterman_" */
	int ttl_days;             /* expiration_timestamp = t + ttl_days days; -1 (default): none */
	bool create_tables;       /* create missing tables (and wait until ACTIVE) */
	/* the state table (pool pause, capacity offset); "" (default):
	 * <table_prefix>cluster_state.  Live mode passes aws.state_table here
	 * so that reads and writes use one name (LIVE-SPEC §9.11). */
	char state_table[160];
};

void cman_dynamodb_options_init(struct cman_dynamodb_options *o);

/*
 * Open the store over client (borrowed: it must outlive the store).
 * Checks that the three tables exist (or creates them); CMAN_ENOTFOUND
 * naming the table when one is missing and create_tables is false.
 * Caller frees with cman_store_free().
 */
int cman_store_dynamodb_open(struct cman_aws_client *client,
			     const struct cman_dynamodb_options *opt,
			     struct cman_store **out, struct cman_error *err);

/*
 * Open "dynamodb://PREFIX" (PREFIX may be empty: the default prefix) with a
 * client made from the environment (AWS_* variables, AWS_ENDPOINT_URL...).
 * The store owns that client.  For the command line's --db.
 */
int cman_store_dynamodb_open_uri(const char *uri, bool create,
				 struct cman_store **out, struct cman_error *err);

#endif
