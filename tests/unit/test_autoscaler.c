/*
 * test_autoscaler.c - the autoscaler (autoscaler.h): every case of the
 * target computation (SPEC §4 step 2), the constraints (step 3), history
 * read from a metrics store, the decision record and its JSON line, and
 * whole runs against a fake resource group and connector.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cman/autoscaler.h"
#include "cman/pool.h"
#include "cman/signal.h"
#include "cman/store.h"

#define NONE NAN          /* absent request / no history / no usage */
#define WEEK (7 * 24 * 3600)

static void assert_contains(const char *msg, const char *want)
{
	if (!strstr(msg, want))
		fail_msg("message '%s' does not contain '%s'", msg, want);
}

static void assert_close(double got, double want, const char *what, size_t case_no)
{
	if (!(fabs(got - want) <= 1e-9 * (fabs(want) > 1 ? fabs(want) : 1)))
		fail_msg("case %zu: %s = %.15g, expected %.15g", case_no, what, got, want);
}

/* ---- step 2 ------------------------------------------------------------ */

enum { C = 1, M = 2, D = 4, G = 8 };   /* excluded resources */

struct target_case {
	const char *what;
	double setpoint, margin, offset;
	unsigned excluded;
	double req[CMAN_RES_COUNT];
	double current, non_orphan;
	double total[CMAN_RES_COUNT];
	double per_weight[CMAN_RES_COUNT];
	double want;
	int constrained;
	double usage;
	const char *reason;
};

#define ABSENT { NONE, NONE, NONE, NONE }

static const struct target_case target_cases[] = {
	{ "all absent: keep", 0.7, 0.1, 0, 0, ABSENT, 20, 20, { 80 }, ABSENT,
	  20, -1, NONE, "the signal requested nothing: keeping the current target" },
	{ "all absent: keep, no offset", 0.7, 0.1, 5, 0, ABSENT, 20, 20, { 80 }, ABSENT,
	  20, -1, NONE, "requested nothing" },
	{ "all absent, empty pool: stays empty", 0.7, 0.1, 0, 0, ABSENT, 0, 0, { 0 },
	  { 4, 4, 4, 4 }, 0, -1, NONE, "requested nothing" },
	{ "all zero or absent: 0", 0.7, 0.1, 0, 0, { 0, 0, NONE, NONE }, 20, 20, { 80 },
	  ABSENT, 0, -1, NONE, "every request is 0: target 0" },
	{ "all zero + offset", 0.7, 0.1, 3, 0, { 0, NONE, NONE, 0 }, 20, 20, { 80 },
	  ABSENT, 3, -1, NONE, "every request is 0: target 0; capacity offset +3 = 3" },
	{ "zero check counts excluded requests", 0.5, 0.1, 0, C, { 10, 0, NONE, NONE }, 20, 20,
	  { 80, 0 }, ABSENT, 0, CMAN_RES_MEM, 0, "usage 0 of mem" },
	{ "empty pool: history, most units", 0.5, 0.1, 0, 0, { 8, 4096, NONE, NONE }, 0, 0,
	  { 0 }, { 4, 1024, NONE, NONE }, 8, CMAN_RES_MEM, NONE,
	  "empty pool (target 0): from history mem needs 4 units" },
	{ "empty pool: history tie -> first", 0.5, 0.1, 0, 0, { 8, 2048, NONE, NONE }, 0, 0,
	  { 0 }, { 4, 1024, NONE, NONE }, 4, CMAN_RES_CPUS, NONE, "from history cpus" },
	{ "empty pool: resource without history skipped", 0.5, 0.1, 0, 0, { 8, 9999, NONE, NONE },
	  0, 0, { 0 }, { 4, NONE, NONE, NONE }, 4, CMAN_RES_CPUS, NONE, "cpus needs 2 units" },
	{ "empty pool: zero request skipped", 0.5, 0.1, 0, 0, { 0, 2048, NONE, NONE }, 0, 0,
	  { 0 }, { 4, 1024, NONE, NONE }, 4, CMAN_RES_MEM, NONE, "mem needs 2 units" },
	{ "empty pool: no history -> 1", 0.7, 0.1, 0, 0, { 8, NONE, NONE, NONE }, 0, 0, { 0 },
	  ABSENT, 1, -1, NONE, "no history of resources per unit of weight: target 1" },
	{ "empty pool: history only of excluded -> 1", 0.7, 0.1, 0, C, { 8, 100, NONE, NONE },
	  0, 0, { 0 }, { 4, NONE, NONE, NONE }, 1, -1, NONE, "target 1" },
	{ "empty pool: no history + offset", 0.7, 0.1, 2, 0, { 8, NONE, NONE, NONE }, 0, 0,
	  { 0 }, ABSENT, 3, -1, NONE, "target 1; capacity offset +2 = 3" },
	{ "empty pool: history + offset", 0.5, 0.1, 1.5, 0, { 8, NONE, NONE, NONE }, 0, 0,
	  { 0 }, { 4, NONE, NONE, NONE }, 5.5, CMAN_RES_CPUS, NONE, "capacity offset +1.5" },
	{ "machines not joined: keep", 0.7, 0.1, 4, 0, { 5, NONE, NONE, NONE }, 10, 0,
	  { 0 }, ABSENT, 10, -1, NONE,
	  "no joined capacity yet (non-orphan fulfilled capacity 0): keeping the current target" },
	{ "margin: keep", 0.4, 0.1, 0, 0, { 30, NONE, NONE, NONE }, 20, 20, { 80 }, ABSENT,
	  20, CMAN_RES_CPUS, 0.375, "within the margin 0.1, keeping the current target" },
	{ "margin exceeded", 0.4, 0.1, 0, 0, { 40, NONE, NONE, NONE }, 20, 20, { 80 }, ABSENT,
	  25, CMAN_RES_CPUS, 0.5, "usage 0.5 of cpus (40 / 80): 20 non-orphan x 0.5 / setpoint 0.4 = 25" },
	{ "margin exactly reached: change", 0.5, 0.25, 0, 0, { 40, NONE, NONE, NONE }, 16, 16,
	  { 64 }, ABSENT, 20, CMAN_RES_CPUS, 0.625, "= 20" },
	{ "margin 0: any change", 0.5, 0, 0, 0, { 33, NONE, NONE, NONE }, 16, 16,
	  { 64 }, ABSENT, 16.5, CMAN_RES_CPUS, 0.515625, "= 16.5" },
	{ "scale down", 0.5, 0.1, 0, 0, { 8, NONE, NONE, NONE }, 16, 16, { 64 }, ABSENT,
	  4, CMAN_RES_CPUS, 0.125, "= 4" },
	{ "most constrained resource", 0.6, 0.1, 0, 0, { 10, 600, 5, NONE }, 5, 10,
	  { 100, 1000, 10, 0 }, ABSENT, 10, CMAN_RES_MEM, 0.6, "usage 0.6 of mem" },
	{ "excluded resource ignored", 0.6, 0.1, 0, M, { 10, 600, 5, NONE }, 5, 10,
	  { 100, 1000, 10, 0 }, ABSENT, 10 * 0.5 / 0.6, CMAN_RES_DISK, 0.5, "usage 0.5 of disk" },
	{ "usage tie -> first resource", 0.5, 0.1, 0, 0, { NONE, 50, NONE, 2 }, 4, 4,
	  { 0, 100, 0, 4 }, ABSENT, 4, CMAN_RES_MEM, 0.5, "within the margin" },
	{ "total 0 counts as usage 0", 0.5, 0.1, 0, 0, { 5, 1, NONE, NONE }, 10, 10,
	  { 0, 100, 0, 0 }, ABSENT, 0.2, CMAN_RES_MEM, 0.01, "usage 0.01 of mem" },
	{ "every total 0: usage 0, target 0", 0.5, 0.1, 0, 0, { 5, 1, NONE, NONE }, 10, 10,
	  { 0, 0, 0, 0 }, ABSENT, 0, CMAN_RES_CPUS, 0, "usage 0 of cpus (5 / 0)" },
	{ "only excluded resources requested: keep", 0.5, 0.1, 0, C | G, { 10, NONE, NONE, 3 },
	  20, 20, { 80, 0, 0, 4 }, ABSENT, 20, -1, NONE,
	  "only excluded resources requested: keeping the current target" },
	{ "offset added to a computed target", 0.4, 0.1, 2, 0, { 40, NONE, NONE, NONE }, 20, 20,
	  { 80 }, ABSENT, 27, CMAN_RES_CPUS, 0.5, "= 25; capacity offset +2 = 27" },
	{ "margin compares the target with its offset", 0.4, 0.1, 2, 0, { 30, NONE, NONE, NONE },
	  20, 20, { 80 }, ABSENT, 20, CMAN_RES_CPUS, 0.375, "change 0.0375 to 20.75 is within" },
	{ "offset can bring it within the margin", 0.4, 0.1, -5, 0, { 40, NONE, NONE, NONE },
	  20, 20, { 80 }, ABSENT, 20, CMAN_RES_CPUS, 0.5, "keeping the current target" },
	{ "negative offset", 0.4, 0.1, -5, 0, { 60, NONE, NONE, NONE }, 20, 20, { 80 }, ABSENT,
	  32.5, CMAN_RES_CPUS, 0.75, "= 37.5; capacity offset -5 = 32.5" },
};

static void test_compute_target(void **state)
{
	for (size_t i = 0; i < sizeof(target_cases) / sizeof(target_cases[0]); i++) {
		const struct target_case *tc = &target_cases[i];
		struct cman_pool_config cfg;
		struct cman_request req = { 0 };
		struct cman_pool_view view = { 0 };
		struct cman_decision d;

		cman_pool_config_init(&cfg);
		cfg.setpoint = tc->setpoint;
		cfg.target_capacity_margin = tc->margin;
		cfg.capacity_offset = tc->offset;
		view.current_target = tc->current;
		view.non_orphan_fulfilled = tc->non_orphan;
		for (int r = 0; r < CMAN_RES_COUNT; r++) {
			cfg.excluded[r] = tc->excluded & (1u << r);
			req.has[r] = !isnan(tc->req[r]);
			req.v[r] = req.has[r] ? tc->req[r] : 0;
			view.total[r] = tc->total[r];
			view.has_per_weight[r] = !isnan(tc->per_weight[r]);
			view.per_weight[r] = view.has_per_weight[r] ? tc->per_weight[r] : 0;
		}
		cman_decision_init(&d);
		d.has_usage = true;            /* must be overwritten */
		d.constrained = 3;
		cman_autoscaler_compute_target(&cfg, &req, &view, &d);
		assert_close(d.computed_target, tc->want, "computed_target", i);
		assert_close(d.current_target, tc->current, "current_target", i);
		if (d.constrained != tc->constrained)
			fail_msg("case %zu (%s): constrained %d, expected %d", i, tc->what,
				 d.constrained, tc->constrained);
		if (isnan(tc->usage)) {
			if (d.has_usage)
				fail_msg("case %zu (%s): unexpected usage %g", i, tc->what, d.usage);
		} else {
			if (!d.has_usage)
				fail_msg("case %zu (%s): no usage", i, tc->what);
			assert_close(d.usage, tc->usage, "usage", i);
		}
		if (!strstr(d.reason, tc->reason))
			fail_msg("case %zu (%s): reason '%s' does not contain '%s'", i, tc->what,
				 d.reason, tc->reason);
		assert_memory_equal(&d.request, &req, sizeof(req));
		/* without text (sweeps): the same numbers, no reason, and the
		 * setting survives a reset */
		{
			struct cman_decision q;

			cman_decision_init(&q);
			q.no_text = true;
			cman_decision_reset(&q);
			assert_true(q.no_text);
			cman_autoscaler_compute_target(&cfg, &req, &view, &q);
			if (memcmp(&q.computed_target, &d.computed_target, sizeof(double)) ||
			    q.constrained != d.constrained || q.has_usage != d.has_usage)
				fail_msg("case %zu (%s): no_text changed the decision", i, tc->what);
			assert_string_equal(q.reason, "");
			cman_decision_release(&q);
		}
		cman_decision_release(&d);
	}
}

/* ---- step 3 ------------------------------------------------------------ */

struct constrain_case {
	double min, max, add, remove;
	double current, proposed;
	bool prevent, force;
	double want;
	const char *clamps[4];
};

static void test_constrain(void **state)
{
	const double inf = INFINITY;
	const struct constrain_case cases[] = {
		{ 0, inf, inf, inf, 10, 50, false, false, 50, { NULL } },
		{ 0, inf, inf, inf, 50, 0, false, false, 0, { NULL } },
		{ 1, 800, 100, 100, 10, 60, false, false, 60, { NULL } },
		{ 0, 800, inf, inf, 10, 900, false, false, 800, { "max_capacity: 900 -> 800" } },
		{ 5, 800, inf, inf, 10, 0, false, false, 5, { "min_capacity: 0 -> 5" } },
		{ 0, inf, 20, inf, 10, 50, false, false, 30, { "max_weight_to_add: 50 -> 30" } },
		{ 0, inf, inf, 15, 50, 10, false, false, 35, { "max_weight_to_remove: 10 -> 35" } },
		{ 0, inf, 20, 15, 10, 14.2857142857142865, false, false, 14.2857142857142865,
		  { NULL } },
		{ 0, 800, 100, inf, 10, 900, false, false, 110,
		  { "max_capacity: 900 -> 800", "max_weight_to_add: 800 -> 110" } },
		{ 10, 800, inf, 20, 100, 0, false, false, 80,
		  { "min_capacity: 0 -> 10", "max_weight_to_remove: 10 -> 80" } },
		/* a pool above a lowered max shrinks by at most max_weight_to_remove */
		{ 0, 800, inf, 100, 1000, 1000, false, false, 900,
		  { "max_capacity: 1000 -> 800", "max_weight_to_remove: 800 -> 900" } },
		{ 0, inf, inf, inf, 50, 10, true, false, 50,
		  { "prevent_scale_down_after_capacity_loss: 10 -> 50" } },
		{ 0, inf, inf, inf, 10, 50, true, false, 50, { NULL } },
		{ 0, inf, inf, 15, 50, 10, true, false, 50,
		  { "max_weight_to_remove: 10 -> 35",
		    "prevent_scale_down_after_capacity_loss: 35 -> 50" } },
		{ 0, 40, inf, inf, 50, 60, true, false, 50,
		  { "max_capacity: 60 -> 40", "prevent_scale_down_after_capacity_loss: 40 -> 50" } },
		{ 0, 800, 10, 10, 10, 900, false, true, 900, { NULL } },
		{ 5, 800, 10, 10, 50, 0, true, true, 0, { NULL } },
		{ 0, 800, 0.5, inf, 10, 12.25, false, false, 10.5,
		  { "max_weight_to_add: 12.25 -> 10.5" } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct constrain_case *cc = &cases[i];
		struct cman_pool_config cfg;
		struct cman_decision d;
		double got;
		size_t n = 0;

		cman_pool_config_init(&cfg);
		cfg.min_capacity = cc->min;
		cfg.max_capacity = cc->max;
		cfg.max_weight_to_add = cc->add;
		cfg.max_weight_to_remove = cc->remove;
		cman_decision_init(&d);
		got = cman_autoscaler_constrain(&cfg, cc->current, cc->proposed, cc->prevent,
						cc->force, &d);
		assert_close(got, cc->want, "new target", i);
		assert_close(d.new_target, cc->want, "d.new_target", i);
		while (n < 4 && cc->clamps[n])
			n++;
		if (d.n_clamps != n)
			fail_msg("case %zu: %zu clamps (first '%s'), expected %zu", i, d.n_clamps,
				 d.n_clamps ? d.clamps[0] : "", n);
		for (size_t k = 0; k < n; k++)
			assert_string_equal(d.clamps[k], cc->clamps[k]);
		cman_decision_release(&d);
	}
}

/* ---- history ----------------------------------------------------------- */

static void put(struct cman_store *st, const char *name, int64_t t, double v)
{
	struct cman_sample s = { .t = t, .value = v };
	struct cman_error e = { 0 };
	char key[CMAN_KEY_MAX];

	cman_metric_key_pool(key, sizeof(key), name, "prod", "batch", "mesos");
	if (cman_store_write(st, CMAN_METADATA, key, &s, &e))
		fail_msg("write: %s", e.msg);
}

static void test_history(void **state)
{
	const int64_t now = 1512115200;
	struct cman_store *st = NULL;
	struct cman_error e = { 0 };
	struct cman_pool_view view;
	static const double nof[] = { 5, 10, 0, 20, 30, 0, 40, 50 };
	static const double cpus[] = { 1000, 120, 120, 0, 120, 120, 120 };

	assert_int_equal(cman_store_memory_new(&st, &e), 0);
	/* non-orphan capacity: outside the week on both sides, a zero at the
	 * week's start; the last 5 non-zero are 10..50 (mean 30) */
	put(st, "non_orphan_fulfilled_capacity", now - WEEK - 1, 1000);
	put(st, "non_orphan_fulfilled_capacity", now - WEEK, 0);
	for (size_t i = 0; i < sizeof(nof) / sizeof(nof[0]); i++)
		put(st, "non_orphan_fulfilled_capacity", now - 3600 * (int64_t)(10 - i), nof[i]);
	put(st, "non_orphan_fulfilled_capacity", now + 1, 1000);
	/* cpus: last five non-zero 120 -> 4 per unit */
	for (size_t i = 0; i < sizeof(cpus) / sizeof(cpus[0]); i++)
		put(st, "cpus_total", now - 7200 * (int64_t)(10 - i), cpus[i]);
	/* mem: samples exactly at both ends of the week count */
	put(st, "mem_total", now - WEEK, 3000);
	put(st, "mem_total", now, 6000);
	/* disk: zeros only: no history; gpus: nothing */
	put(st, "disk_total", now - 60, 0);
	/* another pool and kind do not leak in */
	{
		struct cman_sample s = { .t = now, .value = 1e6 };

		assert_int_equal(cman_store_write(st, CMAN_SYSTEM_METRICS,
						  "gpus_total|cluster=prod,pool=batch.mesos", &s, &e), 0);
		assert_int_equal(cman_store_write(st, CMAN_METADATA,
						  "gpus_total|cluster=prod,pool=other.mesos", &s, &e), 0);
	}

	memset(&view, 0xff, sizeof(view));
	assert_int_equal(cman_autoscaler_history(st, "prod", "batch", "mesos", now, &view, &e), 0);
	assert_true(view.has_per_weight[CMAN_RES_CPUS]);
	assert_close(view.per_weight[CMAN_RES_CPUS], 4, "cpus per weight", 0);
	assert_true(view.has_per_weight[CMAN_RES_MEM]);
	assert_close(view.per_weight[CMAN_RES_MEM], 150, "mem per weight", 0);
	assert_false(view.has_per_weight[CMAN_RES_DISK]);
	assert_false(view.has_per_weight[CMAN_RES_GPUS]);

	/* a week later only the samples from now on are in the window */
	assert_int_equal(cman_autoscaler_history(st, "prod", "batch", "mesos", now + WEEK,
						 &view, &e), 0);
	assert_false(view.has_per_weight[CMAN_RES_CPUS]);
	assert_true(view.has_per_weight[CMAN_RES_MEM]);
	assert_close(view.per_weight[CMAN_RES_MEM], 6, "mem per weight a week later", 0);

	/* another scheduler: nothing at all */
	memset(&view, 0xff, sizeof(view));
	assert_int_equal(cman_autoscaler_history(st, "prod", "batch", "kubernetes", now,
						 &view, &e), 0);
	for (int r = 0; r < CMAN_RES_COUNT; r++)
		assert_false(view.has_per_weight[r]);

	/* a key too long */
	{
		char big[600];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(cman_autoscaler_history(st, big, "batch", "mesos", now, &view, &e),
				 CMAN_EINVAL);
		assert_contains(e.msg, "too long");
	}
	cman_store_free(st);
}

/* Resource totals without capacity history give no history either. */
static void test_history_no_capacity(void **state)
{
	const int64_t now = 1512115200;
	struct cman_store *st = NULL;
	struct cman_error e = { 0 };
	struct cman_pool_view view;

	assert_int_equal(cman_store_memory_new(&st, &e), 0);
	put(st, "cpus_total", now - 60, 40);
	put(st, "non_orphan_fulfilled_capacity", now - 60, 0);
	memset(&view, 0xff, sizeof(view));
	assert_int_equal(cman_autoscaler_history(st, "prod", "batch", "mesos", now, &view, &e), 0);
	for (int r = 0; r < CMAN_RES_COUNT; r++)
		assert_false(view.has_per_weight[r]);
	cman_store_free(st);
}

/* ---- the decision record ----------------------------------------------- */

static char *to_json(const struct cman_decision *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(cman_decision_write_json(d, fp), 0);
	fclose(fp);
	return buf;
}

static void test_decision_json(void **state)
{
	struct cman_decision d;
	char *line;

	cman_decision_init(&d);
	line = to_json(&d);
	assert_string_equal(line,
			    "{\"time\":0,\"signal\":\"\",\"signal_error\":null,\"request\":"
			    "{\"cpus\":null,\"mem\":null,\"disk\":null,\"gpus\":null},\"usage\":null,"
			    "\"constrained_resource\":null,\"current_target\":0.0,"
			    "\"computed_target\":0.0,\"new_target\":0.0,\"clamps\":[],\"reason\":\"\","
			    "\"group_targets\":{},\"terminated\":[],\"skipped\":[],\"skipped_total\":0,\"paused\":false}\n");
	free(line);

	d.time = 1512115200;
	snprintf(d.signal, sizeof(d.signal), "percentile");
	d.signal_failed = true;
	snprintf(d.signal_error, sizeof(d.signal_error), "boom \"x\"\n");
	d.request.has[CMAN_RES_CPUS] = true;
	d.request.v[CMAN_RES_CPUS] = 12.5;
	d.request.has[CMAN_RES_DISK] = true;
	d.request.v[CMAN_RES_DISK] = 0;
	d.has_usage = true;
	d.usage = 0.75;
	d.constrained = CMAN_RES_CPUS;
	d.current_target = 20;
	d.computed_target = 100.0 / 7;
	d.new_target = 15;
	assert_int_equal(cman_decision_add_clamp(&d, "max_weight_to_add: %g -> %g", 20.0, 15.0), 0);
	snprintf(d.reason, sizeof(d.reason), "usage 0.75 of cpus");
	assert_int_equal(cman_decision_set_groups(&d, 2), 0);
	assert_int_equal(cman_decision_set_group(&d, 0, "sfr-1", 10), 0);
	assert_int_equal(cman_decision_set_group(&d, 1, "asg-1", 5), 0);
	assert_int_equal(cman_decision_add_terminated(&d, "i-00000001"), 0);
	assert_int_equal(cman_decision_add_terminated(&d, "i-00000002"), 0);
	assert_int_equal(cman_decision_add_skipped(&d, "i-00000003", "weight limit"), 0);
	line = to_json(&d);
	assert_string_equal(line,
			    "{\"time\":1512115200,\"signal\":\"percentile\","
			    "\"signal_error\":\"boom \\\"x\\\"\\n\","
			    "\"request\":{\"cpus\":12.5,\"mem\":null,\"disk\":0.0,\"gpus\":null},"
			    "\"usage\":0.75,\"constrained_resource\":\"cpus\",\"current_target\":20.0,"
			    "\"computed_target\":14.2857142857,\"new_target\":15.0,"
			    "\"clamps\":[\"max_weight_to_add: 20 -> 15\"],"
			    "\"reason\":\"usage 0.75 of cpus\","
			    "\"group_targets\":{\"sfr-1\":10.0,\"asg-1\":5.0},"
			    "\"terminated\":[\"i-00000001\",\"i-00000002\"],"
			    "\"skipped\":[{\"id\":\"i-00000003\",\"reason\":\"weight limit\"}],\"skipped_total\":1,"
			    "\"paused\":false}\n");
	free(line);

	/* paused, non-finite numbers, bytes that are not UTF-8 */
	cman_decision_reset(&d);
	d.paused = true;
	d.new_target = INFINITY;
	d.has_usage = true;
	d.usage = NAN;
	snprintf(d.reason, sizeof(d.reason), "bad \xff byte");
	line = to_json(&d);
	assert_non_null(strstr(line, "\"usage\":null,"));
	assert_non_null(strstr(line, "\"new_target\":null,"));
	assert_non_null(strstr(line, "\"reason\":\"bad ? byte\""));
	assert_non_null(strstr(line, "\"group_targets\":{},"));
	assert_non_null(strstr(line, "\"paused\":true}\n"));
	free(line);

	/* an unwritable stream */
	{
		FILE *ro = fopen("/dev/null", "r");

		assert_non_null(ro);
		assert_int_equal(cman_decision_write_json(&d, ro), CMAN_EIO);
		fclose(ro);
	}
	cman_decision_release(&d);
}

static void test_decision_arrays(void **state)
{
	struct cman_decision d;
	char id[40];
	void *term;

	cman_decision_init(&d);
	assert_int_equal(d.constrained, -1);
	for (int i = 0; i < CMAN_MAX_CLAMPS; i++)
		assert_int_equal(cman_decision_add_clamp(&d, "clamp %d", i), 0);
	assert_int_equal(cman_decision_add_clamp(&d, "one too many"), CMAN_EINVAL);
	assert_int_equal(d.n_clamps, CMAN_MAX_CLAMPS);
	assert_string_equal(d.clamps[7], "clamp 7");
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "i-%08d", i);
		assert_int_equal(cman_decision_add_terminated(&d, id), 0);
		assert_int_equal(cman_decision_add_skipped(&d, id, "task limit"), 0);
	}
	/* ids are kept whole, whatever their length (issue 10) */
	assert_int_equal(cman_decision_add_terminated(&d, "i-0123456789012345678901234567890123"), 0);
	assert_string_equal(cman_decision_str(&d, d.terminated[100]),
			    "i-0123456789012345678901234567890123");
	assert_string_equal(cman_decision_str(&d, d.terminated[42]), "i-00000042");
	assert_true(cman_decision_has_terminated(&d, "i-00000042"));
	assert_false(cman_decision_has_terminated(&d, "i-0000004"));
	assert_string_equal(cman_decision_str(&d, d.skipped[99].id), "i-00000099");
	assert_string_equal(d.skipped[99].reason, "task limit");
	assert_int_equal(cman_decision_set_groups(&d, 3), 0);
	assert_int_equal(d.n_groups, 3);
	d.groups[2].planned = 7;
	assert_int_equal(cman_decision_set_groups(&d, 20), 0);
	assert_true(d.cap_groups >= 20);
	assert_true(d.groups[2].planned == 0 && d.groups[2].rc == 0);
	assert_string_equal(cman_decision_str(&d, d.groups[19].id), "");

	term = d.terminated;
	d.paused = true;
	cman_decision_reset(&d);
	assert_int_equal(d.n_terminated, 0);
	assert_int_equal(d.n_skipped, 0);
	assert_int_equal(d.n_clamps, 0);
	assert_int_equal(d.n_groups, 0);
	assert_int_equal(d.constrained, -1);
	assert_false(d.paused);
	assert_ptr_equal(d.terminated, term);     /* arrays kept */
	assert_true(d.cap_terminated >= 101);
	assert_int_equal(cman_decision_add_terminated(&d, "i-x"), 0);
	assert_string_equal(cman_decision_str(&d, d.terminated[0]), "i-x");
	cman_decision_release(&d);
	cman_decision_release(&d);               /* twice is fine */
	assert_null(d.terminated);
}

/* ---- whole runs -------------------------------------------------------- */

struct fake_group {
	struct cman_resource_group base;
	double target;
	struct cman_rg_instance inst[64];
	char ids[64][16];
	size_t n;
	int modified;
};

static int fg_target(const struct cman_resource_group *rg, double *out, struct cman_error *err)
{
	*out = ((const struct fake_group *)rg)->target;
	return 0;
}

static int fg_fulfilled(const struct cman_resource_group *rg, double *out,
			struct cman_error *err)
{
	const struct fake_group *g = (const struct fake_group *)rg;
	double s = 0;

	for (size_t i = 0; i < g->n; i++)
		s += g->inst[i].weight;
	*out = s;
	return 0;
}

static int fg_instances(struct cman_resource_group *rg, const struct cman_rg_instance **out,
			size_t *n, struct cman_error *err)
{
	struct fake_group *g = (struct fake_group *)rg;

	*out = g->inst;
	*n = g->n;
	return 0;
}

static int fg_modify(struct cman_resource_group *rg, double target, bool dry_run,
		     struct cman_error *err)
{
	struct fake_group *g = (struct fake_group *)rg;

	if (!dry_run) {
		g->target = target;
		g->modified++;
	}
	return 0;
}

static int fg_terminate(struct cman_resource_group *rg, const char *const *ids, size_t n,
			bool dry_run, size_t *n_done, bool *failed, struct cman_error *err)
{
	struct fake_group *g = (struct fake_group *)rg;
	size_t done = 0;

	for (size_t k = 0; k < n && !dry_run; k++)
		for (size_t i = 0; i < g->n; i++)
			if (!strcmp(g->inst[i].id, ids[k])) {
				g->inst[i] = g->inst[--g->n];
				done++;
				break;
			}
	if (n_done)
		*n_done = done;
	return 0;
}

static bool fg_stale(const struct cman_resource_group *rg)
{
	return false;
}

static double fg_min(const struct cman_resource_group *rg)
{
	return 0;
}

static double fg_max(const struct cman_resource_group *rg)
{
	return INFINITY;
}

static const struct cman_rg_ops fg_ops = {
	.kind = "fake",
	.target_capacity = fg_target,
	.fulfilled_capacity = fg_fulfilled,
	.instances = fg_instances,
	.modify_target = fg_modify,
	.terminate = fg_terminate,
	.is_stale = fg_stale,
	.min_capacity = fg_min,
	.max_capacity = fg_max,
};

struct fake_conn {
	struct cman_connector base;
	double total[CMAN_RES_COUNT];
};

static int fc_reload(struct cman_connector *c, struct cman_error *err)
{
	return 0;
}

static void fc_agent(const struct cman_connector *c, const char *id, struct cman_agent *out)
{
	memset(out, 0, sizeof(*out));
	out->state = CMAN_AGENT_IDLE;
	out->safe_to_kill = true;
}

static double fc_total(const struct cman_connector *c, enum cman_resource r)
{
	return ((const struct fake_conn *)c)->total[r];
}

static double fc_allocated(const struct cman_connector *c, enum cman_resource r)
{
	return 0;
}

static const struct cman_connector_ops fc_ops = {
	.kind = "fake",
	.reload = fc_reload,
	.agent = fc_agent,
	.total = fc_total,
	.allocated = fc_allocated,
};

struct fake_clock {
	struct cman_clock base;
	int64_t now;
};

static int64_t fk_now(const struct cman_clock *c)
{
	return ((const struct fake_clock *)c)->now;
}

static const struct cman_clock_ops fk_ops = { fk_now };

/* A signal that fails (or answers a constant cpus request). */
struct test_signal {
	struct cman_signal base;
	int rc;
	double cpus;
};

static int ts_evaluate(struct cman_signal *s, const struct cman_signal_input *in,
		       struct cman_request *out, struct cman_error *err)
{
	struct test_signal *t = (struct test_signal *)s;

	if (t->rc)
		return cman_error_set(err, t->rc, "test signal broke");
	out->has[CMAN_RES_CPUS] = true;
	out->v[CMAN_RES_CPUS] = t->cpus;
	return 0;
}

static void ts_free(struct cman_signal *s)
{
}

static const struct cman_signal_ops ts_ops = { "test", ts_evaluate, ts_free };
static const struct cman_signal_config ts_cfg = { .name = (char *)"test", .period_minutes = 1 };

#define NOW 1512115200

struct rig {
	struct cman_pool_config cfg;
	struct fake_group g;
	struct cman_resource_group *groups[1];
	struct fake_conn conn;
	struct fake_clock clock;
	struct cman_pool_manager pm;
	struct cman_store *metrics, *history;
	struct cman_signal *def;
	struct cman_autoscaler a;
	struct cman_decision d;
};

static struct rig *rig_new(size_t n_instances, double cpus_allocated)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct cman_error e = { 0 };
	char key[CMAN_KEY_MAX];
	struct cman_sample s = { .t = NOW - 60, .value = cpus_allocated };

	assert_non_null(r);
	cman_pool_config_init(&r->cfg);
	r->g.base.ops = &fg_ops;
	r->g.base.id = "sfr-1";
	r->g.target = (double)n_instances;
	r->g.n = n_instances;
	for (size_t i = 0; i < n_instances; i++) {
		snprintf(r->g.ids[i], sizeof(r->g.ids[i]), "i-%08zu", i);
		r->g.inst[i].id = r->g.ids[i];
		r->g.inst[i].state = CMAN_INSTANCE_RUNNING;
		r->g.inst[i].instance_type = "c5.xlarge";
		r->g.inst[i].az = "us-west-2a";
		r->g.inst[i].weight = 1;
		r->g.inst[i].launch_time = NOW - 7200;
	}
	r->groups[0] = &r->g.base;
	r->conn.base.ops = &fc_ops;
	r->conn.total[CMAN_RES_CPUS] = 4.0 * (double)n_instances;
	r->conn.total[CMAN_RES_MEM] = 1024.0 * (double)n_instances;
	r->clock.base.ops = &fk_ops;
	r->clock.now = NOW;
	cman_pool_manager_init(&r->pm, &r->cfg, r->groups, 1, &r->conn.base, &r->clock.base);
	assert_int_equal(cman_store_memory_new(&r->metrics, &e), 0);
	assert_int_equal(cman_store_memory_new(&r->history, &e), 0);
	cman_metric_key_pool(key, sizeof(key), "cpus_allocated", "prod", "batch", "mesos");
	if (cpus_allocated >= 0)
		assert_int_equal(cman_store_write(r->metrics, CMAN_SYSTEM_METRICS, key, &s, &e), 0);
	assert_int_equal(cman_signal_new(cman_signal_default_config(), "prod", "batch",
					 &r->def, &e), 0);
	r->a.cfg = &r->cfg;
	r->a.cluster = "prod";
	r->a.pool = "batch";
	r->a.scheduler = "mesos";
	r->a.default_signal = r->def;
	r->a.stores = &r->metrics;
	r->a.n_stores = 1;
	r->a.history = r->history;
	r->a.pm = &r->pm;
	r->a.clock = &r->clock.base;
	cman_decision_init(&r->d);
	return r;
}

static void rig_free(struct rig *r)
{
	cman_autoscaler_release(&r->a);
	cman_autoscaler_release(&r->a);
	cman_decision_release(&r->d);
	cman_pool_manager_release(&r->pm);
	cman_signal_free(r->def);
	cman_store_free(r->metrics);
	cman_store_free(r->history);
	cman_pool_config_release(&r->cfg);
	free(r);
}

/* The metadata value name at t in the rig's history; NAN when none. */
static double meta(struct rig *r, const char *name, int64_t t)
{
	char key[CMAN_KEY_MAX];
	struct cman_error e = { 0 };
	int64_t at;
	double v;
	int found;

	cman_metric_key_pool(key, sizeof(key), name, "prod", "batch", "mesos");
	found = cman_store_latest(r->history, CMAN_METADATA, key, t, &at, &v, &e);
	assert_true(found >= 0);
	return found && at == t ? v : NAN;
}

static void test_run_scale_up(void **state)
{
	struct rig *r = rig_new(10, 40);
	struct cman_error e = { 0 };

	assert_int_equal(cman_autoscaler_run(&r->a, 0, &r->d, &e), 0);
	assert_int_equal(r->d.time, NOW);
	assert_string_equal(r->d.signal, "most_recent");
	assert_false(r->d.signal_failed);
	assert_true(r->d.request.has[CMAN_RES_CPUS] && r->d.request.v[CMAN_RES_CPUS] == 40);
	assert_false(r->d.request.has[CMAN_RES_MEM]);
	assert_true(r->d.has_usage);
	assert_close(r->d.usage, 1, "usage", 0);
	assert_int_equal(r->d.constrained, CMAN_RES_CPUS);
	assert_close(r->d.current_target, 10, "current", 0);
	assert_close(r->d.computed_target, 10 / 0.7, "computed", 0);
	assert_close(r->d.new_target, 10 / 0.7, "new", 0);
	assert_int_equal(r->d.n_clamps, 0);
	assert_false(r->d.paused);
	assert_int_equal(r->g.modified, 1);
	assert_close(r->g.target, 15, "group target", 0);
	/* metadata at now: the new target, the pool as found */
	assert_close(meta(r, "target_capacity", NOW), 10 / 0.7, "meta target", 0);
	assert_close(meta(r, "fulfilled_capacity", NOW), 10, "meta fulfilled", 0);
	assert_close(meta(r, "non_orphan_fulfilled_capacity", NOW), 10, "meta nof", 0);
	assert_close(meta(r, "cpus_total", NOW), 40, "meta cpus", 0);
	assert_close(meta(r, "mem_total", NOW), 10240, "meta mem", 0);
	assert_close(meta(r, "disk_total", NOW), 0, "meta disk", 0);
	assert_close(meta(r, "gpus_total", NOW), 0, "meta gpus", 0);

	/* a second run reuses the decision and the scratch */
	r->clock.now = NOW + 600;
	r->d.paused = true;
	assert_int_equal(cman_autoscaler_run(&r->a, 0, &r->d, &e), 0);
	assert_int_equal(r->d.time, NOW + 600);
	assert_false(r->d.paused);
	/* the cpus sample (at NOW - 60) left the 10-minute window: no opinion */
	assert_false(r->d.request.has[CMAN_RES_CPUS]);
	assert_close(r->d.new_target, 15, "kept", 1);
	assert_contains(r->d.reason, "requested nothing");
	rig_free(r);
}

static void test_run_signal_fallback(void **state)
{
	struct rig *r = rig_new(10, 40);
	struct test_signal bad = { { &ts_ops, "test", &ts_cfg, 0 }, CMAN_EIO, 0 };
	struct cman_error e = { 0 };

	r->a.signal = &bad.base;
	assert_int_equal(cman_autoscaler_run(&r->a, 0, &r->d, &e), 0);
	assert_true(r->d.signal_failed);
	assert_string_equal(r->d.signal_error, "test signal broke");
	assert_string_equal(r->d.signal, "most_recent");
	assert_true(r->d.request.has[CMAN_RES_CPUS] && r->d.request.v[CMAN_RES_CPUS] == 40);
	assert_close(r->d.new_target, 10 / 0.7, "new", 0);

	/* a working pool signal is used as is */
	bad.rc = 0;
	bad.cpus = 20;   /* usage 0.5 -> 10 * 0.5 / 0.7 */
	r->g.target = 10;
	assert_int_equal(cman_autoscaler_run(&r->a, 0, &r->d, &e), 0);
	assert_false(r->d.signal_failed);
	assert_string_equal(r->d.signal, "test");
	assert_close(r->d.computed_target, 5 / 0.7, "computed", 0);

	/* the default signal failing is an error of the run */
	bad.rc = CMAN_EIO;
	r->a.signal = NULL;
	r->a.default_signal = &bad.base;
	assert_int_equal(cman_autoscaler_run(&r->a, 0, &r->d, &e), CMAN_EIO);
	assert_contains(e.msg, "signal 'test' failed: test signal broke");
	rig_free(r);
}

static void test_run_paused(void **state)
{
	struct rig *r = rig_new(10, 40);
	struct cman_error e = { 0 };

	r->a.paused = true;
	assert_int_equal(cman_autoscaler_run(&r->a, 0, &r->d, &e), 0);
	assert_true(r->d.paused);
	assert_close(r->d.current_target, 10, "current", 0);
	assert_close(r->d.new_target, 10, "new", 0);
	assert_int_equal(r->g.modified, 0);
	assert_true(isnan(meta(r, "target_capacity", NOW)));
	rig_free(r);
}

static void test_run_prevent_scale_down(void **state)
{
	struct rig *r = rig_new(10, 10);   /* usage 0.25: scale down */
	struct cman_error e = { 0 };

	r->cfg.prevent_scale_down_after_capacity_loss = true;
	r->cfg.instance_loss_threshold = 1;
	assert_int_equal(cman_autoscaler_run(&r->a, 2, &r->d, &e), 0);
	assert_close(r->d.computed_target, 2.5 / 0.7, "computed", 0);
	assert_close(r->d.new_target, 10, "prevented", 0);
	assert_int_equal(r->d.n_clamps, 1);
	assert_contains(r->d.clamps[0], "prevent_scale_down_after_capacity_loss: 3.57142857143 -> 10");
	/* at the threshold it is not prevented */
	assert_int_equal(cman_autoscaler_run(&r->a, 1, &r->d, &e), 0);
	assert_close(r->d.new_target, 2.5 / 0.7, "allowed", 0);
	/* nor when the option is off */
	r->cfg.prevent_scale_down_after_capacity_loss = false;
	r->g.target = 10;
	assert_int_equal(cman_autoscaler_run(&r->a, 50, &r->d, &e), 0);
	assert_int_equal(r->d.n_clamps, 0);
	rig_free(r);
}

static void test_run_empty_pool(void **state)
{
	struct rig *r = rig_new(0, 8);
	struct cman_error e = { 0 };

	/* history: 4 cpus per unit of weight */
	put(r->history, "non_orphan_fulfilled_capacity", NOW - 3600, 10);
	put(r->history, "cpus_total", NOW - 3600, 40);
	assert_int_equal(cman_autoscaler_run(&r->a, 0, &r->d, &e), 0);
	assert_close(r->d.current_target, 0, "current", 0);
	assert_close(r->d.new_target, 2 / 0.7, "from history", 0);
	assert_int_equal(r->d.constrained, CMAN_RES_CPUS);
	assert_close(r->g.target, 3, "group target", 0);

	/* without a history store: 1 */
	r->g.target = 0;
	r->a.history = NULL;
	assert_int_equal(cman_autoscaler_run(&r->a, 0, &r->d, &e), 0);
	assert_close(r->d.new_target, 1, "no history", 0);
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compute_target),
		cmocka_unit_test(test_constrain),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_history_no_capacity),
		cmocka_unit_test(test_decision_json),
		cmocka_unit_test(test_decision_arrays),
		cmocka_unit_test(test_run_scale_up),
		cmocka_unit_test(test_run_signal_fallback),
		cmocka_unit_test(test_run_paused),
		cmocka_unit_test(test_run_prevent_scale_down),
		cmocka_unit_test(test_run_empty_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
