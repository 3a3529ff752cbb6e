/* The event history on disk (events-log.h). */
#define LOG_CATEGORY "events"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events-log.h"

/* Bounds on what is read back: an event line is a few hundred bytes. */
#define EVENT_LINE_MAX	(64u << 10)
#define EVENTS_FILE_MAX (64u << 20)

struct events_log {
	char *path, *old_path;
	int fd;
	size_t keep, lines; /* lines in the current file */
};

/* Append the events of one file to *msgs (lines that do not parse are
 * skipped); *torn tells whether it ends in the middle of a line. */
static size_t read_file(const char *path, json_object ***msgs, size_t *n, bool *torn)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0, lines = 0;

	if (file_read_all(path, EVENTS_FILE_MAX, &text, &len) < 0)
		return 0;
	for (char *p = text, *nl; p < text + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		if (!nl) {
			*torn = true;
			break;
		}
		lines++;
		json_object *o = NULL;
		if ((size_t)(nl - p) > EVENT_LINE_MAX ||
		    json_parse_text(p, (size_t)(nl - p), 16, "event", &o, NULL) < 0)
			continue;
		if (!json_object_is_type(o, json_type_object)) {
			json_object_put(o);
			continue;
		}
		*msgs = xrealloc(*msgs, (*n + 1) * sizeof(**msgs));
		(*msgs)[(*n)++] = o;
	}
	return lines;
}

static int open_current(struct events_log *l)
{
	l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	return l->fd < 0 ? -errno : 0;
}

int events_log_open(const char *dir, size_t keep, struct events_log **ret, json_object ***ret_msgs,
		    size_t *ret_n)
{
	struct events_log *l = xzalloc(sizeof(*l));
	json_object **msgs = NULL;
	size_t n = 0;
	bool torn = false;
	int r;

	l->path = xasprintf("%s/events.log", dir);
	l->old_path = xasprintf("%s/events.log.1", dir);
	l->keep = keep;
	(void)read_file(l->old_path, &msgs, &n, &torn);
	torn = false;
	l->lines = read_file(l->path, &msgs, &n, &torn);
	/* a crash mid-write: end the torn line, so the next event is whole */
	if ((r = open_current(l)) < 0 || (torn && (r = fd_write_all(l->fd, "\n", 1)) < 0)) {
		for (size_t i = 0; i < n; i++)
			json_object_put(msgs[i]);
		free(msgs);
		events_log_free(l);
		return r;
	}
	/* keep the newest `keep` */
	size_t skip = n > keep ? n - keep : 0;
	for (size_t i = 0; i < skip; i++)
		json_object_put(msgs[i]);
	if (skip) /* msgs is NULL when nothing was read */
		memmove(msgs, msgs + skip, (n - skip) * sizeof(*msgs));
	*ret_msgs = msgs;
	*ret_n = n - skip;
	*ret = l;
	return 0;
}

void events_log_append(struct events_log *l, json_object *msg)
{
	if (!l || l->fd < 0)
		return;
	if (l->lines >= l->keep) {
		close(l->fd);
		if (rename(l->path, l->old_path) < 0)
			log_warn("rotate %s: %m", l->path);
		l->lines = 0;
		if (open_current(l) < 0) {
			log_warn("open %s: %m; events are no longer kept on disk", l->path);
			return;
		}
	}
	const char *text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
	_cleanup_free_ char *line = xasprintf("%s\n", text);
	/* one write: with O_APPEND a crash leaves at most one torn last line */
	if (fd_write_all(l->fd, line, strlen(line)) < 0)
		log_warn("write %s: %m", l->path);
	else
		l->lines++;
}

struct events_log *events_log_free(struct events_log *l)
{
	if (!l)
		return NULL;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l->old_path);
	free(l);
	return NULL;
}
