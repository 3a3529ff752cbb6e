/* The json-file log, line for line as docker writes it:
 *   {"log":"text\n","stream":"stdout","time":"2026-11-27T19:00:00.123456789Z"}
 * One entry per output line; a line that reaches 16 KiB without a newline is
 * written as a partial entry (no "\n"), as is what is left when a stream
 * ends. With a maximum size the file is rotated before the entry that finds
 * it full: log -> log.1 -> ... -> log.(max-file - 1); max-file 1 truncates. */
#define LOG_CATEGORY "monitor-log"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor-internal.h"

struct mon_log {
	char *path;
	int fd;
	uint64_t size, max_size;
	int max_file;
	struct mon_buf partial[2]; /* stdout, stderr: the line being collected */
	struct mon_buf line;	   /* the entry being written */
};

static int log_open_fd(const char *path, bool trunc)
{
	int fd =
		open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (trunc ? O_TRUNC : 0), 0640);
	return fd < 0 ? -errno : fd;
}

int mon_log_open(const char *path, uint64_t max_size, int max_file, struct mon_log **ret)
{
	struct stat st;
	int fd = log_open_fd(path, false);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		(void)close(fd);
		return r;
	}
	struct mon_log *l = xzalloc(sizeof(*l));
	l->path = xstrdup(path);
	l->fd = fd;
	l->size = (uint64_t)st.st_size;
	l->max_size = max_size;
	l->max_file = max_file < 1 ? 1 : max_file;
	*ret = l;
	return 0;
}

void mon_log_free(struct mon_log *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		(void)close(l->fd);
	for (int i = 0; i < 2; i++)
		mon_buf_free(&l->partial[i]);
	mon_buf_free(&l->line);
	free(l->path);
	free(l);
}

const char *mon_log_path(const struct mon_log *l)
{
	return l->path;
}

int mon_log_max_file(const struct mon_log *l)
{
	return l->max_size ? l->max_file : 1;
}

void mon_log_pending(const struct mon_log *l, int stream, const char **p, size_t *n)
{
	const struct mon_buf *b = &l->partial[stream == MON_STREAM_STDERR];

	*p = b->data ? b->data + b->off : "";
	*n = b->len;
}

/* Write the entries collected so far: whole entries per write (O_APPEND). */
static void log_commit(struct mon_log *l)
{
	struct mon_buf *b = &l->line;

	if (b->len == 0)
		return;
	if (fd_write_all(l->fd, b->data + b->off, b->len) < 0)
		log_debug("Write '%s': %m", l->path);
	if (b->cap > 65536)
		mon_buf_free(b);
	else
		b->off = b->len = 0;
}

static void log_rotate(struct monitor *m, struct mon_log *l)
{
	log_commit(l);
	if (l->max_file < 2) {
		if (ftruncate(l->fd, 0) == 0)
			l->size = 0;
		return;
	}
	for (int i = l->max_file - 1; i > 1; i--) {
		_cleanup_free_ char *from = xasprintf("%s.%d", l->path, i - 1);
		_cleanup_free_ char *to = xasprintf("%s.%d", l->path, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			log_debug("Rotate '%s': %m", from);
	}
	_cleanup_free_ char *first = xasprintf("%s.1", l->path);
	if (rename(l->path, first) < 0) {
		log_debug("Rotate '%s': %m", l->path);
		return;
	}
	int fd = log_open_fd(l->path, true);
	if (fd < 0)
		return; /* keep writing to the renamed file rather than lose output */
	(void)close(l->fd);
	l->fd = fd;
	l->size = 0;
	mon_replay_rotated(m, &m->fan);
}

static void log_entry(struct monitor *m, struct mon_log *l, int stream, const char *p, size_t n,
		      const char *ts)
{
	struct mon_buf *b = &l->line;
	size_t before;

	if (l->max_size && l->size >= l->max_size)
		log_rotate(m, l);
	before = b->len;
	mon_buf_append(b, "{\"log\":\"", 8);
	mon_json_escape(b, p, n);
	if (stream == MON_STREAM_STDERR)
		mon_buf_append(b, "\",\"stream\":\"stderr\",\"time\":\"", 28);
	else
		mon_buf_append(b, "\",\"stream\":\"stdout\",\"time\":\"", 28);
	mon_buf_append(b, ts, strlen(ts));
	mon_buf_append(b, "\"}\n", 3);
	l->size += b->len - before;
	if (b->len >= 65536)
		log_commit(l);
}

void mon_log_write(struct monitor *m, struct mon_log *l, int stream, const char *p, size_t n)
{
	struct mon_buf *pb = &l->partial[stream == MON_STREAM_STDERR];
	char ts[40];

	mon_time_format(ts, mon_now_ns());
	while (n > 0) {
		size_t space = MON_LOG_LINE_MAX - pb->len;
		size_t look = n < space ? n : space;
		const char *nl = memchr(p, '\n', look);
		size_t take = nl ? (size_t)(nl - p) + 1 : look;

		if (!nl && take < space) {
			mon_buf_append(pb, p, take); /* an unfinished line: wait for more */
		} else if (pb->len > 0) {
			mon_buf_append(pb, p, take);
			log_entry(m, l, stream, pb->data + pb->off, pb->len, ts);
			mon_buf_free(pb);
		} else {
			log_entry(m, l, stream, p, take, ts);
		}
		p += take;
		n -= take;
	}
	log_commit(l);
}

void mon_log_flush(struct monitor *m, struct mon_log *l, int stream)
{
	struct mon_buf *pb = &l->partial[stream == MON_STREAM_STDERR];
	char ts[40];

	if (pb->len == 0)
		return;
	mon_time_format(ts, mon_now_ns());
	log_entry(m, l, stream, pb->data + pb->off, pb->len, ts);
	mon_buf_free(pb);
	log_commit(l);
}
