#include "cman/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

int cman_atomic_open(struct cman_atomic_file *f, const char *path,
		     struct cman_error *err)
{
	int fd;

	f->fp = NULL;
	f->tmp[0] = '\0';
	if (snprintf(f->path, sizeof(f->path), "%s", path) >= (int)sizeof(f->path))
		return cman_error_set(err, CMAN_EINVAL, "%s: path too long", path);
	fd = cman_tmp_create(path, f->tmp, sizeof(f->tmp), err);
	if (fd < 0)
		return fd;
	f->fp = fdopen(fd, "w");
	if (!f->fp) {
		int e = errno;

		close(fd);
		unlink(f->tmp);
		f->tmp[0] = '\0';
		return cman_error_set(err, CMAN_EIO, "%s: cannot write: %s", path, strerror(e));
	}
	return 0;
}

int cman_atomic_commit(struct cman_atomic_file *f, struct cman_error *err)
{
	int bad = 0, e = 0;

	if (!f->fp)
		return cman_error_set(err, CMAN_EIO, "%s: not open", f->path);
	if (ferror(f->fp) || fflush(f->fp) != 0) {
		bad = 1;
		e = errno;
	}
	if (fclose(f->fp) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	f->fp = NULL;
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
	return 0;
}

void cman_atomic_abort(struct cman_atomic_file *f)
{
	if (f->fp) {
		fclose(f->fp);
		f->fp = NULL;
	}
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
