/*
 * drain_mesos.c - the Mesos drainer (see drain_mesos.h).
 */
#include "cman/live/drain_mesos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000LL

struct cman_mesos_drainer {
	struct cman_drainer base;    /* first */
	struct cman_mesos *m;        /* borrowed */
};

static struct cman_mesos_drainer *md(struct cman_drainer *dr)
{
	return (struct cman_mesos_drainer *)dr;
}

/* How Mesos names machine m (hostname from the drain state, IP). */
static struct cman_mesos_machine name_of(const struct cman_drain_machine *m)
{
	return (struct cman_mesos_machine){ .hostname = m->hostname, .ip = m->ip };
}

static int md_start(struct cman_drainer *dr, struct cman_drain_machine *m, size_t n,
		    int64_t now, struct cman_error *err)
{
	struct cman_mesos *ms = md(dr)->m;
	struct cman_mesos_machine *v;
	int64_t until = now + 1;
	size_t i, k = 0;
	int rc;

	if (!(v = calloc(n ? n : 1, sizeof(*v))))
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const struct cman_mesos_agent *a = m[i].ip[0] ? cman_mesos_agent_by_ip(ms, m[i].ip)
							      : NULL;

		if (a && !m[i].hostname[0])
			snprintf(m[i].hostname, sizeof(m[i].hostname), "%s", a->hostname);
		if (!m[i].hostname[0] && !m[i].ip[0])
			continue;   /* no agent, no address: nothing to drain */
		v[k++] = name_of(&m[i]);
		if (m[i].deadline > until)
			until = m[i].deadline;
	}
	rc = k ? cman_mesos_drain(ms, v, k, now * NS_PER_S, (until - now) * NS_PER_S, err) : 0;
	free(v);
	return rc;
}

static bool same(const struct cman_mesos_machine *a, const struct cman_drain_machine *m)
{
	return !strcmp(a->hostname ? a->hostname : "", m->hostname) &&
	       !strcmp(a->ip ? a->ip : "", m->ip);
}

static int md_drained(struct cman_drainer *dr, const struct cman_drain_machine *m, size_t n,
		      bool *drained, struct cman_error *err)
{
	struct cman_mesos *ms = md(dr)->m;
	struct cman_mesos_maintenance st;
	size_t i, j;
	int rc;

	if ((rc = cman_mesos_maintenance_status(ms, &st, err)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		const struct cman_mesos_agent *a = m[i].ip[0] ? cman_mesos_agent_by_ip(ms, m[i].ip)
							      : NULL;
		bool in = false;

		if (!a) {
			drained[i] = true;   /* its agent has left */
			continue;
		}
		for (j = 0; j < st.n_draining && !in; j++)
			in = same(&st.draining[j], &m[i]);
		for (j = 0; j < st.n_down && !in; j++)
			in = same(&st.down[j], &m[i]);
		drained[i] = in && a->tasks == 0;
	}
	cman_mesos_maintenance_release(&st);
	return 0;
}

/* down then up for v[0..n): out of the schedule. */
static int forget(struct cman_mesos *ms, const struct cman_mesos_machine *v, size_t n,
		  struct cman_error *err)
{
	int rc = cman_mesos_down(ms, v, n, err);

	return rc ? rc : cman_mesos_up(ms, v, n, err);
}

/* v out of the schedule: down (refused when it is already down or not
 * scheduled), then up (refused when it is not down: not scheduled at all);
 * refusals are not errors. */
static int forget_one(struct cman_mesos *ms, const struct cman_mesos_machine *v,
		      struct cman_error *err)
{
	int rc = cman_mesos_down(ms, v, 1, err);

	if (rc && rc != CMAN_EREJECTED)
		return rc;
	rc = cman_mesos_up(ms, v, 1, err);
	return rc == CMAN_EREJECTED ? 0 : rc;
}

static int md_release(struct cman_drainer *dr, const struct cman_drain_machine *m, size_t n,
		      struct cman_error *err)
{
	struct cman_mesos *ms = md(dr)->m;
	struct cman_mesos_machine *v;
	size_t i, k = 0;
	int rc = 0;

	if (!(v = calloc(n ? n : 1, sizeof(*v))))
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if (m[i].hostname[0] || m[i].ip[0])
			v[k++] = name_of(&m[i]);
	if (k)
		rc = forget(ms, v, k, err);
	if (rc == CMAN_EREJECTED) {
		/* one of them is not scheduled, or already down (brought down
		 * by an operator or maintenance tooling): one by one, and up
		 * even when down was refused, or a down machine would stay
		 * down and scheduled for ever */
		rc = 0;
		for (i = 0; i < k && !rc; i++)
			rc = forget_one(ms, &v[i], err);
	}
	free(v);
	return rc;
}

static const struct cman_drainer_ops mesos_drainer_ops = {
	.kind = "mesos",
	.start = md_start,
	.drained = md_drained,
	.release = md_release,
};

int cman_mesos_drainer_new(struct cman_mesos *m, struct cman_mesos_drainer **out,
			   struct cman_error *err)
{
	struct cman_mesos_drainer *d;

	*out = NULL;
	if (!m)
		return cman_error_set(err, CMAN_EINVAL, "Mesos drainer: no Mesos connector");
	if (!(d = calloc(1, sizeof(*d))))
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	d->base.ops = &mesos_drainer_ops;
	d->m = m;
	*out = d;
	return 0;
}

void cman_mesos_drainer_free(struct cman_mesos_drainer *d)
{
	free(d);
}

struct cman_drainer *cman_mesos_drainer(struct cman_mesos_drainer *d)
{
	return &d->base;
}
