/*
 * import.h - loading recorded metrics files into a store.
 *
 * Formats: Clusterman's gzipped JSON (both variants of SPEC §2) and the CSV
 * layout documented in README "Metrics CSV".  Importers write through the
 * store interface and do not begin/commit: the caller wraps a whole import
 * in one transaction so that a failure leaves the store as it was.
 *
 * When cat is non-NULL, markets are validated: a spot_prices key or a
 * market-map entry whose instance type is not in the catalog or whose
 * availability zone is not in a known region is an error.
 *
 * Clusterman JSON: a top-level object of kind names, each an object of
 * metric keys, each an array of entries, either [<time>, <value>] or
 * {"py/tuple": [{"py/object": "arrow.arrow.Arrow", "timestamp": <int>},
 * <value>]}.  A time is an ISO-8601 string or epoch seconds; a value a
 * number or an object of market ("<type, az>" or "type,az") to number.
 * Keys named "default_factory" or starting with "py/" are skipped at every
 * level.  Keys are normalized (cman_metric_key_normalize).  The file may be
 * gzip-compressed or plain.  Errors name the file and, for entries,
 * "<kind> key '<key as in the file>' entry <N>" with N counted from 1;
 * JSON syntax errors are "FILE:LINE:COL: <jansson's message>".
 *
 * Metrics CSV (RFC 4180: fields containing ',' or '"' are double-quoted,
 * '"' inside doubled; lines end with LF or CRLF; blank lines are ignored):
 *
 *     kind,key,timestamp,market,value
 *     system_metrics,"cpus_allocated|cluster=prod,pool=batch.mesos",1512144000,,12.5
 *     metadata,"fulfilled_capacity|cluster=prod,pool=batch.mesos",2017-12-01T16:00:00Z,"<m3.large, us-west-2a>",7
 *     metadata,"fulfilled_capacity|cluster=prod,pool=batch.mesos",2017-12-01T16:00:00Z,"m3.large,us-west-2b",2
 *     metadata,"fulfilled_capacity|cluster=prod,pool=batch.mesos",2017-12-01T16:01:00Z,{},
 *
 * The header line is required exactly.  kind is system_metrics,
 * app_metrics or metadata; key is normalized; timestamp is epoch seconds or
 * ISO-8601 (cman_time_parse).  A row with an empty market is a number
 * sample.  Consecutive rows with the same kind, key and timestamp and a
 * market ("<type, az>" or "type,az") form one map sample (a market may
 * appear once per map).  A row whose market is {} is an empty map sample
 * (its value may be empty and is ignored).  Errors are
 * "FILE:LINE:COL: ..." with COL the 1-based byte column where the
 * offending field starts.
 */
#ifndef CMAN_IMPORT_H
#define CMAN_IMPORT_H

#include <stddef.h>

#include "cman/catalog.h"
#include "cman/err.h"
#include "cman/store.h"

struct cman_import_stats {
	size_t series;    /* keys with at least one sample */
	size_t samples;   /* samples written */
};

int cman_import_clusterman_json(const char *path, struct cman_store *dst,
				const struct cman_catalog *cat,
				struct cman_import_stats *stats,
				struct cman_error *err);

int cman_import_csv(const char *path, struct cman_store *dst,
		    const struct cman_catalog *cat,
		    struct cman_import_stats *stats, struct cman_error *err);

/*
 * Pick the importer by content: gzip magic (1f 8b) or a file whose first
 * non-blank character is '{' -> Clusterman JSON, else CSV.  *stats (may be
 * NULL) receives what was written, also on failure.  A missing or
 * unreadable file is CMAN_EINVAL "FILE: cannot open: <reason>".
 */
int cman_import_file(const char *path, struct cman_store *dst,
		     const struct cman_catalog *cat,
		     struct cman_import_stats *stats, struct cman_error *err);

#endif
