/* `start`: release the waiting init through the exec fifo and wait until it
 * has exec'd the user's program (or report why it could not). */
#define LOG_CATEGORY "start"
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "create-internal.h"
#include "json-util.h"

/* Does the saved config have hooks of this kind? Avoids parsing it on the fast path. */
static bool config_mentions(const struct rt_context *ctx, const char *id, const char *key)
{
	_cleanup_free_ char *dir = state_dir_path(ctx, id);
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, RT_CONFIG_FILE);
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *needle = xasprintf("\"%s\"", key);

	if (file_read_all(path, SPEC_MAX_BYTES, &text, NULL) < 0)
		return false;
	return strstr(text, needle) != NULL;
}

int start_let_go(const struct rt_context *ctx, const struct rt_state *st, struct berth_error **err)
{
	_cleanup_free_ char *dir = state_dir_path(ctx, st->id);
	_cleanup_free_ char *fifo = xasprintf("%s/%s", dir, RT_EXEC_FIFO);
	_cleanup_close_ int rfd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	char buf[4096];

	if (rfd < 0)
		return berth_error_set(err, errno, BERTH_ERR_CONFLICT,
				       "container '%s' is not in the created state", st->id);
	_cleanup_close_ int wfd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (wfd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", fifo);
	/* Only one start wins: the fifo's name goes first. */
	if (unlink(fifo) < 0)
		return berth_error_set(err, errno, BERTH_ERR_CONFLICT,
				       "container '%s' is already being started", st->id);
	if (write(wfd, "", 1) != 1)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL,
				       "release the container init");
	(void)close(TAKE_FD(wfd));

	/* The init holds the fifo open until its exec closes it: wait for hang-up. */
	for (;;) {
		struct pollfd p[2] = { { .fd = rfd, .events = 0 },
				       { .fd = pidfd, .events = POLLIN } };
		int n = poll(p, pidfd >= 0 ? 2 : 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "poll");
		if (p[0].revents & (POLLHUP | POLLERR))
			break;
		if (pidfd >= 0 && (p[1].revents & POLLIN))
			break;
	}
	ssize_t len = read(rfd, buf, sizeof(buf) - 1);
	if (len > 0) {
		buf[len] = '\0';
		const char *msg = buf;
		while (*msg == '\0' && msg < buf + len)
			msg++;
		if (msg >= buf + len)
			return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
					       "container init exited before start");
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s", msg);
	}
	if (proc_start_time(st->pid) != st->start_time) {
		/* It exec'd and already finished: that is a successful start. */
		return 0;
	}
	return 0;
}

int rt_start(const struct rt_context *ctx, const char *id, struct berth_error **err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	int r;

	if ((r = state_load(ctx, id, &st, err)) < 0)
		return r;
	enum rt_status status = state_status(ctx, st);
	if (status == RT_STATUS_STOPPED)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "cannot start a container that has stopped");
	if (status != RT_STATUS_CREATED)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "cannot start an already running container");
	if ((r = start_let_go(ctx, st, err)) < 0)
		return r;
	if (config_mentions(ctx, id, "poststart")) {
		_cleanup_spec_ struct rt_spec *spec = NULL;
		if (state_load_spec(ctx, id, &spec, err) < 0)
			return berth_error_wrap(err, "poststart hooks");
		_cleanup_free_ char *json = state_oci_json(st, RT_STATUS_RUNNING);
		(void)hooks_run(spec, RT_HOOK_POSTSTART, json, NULL);
	}
	return 0;
}
