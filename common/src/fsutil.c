#include "cman/fsutil.h"
#include "cman/runfiles.h"
#include "cman/thread.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- files written whole, with their hashes ----------------------------- */

/* The last files committed by this process (a run writes about ten), under
 * a lock: a run commits its timeseries.csv on a thread of its own while
 * the other files are committed and hashed on the main one. */
#define N_KNOWN 32
static pthread_mutex_t known_mu = PTHREAD_MUTEX_INITIALIZER;
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
	bool found = false;
	size_t i;

	pthread_mutex_lock(&known_mu);
	for (i = 0; i < n_known && !found; i++) {
		const struct known *k = &known[i];

		if (k->dev == sb->st_dev && k->ino == sb->st_ino && k->size == sb->st_size &&
		    k->mtime.tv_sec == sb->st_mtim.tv_sec &&
		    k->mtime.tv_nsec == sb->st_mtim.tv_nsec) {
			*hash = k->hash;
			*bytes = (uint64_t)k->size;
			found = true;
		}
	}
	pthread_mutex_unlock(&known_mu);
	return found;
}

static void remember(const struct stat *sb, uint64_t hash)
{
	size_t i;

	pthread_mutex_lock(&known_mu);
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
	pthread_mutex_unlock(&known_mu);
}

/*
 * The bytes of an atomic file pass through N_BUF buffers of BUF_SIZE.  The
 * writer fills buf[cur]; a full one is written with write(2) and hashed.
 * While the file fits in one buffer (or without threads) both are done in
 * place.  Once it outgrows one, two threads take the buffers in the order
 * they were filled: one hashes them (n_hashed of n_shipped), the other
 * writes them (n_written), while the writer fills the next buffer: the
 * hash is serial per byte, and copying into the page cache (a system's
 * first touch of fresh pages) costs as much.  A buffer is filled again
 * once both threads are done with it; the writer waits only when all
 * N_BUF are still in use.
 */
#define BUF_SIZE (256 * 1024)
#define N_BUF 4

struct cman_atomic_sink {
	char *buf[N_BUF];
	size_t len[N_BUF];        /* bytes of each shipped buffer */
	unsigned cur;             /* the buffer being filled */
	int err;                  /* the first write error (errno), or 0 */
	uint64_t hash, bytes;     /* of the bytes hashed, written so far */
	/* the threads, once started (fields below the mutex's) */
	bool threaded, tried, stop;
	unsigned long n_shipped, n_hashed, n_written;
	pthread_t hasher, writer;
	pthread_mutex_t mu;
	pthread_cond_t work, freed;
};

static bool g_background = true;

void cman_atomic_set_background(bool on)
{
	g_background = on;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno ? errno : EIO;
		if (w == 0)
			return EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The file descriptor, for the writing thread. */
struct sink_fd {
	struct cman_atomic_sink *s;
	int fd;
};

static void *hash_thread(void *arg)
{
	struct cman_atomic_sink *s = arg;
	uint64_t h = s->hash;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		unsigned i;
		size_t n;

		while (s->n_hashed == s->n_shipped && !s->stop)
			pthread_cond_wait(&s->work, &s->mu);
		if (s->n_hashed == s->n_shipped)
			break;
		i = (unsigned)(s->n_hashed % N_BUF);
		n = s->len[i];
		pthread_mutex_unlock(&s->mu);
		h = cman_fnv1a64(h, s->buf[i], n);
		pthread_mutex_lock(&s->mu);
		s->n_hashed++;
		pthread_cond_signal(&s->freed);
	}
	s->hash = h;
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void *write_thread(void *arg)
{
	struct cman_atomic_sink *s = ((struct sink_fd *)arg)->s;
	int fd = ((struct sink_fd *)arg)->fd, e = 0;
	uint64_t bytes = s->bytes;

	free(arg);
	pthread_mutex_lock(&s->mu);
	for (;;) {
		unsigned i;
		size_t n;

		while (s->n_written == s->n_shipped && !s->stop)
			pthread_cond_wait(&s->work, &s->mu);
		if (s->n_written == s->n_shipped)
			break;
		i = (unsigned)(s->n_written % N_BUF);
		n = s->len[i];
		pthread_mutex_unlock(&s->mu);
		/* after an error the rest is not written (the file is lost) */
		if (!e) {
			e = write_all(fd, s->buf[i], n);
			if (!e)
				bytes += n;
		}
		pthread_mutex_lock(&s->mu);
		s->n_written++;
		pthread_cond_signal(&s->freed);
	}
	s->bytes = bytes;
	if (e && !s->err)
		s->err = e;
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Stop the threads once they are done with everything shipped. */
static void stop_threads(struct cman_atomic_sink *s)
{
	if (!s->threaded)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->hasher, NULL);
	pthread_join(s->writer, NULL);
	pthread_cond_destroy(&s->freed);
	pthread_cond_destroy(&s->work);
	pthread_mutex_destroy(&s->mu);
	s->threaded = false;
}

/* Start the threads with the other buffers; false (all in place) when
 * there is no memory, no second CPU or no thread for it. */
static bool start_threads(struct cman_atomic_sink *s, int fd)
{
	struct sink_fd *sf;
	unsigned i;
	int started = 0;

	s->tried = true;
	if (cman_one_cpu())
		return false;
	for (i = 1; i < N_BUF; i++)
		if (!s->buf[i] && !(s->buf[i] = malloc(BUF_SIZE)))
			return false;
	if (!(sf = malloc(sizeof(*sf))))
		return false;
	sf->s = s;
	sf->fd = fd;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(sf);
		return false;
	}
	if (pthread_cond_init(&s->work, NULL) != 0) {
		pthread_mutex_destroy(&s->mu);
		free(sf);
		return false;
	}
	if (pthread_cond_init(&s->freed, NULL) != 0) {
		pthread_cond_destroy(&s->work);
		pthread_mutex_destroy(&s->mu);
		free(sf);
		return false;
	}
	/* signals are for the writer (runfiles.c's handlers): cman/thread.h */
	if (cman_thread_start(&s->hasher, 256 * 1024, hash_thread, s) == 0) {
		started = 1;
		if (cman_thread_start(&s->writer, 256 * 1024, write_thread, sf) == 0)
			started = 2;
	}
	if (started == 2) {
		s->threaded = true;
		return true;
	}
	free(sf);
	if (started == 1) {
		/* nothing was shipped: the hasher stops at once */
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_broadcast(&s->work);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->hasher, NULL);
		s->stop = false;
	}
	pthread_cond_destroy(&s->freed);
	pthread_cond_destroy(&s->work);
	pthread_mutex_destroy(&s->mu);
	return false;
}

/*
 * Write out and hash the bytes of the current buffer (last: the end of the
 * file); then the room is a buffer free to fill.  After an error nothing
 * more is written or hashed.
 */
static void ship(struct cman_atomic_file *f, bool last)
{
	struct cman_atomic_sink *s = f->sink;
	unsigned i = s->cur;
	size_t n = (size_t)(f->wp - s->buf[i]);

	if (n > 0 && !s->tried && !last && g_background && !s->err)
		start_threads(s, f->fd);
	if (n == 0) {
		/* nothing to do: the same buffer is filled again */
	} else if (!s->threaded) {
		if (!s->err) {
			s->err = write_all(f->fd, s->buf[i], n);
			if (!s->err) {
				s->bytes += n;
				s->hash = cman_fnv1a64(s->hash, s->buf[i], n);
			}
		}
	} else {
		pthread_mutex_lock(&s->mu);
		s->len[i] = n;
		s->n_shipped++;
		pthread_cond_broadcast(&s->work);
		/* the next buffer, once both threads are done with it */
		i = (i + 1) % N_BUF;
		while (s->n_shipped - s->n_hashed >= N_BUF || s->n_shipped - s->n_written >= N_BUF)
			pthread_cond_wait(&s->freed, &s->mu);
		pthread_mutex_unlock(&s->mu);
		s->cur = i;
	}
	f->wp = s->buf[s->cur];
	f->wend = f->wp + BUF_SIZE;
}

char *cman_atomic_room_slow(struct cman_atomic_file *f, size_t n)
{
	(void)n;   /* at most CMAN_ATOMIC_ROOM_MAX, less than a buffer */
	ship(f, false);
	return f->wp;
}

void cman_atomic_write(struct cman_atomic_file *f, const void *p, size_t n)
{
	const char *b = p;

	while (n > 0) {
		size_t room = (size_t)(f->wend - f->wp), k = n < room ? n : room;

		if (room == 0) {
			ship(f, false);
			continue;
		}
		memcpy(f->wp, b, k);
		f->wp += k;
		b += k;
		n -= k;
	}
}

/* stdio's writes of an atomic file go to its buffers. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
	struct cman_atomic_file *f = cookie;

	/* a write error is the commit's to report */
	cman_atomic_write(f, buf, n);
	return (ssize_t)n;
}

static int atomic_open(struct cman_atomic_file *f, const char *path, bool with_stdio,
		       struct cman_error *err)
{
	int fd, e;

	f->fp = NULL;
	f->sink = NULL;
	f->wp = f->wend = NULL;
	f->fd = -1;
	f->tmp[0] = '\0';
	f->hash = CMAN_FNV1A64_INIT;
	f->bytes = 0;
	if (snprintf(f->path, sizeof(f->path), "%s", path) >= (int)sizeof(f->path))
		return cman_error_set(err, CMAN_EINVAL, "%s: path too long", path);
	f->sink = calloc(1, sizeof(*f->sink));
	if (!f->sink || !(f->sink->buf[0] = malloc(BUF_SIZE))) {
		free(f->sink);
		f->sink = NULL;
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
	}
	f->sink->hash = CMAN_FNV1A64_INIT;
	f->wp = f->sink->buf[0];
	f->wend = f->wp + BUF_SIZE;
	fd = cman_tmp_create(path, f->tmp, sizeof(f->tmp), err);
	if (fd < 0) {
		cman_atomic_abort(f);
		return fd;
	}
	f->fd = fd;
	if (!with_stdio)
		return 0;
	/* stdio's own (small) buffer in front of ours */
	f->fp = fopencookie(f, "w", (cookie_io_functions_t){ .write = cookie_write });
	if (!f->fp) {
		e = errno;
		cman_atomic_abort(f);
		return cman_error_set(err, CMAN_EIO, "%s: cannot write: %s", path, strerror(e));
	}
	return 0;
}

int cman_atomic_open(struct cman_atomic_file *f, const char *path,
		     struct cman_error *err)
{
	return atomic_open(f, path, true, err);
}

int cman_atomic_open_raw(struct cman_atomic_file *f, const char *path,
			 struct cman_error *err)
{
	return atomic_open(f, path, false, err);
}


/* Free the buffers (the thread stopped first). */
static void sink_free(struct cman_atomic_file *f)
{
	struct cman_atomic_sink *s = f->sink;
	unsigned i;

	if (!s)
		return;
	stop_threads(s);
	for (i = 0; i < N_BUF; i++)
		free(s->buf[i]);
	free(s);
	f->sink = NULL;
	f->wp = f->wend = NULL;
}

int cman_atomic_commit(struct cman_atomic_file *f, struct cman_error *err)
{
	struct cman_atomic_sink *s = f->sink;
	struct stat sb;
	int e = 0;

	if (!s || f->fd < 0)
		return cman_error_set(err, CMAN_EIO, "%s: not open", f->path);
	if (f->fp) {
		if (fflush(f->fp) != 0 || ferror(f->fp))
			e = s->err ? s->err : errno ? errno : EIO;
		fclose(f->fp);   /* the cookie has no close of its own */
		f->fp = NULL;
	}
	ship(f, true);
	stop_threads(s);
	if (!e)
		e = s->err;
	f->hash = s->hash;
	f->bytes = s->bytes;
	if (!e && fstat(f->fd, &sb) != 0)
		e = errno;
	if (close(f->fd) != 0 && !e)
		e = errno;
	f->fd = -1;
	sink_free(f);
	if (!e && rename(f->tmp, f->path) != 0)
		e = errno;
	if (e) {
		unlink(f->tmp);
		f->tmp[0] = '\0';
		return cman_error_set(err, CMAN_EIO, "%s: cannot write: %s", f->path,
				      strerror(e));
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
	sink_free(f);
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
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
