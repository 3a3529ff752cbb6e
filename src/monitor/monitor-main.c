/* berth-monitor: the command line and the process setup (its own session,
 * subreaper, no descriptor of the daemon but the ones it passed, stdio on
 * /dev/null), then the container's start and the loop. The protocol is in
 * monitor.h. */
#define LOG_CATEGORY "monitor"
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor-internal.h"

enum {
	OPT_ID = 0x100,
	OPT_RUNTIME,
	OPT_RUNTIME_ROOT,
	OPT_BUNDLE,
	OPT_DIR,
	OPT_TTY,
	OPT_STDIN,
	OPT_STDIN_ONCE,
	OPT_LOG,
	OPT_LOG_MAX_SIZE,
	OPT_LOG_MAX_FILE,
	OPT_CONTROL_FD,
	OPT_ATTACH,
	OPT_DEBUG,
};

static const struct option options[] = {
	{ "id", required_argument, NULL, OPT_ID },
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "runtime-root", required_argument, NULL, OPT_RUNTIME_ROOT },
	{ "bundle", required_argument, NULL, OPT_BUNDLE },
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "tty", no_argument, NULL, OPT_TTY },
	{ "stdin", no_argument, NULL, OPT_STDIN },
	{ "stdin-once", no_argument, NULL, OPT_STDIN_ONCE },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "log-max-size", required_argument, NULL, OPT_LOG_MAX_SIZE },
	{ "log-max-file", required_argument, NULL, OPT_LOG_MAX_FILE },
	{ "control-fd", required_argument, NULL, OPT_CONTROL_FD },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ NULL, 0, NULL, 0 },
};

static int parse_attach(struct mon_args *a, const char *s, struct berth_error **err)
{
	/* FD:FLAGS[:DETACH-KEYS] */
	_cleanup_free_ char *fd_text = xstrndup(s, strcspn(s, ":"));
	const char *colon = strchr(s, ':');
	_cleanup_free_ char *flags_text =
		colon ? xstrndup(colon + 1, strcspn(colon + 1, ":")) : NULL;
	const char *keys = colon ? strchr(colon + 1, ':') : NULL;
	int fd, flags;

	if (!colon || str_to_int(fd_text, &fd) < 0 || fd < 3 || str_to_int(flags_text, &flags) < 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "bad --attach '%s'", s);
	a->attach_fds = xrealloc(a->attach_fds, (a->n_attach + 1) * sizeof(int));
	a->attach_flags = xrealloc(a->attach_flags, (a->n_attach + 1) * sizeof(unsigned));
	a->attach_keys = xrealloc(a->attach_keys, (a->n_attach + 1) * sizeof(char *));
	a->attach_fds[a->n_attach] = fd;
	a->attach_flags[a->n_attach] = (unsigned)flags;
	a->attach_keys[a->n_attach] = keys && keys[1] ? xstrdup(keys + 1) : NULL;
	a->n_attach++;
	return 0;
}

static int parse_option(struct mon_args *a, int c, const char *v, struct berth_error **err)
{
	int64_t n;

	switch (c) {
	case OPT_ID:
		a->id = v;
		return 0;
	case OPT_RUNTIME:
		a->runtime = v;
		return 0;
	case OPT_RUNTIME_ROOT:
		a->runtime_root = v;
		return 0;
	case OPT_BUNDLE:
		a->bundle = v;
		return 0;
	case OPT_DIR:
		a->dir = v;
		return 0;
	case OPT_TTY:
		a->tty = true;
		return 0;
	case OPT_STDIN:
		a->open_stdin = true;
		return 0;
	case OPT_STDIN_ONCE:
		a->stdin_once = true;
		return 0;
	case OPT_LOG:
		a->log_path = v;
		return 0;
	case OPT_LOG_MAX_SIZE:
		if (str_to_int64(v, &n) < 0 || n < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "bad --log-max-size");
		a->log_max_size = (uint64_t)n;
		return 0;
	case OPT_LOG_MAX_FILE:
		if (str_to_int(v, &a->log_max_file) < 0 || a->log_max_file < 1)
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "bad --log-max-file");
		return 0;
	case OPT_CONTROL_FD:
		if (str_to_int(v, &a->control_fd) < 0 || a->control_fd < 3)
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "bad --control-fd");
		return 0;
	case OPT_ATTACH:
		return parse_attach(a, v, err);
	case OPT_DEBUG:
		a->debug = true;
		return 0;
	default:
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "unknown option");
	}
}

static int parse_args(int argc, char **argv, struct mon_args *a, struct berth_error **err)
{
	int c, r;

	a->control_fd = -1;
	a->log_max_file = 1;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (c == '?')
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "bad option");
		r = parse_option(a, c, optarg, err);
		if (r < 0)
			return r;
	}
	if (optind != argc)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "unexpected '%s'", argv[optind]);
	const char *paths[] = { a->runtime, a->runtime_root, a->bundle, a->dir };
	if (!a->id || str_is_empty(a->id))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "--id is required");
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		if (!paths[i] || paths[i][0] != '/')
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "--runtime, --runtime-root, --bundle and --dir "
					       "take absolute paths");
	}
	if (a->log_path && a->log_path[0] != '/')
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "--log takes an absolute path");
	return 0;
}

static int cmp_int(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	return (a > b) - (a < b);
}

/* Close every descriptor above stdio but the control and attach ones, which
 * become close-on-exec: nothing of the daemon's may reach the container. */
static void close_fds(const struct mon_args *a)
{
	size_t n = 0;
	_cleanup_free_ int *keep = xcalloc(a->n_attach + 2, sizeof(int));
	unsigned from = 3;

	if (a->control_fd >= 0)
		keep[n++] = a->control_fd;
	for (size_t i = 0; i < a->n_attach; i++)
		keep[n++] = a->attach_fds[i];
	qsort(keep, n, sizeof(int), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if ((unsigned)keep[i] > from)
			(void)syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0U);
		from = (unsigned)keep[i] + 1;
		(void)fcntl(keep[i], F_SETFD, FD_CLOEXEC);
	}
	(void)syscall(SYS_close_range, from, ~0U, 0U);
}

static int setup_process(struct monitor *m, struct berth_error **err)
{
	char pid[24];
	int fd;

	if (mkdir_p(m->a.dir, 0700) < 0 || chdir(m->a.dir) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "'%s'", m->a.dir);
	(void)setsid();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "subreaper");
	(void)signal(SIGPIPE, SIG_IGN);
	close_fds(&m->a);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "/dev/null");
	if (m->a.debug) {
		int logfd = open("monitor.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (logfd >= 0) {
			log_set_target(logfd, LOG_FORMAT_TEXT);
			log_set_level(LOG_LEVEL_DEBUG);
		}
	}
	for (int i = 0; i < 3; i++)
		(void)dup2(fd, i);
	if (fd > 2)
		(void)close(fd);
	(void)snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (mon_write_file(MON_PID_FILE, pid) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "write %s", MON_PID_FILE);
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct monitor m = { .state = MON_STATE_STARTING };
	int r;

	log_set_program("berth-monitor");
	m.out[0].w.fd = m.out[1].w.fd = m.in.w.fd = m.listen_w.fd = m.sig_w.fd = -1;
	if (parse_args(argc, argv, &m.a, &err) < 0) {
		fprintf(stderr, "berth-monitor: %s\n", err->msg);
		return 2;
	}
	if (setup_process(&m, &err) < 0) {
		log_error("%s", err->msg);
		return 1;
	}
	if ((r = mon_loop_init(&m)) < 0 || (r = mon_ctl_listen(&m)) < 0) {
		log_error_errno(r, "Cannot set up the loop");
		return 1;
	}
	if (m.a.control_fd >= 0)
		(void)mon_ctl_add(&m, m.a.control_fd, true);
	if (m.a.log_path) {
		r = mon_log_open(m.a.log_path, m.a.log_max_size, m.a.log_max_file, &m.fan.log);
		if (r < 0)
			log_warn("Cannot open the log '%s': %s, ignoring", m.a.log_path,
				 strerror(-r));
	}
	for (size_t i = 0; i < m.a.n_attach; i++)
		mon_client_add(&m, &m.fan, m.a.attach_fds[i], m.a.attach_flags[i],
			       m.a.attach_keys[i]);
	(void)mon_container_start(&m);
	r = mon_loop_run(&m);
	if (r < 0)
		log_error_errno(r, "Loop failed");
	mon_exit_now(&m, r < 0 ? 1 : 0);
}
