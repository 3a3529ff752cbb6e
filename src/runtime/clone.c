/* clone3 with fork semantics, optionally born into a cgroup v2 directory. */
#define LOG_CATEGORY "clone"
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime-internal.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct clone_args_ {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

pid_t rt_clone(unsigned long flags, int cgroup_fd, bool *ret_in_cgroup)
{
	struct clone_args_ args = { .flags = flags, .exit_signal = SIGCHLD };
	long pid;

	*ret_in_cgroup = false;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
		pid = syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0) {
			*ret_in_cgroup = true;
			return (pid_t)pid;
		}
		/* Older kernels, or a cgroup that cannot take processes directly. */
		log_debug("clone3 into the cgroup failed (%s), cloning without", strerror(errno));
		args.flags &= ~CLONE_INTO_CGROUP;
		args.cgroup = 0;
	}
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0 && errno == ENOSYS)
		pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	return (pid_t)pid;
}
