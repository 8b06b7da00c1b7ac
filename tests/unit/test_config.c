/*
 * test_config.c - YAML node trees (config.h) and pool configurations
 * (poolcfg.h): positions, syntax errors, typed reads, --set overrides,
 * unknown keys, ranges and defaults.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"

#include "cman/config.h"
#include "cman/poolcfg.h"

static struct cman_node *load_ok(const char *text)
{
	struct cman_error e = { 0 };
	struct cman_node *n = NULL;
	int rc = cman_yaml_load_string("t.yaml", text, &n, &e);

	if (rc)
		fail_msg("load failed: %s", e.msg);
	assert_non_null(n);
	return n;
}

static void assert_contains(const char *msg, const char *want)
{
	if (!strstr(msg, want))
		fail_msg("message '%s' does not contain '%s'", msg, want);
}

/* ---- loading ----------------------------------------------------------- */

struct load_case {
	const char *text;
	const char *want;       /* expected message, whole prefix included */
};

static void test_load_errors(void **state)
{
	static const struct load_case cases[] = {
		{ "a: [1, 2\n", "t.yaml:2:1: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 4)" },
		{ "a: 1\n b: 2\n", "t.yaml:2:3: mapping values are not allowed" },
		{ "a: 1\nb:\n  c: 1\n  c: 2\n", "t.yaml:4:3: duplicate key 'c' (first at line 3, column 3)" },
		{ "a: 1\n---\nb: 2\n", "t.yaml:2:1: a second YAML document" },
		{ "a: *x\n", "t.yaml:1:4: found undefined alias" },
		{ "x: &a [*a]\n", "t.yaml:1:4: document nested too deeply" },
		{ "? [1]\n: 2\n", "t.yaml:1:3: a mapping key must be a scalar" },
		{ "a: \"abc\n", "t.yaml:2:1: found unexpected end of stream" },
		{ "a: \xff\n", "t.yaml: invalid leading UTF-8 octet at byte 3" },
		/* 9 levels of 10 aliases each = 10^9 nodes once expanded */
		{ "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		  "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
		  "aliases expand too much" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_error e = { 0 };
		struct cman_node *n = (struct cman_node *)1;

		assert_int_equal(cman_yaml_load_string("t.yaml", cases[i].text, &n, &e),
				 CMAN_EINVAL);
		assert_null(n);
		assert_int_equal(e.code, CMAN_EINVAL);
		assert_contains(e.msg, cases[i].want);
	}
}

static void test_load_tree(void **state)
{
	struct cman_node *r = load_ok("# comment\n"
				      "a: 1\n"
				      "b:\n"
				      "  - x\n"
				      "  - 'q'\n"
				      "  - ~\n"
				      "  - null\n"
				      "  -\n"
				      "  - \"\"\n"
				      "  - NULL\n"
				      "  - nulls\n"
				      "c: &anc {k: v, l: [1, 2]}\n"
				      "d: *anc\n"
				      "e: |\n  text\n");
	const struct cman_node *b, *c, *d, *k;

	assert_int_equal(r->type, CMAN_NODE_MAP);
	assert_int_equal(r->n, 5);
	assert_int_equal(r->line, 2);
	assert_int_equal(r->col, 1);
	assert_string_equal(r->file, "t.yaml");
	/* keys carry their own position */
	assert_string_equal(r->keys[1]->scalar, "b");
	assert_int_equal(r->keys[1]->line, 3);
	assert_int_equal(r->keys[1]->col, 1);
	assert_int_equal(cman_node_get(r, "a")->line, 2);
	assert_int_equal(cman_node_get(r, "a")->col, 4);

	b = cman_node_get(r, "b");
	assert_int_equal(b->type, CMAN_NODE_SEQ);
	assert_int_equal(b->n, 8);
	assert_int_equal(b->items[0]->line, 4);
	assert_int_equal(b->items[0]->col, 5);
	assert_false(b->items[0]->null);
	assert_false(b->items[0]->quoted);
	assert_true(b->items[1]->quoted);
	assert_string_equal(b->items[1]->scalar, "q");
	assert_true(b->items[2]->null);
	assert_true(b->items[3]->null);
	assert_true(b->items[4]->null);
	assert_string_equal(b->items[4]->scalar, "");
	assert_false(b->items[5]->null);   /* "" quoted is a string */
	assert_true(b->items[5]->quoted);
	assert_true(b->items[6]->null);
	assert_false(b->items[7]->null);

	c = cman_node_get(r, "c");
	d = cman_node_get(r, "d");
	assert_non_null(c);
	assert_non_null(d);
	assert_ptr_not_equal(c, d);      /* aliases are copies */
	assert_int_equal(d->type, CMAN_NODE_MAP);
	k = cman_node_get(d, "k");
	assert_non_null(k);
	assert_string_equal(k->scalar, "v");
	assert_int_equal(cman_node_get(d, "l")->n, 2);
	assert_true(cman_node_get(r, "e")->quoted);
	assert_string_equal(cman_node_get(r, "e")->scalar, "text\n");
	assert_null(cman_node_get(r, "zz"));
	assert_null(cman_node_get(b, "a"));
	cman_node_free(r);
}

static void test_load_empty(void **state)
{
	static const char *const texts[] = { "", "# only a comment\n", "\n\n" };
	size_t i;

	for (i = 0; i < 3; i++) {
		struct cman_node *r = load_ok(texts[i]);

		assert_int_equal(r->type, CMAN_NODE_MAP);
		assert_int_equal(r->n, 0);
		assert_int_equal(r->line, 1);
		cman_node_free(r);
	}
}

static void test_load_file(void **state)
{
	struct cman_error e = { 0 };
	struct cman_node *n = NULL;
	char path[256];
	int fd = cman_test_mkstemp(path, sizeof(path), "cman_test_config_");
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("a:\n  b: [1, 2]\n", f);
	fclose(f);
	assert_int_equal(cman_yaml_load_file(path, &n, &e), 0);
	assert_string_equal(n->file, path);
	assert_int_equal(cman_node_get(cman_node_get(n, "a"), "b")->line, 2);
	assert_int_equal(cman_node_get(cman_node_get(n, "a"), "b")->col, 6);
	cman_node_free(n);

	f = fopen(path, "w");
	fputs("a: [\n", f);
	fclose(f);
	assert_int_equal(cman_yaml_load_file(path, &n, &e), CMAN_EINVAL);
	assert_contains(e.msg, path);
	assert_contains(e.msg, ":2:1: ");
	unlink(path);

	assert_int_equal(cman_yaml_load_file("/nonexistent/x.yaml", &n, &e), CMAN_EINVAL);
	assert_contains(e.msg, "/nonexistent/x.yaml: cannot open: No such file");
	assert_null(n);
	assert_int_equal(cman_yaml_load_file("/tmp", &n, &e), CMAN_EINVAL);
}

/* ---- typed reads ------------------------------------------------------- */

enum kind { K_DOUBLE, K_INT, K_BOOL, K_STRING, K_TIME };

struct read_case {
	const char *yaml;       /* the value after "v: " */
	enum kind kind;
	bool ok;
	double d;               /* expected double / int / bool / time */
	const char *want;       /* expected string value or error substring */
};

static void test_typed_reads(void **state)
{
	static const struct read_case cases[] = {
		{ "0.5", K_DOUBLE, true, 0.5, NULL },
		{ "-3", K_DOUBLE, true, -3, NULL },
		{ "1e3", K_DOUBLE, true, 1000, NULL },
		{ ".5", K_DOUBLE, true, 0.5, NULL },
		{ "inf", K_DOUBLE, true, INFINITY, NULL },
		{ ".inf", K_DOUBLE, true, INFINITY, NULL },
		{ "+.Inf", K_DOUBLE, true, INFINITY, NULL },
		{ "-inf", K_DOUBLE, true, -INFINITY, NULL },
		{ "nan", K_DOUBLE, false, 0, "t.yaml:1:4: v: expected a number, got 'nan'" },
		{ ".nan", K_DOUBLE, false, 0, "expected a number" },
		{ "0x10", K_DOUBLE, false, 0, "expected a number, got '0x10'" },
		{ "1e999", K_DOUBLE, false, 0, "expected a number" },
		{ "abc", K_DOUBLE, false, 0, "t.yaml:1:4: v: expected a number, got 'abc'" },
		{ "\"0.5\"", K_DOUBLE, false, 0, "got '0.5' (quoted, so a string)" },
		{ "", K_DOUBLE, false, 0, "t.yaml:1:3: v: expected a number, got an empty value" },
		{ "[1]", K_DOUBLE, false, 0, "expected a number, got a sequence" },
		{ "{a: 1}", K_DOUBLE, false, 0, "expected a number, got a mapping" },
		{ "1.5x", K_DOUBLE, false, 0, "got '1.5x'" },
		{ "42", K_INT, true, 42, NULL },
		{ "-7", K_INT, true, -7, NULL },
		{ "+7", K_INT, true, 7, NULL },
		{ "10.0", K_INT, false, 0, "v: expected an integer, got '10.0'" },
		{ "1e3", K_INT, false, 0, "expected an integer" },
		{ "99999999999999999999", K_INT, false, 0, "expected an integer" },
		{ "'5'", K_INT, false, 0, "(quoted, so a string)" },
		{ "+", K_INT, false, 0, "expected an integer, got '+'" },
		{ "true", K_BOOL, true, 1, NULL },
		{ "Yes", K_BOOL, true, 1, NULL },
		{ "ON", K_BOOL, true, 1, NULL },
		{ "false", K_BOOL, true, 0, NULL },
		{ "no", K_BOOL, true, 0, NULL },
		{ "Off", K_BOOL, true, 0, NULL },
		{ "maybe", K_BOOL, false, 0, "v: expected true or false, got 'maybe'" },
		{ "'true'", K_BOOL, false, 0, "quoted" },
		{ "1", K_BOOL, false, 0, "expected true or false" },
		{ "hello", K_STRING, true, 0, "hello" },
		{ "'quoted'", K_STRING, true, 0, "quoted" },
		{ "123", K_STRING, true, 0, "123" },
		{ "~", K_STRING, false, 0, "v: expected a non-empty string, got '~'" },
		{ "''", K_STRING, false, 0, "expected a non-empty string, got ''" },
		{ "", K_STRING, false, 0, "got an empty value" },
		{ "[a]", K_STRING, false, 0, "got a sequence" },
		{ "2017-12-01T08:00:00Z", K_TIME, true, 1512115200, NULL },
		{ "'2017-12-01T09:00:00+01:00'", K_TIME, true, 1512115200, NULL },
		{ "1512115200", K_TIME, true, 1512115200, NULL },
		{ "2017-13-01T00:00:00Z", K_TIME, false, 0, "t.yaml:1:4: v: expected an ISO-8601 timestamp" },
		{ "yesterday", K_TIME, false, 0, "got 'yesterday'" },
		{ "", K_TIME, false, 0, "expected an ISO-8601 timestamp" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct read_case *c = &cases[i];
		struct cman_error e = { 0 };
		char text[128];
		struct cman_node *r;
		const struct cman_node *v;
		double d = -1;
		int64_t i64 = -1;
		bool b = false;
		const char *s = NULL;
		int rc = 0;

		snprintf(text, sizeof(text), "v: %s\n", c->yaml);
		r = load_ok(text);
		v = cman_node_get(r, "v");
		switch (c->kind) {
		case K_DOUBLE: rc = cman_node_double(v, "v", &d, &e); break;
		case K_INT: rc = cman_node_int64(v, "v", &i64, &e); break;
		case K_BOOL: rc = cman_node_bool(v, "v", &b, &e); break;
		case K_STRING: rc = cman_node_string(v, "v", &s, &e); break;
		case K_TIME: rc = cman_node_time(v, "v", &i64, &e); break;
		}
		if (!c->ok) {
			if (rc != CMAN_EINVAL)
				fail_msg("case %zu (%s): expected failure", i, c->yaml);
			assert_contains(e.msg, c->want);
		} else {
			if (rc != 0)
				fail_msg("case %zu (%s): %s", i, c->yaml, e.msg);
			switch (c->kind) {
			case K_DOUBLE: assert_true(d == c->d); break;
			case K_INT:
			case K_TIME: assert_int_equal(i64, (int64_t)c->d); break;
			case K_BOOL: assert_int_equal(b, c->d != 0); break;
			case K_STRING: assert_string_equal(s, c->want); break;
			}
		}
		cman_node_free(r);
	}
}

static void test_check_keys(void **state)
{
	static const char *const allowed[] = { "alpha", "beta", NULL };
	struct cman_node *r = load_ok("s:\n  alpha: 1\n  gamma: 2\nt: 3\nu: {alpha: 1}\n");
	struct cman_error e = { 0 };

	assert_int_equal(cman_node_check_keys(cman_node_get(r, "s"), "top.s", allowed, &e),
			 CMAN_EINVAL);
	assert_string_equal(e.msg,
			    "t.yaml:3:3: unknown key 'gamma' in top.s (expected one of: alpha, beta)");
	assert_int_equal(cman_node_check_keys(cman_node_get(r, "t"), "t", allowed, &e),
			 CMAN_EINVAL);
	assert_string_equal(e.msg, "t.yaml:4:4: t must be a mapping");
	assert_int_equal(cman_node_check_keys(cman_node_get(r, "u"), "u", allowed, &e), 0);
	assert_int_equal(cman_node_check_keys(r, "", allowed, &e), CMAN_EINVAL);
	assert_string_equal(e.msg, "t.yaml:1:1: unknown key 's' (expected one of: alpha, beta)");
	cman_node_free(r);
}

static void test_node_error_and_copy(void **state)
{
	struct cman_node *r = load_ok("a: {b: [1, 'two', ~]}\n");
	struct cman_node *c = cman_node_copy(r);
	struct cman_error e = { 0 };
	const struct cman_node *b;

	cman_node_free(r);      /* the copy must stand on its own */
	b = cman_node_get(cman_node_get(c, "a"), "b");
	assert_non_null(b);
	assert_int_equal(b->n, 3);
	assert_string_equal(b->items[1]->scalar, "two");
	assert_true(b->items[1]->quoted);
	assert_true(b->items[2]->null);
	assert_int_equal(b->line, 1);
	assert_int_equal(b->col, 8);
	assert_int_equal(cman_node_error(b, &e, "bad %d", 7), CMAN_EINVAL);
	assert_string_equal(e.msg, "t.yaml:1:8: bad 7");
	assert_null(cman_node_copy(NULL));
	cman_node_free(c);
	cman_node_free(NULL);
}

/* ---- --set ------------------------------------------------------------- */

static void test_set_path(void **state)
{
	struct cman_node *r = load_ok("a:\n  b: 1\n  c: [1]\nn: ~\ns: x\n");
	struct cman_error e = { 0 };
	const struct cman_node *v;
	double d;

	/* replace */
	assert_int_equal(cman_node_set_path(r, "a.b=0.8", &e), 0);
	v = cman_node_get(cman_node_get(r, "a"), "b");
	assert_string_equal(v->scalar, "0.8");
	assert_string_equal(v->file, "--set a.b");
	assert_int_equal(v->line, 0);
	assert_int_equal(cman_node_double(v, "a.b", &d, &e), 0);
	assert_true(d == 0.8);
	/* a value containing '=' and a flow map */
	assert_int_equal(cman_node_set_path(r, "a.m={x: 1, y: 'a=b'}", &e), 0);
	v = cman_node_get(cman_node_get(r, "a"), "m");
	assert_int_equal(v->type, CMAN_NODE_MAP);
	assert_string_equal(cman_node_get(v, "y")->scalar, "a=b");
	/* create nested maps, and through a null */
	assert_int_equal(cman_node_set_path(r, "x.y.z=[1, 2]", &e), 0);
	v = cman_node_get(cman_node_get(cman_node_get(r, "x"), "y"), "z");
	assert_int_equal(v->type, CMAN_NODE_SEQ);
	assert_int_equal(v->n, 2);
	assert_int_equal(cman_node_set_path(r, "n.k=v", &e), 0);
	assert_string_equal(cman_node_get(cman_node_get(r, "n"), "k")->scalar, "v");
	/* empty value is null */
	assert_int_equal(cman_node_set_path(r, "s=", &e), 0);
	assert_true(cman_node_get(r, "s")->null);
	/* messages about --set nodes have no position */
	assert_int_equal(cman_node_int64(cman_node_get(cman_node_get(r, "a"), "b"),
					 "a.b", (int64_t[]){ 0 }, &e),
			 CMAN_EINVAL);
	assert_string_equal(e.msg, "--set a.b: a.b: expected an integer, got '0.8'");

	/* errors */
	assert_int_equal(cman_node_set_path(r, "novalue", &e), CMAN_EINVAL);
	assert_string_equal(e.msg, "--set novalue: expected KEY=VALUE");
	assert_int_equal(cman_node_set_path(r, "=1", &e), CMAN_EINVAL);
	assert_string_equal(e.msg, "--set =1: expected KEY=VALUE");
	assert_int_equal(cman_node_set_path(r, "a..b=1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "--set a..b: empty key");
	assert_int_equal(cman_node_set_path(r, "a.=1", &e), CMAN_EINVAL);
	assert_int_equal(cman_node_set_path(r, "a.b.c=1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "--set a.b.c: 'a.b' is a scalar");
	assert_int_equal(cman_node_set_path(r, "a.c.d=1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "'a.c' is a sequence");
	assert_int_equal(cman_node_set_path(r, "a.b=[1, 2", &e), CMAN_EINVAL);
	assert_contains(e.msg, "--set a.b:2:1: did not find expected");
	assert_int_equal(cman_node_set_path(r, "a.b={x: 1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "--set a.b:");
	/* failed overrides changed nothing */
	assert_string_equal(cman_node_get(cman_node_get(r, "a"), "b")->scalar, "0.8");
	cman_node_free(r);

	r = load_ok("- 1\n");
	assert_int_equal(cman_node_set_path(r, "a=1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "--set a: the document is not a mapping");
	cman_node_free(r);
}

/* Issue 8.7: --set KEY[N] indexes into lists. */
static void test_set_path_index(void **state)
{
	struct cman_error e = { 0 };
	struct cman_node *r = load_ok("rg:\n"
				      "  - {spot_fleet: {AllocationStrategy: diversified, specs: [a, b]}}\n"
				      "  - {asg: {MinSize: 0}}\n"
				      "m: [[1, 2], [3, ~]]\n"
				      "e: []\n");
	const struct cman_node *sf, *v;

	(void)state;
	assert_int_equal(cman_node_set_path(r, "rg[0].spot_fleet.AllocationStrategy=lowestPrice",
					    &e), 0);
	sf = cman_node_get(cman_node_get(r, "rg")->items[0], "spot_fleet");
	assert_string_equal(cman_node_get(sf, "AllocationStrategy")->scalar, "lowestPrice");
	/* the rest of the item is kept */
	assert_int_equal(cman_node_get(sf, "specs")->n, 2);
	/* an index at the end replaces the item */
	assert_int_equal(cman_node_set_path(r, "rg[0].spot_fleet.specs[1]=c", &e), 0);
	assert_string_equal(cman_node_get(sf, "specs")->items[1]->scalar, "c");
	assert_string_equal(cman_node_get(sf, "specs")->items[0]->scalar, "a");
	/* a new key in a mapping item */
	assert_int_equal(cman_node_set_path(r, "rg[1].asg.MaxSize=5", &e), 0);
	v = cman_node_get(cman_node_get(cman_node_get(r, "rg")->items[1], "asg"), "MaxSize");
	assert_string_equal(v->scalar, "5");
	/* nested indexes, and a null item that becomes a mapping */
	assert_int_equal(cman_node_set_path(r, "m[0][1]=7", &e), 0);
	assert_string_equal(cman_node_get(r, "m")->items[0]->items[1]->scalar, "7");
	assert_int_equal(cman_node_set_path(r, "m[1][1].k=x", &e), 0);
	assert_string_equal(cman_node_get(cman_node_get(r, "m")->items[1]->items[1], "k")->scalar,
			    "x");
	/* errors name the override and say what was expected */
	assert_int_equal(cman_node_set_path(r, "rg[2].asg.MinSize=1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "--set rg[2].asg.MinSize: 'rg[2]' is past the end of the list, "
			"expected an index from 0 to 1");
	assert_int_equal(cman_node_set_path(r, "e[0]=1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "the list is empty");
	assert_int_equal(cman_node_set_path(r, "rg[0].spot_fleet[0]=1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "'rg[0].spot_fleet' is a mapping, expected a list to index");
	assert_int_equal(cman_node_set_path(r, "nope[0]=1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "'nope' is absent, expected a list to index");
	assert_int_equal(cman_node_set_path(r, "rg[x]=1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "bad index in 'rg[x]'");
	assert_int_equal(cman_node_set_path(r, "rg[0=1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "bad index");
	assert_int_equal(cman_node_set_path(r, "rg[0]x.a=1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "bad index");
	assert_int_equal(cman_node_set_path(r, "rg.x=1", &e), CMAN_EINVAL);
	assert_contains(e.msg, "'rg' is a sequence (index it as KEY[N])");
	cman_node_free(r);
}

/* The YAML writer: what it writes loads back to the same tree. */
static void test_write_yaml(void **state)
{
	const char *text = "a: 1\nb: 'x: y'\nc: [1, -2, {d: ~, e: \"q\\\"t\"}]\n"
			   "f: {}\ng: []\nh: |\n  two\n  lines\ni: -x\nj: '#no'\n";
	struct cman_node *r = load_ok(text), *r2;
	char *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;
	FILE *fp = open_memstream(&buf, &len);

	(void)state;
	cman_node_write_yaml(fp, r);
	fclose(fp);
	r2 = load_ok(buf);
	fp = open_memstream(&buf2, &len2);
	cman_node_write_yaml(fp, r2);
	fclose(fp);
	assert_string_equal(buf, buf2);
	assert_string_equal(cman_node_get(r2, "b")->scalar, "x: y");
	assert_true(cman_node_get(r2, "b")->quoted);
	assert_string_equal(cman_node_get(r2, "c")->items[1]->scalar, "-2");
	assert_false(cman_node_get(r2, "c")->items[1]->quoted);
	assert_true(cman_node_get(cman_node_get(r2, "c")->items[2], "d")->null);
	assert_string_equal(cman_node_get(cman_node_get(r2, "c")->items[2], "e")->scalar, "q\"t");
	assert_int_equal(cman_node_get(r2, "f")->type, CMAN_NODE_MAP);
	assert_int_equal(cman_node_get(r2, "g")->type, CMAN_NODE_SEQ);
	assert_string_equal(cman_node_get(r2, "h")->scalar, "two\nlines\n");
	assert_string_equal(cman_node_get(r2, "i")->scalar, "-x");
	assert_string_equal(cman_node_get(r2, "j")->scalar, "#no");
	free(buf);
	free(buf2);
	cman_node_free(r);
	cman_node_free(r2);
}

/* ---- pool configs ------------------------------------------------------ */

static int parse_pool(const char *text, struct cman_pool_config *cfg,
		      struct cman_error *e)
{
	struct cman_node *r = load_ok(text);
	int rc = cman_pool_config_parse(cman_node_get(r, "pool_config"),
					"pool_config", cfg, e);

	cman_node_free(r);
	return rc;
}

static void test_pool_defaults(void **state)
{
	struct cman_pool_config cfg;
	struct cman_error e = { 0 };

	assert_int_equal(parse_pool("pool_config: {}\n", &cfg, &e), 0);
	assert_true(cfg.setpoint == 0.7);
	assert_true(cfg.target_capacity_margin == 0.1);
	assert_true(cfg.capacity_offset == 0);
	assert_true(cfg.min_capacity == 0);
	assert_true(isinf(cfg.max_capacity));
	assert_true(isinf(cfg.max_weight_to_add));
	assert_true(isinf(cfg.max_weight_to_remove));
	assert_true(isinf(cfg.max_tasks_to_kill));
	/* Clusterman's default: -1, off (issue 8.8) */
	assert_int_equal(cfg.min_node_scalein_uptime_seconds, -1);
	assert_int_equal(cfg.orphan_instance_uptime_threshold_seconds, 1800);
	assert_false(cfg.has_signal);
	assert_false(cfg.excluded[CMAN_RES_CPUS]);
	cman_pool_config_release(&cfg);
	cman_pool_config_release(&cfg);   /* twice is fine */

	assert_string_equal(cman_resource_name(CMAN_RES_GPUS), "gpus");
	assert_string_equal(cman_resource_name(CMAN_RES_MEM), "mem");
}

/* Clusterman's value -1 for min_node_scalein_uptime_seconds is accepted
 * (issue 8.8): it turns the age criterion off. */
static void test_pool_scalein_off(void **state)
{
	struct cman_pool_config cfg;
	struct cman_error e = { 0 };

	(void)state;
	assert_int_equal(parse_pool("pool_config:\n  scaling_limits: "
				    "{min_node_scalein_uptime_seconds: -1}\n", &cfg, &e), 0);
	assert_int_equal(cfg.min_node_scalein_uptime_seconds, -1);
	cman_pool_config_release(&cfg);
}

static void test_pool_full(void **state)
{
	struct cman_pool_config cfg;
	struct cman_error e = { 0 };
	const char *text =
		"pool_config:\n"
		"  autoscaling: {setpoint: 0.8, target_capacity_margin: 0.05,\n"
		"                excluded_resources: [gpus, disk], capacity_offset: -2}\n"
		"  scaling_limits:\n"
		"    min_capacity: 1\n"
		"    max_capacity: 800\n"
		"    max_weight_to_add: 100\n"
		"    max_weight_to_remove: 50\n"
		"    max_tasks_to_kill: inf\n"
		"    min_node_scalein_uptime_seconds: 1200\n"
		"    orphan_instance_uptime_threshold_seconds: 600\n"
		"  autoscale_signal:\n"
		"    name: sig\n"
		"    external: true\n"
		"    namespace: ns\n"
		"    command: [python3, -m, signal]\n"
		"    period_minutes: 10\n"
		"    first_run_offset_seconds: 30\n"
		"    required_metrics:\n"
		"      - {name: cpus_allocated, type: system_metrics, minute_range: 10}\n"
		"      - {name: requests, type: app_metrics, minute_range: 0}\n"
		"    parameters: {p: 95, nested: {a: [1]}}\n";

	assert_int_equal(parse_pool(text, &cfg, &e), 0);
	assert_true(cfg.setpoint == 0.8);
	assert_true(cfg.target_capacity_margin == 0.05);
	assert_true(cfg.capacity_offset == -2);
	assert_true(cfg.excluded[CMAN_RES_GPUS]);
	assert_true(cfg.excluded[CMAN_RES_DISK]);
	assert_false(cfg.excluded[CMAN_RES_CPUS]);
	assert_true(cfg.min_capacity == 1);
	assert_true(cfg.max_capacity == 800);
	assert_true(cfg.max_weight_to_add == 100);
	assert_true(cfg.max_weight_to_remove == 50);
	assert_true(isinf(cfg.max_tasks_to_kill));
	assert_int_equal(cfg.min_node_scalein_uptime_seconds, 1200);
	assert_int_equal(cfg.orphan_instance_uptime_threshold_seconds, 600);
	assert_true(cfg.has_signal);
	assert_string_equal(cfg.signal.name, "sig");
	assert_true(cfg.signal.external);
	assert_string_equal(cfg.signal.namespace_, "ns");
	assert_string_equal(cfg.signal.command[0], "python3");
	assert_string_equal(cfg.signal.command[2], "signal");
	assert_null(cfg.signal.command[3]);
	assert_int_equal(cfg.signal.period_minutes, 10);
	assert_true(cfg.signal.has_first_run_offset);
	assert_int_equal(cfg.signal.first_run_offset_seconds, 30);
	assert_int_equal(cfg.signal.n_required_metrics, 2);
	assert_string_equal(cfg.signal.required_metrics[0].name, "cpus_allocated");
	assert_int_equal(cfg.signal.required_metrics[0].type, CMAN_SYSTEM_METRICS);
	assert_int_equal(cfg.signal.required_metrics[0].minute_range, 10);
	assert_int_equal(cfg.signal.required_metrics[1].type, CMAN_APP_METRICS);
	assert_non_null(cfg.signal.parameters);
	assert_string_equal(cman_node_get(cfg.signal.parameters, "p")->scalar, "95");
	assert_int_equal(cman_node_get(cman_node_get(cfg.signal.parameters, "nested"),
				       "a")->n, 1);
	cman_pool_config_release(&cfg);
	assert_null(cfg.signal.name);
	assert_null(cfg.signal.parameters);
}

struct pool_case {
	const char *text;
	const char *want;
};

static void test_pool_errors(void **state)
{
	static const struct pool_case cases[] = {
		{ "pool_config: [1]\n", "t.yaml:1:14: pool_config must be a mapping" },
		{ "pool_config: {bogus: 1}\n",
		  "t.yaml:1:15: unknown key 'bogus' in pool_config (expected one of: autoscaling, scaling_limits, autoscale_signal)" },
		{ "pool_config:\n  autoscaling:\n    setpoint: 0.5\n    setpiont: 0.6\n",
		  "t.yaml:4:5: unknown key 'setpiont' in pool_config.autoscaling (expected one of:" },
		{ "pool_config:\n  autoscaling: {setpoint: \"abc\"}\n",
		  "t.yaml:2:27: pool_config.autoscaling.setpoint: expected a number, got 'abc' (quoted, so a string)" },
		{ "pool_config:\n  autoscaling: {setpoint: abc}\n",
		  "t.yaml:2:27: pool_config.autoscaling.setpoint: expected a number, got 'abc'" },
		{ "pool_config:\n  autoscaling: {setpoint: 1.5}\n",
		  "t.yaml:2:27: pool_config.autoscaling.setpoint: 1.5 is out of range, expected a number in (0, 1]" },
		{ "pool_config:\n  autoscaling: {setpoint: 0}\n",
		  "t.yaml:2:27: pool_config.autoscaling.setpoint: 0 is out of range, expected a number in (0, 1]" },
		{ "pool_config:\n  autoscaling: {target_capacity_margin: -0.1}\n",
		  "t.yaml:2:41: pool_config.autoscaling.target_capacity_margin: -0.1 is out of range, expected a number >= 0" },
		{ "pool_config:\n  autoscaling: {excluded_resources: [cpus, ram]}\n",
		  "t.yaml:2:44: pool_config.autoscaling.excluded_resources[1]: unknown resource 'ram'" },
		{ "pool_config:\n  autoscaling: {excluded_resources: cpus}\n",
		  "pool_config.autoscaling.excluded_resources: expected a list" },
		{ "pool_config:\n  autoscaling: {capacity_offset: inf}\n",
		  "pool_config.autoscaling.capacity_offset: must be finite" },
		{ "pool_config:\n  scaling_limits: {min_capacity: 10, max_capacity: 5}\n",
		  "t.yaml:2:34: pool_config.scaling_limits.min_capacity: 10 is greater than max_capacity 5, expected min_capacity <= max_capacity" },
		{ "pool_config:\n  scaling_limits: {max_capacity: -1}\n",
		  "pool_config.scaling_limits.max_capacity: -1 is out of range, expected a number >= 0" },
		{ "pool_config:\n  scaling_limits: {max_weight_to_add: -1}\n",
		  "max_weight_to_add: -1 is out of range" },
		{ "pool_config:\n  scaling_limits: {max_tasks_to_kill: lots}\n",
		  "max_tasks_to_kill: expected a number, got 'lots'" },
		{ "pool_config:\n  scaling_limits: {min_node_scalein_uptime_seconds: 1.5}\n",
		  "min_node_scalein_uptime_seconds: expected an integer, got '1.5'" },
		{ "pool_config:\n  scaling_limits: {min_node_scalein_uptime_seconds: -2}\n",
		  "min_node_scalein_uptime_seconds: -2 is out of range, expected an integer >= -1 (-1: off)" },
		{ "pool_config:\n  scaling_limits: {orphan_instance_uptime_threshold_seconds: -5}\n",
		  "orphan_instance_uptime_threshold_seconds: -5 is out of range, expected an integer >= 0" },
		{ "pool_config:\n  scaling_limits: {bogus: 1}\n",
		  "unknown key 'bogus' in pool_config.scaling_limits" },
		{ "pool_config:\n  autoscale_signal: {period_minutes: 10}\n",
		  "t.yaml:2:21: pool_config.autoscale_signal: missing required key 'name'" },
		{ "pool_config:\n  autoscale_signal: {name: mean}\n",
		  "pool_config.autoscale_signal: missing required key 'period_minutes'" },
		{ "pool_config:\n  autoscale_signal: {name: mean, period_minutes: 0}\n",
		  "t.yaml:2:50: pool_config.autoscale_signal.period_minutes: 0 is out of range, expected an integer > 0" },
		{ "pool_config:\n  autoscale_signal: {name: mean, period_minutes: 2.5}\n",
		  "period_minutes: expected an integer, got '2.5'" },
		{ "pool_config:\n  autoscale_signal: {name: x, period_minutes: 1, external: true}\n",
		  "pool_config.autoscale_signal: missing required key 'namespace'" },
		{ "pool_config:\n  autoscale_signal: {name: x, period_minutes: 1, external: maybe}\n",
		  "pool_config.autoscale_signal.external: expected true or false, got 'maybe'" },
		{ "pool_config:\n  autoscale_signal: {name: x, period_minutes: 1, command: [a]}\n",
		  "pool_config.autoscale_signal.command: only external signals run a command" },
		{ "pool_config:\n  autoscale_signal: {name: x, period_minutes: 1, external: true, namespace: n, command: []}\n",
		  "pool_config.autoscale_signal.command: expected a non-empty list" },
		{ "pool_config:\n  autoscale_signal: {name: x, period_minutes: 1, parameters: [1]}\n",
		  "pool_config.autoscale_signal.parameters: expected a mapping" },
		{ "pool_config:\n  autoscale_signal: {name: x, period_minutes: 1, first_run_offset_seconds: -1}\n",
		  "first_run_offset_seconds: -1 is out of range" },
		{ "pool_config:\n  autoscale_signal: {name: x, period_minutes: 1, nmae: y}\n",
		  "unknown key 'nmae' in pool_config.autoscale_signal" },
		{ "pool_config:\n  autoscale_signal:\n    name: x\n    period_minutes: 1\n"
		  "    required_metrics:\n      - {name: a, type: system_metrics, minute_range: 1}\n"
		  "      - {name: b, type: metadata, minute_range: 1}\n",
		  "t.yaml:7:25: pool_config.autoscale_signal.required_metrics[1].type: unknown metric type 'metadata', expected system_metrics or app_metrics" },
		{ "pool_config:\n  autoscale_signal:\n    name: x\n    period_minutes: 1\n"
		  "    required_metrics:\n      - {name: a, type: app_metrics, minute_range: -1}\n",
		  "required_metrics[0].minute_range: -1 is out of range, expected an integer >= 0" },
		{ "pool_config:\n  autoscale_signal:\n    name: x\n    period_minutes: 1\n"
		  "    required_metrics:\n      - {name: a, minute_range: 1}\n",
		  "t.yaml:6:9: pool_config.autoscale_signal.required_metrics[0]: missing required key 'type'" },
		{ "pool_config:\n  autoscale_signal:\n    name: x\n    period_minutes: 1\n"
		  "    required_metrics:\n      - {name: a, type: app_metrics, minute_range: 1, extra: 2}\n",
		  "unknown key 'extra' in pool_config.autoscale_signal.required_metrics[0]" },
		{ "pool_config:\n  autoscale_signal:\n    name: x\n    period_minutes: 1\n"
		  "    required_metrics: {}\n",
		  "required_metrics: expected a list" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cman_pool_config cfg;
		struct cman_error e = { 0 };

		if (parse_pool(cases[i].text, &cfg, &e) != CMAN_EINVAL)
			fail_msg("case %zu: expected failure", i);
		assert_contains(e.msg, cases[i].want);
		/* released on failure: defaults back, nothing owned */
		assert_null(cfg.signal.name);
		assert_null(cfg.signal.required_metrics);
		assert_true(cfg.setpoint == 0.7);
	}
}

/* autoscaling.prevent_scale_down_after_capacity_loss / instance_loss_threshold */
static void test_pool_capacity_loss(void **state)
{
	static const struct pool_case bad[] = {
		{ "pool_config:\n  autoscaling: {prevent_scale_down_after_capacity_loss: 1}\n",
		  "t.yaml:2:57: pool_config.autoscaling.prevent_scale_down_after_capacity_loss: expected true or false, got '1'" },
		{ "pool_config:\n  autoscaling: {instance_loss_threshold: -1}\n",
		  "t.yaml:2:42: pool_config.autoscaling.instance_loss_threshold: -1 is out of range, expected an integer >= 0" },
		{ "pool_config:\n  autoscaling: {instance_loss_threshold: 2.5}\n",
		  "pool_config.autoscaling.instance_loss_threshold: expected an integer, got '2.5'" },
		{ "pool_config:\n  autoscaling: {prevent_scale_down: true}\n",
		  "unknown key 'prevent_scale_down' in pool_config.autoscaling (expected one of: setpoint, target_capacity_margin, excluded_resources, capacity_offset, prevent_scale_down_after_capacity_loss, instance_loss_threshold)" },
	};
	struct cman_pool_config cfg;
	struct cman_error e = { 0 };
	size_t i;

	cman_pool_config_init(&cfg);
	assert_false(cfg.prevent_scale_down_after_capacity_loss);
	assert_int_equal(cfg.instance_loss_threshold, 0);
	assert_int_equal(parse_pool("pool_config: {autoscaling: {setpoint: 0.5}}\n", &cfg, &e), 0);
	assert_false(cfg.prevent_scale_down_after_capacity_loss);
	assert_int_equal(cfg.instance_loss_threshold, 0);
	cman_pool_config_release(&cfg);
	assert_int_equal(parse_pool("pool_config:\n  autoscaling:\n"
				    "    prevent_scale_down_after_capacity_loss: yes\n"
				    "    instance_loss_threshold: 3\n", &cfg, &e), 0);
	assert_true(cfg.prevent_scale_down_after_capacity_loss);
	assert_int_equal(cfg.instance_loss_threshold, 3);
	cman_pool_config_release(&cfg);
	assert_false(cfg.prevent_scale_down_after_capacity_loss);   /* back to defaults */
	assert_int_equal(cfg.instance_loss_threshold, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_pool(bad[i].text, &cfg, &e) != CMAN_EINVAL)
			fail_msg("case %zu: expected failure", i);
		assert_contains(e.msg, bad[i].want);
		assert_false(cfg.prevent_scale_down_after_capacity_loss);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_tree),
		cmocka_unit_test(test_load_empty),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_typed_reads),
		cmocka_unit_test(test_check_keys),
		cmocka_unit_test(test_node_error_and_copy),
		cmocka_unit_test(test_set_path),
		cmocka_unit_test(test_set_path_index),
		cmocka_unit_test(test_write_yaml),
		cmocka_unit_test(test_pool_defaults),
		cmocka_unit_test(test_pool_full),
		cmocka_unit_test(test_pool_scalein_off),
		cmocka_unit_test(test_pool_errors),
		cmocka_unit_test(test_pool_capacity_loss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
