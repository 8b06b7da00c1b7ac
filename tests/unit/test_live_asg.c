/*
 * test_live_asg.c - the AWS Auto Scaling group resource group.
 *
 * Without an argument: against the fake, with the documented answer shapes
 * (LIVE-SPEC §10.2): what it describes, which calls a modify or a
 * termination makes (a dry run makes none), scale-in protection, and each
 * failure (throttling, 500/503, timeouts, truncated and malformed answers,
 * pages that never end), asserting from the request log that no mutating
 * call is sent twice by accident and that a failed call never reports
 * success.  With "moto": against moto_server, a group made through the API
 * (exit 77 when moto_server is absent).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cman/live/asg.h"
#include "fake_http.h"
#include "moto_world.h"
#include "servers.h"

#define SECRET "asg-secret-never-printed"
#define MINE "{\"pool\": \"default\", \"paasta_cluster\": \"c1\"}"

static struct fake_http *fake;
static struct cman_aws_client *client;

#define ASNS " xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\""
#define NS " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""

#define MEMBER(id, type, az, state, weight, prot)                                          \
	"<member><InstanceId>" id "</InstanceId><InstanceType>" type "</InstanceType>"       \
	"<AvailabilityZone>" az "</AvailabilityZone><LifecycleState>" state                 \
	"</LifecycleState><HealthStatus>Healthy</HealthStatus>" weight                     \
	"<ProtectedFromScaleIn>" prot "</ProtectedFromScaleIn></member>"

/* Page 1 holds only another group and a NextToken; page 2 holds ours. */
static const char *groups_p1 =
	"<DescribeAutoScalingGroupsResponse" ASNS "><DescribeAutoScalingGroupsResult>"
	"<AutoScalingGroups><member><AutoScalingGroupName>asg-other</AutoScalingGroupName>"
	"<MinSize>0</MinSize><MaxSize>5</MaxSize><DesiredCapacity>1</DesiredCapacity>"
	"<Instances>" MEMBER("i-8", "m5.large", "us-west-2a", "InService", "", "true")
	"</Instances></member></AutoScalingGroups><NextToken>tok2</NextToken>"
	"</DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>";

static const char *groups_p2 =
	"<DescribeAutoScalingGroupsResponse" ASNS "><DescribeAutoScalingGroupsResult>"
	"<AutoScalingGroups><member><AutoScalingGroupName>asg-a</AutoScalingGroupName>"
	"<MinSize>1</MinSize><MaxSize>20</MaxSize><DesiredCapacity>10</DesiredCapacity>"
	"<AvailabilityZones><member>us-west-2a</member><member>us-west-2b</member>"
	"</AvailabilityZones>"
	"<NewInstancesProtectedFromScaleIn>true</NewInstancesProtectedFromScaleIn><Instances>"
	MEMBER("i-1", "m5.large", "us-west-2a", "InService",
	       "<WeightedCapacity>2</WeightedCapacity>", "true")
	MEMBER("i-2", "m5.large", "us-west-2b", "InService", "", "true")
	MEMBER("i-3", "m5.xlarge", "us-west-2a", "Pending",
	       "<WeightedCapacity>2</WeightedCapacity>", "false")
	MEMBER("i-4", "m5.xlarge", "us-west-2a", "Terminating",
	       "<WeightedCapacity>2</WeightedCapacity>", "true")
	MEMBER("i-5", "m5.large", "us-west-2c", "InService", "", "false")
	"</Instances><LaunchTemplate><LaunchTemplateName>lt</LaunchTemplateName>"
	"<Version>$Default</Version></LaunchTemplate><Tags><member><ResourceId>asg-a"
	"</ResourceId><ResourceType>auto-scaling-group</ResourceType><Key>puppet:role::paasta"
	"</Key><Value>{\"pool\":\"default\",\"paasta_cluster\":\"c1\"}</Value>"
	"<PropagateAtLaunch>true</PropagateAtLaunch></member></Tags></member>"
	"</AutoScalingGroups><NextToken/></DescribeAutoScalingGroupsResult>"
	"</DescribeAutoScalingGroupsResponse>";

#define INSTANCE(id, state, ip, tags)                                                       \
	"<item><instanceId>" id "</instanceId><instanceType>m5.large</instanceType>"        \
	"<instanceState><code>16</code><name>" state "</name></instanceState>" ip           \
	"<placement><availabilityZone>us-west-2a</availabilityZone></placement>"           \
	"<launchTime>2023-10-18T12:00:00.000Z</launchTime><tagSet>" tags "</tagSet></item>"
#define TAG(k, v) "<item><key>" k "</key><value>" v "</value></item>"

static const char *instances_xml =
	"<DescribeInstancesResponse" NS "><reservationSet><item><instancesSet>"
	INSTANCE("i-1", "running", "<privateIpAddress>10.1.2.3</privateIpAddress>",
		 TAG("clusterman:is_stale", "True") TAG("is_cordoned", "true"))
	INSTANCE("i-2", "running", "<privateIpAddress>10.1.2.4</privateIpAddress>",
		 TAG("clusterman:is_stale", "true"))
	"</instancesSet></item><item><instancesSet>"
	INSTANCE("i-3", "pending", "", "")
	INSTANCE("i-4", "shutting-down", "<privateIpAddress>10.1.2.6</privateIpAddress>", "")
	INSTANCE("i-5", "running", "<privateIpAddress>10.1.2.7</privateIpAddress>", "")
	"</instancesSet></item></reservationSet></DescribeInstancesResponse>";

static const char *set_desired_ok =
	"<SetDesiredCapacityResponse" ASNS "><ResponseMetadata><RequestId>r</RequestId>"
	"</ResponseMetadata></SetDesiredCapacityResponse>";
static const char *protect_ok =
	"<SetInstanceProtectionResponse" ASNS "><SetInstanceProtectionResult/>"
	"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
	"</SetInstanceProtectionResponse>";
static const char *throttled =
	"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
	"</Message></Error><RequestId>r</RequestId></ErrorResponse>";
static const char *validation =
	"<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>New "
	"SetDesiredCapacity value 99 is above max value 20 for the AutoScalingGroup."
	"</Message></Error><RequestId>r</RequestId></ErrorResponse>";
static const char *internal =
	"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>oops"
	"</Message></Error><RequestId>r</RequestId></ErrorResponse>";

#define TERMINATED(id)                                                                      \
	"<TerminateInstanceInAutoScalingGroupResponse" ASNS                                 \
	"><TerminateInstanceInAutoScalingGroupResult><Activity><ActivityId>a</ActivityId>"  \
	"<AutoScalingGroupName>asg-a</AutoScalingGroupName><Description>Terminating EC2 "    \
	"instance: " id "</Description><StatusCode>InProgress</StatusCode></Activity>"      \
	"</TerminateInstanceInAutoScalingGroupResult></TerminateInstanceInAutoScalingGroupResponse>"

static void push(int status, const char *body)
{
	fake_http_push(fake, &(struct fake_reply){.status = status, .body = body});
}

/* The secret never shows in a message. */
static void no_secret(const struct cman_error *err)
{
	assert_null(strstr(err->msg, SECRET));
}

static struct cman_aws_asg *described(enum cman_asg_protection prot)
{
	struct cman_aws_asg *g;
	struct cman_error err;
	int rc;

	fake_http_reset(fake);
	assert_int_equal(cman_aws_asg_new(client, "asg-a", prot, &g, &err), 0);
	push(200, groups_p1);
	push(200, groups_p2);
	push(200, instances_xml);
	rc = cman_aws_asg_refresh(g, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(fake_http_count(fake), 3);
	fake_http_reset(fake);
	return g;
}

/* How many logged requests carry this action. */
static size_t count_action(const char *action)
{
	char needle[128];
	size_t n = 0;

	snprintf(needle, sizeof(needle), "Action=%s&", action);
	for (size_t i = 0; i < fake_http_count(fake); i++) {
		struct fake_request r = fake_http_request(fake, i);

		n += r.body && strstr(r.body, needle) != NULL;
		assert_null(r.body ? strstr(r.body, SECRET) : NULL);
		assert_null(strstr(r.authorization, SECRET));
	}
	return n;
}

/* The getters of the interface, which must succeed where these are used. */
static double tgt(struct cman_resource_group *rg)
{
	struct cman_error err;
	double v = -1;

	assert_int_equal(rg->ops->target_capacity(rg, &v, &err), 0);
	return v;
}

static double ful(struct cman_resource_group *rg)
{
	struct cman_error err;
	double v = -1;

	assert_int_equal(rg->ops->fulfilled_capacity(rg, &v, &err), 0);
	return v;
}

/* The running machines (the pool's to act on), in the group's order. */
static struct cman_rg_instance run_buf[64];

static size_t lst(struct cman_resource_group *rg, const struct cman_rg_instance **in)
{
	const struct cman_rg_instance *all;
	struct cman_error err;
	size_t n = 99, k = 0;

	assert_int_equal(rg->ops->instances(rg, &all, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		if (all[i].state == CMAN_INSTANCE_RUNNING) {
			assert_true(k < 64);
			run_buf[k++] = all[i];
		}
	*in = run_buf;
	return k;
}

static void test_refresh(void **state)
{
	struct cman_aws_asg *g = described(CMAN_ASG_PROTECT_REFUSE);
	struct cman_resource_group *rg = cman_aws_asg_group(g);
	const struct cman_rg_instance *in;
	size_t n;

	assert_string_equal(rg->ops->kind, "aws_auto_scaling_group");
	assert_string_equal(rg->id, "asg-a");
	assert_false(rg->ops->is_stale(rg));
	assert_string_equal(cman_aws_asg_status(g), "rolling");
	/* Counted: i-1 (2, stale), i-2 (1), i-3 (2, pending), i-5 (1); i-4 ends. */
	assert_true(ful(rg) == 6);
	assert_true(cman_aws_asg_stale_capacity(g) == 2);
	assert_true(cman_aws_asg_desired(g) == 10);
	assert_true(tgt(rg) == 10 - 2);
	assert_true(rg->ops->min_capacity(rg) == 0);       /* 1 - 2, not below 0 */
	assert_true(rg->ops->max_capacity(rg) == 20 - 2);
	assert_true(cman_aws_asg_protects_new(g));
	assert_int_equal(cman_aws_asg_unprotected(g), 2);  /* i-3, i-5 */
	/* Only "True" marks a stale instance (Clusterman's filter value). */
	assert_true(cman_aws_asg_instance_stale(g, "i-1"));
	assert_false(cman_aws_asg_instance_stale(g, "i-2"));

	/* Running machines only: i-3 is pending, i-4 shutting down. */
	n = lst(rg, &in);
	assert_int_equal(n, 3);
	assert_string_equal(in[0].id, "i-1");
	assert_string_equal(in[0].instance_type, "m5.large");
	assert_string_equal(in[0].az, "us-west-2a");
	assert_true(in[0].weight == 2);
	assert_int_equal(in[0].launch_time, 1697630400);
	assert_false(in[0].spot);
	assert_string_equal(in[1].id, "i-2");
	assert_string_equal(in[1].az, "us-west-2b");     /* Auto Scaling's zone wins */
	assert_true(in[1].weight == 1);                  /* no WeightedCapacity: 1 */
	assert_string_equal(in[2].id, "i-5");
	assert_true(in[2].weight == 0);                  /* outside the group's zones */
	assert_string_equal(cman_aws_asg_instance_ip(g, "i-2"), "10.1.2.4");
	assert_string_equal(cman_aws_asg_instance_ip(g, "i-3"), "");
	assert_null(cman_aws_asg_instance_ip(g, "i-8"));  /* the other group's */
	assert_true(in[0].cordoned);                     /* is_cordoned=true */
	assert_false(in[1].cordoned);
	assert_string_equal(in[0].ip, "10.1.2.3");

	/* Every machine is listed, in its state. */
	{
		const struct cman_rg_instance *all;
		struct cman_error err;

		assert_int_equal(rg->ops->instances(rg, &all, &n, &err), 0);
		assert_int_equal(n, 5);
		assert_string_equal(all[2].id, "i-3");
		assert_int_equal(all[2].state, CMAN_INSTANCE_PENDING);
		assert_string_equal(all[3].id, "i-4");
		assert_int_equal(all[3].state, CMAN_INSTANCE_SHUTTING_DOWN);
	}
	cman_aws_asg_free(g);

	/* The requests: two pages of groups, one DescribeInstances by filter. */
	g = NULL;
	{
		struct cman_error err;
		struct fake_request r;

		assert_int_equal(cman_aws_asg_new(client, "asg-a", CMAN_ASG_PROTECT_REFUSE, &g,
						  &err), 0);
		push(200, groups_p1);
		push(200, groups_p2);
		push(200, instances_xml);
		assert_int_equal(cman_aws_asg_refresh(g, &err), 0);
		r = fake_http_request(fake, 0);
		assert_non_null(strstr(r.body, "Action=DescribeAutoScalingGroups&Version=2011-01-01"));
		assert_non_null(strstr(r.body, "AutoScalingGroupNames.member.1=asg-a"));
		assert_null(strstr(r.body, "NextToken"));
		assert_non_null(strstr(r.authorization, "/autoscaling/aws4_request"));
		r = fake_http_request(fake, 1);
		assert_non_null(strstr(r.body, "NextToken=tok2"));
		r = fake_http_request(fake, 2);
		assert_non_null(strstr(r.body, "Action=DescribeInstances"));
		assert_non_null(strstr(r.authorization, "/ec2/aws4_request"));
		assert_non_null(strstr(r.body, "Filter.1.Name=instance-id&Filter.1.Value.1=i-1&"
					       "Filter.1.Value.2=i-2&Filter.1.Value.3=i-3&"
					       "Filter.1.Value.4=i-4&Filter.1.Value.5=i-5"));
		assert_null(strstr(r.body, "i-8"));
		count_action("DescribeInstances");
	}
	cman_aws_asg_free(g);
}

static void test_modify(void **state)
{
	struct cman_aws_asg *g = described(CMAN_ASG_PROTECT_REFUSE);
	struct cman_resource_group *rg = cman_aws_asg_group(g);
	struct cman_error err;
	struct fake_request r;

	/* A dry run calls nothing. */
	assert_int_equal(rg->ops->modify_target(rg, 12, true, &err), 0);
	assert_int_equal(fake_http_count(fake), 0);
	/* Raising: desired = int(target) + stale capacity. */
	push(200, set_desired_ok);
	assert_int_equal(rg->ops->modify_target(rg, 12.9, false, &err), 0);
	assert_int_equal(fake_http_count(fake), 1);
	r = fake_http_request(fake, 0);
	assert_non_null(strstr(r.body, "Action=SetDesiredCapacity&"));
	assert_non_null(strstr(r.body, "AutoScalingGroupName=asg-a"));
	assert_non_null(strstr(r.body, "DesiredCapacity=14&"));
	assert_non_null(strstr(r.body, "HonorCooldown=false"));
	assert_true(cman_aws_asg_desired(g) == 14);
	assert_true(tgt(rg) == 12);
	/* The same target again: nothing to call. */
	assert_int_equal(rg->ops->modify_target(rg, 12, false, &err), 0);
	assert_int_equal(fake_http_count(fake), 1);
	/* Above MaxSize: clamped, and said so. */
	push(200, set_desired_ok);
	assert_int_equal(rg->ops->modify_target(rg, 30, false, &err), 0);
	r = fake_http_request(fake, 1);
	assert_non_null(strstr(r.body, "DesiredCapacity=20&"));
	assert_non_null(strstr(cman_aws_asg_note(g), "clamped to 20"));

	/* Lowering below the counted capacity (6) with unprotected instances
	 * (i-3, i-5): refused, in a dry run too, and nothing is called. */
	fake_http_reset(fake);
	assert_int_equal(rg->ops->modify_target(rg, 2, true, &err), CMAN_EREJECTED);
	assert_int_equal(rg->ops->modify_target(rg, 2, false, &err), CMAN_EREJECTED);
	assert_non_null(strstr(err.msg, "2 instances are not protected from scale-in (i-3, i-5)"));
	assert_int_equal(fake_http_count(fake), 0);
	assert_true(cman_aws_asg_desired(g) == 20);
	/* Lowering to a capacity the instances do not exceed needs no protection. */
	push(200, set_desired_ok);
	assert_int_equal(rg->ops->modify_target(rg, 5, false, &err), 0);
	assert_non_null(strstr(fake_http_request(fake, 0).body, "DesiredCapacity=7&"));

	/* Refusals and failures are not successes, and nothing is sent twice
	 * by accident: a ValidationError is sent once. */
	fake_http_reset(fake);
	push(400, validation);
	assert_int_equal(rg->ops->modify_target(rg, 15, false, &err), CMAN_EREJECTED);
	assert_non_null(strstr(err.msg, "ValidationError"));
	assert_int_equal(fake_http_count(fake), 1);
	assert_true(cman_aws_asg_desired(g) == 7);
	/* Throttled on every attempt: retried (AWS did nothing), then failed. */
	fake_http_reset(fake);
	for (int i = 0; i < 5; i++)
		push(400, throttled);
	assert_int_equal(rg->ops->modify_target(rg, 15, false, &err), CMAN_ETHROTTLED);
	assert_int_equal(fake_http_count(fake), 5);
	assert_true(cman_aws_asg_desired(g) == 7);
	no_secret(&err);
	/* A 500 then a 503 then success: setting a number is safe to resend. */
	fake_http_reset(fake);
	push(500, internal);
	push(503, "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>");
	push(200, set_desired_ok);
	assert_int_equal(rg->ops->modify_target(rg, 15, false, &err), 0);
	assert_int_equal(count_action("SetDesiredCapacity"), 3);
	assert_true(cman_aws_asg_desired(g) == 17);
	/* A 200 whose body is cut off is not a success either (and is resent). */
	fake_http_reset(fake);
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = set_desired_ok,
						  .truncate = 1});
	push(200, "<SetDesiredCapacityResponse><ResponseMetadata>");
	assert_int_equal(rg->ops->modify_target(rg, 16, false, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "malformed XML"));
	assert_int_equal(fake_http_count(fake), 2);
	assert_true(cman_aws_asg_desired(g) == 17);
	cman_aws_asg_free(g);
}

static void test_protect(void **state)
{
	struct cman_aws_asg *g = described(CMAN_ASG_PROTECT_SET);
	struct cman_resource_group *rg = cman_aws_asg_group(g);
	struct cman_error err;
	struct fake_request r;

	/* A dry run only checks. */
	assert_int_equal(rg->ops->modify_target(rg, 2, true, &err), 0);
	assert_int_equal(fake_http_count(fake), 0);
	/* Protection fails: the capacity is not lowered. */
	push(400, "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
		  "<Message>The instance i-3 is not part of Auto Scaling group asg-a."
		  "</Message></Error></ErrorResponse>");
	assert_int_equal(rg->ops->modify_target(rg, 2, false, &err), CMAN_EREJECTED);
	assert_non_null(strstr(err.msg, "nothing lowered"));
	assert_int_equal(fake_http_count(fake), 1);
	assert_int_equal(count_action("SetDesiredCapacity"), 0);
	assert_true(cman_aws_asg_desired(g) == 10);
	assert_int_equal(cman_aws_asg_unprotected(g), 2);
	/* Protection first, then the new capacity. */
	fake_http_reset(fake);
	push(200, protect_ok);
	push(200, set_desired_ok);
	assert_int_equal(rg->ops->modify_target(rg, 2, false, &err), 0);
	assert_int_equal(fake_http_count(fake), 2);
	r = fake_http_request(fake, 0);
	assert_non_null(strstr(r.body, "Action=SetInstanceProtection&"));
	assert_non_null(strstr(r.body, "AutoScalingGroupName=asg-a&InstanceIds.member.1=i-3&"
				       "InstanceIds.member.2=i-5&ProtectedFromScaleIn=true"));
	r = fake_http_request(fake, 1);
	assert_non_null(strstr(r.body, "DesiredCapacity=4&"));
	assert_int_equal(cman_aws_asg_unprotected(g), 0);
	cman_aws_asg_free(g);
}

/* The pool file's scale_in_protection reaches the adapter: `protect`
 * protects the unprotected instances before lowering, `refuse` and no key
 * refuse the same scale-in without a call. */
static void test_policy_from_pool_file(void **state)
{
	static const char *const texts[] = {
		"resource_groups: [{asg: {tag: t, scale_in_protection: protect}}]\n",
		"resource_groups: [{asg: {tag: t, scale_in_protection: refuse}}]\n",
		"resource_groups: [{asg: {tag: t}}]\n",
	};
	char dir[] = "/tmp/cman-asg-policy-XXXXXX", path[256];
	struct cman_error err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c1", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/c1/p.mesos", dir);
	for (size_t i = 0; i < 3; i++) {
		struct cman_pool_file pf;
		struct cman_aws_asg *g;
		struct cman_resource_group *rg;
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fprintf(f, "%sscaling_limits: {min_capacity: 0, max_capacity: 9, "
			   "max_weight_to_add: 1, max_weight_to_remove: 1}\n", texts[i]);
		fclose(f);
		if (cman_pool_file_load(path, NULL, &pf, &err) != 0)
			fail_msg("%s", err.msg);
		assert_int_equal(cman_aws_asg_protection(&pf.groups[0]),
				 i == 0 ? CMAN_ASG_PROTECT_SET : CMAN_ASG_PROTECT_REFUSE);
		g = described(cman_aws_asg_protection(&pf.groups[0]));
		rg = cman_aws_asg_group(g);
		fake_http_reset(fake);
		if (i == 0) {
			push(200, protect_ok);
			push(200, set_desired_ok);
			assert_int_equal(rg->ops->modify_target(rg, 2, false, &err), 0);
			assert_int_equal(count_action("SetInstanceProtection"), 1);
			assert_int_equal(count_action("SetDesiredCapacity"), 1);
		} else {
			assert_int_equal(rg->ops->modify_target(rg, 2, false, &err), CMAN_EREJECTED);
			assert_non_null(strstr(err.msg, "scale_in_protection: protect"));
			assert_int_equal(fake_http_count(fake), 0);
		}
		cman_aws_asg_free(g);
		cman_pool_file_release(&pf);
	}
	assert_int_equal(cman_aws_asg_protection(NULL), CMAN_ASG_PROTECT_REFUSE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/c1", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_terminate(void **state)
{
	struct cman_aws_asg *g = described(CMAN_ASG_PROTECT_REFUSE);
	struct cman_resource_group *rg = cman_aws_asg_group(g);
	const char *ids[] = {"i-2", "i-9", "i-4", "i-5", "i-2", "i-1"};
	const struct cman_rg_instance *in;
	const char *const *failed;
	struct cman_error err;
	size_t done = 99;

	/* Dry run: i-9 is not the group's, i-4 is ending, i-2 is named twice. */
	assert_int_equal(rg->ops->terminate(rg, ids, 6, true, &done, NULL, &err), 0);
	assert_int_equal(done, 3);
	assert_int_equal(fake_http_count(fake), 0);

	/* i-5 is refused; the others go on, in the order given. */
	push(200, TERMINATED("i-2"));
	push(400, "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
		  "<Message>Instance Id not found - No managed instance found for instance ID "
		  "i-5</Message></Error></ErrorResponse>");
	push(200, TERMINATED("i-1"));
	{
		bool fl[6] = { false };

		assert_int_equal(rg->ops->terminate(rg, ids, 6, false, &done, fl, &err),
				 CMAN_EPARTIAL);
		/* the interface's report: only i-5 (ids[3]) failed */
		for (int i = 0; i < 6; i++)
			assert_true(fl[i] == (i == 3));
	}
	assert_int_equal(done, 2);
	assert_non_null(strstr(err.msg, "1 of 3 terminations failed"));
	assert_non_null(strstr(err.msg, "No managed instance found"));
	assert_int_equal(cman_aws_asg_failed(g, &failed), 1);
	assert_string_equal(failed[0], "i-5");
	assert_int_equal(fake_http_count(fake), 3);
	assert_non_null(strstr(fake_http_request(fake, 0).body,
			       "Action=TerminateInstanceInAutoScalingGroup&Version=2011-01-01&"
			       "InstanceId=i-2&ShouldDecrementDesiredCapacity=false"));
	assert_non_null(strstr(fake_http_request(fake, 1).body, "InstanceId=i-5&"));
	assert_non_null(strstr(fake_http_request(fake, 2).body, "InstanceId=i-1&"));
	/* Those ended are no longer the pool's running machines. */
	assert_int_equal(lst(rg, &in), 1);
	assert_string_equal(in[0].id, "i-5");
	/* Ending them again calls nothing. */
	fake_http_reset(fake);
	assert_int_equal(rg->ops->terminate(rg, ids, 1, false, &done, NULL, &err), 0);
	assert_int_equal(done, 0);
	assert_int_equal(fake_http_count(fake), 0);
	cman_aws_asg_free(g);
}

/* One fault on the first termination: how many requests, what is reported. */
static void terminate_fault(const struct fake_reply *reply, int times, int rc_want,
			    size_t calls_want)
{
	struct cman_aws_asg *g = described(CMAN_ASG_PROTECT_REFUSE);
	struct cman_resource_group *rg = cman_aws_asg_group(g);
	const char *ids[] = {"i-1", "i-2", "i-5"};
	const char *const *failed;
	struct cman_error err;
	size_t done = 99;

	for (int i = 0; i < times; i++)
		fake_http_push(fake, reply);
	assert_int_equal(rg->ops->terminate(rg, ids, 3, false, &done, NULL, &err), rc_want);
	assert_int_equal(done, 0);
	assert_int_equal(count_action("TerminateInstanceInAutoScalingGroup"), calls_want);
	/* The first was tried; the rest were not, and all three are reported. */
	assert_int_equal(cman_aws_asg_failed(g, &failed), 3);
	assert_string_equal(failed[0], "i-1");
	assert_string_equal(failed[2], "i-5");
	for (size_t i = 0; i < calls_want; i++)
		assert_non_null(strstr(fake_http_request(fake, i).body, "InstanceId=i-1&"));
	no_secret(&err);
	cman_aws_asg_free(g);
}

static void test_terminate_faults(void **state)
{
	/* A timeout: it may have been applied, so it is not resent. */
	terminate_fault(&(struct fake_reply){.status = 200, .body = TERMINATED("i-1"),
					     .delay_ms = 1500}, 1, CMAN_ETIMEOUT, 1);
	/* A 500 or a 503 without a throttling code: not resent either. */
	terminate_fault(&(struct fake_reply){.status = 500, .body = internal}, 1,
			CMAN_ETRANSIENT, 1);
	terminate_fault(&(struct fake_reply){.status = 503, .body = "<ErrorResponse><Error>"
					     "<Code>ServiceUnavailable</Code></Error>"
					     "</ErrorResponse>"}, 1, CMAN_ETRANSIENT, 1);
	/* A truncated answer: it may have been applied. */
	terminate_fault(&(struct fake_reply){.status = 200, .body = TERMINATED("i-1"),
					     .truncate = 1}, 1, CMAN_ETRANSIENT, 1);
	/* Throttled: AWS did nothing, so it is retried, up to the attempts. */
	terminate_fault(&(struct fake_reply){.status = 400, .body = throttled}, 5,
			CMAN_ETHROTTLED, 5);
	/* A 200 without a result, and a failed activity, are not successes. */
	terminate_fault(&(struct fake_reply){.status = 200, .body = "<Terminate"
					     "InstanceInAutoScalingGroupResponse/>"}, 1,
			CMAN_ETRANSIENT, 1);
}

static void test_refresh_faults(void **state)
{
	struct cman_aws_asg *g = described(CMAN_ASG_PROTECT_REFUSE);
	struct cman_resource_group *rg = cman_aws_asg_group(g);
	struct cman_error err;

	/* 500 and 503 on a describe are retried. */
	push(500, internal);
	push(503, "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>");
	push(200, groups_p2);
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = instances_xml,
						  .truncate = 1});
	push(200, instances_xml);
	assert_int_equal(cman_aws_asg_refresh(g, &err), 0);
	assert_int_equal(fake_http_count(fake), 5);
	assert_true(tgt(rg) == 8);

	/* Throttled on every attempt: the group reports it. */
	fake_http_reset(fake);
	for (int i = 0; i < 5; i++)
		push(400, throttled);
	assert_int_equal(cman_aws_asg_refresh(g, &err), CMAN_ETHROTTLED);
	assert_non_null(strstr(err.msg, "Throttling"));
	no_secret(&err);
	assert_string_equal(err.remote.provider_code, "Throttling");
	/* the getters fail with the refresh's error until one succeeds */
	{
		struct cman_error e2;
		const struct cman_rg_instance *in;
		double v;
		size_t n;

		assert_int_equal(rg->ops->target_capacity(rg, &v, &e2), CMAN_ETHROTTLED);
		assert_int_equal(rg->ops->fulfilled_capacity(rg, &v, &e2), CMAN_ETHROTTLED);
		assert_int_equal(rg->ops->instances(rg, &in, &n, &e2), CMAN_ETHROTTLED);
		assert_false(rg->ops->is_stale(rg));   /* the last good answer */
	}

	/* Malformed XML. */
	fake_http_reset(fake);
	push(200, "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>"
		  "<AutoScalingGroups><member>");
	assert_int_equal(cman_aws_asg_refresh(g, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "malformed XML"));
	/* Well-formed but without the result, or without DesiredCapacity. */
	push(200, "<DescribeAutoScalingGroupsResponse" ASNS "/>");
	assert_int_equal(cman_aws_asg_refresh(g, &err), CMAN_ETRANSIENT);
	push(200, "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>"
		  "<AutoScalingGroups><member><AutoScalingGroupName>asg-a</AutoScalingGroupName>"
		  "<MinSize>0</MinSize><MaxSize>5</MaxSize></member></AutoScalingGroups>"
		  "</DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>");
	assert_int_equal(cman_aws_asg_refresh(g, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "DesiredCapacity is missing"));
	push(200, "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>"
		  "<AutoScalingGroups><member><AutoScalingGroupName>asg-a</AutoScalingGroupName>"
		  "<MinSize>0</MinSize><MaxSize>5</MaxSize><DesiredCapacity>2x</DesiredCapacity>"
		  "</member></AutoScalingGroups></DescribeAutoScalingGroupsResult>"
		  "</DescribeAutoScalingGroupsResponse>");
	assert_int_equal(cman_aws_asg_refresh(g, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "DesiredCapacity is malformed"));
	/* A page token that repeats: refused, not followed forever. */
	fake_http_reset(fake);
	push(200, groups_p1);
	push(200, groups_p1);
	assert_int_equal(cman_aws_asg_refresh(g, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "pages do not end"));
	assert_int_equal(fake_http_count(fake), 2);
	/* The same for DescribeInstances' pages. */
	fake_http_reset(fake);
	push(200, groups_p2);
	push(200, "<DescribeInstancesResponse><reservationSet/><nextToken>x</nextToken>"
		  "</DescribeInstancesResponse>");
	push(200, "<DescribeInstancesResponse><reservationSet/><nextToken>x</nextToken>"
		  "</DescribeInstancesResponse>");
	assert_int_equal(cman_aws_asg_refresh(g, &err), CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "pages do not end"));
	{
		/* the getters fail with the refresh's error (resource_group.h) */
		struct cman_error e2;
		double v;

		assert_int_equal(rg->ops->target_capacity(rg, &v, &e2), CMAN_ETRANSIENT);
		assert_string_equal(e2.msg, err.msg);
	}

	/* A group AWS no longer knows: empty, stale, never modified. */
	fake_http_reset(fake);
	push(200, "<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult>"
		  "<AutoScalingGroups/></DescribeAutoScalingGroupsResult>"
		  "</DescribeAutoScalingGroupsResponse>");
	assert_int_equal(cman_aws_asg_refresh(g, &err), 0);
	assert_true(rg->ops->is_stale(rg));
	assert_string_equal(cman_aws_asg_status(g), "gone");
	assert_true(tgt(rg) == 0);
	{
		const struct cman_rg_instance *in;

		assert_int_equal(lst(rg, &in), 0);
	}
	fake_http_reset(fake);
	assert_int_equal(rg->ops->modify_target(rg, 5, false, &err), 0);
	assert_int_equal(fake_http_count(fake), 0);
	cman_aws_asg_free(g);
}

static void test_mark_stale(void **state)
{
	struct cman_aws_asg *g = described(CMAN_ASG_PROTECT_REFUSE);
	struct cman_error err;
	struct fake_request r;
	size_t done;

	assert_int_equal(cman_aws_asg_mark_stale(g, true, &done, &err), 0);
	assert_int_equal(done, 5);
	assert_int_equal(fake_http_count(fake), 0);
	push(200, "<CreateTagsResponse" NS "><requestId>r</requestId><return>true</return>"
		  "</CreateTagsResponse>");
	assert_int_equal(cman_aws_asg_mark_stale(g, false, &done, &err), 0);
	assert_int_equal(done, 5);
	r = fake_http_request(fake, 0);
	assert_non_null(strstr(r.body, "Action=CreateTags&"));
	assert_non_null(strstr(r.body, "ResourceId.1=i-1&ResourceId.2=i-2&ResourceId.3=i-3&"
				       "ResourceId.4=i-4&ResourceId.5=i-5&"
				       "Tag.1.Key=clusterman%3Ais_stale&Tag.1.Value=True"));
	assert_true(cman_aws_asg_instance_stale(g, "i-5"));
	cman_aws_asg_free(g);
}

static void test_names(void **state)
{
	struct cman_aws_asg *g;
	struct cman_error err;
	char longname[257];

	/* 255 characters, as AWS allows: kept whole (issue 10) */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[255] = '\0';
	assert_int_equal(cman_aws_asg_new(client, longname, CMAN_ASG_PROTECT_REFUSE, &g, &err), 0);
	assert_string_equal(cman_aws_asg_group(g)->id, longname);
	cman_aws_asg_free(g);
	/* one more: refused, never cut */
	longname[255] = 'a';
	longname[256] = '\0';
	assert_int_equal(cman_aws_asg_new(client, longname, CMAN_ASG_PROTECT_REFUSE, &g, &err),
			 CMAN_EINVAL);
	assert_null(g);
	assert_int_equal(cman_aws_asg_new(client, "", CMAN_ASG_PROTECT_REFUSE, &g, &err),
			 CMAN_EINVAL);
}

/* ---- against moto_server: a real group made through the API --------------- */

static void refresh_ok(struct cman_aws_asg *g)
{
	struct cman_error err;
	int rc = cman_aws_asg_refresh(g, &err);

	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
}

static void test_moto_group(void **state)
{
	struct cman_aws_params p;
	struct cman_aws_asg *g, *u, *us;
	struct cman_resource_group *rg, *urg;
	const struct cman_rg_instance *in;
	struct cman_error err;
	struct moto_world w;
	char subnet[64], victims[2][32];
	const char *ids[2];
	size_t n, done;

	moto_world_init(&w, client, 1, "clusterman-test", "puppet:role::paasta", 10);
	/* the subnet 10.1.2.0/24 */
	moto_world_subnet(&w, 1, 2, "us-west-2a", subnet, sizeof(subnet));
	moto_make_group(&w, "asg-protected", subnet, MINE, 3,
			MOTO_GROUP_PROTECTED | MOTO_GROUP_PROPAGATE);

	assert_int_equal(cman_aws_asg_new(client, "asg-protected", CMAN_ASG_PROTECT_REFUSE, &g,
					  &err), 0);
	rg = cman_aws_asg_group(g);
	refresh_ok(g);
	assert_false(rg->ops->is_stale(rg));
	assert_string_equal(cman_aws_asg_status(g), "active");
	assert_true(tgt(rg) == 3);
	assert_true(ful(rg) == 3);
	assert_true(rg->ops->max_capacity(rg) == 10);
	assert_true(cman_aws_asg_protects_new(g));
	assert_int_equal(cman_aws_asg_unprotected(g), 0);
	n = lst(rg, &in);
	assert_int_equal(n, 3);
	assert_string_equal(in[0].instance_type, "m5.large");
	assert_string_equal(in[0].az, "us-west-2a");
	assert_true(in[0].weight == 1);
	/* Private IPs from the subnet: agents can be matched by IP. */
	assert_memory_equal(cman_aws_asg_instance_ip(g, in[0].id), "10.1.2.", 7);

	/* Raise: the group launches. */
	assert_int_equal(rg->ops->modify_target(rg, 5, false, &err), 0);
	refresh_ok(g);
	assert_true(tgt(rg) == 5);
	assert_int_equal(lst(rg, &in), 5);
	/* Lower: protected instances stay; AWS picks no victims. */
	assert_int_equal(rg->ops->modify_target(rg, 3, false, &err), 0);
	refresh_ok(g);
	assert_true(tgt(rg) == 3);
	assert_int_equal(lst(rg, &in), 5);
	/* End two chosen machines: the desired capacity stays 3, nothing relaunches. */
	snprintf(victims[0], sizeof(victims[0]), "%s", in[1].id);
	snprintf(victims[1], sizeof(victims[1]), "%s", in[3].id);
	ids[0] = victims[0];
	ids[1] = victims[1];
	assert_int_equal(rg->ops->terminate(rg, ids, 2, false, &done, NULL, &err), 0);
	assert_int_equal(done, 2);
	refresh_ok(g);
	assert_true(cman_aws_asg_desired(g) == 3);
	n = lst(rg, &in);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_string_not_equal(in[i].id, victims[0]);
		assert_string_not_equal(in[i].id, victims[1]);
	}

	/* Tag one instance stale: it leaves the target, the group rolls. */
	cman_aws_params_init(&p, "CreateTags", "2016-11-15");
	cman_aws_params_add(&p, "ResourceId.1", in[0].id);
	cman_aws_params_add(&p, "Tag.1.Key", "clusterman:is_stale");
	cman_aws_params_add(&p, "Tag.1.Value", "True");
	moto_call(client, "ec2", &p, NULL, NULL, 0);
	refresh_ok(g);
	assert_string_equal(cman_aws_asg_status(g), "rolling");
	assert_true(cman_aws_asg_stale_capacity(g) == 1);
	assert_true(tgt(rg) == 2);
	assert_true(ful(rg) == 3);
	/* Keeping target 2 with one stale instance means desired 3: no call. */
	assert_int_equal(rg->ops->modify_target(rg, 2, false, &err), 0);
	assert_true(cman_aws_asg_desired(g) == 3);
	assert_int_equal(cman_aws_asg_mark_stale(g, false, &done, &err), 0);
	assert_int_equal(done, 3);
	refresh_ok(g);
	assert_true(cman_aws_asg_stale_capacity(g) == 3);
	assert_true(tgt(rg) == 0);

	/* A group that does not protect its instances. */
	moto_make_group(&w, "asg-open", subnet, MINE, 4, MOTO_GROUP_PROPAGATE);
	assert_int_equal(cman_aws_asg_new(client, "asg-open", CMAN_ASG_PROTECT_REFUSE, &u, &err),
			 0);
	urg = cman_aws_asg_group(u);
	refresh_ok(u);
	assert_false(cman_aws_asg_protects_new(u));
	assert_int_equal(cman_aws_asg_unprotected(u), 4);
	/* Refused: AWS would choose; nothing changed at AWS. */
	assert_int_equal(urg->ops->modify_target(urg, 2, false, &err), CMAN_EREJECTED);
	refresh_ok(u);
	assert_true(cman_aws_asg_desired(u) == 4);
	assert_int_equal(lst(urg, &in), 4);
	/* With protection set by us: all four stay, the desired capacity is 2. */
	assert_int_equal(cman_aws_asg_new(client, "asg-open", CMAN_ASG_PROTECT_SET, &us, &err), 0);
	refresh_ok(us);
	assert_int_equal(cman_aws_asg_group(us)->ops->modify_target(cman_aws_asg_group(us), 2,
								     false, &err), 0);
	refresh_ok(u);
	assert_true(cman_aws_asg_desired(u) == 2);
	assert_int_equal(cman_aws_asg_unprotected(u), 0);
	assert_int_equal(lst(urg, &in), 4);

	/* A group that does not exist. */
	{
		struct cman_aws_asg *none;

		assert_int_equal(cman_aws_asg_new(client, "asg-none", CMAN_ASG_PROTECT_REFUSE,
						  &none, &err), 0);
		refresh_ok(none);
		assert_true(cman_aws_asg_group(none)->ops->is_stale(cman_aws_asg_group(none)));
		cman_aws_asg_free(none);
	}
	cman_aws_asg_free(us);
	cman_aws_asg_free(u);
	cman_aws_asg_free(g);
}

static struct cman_aws_client *make_client(const char *url, int attempts, long timeout_ms)
{
	struct cman_aws_config cfg;
	struct cman_aws_client *c = NULL;
	struct cman_error err;

	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	setenv("AWS_ENDPOINT_URL", url, 1);
	cman_aws_config_init(&cfg);
	snprintf(cfg.region, sizeof(cfg.region), "us-west-2");
	cfg.max_attempts = attempts;
	cfg.base_delay_ms = 1;
	cfg.max_delay_ms = 5;
	cfg.timeout_ms = timeout_ms;
	cfg.seed = 11;
	if (cman_aws_client_new(&cfg, &c, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	return c;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest faked[] = {
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_modify),
		cmocka_unit_test(test_protect),
		cmocka_unit_test(test_policy_from_pool_file),
		cmocka_unit_test(test_terminate),
		cmocka_unit_test(test_terminate_faults),
		cmocka_unit_test(test_refresh_faults),
		cmocka_unit_test(test_mark_stale),
		cmocka_unit_test(test_names),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_moto_group),
	};
	struct test_server srv;
	int rc;

	if (argc < 2 || strcmp(argv[1], "moto") != 0) {
		fake = fake_http_start();
		if (!fake || !(client = make_client(fake_http_url(fake), 5, 700)))
			return 1;
		rc = cmocka_run_group_tests_name("auto scaling group (fake)", faked, NULL, NULL);
		cman_aws_client_free(client);
		fake_http_stop(fake);
		return rc;
	}
	rc = test_server_start_moto_ec2(&srv, 120);
	if (rc == -1)
		return TEST_SKIP_CODE;
	if (rc || !(client = make_client(srv.url, 3, 60000))) {
		test_server_stop(&srv);
		return 1;
	}
	rc = cmocka_run_group_tests_name("auto scaling group (moto_server)", real, NULL, NULL);
	cman_aws_client_free(client);
	test_server_stop(&srv);
	return rc;
}
