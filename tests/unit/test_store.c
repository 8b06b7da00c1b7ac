/*
 * Tests for cman/store.h: the same behaviour table runs against the SQLite
 * and the in-memory backend; SQLite-only tests cover files, schema checks
 * and transactions; a randomized test compares both backends with a model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "cman_test.h"
#include <sqlite3.h>

#include "cman/err.h"
#include "cman/metrics.h"
#include "cman/store.h"

/* ---- fixture: one backend, a temporary directory ---- */

struct backend {
	const char *name;
	bool sqlite;
};

static const struct backend be_sqlite = { "sqlite", true };
static const struct backend be_memory = { "memory", false };

struct fix {
	const struct backend *be;
	char dir[64];
	char path[128];
	struct cman_store *st;
};

static int open_store(struct fix *f, bool create)
{
	struct cman_error err = { 0 };
	int rc;

	if (f->be->sqlite)
		rc = cman_store_sqlite_open(f->path, create, &f->st, &err);
	else
		rc = cman_store_memory_new(&f->st, &err);
	if (rc)
		fprintf(stderr, "open: %s\n", err.msg);
	return rc;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->be = *state;
	if (!cman_test_mkdtemp(f->dir, sizeof(f->dir), "cman_test_store_"))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/metrics.sqlite", f->dir);
	if (open_store(f, true))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	char cmd[200];

	cman_store_free(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* ---- helpers ---- */

#define MAXM 8

struct rec {
	int64_t t;
	double value;
	bool is_map;
	size_t n;
	char type[MAXM][CMAN_TYPE_MAX];
	char az[MAXM][CMAN_AZ_MAX];
	double mv[MAXM];
};

static void put_num(struct cman_store *st, enum cman_metric_kind kind, const char *key,
		    int64_t t, double v)
{
	struct cman_sample s = { .t = t, .value = v };
	struct cman_error err = { 0 };
	int rc = cman_store_write(st, kind, key, &s, &err);

	if (rc)
		fail_msg("write %s %lld: %s", key, (long long)t, err.msg);
}

/* markets as "type/az=value;type/az=value" */
static void put_map(struct cman_store *st, enum cman_metric_kind kind, const char *key,
		    int64_t t, const char *spec)
{
	struct cman_market_value mv[MAXM];
	char buf[256], types[MAXM][CMAN_TYPE_MAX], azs[MAXM][CMAN_AZ_MAX];
	struct cman_sample s = { .t = t, .is_map = true, .value = -1 };
	struct cman_error err = { 0 };
	size_t n = 0;
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		double v;

		assert_int_equal(sscanf(tok, "%47[^/]/%31[^=]=%lf", types[n], azs[n], &v), 3);
		mv[n] = (struct cman_market_value){ types[n], azs[n], v };
		n++;
	}
	s.n_markets = n;
	s.markets = mv;
	if (cman_store_write(st, kind, key, &s, &err))
		fail_msg("write map %s %lld: %s", key, (long long)t, err.msg);
}

static size_t read_all(struct cman_store *st, enum cman_metric_kind kind, const char *key,
		       int64_t t0, int64_t t1, unsigned flags, struct rec *out, size_t max)
{
	struct cman_cursor *cur = NULL;
	struct cman_error err = { 0 };
	struct cman_sample s;
	size_t n = 0;
	int rc;

	if (cman_store_open_cursor(st, kind, key, t0, t1, flags, &cur, &err))
		fail_msg("open cursor: %s", err.msg);
	while ((rc = cman_cursor_next(cur, &s, &err)) == 1) {
		assert_true(n < max);
		out[n].t = s.t;
		out[n].value = s.value;
		out[n].is_map = s.is_map;
		out[n].n = s.is_map ? s.n_markets : 0;
		assert_true(out[n].n <= MAXM);
		for (size_t j = 0; j < out[n].n; j++) {
			snprintf(out[n].type[j], CMAN_TYPE_MAX, "%s", s.markets[j].instance_type);
			snprintf(out[n].az[j], CMAN_AZ_MAX, "%s", s.markets[j].az);
			out[n].mv[j] = s.markets[j].value;
		}
		n++;
	}
	if (rc < 0)
		fail_msg("cursor: %s", err.msg);
	assert_int_equal(rc, 0);
	/* further calls stay at the end */
	assert_int_equal(cman_cursor_next(cur, &s, &err), 0);
	cman_cursor_close(cur);
	return n;
}

/* "t=v" or "t={type/az=v;...}" for each sample, joined by " " */
static void render(const struct rec *r, size_t n, char *out, size_t cap)
{
	size_t pos = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		pos += (size_t)snprintf(out + pos, cap - pos, "%s%lld=", i ? " " : "",
					(long long)r[i].t);
		if (!r[i].is_map) {
			pos += (size_t)snprintf(out + pos, cap - pos, "%.17g", r[i].value);
			continue;
		}
		pos += (size_t)snprintf(out + pos, cap - pos, "{");
		for (size_t j = 0; j < r[i].n; j++)
			pos += (size_t)snprintf(out + pos, cap - pos, "%s%s/%s=%.17g", j ? ";" : "",
						r[i].type[j], r[i].az[j], r[i].mv[j]);
		pos += (size_t)snprintf(out + pos, cap - pos, "}:%.17g", r[i].value);
	}
}

static void expect(struct cman_store *st, enum cman_metric_kind kind, const char *key,
		   int64_t t0, int64_t t1, unsigned flags, const char *want)
{
	struct rec r[64];
	char got[4096];
	size_t n = read_all(st, kind, key, t0, t1, flags, r, 64);

	render(r, n, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("%s [%lld, %lld] flags %u:\n got  '%s'\n want '%s'", key, (long long)t0,
			 (long long)t1, flags, got, want);
}

/* ---- tests run against both backends ---- */

static const char *const K1 = "cpus_allocated|cluster=prod,pool=batch.mesos";
static const char *const KF = "fulfilled_capacity|cluster=prod,pool=batch.mesos";

static void test_round_trip(void **state)
{
	struct fix *f = *state;

	put_num(f->st, CMAN_SYSTEM_METRICS, K1, 100, 1.5);
	put_num(f->st, CMAN_SYSTEM_METRICS, K1, 160, 2.25);
	put_num(f->st, CMAN_SYSTEM_METRICS, K1, 220, -3);
	put_map(f->st, CMAN_METADATA, KF, 100, "m3.large/us-west-2b=2;m3.large/us-west-2a=7");
	put_map(f->st, CMAN_METADATA, KF, 160, "");
	put_map(f->st, CMAN_METADATA, KF, 220,
		"c5.xlarge/us-west-2c=0.5;m3.large/us-west-2a=10;c5.xlarge/us-west-2a=1");
	expect(f->st, CMAN_SYSTEM_METRICS, K1, INT64_MIN, INT64_MAX, 0, "100=1.5 160=2.25 220=-3");
	expect(f->st, CMAN_METADATA, KF, INT64_MIN, INT64_MAX, 0,
	       "100={m3.large/us-west-2a=7;m3.large/us-west-2b=2}:9 160={}:0 "
	       "220={c5.xlarge/us-west-2a=1;c5.xlarge/us-west-2c=0.5;m3.large/us-west-2a=10}:11.5");
	/* the same key under another kind is another series */
	expect(f->st, CMAN_APP_METRICS, K1, INT64_MIN, INT64_MAX, 0, "");
	expect(f->st, CMAN_SYSTEM_METRICS, "nope", INT64_MIN, INT64_MAX, 0, "");
	put_num(f->st, CMAN_APP_METRICS, K1, 5, 42);
	expect(f->st, CMAN_APP_METRICS, K1, INT64_MIN, INT64_MAX, 0, "5=42");
	expect(f->st, CMAN_SYSTEM_METRICS, K1, INT64_MIN, INT64_MAX, 0, "100=1.5 160=2.25 220=-3");
}

/* Maps that repeat the same markets (a reader may reuse the last map's
 * sorted entries) with new values, then other sets of markets, a market
 * first written in between, and back: every map reads back as written. */
static void test_repeated_maps(void **state)
{
	struct fix *f = *state;

	put_map(f->st, CMAN_METADATA, KF, 100, "m3.large/us-west-2b=2;m3.large/us-west-2a=7");
	put_map(f->st, CMAN_METADATA, KF, 160, "m3.large/us-west-2b=3;m3.large/us-west-2a=8");
	put_map(f->st, CMAN_METADATA, KF, 220, "m3.large/us-west-2a=9;m3.large/us-west-2b=4");
	put_map(f->st, CMAN_METADATA, KF, 280, "m3.large/us-west-2a=1");
	put_map(f->st, CMAN_METADATA, KF, 340, "m3.large/us-west-2b=5;m3.large/us-west-2a=6");
	expect(f->st, CMAN_METADATA, KF, INT64_MIN, INT64_MAX, 0,
	       "100={m3.large/us-west-2a=7;m3.large/us-west-2b=2}:9 "
	       "160={m3.large/us-west-2a=8;m3.large/us-west-2b=3}:11 "
	       "220={m3.large/us-west-2a=9;m3.large/us-west-2b=4}:13 "
	       "280={m3.large/us-west-2a=1}:1 "
	       "340={m3.large/us-west-2a=6;m3.large/us-west-2b=5}:11");
	put_map(f->st, CMAN_METADATA, KF, 400, "c5.xlarge/us-west-2c=0.5;m3.large/us-west-2b=5;"
		"m3.large/us-west-2a=6");
	put_map(f->st, CMAN_METADATA, KF, 460, "c5.xlarge/us-west-2c=1.5;m3.large/us-west-2b=5;"
		"m3.large/us-west-2a=6");
	put_map(f->st, CMAN_METADATA, KF, 520, "m3.large/us-west-2b=7;m3.large/us-west-2a=8");
	expect(f->st, CMAN_METADATA, KF, 300, INT64_MAX, CMAN_CURSOR_WITH_PRIOR,
	       "280={m3.large/us-west-2a=1}:1 "
	       "340={m3.large/us-west-2a=6;m3.large/us-west-2b=5}:11 "
	       "400={c5.xlarge/us-west-2c=0.5;m3.large/us-west-2a=6;m3.large/us-west-2b=5}:11.5 "
	       "460={c5.xlarge/us-west-2c=1.5;m3.large/us-west-2a=6;m3.large/us-west-2b=5}:12.5 "
	       "520={m3.large/us-west-2a=8;m3.large/us-west-2b=7}:15");
}

/* Maps written with the same bytes again and again (recorded capacity
 * mostly repeats: a reader may take the entries of the bytes it decoded
 * last), broken by maps that differ in one value's last byte, in a value's
 * form (an integer, a double) and in a market, with the time steps of one
 * and of two bytes: every map reads back as written. */
static void test_repeated_map_bytes(void **state)
{
	static const char *const maps[] = {
		"m3.large/us-west-2a=7;m3.large/us-west-2b=2",
		"m3.large/us-west-2a=7;m3.large/us-west-2b=2",
		"m3.large/us-west-2a=7;m3.large/us-west-2b=2",
		"m3.large/us-west-2a=7;m3.large/us-west-2b=3",
		"m3.large/us-west-2a=7;m3.large/us-west-2b=3",
		"m3.large/us-west-2a=7;m3.large/us-west-2b=3.5",
		"m3.large/us-west-2a=7;m3.large/us-west-2b=3.5",
		"m3.large/us-west-2a=7;m3.large/us-west-2c=3.5",
		"m3.large/us-west-2a=7",
		"m3.large/us-west-2a=7",
		"m3.large/us-west-2a=7;m3.large/us-west-2b=3.5",
	};
	struct fix *f = *state;
	char want[2048];
	size_t i, pos = 0;
	int64_t t = 100;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		const char *m = maps[i];
		double sum = 0;

		put_map(f->st, CMAN_METADATA, KF, t, m);
		/* the maps above list their markets sorted; the sum is exact */
		for (const char *e = strchr(m, '='); e; e = strchr(e + 1, '='))
			sum += strtod(e + 1, NULL);
		pos += (size_t)snprintf(want + pos, sizeof(want) - pos, "%s%lld={%s}:%g",
					i ? " " : "", (long long)t, m, sum);
		t += i % 2 ? 60 : 300;
	}
	expect(f->st, CMAN_METADATA, KF, INT64_MIN, INT64_MAX, 0, want);
}

static void test_equal_times_keep_write_order(void **state)
{
	struct fix *f = *state;

	put_num(f->st, CMAN_SYSTEM_METRICS, "k", 10, 1);
	put_num(f->st, CMAN_SYSTEM_METRICS, "k", 10, 2);
	put_num(f->st, CMAN_SYSTEM_METRICS, "k", 20, 5);
	put_num(f->st, CMAN_SYSTEM_METRICS, "k", 10, 3);   /* out of order, equal to 10 */
	put_map(f->st, CMAN_SYSTEM_METRICS, "k", 10, "a.b/us-east-1a=4");
	put_num(f->st, CMAN_SYSTEM_METRICS, "k", 5, 0);
	put_num(f->st, CMAN_SYSTEM_METRICS, "k", 20, 6);
	expect(f->st, CMAN_SYSTEM_METRICS, "k", 0, 100, 0,
	       "5=0 10=1 10=2 10=3 10={a.b/us-east-1a=4}:4 20=5 20=6");
	/* latest at 10 is the last written at 10 */
	expect(f->st, CMAN_SYSTEM_METRICS, "k", 10, 10, CMAN_CURSOR_WITH_PRIOR,
	       "10={a.b/us-east-1a=4}:4");
	expect(f->st, CMAN_SYSTEM_METRICS, "k", 10, 20, CMAN_CURSOR_WITH_PRIOR,
	       "10={a.b/us-east-1a=4}:4 20=5 20=6");
	expect(f->st, CMAN_SYSTEM_METRICS, "k", 10, 10, 0, "10=1 10=2 10=3 10={a.b/us-east-1a=4}:4");
}

static void test_ranges(void **state)
{
	struct fix *f = *state;

	for (int t = 0; t <= 100; t += 10)
		put_num(f->st, CMAN_METADATA, "r", t, t / 10);
	expect(f->st, CMAN_METADATA, "r", 20, 40, 0, "20=2 30=3 40=4");
	expect(f->st, CMAN_METADATA, "r", 21, 39, 0, "30=3");
	expect(f->st, CMAN_METADATA, "r", 21, 29, 0, "");
	expect(f->st, CMAN_METADATA, "r", 40, 20, 0, "");
	expect(f->st, CMAN_METADATA, "r", -50, 0, 0, "0=0");
	expect(f->st, CMAN_METADATA, "r", 100, 1000, 0, "100=10");
	expect(f->st, CMAN_METADATA, "r", 101, 1000, 0, "");
	expect(f->st, CMAN_METADATA, "r", 95, INT64_MAX, 0, "100=10");
	expect(f->st, CMAN_METADATA, "r", INT64_MIN, 5, 0, "0=0");
}

static void test_with_prior(void **state)
{
	struct fix *f = *state;
	const unsigned P = CMAN_CURSOR_WITH_PRIOR;

	for (int t = 0; t <= 100; t += 10)
		put_num(f->st, CMAN_METADATA, "r", t, t / 10);
	put_map(f->st, CMAN_METADATA, "m", 50, "x.large/us-west-2a=1;a.large/us-west-2b=2");
	put_map(f->st, CMAN_METADATA, "m", 60, "x.large/us-west-2a=3");
	/* a sample exactly at t0 is the prior */
	expect(f->st, CMAN_METADATA, "r", 20, 40, P, "20=2 30=3 40=4");
	/* a sample before t0 */
	expect(f->st, CMAN_METADATA, "r", 25, 40, P, "20=2 30=3 40=4");
	expect(f->st, CMAN_METADATA, "r", 25, 30, P, "20=2 30=3");
	expect(f->st, CMAN_METADATA, "r", 25, 29, P, "20=2");
	/* t1 before t0: only the prior */
	expect(f->st, CMAN_METADATA, "r", 25, 0, P, "20=2");
	/* no prior */
	expect(f->st, CMAN_METADATA, "r", -5, 10, P, "0=0 10=1");
	expect(f->st, CMAN_METADATA, "r", -5, -1, P, "");
	expect(f->st, CMAN_METADATA, "r", INT64_MIN, 0, P, "0=0");
	/* after the last */
	expect(f->st, CMAN_METADATA, "r", 1000, 2000, P, "100=10");
	expect(f->st, CMAN_METADATA, "r", INT64_MAX, INT64_MAX, P, "100=10");
	/* map prior */
	expect(f->st, CMAN_METADATA, "m", 55, 100, P,
	       "50={a.large/us-west-2b=2;x.large/us-west-2a=1}:3 60={x.large/us-west-2a=3}:3");
	expect(f->st, CMAN_METADATA, "m", 60, 100, P, "60={x.large/us-west-2a=3}:3");
	expect(f->st, CMAN_METADATA, "m", 0, 49, P, "");
	expect(f->st, CMAN_METADATA, "unknown", 0, 49, P, "");
}

struct keylist {
	char keys[16][64];
	int n, stop_at;
};

static int key_cb(void *ctx, const char *key)
{
	struct keylist *kl = ctx;

	if (kl->n == kl->stop_at)
		return 7;
	snprintf(kl->keys[kl->n++], 64, "%s", key);
	return 0;
}

static void test_keys(void **state)
{
	struct fix *f = *state;
	struct keylist kl = { .stop_at = -1 };
	struct cman_error err = { 0 };

	put_num(f->st, CMAN_SYSTEM_METRICS, "mem_allocated|cluster=a", 1, 1);
	put_num(f->st, CMAN_SYSTEM_METRICS, "cpus_allocated|cluster=b", 1, 1);
	put_num(f->st, CMAN_SYSTEM_METRICS, "cpus_allocated|cluster=a", 1, 1);
	put_num(f->st, CMAN_SYSTEM_METRICS, "cpus_allocated|cluster=a", 2, 1);
	put_num(f->st, CMAN_SYSTEM_METRICS, "cpus", 1, 1);
	put_num(f->st, CMAN_APP_METRICS, "cpus_allocated|cluster=c", 1, 1);
	assert_int_equal(cman_store_keys(f->st, CMAN_SYSTEM_METRICS, "", key_cb, &kl, &err), 0);
	assert_int_equal(kl.n, 4);
	assert_string_equal(kl.keys[0], "cpus");
	assert_string_equal(kl.keys[1], "cpus_allocated|cluster=a");
	assert_string_equal(kl.keys[2], "cpus_allocated|cluster=b");
	assert_string_equal(kl.keys[3], "mem_allocated|cluster=a");
	kl.n = 0;
	assert_int_equal(cman_store_keys(f->st, CMAN_SYSTEM_METRICS, "cpus_", key_cb, &kl, &err), 0);
	assert_int_equal(kl.n, 2);
	assert_string_equal(kl.keys[0], "cpus_allocated|cluster=a");
	assert_string_equal(kl.keys[1], "cpus_allocated|cluster=b");
	kl.n = 0;
	assert_int_equal(cman_store_keys(f->st, CMAN_SYSTEM_METRICS, NULL, key_cb, &kl, &err), 0);
	assert_int_equal(kl.n, 4);
	kl.n = 0;
	assert_int_equal(cman_store_keys(f->st, CMAN_APP_METRICS, "", key_cb, &kl, &err), 0);
	assert_int_equal(kl.n, 1);
	assert_string_equal(kl.keys[0], "cpus_allocated|cluster=c");
	kl.n = 0;
	assert_int_equal(cman_store_keys(f->st, CMAN_METADATA, "", key_cb, &kl, &err), 0);
	assert_int_equal(kl.n, 0);
	assert_int_equal(cman_store_keys(f->st, CMAN_SYSTEM_METRICS, "zzz", key_cb, &kl, &err), 0);
	assert_int_equal(kl.n, 0);
	/* a non-zero return stops and is returned */
	kl.n = 0;
	kl.stop_at = 1;
	assert_int_equal(cman_store_keys(f->st, CMAN_SYSTEM_METRICS, "", key_cb, &kl, &err), 7);
	assert_int_equal(kl.n, 1);
	/* a bad kind */
	assert_int_equal(cman_store_keys(f->st, (enum cman_metric_kind)9, "", key_cb, &kl, &err),
			 CMAN_EINVAL);
}

/* A keys callback that lists keys itself (the SQLite store keeps one
 * prepared keys query: a nested listing must not disturb the outer one). */
struct nested_keys {
	struct cman_store *st;
	struct keylist outer, inner;
};

static int nested_key_cb(void *ctx, const char *key)
{
	struct nested_keys *nk = ctx;
	struct cman_error err = { 0 };
	int rc;

	snprintf(nk->outer.keys[nk->outer.n++], 64, "%s", key);
	nk->inner.n = 0;
	rc = cman_store_keys(nk->st, CMAN_SYSTEM_METRICS, "mem_", key_cb, &nk->inner, &err);
	if (rc)
		return rc;
	return nk->inner.n == 1 && strcmp(nk->inner.keys[0], "mem_allocated|cluster=a") == 0
	       ? 0 : 9;
}

static void test_keys_nested(void **state)
{
	struct fix *f = *state;
	struct nested_keys nk = { .st = f->st, .outer.stop_at = -1, .inner.stop_at = -1 };
	struct keylist kl = { .stop_at = -1 };
	struct cman_error err = { 0 };

	put_num(f->st, CMAN_SYSTEM_METRICS, "mem_allocated|cluster=a", 1, 1);
	put_num(f->st, CMAN_SYSTEM_METRICS, "cpus_allocated|cluster=b", 1, 1);
	put_num(f->st, CMAN_SYSTEM_METRICS, "cpus_allocated|cluster=a", 1, 1);
	assert_int_equal(cman_store_keys(f->st, CMAN_SYSTEM_METRICS, "", nested_key_cb, &nk, &err),
			 0);
	assert_int_equal(nk.outer.n, 3);
	assert_string_equal(nk.outer.keys[0], "cpus_allocated|cluster=a");
	assert_string_equal(nk.outer.keys[1], "cpus_allocated|cluster=b");
	assert_string_equal(nk.outer.keys[2], "mem_allocated|cluster=a");
	/* and the shared query still answers afterwards */
	assert_int_equal(cman_store_keys(f->st, CMAN_SYSTEM_METRICS, "cpus", key_cb, &kl, &err), 0);
	assert_int_equal(kl.n, 2);
}

/* Render one cursor's next sample ("t=v", or "end"). */
static void next_of(struct cman_cursor *cur, char *out, size_t cap)
{
	struct cman_error err = { 0 };
	struct cman_sample s;
	struct rec r;
	int rc = cman_cursor_next(cur, &s, &err);

	if (rc < 0)
		fail_msg("cursor: %s", err.msg);
	if (rc == 0) {
		snprintf(out, cap, "end");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.t = s.t;
	r.value = s.value;
	r.is_map = s.is_map;
	r.n = s.is_map ? s.n_markets : 0;
	for (size_t j = 0; j < r.n; j++) {
		snprintf(r.type[j], CMAN_TYPE_MAX, "%s", s.markets[j].instance_type);
		snprintf(r.az[j], CMAN_AZ_MAX, "%s", s.markets[j].az);
		r.mv[j] = s.markets[j].value;
	}
	render(&r, 1, out, cap);
}

/*
 * Cursors with their prior samples, all opened before any is read and read
 * in turns (a simulation opens every feed first): each gives its own
 * series.  The SQLite store answers every cursor's prior sample with one
 * shared query, bound when the cursor is first read.
 */
static void test_with_prior_interleaved(void **state)
{
	struct fix *f = *state;
	static const char *const keys[3] = { "a", "b", "m" };
	/* what each cursor gives over [25, 60], in order */
	static const char *const want[3][5] = {
		{ "20=2", "30=3", "40=4", "50=5", "60=6" },
		{ "0=100", "40=140", "end", "end", "end" },
		{ "10={a.large/us-west-2b=2;x.large/us-west-2a=1}:3",
		  "50={x.large/us-west-2a=3}:3", "end", "end", "end" },
	};
	struct cman_cursor *cur[3] = { NULL };
	struct cman_error err = { 0 };
	struct keylist kl = { .stop_at = -1 };
	char got[512];

	for (int t = 0; t <= 100; t += 10)
		put_num(f->st, CMAN_METADATA, "a", t, t / 10);
	put_num(f->st, CMAN_METADATA, "b", 0, 100);
	put_num(f->st, CMAN_METADATA, "b", 40, 140);
	put_num(f->st, CMAN_METADATA, "b", 70, 170);
	put_map(f->st, CMAN_METADATA, "m", 10, "x.large/us-west-2a=1;a.large/us-west-2b=2");
	put_map(f->st, CMAN_METADATA, "m", 50, "x.large/us-west-2a=3");
	for (int i = 0; i < 3; i++)
		if (cman_store_open_cursor(f->st, CMAN_METADATA, keys[i], 25, 60,
					   CMAN_CURSOR_WITH_PRIOR, &cur[i], &err))
			fail_msg("open cursor %s: %s", keys[i], err.msg);
	/* the last opened is read first; a keys listing between the reads */
	for (int step = 0; step < 5; step++) {
		for (int i = 2; i >= 0; i--) {
			next_of(cur[i], got, sizeof(got));
			if (strcmp(got, want[i][step]) != 0)
				fail_msg("cursor %s, read %d: got '%s', want '%s'", keys[i], step + 1,
					 got, want[i][step]);
		}
		kl.n = 0;
		assert_int_equal(cman_store_keys(f->st, CMAN_METADATA, "", key_cb, &kl, &err), 0);
		assert_int_equal(kl.n, 3);
	}
	for (int i = 0; i < 3; i++)
		cman_cursor_close(cur[i]);
}

/* One key under two kinds, and keys that are prefixes of each other,
 * written one after the other: each sample lands in its own series (the
 * memory store matches a write with the last one's series in place,
 * issue 12). */
static void test_same_key_other_kind(void **state)
{
	struct fix *f = *state;
	static const struct {
		enum cman_metric_kind kind;
		const char *key;
		const char *want[4];
	} series[] = {
		{ CMAN_METADATA, "k", { "0=1", "10=2", "40=6", "end" } },
		{ CMAN_SYSTEM_METRICS, "k", { "10=3", "30=5", "end", "end" } },
		{ CMAN_SYSTEM_METRICS, "k2", { "20=4", "end", "end", "end" } },
		{ CMAN_METADATA, "k2", { "50=7", "end", "end", "end" } },
		{ CMAN_METADATA, "", { "60=8", "end", "end", "end" } },
	};
	struct cman_error err = { 0 };
	char got[512];

	put_num(f->st, CMAN_METADATA, "k", 0, 1);
	put_num(f->st, CMAN_METADATA, "k", 10, 2);
	put_num(f->st, CMAN_SYSTEM_METRICS, "k", 10, 3);
	put_num(f->st, CMAN_SYSTEM_METRICS, "k2", 20, 4);
	put_num(f->st, CMAN_SYSTEM_METRICS, "k", 30, 5);
	put_num(f->st, CMAN_METADATA, "k", 40, 6);
	put_num(f->st, CMAN_METADATA, "k2", 50, 7);
	put_num(f->st, CMAN_METADATA, "", 60, 8);
	for (size_t i = 0; i < sizeof(series) / sizeof(series[0]); i++) {
		struct cman_cursor *cur = NULL;

		if (cman_store_open_cursor(f->st, series[i].kind, series[i].key, 0, 100, 0, &cur,
					   &err))
			fail_msg("open cursor %s: %s", series[i].key, err.msg);
		for (int step = 0; step < 4; step++) {
			next_of(cur, got, sizeof(got));
			if (strcmp(got, series[i].want[step]) != 0)
				fail_msg("series %zu, read %d: got '%s', want '%s'", i, step + 1,
					 got, series[i].want[step]);
			if (!strcmp(got, "end"))
				break;
		}
		cman_cursor_close(cur);
	}
}

static void test_latest(void **state)
{
	struct fix *f = *state;
	struct cman_error err = { 0 };
	int64_t t = -1;
	double v = -1;

	put_num(f->st, CMAN_METADATA, "tc", 100, 5);
	put_num(f->st, CMAN_METADATA, "tc", 200, 6);
	put_num(f->st, CMAN_METADATA, "tc", 200, 7);
	put_map(f->st, CMAN_METADATA, "fc", 150, "a.b/us-west-2a=2;a.b/us-west-2b=3");
	assert_int_equal(cman_store_latest(f->st, CMAN_METADATA, "tc", 99, &t, &v, &err), 0);
	assert_int_equal(cman_store_latest(f->st, CMAN_METADATA, "tc", 100, &t, &v, &err), 1);
	assert_int_equal(t, 100);
	assert_true(v == 5);
	assert_int_equal(cman_store_latest(f->st, CMAN_METADATA, "tc", 199, &t, &v, &err), 1);
	assert_int_equal(t, 100);
	assert_int_equal(cman_store_latest(f->st, CMAN_METADATA, "tc", 200, &t, &v, &err), 1);
	assert_int_equal(t, 200);
	assert_true(v == 7);
	assert_int_equal(cman_store_latest(f->st, CMAN_METADATA, "tc", INT64_MAX, NULL, &v, &err), 1);
	assert_true(v == 7);
	assert_int_equal(cman_store_latest(f->st, CMAN_METADATA, "fc", 1000, &t, &v, &err), 1);
	assert_int_equal(t, 150);
	assert_true(v == 5);
	assert_int_equal(cman_store_latest(f->st, CMAN_METADATA, "none", 1000, &t, &v, &err), 0);
	assert_int_equal(cman_store_latest(f->st, CMAN_SYSTEM_METRICS, "tc", 1000, &t, &v, &err), 0);
}

struct sum_ctx {
	double sum;
	int n, stop_at;
};

static int sum_cb(void *ctx, const struct cman_sample *s)
{
	struct sum_ctx *c = ctx;

	if (c->n == c->stop_at)
		return 3;
	c->sum += s->value;
	c->n++;
	return 0;
}

static void test_values(void **state)
{
	struct fix *f = *state;
	struct cman_error err = { 0 };
	struct sum_ctx c = { 0, 0, -1 };

	for (int t = 1; t <= 10; t++)
		put_num(f->st, CMAN_APP_METRICS, "v", t, t);
	assert_int_equal(cman_store_values(f->st, CMAN_APP_METRICS, "v", 3, 5, sum_cb, &c, &err), 0);
	assert_int_equal(c.n, 3);
	assert_true(c.sum == 12);
	c = (struct sum_ctx){ 0, 0, 2 };
	assert_int_equal(cman_store_values(f->st, CMAN_APP_METRICS, "v", 0, 100, sum_cb, &c, &err), 3);
	assert_int_equal(c.n, 2);
	c = (struct sum_ctx){ 0, 0, -1 };
	assert_int_equal(cman_store_values(f->st, CMAN_APP_METRICS, "w", 0, 100, sum_cb, &c, &err), 0);
	assert_int_equal(c.n, 0);
}

static void test_out_of_order_writes(void **state)
{
	struct fix *f = *state;
	int64_t order[] = { 50, 10, 40, 20, 30, 10, 60, 0 };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		put_num(f->st, CMAN_APP_METRICS, "o", order[i], (double)i);
	expect(f->st, CMAN_APP_METRICS, "o", 0, 100, 0, "0=7 10=1 10=5 20=3 30=4 40=2 50=0 60=6");
	/* more writes after a read: sorted again */
	put_num(f->st, CMAN_APP_METRICS, "o", 15, 8);
	put_num(f->st, CMAN_APP_METRICS, "o", 10, 9);
	expect(f->st, CMAN_APP_METRICS, "o", 10, 20, 0, "10=1 10=5 10=9 15=8 20=3");
	expect(f->st, CMAN_APP_METRICS, "o", 12, 20, CMAN_CURSOR_WITH_PRIOR, "10=9 15=8 20=3");
}

/*
 * Descending times, two samples at each (the second written first, so that
 * equal times must keep write order): every write lands before the whole
 * series.  In SQLite that merges into the first chunk again and again, so
 * chunks grow past their size and are split; the read is checked against
 * the order worked out here, also for a range and a prior inside.
 */
static void test_descending_writes(void **state)
{
	enum { N = 1500 };
	static struct rec r[2 * N + 1];
	struct fix *f = *state;
	struct cman_error err = { 0 };
	size_t n;

	assert_int_equal(cman_store_begin(f->st, &err), 0);
	for (int i = N; i >= 1; i--) {
		put_num(f->st, CMAN_APP_METRICS, "desc", 10 * (int64_t)i, i + 0.5);
		put_num(f->st, CMAN_APP_METRICS, "desc", 10 * (int64_t)i, -i);
	}
	assert_int_equal(cman_store_commit(f->st, &err), 0);
	n = read_all(f->st, CMAN_APP_METRICS, "desc", INT64_MIN, INT64_MAX, 0, r, 2 * N + 1);
	assert_int_equal(n, 2 * N);
	for (size_t k = 0; k < n; k++) {
		int i = (int)(k / 2) + 1;

		assert_int_equal(r[k].t, 10 * (int64_t)i);
		assert_true(r[k].value == (k % 2 ? -i : i + 0.5));
	}
	/* from inside: the latest sample at 7005 is the second one at 7000 */
	n = read_all(f->st, CMAN_APP_METRICS, "desc", 7005, 7020, CMAN_CURSOR_WITH_PRIOR, r, 8);
	assert_int_equal(n, 5);
	assert_int_equal(r[0].t, 7000);
	assert_true(r[0].value == -700);
	assert_int_equal(r[4].t, 7020);
	assert_true(r[4].value == -702);
}

static void test_bad_writes(void **state)
{
	struct fix *f = *state;
	struct cman_error err = { 0 };
	struct cman_market_value mv[2] = { { "a.b", "us-west-2a", 1 }, { "a.b", "us-west-2a", 2 } };
	struct cman_sample s = { .t = 1, .is_map = true, .n_markets = 2, .markets = mv };
	char longkey[CMAN_KEY_MAX + 10];

	assert_int_equal(cman_store_write(f->st, CMAN_METADATA, "d", &s, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "duplicate market <a.b, us-west-2a>"));
	expect(f->st, CMAN_METADATA, "d", INT64_MIN, INT64_MAX, 0, "");
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	s.is_map = false;
	assert_int_equal(cman_store_write(f->st, CMAN_METADATA, longkey, &s, &err), CMAN_EINVAL);
	assert_int_equal(cman_store_write(f->st, (enum cman_metric_kind)3, "k", &s, &err), CMAN_EINVAL);
	/* many markets in one map */
	{
		struct cman_market_value big[MAXM];
		char azs[MAXM][8];

		for (int i = 0; i < MAXM; i++) {
			snprintf(azs[i], sizeof(azs[i]), "z%d", MAXM - i);
			big[i] = (struct cman_market_value){ "t.x", azs[i], i };
		}
		s = (struct cman_sample){ .t = 3, .is_map = true, .n_markets = MAXM, .markets = big };
		assert_int_equal(cman_store_write(f->st, CMAN_METADATA, "big", &s, &err), 0);
		expect(f->st, CMAN_METADATA, "big", 0, 5, 0,
		       "3={t.x/z1=7;t.x/z2=6;t.x/z3=5;t.x/z4=4;t.x/z5=3;t.x/z6=2;t.x/z7=1;t.x/z8=0}:28");
	}
}

static void test_transaction_calls(void **state)
{
	struct fix *f = *state;
	struct cman_error err = { 0 };

	assert_int_equal(cman_store_begin(f->st, &err), 0);
	put_num(f->st, CMAN_APP_METRICS, "tx", 1, 1);
	assert_int_equal(cman_store_commit(f->st, &err), 0);
	expect(f->st, CMAN_APP_METRICS, "tx", 0, 10, 0, "1=1");
	/* commit without begin is harmless */
	assert_int_equal(cman_store_commit(f->st, &err), 0);
	cman_store_rollback(f->st);
	expect(f->st, CMAN_APP_METRICS, "tx", 0, 10, 0, "1=1");
}

/* ---- SQLite only ---- */

static void test_sqlite_reopen(void **state)
{
	struct fix *f = *state;
	struct cman_error err = { 0 };

	assert_int_equal(cman_store_begin(f->st, &err), 0);
	put_num(f->st, CMAN_SYSTEM_METRICS, K1, 100, 1);
	put_num(f->st, CMAN_SYSTEM_METRICS, K1, 100, 2);
	put_map(f->st, CMAN_METADATA, KF, 100, "m3.large/us-west-2b=2;m3.large/us-west-2a=7");
	assert_int_equal(cman_store_commit(f->st, &err), 0);
	assert_string_equal(f->st->name, f->path);
	cman_store_free(f->st);
	f->st = NULL;
	assert_int_equal(open_store(f, false), 0);
	expect(f->st, CMAN_SYSTEM_METRICS, K1, 0, 1000, 0, "100=1 100=2");
	expect(f->st, CMAN_METADATA, KF, 0, 1000, 0,
	       "100={m3.large/us-west-2a=7;m3.large/us-west-2b=2}:9");
	/* writing after reopening continues the write order and markets */
	put_num(f->st, CMAN_SYSTEM_METRICS, K1, 100, 3);
	put_num(f->st, CMAN_SYSTEM_METRICS, K1, 50, 0);
	put_map(f->st, CMAN_METADATA, KF, 100, "m3.large/us-west-2c=1;m3.large/us-west-2a=1");
	cman_store_free(f->st);
	f->st = NULL;
	assert_int_equal(open_store(f, true), 0);
	expect(f->st, CMAN_SYSTEM_METRICS, K1, 0, 1000, 0, "50=0 100=1 100=2 100=3");
	expect(f->st, CMAN_METADATA, KF, 0, 1000, 0,
	       "100={m3.large/us-west-2a=7;m3.large/us-west-2b=2}:9 "
	       "100={m3.large/us-west-2a=1;m3.large/us-west-2c=1}:2");
	/* a second handle sees the same */
	{
		struct cman_store *st2 = NULL;

		assert_int_equal(cman_store_sqlite_open(f->path, false, &st2, &err), 0);
		expect(st2, CMAN_METADATA, KF, 100, 100, CMAN_CURSOR_WITH_PRIOR,
		       "100={m3.large/us-west-2a=1;m3.large/us-west-2c=1}:2");
		cman_store_free(st2);
	}
}

/*
 * Every form the chunk codec writes, read back from the file after
 * reopening: time steps of 1 to 4 varint bytes, integers of 1 to 8 bytes
 * (both signs), doubles (fractions, -0, huge), maps whose market ids take
 * one byte and two (more than 127 markets, also in one map); whole range
 * and with prior.
 */
static void test_sqlite_value_forms(void **state)
{
	static const double vals[] = { 0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, 1e6,
				       -123456789, 4503599627370495.0, 9007199254740991.0,
				       9007199254740992.0, 0.5, -0.25, -0.0, 1e300, 0.1 };
	static const int64_t steps[] = { 0, 1, 127, 128, 300, 16383, 16384, 2097152 };
	enum { NV = sizeof(vals) / sizeof(vals[0]), NS = sizeof(steps) / sizeof(steps[0]) };
	struct fix *f = *state;
	struct cman_error err = { 0 };
	static struct rec r[512];
	static char want[1 << 16], got[1 << 16], spec[256];
	int64_t t[2 * NV * NS], tm[140];
	size_t n = 0, pos = 0, k;

	assert_int_equal(cman_store_begin(f->st, &err), 0);
	t[0] = 1000;
	for (int rep = 0; rep < 2; rep++)
		for (int i = 0; i < NS; i++)
			for (int j = 0; j < NV; j++, n++) {
				if (n)
					t[n] = t[n - 1] + steps[(i + j) % NS];
				put_num(f->st, CMAN_APP_METRICS, "forms", t[n], vals[(j + rep) % NV]);
			}
	/* 140 maps of one new market each (ids 1..140), then of two: ids
	 * below and above 128 in one map */
	for (k = 0; k < 140; k++) {
		tm[k] = 5000 + 60 * (int64_t)k;
		snprintf(spec, sizeof(spec), "t%zu.large/az-%zu=%zu", k, k, 16 * k);
		put_map(f->st, CMAN_METADATA, KF, tm[k], spec);
	}
	put_map(f->st, CMAN_METADATA, KF, 20000, "t3.large/az-3=5;t135.large/az-135=7");
	put_map(f->st, CMAN_METADATA, KF, 20060, "t3.large/az-3=6;t135.large/az-135=0.5");
	assert_int_equal(cman_store_commit(f->st, &err), 0);
	cman_store_free(f->st);
	f->st = NULL;
	assert_int_equal(open_store(f, false), 0);

	want[0] = '\0';
	for (k = 0; k < n; k++)
		pos += (size_t)snprintf(want + pos, sizeof(want) - pos, "%s%lld=%.17g", k ? " " : "",
					(long long)t[k], vals[(k % NV + k / (NV * NS)) % NV]);
	render(r, read_all(f->st, CMAN_APP_METRICS, "forms", INT64_MIN, INT64_MAX, 0, r, 512),
	       got, sizeof(got));
	assert_string_equal(got, want);
	/* with prior, from the middle: the sample at or before, nothing after */
	for (k = n / 2; t[k + 1] - t[k] < 2; k++)
		;
	snprintf(want, sizeof(want), "%lld=%.17g", (long long)t[k],
		 vals[(k % NV + k / (NV * NS)) % NV]);
	render(r, read_all(f->st, CMAN_APP_METRICS, "forms", t[k] + 1, t[k] + 1,
			   CMAN_CURSOR_WITH_PRIOR, r, 512), got, sizeof(got));
	assert_string_equal(got, want);

	pos = 0;
	want[0] = '\0';
	for (k = 0; k < 140; k++)
		pos += (size_t)snprintf(want + pos, sizeof(want) - pos,
					"%s%lld={t%zu.large/az-%zu=%zu}:%zu", k ? " " : "",
					(long long)tm[k], k, k, 16 * k, 16 * k);
	snprintf(want + pos, sizeof(want) - pos,
		 " 20000={t135.large/az-135=7;t3.large/az-3=5}:12"
		 " 20060={t135.large/az-135=0.5;t3.large/az-3=6}:6.5");
	render(r, read_all(f->st, CMAN_METADATA, KF, 0, INT64_MAX, 0, r, 512), got, sizeof(got));
	assert_string_equal(got, want);
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static void expect_open_error(const char *path, bool create, const char *want)
{
	struct cman_store *st = (struct cman_store *)1;
	struct cman_error err = { 0 };

	assert_int_equal(cman_store_sqlite_open(path, create, &st, &err), CMAN_EINVAL);
	assert_null(st);
	if (!strstr(err.msg, want))
		fail_msg("message '%s' lacks '%s'", err.msg, want);
	if (strncmp(err.msg, path, strlen(path)) != 0)
		fail_msg("message '%s' does not start with the path", err.msg);
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_sqlite_rejects(void **state)
{
	struct fix *f = *state;
	char p[200];
	char text[4096];

	snprintf(p, sizeof(p), "%s/missing.sqlite", f->dir);
	expect_open_error(p, false, ": no such metrics database");
	assert_int_equal(access(p, F_OK), -1);   /* not created */

	snprintf(p, sizeof(p), "%s/text.sqlite", f->dir);
	memset(text, 'x', sizeof(text));
	write_file(p, text, sizeof(text));
	expect_open_error(p, false, ": not a clusterman metrics database");
	expect_open_error(p, true, ": not a clusterman metrics database");

	snprintf(p, sizeof(p), "%s/other.sqlite", f->dir);
	exec_sql(p, "CREATE TABLE t(x)");
	expect_open_error(p, false, ": not a clusterman metrics database");
	expect_open_error(p, true, ": not a clusterman metrics database");

	snprintf(p, sizeof(p), "%s/meta.sqlite", f->dir);
	exec_sql(p, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
		 " INSERT INTO meta VALUES('schema_version', '99')");
	expect_open_error(p, false, "schema version 99 is not supported");

	snprintf(p, sizeof(p), "%s/empty.sqlite", f->dir);
	write_file(p, "", 0);
	expect_open_error(p, false, ": not a clusterman metrics database");

	expect_open_error(f->dir, true, ": not a clusterman metrics database");
}

/*
 * cman_store_sqlite_open_checking: the reads go on while the slow checks
 * run; check_wait gives their result, and for a damaged file exactly the
 * error cman_store_sqlite_open gives (again when asked again).  A store
 * freed without waiting joins its check (ASan, helgrind).
 */
static void test_sqlite_check_beside(void **state)
{
	struct fix *f = *state;
	struct cman_error err = { 0 }, want = { 0 };
	struct cman_store *st = NULL, *mem = NULL;
	int64_t t;

	assert_int_equal(cman_store_begin(f->st, &err), 0);
	for (t = 0; t < 20000; t += 60)
		put_num(f->st, CMAN_SYSTEM_METRICS, K1, t, (double)(t % 7));
	put_map(f->st, CMAN_METADATA, KF, 100, "m3.large/us-west-2b=2;m3.large/us-west-2a=7");
	assert_int_equal(cman_store_commit(f->st, &err), 0);
	cman_store_free(f->st);
	f->st = NULL;

	assert_int_equal(cman_store_sqlite_open_checking(f->path, &st, &err), 0);
	expect(st, CMAN_METADATA, KF, 0, 1000, 0,
	       "100={m3.large/us-west-2a=7;m3.large/us-west-2b=2}:9");
	assert_int_equal(cman_store_sqlite_check_wait(st, &err), 0);
	assert_int_equal(cman_store_sqlite_check_wait(st, &err), 0);
	cman_store_free(st);
	st = NULL;
	assert_int_equal(cman_store_sqlite_open_checking(f->path, &st, &err), 0);
	cman_store_free(st);                       /* not waited for */
	st = NULL;
	assert_int_equal(cman_store_memory_new(&mem, &err), 0);
	assert_int_equal(cman_store_sqlite_check_wait(mem, &err), 0);
	cman_store_free(mem);

	/* a text t1 in one chunk: found by the pass for wrong types only */
	exec_sql(f->path, "UPDATE chunks SET t1 = 'soon' WHERE t0 = "
		 "(SELECT max(t0) FROM chunks)");
	assert_int_equal(cman_store_sqlite_open(f->path, false, &st, &want), CMAN_EINVAL);
	assert_null(st);
	assert_non_null(strstr(want.msg, "a value of the wrong type"));
	assert_int_equal(cman_store_sqlite_open_checking(f->path, &st, &err), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cman_store_sqlite_check_wait(st, &err), CMAN_EINVAL);
	assert_string_equal(err.msg, want.msg);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cman_store_sqlite_check_wait(st, &err), CMAN_EINVAL);
	assert_string_equal(err.msg, want.msg);
	cman_store_free(st);
	st = NULL;
	/* what the open itself refuses, it refuses with the same message */
	exec_sql(f->path, "DROP TABLE chunks; CREATE TABLE chunks(x)");
	memset(&want, 0, sizeof(want));
	memset(&err, 0, sizeof(err));
	assert_int_equal(cman_store_sqlite_open(f->path, false, &st, &want), CMAN_EINVAL);
	assert_int_equal(cman_store_sqlite_open_checking(f->path, &st, &err), CMAN_EINVAL);
	assert_null(st);
	assert_string_equal(err.msg, want.msg);
}

static void test_sqlite_rollback(void **state)
{
	struct fix *f = *state;
	struct cman_error err = { 0 };
	struct keylist kl = { .stop_at = -1 };

	assert_int_equal(cman_store_begin(f->st, &err), 0);
	put_num(f->st, CMAN_SYSTEM_METRICS, "a", 10, 1);
	put_map(f->st, CMAN_METADATA, "m", 10, "x.y/us-west-2a=1");
	assert_int_equal(cman_store_commit(f->st, &err), 0);

	assert_int_equal(cman_store_begin(f->st, &err), 0);
	assert_int_equal(cman_store_begin(f->st, &err), CMAN_EINVAL);
	put_num(f->st, CMAN_SYSTEM_METRICS, "a", 10, 2);
	put_num(f->st, CMAN_SYSTEM_METRICS, "a", 20, 3);
	put_num(f->st, CMAN_SYSTEM_METRICS, "b", 20, 3);
	put_map(f->st, CMAN_METADATA, "m", 10, "x.z/us-west-2b=5;x.y/us-west-2a=2");
	expect(f->st, CMAN_SYSTEM_METRICS, "a", 0, 100, 0, "10=1 10=2 20=3");
	cman_store_rollback(f->st);

	expect(f->st, CMAN_SYSTEM_METRICS, "a", 0, 100, 0, "10=1");
	expect(f->st, CMAN_SYSTEM_METRICS, "b", 0, 100, 0, "");
	expect(f->st, CMAN_METADATA, "m", 0, 100, 0, "10={x.y/us-west-2a=1}:1");
	assert_int_equal(cman_store_keys(f->st, CMAN_SYSTEM_METRICS, "", key_cb, &kl, &err), 0);
	assert_int_equal(kl.n, 1);
	assert_string_equal(kl.keys[0], "a");

	/* writing after the rollback works (ids and seqs are re-derived) */
	assert_int_equal(cman_store_begin(f->st, &err), 0);
	put_num(f->st, CMAN_SYSTEM_METRICS, "a", 10, 4);
	put_num(f->st, CMAN_SYSTEM_METRICS, "c", 10, 4);
	put_map(f->st, CMAN_METADATA, "m", 10, "w.w/us-west-2c=5;x.y/us-west-2a=2");
	assert_int_equal(cman_store_commit(f->st, &err), 0);
	cman_store_free(f->st);
	f->st = NULL;
	assert_int_equal(open_store(f, false), 0);
	expect(f->st, CMAN_SYSTEM_METRICS, "a", 0, 100, 0, "10=1 10=4");
	expect(f->st, CMAN_SYSTEM_METRICS, "c", 0, 100, 0, "10=4");
	expect(f->st, CMAN_METADATA, "m", 0, 100, 0,
	       "10={x.y/us-west-2a=1}:1 10={w.w/us-west-2c=5;x.y/us-west-2a=2}:7");
	/* a rollback after the store was reopened leaves it unchanged too */
	assert_int_equal(cman_store_begin(f->st, &err), 0);
	put_num(f->st, CMAN_SYSTEM_METRICS, "a", 5, 9);
	cman_store_rollback(f->st);
	cman_store_free(f->st);   /* free with no transaction open */
	f->st = NULL;
	assert_int_equal(open_store(f, false), 0);
	expect(f->st, CMAN_SYSTEM_METRICS, "a", 0, 100, 0, "10=1 10=4");
	/* freeing with a transaction open rolls it back */
	assert_int_equal(cman_store_begin(f->st, &err), 0);
	put_num(f->st, CMAN_SYSTEM_METRICS, "a", 5, 9);
	cman_store_free(f->st);
	f->st = NULL;
	assert_int_equal(open_store(f, false), 0);
	expect(f->st, CMAN_SYSTEM_METRICS, "a", 0, 100, 0, "10=1 10=4");
}

/*
 * The private temporary store (what `run` streams JSON and CSV sources
 * into): its data spill to its file, so the peak RSS does not follow what
 * was written (6 million samples, about 60 MB as chunks, 96 MB in any
 * 16-byte-a-sample memory layout); the samples come back in order, and the
 * file is gone once the store is freed.
 */
static void test_sqlite_temp(void **state)
{
	enum { N = 6000000 };
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	struct rusage ru;
	long before;
	int64_t n = 0;
	int rc;

	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip();
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	skip();
#endif
#endif
	assert_int_equal(cman_store_sqlite_temp("source.json", &st, &err), 0);
	assert_string_equal(st->name, "source.json");
	getrusage(RUSAGE_SELF, &ru);
	before = ru.ru_maxrss;
	assert_int_equal(cman_store_begin(st, &err), 0);
	for (int64_t i = 0; i < N; i++) {
		s = (struct cman_sample){ .t = 1514764800 + i, .value = (double)(i % 1000) / 8 };
		if (cman_store_write(st, (enum cman_metric_kind)(i % 2), "big", &s, &err))
			fail_msg("write: %s", err.msg);
	}
	assert_int_equal(cman_store_commit(st, &err), 0);
	assert_int_equal(cman_store_open_cursor(st, CMAN_APP_METRICS, "big", INT64_MIN, INT64_MAX, 0,
						&cur, &err), 0);
	while ((rc = cman_cursor_next(cur, &s, &err)) == 1) {
		int64_t i = 2 * n + 1;

		if (s.t != 1514764800 + i || s.value != (double)(i % 1000) / 8)
			fail_msg("sample %lld: %lld=%g", (long long)n, (long long)s.t, s.value);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, N / 2);
	cman_cursor_close(cur);
	getrusage(RUSAGE_SELF, &ru);
	if (ru.ru_maxrss - before > 40 * 1024)
		fail_msg("6M samples raised the peak RSS by %ld KB", ru.ru_maxrss - before);
	cman_store_free(st);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Many cursors open at once, and a bulk load streamed back. */
static void test_bulk(void **state)
{
	struct fix *f = *state;
	struct cman_error err = { 0 };
	struct cman_cursor *cur[10];
	const int n = 20000;
	char key[10][32];
	double t0, t_write, t_read;
	long count = 0;

	t0 = now_s();
	assert_int_equal(cman_store_begin(f->st, &err), 0);
	for (int k = 0; k < 10; k++) {
		snprintf(key[k], sizeof(key[k]), "series%d", k);
		for (int i = 0; i < n; i++)
			put_num(f->st, CMAN_SYSTEM_METRICS, key[k], 1500000000 + 60 * (int64_t)i, i + k);
	}
	assert_int_equal(cman_store_commit(f->st, &err), 0);
	t_write = now_s() - t0;
	t0 = now_s();
	for (int k = 0; k < 10; k++)
		assert_int_equal(cman_store_open_cursor(f->st, CMAN_SYSTEM_METRICS, key[k], 0, INT64_MAX,
							CMAN_CURSOR_WITH_PRIOR, &cur[k], &err), 0);
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 10; k++) {
			struct cman_sample s;

			assert_int_equal(cman_cursor_next(cur[k], &s, &err), 1);
			if (s.t != 1500000000 + 60 * (int64_t)i || s.value != i + k)
				fail_msg("series %d sample %d: %lld %g", k, i, (long long)s.t, s.value);
			count++;
		}
	}
	for (int k = 0; k < 10; k++) {
		struct cman_sample s;

		assert_int_equal(cman_cursor_next(cur[k], &s, &err), 0);
		cman_cursor_close(cur[k]);
	}
	t_read = now_s() - t0;
	assert_int_equal(count, 10L * n);
	print_message("%s: wrote %d samples in %.3f s, streamed them in %.3f s\n", f->be->name,
		      10 * n, t_write, t_read);
	/* generous bounds (sanitizer builds are slow): catches quadratic behaviour */
	assert_true(t_write < 20);
	assert_true(t_read < 20);
}

/* ---- randomized: both backends against a model ---- */

struct mwrite {
	int series;
	int64_t t;
	bool is_map;
	double value;
	int n;
	int mk[5];
	double mv[5];
};

static const char *const r_types[5] = { "c5.xlarge", "m3.large", "c5.xlarge", "r5.2xlarge",
					"m3.large" };
static const char *const r_azs[5] = { "us-west-2a", "us-west-2a", "us-west-2b", "eu-west-1c",
				      "us-west-2c" };

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int mcmp(int a, int b)
{
	int c = strcmp(r_types[a], r_types[b]);

	return c ? c : strcmp(r_azs[a], r_azs[b]);
}

/* Expected samples of a query from the model, rendered. */
static void model_query(const struct mwrite *w, int nw, int series, int64_t t0, int64_t t1,
			unsigned flags, char *out, size_t cap)
{
	static struct rec r[4096];
	static int idx[4096];
	int n = 0, m = 0;

	for (int i = 0; i < nw; i++)
		if (w[i].series == series)
			idx[n++] = i;
	/* stable insertion sort by t */
	for (int i = 1; i < n; i++) {
		int x = idx[i], j = i;

		while (j > 0 && w[idx[j - 1]].t > w[x].t) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = x;
	}
	if (flags & CMAN_CURSOR_WITH_PRIOR) {
		int p = -1;

		for (int i = 0; i < n; i++)
			if (w[idx[i]].t <= t0)
				p = i;
		if (p >= 0)
			idx[m++] = idx[p];
		for (int i = 0; i < n; i++)
			if (w[idx[i]].t > t0 && w[idx[i]].t <= t1)
				idx[m++] = idx[i];
	} else {
		for (int i = 0; i < n; i++)
			if (w[idx[i]].t >= t0 && w[idx[i]].t <= t1)
				idx[m++] = idx[i];
	}
	for (int i = 0; i < m; i++) {
		const struct mwrite *x = &w[idx[i]];
		int order[5];

		r[i].t = x->t;
		r[i].is_map = x->is_map;
		r[i].value = x->value;
		r[i].n = x->is_map ? (size_t)x->n : 0;
		for (int j = 0; j < x->n; j++)
			order[j] = j;
		for (int j = 1; j < x->n; j++) {
			int y = order[j], k = j;

			while (k > 0 && mcmp(x->mk[order[k - 1]], x->mk[y]) > 0) {
				order[k] = order[k - 1];
				k--;
			}
			order[k] = y;
		}
		if (x->is_map) {
			r[i].value = 0;
			for (int j = 0; j < x->n; j++) {
				int e = order[j];

				snprintf(r[i].type[j], CMAN_TYPE_MAX, "%s", r_types[x->mk[e]]);
				snprintf(r[i].az[j], CMAN_AZ_MAX, "%s", r_azs[x->mk[e]]);
				r[i].mv[j] = x->mv[e];
				r[i].value += x->mv[e];
			}
		}
	}
	render(r, (size_t)m, out, cap);
}

/*
 * nw random writes to both backends, then random queries compared with the
 * model.  With reopen, the SQLite store is closed and opened again before
 * the queries (its chunks as stored, not its tails in memory).
 */
static void random_agree(int nw, bool reopen)
{
	enum { NW_MAX = 24000, NSERIES = 12 };
	static struct mwrite w[NW_MAX];
	int NW = nw;
	static char want[1 << 18], got[1 << 18];
	static struct rec r[4096];
	struct cman_store *st[2] = { NULL, NULL };
	struct cman_error err = { 0 };
	char dir[64], path[128], cmd[128];
	char keys[NSERIES][32];
	const struct mwrite *last_map[NSERIES] = { NULL };

	assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman_test_store_rand_"));
	snprintf(path, sizeof(path), "%s/r.sqlite", dir);
	assert_int_equal(cman_store_sqlite_open(path, true, &st[0], &err), 0);
	assert_int_equal(cman_store_memory_new(&st[1], &err), 0);
	for (int s = 0; s < NSERIES; s++)
		snprintf(keys[s], sizeof(keys[s]), "key%d|d=%d", s % 4, s);
	assert_int_equal(cman_store_begin(st[0], &err), 0);
	assert_int_equal(cman_store_begin(st[1], &err), 0);
	for (int i = 0; i < NW; i++) {
		struct mwrite *x = &w[i];
		struct cman_market_value mv[5];
		struct cman_sample s = { 0 };

		x->series = (int)(rnd() % NSERIES);
		/* mostly ascending, with repeats and some out-of-order times */
		/* (from t = 700 on: SQLite stores refuse times before 1970) */
		x->t = 1000 + (int64_t)(i / 3) + (rnd() % 4 == 0 ? -(int64_t)(rnd() % 300) : 0);
		x->is_map = rnd() % 3 == 0;
		x->value = (double)(int64_t)(rnd() % 2001 - 1000) / 8;
		x->n = 0;
		if (x->is_map && last_map[x->series] && rnd() % 2) {
			/* the series' previous map again (the memory store keeps one copy) */
			const struct mwrite *p = last_map[x->series];

			x->n = p->n;
			for (int j = 0; j < p->n; j++) {
				x->mk[j] = p->mk[j];
				x->mv[j] = p->mv[j];
				mv[j] = (struct cman_market_value){ r_types[p->mk[j]], r_azs[p->mk[j]],
								    p->mv[j] };
			}
		} else if (x->is_map) {
			int used = 0;

			for (int j = 0; j < 5; j++) {
				int m = (int)(rnd() % 5);

				if (used & (1 << m))
					continue;
				used |= 1 << m;
				x->mk[x->n] = m;
				x->mv[x->n] = (double)(rnd() % 100) / 4;
				mv[x->n] = (struct cman_market_value){ r_types[m], r_azs[m], x->mv[x->n] };
				x->n++;
			}
		}
		if (x->is_map)
			last_map[x->series] = x;
		s.t = x->t;
		s.value = x->value;
		s.is_map = x->is_map;
		s.n_markets = (size_t)x->n;
		s.markets = mv;
		for (int b = 0; b < 2; b++)
			if (cman_store_write(st[b], (enum cman_metric_kind)(x->series % 3), keys[x->series],
					     &s, &err))
				fail_msg("write: %s", err.msg);
	}
	assert_int_equal(cman_store_commit(st[0], &err), 0);
	assert_int_equal(cman_store_commit(st[1], &err), 0);
	if (reopen) {
		cman_store_free(st[0]);
		assert_int_equal(cman_store_sqlite_open(path, false, &st[0], &err), 0);
	}
	for (int q = 0; q < 400; q++) {
		int series = (int)(rnd() % NSERIES);
		int64_t t0 = 1000 + (int64_t)(rnd() % (uint64_t)(NW / 3 + 200)) - 200;
		int64_t t1 = t0 + (int64_t)(rnd() % 400) - 20;
		unsigned flags = rnd() % 2 ? CMAN_CURSOR_WITH_PRIOR : 0;

		if (q == 0) {
			t0 = INT64_MIN;
			t1 = INT64_MAX;
		}
		model_query(w, NW, series, t0, t1, flags, want, sizeof(want));
		for (int b = 0; b < 2; b++) {
			size_t n = read_all(st[b], (enum cman_metric_kind)(series % 3), keys[series], t0, t1,
					    flags, r, 4096);

			render(r, n, got, sizeof(got));
			if (strcmp(got, want) != 0)
				fail_msg("backend %d query %d (series %d [%lld,%lld] flags %u):\n got  %.300s\n"
					 " want %.300s", b, q, series, (long long)t0, (long long)t1, flags,
					 got, want);
		}
	}
	cman_store_free(st[0]);
	cman_store_free(st[1]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_random_backends_agree(void **state)
{
	(void)state;
	random_agree(3000, false);
}

/* Enough samples per series for many chunks, merges into closed chunks and
 * splits of grown ones (SQLite), read back after reopening. */
static void test_random_backends_agree_many(void **state)
{
	(void)state;
	random_agree(24000, true);
}

#define BOTH(fn)                                                                              \
	cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)&be_sqlite),   \
	cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)&be_memory)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_round_trip),
		BOTH(test_repeated_maps),
		BOTH(test_repeated_map_bytes),
		BOTH(test_equal_times_keep_write_order),
		BOTH(test_ranges),
		BOTH(test_with_prior),
		BOTH(test_keys),
		BOTH(test_keys_nested),
		BOTH(test_with_prior_interleaved),
		BOTH(test_same_key_other_kind),
		BOTH(test_latest),
		BOTH(test_values),
		BOTH(test_out_of_order_writes),
		BOTH(test_descending_writes),
		BOTH(test_bad_writes),
		BOTH(test_transaction_calls),
		BOTH(test_bulk),
		cmocka_unit_test_prestate_setup_teardown(test_sqlite_reopen, setup, teardown,
							 (void *)&be_sqlite),
		cmocka_unit_test_prestate_setup_teardown(test_sqlite_value_forms, setup, teardown,
							 (void *)&be_sqlite),
		cmocka_unit_test_prestate_setup_teardown(test_sqlite_rejects, setup, teardown,
							 (void *)&be_sqlite),
		cmocka_unit_test_prestate_setup_teardown(test_sqlite_rollback, setup, teardown,
							 (void *)&be_sqlite),
		cmocka_unit_test_prestate_setup_teardown(test_sqlite_check_beside, setup, teardown,
							 (void *)&be_sqlite),
		cmocka_unit_test(test_random_backends_agree),
		cmocka_unit_test(test_random_backends_agree_many),
		cmocka_unit_test(test_sqlite_temp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
