/*
 * test_grow.c - arrays that grow by doubling and the huge-page hint for
 * large arrays (grow.h, issue 12: first-touch page faults of the run's
 * per-step arrays).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cmocka.h>

#include "cman/grow.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void test_grow_doubles(void **state)
{
	int *a = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(cman_grow((void **)&a, &cap, 1, sizeof(*a)), 0);
	assert_int_equal(cap, 16);
	for (int i = 0; i < 16; i++)
		a[i] = i;
	assert_int_equal(cman_grow((void **)&a, &cap, 17, sizeof(*a)), 0);
	assert_int_equal(cap, 32);
	assert_int_equal(cman_grow((void **)&a, &cap, 100, sizeof(*a)), 0);
	assert_int_equal(cap, 128);
	for (int i = 0; i < 16; i++)
		assert_int_equal(a[i], i);
	/* an impossible size fails and leaves the array as it was */
	assert_int_not_equal(cman_grow((void **)&a, &cap, SIZE_MAX / 2, sizeof(*a)), 0);
	assert_int_equal(cap, 128);
	assert_int_equal(a[15], 15);
	free(a);
}

/*
 * The mapping of /proc/self/smaps that holds address p: how many mappings
 * hold a byte of [p, p + n) and whether the one holding p has the
 * huge-page flag ("hg" in VmFlags).
 */
static void mappings_of(const void *p, size_t n, int *count, bool *hg)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long lo = (unsigned long)(uintptr_t)p, hi = lo + n, a, b;
	bool in = false;

	*count = 0;
	*hg = false;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		/* a mapping's first line is "lo-hi perms ...", the others are
		 * "Field: ..." (no field name is hex digits and a '-') */
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
			in = a <= lo && lo < b;
			if (a < hi && lo < b)
				(*count)++;
		} else if (in && !strncmp(line, "VmFlags:", 8)) {
			*hg = strstr(line, " hg") != NULL;
		}
	}
	fclose(f);
}

static void test_hint_huge(void **state)
{
	size_t n = (size_t)8 << 20;
	unsigned char *p;
	int count;
	bool hg;

	(void)state;
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) != 0)
		skip();   /* a kernel without transparent huge pages */
#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, 1 << 20);   /* as clusterman-sim does */
#endif
	p = malloc(n);
	assert_non_null(p);
	cman_hint_huge(p, n);
	mappings_of(p, n, &count, &hg);
	assert_true(hg);
#if defined(__GLIBC__) && !defined(UNDER_ASAN)
	/* the block's own mapping stays one mapping (a hint on part of it
	 * would split it, and realloc could no longer grow it with mremap
	 * but would copy it) */
	assert_int_equal(count, 1);
#endif
	memset(p, 0xa5, n);
	p = realloc(p, 2 * n);
	assert_non_null(p);
	cman_hint_huge(p, 2 * n);
	mappings_of(p, 2 * n, &count, &hg);
	assert_true(hg);
#if defined(__GLIBC__) && !defined(UNDER_ASAN)
	assert_int_equal(count, 1);
#endif
	for (size_t i = 0; i < n; i += 4093)
		assert_int_equal(p[i], 0xa5);
	free(p);
	/* small blocks and NULL are left alone */
	cman_hint_huge(NULL, n);
	p = malloc(4096);
	assert_non_null(p);
	cman_hint_huge(p, 4096);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grow_doubles),
		cmocka_unit_test(test_hint_huge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
