/* Log lines to stderr or a file, as text or as runc-style JSON
 * ({"level":"error","msg":"...","time":"..."}), which containerd's shim reads
 * back from the --log file to report why a runtime command failed. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static enum log_level log_level = LOG_LEVEL_WARN;
static enum log_format log_format = LOG_FORMAT_TEXT;
static int log_fd = STDERR_FILENO;
static const char *log_program = "berth";

static const char *const level_names[LOG_LEVEL_MAX] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_set_target(int fd, enum log_format format)
{
	log_fd = fd;
	log_format = format;
}

void log_set_program(const char *name)
{
	log_program = name;
}

int log_parse_level(const char *s, enum log_level *ret)
{
	for (int i = 0; i < LOG_LEVEL_MAX; i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*ret = i;
			return 0;
		}
	}
	if (strcasecmp(s, "warn") == 0) {
		*ret = LOG_LEVEL_WARN;
		return 0;
	}
	if (strcasecmp(s, "fatal") == 0 || strcasecmp(s, "panic") == 0) {
		*ret = LOG_LEVEL_ERROR;
		return 0;
	}
	return -EINVAL;
}

/* Append s to the buffer with JSON string escaping. */
static size_t json_escape_into(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
	return n;
}

int log_write(enum log_level level, const char *category, int errnum, const char *fmt, ...)
{
	char msg[2048], line[4608], esc[4200];
	int saved = errno;
	int ret = errnum;
	va_list ap;

	if (level > log_level)
		return ret;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errnum != 0) {
		size_t l = strlen(msg);
		(void)snprintf(msg + l, sizeof(msg) - l, ": %s",
			       strerror(errnum < 0 ? -errnum : errnum));
	}

	int len;
	if (log_format == LOG_FORMAT_JSON) {
		char ts[40];
		time_format_rfc3339(ts);
		json_escape_into(esc, sizeof(esc), msg);
		len = snprintf(line, sizeof(line),
			       "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n",
			       level_names[level], esc, ts);
	} else if (level == LOG_LEVEL_DEBUG) {
		len = snprintf(line, sizeof(line), "%s: %s: %s\n", log_program, category, msg);
	} else {
		len = snprintf(line, sizeof(line), "%s: %s\n", log_program, msg);
	}
	if (len > (int)sizeof(line) - 1)
		len = (int)sizeof(line) - 1;
	(void)fd_write_all(log_fd, line, (size_t)len);
	errno = saved;
	return ret;
}
