/* libFuzzer target: config.json bytes into the OCI config parser. Every input
 * must either parse or be refused with an error, without crashing or leaking. */
#include <stddef.h>
#include <stdint.h>

#include "spec-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_spec *spec = NULL;
	struct berth_error *err = NULL;

	log_set_level(LOG_LEVEL_ERROR);
	if (spec_parse((const char *)data, size, "/bundle", &spec, &err) == 0)
		spec_free(spec);
	berth_error_free(err);
	return 0;
}
