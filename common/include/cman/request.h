/*
 * request.h - a signal's answer (SPEC §6): the resources a pool's
 * applications need, and its JSON form {"Resources": {...}} as external
 * signals send it.  Used by the signals (signal.h) and the external signal
 * client (signal_external.h); depends on neither.
 */
#ifndef CMAN_REQUEST_H
#define CMAN_REQUEST_H

#include <stdbool.h>

#include "cman/err.h"
#include "cman/poolcfg.h"

/* A signal's answer: a value per resource, or absent ("no opinion"). */
struct cman_request {
	bool has[CMAN_RES_COUNT];
	double v[CMAN_RES_COUNT];
};

/*
 * Parse {"Resources": {"cpus": x, ...}} (absent or null = no opinion); each
 * value given must be a finite number >= 0.  CMAN_EINVAL with a message
 * naming what is wrong, *out then empty.
 */
struct json_t;
int cman_request_from_json(const struct json_t *doc, struct cman_request *out,
			   struct cman_error *err);

#endif
