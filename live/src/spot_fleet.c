/*
 * spot_fleet.c - an AWS Spot Fleet request as a resource group (see
 * spot_fleet.h).
 */
#include "cman/live/spot_fleet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/grow.h"
#include "cman/metrics.h"
#include "cman/live/discovery.h"
#include "cman/live/xml.h"
#include "cman/time.h"

/* Messages are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define EC2_VERSION "2016-11-15"
#define ID_BATCH 500

struct spec {
	char type[CMAN_TYPE_MAX], az[CMAN_AZ_MAX];
	char subnet[64];             /* the zone comes from it when placement has none */
	double weight;
};

struct inst {
	char *id;                    /* any length; owned */
	char type[CMAN_TYPE_MAX], az[CMAN_AZ_MAX];
	char ip[48];
	char state[24];
	int64_t launch;
	bool cordoned;               /* tagged is_cordoned = true */
};

/* One description of the fleet. */
struct desc {
	char state[40];
	double target, fulfilled;
	struct spec *specs;
	size_t n_specs, specs_cap;
	struct inst *insts;
	size_t n_insts, insts_cap;
};

struct cman_aws_sfr {
	struct cman_resource_group base;
	char *id;                           /* base.id, owned */
	struct cman_aws_client *client;
	struct desc d;
	struct cman_rg_instance *listed;    /* what instances() hands out */
	size_t n_listed, listed_cap;
	struct cman_aws_subnets *subnets;   /* subnet -> zone, made on first need */
	/* the last refresh's outcome: the getters fail with it (resource_group.h) */
	int refresh_rc;
	struct cman_error refresh_err;
};

static void desc_release(struct desc *d)
{
	for (size_t i = 0; i < d->n_insts; i++)
		free(d->insts[i].id);
	free(d->specs);
	free(d->insts);
	memset(d, 0, sizeof(*d));
}

static int query(struct cman_aws_sfr *g, struct cman_aws_params *p, xmlDocPtr *doc,
		 struct cman_aws_fault *f, struct cman_error *err)
{
	int rc = cman_aws_query_xml(g->client, "ec2", p, CMAN_AWS_IDEMPOTENT, doc, f, err);

	cman_aws_params_release(p);
	return rc;
}

static double spec_weight(const struct desc *d, const char *type, const char *az)
{
	for (size_t i = 0; i < d->n_specs; i++)
		if (!strcmp(d->specs[i].type, type) && (!d->specs[i].az[0] || !strcmp(d->specs[i].az, az)))
			return d->specs[i].weight;
	return 1;   /* a market outside the launch specifications counts 1 (Clusterman) */
}

static int describe_request(struct cman_aws_sfr *g, struct desc *d, struct cman_error *err)
{
	struct cman_aws_params p;
	struct cman_aws_fault f;
	xmlDocPtr doc;
	xmlNodePtr item, cfg, ls;
	char num[64];
	int rc;

	cman_aws_params_init(&p, "DescribeSpotFleetRequests", EC2_VERSION);
	cman_aws_params_add(&p, "SpotFleetRequestId.1", g->base.id);
	rc = query(g, &p, &doc, &f, err);
	if (rc == CMAN_EREJECTED && !strcmp(f.code, "InvalidSpotFleetRequestId.NotFound")) {
		snprintf(d->state, sizeof(d->state), "cancelled");   /* gone: empty and stale */
		return 0;
	}
	if (rc)
		return rc;
	item = cman_xml_path(xmlDocGetRootElement(doc), "spotFleetRequestConfigSet/item");
	if (!item) {
		xmlFreeDoc(doc);
		snprintf(d->state, sizeof(d->state), "cancelled");
		return 0;
	}
	cman_xml_path_text(item, "spotFleetRequestState", d->state, sizeof(d->state));
	cfg = cman_xml_child(item, "spotFleetRequestConfig");
	if ((rc = cman_xml_path_double(cfg, "targetCapacity", &d->target, err)) != 0)
		goto bad;
	d->fulfilled = 0;
	if (cman_xml_path(cfg, "fulfilledCapacity") &&
	    (rc = cman_xml_path_double(cfg, "fulfilledCapacity", &d->fulfilled, err)) != 0)
		goto bad;
	ls = cman_xml_child(cfg, "launchSpecifications");
	for (xmlNodePtr s = cman_xml_child(ls, "item"); s; s = cman_xml_next(s, "item")) {
		struct spec sp = {.weight = 1};

		cman_xml_path_text(s, "instanceType", sp.type, sizeof(sp.type));
		cman_xml_path_text(s, "placement/availabilityZone", sp.az, sizeof(sp.az));
		if (cman_xml_path_text(s, "subnetId", sp.subnet, sizeof(sp.subnet)) >=
		    sizeof(sp.subnet))
			sp.subnet[0] = '\0';
		if (cman_xml_path_text(s, "weightedCapacity", num, sizeof(num)) &&
		    (rc = cman_xml_path_double(s, "weightedCapacity", &sp.weight, err)) != 0)
			goto bad;
		if (cman_grow((void **)&d->specs, &d->specs_cap, d->n_specs + 1, sizeof(*d->specs))) {
			xmlFreeDoc(doc);
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		}
		d->specs[d->n_specs++] = sp;
	}
	xmlFreeDoc(doc);
	return 0;
bad:
	xmlFreeDoc(doc);
	cman_error_prefix(err, "DescribeSpotFleetRequests %s", g->base.id);
	return CMAN_ETRANSIENT;
}

struct ids_page {
	struct cman_aws_sfr *g;
	struct desc *d;
};

static int ids_page(void *ctx, xmlDocPtr doc, struct cman_error *err)
{
	struct ids_page *ip = ctx;
	struct desc *d = ip->d;
	xmlNodePtr set = cman_xml_child(xmlDocGetRootElement(doc), "activeInstanceSet");

	for (xmlNodePtr it = cman_xml_child(set, "item"); it; it = cman_xml_next(it, "item")) {
		struct inst in;
		xmlNodePtr idn = cman_xml_child(it, "instanceId");
		char *copy;

		memset(&in, 0, sizeof(in));
		in.id = idn ? (char *)xmlNodeGetContent(idn) : NULL;
		if (!in.id || !in.id[0]) {
			xmlFree(in.id);
			return cman_error_set(err, CMAN_ETRANSIENT, "DescribeSpotFleetInstances "
					      "%s: an instance without an id", ip->g->base.id);
		}
		/* our own copy: freed with free(), whatever xmlFree is */
		copy = strdup(in.id);
		xmlFree(in.id);
		in.id = copy;
		cman_xml_path_text(it, "instanceType", in.type, sizeof(in.type));
		if (!in.id || cman_grow((void **)&d->insts, &d->insts_cap, d->n_insts + 1,
					sizeof(*d->insts))) {
			free(in.id);
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		}
		d->insts[d->n_insts++] = in;
	}
	return 0;
}

static int fleet_instance_ids(struct cman_aws_sfr *g, struct desc *d, struct cman_error *err)
{
	struct ids_page ip = { g, d };
	struct cman_aws_params p;
	char what[320];
	int rc;

	snprintf(what, sizeof(what), "DescribeSpotFleetInstances %s", g->base.id);
	cman_aws_params_init(&p, "DescribeSpotFleetInstances", EC2_VERSION);
	cman_aws_params_add(&p, "SpotFleetRequestId", g->base.id);
	rc = cman_aws_query_pages(g->client, "ec2", &p, CMAN_AWS_IDEMPOTENT, "nextToken", what, 0,
				  ids_page, &ip, err);
	cman_aws_params_release(&p);
	return rc;
}

static struct inst *find(struct desc *d, const char *id)
{
	for (size_t i = 0; i < d->n_insts; i++)
		if (!strcmp(d->insts[i].id, id))
			return &d->insts[i];
	return NULL;
}

/* DescribeInstances for d's instances, 500 ids a call: state, IP, zone. */
static int describe_instances(struct cman_aws_sfr *g, struct desc *d, struct cman_error *err)
{
	for (size_t b = 0; b < d->n_insts; b += ID_BATCH) {
		struct cman_aws_params p;
		xmlDocPtr doc;
		xmlNodePtr rs;
		int rc;

		cman_aws_params_init(&p, "DescribeInstances", EC2_VERSION);
		for (size_t i = b; i < d->n_insts && i < b + ID_BATCH; i++) {
			char name[32];

			snprintf(name, sizeof(name), "InstanceId.%zu", i - b + 1);
			cman_aws_params_add(&p, name, d->insts[i].id);
		}
		if ((rc = query(g, &p, &doc, NULL, err)) != 0)
			return rc;
		rs = cman_xml_child(xmlDocGetRootElement(doc), "reservationSet");
		for (xmlNodePtr r = cman_xml_child(rs, "item"); r; r = cman_xml_next(r, "item")) {
			xmlNodePtr set = cman_xml_child(r, "instancesSet");

			for (xmlNodePtr it = cman_xml_child(set, "item"); it;
			     it = cman_xml_next(it, "item")) {
				char id[256], when[64];
				struct inst *in;

				if (cman_xml_path_text(it, "instanceId", id, sizeof(id)) >= sizeof(id) ||
				    !(in = find(d, id)))
					continue;
				cman_xml_path_text(it, "instanceType", in->type, sizeof(in->type));
				cman_xml_path_text(it, "instanceState/name", in->state, sizeof(in->state));
				cman_xml_path_text(it, "privateIpAddress", in->ip, sizeof(in->ip));
				cman_xml_path_text(it, "placement/availabilityZone", in->az, sizeof(in->az));
				cman_xml_path_text(it, "launchTime", when, sizeof(when));
				if (cman_time_parse(when, &in->launch))
					in->launch = 0;
				for (xmlNodePtr t = cman_xml_child(cman_xml_child(it, "tagSet"), "item");
				     t; t = cman_xml_next(t, "item")) {
					char key[32], value[16];

					cman_xml_path_text(t, "key", key, sizeof(key));
					cman_xml_path_text(t, "value", value, sizeof(value));
					if (!strcmp(key, "is_cordoned") && !strcmp(value, "true"))
						in->cordoned = true;
				}
			}
		}
		xmlFreeDoc(doc);
	}
	return 0;
}

/* What instances() hands out: every machine of the fleet, in every state
 * (the pool manager acts on running ones only). */
static int publish(struct cman_aws_sfr *g, struct cman_error *err)
{
	g->n_listed = 0;
	for (size_t i = 0; i < g->d.n_insts; i++) {
		const struct inst *in = &g->d.insts[i];
		struct cman_rg_instance *o;

		if (cman_grow((void **)&g->listed, &g->listed_cap, g->n_listed + 1,
			      sizeof(*g->listed)))
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		o = &g->listed[g->n_listed++];
		memset(o, 0, sizeof(*o));
		o->id = in->id;
		o->ip = in->ip;
		o->state = cman_instance_state_parse(in->state);
		/* a machine without a zone has no market: not the pool's to act on */
		if (!in->az[0] && o->state == CMAN_INSTANCE_RUNNING)
			o->state = CMAN_INSTANCE_UNKNOWN;
		o->instance_type = in->type;
		o->az = in->az;
		o->weight = spec_weight(&g->d, in->type, in->az);
		o->launch_time = in->launch;
		o->spot = true;
		o->cordoned = in->cordoned;
	}
	return 0;
}

/*
 * Launch specifications that name a subnet but no placement zone (moto's
 * answers, and fleets defined by subnet) get the subnet's zone through
 * DescribeSubnets (cached), so weights are told apart per market.  A subnet
 * AWS does not know leaves the specification without a zone (it then
 * matches any zone, as before); other failures fail the refresh.
 */
static int spec_zones(struct cman_aws_sfr *g, struct desc *d, struct cman_error *err)
{
	for (size_t i = 0; i < d->n_specs; i++) {
		struct spec *sp = &d->specs[i];
		int rc;

		if (sp->az[0] || !sp->subnet[0])
			continue;
		if (!g->subnets && (rc = cman_aws_subnets_new(g->client, &g->subnets, err)) != 0)
			return rc;
		rc = cman_aws_subnet_az(g->subnets, sp->subnet, sp->az, sizeof(sp->az), err);
		if (rc == CMAN_ENOTFOUND)
			sp->az[0] = '\0';
		else if (rc)
			return rc;
	}
	return 0;
}

int cman_aws_sfr_refresh(struct cman_aws_sfr *g, struct cman_error *err)
{
	struct desc d;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = describe_request(g, &d, err);
	if (!rc)
		rc = spec_zones(g, &d, err);
	if (!rc && strncmp(d.state, "cancelled", 9) != 0 && strcmp(d.state, "") != 0)
		rc = fleet_instance_ids(g, &d, err);
	if (!rc)
		rc = describe_instances(g, &d, err);
	if (!rc) {
		desc_release(&g->d);
		g->d = d;
		rc = publish(g, err);
	} else {
		desc_release(&d);
	}
	/* remembered: the getters answer with it until a refresh succeeds */
	g->refresh_rc = rc;
	if (rc) {
		if (err)
			g->refresh_err = *err;
		else
			cman_error_set(&g->refresh_err, rc, "spot fleet request %s: refresh failed",
				       g->base.id);
	}
	return rc;
}

/* ---- the resource-group interface ------------------------------------------- */

static bool sfr_is_stale(const struct cman_resource_group *rg)
{
	const struct cman_aws_sfr *g = (const struct cman_aws_sfr *)rg;

	return strncmp(g->d.state, "cancelled", 9) == 0;
}

/* The last refresh's failure, repeated (resource_group.h); 0 after a good one. */
static int described_or_fail(const struct cman_aws_sfr *g, struct cman_error *err)
{
	if (!g->refresh_rc)
		return 0;
	if (err)
		*err = g->refresh_err;
	return g->refresh_rc;
}

static int sfr_target(const struct cman_resource_group *rg, double *out, struct cman_error *err)
{
	const struct cman_aws_sfr *g = (const struct cman_aws_sfr *)rg;
	int rc = described_or_fail(g, err);

	*out = rc || sfr_is_stale(rg) ? 0 : g->d.target;
	return rc;
}

static int sfr_fulfilled(const struct cman_resource_group *rg, double *out,
			 struct cman_error *err)
{
	const struct cman_aws_sfr *g = (const struct cman_aws_sfr *)rg;
	int rc = described_or_fail(g, err);

	*out = rc ? 0 : g->d.fulfilled;
	return rc;
}

static int sfr_instances(struct cman_resource_group *rg, const struct cman_rg_instance **out,
			 size_t *n, struct cman_error *err)
{
	struct cman_aws_sfr *g = (struct cman_aws_sfr *)rg;
	int rc = described_or_fail(g, err);

	*out = rc ? NULL : g->listed;
	*n = rc ? 0 : g->n_listed;
	return rc;
}

static int sfr_refresh(struct cman_resource_group *rg, struct cman_error *err)
{
	return cman_aws_sfr_refresh((struct cman_aws_sfr *)rg, err);
}

static int sfr_modify(struct cman_resource_group *rg, double target, bool dry_run,
		      struct cman_error *err)
{
	struct cman_aws_sfr *g = (struct cman_aws_sfr *)rg;
	struct cman_aws_params p;
	xmlDocPtr doc;
	char ret[16];
	int rc;

	if (!isfinite(target) || target < 0 || target > 1e9)
		return cman_error_set(err, CMAN_EINVAL, "%s: target %g out of range", rg->id, target);
	if (sfr_is_stale(rg) || dry_run)
		return 0;
	cman_aws_params_init(&p, "ModifySpotFleetRequest", EC2_VERSION);
	cman_aws_params_add(&p, "SpotFleetRequestId", rg->id);
	cman_aws_params_addf(&p, "TargetCapacity", "%ld", (long)target);
	cman_aws_params_add(&p, "ExcessCapacityTerminationPolicy", "NoTermination");
	if ((rc = query(g, &p, &doc, NULL, err)) != 0)
		return rc;
	cman_xml_path_text(xmlDocGetRootElement(doc), "return", ret, sizeof(ret));
	xmlFreeDoc(doc);
	if (strcmp(ret, "true") != 0)
		return cman_error_set(err, CMAN_EREJECTED,
				      "ModifySpotFleetRequest %s to %ld: AWS answered return=%s",
				      rg->id, (long)target, ret[0] ? ret : "(none)");
	g->d.target = (double)(long)target;
	return 0;
}

static int sfr_terminate(struct cman_resource_group *rg, const char *const *ids, size_t n,
			 bool dry_run, size_t *n_done, bool *failed, struct cman_error *err)
{
	struct cman_aws_sfr *g = (struct cman_aws_sfr *)rg;
	const char **mine;
	size_t *at;                  /* mine[j] is ids[at[j]] */
	size_t k = 0, done = 0;
	int rc = 0;

	if (n_done)
		*n_done = 0;
	if ((rc = described_or_fail(g, err)) != 0) {
		for (size_t i = 0; failed && i < n; i++)
			failed[i] = true;
		return rc;
	}
	mine = calloc(n ? n : 1, sizeof(*mine));
	at = calloc(n ? n : 1, sizeof(*at));
	if (!mine || !at) {
		free(mine);
		free(at);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const struct inst *in = find(&g->d, ids[i]);

		/* Only the fleet's own machines, and not those already ending. */
		if (in && strcmp(in->state, "shutting-down") && strcmp(in->state, "terminated") &&
		    in->az[0]) {
			at[k] = i;
			mine[k++] = in->id;
		}
	}
	if (dry_run) {
		done = k;
		goto out;
	}
	for (size_t b = 0; b < k && !rc; b += ID_BATCH) {
		struct cman_aws_params p;
		xmlDocPtr doc;
		xmlNodePtr set;
		size_t e = b + ID_BATCH < k ? b + ID_BATCH : k;

		cman_aws_params_init(&p, "TerminateInstances", EC2_VERSION);
		for (size_t i = b; i < e; i++) {
			char name[32];

			snprintf(name, sizeof(name), "InstanceId.%zu", i - b + 1);
			cman_aws_params_add(&p, name, mine[i]);
		}
		if ((rc = query(g, &p, &doc, NULL, err)) != 0) {
			/* this batch and the ones after it were not done */
			for (size_t i = b; failed && i < k; i++)
				failed[at[i]] = true;
			break;
		}
		set = cman_xml_child(xmlDocGetRootElement(doc), "instancesSet");
		for (size_t i = b; failed && i < e; i++)
			failed[at[i]] = true;   /* until the answer lists it */
		for (xmlNodePtr it = cman_xml_child(set, "item"); it; it = cman_xml_next(it, "item")) {
			char id[256];
			struct inst *in;

			if (cman_xml_path_text(it, "instanceId", id, sizeof(id)) >= sizeof(id))
				continue;
			if ((in = find(&g->d, id))) {
				snprintf(in->state, sizeof(in->state), "shutting-down");
				done++;
				for (size_t i = b; failed && i < e; i++)
					if (!strcmp(mine[i], id))
						failed[at[i]] = false;
			}
		}
		xmlFreeDoc(doc);
	}
	if (!rc && done < k)
		rc = cman_error_set(err, CMAN_EPARTIAL,
				    "TerminateInstances %s: %zu of %zu instances were not in the "
				    "answer (probably ended before)", rg->id, k - done, k);
	if (!rc || rc == CMAN_EPARTIAL) {
		struct cman_error ignored;

		publish(g, &ignored);
	}
out:
	free(mine);
	free(at);
	if (n_done)
		*n_done = done;
	return rc;
}

static double sfr_min(const struct cman_resource_group *rg)
{
	return 0;
}

static double sfr_max(const struct cman_resource_group *rg)
{
	return INFINITY;
}

static const struct cman_rg_ops sfr_ops = {
	.kind = "aws_spot_fleet",
	.refresh = sfr_refresh,
	.target_capacity = sfr_target,
	.fulfilled_capacity = sfr_fulfilled,
	.instances = sfr_instances,
	.modify_target = sfr_modify,
	.terminate = sfr_terminate,
	.is_stale = sfr_is_stale,
	.min_capacity = sfr_min,
	.max_capacity = sfr_max,
};

int cman_aws_sfr_new(struct cman_aws_client *client, const char *sfr_id,
		     struct cman_aws_sfr **out, struct cman_error *err)
{
	struct cman_aws_sfr *g;

	*out = NULL;
	if (!sfr_id[0])
		return cman_error_set(err, CMAN_EINVAL, "spot fleet request id: expected at "
				      "least one character");
	g = calloc(1, sizeof(*g));
	if (!g || !(g->id = strdup(sfr_id))) {
		free(g);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	g->base.ops = &sfr_ops;
	g->base.id = g->id;
	g->client = client;
	g->refresh_rc = cman_error_set(&g->refresh_err, CMAN_EINVAL, "spot fleet request %s: "
				       "not described yet (refresh it first)", sfr_id);
	*out = g;
	return 0;
}

void cman_aws_sfr_free(struct cman_aws_sfr *g)
{
	if (!g)
		return;
	desc_release(&g->d);
	free(g->listed);
	cman_aws_subnets_free(g->subnets);
	free(g->id);
	free(g);
}

struct cman_resource_group *cman_aws_sfr_group(struct cman_aws_sfr *g)
{
	return &g->base;
}

const char *cman_aws_sfr_state(const struct cman_aws_sfr *g)
{
	return g->d.state;
}

const char *cman_aws_sfr_instance_ip(const struct cman_aws_sfr *g, const char *id)
{
	for (size_t i = 0; i < g->d.n_insts; i++)
		if (!strcmp(g->d.insts[i].id, id))
			return g->d.insts[i].ip;
	return NULL;
}
