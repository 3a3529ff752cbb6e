/* GET /containers/{id}/logs: the json-file log (and its rotated files),
 * filtered by stream, time and tail, framed like docker, optionally followed
 * while the container runs. */
#define LOG_CATEGORY "logs"
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "container-internal.h"
#include "container-logs.h"

struct logs_job {
	struct daemon *d;
	struct http_request *req;
	char id[65];
	bool out, err, timestamps, tty, follow, closed;
	int64_t since, until;
	int fd;
	off_t offset;
	ino_t ino;
	char *partial;
	uint64_t timer;
};

/* "1700000000.5" or "1700000000" (what the CLI sends) -> ns; 0 when absent. */
static int64_t parse_time(const char *s)
{
	/* "seconds[.nanoseconds]": integers, a double would lose the nanoseconds */
	int64_t sec = 0, ns = 0, mult = 100000000;
	const char *p = s;

	if (str_is_empty(s))
		return 0;
	for (; *p >= '0' && *p <= '9' && sec < INT64_MAX / 1000000000LL / 10; p++)
		sec = sec * 10 + (*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && mult > 0; p++, mult /= 10)
			ns += (*p - '0') * mult;
	return sec * 1000000000LL + ns;
}

static int64_t parse_rfc3339_ns(const char *s)
{
	struct tm tm = { 0 };
	const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	int64_t ns = 0;

	if (!rest)
		return 0;
	if (*rest == '.') {
		int64_t mult = 100000000;
		for (rest++; *rest >= '0' && *rest <= '9'; rest++, mult /= 10)
			ns += (*rest - '0') * mult;
	}
	return (int64_t)timegm(&tm) * 1000000000LL + ns;
}

static void emit(struct logs_job *j, const char *stream, const char *text, size_t len,
		 const char *time)
{
	bool is_err = strcmp(stream, "stderr") == 0;
	_cleanup_free_ char *line =
		j->timestamps ? xasprintf("%s %.*s", time, (int)len, text) : xstrndup(text, len);
	size_t n = strlen(line);

	if ((is_err && !j->err) || (!is_err && !j->out))
		return;
	if (!j->tty) {
		uint8_t hdr[8] = {
			is_err ? 2 : 1,	   0,	      0, 0, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
			(uint8_t)(n >> 8), (uint8_t)n
		};
		http_stream_write(j->req, hdr, sizeof(hdr));
	}
	http_stream_write(j->req, line, n);
}

static void emit_json_line(struct logs_job *j, const char *line)
{
	_cleanup_json_ json_object *o = NULL;
	const char *log = NULL, *stream = "stdout", *time = "";

	if (json_parse_text(line, strlen(line), 4, "log line", &o, NULL) < 0)
		return;
	(void)json_get_str(o, "", "log", false, &log, NULL);
	(void)json_get_str(o, "", "stream", false, &stream, NULL);
	(void)json_get_str(o, "", "time", false, &time, NULL);
	int64_t t = parse_rfc3339_ns(time);
	if ((j->since && t < j->since) || (j->until && t > j->until))
		return;
	if (log)
		emit(j, stream, log, strlen(log), time);
}

/* Lines of the log files, oldest file first. */
static char **read_all_lines(const struct container *c)
{
	char **lines = NULL;

	for (int k = 9; k >= 0; k--) {
		_cleanup_free_ char *p =
			k ? xasprintf("%s.%d", c->log_path, k) : xstrdup(c->log_path);
		_cleanup_free_ char *text = NULL;
		if (file_read_all(p, 1u << 30, &text, NULL) < 0)
			continue;
		char *save = NULL;
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			strv_push(&lines, l);
	}
	return lines;
}

static void logs_finish(struct logs_job *j)
{
	if (j->timer)
		http_loop_cancel_timer(j->d->loop, j->timer);
	if (j->fd >= 0)
		(void)close(j->fd);
	if (!j->closed)
		http_stream_end(j->req);
	http_request_unref(j->req);
	free(j->partial);
	free(j);
}

/* Follow: read what was appended since; reopen after a rotation. */
static void follow_tick(struct http_loop *l, void *data)
{
	struct logs_job *j = data;
	struct container *c = NULL;
	struct stat st;
	char buf[65536];

	j->timer = 0;
	if (j->closed || container_lookup(j->d, j->id, &c, NULL) < 0) {
		logs_finish(j);
		return;
	}
	if (stat(c->log_path, &st) == 0 && (j->fd < 0 || st.st_ino != j->ino)) {
		if (j->fd >= 0)
			(void)close(j->fd);
		j->fd = open(c->log_path, O_RDONLY | O_CLOEXEC);
		j->ino = st.st_ino;
		j->offset = 0;
	}
	for (ssize_t n; j->fd >= 0 && (n = pread(j->fd, buf, sizeof(buf) - 1, j->offset)) > 0;) {
		j->offset += n;
		buf[n] = '\0';
		char *text = j->partial ? xasprintf("%s%s", j->partial, buf) : xstrdup(buf);
		free(j->partial);
		j->partial = NULL;
		char *start = text;
		for (char *nl; (nl = strchr(start, '\n')); start = nl + 1) {
			*nl = '\0';
			emit_json_line(j, start);
		}
		if (*start)
			j->partial = xstrdup(start);
		free(text);
	}
	if (!ct_is_running(c) && !c->starting && c->status != CT_RESTARTING) {
		logs_finish(j);
		return;
	}
	j->timer = http_loop_add_timer(l, 100, follow_tick, j);
}

static void logs_closed(struct http_request *req, void *data)
{
	struct logs_job *j = data;
	(void)req;
	j->closed = true;
}

void container_logs(struct daemon *d, struct container *c, struct http_request *req)
{
	json_object *tty = NULL;
	const char *tail = http_request_query(req, "tail");
	struct logs_job *j = xzalloc(sizeof(*j));
	struct stat st;

	json_object_object_get_ex(c->config, "Tty", &tty);
	j->d = d;
	j->req = http_request_ref(req);
	memcpy(j->id, c->id, sizeof(j->id));
	j->out = http_request_query_bool(req, "stdout", false);
	j->err = http_request_query_bool(req, "stderr", false);
	j->timestamps = http_request_query_bool(req, "timestamps", false);
	j->follow = http_request_query_bool(req, "follow", false);
	j->tty = tty && json_object_get_boolean(tty);
	j->since = parse_time(http_request_query(req, "since"));
	j->until = parse_time(http_request_query(req, "until"));
	j->fd = -1;
	http_stream_begin(req, 200,
			  j->tty ? "application/vnd.docker.raw-stream"
				 : "application/vnd.docker.multiplexed-stream");
	http_request_on_close(req, logs_closed, j);
	_cleanup_strv_ char **lines = read_all_lines(c);
	size_t n = strv_length(lines), from = 0;
	int64_t want;
	if (tail && strcmp(tail, "all") != 0 && str_to_int64(tail, &want) == 0 && want >= 0 &&
	    (size_t)want < n)
		from = n - (size_t)want;
	for (size_t i = from; i < n; i++)
		emit_json_line(j, lines[i]);
	if (!j->follow) {
		logs_finish(j);
		return;
	}
	/* Continue after what was read: at the current end of the live file. */
	if (stat(c->log_path, &st) == 0) {
		j->fd = open(c->log_path, O_RDONLY | O_CLOEXEC);
		j->ino = st.st_ino;
		j->offset = st.st_size;
	}
	j->timer = http_loop_add_timer(d->loop, 50, follow_tick, j);
}
