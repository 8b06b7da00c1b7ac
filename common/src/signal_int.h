/*
 * signal_int.h - what signal.c and the built-in signals share (private).
 */
#ifndef CMAN_SIGNAL_INT_H
#define CMAN_SIGNAL_INT_H

#include "cman/err.h"
#include "cman/poolcfg.h"
#include "cman/signal.h"

/* Path of the signal configuration in messages. */
#define CMAN_SIGNAL_PATH "pool_config.autoscale_signal"

/*
 * Make the built-in signal cfg names (most_recent, mean, percentile,
 * constant), checking its parameters and required metrics; CMAN_EINVAL
 * naming the key otherwise.  Caller frees with cman_signal_free().
 */
int cman_signal_builtin_new(const struct cman_signal_config *cfg,
			    struct cman_signal **out, struct cman_error *err);

/*
 * The resource a built-in signal reads from a metric: "cpus_allocated" or
 * "cpus" -> CMAN_RES_CPUS, and so on for mem, disk and gpus; -1 for any
 * other name.
 */
int cman_signal_metric_resource(const char *metric);

#endif
