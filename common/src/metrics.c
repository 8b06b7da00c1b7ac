/*
 * metrics.c - the metrics model: kind names, metric keys and markets.
 *
 * A key is "name|dim1=v1,dim2=v2".  Normalizing trims blanks around the
 * name and each dimension name and value, renames the legacy dimensions of
 * early spot price keys and sorts dimensions by name (a stable sort, so
 * repeated dimension names keep their order).
 */
#include "cman/metrics.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIMS 64

static const char *const kind_names[CMAN_KIND_COUNT] = {
	[CMAN_SYSTEM_METRICS] = "system_metrics",
	[CMAN_APP_METRICS] = "app_metrics",
	[CMAN_METADATA] = "metadata",
};

const char *cman_kind_name(enum cman_metric_kind kind)
{
	if ((unsigned)kind >= CMAN_KIND_COUNT)
		return "unknown";
	return kind_names[kind];
}

int cman_kind_parse(const char *s, enum cman_metric_kind *out)
{
	for (int i = 0; i < CMAN_KIND_COUNT; i++) {
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum cman_metric_kind)i;
			return 0;
		}
	}
	return CMAN_EINVAL;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trim [*s, *e) in place. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

struct dim {
	const char *name, *value;
	size_t nlen, vlen;
};

static int dim_cmp(const struct dim *a, const struct dim *b)
{
	size_t n = a->nlen < b->nlen ? a->nlen : b->nlen;
	int c = memcmp(a->name, b->name, n);

	if (c)
		return c;
	return (a->nlen > b->nlen) - (a->nlen < b->nlen);
}

static int append(char *out, size_t n, size_t *pos, const char *s, size_t len)
{
	if (*pos + len >= n)
		return -1;
	memcpy(out + *pos, s, len);
	*pos += len;
	out[*pos] = '\0';
	return 0;
}

int cman_metric_key_normalize(const char *in, char *out, size_t n,
			      struct cman_error *err)
{
	struct dim dims[MAX_DIMS];
	size_t ndims = 0, pos = 0;
	const char *bar = strchr(in, '|');
	const char *ns = in, *ne = bar ? bar : in + strlen(in);
	bool spot;

	trim(&ns, &ne);
	if (ns == ne)
		return cman_error_set(err, CMAN_EINVAL, "metric key '%s': empty metric name", in);
	spot = (size_t)(ne - ns) == strlen("spot_prices") &&
	       memcmp(ns, "spot_prices", (size_t)(ne - ns)) == 0;
	if (bar) {
		const char *p = bar + 1, *end = p + strlen(p);
		const char *ts = p, *te = end;

		trim(&ts, &te);
		if (ts == te)
			p = end; /* "name|" has no dimensions */
		while (p < end) {
			const char *comma = memchr(p, ',', (size_t)(end - p));
			const char *fe = comma ? comma : end;
			const char *eq = memchr(p, '=', (size_t)(fe - p));
			const char *ds, *de, *vs, *ve;

			if (!eq)
				return cman_error_set(err, CMAN_EINVAL,
						      "metric key '%s': dimension '%.*s' has no '=' (expected name=value)",
						      in, (int)(fe - p), p);
			ds = p, de = eq, vs = eq + 1, ve = fe;
			trim(&ds, &de);
			trim(&vs, &ve);
			if (ds == de)
				return cman_error_set(err, CMAN_EINVAL,
						      "metric key '%s': empty dimension name", in);
			if (ndims == MAX_DIMS)
				return cman_error_set(err, CMAN_EINVAL,
						      "metric key '%s': more than %d dimensions", in, MAX_DIMS);
			if (spot && (size_t)(de - ds) == 2 && memcmp(ds, "AZ", 2) == 0) {
				ds = "aws_availability_zone";
				de = ds + strlen(ds);
			} else if (spot && (size_t)(de - ds) == 13 &&
				   memcmp(ds, "instance_type", 13) == 0) {
				ds = "aws_instance_type";
				de = ds + strlen(ds);
			}
			dims[ndims++] = (struct dim){ ds, vs, (size_t)(de - ds), (size_t)(ve - vs) };
			p = comma ? comma + 1 : end;
			if (comma && p == end)
				return cman_error_set(err, CMAN_EINVAL,
						      "metric key '%s': empty dimension after ','", in);
		}
	}
	/* Insertion sort: stable, and keys have few dimensions. */
	for (size_t i = 1; i < ndims; i++) {
		struct dim d = dims[i];
		size_t j = i;

		while (j > 0 && dim_cmp(&dims[j - 1], &d) > 0) {
			dims[j] = dims[j - 1];
			j--;
		}
		dims[j] = d;
	}
	if (n == 0)
		goto toolong;
	out[0] = '\0';
	if (append(out, n, &pos, ns, (size_t)(ne - ns)))
		goto toolong;
	for (size_t i = 0; i < ndims; i++) {
		if (append(out, n, &pos, i ? "," : "|", 1) ||
		    append(out, n, &pos, dims[i].name, dims[i].nlen) ||
		    append(out, n, &pos, "=", 1) ||
		    append(out, n, &pos, dims[i].value, dims[i].vlen))
			goto toolong;
	}
	return 0;
toolong:
	return cman_error_set(err, CMAN_EINVAL, "metric key '%.200s': longer than %zu bytes",
			      in, n ? n - 1 : 0);
}

static int fmt_result(int r, size_t n)
{
	return (r < 0 || (size_t)r >= n) ? CMAN_EINVAL : 0;
}

/* Append s to out[0..n) at *len as snprintf would (cut, the length
 * counted whole). */
static void put(char *out, size_t n, size_t *len, const char *s)
{
	size_t k = strlen(s);

	if (*len < n) {
		size_t room = n - 1 - *len;

		memcpy(out + *len, s, k < room ? k : room);
	}
	*len += k;
}

int cman_metric_key_pool(char *out, size_t n, const char *name,
			 const char *cluster, const char *pool,
			 const char *scheduler)
{
	size_t len = 0;

	/* "%s|cluster=%s,pool=%s.%s" without printf: every autoscaler run
	 * makes its signal's keys (issue 12) */
	if (n == 0)
		return CMAN_EINVAL;
	put(out, n, &len, name);
	put(out, n, &len, "|cluster=");
	put(out, n, &len, cluster);
	put(out, n, &len, ",pool=");
	put(out, n, &len, pool);
	put(out, n, &len, ".");
	put(out, n, &len, scheduler);
	out[len < n ? len : n - 1] = '\0';
	return len >= n || len > INT_MAX ? CMAN_EINVAL : 0;
}

int cman_metric_key_spot_price(char *out, size_t n, const char *instance_type,
			       const char *az)
{
	return fmt_result(snprintf(out, n,
				   "spot_prices|aws_availability_zone=%s,aws_instance_type=%s",
				   az, instance_type), n);
}

int cman_metric_key_name(const char *key, char *out, size_t n)
{
	size_t len = strcspn(key, "|");

	if (len >= n)
		return CMAN_EINVAL;
	memcpy(out, key, len);
	out[len] = '\0';
	return 0;
}

int cman_metric_key_dim(const char *key, const char *dim, char *out, size_t n)
{
	const char *p = strchr(key, '|');
	size_t dlen = strlen(dim);

	if (!p)
		return CMAN_ENOTFOUND;
	p++;
	while (*p) {
		size_t flen = strcspn(p, ",");
		const char *eq = memchr(p, '=', flen);

		if (eq && (size_t)(eq - p) == dlen && memcmp(p, dim, dlen) == 0) {
			size_t vlen = flen - dlen - 1;

			if (vlen >= n)
				return CMAN_EINVAL;
			memcpy(out, eq + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p += flen;
		if (*p == ',')
			p++;
	}
	return CMAN_ENOTFOUND;
}

static int copy_part(const char *s, const char *e, char *out, size_t n)
{
	trim(&s, &e);
	if (s == e || (size_t)(e - s) >= n)
		return CMAN_EINVAL;
	for (const char *q = s; q < e; q++)
		if (is_blank(*q) || *q == ',' || *q == '<' || *q == '>')
			return CMAN_EINVAL;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	return 0;
}

int cman_market_parse(const char *s, char *type, size_t tn, char *az, size_t an)
{
	const char *b = s, *e = s + strlen(s), *comma;

	trim(&b, &e);
	if (b < e && *b == '<') {
		if (e[-1] != '>')
			return CMAN_EINVAL;
		b++;
		e--;
	}
	comma = memchr(b, ',', (size_t)(e - b));
	if (!comma)
		return CMAN_EINVAL;
	if (copy_part(b, comma, type, tn) || copy_part(comma + 1, e, az, an))
		return CMAN_EINVAL;
	return 0;
}

int cman_market_format(char *out, size_t n, const char *type, const char *az)
{
	return fmt_result(snprintf(out, n, "<%s, %s>", type, az), n);
}
