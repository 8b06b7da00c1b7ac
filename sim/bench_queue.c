/*
 * cman-bench-queue: the event loop alone.  A hold model: the queue holds
 * 10,000 pending events (a large simulation's series, joins and billing
 * boundaries); each step pops the earliest and schedules a successor a
 * random 1-600 s later, as replaying a recorded series does.  Prints events
 * per second on stdout.  Used by tools/bench; not a test.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cman/sim/queue.h"

int main(void)
{
	const size_t pending = 10000;
	const uint64_t steps = 20000000;
	struct cman_queue q;
	struct cman_event e;
	uint64_t x = 88172645463325252ULL, sum = 0, i;
	struct timespec a, b;
	double secs;

	cman_queue_init(&q);
	for (i = 0; i < pending; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		cman_queue_push(&q, (int64_t)(x % 600), (uint32_t)(x % 3), 0, i);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < steps; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		cman_queue_pop_push(&q, &e, q.heap[0].time + 1 + (int64_t)(x % 600),
				    (uint32_t)(x % 3), 0, i);
		sum += e.arg;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%.0f events/s (checksum %llu)\n", (double)steps / secs,
	       (unsigned long long)sum);
	cman_queue_release(&q);
	return 0;
}
