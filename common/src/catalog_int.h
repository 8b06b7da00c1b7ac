/*
 * catalog_int.h - the layout of a catalog (private to the catalog module).
 *
 * Shared by common/src/catalog.c (which parses catalogs and answers every
 * query), common/catalog_gen.c (the build-time program that parses the
 * shipped CSV files with that same parser and writes the built-in catalog
 * out as C tables) and the catalog_data.c it generates.  A parsed catalog
 * owns its arrays (cman_catalog_free); the built-in one is static const data
 * and is never freed.
 */
#ifndef CMAN_CATALOG_INT_H
#define CMAN_CATALOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cman/catalog.h"

#define CMAN_CATALOG_MAX_TABLES 16
#define CMAN_CATALOG_TABLE_NAME_MAX 32

struct cman_catalog_price {
	int type;      /* index into cat->types */
	int region;    /* index into catalog.c's table of regions (sorted by name) */
	int table;     /* index into cat->tables (the row's source tag) */
	double usd;
	int line;      /* source line, for duplicate reports while loading */
};

/* A dated price table: the rows sharing one source tag. */
struct cman_catalog_table {
	char name[CMAN_CATALOG_TABLE_NAME_MAX];
	int64_t time;   /* the date its tag starts with; CMAN_CATALOG_UNDATED */
};

struct cman_catalog {
	const struct cman_instance_type *types;   /* ntypes, sorted by name */
	size_t ntypes;
	const struct cman_catalog_price *prices;  /* nprices, sorted (type, region, table) */
	size_t nprices;
	struct cman_catalog_table tables[CMAN_CATALOG_MAX_TABLES];   /* in order of first appearance */
	size_t ntables;
	const size_t *price_start;                /* ntypes + 1 offsets into prices */
	char *names;   /* arena of the type names of a parsed catalog; NULL when built in */
};

#endif
