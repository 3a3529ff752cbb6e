/* `run`: create, start, then (unless detached) stay as the container's parent:
 * forward signals, relay the terminal when we own it, reap the init, delete
 * the container and exit with its status. */
#define LOG_CATEGORY "run"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "create-internal.h"

int rt_run(const struct rt_context *ctx, const char *id, const struct rt_create_opts *opts,
	   int *ret_status, struct berth_error **err)
{
	struct create_job j = { .ctx = ctx, .id = id, .opts = opts };
	_cleanup_close_ int console_peer = -EBADF, master = -EBADF;
	int r, sp[2];

	create_job_init(&j);
	/* A foreground run with a terminal and no console socket relays the pty itself. */
	if (!opts->console_socket && !opts->detach) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "socketpair");
		j.console_fd = sp[0];
		console_peer = sp[1];
	}
	if (!opts->detach)
		(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	r = create_job_run(&j, err);
	if (r < 0) {
		create_job_cleanup(&j, true);
		return r;
	}
	if (j.spec->process->terminal && console_peer >= 0) {
		master = rt_recv_fd(console_peer);
		if (master < 0) {
			create_job_cleanup(&j, true);
			(void)rt_delete(ctx, id, true, NULL);
			return berth_error_set(err, -master, BERTH_ERR_INTERNAL, "receive the pty");
		}
	}
	_cleanup_state_ struct rt_state *st = NULL;
	uint64_t ts = now_usec_monotonic();
	if ((r = state_load(ctx, id, &st, err)) < 0 || (r = start_let_go(ctx, st, err)) < 0) {
		create_job_cleanup(&j, false);
		(void)rt_delete(ctx, id, true, NULL);
		return r;
	}
	log_debug("start took %llu us", (unsigned long long)(now_usec_monotonic() - ts));
	if (opts->detach) {
		create_job_cleanup(&j, false);
		*ret_status = 0;
		return 0;
	}
	uint64_t t0 = now_usec_monotonic();
	r = rt_supervise(j.pid, j.pidfd, master, ret_status);
	log_debug("container ran for %llu us", (unsigned long long)(now_usec_monotonic() - t0));
	j.pid = 0;
	create_job_cleanup(&j, false);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "wait for the container");
	if (!opts->keep) {
		t0 = now_usec_monotonic();
		r = rt_delete(ctx, id, true, err);
		log_debug("delete took %llu us", (unsigned long long)(now_usec_monotonic() - t0));
		return r;
	}
	return 0;
}
