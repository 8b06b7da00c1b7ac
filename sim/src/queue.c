#include "cman/sim/queue.h"

#include <assert.h>
#include <stdlib.h>

void cman_queue_init(struct cman_queue *q)
{
	q->heap = NULL;
	q->n = q->cap = 0;
	q->next_seq = 0;
	q->last_popped = INT64_MIN;
}

void cman_queue_release(struct cman_queue *q)
{
	free(q->heap);
	cman_queue_init(q);
}

int cman_queue_reserve(struct cman_queue *q, size_t n)
{
	struct cman_event *h;

	if (n <= q->cap)
		return 0;
	h = realloc(q->heap, n * sizeof(*h));
	if (!h)
		return CMAN_ENOMEM;
	q->heap = h;
	q->cap = n;
	return 0;
}

static void sift_up(struct cman_event *h, size_t i)
{
	cman_queue_rise(h, i, h[i]);
}

/* Place e at the hole i and sift it down. */
static void sift_down_from(struct cman_event *h, size_t n, size_t i, struct cman_event e)
{
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && cman_queue_less(&h[c + 1], &h[c]))
			c++;
		if (!cman_queue_less(&h[c], &e))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = e;
}

/* Place e at the root's hole and sift it down. */
static void sift_down(struct cman_event *h, size_t n, struct cman_event e)
{
	sift_down_from(h, n, 0, e);
}

int cman_queue_push(struct cman_queue *q, int64_t time, uint32_t prio,
		    uint32_t type, uint64_t arg)
{
	assert(prio < 256 && q->next_seq < (uint64_t)1 << 56);
	if (q->n == q->cap) {
		int rc = cman_queue_reserve(q, q->cap ? 2 * q->cap : 64);

		if (rc)
			return rc;
	}
	q->heap[q->n] = (struct cman_event){ time, prio, type,
					     (uint64_t)prio << 56 | q->next_seq++, arg };
	sift_up(q->heap, q->n);
	q->n++;
	return 0;
}

int cman_queue_pop(struct cman_queue *q, struct cman_event *out)
{
	if (!q->n)
		return CMAN_ENOTFOUND;
	*out = q->heap[0];
	assert(out->time >= q->last_popped);
	q->last_popped = out->time;
	q->n--;
	if (q->n)
		sift_down(q->heap, q->n, q->heap[q->n]);
	return 0;
}

void cman_queue_pop_push(struct cman_queue *q, struct cman_event *out,
			 int64_t time, uint32_t prio, uint32_t type, uint64_t arg)
{
	struct cman_event e = { time, prio, type, (uint64_t)prio << 56 | q->next_seq++, arg };

	assert(q->n > 0 && prio < 256 && q->next_seq <= (uint64_t)1 << 56);
	*out = q->heap[0];
	assert(out->time >= q->last_popped);
	q->last_popped = out->time;
	sift_down(q->heap, q->n, e);
}

/* Remove the event at heap index i (the others keep their order). */
static void remove_at(struct cman_queue *q, size_t i)
{
	struct cman_event last = q->heap[--q->n];

	if (i == q->n)
		return;
	if (i > 0 && cman_queue_less(&last, &q->heap[(i - 1) / 2])) {
		q->heap[i] = last;
		sift_up(q->heap, i);
	} else {
		sift_down_from(q->heap, q->n, i, last);
	}
}

int cman_queue_done_top_slow(struct cman_queue *q, uint64_t seq, bool push, int64_t time,
			     uint32_t prio, uint32_t type, uint64_t arg)
{
	size_t i;

	if (q->n && q->heap[0].seq == seq) {
		assert(q->heap[0].time >= q->last_popped);
		q->last_popped = q->heap[0].time;
		if (push) {
			struct cman_event e = { time, prio, type,
						(uint64_t)prio << 56 | q->next_seq++, arg };

			assert(prio < 256 && q->next_seq <= (uint64_t)1 << 56);
			cman_queue_replace_root(q->heap, q->n, e);
			return 0;
		}
		q->n--;
		if (q->n)
			sift_down(q->heap, q->n, q->heap[q->n]);
		return 0;
	}
	/* an event pushed meanwhile went before it (never in the simulator's
	 * use, where pushes are later): find it and take it out */
	for (i = 0; i < q->n && q->heap[i].seq != seq; i++)
		;
	if (i < q->n) {
		q->last_popped = q->heap[i].time;
		remove_at(q, i);
	}
	return push ? cman_queue_push(q, time, prio, type, arg) : 0;
}
