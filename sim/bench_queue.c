/*
 * cman-bench-queue: the event loop alone.  A hold model: the queue holds
 * 10,000 pending events (a large simulation's series, joins and billing
 * boundaries); each step pops the earliest and schedules a successor a
 * random 1-600 s later, as replaying a recorded series does.  Prints events
 * per second on stdout.  Used by tools/bench; not a test.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cman/sim/queue.h"
#include "cman/version.h"

int main(int argc, char **argv)
{
	const size_t pending = 10000;
	const uint64_t steps = 20000000;
	struct cman_queue q;
	struct cman_event e;
	uint64_t x = 88172645463325252ULL, sum = 0, i;
	struct timespec a, b;
	double secs;

	if (argc > 1) {
		bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");

		if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
			printf("cman-bench-queue %s\n", CMAN_VERSION);
			return 0;
		}
		fputs("usage: cman-bench-queue [--version]\n"
		      "Times the event queue alone (a hold model of 10,000 pending events)\n"
		      "and prints events per second.\n", help ? stdout : stderr);
		return help ? 0 : 2;
	}
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
