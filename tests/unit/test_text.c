/*
 * test_text.c - UTF-8 checks and repair (text.h), issue 9.5: text from
 * outside is made valid before it enters JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cman/text.h"

struct utf8_case {
	const char *in;
	bool valid;
	const char *clean;
};

static void test_utf8(void **state)
{
	static const struct utf8_case cases[] = {
		{ "plain ascii", true, "plain ascii" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", true, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "a\xff" "b", false, "a\xef\xbf\xbd" "b" },
		{ "\xc3(", false, "\xef\xbf\xbd(" },                 /* cut sequence */
		{ "\xc0\xaf", false, "\xef\xbf\xbd\xef\xbf\xbd" },   /* overlong '/' */
		{ "\xed\xa0\x80", false, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "\xf4\x90\x80\x80", false, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* > U+10FFFF */
		{ "end\xe2\x82", false, "end\xef\xbf\xbd\xef\xbf\xbd" },
		{ "", true, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *c = cman_utf8_clean(cases[i].in);
		json_t *j;

		assert_int_equal(cman_utf8_valid(cases[i].in, strlen(cases[i].in)), cases[i].valid);
		assert_non_null(c);
		assert_string_equal(c, cases[i].clean);
		assert_true(cman_utf8_valid(c, strlen(c)));
		/* what jansson accepts: the point of cleaning */
		j = json_string(c);
		assert_non_null(j);
		json_decref(j);
		free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
