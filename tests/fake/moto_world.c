/*
 * moto_world.c - setting moto_server up for the live tests (see moto_world.h).
 */
#include "moto_world.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cman/live/xml.h"

#define EC2 "2016-11-15"
#define AS "2011-01-01"

void moto_test_env(const char *secret)
{
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
	setenv("AWS_REGION", "us-west-2", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_ENDPOINT_URL");
}

struct cman_aws_client *moto_client(const char *url, long timeout_ms)
{
	struct cman_aws_config c;
	struct cman_aws_client *out = NULL;
	struct cman_error err;

	cman_aws_config_init(&c);
	snprintf(c.region, sizeof(c.region), "us-west-2");
	snprintf(c.endpoint_url, sizeof(c.endpoint_url), "%s", url);
	c.timeout_ms = timeout_ms;
	if (cman_aws_client_new(&c, &out, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	return out;
}

void moto_call(struct cman_aws_client *c, const char *svc, struct cman_aws_params *p,
	       const char *find, char *out, size_t n)
{
	struct cman_error err;
	xmlDocPtr doc;
	int rc = cman_aws_query_xml(c, svc, p, 0, &doc, NULL, &err);

	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	if (find)
		assert_true(cman_xml_text(cman_xml_find(xmlDocGetRootElement(doc), find), out, n) > 0);
	xmlFreeDoc(doc);
	cman_aws_params_release(p);
}

void moto_world_subnet(struct moto_world *w, int net, int k, const char *az, char *id,
		       size_t n)
{
	struct cman_aws_params p;

	cman_aws_params_init(&p, "CreateSubnet", EC2);
	cman_aws_params_add(&p, "VpcId", w->vpc);
	cman_aws_params_addf(&p, "CidrBlock", "10.%d.%d.0/24", net, k);
	cman_aws_params_add(&p, "AvailabilityZone", az);
	moto_call(w->client, "ec2", &p, "subnetId", id, n);
}

void moto_world_init(struct moto_world *w, struct cman_aws_client *c, int net,
		     const char *template_name, const char *tag_key, int group_max_size)
{
	struct cman_aws_params p;

	memset(w, 0, sizeof(*w));
	w->client = c;
	w->tag_key = tag_key;
	w->template_name = template_name;
	w->group_max_size = group_max_size;
	cman_aws_params_init(&p, "CreateVpc", EC2);
	cman_aws_params_addf(&p, "CidrBlock", "10.%d.0.0/16", net);
	moto_call(c, "ec2", &p, "vpcId", w->vpc, sizeof(w->vpc));
	moto_world_subnet(w, net, 1, "us-west-2a", w->subnet, sizeof(w->subnet));
	cman_aws_params_init(&p, "CreateLaunchTemplate", EC2);
	cman_aws_params_add(&p, "LaunchTemplateName", template_name);
	cman_aws_params_add(&p, "LaunchTemplateData.ImageId", "ami-12c6146b");
	cman_aws_params_add(&p, "LaunchTemplateData.InstanceType", "m5.large");
	moto_call(c, "ec2", &p, NULL, NULL, 0);
}

void moto_make_fleet(const struct moto_world *w, const char *subnet, const char *tag_value,
		     int target, char *id, size_t n)
{
	struct cman_aws_params p;

	cman_aws_params_init(&p, "RequestSpotFleet", EC2);
	cman_aws_params_add(&p, "SpotFleetRequestConfig.IamFleetRole",
			    "arn:aws:iam::123456789012:role/fleet");
	cman_aws_params_addf(&p, "SpotFleetRequestConfig.TargetCapacity", "%d", target);
	cman_aws_params_add(&p, "SpotFleetRequestConfig.AllocationStrategy", "diversified");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.SpotPrice", "0.5");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1.ImageId",
			    "ami-12c6146b");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1.InstanceType",
			    "m5.large");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1.SubnetId",
			    subnet ? subnet : w->subnet);
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1."
			    "TagSpecificationSet.1.ResourceType", "instance");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1."
			    "TagSpecificationSet.1.Tag.1.Key", w->tag_key);
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1."
			    "TagSpecificationSet.1.Tag.1.Value", tag_value);
	moto_call(w->client, "ec2", &p, "spotFleetRequestId", id, n);
}

void moto_make_group(const struct moto_world *w, const char *name, const char *subnet,
		     const char *tag_value, int desired, unsigned flags)
{
	struct cman_aws_params p;

	cman_aws_params_init(&p, "CreateAutoScalingGroup", AS);
	cman_aws_params_add(&p, "AutoScalingGroupName", name);
	cman_aws_params_add(&p, "LaunchTemplate.LaunchTemplateName", w->template_name);
	if (flags & MOTO_GROUP_PROPAGATE)
		cman_aws_params_add(&p, "LaunchTemplate.Version", "$Default");
	cman_aws_params_add(&p, "MinSize", "0");
	cman_aws_params_addf(&p, "MaxSize", "%d", w->group_max_size);
	cman_aws_params_addf(&p, "DesiredCapacity", "%d", desired);
	cman_aws_params_add(&p, "VPCZoneIdentifier", subnet ? subnet : w->subnet);
	if (flags & MOTO_GROUP_PROTECTED)
		cman_aws_params_add(&p, "NewInstancesProtectedFromScaleIn", "true");
	cman_aws_params_add(&p, "Tags.member.1.Key", w->tag_key);
	cman_aws_params_add(&p, "Tags.member.1.Value", tag_value);
	if (flags & MOTO_GROUP_PROPAGATE)
		cman_aws_params_add(&p, "Tags.member.1.PropagateAtLaunch", "true");
	moto_call(w->client, "autoscaling", &p, NULL, NULL, 0);
}

/* The number in the first element field of svc's action describing the one
 * resource id (given as the parameter param). */
static int describe_one(struct cman_aws_client *c, const char *svc, const char *action,
			const char *version, const char *param, const char *id,
			const char *field)
{
	struct cman_aws_params p;
	char v[32];

	cman_aws_params_init(&p, action, version);
	cman_aws_params_add(&p, param, id);
	moto_call(c, svc, &p, field, v, sizeof(v));
	return atoi(v);
}

int moto_group_desired(struct cman_aws_client *c, const char *name)
{
	return describe_one(c, "autoscaling", "DescribeAutoScalingGroups", AS,
			    "AutoScalingGroupNames.member.1", name, "DesiredCapacity");
}

int moto_fleet_target(struct cman_aws_client *c, const char *id)
{
	return describe_one(c, "ec2", "DescribeSpotFleetRequests", EC2, "SpotFleetRequestId.1",
			    id, "targetCapacity");
}
