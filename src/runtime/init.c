/* The container init: runs in the child after clone, inside the new
 * namespaces. It builds the root file system, waits for `start` on the exec
 * fifo, drops privileges and execs the user's program. Every failure before
 * READY goes back to the parent over the sync socket; after READY, to `start`
 * through the fifo. */
#define LOG_CATEGORY "init"
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "json-util.h"
#include "runtime-internal.h"
#include "seccomp-internal.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

/* Report err to the parent and end the init. */
__attribute__((noreturn)) static void init_fail(struct init_args *a, struct berth_error *err)
{
	(void)sync_send(a->sync_fd, SYNC_ERROR, err ? err->errnum : EINVAL,
			err ? err->msg : "container init failed");
	_exit(1);
}

/* After READY the parent is gone: report through the fifo, which `start` reads. */
__attribute__((noreturn)) static void init_fail_late(struct init_args *a, struct berth_error *err)
{
	const char *msg = err ? err->msg : "container init failed";
	(void)fd_write_all(a->fifo_fd, msg, strlen(msg));
	log_error("%s", msg);
	_exit(127);
}

/* Keep internal descriptors out of the range handed to the container. */
static int fd_move_above(int *fd, int min)
{
	if (*fd < 0 || *fd >= min)
		return 0;
	int n = fcntl(*fd, F_DUPFD_CLOEXEC, min);
	if (n < 0)
		return -errno;
	(void)close(*fd);
	*fd = n;
	return 0;
}

/* A user namespace given by path must be joined before any namespace is
 * created, so that the new ones belong to it: join everything given by path,
 * unshare the new ones, and fork the real init (pid 1 of a new pid namespace)
 * as a sibling, reporting its pid to the parent. Only the init returns. */
static int init_first_stage(struct init_args *a, struct berth_error **err)
{
	const struct rt_spec *spec = a->spec;
	int r, flags = ns_clone_flags(spec) & ~(CLONE_NEWCGROUP | 0x00000080 /* CLONE_NEWTIME */);
	char pid_text[16];

	if ((r = ns_join_paths(spec, CLONE_NEWPID | 0x00000080, err)) < 0)
		return r;
	if ((flags & ~CLONE_NEWPID) && unshare(flags & ~CLONE_NEWPID) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "create namespaces in the joined user namespace");
	if (!(flags & CLONE_NEWPID))
		return 0;
	if (unshare(CLONE_NEWPID) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create the pid namespace");
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "fork the container init");
	if (pid == 0)
		return 0;
	(void)snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
	(void)sync_send(a->sync_fd, SYNC_PID, 0, pid_text);
	_exit(0);
}

static int init_wait_go(struct init_args *a, pid_t *ret_host_pid, struct berth_error **err)
{
	struct sync_msg m;
	int r = sync_recv(a->sync_fd, &m);

	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "wait for the runtime");
	if (m.type != SYNC_GO)
		return berth_error_set(err, EPROTO, BERTH_ERR_INTERNAL, "unexpected message %u",
				       m.type);
	*ret_host_pid = (pid_t)atoi(m.text);
	return 0;
}

static int init_namespaces(struct init_args *a, struct berth_error **err)
{
	const struct rt_spec *spec = a->spec;
	const char *path = NULL;
	int r;

	/* pid and time were joined by the parent; they only apply to children. With a
	 * joined user namespace the first stage joined everything already. */
	if (!a->joined_userns &&
	    (r = ns_join_paths(spec, CLONE_NEWPID | 0x00000080 /* CLONE_NEWTIME */, err)) < 0)
		return r;
	if (spec_has_namespace(spec, CLONE_NEWUSER, NULL)) {
		/* Become root of the user namespace (the parent wrote the maps of a new one). */
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return berth_error_set(
				err, errno, BERTH_ERR_INVALID,
				"linux.uidMappings: become root in the user namespace "
				"(is uid 0 mapped?)");
	}
	if (spec_has_namespace(spec, CLONE_NEWCGROUP, &path) && !path &&
	    unshare(CLONE_NEWCGROUP) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "unshare cgroup namespace");
	if (spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "hostname: set '%s'",
				       spec->hostname);
	if (spec->domainname && setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "domainname: set '%s'",
				       spec->domainname);
	if (!a->no_new_keyring) {
		_cleanup_free_ char *name = xasprintf("_ses.%s", a->id);
		if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0 &&
		    errno != ENOSYS && errno != EDQUOT && errno != EACCES)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
					       "create the session keyring");
	}
	return 0;
}

static int init_sysctl(const struct rt_spec *spec, struct berth_error **err)
{
	for (size_t i = 0; i < spec->n_sysctl; i++) {
		_cleanup_free_ char *path = xasprintf("/proc/sys/%s", spec->sysctl[i].key);
		for (char *p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		int r = file_write_str_at(AT_FDCWD, path, spec->sysctl[i].value);
		if (r < 0)
			return berth_error_set(err, -r, BERTH_ERR_INVALID,
					       "linux.sysctl.%s: write '%s'", spec->sysctl[i].key,
					       spec->sysctl[i].value);
	}
	return 0;
}

/* Ask the parent to run prestart and createRuntime hooks, which run in the
 * runtime's namespaces, and wait until it has. */
static int init_parent_hooks(struct init_args *a, struct berth_error **err)
{
	struct sync_msg m;
	int r;

	if (a->spec->hooks[RT_HOOK_PRESTART].n == 0 &&
	    a->spec->hooks[RT_HOOK_CREATE_RUNTIME].n == 0)
		return 0;
	if ((r = sync_send(a->sync_fd, SYNC_HOOKS_REQ, 0, NULL)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "ask for hooks");
	if ((r = sync_recv(a->sync_fd, &m)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "wait for hooks");
	if (m.type == SYNC_ERROR)
		_exit(1); /* the parent reports its own error */
	return 0;
}

static int init_console(struct init_args *a, struct berth_error **err)
{
	const struct rt_process *p = a->spec->process;
	int master = -1, slave = -1, r;

	if (!p->terminal) {
		/* A session of its own: kill(0, ...) in the container must not reach the
		 * runtime's caller, whose process group the init would otherwise share. */
		if (setsid() < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "setsid");
		return 0;
	}
	if ((r = console_create(&master, &slave, err)) < 0)
		return r;
	_cleanup_close_ int m = master, s = slave;
	if (p->has_console_size)
		(void)console_set_size(s, p->console_height, p->console_width);
	/* /dev/console is the terminal too, as on a real system. */
	unsigned ptn = 0;
	if (ioctl(m, TIOCGPTN, &ptn) == 0) {
		char pts[32];
		int f = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f >= 0)
			(void)close(f);
		(void)snprintf(pts, sizeof(pts), "/dev/pts/%u", ptn);
		if (mount(pts, "/dev/console", NULL, MS_BIND, NULL) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
					       "bind the terminal on /dev/console");
	}
	if ((r = console_send_master(a->console_fd, m, err)) < 0)
		return r;
	(void)close(TAKE_FD(a->console_fd));
	if (setsid() < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "setsid");
	if (ioctl(s, TIOCSCTTY, 0) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "set the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(s, fd) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "dup the terminal");
	return 0;
}

static char *init_state_json(struct init_args *a, pid_t host_pid, enum rt_status st)
{
	struct rt_state s = {
		.id = (char *)a->id,
		.pid = host_pid,
		.bundle = a->spec->bundle,
		.rootfs = a->spec->root_path,
		.created = (char *)"",
		.annotations = a->spec->annotations,
		.n_annotations = a->spec->n_annotations,
	};
	return state_oci_json(&s, st);
}

/* The container process state of the seccomp notify hand-over (runtime spec). */
static char *notify_message(struct init_args *a, pid_t host_pid, const char *state)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *fds = json_object_new_array();
	const char *meta = a->spec->seccomp->listener_metadata;

	json_object_array_add(fds, json_object_new_string("seccompFd"));
	json_object_object_add(o, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(o, "fds", fds);
	json_object_object_add(o, "pid", json_object_new_int(host_pid));
	json_object_object_add(o, "metadata", json_object_new_string(meta ? meta : ""));
	json_object_object_add(o, "state", json_tokener_parse(state));
	return xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

/* Everything up to READY: the container exists and waits for start. */
static void init_setup(struct init_args *a, pid_t *ret_host_pid, char **ret_exe)
{
	_cleanup_error_ struct berth_error *err = NULL;
	const struct rt_spec *spec = a->spec;
	pid_t host_pid = 0;
	int min = 3 + a->preserve_fds;

	if (fd_move_above(&a->sync_fd, min) < 0 || fd_move_above(&a->fifo_fd, min) < 0 ||
	    fd_move_above(&a->console_fd, min) < 0 || fd_move_above(&a->log_fd, min) < 0)
		init_fail(a, NULL);
	/* Until it execs the user's program the init is our code in the container's
	 * namespaces: non-dumpable, its /proc/PID/exe and memory need CAP_SYS_PTRACE. */
	(void)prctl(PR_SET_DUMPABLE, 0);
	/* First of all, into the container's cgroup (v1 hierarchies; the unified one
	 * took us at birth), before anything that costs resources. */
	if (cgroup_attach_self(a->attach, &err) < 0)
		init_fail(a, err);
	cgroup_attach_close((struct cgroup_attach *)a->attach);
	if (a->log_fd >= 0)
		log_set_target(a->log_fd, LOG_FORMAT_JSON);
	if (a->joined_userns && init_first_stage(a, &err) < 0)
		init_fail(a, err);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || init_wait_go(a, &host_pid, &err) < 0)
		init_fail(a, err);
	uint64_t t0 = now_usec_monotonic();
	if (init_namespaces(a, &err) < 0)
		init_fail(a, err);
	log_debug("init: namespaces at %llu us", (unsigned long long)(now_usec_monotonic() - t0));
	if (rootfs_prepare(spec, a->cgroup_path, &err) < 0)
		init_fail(a, err);
	log_debug("init: mounts at %llu us", (unsigned long long)(now_usec_monotonic() - t0));
	if (init_sysctl(spec, &err) < 0 || init_parent_hooks(a, &err) < 0)
		init_fail(a, err);
	if (spec->hooks[RT_HOOK_CREATE_CONTAINER].n) {
		_cleanup_free_ char *st = init_state_json(a, host_pid, RT_STATUS_CREATED);
		if (hooks_run(spec, RT_HOOK_CREATE_CONTAINER, st, &err) < 0)
			init_fail(a, err);
	}
	if (spec->seccomp && spec->seccomp->needs_notify) {
		a->notify_sock = seccomp_notify_connect(spec->seccomp->listener_path, &err);
		if (a->notify_sock < 0)
			init_fail(a, err);
	}
	if (rootfs_pivot(spec, a->no_pivot, &err) < 0 || init_console(a, &err) < 0)
		init_fail(a, err);
	log_debug("init: pivot at %llu us", (unsigned long long)(now_usec_monotonic() - t0));
	if (rootfs_finish(spec, &err) < 0 || process_apply_early(spec->process, true, &err) < 0 ||
	    process_find_exe(spec->process, ret_exe, &err) < 0)
		init_fail(a, err);
	log_debug("init: ready at %llu us", (unsigned long long)(now_usec_monotonic() - t0));
	if (spec->has_personality && personality(spec->personality) < 0) {
		(void)berth_error_set(&err, errno, BERTH_ERR_INVALID, "linux.personality: set");
		init_fail(a, err);
	}
	*ret_host_pid = host_pid;
}

void init_container(struct init_args *a)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *exe = NULL;
	const struct rt_process *p = a->spec->process;
	pid_t host_pid = 0;
	char c;

	init_setup(a, &host_pid, &exe);
	/* Nothing of ours may reach the user's program: mark every descriptor
	 * beyond stdio and --preserve-fds close-on-exec (fifo and log stay usable
	 * until exec for late errors). */
	(void)fd_cloexec_from(3 + a->preserve_fds);
	/* From READY on the container outlives `create`: stop dying with it first,
	 * or its exit could kill us before we got to say so. */
	(void)prctl(PR_SET_PDEATHSIG, 0);
	if (sync_send(a->sync_fd, SYNC_READY, 0, NULL) < 0)
		_exit(1);
	(void)close(TAKE_FD(a->sync_fd));

	/* Block until `start` writes to the fifo. */
	for (;;) {
		ssize_t n = read(a->fifo_fd, &c, 1);
		if (n == 1)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		_exit(1);
	}
	if (a->spec->hooks[RT_HOOK_START_CONTAINER].n) {
		_cleanup_free_ char *st = init_state_json(a, host_pid, RT_STATUS_CREATED);
		if (hooks_run(a->spec, RT_HOOK_START_CONTAINER, st, &err) < 0)
			init_fail_late(a, err);
	}
	int notify_fd = process_apply_identity(p, a->joined_userns, a->seccomp, &err);
	if (notify_fd < 0)
		init_fail_late(a, err);
	if (notify_fd > 0) {
		_cleanup_free_ char *st = init_state_json(a, host_pid, RT_STATUS_CREATED);
		_cleanup_free_ char *msg = notify_message(a, host_pid, st);
		if (seccomp_notify_send_on(a->notify_sock, notify_fd, msg, &err) < 0)
			init_fail_late(a, err);
		(void)close(notify_fd);
		(void)close(a->notify_sock);
	}
	execve(exe, p->args, p->env ? p->env : (char *[]){ NULL });
	(void)berth_error_set(&err, errno, BERTH_ERR_INVALID, "exec '%s'", p->args[0]);
	init_fail_late(a, err);
}
