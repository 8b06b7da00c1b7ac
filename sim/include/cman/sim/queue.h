/*
 * queue.h - the simulator's event queue: an array heap of small by-value
 * events ordered by (time, priority, seq).  seq is a counter taken at push,
 * so events with equal time and priority pop first-in first-out (a priority
 * is below 256, and a queue takes fewer than 2^56 pushes).  The array
 * grows by doubling; pushing and popping never allocate otherwise.
 */
#ifndef CMAN_SIM_QUEUE_H
#define CMAN_SIM_QUEUE_H

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
	uint64_t seq;
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
int cman_queue_done_top(struct cman_queue *q, uint64_t seq, bool push, int64_t time,
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

#endif
