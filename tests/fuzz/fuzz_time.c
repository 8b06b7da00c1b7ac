/* fuzz_time - cman_time_parse on any text; every accepted time of the
 * years 1970-9999 must format and parse back to itself. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include <string.h>

#include "cman/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size < 256 ? size : 256);
	char buf[CMAN_TIME_BUFSZ];
	int64_t t, back;

	/* 0 .. 9999-12-31T23:59:59Z: the range issue 9.6 defines */
	if (cman_time_parse(s, &t) == 0 && t >= 0 && t <= 253402300799) {
		cman_time_format(t, buf);
		if (cman_time_parse(buf, &back) != 0 || back != t)
			abort();   /* the formatter wrote what the parser rejects */
	}
	free(s);
	return 0;
}
