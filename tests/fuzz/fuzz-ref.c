/* libFuzzer target: strings into the image reference parser. Every input
 * must parse or be refused, and a parsed reference must print back to a
 * string that parses to the same reference. (Familiar names need not: as in
 * docker, "docker.io/a.b/c" is familiar "a.b/c", which names domain a.b.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct image_ref *r = NULL, *again = NULL;
	struct berth_error *err = NULL;

	if (image_ref_parse(s, &r, &err) == 0) {
		char *full = image_ref_string(r);
		char *familiar = image_ref_familiar(r);
		char *repo = image_ref_repo(r);
		if (image_ref_parse(full, &again, NULL) < 0)
			abort();
		char *full2 = image_ref_string(again);
		if (strcmp(full, full2) != 0)
			abort();
		free(full);
		free(full2);
		free(familiar);
		free(repo);
		image_ref_free(again);
		image_ref_free(r);
	}
	(void)image_is_id_like(s);
	berth_error_free(err);
	free(s);
	return 0;
}
