/*
 * decision.c - the record of one autoscaler run and its line of
 * decisions.jsonl (INTERFACE.md): one compact JSON object with its keys in
 * a fixed order, numbers with 12 significant digits.
 */
#include "cman/grow.h"
#include "cman/autoscaler.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cman_decision_init(struct cman_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->constrained = -1;
}

void cman_decision_reset(struct cman_decision *d)
{
	size_t cap_groups = d->cap_groups;
	char (*group_ids)[64] = d->group_ids;
	double *group_targets = d->group_targets;
	size_t cap_terminated = d->cap_terminated;
	char (*terminated)[32] = d->terminated;
	size_t cap_skipped = d->cap_skipped;
	struct cman_skip *skipped = d->skipped;

	cman_decision_init(d);
	d->cap_groups = cap_groups;
	d->group_ids = group_ids;
	d->group_targets = group_targets;
	d->cap_terminated = cap_terminated;
	d->terminated = terminated;
	d->cap_skipped = cap_skipped;
	d->skipped = skipped;
}

void cman_decision_release(struct cman_decision *d)
{
	free(d->group_ids);
	free(d->group_targets);
	free(d->terminated);
	free(d->skipped);
	cman_decision_init(d);
}

int cman_decision_add_clamp(struct cman_decision *d, const char *fmt, ...)
{
	va_list ap;

	if (d->n_clamps >= CMAN_MAX_CLAMPS)
		return CMAN_EINVAL;
	va_start(ap, fmt);
	vsnprintf(d->clamps[d->n_clamps], sizeof(d->clamps[0]), fmt, ap);
	va_end(ap);
	d->n_clamps++;
	return 0;
}

int cman_decision_add_terminated(struct cman_decision *d, const char *id)
{
	if (cman_grow((void **)&d->terminated, &d->cap_terminated, d->n_terminated + 1,
		 sizeof(*d->terminated)))
		return CMAN_ENOMEM;
	snprintf(d->terminated[d->n_terminated], sizeof(d->terminated[0]), "%s", id);
	d->n_terminated++;
	return 0;
}

int cman_decision_add_skipped(struct cman_decision *d, const char *id,
			      const char *reason)
{
	struct cman_skip *s;

	if (cman_grow((void **)&d->skipped, &d->cap_skipped, d->n_skipped + 1,
		 sizeof(*d->skipped)))
		return CMAN_ENOMEM;
	s = &d->skipped[d->n_skipped++];
	{
		size_t l = strnlen(id, sizeof(s->id) - 1);

		memcpy(s->id, id, l);
		s->id[l] = '\0';
	}
	s->reason = reason;
	return 0;
}

int cman_decision_set_groups(struct cman_decision *d, size_t n)
{
	size_t cap = d->cap_groups;

	if (n > cap) {
		char (*ids)[64];
		double *targets;

		cap = cap ? cap : 4;
		while (cap < n)
			cap *= 2;
		ids = realloc(d->group_ids, cap * sizeof(*ids));
		if (!ids)
			return CMAN_ENOMEM;
		d->group_ids = ids;
		targets = realloc(d->group_targets, cap * sizeof(*targets));
		if (!targets)
			return CMAN_ENOMEM;   /* ids grown: harmless, cap unchanged */
		d->group_targets = targets;
		d->cap_groups = cap;
	}
	if (n) {
		memset(d->group_ids, 0, n * sizeof(*d->group_ids));
		memset(d->group_targets, 0, n * sizeof(*d->group_targets));
	}
	d->n_groups = n;
	return 0;
}

/* ---- JSON -------------------------------------------------------------- */

/* A number, or null when not finite (JSON has no NaN or infinity). */
static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/*
 * A JSON string of s; bytes that are not valid UTF-8 (a message cut inside
 * a character, say) become '?' rather than failing the whole line.
 */
static json_t *text(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j || !(copy = strdup(s)))
		return j;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *str_or_null(bool has, const char *s)
{
	return has ? text(s) : json_null();
}

/* obj[key] = v, stealing v; -1 if v is NULL or the set fails. */
static int put(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return -1;
	return json_object_set_new(obj, key, v);
}

static int append(json_t *arr, json_t *v)
{
	if (!v)
		return -1;
	return json_array_append_new(arr, v);
}

static json_t *build(const struct cman_decision *d)
{
	json_t *root = json_object(), *req = json_object(), *clamps = json_array();
	json_t *groups = json_object(), *term = json_array(), *skipped = json_array();
	int bad = !root || !req || !clamps || !groups || !term || !skipped;
	size_t i;

	for (i = 0; !bad && i < CMAN_RES_COUNT; i++)
		bad |= put(req, cman_resource_name((enum cman_resource)i),
			   d->request.has[i] ? num(d->request.v[i]) : json_null());
	for (i = 0; !bad && i < d->n_clamps; i++)
		bad |= append(clamps, text(d->clamps[i]));
	for (i = 0; !bad && i < d->n_groups; i++)
		bad |= put(groups, d->group_ids[i], num(d->group_targets[i]));
	for (i = 0; !bad && i < d->n_terminated; i++)
		bad |= append(term, text(d->terminated[i]));
	for (i = 0; !bad && i < d->n_skipped && i < CMAN_DECISION_JSON_SKIPPED; i++) {
		json_t *s = json_object();

		bad |= !s;
		if (!bad)
			bad |= put(s, "id", text(d->skipped[i].id));
		if (!bad)
			bad |= put(s, "reason", text(d->skipped[i].reason ?
							    d->skipped[i].reason : ""));
		if (bad)
			json_decref(s);
		else
			bad |= append(skipped, s);
	}
	if (bad) {
		json_decref(req);
		json_decref(clamps);
		json_decref(groups);
		json_decref(term);
		json_decref(skipped);
		json_decref(root);
		return NULL;
	}
	/* From here put() steals every value, so a failure only needs root. */
	bad |= put(root, "time", json_integer(d->time));
	bad |= put(root, "signal", text(d->signal));
	bad |= put(root, "signal_error", str_or_null(d->signal_failed, d->signal_error));
	bad |= put(root, "request", req);
	bad |= put(root, "usage", d->has_usage ? num(d->usage) : json_null());
	bad |= put(root, "constrained_resource",
		   str_or_null(d->constrained >= 0 && d->constrained < CMAN_RES_COUNT,
			       cman_resource_name((enum cman_resource)d->constrained)));
	bad |= put(root, "current_target", num(d->current_target));
	bad |= put(root, "computed_target", num(d->computed_target));
	bad |= put(root, "new_target", num(d->new_target));
	bad |= put(root, "clamps", clamps);
	bad |= put(root, "reason", text(d->reason));
	bad |= put(root, "group_targets", groups);
	bad |= put(root, "terminated", term);
	bad |= put(root, "skipped", skipped);
	bad |= put(root, "skipped_total", json_integer((json_int_t)d->n_skipped));
	bad |= put(root, "paused", json_boolean(d->paused));
	if (bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int cman_decision_write_json(const struct cman_decision *d, FILE *fp)
{
	json_t *root = build(d);
	int rc = 0;

	if (!root)
		return CMAN_ENOMEM;
	if (json_dumpf(root, fp, JSON_PRESERVE_ORDER | JSON_COMPACT |
		       JSON_REAL_PRECISION(12)) != 0 || fputc('\n', fp) == EOF)
		rc = CMAN_EIO;
	json_decref(root);
	return rc;
}
