/* fuzz_timeseries_csv - a generic time-series CSV into a store, with
 * absolute or relative times (the input's length picks which). */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "cman/import.h"
#include "cman/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cman_timeseries_opts o;
	struct cman_error err = { 0 };
	struct fuzz_file f;
	struct cman_store *st = fuzz_memory_store();

	cman_timeseries_opts_init(&o);
	o.key = "cpus_allocated|cluster=c,pool=p.mesos";
	o.relative = size % 2;
	o.start_time = 1514764800;
	o.scale = 0.5;
	if (size % 3 == 0) {
		o.time_column = "time";
		o.value_column = "value";
	}
	fuzz_file_open(&f, data, size);
	if (cman_import_timeseries_csv(f.path, &o, st, NULL, NULL, &err) == 0)
		fuzz_drain_store(st);
	fuzz_file_close(&f);
	cman_store_free(st);
	return 0;
}
