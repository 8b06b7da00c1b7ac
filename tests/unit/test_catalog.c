/* Tests for cman/catalog.h: the built-in catalog, loading, prices, regions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cman_test.h"

#include "catalog_int.h"   /* the layouts, to compare entry for entry */
#include "cman/catalog.h"
#include "cman/err.h"

#define TYPES_HDR "instance_type,vcpu,memory_gib,local_disk_gb,gpus\n"
#define PRICES_HDR "instance_type,region,usd_per_hour,source\n"

static const struct cman_catalog *builtin(void)
{
	const struct cman_catalog *cat = NULL;
	struct cman_error err = { 0 };

	assert_int_equal(cman_catalog_builtin(&cat, &err), 0);
	assert_non_null(cat);
	return cat;
}

static size_t data_rows(const char *name)
{
	char path[4096], line[512];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/common/data/%s", CMAN_SOURCE_DIR, name);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n - 1;
}

static void test_builtin_loads(void **state)
{
	const struct cman_catalog *a = builtin(), *b = builtin();
	size_t n = cman_catalog_count(a);

	assert_ptr_equal(a, b);   /* parsed once */
	assert_int_equal(n, data_rows("ec2_instance_types.csv"));
	assert_true(n > 1000);
	for (size_t i = 0; i < n; i++) {
		const struct cman_instance_type *t = cman_catalog_type(a, i);

		assert_non_null(t);
		assert_int_equal(t->index, (int)i);
		assert_ptr_equal(cman_catalog_find(a, t->name), t);
		assert_true(t->cpus > 0 && t->mem_mb > 0);
		assert_true(t->has_local_disk == (t->disk_mb > 0));
		if (i > 0)
			assert_true(strcmp(cman_catalog_type(a, i - 1)->name, t->name) < 0);
	}
	assert_null(cman_catalog_type(a, n));
}

struct spec_case {
	const char *name;
	double cpus, mem_mb, disk_mb, gpus;
	bool has_disk;
};

static const struct spec_case spec_cases[] = {
	{ "m4.10xlarge", 40, 163840, 0, 0, false },
	{ "c3.8xlarge", 32, 60 * 1024, 640 * 1024, 0, true },      /* 2 x 320 SSD */
	{ "d2.8xlarge", 36, 244 * 1024, 48000 * 1024.0, 0, true }, /* 24 x 2000 HDD */
	{ "m3.medium", 1, 3.75 * 1024, 4 * 1024, 0, true },        /* 1 x 4 SSD */
	{ "m5.large", 2, 8192, 0, 0, false },                      /* 2026 only */
	{ "p3.2xlarge", 8, 61 * 1024, 0, 1, false },
	{ "m1.small", 1, 1740, 0, 0, false },                      /* 1740 MiB */
	{ "g2.8xlarge", 32, 60 * 1024, 240 * 1024, 4, true },      /* 2016 only */
	{ "g2.2xlarge", 8, 15 * 1024, 60 * 1024, 1, true },        /* 2016 only */
};

/*
 * Issue 8.3: every type the shipped catalog lists carries its memory and a
 * GPU count (0 written out, never an empty field): the g2 family had none.
 * Read the data file itself, so an empty field cannot hide behind a parser
 * that reads it as 0.
 */
static void test_shipped_types_have_memory_and_gpus(void **state)
{
	char path[4096], line[512];
	size_t n = 0, gpu_types = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/common/data/ec2_instance_types.csv", CMAN_SOURCE_DIR);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, TYPES_HDR);
	while (fgets(line, sizeof(line), f)) {
		char *field[5], *p = line, *nl = strchr(line, '\n');
		int k = 0;

		if (nl)
			*nl = '\0';
		for (k = 0; k < 5; k++) {
			field[k] = p;
			p = strchr(p, ',');
			if (!p && k < 4)
				fail_msg("%s:%zu: expected 5 fields", path, n + 2);
			if (p)
				*p++ = '\0';
		}
		if (!field[2][0] || strtod(field[2], NULL) <= 0)
			fail_msg("%s:%zu: %s has no memory", path, n + 2, field[0]);
		if (!field[4][0])
			fail_msg("%s:%zu: %s has no GPU count", path, n + 2, field[0]);
		gpu_types += strtod(field[4], NULL) > 0;
		n++;
	}
	fclose(f);
	assert_int_equal(n, cman_catalog_count(builtin()));
	assert_true(gpu_types > 50);
}

static void test_builtin_specs(void **state)
{
	const struct cman_catalog *cat = builtin();

	for (size_t i = 0; i < sizeof(spec_cases) / sizeof(spec_cases[0]); i++) {
		const struct spec_case *c = &spec_cases[i];
		const struct cman_instance_type *t = cman_catalog_find(cat, c->name);

		if (!t)
			fail_msg("%s missing", c->name);
		assert_string_equal(t->name, c->name);
		assert_true(t->cpus == c->cpus);
		if (t->mem_mb != c->mem_mb)
			fail_msg("%s: mem %g, want %g", c->name, t->mem_mb, c->mem_mb);
		assert_true(t->disk_mb == c->disk_mb);
		assert_true(t->gpus == c->gpus);
		assert_int_equal(t->has_local_disk, c->has_disk);
	}
}

static void test_find_unknown(void **state)
{
	const struct cman_catalog *cat = builtin();

	assert_null(cman_catalog_find(cat, "m4.11xlarge"));
	assert_null(cman_catalog_find(cat, ""));
	assert_null(cman_catalog_find(cat, "m4.10xlarg"));
	assert_null(cman_catalog_find(cat, "m4.10xlargee"));
	assert_null(cman_catalog_find(cat, NULL));
}

struct price_case {
	const char *type, *region;
	double usd;
	const char *used;
};

static const struct price_case price_cases[] = {
	{ "m4.10xlarge", "us-east-1", 2.0, "us-east-1" },     /* 2026 data wins */
	{ "m4.10xlarge", "us-west-2", 2.394, "us-west-2" },   /* 2016 data */
	{ "c3.8xlarge", "us-west-2", 1.68, "us-west-2" },
	{ "c3.8xlarge", "sa-east-1", 2.6, "sa-east-1" },
	{ "m5.large", "us-west-2", 0.096, "us-east-1" },      /* 2026 only */
	{ "m5.large", "ap-southeast-2", 0.096, "us-east-1" },
	{ "m4.10xlarge", "sa-east-1", 2.0, "us-east-1" },     /* nearest to Sao Paulo */
	{ "m4.10xlarge", "eu-west-2", 2.641, "eu-west-1" },   /* London -> Dublin */
	{ "m4.10xlarge", "eu-central-2", 2.85, "eu-central-1" },
	{ "m4.10xlarge", "ap-south-2", 3.375, "ap-south-1" }, /* Hyderabad -> Mumbai */
	{ "m4.10xlarge", "ap-northeast-3", 3.477, "ap-northeast-1" },
	{ "m4.10xlarge", "us-east-2", 2.0, "us-east-1" },
	{ "d2.8xlarge", "us-west-1", 5.52, "us-west-2" },     /* not us-gov-west-1 */
	{ "d2.8xlarge", "us-gov-east-1", 6.624, "us-gov-west-1" }, /* same partition */
	{ "m4.10xlarge", "cn-north-1", 3.303, "ap-northeast-2" },  /* no cn price */
	{ "m4.10xlarge", "mars-north-1", 2.0, "us-east-1" },  /* unknown location */
	{ "m4.10xlarge", NULL, 2.0, "us-east-1" },
};

static void test_prices(void **state)
{
	const struct cman_catalog *cat = builtin();

	for (size_t i = 0; i < sizeof(price_cases) / sizeof(price_cases[0]); i++) {
		const struct price_case *c = &price_cases[i];
		const struct cman_instance_type *t = cman_catalog_find(cat, c->type);
		const char *used = NULL;
		double usd = -1;

		assert_non_null(t);
		assert_int_equal(cman_catalog_ondemand_price(cat, t, c->region, &usd, &used), 0);
		assert_non_null(used);
		if (usd != c->usd || strcmp(used, c->used) != 0)
			fail_msg("%s in %s: %g from %s, want %g from %s", c->type,
				 c->region ? c->region : "(null)", usd, used, c->usd, c->used);
	}
	/* used_region may be NULL */
	{
		double usd = 0;

		assert_int_equal(cman_catalog_ondemand_price(cat,
			cman_catalog_find(cat, "c3.8xlarge"), "us-west-2", &usd, NULL), 0);
		assert_true(usd == 1.68);
	}
	assert_int_equal(cman_catalog_ondemand_price(cat, NULL, "us-east-1", &(double){ 0 },
						     NULL), CMAN_ENOTFOUND);
}

/* Every built-in type has a us-east-1 price (directly or by fallback). */
/* Dated tables: the built-in catalog has the 2016-07 and 2026-07 tables;
 * a time picks the table nearest to it (issue 8.4). */
static void test_dated_prices(void **state)
{
	const struct cman_catalog *cat = builtin();
	const struct cman_instance_type *m4 = cman_catalog_find(cat, "m4.10xlarge");
	const struct cman_instance_type *m5 = cman_catalog_find(cat, "m5.large");
	const int64_t mar2016 = 1456790400, jan2021 = 1609459200, jan2022 = 1640995200;
	const char *used = NULL, *table = NULL;
	double usd = 0;
	int t16, t26;

	assert_int_equal(cman_catalog_n_tables(cat), 2);
	t16 = cman_catalog_table_find(cat, "2016-07");
	t26 = cman_catalog_table_find(cat, "2026-07");
	assert_true(t16 >= 0 && t26 >= 0);
	assert_true(cman_catalog_table_time(cat, (size_t)t16) == 1467331200);   /* 2016-07-01 */
	assert_true(cman_catalog_table_time(cat, (size_t)t26) == 1782864000);   /* 2026-07-01 */
	assert_int_equal(cman_catalog_table_find(cat, "2017"), -1);
	assert_int_equal(cman_catalog_table_at(cat, mar2016), t16);
	assert_int_equal(cman_catalog_table_at(cat, jan2021), t16);   /* nearer 2016-07 */
	assert_int_equal(cman_catalog_table_at(cat, jan2022), t26);
	/* AWS's 2016 price list: m4.10xlarge in us-east-1 was $2.394/h */
	assert_int_equal(cman_catalog_ondemand_price_at(cat, m4, "us-east-1", mar2016, -1,
							&usd, &used, &table), 0);
	assert_true(usd == 2.394);
	assert_string_equal(used, "us-east-1");
	assert_string_equal(table, "2016-07");
	assert_int_equal(cman_catalog_ondemand_price_at(cat, m4, "us-east-1a", jan2022, -1,
							&usd, NULL, &table), 0);
	/* an unknown region name is located at us-east-1 */
	assert_true(usd == 2.0);
	assert_string_equal(table, "2026-07");
	/* a table asked for by index wins over the time */
	assert_int_equal(cman_catalog_ondemand_price_at(cat, m4, "us-east-1", mar2016, t26,
							&usd, NULL, &table), 0);
	assert_true(usd == 2.0);
	assert_string_equal(table, "2026-07");
	/* a type the 2016 table lacks comes from the 2026 one */
	assert_int_equal(cman_catalog_ondemand_price_at(cat, m5, "us-east-1", mar2016, -1,
							&usd, NULL, &table), 0);
	assert_true(usd == 0.096);
	assert_string_equal(table, "2026-07");
	/* the region comes first: eu-west-1 is only in the 2016 table */
	assert_int_equal(cman_catalog_ondemand_price_at(cat, m4, "eu-west-1", jan2022, -1,
							&usd, &used, &table), 0);
	assert_true(usd == 2.641);
	assert_string_equal(table, "2016-07");
	/* the old call is the newest table */
	assert_int_equal(cman_catalog_ondemand_price(cat, m4, "us-east-1", &usd, NULL), 0);
	assert_true(usd == 2.0);
}

static void test_every_type_priced(void **state)
{
	const struct cman_catalog *cat = builtin();

	for (size_t i = 0; i < cman_catalog_count(cat); i++) {
		double usd = 0;
		const char *used = NULL;

		assert_int_equal(cman_catalog_ondemand_price(cat, cman_catalog_type(cat, i),
							     "eu-west-3", &usd, &used), 0);
		assert_true(usd > 0);
		assert_true(cman_region_known(used));
	}
}

/* ---- files ---- */

static char tmpdir[128];

static int setup_tmp(void **state)
{
	return cman_test_mkdtemp(tmpdir, sizeof(tmpdir), "cman_test_catalog_") ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/types.csv", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/prices.csv", tmpdir);
	unlink(path);
	return rmdir(tmpdir);
}

static void write_file(const char *name, const char *text, char *path, size_t n)
{
	FILE *f;

	snprintf(path, n, "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static int load_texts(const char *types, const char *prices, struct cman_catalog **cat,
		      struct cman_error *err, char *tpath, char *ppath)
{
	write_file("types.csv", types, tpath, 128);
	write_file("prices.csv", prices, ppath, 128);
	return cman_catalog_load(tpath, ppath, cat, err);
}

static void test_load_small(void **state)
{
	char tp[128], pp[128];
	struct cman_catalog *cat = NULL;
	struct cman_error err = { 0 };
	const struct cman_instance_type *t;
	const char *used = NULL;
	double usd = 0;

	/* CRLF, blank lines, unsorted rows */
	assert_int_equal(load_texts(
		"instance_type,vcpu,memory_gib,local_disk_gb,gpus\r\n"
		"z1.big,4,16,0,0\r\n"
		"\r\n"
		"a1.small,1,0.5,75,2\r\n"
		"x9.only,2,4,,0\r\n",
		PRICES_HDR
		"z1.big,us-west-2,0.5,test\n"
		"z1.big,eu-west-1,0.25,test\n"
		"a1.small,us-east-1,0.01,test\n"
		"\n",
		&cat, &err, tp, pp), 0);
	assert_int_equal(cman_catalog_count(cat), 3);
	assert_string_equal(cman_catalog_type(cat, 0)->name, "a1.small");
	assert_string_equal(cman_catalog_type(cat, 2)->name, "z1.big");
	t = cman_catalog_find(cat, "a1.small");
	assert_non_null(t);
	assert_true(t->mem_mb == 512 && t->disk_mb == 75 * 1024 && t->gpus == 2);
	assert_true(t->has_local_disk);
	t = cman_catalog_find(cat, "z1.big");
	assert_false(t->has_local_disk);   /* explicit 0 */
	assert_true(t->gpus == 0);
	/* unknown location, us-east-1 not priced: nearest to us-east-1 */
	assert_int_equal(cman_catalog_ondemand_price(cat, t, "nowhere-1", &usd, &used), 0);
	assert_string_equal(used, "us-west-2");
	assert_true(usd == 0.5);
	assert_int_equal(cman_catalog_ondemand_price(cat, t, "eu-north-1", &usd, &used), 0);
	assert_string_equal(used, "eu-west-1");
	/* no price anywhere */
	t = cman_catalog_find(cat, "x9.only");
	assert_int_equal(cman_catalog_ondemand_price(cat, t, "us-east-1", &usd, &used),
			 CMAN_ENOTFOUND);
	/* a type from another catalog is looked up by name */
	assert_int_equal(cman_catalog_ondemand_price(builtin(),
		cman_catalog_find(cat, "a1.small"), "us-east-1", &usd, NULL), CMAN_ENOTFOUND);
	assert_int_equal(cman_catalog_ondemand_price(cat,
		cman_catalog_find(builtin(), "m5.large"), "us-east-1", &usd, NULL),
		CMAN_ENOTFOUND);
	cman_catalog_free(cat);
	cman_catalog_free(NULL);
}

/* Source tags: dated or not, one table each, duplicates within a table only. */
static void test_tables_loaded(void **state)
{
	char tp[128], pp[128];
	struct cman_catalog *cat = NULL;
	struct cman_error err = { 0 };
	const char *table = NULL;
	double usd = 0;

	assert_int_equal(load_texts(
		"instance_type,vcpu,memory_gib,local_disk_gb,gpus\n"
		"z1.big,4,16,0,0\n",
		"instance_type,region,usd_per_hour,source\n"
		"z1.big,us-east-1,1,2010\n"
		"z1.big,us-east-1,2,2020-02-29 list\n"
		"z1.big,us-east-1,3,custom\n"
		"z1.big,us-east-1,4,2030-13\n",
		&cat, &err, tp, pp), 0);
	assert_int_equal(cman_catalog_n_tables(cat), 4);
	assert_true(cman_catalog_table_time(cat, 0) == 1262304000);      /* 2010-01-01 */
	assert_true(cman_catalog_table_time(cat, 1) == 1582934400);      /* 2020-02-29 */
	assert_true(cman_catalog_table_time(cat, 2) == CMAN_CATALOG_UNDATED);
	assert_true(cman_catalog_table_time(cat, 3) == CMAN_CATALOG_UNDATED);   /* month 13 */
	assert_null(cman_catalog_table_name(cat, 4));
	assert_int_equal(cman_catalog_ondemand_price_at(cat, cman_catalog_find(cat, "z1.big"),
							"us-east-1", 1300000000, -1, &usd, NULL,
							&table), 0);
	assert_true(usd == 1);
	assert_int_equal(cman_catalog_ondemand_price_at(cat, cman_catalog_find(cat, "z1.big"),
							"us-east-1", 2000000000, -1, &usd, NULL,
							&table), 0);
	assert_true(usd == 2);   /* undated tables come last */
	assert_int_equal(cman_catalog_ondemand_price_at(cat, cman_catalog_find(cat, "z1.big"),
							"us-east-1", 2000000000, 2, &usd, NULL,
							&table), 0);
	assert_true(usd == 3);
	assert_string_equal(table, "custom");
	cman_catalog_free(cat);
}

/* The same double, bit for bit (== would let -0.0 pass for 0.0). */
static bool same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/*
 * Issue 12: the built-in catalog is compiled in (tables written at build time
 * by common/catalog_gen.c), not parsed at start-up.  Loading the shipped CSV
 * files through the run-time parser must give the same catalog, entry for
 * entry: every type with its specs, every price row with its region, table
 * and source line, the per-type offsets and the dated tables.  The layouts
 * are read through catalog_int.h, so a row the generator dropped, reordered
 * or rounded fails here even if no lookup asks for it.
 */
static void test_load_shipped(void **state)
{
	char tp[4096], pp[4096];
	struct cman_catalog *cat = NULL;
	const struct cman_catalog *b = builtin();
	struct cman_error err = { 0 };

	snprintf(tp, sizeof(tp), "%s/common/data/ec2_instance_types.csv", CMAN_SOURCE_DIR);
	snprintf(pp, sizeof(pp), "%s/common/data/ec2_ondemand_prices.csv", CMAN_SOURCE_DIR);
	if (cman_catalog_load(tp, pp, &cat, &err) != 0)
		fail_msg("%s", err.msg);
	assert_ptr_not_equal(cat, b);
	assert_int_equal(cat->ntypes, b->ntypes);
	assert_int_equal(cat->ntypes, data_rows("ec2_instance_types.csv"));
	for (size_t i = 0; i < cat->ntypes; i++) {
		const struct cman_instance_type *x = &cat->types[i], *y = &b->types[i];

		assert_string_equal(x->name, y->name);
		if (!same_double(x->cpus, y->cpus) || !same_double(x->mem_mb, y->mem_mb) ||
		    !same_double(x->disk_mb, y->disk_mb) || !same_double(x->gpus, y->gpus))
			fail_msg("%s: specs differ (%.17g %.17g %.17g %.17g vs %.17g %.17g %.17g %.17g)",
				 x->name, x->cpus, x->mem_mb, x->disk_mb, x->gpus, y->cpus,
				 y->mem_mb, y->disk_mb, y->gpus);
		assert_int_equal(x->has_local_disk, y->has_local_disk);
		assert_int_equal(x->index, y->index);
		assert_ptr_equal(cman_catalog_find(b, x->name), y);
	}
	assert_int_equal(cat->nprices, b->nprices);
	assert_int_equal(cat->nprices, data_rows("ec2_ondemand_prices.csv"));
	for (size_t i = 0; i < cat->nprices; i++) {
		const struct cman_catalog_price *x = &cat->prices[i], *y = &b->prices[i];

		assert_int_equal(x->type, y->type);
		assert_int_equal(x->region, y->region);
		assert_int_equal(x->table, y->table);
		assert_int_equal(x->line, y->line);
		if (!same_double(x->usd, y->usd))
			fail_msg("price row %zu (line %d): %.17g vs %.17g", i, x->line, x->usd,
				 y->usd);
	}
	for (size_t i = 0; i <= cat->ntypes; i++)
		assert_int_equal(cat->price_start[i], b->price_start[i]);
	assert_int_equal(cat->ntables, b->ntables);
	assert_int_equal(cman_catalog_n_tables(b), 2);
	for (size_t i = 0; i < cat->ntables; i++) {
		assert_string_equal(cat->tables[i].name, b->tables[i].name);
		assert_true(cat->tables[i].time == b->tables[i].time);
	}
	/* and through the public API: every type priced alike from a few places */
	for (size_t i = 0; i < cman_catalog_count(cat); i++) {
		const struct cman_instance_type *x = cman_catalog_type(cat, i);
		const struct cman_instance_type *y = cman_catalog_type(b, i);
		static const char *const from[] = { "ap-south-1", "us-east-1", "eu-west-1",
						    "us-gov-west-1" };

		for (size_t k = 0; k < sizeof(from) / sizeof(from[0]); k++) {
			double px = 0, py = 0;
			const char *ux = NULL, *uy = NULL, *tx = NULL, *ty = NULL;

			assert_int_equal(cman_catalog_ondemand_price_at(cat, x, from[k], 1500000000, -1,
									&px, &ux, &tx), 0);
			assert_int_equal(cman_catalog_ondemand_price_at(b, y, from[k], 1500000000, -1,
									&py, &uy, &ty), 0);
			assert_true(same_double(px, py));
			assert_string_equal(ux, uy);
			assert_string_equal(tx, ty);
		}
	}
	cman_catalog_free(cat);
}

struct bad_case {
	const char *types, *prices;
	int rc;
	const char *file;   /* "types.csv" or "prices.csv" */
	const char *where;  /* expected ":LINE:" or ":LINE:COL:" after the file */
	const char *what;   /* a substring of the message */
};

#define T1 "m1.x,1,2,,0\n"
static const struct bad_case bad_cases[] = {
	{ "", PRICES_HDR, CMAN_EINVAL, "types.csv", ":1:", "header" },
	{ "instance_type,vcpu,memory_gib,local_disk_gb\n", PRICES_HDR, CMAN_EINVAL,
	  "types.csv", ":1:", "header" },
	{ "instance_type,vcpu,memory_gib,local_disk_gb,gpu\n", PRICES_HDR, CMAN_EINVAL,
	  "types.csv", ":1:", "header" },
	{ "instance_type,vcpu,memory_gib,local_disk_gb,gpusX\n", PRICES_HDR, CMAN_EINVAL,
	  "types.csv", ":1:", "header" },
	{ TYPES_HDR T1 "m1.y,1,2,0\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:",
	  "expected 5" },
	{ TYPES_HDR T1 "m1.y,1,2,0,0,0\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:",
	  "expected 5" },
	{ TYPES_HDR T1 "m1.y,x,2,,0\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:6:",
	  "vcpu" },
	{ TYPES_HDR T1 "m1.y,-1,2,,0\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:6:",
	  "vcpu" },
	{ TYPES_HDR T1 "m1.y,0,2,,0\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:6:",
	  "positive" },
	{ TYPES_HDR T1 "m1.y,1,,,0\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:8:",
	  "memory_gib" },
	{ TYPES_HDR T1 "m1.y,1,2.,,0\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:8:",
	  "memory_gib" },
	{ TYPES_HDR T1 "m1.y,1,1e3,,0\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:8:",
	  "memory_gib" },
	{ TYPES_HDR T1 "m1.y,1,2,nan,0\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:10:",
	  "local_disk_gb" },
	{ TYPES_HDR T1 "m1.y,1,2,,two\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:11:",
	  "gpus" },
	{ TYPES_HDR T1 "m1.y,1,2,,\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:11:",
	  "gpus: expected a number, got an empty field" },
	{ TYPES_HDR T1 ",1,2,,0\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:1:",
	  "instance_type" },
	{ TYPES_HDR T1 "m1 x,1,2,,0\n", PRICES_HDR, CMAN_EINVAL, "types.csv", ":3:1:",
	  "instance_type" },
	{ TYPES_HDR T1 "m1.z,1,2,,0\n" T1, PRICES_HDR, CMAN_EINVAL, "types.csv", ":4:",
	  "duplicate" },
	{ TYPES_HDR T1, "", CMAN_EINVAL, "prices.csv", ":1:", "header" },
	{ TYPES_HDR T1, "instance_type,region,usd_per_hour\n", CMAN_EINVAL, "prices.csv",
	  ":1:", "header" },
	{ TYPES_HDR T1, PRICES_HDR "m1.x,us-east-1,0.1,t\nm1.q,us-east-1,0.1,t\n",
	  CMAN_EINVAL, "prices.csv", ":3:1:", "not in the types file" },
	{ TYPES_HDR T1, PRICES_HDR "m1.x,us-east-9,0.1,t\n", CMAN_EINVAL, "prices.csv",
	  ":2:6:", "region" },
	{ TYPES_HDR T1, PRICES_HDR "m1.x,us-east-1a,0.1,t\n", CMAN_EINVAL, "prices.csv",
	  ":2:6:", "region" },
	{ TYPES_HDR T1, PRICES_HDR "m1.x,us-east-1,,t\n", CMAN_EINVAL, "prices.csv",
	  ":2:16:", "usd_per_hour" },
	{ TYPES_HDR T1, PRICES_HDR "m1.x,us-east-1,0,t\n", CMAN_EINVAL, "prices.csv",
	  ":2:16:", "positive" },
	{ TYPES_HDR T1, PRICES_HDR "m1.x,us-east-1,0.1,\n", CMAN_EINVAL, "prices.csv",
	  ":2:20:", "source" },
	{ TYPES_HDR T1, PRICES_HDR "m1.x,us-east-1,0.1\n", CMAN_EINVAL, "prices.csv",
	  ":2:", "expected 4" },
	{ TYPES_HDR T1, PRICES_HDR "m1.x,us-east-1,0.1,a\nm1.x,eu-west-1,1,a\n"
	  "m1.x,us-east-1,0.2,a\n", CMAN_EINVAL, "prices.csv", ":4:", "duplicate" },
};

static void test_load_errors(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct cman_catalog *cat = (struct cman_catalog *)0x1;
		struct cman_error err = { 0 };
		char tp[128], pp[128], want[256];
		int rc = load_texts(c->types, c->prices, &cat, &err, tp, pp);

		snprintf(want, sizeof(want), "%s/%s%s", tmpdir, c->file, c->where);
		if (rc != c->rc || err.code != c->rc || strncmp(err.msg, want, strlen(want)) ||
		    !strstr(err.msg, c->what))
			fail_msg("case %zu: rc %d, message \"%s\"; want %d, \"%s...%s\"", i, rc,
				 err.msg, c->rc, want, c->what);
		assert_ptr_equal(cat, (struct cman_catalog *)0x1);   /* untouched */
	}
}

static void test_load_missing_file(void **state)
{
	struct cman_catalog *cat = NULL;
	struct cman_error err = { 0 };
	char tp[128], pp[128];

	write_file("types.csv", TYPES_HDR T1, tp, sizeof(tp));
	snprintf(pp, sizeof(pp), "%s/does-not-exist.csv", tmpdir);
	assert_int_equal(cman_catalog_load(tp, pp, &cat, &err), CMAN_EIO);
	assert_non_null(strstr(err.msg, "does-not-exist.csv"));
	assert_null(cat);
	assert_int_equal(cman_catalog_load(pp, tp, &cat, NULL), CMAN_EIO);
	assert_null(cat);
}

/* ---- regions ---- */

static const char *all_regions[] = {
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
	"ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
	"ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6",
	"ap-southeast-7", "ca-central-1", "ca-west-1", "cn-north-1", "cn-northwest-1",
	"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
	"me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
	"us-gov-east-1", "us-gov-west-1", "us-west-1", "us-west-2",
};

static void test_regions_known(void **state)
{
	for (size_t i = 0; i < sizeof(all_regions) / sizeof(all_regions[0]); i++)
		if (!cman_region_known(all_regions[i]))
			fail_msg("%s not known", all_regions[i]);
	assert_false(cman_region_known("us-east-3"));
	assert_false(cman_region_known("us-east"));
	assert_false(cman_region_known("us-east-1a"));
	assert_false(cman_region_known("US-EAST-1"));
	assert_false(cman_region_known(""));
	assert_false(cman_region_known(NULL));
}

struct az_case {
	const char *az;
	int rc;
	const char *region;
};

static const struct az_case az_cases[] = {
	{ "us-west-2a", 0, "us-west-2" },
	{ "us-east-1f", 0, "us-east-1" },
	{ "eu-central-1z", 0, "eu-central-1" },
	{ "us-gov-west-1b", 0, "us-gov-west-1" },
	{ "cn-northwest-1c", 0, "cn-northwest-1" },
	{ "ap-southeast-2a", 0, "ap-southeast-2" },
	{ "mars-west-2a", CMAN_EINVAL, NULL },
	{ "us-west-9a", CMAN_EINVAL, NULL },
	{ "us-west-2", CMAN_EINVAL, NULL },
	{ "us-west-2ab", CMAN_EINVAL, NULL },
	{ "us-west-2A", CMAN_EINVAL, NULL },
	{ "us-west-21", CMAN_EINVAL, NULL },
	{ "us-west-2-lax-1a", CMAN_EINVAL, NULL },
	{ "usw2-az1", CMAN_EINVAL, NULL },
	{ "a", CMAN_EINVAL, NULL },
	{ "", CMAN_EINVAL, NULL },
	{ NULL, CMAN_EINVAL, NULL },
};

static void test_region_of_az(void **state)
{
	for (size_t i = 0; i < sizeof(az_cases) / sizeof(az_cases[0]); i++) {
		const struct az_case *c = &az_cases[i];
		char region[32] = "untouched";
		int rc = cman_region_of_az(c->az, region, sizeof(region));

		if (rc != c->rc)
			fail_msg("%s: rc %d, want %d", c->az ? c->az : "(null)", rc, c->rc);
		if (rc == 0)
			assert_string_equal(region, c->region);
		else
			assert_string_equal(region, "untouched");
	}
}

static void test_region_of_az_small_buffer(void **state)
{
	char region[10];

	assert_int_equal(cman_region_of_az("us-west-2a", region, 10), 0);   /* exact fit */
	assert_string_equal(region, "us-west-2");
	assert_int_equal(cman_region_of_az("us-west-2a", region, 9), CMAN_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_loads),
		cmocka_unit_test(test_builtin_specs),
		cmocka_unit_test(test_shipped_types_have_memory_and_gpus),
		cmocka_unit_test(test_find_unknown),
		cmocka_unit_test(test_prices),
		cmocka_unit_test(test_dated_prices),
		cmocka_unit_test(test_every_type_priced),
		cmocka_unit_test(test_load_small),
		cmocka_unit_test(test_tables_loaded),
		cmocka_unit_test(test_load_shipped),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_regions_known),
		cmocka_unit_test(test_region_of_az),
		cmocka_unit_test(test_region_of_az_small_buffer),
	};

	return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
