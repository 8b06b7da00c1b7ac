/*
 * clusterman-live: live mode's command line (INTERFACE.md "Live mode").
 * This version has the configuration commands: check-config and info.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cman/err.h"
#include "cman/live/autoscale.h"
#include "cman/live/collect.h"
#include "cman/live/ops.h"
#include "cman/live/service.h"
#include "cman/poolfile.h"
#include "cman/signal.h"
#include "cman/version.h"

static const char usage_main[] =
	"usage: clusterman-live [--config FILE] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  autoscale --cluster C --pool P [--execute] [--once | --cycles N]\n"
	"            [--decisions FILE] [--shadow CANDIDATE_POOL_FILE]\n"
	"                       the autoscaler of one pool (a dry run without\n"
	"                       --execute)\n"
	"  check-config [DIR]   check the service file and every pool file\n"
	"  info [--cluster C] [--json]\n"
	"                       the clusters and pools of the configuration\n"
	"  collect --cluster C [--once | --cycles N]\n"
	"                       write the cluster's metrics and spot prices to the store\n"
	"  status --cluster C --pool P [--json]\n"
	"                       the pool's groups, capacity, agents, pause and offset\n"
	"  manage --cluster C --pool P --target N [--dry-run] [--force]\n"
	"                       set the pool's target capacity by hand\n"
	"  disable --cluster C --pool P [--until TIME]\n"
	"                       pause the pool's autoscaler (default: 30 minutes)\n"
	"  enable --cluster C --pool P\n"
	"                       resume the pool's autoscaler\n"
	"\n"
	"  --config FILE        the service file (default: $CLUSTERMAN_CONFIG, else\n"
	"                       /etc/clusterman/clusterman.yaml); also accepted after\n"
	"                       the command\n"
	"  --version            print the version and exit\n"
	"\n"
	"Run 'clusterman-live COMMAND --help' for a command's options.\n"
	"Exit status: 0 success, 2 bad usage/configuration/input, 1 other failure.\n";

static const char usage_check[] =
	"usage: clusterman-live check-config [--config FILE] [DIR]\n"
	"\n"
	"Checks the service file (--config FILE, else DIR/clusterman.yaml, else\n"
	"$CLUSTERMAN_CONFIG, else /etc/clusterman/clusterman.yaml) and every pool\n"
	"file <cluster>/<pool>.<scheduler> of its cluster_config_directory, and\n"
	"prints one line per problem as FILE:LINE:COLUMN: what is wrong and what\n"
	"was expected.  A folder of pool files for a cluster the service file does\n"
	"not name, a file there that is not a pool file (<pool>.yaml), a missing\n"
	"SQLite store or an unreadable access_key_file is a warning.  Exit status\n"
	"0 when everything is valid, 2 otherwise.\n";

static const char usage_info[] =
	"usage: clusterman-live info [--config FILE] [--cluster C] [--json]\n"
	"\n"
	"  --cluster C   only this cluster\n"
	"  --json        one JSON document instead of text\n"
	"\n"
	"Lists the clusters of the service file (region, Mesos master) and their\n"
	"pools (file, scaling limits, setpoint, signal, resource-group discovery).\n"
	"A pool file that does not load is reported (exit 2) and the others are\n"
	"still listed.\n";

static const char *prog = "clusterman-live";

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

static int fail(const struct cman_error *err)
{
	fprintf(stderr, "%s: %s\n", prog, err->msg[0] ? err->msg : cman_strerror(err->code));
	return cman_exit_status(err->code ? err->code : CMAN_EINTERNAL);
}

/*
 * Load one pool file with the service defaults and check what the pool file
 * loader cannot: that the pool's cluster is configured, that a built-in
 * (internal) signal exists with valid parameters.
 */
static int load_pool(const struct cman_live_config *cfg, const char *path,
		     struct cman_pool_file *pf, struct cman_error *err)
{
	const struct cman_node *sig;
	struct cman_signal *s = NULL;
	int rc;

	if ((rc = cman_pool_file_load(path, &cfg->defaults, pf, err)) != 0)
		return rc;
	if (pf->config.has_signal && !pf->config.signal.external) {
		/* a built-in signal: made once to check its name and parameters */
		rc = cman_signal_new(&pf->config.signal, pf->cluster, pf->pool, &s, err);
		cman_signal_free(s);
		if (rc) {
			/* the signal module names the simulator's key path
			 * (pool_config.autoscale_signal...): say the pool file's,
			 * at the signal's name (or the section) */
			if (err && !strncmp(err->msg, "pool_config.", 12))
				memmove(err->msg, err->msg + 12, strlen(err->msg + 12) + 1);
			sig = cman_node_get(pf->root, "autoscale_signal");
			if (sig && strstr(err->msg, ".name:") && cman_node_get(sig, "name"))
				sig = cman_node_get(sig, "name");
			if (sig)
				cman_error_prefix(err, "%s:%d:%d", sig->file, sig->line, sig->col);
			cman_pool_file_release(pf);
			return rc;
		}
	}
	return 0;
}

static void warn(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "%s: warning: ", prog);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

static bool is_dir(const char *dir, const struct dirent *de)
{
	char p[4200];
	struct stat sb;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Folders of pool files whose cluster the service file does not name. */
static void warn_unknown_clusters(const struct cman_live_config *cfg)
{
	struct dirent *de;
	DIR *d = opendir(cfg->pools_dir);

	if (!d) {
		if (errno == ENOENT)
			warn("%s: no such folder (cluster_config_directory)%s", cfg->pools_dir, "");
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !is_dir(cfg->pools_dir, de))
			continue;
		if (!cman_live_config_cluster(cfg, de->d_name))
			warn("%s/%s: pool files of a cluster the service file does not name "
			     "(they are not used)", cfg->pools_dir, de->d_name);
	}
	closedir(d);
}

/* Files in a cluster's folder that are not pool files (Clusterman's docs
 * name them <pool>.yaml, its code <pool>.mesos): never read, so said. */
static void warn_other_files(const struct cman_live_config *cfg, const char *cluster)
{
	char dir[4200];
	const char *dot;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", cfg->pools_dir, cluster);
	if (!(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		dot = strrchr(de->d_name, '.');
		if (dot && dot != de->d_name &&
		    (!strcmp(dot, ".mesos") || !strcmp(dot, ".kubernetes")))
			continue;
		warn("%s/%s: not a pool file (<pool>.mesos or <pool>.kubernetes); not read",
		     dir, de->d_name);
	}
	closedir(d);
}

/* Options common to the commands: --config FILE (returns 1 when used). */
static int config_option(int argc, char **argv, int *i, const char **config,
			 const char *usage, int *status)
{
	if (!strcmp(argv[*i], "--config")) {
		if (++*i >= argc) {
			*status = usage_error(usage, "%s needs a file", "--config");
			return 1;
		}
		*config = argv[*i];
		return 1;
	}
	if (!strncmp(argv[*i], "--config=", 9)) {
		*config = argv[*i] + 9;
		return 1;
	}
	return 0;
}

static int cmd_check(int argc, char **argv, const char *config)
{
	struct cman_live_config cfg;
	struct cman_error err = { 0 };
	char dirconf[4200], **files;
	const char *dir = NULL, *path;
	size_t c, k, n, n_pools = 0, n_bad = 0;
	int i, status = 0;

	for (i = 0; i < argc && !status; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_check, stdout);
			return 0;
		} else if (config_option(argc, argv, &i, &config, usage_check, &status)) {
			continue;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return usage_error(usage_check, "unknown option '%s'", argv[i]);
		} else if (!dir) {
			dir = argv[i];
		} else {
			return usage_error(usage_check, "unexpected argument '%s'", argv[i]);
		}
	}
	if (status)
		return status;
	if (!config && dir) {
		snprintf(dirconf, sizeof(dirconf), "%s/clusterman.yaml", dir);
		config = dirconf;
	}
	path = cman_live_config_find(config);
	if (cman_live_config_load(path, &cfg, &err) != 0)
		return fail(&err);
	warn_unknown_clusters(&cfg);
	if (cfg.store_is_sqlite && access(cfg.store, F_OK) != 0)
		warn("%s: the SQLite metrics store does not exist yet (metrics.sqlite)%s",
		     cfg.store, "");
	if (cfg.access_key_file && access(cfg.access_key_file, R_OK) != 0)
		warn("%s: cannot read the aws.access_key_file (%s)", cfg.access_key_file,
		     strerror(errno));
	for (c = 0; c < cfg.n_clusters; c++) {
		if (cman_live_config_pool_files(&cfg, cfg.clusters[c].name, &files, &n, &err)) {
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			n_bad++;
			continue;
		}
		warn_other_files(&cfg, cfg.clusters[c].name);
		for (k = 0; k < n; k++) {
			struct cman_pool_file pf;

			n_pools++;
			cman_error_clear(&err);
			if (load_pool(&cfg, files[k], &pf, &err) != 0) {
				fprintf(stderr, "%s: %s\n", prog, err.msg);
				n_bad++;
			} else {
				cman_pool_file_release(&pf);
			}
			free(files[k]);
		}
		free(files);
	}
	if (n_bad)
		fprintf(stderr, "%s: %s: %zu of %zu pool files (or folders) have errors\n", prog,
			cfg.path, n_bad, n_pools);
	else
		printf("%s: %zu cluster%s, %zu pool file%s: ok\n", cfg.path, cfg.n_clusters,
		       cfg.n_clusters == 1 ? "" : "s", n_pools, n_pools == 1 ? "" : "s");
	cman_live_config_release(&cfg);
	return n_bad ? 2 : 0;
}

static const char *kind_name(enum cman_discovery_kind k)
{
	return k == CMAN_DISCOVER_SFR ? "sfr" : "asg";
}

static void fmt_num(char *buf, size_t n, double v)
{
	if (isinf(v))
		snprintf(buf, n, "inf");
	else
		snprintf(buf, n, "%.17g", v);
}

static json_t *num_json(double v)
{
	return isinf(v) ? json_string("inf") : json_real(v);
}

/* One pool as text. */
static void pool_text(const struct cman_pool_file *pf)
{
	const struct cman_pool_config *pc = &pf->config;
	char lo[64], hi[64], add[64], rem[64], tk[64];
	size_t g;

	fmt_num(lo, sizeof(lo), pc->min_capacity);
	fmt_num(hi, sizeof(hi), pc->max_capacity);
	fmt_num(add, sizeof(add), pc->max_weight_to_add);
	fmt_num(rem, sizeof(rem), pc->max_weight_to_remove);
	fmt_num(tk, sizeof(tk), pc->max_tasks_to_kill);
	printf("  pool %s (%s): %s\n", pf->pool, pf->scheduler, pf->path);
	printf("    capacity %s to %s, add at most %s, remove at most %s, tasks to kill %s\n",
	       lo, hi, add, rem, tk);
	printf("    setpoint %g, margin %g\n", pc->setpoint, pc->target_capacity_margin);
	if (!pc->has_signal)
		printf("    signal: the default signal\n");
	else if (pc->signal.external)
		printf("    signal %s (external, namespace %s), every %lld min\n",
		       pc->signal.name, pc->signal.namespace_ ? pc->signal.namespace_ : "",
		       (long long)pc->signal.period_minutes);
	else
		printf("    signal %s (built-in), every %lld min\n", pc->signal.name,
		       (long long)pc->signal.period_minutes);
	for (g = 0; g < pf->n_groups; g++) {
		const struct cman_discovery *d = &pf->groups[g];

		printf("    group %s:", kind_name(d->kind));
		if (d->tag)
			printf(" tag %s", d->tag);
		if (d->s3_bucket)
			printf(" s3://%s/%s", d->s3_bucket, d->s3_prefix ? d->s3_prefix : "");
		printf("\n");
	}
	if (pf->draining_enabled)
		printf("    draining enabled\n");
}

static json_t *pool_json(const struct cman_pool_file *pf)
{
	const struct cman_pool_config *pc = &pf->config;
	json_t *o = json_object(), *groups = json_array(), *sig;
	size_t g;

	if (!o || !groups) {
		json_decref(o);
		json_decref(groups);
		return NULL;
	}
	json_object_set_new(o, "pool", json_string(pf->pool));
	json_object_set_new(o, "scheduler", json_string(pf->scheduler));
	json_object_set_new(o, "file", json_string(pf->path));
	json_object_set_new(o, "min_capacity", num_json(pc->min_capacity));
	json_object_set_new(o, "max_capacity", num_json(pc->max_capacity));
	json_object_set_new(o, "max_weight_to_add", num_json(pc->max_weight_to_add));
	json_object_set_new(o, "max_weight_to_remove", num_json(pc->max_weight_to_remove));
	json_object_set_new(o, "max_tasks_to_kill", num_json(pc->max_tasks_to_kill));
	json_object_set_new(o, "setpoint", json_real(pc->setpoint));
	json_object_set_new(o, "target_capacity_margin", json_real(pc->target_capacity_margin));
	if (pc->has_signal) {
		sig = json_object();
		json_object_set_new(sig, "name", json_string(pc->signal.name));
		json_object_set_new(sig, "external", json_boolean(pc->signal.external));
		if (pc->signal.namespace_)
			json_object_set_new(sig, "namespace", json_string(pc->signal.namespace_));
		json_object_set_new(sig, "period_minutes",
				    json_integer((json_int_t)pc->signal.period_minutes));
		json_object_set_new(o, "signal", sig);
	} else {
		json_object_set_new(o, "signal", json_null());
	}
	for (g = 0; g < pf->n_groups; g++) {
		const struct cman_discovery *d = &pf->groups[g];
		json_t *e = json_object();

		json_object_set_new(e, "kind", json_string(kind_name(d->kind)));
		json_object_set_new(e, "tag", d->tag ? json_string(d->tag) : json_null());
		if (d->s3_bucket) {
			json_object_set_new(e, "s3_bucket", json_string(d->s3_bucket));
			json_object_set_new(e, "s3_prefix",
					    json_string(d->s3_prefix ? d->s3_prefix : ""));
		}
		json_array_append_new(groups, e);
	}
	json_object_set_new(o, "resource_groups", groups);
	json_object_set_new(o, "draining_enabled", json_boolean(pf->draining_enabled));
	return o;
}

static int cmd_info(int argc, char **argv, const char *config)
{
	struct cman_live_config cfg;
	struct cman_error err = { 0 };
	const char *only = NULL;
	json_t *doc = NULL, *clusters = NULL;
	char **files;
	size_t c, k, n, n_bad = 0;
	bool as_json = false, found = false;
	int i, status = 0;

	for (i = 0; i < argc && !status; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage_info, stdout);
			return 0;
		} else if (config_option(argc, argv, &i, &config, usage_info, &status)) {
			continue;
		} else if (!strcmp(argv[i], "--cluster")) {
			if (++i >= argc)
				return usage_error(usage_info, "%s needs a cluster name", "--cluster");
			only = argv[i];
		} else if (!strcmp(argv[i], "--json")) {
			as_json = true;
		} else if (argv[i][0] == '-') {
			return usage_error(usage_info, "unknown option '%s'", argv[i]);
		} else {
			return usage_error(usage_info, "unexpected argument '%s'", argv[i]);
		}
	}
	if (status)
		return status;
	if (cman_live_config_load(cman_live_config_find(config), &cfg, &err) != 0)
		return fail(&err);
	if (as_json) {
		doc = json_object();
		clusters = json_array();
		if (!doc || !clusters) {
			json_decref(doc);
			json_decref(clusters);
			cman_live_config_release(&cfg);
			fprintf(stderr, "%s: out of memory\n", prog);
			return 1;
		}
		json_object_set_new(doc, "config", json_string(cfg.path));
		json_object_set_new(doc, "cluster_config_directory", json_string(cfg.pools_dir));
		json_object_set_new(doc, "metrics_store", json_string(cfg.store));
		json_object_set_new(doc, "clusters", clusters);
	} else {
		printf("service file: %s\n", cfg.path);
		printf("pool files: %s\n", cfg.pools_dir);
		printf("metrics store: %s\n", cfg.store);
	}
	for (c = 0; c < cfg.n_clusters; c++) {
		const struct cman_live_cluster *cl = &cfg.clusters[c];
		json_t *cj = NULL, *pools = NULL;

		if (only && strcmp(only, cl->name))
			continue;
		found = true;
		if (as_json) {
			cj = json_object();
			pools = json_array();
			json_object_set_new(cj, "name", json_string(cl->name));
			json_object_set_new(cj, "region", json_string(cl->region));
			json_object_set_new(cj, "cluster_manager", json_string(cl->manager));
			json_object_set_new(cj, "mesos_master",
					    cl->mesos_url ? json_string(cl->mesos_url) : json_null());
			json_object_set_new(cj, "pools", pools);
			json_array_append_new(clusters, cj);
		} else {
			printf("cluster %s: region %s, %s%s%s\n", cl->name, cl->region, cl->manager,
			       cl->mesos_url ? " master " : "", cl->mesos_url ? cl->mesos_url : "");
		}
		if (cman_live_config_pool_files(&cfg, cl->name, &files, &n, &err)) {
			fprintf(stderr, "%s: %s\n", prog, err.msg);
			n_bad++;
			continue;
		}
		if (!n && !as_json)
			printf("  no pool files\n");
		for (k = 0; k < n; k++) {
			struct cman_pool_file pf;

			cman_error_clear(&err);
			if (load_pool(&cfg, files[k], &pf, &err) != 0) {
				fprintf(stderr, "%s: %s\n", prog, err.msg);
				n_bad++;
			} else {
				if (as_json)
					json_array_append_new(pools, pool_json(&pf));
				else
					pool_text(&pf);
				cman_pool_file_release(&pf);
			}
			free(files[k]);
		}
		free(files);
	}
	if (as_json) {
		if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0 ||
		    fputc('\n', stdout) == EOF)
			n_bad++;
		json_decref(doc);
	}
	if (only && !found) {
		fprintf(stderr, "%s: %s: no cluster '%s' in the service file\n", prog, cfg.path,
			only);
		n_bad++;
	}
	cman_live_config_release(&cfg);
	return n_bad ? 2 : 0;
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	int i = 1, status = 0;

	for (; i < argc; i++) {
		if (config_option(argc, argv, &i, &config, usage_main, &status)) {
			if (status)
				return status;
			continue;
		}
		break;
	}
	if (i >= argc) {
		fputs(usage_main, stderr);
		return 2;
	}
	if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V") ||
	    !strcmp(argv[i], "version")) {
		printf("clusterman-live %s\n", CMAN_VERSION);
		return 0;
	}
	if (!strcmp(argv[i], "autoscale"))
		return cman_live_autoscale_main(argc - i - 1, argv + i + 1, config);
	if (!strcmp(argv[i], "check-config"))
		return cmd_check(argc - i - 1, argv + i + 1, config);
	if (!strcmp(argv[i], "info"))
		return cmd_info(argc - i - 1, argv + i + 1, config);
	if (!strcmp(argv[i], "collect"))
		return cman_collect_main(argc - i - 1, argv + i + 1, config);
	if (!strcmp(argv[i], "status"))
		return cman_live_cmd_status(argc - i - 1, argv + i + 1, config);
	if (!strcmp(argv[i], "manage"))
		return cman_live_cmd_manage(argc - i - 1, argv + i + 1, config);
	if (!strcmp(argv[i], "disable"))
		return cman_live_cmd_disable(argc - i - 1, argv + i + 1, config);
	if (!strcmp(argv[i], "enable"))
		return cman_live_cmd_enable(argc - i - 1, argv + i + 1, config);
	fprintf(stderr, "%s: unknown command '%s'\n%s", prog, argv[i], usage_main);
	return 2;
}
