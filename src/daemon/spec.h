/* Building a container's OCI config (spec.c, spec-user.c, spec-seccomp.c). */
#ifndef BERTH_DAEMON_SPEC_H
#define BERTH_DAEMON_SPEC_H

#include "container.h"

/* Docker's default profile in OCI form for a container with these capabilities. */
int spec_seccomp_default(char *const *caps, json_object **ret, struct berth_error **err);
/* A profile in Docker's format (--security-opt seccomp=FILE) in OCI form. */
int spec_seccomp_convert(json_object *profile, char *const *caps, json_object **ret,
			 struct berth_error **err);
/* Resolve Config.User ("name", "uid", "name:group", "uid:gid") in the rootfs's
 * /etc/passwd and /etc/group, plus supplementary groups and GroupAdd. */
int spec_resolve_user(int rootfd, const char *user, json_object *group_add, uint32_t *ret_uid,
		      uint32_t *ret_gid, json_object **ret_additional, struct berth_error **err);
/* The home directory of uid in the rootfs's /etc/passwd, or "/" (runc's HOME). */
char *spec_user_home(int rootfd, uint32_t uid);
/* A process's environment in dockerd's order: PATH, HOSTNAME, TERM (tty),
 * then cfg's Env and extra (an exec's) replacing or appended, then HOME
 * (uid's home in the rootfs) unless set. */
json_object *spec_env_json(json_object *cfg, bool tty, json_object *extra, int rootfd,
			   uint32_t uid);
/* Docker's default capability set. */
extern const char *const spec_default_caps[];

#endif
