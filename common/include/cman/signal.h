/*
 * signal.h - signals (SPEC §6): functions of recorded metrics that return the
 * resources a pool's applications need.  Built-in signals and external ones
 * (Clusterman's socket protocol) sit behind one const function table.
 */
#ifndef CMAN_SIGNAL_H
#define CMAN_SIGNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"
#include "cman/poolcfg.h"
#include "cman/request.h"   /* struct cman_request, cman_request_from_json() */
#include "cman/store.h"

/* One required metric's window, oldest first. */
struct cman_series {
	char name[128];              /* the bare metric name */
	size_t n, cap;
	int64_t *t;
	double *v;
};

/* What a signal is evaluated on. */
struct cman_signal_input {
	int64_t now;
	const struct cman_series *series;   /* in required_metrics order */
	size_t n_series;
};

struct cman_signal;

struct cman_signal_ops {
	const char *kind;            /* "builtin" or "external" */
	int (*evaluate)(struct cman_signal *s, const struct cman_signal_input *in,
			struct cman_request *out, struct cman_error *err);
	void (*free)(struct cman_signal *s);
};

/* Base of every signal; implementations embed it first. */
struct cman_signal {
	const struct cman_signal_ops *ops;
	char name[128];
	const struct cman_signal_config *cfg;   /* not owned; outlives the signal */
	uint64_t skipped;   /* evaluations not attempted (an external signal backing off) */
};

/*
 * Make the signal cfg describes: a built-in one (most_recent, mean,
 * percentile, constant), or an external one (cfg->external: starts
 * cfg->command if any, connects to its socket).  cluster and pool go into the
 * external signal's parameters.  An unknown built-in name, bad parameters or
 * an external socket that cannot be reached are CMAN_EINVAL naming the key
 * (pool_config.autoscale_signal.<...>).  Caller frees with cman_signal_free().
 */
int cman_signal_new(const struct cman_signal_config *cfg, const char *cluster,
		    const char *pool, struct cman_signal **out,
		    struct cman_error *err);

/* The default signal's configuration (used for pools without a signal, and
 * when a pool's signal fails): the most recent cpus/mem/disk/gpus_allocated
 * of the last 10 minutes.  Static; never freed. */
const struct cman_signal_config *cman_signal_default_config(void);

int cman_signal_evaluate(struct cman_signal *s, const struct cman_signal_input *in,
			 struct cman_request *out, struct cman_error *err);
void cman_signal_free(struct cman_signal *s);   /* NULL is fine */

/*
 * Fill in (series[i] for each required metric of cfg) with the samples of
 * [now - minute_range*60, now], both ends included, read from the stores in
 * order (a later store's sample at an equal time comes after).  Key of a
 * system_metrics metric: "<name>|cluster=<cluster>,pool=<pool>.<scheduler>";
 * of an app_metrics metric: "<name>" as the application wrote it.  The
 * series arrays are reused across calls: release them with
 * cman_signal_input_release().
 */
int cman_signal_fetch(const struct cman_signal_config *cfg,
		      struct cman_store *const *stores, size_t n_stores,
		      const char *cluster, const char *pool, const char *scheduler,
		      int64_t now, struct cman_signal_input *in,
		      struct cman_series **scratch, size_t *n_scratch,
		      struct cman_error *err);
void cman_signal_input_release(struct cman_series *scratch, size_t n_scratch);

#endif
