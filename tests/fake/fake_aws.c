/*
 * fake_aws.c - an in-process stateful fake of EC2 Spot Fleet and Auto
 * Scaling's Query APIs (see fake_aws.h).
 */
#include "fake_aws.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "mesos_master.h"

#define MAX_SUBNETS 8
#define MAX_FLEETS 8
#define MAX_GROUPS 8
#define GROUP_BASE MAX_FLEETS        /* owner index of group 0 */
#define NO_OWNER (-1)
#define LAUNCH_EPOCH 1699920000LL    /* 2023-11-14T00:00:00Z */
#define EC2_NS "http://ec2.amazonaws.com/doc/2016-11-15/"
#define AS_NS "http://autoscaling.amazonaws.com/doc/2011-01-01/"

struct subnet {
	char id[32], az[32], vpc[32];
	unsigned long ips;               /* addresses handed out */
};

struct fleet {
	char id[64], type[32];
	double weight;
	int subnet;
	char tag_key[128], tag_value[512];
	long target;
};

struct group {
	char name[256], type[32];
	int subnet;
	long min, max, desired;
	char tag_key[128], tag_value[512];
	bool protect_new;
};

struct machine {
	unsigned long num;               /* launch order, from 1 */
	char id[24], ip[16], type[32];
	int subnet, owner;
	double weight;
	bool protect;                    /* group machines: from scale-in */
};

/* An error answer. */
struct fault {
	int status;
	char code[64], msg[512];
};

struct params {
	char *buf;                       /* the decoded body, cut into pairs */
	const char **k, **v;
	size_t n;
};

struct fake_aws;
typedef int (*action_fn)(struct fake_aws *fa, const struct params *ps, FILE *out,
			 struct fault *f);

struct fake_aws {
	pthread_mutex_t mu;
	char region[32];
	struct subnet subnets[MAX_SUBNETS];
	size_t n_subnets;
	struct fleet fleets[MAX_FLEETS];
	size_t n_fleets;
	struct group groups[MAX_GROUPS];
	size_t n_groups;
	struct machine *m;               /* running, in launch order */
	size_t n_m, cap_m;
	signed char *owner_of;           /* by num - 1, for every machine launched */
	size_t owner_cap;
	unsigned long next_num, launched, terminated, calls, errors, requests;
	unsigned long *counts;           /* per entry of actions[] */
	bool changed;                    /* machines launched or terminated */
	fake_aws_call_fn on_call;
	void *call_ctx;
	fake_aws_change_fn on_change;
	void *change_ctx;
	struct fake_mesos *fm;           /* fake_aws_join_mesos */
	char mesos_pool[128];
	double mesos_cpus, mesos_mem;
};

/* ---- small helpers ------------------------------------------------------------- */

static int fail(struct fault *f, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct fault *f, int status, const char *code, const char *fmt, ...)
{
	va_list ap;

	f->status = status;
	snprintf(f->code, sizeof(f->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* s with &, <, >, " escaped for XML text. */
static void xput(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

static void el(FILE *out, const char *name, const char *text)
{
	fprintf(out, "<%s>", name);
	xput(out, text);
	fprintf(out, "</%s>", name);
}

static void launch_time(unsigned long num, char *buf, size_t n)
{
	time_t t = (time_t)(LAUNCH_EPOCH + (long long)num);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* A whole number in [lo, hi] from text: 0, or -1. */
static int whole(const char *text, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!text || !*text)
		return -1;
	v = strtol(text, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* ---- the request's parameters (application/x-www-form-urlencoded) ------------- */

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* Decode s in place ('+' is a space, %XX a byte). */
static void url_decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '+') {
			*o++ = ' ';
		} else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static int params_parse(const char *body, size_t len, struct params *ps)
{
	size_t cap = 1;
	char *p, *save = NULL;

	memset(ps, 0, sizeof(*ps));
	if (!(ps->buf = malloc(len + 1)))
		return -1;
	memcpy(ps->buf, body, len);
	ps->buf[len] = '\0';
	for (p = ps->buf; *p; p++)
		cap += *p == '&';
	ps->k = calloc(cap, sizeof(*ps->k));
	ps->v = calloc(cap, sizeof(*ps->v));
	if (!ps->k || !ps->v)
		return -1;
	for (p = strtok_r(ps->buf, "&", &save); p; p = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(p, '=');

		if (eq)
			*eq++ = '\0';
		url_decode(p);
		if (eq)
			url_decode(eq);
		ps->k[ps->n] = p;
		ps->v[ps->n++] = eq ? eq : "";
	}
	return 0;
}

static void params_free(struct params *ps)
{
	free(ps->buf);
	free(ps->k);
	free(ps->v);
}

static const char *param(const struct params *ps, const char *key)
{
	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->k[i], key))
			return ps->v[i];
	return NULL;
}

/* The value of "PREFIX<i>SUFFIX" (i from 1), NULL past the last. */
static const char *param_n(const struct params *ps, const char *prefix, size_t i,
			   const char *suffix)
{
	char key[160];

	snprintf(key, sizeof(key), "%s%zu%s", prefix, i, suffix);
	return param(ps, key);
}

/* ---- the world ----------------------------------------------------------------- */

static int find_subnet(const struct fake_aws *fa, const char *id)
{
	for (size_t i = 0; i < fa->n_subnets; i++)
		if (!strcmp(fa->subnets[i].id, id))
			return (int)i;
	return -1;
}

static struct fleet *find_fleet(struct fake_aws *fa, const char *id)
{
	for (size_t i = 0; i < fa->n_fleets; i++)
		if (!strcmp(fa->fleets[i].id, id))
			return &fa->fleets[i];
	return NULL;
}

static struct group *find_group(struct fake_aws *fa, const char *name)
{
	for (size_t i = 0; i < fa->n_groups; i++)
		if (!strcmp(fa->groups[i].name, name))
			return &fa->groups[i];
	return NULL;
}

static struct machine *find_machine(struct fake_aws *fa, const char *id)
{
	for (size_t i = 0; i < fa->n_m; i++)
		if (!strcmp(fa->m[i].id, id))
			return &fa->m[i];
	return NULL;
}

static int fleet_index(const struct fake_aws *fa, const struct fleet *fl)
{
	return (int)(fl - fa->fleets);
}

static int group_owner(const struct fake_aws *fa, const struct group *g)
{
	return GROUP_BASE + (int)(g - fa->groups);
}

static const char *owner_name(const struct fake_aws *fa, int owner)
{
	if (owner >= 0 && owner < GROUP_BASE)
		return fa->fleets[owner].id;
	if (owner >= GROUP_BASE)
		return fa->groups[owner - GROUP_BASE].name;
	return NULL;
}

/* A new running machine of owner: 0, or -1 without memory. */
static int launch(struct fake_aws *fa, int owner, const char *type, int subnet, double weight,
		  bool protect)
{
	struct subnet *sn = &fa->subnets[subnet];
	struct machine *m;
	unsigned long a;

	if (fa->n_m == fa->cap_m) {
		size_t cap = fa->cap_m ? 2 * fa->cap_m : 64;
		struct machine *p = realloc(fa->m, cap * sizeof(*p));

		if (!p)
			return -1;
		fa->m = p;
		fa->cap_m = cap;
	}
	if (fa->next_num >= fa->owner_cap) {
		size_t cap = fa->owner_cap ? 2 * fa->owner_cap : 1024;
		signed char *p = realloc(fa->owner_of, cap);

		if (!p)
			return -1;
		fa->owner_of = p;
		fa->owner_cap = cap;
	}
	m = &fa->m[fa->n_m++];
	memset(m, 0, sizeof(*m));
	m->num = ++fa->next_num;
	fa->owner_of[m->num - 1] = (signed char)owner;
	snprintf(m->id, sizeof(m->id), "i-%017lx", m->num);
	/* 10.S.0.0/12 per subnet: 2^20 addresses, none handed out twice */
	a = ++sn->ips;
	snprintf(m->ip, sizeof(m->ip), "10.%lu.%lu.%lu", 16 * (unsigned long)subnet + ((a >> 16) & 15),
		 (a >> 8) & 255, a & 255);
	snprintf(m->type, sizeof(m->type), "%s", type);
	m->subnet = subnet;
	m->owner = owner;
	m->weight = weight;
	m->protect = protect;
	fa->launched++;
	fa->changed = true;
	return 0;
}

static void terminate(struct fake_aws *fa, struct machine *m)
{
	size_t i = (size_t)(m - fa->m);

	memmove(&fa->m[i], &fa->m[i + 1], (fa->n_m - i - 1) * sizeof(*fa->m));
	fa->n_m--;
	fa->terminated++;
	fa->changed = true;
}

static double fulfilled(const struct fake_aws *fa, int owner)
{
	double s = 0;

	for (size_t i = 0; i < fa->n_m; i++)
		if (fa->m[i].owner == owner)
			s += fa->m[i].weight;
	return s;
}

/* Fleets and groups launch up to their targets; groups above their
 * desired capacity end their oldest unprotected machines. */
static int settle(struct fake_aws *fa)
{
	for (size_t i = 0; i < fa->n_fleets; i++) {
		struct fleet *fl = &fa->fleets[i];

		while (fulfilled(fa, (int)i) < (double)fl->target - 1e-9)
			if (launch(fa, (int)i, fl->type, fl->subnet, fl->weight, false))
				return -1;
	}
	for (size_t i = 0; i < fa->n_groups; i++) {
		struct group *g = &fa->groups[i];
		int o = group_owner(fa, g);
		size_t j = 0;

		while (fulfilled(fa, o) < (double)g->desired)
			if (launch(fa, o, g->type, g->subnet, 1, g->protect_new))
				return -1;
		while (fulfilled(fa, o) > (double)g->desired && j < fa->n_m) {
			if (fa->m[j].owner == o && !fa->m[j].protect)
				terminate(fa, &fa->m[j]);   /* the next one moved to j */
			else
				j++;
		}
	}
	return 0;
}

/* ---- EC2 -------------------------------------------------------------------------- */

static void put_fleet(const struct fake_aws *fa, const struct fleet *fl, FILE *out)
{
	const struct subnet *sn = &fa->subnets[fl->subnet];
	char num[64];

	fputs("<item>", out);
	el(out, "spotFleetRequestId", fl->id);
	el(out, "spotFleetRequestState", "active");
	el(out, "activityStatus", "fulfilled");
	el(out, "createTime", "2023-11-13T00:00:00.000Z");
	fputs("<spotFleetRequestConfig>", out);
	el(out, "allocationStrategy", "diversified");
	el(out, "excessCapacityTerminationPolicy", "noTermination");
	snprintf(num, sizeof(num), "%.1f", fulfilled(fa, fleet_index(fa, fl)));
	el(out, "fulfilledCapacity", num);
	el(out, "iamFleetRole", "arn:aws:iam::123456789012:role/fleet");
	snprintf(num, sizeof(num), "%ld", fl->target);
	el(out, "targetCapacity", num);
	el(out, "type", "maintain");
	fputs("<launchSpecifications><item>", out);
	el(out, "imageId", "ami-12c6146b");
	el(out, "instanceType", fl->type);
	el(out, "subnetId", sn->id);
	snprintf(num, sizeof(num), "%g", fl->weight);
	el(out, "weightedCapacity", num);
	fputs("<tagSpecificationSet><item><resourceType>instance</resourceType><tag><item>", out);
	el(out, "key", fl->tag_key);
	el(out, "value", fl->tag_value);
	fputs("</item></tag></item></tagSpecificationSet>", out);
	fputs("</item></launchSpecifications></spotFleetRequestConfig></item>", out);
}

static int describe_spot_fleet_requests(struct fake_aws *fa, const struct params *ps,
					FILE *out, struct fault *f)
{
	const char *id;
	size_t i;

	for (i = 1; (id = param_n(ps, "SpotFleetRequestId.", i, "")); i++)
		if (!find_fleet(fa, id))
			return fail(f, 400, "InvalidSpotFleetRequestId.NotFound",
				    "The spot fleet request ID '%s' does not exist", id);
	fputs("<spotFleetRequestConfigSet>", out);
	if (i == 1) {
		for (size_t j = 0; j < fa->n_fleets; j++)
			put_fleet(fa, &fa->fleets[j], out);
	} else {
		for (i = 1; (id = param_n(ps, "SpotFleetRequestId.", i, "")); i++)
			put_fleet(fa, find_fleet(fa, id), out);
	}
	fputs("</spotFleetRequestConfigSet>", out);
	return 0;
}

static int describe_spot_fleet_instances(struct fake_aws *fa, const struct params *ps,
					 FILE *out, struct fault *f)
{
	const char *id = param(ps, "SpotFleetRequestId");
	struct fleet *fl;
	char sir[40];

	if (!id)
		return fail(f, 400, "MissingParameter", "The request must contain the parameter "
			    "SpotFleetRequestId");
	if (!(fl = find_fleet(fa, id)))
		return fail(f, 400, "InvalidSpotFleetRequestId.NotFound",
			    "The spot fleet request ID '%s' does not exist", id);
	el(out, "spotFleetRequestId", fl->id);
	fputs("<activeInstanceSet>", out);
	for (size_t i = 0; i < fa->n_m; i++) {
		const struct machine *m = &fa->m[i];

		if (m->owner != fleet_index(fa, fl))
			continue;
		fputs("<item>", out);
		el(out, "instanceId", m->id);
		el(out, "instanceType", m->type);
		snprintf(sir, sizeof(sir), "sir-%08lx", m->num);
		el(out, "spotInstanceRequestId", sir);
		el(out, "instanceHealth", "healthy");
		fputs("</item>", out);
	}
	fputs("</activeInstanceSet>", out);
	return 0;
}

static int modify_spot_fleet_request(struct fake_aws *fa, const struct params *ps,
				     FILE *out, struct fault *f)
{
	const char *id = param(ps, "SpotFleetRequestId"), *t = param(ps, "TargetCapacity");
	const char *pol = param(ps, "ExcessCapacityTerminationPolicy");
	struct fleet *fl;
	long target;

	if (!id)
		return fail(f, 400, "MissingParameter", "The request must contain the parameter "
			    "SpotFleetRequestId");
	if (!(fl = find_fleet(fa, id)))
		return fail(f, 400, "InvalidSpotFleetRequestId.NotFound",
			    "The spot fleet request ID '%s' does not exist", id);
	if (pol && strcasecmp(pol, "noTermination") && strcasecmp(pol, "default"))
		return fail(f, 400, "InvalidParameterValue", "Value (%s) for parameter "
			    "ExcessCapacityTerminationPolicy is invalid", pol);
	if (t && whole(t, 0, 100000, &target))
		return fail(f, 400, "InvalidParameterValue", "Value (%s) for parameter "
			    "TargetCapacity is invalid", t);
	if (t)
		fl->target = target;
	if (pol && !strcasecmp(pol, "default")) {
		int o = fleet_index(fa, fl);

		/* the newest first, while what is left still meets the target */
		for (size_t i = fa->n_m; i-- > 0;)
			if (fa->m[i].owner == o &&
			    fulfilled(fa, o) - fa->m[i].weight >= (double)fl->target - 1e-9)
				terminate(fa, &fa->m[i]);
	}
	el(out, "return", "true");
	return 0;
}

static void put_instance(const struct fake_aws *fa, const struct machine *m, FILE *out)
{
	const struct subnet *sn = &fa->subnets[m->subnet];
	char buf[64];

	fputs("<item>", out);
	snprintf(buf, sizeof(buf), "r-%017lx", m->num);
	el(out, "reservationId", buf);
	el(out, "ownerId", "123456789012");
	fputs("<groupSet/><instancesSet><item>", out);
	el(out, "instanceId", m->id);
	el(out, "imageId", "ami-12c6146b");
	fputs("<instanceState><code>16</code><name>running</name></instanceState>", out);
	snprintf(buf, sizeof(buf), "ip-%s.%s.compute.internal", m->ip, fa->region);
	for (char *p = buf + 3; *p && p < buf + 3 + strlen(m->ip); p++)
		if (*p == '.')
			*p = '-';
	el(out, "privateDnsName", buf);
	fputs("<dnsName/>", out);
	el(out, "instanceType", m->type);
	launch_time(m->num, buf, sizeof(buf));
	el(out, "launchTime", buf);
	fputs("<placement>", out);
	el(out, "availabilityZone", sn->az);
	fputs("<tenancy>default</tenancy></placement>", out);
	el(out, "subnetId", sn->id);
	el(out, "vpcId", sn->vpc);
	el(out, "privateIpAddress", m->ip);
	if (m->owner >= 0 && m->owner < GROUP_BASE)
		el(out, "instanceLifecycle", "spot");
	fputs("<tagSet><item>", out);
	if (m->owner >= 0 && m->owner < GROUP_BASE) {
		const struct fleet *fl = &fa->fleets[m->owner];

		el(out, "key", "aws:ec2spot:fleet-request-id");
		el(out, "value", fl->id);
		fputs("</item><item>", out);
		el(out, "key", fl->tag_key);
		el(out, "value", fl->tag_value);
	} else {
		const struct group *g = &fa->groups[m->owner - GROUP_BASE];

		el(out, "key", "aws:autoscaling:groupName");
		el(out, "value", g->name);
		fputs("</item><item>", out);
		el(out, "key", g->tag_key);
		el(out, "value", g->tag_value);
	}
	fputs("</item></tagSet></item></instancesSet></item>", out);
}

/* Does m pass the Filter.N filters (instance-id, instance-state-name)? */
static bool filtered(const struct params *ps, const struct machine *m)
{
	const char *name;
	bool pass = true;

	for (size_t i = 1; (name = param_n(ps, "Filter.", i, ".Name")); i++) {
		char prefix[40];
		const char *v;
		bool any = false;

		snprintf(prefix, sizeof(prefix), "Filter.%zu.Value.", i);
		for (size_t j = 1; (v = param_n(ps, prefix, j, "")); j++)
			any |= !strcmp(name, "instance-id") ? !strcmp(v, m->id)
							    : !strcmp(v, "running");
		pass &= any;
	}
	return pass;
}

static int describe_instances(struct fake_aws *fa, const struct params *ps, FILE *out,
			      struct fault *f)
{
	const char *id, *name;
	size_t n_ids;

	for (size_t i = 1; (name = param_n(ps, "Filter.", i, ".Name")); i++)
		if (strcmp(name, "instance-id") && strcmp(name, "instance-state-name"))
			return fail(f, 400, "InvalidParameterValue", "The filter '%s' is "
				    "invalid", name);
	for (n_ids = 0; (id = param_n(ps, "InstanceId.", n_ids + 1, "")); n_ids++)
		if (!find_machine(fa, id))
			return fail(f, 400, "InvalidInstanceID.NotFound", "The instance ID '%s' "
				    "does not exist", id);
	fputs("<reservationSet>", out);
	for (size_t i = 0; i < fa->n_m; i++) {
		const struct machine *m = &fa->m[i];
		bool listed = n_ids == 0;

		for (size_t j = 1; !listed && j <= n_ids; j++)
			listed = !strcmp(param_n(ps, "InstanceId.", j, ""), m->id);
		if (listed && filtered(ps, m))
			put_instance(fa, m, out);
	}
	fputs("</reservationSet>", out);
	return 0;
}

static int terminate_instances(struct fake_aws *fa, const struct params *ps, FILE *out,
			       struct fault *f)
{
	const char *id;
	size_t i;

	if (!param(ps, "InstanceId.1"))
		return fail(f, 400, "MissingParameter", "The request must contain the parameter "
			    "InstanceId");
	for (i = 1; (id = param_n(ps, "InstanceId.", i, "")); i++)
		if (!find_machine(fa, id))
			return fail(f, 400, "InvalidInstanceID.NotFound", "The instance ID '%s' "
				    "does not exist", id);
	fputs("<instancesSet>", out);
	for (i = 1; (id = param_n(ps, "InstanceId.", i, "")); i++) {
		struct machine *m = find_machine(fa, id);

		fputs("<item>", out);
		el(out, "instanceId", id);
		if (m) {
			fputs("<currentState><code>32</code><name>shutting-down</name>"
			      "</currentState><previousState><code>16</code><name>running</name>"
			      "</previousState>", out);
			terminate(fa, m);
		} else {   /* named twice: ended by its first mention */
			fputs("<currentState><code>48</code><name>terminated</name>"
			      "</currentState><previousState><code>48</code><name>terminated"
			      "</name></previousState>", out);
		}
		fputs("</item>", out);
	}
	fputs("</instancesSet>", out);
	return 0;
}

static int describe_subnets(struct fake_aws *fa, const struct params *ps, FILE *out,
			    struct fault *f)
{
	const char *id;
	size_t i;

	for (i = 1; (id = param_n(ps, "SubnetId.", i, "")); i++)
		if (find_subnet(fa, id) < 0)
			return fail(f, 400, "InvalidSubnetID.NotFound", "The subnet ID '%s' does "
				    "not exist", id);
	fputs("<subnetSet>", out);
	for (size_t j = 0; j < fa->n_subnets; j++) {
		const struct subnet *sn = &fa->subnets[j];
		bool want = i == 1;
		char cidr[32];

		for (size_t k = 1; !want && (id = param_n(ps, "SubnetId.", k, "")); k++)
			want = !strcmp(id, sn->id);
		if (!want)
			continue;
		fputs("<item>", out);
		el(out, "subnetId", sn->id);
		el(out, "state", "available");
		el(out, "vpcId", sn->vpc);
		snprintf(cidr, sizeof(cidr), "10.%zu.0.0/12", 16 * j);
		el(out, "cidrBlock", cidr);
		el(out, "availableIpAddressCount", "1048571");
		el(out, "availabilityZone", sn->az);
		el(out, "defaultForAz", "false");
		el(out, "mapPublicIpOnLaunch", "false");
		fputs("</item>", out);
	}
	fputs("</subnetSet>", out);
	return 0;
}

/* ---- Auto Scaling ----------------------------------------------------------------- */

static void put_group(const struct fake_aws *fa, const struct group *g, FILE *out)
{
	const struct subnet *sn = &fa->subnets[g->subnet];
	int o = group_owner(fa, g);
	char num[32];

	fputs("<member>", out);
	el(out, "AutoScalingGroupName", g->name);
	fputs("<AutoScalingGroupARN>arn:aws:autoscaling:", out);
	xput(out, fa->region);
	fputs(":123456789012:autoScalingGroup:1:autoScalingGroupName/", out);
	xput(out, g->name);
	fputs("</AutoScalingGroupARN>", out);
	snprintf(num, sizeof(num), "%ld", g->min);
	el(out, "MinSize", num);
	snprintf(num, sizeof(num), "%ld", g->max);
	el(out, "MaxSize", num);
	snprintf(num, sizeof(num), "%ld", g->desired);
	el(out, "DesiredCapacity", num);
	el(out, "DefaultCooldown", "300");
	fputs("<AvailabilityZones>", out);
	el(out, "member", sn->az);
	fputs("</AvailabilityZones><LoadBalancerNames/><TargetGroupARNs/>", out);
	el(out, "HealthCheckType", "EC2");
	el(out, "HealthCheckGracePeriod", "300");
	fputs("<Instances>", out);
	for (size_t i = 0; i < fa->n_m; i++) {
		const struct machine *m = &fa->m[i];

		if (m->owner != o)
			continue;
		fputs("<member>", out);
		el(out, "InstanceId", m->id);
		el(out, "InstanceType", m->type);
		el(out, "AvailabilityZone", sn->az);
		el(out, "LifecycleState", "InService");
		el(out, "HealthStatus", "Healthy");
		el(out, "ProtectedFromScaleIn", m->protect ? "true" : "false");
		fputs("</member>", out);
	}
	fputs("</Instances>", out);
	el(out, "CreatedTime", "2023-11-13T00:00:00.000Z");
	el(out, "VPCZoneIdentifier", sn->id);
	fputs("<Tags><member>", out);
	el(out, "ResourceId", g->name);
	el(out, "ResourceType", "auto-scaling-group");
	el(out, "Key", g->tag_key);
	el(out, "Value", g->tag_value);
	el(out, "PropagateAtLaunch", "true");
	fputs("</member></Tags>", out);
	el(out, "NewInstancesProtectedFromScaleIn", g->protect_new ? "true" : "false");
	fputs("</member>", out);
}

static int describe_auto_scaling_groups(struct fake_aws *fa, const struct params *ps,
					FILE *out, struct fault *f)
{
	const char *name;
	bool all = !param(ps, "AutoScalingGroupNames.member.1");

	(void)f;
	fputs("<AutoScalingGroups>", out);
	for (size_t j = 0; j < fa->n_groups; j++) {
		bool want = all;

		for (size_t i = 1; !want && (name = param_n(ps, "AutoScalingGroupNames.member.", i,
							     "")); i++)
			want = !strcmp(name, fa->groups[j].name);
		if (want)   /* a name AWS does not know is left out, no error */
			put_group(fa, &fa->groups[j], out);
	}
	fputs("</AutoScalingGroups>", out);
	return 0;
}

static int describe_tags(struct fake_aws *fa, const struct params *ps, FILE *out,
			 struct fault *f)
{
	const char *name;

	for (size_t i = 1; (name = param_n(ps, "Filters.member.", i, ".Name")); i++)
		if (strcmp(name, "auto-scaling-group") && strcmp(name, "key") &&
		    strcmp(name, "value") && strcmp(name, "propagate-at-launch"))
			return fail(f, 400, "ValidationError", "Filter type %s is not correct. "
				    "Allowed Filter types are: auto-scaling-group key value "
				    "propagate-at-launch", name);
	fputs("<Tags>", out);
	for (size_t j = 0; j < fa->n_groups; j++) {
		const struct group *g = &fa->groups[j];
		bool pass = true;

		for (size_t i = 1; (name = param_n(ps, "Filters.member.", i, ".Name")); i++) {
			const char *have = !strcmp(name, "auto-scaling-group") ? g->name
					 : !strcmp(name, "key") ? g->tag_key
					 : !strcmp(name, "value") ? g->tag_value : "true";
			char prefix[48];
			const char *v;
			bool any = false;

			snprintf(prefix, sizeof(prefix), "Filters.member.%zu.Values.member.", i);
			for (size_t k = 1; (v = param_n(ps, prefix, k, "")); k++)
				any |= !strcmp(v, have);
			pass &= any;
		}
		if (!pass)
			continue;
		fputs("<member>", out);
		el(out, "ResourceId", g->name);
		el(out, "ResourceType", "auto-scaling-group");
		el(out, "Key", g->tag_key);
		el(out, "Value", g->tag_value);
		el(out, "PropagateAtLaunch", "true");
		fputs("</member>", out);
	}
	fputs("</Tags>", out);
	return 0;
}

static int group_param(struct fake_aws *fa, const struct params *ps, struct group **g,
		       struct fault *f)
{
	const char *name = param(ps, "AutoScalingGroupName");

	if (!name)
		return fail(f, 400, "ValidationError", "1 validation error detected: Value null "
			    "at 'autoScalingGroupName' failed to satisfy constraint: Member must "
			    "not be null");
	if (!(*g = find_group(fa, name)))
		return fail(f, 400, "ValidationError", "AutoScalingGroup name not found - no "
			    "such group: %s", name);
	return 0;
}

static int set_desired_capacity(struct fake_aws *fa, const struct params *ps, FILE *out,
				struct fault *f)
{
	const char *d = param(ps, "DesiredCapacity");
	struct group *g;
	char num[32];
	long v;

	(void)out;
	if (group_param(fa, ps, &g, f))
		return -1;
	if (whole(d, 0, 1000000, &v))
		return fail(f, 400, "ValidationError", "DesiredCapacity '%s' is not a whole "
			    "number", d ? d : "(missing)");
	if (v < g->min || v > g->max) {
		snprintf(num, sizeof(num), "%ld", v < g->min ? g->min : g->max);
		f->status = 400;
		snprintf(f->code, sizeof(f->code), "ValidationError");
		snprintf(f->msg, sizeof(f->msg), "New SetDesiredCapacity value %ld is %s %s value "
			 "%s for the AutoScalingGroup.", v, v < g->min ? "below" : "above",
			 v < g->min ? "min" : "max", num);
		return -1;
	}
	g->desired = v;
	return 0;
}

static int set_instance_protection(struct fake_aws *fa, const struct params *ps,
				   FILE *out, struct fault *f)
{
	const char *p = param(ps, "ProtectedFromScaleIn"), *id;
	struct group *g;
	size_t i;

	(void)out;
	if (group_param(fa, ps, &g, f))
		return -1;
	if (!p || (strcmp(p, "true") && strcmp(p, "false")))
		return fail(f, 400, "ValidationError", "ProtectedFromScaleIn: expected true or "
			    "false, not '%s'", p ? p : "(missing)");
	for (i = 1; (id = param_n(ps, "InstanceIds.member.", i, "")); i++) {
		struct machine *m = find_machine(fa, id);

		if (!m || m->owner != group_owner(fa, g))
			return fail(f, 400, "ValidationError", "The instance %s is not part of "
				    "Auto Scaling group %s.", id, g->name);
	}
	for (i = 1; (id = param_n(ps, "InstanceIds.member.", i, "")); i++)
		find_machine(fa, id)->protect = !strcmp(p, "true");
	return 0;
}

static int terminate_instance_in_auto_scaling_group(struct fake_aws *fa,
						    const struct params *ps, FILE *out,
						    struct fault *f)
{
	const char *id = param(ps, "InstanceId"), *dec = param(ps, "ShouldDecrementDesiredCapacity");
	struct machine *m = id ? find_machine(fa, id) : NULL;
	struct group *g;
	char buf[64];

	if (!dec || (strcmp(dec, "true") && strcmp(dec, "false")))
		return fail(f, 400, "ValidationError", "ShouldDecrementDesiredCapacity: expected "
			    "true or false, not '%s'", dec ? dec : "(missing)");
	if (!m || m->owner < GROUP_BASE)
		return fail(f, 400, "ValidationError", "Instance Id not found - No managed "
			    "instance found for instance ID: %s", id ? id : "(missing)");
	g = &fa->groups[m->owner - GROUP_BASE];
	if (!strcmp(dec, "true") && g->desired - 1 < g->min) {
		snprintf(buf, sizeof(buf), "%ld", g->min);
		return fail(f, 400, "ValidationError", "Currently, desiredSize equals minSize "
			    "(%s). Terminating instance without replacement will violate group's "
			    "min size constraint.", buf);
	}
	fputs("<Activity>", out);
	snprintf(buf, sizeof(buf), "a1b2c3d4-0000-4000-8000-%012lx", m->num);
	el(out, "ActivityId", buf);
	el(out, "AutoScalingGroupName", g->name);
	fputs("<Description>Terminating EC2 instance: ", out);
	xput(out, m->id);
	fputs("</Description><Cause>At ", out);
	launch_time(m->num, buf, sizeof(buf));
	xput(out, buf);
	fputs(" instance ", out);
	xput(out, m->id);
	fputs(" was taken out of service in response to a user request.</Cause>", out);
	el(out, "StartTime", buf);
	el(out, "StatusCode", "InProgress");
	el(out, "Progress", "0");
	el(out, "Details", "{}");
	fputs("</Activity>", out);
	if (!strcmp(dec, "true"))
		g->desired--;
	terminate(fa, m);
	return 0;
}

/* ---- the route -------------------------------------------------------------------- */

static const struct action {
	const char *svc, *name;
	action_fn fn;
	bool result;                 /* autoscaling: the body goes in <NameResult> */
} actions[] = {
	{ "ec2", "DescribeSpotFleetRequests", describe_spot_fleet_requests, false },
	{ "ec2", "DescribeSpotFleetInstances", describe_spot_fleet_instances, false },
	{ "ec2", "ModifySpotFleetRequest", modify_spot_fleet_request, false },
	{ "ec2", "DescribeInstances", describe_instances, false },
	{ "ec2", "TerminateInstances", terminate_instances, false },
	{ "ec2", "DescribeSubnets", describe_subnets, false },
	{ "autoscaling", "DescribeAutoScalingGroups", describe_auto_scaling_groups, true },
	{ "autoscaling", "DescribeTags", describe_tags, true },
	{ "autoscaling", "SetDesiredCapacity", set_desired_capacity, false },
	{ "autoscaling", "SetInstanceProtection", set_instance_protection, true },
	{ "autoscaling", "TerminateInstanceInAutoScalingGroup",
	  terminate_instance_in_auto_scaling_group, true },
};
#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))

/* The service of the SigV4 credential scope (.../DATE/REGION/SERVICE/aws4_request). */
static int scope_service(const char *auth, char *svc, size_t n)
{
	const char *c = strstr(auth, "Credential="), *e, *s;

	if (strncmp(auth, "AWS4-HMAC-SHA256 ", 17) != 0 || !c ||
	    !(e = strstr(c, "/aws4_request")))
		return -1;
	for (s = e; s > c && s[-1] != '/'; s--)
		;
	if (s == c || (size_t)(e - s) >= n)
		return -1;
	snprintf(svc, n, "%.*s", (int)(e - s), s);
	return 0;
}

static char *error_body(const char *svc, const struct fault *f, unsigned long reqno)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return NULL;
	if (!strcmp(svc, "autoscaling")) {
		fputs("<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"" AS_NS "\"><Error>"
		      "<Type>Sender</Type>", out);
		el(out, "Code", f->code);
		el(out, "Message", f->msg);
		fprintf(out, "</Error><RequestId>00000000-0000-4000-8000-%012lx</RequestId>"
			"</ErrorResponse>\n", reqno);
	} else {
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>", out);
		el(out, "Code", f->code);
		el(out, "Message", f->msg);
		fprintf(out, "</Error></Errors><RequestID>00000000-0000-4000-8000-%012lx"
			"</RequestID></Response>\n", reqno);
	}
	fclose(out);
	return buf;
}

static int route(void *ctx, const struct fake_request *req, struct fake_reply *r)
{
	struct fake_aws *fa = ctx;
	const struct action *a = NULL;
	struct params ps;
	struct fault f = { 0 };
	char svc[32] = "ec2", *buf = NULL;
	const char *name = NULL;
	size_t len = 0, idx = 0;
	unsigned long reqno, n = 0;
	FILE *out = NULL;
	fake_aws_call_fn on_call;
	fake_aws_change_fn on_change;
	void *call_ctx, *change_ctx;
	bool changed = false;

	memset(&ps, 0, sizeof(ps));
	pthread_mutex_lock(&fa->mu);
	reqno = ++fa->requests;
	on_call = fa->on_call;
	call_ctx = fa->call_ctx;
	pthread_mutex_unlock(&fa->mu);
	if (strcmp(req->method, "POST") != 0 || strcmp(req->path, "/") != 0) {
		fail(&f, 400, "InvalidAction", "%s %s: this fake serves the Query API as a POST "
		     "to /", req->method, req->path);
		goto answer;
	}
	if (scope_service(req->authorization, svc, sizeof(svc))) {
		snprintf(svc, sizeof(svc), "ec2");
		fail(&f, 403, "MissingAuthenticationToken", "The request must contain a SigV4 "
		     "Authorization header (got '%.200s')", req->authorization);
		goto answer;
	}
	if (params_parse(req->body ? req->body : "", req->body_len, &ps)) {
		fail(&f, 500, "InternalError", "out of memory");
		goto answer;
	}
	name = param(&ps, "Action");
	for (idx = 0; name && idx < N_ACTIONS; idx++)
		if (!strcmp(actions[idx].svc, svc) && !strcmp(actions[idx].name, name)) {
			a = &actions[idx];
			break;
		}
	pthread_mutex_lock(&fa->mu);
	fa->calls++;
	if (a)
		n = ++fa->counts[idx];
	pthread_mutex_unlock(&fa->mu);
	if (a && on_call)
		on_call(call_ctx, a->name, n);
	if (!a) {
		fail(&f, 400, "InvalidAction", "The action %s is not valid for this web service "
		     "(%s)", name ? name : "(none)", svc);
		goto answer;
	}
	if (!(out = open_memstream(&buf, &len))) {
		fail(&f, 500, "InternalError", "out of memory");
		goto answer;
	}
	if (!strcmp(svc, "ec2"))
		fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%sResponse xmlns=\""
			EC2_NS "\"><requestId>00000000-0000-4000-8000-%012lx</requestId>",
			a->name, reqno);
	else
		fprintf(out, "<?xml version=\"1.0\"?>\n<%sResponse xmlns=\"" AS_NS "\">%s%s%s",
			a->name, a->result ? "<" : "", a->result ? a->name : "",
			a->result ? "Result>" : "");
	pthread_mutex_lock(&fa->mu);
	if (a->fn(fa, &ps, out, &f) == 0 && settle(fa))
		fail(&f, 500, "InternalError", "out of memory");
	changed = fa->changed;
	fa->changed = false;
	on_change = fa->on_change;
	change_ctx = fa->change_ctx;
	pthread_mutex_unlock(&fa->mu);
	if (!strcmp(svc, "ec2"))
		fprintf(out, "</%sResponse>\n", a->name);
	else
		fprintf(out, "%s%s%s<ResponseMetadata><RequestId>00000000-0000-4000-8000-%012lx"
			"</RequestId></ResponseMetadata></%sResponse>\n", a->result ? "</" : "",
			a->result ? a->name : "", a->result ? "Result>" : "", reqno, a->name);
	if (changed && on_change)
		on_change(change_ctx, fa);
answer:
	if (out)
		fclose(out);
	params_free(&ps);
	r->content_type = "text/xml";
	if (f.status) {
		free(buf);
		pthread_mutex_lock(&fa->mu);
		fa->errors++;
		pthread_mutex_unlock(&fa->mu);
		r->status = f.status;
		r->body_heap = error_body(svc, &f, reqno);
	} else {
		r->status = 200;
		r->body_heap = buf;
	}
	if (!r->body_heap)
		r->body = "out of memory";
	return 0;
}

/* ---- the public functions --------------------------------------------------------- */

struct fake_aws *fake_aws_new(const char *region)
{
	struct fake_aws *fa = calloc(1, sizeof(*fa));

	if (!fa || !(fa->counts = calloc(N_ACTIONS, sizeof(*fa->counts)))) {
		free(fa);
		return NULL;
	}
	pthread_mutex_init(&fa->mu, NULL);
	snprintf(fa->region, sizeof(fa->region), "%s", region);
	return fa;
}

void fake_aws_free(struct fake_aws *fa)
{
	if (!fa)
		return;
	pthread_mutex_destroy(&fa->mu);
	free(fa->m);
	free(fa->owner_of);
	free(fa->counts);
	free(fa);
}

void fake_aws_attach(struct fake_aws *fa, struct fake_http *f)
{
	fake_http_route(f, route, fa);
}

int fake_aws_add_subnet(struct fake_aws *fa, const char *az, char *id, size_t n)
{
	struct subnet *sn;

	pthread_mutex_lock(&fa->mu);
	if (fa->n_subnets == MAX_SUBNETS) {
		pthread_mutex_unlock(&fa->mu);
		return -1;
	}
	sn = &fa->subnets[fa->n_subnets];
	memset(sn, 0, sizeof(*sn));
	snprintf(sn->id, sizeof(sn->id), "subnet-%017zx", 0x5ab0000 + fa->n_subnets);
	snprintf(sn->vpc, sizeof(sn->vpc), "vpc-%017x", 0xc0ffee);
	snprintf(sn->az, sizeof(sn->az), "%s", az);
	snprintf(id, n, "%s", sn->id);
	fa->n_subnets++;
	pthread_mutex_unlock(&fa->mu);
	return 0;
}

int fake_aws_add_fleet(struct fake_aws *fa, const struct fake_aws_fleet_spec *spec, char *id,
		       size_t n)
{
	struct fleet *fl;
	int sn, rc = -1;

	pthread_mutex_lock(&fa->mu);
	sn = find_subnet(fa, spec->subnet);
	if (fa->n_fleets == MAX_FLEETS || sn < 0 || !(spec->weight > 0) || spec->target < 0)
		goto out;
	fl = &fa->fleets[fa->n_fleets];
	memset(fl, 0, sizeof(*fl));
	snprintf(fl->id, sizeof(fl->id), "sfr-5ea00000-0000-4000-8000-%012zx", fa->n_fleets + 1);
	snprintf(fl->type, sizeof(fl->type), "%s", spec->instance_type);
	fl->weight = spec->weight;
	fl->subnet = sn;
	snprintf(fl->tag_key, sizeof(fl->tag_key), "%s", spec->tag_key);
	snprintf(fl->tag_value, sizeof(fl->tag_value), "%s", spec->tag_value);
	fl->target = spec->target;
	fa->n_fleets++;
	snprintf(id, n, "%s", fl->id);
	rc = settle(fa);
out:
	fa->changed = false;
	pthread_mutex_unlock(&fa->mu);
	return rc;
}

int fake_aws_add_group(struct fake_aws *fa, const struct fake_aws_group_spec *spec)
{
	struct group *g;
	int sn, rc = -1;

	pthread_mutex_lock(&fa->mu);
	sn = find_subnet(fa, spec->subnet);
	if (fa->n_groups == MAX_GROUPS || sn < 0 || find_group(fa, spec->name) ||
	    spec->min < 0 || spec->min > spec->max || spec->desired < spec->min ||
	    spec->desired > spec->max)
		goto out;
	g = &fa->groups[fa->n_groups++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", spec->name);
	snprintf(g->type, sizeof(g->type), "%s", spec->instance_type);
	g->subnet = sn;
	g->min = spec->min;
	g->max = spec->max;
	g->desired = spec->desired;
	snprintf(g->tag_key, sizeof(g->tag_key), "%s", spec->tag_key);
	snprintf(g->tag_value, sizeof(g->tag_value), "%s", spec->tag_value);
	g->protect_new = spec->protect_new != 0;
	rc = settle(fa);
out:
	fa->changed = false;
	pthread_mutex_unlock(&fa->mu);
	return rc;
}

int fake_aws_fleet(struct fake_aws *fa, const char *id, long *target, double *ful)
{
	struct fleet *fl;

	pthread_mutex_lock(&fa->mu);
	if ((fl = find_fleet(fa, id))) {
		*target = fl->target;
		*ful = fulfilled(fa, fleet_index(fa, fl));
	}
	pthread_mutex_unlock(&fa->mu);
	return fl ? 0 : -1;
}

int fake_aws_group(struct fake_aws *fa, const char *name, long *desired, size_t *machines)
{
	struct group *g;

	pthread_mutex_lock(&fa->mu);
	if ((g = find_group(fa, name))) {
		*desired = g->desired;
		*machines = (size_t)fulfilled(fa, group_owner(fa, g));
	}
	pthread_mutex_unlock(&fa->mu);
	return g ? 0 : -1;
}

unsigned long fake_aws_calls(struct fake_aws *fa, const char *action)
{
	unsigned long n = 0;

	pthread_mutex_lock(&fa->mu);
	if (!action)
		n = fa->calls;
	for (size_t i = 0; action && i < N_ACTIONS; i++)
		if (!strcmp(actions[i].name, action))
			n = fa->counts[i];
	pthread_mutex_unlock(&fa->mu);
	return n;
}

#define COUNTER(fn, field)                                  \
	unsigned long fn(struct fake_aws *fa)               \
	{                                                   \
		unsigned long n;                            \
		pthread_mutex_lock(&fa->mu);                \
		n = fa->field;                              \
		pthread_mutex_unlock(&fa->mu);              \
		return n;                                   \
	}
COUNTER(fake_aws_errors, errors)
COUNTER(fake_aws_launched, launched)
COUNTER(fake_aws_terminated, terminated)

size_t fake_aws_running(struct fake_aws *fa)
{
	size_t n;

	pthread_mutex_lock(&fa->mu);
	n = fa->n_m;
	pthread_mutex_unlock(&fa->mu);
	return n;
}

int fake_aws_owner(struct fake_aws *fa, const char *instance_id, char *out, size_t n)
{
	unsigned long num;
	char *end;
	int rc = -1;

	if (strncmp(instance_id, "i-", 2) != 0)
		return -1;
	num = strtoul(instance_id + 2, &end, 16);
	pthread_mutex_lock(&fa->mu);
	if (!*end && num >= 1 && num <= fa->next_num) {
		snprintf(out, n, "%s", owner_name(fa, fa->owner_of[num - 1]));
		rc = 0;
	}
	pthread_mutex_unlock(&fa->mu);
	return rc;
}

void fake_aws_on_call(struct fake_aws *fa, fake_aws_call_fn fn, void *ctx)
{
	pthread_mutex_lock(&fa->mu);
	fa->on_call = fn;
	fa->call_ctx = ctx;
	pthread_mutex_unlock(&fa->mu);
}

void fake_aws_on_change(struct fake_aws *fa, fake_aws_change_fn fn, void *ctx)
{
	pthread_mutex_lock(&fa->mu);
	fa->on_change = fn;
	fa->change_ctx = ctx;
	pthread_mutex_unlock(&fa->mu);
}

char *fake_aws_mesos_slaves(struct fake_aws *fa, const char *pool, double cpus, double mem)
{
	json_t *list = json_array(), *doc;
	char *text = NULL, agent[40], pid[48];
	int bad = !list;

	pthread_mutex_lock(&fa->mu);
	for (size_t i = 0; !bad && i < fa->n_m; i++) {
		const struct machine *m = &fa->m[i];

		snprintf(agent, sizeof(agent), "agent-%s", m->id);
		snprintf(pid, sizeof(pid), "slave(1)@%s:5051", m->ip);
		bad = json_array_append_new(list, json_pack(
			"{s:s, s:s, s:s, s:b, s:{s:s}, s:{s:f, s:f, s:f, s:f}, s:{s:f, s:f, s:f, s:f}}",
			"id", agent, "pid", pid, "hostname", m->id, "active", 1,
			"attributes", "pool", pool,
			"resources", "cpus", cpus * m->weight, "mem", mem * m->weight,
			"disk", 100000.0, "gpus", 0.0,
			"used_resources", "cpus", 0.0, "mem", 0.0, "disk", 0.0, "gpus", 0.0));
	}
	pthread_mutex_unlock(&fa->mu);
	if (!bad && (doc = json_pack("{s:o}", "slaves", list))) {
		text = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
	} else {
		json_decref(list);
	}
	return text;
}

static void mesos_sync(void *ctx, struct fake_aws *fa)
{
	struct fake_mesos *fm;
	char pool[128], *text;
	double cpus, mem;

	(void)ctx;
	pthread_mutex_lock(&fa->mu);
	fm = fa->fm;
	snprintf(pool, sizeof(pool), "%s", fa->mesos_pool);
	cpus = fa->mesos_cpus;
	mem = fa->mesos_mem;
	pthread_mutex_unlock(&fa->mu);
	text = fake_aws_mesos_slaves(fa, pool, cpus, mem);
	if (text)
		fake_mesos_set_body(fm, "slaves", text);
	else
		fprintf(stderr, "fake_aws: out of memory rendering the Mesos agents\n");
	free(text);
}

void fake_aws_join_mesos(struct fake_aws *fa, struct fake_mesos *fm, const char *pool,
			 double cpus, double mem)
{
	pthread_mutex_lock(&fa->mu);
	fa->fm = fm;
	snprintf(fa->mesos_pool, sizeof(fa->mesos_pool), "%s", pool);
	fa->mesos_cpus = cpus;
	fa->mesos_mem = mem;
	pthread_mutex_unlock(&fa->mu);
	fake_aws_on_change(fa, mesos_sync, NULL);
	mesos_sync(NULL, fa);
}
