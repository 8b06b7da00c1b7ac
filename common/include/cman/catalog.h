/*
 * catalog.h - the EC2 instance-type catalog and AWS regions.
 *
 * The catalog ships inside the library (built from the CSV files in
 * common/data/, see README "Data sources" and common/data/SOURCES.md): per
 * instance type its vCPUs, memory, local disk, GPUs and Linux on-demand
 * price per region.  Units follow SPEC §1:
 * memory and disk in MB (catalog GiB/GB times 1024).
 */
#ifndef CMAN_CATALOG_H
#define CMAN_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cman/err.h"

struct cman_catalog;

struct cman_instance_type {
	const char *name;      /* "c5.xlarge" */
	double cpus;           /* vCPUs */
	double mem_mb;         /* memory, MB (GiB * 1024) */
	double disk_mb;        /* local instance storage, MB; 0 when none */
	bool has_local_disk;   /* false: EBS-only (or not known to the catalog) */
	double gpus;
	int index;             /* dense 0..n-1, stable within one catalog */
};

/*
 * The built-in catalog: static data compiled in from the shipped CSV files
 * (common/catalog_gen.c), so asking for it costs nothing.  Owned by the
 * library (lives until exit), the same object at every call.  Returns 0;
 * err is not used (kept for callers written when it was parsed at run time).
 */
int cman_catalog_builtin(const struct cman_catalog **out, struct cman_error *err);

/*
 * Load a catalog from two CSV files with the layouts of
 * common/data/ec2_instance_types.csv and common/data/ec2_ondemand_prices.csv.
 * Caller frees with cman_catalog_free().  CMAN_EINVAL names file:line.
 *
 * Types file: header "instance_type,vcpu,memory_gib,local_disk_gb,gpus";
 * vcpu and memory_gib positive decimals, gpus a decimal (a count is
 * required: 0 is written out), local_disk_gb a decimal or empty (no local
 * disk).  Prices file: header
 * "instance_type,region,usd_per_hour,source"; every type must be in the
 * types file, every region known (cman_region_known), the price positive,
 * the source tag non-empty.  Empty lines are skipped; duplicate types or
 * (type, region) pairs are errors.  CMAN_EIO when a file cannot be read.
 */
int cman_catalog_load(const char *types_csv, const char *prices_csv,
		      struct cman_catalog **out, struct cman_error *err);
void cman_catalog_free(struct cman_catalog *cat);

size_t cman_catalog_count(const struct cman_catalog *cat);

/* The type with index i (0 <= i < count), or NULL when i is out of range. */
const struct cman_instance_type *cman_catalog_type(const struct cman_catalog *cat,
						   size_t index);

/* Look up a type by name; NULL when the catalog does not have it. */
const struct cman_instance_type *cman_catalog_find(const struct cman_catalog *cat,
						   const char *name);

/*
 * Dated price tables.  The rows of the prices file that share a source tag
 * form one table ("2016-07", "2026-07" in the built-in catalog).  A tag
 * that starts with "YYYY", "YYYY-MM" or "YYYY-MM-DD" dates its table (the
 * first day of that year, month or day, epoch seconds); other tags are
 * undated (CMAN_CATALOG_UNDATED), ranked after every dated table.
 * Tables are numbered in order of first appearance in the file.
 */
#define CMAN_CATALOG_UNDATED INT64_MIN

size_t cman_catalog_n_tables(const struct cman_catalog *cat);
/* Name (source tag) and date of table i; NULL / UNDATED when out of range. */
const char *cman_catalog_table_name(const struct cman_catalog *cat, size_t i);
int64_t cman_catalog_table_time(const struct cman_catalog *cat, size_t i);
/* The index of the table named name, or -1. */
int cman_catalog_table_find(const struct cman_catalog *cat, const char *name);
/* The table whose date is nearest to t (ties: the first), or -1 when the
 * catalog has none. */
int cman_catalog_table_at(const struct cman_catalog *cat, int64_t t);

/*
 * On-demand price of a type in a region at time t (epoch seconds), dollars
 * per hour.  Among the catalog's prices of the type, the nearest region
 * wins (the rules below); among the tables that price that region, table
 * (an index; -1 for none) if it does, else the one whose date is nearest
 * to t.  *used_region and *used_table (each may be NULL) tell which region
 * and table priced it; they point into the catalog or a static table.
 * Returns 0, or CMAN_ENOTFOUND when no region has a price for the type.
 */
int cman_catalog_ondemand_price_at(const struct cman_catalog *cat,
				   const struct cman_instance_type *type,
				   const char *region, int64_t t, int table,
				   double *price, const char **used_region,
				   const char **used_table);

/*
 * On-demand price of a type in a region, dollars per hour, from the newest
 * table (cman_catalog_ondemand_price_at at the end of time).  When the catalog
 * has no price for that region, the price of the geographically nearest
 * region that has one is used (us-east-1 first when the region's location is
 * unknown); *used_region (may be NULL) tells which region priced it.
 * Regions of the same partition (commercial, us-gov-*, cn-*) are preferred
 * to nearer ones of another partition; ties go to the first region by name.
 * *used_region points into a static table (lives until exit).
 * Returns 0, or CMAN_ENOTFOUND when no region has a price for the type.
 */
int cman_catalog_ondemand_price(const struct cman_catalog *cat,
				const struct cman_instance_type *type,
				const char *region, double *price,
				const char **used_region);

/*
 * Region of an availability zone ("us-west-2a" -> "us-west-2"), written to
 * region (size n).  Returns CMAN_EINVAL when az is not "<known region><letter>"
 * (local-zone style suffixes like "us-west-2-lax-1a" are also rejected).
 */
int cman_region_of_az(const char *az, char *region, size_t n);

/*
 * True when az is an availability zone AWS lists: a known region and a
 * zone letter from a to the region's last one (us-east-1a..f,
 * us-west-2a..d, most regions a..c).  cman_region_of_az is more lenient
 * (any letter), for recorded data.
 */
bool cman_az_known(const char *az);

/* The last zone letter of a known region ('f' for us-east-1), 0 if unknown. */
char cman_region_last_zone(const char *region);

/* True when name is a known AWS region. */
bool cman_region_known(const char *name);

#endif
