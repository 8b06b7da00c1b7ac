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

/*
 * Create a new file "<dir>/.<name>.tmp-<pid>-<random>" beside path with
 * O_CREAT|O_EXCL|O_NOFOLLOW (a link or file planted under the name is never
 * followed or reused; another name is tried), mode 0666 less the umask.
 * Returns the open, write-only descriptor (caller closes, and unlinks tmp on
 * failure) with the name in tmp (size n), or a negative cman_err.
 */
int cman_tmp_create(const char *path, char *tmp, size_t n, struct cman_error *err);

/* Open a temporary made by cman_tmp_create() for writing; the final name is
 * path.  A commit renames it over path: a link at path is replaced, never
 * followed. */
int cman_atomic_open(struct cman_atomic_file *f, const char *path,
		     struct cman_error *err);

/* Flush, close and rename into place.  On failure the temporary is removed. */
int cman_atomic_commit(struct cman_atomic_file *f, struct cman_error *err);

/* Close and remove the temporary (safe after a failed commit or twice). */
void cman_atomic_abort(struct cman_atomic_file *f);

/*
 * A read buffer size for the open descriptor fd: a regular file smaller
 * than max gets its size plus one (at least 4096), anything else max.
 * Readers of small files (tests, fuzzing, one-off imports) then do not
 * allocate and fault in buffers sized for gigabyte inputs.  A compressed
 * file may expand: the buffer only sets how much one read asks for.
 */
size_t cman_read_buffer_size(int fd, size_t max);

/* mkdir -p. */
int cman_mkdirs(const char *path, struct cman_error *err);

/* Join dir and name into out (size n); name absolute stays as is. */
int cman_path_join(char *out, size_t n, const char *dir, const char *name);

#endif
