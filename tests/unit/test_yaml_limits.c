/*
 * test_yaml_limits.c - issue 9.7: hostile YAML costs bounded time.  Deep
 * nesting stops at the depth limit while parsing (before, libyaml built the
 * whole document first: over a minute for 200 KB), and a mapping with tens
 * of thousands of keys is checked for duplicates in n log n (before: a
 * quadratic scan, 14 s for 40k keys).  CPU time is measured with clock(), so
 * a loaded machine does not make the checks flaky; the bounds are generous
 * (the fixed code needs well under a tenth of them, the old code far more).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cman/config.h"

#define CPU_BOUND 3.0   /* seconds */

static double cpu_now(void)
{
	return (double)clock() / CLOCKS_PER_SEC;
}

static void assert_contains(const char *msg, const char *want)
{
	if (!strstr(msg, want))
		fail_msg("message '%s' does not contain '%s'", msg, want);
}

/* "name: " + n '[' + n ']' */
static char *deep_text(size_t n, char open, char close)
{
	char *s = malloc(2 * n + 16), *p = s;

	assert_non_null(s);
	p += sprintf(p, "name: ");
	memset(p, open, n);
	p += n;
	memset(p, close, n);
	p += n;
	strcpy(p, "\n");
	return s;
}

static void test_deep_nesting_stops_early(void **state)
{
	static const char opens[] = "[{";
	static const char closes[] = "]}";

	(void)state;
	for (int k = 0; k < 2; k++) {
		char *text = deep_text(100000, opens[k], closes[k]);
		struct cman_error e = { 0 };
		struct cman_node *n = NULL;
		double t0 = cpu_now(), dt;
		int rc = cman_yaml_load_string("deep.yaml", text, &n, &e);

		dt = cpu_now() - t0;
		assert_int_equal(rc, CMAN_EINVAL);
		assert_null(n);
		/* the root map is level 0, the value's brackets levels 1..: the
		 * 257th bracket (column 6 + 257) is the first one too deep */
		assert_contains(e.msg, "deep.yaml:1:263: document nested too deeply");
		if (dt > CPU_BOUND)
			fail_msg("%s-nesting took %.2f s of CPU", k ? "map" : "sequence", dt);
		free(text);
	}
}

static void test_depth_limit_exact(void **state)
{
	char *text;
	struct cman_error e = { 0 };
	struct cman_node *n = NULL, *v;
	int depth = 0;

	(void)state;
	/* 256 levels under the root map: accepted; 257: refused */
	text = deep_text(256, '[', ']');
	assert_int_equal(cman_yaml_load_string("t.yaml", text, &n, &e), 0);
	for (v = cman_node_get(n, "name"); v && v->type == CMAN_NODE_SEQ; v = v->n ? v->items[0] : NULL)
		depth++;
	assert_int_equal(depth, 256);
	cman_node_free(n);
	free(text);
	text = deep_text(257, '[', ']');
	assert_int_equal(cman_yaml_load_string("t.yaml", text, &n, &e), CMAN_EINVAL);
	assert_contains(e.msg, "t.yaml:1:263: document nested too deeply");
	free(text);
}

static void test_alias_depth_counted(void **state)
{
	/* an alias of a 200-level anchor placed 100 levels down is 300 deep */
	size_t len = 4096;
	char *text = malloc(len), *p = text;
	struct cman_error e = { 0 };
	struct cman_node *n = NULL;

	(void)state;
	p += sprintf(p, "a: &x ");
	for (int i = 0; i < 200; i++)
		*p++ = '[';
	for (int i = 0; i < 200; i++)
		*p++ = ']';
	p += sprintf(p, "\nb: ");
	for (int i = 0; i < 100; i++)
		*p++ = '[';
	p += sprintf(p, "*x");
	for (int i = 0; i < 100; i++)
		*p++ = ']';
	strcpy(p, "\n");
	assert_int_equal(cman_yaml_load_string("t.yaml", text, &n, &e), CMAN_EINVAL);
	assert_contains(e.msg, "t.yaml:2:104: document nested too deeply");
	free(text);
}

static char *many_keys(size_t n, long dup_at)
{
	char *s = malloc(n * 24 + 64), *p = s;

	assert_non_null(s);
	p += sprintf(p, "m:\n");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "  k%zu: %zu\n", (long)i == dup_at ? (size_t)7 : i, i);
	return s;
}

static void test_many_keys_fast(void **state)
{
	char *text = many_keys(40000, -1);
	struct cman_error e = { 0 };
	struct cman_node *n = NULL, *m;
	double t0 = cpu_now(), dt;

	(void)state;
	assert_int_equal(cman_yaml_load_string("t.yaml", text, &n, &e), 0);
	dt = cpu_now() - t0;
	m = cman_node_get(n, "m");
	assert_non_null(m);
	assert_int_equal(m->n, 40000);
	assert_string_equal(m->keys[39999]->scalar, "k39999");
	assert_string_equal(m->items[39999]->scalar, "39999");
	if (dt > CPU_BOUND)
		fail_msg("40000 keys took %.2f s of CPU", dt);
	cman_node_free(n);
	free(text);
}

static void test_many_keys_duplicate(void **state)
{
	/* key 30000 repeats "k7" (line 9); it is on line 30002 */
	char *text = many_keys(40000, 30000);
	struct cman_error e = { 0 };
	struct cman_node *n = NULL;

	(void)state;
	assert_int_equal(cman_yaml_load_string("t.yaml", text, &n, &e), CMAN_EINVAL);
	assert_null(n);
	assert_contains(e.msg, "t.yaml:30002:3: duplicate key 'k7' (first at line 9, column 3)");
	free(text);
}

static void test_earliest_duplicate_reported(void **state)
{
	/* two duplicated keys: the one whose second occurrence comes first */
	static const char text[] =
		"{z: 1, a: 2, b: 3, c: 4, d: 5, e: 6, f: 7, g: 8, h: 9, a: 10, z: 11, a: 12}\n";
	struct cman_error e = { 0 };
	struct cman_node *n = NULL;

	(void)state;
	assert_int_equal(cman_yaml_load_string("t.yaml", text, &n, &e), CMAN_EINVAL);
	assert_contains(e.msg, "t.yaml:1:56: duplicate key 'a' (first at line 1, column 8)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deep_nesting_stops_early),
		cmocka_unit_test(test_depth_limit_exact),
		cmocka_unit_test(test_alias_depth_counted),
		cmocka_unit_test(test_many_keys_fast),
		cmocka_unit_test(test_many_keys_duplicate),
		cmocka_unit_test(test_earliest_duplicate_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
