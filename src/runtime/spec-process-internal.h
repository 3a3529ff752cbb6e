/* The "process" of the OCI config as C structures (see spec-internal.h). */
#ifndef BERTH_RUNTIME_SPEC_PROCESS_INTERNAL_H
#define BERTH_RUNTIME_SPEC_PROCESS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

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

#endif
