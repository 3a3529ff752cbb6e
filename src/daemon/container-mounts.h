/* User mounts of a container (Binds, Mounts, Tmpfs). */
#ifndef BERTH_DAEMON_CONTAINER_MOUNTS_H
#define BERTH_DAEMON_CONTAINER_MOUNTS_H

#include "container.h"

/* At create: refuse malformed or unsupported mounts with docker's messages. */
int container_check_mounts(json_object *hc, struct berth_error **err);
/* At start: append the OCI mounts for them. */
void container_user_mounts(const struct container *c, json_object *oci_mounts);
/* Check Config and HostConfig of a create request (container-config.c). */
int container_check_config(struct daemon *d, json_object *body, json_object **ret_cfg,
			   json_object **ret_hc, struct berth_error **err);

#endif
