/* The container's terminal: a pty from the container's own devpts, whose
 * master goes to the caller's console socket (SCM_RIGHTS), as runc does. */
#define LOG_CATEGORY "console"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "runtime-internal.h"

int console_create(int *ret_master, int *ret_slave, struct berth_error **err)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int unlock = 0;

	if (master < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "process.terminal: open /dev/ptmx (is /dev/pts mounted?)");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "unlock the pty");
	/* TIOCGPTPEER opens the slave through the master, without a path lookup. */
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open the pty slave");
	*ret_master = TAKE_FD(master);
	*ret_slave = slave;
	return 0;
}

int console_set_size(int fd, unsigned height, unsigned width)
{
	struct winsize ws = { .ws_row = (unsigned short)height, .ws_col = (unsigned short)width };
	return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

int console_send_master(int sock, int master, struct berth_error **err)
{
	char name[] = "/dev/ptmx";
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) - 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "send the pty master to the console socket");
	return 0;
}

int console_connect(const char *path, int *ret_fd, struct berth_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "socket");
	if (strlen(path) >= sizeof(sa.sun_path))
		return berth_error_set(err, ENAMETOOLONG, BERTH_ERR_INVALID,
				       "console socket path '%s'", path);
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INVALID,
				       "connect to console socket '%s'", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}
