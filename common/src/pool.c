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
 * - Only machines in state running are pruned, cleaned up or counted as
 *   joined (LIVE-SPEC §5.1, §5.3, §5.4); a cordoned machine (the group's
 *   tag or the agent's flag) is never a candidate.
 * - A failed resize (LIVE-SPEC §5.2) is recorded and the other groups are
 *   still resized; the failed group is then pruned against the larger of
 *   its old and planned targets (it has one of them, or may have either
 *   after a timeout), so pruning never takes it below a target it really
 *   has.  Termination failures are recorded per id and the other groups
 *   are still pruned.  The first failure is returned at the end.
 * - Draining (pm->drain): machines being drained still run and still count
 *   in the groups' fulfilled capacity, in non-orphan fulfilled capacity and
 *   in the connector's totals, so the target computation (step 2) sees them
 *   as Clusterman does (their tasks are still in the requests, their
 *   resources in the totals, and the groups' targets were lowered when
 *   they were chosen).  Pruning alone treats them as gone: their weight is
 *   taken off before the walk and they are never candidates, which has the
 *   effect of Clusterman choosing draining machines first (its drainer then
 *   drops the duplicate) without asking the drainer twice.
 * - A group with a summary (the simulator's, cman/resource_group.h) gives
 *   its machine count, joined weight, lightest weight and oldest orphan
 *   without a walk: non-orphan fulfilled capacity, the removable check and
 *   the orphan clean-up use it and walk its machines only when the summary
 *   says one may qualify (issue 12); the answers are the walk's.
 */
#include "cman/pool.h"

#include "cman/grow.h"

#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-9
#define SCALEIN_UPTIME_CAP 900

/* A machine that may be pruned, with what ordering needs.  Its id points
 * into its group's list until the groups may change (terminate()): a
 * draining pool's ids are copied into pm->names as they are gathered, the
 * others' only once chosen (copy_chosen()). */
struct cand {
	const char *id;      /* the group's, or in pm->names once copied */
	size_t id_off;
	size_t ip_off;       /* draining pools only: the private IP, in pm->names */
	size_t group;
	double weight;
	int64_t launch_time;
	int tasks, batch_tasks;
	bool draining, orphaned, stale, old, idle;
	bool chosen;
	/* the order's first keys packed (cand_key()) */
	uint64_t k1;
	uint32_t k2;
};

/* Per group during one prune. */
struct gstate {
	double fulfilled;    /* now, minus the weights chosen so far */
	double target;       /* the new target */
	double leaving;      /* weight of its machines being drained */
};

/* What the machines being drained take off the pool's capacity. */
struct leave {
	double total;        /* their weight in non-stale groups */
	double joined;       /* of those whose agent has joined */
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
	free(pm->names);
	pm->names = NULL;
	pm->names_len = pm->names_cap = 0;
}

/* Copy id into pm->names (offset in *off); CMAN_ENOMEM. */
static int name_add(struct cman_pool_manager *pm, const char *id, size_t *off)
{
	size_t n = strlen(id) + 1;

	if (cman_grow((void **)&pm->names, &pm->names_cap, pm->names_len + n, 1))
		return CMAN_ENOMEM;
	memcpy(pm->names + pm->names_len, id, n);
	*off = pm->names_len;
	pm->names_len += n;
	return 0;
}

/* ---- the groups' getters, their errors named by group ------------------------ */

static int g_target(const struct cman_resource_group *rg, double *out, struct cman_error *err)
{
	int rc;

	*out = 0;
	rc = rg->ops->target_capacity(rg, out, err);
	if (rc)
		cman_error_prefix(err, "resource group '%s'", rg->id);
	return rc;
}

static int g_fulfilled(const struct cman_resource_group *rg, double *out, struct cman_error *err)
{
	int rc;

	*out = 0;
	rc = rg->ops->fulfilled_capacity(rg, out, err);
	if (rc)
		cman_error_prefix(err, "resource group '%s'", rg->id);
	return rc;
}

static int g_instances(struct cman_resource_group *rg, const struct cman_rg_instance **out,
		       size_t *n, struct cman_error *err)
{
	int rc;

	*out = NULL;
	*n = 0;
	rc = rg->ops->instances(rg, out, n, err);
	if (rc) {
		*out = NULL;
		*n = 0;
		cman_error_prefix(err, "resource group '%s'", rg->id);
	}
	return rc;
}

int cman_pool_refresh(struct cman_pool_manager *pm, struct cman_error *err)
{
	struct cman_error e;
	size_t i;
	int rc = 0, r;

	for (i = 0; i < pm->n_groups; i++) {
		r = cman_rg_refresh(pm->groups[i], &e);
		if (r && !rc) {
			rc = r;
			if (err) {
				*err = e;
				cman_error_prefix(err, "resource group '%s'", pm->groups[i]->id);
			}
		}
	}
	return rc;
}

static bool is_stale(const struct cman_resource_group *rg)
{
	return rg->ops->is_stale && rg->ops->is_stale(rg);
}

/* The group's summary (cman/resource_group.h) when it gives one. */
static bool summary_of(struct cman_resource_group *rg, struct cman_rg_summary *s)
{
	return rg->ops->summary && rg->ops->summary(rg, s);
}

/* How many machines group g lists: from its summary, else instances(). */
static int g_count(struct cman_resource_group *rg, size_t *n, struct cman_error *err)
{
	const struct cman_rg_instance *inst;
	struct cman_rg_summary s;

	if (summary_of(rg, &s)) {
		*n = s.n;
		return 0;
	}
	return g_instances(rg, &inst, n, err);
}

int cman_pool_target(const struct cman_pool_manager *pm, double *out,
		     struct cman_error *err)
{
	double sum = 0, v;
	size_t i;
	int rc;

	*out = 0;
	for (i = 0; i < pm->n_groups; i++) {
		if (is_stale(pm->groups[i]))
			continue;
		if ((rc = g_target(pm->groups[i], &v, err)) != 0)
			return rc;
		sum += v;
	}
	*out = sum;
	return 0;
}

int cman_pool_fulfilled(const struct cman_pool_manager *pm, double *out,
			struct cman_error *err)
{
	double sum = 0, v;
	size_t i;
	int rc;

	*out = 0;
	for (i = 0; i < pm->n_groups; i++) {
		if (is_stale(pm->groups[i]))
			continue;
		if ((rc = g_fulfilled(pm->groups[i], &v, err)) != 0)
			return rc;
		sum += v;
	}
	*out = sum;
	return 0;
}

void cman_pool_agent_of(const struct cman_pool_manager *pm,
			const struct cman_rg_instance *inst, struct cman_agent *a)
{
	if (pm->conn && inst->agent_key && pm->conn->ops->agent_by_key) {
		pm->conn->ops->agent_by_key(pm->conn, inst->agent_key, a);
		return;
	}
	memset(a, 0, sizeof(*a));
	a->state = CMAN_AGENT_UNKNOWN;
	if (!pm->conn)
		return;
	if (pm->conn->ops->agent_by_ip) {
		if (!inst->ip || !inst->ip[0])
			return;   /* no private IP: the scheduler cannot know it */
		pm->conn->ops->agent_by_ip(pm->conn, inst->ip, a);
		if (a->state == CMAN_AGENT_ORPHANED)
			a->orphaned_since = inst->launch_time;
		return;
	}
	if (pm->conn->ops->agent)
		pm->conn->ops->agent(pm->conn, inst->id, a);
}

static bool joined(enum cman_agent_state s)
{
	return s == CMAN_AGENT_IDLE || s == CMAN_AGENT_RUNNING;
}

static bool running(const struct cman_rg_instance *inst)
{
	return inst->state == CMAN_INSTANCE_RUNNING;
}

int cman_pool_non_orphan_fulfilled(const struct cman_pool_manager *pm, double *out,
				   struct cman_error *err)
{
	double sum = 0;
	size_t i, j, n;
	int rc;

	*out = 0;
	if (!pm->conn)
		return 0;
	/* the groups' summaries when every one gives it (the same sum) */
	for (i = 0; i < pm->n_groups; i++) {
		struct cman_rg_summary s;

		if (!summary_of(pm->groups[i], &s))
			break;
		sum += s.joined;
	}
	if (i == pm->n_groups) {
		*out = sum;
		return 0;
	}
	sum = 0;
	for (i = 0; i < pm->n_groups; i++) {
		const struct cman_rg_instance *inst;
		struct cman_agent a;

		if ((rc = g_instances(pm->groups[i], &inst, &n, err)) != 0)
			return rc;
		for (j = 0; j < n; j++) {
			if (!running(&inst[j]))
				continue;
			cman_pool_agent_of(pm, &inst[j], &a);
			if (joined(a.state))
				sum += inst[j].weight;
		}
	}
	*out = sum;
	return 0;
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

/*
 * SPEC §4 "Choosing machines to terminate", then oldest launch, id, group:
 * draining, orphaned, stale-group, old and idle machines first (each key
 * in turn), then fewer batch tasks, fewer tasks.  Those first keys packed
 * into k1 (a clear bit for a true flag, so it sorts first; batch tasks in
 * the low half, their sign flipped so that unsigned order is signed order)
 * and k2 (tasks), so one comparison of integers decides most pairs.
 */
static void cand_key(struct cand *x)
{
	unsigned flags = (unsigned)!x->draining << 4 | (unsigned)!x->orphaned << 3 |
			 (unsigned)!x->stale << 2 | (unsigned)!x->old << 1 | (unsigned)!x->idle;

	x->k1 = (uint64_t)flags << 32 | ((uint32_t)x->batch_tasks ^ 0x80000000u);
	x->k2 = (uint32_t)x->tasks ^ 0x80000000u;
}

/* a before b; a total order (no two candidates share id and group). */
static bool cand_before(const struct cand *a, const struct cand *b)
{
	int c;

	if (a->k1 != b->k1)
		return a->k1 < b->k1;
	if (a->k2 != b->k2)
		return a->k2 < b->k2;
	if (a->launch_time != b->launch_time)
		return a->launch_time < b->launch_time;
	if ((c = strcmp(a->id, b->id)) != 0)
		return c < 0;
	return a->group < b->group;
}

/*
 * A candidate's sort record: cand_before()'s keys as integers (the launch
 * time's sign flipped, the id's first 16 bytes big-endian, zero-padded, so
 * that unsigned order is strcmp() order on them), compared without
 * following a pointer; only records equal in all of them (ids sharing
 * 16 bytes) go to cand_before().  Records are compared only within one
 * group of flags (struct order's heaps), whose k1 differ only in their
 * low half (the batch tasks): that half and k2 are one word, bt.
 */
struct skey {
	uint64_t bt, lt, id0, id1;
	uint32_t idx;
};

static void skey_of(const struct cand *x, uint32_t idx, struct skey *k)
{
	unsigned char b[16] = { 0 };
	uint64_t w0, w1;

	memcpy(b, x->id, strnlen(x->id, 16));
	memcpy(&w0, b, 8);
	memcpy(&w1, b + 8, 8);
	k->bt = (x->k1 & UINT32_MAX) << 32 | x->k2;
	k->lt = (uint64_t)x->launch_time ^ (UINT64_C(1) << 63);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	w0 = __builtin_bswap64(w0);
	w1 = __builtin_bswap64(w1);
#endif
	k->id0 = w0;
	k->id1 = w1;
	k->idx = idx;
}

/* a before b, of the same group of flags: the order of cand_before(). */
static inline bool skey_before(const struct skey *a, const struct skey *b, const struct cand *c)
{
	if (a->bt != b->bt)
		return a->bt < b->bt;
	if (a->lt != b->lt)
		return a->lt < b->lt;
	if (a->id0 != b->id0)
		return a->id0 < b->id0;
	if (a->id1 != b->id1)
		return a->id1 < b->id1;
	return cand_before(&c[a->idx], &c[b->idx]);
}

/*
 * Sift h[i] down the min-heap h[0..n) of candidate indexes (skey_before),
 * bottom-up (Floyd): the hole goes down along the earlier children to a
 * leaf, one comparison a level, then h[i] goes up from there (seldom far:
 * it came from the bottom); about half the comparisons of a sift that
 * compares with both children and h[i] on the way down (issue 12).  The
 * order is total, so the candidates leave the heap in the same order
 * whatever its shape.
 */
static void heap_down(const struct cand *c, const struct skey *k, uint32_t *h, size_t n,
		      size_t i)
{
	uint32_t x = h[i];
	size_t top = i, l, m;

	while ((l = 2 * i + 1) < n) {
		m = l + 1 < n && skey_before(&k[h[l + 1]], &k[h[l]], c) ? l + 1 : l;
		h[i] = h[m];
		i = m;
	}
	while (i > top) {
		size_t p = (i - 1) / 2;

		if (!skey_before(&k[x], &k[h[p]], c))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = x;
}

/* The first candidate in order, out of the heap h[0..*n). */
static uint32_t heap_pop(const struct cand *c, const struct skey *k, uint32_t *h, size_t *n)
{
	uint32_t top = h[0];

	h[0] = h[--*n];
	if (*n)
		heap_down(c, k, h, *n, 0);
	return top;
}

/*
 * The candidates' order as the walk takes it: their indexes in h, grouped
 * by the flags of cand_key() (k1's high bits: every candidate of a smaller
 * flags value comes first), each group made a heap, and its sort records
 * written, only when the walk reaches it (issue 12: a prune that stops
 * among the old idle machines does not order, or even key, the busy ones).
 */
#define N_FLAGS 32

struct order {
	uint32_t *h;
	size_t start[N_FLAGS + 1];  /* group f: h[start[f] .. start[f + 1]) */
	size_t f;                    /* the group being taken; N_FLAGS before the first */
	size_t n;                    /* left in its heap, h[start[f] ..) */
};

static unsigned flags_of(const struct cand *x)
{
	return (unsigned)(x->k1 >> 32);
}

/* The indexes of c[0..nc) into o->h (room for nc), by flags. */
static void order_init(struct order *o, const struct cand *c, size_t nc, uint32_t *h)
{
	size_t at[N_FLAGS] = { 0 }, f, j;

	o->h = h;
	for (j = 0; j < nc; j++)
		at[flags_of(&c[j])]++;
	for (f = 0, j = 0; f < N_FLAGS; f++) {
		o->start[f] = j;
		j += at[f];
		at[f] = o->start[f];
	}
	o->start[N_FLAGS] = nc;
	for (j = 0; j < nc; j++)
		h[at[flags_of(&c[j])]++] = (uint32_t)j;
	o->f = N_FLAGS;
	o->n = 0;
}

/* The next candidate in order (one must be left). */
static uint32_t order_pop(struct order *o, const struct cand *c, struct skey *k)
{
	while (o->n == 0) {
		uint32_t *h;
		size_t j;

		o->f = o->f == N_FLAGS ? 0 : o->f + 1;
		o->n = o->start[o->f + 1] - o->start[o->f];
		h = o->h + o->start[o->f];
		for (j = 0; j < o->n; j++)
			skey_of(&c[h[j]], h[j], &k[h[j]]);
		for (j = o->n / 2; j-- > 0;)
			heap_down(c, k, h, o->n, j);
	}
	return heap_pop(c, k, o->h + o->start[o->f], &o->n);
}

/* Put c[0..n) in the order ord[0..n) (a permutation): new c[j] = old
 * c[ord[j]]; ord is left as 0..n. */
static void permute_cands(struct cand *c, uint32_t *ord, size_t n)
{
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		struct cand t;

		if (ord[i] == i)
			continue;
		t = c[i];
		for (j = i;; j = k) {
			k = ord[j];
			ord[j] = (uint32_t)j;
			if (k == i) {
				c[j] = t;
				break;
			}
			c[j] = c[k];
		}
	}
}

/*
 * Terminate the chosen machines of group g (ids, n of them; failed: room
 * for n flags) in one call and record them: those it could not terminate
 * as failed (failed[i] true afterwards), the others as terminated.  A failure of the group is kept in
 * *first/err when it is the run's first (*first 0 until then); only
 * CMAN_ENOMEM is returned.
 */
static int terminate_group(struct cman_pool_manager *pm, size_t g, const char **ids,
			   size_t n, bool *failed, struct cman_decision *d, int *first,
			   struct cman_error *err)
{
	struct cman_resource_group *rg = pm->groups[g];
	struct cman_error ge;
	bool any = false;
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	memset(failed, 0, n * sizeof(*failed));
	cman_error_clear(&ge);
	rc = rg->ops->terminate(rg, ids, n, pm->dry_run, NULL, failed, &ge);
	if (rc == CMAN_ENOMEM) {
		if (err)
			*err = ge;
		cman_error_prefix(err, "resource group '%s'", rg->id);
		return rc;
	}
	for (i = 0; i < n; i++)
		any |= failed[i];
	for (i = 0; i < n; i++) {
		/* a failed call that flagged nothing: none can be counted done */
		bool bad = failed[i] || (rc && rc != CMAN_EPARTIAL && !any);

		failed[i] = bad;
		if (bad ? cman_decision_add_terminate_failed(d, ids[i])
			: cman_decision_add_terminated(d, ids[i]))
			return cman_error_set(err, CMAN_ENOMEM, "pool manager: out of memory");
	}
	if (rc && !*first) {
		*first = rc;
		if (err)
			*err = ge;
		cman_error_prefix(err, "resource group '%s'", rg->id);
	}
	return 0;
}

/*
 * Candidates into c (room for every machine), with their first keys
 * (cand_key()); returns 0 and their number in *nc.  gs[g].fulfilled set
 * from the groups.  A draining pool's ids (and IPs) are copied into
 * pm->names; the others point into the groups' lists, which do not change
 * before copy_chosen() (issue 12: copying every candidate's id was a tenth
 * of a prune).  The order is taken as the walk needs it (struct order,
 * choose()): a walk that stops early, or whose every remaining candidate
 * is past the weight limit, does not pay for a whole sort (issue 12).
 */
static int gather(struct cman_pool_manager *pm, int64_t now, struct cand *c,
		  struct gstate *gs, size_t *nc_out, struct cman_error *err)
{
	const struct cman_pool_config *cfg = pm->cfg;
	int64_t age = cfg->min_node_scalein_uptime_seconds;
	double max_tasks = cfg->max_tasks_to_kill;
	/* cman_pool_agent_of()'s first case, looked up once */
	void (*by_key)(const struct cman_connector *, uint64_t, struct cman_agent *) =
		pm->conn ? pm->conn->ops->agent_by_key : NULL;
	size_t g, j, n, nc = 0;
	int rc;

	*nc_out = 0;
	if (age > SCALEIN_UPTIME_CAP)
		age = SCALEIN_UPTIME_CAP;
	pm->names_len = 0;
	for (g = 0; g < pm->n_groups; g++) {
		struct cman_resource_group *rg = pm->groups[g];
		const struct cman_rg_instance *inst;
		bool stale = is_stale(rg);

		if ((rc = g_fulfilled(rg, &gs[g].fulfilled, err)) != 0 ||
		    (rc = g_instances(rg, &inst, &n, err)) != 0)
			return rc;
		gs[g].fulfilled -= gs[g].leaving;
		for (j = 0; j < n; j++) {
			struct cman_agent a;
			struct cand *x;

			if (!running(&inst[j]) || inst[j].cordoned)
				continue;
			if (pm->drain && cman_drain_find(pm->drain, inst[j].id) >= 0)
				continue;   /* being drained: already leaving */
			if (by_key && inst[j].agent_key)
				by_key(pm->conn, inst[j].agent_key, &a);
			else
				cman_pool_agent_of(pm, &inst[j], &a);
			if (a.state == CMAN_AGENT_UNKNOWN || !a.safe_to_kill || a.cordoned)
				continue;
			if (a.tasks != 0 && !((double)a.tasks < max_tasks))
				continue;
			x = &c[nc++];
			memset(x, 0, sizeof(*x));
			x->id = inst[j].id;
			if (pm->drain &&
			    (name_add(pm, inst[j].id, &x->id_off) ||
			     name_add(pm, inst[j].ip ? inst[j].ip : "", &x->ip_off)))
				return cman_error_set(err, CMAN_ENOMEM, "pool manager: out of memory");
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
	for (j = 0; j < nc; j++) {
		if (pm->drain)
			c[j].id = pm->names + c[j].id_off;
		cand_key(&c[j]);
	}
	*nc_out = nc;
	return 0;
}

/*
 * Can any machine go without taking its group below the group's new target?
 * When not, the walk would only skip every candidate ("group at target"),
 * which for a pool whose weights overshoot its target by a fraction is
 * every run: it is not done, and no skips are recorded.
 */
static int any_removable(struct cman_pool_manager *pm, const struct gstate *gs, bool *out,
			 struct cman_error *err)
{
	size_t g, j, n;
	int rc;

	*out = false;
	for (g = 0; g < pm->n_groups; g++) {
		struct cman_resource_group *rg = pm->groups[g];
		const struct cman_rg_instance *inst;
		struct cman_rg_summary s;
		double room;

		if ((rc = g_fulfilled(rg, &room, err)) != 0)
			return rc;
		room -= gs[g].target + gs[g].leaving;
		/* room - weight only falls as the weight grows: the lightest
		 * machine decides */
		if (summary_of(rg, &s)) {
			if (room - s.lightest >= -EPS) {
				*out = true;
				return 0;
			}
			continue;
		}
		if ((rc = g_instances(rg, &inst, &n, err)) != 0)
			return rc;
		for (j = 0; j < n; j++)
			if (room - inst[j].weight >= -EPS) {
				*out = true;
				return 0;
			}
	}
	return 0;
}

/* Why candidate x cannot go now (SPEC §4, in this order), NULL if it can. */
static const char *why_not(const struct cman_pool_config *cfg, const struct cand *x,
			   const struct gstate *g, double removed, double killed,
			   double non_orphan, double new_target)
{
	if (removed + x->weight > cfg->max_weight_to_remove + EPS)
		return "weight limit";
	if (g->fulfilled - x->weight < g->target - EPS)
		return "group at target";
	if (killed + x->tasks > cfg->max_tasks_to_kill)
		return "task limit";
	if (!x->orphaned && non_orphan - x->weight < new_target - EPS)
		return "non-orphan floor";
	return NULL;
}

/*
 * No candidate left can go: in every group, its lightest candidate (and so
 * every heavier one: both checks only fail more as the weight grows) is
 * past the weight limit or would take the group below its target.
 */
static bool none_can_go(const struct cman_pool_manager *pm, const struct gstate *gs,
			const double *lightest, double removed)
{
	for (size_t g = 0; g < pm->n_groups; g++) {
		if (lightest[g] == INFINITY)
			continue;
		if (!(removed + lightest[g] > pm->cfg->max_weight_to_remove + EPS) &&
		    !(gs[g].fulfilled - lightest[g] < gs[g].target - EPS))
			return false;
	}
	return true;
}

/*
 * Walk the candidates in order (struct order over heap, nc of them; their
 * sort records into keys, room for nc) and mark those to terminate (SPEC
 * §4); then c[0..*n_chosen) are the chosen ones in that order (the others
 * are dropped).  heap and ord: room for nc indexes each; lightest: room
 * for a double per group.
 */
static int choose(struct cman_pool_manager *pm, double new_target, struct cand *c,
		  size_t nc, struct skey *keys, uint32_t *heap, uint32_t *ord,
		  double *lightest, struct gstate *gs, const struct leave *lv,
		  struct cman_decision *d, size_t *n_chosen, struct cman_error *err)
{
	const struct cman_pool_config *cfg = pm->cfg;
	double fulfilled, non_orphan;
	double removed = 0, killed = 0;
	size_t i, left = nc, nch = 0;
	struct order o;
	int rc;

	*n_chosen = 0;
	order_init(&o, c, nc, heap);
	if ((rc = cman_pool_fulfilled(pm, &fulfilled, err)) != 0 ||
	    (rc = cman_pool_non_orphan_fulfilled(pm, &non_orphan, err)) != 0)
		return rc;
	fulfilled -= lv->total;
	non_orphan -= lv->joined;
	for (i = 0; i < pm->n_groups; i++)
		lightest[i] = INFINITY;
	for (i = 0; i < nc; i++)
		if (c[i].weight < lightest[c[i].group])
			lightest[c[i].group] = c[i].weight;
	while (left && fulfilled > new_target + EPS) {
		struct cand *x;
		const char *why;
		uint32_t xi;

		/* nothing changes while every one left is skipped: when the
		 * decision keeps only the first skipped ones, name those (in
		 * order, with their reasons) and count the rest */
		if (d->skipped_keep && none_can_go(pm, gs, lightest, removed)) {
			while (left && d->n_skipped < d->skipped_keep) {
				x = &c[order_pop(&o, c, keys)];
				left--;
				why = why_not(cfg, x, &gs[x->group], removed, killed, non_orphan,
					      new_target);
				if (cman_decision_add_skipped(d, x->id, why ? why : "weight limit"))
					return cman_error_set(err, CMAN_ENOMEM,
							      "pool manager: out of memory");
			}
			cman_decision_count_skipped(d, left);
			break;
		}
		xi = order_pop(&o, c, keys);
		left--;
		x = &c[xi];
		why = why_not(cfg, x, &gs[x->group], removed, killed, non_orphan, new_target);
		if (why) {
			if (cman_decision_add_skipped(d, x->id, why))
				return cman_error_set(err, CMAN_ENOMEM,
						      "pool manager: out of memory");
			continue;
		}
		x->chosen = true;
		ord[nch++] = xi;
		removed += x->weight;
		killed += x->tasks;
		gs[x->group].fulfilled -= x->weight;
		if (!x->stale)
			fulfilled -= x->weight;
		if (!x->orphaned)
			non_orphan -= x->weight;
	}
	/* the chosen ones first, in order: through the sort records' room
	 * (done with) when they fit there, else by a permutation of all */
	if (nch * sizeof(struct cand) <= nc * sizeof(struct skey)) {
		struct cand *t = (struct cand *)(void *)keys;

		for (i = 0; i < nch; i++)
			t[i] = c[ord[i]];
		memcpy(c, t, nch * sizeof(*c));
	} else {
		for (i = 0, left = nch; i < nc; i++)
			if (!c[i].chosen)
				ord[left++] = (uint32_t)i;
		permute_cands(c, ord, nc);
	}
	*n_chosen = nch;
	return 0;
}

/* ---- draining (cman/drain.h) -------------------------------------------------- */

static int drain_nomem(struct cman_error *err)
{
	return cman_error_set(err, CMAN_ENOMEM, "pool manager: out of memory");
}

/* Record a drainer or state-table failure in d (not returned). */
static int drain_failed(struct cman_decision *d, const char *what, const struct cman_error *e)
{
	char msg[CMAN_ERRMSG_MAX + 64];

	snprintf(msg, sizeof(msg), "%s: %s", what, e->msg);
	return cman_decision_drain_error(d, msg) ? CMAN_ENOMEM : 0;
}

/* Shallow copies of the machines of the set whose index is in idx (k of
 * them), for a drainer call that wants them side by side; NULL: no memory. */
static struct cman_drain_machine *drain_pick(const struct cman_drain *dr, const size_t *idx,
					     size_t k)
{
	struct cman_drain_machine *v = malloc((k ? k : 1) * sizeof(*v));
	size_t i;

	if (v)
		for (i = 0; i < k; i++)
			v[i] = dr->m[idx[i]];
	return v;
}

/* Hand the machines idx[0..k) to the drainer's start(); on success mark
 * them taken (and keep the names it gave them); a failure is recorded. */
static int drain_call_start(struct cman_pool_manager *pm, const size_t *idx, size_t k,
			    int64_t now, struct cman_decision *d)
{
	struct cman_drain *dr = pm->drain;
	struct cman_drain_machine *v;
	struct cman_error e;
	size_t i;
	int rc;

	if (k == 0)
		return 0;
	if (!(v = drain_pick(dr, idx, k)))
		return CMAN_ENOMEM;
	cman_error_clear(&e);
	rc = dr->drainer->ops->start(dr->drainer, v, k, now, &e);
	if (rc == CMAN_ENOMEM) {
		free(v);
		return rc;
	}
	if (rc) {
		free(v);
		return drain_failed(d, "starting to drain", &e);
	}
	for (i = 0; i < k; i++) {
		struct cman_drain_machine *m = &dr->m[idx[i]];

		m->acked = true;
		memcpy(m->hostname, v[i].hostname, sizeof(m->hostname));
		m->hostname[sizeof(m->hostname) - 1] = '\0';
	}
	dr->changed = true;
	free(v);
	return 0;
}

/*
 * Find each machine of the set running in its group (snapshot of this
 * run), fill gs[].leaving and *lv with their weights, and mark those no
 * longer running gone.  Only CMAN_ENOMEM and a getter's error are returned.
 */
static int drain_locate(struct cman_pool_manager *pm, struct gstate *gs, struct leave *lv,
			struct cman_decision *d, struct cman_error *err)
{
	struct cman_drain *dr = pm->drain;
	size_t g, i, j, n;
	int rc;

	for (i = 0; i < dr->n; i++) {
		dr->m[i].found = dr->m[i].done = false;
		dr->m[i].weight = 0;
	}
	for (g = 0; g < pm->n_groups && dr->n; g++) {
		const struct cman_rg_instance *inst;
		bool stale = is_stale(pm->groups[g]);

		if ((rc = g_instances(pm->groups[g], &inst, &n, err)) != 0)
			return rc;
		for (j = 0; j < n; j++) {
			struct cman_agent a;
			long x;

			if (!running(&inst[j]) || (x = cman_drain_find(dr, inst[j].id)) < 0 ||
			    dr->m[x].found)
				continue;
			dr->m[x].found = true;
			dr->m[x].group = g;
			dr->m[x].weight = inst[j].weight;
			gs[g].leaving += inst[j].weight;
			if (!stale)
				lv->total += inst[j].weight;
			cman_pool_agent_of(pm, &inst[j], &a);
			if (joined(a.state))
				lv->joined += inst[j].weight;
		}
	}
	/* gone: no longer running in any group */
	for (i = 0; i < dr->n; i++) {
		if (dr->m[i].found)
			continue;
		dr->m[i].done = true;
		if (cman_decision_add_drain(d, CMAN_DRAIN_GONE, dr->m[i].instance_id))
			return drain_nomem(err);
	}
	return 0;
}

/*
 * The set's machines found this run: offer the untaken ones to the drainer
 * again, then terminate the drained and the timed-out ones.  ids and
 * failed: scratch with room for every machine of the pool.  Only
 * CMAN_ENOMEM is returned; a group's termination failure goes to *first.
 */
static int drain_progress(struct cman_pool_manager *pm, int64_t now, const char **ids,
			  bool *failed, struct cman_decision *d, int *first,
			  struct cman_error *err)
{
	struct cman_drain *dr = pm->drain;
	size_t g, i, j, k, *idx = NULL;
	struct cman_drain_machine *v = NULL;
	bool *term = NULL;
	int rc = 0;

	if (dr->n == 0)
		return 0;
	if (!(idx = malloc(dr->n * sizeof(*idx))) || !(term = calloc(dr->n, sizeof(*term))) ||
	    cman_grow((void **)&dr->flags, &dr->flags_cap, dr->n, sizeof(*dr->flags))) {
		rc = drain_nomem(err);
		goto out;
	}
	/* which of the taken ones are drained (each asked once per run) */
	for (i = 0, k = 0; i < dr->n; i++)
		if (dr->m[i].found && dr->m[i].acked)
			idx[k++] = i;
	if (k) {
		struct cman_error e;
		int r;

		if (!(v = drain_pick(dr, idx, k))) {
			rc = drain_nomem(err);
			goto out;
		}
		memset(dr->flags, 0, k * sizeof(*dr->flags));
		cman_error_clear(&e);
		r = dr->drainer->ops->drained(dr->drainer, v, k, dr->flags, &e);
		if (r == CMAN_ENOMEM) {
			rc = drain_nomem(err);
			goto out;
		}
		if (r) {
			memset(dr->flags, 0, k * sizeof(*dr->flags));
			if (drain_failed(d, "asking which machines are drained", &e)) {
				rc = drain_nomem(err);
				goto out;
			}
		}
		for (i = 0; i < k; i++)
			term[idx[i]] = dr->flags[i];
	}
	/* not taken by the drainer yet (its start failed): offer them
	 * again (asked whether drained only next run, after a fresh reload) */
	for (i = 0, k = 0; i < dr->n; i++)
		if (dr->m[i].found && !dr->m[i].acked)
			idx[k++] = i;
	if (!pm->dry_run && (rc = drain_call_start(pm, idx, k, now, d)) != 0) {
		rc = drain_nomem(err);
		goto out;
	}
	/* drained, or past the deadline drained or not */
	for (i = 0; i < dr->n; i++) {
		struct cman_drain_machine *m = &dr->m[i];
		enum cman_drain_list why;

		if (!m->found)
			continue;
		if (term[i])
			why = CMAN_DRAIN_DRAINED;
		else if (now >= m->deadline)
			why = CMAN_DRAIN_TIMED_OUT;
		else
			continue;
		term[i] = true;
		if (cman_decision_add_drain(d, why, m->instance_id)) {
			rc = drain_nomem(err);
			goto out;
		}
	}
	for (g = 0; g < pm->n_groups; g++) {
		for (i = 0, k = 0; i < dr->n; i++)
			if (term[i] && dr->m[i].group == g) {
				idx[k] = i;
				ids[k++] = dr->m[i].instance_id;
			}
		if ((rc = terminate_group(pm, g, ids, k, failed, d, first, err)) != 0)
			goto out;
		for (j = 0; j < k; j++)
			if (!failed[j])
				dr->m[idx[j]].done = true;   /* a failed one stays */
	}
out:
	free(v);
	free(term);
	free(idx);
	return rc;
}

/* The machines pruning chose: into the set, written to the state table
 * first, then to the drainer.  Dry run: only recorded. */
static int drain_start(struct cman_pool_manager *pm, int64_t now, const struct cand *c,
		       size_t nc, struct cman_decision *d)
{
	struct cman_drain *dr = pm->drain;
	size_t i, n0 = dr->n, *idx = NULL;
	struct cman_error e;
	int rc = 0;

	for (i = 0; i < nc; i++) {
		if (!c[i].chosen)
			continue;
		if (cman_decision_add_drain(d, CMAN_DRAIN_STARTED, c[i].id))
			return CMAN_ENOMEM;
		if (pm->dry_run)
			continue;
		if (cman_drain_add(dr, c[i].id, pm->groups[c[i].group]->id,
				   pm->names + c[i].ip_off, now) < 0)
			return CMAN_ENOMEM;
		dr->m[dr->n - 1].found = true;
		dr->m[dr->n - 1].group = c[i].group;
		dr->m[dr->n - 1].weight = c[i].weight;
	}
	if (dr->n == n0)
		return 0;
	/* recorded before the drainer hears of them: a restart resumes them */
	cman_error_clear(&e);
	if (cman_drain_save(dr, now, &e)) {
		for (i = n0; i < dr->n; i++)
			dr->m[i].done = true;   /* not started: chosen again next run */
		return drain_failed(d, "recording the machines to drain", &e);
	}
	if (!(idx = malloc((dr->n - n0) * sizeof(*idx))))
		return CMAN_ENOMEM;
	for (i = n0; i < dr->n; i++)
		idx[i - n0] = i;
	rc = drain_call_start(pm, idx, dr->n - n0, now, d);
	free(idx);
	return rc;
}

/* End of a draining run: release the machines that left, record the
 * pending ones, drop the others from the set and write it back. */
static int drain_finish(struct cman_pool_manager *pm, int64_t now, struct cman_decision *d)
{
	struct cman_drain *dr = pm->drain;
	size_t i, k = 0, *idx;
	struct cman_error e;
	int rc = 0;

	if (!(idx = malloc((dr->n ? dr->n : 1) * sizeof(*idx))))
		return CMAN_ENOMEM;
	for (i = 0; i < dr->n; i++) {
		if (dr->m[i].done)
			idx[k++] = i;
		else if (cman_decision_add_drain(d, CMAN_DRAIN_PENDING, dr->m[i].instance_id))
			rc = CMAN_ENOMEM;
	}
	if (!rc && k && !pm->dry_run && dr->drainer->ops->release) {
		struct cman_drain_machine *v = drain_pick(dr, idx, k);

		cman_error_clear(&e);
		if (!v)
			rc = CMAN_ENOMEM;
		else if (dr->drainer->ops->release(dr->drainer, v, k, &e))
			rc = drain_failed(d, "releasing drained machines", &e);
		free(v);
	}
	free(idx);
	cman_drain_compact(dr);
	if (!rc && !pm->dry_run && dr->changed) {
		cman_error_clear(&e);
		if (cman_drain_save(dr, now, &e))
			rc = drain_failed(d, "recording the drain state", &e);
	}
	return rc;
}

/* The ids of the chosen candidates c[0..nc) (choose() put them first)
 * copied into pm->names, so that they survive the groups changing their
 * lists while terminating; CMAN_ENOMEM. */
static int copy_chosen(struct cman_pool_manager *pm, struct cand *c, size_t nc,
		       struct cman_error *err)
{
	size_t i;

	pm->names_len = 0;
	for (i = 0; i < nc && c[i].chosen; i++)
		if (name_add(pm, c[i].id, &c[i].id_off))
			return cman_error_set(err, CMAN_ENOMEM, "pool manager: out of memory");
	while (i-- > 0)
		c[i].id = pm->names + c[i].id_off;
	return 0;
}

/* Scratch of cman_pool_modify for n groups and m machines. */
struct layout {
	size_t off_out, off_gs, off_c, off_ids, off_failed, off_ord, bytes;
};

static void layout_of(size_t n, size_t m, struct layout *l)
{
	l->off_out = align_up(n * sizeof(double));
	l->off_gs = l->off_out + align_up(n * sizeof(double));
	l->off_c = l->off_gs + align_up(n * sizeof(struct gstate));
	l->off_ids = l->off_c + align_up(m * sizeof(struct cand));
	l->off_failed = l->off_ids + align_up(m * sizeof(const char *));
	l->off_ord = l->off_failed + align_up(m * sizeof(bool) + 1);
	l->bytes = l->off_ord + m * sizeof(struct skey) + 2 * m * sizeof(uint32_t) + 1;
}

/* Resize group g from cur to out (step 5) and record the outcome in d. */
static int resize_group(struct cman_pool_manager *pm, size_t g, double cur, double out,
			struct cman_decision *d, struct gstate *gs, int *first,
			struct cman_error *err)
{
	struct cman_resource_group *rg = pm->groups[g];
	struct cman_error ge;
	int rc;

	if (pm->dry_run)
		d->groups[g].applied = cur;
	if (out == cur)
		return 0;
	cman_error_clear(&ge);
	rc = rg->ops->modify_target(rg, out, pm->dry_run, &ge);
	if (!rc)
		return 0;
	if (rc == CMAN_ENOMEM) {
		if (err)
			*err = ge;
		cman_error_prefix(err, "resource group '%s'", rg->id);
		return rc;
	}
	/* LIVE-SPEC §5.2: record it and go on with the other groups */
	d->groups[g].applied = rc == CMAN_ETIMEOUT || rc == CMAN_EPARTIAL ? NAN : cur;
	if (cman_decision_set_group_error(d, g, rc, ge.msg))
		return cman_error_set(err, CMAN_ENOMEM, "pool manager: out of memory");
	gs[g].target = cur > out ? cur : out;
	if (!*first) {
		*first = rc;
		if (err)
			*err = ge;
		cman_error_prefix(err, "resource group '%s'", rg->id);
	}
	return 0;
}

int cman_pool_modify(struct cman_pool_manager *pm, double new_target,
		     struct cman_decision *d, struct cman_error *err)
{
	size_t n, total = 0, nc = 0, g, i, k, m;
	struct layout l;
	double *cur, *out, fulfilled;
	struct gstate *gs;
	struct cand *c = NULL;
	struct skey *keys;
	uint32_t *heap;
	const char **ids = NULL;
	bool *failed = NULL, removable;
	struct leave lv = { 0, 0 };
	int64_t now = 0;
	int rc = 0, first = 0;

	if (!pm || !d || !(new_target == new_target)) {
		rc = cman_error_set(err, CMAN_EINVAL, "pool manager: bad arguments");
		goto out;
	}
	d->dry_run = pm->dry_run;
	if (pm->drain) {
		/* which machines are being drained: before anything changes */
		d->draining = true;
		if ((rc = now_of(pm, &now, err)) != 0 ||
		    (rc = cman_drain_load(pm->drain, err)) != 0)
			goto out;
	}
	n = pm->n_groups;
	for (g = 0; g < n; g++) {
		if ((rc = g_count(pm->groups[g], &m, err)) != 0)
			goto out;
		total += m;
	}
	layout_of(n, total, &l);
	if ((rc = scratch_reserve(pm, l.bytes, err)) != 0)
		goto out;
	cur = pm->scratch;
	out = (double *)((char *)pm->scratch + l.off_out);
	gs = (struct gstate *)((char *)pm->scratch + l.off_gs);

	/* Step 4: distribute; record every group's plan. */
	for (g = 0; g < n; g++)
		if ((rc = g_target(pm->groups[g], &cur[g], err)) != 0)
			goto out;
	cman_pool_distribute(pm, cur, new_target, out);
	if (cman_decision_set_groups(d, n)) {
		rc = cman_error_set(err, CMAN_ENOMEM, "pool manager: out of memory");
		goto out;
	}
	for (g = 0; g < n; g++) {
		if (cman_decision_set_group(d, g, pm->groups[g]->id, out[g])) {
			rc = cman_error_set(err, CMAN_ENOMEM, "pool manager: out of memory");
			goto out;
		}
		gs[g].target = out[g];
		gs[g].leaving = 0;
	}

	/* Step 5: resize the groups whose target changed, every one of them. */
	for (g = 0; g < n; g++)
		if ((rc = resize_group(pm, g, cur[g], out[g], d, gs, &first, err)) != 0)
			goto out;

	/* A draining pool: which of its machines are leaving (before anything
	 * is terminated, so every count below is of one picture). */
	if (pm->drain && (rc = drain_locate(pm, gs, &lv, d, err)) != 0)
		goto out;

	/* Then prune.  The groups may have launched: count their machines
	 * again before using the scratch for them. */
	if ((rc = cman_pool_fulfilled(pm, &fulfilled, err)) != 0)
		goto out;
	if (!(fulfilled - lv.total > new_target + EPS) || !pm->conn)
		goto act;
	if ((rc = now_of(pm, &now, err)) != 0)
		goto out;
	for (g = 0, k = 0; g < n; g++) {
		if ((rc = g_count(pm->groups[g], &m, err)) != 0)
			goto out;
		k += m;
	}
	if (k > total) {
		layout_of(n, k, &l);
		if ((rc = scratch_reserve(pm, l.bytes, err)) != 0)
			goto out;
		gs = (struct gstate *)((char *)pm->scratch + l.off_gs);
	}
	c = (struct cand *)((char *)pm->scratch + l.off_c);
	ids = (const char **)((char *)pm->scratch + l.off_ids);
	failed = (bool *)((char *)pm->scratch + l.off_failed);
	if ((rc = any_removable(pm, gs, &removable, err)) != 0)
		goto out;
	if (!removable)
		goto act;
	keys = (struct skey *)((char *)pm->scratch + l.off_ord);
	heap = (uint32_t *)(keys + k);
	if ((rc = gather(pm, now, c, gs, &nc, err)) != 0)
		goto out;
	if ((rc = choose(pm, new_target, c, nc, keys, heap, heap + k,
			 (double *)pm->scratch /* cur[]: done with */, gs, &lv, d, &nc,
			 err)) != 0)
		goto out;
act:
	if (pm->drain) {
		/* terminate what is drained or timed out, then drain what was
		 * chosen (it is not asked about before the next run) */
		if ((rc = drain_progress(pm, now, (const char **)((char *)pm->scratch + l.off_ids),
					 (bool *)((char *)pm->scratch + l.off_failed), d, &first,
					 err)) != 0)
			goto out;
		rc = drain_start(pm, now, c, nc, d);
		goto out;
	}
	if (nc && (rc = copy_chosen(pm, c, nc, err)) != 0)
		goto out;
	for (g = 0; g < n && nc; g++) {
		for (i = 0, k = 0; i < nc; i++)
			if (c[i].chosen && c[i].group == g)
				ids[k++] = c[i].id;
		if ((rc = terminate_group(pm, g, ids, k, failed, d, &first, err)) != 0)
			goto out;
	}
out:
	if (pm && pm->drain && d && d->draining && rc != CMAN_ENOMEM) {
		int r = drain_finish(pm, now, d);

		if (r && !rc)
			rc = r;
	}
	return rc ? rc : first;
}

/* ---- orphans ------------------------------------------------------------- */

/* The group's summary says it has no machine orphaned for longer than
 * threshold: nothing of it to clean up (its walk would find none). */
static bool no_old_orphan(struct cman_resource_group *rg, int64_t now, int64_t threshold)
{
	struct cman_rg_summary s;

	return summary_of(rg, &s) &&
	       (s.oldest_orphan == INT64_MAX || now - s.oldest_orphan <= threshold);
}

int cman_pool_cleanup_orphans(struct cman_pool_manager *pm,
			      struct cman_decision *d, struct cman_error *err)
{
	size_t g, j, n, k, maxn = 0;
	int64_t now = 0, threshold;
	size_t *offs;
	const char **ids;
	bool *failed;
	size_t off_ids, off_failed;
	int rc = 0, first = 0;

	if (!pm || !d) {
		rc = cman_error_set(err, CMAN_EINVAL, "pool manager: bad arguments");
		goto out;
	}
	if (!pm->conn || pm->n_groups == 0)
		goto out;
	if (pm->drain && !pm->drain->loaded)
		goto out;   /* which machines are being drained is not known */
	if ((rc = now_of(pm, &now, err)) != 0)
		goto out;
	threshold = pm->cfg->orphan_instance_uptime_threshold_seconds;
	for (g = 0; g < pm->n_groups; g++) {
		const struct cman_rg_instance *inst;

		if (no_old_orphan(pm->groups[g], now, threshold))
			continue;
		if ((rc = g_instances(pm->groups[g], &inst, &n, err)) != 0)
			goto out;
		if (n > maxn)
			maxn = n;
	}
	if (maxn == 0)
		goto out;
	off_ids = align_up(maxn * sizeof(*offs));
	off_failed = off_ids + align_up(maxn * sizeof(*ids));
	if ((rc = scratch_reserve(pm, off_failed + maxn * sizeof(*failed), err)) != 0)
		goto out;
	offs = pm->scratch;
	ids = (const char **)((char *)pm->scratch + off_ids);
	failed = (bool *)((char *)pm->scratch + off_failed);
	for (g = 0; g < pm->n_groups; g++) {
		const struct cman_rg_instance *inst;

		if (no_old_orphan(pm->groups[g], now, threshold))
			continue;
		if ((rc = g_instances(pm->groups[g], &inst, &n, err)) != 0)
			goto out;
		if (n > maxn)
			n = maxn;   /* cannot grow between the two calls */
		pm->names_len = 0;
		for (j = 0, k = 0; j < n; j++) {
			struct cman_agent a;

			if (!running(&inst[j]) || inst[j].cordoned)
				continue;
			cman_pool_agent_of(pm, &inst[j], &a);
			if (a.state != CMAN_AGENT_ORPHANED || a.cordoned ||
			    now - a.orphaned_since <= threshold)
				continue;
			if (cman_decision_has_terminated(d, inst[j].id) ||
			    (pm->drain && cman_drain_find(pm->drain, inst[j].id) >= 0))
				continue;
			if (name_add(pm, inst[j].id, &offs[k])) {
				rc = cman_error_set(err, CMAN_ENOMEM, "pool manager: out of memory");
				goto out;
			}
			k++;
		}
		for (j = 0; j < k; j++)
			ids[j] = pm->names + offs[j];
		if ((rc = terminate_group(pm, g, ids, k, failed, d, &first, err)) != 0)
			goto out;
	}
out:
	return rc ? rc : first;
}
