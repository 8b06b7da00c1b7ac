/*
 * thread.h - the project's one way to start a helper thread.
 *
 * Signals (SIGINT, SIGTERM, SIGHUP: runfiles.c's handlers, which remove an
 * unfinished run) are for the thread that writes the run's files, the main
 * one: a helper thread (hashing, writing, formatting, reports, checks,
 * page faulting) starts with every signal blocked, so a handler never runs
 * on it while the main thread goes on creating files.
 */
#ifndef CMAN_THREAD_H
#define CMAN_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * pthread_create(th, fn, arg) with every signal blocked in the new thread
 * and a stack of stack_bytes (0: the default); the caller's signal mask is
 * left as it was.  0, or pthread_create's error number.
 */
int cman_thread_start(pthread_t *th, size_t stack_bytes, void *(*fn)(void *), void *arg);

/*
 * True when this process may run on one CPU only (its affinity, as taskset
 * or a container's cpuset sets it): a helper thread would only take turns
 * with its caller, so callers do the work themselves instead.
 */
bool cman_one_cpu(void);

#endif
