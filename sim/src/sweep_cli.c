/*
 * sweep_cli.c - clusterman-sim sweep: validates the grid, resumes from the
 * journal, runs the remaining (point, replica) runs in worker processes (or
 * over MPI ranks), shows progress, handles SIGINT/SIGTERM, and writes
 * sweep.csv and sweep.html at the end.
 *
 * Workers are forked once; each reads fixed-size tasks from its own pipe
 * and writes fixed-size result records (smaller than PIPE_BUF, so atomic)
 * to one shared pipe.  Only the parent (MPI rank 0) writes the journal and
 * the output files.
 */
#include "cman/sim/sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef CMAN_MPI
#include <mpi.h>
#endif

#include "cman/fsutil.h"
#include "cman/sim/scenario.h"
#include "cman/sim/sim.h"

static const char usage_sweep[] =
	"usage: clusterman-sim sweep SCENARIO.yaml --grid KEY=V1,V2,... [--grid ...]\n"
	"                            [--replicas N] [-j JOBS] [-o DIR]\n"
	"                            [--set KEY=VALUE]... [--seed N] [-q]\n"
	"\n"
	"  --grid KEY=V1,V2,...  an axis of the grid: the scenario key KEY (as for\n"
	"                        --set) takes each value in turn; the grid is the\n"
	"                        cross product of the axes (the last varies fastest).\n"
	"                        Values are split at commas outside {}, [] and quotes\n"
	"  --replicas N          runs per point (default 1); replica r of every point\n"
	"                        runs with seed (scenario seed + r)\n"
	"  -j, --jobs JOBS       worker processes (default: the number of CPUs; 1\n"
	"                        per rank under mpirun)\n"
	"  -o, --output DIR      where sweep.csv, sweep.html and the journal go\n"
	"                        (default: the scenario's output dir + \"-sweep\")\n"
	"  --set KEY=VALUE       a fixed override of every run (repeatable)\n"
	"  --seed N              the scenario seed (replica 0's)\n"
	"  -q, --quiet           no progress and no summary line\n"
	"\n"
	"Every finished run is appended to DIR/sweep.journal.jsonl; a sweep that was\n"
	"interrupted (exit status 130) continues where it stopped when run again.\n"
	"sweep.csv and sweep.html are written once every run is done.\n";

/* A task for a worker: one run. */
struct task {
	uint32_t point, replica;
};

/* A worker's answer (smaller than PIPE_BUF: written atomically). */
struct wrec {
	int32_t worker;
	int32_t code;               /* 0 or a cman_err */
	uint32_t point, replica;
	struct cman_sweep_run run;
	char msg[CMAN_ERRMSG_MAX];
};

struct sweep {
	const char *scenario;
	const char **sets;          /* base sets, then the point's, then seed */
	size_t n_base;
	struct cman_sweep_grid grid;
	uint64_t seed0;
	size_t replicas;
	char seedbuf[64];
	/* parent state */
	struct cman_sweep_results res;
	struct cman_sweep_journal journal;
	size_t total, finished;     /* runs to do now, done now */
	int rank, size;             /* MPI (0 and 1 without) */
	bool mpi;
	/* the first failure */
	int fail_code;
	char fail_msg[CMAN_ERRMSG_MAX + 256];
	/* progress */
	bool tty, quiet;
	double t0, t_drawn;
	/* the metrics files loaded by this process's runs (each worker has
	 * its own, made by its first run) */
	struct cman_sim_cache *cache;
};

static volatile sig_atomic_t n_signals;
static volatile sig_atomic_t in_process;   /* runs in this process (-j 1) */

/*
 * The first SIGINT/SIGTERM stops the sweep once the runs in flight are done;
 * a second one kills the workers (run_all), or, when the runs are in this
 * process, ends it at once with the signal's default action (the journal
 * holds whole lines only: a torn last one is dropped when it is reopened).
 */
static void on_signal(int sig)
{
	if (++n_signals >= 2 && in_process) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool is_root(const struct sweep *sw)
{
	return sw->rank == 0;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "clusterman-sim: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage_sweep);
	return 2;
}

/* Load the scenario of a point with the given seed (NULL: the scenario's). */
static int load_point(struct sweep *sw, size_t point, const char *seedset,
		      struct cman_scenario *sc, struct cman_error *err)
{
	size_t n = sw->n_base + sw->grid.n_axes;
	int rc;

	cman_sweep_point_sets(&sw->grid, point, sw->sets + sw->n_base, NULL);
	if (seedset)
		sw->sets[n++] = seedset;
	rc = cman_scenario_load(sw->scenario, sw->sets, n, sc, err);
	if (rc && err)
		cman_sweep_rename_set(&sw->grid, err->msg, sizeof(err->msg));
	return rc;
}

/* One run: its totals into out. */
static int run_one(struct sweep *sw, size_t point, size_t replica, struct cman_sweep_run *out,
		   struct cman_error *err)
{
	struct cman_scenario sc;
	struct cman_sim *sim = NULL;
	char seedset[64];
	int rc;

	snprintf(seedset, sizeof(seedset), "seed=%" PRIu64, sw->seed0 + (uint64_t)replica);
	rc = load_point(sw, point, seedset, &sc, err);
	if (rc)
		return rc;
	if (!sw->cache)
		sw->cache = cman_sim_cache_new();   /* NULL: every run loads its files */
	rc = cman_sim_new_cached(&sc, NULL, sw->cache, &sim, err);
#ifdef CMAN_SIM_HAVE_TOTALS_ONLY
	/* no decision log: half of an autoscaler run's time, and unused here */
	if (!rc)
		cman_sim_totals_only(sim);
#endif
	if (!rc)
		rc = cman_sim_run(sim, err);
	if (!rc) {
		const struct cman_sim_totals *t = cman_sim_totals(sim);

		out->v[CMAN_SWEEP_COST] = t->total_cost;
		out->v[CMAN_SWEEP_UNUSED_COST] = t->unused_cpus_cost;
		out->v[CMAN_SWEEP_OVERSUB] = t->oversubscribed_cpu_hours;
		out->v[CMAN_SWEEP_INTERRUPTIONS] = (double)t->instances_interrupted;
		out->v[CMAN_SWEEP_SHORTFALL] = t->shortfall_share;
		out->v[CMAN_SWEEP_OVERSUB_MEM] = t->oversubscribed_hours[CMAN_RES_MEM];
		out->v[CMAN_SWEEP_OVERSUB_DISK] = t->oversubscribed_hours[CMAN_RES_DISK];
		out->v[CMAN_SWEEP_OVERSUB_GPU] = t->oversubscribed_hours[CMAN_RES_GPUS];
	}
	cman_sim_free(sim);
	cman_scenario_release(&sc);
	return rc;
}

/* ---- progress ---- */

static void progress_draw(struct sweep *sw, bool force)
{
	double t = now_seconds(), el = t - sw->t0, frac;
	char eta[32] = "";
	int i, fill;

	if (!sw->tty || sw->quiet || !is_root(sw) || !sw->total)
		return;
	if (!force && t - sw->t_drawn < 0.1)
		return;
	sw->t_drawn = t;
	frac = (double)sw->finished / (double)sw->total;
	if (sw->finished) {
		double left = el / (double)sw->finished * (double)(sw->total - sw->finished);

		snprintf(eta, sizeof(eta), "ETA %d:%02d", (int)left / 60, (int)left % 60);
	}
	fill = (int)(frac * 30);
	fputs("\r\033[Ksweep [", stderr);
	for (i = 0; i < 30; i++)
		fputc(i < fill ? '#' : '-', stderr);
	fprintf(stderr, "] %3d%% %zu/%zu runs %s", (int)(frac * 100), sw->finished, sw->total,
		eta);
	fflush(stderr);
}

static void progress_clear(struct sweep *sw)
{
	if (sw->tty && !sw->quiet && is_root(sw) && sw->total) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}

/* ---- results ---- */

static void set_failure(struct sweep *sw, int code, size_t point, size_t replica,
			const char *msg)
{
	const char **sets;
	char where[512] = "";
	size_t i, n = 0;

	if (sw->fail_code)
		return;
	sw->fail_code = code ? code : CMAN_EINTERNAL;
	sets = sw->sets + sw->n_base;
	cman_sweep_point_sets(&sw->grid, point, sets, NULL);
	for (i = 0; i < sw->grid.n_axes && n < sizeof(where); i++)
		n += (size_t)snprintf(where + n, sizeof(where) - n, "%s%s", i ? " " : "", sets[i]);
	snprintf(sw->fail_msg, sizeof(sw->fail_msg), "point %zu%s%s%s, seed %" PRIu64 ": %s",
		 point + 1, n ? " (" : "", where, n ? ")" : "", sw->seed0 + (uint64_t)replica, msg);
}

/* Test hook: CMAN_TEST_SWEEP_PACE_MS=N makes the parent wait N ms (at most
 * 1000) after journaling each run, so a test can interrupt a sweep part-way
 * however fast the runs are and however loaded the machine (the sweep_resume
 * test).  Not documented for users; results are unchanged. */
static void test_pace(void)
{
	static long ms = -1;
	struct timespec ts;

	if (ms < 0) {
		const char *v = getenv("CMAN_TEST_SWEEP_PACE_MS");

		ms = v ? strtol(v, NULL, 10) : 0;
		if (ms < 0 || ms > 1000)
			ms = 0;
	}
	if (!ms)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = ms * 1000000L;
	nanosleep(&ts, NULL);
}

/* A finished run reached rank 0's parent: keep it and journal it. */
static void accept_result(struct sweep *sw, size_t point, size_t replica,
			  const struct cman_sweep_run *run)
{
	struct cman_error err = { 0 };

	if (cman_sweep_journal_append(&sw->journal, &sw->grid, point,
				      sw->seed0 + (uint64_t)replica, run, &err)) {
		if (!sw->fail_code) {
			sw->fail_code = err.code;
			snprintf(sw->fail_msg, sizeof(sw->fail_msg), "%s", err.msg);
		}
		return;
	}
	cman_sweep_results_put(&sw->res, point, replica, run);
	sw->finished++;
	progress_draw(sw, false);
	test_pace();
}

#ifdef CMAN_MPI
enum { TAG_RESULT = 1 };

/* A non-root rank's finished run goes to rank 0. */
static void mpi_send_result(size_t point, size_t replica, const struct cman_sweep_run *run)
{
	double buf[2 + CMAN_SWEEP_N_METRICS];

	buf[0] = (double)point;
	buf[1] = (double)replica;
	memcpy(buf + 2, run->v, sizeof(run->v));
	MPI_Send(buf, 2 + CMAN_SWEEP_N_METRICS, MPI_DOUBLE, 0, TAG_RESULT, MPI_COMM_WORLD);
}

/* Rank 0: take every result that arrived from the other ranks. */
static void mpi_drain(struct sweep *sw, size_t *remote_left)
{
	for (;;) {
		double buf[2 + CMAN_SWEEP_N_METRICS];
		struct cman_sweep_run run;
		MPI_Status st;
		int flag = 0;

		MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
		if (!flag)
			return;
		MPI_Recv(buf, 2 + CMAN_SWEEP_N_METRICS, MPI_DOUBLE, st.MPI_SOURCE, TAG_RESULT,
			 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
		memcpy(run.v, buf + 2, sizeof(run.v));
		accept_result(sw, (size_t)buf[0], (size_t)buf[1], &run);
		if (*remote_left)
			(*remote_left)--;
	}
}
#endif

/* A run finished here: rank 0 keeps it, other ranks send it on. */
static void local_result(struct sweep *sw, size_t point, size_t replica,
			 const struct cman_sweep_run *run)
{
#ifdef CMAN_MPI
	if (!is_root(sw)) {
		mpi_send_result(point, replica, run);
		return;
	}
#endif
	accept_result(sw, point, replica, run);
}

/* Poll for other ranks' results (rank 0, MPI only). */
static void poll_remote(struct sweep *sw, size_t *remote_left)
{
#ifdef CMAN_MPI
	if (sw->mpi && is_root(sw))
		mpi_drain(sw, remote_left);
#else
	(void)sw;
	(void)remote_left;
#endif
}

/* ---- workers ---- */

static int read_full(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -1 : 1;   /* 1: end of file */
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void worker_main(struct sweep *sw, int id, int task_fd, int res_fd)
{
	struct task t;

	signal(SIGINT, SIG_IGN);    /* the parent decides when to stop */
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_DFL);
	while (!read_full(task_fd, &t, sizeof(t))) {
		struct cman_error err = { 0 };
		struct wrec rec;

		memset(&rec, 0, sizeof(rec));
		rec.worker = id;
		rec.point = t.point;
		rec.replica = t.replica;
		rec.code = run_one(sw, t.point, t.replica, &rec.run, &err);
		if (rec.code)
			snprintf(rec.msg, sizeof(rec.msg), "%s",
				 err.msg[0] ? err.msg : cman_strerror(rec.code));
		if (write_full(res_fd, &rec, sizeof(rec)))
			break;
	}
	_exit(0);
}

struct pool {
	size_t n;
	pid_t *pid;
	int *task_fd;               /* write ends, -1 when closed */
	struct task *busy;
	bool *is_busy, *dead;
	int res_fd;                 /* read end */
};

static void pool_close(struct pool *pl, bool kill_them)
{
	size_t w;

	for (w = 0; w < pl->n; w++) {
		if (pl->task_fd[w] >= 0)
			close(pl->task_fd[w]);
		pl->task_fd[w] = -1;
		if (kill_them && pl->pid[w] > 0 && !pl->dead[w])
			kill(pl->pid[w], SIGKILL);
	}
	for (w = 0; w < pl->n; w++) {
		if (pl->pid[w] > 0 && !pl->dead[w]) {
			while (waitpid(pl->pid[w], NULL, 0) < 0 && errno == EINTR)
				;
		}
	}
	if (pl->res_fd >= 0)
		close(pl->res_fd);
	free(pl->pid);
	free(pl->task_fd);
	free(pl->busy);
	free(pl->is_busy);
	free(pl->dead);
	memset(pl, 0, sizeof(*pl));
	pl->res_fd = -1;
}

static int pool_start(struct sweep *sw, struct pool *pl, size_t n, struct cman_error *err)
{
	int res[2];
	size_t w;

	memset(pl, 0, sizeof(*pl));
	pl->res_fd = -1;
	pl->pid = calloc(n, sizeof(*pl->pid));
	pl->task_fd = malloc(n * sizeof(*pl->task_fd));
	pl->busy = calloc(n, sizeof(*pl->busy));
	pl->is_busy = calloc(n, sizeof(*pl->is_busy));
	pl->dead = calloc(n, sizeof(*pl->dead));
	if (!pl->pid || !pl->task_fd || !pl->busy || !pl->is_busy || !pl->dead) {
		pool_close(pl, true);
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	pl->n = n;
	for (w = 0; w < n; w++)
		pl->task_fd[w] = -1;
	if (pipe(res)) {
		pool_close(pl, true);
		return cman_error_set(err, CMAN_EIO, "pipe: %s", strerror(errno));
	}
	pl->res_fd = res[0];
	fflush(stdout);
	fflush(stderr);
	for (w = 0; w < n; w++) {
		int tp[2];
		pid_t pid;

		if (pipe(tp)) {
			close(res[1]);
			pool_close(pl, true);
			return cman_error_set(err, CMAN_EIO, "pipe: %s", strerror(errno));
		}
		pid = fork();
		if (pid < 0) {
			close(tp[0]);
			close(tp[1]);
			close(res[1]);
			pool_close(pl, true);
			return cman_error_set(err, CMAN_EIO, "fork: %s", strerror(errno));
		}
		if (pid == 0) {
			size_t k;

			close(tp[1]);
			close(res[0]);
			for (k = 0; k < w; k++)
				close(pl->task_fd[k]);
			cman_sweep_journal_close(&sw->journal);
			worker_main(sw, (int)w, tp[0], res[1]);
		}
		close(tp[0]);
		pl->pid[w] = pid;
		pl->task_fd[w] = tp[1];
	}
	close(res[1]);
	return 0;
}

/*
 * Run queue[0..n) (run indices point * replicas + replica) with jobs
 * workers; returns true when every run finished (false: stopped by a
 * failure or a signal).  Rank 0 also collects remote_left results from the
 * other ranks.
 */
static bool run_all(struct sweep *sw, const size_t *queue, size_t n, size_t jobs,
		    size_t remote_left)
{
	struct pool pl;
	struct cman_error err = { 0 };
	size_t next = 0, inflight = 0, w;
	bool killed = false;

	if (jobs > n)
		jobs = n;
	if (jobs <= 1) {
		/* in this process */
		in_process = 1;
		for (next = 0; next < n && !n_signals && !sw->fail_code; next++) {
			struct cman_sweep_run run;
			size_t p = queue[next] / sw->replicas, r = queue[next] % sw->replicas;
			int rc = run_one(sw, p, r, &run, &err);

			if (rc)
				set_failure(sw, rc, p, r, err.msg);
			else
				local_result(sw, p, r, &run);
			poll_remote(sw, &remote_left);
		}
		while (remote_left && !n_signals && !sw->fail_code) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
			poll_remote(sw, &remote_left);
			progress_draw(sw, false);
		}
		in_process = 0;
		return next == n && !remote_left && !n_signals && !sw->fail_code;
	}
	if (pool_start(sw, &pl, jobs, &err)) {
		set_failure(sw, err.code, 0, 0, err.msg);
		return false;
	}
	for (;;) {
		bool stopping = n_signals || sw->fail_code;
		struct pollfd pfd = { pl.res_fd, POLLIN, 0 };
		size_t alive = 0;
		int pr;

		for (w = 0; w < pl.n && !stopping && next < n; w++) {
			struct task t;

			if (pl.is_busy[w] || pl.dead[w])
				continue;
			t.point = (uint32_t)(queue[next] / sw->replicas);
			t.replica = (uint32_t)(queue[next] % sw->replicas);
			if (write_full(pl.task_fd[w], &t, sizeof(t)))
				continue;    /* died: noticed below */
			pl.busy[w] = t;
			pl.is_busy[w] = true;
			inflight++;
			next++;
		}
		if (!inflight && (stopping || next == n) && (!remote_left || stopping))
			break;
		if (n_signals >= 2 && !killed) {
			/* asked twice: do not wait for the runs in flight */
			killed = true;
			break;
		}
		pr = poll(&pfd, 1, sw->mpi ? 2 : 100);
		if (pr > 0) {
			struct wrec rec;

			if (read_full(pl.res_fd, &rec, sizeof(rec))) {
				set_failure(sw, CMAN_EINTERNAL, 0, 0, "the workers' pipe broke");
				killed = true;
				break;
			}
			if (rec.worker >= 0 && (size_t)rec.worker < pl.n &&
			    pl.is_busy[rec.worker]) {
				pl.is_busy[rec.worker] = false;
				inflight--;
			}
			if (rec.code)
				set_failure(sw, rec.code, rec.point, rec.replica, rec.msg);
			else
				local_result(sw, rec.point, rec.replica, &rec.run);
			continue;   /* drain before anything else */
		}
		/* a worker that died with a run in flight */
		for (w = 0; w < pl.n; w++) {
			int st;

			if (pl.dead[w] || waitpid(pl.pid[w], &st, WNOHANG) != pl.pid[w])
				continue;
			pl.dead[w] = true;
			if (pl.is_busy[w]) {
				char msg[128];

				if (WIFSIGNALED(st))
					snprintf(msg, sizeof(msg), "worker killed by signal %d",
						 WTERMSIG(st));
				else
					snprintf(msg, sizeof(msg), "worker exited with status %d",
						 WEXITSTATUS(st));
				set_failure(sw, CMAN_EINTERNAL, pl.busy[w].point, pl.busy[w].replica,
					    msg);
				pl.is_busy[w] = false;
				inflight--;
			}
		}
		for (w = 0; w < pl.n; w++)
			alive += !pl.dead[w];
		if (!alive && next < n)
			set_failure(sw, CMAN_EINTERNAL, queue[next] / sw->replicas,
				    queue[next] % sw->replicas, "every worker process died");
		poll_remote(sw, &remote_left);
		progress_draw(sw, false);
	}
	pool_close(&pl, killed);
	return next == n && !inflight && !remote_left && !killed && !n_signals && !sw->fail_code;
}

/* ---- the command ---- */

static int parse_count(const char *opt, const char *s, size_t max, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || !s[0] || s[0] == '-' || v < 1 || v > max) {
		fprintf(stderr, "clusterman-sim: %s '%s': expected an integer from 1 to %zu\n%s",
			opt, s, max, usage_sweep);
		return 2;
	}
	*out = (size_t)v;
	return 0;
}

static void mpi_finish(struct sweep *sw, int status)
{
#ifdef CMAN_MPI
	if (sw->mpi) {
		if (status == 130 || (status && sw->fail_code))
			MPI_Abort(MPI_COMM_WORLD, status);
		MPI_Finalize();
	}
#else
	(void)sw;
	(void)status;
#endif
}

/* Broadcast rank 0's status; true when every rank may go on. */
static bool all_ok(struct sweep *sw, int *status)
{
#ifdef CMAN_MPI
	if (sw->mpi)
		MPI_Bcast(status, 1, MPI_INT, 0, MPI_COMM_WORLD);
#else
	(void)sw;
#endif
	return *status == 0;
}

int cman_sweep_main(int argc, char **argv)
{
	struct cman_error err = { 0 };
	struct sweep sw;
	struct cman_scenario sc;
	struct cman_sweep_summary *sum = NULL;
	struct sigaction sa, old_int, old_term, old_pipe;
	const char *outdir = NULL, *seedset = NULL;
	char *defdir = NULL, path[4096];
	size_t jobs = 0, i, n_points, n_loaded = 0, *queue = NULL, n_queue = 0, n_mine = 0;
	size_t remote = 0;
	bool loaded = false, signals_set = false, complete;
	int status = 0, rc;
	long ncpu;

	memset(&sw, 0, sizeof(sw));
	sw.journal.fd = -1;
	sw.replicas = 1;
	sw.size = 1;
	cman_sweep_grid_init(&sw.grid);
	sw.sets = calloc((size_t)argc + 2, sizeof(*sw.sets));
	if (!sw.sets)
		return 1;
	for (i = 0; i < (size_t)argc && !status; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_sweep, stdout);
			goto out;
		} else if (!strcmp(a, "--grid") || !strncmp(a, "--grid=", 7)) {
			const char *spec = a[6] == '=' ? a + 7 : NULL;

			if (!spec && ++i >= (size_t)argc)
				status = usage_error("%s needs KEY=V1,V2,...", a);
			else if (cman_sweep_grid_add(&sw.grid, spec ? spec : argv[i], &err)) {
				fprintf(stderr, "clusterman-sim: %s\n", err.msg);
				status = cman_exit_status(err.code);
			}
		} else if (!strcmp(a, "--set") || !strncmp(a, "--set=", 6)) {
			const char *set = a[5] == '=' ? a + 6 : NULL;

			if (!set && ++i >= (size_t)argc)
				status = usage_error("%s needs KEY=VALUE", a);
			else
				sw.sets[sw.n_base++] = set ? set : argv[i];
		} else if (!strcmp(a, "--seed")) {
			char *end;
			unsigned long long v;

			if (++i >= (size_t)argc) {
				status = usage_error("%s needs a number", a);
				break;
			}
			errno = 0;
			v = strtoull(argv[i], &end, 10);
			if (errno || *end || !argv[i][0] || argv[i][0] == '-') {
				status = usage_error("--seed '%s': expected a non-negative integer",
						     argv[i]);
				break;
			}
			snprintf(sw.seedbuf, sizeof(sw.seedbuf), "seed=%llu", v);
			seedset = sw.seedbuf;
		} else if (!strcmp(a, "--replicas")) {
			if (++i >= (size_t)argc)
				status = usage_error("%s needs a number", a);
			else
				status = parse_count(a, argv[i], 100000, &sw.replicas);
		} else if (!strcmp(a, "-j") || !strcmp(a, "--jobs") || !strncmp(a, "-j", 2)) {
			const char *v = a[1] == 'j' && a[2] ? a + 2 : NULL;

			if (!v && ++i >= (size_t)argc)
				status = usage_error("%s needs a number", a);
			else
				status = parse_count("-j", v ? v : argv[i], 1024, &jobs);
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (++i >= (size_t)argc)
				status = usage_error("%s needs a folder", a);
			else
				outdir = argv[i];
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			sw.quiet = true;
		} else if (a[0] == '-' && a[1]) {
			status = usage_error("unknown option '%s'", a);
		} else if (!sw.scenario) {
			sw.scenario = a;
		} else {
			status = usage_error("unexpected argument '%s'", a);
		}
	}
	if (status)
		goto out;
	if (!sw.scenario) {
		status = usage_error("%s", "missing SCENARIO.yaml");
		goto out;
	}
	if (seedset)
		sw.sets[sw.n_base++] = seedset;   /* --seed after the --set overrides */

#ifdef CMAN_MPI
	/* MPI only when started by mpirun (no singleton start otherwise) */
	if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK")) {
		MPI_Init(NULL, NULL);
		MPI_Comm_rank(MPI_COMM_WORLD, &sw.rank);
		MPI_Comm_size(MPI_COMM_WORLD, &sw.size);
		sw.mpi = true;
	}
#endif
	if (!jobs) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = sw.mpi || ncpu < 1 ? 1 : (size_t)ncpu;
	}

	/* the scenario, then every point, before anything runs (all ranks) */
	n_points = cman_sweep_grid_points(&sw.grid);
	rc = cman_scenario_load(sw.scenario, sw.sets, sw.n_base, &sc, &err);
	if (rc)
		goto fail;
	loaded = true;
	sw.seed0 = sc.seed;
	if (sw.seed0 > UINT64_MAX - sw.replicas) {
		rc = cman_error_set(&err, CMAN_EINVAL, "seed %" PRIu64 " + %zu replicas overflows",
				    sw.seed0, sw.replicas);
		goto fail;
	}
	if (!outdir) {
		size_t n = strlen(sc.output_dir);

		while (n > 1 && sc.output_dir[n - 1] == '/')
			n--;
		defdir = malloc(n + 8);
		if (!defdir) {
			rc = cman_error_set(&err, CMAN_ENOMEM, "out of memory");
			goto fail;
		}
		memcpy(defdir, sc.output_dir, n);
		strcpy(defdir + n, "-sweep");
		outdir = defdir;
	}
	for (i = 0; i < n_points; i++) {
		struct cman_scenario psc;

		rc = load_point(&sw, i, NULL, &psc, &err);
		if (rc)
			goto fail;
		cman_scenario_release(&psc);
	}
	rc = cman_sweep_results_init(&sw.res, n_points, sw.replicas, &err);
	if (rc)
		goto fail;

	/* rank 0: the output folder and the journal */
	if (is_root(&sw)) {
		uint64_t hash;

		rc = cman_sweep_file_hash(sw.scenario, &hash, &err);
		if (!rc)
			rc = cman_mkdirs(outdir, &err);
		if (!rc && cman_path_join(path, sizeof(path), outdir, "sweep.journal.jsonl"))
			rc = cman_error_set(&err, CMAN_EINVAL, "%s: path too long", outdir);
		if (!rc)
			rc = cman_sweep_journal_open(&sw.journal, path, hash, sw.sets, sw.n_base,
						     &sw.grid, sw.seed0, &sw.res, &n_loaded, &err);
	}
	status = rc ? cman_exit_status(rc) : 0;
	if (!all_ok(&sw, &status)) {
		if (is_root(&sw))
			fprintf(stderr, "clusterman-sim: %s\n", err.msg);
		goto out;
	}
#ifdef CMAN_MPI
	if (sw.mpi)
		MPI_Bcast(sw.res.done, (int)(n_points * sw.replicas), MPI_UNSIGNED_CHAR, 0,
			  MPI_COMM_WORLD);
#endif

	/* what is left, point by point; rank k takes every size-th run */
	queue = malloc((n_points * sw.replicas + 1) * sizeof(*queue));
	if (!queue) {
		rc = cman_error_set(&err, CMAN_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < n_points * sw.replicas; i++) {
		if (sw.res.done[i])
			continue;
		if (n_queue % (size_t)sw.size == (size_t)sw.rank)
			queue[n_mine++] = i;
		else
			remote++;
		n_queue++;
	}
	sw.total = n_queue;
	sw.tty = isatty(2);
	sw.t0 = now_seconds();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);
	signals_set = true;
	n_signals = 0;

	progress_draw(&sw, true);
	complete = run_all(&sw, queue, n_mine, jobs, is_root(&sw) ? remote : 0);
	progress_clear(&sw);
	cman_sweep_journal_close(&sw.journal);

	if (sw.fail_code) {
		fprintf(stderr, "clusterman-sim: %s\n", sw.fail_msg);
		status = cman_exit_status(sw.fail_code);
		goto out;
	}
	if (!complete) {
		if (is_root(&sw))
			fprintf(stderr, "clusterman-sim: sweep interrupted: %zu of %zu runs done "
				"(%zu now); the journal is %s/sweep.journal.jsonl: run the same "
				"command again to continue\n", sw.res.n_done,
				n_points * sw.replicas, sw.finished, outdir);
		status = 130;
		goto out;
	}
	if (is_root(&sw)) {
		double wall = now_seconds() - sw.t0;
		char title[512];

		sum = calloc(n_points, sizeof(*sum));
		if (!sum) {
			rc = cman_error_set(&err, CMAN_ENOMEM, "out of memory");
			goto fail;
		}
		rc = cman_sweep_summarize(&sw.res, sum, &err);
		if (!rc && cman_path_join(path, sizeof(path), outdir, "sweep.csv"))
			rc = cman_error_set(&err, CMAN_EINVAL, "%s: path too long", outdir);
		if (!rc)
			rc = cman_sweep_write_csv(path, &sw.grid, &sw.res, sum, &err);
		snprintf(title, sizeof(title), "Sweep of %s", sc.name);
		if (!rc && cman_path_join(path, sizeof(path), outdir, "sweep.html"))
			rc = cman_error_set(&err, CMAN_EINVAL, "%s: path too long", outdir);
		if (!rc)
			rc = cman_sweep_write_html(path, title, &sw.grid, &sw.res, sum, sw.seed0,
						   &err);
		if (rc)
			goto fail;
		if (!sw.quiet)
			printf("sweep %s: %zu point%s x %zu replica%s, %zu runs now and %zu from "
			       "the journal in %.1f s (%zu job%s%s) -> %s/sweep.csv\n", sc.name,
			       n_points, n_points == 1 ? "" : "s", sw.replicas,
			       sw.replicas == 1 ? "" : "s", sw.finished, n_loaded, wall, jobs,
			       jobs == 1 ? "" : "s", sw.mpi ? (sw.size > 1 ? " per rank" : "") : "",
			       outdir);
	}
	goto out;
fail:
	if (is_root(&sw))
		fprintf(stderr, "clusterman-sim: %s\n",
			err.msg[0] ? err.msg : cman_strerror(rc));
	status = cman_exit_status(rc ? rc : CMAN_EINTERNAL);
out:
	if (signals_set) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGPIPE, &old_pipe, NULL);
	}
	fflush(stdout);
	mpi_finish(&sw, status);
	cman_sweep_journal_close(&sw.journal);
	free(sum);
	free(queue);
	free(defdir);
	cman_sweep_results_release(&sw.res);
	if (loaded)
		cman_scenario_release(&sc);
	cman_sweep_grid_release(&sw.grid);
	cman_sim_cache_free(sw.cache);
	free(sw.sets);
	return status;
}
