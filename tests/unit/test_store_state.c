/*
 * test_store_state.c - pool state items (pause, capacity offset) in the
 * SQLite store, and the rules of cman_store_paused() and
 * cman_store_capacity_offset() (LIVE-SPEC §7.1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "cman/store.h"
#include "cman_test.h"

static char dir[1024], path[1100];

static struct cman_store *open_store(bool create)
{
	struct cman_store *st;
	struct cman_error err;
	int rc = cman_store_sqlite_open(path, create, &st, &err);

	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	return st;
}

static void test_entity(void **state)
{
	struct cman_error err;
	char buf[32];

	assert_int_equal(cman_state_entity(buf, sizeof(buf), "c1", "default", "mesos", &err), 0);
	assert_string_equal(buf, "c1.default.mesos");
	assert_int_equal(cman_state_entity(buf, sizeof(buf), "c1", "", "mesos", &err), CMAN_EINVAL);
	assert_int_equal(cman_state_entity(buf, 8, "c1", "default", "mesos", &err), CMAN_EINVAL);
	assert_string_equal(cman_state_name(CMAN_STATE_PAUSED), "autoscaler_paused");
	assert_string_equal(cman_state_name(CMAN_STATE_CAPACITY_OFFSET),
			    "autoscaler_capacity_offset");
}

static void test_pause_rules(void **state)
{
	struct cman_store *st = open_store(true);
	struct cman_state_item it = {.timestamp = 1000, .expires = true, .expiration = 2800};
	struct cman_state_item got;
	struct cman_error err;
	bool paused = true;
	int64_t until = -1;

	/* Nothing written: not paused, and the file keeps no state table. */
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_PAUSED, "c1.p.mesos", &got, &err), 0);
	assert_int_equal(cman_store_paused(st, "c1.p.mesos", 1000, &paused, &until, &err), 0);
	assert_false(paused);
	assert_int_equal(until, 0);
	assert_int_equal(cman_store_state_delete(st, CMAN_STATE_PAUSED, "c1.p.mesos", &err), 0);

	assert_int_equal(cman_store_state_put(st, CMAN_STATE_PAUSED, "c1.p.mesos", &it, &err), 0);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_PAUSED, "c1.p.mesos", &got, &err), 1);
	assert_int_equal(got.timestamp, 1000);
	assert_true(got.expires);
	assert_int_equal(got.expiration, 2800);
	/* Paused while now <= expiration: at the expiry second still paused. */
	assert_int_equal(cman_store_paused(st, "c1.p.mesos", 2800, &paused, &until, &err), 0);
	assert_true(paused);
	assert_int_equal(until, 2800);
	assert_int_equal(cman_store_paused(st, "c1.p.mesos", 2801, &paused, &until, &err), 0);
	assert_false(paused);
	/* Other pools and other items are apart. */
	assert_int_equal(cman_store_paused(st, "c1.q.mesos", 2000, &paused, NULL, &err), 0);
	assert_false(paused);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_CAPACITY_OFFSET, "c1.p.mesos", &got,
					      &err), 0);
	/* No expiry: for ever. */
	it.expires = false;
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_PAUSED, "c1.p.mesos", &it, &err), 0);
	assert_int_equal(cman_store_paused(st, "c1.p.mesos", INT64_MAX - 1, &paused, &until,
					   &err), 0);
	assert_true(paused);
	assert_int_equal(until, INT64_MAX);
	/* Enable: delete. */
	assert_int_equal(cman_store_state_delete(st, CMAN_STATE_PAUSED, "c1.p.mesos", &err), 0);
	assert_int_equal(cman_store_paused(st, "c1.p.mesos", 1000, &paused, NULL, &err), 0);
	assert_false(paused);
	cman_store_free(st);
}

static void test_offset_and_persistence(void **state)
{
	struct cman_store *st = open_store(true), *other;
	struct cman_state_item it = {.timestamp = 50, .expires = true, .expiration = 100,
				     .offset = -2.5};
	struct cman_sample s = {.t = 10, .value = 3};
	struct cman_error err;
	double off = 99;
	int64_t t;
	double v;

	assert_int_equal(cman_store_capacity_offset(st, "c.p.s", 10, &off, &err), 0);
	assert_true(off == 0);
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_CAPACITY_OFFSET, "c.p.s", &it, &err),
			 0);
	assert_int_equal(cman_store_capacity_offset(st, "c.p.s", 100, &off, &err), 0);
	assert_true(off == -2.5);
	assert_int_equal(cman_store_capacity_offset(st, "c.p.s", 101, &off, &err), 0);
	assert_true(off == 0);
	/* Not finite: refused. */
	it.offset = INFINITY;
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_CAPACITY_OFFSET, "c.p.s", &it, &err),
			 CMAN_EINVAL);
	/* Metrics and state live side by side. */
	assert_int_equal(cman_store_write(st, CMAN_SYSTEM_METRICS, "cpus_allocated", &s, &err), 0);
	/* Inside a transaction state calls are refused (never held back). */
	assert_int_equal(cman_store_begin(st, &err), 0);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_PAUSED, "c.p.s",
					      &(struct cman_state_item){0}, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "inside a transaction"));
	assert_int_equal(cman_store_commit(st, &err), 0);

	/* A second handle on the file sees a put at once: a state read does not
	 * look at the snapshot of the handle's earlier reads.  (The SQLite
	 * store's shared read transaction, from its metrics reads, holds back
	 * other writers until the handle's next write or state call.) */
	other = open_store(false);
	assert_int_equal(cman_store_latest(other, CMAN_SYSTEM_METRICS, "cpus_allocated", 20, &t, &v,
					   &err), 1);
	assert_int_equal(cman_store_capacity_offset(other, "c.p.s", 60, &off, &err), 0);
	assert_true(off == -2.5);
	it.offset = 4;
	it.expires = false;
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_CAPACITY_OFFSET, "c.p.s", &it, &err),
			 0);
	assert_int_equal(cman_store_capacity_offset(other, "c.p.s", 1000, &off, &err), 0);
	assert_true(off == 4);
	cman_store_free(other);
	cman_store_free(st);

	/* Reopened: the state stays, and the file is still a metrics database. */
	st = open_store(false);
	assert_int_equal(cman_store_capacity_offset(st, "c.p.s", 1000, &off, &err), 0);
	assert_true(off == 4);
	assert_int_equal(cman_store_latest(st, CMAN_SYSTEM_METRICS, "cpus_allocated", 20, &t, &v,
					   &err), 1);
	assert_true(v == 3);
	cman_store_free(st);
}

static void test_bad_rows_and_args(void **state)
{
	struct cman_store *st = open_store(true), *mem;
	struct cman_state_item it = {.timestamp = 1};
	struct cman_error err;
	sqlite3 *db;
	bool paused;

	assert_int_equal(cman_store_state_put(st, CMAN_STATE_PAUSED, "c.p.s", &it, &err), 0);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_PAUSED, "", &it, &err), CMAN_EINVAL);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_PAUSED, "c\n", &it, &err),
			 CMAN_EINVAL);
	assert_int_equal(cman_store_state_get(st, (enum cman_state_kind)7, "c.p.s", &it, &err),
			 CMAN_EINVAL);
	cman_store_free(st);
	/* A row of the wrong type is an error, never "not paused". */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE cluster_state SET expiration_timestamp = 'soon'",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = open_store(false);
	assert_int_equal(cman_store_paused(st, "c.p.s", 1, &paused, NULL, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "corrupt pool state"));
	cman_store_free(st);

	/* The in-memory store keeps no state, and says so. */
	assert_int_equal(cman_store_memory_new(&mem, &err), 0);
	assert_int_equal(cman_store_paused(mem, "c.p.s", 1, &paused, NULL, &err), CMAN_EINVAL);
	assert_non_null(strstr(err.msg, "keeps no pool state"));
	cman_store_free(mem);
}

static int setup(void **state)
{
	if (!cman_test_mkdtemp(dir, sizeof(dir), "cman_state"))
		return -1;
	snprintf(path, sizeof(path), "%s/m.db", dir);
	return 0;
}

/* Ours: the drain state (CMAN_STATE_DRAINING) in a text column that an
 * older table gets on the first put; the other items are unaffected. */
static void test_drain_state(void **state)
{
	struct cman_store *st = open_store(true);
	struct cman_state_item it = {.timestamp = 5, .expires = true, .expiration = 50};
	struct cman_state_item got;
	struct cman_error err;

	/* an older table: made by a pause, without the column */
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_PAUSED, "c.p.mesos", &it, &err), 0);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_DRAINING, "c.p.mesos", &got, &err), 0);
	it = (struct cman_state_item){.timestamp = 7, .text = "[1]"};
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_DRAINING, "c.p.mesos", &it, &err), 0);
	it.text = "[2]";   /* the column exists now */
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_DRAINING, "c.p.mesos", &it, &err), 0);
	it.text = NULL;
	assert_int_equal(cman_store_state_put(st, CMAN_STATE_DRAINING, "c.p.mesos", &it, &err),
			 CMAN_EINVAL);
	cman_store_free(st);
	st = open_store(false);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_DRAINING, "c.p.mesos", &got, &err), 1);
	assert_string_equal(got.text, "[2]");
	assert_int_equal(got.timestamp, 7);
	free(got.text);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_PAUSED, "c.p.mesos", &got, &err), 1);
	assert_null(got.text);
	assert_int_equal(got.expiration, 50);
	assert_int_equal(cman_store_state_delete(st, CMAN_STATE_DRAINING, "c.p.mesos", &err), 0);
	assert_int_equal(cman_store_state_get(st, CMAN_STATE_DRAINING, "c.p.mesos", &got, &err), 0);
	assert_string_equal(cman_state_name(CMAN_STATE_DRAINING), "autoscaler_draining");
	cman_store_free(st);
}

static int teardown_each(void **state)
{
	remove(path);
	return 0;
}

static int teardown(void **state)
{
	remove(path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entity),
		cmocka_unit_test_teardown(test_pause_rules, teardown_each),
		cmocka_unit_test_teardown(test_offset_and_persistence, teardown_each),
		cmocka_unit_test_teardown(test_bad_rows_and_args, teardown_each),
		cmocka_unit_test_teardown(test_drain_state, teardown_each),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
