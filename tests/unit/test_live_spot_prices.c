/*
 * test_live_spot_prices.c - DescribeSpotPriceHistory and the spot price
 * collector: pages, bad items, Clusterman's de-duplication (worked by hand
 * below), against the fake; and against moto_server when it is installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cman/live/spot_prices.h"
#include "fake_http.h"
#include "servers.h"

static struct fake_http *fake;
static struct cman_aws_client *client;

static struct cman_aws_client *make_client(const char *url)
{
	struct cman_aws_config cfg;
	struct cman_aws_client *c = NULL;
	struct cman_error err;

	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "spot-secret", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	setenv("AWS_ENDPOINT_URL", url, 1);
	cman_aws_config_init(&cfg);
	snprintf(cfg.region, sizeof(cfg.region), "us-west-2");
	cfg.seed = 3;
	if (cman_aws_client_new(&cfg, &c, &err))
		fprintf(stderr, "%s\n", err.msg);
	return c;
}

static char page_buf[8192];

static const char *page(const char *items, const char *token)
{
	snprintf(page_buf, sizeof(page_buf),
		 "<DescribeSpotPriceHistoryResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
		 "<requestId>r</requestId><spotPriceHistorySet>%s</spotPriceHistorySet>"
		 "<nextToken>%s</nextToken></DescribeSpotPriceHistoryResponse>", items, token);
	return page_buf;
}

static char item_buf[64][256];
static int n_items;

static const char *item(const char *type, const char *az, const char *when, const char *price)
{
	char *b = item_buf[n_items++ % 64];

	snprintf(b, 256,
		 "<item><instanceType>%s</instanceType><productDescription>Linux/UNIX (Amazon VPC)"
		 "</productDescription><spotPrice>%s</spotPrice><timestamp>%s</timestamp>"
		 "<availabilityZone>%s</availabilityZone></item>", type, price, when, az);
	return b;
}

struct seen {
	struct cman_spot_price p[16];
	int n;
};

static int on_price(void *ctx, const struct cman_spot_price *p)
{
	struct seen *s = ctx;

	if (s->n < 16)
		s->p[s->n] = *p;
	s->n++;
	return 0;
}

static void test_pages(void **state)
{
	struct seen seen = {0};
	struct cman_error err;
	char items[1024];
	struct fake_request r;

	fake_http_reset(fake);
	snprintf(items, sizeof(items), "%s%s",
		 item("c5.xlarge", "us-west-2a", "2023-10-18T11:58:20.000Z", "0.028700"),
		 item("c5.xlarge", "us-west-2b", "2023-10-18T11:50:00.000Z", "0.030000"));
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = page(items, "tok+1/=")});
	snprintf(items, sizeof(items), "%s",
		 item("m5.large", "us-west-2a", "2023-10-18T11:00:00Z", "0.04"));
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = page(items, "")});
	assert_int_equal(cman_spot_price_history(client, 1697626800, 1697630400,
						 "Linux/UNIX (Amazon VPC)", NULL, 0, on_price,
						 &seen, &err),
			 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.p[0].instance_type, "c5.xlarge");
	assert_string_equal(seen.p[0].az, "us-west-2a");
	assert_int_equal(seen.p[0].t, 1697630300);   /* 2023-10-18T11:58:20Z */
	assert_true(seen.p[0].price == 0.0287);
	assert_string_equal(seen.p[2].instance_type, "m5.large");
	assert_int_equal(fake_http_count(fake), 2);
	r = fake_http_request(fake, 0);
	assert_non_null(strstr(r.body, "Action=DescribeSpotPriceHistory&Version=2016-11-15"));
	assert_non_null(strstr(r.body, "StartTime=2023-10-18T11%3A00%3A00Z"));
	assert_non_null(strstr(r.body, "EndTime=2023-10-18T12%3A00%3A00Z"));
	assert_non_null(strstr(r.body, "ProductDescription.1=Linux%2FUNIX%20%28Amazon%20VPC%29"));
	assert_null(strstr(r.body, "NextToken"));
	r = fake_http_request(fake, 1);
	assert_non_null(strstr(r.body, "NextToken=tok%2B1%2F%3D"));
}

static void test_page_loop_and_bad_items(void **state)
{
	struct seen seen = {0};
	struct cman_error err;

	fake_http_reset(fake);
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = page("", "same")});
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = page("", "same")});
	assert_int_equal(cman_spot_price_history(client, 0, 100, "Linux/UNIX", NULL, 0, on_price,
						 &seen, &err),
			 CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "do not end"));

	fake_http_reset(fake);
	fake_http_push(fake, &(struct fake_reply){
		.status = 200, .body = page(item("c5.xlarge", "us-west-2a", "2023-10-18T11:58:20Z",
						 "abc"), "")});
	assert_int_equal(cman_spot_price_history(client, 0, 100, "Linux/UNIX", NULL, 0, on_price,
						 &seen, &err),
			 CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "bad spotPrice \"abc\""));

	fake_http_reset(fake);
	fake_http_push(fake, &(struct fake_reply){
		.status = 200, .body = page(item("c5.xlarge", "us-west-2a", "yesterday", "0.1"), "")});
	assert_int_equal(cman_spot_price_history(client, 0, 100, "Linux/UNIX", NULL, 0, on_price,
						 &seen, &err),
			 CMAN_ETRANSIENT);
	assert_non_null(strstr(err.msg, "bad timestamp"));
}

struct got {
	int64_t t[16];
	double v[16];
	int n;
};

static int on_sample(void *ctx, const struct cman_sample *s)
{
	struct got *g = ctx;

	if (g->n < 16) {
		g->t[g->n] = s->t;
		g->v[g->n] = s->value;
	}
	g->n++;
	return 0;
}

static void test_collect_dedupes(void **state)
{
	struct cman_store *st;
	struct cman_error err;
	struct got a = {0}, b = {0};
	char items[2048];
	size_t n = 0;

	/*
	 * d = 300.  Market A (c5.xlarge, us-west-2a), times as epoch seconds
	 * (1697630400 = 2023-10-18T12:00:00Z, a multiple of 300):
	 *   12:00:10 0.20 -> slot 12:05:00
	 *   11:56:40 0.12 -> slot 12:00:00   (newest of that slot)
	 *   11:55:10 0.11 -> slot 12:00:00
	 *   11:55:01 0.10 -> slot 12:00:00
	 * Market B (m5.large, us-west-2a): 11:55:00 0.05 is already on a slot.
	 * Expected: A (12:00:00, 0.12), (12:05:00, 0.20); B (11:55:00, 0.05).
	 * The prices come in a shuffled order on purpose.
	 */
	snprintf(items, sizeof(items), "%s%s%s%s%s",
		 item("c5.xlarge", "us-west-2a", "2023-10-18T11:55:10Z", "0.11"),
		 item("m5.large", "us-west-2a", "2023-10-18T11:55:00Z", "0.05"),
		 item("c5.xlarge", "us-west-2a", "2023-10-18T12:00:10Z", "0.20"),
		 item("c5.xlarge", "us-west-2a", "2023-10-18T11:55:01Z", "0.10"),
		 item("c5.xlarge", "us-west-2a", "2023-10-18T11:56:40Z", "0.12"));
	fake_http_reset(fake);
	fake_http_push(fake, &(struct fake_reply){.status = 200, .body = page(items, "")});
	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	assert_int_equal(cman_spot_prices_collect(client, st, 1697629800, 1697630700, 300,
						  "Linux/UNIX (Amazon VPC)", &n, &err),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(cman_store_values(st, CMAN_METADATA,
					   "spot_prices|aws_availability_zone=us-west-2a,"
					   "aws_instance_type=c5.xlarge", 0, 2000000000, on_sample,
					   &a, &err),
			 0);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.t[0], 1697630400);
	assert_true(a.v[0] == 0.12);
	assert_int_equal(a.t[1], 1697630700);
	assert_true(a.v[1] == 0.20);
	assert_int_equal(cman_store_values(st, CMAN_METADATA,
					   "spot_prices|aws_availability_zone=us-west-2a,"
					   "aws_instance_type=m5.large", 0, 2000000000, on_sample,
					   &b, &err),
			 0);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.t[0], 1697630100);
	assert_true(b.v[0] == 0.05);
	cman_store_free(st);

	assert_int_equal(cman_spot_prices_collect(client, NULL, 10, 0, 300, "x", &n, &err),
			 CMAN_EINVAL);
}

static int count(void *ctx, const struct cman_spot_price *p)
{
	(*(size_t *)ctx)++;
	return p->price > 0 && p->t > 0 && p->instance_type[0] && p->az[0] ? 0 : CMAN_EINVAL;
}

/* Against moto_server: its synthetic history parses, item by item. */
static void test_moto(void **state)
{
	struct test_server srv;
	struct cman_aws_client *c;
	struct cman_store *st;
	struct cman_error err;
	size_t n = 0, written = 0;
	int rc = test_server_start_moto_ec2(&srv, 120);

	if (rc == -1)
		skip();
	assert_int_equal(rc, 0);
	c = make_client(srv.url);
	assert_non_null(c);
	rc = cman_spot_price_history(c, 0, 2000000000, "Linux/UNIX", NULL, 0, count, &n, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_true(n > 0);
	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	assert_int_equal(cman_spot_prices_collect(c, st, 0, 2000000000, 300, "Linux/UNIX", &written,
						  &err),
			 0);
	assert_true(written > 0 && written <= n);
	cman_store_free(st);
	cman_aws_client_free(c);
	test_server_stop(&srv);
}

static int setup(void **state)
{
	fake = fake_http_start();
	if (!fake)
		return -1;
	client = make_client(fake_http_url(fake));
	return client ? 0 : -1;
}

static int teardown(void **state)
{
	cman_aws_client_free(client);
	fake_http_stop(fake);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_page_loop_and_bad_items),
		cmocka_unit_test(test_collect_dedupes),
		cmocka_unit_test(test_moto),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
