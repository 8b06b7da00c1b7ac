/*
 * mesos_master.c - the Mesos master's HTTP API for the fake (see
 * mesos_master.h).
 */
#include "mesos_master.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

struct fake_mesos {
	pthread_mutex_t mu;
	char *slaves, *frameworks;
	json_t *schedule;            /* {"windows": [...]} */
	json_t *down;                /* [machine id, ...] */
	char leader[256];
	int is_leader;
	char auth[512];              /* "Basic <base64>", "" none */
};

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

struct fake_mesos *fake_mesos_new(const char *dir)
{
	struct fake_mesos *fm = calloc(1, sizeof(*fm));
	char path[1024];
	char *text;

	if (!fm)
		return NULL;
	pthread_mutex_init(&fm->mu, NULL);
	fm->is_leader = 1;
	snprintf(path, sizeof(path), "%s/slaves.json", dir);
	fm->slaves = read_file(path);
	snprintf(path, sizeof(path), "%s/frameworks.json", dir);
	fm->frameworks = read_file(path);
	snprintf(path, sizeof(path), "%s/maintenance_schedule.json", dir);
	text = read_file(path);
	if (text) {
		json_t *doc = json_loads(text, 0, NULL);

		fm->schedule = json_incref(json_object_get(
			json_object_get(doc, "get_maintenance_schedule"), "schedule"));
		json_decref(doc);
		free(text);
	}
	if (!fm->schedule)
		fm->schedule = json_pack("{s:[]}", "windows");
	fm->down = json_array();
	if (!fm->slaves || !fm->frameworks || !fm->schedule || !fm->down) {
		fprintf(stderr, "fake mesos: cannot load the fixtures of %s\n", dir);
		fake_mesos_free(fm);
		return NULL;
	}
	return fm;
}

void fake_mesos_free(struct fake_mesos *fm)
{
	if (!fm)
		return;
	free(fm->slaves);
	free(fm->frameworks);
	json_decref(fm->schedule);
	json_decref(fm->down);
	pthread_mutex_destroy(&fm->mu);
	free(fm);
}

void fake_mesos_set_leader(struct fake_mesos *fm, const char *location, int is_leader)
{
	pthread_mutex_lock(&fm->mu);
	snprintf(fm->leader, sizeof(fm->leader), "%s", location ? location : "");
	fm->is_leader = is_leader;
	pthread_mutex_unlock(&fm->mu);
}

static void base64(const char *in, char *out, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(in), i, k = 0;

	for (i = 0; i < len && k + 5 < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)in[i + 2];
		out[k++] = tab[(v >> 18) & 63];
		out[k++] = tab[(v >> 12) & 63];
		out[k++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[k++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[k] = '\0';
}

void fake_mesos_set_credentials(struct fake_mesos *fm, const char *principal,
				const char *secret)
{
	char pair[300], enc[420];

	pthread_mutex_lock(&fm->mu);
	if (principal) {
		snprintf(pair, sizeof(pair), "%s:%s", principal, secret ? secret : "");
		base64(pair, enc, sizeof(enc));
		snprintf(fm->auth, sizeof(fm->auth), "Basic %s", enc);
	} else {
		fm->auth[0] = '\0';
	}
	pthread_mutex_unlock(&fm->mu);
}

void fake_mesos_set_body(struct fake_mesos *fm, const char *which, const char *text)
{
	char **slot = strcmp(which, "slaves") == 0 ? &fm->slaves : &fm->frameworks;
	char *copy = strdup(text);

	pthread_mutex_lock(&fm->mu);
	free(*slot);
	*slot = copy;
	pthread_mutex_unlock(&fm->mu);
}

char *fake_mesos_schedule(struct fake_mesos *fm)
{
	char *s;

	pthread_mutex_lock(&fm->mu);
	s = json_dumps(fm->schedule, JSON_COMPACT);
	pthread_mutex_unlock(&fm->mu);
	return s;
}

char *fake_mesos_down(struct fake_mesos *fm)
{
	char *s;

	pthread_mutex_lock(&fm->mu);
	s = json_dumps(fm->down, JSON_COMPACT);
	pthread_mutex_unlock(&fm->mu);
	return s;
}

/* ---- the operator API ------------------------------------------------------------ */

static int same_id(json_t *a, json_t *b)
{
	return json_equal(json_object_get(a, "hostname"), json_object_get(b, "hostname")) &&
	       json_equal(json_object_get(a, "ip"), json_object_get(b, "ip"));
}

static int id_in(json_t *list, json_t *id)
{
	size_t i;
	json_t *x;

	json_array_foreach(list, i, x)
		if (same_id(x, id))
			return 1;
	return 0;
}

static int scheduled(struct fake_mesos *fm, json_t *id)
{
	size_t i;
	json_t *w;

	json_array_foreach(json_object_get(fm->schedule, "windows"), i, w)
		if (id_in(json_object_get(w, "machine_ids"), id))
			return 1;
	return 0;
}

static int valid_id(json_t *id)
{
	json_t *h = json_object_get(id, "hostname"), *ip = json_object_get(id, "ip");

	return json_is_object(id) && (json_is_string(h) || json_is_string(ip)) &&
	       (!h || json_is_string(h)) && (!ip || json_is_string(ip));
}

/* Mesos's checks on a new schedule; NULL when it is valid, else why. */
static const char *check_schedule(struct fake_mesos *fm, json_t *sched)
{
	json_t *windows = json_object_get(sched, "windows"), *w, *seen = json_array();
	const char *why = NULL;
	size_t i, j, k;

	if (!json_is_object(sched) || !json_is_array(windows))
		why = "expected a schedule with an array 'windows'";
	json_array_foreach(windows, i, w) {
		json_t *ids = json_object_get(w, "machine_ids"), *id;
		json_t *start = json_object_get(json_object_get(json_object_get(w,
					"unavailability"), "start"), "nanoseconds");

		if (why)
			break;
		if (!json_is_array(ids) || json_array_size(ids) == 0)
			why = "List of machines in the maintenance window is empty";
		else if (!json_is_integer(start))
			why = "Maintenance window needs unavailability.start.nanoseconds";
		json_array_foreach(ids, j, id) {
			if (why)
				break;
			if (!valid_id(id))
				why = "A machine id needs a hostname or an ip";
			else if (id_in(seen, id))
				why = "Machine appears more than once in the schedule";
			else
				json_array_append(seen, id);
		}
	}
	/* A machine that is down may not leave the schedule. */
	json_array_foreach(fm->down, k, w) {
		size_t wi;
		json_t *ww;
		int found = 0;

		if (why)
			break;
		json_array_foreach(windows, wi, ww)
			found |= id_in(json_object_get(ww, "machine_ids"), w);
		if (!found)
			why = "Machine is deactivated and cannot be removed from the schedule";
	}
	json_decref(seen);
	return why;
}

static void unschedule(struct fake_mesos *fm, json_t *id)
{
	json_t *windows = json_object_get(fm->schedule, "windows"), *w;
	size_t i = 0;

	while (i < json_array_size(windows)) {
		json_t *ids;
		size_t j = 0;

		w = json_array_get(windows, i);
		ids = json_object_get(w, "machine_ids");
		while (j < json_array_size(ids)) {
			if (same_id(json_array_get(ids, j), id))
				json_array_remove(ids, j);
			else
				j++;
		}
		if (json_array_size(ids) == 0)
			json_array_remove(windows, i);
		else
			i++;
	}
}

static int reply_json(struct fake_reply *r, int status, json_t *doc)
{
	r->status = status;
	r->content_type = "application/json";
	r->body_heap = doc ? json_dumps(doc, JSON_COMPACT) : strdup("");
	json_decref(doc);
	return 0;
}

static int reply_text(struct fake_reply *r, int status, const char *text)
{
	r->status = status;
	r->content_type = "text/plain";
	r->body_heap = strdup(text);
	return 0;
}

static int operator_api(struct fake_mesos *fm, const struct fake_request *req,
			struct fake_reply *r)
{
	json_t *body, *machines, *m;
	const char *type;
	size_t i;
	int rc;

	if (strcmp(req->method, "POST") != 0)
		return reply_text(r, 405, "Expecting a 'POST' request");
	if (fm->auth[0] && strcmp(req->authorization, fm->auth) != 0)
		return reply_text(r, 401, "Unauthorized");
	if (strncmp(req->content_type, "application/json", 16) != 0)
		return reply_text(r, 415, "Expecting 'Content-Type' of application/json");
	body = json_loadb(req->body, req->body_len, 0, NULL);
	type = json_string_value(json_object_get(body, "type"));
	if (!body || !type) {
		json_decref(body);
		return reply_text(r, 400, "Failed to parse body into Call protobuf");
	}
	if (strcmp(type, "GET_MAINTENANCE_SCHEDULE") == 0) {
		rc = reply_json(r, 200, json_pack("{s:s,s:{s:O}}", "type", type,
						  "get_maintenance_schedule", "schedule",
						  fm->schedule));
	} else if (strcmp(type, "UPDATE_MAINTENANCE_SCHEDULE") == 0) {
		json_t *sched = json_object_get(json_object_get(body,
					"update_maintenance_schedule"), "schedule");
		const char *why = check_schedule(fm, sched);

		if (why) {
			rc = reply_text(r, 400, why);
		} else {
			json_decref(fm->schedule);
			fm->schedule = json_deep_copy(sched);
			rc = reply_json(r, 200, NULL);
		}
	} else if (strcmp(type, "START_MAINTENANCE") == 0 ||
		   strcmp(type, "STOP_MAINTENANCE") == 0) {
		int start = type[1] == 'T' && type[2] == 'A';
		const char *why = NULL;

		machines = json_object_get(json_object_get(body, start ? "start_maintenance"
							     : "stop_maintenance"), "machines");
		if (!json_is_array(machines) || json_array_size(machines) == 0)
			why = "Expecting a non-empty list of machines";
		json_array_foreach(machines, i, m) {
			if (why)
				break;
			if (!valid_id(m))
				why = "A machine id needs a hostname or an ip";
			else if (start && !scheduled(fm, m))
				why = "Machine is not part of a maintenance schedule";
			else if (start && id_in(fm->down, m))
				why = "Machine is already down";
			else if (!start && !id_in(fm->down, m))
				why = "Machine is not in DOWN mode";
		}
		if (why) {
			rc = reply_text(r, 400, why);
		} else {
			json_array_foreach(machines, i, m) {
				if (start) {
					json_array_append(fm->down, m);
				} else {
					size_t j = 0;

					while (j < json_array_size(fm->down)) {
						if (same_id(json_array_get(fm->down, j), m))
							json_array_remove(fm->down, j);
						else
							j++;
					}
					unschedule(fm, m);
				}
			}
			rc = reply_json(r, 200, NULL);
		}
	} else if (strcmp(type, "GET_MAINTENANCE_STATUS") == 0) {
		json_t *draining = json_array(), *w;
		size_t j;

		json_array_foreach(json_object_get(fm->schedule, "windows"), i, w)
			json_array_foreach(json_object_get(w, "machine_ids"), j, m)
				if (!id_in(fm->down, m))
					json_array_append_new(draining, json_pack("{s:O}", "id", m));
		rc = reply_json(r, 200, json_pack("{s:s,s:{s:{s:o,s:O}}}", "type", type,
						  "get_maintenance_status", "status",
						  "draining_machines", draining, "down_machines",
						  fm->down));
	} else {
		rc = reply_text(r, 400, "Unsupported call");
	}
	json_decref(body);
	return rc;
}

static int route(void *ctx, const struct fake_request *req, struct fake_reply *r)
{
	struct fake_mesos *fm = ctx;
	const char *p = req->path;
	int rc;

	pthread_mutex_lock(&fm->mu);
	if (strcmp(p, "/redirect") == 0 || strcmp(p, "/master/redirect") == 0) {
		if (!fm->leader[0]) {
			rc = reply_text(r, 503, "No leader elected");
		} else {
			static __thread char loc[300];

			snprintf(loc, sizeof(loc), "Location: %s", fm->leader);
			r->header = loc;
			rc = reply_text(r, 307, "");
		}
	} else if (!fm->is_leader) {
		static __thread char loc[900];

		snprintf(loc, sizeof(loc), "Location: %s%s", fm->leader, p);
		r->header = loc;
		rc = reply_text(r, 307, "");
	} else if (strcmp(p, "/master/slaves") == 0 || strcmp(p, "/slaves") == 0) {
		r->status = 200;
		r->content_type = "application/json";
		r->body_heap = strdup(fm->slaves);
		rc = 0;
	} else if (strcmp(p, "/master/frameworks") == 0 || strcmp(p, "/frameworks") == 0) {
		r->status = 200;
		r->content_type = "application/json";
		r->body_heap = strdup(fm->frameworks);
		rc = 0;
	} else if (strcmp(p, "/api/v1") == 0 || strcmp(p, "/master/api/v1") == 0) {
		rc = operator_api(fm, req, r);
	} else {
		rc = reply_text(r, 404, "");
	}
	pthread_mutex_unlock(&fm->mu);
	return rc;
}

void fake_mesos_attach(struct fake_mesos *fm, struct fake_http *f)
{
	fake_http_route(f, route, fm);
}
