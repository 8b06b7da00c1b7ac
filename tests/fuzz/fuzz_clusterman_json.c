/* fuzz_clusterman_json - Clusterman's (gzipped or plain) JSON metrics files
 * imported into an in-memory store with market validation, then read back. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "cman/catalog.h"
#include "cman/import.h"
#include "cman/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cman_catalog *cat = NULL;
	struct cman_error err = { 0 };
	struct fuzz_file f;
	struct cman_store *st = fuzz_memory_store();

	if (cman_catalog_builtin(&cat, &err))
		abort();
	fuzz_file_open(&f, data, size);
	if (cman_import_clusterman_json(f.path, st, size % 2 ? cat : NULL, NULL, &err) == 0)
		fuzz_drain_store(st);
	fuzz_file_close(&f);
	cman_store_free(st);
	return 0;
}
