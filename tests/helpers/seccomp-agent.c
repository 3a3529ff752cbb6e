/* seccomp-agent: a seccomp notify listener for tests.
 *
 *   seccomp-agent SOCKET ERRNO
 *
 * Listens on SOCKET, receives the container's listener fd with its state
 * (printed as "state <json>"), then answers every notification with -ERRNO
 * and prints "notified <syscall nr>", until the container goes away. */
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536], cbuf[CMSG_SPACE(sizeof(int))];
	int ls, conn, fd;

	if (argc < 3 || strlen(argv[1]) >= sizeof(sa.sun_path))
		return 2;
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0)
		return 1;
	printf("listening\n");
	fflush(stdout);
	conn = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(conn, &msg, 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (n <= 0 || !c || c->cmsg_type != SCM_RIGHTS)
		return 1;
	buf[n] = '\0';
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	printf("state %s\n", buf);
	fflush(stdout);
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.error = -atoi(argv[2]);
		printf("notified %d\n", req.data.nr);
		fflush(stdout);
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
			break;
	}
	return 0;
}
