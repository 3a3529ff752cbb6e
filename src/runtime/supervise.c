/* Staying with a foreground process: forward signals to it, relay its
 * terminal when we hold the pty master, reap it (run and exec). */
#define LOG_CATEGORY "supervise"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime-internal.h"

int rt_recv_fd(int sock)
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
static int supervise_loop(pid_t pid, int pidfd, int master, int *ret_status)
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

int rt_supervise(pid_t pid, int pidfd, int master, int *ret_status)
{
	struct termios saved;
	bool raw = false;

	/* Our terminal goes raw while it carries the container's, as with ssh. */
	if (master >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
	int r = supervise_loop(pid, pidfd, master, ret_status);
	if (raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return r;
}
