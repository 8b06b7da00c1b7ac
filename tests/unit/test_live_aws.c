/*
 * test_live_aws.c - the AWS client: credentials, endpoints, request bodies,
 * back-off, and every failure class against the fault-injecting fake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman/live/aws.h"
#include "cman/live/xml.h"
#include "fake_http.h"
#include "cman_test.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"

static struct fake_http *fake;
static long sleeps[64];
static int n_sleeps;

static void count_sleep(void *ctx, long ms)
{
	if (n_sleeps < 64)
		sleeps[n_sleeps] = ms;
	n_sleeps++;
}

static void clear_env(void)
{
	static const char *vars[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2",
		"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_AUTO_SCALING",
		"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
	};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("HOME", "/nonexistent-home", 1);
}

static struct cman_aws_client *fake_client(int attempts, long timeout_ms)
{
	struct cman_aws_config cfg;
	struct cman_aws_client *c = NULL;
	struct cman_error err;

	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_ENDPOINT_URL", fake_http_url(fake), 1);
	cman_aws_config_init(&cfg);
	snprintf(cfg.region, sizeof(cfg.region), "us-west-2");
	cfg.max_attempts = attempts;
	cfg.timeout_ms = timeout_ms;
	cfg.seed = 42;
	cfg.sleep_ms = count_sleep;
	n_sleeps = 0;
	assert_int_equal(cman_aws_client_new(&cfg, &c, &err), 0);
	fake_http_reset(fake);
	return c;
}

static int setup(void **state)
{
	fake = fake_http_start();
	return fake ? 0 : -1;
}

static int teardown(void **state)
{
	fake_http_stop(fake);
	return 0;
}

static void test_credentials(void **state)
{
	char dir[] = "/tmp/cman-aws-XXXXXX", creds[256], config[256], keyfile[256];
	struct cman_aws_config cfg;
	struct cman_aws_client *c;
	struct cman_error err;

	assert_non_null(mkdtemp(dir));
	snprintf(creds, sizeof(creds), "%s/credentials", dir);
	snprintf(config, sizeof(config), "%s/config", dir);
	snprintf(keyfile, sizeof(keyfile), "%s/key.json", dir);
	cman_test_write_file(creds, "[default]\naws_access_key_id = AKIDDEFAULT\n"
			            "aws_secret_access_key = s1\n\n[ops]\n aws_access_key_id=AKIDOPS \n"
			            "aws_secret_access_key=s2\naws_session_token = tok\n");
	cman_test_write_file(config, "[default]\nregion = eu-west-1\n[profile ops]\nregion = us-east-2\n");
	cman_test_write_file(keyfile, "{\"accessKeyId\": \"AKIDFILE\", \"secretAccessKey\": \"s3\"}");

	/* Nothing anywhere: a clear error. */
	clear_env();
	cman_aws_config_init(&cfg);
	assert_int_equal(cman_aws_client_new(&cfg, &c, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "no AWS credentials"));

	/* Shared files, default profile. */
	setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
	setenv("AWS_CONFIG_FILE", config, 1);
	assert_int_equal(cman_aws_client_new(&cfg, &c, &err), 0);
	assert_string_equal(cman_aws_access_key_id(c), "AKIDDEFAULT");
	assert_string_equal(cman_aws_region(c), "eu-west-1");
	cman_aws_client_free(c);

	/* AWS_PROFILE picks the section, and the profile's region. */
	setenv("AWS_PROFILE", "ops", 1);
	assert_int_equal(cman_aws_client_new(&cfg, &c, &err), 0);
	assert_string_equal(cman_aws_access_key_id(c), "AKIDOPS");
	assert_string_equal(cman_aws_region(c), "us-east-2");
	cman_aws_client_free(c);

	/* AWS_REGION wins over the profile's region; environment keys over files. */
	setenv("AWS_REGION", "ap-south-1", 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s4", 1);
	assert_int_equal(cman_aws_client_new(&cfg, &c, &err), 0);
	assert_string_equal(cman_aws_access_key_id(c), "AKIDENV");
	assert_string_equal(cman_aws_region(c), "ap-south-1");
	cman_aws_client_free(c);

	/* The key file is used unless AWS_PROFILE is set (Clusterman's rule). */
	snprintf(cfg.access_key_file, sizeof(cfg.access_key_file), "%s", keyfile);
	assert_int_equal(cman_aws_client_new(&cfg, &c, &err), 0);
	assert_string_equal(cman_aws_access_key_id(c), "AKIDENV");
	cman_aws_client_free(c);
	unsetenv("AWS_PROFILE");
	assert_int_equal(cman_aws_client_new(&cfg, &c, &err), 0);
	assert_string_equal(cman_aws_access_key_id(c), "AKIDFILE");
	cman_aws_client_free(c);

	/* A malformed key file names itself. */
	cman_test_write_file(keyfile, "{\"accessKeyId\": 3}");
	assert_int_equal(cman_aws_client_new(&cfg, &c, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, keyfile));

	unlink(creds);
	unlink(config);
	unlink(keyfile);
	rmdir(dir);
}

static void test_endpoints(void **state)
{
	struct cman_aws_config cfg;
	struct cman_aws_client *c;
	struct cman_error err;
	char url[256];

	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
	cman_aws_config_init(&cfg);
	snprintf(cfg.region, sizeof(cfg.region), "us-west-2");
	assert_int_equal(cman_aws_client_new(&cfg, &c, &err), 0);
	assert_int_equal(cman_aws_endpoint(c, "ec2", url, sizeof(url), &err), 0);
	assert_string_equal(url, "https://ec2.us-west-2.amazonaws.com");
	cman_aws_client_free(c);

	snprintf(cfg.endpoint_url, sizeof(cfg.endpoint_url), "http://127.0.0.1:5000/{svc}/x");
	assert_int_equal(cman_aws_client_new(&cfg, &c, &err), 0);
	assert_int_equal(cman_aws_endpoint(c, "autoscaling", url, sizeof(url), &err), 0);
	assert_string_equal(url, "http://127.0.0.1:5000/autoscaling/x");

	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:7000", 1);
	assert_int_equal(cman_aws_endpoint(c, "autoscaling", url, sizeof(url), &err), 0);
	assert_string_equal(url, "http://127.0.0.1:7000");
	setenv("AWS_ENDPOINT_URL_AUTO_SCALING", "http://127.0.0.1:7001", 1);
	assert_int_equal(cman_aws_endpoint(c, "autoscaling", url, sizeof(url), &err), 0);
	assert_string_equal(url, "http://127.0.0.1:7001");
	assert_int_equal(cman_aws_endpoint(c, "dynamodb", url, sizeof(url), &err), 0);
	assert_string_equal(url, "http://127.0.0.1:7000");
	setenv("AWS_ENDPOINT_URL_DYNAMODB", "ftp://nope", 1);
	assert_int_equal(cman_aws_endpoint(c, "dynamodb", url, sizeof(url), &err), CMAN_EINVAL);
	cman_aws_client_free(c);
}

static void test_params(void **state)
{
	struct cman_aws_params p;

	cman_aws_params_init(&p, "DescribeSpotPriceHistory", "2016-11-15");
	cman_aws_params_add(&p, "ProductDescription.1", "Linux/UNIX (Amazon VPC)");
	cman_aws_params_addf(&p, "MaxResults", "%d", 500);
	assert_string_equal(p.buf, "Action=DescribeSpotPriceHistory&Version=2016-11-15"
				   "&ProductDescription.1=Linux%2FUNIX%20%28Amazon%20VPC%29"
				   "&MaxResults=500");
	cman_aws_params_release(&p);
}

static void test_backoff(void **state)
{
	/* Full jitter: the ceiling doubles from base up to max; u scales it. */
	assert_int_equal(cman_aws_backoff_ms(100, 20000, 1, 0.0, 0), 0);
	assert_int_equal(cman_aws_backoff_ms(100, 20000, 1, 0.999999, 0), 100);
	assert_int_equal(cman_aws_backoff_ms(100, 20000, 3, 0.999999, 0), 400);
	assert_int_equal(cman_aws_backoff_ms(100, 20000, 3, 0.5, 0), 200);
	assert_int_equal(cman_aws_backoff_ms(100, 20000, 30, 0.999999, 0), 20000);
	assert_int_equal(cman_aws_backoff_ms(100, 20000, 60, 0.999999, 0), 20000);
	/* A provider hint raises the wait, never past the cap. */
	assert_int_equal(cman_aws_backoff_ms(100, 20000, 1, 0.0, 3000), 3000);
	assert_int_equal(cman_aws_backoff_ms(100, 20000, 1, 0.0, 90000), 20000);
}

static void test_query_ok_and_signed(void **state)
{
	struct cman_aws_client *c = fake_client(3, 5000);
	struct cman_aws_params p;
	struct cman_aws_fault f;
	struct cman_error err;
	struct fake_request req;
	char *body;
	size_t len;

	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = "<R xmlns=\"x\"><return>true</return></R>"});
	cman_aws_params_init(&p, "ModifySpotFleetRequest", "2016-11-15");
	cman_aws_params_add(&p, "TargetCapacity", "12");
	assert_int_equal(cman_aws_query(c, "ec2", &p, 0, &body, &len, &f, &err), 0);
	assert_string_equal(body, "<R xmlns=\"x\"><return>true</return></R>");
	assert_int_equal(f.attempts, 1);
	free(body);
	assert_int_equal(fake_http_count(fake), 1);
	req = fake_http_request(fake, 0);
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.body, p.buf);
	assert_non_null(strstr(req.content_type, "application/x-www-form-urlencoded"));
	/* Signed by SigV4 with the right scope; the secret itself never travels. */
	assert_non_null(strstr(req.authorization, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
	assert_non_null(strstr(req.authorization, "/us-west-2/ec2/aws4_request"));
	assert_non_null(strstr(req.authorization, "Signature="));
	assert_null(strstr(req.authorization, SECRET));
	assert_string_equal(req.token, "");
	cman_aws_params_release(&p);
	cman_aws_client_free(c);
}

static void test_session_token(void **state)
{
	struct cman_aws_client *c;
	struct cman_aws_params p;
	struct cman_error err;
	char *body;

	setenv("AWS_SESSION_TOKEN", "FQoGZXIvYXdzTOKEN", 1);
	c = fake_client(1, 5000);
	setenv("AWS_SESSION_TOKEN", "FQoGZXIvYXdzTOKEN", 1);
	cman_aws_client_free(c);
	{
		struct cman_aws_config cfg;

		cman_aws_config_init(&cfg);
		snprintf(cfg.region, sizeof(cfg.region), "us-west-2");
		assert_int_equal(cman_aws_client_new(&cfg, &c, &err), 0);
	}
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = "<ok/>"});
	cman_aws_params_init(&p, "DescribeInstances", "2016-11-15");
	assert_int_equal(cman_aws_query(c, "ec2", &p, 0, &body, NULL, NULL, &err), 0);
	free(body);
	assert_string_equal(fake_http_request(fake, 0).token, "FQoGZXIvYXdzTOKEN");
	unsetenv("AWS_SESSION_TOKEN");
	cman_aws_params_release(&p);
	cman_aws_client_free(c);
}

static const char *throttle_xml =
	"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit "
	"exceeded.</Message></Error></Errors><RequestID>req-7</RequestID></Response>";

static void test_throttled_then_ok(void **state)
{
	struct cman_aws_client *c = fake_client(5, 5000);
	struct cman_aws_params p;
	struct cman_aws_fault f;
	struct cman_error err;
	char *body;

	fake_http_push(fake, &(struct fake_reply){.status = 503, .body = throttle_xml});
	fake_http_push(fake, &(struct fake_reply){.status = 503, .body = throttle_xml, .header = "Retry-After: 2"});
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = "<ok/>"});
	cman_aws_params_init(&p, "DescribeSpotFleetRequests", "2016-11-15");
	/* Throttling is retried even for a call that is not idempotent: it was
	 * refused, not applied. */
	assert_int_equal(cman_aws_query(c, "ec2", &p, 0, &body, NULL, &f, &err), 0);
	free(body);
	assert_int_equal(f.attempts, 3);
	assert_int_equal(fake_http_count(fake), 3);
	assert_int_equal(n_sleeps, 2);
	assert_true(sleeps[0] >= 0 && sleeps[0] <= 100);
	assert_true(sleeps[1] >= 2000);   /* the Retry-After hint */
	cman_aws_params_release(&p);
	cman_aws_client_free(c);
}

static void test_throttled_gives_up(void **state)
{
	struct cman_aws_client *c = fake_client(4, 5000);
	struct cman_aws_params p;
	struct cman_aws_fault f;
	struct cman_error err;
	char *body = (char *)1;

	for (int i = 0; i < 6; i++)
		fake_http_push(fake, &(struct fake_reply){.status = 503, .body = throttle_xml});
	cman_aws_params_init(&p, "DescribeInstances", "2016-11-15");
	assert_int_equal(cman_aws_query(c, "ec2", &p, CMAN_AWS_IDEMPOTENT, &body, NULL, &f, &err),
			 CMAN_ETHROTTLED);
	assert_null(body);
	assert_int_equal(f.kind, CMAN_ETHROTTLED);
	assert_int_equal(f.attempts, 4);
	assert_int_equal(fake_http_count(fake), 4);
	assert_string_equal(f.code, "RequestLimitExceeded");
	assert_string_equal(f.message, "Request limit exceeded.");
	assert_string_equal(f.request_id, "req-7");
	assert_non_null(strstr(err.msg, "throttled"));
	assert_non_null(strstr(err.msg, "RequestLimitExceeded"));
	assert_non_null(strstr(err.msg, "after 4 attempts"));
	assert_null(strstr(err.msg, SECRET));
	cman_aws_params_release(&p);
	cman_aws_client_free(c);
}

static void test_rejected_not_retried(void **state)
{
	struct cman_aws_client *c = fake_client(5, 5000);
	struct cman_aws_params p;
	struct cman_aws_fault f;
	struct cman_error err;
	char *body;

	fake_http_push(fake, &(struct fake_reply){.status = 400, .body = "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
		     "<Message>New SetDesiredCapacity value 99 is above max value 50</Message>"
		     "</Error><RequestId>r-9</RequestId></ErrorResponse>"});
	cman_aws_params_init(&p, "SetDesiredCapacity", "2011-01-01");
	assert_int_equal(cman_aws_query(c, "autoscaling", &p, CMAN_AWS_IDEMPOTENT, &body, NULL,
					&f, &err),
			 CMAN_EREJECTED);
	assert_int_equal(fake_http_count(fake), 1);
	assert_string_equal(f.code, "ValidationError");
	assert_string_equal(f.request_id, "r-9");
	assert_int_equal(f.http_status, 400);
	assert_non_null(strstr(err.msg, "above max value 50"));
	cman_aws_params_release(&p);
	cman_aws_client_free(c);
}

static void test_5xx_only_retried_when_idempotent(void **state)
{
	struct cman_aws_client *c = fake_client(3, 5000);
	struct cman_aws_params p;
	struct cman_aws_fault f;
	struct cman_error err;
	const char *unavail = "<Response><Errors><Error><Code>Unavailable</Code><Message>try "
			      "later</Message></Error></Errors></Response>";
	char *body;

	cman_aws_params_init(&p, "TerminateInstances", "2016-11-15");
	fake_http_push(fake, &(struct fake_reply){.status = 500, .body = unavail});
	fake_http_push(fake, &(struct fake_reply){.status = 500, .body = unavail});
	/* Not idempotent: one attempt, the caller decides. */
	assert_int_equal(cman_aws_query(c, "ec2", &p, 0, &body, NULL, &f, &err), CMAN_ETRANSIENT);
	assert_int_equal(fake_http_count(fake), 1);
	assert_int_equal(f.attempts, 1);
	/* Idempotent: retried, and the second 500 then a 200 succeeds. */
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = "<ok/>"});
	assert_int_equal(cman_aws_query(c, "ec2", &p, CMAN_AWS_IDEMPOTENT, &body, NULL, &f, &err),
			 0);
	free(body);
	assert_int_equal(fake_http_count(fake), 3);
	cman_aws_params_release(&p);
	cman_aws_client_free(c);
}

static void test_timeout(void **state)
{
	struct cman_aws_client *c = fake_client(3, 300);
	struct cman_aws_params p;
	struct cman_aws_fault f;
	struct cman_error err;
	char *body;

	cman_aws_params_init(&p, "ModifySpotFleetRequest", "2016-11-15");
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = "<ok/>", .delay_ms = 1500});
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = "<ok/>"});
	/* A timed-out call may have been applied: not resent unless idempotent. */
	assert_int_equal(cman_aws_query(c, "ec2", &p, 0, &body, NULL, &f, &err), CMAN_ETIMEOUT);
	assert_int_equal(f.attempts, 1);
	assert_non_null(strstr(err.msg, "timed out"));
	cman_aws_params_release(&p);
	cman_aws_client_free(c);
}

static void test_truncated_and_malformed(void **state)
{
	struct cman_aws_client *c = fake_client(2, 5000);
	struct cman_aws_params p;
	struct cman_aws_fault f;
	struct cman_error err;
	json_t *req = json_object(), *ans = NULL;
	char *body;

	cman_aws_params_init(&p, "DescribeInstances", "2016-11-15");
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = "<DescribeInstancesResponse><reservationSet>"
						       "</reservationSet></DescribeInstancesResponse>", .truncate = 1});
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = "<ok/>"});
	/* Truncated mid-body, idempotent: retried and then fine. */
	assert_int_equal(cman_aws_query(c, "ec2", &p, CMAN_AWS_IDEMPOTENT, &body, NULL, &f, &err),
			 0);
	free(body);
	assert_int_equal(fake_http_count(fake), 2);

	/* A 200 whose JSON is malformed is a transient failure, not a success. */
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = "{\"Items\": [", .content_type = "application/x-amz-json-1.0"});
	assert_int_equal(cman_aws_json(c, "dynamodb", "DynamoDB_20120810.Query", req, 0, &ans, &f,
				       &err),
			 CMAN_ETRANSIENT);
	assert_null(ans);
	assert_non_null(strstr(err.msg, "malformed JSON"));

	/* Malformed XML is reported by the parser with its line. */
	{
		xmlDocPtr doc;

		assert_int_equal(cman_xml_parse("<a><b></a>", 10, "DescribeInstances", &doc, &err),
				 CMAN_ETRANSIENT);
		assert_non_null(strstr(err.msg, "malformed XML"));
	}
	json_decref(req);
	cman_aws_params_release(&p);
	cman_aws_client_free(c);
}

static void test_dynamodb_errors(void **state)
{
	struct cman_aws_client *c = fake_client(3, 5000);
	struct cman_aws_fault f;
	struct cman_error err;
	json_t *req = json_pack("{s:s}", "TableName", "t"), *ans = NULL;
	struct fake_request r;

	fake_http_push(fake, &(struct fake_reply){.status = 400, .body = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\","
		     "\"message\":\"slow down\"}", .content_type = "application/x-amz-json-1.0"});
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = "{\"Items\":[],\"Count\":0}", .content_type = "application/x-amz-json-1.0"});
	assert_int_equal(cman_aws_json(c, "dynamodb", "DynamoDB_20120810.Query", req, 0, &ans, &f,
				       &err),
			 0);
	assert_int_equal(f.attempts, 2);
	assert_int_equal(json_integer_value(json_object_get(ans, "Count")), 0);
	json_decref(ans);
	r = fake_http_request(fake, 0);
	assert_string_equal(r.target, "DynamoDB_20120810.Query");
	assert_string_equal(r.content_type, "application/x-amz-json-1.0");
	assert_string_equal(r.body, "{\"TableName\":\"t\"}");
	assert_non_null(strstr(r.authorization, "/us-west-2/dynamodb/aws4_request"));

	fake_http_push(fake, &(struct fake_reply){.status = 400, .body = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\","
		     "\"message\":\"Requested resource not found\"}", .content_type = "application/x-amz-json-1.0"});
	assert_int_equal(cman_aws_json(c, "dynamodb", "DynamoDB_20120810.Query", req, 0, &ans, &f,
				       &err),
			 CMAN_EREJECTED);
	assert_string_equal(f.code, "ResourceNotFoundException");
	json_decref(req);
	cman_aws_client_free(c);
}

static void test_refused_connection(void **state)
{
	struct cman_aws_client *c = fake_client(3, 2000);
	struct cman_aws_params p;
	struct cman_aws_fault f;
	struct cman_error err;
	char *body;

	/* Port 1 on loopback: nothing listens there. */
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
	cman_aws_params_init(&p, "TerminateInstances", "2016-11-15");
	assert_int_equal(cman_aws_query(c, "ec2", &p, 0, &body, NULL, &f, &err), CMAN_ETRANSIENT);
	/* Nothing was sent, so even a non-idempotent call is retried. */
	assert_int_equal(f.attempts, 3);
	cman_aws_params_release(&p);
	cman_aws_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_query_ok_and_signed),
		cmocka_unit_test(test_session_token),
		cmocka_unit_test(test_throttled_then_ok),
		cmocka_unit_test(test_throttled_gives_up),
		cmocka_unit_test(test_rejected_not_retried),
		cmocka_unit_test(test_5xx_only_retried_when_idempotent),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_truncated_and_malformed),
		cmocka_unit_test(test_dynamodb_errors),
		cmocka_unit_test(test_refused_connection),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
