/*
 * chunks.h - a run's per-step records in chunks of a fixed number of rows.
 *
 * A year of minutes is 525,600 rows a record; a flat array of each is tens
 * of MB of fresh pages the kernel zeroes on first touch, although a row is
 * read (by timeseries.csv's thread) a few thousand steps after it is
 * written and never again (issue 12).  A table keeps the rows in chunks of
 * 2^shift rows: a chunk is made (or taken from the table's free list) when
 * the producer, which writes rows in order, reaches its first row, and
 * given back to the free list once the consumer, which reads them in order
 * behind it, is done with all its rows.  So a run needs a few chunks that
 * stay in cache, however long it is.  Nothing bounds the chunks in use: a
 * consumer that falls behind makes the producer make more, never wait.
 *
 * Threads: one producer (cman_chunks_take) and one consumer
 * (cman_chunks_of, cman_chunks_give_back), on one thread or two.  The
 * consumer must not read a row before the producer wrote it (the caller
 * tells it, through a lock of its own, which rows are written) and gives a
 * chunk back only when the producer will write no row of it again; the
 * free list is under the table's mutex.
 */
#ifndef CMAN_SIM_CHUNKS_H
#define CMAN_SIM_CHUNKS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct cman_chunks {
	unsigned char **tab;      /* chunk k holds rows k << shift ...; NULL: not
				   * made yet, or given back */
	size_t n_rows, n_chunks;
	size_t row_size, chunk_bytes;
	unsigned shift;
	size_t given;             /* the consumer's: chunks before it are given back */
	size_t n_made;            /* the producer's: chunks allocated (not taken
				   * from the free list) */
	pthread_mutex_t mu;       /* guards free */
	void *free;               /* chunks given back, linked through their first bytes */
	bool mu_ok;               /* mu was initialized */
};

/* A table of n_rows rows of row_size bytes in chunks of 2^shift rows (a
 * chunk at least a pointer's size); no chunk is made yet.  0, CMAN_ENOMEM
 * or CMAN_EINVAL (c is then released). */
int cman_chunks_init(struct cman_chunks *c, size_t n_rows, size_t row_size, unsigned shift);

/* Free every chunk (made, or on the free list) and the table; safe on a
 * zeroed table and twice. */
void cman_chunks_release(struct cman_chunks *c);

/*
 * The producer: chunk k, the one holding row k << shift, made or taken
 * from the free list (its bytes are what they are); NULL when out of
 * memory (k stays without one).  Again for the same k: the same chunk.
 */
void *cman_chunks_take(struct cman_chunks *c, size_t k);

/* The consumer: the chunk holding row i (made, not given back). */
static inline unsigned char *cman_chunks_of(const struct cman_chunks *c, size_t i)
{
	return c->tab[i >> c->shift];
}

/* The rows of row i's chunk from row i on. */
static inline size_t cman_chunks_left(const struct cman_chunks *c, size_t i)
{
	size_t end = ((i >> c->shift) + 1) << c->shift;

	return (end < c->n_rows ? end : c->n_rows) - i;
}

/*
 * The producer reached row i of n tables kept in step (the same rows and
 * shift), past the chunks it holds: with sink (nobody reads the rows), the
 * chunks before i go back first; then the chunk holding row i of each
 * table into p[0..n), and that chunk's rows [*lo, *hi).  0, or CMAN_ENOMEM
 * (*lo and *hi untouched).
 */
int cman_chunks_enter(struct cman_chunks *const *tabs, size_t n, size_t i, bool sink,
		      void **p, size_t *lo, size_t *hi);

/*
 * The consumer: rows before done are read, and the producer writes none of
 * them again: every chunk all of whose rows are before done goes to the
 * free list (the last one once done reaches n_rows).
 */
void cman_chunks_give_back(struct cman_chunks *c, size_t done);

#endif
