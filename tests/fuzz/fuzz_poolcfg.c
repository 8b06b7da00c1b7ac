/* fuzz_poolcfg - a pool configuration (Clusterman's pool YAML: autoscaling,
 * scaling_limits, autoscale_signal) parsed from text. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "cman/config.h"
#include "cman/poolcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	struct cman_node *root = NULL;
	struct cman_pool_config cfg;
	struct cman_error err = { 0 };

	cman_pool_config_init(&cfg);
	if (cman_yaml_load_string("pool.yaml", text, &root, &err) == 0)
		(void)cman_pool_config_parse(root, "pool.yaml", &cfg, &err);
	cman_pool_config_release(&cfg);
	cman_node_free(root);
	free(text);
	return 0;
}
