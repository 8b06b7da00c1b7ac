/*
 * ops_cmd.c - the operator commands' command lines: disable, enable
 * (status and manage: ops_status.c, ops_manage.c).  Shared option parsing
 * and pool opening for the four commands (ops_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cman/live/livepool.h"
#include "cman/live/ops.h"
#include "cman/time.h"
#include "ops_int.h"

static const char usage_disable[] =
	"usage: clusterman-live disable --cluster C --pool P [--scheduler S] [--until TIME]\n"
	"                               [--config FILE]\n"
	"\n"
	"Pauses the pool's autoscaler until TIME: writes Clusterman's autoscaler_paused\n"
	"item (state table, entity <cluster>.<pool>.<scheduler>), so this daemon and a\n"
	"Clusterman daemon sharing the table both leave the pool alone until then.\n"
	"\n"
	"  --cluster C     the cluster (default $CMAN_CLUSTER)\n"
	"  --pool P        the pool (default $CMAN_POOL)\n"
	"  --scheduler S   the pool file's scheduler (default mesos)\n"
	"  --until TIME    until when (default: 30 minutes from now): a duration from\n"
	"                  now (30m, +5m, 1h30m, 2d; units s, m, h, d, w), 'now', epoch\n"
	"                  seconds, or an ISO 8601 time such as 2024-05-01T18:00:00Z\n"
	"                  (Z, +HH:MM or -HH:MM; no zone means UTC; a date alone is its\n"
	"                  midnight UTC).  A time already past is refused (exit 2).\n"
	"  --config FILE   the service file\n"
	"\n"
	"Exit status: 0 paused (and read back), 2 bad usage/configuration/time,\n"
	"1 the store could not be written or read back.\n";

static const char usage_enable[] =
	"usage: clusterman-live enable --cluster C --pool P [--scheduler S] [--config FILE]\n"
	"\n"
	"Resumes the pool's autoscaler at once: deletes Clusterman's autoscaler_paused\n"
	"item (a capacity offset is left as it is).  Enabling a pool that is not\n"
	"paused is not an error.\n"
	"\n"
	"  --cluster C     the cluster (default $CMAN_CLUSTER)\n"
	"  --pool P        the pool (default $CMAN_POOL)\n"
	"  --scheduler S   the pool file's scheduler (default mesos)\n"
	"  --config FILE   the service file\n"
	"\n"
	"Exit status: 0 enabled (and read back), 2 bad usage/configuration,\n"
	"1 the store could not be written or read back.\n";

static const char *prog = "clusterman-live";

int cman_ops_usage_error(const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

int cman_ops_fail(const char *cmd, const struct cman_error *err)
{
	fprintf(stderr, "%s %s: %s\n", prog, cmd,
		err->msg[0] ? err->msg : cman_strerror(err->code));
	return cman_exit_status(err->code ? err->code : CMAN_EINTERNAL);
}

static int need_value(int argc, char **argv, int *i, const char *usage, const char **out)
{
	if (*i + 1 >= argc)
		return cman_ops_usage_error(usage, "%s needs a value", argv[*i]);
	*out = argv[++*i];
	return 0;
}

int cman_ops_parse(int argc, char **argv, const char *config, unsigned allowed,
		   const char *usage, struct ops_args *a)
{
	memset(a, 0, sizeof(*a));
	a->config = config;
	a->cluster = getenv("CMAN_CLUSTER");
	a->pool = getenv("CMAN_POOL");
	a->scheduler = "mesos";
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		int rc = 0;

		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(usage, stdout);
			return -1;
		} else if (!strcmp(arg, "--config")) {
			rc = need_value(argc, argv, &i, usage, &a->config);
		} else if (!strncmp(arg, "--config=", 9)) {
			a->config = arg + 9;
		} else if (!strcmp(arg, "--cluster")) {
			rc = need_value(argc, argv, &i, usage, &a->cluster);
		} else if (!strcmp(arg, "--pool")) {
			rc = need_value(argc, argv, &i, usage, &a->pool);
		} else if (!strcmp(arg, "--scheduler")) {
			rc = need_value(argc, argv, &i, usage, &a->scheduler);
		} else if ((allowed & OPS_UNTIL) && !strcmp(arg, "--until")) {
			rc = need_value(argc, argv, &i, usage, &a->until);
		} else if ((allowed & OPS_TARGET) && !strcmp(arg, "--target")) {
			rc = need_value(argc, argv, &i, usage, &a->target);
		} else if ((allowed & OPS_JSON) && !strcmp(arg, "--json")) {
			a->json = true;
		} else if ((allowed & OPS_DRY_RUN) && !strcmp(arg, "--dry-run")) {
			a->dry_run = true;
		} else if ((allowed & OPS_FORCE) && !strcmp(arg, "--force")) {
			a->force = true;
		} else if (arg[0] == '-') {
			return cman_ops_usage_error(usage, "unknown option '%s'", arg);
		} else {
			return cman_ops_usage_error(usage, "unexpected argument '%s'", arg);
		}
		if (rc)
			return rc;
	}
	if (!a->cluster || !a->cluster[0])
		return cman_ops_usage_error(usage, "%s: which cluster? (--cluster C or "
					    "$CMAN_CLUSTER)", "missing --cluster");
	if (!a->pool || !a->pool[0])
		return cman_ops_usage_error(usage, "%s: which pool? (--pool P or $CMAN_POOL)",
					    "missing --pool");
	if (strcmp(a->scheduler, "mesos") && strcmp(a->scheduler, "kubernetes"))
		return cman_ops_usage_error(usage, "--scheduler '%s': expected mesos or "
					    "kubernetes", a->scheduler);
	return 0;
}

int cman_ops_open(const struct ops_args *a, bool discover, struct cman_live_config *cfg,
		  struct cman_live_pool **lp, struct cman_error *err)
{
	struct cman_live_pool_opts o;
	int rc;

	*lp = NULL;
	if ((rc = cman_live_config_load(cman_live_config_find(a->config), cfg, err)) != 0)
		return rc;
	cman_live_pool_opts_init(&o);
	o.dry_run = true;
	o.no_signal = true;
	o.no_discovery = !discover;
	if ((rc = cman_live_pool_open(cfg, a->cluster, a->pool, a->scheduler, &o, lp, err)) != 0)
		cman_live_config_release(cfg);
	return rc;
}

void cman_ops_close(struct cman_live_config *cfg, struct cman_live_pool *lp)
{
	cman_live_pool_close(lp);
	cman_live_config_release(cfg);
}

int64_t cman_ops_now(void)
{
	return (int64_t)time(NULL);
}

static void fmt_until(int64_t t, char *buf)
{
	if (t == INT64_MAX)
		snprintf(buf, CMAN_TIME_BUFSZ, "further notice");
	else
		cman_time_format(t, buf);
}

int cman_live_cmd_disable(int argc, char **argv, const char *config)
{
	struct cman_live_config cfg;
	struct cman_live_pool *lp;
	struct cman_error err = {0};
	struct cman_ops_pause o;
	struct ops_args a;
	char now_s[CMAN_TIME_BUFSZ], until_s[CMAN_TIME_BUFSZ], was_s[CMAN_TIME_BUFSZ];
	int64_t now, until;
	int rc;

	if ((rc = cman_ops_parse(argc, argv, config, OPS_UNTIL, usage_disable, &a)) != 0)
		return rc < 0 ? 0 : rc;
	now = cman_ops_now();
	if (a.until) {
		if (cman_ops_parse_until(a.until, now, &until, &err) != 0)
			return cman_ops_usage_error(usage_disable, "%s", err.msg);
	} else {
		until = now + CMAN_OPS_DEFAULT_PAUSE;
		printf("No --until given: pausing for 30 minutes (Clusterman's default).\n");
	}
	if ((rc = cman_ops_open(&a, false, &cfg, &lp, &err)) != 0)
		return cman_ops_fail("disable", &err);
	rc = cman_ops_disable(lp->store, lp->entity, now, until, &o, &err);
	if (rc == 0) {
		cman_time_format(now, now_s);
		fmt_until(o.until, until_s);
		if (o.was_paused) {
			fmt_until(o.was_until, was_s);
			printf("It was already paused until %s; the new pause replaces it.\n",
			       was_s);
		}
		printf("The autoscaler for %s was paused at %s until %s\n", lp->entity, now_s,
		       until_s);
	}
	cman_ops_close(&cfg, lp);
	return rc ? cman_ops_fail("disable", &err) : 0;
}

int cman_live_cmd_enable(int argc, char **argv, const char *config)
{
	struct cman_live_config cfg;
	struct cman_live_pool *lp;
	struct cman_error err = {0};
	struct cman_ops_pause o;
	struct ops_args a;
	char now_s[CMAN_TIME_BUFSZ], was_s[CMAN_TIME_BUFSZ];
	int64_t now;
	int rc;

	if ((rc = cman_ops_parse(argc, argv, config, 0, usage_enable, &a)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = cman_ops_open(&a, false, &cfg, &lp, &err)) != 0)
		return cman_ops_fail("enable", &err);
	now = cman_ops_now();
	rc = cman_ops_enable(lp->store, lp->entity, now, &o, &err);
	if (rc == 0) {
		cman_time_format(now, now_s);
		if (o.was_paused) {
			fmt_until(o.was_until, was_s);
			printf("The autoscaler for %s was enabled at %s (it was paused until %s)\n",
			       lp->entity, now_s, was_s);
		} else {
			printf("The autoscaler for %s was enabled at %s (it was not paused)\n",
			       lp->entity, now_s);
		}
	}
	cman_ops_close(&cfg, lp);
	return rc ? cman_ops_fail("enable", &err) : 0;
}
