/*
 * sigproc.c - a live pool's signal processes: Clusterman's bootstrap
 * environment and supervision between cycles (cman/live/sigproc.h).
 */
#include "cman/live/sigproc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cman/live/daemon.h"

#define DEFAULT_BUCKET "yelp-clusterman-signals"

/* A scalar's text at a path of map keys, or NULL. */
static const char *node_str(const struct cman_node *root, const char *k1, const char *k2)
{
	const struct cman_node *n = cman_node_get(root, k1);

	if (n && k2)
		n = cman_node_get(n, k2);
	return n && n->type == CMAN_NODE_SCALAR && !n->null && n->scalar[0] ? n->scalar : NULL;
}

struct list {
	char *s;
	size_t len;
	bool failed;
};

static void list_add(struct list *l, const char *v)
{
	size_t n = strlen(v), need = l->len + n + 2;
	char *p;

	if (l->failed)
		return;
	if (!(p = realloc(l->s, need))) {
		l->failed = true;
		return;
	}
	l->s = p;
	if (l->len)
		l->s[l->len++] = ' ';
	memcpy(l->s + l->len, v, n + 1);
	l->len += n;
}

static bool list_has(const struct list *l, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = l->s; p && *p;) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);

		if (len == n && !memcmp(p, v, n))
			return true;
		p = sp ? sp + 1 : p + len;
	}
	return false;
}

int cman_live_signal_env(const struct cman_live_config *cfg, const char *cluster,
			 const char *pool, const char *scheduler,
			 const struct cman_node *pool_root, struct cman_error *err)
{
	struct list names = { 0 }, nss = { 0 }, apps = { 0 }, vers = { 0 }, fetch = { 0 };
	const struct cman_node *ps = pool_root ? cman_node_get(pool_root, "autoscale_signal") : NULL;
	const char *v, *bucket;
	unsigned nsig = 0, nver = 0;
	char num[32];
	int rc = 0;

	if (cfg->has_default_signal && cfg->default_signal.external) {
		v = node_str(cfg->root, "autoscale_signal", "branch_or_tag");
		v = v ? v : "master";
		list_add(&names, cfg->default_signal.name);
		list_add(&nss, cfg->default_signal.namespace_ ? cfg->default_signal.namespace_ :
			 cfg->default_signal_role ? cfg->default_signal_role : "");
		list_add(&apps, "__default__");
		list_add(&vers, v);
		list_add(&fetch, v);
		nsig++;
		nver++;
	}
	if (ps && node_str(ps, "name", NULL)) {
		const struct cman_node *in = cman_node_get(ps, "internal");
		bool internal = in && in->type == CMAN_NODE_SCALAR &&
				(!strcmp(in->scalar, "true") || !strcmp(in->scalar, "True") ||
				 !strcmp(in->scalar, "yes"));

		if (!internal) {
			v = node_str(ps, "branch_or_tag", NULL);
			v = v ? v : pool;
			list_add(&names, node_str(ps, "name", NULL));
			list_add(&nss, node_str(ps, "namespace", NULL) ?
				 node_str(ps, "namespace", NULL) : pool);
			list_add(&apps, pool);
			list_add(&vers, v);
			if (!list_has(&fetch, v)) {
				list_add(&fetch, v);
				nver++;
			}
			nsig++;
		}
	}
	if (names.failed || nss.failed || apps.failed || vers.failed || fetch.failed) {
		rc = cman_error_set(err, CMAN_ENOMEM, "signal environment: out of memory");
		goto out;
	}
	bucket = node_str(cfg->root, "aws", "signals_bucket");
	if (setenv("CMAN_SIGNAL_NAMES", names.s ? names.s : "", 1) ||
	    setenv("CMAN_SIGNAL_NAMESPACES", nss.s ? nss.s : "", 1) ||
	    setenv("CMAN_SIGNAL_APPS", apps.s ? apps.s : "", 1) ||
	    setenv("CMAN_SIGNAL_VERSIONS", vers.s ? vers.s : "", 1) ||
	    setenv("CMAN_VERSIONS_TO_FETCH", fetch.s ? fetch.s : "", 1) ||
	    setenv("CMAN_SIGNALS_BUCKET", bucket ? bucket : DEFAULT_BUCKET, 1) ||
	    (snprintf(num, sizeof(num), "%u", nsig), setenv("CMAN_NUM_SIGNALS", num, 1)) ||
	    (snprintf(num, sizeof(num), "%u", nver), setenv("CMAN_NUM_VERSIONS", num, 1)) ||
	    setenv("CMAN_CLUSTER", cluster ? cluster : "", 1) ||
	    setenv("CMAN_POOL", pool ? pool : "", 1) ||
	    setenv("CMAN_SCHEDULER", scheduler ? scheduler : "mesos", 1))
		rc = cman_error_set(err, CMAN_ENOMEM, "signal environment: out of memory");
out:
	free(names.s);
	free(nss.s);
	free(apps.s);
	free(vers.s);
	free(fetch.s);
	return rc;
}

void cman_live_sigsup_init(struct cman_live_sigsup *sup, struct cman_signal *pool_signal,
			   struct cman_signal *default_signal)
{
	memset(sup, 0, sizeof(*sup));
	sup->sig[0] = pool_signal;
	snprintf(sup->label[0], sizeof(sup->label[0]), "pool");
	if (default_signal != pool_signal)
		sup->sig[1] = default_signal;
	snprintf(sup->label[1], sizeof(sup->label[1]), "default");
}

int cman_live_sigsup_check(struct cman_live_sigsup *sup, FILE *log, const char *prog,
			   struct cman_error *err)
{
	struct cman_error e = { 0 };
	int rc = 0;

	if (!log)
		log = stderr;
	if (!prog)
		prog = "clusterman-live";
	sup->checks++;
	for (int i = 0; i < 2; i++) {
		struct cman_signal_proc before = sup->proc[i];
		pid_t old = before.pid;
		int r;

		if (!sup->sig[i])
			continue;
		r = cman_signal_external_supervise(sup->sig[i], &sup->proc[i], &e);
		if (sup->proc[i].pid != old) {
			cman_daemon_forget_group(old);
			cman_daemon_kill_on_exit(sup->proc[i].pid);
		}
		if (sup->proc[i].crashes > before.crashes || sup->proc[i].hangs > before.hangs)
			fprintf(log, "%s: %s signal '%s': its process %s\n", prog, sup->label[i],
				sup->sig[i]->name, sup->proc[i].last_exit);
		if (!r && sup->proc[i].restarts > before.restarts)
			fprintf(log, "%s: %s signal '%s': restarted (pid %ld, restart %" PRIu64
				")\n", prog, sup->label[i], sup->sig[i]->name,
				(long)sup->proc[i].pid, sup->proc[i].restarts);
		sup->down[i] = r != 0;
		if (r) {
			fprintf(log, "%s: %s\n", prog, e.msg);
			rc = r;
			if (err)
				*err = e;
		}
	}
	if (rc)
		sup->failures++;
	fflush(log);
	return rc;
}

void cman_live_sigsup_metrics(const struct cman_live_sigsup *sup, FILE *fp,
			      const char *labels)
{
	static const struct { const char *m, *type, *help; } ms[] = {
		{ "up", "gauge", "1 when the signal's process runs." },
		{ "starts_total", "counter", "Times the signal's process was started." },
		{ "restarts_total", "counter", "Restarts after a crash or a hang." },
		{ "crashes_total", "counter", "Times the signal's process exited." },
		{ "hangs_total", "counter", "Times it was killed after a timed-out evaluation." },
	};
	bool any = false;

	for (int i = 0; i < 2; i++)
		if (sup->sig[i] && sup->proc[i].starts)
			any = true;
	if (!any)
		return;
	for (size_t k = 0; k < sizeof(ms) / sizeof(*ms); k++) {
		fprintf(fp, "# HELP clusterman_signal_process_%s %s\n"
			"# TYPE clusterman_signal_process_%s %s\n", ms[k].m, ms[k].help,
			ms[k].m, ms[k].type);
		for (int i = 0; i < 2; i++) {
			const struct cman_signal_proc *p = &sup->proc[i];
			uint64_t v;

			if (!sup->sig[i] || !p->starts)
				continue;
			v = k == 0 ? (p->pid > 0) : k == 1 ? p->starts : k == 2 ? p->restarts :
			    k == 3 ? p->crashes : p->hangs;
			fprintf(fp, "clusterman_signal_process_%s{%s%ssignal=\"", ms[k].m,
				labels ? labels : "", labels && *labels ? "," : "");
			for (const char *c = sup->sig[i]->name; *c; c++) {
				if (*c == '"' || *c == '\\')
					fputc('\\', fp);
				fputc(*c == '\n' ? ' ' : *c, fp);
			}
			fprintf(fp, "\",role=\"%s\"} %" PRIu64 "\n", sup->label[i], v);
		}
	}
}

void cman_live_sigsup_release(struct cman_live_sigsup *sup)
{
	for (int i = 0; i < 2; i++)
		if (sup->proc[i].pid > 0)
			cman_daemon_forget_group(sup->proc[i].pid);
}
