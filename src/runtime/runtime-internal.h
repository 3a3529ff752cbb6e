/* Internals shared by the lifecycle files of the runtime (create, init, start,
 * state, kill, delete, exec). */
#ifndef BERTH_RUNTIME_INTERNAL_H
#define BERTH_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime.h"
#include "spec-internal.h"

struct rt_seccomp_filter;
struct cgroup_attach;

#define RT_STATE_FILE  "state.json"
#define RT_CONFIG_FILE "config.json"
#define RT_EXEC_FIFO   "exec.fifo"
#define RT_ID_MAX      1024

enum rt_status {
	RT_STATUS_CREATING,
	RT_STATUS_CREATED,
	RT_STATUS_RUNNING,
	RT_STATUS_PAUSED,
	RT_STATUS_STOPPED,
	RT_STATUS_MAX,
};

/* What a container's state directory records (state.json). */
struct rt_state {
	char *id;
	pid_t pid;
	uint64_t start_time; /* /proc/PID/stat field 22, to tell a reused pid apart */
	char *bundle;
	char *rootfs;
	char *cgroup_path;
	char *created;	/* RFC 3339 */
	bool own_pidns; /* false: kill and delete must reach every process of the cgroup */
	struct rt_kv *annotations;
	size_t n_annotations;
};

struct rt_state *state_free(struct rt_state *s);
DEFINE_CLEANUP(struct rt_state, state_free)
#define _cleanup_state_ _cleanup_(state_freep)

int rt_id_validate(const char *id, struct berth_error **err);
char *state_dir_path(const struct rt_context *ctx, const char *id);
int state_load(const struct rt_context *ctx, const char *id, struct rt_state **ret,
	       struct berth_error **err);
int state_save(const char *dir, const struct rt_state *s, struct berth_error **err);
enum rt_status state_status(const struct rt_context *ctx, const struct rt_state *s);
const char *rt_status_name(enum rt_status st);
/* The OCI state JSON ({"ociVersion","id","status","pid","bundle","annotations"}). */
char *state_oci_json(const struct rt_state *s, enum rt_status st);
/* The spec saved at create time (exec and hooks need it after the bundle may be gone). */
int state_load_spec(const struct rt_context *ctx, const char *id, struct rt_spec **ret,
		    struct berth_error **err);
/* Start time of pid from /proc, 0 when gone; a zombie counts as gone. */
uint64_t proc_start_time(pid_t pid);

/* Hooks: run every hook of kind with the state JSON on stdin. Hooks run in the
 * caller's namespaces; failures of poststart/poststop are only logged, as the
 * spec says. */
int hooks_run(const struct rt_spec *spec, enum rt_hook_kind kind, const char *state_json,
	      struct berth_error **err);

#include "sync-internal.h"

/* What the container init needs besides the spec. */
struct init_args {
	const struct rt_spec *spec;
	const char *id;
	int sync_fd;
	int fifo_fd;			    /* exec.fifo opened O_RDWR */
	int console_fd;			    /* connected console socket, or -1 */
	const char *cgroup_path;	    /* for cgroup mounts */
	const struct cgroup_attach *attach; /* v1 "tasks" files to join first */
	int log_fd;
	int preserve_fds;
	bool no_pivot;
	bool no_new_keyring;
	int notify_sock;    /* connected seccomp listener, or -1 */
	bool joined_userns; /* two stages: join it, unshare the rest, fork the init */
	struct rt_seccomp_filter *seccomp; /* built before clone */
	char *state_json;		   /* for createContainer/startContainer hooks */
};

/* The container init, in the child after clone: never returns. */
__attribute__((noreturn)) void init_container(struct init_args *a);

/* Root file system setup inside the init (rootfs.c, rootfs-dev.c, rootfs-paths.c). */
int rootfs_prepare(const struct rt_spec *spec, const char *cgroup_path, struct berth_error **err);
int rootfs_pivot(const struct rt_spec *spec, bool no_pivot, struct berth_error **err);
int rootfs_finish(const struct rt_spec *spec, struct berth_error **err);
int rootfs_setup_devices(const struct rt_spec *spec, int rootfd, struct berth_error **err);
int rootfs_mask_paths(const struct rt_spec *spec, struct berth_error **err);
int rootfs_readonly_paths(const struct rt_spec *spec, struct berth_error **err);
/* Copy the tree under src_dirfd into dst_dirfd (tmpcopyup). */
int rootfs_copy_tree(int src_dirfd, int dst_dirfd, struct berth_error **err);
/* MS_* flags a remount must keep: those the kernel locks for us (nosuid, nodev, ...). */
unsigned long rootfs_locked_flags(int fd);

/* Console: allocate a pty inside the container and send the master fd. */
int console_create(int *ret_master, int *ret_slave, struct berth_error **err);
int console_send_master(int sock, int master, struct berth_error **err);
int console_connect(const char *path, int *ret_fd, struct berth_error **err);
int console_set_size(int fd, unsigned height, unsigned width);

/* Process setup shared by the container init and exec (process.c). */
/* rlimits, scheduling, oomScoreAdj, then the working directory (made when
 * missing and create_cwd). */
int process_apply_early(const struct rt_process *p, bool create_cwd, struct berth_error **err);
int process_apply_identity(const struct rt_process *p, bool joined_userns,
			   struct rt_seccomp_filter *seccomp, struct berth_error **err);
/* Find args[0] along PATH from env; the result is what execve receives. */
int process_find_exe(const struct rt_process *p, char **ret, struct berth_error **err);
/* Close every fd >= 3 + preserve_fds except keep (may be -1). */
void process_close_fds(int preserve_fds, int keep);

/* Fork-like clone3 with namespace flags; with cgroup_fd >= 0 the child is born in
 * that cgroup v2 directory when the kernel allows (*ret_in_cgroup says). */
pid_t rt_clone(unsigned long flags, int cgroup_fd, bool *ret_in_cgroup);

/* Foreground supervision (supervise.c): forward signals to pid, relay the pty
 * master (or -1) with our stdio, reap pid; *ret_status is its exit code or
 * 128+signal. rt_recv_fd receives one descriptor sent with SCM_RIGHTS. */
int rt_supervise(pid_t pid, int pidfd, int master, int *ret_status);
int rt_recv_fd(int sock);

/* Namespaces (ns.c). */
int ns_clone_flags(const struct rt_spec *spec);
int ns_join_paths(const struct rt_spec *spec, int except_types, struct berth_error **err);
int ns_write_id_maps(pid_t pid, const struct rt_spec *spec, struct berth_error **err);
int ns_set_time_offsets(const struct rt_spec *spec, struct berth_error **err);

/* Default devices cgroup rules appended to the spec's (devices the runtime makes). */
int rt_device_rules_with_defaults(const struct rt_spec *spec, struct rt_resources *out);

#endif
