/* OCI hooks: each runs with the container state on stdin, its own args and env,
 * and an optional timeout; its output is kept for the error message. */
#define LOG_CATEGORY "hooks"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime-internal.h"
#include "spec-json-internal.h"

#define HOOK_OUTPUT_MAX 4096

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Child side: stdin from the state pipe, stdout/stderr to the capture pipe. */
__attribute__((noreturn)) static void hook_exec(const struct rt_hook *h, int in_fd, int out_fd)
{
	char *const empty[] = { NULL };

	if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(127);
	process_close_fds(0, -1);
	(void)sigprocmask(SIG_SETMASK, &(sigset_t){ 0 }, NULL);
	char *const *argv = h->args && h->args[0] ? h->args : (char *const[]){ h->path, NULL };
	execve(h->path, argv, h->env ? h->env : empty);
	dprintf(STDERR_FILENO, "exec '%s': %s", h->path, strerror(errno));
	_exit(127);
}

/* Wait for the hook, collecting output, until it exits or the deadline passes. */
static int hook_wait(pid_t pid, int pidfd, int out_fd, int timeout_s, char *out, size_t *out_len,
		     int *ret_status)
{
	uint64_t deadline =
		timeout_s > 0 ? now_usec_monotonic() + (uint64_t)timeout_s * 1000000 : 0;
	bool out_open = true;

	for (;;) {
		struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN },
				       { .fd = out_open ? out_fd : -1, .events = POLLIN } };
		int ms = -1;
		if (deadline) {
			uint64_t now = now_usec_monotonic();
			if (now >= deadline)
				return -ETIMEDOUT;
			ms = (int)((deadline - now) / 1000) + 1;
		}
		int n = poll(p, 2, ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && (p[1].revents & (POLLIN | POLLHUP))) {
			char buf[1024];
			ssize_t r = read(out_fd, buf, sizeof(buf));
			if (r <= 0) {
				out_open = false;
			} else {
				size_t room = HOOK_OUTPUT_MAX - 1 - *out_len;
				size_t k = (size_t)r < room ? (size_t)r : room;
				memcpy(out + *out_len, buf, k);
				*out_len += k;
			}
		}
		if (n > 0 && (p[0].revents & POLLIN) && !out_open) {
			if (waitpid(pid, ret_status, 0) < 0)
				return -errno;
			return 0;
		}
		if (n > 0 && (p[0].revents & POLLIN) && out_open) {
			/* Exited: drain what is buffered; a grandchild may hold the pipe open. */
			int fl = fcntl(out_fd, F_GETFL);
			(void)fcntl(out_fd, F_SETFL, fl | O_NONBLOCK);
			char buf[1024];
			ssize_t r;
			while ((r = read(out_fd, buf, sizeof(buf))) > 0) {
				size_t room = HOOK_OUTPUT_MAX - 1 - *out_len;
				size_t k = (size_t)r < room ? (size_t)r : room;
				memcpy(out + *out_len, buf, k);
				*out_len += k;
			}
			out_open = false;
		}
	}
}

static int hook_run_one(const struct rt_hook *h, const char *state_json, char *out, size_t *out_len,
			struct berth_error **err)
{
	int in_pipe[2], out_pipe[2];
	int status = 0;

	if (pipe2(in_pipe, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "pipe");
	if (pipe2(out_pipe, O_CLOEXEC) < 0) {
		(void)close(in_pipe[0]);
		(void)close(in_pipe[1]);
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "pipe");
	}
	_cleanup_close_ int in_w = in_pipe[1], out_r = out_pipe[0];
	pid_t pid = fork();
	if (pid < 0) {
		(void)close(in_pipe[0]);
		(void)close(out_pipe[1]);
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "fork");
	}
	if (pid == 0)
		hook_exec(h, in_pipe[0], out_pipe[1]);
	(void)close(in_pipe[0]);
	(void)close(out_pipe[1]);
	_cleanup_close_ int pidfd = pidfd_open_(pid);

	/* The hook may not read its stdin at all: ignore EPIPE, never block on it. */
	struct sigaction old, ign = { .sa_handler = SIG_IGN };
	(void)sigaction(SIGPIPE, &ign, &old);
	(void)fcntl(in_w, F_SETFL, O_NONBLOCK);
	(void)fd_write_all(in_w, state_json, strlen(state_json));
	(void)close(TAKE_FD(in_w));
	(void)sigaction(SIGPIPE, &old, NULL);

	int r = pidfd >= 0 ? hook_wait(pid, pidfd, out_r, h->has_timeout ? h->timeout : 0, out,
				       out_len, &status)
			   : (waitpid(pid, &status, 0) < 0 ? -errno : 0);
	out[*out_len] = '\0';
	if (r == -ETIMEDOUT) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
				       "hook '%s' did not finish within %d seconds", h->path,
				       h->timeout);
	}
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "wait for hook '%s'", h->path);
	if (WIFSIGNALED(status))
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
				       "hook '%s' killed by signal %d%s%s", h->path,
				       WTERMSIG(status), *out_len ? ": " : "", out);
	if (WEXITSTATUS(status) != 0)
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
				       "hook '%s' exited with status %d%s%s", h->path,
				       WEXITSTATUS(status), *out_len ? ": " : "", out);
	return 0;
}

int hooks_run(const struct rt_spec *spec, enum rt_hook_kind kind, const char *state_json,
	      struct berth_error **err)
{
	const struct rt_hook_list *l = &spec->hooks[kind];
	bool fatal = kind != RT_HOOK_POSTSTART && kind != RT_HOOK_POSTSTOP;

	for (size_t i = 0; i < l->n; i++) {
		_cleanup_free_ char *out = xmalloc(HOOK_OUTPUT_MAX);
		_cleanup_error_ struct berth_error *herr = NULL;
		size_t out_len = 0;
		int r = hook_run_one(&l->hooks[i], state_json, out, &out_len, &herr);
		if (r >= 0)
			continue;
		if (!fatal) {
			log_warn("%s hook #%zu: %s", spec_hook_kind_name(kind), i, herr->msg);
			continue;
		}
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "%s hook #%zu: %s",
				       spec_hook_kind_name(kind), i, herr->msg);
	}
	return 0;
}
