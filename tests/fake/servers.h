/*
 * servers.h - start real servers (moto_server, dynalite) for a test on
 * 127.0.0.1 at a free port, wait until they answer, stop them after.
 */
#ifndef CMAN_TEST_SERVERS_H
#define CMAN_TEST_SERVERS_H

#include <sys/types.h>

struct test_server {
	pid_t pid;
	int port;
	char url[64];
	char name[32];
};

/*
 * Start moto_server (from PATH) or dynalite (its module in CMAN_SOURCE_DIR/
 * .deps/node_modules or $CMAN_DYNALITE_MODULES, run by node).  0 when it answers
 * within timeout_s; -1 when the program is absent (the test is skipped)
 * and why is printed; -2 when it was found but did not come up.
 */
int test_server_start_moto(struct test_server *s, int timeout_s);
/* moto_server, then one EC2 and one Auto Scaling request (read to the end,
 * within timeout_s each) so that moto has imported those backends before
 * the test's first call: under load that import outlasts a client timeout. */
int test_server_start_moto_ec2(struct test_server *s, int timeout_s);
int test_server_start_dynalite(struct test_server *s, int timeout_s);
void test_server_stop(struct test_server *s);

/* The exit code that makes CTest report a test as skipped. */
#define TEST_SKIP_CODE 77

#endif
