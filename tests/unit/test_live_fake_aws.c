/*
 * test_live_fake_aws.c - the in-process fake of EC2 Spot Fleet and Auto
 * Scaling (tests/fake/fake_aws.h) read and driven by the live adapters
 * themselves (discovery.h, spot_fleet.h, asg.h, aws.h): what they find and
 * describe, that a target change launches or ends machines as moto does,
 * scale-in protection, terminations, the Mesos agents that follow the
 * machines, and the errors the fake answers in AWS's shapes (an action it
 * lacks fails loudly).  The numbers are worked out by hand from the set-up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cman/live/asg.h"
#include "cman/live/aws.h"
#include "cman/live/discovery.h"
#include "cman/live/spot_fleet.h"
#include "cman/live/xml.h"
#include "fake_aws.h"
#include "fake_http.h"

#define TAGKEY "puppet:role::paasta"
#define MINE "{\"pool\": \"p1\", \"paasta_cluster\": \"c1\"}"
#define OTHER "{\"pool\": \"p2\", \"paasta_cluster\": \"c1\"}"

static struct fake_http *http;
static struct fake_aws *aws;
static struct cman_aws_client *client;
static char subnet[64], fleet[64], other_fleet[64];

static int setup(void **state)
{
	struct fake_aws_fleet_spec fs = { "m5.large", 2, NULL, TAGKEY, MINE, 4 };
	struct fake_aws_group_spec gs = { "asg-a", "m5.xlarge", NULL, 1, 6, 2, TAGKEY, MINE, 0 };
	struct cman_aws_config c;
	struct cman_error err;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "fake-secret", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_ENDPOINT_URL");
	assert_non_null(http = fake_http_start());
	assert_non_null(aws = fake_aws_new("us-west-2"));
	fake_aws_attach(aws, http);
	assert_int_equal(fake_aws_add_subnet(aws, "us-west-2b", subnet, sizeof(subnet)), 0);
	fs.subnet = gs.subnet = subnet;
	assert_int_equal(fake_aws_add_fleet(aws, &fs, fleet, sizeof(fleet)), 0);
	fs.tag_value = OTHER;
	fs.target = 1;
	assert_int_equal(fake_aws_add_fleet(aws, &fs, other_fleet, sizeof(other_fleet)), 0);
	assert_int_equal(fake_aws_add_group(aws, &gs), 0);
	gs.name = "asg-other";
	gs.tag_value = OTHER;
	assert_int_equal(fake_aws_add_group(aws, &gs), 0);
	gs.name = "asg-a";   /* taken */
	assert_int_equal(fake_aws_add_group(aws, &gs), -1);
	cman_aws_config_init(&c);
	snprintf(c.region, sizeof(c.region), "us-west-2");
	snprintf(c.endpoint_url, sizeof(c.endpoint_url), "%s", fake_http_url(http));
	c.max_attempts = 1;
	if (cman_aws_client_new(&c, &client, &err))
		fail_msg("%s", err.msg);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cman_aws_client_free(client);
	fake_http_stop(http);
	fake_aws_free(aws);
	return 0;
}

static void test_discovery(void **state)
{
	struct cman_aws_found f;
	struct cman_error err;

	(void)state;
	assert_int_equal(cman_aws_discover_sfrs(client, TAGKEY, "c1", "p1", &f, &err), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.ids[0], fleet);
	cman_aws_found_release(&f);
	assert_int_equal(cman_aws_discover_asgs(client, TAGKEY, "c1", "p1", &f, &err), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.ids[0], "asg-a");
	cman_aws_found_release(&f);
	assert_int_equal(cman_aws_discover_asgs(client, "another-key", "c1", "p1", &f, &err), 0);
	assert_int_equal(f.n, 0);
	cman_aws_found_release(&f);
}

static void test_fleet(void **state)
{
	struct cman_aws_sfr *g;
	struct cman_resource_group *rg;
	const struct cman_rg_instance *in;
	struct cman_error err;
	const char *ids[2];
	bool failed[2] = { false, false };
	char owner[80];
	double v;
	size_t n, done;
	long target;

	(void)state;
	assert_int_equal(cman_aws_sfr_new(client, fleet, &g, &err), 0);
	rg = cman_aws_sfr_group(g);
	/* target 4 of weight-2 machines: 2 machines, in the subnet's zone */
	if (rg->ops->refresh(rg, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(rg->ops->target_capacity(rg, &v, &err), 0);
	assert_true(v == 4);
	assert_int_equal(rg->ops->fulfilled_capacity(rg, &v, &err), 0);
	assert_true(v == 4);
	assert_int_equal(rg->ops->instances(rg, &in, &n, &err), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(in[i].state, CMAN_INSTANCE_RUNNING);
		assert_string_equal(in[i].az, "us-west-2b");
		assert_true(in[i].weight == 2);
		assert_true(in[i].spot);
		assert_true(in[i].ip && !strncmp(in[i].ip, "10.", 3));
	}
	assert_string_not_equal(in[0].ip, in[1].ip);
	assert_int_equal(fake_aws_calls(aws, "DescribeSubnets"), 1);
	/* up to 9: ceil(9 / 2) = 5 machines, fulfilled 10 */
	assert_int_equal(rg->ops->modify_target(rg, 9, false, &err), 0);
	assert_int_equal(rg->ops->refresh(rg, &err), 0);
	assert_int_equal(rg->ops->fulfilled_capacity(rg, &v, &err), 0);
	assert_true(v == 10);
	assert_int_equal(fake_aws_fleet(aws, fleet, &target, &v), 0);
	assert_true(target == 9 && v == 10);
	/* down to 2 without termination: the machines stay */
	assert_int_equal(rg->ops->modify_target(rg, 2, false, &err), 0);
	assert_int_equal(rg->ops->refresh(rg, &err), 0);
	assert_int_equal(rg->ops->instances(rg, &in, &n, &err), 0);
	assert_int_equal(n, 5);
	/* two of them ended: 3 left, no replacement (6 >= 2) */
	ids[0] = in[0].id;
	ids[1] = in[3].id;
	assert_int_equal(rg->ops->terminate(rg, ids, 2, false, &done, failed, &err), 0);
	assert_int_equal(done, 2);
	assert_false(failed[0] || failed[1]);
	assert_int_equal(fake_aws_owner(aws, ids[0], owner, sizeof(owner)), 0);
	assert_string_equal(owner, fleet);
	assert_int_equal(rg->ops->refresh(rg, &err), 0);
	assert_int_equal(rg->ops->fulfilled_capacity(rg, &v, &err), 0);
	assert_true(v == 6);
	cman_aws_sfr_free(g);
	/* an unknown fleet: gone (cancelled), as the adapter reads AWS's NotFound */
	assert_int_equal(cman_aws_sfr_new(client, "sfr-00000000-0000-0000-0000-000000000000", &g,
					  &err), 0);
	assert_int_equal(cman_aws_sfr_refresh(g, &err), 0);
	assert_true(cman_aws_sfr_group(g)->ops->is_stale(cman_aws_sfr_group(g)));
	cman_aws_sfr_free(g);
}

static void test_group(void **state)
{
	struct cman_aws_asg *g;
	struct cman_resource_group *rg;
	const struct cman_rg_instance *in;
	struct cman_error err;
	const char *ids[3];
	bool failed[3] = { false, false, false };
	unsigned long prot, term;
	double v;
	size_t n, done, machines;
	long desired;

	(void)state;
	assert_int_equal(cman_aws_asg_new(client, "asg-a", CMAN_ASG_PROTECT_SET, &g, &err), 0);
	rg = cman_aws_asg_group(g);
	if (rg->ops->refresh(rg, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(rg->ops->target_capacity(rg, &v, &err), 0);
	assert_true(v == 2);
	assert_true(rg->ops->min_capacity(rg) == 1 && rg->ops->max_capacity(rg) == 6);
	/* up to 5: launched at once */
	assert_int_equal(rg->ops->modify_target(rg, 5, false, &err), 0);
	assert_int_equal(rg->ops->refresh(rg, &err), 0);
	assert_int_equal(rg->ops->instances(rg, &in, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_int_equal(cman_aws_asg_unprotected(g), 5);
	/* down to 2: the five protected first, so AWS ends none of them */
	prot = fake_aws_calls(aws, "SetInstanceProtection");
	assert_int_equal(rg->ops->modify_target(rg, 2, false, &err), 0);
	assert_int_equal(fake_aws_calls(aws, "SetInstanceProtection"), prot + 1);
	assert_int_equal(fake_aws_group(aws, "asg-a", &desired, &machines), 0);
	assert_true(desired == 2 && machines == 5);
	/* ... then three ended by the caller: two left, no replacement */
	assert_int_equal(rg->ops->refresh(rg, &err), 0);
	assert_int_equal(cman_aws_asg_unprotected(g), 0);
	assert_int_equal(rg->ops->instances(rg, &in, &n, &err), 0);
	for (size_t i = 0; i < 3; i++)
		ids[i] = in[i].id;
	term = fake_aws_terminated(aws);
	assert_int_equal(rg->ops->terminate(rg, ids, 3, false, &done, failed, &err), 0);
	assert_int_equal(done, 3);
	assert_int_equal(fake_aws_terminated(aws), term + 3);
	assert_int_equal(fake_aws_group(aws, "asg-a", &desired, &machines), 0);
	assert_true(desired == 2 && machines == 2);
	/* an unknown group is gone, no error (AWS leaves it out) */
	cman_aws_asg_free(g);
	assert_int_equal(cman_aws_asg_new(client, "asg-none", CMAN_ASG_PROTECT_SET, &g, &err), 0);
	assert_int_equal(cman_aws_asg_refresh(g, &err), 0);
	assert_string_equal(cman_aws_asg_status(g), "gone");
	cman_aws_asg_free(g);
}

/* One raw call: its status and fault code. */
static int raw(const char *svc, struct cman_aws_params *p, struct cman_aws_fault *f)
{
	struct cman_error err;
	xmlDocPtr doc = NULL;
	int rc = cman_aws_query_xml(client, svc, p, 0, &doc, f, &err);

	if (doc)
		xmlFreeDoc(doc);
	cman_aws_params_release(p);
	return rc;
}

static void test_errors(void **state)
{
	struct cman_aws_params p;
	struct cman_aws_fault f;
	unsigned long errors = fake_aws_errors(aws);

	(void)state;
	/* an action the fake lacks, and one of the other service */
	cman_aws_params_init(&p, "RunInstances", "2016-11-15");
	assert_int_equal(raw("ec2", &p, &f), CMAN_EREJECTED);
	assert_string_equal(f.code, "InvalidAction");
	assert_int_equal(f.http_status, 400);
	cman_aws_params_init(&p, "DescribeAutoScalingGroups", "2011-01-01");
	assert_int_equal(raw("ec2", &p, &f), CMAN_EREJECTED);
	assert_string_equal(f.code, "InvalidAction");
	/* bad parameters */
	cman_aws_params_init(&p, "DescribeInstances", "2016-11-15");
	cman_aws_params_add(&p, "InstanceId.1", "i-0000000000000dead");
	assert_int_equal(raw("ec2", &p, &f), CMAN_EREJECTED);
	assert_string_equal(f.code, "InvalidInstanceID.NotFound");
	cman_aws_params_init(&p, "TerminateInstances", "2016-11-15");
	cman_aws_params_add(&p, "InstanceId.1", "i-0000000000000dead");
	assert_int_equal(raw("ec2", &p, &f), CMAN_EREJECTED);
	assert_string_equal(f.code, "InvalidInstanceID.NotFound");
	cman_aws_params_init(&p, "SetDesiredCapacity", "2011-01-01");
	cman_aws_params_add(&p, "AutoScalingGroupName", "asg-other");
	cman_aws_params_add(&p, "DesiredCapacity", "7");
	assert_int_equal(raw("autoscaling", &p, &f), CMAN_EREJECTED);
	assert_string_equal(f.code, "ValidationError");
	assert_non_null(strstr(f.message, "above max value 6"));
	cman_aws_params_init(&p, "DescribeTags", "2011-01-01");
	cman_aws_params_add(&p, "Filters.member.1.Name", "colour");
	assert_int_equal(raw("autoscaling", &p, &f), CMAN_EREJECTED);
	assert_string_equal(f.code, "ValidationError");
	assert_int_equal(fake_aws_errors(aws), errors + 6);
}

static void test_mesos_agents(void **state)
{
	char *text = fake_aws_mesos_slaves(aws, "p1", 4, 8000);
	json_t *doc, *a;
	size_t i;

	(void)state;
	assert_non_null(text);
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	/* one agent per running machine, 4 cpus a unit of weight */
	assert_int_equal(json_array_size(json_object_get(doc, "slaves")), fake_aws_running(aws));
	json_array_foreach(json_object_get(doc, "slaves"), i, a) {
		const char *host = json_string_value(json_object_get(a, "hostname"));
		char owner[80];

		assert_int_equal(fake_aws_owner(aws, host, owner, sizeof(owner)), 0);
		if (!strcmp(owner, fleet) || !strcmp(owner, other_fleet))
			assert_true(json_number_value(json_object_get(json_object_get(a, "resources"),
								      "cpus")) == 8);
		assert_non_null(strstr(json_string_value(json_object_get(a, "pid")), "@10."));
	}
	json_decref(doc);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_fleet),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_mesos_agents),
	};

	return cmocka_run_group_tests_name("fake AWS", tests, setup, teardown);
}
