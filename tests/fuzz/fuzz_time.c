/* fuzz_time - cman_time_parse and cman_time_format over the whole range.
 *
 * Any text: an accepted time lies in [CMAN_TIME_MIN, CMAN_TIME_MAX] and
 * formats and parses back to itself.  Any int64 taken from the input (raw,
 * folded into the range, and near either end of it): a time in the range
 * round-trips through the formatter and through its decimal epoch text; a
 * time outside is refused in both spellings (issue 9.6: parser and
 * formatter agree on the range). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

#include "cman/time.h"

/* t formatted and as decimal epoch text: both parse back to t when t is in
 * range, both are refused when it is not. */
static void check_value(int64_t t)
{
	char buf[CMAN_TIME_BUFSZ], dec[32];
	int64_t back = 0;
	int ok = cman_time_valid(t);

	cman_time_format(t, buf);
	if (ok ? cman_time_parse(buf, &back) != 0 || back != t : cman_time_parse(buf, &back) == 0)
		abort();
	snprintf(dec, sizeof(dec), "%" PRId64, t);
	if (ok ? cman_time_parse(dec, &back) != 0 || back != t : cman_time_parse(dec, &back) == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size < 256 ? size : 256);
	char buf[CMAN_TIME_BUFSZ];
	const uint64_t span = (uint64_t)(CMAN_TIME_MAX - CMAN_TIME_MIN) + 1;
	uint64_t raw = 0;
	int64_t t, back;

	if (cman_time_parse(s, &t) == 0) {
		if (!cman_time_valid(t))
			abort();   /* the parser accepted a time outside the range */
		cman_time_format(t, buf);
		if (cman_time_parse(buf, &back) != 0 || back != t)
			abort();   /* the formatter wrote what the parser rejects */
	}
	free(s);

	memcpy(&raw, data, size < sizeof(raw) ? size : sizeof(raw));
	check_value((int64_t)raw);
	check_value(CMAN_TIME_MIN + (int64_t)(raw % span));
	check_value(CMAN_TIME_MAX + (int8_t)(raw & 0xff));
	check_value(CMAN_TIME_MIN + (int8_t)(raw & 0xff));
	return 0;
}
