/* fuzz_live_xml - an EC2 or Auto Scaling Query API answer (XML) as the
 * live adapters read it: cman_xml_parse(), then the spot price page reader
 * (the DescribeSpotPriceHistory items and nextToken), then the element
 * walks and number readers the spot fleet and Auto Scaling group adapters
 * use (DescribeSpotFleetRequests/Instances, DescribeInstances,
 * DescribeAutoScalingGroups).  No HTTP: the text is the answer body. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cman/live/xml.h"
#include "cman/time.h"
#include "live_int.h"

static int check_price(void *ctx, const struct cman_spot_price *p)
{
	(void)ctx;
	/* what the page reader hands out is always usable */
	if (!cman_time_valid(p->t) || !isfinite(p->price) || p->price <= 0 ||
	    !memchr(p->instance_type, 0, sizeof(p->instance_type)) || !p->instance_type[0] ||
	    !memchr(p->az, 0, sizeof(p->az)) || !p->az[0])
		abort();
	return 0;
}

/* The text, number and whole-number readers on every child of n (one
 * level, so a deep document costs no more than its size). */
static void read_fields(xmlNodePtr n)
{
	static const char *const paths[] = {
		"instanceType", "availabilityZone", "placement/availabilityZone", "spotPrice",
		"timestamp", "targetCapacity", "fulfilledCapacity", "weightedCapacity",
		"spotFleetRequestState", "instanceId", "instanceState/name", "privateIpAddress",
		"launchTime", "nextToken", "NextToken", "MinSize", "MaxSize", "DesiredCapacity",
		"WeightedCapacity", "InstanceId", "LifecycleState", "ProtectedFromScaleIn",
		"return", "Code", "Message", "Errors/Error/Code",
	};
	struct cman_error err = { 0 };
	char small[8], buf[64];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		double d;
		int64_t v;
		size_t len = cman_xml_path_text(n, paths[i], small, sizeof(small));

		if (strlen(small) >= sizeof(small) || (len < sizeof(small) && strlen(small) != len))
			abort();   /* cut to the buffer, and the length tells */
		cman_xml_path_text(n, paths[i], buf, sizeof(buf));
		if (cman_xml_path_double(n, paths[i], &d, &err) == 0 && !isfinite(d))
			abort();
		(void)cman_xml_path_int64(n, paths[i], &v, &err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cman_error err = { 0 };
	xmlDocPtr doc = NULL;
	xmlNodePtr root, set, n;
	char token[2048];
	size_t items = 0;

	if (cman_xml_parse((const char *)data, size, "Fuzz", &doc, &err) != 0)
		return 0;
	root = xmlDocGetRootElement(doc);
	if (cman_spot_price_page(doc, check_price, NULL, token, sizeof(token), &err) == 0 &&
	    !memchr(token, 0, sizeof(token)))
		abort();
	/* the adapters' walks: sets of items or members, each item's fields */
	static const char *const sets[] = {
		"spotFleetRequestConfigSet", "activeInstanceSet", "reservationSet",
		"instancesSet", "AutoScalingGroups", "Instances", "DescribeAutoScalingGroupsResult",
	};
	read_fields(root);
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		set = cman_xml_find(root, sets[i]);
		for (n = cman_xml_child(set, "item"); n && items < 1000;
		     n = cman_xml_next(n, "item"), items++) {
			read_fields(n);
			read_fields(cman_xml_child(n, "spotFleetRequestConfig"));
		}
		for (n = cman_xml_child(set, "member"); n && items < 1000;
		     n = cman_xml_next(n, "member"), items++)
			read_fields(n);
	}
	xmlFreeDoc(doc);
	return 0;
}
