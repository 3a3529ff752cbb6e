/* `exec`: run another process in a container, in every one of its
 * namespaces, its cgroup, and under its seccomp filter, with the process
 * given by --process or built from the container's own and the options. */
#define LOG_CATEGORY "exec"
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "exec-internal.h"
#include "json-util.h"
#include "seccomp-internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const int ns_order[] = { CLONE_NEWUSER, CLONE_NEWNS,	CLONE_NEWNET, CLONE_NEWIPC,
				CLONE_NEWUTS,  CLONE_NEWCGROUP, CLONE_NEWPID, CLONE_NEWTIME };

void exec_ns_close(struct exec_ns *ns)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns->fds); i++)
		closep(&ns->fds[i]);
}

/* Open each namespace of pid that differs from ours. */
int exec_ns_open(pid_t pid, struct exec_ns *ns, struct berth_error **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_order); i++) {
		char path[64], self[64];
		struct stat a, b;
		const char *name = spec_namespace_proc_name(ns_order[i]);

		ns->fds[i] = -EBADF;
		ns->types[i] = ns_order[i];
		(void)snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
		(void)snprintf(self, sizeof(self), "/proc/self/ns/%s", name);
		if (stat(path, &a) < 0) {
			if (errno == ENOENT)
				continue; /* the kernel lacks this namespace type */
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "stat '%s'", path);
		}
		if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		ns->fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (ns->fds[i] < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", path);
	}
	return 0;
}

/* In the exec child: the user namespace first, then the rest (pid and time
 * were joined by the parent, as they apply to children only). */
static int join_namespaces(struct exec_ns *ns, struct berth_error **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(ns_order); i++) {
		if (ns->fds[i] < 0 || ns->types[i] == CLONE_NEWPID || ns->types[i] == CLONE_NEWTIME)
			continue;
		if (setns(ns->fds[i], ns->types[i]) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "join %s namespace",
					       spec_namespace_name(ns->types[i]));
	}
	return 0;
}

__attribute__((noreturn)) static void exec_child(struct exec_job *x, int sync_fd)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *exe = NULL;
	struct sync_msg m;

	/* Until exec we are the runtime's code inside the container: keep container
	 * processes from inspecting or tracing us. */
	(void)prctl(PR_SET_DUMPABLE, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (sync_recv(sync_fd, &m) < 0 || m.type != SYNC_GO)
		_exit(1);
	if (join_namespaces(&x->ns, &err) < 0)
		goto fail;
	exec_ns_close(&x->ns);
	if (x->proc->terminal) {
		int master = -1, slave = -1;
		if (console_create(&master, &slave, &err) < 0 ||
		    console_send_master(x->console_fd, master, &err) < 0)
			goto fail;
		(void)close(master);
		if (x->proc->has_console_size)
			(void)console_set_size(slave, x->proc->console_height,
					       x->proc->console_width);
		if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 ||
		    dup2(slave, 1) < 0 || dup2(slave, 2) < 0) {
			(void)berth_error_set(&err, errno, BERTH_ERR_INTERNAL,
					      "set up the terminal");
			goto fail;
		}
		if (slave > 2)
			(void)close(slave);
	} else if (setsid() < 0) {
		(void)berth_error_set(&err, errno, BERTH_ERR_INTERNAL, "setsid");
		goto fail;
	}
	closep(&x->console_fd);
	if (process_apply_early(x->proc, false, &err) < 0 ||
	    process_find_exe(x->proc, &exe, &err) < 0)
		goto fail;
	process_close_fds(x->preserve_fds, sync_fd);
	if (process_apply_identity(x->proc, false, x->seccomp, &err) < 0)
		goto fail;
	/* The process outlives us (exec --detach, or an engine's shim reaping it):
	 * the parent-death signal would follow it through execve. */
	(void)prctl(PR_SET_PDEATHSIG, 0);
	execve(exe, x->proc->args, x->proc->env ? x->proc->env : (char *[]){ NULL });
	(void)berth_error_set(&err, errno, BERTH_ERR_INVALID, "exec '%s'", x->proc->args[0]);
fail:
	(void)sync_send(sync_fd, SYNC_ERROR, err ? err->errnum : EINVAL,
			err ? err->msg : "exec failed");
	_exit(127);
}

int exec_job_spawn(struct exec_job *x, int *ret_status, struct berth_error **err)
{
	int sp[2];

	/* pid and time namespaces apply to children: enter them before forking. */
	for (size_t i = 0; i < ARRAY_SIZE(ns_order); i++) {
		if (x->ns.fds[i] < 0 ||
		    (x->ns.types[i] != CLONE_NEWPID && x->ns.types[i] != CLONE_NEWTIME))
			continue;
		if (setns(x->ns.fds[i], x->ns.types[i]) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "join %s namespace",
					       spec_namespace_name(x->ns.types[i]));
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "socketpair");
	_cleanup_close_ int sync_fd = sp[0];
	sigset_t all, old;
	sigfillset(&all);
	(void)sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0) {
		(void)close(sp[0]);
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		exec_child(x, sp[1]);
	}
	(void)close(sp[1]);
	if (pid < 0) {
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "fork");
	}
	struct sync_msg m;
	int r;
	if ((r = cgroup_enter(x->cg, pid, err)) < 0 ||
	    (r = sync_send(sync_fd, SYNC_GO, 0, NULL)) < 0) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		return r < 0 && err && *err ? r
					    : berth_error_set(err, -r, BERTH_ERR_INTERNAL, "exec");
	}
	/* EOF: exec succeeded and closed the socket; a message: it failed. */
	if (sync_recv(sync_fd, &m) == 0 && m.type == SYNC_ERROR) {
		(void)waitpid(pid, NULL, 0);
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s", m.text);
	}
	if (x->pid_file) {
		char text[16];
		int n = snprintf(text, sizeof(text), "%d", (int)pid);
		if ((r = file_write_replace(x->pid_file, text, (size_t)n, 0644)) < 0) {
			(void)sigprocmask(SIG_SETMASK, &old, NULL);
			return berth_error_set(err, -r, BERTH_ERR_INVALID, "write pid file '%s'",
					       x->pid_file);
		}
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (x->detach) {
		*ret_status = 0;
		return 0;
	}
	_cleanup_close_ int master = -EBADF;
	if (x->console_peer >= 0 && (master = rt_recv_fd(x->console_peer)) < 0)
		return berth_error_set(err, -master, BERTH_ERR_INTERNAL, "receive the pty");
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if ((r = rt_supervise(pid, pidfd, master, ret_status)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "wait for the process");
	return 0;
}
