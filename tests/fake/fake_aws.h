/*
 * fake_aws.h - an in-process, stateful fake of the AWS Query APIs that a
 * live pool uses (EC2 Spot Fleet and instances, Auto Scaling groups), as a
 * route of the in-process HTTP fake (fake_http.h).  For tests that need
 * thousands of cycles: moto_server answers one autoscale cycle in about a
 * quarter of a second, this fake in about a millisecond.
 *
 * The service of a call is the one its SigV4 credential scope names
 * (".../REGION/ec2/aws4_request"), the action its Action parameter; the
 * answers have the documented XML shapes of the EC2 (2016-11-15) and Auto
 * Scaling (2011-01-01) Query APIs.  Served:
 *   ec2          DescribeSpotFleetRequests, DescribeSpotFleetInstances,
 *                ModifySpotFleetRequest, DescribeInstances (InstanceId.N or
 *                the instance-id filter), TerminateInstances, DescribeSubnets
 *   autoscaling  DescribeAutoScalingGroups, DescribeTags (filters key,
 *                value, auto-scaling-group), SetDesiredCapacity,
 *                SetInstanceProtection, TerminateInstanceInAutoScalingGroup
 * Anything else answers 400 InvalidAction in the service's error shape, a
 * call without a SigV4 Authorization header 403 MissingAuthenticationToken,
 * and bad parameters the error codes AWS uses (InvalidInstanceID.NotFound,
 * InvalidSpotFleetRequestId.NotFound, ValidationError, ...): a piece the
 * fake lacks fails loudly, never silently.  There is no paging (every
 * answer fits one page).
 *
 * The world, as moto keeps it: a target change launches or terminates
 * machines at once, so fulfilled capacity follows the target.  A fleet
 * (type maintain) launches machines of its one launch specification while
 * its fulfilled capacity is below target, and terminates the newest above
 * it only when a modification asks for the "default" excess-capacity
 * policy ("noTermination" keeps them).  A group launches while it has
 * fewer machines than its desired capacity and, above it, terminates its
 * oldest machines that are not protected from scale-in.  A machine
 * terminated from outside (TerminateInstances) leaves its fleet or group,
 * which then launches a replacement if it is below target.  Terminated
 * machines are forgotten at once (their owner is still known, see
 * fake_aws_owner).  Machines are running from launch, in the subnet's zone,
 * with a unique private IP (10.x.y.z) and a launch time one second after
 * the previous one's, starting at 2023-11-14T00:00:00Z.
 *
 * Thread safety: every function may be called from any thread; routes run
 * on the HTTP server's threads.  The hooks run outside the fake's lock,
 * before the answer is sent, so a hook may call back into the fake.
 */
#ifndef CMAN_TEST_FAKE_AWS_H
#define CMAN_TEST_FAKE_AWS_H

#include <stddef.h>

#include "fake_http.h"

struct fake_aws;
struct fake_mesos;

/* An empty world of region (for the zones' names only); NULL: no memory. */
struct fake_aws *fake_aws_new(const char *region);
void fake_aws_free(struct fake_aws *fa);

/* Serve fa on f (fake_http_route; f's scripted replies still come first). */
void fake_aws_attach(struct fake_aws *fa, struct fake_http *f);

/* A subnet in zone az; its id into id (n bytes).  0, or -1 when full. */
int fake_aws_add_subnet(struct fake_aws *fa, const char *az, char *id, size_t n);

struct fake_aws_fleet_spec {
	const char *instance_type;   /* of the one launch specification */
	double weight;               /* its weightedCapacity (> 0) */
	const char *subnet;          /* a subnet of fake_aws_add_subnet; no placement */
	const char *tag_key, *tag_value;   /* its instance tag (Clusterman's discovery) */
	long target;
};

/* An active Spot Fleet request launched to spec's target; its id into id.
 * 0, or -1 for a full table or an unknown subnet. */
int fake_aws_add_fleet(struct fake_aws *fa, const struct fake_aws_fleet_spec *spec,
		       char *id, size_t n);

struct fake_aws_group_spec {
	const char *name;
	const char *instance_type;
	const char *subnet;          /* its one zone is the subnet's */
	long min, max, desired;
	const char *tag_key, *tag_value;   /* one group tag */
	int protect_new;             /* NewInstancesProtectedFromScaleIn */
};

/* An Auto Scaling group launched to its desired capacity.  0, or -1 for a
 * full table, a name in use, an unknown subnet or desired outside [min, max]. */
int fake_aws_add_group(struct fake_aws *fa, const struct fake_aws_group_spec *spec);

/* A fleet's target and fulfilled capacity, a group's desired capacity and
 * machine count: 0, or -1 for an unknown id. */
int fake_aws_fleet(struct fake_aws *fa, const char *id, long *target, double *fulfilled);
int fake_aws_group(struct fake_aws *fa, const char *name, long *desired, size_t *machines);

/* Calls of action received (0 for one never called; NULL: all calls), and
 * how many of all calls were answered with an error. */
unsigned long fake_aws_calls(struct fake_aws *fa, const char *action);
unsigned long fake_aws_errors(struct fake_aws *fa);
/* Machines launched and terminated since fake_aws_new(); running now. */
unsigned long fake_aws_launched(struct fake_aws *fa);
unsigned long fake_aws_terminated(struct fake_aws *fa);
size_t fake_aws_running(struct fake_aws *fa);

/* The fleet or group id a machine (running or terminated) belonged to,
 * copied into out (n bytes): 0, or -1 for an id this fake never launched. */
int fake_aws_owner(struct fake_aws *fa, const char *instance_id, char *out, size_t n);

/* Hooks (NULL to remove).  on_call: before each call is answered, with
 * its action and how many calls of it there have been, this one included.
 * on_change: after a call that launched or terminated machines. */
typedef void (*fake_aws_call_fn)(void *ctx, const char *action, unsigned long n);
typedef void (*fake_aws_change_fn)(void *ctx, struct fake_aws *fa);
void fake_aws_on_call(struct fake_aws *fa, fake_aws_call_fn fn, void *ctx);
void fake_aws_on_change(struct fake_aws *fa, fake_aws_change_fn fn, void *ctx);

/* The running machines as the Mesos master's /master/slaves answer: one
 * active agent per machine (id "agent-<instance id>", pid
 * "slave(1)@<private IP>:5051", hostname the instance id, attribute pool,
 * cpus x the machine's weight cpus and mem MB, nothing used), so the pool
 * manager counts every machine joined.  Caller frees; NULL: no memory. */
char *fake_aws_mesos_slaves(struct fake_aws *fa, const char *pool, double cpus,
			    double mem);

/* Keep fm's slaves in step with the machines (the above, now and after
 * every change; an on_change hook: it replaces any other). */
void fake_aws_join_mesos(struct fake_aws *fa, struct fake_mesos *fm, const char *pool,
			 double cpus, double mem);

#endif
