/* recvtty: the receiving end of a console socket, for tests.
 *
 *   recvtty SOCKET [INPUT]
 *
 * Listens on SOCKET, accepts one connection, receives the pty master over
 * SCM_RIGHTS, writes INPUT (if any) to it, then copies everything the
 * container writes to stdout until the terminal closes. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096], cbuf[CMSG_SPACE(sizeof(int))];
	int ls, conn, master = -1;

	if (argc < 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: recvtty SOCKET [INPUT]\n");
		return 2;
	}
	strcpy(sa.sun_path, argv[1]);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(argv[1]);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		perror("recvtty: listen");
		return 1;
	}
	/* Tell the test we are listening. */
	printf("listening\n");
	fflush(stdout);
	conn = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0) {
		perror("recvtty: accept");
		return 1;
	}
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	if (recvmsg(conn, &msg, 0) < 0) {
		perror("recvtty: recvmsg");
		return 1;
	}
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS) {
		fprintf(stderr, "recvtty: no fd received\n");
		return 1;
	}
	memcpy(&master, CMSG_DATA(c), sizeof(int));
	printf("received\n");
	fflush(stdout);
	if (argc > 2) {
		usleep(200000);
		if (write(master, argv[2], strlen(argv[2])) < 0)
			perror("recvtty: write");
	}
	for (;;) {
		ssize_t n = read(master, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (write(STDOUT_FILENO, buf, (size_t)n) < 0)
			break;
	}
	return 0;
}
