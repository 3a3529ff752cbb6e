/* The OCI runtime configuration (config.json) as C structures.
 *
 * spec_load() parses and validates a bundle's config.json into struct rt_spec;
 * every refusal names the offending field by its JSON path. The structures own
 * their strings; spec_free() releases everything. Optional scalars carry a
 * has_* flag so that "absent" and "zero" stay distinct, as the spec requires
 * (a memory limit of 0 is not the same as no limit).
 */
#ifndef BERTH_RUNTIME_SPEC_INTERNAL_H
#define BERTH_RUNTIME_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

struct json_object;

#define SPEC_MAX_BYTES (4u << 20) /* config.json larger than this is refused */
#define SPEC_MAX_DEPTH 32

struct rt_kv {
	char *key;
	char *value;
};

struct rt_rlimit {
	int resource; /* RLIMIT_* */
	char *name;   /* "RLIMIT_NOFILE", for messages */
	uint64_t soft, hard;
};

/* The five capability sets as bitmasks of CAP_* numbers. */
struct rt_caps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct rt_user {
	uint32_t uid, gid;
	bool has_umask;
	uint32_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
};

struct rt_process {
	bool terminal;
	bool has_console_size;
	unsigned console_height, console_width;
	char **args;
	char **env;
	char *cwd;
	struct rt_user user;
	bool has_caps;
	struct rt_caps caps;
	struct rt_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile;
	char *selinux_label;
	/* ioPriority */
	bool has_io_priority;
	int io_priority_class, io_priority;
	/* scheduler */
	bool has_scheduler;
	int sched_policy;
	int sched_nice, sched_priority;
	uint64_t sched_flags;
	uint64_t sched_runtime, sched_deadline, sched_period;
	/* execCPUAffinity */
	char *exec_cpu_affinity_initial;
	char *exec_cpu_affinity_final;
};

enum rt_mount_kind {
	RT_MOUNT_FS,   /* a file system: proc, tmpfs, sysfs, ... */
	RT_MOUNT_BIND, /* bind or rbind */
	RT_MOUNT_KIND_MAX,
};

struct rt_mount {
	char *destination;
	char *type;
	char *source;
	enum rt_mount_kind kind;
	bool recursive;            /* rbind */
	unsigned long flags;       /* MS_RDONLY, MS_NOSUID, ... to set */
	unsigned long clear_flags; /* flags named "rw", "suid", ... to clear on a bind remount */
	unsigned long propagation; /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE, | MS_REC */
	bool ro_recursive;         /* "rro": mount_setattr(AT_RECURSIVE, MOUNT_ATTR_RDONLY) */
	bool tmpcopyup;
	char *data; /* comma-joined options the kernel's fs parses */
	bool has_idmap;
};

struct rt_namespace {
	int type; /* CLONE_NEW* */
	char *path; /* NULL: create a new one */
};

struct rt_idmap {
	uint32_t container_id, host_id, size;
};

struct rt_device {
	char type; /* 'c', 'b', 'u' (unbuffered char) or 'p' (fifo) */
	char *path;
	int64_t major, minor;
	bool has_mode;
	uint32_t file_mode;
	bool has_uid, has_gid;
	uint32_t uid, gid;
};

struct rt_device_rule {
	bool allow;
	char type;            /* 'a', 'c' or 'b' */
	int64_t major, minor; /* -1: any */
	char access[4];       /* subset of "rwm" */
};

struct rt_throttle {
	int64_t major, minor;
	uint64_t rate;
};

struct rt_weight_device {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
};

struct rt_hugepage_limit {
	char *page_size; /* "2MB", "1GB" */
	uint64_t limit;
};

struct rt_resources {
	/* memory */
	bool has_memory_limit, has_memory_reservation, has_memory_swap, has_memory_swappiness;
	int64_t memory_limit, memory_reservation, memory_swap;
	uint64_t memory_swappiness;
	bool has_kernel_memory, has_kernel_tcp;
	int64_t kernel_memory, kernel_tcp;
	bool disable_oom_killer;
	bool use_hierarchy;
	/* cpu */
	bool has_cpu_shares, has_cpu_quota, has_cpu_period, has_cpu_burst;
	uint64_t cpu_shares, cpu_period, cpu_burst;
	int64_t cpu_quota;
	bool has_cpu_rt_runtime, has_cpu_rt_period;
	int64_t cpu_rt_runtime;
	uint64_t cpu_rt_period;
	char *cpus, *mems;
	bool has_cpu_idle;
	int64_t cpu_idle;
	/* pids */
	bool has_pids_limit;
	int64_t pids_limit;
	/* block IO */
	bool has_blkio_weight, has_blkio_leaf_weight;
	uint16_t blkio_weight, blkio_leaf_weight;
	struct rt_weight_device *weight_devices;
	size_t n_weight_devices;
	struct rt_throttle *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
		*throttle_write_iops;
	size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
		n_throttle_write_iops;
	/* devices */
	struct rt_device_rule *device_rules;
	size_t n_device_rules;
	/* hugepages */
	struct rt_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	/* network (cgroup v1 net_cls / net_prio) */
	bool has_net_class_id;
	uint32_t net_class_id;
	struct rt_kv *net_priorities; /* interface name -> priority as text */
	size_t n_net_priorities;
	/* cgroup v2 files written verbatim */
	struct rt_kv *unified;
	size_t n_unified;
};

/* One argument comparison of a seccomp rule. */
struct rt_seccomp_arg {
	unsigned index;
	uint64_t value, value_two;
	int op; /* enum scmp_compare */
};

struct rt_seccomp_rule {
	char **names;
	uint32_t action; /* SCMP_ACT_* with the errno folded in for ERRNO/TRACE */
	struct rt_seccomp_arg *args;
	size_t n_args;
};

struct rt_seccomp {
	uint32_t default_action;
	char **architectures; /* "SCMP_ARCH_X86_64", ... */
	char **flags;         /* "SECCOMP_FILTER_FLAG_LOG", ... */
	char *listener_path;
	char *listener_metadata;
	struct rt_seccomp_rule *rules;
	size_t n_rules;
	bool needs_notify; /* some action is SCMP_ACT_NOTIFY */
};

struct rt_hook {
	char *path;
	char **args;
	char **env;
	bool has_timeout;
	int timeout; /* seconds, > 0 */
};

enum rt_hook_kind {
	RT_HOOK_PRESTART,
	RT_HOOK_CREATE_RUNTIME,
	RT_HOOK_CREATE_CONTAINER,
	RT_HOOK_START_CONTAINER,
	RT_HOOK_POSTSTART,
	RT_HOOK_POSTSTOP,
	RT_HOOK_KIND_MAX,
};

struct rt_hook_list {
	struct rt_hook *hooks;
	size_t n;
};

struct rt_spec {
	char *oci_version;
	char *bundle;     /* absolute bundle directory */
	char *root_path;  /* absolute root file system path */
	bool root_readonly;
	struct rt_process *process; /* NULL when absent */
	char *hostname;
	char *domainname;
	struct rt_mount *mounts;
	size_t n_mounts;
	struct rt_hook_list hooks[RT_HOOK_KIND_MAX];
	struct rt_kv *annotations;
	size_t n_annotations;

	/* linux */
	bool has_linux;
	struct rt_namespace *namespaces;
	size_t n_namespaces;
	struct rt_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct rt_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct rt_resources *resources; /* NULL when absent */
	struct rt_kv *sysctl;
	size_t n_sysctl;
	char **masked_paths;
	char **readonly_paths;
	unsigned long rootfs_propagation; /* 0: default (rslave after rprivate, as runc) */
	struct rt_seccomp *seccomp;       /* NULL when absent */
	bool has_personality;
	unsigned long personality;
	char *mount_label;
	bool has_time_offsets;
	int64_t monotonic_secs, boottime_secs;
	uint32_t monotonic_nsecs, boottime_nsecs;
};

/* Parse and validate <bundle>/config.json (or an explicit file) into *ret. */
int spec_load(const char *bundle, const char *config_path, struct rt_spec **ret,
	      struct berth_error **err);
/* Parse a config from memory; bundle resolves a relative root.path. */
int spec_parse(const char *text, size_t len, const char *bundle, struct rt_spec **ret,
	       struct berth_error **err);
struct rt_spec *spec_free(struct rt_spec *spec);
DEFINE_CLEANUP(struct rt_spec, spec_free)
#define _cleanup_spec_ _cleanup_(spec_freep)

/* The process object alone, for `exec --process FILE`. */
int spec_parse_process(struct json_object *obj, const char *path, struct rt_process **ret,
		       struct berth_error **err);
struct rt_process *spec_process_free(struct rt_process *p);
DEFINE_CLEANUP(struct rt_process, spec_process_free)

/* Lookups shared by the parser, exec and the `spec` command. */
bool spec_has_namespace(const struct rt_spec *spec, int type, const char **ret_path);
int spec_namespace_type(const char *name);        /* "pid" -> CLONE_NEWPID, -1 unknown */
const char *spec_namespace_name(int type);        /* CLONE_NEWPID -> "pid" */
const char *spec_namespace_proc_name(int type);   /* CLONE_NEWPID -> "pid" in /proc/PID/ns */
int spec_cap_from_name(const char *name);         /* "CAP_KILL" -> 5, -1 unknown */
const char *spec_cap_name(int cap);
int spec_cap_last(void);                          /* highest capability this kernel knows */
int spec_rlimit_from_name(const char *name);      /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE */
/* Every known name, for `features`. */
extern const char *const spec_cap_names[];
extern const size_t spec_n_cap_names;

#endif
