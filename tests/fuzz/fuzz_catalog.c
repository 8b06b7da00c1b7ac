/* fuzz_catalog - the instance-type and on-demand price CSVs of a catalog
 * (the input is split at its first NUL byte: types, then prices). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include <string.h>

#include "cman/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n1 = nul ? (size_t)(nul - data) : size;
	struct cman_catalog *cat = NULL;
	struct cman_error err = { 0 };
	struct fuzz_file types, prices;

	fuzz_file_open(&types, data, n1);
	fuzz_file_open(&prices, nul ? nul + 1 : data + size, nul ? size - n1 - 1 : 0);
	if (cman_catalog_load(types.path, prices.path, &cat, &err) == 0)
		cman_catalog_free(cat);
	fuzz_file_close(&types);
	fuzz_file_close(&prices);
	return 0;
}
