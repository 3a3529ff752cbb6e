/* --change instructions of `import` (and later `commit`): the Dockerfile
 * subset docker accepts there, applied to an image config. */
#ifndef BERTH_DAEMON_CHANGES_H
#define BERTH_DAEMON_CHANGES_H

#include "image.h"

/* Apply each change ("CMD [\"sh\"]", "ENV A=b", ...) in order; an unknown or
 * unsupported instruction is refused with docker's wording. */
int image_config_apply_changes(struct image_config *c, char *const *changes,
			       struct berth_error **err);
/* HEALTHCHECK's argument (changes-health.c). */
int changes_healthcheck(struct image_config *c, const char *arg, struct berth_error **err);

#endif
