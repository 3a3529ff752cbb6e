/* MON_ATTACH_LOGS: the log files, oldest first, decoded from json-file into
 * the client's framing, a chunk at a time as the client drains. Live output
 * is not sent to a replaying client: it reads the same bytes back from the
 * current log file (the files stay open, so a rotation loses nothing), and
 * at the end of the newest file it gets the partial line not yet logged and
 * switches to live output. */
#define LOG_CATEGORY "monitor"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "monitor-internal.h"

#define REPLAY_FILES_MAX 32
#define REPLAY_CHUNK	 16384
#define REPLAY_BUDGET	 (256 * 1024) /* per wake-up, to keep the loop fair */
#define REPLAY_LINE_MAX	 (1024 * 1024)
#define REPLAY_LOW_WATER (64 * 1024)

struct mon_replay {
	int fds[REPLAY_FILES_MAX];
	size_t n, cur;
	struct mon_buf pending; /* read, not yet a whole line */
	struct mon_buf text;	/* a decoded entry */
};

void mon_replay_free(struct mon_replay *r)
{
	if (!r)
		return;
	for (size_t i = r->cur; i < r->n; i++)
		(void)close(r->fds[i]);
	mon_buf_free(&r->pending);
	mon_buf_free(&r->text);
	free(r);
}

static void replay_open(struct mon_replay *r, const char *path)
{
	int fd;

	if (r->n == REPLAY_FILES_MAX)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		r->fds[r->n++] = fd;
}

void mon_replay_start(struct monitor *m, struct mon_client *c)
{
	struct mon_replay *r = xzalloc(sizeof(*r));
	const struct mon_log *l = m->fan.log;

	c->replay = r;
	if (l) {
		for (int i = mon_log_max_file(l) - 1; i > 0; i--) {
			_cleanup_free_ char *p = xasprintf("%s.%d", mon_log_path(l), i);
			replay_open(r, p);
		}
		replay_open(r, mon_log_path(l));
	}
	mon_replay_pump(m, c);
}

void mon_replay_rotated(struct monitor *m, struct mon_fanout *f)
{
	for (struct mon_client *c = m->clients; c; c = c->next) {
		if (c->replay && c->fan == f && f->log)
			replay_open(c->replay, mon_log_path(f->log));
	}
}

static void replay_line(struct monitor *m, struct mon_client *c, const char *line, size_t len)
{
	static const char head[] = "{\"log\":\"";
	static const char err[] = ",\"stream\":\"stderr\"";
	struct mon_buf *t = &c->replay->text;
	int stream = MON_STREAM_STDOUT;

	if (len < sizeof(head) - 1 || memcmp(line, head, sizeof(head) - 1) != 0)
		return;
	line += sizeof(head) - 1;
	len -= sizeof(head) - 1;
	t->off = t->len = 0;
	int used = mon_json_unescape(line, len, t);
	if (used < 0)
		return;
	if (len - (size_t)used >= sizeof(err) - 1 && memcmp(line + used, err, sizeof(err) - 1) == 0)
		stream = MON_STREAM_STDERR;
	if (mon_client_wants(c, stream) && t->len > 0)
		mon_client_send(m, c, stream, t->data + t->off, t->len);
}

static void replay_lines(struct monitor *m, struct mon_client *c)
{
	struct mon_buf *b = &c->replay->pending;

	while (c->replay && b->len > 0) {
		char *start = b->data + b->off;
		char *nl = memchr(start, '\n', b->len);
		if (!nl)
			break;
		size_t len = (size_t)(nl - start) + 1;
		replay_line(m, c, start, len - 1);
		if (!c->replay)
			return; /* dropped while sending */
		b->off += len;
		b->len -= len;
	}
	if (b->len > REPLAY_LINE_MAX)
		mon_buf_free(b); /* not one of our lines */
}

static void replay_done(struct monitor *m, struct mon_client *c)
{
	mon_replay_free(c->replay);
	c->replay = NULL;
	if (c->fan && c->fan->log && !c->closing) {
		for (int s = MON_STREAM_STDOUT; s <= MON_STREAM_STDERR && c->w.fd >= 0; s++) {
			const char *p;
			size_t n;
			mon_log_pending(c->fan->log, s, &p, &n);
			if (mon_client_wants(c, s))
				mon_client_send(m, c, s, p, n);
		}
	}
}

void mon_replay_pump(struct monitor *m, struct mon_client *c)
{
	char buf[REPLAY_CHUNK];
	size_t budget = REPLAY_BUDGET;

	while (c->replay && c->w.fd >= 0 && c->out.len < REPLAY_LOW_WATER && budget > 0) {
		struct mon_replay *r = c->replay;
		if (r->cur == r->n) {
			replay_done(m, c);
			break;
		}
		ssize_t n = read(r->fds[r->cur], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			(void)close(r->fds[r->cur++]);
			mon_buf_free(&r->pending); /* a torn last line */
			continue;
		}
		budget -= (size_t)n < budget ? (size_t)n : budget;
		mon_buf_append(&r->pending, buf, (size_t)n);
		replay_lines(m, c);
	}
	if (c->w.fd >= 0) {
		if (c->closing && !c->replay && c->out.len == 0)
			mon_client_drop(m, c);
		else
			mon_client_update(m, c);
	}
}
