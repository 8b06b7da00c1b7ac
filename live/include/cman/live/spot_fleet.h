/*
 * spot_fleet.h - an AWS Spot Fleet request as a resource group (LIVE-SPEC
 * §4.1, §4.2), over the EC2 Query API.
 *
 * cman_aws_sfr_refresh() describes the fleet (DescribeSpotFleetRequests,
 * DescribeSpotFleetInstances following NextToken, DescribeInstances in pages
 * of 500 ids); it is also the group's refresh().  The getters of the
 * resource-group interface then answer from that description; after a
 * failed refresh (and before the first) they fail with the refresh's error
 * (resource_group.h), while is_stale() keeps the last good answer.
 * instances() lists every machine of the fleet with its state and private
 * IP (a running one without a zone is listed as unknown: it has no market)
 * and the is_cordoned = true tag.  A launch specification that names a
 * subnet but no placement zone gets the subnet's zone from DescribeSubnets
 * (cached for 32 subnets), so weights are per market.
 * A fleet AWS no longer knows is empty and stale; a fleet
 * whose state begins with "cancelled" is stale and reports target 0.
 * modify_target sets TargetCapacity (truncated to an integer) with
 * ExcessCapacityTerminationPolicy=NoTermination, so AWS never picks victims;
 * terminate ends only instances that belong to the fleet and are not already
 * shutting down, in batches of 500, and flags each id of a failed batch or
 * missing from AWS's answer as failed.  With dry_run neither calls AWS.
 */
#ifndef CMAN_LIVE_SPOT_FLEET_H
#define CMAN_LIVE_SPOT_FLEET_H

#include <stdbool.h>

#include "cman/err.h"
#include "cman/resource_group.h"
#include "cman/live/aws.h"

struct cman_aws_sfr;

/* A fleet by its request id (copied); client is borrowed.  Nothing is
 * described until the first refresh.  Caller frees with cman_aws_sfr_free(). */
int cman_aws_sfr_new(struct cman_aws_client *client, const char *sfr_id,
		     struct cman_aws_sfr **out, struct cman_error *err);
void cman_aws_sfr_free(struct cman_aws_sfr *g);        /* NULL is fine */

/* The group behind the resource-group interface (owned by g). */
struct cman_resource_group *cman_aws_sfr_group(struct cman_aws_sfr *g);

/* Describe the fleet again.  On failure the previous description stays for
 * is_stale(); the getters and terminate() report the failure until a
 * refresh succeeds. */
int cman_aws_sfr_refresh(struct cman_aws_sfr *g, struct cman_error *err);

/* The fleet's state as AWS last said it ("active", "cancelled_running", ...). */
const char *cman_aws_sfr_state(const struct cman_aws_sfr *g);
/* Private IP of one of the fleet's instances ("" when it has none, NULL when
 * the id is not the fleet's). */
const char *cman_aws_sfr_instance_ip(const struct cman_aws_sfr *g, const char *id);

#endif
