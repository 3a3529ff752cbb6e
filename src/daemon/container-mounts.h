/* User mounts of a container (Binds, Mounts, Tmpfs). */
#ifndef BERTH_DAEMON_CONTAINER_MOUNTS_H
#define BERTH_DAEMON_CONTAINER_MOUNTS_H

#include "container.h"

/* At create: refuse malformed or unsupported mounts with docker's messages. */
int container_check_mounts(json_object *hc, struct berth_error **err);
/* At start: append the OCI mounts for them. */
void container_user_mounts(const struct container *c, json_object *oci_mounts);
/* Plain binds of inspect's Mounts (Binds with a host path, Mounts of type
 * bind), for --volumes-from. */
json_object *container_mounts_json_binds(const struct container *c);

/* ---- volumes (container-volumes*.c) ---- */
/* At create: resolve VolumesFrom, named Binds, Mounts of type volume and
 * Config.Volumes into volumes (created on first use) in <dir>/volumes.json. */
int container_volumes_setup(struct daemon *d, struct container *c, struct berth_error **err);
/* The resolved list (borrowed, cached): {Type volume|bind, Name|Source,
 * Destination, RW, Mode, Copy}. */
json_object *container_volume_mounts(const struct container *c);
void container_volumes_forget(const struct container *c);
bool container_uses_volume(const struct container *c, const char *name);
char **container_anonymous_volumes(const struct container *c);
/* Remove the named volumes if no container uses them (rm -v). */
void container_volumes_remove(struct daemon *d, char *const *names);
/* At start, rootfs mounted: host mounts, copy-up, "mount" events. */
int container_volumes_attach(struct daemon *d, struct container *c, struct berth_error **err);
/* At stop (before the rootfs is released): "unmount" events, host unmounts. */
void container_volumes_detach(struct daemon *d, struct container *c);
void container_volumes_oci(const struct container *c, json_object *oci_mounts);
/* For a file job on a stopped container (no anchors then): the OCI mounts of
 * subpath volumes name the volume's directory and carry "subpath", which
 * the job resolves itself (volume_subpath_open). */
void container_volumes_for_job(const struct container *c, json_object *oci_mounts);
void container_volumes_inspect(const struct container *c, json_object *arr);

/* ---- volume subpaths (volume-subpath.c) ---- */
/* At create: dockerd's check of VolumeOptions.Subpath (relative, inside). */
int volume_subpath_check(const char *sub, struct berth_error **err);
/* An O_PATH descriptor of sub resolved beneath the volume's directory data,
 * or dockerd's errors (escapes the base directory, cannot access path). */
int volume_subpath_open(const char *data, const char *sub, struct berth_error **err);
/* At start: what sub resolves to, bound on the anchor of mount index (its
 * path from volume_subpath_anchor, named by the spec); at stop: all gone. */
char *volume_subpath_anchor(const struct container *c, size_t index);
int volume_subpath_mount(const struct container *c, size_t index, const char *data, const char *sub,
			 struct berth_error **err);
void volume_subpaths_release(const struct container *c);

/* Check Config and HostConfig of a create request (container-config.c). */
int container_check_config(struct daemon *d, json_object *body, json_object **ret_cfg,
			   json_object **ret_hc, struct berth_error **err);

#endif
