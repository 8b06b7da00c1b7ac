/*
 * test_thread.c - helper threads start with every signal blocked
 * (thread.h): a process-directed signal is handled on the thread that
 * writes the run's files, and the caller's mask is left as it was; and
 * cman_one_cpu() reads the process's CPU affinity.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman/thread.h"

struct probe {
	sigset_t mask;        /* the new thread's mask */
	size_t stack;         /* its stack size */
	volatile int stop;    /* the waiting thread returns */
};

static void *probe_main(void *arg)
{
	struct probe *p = arg;
	pthread_attr_t attr;

	pthread_sigmask(SIG_BLOCK, NULL, &p->mask);
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstacksize(&attr, &p->stack);
		pthread_attr_destroy(&attr);
	}
	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void test_mask_and_stack(void **state)
{
	struct probe p;
	pthread_t th;
	sigset_t before, after, one;
	int s;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.stop = 1;
	/* the caller blocks SIGUSR2 only */
	sigemptyset(&one);
	sigaddset(&one, SIGUSR2);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &one, &before), 0);
	assert_int_equal(cman_thread_start(&th, 256 * 1024, probe_main, &p), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	for (s = 1; s < 32; s++) {   /* the standard signals (glibc keeps 32, 33) */
		if (s == SIGKILL || s == SIGSTOP)
			continue;   /* cannot be blocked */
		assert_true(sigismember(&p.mask, s));
		assert_int_equal(sigismember(&after, s), s == SIGUSR2);
	}
	assert_int_equal(p.stack, 256 * 1024);
	/* 0: the default stack */
	memset(&p, 0, sizeof(p));
	p.stop = 1;
	assert_int_equal(cman_thread_start(&th, 0, probe_main, &p), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(sigismember(&p.mask, SIGINT) && sigismember(&p.mask, SIGTERM) &&
		    sigismember(&p.mask, SIGHUP));
	assert_true(p.stack > 256 * 1024);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
}

static void test_refused_leaves_mask(void **state)
{
	struct probe p;
	pthread_t th;
	sigset_t before, after;

	(void)state;
	memset(&p, 0, sizeof(p));
	pthread_sigmask(SIG_BLOCK, NULL, &before);
	/* a stack below PTHREAD_STACK_MIN: refused, no thread */
	assert_int_equal(cman_thread_start(&th, 1, probe_main, &p), EINVAL);
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	assert_int_equal(sigismember(&after, SIGINT), sigismember(&before, SIGINT));
	assert_int_equal(sigismember(&after, SIGUSR1), sigismember(&before, SIGUSR1));
}

static pthread_t g_handled_on;
static volatile sig_atomic_t g_handled;

static void on_usr1(int sig)
{
	(void)sig;
	g_handled_on = pthread_self();
	g_handled = 1;
}

/* A signal sent to the process while helpers run is handled on the
 * caller's thread, never on a helper (none can take it). */
static void test_process_signal_goes_to_caller(void **state)
{
	struct sigaction sa, old;
	struct probe p;
	sigset_t usr1;
	pthread_t th[3];
	int i, round;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	memset(&p, 0, sizeof(p));
	for (i = 0; i < 3; i++)
		assert_int_equal(cman_thread_start(&th[i], 0, probe_main, &p), 0);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	for (round = 0; round < 20; round++) {
		struct timespec ts = { 0, 2000000 };

		/* while the caller blocks it, only a helper could take it:
		 * none does, it stays pending for the caller */
		g_handled = 0;
		pthread_sigmask(SIG_BLOCK, &usr1, NULL);
		assert_int_equal(kill(getpid(), SIGUSR1), 0);
		nanosleep(&ts, NULL);
		assert_int_equal(g_handled, 0);
		pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
		assert_int_equal(g_handled, 1);
		assert_true(pthread_equal(g_handled_on, pthread_self()));
	}
	__atomic_store_n(&p.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	sigaction(SIGUSR1, &old, NULL);
}

/* cman_one_cpu() follows the process's CPU affinity. */
static void test_one_cpu_follows_affinity(void **state)
{
	cpu_set_t all, one;
	int c;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(cman_one_cpu(), CPU_COUNT(&all) < 2);
	for (c = 0; c < CPU_SETSIZE && !CPU_ISSET(c, &all); c++)
		;
	CPU_ZERO(&one);
	CPU_SET(c, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_true(cman_one_cpu());
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(cman_one_cpu(), CPU_COUNT(&all) < 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask_and_stack),
		cmocka_unit_test(test_refused_leaves_mask),
		cmocka_unit_test(test_process_signal_goes_to_caller),
		cmocka_unit_test(test_one_cpu_follows_affinity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
