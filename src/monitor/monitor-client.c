/* Attach clients: sockets the daemon hijacked from HTTP and handed over.
 * Output is framed for each (docker's stdcopy: an 8-byte header with the
 * stream and a big-endian length, or raw for a terminal) and queued without
 * blocking; a client more than MON_CLIENT_BUF_MAX behind is dropped. Input
 * goes to the stdin sink; on a terminal, the detach keys end the attachment
 * and a partial key sequence is passed on once it fails to complete. */
#define LOG_CATEGORY "monitor"
#include <ctype.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "monitor-internal.h"

#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))
#define REPLAY_LOW_WATER	      (64 * 1024)

/* docker's detach key spec: "ctrl-p,ctrl-q", "ctrl-a,x" (ctrl-@ ... ctrl-_). */
static int parse_keys(const char *spec, unsigned char *keys, size_t max, size_t *ret_n)
{
	_cleanup_free_ char *copy = xstrdup(spec);
	char *save = NULL;
	size_t n = 0;

	for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		unsigned char code;
		if (n == max)
			return -E2BIG;
		if (strlen(k) == 1) {
			code = (unsigned char)k[0];
		} else if (strncasecmp(k, "ctrl-", 5) == 0 && strlen(k) == 6) {
			unsigned char c = (unsigned char)tolower((unsigned char)k[5]);
			if (c >= 'a' && c <= 'z')
				code = (unsigned char)(c - 'a' + 1);
			else if (c == '@' || (c >= '[' && c <= '_'))
				code = (unsigned char)(c - '@');
			else
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		keys[n++] = code;
	}
	if (n == 0)
		return -EINVAL;
	*ret_n = n;
	return 0;
}

bool mon_client_wants(const struct mon_client *c, int stream)
{
	return c->flags & (stream == MON_STREAM_STDERR ? MON_ATTACH_STDERR : MON_ATTACH_STDOUT);
}

static struct mon_sink *client_sink(const struct mon_client *c)
{
	if (!(c->flags & MON_ATTACH_STDIN) || !c->fan || !c->fan->sink || c->fan->sink->w.fd < 0)
		return NULL;
	return c->fan->sink;
}

void mon_client_update(struct monitor *m, struct mon_client *c)
{
	struct mon_sink *s = client_sink(c);
	uint32_t ev = 0;

	if (!c->input_done && !(s && s->buf.len >= MON_SINK_BUF_MAX))
		ev |= EPOLLIN;
	if (c->out.len > 0 || c->replay)
		ev |= EPOLLOUT;
	mon_watch_set(m, &c->w, ev);
}

static void client_unlink(struct monitor *m, struct mon_client *c)
{
	for (struct mon_client **p = &m->clients; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	c->next = m->dead_clients;
	m->dead_clients = c;
	m->n_clients--;
}

void mon_client_drop(struct monitor *m, struct mon_client *c)
{
	char junk[4096];

	if (c->w.fd < 0)
		return;
	/* Unread input would turn the close into a reset that can discard the
	 * output the peer has not read yet. */
	for (int i = 0; i < 16 && read(c->w.fd, junk, sizeof(junk)) > 0; i++)
		;
	(void)shutdown(c->w.fd, SHUT_WR);
	mon_watch_close(m, &c->w);
	mon_replay_free(c->replay);
	c->replay = NULL;
	mon_buf_free(&c->out);
	c->fan = NULL;
	client_unlink(m, c);
}

void mon_client_sweep(struct monitor *m)
{
	while (m->dead_clients) {
		struct mon_client *c = m->dead_clients;
		m->dead_clients = c->next;
		free(c);
	}
}

static void client_check_done(struct monitor *m, struct mon_client *c)
{
	if (c->w.fd >= 0 && c->closing && c->out.len == 0 && !c->replay)
		mon_client_drop(m, c);
	else if (c->w.fd >= 0)
		mon_client_update(m, c);
}

void mon_client_finish(struct monitor *m, struct mon_client *c)
{
	c->closing = true;
	c->input_done = true;
	client_check_done(m, c);
}

void mon_client_send(struct monitor *m, struct mon_client *c, int stream, const void *p, size_t n)
{
	unsigned char hdr[8] = { (unsigned char)stream,
				 0,
				 0,
				 0,
				 (unsigned char)(n >> 24),
				 (unsigned char)(n >> 16),
				 (unsigned char)(n >> 8),
				 (unsigned char)n };
	size_t hlen = (c->flags & MON_ATTACH_TTY) ? 0 : sizeof(hdr);
	size_t done = 0;

	if (c->w.fd < 0 || n == 0)
		return;
	if (c->out.len == 0) {
		struct iovec iov[2] = { { hdr, hlen }, { (void *)p, n } };
		ssize_t w;
		do
			w = writev(c->w.fd, hlen ? iov : iov + 1, hlen ? 2 : 1);
		while (w < 0 && errno == EINTR);
		if (w < 0 && errno != EAGAIN) {
			mon_client_drop(m, c);
			return;
		}
		done = w > 0 ? (size_t)w : 0;
	}
	if (done < hlen)
		mon_buf_append(&c->out, hdr + done, hlen - done);
	if (done < hlen + n) {
		size_t skip = done > hlen ? done - hlen : 0;
		mon_buf_append(&c->out, (const char *)p + skip, n - skip);
	}
	if (c->out.len > MON_CLIENT_BUF_MAX) {
		log_debug("Attach client %d is too far behind, dropped", c->w.fd);
		mon_client_drop(m, c);
		return;
	}
	mon_client_update(m, c);
}

/* Pass input on, holding back what may be the start of the detach keys. */
static void client_keys(struct monitor *m, struct mon_client *c, struct mon_sink *s,
			const unsigned char *p, size_t n)
{
	unsigned char out[8192 + 16];
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == c->keys[c->matched]) {
			if (++c->matched < c->nkeys)
				continue;
			mon_sink_write(m, s, out, o);
			c->matched = 0;
			log_debug("Attach client %d detached", c->w.fd);
			mon_client_finish(m, c);
			return;
		}
		if (c->matched) {
			memcpy(out + o, c->keys, c->matched);
			o += c->matched;
			c->matched = 0;
			if (p[i] == c->keys[0]) {
				c->matched = 1;
				continue;
			}
		}
		out[o++] = p[i];
	}
	mon_sink_write(m, s, out, o);
}

static void client_input_eof(struct monitor *m, struct mon_client *c)
{
	struct mon_sink *s = client_sink(c);

	c->input_done = true;
	if (!s) {
		mon_client_update(m, c);
		return;
	}
	if (c->matched) {
		mon_sink_write(m, s, c->keys, c->matched);
		c->matched = 0;
	}
	/* docker: stdin-once closes the container's stdin, unless it is a
	 * terminal (a client that detached or hung up must not type ctrl-d into
	 * a shell); otherwise the end of a client's stdin ends its attachment. */
	if (c->fan->stdin_once && !s->tty) {
		mon_sink_eof(m, s);
		mon_client_update(m, c);
	} else {
		mon_client_finish(m, c);
	}
}

/* hup: the peer is gone; read even when the sink is full. */
static void client_input(struct monitor *m, struct mon_client *c, bool hup)
{
	unsigned char buf[8192];
	ssize_t n;

	do
		n = read(c->w.fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN) {
		if (hup)
			c->input_done = true;
		return;
	}
	if (n < 0) {
		mon_client_drop(m, c);
		return;
	}
	if (n == 0) {
		client_input_eof(m, c);
		return;
	}
	struct mon_sink *s = client_sink(c);
	if (!s)
		return; /* no stdin: input is discarded */
	if (c->nkeys)
		client_keys(m, c, s, buf, (size_t)n);
	else
		mon_sink_write(m, s, buf, (size_t)n);
	if (c->w.fd >= 0)
		mon_client_update(m, c);
}

static void on_client(struct monitor *m, struct mon_watch *w, uint32_t events)
{
	struct mon_client *c = container_of(w, struct mon_client, w);

	if (events & EPOLLERR) {
		mon_client_drop(m, c);
		return;
	}
	if ((events & EPOLLIN) && !c->input_done)
		client_input(m, c, false);
	if (c->w.fd >= 0 && (events & EPOLLOUT)) {
		if (mon_buf_flush(&c->out, c->w.fd) < 0) {
			mon_client_drop(m, c);
			return;
		}
		if (c->replay && c->out.len < REPLAY_LOW_WATER)
			mon_replay_pump(m, c);
	}
	/* Hung up in both directions: nobody is left to read our output, but
	 * what it sent before is still stdin for the container. */
	if (c->w.fd >= 0 && (events & EPOLLHUP)) {
		for (int i = 0; i < 128 && c->w.fd >= 0 && !c->input_done; i++)
			client_input(m, c, true);
		mon_client_drop(m, c);
		return;
	}
	if (c->w.fd >= 0)
		client_check_done(m, c);
}

void mon_client_add(struct monitor *m, struct mon_fanout *fan, int fd, unsigned flags,
		    const char *keys)
{
	struct mon_client *c;
	int fl = fcntl(fd, F_GETFL);

	if (m->n_clients >= MON_CLIENTS_MAX || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		log_debug("Attach client refused (%u clients)", m->n_clients);
		(void)close(fd);
		return;
	}
	c = xzalloc(sizeof(*c));
	c->fan = fan;
	c->flags = flags;
	if ((flags & MON_ATTACH_TTY) && (flags & MON_ATTACH_STDIN)) {
		if (str_is_empty(keys) ||
		    parse_keys(keys, c->keys, sizeof(c->keys), &c->nkeys) < 0) {
			c->keys[0] = 0x10; /* ctrl-p */
			c->keys[1] = 0x11; /* ctrl-q */
			c->nkeys = 2;
		}
	}
	if (mon_watch_add(m, &c->w, fd, 0, on_client) < 0) {
		(void)close(fd);
		free(c);
		return;
	}
	c->next = m->clients;
	m->clients = c;
	m->n_clients++;
	if (!fan || !(flags & MON_ATTACH_STREAM)) {
		c->closing = true; /* nothing live to follow */
		c->input_done = true;
	}
	if (flags & MON_ATTACH_LOGS)
		mon_replay_start(m, c);
	else
		client_check_done(m, c);
}
