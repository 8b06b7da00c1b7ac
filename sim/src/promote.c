/*
 * promote.c - clusterman-sim promote: a run's pool configuration written as
 * a live pool file (README "Promoting a run").
 */
#include "cman/sim/promote.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cman/config.h"
#include "cman/fsutil.h"
#include "cman/poolcfg.h"
#include "cman/poolfile.h"
#include "cman/reports/report.h"
#include "cman/runfiles.h"
#include "cman/signal.h"
#include "cman/sim/scenario.h"
#include "cman/sim/sim.h"

static const char usage[] =
	"usage: clusterman-sim promote RUN_DIR --to CONFIG_DIR [--cluster C] [--tag KEY]\n"
	"                              [--force]\n"
	"\n"
	"  --to CONFIG_DIR  the live configuration's cluster_config_directory: the pool\n"
	"                   file goes to CONFIG_DIR/<cluster>/<pool>.<scheduler>\n"
	"  --cluster C      the live cluster (default: the scenario's cluster)\n"
	"  --tag KEY        the tag key live mode finds the pool's groups by (default\n"
	"                   clusterman_pool): a group belongs to the pool when its tag\n"
	"                   KEY holds {\"pool\": \"<pool>\", \"paasta_cluster\": \"<cluster>\"}\n"
	"  --force          promote a run with warnings, or whose files do not match\n"
	"                   its manifest (recorded in the file as forced: true)\n"
	"\n"
	"Writes the run's pool_config as a Clusterman pool file: its limits,\n"
	"autoscaling and signal in Clusterman's shape, one discovery entry (sfr or\n"
	"asg, tag KEY) per kind of simulated group, and a clusterman_sim block that\n"
	"records the run (run directory, run id, scenario, scenario hash, total cost,\n"
	"seed) and what `clusterman-sim backtest` needs to simulate the pool again\n"
	"(the simulation and prices settings and the simulated groups).  Prints the\n"
	"diff against the pool file it replaces, checks the new file as\n"
	"clusterman-live check-config does, and writes it under a temporary name\n"
	"renamed into place.  A replay run (no pool_config) cannot be promoted.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "clusterman-sim: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

/* ---- reading the run ---------------------------------------------------- */

struct run_info {
	char run_dir[PATH_MAX];
	const char *run_id, *name, *hash, *cluster;
	double total_cost;
	json_int_t seed;
	size_t n_warnings;
	json_t *summary;
	struct cman_node *scenario;
	bool manifest_ok;
	char manifest_msg[CMAN_ERRMSG_MAX];
};

static int read_run(const char *dir, struct run_info *ri, struct cman_error *err)
{
	char p[PATH_MAX + 32], id[CMAN_RUN_ID_LEN + 1];
	json_error_t je;
	json_t *w;
	bool present = false;
	int dfd, rc;

	if (!realpath(dir, ri->run_dir))
		return cman_error_set(err, CMAN_EINVAL, "%s: %s (expected a run directory)", dir,
				      strerror(errno));
	snprintf(p, sizeof(p), "%s/summary.json", ri->run_dir);
	if (!(ri->summary = json_load_file(p, 0, &je)))
		return cman_error_set(err, CMAN_EINVAL, "%s:%d:%d: %s (is %s a run directory?)",
				      p, je.line, je.column, je.text, dir);
	if (json_unpack_ex(ri->summary, &je, 0, "{s:s, s:s, s:s, s:F, s:I, s:o}",
			   "name", &ri->name, "run_id", &ri->run_id, "scenario_hash", &ri->hash,
			   "total_cost", &ri->total_cost, "seed", &ri->seed, "warnings", &w) != 0 ||
	    !json_is_array(w))
		return cman_error_set(err, CMAN_EINVAL, "%s: %s (expected a run's summary.json "
				      "with name, run_id, scenario_hash, total_cost, seed and "
				      "warnings)", p, je.text);
	ri->n_warnings = json_array_size(w);
	ri->cluster = json_string_value(json_object_get(ri->summary, "cluster"));
	/* the files must be the run's own */
	if ((dfd = open(ri->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return cman_error_set(err, CMAN_EIO, "%s: %s", dir, strerror(errno));
	{
		struct cman_error merr = { 0 };

		rc = cman_manifest_check(dfd, ri->run_dir, id, &present, &merr);
		close(dfd);
		ri->manifest_ok = rc == 0 && present && !strcmp(id, ri->run_id);
		if (rc)
			snprintf(ri->manifest_msg, sizeof(ri->manifest_msg), "%s", merr.msg);
		else if (!present)
			snprintf(ri->manifest_msg, sizeof(ri->manifest_msg),
				 "%s: no manifest.json, so its files cannot be checked", dir);
		else if (strcmp(id, ri->run_id))
			snprintf(ri->manifest_msg, sizeof(ri->manifest_msg),
				 "%s: summary.json's run_id %s is not the manifest's %s", dir,
				 ri->run_id, id);
	}
	snprintf(p, sizeof(p), "%s/scenario.yaml", ri->run_dir);
	return cman_yaml_load_file(p, &ri->scenario, err);
}

/* ---- the pool file as a tree ------------------------------------------- */

struct builder {
	bool oom;
};

static struct cman_node *b_str(struct builder *b, const char *text)
{
	struct cman_node *n = cman_node_new_scalar(text, NULL);

	if (!n)
		b->oom = true;
	return n;
}

/* A number in the fewest digits that read back exactly (0.8, not
 * 0.80000000000000004); inf as inf. */
static struct cman_node *b_num(struct builder *b, double v)
{
	char buf[64];
	int prec;

	if (isinf(v)) {
		snprintf(buf, sizeof(buf), "%s", v > 0 ? "inf" : "-inf");
	} else if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(buf, sizeof(buf), "%.0f", v);
	} else {
		for (prec = 1; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	}
	return b_str(b, buf);
}

static struct cman_node *b_int(struct builder *b, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return b_str(b, buf);
}

static struct cman_node *b_new(struct builder *b, enum cman_node_type t)
{
	struct cman_node *n = cman_node_new(t, NULL);

	if (!n)
		b->oom = true;
	return n;
}

static void b_set(struct builder *b, struct cman_node *map, const char *key,
		  struct cman_node *v)
{
	if (!map || !v) {
		cman_node_free(v);
		b->oom = true;
		return;
	}
	if (cman_node_map_set(map, key, v) != 0)
		b->oom = true;
}

static void b_add(struct builder *b, struct cman_node *seq, struct cman_node *v)
{
	if (!seq || !v) {
		cman_node_free(v);
		b->oom = true;
		return;
	}
	if (cman_node_seq_append(seq, v) != 0)
		b->oom = true;
}

/* a copy with the positions of the run's scenario.yaml dropped */
static struct cman_node *b_copy(struct builder *b, const struct cman_node *n)
{
	struct cman_node *c = cman_node_copy(n);

	if (!c)
		b->oom = true;
	return c;
}

static struct cman_node *limits_node(struct builder *b, const struct cman_pool_config *pc)
{
	struct cman_node *m = b_new(b, CMAN_NODE_MAP);

	b_set(b, m, "min_capacity", b_num(b, pc->min_capacity));
	b_set(b, m, "max_capacity", b_num(b, pc->max_capacity));
	b_set(b, m, "max_weight_to_add", b_num(b, pc->max_weight_to_add));
	b_set(b, m, "max_weight_to_remove", b_num(b, pc->max_weight_to_remove));
	/* written even when unlimited: an absent key means 0 in Clusterman */
	b_set(b, m, "max_tasks_to_kill", b_num(b, pc->max_tasks_to_kill));
	b_set(b, m, "min_node_scalein_uptime_seconds",
	      b_int(b, (long long)pc->min_node_scalein_uptime_seconds));
	return m;
}

static struct cman_node *autoscaling_node(struct builder *b, const struct cman_pool_config *pc)
{
	struct cman_node *m = b_new(b, CMAN_NODE_MAP), *ex;
	int r;

	b_set(b, m, "setpoint", b_num(b, pc->setpoint));
	b_set(b, m, "target_capacity_margin", b_num(b, pc->target_capacity_margin));
	/* written even when empty: a pool's list replaces the service file's */
	ex = b_new(b, CMAN_NODE_SEQ);
	for (r = 0; r < CMAN_RES_COUNT; r++)
		if (pc->excluded[r])
			b_add(b, ex, b_str(b, cman_resource_name((enum cman_resource)r)));
	b_set(b, m, "excluded_resources", ex);
	if (pc->capacity_offset != 0)
		b_set(b, m, "capacity_offset", b_num(b, pc->capacity_offset));
	b_set(b, m, "prevent_scale_down_after_capacity_loss",
	      b_str(b, pc->prevent_scale_down_after_capacity_loss ? "true" : "false"));
	b_set(b, m, "instance_loss_threshold", b_int(b, (long long)pc->instance_loss_threshold));
	b_set(b, m, "orphan_instance_uptime_threshold_seconds",
	      b_int(b, (long long)pc->orphan_instance_uptime_threshold_seconds));
	return m;
}

/* The scenario's signal in Clusterman's shape: a built-in one is
 * internal: true; parameters become a list of one-key maps. */
static struct cman_node *signal_node(struct builder *b, const struct cman_signal_config *s)
{
	struct cman_node *m = b_new(b, CMAN_NODE_MAP), *rms, *rm, *ps, *one;
	size_t i;

	b_set(b, m, "name", b_str(b, s->name));
	if (s->external)
		b_set(b, m, "namespace", b_str(b, s->namespace_));
	else
		b_set(b, m, "internal", b_str(b, "true"));
	b_set(b, m, "period_minutes", b_int(b, (long long)s->period_minutes));
	if (s->n_required_metrics) {
		rms = b_new(b, CMAN_NODE_SEQ);
		for (i = 0; i < s->n_required_metrics; i++) {
			rm = b_new(b, CMAN_NODE_MAP);
			b_set(b, rm, "name", b_str(b, s->required_metrics[i].name));
			b_set(b, rm, "type", b_str(b, s->required_metrics[i].type == CMAN_APP_METRICS
					       ? "app_metrics" : "system_metrics"));
			b_set(b, rm, "minute_range",
			      b_int(b, (long long)s->required_metrics[i].minute_range));
			b_add(b, rms, rm);
		}
		b_set(b, m, "required_metrics", rms);
	}
	if (s->parameters && s->parameters->n) {
		ps = b_new(b, CMAN_NODE_SEQ);
		for (i = 0; i < s->parameters->n; i++) {
			one = b_new(b, CMAN_NODE_MAP);
			b_set(b, one, s->parameters->keys[i]->scalar,
			      b_copy(b, s->parameters->items[i]));
			b_add(b, ps, one);
		}
		b_set(b, m, "parameters", ps);
	}
	return m;
}

struct promote_opts {
	const char *run, *to, *cluster, *tag;
	bool force;
};

/*
 * The new pool file's text (caller frees) from the run's scenario: the
 * header comment, then the tree.
 */
static int build_text(const struct run_info *ri, const struct promote_opts *o,
		      const struct cman_pool_config *pc, const char *pool, char **text,
		      struct cman_error *err)
{
	const struct cman_node *sc = ri->scenario, *rg, *n;
	struct builder b = { false };
	struct cman_node *root = NULL, *groups, *entry, *disc, *sim, *from;
	bool has_sfr = false, has_asg = false;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *ms;
	int rc = 0;

	rg = cman_node_section(sc, "resource_groups");
	for (i = 0; rg && rg->type == CMAN_NODE_SEQ && i < rg->n; i++) {
		if (cman_node_get(rg->items[i], "spot_fleet"))
			has_sfr = true;
		if (cman_node_get(rg->items[i], "auto_scaling_group"))
			has_asg = true;
	}
	if (!has_sfr && !has_asg)
		return cman_error_set(err, CMAN_EINVAL, "%s/scenario.yaml: no resource_groups, "
				      "expected the simulated groups the run scaled", ri->run_dir);
	root = b_new(&b, CMAN_NODE_MAP);
	groups = b_new(&b, CMAN_NODE_SEQ);
	for (i = 0; i < 2; i++) {
		if (!(i == 0 ? has_sfr : has_asg))
			continue;
		entry = b_new(&b, CMAN_NODE_MAP);
		disc = b_new(&b, CMAN_NODE_MAP);
		b_set(&b, disc, "tag", b_str(&b, o->tag));
		b_set(&b, entry, i == 0 ? "sfr" : "asg", disc);
		b_add(&b, groups, entry);
	}
	b_set(&b, root, "resource_groups", groups);
	b_set(&b, root, "scaling_limits", limits_node(&b, pc));
	b_set(&b, root, "autoscaling", autoscaling_node(&b, pc));
	if (pc->has_signal)
		b_set(&b, root, "autoscale_signal", signal_node(&b, &pc->signal));
	sim = b_new(&b, CMAN_NODE_MAP);
	from = b_new(&b, CMAN_NODE_MAP);
	b_set(&b, from, "run_dir", b_str(&b, ri->run_dir));
	b_set(&b, from, "run_id", b_str(&b, ri->run_id));
	b_set(&b, from, "scenario", b_str(&b, ri->name));
	b_set(&b, from, "scenario_hash", b_str(&b, ri->hash));
	b_set(&b, from, "total_cost", b_num(&b, ri->total_cost));
	b_set(&b, from, "seed", b_int(&b, (long long)ri->seed));
	b_set(&b, from, "warnings", b_int(&b, (long long)ri->n_warnings));
	b_set(&b, from, "forced", b_str(&b, o->force && (ri->n_warnings || !ri->manifest_ok)
					? "true" : "false"));
	b_set(&b, sim, "promoted_from", from);
	if ((n = cman_node_section(sc, "simulation")))
		b_set(&b, sim, "simulation", b_copy(&b, n));
	if ((n = cman_node_section(sc, "prices")))
		b_set(&b, sim, "prices", b_copy(&b, n));
	b_set(&b, sim, "resource_groups", b_copy(&b, rg));
	b_set(&b, root, "clusterman_sim", sim);
	if (b.oom) {
		rc = cman_error_set(err, CMAN_ENOMEM, "promote: out of memory");
		goto out;
	}
	if (!(ms = open_memstream(&buf, &len))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "promote: out of memory");
		goto out;
	}
	fprintf(ms, "# Pool %s of cluster %s, promoted by clusterman-sim promote from run\n"
		"# %s (run id %s, scenario %s, hash %s,\n"
		"# seed %lld, total cost $%.2f, %zu warning%s%s).\n"
		"# Live mode finds the pool's groups by the tag %s, whose value is\n"
		"# {\"pool\": \"%s\", \"paasta_cluster\": \"%s\"}.  clusterman_sim is for\n"
		"# clusterman-sim backtest; Clusterman ignores it.\n",
		pool, o->cluster, ri->run_dir, ri->run_id, ri->name, ri->hash,
		(long long)ri->seed, ri->total_cost, ri->n_warnings,
		ri->n_warnings == 1 ? "" : "s",
		o->force && (ri->n_warnings || !ri->manifest_ok) ? ", promoted with --force" : "",
		o->tag, pool, o->cluster);
	if (pc->has_signal && pc->signal.external && pc->signal.command)
		fprintf(ms, "# The run started its signal with a command; live mode runs\n"
			"# signal processes as Clusterman does (namespace, name, pool).\n");
	if (pc->has_signal && pc->signal.has_first_run_offset)
		fprintf(ms, "# first_run_offset_seconds is the simulator's; live mode spreads\n"
			"# its cycles by a stable splay instead.\n");
	cman_node_write_yaml_compact(ms, root);
	if (fclose(ms) != 0 || !buf) {
		free(buf);
		buf = NULL;
		rc = cman_error_set(err, CMAN_ENOMEM, "promote: out of memory");
		goto out;
	}
	*text = buf;
out:
	cman_node_free(root);
	return rc;
}

/* ---- diff --------------------------------------------------------------- */

struct lines {
	char **v;
	size_t n;
	char *buf;
};

static int split_lines(const char *text, struct lines *l)
{
	char *p, *nl;
	size_t cap = 0;
	char **g;

	memset(l, 0, sizeof(*l));
	if (!(l->buf = strdup(text)))
		return CMAN_ENOMEM;
	for (p = l->buf; *p; p = nl + 1) {
		if (l->n == cap) {
			cap = cap ? 2 * cap : 64;
			if (!(g = realloc(l->v, cap * sizeof(*g))))
				return CMAN_ENOMEM;
			l->v = g;
		}
		l->v[l->n++] = p;
		if (!(nl = strchr(p, '\n')))
			break;
		*nl = '\0';
	}
	return 0;
}

static void free_lines(struct lines *l)
{
	free(l->v);
	free(l->buf);
}

/*
 * A unified diff of a (old) and b (new) with 3 lines of context, from the
 * longest common subsequence (pool files are small: the table is
 * (n+1) x (m+1) shorts' worth of ints; a file over 4000 lines is only said
 * to differ).
 */
static int print_diff(FILE *out, const char *aname, const char *a, const char *bname,
		      const char *b)
{
	struct lines x, y;
	unsigned *t = NULL;
	char *op = NULL;         /* ' ', '-', '+' per edit-script step */
	size_t *ia = NULL, *ib = NULL, n, m, i, j, k, steps = 0, s, e, c;
	int rc = 0;

	if (split_lines(a, &x) || split_lines(b, &y)) {
		rc = CMAN_ENOMEM;
		goto out;
	}
	n = x.n;
	m = y.n;
	fprintf(out, "--- %s\n+++ %s\n", aname, bname);
	if (n > 4000 || m > 4000) {
		fprintf(out, "(the files differ; too long to compare line by line)\n");
		goto out;
	}
	t = calloc((n + 1) * (m + 1), sizeof(*t));
	op = malloc(n + m + 1);
	ia = malloc((n + m + 1) * sizeof(*ia));
	ib = malloc((n + m + 1) * sizeof(*ib));
	if (!t || !op || !ia || !ib) {
		rc = CMAN_ENOMEM;
		goto out;
	}
#define T(i, j) t[(i) * (m + 1) + (j)]
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;)
			T(i, j) = !strcmp(x.v[i], y.v[j]) ? T(i + 1, j + 1) + 1
				  : (T(i + 1, j) >= T(i, j + 1) ? T(i + 1, j) : T(i, j + 1));
	for (i = j = 0; i < n || j < m;) {
		if (i < n && j < m && !strcmp(x.v[i], y.v[j])) {
			op[steps] = ' ';
			ia[steps] = i++;
			ib[steps++] = j++;
		} else if (j < m && (i == n || T(i, j + 1) >= T(i + 1, j))) {
			op[steps] = '+';
			ia[steps] = i;
			ib[steps++] = j++;
		} else {
			op[steps] = '-';
			ia[steps] = i++;
			ib[steps++] = j;
		}
	}
#undef T
	/* hunks: runs of changes with up to 3 lines of context around them */
	for (k = 0; k < steps;) {
		size_t la = 0, lb = 0;

		while (k < steps && op[k] == ' ')
			k++;
		if (k == steps)
			break;
		s = k >= 3 ? k - 3 : 0;
		/* extend while the next change is within 6 context lines */
		e = k;
		for (;;) {
			while (e < steps && op[e] != ' ')
				e++;
			for (c = e; c < steps && op[c] == ' ' && c - e < 6; c++)
				;
			if (c < steps && op[c] != ' ') {
				e = c;
				continue;
			}
			e = e + 3 < steps ? e + 3 : steps;
			break;
		}
		for (c = s; c < e; c++) {
			la += op[c] != '+';
			lb += op[c] != '-';
		}
		fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", la ? ia[s] + 1 : ia[s], la,
			lb ? ib[s] + 1 : ib[s], lb);
		for (c = s; c < e; c++)
			fprintf(out, "%c%s\n", op[c], op[c] == '+' ? y.v[ib[c]] : x.v[ia[c]]);
		k = e;
	}
out:
	free(t);
	free(op);
	free(ia);
	free(ib);
	free_lines(&x);
	free_lines(&y);
	return rc;
}

/* The whole of a file (caller frees), or NULL with *missing when absent. */
static int slurp(const char *path, char **out, bool *missing, struct cman_error *err)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	FILE *ms;
	int ch;

	*out = NULL;
	*missing = false;
	if (!fp) {
		if (errno == ENOENT) {
			*missing = true;
			return 0;
		}
		return cman_error_set(err, CMAN_EIO, "%s: cannot read: %s", path, strerror(errno));
	}
	if (!(ms = open_memstream(&buf, &len))) {
		fclose(fp);
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
	}
	while ((ch = fgetc(fp)) != EOF)
		fputc(ch, ms);
	if (ferror(fp)) {
		fclose(fp);
		fclose(ms);
		free(buf);
		return cman_error_set(err, CMAN_EIO, "%s: cannot read: %s", path, strerror(errno));
	}
	fclose(fp);
	if (fclose(ms) != 0 || !buf) {
		free(buf);
		return cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
	}
	*out = buf;
	return 0;
}

/* ---- the command -------------------------------------------------------- */

/* a top-level string of the scenario, or NULL */
static const char *n_str(const struct cman_node *root, const char *key)
{
	const struct cman_node *n = cman_node_get(root, key);

	return n && n->type == CMAN_NODE_SCALAR && !n->null && *n->scalar ? n->scalar : NULL;
}

static int promote(const struct promote_opts *o, struct cman_error *err)
{
	struct run_info ri = { 0 };
	struct cman_pool_config pc;
	struct cman_pool_file pf;
	struct cman_atomic_file af = { 0 };
	struct cman_node *check = NULL;
	const struct cman_node *pcn;
	char *text = NULL, *old = NULL, folder[PATH_MAX], dest[PATH_MAX + 512];
	const char *pool, *sched;
	bool missing, have_pc = false;
	struct promote_opts oo = *o;
	size_t i;
	int rc;

	cman_pool_config_init(&pc);
	if ((rc = read_run(o->run, &ri, err)) != 0)
		goto out;
	if (!(pcn = cman_node_section(ri.scenario, "pool_config"))) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: a replay run (its scenario has no "
				    "pool_config) has no autoscaler configuration to promote; "
				    "expected a run in autoscaler mode", o->run);
		goto out;
	}
	/* refuse a doubtful run unless forced */
	if ((ri.n_warnings || !ri.manifest_ok) && !o->force) {
		json_t *w = json_object_get(ri.summary, "warnings");

		if (!ri.manifest_ok)
			fprintf(stderr, "clusterman-sim: %s\n", ri.manifest_msg);
		for (i = 0; i < ri.n_warnings && i < 10; i++)
			fprintf(stderr, "clusterman-sim: %s: warning: %s\n", o->run,
				json_string_value(json_array_get(w, i)) ? json_string_value(
					json_array_get(w, i)) : "?");
		if (ri.n_warnings > 10)
			fprintf(stderr, "clusterman-sim: %s: ... and %zu more warnings\n", o->run,
				ri.n_warnings - 10);
		rc = cman_error_set(err, CMAN_EINVAL, "%s: not promoted: the run %s; check it, "
				    "or promote it anyway with --force", o->run,
				    !ri.manifest_ok ? "failed its manifest check"
						    : "has warnings (above)");
		goto out;
	}
	if ((rc = cman_pool_config_parse(pcn, "pool_config", &pc, err)) != 0)
		goto out;
	have_pc = true;
	pool = (n_str(ri.scenario, "pool"));
	sched = (n_str(ri.scenario, "scheduler"));
	if (!sched)
		sched = "mesos";
	if (!oo.cluster)
		oo.cluster = ri.cluster ? ri.cluster : n_str(ri.scenario, "cluster");
	if (!pool || !oo.cluster) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s/scenario.yaml: no %s, expected one "
				    "(or --cluster)", ri.run_dir, pool ? "cluster" : "pool");
		goto out;
	}
	if (strchr(oo.cluster, '/') || oo.cluster[0] == '.' || strchr(pool, '/') ||
	    pool[0] == '.') {
		rc = cman_error_set(err, CMAN_EINVAL, "cluster '%s', pool '%s': expected names "
				    "without '/' that do not start with '.'", oo.cluster, pool);
		goto out;
	}
	if ((rc = build_text(&ri, &oo, &pc, pool, &text, err)) != 0)
		goto out;
	snprintf(folder, sizeof(folder), "%s/%s", o->to, oo.cluster);
	snprintf(dest, sizeof(dest), "%s/%s.%s", folder, pool, sched);
	/* what check-config will say: the new text through the pool-file loader */
	if ((rc = cman_yaml_load_string(dest, text, &check, err)) != 0 ||
	    (rc = cman_pool_file_parse(dest, check, NULL, &pf, err)) != 0) {
		check = NULL;
		cman_error_prefix(err, "internal error: the promoted pool file does not load");
		rc = CMAN_EINTERNAL;
		goto out;
	}
	check = NULL;
	cman_pool_file_release(&pf);
	if ((rc = slurp(dest, &old, &missing, err)) != 0)
		goto out;
	if (old && !strcmp(old, text)) {
		printf("%s: unchanged\n", dest);
		goto out;
	}
	print_diff(stdout, missing ? "/dev/null" : dest, missing ? "" : old, dest, text);
	if ((rc = cman_mkdirs(folder, err)) != 0 || (rc = cman_atomic_open(&af, dest, err)) != 0)
		goto out;
	if (fputs(text, af.fp) == EOF) {
		cman_atomic_abort(&af);
		rc = cman_error_set(err, CMAN_EIO, "%s: cannot write: %s", dest, strerror(errno));
		goto out;
	}
	if ((rc = cman_atomic_commit(&af, err)) != 0)
		goto out;
	printf("promoted %s -> %s\n", o->run, dest);
out:
	if (have_pc)
		cman_pool_config_release(&pc);
	cman_node_free(check);
	json_decref(ri.summary);
	cman_node_free(ri.scenario);
	free(text);
	free(old);
	return rc;
}

int cman_promote_main(int argc, char **argv)
{
	struct promote_opts o = { NULL, NULL, NULL, "clusterman_pool", false };
	struct cman_error err = { 0 };
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "--to") || !strcmp(a, "--cluster") || !strcmp(a, "--tag")) {
			if (++i >= argc || !argv[i][0])
				return usage_error("%s needs a value", a);
			if (!strcmp(a, "--to"))
				o.to = argv[i];
			else if (!strcmp(a, "--cluster"))
				o.cluster = argv[i];
			else
				o.tag = argv[i];
		} else if (!strcmp(a, "--force")) {
			o.force = true;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("unknown option '%s'", a);
		} else if (!o.run) {
			o.run = a;
		} else {
			return usage_error("unexpected argument '%s'", a);
		}
	}
	if (!o.run)
		return usage_error("%s", "missing RUN_DIR");
	if (!o.to)
		return usage_error("%s", "missing --to CONFIG_DIR");
	if (promote(&o, &err) != 0) {
		fprintf(stderr, "clusterman-sim: %s\n", err.msg[0] ? err.msg
							: cman_strerror(err.code));
		return cman_exit_status(err.code ? err.code : CMAN_EINTERNAL);
	}
	return 0;
}

/* ==== backtest ============================================================ */

static const char usage_bt[] =
	"usage: clusterman-sim backtest DECISIONS.jsonl --metrics STORE --pool-file FILE\n"
	"                               -o DIR [--seed N] [-q]\n"
	"\n"
	"  --metrics STORE   the recorded metrics: an SQLite file, or\n"
	"                    dynamodb://PREFIX[?region=R]\n"
	"  --pool-file FILE  the pool's configuration, <cluster>/<pool>.<scheduler>\n"
	"                    (the cluster and pool name the metrics); its\n"
	"                    clusterman_sim block (written by promote) gives the\n"
	"                    simulated groups and the simulation settings\n"
	"  -o, --output DIR  where scenario.yaml, sim/ (the simulated run),\n"
	"                    backtest.csv, backtest.json and backtest.html go\n"
	"  --seed N          the simulation's seed (default: the promoted run's)\n"
	"  -q, --quiet       print nothing but errors\n"
	"\n"
	"Simulates the window the decision records cover (from the first record's\n"
	"time to one signal period after the last), starting from the first\n"
	"record's current_target, with the pool file's configuration against the\n"
	"recorded metrics, then compares each recorded decision with the simulated\n"
	"one at the same time: target drift = simulated new_target - recorded\n"
	"new_target.  Costs: the simulated run's cost per unit-hour of target\n"
	"prices both target paths; cost drift = the sum over decisions of\n"
	"(simulated - recorded target) x seconds x that price, and the recorded\n"
	"cost estimate is the simulated cost less it.  Prints the median and\n"
	"largest absolute target drift and the cost drift.\n";

struct decision {
	int64_t time;
	double current, target;
};

struct decisions {
	struct decision *v;
	size_t n;
};

/* decisions.jsonl: time, current_target, new_target per line, times
 * strictly increasing; lines with "shadow": true or "failed": true (live
 * mode's shadow candidate, cycles without a decision) are skipped.  Errors
 * FILE:LINE:COL. */
static int read_decisions(const char *path, struct decisions *d, struct cman_error *err)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, dcap = 0;
	ssize_t len;
	int lineno = 0, rc = 0;
	json_error_t je;
	struct decision *g;

	memset(d, 0, sizeof(*d));
	if (!fp)
		return cman_error_set(err, CMAN_EINVAL, "%s: cannot open: %s", path,
				      strerror(errno));
	while ((len = getline(&line, &cap, fp)) >= 0) {
		json_t *o, *t, *c, *n;

		lineno++;
		if (len == 0 || line[0] == '\n')
			continue;
		if (!(o = json_loadb(line, (size_t)len, 0, &je))) {
			rc = cman_error_at(err, path, lineno, je.column, "%s, expected one JSON "
					   "decision record per line", je.text);
			break;
		}
		/* live mode's lines of a shadow candidate and of failed cycles
		 * are not decisions that happened */
		if (json_is_true(json_object_get(o, "shadow")) ||
		    json_is_true(json_object_get(o, "failed"))) {
			json_decref(o);
			continue;
		}
		t = json_object_get(o, "time");
		c = json_object_get(o, "current_target");
		n = json_object_get(o, "new_target");
		if (!json_is_integer(t) || !json_is_number(c) || !json_is_number(n)) {
			json_decref(o);
			rc = cman_error_at(err, path, lineno, 1, "expected a decision record with "
					   "time (epoch seconds), current_target and new_target");
			break;
		}
		if (d->n && json_integer_value(t) <= d->v[d->n - 1].time) {
			json_decref(o);
			rc = cman_error_at(err, path, lineno, 1, "time %lld is not after the "
					   "previous record's %lld, expected records in time order",
					   (long long)json_integer_value(t),
					   (long long)d->v[d->n - 1].time);
			break;
		}
		if (d->n == dcap) {
			dcap = dcap ? 2 * dcap : 256;
			if (!(g = realloc(d->v, dcap * sizeof(*g)))) {
				json_decref(o);
				rc = cman_error_set(err, CMAN_ENOMEM, "%s: out of memory", path);
				break;
			}
			d->v = g;
		}
		d->v[d->n].time = json_integer_value(t);
		d->v[d->n].current = json_number_value(c);
		d->v[d->n].target = json_number_value(n);
		d->n++;
		json_decref(o);
	}
	if (!rc && ferror(fp))
		rc = cman_error_set(err, CMAN_EIO, "%s: cannot read: %s", path, strerror(errno));
	if (!rc && d->n == 0)
		rc = cman_error_set(err, CMAN_EINVAL, "%s: no decision records", path);
	free(line);
	fclose(fp);
	if (rc) {
		free(d->v);
		memset(d, 0, sizeof(*d));
	}
	return rc;
}

/* The pool file's configuration as a scenario's pool_config. */
static struct cman_node *scenario_pool_config(struct builder *b,
					      const struct cman_pool_config *pc)
{
	struct cman_node *m = b_new(b, CMAN_NODE_MAP), *as, *sl, *sig, *rms, *rm, *ex;
	const struct cman_signal_config *s = &pc->signal;
	size_t i;
	int r;

	as = b_new(b, CMAN_NODE_MAP);
	b_set(b, as, "setpoint", b_num(b, pc->setpoint));
	b_set(b, as, "target_capacity_margin", b_num(b, pc->target_capacity_margin));
	ex = b_new(b, CMAN_NODE_SEQ);
	for (r = 0; r < CMAN_RES_COUNT; r++)
		if (pc->excluded[r])
			b_add(b, ex, b_str(b, cman_resource_name((enum cman_resource)r)));
	b_set(b, as, "excluded_resources", ex);
	b_set(b, as, "capacity_offset", b_num(b, pc->capacity_offset));
	b_set(b, as, "prevent_scale_down_after_capacity_loss",
	      b_str(b, pc->prevent_scale_down_after_capacity_loss ? "true" : "false"));
	b_set(b, as, "instance_loss_threshold", b_int(b, (long long)pc->instance_loss_threshold));
	b_set(b, m, "autoscaling", as);
	sl = b_new(b, CMAN_NODE_MAP);
	b_set(b, sl, "min_capacity", b_num(b, pc->min_capacity));
	b_set(b, sl, "max_capacity", b_num(b, pc->max_capacity));
	b_set(b, sl, "max_weight_to_add", b_num(b, pc->max_weight_to_add));
	b_set(b, sl, "max_weight_to_remove", b_num(b, pc->max_weight_to_remove));
	b_set(b, sl, "max_tasks_to_kill", b_num(b, pc->max_tasks_to_kill));
	b_set(b, sl, "min_node_scalein_uptime_seconds",
	      b_int(b, (long long)pc->min_node_scalein_uptime_seconds));
	b_set(b, sl, "orphan_instance_uptime_threshold_seconds",
	      b_int(b, (long long)pc->orphan_instance_uptime_threshold_seconds));
	b_set(b, m, "scaling_limits", sl);
	if (!pc->has_signal)
		return m;
	sig = b_new(b, CMAN_NODE_MAP);
	b_set(b, sig, "name", b_str(b, s->name));
	if (s->external) {
		b_set(b, sig, "external", b_str(b, "true"));
		b_set(b, sig, "namespace", b_str(b, s->namespace_));
	}
	b_set(b, sig, "period_minutes", b_int(b, (long long)s->period_minutes));
	if (s->n_required_metrics) {
		rms = b_new(b, CMAN_NODE_SEQ);
		for (i = 0; i < s->n_required_metrics; i++) {
			rm = b_new(b, CMAN_NODE_MAP);
			b_set(b, rm, "name", b_str(b, s->required_metrics[i].name));
			b_set(b, rm, "type", b_str(b, s->required_metrics[i].type == CMAN_APP_METRICS
					       ? "app_metrics" : "system_metrics"));
			b_set(b, rm, "minute_range",
			      b_int(b, (long long)s->required_metrics[i].minute_range));
			b_add(b, rms, rm);
		}
		b_set(b, sig, "required_metrics", rms);
	}
	if (s->parameters)
		b_set(b, sig, "parameters", b_copy(b, s->parameters));
	b_set(b, m, "autoscale_signal", sig);
	return m;
}

/* --metrics STORE as a scenario metrics source. */
static struct cman_node *metrics_source(struct builder *b, const char *store,
					struct cman_error *err, int *rc)
{
	struct cman_node *list = b_new(b, CMAN_NODE_SEQ), *src = b_new(b, CMAN_NODE_MAP), *d;
	char abs[PATH_MAX], prefix[256];
	const char *q;

	if (!strncmp(store, "dynamodb://", 11)) {
		d = b_new(b, CMAN_NODE_MAP);
		q = strchr(store + 11, '?');
		snprintf(prefix, sizeof(prefix), "%.*s", q ? (int)(q - store - 11) : 255,
			 store + 11);
		if (prefix[0])
			b_set(b, d, "table_prefix", b_str(b, prefix));
		if (q && !strncmp(q, "?region=", 8) && q[8])
			b_set(b, d, "region", b_str(b, q + 8));
		b_set(b, src, "dynamodb", d);
	} else {
		if (!realpath(store, abs)) {
			*rc = cman_error_set(err, CMAN_EINVAL, "%s: %s (expected a metrics store: an "
					     "SQLite file or dynamodb://PREFIX)", store,
					     strerror(errno));
			cman_node_free(list);
			cman_node_free(src);
			return NULL;
		}
		b_set(b, src, "sqlite", b_str(b, abs));
	}
	b_add(b, list, src);
	return list;
}

static int write_text_file(const char *path, const char *text, struct cman_error *err)
{
	struct cman_atomic_file af = { 0 };
	int rc;

	if ((rc = cman_atomic_open(&af, path, err)) != 0)
		return rc;
	if (fputs(text, af.fp) == EOF) {
		cman_atomic_abort(&af);
		return cman_error_set(err, CMAN_EIO, "%s: cannot write: %s", path, strerror(errno));
	}
	return cman_atomic_commit(&af, err);
}

struct bt_opts {
	const char *decisions, *store, *pool_file, *out;
	bool has_seed, quiet;
	unsigned long long seed;
};

struct bt_row {
	int64_t time, dt;
	double rec_current, rec, sim;   /* sim NaN: no simulated decision then */
	double rec_cost, sim_cost;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void html_text(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", fp);
		else if (*s == '>')
			fputs("&gt;", fp);
		else if (*s == '&')
			fputs("&amp;", fp);
		else
			fputc(*s, fp);
	}
}

/* Run the scenario at DIR/scenario.yaml into DIR/sim. */
static int simulate(const char *scen, const char *rundir, bool quiet, double *total_cost,
		    struct cman_error *err)
{
	struct cman_scenario sc;
	struct cman_sim *sim = NULL;
	struct cman_run_out ro = { .lock_fd = -1 };
	bool loaded = false;
	int rc;

	if ((rc = cman_scenario_load(scen, NULL, 0, &sc, err)) != 0)
		goto out;
	loaded = true;
	if ((rc = cman_run_lock(&ro, rundir, err)) != 0)
		goto out;
	rc = cman_sim_new(&sc, quiet ? NULL : stderr, &sim, err);
	if (!rc)
		rc = cman_sim_run(sim, err);
	if (!rc)
		rc = cman_run_stage(&ro, false, err);
	if (!rc)
		rc = cman_sim_write_outputs(sim, ro.stage, 0, err);
	if (!rc)
		rc = cman_report_write(ro.stage, CMAN_REPORT_CSV | CMAN_REPORT_HTML, err);
	if (!rc)
		rc = cman_run_commit(&ro, err);
	if (!rc)
		*total_cost = cman_sim_totals(sim)->total_cost;
out:
	cman_run_release(&ro);
	cman_sim_free(sim);
	if (loaded)
		cman_scenario_release(&sc);
	return rc;
}

static int backtest(const struct bt_opts *o, struct cman_error *err)
{
	struct decisions rec = { 0 }, sim = { 0 };
	struct cman_pool_file pf;
	struct builder b = { false };
	struct cman_node *root = NULL, *n;
	const struct cman_node *rg, *from;
	struct bt_row *rows = NULL;
	double *absd = NULL, total_cost = 0, unit_hours = 0, price, rec_cost, cost_drift = 0;
	double median = 0, maxd = 0, sumd = 0;
	char scen[PATH_MAX + 64], rundir[PATH_MAX + 64], p[PATH_MAX + 64], tbuf[64];
	char *text = NULL;
	size_t len = 0, i, j, matched = 0, differ = 0;
	int64_t period, end, seed = 0;
	bool have_pf = false;
	FILE *ms, *fp;
	int rc;

	if ((rc = cman_pool_file_load(o->pool_file, NULL, &pf, err)) != 0)
		goto out;
	have_pf = true;
	rg = pf.sim ? cman_node_section(pf.sim, "resource_groups") : NULL;
	if (!rg || rg->n == 0) {
		rc = cman_error_set(err, CMAN_EINVAL, "%s: no clusterman_sim.resource_groups, "
				    "expected the simulated groups of the pool (clusterman-sim "
				    "promote writes them)", o->pool_file);
		goto out;
	}
	if ((rc = read_decisions(o->decisions, &rec, err)) != 0)
		goto out;
	period = 60 * (pf.config.has_signal ? pf.config.signal.period_minutes
					    : cman_signal_default_config()->period_minutes);
	end = rec.v[rec.n - 1].time + period;
	from = cman_node_section(pf.sim, "promoted_from");
	if (o->has_seed)
		seed = (int64_t)o->seed;
	else if (from && (n = cman_node_get(from, "seed")))
		cman_node_int64(n, "seed", &seed, NULL);
	/* the scenario */
	root = b_new(&b, CMAN_NODE_MAP);
	b_set(&b, root, "name", b_str(&b, "backtest"));
	b_set(&b, root, "cluster", b_str(&b, pf.cluster));
	b_set(&b, root, "pool", b_str(&b, pf.pool));
	b_set(&b, root, "scheduler", b_str(&b, pf.scheduler));
	b_set(&b, root, "start_time", b_int(&b, (long long)rec.v[0].time));
	b_set(&b, root, "end_time", b_int(&b, (long long)end));
	b_set(&b, root, "seed", b_int(&b, (long long)seed));
	if (!(n = metrics_source(&b, o->store, err, &rc)))
		goto out;
	b_set(&b, root, "metrics", n);
	if ((n = (struct cman_node *)cman_node_section(pf.sim, "simulation")))
		b_set(&b, root, "simulation", b_copy(&b, n));
	if ((n = (struct cman_node *)cman_node_section(pf.sim, "prices")))
		b_set(&b, root, "prices", b_copy(&b, n));
	b_set(&b, root, "pool_config", scenario_pool_config(&b, &pf.config));
	b_set(&b, root, "initial_target_capacity", b_num(&b, rec.v[0].current));
	b_set(&b, root, "resource_groups", b_copy(&b, rg));
	if (b.oom || !(ms = open_memstream(&text, &len))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "backtest: out of memory");
		goto out;
	}
	fprintf(ms, "# clusterman-sim backtest: %s with %s, the window of %s\n", o->pool_file,
		o->store, o->decisions);
	cman_node_write_yaml_compact(ms, root);
	if (fclose(ms) != 0 || !text) {
		rc = cman_error_set(err, CMAN_ENOMEM, "backtest: out of memory");
		goto out;
	}
	if ((rc = cman_mkdirs(o->out, err)) != 0)
		goto out;
	snprintf(scen, sizeof(scen), "%s/scenario.yaml", o->out);
	snprintf(rundir, sizeof(rundir), "%s/sim", o->out);
	if ((rc = write_text_file(scen, text, err)) != 0 ||
	    (rc = simulate(scen, rundir, o->quiet, &total_cost, err)) != 0)
		goto out;
	snprintf(p, sizeof(p), "%s/decisions.jsonl", rundir);
	if ((rc = read_decisions(p, &sim, err)) != 0)
		goto out;
	/* pair each recorded decision with the simulated one at its time */
	if (!(rows = calloc(rec.n, sizeof(*rows))) || !(absd = calloc(rec.n, sizeof(*absd)))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "backtest: out of memory");
		goto out;
	}
	for (i = j = 0; i < rec.n; i++) {
		rows[i].time = rec.v[i].time;
		rows[i].dt = (i + 1 < rec.n ? rec.v[i + 1].time : end) - rec.v[i].time;
		rows[i].rec_current = rec.v[i].current;
		rows[i].rec = rec.v[i].target;
		rows[i].sim = NAN;
		while (j < sim.n && sim.v[j].time < rec.v[i].time)
			j++;
		if (j < sim.n && sim.v[j].time == rec.v[i].time)
			rows[i].sim = sim.v[j].target;
	}
	/* the simulated run's dollars per unit-hour of (simulated) target */
	for (i = 0; i < rec.n; i++)
		if (!isnan(rows[i].sim))
			unit_hours += rows[i].sim * (double)rows[i].dt / 3600.0;
	price = unit_hours > 0 ? total_cost / unit_hours : 0;
	/* the drift is summed per decision, so equal paths drift by exactly 0;
	 * the recorded cost is the simulated one less the drift */
	for (i = 0; i < rec.n; i++) {
		rows[i].rec_cost = rows[i].rec * (double)rows[i].dt / 3600.0 * price;
		if (isnan(rows[i].sim))
			continue;
		rows[i].sim_cost = rows[i].sim * (double)rows[i].dt / 3600.0 * price;
		cost_drift += rows[i].sim_cost - rows[i].rec_cost;
		absd[matched] = fabs(rows[i].sim - rows[i].rec);
		sumd += rows[i].sim - rows[i].rec;
		if (absd[matched] > maxd)
			maxd = absd[matched];
		differ += absd[matched] != 0;
		matched++;
	}
	rec_cost = total_cost - cost_drift;
	if (matched) {
		qsort(absd, matched, sizeof(*absd), cmp_double);
		median = matched % 2 ? absd[matched / 2]
				     : (absd[matched / 2 - 1] + absd[matched / 2]) / 2;
	}
	/* backtest.csv */
	free(text);
	text = NULL;
	if (!(ms = open_memstream(&text, &len))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "backtest: out of memory");
		goto out;
	}
	fputs("time,seconds,recorded_current_target,recorded_target,simulated_target,"
	      "target_drift,recorded_cost,simulated_cost,cost_drift\n", ms);
	for (i = 0; i < rec.n; i++) {
		fprintf(ms, "%lld,%lld,%.12g,%.12g,", (long long)rows[i].time,
			(long long)rows[i].dt, rows[i].rec_current, rows[i].rec);
		if (isnan(rows[i].sim))
			fprintf(ms, ",,%.12g,,\n", rows[i].rec_cost);
		else
			fprintf(ms, "%.12g,%.12g,%.12g,%.12g,%.12g\n", rows[i].sim,
				rows[i].sim - rows[i].rec, rows[i].rec_cost, rows[i].sim_cost,
				rows[i].sim_cost - rows[i].rec_cost);
	}
	if (fclose(ms) != 0 || !text) {
		rc = cman_error_set(err, CMAN_ENOMEM, "backtest: out of memory");
		goto out;
	}
	snprintf(p, sizeof(p), "%s/backtest.csv", o->out);
	if ((rc = write_text_file(p, text, err)) != 0)
		goto out;
	/* backtest.json */
	{
		json_t *j2 = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, "
				       "s:f, s:f, s:f, s:f, s:f}",
				       "decisions", o->decisions, "metrics", o->store,
				       "pool_file", o->pool_file,
				       "start_time", (json_int_t)rec.v[0].time,
				       "end_time", (json_int_t)end,
				       "records", (json_int_t)rec.n,
				       "matched", (json_int_t)matched,
				       "targets_differing", (json_int_t)differ,
				       "median_abs_target_drift", median,
				       "max_abs_target_drift", maxd,
				       "mean_target_drift", matched ? sumd / (double)matched : 0.0,
				       "simulated_cost", total_cost,
				       "recorded_cost_estimate", rec_cost,
				       "cost_drift", cost_drift,
				       "cost_drift_share", rec_cost > 0 ? cost_drift / rec_cost : 0.0,
				       "price_per_unit_hour", price);
		char *js = j2 ? json_dumps(j2, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) : NULL;

		json_decref(j2);
		if (!js) {
			rc = cman_error_set(err, CMAN_ENOMEM, "backtest: out of memory");
			goto out;
		}
		free(text);
		if (!(text = malloc(strlen(js) + 2))) {
			free(js);
			rc = cman_error_set(err, CMAN_ENOMEM, "backtest: out of memory");
			goto out;
		}
		sprintf(text, "%s\n", js);
		free(js);
		snprintf(p, sizeof(p), "%s/backtest.json", o->out);
		if ((rc = write_text_file(p, text, err)) != 0)
			goto out;
	}
	/* backtest.html: the report section */
	free(text);
	text = NULL;
	if (!(ms = open_memstream(&text, &len))) {
		rc = cman_error_set(err, CMAN_ENOMEM, "backtest: out of memory");
		goto out;
	}
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Back-test</title>"
	      "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
	      "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
	      "th{background:#eee}</style></head><body>\n<section id=\"backtest\">\n"
	      "<h2>Back-test: simulated against recorded decisions</h2>\n<p>", ms);
	html_text(ms, o->pool_file);
	fputs(" against the metrics in ", ms);
	html_text(ms, o->store);
	fputs(", the window of ", ms);
	html_text(ms, o->decisions);
	fprintf(ms, ".</p>\n<table>\n<tr><th>records</th><td>%zu</td></tr>\n"
		"<tr><th>simulated at the same times</th><td>%zu</td></tr>\n"
		"<tr><th>targets that differ</th><td>%zu</td></tr>\n"
		"<tr><th>median |target drift|</th><td>%.6g</td></tr>\n"
		"<tr><th>max |target drift|</th><td>%.6g</td></tr>\n"
		"<tr><th>simulated cost</th><td>$%.2f</td></tr>\n"
		"<tr><th>recorded targets at the simulated price</th><td>$%.2f</td></tr>\n"
		"<tr><th>cost drift</th><td>$%.2f</td></tr>\n</table>\n",
		rec.n, matched, differ, median, maxd, total_cost, rec_cost, cost_drift);
	fputs("<h3>Largest target drifts</h3>\n<table>\n<tr><th>time (UTC)</th>"
	      "<th>recorded</th><th>simulated</th><th>drift</th></tr>\n", ms);
	{
		/* the 20 largest by |drift|, in time order among equals */
		size_t shown = 0, k;
		double cut = matched > 20 ? absd[matched - 20] : 0;

		for (k = 0; k < rec.n && shown < 20; k++) {
			struct tm tm;
			time_t tt = (time_t)rows[k].time;

			if (isnan(rows[k].sim) || fabs(rows[k].sim - rows[k].rec) < cut ||
			    rows[k].sim == rows[k].rec)
				continue;
			gmtime_r(&tt, &tm);
			strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S", &tm);
			fprintf(ms, "<tr><td>%s</td><td>%.6g</td><td>%.6g</td><td>%+.6g</td></tr>\n",
				tbuf, rows[k].rec, rows[k].sim, rows[k].sim - rows[k].rec);
			shown++;
		}
		if (!shown)
			fputs("<tr><td colspan=\"4\">none: every simulated target equals the "
			      "recorded one</td></tr>\n", ms);
	}
	fputs("</table>\n<p>Cost drift prices both target paths at the simulated run's "
	      "dollars per unit-hour of target; backtest.csv has every decision, sim/ the "
	      "simulated run (sim/report.html).</p>\n</section>\n</body></html>\n", ms);
	if (fclose(ms) != 0 || !text) {
		rc = cman_error_set(err, CMAN_ENOMEM, "backtest: out of memory");
		goto out;
	}
	snprintf(p, sizeof(p), "%s/backtest.html", o->out);
	if ((rc = write_text_file(p, text, err)) != 0)
		goto out;
	fp = stdout;
	if (!o->quiet)
		fprintf(fp, "backtest: %zu decisions, %zu simulated at the same times, %zu "
			"differ; |target drift| median %.6g, max %.6g; cost $%.2f simulated vs "
			"$%.2f recorded at that price (drift $%.2f) -> %s\n", rec.n, matched,
			differ, median, maxd, total_cost, rec_cost, cost_drift, o->out);
out:
	if (have_pf)
		cman_pool_file_release(&pf);
	cman_node_free(root);
	free(rec.v);
	free(sim.v);
	free(rows);
	free(absd);
	free(text);
	return rc;
}

int cman_backtest_main(int argc, char **argv)
{
	struct bt_opts o = { 0 };
	struct cman_error err = { 0 };
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_bt, stdout);
			return 0;
		} else if (!strcmp(a, "--metrics") || !strcmp(a, "--pool-file") ||
			   !strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--seed")) {
			if (++i >= argc || !argv[i][0]) {
				fprintf(stderr, "clusterman-sim: %s needs a value\n%s", a, usage_bt);
				return 2;
			}
			if (!strcmp(a, "--metrics")) {
				o.store = argv[i];
			} else if (!strcmp(a, "--pool-file")) {
				o.pool_file = argv[i];
			} else if (!strcmp(a, "--seed")) {
				char *end;

				errno = 0;
				o.seed = strtoull(argv[i], &end, 10);
				if (errno || *end || argv[i][0] == '-') {
					fprintf(stderr, "clusterman-sim: --seed '%s': expected a "
						"non-negative integer\n%s", argv[i], usage_bt);
					return 2;
				}
				o.has_seed = true;
			} else {
				o.out = argv[i];
			}
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			o.quiet = true;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "clusterman-sim: unknown option '%s'\n%s", a, usage_bt);
			return 2;
		} else if (!o.decisions) {
			o.decisions = a;
		} else {
			fprintf(stderr, "clusterman-sim: unexpected argument '%s'\n%s", a, usage_bt);
			return 2;
		}
	}
	if (!o.decisions || !o.store || !o.pool_file || !o.out) {
		fprintf(stderr, "clusterman-sim: missing %s\n%s",
			!o.decisions ? "DECISIONS.jsonl" : !o.store ? "--metrics STORE"
			: !o.pool_file ? "--pool-file FILE" : "-o DIR", usage_bt);
		return 2;
	}
	if (backtest(&o, &err) != 0) {
		fprintf(stderr, "clusterman-sim: %s\n", err.msg[0] ? err.msg
							: cman_strerror(err.code));
		return cman_exit_status(err.code ? err.code : CMAN_EINTERNAL);
	}
	return 0;
}
