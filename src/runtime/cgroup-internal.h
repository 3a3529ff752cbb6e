/* cgroup management for one container, on cgroup v1, v2 or a hybrid host.
 *
 * The layout is chosen at run time from what is mounted under /sys/fs/cgroup
 * (or the root given to cgroup_layout_detect): a cgroup2 file system there is a
 * unified host; otherwise each v1 controller mounted as /sys/fs/cgroup/<name>
 * is used, and a cgroup2 file system at /sys/fs/cgroup/unified (hybrid) serves
 * the controllers that are enabled only there (hugetlb on some hosts) and
 * always receives the container's processes, as systemd expects.
 *
 * A struct rt_cgroup names one container's cgroup: the same relative path
 * ("/berth/<id>") in every hierarchy. Everything cgroup_create() makes,
 * cgroup_destroy() removes. Errors name the file and the value that failed.
 */
#ifndef BERTH_RUNTIME_CGROUP_INTERNAL_H
#define BERTH_RUNTIME_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "spec-internal.h"

enum cgroup_mode {
	CGROUP_MODE_V1,	    /* legacy: v1 controllers only */
	CGROUP_MODE_HYBRID, /* v1 controllers plus cgroup2 at <root>/unified */
	CGROUP_MODE_V2,	    /* unified: cgroup2 at <root> */
	CGROUP_MODE_MAX,
};

struct rt_cgroup;

/* The host's layout under /sys/fs/cgroup. */
int cgroup_mode_detect(enum cgroup_mode *ret, struct berth_error **err);
const char *cgroup_mode_name(enum cgroup_mode mode);
/* The layout is read once per process; forget it after changing the mount
 * namespace's cgroup mounts. No struct rt_cgroup may be alive then. */
void cgroup_layout_invalidate(void);

/* Resolve the container's cgroup. cgroups_path from config.json may be NULL
 * (then "/berth/<id>"), absolute, or relative (then taken under the root of
 * each hierarchy). "slice:prefix:name" (systemd form) is refused with a clear
 * error, as the systemd driver is not supported. Nothing is created yet. */
int cgroup_new(const char *cgroups_path, const char *id, struct rt_cgroup **ret,
	       struct berth_error **err);
/* Reopen a container's cgroup from the relative path saved in its state. */
int cgroup_from_path(const char *rel_path, struct rt_cgroup **ret, struct berth_error **err);
struct rt_cgroup *cgroup_free(struct rt_cgroup *cg);
DEFINE_CLEANUP(struct rt_cgroup, cgroup_free)
/* The relative path, to save in the container's state. */
const char *cgroup_path(const struct rt_cgroup *cg);
enum cgroup_mode cgroup_get_mode(const struct rt_cgroup *cg);

/* Create the cgroup in every hierarchy and apply resources (may be NULL).
 * A resource the host cannot enforce (its controller is absent) is an error
 * naming it. On failure everything created is removed again. */
int cgroup_create(struct rt_cgroup *cg, const struct rt_resources *res, struct berth_error **err);
/* Move pid into the cgroup in every hierarchy. */
int cgroup_enter(const struct rt_cgroup *cg, pid_t pid, struct berth_error **err);
/* Apply resources to an existing cgroup (used by create and, later, update). */
int cgroup_apply(const struct rt_cgroup *cg, const struct rt_resources *res,
		 struct berth_error **err);
/* A way into the cgroup for a process about to be cloned that avoids the
 * kernel's global migration lock (an RCU grace period, several milliseconds,
 * on every write of a pid to cgroup.procs): each v1 hierarchy takes the new
 * process's own thread through its "tasks" file, because the kernel skips that
 * lock when a thread moves itself; the unified hierarchy takes the process at
 * birth (clone3 CLONE_INTO_CGROUP). The descriptors are opened by the runtime
 * and carry its credentials into the child. */
struct cgroup_attach {
	int *task_fds;
	size_t n_task_fds;
	int unified_fd; /* the cgroup's directory in the unified hierarchy, or -1 */
};
int cgroup_attach_prepare(const struct rt_cgroup *cg, struct cgroup_attach *ret,
			  struct berth_error **err);
/* In the new (single-threaded) process: move itself into every v1 hierarchy. */
int cgroup_attach_self(const struct cgroup_attach *a, struct berth_error **err);
void cgroup_attach_close(struct cgroup_attach *a);
/* Move pid into the unified hierarchy only (when clone3 could not place it). */
int cgroup_enter_unified(const struct rt_cgroup *cg, pid_t pid, struct berth_error **err);

/* Freeze or thaw every process of the cgroup; waits until the state is reached. */
int cgroup_freeze(const struct rt_cgroup *cg, bool frozen, struct berth_error **err);
int cgroup_is_frozen(const struct rt_cgroup *cg, bool *ret, struct berth_error **err);
/* Every pid in the cgroup (and its descendants), in the caller's pid namespace. */
int cgroup_pids(const struct rt_cgroup *cg, pid_t **ret, size_t *ret_n, struct berth_error **err);
/* Send sig to every process in the cgroup. */
int cgroup_kill_all(const struct rt_cgroup *cg, int sig, struct berth_error **err);
/* Remove the cgroup from every hierarchy; processes must be gone (retries briefly
 * while the kernel finishes reaping). Missing directories are not an error. */
int cgroup_destroy(const struct rt_cgroup *cg, struct berth_error **err);
/* Whether the cgroup still exists in any hierarchy. */
bool cgroup_exists(const struct rt_cgroup *cg);

/* Mount the container's view of cgroups at dest (an O_PATH fd inside the new
 * root, already created): cgroup2 on v2 hosts; on v1 and hybrid hosts a tmpfs
 * with one mount per hierarchy (and "unified"), like runc. With a cgroup
 * namespace the kernel roots each mount at the container's cgroup; without
 * one, the container's cgroup directories are bind-mounted. flags are the
 * mount's MS_* flags (MS_RDONLY for a read-only view). */
int cgroup_mount_in_container(const struct rt_cgroup *cg, int dest_fd, unsigned long flags,
			      bool cgroupns, struct berth_error **err);

#endif
