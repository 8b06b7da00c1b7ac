/*
 * test_live_spot_fleet.c - the AWS Spot Fleet resource group against the
 * fake, with the documented answer shapes (LIVE-SPEC §10.1): what it
 * describes, which calls a modify or a termination makes (and that a dry run
 * makes none), and each failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cman/live/spot_fleet.h"
#include "cman/live/xml.h"
#include "fake_http.h"
#include "servers.h"

static struct fake_http *fake;
static struct cman_aws_client *client;

#define NS " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""

static const char *requests_xml =
	"<DescribeSpotFleetRequestsResponse" NS "><requestId>r</requestId>"
	"<spotFleetRequestConfigSet><item><spotFleetRequestId>sfr-1</spotFleetRequestId>"
	"<spotFleetRequestState>active</spotFleetRequestState><spotFleetRequestConfig>"
	"<targetCapacity>10</targetCapacity><fulfilledCapacity>12.0</fulfilledCapacity>"
	"<allocationStrategy>diversified</allocationStrategy><launchSpecifications>"
	"<item><instanceType>c5.4xlarge</instanceType><subnetId>subnet-a</subnetId>"
	"<placement><availabilityZone>us-west-2a</availabilityZone></placement>"
	"<weightedCapacity>4.0</weightedCapacity><spotPrice>0.25</spotPrice></item>"
	"</launchSpecifications></spotFleetRequestConfig></item></spotFleetRequestConfigSet>"
	"<nextToken/></DescribeSpotFleetRequestsResponse>";

static const char *fleet_instances_p1 =
	"<DescribeSpotFleetInstancesResponse" NS "><activeInstanceSet>"
	"<item><instanceId>i-1</instanceId><instanceType>c5.4xlarge</instanceType></item>"
	"<item><instanceId>i-2</instanceId><instanceType>c5.4xlarge</instanceType></item>"
	"</activeInstanceSet><nextToken>page2</nextToken></DescribeSpotFleetInstancesResponse>";
static const char *fleet_instances_p2 =
	"<DescribeSpotFleetInstancesResponse" NS "><activeInstanceSet>"
	"<item><instanceId>i-3</instanceId><instanceType>c5.4xlarge</instanceType></item>"
	"</activeInstanceSet><nextToken/></DescribeSpotFleetInstancesResponse>";

#define INSTANCE(id, state, ip)                                                             \
	"<item><instanceId>" id "</instanceId><instanceType>c5.4xlarge</instanceType>"     \
	"<instanceState><code>16</code><name>" state "</name></instanceState>" ip           \
	"<placement><availabilityZone>us-west-2a</availabilityZone></placement>"           \
	"<launchTime>2023-10-18T12:00:00.000Z</launchTime></item>"

static const char *instances_xml =
	"<DescribeInstancesResponse" NS "><reservationSet><item><instancesSet>"
	INSTANCE("i-1", "running", "<privateIpAddress>10.1.2.3</privateIpAddress>")
	INSTANCE("i-2", "shutting-down", "<privateIpAddress>10.1.2.4</privateIpAddress>")
	INSTANCE("i-3", "running", "")
	"</instancesSet></item></reservationSet></DescribeInstancesResponse>";

static void push(int status, const char *body)
{
	fake_http_push(fake, &(struct fake_reply){.status = status, .body = body});
}

/* The getters of the interface, which must succeed here. */
static double target_of(struct cman_resource_group *rg)
{
	struct cman_error err;
	double v = -1;

	assert_int_equal(rg->ops->target_capacity(rg, &v, &err), 0);
	return v;
}

static double fulfilled_of(struct cman_resource_group *rg)
{
	struct cman_error err;
	double v = -1;

	assert_int_equal(rg->ops->fulfilled_capacity(rg, &v, &err), 0);
	return v;
}

static size_t list(struct cman_resource_group *rg, const struct cman_rg_instance **in)
{
	struct cman_error err;
	size_t n = 99;

	assert_int_equal(rg->ops->instances(rg, in, &n, &err), 0);
	return n;
}

/* How many of the listed machines are running. */
static size_t running(struct cman_resource_group *rg)
{
	const struct cman_rg_instance *in;
	size_t n = list(rg, &in), k = 0;

	for (size_t i = 0; i < n; i++)
		k += in[i].state == CMAN_INSTANCE_RUNNING;
	return k;
}

static struct cman_aws_sfr *described(void)
{
	struct cman_aws_sfr *g;
	struct cman_error err;

	fake_http_reset(fake);
	assert_int_equal(cman_aws_sfr_new(client, "sfr-1", &g, &err), 0);
	push(200, requests_xml);
	push(200, fleet_instances_p1);
	push(200, fleet_instances_p2);
	push(200, instances_xml);
	assert_int_equal(cman_aws_sfr_refresh(g, &err), 0);
	assert_int_equal(fake_http_count(fake), 4);
	return g;
}

static void test_refresh(void **state)
{
	struct cman_aws_sfr *g = described();
	struct cman_resource_group *rg = cman_aws_sfr_group(g);
	const struct cman_rg_instance *in;
	struct fake_request r;
	size_t n;

	assert_string_equal(cman_aws_sfr_state(g), "active");
	assert_false(rg->ops->is_stale(rg));
	assert_true(target_of(rg) == 10);
	assert_true(fulfilled_of(rg) == 12);
	/* Every machine with its state and IP (the pool manager acts on
	 * running ones only): i-2 is shutting down, i-3 has no IP. */
	n = list(rg, &in);
	assert_int_equal(n, 3);
	assert_string_equal(in[0].id, "i-1");
	assert_int_equal(in[0].state, CMAN_INSTANCE_RUNNING);
	assert_string_equal(in[0].ip, "10.1.2.3");
	assert_string_equal(in[0].instance_type, "c5.4xlarge");
	assert_string_equal(in[0].az, "us-west-2a");
	assert_true(in[0].weight == 4);
	assert_int_equal(in[0].launch_time, 1697630400);
	assert_string_equal(in[1].id, "i-2");
	assert_int_equal(in[1].state, CMAN_INSTANCE_SHUTTING_DOWN);
	assert_string_equal(in[2].id, "i-3");
	assert_int_equal(in[2].state, CMAN_INSTANCE_RUNNING);
	assert_string_equal(in[2].ip, "");
	assert_int_equal(running(rg), 2);
	assert_string_equal(cman_aws_sfr_instance_ip(g, "i-1"), "10.1.2.3");
	assert_string_equal(cman_aws_sfr_instance_ip(g, "i-3"), "");
	assert_null(cman_aws_sfr_instance_ip(g, "i-9"));

	r = fake_http_request(fake, 0);
	assert_non_null(strstr(r.body, "Action=DescribeSpotFleetRequests"));
	assert_non_null(strstr(r.body, "SpotFleetRequestId.1=sfr-1"));
	r = fake_http_request(fake, 2);
	assert_non_null(strstr(r.body, "NextToken=page2"));
	r = fake_http_request(fake, 3);
	assert_non_null(strstr(r.body, "Action=DescribeInstances"));
	assert_non_null(strstr(r.body, "InstanceId.1=i-1&InstanceId.2=i-2&InstanceId.3=i-3"));
	cman_aws_sfr_free(g);
}

static void test_modify(void **state)
{
	struct cman_aws_sfr *g = described();
	struct cman_resource_group *rg = cman_aws_sfr_group(g);
	struct cman_error err;
	struct fake_request r;

	fake_http_reset(fake);
	/* A dry run calls nothing. */
	assert_int_equal(rg->ops->modify_target(rg, 15, true, &err), 0);
	assert_int_equal(fake_http_count(fake), 0);
	push(200, "<ModifySpotFleetRequestResponse" NS "><requestId>r</requestId><return>true"
		  "</return></ModifySpotFleetRequestResponse>");
	assert_int_equal(rg->ops->modify_target(rg, 15.7, false, &err), 0);
	assert_int_equal(fake_http_count(fake), 1);
	r = fake_http_request(fake, 0);
	assert_non_null(strstr(r.body, "Action=ModifySpotFleetRequest"));
	assert_non_null(strstr(r.body, "SpotFleetRequestId=sfr-1"));
	assert_non_null(strstr(r.body, "TargetCapacity=15&"));     /* truncated, as Clusterman */
	assert_non_null(strstr(r.body, "ExcessCapacityTerminationPolicy=NoTermination"));
	assert_true(target_of(rg) == 15);

	/* return=false is a failure, not a success. */
	push(200, "<ModifySpotFleetRequestResponse" NS "><return>false</return>"
		  "</ModifySpotFleetRequestResponse>");
	assert_int_equal(rg->ops->modify_target(rg, 20, false, &err), CMAN_EREJECTED);
	assert_non_null(strstr(err.msg, "return=false"));
	assert_true(target_of(rg) == 15);
	/* An error while the fleet is modifying: rejected with AWS's code. */
	push(400, "<Response><Errors><Error><Code>IncorrectSpotFleetRequestState</Code>"
		  "<Message>modifying</Message></Error></Errors><RequestID>q</RequestID></Response>");
	assert_int_equal(rg->ops->modify_target(rg, 20, false, &err), CMAN_EREJECTED);
	assert_non_null(strstr(err.msg, "IncorrectSpotFleetRequestState"));
	/* the provider's code and request id, machine-readable (err.h) */
	assert_string_equal(err.remote.provider_code, "IncorrectSpotFleetRequestState");
	assert_string_equal(err.remote.request_id, "q");
	assert_int_equal(err.remote.http_status, 400);
	assert_int_equal(fake_http_count(fake), 3);   /* no call was made twice */
	cman_aws_sfr_free(g);
}

static void test_terminate(void **state)
{
	struct cman_aws_sfr *g = described();
	struct cman_resource_group *rg = cman_aws_sfr_group(g);
	const char *ids[] = {"i-1", "i-2", "i-9", "i-3"};
	const struct cman_rg_instance *in;
	struct cman_error err;
	struct fake_request r;
	size_t done = 99;
	bool failed[4] = {false};

	fake_http_reset(fake);
	assert_int_equal(rg->ops->terminate(rg, ids, 4, true, &done, failed, &err), 0);
	assert_int_equal(done, 2);
	assert_int_equal(fake_http_count(fake), 0);
	for (int i = 0; i < 4; i++)
		assert_false(failed[i]);

	/* Not the fleet's (i-9) or already ending (i-2): left out of the call. */
	push(200, "<TerminateInstancesResponse" NS "><instancesSet><item><instanceId>i-1"
		  "</instanceId><currentState><code>32</code><name>shutting-down</name>"
		  "</currentState></item></instancesSet></TerminateInstancesResponse>");
	assert_int_equal(rg->ops->terminate(rg, ids, 4, false, &done, failed, &err), CMAN_EPARTIAL);
	assert_int_equal(done, 1);
	/* which one failed: i-3, missing from the answer; i-2 and i-9 were
	 * not tried (neither done nor failed) */
	assert_false(failed[0]);
	assert_false(failed[1]);
	assert_false(failed[2]);
	assert_true(failed[3]);
	assert_non_null(strstr(err.msg, "1 of 2 instances were not in the answer"));
	r = fake_http_request(fake, 0);
	assert_non_null(strstr(r.body, "Action=TerminateInstances"));
	assert_non_null(strstr(r.body, "InstanceId.1=i-1&InstanceId.2=i-3"));
	assert_null(strstr(r.body, "i-9"));
	assert_null(strstr(r.body, "i-2"));
	/* i-1 is no longer one of the running machines. */
	assert_int_equal(list(rg, &in), 3);
	assert_int_equal(in[0].state, CMAN_INSTANCE_SHUTTING_DOWN);
	assert_int_equal(running(rg), 1);

	/* A batch that fails flags every id it carried. */
	fake_http_reset(fake);
	push(400, "<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
		  "<Message>no</Message></Error></Errors></Response>");
	memset(failed, 0, sizeof(failed));
	assert_int_equal(rg->ops->terminate(rg, ids, 4, false, &done, failed, &err),
			 CMAN_EREJECTED);
	assert_int_equal(done, 0);
	assert_false(failed[0]);   /* i-1 is already shutting down: not tried */
	assert_true(failed[3]);
	cman_aws_sfr_free(g);
}

static void test_gone_and_cancelled(void **state)
{
	struct cman_aws_sfr *g;
	struct cman_resource_group *rg;
	struct cman_error err;
	const struct cman_rg_instance *in;

	fake_http_reset(fake);
	assert_int_equal(cman_aws_sfr_new(client, "sfr-9", &g, &err), 0);
	rg = cman_aws_sfr_group(g);
	push(400, "<Response><Errors><Error><Code>InvalidSpotFleetRequestId.NotFound</Code>"
		  "<Message>no</Message></Error></Errors></Response>");
	assert_int_equal(cman_aws_sfr_refresh(g, &err), 0);
	assert_true(rg->ops->is_stale(rg));
	assert_true(target_of(rg) == 0);
	assert_int_equal(list(rg, &in), 0);
	/* A stale fleet is not modified. */
	fake_http_reset(fake);
	assert_int_equal(rg->ops->modify_target(rg, 5, false, &err), 0);
	assert_int_equal(fake_http_count(fake), 0);

	/* Throttled on every attempt: the refresh fails and says so; the last
	 * description stays. */
	for (int i = 0; i < 5; i++)
		push(503, "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow"
			  "</Message></Error></Errors></Response>");
	assert_int_equal(cman_aws_sfr_refresh(g, &err), CMAN_ETHROTTLED);
	assert_string_equal(err.remote.provider_code, "RequestLimitExceeded");
	assert_int_equal(err.remote.attempts, 5);
	assert_true(cman_error_retryable(err.code));
	assert_true(rg->ops->is_stale(rg));
	/* the getters now fail with the refresh's error, never answer from an
	 * old description (resource_group.h) */
	{
		struct cman_error e2;
		double v = 7;
		size_t n = 7;

		assert_int_equal(rg->ops->target_capacity(rg, &v, &e2), CMAN_ETHROTTLED);
		assert_string_equal(e2.msg, err.msg);
		assert_int_equal(rg->ops->fulfilled_capacity(rg, &v, &e2), CMAN_ETHROTTLED);
		assert_int_equal(rg->ops->instances(rg, &in, &n, &e2), CMAN_ETHROTTLED);
		assert_int_equal(n, 0);
		assert_null(in);
	}
	/* Malformed XML: a transient failure. */
	fake_http_reset(fake);
	push(200, "<DescribeSpotFleetRequestsResponse><spotFleetRequestConfigSet><item>");
	assert_int_equal(cman_aws_sfr_refresh(g, &err), CMAN_ETRANSIENT);
	cman_aws_sfr_free(g);
}


/* ---- against moto_server: a real fleet made through the API --------------- */

static void ec2(struct cman_aws_client *c, struct cman_aws_params *p, const char *find,
		char *out, size_t n)
{
	struct cman_error err;
	xmlDocPtr doc;
	char *body;
	size_t len;
	int rc = cman_aws_query(c, "ec2", p, 0, &body, &len, NULL, &err);

	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(cman_xml_parse(body, len, "moto", &doc, &err), 0);
	free(body);
	if (find) {
		assert_true(cman_xml_text(cman_xml_find(xmlDocGetRootElement(doc), find), out, n) > 0);
	}
	xmlFreeDoc(doc);
	cman_aws_params_release(p);
}

static void test_moto_fleet(void **state)
{
	struct test_server srv;
	struct cman_aws_config cfg;
	struct cman_aws_client *c;
	struct cman_aws_params p;
	struct cman_aws_sfr *g;
	struct cman_resource_group *rg;
	const struct cman_rg_instance *in;
	struct cman_error err;
	char vpc[64], subnet[64], sfr[64], victim[32];
	const char *ids[1];
	size_t n, done;
	int rc = test_server_start_moto_ec2(&srv, 120);

	if (rc == -1)
		skip();
	assert_int_equal(rc, 0);
	setenv("AWS_ENDPOINT_URL", srv.url, 1);
	cman_aws_config_init(&cfg);
	snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
	cfg.timeout_ms = 60000;
	assert_int_equal(cman_aws_client_new(&cfg, &c, &err), 0);

	cman_aws_params_init(&p, "CreateVpc", "2016-11-15");
	cman_aws_params_add(&p, "CidrBlock", "10.1.0.0/16");
	ec2(c, &p, "vpcId", vpc, sizeof(vpc));
	cman_aws_params_init(&p, "CreateSubnet", "2016-11-15");
	cman_aws_params_add(&p, "VpcId", vpc);
	cman_aws_params_add(&p, "CidrBlock", "10.1.2.0/24");
	cman_aws_params_add(&p, "AvailabilityZone", "us-east-1a");
	ec2(c, &p, "subnetId", subnet, sizeof(subnet));
	cman_aws_params_init(&p, "RequestSpotFleet", "2016-11-15");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.IamFleetRole",
			    "arn:aws:iam::123456789012:role/fleet");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.TargetCapacity", "4");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.Type", "maintain");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.AllocationStrategy", "diversified");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.SpotPrice", "0.5");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1.ImageId",
			    "ami-12c6146b");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1.InstanceType",
			    "m5.large");
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1.SubnetId", subnet);
	cman_aws_params_add(&p, "SpotFleetRequestConfig.LaunchSpecifications.1.WeightedCapacity",
			    "2");
	ec2(c, &p, "spotFleetRequestId", sfr, sizeof(sfr));

	assert_int_equal(cman_aws_sfr_new(c, sfr, &g, &err), 0);
	rg = cman_aws_sfr_group(g);
	rc = cman_aws_sfr_refresh(g, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_false(rg->ops->is_stale(rg));
	assert_true(target_of(rg) == 4);
	n = list(rg, &in);
	assert_int_equal(n, 2);                 /* weight 2 each */
	assert_int_equal(running(rg), 2);
	assert_true(in[0].weight == 2);
	assert_string_equal(in[0].instance_type, "m5.large");
	assert_string_equal(in[0].az, "us-east-1a");
	/* moto gives private IPs from the subnet: agents can be matched by IP */
	assert_memory_equal(cman_aws_sfr_instance_ip(g, in[0].id), "10.1.2.", 7);

	/* Raise the target: the fleet launches; lower it: nothing is ended by AWS. */
	assert_int_equal(rg->ops->modify_target(rg, 8, false, &err), 0);
	assert_int_equal(cman_aws_sfr_refresh(g, &err), 0);
	assert_true(target_of(rg) == 8);
	assert_int_equal(running(rg), 4);
	assert_int_equal(rg->ops->modify_target(rg, 6, false, &err), 0);
	assert_int_equal(cman_aws_sfr_refresh(g, &err), 0);
	assert_true(target_of(rg) == 6);
	assert_int_equal(running(rg), 4);
	assert_int_equal(list(rg, &in), 4);

	/* End one chosen machine ourselves. */
	snprintf(victim, sizeof(victim), "%s", in[1].id);
	ids[0] = victim;
	assert_int_equal(rg->ops->terminate(rg, ids, 1, false, &done, NULL, &err), 0);
	assert_int_equal(done, 1);
	assert_int_equal(cman_aws_sfr_refresh(g, &err), 0);
	n = list(rg, &in);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(in[i].id, victim))
			assert_int_not_equal(in[i].state, CMAN_INSTANCE_RUNNING);

	cman_aws_sfr_free(g);
	cman_aws_client_free(c);
	setenv("AWS_ENDPOINT_URL", fake_http_url(fake), 1);
	test_server_stop(&srv);
}

static int setup(void **state)
{
	struct cman_aws_config cfg;
	struct cman_error err;

	fake = fake_http_start();
	if (!fake)
		return -1;
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "fleet-secret", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	setenv("AWS_ENDPOINT_URL", fake_http_url(fake), 1);
	cman_aws_config_init(&cfg);
	snprintf(cfg.region, sizeof(cfg.region), "us-west-2");
	cfg.max_attempts = 5;
	cfg.base_delay_ms = 1;
	cfg.max_delay_ms = 5;
	cfg.seed = 11;
	return cman_aws_client_new(&cfg, &client, &err);
}

static int teardown(void **state)
{
	cman_aws_client_free(client);
	fake_http_stop(fake);
	return 0;
}

/* Launch specifications with a subnet and no placement zone: the zone comes
 * from DescribeSubnets (once, then cached), so one type weighs differently
 * per market; and the is_cordoned tag reaches the pool manager. */
static void test_subnet_zones(void **state)
{
	static const char *fleet_xml =
		"<DescribeSpotFleetRequestsResponse" NS "><spotFleetRequestConfigSet><item>"
		"<spotFleetRequestId>sfr-1</spotFleetRequestId><spotFleetRequestState>active"
		"</spotFleetRequestState><spotFleetRequestConfig><targetCapacity>12</targetCapacity>"
		"<launchSpecifications>"
		"<item><instanceType>c5.4xlarge</instanceType><subnetId>subnet-a</subnetId>"
		"<weightedCapacity>4.0</weightedCapacity></item>"
		"<item><instanceType>c5.4xlarge</instanceType><subnetId>subnet-b</subnetId>"
		"<weightedCapacity>8.0</weightedCapacity></item>"
		"</launchSpecifications></spotFleetRequestConfig></item></spotFleetRequestConfigSet>"
		"</DescribeSpotFleetRequestsResponse>";
	static const char *ids_xml =
		"<DescribeSpotFleetInstancesResponse" NS "><activeInstanceSet>"
		"<item><instanceId>i-1</instanceId></item><item><instanceId>i-2</instanceId></item>"
		"</activeInstanceSet></DescribeSpotFleetInstancesResponse>";
	static const char *inst_xml =
		"<DescribeInstancesResponse" NS "><reservationSet><item><instancesSet>"
		"<item><instanceId>i-1</instanceId><instanceType>c5.4xlarge</instanceType>"
		"<instanceState><name>running</name></instanceState>"
		"<placement><availabilityZone>us-west-2a</availabilityZone></placement>"
		"<tagSet><item><key>is_cordoned</key><value>true</value></item></tagSet></item>"
		"<item><instanceId>i-2</instanceId><instanceType>c5.4xlarge</instanceType>"
		"<instanceState><name>running</name></instanceState>"
		"<placement><availabilityZone>us-west-2b</availabilityZone></placement></item>"
		"</instancesSet></item></reservationSet></DescribeInstancesResponse>";
	struct cman_aws_sfr *g;
	struct cman_resource_group *rg;
	const struct cman_rg_instance *in;
	struct cman_error err;

	fake_http_reset(fake);
	assert_int_equal(cman_aws_sfr_new(client, "sfr-1", &g, &err), 0);
	rg = cman_aws_sfr_group(g);
	push(200, fleet_xml);
	push(200, "<DescribeSubnetsResponse" NS "><subnetSet><item><subnetId>subnet-a</subnetId>"
		  "<availabilityZone>us-west-2a</availabilityZone></item><item><subnetId>subnet-b"
		  "</subnetId><availabilityZone>us-west-2b</availabilityZone></item></subnetSet>"
		  "</DescribeSubnetsResponse>");
	push(200, ids_xml);
	push(200, inst_xml);
	assert_int_equal(cman_aws_sfr_refresh(g, &err), 0);
	assert_int_equal(fake_http_count(fake), 4);
	assert_non_null(strstr(fake_http_request(fake, 1).body, "Action=DescribeSubnets&"));
	assert_int_equal(list(rg, &in), 2);
	assert_true(in[0].weight == 4);
	assert_true(in[1].weight == 8);
	assert_true(in[0].cordoned);
	assert_false(in[1].cordoned);
	/* Cached: the next refresh asks no zone again. */
	fake_http_reset(fake);
	push(200, fleet_xml);
	push(200, ids_xml);
	push(200, inst_xml);
	assert_int_equal(cman_aws_sfr_refresh(g, &err), 0);
	assert_int_equal(fake_http_count(fake), 3);
	assert_int_equal(list(rg, &in), 2);
	assert_true(in[1].weight == 8);
	cman_aws_sfr_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_modify),
		cmocka_unit_test(test_terminate),
		cmocka_unit_test(test_gone_and_cancelled),
		cmocka_unit_test(test_subnet_zones),
		cmocka_unit_test(test_moto_fleet),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
