/* Unit tests: the event queue (sim/src/queue.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cman/sim/queue.h"

static void test_order_table(void **state)
{
	/* (time, prio) pushed in this order; expected pop order by index */
	static const struct { int64_t t; uint32_t p; } in[] = {
		{ 10, 2 }, { 10, 1 }, { 5, 3 }, { 10, 1 }, { 0, 0 }, { 10, 0 }, { 5, 3 },
	};
	static const int expect[] = { 4, 2, 6, 5, 1, 3, 0 };
	struct cman_queue q;
	struct cman_event e;
	size_t i;

	(void)state;
	cman_queue_init(&q);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(cman_queue_push(&q, in[i].t, in[i].p, 0, i), 0);
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		assert_int_equal(cman_queue_pop(&q, &e), 0);
		assert_int_equal(e.arg, expect[i]);
	}
	assert_int_equal(cman_queue_pop(&q, &e), CMAN_ENOTFOUND);
	assert_null(cman_queue_peek(&q));
	cman_queue_release(&q);
}

static int cmp_key(const void *a, const void *b)
{
	const struct cman_event *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Property: random pushes, pops and pop_pushes come out in key order and
 * every equal key first-in first-out, against a sorted reference. */
static void test_random_against_sort(void **state)
{
	struct cman_queue q;
	unsigned seed = 12345;
	int round;

	(void)state;
	for (round = 0; round < 50; round++) {
		size_t n = 1 + (size_t)(rand_r(&seed) % 2000), i, popped = 0;
		struct cman_event *ref = malloc(2 * n * sizeof(*ref));
		struct cman_event *out = malloc(2 * n * sizeof(*out));
		struct cman_event e, last = { INT64_MIN, 0, 0, 0, 0 };
		size_t nref = 0;

		cman_queue_init(&q);
		for (i = 0; i < n; i++) {
			int64_t t = rand_r(&seed) % 50;
			uint32_t p = (uint32_t)(rand_r(&seed) % 3);

			ref[nref] = (struct cman_event){ t, p, 0, q.next_seq, i };
			nref++;
			assert_int_equal(cman_queue_push(&q, t, p, 0, i), 0);
		}
		/* a few pop_push with later times keep the heap valid */
		for (i = 0; i < n / 4; i++) {
			int64_t t = 100 + rand_r(&seed) % 50;

			ref[nref] = (struct cman_event){ t, 1, 0, q.next_seq, n + i };
			nref++;
			cman_queue_pop_push(&q, &e, t, 1, 0, n + i);
			if (popped)
				assert_true(cmp_key(&last, &e) < 0);
			last = e;
			out[popped++] = e;
		}
		while (cman_queue_pop(&q, &e) == 0) {
			if (popped)
				assert_true(cmp_key(&last, &e) < 0);
			last = e;
			out[popped++] = e;
		}
		assert_int_equal(popped, nref);
		qsort(ref, nref, sizeof(*ref), cmp_key);
		for (i = 0; i < nref; i++) {
			assert_int_equal(out[i].arg, ref[i].arg);
			assert_int_equal(out[i].time, ref[i].time);
		}
		free(ref);
		free(out);
		cman_queue_release(&q);
	}
}

static void test_growth_keeps_events(void **state)
{
	struct cman_queue q;
	struct cman_event e;
	int64_t i;

	(void)state;
	cman_queue_init(&q);
	for (i = 100000; i > 0; i--)
		assert_int_equal(cman_queue_push(&q, i, 0, 0, (uint64_t)i), 0);
	assert_int_equal(cman_queue_size(&q), 100000);
	for (i = 1; i <= 100000; i++) {
		assert_int_equal(cman_queue_pop(&q, &e), 0);
		assert_int_equal(e.time, i);
	}
	cman_queue_release(&q);
}

/*
 * Property: handling the top in place (peek, pushes meanwhile, then
 * cman_queue_done_top with or without a next event) pops exactly the same
 * sequence as pop then push on a twin queue, also when an event pushed
 * meanwhile goes before the peeked one (its removal from inside the heap).
 */
static void test_done_top_matches_pop_push(void **state)
{
	unsigned seed = 777;
	int round;

	(void)state;
	for (round = 0; round < 40; round++) {
		struct cman_queue a, b;   /* a: done_top, b: pop + push */
		struct cman_event ea, eb;
		size_t n = 1 + (size_t)(rand_r(&seed) % 300), i, steps = 0;
		uint64_t arg = 0;

		cman_queue_init(&a);
		cman_queue_init(&b);
		for (i = 0; i < n; i++) {
			int64_t t = rand_r(&seed) % 40;
			uint32_t p = (uint32_t)(rand_r(&seed) % 3);

			assert_int_equal(cman_queue_push(&a, t, p, 1, arg), 0);
			assert_int_equal(cman_queue_push(&b, t, p, 1, arg), 0);
			arg++;
		}
		while (cman_queue_peek(&a)) {
			const struct cman_event *top = cman_queue_peek(&a);
			int k, extra = steps < 4 * n ? rand_r(&seed) % 3 : 0;
			bool next = rand_r(&seed) % 4 != 0 && steps < 4 * n;
			int64_t nt;

			ea = *top;
			assert_int_equal(cman_queue_pop(&b, &eb), 0);
			assert_int_equal(ea.time, eb.time);
			assert_int_equal(ea.prio, eb.prio);
			assert_int_equal(ea.seq, eb.seq);
			assert_int_equal(ea.arg, eb.arg);
			/* events pushed while it is handled: later, at the same
			 * time, or (rarely) before it: same time, a lower prio */
			for (k = 0; k < extra; k++) {
				int64_t t = ea.time + rand_r(&seed) % 5;
				uint32_t p = (uint32_t)(rand_r(&seed) % 3);

				if (rand_r(&seed) % 8 == 0 && ea.prio > 0) {
					t = ea.time;
					p = ea.prio - 1;
				}
				assert_int_equal(cman_queue_push(&a, t, p, 2, arg), 0);
				assert_int_equal(cman_queue_push(&b, t, p, 2, arg), 0);
				arg++;
			}
			nt = ea.time + rand_r(&seed) % 7;
			assert_int_equal(cman_queue_done_top(&a, ea.seq, next, nt, 1, 1, arg), 0);
			if (next)
				assert_int_equal(cman_queue_push(&b, nt, 1, 1, arg), 0);
			arg++;
			steps++;
			assert_int_equal(cman_queue_size(&a), cman_queue_size(&b));
		}
		assert_int_equal(cman_queue_pop(&b, &eb), CMAN_ENOTFOUND);
		cman_queue_release(&a);
		cman_queue_release(&b);
	}
}

#define PUSHES (((uint64_t)1 << 56) - 1)

/* An event's seq as queue.h states it: the priority above the push count. */
static uint64_t seq_of(uint32_t prio, uint64_t pushes)
{
	return (uint64_t)prio << 56 | pushes;
}

/*
 * Property, in a replay's shape: a handful of series (the heap holds only
 * them and a few joins), sampled on the same minutes, each sample handled
 * in place and its next one pushed by cman_queue_done_top.  Every top is
 * the smallest (time, prio, seq) of a brute-force list, with priorities
 * across their whole range (0..255: they share a word with seq).
 */
static void test_small_heap_against_linear_min(void **state)
{
	unsigned seed = 2024;
	int round;

	(void)state;
	for (round = 0; round < 200; round++) {
		struct cman_event ref[64];
		size_t nref = 0, i, best, feeds = 1 + (size_t)(rand_r(&seed) % 8), steps;
		int64_t period[8];
		uint32_t prio[8];
		struct cman_queue q;
		uint64_t arg = 100;

		cman_queue_init(&q);
		for (i = 0; i < feeds; i++) {
			period[i] = 60 * (1 + rand_r(&seed) % 5);
			prio[i] = round % 2 ? (uint32_t)(rand_r(&seed) % 256) : (uint32_t)(1 + i % 2);
			ref[nref++] = (struct cman_event){ 0, prio[i], 0, seq_of(prio[i], q.next_seq), i };
			assert_int_equal(cman_queue_push(&q, 0, prio[i], 0, i), 0);
		}
		for (steps = 0; steps < 3000 && nref; steps++) {
			const struct cman_event *top = cman_queue_peek(&q);
			struct cman_event e;

			for (best = 0, i = 1; i < nref; i++)
				if (ref[i].time < ref[best].time ||
				    (ref[i].time == ref[best].time &&
				     (ref[i].prio < ref[best].prio ||
				      (ref[i].prio == ref[best].prio &&
				       (ref[i].seq & PUSHES) < (ref[best].seq & PUSHES)))))
					best = i;
			assert_non_null(top);
			assert_int_equal(top->seq, ref[best].seq);
			assert_int_equal(top->arg, ref[best].arg);
			e = *top;
			ref[best] = ref[--nref];
			/* now and then a join a little later, at the same prio */
			if (rand_r(&seed) % 16 == 0 && nref < 60) {
				int64_t t = e.time + rand_r(&seed) % 200;

				ref[nref++] = (struct cman_event){ t, prio[0], 0, seq_of(prio[0], q.next_seq),
								    arg };
				assert_int_equal(cman_queue_push(&q, t, prio[0], 0, arg), 0);
				arg++;
			}
			if (e.arg < feeds) {
				int64_t t = e.time + period[e.arg];

				ref[nref++] = (struct cman_event){ t, prio[e.arg], 0,
								    seq_of(prio[e.arg], q.next_seq), e.arg };
				assert_int_equal(cman_queue_done_top(&q, e.seq, true, t, prio[e.arg], 0,
								     e.arg), 0);
			} else {
				assert_int_equal(cman_queue_done_top(&q, e.seq, false, 0, 0, 0, 0), 0);
			}
			assert_int_equal(cman_queue_size(&q), nref);
		}
		cman_queue_release(&q);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_table),
		cmocka_unit_test(test_random_against_sort),
		cmocka_unit_test(test_growth_keeps_events),
		cmocka_unit_test(test_done_top_matches_pop_push),
		cmocka_unit_test(test_small_heap_against_linear_min),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
