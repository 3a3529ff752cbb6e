/* Messages between the runtime parent and the container init. */
#include <string.h>
#include <sys/socket.h>

#include "runtime-internal.h"

int sync_send(int fd, enum sync_type type, int errnum, const char *text)
{
	struct sync_msg m = { .type = type, .errnum = errnum };
	size_t len = offsetof(struct sync_msg, text);

	if (text) {
		size_t n = strnlen(text, sizeof(m.text) - 1);
		memcpy(m.text, text, n);
		m.text[n] = '\0';
		len += n + 1;
	}
	for (;;) {
		ssize_t w = send(fd, &m, len, MSG_NOSIGNAL);
		if (w >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int sync_recv(int fd, struct sync_msg *m)
{
	for (;;) {
		ssize_t n = recv(fd, m, sizeof(*m), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		if ((size_t)n < offsetof(struct sync_msg, text) || m->type >= SYNC_TYPE_MAX)
			return -EPROTO;
		if ((size_t)n == offsetof(struct sync_msg, text))
			m->text[0] = '\0';
		m->text[sizeof(m->text) - 1] = '\0';
		return 0;
	}
}
