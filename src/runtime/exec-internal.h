/* One `exec`: the process to run and the container it joins. */
#ifndef BERTH_RUNTIME_EXEC_INTERNAL_H
#define BERTH_RUNTIME_EXEC_INTERNAL_H

#include "runtime-internal.h"

struct rt_cgroup;

struct exec_ns {
	int fds[8];
	int types[8];
};

struct exec_job {
	struct rt_process *proc;
	struct exec_ns ns;
	struct rt_cgroup *cg;
	struct rt_seccomp_filter *seccomp;
	int console_fd;
	int console_peer; /* our end when we relay the terminal ourselves, or -1 */
	int preserve_fds;
	bool detach;
	const char *pid_file;
};

int exec_ns_open(pid_t pid, struct exec_ns *ns, struct berth_error **err);
void exec_ns_close(struct exec_ns *ns);
int exec_job_spawn(struct exec_job *x, int *ret_status, struct berth_error **err);
/* The process for exec: --process FILE, or the container's own with the options applied. */
int exec_build_process(const struct rt_spec *spec, const struct rt_exec_opts *o,
		       struct rt_process **ret, struct berth_error **err);

#endif
