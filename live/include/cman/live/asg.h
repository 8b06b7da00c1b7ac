/*
 * asg.h - an AWS Auto Scaling group as a resource group (LIVE-SPEC §4.1,
 * §4.3), over the Auto Scaling and EC2 Query APIs.
 *
 * cman_aws_asg_refresh() describes the group (DescribeAutoScalingGroups,
 * following NextToken) and its instances (EC2 DescribeInstances filtered by
 * instance-id, 200 ids a call, following nextToken: type, zone, state,
 * private IP, launch time and tags).  The getters of the resource-group
 * interface then answer from that description:
 * - an instance is stale when it carries the EC2 tag clusterman:is_stale =
 *   True (read from DescribeInstances' tag set, so no unpaginated
 *   DescribeTags call is needed);
 * - fulfilled capacity is the sum of the weights (WeightedCapacity, 1 when
 *   absent) of the instances that count toward the group's capacity: those
 *   launching (Pending...) or InService, stale ones included.  Clusterman
 *   also counts instances already Terminating; we do not;
 * - stale capacity is the same sum over stale instances only; the target is
 *   DesiredCapacity - stale capacity, and min/max are MinSize/MaxSize less
 *   the stale capacity (never below 0), so that the pool manager's limits
 *   and the group's target are in the same units (the hazard of LIVE-SPEC
 *   §4.3, where a rolling group was clamped below the planned target);
 * - instances() lists every instance of the group with its EC2 state
 *   (unknown when EC2 did not describe it, or when it has no zone;
 *   shutting-down once Auto Scaling is ending it), private IP and the
 *   is_cordoned = true tag; their weight is 0 when the zone is outside the
 *   group's AvailabilityZones (as Clusterman);
 * - an ASG is never stale, except one AWS no longer knows (it is then empty,
 *   stale, target 0) or one being deleted (Status set).
 *
 * modify_target: desired = int(target) + stale capacity, clamped to
 * [MinSize, MaxSize] (the clamp is reported by cman_aws_asg_note()), then
 * SetDesiredCapacity with HonorCooldown=false; nothing is called when desired
 * equals the current DesiredCapacity.  Scale-in protection is never assumed:
 * when the new desired capacity is below the capacity of the instances that
 * count, AWS would pick which to end among the instances not protected from
 * scale-in.  If there are such instances, the protection policy decides:
 * CMAN_ASG_PROTECT_REFUSE (default) fails with CMAN_EREJECTED naming them and
 * calls nothing; CMAN_ASG_PROTECT_SET first calls SetInstanceProtection
 * (ProtectedFromScaleIn=true, 50 ids a call) on them and lowers the
 * capacity only when that succeeded.  Raising the capacity needs no
 * protection.  The pool file chooses the policy per discovery entry:
 * `- asg: {tag: KEY, scale_in_protection: refuse | protect}`
 * (cman_aws_asg_protection()).
 *
 * terminate: ids that are not the group's, and instances already ending
 * (lifecycle Terminating..., Terminated, Detach...; EC2 shutting-down or
 * terminated) are left out; the others are ended one call each, in the
 * order given, by TerminateInstanceInAutoScalingGroup with
 * ShouldDecrementDesiredCapacity=false (the pool manager lowers the desired
 * capacity first, so decrementing again would remove capacity twice; an
 * orphan ended without a lower target is replaced, as with Clusterman's EC2
 * termination).  A termination is not resent after a timeout or a 5xx (it
 * may have been applied); a refusal of one instance does not stop the
 * others; a throttled, timed-out or dropped call stops the rest, which are
 * reported failed without being tried.  The ids that failed are flagged in
 * terminate()'s failed array and listed by cman_aws_asg_failed().  With dry_run neither modify nor terminate calls AWS.
 */
#ifndef CMAN_LIVE_ASG_H
#define CMAN_LIVE_ASG_H

#include <stdbool.h>
#include <stddef.h>

#include "cman/err.h"
#include "cman/poolfile.h"
#include "cman/resource_group.h"
#include "cman/live/aws.h"

enum cman_asg_protection {
	CMAN_ASG_PROTECT_REFUSE = 0, /* refuse a scale-in that AWS could choose victims for */
	CMAN_ASG_PROTECT_SET = 1     /* protect the unprotected instances first */
};

struct cman_aws_asg;

/* The policy a pool file's discovery entry asks for (its
 * scale_in_protection; REFUSE for NULL, an sfr entry or no key). */
enum cman_asg_protection cman_aws_asg_protection(const struct cman_discovery *entry);

/* A group by its name (copied whole; 1 to 255 characters, as AWS allows); client is
 * borrowed.  Nothing is described until the first refresh.  Caller frees
 * with cman_aws_asg_free(). */
int cman_aws_asg_new(struct cman_aws_client *client, const char *name,
		     enum cman_asg_protection protection, struct cman_aws_asg **out,
		     struct cman_error *err);
void cman_aws_asg_free(struct cman_aws_asg *g);        /* NULL is fine */

/* The group behind the resource-group interface (owned by g). */
struct cman_resource_group *cman_aws_asg_group(struct cman_aws_asg *g);

/* Describe the group again; also the group's refresh().  On failure the
 * previous description stays for is_stale() and min/max; the getters and
 * terminate() report the failure until a refresh succeeds
 * (resource_group.h). */
int cman_aws_asg_refresh(struct cman_aws_asg *g, struct cman_error *err);

/* "active", "rolling" (some instance is stale), "deleting" or "gone". */
const char *cman_aws_asg_status(const struct cman_aws_asg *g);
/* DesiredCapacity as AWS last said it (stale capacity included). */
double cman_aws_asg_desired(const struct cman_aws_asg *g);
/* The weight of the stale instances that count toward the capacity. */
double cman_aws_asg_stale_capacity(const struct cman_aws_asg *g);
/* Whether the group protects new instances from scale-in, and how many of
 * the instances that count are not protected. */
bool cman_aws_asg_protects_new(const struct cman_aws_asg *g);
size_t cman_aws_asg_unprotected(const struct cman_aws_asg *g);
/* Private IP of one of the group's instances ("" when it has none, NULL
 * when the id is not the group's). */
const char *cman_aws_asg_instance_ip(const struct cman_aws_asg *g, const char *id);
/* Whether one of the group's instances is stale (false for unknown ids). */
bool cman_aws_asg_instance_stale(const struct cman_aws_asg *g, const char *id);

/* Ids that the last terminate() did not end (owned by g, valid until the
 * next terminate() or refresh). */
size_t cman_aws_asg_failed(const struct cman_aws_asg *g, const char *const **out);
/* What the last modify_target() adjusted ("" when nothing): the clamp to
 * [MinSize, MaxSize]. */
const char *cman_aws_asg_note(const struct cman_aws_asg *g);

/*
 * Tag every instance of the group clusterman:is_stale = True (EC2 CreateTags,
 * 200 ids a call), as `clusterman manage --mark-stale`.  Stale instances
 * leave the target and are pruned first.  With dry_run nothing is called.
 * *n_done (may be NULL) counts the instances tagged (or that would be).
 */
int cman_aws_asg_mark_stale(struct cman_aws_asg *g, bool dry_run, size_t *n_done,
			    struct cman_error *err);

#endif
