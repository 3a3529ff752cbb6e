/* The process side of config.json, shared by the container init and exec:
 * rlimits, oom score, personality, scheduling, working directory, identity,
 * capabilities, no_new_privs, seccomp, and the executable lookup. */
#define LOG_CATEGORY "process"
#include <fcntl.h>
#include <limits.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps-internal.h"
#include "runtime-internal.h"
#include "seccomp-internal.h"

struct sched_attr_ {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

static int apply_rlimits(const struct rt_process *p, struct berth_error **err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct rt_rlimit *rl = &p->rlimits[i];
		struct rlimit cur, want = { .rlim_cur = rl->soft, .rlim_max = rl->hard };
		if (setrlimit(rl->resource, &want) == 0)
			continue;
		int e = errno;
		if (e == EPERM && getrlimit(rl->resource, &cur) == 0 &&
		    want.rlim_max > cur.rlim_max)
			return berth_error_set(
				err, 0, BERTH_ERR_INVALID,
				"process.rlimits[%zu]: cannot raise the hard limit of "
				"%s to %llu above %llu: this needs CAP_SYS_RESOURCE, "
				"which the runtime does not have",
				i, rl->name, (unsigned long long)rl->hard,
				(unsigned long long)cur.rlim_max);
		return berth_error_set(err, e, BERTH_ERR_INVALID, "process.rlimits[%zu]: set %s", i,
				       rl->name);
	}
	return 0;
}

static int apply_cpu_affinity(const char *list, const char *field, struct berth_error **err)
{
	cpu_set_t set;
	_cleanup_free_ char *copy = xstrdup(list);
	char *save = NULL;

	CPU_ZERO(&set);
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		int lo, hi;
		if (dash)
			*dash = '\0';
		if (str_to_int(tok, &lo) < 0 ||
		    (dash ? str_to_int(dash + 1, &hi) : (hi = lo, 0)) < 0 || lo < 0 || hi < lo ||
		    hi >= CPU_SETSIZE)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s: '%s' is not a list of CPUs like 0-3,5", field,
					       list);
		for (int c = lo; c <= hi; c++)
			CPU_SET(c, &set);
	}
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "%s: set '%s'", field, list);
	return 0;
}

static int apply_scheduling(const struct rt_process *p, struct berth_error **err)
{
	if (p->has_io_priority &&
	    syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
		    IOPRIO_PRIO_VALUE(p->io_priority_class, p->io_priority)) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID, "process.ioPriority: set");
	if (p->has_scheduler) {
		struct sched_attr_ attr = {
			.size = sizeof(attr),
			.sched_policy = (uint32_t)p->sched_policy,
			.sched_flags = p->sched_flags,
			.sched_nice = p->sched_nice,
			.sched_priority = (uint32_t)p->sched_priority,
			.sched_runtime = p->sched_runtime,
			.sched_deadline = p->sched_deadline,
			.sched_period = p->sched_period,
		};
		if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID,
					       "process.scheduler: set");
	}
	if (p->exec_cpu_affinity_initial)
		return apply_cpu_affinity(p->exec_cpu_affinity_initial,
					  "process.execCPUAffinity.initial", err);
	return 0;
}

/* The container's first process gets its working directory made when it is
 * missing, as runc does; an exec'd one does not (runc and docker fail it). */
static int enter_cwd(const struct rt_process *p, bool create, struct berth_error **err)
{
	char buf[PATH_MAX];

	if (chdir(p->cwd) < 0) {
		if (errno != ENOENT || !create || mkdir_p(p->cwd, 0755) < 0 || chdir(p->cwd) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID,
					       "process.cwd: enter '%s'", p->cwd);
	}
	/* A working directory outside the root (a leaked descriptor's directory, the
	 * CVE-2024-21626 class) has no path from "/": getcwd fails or says unreachable. */
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return berth_error_set(err, EPERM, BERTH_ERR_INVALID,
				       "process.cwd: '%s' is outside the container's root", p->cwd);
	return 0;
}

int process_apply_early(const struct rt_process *p, bool create_cwd, struct berth_error **err)
{
	int r;

	if ((r = apply_rlimits(p, err)) < 0 || (r = apply_scheduling(p, err)) < 0)
		return r;
	if (p->has_oom_score_adj) {
		char v[16];
		(void)snprintf(v, sizeof(v), "%d", p->oom_score_adj);
		r = file_write_str_at(AT_FDCWD, "/proc/self/oom_score_adj", v);
		if (r == -EACCES || r == -EPERM)
			return berth_error_set(err, -r, BERTH_ERR_INVALID,
					       "process.oomScoreAdj: lowering it to %d needs "
					       "CAP_SYS_RESOURCE",
					       p->oom_score_adj);
		if (r < 0)
			return berth_error_set(err, -r, BERTH_ERR_INVALID,
					       "process.oomScoreAdj: write %d", p->oom_score_adj);
	}
	return enter_cwd(p, create_cwd, err);
}

int process_apply_identity(const struct rt_process *p, bool joined_userns,
			   struct rt_seccomp_filter *seccomp, struct berth_error **err)
{
	int r, notify_fd = -1;
	bool setgroups_ok = true;

	/* In a user namespace whose setgroups is "deny", supplementary groups cannot change. */
	_cleanup_free_ char *sg = NULL;
	if (file_read_all("/proc/self/setgroups", 64, &sg, NULL) == 0 && str_has_prefix(sg, "deny"))
		setgroups_ok = false;

	/* Without no_new_privs the filter must go in while we still hold CAP_SYS_ADMIN. */
	if (seccomp && !p->no_new_privileges &&
	    (r = seccomp_filter_load(seccomp, &notify_fd, err)) < 0)
		return r;
	if (p->has_caps && (r = caps_apply_bounding(&p->caps, err)) < 0)
		return r;
	if ((r = caps_set_user(&p->user, setgroups_ok, err)) < 0)
		return r;
	if (p->has_caps) {
		if ((r = caps_apply_sets(&p->caps, err)) < 0)
			return r;
	} else if (p->user.uid != 0) {
		/* No capabilities object: a non-root user keeps none, as after a plain setuid. */
		struct rt_caps none = { 0 };
		if ((r = caps_apply_sets(&none, err)) < 0)
			return r;
	}
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "process.noNewPrivileges: set");
	if (p->exec_cpu_affinity_final &&
	    (r = apply_cpu_affinity(p->exec_cpu_affinity_final, "process.execCPUAffinity.final",
				    err)) < 0)
		return r;
	umask(p->user.has_umask ? p->user.umask : 0022);
	if (seccomp && p->no_new_privileges &&
	    (r = seccomp_filter_load(seccomp, &notify_fd, err)) < 0)
		return r;
	return notify_fd >= 0 ? notify_fd : 0;
}

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

int process_find_exe(const struct rt_process *p, char **ret, struct berth_error **err)
{
	const char *name = p->args[0];
	const char *path = NULL;

	if (strchr(name, '/')) {
		if (!is_executable(name))
			return berth_error_set(err, 0, BERTH_ERR_NOT_FOUND,
					       "exec: \"%s\": stat %s: %s", name, name,
					       access(name, F_OK) == 0
						       ? "permission denied"
						       : "no such file or directory");
		*ret = xstrdup(name);
		return 0;
	}
	for (size_t i = 0; p->env && p->env[i]; i++)
		if (str_has_prefix(p->env[i], "PATH="))
			path = p->env[i] + 5;
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *full = xasprintf("%s/%s", *dir ? dir : ".", name);
		if (is_executable(full)) {
			*ret = TAKE_PTR(full);
			return 0;
		}
	}
	return berth_error_set(err, 0, BERTH_ERR_NOT_FOUND,
			       "exec: \"%s\": executable file not found in $PATH", name);
}

void process_close_fds(int preserve_fds, int keep)
{
	int from = 3 + preserve_fds;

	if (keep >= from) {
		if (keep > from)
			(void)syscall(SYS_close_range, (unsigned)from, (unsigned)keep - 1, 0);
		(void)syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0);
		return;
	}
	(void)fd_close_from(from);
}
