/* fuzz_mesos_json - the Mesos master's answers as the connector parses them:
 * /master/slaves and /master/frameworks (the input split at its first NUL
 * byte, or the same text for both, as in /master/state which holds both
 * keys), then GET_MAINTENANCE_STATUS; checks the snapshot's invariants. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "cman/live/mesos.h"

static struct cman_mesos *connector(void)
{
	static struct cman_mesos *m;
	struct cman_mesos_config cfg;
	struct cman_error err;

	if (m)
		return m;
	cman_mesos_config_init(&cfg);
	strcpy(cfg.master, "127.0.0.1:5050");
	strcpy(cfg.pool, "default");
	if (cman_mesos_new(&cfg, &m, &err))
		abort();
	return m;
}

static void check(const struct cman_mesos *m)
{
	size_t i, n = cman_mesos_agent_count(m), fw = cman_mesos_framework_count(m);
	double sum[CMAN_RES_COUNT] = {0};
	int r;

	for (i = 0; i < n; i++) {
		const struct cman_mesos_agent *a = cman_mesos_agent_at(m, i);
		const struct cman_mesos_agent *b = cman_mesos_agent_by_ip(m, a->ip);
		struct cman_agent out;

		if (a->batch_tasks > a->tasks || a->tasks < 0)
			abort();
		for (r = 0; r < CMAN_RES_COUNT; r++) {
			if (!(a->total[r] >= 0) || !(a->used[r] >= 0))
				abort();
			sum[r] += a->total[r];
		}
		if (a->ip[0] && (!b || strcmp(b->ip, a->ip) != 0))
			abort();    /* every addressed agent is found by its IP */
		if (i > 0 && a->ip[0] && !cman_mesos_agent_at(m, i - 1)->ip[0])
			abort();    /* agents without an IP sort last */
		cman_mesos_agent_for_ip(m, a->ip, 7, &out);
		if (a->ip[0] && out.state != b->state)   /* the one kept for the IP */
			abort();
	}
	for (r = 0; r < CMAN_RES_COUNT; r++) {
		double t = cman_mesos_total(m, (enum cman_resource)r);

		/* the same sum in another order: equal up to rounding */
		if (!(isinf(sum[r]) && isinf(t)) &&
		    fabs(sum[r] - t) > 1e-9 * fmax(fabs(sum[r]), fabs(t)))
			abort();
	}
	for (i = 0; i < fw; i++) {
		const struct cman_mesos_framework *f = cman_mesos_framework_at(m, i);

		if (f->tasks > f->tasks_all || !f->id || !f->name)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cman_mesos *m = connector();
	struct cman_mesos_maintenance st;
	struct cman_error err = { 0 };
	const char *text = (const char *)data;
	const char *nul = memchr(data, 0, size);
	size_t first = nul ? (size_t)(nul - text) : size;

	if (cman_mesos_load(m, text, first, nul ? nul + 1 : text,
			    nul ? size - first - 1 : size, &err) == 0)
		check(m);
	if (cman_mesos_parse_maintenance_status(text, size, &st, &err) == 0) {
		size_t i;

		for (i = 0; i < st.n_draining; i++)
			if (!st.draining[i].hostname || !st.draining[i].ip)
				abort();
		for (i = 0; i < st.n_down; i++)
			if (!st.down[i].hostname || !st.down[i].ip)
				abort();
		cman_mesos_maintenance_release(&st);
	}
	return 0;
}
