/*
 * fuzz_util.h - helpers shared by the libFuzzer targets (tests/fuzz).
 *
 * The parsers under test read files by path, so an input is handed to them
 * as an anonymous memory file (memfd) named "/proc/self/fd/N": no disk
 * traffic, nothing left behind.
 */
#ifndef CMAN_FUZZ_UTIL_H
#define CMAN_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* An in-memory file holding data[0..size); path is "/proc/self/fd/N". */
struct fuzz_file {
	int fd;
	char path[64];
};

/* Create it; aborts on failure (the harness is broken, not the input). */
void fuzz_file_open(struct fuzz_file *f, const uint8_t *data, size_t size);
void fuzz_file_close(struct fuzz_file *f);

/* A NUL-terminated copy of data (caller frees); aborts when out of memory. */
char *fuzz_strndup(const uint8_t *data, size_t size);



struct cman_store;

/* Read every sample of every series of st back through cursors, checking
 * that times come out in ascending order (aborts when they do not). */
void fuzz_drain_store(struct cman_store *st);

/* A fresh in-memory store; aborts on failure. */
struct cman_store *fuzz_memory_store(void);
#endif
