/* The "linux" part of the OCI config as C structures: devices, resources,
 * seccomp, and hooks (see spec-internal.h for the contract). */
#ifndef BERTH_RUNTIME_SPEC_LINUX_INTERNAL_H
#define BERTH_RUNTIME_SPEC_LINUX_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

struct rt_kv;

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
	char type;	      /* 'a', 'c' or 'b' */
	int64_t major, minor; /* -1: any */
	char access[4];	      /* subset of "rwm" */
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
	char **flags;	      /* "SECCOMP_FILTER_FLAG_LOG", ... */
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

#endif
