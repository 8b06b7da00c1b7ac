/*
 * Unit tests of the per-step records' chunk tables (cman/sim/chunks.h,
 * issue 12): which chunks a consumer's progress gives back (table-driven),
 * that the producer takes given-back chunks before it makes new ones, that
 * release frees chunks in use and on the free list alike (ASan/valgrind
 * see a leak), a producer and a consumer on two threads (every row read
 * is the one written), and a ledger's numbers in chunks (the same bits as
 * in flat arrays, with a few chunks made however long the run).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cman/err.h"
#include "cman/sim/chunks.h"
#include "cman/sim/ledger.h"

/* give_back(done) on a table of n rows in chunks of 2^shift: how many
 * chunks are given back (all taken first). */
static void test_give_back_bounds(void **state)
{
	static const struct {
		size_t n;
		unsigned shift;
		size_t done, given;
	} cases[] = {
		{ 100, 4, 0, 0 },     /* nothing read */
		{ 100, 4, 15, 0 },    /* the first chunk's last row unread */
		{ 100, 4, 16, 1 },
		{ 100, 4, 17, 1 },
		{ 100, 4, 96, 6 },    /* the last chunk (4 rows) unread */
		{ 100, 4, 99, 6 },
		{ 100, 4, 100, 7 },   /* all read: the short last chunk too */
		{ 96, 4, 96, 6 },
		{ 1, 12, 1, 1 },
		{ 4096, 12, 4095, 0 },
		{ 4097, 12, 4096, 1 },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_chunks c;

		assert_int_equal(cman_chunks_init(&c, cases[i].n, 8, cases[i].shift), 0);
		for (k = 0; k < c.n_chunks; k++)
			assert_non_null(cman_chunks_take(&c, k));
		cman_chunks_give_back(&c, cases[i].done);
		for (k = 0; k < c.n_chunks; k++)
			if ((k < cases[i].given) != (cman_chunks_of(&c, k << c.shift) == NULL))
				fail_msg("case %zu: chunk %zu", i, k);
		assert_int_equal(c.given, cases[i].given);
		/* less progress than before gives nothing back again */
		cman_chunks_give_back(&c, 0);
		assert_int_equal(c.given, cases[i].given);
		cman_chunks_release(&c);
	}
}

static void test_left(void **state)
{
	struct cman_chunks c;

	(void)state;
	assert_int_equal(cman_chunks_init(&c, 100, 48, 4), 0);
	assert_int_equal(c.n_chunks, 7);
	assert_int_equal(cman_chunks_left(&c, 0), 16);
	assert_int_equal(cman_chunks_left(&c, 5), 11);
	assert_int_equal(cman_chunks_left(&c, 16), 16);
	assert_int_equal(cman_chunks_left(&c, 96), 4);
	assert_int_equal(cman_chunks_left(&c, 99), 1);
	cman_chunks_release(&c);
	/* a chunk must hold the free list's link */
	assert_int_equal(cman_chunks_init(&c, 100, 1, 2), CMAN_EINVAL);
	assert_int_equal(cman_chunks_init(&c, 100, 1, 3), 0);
	cman_chunks_release(&c);
	cman_chunks_release(&c);   /* twice: nothing */
}

/* Given back, a chunk is taken again before any new one is made. */
static void test_reuse(void **state)
{
	struct cman_chunks c;
	void *a, *b;
	size_t k;

	(void)state;
	assert_int_equal(cman_chunks_init(&c, 1000, 8, 4), 0);
	a = cman_chunks_take(&c, 0);
	b = cman_chunks_take(&c, 1);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_equal(cman_chunks_take(&c, 1), b);   /* the same k: the same chunk */
	assert_int_equal(c.n_made, 2);
	cman_chunks_give_back(&c, 16);
	assert_ptr_equal(cman_chunks_take(&c, 2), a);
	cman_chunks_give_back(&c, 48);
	assert_ptr_equal(cman_chunks_take(&c, 3), a);   /* last in, first out */
	assert_ptr_equal(cman_chunks_take(&c, 4), b);
	assert_int_equal(c.n_made, 2);
	for (k = 5; k < 10; k++)
		assert_non_null(cman_chunks_take(&c, k));
	assert_int_equal(c.n_made, 7);
	cman_chunks_give_back(&c, 100);   /* some on the free list, some in use */
	cman_chunks_release(&c);
}

/* ---- a producer and a consumer on two threads -------------------------- */

struct pc {
	struct cman_chunks c;
	pthread_mutex_t mu;
	pthread_cond_t more;
	size_t written;      /* rows the producer wrote (under mu) */
	size_t n, bad;
};

struct row {
	uint64_t i, check;
};

static void *consumer(void *arg)
{
	struct pc *pc = arg;
	size_t done = 0;

	while (done < pc->n) {
		size_t to, i;

		pthread_mutex_lock(&pc->mu);
		while (pc->written == done)
			pthread_cond_wait(&pc->more, &pc->mu);
		to = pc->written;
		pthread_mutex_unlock(&pc->mu);
		for (i = done; i < to; i++) {
			const struct row *r = (const struct row *)(const void *)
				cman_chunks_of(&pc->c, i) + (i & ((1u << pc->c.shift) - 1));

			if (r->i != i || r->check != ~(uint64_t)i)
				pc->bad++;
		}
		done = to;
		cman_chunks_give_back(&pc->c, done);
	}
	return NULL;
}

static void test_two_threads(void **state)
{
	struct pc pc = { .n = 200000 };
	pthread_t th;
	struct row *at = NULL;
	size_t i, lo = 0, hi = 0;

	(void)state;
	assert_int_equal(cman_chunks_init(&pc.c, pc.n, sizeof(struct row), 6), 0);
	assert_int_equal(pthread_mutex_init(&pc.mu, NULL), 0);
	assert_int_equal(pthread_cond_init(&pc.more, NULL), 0);
	assert_int_equal(pthread_create(&th, NULL, consumer, &pc), 0);
	for (i = 0; i < pc.n; i++) {
		if (i >= hi) {   /* as sim.c's advance(): the next chunk */
			at = cman_chunks_take(&pc.c, i >> pc.c.shift);
			assert_non_null(at);
			lo = i;
			hi = i + cman_chunks_left(&pc.c, i);
		}
		at[i - lo].i = i;
		at[i - lo].check = ~(uint64_t)i;
		if ((i + 1) % 100 == 0 || i + 1 == pc.n) {
			pthread_mutex_lock(&pc.mu);
			pc.written = i + 1;
			pthread_cond_signal(&pc.more);
			pthread_mutex_unlock(&pc.mu);
		}
	}
	pthread_join(th, NULL);
	assert_int_equal(pc.bad, 0);
	assert_int_equal(pc.c.given, pc.c.n_chunks);
	pthread_cond_destroy(&pc.more);
	pthread_mutex_destroy(&pc.mu);
	cman_chunks_release(&pc.c);
}

/* ---- the ledger's numbers in chunks (ledger.h cman_ledger_chunked) ----- */

/* xorshift64: the same pseudo-random stream every run */
static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/*
 * A ledger with its numbers in chunks of 8 steps, read and given back as
 * its steps close (as timeseries.csv's thread does), and one with no
 * reader (sink), against one with flat arrays: the same random deltas
 * (some late, up to the horizon) and share changes give the same numbers
 * to the bit, and the same totals.
 */
static void test_ledger_chunked(void **state)
{
	const int64_t start = 1000, end = start + 60 * 997, step = 60, horizon = 600;
	struct cman_ledger flat, ch, sink;
	uint64_t x = 88172645463325252ull;
	size_t read = 0, i;
	int64_t t;
	int rep;

	(void)state;
	assert_int_equal(cman_ledger_init(&flat, start, end, step), 0);
	assert_int_equal(cman_ledger_init(&ch, start, end, step), 0);
	assert_int_equal(cman_ledger_init(&sink, start, end, step), 0);
	cman_ledger_set_horizon(&flat, horizon);
	cman_ledger_set_horizon(&ch, horizon);
	cman_ledger_set_horizon(&sink, horizon);
	assert_int_equal(cman_ledger_chunked(&ch, 3, false), 0);
	assert_int_equal(cman_ledger_chunked(&sink, 3, true), 0);
	assert_null(ch.cost);
	assert_int_equal(cman_ledger_chunked(&ch, 3, false), CMAN_EINTERNAL);   /* once */
	for (t = start; t < end; t += 1 + (int64_t)(next_rand(&x) % 90)) {
		double share = (double)(next_rand(&x) % 5) / 4;

		for (rep = 0; rep < 3; rep++) {
			int64_t back = (int64_t)(next_rand(&x) % (uint64_t)horizon);
			double d = (double)(next_rand(&x) % 2001) / 1000 - 1;

			cman_ledger_delta(&flat, t - back, d);
			cman_ledger_delta(&ch, t - back, d);
			cman_ledger_delta(&sink, t - back, d);
		}
		assert_int_equal(cman_ledger_set_share(&flat, t, share), 0);
		assert_int_equal(cman_ledger_set_share(&ch, t, share), 0);
		assert_int_equal(cman_ledger_set_share(&sink, t, share), 0);
		/* the closed steps, read as a reader would, then given back */
		assert_int_equal(ch.fin, flat.fin);
		for (; read < ch.fin; read++) {
			size_t j = read & 7;
			const double *c = (const double *)(const void *)cman_chunks_of(&ch.out[0], read);
			const double *u = (const double *)(const void *)cman_chunks_of(&ch.out[1], read);
			const double *r = (const double *)(const void *)cman_chunks_of(&ch.out[2], read);

			assert_memory_equal(&c[j], &flat.cost[read], sizeof(double));
			assert_memory_equal(&u[j], &flat.unused_cost[read], sizeof(double));
			assert_memory_equal(&r[j], &flat.rate[read], sizeof(double));
		}
		for (i = 0; i < 3; i++)
			cman_chunks_give_back(&ch.out[i], read);
	}
	assert_int_equal(cman_ledger_finish(&flat), 0);
	assert_int_equal(cman_ledger_finish(&ch), 0);
	assert_int_equal(cman_ledger_finish(&sink), 0);
	for (; read < ch.n_steps; read++) {
		const double *c = (const double *)(const void *)cman_chunks_of(&ch.out[0], read);

		assert_memory_equal(&c[read & 7], &flat.cost[read], sizeof(double));
	}
	assert_true(read > 900);
	assert_memory_equal(&ch.total_cost, &flat.total_cost, sizeof(double));
	assert_memory_equal(&ch.total_unused_cost, &flat.total_unused_cost, sizeof(double));
	assert_memory_equal(&sink.total_cost, &flat.total_cost, sizeof(double));
	assert_memory_equal(&sink.total_unused_cost, &flat.total_unused_cost, sizeof(double));
	/* chunks reused: steps close about a horizon (10 steps) behind, so a
	 * few chunks of 8 are in use at once, not the 125 of the run */
	assert_true(ch.out[0].n_made < 10);
	assert_true(sink.out[0].n_made <= 2);
	cman_ledger_release(&flat);
	cman_ledger_release(&ch);
	cman_ledger_release(&sink);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_give_back_bounds),
		cmocka_unit_test(test_left),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_two_threads),
		cmocka_unit_test(test_ledger_chunked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
