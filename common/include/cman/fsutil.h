/*
 * fsutil.h - files that appear complete or not at all, and folders.
 */
#ifndef CMAN_FSUTIL_H
#define CMAN_FSUTIL_H

#include <stdio.h>

#include "cman/err.h"

/* A file being written under a temporary name beside its final path. */
struct cman_atomic_file {
	FILE *fp;
	char path[4096];
	char tmp[4096];
};

/* Open "<dir>/.<name>.tmp-<pid>" for writing; the final name is path. */
int cman_atomic_open(struct cman_atomic_file *f, const char *path,
		     struct cman_error *err);

/* Flush, close and rename into place.  On failure the temporary is removed. */
int cman_atomic_commit(struct cman_atomic_file *f, struct cman_error *err);

/* Close and remove the temporary (safe after a failed commit or twice). */
void cman_atomic_abort(struct cman_atomic_file *f);

/* mkdir -p. */
int cman_mkdirs(const char *path, struct cman_error *err);

/* Join dir and name into out (size n); name absolute stays as is. */
int cman_path_join(char *out, size_t n, const char *dir, const char *name);

#endif
