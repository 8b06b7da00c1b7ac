/*
 * test_live_ops_pool.c - `clusterman-live status` and `manage` end to end:
 * the program run as a user runs it, against moto_server (started here;
 * exit 77 when it is absent) behind a recording proxy, and the in-process
 * fake Mesos master.  status --json is parsed and checked against the
 * world set up here; manage --dry-run and a refused manage make describe
 * calls only (asserted on the proxy's request log) and change nothing in
 * moto; a real manage moves the groups' targets; --force skips the limits;
 * disable shows in status.
 */
/* ctest-labels: live */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "cman/live/aws.h"
#include "fake_http.h"
#include "mesos_master.h"
#include "moto_world.h"
#include "servers.h"

#define TAGKEY "clusterman_pool"
#define MINE "{\"pool\": \"default\", \"paasta_cluster\": \"c1\"}"
#define OTHER "{\"pool\": \"batch\", \"paasta_cluster\": \"c1\"}"

static struct cman_aws_client *client;    /* straight to moto: set up and look */
static struct fake_http *mesos_http, *proxy_http;
static struct fake_mesos *mesos;
static struct test_server moto;
static char root[256], fleet_id[64];
static struct moto_world world;

/* ---- a recording proxy in front of moto ------------------------------------------- */

struct body {
	char *p;
	size_t n;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct body *b = ctx;
	char *q = realloc(b->p, b->n + size * nmemb + 1);

	if (!q)
		return 0;
	memcpy(q + b->n, data, size * nmemb);
	b->n += size * nmemb;
	q[b->n] = '\0';
	b->p = q;
	return size * nmemb;
}

static int proxy(void *ctx, const struct fake_request *req, struct fake_reply *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct body b = {0};
	char url[1024], hdr[1400];
	long status = 0;

	(void)ctx;
	if (!c)
		return -1;
	snprintf(url, sizeof(url), "%s%s", moto.url, req->path);
	if (req->content_type[0]) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", req->content_type);
		h = curl_slist_append(h, hdr);
	}
	if (req->target[0]) {
		snprintf(hdr, sizeof(hdr), "X-Amz-Target: %s", req->target);
		h = curl_slist_append(h, hdr);
	}
	if (req->authorization[0]) {
		snprintf(hdr, sizeof(hdr), "Authorization: %s", req->authorization);
		h = curl_slist_append(h, hdr);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (!status) {
		free(b.p);
		return -1;
	}
	r->status = (int)status;
	r->body_heap = b.p ? b.p : strdup("");
	return 0;
}

/* Every request the proxy saw since the last reset was a Describe call. */
static void assert_describe_only(const char *what)
{
	size_t n = fake_http_count(proxy_http), bad = 0;

	for (size_t i = 0; i < n; i++) {
		struct fake_request rq = fake_http_request(proxy_http, i);
		const char *a = rq.body ? strstr(rq.body, "Action=") : NULL;

		if (!a || strncmp(a + 7, "Describe", 8) != 0) {
			fprintf(stderr, "%s: a call that is not a Describe: %.80s\n", what,
				a ? a : (rq.body ? rq.body : "(no body)"));
			bad++;
		}
	}
	assert_true(n > 0);   /* it did look */
	assert_int_equal(bad, 0);
}

/* ---- running the program ------------------------------------------------------------ */

struct ran {
	int status;
	char *out;      /* standard output (caller frees) */
	char err[4096]; /* standard error, cut */
};

static struct ran run(const char *args)
{
	char cmd[2048], errpath[512];
	struct ran r = {0};
	struct body b = {0};
	char chunk[4096];
	size_t k;
	FILE *fp;

	snprintf(errpath, sizeof(errpath), "%s/stderr", root);
	snprintf(cmd, sizeof(cmd), "%s/clusterman-live --config %s/clusterman.yaml %s 2>%s",
		 CMAN_BINARY_DIR, root, args, errpath);
	fake_http_reset(proxy_http);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	while ((k = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		on_data(chunk, 1, k, &b);
	r.status = pclose(fp);
	r.status = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : -1;
	r.out = b.p ? b.p : strdup("");
	fp = fopen(errpath, "r");
	if (fp) {
		k = fread(r.err, 1, sizeof(r.err) - 1, fp);
		r.err[k] = '\0';
		fclose(fp);
	}
	if (r.status)
		fprintf(stderr, "[%s] exit %d: %s", args, r.status, r.err);
	return r;
}

static json_t *status_json(void)
{
	struct ran r = run("status --cluster c1 --pool default --json");
	json_error_t je;
	json_t *doc;

	assert_int_equal(r.status, 0);
	doc = json_loads(r.out, 0, &je);
	if (!doc)
		fprintf(stderr, "status --json: %s: %s\n", je.text, r.out);
	assert_non_null(doc);
	free(r.out);
	return doc;
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	assert_true(json_is_number(v));
	return json_number_value(v);
}

static json_t *group(json_t *doc, const char *id)
{
	size_t i;
	json_t *g;

	json_array_foreach(json_object_get(doc, "resource_groups"), i, g)
		if (!strcmp(json_string_value(json_object_get(g, "id")), id))
			return g;
	fail_msg("no group %s in status", id);
	return NULL;
}

/* ---- the tests ------------------------------------------------------------------------ */

static void test_status(void **state)
{
	json_t *doc = status_json(), *g, *m, *ag, *first;
	char ip[64], body[2048];
	size_t i;
	long n_agents = 0;

	(void)state;
	assert_describe_only("status");
	assert_string_equal(json_string_value(json_object_get(doc, "cluster")), "c1");
	assert_string_equal(json_string_value(json_object_get(doc, "pool")), "default");
	assert_false(json_is_true(json_object_get(doc, "disabled")));
	assert_true(json_is_null(json_object_get(doc, "paused_until")));
	/* the pool's fleet (target 2) and group (desired 3), not the batch pool's */
	assert_int_equal(json_array_size(json_object_get(doc, "resource_groups")), 2);
	g = group(doc, fleet_id);
	assert_string_equal(json_string_value(json_object_get(g, "status")), "active");
	assert_true(num(g, "target_capacity") == 2);
	g = group(doc, "asg-default");
	assert_true(num(g, "target_capacity") == 3);
	assert_true(num(doc, "target_capacity") == 5);
	assert_true(num(doc, "min_capacity") == 1);
	assert_true(num(doc, "max_capacity") == 20);
	/* the group's machines, in its one market, all running m5.large */
	m = json_array_get(json_object_get(g, "markets"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "instance_type")), "m5.large");
	assert_string_equal(json_string_value(json_object_get(m, "az")), "us-west-2a");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "instances"),
							  "running")), 3);
	assert_true(num(m, "fulfilled_capacity") == 3);
	/* no agent has joined: every running machine is orphaned */
	json_array_foreach(json_object_get(doc, "resource_groups"), i, g)
		n_agents += (long)json_array_size(json_object_get(g, "agents"));
	assert_true(n_agents >= 3);
	ag = json_object_get(doc, "agents_by_state");
	assert_int_equal(json_integer_value(json_object_get(ag, "orphaned")), n_agents);
	assert_int_equal(json_integer_value(json_object_get(ag, "idle")), 0);

	/* one machine's agent joins the master (by its private IP): idle */
	first = json_array_get(json_object_get(group(doc, "asg-default"), "agents"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "agent_state")),
			    "AgentState.ORPHANED");
	snprintf(ip, sizeof(ip), "%s", json_string_value(json_object_get(first, "ip_address")));
	snprintf(body, sizeof(body),
		 "{\"slaves\": [{\"id\": \"ag-1\", \"pid\": \"slave(1)@%s:5051\", "
		 "\"hostname\": \"h1\", \"active\": true, \"attributes\": {\"pool\": \"default\"}, "
		 "\"resources\": {\"cpus\": 8, \"mem\": 16000, \"disk\": 100000, \"gpus\": 0}, "
		 "\"used_resources\": {\"cpus\": 0, \"mem\": 0, \"disk\": 0, \"gpus\": 0}}]}", ip);
	fake_mesos_set_body(mesos, "slaves", body);
	fake_mesos_set_body(mesos, "frameworks", "{\"frameworks\": [], "
			    "\"completed_frameworks\": []}");
	json_decref(doc);
	doc = status_json();
	ag = json_object_get(doc, "agents_by_state");
	assert_int_equal(json_integer_value(json_object_get(ag, "idle")), 1);
	assert_int_equal(json_integer_value(json_object_get(ag, "orphaned")), n_agents - 1);
	assert_true(num(json_object_get(json_object_get(doc, "resources"), "cpus"), "total") == 8);
	json_decref(doc);
}

static void test_manage_refused_and_dry_run(void **state)
{
	struct ran r;
	json_t *line;

	(void)state;
	/* beyond max_capacity (20): refused, nothing changed, describe calls only */
	r = run("manage --cluster c1 --pool default --target 60");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "max_capacity"));
	assert_non_null(strstr(r.err, "--force"));
	assert_string_equal(r.out, "");
	free(r.out);
	assert_describe_only("manage beyond max_capacity");
	assert_int_equal(moto_fleet_target(client, fleet_id), 2);
	assert_int_equal(moto_group_desired(client, "asg-default"), 3);
	/* more than max_weight_to_add (5) above the current 5: refused too */
	r = run("manage --cluster c1 --pool default --target 11");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "max_weight_to_add"));
	free(r.out);
	/* a bad number: usage error */
	r = run("manage --cluster c1 --pool default --target lots");
	assert_int_equal(r.status, 2);
	free(r.out);

	/* --dry-run: the decision recorded, nothing called but describes */
	r = run("manage --cluster c1 --pool default --target 8 --dry-run");
	assert_int_equal(r.status, 0);
	assert_describe_only("manage --dry-run");
	line = json_loads(r.out, 0, NULL);
	assert_non_null(line);
	assert_true(json_is_true(json_object_get(line, "dry_run")));
	assert_true(num(line, "current_target") == 5);
	assert_true(num(line, "new_target") == 8);
	assert_non_null(strstr(json_string_value(json_object_get(line, "reason")),
			       "manage --target 8"));
	json_decref(line);
	free(r.out);
	assert_int_equal(moto_fleet_target(client, fleet_id), 2);
	assert_int_equal(moto_group_desired(client, "asg-default"), 3);
	/* shrinking on a dry run: no termination either.  The group's machines
	 * are not protected from scale-in, so its check refuses (exit 1), and
	 * the decision is still recorded, with the group's error */
	r = run("manage --cluster c1 --pool default --target 1 --dry-run");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "scale-in"));
	assert_describe_only("manage --dry-run down");
	line = json_loads(r.out, 0, NULL);
	assert_non_null(line);
	assert_true(json_is_true(json_object_get(line, "dry_run")));
	assert_true(json_is_string(json_object_get(json_object_get(json_object_get(
		line, "groups"), "asg-default"), "error")));
	json_decref(line);
	free(r.out);
	assert_int_equal(moto_fleet_target(client, fleet_id), 2);
	assert_int_equal(moto_group_desired(client, "asg-default"), 3);
}

static void test_manage_applies(void **state)
{
	struct ran r;
	json_t *line, *doc;

	(void)state;
	/* 5 -> 8 over the two groups */
	r = run("manage --cluster c1 --pool default --target 8");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "manually changed from 5 to 8"));
	assert_non_null(strstr(r.err, "not paused"));
	line = json_loads(r.out, 0, NULL);
	assert_non_null(line);
	assert_false(json_is_true(json_object_get(line, "dry_run")));
	json_decref(line);
	free(r.out);
	assert_int_equal(moto_fleet_target(client, fleet_id) + moto_group_desired(client, "asg-default"), 8);
	doc = status_json();
	assert_true(num(doc, "target_capacity") == 8);
	json_decref(doc);

	/* --force skips the limits: 8 -> 25 (max_capacity 20, add at most 5) */
	r = run("manage --cluster c1 --pool default --target 25 --force");
	assert_int_equal(r.status, 0);
	line = json_loads(r.out, 0, NULL);
	assert_non_null(line);
	assert_true(num(line, "new_target") == 25);
	json_decref(line);
	free(r.out);
	/* the group stops at its MaxSize 10; the fleet takes the rest */
	assert_int_equal(moto_group_desired(client, "asg-default"), 10);
	assert_int_equal(moto_fleet_target(client, fleet_id), 15);
}

static void test_disable_shows(void **state)
{
	struct ran r;
	json_t *doc;

	(void)state;
	r = run("disable --cluster c1 --pool default --until 1h");
	assert_int_equal(r.status, 0);
	free(r.out);
	doc = status_json();
	assert_true(json_is_true(json_object_get(doc, "disabled")));
	assert_true(json_is_string(json_object_get(doc, "paused_until")));
	json_decref(doc);
	r = run("status --cluster c1 --pool default");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "PAUSED until"));
	free(r.out);
	r = run("enable --cluster c1 --pool default");
	assert_int_equal(r.status, 0);
	free(r.out);
	doc = status_json();
	assert_false(json_is_true(json_object_get(doc, "disabled")));
	json_decref(doc);
}

static void write_file(const char *rel, const char *text)
{
	char p[1024];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_manage_refused_and_dry_run),
		cmocka_unit_test(test_manage_applies),
		cmocka_unit_test(test_disable_shows),
	};
	char other[64], loc[64], svc[1024];
	int rc;

	rc = test_server_start_moto_ec2(&moto, 120);
	if (rc == -1)
		return TEST_SKIP_CODE;
	if (rc)
		return 1;
	moto_test_env("ops-secret");
	unsetenv("CMAN_CLUSTER");
	unsetenv("CMAN_POOL");
	if (!(client = moto_client(moto.url, 30000))) {
		test_server_stop(&moto);
		return 1;
	}
	mesos_http = fake_http_start();
	proxy_http = fake_http_start();
	mesos = fake_mesos_new(FAKE_MESOS_FIXTURES);
	if (!mesos_http || !proxy_http || !mesos) {
		test_server_stop(&moto);
		return 1;
	}
	snprintf(loc, sizeof(loc), "//127.0.0.1:%d", fake_http_port(mesos_http));
	fake_mesos_set_leader(mesos, loc, 1);
	fake_mesos_attach(mesos, mesos_http);
	fake_mesos_set_body(mesos, "slaves", "{\"slaves\": []}");
	fake_mesos_set_body(mesos, "frameworks", "{\"frameworks\": [], "
			    "\"completed_frameworks\": []}");
	fake_http_route(proxy_http, proxy, NULL);
	snprintf(root, sizeof(root), "%s/ops.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return 1;
	snprintf(svc, sizeof(svc), "%s/clusters", root);
	mkdir(svc, 0777);
	snprintf(svc, sizeof(svc), "%s/clusters/c1", root);
	mkdir(svc, 0777);
	snprintf(svc, sizeof(svc),
		 "aws: {region: us-west-2, endpoint_url: '%s'}\n"
		 "clusters:\n"
		 "  c1: {aws_region: us-west-2, mesos_master_fqdn: '%s'}\n"
		 "autoscaling: {default_signal_role: clusterman, setpoint: 0.7,"
		 " target_capacity_margin: 0.1}\n"
		 "metrics: {sqlite: m.sqlite}\n",
		 fake_http_url(proxy_http), fake_http_url(mesos_http));
	write_file("clusterman.yaml", svc);
	write_file("clusters/c1/default.mesos",
		   "resource_groups:\n"
		   "  - sfr: {tag: " TAGKEY "}\n"
		   "  - asg: {tag: " TAGKEY "}\n"
		   "scaling_limits: {min_capacity: 1, max_capacity: 20, max_weight_to_add: 5,"
		   " max_weight_to_remove: 5, max_tasks_to_kill: inf}\n");

	moto_world_init(&world, client, 8, "ops-test", TAGKEY, 10);
	moto_make_fleet(&world, NULL, MINE, 2, fleet_id, sizeof(fleet_id));
	moto_make_fleet(&world, NULL, OTHER, 1, other, sizeof(other));
	moto_make_group(&world, "asg-default", NULL, MINE, 3, 0);
	moto_make_group(&world, "asg-batch", NULL, OTHER, 1, 0);

	rc = cmocka_run_group_tests_name("status and manage (moto_server, fake Mesos)", tests,
					 NULL, NULL);
	cman_aws_client_free(client);
	fake_http_stop(proxy_http);
	fake_http_stop(mesos_http);
	fake_mesos_free(mesos);
	test_server_stop(&moto);
	if (!rc) {
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", root);
	}
	return rc;
}
