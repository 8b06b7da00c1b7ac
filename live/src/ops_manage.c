/*
 * ops_manage.c - `clusterman-live manage`: set a live pool's target capacity
 * by hand (LIVE-SPEC §7.3), distributed over the groups and pruned as the
 * autoscaler does (cman_pool_modify), the scaling limits applied unless
 * --force, the change recorded as one decision line.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/autoscaler.h"
#include "cman/decision.h"
#include "cman/limits.h"
#include "cman/live/livepool.h"
#include "cman/live/ops.h"
#include "cman/time.h"
#include "ops_int.h"

static const char usage_manage[] =
	"usage: clusterman-live manage --cluster C --pool P --target N [--dry-run] [--force]\n"
	"                              [--scheduler S] [--config FILE]\n"
	"\n"
	"Sets the pool's target capacity to N (weighted units): distributed over the\n"
	"pool's resource groups and pruned as the autoscaler does.  A target the\n"
	"pool's scaling limits would change (min_capacity, max_capacity,\n"
	"max_weight_to_add, max_weight_to_remove) is refused, naming the limits,\n"
	"unless --force.  The change is printed on standard error and recorded as\n"
	"one decision line (the autoscale command's format) on standard output.\n"
	"The autoscaler overrides a manual target at its next cycle unless the pool\n"
	"is disabled first (clusterman-live disable).\n"
	"\n"
	"  --cluster C     the cluster (default $CMAN_CLUSTER)\n"
	"  --pool P        the pool (default $CMAN_POOL)\n"
	"  --scheduler S   the pool file's scheduler (default mesos)\n"
	"  --target N      the new target capacity (0 to 1e9)\n"
	"  --dry-run       say what would be done; call nothing that changes anything\n"
	"  --force         skip the scaling limits\n"
	"  --config FILE   the service file\n"
	"\n"
	"Exit status: 0 done, 2 bad usage/configuration or a target outside the\n"
	"limits, 1 a call failed (the decision line says which group).\n";

static int parse_target(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!s[0] || *end || errno || !isfinite(v) || v < 0 || v > CMAN_CAPACITY_MAX)
		return -1;
	*out = v;
	return 0;
}

static int manage(struct cman_live_pool *lp, const struct ops_args *a, double want,
		  struct cman_decision *d, struct cman_error *err)
{
	const struct cman_pool_config *pc = &lp->pf.config;
	const char *user = getenv("USER");
	double current, target;
	bool paused = false;
	int rc;

	if ((rc = cman_live_pool_refresh(lp, err)) != 0 ||
	    (rc = cman_pool_target(&lp->pm, &current, err)) != 0)
		return rc;
	d->time = cman_ops_now();
	d->current_target = current;
	d->computed_target = want;
	target = cman_autoscaler_constrain(pc, current, want, false, a->force, d);
	if (!a->force && target != want) {
		char msg[CMAN_ERRMSG_MAX] = "";
		size_t len = 0;

		for (size_t i = 0; i < d->n_clamps && len < sizeof(msg); i++)
			len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s",
						i ? "; " : "", d->clamps[i]);
		return cman_error_set(err, CMAN_EINVAL,
				      "--target %g: outside the pool's scaling limits (%s; "
				      "the limits would give %g); nothing changed (--force "
				      "skips the limits)", want, msg, target);
	}
	d->dry_run = a->dry_run;
	snprintf(d->reason, sizeof(d->reason), "manual: manage --target %g%s by %s", want,
		 a->force ? " --force" : "", user && user[0] ? user : "unknown user");
	if ((rc = cman_store_paused(lp->store, lp->entity, d->time, &paused, NULL, err)) == 0)
		d->paused = paused;
	else
		cman_error_clear(err);   /* only for the reminder below */
	rc = cman_pool_modify(&lp->pm, target, d, err);
	fprintf(stderr, "%s: target capacity for %s.%s on %s %s from %g to %g by %s%s\n",
		"clusterman-live manage", lp->name, lp->scheduler, lp->cluster->name,
		a->dry_run ? "would be manually changed" : "manually changed", current, target,
		user && user[0] ? user : "unknown user", rc ? " (with errors, below)" : "");
	if (!paused && !a->dry_run)
		fprintf(stderr, "clusterman-live manage: the autoscaler is not paused and will "
			"set its own target at its next cycle (clusterman-live disable first to "
			"keep this one)\n");
	return rc;
}

int cman_live_cmd_manage(int argc, char **argv, const char *config)
{
	struct cman_live_config cfg;
	struct cman_live_pool *lp;
	struct cman_decision d;
	struct cman_error err = {0};
	struct ops_args a;
	double want;
	int rc, wrc;

	if ((rc = cman_ops_parse(argc, argv, config, OPS_TARGET | OPS_DRY_RUN | OPS_FORCE,
				 usage_manage, &a)) != 0)
		return rc < 0 ? 0 : rc;
	if (!a.target)
		return cman_ops_usage_error(usage_manage, "%s: which target? (--target N)",
					    "missing --target");
	if (parse_target(a.target, &want) != 0)
		return cman_ops_usage_error(usage_manage, "--target '%s': expected a number "
					    "from 0 to 1e9", a.target);
	if ((rc = cman_ops_open(&a, true, &cfg, &lp, &err)) != 0)
		return cman_ops_fail("manage", &err);
	cman_live_pool_set_dry_run(lp, a.dry_run);
	cman_decision_init(&d);
	rc = manage(lp, &a, want, &d, &err);
	/* a decision was made (maybe with a group's failure): record it */
	if (d.n_groups || (!rc && lp->n_groups == 0)) {
		wrc = cman_decision_write_json_live(&d, stdout);
		if (!wrc && fflush(stdout) != 0)
			wrc = CMAN_EIO;
		if (wrc && !rc)
			rc = cman_error_set(&err, wrc, "cannot write the decision line");
	}
	cman_decision_release(&d);
	cman_ops_close(&cfg, lp);
	return rc ? cman_ops_fail("manage", &err) : 0;
}
