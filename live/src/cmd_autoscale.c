/*
 * cmd_autoscale.c - `clusterman-live autoscale`: the autoscaler of one pool
 * (INTERFACE.md "Live mode"), a simple loop of cycles (autoscale.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cman/live/autoscale.h"
#include "cman/live/daemon.h"
#include "cman/live/livepool.h"
#include "cman/live/service.h"
#include "cman/live/sigproc.h"
#include "cman/poolfile.h"
#include "cman/time.h"

static const char usage_autoscale[] =
	"usage: clusterman-live autoscale [--config FILE] --cluster C --pool P\n"
	"           [--scheduler S] [--execute] [--once | --cycles N]\n"
	"           [--decisions FILE] [--shadow CANDIDATE_POOL_FILE]\n"
	"           [--health-file FILE] [--metrics-file FILE]\n"
	"\n"
	"  --cluster C          the cluster (default $CMAN_CLUSTER)\n"
	"  --pool P             the pool (default $CMAN_POOL)\n"
	"  --scheduler S        mesos (default $CMAN_SCHEDULER, else mesos)\n"
	"  --execute            change the groups' targets and terminate machines;\n"
	"                       without it this is a dry run: everything is read,\n"
	"                       decided and recorded, and no mutating AWS or Mesos\n"
	"                       call is made (nor is the pool's metadata written)\n"
	"  --decisions FILE     append one JSON line per cycle (decisions.jsonl\n"
	"                       format plus dry_run, groups {planned, applied,\n"
	"                       error}, terminate_failed, pool, signal_source,\n"
	"                       signal_fallback, capacity_offset,\n"
	"                       capacity_offset_error, shadow); default: standard\n"
	"                       output\n"
	"  --shadow FILE        also evaluate this candidate pool file (named\n"
	"                       <cluster>/<pool>.<scheduler> like any pool file)\n"
	"                       each cycle on the same groups, state and signal\n"
	"                       answer, as a dry run; its line comes first and is\n"
	"                       marked \"shadow\": true\n"
	CMAN_DAEMON_OPTIONS_HELP
	"\n"
	"Builds the pool from the service file and <cluster>/<pool>.<scheduler>:\n"
	"groups found by tag, the Mesos master, the pool's signal (the default\n"
	"signal when it has none or it cannot be reached; the line's\n"
	"signal_source says which).  A signal with a command is started with\n"
	"Clusterman's CMAN_* environment, checked before every cycle, restarted\n"
	"when it crashed or hung (with back-off) and stopped on exit.  Each cycle\n"
	"reads the pause and the capacity offset from the state table\n"
	"(disable/enable), then decides.  Cycles are\n"
	"one signal period apart, at a slot of the period that depends only on\n"
	"the cluster and pool.  SIGTERM or SIGINT ends the loop (a cycle that has\n"
	"started changing things finishes first); a second one exits at once.\n"
	"SIGHUP reads the configuration again between cycles (one that does not\n"
	"load leaves the running one in force).\n"
	"Exit status: 0 (a failed cycle is logged, recorded and the loop goes\n"
	"on; with --once or --cycles N: 1 when the last cycle failed), 2 for bad\n"
	"usage or configuration, 1 for other failures.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "clusterman-live autoscale: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage_autoscale);
	return 2;
}

static int fail(const struct cman_error *err)
{
	fprintf(stderr, "clusterman-live autoscale: %s\n",
		err->msg[0] ? err->msg : cman_strerror(err->code));
	return cman_exit_status(err->code ? err->code : CMAN_EINTERNAL);
}

/* CMAN_LIVE_TEST_CLOCK=EPOCH (tests only): cycle i runs at now = EPOCH + i x
 * the period instead of the wall clock (with the daemon's
 * CMAN_LIVE_TEST_PERIOD_MS, N cycles of simulated time take no real time). */
static int test_clock(int64_t *start)
{
	const char *s = getenv("CMAN_LIVE_TEST_CLOCK");
	char *end;
	long long v;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		return -1;
	*start = v;
	return 1;
}

/* Everything one configuration builds (swapped whole on SIGHUP). */
struct setup {
	struct cman_live_config cfg;
	bool cfg_loaded;
	struct cman_live_pool *lp, *sh;
	struct cman_live_autoscaler as;
	bool as_ready;
	struct cman_live_sigsup sup;   /* the signal processes (sigproc.h) */
};

struct ctx {
	const char *config, *cluster, *pool, *scheduler, *shadow_path;
	bool execute;
	FILE *out;
	struct setup *s;
	int has_test_clock;
	int64_t test_start;
	char labels[600];              /* cluster="C",pool="P" for the metrics file */
};

static void setup_free(struct setup *s)
{
	if (!s)
		return;
	if (s->as_ready)
		cman_live_autoscaler_release(&s->as);
	cman_live_sigsup_release(&s->sup);
	cman_live_pool_close(s->sh);
	cman_live_pool_close(s->lp);
	if (s->cfg_loaded)
		cman_live_config_release(&s->cfg);
	free(s);
}

static int signal_env(const struct ctx *c, const struct cman_live_config *cfg,
		      struct cman_error *err);

static int setup_new(const struct ctx *c, struct setup **out, struct cman_error *err)
{
	struct cman_live_pool_opts po;
	struct cman_live_autoscaler_opts ao;
	struct setup *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	if ((rc = cman_live_config_load(cman_live_config_find(c->config), &s->cfg, err)) != 0)
		goto out;
	s->cfg_loaded = true;
	if ((rc = signal_env(c, &s->cfg, err)) != 0)
		goto out;
	cman_live_pool_opts_init(&po);
	po.dry_run = !c->execute;
	if ((rc = cman_live_pool_open(&s->cfg, c->cluster, c->pool, c->scheduler, &po, &s->lp,
				      err)) != 0)
		goto out;
	if (c->shadow_path) {
		cman_live_pool_opts_init(&po);
		po.dry_run = true;
		po.no_signal = true;
		po.no_discovery = true;
		po.pool_file = c->shadow_path;
		po.store = s->lp->store;
		if ((rc = cman_live_pool_open(&s->cfg, c->cluster, c->pool, c->scheduler, &po,
					      &s->sh, err)) != 0) {
			cman_error_prefix(err, "--shadow");
			goto out;
		}
	}
	cman_live_autoscaler_opts_init(&ao);
	ao.execute = c->execute;
	ao.decisions = c->out;
	ao.shadow = s->sh;
	if ((rc = cman_live_autoscaler_init(&s->as, s->lp, &ao, err)) != 0)
		goto out;
	s->as_ready = true;
	/* the signal processes the pool started: watched between cycles */
	cman_live_sigsup_init(&s->sup, s->lp->signal, s->lp->default_signal);
	cman_live_sigsup_check(&s->sup, stderr, "clusterman-live autoscale", NULL);
	fprintf(stderr, "clusterman-live autoscale: %s: %zu group(s), signal %s (%s), period "
		"%llds, %s%s\n", s->lp->entity, s->lp->n_groups, s->lp->signal_name,
		cman_live_signal_source_name(s->lp->signal_source),
		(long long)s->lp->period_seconds,
		c->execute ? "EXECUTING changes" : "dry run (no --execute)",
		s->sh ? ", with a shadow candidate" : "");
	*out = s;
	s = NULL;
out:
	setup_free(s);
	return rc;
}

static bool may_mutate(void *d)
{
	return cman_daemon_may_mutate(d);
}

static int cycle(void *vc, struct cman_daemon *d, struct cman_daemon_cycle *dc,
		 struct cman_error *err)
{
	struct ctx *c = vc;
	struct cman_live_autoscaler *as = &c->s->as;
	int64_t now = dc->now;
	uint64_t decided = as->stats.decided;
	int rc;

	if (c->has_test_clock)
		now = c->test_start + (int64_t)dc->index * c->s->lp->period_seconds;
	/* a signal process that crashed or hung is restarted before the
	 * cycle; while it is down the cycle falls back to the default signal */
	cman_live_sigsup_check(&c->s->sup, stderr, "clusterman-live autoscale", NULL);
	as->may_mutate = may_mutate;
	as->may_mutate_ctx = d;
	rc = cman_live_autoscale_cycle(as, now, err);
	dc->paused = as->stats.last_paused;
	dc->target = as->stats.last_target;
	dc->fulfilled = as->stats.last_fulfilled;
	dc->max_capacity = c->s->lp->pf.config.max_capacity;
	if (as->stats.decided != decided && !as->stats.last_paused) {
		/* the health and metrics files say whether it had load data */
		dc->load_data = !as->stats.last_no_load;
		dc->no_load_why = as->stats.no_load_why;
	}
	if (as->stats.last_signal_failed) {
		cman_daemon_count_error(d, CMAN_DERR_SIGNAL);
		if (rc) {
			dc->kind_set = true;
			dc->kind = CMAN_DERR_SIGNAL;
		}
	}
	return rc;
}

static void metrics(void *vc, FILE *fp)
{
	struct ctx *c = vc;

	cman_live_sigsup_metrics(&c->s->sup, fp, c->labels);
}

/* The Clusterman bootstrap's CMAN_* variables for the signal commands the
 * pool will start (sigproc.h), from the pool file; a pool file that does
 * not load is left for cman_live_pool_open() to report. */
static int signal_env(const struct ctx *c, const struct cman_live_config *cfg,
		      struct cman_error *err)
{
	struct cman_pool_file pf;
	char path[4200];
	int rc;

	if (cman_live_config_pool_path(cfg, c->cluster, c->pool, c->scheduler, path,
				       sizeof(path)) < 0 ||
	    cman_pool_file_load(path, &cfg->defaults, &pf, NULL) != 0)
		return cman_live_signal_env(cfg, c->cluster, c->pool, c->scheduler, NULL, err);
	rc = cman_live_signal_env(cfg, c->cluster, c->pool, c->scheduler, pf.root, err);
	cman_pool_file_release(&pf);
	return rc;
}

static int reload(void *vc, struct cman_daemon *d, struct cman_error *err)
{
	struct ctx *c = vc;
	struct setup *s;
	int rc;

	if ((rc = setup_new(c, &s, err)) != 0)
		return rc;
	setup_free(c->s);
	c->s = s;
	cman_daemon_set_period(d, s->lp->period_seconds);
	return 0;
}

int cman_live_autoscale_main(int argc, char **argv, const char *config)
{
	struct ctx c = { 0 };
	struct cman_daemon_opts dopts = { 0 };
	struct cman_daemon_stats stats;
	struct cman_error err = { 0 };
	const char *decisions_path = NULL;
	int status = 0, rc, i;

	c.config = config;
	c.cluster = getenv("CMAN_CLUSTER");
	c.pool = getenv("CMAN_POOL");
	c.scheduler = getenv("CMAN_SCHEDULER");
	c.out = stdout;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_autoscale, stdout);
			return 0;
		}
		rc = cman_daemon_option(&dopts, argc, argv, &i, &err);
		if (rc < 0)
			return usage_error("%s", err.msg);
		if (rc > 0)
			continue;
		if (!strcmp(a, "--execute")) {
			c.execute = true;
		} else if (!strcmp(a, "--config") || !strcmp(a, "--cluster") ||
			   !strcmp(a, "--pool") || !strcmp(a, "--scheduler") ||
			   !strcmp(a, "--decisions") || !strcmp(a, "--shadow")) {
			const char *v;

			if (i + 1 >= argc)
				return usage_error("%s needs a value", a);
			v = argv[++i];
			if (!strcmp(a, "--config"))
				c.config = v;
			else if (!strcmp(a, "--cluster"))
				c.cluster = v;
			else if (!strcmp(a, "--pool"))
				c.pool = v;
			else if (!strcmp(a, "--scheduler"))
				c.scheduler = v;
			else if (!strcmp(a, "--decisions"))
				decisions_path = v;
			else
				c.shadow_path = v;
		} else if (!strncmp(a, "--config=", 9)) {
			c.config = a + 9;
		} else {
			return usage_error("unknown argument '%s'", a);
		}
	}
	if (!c.cluster || !*c.cluster)
		return usage_error("%s", "no cluster: give --cluster C (or set $CMAN_CLUSTER)");
	if (!c.pool || !*c.pool)
		return usage_error("%s", "no pool: give --pool P (or set $CMAN_POOL)");
	if (!c.scheduler || !*c.scheduler)
		c.scheduler = "mesos";
	if (strcmp(c.scheduler, "mesos") != 0)
		return usage_error("--scheduler '%s': live mode runs mesos pools only",
				   c.scheduler);
	if ((c.has_test_clock = test_clock(&c.test_start)) < 0) {
		fprintf(stderr, "clusterman-live autoscale: CMAN_LIVE_TEST_CLOCK: expected epoch "
			"seconds\n");
		return 2;
	}
	if (decisions_path && strcmp(decisions_path, "-") != 0 &&
	    !(c.out = fopen(decisions_path, "a"))) {
		cman_error_set(&err, CMAN_EIO, "%s: cannot open for appending: %s",
			       decisions_path, strerror(errno));
		return fail(&err);
	}
	if ((rc = setup_new(&c, &c.s, &err)) != 0) {
		status = fail(&err);
		goto out;
	}
	dopts.name = "autoscaler";
	dopts.cluster = c.cluster;
	dopts.pool = c.pool;
	dopts.period_seconds = c.s->lp->period_seconds;
	dopts.dry_run = !c.execute;
	dopts.load_data = true;
	dopts.prog = "clusterman-live autoscale";
	dopts.cycle = cycle;
	dopts.reload = reload;
	dopts.metrics = metrics;
	dopts.ctx = &c;
	snprintf(c.labels, sizeof(c.labels), "cluster=\"%s\",pool=\"%s\"", c.cluster, c.pool);
	if ((rc = cman_daemon_run(&dopts, &stats, &err)) != 0)
		status = fail(&err);
	else
		status = cman_daemon_exit_status(&dopts, &stats);
out:
	setup_free(c.s);
	if (c.out != stdout && fclose(c.out) != 0 && !status) {
		fprintf(stderr, "clusterman-live autoscale: %s: %s\n", decisions_path,
			strerror(errno));
		status = 1;
	}
	return status;
}
