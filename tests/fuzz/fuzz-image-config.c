/* libFuzzer target: bytes into the image config parser. Every input must
 * parse or be refused; a parsed config must serialize to JSON that parses
 * and serializes to the same text (the canonical form is a fixed point). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_config *c = NULL, *c2 = NULL;
	struct berth_error *err = NULL;

	log_set_level(LOG_LEVEL_ERROR);
	if (image_config_parse((const char *)data, size, &c, &err) == 0) {
		char *j = image_config_to_json(c);
		if (image_config_parse(j, strlen(j), &c2, NULL) < 0)
			abort();
		char *j2 = image_config_to_json(c2);
		if (strcmp(j, j2) != 0)
			abort();
		free(j);
		free(j2);
		image_config_free(c2);
		image_config_free(c);
	}
	berth_error_free(err);
	return 0;
}
