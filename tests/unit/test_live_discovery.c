/*
 * test_live_discovery.c - finding a pool's Spot Fleet requests and Auto
 * Scaling groups by tag, and subnet zones (LIVE-SPEC §2.4, §4.1).
 *
 * Without an argument: against the fake (the documented shapes, pages,
 * page loops, throttling, malformed answers, the subnet cache).  With
 * "moto": against moto_server, with fleets and groups made through its API
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

#include "cman/live/discovery.h"
#include "fake_http.h"
#include "moto_world.h"
#include "servers.h"

#define SECRET "discovery-secret-never-printed"
#define TAGKEY "puppet:role::paasta"
#define MINE "{\"pool\": \"default\", \"paasta_cluster\": \"c1\", \"extra\": 1}"
#define OTHER_POOL "{\"pool\": \"batch\", \"paasta_cluster\": \"c1\"}"
#define OTHER_CLUSTER "{\"pool\": \"default\", \"paasta_cluster\": \"c2\"}"

static struct fake_http *fake;

static struct cman_aws_client *make_client(const char *url, long timeout_ms);
static struct cman_aws_client *client;

#define ASNS " xmlns=\"http://autoscaling.amazonaws.com/doc/2011-01-01/\""
#define NS " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""

static void push(int status, const char *body)
{
	fake_http_push(fake, &(struct fake_reply){.status = status, .body = body});
}

static void test_tag_values(void **state)
{
	assert_int_equal(cman_aws_tag_matches(MINE, "c1", "default"), 1);
	assert_int_equal(cman_aws_tag_matches(OTHER_POOL, "c1", "default"), 0);
	assert_int_equal(cman_aws_tag_matches(OTHER_CLUSTER, "c1", "default"), 0);
	assert_int_equal(cman_aws_tag_matches("{\"pool\": \"default\"}", "c1", "default"), 0);
	assert_int_equal(cman_aws_tag_matches("{\"pool\": 1, \"paasta_cluster\": \"c1\"}", "c1",
					      "1"), 0);
	assert_int_equal(cman_aws_tag_matches("[\"default\"]", "c1", "default"), -1);
	assert_int_equal(cman_aws_tag_matches("default", "c1", "default"), -1);
	assert_int_equal(cman_aws_tag_matches("", "c1", "default"), -1);
	assert_int_equal(cman_aws_tag_matches("{\"pool\": \"a\", \"pool\": \"default\", "
					      "\"paasta_cluster\": \"c1\"}", "c1", "default"), -1);
}

#define ASGTAG(name, value)                                                                 \
	"<member><ResourceId>" name "</ResourceId><ResourceType>auto-scaling-group"          \
	"</ResourceType><Key>" TAGKEY "</Key><Value>" value "</Value><PropagateAtLaunch>true"  \
	"</PropagateAtLaunch></member>"

static void test_asgs(void **state)
{
	struct cman_aws_found f;
	struct cman_error err;
	struct fake_request r;

	fake_http_reset(fake);
	push(200, "<DescribeTagsResponse" ASNS "><DescribeTagsResult><Tags>"
		  ASGTAG("asg-a", MINE) ASGTAG("asg-b", OTHER_POOL) ASGTAG("asg-c", "not json")
		  ASGTAG("asg-e", OTHER_CLUSTER)
		  "</Tags><NextToken>page2</NextToken></DescribeTagsResult></DescribeTagsResponse>");
	push(200, "<DescribeTagsResponse" ASNS "><DescribeTagsResult><Tags>"
		  ASGTAG("asg-d", MINE) ASGTAG("asg-a", MINE)
		  "</Tags></DescribeTagsResult></DescribeTagsResponse>");
	assert_int_equal(cman_aws_discover_asgs(client, TAGKEY, "c1", "default", &f, &err), 0);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.ids[0], "asg-a");
	assert_string_equal(f.ids[1], "asg-d");
	assert_int_equal(f.skipped, 1);
	cman_aws_found_release(&f);
	assert_int_equal(fake_http_count(fake), 2);
	r = fake_http_request(fake, 0);
	assert_non_null(strstr(r.body, "Action=DescribeTags&Version=2011-01-01&"
				       "Filters.member.1.Name=key&Filters.member.1.Values.member.1="
				       "puppet%3Arole%3A%3Apaasta"));
	assert_non_null(strstr(r.authorization, "/autoscaling/aws4_request"));
	assert_null(strstr(r.body, "NextToken"));
	r = fake_http_request(fake, 1);
	assert_non_null(strstr(r.body, "NextToken=page2"));

	/* Pages that never end, throttling, a 503 then an answer, garbage. */
	fake_http_reset(fake);
	for (int i = 0; i < 2; i++)
		push(200, "<DescribeTagsResponse><DescribeTagsResult><Tags>" ASGTAG("asg-a", MINE)
			  "</Tags><NextToken>same</NextToken></DescribeTagsResult>"
			  "</DescribeTagsResponse>");
	assert_int_equal(cman_aws_discover_asgs(client, TAGKEY, "c1", "default", &f, &err),
			 CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "pages do not end"));
	assert_int_equal(f.n, 0);
	assert_null(f.ids);
	fake_http_reset(fake);
	for (int i = 0; i < 5; i++)
		push(400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
			  "<Message>Rate exceeded</Message></Error></ErrorResponse>");
	assert_int_equal(cman_aws_discover_asgs(client, TAGKEY, "c1", "default", &f, &err),
			 CMAN_ETHROTTLED);
	assert_int_equal(fake_http_count(fake), 5);
	assert_null(strstr(err.msg, SECRET));
	fake_http_reset(fake);
	push(503, "<ErrorResponse><Error><Code>ServiceUnavailable</Code></Error></ErrorResponse>");
	push(200, "<DescribeTagsResponse><DescribeTagsResult><Tags/></DescribeTagsResult>"
		  "</DescribeTagsResponse>");
	assert_int_equal(cman_aws_discover_asgs(client, TAGKEY, "c1", "default", &f, &err), 0);
	assert_int_equal(f.n, 0);
	push(200, "<DescribeTagsResponse><DescribeTagsResult><Tags><member>");
	assert_int_equal(cman_aws_discover_asgs(client, TAGKEY, "c1", "default", &f, &err),
			 CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "malformed XML"));
	/* A well-formed answer without Tags is not "no groups". */
	push(200, "<DescribeTagsResponse><DescribeTagsResult/></DescribeTagsResponse>");
	assert_int_equal(cman_aws_discover_asgs(client, TAGKEY, "c1", "default", &f, &err),
			 CMAN_ETRANSIENT);
}

#define FLEET(id, state, spec_tags, own_tags)                                                \
	"<item><spotFleetRequestId>" id "</spotFleetRequestId><spotFleetRequestState>" state  \
	"</spotFleetRequestState><spotFleetRequestConfig><targetCapacity>1</targetCapacity>"  \
	"<launchSpecifications><item><instanceType>c5.4xlarge</instanceType>"               \
	"<tagSpecificationSet><item><resourceType>instance</resourceType><tag>" spec_tags     \
	"</tag></item></tagSpecificationSet></item></launchSpecifications>"                   \
	"</spotFleetRequestConfig><tagSet>" own_tags "</tagSet></item>"
#define T(k, v) "<item><key>" k "</key><value>" v "</value></item>"

static void test_sfrs(void **state)
{
	struct cman_aws_found f;
	struct cman_error err;
	struct fake_request r;
	struct cman_aws_client *quick;

	fake_http_reset(fake);
	push(200, "<DescribeSpotFleetRequestsResponse" NS "><spotFleetRequestConfigSet>"
		  FLEET("sfr-1", "active", T("other", "x") T(TAGKEY, MINE), "")
		  FLEET("sfr-2", "cancelled", T(TAGKEY, MINE), "")
		  FLEET("sfr-3", "cancelled_running", T(TAGKEY, MINE), "")
		  FLEET("sfr-4", "active", "", T(TAGKEY, MINE))
		  FLEET("sfr-5", "modifying", T(TAGKEY, OTHER_POOL), "")
		  "</spotFleetRequestConfigSet><nextToken>n2</nextToken>"
		  "</DescribeSpotFleetRequestsResponse>");
	push(200, "<DescribeSpotFleetRequestsResponse" NS "><spotFleetRequestConfigSet>"
		  FLEET("sfr-6", "cancelled_terminating", T(TAGKEY, MINE), "")
		  FLEET("sfr-7", "failed", T(TAGKEY, "{bad"), "")
		  FLEET("sfr-8", "submitted", T(TAGKEY, MINE), "")
		  "</spotFleetRequestConfigSet><nextToken/></DescribeSpotFleetRequestsResponse>");
	assert_int_equal(cman_aws_discover_sfrs(client, TAGKEY, "c1", "default", &f, &err), 0);
	/* sfr-2 and sfr-6 are cancelled; sfr-4's tag is only on the request
	 * (Clusterman reads the launch specification's). */
	assert_int_equal(f.n, 3);
	assert_string_equal(f.ids[0], "sfr-1");
	assert_string_equal(f.ids[1], "sfr-3");
	assert_string_equal(f.ids[2], "sfr-8");
	assert_int_equal(f.skipped, 1);
	cman_aws_found_release(&f);
	r = fake_http_request(fake, 0);
	assert_non_null(strstr(r.body, "Action=DescribeSpotFleetRequests&Version=2016-11-15"));
	assert_null(strstr(r.body, "SpotFleetRequestId"));
	assert_non_null(strstr(r.authorization, "/ec2/aws4_request"));
	r = fake_http_request(fake, 1);
	assert_non_null(strstr(r.body, "NextToken=n2"));

	fake_http_reset(fake);
	push(500, "<Response><Errors><Error><Code>InternalError</Code></Error></Errors></Response>");
	fake_http_push(fake, &(struct fake_reply){.status = 200, .truncate = 1,
		.body = "<DescribeSpotFleetRequestsResponse><spotFleetRequestConfigSet>"
			FLEET("sfr-1", "active", T(TAGKEY, MINE), "")
			"</spotFleetRequestConfigSet></DescribeSpotFleetRequestsResponse>"});
	push(200, "<DescribeSpotFleetRequestsResponse><spotFleetRequestConfigSet>"
		  FLEET("sfr-1", "active", T(TAGKEY, MINE), "")
		  "</spotFleetRequestConfigSet></DescribeSpotFleetRequestsResponse>");
	assert_int_equal(cman_aws_discover_sfrs(client, TAGKEY, "c1", "default", &f, &err), 0);
	assert_int_equal(fake_http_count(fake), 3);
	assert_int_equal(f.n, 1);
	cman_aws_found_release(&f);
	fake_http_reset(fake);
	push(200, "<DescribeSpotFleetRequestsResponse/>");
	assert_int_equal(cman_aws_discover_sfrs(client, TAGKEY, "c1", "default", &f, &err),
			 CMAN_ETRANSIENT);
	/* A slow answer past the timeout: retried (a describe is safe to resend).
	 * A client of its own with a short timeout: the others' is generous, so
	 * that a slow first call (valgrind, a loaded machine) is not retried and
	 * served the next page's scripted answer. */
	quick = make_client(fake_http_url(fake), 1000);
	assert_non_null(quick);
	fake_http_reset(fake);
	fake_http_push(fake, &(struct fake_reply){.status = 200, .delay_ms = 4000,
		.body = "<DescribeSpotFleetRequestsResponse><spotFleetRequestConfigSet/>"
			"</DescribeSpotFleetRequestsResponse>"});
	push(200, "<DescribeSpotFleetRequestsResponse><spotFleetRequestConfigSet/>"
		  "</DescribeSpotFleetRequestsResponse>");
	assert_int_equal(cman_aws_discover_sfrs(quick, TAGKEY, "c1", "default", &f, &err), 0);
	assert_int_equal(fake_http_count(fake), 2);
	cman_aws_client_free(quick);
}

static char big[40000];

static void test_subnets(void **state)
{
	struct cman_aws_subnets *s;
	struct cman_error err;
	const char *ids[] = {"subnet-a", "subnet-b", "subnet-a", "subnet-c"};
	const char *many[40];
	char names[40][16], az[32];
	size_t used;

	fake_http_reset(fake);
	assert_int_equal(cman_aws_subnets_new(client, &s, &err), 0);
	push(200, "<DescribeSubnetsResponse" NS "><subnetSet><item><subnetId>subnet-a</subnetId>"
		  "<availabilityZone>us-west-2a</availabilityZone></item><item><subnetId>subnet-b"
		  "</subnetId><availabilityZone>us-west-2d</availabilityZone></item></subnetSet>"
		  "</DescribeSubnetsResponse>");
	assert_int_equal(cman_aws_subnet_az(s, "subnet-a", az, sizeof(az), &err), 0);
	assert_string_equal(az, "us-west-2a");
	assert_int_equal(cman_aws_subnets_calls(s), 1);
	/* subnet-b came in the same answer: cached. */
	assert_int_equal(cman_aws_subnet_az(s, "subnet-b", az, sizeof(az), &err), 0);
	assert_string_equal(az, "us-west-2d");    /* any zone of the region */
	assert_int_equal(cman_aws_subnets_calls(s), 1);
	/* resolve asks once, only for what is not cached, each id once. */
	push(200, "<DescribeSubnetsResponse" NS "><subnetSet><item><subnetId>subnet-c</subnetId>"
		  "<availabilityZone>us-west-2c</availabilityZone></item></subnetSet>"
		  "</DescribeSubnetsResponse>");
	assert_int_equal(cman_aws_subnets_resolve(s, ids, 4, &err), 0);
	assert_int_equal(fake_http_count(fake), 2);
	assert_non_null(strstr(fake_http_request(fake, 1).body, "SubnetId.1=subnet-c"));
	assert_null(strstr(fake_http_request(fake, 1).body, "SubnetId.2"));
	assert_int_equal(cman_aws_subnet_az(s, "subnet-c", az, sizeof(az), &err), 0);
	assert_int_equal(cman_aws_subnets_calls(s), 2);
	/* Unknown to AWS. */
	push(400, "<Response><Errors><Error><Code>InvalidSubnetID.NotFound</Code><Message>The "
		  "subnet ID 'subnet-x' does not exist</Message></Error></Errors></Response>");
	assert_int_equal(cman_aws_subnet_az(s, "subnet-x", az, sizeof(az), &err), CMAN_ENOTFOUND);
	assert_non_null(strstr(err.msg, "subnet-x"));
	/* Absent from a successful answer. */
	push(200, "<DescribeSubnetsResponse><subnetSet/></DescribeSubnetsResponse>");
	assert_int_equal(cman_aws_subnet_az(s, "subnet-y", az, sizeof(az), &err), CMAN_ENOTFOUND);

	/* 32 entries: after 33 more ids, subnet-a (least recently used) is gone. */
	used = (size_t)snprintf(big, sizeof(big), "<DescribeSubnetsResponse><subnetSet>");
	for (int i = 0; i < 33; i++) {
		snprintf(names[i], sizeof(names[i]), "subnet-%02d", i);
		many[i] = names[i];
		used += (size_t)snprintf(big + used, sizeof(big) - used, "<item><subnetId>%s"
					 "</subnetId><availabilityZone>us-west-2b</availabilityZone>"
					 "</item>", names[i]);
	}
	snprintf(big + used, sizeof(big) - used, "</subnetSet></DescribeSubnetsResponse>");
	fake_http_reset(fake);
	push(200, big);
	assert_int_equal(cman_aws_subnets_resolve(s, many, 33, &err), 0);
	assert_int_equal(fake_http_count(fake), 1);
	assert_non_null(strstr(fake_http_request(fake, 0).body, "SubnetId.33=subnet-32"));
	assert_int_equal(cman_aws_subnet_az(s, "subnet-32", az, sizeof(az), &err), 0);
	assert_int_equal(fake_http_count(fake), 1);
	push(200, "<DescribeSubnetsResponse><subnetSet><item><subnetId>subnet-a</subnetId>"
		  "<availabilityZone>us-west-2a</availabilityZone></item></subnetSet>"
		  "</DescribeSubnetsResponse>");
	assert_int_equal(cman_aws_subnet_az(s, "subnet-a", az, sizeof(az), &err), 0);
	assert_int_equal(fake_http_count(fake), 2);
	cman_aws_subnets_free(s);
}

/* ---- against moto_server ------------------------------------------------------- */

static void test_moto(void **state)
{
	struct cman_aws_params p;
	struct cman_aws_found f;
	struct cman_aws_subnets *s;
	struct cman_error err;
	struct moto_world w;
	char sub_a[64], sub_b[64], mine[64], other[64], gone[64], az[32];
	const char *both[2];
	int rc;

	moto_world_init(&w, client, 3, "discovery-test", TAGKEY, 2);
	snprintf(sub_a, sizeof(sub_a), "%s", w.subnet);
	moto_world_subnet(&w, 3, 2, "us-west-2c", sub_b, sizeof(sub_b));

	/* Subnets: both in one call, then from the cache. */
	assert_int_equal(cman_aws_subnets_new(client, &s, &err), 0);
	both[0] = sub_a;
	both[1] = sub_b;
	assert_int_equal(cman_aws_subnets_resolve(s, both, 2, &err), 0);
	assert_int_equal(cman_aws_subnet_az(s, sub_a, az, sizeof(az), &err), 0);
	assert_string_equal(az, "us-west-2a");
	assert_int_equal(cman_aws_subnet_az(s, sub_b, az, sizeof(az), &err), 0);
	assert_string_equal(az, "us-west-2c");
	assert_int_equal(cman_aws_subnets_calls(s), 1);
	assert_int_equal(cman_aws_subnet_az(s, "subnet-00000000", az, sizeof(az), &err),
			 CMAN_ENOTFOUND);
	cman_aws_subnets_free(s);

	/* Groups. */
	moto_make_group(&w, "asg-mine", sub_a, MINE, 0, 0);
	moto_make_group(&w, "asg-batch", sub_a, OTHER_POOL, 0, 0);
	moto_make_group(&w, "asg-c2", sub_b, OTHER_CLUSTER, 0, 0);
	moto_make_group(&w, "asg-broken", sub_b, "role=paasta", 0, 0);
	rc = cman_aws_discover_asgs(client, TAGKEY, "c1", "default", &f, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.ids[0], "asg-mine");
	assert_int_equal(f.skipped, 1);
	cman_aws_found_release(&f);
	assert_int_equal(cman_aws_discover_asgs(client, "no-such-key", "c1", "default", &f, &err),
			 0);
	assert_int_equal(f.n, 0);

	/* Fleets: ours, another pool's, and ours cancelled. */
	moto_make_fleet(&w, sub_a, MINE, 1, mine, sizeof(mine));
	moto_make_fleet(&w, sub_b, OTHER_POOL, 1, other, sizeof(other));
	moto_make_fleet(&w, sub_b, MINE, 1, gone, sizeof(gone));
	cman_aws_params_init(&p, "CancelSpotFleetRequests", "2016-11-15");
	cman_aws_params_add(&p, "SpotFleetRequestId.1", gone);
	cman_aws_params_add(&p, "TerminateInstances", "true");
	moto_call(client, "ec2", &p, NULL, NULL, 0);
	rc = cman_aws_discover_sfrs(client, TAGKEY, "c1", "default", &f, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.ids[0], mine);
	assert_int_equal(f.skipped, 0);
	cman_aws_found_release(&f);
	assert_int_equal(cman_aws_discover_sfrs(client, TAGKEY, "c1", "batch", &f, &err), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.ids[0], other);
	cman_aws_found_release(&f);
}

static struct cman_aws_client *make_client(const char *url, long timeout_ms)
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
	cfg.max_attempts = 5;
	cfg.base_delay_ms = 1;
	cfg.max_delay_ms = 5;
	cfg.timeout_ms = timeout_ms;
	cfg.seed = 3;
	if (cman_aws_client_new(&cfg, &c, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return NULL;
	}
	return c;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest faked[] = {
		cmocka_unit_test(test_tag_values),
		cmocka_unit_test(test_asgs),
		cmocka_unit_test(test_sfrs),
		cmocka_unit_test(test_subnets),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_moto),
	};
	struct test_server srv;
	int rc;

	if (argc < 2 || strcmp(argv[1], "moto") != 0) {
		fake = fake_http_start();
		if (!fake || !(client = make_client(fake_http_url(fake), 20000)))
			return 1;
		rc = cmocka_run_group_tests_name("discovery (fake)", faked, NULL, NULL);
		cman_aws_client_free(client);
		fake_http_stop(fake);
		return rc;
	}
	rc = test_server_start_moto_ec2(&srv, 120);
	if (rc == -1)
		return TEST_SKIP_CODE;
	if (rc || !(client = make_client(srv.url, 60000))) {
		test_server_stop(&srv);
		return 1;
	}
	rc = cmocka_run_group_tests_name("discovery (moto_server)", real, NULL, NULL);
	cman_aws_client_free(client);
	test_server_stop(&srv);
	return rc;
}
