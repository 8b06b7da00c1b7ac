/*
 * drain.c - the set of machines being drained and its place in the pool's
 * state table (see drain.h).
 */
#include "cman/drain.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cman/grow.h"

int cman_drain_init(struct cman_drain *dr, struct cman_drainer *drainer,
		    struct cman_store *state, const char *entity, int64_t timeout,
		    struct cman_error *err)
{
	memset(dr, 0, sizeof(*dr));
	if (!drainer || !drainer->ops || !drainer->ops->start || !drainer->ops->drained)
		return cman_error_set(err, CMAN_EINVAL, "draining: no drainer");
	if (!state)
		return cman_error_set(err, CMAN_EINVAL, "draining: no state table to keep the "
				      "drain state in");
	if (!entity || !entity[0] || strlen(entity) >= sizeof(dr->entity))
		return cman_error_set(err, CMAN_EINVAL, "draining: bad pool state entity");
	if (timeout < 0)
		return cman_error_set(err, CMAN_EINVAL, "draining: timeout %lld < 0",
				      (long long)timeout);
	dr->drainer = drainer;
	dr->state = state;
	strcpy(dr->entity, entity);
	dr->timeout = timeout;
	return 0;
}

static void machine_free(struct cman_drain_machine *m)
{
	free(m->instance_id);
	free(m->group_id);
	free(m->ip);
}

static void clear(struct cman_drain *dr)
{
	size_t i;

	for (i = 0; i < dr->n; i++)
		machine_free(&dr->m[i]);
	dr->n = 0;
}

void cman_drain_release(struct cman_drain *dr)
{
	if (!dr)
		return;
	clear(dr);
	free(dr->m);
	free(dr->flags);
	dr->m = NULL;
	dr->flags = NULL;
	dr->cap = dr->flags_cap = 0;
}

/* Append a machine (strings copied); its index or CMAN_ENOMEM. */
static int append(struct cman_drain *dr, const char *id, const char *group, const char *ip,
		  const char *hostname, int64_t started, int64_t deadline, bool acked)
{
	struct cman_drain_machine *m;

	if (cman_grow((void **)&dr->m, &dr->cap, dr->n + 1, sizeof(*dr->m)))
		return CMAN_ENOMEM;
	m = &dr->m[dr->n];
	memset(m, 0, sizeof(*m));
	m->instance_id = strdup(id);
	m->group_id = strdup(group);
	m->ip = strdup(ip ? ip : "");
	if (!m->instance_id || !m->group_id || !m->ip) {
		machine_free(m);
		return CMAN_ENOMEM;
	}
	snprintf(m->hostname, sizeof(m->hostname), "%s", hostname ? hostname : "");
	m->started = started;
	m->deadline = deadline;
	m->acked = acked;
	dr->changed = true;
	return (int)dr->n++;
}

int cman_drain_add(struct cman_drain *dr, const char *instance_id, const char *group_id,
		   const char *ip, int64_t now)
{
	int64_t deadline = now > INT64_MAX - dr->timeout ? INT64_MAX : now + dr->timeout;

	return append(dr, instance_id, group_id, ip, NULL, now, deadline, false);
}

long cman_drain_find(const struct cman_drain *dr, const char *instance_id)
{
	size_t i;

	for (i = 0; i < dr->n; i++)
		if (!strcmp(dr->m[i].instance_id, instance_id))
			return (long)i;
	return -1;
}

void cman_drain_compact(struct cman_drain *dr)
{
	size_t i, k = 0;

	for (i = 0; i < dr->n; i++) {
		if (dr->m[i].done) {
			machine_free(&dr->m[i]);
			dr->changed = true;
			continue;
		}
		dr->m[k++] = dr->m[i];
	}
	dr->n = k;
}

/* ---- the state item ------------------------------------------------------- */

int cman_drain_encode(const struct cman_drain *dr, char **out, struct cman_error *err)
{
	json_t *arr = json_array();
	size_t i;
	int bad = !arr;

	*out = NULL;
	for (i = 0; !bad && i < dr->n; i++) {
		const struct cman_drain_machine *m = &dr->m[i];

		bad |= json_array_append_new(arr, json_pack(
			"{s:s,s:s,s:s,s:s,s:I,s:I,s:b}", "instance_id", m->instance_id,
			"group_id", m->group_id, "ip", m->ip, "hostname", m->hostname,
			"started", (json_int_t)m->started, "deadline", (json_int_t)m->deadline,
			"acked", m->acked));
	}
	if (!bad)
		*out = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(arr);
	if (!*out)
		return cman_error_set(err, CMAN_ENOMEM, "drain state: out of memory (or an id "
				      "that is not UTF-8)");
	return 0;
}

static const char *str_of(json_t *o, const char *key, bool *ok)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v)) {
		*ok = false;
		return "";
	}
	return json_string_value(v);
}

int cman_drain_decode(struct cman_drain *dr, const char *text, struct cman_error *err)
{
	json_error_t je;
	json_t *arr = json_loads(text, JSON_REJECT_DUPLICATES, &je), *x;
	size_t i;
	int rc = 0;

	clear(dr);
	if (!arr) {
		rc = cman_error_set(err, CMAN_EINVAL, "drain state of %s: not JSON (%s, at "
				    "character %d)", dr->entity, je.text, je.position);
		goto out;
	}
	if (!json_is_array(arr)) {
		rc = cman_error_set(err, CMAN_EINVAL, "drain state of %s: expected a list of "
				    "machines", dr->entity);
		goto out;
	}
	json_array_foreach(arr, i, x) {
		bool ok = json_is_object(x);
		const char *id = str_of(x, "instance_id", &ok), *g = str_of(x, "group_id", &ok);
		const char *ip = str_of(x, "ip", &ok), *h = str_of(x, "hostname", &ok);
		json_t *s = json_object_get(x, "started"), *d = json_object_get(x, "deadline");
		json_t *a = json_object_get(x, "acked");

		if (!ok || !id[0] || !g[0] || !json_is_integer(s) || !json_is_integer(d) ||
		    !json_is_boolean(a) || strlen(h) >= CMAN_DRAIN_NAME_MAX) {
			rc = cman_error_set(err, CMAN_EINVAL, "drain state of %s: machine %zu: "
					    "expected {instance_id, group_id, ip, hostname, "
					    "started, deadline, acked}", dr->entity, i);
			goto out;
		}
		if (append(dr, id, g, ip, h, json_integer_value(s), json_integer_value(d),
			   json_is_true(a)) < 0) {
			rc = cman_error_set(err, CMAN_ENOMEM, "drain state: out of memory");
			goto out;
		}
	}
out:
	json_decref(arr);
	if (rc)
		clear(dr);
	dr->changed = false;
	return rc;
}

int cman_drain_load(struct cman_drain *dr, struct cman_error *err)
{
	struct cman_state_item it;
	int rc;

	clear(dr);
	dr->changed = false;
	dr->loaded = false;
	memset(&it, 0, sizeof(it));
	rc = cman_store_state_get(dr->state, CMAN_STATE_DRAINING, dr->entity, &it, err);
	if (rc < 0) {
		cman_error_prefix(err, "reading the drain state");
		return rc;
	}
	if (rc == 1) {
		rc = cman_drain_decode(dr, it.text ? it.text : "", err);
		free(it.text);
	}
	dr->loaded = rc == 0;
	return rc;
}

int cman_drain_save(struct cman_drain *dr, int64_t now, struct cman_error *err)
{
	struct cman_state_item it;
	char *text = NULL;
	int rc;

	if (dr->n == 0) {
		rc = cman_store_state_delete(dr->state, CMAN_STATE_DRAINING, dr->entity, err);
	} else {
		if ((rc = cman_drain_encode(dr, &text, err)) != 0)
			return rc;
		memset(&it, 0, sizeof(it));
		it.timestamp = now;
		it.text = text;
		rc = cman_store_state_put(dr->state, CMAN_STATE_DRAINING, dr->entity, &it, err);
		free(text);
	}
	if (rc) {
		cman_error_prefix(err, "writing the drain state");
		return rc;
	}
	dr->changed = false;
	return 0;
}
