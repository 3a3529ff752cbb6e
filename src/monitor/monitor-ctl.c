/* Control connections: the daemon's end of the --control-fd socketpair, and
 * connections to monitor.sock (a restarted daemon says MON_HELLO and gets
 * MON_STATE). Events go to every subscribed connection; requests (attach,
 * exec, resize) are taken from any. A daemon that goes away is no reason to
 * stop: its connection is just closed. */
#define LOG_CATEGORY "monitor"
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor-internal.h"

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

static void ctl_close(struct monitor *m, struct mon_ctl *c)
{
	mon_watch_close(m, &c->w);
	for (struct mon_ctl **p = &m->ctls; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	c->next = m->dead_ctls;
	m->dead_ctls = c;
	m->n_ctls--;
}

void mon_ctl_sweep(struct monitor *m)
{
	while (m->dead_ctls) {
		struct mon_ctl *c = m->dead_ctls;
		m->dead_ctls = c->next;
		free(c);
	}
}

static void ctl_send(struct monitor *m, struct mon_ctl *c, const struct mon_msg *msg)
{
	size_t len = offsetof(struct mon_msg, text) + strlen(msg->text) + 1;
	ssize_t n;

	/* Blocking with a send timeout (SO_SNDTIMEO): events are small and a
	 * daemon that reads nothing for a second loses them, not the container. */
	do
		n = send(c->w.fd, msg, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN)
		ctl_close(m, c);
}

static void msg_fill(struct mon_msg *msg, enum mon_msg_type type, int a, int b, int c, int64_t ns,
		     const char *text)
{
	memset(msg, 0, offsetof(struct mon_msg, text));
	msg->type = type;
	msg->a = a;
	msg->b = b;
	msg->c = c;
	msg->time_ns = ns;
	msg->text[0] = '\0';
	if (text) {
		size_t n = strnlen(text, MON_TEXT_MAX - 1);
		memcpy(msg->text, text, n);
		msg->text[n] = '\0';
	}
}

void mon_ctl_event(struct monitor *m, enum mon_msg_type type, int a, int b, int c, int64_t ns,
		   const char *text)
{
	struct mon_msg msg;
	struct mon_ctl *ctl, *next;

	msg_fill(&msg, type, a, b, c, ns, text);
	for (ctl = m->ctls; ctl; ctl = next) {
		next = ctl->next;
		if (ctl->subscribed)
			ctl_send(m, ctl, &msg);
	}
}

static void ctl_hello(struct monitor *m, struct mon_ctl *c)
{
	struct mon_msg msg;
	int64_t ns = m->state == MON_STATE_EXITED ? m->finished_ns : mon_now_ns();

	c->subscribed = true;
	msg_fill(&msg, MON_STATE, (int)m->state, (int)m->init_pid, m->exit_code, ns, m->error);
	ctl_send(m, c, &msg);
}

static void ctl_message(struct monitor *m, struct mon_ctl *c, const struct mon_msg *msg, int fd)
{
	switch ((enum mon_msg_type)msg->type) {
	case MON_HELLO:
		ctl_hello(m, c);
		break;
	case MON_ATTACH:
		if (fd < 0)
			break;
		mon_client_add(m, m->state == MON_STATE_EXITED ? NULL : &m->fan, TAKE_FD(fd),
			       (unsigned)msg->a, msg->text);
		break;
	case MON_RESIZE:
		mon_container_resize(m, msg->a, msg->b);
		break;
	case MON_EXEC:
		mon_exec_request(m, (unsigned)msg->a, msg->text, TAKE_FD(fd));
		break;
	case MON_EXEC_RESIZE:
		mon_exec_resize(m, msg->text, msg->a, msg->b);
		break;
	case MON_STATE:
	case MON_STARTED:
	case MON_START_FAILED:
	case MON_EXITED:
	case MON_EXEC_STARTED:
	case MON_EXEC_EXITED:
	case MON_EXEC_FAILED:
	case MON_MSG_TYPE_MAX:
	default:
		log_debug("Unexpected message %u, ignoring", msg->type);
		break;
	}
	if (fd >= 0)
		(void)close(fd);
}

/* One datagram: the message and at most one descriptor (extra ones are closed). */
static ssize_t ctl_recv(int sock, struct mon_msg *msg, int *ret_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	*ret_fd = -1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*ret_fd < 0 && !(mh.msg_flags & MSG_CTRUNC))
				*ret_fd = fd;
			else
				(void)close(fd);
		}
	}
	size_t text = (size_t)n - offsetof(struct mon_msg, text);
	if ((size_t)n < offsetof(struct mon_msg, text))
		text = 0;
	msg->text[text < MON_TEXT_MAX ? text : MON_TEXT_MAX - 1] = '\0';
	return n;
}

static void on_ctl(struct monitor *m, struct mon_watch *w, uint32_t events)
{
	struct mon_ctl *c = container_of(w, struct mon_ctl, w);
	struct mon_msg msg;
	int fd;

	for (int i = 0; i < 16 && c->w.fd >= 0; i++) {
		ssize_t n = ctl_recv(c->w.fd, &msg, &fd);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			ctl_close(m, c); /* the daemon went away: carry on without it */
			return;
		}
		if ((size_t)n < offsetof(struct mon_msg, text)) {
			if (fd >= 0)
				(void)close(fd);
			continue;
		}
		ctl_message(m, c, &msg, fd);
	}
}

int mon_ctl_add(struct monitor *m, int fd, bool subscribed)
{
	struct timeval tv = { .tv_sec = 1 };
	struct mon_ctl *c;

	if (m->n_ctls >= MON_CTLS_MAX) {
		(void)close(fd);
		return -EMFILE;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c = xzalloc(sizeof(*c));
	c->subscribed = subscribed;
	int r = mon_watch_add(m, &c->w, fd, EPOLLIN, on_ctl);
	if (r < 0) {
		(void)close(fd);
		free(c);
		return r;
	}
	c->next = m->ctls;
	m->ctls = c;
	m->n_ctls++;
	return 0;
}

static void on_listen(struct monitor *m, struct mon_watch *w, uint32_t events)
{
	for (;;) {
		int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		(void)mon_ctl_add(m, fd, false);
	}
}

int mon_ctl_listen(struct monitor *m)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old;
	int r;

	if (fd < 0)
		return -errno;
	/* Relative to the monitor's directory, its working directory. */
	strcpy(sa.sun_path, MON_SOCKET);
	(void)unlink(MON_SOCKET);
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	(void)umask(old);
	if (r < 0 || listen(fd, 8) < 0)
		return -errno;
	r = mon_watch_add(m, &m->listen_w, fd, EPOLLIN, on_listen);
	if (r < 0)
		return r;
	TAKE_FD(fd);
	return 0;
}
