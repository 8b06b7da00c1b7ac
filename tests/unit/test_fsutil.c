/*
 * Unit tests of fsutil.c's atomic files: what a commit leaves, and the hash
 * remembered for the files this process wrote (issue 12: a run no longer
 * reads its files back to hash them).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"

#include "cman/fsutil.h"
#include "cman/runfiles.h"

static char dir[256], path[512];

/* FNV-1a 64 by its definition (offset basis, prime 0x100000001b3). */
static uint64_t fnv_ref(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int setup(void **state)
{
	assert_non_null(cman_test_mkdtemp(dir, sizeof(dir), "cman-fsutil."));
	snprintf(path, sizeof(path), "%s/f.csv", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

/* Write text (and a large tail of n_big 'x', to pass through many buffer
 * flushes) through an atomic file. */
static void write_atomic(const char *text, size_t n_big)
{
	struct cman_atomic_file f;
	struct cman_error err = { 0 };
	size_t i;

	assert_int_equal(cman_atomic_open(&f, path, &err), 0);
	fputs(text, f.fp);
	for (i = 0; i < n_big; i++)
		fputc('x', f.fp);
	assert_int_equal(cman_atomic_commit(&f, &err), 0);
	cman_atomic_abort(&f);
}

static void stat_of(struct stat *sb)
{
	assert_int_equal(stat(path, sb), 0);
}

static void test_known_hash(void **state)
{
	static char want[300001];
	struct stat sb;
	uint64_t h = 0, bytes = 0, fh = 0, fbytes = 0;
	struct cman_error err = { 0 };

	memset(want, 'x', sizeof(want) - 1);
	memcpy(want, "a,b\n", 4);
	write_atomic("a,b\n", sizeof(want) - 1 - 4);
	stat_of(&sb);
	assert_true(cman_atomic_known_hash(&sb, &h, &bytes));
	assert_int_equal(bytes, sizeof(want) - 1);
	assert_true(h == fnv_ref(want, sizeof(want) - 1));
	/* hashing the file by name gives the same */
	assert_int_equal(cman_fnv1a64_file(path, &fh, &fbytes, &err), 0);
	assert_true(fh == h);
	assert_int_equal(fbytes, bytes);
}

static void test_changed_file_not_known(void **state)
{
	struct stat sb;
	uint64_t h = 0, bytes = 0;
	struct cman_error err = { 0 };
	int fd;

	write_atomic("1,2\n", 0);
	/* appended to by someone else: another size, hashed again */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "3\n", 2), 2);
	close(fd);
	stat_of(&sb);
	assert_false(cman_atomic_known_hash(&sb, &h, &bytes));
	assert_int_equal(cman_fnv1a64_file(path, &h, &bytes, &err), 0);
	assert_int_equal(bytes, 6);
	assert_true(h == fnv_ref("1,2\n3\n", 6));
	/* written again: known again, with the new content's hash */
	write_atomic("4,5,6\n", 0);
	stat_of(&sb);
	assert_true(cman_atomic_known_hash(&sb, &h, &bytes));
	assert_true(h == fnv_ref("4,5,6\n", 6));
}

static void test_aborted_not_known(void **state)
{
	struct cman_atomic_file f;
	struct cman_error err = { 0 };
	struct stat sb;
	uint64_t h, bytes;

	write_atomic("old\n", 0);
	assert_int_equal(cman_atomic_open(&f, path, &err), 0);
	fputs("new content\n", f.fp);
	cman_atomic_abort(&f);
	stat_of(&sb);
	assert_int_equal(sb.st_size, 4);   /* the old file stays */
	assert_true(cman_atomic_known_hash(&sb, &h, &bytes));
	assert_true(h == fnv_ref("old\n", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_hash),
		cmocka_unit_test(test_changed_file_not_known),
		cmocka_unit_test(test_aborted_not_known),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
