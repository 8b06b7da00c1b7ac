#include "cman/fsutil.h"
#include "cman/runfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ATOMIC_BUFSZ (1 << 16)

/* A name no one can guess ahead: pid, a counter and 32 random bits. */
static unsigned next_suffix(void)
{
	static unsigned counter;
	unsigned r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned)time(NULL) ^ (unsigned)clock();
	return r ^ (++counter * 2654435761u);
}

int cman_tmp_create(const char *path, char *tmp, size_t n, struct cman_error *err)
{
	const char *slash = strrchr(path, '/');
	int w, fd = -1, tries, e = EEXIST;

	/* O_CREAT|O_EXCL never follows a link planted under the name (nor
	 * opens an existing file); O_NOFOLLOW says so twice.  On a clash
	 * (someone created the name first) another name is tried. */
	for (tries = 0; tries < 100 && fd < 0 && e == EEXIST; tries++) {
		unsigned r = next_suffix();

		if (slash)
			w = snprintf(tmp, n, "%.*s/.%s.tmp-%ld-%08x", (int)(slash - path), path,
				     slash + 1, (long)getpid(), r);
		else
			w = snprintf(tmp, n, ".%s.tmp-%ld-%08x", path, (long)getpid(), r);
		if (w < 0 || (size_t)w >= n) {
			tmp[0] = '\0';
			return cman_error_set(err, CMAN_EINVAL, "%s: path too long", path);
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		e = errno;
	}
	if (fd < 0) {
		tmp[0] = '\0';
		return cman_error_set(err, CMAN_EIO, "%s: cannot write: %s", path, strerror(e));
	}
	return fd;
}

/* ---- files written whole, with their hashes ----------------------------- */

/* The last files committed by this process (a run writes about ten). */
#define N_KNOWN 32
static struct known {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uint64_t hash;
} known[N_KNOWN];
static size_t n_known, next_known;

bool cman_atomic_known_hash(const struct stat *sb, uint64_t *hash, uint64_t *bytes)
{
	size_t i;

	for (i = 0; i < n_known; i++) {
		const struct known *k = &known[i];

		if (k->dev == sb->st_dev && k->ino == sb->st_ino && k->size == sb->st_size &&
		    k->mtime.tv_sec == sb->st_mtim.tv_sec &&
		    k->mtime.tv_nsec == sb->st_mtim.tv_nsec) {
			*hash = k->hash;
			*bytes = (uint64_t)k->size;
			return true;
		}
	}
	return false;
}

static void remember(const struct stat *sb, uint64_t hash)
{
	size_t i;

	/* an entry of the same file (the inode reused) is replaced */
	for (i = 0; i < n_known; i++)
		if (known[i].dev == sb->st_dev && known[i].ino == sb->st_ino)
			break;
	if (i == n_known) {
		i = next_known;
		next_known = (next_known + 1) % N_KNOWN;
		if (n_known < N_KNOWN)
			n_known++;
	}
	known[i] = (struct known){ sb->st_dev, sb->st_ino, sb->st_size, sb->st_mtim, hash };
}

/* stdio's writes of an atomic file: hashed, then written whole. */
static ssize_t hashing_write(void *cookie, const char *buf, size_t n)
{
	struct cman_atomic_file *f = cookie;
	size_t done = 0;

	while (done < n) {
		ssize_t w = write(f->fd, buf + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return done ? (ssize_t)done : -1;
		f->hash = cman_fnv1a64(f->hash, buf + done, (size_t)w);
		f->bytes += (uint64_t)w;
		done += (size_t)w;
	}
	return (ssize_t)n;
}

static int hashing_close(void *cookie)
{
	struct cman_atomic_file *f = cookie;
	int rc = close(f->fd);

	f->fd = -1;
	return rc;
}

int cman_atomic_open(struct cman_atomic_file *f, const char *path,
		     struct cman_error *err)
{
	int fd;

	f->fp = NULL;
	f->buf = NULL;
	f->tmp[0] = '\0';
	if (snprintf(f->path, sizeof(f->path), "%s", path) >= (int)sizeof(f->path))
		return cman_error_set(err, CMAN_EINVAL, "%s: path too long", path);
	fd = cman_tmp_create(path, f->tmp, sizeof(f->tmp), err);
	if (fd < 0)
		return fd;
	f->fd = fd;
	f->hash = CMAN_FNV1A64_INIT;
	f->bytes = 0;
	f->fp = fopencookie(f, "w", (cookie_io_functions_t){ .write = hashing_write,
							    .close = hashing_close });
	if (!f->fp) {
		int e = errno;

		close(fd);
		unlink(f->tmp);
		f->tmp[0] = '\0';
		return cman_error_set(err, CMAN_EIO, "%s: cannot write: %s", path, strerror(e));
	}
	/* a larger buffer than stdio's 4 KiB: fewer write calls (without
	 * memory for it, stdio's own) */
	f->buf = malloc(ATOMIC_BUFSZ);
	if (f->buf)
		setvbuf(f->fp, f->buf, _IOFBF, ATOMIC_BUFSZ);
	return 0;
}

int cman_atomic_commit(struct cman_atomic_file *f, struct cman_error *err)
{
	struct stat sb;
	int bad = 0, e = 0;

	if (!f->fp)
		return cman_error_set(err, CMAN_EIO, "%s: not open", f->path);
	if (ferror(f->fp) || fflush(f->fp) != 0) {
		bad = 1;
		e = errno;
	}
	if (!bad && fstat(f->fd, &sb) != 0) {
		bad = 1;
		e = errno;
	}
	if (fclose(f->fp) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	f->fp = NULL;
	free(f->buf);
	f->buf = NULL;
	if (!bad && rename(f->tmp, f->path) != 0) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		unlink(f->tmp);
		f->tmp[0] = '\0';
		return cman_error_set(err, CMAN_EIO, "%s: cannot write: %s", f->path,
				      strerror(e ? e : EIO));
	}
	f->tmp[0] = '\0';
	/* what was hashed is what the file holds: then it is known */
	if ((uint64_t)sb.st_size == f->bytes)
		remember(&sb, f->hash);
	return 0;
}

void cman_atomic_abort(struct cman_atomic_file *f)
{
	if (f->fp) {
		fclose(f->fp);
		f->fp = NULL;
	}
	free(f->buf);
	f->buf = NULL;
	if (f->tmp[0]) {
		unlink(f->tmp);
		f->tmp[0] = '\0';
	}
}

size_t cman_read_buffer_size(int fd, size_t max)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size >= max)
		return max;
	return (size_t)st.st_size < 4096 ? 4096 : (size_t)st.st_size + 1;
}

int cman_mkdirs(const char *path, struct cman_error *err)
{
	char buf[4096];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return cman_error_set(err, CMAN_EINVAL, "'%s': bad folder name", path);
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return cman_error_set(err, CMAN_EIO, "%s: cannot create folder: %s",
					      buf, strerror(errno));
		buf[i] = path[i];
	}
	return 0;
}

int cman_path_join(char *out, size_t n, const char *dir, const char *name)
{
	int w;

	if (name[0] == '/' || !dir || !dir[0])
		w = snprintf(out, n, "%s", name);
	else
		w = snprintf(out, n, "%s/%s", dir, name);
	return (w < 0 || (size_t)w >= n) ? CMAN_EINVAL : 0;
}
