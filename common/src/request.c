/*
 * request.c - a signal's answer from its JSON form (request.h).
 */
#include "cman/request.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "a number";
	}
}

int cman_request_from_json(const struct json_t *doc, struct cman_request *out,
			   struct cman_error *err)
{
	const json_t *res;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!doc || !json_is_object(doc)) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "signal response: expected an object {\"Resources\": {...}}");
		goto out;
	}
	res = json_object_get(doc, "Resources");
	if (!res) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "signal response: missing key \"Resources\", expected "
				    "{\"Resources\": {\"cpus\": ..., ...}}");
		goto out;
	}
	if (json_is_null(res))
		goto out;   /* no opinion on anything */
	if (!json_is_object(res)) {
		rc = cman_error_set(err, CMAN_EINVAL,
				    "signal response: \"Resources\" is %s, expected an object",
				    json_type_name(res));
		goto out;
	}
	for (int r = 0; r < CMAN_RES_COUNT; r++) {
		const char *name = cman_resource_name((enum cman_resource)r);
		const json_t *v = json_object_get(res, name);
		double x;

		if (!v || json_is_null(v))
			continue;
		if (!json_is_number(v)) {
			rc = cman_error_set(err, CMAN_EINVAL,
					    "signal response: Resources.%s is %s, expected a number "
					    "or null", name, json_type_name(v));
			goto out;
		}
		x = json_number_value(v);
		if (!isfinite(x) || x < 0) {
			rc = cman_error_set(err, CMAN_EINVAL,
					    "signal response: Resources.%s is %g, expected a number "
					    ">= 0 or null", name, x);
			goto out;
		}
		out->has[r] = true;
		out->v[r] = x;
	}
out:
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}
