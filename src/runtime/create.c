/* `create`: the runtime parent. It checks the config, makes the state
 * directory, the exec fifo and the cgroup, clones the container init into its
 * new namespaces, answers its requests (id maps, cgroup, hooks) and records
 * the state once the init waits for `start`. A failure undoes everything. */
#define LOG_CATEGORY "create"
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "create-internal.h"
#include "seccomp-internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

void create_job_cleanup(struct create_job *j, bool failed)
{
	if (failed && j->pid > 0) {
		(void)kill(j->pid, SIGKILL);
		(void)waitpid(j->pid, NULL, 0);
		j->pid = 0;
	}
	if (failed && j->cg_made)
		(void)cgroup_destroy(j->cg, NULL);
	if (failed && j->dir_made)
		(void)rm_rf(j->dir);
	cgroup_free(j->cg);
	j->cg = NULL;
	seccomp_filter_free(j->seccomp);
	j->seccomp = NULL;
	closep(&j->fifo_fd);
	closep(&j->sync_fd);
	closep(&j->console_fd);
	closep(&j->pidfd);
	free(j->dir);
	j->dir = NULL;
	free(j->config_text);
	j->config_text = NULL;
	spec_free(j->spec);
	j->spec = NULL;
}

static int load_config(struct create_job *j, struct berth_error **err)
{
	const char *bundle = j->opts->bundle ? j->opts->bundle : ".";
	_cleanup_free_ char *abs = realpath(bundle, NULL);
	_cleanup_free_ char *path = NULL;
	int r;

	if (!abs)
		return berth_error_set(err, errno, BERTH_ERR_NOT_FOUND, "bundle '%s'", bundle);
	path = j->opts->config_path ? xstrdup(j->opts->config_path)
				    : xasprintf("%s/config.json", abs);
	r = file_read_all(path, SPEC_MAX_BYTES, &j->config_text, &j->config_len);
	if (r == -EFBIG)
		return berth_error_set(err, EFBIG, BERTH_ERR_INVALID,
				       "'%s' is larger than %u bytes", path, SPEC_MAX_BYTES);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_NOT_FOUND, "read '%s'", path);
	if ((r = spec_parse(j->config_text, j->config_len, abs, &j->spec, err)) < 0)
		return r;
	if (!j->spec->process)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "process: required to create a container");
	if (!j->spec->root_path)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "root: required to create a container");
	struct stat st;
	if (stat(j->spec->root_path, &st) < 0 || !S_ISDIR(st.st_mode))
		return berth_error_set(err, errno ? errno : ENOTDIR, BERTH_ERR_INVALID,
				       "root.path: '%s'", j->spec->root_path);
	return 0;
}

static int make_state_dir(struct create_job *j, struct berth_error **err)
{
	int r = mkdir_p(j->ctx->root, 0711);

	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "create state root '%s'",
				       j->ctx->root);
	j->dir = state_dir_path(j->ctx, j->id);
	if (mkdir(j->dir, 0711) < 0) {
		if (errno == EEXIST)
			return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
					       "container with id exists: %s", j->id);
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create '%s'", j->dir);
	}
	j->dir_made = true;
	_cleanup_free_ char *cfg = xasprintf("%s/%s", j->dir, RT_CONFIG_FILE);
	if ((r = file_write_replace(cfg, j->config_text, j->config_len, 0600)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write '%s'", cfg);
	_cleanup_free_ char *fifo = xasprintf("%s/%s", j->dir, RT_EXEC_FIFO);
	if (mkfifo(fifo, 0600) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create '%s'", fifo);
	/* O_RDWR: the init blocks reading it, and start can open it for writing. */
	j->fifo_fd = open(fifo, O_RDWR | O_CLOEXEC);
	if (j->fifo_fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", fifo);
	return 0;
}

static int make_cgroup(struct create_job *j, struct berth_error **err)
{
	struct rt_resources res = { 0 };
	int r;

	if (j->spec->resources)
		res = *j->spec->resources;
	(void)rt_device_rules_with_defaults(j->spec, &res);
	_cleanup_free_ struct rt_device_rule *rules = res.device_rules; /* ours, not the spec's */
	(void)rules;
	if ((r = cgroup_new(j->spec->cgroups_path, j->id, &j->cg, err)) < 0)
		return r;
	if ((r = cgroup_create(j->cg, &res, err)) < 0)
		return r;
	j->cg_made = true;
	return 0;
}

/* pid and time namespaces apply to children only: join or create them here. */
static int prepare_child_namespaces(struct create_job *j, struct berth_error **err)
{
	const char *path = NULL;
	int r;

	if (spec_has_namespace(j->spec, CLONE_NEWPID, &path) && path) {
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWPID) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INVALID,
					       "linux.namespaces: join pid namespace '%s'", path);
	}
	path = NULL;
	if (spec_has_namespace(j->spec, CLONE_NEWTIME, &path)) {
		if (path) {
			_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWTIME) < 0)
				return berth_error_set(err, errno, BERTH_ERR_INVALID,
						       "linux.namespaces: join time namespace '%s'",
						       path);
		} else {
			if (unshare(CLONE_NEWTIME) < 0)
				return berth_error_set(err, errno, BERTH_ERR_INVALID,
						       "linux.namespaces: new time namespace");
			if ((r = ns_set_time_offsets(j->spec, err)) < 0)
				return r;
		}
	}
	return 0;
}

/* Answer the init until it is ready for start. */
static int serve_init(struct create_job *j, struct berth_error **err)
{
	struct sync_msg m;
	char pid_text[16];
	int r;

	const char *userns = NULL;
	bool joined_userns = spec_has_namespace(j->spec, CLONE_NEWUSER, &userns) && userns;
	if (joined_userns) {
		/* The first stage forked the init into the new namespaces: take its pid. */
		if ((r = sync_recv(j->sync_fd, &m)) < 0 || m.type != SYNC_PID)
			return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "%s",
					       r == 0 && m.type == SYNC_ERROR
						       ? m.text
						       : "container init exited unexpectedly");
		int first = j->pid, status = 0;
		(void)waitpid(first, &status, 0);
		j->pid = atoi(m.text);
		closep(&j->pidfd);
		j->pidfd = (int)syscall(SYS_pidfd_open, j->pid, 0);
	} else if (spec_has_namespace(j->spec, CLONE_NEWUSER, NULL) &&
		   (r = ns_write_id_maps(j->pid, j->spec, err)) < 0) {
		return r;
	}
	(void)snprintf(pid_text, sizeof(pid_text), "%d", (int)j->pid);
	if (sync_send(j->sync_fd, SYNC_GO, 0, pid_text) < 0)
		return berth_error_set(err, EPIPE, BERTH_ERR_INTERNAL, "container init is gone");
	for (;;) {
		r = sync_recv(j->sync_fd, &m);
		if (r < 0) {
			int status = 0;
			(void)waitpid(j->pid, &status, 0);
			j->pid = 0;
			return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
					       "container init exited unexpectedly (status %d)",
					       WIFEXITED(status) ? WEXITSTATUS(status)
								 : 128 + WTERMSIG(status));
		}
		switch ((enum sync_type)m.type) {
		case SYNC_READY:
			return 0;
		case SYNC_ERROR:
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s", m.text);
		case SYNC_HOOKS_REQ: {
			struct rt_state st = { .id = (char *)j->id,
					       .pid = j->pid,
					       .bundle = j->spec->bundle,
					       .rootfs = j->spec->root_path,
					       .created = (char *)"",
					       .annotations = j->spec->annotations,
					       .n_annotations = j->spec->n_annotations };
			_cleanup_free_ char *json = state_oci_json(&st, RT_STATUS_CREATING);
			if ((r = hooks_run(j->spec, RT_HOOK_PRESTART, json, err)) < 0 ||
			    (r = hooks_run(j->spec, RT_HOOK_CREATE_RUNTIME, json, err)) < 0) {
				(void)sync_send(j->sync_fd, SYNC_ERROR, -r, NULL);
				return r;
			}
			(void)sync_send(j->sync_fd, SYNC_HOOKS_DONE, 0, NULL);
			break;
		}
		case SYNC_PID:
		case SYNC_GO:
		case SYNC_HOOKS_DONE:
		case SYNC_TYPE_MAX:
		default:
			return berth_error_set(err, EPROTO, BERTH_ERR_INTERNAL,
					       "unexpected message %u from the container init",
					       m.type);
		}
	}
}

static int spawn_init(struct create_job *j, struct berth_error **err)
{
	int sp[2], r;

	if ((r = prepare_child_namespaces(j, err)) < 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "socketpair");
	j->sync_fd = sp[0];
	struct cgroup_attach att = { .unified_fd = -EBADF };
	if ((r = cgroup_attach_prepare(j->cg, &att, err)) < 0) {
		(void)close(sp[1]);
		return r;
	}
	const char *userns = NULL;
	bool joined_userns = spec_has_namespace(j->spec, CLONE_NEWUSER, &userns) && userns;
	/* With a joined user namespace, new namespaces must be made after joining it. */
	int flags =
		joined_userns ? 0 : ns_clone_flags(j->spec) & ~(CLONE_NEWCGROUP | CLONE_NEWTIME);
	bool in_cgroup = false;
	pid_t pid = rt_clone((unsigned long)flags, att.unified_fd, &in_cgroup);
	if (pid < 0) {
		(void)close(sp[1]);
		cgroup_attach_close(&att);
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "clone the container init into its namespaces");
	}
	if (pid == 0) {
		(void)close(sp[0]);
		struct init_args a = {
			.spec = j->spec,
			.id = j->id,
			.sync_fd = sp[1],
			.fifo_fd = j->fifo_fd,
			.console_fd = j->console_fd,
			.cgroup_path = cgroup_path(j->cg),
			.log_fd = j->ctx->log_fd,
			.preserve_fds = j->opts->preserve_fds,
			.no_pivot = j->opts->no_pivot,
			.no_new_keyring = j->opts->no_new_keyring,
			.seccomp = j->seccomp,
			.attach = &att,
			.joined_userns = joined_userns,
			.notify_sock = -EBADF,
		};
		init_container(&a);
	}
	(void)close(sp[1]);
	cgroup_attach_close(&att);
	j->pid = pid;
	if (!in_cgroup && (r = cgroup_enter_unified(j->cg, pid, err)) < 0)
		return r;
	/* Only the init may hold the fifo: start waits for its last writer to go. */
	(void)close(TAKE_FD(j->fifo_fd));
	j->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return serve_init(j, err);
}

static int record_state(struct create_job *j, struct berth_error **err)
{
	char created[40];
	const char *pidns = NULL;
	int r;

	time_format_rfc3339(created);
	struct rt_state st = {
		.id = (char *)j->id,
		.pid = j->pid,
		.start_time = proc_start_time(j->pid),
		.bundle = j->spec->bundle,
		.rootfs = j->spec->root_path,
		.cgroup_path = (char *)cgroup_path(j->cg),
		.created = created,
		.own_pidns = spec_has_namespace(j->spec, CLONE_NEWPID, &pidns) && !pidns,
		.annotations = j->spec->annotations,
		.n_annotations = j->spec->n_annotations,
	};
	if (st.start_time == 0)
		return berth_error_set(err, ESRCH, BERTH_ERR_INTERNAL, "container init is gone");
	if ((r = state_save(j->dir, &st, err)) < 0)
		return r;
	if (j->opts->pid_file) {
		char text[16];
		int n = snprintf(text, sizeof(text), "%d", (int)j->pid);
		_cleanup_free_ char *abs = j->opts->pid_file[0] == '/'
						   ? xstrdup(j->opts->pid_file)
						   : xasprintf("%s/%s", j->cwd, j->opts->pid_file);
		if ((r = file_write_replace(abs, text, (size_t)n, 0644)) < 0)
			return berth_error_set(err, -r, BERTH_ERR_INVALID, "write pid file '%s'",
					       j->opts->pid_file);
	}
	return 0;
}

/* Could a process of the container see the init while it still runs our code?
 * Only if its pid namespace is not one we create for it (shared or the host's),
 * or if a process there may hold CAP_SYS_PTRACE, which opens the init's
 * /proc/PID/exe despite it being non-dumpable. Otherwise the re-exec from a
 * sealed copy buys nothing and costs a millisecond. */
static bool create_needs_protection(const struct rt_spec *spec)
{
	const char *path = NULL;

	if (!spec_has_namespace(spec, CLONE_NEWPID, &path) || path)
		return true;
	return !spec->process->has_caps ||
	       (spec->process->caps.bounding & (1ULL << 19 /* CAP_SYS_PTRACE */));
}

int create_job_run(struct create_job *j, struct berth_error **err)
{
	int r;

	uint64_t t0 = now_usec_monotonic();
	if ((r = rt_id_validate(j->id, err)) < 0 || (r = load_config(j, err)) < 0)
		return r;
	log_debug("config loaded at %llu us", (unsigned long long)(now_usec_monotonic() - t0));
	if (create_needs_protection(j->spec) && (r = rt_protect_exe(err)) < 0)
		return r;
	if (j->spec->process->terminal && !j->opts->console_socket && j->console_fd < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "process.terminal: a terminal needs --console-socket to "
				       "receive it");
	if ((r = make_state_dir(j, err)) < 0)
		return r;
	if (j->spec->seccomp) {
		_cleanup_free_ char *cache = xasprintf("%s/.seccomp-cache", j->ctx->root);
		if ((r = seccomp_filter_build_cached(j->spec->seccomp, cache, &j->seccomp, err)) <
		    0)
			return r;
	}
	log_debug("state dir and seccomp at %llu us",
		  (unsigned long long)(now_usec_monotonic() - t0));
	if ((r = make_cgroup(j, err)) < 0)
		return r;
	log_debug("cgroup made at %llu us", (unsigned long long)(now_usec_monotonic() - t0));
	if (j->spec->process->terminal && j->console_fd < 0 &&
	    (r = console_connect(j->opts->console_socket, &j->console_fd, err)) < 0)
		return r;
	if ((r = spawn_init(j, err)) < 0)
		return r;
	log_debug("init ready at %llu us", (unsigned long long)(now_usec_monotonic() - t0));
	if ((r = record_state(j, err)) < 0)
		return r;
	log_debug("state recorded at %llu us", (unsigned long long)(now_usec_monotonic() - t0));
	return 0;
}

int rt_create(const struct rt_context *ctx, const char *id, const struct rt_create_opts *opts,
	      struct berth_error **err)
{
	struct create_job j = { .ctx = ctx, .id = id, .opts = opts };
	int r;

	create_job_init(&j);
	r = create_job_run(&j, err);
	create_job_cleanup(&j, r < 0);
	return r;
}

void create_job_init(struct create_job *j)
{
	j->fifo_fd = j->sync_fd = j->console_fd = j->pidfd = -EBADF;
	if (!getcwd(j->cwd, sizeof(j->cwd)))
		strcpy(j->cwd, "/");
}
