/*
 * collect.c - the cluster metrics and spot price collectors (see collect.h).
 */
#include "cman/live/collect.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/config.h"
#include "cman/grow.h"
#include "cman/metrics.h"
#include "cman/poolfile.h"
#include "cman/time.h"
#include "cman/live/livepool.h"
#include "cman/live/mesos.h"
#include "cman/live/spot_prices.h"

#define PRODUCT "Linux/UNIX (Amazon VPC)"

struct cpool {
	char pool[256];
	char scheduler[32];
	char name[300];             /* "<pool>.<scheduler>" */
	struct cman_live_pool *lp;  /* the live pool: Mesos connector, groups */
	bool failed;                /* this cycle's reload failed */
};

struct cman_collector {
	const struct cman_live_config *cfg;
	const struct cman_live_cluster *cluster;
	struct cman_store *store;
	struct cman_aws_client *ec2;
	FILE *log;
	struct cpool *pools;
	size_t n_pools, skipped;
	struct cman_market_value *mv;   /* fulfilled_capacity map scratch */
	size_t mv_cap;
	int64_t prices_end;         /* end of the last window read; 0: none yet */
	int64_t prices_last;        /* the cycle time of the last read */
};

static const char *const res_names[CMAN_RES_COUNT] = { "cpus", "mem", "disk", "gpus" };

static void logf_(struct cman_collector *c, const char *fmt, const char *a, const char *b)
{
	fprintf(c->log, "clusterman-live collect: ");
	fprintf(c->log, fmt, a, b);
	fputc('\n', c->log);
	fflush(c->log);
}

static int add_pool(struct cman_collector *c, const char *pool, const char *scheduler,
		    struct cman_error *err)
{
	struct cman_live_pool_opts o;
	struct cpool *p = &c->pools[c->n_pools];
	int rc;

	memset(p, 0, sizeof(*p));
	snprintf(p->pool, sizeof(p->pool), "%s", pool);
	snprintf(p->scheduler, sizeof(p->scheduler), "%s", scheduler);
	snprintf(p->name, sizeof(p->name), "%s.%s", pool, scheduler);
	cman_live_pool_opts_init(&o);
	o.dry_run = true;          /* the collector never changes anything */
	o.no_signal = true;
	o.no_discovery = true;     /* found on every cycle, as Clusterman does */
	o.store = c->store;
	if ((rc = cman_live_pool_open(c->cfg, c->cluster->name, pool, scheduler, &o, &p->lp,
				      err)) != 0)
		return rc;
	c->n_pools++;
	return 0;
}

int cman_collector_new(const struct cman_collect_options *opt, struct cman_collector **out,
		       struct cman_error *err)
{
	struct cman_collector *c;
	char **files = NULL;
	size_t n = 0, k;
	int rc;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return cman_error_set(err, CMAN_ENOMEM, "collect: out of memory");
	c->cfg = opt->cfg;
	c->store = opt->store;
	c->ec2 = opt->ec2;
	c->log = opt->log ? opt->log : stderr;
	if (!(c->cluster = cman_live_config_cluster(opt->cfg, opt->cluster))) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: no cluster '%s' in the service file",
				    opt->cfg->path, opt->cluster);
		goto out;
	}
	if (!c->cluster->mesos_url) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "%s: cluster '%s' has no mesos_master_fqdn (collect reads the "
				    "pools' agents from Mesos; Kubernetes is not supported)",
				    opt->cfg->path, opt->cluster);
		goto out;
	}
	if ((rc = cman_live_config_pool_files(opt->cfg, opt->cluster, &files, &n, err)) != 0)
		goto out;
	if (n && !(c->pools = calloc(n, sizeof(*c->pools)))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "collect: out of memory");
		goto out;
	}
	for (k = 0; k < n && !rc; k++) {
		char cl[256], pool[256], sched[256];
		struct cman_error perr = { 0 };

		if (cman_pool_file_name(files[k], cl, pool, sched, sizeof(pool), &perr) == 0 &&
		    strcmp(sched, "mesos") != 0) {
			logf_(c, "%s: a %s pool; not collected (no Kubernetes connector)",
			      files[k], sched);
			c->skipped++;
			continue;
		}
		if (perr.code || add_pool(c, pool, sched, &perr) != 0) {
			/* Clusterman: a pool whose manager fails to build is skipped
			 * until the next restart */
			logf_(c, "%s (pool skipped until restart)%s", perr.msg, "");
			c->skipped++;
			if (perr.code == CMAN_ENOMEM)
				rc = cman_error_set(err, CMAN_ENOMEM, "collect: out of memory");
		}
	}
out:
	for (k = 0; k < n; k++)
		free(files[k]);
	free(files);
	if (rc) {
		cman_collector_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void cman_collector_free(struct cman_collector *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_pools; i++)
		cman_live_pool_close(c->pools[i].lp);
	free(c->pools);
	free(c->mv);
	free(c);
}

size_t cman_collector_pool_count(const struct cman_collector *c)
{
	return c->n_pools;
}

const char *cman_collector_pool_name(const struct cman_collector *c, size_t i)
{
	return i < c->n_pools ? c->pools[i].name : NULL;
}

static int write_num(struct cman_collector *c, const struct cpool *p, enum cman_metric_kind kind,
		     const char *name, int64_t t, double v, size_t *n, struct cman_error *err)
{
	char key[CMAN_KEY_MAX];
	struct cman_sample s = {.t = t, .value = v};
	int rc;

	if (cman_metric_key_pool(key, sizeof(key), name, c->cluster->name, p->pool, p->scheduler))
		return cman_error_set(err, CMAN_EINVAL, "collect: metric key of pool %s too long",
				      p->name);
	if ((rc = cman_store_write(c->store, kind, key, &s, err)) != 0)
		return rc;
	(*n)++;
	return 0;
}

/* Whether a described machine counts in fulfilled_capacity: it is, or is
 * about to be, running (one shutting down or gone is not paid for long). */
static bool counts(const struct cman_rg_instance *in)
{
	return in->az && in->az[0] && in->instance_type && in->instance_type[0] &&
	       (in->state == CMAN_INSTANCE_PENDING || in->state == CMAN_INSTANCE_RUNNING ||
		in->state == CMAN_INSTANCE_UNKNOWN);
}

/* fulfilled_capacity: per market, the weight of the groups' machines
 * (every group, stale ones included, as Clusterman's market_capacities). */
static int write_markets(struct cman_collector *c, const struct cpool *p, int64_t t, size_t *n,
			 struct cman_error *err)
{
	struct cman_live_pool *lp = p->lp;
	struct cman_sample s = {.t = t, .is_map = true};
	char key[CMAN_KEY_MAX];
	size_t k = 0;
	int rc;

	for (size_t g = 0; g < lp->n_groups; g++) {
		struct cman_resource_group *rg = lp->rgs[g];
		const struct cman_rg_instance *in;
		size_t ni;

		if ((rc = rg->ops->instances(rg, &in, &ni, err)) != 0)
			return rc;
		for (size_t i = 0; i < ni; i++) {
			size_t j;

			if (!counts(&in[i]))
				continue;
			for (j = 0; j < k; j++)
				if (!strcmp(c->mv[j].instance_type, in[i].instance_type) &&
				    !strcmp(c->mv[j].az, in[i].az))
					break;
			if (j == k) {
				if (cman_grow((void **)&c->mv, &c->mv_cap, k + 1, sizeof(*c->mv)))
					return cman_error_set(err, CMAN_ENOMEM,
							      "collect: out of memory");
				c->mv[k].instance_type = in[i].instance_type;
				c->mv[k].az = in[i].az;
				c->mv[k++].value = 0;
			}
			c->mv[j].value += in[i].weight;
		}
	}
	s.n_markets = k;
	s.markets = c->mv;
	if (cman_metric_key_pool(key, sizeof(key), "fulfilled_capacity", c->cluster->name,
				 p->pool, p->scheduler))
		return cman_error_set(err, CMAN_EINVAL, "collect: metric key of pool %s too long",
				      p->name);
	if ((rc = cman_store_write(c->store, CMAN_METADATA, key, &s, err)) != 0)
		return rc;
	(*n)++;
	return 0;
}

/* The metrics of one pool (its reload already done): the Mesos agents'
 * allocations and totals, then what the groups say. */
static int write_pool(struct cman_collector *c, const struct cpool *p, int64_t t, size_t *n,
		      struct cman_error *err)
{
	struct cman_live_pool *lp = p->lp;
	bool live_group = false;
	char name[64];
	double v;
	int rc = 0;

	for (int r = 0; r < CMAN_RES_COUNT && !rc; r++) {
		snprintf(name, sizeof(name), "%s_allocated", res_names[r]);
		rc = write_num(c, p, CMAN_SYSTEM_METRICS, name, t,
			       cman_mesos_allocated(lp->mesos, (enum cman_resource)r), n, err);
	}
	for (int r = 0; r < CMAN_RES_COUNT && !rc; r++) {
		snprintf(name, sizeof(name), "%s_total", res_names[r]);
		rc = write_num(c, p, CMAN_METADATA, name, t,
			       cman_mesos_total(lp->mesos, (enum cman_resource)r), n, err);
	}
	if (rc)
		return rc;
	/* target_capacity: the non-stale groups' targets; none when the pool
	 * has no group that is not stale (Clusterman skips a pool without
	 * groups and fails on one whose groups are all stale) */
	for (size_t g = 0; g < lp->n_groups; g++)
		if (!lp->rgs[g]->ops->is_stale(lp->rgs[g]))
			live_group = true;
	if (live_group) {
		if ((rc = cman_pool_target(&lp->pm, &v, err)) != 0 ||
		    (rc = write_num(c, p, CMAN_METADATA, "target_capacity", t, v, n, err)) != 0)
			return rc;
	}
	if ((rc = write_markets(c, p, t, n, err)) != 0)
		return rc;
	if ((rc = cman_pool_non_orphan_fulfilled(&lp->pm, &v, err)) != 0)
		return rc;
	return write_num(c, p, CMAN_METADATA, "non_orphan_fulfilled_capacity", t, v, n, err);
}

static int64_t floor_to(int64_t t, int64_t d)
{
	int64_t q = t / d;

	if (t % d < 0)
		q--;
	return q * d;
}

/* The spot price window of this cycle, if one is due; 1 when read. */
static int collect_prices(struct cman_collector *c, int64_t now, struct cman_collect_stats *st,
			  struct cman_error *err)
{
	struct cman_spot_window w = {0};
	int64_t d = c->cfg->prices_dedupe, b = floor_to(now, d);
	int rc;

	if (c->prices_end && (now - c->prices_last < c->cfg->prices_interval ||
			      b <= c->prices_end))
		return 0;   /* not due, or no slot completed since the last window */
	w.t0 = c->prices_end ? c->prices_end : b;
	w.t1 = b;
	w.dedupe_seconds = d;
	w.product = PRODUCT;
	w.in_force = !c->prices_end;
	st->prices_read = true;
	st->prices_from = w.t0;
	st->prices_to = w.t1;
	rc = cman_spot_prices_collect_window(c->ec2, c->store, &w, &st->price_samples, err);
	if (rc)
		return rc;
	c->prices_end = b;
	c->prices_last = now;
	return 1;
}

int cman_collector_cycle(struct cman_collector *c, int64_t now, struct cman_collect_stats *stats,
			 struct cman_error *err)
{
	struct cman_collect_stats st = {0};
	struct cman_error perr;
	char when[CMAN_TIME_BUFSZ];
	bool partial = false;
	int rc;

	st.t = now;
	st.pools_skipped = c->skipped;
	cman_time_format(now, when);
	/* read everything first, so a slow master holds no store transaction */
	for (size_t i = 0; i < c->n_pools; i++) {
		struct cpool *p = &c->pools[i];

		cman_error_clear(&perr);
		/* LIVE-SPEC 5.1: the connector, then the groups (found again) */
		p->failed = cman_live_pool_discover(p->lp, &perr) != 0 ||
			    cman_live_pool_refresh(p->lp, &perr) != 0;
		if (p->failed) {
			logf_(c, "pool %s: %s (not collected this cycle)", p->name, perr.msg);
			partial = true;
			st.pools_failed++;
		}
	}
	if ((rc = cman_store_begin(c->store, err)) != 0)
		goto out;
	for (size_t i = 0; i < c->n_pools && !rc; i++) {
		if (c->pools[i].failed)
			continue;
		rc = write_pool(c, &c->pools[i], now, &st.metric_samples, err);
		if (!rc)
			st.pools++;
	}
	if (!rc && c->ec2) {
		cman_error_clear(&perr);
		rc = collect_prices(c, now, &st, &perr);
		if (rc < 0 && (rc == CMAN_EINVAL || rc == CMAN_EIO || rc == CMAN_ENOMEM)) {
			/* the store failed (or a bug): the cycle fails */
			*err = perr;
		} else {
			if (rc < 0) {
				/* the read failed: the window stays for the next cycle */
				logf_(c, "spot prices: %s (the window is read again next cycle)%s",
				      perr.msg, "");
				st.prices_error = rc;
				st.price_samples = 0;
				partial = true;
			}
			rc = 0;
		}
	}
	if (rc) {
		cman_store_rollback(c->store);
		cman_error_prefix(err, "collect at %s", when);
		goto out;
	}
	if ((rc = cman_store_commit(c->store, err)) != 0) {
		cman_error_prefix(err, "collect at %s: writing to %s", when, c->store->name);
		goto out;
	}
	if (partial)
		rc = cman_error_set(err, CMAN_EPARTIAL,
				    "collect at %s: %zu of %zu pools not collected%s", when,
				    st.pools_failed, c->n_pools,
				    st.prices_error ? ", spot prices not read" : "");
out:
	if (stats)
		*stats = st;
	return rc;
}
