/*
 * runfiles.c - whole run directories, their lock and their manifest (see
 * runfiles.h).
 */
#include "cman/runfiles.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "cman/fsutil.h"

/* ---- hashing ------------------------------------------------------------ */

uint64_t cman_fnv1a64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int hash_fd(int fd, const char *path, uint64_t *hash, uint64_t *bytes,
		   struct cman_error *err)
{
	static unsigned char buf[1 << 16];
	uint64_t h = CMAN_FNV1A64_INIT, n = 0;

	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return cman_error_set(err, CMAN_EIO, "%s: cannot read: %s", path,
					      strerror(errno));
		if (got == 0)
			break;
		h = cman_fnv1a64(h, buf, (size_t)got);
		n += (uint64_t)got;
	}
	*hash = h;
	*bytes = n;
	return 0;
}

static int hash_at(int dirfd, const char *name, const char *path, uint64_t *hash,
		   uint64_t *bytes, struct cman_error *err)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc;
	struct stat sb;

	if (fd < 0) {
		int e = errno;

		rc = cman_error_set(err, CMAN_EIO, "%s: cannot read: %s", path, strerror(e));
		errno = e;   /* callers look at it */
		return rc;
	}
	/* a file this process has just written: its hash is known */
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && cman_atomic_known_hash(&sb, hash, bytes))
		rc = 0;
	else
		rc = hash_fd(fd, path, hash, bytes, err);
	close(fd);
	return rc;
}

int cman_fnv1a64_file(const char *path, uint64_t *hash, uint64_t *bytes,
		      struct cman_error *err)
{
	return hash_at(AT_FDCWD, path, path, hash, bytes, err);
}

/* ---- removing folders ----------------------------------------------------- */

/* Async-signal-safe: remove the plain entries of a flat folder, then it. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void remove_flat(const char *path)
{
	char buf[4096] __attribute__((aligned(8)));
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), pass;

	if (fd < 0)
		return;
	/* passes from the start until one removes nothing (removing entries
	 * while reading may make the kernel skip some) */
	for (pass = 0; pass < 64; pass++) {
		long n, removed = 0;

		lseek(fd, 0, SEEK_SET);
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
			long off = 0;

			while (off < n) {
				struct linux_dirent64 *d =
					(struct linux_dirent64 *)(void *)(buf + off);
				const char *s = d->d_name;

				off += d->d_reclen;
				if (s[0] == '.' && (!s[1] || (s[1] == '.' && !s[2])))
					continue;
				if (unlinkat(fd, s, 0) == 0)
					removed++;
			}
		}
		if (!removed)
			break;
	}
	close(fd);
	rmdir(path);
}

/* Remove dirfd's entry name and, when it is a folder, all below it, never
 * following a link. */
static int remove_tree_at(int dirfd, const char *name, int depth)
{
	struct stat sb;
	DIR *d;
	struct dirent *e;
	int fd, rc = 0;

	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlinkat(dirfd, name, 0);
	if (depth > 64)
		return -1;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (remove_tree_at(fd, e->d_name, depth + 1) != 0)
			rc = -1;
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0)
		rc = -1;
	return rc;
}

static int remove_tree(const char *path)
{
	return remove_tree_at(AT_FDCWD, path, 0);
}

/* ---- signals ---------------------------------------------------------- */

static char g_stage[4096];
static char g_lock[4096];
static volatile sig_atomic_t g_have_stage, g_have_lock;
static const int g_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define N_SIGNALS (sizeof(g_signals) / sizeof(g_signals[0]))
static struct sigaction g_old[N_SIGNALS];
static bool g_installed;

static void on_signal(int sig)
{
	if (g_have_stage)
		remove_flat(g_stage);
	if (g_have_lock)
		unlink(g_lock);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_handlers(void)
{
	struct sigaction sa;
	size_t i;

	if (g_installed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < N_SIGNALS; i++)
		sigaddset(&sa.sa_mask, g_signals[i]);
	for (i = 0; i < N_SIGNALS; i++) {
		/* a signal ignored when we started (nohup, a background job)
		 * stays ignored */
		sigaction(g_signals[i], NULL, &g_old[i]);
		if (g_old[i].sa_handler != SIG_IGN)
			sigaction(g_signals[i], &sa, NULL);
	}
	/* a write past `ulimit -f` fails with EFBIG instead of killing us
	 * half-way: the error path cleans up */
	signal(SIGXFSZ, SIG_IGN);
	g_installed = true;
}

static void restore_handlers(void)
{
	size_t i;

	if (!g_installed)
		return;
	for (i = 0; i < N_SIGNALS; i++)
		sigaction(g_signals[i], &g_old[i], NULL);
	g_installed = false;
}

static void block_signals(sigset_t *old)
{
	sigset_t s;
	size_t i;

	sigemptyset(&s);
	for (i = 0; i < N_SIGNALS; i++)
		sigaddset(&s, g_signals[i]);
	sigprocmask(SIG_BLOCK, &s, old);
}

/* ---- writing a run directory ---------------------------------------------- */

/* Split ro->dir into parent folder and base name. */
static int split(const char *dir, char *parent, size_t np, const char **base)
{
	const char *slash = strrchr(dir, '/');

	if (!slash) {
		snprintf(parent, np, ".");
		*base = dir;
	} else {
		snprintf(parent, np, "%.*s", slash == dir ? 1 : (int)(slash - dir), dir);
		*base = slash + 1;
	}
	return 0;
}

static bool known_run_file(const char *s)
{
	static const char *const names[] = {
		"summary.json", "manifest.json", "scenario.yaml", "timeseries.csv",
		"instances.csv", "markets.csv", "groups.csv", "decisions.jsonl",
		"daily.csv", "report.html", NULL,
	};
	size_t i;

	for (i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return true;
	/* a temporary of an earlier writer: ".<name>.tmp-..." */
	return s[0] == '.' && strstr(s, ".tmp-") != NULL;
}

/* 0 when dir may be replaced by a run: absent, empty, or a run. */
static int check_replaceable(const char *dir, struct cman_error *err)
{
	struct stat sb;
	DIR *d;
	struct dirent *e;
	bool is_run = false;
	char odd[256] = "";

	if (lstat(dir, &sb) != 0) {
		if (errno == ENOENT)
			return 0;
		return cman_error_set(err, CMAN_EIO, "%s: %s", dir, strerror(errno));
	}
	if (S_ISLNK(sb.st_mode))
		return cman_error_set(err, CMAN_EINVAL,
				      "%s: is a symbolic link; a run directory is replaced as a "
				      "whole and links are not followed, give the real folder",
				      dir);
	if (!S_ISDIR(sb.st_mode))
		return cman_error_set(err, CMAN_EINVAL, "%s: exists and is not a folder", dir);
	d = opendir(dir);
	if (!d)
		return cman_error_set(err, CMAN_EIO, "%s: cannot read: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!strcmp(e->d_name, "summary.json") || !strcmp(e->d_name, "manifest.json"))
			is_run = true;
		else if (!known_run_file(e->d_name) && !odd[0])
			snprintf(odd, sizeof(odd), "%s", e->d_name);
	}
	closedir(d);
	if (!is_run && odd[0])
		return cman_error_set(err, CMAN_EINVAL,
				      "%s: exists and is not a run directory (it holds '%s' and no "
				      "summary.json); a run replaces its directory as a whole, "
				      "so choose another -o or remove it", dir, odd);
	return 0;
}

/* Remove "<parent>/.<base>.run-{tmp,old}-*" left by killed writers. */
static void remove_leftovers(const char *parent, const char *base)
{
	char pfx[512];
	DIR *d;
	struct dirent *e;
	int pfd;

	snprintf(pfx, sizeof(pfx), ".%s.run-", base);
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return;
	d = fdopendir(pfd);
	if (!d) {
		close(pfd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		const char *rest;

		if (strncmp(e->d_name, pfx, strlen(pfx)))
			continue;
		rest = e->d_name + strlen(pfx);
		if (!strncmp(rest, "tmp-", 4) || !strncmp(rest, "old-", 4))
			remove_tree_at(pfd, e->d_name, 0);
	}
	closedir(d);
}

int cman_run_lock(struct cman_run_out *ro, const char *dir, struct cman_error *err)
{
	char parent[4096];
	const char *base;
	size_t n = strlen(dir);
	int rc, tries;

	memset(ro, 0, sizeof(*ro));
	ro->lock_fd = -1;
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(ro->dir) - 64)
		return cman_error_set(err, CMAN_EINVAL, "'%s': bad run directory name", dir);
	memcpy(ro->dir, dir, n);
	ro->dir[n] = '\0';
	split(ro->dir, parent, sizeof(parent), &base);
	if (!base[0] || !strcmp(base, ".") || !strcmp(base, ".."))
		return cman_error_set(err, CMAN_EINVAL,
				      "'%s': a run directory must be a folder of its own "
				      "(it is replaced as a whole), e.g. out/run1", dir);
	rc = cman_mkdirs(parent, err);
	if (rc)
		return rc;
	snprintf(ro->lock, sizeof(ro->lock), "%s/.%s.lock", parent, base);
	/* a lock file may be removed by its holder as it finishes: make sure
	 * the file locked is still the one at the name */
	for (tries = 0; tries < 100; tries++) {
		struct stat a, b;
		int fd = open(ro->lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);

		if (fd < 0)
			return cman_error_set(err, CMAN_EIO, "%s: cannot create lock file: %s",
					      ro->lock, strerror(errno));
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			char pid[32] = "";
			ssize_t got = pread(fd, pid, sizeof(pid) - 1, 0);
			int e = errno;

			close(fd);
			if (e != EWOULDBLOCK && got < 0)
				return cman_error_set(err, CMAN_EIO, "%s: cannot lock: %s",
						      ro->lock, strerror(e));
			pid[got > 0 ? got : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			return cman_error_set(err, CMAN_EINVAL,
					      "%s: another run (pid %s) is writing this run "
					      "directory (lock %s); wait for it to finish or "
					      "choose another -o", ro->dir,
					      pid[0] ? pid : "unknown", ro->lock);
		}
		if (fstat(fd, &a) == 0 && stat(ro->lock, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			char pid[32];
			int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());

			if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
				/* the pid is only for the message of a second writer */
			}
			ro->lock_fd = fd;
			break;
		}
		close(fd);
	}
	if (ro->lock_fd < 0)
		return cman_error_set(err, CMAN_EIO, "%s: cannot take the lock", ro->lock);
	memcpy(g_lock, ro->lock, sizeof(g_lock));
	g_have_lock = 1;
	install_handlers();
	rc = check_replaceable(ro->dir, err);
	if (rc)
		return rc;
	remove_leftovers(parent, base);
	return 0;
}

int cman_run_stage(struct cman_run_out *ro, bool link_existing, struct cman_error *err)
{
	char parent[4096];
	const char *base;
	sigset_t old;

	if (ro->lock_fd < 0)
		return cman_error_set(err, CMAN_EINTERNAL, "run directory not locked");
	split(ro->dir, parent, sizeof(parent), &base);
	if (snprintf(ro->stage, sizeof(ro->stage), "%s/.%s.run-tmp-XXXXXX", parent, base) >=
	    (int)sizeof(ro->stage))
		return cman_error_set(err, CMAN_EINVAL, "%s: path too long", ro->dir);
	block_signals(&old);
	if (!mkdtemp(ro->stage)) {
		int e = errno;

		ro->stage[0] = '\0';
		sigprocmask(SIG_SETMASK, &old, NULL);
		return cman_error_set(err, CMAN_EIO, "%s: cannot create a folder beside it: %s",
				      ro->dir, strerror(e));
	}
	{	/* mkdtemp makes 0700: a run directory is 0777 less the umask */
		mode_t um = umask(0);

		umask(um);
		chmod(ro->stage, 0777 & ~um);
	}
	memcpy(g_stage, ro->stage, sizeof(g_stage));
	g_have_stage = 1;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (link_existing) {
		DIR *d = opendir(ro->dir);
		struct dirent *e;
		int sfd, dfd, rc = 0;

		if (!d)
			return cman_error_set(err, CMAN_EINVAL, "%s: cannot read: %s", ro->dir,
					      strerror(errno));
		dfd = dirfd(d);
		sfd = open(ro->stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		while (!rc && sfd >= 0 && (e = readdir(d)) != NULL) {
			struct stat sb;

			if (e->d_name[0] == '.')
				continue;
			if (fstatat(dfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
			    !S_ISREG(sb.st_mode))
				continue;
			if (linkat(dfd, e->d_name, sfd, e->d_name, 0) != 0)
				rc = cman_error_set(err, CMAN_EIO, "%s/%s: cannot link: %s",
						    ro->dir, e->d_name, strerror(errno));
		}
		if (sfd < 0)
			rc = cman_error_set(err, CMAN_EIO, "%s: %s", ro->stage, strerror(errno));
		else
			close(sfd);
		closedir(d);
		return rc;
	}
	return 0;
}

int cman_run_commit(struct cman_run_out *ro, struct cman_error *err)
{
	char parent[4096], old_path[4200];
	const char *base;
	struct stat sb;
	sigset_t old;
	int rc = 0;

	if (!ro->stage[0])
		return cman_error_set(err, CMAN_EINTERNAL, "nothing staged");
	split(ro->dir, parent, sizeof(parent), &base);
	block_signals(&old);
	if (lstat(ro->dir, &sb) != 0 && errno == ENOENT) {
		if (rename(ro->stage, ro->dir) != 0)
			rc = cman_error_set(err, CMAN_EIO, "%s: cannot move the run into place: %s",
					    ro->dir, strerror(errno));
		else
			ro->stage[0] = '\0';
	} else if (renameat2(AT_FDCWD, ro->stage, AT_FDCWD, ro->dir, RENAME_EXCHANGE) == 0) {
		/* the staging name now holds the old run */
		remove_tree(ro->stage);
		ro->stage[0] = '\0';
	} else {
		/* no atomic exchange here (file system or kernel): old aside,
		 * new in, old removed; readers may find no folder for a moment,
		 * never a mixed one */
		snprintf(old_path, sizeof(old_path), "%s/.%s.run-old-%ld", parent, base,
			 (long)getpid());
		remove_tree(old_path);
		if (rename(ro->dir, old_path) != 0) {
			rc = cman_error_set(err, CMAN_EIO, "%s: cannot move the old run aside: %s",
					    ro->dir, strerror(errno));
		} else if (rename(ro->stage, ro->dir) != 0) {
			rc = cman_error_set(err, CMAN_EIO, "%s: cannot move the run into place: %s",
					    ro->dir, strerror(errno));
			rename(old_path, ro->dir);
		} else {
			ro->stage[0] = '\0';
			remove_tree(old_path);
		}
	}
	if (!ro->stage[0])
		g_have_stage = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void cman_run_release(struct cman_run_out *ro)
{
	sigset_t old;

	block_signals(&old);
	if (ro->stage[0]) {
		remove_tree(ro->stage);
		ro->stage[0] = '\0';
	}
	g_have_stage = 0;
	if (ro->lock_fd >= 0) {
		unlink(ro->lock);
		close(ro->lock_fd);
		ro->lock_fd = -1;
		g_have_lock = 0;
		restore_handlers();
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- the manifest ----------------------------------------------------- */

static bool manifest_skips(const char *name)
{
	return name[0] == '.' || !strcmp(name, "summary.json") || !strcmp(name, "manifest.json");
}

int cman_manifest_write(const char *dir, const char *run_id, struct cman_error *err)
{
	json_t *o = json_object(), *files = json_object();
	char path[4096], **names = NULL;
	struct cman_atomic_file f;
	size_t n = 0, cap = 0, i;
	DIR *d = NULL;
	struct dirent *e;
	int rc = 0;

	if (!o || !files || json_object_set_new(o, "run_id", json_string(run_id)) != 0) {
		json_decref(files);
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	if (json_object_set_new(o, "files", files) != 0) {
		rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		goto out;
	}
	d = opendir(dir);
	if (!d) {
		rc = cman_error_set(err, CMAN_EIO, "%s: cannot read: %s", dir, strerror(errno));
		goto out;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat sb;

		if (manifest_skips(e->d_name))
			continue;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*nn));

			if (!nn) {
				rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
				goto out;
			}
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	/* sorted: the same files give the same manifest */
	for (i = 1; i < n; i++) {
		char *t = names[i];
		size_t j = i;

		while (j > 0 && strcmp(names[j - 1], t) > 0) {
			names[j] = names[j - 1];
			j--;
		}
		names[j] = t;
	}
	for (i = 0; i < n && !rc; i++) {
		uint64_t h, bytes;
		char hex[17];
		json_t *fo;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rc = hash_at(dirfd(d), names[i], path, &h, &bytes, err);
		if (rc)
			break;
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)h);
		fo = json_pack("{s:I,s:s}", "bytes", (json_int_t)bytes, "fnv1a64", hex);
		if (!fo || json_object_set_new(files, names[i], fo) != 0)
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	if (rc)
		goto out;
	if (cman_path_join(path, sizeof(path), dir, "manifest.json")) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: path too long", dir);
		goto out;
	}
	rc = cman_atomic_open(&f, path, err);
	if (rc)
		goto out;
	if (json_dumpf(o, f.fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		fputc('\0', f.fp);
	fputc('\n', f.fp);
	rc = cman_atomic_commit(&f, err);
	cman_atomic_abort(&f);
out:
	if (d)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	json_decref(o);
	return rc;
}

static bool checked_ext(const char *s)
{
	static const char *const ext[] = { ".csv", ".jsonl", ".html", ".yaml", ".json", NULL };
	size_t n = strlen(s), i;

	for (i = 0; ext[i]; i++) {
		size_t k = strlen(ext[i]);

		if (n > k && !strcmp(s + n - k, ext[i]))
			return true;
	}
	return false;
}

int cman_manifest_check(int dirfd, const char *dir, char *run_id, bool *present,
			struct cman_error *err)
{
	json_t *o = NULL, *files, *v;
	json_error_t je;
	const char *name, *id;
	char path[4200];
	DIR *d = NULL;
	struct dirent *e;
	int fd, rc = 0, dfd;

	*present = false;
	run_id[0] = '\0';
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	fd = openat(dirfd, "manifest.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return cman_error_set(err, CMAN_EINVAL, "%s: cannot read: %s", path, strerror(errno));
	}
	o = json_loadfd(fd, 0, &je);
	close(fd);
	if (!o)
		return cman_error_at(err, path, je.line, je.column, "%s", je.text);
	*present = true;
	id = json_string_value(json_object_get(o, "run_id"));
	files = json_object_get(o, "files");
	if (!id || strlen(id) != CMAN_RUN_ID_LEN || strspn(id, "0123456789abcdef") != CMAN_RUN_ID_LEN ||
	    !json_is_object(files)) {
		rc = cman_error_at(err, path, 0, 0,
				   "expected run_id (16 hex digits) and files (an object)");
		goto out;
	}
	memcpy(run_id, id, CMAN_RUN_ID_LEN + 1);
	json_object_foreach(files, name, v) {
		json_t *b = json_object_get(v, "bytes");
		const char *want = json_string_value(json_object_get(v, "fnv1a64"));
		uint64_t h, bytes;
		char hex[17];

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (!json_is_integer(b) || !want || strchr(name, '/') || manifest_skips(name)) {
			rc = cman_error_set(err, CMAN_EINVAL,
					    "%s/manifest.json: bad entry for '%s'", dir, name);
			goto out;
		}
		if (hash_at(dirfd, name, path, &h, &bytes, NULL) != 0) {
			/* the reports are made from the rest and may be removed
			 * to be made again */
			if (errno == ENOENT && (!strcmp(name, "daily.csv") ||
						!strcmp(name, "report.html")))
				continue;
			rc = cman_error_set(err, CMAN_EINVAL,
					    "%s: missing or unreadable, but listed in the manifest of "
					    "run %s: the run directory is incomplete", path, id);
			goto out;
		}
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)h);
		if ((json_int_t)bytes != json_integer_value(b) || strcmp(hex, want)) {
			rc = cman_error_set(err, CMAN_EINVAL,
					    "%s: does not belong to run %s (%llu bytes, hash %s; the "
					    "manifest says %lld bytes, hash %s): the run directory "
					    "mixes files of different runs", path, id,
					    (unsigned long long)bytes, hex,
					    (long long)json_integer_value(b), want);
			goto out;
		}
	}
	dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		rc = cman_error_set(err, CMAN_EIO, "%s: cannot read: %s", dir, strerror(errno));
		goto out;
	}
	while ((e = readdir(d)) != NULL) {
		if (manifest_skips(e->d_name) || !checked_ext(e->d_name))
			continue;
		if (!json_object_get(files, e->d_name)) {
			rc = cman_error_set(err, CMAN_EINVAL,
					    "%s/%s: not part of run %s (not in its manifest.json): "
					    "the run directory mixes files of different runs",
					    dir, e->d_name, id);
			goto out;
		}
	}
out:
	if (d)
		closedir(d);
	json_decref(o);
	return rc;
}

int cman_manifest_update(const char *dir, const char *const *names, struct cman_error *err)
{
	char path[4200];
	struct cman_atomic_file f;
	json_error_t je;
	json_t *o, *files;
	size_t i;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	o = json_load_file(path, 0, &je);
	if (!o)
		return cman_error_at(err, path, je.line, je.column, "%s", je.text);
	files = json_object_get(o, "files");
	if (!json_is_object(files)) {
		rc = cman_error_at(err, path, 0, 0, "expected files (an object)");
		goto out;
	}
	for (i = 0; names[i] && !rc; i++) {
		uint64_t h, bytes;
		char hex[17], fp[4200];
		json_t *fo;

		snprintf(fp, sizeof(fp), "%s/%s", dir, names[i]);
		if (access(fp, F_OK) != 0) {
			json_object_del(files, names[i]);
			continue;
		}
		rc = cman_fnv1a64_file(fp, &h, &bytes, err);
		if (rc)
			break;
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)h);
		fo = json_pack("{s:I,s:s}", "bytes", (json_int_t)bytes, "fnv1a64", hex);
		if (!fo || json_object_set_new(files, names[i], fo) != 0)
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	if (rc)
		goto out;
	/* keep the files sorted, as cman_manifest_write() does */
	{
		json_t *sorted = json_object();
		const char **keys = NULL;
		const char *k;
		json_t *v;
		size_t n = 0, j;

		keys = calloc(json_object_size(files) + 1, sizeof(*keys));
		if (!sorted || !keys) {
			json_decref(sorted);
			free(keys);
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
			goto out;
		}
		json_object_foreach(files, k, v)
			keys[n++] = k;
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
				const char *t = keys[j];

				keys[j] = keys[j - 1];
				keys[j - 1] = t;
			}
		for (i = 0; i < n && !rc; i++)
			if (json_object_set(sorted, keys[i], json_object_get(files, keys[i])) != 0)
				rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
		free(keys);
		if (rc) {
			json_decref(sorted);
			goto out;
		}
		if (json_object_set_new(o, "files", sorted) != 0) {
			rc = cman_error_set(err, CMAN_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = cman_atomic_open(&f, path, err);
	if (rc)
		goto out;
	if (json_dumpf(o, f.fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		fputc('\0', f.fp);
	fputc('\n', f.fp);
	rc = cman_atomic_commit(&f, err);
	cman_atomic_abort(&f);
out:
	json_decref(o);
	return rc;
}
