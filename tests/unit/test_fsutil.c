/*
 * Unit tests of fsutil.c's atomic files: what a commit leaves, and the hash
 * remembered for the files this process wrote (issue 12: a run no longer
 * reads its files back to hash them); the buffered writer without stdio
 * (hashed on a second thread once a file outgrows a buffer) against the
 * FNV-1a of the file's bytes, and write errors leaving nothing behind.
 */
#include <dirent.h>
#include <errno.h>
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

/* Bytes of a file, malloc'd (n set). */
static char *slurp(const char *p, size_t *n)
{
	struct stat sb;
	char *b;
	int fd = open(p, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	b = malloc((size_t)sb.st_size + 1);
	assert_non_null(b);
	assert_int_equal(read(fd, b, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*n = (size_t)sb.st_size;
	return b;
}

/* The entries of dir but "." and "..". */
static int n_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/*
 * Rows of odd lengths written straight into the buffer (room/advance),
 * then blocks through cman_atomic_write and stdio, crossing the buffers'
 * edges many times: the file holds exactly the bytes given, and the hash
 * remembered is FNV-1a 64 of them (by the definition), with the hashing
 * thread (background) and without.
 */
static void check_raw_writer(bool background, size_t n_rows)
{
	struct cman_atomic_file f;
	struct cman_error err = { 0 };
	size_t cap = n_rows * 40 + 3000000, n = 0, i, got_n;
	char *want = malloc(cap), *got;
	uint64_t h, bytes;
	struct stat sb;
	uint64_t x = 88172645463325252ULL;

	assert_non_null(want);
	cman_atomic_set_background(background);
	assert_int_equal(cman_atomic_open_raw(&f, path, &err), 0);
	assert_null(f.fp);
	for (i = 0; i < n_rows; i++) {
		/* 1 to 37 bytes of pseudo-random text */
		size_t len, k;
		char *p;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = 1 + x % 37;
		p = cman_atomic_room(&f, len);
		assert_true(p == f.wp && (size_t)(f.wend - f.wp) >= len);
		for (k = 0; k < len; k++)
			want[n + k] = p[k] = (char)('!' + (x >> (k % 50)) % 90);
		n += len;
		cman_atomic_advance(&f, p + len);
	}
	/* blocks larger than a buffer, and odd ones */
	for (i = 0; i < 3; i++) {
		size_t len = i == 1 ? 1000003 : 77;

		memset(want + n, 'a' + (int)i, len);
		cman_atomic_write(&f, want + n, len);
		n += len;
	}
	assert_int_equal(cman_atomic_commit(&f, &err), 0);
	cman_atomic_abort(&f);
	cman_atomic_set_background(true);
	got = slurp(path, &got_n);
	assert_int_equal(got_n, n);
	assert_memory_equal(got, want, n);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(cman_atomic_known_hash(&sb, &h, &bytes));
	assert_int_equal(bytes, n);
	assert_true(h == fnv_ref(want, n));
	assert_true(f.hash == h && f.bytes == n);
	assert_int_equal(n_entries(), 1);   /* no temporary left */
	free(got);
	free(want);
}

static void test_raw_writer_threaded(void **state)
{
	(void)state;
	check_raw_writer(true, 200000);   /* about 3.8 MB: many buffers */
	check_raw_writer(true, 10);       /* one buffer: hashed in place */
}

static void test_raw_writer_in_place(void **state)
{
	(void)state;
	check_raw_writer(false, 200000);
}

/* stdio and straight writes mixed (fflush between): in order, one hash */
static void test_stdio_then_raw(void **state)
{
	static char big[700001];
	struct cman_atomic_file f;
	struct cman_error err = { 0 };
	char *got, *want;
	size_t n;
	uint64_t h, bytes;
	struct stat sb;

	(void)state;
	memset(big, 'q', sizeof(big) - 1);
	assert_int_equal(cman_atomic_open(&f, path, &err), 0);
	fprintf(f.fp, "head %d\n", 42);
	fputs(big, f.fp);
	fflush(f.fp);
	cman_atomic_write(&f, "tail\n", 5);
	assert_int_equal(cman_atomic_commit(&f, &err), 0);
	cman_atomic_abort(&f);
	got = slurp(path, &n);
	want = malloc(sizeof(big) + 16);
	assert_non_null(want);
	snprintf(want, sizeof(big) + 16, "head 42\n%stail\n", big);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(got, want, n);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(cman_atomic_known_hash(&sb, &h, &bytes));
	assert_true(h == fnv_ref(want, n));
	free(got);
	free(want);
}

/*
 * A write that fails (a full disk: the temporary's descriptor made
 * /dev/full's; a descriptor closed under the writer) is reported by the
 * commit with the system's reason, the temporary is removed and the file
 * the commit would have replaced stays as it was, for a file of one
 * buffer and one long enough for the hashing thread.
 */
static void check_write_error(bool full, size_t len)
{
	struct cman_atomic_file f;
	struct cman_error err = { 0 };
	char *buf = malloc(len);
	size_t n;
	char *got;

	assert_non_null(buf);
	memset(buf, 'z', len);
	write_atomic("old\n", 0);
	assert_int_equal(cman_atomic_open_raw(&f, path, &err), 0);
	if (full) {
		int dev = open("/dev/full", O_WRONLY);

		assert_true(dev >= 0);
		assert_true(dup2(dev, f.fd) == f.fd);
		close(dev);
	} else {
		close(f.fd);
	}
	cman_atomic_write(&f, buf, len);
	/* and rows after the error: written into scratch room, no crash */
	for (n = 0; n < 100000; n++)
		cman_atomic_advance(&f, cman_atomic_room(&f, 30) + 30);
	assert_int_equal(cman_atomic_commit(&f, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, full ? strerror(ENOSPC) : strerror(EBADF)));
	assert_non_null(strstr(err.msg, "cannot write"));
	cman_atomic_abort(&f);
	got = slurp(path, &n);
	assert_int_equal(n, 4);
	assert_memory_equal(got, "old\n", 4);
	assert_int_equal(n_entries(), 1);   /* the temporary is gone */
	free(got);
	free(buf);
}

static void test_full_disk(void **state)
{
	(void)state;
	check_write_error(true, 100);
	check_write_error(true, 5000000);
}

static void test_closed_fd(void **state)
{
	(void)state;
	check_write_error(false, 100);
	check_write_error(false, 5000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_hash),
		cmocka_unit_test(test_changed_file_not_known),
		cmocka_unit_test(test_aborted_not_known),
		cmocka_unit_test(test_raw_writer_threaded),
		cmocka_unit_test(test_raw_writer_in_place),
		cmocka_unit_test(test_stdio_then_raw),
		cmocka_unit_test(test_full_disk),
		cmocka_unit_test(test_closed_fd),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
