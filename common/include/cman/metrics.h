/*
 * metrics.h - the metrics model (SPEC §2): kinds, keys, markets, samples.
 *
 * A key is "name|dim1=v1,dim2=v2" with dimensions sorted by name.  A sample
 * is a time and a number, or (for fulfilled_capacity) a map from market to
 * weighted capacity, whose entries are handed out as cman_market_value.
 */
#ifndef CMAN_METRICS_H
#define CMAN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"

enum cman_metric_kind {
	CMAN_SYSTEM_METRICS = 0,
	CMAN_APP_METRICS = 1,
	CMAN_METADATA = 2,
};
#define CMAN_KIND_COUNT 3

#define CMAN_KEY_MAX 512
#define CMAN_TYPE_MAX 48    /* longest instance type name + NUL */
#define CMAN_AZ_MAX 32      /* longest availability zone name + NUL */

/* "system_metrics", "app_metrics", "metadata". */
const char *cman_kind_name(enum cman_metric_kind kind);
/* Parse a kind name; CMAN_EINVAL when unknown. */
int cman_kind_parse(const char *s, enum cman_metric_kind *out);

/*
 * Canonical form of a key: dimensions sorted by name, surrounding blanks
 * removed, and the legacy dimension names of Clusterman's early spot price
 * keys ("AZ", "instance_type" in spot_prices|...) renamed to
 * aws_availability_zone / aws_instance_type.  Returns CMAN_EINVAL (message
 * says what is malformed) for an empty name, an empty dimension name or a
 * dimension without '=', and when the result does not fit in n bytes.
 * in and out must not overlap.
 */
int cman_metric_key_normalize(const char *in, char *out, size_t n,
			      struct cman_error *err);

/* "<name>|cluster=<cluster>,pool=<pool>.<scheduler>" into out. */
int cman_metric_key_pool(char *out, size_t n, const char *name,
			 const char *cluster, const char *pool,
			 const char *scheduler);

/* "spot_prices|aws_availability_zone=<az>,aws_instance_type=<type>". */
int cman_metric_key_spot_price(char *out, size_t n, const char *instance_type,
			       const char *az);

/* The metric name of a key (the part before '|'). */
int cman_metric_key_name(const char *key, char *out, size_t n);

/* The value of dimension dim of key; CMAN_ENOTFOUND when absent. */
int cman_metric_key_dim(const char *key, const char *dim, char *out, size_t n);

/*
 * Parse a market string: "<c5.xlarge, us-west-2a>" (Clusterman's form) or
 * "c5.xlarge,us-west-2a" (its older form).  CMAN_EINVAL when malformed.
 */
int cman_market_parse(const char *s, char *type, size_t tn, char *az, size_t an);

/* "<type, az>" into out. */
int cman_market_format(char *out, size_t n, const char *type, const char *az);

/* One entry of a market map; strings are owned by the producer (a store). */
struct cman_market_value {
	const char *instance_type;
	const char *az;
	double value;
};

struct cman_sample {
	int64_t t;                   /* epoch seconds */
	double value;                /* the number; for a map, the sum of its values */
	bool is_map;                 /* true for market maps (may be empty) */
	size_t n_markets;
	const struct cman_market_value *markets; /* valid until the producer's next call */
};

#endif
