/*
 * asg.c - an AWS Auto Scaling group as a resource group (see asg.h).
 */
#include "cman/live/asg.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/grow.h"
#include "cman/metrics.h"
#include "cman/live/xml.h"
#include "cman/time.h"

/* Messages are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define AS_VERSION "2011-01-01"
#define EC2_VERSION "2016-11-15"
#define FILTER_BATCH 200     /* values of one EC2 filter */
#define PROTECT_BATCH 50     /* SetInstanceProtection: InstanceIds at most */
#define TAG_BATCH 200        /* CreateTags, as Clusterman */
#define STALE_KEY "clusterman:is_stale"
#define STALE_VALUE "True"

struct inst {
	char id[32];
	char type[CMAN_TYPE_MAX], az[CMAN_AZ_MAX];
	char lifecycle[40];      /* Auto Scaling's LifecycleState */
	char state[24];          /* EC2's state name; "" when EC2 did not describe it */
	char ip[48];
	double weight;           /* int(WeightedCapacity or 1) */
	int64_t launch;
	bool protect;            /* ProtectedFromScaleIn */
	bool stale;              /* tagged clusterman:is_stale = True */
	bool cordoned;           /* tagged is_cordoned = true */
};

/* One description of the group. */
struct desc {
	bool exists, deleting;
	double desired, min, max;
	bool protects_new;
	char (*zones)[CMAN_AZ_MAX];
	size_t n_zones, zones_cap;
	struct inst *insts;
	size_t n_insts, insts_cap;
};

struct cman_aws_asg {
	struct cman_resource_group base;
	char *name;                         /* base.id, owned (up to 255 characters) */
	struct cman_aws_client *client;
	enum cman_asg_protection protection;
	struct desc d;
	struct cman_rg_instance *running;   /* what instances() hands out */
	size_t n_running, running_cap;
	const char **failed;                /* ids of the last terminate() that failed */
	size_t n_failed, failed_cap;
	char note[256];
	/* the last refresh's outcome: the getters fail with it (resource_group.h) */
	int refresh_rc;
	struct cman_error refresh_err;
};

static void desc_release(struct desc *d)
{
	free(d->zones);
	free(d->insts);
	memset(d, 0, sizeof(*d));
}

static bool counts(const struct inst *in)
{
	return strncmp(in->lifecycle, "Pending", 7) == 0 || strcmp(in->lifecycle, "InService") == 0;
}

static bool ending(const struct inst *in)
{
	return strncmp(in->lifecycle, "Terminat", 8) == 0 || strncmp(in->lifecycle, "Detach", 6) == 0 ||
	       !strcmp(in->state, "shutting-down") || !strcmp(in->state, "terminated");
}

static double stale_capacity(const struct desc *d)
{
	double s = 0;

	for (size_t i = 0; i < d->n_insts; i++)
		if (d->insts[i].stale && counts(&d->insts[i]))
			s += d->insts[i].weight;
	return s;
}

static double counted_capacity(const struct desc *d)
{
	double s = 0;

	for (size_t i = 0; i < d->n_insts; i++)
		if (counts(&d->insts[i]))
			s += d->insts[i].weight;
	return s;
}

static struct inst *find(const struct desc *d, const char *id)
{
	for (size_t i = 0; i < d->n_insts; i++)
		if (!strcmp(d->insts[i].id, id))
			return &d->insts[i];
	return NULL;
}

static bool in_zones(const struct desc *d, const char *az)
{
	for (size_t i = 0; i < d->n_zones; i++)
		if (!strcmp(d->zones[i], az))
			return true;
	return false;
}

/* A whole number in [lo, hi] from the text at path; CMAN_ETRANSIENT naming
 * it when absent or malformed (an answer we cannot trust). */
static int whole(xmlNodePtr parent, const char *path, double lo, double hi, bool required,
		 double dflt, double *out, const char *what, struct cman_error *err)
{
	char txt[64], *end;
	size_t len = cman_xml_path_text(parent, path, txt, sizeof(txt));
	long long v;

	if (len == 0 && !required) {
		*out = dflt;
		return 0;
	}
	errno = 0;
	v = len < sizeof(txt) ? strtoll(txt, &end, 10) : 0;
	if (len == 0 || len >= sizeof(txt) || errno || *end || v < lo || v > hi)
		return cman_error_set(err, CMAN_ETRANSIENT, "%s: %s is %s (expected a whole "
				      "number from %.0f to %.0f)", what, path,
				      len ? "malformed" : "missing", lo, hi);
	*out = (double)v;
	return 0;
}

static int parse_instance(xmlNodePtr m, struct inst *in, const char *what,
			  struct cman_error *err)
{
	char prot[16];

	memset(in, 0, sizeof(*in));
	if (cman_xml_path_text(m, "InstanceId", in->id, sizeof(in->id)) >= sizeof(in->id) ||
	    !in->id[0])
		return cman_error_set(err, CMAN_ETRANSIENT, "%s: an instance id that is missing "
				      "or too long", what);
	cman_xml_path_text(m, "InstanceType", in->type, sizeof(in->type));
	cman_xml_path_text(m, "AvailabilityZone", in->az, sizeof(in->az));
	cman_xml_path_text(m, "LifecycleState", in->lifecycle, sizeof(in->lifecycle));
	cman_xml_path_text(m, "ProtectedFromScaleIn", prot, sizeof(prot));
	in->protect = !strcmp(prot, "true");
	return whole(m, "WeightedCapacity", 0, 1e6, false, 1, &in->weight, what, err);
}

/* The group's record from one DescribeAutoScalingGroups page, if there. */
static int parse_group(struct cman_aws_asg *g, xmlNodePtr grp, struct desc *d,
		       struct cman_error *err)
{
	char what[128], txt[16];
	int rc;

	snprintf(what, sizeof(what), "DescribeAutoScalingGroups %s", g->base.id);
	d->exists = true;
	if ((rc = whole(grp, "MinSize", 0, 1e9, true, 0, &d->min, what, err)) != 0 ||
	    (rc = whole(grp, "MaxSize", 0, 1e9, true, 0, &d->max, what, err)) != 0 ||
	    (rc = whole(grp, "DesiredCapacity", 0, 1e9, true, 0, &d->desired, what, err)) != 0)
		return rc;
	d->deleting = cman_xml_path_text(grp, "Status", txt, sizeof(txt)) > 0;
	cman_xml_path_text(grp, "NewInstancesProtectedFromScaleIn", txt, sizeof(txt));
	d->protects_new = !strcmp(txt, "true");
	for (xmlNodePtr z = cman_xml_child(cman_xml_child(grp, "AvailabilityZones"), "member"); z;
	     z = cman_xml_next(z, "member")) {
		if (cman_grow((void **)&d->zones, &d->zones_cap, d->n_zones + 1, sizeof(*d->zones)))
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		cman_xml_text(z, d->zones[d->n_zones++], CMAN_AZ_MAX);
	}
	for (xmlNodePtr m = cman_xml_child(cman_xml_child(grp, "Instances"), "member"); m;
	     m = cman_xml_next(m, "member")) {
		struct inst in;

		if ((rc = parse_instance(m, &in, what, err)) != 0)
			return rc;
		if (find(d, in.id))
			continue;
		if (cman_grow((void **)&d->insts, &d->insts_cap, d->n_insts + 1, sizeof(*d->insts)))
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		d->insts[d->n_insts++] = in;
	}
	return 0;
}

struct group_page {
	struct cman_aws_asg *g;
	struct desc *d;
};

static int group_page(void *ctx, xmlDocPtr doc, struct cman_error *err)
{
	struct group_page *gp = ctx;
	struct cman_aws_asg *g = gp->g;
	xmlNodePtr res, grps;
	int rc = 0;

	res = cman_xml_child(xmlDocGetRootElement(doc), "DescribeAutoScalingGroupsResult");
	grps = cman_xml_child(res, "AutoScalingGroups");
	if (!res || !grps)
		return cman_error_set(err, CMAN_ETRANSIENT, "DescribeAutoScalingGroups %s: "
				      "the answer has no AutoScalingGroups", g->base.id);
	for (xmlNodePtr m = cman_xml_child(grps, "member"); m && !rc;
	     m = cman_xml_next(m, "member")) {
		char name[256];

		cman_xml_path_text(m, "AutoScalingGroupName", name, sizeof(name));
		if (!strcmp(name, g->base.id)) {
			if (gp->d->exists)
				rc = cman_error_set(err, CMAN_ETRANSIENT,
						    "DescribeAutoScalingGroups %s: the "
						    "group is described twice", g->base.id);
			else
				rc = parse_group(g, m, gp->d, err);
		}
	}
	return rc;
}

static int describe_group(struct cman_aws_asg *g, struct desc *d, struct cman_error *err)
{
	struct group_page gp = { g, d };
	struct cman_aws_params p;
	char what[320];
	int rc;

	snprintf(what, sizeof(what), "DescribeAutoScalingGroups %s", g->base.id);
	cman_aws_params_init(&p, "DescribeAutoScalingGroups", AS_VERSION);
	cman_aws_params_add(&p, "AutoScalingGroupNames.member.1", g->base.id);
	rc = cman_aws_query_pages(g->client, "autoscaling", &p, CMAN_AWS_IDEMPOTENT,
				  "DescribeAutoScalingGroupsResult/NextToken", what, 0, group_page,
				  &gp, err);
	cman_aws_params_release(&p);
	return rc;
}

static void read_ec2_instance(struct desc *d, xmlNodePtr it)
{
	char id[32], when[64], az[CMAN_AZ_MAX];
	struct inst *in;

	cman_xml_path_text(it, "instanceId", id, sizeof(id));
	if (!(in = find(d, id)))
		return;
	if (!in->type[0])
		cman_xml_path_text(it, "instanceType", in->type, sizeof(in->type));
	cman_xml_path_text(it, "instanceState/name", in->state, sizeof(in->state));
	cman_xml_path_text(it, "privateIpAddress", in->ip, sizeof(in->ip));
	if (!in->az[0] &&
	    cman_xml_path_text(it, "placement/availabilityZone", az, sizeof(az)) < sizeof(az))
		snprintf(in->az, sizeof(in->az), "%s", az);
	cman_xml_path_text(it, "launchTime", when, sizeof(when));
	if (cman_time_parse(when, &in->launch))
		in->launch = 0;
	for (xmlNodePtr t = cman_xml_child(cman_xml_child(it, "tagSet"), "item"); t;
	     t = cman_xml_next(t, "item")) {
		char key[128], value[64];

		cman_xml_path_text(t, "key", key, sizeof(key));
		cman_xml_path_text(t, "value", value, sizeof(value));
		if (!strcmp(key, STALE_KEY) && !strcmp(value, STALE_VALUE))
			in->stale = true;
		if (!strcmp(key, "is_cordoned") && !strcmp(value, "true"))
			in->cordoned = true;
	}
}

/*
 * DescribeInstances for d's instances by an instance-id filter, 200 ids a
 * call, following nextToken.  A filter (rather than InstanceId.N) does not
 * fail the whole call when one id is unknown to EC2 (a group can list an
 * instance EC2 does not show yet, or no longer).
 */
static int instances_page(void *ctx, xmlDocPtr doc, struct cman_error *err)
{
	struct desc *d = ctx;
	xmlNodePtr root = xmlDocGetRootElement(doc);

	(void)err;
	for (xmlNodePtr r = cman_xml_child(cman_xml_child(root, "reservationSet"), "item"); r;
	     r = cman_xml_next(r, "item"))
		for (xmlNodePtr it = cman_xml_child(cman_xml_child(r, "instancesSet"), "item"); it;
		     it = cman_xml_next(it, "item"))
			read_ec2_instance(d, it);
	return 0;
}

static int describe_instances(struct cman_aws_asg *g, struct desc *d, struct cman_error *err)
{
	char what[320];

	snprintf(what, sizeof(what), "DescribeInstances for %s", g->base.id);
	for (size_t b = 0; b < d->n_insts; b += FILTER_BATCH) {
		struct cman_aws_params p;
		int rc;

		cman_aws_params_init(&p, "DescribeInstances", EC2_VERSION);
		cman_aws_params_add(&p, "Filter.1.Name", "instance-id");
		for (size_t i = b; i < d->n_insts && i < b + FILTER_BATCH; i++) {
			char name[40];

			snprintf(name, sizeof(name), "Filter.1.Value.%zu", i - b + 1);
			cman_aws_params_add(&p, name, d->insts[i].id);
		}
		rc = cman_aws_query_pages(g->client, "ec2", &p, CMAN_AWS_IDEMPOTENT, "nextToken",
					  what, 0, instances_page, d, err);
		cman_aws_params_release(&p);
		if (rc)
			return rc;
	}
	return 0;
}

static int publish(struct cman_aws_asg *g, struct cman_error *err)
{
	g->n_running = 0;
	for (size_t i = 0; i < g->d.n_insts; i++) {
		const struct inst *in = &g->d.insts[i];
		struct cman_rg_instance *o;

		if (cman_grow((void **)&g->running, &g->running_cap, g->n_running + 1,
			      sizeof(*g->running)))
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		o = &g->running[g->n_running++];
		memset(o, 0, sizeof(*o));
		o->id = in->id;
		o->ip = in->ip;
		/* Every machine, in its EC2 state; the pool acts on running ones. */
		o->state = cman_instance_state_parse(in->state);
		if (o->state == CMAN_INSTANCE_RUNNING && ending(in))
			o->state = CMAN_INSTANCE_SHUTTING_DOWN;   /* Auto Scaling is ending it */
		else if (o->state == CMAN_INSTANCE_RUNNING && !in->az[0])
			o->state = CMAN_INSTANCE_UNKNOWN;         /* no market: not ours to act on */
		o->cordoned = in->cordoned;
		o->instance_type = in->type;
		o->az = in->az;
		/* A market outside the group's zones weighs 0 (Clusterman). */
		o->weight = in_zones(&g->d, in->az) ? in->weight : 0;
		o->launch_time = in->launch;
		o->spot = false;
	}
	return 0;
}

int cman_aws_asg_refresh(struct cman_aws_asg *g, struct cman_error *err)
{
	struct desc d;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = describe_group(g, &d, err);
	if (!rc)
		rc = describe_instances(g, &d, err);
	if (!rc) {
		desc_release(&g->d);
		g->d = d;
		g->n_failed = 0;
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
			cman_error_set(&g->refresh_err, rc, "auto scaling group %s: refresh failed",
				       g->base.id);
	}
	return rc;
}

/* The last refresh's failure, repeated (resource_group.h); 0 after a good one. */
static int described_or_fail(const struct cman_aws_asg *g, struct cman_error *err)
{
	if (!g->refresh_rc)
		return 0;
	if (err)
		*err = g->refresh_err;
	return g->refresh_rc;
}

/* ---- the resource-group interface ------------------------------------------- */

static bool asg_is_stale(const struct cman_resource_group *rg)
{
	const struct cman_aws_asg *g = (const struct cman_aws_asg *)rg;

	return !g->d.exists || g->d.deleting;
}

static int asg_target(const struct cman_resource_group *rg, double *out,
		      struct cman_error *err)
{
	const struct cman_aws_asg *g = (const struct cman_aws_asg *)rg;
	int rc = described_or_fail(g, err);

	*out = rc || asg_is_stale(rg) ? 0 : fmax(0, g->d.desired - stale_capacity(&g->d));
	return rc;
}

static int asg_fulfilled(const struct cman_resource_group *rg, double *out,
			 struct cman_error *err)
{
	const struct cman_aws_asg *g = (const struct cman_aws_asg *)rg;
	int rc = described_or_fail(g, err);

	*out = rc ? 0 : counted_capacity(&g->d);
	return rc;
}

static int asg_instances(struct cman_resource_group *rg, const struct cman_rg_instance **out,
			 size_t *n, struct cman_error *err)
{
	struct cman_aws_asg *g = (struct cman_aws_asg *)rg;
	int rc = described_or_fail(g, err);

	*out = rc ? NULL : g->running;
	*n = rc ? 0 : g->n_running;
	return rc;
}

static int asg_refresh(struct cman_resource_group *rg, struct cman_error *err)
{
	return cman_aws_asg_refresh((struct cman_aws_asg *)rg, err);
}

static double asg_min(const struct cman_resource_group *rg)
{
	const struct cman_aws_asg *g = (const struct cman_aws_asg *)rg;

	return fmax(0, g->d.min - stale_capacity(&g->d));
}

static double asg_max(const struct cman_resource_group *rg)
{
	const struct cman_aws_asg *g = (const struct cman_aws_asg *)rg;

	return fmax(0, g->d.max - stale_capacity(&g->d));
}

/* SetInstanceProtection(ProtectedFromScaleIn=true) for ids, 50 a call. */
static int protect(struct cman_aws_asg *g, const char **ids, size_t n, struct cman_error *err)
{
	for (size_t b = 0; b < n; b += PROTECT_BATCH) {
		struct cman_aws_params p;
		xmlDocPtr doc;
		int rc;

		cman_aws_params_init(&p, "SetInstanceProtection", AS_VERSION);
		cman_aws_params_add(&p, "AutoScalingGroupName", g->base.id);
		for (size_t i = b; i < n && i < b + PROTECT_BATCH; i++) {
			char name[40];

			snprintf(name, sizeof(name), "InstanceIds.member.%zu", i - b + 1);
			cman_aws_params_add(&p, name, ids[i]);
		}
		cman_aws_params_add(&p, "ProtectedFromScaleIn", "true");
		/* Setting a flag: resending it is harmless. */
		rc = cman_aws_query_xml(g->client, "autoscaling", &p, CMAN_AWS_IDEMPOTENT, &doc,
					NULL, err);
		cman_aws_params_release(&p);
		if (rc) {
			cman_error_prefix(err, "%s: protecting %zu instance%s from scale-in before "
					  "lowering its capacity (nothing lowered)", g->base.id,
					  n, n == 1 ? "" : "s");
			return rc;
		}
		xmlFreeDoc(doc);
		for (size_t i = b; i < n && i < b + PROTECT_BATCH; i++) {
			struct inst *in = find(&g->d, ids[i]);

			if (in)
				in->protect = true;
		}
	}
	return 0;
}

/* Scale-in with unprotected instances: refuse, or protect them first. */
static int guard_scale_in(struct cman_aws_asg *g, long desired, bool dry_run,
			  struct cman_error *err)
{
	const char **ids;
	char list[256] = "";
	size_t n = 0, used = 0;
	int rc = 0;

	if ((double)desired >= counted_capacity(&g->d))
		return 0;   /* AWS has nothing to end */
	ids = calloc(g->d.n_insts ? g->d.n_insts : 1, sizeof(*ids));
	if (!ids)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	for (size_t i = 0; i < g->d.n_insts; i++) {
		const struct inst *in = &g->d.insts[i];

		if (counts(in) && !in->protect) {
			ids[n++] = in->id;
			if (used < sizeof(list))
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
							 n > 1 ? ", " : "", in->id);
		}
	}
	if (n == 0)
		goto out;
	if (g->protection == CMAN_ASG_PROTECT_REFUSE)
		rc = cman_error_set(err, CMAN_EREJECTED,
				    "%s: not lowering DesiredCapacity to %ld: %zu instance%s not "
				    "protected from scale-in (%s), so AWS would choose which "
				    "to terminate; protect them (and set "
				    "NewInstancesProtectedFromScaleIn) or let clusterman protect "
				    "them (scale_in_protection: protect in the pool file's asg "
				    "entry)", g->base.id, desired, n,
				    n == 1 ? " is" : "s are", list);
	else if (!dry_run)
		rc = protect(g, ids, n, err);
out:
	free(ids);
	return rc;
}

static int asg_modify(struct cman_resource_group *rg, double target, bool dry_run,
		      struct cman_error *err)
{
	struct cman_aws_asg *g = (struct cman_aws_asg *)rg;
	struct cman_aws_params p;
	xmlDocPtr doc;
	double stale;
	long desired;
	int rc;

	g->note[0] = '\0';
	if (!isfinite(target) || target < 0 || target > 1e9)
		return cman_error_set(err, CMAN_EINVAL, "%s: target %g out of range", rg->id, target);
	if (asg_is_stale(rg))
		return 0;
	stale = stale_capacity(&g->d);
	desired = (long)target + (long)stale;
	if (desired < (long)g->d.min || desired > (long)g->d.max) {
		long c = desired < (long)g->d.min ? (long)g->d.min : (long)g->d.max;

		snprintf(g->note, sizeof(g->note), "desired capacity %ld (target %ld + stale %ld) "
			 "clamped to %ld (MinSize %.0f, MaxSize %.0f)", desired, (long)target,
			 (long)stale, c, g->d.min, g->d.max);
		fprintf(stderr, "warning: %s: %s\n", rg->id, g->note);
		desired = c;
	}
	if ((double)desired == g->d.desired)
		return 0;
	if ((rc = guard_scale_in(g, desired, dry_run, err)) != 0)
		return rc;
	if (dry_run)
		return 0;
	cman_aws_params_init(&p, "SetDesiredCapacity", AS_VERSION);
	cman_aws_params_add(&p, "AutoScalingGroupName", rg->id);
	cman_aws_params_addf(&p, "DesiredCapacity", "%ld", desired);
	cman_aws_params_add(&p, "HonorCooldown", "false");
	/* Setting a number: resending it after a timeout is harmless. */
	rc = cman_aws_query_xml(g->client, "autoscaling", &p, CMAN_AWS_IDEMPOTENT, &doc, NULL,
				err);
	cman_aws_params_release(&p);
	if (rc) {
		cman_error_prefix(err, "%s: SetDesiredCapacity %ld", rg->id, desired);
		return rc;
	}
	xmlFreeDoc(doc);
	g->d.desired = (double)desired;
	return 0;
}

static int add_failed(struct cman_aws_asg *g, const char *id)
{
	if (cman_grow((void **)&g->failed, &g->failed_cap, g->n_failed + 1, sizeof(*g->failed)))
		return CMAN_ENOMEM;
	g->failed[g->n_failed++] = id;
	return 0;
}

/* One TerminateInstanceInAutoScalingGroup; the activity must name the id. */
static int terminate_one(struct cman_aws_asg *g, struct inst *in, struct cman_error *err)
{
	struct cman_aws_params p;
	xmlDocPtr doc;
	char status[64] = "";
	int rc;

	cman_aws_params_init(&p, "TerminateInstanceInAutoScalingGroup", AS_VERSION);
	cman_aws_params_add(&p, "InstanceId", in->id);
	cman_aws_params_add(&p, "ShouldDecrementDesiredCapacity", "false");
	/* Not idempotent: never resent after a timeout or a 5xx. */
	rc = cman_aws_query_xml(g->client, "autoscaling", &p, 0, &doc, NULL, err);
	cman_aws_params_release(&p);
	if (rc)
		return rc;
	if (!cman_xml_find(xmlDocGetRootElement(doc), "TerminateInstanceInAutoScalingGroupResult"))
		rc = cman_error_set(err, CMAN_ETRANSIENT, "TerminateInstanceInAutoScalingGroup %s: "
				    "the answer has no result", in->id);
	cman_xml_path_text(cman_xml_find(xmlDocGetRootElement(doc), "Activity"), "StatusCode",
			   status, sizeof(status));
	xmlFreeDoc(doc);
	if (!rc && (!strcmp(status, "Failed") || !strcmp(status, "Cancelled")))
		rc = cman_error_set(err, CMAN_EREJECTED, "TerminateInstanceInAutoScalingGroup "
				    "%s: the activity is %s", in->id, status);
	if (!rc)
		snprintf(in->lifecycle, sizeof(in->lifecycle), "Terminating");
	return rc;
}

static int asg_terminate(struct cman_resource_group *rg, const char *const *ids, size_t n,
			 bool dry_run, size_t *n_done, bool *failed, struct cman_error *err)
{
	struct cman_aws_asg *g = (struct cman_aws_asg *)rg;
	struct inst **mine;
	size_t k = 0, done = 0;
	int rc = 0, first_rc = 0;
	struct cman_error first;

	if (n_done)
		*n_done = 0;
	g->n_failed = 0;
	if ((rc = described_or_fail(g, err)) != 0) {
		for (size_t i = 0; failed && i < n; i++)
			failed[i] = true;
		return rc;
	}
	first.msg[0] = '\0';
	mine = calloc(n ? n : 1, sizeof(*mine));
	if (!mine)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct inst *in = find(&g->d, ids[i]);
		bool dup = false;

		for (size_t j = 0; in && j < k; j++)
			dup |= mine[j] == in;
		/* Only the group's own machines, once, and not those already ending. */
		if (in && !dup && !ending(in))
			mine[k++] = in;
	}
	if (dry_run) {
		done = k;
		goto out;
	}
	for (size_t i = 0; i < k; i++) {
		struct cman_error e;

		if (first_rc && first_rc != CMAN_EREJECTED) {
			/* Throttled, timed out or dropped: the rest are not tried. */
			if (add_failed(g, mine[i]->id)) {
				rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
				goto out;
			}
			continue;
		}
		rc = terminate_one(g, mine[i], &e);
		if (!rc) {
			done++;
			continue;
		}
		if (add_failed(g, mine[i]->id)) {
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
			goto out;
		}
		if (!first_rc || (first_rc == CMAN_EREJECTED && rc != CMAN_EREJECTED)) {
			first_rc = rc;
			first = e;
		}
	}
	rc = 0;
	if (g->n_failed) {
		rc = done ? CMAN_EPARTIAL : first_rc;
		cman_error_set(err, rc, "%s: %zu of %zu terminations failed (first: %s)", rg->id,
			       g->n_failed, k, first.msg);
	}
	{
		struct cman_error ignored;

		publish(g, &ignored);
	}
out:
	/* which ids failed, as the interface reports them (a flag per id) */
	for (size_t i = 0; failed && i < n; i++)
		for (size_t j = 0; j < g->n_failed; j++)
			if (!strcmp(ids[i], g->failed[j]))
				failed[i] = true;
	free(mine);
	if (n_done)
		*n_done = done;
	return rc;
}

static const struct cman_rg_ops asg_ops = {
	.kind = "aws_auto_scaling_group",
	.refresh = asg_refresh,
	.target_capacity = asg_target,
	.fulfilled_capacity = asg_fulfilled,
	.instances = asg_instances,
	.modify_target = asg_modify,
	.terminate = asg_terminate,
	.is_stale = asg_is_stale,
	.min_capacity = asg_min,
	.max_capacity = asg_max,
};

int cman_aws_asg_mark_stale(struct cman_aws_asg *g, bool dry_run, size_t *n_done,
			    struct cman_error *err)
{
	size_t done = 0;
	int rc = 0;

	if (n_done)
		*n_done = 0;
	if (dry_run) {
		done = g->d.n_insts;
		goto out;
	}
	for (size_t b = 0; b < g->d.n_insts && !rc; b += TAG_BATCH) {
		struct cman_aws_params p;
		xmlDocPtr doc;

		cman_aws_params_init(&p, "CreateTags", EC2_VERSION);
		for (size_t i = b; i < g->d.n_insts && i < b + TAG_BATCH; i++) {
			char name[32];

			snprintf(name, sizeof(name), "ResourceId.%zu", i - b + 1);
			cman_aws_params_add(&p, name, g->d.insts[i].id);
		}
		cman_aws_params_add(&p, "Tag.1.Key", STALE_KEY);
		cman_aws_params_add(&p, "Tag.1.Value", STALE_VALUE);
		/* Setting a tag: resending it is harmless. */
		rc = cman_aws_query_xml(g->client, "ec2", &p, CMAN_AWS_IDEMPOTENT, &doc, NULL, err);
		cman_aws_params_release(&p);
		if (rc) {
			cman_error_prefix(err, "%s: marking instances stale (%zu of %zu done)",
					  g->base.id, done, g->d.n_insts);
			if (done)
				rc = CMAN_EPARTIAL;
			break;
		}
		xmlFreeDoc(doc);
		for (size_t i = b; i < g->d.n_insts && i < b + TAG_BATCH; i++, done++)
			g->d.insts[i].stale = true;
	}
out:
	if (n_done)
		*n_done = done;
	return rc;
}

int cman_aws_asg_new(struct cman_aws_client *client, const char *name,
		     enum cman_asg_protection protection, struct cman_aws_asg **out,
		     struct cman_error *err)
{
	struct cman_aws_asg *g;

	*out = NULL;
	/* AWS allows names of 1 to 255 characters; none is cut */
	if (!name[0] || strlen(name) > 255)
		return cman_error_set(err, CMAN_EINVAL, "auto scaling group name \"%.64s...\": "
				      "expected 1 to 255 characters", name);
	g = calloc(1, sizeof(*g));
	if (!g || !(g->name = strdup(name))) {
		free(g);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	g->base.ops = &asg_ops;
	g->base.id = g->name;
	g->refresh_rc = cman_error_set(&g->refresh_err, CMAN_EINVAL, "auto scaling group %s: "
				       "not described yet (refresh it first)", name);
	g->client = client;
	g->protection = protection;
	*out = g;
	return 0;
}

enum cman_asg_protection cman_aws_asg_protection(const struct cman_discovery *entry)
{
	return entry && entry->kind == CMAN_DISCOVER_ASG &&
	       entry->protection == CMAN_SCALE_IN_PROTECT ? CMAN_ASG_PROTECT_SET
							  : CMAN_ASG_PROTECT_REFUSE;
}

void cman_aws_asg_free(struct cman_aws_asg *g)
{
	if (!g)
		return;
	desc_release(&g->d);
	free(g->running);
	free(g->failed);
	free(g->name);
	free(g);
}

struct cman_resource_group *cman_aws_asg_group(struct cman_aws_asg *g)
{
	return &g->base;
}

const char *cman_aws_asg_status(const struct cman_aws_asg *g)
{
	if (!g->d.exists)
		return "gone";
	if (g->d.deleting)
		return "deleting";
	for (size_t i = 0; i < g->d.n_insts; i++)
		if (g->d.insts[i].stale)
			return "rolling";
	return "active";
}

double cman_aws_asg_desired(const struct cman_aws_asg *g)
{
	return g->d.desired;
}

double cman_aws_asg_stale_capacity(const struct cman_aws_asg *g)
{
	return stale_capacity(&g->d);
}

bool cman_aws_asg_protects_new(const struct cman_aws_asg *g)
{
	return g->d.protects_new;
}

size_t cman_aws_asg_unprotected(const struct cman_aws_asg *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->d.n_insts; i++)
		n += counts(&g->d.insts[i]) && !g->d.insts[i].protect;
	return n;
}

const char *cman_aws_asg_instance_ip(const struct cman_aws_asg *g, const char *id)
{
	const struct inst *in = find(&g->d, id);

	return in ? in->ip : NULL;
}

bool cman_aws_asg_instance_stale(const struct cman_aws_asg *g, const char *id)
{
	const struct inst *in = find(&g->d, id);

	return in && in->stale;
}

size_t cman_aws_asg_failed(const struct cman_aws_asg *g, const char *const **out)
{
	*out = g->failed;
	return g->n_failed;
}

const char *cman_aws_asg_note(const struct cman_aws_asg *g)
{
	return g->note;
}
