/* fuzz_signal_answer - an external signal's answer: JSON text as read from
 * the socket, then the request it carries ({"Resources": {...}}). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include <jansson.h>

#include "cman/signal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cman_request req;
	struct cman_error err = { 0 };
	json_error_t jerr;
	json_t *doc = json_loadb((const char *)data, size, 0, &jerr);

	if (doc) {
		(void)cman_request_from_json(doc, &req, &err);
		json_decref(doc);
	}
	return 0;
}
