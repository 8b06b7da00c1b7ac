/*
 * collect_cmd.c - the command `clusterman-live collect` (collect.h): options,
 * the configured store and EC2 client, and the loop.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/live/collect.h"
#include "cman/live/daemon.h"
#include "cman/live/dynamodb.h"
#include "cman/time.h"

static const char usage_collect[] =
	"usage: clusterman-live collect [--config FILE] [--cluster C] [--once | --cycles N]\n"
	"                               [--health-file FILE] [--metrics-file FILE]\n"
	"\n"
	"  --cluster C          the cluster (default $CMAN_CLUSTER)\n"
	CMAN_DAEMON_OPTIONS_HELP
	"  (without --once or --cycles: until SIGTERM or SIGINT)\n"
	"\n"
	"Clusterman's cluster metrics and spot price collectors in one loop.  Each\n"
	"cycle writes, for every Mesos pool file <pool>.mesos of the cluster, the\n"
	"pool's cpus/mem/disk/gpus_allocated (system_metrics) and\n"
	"cpus/mem/disk/gpus_total (metadata) as the Mesos master reports them,\n"
	"target_capacity, fulfilled_capacity (per market) and\n"
	"non_orphan_fulfilled_capacity (metadata) of its resource groups, and\n"
	"the region's spot prices (metadata spot_prices, de-duplicated per\n"
	"batches.spot_prices.dedupe_interval_seconds slot) to the service file's\n"
	"metrics store (metrics.sqlite, or DynamoDB: the tables are created when\n"
	"missing).  clusterman-sim replays that store (metrics: [{sqlite: FILE}] or\n"
	"[{dynamodb: {table_prefix: P}}] in a scenario).\n"
	"\n"
	"Cycles run every batches.cluster_metrics.run_interval_seconds, at a\n"
	"stable offset in the period (hash of the cluster's name); --once runs at\n"
	"once.  A pool the master or AWS cannot answer for is reported and skipped\n"
	"for that cycle; the others are still written.  SIGTERM or SIGINT ends\n"
	"the loop after the current cycle (exit 0); a second one ends the program\n"
	"at once.  One line per cycle on standard output.\n"
	"\n"
	"Test hook: CMAN_COLLECT_CLOCK=START[,STEP] (START a time or epoch seconds,\n"
	"STEP seconds, default the run interval) makes cycle i run at once with\n"
	"now = START + i*STEP instead of the wall clock.\n"
	"\n"
	"Exit status: 0 when the loop ended (bound reached, or stopped by a\n"
	"signal), 1 when the last cycle of --once or --cycles was not complete,\n"
	"2 for bad usage or configuration.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "clusterman-live collect: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage_collect);
	return 2;
}

static int fail(const struct cman_error *err)
{
	fprintf(stderr, "clusterman-live collect: %s\n",
		err->msg[0] ? err->msg : cman_strerror(err->code));
	return cman_exit_status(err->code ? err->code : CMAN_EINTERNAL);
}

/* CMAN_COLLECT_CLOCK=START[,STEP]. */
static int parse_clock(const char *s, int64_t def_step, int64_t *start, int64_t *step,
		       struct cman_error *err)
{
	char buf[64], *comma, *end;
	long long v;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", s);
	*step = def_step;
	if ((comma = strchr(buf, ','))) {
		*comma = 0;
		errno = 0;
		v = strtoll(comma + 1, &end, 10);
		if (errno || *end || end == comma + 1 || v <= 0)
			goto bad;
		*step = v;
	}
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (!errno && !*end && end != buf && cman_time_valid(v)) {
		*start = v;
		return 0;
	}
	if (cman_time_parse(buf, start) == 0)
		return 0;
bad:
	return cman_error_set(err, CMAN_EINVAL,
			      "CMAN_COLLECT_CLOCK='%s': expected START[,STEP] (a time or epoch "
			      "seconds, then seconds > 0)", s);
}

/*
 * The service file's store: the SQLite file (created when missing), or
 * DynamoDB "dynamodb://PREFIX[?region=R]" through a client made from the
 * service file (endpoint, key file) that *client_out keeps.
 */
static int open_store(const struct cman_live_config *cfg, const char *region,
		      struct cman_store **out, struct cman_aws_client **client_out,
		      struct cman_error *err)
{
	struct cman_dynamodb_options opt;
	struct cman_aws_config ac;
	const char *prefix, *q;
	char reg[64];
	size_t plen;
	int rc;

	*client_out = NULL;
	if (cfg->store_is_sqlite)
		return cman_store_sqlite_open(cfg->store, true, out, err);
	if (strncmp(cfg->store, "dynamodb://", 11) != 0)
		return cman_store_open(cfg->store, true, out, err);
	prefix = cfg->store + 11;
	q = strchr(prefix, '?');
	plen = q ? (size_t)(q - prefix) : strlen(prefix);
	cman_dynamodb_options_init(&opt);
	if (plen >= sizeof(opt.table_prefix))
		return cman_error_set(err, CMAN_EINVAL, "%s: table prefix too long", cfg->store);
	if (plen)
		snprintf(opt.table_prefix, sizeof(opt.table_prefix), "%.*s", (int)plen, prefix);
	snprintf(reg, sizeof(reg), "%s", q && !strncmp(q, "?region=", 8) ? q + 8 : region);
	opt.create_tables = true;
	cman_live_config_aws(cfg, reg, &ac);
	if ((rc = cman_aws_client_new(&ac, client_out, err)) != 0)
		return rc;
	if ((rc = cman_store_dynamodb_open(*client_out, &opt, out, err)) != 0) {
		cman_aws_client_free(*client_out);
		*client_out = NULL;
	}
	return rc;
}

static void report(const char *cluster, const struct cman_collect_stats *st, size_t n_pools)
{
	char when[CMAN_TIME_BUFSZ], a[CMAN_TIME_BUFSZ], b[CMAN_TIME_BUFSZ];

	printf("%s cluster %s: %zu of %zu pools, %zu metric samples", cman_time_format(st->t, when),
	       cluster, st->pools, n_pools, st->metric_samples);
	if (st->prices_read && !st->prices_error)
		printf(", %zu spot prices (%s..%s)", st->price_samples,
		       cman_time_format(st->prices_from, a), cman_time_format(st->prices_to, b));
	else if (st->prices_error)
		printf(", spot prices not read (%s)", cman_strerror(st->prices_error));
	putchar('\n');
	fflush(stdout);
}

struct run {
	struct cman_collector *col;
	const char *cluster;
	bool clock;                 /* the test clock is set */
	int64_t start, step;
};

static int cycle(void *ctx, struct cman_daemon *d, struct cman_daemon_cycle *c,
		 struct cman_error *err)
{
	struct run *r = ctx;
	struct cman_collect_stats st;
	int64_t now = r->clock ? r->start + (int64_t)c->index * r->step : c->now;
	int rc;

	(void)d;
	rc = cman_collector_cycle(r->col, now, &st, err);
	report(r->cluster, &st, cman_collector_pool_count(r->col));
	return rc;
}

int cman_collect_main(int argc, char **argv, const char *config)
{
	struct cman_live_config cfg;
	struct cman_error err = { 0 };
	struct cman_store *store = NULL;
	struct cman_aws_client *ddb = NULL, *ec2 = NULL;
	struct cman_collect_options opt = { 0 };
	struct cman_daemon_opts dop = { 0 };
	struct cman_daemon_stats dst;
	struct cman_aws_config ac;
	struct run run = { 0 };
	const char *cluster = getenv("CMAN_CLUSTER"), *clock_env = getenv("CMAN_COLLECT_CLOCK");
	const struct cman_live_cluster *cl;
	bool loaded = false;
	int i, status = 0, rc;

	dop.name = "collector";
	dop.prog = "clusterman-live collect";
	dop.dry_run = false;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_collect, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--config")) {
			if (++i >= argc)
				return usage_error("%s needs a file", "--config");
			config = argv[i];
		} else if (!strncmp(argv[i], "--config=", 9)) {
			config = argv[i] + 9;
		} else if (!strcmp(argv[i], "--cluster")) {
			if (++i >= argc)
				return usage_error("%s needs a cluster name", "--cluster");
			cluster = argv[i];
		} else if ((rc = cman_daemon_option(&dop, argc, argv, &i, &err)) != 0) {
			if (rc < 0)
				return usage_error("%s", err.msg);
		} else if (argv[i][0] == '-') {
			return usage_error("unknown option '%s'", argv[i]);
		} else {
			return usage_error("unexpected argument '%s'", argv[i]);
		}
	}
	if (!cluster || !cluster[0])
		return usage_error("%s", "--cluster is required (or $CMAN_CLUSTER)");
	if ((rc = cman_live_config_load(cman_live_config_find(config), &cfg, &err)) != 0)
		return fail(&err);
	loaded = true;
	if (!(cl = cman_live_config_cluster(&cfg, cluster))) {
		rc = cman_error_set(&err, CMAN_EINVAL, "%s: no cluster '%s' in the service file",
				    cfg.path, cluster);
		goto out;
	}
	if (clock_env && clock_env[0]) {
		if ((rc = parse_clock(clock_env, cfg.metrics_interval, &run.start, &run.step,
				      &err)) != 0)
			goto out;
		run.clock = true;
		/* the test clock runs the cycles back to back */
		if (!getenv("CMAN_LIVE_TEST_PERIOD_MS"))
			setenv("CMAN_LIVE_TEST_PERIOD_MS", "0", 1);
	}
	if ((rc = open_store(&cfg, cl->region, &store, &ddb, &err)) != 0)
		goto out;
	cman_live_config_aws(&cfg, cl->region, &ac);
	if ((rc = cman_aws_client_new(&ac, &ec2, &err)) != 0)
		goto out;
	opt.cfg = &cfg;
	opt.cluster = cluster;
	opt.store = store;
	opt.ec2 = ec2;
	opt.log = stderr;
	if ((rc = cman_collector_new(&opt, &run.col, &err)) != 0)
		goto out;
	run.cluster = cluster;
	dop.cluster = cluster;
	dop.period_seconds = cfg.metrics_interval;
	dop.cycle = cycle;
	dop.ctx = &run;
	if ((rc = cman_daemon_run(&dop, &dst, &err)) != 0)
		goto out;
	status = cman_daemon_exit_status(&dop, &dst);
out:
	if (rc)
		status = fail(&err);
	cman_collector_free(run.col);
	cman_store_free(store);
	cman_aws_client_free(ec2);
	cman_aws_client_free(ddb);
	if (loaded)
		cman_live_config_release(&cfg);
	return status;
}
