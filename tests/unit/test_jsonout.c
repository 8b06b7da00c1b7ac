/*
 * test_jsonout.c - checked JSON building (jsonout.h), issue 9.5: a value
 * jansson cannot hold (not finite, not UTF-8) is never dropped silently,
 * and text from outside is repaired before it enters JSON.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cman/jsonout.h"

static void test_good_values(void **state)
{
	struct cman_jout j = { "" };
	struct cman_error err = { 0 };
	json_t *o = json_object(), *a = json_array();

	(void)state;
	cman_jout_set(&j, o, "n", json_real(1.5));
	cman_jout_set(&j, o, "s", json_string("caf\xc3\xa9"));
	cman_jout_append(&j, a, "a", json_integer(7));
	cman_jout_set(&j, o, "a", a);
	assert_true(cman_jout_ok(&j));
	assert_int_equal(cman_jout_check(&j, "x.json", &err), 0);
	assert_int_equal(json_object_size(o), 3);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "a"), 0)), 7);
	json_decref(o);
}

/* Each way a value can be lost is recorded, and only the first is named. */
static void test_lost_values(void **state)
{
	struct cman_jout j = { "" };
	struct cman_error err = { 0 };
	json_t *o = json_object(), *a = json_array();

	(void)state;
	cman_jout_set(&j, o, "cost", json_real(INFINITY));       /* NULL from jansson */
	assert_false(cman_jout_ok(&j));
	cman_jout_set(&j, o, "name", json_string("a\xff"));        /* not UTF-8 */
	cman_jout_append(&j, a, "warnings", json_real(NAN));
	assert_int_equal(cman_jout_check(&j, "summary.json", &err), CMAN_EINTERNAL);
	assert_string_equal(err.msg, "summary.json: cannot store 'cost' (not a finite number, "
			    "text that is not UTF-8, or out of memory)");
	assert_int_equal(json_object_size(o), 0);
	assert_int_equal(json_array_size(a), 0);

	/* a container that could not be made: the value is released, the key named */
	j.bad[0] = '\0';
	cman_jout_set(&j, NULL, "periods", json_integer(1));
	assert_string_equal(j.bad, "periods");
	j.bad[0] = '\0';
	cman_jout_append(&j, NULL, "episodes", json_integer(1));
	assert_string_equal(j.bad, "episodes");
	/* a key jansson refuses (not UTF-8) */
	j.bad[0] = '\0';
	cman_jout_set(&j, o, "m\xff", json_integer(1));
	assert_string_equal(j.bad, "m\xff");
	json_decref(o);
	json_decref(a);
}

/* Text and keys from outside: invalid bytes become U+FFFD, nothing fails. */
static void test_outside_text(void **state)
{
	struct cman_jout j = { "" };
	json_t *o = json_object(), *v = cman_json_text("us-west-2a\xff");
	char *dump;

	(void)state;
	assert_non_null(v);
	assert_string_equal(json_string_value(v), "us-west-2a\xef\xbf\xbd");
	json_decref(v);
	cman_jout_set_text_key(&j, o, "<m5.large, us-west-2\xc3>", json_integer(3));
	cman_jout_set_text_key(&j, o, "ok", cman_json_text("fine"));
	assert_true(cman_jout_ok(&j));
	assert_int_equal(json_integer_value(json_object_get(o, "<m5.large, us-west-2\xef\xbf\xbd>")), 3);
	dump = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	assert_non_null(dump);
	assert_string_equal(dump, "{\"<m5.large, us-west-2\xef\xbf\xbd>\":3,\"ok\":\"fine\"}");
	free(dump);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_lost_values),
		cmocka_unit_test(test_outside_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
