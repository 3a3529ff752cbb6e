/* Volumes of the local driver: <data-root>/volumes/<name>/_data, as docker.
 *
 * Each volume's record (driver, labels, options, created time, anonymous flag)
 * is a JSON file, volumes/<name>/berth-volume.json, written atomically (temp
 * file, fsync, rename) after _data exists: a directory without a record is an
 * interrupted create and is dropped at load. Removal renames the directory to
 * volumes/.removing-<name> first, so a daemon killed meanwhile never leaves a
 * half-removed volume behind (the leftovers are deleted at load).
 *
 * Options of the local driver: type=tmpfs (o=size=...) and o=bind with
 * device=/host/path are mounted on _data when a container first uses the
 * volume and unmounted when the last running user stops. */
#ifndef BERTH_DAEMON_VOLUMES_H
#define BERTH_DAEMON_VOLUMES_H

#include "daemon.h"

struct volume {
	char *name;
	json_object *labels;  /* object, or NULL when none was given */
	json_object *options; /* object, or NULL */
	int64_t created_ns;
	bool anonymous;
	char *dir;  /* <data-root>/volumes/<name> */
	char *data; /* <dir>/_data: the mountpoint */
};

int volumes_load_all(struct daemon *d, struct berth_error **err);
/* All volumes, in name order; *ret_n gets the count. */
struct volume **volumes_all(size_t *ret_n);
/* 404 "get NAME: no such volume". */
int volume_get(const char *name, struct volume **ret, struct berth_error **err);
/* docker's local volume name rule. */
bool volume_name_is_valid(const char *name);
/* Create (name NULL or "": 64 random hex digits); an existing name is
 * returned as it is, *ret_created false. Sends the "create" event. */
int volume_create(struct daemon *d, const char *name, const char *driver, json_object *opts,
		  json_object *labels, bool anonymous, struct volume **ret, bool *ret_created,
		  struct berth_error **err);
/* Remove: refused while a container uses it (409 "remove NAME: volume is in
 * use - [IDS]"). Sends the "destroy" event. */
int volume_remove(struct daemon *d, struct volume *v, struct berth_error **err);
/* Ids of the containers (any state) using the volume, NULL if none. */
char **volume_users(struct daemon *d, const char *name);
/* Mount a tmpfs or bind volume on its _data when not mounted yet; unmount it. */
int volume_mount(struct volume *v, struct berth_error **err);
void volume_unmount(struct volume *v);
bool volume_needs_mount(const struct volume *v);
/* docker's Volume object (GET /volumes/{name}); usage: add UsageData. */
json_object *volume_json(struct daemon *d, const struct volume *v, bool usage);
/* /system/df's Volumes: every volume with UsageData. */
json_object *volumes_df_json(struct daemon *d);
/* Bytes below _data (not crossing mounts). */
int64_t volume_size(const struct volume *v);

/* /volumes (api-volumes.c). */
void api_volumes_register(struct daemon *d, struct http_router *r);

#endif
