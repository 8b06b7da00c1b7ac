/*
 * servers.c - real test servers on loopback (see servers.h).
 */
#include "servers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* A socket connected to 127.0.0.1:port, or -1. */
static int connect_loopback(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int answers(int port)
{
	int fd = connect_loopback(port);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int on_path(const char *prog, char *out, size_t n)
{
	const char *path = getenv("PATH");
	char dir[4096];

	if (strchr(prog, '/')) {
		snprintf(out, n, "%s", prog);
		return access(out, X_OK) == 0;
	}
	while (path && *path) {
		const char *colon = strchr(path, ':');
		size_t k = colon ? (size_t)(colon - path) : strlen(path);

		if (k < sizeof(dir)) {
			memcpy(dir, path, k);
			dir[k] = '\0';
			snprintf(out, n, "%s/%s", k ? dir : ".", prog);
			if (access(out, X_OK) == 0)
				return 1;
		}
		path += k;
		if (*path == ':')
			path++;
	}
	return 0;
}

static int start(struct test_server *s, const char *name, char *const argv[], int timeout_s)
{
	struct timespec ts = {0, 100 * 1000000L};
	int waited;
	pid_t parent = getpid();

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->pid = fork();
	if (s->pid < 0)
		return -2;
	if (s->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			if (!getenv("CMAN_TEST_SERVER_LOG")) {
				dup2(null, 1);
				dup2(null, 2);
			}
		}
		setpgid(0, 0);
#ifdef __linux__
		/* A test killed by ctest's timeout (SIGKILL: no teardown) must not
		 * leave its server running: the server is told when we die. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
#else
		(void)parent;
#endif
		execv(argv[0], argv);
		_exit(127);
	}
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
	for (waited = 0; waited < timeout_s * 10; waited++) {
		int status;

		if (answers(s->port))
			return 0;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			fprintf(stderr, "%s exited before it answered (status %d)\n", name, status);
			s->pid = 0;
			return -2;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "%s did not answer on port %d within %d s\n", name, s->port, timeout_s);
	test_server_stop(s);
	return -2;
}

int test_server_start_moto(struct test_server *s, int timeout_s)
{
	char prog[4096], port[16];
	char *argv[6];

	memset(s, 0, sizeof(*s));
	if (!on_path("moto_server", prog, sizeof(prog))) {
		fprintf(stderr, "SKIP: moto_server is not on PATH (the machine image has it; "
			"pip's moto[server] provides it)\n");
		return -1;
	}
	s->port = free_port();
	snprintf(port, sizeof(port), "%d", s->port);
	argv[0] = prog;
	argv[1] = (char *)"-H";
	argv[2] = (char *)"127.0.0.1";
	argv[3] = (char *)"-p";
	argv[4] = port;
	argv[5] = NULL;
	return start(s, "moto_server", argv, timeout_s);
}

/*
 * One GET to the server, read to the end within deadline_ms.  moto imports a
 * service's backend on that service's first request (EC2's takes 3-5 s on
 * an idle machine, over 20 s on a loaded one): done here, under the
 * start-up timeout, instead of inside the first call a test makes with the
 * client's own, shorter, timeout.
 */
static int warm(int port, const char *service, const char *query, int deadline_ms)
{
	struct timespec t0, t1;
	char req[1024], buf[4096];
	int fd, n, ok = 0;

	n = snprintf(req, sizeof(req),
		     "GET /?%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
		     "Authorization: AWS4-HMAC-SHA256 Credential=AKIDWARM/20260101/us-west-2/%s/"
		     "aws4_request, SignedHeaders=host, Signature=0\r\n\r\n",
		     query, port, service);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = connect_loopback(port);
	if (fd < 0)
		return 0;
	if (write(fd, req, (size_t)n) != n)
		goto out;
	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		long spent;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		spent = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
		if (spent >= deadline_ms || poll(&pfd, 1, (int)(deadline_ms - spent)) <= 0)
			goto out;
		n = (int)read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
	}
	ok = 1;
out:
	close(fd);
	return ok;
}

int test_server_start_moto_ec2(struct test_server *s, int timeout_s)
{
	int rc = test_server_start_moto(s, timeout_s);

	if (rc)
		return rc;
	if (!warm(s->port, "ec2", "Action=DescribeVpcs&Version=2016-11-15", timeout_s * 1000) ||
	    !warm(s->port, "autoscaling", "Action=DescribeAutoScalingGroups&Version=2011-01-01",
		  timeout_s * 1000)) {
		fprintf(stderr, "moto_server on port %d did not answer a first EC2/Auto Scaling "
			"request within %d s\n", s->port, timeout_s);
		test_server_stop(s);
		return -2;
	}
	return 0;
}

int test_server_start_dynalite(struct test_server *s, int timeout_s)
{
	char node[4096], mods[4096], script[4096], port[16];
	const char *env = getenv("CMAN_DYNALITE_MODULES");
	char *argv[4];

	memset(s, 0, sizeof(*s));
	if (env && *env)
		snprintf(mods, sizeof(mods), "%s", env);
	else
		snprintf(mods, sizeof(mods), "%s/.deps/node_modules", CMAN_SOURCE_DIR);
	snprintf(script, sizeof(script), "%s/dynalite/cli.js", mods);
	if (access(script, R_OK) != 0 || !on_path("node", node, sizeof(node))) {
		fprintf(stderr, "SKIP: dynalite not found in %s, or no node on PATH "
			"(tools/setup installs both)\n", mods);
		return -1;
	}
	snprintf(script, sizeof(script), "%s/tests/fake/dynalite_loopback.js", CMAN_SOURCE_DIR);
	setenv("NODE_PATH", mods, 1);
	s->port = free_port();
	snprintf(port, sizeof(port), "%d", s->port);
	argv[0] = node;
	argv[1] = script;
	argv[2] = port;
	argv[3] = NULL;
	return start(s, "dynalite", argv, timeout_s);
}

void test_server_stop(struct test_server *s)
{
	int status;

	if (s->pid <= 0)
		return;
	kill(-s->pid, SIGTERM);
	kill(s->pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		struct timespec ts = {0, 100 * 1000000L};

		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return;
		}
		nanosleep(&ts, NULL);
	}
	kill(-s->pid, SIGKILL);
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &status, 0);
	s->pid = 0;
}
