/*
 * connector.c - the simulated cluster as the autoscaler sees it: agents of
 * joined instances, their totals, and the recorded allocations spread over
 * them; the simulation's clock.
 *
 * Tasks model: the recorded allocated CPUs are packed onto the joined agents
 * oldest first, one task per allocated CPU (rounded up per agent), so the
 * newest agents are the idle ones, as a bin-packing scheduler leaves them.
 * The simulator knows nothing of batch tasks (0) or draining (never).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"

/*
 * Spread the recorded allocations over the agents the reload saw: walk
 * running_ids[0..n) (oldest first), drop the ended ones, pack the joined
 * ones (and with totals, add their resources to sc->total); then the ids
 * launched since (running_ids[n..]) follow the kept ones.
 */
static void pack(struct sim_connector *sc, size_t n, bool totals)
{
	struct cman_sim *sim = sc->sim;
	double left = sim->allocated;
	size_t i, k = 0, tail = sim->n_running_ids - n;

	/* sim->running_ids lists launches oldest first: drop the ended ones
	 * while walking it, so each reload costs the running instances only */
	for (i = 0; i < n; i++) {
		uint32_t id = sim->running_ids[i];
		struct sim_instance *in = &sim->inst[id];
		const struct cman_instance_type *it = sim->markets[in->market].it;
		double take;

		if (in->end != NO_TIME)
			continue;
		sim->running_ids[k++] = id;
		in->tasks = 0;
		if (!in->joined)
			continue;
		if (totals) {
			sc->total[CMAN_RES_CPUS] += it->cpus;
			sc->total[CMAN_RES_MEM] += it->mem_mb;
			sc->total[CMAN_RES_DISK] += it->has_local_disk
							    ? it->disk_mb
							    : sim->sc->ebs_volume_gb * 1024.0;
			sc->total[CMAN_RES_GPUS] += it->gpus;
		}
		take = left < it->cpus ? left : it->cpus;
		if (take > 0) {
			in->tasks = (int)ceil(take);
			left -= take;
		}
	}
	if (k < n && tail)
		memmove(sim->running_ids + k, sim->running_ids + n, tail * sizeof(*sim->running_ids));
	sim->n_running_ids = k + tail;
	sc->pack_pending = false;
}

/* The totals kept as agents join and leave, when they are the walk's. */
static bool totals_kept(const struct sim_connector *sc)
{
	int r;

	if (!sc->exact)
		return false;
	for (r = 0; r < CMAN_RES_COUNT; r++)
		if (sc->joined_sum[r] > (UINT64_C(1) << 53))
			return false;
	return true;
}

static int conn_reload(struct cman_connector *c, struct cman_error *err)
{
	struct sim_connector *sc = (struct sim_connector *)c;
	int r;

	(void)err;
	memset(sc->total, 0, sizeof(sc->total));
	if (!totals_kept(sc)) {
		pack(sc, sc->sim->n_running_ids, true);
		return 0;
	}
	/* whole numbers below 2^53 add up exactly in any order */
	for (r = 0; r < CMAN_RES_COUNT; r++)
		sc->total[r] = (double)sc->joined_sum[r];
	sc->pack_pending = true;
	sc->pack_n = sc->sim->n_running_ids;
	return 0;
}

/* The tasks as the last reload spread them (spread now if not yet). */
static void packed(const struct sim_connector *c)
{
	struct sim_connector *sc = (struct sim_connector *)c;

	if (sc->pack_pending)
		pack(sc, sc->pack_n, false);
}

void sim_connector_joined(struct cman_sim *sim, uint32_t id)
{
	const struct sim_market *m = &sim->markets[sim->inst[id].market];
	int r;

	if (!sim->conn || !sim->conn->exact)
		return;
	for (r = 0; r < CMAN_RES_COUNT; r++)
		sim->conn->joined_sum[r] += (uint64_t)m->res[r];
}

void sim_connector_ending(struct cman_sim *sim, uint32_t id)
{
	const struct sim_market *m = &sim->markets[sim->inst[id].market];
	int r;

	if (!sim->conn)
		return;
	/* the reload's picture had it running: spread the tasks over that */
	packed(sim->conn);
	if (!sim->conn->exact || !sim->inst[id].joined)
		return;
	for (r = 0; r < CMAN_RES_COUNT; r++)
		sim->conn->joined_sum[r] -= (uint64_t)m->res[r];
}

void sim_connector_run_done(struct cman_sim *sim)
{
	if (sim->conn)
		sim->conn->pack_pending = false;   /* nobody asked: no need */
}

/* The agent of instance v (an index below sim->n_inst); each case one
 * store of the whole record. */
static inline void agent_of(const struct cman_sim *sim, uint32_t v, struct cman_agent *out)
{
	const struct sim_instance *in = &sim->inst[v];

	if (in->end != NO_TIME)
		*out = (struct cman_agent){ .state = CMAN_AGENT_UNKNOWN };
	else if (!in->joined)
		*out = (struct cman_agent){ .state = CMAN_AGENT_ORPHANED,
					    .orphaned_since = in->start,
					    .safe_to_kill = true };
	else
		*out = (struct cman_agent){ .state = in->tasks ? CMAN_AGENT_RUNNING
							       : CMAN_AGENT_IDLE,
					    .tasks = in->tasks,
					    .safe_to_kill = true };
}

static void conn_agent(const struct cman_connector *c, const char *id,
		       struct cman_agent *out)
{
	const struct cman_sim *sim = ((const struct sim_connector *)c)->sim;
	uint32_t v;

	if (!sim_parse_id(id, &v) || v >= sim->n_inst) {
		memset(out, 0, sizeof(*out));
		out->state = CMAN_AGENT_UNKNOWN;
		return;
	}
	packed((const struct sim_connector *)c);
	agent_of(sim, v, out);
}

/* The groups' views key each instance by its index + 1 (groups.c).  The
 * pool manager asks for every machine of a prune (issue 12): the spread
 * is checked inline. */
static void conn_agent_by_key(const struct cman_connector *c, uint64_t key,
			      struct cman_agent *out)
{
	const struct sim_connector *sc = (const struct sim_connector *)c;
	const struct cman_sim *sim = sc->sim;

	if (key == 0 || key > sim->n_inst) {
		memset(out, 0, sizeof(*out));
		out->state = CMAN_AGENT_UNKNOWN;
		return;
	}
	if (sc->pack_pending)
		packed(sc);
	agent_of(sim, (uint32_t)(key - 1), out);
}

static double conn_total(const struct cman_connector *c, enum cman_resource r)
{
	return ((const struct sim_connector *)c)->total[r];
}

static double conn_allocated(const struct cman_connector *c, enum cman_resource r)
{
	return ((const struct sim_connector *)c)->sim->allocated_res[r];
}

static const struct cman_connector_ops sim_connector_ops = {
	.kind = "simulated",
	.reload = conn_reload,
	.agent = conn_agent,
	.agent_by_key = conn_agent_by_key,
	.total = conn_total,
	.allocated = conn_allocated,
};

static int64_t clock_now(const struct cman_clock *clk)
{
	return ((const struct sim_clock *)clk)->sim->now;
}

static const struct cman_clock_ops sim_clock_ops = { .now = clock_now };

int sim_connector_new(struct cman_sim *sim, struct cman_error *err)
{
	sim->conn = calloc(1, sizeof(*sim->conn));
	sim->clock = calloc(1, sizeof(*sim->clock));
	if (!sim->conn || !sim->clock)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	sim->conn->base.ops = &sim_connector_ops;
	sim->conn->sim = sim;
	/* the groups' markets are all there is in autoscaler mode */
	sim->conn->exact = true;
	for (size_t g = 0; g < sim->n_groups; g++)
		for (size_t s = 0; s < sim->groups[g].n_specs; s++)
			if (!sim->markets[sim->groups[g].specs[s].market].res_exact)
				sim->conn->exact = false;
	sim->clock->base.ops = &sim_clock_ops;
	sim->clock->sim = sim;
	return 0;
}

void sim_connector_free(struct cman_sim *sim)
{
	free(sim->conn);
	free(sim->clock);
	sim->conn = NULL;
	sim->clock = NULL;
}
