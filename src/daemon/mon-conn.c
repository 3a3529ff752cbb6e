/* Talking to berth-monitor: spawn one per start with a socketpair as its
 * control channel, reconnect through its socket after a daemon restart, and
 * turn its reports into container events. */
#define LOG_CATEGORY "monitor"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "container-internal.h"

struct mon_conn {
	int fd;
	struct container *c;
	pid_t pid; /* when we spawned it */
};

static bool jbool(json_object *o, const char *k)
{
	json_object *v = jget(o, k);
	return v && json_object_get_boolean(v);
}

/* Read the exit file a monitor leaves: "<code> <finished_ns> <oom>". */
static bool read_exit_file(const struct container *c, int *code, int64_t *when, bool *oom,
			   char **error)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", c->run_dir, MON_EXIT_FILE);
	_cleanup_free_ char *text = NULL;
	long long ns = 0;
	int o = 0;

	if (file_read_all(p, 8192, &text, NULL) < 0 ||
	    sscanf(text, "%d %lld %d", code, &ns, &o) < 1)
		return false;
	*when = ns ? ns : now_unix_ns();
	*oom = o != 0;
	char *e = strstr(text, "error: ");
	if (error)
		*error = e ? xstrndup(e + 7, strcspn(e + 7, "\n")) : NULL;
	return true;
}

static void mon_conn_free(struct daemon *d, struct mon_conn *m)
{
	http_loop_del_fd(d->loop, m->fd);
	(void)close(m->fd);
	free(m);
}

/* The control channel is gone: if the container did not report its exit, take
 * it from the exit file (or record that we lost it). */
static void mon_lost(struct daemon *d, struct container *c)
{
	int code = 255;
	int64_t when = now_unix_ns();
	bool oom = false;
	_cleanup_free_ char *error = NULL;

	mon_conn_free(d, c->mon);
	c->mon = NULL;
	if (c->starting) {
		if (read_exit_file(c, &code, &when, &oom, &error))
			container_on_start_failed(d, c, code,
						  error ? error : "container failed to start");
		else
			container_on_start_failed(d, c, 128,
						  "berth-monitor exited before the start");
		return;
	}
	if (!ct_is_running(c))
		return;
	if (!read_exit_file(c, &code, &when, &oom, NULL)) {
		/* killed: what it ran is in no one's care any more */
		log_warn("Monitor of container %.12s went away without an exit status: killing "
			 "what remains of the container",
			 c->id);
		(void)container_runtime_delete(d, c);
	}
	container_on_exited(d, c, code, oom, when);
}

static void mon_message(struct daemon *d, struct container *c, const struct mon_msg *m)
{
	switch ((enum mon_msg_type)m->type) {
	case MON_STATE:
		container_on_state(d, c, m->a, m->b, m->c);
		break;
	case MON_STARTED:
		container_on_started(d, c, m->b, m->time_ns);
		break;
	case MON_START_FAILED:
		container_on_start_failed(d, c, m->c, m->text);
		break;
	case MON_EXITED:
		container_on_exited(d, c, m->c, m->a != 0, m->time_ns);
		break;
	case MON_EXEC_STARTED:
		exec_on_started(d, c, m->text, m->b);
		break;
	case MON_EXEC_EXITED:
		exec_on_exited(d, c, m->text, m->c);
		break;
	case MON_EXEC_FAILED: {
		_cleanup_free_ char *id = xstrndup(m->text, strcspn(m->text, " "));
		const char *msg = m->text + strlen(id);
		exec_on_failed(d, c, id, m->c, *msg ? msg + 1 : "exec failed");
		break;
	}
	case MON_HELLO:
	case MON_ATTACH:
	case MON_RESIZE:
	case MON_EXEC:
	case MON_EXEC_RESIZE:
	case MON_MSG_TYPE_MAX:
	default:
		log_debug("Unexpected message %u from the monitor of %.12s", m->type, c->id);
		break;
	}
}

static void mon_readable(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct daemon *d = the_daemon;
	struct container *c = data;
	struct mon_msg m;

	(void)l;
	(void)events;
	for (;;) {
		ssize_t n = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			if (c->mon && c->mon->fd == fd)
				mon_lost(d, c);
			return;
		}
		if ((size_t)n < offsetof(struct mon_msg, text))
			continue;
		if ((size_t)n == offsetof(struct mon_msg, text))
			m.text[0] = '\0';
		m.text[sizeof(m.text) - 1] = '\0';
		mon_message(d, c, &m);
		bool alive = false; /* an exit may have auto-removed (and freed) it */
		for (size_t i = 0; i < d->n_containers && !alive; i++)
			alive = d->containers[i] == c;
		if (!alive || !c->mon || c->mon->fd != fd)
			return; /* the container was removed or the connection closed */
	}
}

static void mon_reaped(struct http_loop *l, pid_t pid, int status, void *data)
{
	(void)l;
	(void)data;
	log_debug("Monitor %d exited with status %d", (int)pid, status);
}

static char **monitor_argv(struct daemon *d, struct container *c, int control_fd,
			   char ***attach_args)
{
	char **argv = NULL;
	_cleanup_free_ char *rt_root = xasprintf("%s/runtime", d->exec_root);
	_cleanup_free_ char *bundle = xasprintf("%s/bundle", c->dir);
	json_object *lc = jget(c->host_config, "LogConfig"), *opts = lc ? jget(lc, "Config") : NULL;
	json_object *t = lc ? jget(lc, "Type") : NULL;

	strv_push(&argv, d->monitor_path);
	strv_push(&argv, "--id");
	strv_push(&argv, c->id);
	strv_push(&argv, "--runtime");
	strv_push(&argv, container_runtime_path(d, c));
	strv_push(&argv, "--runtime-root");
	strv_push(&argv, rt_root);
	strv_push(&argv, "--bundle");
	strv_push(&argv, bundle);
	strv_push(&argv, "--dir");
	strv_push(&argv, c->run_dir);
	if (jbool(c->config, "Tty"))
		strv_push(&argv, "--tty");
	if (jbool(c->config, "OpenStdin"))
		strv_push(&argv, "--stdin");
	if (jbool(c->config, "StdinOnce"))
		strv_push(&argv, "--stdin-once");
	if (!t || strcmp(json_object_get_string(t), "none") != 0) {
		json_object *ms = opts ? jget(opts, "max-size") : NULL;
		json_object *mf = opts ? jget(opts, "max-file") : NULL;
		strv_push(&argv, "--log");
		strv_push(&argv, c->log_path);
		if (ms) {
			strv_push(&argv, "--log-max-size");
			strv_push_take(&argv,
				       xasprintf("%lld", (long long)log_size_parse(
								 json_object_get_string(ms))));
			strv_push(&argv, "--log-max-file");
			strv_push(&argv, mf ? json_object_get_string(mf) : "1");
		}
	}
	strv_push(&argv, "--control-fd");
	strv_push_take(&argv, xasprintf("%d", control_fd));
	for (size_t i = 0; attach_args && *attach_args && (*attach_args)[i]; i++) {
		strv_push(&argv, "--attach");
		strv_push(&argv, (*attach_args)[i]);
	}
	return argv;
}

int mon_spawn(struct daemon *d, struct container *c, struct berth_error **err)
{
	int sp[2];
	_cleanup_strv_ char **attach = NULL;

	if (!d->monitor_path)
		return berth_error_set(err, ENOENT, BERTH_ERR_INTERNAL,
				       "berth-monitor is not installed next to berthd");
	(void)rm_rf(c->run_dir);
	if (mkdir_p(c->run_dir, 0700) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "create '%s'", c->run_dir);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "socketpair");
	for (size_t i = 0; i < c->n_pending; i++)
		strv_push_take(
			&attach,
			xasprintf("%d:%u%s%s", c->pending[i].fd, c->pending[i].flags,
				  c->pending[i].detach_keys ? ":" : "",
				  c->pending[i].detach_keys ? c->pending[i].detach_keys : ""));
	_cleanup_strv_ char **argv = monitor_argv(d, c, sp[1], &attach);
	pid_t pid = fork();
	if (pid < 0) {
		(void)close(sp[0]);
		(void)close(sp[1]);
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "fork");
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		(void)fcntl(sp[1], F_SETFD, 0);
		for (size_t i = 0; i < c->n_pending; i++)
			(void)fcntl(c->pending[i].fd, F_SETFD, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	(void)close(sp[1]);
	for (size_t i = 0; i < c->n_pending; i++) {
		(void)close(c->pending[i].fd);
		free(c->pending[i].detach_keys);
	}
	c->n_pending = 0;
	struct mon_conn *m = xzalloc(sizeof(*m));
	m->fd = sp[0];
	m->c = c;
	m->pid = pid;
	c->mon = m;
	(void)http_loop_add_fd(d->loop, m->fd, EPOLLIN, mon_readable, c);
	(void)http_loop_watch_pid(d->loop, pid, mon_reaped, NULL);
	return 0;
}

int mon_reconnect(struct daemon *d, struct container *c, struct berth_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_free_ char *path = xasprintf("%s/%s", c->run_dir, MON_SOCKET);
	_cleanup_close_ int dir = -EBADF;
	int fd;

	/* A long exec root (tests under $TMPDIR) does not fit in sun_path: go
	 * through the directory's descriptor, as the monitor binds it relatively. */
	if (strlen(path) >= sizeof(sa.sun_path)) {
		dir = open(c->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dir < 0)
			return -ENOENT;
		free(path);
		path = xasprintf("/proc/self/fd/%d/%s", dir, MON_SOCKET);
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		(void)close(fd);
		return -(e == ECONNREFUSED ? ENOENT : e);
	}
	struct mon_conn *m = xzalloc(sizeof(*m));
	m->fd = fd;
	m->c = c;
	c->mon = m;
	(void)http_loop_add_fd(d->loop, fd, EPOLLIN, mon_readable, c);
	return mon_send(m, MON_HELLO, 0, 0, NULL, -1);
}

int mon_send(struct mon_conn *m, enum mon_msg_type type, int a, int b, const char *text, int fd)
{
	struct mon_msg msg = { .type = type, .a = a, .b = b };
	size_t len = offsetof(struct mon_msg, text);
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };

	if (text) {
		size_t n = strnlen(text, MON_TEXT_MAX - 1);
		memcpy(msg.text, text, n);
		msg.text[n] = '\0';
		len += n + 1;
	}
	struct iovec iov = { .iov_base = &msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	ssize_t n;
	do
		n = m ? sendmsg(m->fd, &mh, MSG_NOSIGNAL) : -1;
	while (n < 0 && errno == EINTR);
	int r = n < 0 ? (m ? -errno : -ENOTCONN) : 0;
	if (fd >= 0)
		(void)close(fd);
	return r;
}

void mon_close(struct daemon *d, struct container *c)
{
	if (!c->mon)
		return;
	mon_conn_free(d, c->mon);
	c->mon = NULL;
}
