/*
 * discovery.h - finding a pool's resource groups by tag, and the zone of a
 * subnet (LIVE-SPEC §2.4, §4.1).
 *
 * A group belongs to pool P of cluster C when it carries the tag key K
 * (the pool file's `sfr: {tag: K}` / `asg: {tag: K}`) whose value is a JSON
 * object with "pool": P and "paasta_cluster": C (other keys are ignored),
 * e.g. puppet:role::paasta = {"pool": "default", "paasta_cluster": "c1"}.
 * A group with the key but a value that is not such a JSON object is
 * skipped with a warning on standard error, and counted.
 *
 * - Spot Fleet requests: DescribeSpotFleetRequests without ids, following
 *   NextToken (Clusterman reads only the first page); the tags are those of
 *   the first launch specification's first tag specification, as Clusterman
 *   reads them (not the request's own tag set).  Requests that are
 *   cancelled or cancelled_terminating are dropped; cancelled_running ones
 *   are kept (they are stale and still have machines).
 * - Auto Scaling groups: Auto Scaling DescribeTags filtered by key = K,
 *   following NextToken.
 *
 * Ids come out in the order AWS listed them, each once.
 */
#ifndef CMAN_LIVE_DISCOVERY_H
#define CMAN_LIVE_DISCOVERY_H

#include <stddef.h>

#include "cman/err.h"
#include "cman/live/aws.h"

struct cman_aws_found {
	char **ids;          /* group ids (fleet request ids, group names) */
	size_t n, cap;
	size_t skipped;      /* tagged, but the value is not a JSON object */
};

/* Free the ids and clear f (safe on a zeroed f). */
void cman_aws_found_release(struct cman_aws_found *f);

/* out must be zeroed (or released) first.  On failure out is released. */
int cman_aws_discover_sfrs(struct cman_aws_client *c, const char *tag_key,
			   const char *cluster, const char *pool,
			   struct cman_aws_found *out, struct cman_error *err);
int cman_aws_discover_asgs(struct cman_aws_client *c, const char *tag_key,
			   const char *cluster, const char *pool,
			   struct cman_aws_found *out, struct cman_error *err);

/* Whether a tag value names this pool (exposed for tests and tools). */
int cman_aws_tag_matches(const char *value, const char *cluster, const char *pool);

/*
 * Subnet -> availability zone, with a cache of the 32 most recently used
 * subnets (as Clusterman).  cman_aws_subnet_az() answers from the cache or
 * calls DescribeSubnets (SubnetId.1); cman_aws_subnets_resolve() looks up
 * every uncached id of a list in one DescribeSubnets call a 200 ids (a
 * subnet AWS does not know makes the whole call fail with
 * InvalidSubnetID.NotFound: CMAN_ENOTFOUND naming AWS's message).
 */
struct cman_aws_subnets;

int cman_aws_subnets_new(struct cman_aws_client *c, struct cman_aws_subnets **out,
			 struct cman_error *err);
void cman_aws_subnets_free(struct cman_aws_subnets *s);   /* NULL is fine */
int cman_aws_subnets_resolve(struct cman_aws_subnets *s, const char *const *ids, size_t n,
			     struct cman_error *err);
/* The zone into az (n bytes). */
int cman_aws_subnet_az(struct cman_aws_subnets *s, const char *subnet, char *az, size_t n,
		       struct cman_error *err);
/* Calls made so far (for tests of the cache). */
size_t cman_aws_subnets_calls(const struct cman_aws_subnets *s);

#endif
