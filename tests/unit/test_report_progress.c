/* The progress line (reports/src/progress.c): silent off a terminal, a
 * redrawn and erased line on one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cman/reports/progress.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void test_not_a_terminal(void **state)
{
	char *out = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&out, &n);
	struct cman_progress p;
	int i;

	cman_progress_init(&p, fp, "run", 100);   /* a memory stream is no terminal */
	assert_false(p.tty);
	for (i = 0; i <= 100; i++)
		cman_progress_update(&p, i);
	sleep_ms(600);
	cman_progress_update(&p, 100);
	cman_progress_finish(&p);
	fclose(fp);
	assert_int_equal(n, 0);
	free(out);
	cman_progress_init(&p, NULL, "run", 0);   /* no stream at all */
	cman_progress_update(&p, 5);
	cman_progress_finish(&p);
}

static void test_terminal(void **state)
{
	char *out = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&out, &n);
	struct cman_progress p;

	cman_progress_init_tty(&p, fp, "run", 1000, true);
	cman_progress_update(&p, 100);            /* too early: nothing yet */
	fflush(fp);
	assert_int_equal(n, 0);
	sleep_ms(600);
	cman_progress_update(&p, 500);
	fflush(fp);
	assert_non_null(strstr(out, "\rrun:  50% ("));
	assert_non_null(strstr(out, " s left)\033[K"));
	cman_progress_update(&p, 500.5);          /* under 1/1000 more: no look */
	cman_progress_finish(&p);
	fclose(fp);
	assert_non_null(strstr(out, "\r\033[K"));
	assert_int_equal(strncmp(out + n - 4, "\r\033[K", 4), 0);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_a_terminal),
		cmocka_unit_test(test_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
