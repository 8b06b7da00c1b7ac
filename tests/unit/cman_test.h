/*
 * cman_test.h - helpers shared by the unit tests: temporary files under
 * $TMPDIR (/tmp when unset), as every test of the project makes them.
 */
#ifndef CMAN_TEST_H
#define CMAN_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

#endif
