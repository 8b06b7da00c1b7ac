/*
 * test_signal.c - signals (signal.h): the built-in signals on hand-made
 * windows, their configuration errors, the default signal, reading the
 * windows from several stores (both ends included), the evaluate wrapper's
 * checks and the {"Resources": {...}} parser.
 */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cman/config.h"
#include "cman/poolcfg.h"
#include "cman/signal.h"
#include "cman/store.h"

#define NONE NAN   /* absent resource in an expected request */

static void assert_contains(const char *msg, const char *want)
{
	if (!strstr(msg, want))
		fail_msg("message '%s' does not contain '%s'", msg, want);
}

/* Parse "pool_config: {autoscale_signal: <sig>}" into cfg. */
static int load_cfg(const char *sig, struct cman_pool_config *cfg, struct cman_error *e)
{
	char text[2048];
	struct cman_node *root = NULL;
	int rc;

	snprintf(text, sizeof(text), "pool_config:\n  autoscale_signal: %s\n", sig);
	rc = cman_yaml_load_string("t.yaml", text, &root, e);
	if (rc)
		fail_msg("yaml: %s", e->msg);
	rc = cman_pool_config_parse(cman_node_get(root, "pool_config"), "pool_config", cfg, e);
	cman_node_free(root);
	return rc;
}

static void set_series(struct cman_series *se, const char *name, const double *v, size_t n)
{
	memset(se, 0, sizeof(*se));
	snprintf(se->name, sizeof(se->name), "%s", name);
	se->n = se->cap = n;
	se->t = calloc(n ? n : 1, sizeof(*se->t));
	se->v = calloc(n ? n : 1, sizeof(*se->v));
	assert_non_null(se->t);
	assert_non_null(se->v);
	for (size_t i = 0; i < n; i++) {
		se->t[i] = 1000 + (int64_t)i * 60;
		se->v[i] = v[i];
	}
}

static void assert_request(const struct cman_request *got, const double want[CMAN_RES_COUNT],
			   size_t case_no)
{
	for (int r = 0; r < CMAN_RES_COUNT; r++) {
		if (isnan(want[r])) {
			if (got->has[r])
				fail_msg("case %zu: %s should be absent, got %g", case_no,
					 cman_resource_name(r), got->v[r]);
			continue;
		}
		if (!got->has[r])
			fail_msg("case %zu: %s absent, expected %g", case_no,
				 cman_resource_name(r), want[r]);
		if (fabs(got->v[r] - want[r]) > 1e-9)
			fail_msg("case %zu: %s = %.12g, expected %.12g", case_no,
				 cman_resource_name(r), got->v[r], want[r]);
	}
}

/* ---- built-in signals -------------------------------------------------- */

/* Windows used by the cases: cpus unsorted, mem one sample, disk empty. */
static const double cpus_w[] = { 4, 10, 2, 8, 6 };       /* sorted: 2 4 6 8 10 */
static const double mem_w[] = { 512 };

struct builtin_case {
	const char *sig;              /* the autoscale_signal mapping */
	double want[CMAN_RES_COUNT];
};

#define METRICS "required_metrics: [{name: cpus_allocated, type: system_metrics, " \
	"minute_range: 10}, {name: mem, type: app_metrics, minute_range: 10}, " \
	"{name: disk_allocated, type: system_metrics, minute_range: 10}]"

static void test_builtin_values(void **state)
{
	static const struct builtin_case cases[] = {
		/* last sample; disk has no sample (absent), gpus not read */
		{ "{name: most_recent, period_minutes: 1, " METRICS "}", { 6, 512, NONE, NONE } },
		{ "{name: mean, period_minutes: 1, " METRICS "}", { 6, 512, NONE, NONE } },
		{ "{name: percentile, period_minutes: 1, parameters: {p: 50}, " METRICS "}",
		  { 6, 512, NONE, NONE } },
		/* 90th: index 0.9 * 4 = 3.6 -> 8 + 0.6 * (10 - 8) */
		{ "{name: percentile, period_minutes: 1, parameters: {p: 90}, " METRICS "}",
		  { 9.2, 512, NONE, NONE } },
		{ "{name: percentile, period_minutes: 1, parameters: {p: 0}, " METRICS "}",
		  { 2, 512, NONE, NONE } },
		{ "{name: percentile, period_minutes: 1, parameters: {p: 100}, " METRICS "}",
		  { 10, 512, NONE, NONE } },
		/* 25th: index 1 exactly -> 4 */
		{ "{name: percentile, period_minutes: 1, parameters: {p: 25.0}, " METRICS "}",
		  { 4, 512, NONE, NONE } },
		{ "{name: constant, period_minutes: 1, parameters: {cpus: 12, gpus: 0}}",
		  { 12, NONE, NONE, 0 } },
		{ "{name: constant, period_minutes: 1, parameters: {mem: 1.5e3, disk: 7}, "
		  METRICS "}", { NONE, 1500, 7, NONE } },
		{ "{name: constant, period_minutes: 1}", { NONE, NONE, NONE, NONE } },
		/* no required metrics at all: nothing to say */
		{ "{name: mean, period_minutes: 1}", { NONE, NONE, NONE, NONE } },
	};
	struct cman_series series[3];
	struct cman_signal_input in = { .now = 2000, .series = series, .n_series = 3 };

	set_series(&series[0], "cpus_allocated", cpus_w, 5);
	set_series(&series[1], "mem", mem_w, 1);
	set_series(&series[2], "disk_allocated", NULL, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_pool_config cfg;
		struct cman_error e = { 0 };
		struct cman_signal *s = NULL;
		struct cman_request req;

		if (load_cfg(cases[i].sig, &cfg, &e))
			fail_msg("case %zu: config: %s", i, e.msg);
		if (cman_signal_new(&cfg.signal, "c", "p", &s, &e))
			fail_msg("case %zu: new: %s", i, e.msg);
		assert_string_equal(s->ops->kind, "builtin");
		assert_string_equal(s->name, cfg.signal.name);
		assert_ptr_equal(s->cfg, &cfg.signal);
		/* series of an unconfigured signal are matched by name, so the
		 * same input serves every case */
		in.n_series = cfg.signal.n_required_metrics ? 3 : 0;
		assert_int_equal(cman_signal_evaluate(s, &in, &req, &e), 0);
		assert_request(&req, cases[i].want, i);
		/* twice: the percentile scratch is reused */
		assert_int_equal(cman_signal_evaluate(s, &in, &req, &e), 0);
		assert_request(&req, cases[i].want, i);
		cman_signal_free(s);
		cman_pool_config_release(&cfg);
	}
	for (int i = 0; i < 3; i++) {
		free(series[i].t);
		free(series[i].v);
	}
	cman_signal_free(NULL);
}

/* A long window: the percentile scratch grows past its first size. */
static void test_percentile_long(void **state)
{
	struct cman_pool_config cfg;
	struct cman_error e = { 0 };
	struct cman_signal *s = NULL;
	struct cman_series se;
	struct cman_signal_input in = { .now = 0, .series = &se, .n_series = 1 };
	struct cman_request req;
	double *v = malloc(1001 * sizeof(*v));

	assert_non_null(v);
	for (int i = 0; i <= 1000; i++)
		v[i] = (double)((i * 7919) % 1001);   /* a permutation of 0..1000 */
	set_series(&se, "gpus", v, 1001);
	assert_int_equal(load_cfg("{name: percentile, period_minutes: 1, parameters: {p: 37.5}, "
				  "required_metrics: [{name: gpus, type: app_metrics, minute_range: 1}]}",
				  &cfg, &e), 0);
	assert_int_equal(cman_signal_new(&cfg.signal, "c", "p", &s, &e), 0);
	assert_int_equal(cman_signal_evaluate(s, &in, &req, &e), 0);
	assert_true(req.has[CMAN_RES_GPUS]);
	assert_true(fabs(req.v[CMAN_RES_GPUS] - 375) < 1e-9);
	/* the input is not reordered */
	assert_true(se.v[1] == 7919 % 1001);
	cman_signal_free(s);
	cman_pool_config_release(&cfg);
	free(se.t);
	free(se.v);
	free(v);
}

struct err_case {
	const char *sig;
	const char *want;
};

static void test_builtin_errors(void **state)
{
	static const struct err_case cases[] = {
		{ "{name: bogus, period_minutes: 1}",
		  "pool_config.autoscale_signal.name: unknown signal 'bogus' (expected one of: "
		  "most_recent, mean, percentile, constant, or external: true)" },
		{ "{name: percentile, period_minutes: 1}",
		  "pool_config.autoscale_signal.parameters.p: missing, expected a number in [0, 100]" },
		{ "{name: percentile, period_minutes: 1, parameters: {q: 5}}",
		  "unknown key 'q' in pool_config.autoscale_signal.parameters (expected one of: p)" },
		{ "{name: percentile, period_minutes: 1, parameters: {p: 100.5}}",
		  "t.yaml:2:75: pool_config.autoscale_signal.parameters.p: 100.5 is out of range, "
		  "expected a number in [0, 100]" },
		{ "{name: percentile, period_minutes: 1, parameters: {p: -1}}",
		  "pool_config.autoscale_signal.parameters.p: -1 is out of range" },
		{ "{name: percentile, period_minutes: 1, parameters: {p: inf}}",
		  "pool_config.autoscale_signal.parameters.p: inf is out of range" },
		{ "{name: percentile, period_minutes: 1, parameters: {p: high}}",
		  "pool_config.autoscale_signal.parameters.p: expected a number, got 'high'" },
		{ "{name: constant, period_minutes: 1, parameters: {cpus: -1}}",
		  "pool_config.autoscale_signal.parameters.cpus: -1 is out of range, expected a "
		  "finite number >= 0" },
		{ "{name: constant, period_minutes: 1, parameters: {gpus: \"2\"}}",
		  "pool_config.autoscale_signal.parameters.gpus: expected a number" },
		{ "{name: constant, period_minutes: 1, parameters: {mem: [1]}}",
		  "pool_config.autoscale_signal.parameters.mem: expected a number" },
		{ "{name: constant, period_minutes: 1, parameters: {disk: .inf}}",
		  "pool_config.autoscale_signal.parameters.disk: .inf is out of range" },
		{ "{name: constant, period_minutes: 1, parameters: {cpu: 1}}",
		  "unknown key 'cpu' in pool_config.autoscale_signal.parameters (expected one of: "
		  "cpus, mem, disk, gpus)" },
		{ "{name: most_recent, period_minutes: 1, parameters: {p: 5}}",
		  "pool_config.autoscale_signal.parameters: unknown key 'p' (signal most_recent "
		  "takes no parameters)" },
		{ "{name: mean, period_minutes: 1, required_metrics: [{name: cpus, type: "
		  "app_metrics, minute_range: 1}, {name: requests, type: app_metrics, minute_range: 1}]}",
		  "pool_config.autoscale_signal.required_metrics[1].name: signal 'mean' reads "
		  "resources, but metric 'requests' is none" },
		{ "{name: percentile, period_minutes: 1, parameters: {p: 5}, required_metrics: "
		  "[{name: cpus, type: app_metrics, minute_range: 1}, {name: cpus_allocated, "
		  "type: system_metrics, minute_range: 1}]}",
		  "pool_config.autoscale_signal.required_metrics[1].name: metric 'cpus_allocated' "
		  "gives resource cpus, as required_metrics[0] already does" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_pool_config cfg;
		struct cman_error e = { 0 };
		struct cman_signal *s = (struct cman_signal *)&e;   /* must be reset */

		if (load_cfg(cases[i].sig, &cfg, &e))
			fail_msg("case %zu: config: %s", i, e.msg);
		if (cman_signal_new(&cfg.signal, "c", "p", &s, &e) != CMAN_EINVAL)
			fail_msg("case %zu: expected CMAN_EINVAL", i);
		assert_null(s);
		assert_contains(e.msg, cases[i].want);
		cman_pool_config_release(&cfg);
	}
}

static void test_default_signal(void **state)
{
	const struct cman_signal_config *c = cman_signal_default_config();
	static const char *const names[] = {
		"cpus_allocated", "mem_allocated", "disk_allocated", "gpus_allocated",
	};
	struct cman_error e = { 0 };
	struct cman_signal *s = NULL;

	assert_ptr_equal(c, cman_signal_default_config());
	assert_string_equal(c->name, "most_recent");
	assert_false(c->external);
	assert_int_equal(c->period_minutes, 10);
	assert_null(c->parameters);
	assert_int_equal(c->n_required_metrics, 4);
	for (int i = 0; i < 4; i++) {
		assert_string_equal(c->required_metrics[i].name, names[i]);
		assert_int_equal(c->required_metrics[i].type, CMAN_SYSTEM_METRICS);
		assert_int_equal(c->required_metrics[i].minute_range, 10);
	}
	assert_int_equal(cman_signal_new(c, "c", "p", &s, &e), 0);
	assert_string_equal(s->name, "most_recent");
	cman_signal_free(s);
}

/* ---- the evaluate wrapper ---------------------------------------------- */

struct fake_signal {
	struct cman_signal base;
	double value;
	int rc;
};

static int fake_evaluate(struct cman_signal *s, const struct cman_signal_input *in,
			 struct cman_request *out, struct cman_error *err)
{
	struct fake_signal *f = (struct fake_signal *)s;

	out->has[CMAN_RES_MEM] = true;
	out->v[CMAN_RES_MEM] = 3;
	out->has[CMAN_RES_CPUS] = true;
	out->v[CMAN_RES_CPUS] = f->value;
	if (f->rc)
		return cman_error_set(err, f->rc, "fake failure");
	return 0;
}

static void fake_free(struct cman_signal *s)
{
}

static const struct cman_signal_ops fake_ops = { "fake", fake_evaluate, fake_free };

static void test_evaluate_checks(void **state)
{
	static const struct {
		double value;
		int rc;
		int want;
		const char *msg;
	} cases[] = {
		{ 2, 0, 0, NULL },
		{ 0, 0, 0, NULL },
		{ -1, 0, CMAN_EINVAL, "signal 'fake' returned cpus = -1 (expected a number >= 0)" },
		{ INFINITY, 0, CMAN_EINVAL, "returned cpus = inf" },
		{ NAN, 0, CMAN_EINVAL, "returned cpus = nan" },
		{ 2, CMAN_EIO, CMAN_EIO, "fake failure" },
	};
	struct cman_signal_input in = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake_signal f = { { &fake_ops, "fake", NULL, 0 }, cases[i].value, cases[i].rc };
		struct cman_error e = { 0 };
		struct cman_request req;

		memset(&req, 0xff, sizeof(req));
		assert_int_equal(cman_signal_evaluate(&f.base, &in, &req, &e), cases[i].want);
		if (cases[i].want) {
			assert_contains(e.msg, cases[i].msg);
			for (int r = 0; r < CMAN_RES_COUNT; r++)
				assert_false(req.has[r]);
		} else {
			assert_true(req.has[CMAN_RES_CPUS] && req.v[CMAN_RES_CPUS] == cases[i].value);
			assert_true(req.has[CMAN_RES_MEM]);
			assert_false(req.has[CMAN_RES_DISK]);   /* cleared before */
			assert_false(req.has[CMAN_RES_GPUS]);
		}
	}
}

/* ---- fetching windows -------------------------------------------------- */

static void put(struct cman_store *st, enum cman_metric_kind kind, const char *key,
		int64_t t, double v)
{
	struct cman_sample s = { .t = t, .value = v };
	struct cman_error e = { 0 };

	if (cman_store_write(st, kind, key, &s, &e))
		fail_msg("write: %s", e.msg);
}

static void assert_series(const struct cman_series *se, const char *name,
			  const int64_t *t, const double *v, size_t n)
{
	assert_string_equal(se->name, name);
	if (se->n != n) {
		for (size_t i = 0; i < se->n; i++)
			print_message("  %lld %g\n", (long long)se->t[i], se->v[i]);
		fail_msg("%s: %zu samples, expected %zu", name, se->n, n);
	}
	for (size_t i = 0; i < n; i++) {
		if (se->t[i] != t[i] || se->v[i] != v[i])
			fail_msg("%s[%zu] = (%lld, %g), expected (%lld, %g)", name, i,
				 (long long)se->t[i], se->v[i], (long long)t[i], v[i]);
	}
}

static void test_fetch(void **state)
{
	const int64_t now = 1512115200;   /* 2017-12-01T08:00:00Z */
	const char *cpus = "cpus_allocated|cluster=prod,pool=batch.mesos";
	struct cman_store *a = NULL, *b = NULL;
	struct cman_store *stores[2];
	struct cman_pool_config cfg;
	struct cman_error e = { 0 };
	struct cman_series *scratch = NULL;
	size_t n_scratch = 0;
	struct cman_signal_input in;

	assert_int_equal(cman_store_memory_new(&a, &e), 0);
	assert_int_equal(cman_store_memory_new(&b, &e), 0);
	stores[0] = a;
	stores[1] = b;
	/* store a: one before the window, both ends, one after */
	put(a, CMAN_SYSTEM_METRICS, cpus, now - 601, 1);
	put(a, CMAN_SYSTEM_METRICS, cpus, now - 600, 2);
	put(a, CMAN_SYSTEM_METRICS, cpus, now - 300, 3);
	put(a, CMAN_SYSTEM_METRICS, cpus, now, 4);
	put(a, CMAN_SYSTEM_METRICS, cpus, now + 1, 5);
	/* store b: interleaved, equal times come after a's */
	put(b, CMAN_SYSTEM_METRICS, cpus, now - 600, 20);
	put(b, CMAN_SYSTEM_METRICS, cpus, now - 450, 30);
	put(b, CMAN_SYSTEM_METRICS, cpus, now, 40);
	/* other pools, kinds and scheduler do not leak in */
	put(b, CMAN_SYSTEM_METRICS, "cpus_allocated|cluster=prod,pool=batch.kubernetes", now, 99);
	put(b, CMAN_APP_METRICS, cpus, now, 99);
	put(a, CMAN_APP_METRICS, "requests", now - 60, 7);
	put(b, CMAN_APP_METRICS, "requests", now - 59, 8);
	put(b, CMAN_SYSTEM_METRICS, "requests|cluster=prod,pool=batch.mesos", now, 99);

	assert_int_equal(load_cfg("{name: mean, period_minutes: 1, required_metrics: ["
				  "{name: cpus_allocated, type: system_metrics, minute_range: 10}, "
				  "{name: requests, type: app_metrics, minute_range: 1}, "
				  "{name: mem_allocated, type: system_metrics, minute_range: 10}, "
				  "{name: cpus_allocated, type: system_metrics, minute_range: 0}]}",
				  &cfg, &e), 0);
	assert_int_equal(cman_signal_fetch(&cfg.signal, stores, 2, "prod", "batch", "mesos", now,
					   &in, &scratch, &n_scratch, &e), 0);
	assert_int_equal(in.now, now);
	assert_int_equal(in.n_series, 4);
	assert_ptr_equal(in.series, scratch);
	assert_int_equal(n_scratch, 4);
	{
		static const int64_t t0[] = { -600, -600, -450, -300, 0, 0 };
		static const double v0[] = { 2, 20, 30, 3, 4, 40 };
		static const int64_t t1[] = { -60, -59 };
		static const double v1[] = { 7, 8 };
		static const int64_t t3[] = { 0, 0 };
		static const double v3[] = { 4, 40 };
		int64_t t[6];

		for (int i = 0; i < 6; i++)
			t[i] = now + t0[i];
		assert_series(&in.series[0], "cpus_allocated", t, v0, 6);
		for (int i = 0; i < 2; i++)
			t[i] = now + t1[i];
		assert_series(&in.series[1], "requests", t, v1, 2);
		assert_series(&in.series[2], "mem_allocated", t, NULL, 0);
		for (int i = 0; i < 2; i++)
			t[i] = now + t3[i];
		assert_series(&in.series[3], "cpus_allocated", t, v3, 2);
	}
	/* reuse with another configuration and one store: arrays kept */
	{
		const struct cman_signal_config *d = cman_signal_default_config();
		const int64_t t[] = { now - 600, now - 300, now };
		const double v[] = { 2, 3, 4 };

		assert_int_equal(cman_signal_fetch(d, stores, 1, "prod", "batch", "mesos", now,
						   &in, &scratch, &n_scratch, &e), 0);
		assert_int_equal(in.n_series, 4);
		assert_int_equal(n_scratch, 4);
		assert_series(&in.series[0], "cpus_allocated", t, v, 3);
		assert_series(&in.series[3], "gpus_allocated", t, v, 0);
		/* a window ending before the samples */
		assert_int_equal(cman_signal_fetch(d, stores, 1, "prod", "batch", "mesos",
						   now - 601 - 1, &in, &scratch, &n_scratch, &e), 0);
		assert_int_equal(in.series[0].n, 0);
		/* no stores at all: empty windows */
		assert_int_equal(cman_signal_fetch(d, stores, 0, "prod", "batch", "mesos", now,
						   &in, &scratch, &n_scratch, &e), 0);
		assert_int_equal(in.series[0].n, 0);
	}
	/* a key too long for the store */
	{
		char longname[700];
		struct cman_required_metric rm = { longname, CMAN_APP_METRICS, 1 };
		struct cman_signal_config c = { .name = (char *)"mean", .period_minutes = 1,
						.required_metrics = &rm, .n_required_metrics = 1 };

		memset(longname, 'x', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		assert_int_equal(cman_signal_fetch(&c, stores, 2, "prod", "batch", "mesos", now,
						   &in, &scratch, &n_scratch, &e), CMAN_EINVAL);
		assert_int_equal(in.n_series, 0);
		assert_contains(e.msg, "key longer than");
	}
	cman_signal_input_release(scratch, n_scratch);
	cman_pool_config_release(&cfg);
	cman_store_free(a);
	cman_store_free(b);
}

/* The window read through the signal: most_recent sees b's sample last. */
static void test_fetch_then_evaluate(void **state)
{
	const int64_t now = 100000;
	struct cman_store *a = NULL, *b = NULL, *stores[2];
	struct cman_error e = { 0 };
	struct cman_signal *s = NULL;
	struct cman_series *scratch = NULL;
	size_t n_scratch = 0;
	struct cman_signal_input in;
	struct cman_request req;
	char key[CMAN_KEY_MAX];

	assert_int_equal(cman_store_memory_new(&a, &e), 0);
	assert_int_equal(cman_store_memory_new(&b, &e), 0);
	stores[0] = a;
	stores[1] = b;
	cman_metric_key_pool(key, sizeof(key), "cpus_allocated", "c", "p", "mesos");
	put(a, CMAN_SYSTEM_METRICS, key, now - 60, 10);
	put(b, CMAN_SYSTEM_METRICS, key, now - 60, 11);
	cman_metric_key_pool(key, sizeof(key), "gpus_allocated", "c", "p", "mesos");
	put(a, CMAN_SYSTEM_METRICS, key, now - 601, 1);   /* outside: absent */
	assert_int_equal(cman_signal_new(cman_signal_default_config(), "c", "p", &s, &e), 0);
	assert_int_equal(cman_signal_fetch(s->cfg, stores, 2, "c", "p", "mesos", now, &in,
					   &scratch, &n_scratch, &e), 0);
	assert_int_equal(cman_signal_evaluate(s, &in, &req, &e), 0);
	assert_request(&req, (double[]){ 11, NONE, NONE, NONE }, 0);
	cman_signal_free(s);
	cman_signal_input_release(scratch, n_scratch);
	cman_store_free(a);
	cman_store_free(b);
}

/* ---- {"Resources": ...} ------------------------------------------------ */

struct json_case {
	const char *text;
	int rc;
	double want[CMAN_RES_COUNT];
	const char *msg;
};

static void test_request_json(void **state)
{
	static const struct json_case cases[] = {
		{ "{\"Resources\": {\"cpus\": 4, \"mem\": 1024.5, \"disk\": null}}", 0,
		  { 4, 1024.5, NONE, NONE }, NULL },
		{ "{\"Resources\": {}}", 0, { NONE, NONE, NONE, NONE }, NULL },
		{ "{\"Resources\": null}", 0, { NONE, NONE, NONE, NONE }, NULL },
		{ "{\"Resources\": {\"gpus\": 0, \"extra\": \"ignored\"}, \"other\": 1}", 0,
		  { NONE, NONE, NONE, 0 }, NULL },
		{ "{\"Resources\": {\"cpus\": 1e3}}", 0, { 1000, NONE, NONE, NONE }, NULL },
		{ "{\"Resources\": {\"cpus\": \"4\"}}", CMAN_EINVAL, { NONE, NONE, NONE, NONE },
		  "signal response: Resources.cpus is a string, expected a number or null" },
		{ "{\"Resources\": {\"cpus\": 1, \"mem\": true}}", CMAN_EINVAL,
		  { NONE, NONE, NONE, NONE }, "Resources.mem is a boolean" },
		{ "{\"Resources\": {\"disk\": [1]}}", CMAN_EINVAL, { NONE, NONE, NONE, NONE },
		  "Resources.disk is an array" },
		{ "{\"Resources\": {\"gpus\": {}}}", CMAN_EINVAL, { NONE, NONE, NONE, NONE },
		  "Resources.gpus is an object" },
		{ "{\"Resources\": {\"cpus\": -2}}", CMAN_EINVAL, { NONE, NONE, NONE, NONE },
		  "Resources.cpus is -2, expected a number >= 0 or null" },
		{ "{\"Resources\": [1]}", CMAN_EINVAL, { NONE, NONE, NONE, NONE },
		  "\"Resources\" is an array, expected an object" },
		{ "{\"resources\": {}}", CMAN_EINVAL, { NONE, NONE, NONE, NONE },
		  "missing key \"Resources\"" },
		{ "[1, 2]", CMAN_EINVAL, { NONE, NONE, NONE, NONE },
		  "expected an object {\"Resources\": {...}}" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_error_t je;
		json_t *doc = json_loads(cases[i].text, JSON_DECODE_ANY, &je);
		struct cman_error e = { 0 };
		struct cman_request req;

		if (!doc)
			fail_msg("case %zu: bad test JSON: %s", i, je.text);
		memset(&req, 0xff, sizeof(req));
		if (cman_request_from_json(doc, &req, &e) != cases[i].rc)
			fail_msg("case %zu: rc, message '%s'", i, e.msg);
		if (cases[i].msg)
			assert_contains(e.msg, cases[i].msg);
		assert_request(&req, cases[i].want, i);
		json_decref(doc);
	}
	{
		struct cman_error e = { 0 };
		struct cman_request req;

		assert_int_equal(cman_request_from_json(NULL, &req, &e), CMAN_EINVAL);
		assert_int_equal(cman_request_from_json(NULL, &req, NULL), CMAN_EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_values),
		cmocka_unit_test(test_percentile_long),
		cmocka_unit_test(test_builtin_errors),
		cmocka_unit_test(test_default_signal),
		cmocka_unit_test(test_evaluate_checks),
		cmocka_unit_test(test_fetch),
		cmocka_unit_test(test_fetch_then_evaluate),
		cmocka_unit_test(test_request_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
