/*
 * livepool.c - one live pool built from the live configuration (see
 * livepool.h).
 */
#include "cman/live/livepool.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cman/live/discovery.h"
#include "cman/live/dynamodb.h"

static int64_t wall_now(const struct cman_clock *clk)
{
	(void)clk;
	return (int64_t)time(NULL);
}

static const struct cman_clock_ops wall_ops = { .now = wall_now };
static const struct cman_clock wall_clock = { .ops = &wall_ops };

const struct cman_clock *cman_live_wall_clock(void)
{
	return &wall_clock;
}

void cman_live_pool_opts_init(struct cman_live_pool_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dry_run = true;
	o->asg_protection = CMAN_ASG_PROTECT_REFUSE;
}

const char *cman_live_signal_source_name(enum cman_live_signal_source s)
{
	switch (s) {
	case CMAN_LIVE_SIGNAL_POOL:
		return "pool";
	case CMAN_LIVE_SIGNAL_DEFAULT_UNSET:
		return "default";
	case CMAN_LIVE_SIGNAL_DEFAULT_FALLBACK:
		return "default (fallback)";
	case CMAN_LIVE_SIGNAL_NONE:
		break;
	}
	return "none";
}

static int nomem(struct cman_error *err)
{
	return cman_error_set(err, CMAN_ENOMEM, "out of memory");
}

static void group_free(struct cman_live_group *g)
{
	cman_aws_sfr_free(g->sfr);
	cman_aws_asg_free(g->asg);
	free(g->id);
	memset(g, 0, sizeof(*g));
}

/* ---- the AWS client and the store ------------------------------------------------ */

/* cfg->store: an SQLite file, or dynamodb://PREFIX[?region=R] over a client
 * of the service file's endpoint and credentials. */
static int open_store(struct cman_live_pool *lp, struct cman_error *err)
{
	const struct cman_live_config *cfg = lp->cfg;
	struct cman_dynamodb_options o;
	struct cman_aws_config ac;
	struct cman_aws_client *client = lp->aws;
	const char *prefix, *q;
	size_t plen;
	int rc;

	if (cfg->store_is_sqlite || !cman_store_name_is_uri(cfg->store)) {
		rc = cman_store_open(cfg->store, true, &lp->store, err);
		if (rc)
			cman_error_prefix(err, "%s: metrics.sqlite", cfg->path);
		return rc;
	}
	if (strncmp(cfg->store, "dynamodb://", 11) != 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: metrics: store '%s' is not "
				      "dynamodb://PREFIX or an SQLite file", cfg->path,
				      cfg->store);
	cman_dynamodb_options_init(&o);
	prefix = cfg->store + 11;
	q = strchr(prefix, '?');
	plen = q ? (size_t)(q - prefix) : strlen(prefix);
	if (plen >= sizeof(o.table_prefix))
		return cman_error_set(err, CMAN_EINVAL, "%s: metrics: table prefix too long",
				      cfg->path);
	if (plen)
		snprintf(o.table_prefix, sizeof(o.table_prefix), "%.*s", (int)plen, prefix);
	if (cfg->state_table)
		snprintf(o.state_table, sizeof(o.state_table), "%s", cfg->state_table);
	if (q && !strncmp(q, "?region=", 8) && strcmp(q + 8, cman_aws_region(lp->aws)) != 0) {
		cman_live_config_aws(cfg, q + 8, &ac);
		if ((rc = cman_aws_client_new(&ac, &lp->store_aws, err)) != 0) {
			cman_error_prefix(err, "%s: metrics store client", cfg->path);
			return rc;
		}
		client = lp->store_aws;
	}
	rc = cman_store_dynamodb_open(client, &o, &lp->store, err);
	if (rc)
		cman_error_prefix(err, "metrics store %s", cfg->store);
	return rc;
}

/* ---- Mesos ------------------------------------------------------------------------ */

static int open_mesos(struct cman_live_pool *lp, struct cman_error *err)
{
	const struct cman_live_config *cfg = lp->cfg;
	const struct cman_node *m = cman_node_get(cfg->root, "mesos");
	const struct cman_node *sp = m ? cman_node_get(m, "mesos_agent_secret_path") : NULL;
	struct cman_mesos_config mc;
	char path[4096];
	int rc;

	if (lp->cluster->manager && strcmp(lp->cluster->manager, "mesos") != 0)
		return cman_error_set(err, CMAN_EINVAL, "%s: clusters.%s.cluster_manager: '%s' "
				      "is not supported by live mode, expected mesos", cfg->path,
				      lp->cluster->name, lp->cluster->manager);
	if (!lp->cluster->mesos_url)
		return cman_error_set(err, CMAN_EINVAL, "%s: clusters.%s.mesos_master_fqdn: "
				      "missing", cfg->path, lp->cluster->name);
	cman_mesos_config_init(&mc);
	snprintf(mc.master, sizeof(mc.master), "%s", lp->cluster->mesos_url);
	snprintf(mc.pool, sizeof(mc.pool), "%s", lp->name);
	cman_live_config_mesos(cfg, &mc);
	path[0] = '\0';
	if (sp && sp->scalar && !sp->null && sp->scalar[0]) {
		if (sp->scalar[0] == '/')
			snprintf(path, sizeof(path), "%s", sp->scalar);
		else
			snprintf(path, sizeof(path), "%s/%s", cfg->dir, sp->scalar);
	}
	if ((rc = cman_mesos_load_secret(&mc, path, err)) != 0)
		return rc;
	if ((rc = cman_mesos_new(&mc, &lp->mesos, err)) != 0) {
		cman_error_prefix(err, "%s: clusters.%s.mesos_master_fqdn", cfg->path,
				  lp->cluster->name);
		return rc;
	}
	lp->conn = cman_mesos_connector(lp->mesos);
	return 0;
}

/* ---- discovery ------------------------------------------------------------------- */

struct found {
	enum cman_discovery_kind kind;
	char *id;
	enum cman_asg_protection protection;   /* of the entry that found it */
};

static int add_found(struct found **list, size_t *n, size_t *cap, enum cman_discovery_kind k,
		     const char *id, enum cman_asg_protection protection)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*list)[i].kind == k && !strcmp((*list)[i].id, id))
			return 0;
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 8;
		struct found *p = realloc(*list, nc * sizeof(*p));

		if (!p)
			return CMAN_ENOMEM;
		*list = p;
		*cap = nc;
	}
	if (!((*list)[*n].id = strdup(id)))
		return CMAN_ENOMEM;
	(*list)[*n].protection = protection;
	(*list)[(*n)++].kind = k;
	return 0;
}

int cman_live_pool_discover(struct cman_live_pool *lp, struct cman_error *err)
{
	const struct cman_pool_file *pf = &lp->pf;
	struct found *found = NULL;
	size_t n_found = 0, cap_found = 0, skipped = 0, i, j;
	struct cman_live_group *groups = NULL;
	struct cman_resource_group **rgs = NULL;
	size_t *from = NULL;
	struct cman_aws_found f;
	int rc = 0;

	for (i = 0; i < pf->n_groups && !rc; i++) {
		const struct cman_discovery *d = &pf->groups[i];
		const char *kind = d->kind == CMAN_DISCOVER_SFR ? "sfr" : "asg";

		if (!d->tag) {
			rc = cman_error_set(err, CMAN_EINVAL, "%s: resource_groups[%zu].%s: "
					    "discovery without a tag (S3 discovery) is not "
					    "supported by live mode, expected tag: KEY",
					    pf->path, i, kind);
			break;
		}
		memset(&f, 0, sizeof(f));
		rc = d->kind == CMAN_DISCOVER_SFR
			? cman_aws_discover_sfrs(lp->aws, d->tag, lp->cluster->name, lp->name, &f,
						 err)
			: cman_aws_discover_asgs(lp->aws, d->tag, lp->cluster->name, lp->name, &f,
						 err);
		if (rc) {
			cman_error_prefix(err, "discovering the %s groups of pool %s (tag %s)",
					  kind, lp->name, d->tag);
			break;
		}
		skipped += f.skipped;
		for (j = 0; j < f.n && !rc; j++)
			if (add_found(&found, &n_found, &cap_found, d->kind, f.ids[j],
				      cman_aws_asg_protection(d)))
				rc = nomem(err);
		cman_aws_found_release(&f);
	}
	if (rc)
		goto out;
	groups = calloc(n_found ? n_found : 1, sizeof(*groups));
	rgs = calloc(n_found ? n_found : 1, sizeof(*rgs));
	if (!groups || !rgs) {
		rc = nomem(err);
		goto out;
	}
	from = malloc((n_found ? n_found : 1) * sizeof(*from));
	if (!from) {
		rc = nomem(err);
		goto out;
	}
	/* groups still found keep their object (from[i]: its old index); the
	 * new ones are made first, so that a failure changes nothing */
	for (i = 0; i < n_found; i++) {
		from[i] = SIZE_MAX;
		for (j = 0; j < lp->n_groups; j++)
			if (lp->groups[j].kind == found[i].kind &&
			    !strcmp(lp->groups[j].id, found[i].id)) {
				from[i] = j;
				break;
			}
		if (from[i] != SIZE_MAX)
			continue;
		groups[i].kind = found[i].kind;
		if (found[i].kind == CMAN_DISCOVER_SFR) {
			rc = cman_aws_sfr_new(lp->aws, found[i].id, &groups[i].sfr, err);
			if (!rc)
				groups[i].rg = cman_aws_sfr_group(groups[i].sfr);
		} else {
			/* the pool file's entry decides; opts can only force protect */
			rc = cman_aws_asg_new(lp->aws, found[i].id,
					      lp->asg_protection == CMAN_ASG_PROTECT_SET
						      ? CMAN_ASG_PROTECT_SET : found[i].protection,
					      &groups[i].asg, err);
			if (!rc)
				groups[i].rg = cman_aws_asg_group(groups[i].asg);
		}
		if (rc) {
			for (j = 0; j < i; j++)
				if (from[j] == SIZE_MAX)
					group_free(&groups[j]);
			goto out;
		}
		groups[i].id = found[i].id;
		found[i].id = NULL;
	}
	for (i = 0; i < n_found; i++) {
		if (from[i] != SIZE_MAX) {
			groups[i] = lp->groups[from[i]];
			memset(&lp->groups[from[i]], 0, sizeof(groups[i]));
		}
		rgs[i] = groups[i].rg;
	}
	for (j = 0; j < lp->n_groups; j++)
		group_free(&lp->groups[j]);
	free(lp->groups);
	free(lp->rgs);
	lp->groups = groups;
	lp->rgs = rgs;
	lp->n_groups = n_found;
	lp->discover_skipped = skipped;
	lp->pm.groups = rgs;
	lp->pm.n_groups = n_found;
	groups = NULL;
	rgs = NULL;
out:
	for (i = 0; i < n_found; i++)
		free(found[i].id);
	free(found);
	free(from);
	free(rgs);
	free(groups);
	return rc;
}

/* ---- signals --------------------------------------------------------------------- */

/* The default signal (LIVE-SPEC §1.4 step 2), then the pool's (step 3) and
 * the period of the one used (step 4). */
static int make_signals(struct cman_live_pool *lp, struct cman_error *err)
{
	const struct cman_live_config *cfg = lp->cfg;
	const struct cman_signal_config *dcfg = cfg->has_default_signal
		? &cfg->default_signal : cman_signal_default_config();
	const struct cman_signal_config *used = dcfg;
	struct cman_error serr = { 0 };
	int rc;

	rc = cman_signal_new(dcfg, lp->cluster->name,
			     cfg->has_default_signal ? "__default__" : lp->name,
			     &lp->default_signal, err);
	if (rc) {
		cman_error_prefix(err, "%s: autoscale_signal (the default signal)", cfg->path);
		return rc;
	}
	if (!lp->pf.config.has_signal) {
		lp->signal_source = CMAN_LIVE_SIGNAL_DEFAULT_UNSET;
	} else if (cman_signal_new(&lp->pf.config.signal, lp->cluster->name, lp->name,
				   &lp->signal, &serr) != 0) {
		lp->signal = NULL;
		lp->signal_source = CMAN_LIVE_SIGNAL_DEFAULT_FALLBACK;
		snprintf(lp->signal_fallback, sizeof(lp->signal_fallback), "%s: %s",
			 lp->pf.path, serr.msg);
		fprintf(stderr, "clusterman-live: warning: pool %s: the pool's signal cannot "
			"be used, the default signal is: %s\n", lp->entity, lp->signal_fallback);
	} else {
		lp->signal_source = CMAN_LIVE_SIGNAL_POOL;
		used = &lp->pf.config.signal;
	}
	snprintf(lp->signal_name, sizeof(lp->signal_name), "%s",
		 lp->signal ? lp->signal->name : lp->default_signal->name);
	lp->period_seconds = 60 * used->period_minutes;
	if (lp->period_seconds <= 0)
		lp->period_seconds = 60;
	return 0;
}

/* ---- open and close -------------------------------------------------------------- */

int cman_live_pool_open(const struct cman_live_config *cfg, const char *cluster,
			const char *pool, const char *scheduler,
			const struct cman_live_pool_opts *opts,
			struct cman_live_pool **out, struct cman_error *err)
{
	struct cman_live_pool_opts defaults;
	struct cman_live_pool *lp;
	struct cman_aws_config ac;
	char path[4096];
	int rc;

	*out = NULL;
	if (!opts) {
		cman_live_pool_opts_init(&defaults);
		opts = &defaults;
	}
	if (!scheduler)
		scheduler = "mesos";
	if (!cluster || !*cluster)
		return cman_error_set(err, CMAN_EINVAL, "no cluster given (--cluster or "
				      "$CMAN_CLUSTER)");
	if (!pool || !*pool)
		return cman_error_set(err, CMAN_EINVAL, "no pool given (--pool or $CMAN_POOL)");
	if (!(lp = calloc(1, sizeof(*lp))))
		return nomem(err);
	lp->cfg = cfg;
	lp->dry_run = opts->dry_run;
	lp->asg_protection = opts->asg_protection;
	lp->clock = opts->clock ? opts->clock : &wall_clock;
	lp->wall = wall_clock;
	snprintf(lp->name, sizeof(lp->name), "%s", pool);
	snprintf(lp->scheduler, sizeof(lp->scheduler), "%s", scheduler);
	if (!(lp->cluster = cman_live_config_cluster(cfg, cluster))) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: clusters: no cluster '%s'", cfg->path,
				    cluster);
		goto out;
	}
	if ((rc = cman_state_entity(lp->entity, sizeof(lp->entity), cluster, pool, scheduler,
				    err)) != 0)
		goto out;
	if (opts->pool_file)
		snprintf(path, sizeof(path), "%s", opts->pool_file);
	else
		cman_live_config_pool_path(cfg, cluster, pool, scheduler, path, sizeof(path));
	if ((rc = cman_pool_file_load(path, &cfg->defaults, &lp->pf, err)) != 0)
		goto out;
	cman_live_config_aws(cfg, lp->cluster->region, &ac);
	if ((rc = cman_aws_client_new(&ac, &lp->aws, err)) != 0) {
		cman_error_prefix(err, "%s: aws", cfg->path);
		goto out;
	}
	if (opts->store) {
		lp->store = opts->store;
	} else {
		if ((rc = open_store(lp, err)) != 0)
			goto out;
		lp->own_store = true;
	}
	if ((rc = open_mesos(lp, err)) != 0)
		goto out;
	cman_pool_manager_init(&lp->pm, &lp->pf.config, NULL, 0, lp->conn, lp->clock);
	lp->pm.dry_run = lp->dry_run;
	if (lp->pf.draining_enabled) {
		/* drain through Mesos maintenance, the state in the state table */
		if ((rc = cman_mesos_drainer_new(lp->mesos, &lp->drainer, err)) != 0 ||
		    (rc = cman_drain_init(&lp->drain, cman_mesos_drainer(lp->drainer), lp->store,
					  lp->entity, lp->pf.drain_timeout_seconds, err)) != 0)
			goto out;
		lp->pm.drain = &lp->drain;
	}
	if (!opts->no_discovery && (rc = cman_live_pool_discover(lp, err)) != 0)
		goto out;
	if (!opts->no_signal && (rc = make_signals(lp, err)) != 0)
		goto out;
	if (opts->no_signal)
		lp->period_seconds = 60 * cman_signal_default_config()->period_minutes;
	lp->as.cfg = &lp->pf.config;
	lp->as.cluster = lp->cluster->name;
	lp->as.pool = lp->name;
	lp->as.scheduler = lp->scheduler;
	lp->as.signal = lp->signal;
	lp->as.default_signal = lp->default_signal;
	lp->as.stores = &lp->store;
	lp->as.n_stores = 1;
	lp->as.history = lp->store;
	lp->as.pm = &lp->pm;
	lp->as.clock = lp->clock;
	*out = lp;
	return 0;
out:
	cman_live_pool_close(lp);
	return rc;
}

void cman_live_pool_close(struct cman_live_pool *lp)
{
	size_t i;

	if (!lp)
		return;
	cman_autoscaler_release(&lp->as);
	cman_signal_free(lp->signal);
	cman_signal_free(lp->default_signal);
	cman_pool_manager_release(&lp->pm);
	cman_drain_release(&lp->drain);
	cman_mesos_drainer_free(lp->drainer);
	for (i = 0; i < lp->n_groups; i++)
		group_free(&lp->groups[i]);
	free(lp->groups);
	free(lp->rgs);
	cman_mesos_free(lp->mesos);
	if (lp->own_store && lp->store) {
		struct cman_error e;

		if (cman_store_commit(lp->store, &e) != 0)
			fprintf(stderr, "clusterman-live: warning: %s\n", e.msg);
		cman_store_free(lp->store);
	}
	cman_aws_client_free(lp->store_aws);
	cman_aws_client_free(lp->aws);
	cman_pool_file_release(&lp->pf);
	free(lp);
}

int cman_live_pool_refresh(struct cman_live_pool *lp, struct cman_error *err)
{
	int rc;

	if (lp->conn && lp->conn->ops->reload && (rc = lp->conn->ops->reload(lp->conn, err)) != 0)
		return rc;
	return cman_pool_refresh(&lp->pm, err);
}

void cman_live_pool_set_dry_run(struct cman_live_pool *lp, bool dry_run)
{
	lp->dry_run = dry_run;
	lp->pm.dry_run = dry_run;
}
