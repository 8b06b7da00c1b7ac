/*
 * collect.c - the cluster metrics and spot price collectors (see collect.h).
 */
#include "cman/live/collect.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/config.h"
#include "cman/fsutil.h"
#include "cman/metrics.h"
#include "cman/poolfile.h"
#include "cman/time.h"
#include "cman/live/mesos.h"
#include "cman/live/spot_prices.h"

#define PRODUCT "Linux/UNIX (Amazon VPC)"

struct cpool {
	char pool[256];
	char scheduler[32];
	char name[300];             /* "<pool>.<scheduler>" */
	struct cman_mesos *mesos;
	bool mesos_failed;          /* this cycle's reload failed */
};

struct cman_collector {
	const struct cman_live_config *cfg;
	const struct cman_live_cluster *cluster;
	struct cman_store *store;
	struct cman_aws_client *ec2;
	FILE *log;
	struct cpool *pools;
	size_t n_pools, skipped;
	char **types;               /* NULL-terminated copy, or NULL */
	size_t n_types;
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

/* The Mesos secret named by mesos.mesos_agent_secret_path (relative to the
 * service file's folder), or the environment's. */
static int mesos_secret(const struct cman_live_config *cfg, struct cman_mesos_config *mc,
			struct cman_error *err)
{
	const struct cman_node *m = cman_node_get(cfg->root, "mesos"), *p;
	char path[4200];

	p = m ? cman_node_get(m, "mesos_agent_secret_path") : NULL;
	if (!p || p->type != CMAN_NODE_SCALAR || p->null || !p->scalar[0])
		return cman_mesos_load_secret(mc, NULL, err);
	if (cman_path_join(path, sizeof(path), cfg->dir, p->scalar))
		return cman_error_set(err, CMAN_EINVAL, "%s: path too long", p->scalar);
	return cman_mesos_load_secret(mc, path, err);
}

static int add_pool(struct cman_collector *c, const struct cman_pool_file *pf,
		    const struct cman_collect_options *opt, struct cman_error *err)
{
	struct cman_mesos_config mc;
	struct cpool *p = &c->pools[c->n_pools];
	int rc;

	memset(p, 0, sizeof(*p));
	snprintf(p->pool, sizeof(p->pool), "%s", pf->pool);
	snprintf(p->scheduler, sizeof(p->scheduler), "%s", pf->scheduler);
	snprintf(p->name, sizeof(p->name), "%s.%s", pf->pool, pf->scheduler);
	cman_mesos_config_init(&mc);
	snprintf(mc.master, sizeof(mc.master), "%s", c->cluster->mesos_url);
	snprintf(mc.pool, sizeof(mc.pool), "%s", pf->pool);
	if (opt->mesos_attempts > 0)
		mc.max_attempts = opt->mesos_attempts;
	if ((rc = mesos_secret(c->cfg, &mc, err)) != 0)
		return rc;
	if ((rc = cman_mesos_new(&mc, &p->mesos, err)) != 0)
		return rc;
	c->n_pools++;
	return 0;
}

static int copy_types(struct cman_collector *c, const char *const *types, struct cman_error *err)
{
	size_t n = 0;

	if (!types)
		return 0;
	while (types[n])
		n++;
	if (!(c->types = calloc(n + 1, sizeof(*c->types))))
		return cman_error_set(err, CMAN_ENOMEM, "collect: out of memory");
	for (c->n_types = 0; c->n_types < n; c->n_types++)
		if (!(c->types[c->n_types] = strdup(types[c->n_types])))
			return cman_error_set(err, CMAN_ENOMEM, "collect: out of memory");
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
	if ((rc = copy_types(c, opt->instance_types, err)) != 0)
		goto out;
	if ((rc = cman_live_config_pool_files(opt->cfg, opt->cluster, &files, &n, err)) != 0)
		goto out;
	if (n && !(c->pools = calloc(n, sizeof(*c->pools)))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "collect: out of memory");
		goto out;
	}
	for (k = 0; k < n && !rc; k++) {
		struct cman_pool_file pf;
		struct cman_error perr = { 0 };

		if (cman_pool_file_load(files[k], &opt->cfg->defaults, &pf, &perr) != 0) {
			/* Clusterman: a pool whose manager fails to build is skipped
			 * until the next restart */
			logf_(c, "%s (pool skipped until restart)%s", perr.msg, "");
			c->skipped++;
			continue;
		}
		if (strcmp(pf.scheduler, "mesos") != 0) {
			logf_(c, "%s: a %s pool; not collected (no Kubernetes connector)",
			      files[k], pf.scheduler);
			c->skipped++;
		} else {
			rc = add_pool(c, &pf, opt, err);
		}
		cman_pool_file_release(&pf);
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
		cman_mesos_free(c->pools[i].mesos);
	free(c->pools);
	for (size_t i = 0; c->types && c->types[i]; i++)
		free(c->types[i]);
	free(c->types);
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

/* The Mesos-derived metrics of one pool (its reload already done). */
static int write_pool(struct cman_collector *c, const struct cpool *p, int64_t t, size_t *n,
		      struct cman_error *err)
{
	char name[64];
	int rc = 0;

	for (int r = 0; r < CMAN_RES_COUNT && !rc; r++) {
		snprintf(name, sizeof(name), "%s_allocated", res_names[r]);
		rc = write_num(c, p, CMAN_SYSTEM_METRICS, name, t,
			       cman_mesos_allocated(p->mesos, (enum cman_resource)r), n, err);
	}
	for (int r = 0; r < CMAN_RES_COUNT && !rc; r++) {
		snprintf(name, sizeof(name), "%s_total", res_names[r]);
		rc = write_num(c, p, CMAN_METADATA, name, t,
			       cman_mesos_total(p->mesos, (enum cman_resource)r), n, err);
	}
	return rc;
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
	w.types = (const char *const *)c->types;
	w.n_types = c->n_types;
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
		cman_error_clear(&perr);
		if (cman_mesos_reload(c->pools[i].mesos, &perr) != 0) {
			logf_(c, "pool %s: %s (not collected this cycle)", c->pools[i].name, perr.msg);
			c->pools[i].mesos_failed = true;
			partial = true;
			st.pools_failed++;
		} else {
			c->pools[i].mesos_failed = false;
		}
	}
	if ((rc = cman_store_begin(c->store, err)) != 0)
		goto out;
	for (size_t i = 0; i < c->n_pools && !rc; i++) {
		if (c->pools[i].mesos_failed)
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
