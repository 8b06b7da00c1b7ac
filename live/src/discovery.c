/*
 * discovery.c - a pool's resource groups by tag, and subnet zones (see
 * discovery.h).
 */
#include "cman/live/discovery.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cman/grow.h"
#include "cman/metrics.h"
#include "cman/live/xml.h"

/* Messages are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#define AS_VERSION "2011-01-01"
#define EC2_VERSION "2016-11-15"
#define SUBNET_BATCH 200
#define SUBNET_CACHE 32

void cman_aws_found_release(struct cman_aws_found *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->ids[i]);
	free(f->ids);
	memset(f, 0, sizeof(*f));
}

static int found_add(struct cman_aws_found *f, const char *id, struct cman_error *err)
{
	char *copy;

	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->ids[i], id))
			return 0;
	copy = strdup(id);
	if (!copy || cman_grow((void **)&f->ids, &f->cap, f->n + 1, sizeof(*f->ids))) {
		free(copy);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	f->ids[f->n++] = copy;
	return 0;
}

/* 1 when value is a JSON object naming this pool and cluster, 0 when it is
 * another pool's, -1 when it is not a JSON object. */
int cman_aws_tag_matches(const char *value, const char *cluster, const char *pool)
{
	json_t *v = json_loads(value, JSON_REJECT_DUPLICATES, NULL);
	const char *p, *c;
	int rc;

	if (!json_is_object(v)) {
		json_decref(v);
		return -1;
	}
	p = json_string_value(json_object_get(v, "pool"));
	c = json_string_value(json_object_get(v, "paasta_cluster"));
	rc = p && c && !strcmp(p, pool) && !strcmp(c, cluster);
	json_decref(v);
	return rc;
}

/* Keep id when its tag value names the pool; warn and count a bad value. */
static int consider(struct cman_aws_found *f, const char *kind, const char *id,
		    const char *key, const char *value, const char *cluster, const char *pool,
		    struct cman_error *err)
{
	int m = cman_aws_tag_matches(value, cluster, pool);

	if (m < 0) {
		fprintf(stderr, "warning: %s %s: tag %s is not a JSON object with \"pool\" and "
			"\"paasta_cluster\"; skipped\n", kind, id, key);
		f->skipped++;
		return 0;
	}
	return m ? found_add(f, id, err) : 0;
}

/* What a discovery page reader needs. */
struct disc_page {
	struct cman_aws_found *out;
	const char *tag_key, *cluster, *pool;
};

static int sfr_page(void *ctx, xmlDocPtr doc, struct cman_error *err)
{
	struct disc_page *dp = ctx;
	xmlNodePtr set = cman_xml_child(xmlDocGetRootElement(doc), "spotFleetRequestConfigSet");
	int rc = 0;

	if (!set)
		return cman_error_set(err, CMAN_ETRANSIENT, "DescribeSpotFleetRequests: the "
				      "answer has no spotFleetRequestConfigSet");
	for (xmlNodePtr it = cman_xml_child(set, "item"); it && !rc;
	     it = cman_xml_next(it, "item")) {
		char id[64], state[40];
		xmlNodePtr tags;

		cman_xml_path_text(it, "spotFleetRequestState", state, sizeof(state));
		if (!strcmp(state, "cancelled") || !strcmp(state, "cancelled_terminating"))
			continue;
		if (cman_xml_path_text(it, "spotFleetRequestId", id, sizeof(id)) >= sizeof(id) ||
		    !id[0])
			return cman_error_set(err, CMAN_ETRANSIENT, "DescribeSpotFleetRequests: "
					      "a request id that is missing or too long");
		/* LaunchSpecifications[0].TagSpecifications[0].Tags, as Clusterman. */
		tags = cman_xml_path(it, "spotFleetRequestConfig/launchSpecifications/item/"
				     "tagSpecificationSet/item/tag");
		for (xmlNodePtr t = cman_xml_child(tags, "item"); t && !rc;
		     t = cman_xml_next(t, "item")) {
			char key[256], value[4096];

			cman_xml_path_text(t, "key", key, sizeof(key));
			if (strcmp(key, dp->tag_key) != 0)
				continue;
			cman_xml_path_text(t, "value", value, sizeof(value));
			rc = consider(dp->out, "spot fleet request", id, key, value, dp->cluster,
				      dp->pool, err);
		}
	}
	return rc;
}

int cman_aws_discover_sfrs(struct cman_aws_client *c, const char *tag_key,
			   const char *cluster, const char *pool,
			   struct cman_aws_found *out, struct cman_error *err)
{
	struct disc_page dp = { out, tag_key, cluster, pool };
	struct cman_aws_params p;
	int rc;

	memset(out, 0, sizeof(*out));
	cman_aws_params_init(&p, "DescribeSpotFleetRequests", EC2_VERSION);
	rc = cman_aws_query_pages(c, "ec2", &p, CMAN_AWS_IDEMPOTENT, "nextToken",
				  "DescribeSpotFleetRequests", 0, sfr_page, &dp, err);
	cman_aws_params_release(&p);
	if (rc)
		cman_aws_found_release(out);
	return rc;
}

static int asg_tags_page(void *ctx, xmlDocPtr doc, struct cman_error *err)
{
	struct disc_page *dp = ctx;
	xmlNodePtr res = cman_xml_child(xmlDocGetRootElement(doc), "DescribeTagsResult");
	xmlNodePtr tags = cman_xml_child(res, "Tags");
	int rc = 0;

	if (!tags)
		return cman_error_set(err, CMAN_ETRANSIENT, "Auto Scaling DescribeTags: the "
				      "answer has no Tags");
	for (xmlNodePtr m = cman_xml_child(tags, "member"); m && !rc;
	     m = cman_xml_next(m, "member")) {
		char id[256], type[64], key[256], value[4096];

		cman_xml_path_text(m, "ResourceType", type, sizeof(type));
		cman_xml_path_text(m, "Key", key, sizeof(key));
		if (strcmp(type, "auto-scaling-group") != 0 || strcmp(key, dp->tag_key) != 0)
			continue;
		if (cman_xml_path_text(m, "ResourceId", id, sizeof(id)) >= sizeof(id) || !id[0])
			return cman_error_set(err, CMAN_ETRANSIENT, "Auto Scaling DescribeTags: "
					      "a group name that is missing or too long");
		cman_xml_path_text(m, "Value", value, sizeof(value));
		rc = consider(dp->out, "auto scaling group", id, key, value, dp->cluster, dp->pool,
			      err);
	}
	return rc;
}

int cman_aws_discover_asgs(struct cman_aws_client *c, const char *tag_key,
			   const char *cluster, const char *pool,
			   struct cman_aws_found *out, struct cman_error *err)
{
	struct disc_page dp = { out, tag_key, cluster, pool };
	struct cman_aws_params p;
	int rc;

	memset(out, 0, sizeof(*out));
	cman_aws_params_init(&p, "DescribeTags", AS_VERSION);
	cman_aws_params_add(&p, "Filters.member.1.Name", "key");
	cman_aws_params_add(&p, "Filters.member.1.Values.member.1", tag_key);
	rc = cman_aws_query_pages(c, "autoscaling", &p, CMAN_AWS_IDEMPOTENT,
				  "DescribeTagsResult/NextToken", "Auto Scaling DescribeTags", 0,
				  asg_tags_page, &dp, err);
	cman_aws_params_release(&p);
	if (rc)
		cman_aws_found_release(out);
	return rc;
}

/* ---- subnets ---------------------------------------------------------------- */

struct subnet_entry {
	char id[64];
	char az[CMAN_AZ_MAX];
	unsigned long used;     /* 0: empty */
};

struct cman_aws_subnets {
	struct cman_aws_client *client;
	struct subnet_entry e[SUBNET_CACHE];
	unsigned long clock;
	size_t calls;
};

int cman_aws_subnets_new(struct cman_aws_client *c, struct cman_aws_subnets **out,
			 struct cman_error *err)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	(*out)->client = c;
	return 0;
}

void cman_aws_subnets_free(struct cman_aws_subnets *s)
{
	free(s);
}

size_t cman_aws_subnets_calls(const struct cman_aws_subnets *s)
{
	return s->calls;
}

static struct subnet_entry *cached(struct cman_aws_subnets *s, const char *id)
{
	for (int i = 0; i < SUBNET_CACHE; i++)
		if (s->e[i].used && !strcmp(s->e[i].id, id)) {
			s->e[i].used = ++s->clock;
			return &s->e[i];
		}
	return NULL;
}

static void remember(struct cman_aws_subnets *s, const char *id, const char *az)
{
	struct subnet_entry *victim = &s->e[0];

	if (cached(s, id))
		return;
	for (int i = 0; i < SUBNET_CACHE; i++)
		if (s->e[i].used < victim->used)
			victim = &s->e[i];   /* empty (0) or least recently used */
	snprintf(victim->id, sizeof(victim->id), "%s", id);
	snprintf(victim->az, sizeof(victim->az), "%s", az);
	victim->used = ++s->clock;
}

static int describe_subnets(struct cman_aws_subnets *s, const char *const *ids, size_t n,
			    struct cman_error *err)
{
	struct cman_aws_params p;
	struct cman_aws_fault f;
	xmlDocPtr doc;
	xmlNodePtr set;
	int rc;

	cman_aws_params_init(&p, "DescribeSubnets", EC2_VERSION);
	for (size_t i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "SubnetId.%zu", i + 1);
		cman_aws_params_add(&p, name, ids[i]);
	}
	s->calls++;
	rc = cman_aws_query_xml(s->client, "ec2", &p, CMAN_AWS_IDEMPOTENT, &doc, &f, err);
	cman_aws_params_release(&p);
	if (rc == CMAN_EREJECTED && !strcmp(f.code, "InvalidSubnetID.NotFound"))
		return cman_error_set(err, CMAN_ENOTFOUND, "DescribeSubnets: %s", f.message);
	if (rc)
		return rc;
	set = cman_xml_child(xmlDocGetRootElement(doc), "subnetSet");
	if (!set)
		rc = cman_error_set(err, CMAN_ETRANSIENT, "DescribeSubnets: the answer has no "
				    "subnetSet");
	for (xmlNodePtr it = cman_xml_child(set, "item"); it; it = cman_xml_next(it, "item")) {
		char id[64], az[CMAN_AZ_MAX];

		if (cman_xml_path_text(it, "subnetId", id, sizeof(id)) >= sizeof(id) ||
		    cman_xml_path_text(it, "availabilityZone", az, sizeof(az)) >= sizeof(az) ||
		    !id[0] || !az[0])
			continue;
		remember(s, id, az);
	}
	xmlFreeDoc(doc);
	return rc;
}

int cman_aws_subnets_resolve(struct cman_aws_subnets *s, const char *const *ids, size_t n,
			     struct cman_error *err)
{
	const char **todo = calloc(n ? n : 1, sizeof(*todo));
	size_t k = 0;
	int rc = 0;

	if (!todo)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		for (size_t j = 0; j < k && !dup; j++)
			dup = !strcmp(todo[j], ids[i]);
		if (!dup && ids[i][0] && !cached(s, ids[i]))
			todo[k++] = ids[i];
	}
	for (size_t b = 0; b < k && !rc; b += SUBNET_BATCH)
		rc = describe_subnets(s, todo + b, k - b < SUBNET_BATCH ? k - b : SUBNET_BATCH, err);
	free(todo);
	return rc;
}

int cman_aws_subnet_az(struct cman_aws_subnets *s, const char *subnet, char *az, size_t n,
		       struct cman_error *err)
{
	struct subnet_entry *e = cached(s, subnet);
	int rc;

	if (!e) {
		if ((rc = describe_subnets(s, &subnet, 1, err)) != 0)
			return rc;
		if (!(e = cached(s, subnet)))
			return cman_error_set(err, CMAN_ENOTFOUND, "DescribeSubnets: subnet %s is "
					      "not in the answer", subnet);
	}
	snprintf(az, n, "%s", e->az);
	return 0;
}
