/* The container's (or an exec's) descriptors: sources are the read ends of
 * stdout, stderr or the pty master, whose bytes fan out to the log and the
 * clients; the sink is stdin, fed by clients without ever blocking: when it
 * backs up, the clients that feed it are paused instead. */
#define LOG_CATEGORY "monitor"
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <termios.h>
#include <unistd.h>

#include "monitor-internal.h"

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

/* Shared by every source: only the pages a read fills become resident. */
static char read_buf[65536];

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

void mon_fanout_output(struct monitor *m, struct mon_fanout *f, int stream, const char *p, size_t n)
{
	struct mon_client *c, *next;

	if (f->log)
		mon_log_write(m, f->log, stream, p, n);
	for (c = m->clients; c; c = next) {
		next = c->next;
		/* A replaying client reads these bytes back from the log. */
		if (c->fan != f || c->replay || c->closing || !mon_client_wants(c, stream))
			continue;
		mon_client_send(m, c, stream, p, n);
	}
}

void mon_fanout_finish(struct monitor *m, struct mon_fanout *f)
{
	struct mon_client *c, *next;

	for (c = m->clients; c; c = next) {
		next = c->next;
		if (c->fan != f)
			continue;
		c->fan = NULL;
		mon_client_finish(m, c);
	}
}

void mon_fanout_resume(struct monitor *m, struct mon_fanout *f)
{
	for (struct mon_client *c = m->clients; c; c = c->next) {
		if (c->fan == f)
			mon_client_update(m, c);
	}
}

static void on_source(struct monitor *m, struct mon_watch *w, uint32_t events)
{
	struct mon_source *s = container_of(w, struct mon_source, w);

	/* A few reads per wake-up, then let the others have a turn. */
	for (int i = 0; i < 4 && s->w.fd >= 0; i++) {
		ssize_t n = read(s->w.fd, read_buf, sizeof(read_buf));
		if (n > 0) {
			mon_fanout_output(m, s->fan, s->stream, read_buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		/* EOF; EIO on a pty master once the terminal's last user is gone. */
		mon_source_close(m, s);
	}
}

int mon_source_open(struct monitor *m, struct mon_source *s, int fd, int stream,
		    struct mon_fanout *fan)
{
	int r = set_nonblock(fd);

	s->stream = stream;
	s->fan = fan;
	if (r == 0)
		r = mon_watch_add(m, &s->w, fd, EPOLLIN, on_source);
	if (r < 0)
		(void)close(fd);
	return r;
}

void mon_source_close(struct monitor *m, struct mon_source *s)
{
	if (s->w.fd < 0)
		return;
	mon_watch_close(m, &s->w);
	if (s->fan && s->fan->log)
		mon_log_flush(m, s->fan->log, s->stream);
}

bool mon_source_is_open(const struct mon_source *s)
{
	return s->w.fd >= 0;
}

static void on_sink(struct monitor *m, struct mon_watch *w, uint32_t events)
{
	struct mon_sink *s = container_of(w, struct mon_sink, w);

	if (events & EPOLLOUT) {
		int r = mon_buf_flush(&s->buf, s->w.fd);
		if (r == 0) {
			mon_watch_set(m, &s->w, 0);
			if (s->close_when_empty)
				mon_sink_close(m, s);
			else
				mon_fanout_resume(m, s->fan);
			return;
		}
		if (r > 0)
			return;
	}
	/* The reader is gone (EPOLLERR on a pipe, EPOLLHUP on a pty), or a write failed. */
	if (events & (EPOLLERR | EPOLLHUP | EPOLLOUT))
		mon_sink_close(m, s);
}

int mon_sink_open(struct monitor *m, struct mon_sink *s, int fd, bool tty, struct mon_fanout *fan)
{
	int r = set_nonblock(fd);

	s->tty = tty;
	s->fan = fan;
	fan->sink = s;
	if (r == 0)
		r = mon_watch_add(m, &s->w, fd, 0, on_sink);
	if (r < 0)
		(void)close(fd);
	return r;
}

void mon_sink_write(struct monitor *m, struct mon_sink *s, const void *p, size_t n)
{
	if (s->w.fd < 0 || s->close_when_empty)
		return;
	if (s->buf.len == 0) {
		while (n > 0) {
			ssize_t w = write(s->w.fd, p, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN)
				break;
			if (w < 0) {
				mon_sink_close(m, s);
				return;
			}
			p = (const char *)p + w;
			n -= (size_t)w;
		}
	}
	if (n == 0)
		return;
	mon_buf_append(&s->buf, p, n);
	mon_watch_set(m, &s->w, EPOLLOUT);
}

void mon_sink_eof(struct monitor *m, struct mon_sink *s)
{
	struct termios t;

	if (s->w.fd < 0)
		return;
	if (s->tty) {
		char eof = 4;
		if (tcgetattr(s->w.fd, &t) == 0 && t.c_cc[VEOF] != _POSIX_VDISABLE)
			eof = (char)t.c_cc[VEOF];
		mon_sink_write(m, s, &eof, 1);
		return;
	}
	if (s->buf.len == 0)
		mon_sink_close(m, s);
	else
		s->close_when_empty = true;
}

void mon_sink_close(struct monitor *m, struct mon_sink *s)
{
	if (s->w.fd < 0)
		return;
	mon_watch_close(m, &s->w);
	mon_buf_free(&s->buf);
	if (s->fan)
		mon_fanout_resume(m, s->fan);
}
