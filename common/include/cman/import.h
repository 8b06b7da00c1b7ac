/*
 * import.h - loading recorded metrics files into a store.
 *
 * Formats: Clusterman's gzipped JSON (both variants of SPEC §2) and the CSV
 * layout documented in README "Metrics CSV".  Files are read as streams:
 * memory follows the longest entry or record, not the file.  Importers write through the
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
 * Metrics CSV (RFC 4180 as csvread.h reads it: fields containing ',', '"'
 * or a line break are double-quoted, '"' inside doubled; lines end with LF
 * or CRLF; blank lines are ignored; gzip-compressed files are read too):
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* ------------------------------------------------------------------ */
/* Real-data importers (common/src/import_aws.c).  Like the importers    */
/* above they write through the store interface without begin/commit,   */
/* validate markets when cat is non-NULL, fill *stats (may be NULL) also */
/* on failure, and read gzip-compressed or plain files alike.  A missing */
/* file is CMAN_EINVAL "FILE: cannot open: <reason>".                    */
/* ------------------------------------------------------------------ */

/*
 * AWS `aws ec2 describe-spot-price-history` output: a JSON object with an
 * array "SpotPriceHistory" of records {"AvailabilityZone", "InstanceType",
 * "ProductDescription", "SpotPrice" (a decimal string or number),
 * "Timestamp" (ISO-8601, fractions truncated)}; other members are ignored.
 * Each record becomes a metadata sample of the key
 * spot_prices|aws_availability_zone=<az>,aws_instance_type=<type>.
 * Records are written per market in ascending time (AWS lists newest
 * first; records with equal times keep AWS's order, so the first listed
 * applies last).  product selects ProductDescription (records without one
 * are kept): NULL means
 * "Linux/UNIX", "*" any; other records are skipped.  Errors name the file
 * and "SpotPriceHistory[N]" (N from 0); JSON syntax errors are
 * "FILE:LINE:COL: ...".
 */
int cman_import_aws_spot_json(const char *path, const char *product,
			      struct cman_store *dst, const struct cman_catalog *cat,
			      struct cman_import_stats *stats, struct cman_error *err);

/*
 * The CSV layout of the shared 2016 spot-price files: a header naming at
 * least availability_zone, instance_type, spot_price_usd_per_hour and
 * epoch_s or timestamp_utc (epoch_s wins when both are present), in any
 * order; optional product_description is filtered like product above;
 * other columns (region, ...) are ignored.  Rows must be in ascending time
 * order per market.  CSV syntax as csvread.h reads it (RFC 4180).  Errors
 * are "FILE:LINE:COL: ...".
 */
int cman_import_aws_spot_csv(const char *path, const char *product,
			     struct cman_store *dst, const struct cman_catalog *cat,
			     struct cman_import_stats *stats, struct cman_error *err);

/* Options of a generic time-series CSV (one time column, one value column). */
struct cman_timeseries_opts {
	const char *time_column;    /* header name; NULL: the first column */
	const char *value_column;   /* header name; NULL: the second column */
	double scale;               /* value multiplier (default 1) */
	double offset;              /* added after scaling (default 0) */
	bool relative;              /* times are seconds (decimals allowed,
				     * truncated) after start_time */
	int64_t start_time;         /* epoch seconds, used when relative */
	enum cman_metric_kind kind; /* default CMAN_SYSTEM_METRICS */
	const char *key;            /* target metric key (normalized); required */
};

/* Defaults: first/second column, scale 1, offset 0, absolute times,
 * system_metrics, no key. */
void cman_timeseries_opts_init(struct cman_timeseries_opts *o);

/*
 * A CSV file with a header row, one sample per row: time (epoch seconds or
 * ISO-8601, or with o->relative seconds after o->start_time) and a number,
 * written as value * scale + offset to (o->kind, o->key).  Empty value
 * fields are skipped; rows may come in any time order.  Spot-price keys
 * are validated against cat like the other importers.  A missing column
 * or key is CMAN_EINVAL naming it; bad fields are "FILE:LINE:COL: ...".
 */
int cman_import_timeseries_csv(const char *path, const struct cman_timeseries_opts *o,
			       struct cman_store *dst, const struct cman_catalog *cat,
			       struct cman_import_stats *stats, struct cman_error *err);

/*
 * What a file looks like, by content (gzip is looked through): SQLite
 * database, AWS spot JSON (an object whose first member is
 * "SpotPriceHistory"), AWS spot CSV (header with spot_price_usd_per_hour),
 * Clusterman JSON (another object) or metrics CSV (anything else).
 * CMAN_EINVAL "FILE: cannot open: ..." when unreadable.
 */
enum cman_import_format {
	CMAN_FMT_AUTO = 0,
	CMAN_FMT_CLUSTERMAN_JSON,
	CMAN_FMT_CSV,
	CMAN_FMT_AWS_JSON,
	CMAN_FMT_AWS_CSV,
	CMAN_FMT_TIMESERIES,
	CMAN_FMT_SQLITE,
};
int cman_import_sniff(const char *path, enum cman_import_format *out,
		      struct cman_error *err);

/* Parse "clusterman", "csv", "aws-json", "aws-csv", "timeseries", "sqlite"
 * or "auto"; CMAN_EINVAL when unknown. */
int cman_import_format_parse(const char *s, enum cman_import_format *out);

/*
 * Copy every series of src (all kinds and keys, all times) into dst,
 * validating markets like the importers when cat is non-NULL.
 */
int cman_import_store(struct cman_store *src, struct cman_store *dst,
		      const struct cman_catalog *cat, struct cman_import_stats *stats,
		      struct cman_error *err);

/*
 * Import a file of the given format (CMAN_FMT_AUTO: cman_import_sniff)
 * into dst: the two Clusterman formats, AWS JSON/CSV (product as above),
 * a time series (ts required, else CMAN_EINVAL) or a SQLite metrics
 * database (copied).  A time series is never sniffed.
 */
int cman_import_any(const char *path, enum cman_import_format fmt,
		    const struct cman_timeseries_opts *ts, const char *product,
		    struct cman_store *dst, const struct cman_catalog *cat,
		    struct cman_import_stats *stats, struct cman_error *err);

/*
 * A store holding a metrics file: a SQLite database opened in place (not
 * created), anything else imported into a new in-memory store.  Caller
 * frees with cman_store_free().
 */
int cman_metrics_open(const char *path, enum cman_import_format fmt,
		      const struct cman_timeseries_opts *ts, const char *product,
		      const struct cman_catalog *cat, struct cman_store **out,
		      struct cman_error *err);

#endif
