/*
 * decision.c - the record of one autoscaler run and its line of
 * decisions.jsonl (INTERFACE.md): one compact JSON object with its keys in
 * a fixed order, numbers with 12 significant digits.
 */
#include "cman/grow.h"
#include "cman/decision.h"

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
	struct cman_decision keep = *d;

	cman_decision_init(d);
	d->cap_groups = keep.cap_groups;
	d->groups = keep.groups;
	d->cap_terminated = keep.cap_terminated;
	d->terminated = keep.terminated;
	d->cap_terminate_failed = keep.cap_terminate_failed;
	d->terminate_failed = keep.terminate_failed;
	d->cap_skipped = keep.cap_skipped;
	d->skipped = keep.skipped;
	for (int i = 0; i < CMAN_DRAIN_LISTS; i++) {
		d->drain[i].cap = keep.drain[i].cap;
		d->drain[i].ids = keep.drain[i].ids;
	}
	d->strs = keep.strs;
	d->strs_cap = keep.strs_cap;
	d->no_text = keep.no_text;
}

void cman_decision_release(struct cman_decision *d)
{
	free(d->groups);
	free(d->terminated);
	free(d->terminate_failed);
	free(d->skipped);
	for (int i = 0; i < CMAN_DRAIN_LISTS; i++)
		free(d->drain[i].ids);
	free(d->strs);
	cman_decision_init(d);
}

/* Copy s (whole) into the string buffer: its offset in *off; CMAN_ENOMEM. */
static int add_str(struct cman_decision *d, const char *s, size_t *off)
{
	size_t n = strlen(s) + 1;

	if (d->strs_len + n < n ||
	    cman_grow((void **)&d->strs, &d->strs_cap, d->strs_len + n, 1))
		return CMAN_ENOMEM;
	memcpy(d->strs + d->strs_len, s, n);
	*off = d->strs_len;
	d->strs_len += n;
	return 0;
}

/* The empty string's offset (the buffer starts with one). */
static int empty_str(struct cman_decision *d, size_t *off)
{
	if (d->strs_len == 0)
		return add_str(d, "", off);
	*off = 0;
	return d->strs[0] == '\0' ? 0 : add_str(d, "", off);
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

static int add_id(struct cman_decision *d, size_t **arr, size_t *cap, size_t *n,
		  const char *id)
{
	size_t off;

	if (cman_grow((void **)arr, cap, *n + 1, sizeof(**arr)) || add_str(d, id, &off))
		return CMAN_ENOMEM;
	(*arr)[(*n)++] = off;
	return 0;
}

int cman_decision_add_terminated(struct cman_decision *d, const char *id)
{
	return add_id(d, &d->terminated, &d->cap_terminated, &d->n_terminated, id);
}

int cman_decision_add_terminate_failed(struct cman_decision *d, const char *id)
{
	return add_id(d, &d->terminate_failed, &d->cap_terminate_failed,
		      &d->n_terminate_failed, id);
}

int cman_decision_add_skipped(struct cman_decision *d, const char *id,
			      const char *reason)
{
	struct cman_skip *s;
	size_t off;

	if (cman_grow((void **)&d->skipped, &d->cap_skipped, d->n_skipped + 1,
		      sizeof(*d->skipped)) || add_str(d, id, &off))
		return CMAN_ENOMEM;
	s = &d->skipped[d->n_skipped++];
	s->id = off;
	s->reason = reason;
	return 0;
}

int cman_decision_add_drain(struct cman_decision *d, enum cman_drain_list which,
			    const char *id)
{
	struct cman_id_list *l = &d->drain[which];

	return add_id(d, &l->ids, &l->cap, &l->n, id);
}

int cman_decision_drain_error(struct cman_decision *d, const char *msg)
{
	if (d->drain_failed)
		return 0;
	if (add_str(d, msg, &d->drain_error))
		return CMAN_ENOMEM;
	d->drain_failed = true;
	return 0;
}

bool cman_decision_has_terminated(const struct cman_decision *d, const char *id)
{
	size_t i;

	for (i = 0; i < d->n_terminated; i++)
		if (!strcmp(cman_decision_str(d, d->terminated[i]), id))
			return true;
	return false;
}

int cman_decision_set_groups(struct cman_decision *d, size_t n)
{
	size_t i, empty;

	if (n && (empty_str(d, &empty) ||
		  cman_grow((void **)&d->groups, &d->cap_groups, n, sizeof(*d->groups))))
		return CMAN_ENOMEM;
	for (i = 0; i < n; i++) {
		memset(&d->groups[i], 0, sizeof(d->groups[i]));
		d->groups[i].id = empty;
		d->groups[i].error = empty;
	}
	d->n_groups = n;
	return 0;
}

int cman_decision_set_group(struct cman_decision *d, size_t i, const char *id,
			    double planned)
{
	size_t off;

	if (add_str(d, id, &off))
		return CMAN_ENOMEM;
	d->groups[i].id = off;
	d->groups[i].planned = planned;
	d->groups[i].applied = planned;
	return 0;
}

int cman_decision_set_group_error(struct cman_decision *d, size_t i, int rc,
				  const char *msg)
{
	size_t off;

	if (add_str(d, msg, &off))
		return CMAN_ENOMEM;
	d->groups[i].rc = rc;
	d->groups[i].error = off;
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

/* draining {started, drained, timed_out, gone, pending, error}; -1 on a
 * failure. */
static int add_draining(const struct cman_decision *d, json_t *root)
{
	static const char *const names[CMAN_DRAIN_LISTS] = {
		[CMAN_DRAIN_STARTED] = "started", [CMAN_DRAIN_DRAINED] = "drained",
		[CMAN_DRAIN_TIMED_OUT] = "timed_out", [CMAN_DRAIN_GONE] = "gone",
		[CMAN_DRAIN_PENDING] = "pending",
	};
	json_t *o = json_object();
	int bad = !o;

	for (int k = 0; !bad && k < CMAN_DRAIN_LISTS; k++) {
		json_t *arr = json_array();

		bad |= !arr;
		for (size_t i = 0; !bad && i < d->drain[k].n; i++)
			bad |= append(arr, text(cman_decision_str(d, d->drain[k].ids[i])));
		if (bad)
			json_decref(arr);
		else
			bad |= put(o, names[k], arr);
	}
	if (!bad)
		bad |= put(o, "error", str_or_null(d->drain_failed,
						   cman_decision_str(d, d->drain_error)));
	if (bad) {
		json_decref(o);
		return -1;
	}
	return put(root, "draining", o);
}

/* Live mode's keys: dry_run, groups {id: {planned, applied, error}},
 * terminate_failed [ids]; -1 on a failure. */
static int add_live(const struct cman_decision *d, json_t *root)
{
	json_t *groups = json_object(), *failed = json_array();
	int bad = !groups || !failed;
	size_t i;

	for (i = 0; !bad && i < d->n_groups; i++) {
		const struct cman_group_result *g = &d->groups[i];
		json_t *o = json_object();

		bad |= !o;
		if (!bad)
			bad |= put(o, "planned", num(g->planned));
		if (!bad)
			bad |= put(o, "applied", num(g->applied));
		if (!bad)
			bad |= put(o, "error", str_or_null(g->rc != 0,
							   cman_decision_str(d, g->error)));
		if (bad)
			json_decref(o);
		else
			bad |= put(groups, cman_decision_str(d, g->id), o);
	}
	for (i = 0; !bad && i < d->n_terminate_failed; i++)
		bad |= append(failed, text(cman_decision_str(d, d->terminate_failed[i])));
	if (bad) {
		json_decref(groups);
		json_decref(failed);
		return -1;
	}
	bad |= put(root, "dry_run", json_boolean(d->dry_run));
	bad |= put(root, "groups", groups);
	bad |= put(root, "terminate_failed", failed);
	if (!bad && d->draining)
		bad |= add_draining(d, root);
	return bad ? -1 : 0;
}

static json_t *build(const struct cman_decision *d, bool live)
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
		bad |= put(groups, cman_decision_str(d, d->groups[i].id), num(d->groups[i].planned));
	for (i = 0; !bad && i < d->n_terminated; i++)
		bad |= append(term, text(cman_decision_str(d, d->terminated[i])));
	for (i = 0; !bad && i < d->n_skipped && i < CMAN_DECISION_JSON_SKIPPED; i++) {
		json_t *s = json_object();

		bad |= !s;
		if (!bad)
			bad |= put(s, "id", text(cman_decision_str(d, d->skipped[i].id)));
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
	if (!bad && live)
		bad |= add_live(d, root);
	if (bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}

static int write_json(const struct cman_decision *d, bool live, FILE *fp)
{
	json_t *root = build(d, live);
	int rc = 0;

	if (!root)
		return CMAN_ENOMEM;
	if (json_dumpf(root, fp, JSON_PRESERVE_ORDER | JSON_COMPACT |
		       JSON_REAL_PRECISION(12)) != 0 || fputc('\n', fp) == EOF)
		rc = CMAN_EIO;
	json_decref(root);
	return rc;
}

int cman_decision_write_json(const struct cman_decision *d, FILE *fp)
{
	return write_json(d, false, fp);
}

int cman_decision_write_json_live(const struct cman_decision *d, FILE *fp)
{
	return write_json(d, true, fp);
}
