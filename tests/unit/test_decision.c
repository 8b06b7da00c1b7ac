/*
 * test_decision.c - decisions.jsonl lines written without a JSON document
 * (issue 12) are the bytes jansson writes for the same line: the reference
 * here builds the line with jansson in INTERFACE.md's key order and dumps
 * it with the documented flags (compact, 12 significant digits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/decision.h"

static char *line_of(const struct cman_decision *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(cman_decision_write_json(d, fp), 0);
	fclose(fp);
	return buf;
}

static json_t *ref_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* A string as the line shows it: invalid UTF-8 has its bytes >= 0x80 as '?'. */
static json_t *ref_text(const char *s)
{
	json_t *j = json_string(s);
	char *c;

	if (j)
		return j;
	c = strdup(s);
	for (char *p = c; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

static char *reference(const struct cman_decision *d)
{
	json_t *o = json_object(), *req = json_object(), *a;
	char *s, *line;
	size_t i;

	json_object_set_new(o, "time", json_integer(d->time));
	json_object_set_new(o, "signal", ref_text(d->signal));
	json_object_set_new(o, "signal_error",
			    d->signal_failed ? ref_text(d->signal_error) : json_null());
	for (i = 0; i < CMAN_RES_COUNT; i++)
		json_object_set_new(req, cman_resource_name((enum cman_resource)i),
				    d->request.has[i] ? ref_num(d->request.v[i]) : json_null());
	json_object_set_new(o, "request", req);
	json_object_set_new(o, "usage", d->has_usage ? ref_num(d->usage) : json_null());
	json_object_set_new(o, "constrained_resource", d->constrained >= 0 ?
			    json_string(cman_resource_name((enum cman_resource)d->constrained)) :
			    json_null());
	json_object_set_new(o, "current_target", ref_num(d->current_target));
	json_object_set_new(o, "computed_target", ref_num(d->computed_target));
	json_object_set_new(o, "new_target", ref_num(d->new_target));
	a = json_array();
	for (i = 0; i < d->n_clamps; i++)
		json_array_append_new(a, ref_text(d->clamps[i]));
	json_object_set_new(o, "clamps", a);
	json_object_set_new(o, "reason", ref_text(d->reason));
	a = json_object();
	for (i = 0; i < d->n_groups; i++)
		json_object_set_new(a, cman_decision_str(d, d->groups[i].id),
				    ref_num(d->groups[i].planned));
	json_object_set_new(o, "group_targets", a);
	a = json_array();
	for (i = 0; i < d->n_terminated; i++)
		json_array_append_new(a, ref_text(cman_decision_str(d, d->terminated[i])));
	json_object_set_new(o, "terminated", a);
	a = json_array();
	for (i = 0; i < d->n_skipped && i < CMAN_DECISION_JSON_SKIPPED; i++) {
		json_t *k = json_object();

		json_object_set_new(k, "id", ref_text(cman_decision_str(d, d->skipped[i].id)));
		json_object_set_new(k, "reason", json_string(d->skipped[i].reason));
		json_array_append_new(a, k);
	}
	json_object_set_new(o, "skipped", a);
	json_object_set_new(o, "skipped_total", json_integer((json_int_t)d->n_skipped));
	json_object_set_new(o, "paused", json_boolean(d->paused));
	s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_REAL_PRECISION(12));
	json_decref(o);
	assert_non_null(s);
	line = malloc(strlen(s) + 2);
	sprintf(line, "%s\n", s);
	free(s);
	return line;
}

static void check(const struct cman_decision *d)
{
	char *got = line_of(d), *want = reference(d);

	assert_string_equal(got, want);
	free(got);
	free(want);
}

/* Numbers of every shape %.12g gives, through the line's number fields. */
static void test_numbers(void **state)
{
	static const double v[] = {
		0, -0.0, 1, -1, 6000, 9808.71428571429, 0.1 + 0.2, 1.14130651596, 1e11,
		999999999999.0, 1e12, 123456789012.5, -98765432109876.0, 1e20, 1.5e-7,
		1e-5, 2.5e-300, 1.7976931348623157e308, 4.9e-324, 0.0001, 123.456e10,
		NAN, INFINITY, -INFINITY, 1806.0000000000002, 4503599627370497.0,
	};
	struct cman_decision d;
	size_t i;

	(void)state;
	cman_decision_init(&d);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cman_decision_reset(&d);
		d.time = (int64_t)i * -7777777777LL;
		snprintf(d.signal, sizeof(d.signal), "most_recent");
		d.has_usage = i % 2;
		d.usage = v[i];
		d.request.has[CMAN_RES_CPUS] = true;
		d.request.v[CMAN_RES_CPUS] = v[i];
		d.request.has[CMAN_RES_GPUS] = i % 3 == 0;
		d.request.v[CMAN_RES_GPUS] = -v[i];
		d.constrained = i % 3 == 2 ? -1 : (int)(i % CMAN_RES_COUNT);
		d.current_target = v[i];
		d.computed_target = v[i] * 3;
		d.new_target = v[i] / 7;
		assert_int_equal(cman_decision_set_groups(&d, 2), 0);
		assert_int_equal(cman_decision_set_group(&d, 0, "fleet", v[i]), 0);
		assert_int_equal(cman_decision_set_group(&d, 1, "ondemand", 1 - v[i]), 0);
		d.paused = i % 2 == 0;
		check(&d);
	}
	cman_decision_release(&d);
}

/* Escapes, long lists, and the lines that go through jansson (non-ASCII,
 * invalid UTF-8, a repeated group id). */
static void test_strings(void **state)
{
	struct cman_decision d;
	char id[64], longid[20000];
	size_t i;

	(void)state;
	cman_decision_init(&d);
	snprintf(d.signal, sizeof(d.signal), "sig \"q\" \\ / \x7f");
	d.signal_failed = true;
	snprintf(d.signal_error, sizeof(d.signal_error), "a\nb\tc\rd\be\ff\x01g\x1f");
	snprintf(d.reason, sizeof(d.reason), "usage 0.7 of cpus (6866.1 / 6016)");
	assert_int_equal(cman_decision_add_clamp(&d, "max_weight_to_add: %d -> %d", 2400, 2200), 0);
	assert_int_equal(cman_decision_add_clamp(&d, "%s", "x\"y"), 0);
	assert_int_equal(cman_decision_set_groups(&d, 3), 0);
	assert_int_equal(cman_decision_set_group(&d, 0, "fleet \"a\"", 5809), 0);
	assert_int_equal(cman_decision_set_group(&d, 1, "", 0.5), 0);
	assert_int_equal(cman_decision_set_group(&d, 2, "asg\\1", 4000), 0);
	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "i-%08zx", i);
		assert_int_equal(cman_decision_add_terminated(&d, id), 0);
		assert_int_equal(cman_decision_add_skipped(&d, id, i % 2 ? "weight limit" :
							   "group at target"), 0);
	}
	memset(longid, 'z', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	longid[5000] = '"';
	assert_int_equal(cman_decision_add_terminated(&d, longid), 0);
	check(&d);

	/* non-ASCII, valid: as jansson writes it */
	snprintf(d.reason, sizeof(d.reason), "r\xc3\xa9sum\xc3\xa9");
	check(&d);
	/* invalid UTF-8 ('?' per byte) in a machine id */
	snprintf(d.reason, sizeof(d.reason), "plain");
	assert_int_equal(cman_decision_add_terminated(&d, "i-\xff\xfe"), 0);
	check(&d);
	/* a group id twice: one key, as jansson merges it */
	cman_decision_reset(&d);
	assert_int_equal(cman_decision_set_groups(&d, 2), 0);
	assert_int_equal(cman_decision_set_group(&d, 0, "g", 1), 0);
	assert_int_equal(cman_decision_set_group(&d, 1, "g", 2), 0);
	check(&d);
	cman_decision_release(&d);
}

/* The word-at-a-time check of a string (issue 12): every length around a
 * word and every position of each byte that needs care (a control
 * character, '"', '\\', a non-ASCII character) or that sits next to one in
 * value ('!', '#', '[', ']', ' ', DEL), and times and counts of every sign
 * and size. */
static void test_string_runs(void **state)
{
	static const unsigned char special[] = { 0x01, 0x1f, '"', '\\', 0xc3,
						 ' ', '!', '#', '[', ']', 0x7f, '/' };
	static const long long times[] = { 0, -1, 9, 10, -10, 1514764800,
					   INT64_MAX, INT64_MIN + 1, INT64_MIN };
	struct cman_decision d;
	char s[40];
	size_t len, pos, k;

	(void)state;
	cman_decision_init(&d);
	for (len = 0; len <= 33; len++) {
		for (pos = 0; pos <= len; pos++) {
			for (k = 0; k < sizeof(special); k++) {
				memset(s, 'a' + (int)(len % 26), len);
				s[len] = '\0';
				if (pos < len)
					s[pos] = (char)special[k];
				if (special[k] == 0xc3) {
					if (pos + 1 >= len)
						continue;
					s[pos + 1] = (char)0xa9;   /* valid UTF-8 */
				}
				cman_decision_reset(&d);
				d.time = times[(len + pos + k) % (sizeof(times) / sizeof(*times))];
				snprintf(d.reason, sizeof(d.reason), "%s", s);
				snprintf(d.signal, sizeof(d.signal), "%s", s + pos);
				assert_int_equal(cman_decision_set_groups(&d, 1), 0);
				assert_int_equal(cman_decision_set_group(&d, 0, s, 1), 0);
				assert_int_equal(cman_decision_add_terminated(&d, s), 0);
				check(&d);
			}
		}
	}
	cman_decision_release(&d);
}

/* cman_decision_reset() clears every field it must, each one dirty
 * beforehand, and keeps the arrays and the caller's settings (issue 12:
 * it clears them one by one). */
static void test_reset(void **state)
{
	struct cman_decision d, keep, want;
	int i;

	(void)state;
	cman_decision_init(&d);
	assert_int_equal(cman_decision_set_groups(&d, 3), 0);
	assert_int_equal(cman_decision_set_group(&d, 0, "g", 1), 0);
	assert_int_equal(cman_decision_add_terminated(&d, "i-1"), 0);
	assert_int_equal(cman_decision_add_terminate_failed(&d, "i-2"), 0);
	assert_int_equal(cman_decision_add_skipped(&d, "i-3", "weight limit"), 0);
	for (i = 0; i < CMAN_DRAIN_LISTS; i++)
		assert_int_equal(cman_decision_add_drain(&d, (enum cman_drain_list)i, "i-4"), 0);
	d.no_text = true;
	d.skipped_keep = 7;
	keep = d;
	/* every byte dirty, then the arrays (and the settings) put back */
	memset(&d, 0x5a, sizeof(d));
	d.groups = keep.groups;
	d.cap_groups = keep.cap_groups;
	d.terminated = keep.terminated;
	d.cap_terminated = keep.cap_terminated;
	d.terminate_failed = keep.terminate_failed;
	d.cap_terminate_failed = keep.cap_terminate_failed;
	d.skipped = keep.skipped;
	d.cap_skipped = keep.cap_skipped;
	for (i = 0; i < CMAN_DRAIN_LISTS; i++) {
		d.drain[i].ids = keep.drain[i].ids;
		d.drain[i].cap = keep.drain[i].cap;
	}
	d.strs = keep.strs;
	d.strs_cap = keep.strs_cap;
	d.no_text = true;
	d.skipped_keep = 7;
	cman_decision_reset(&d);
	cman_decision_init(&want);
	assert_int_equal(d.time, want.time);
	assert_string_equal(d.signal, "");
	assert_false(d.signal_failed);
	assert_string_equal(d.signal_error, "");
	assert_memory_equal(&d.request.has, &want.request.has, sizeof(want.request.has));
	assert_memory_equal(&d.request.v, &want.request.v, sizeof(want.request.v));
	assert_false(d.has_usage);
	assert_true(d.usage == 0 && d.current_target == 0 && d.computed_target == 0 &&
		    d.new_target == 0);
	assert_int_equal(d.constrained, -1);
	assert_string_equal(d.reason, "");
	assert_int_equal(d.n_clamps, 0);
	for (i = 0; i < CMAN_MAX_CLAMPS; i++)
		assert_string_equal(d.clamps[i], "");
	assert_int_equal(d.n_groups, 0);
	assert_int_equal(d.n_terminated, 0);
	assert_int_equal(d.n_terminate_failed, 0);
	assert_int_equal(d.n_skipped, 0);
	assert_false(d.paused || d.dry_run || d.draining || d.drain_failed);
	for (i = 0; i < CMAN_DRAIN_LISTS; i++) {
		assert_int_equal(d.drain[i].n, 0);
		assert_ptr_equal(d.drain[i].ids, keep.drain[i].ids);
		assert_int_equal(d.drain[i].cap, keep.drain[i].cap);
	}
	assert_int_equal(d.drain_error, 0);
	assert_int_equal(d.strs_len, 0);
	assert_ptr_equal(d.groups, keep.groups);
	assert_ptr_equal(d.terminated, keep.terminated);
	assert_ptr_equal(d.terminate_failed, keep.terminate_failed);
	assert_ptr_equal(d.skipped, keep.skipped);
	assert_ptr_equal(d.strs, keep.strs);
	assert_int_equal(d.strs_cap, keep.strs_cap);
	assert_true(d.no_text);
	assert_int_equal(d.skipped_keep, 7);
	/* and a line written after it is an empty run's */
	d.no_text = false;
	d.skipped_keep = 0;
	check(&d);
	cman_decision_release(&d);
}

/* A stream that cannot be written: CMAN_EIO, as before. */
static void test_write_error(void **state)
{
	struct cman_decision d;
	FILE *fp = fopen("/dev/full", "w");

	(void)state;
	if (!fp)
		skip();
	cman_decision_init(&d);
	for (size_t i = 0; i < 2000; i++)
		assert_int_equal(cman_decision_add_terminated(&d, "i-00000001"), 0);
	assert_int_equal(cman_decision_write_json(&d, fp), CMAN_EIO);
	fclose(fp);
	cman_decision_release(&d);
}

/* skipped_keep: the first ones kept, every one counted, kept over a reset
 * (issue 12); 0 keeps them all. */
static void test_skipped_keep(void **state)
{
	struct cman_decision d;
	char id[32];
	int i, round;

	(void)state;
	cman_decision_init(&d);
	d.skipped_keep = 3;
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 10; i++) {
			snprintf(id, sizeof(id), "i-%d-%d", round, i);
			assert_int_equal(cman_decision_add_skipped(&d, id, "weight limit"), 0);
		}
		assert_int_equal(d.n_skipped, 10);
		for (i = 0; i < 3; i++) {
			snprintf(id, sizeof(id), "i-%d-%d", round, i);
			assert_string_equal(cman_decision_str(&d, d.skipped[i].id), id);
		}
		cman_decision_reset(&d);
		assert_int_equal(d.skipped_keep, 3);
	}
	d.skipped_keep = 0;
	for (i = 0; i < 10; i++)
		assert_int_equal(cman_decision_add_skipped(&d, "i-x", "task limit"), 0);
	assert_int_equal(d.n_skipped, 10);
	assert_string_equal(d.skipped[9].reason, "task limit");
	cman_decision_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_string_runs),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_skipped_keep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
