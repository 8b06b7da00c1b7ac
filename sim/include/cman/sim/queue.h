/*
 * queue.h - the simulator's event queue: an array heap of small by-value
 * events ordered by (time, priority, push order): events with equal time
 * and priority pop first-in first-out (a priority is below 256, and a queue
 * takes fewer than 2^56 pushes).  The array grows by doubling; pushing and
 * popping never allocate otherwise.
 */
#ifndef CMAN_SIM_QUEUE_H
#define CMAN_SIM_QUEUE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"

/* Priorities at equal time (SPEC §3); lower runs first. */
enum cman_event_prio {
	CMAN_PRIO_SIM = 0,        /* simulation start/end */
	CMAN_PRIO_CLUSTER = 1,    /* autoscaler run, cluster-size change */
	CMAN_PRIO_PRICE = 2,      /* price change */
	CMAN_PRIO_BILLING = 3,    /* billing-period boundary (after prices) */
};

struct cman_event {
	int64_t time;
	uint32_t prio;
	uint32_t type;            /* meaning chosen by the user of the queue */
	uint64_t seq;             /* prio << 56 | the pushes before this one: the
				   * event's name in the queue, and (time, seq)
				   * orders as (time, prio, push order) */
	uint64_t arg;             /* payload: an index, an id */
};

struct cman_queue {
	struct cman_event *heap;
	size_t n, cap;
	uint64_t next_seq;
	int64_t last_popped;      /* time never goes backwards */
};

void cman_queue_init(struct cman_queue *q);
void cman_queue_release(struct cman_queue *q);

/* Reserve room for n events (optional; push grows by doubling). */
int cman_queue_reserve(struct cman_queue *q, size_t n);

/* Push an event; CMAN_ENOMEM when the array cannot grow. */
int cman_queue_push(struct cman_queue *q, int64_t time, uint32_t prio,
		    uint32_t type, uint64_t arg);

/* Pop the smallest event into *out; returns 0, or CMAN_ENOTFOUND if empty. */
int cman_queue_pop(struct cman_queue *q, struct cman_event *out);

/*
 * Pop the smallest event into *out and push a new one in the same sift
 * (the common "handle a series sample, schedule its next" step).
 */
void cman_queue_pop_push(struct cman_queue *q, struct cman_event *out,
			 int64_t time, uint32_t prio, uint32_t type, uint64_t arg);

/*
 * Handling the smallest event in place: peek it (cman_queue_peek), handle it
 * (pushing other events meanwhile is fine), then cman_queue_done_top() with
 * its seq takes it out and, when push is true, pushes the new event (its seq
 * taken now, as cman_queue_push() would) in the same sift.  The order of
 * every later pop is exactly that of cman_queue_pop() then
 * cman_queue_push(): the heap holds the same events.  Returns 0 or
 * CMAN_ENOMEM (push only, when an event pushed meanwhile went before the
 * peeked one and the array must grow).
 */
static inline int cman_queue_done_top(struct cman_queue *q, uint64_t seq, bool push,
				      int64_t time, uint32_t prio, uint32_t type, uint64_t arg);

/* cman_queue_done_top() when the peeked event is no longer the root, or
 * nothing takes its place. */
int cman_queue_done_top_slow(struct cman_queue *q, uint64_t seq, bool push, int64_t time,
			     uint32_t prio, uint32_t type, uint64_t arg);

/* The smallest event, or NULL when empty (owned by the queue). */
static inline const struct cman_event *cman_queue_peek(const struct cman_queue *q)
{
	return q->n ? &q->heap[0] : NULL;
}

static inline size_t cman_queue_size(const struct cman_queue *q)
{
	return q->n;
}

/* (time, seq), i.e. (time, prio, push order), as two comparisons without a
 * branch.  Equal times are the rule in a replay (every series sampled on the
 * minute), where the branches of a field-by-field comparison went either
 * way.  (seq holds prio so that no comparison has to put them together.) */
static inline int cman_queue_less(const struct cman_event *a, const struct cman_event *b)
{
	return (a->time < b->time) | ((a->time == b->time) & (a->seq < b->seq));
}

/* Put e at the hole i and let it rise to its place (a sift up; inline:
 * as a call it cost 0.5% more instructions on a year's run, measured). */
static inline void cman_queue_rise(struct cman_event *h, size_t i, struct cman_event e)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!cman_queue_less(&e, &h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = e;
}

/*
 * Replace the root by e: the hole goes down to a leaf along the smaller
 * children (one comparison a level), then e rises to its place (a new
 * event is mostly later than the others: it rises little).  The events
 * pop in the same order as after a sift down: the order is total.
 */
static inline void cman_queue_replace_root(struct cman_event *h, size_t n, struct cman_event e)
{
	size_t i = 0, c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && cman_queue_less(&h[c + 1], &h[c]))
			c++;
		h[i] = h[c];
		i = c;
	}
	cman_queue_rise(h, i, e);
}

/* Inline: the simulator calls it for every sample it replays, and mostly
 * the sample is still the root and its series' next one takes its place. */
static inline int cman_queue_done_top(struct cman_queue *q, uint64_t seq, bool push,
				      int64_t time, uint32_t prio, uint32_t type, uint64_t arg)
{
	if (push && q->n && q->heap[0].seq == seq) {
		struct cman_event e = { time, prio, type, (uint64_t)prio << 56 | q->next_seq++, arg };

		assert(q->heap[0].time >= q->last_popped);
		assert(prio < 256 && q->next_seq <= (uint64_t)1 << 56);
		q->last_popped = q->heap[0].time;
		cman_queue_replace_root(q->heap, q->n, e);
		return 0;
	}
	return cman_queue_done_top_slow(q, seq, push, time, prio, type, arg);
}

#endif
