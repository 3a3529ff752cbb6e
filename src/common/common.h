/* berth common: errors, logging, allocation, strings, files and JSON helpers.
 *
 * Contract:
 * - Fallible functions return 0 (or a count) on success and a negative errno on
 *   failure, and take `struct berth_error **err` last. The error is set once,
 *   where the fault happens (berth_error_set), and gains context on the way up
 *   (berth_error_wrap). Only program edges log or print it.
 * - Allocation never fails: x*alloc() abort on exhaustion.
 * - Every descriptor this module opens is O_CLOEXEC.
 */
#ifndef BERTH_COMMON_H
#define BERTH_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <dirent.h>

#include "cleanup.h"

/* ---- errors ---- */

enum berth_err_kind {
	BERTH_ERR_NOT_FOUND,
	BERTH_ERR_CONFLICT,
	BERTH_ERR_INVALID,
	BERTH_ERR_UNAUTHORIZED,
	BERTH_ERR_UNAVAILABLE,
	BERTH_ERR_INTERNAL,
	BERTH_ERR_FORBIDDEN, /* docker's 403: a request the object's state forbids */
	BERTH_ERR_KIND_MAX,
};

struct berth_error {
	int errnum; /* positive errno, 0 when none applies */
	enum berth_err_kind kind;
	char *msg;
};

/* Set *err (when err is not NULL and *err is still empty) and return -errnum,
 * or -EINVAL when errnum is 0. A non-zero errnum appends ": strerror". */
int berth_error_set(struct berth_error **err, int errnum, enum berth_err_kind kind, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));
/* Prefix the message with context ("pull 'x': ..."); returns -errnum. */
int berth_error_wrap(struct berth_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void berth_error_free(struct berth_error *err);
static inline void berth_error_freep(struct berth_error **e)
{
	berth_error_free(*e);
	*e = NULL;
}
#define _cleanup_error_ _cleanup_(berth_error_freep)

/* ---- logging ---- */

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG, LOG_LEVEL_MAX };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON, LOG_FORMAT_MAX };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Route log lines to fd (default 2) in the given format. The fd is not owned. */
void log_set_target(int fd, enum log_format format);
int log_parse_level(const char *s, enum log_level *ret);
/* Prefix for text output, e.g. "berth-runtime". */
void log_set_program(const char *name);
int log_write(enum log_level level, const char *category, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Each .c file defines LOG_CATEGORY before including this header to name its module. */
#ifndef LOG_CATEGORY
#define LOG_CATEGORY "berth"
#endif
#define log_debug(...)                                                                             \
	(log_get_level() >= LOG_LEVEL_DEBUG                                                        \
		 ? log_write(LOG_LEVEL_DEBUG, LOG_CATEGORY, 0, __VA_ARGS__)                        \
		 : 0)
#define log_info(...)		log_write(LOG_LEVEL_INFO, LOG_CATEGORY, 0, __VA_ARGS__)
#define log_warn(...)		log_write(LOG_LEVEL_WARN, LOG_CATEGORY, 0, __VA_ARGS__)
#define log_error(...)		log_write(LOG_LEVEL_ERROR, LOG_CATEGORY, 0, __VA_ARGS__)
#define log_error_errno(r, ...) log_write(LOG_LEVEL_ERROR, LOG_CATEGORY, (r), __VA_ARGS__)

/* ---- allocation and strings ---- */

void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
void *xcalloc(size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

bool str_has_prefix(const char *s, const char *prefix);
bool str_is_empty(const char *s);
/* Parse a whole decimal string; -EINVAL when it is not one, -ERANGE when too big. */
int str_to_int64(const char *s, int64_t *ret);
int str_to_uint64(const char *s, uint64_t *ret);
int str_to_int(const char *s, int *ret);

/* NULL-terminated string vectors. */
void strv_free(char **v);
static inline void strv_freep(char ***v)
{
	strv_free(*v);
}
#define _cleanup_strv_ _cleanup_(strv_freep)
size_t strv_length(char *const *v);
/* Append a copy of s; *v may be NULL. */
void strv_push(char ***v, const char *s);
void strv_push_take(char ***v, char *s);
bool strv_contains(char *const *v, const char *s);
char **strv_copy(char *const *v);

#include "fs.h"

/* ---- time ---- */
uint64_t now_usec_monotonic(void);
/* RFC 3339 with nanoseconds, UTC: 2026-11-27T17:39:08.123456789Z */
void time_format_rfc3339(char buf[static 40]);

#endif
