/* A container's file system for cp, diff and export (container-fs*.c).
 *
 * The root a copy works in is the running container's own view
 * (/proc/<pid>/root, with its volumes and binds), or the overlay rootfs,
 * mounted at <dir>/rootfs for the time of the job when the container is not
 * running: a start meanwhile reuses that mount (c->mounted), and the last job
 * unmounts it only if the container is still stopped. Paths inside the root
 * are resolved with openat2(RESOLVE_IN_ROOT) in the job's child. */
#ifndef BERTH_DAEMON_CONTAINER_FS_H
#define BERTH_DAEMON_CONTAINER_FS_H

#include "container.h"

/* An O_PATH descriptor of the root; merged_only: the overlay rootfs even
 * when the container runs (export: no volumes, no /proc). Each successful
 * call is paired with container_fs_release(d, id). */
int container_fs_acquire(struct daemon *d, struct container *c, bool merged_only, int *ret_fd,
			 struct berth_error **err);
void container_fs_release(struct daemon *d, const char *id);

/* In a job's child: resolve path (as the API got it) inside root to the
 * node to copy: ret_dfd and ret_base for fstatat, following every component
 * but the last (the last too when path ends in "/" or "/."). */
int container_fs_resolve(int root, const char *path, int *ret_dfd, char **ret_base,
			 struct berth_error **err);
/* openat2(root, rel, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS); "" is
 * root itself. A descriptor or a negative errno. */
int container_fs_open(int root, const char *rel, int flags);
/* docker's container path stat {name, size, mode, mtime, linkTarget}. */
json_object *container_fs_stat_json(int root, const char *path, const struct stat *st);
/* The changes of the upper directory, docker's [{"Path","Kind"}] (NULL: none). */
json_object *container_fs_changes(struct daemon *d, struct container *c);

#endif
