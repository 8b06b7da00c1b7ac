/* fuzz_scenario - a scenario YAML file through cman_scenario_load (YAML
 * parsing, every key's validation, the pool config inside). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include <string.h>

#include "cman/sim/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cman_scenario sc;
	struct cman_error err = { 0 };
	struct fuzz_file f;

	memset(&sc, 0, sizeof(sc));
	fuzz_file_open(&f, data, size);
	(void)cman_scenario_load(f.path, NULL, 0, &sc, &err);
	cman_scenario_release(&sc);
	fuzz_file_close(&f);
	return 0;
}
