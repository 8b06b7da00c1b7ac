/*
 * decision.c - the record of one autoscaler run and its line of
 * decisions.jsonl (INTERFACE.md): one compact JSON object with its keys in
 * a fixed order, numbers with 12 significant digits.
 */
#include "cman/grow.h"
#include "cman/decision.h"
#include "cman/gfmt.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cman_decision_init(struct cman_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->constrained = -1;
}

/*
 * Field by field, not a copy and a clearing of the whole record: its text
 * buffers (2.6 kB) need only their first byte, as every writer of them
 * ends what it writes with a NUL (issue 12: the copy was 1.5% of an
 * autoscaler run).  test_decision.c's test_reset checks every field
 * against cman_decision_init().
 */
void cman_decision_reset(struct cman_decision *d)
{
	d->time = 0;
	d->signal[0] = '\0';
	d->signal_failed = false;
	d->signal_error[0] = '\0';
	memset(&d->request, 0, sizeof(d->request));
	d->has_usage = false;
	d->usage = 0;
	d->constrained = -1;
	d->current_target = 0;
	d->computed_target = 0;
	d->new_target = 0;
	d->reason[0] = '\0';
	for (int i = 0; i < CMAN_MAX_CLAMPS; i++)
		d->clamps[i][0] = '\0';
	d->n_clamps = 0;
	d->n_groups = 0;
	d->n_terminated = 0;
	d->n_terminate_failed = 0;
	d->n_skipped = 0;
	d->paused = false;
	d->dry_run = false;
	d->draining = false;
	for (int i = 0; i < CMAN_DRAIN_LISTS; i++)
		d->drain[i].n = 0;
	d->drain_failed = false;
	d->drain_error = 0;
	d->strs_len = 0;
	/* kept: the arrays and their capacities, no_text, skipped_keep */
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

	/* past the ones the caller keeps, only counted (a prune may skip
	 * every machine of a large pool, every run) */
	if (d->skipped_keep && d->n_skipped >= d->skipped_keep) {
		d->n_skipped++;
		return 0;
	}
	if (cman_grow((void **)&d->skipped, &d->cap_skipped, d->n_skipped + 1,
		      sizeof(*d->skipped)) || add_str(d, id, &off))
		return CMAN_ENOMEM;
	s = &d->skipped[d->n_skipped++];
	s->id = off;
	s->reason = reason;
	return 0;
}

void cman_decision_count_skipped(struct cman_decision *d, size_t n)
{
	d->n_skipped += n;
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

/* ---- the simulator's line without building a document ------------------------ */

/*
 * cman_decision_write_json() writes its line straight into a buffer on the
 * stack, the bytes jansson would write (a document built per run and
 * dumped was 29% of a 7-day autoscaler run, issue 12).  It does so when
 * every string of the line is ASCII and the group ids are distinct; any
 * other line (a non-ASCII byte jansson would check as UTF-8 or replace, a
 * repeated group key jansson would merge) goes through jansson as before.
 */
struct jw {
	FILE *fp;
	size_t n;
	bool bad;
	char buf[8192];
};

static void jw_flush(struct jw *w)
{
	if (w->n && fwrite(w->buf, 1, w->n, w->fp) != w->n)
		w->bad = true;
	w->n = 0;
}

/* Room for at least k more bytes (k <= sizeof(w->buf)). */
static char *jw_room(struct jw *w, size_t k)
{
	if (sizeof(w->buf) - w->n < k)
		jw_flush(w);
	return w->buf + w->n;
}

/* Out of line: the buffer is full (or k is more than it holds). */
static void jw_mem_slow(struct jw *w, const char *s, size_t k)
{
	jw_flush(w);
	if (k > sizeof(w->buf)) {
		if (fwrite(s, 1, k, w->fp) != k)
			w->bad = true;
		return;
	}
	memcpy(w->buf, s, k);
	w->n = k;
}

/* Inline: a literal's length is a constant, so is its copy (issue 12: a
 * call per piece was an eighth of the line). */
static inline void jw_mem(struct jw *w, const char *s, size_t k)
{
	if (k > sizeof(w->buf) - w->n) {
		jw_mem_slow(w, s, k);
		return;
	}
	memcpy(w->buf + w->n, s, k);
	w->n += k;
}

static inline void jw_lit(struct jw *w, const char *s)
{
	jw_mem(w, s, strlen(s));
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGH UINT64_C(0x8080808080808080)

/*
 * Does the word x hold a byte that is not printable ASCII for JSON: below
 * 0x20, '"', '\\' or 0x80 and above?  Exact for "any" (the borrow of the
 * subtractions can only mark a byte above one that is marked anyway).
 */
static inline bool word_special(uint64_t x)
{
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

	return ((((x - ONES * 0x20) & ~x) | ((q - ONES) & ~q) | ((b - ONES) & ~b)) & HIGH) |
	       (x & HIGH);
}

/* The length of the leading run of s[0..n) that jw_str() copies as it is
 * (no byte of word_special()'s). */
static size_t plain_run(const char *s, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x;

		memcpy(&x, s + i, 8);
		if (word_special(x))
			break;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
			break;
	}
	return i;
}

/* An ASCII string, escaped as jansson escapes it: \" \\ \b \f \n \r \t, other
 * control characters as \u00XX (upper-case hex); '/' and DEL as they are.
 * A string with nothing to escape (every one of a simulator's line) is
 * copied in one piece. */
static void jw_str(struct jw *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(s);
	const char *run = s;

	if (len + 2 <= sizeof(w->buf) - w->n && plain_run(s, len) == len) {
		char *p = w->buf + w->n;

		p[0] = '"';
		memcpy(p + 1, s, len);
		p[len + 1] = '"';
		w->n += len + 2;
		return;
	}
	jw_mem(w, "\"", 1);
	for (;; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[6];
		size_t k = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jw_mem(w, run, (size_t)(s - run));
		if (c == '\0')
			break;
		run = s + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			k = 6;
		}
		jw_mem(w, esc, k);
	}
	jw_mem(w, "\"", 1);
}

/* v's decimal digits (printf's "%lld", without printf). */
static void jw_int(struct jw *w, long long v)
{
	char *p = jw_room(w, 24), tmp[24];
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	size_t k = sizeof(tmp), len = 0;

	do {
		tmp[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		p[len++] = '-';
	memcpy(p + len, tmp + k, sizeof(tmp) - k);
	w->n += len + sizeof(tmp) - k;
}

/*
 * A real as jansson writes it with JSON_REAL_PRECISION(12): "%.12g", ".0"
 * added when that is all digits, the exponent without '+' and leading
 * zeros; null when not finite.  A whole number under 10^12 is exactly its
 * digits under "%.12g", written without printf.
 */
static void jw_num(struct jw *w, double v)
{
	char *p = jw_room(w, 40), *e, *start, *end;
	size_t len;

	if (!isfinite(v)) {
		memcpy(p, "null", 4);
		w->n += 4;
		return;
	}
	if (v == floor(v) && fabs(v) < 1e12) {
		char tmp[16];
		unsigned long long u = (unsigned long long)fabs(v);
		size_t k = sizeof(tmp);

		do {
			tmp[--k] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		len = 0;
		if (signbit(v))
			p[len++] = '-';
		memcpy(p + len, tmp + k, sizeof(tmp) - k);
		len += sizeof(tmp) - k;
		memcpy(p + len, ".0", 2);
		w->n += len + 2;
		return;
	}
	len = cman_fmt_g(p, v, 12);
	if (strspn(p, "0123456789-") == len) {
		memcpy(p + len, ".0", 2);
		len += 2;
	}
	p[len] = '\0';
	if ((e = strchr(p, 'e')) != NULL) {
		start = e + 1;
		end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, len - (size_t)(end - p));
			len -= (size_t)(end - start);
		}
	}
	w->n += len;
}

static bool ascii(const char *s)
{
	size_t n = strlen(s), i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x;

		memcpy(&x, s + i, 8);
		if (x & HIGH)
			return false;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* Can the line be written directly (see above)? */
static bool direct_ok(const struct cman_decision *d)
{
	size_t i, j;

	if (!ascii(d->signal) || (d->signal_failed && !ascii(d->signal_error)) ||
	    !ascii(d->reason) || d->n_groups > 32)
		return false;
	for (i = 0; i < d->n_clamps; i++)
		if (!ascii(d->clamps[i]))
			return false;
	for (i = 0; i < d->n_groups; i++) {
		const char *id = cman_decision_str(d, d->groups[i].id);

		if (!ascii(id))
			return false;
		for (j = 0; j < i; j++)
			if (!strcmp(id, cman_decision_str(d, d->groups[j].id)))
				return false;
	}
	for (i = 0; i < d->n_terminated; i++)
		if (!ascii(cman_decision_str(d, d->terminated[i])))
			return false;
	for (i = 0; i < d->n_skipped && i < CMAN_DECISION_JSON_SKIPPED; i++)
		if (!ascii(cman_decision_str(d, d->skipped[i].id)) ||
		    (d->skipped[i].reason && !ascii(d->skipped[i].reason)))
			return false;
	return true;
}

static int write_direct(const struct cman_decision *d, FILE *fp)
{
	struct jw w;
	size_t i;

	w.fp = fp;
	w.n = 0;
	w.bad = false;
	jw_lit(&w, "{\"time\":");
	jw_int(&w, (long long)d->time);
	jw_lit(&w, ",\"signal\":");
	jw_str(&w, d->signal);
	jw_lit(&w, ",\"signal_error\":");
	if (d->signal_failed)
		jw_str(&w, d->signal_error);
	else
		jw_lit(&w, "null");
	jw_lit(&w, ",\"request\":{");
	for (i = 0; i < CMAN_RES_COUNT; i++) {
		jw_lit(&w, i ? ",\"" : "\"");
		jw_lit(&w, cman_resource_name((enum cman_resource)i));
		jw_lit(&w, "\":");
		if (d->request.has[i])
			jw_num(&w, d->request.v[i]);
		else
			jw_lit(&w, "null");
	}
	jw_lit(&w, "},\"usage\":");
	if (d->has_usage)
		jw_num(&w, d->usage);
	else
		jw_lit(&w, "null");
	jw_lit(&w, ",\"constrained_resource\":");
	if (d->constrained >= 0 && d->constrained < CMAN_RES_COUNT)
		jw_str(&w, cman_resource_name((enum cman_resource)d->constrained));
	else
		jw_lit(&w, "null");
	jw_lit(&w, ",\"current_target\":");
	jw_num(&w, d->current_target);
	jw_lit(&w, ",\"computed_target\":");
	jw_num(&w, d->computed_target);
	jw_lit(&w, ",\"new_target\":");
	jw_num(&w, d->new_target);
	jw_lit(&w, ",\"clamps\":[");
	for (i = 0; i < d->n_clamps; i++) {
		if (i)
			jw_mem(&w, ",", 1);
		jw_str(&w, d->clamps[i]);
	}
	jw_lit(&w, "],\"reason\":");
	jw_str(&w, d->reason);
	jw_lit(&w, ",\"group_targets\":{");
	for (i = 0; i < d->n_groups; i++) {
		if (i)
			jw_mem(&w, ",", 1);
		jw_str(&w, cman_decision_str(d, d->groups[i].id));
		jw_mem(&w, ":", 1);
		jw_num(&w, d->groups[i].planned);
	}
	jw_lit(&w, "},\"terminated\":[");
	for (i = 0; i < d->n_terminated; i++) {
		if (i)
			jw_mem(&w, ",", 1);
		jw_str(&w, cman_decision_str(d, d->terminated[i]));
	}
	jw_lit(&w, "],\"skipped\":[");
	for (i = 0; i < d->n_skipped && i < CMAN_DECISION_JSON_SKIPPED; i++) {
		jw_lit(&w, i ? ",{\"id\":" : "{\"id\":");
		jw_str(&w, cman_decision_str(d, d->skipped[i].id));
		jw_lit(&w, ",\"reason\":");
		jw_str(&w, d->skipped[i].reason ? d->skipped[i].reason : "");
		jw_mem(&w, "}", 1);
	}
	jw_lit(&w, "],\"skipped_total\":");
	jw_int(&w, (long long)d->n_skipped);
	jw_lit(&w, d->paused ? ",\"paused\":true}\n" : ",\"paused\":false}\n");
	jw_flush(&w);
	return w.bad ? CMAN_EIO : 0;
}

static int write_json(const struct cman_decision *d, bool live, FILE *fp)
{
	json_t *root;
	int rc = 0;

	if (!live && direct_ok(d))
		return write_direct(d, fp);
	root = build(d, live);

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
