/*
 * fsutil.h - files that appear complete or not at all, and folders.
 */
#ifndef CMAN_FSUTIL_H
#define CMAN_FSUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cman/err.h"

/* A file being written under a temporary name beside its final path. */
struct cman_atomic_file {
	FILE *fp;
	char *buf;          /* fp's buffer (64 KiB: reports write megabytes) */
	int fd;
	uint64_t hash, bytes;   /* FNV-1a 64 and length of what was written */
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

/*
 * Flush, close and rename into place.  On failure the temporary is removed.
 * The file's FNV-1a 64 hash, computed as it was written, is remembered for
 * cman_atomic_known_hash(): a run hashes its files for its run id, its
 * manifest and its reports' check, and reading a year's 50 MB back three
 * times cost more than writing it (issue 12).
 */
int cman_atomic_commit(struct cman_atomic_file *f, struct cman_error *err);

/*
 * The hash and size of a file this process committed, when sb (its fstat)
 * still shows it as committed: same device, inode, size and modification
 * time.  False when unknown (hash it).
 */
bool cman_atomic_known_hash(const struct stat *sb, uint64_t *hash, uint64_t *bytes);

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
