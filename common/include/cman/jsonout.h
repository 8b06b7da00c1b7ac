/*
 * jsonout.h - building a JSON document in which no value is silently lost.
 *
 * jansson's constructors return NULL for a number that is not finite, text
 * that is not UTF-8, or no memory, and its setters fail on such a NULL; a
 * writer that ignores either writes a file without the key (issue 9.5).
 * A builder records the first key (or what) that could not be stored; the
 * writer checks it once before writing anything and fails with a clear
 * message instead of producing an incomplete file.
 */
#ifndef CMAN_JSONOUT_H
#define CMAN_JSONOUT_H

#include <stdbool.h>

#include <jansson.h>

#include "cman/err.h"

struct cman_jout {
	char bad[128];   /* the first key that could not be stored, or "" */
};

/* obj[key] = v, stealing v (also on failure).  A NULL v or obj, or a failed
 * set, records key. */
void cman_jout_set(struct cman_jout *j, json_t *obj, const char *key, json_t *v);

/* The same with a key from outside (a market or series name read from a
 * file): bytes that are not well-formed UTF-8 become U+FFFD. */
void cman_jout_set_text_key(struct cman_jout *j, json_t *obj, const char *key, json_t *v);

/* Append v to arr, stealing v; failure records what. */
void cman_jout_append(struct cman_jout *j, json_t *arr, const char *what, json_t *v);

/* Record a failure that has no value (a container that could not be made). */
void cman_jout_fail(struct cman_jout *j, const char *what);

static inline bool cman_jout_ok(const struct cman_jout *j)
{
	return !j->bad[0];
}

/* 0 when nothing failed; else CMAN_EINTERNAL "NAME: cannot store 'KEY' (not
 * a finite number, text that is not UTF-8, or out of memory)". */
int cman_jout_check(const struct cman_jout *j, const char *name, struct cman_error *err);

/* A JSON string of text from outside (file contents, answers): bytes that
 * are not well-formed UTF-8 become U+FFFD.  NULL only when out of memory. */
json_t *cman_json_text(const char *s);

#endif
