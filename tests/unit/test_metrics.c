/* Tests for cman/metrics.h: kinds, key normalization, key helpers, markets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cman/err.h"
#include "cman/metrics.h"

static void test_kinds(void **state)
{
	static const char *const names[] = { "system_metrics", "app_metrics", "metadata" };
	enum cman_metric_kind k;

	for (int i = 0; i < CMAN_KIND_COUNT; i++) {
		assert_string_equal(cman_kind_name((enum cman_metric_kind)i), names[i]);
		assert_int_equal(cman_kind_parse(names[i], &k), 0);
		assert_int_equal(k, i);
	}
	assert_int_equal(cman_kind_parse("metrics", &k), CMAN_EINVAL);
	assert_int_equal(cman_kind_parse("", &k), CMAN_EINVAL);
	assert_int_equal(cman_kind_parse("Metadata", &k), CMAN_EINVAL);
}

struct norm_case {
	const char *in;
	int rc;
	const char *want;     /* the key, or a piece of the error message */
};

static const struct norm_case norm_cases[] = {
	{ "cpus_allocated", 0, "cpus_allocated" },
	{ "  cpus_allocated  ", 0, "cpus_allocated" },
	{ "cpus_allocated|pool=batch.mesos,cluster=prod", 0,
	  "cpus_allocated|cluster=prod,pool=batch.mesos" },
	{ "cpus_allocated|cluster=prod,pool=batch.mesos", 0,
	  "cpus_allocated|cluster=prod,pool=batch.mesos" },
	{ " x | b = 2 , a = 1 ", 0, "x|a=1,b=2" },
	{ "x|c=3,a=1,b=2", 0, "x|a=1,b=2,c=3" },
	{ "x|", 0, "x" },
	{ "x|a=", 0, "x|a=" },
	{ "x|a=b=c", 0, "x|a=b=c" },
	{ "x|b=1,a=2,b=0", 0, "x|a=2,b=1,b=0" },   /* stable */
	{ "x|aa=1,a=2", 0, "x|a=2,aa=1" },
	/* legacy spot price dimensions */
	{ "spot_prices|AZ=us-west-2a,instance_type=c3.8xlarge", 0,
	  "spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=c3.8xlarge" },
	{ "spot_prices|instance_type=c3.8xlarge,AZ=us-west-2a", 0,
	  "spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=c3.8xlarge" },
	{ "spot_prices|aws_instance_type=m3.large,aws_availability_zone=us-west-2c", 0,
	  "spot_prices|aws_availability_zone=us-west-2c,aws_instance_type=m3.large" },
	/* only for spot_prices */
	{ "other|instance_type=c3.8xlarge,AZ=us-west-2a", 0,
	  "other|AZ=us-west-2a,instance_type=c3.8xlarge" },
	{ "spot_prices_x|AZ=a", 0, "spot_prices_x|AZ=a" },
	/* errors */
	{ "", CMAN_EINVAL, "empty metric name" },
	{ "   ", CMAN_EINVAL, "empty metric name" },
	{ "|a=1", CMAN_EINVAL, "empty metric name" },
	{ "x|a", CMAN_EINVAL, "has no '='" },
	{ "x|a=1,b", CMAN_EINVAL, "dimension 'b' has no '='" },
	{ "x|=1", CMAN_EINVAL, "empty dimension name" },
	{ "x|a=1,", CMAN_EINVAL, "empty dimension" },
	{ "x|a=1,,b=2", CMAN_EINVAL, "has no '='" },
};

static void test_key_normalize(void **state)
{
	for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const struct norm_case *c = &norm_cases[i];
		struct cman_error err = { 0 };
		char out[CMAN_KEY_MAX];
		int rc = cman_metric_key_normalize(c->in, out, sizeof(out), &err);

		if (rc != c->rc)
			fail_msg("case %zu '%s': rc %d, want %d (%s)", i, c->in, rc, c->rc, err.msg);
		if (rc == 0) {
			assert_string_equal(out, c->want);
		} else {
			if (!strstr(err.msg, c->want))
				fail_msg("case %zu '%s': message '%s' lacks '%s'", i, c->in, err.msg, c->want);
			assert_int_equal(err.code, CMAN_EINVAL);
		}
	}
}

static void test_key_normalize_too_long(void **state)
{
	char in[2000], out[64];
	struct cman_error err = { 0 };

	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	assert_int_equal(cman_metric_key_normalize(in, out, sizeof(out), &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "longer than 63 bytes"));
	assert_int_equal(cman_metric_key_normalize("abc|b=1,a=2", out, 8, NULL), CMAN_EINVAL);
	assert_int_equal(cman_metric_key_normalize("abc|b=1,a=2", out, 12, NULL), 0);
	assert_string_equal(out, "abc|a=2,b=1");
	assert_int_equal(cman_metric_key_normalize("abc|b=1,a=2", out, 11, NULL), CMAN_EINVAL);
}

static void test_key_helpers(void **state)
{
	char out[CMAN_KEY_MAX];

	assert_int_equal(cman_metric_key_pool(out, sizeof(out), "cpus_allocated", "prod", "batch",
					      "mesos"), 0);
	assert_string_equal(out, "cpus_allocated|cluster=prod,pool=batch.mesos");
	assert_int_equal(cman_metric_key_pool(out, 10, "cpus_allocated", "prod", "batch", "mesos"),
			 CMAN_EINVAL);
	assert_int_equal(cman_metric_key_spot_price(out, sizeof(out), "c5.xlarge", "us-west-2a"), 0);
	assert_string_equal(out, "spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=c5.xlarge");

	assert_int_equal(cman_metric_key_name("cpus_allocated|cluster=a", out, sizeof(out)), 0);
	assert_string_equal(out, "cpus_allocated");
	assert_int_equal(cman_metric_key_name("plain", out, sizeof(out)), 0);
	assert_string_equal(out, "plain");
	assert_int_equal(cman_metric_key_name("plain", out, 5), CMAN_EINVAL);

	assert_int_equal(cman_metric_key_dim("x|cluster=prod,pool=batch.mesos", "pool", out,
					     sizeof(out)), 0);
	assert_string_equal(out, "batch.mesos");
	assert_int_equal(cman_metric_key_dim("x|cluster=prod,pool=batch.mesos", "cluster", out,
					     sizeof(out)), 0);
	assert_string_equal(out, "prod");
	assert_int_equal(cman_metric_key_dim("x|cluster=,pool=b", "cluster", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(cman_metric_key_dim("x|cluster=prod", "pool", out, sizeof(out)), CMAN_ENOTFOUND);
	assert_int_equal(cman_metric_key_dim("x|clusterx=prod", "cluster", out, sizeof(out)),
			 CMAN_ENOTFOUND);
	assert_int_equal(cman_metric_key_dim("x", "cluster", out, sizeof(out)), CMAN_ENOTFOUND);
	assert_int_equal(cman_metric_key_dim("x|cluster=prod", "cluster", out, 4), CMAN_EINVAL);
}

struct market_case {
	const char *in;
	int rc;
	const char *type, *az;
};

static const struct market_case market_cases[] = {
	{ "<c5.xlarge, us-west-2a>", 0, "c5.xlarge", "us-west-2a" },
	{ "<c5.xlarge,us-west-2a>", 0, "c5.xlarge", "us-west-2a" },
	{ "< c5.xlarge ,  us-west-2a >", 0, "c5.xlarge", "us-west-2a" },
	{ "c3.8xlarge,us-west-2c", 0, "c3.8xlarge", "us-west-2c" },
	{ " c3.8xlarge, us-west-2c ", 0, "c3.8xlarge", "us-west-2c" },
	{ "", CMAN_EINVAL, NULL, NULL },
	{ "<>", CMAN_EINVAL, NULL, NULL },
	{ "c5.xlarge", CMAN_EINVAL, NULL, NULL },
	{ "<c5.xlarge us-west-2a>", CMAN_EINVAL, NULL, NULL },
	{ "<c5.xlarge, us-west-2a", CMAN_EINVAL, NULL, NULL },
	{ "c5.xlarge, us-west-2a>", CMAN_EINVAL, NULL, NULL },
	{ ",us-west-2a", CMAN_EINVAL, NULL, NULL },
	{ "c5.xlarge,", CMAN_EINVAL, NULL, NULL },
	{ "a,b,c", CMAN_EINVAL, NULL, NULL },
	{ "<a, b c>", CMAN_EINVAL, NULL, NULL },
	{ "<<a, b>>", CMAN_EINVAL, NULL, NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,us-west-2a", CMAN_EINVAL,
	  NULL, NULL },
	{ "c5.xlarge,us-west-2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", CMAN_EINVAL,
	  NULL, NULL },
};

static void test_market_parse(void **state)
{
	for (size_t i = 0; i < sizeof(market_cases) / sizeof(market_cases[0]); i++) {
		const struct market_case *c = &market_cases[i];
		char type[CMAN_TYPE_MAX], az[CMAN_AZ_MAX];
		int rc = cman_market_parse(c->in, type, sizeof(type), az, sizeof(az));

		if (rc != c->rc)
			fail_msg("case %zu '%s': rc %d, want %d", i, c->in, rc, c->rc);
		if (rc == 0) {
			assert_string_equal(type, c->type);
			assert_string_equal(az, c->az);
		}
	}
}

static void test_market_format(void **state)
{
	char out[64], type[CMAN_TYPE_MAX], az[CMAN_AZ_MAX];

	assert_int_equal(cman_market_format(out, sizeof(out), "c5.xlarge", "us-west-2a"), 0);
	assert_string_equal(out, "<c5.xlarge, us-west-2a>");
	assert_int_equal(cman_market_parse(out, type, sizeof(type), az, sizeof(az)), 0);
	assert_string_equal(type, "c5.xlarge");
	assert_string_equal(az, "us-west-2a");
	assert_int_equal(cman_market_format(out, 10, "c5.xlarge", "us-west-2a"), CMAN_EINVAL);
}

/* cman_metric_key_pool() writes what snprintf's "%s|cluster=%s,pool=%s.%s"
 * does, cut the same way, and fails exactly when that does not fit
 * (issue 12: it no longer calls snprintf). */
static void test_key_pool_as_snprintf(void **state)
{
	static const char *const parts[] = { "", "a", "cpus_allocated", "prod", "batch",
					     "mesos", "kubernetes", "x-very-long-pool-name" };
	char want[128], got[128];
	size_t np = sizeof(parts) / sizeof(parts[0]);

	(void)state;
	for (size_t a = 0; a < np; a++)
		for (size_t b = 0; b < np; b++)
			for (size_t c = 0; c < np; c += 3)
				for (size_t n = 1; n <= 80; n++) {
					int r = snprintf(want, n, "%s|cluster=%s,pool=%s.%s", parts[a],
							 parts[b], parts[c], parts[(a + b) % np]);
					int rc;

					memset(got, 'Z', sizeof(got));
					rc = cman_metric_key_pool(got, n, parts[a], parts[b], parts[c],
								  parts[(a + b) % np]);
					assert_int_equal(rc != 0, (size_t)r >= n);
					assert_string_equal(got, want);
					assert_int_equal(got[n], 'Z');   /* nothing past n */
				}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_key_normalize),
		cmocka_unit_test(test_key_normalize_too_long),
		cmocka_unit_test(test_key_helpers),
		cmocka_unit_test(test_key_pool_as_snprintf),
		cmocka_unit_test(test_market_parse),
		cmocka_unit_test(test_market_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
