/* Execs: `runtime exec --detach`, then the monitor waits for the process
 * itself. The runtime's exec child is re-parented to us (we are a
 * subreaper), so no runtime process stays behind per exec and the status
 * comes straight from waitpid. Non-terminal execs get pipes (or /dev/null
 * when detached), terminal ones a console socket whose pty master is relayed.
 * At the exit: the exit file first, then MON_EXEC_EXITED, then the client's
 * stream ends, so that a client reading the code after EOF finds it. */
#define LOG_CATEGORY "monitor-exec"
#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "monitor-internal.h"

enum exec_state { EXEC_STARTING, EXEC_RUNNING, EXEC_DRAINING, EXEC_DONE };

struct mon_exec {
	struct mon_exec *next;
	char id[72];
	unsigned flags;
	enum exec_state state;
	pid_t pid;
	int code;
	uint64_t drain_until;
	int client_fd, console_fd, out_fds[2], in_fd;
	unsigned short rows, cols; /* a resize that came before the pty */
	char *keys;
	struct mon_fanout fan;
	struct mon_source out[2];
	struct mon_sink in;
};

static bool exec_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 64 || id[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isalnum((unsigned char)id[i]) && id[i] != '-' && id[i] != '_' && id[i] != '.')
			return false;
	}
	return true;
}

static char *exec_file(const struct monitor *m, const struct mon_exec *x, const char *suffix)
{
	return xasprintf("%s/%s%s.%s", m->a.dir, MON_EXEC_EXIT_PREFIX, x->id, suffix);
}

static void exec_remove_files(const struct monitor *m, const struct mon_exec *x)
{
	static const char *const suffixes[] = { "pid", "log", "sock" };

	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		_cleanup_free_ char *p = exec_file(m, x, suffixes[i]);
		(void)unlink(p);
	}
}

static void exec_write_exit(const struct monitor *m, const struct mon_exec *x, int code)
{
	_cleanup_free_ char *p = exec_file(m, x, "exit");
	char text[16];

	(void)snprintf(text, sizeof(text), "%d\n", code);
	if (mon_write_file(p, text) < 0)
		log_warn("Cannot write '%s': %m", p);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

/* Unlink from the monitor; freed by mon_exec_sweep. */
static void exec_end(struct monitor *m, struct mon_exec *x)
{
	for (int i = 0; i < 2; i++)
		mon_source_close(m, &x->out[i]);
	mon_sink_close(m, &x->in);
	mon_fanout_finish(m, &x->fan);
	close_fd(&x->client_fd);
	close_fd(&x->console_fd);
	close_fd(&x->in_fd);
	close_fd(&x->out_fds[0]);
	close_fd(&x->out_fds[1]);
	exec_remove_files(m, x);
	for (struct mon_exec **p = &m->execs; *p; p = &(*p)->next) {
		if (*p == x) {
			*p = x->next;
			break;
		}
	}
	x->state = EXEC_DONE;
	x->next = m->dead_execs;
	m->dead_execs = x;
	m->n_execs--;
}

void mon_exec_sweep(struct monitor *m)
{
	while (m->dead_execs) {
		struct mon_exec *x = m->dead_execs;
		m->dead_execs = x->next;
		free(x->keys);
		free(x);
	}
}

/* Tell the attached client why its exec did not start, as dockerd does: the
 * message on its stdout (framed unless a tty), then the end of the stream. */
static void exec_tell_client(struct mon_exec *x, const char *msg)
{
	_cleanup_free_ char *line = xasprintf("OCI runtime exec failed: %s: unknown\r\n", msg);
	size_t n = strlen(line);
	unsigned char hdr[8] = { MON_STREAM_STDOUT,
				 0,
				 0,
				 0,
				 (unsigned char)(n >> 24),
				 (unsigned char)(n >> 16),
				 (unsigned char)(n >> 8),
				 (unsigned char)n };
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { line, n } };
	bool tty = x->flags & MON_ATTACH_TTY;

	if (x->client_fd < 0)
		return;
	/* A short message on a fresh socket: one write fits, and a failure only
	 * costs the client the explanation (it still sees the exit code). */
	(void)writev(x->client_fd, tty ? iov + 1 : iov, tty ? 1 : 2);
}

static void exec_fail(struct monitor *m, struct mon_exec *x, int code, const char *msg)
{
	_cleanup_free_ char *text = xasprintf("%s %s", x->id, msg);

	exec_tell_client(x, msg);
	exec_write_exit(m, x, code);
	mon_ctl_event(m, MON_EXEC_FAILED, 0, 0, code, mon_now_ns(), text);
	exec_end(m, x);
}

static void exec_exited(struct monitor *m, struct mon_exec *x, int status)
{
	x->code = mon_status_code(status);
	x->state = EXEC_DRAINING;
	x->drain_until = mon_now_ms() + MON_EXEC_DRAIN_MS;
}

static int pty_fd(const struct mon_source *out, const struct mon_sink *in)
{
	return out->w.fd >= 0 ? out->w.fd : in->w.fd;
}

static void set_winsize(int fd, unsigned short rows, unsigned short cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	if (fd >= 0 && rows && cols)
		(void)ioctl(fd, TIOCSWINSZ, &ws);
}

static int exec_wire(struct monitor *m, struct mon_exec *x)
{
	int r = 0;

	if (x->flags & MON_ATTACH_TTY) {
		int master = -1;
		r = mon_console_recv(x->console_fd, &master);
		if (r < 0)
			return r;
		close_fd(&x->console_fd);
		set_winsize(master, x->rows, x->cols);
		if (x->flags & MON_ATTACH_STDIN) {
			int dup = fcntl(master, F_DUPFD_CLOEXEC, 3);
			if (dup >= 0)
				(void)mon_sink_open(m, &x->in, dup, true, &x->fan);
		}
		return mon_source_open(m, &x->out[0], master, MON_STREAM_STDOUT, &x->fan);
	}
	for (int i = 0; i < 2 && r == 0; i++) {
		if (x->out_fds[i] >= 0)
			r = mon_source_open(m, &x->out[i], TAKE_FD(x->out_fds[i]), i + 1, &x->fan);
	}
	if (r == 0 && x->in_fd >= 0)
		r = mon_sink_open(m, &x->in, TAKE_FD(x->in_fd), false, &x->fan);
	return r;
}

static void exec_runtime_done(struct monitor *m, void *data, int status)
{
	struct mon_exec *x = data;
	_cleanup_free_ char *pid_file = exec_file(m, x, "pid");
	int code, r, st;

	if (status != 0) {
		_cleanup_free_ char *log_file = exec_file(m, x, "log");
		_cleanup_free_ char *msg = mon_runtime_error(log_file, status, &code);
		exec_fail(m, x, code, msg);
		return;
	}
	if ((r = mon_pid_file_read(pid_file, &x->pid)) < 0) {
		exec_fail(m, x, 128, "the OCI runtime wrote no pid file");
		return;
	}
	if ((r = exec_wire(m, x)) < 0) {
		_cleanup_free_ char *msg = xasprintf("set up the exec's stdio: %s", strerror(-r));
		exec_fail(m, x, 128, msg);
		return;
	}
	x->state = EXEC_RUNNING;
	if (x->client_fd >= 0)
		mon_client_add(m, &x->fan, TAKE_FD(x->client_fd), x->flags | MON_ATTACH_STREAM,
			       x->keys);
	mon_ctl_event(m, MON_EXEC_STARTED, 0, (int)x->pid, 0, mon_now_ns(), x->id);
	if (mon_orphan_take(m, x->pid, &st))
		exec_exited(m, x, st);
}

/* The runtime's stdio for the exec: the far ends of our pipes, or /dev/null. */
static int exec_stdio(struct monitor *m, struct mon_exec *x, int devnull, int fds[3])
{
	int p[2];

	fds[0] = fds[1] = fds[2] = devnull;
	if (x->flags & MON_ATTACH_TTY) {
		_cleanup_free_ char *sock = exec_file(m, x, "sock");
		return mon_console_listen(strrchr(sock, '/') + 1, &x->console_fd);
	}
	if (x->flags & MON_ATTACH_DETACH)
		return 0;
	if (x->flags & MON_ATTACH_STDIN) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return -errno;
		fds[0] = p[0];
		x->in_fd = p[1];
	}
	for (int i = 0; i < 2; i++) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return -errno;
		x->out_fds[i] = p[0];
		fds[i + 1] = p[1];
	}
	return 0;
}

static int exec_spawn(struct monitor *m, struct mon_exec *x, const char *process)
{
	_cleanup_free_ char *log_file = exec_file(m, x, "log");
	_cleanup_free_ char *pid_file = exec_file(m, x, "pid");
	_cleanup_free_ char *sock = exec_file(m, x, "sock");
	_cleanup_strv_ char **argv = mon_runtime_argv(m, log_file, "exec");
	_cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int fds[3];
	pid_t pid;

	if (devnull < 0)
		return -errno;
	int r = exec_stdio(m, x, devnull, fds);
	strv_push(&argv, "--process");
	strv_push(&argv, process);
	strv_push(&argv, "--detach");
	strv_push(&argv, "--pid-file");
	strv_push(&argv, pid_file);
	if (x->flags & MON_ATTACH_TTY) {
		struct sockaddr_un sa;
		strv_push(&argv, "--console-socket");
		/* The runtime runs in our directory: a long path can be relative. */
		strv_push(&argv,
			  strlen(sock) < sizeof(sa.sun_path) ? sock : strrchr(sock, '/') + 1);
	}
	strv_push(&argv, m->a.id);
	if (r == 0)
		r = mon_spawn(m, argv, fds, &pid);
	for (int i = 0; i < 3; i++) {
		if (fds[i] != devnull)
			(void)close(fds[i]);
	}
	if (r < 0)
		return r;
	mon_child_watch(m, pid, exec_runtime_done, x);
	return 0;
}

/* Why a request cannot run, and the code docker would give it. */
static const char *exec_refusal(const struct monitor *m, const char *id, unsigned flags, int fd,
				int *ret_code)
{
	*ret_code = 128;
	if (m->state != MON_STATE_RUNNING || m->reaped) {
		*ret_code = 126;
		return "container is not running";
	}
	if (m->n_execs >= MON_EXECS_MAX)
		return "too many execs";
	if (fd < 0 && !(flags & MON_ATTACH_DETACH))
		return "no client for an attached exec";
	for (struct mon_exec *x = m->execs; x; x = x->next) {
		if (strcmp(x->id, id) == 0)
			return "exec already running";
	}
	return NULL;
}

/* text: "<execid> <process.json path>", optionally "\n<detach keys>". */
void mon_exec_request(struct monitor *m, unsigned flags, const char *text, int fd)
{
	_cleanup_free_ char *copy = xstrdup(text);
	char *keys = strchr(copy, '\n');
	char *process = strchr(copy, ' ');
	const char *id = copy;
	const char *why = "invalid exec request";
	int code = 128;

	if (keys)
		*keys++ = '\0';
	if (process)
		*process++ = '\0';
	if (process && exec_id_valid(id) && process[0] == '/')
		why = exec_refusal(m, id, flags, fd, &code);
	if (why) {
		_cleanup_free_ char *msg = xasprintf("%s %s", exec_id_valid(id) ? id : "-", why);
		if (fd >= 0)
			(void)close(fd);
		mon_ctl_event(m, MON_EXEC_FAILED, 0, 0, code, mon_now_ns(), msg);
		return;
	}
	struct mon_exec *x = xzalloc(sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", id);
	x->flags = flags;
	x->client_fd = (flags & MON_ATTACH_DETACH) ? -1 : fd;
	if (flags & MON_ATTACH_DETACH && fd >= 0)
		(void)close(fd);
	x->console_fd = x->in_fd = x->out_fds[0] = x->out_fds[1] = -1;
	x->out[0].w.fd = x->out[1].w.fd = x->in.w.fd = -1;
	x->keys = keys && *keys ? xstrdup(keys) : NULL;
	x->fan.stdin_once = true; /* docker closes an exec's stdin at the client's EOF */
	x->next = m->execs;
	m->execs = x;
	m->n_execs++;
	int r = exec_spawn(m, x, process);
	if (r < 0) {
		_cleanup_free_ char *msg = xasprintf("start the OCI runtime: %s", strerror(-r));
		exec_fail(m, x, 128, msg);
	}
}

void mon_exec_resize(struct monitor *m, const char *id, int h, int w)
{
	for (struct mon_exec *x = m->execs; x; x = x->next) {
		if (strcmp(x->id, id) != 0 || !(x->flags & MON_ATTACH_TTY))
			continue;
		x->rows = (unsigned short)h;
		x->cols = (unsigned short)w;
		set_winsize(pty_fd(&x->out[0], &x->in), x->rows, x->cols);
	}
}

bool mon_exec_reaped(struct monitor *m, pid_t pid, int status)
{
	for (struct mon_exec *x = m->execs; x; x = x->next) {
		if (x->state == EXEC_RUNNING && x->pid == pid) {
			exec_exited(m, x, status);
			return true;
		}
	}
	return false;
}

static void exec_finish(struct monitor *m, struct mon_exec *x)
{
	for (int i = 0; i < 2; i++)
		mon_source_close(m, &x->out[i]);
	mon_sink_close(m, &x->in);
	exec_write_exit(m, x, x->code);
	mon_ctl_event(m, MON_EXEC_EXITED, 0, 0, x->code, mon_now_ns(), x->id);
	exec_end(m, x);
}

int64_t mon_exec_tick(struct monitor *m)
{
	uint64_t now = mon_now_ms();
	int64_t next = -1;
	struct mon_exec *x, *n;

	for (x = m->execs; x; x = n) {
		n = x->next;
		if (x->state != EXEC_DRAINING)
			continue;
		if ((!mon_source_is_open(&x->out[0]) && !mon_source_is_open(&x->out[1])) ||
		    now >= x->drain_until) {
			exec_finish(m, x);
			continue;
		}
		int64_t left = (int64_t)(x->drain_until - now);
		next = next < 0 || left < next ? left : next;
	}
	return next;
}
