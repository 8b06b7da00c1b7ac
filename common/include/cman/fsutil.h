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

/*
 * A file being written under a temporary name beside its final path, and
 * hashed (FNV-1a 64) as it is written.
 *
 * Bytes go in through fp (stdio), or straight into the file's buffer:
 * cman_atomic_room() gives room for up to CMAN_ATOMIC_ROOM_MAX bytes at
 * wp, the caller writes there and moves wp past what it wrote with
 * cman_atomic_advance().  A row of a large CSV is then formatted in place,
 * with no call per field (issue 12).  Mixing the two ways: fflush(fp)
 * before writing straight, or the bytes come out of order.
 *
 * A full buffer is written with write(2) and hashed.  Once a file is longer
 * than one buffer, the hashing (serial per byte, about 4 cycles a byte) is
 * done by a second thread while the caller goes on formatting, unless
 * cman_atomic_set_background(false) said not to; the bytes, the hash and
 * what is written are the same either way.
 *
 * A write error is remembered and reported by cman_atomic_commit(); until
 * then writing goes on as if nothing happened (what is written after the
 * error is discarded), so writers need not check each row.
 */
#define CMAN_ATOMIC_ROOM_MAX (64 * 1024)

struct cman_atomic_sink;

struct cman_atomic_file {
	FILE *fp;           /* stdio view; NULL for cman_atomic_open_raw() */
	char *wp, *wend;    /* the free room of the current buffer */
	struct cman_atomic_sink *sink;   /* buffers, the hashing thread (private) */
	int fd;
	uint64_t hash, bytes;   /* FNV-1a 64 and length, set by a commit */
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
 * followed.  On failure nothing is left behind (cman_atomic_abort() is
 * still safe). */
int cman_atomic_open(struct cman_atomic_file *f, const char *path,
		     struct cman_error *err);

/* The same without stdio (fp is NULL): for files written only with
 * cman_atomic_room()/cman_atomic_write(). */
int cman_atomic_open_raw(struct cman_atomic_file *f, const char *path,
			 struct cman_error *err);

/* Make room at wp (the current buffer full: written out, another taken). */
char *cman_atomic_room_slow(struct cman_atomic_file *f, size_t n);

/* Room for n <= CMAN_ATOMIC_ROOM_MAX bytes at the returned pointer (f->wp):
 * write them there, then cman_atomic_advance() to the end of what was
 * written.  Never NULL: after an error the room is scratch space. */
static inline char *cman_atomic_room(struct cman_atomic_file *f, size_t n)
{
	if ((size_t)(f->wend - f->wp) >= n)
		return f->wp;
	return cman_atomic_room_slow(f, n);
}

/* The bytes up to end (within the room given) are written. */
static inline void cman_atomic_advance(struct cman_atomic_file *f, char *end)
{
	f->wp = end;
}

/* Append n bytes (any length) without stdio. */
void cman_atomic_write(struct cman_atomic_file *f, const void *p, size_t n);

/*
 * Whether files longer than a buffer are hashed on a second thread (on by
 * default).  Processes that already keep every core busy (sweep workers)
 * turn it off.  Affects files opened afterwards; not thread-safe against
 * opens in other threads.
 */
void cman_atomic_set_background(bool on);

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
