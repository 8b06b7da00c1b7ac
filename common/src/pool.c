/*
 * pool.c - the pool manager (SPEC §4 steps 4-6): distributes a pool's
 * target over its resource groups, prunes excess fulfilled capacity and
 * cleans up orphaned machines.
 *
 * Decisions on the edge cases:
 * - Distribution: the goal is ceil(target) with a tolerance of one part
 *   in 10^12 (cman_pool_goal; a negative or NaN target counts as 0).  A non-stale group's current target outside its own [min, max]
 *   is first clamped into it (to max, then up to min, so min wins when a
 *   group has min > max); stale groups get 0 and do not count towards the
 *   goal.  Each step moves one group by min(1, |goal - sum|), so fractional
 *   current targets make the last step a fraction and the sum lands on the
 *   goal exactly; a group may take a step only if it stays within
 *   [min, max] (a group at 9.5 with max 10 cannot take a step of 1).  Runs
 *   of whole rounds over tied groups are applied at once, which gives the
 *   same result as stepping one unit at a time in O(groups^2) per level
 *   (groups whose targets differ by less than 1, i.e. fractional targets,
 *   still go one step at a time).
 * - "Fulfilled capacity" (cman_pool_fulfilled, the pruning trigger and the
 *   stop rule) sums the non-stale groups, as does the target; pruning a
 *   machine of a stale group therefore does not count towards the stop
 *   rule, so such machines (ordered before the others) go whenever pruning
 *   happens and the limits allow.  Non-orphan fulfilled capacity counts the
 *   joined machines (IDLE or RUNNING) of every group, stale or not.
 * - Pruning compares with a tolerance of 1e-9 to absorb rounding in sums of
 *   fractional weights.  Machines chosen are recorded in d->terminated
 *   even on a dry run (terminate is then called with dry_run set, and the
 *   group only checks).  Orphan clean-up does not record an id twice when
 *   pruning of the same run already chose it (a dry run leaves it in the
 *   group's list).
 * - Pruning walks the candidates only when some group holds a whole machine
 *   above its new target; otherwise every candidate would be skipped as
 *   "group at target" and nothing is walked or recorded.
 * - Without a connector no machine's agent is known: nothing is pruned or
 *   cleaned up and non-orphan fulfilled capacity is 0.  A clock is needed
 *   only when machines are pruned or cleaned up (CMAN_EINVAL without one).
 */
#include "cman/pool.h"

#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-9
#define SCALEIN_UPTIME_CAP 900

/* A machine that may be pruned, with what ordering needs (copied, so the
 * ids survive the groups changing their lists while terminating). */
struct cand {
	char id[32];
	size_t group;
	double weight;
	int64_t launch_time;
	int tasks, batch_tasks;
	bool draining, orphaned, stale, old, idle;
	bool chosen;
};

/* Per group during one prune. */
struct gstate {
	double fulfilled;    /* now, minus the weights chosen so far */
	double target;       /* the new target */
};

void cman_pool_manager_init(struct cman_pool_manager *pm,
			    const struct cman_pool_config *cfg,
			    struct cman_resource_group **groups, size_t n_groups,
			    struct cman_connector *conn, const struct cman_clock *clock)
{
	memset(pm, 0, sizeof(*pm));
	pm->cfg = cfg;
	pm->groups = groups;
	pm->n_groups = n_groups;
	pm->conn = conn;
	pm->clock = clock;
}

void cman_pool_manager_release(struct cman_pool_manager *pm)
{
	free(pm->scratch);
	pm->scratch = NULL;
	pm->scratch_cap = 0;
}

static bool is_stale(const struct cman_resource_group *rg)
{
	return rg->ops->is_stale && rg->ops->is_stale(rg);
}

double cman_pool_target(const struct cman_pool_manager *pm)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < pm->n_groups; i++)
		if (!is_stale(pm->groups[i]))
			sum += pm->groups[i]->ops->target_capacity(pm->groups[i]);
	return sum;
}

double cman_pool_fulfilled(const struct cman_pool_manager *pm)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < pm->n_groups; i++)
		if (!is_stale(pm->groups[i]))
			sum += pm->groups[i]->ops->fulfilled_capacity(pm->groups[i]);
	return sum;
}

static void agent_of(const struct cman_pool_manager *pm, const char *id,
		     struct cman_agent *a)
{
	memset(a, 0, sizeof(*a));
	a->state = CMAN_AGENT_UNKNOWN;
	if (pm->conn && pm->conn->ops->agent)
		pm->conn->ops->agent(pm->conn, id, a);
}

static bool joined(enum cman_agent_state s)
{
	return s == CMAN_AGENT_IDLE || s == CMAN_AGENT_RUNNING;
}

double cman_pool_non_orphan_fulfilled(const struct cman_pool_manager *pm)
{
	double sum = 0;
	size_t i, j, n;

	if (!pm->conn)
		return 0;
	for (i = 0; i < pm->n_groups; i++) {
		const struct cman_rg_instance *inst;
		struct cman_agent a;

		n = pm->groups[i]->ops->instances(pm->groups[i], &inst);
		for (j = 0; j < n; j++) {
			agent_of(pm, inst[j].id, &a);
			if (joined(a.state))
				sum += inst[j].weight;
		}
	}
	return sum;
}

/* ---- distribution -------------------------------------------------------- */

/* Can group i move by step (signed) and stay within its [min, max]? */
static bool can_move(const struct cman_pool_manager *pm, size_t i, double cur, double step)
{
	const struct cman_resource_group *rg = pm->groups[i];

	if (step > 0)
		return cur + step <= rg->ops->max_capacity(rg) + EPS;
	return cur + step >= rg->ops->min_capacity(rg) - EPS;
}

/* a before b in the order of choice: smaller target when growing, larger
 * when shrinking, then the smaller id. */
static bool before(const struct cman_pool_manager *pm, const double *out, size_t a,
		   size_t b, bool grow)
{
	if (out[a] != out[b])
		return grow ? out[a] < out[b] : out[a] > out[b];
	return strcmp(pm->groups[a]->id, pm->groups[b]->id) < 0;
}

/*
 * One move towards the goal: either k >= 1 whole rounds over the groups
 * tied at the extreme target (same result as stepping unit by unit), or a
 * single step of min(1, remaining) for the first group in order.  false
 * when no group can move.
 */
static bool distribute_step(const struct cman_pool_manager *pm, double *out, double remaining, bool grow)
{
	double step = remaining < 1 ? remaining : 1, sgn = grow ? 1 : -1;
	double ext = 0, next = INFINITY, room = INFINITY, k;
	size_t i, best = 0, tied = 0;
	bool found = false;

	for (i = 0; i < pm->n_groups; i++) {
		if (is_stale(pm->groups[i]) || !can_move(pm, i, out[i], sgn * step))
			continue;
		if (!found || before(pm, out, i, best, grow))
			best = i;
		found = true;
	}
	if (!found)
		return false;
	ext = out[best];
	/* the tied groups, the next level among the others that can move,
	 * and how far the tied ones can go */
	for (i = 0; i < pm->n_groups; i++) {
		const struct cman_resource_group *rg = pm->groups[i];
		double lim, gap;

		if (is_stale(pm->groups[i]) || !can_move(pm, i, out[i], sgn * step))
			continue;
		if (out[i] == ext) {
			tied++;
			lim = grow ? rg->ops->max_capacity(rg) - ext
				   : ext - rg->ops->min_capacity(rg);
			if (lim < room)
				room = lim;
		} else {
			gap = grow ? out[i] - ext : ext - out[i];
			if (gap < next)
				next = gap;
		}
	}
	k = floor(remaining / (double)tied + EPS);
	if (floor(next + EPS) < k)
		k = floor(next + EPS);
	if (floor(room + EPS) < k)
		k = floor(room + EPS);
	if (k >= 1 && isfinite(k)) {
		for (i = 0; i < pm->n_groups; i++)
			if (!is_stale(pm->groups[i]) && out[i] == ext && can_move(pm, i, out[i], sgn * step))
				out[i] = ext + sgn * k;
		return true;
	}
	out[best] += sgn * step;
	return true;
}

double cman_pool_goal(double target)
{
	double f;

	if (!(target > 0))
		return 0;
	f = floor(target);
	if (target - f <= CMAN_TARGET_TOLERANCE * (target > 1 ? target : 1))
		return f;
	return ceil(target);
}

void cman_pool_distribute(const struct cman_pool_manager *pm, const double *current,
			  double target, double *out)
{
	double goal = cman_pool_goal(target), sum, remaining;
	size_t i;

	for (i = 0; i < pm->n_groups; i++) {
		const struct cman_resource_group *rg = pm->groups[i];
		double c = current[i];

		if (is_stale(rg)) {
			out[i] = 0;
			continue;
		}
		if (!(c == c))
			c = 0;
		if (c > rg->ops->max_capacity(rg))
			c = rg->ops->max_capacity(rg);
		if (c < rg->ops->min_capacity(rg))
			c = rg->ops->min_capacity(rg);
		out[i] = c;
	}
	/* every move brings the sum min(1, remaining) or more closer to the
	 * goal without passing it, so this ends */
	for (;;) {
		sum = 0;
		for (i = 0; i < pm->n_groups; i++)
			if (!is_stale(pm->groups[i]))
				sum += out[i];
		remaining = fabs(goal - sum);
		if (!(remaining > EPS) || !isfinite(remaining))
			break;
		if (!distribute_step(pm, out, remaining, sum < goal))
			break;
	}
}

/* ---- scratch ------------------------------------------------------------- */

static size_t align_up(size_t n)
{
	size_t a = alignof(max_align_t);

	return (n + a - 1) / a * a;
}

/* Make the scratch at least bytes long (doubling); CMAN_ENOMEM. */
static int scratch_reserve(struct cman_pool_manager *pm, size_t bytes,
			   struct cman_error *err)
{
	size_t cap = pm->scratch_cap ? pm->scratch_cap : 1024;
	void *p;

	if (bytes <= pm->scratch_cap)
		return 0;
	while (cap < bytes)
		cap *= 2;
	p = realloc(pm->scratch, cap);
	if (!p)
		return cman_error_set(err, CMAN_ENOMEM, "pool manager: out of memory");
	pm->scratch = p;
	pm->scratch_cap = cap;
	return 0;
}

static int now_of(const struct cman_pool_manager *pm, int64_t *now, struct cman_error *err)
{
	if (!pm->clock || !pm->clock->ops || !pm->clock->ops->now)
		return cman_error_set(err, CMAN_EINVAL, "pool manager: no clock");
	*now = pm->clock->ops->now(pm->clock);
	return 0;
}

/* ---- pruning --------------------------------------------------------------- */

static int key_first(bool a, bool b)
{
	return a == b ? 0 : (a ? -1 : 1);
}

static int cmp_int(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

/* SPEC §4 "Choosing machines to terminate", then oldest launch, id. */
static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	int c;

	if ((c = key_first(a->draining, b->draining)) ||
	    (c = key_first(a->orphaned, b->orphaned)) ||
	    (c = key_first(a->stale, b->stale)) ||
	    (c = key_first(a->old, b->old)) ||
	    (c = key_first(a->idle, b->idle)) ||
	    (c = cmp_int(a->batch_tasks, b->batch_tasks)) ||
	    (c = cmp_int(a->tasks, b->tasks)) ||
	    (c = cmp_int(a->launch_time, b->launch_time)) ||
	    (c = strcmp(a->id, b->id)))
		return c;
	return cmp_int((int64_t)a->group, (int64_t)b->group);
}

/* Terminate the chosen candidates of group g (ids points to room for
 * them) in one call and record them. */
static int terminate_group(struct cman_pool_manager *pm, size_t g, const char **ids,
			   size_t n, struct cman_decision *d, struct cman_error *err)
{
	struct cman_resource_group *rg = pm->groups[g];
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	rc = rg->ops->terminate(rg, ids, n, pm->dry_run, NULL, err);
	if (rc) {
		cman_error_prefix(err, "resource group '%s'", rg->id);
		return rc;
	}
	for (i = 0; i < n; i++)
		if (cman_decision_add_terminated(d, ids[i]))
			return cman_error_set(err, CMAN_ENOMEM, "pool manager: out of memory");
	return 0;
}

/*
 * Candidates into c (room for every machine), in order; returns their
 * number.  gs[g].fulfilled set from the groups.
 */
static size_t gather(struct cman_pool_manager *pm, int64_t now, struct cand *c,
		     struct gstate *gs)
{
	const struct cman_pool_config *cfg = pm->cfg;
	int64_t age = cfg->min_node_scalein_uptime_seconds;
	double max_tasks = cfg->max_tasks_to_kill;
	size_t g, j, n, nc = 0;

	if (age > SCALEIN_UPTIME_CAP)
		age = SCALEIN_UPTIME_CAP;
	for (g = 0; g < pm->n_groups; g++) {
		struct cman_resource_group *rg = pm->groups[g];
		const struct cman_rg_instance *inst;
		bool stale = is_stale(rg);

		gs[g].fulfilled = rg->ops->fulfilled_capacity(rg);
		n = rg->ops->instances(rg, &inst);
		for (j = 0; j < n; j++) {
			struct cman_agent a;
			struct cand *x;

			agent_of(pm, inst[j].id, &a);
			if (a.state == CMAN_AGENT_UNKNOWN || !a.safe_to_kill || a.cordoned)
				continue;
			if (a.tasks != 0 && !((double)a.tasks < max_tasks))
				continue;
			x = &c[nc++];
			memset(x, 0, sizeof(*x));
			{
				size_t l = strnlen(inst[j].id, sizeof(x->id) - 1);

				memcpy(x->id, inst[j].id, l);
				x->id[l] = '\0';
			}
			x->group = g;
			x->weight = inst[j].weight;
			x->launch_time = inst[j].launch_time;
			x->tasks = a.tasks;
			x->batch_tasks = a.batch_tasks;
			x->draining = a.draining;
			x->orphaned = a.state == CMAN_AGENT_ORPHANED;
			x->idle = a.state == CMAN_AGENT_IDLE;
			x->stale = stale;
			x->old = now - inst[j].launch_time >= age;
		}
	}
	qsort(c, nc, sizeof(*c), cand_cmp);
	return nc;
}

/*
 * Can any machine go without taking its group below the group's new target?
 * When not, the walk would only skip every candidate ("group at target"),
 * which for a pool whose weights overshoot its target by a fraction is
 * every run: it is not done, and no skips are recorded.
 */
static bool any_removable(struct cman_pool_manager *pm, const struct gstate *gs)
{
	size_t g, j, n;

	for (g = 0; g < pm->n_groups; g++) {
		struct cman_resource_group *rg = pm->groups[g];
		const struct cman_rg_instance *inst;
		double room = rg->ops->fulfilled_capacity(rg) - gs[g].target;

		n = rg->ops->instances(rg, &inst);
		for (j = 0; j < n; j++)
			if (room - inst[j].weight >= -EPS)
				return true;
	}
	return false;
}

/* Walk the ordered candidates and mark those to terminate (SPEC §4). */
static int choose(struct cman_pool_manager *pm, double new_target, struct cand *c,
		  size_t nc, struct gstate *gs, struct cman_decision *d,
		  struct cman_error *err)
{
	const struct cman_pool_config *cfg = pm->cfg;
	double fulfilled = cman_pool_fulfilled(pm);
	double non_orphan = cman_pool_non_orphan_fulfilled(pm);
	double removed = 0, killed = 0;
	size_t i;

	for (i = 0; i < nc && fulfilled > new_target + EPS; i++) {
		struct cand *x = &c[i];
		struct gstate *g = &gs[x->group];
		const char *why = NULL;

		if (removed + x->weight > cfg->max_weight_to_remove + EPS)
			why = "weight limit";
		else if (g->fulfilled - x->weight < g->target - EPS)
			why = "group at target";
		else if (killed + x->tasks > cfg->max_tasks_to_kill)
			why = "task limit";
		else if (!x->orphaned && non_orphan - x->weight < new_target - EPS)
			why = "non-orphan floor";
		if (why) {
			if (cman_decision_add_skipped(d, x->id, why))
				return cman_error_set(err, CMAN_ENOMEM,
						      "pool manager: out of memory");
			continue;
		}
		x->chosen = true;
		removed += x->weight;
		killed += x->tasks;
		g->fulfilled -= x->weight;
		if (!x->stale)
			fulfilled -= x->weight;
		if (!x->orphaned)
			non_orphan -= x->weight;
	}
	return 0;
}

int cman_pool_modify(struct cman_pool_manager *pm, double new_target,
		     struct cman_decision *d, struct cman_error *err)
{
	size_t n, total = 0, nc, g, i, k;
	size_t off_out, off_gs, off_c, off_ids, bytes;
	double *cur, *out;
	struct gstate *gs;
	struct cand *c;
	const char **ids;
	int64_t now = 0;
	int rc = 0;

	if (!pm || !d || !(new_target == new_target)) {
		rc = cman_error_set(err, CMAN_EINVAL, "pool manager: bad arguments");
		goto out;
	}
	n = pm->n_groups;
	for (g = 0; g < n; g++) {
		const struct cman_rg_instance *inst;

		total += pm->groups[g]->ops->instances(pm->groups[g], &inst);
	}
	off_out = align_up(n * sizeof(double));
	off_gs = off_out + align_up(n * sizeof(double));
	off_c = off_gs + align_up(n * sizeof(struct gstate));
	off_ids = off_c + align_up(total * sizeof(struct cand));
	bytes = off_ids + total * sizeof(const char *) + 1;
	if ((rc = scratch_reserve(pm, bytes, err)) != 0)
		goto out;
	cur = pm->scratch;
	out = (double *)((char *)pm->scratch + off_out);
	gs = (struct gstate *)((char *)pm->scratch + off_gs);
	c = (struct cand *)((char *)pm->scratch + off_c);
	ids = (const char **)((char *)pm->scratch + off_ids);

	/* Step 4: distribute; record every group's new target. */
	for (g = 0; g < n; g++)
		cur[g] = pm->groups[g]->ops->target_capacity(pm->groups[g]);
	cman_pool_distribute(pm, cur, new_target, out);
	if (cman_decision_set_groups(d, n)) {
		rc = cman_error_set(err, CMAN_ENOMEM, "pool manager: out of memory");
		goto out;
	}
	for (g = 0; g < n; g++) {
		snprintf(d->group_ids[g], sizeof(d->group_ids[g]), "%s", pm->groups[g]->id);
		d->group_targets[g] = out[g];
		gs[g].target = out[g];
	}

	/* Step 5: resize the groups whose target changed. */
	for (g = 0; g < n; g++) {
		struct cman_resource_group *rg = pm->groups[g];

		if (out[g] == cur[g])
			continue;
		rc = rg->ops->modify_target(rg, out[g], pm->dry_run, err);
		if (rc) {
			cman_error_prefix(err, "resource group '%s'", rg->id);
			goto out;
		}
	}

	/* Then prune.  The groups may have launched: count their machines
	 * again before using the scratch for them. */
	if (!(cman_pool_fulfilled(pm) > new_target + EPS) || !pm->conn)
		goto out;
	if ((rc = now_of(pm, &now, err)) != 0)
		goto out;
	for (g = 0, k = 0; g < n; g++) {
		const struct cman_rg_instance *inst;

		k += pm->groups[g]->ops->instances(pm->groups[g], &inst);
	}
	if (k > total) {
		off_ids = off_c + align_up(k * sizeof(struct cand));
		bytes = off_ids + k * sizeof(const char *) + 1;
		if ((rc = scratch_reserve(pm, bytes, err)) != 0)
			goto out;
		gs = (struct gstate *)((char *)pm->scratch + off_gs);
		c = (struct cand *)((char *)pm->scratch + off_c);
		ids = (const char **)((char *)pm->scratch + off_ids);
	}
	if (!any_removable(pm, gs))
		goto out;
	nc = gather(pm, now, c, gs);
	if ((rc = choose(pm, new_target, c, nc, gs, d, err)) != 0)
		goto out;
	for (g = 0; g < n; g++) {
		for (i = 0, k = 0; i < nc; i++)
			if (c[i].chosen && c[i].group == g)
				ids[k++] = c[i].id;
		if ((rc = terminate_group(pm, g, ids, k, d, err)) != 0)
			goto out;
	}
out:
	return rc;
}

/* ---- orphans ------------------------------------------------------------- */

static bool already_terminated(const struct cman_decision *d, const char *id)
{
	size_t i;

	for (i = 0; i < d->n_terminated; i++)
		if (!strncmp(d->terminated[i], id, sizeof(d->terminated[i]) - 1))
			return true;
	return false;
}

int cman_pool_cleanup_orphans(struct cman_pool_manager *pm,
			      struct cman_decision *d, struct cman_error *err)
{
	size_t g, j, n, k, maxn = 0;
	int64_t now = 0, threshold;
	char (*names)[32];
	const char **ids;
	size_t off_ids;
	int rc = 0;

	if (!pm || !d) {
		rc = cman_error_set(err, CMAN_EINVAL, "pool manager: bad arguments");
		goto out;
	}
	if (!pm->conn || pm->n_groups == 0)
		goto out;
	if ((rc = now_of(pm, &now, err)) != 0)
		goto out;
	threshold = pm->cfg->orphan_instance_uptime_threshold_seconds;
	for (g = 0; g < pm->n_groups; g++) {
		const struct cman_rg_instance *inst;

		n = pm->groups[g]->ops->instances(pm->groups[g], &inst);
		if (n > maxn)
			maxn = n;
	}
	if (maxn == 0)
		goto out;
	off_ids = align_up(maxn * sizeof(*names));
	if ((rc = scratch_reserve(pm, off_ids + maxn * sizeof(*ids), err)) != 0)
		goto out;
	names = pm->scratch;
	ids = (const char **)((char *)pm->scratch + off_ids);
	for (g = 0; g < pm->n_groups; g++) {
		const struct cman_rg_instance *inst;

		n = pm->groups[g]->ops->instances(pm->groups[g], &inst);
		if (n > maxn)
			n = maxn;   /* cannot grow between the two calls */
		for (j = 0, k = 0; j < n; j++) {
			struct cman_agent a;

			agent_of(pm, inst[j].id, &a);
			if (a.state != CMAN_AGENT_ORPHANED || now - a.orphaned_since <= threshold)
				continue;
			if (already_terminated(d, inst[j].id))
				continue;
			snprintf(names[k], sizeof(names[k]), "%s", inst[j].id);
			ids[k] = names[k];
			k++;
		}
		if ((rc = terminate_group(pm, g, ids, k, d, err)) != 0)
			goto out;
	}
out:
	return rc;
}
