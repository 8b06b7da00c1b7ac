/*
 * ops_status.c - `clusterman-live status`: one look at a live pool
 * (LIVE-SPEC §7.4): the pause and the capacity offset, the resource groups
 * with their target and fulfilled capacity and their machines per market,
 * the agents by state.  Describe calls only: nothing is changed.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/drain.h"
#include "cman/live/livepool.h"
#include "cman/live/ops.h"
#include "cman/signal.h"
#include "cman/time.h"
#include "ops_int.h"

static const char usage_status[] =
	"usage: clusterman-live status --cluster C --pool P [--scheduler S] [--json]\n"
	"                              [--config FILE]\n"
	"\n"
	"Describes the pool once (describe calls only; nothing is changed): whether\n"
	"autoscaling is paused and until when, the capacity offset in force, the\n"
	"pool's target, fulfilled and non-orphan fulfilled capacity and scaling\n"
	"limits, each resource group (found by its tag, as the autoscaler finds it)\n"
	"with its target and fulfilled capacity and its machines per market, the\n"
	"agents of the running machines by state, the cluster's resources, and\n"
	"the machines being drained before termination (from the pool's state\n"
	"table: since when, and the deadline after which they are terminated\n"
	"drained or not), and the samples of the signal's metrics in its window\n"
	"now (a warning when there is none: the autoscaler would keep the\n"
	"current target).\n"
	"\n"
	"  --cluster C     the cluster (default $CMAN_CLUSTER)\n"
	"  --pool P        the pool (default $CMAN_POOL)\n"
	"  --scheduler S   the pool file's scheduler (default mesos)\n"
	"  --json          one JSON document instead of text\n"
	"  --config FILE   the service file\n"
	"\n"
	"Exit status: 0, 2 bad usage/configuration, 1 a call failed.\n";

static const char *const agent_names[] = {"unknown", "orphaned", "idle", "running"};

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_string(v > 0 ? "inf" : "-inf");
}

static json_t *time_json(int64_t t)
{
	char b[CMAN_TIME_BUFSZ];

	return t == INT64_MAX ? json_null() : json_string(cman_time_format(t, b));
}

/* A market of a group: machines by EC2 state, weight of those pending or
 * running (what the market gives the pool's fulfilled capacity). */
static json_t *market_of(json_t *markets, const struct cman_rg_instance *in)
{
	const char *type = in->instance_type ? in->instance_type : "",
		   *az = in->az ? in->az : "";
	size_t i;
	json_t *m;

	json_array_foreach(markets, i, m) {
		if (!strcmp(json_string_value(json_object_get(m, "instance_type")), type) &&
		    !strcmp(json_string_value(json_object_get(m, "az")), az))
			return m;
	}
	m = json_pack("{s:s, s:s, s:{}, s:f}", "instance_type", type, "az", az, "instances",
		      "fulfilled_capacity", 0.0);
	json_array_append_new(markets, m);
	return m;
}

static int group_json(struct cman_live_pool *lp, size_t g, int64_t now, json_t *counts,
		      json_t **out, struct cman_error *err)
{
	struct cman_resource_group *rg = lp->rgs[g];
	const struct cman_rg_instance *ins;
	json_t *o, *markets, *agents;
	double target, fulfilled;
	size_t n;
	int rc;

	if ((rc = rg->ops->target_capacity(rg, &target, err)) != 0 ||
	    (rc = rg->ops->fulfilled_capacity(rg, &fulfilled, err)) != 0 ||
	    (rc = rg->ops->instances(rg, &ins, &n, err)) != 0) {
		cman_error_prefix(err, "%s", rg->id);
		return rc;
	}
	markets = json_array();
	agents = json_array();
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id", rg->id, "kind",
		      rg->ops->kind, "status", rg->ops->is_stale(rg) ? "stale" : "active",
		      "target_capacity", num(target), "fulfilled_capacity", num(fulfilled),
		      "min_capacity", num(rg->ops->min_capacity(rg)), "max_capacity",
		      num(rg->ops->max_capacity(rg)), "markets", markets, "agents", agents);
	if (!o)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct cman_rg_instance *in = &ins[i];
		const char *state = cman_instance_state_name(in->state);
		json_t *m = market_of(markets, in), *by = json_object_get(m, "instances");
		struct cman_agent ag = {0};
		char as[32];

		json_object_set_new(by, state, json_integer(json_integer_value(
						       json_object_get(by, state)) + 1));
		if (in->state == CMAN_INSTANCE_PENDING || in->state == CMAN_INSTANCE_RUNNING)
			json_object_set_new(m, "fulfilled_capacity",
					    json_real(json_real_value(json_object_get(
						    m, "fulfilled_capacity")) + in->weight));
		if (in->state == CMAN_INSTANCE_RUNNING) {
			cman_pool_agent_of(&lp->pm, in, &ag);
			json_object_set_new(counts, agent_names[ag.state], json_integer(
				json_integer_value(json_object_get(counts, agent_names[ag.state])) + 1));
		}
		snprintf(as, sizeof(as), "AgentState.%s",
			 in->state != CMAN_INSTANCE_RUNNING ? "UNKNOWN"
			 : ag.state == CMAN_AGENT_RUNNING ? "RUNNING"
			 : ag.state == CMAN_AGENT_IDLE	  ? "IDLE"
			 : ag.state == CMAN_AGENT_ORPHANED ? "ORPHANED" : "UNKNOWN");
		json_array_append_new(agents, json_pack(
			"{s:s, s:s, s:s, s:o, s:{s:s, s:s}, s:f, s:i, s:o, s:b, s:b}",
			"instance_id", in->id, "aws_state", state, "agent_state", as,
			"ip_address", in->ip && in->ip[0] ? json_string(in->ip) : json_null(),
			"market", "instance", in->instance_type ? in->instance_type : "", "az",
			in->az ? in->az : "", "weight", in->weight, "task_count", ag.tasks,
			"uptime", in->launch_time > 0 ? json_integer(now - in->launch_time) : json_null(),
			"spot", in->spot, "cordoned", in->cordoned));
	}
	*out = o;
	return 0;
}

/* The machines being drained, from the pool's state table (whether or not
 * the pool file still enables draining: a set left behind is shown too).
 * A state item that cannot be read or decoded is not fatal: *why says it
 * (the list is then empty). */
static json_t *draining_json(struct cman_live_pool *lp, int64_t now, char *why, size_t n)
{
	struct cman_state_item it;
	struct cman_drain dr;
	struct cman_error e = {0};
	json_t *arr = json_array();
	int rc;

	why[0] = '\0';
	memset(&dr, 0, sizeof(dr));
	snprintf(dr.entity, sizeof(dr.entity), "%s", lp->entity);
	memset(&it, 0, sizeof(it));
	rc = cman_store_state_get(lp->store, CMAN_STATE_DRAINING, lp->entity, &it, &e);
	if (rc == 1)
		rc = cman_drain_decode(&dr, it.text ? it.text : "", &e);
	free(it.text);
	if (rc < 0) {
		snprintf(why, n, "reading the drain state of %s: %s", lp->entity, e.msg);
		cman_drain_release(&dr);
		return arr;
	}
	for (size_t i = 0; arr && i < dr.n; i++) {
		const struct cman_drain_machine *m = &dr.m[i];

		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:b, s:b}",
			"instance_id", m->instance_id, "group_id", m->group_id,
			"ip_address", m->ip[0] ? json_string(m->ip) : json_null(),
			"hostname", m->hostname[0] ? json_string(m->hostname) : json_null(),
			"since", time_json(m->started), "deadline", time_json(m->deadline),
			"seconds_left", (json_int_t)(m->deadline > now ? m->deadline - now : 0),
			"overdue", now >= m->deadline, "acked", m->acked));
	}
	cman_drain_release(&dr);
	return arr;
}

/* Whether the pool has recorded load: the samples of its signal's required
 * metrics in the signal's window ending now, read from the store as the
 * autoscaler reads them (the pool's signal, else the service's default
 * signal, else the built-in default).  Null when the signal reads no
 * metric (it cannot be known here); *none set when it reads some and none
 * has a sample (the autoscaler then keeps the current target).  A read
 * error is said in the object ("error") and leaves *none false. */
static json_t *load_json(struct cman_live_pool *lp, int64_t now, bool *none)
{
	const struct cman_signal_config *sc = lp->pf.config.has_signal ? &lp->pf.config.signal
		: lp->cfg->has_default_signal ? &lp->cfg->default_signal
		: cman_signal_default_config();
	struct cman_signal_input in;
	struct cman_series *scratch = NULL;
	size_t n_scratch = 0, total = 0;
	struct cman_error e = {0};
	json_t *o, *metrics;

	*none = false;
	if (sc->n_required_metrics == 0)
		return json_null();
	metrics = json_array();
	o = json_pack("{s:s, s:o}", "signal", sc->name, "metrics", metrics);
	if (!o)
		return NULL;
	if (cman_signal_fetch(sc, &lp->store, 1, lp->cluster->name, lp->name, lp->scheduler,
			      now, &in, &scratch, &n_scratch, &e) != 0) {
		json_object_set_new(o, "error", json_string(e.msg));
		cman_signal_input_release(scratch, n_scratch);
		return o;
	}
	for (size_t i = 0; i < in.n_series && i < sc->n_required_metrics; i++) {
		total += in.series[i].n;
		json_array_append_new(metrics, json_pack(
			"{s:s, s:I, s:I}", "name", sc->required_metrics[i].name, "window_minutes",
			(json_int_t)sc->required_metrics[i].minute_range, "samples",
			(json_int_t)in.series[i].n));
	}
	cman_signal_input_release(scratch, n_scratch);
	json_object_set_new(o, "samples_in_window", json_integer((json_int_t)total));
	*none = total == 0;
	return o;
}

static int status_json(struct cman_live_pool *lp, int64_t now, json_t **out,
		       struct cman_error *err)
{
	const struct cman_pool_config *pc = &lp->pf.config;
	struct cman_state_item off;
	double target, fulfilled, non_orphan;
	bool paused, off_in_force;
	int64_t until;
	json_t *doc, *groups, *counts, *res, *draining, *load, *warnings;
	char drain_why[CMAN_ERRMSG_MAX + 128], msg[512];
	bool no_load;
	int rc;

	*out = NULL;
	if ((rc = cman_store_paused(lp->store, lp->entity, now, &paused, &until, err)) != 0) {
		cman_error_prefix(err, "reading the pause of %s", lp->entity);
		return rc;
	}
	rc = cman_store_state_get(lp->store, CMAN_STATE_CAPACITY_OFFSET, lp->entity, &off, err);
	if (rc < 0) {
		cman_error_prefix(err, "reading the capacity offset of %s", lp->entity);
		return rc;
	}
	off_in_force = rc == 1 && (!off.expires || now <= off.expiration);
	if ((rc = cman_live_pool_refresh(lp, err)) != 0 ||
	    (rc = cman_pool_target(&lp->pm, &target, err)) != 0 ||
	    (rc = cman_pool_fulfilled(&lp->pm, &fulfilled, err)) != 0 ||
	    (rc = cman_pool_non_orphan_fulfilled(&lp->pm, &non_orphan, err)) != 0)
		return rc;
	draining = draining_json(lp, now, drain_why, sizeof(drain_why));
	load = load_json(lp, now, &no_load);
	warnings = json_array();
	if (no_load) {
		snprintf(msg, sizeof(msg), "no load data: no sample of the metrics of signal "
			 "'%s' in its window: the autoscaler keeps the current target (an "
			 "empty or missing store, or no collector writing it?)",
			 json_string_value(json_object_get(load, "signal")));
		json_array_append_new(warnings, json_pack("{s:s, s:s}", "kind", "no_load_data",
							  "message", msg));
		fprintf(stderr, "clusterman-live status: warning: %s: %s\n", lp->entity, msg);
	}
	if (drain_why[0])
		fprintf(stderr, "clusterman-live status: warning: %s\n", drain_why);
	groups = json_array();
	counts = json_pack("{s:i, s:i, s:i, s:i}", "running", 0, "idle", 0, "orphaned", 0,
			   "unknown", 0);
	res = json_object();
	doc = json_pack("{s:s, s:s, s:s, s:s, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
			"s:o, s:o, s:o, s:o}",
			"cluster", lp->cluster->name, "pool", lp->name, "scheduler",
			lp->scheduler, "pool_file", lp->pf.path, "time", time_json(now),
			"disabled", paused,
			"paused_until", paused ? time_json(until) : json_null(),
			"capacity_offset", json_real(off_in_force ? off.offset : 0),
			"capacity_offset_until",
			off_in_force && off.expires ? time_json(off.expiration) : json_null(),
			"target_capacity", num(target), "fulfilled_capacity", num(fulfilled),
			"non_orphan_fulfilled_capacity", num(non_orphan), "min_capacity",
			num(pc->min_capacity), "max_capacity", num(pc->max_capacity),
			"resource_groups", groups, "agents_by_state", counts, "resources", res);
	if (doc &&
	    (json_object_set_new(doc, "draining_enabled", json_boolean(lp->pf.draining_enabled)) ||
	     json_object_set_new(doc, "drain_timeout_seconds", lp->pf.draining_enabled
				 ? json_integer(lp->pf.drain_timeout_seconds) : json_null()) ||
	     json_object_set_new(doc, "draining", draining) ||
	     json_object_set_new(doc, "draining_error", drain_why[0] ? json_string(drain_why)
				 : json_null()) ||
	     json_object_set_new(doc, "load_data", load) ||
	     json_object_set_new(doc, "warnings", warnings))) {
		json_decref(doc);
		doc = NULL;
	}
	if (!doc)
		return cman_error_set(err, CMAN_ENOMEM, "out of memory");
	for (size_t g = 0; g < lp->n_groups; g++) {
		json_t *gj = NULL;

		if ((rc = group_json(lp, g, now, counts, &gj, err)) != 0) {
			json_decref(doc);
			return rc;
		}
		json_array_append_new(groups, gj);
	}
	for (int r = 0; r < CMAN_RES_COUNT; r++)
		json_object_set_new(res, cman_resource_name((enum cman_resource)r),
				    json_pack("{s:o, s:o}", "allocated",
					      num(lp->conn->ops->allocated(lp->conn, (enum cman_resource)r)),
					      "total",
					      num(lp->conn->ops->total(lp->conn, (enum cman_resource)r))));
	*out = doc;
	return 0;
}

static const char *fmt_num(char *buf, size_t n, json_t *v)
{
	if (json_is_string(v))
		snprintf(buf, n, "%s", json_string_value(v));
	else
		snprintf(buf, n, "%.12g", json_number_value(v));
	return buf;
}

/* The document as text (the same facts). */
static void status_text(json_t *doc, FILE *fp)
{
	char a[64], b[64], c[64], d[64], e[64];
	const char *key;
	json_t *g, *v;
	size_t i, k;

	fprintf(fp, "Pool %s.%s in cluster %s (%s), at %s\n",
		json_string_value(json_object_get(doc, "pool")),
		json_string_value(json_object_get(doc, "scheduler")),
		json_string_value(json_object_get(doc, "cluster")),
		json_string_value(json_object_get(doc, "pool_file")),
		json_string_value(json_object_get(doc, "time")));
	if (json_is_true(json_object_get(doc, "disabled"))) {
		v = json_object_get(doc, "paused_until");
		fprintf(fp, "Autoscaling is PAUSED until %s\n",
			json_is_string(v) ? json_string_value(v) : "further notice");
	} else {
		fprintf(fp, "Autoscaling is enabled\n");
	}
	v = json_object_get(doc, "capacity_offset_until");
	if (json_number_value(json_object_get(doc, "capacity_offset")) != 0)
		fprintf(fp, "Capacity offset: %s until %s\n",
			fmt_num(a, sizeof(a), json_object_get(doc, "capacity_offset")),
			json_is_string(v) ? json_string_value(v) : "further notice");
	else
		fprintf(fp, "Capacity offset: none\n");
	fprintf(fp, "Target capacity %s, fulfilled %s, non-orphan fulfilled %s (limits %s to %s)\n",
		fmt_num(a, sizeof(a), json_object_get(doc, "target_capacity")),
		fmt_num(b, sizeof(b), json_object_get(doc, "fulfilled_capacity")),
		fmt_num(c, sizeof(c), json_object_get(doc, "non_orphan_fulfilled_capacity")),
		fmt_num(d, sizeof(d), json_object_get(doc, "min_capacity")),
		fmt_num(e, sizeof(e), json_object_get(doc, "max_capacity")));
	fprintf(fp, "Resource groups:%s\n",
		json_array_size(json_object_get(doc, "resource_groups")) ? "" : " none found");
	json_array_foreach(json_object_get(doc, "resource_groups"), i, g) {
		json_t *m;

		fprintf(fp, "  %s (%s, %s): target %s, fulfilled %s\n",
			json_string_value(json_object_get(g, "id")),
			json_string_value(json_object_get(g, "kind")),
			json_string_value(json_object_get(g, "status")),
			fmt_num(a, sizeof(a), json_object_get(g, "target_capacity")),
			fmt_num(b, sizeof(b), json_object_get(g, "fulfilled_capacity")));
		json_array_foreach(json_object_get(g, "markets"), k, m) {
			bool first = true;

			fprintf(fp, "    %s %s: fulfilled %s;",
				json_string_value(json_object_get(m, "instance_type")),
				json_string_value(json_object_get(m, "az")),
				fmt_num(a, sizeof(a), json_object_get(m, "fulfilled_capacity")));
			json_object_foreach(json_object_get(m, "instances"), key, v) {
				fprintf(fp, "%s %lld %s", first ? "" : ",",
					(long long)json_integer_value(v), key);
				first = false;
			}
			fputc('\n', fp);
		}
	}
	v = json_object_get(doc, "agents_by_state");
	fprintf(fp, "Agents of running machines: %lld running, %lld idle, %lld orphaned, "
		"%lld unknown\n",
		(long long)json_integer_value(json_object_get(v, "running")),
		(long long)json_integer_value(json_object_get(v, "idle")),
		(long long)json_integer_value(json_object_get(v, "orphaned")),
		(long long)json_integer_value(json_object_get(v, "unknown")));
	fprintf(fp, "Cluster resources (allocated / total):");
	json_object_foreach(json_object_get(doc, "resources"), key, v)
		fprintf(fp, " %s %s / %s;", key,
			fmt_num(a, sizeof(a), json_object_get(v, "allocated")),
			fmt_num(b, sizeof(b), json_object_get(v, "total")));
	fputc('\n', fp);
	v = json_object_get(doc, "load_data");
	if (json_is_null(v)) {
		fprintf(fp, "Load data: not known here (the signal reads no metric)\n");
	} else if (json_is_string(json_object_get(v, "error"))) {
		fprintf(fp, "Load data: UNKNOWN (%s)\n",
			json_string_value(json_object_get(v, "error")));
	} else {
		json_int_t n = json_integer_value(json_object_get(v, "samples_in_window"));

		fprintf(fp, "Load data: %s", n ? "" : "NONE, ");
		fprintf(fp, "%lld sample(s) in the window of signal %s:", (long long)n,
			json_string_value(json_object_get(v, "signal")));
		json_array_foreach(json_object_get(v, "metrics"), i, g)
			fprintf(fp, " %s %lld (%lld min);",
				json_string_value(json_object_get(g, "name")),
				(long long)json_integer_value(json_object_get(g, "samples")),
				(long long)json_integer_value(json_object_get(g, "window_minutes")));
		fprintf(fp, "%s\n", n ? "" : " the autoscaler keeps the current target");
	}
	json_array_foreach(json_object_get(doc, "warnings"), i, g)
		fprintf(fp, "WARNING: %s\n", json_string_value(json_object_get(g, "message")));
	v = json_object_get(doc, "draining");
	if (json_is_string(json_object_get(doc, "draining_error")))
		fprintf(fp, "Machines being drained: UNKNOWN (%s)\n",
			json_string_value(json_object_get(doc, "draining_error")));
	else if (json_array_size(v) == 0)
		fprintf(fp, "Machines being drained: none%s\n",
			json_is_true(json_object_get(doc, "draining_enabled")) ? ""
			: " (draining is not enabled)");
	else
		fprintf(fp, "Machines being drained: %zu\n", json_array_size(v));
	json_array_foreach(v, i, g) {
		json_t *h = json_object_get(g, "hostname"), *ip = json_object_get(g, "ip_address");

		fprintf(fp, "  %s (%s, agent %s, %s): since %s, deadline %s%s\n",
			json_string_value(json_object_get(g, "instance_id")),
			json_string_value(json_object_get(g, "group_id")),
			json_is_string(h) ? json_string_value(h) : "unknown",
			json_is_string(ip) ? json_string_value(ip) : "no IP",
			json_string_value(json_object_get(g, "since")),
			json_string_value(json_object_get(g, "deadline")),
			json_is_true(json_object_get(g, "overdue")) ? " (past: terminated at the "
			"next cycle, drained or not)" : "");
	}
}

int cman_live_cmd_status(int argc, char **argv, const char *config)
{
	struct cman_live_config cfg;
	struct cman_live_pool *lp;
	struct cman_error err = {0};
	struct ops_args a;
	json_t *doc = NULL;
	int rc;

	if ((rc = cman_ops_parse(argc, argv, config, OPS_JSON, usage_status, &a)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = cman_ops_open(&a, true, &cfg, &lp, &err)) != 0)
		return cman_ops_fail("status", &err);
	rc = status_json(lp, cman_ops_now(), &doc, &err);
	if (!rc && a.json) {
		if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) != 0 ||
		    fputc('\n', stdout) == EOF)
			rc = cman_error_set(&err, CMAN_EIO, "cannot write the status");
	} else if (!rc) {
		status_text(doc, stdout);
	}
	json_decref(doc);
	cman_ops_close(&cfg, lp);
	return rc ? cman_ops_fail("status", &err) : 0;
}
