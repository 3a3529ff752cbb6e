/* Fuzz the registry server's manifest parser (what a client PUTs) and its
 * repository name and tag checks. */
#include <stdint.h>
#include <string.h>

#include "server-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct reg_manifest m = { 0 };
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	if (reg_manifest_parse(s, size, "application/vnd.oci.image.index.v1+json", &m, &err) == 0)
		reg_manifest_done(&m);
	(void)reg_name_is_valid(s);
	(void)reg_tag_is_valid(s);
	free(s);
	return 0;
}
