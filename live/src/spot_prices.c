/*
 * spot_prices.c - spot price history into the metrics store (see
 * spot_prices.h).
 */
#include "cman/live/spot_prices.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/grow.h"
#include "cman/live/xml.h"
#include "cman/time.h"
#include "live_int.h"

#define EC2_VERSION "2016-11-15"
#define MAX_PAGES 100000

static int parse_item(xmlNodePtr item, struct cman_spot_price *p, struct cman_error *err)
{
	char when[64], price[64], *end;
	size_t tl, al;

	memset(p, 0, sizeof(*p));
	tl = cman_xml_path_text(item, "instanceType", p->instance_type, sizeof(p->instance_type));
	al = cman_xml_path_text(item, "availabilityZone", p->az, sizeof(p->az));
	cman_xml_path_text(item, "timestamp", when, sizeof(when));
	cman_xml_path_text(item, "spotPrice", price, sizeof(price));
	if (!tl || tl >= sizeof(p->instance_type) || !al || al >= sizeof(p->az))
		return cman_error_set(err, CMAN_ETRANSIENT,
				      "DescribeSpotPriceHistory: an item without a valid "
				      "instanceType or availabilityZone");
	if (cman_time_parse(when, &p->t) || !cman_time_valid(p->t))
		return cman_error_set(err, CMAN_ETRANSIENT,
				      "DescribeSpotPriceHistory: %s %s: bad timestamp \"%s\"",
				      p->instance_type, p->az, when);
	errno = 0;
	p->price = strtod(price, &end);
	if (!price[0] || *end || errno || !isfinite(p->price) || p->price <= 0)
		return cman_error_set(err, CMAN_ETRANSIENT,
				      "DescribeSpotPriceHistory: %s %s: bad spotPrice \"%s\"",
				      p->instance_type, p->az, price);
	return 0;
}

int cman_spot_price_page(xmlDocPtr doc, cman_spot_price_cb cb, void *ctx, char *token,
			 size_t n, struct cman_error *err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc), set, item;
	int rc = 0;

	set = cman_xml_child(root, "spotPriceHistorySet");
	for (item = cman_xml_child(set, "item"); item && !rc; item = cman_xml_next(item, "item")) {
		struct cman_spot_price sp;

		rc = parse_item(item, &sp, err);
		if (!rc)
			rc = cb(ctx, &sp);
	}
	if (cman_xml_path_text(root, "nextToken", token, n) >= n && !rc)
		rc = cman_error_set(err, CMAN_ETRANSIENT,
				    "DescribeSpotPriceHistory: nextToken too long");
	return rc;
}

struct price_page {
	cman_spot_price_cb cb;
	void *ctx;
};

static int price_page(void *ctx, xmlDocPtr doc, struct cman_error *err)
{
	struct price_page *pp = ctx;
	char token[CMAN_AWS_TOKEN_MAX];   /* the pager reads it too */

	return cman_spot_price_page(doc, pp->cb, pp->ctx, token, sizeof(token), err);
}

int cman_spot_price_history(struct cman_aws_client *c, int64_t t0, int64_t t1,
			    const char *product, const char *const *types, size_t n_types,
			    cman_spot_price_cb cb, void *ctx, struct cman_error *err)
{
	struct price_page pp = { cb, ctx };
	struct cman_aws_params p;
	char a[CMAN_TIME_BUFSZ], b[CMAN_TIME_BUFSZ];
	int rc;

	cman_aws_params_init(&p, "DescribeSpotPriceHistory", EC2_VERSION);
	cman_aws_params_add(&p, "StartTime", cman_time_format(t0, a));
	cman_aws_params_add(&p, "EndTime", cman_time_format(t1, b));
	cman_aws_params_add(&p, "ProductDescription.1", product);
	for (size_t i = 0; i < n_types; i++) {
		char name[32];

		snprintf(name, sizeof(name), "InstanceType.%zu", i + 1);
		cman_aws_params_add(&p, name, types[i]);
	}
	cman_aws_params_add(&p, "MaxResults", "1000");
	rc = cman_aws_query_pages(c, "ec2", &p, CMAN_AWS_IDEMPOTENT, "nextToken",
				  "DescribeSpotPriceHistory", MAX_PAGES, price_page, &pp, err);
	cman_aws_params_release(&p);
	return rc;
}

/* ---- the collector --------------------------------------------------------- */

struct slotted {
	struct cman_spot_price p;
	int64_t slot;
};

struct gathered {
	struct slotted *v;
	size_t n, cap;
	int64_t d;
};

static int64_t slot_of(int64_t t, int64_t d);

static int gather(void *ctx, const struct cman_spot_price *p)
{
	struct gathered *g = ctx;

	if (cman_grow((void **)&g->v, &g->cap, g->n + 1, sizeof(*g->v)))
		return CMAN_ENOMEM;
	g->v[g->n].p = *p;
	g->v[g->n].slot = slot_of(p->t, g->d);
	g->n++;
	return 0;
}

/* The slot of t: t rounded up to a multiple of d (floor division safe for
 * negative times). */
static int64_t slot_of(int64_t t, int64_t d)
{
	int64_t q = t / d, r = t % d;

	if (r < 0) {
		q--;
		r += d;
	}
	return r ? (q + 1) * d : t;
}

static int by_market_slot_newest(const void *x, const void *y)
{
	const struct slotted *sx = x, *sy = y;
	const struct cman_spot_price *a = &sx->p, *b = &sy->p;
	int c = strcmp(a->instance_type, b->instance_type);

	if (c)
		return c;
	if ((c = strcmp(a->az, b->az)))
		return c;
	if (sx->slot != sy->slot)
		return sx->slot < sy->slot ? -1 : 1;
	/* newest first within a slot; equal times keep a stable order by price */
	if (a->t != b->t)
		return a->t > b->t ? -1 : 1;
	return (a->price > b->price) - (a->price < b->price);
}

int cman_spot_prices_collect(struct cman_aws_client *c, struct cman_store *st,
			     int64_t t0, int64_t t1, int64_t dedupe_seconds,
			     const char *product, size_t *n_written, struct cman_error *err)
{
	struct gathered g = {0};
	size_t written = 0;
	int rc;

	if (n_written)
		*n_written = 0;
	if (dedupe_seconds <= 0 || t1 < t0)
		return cman_error_set(err, CMAN_EINVAL,
				      "spot prices: dedupe_interval_seconds must be > 0 and the "
				      "window must not end before it starts");
	g.d = dedupe_seconds;
	rc = cman_spot_price_history(c, t0, t1, product, NULL, 0, gather, &g, err);
	if (rc == CMAN_ENOMEM)
		rc = cman_error_set(err, CMAN_ENOMEM, "spot prices: out of memory");
	if (rc)
		goto out;
	qsort(g.v, g.n, sizeof(*g.v), by_market_slot_newest);
	for (size_t i = 0; i < g.n && !rc; i++) {
		const struct cman_spot_price *p = &g.v[i].p;
		int64_t slot = g.v[i].slot;
		struct cman_sample s = {.t = slot, .value = p->price};
		char key[CMAN_KEY_MAX];

		if (i > 0 && !strcmp(p->instance_type, g.v[i - 1].p.instance_type) &&
		    !strcmp(p->az, g.v[i - 1].p.az) && slot == g.v[i - 1].slot)
			continue;   /* an older price of a slot already written */
		rc = cman_metric_key_spot_price(key, sizeof(key), p->instance_type, p->az);
		if (rc) {
			rc = cman_error_set(err, CMAN_ETRANSIENT, "spot prices: market %s %s too long",
					    p->instance_type, p->az);
			break;
		}
		rc = cman_store_write(st, CMAN_METADATA, key, &s, err);
		if (!rc)
			written++;
	}
out:
	free(g.v);
	if (n_written)
		*n_written = written;
	return rc;
}

/* Market order, newest first. */
static int by_market_newest(const void *x, const void *y)
{
	const struct slotted *sx = x, *sy = y;
	int c = strcmp(sx->p.instance_type, sy->p.instance_type);

	if (c)
		return c;
	if ((c = strcmp(sx->p.az, sy->p.az)))
		return c;
	if (sx->p.t != sy->p.t)
		return sx->p.t > sy->p.t ? -1 : 1;
	return (sx->p.price > sy->p.price) - (sx->p.price < sy->p.price);
}

static bool same_market(const struct cman_spot_price *a, const struct cman_spot_price *b)
{
	return !strcmp(a->instance_type, b->instance_type) && !strcmp(a->az, b->az);
}

/* Write the price in force at t0 of each market (v sorted by market, newest
 * first) unless the store's latest sample at or before t0 has it. */
static int write_in_force(struct cman_store *st, const struct slotted *v, size_t n, int64_t t0,
			  size_t *written, struct cman_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct cman_spot_price *p = &v[i].p;
		struct cman_sample s = {.t = t0, .value = p->price};
		char key[CMAN_KEY_MAX];
		int64_t lt;
		double lv;
		int rc;

		if (i > 0 && same_market(p, &v[i - 1].p))
			continue;   /* an older price of a market already seen */
		if (cman_metric_key_spot_price(key, sizeof(key), p->instance_type, p->az))
			return cman_error_set(err, CMAN_ETRANSIENT, "spot prices: market %s %s too long",
					      p->instance_type, p->az);
		rc = cman_store_latest(st, CMAN_METADATA, key, t0, &lt, &lv, err);
		if (rc < 0)
			return rc;
		if (rc == 1 && lv == p->price)
			continue;   /* already the price in force there */
		if ((rc = cman_store_write(st, CMAN_METADATA, key, &s, err)) != 0)
			return rc;
		(*written)++;
	}
	return 0;
}

int cman_spot_prices_collect_window(struct cman_aws_client *c, struct cman_store *st,
				    const struct cman_spot_window *w, size_t *n_written,
				    struct cman_error *err)
{
	struct gathered g = {0};
	size_t written = 0, n_old = 0, n_new = 0;
	int rc;

	if (n_written)
		*n_written = 0;
	if (w->dedupe_seconds <= 0 || w->t1 < w->t0 || w->t0 <= 0)
		return cman_error_set(err, CMAN_EINVAL,
				      "spot prices: dedupe_interval_seconds must be > 0 and the "
				      "window must not end before it starts");
	g.d = w->dedupe_seconds;
	rc = cman_spot_price_history(c, w->t0, w->t1, w->product, w->types, w->n_types, gather,
				     &g, err);
	if (rc == CMAN_ENOMEM)
		rc = cman_error_set(err, CMAN_ENOMEM, "spot prices: out of memory");
	if (rc)
		goto out;
	/* in place: prices in force at t0 first, then the window's, then
	 * (dropped) those after t1 */
	for (size_t i = 0; i < g.n; i++) {
		if (g.v[i].p.t > w->t1)
			continue;
		if (g.v[i].p.t <= w->t0) {
			struct slotted tmp = g.v[i];

			g.v[i] = g.v[n_old + n_new];
			if (n_new)
				g.v[n_old + n_new] = g.v[n_old];
			g.v[n_old++] = tmp;
		} else {
			struct slotted tmp = g.v[i];

			g.v[i] = g.v[n_old + n_new];
			g.v[n_old + n_new++] = tmp;
		}
	}
	if (w->in_force && n_old) {
		qsort(g.v, n_old, sizeof(*g.v), by_market_newest);
		if ((rc = write_in_force(st, g.v, n_old, w->t0, &written, err)) != 0)
			goto out;
	}
	qsort(g.v + n_old, n_new, sizeof(*g.v), by_market_slot_newest);
	for (size_t i = n_old; i < n_old + n_new && !rc; i++) {
		const struct cman_spot_price *p = &g.v[i].p;
		struct cman_sample s = {.t = g.v[i].slot, .value = p->price};
		char key[CMAN_KEY_MAX];

		if (i > n_old && same_market(p, &g.v[i - 1].p) && g.v[i].slot == g.v[i - 1].slot)
			continue;   /* an older price of a slot already written */
		if (cman_metric_key_spot_price(key, sizeof(key), p->instance_type, p->az)) {
			rc = cman_error_set(err, CMAN_ETRANSIENT, "spot prices: market %s %s too long",
					    p->instance_type, p->az);
			break;
		}
		rc = cman_store_write(st, CMAN_METADATA, key, &s, err);
		if (!rc)
			written++;
	}
out:
	free(g.v);
	if (n_written)
		*n_written = written;
	return rc;
}
