/*
 * jsonout.c - checked JSON building (see jsonout.h).
 */
#include "cman/jsonout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cman/text.h"

void cman_jout_fail(struct cman_jout *j, const char *what)
{
	if (!j->bad[0])
		snprintf(j->bad, sizeof(j->bad), "%s", what);
}

void cman_jout_set(struct cman_jout *j, json_t *obj, const char *key, json_t *v)
{
	if (!v || !obj) {
		json_decref(v);
		cman_jout_fail(j, key);
		return;
	}
	if (json_object_set_new(obj, key, v) != 0)   /* v is released */
		cman_jout_fail(j, key);
}

void cman_jout_set_text_key(struct cman_jout *j, json_t *obj, const char *key, json_t *v)
{
	char *clean;

	if (cman_utf8_valid(key, strlen(key))) {
		cman_jout_set(j, obj, key, v);
		return;
	}
	clean = cman_utf8_clean(key);
	if (!clean) {
		json_decref(v);
		cman_jout_fail(j, "out of memory");
		return;
	}
	cman_jout_set(j, obj, clean, v);
	free(clean);
}

void cman_jout_append(struct cman_jout *j, json_t *arr, const char *what, json_t *v)
{
	if (!v || !arr) {
		json_decref(v);
		cman_jout_fail(j, what);
		return;
	}
	if (json_array_append_new(arr, v) != 0)
		cman_jout_fail(j, what);
}

int cman_jout_check(const struct cman_jout *j, const char *name, struct cman_error *err)
{
	if (!j->bad[0])
		return 0;
	return cman_error_set(err, CMAN_EINTERNAL, "%s: cannot store '%s' (not a finite number, "
			      "text that is not UTF-8, or out of memory)", name, j->bad);
}

json_t *cman_json_text(const char *s)
{
	json_t *v = json_string(s);
	char *clean;

	if (v || !s)
		return v;
	clean = cman_utf8_clean(s);
	v = clean ? json_string(clean) : NULL;
	free(clean);
	return v;
}
