/* The seccomp notify hand-over of the OCI runtime spec: the runtime connects
 * to linux.seccomp.listenerPath and sends, in one message, the container
 * process state as JSON with the listener fd attached (SCM_RIGHTS). */
#define LOG_CATEGORY "seccomp"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "seccomp-internal.h"

#define LISTENER_PATH "linux.seccomp.listenerPath"

int seccomp_notify_connect(const char *listener_path, struct berth_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -EBADF;
	size_t len = strlen(listener_path);

	if (len == 0 || len >= sizeof(addr.sun_path))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       LISTENER_PATH ": '%s' is not a usable socket path",
				       listener_path);
	memcpy(addr.sun_path, listener_path, len);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create unix socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return berth_error_set(err, errno, BERTH_ERR_UNAVAILABLE,
				       LISTENER_PATH ": connect to '%s'", listener_path);
	return TAKE_FD(fd);
}

/* The first sendmsg carries the fd; a stream socket may take the rest later. */
static int send_with_fd(int sk, int fd, const char *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = { 0 };
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	ssize_t n;

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	do
		n = sendmsg(sk, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (size_t off = (size_t)n; off < len; off += (size_t)n) {
		n = send(sk, data + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n < 0)
			return -errno;
	}
	return 0;
}

int seccomp_notify_send(const char *listener_path, int notify_fd, const char *state_json,
			struct berth_error **err)
{
	_cleanup_close_ int sk = -EBADF;
	int r;

	if (notify_fd < 0 || str_is_empty(state_json))
		return berth_error_set(err, EINVAL, BERTH_ERR_INTERNAL,
				       "send seccomp listener: no fd or no state");
	sk = seccomp_notify_connect(listener_path, err);
	if (sk < 0)
		return sk;
	r = send_with_fd(sk, notify_fd, state_json, strlen(state_json));
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_UNAVAILABLE,
				       LISTENER_PATH ": send the listener fd to '%s'",
				       listener_path);
	return 0;
}

int seccomp_notify_send_on(int sk, int notify_fd, const char *state_json, struct berth_error **err)
{
	int r = send_with_fd(sk, notify_fd, state_json, strlen(state_json));

	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_UNAVAILABLE,
				       LISTENER_PATH ": send the listener fd");
	return 0;
}
