/* `run`: create, start, then (unless detached) stay as the container's parent:
 * forward signals, relay the terminal when we own it, reap the init, delete
 * the container and exit with its status. */
#define LOG_CATEGORY "run"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "create-internal.h"

static int recv_fd(int sock)
{
	char buf[64], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0)
		return -errno;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EBADMSG;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void copy_winsize(int from, int to)
{
	struct winsize ws;
	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(to, TIOCSWINSZ, &ws);
}

static bool relay(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0)
		return false;
	return fd_write_all(to, buf, (size_t)n) == 0;
}

/* Forward signals to the init and relay the pty until the init exits. */
static int supervise(pid_t pid, int pidfd, int master, int *ret_status)
{
	sigset_t set;
	sigfillset(&set);
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGILL);
	sigdelset(&set, SIGFPE);
	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	_cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	bool in_open = master >= 0;

	if (master >= 0 && isatty(STDIN_FILENO))
		copy_winsize(STDIN_FILENO, master);
	for (;;) {
		struct pollfd p[4] = {
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = master, .events = POLLIN },
			{ .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		if (poll(p, 4, -1) < 0 && errno != EINTR)
			return -errno;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH && master >= 0)
					copy_winsize(STDIN_FILENO, master);
				else if (si.ssi_signo != SIGCHLD)
					(void)kill(pid, (int)si.ssi_signo);
			}
		}
		if (master >= 0 && (p[2].revents & (POLLIN | POLLHUP)) &&
		    !relay(master, STDOUT_FILENO) && !(p[2].revents & POLLIN))
			master = -1;
		if (in_open && (p[3].revents & (POLLIN | POLLHUP)) && !relay(STDIN_FILENO, master))
			in_open = false;
		if (p[0].revents & POLLIN) {
			while (master >= 0 && relay(master, STDOUT_FILENO))
				;
			int status = 0;
			if (waitpid(pid, &status, 0) < 0)
				return -errno;
			*ret_status =
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			return 0;
		}
	}
}

int rt_run(const struct rt_context *ctx, const char *id, const struct rt_create_opts *opts,
	   int *ret_status, struct berth_error **err)
{
	struct create_job j = { .ctx = ctx, .id = id, .opts = opts };
	_cleanup_close_ int console_peer = -EBADF, master = -EBADF;
	struct termios saved;
	bool raw = false;
	int r, sp[2];

	create_job_init(&j);
	/* A foreground run with a terminal and no console socket relays the pty itself. */
	if (!opts->console_socket && !opts->detach) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "socketpair");
		j.console_fd = sp[0];
		console_peer = sp[1];
	}
	if (!opts->detach)
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	r = create_job_run(&j, err);
	if (r < 0) {
		create_job_cleanup(&j, true);
		return r;
	}
	if (j.spec->process->terminal && console_peer >= 0) {
		master = recv_fd(console_peer);
		if (master < 0) {
			create_job_cleanup(&j, true);
			(void)rt_delete(ctx, id, true, NULL);
			return berth_error_set(err, -master, BERTH_ERR_INTERNAL, "receive the pty");
		}
	}
	_cleanup_state_ struct rt_state *st = NULL;
	uint64_t ts = now_usec_monotonic();
	if ((r = state_load(ctx, id, &st, err)) < 0 || (r = start_let_go(ctx, st, err)) < 0) {
		create_job_cleanup(&j, false);
		(void)rt_delete(ctx, id, true, NULL);
		return r;
	}
	log_debug("start took %llu us", (unsigned long long)(now_usec_monotonic() - ts));
	if (opts->detach) {
		create_job_cleanup(&j, false);
		*ret_status = 0;
		return 0;
	}
	if (master >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
	uint64_t t0 = now_usec_monotonic();
	r = supervise(j.pid, j.pidfd, master, ret_status);
	log_debug("container ran for %llu us", (unsigned long long)(now_usec_monotonic() - t0));
	if (raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	j.pid = 0;
	create_job_cleanup(&j, false);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "wait for the container");
	if (!opts->keep) {
		t0 = now_usec_monotonic();
		r = rt_delete(ctx, id, true, err);
		log_debug("delete took %llu us", (unsigned long long)(now_usec_monotonic() - t0));
		return r;
	}
	return 0;
}
