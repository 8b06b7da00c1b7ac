/*
 * Tests for cman/import.h: both shared Clusterman JSON files, the CSV
 * layout, format sniffing, catalog validation and the error messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"
#include <jansson.h>
#include <zlib.h>

#include "cman/catalog.h"
#include "cman/err.h"
#include "cman/import.h"
#include "cman/metrics.h"
#include "cman/store.h"

#define DATA CMAN_SOURCE_DIR "/tests/data/"
#define ITEST DATA "import_itest-metrics.json.gz"
#define DOCS DATA "import_docs-example-metrics.json.gz"
#define SAMPLE_CSV DATA "import_sample.csv"

static char tmpdir[96];

static int group_setup(void **state)
{
	return cman_test_mkdtemp(tmpdir, sizeof(tmpdir), "cman_test_import_") ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct cman_catalog *catalog(void)
{
	const struct cman_catalog *cat = NULL;
	struct cman_error err = { 0 };

	if (cman_catalog_builtin(&cat, &err))
		fail_msg("catalog: %s", err.msg);
	return cat;
}

static void tmp_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static void write_gz(const char *path, const char *text)
{
	gzFile gz = gzopen(path, "wb");

	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, text, (unsigned)strlen(text)), (int)strlen(text));
	assert_int_equal(gzclose(gz), Z_OK);
}

/* "t=v ..." or "t={type/az=v;...}:sum" rendering of a series. */
static void render(struct cman_store *st, enum cman_metric_kind kind, const char *key,
		   int64_t t0, int64_t t1, char *out, size_t cap)
{
	struct cman_cursor *cur = NULL;
	struct cman_error err = { 0 };
	struct cman_sample s;
	size_t pos = 0;
	int rc, i = 0;

	out[0] = '\0';
	if (cman_store_open_cursor(st, kind, key, t0, t1, 0, &cur, &err))
		fail_msg("cursor: %s", err.msg);
	while ((rc = cman_cursor_next(cur, &s, &err)) == 1) {
		pos += (size_t)snprintf(out + pos, cap - pos, "%s%lld=", i++ ? " " : "", (long long)s.t);
		if (!s.is_map) {
			pos += (size_t)snprintf(out + pos, cap - pos, "%.17g", s.value);
			continue;
		}
		pos += (size_t)snprintf(out + pos, cap - pos, "{");
		for (size_t j = 0; j < s.n_markets; j++)
			pos += (size_t)snprintf(out + pos, cap - pos, "%s%s/%s=%.17g", j ? ";" : "",
						s.markets[j].instance_type, s.markets[j].az,
						s.markets[j].value);
		pos += (size_t)snprintf(out + pos, cap - pos, "}:%.17g", s.value);
	}
	assert_int_equal(rc, 0);
	cman_cursor_close(cur);
}

static size_t count(struct cman_store *st, enum cman_metric_kind kind, const char *key)
{
	struct cman_cursor *cur = NULL;
	struct cman_error err = { 0 };
	struct cman_sample s;
	size_t n = 0;

	assert_int_equal(cman_store_open_cursor(st, kind, key, INT64_MIN, INT64_MAX, 0, &cur, &err), 0);
	while (cman_cursor_next(cur, &s, &err) == 1)
		n++;
	cman_cursor_close(cur);
	return n;
}

static void expect_series(struct cman_store *st, enum cman_metric_kind kind, const char *key,
			  int64_t t0, int64_t t1, const char *want)
{
	char got[8192];

	render(st, kind, key, t0, t1, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s:\n got  '%s'\n want '%s'", key, got, want);
}

struct keys {
	int n;
	char k[16][128];
};

static int key_cb(void *ctx, const char *key)
{
	struct keys *ks = ctx;

	if (ks->n < 16)
		snprintf(ks->k[ks->n], 128, "%s", key);
	ks->n++;
	return 0;
}

/* ---- the shared files ---- */

static void check_itest(struct cman_store *st)
{
	const char *fc = "fulfilled_capacity|cluster=local-dev,pool=default.mesos";
	struct cman_error err = { 0 };
	struct keys ks = { 0 };
	int64_t t;
	double v;

	expect_series(st, CMAN_METADATA, fc, 1512144000, 1512144120,
		      "1512144000={m3.large/us-west-2a=7;m3.large/us-west-2b=2}:9 "
		      "1512144060={m3.large/us-west-2a=10;m3.large/us-west-2c=1}:11 "
		      "1512144120={m3.large/us-west-2a=6;m3.large/us-west-2b=10;m3.large/us-west-2c=5}:21");
	expect_series(st, CMAN_METADATA, fc, 1512147540, INT64_MAX,
		      "1512147540={m3.large/us-west-2b=4}:4");
	assert_int_equal(count(st, CMAN_METADATA, fc), 60);
	assert_int_equal(cman_store_keys(st, CMAN_METADATA, "", key_cb, &ks, &err), 0);
	assert_int_equal(ks.n, 5);
	assert_string_equal(ks.k[0], fc);
	assert_string_equal(ks.k[1], "spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=m3.large");
	assert_string_equal(ks.k[4], "target_capacity|cluster=local-dev,pool=default.mesos");
	ks.n = 0;
	assert_int_equal(cman_store_keys(st, CMAN_SYSTEM_METRICS, "", key_cb, &ks, &err), 0);
	assert_int_equal(ks.n, 3);   /* the keys with empty arrays have no samples */
	assert_string_equal(ks.k[0], "cpus_allocated|cluster=local-dev,pool=default.mesos");
	assert_string_equal(ks.k[1], "disk_allocated|cluster=local-dev,pool=default.mesos");
	assert_string_equal(ks.k[2], "mem_allocated|cluster=local-dev,pool=default.mesos");
	assert_int_equal(cman_store_latest(st, CMAN_SYSTEM_METRICS,
					   "cpus_allocated|cluster=local-dev,pool=default.mesos",
					   INT64_MAX, &t, &v, &err), 1);
	assert_int_equal(t, 1512147540);
	assert_true(v == 5);
	expect_series(st, CMAN_METADATA,
		      "spot_prices|aws_availability_zone=us-west-2c,aws_instance_type=m3.large",
		      1512144000, 1512144000, "1512144000=2");
}

static void test_itest_file(void **state)
{
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };
	struct cman_import_stats stats = { 99, 99 };

	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	if (cman_import_clusterman_json(ITEST, st, catalog(), &stats, &err))
		fail_msg("import: %s", err.msg);
	assert_int_equal(stats.series, 8);
	assert_int_equal(stats.samples, 480);
	check_itest(st);
	cman_store_free(st);
}

static void test_docs_file(void **state)
{
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };
	struct cman_import_stats stats = { 0 };
	char got[4096];

	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	if (cman_import_file(DOCS, st, catalog(), &stats, &err))
		fail_msg("import: %s", err.msg);
	assert_int_equal(stats.series, 5);
	assert_int_equal(stats.samples, 64);
	/* legacy dimension names are normalized; "+0000" offsets parsed */
	expect_series(st, CMAN_METADATA,
		      "spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=c3.8xlarge",
		      1501599600, 1501599600 + 179, "1501599600=0.21831870195886383 1501599779=0.048851979762774667");
	assert_int_equal(count(st, CMAN_METADATA,
			       "spot_prices|aws_availability_zone=us-west-2b,aws_instance_type=c3.8xlarge"), 15);
	assert_int_equal(count(st, CMAN_METADATA,
			       "spot_prices|aws_availability_zone=us-west-2c,aws_instance_type=c3.8xlarge"), 10);
	/* "c3.8xlarge,us-west-2c" markets */
	expect_series(st, CMAN_METADATA, "capacity|cluster=norcal-prod,role=seagull", 1501599600,
		      1501599600 + 740,
		      "1501599600={c3.8xlarge/us-west-2b=36;c3.8xlarge/us-west-2c=10}:46 "
		      "1501600340={c3.8xlarge/us-west-2c=35}:35");
	assert_int_equal(count(st, CMAN_METADATA, "capacity|cluster=norcal-prod,role=seagull"), 8);
	assert_int_equal(count(st, CMAN_APP_METRICS, "seagull_runs"), 19);
	render(st, CMAN_APP_METRICS, "seagull_runs", 1501603097, 1501603097, got, sizeof(got));
	assert_string_equal(got, "1501603097=1");   /* 15:58:17 */
	cman_store_free(st);
}

/* The same file into SQLite, in one transaction, then read back after reopening. */
static void test_itest_into_sqlite(void **state)
{
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };
	struct cman_import_stats stats = { 0 };
	char path[128], bad[128];
	int rc;

	tmp_path(path, sizeof(path), "itest.sqlite");
	assert_int_equal(cman_store_sqlite_open(path, true, &st, &err), 0);
	assert_int_equal(cman_store_begin(st, &err), 0);
	assert_int_equal(cman_import_file(ITEST, st, NULL, &stats, &err), 0);
	assert_int_equal(cman_store_commit(st, &err), 0);
	assert_int_equal(stats.samples, 480);
	cman_store_free(st);
	assert_int_equal(cman_store_sqlite_open(path, false, &st, &err), 0);
	check_itest(st);

	/* a failing import rolled back leaves the database as it was */
	tmp_path(bad, sizeof(bad), "late-error.json.gz");
	write_gz(bad, "{\"metadata\": {\"target_capacity|cluster=local-dev,pool=default.mesos\":"
		 " [[1512200000, 1], [1512200060, 2], [1512200120, \"x\"]]}}");
	assert_int_equal(cman_store_begin(st, &err), 0);
	rc = cman_import_file(bad, st, NULL, &stats, &err);
	assert_int_equal(rc, CMAN_EINVAL);
	assert_int_equal(stats.samples, 2);
	cman_store_rollback(st);
	assert_int_equal(count(st, CMAN_METADATA,
			       "target_capacity|cluster=local-dev,pool=default.mesos"), 60);
	cman_store_free(st);
}

/* ---- JSON variants and errors ---- */

static void test_json_variants(void **state)
{
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };
	struct cman_import_stats stats = { 0 };
	char path[128];
	const char *text =
		"{\"py/object\": \"collections.defaultdict\",\n"
		" \"app_metrics\": {\"default_factory\": {\"py/type\": \"builtins.list\"},\n"
		"   \"py/anything\": 3,\n"
		"   \" b | z=1, a=2 \": [[\"2017-12-01T16:00:00Z\", 1.5], [1512144060, 2],\n"
		"     [\"2017-12-01 17:02:00+01:00\", 3], [1512144180.9, 4],\n"
		"     {\"py/tuple\": [{\"py/object\": \"arrow.arrow.Arrow\", \"timestamp\": 1512144240}, 5]},\n"
		"     {\"py/tuple\": [\"1512144300\", {\"<a.b, us-west-2a>\": 1, \"a.b,us-west-2b\": 0.5}]},\n"
		"     [1512144360, {}]]},\n"
		" \"metadata\": {}}\n";

	tmp_path(path, sizeof(path), "variants.json");
	write_file(path, text, strlen(text));   /* uncompressed */
	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	if (cman_import_file(path, st, NULL, &stats, &err))
		fail_msg("import: %s", err.msg);
	assert_int_equal(stats.series, 1);
	assert_int_equal(stats.samples, 7);
	expect_series(st, CMAN_APP_METRICS, "b|a=2,z=1", INT64_MIN, INT64_MAX,
		      "1512144000=1.5 1512144060=2 1512144120=3 1512144180=4 1512144240=5 "
		      "1512144300={a.b/us-west-2a=1;a.b/us-west-2b=0.5}:1.5 1512144360={}:0");
	/* the same through the JSON importer directly, gzipped */
	tmp_path(path, sizeof(path), "variants.json.gz");
	write_gz(path, text);
	cman_store_free(st);
	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	assert_int_equal(cman_import_clusterman_json(path, st, NULL, &stats, &err), 0);
	assert_int_equal(stats.samples, 7);
	cman_store_free(st);
}

struct json_err_case {
	const char *text;     /* NULL: special file */
	bool gz;
	bool with_catalog;
	const char *want[3];  /* pieces of the message after "FILE" */
};

static const struct json_err_case json_err_cases[] = {
	{ "{\n  \"metadata\": {,}\n}\n", true, false, { ":2:16: string or '}' expected near ','" } },
	{ "{\"metadata\": {\"k\": [[1, 2]]}", true, false, { ":1:29: ',' or '}' expected near end of file" } },
	{ "[1, 2]", true, false, { ": expected a JSON object of metric kinds at the top level, got an array" } },
	{ "{\"metadata\": {\"k\": [[1, 2] \"x\"]}}", true, false, { ":1:28: ',' or ']' expected near '\"'" } },
	{ "{\"metadata\": {\"k\": [[1, 2]] \"x\"}}", true, false, { ":1:29: ',' or '}' expected near '\"'" } },
	{ "{\"metadata\": {\"k\": [[1, 2]]}} x", true, false, { ":1:31: end of file expected near 'x'" } },
	{ "{\"metadata\" {}}", true, false, { ":1:13: ':' expected near '{'" } },
	{ "{\"metadata\": {\"k\": [[1,\n 2,,]]}}", true, false, { ":2:4: unexpected token near ','" } },
	{ "{\"metadata\": {\"k\": [[1, 2]]}, 3}", true, false, { ":1:31: string or '}' expected near '3'" } },
	{ "{\"metrics\": {}}", true, false, { ": unknown metric kind 'metrics'" } },
	{ "{\"metadata\": []}", true, false, { ": metadata: expected an object of metric keys, got an array" } },
	{ "{\"metadata\": {\"k\": {}}}", true, false, { ": metadata key 'k': expected an array of samples" } },
	{ "{\"metadata\": {\"k\": [[\"2017-08-01T15:00:00Z\", \"7\"]]}}", true, false,
	  { ": metadata key 'k' entry 1: expected a number or a map of market to number, got a string" } },
	{ "{\"metadata\": {\"k\": [[1, 1], [2, true]]}}", true, false,
	  { ": metadata key 'k' entry 2: expected a number or a map of market to number, got a boolean" } },
	{ "{\"app_metrics\": {\"k\": [[1, null]]}}", true, false,
	  { ": app_metrics key 'k' entry 1: expected a number or a map", "got null" } },
	{ "{\"app_metrics\": {\"k\": [[1, [1]]]}}", true, false, { "entry 1: expected a number", "got an array" } },
	{ "{\"app_metrics\": {\"k\": [[\"yesterday\", 1]]}}", true, false,
	  { ": app_metrics key 'k' entry 1: bad timestamp 'yesterday'" } },
	{ "{\"app_metrics\": {\"k\": [[true, 1]]}}", true, false, { "entry 1: expected a timestamp, got a boolean" } },
	{ "{\"app_metrics\": {\"k\": [{\"py/tuple\": [{\"py/object\": \"x\"}, 1]}]}}", true, false,
	  { "entry 1: expected a timestamp, got an object without \"timestamp\"" } },
	{ "{\"app_metrics\": {\"k\": [[1, 2, 3]]}}", true, false, { "entry 1: expected [time, value]" } },
	{ "{\"app_metrics\": {\"k\": [7]}}", true, false, { "entry 1: expected [time, value]", "got a number" } },
	{ "{\"app_metrics\": {\"k|a\": [[1, 1]]}}", true, false, { ": app_metrics: metric key 'k|a'", "no '='" } },
	{ "{\"metadata\": {\"k\": [[1, {\"c5.xlarge\": 1}]]}}", true, false,
	  { ": metadata key 'k' entry 1: bad market 'c5.xlarge'" } },
	{ "{\"metadata\": {\"k\": [[1, {\"<c5.xlarge, us-west-2a>\": \"1\"}]]}}", true, false,
	  { "entry 1: market '<c5.xlarge, us-west-2a>': expected a number, got a string" } },
	{ "{\"metadata\": {\"k\": [[1, {\"<c5.xlarge, us-west-2a>\": 1, \"c5.xlarge,us-west-2a\": 2}]]}}",
	  true, false, { "entry 1: market 'c5.xlarge,us-west-2a' appears twice" } },
	{ "{\"metadata\": {\"k\": [[1, {\"<z9.huge, us-west-2a>\": 1}]]}}", true, true,
	  { ": metadata key 'k' entry 1: market '<z9.huge, us-west-2a>': unknown instance type 'z9.huge'" } },
	{ "{\"metadata\": {\"k\": [[1, {\"<m3.large, mars-1a>\": 1}]]}}", true, true,
	  { "unknown availability zone 'mars-1a'" } },
	{ "{\"metadata\": {\"spot_prices|AZ=us-west-2a,instance_type=z9.huge\": [[1, 1]]}}", true, true,
	  { ": metadata key 'spot_prices|AZ=us-west-2a,instance_type=z9.huge': unknown instance type 'z9.huge'" } },
	{ "{\"metadata\": {\"spot_prices|aws_availability_zone=us-west-2a\": [[1, 1]]}}", true, true,
	  { "needs the dimensions aws_instance_type and aws_availability_zone" } },
	/* a market key or a day the fast path has seen before does not hide an error */
	{ "{\"metadata\": {\"k\": [[1, {\"<a.b, us-west-2a>\": 1}], [2, {\"<a.b, us-west-2a>\": 1,"
	  " \"a.b,us-west-2a\": 2}]]}}", true, false, { "entry 2: market 'a.b,us-west-2a' appears twice" } },
	{ "{\"metadata\": {\"k\": [[1, {\"<m3.large, us-west-2a>\": 1}], [2, {\"<m3.large, us-west-2a>\": 1,"
	  " \"<m3.large, mars-1a>\": 2}]]}}", true, true, { "entry 2: market '<m3.large, mars-1a>': unknown availability zone" } },
	{ "{\"app_metrics\": {\"k\": [[\"2018-02-28T23:59:59Z\", 1], [\"2018-02-28T24:00:00Z\", 2]]}}", true,
	  false, { ": app_metrics key 'k' entry 2: bad timestamp '2018-02-28T24:00:00Z'" } },
	{ "{\"app_metrics\": {\"k\": [[\"2018-02-28T23:59:59Z\", 1], [\"2018-02-29T00:00:00Z\", 2]]}}", true,
	  false, { ": app_metrics key 'k' entry 2: bad timestamp '2018-02-29T00:00:00Z'" } },
	{ "{\"app_metrics\": {\"k\": [[\"1970-01-01T00:00:00Z\", 1], [\"1969-12-31T23:59:59Z\", 2]]}}", true,
	  false, { ": app_metrics key 'k' entry 2: bad timestamp '1969-12-31T23:59:59Z'" } },
	{ "hello, world\n", false, false, { ": not a gzip-compressed file" } },
	{ "", false, false, { ": not a gzip-compressed file" } },
};

/*
 * Entries read in place (the common forms) and entries that only jansson
 * reads (escapes, long integers, skipped or repeated map keys, objects)
 * give the same samples: values compared with the C compiler's reading of
 * the same decimal literals.
 */
static void test_json_fast_and_slow_entries(void **state)
{
	static const struct {
		int64_t t;
		double v;
	} want[] = {
		{ 1512144000, 0.1 }, { 1512144060, 0 }, { 1512144120, -0.0 },
		{ 1512144180, 1e-320 }, { 1512144240, 123456789012345678.0 },
		{ 1512144300, 1234567890123456789.0 }, { 1512144360, 2500 },
		{ 1512144420, 7 }, { 1512144480, 8 }, { 1512144540, 9.75 },
		{ 1512144600, -12.5 },
	};
	const char *text =
		"{\"app_metrics\": {\"k\": [[1512144000, 0.1], [1512144060, -0],\n"
		" [1512144120, -0.0], [1512144180, 1e-320], [1512144240, 123456789012345678],\n"
		" [1512144300, 1234567890123456789], [1512144360, 2.5E+3],\n"
		" [\"2017-12-01T16:07:00Z\", 7], [\"2017-12-01T16:08:00\\u005a\", 8],\n"
		" [ 1512144540 ,\t9.75 ] , {\"py/tuple\": [1512144600, -12.5]}]},\n"
		" \"metadata\": {\"m\": [[1512144000, { \"<a.b, us-west-2a>\" : 1 ,\n"
		"   \"a.b,us-west-2b\":2.25 }], [1512144060, {\"<a.b, us-west-2a>\": 1,"
		" \"<a.b, us-west-2a>\": 3}],\n"
		"  [1512144120, {\"py/x\": 1, \"<a.b, us-west-2b>\": 4}], [1512144180, {}]]}}\n";
	struct cman_store *st = NULL;
	struct cman_cursor *cur = NULL;
	struct cman_error err = { 0 };
	struct cman_sample s;
	char path[128];
	size_t n = 0;
	int rc;

	(void)state;
	tmp_path(path, sizeof(path), "fastslow.json");
	write_file(path, text, strlen(text));
	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	if (cman_import_clusterman_json(path, st, NULL, NULL, &err))
		fail_msg("import: %s", err.msg);
	assert_int_equal(cman_store_open_cursor(st, CMAN_APP_METRICS, "k", INT64_MIN, INT64_MAX, 0,
						&cur, &err), 0);
	while ((rc = cman_cursor_next(cur, &s, &err)) == 1) {
		assert_true(n < sizeof(want) / sizeof(want[0]));
		assert_int_equal(s.t, want[n].t);
		if (memcmp(&s.value, &want[n].v, sizeof(double)) != 0)
			fail_msg("sample %zu: %.17g, expected %.17g", n, s.value, want[n].v);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	cman_cursor_close(cur);
	/* a repeated map key: jansson keeps the last value */
	expect_series(st, CMAN_METADATA, "m", INT64_MIN, INT64_MAX,
		      "1512144000={a.b/us-west-2a=1;a.b/us-west-2b=2.25}:3.25 "
		      "1512144060={a.b/us-west-2a=3}:3 1512144120={a.b/us-west-2b=4}:4 "
		      "1512144180={}:0");
	cman_store_free(st);
	unlink(path);
}


/* A decimal of nd significant digits, a point somewhere (or none) and
 * perhaps an exponent, from the generator state *x. */
static void random_decimal(uint64_t *x, char *out, size_t n)
{
	char digits[32];
	int nd, point, len = 0;

	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	nd = 1 + (int)((*x >> 33) % 20);
	for (int i = 0; i < nd; i++) {
		*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
		digits[i] = (char)('0' + (*x >> 40) % 10);
	}
	if (digits[0] == '0' && nd > 1)
		digits[0] = '1';
	point = (int)((*x >> 20) % (unsigned)(nd + 1));
	if (point == 0)
		len += snprintf(out + len, n - (size_t)len, "%s0.", (*x >> 7) & 1 ? "-" : "");
	else if ((*x >> 7) & 1)
		out[len++] = '-';
	for (int i = 0; i < nd; i++) {
		out[len++] = digits[i];
		if (i + 1 == point && point < nd)
			out[len++] = '.';
	}
	if (point == nd)
		len += snprintf(out + len, n - (size_t)len, ".%d", (int)((*x >> 11) % 10));
	if ((*x >> 13) % 3 == 0)
		len += snprintf(out + len, n - (size_t)len, "e%d", (int)((*x >> 17) % 61) - 30);
	out[len] = '\0';
}

/*
 * The in-place reading of reals (exact without strtod for short ones),
 * ISO times (the day remembered) and market keys (remembered, more of them
 * than the fast path keeps) gives what strtod, timegm and a plain parse
 * give: thousands of random decimals compared bit for bit with strtod's,
 * times over day, month and leap-day boundaries with other forms between
 * them, 20 markets in maps of changing order, read into a memory store and
 * into an SQLite one.
 */
static void test_json_fast_numbers_times_markets(void **state)
{
	enum { NUM = 4000, NT = 9, NM = 20 };
	static const char *const times[NT] = {
		"2016-02-28T23:59:59Z", "2016-02-29T00:00:00Z", "2016-02-29T12:34:56Z",
		"2016-02-29 12:35:00", "2016-02-29T23:59:59Z", "2016-02-29T12:36:00+01:00",
		"2016-03-01T00:00:00Z", "2016-02-29T23:59:58Z", "2016-03-01T00:00:00.9Z",
	};
	static const int tm_of[NT][6] = {
		{ 2016, 2, 28, 23, 59, 59 }, { 2016, 2, 29, 0, 0, 0 }, { 2016, 2, 29, 12, 34, 56 },
		{ 2016, 2, 29, 12, 35, 0 }, { 2016, 2, 29, 23, 59, 59 }, { 2016, 2, 29, 11, 36, 0 },
		{ 2016, 3, 1, 0, 0, 0 }, { 2016, 2, 29, 23, 59, 58 }, { 2016, 3, 1, 0, 0, 0 },
	};
	char (*num)[48] = calloc(NUM, 48);
	size_t cap = 512 * 1024, len = 0;
	char *text = malloc(cap), path[128], want[8192], got[8192];
	struct cman_store *mem = NULL, *sq = NULL;
	struct cman_cursor *cur = NULL;
	struct cman_error err = { 0 };
	struct cman_sample s;
	uint64_t x = 12345;
	size_t n = 0;
	int rc;

	(void)state;
	assert_non_null(num);
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "{\"app_metrics\": {\"k\": [");
	for (int i = 0; i < NUM; i++) {
		random_decimal(&x, num[i], sizeof(num[i]));
		len += (size_t)snprintf(text + len, cap - len, "%s[%d, %s]", i ? ", " : "", i, num[i]);
	}
	len += (size_t)snprintf(text + len, cap - len, "], \"t\": [");
	for (int i = 0; i < NT; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s[\"%s\", %d]", i ? ", " : "", times[i], i);
	len += (size_t)snprintf(text + len, cap - len, "]}, \"metadata\": {\"m\": [");
	/* maps of 3 markets out of NM, rotating: keys come and go */
	for (int i = 0; i < 3 * NM; i++) {
		len += (size_t)snprintf(text + len, cap - len, "%s[%d, {", i ? ", " : "", i);
		for (int j = 0; j < 3; j++)
			len += (size_t)snprintf(text + len, cap - len, "%s\"<m%d.large, us-west-2%c>\": %d.5",
						j ? ", " : "", (i + 7 * j) % NM, "abc"[j], i + j);
		len += (size_t)snprintf(text + len, cap - len, "}]");
	}
	len += (size_t)snprintf(text + len, cap - len, "]}}\n");
	assert_true(len < cap - 1);
	tmp_path(path, sizeof(path), "fastnum.json.gz");
	write_gz(path, text);
	assert_int_equal(cman_store_memory_new(&mem, &err), 0);
	if (cman_import_clusterman_json(path, mem, NULL, NULL, &err))
		fail_msg("import: %s", err.msg);

	assert_int_equal(cman_store_open_cursor(mem, CMAN_APP_METRICS, "k", INT64_MIN, INT64_MAX, 0,
						&cur, &err), 0);
	while ((rc = cman_cursor_next(cur, &s, &err)) == 1) {
		double v;

		assert_true(n < NUM);
		assert_int_equal(s.t, (int64_t)n);
		v = strtod(num[n], NULL);
		if (memcmp(&s.value, &v, sizeof(v)) != 0)
			fail_msg("'%s': read %a, strtod %a", num[n], s.value, v);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, NUM);
	cman_cursor_close(cur);

	assert_int_equal(cman_store_open_cursor(mem, CMAN_APP_METRICS, "t", INT64_MIN, INT64_MAX, 0,
						&cur, &err), 0);
	for (int i = 0; i < NT; i++) {
		struct tm tm = { .tm_year = tm_of[i][0] - 1900, .tm_mon = tm_of[i][1] - 1,
				 .tm_mday = tm_of[i][2], .tm_hour = tm_of[i][3],
				 .tm_min = tm_of[i][4], .tm_sec = tm_of[i][5] };
		int64_t wt = (int64_t)timegm(&tm);
		bool found = false;

		/* the series is in time order: find the sample with value i */
		cman_cursor_close(cur);
		assert_int_equal(cman_store_open_cursor(mem, CMAN_APP_METRICS, "t", INT64_MIN,
							INT64_MAX, 0, &cur, &err), 0);
		while ((rc = cman_cursor_next(cur, &s, &err)) == 1)
			if (s.value == i) {
				if (s.t != wt)
					fail_msg("'%s': %lld, expected %lld", times[i], (long long)s.t,
						 (long long)wt);
				found = true;
			}
		assert_int_equal(rc, 0);
		assert_true(found);
	}
	cman_cursor_close(cur);

	/* the maps, as a plain reading of the text gives them */
	len = 0;
	for (int i = 0; i < 3 * NM; i++) {
		int m[3] = { i % NM, (i + 7) % NM, (i + 14) % NM };
		char az[3] = { 'a', 'b', 'c' };

		/* canonical order: by type name (m<k>.large, compared as text), then zone */
		for (int a = 0; a < 3; a++)
			for (int b = a + 1; b < 3; b++) {
				char ta[16], tb[16];

				snprintf(ta, sizeof(ta), "m%d.large", m[a]);
				snprintf(tb, sizeof(tb), "m%d.large", m[b]);
				if (strcmp(ta, tb) > 0 || (strcmp(ta, tb) == 0 && az[a] > az[b])) {
					int tm_ = m[a];
					char ta_ = az[a];

					m[a] = m[b], m[b] = tm_;
					az[a] = az[b], az[b] = ta_;
				}
			}
		len += (size_t)snprintf(want + len, sizeof(want) - len, "%s%d={", i ? " " : "", i);
		for (int j = 0; j < 3; j++) {
			int k = m[j] == i % NM ? 0 : m[j] == (i + 7) % NM ? 1 : 2;

			len += (size_t)snprintf(want + len, sizeof(want) - len, "%sm%d.large/us-west-2%c=%d.5",
						j ? ";" : "", m[j], az[j], i + k);
		}
		len += (size_t)snprintf(want + len, sizeof(want) - len, "}:%d.5", 3 * i + 3 + 1);
	}
	expect_series(mem, CMAN_METADATA, "m", INT64_MIN, INT64_MAX, want);
	/* into SQLite (markets written by place in the map): the same */
	assert_int_equal(cman_store_sqlite_temp("fastnum", &sq, &err), 0);
	assert_int_equal(cman_store_begin(sq, &err), 0);
	if (cman_import_clusterman_json(path, sq, NULL, NULL, &err))
		fail_msg("import: %s", err.msg);
	assert_int_equal(cman_store_commit(sq, &err), 0);
	render(sq, CMAN_METADATA, "m", INT64_MIN, INT64_MAX, got, sizeof(got));
	assert_string_equal(got, want);
	render(sq, CMAN_APP_METRICS, "t", INT64_MIN, INT64_MAX, got, sizeof(got));
	render(mem, CMAN_APP_METRICS, "t", INT64_MIN, INT64_MAX, want, sizeof(want));
	assert_string_equal(got, want);
	cman_store_free(sq);
	cman_store_free(mem);
	free(num);
	free(text);
	unlink(path);
}

/*
 * Issue 12: the fast path reads a string eight bytes at a time, a time of
 * the day read last and a market key it has read before without looking
 * for escapes again.  The same strings with any one character written as
 * a \u escape (which only jansson reads), and market keys of every length
 * up to 40 bytes with an escape or a two-byte UTF-8 character at every
 * offset of the eight-byte steps, give the same samples as plain ones.
 */
static void test_json_strings_escaped_anywhere(void **state)
{
	static const char tm_text[] = "2016-02-29T12:34:56Z";
	static const char mk_text[] = "<m3.large, us-west-2a>";
	struct tm tm = { .tm_year = 116, .tm_mon = 1, .tm_mday = 29, .tm_hour = 12, .tm_min = 34,
			 .tm_sec = 56 };
	int64_t t = (int64_t)timegm(&tm);
	size_t cap = 64 * 1024, len = 0, wl = 0, tl = strlen(tm_text), ml = strlen(mk_text);
	char *text = malloc(cap), *want = malloc(cap), *got = malloc(cap), path[128];
	char key[128];
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };
	int v = 0;

	(void)state;
	assert_non_null(text);
	assert_non_null(want);
	assert_non_null(got);
	len += (size_t)snprintf(text + len, cap - len, "{\"app_metrics\": {\"t\": [[\"%s\", 0]",
				tm_text);
	wl += (size_t)snprintf(want + wl, cap - wl, "%lld=0", (long long)t);
	for (size_t k = 0; k <= tl; k++) {   /* k == tl: none escaped */
		len += (size_t)snprintf(text + len, cap - len, ", [\"");
		for (size_t i = 0; i < tl; i++)
			len += (size_t)snprintf(text + len, cap - len, i == k ? "\\u%04x" : "%c",
						(unsigned char)tm_text[i]);
		len += (size_t)snprintf(text + len, cap - len, "\", %d]", ++v);
		wl += (size_t)snprintf(want + wl, cap - wl, " %lld=%d", (long long)t, v);
	}
	len += (size_t)snprintf(text + len, cap - len, "]}, \"metadata\": {\"m\": [[0, {\"%s\": 0}]",
				mk_text);
	for (size_t k = 0; k <= ml; k++) {
		len += (size_t)snprintf(text + len, cap - len, ", [%zu, {\"", k + 1);
		for (size_t i = 0; i < ml; i++)
			len += (size_t)snprintf(text + len, cap - len, i == k ? "\\u%04x" : "%c",
						(unsigned char)mk_text[i]);
		len += (size_t)snprintf(text + len, cap - len, "\": %zu}]", k + 1);
	}
	/* "<xx...x.b, us-west-2a>" with n x's: plain (then known), then with
	 * the x at k escaped, then with a UTF-8 e-acute in its place */
	len += (size_t)snprintf(text + len, cap - len, "], \"w\": [");
	for (size_t n = 1; n <= 24; n++) {
		for (size_t k = 0; k <= 2 * n; k++) {
			len += (size_t)snprintf(text + len, cap - len, "%s[%zu, {\"<", n + k > 1 ? ", " : "",
						100 * n + k);
			for (size_t i = 0; i < n; i++)
				len += (size_t)snprintf(text + len, cap - len, "%s",
							k == 0 || i + 1 != (k + 1) / 2 ? "x" :
							k % 2 ? "\\u0078" : "\xc3\xa9");
			len += (size_t)snprintf(text + len, cap - len, ".b, us-west-2a>\": %zu}]", k);
		}
	}
	len += (size_t)snprintf(text + len, cap - len, "]}}\n");
	assert_true(len < cap - 1);
	tmp_path(path, sizeof(path), "escaped.json.gz");
	write_gz(path, text);
	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	if (cman_import_clusterman_json(path, st, NULL, NULL, &err))
		fail_msg("import: %s", err.msg);
	expect_series(st, CMAN_APP_METRICS, "t", INT64_MIN, INT64_MAX, want);
	wl = 0;
	for (size_t k = 0; k <= ml + 1; k++)
		wl += (size_t)snprintf(want + wl, cap - wl, "%s%zu={m3.large/us-west-2a=%zu}:%zu",
				       k ? " " : "", k, k, k);
	expect_series(st, CMAN_METADATA, "m", INT64_MIN, INT64_MAX, want);
	wl = 0;
	for (size_t n = 1; n <= 24; n++)
		for (size_t k = 0; k <= 2 * n; k++) {
			size_t kl = 0;

			for (size_t i = 0; i < n; i++)
				kl += (size_t)snprintf(key + kl, sizeof(key) - kl, "%s",
						       k > 0 && k % 2 == 0 && i + 1 == k / 2 ? "\xc3\xa9"
						       : "x");
			wl += (size_t)snprintf(want + wl, cap - wl, "%s%zu={%s.b/us-west-2a=%zu}:%zu",
					       n + k > 1 ? " " : "", 100 * n + k, key, k, k);
		}
	/* a byte jansson refuses in a string (a raw control character, a byte
	 * that is not UTF-8) at any place of a market key or a time: an error,
	 * as jansson reports it, never a sample */
	for (size_t k = 0; k < 24; k++)
		for (int bad = 0; bad < 4; bad++) {
			char one[256], p1[128];
			size_t ol = 0;
			struct cman_store *m1 = NULL;
			int rc;

			ol += (size_t)snprintf(one, sizeof(one), "{\"metadata\": {\"k\": [[\"%s\", 1], [",
					       tm_text);
			if (bad < 2) {   /* in a market key (known, so the fast path tries it) */
				ol += (size_t)snprintf(one + ol, sizeof(one) - ol, "1, {\"%s\": 1}], [2, {\"<",
						       mk_text);
				for (size_t i = 0; i < 24; i++)
					one[ol++] = i == k ? (bad ? (char)0xff : (char)0x01) : 'y';
				ol += (size_t)snprintf(one + ol, sizeof(one) - ol, ".b, us-west-2a>\": 1}]]}}");
			} else if (k < tl) {   /* in a time of the same day */
				one[ol++] = '"';
				for (size_t i = 0; i < tl; i++)
					one[ol++] = i == k ? (bad == 3 ? (char)0xff : (char)0x01) : tm_text[i];
				ol += (size_t)snprintf(one + ol, sizeof(one) - ol, "\", 2]]}}");
			} else {
				continue;
			}
			tmp_path(p1, sizeof(p1), "bad-byte.json");
			write_file(p1, one, ol);
			assert_int_equal(cman_store_memory_new(&m1, &err), 0);
			rc = cman_import_clusterman_json(p1, m1, NULL, NULL, &err);
			if (rc != CMAN_EINVAL)
				fail_msg("byte %s at %zu of a %s: rc %d", bad % 2 ? "0xff" : "0x01", k,
					 bad < 2 ? "market key" : "time", rc);
			cman_store_free(m1);
			unlink(p1);
		}
	render(st, CMAN_METADATA, "w", INT64_MIN, INT64_MAX, got, cap);   /* long: not expect_series */
	assert_true(strlen(want) < cap - 1);
	if (strcmp(got, want) != 0)
		fail_msg("w:\n got  '%.300s...'\n want '%.300s...'", got, want);
	cman_store_free(st);
	free(text);
	free(want);
	free(got);
	unlink(path);
}

static void expect_json_error(const char *path, const struct cman_error *err, int rc,
			      const char *const *want, size_t i)
{
	if (rc != CMAN_EINVAL)
		fail_msg("case %zu: rc %d (%s)", i, rc, err->msg);
	if (strncmp(err->msg, path, strlen(path)) != 0)
		fail_msg("case %zu: message '%s' does not start with the file name", i, err->msg);
	for (int k = 0; k < 3 && want[k]; k++)
		if (!strstr(err->msg + strlen(path), want[k]))
			fail_msg("case %zu: message '%s' lacks '%s'", i, err->msg, want[k]);
}

static void test_json_errors(void **state)
{
	for (size_t i = 0; i < sizeof(json_err_cases) / sizeof(json_err_cases[0]); i++) {
		const struct json_err_case *c = &json_err_cases[i];
		struct cman_store *st = NULL;
		struct cman_error err = { 0 };
		char path[128];
		int rc;

		snprintf(path, sizeof(path), "%s/err%zu.json.gz", tmpdir, i);
		if (c->gz)
			write_gz(path, c->text);
		else
			write_file(path, c->text, strlen(c->text));
		assert_int_equal(cman_store_memory_new(&st, &err), 0);
		rc = cman_import_clusterman_json(path, st, c->with_catalog ? catalog() : NULL, NULL, &err);
		expect_json_error(path, &err, rc, c->want, i);
		cman_store_free(st);
	}
}

static void test_json_file_errors(void **state)
{
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };
	char path[128], *buf;
	FILE *fp;
	long n;
	int rc;

	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	/* missing */
	rc = cman_import_clusterman_json("/nonexistent/m.json.gz", st, NULL, NULL, &err);
	assert_int_equal(rc, CMAN_EINVAL);
	assert_string_equal(err.msg, "/nonexistent/m.json.gz: cannot open: No such file or directory");
	rc = cman_import_file("/nonexistent/m.json.gz", st, NULL, NULL, &err);
	assert_int_equal(rc, CMAN_EINVAL);
	assert_string_equal(err.msg, "/nonexistent/m.json.gz: cannot open: No such file or directory");
	rc = cman_import_csv("/nonexistent/m.csv", st, NULL, NULL, &err);
	assert_int_equal(rc, CMAN_EINVAL);
	assert_string_equal(err.msg, "/nonexistent/m.csv: cannot open: No such file or directory");

	/* truncated: the first half of a real file */
	fp = fopen(ITEST, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	tmp_path(path, sizeof(path), "half.json.gz");
	write_file(path, buf, (size_t)n / 2);
	rc = cman_import_clusterman_json(path, st, NULL, NULL, &err);
	assert_int_equal(rc, CMAN_EINVAL);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "truncated gzip data"));
	rc = cman_import_file(path, st, NULL, NULL, &err);
	assert_int_equal(rc, CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "truncated gzip data"));

	/* corrupt: damage the compressed data */
	for (long i = n / 3; i < n / 3 + 64; i++)
		buf[i] ^= 0x5a;
	tmp_path(path, sizeof(path), "corrupt.json.gz");
	write_file(path, buf, (size_t)n);
	rc = cman_import_clusterman_json(path, st, NULL, NULL, &err);
	assert_int_equal(rc, CMAN_EINVAL);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "gzip"));
	free(buf);

	/* a directory */
	rc = cman_import_clusterman_json(tmpdir, st, NULL, NULL, &err);
	assert_int_equal(rc, CMAN_EINVAL);
	assert_non_null(strstr(err.msg, tmpdir));
	cman_store_free(st);
}

/* ---- streaming: files longer than the scanner's window (issue 9.8) ---- */

#define BIG_ENTRIES 60000
#define BIG_MARKETS 20000

/* A JSON document of ~3 MB: one entry per line, and one map entry of
 * ~600 KB (longer than the 64 KB the scanner reads ahead).  bad > 0 puts a
 * syntax error into entry number bad. */
static char *big_json(size_t bad, size_t *len)
{
	size_t cap = 8 << 20, n = 0;
	char *t = malloc(cap);

	assert_non_null(t);
	n += (size_t)snprintf(t + n, cap - n, "{\"metadata\": {\n \"k1\": [\n");
	for (size_t i = 1; i <= BIG_ENTRIES; i++)
		n += (size_t)snprintf(t + n, cap - n, "  [%zu, {\"<m4.large, us-west-2a>\": %s}]%s\n",
				      1000 + i, i == bad ? "tru" : (i % 2 ? "1" : "2.5"),
				      i < BIG_ENTRIES ? "," : "");
	n += (size_t)snprintf(t + n, cap - n, " ],\n \"k2\": [[5, {");
	for (size_t j = 0; j < BIG_MARKETS; j++)
		n += (size_t)snprintf(t + n, cap - n, "%s\"<t%zu.large, us-west-2a>\": 2", j ? ", " : "",
				      j);
	n += (size_t)snprintf(t + n, cap - n, "}], [6, 7]]\n}}\n");
	assert_true(n < cap - 1);
	*len = n;
	return t;
}

static void test_json_streaming(void **state)
{
	size_t len;
	char *text = big_json(0, &len);
	char path[128], want[64];

	for (int gz = 0; gz < 2; gz++) {
		struct cman_store *st = NULL;
		struct cman_error err = { 0 };
		struct cman_import_stats stats = { 0 };
		struct cman_cursor *cur = NULL;
		struct cman_sample s;
		double sum = 0;
		size_t n = 0;

		tmp_path(path, sizeof(path), gz ? "big.json.gz" : "big.json");
		if (gz)
			write_gz(path, text);
		else
			write_file(path, text, len);
		assert_int_equal(cman_store_memory_new(&st, &err), 0);
		if (cman_import_clusterman_json(path, st, NULL, &stats, &err))
			fail_msg("import: %s", err.msg);
		assert_int_equal(stats.series, 2);
		assert_int_equal(stats.samples, BIG_ENTRIES + 2);
		assert_int_equal(cman_store_open_cursor(st, CMAN_METADATA, "k1", INT64_MIN, INT64_MAX,
							0, &cur, &err), 0);
		while (cman_cursor_next(cur, &s, &err) == 1) {
			n++;
			assert_true(s.is_map);
			assert_int_equal(s.t, 1000 + n);
			assert_int_equal(s.n_markets, 1);
			sum += s.value;
		}
		cman_cursor_close(cur);
		assert_int_equal(n, BIG_ENTRIES);
		assert_true(sum == BIG_ENTRIES / 2 * 1.0 + BIG_ENTRIES / 2 * 2.5);
		assert_int_equal(cman_store_open_cursor(st, CMAN_METADATA, "k2", INT64_MIN, INT64_MAX,
							0, &cur, &err), 0);
		assert_int_equal(cman_cursor_next(cur, &s, &err), 1);
		assert_int_equal(s.n_markets, BIG_MARKETS);
		assert_true(s.value == 2.0 * BIG_MARKETS);
		assert_int_equal(cman_cursor_next(cur, &s, &err), 1);
		assert_true(!s.is_map && s.value == 7);
		cman_cursor_close(cur);
		cman_store_free(st);
	}
	free(text);

	/* an error far into the file: the position jansson gives for the whole
	 * document is the one reported */
	text = big_json(45678, &len);
	for (int gz = 0; gz < 2; gz++) {
		struct cman_store *st = NULL;
		struct cman_error err = { 0 };
		json_error_t jerr;
		json_t *whole = json_loadb(text, len, 0, &jerr);

		assert_null(whole);
		tmp_path(path, sizeof(path), gz ? "bad.json.gz" : "bad.json");
		if (gz)
			write_gz(path, text);
		else
			write_file(path, text, len);
		assert_int_equal(cman_store_memory_new(&st, &err), 0);
		assert_int_equal(cman_import_clusterman_json(path, st, NULL, NULL, &err), CMAN_EINVAL);
		snprintf(want, sizeof(want), ":%d:%d: ", jerr.line, jerr.column);
		assert_int_equal(jerr.line, 3 + 45678 - 1);
		if (strncmp(err.msg + strlen(path), want, strlen(want)) != 0)
			fail_msg("got '%s', want '%s%s...'", err.msg, path, want);
		cman_store_free(st);
	}
	free(text);
}

/*
 * Memory does not follow the file (issue 9.8): importing ~24 MB of JSON
 * (plain and gzipped) and of CSV into a store that only counts what it is
 * given raises the process's peak RSS by less than 4 MB.  Reading a file
 * whole, as the importers did, costs its size.  Skipped under ASan, whose
 * quarantine keeps freed memory resident.
 */
struct count_store {
	struct cman_store base;
	size_t samples;
};

static int count_write(struct cman_store *st, enum cman_metric_kind kind, const char *key,
		       const struct cman_sample *s, struct cman_error *err)
{
	((struct count_store *)st)->samples++;
	return 0;
}

static long peak_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* ~size bytes of one capacity-map series and one number series. */
static void write_big(const char *path, bool json, bool gz, size_t size)
{
	const char *c = "fulfilled_capacity|cluster=c,pool=p.mesos", *k = "cpus_allocated|cluster=c,pool=p.mesos";
	FILE *fp = gz ? NULL : fopen(path, "wb");
	gzFile z = gz ? gzopen(path, "wb1") : NULL;
	char line[256];
	size_t n = 0;
	int64_t t = 1514764800;

#define PUT(...) do { int l_ = snprintf(line, sizeof(line), __VA_ARGS__); \
		if (gz) gzwrite(z, line, (unsigned)l_); else fwrite(line, 1, (size_t)l_, fp); \
		n += (size_t)l_; } while (0)
	if (json) {
		PUT("{\"metadata\": {\"%s\": [\n", c);
		for (bool first = true; n < size / 2; first = false, t += 60)
			PUT("%s[%lld, {\"<m4.large, us-west-2a>\": %d}]\n", first ? "" : ",",
			    (long long)t, (int)(t % 13));
		PUT("]}, \"system_metrics\": {\"%s\": [\n", k);
		for (bool first = true; n < size; first = false, t += 60)
			PUT("%s[%lld, %g]\n", first ? "" : ",", (long long)t, 0.5 + (double)(t % 7));
		PUT("]}}\n");
	} else {
		PUT("kind,key,timestamp,market,value\n");
		for (; n < size; t += 60) {
			PUT("metadata,\"%s\",%lld,\"<m4.large, us-west-2a>\",%d\n", c, (long long)t,
			    (int)(t % 13));
			PUT("system_metrics,\"%s\",%lld,,%g\n", k, (long long)t, 0.5 + (double)(t % 7));
		}
	}
#undef PUT
	if (gz)
		assert_int_equal(gzclose(z), Z_OK);
	else
		assert_int_equal(fclose(fp), 0);
}

static void test_streaming_memory(void **state)
{
#if defined(__SANITIZE_ADDRESS__)
	skip();
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	skip();
#endif
#endif
	static const struct cman_store_ops ops = { .name = "count", .write = count_write };
	static const char *const names[3] = { "big.json", "big.json.gz", "big.csv" };
	size_t size = 24 << 20;

	for (int i = 0; i < 3; i++) {
		struct count_store cs = { .base = { .ops = &ops } };
		struct cman_error err = { 0 };
		struct cman_import_stats stats = { 0 };
		char path[128];
		long before;

		tmp_path(path, sizeof(path), names[i]);
		write_big(path, i < 2, i == 1, size);
		before = peak_kb();
		if (cman_import_file(path, &cs.base, NULL, &stats, &err))
			fail_msg("%s: %s", names[i], err.msg);
		/* ~35 (JSON) or ~75 (CSV) bytes a sample */
		assert_true(cs.samples > size / 100);
		assert_int_equal(stats.samples, cs.samples);
		if (peak_kb() - before >= 4096)
			fail_msg("%s: importing %zu MB raised the peak RSS from %ld to %ld KB", names[i],
				 size >> 20, before, peak_kb());
		unlink(path);
	}
}

/* ---- CSV ---- */

static void test_csv_file(void **state)
{
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };
	struct cman_import_stats stats = { 0 };

	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	if (cman_import_file(SAMPLE_CSV, st, catalog(), &stats, &err))
		fail_msg("import: %s", err.msg);
	assert_int_equal(stats.series, 4);
	assert_int_equal(stats.samples, 9);
	expect_series(st, CMAN_SYSTEM_METRICS, "cpus_allocated|cluster=prod,pool=batch.mesos",
		      INT64_MIN, INT64_MAX, "1512144000=12.5 1512144060=13");
	expect_series(st, CMAN_METADATA, "fulfilled_capacity|cluster=prod,pool=batch.mesos",
		      INT64_MIN, INT64_MAX,
		      "1512144000={m3.large/us-west-2a=7;m3.large/us-west-2b=2}:9 1512144060={}:0 "
		      "1512144120={m3.large/us-west-2a=1}:1 1512144120=5 "
		      "1512144180={m3.large/us-west-2a=3;m3.large/us-west-2c=4}:7");
	expect_series(st, CMAN_METADATA,
		      "spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=m3.large",
		      INT64_MIN, INT64_MAX, "1512144000=0.032099999999999997");   /* 0.0321 */
	expect_series(st, CMAN_APP_METRICS, "app \"quoted\" runs", INT64_MIN, INT64_MAX,
		      "1512144000=1");
	cman_store_free(st);
}

static void test_csv_crlf_and_bom(void **state)
{
	const char text[] = "\xef\xbb\xbfkind,key,timestamp,market,value\r\n"
			    "app_metrics,x,1,,1\r\n"
			    "\r\n"
			    "app_metrics,x,2,,\"2\"\r\n"
			    "app_metrics,\"multi\nline\",3,,3";
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };
	struct cman_import_stats stats = { 0 };
	char path[128];

	tmp_path(path, sizeof(path), "crlf.csv");
	write_file(path, text, sizeof(text) - 1);
	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	if (cman_import_csv(path, st, NULL, &stats, &err))
		fail_msg("import: %s", err.msg);
	assert_int_equal(stats.samples, 3);
	assert_int_equal(stats.series, 2);
	expect_series(st, CMAN_APP_METRICS, "x", INT64_MIN, INT64_MAX, "1=1 2=2");
	expect_series(st, CMAN_APP_METRICS, "multi\nline", INT64_MIN, INT64_MAX, "3=3");
	cman_store_free(st);
}

struct csv_err_case {
	const char *body;     /* after the header line, unless no_header */
	bool no_header;
	bool with_catalog;
	const char *want;     /* after "FILE" */
};

static const struct csv_err_case csv_err_cases[] = {
	{ "kind,key,time,market,value\n", true, false, ":1:10: expected the header 'kind,key,timestamp,market,value'" },
	{ "kind,key,timestamp,market\n", true, false, ":1:20: expected the header" },
	{ "kind,key,timestamp,market,value,x\n", true, false, ":1:33: expected the header" },
	{ "", true, false, ":1:1: empty file" },
	{ "system_metrics,k,1,,1,extra\n", false, false,
	  ":2:23: expected 5 fields (kind,key,timestamp,market,value), got 6" },
	{ "system_metrics,k,1\n", false, false, ":2:18: expected 5 fields (kind,key,timestamp,market,value), got 3" },
	{ "system_metrics,k,1,,1\nsystem_metrics,k,yesterday,,1\n", false, false,
	  ":3:18: bad timestamp 'yesterday'" },
	{ "system_metrics,k,1,,abc\n", false, false, ":2:21: expected a number, got 'abc'" },
	{ "system_metrics,k,1,,\n", false, false, ":2:21: expected a number, got ''" },
	{ "system_metrics,k,1,,1.5x\n", false, false, ":2:21: expected a number, got '1.5x'" },
	{ "system_metrics,k,1,,nan\n", false, false, ":2:21: expected a number, got 'nan'" },
	{ "metadata,k,1,{},x\n", false, false, ":2:17: expected a number, got 'x'" },
	{ "sys,k,1,,1\n", false, false, ":2:1: unknown metric kind 'sys'" },
	{ "system_metrics,|a=1,1,,1\n", false, false, ":2:16: metric key '|a=1': empty metric name" },
	{ "metadata,k,1,c5.xlarge,1\n", false, false, ":2:14: bad market 'c5.xlarge'" },
	{ "metadata,k,1,\"<z9.huge, us-west-2a>\",1\n", false, true,
	  ":2:14: market '<z9.huge, us-west-2a>': unknown instance type 'z9.huge'" },
	{ "metadata,k,1,\"<m3.large, mars-1a>\",1\n", false, true,
	  ":2:14: market '<m3.large, mars-1a>': unknown availability zone 'mars-1a'" },
	{ "metadata,\"spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=z9.huge\",1,,1\n",
	  false, true, ":2:10: metric key 'spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=z9.huge': unknown instance type 'z9.huge'" },
	{ "metadata,k,1,\"<m3.large, us-west-2a>\",1\nmetadata,k,1,\"m3.large,us-west-2a\",2\n", false, false,
	  ":3:14: market 'm3.large,us-west-2a' appears twice in the map sample of line 2" },
	{ "metadata,\"k,1,,1\n", false, false, ":2:10: unterminated quoted field" },
	{ "metadata,\"k\"x,1,,1\n", false, false, ":2:13: expected ',' or the end of the line after a quoted field" },
	{ "app_metrics,\"a\nb\",1,,x\n", false, false, ":3:7: expected a number, got 'x'" },
	{ "app_metrics,k,1,,1\r\napp_metrics,k,1,,1,\r\n", false, false, ":3:20: expected 5 fields" },
};

static void test_csv_errors(void **state)
{
	for (size_t i = 0; i < sizeof(csv_err_cases) / sizeof(csv_err_cases[0]); i++) {
		const struct csv_err_case *c = &csv_err_cases[i];
		struct cman_store *st = NULL;
		struct cman_error err = { 0 };
		char path[128], text[1024];
		int rc;

		snprintf(path, sizeof(path), "%s/err%zu.csv", tmpdir, i);
		snprintf(text, sizeof(text), "%s%s", c->no_header ? "" : "kind,key,timestamp,market,value\n",
			 c->body);
		write_file(path, text, strlen(text));
		assert_int_equal(cman_store_memory_new(&st, &err), 0);
		rc = cman_import_file(path, st, c->with_catalog ? catalog() : NULL, NULL, &err);
		if (rc != CMAN_EINVAL)
			fail_msg("case %zu: rc %d (%s)", i, rc, err.msg);
		if (strncmp(err.msg, path, strlen(path)) != 0 ||
		    strncmp(err.msg + strlen(path), c->want, strlen(c->want)) != 0)
			fail_msg("case %zu:\n got  '%s'\n want '%s%s...'", i, err.msg, path, c->want);
		cman_store_free(st);
	}
}

/* ---- speed: a week of metrics ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_week_import_speed(void **state)
{
	static const char *const azs[3] = { "us-west-2a", "us-west-2b", "us-west-2c" };
	size_t cap = 8 << 20, pos = 0;
	char *text = malloc(cap), path[128], ts[40];
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };
	struct cman_import_stats stats = { 0 };
	const int64_t t0 = 1512144000;
	double start, took;

	assert_non_null(text);
#define OUT(...) (pos += (size_t)snprintf(text + pos, cap - pos, __VA_ARGS__))
	OUT("{\"metadata\": {\"fulfilled_capacity|cluster=c,pool=p.mesos\": [");
	for (int i = 0; i < 10000; i++) {
		int64_t t = t0 + i * 60;

		snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d+00:00", 2017, 12,
			 1 + (int)(t - t0) / 86400, (int)((t - t0) % 86400) / 3600,
			 (int)((t - t0) % 3600) / 60, 0);
		OUT("%s[\"%s\", {\"<c5.xlarge, us-west-2a>\": %d, \"<c5.xlarge, us-west-2b>\": %d,"
		    " \"<m5.large, us-west-2c>\": %d}]", i ? ", " : "", ts, i % 7, i % 5, i % 3);
	}
	OUT("]");
	for (int m = 0; m < 3; m++) {
		OUT(", \"spot_prices|aws_availability_zone=%s,aws_instance_type=c5.xlarge\": [", azs[m]);
		for (int i = 0; i < 2000; i++)
			OUT("%s{\"py/tuple\": [{\"py/object\": \"arrow.arrow.Arrow\", \"timestamp\": %lld},"
			    " %.4f]}", i ? ", " : "", (long long)(t0 + i * 300), 0.1 + (i % 17) / 100.0);
		OUT("]");
	}
	OUT("}, \"system_metrics\": {\"cpus_allocated|cluster=c,pool=p.mesos\": [");
	for (int i = 0; i < 10000; i++)
		OUT("%s[%lld, %d.5]", i ? ", " : "", (long long)(t0 + i * 60), i % 100);
	OUT("]}}");
#undef OUT
	assert_true(pos < cap - 1);
	tmp_path(path, sizeof(path), "week.json.gz");
	write_gz(path, text);
	free(text);
	assert_int_equal(cman_store_memory_new(&st, &err), 0);
	start = now_s();
	if (cman_import_file(path, st, catalog(), &stats, &err))
		fail_msg("import: %s", err.msg);
	took = now_s() - start;
	assert_int_equal(stats.samples, 26000);
	assert_int_equal(stats.series, 5);
	print_message("imported a week (26000 samples) in %.1f ms\n", took * 1000);
	assert_true(took < 5.0);   /* generous: sanitizer and valgrind builds */
	cman_store_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_itest_file),
		cmocka_unit_test(test_docs_file),
		cmocka_unit_test(test_itest_into_sqlite),
		cmocka_unit_test(test_json_variants),
		cmocka_unit_test(test_json_fast_and_slow_entries),
		cmocka_unit_test(test_json_fast_numbers_times_markets),
		cmocka_unit_test(test_json_strings_escaped_anywhere),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_json_file_errors),
		cmocka_unit_test(test_csv_file),
		cmocka_unit_test(test_csv_crlf_and_bom),
		cmocka_unit_test(test_json_streaming),
		cmocka_unit_test(test_streaming_memory),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_week_import_speed),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
