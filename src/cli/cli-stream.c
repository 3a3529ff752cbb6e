/* Container streams: stdcopy demultiplexing, body copies and the pump of a
 * hijacked connection (stdin in, output out, signals to a callback). */
#define LOG_CATEGORY "cli-stream"
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "cli-stream-internal.h"

void cli_stdcopy_init(struct cli_stdcopy *s, int out_fd, int err_fd)
{
	*s = (struct cli_stdcopy){ .out_fd = out_fd, .err_fd = err_fd };
}

void cli_stdcopy_done(struct cli_stdcopy *s)
{
	free(s->syserr);
	s->syserr = NULL;
}

static int frame_end(struct cli_stdcopy *s, struct berth_error **err)
{
	if (s->stream != 3)
		return 0;
	return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "error from daemon in stream: %.*s",
			       (int)s->syserr_len, s->syserr ? s->syserr : "");
}

int cli_stdcopy_feed(struct cli_stdcopy *s, const void *data, size_t len, struct berth_error **err)
{
	const uint8_t *p = data;
	int r;

	while (len > 0) {
		if (s->head_len < 8) {
			size_t k = 8 - s->head_len < len ? 8 - s->head_len : len;
			memcpy(s->head + s->head_len, p, k);
			s->head_len += k;
			p += k;
			len -= k;
			if (s->head_len < 8)
				break;
			s->stream = s->head[0];
			s->left = (uint32_t)s->head[4] << 24 | (uint32_t)s->head[5] << 16 |
				  (uint32_t)s->head[6] << 8 | s->head[7];
			if (s->stream > 3)
				return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
						       "Unrecognized input header: %d", s->stream);
			s->syserr_len = 0;
			if (s->left == 0) {
				s->head_len = 0;
				r = frame_end(s, err);
				if (r < 0)
					return r;
			}
			continue;
		}
		size_t k = s->left < len ? s->left : len;
		if (s->stream == 3) {
			s->syserr = xrealloc(s->syserr, s->syserr_len + k + 1);
			memcpy(s->syserr + s->syserr_len, p, k);
			s->syserr_len += k;
		} else {
			r = fd_write_all(s->stream == 2 ? s->err_fd : s->out_fd, p, k);
			if (r < 0)
				return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write output");
		}
		p += k;
		len -= k;
		s->left -= (uint32_t)k;
		if (s->left == 0) {
			s->head_len = 0;
			r = frame_end(s, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int cli_stream_copy_body(struct cli_http_response *r, bool tty, struct berth_error **err)
{
	_cleanup_free_ char *buf = xmalloc(CLI_HTTP_BUF_SIZE);
	struct cli_stdcopy sc;
	int q = 0;

	(void)fflush(stdout);
	cli_stdcopy_init(&sc, STDOUT_FILENO, STDERR_FILENO);
	for (;;) {
		ssize_t n = cli_http_body_read(r, buf, CLI_HTTP_BUF_SIZE, err);
		if (n <= 0) {
			q = (int)n;
			break;
		}
		if (tty) {
			q = fd_write_all(STDOUT_FILENO, buf, (size_t)n);
			if (q < 0)
				q = berth_error_set(err, -q, BERTH_ERR_INTERNAL, "write output");
		} else {
			q = cli_stdcopy_feed(&sc, buf, (size_t)n, err);
		}
		if (q < 0)
			break;
	}
	cli_stdcopy_done(&sc);
	return q;
}

/* Output from the daemon: 1 more to come, 0 at EOF, negative on error. */
static int pump_output(struct cli_pump *p, struct cli_stdcopy *sc, char *buf,
		       struct berth_error **err)
{
	ssize_t n = cli_http_conn_read(p->conn, buf, CLI_HTTP_BUF_SIZE);
	int r;

	if (n < 0 && (n == -ECONNRESET || n == -EPIPE))
		return 0;
	if (n < 0)
		return berth_error_set(err, (int)-n, BERTH_ERR_UNAVAILABLE, "read from the daemon");
	if (n == 0)
		return 0;
	if (p->tty) {
		r = fd_write_all(STDOUT_FILENO, buf, (size_t)n);
		if (r < 0)
			return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write output");
		return 1;
	}
	r = cli_stdcopy_feed(sc, buf, (size_t)n, err);
	return r < 0 ? r : 1;
}

struct detach {
	char keys[16];
	size_t len, matched;
};

/* Input to the daemon: 1 more to come, 0 at EOF (write side closed). */
static int pump_input(struct cli_pump *p, struct detach *d, char *buf, struct berth_error **err)
{
	ssize_t n = read(p->in_fd, buf, CLI_HTTP_BUF_SIZE);
	int r;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		(void)shutdown(p->conn->fd, SHUT_WR);
		return 0;
	}
	for (ssize_t i = 0; i < n && d->len > 0; i++) {
		if (buf[i] == d->keys[d->matched])
			d->matched++;
		else
			d->matched = buf[i] == d->keys[0] ? 1 : 0;
		if (d->matched == d->len) {
			/* As docker's escape proxy: the keys are not sent, the
			 * session ends here (the container keeps running). */
			p->detached = true;
			n = i + 1 >= (ssize_t)d->len ? i + 1 - (ssize_t)d->len : 0;
			break;
		}
	}
	if (p->detached && n == 0)
		return 0;
	r = cli_http_send(p->conn, buf, (size_t)n, err);
	if (r < 0) {
		/* the daemon closed its side: the output tells the rest */
		berth_error_free(*err);
		*err = NULL;
		return 0;
	}
	return 1;
}

static int make_signalfd(const int *signals, sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; signals && signals[i]; i++)
		sigaddset(&set, signals[i]);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return -errno;
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

int cli_pump_run(struct cli_pump *p, struct berth_error **err)
{
	_cleanup_free_ char *buf = xmalloc(CLI_HTTP_BUF_SIZE);
	_cleanup_close_ int sfd = -EBADF;
	struct detach d = { 0 };
	struct cli_stdcopy sc;
	sigset_t old;
	bool in_open = p->in_fd >= 0;
	int r = 1;

	(void)fflush(stdout);
	if (p->detach_keys &&
	    cli_detach_keys_parse(p->detach_keys, d.keys, sizeof(d.keys), &d.len) < 0)
		d.len = 0;
	if (!in_open)
		(void)shutdown(p->conn->fd, SHUT_WR);
	sigemptyset(&old);
	sfd = make_signalfd(p->signals, &old);
	cli_stdcopy_init(&sc, STDOUT_FILENO, STDERR_FILENO);
	/* bytes that came with the 101 */
	while (r > 0 && p->conn->end > p->conn->start)
		r = pump_output(p, &sc, buf, err);
	while (r > 0) {
		struct pollfd fds[3] = {
			{ .fd = p->conn->fd, .events = POLLIN },
			{ .fd = in_open ? p->in_fd : -1, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = berth_error_set(err, errno, BERTH_ERR_INTERNAL, "poll");
			break;
		}
		if (fds[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				if (p->on_signal)
					p->on_signal((int)si.ssi_signo, p->data);
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
			in_open = pump_input(p, &d, buf, err) > 0;
		if (p->detached)
			break;
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
			r = pump_output(p, &sc, buf, err);
	}
	cli_stdcopy_done(&sc);
	if (sfd >= 0)
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
	return r < 0 ? r : 0;
}
