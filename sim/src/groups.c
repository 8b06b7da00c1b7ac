/*
 * groups.c - simulated resource groups (SPEC §5): Spot Fleets with their
 * allocation strategies and Auto Scaling groups, behind the resource-group
 * interface the pool manager drives; spot interruptions.
 *
 * Market capacity model (for capacityOptimized and priceCapacityOptimized):
 * the simulator has no record of how much spare capacity a spot market has,
 * so it takes the market's price relative to its on-demand price as the
 * signal of scarcity: a market whose spot price is a smaller fraction of the
 * on-demand price is taken to have more spare capacity.
 *   - capacityOptimized puts new capacity in the available market with the
 *     lowest spot/on-demand ratio;
 *   - priceCapacityOptimized ranks the available markets by that ratio,
 *     keeps the better half (rounded up) and picks the lowest price per
 *     unit of weight among them;
 *   - lowestPrice picks the lowest price per unit of weight;
 *   - diversified spreads the target evenly over the available markets.
 * Ties go to the launch specification listed first.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/grow.h"
#include "cman/limits.h"
#include "cman/time.h"
#include "sim_int.h"

static struct sim_group *as_group(const struct cman_resource_group *rg)
{
	return (struct sim_group *)rg;
}

/* ---- instance bookkeeping -------------------------------------------------- */

static int spec_add(struct sim_spec *sp, struct sim_instance *in, uint32_t id)
{
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? 2 * sp->cap : 16;
		uint32_t *ids = realloc(sp->ids, cap * sizeof(*ids));

		if (!ids)
			return CMAN_ENOMEM;
		sp->ids = ids;
		sp->cap = cap;
	}
	in->slot = (uint32_t)sp->n;
	sp->ids[sp->n++] = id;
	return 0;
}

void sim_group_forget(struct sim_group *g, uint32_t id)
{
	struct sim_instance *in = &g->sim->inst[id];
	struct sim_spec *sp = &g->specs[in->spec];
	uint32_t last = sp->ids[--sp->n];

	/* swap-remove: the last instance takes the slot */
	sp->ids[in->slot] = last;
	g->sim->inst[last].slot = in->slot;
	g->fulfilled -= in->weight;
	if (in->joined && g->weights_exact)
		g->joined_weight -= (uint64_t)in->weight;
	g->view_valid = false;
}

void sim_group_joined(struct sim_group *g, uint32_t id)
{
	if (g->weights_exact)
		g->joined_weight += (uint64_t)g->sim->inst[id].weight;
}

/* Instance id launched without its agent: at the back of g->unjoined. */
static int unjoined_push(struct sim_group *g, uint32_t id)
{
	if (g->unjoined_head > 0 && g->unjoined_head >= g->unjoined_n / 2) {
		/* the front half is gone: move the rest down */
		g->unjoined_n -= g->unjoined_head;
		memmove(g->unjoined, g->unjoined + g->unjoined_head,
			g->unjoined_n * sizeof(*g->unjoined));
		g->unjoined_head = 0;
	}
	if (cman_grow((void **)&g->unjoined, &g->unjoined_cap, g->unjoined_n + 1,
		      sizeof(*g->unjoined)))
		return CMAN_ENOMEM;
	g->unjoined[g->unjoined_n++] = id;
	return 0;
}

static int launch_in(struct sim_group *g, size_t s, bool immediate, struct cman_error *err)
{
	struct sim_spec *sp = &g->specs[s];
	uint32_t gi = (uint32_t)(g - g->sim->groups), id;
	int rc = g->sim->group_host->launch(g->sim, sp->market, gi, (uint32_t)s, sp->spot, sp->bid, sp->weight,
			    immediate, &id, err);

	if (rc)
		return rc;
	rc = spec_add(sp, &g->sim->inst[id], id);
	if (!rc && !g->sim->inst[id].joined)
		rc = unjoined_push(g, id);
	if (rc)
		return cman_error_set(err, rc, "out of memory");
	g->fulfilled += sp->weight;
	g->view_valid = false;
	return 0;
}

static double spec_capacity(const struct sim_spec *sp)
{
	return (double)sp->n * sp->weight;
}

/* A spot market is available when its bid is at least the current price. */
static bool spec_available(const struct sim_group *g, const struct sim_spec *sp)
{
	return !sp->spot || sp->bid >= sim_market_price(g->sim, sp->market);
}

/* ---- allocation strategies ------------------------------------------------- */

struct cand {
	size_t spec;
	double residual;
	double price;              /* per unit of weight */
	double ratio;              /* spot / on-demand */
};

static int cmp_residual(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->residual != y->residual)
		return x->residual < y->residual ? -1 : 1;
	if (x->price != y->price)
		return x->price < y->price ? -1 : 1;
	return x->spec < y->spec ? -1 : x->spec > y->spec;
}

static int cmp_ratio(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->ratio != y->ratio)
		return x->ratio < y->ratio ? -1 : 1;
	return x->spec < y->spec ? -1 : x->spec > y->spec;
}

static int cmp_price(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->price != y->price)
		return x->price < y->price ? -1 : 1;
	return x->spec < y->spec ? -1 : x->spec > y->spec;
}

/*
 * Diversified (SPEC §5): split the target evenly over the available
 * markets; visit them by (residual, price) ascending; fill each residual
 * with whole instances and spread the overshoot evenly as a correction over
 * the markets still to visit (a market already covered passes its excess on).
 */
static int fill_diversified(struct sim_group *g, struct cand *c, size_t n,
			    double unavailable, bool immediate, struct cman_error *err)
{
	double share = (g->target - unavailable) / (double)n, corr = 0;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		c[i].residual = share - spec_capacity(&g->specs[c[i].spec]);
	qsort(c, n, sizeof(*c), cmp_residual);
	for (i = 0; i < n; i++) {
		struct sim_spec *sp = &g->specs[c[i].spec];
		double need = c[i].residual - corr, over;
		long k = 0;

		if (need > 1e-9) {
			k = (long)ceil(need / sp->weight - 1e-9);
			over = (double)k * sp->weight - need;
		} else {
			over = -need;
		}
		for (; k > 0; k--) {
			rc = launch_in(g, c[i].spec, immediate, err);
			if (rc)
				return rc;
		}
		if (i + 1 < n)
			corr += over / (double)(n - i - 1);
	}
	return 0;
}

/* The other strategies put all new capacity in one chosen market. */
static int fill_single(struct sim_group *g, size_t spec, bool immediate,
		       struct cman_error *err)
{
	int rc;

	while (g->fulfilled < g->target - 1e-9) {
		rc = launch_in(g, spec, immediate, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int fill_now(struct sim_group *g, bool immediate, struct cman_error *err)
{
	struct cand stack[64], *c = stack;
	double unavailable = 0;
	size_t n = 0, s, pick;
	int rc = 0;

	/* issue 9.6: bounded work, and no double outside a long below */
	if (!(g->target >= 0 && g->target <= CMAN_CAPACITY_MAX))
		return cman_error_set(err, CMAN_EINVAL, "resource group '%s': target capacity %g "
				      "is out of range, expected a number from 0 to 1e9",
				      g->cfg->id, g->target);
	for (size_t k = 0; k < g->n_specs; k++)
		if (g->target / g->specs[k].weight > CMAN_INSTANCES_MAX)
			return cman_error_set(err, CMAN_EINVAL, "resource group '%s': target "
					      "capacity %g needs more than %d instances of weight "
					      "%g, the limit", g->cfg->id, g->target, CMAN_INSTANCES_MAX,
					      g->specs[k].weight);
	if (g->fulfilled >= g->target - 1e-9)
		return 0;
	if (g->n_specs > sizeof(stack) / sizeof(stack[0])) {
		c = malloc(g->n_specs * sizeof(*c));
		if (!c)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	for (s = 0; s < g->n_specs; s++) {
		struct sim_spec *sp = &g->specs[s];
		const struct sim_market *m = &g->sim->markets[sp->market];
		double p = sp->spot ? sim_market_price(g->sim, sp->market) : m->ondemand_price;

		if (!spec_available(g, sp)) {
			unavailable += spec_capacity(sp);
			continue;
		}
		c[n].spec = s;
		c[n].price = p / sp->weight;
		c[n].ratio = m->ondemand_price > 0 ? p / m->ondemand_price : 1;
		c[n].residual = 0;
		n++;
	}
	if (n == 0)
		goto out;   /* every market is outbid: the fleet waits */
	if (g->cfg->type == CMAN_RG_ASG) {
		/* an ASG balances its zones: the zone with the fewest instances */
		while (g->fulfilled < g->target - 1e-9 && !rc) {
			pick = 0;
			for (s = 1; s < n; s++)
				if (g->specs[c[s].spec].n < g->specs[c[pick].spec].n)
					pick = s;
			rc = launch_in(g, c[pick].spec, immediate, err);
		}
		goto out;
	}
	switch (g->cfg->strategy) {
	case CMAN_ALLOC_DIVERSIFIED:
		rc = fill_diversified(g, c, n, unavailable, immediate, err);
		break;
	case CMAN_ALLOC_LOWEST_PRICE:
		qsort(c, n, sizeof(*c), cmp_price);
		rc = fill_single(g, c[0].spec, immediate, err);
		break;
	case CMAN_ALLOC_CAPACITY_OPTIMIZED:
		qsort(c, n, sizeof(*c), cmp_ratio);
		rc = fill_single(g, c[0].spec, immediate, err);
		break;
	case CMAN_ALLOC_PRICE_CAPACITY_OPTIMIZED:
		qsort(c, n, sizeof(*c), cmp_ratio);
		n = (n + 1) / 2;
		qsort(c, n, sizeof(*c), cmp_price);
		rc = fill_single(g, c[0].spec, immediate, err);
		break;
	}
out:
	if (c != stack)
		free(c);
	return rc;
}

/* A shortfall of g ended at until: report it when it lasted long enough. */
static int short_end(struct sim_group *g, int64_t until)
{
	char a[CMAN_TIME_BUFSZ], b[CMAN_TIME_BUFSZ];
	int64_t len = until - g->short_since;
	int rc = 0;

	if (len >= SHORT_WARN_SECONDS) {
		g->n_short++;
		g->short_seconds += (uint64_t)len;
		if (g->n_short <= SHORT_WARN_MAX)
			rc = sim_warn(g->sim, "resource group %s: fulfilled capacity below its "
				      "target from %s to %s (%.1f h, down to %g units): no "
				      "launch specification was available (spot price above "
				      "the bid) while it retried every %d s",
				      g->base.id, cman_time_format(g->short_since, a),
				      cman_time_format(until, b), (double)len / 3600.0,
				      g->short_least, REPLENISH_SECONDS);
	}
	g->short_since = NO_TIME;
	return rc;
}

/*
 * Fill g up to its target; a group still below it (every market outbid)
 * tries again REPLENISH_SECONDS later, as long as it stays below, like a
 * "maintain" Spot Fleet or an Auto Scaling group.
 */
int sim_group_fill(struct sim_group *g, bool immediate, struct cman_error *err)
{
	struct cman_sim *sim = g->sim;
	int rc = fill_now(g, immediate, err);

	if (rc)
		return rc;
	if (g->fulfilled >= g->target - 1e-9) {
		if (g->short_since != NO_TIME && short_end(g, sim->now))
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		return 0;
	}
	if (g->short_since == NO_TIME) {
		g->short_since = sim->now;
		g->short_least = g->fulfilled;
	} else if (g->fulfilled < g->short_least) {
		g->short_least = g->fulfilled;
	}
	if (!g->replenish_pending && sim->now + REPLENISH_SECONDS < sim->sc->end_time) {
		rc = cman_queue_push(&sim->q, sim->now + REPLENISH_SECONDS, CMAN_PRIO_CLUSTER,
				     EV_REPLENISH, (uint64_t)(g - sim->groups));
		if (rc)
			return cman_error_set(err, rc, "out of memory");
		g->replenish_pending = true;
	}
	return 0;
}

int sim_groups_replenish(struct cman_sim *sim, uint32_t gi, struct cman_error *err)
{
	struct sim_group *g = &sim->groups[gi];

	g->replenish_pending = false;
	return sim_group_fill(g, false, err);
}

int sim_groups_finish(struct cman_sim *sim, struct cman_error *err)
{
	size_t i;

	for (i = 0; i < sim->n_groups; i++) {
		struct sim_group *g = &sim->groups[i];

		if (g->short_since != NO_TIME && short_end(g, sim->sc->end_time))
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		if (g->n_short > SHORT_WARN_MAX &&
		    sim_warn(sim, "resource group %s: %" PRIu64 " periods below its target of "
			     "at least %d s, %.1f h in all (only the first %d are listed)",
			     g->base.id, g->n_short, SHORT_WARN_SECONDS,
			     (double)g->short_seconds / 3600.0, SHORT_WARN_MAX))
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- the resource-group interface ------------------------------------------- */

static int rg_target(const struct cman_resource_group *rg, double *out, struct cman_error *err)
{
	(void)err;
	*out = as_group(rg)->target;
	return 0;
}

static int rg_fulfilled(const struct cman_resource_group *rg, double *out,
			struct cman_error *err)
{
	(void)err;
	*out = as_group(rg)->fulfilled;
	return 0;
}

static int rg_instances(struct cman_resource_group *rg, const struct cman_rg_instance **out,
			size_t *n_out, struct cman_error *err)
{
	struct sim_group *g = as_group(rg);
	size_t total = 0, s, i, k = 0;

	/* the pool manager asks several times per run: rebuild on change only */
	if (g->view_valid) {
		*out = g->view;
		*n_out = g->view_n;
		return 0;
	}
	*out = NULL;
	*n_out = 0;
	for (s = 0; s < g->n_specs; s++)
		total += g->specs[s].n;
	if (total > g->view_cap) {
		size_t cap = g->view_cap, idcap = g->view_cap;

		/* the view and its ids grow together (an allocation failure is
		 * reported, never an empty group) */
		if (cman_grow((void **)&g->view, &cap, total, sizeof(*g->view)) ||
		    cman_grow((void **)&g->view_ids, &idcap, total, sizeof(*g->view_ids)))
			return cman_error_set(err, CMAN_ENOMEM, "resource group '%s': out of "
					      "memory listing %zu instances", rg->id, total);
		g->view_cap = cap < idcap ? cap : idcap;
	}
	for (s = 0; s < g->n_specs; s++) {
		const struct sim_spec *sp = &g->specs[s];
		const struct sim_market *m = &g->sim->markets[sp->market];

		for (i = 0; i < sp->n; i++) {
			const struct sim_instance *in = &g->sim->inst[sp->ids[i]];
			struct cman_rg_instance *v = &g->view[k];

			sim_format_id(g->view_ids[k], sp->ids[i]);
			v->id = g->view_ids[k];
			v->ip = NULL;   /* the simulated connector matches by id */
			v->state = CMAN_INSTANCE_RUNNING;
			v->instance_type = m->type;
			v->az = m->az;
			v->weight = in->weight;
			v->launch_time = in->start;
			v->spot = in->spot;
			v->cordoned = false;
			v->agent_key = (uint64_t)sp->ids[i] + 1;   /* connector.c */
			k++;
		}
	}
	*out = g->view;
	*n_out = k;
	g->view_n = k;
	g->view_valid = true;
	return 0;
}

static int rg_modify_target(struct cman_resource_group *rg, double target, bool dry_run,
			    struct cman_error *err)
{
	struct sim_group *g = as_group(rg);

	if (dry_run)
		return 0;
	g->target = target;
	/* lowering the target terminates nothing: the autoscaler prunes */
	return sim_group_fill(g, false, err);
}

/* An instance id back to the instance index; false when not ours. */
static bool parse_id(const struct cman_sim *sim, const char *id, uint32_t *out)
{
	return sim_parse_id(id, out) && *out < sim->n_inst;
}

static int rg_terminate(struct cman_resource_group *rg, const char *const *ids, size_t n,
			bool dry_run, size_t *n_done, bool *failed, struct cman_error *err)
{
	struct sim_group *g = as_group(rg);
	uint32_t gi = (uint32_t)(g - g->sim->groups);
	size_t i, done = 0;

	for (i = 0; i < n; i++) {
		uint32_t id;
		struct sim_instance *in;

		if (!parse_id(g->sim, ids[i], &id))
			continue;
		in = &g->sim->inst[id];
		if (in->group != gi || in->end != NO_TIME)
			continue;
		done++;
		if (dry_run)
			continue;
		sim_group_forget(g, id);
		g->sim->group_host->finish(g->sim, id, false);
	}
	if (n_done)
		*n_done = done;
	(void)failed;   /* a simulated termination cannot fail */
	/* after terminations a fleet refills up to its target */
	return dry_run ? 0 : sim_group_fill(g, false, err);
}

static bool rg_is_stale(const struct cman_resource_group *rg)
{
	return false;
}

/*
 * The pool manager's summary (cman/resource_group.h) from the counts kept
 * as instances launch, join and end: every listed instance runs, its agent
 * is joined exactly when in->joined (connector.c), else orphaned since its
 * launch.  Not given when a weight is not a whole number (a sum of the
 * weights could then depend on its order).
 */
static bool rg_summary(struct cman_resource_group *rg, struct cman_rg_summary *out)
{
	struct sim_group *g = as_group(rg);
	const struct sim_instance *inst = g->sim->inst;
	size_t s;

	if (!g->weights_exact || g->joined_weight > (UINT64_C(1) << 53))
		return false;
	out->n = 0;
	out->lightest = INFINITY;
	for (s = 0; s < g->n_specs; s++) {
		out->n += g->specs[s].n;
		if (g->specs[s].n && g->specs[s].weight < out->lightest)
			out->lightest = g->specs[s].weight;
	}
	out->joined = (double)g->joined_weight;
	/* launch order is time order: the front is the oldest orphan */
	while (g->unjoined_head < g->unjoined_n) {
		const struct sim_instance *in = &inst[g->unjoined[g->unjoined_head]];

		if (!in->joined && in->end == NO_TIME)
			break;
		g->unjoined_head++;
	}
	out->oldest_orphan = g->unjoined_head < g->unjoined_n
				     ? inst[g->unjoined[g->unjoined_head]].start
				     : INT64_MAX;
	return true;
}

static double rg_min(const struct cman_resource_group *rg)
{
	return as_group(rg)->min;
}

static double rg_max(const struct cman_resource_group *rg)
{
	return as_group(rg)->max;
}

static const struct cman_rg_ops spot_fleet_ops = {
	.kind = "spot_fleet",
	.target_capacity = rg_target,
	.fulfilled_capacity = rg_fulfilled,
	.instances = rg_instances,
	.modify_target = rg_modify_target,
	.terminate = rg_terminate,
	.is_stale = rg_is_stale,
	.summary = rg_summary,
	.min_capacity = rg_min,
	.max_capacity = rg_max,
};

static const struct cman_rg_ops asg_ops = {
	.kind = "auto_scaling_group",
	.target_capacity = rg_target,
	.fulfilled_capacity = rg_fulfilled,
	.instances = rg_instances,
	.modify_target = rg_modify_target,
	.terminate = rg_terminate,
	.is_stale = rg_is_stale,
	.summary = rg_summary,
	.min_capacity = rg_min,
	.max_capacity = rg_max,
};

/* ---- spot interruptions ------------------------------------------------------- */

int sim_groups_price_changed(struct cman_sim *sim, uint32_t market, struct cman_error *err)
{
	size_t g, s;
	int rc;

	if (!sim->sc->spot_interruptions)
		return 0;
	for (g = 0; g < sim->n_groups; g++) {
		for (s = 0; s < sim->groups[g].n_specs; s++) {
			struct sim_spec *sp = &sim->groups[g].specs[s];

			if (sp->market != market || !sp->spot || !sp->n || sp->notice_pending ||
			    sp->bid >= sim_market_price(sim, market))
				continue;
			/* outbid: two minutes' notice for the instances running now */
			sp->notice_pending = true;
			sp->notice_time = sim->now;
			rc = cman_queue_push(&sim->q, sim->now + INTERRUPT_NOTICE_SECONDS,
					     CMAN_PRIO_CLUSTER, EV_INTERRUPT,
					     (uint64_t)g << 32 | s);
			if (rc)
				return cman_error_set(err, rc, "out of memory");
		}
	}
	return 0;
}

int sim_groups_interrupt(struct cman_sim *sim, uint32_t gi, uint32_t s,
			 struct cman_error *err)
{
	struct sim_group *g = &sim->groups[gi];
	struct sim_spec *sp = &g->specs[s];
	size_t i = 0;

	sp->notice_pending = false;
	while (i < sp->n) {
		uint32_t id = sp->ids[i];
		struct sim_instance *in = &sim->inst[id];

		if (in->start > sp->notice_time) {
			i++;   /* launched after the notice: not part of it */
			continue;
		}
		in->interrupted = true;
		sim->interrupted++;
		cman_pool_runner_lost(&sim->runner, 1);   /* capacity lost */
		sim_group_forget(g, id);   /* swaps another instance into slot i */
		sim->group_host->finish(sim, id, true);
	}
	return sim_group_fill(g, false, err);
}

/* ---- set-up ------------------------------------------------------------------- */

int sim_groups_init(struct cman_sim *sim, const struct sim_group_host *host,
		    struct cman_error *err)
{
	const struct cman_scenario *sc = sim->sc;
	size_t i, s;
	int rc;

	sim->group_host = host;
	sim->groups = calloc(sc->n_groups ? sc->n_groups : 1, sizeof(*sim->groups));
	sim->group_ptrs = calloc(sc->n_groups ? sc->n_groups : 1, sizeof(*sim->group_ptrs));
	if (!sim->groups || !sim->group_ptrs)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	for (i = 0; i < sc->n_groups; i++) {
		const struct cman_rg_spec *cfg = &sc->groups[i];
		struct sim_group *g = &sim->groups[i];

		g->base.ops = cfg->type == CMAN_RG_ASG ? &asg_ops : &spot_fleet_ops;
		g->base.id = cfg->id;   /* the scenario outlives the run */
		g->sim = sim;
		g->cfg = cfg;
		g->min = cfg->min_size;
		g->max = cfg->max_size;
		g->short_since = NO_TIME;
		g->specs = calloc(cfg->n_specs, sizeof(*g->specs));
		g->step_target = calloc(sim->ledger.n_steps, sizeof(double));
		g->step_fulfilled = calloc(sim->ledger.n_steps, sizeof(double));
		sim->n_groups++;
		sim->group_ptrs[i] = &g->base;
		if (!g->specs || !g->step_target || !g->step_fulfilled)
			return cman_error_set(err, CMAN_ENOMEM, "out of memory");
		cman_hint_huge(g->step_target, sim->ledger.n_steps * sizeof(double));
		cman_hint_huge(g->step_fulfilled, sim->ledger.n_steps * sizeof(double));
		g->n_specs = cfg->n_specs;
		g->weights_exact = true;
		for (s = 0; s < cfg->n_specs; s++) {
			const struct cman_launch_spec *ls = &cfg->specs[s];
			struct sim_spec *sp = &g->specs[s];
			char region[CMAN_AZ_MAX];

			/* a group's market must exist (README "Simulated resource
			 * groups"): the type first, then the zone */
			if (!cman_catalog_find(sim->cat, ls->instance_type))
				return cman_error_set(err, CMAN_EINVAL, "%s: unknown instance type "
						      "'%s', expected an EC2 instance type of the "
						      "catalog", ls->where_type, ls->instance_type);
			if (cman_region_of_az(ls->az, region, sizeof(region)))
				return cman_error_set(err, CMAN_EINVAL, "%s: unknown availability "
						      "zone '%s', expected a zone of a known AWS "
						      "region, like us-east-1a", ls->where_az, ls->az);
			if (!cman_az_known(ls->az))
				return cman_error_set(err, CMAN_EINVAL, "%s: '%s' is not an "
						      "availability zone of %s, expected %sa to %s%c",
						      ls->where_az, ls->az, region, region, region,
						      cman_region_last_zone(region));
			rc = sim->group_host->market(sim, ls->instance_type, ls->az, ls->where_az, &sp->market,
					   err);
			if (rc)
				return rc;
			sp->weight = ls->weight;
			/* whole weights below 2^32: the joined weight is a
			 * count (rg_summary) */
			if (!(sp->weight >= 0 && sp->weight < 4294967296.0 &&
			      sp->weight == floor(sp->weight)))
				g->weights_exact = false;
			sp->spot = cfg->type == CMAN_RG_SPOT_FLEET;
			sp->bid = sp->spot ? ls->spot_price * ls->weight : 0;
		}
	}
	return 0;
}

void sim_groups_release(struct cman_sim *sim)
{
	size_t i, s;

	for (i = 0; i < sim->n_groups; i++) {
		struct sim_group *g = &sim->groups[i];

		if (g->specs)
			for (s = 0; s < g->n_specs; s++)
				free(g->specs[s].ids);
		free(g->specs);
		free(g->view);
		free(g->view_ids);
		free(g->unjoined);
		free(g->step_target);
		free(g->step_fulfilled);
	}
	free(sim->groups);
	free(sim->group_ptrs);
	sim->groups = NULL;
	sim->group_ptrs = NULL;
	sim->n_groups = 0;
}
