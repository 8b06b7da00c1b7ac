/*
 * runner.c - the pool runner: one autoscaler cycle (see runner.h).
 */
#include "cman/runner.h"

#include <limits.h>
#include <string.h>

#include "cman/time.h"

void cman_pool_runner_init(struct cman_pool_runner *r, struct cman_autoscaler *as,
			   int64_t period_seconds)
{
	memset(r, 0, sizeof(*r));
	r->as = as;
	r->period_seconds = period_seconds;
	cman_decision_init(&r->decision);
}

void cman_pool_runner_release(struct cman_pool_runner *r)
{
	cman_decision_release(&r->decision);
}

void cman_pool_runner_lost(struct cman_pool_runner *r, int n)
{
	r->lost = n > INT_MAX - r->lost ? INT_MAX : r->lost + n;
}

/* Reload the scheduler's view, then describe every group again. */
static int reload(struct cman_pool_runner *r, struct cman_error *err)
{
	struct cman_pool_manager *pm = r->as->pm;
	int rc;

	if (pm->conn && pm->conn->ops->reload &&
	    (rc = pm->conn->ops->reload(pm->conn, err)) != 0)
		return rc;
	return cman_pool_refresh(pm, err);
}

/* Did the run get as far as a complete decision (cman_autoscaler_run:
 * a group's failure leaves one; anything else does not)? */
static bool recorded(int rc, const struct cman_decision *d)
{
	size_t i;

	if (rc == 0)
		return true;
	if (rc == CMAN_ENOMEM)
		return false;
	for (i = 0; i < d->n_groups; i++)
		if (d->groups[i].rc == rc)
			return true;
	return d->n_terminate_failed > 0;
}

int cman_pool_runner_cycle(struct cman_pool_runner *r, struct cman_error *err)
{
	struct cman_autoscaler *as = r->as;
	int64_t now = as->clock->ops->now(as->clock);
	char when[CMAN_TIME_BUFSZ];
	int rc, wrc = 0;

	cman_decision_reset(&r->decision);
	as->pm->dry_run = r->dry_run;
	rc = r->no_reload ? 0 : reload(r, err);
	if (!rc)
		rc = cman_autoscaler_run(as, r->lost, &r->decision, err);
	if (rc && !recorded(rc, &r->decision))
		goto fail;
	r->decision.dry_run = r->dry_run;
	r->lost = 0;
	r->cycles++;
	if (r->decision.signal_failed)
		r->signal_failures++;
	if (r->decisions) {
		wrc = r->live_record ? cman_decision_write_json_live(&r->decision, r->decisions)
				     : cman_decision_write_json(&r->decision, r->decisions);
		if (wrc && !rc)
			rc = cman_error_set(err, wrc, "decision record: %s", cman_strerror(wrc));
	}
	r->next_time = now + r->period_seconds;
	if (!rc)
		return 0;
fail:
	cman_error_prefix(err, "autoscaler run at %s", cman_time_format(now, when));
	return rc;
}
