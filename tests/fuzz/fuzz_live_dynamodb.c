/* fuzz_live_dynamodb - DynamoDB's JSON answers as the metrics store reads
 * them: a Query answer (Items, LastEvaluatedKey) whose items become
 * samples, and a BatchWriteItem answer (UnprocessedItems).  No HTTP: the
 * text is the answer body.  A sample that comes out is always usable: a
 * time within 1970..9999, finite numbers, a map of named markets. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cman/time.h"
#include "live_int.h"

static void check_item(json_t *item, struct cman_ddb_scratch *sc)
{
	struct cman_error err = { 0 };
	struct cman_sample s;
	double sum = 0;

	if (cman_ddb_item_sample("clusterman_metadata", "k", item, sc, &s, &err) != 0)
		return;
	if (!cman_time_valid(s.t) || !isfinite(s.value))
		abort();
	if (!s.is_map)
		return;
	for (size_t i = 0; i < s.n_markets; i++) {
		if (!s.markets[i].instance_type[0] || !s.markets[i].az[0] ||
		    !isfinite(s.markets[i].value))
			abort();
		if (i && strcmp(s.markets[i - 1].instance_type, s.markets[i].instance_type) > 0)
			abort();   /* entries come sorted by type */
		sum += s.markets[i].value;
	}
	if (sum != s.value && !(isnan(sum) && isnan(s.value)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cman_ddb_scratch sc = { 0 };
	struct cman_error err = { 0 };
	json_error_t jerr;
	json_t *ans = json_loadb((const char *)data, size, 0, &jerr), *items, *next, *unproc;
	size_t left = 0, n = 0, i;

	if (!ans)
		return 0;
	unproc = cman_ddb_unprocessed(ans, &left);
	if (unproc) {
		const char *t;
		json_t *l;

		json_object_foreach(unproc, t, l)
			n += json_array_size(l);
		if (n != left)
			abort();
	} else if (left) {
		abort();
	}
	if (cman_ddb_query_answer("clusterman_metadata", ans, &items, &next, &err) == 0) {
		if (!json_is_array(items) || (next && !json_is_object(next)))
			abort();
		for (i = 0; i < json_array_size(items) && i < 1000; i++)
			check_item(json_array_get(items, i), &sc);
	}
	check_item(ans, &sc);   /* the answer itself read as one item */
	cman_ddb_scratch_release(&sc);
	json_decref(ans);
	return 0;
}
