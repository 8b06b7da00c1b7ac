/*
 * moto_world.h - setting moto_server up for the live tests, and looking at
 * what it holds: a client straight to moto, a VPC with a subnet and a
 * launch template, Spot Fleets and Auto Scaling groups tagged for
 * discovery, their targets read back.
 *
 * Every call must succeed: a failure is a cmocka failure (inside a test the
 * test fails; in main() the program exits), with moto's message on stderr.
 */
#ifndef CMAN_TEST_MOTO_WORLD_H
#define CMAN_TEST_MOTO_WORLD_H

#include <stddef.h>

#include "cman/live/aws.h"

struct moto_world {
	struct cman_aws_client *client;  /* borrowed: straight to moto */
	const char *tag_key;             /* the discovery tag of fleets and groups */
	const char *template_name;       /* the groups' launch template */
	int group_max_size;              /* MaxSize of the groups made */
	char vpc[64];
	char subnet[64];                 /* 10.NET.1.0/24 in us-west-2a */
};

/* The environment of a test against moto: AWS_ACCESS_KEY_ID AKIDTEST, the
 * secret given, AWS_REGION us-west-2, and no AWS_SESSION_TOKEN, AWS_PROFILE
 * or AWS_ENDPOINT_URL (the programs take moto's address from their
 * configuration). */
void moto_test_env(const char *secret);

/* A client of region us-west-2 to url (AWS_ENDPOINT_URL still wins, aws.h)
 * with a total timeout of timeout_ms; NULL with the message on stderr. */
struct cman_aws_client *moto_client(const char *url, long timeout_ms);

/* One Query API call through c (p is released); find: the text of the first
 * element named find into out (n bytes), which must be there. */
void moto_call(struct cman_aws_client *c, const char *svc, struct cman_aws_params *p,
	       const char *find, char *out, size_t n);

/* The VPC 10.NET.0.0/16 with the subnet 10.NET.1.0/24 in us-west-2a, and the
 * launch template template_name (ami-12c6146b, m5.large). */
void moto_world_init(struct moto_world *w, struct cman_aws_client *c, int net,
		     const char *template_name, const char *tag_key, int group_max_size);

/* Another subnet of the VPC: 10.NET.K.0/24 (net as given to init) in az. */
void moto_world_subnet(struct moto_world *w, int net, int k, const char *az, char *id,
		       size_t n);

/* A Spot Fleet (diversified, bid 0.5, one m5.large launch specification in
 * subnet, NULL: the world's) of target capacity target whose instances
 * carry tag_key = tag_value; its id into id. */
void moto_make_fleet(const struct moto_world *w, const char *subnet, const char *tag_value,
		     int target, char *id, size_t n);

/* Flags of moto_make_group(). */
#define MOTO_GROUP_PROTECTED 1u   /* NewInstancesProtectedFromScaleIn=true (else moto's
				     default, false) */
#define MOTO_GROUP_PROPAGATE 2u   /* the tag PropagateAtLaunch, the template's $Default */

/* An Auto Scaling group name (MinSize 0, MaxSize group_max_size) of desired
 * capacity desired in subnet (NULL: the world's), tagged tag_key =
 * tag_value. */
void moto_make_group(const struct moto_world *w, const char *name, const char *subnet,
		     const char *tag_value, int desired, unsigned flags);

/* DesiredCapacity of an Auto Scaling group, TargetCapacity of a fleet, as
 * moto says. */
int moto_group_desired(struct cman_aws_client *c, const char *name);
int moto_fleet_target(struct cman_aws_client *c, const char *id);

#endif
