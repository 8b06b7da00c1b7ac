/*
 * cman_test.h - helpers shared by the unit tests: temporary files under
 * $TMPDIR (/tmp when unset), as every test of the project makes them.
 */
#ifndef CMAN_TEST_H
#define CMAN_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 1 when a process's resident set size says something about leaks: not
 * under AddressSanitizer, whose quarantine (256 MB by default) keeps freed
 * memory resident whatever is freed (LeakSanitizer checks leaks there). */
#if defined(__SANITIZE_ADDRESS__)
#define CMAN_TEST_RSS_MEANINGFUL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CMAN_TEST_RSS_MEANINGFUL 0
#endif
#endif
#ifndef CMAN_TEST_RSS_MEANINGFUL
#define CMAN_TEST_RSS_MEANINGFUL 1
#endif

/* The folder for temporary files: $TMPDIR, else /tmp. */
static inline const char *cman_test_tmp(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

/* buf (n bytes) = "$TMPDIR/<prefix>XXXXXX" with the X's not filled in;
 * false (and a message) when it does not fit. */
static inline int cman_test_template(char *buf, size_t n, const char *prefix)
{
	int len = snprintf(buf, n, "%s/%sXXXXXX", cman_test_tmp(), prefix);

	if (len < 0 || (size_t)len >= n) {
		fprintf(stderr, "TMPDIR '%s' is too long for this test's buffers\n",
			cman_test_tmp());
		buf[0] = '\0';
		return 0;
	}
	return 1;
}

/* A new directory $TMPDIR/<prefix>XXXXXX into buf (n bytes): buf, or NULL. */
static inline char *cman_test_mkdtemp(char *buf, size_t n, const char *prefix)
{
	return cman_test_template(buf, n, prefix) ? mkdtemp(buf) : NULL;
}

/* A new file $TMPDIR/<prefix>XXXXXX into buf (n bytes): its descriptor, or -1. */
static inline int cman_test_mkstemp(char *buf, size_t n, const char *prefix)
{
	return cman_test_template(buf, n, prefix) ? mkstemp(buf) : -1;
}

/* The whole file path as a NUL-terminated malloc'ed string (its length in
 * *n when n is not NULL); NULL when it cannot be opened or read. */
static inline char *cman_test_slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!fp)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) >= 0) {
		rewind(fp);
		buf = calloc(1, (size_t)len + 1);
		if (buf && fread(buf, 1, (size_t)len, fp) != (size_t)len) {
			free(buf);
			buf = NULL;
		}
		if (buf && n)
			*n = (size_t)len;
	}
	fclose(fp);
	return buf;
}

/* Write the n bytes at data to path (created or truncated): 0, or -1 when
 * it cannot be opened, written or closed. */
static inline int cman_test_write(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");
	int ok;

	if (!fp)
		return -1;
	ok = fwrite(data, 1, n, fp) == n;
	return fclose(fp) == 0 && ok ? 0 : -1;
}

/* path holds exactly the string text afterwards, or the calling test fails
 * there (a cmocka assertion: for files that include cmocka.h). */
#define cman_test_write_file(path, text) \
	assert_int_equal(cman_test_write((path), (text), strlen(text)), 0)

#endif
