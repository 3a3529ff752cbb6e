/* Error values carried up the stack: set once at the fault, wrapped with context. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

int berth_error_set(struct berth_error **err, int errnum, enum berth_err_kind kind, const char *fmt,
		    ...)
{
	int ret = errnum > 0 ? -errnum : -EINVAL;
	va_list ap;

	if (!err || *err)
		return ret;

	struct berth_error *e = xzalloc(sizeof(*e));
	va_start(ap, fmt);
	e->msg = vformat(fmt, ap);
	va_end(ap);
	if (errnum > 0) {
		char *full = xasprintf("%s: %s", e->msg, strerror(errnum));
		free(e->msg);
		e->msg = full;
	}
	e->errnum = errnum > 0 ? errnum : EINVAL;
	e->kind = kind;
	*err = e;
	return ret;
}

int berth_error_wrap(struct berth_error **err, const char *fmt, ...)
{
	va_list ap;

	if (!err || !*err)
		return -EINVAL;
	va_start(ap, fmt);
	_cleanup_free_ char *prefix = vformat(fmt, ap);
	va_end(ap);
	char *full = xasprintf("%s: %s", prefix, (*err)->msg);
	free((*err)->msg);
	(*err)->msg = full;
	return -(*err)->errnum;
}

void berth_error_free(struct berth_error *err)
{
	if (!err)
		return;
	free(err->msg);
	free(err);
}
