/*
 * fuzz_util.c - memfd-backed input files for the fuzz targets.
 */
#include "fuzz_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cman/store.h"

void fuzz_file_open(struct fuzz_file *f, const uint8_t *data, size_t size)
{
	size_t off = 0;

	f->fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	if (f->fd < 0) {
		perror("memfd_create");
		abort();
	}
	while (off < size) {
		ssize_t w = write(f->fd, data + off, size - off);

		if (w <= 0) {
			perror("write");
			abort();
		}
		off += (size_t)w;
	}
	lseek(f->fd, 0, SEEK_SET);
	snprintf(f->path, sizeof(f->path), "/proc/self/fd/%d", f->fd);
}

void fuzz_file_close(struct fuzz_file *f)
{
	close(f->fd);
	f->fd = -1;
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

struct drain {
	struct cman_store *st;
	enum cman_metric_kind kind;
};

static int drain_key(void *ctx, const char *key)
{
	struct drain *d = ctx;
	struct cman_cursor *cur = NULL;
	struct cman_sample s;
	struct cman_error err = { 0 };
	int64_t last = INT64_MIN;
	int rc;

	if (cman_store_open_cursor(d->st, d->kind, key, INT64_MIN, INT64_MAX, 0, &cur, &err))
		abort();
	while ((rc = cman_cursor_next(cur, &s, &err)) == 1) {
		if (s.t < last)
			abort();   /* a cursor must yield ascending times */
		last = s.t;
		for (size_t i = 0; i < s.n_markets; i++)
			if (!s.markets[i].instance_type || !s.markets[i].az)
				abort();
	}
	cman_cursor_close(cur);
	if (rc < 0)
		abort();
	return 0;
}

void fuzz_drain_store(struct cman_store *st)
{
	struct cman_error err = { 0 };

	for (int k = 0; k < CMAN_KIND_COUNT; k++) {
		struct drain d = { st, (enum cman_metric_kind)k };

		if (cman_store_keys(st, d.kind, "", drain_key, &d, &err))
			abort();
	}
}

struct cman_store *fuzz_memory_store(void)
{
	struct cman_store *st = NULL;
	struct cman_error err = { 0 };

	if (cman_store_memory_new(&st, &err))
		abort();
	return st;
}
