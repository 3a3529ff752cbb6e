/* The container's life: `create` with the container's stdio (pipes, or a
 * console socket for the pty master), `start`, then the init's exit: output
 * drained, the exit file (first, so a daemon that missed the event finds
 * it), MON_EXITED, clients finished, execs awaited, `delete --force`. */
#define LOG_CATEGORY "monitor"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "monitor-internal.h"

#define CONSOLE_SOCKET "console.sock"

/* The memory cgroup's OOM counter, found from the init's /proc/PID/cgroup:
 * memory.oom_control on v1, memory.events on v2 (both have "oom_kill N"). */
static void oom_setup(struct monitor *m)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/cgroup", (int)m->init_pid);
	_cleanup_free_ char *text = NULL;
	char *save = NULL;

	if (file_read_all(path, 65536, &text, NULL) < 0)
		return;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctrl = strchr(line, ':');
		char *cg = ctrl ? strchr(ctrl + 1, ':') : NULL;
		if (!cg)
			continue;
		*cg++ = '\0';
		ctrl++;
		if (strcmp(line, "0") == 0 && *ctrl == '\0' && !m->oom_file) {
			m->oom_file = xasprintf("/sys/fs/cgroup%s/memory.events", cg);
			continue;
		}
		for (char *c = ctrl; (c = strstr(c, "memory")); c++) {
			if ((c == ctrl || c[-1] == ',') && (c[6] == ',' || c[6] == '\0')) {
				free(m->oom_file);
				m->oom_file =
					xasprintf("/sys/fs/cgroup/memory%s/memory.oom_control", cg);
				return;
			}
		}
	}
}

static bool oom_killed(const struct monitor *m)
{
	_cleanup_free_ char *text = NULL;

	if (!m->oom_file || file_read_all(m->oom_file, 65536, &text, NULL) < 0)
		return false;
	const char *p = strstr(text, "oom_kill ");
	return p && strtoll(p + 9, NULL, 10) > 0;
}

void mon_exit_now(struct monitor *m, int code)
{
	(void)unlink(MON_SOCKET);
	(void)unlink(CONSOLE_SOCKET);
	exit(code);
}

static void runtime_delete(struct monitor *m, bool sync, mon_child_fn fn)
{
	_cleanup_free_ char *log_file = xasprintf("%s/%s", m->a.dir, MON_RUNTIME_LOG);
	_cleanup_strv_ char **argv = mon_runtime_argv(m, log_file, "delete");
	_cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int fds[3] = { devnull, devnull, devnull };
	int status;
	pid_t pid;

	strv_push(&argv, "--force");
	strv_push(&argv, m->a.id);
	if (sync)
		(void)mon_run_sync(m, argv, fds, &status);
	else if (mon_spawn(m, argv, fds, &pid) == 0)
		mon_child_watch(m, pid, fn, NULL);
	else
		fn(m, NULL, -1);
}

/* create or start failed: record why, tell the daemon, clean up, exit. */
__attribute__((noreturn)) static void start_failed(struct monitor *m, int code, char *msg)
{
	_cleanup_free_ char *text =
		xasprintf("%d %lld 0\nerror: %s\n", code, (long long)mon_now_ns(), msg);
	struct mon_client *c;

	m->exit_code = code;
	m->error = msg;
	m->finished_ns = mon_now_ns();
	m->state = MON_STATE_EXITED;
	if (mon_write_file(MON_EXIT_FILE, text) < 0)
		log_error("Cannot write the exit file: %m");
	mon_ctl_event(m, MON_START_FAILED, 0, 0, code, m->finished_ns, msg);
	runtime_delete(m, true, NULL);
	while ((c = m->clients))
		mon_client_drop(m, c);
	mon_exit_now(m, 1);
}

static char *runtime_failure(struct monitor *m, int status, int *ret_code)
{
	_cleanup_free_ char *log_file = xasprintf("%s/%s", m->a.dir, MON_RUNTIME_LOG);
	return mon_runtime_error(log_file, status, ret_code);
}

static void run_or_fail(struct monitor *m, const char *cmd, char **extra, const int fds[3])
{
	_cleanup_free_ char *log_file = xasprintf("%s/%s", m->a.dir, MON_RUNTIME_LOG);
	_cleanup_strv_ char **argv = mon_runtime_argv(m, log_file, cmd);
	int status = 0, code;

	for (size_t i = 0; extra && extra[i]; i++)
		strv_push(&argv, extra[i]);
	strv_push(&argv, m->a.id);
	int r = mon_run_sync(m, argv, fds, &status);
	if (r < 0)
		start_failed(m, 128,
			     xasprintf("run the OCI runtime '%s': %s", m->a.runtime, strerror(-r)));
	if (status != 0) {
		char *msg = runtime_failure(m, status, &code);
		start_failed(m, code, msg);
	}
}

/* create: the pty master arrives on the console socket before it returns. */
static int create_tty(struct monitor *m, int devnull, int *ret_master)
{
	_cleanup_close_ int console = -EBADF;
	_cleanup_free_ char *path = xasprintf("%s/%s", m->a.dir, CONSOLE_SOCKET);
	_cleanup_free_ char *pid_file = xasprintf("%s/%s", m->a.dir, MON_INIT_PID_FILE);
	_cleanup_strv_ char **extra = NULL;
	struct sockaddr_un sa;
	int fds[3] = { devnull, devnull, devnull };
	int r = mon_console_listen(CONSOLE_SOCKET, &console);

	if (r < 0)
		start_failed(m, 128, xasprintf("console socket: %s", strerror(-r)));
	strv_push(&extra, "--bundle");
	strv_push(&extra, m->a.bundle);
	strv_push(&extra, "--pid-file");
	strv_push(&extra, pid_file);
	strv_push(&extra, "--console-socket");
	strv_push(&extra, strlen(path) < sizeof(sa.sun_path) ? path : CONSOLE_SOCKET);
	run_or_fail(m, "create", extra, fds);
	r = mon_console_recv(console, ret_master);
	(void)unlink(CONSOLE_SOCKET);
	return r;
}

static void create_pipes(struct monitor *m, int devnull, int ours[3])
{
	_cleanup_free_ char *pid_file = xasprintf("%s/%s", m->a.dir, MON_INIT_PID_FILE);
	_cleanup_strv_ char **extra = NULL;
	int theirs[3] = { devnull, -1, -1 }, p[2];

	for (int i = 0; i < 3; i++) {
		if (i == 0 && !m->a.open_stdin)
			continue;
		if (pipe2(p, O_CLOEXEC) < 0)
			start_failed(m, 128, xasprintf("pipe: %s", strerror(errno)));
		ours[i] = i == 0 ? p[1] : p[0];
		theirs[i] = i == 0 ? p[0] : p[1];
	}
	strv_push(&extra, "--bundle");
	strv_push(&extra, m->a.bundle);
	strv_push(&extra, "--pid-file");
	strv_push(&extra, pid_file);
	run_or_fail(m, "create", extra, theirs);
	for (int i = 0; i < 3; i++) {
		if (theirs[i] != devnull)
			(void)close(theirs[i]);
	}
}

static void wire_stdio(struct monitor *m, int master, const int ours[3])
{
	int r = 0;

	m->fan.stdin_once = m->a.stdin_once;
	if (m->a.tty) {
		if (m->a.open_stdin) {
			int dup = fcntl(master, F_DUPFD_CLOEXEC, 3);
			r = dup < 0 ? -errno : mon_sink_open(m, &m->in, dup, true, &m->fan);
		}
		if (r == 0)
			r = mon_source_open(m, &m->out[0], master, MON_STREAM_STDOUT, &m->fan);
	} else {
		if (ours[0] >= 0)
			r = mon_sink_open(m, &m->in, ours[0], false, &m->fan);
		for (int i = 1; i < 3 && r == 0; i++)
			r = mon_source_open(m, &m->out[i - 1], ours[i], i, &m->fan);
	}
	if (r < 0)
		log_warn("Cannot relay the container's stdio: %s", strerror(-r));
}

int mon_container_start(struct monitor *m)
{
	_cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	_cleanup_free_ char *pid_file = xasprintf("%s/%s", m->a.dir, MON_INIT_PID_FILE);
	int ours[3] = { -1, -1, -1 }, master = -1, r;

	m->state = MON_STATE_STARTING;
	if (devnull < 0)
		start_failed(m, 128, xasprintf("/dev/null: %s", strerror(errno)));
	if (m->a.tty) {
		r = create_tty(m, devnull, &master);
		if (r < 0) {
			runtime_delete(m, true, NULL);
			start_failed(
				m, 128,
				xasprintf("receive the container's terminal: %s", strerror(-r)));
		}
	} else {
		create_pipes(m, devnull, ours);
	}
	r = mon_pid_file_read(pid_file, &m->init_pid);
	if (r < 0)
		start_failed(m, 128, xasprintf("read '%s': %s", pid_file, strerror(-r)));
	oom_setup(m);
	int nulls[3] = { devnull, devnull, devnull };
	run_or_fail(m, "start", NULL, nulls);
	wire_stdio(m, master, ours);
	m->state = MON_STATE_RUNNING;
	mon_ctl_event(m, MON_STARTED, 0, (int)m->init_pid, 0, mon_now_ns(), NULL);
	return 0;
}

void mon_container_resize(struct monitor *m, int h, int w)
{
	struct winsize ws = { .ws_row = (unsigned short)h, .ws_col = (unsigned short)w };
	int fd = m->out[0].w.fd >= 0 ? m->out[0].w.fd : m->in.w.fd;

	if (m->a.tty && fd >= 0 && h > 0 && w > 0)
		(void)ioctl(fd, TIOCSWINSZ, &ws);
}

void mon_container_reaped(struct monitor *m, int status)
{
	m->reaped = true;
	m->exit_code = mon_status_code(status);
	m->finished_ns = mon_now_ns();
	m->drain_until = mon_now_ms() + MON_DRAIN_MS;
}

static void exited(struct monitor *m)
{
	char text[96];

	for (int i = 0; i < 2; i++)
		mon_source_close(m, &m->out[i]);
	mon_sink_close(m, &m->in);
	m->oom = oom_killed(m);
	(void)snprintf(text, sizeof(text), "%d %lld %d\n", m->exit_code, (long long)m->finished_ns,
		       m->oom);
	if (mon_write_file(MON_EXIT_FILE, text) < 0)
		log_error("Cannot write the exit file: %m");
	m->state = MON_STATE_EXITED;
	mon_ctl_event(m, MON_EXITED, m->oom, 0, m->exit_code, m->finished_ns, NULL);
	mon_fanout_finish(m, &m->fan);
	m->linger_until = mon_now_ms() + MON_LINGER_MS;
}

static void deleted(struct monitor *m, void *data, int status)
{
	m->deleted = true;
}

int64_t mon_container_tick(struct monitor *m)
{
	uint64_t now = mon_now_ms();

	if (m->state == MON_STATE_RUNNING && m->reaped) {
		bool open = mon_source_is_open(&m->out[0]) || mon_source_is_open(&m->out[1]);
		if (open && now < m->drain_until)
			return (int64_t)(m->drain_until - now);
		exited(m);
	}
	if (m->state != MON_STATE_EXITED)
		return -1;
	bool late = now >= m->linger_until;
	/* Execs die with the container's pid namespace; without one, delete
	 * --force ends them after the grace period. */
	if (!m->deleting && (m->n_execs == 0 || late)) {
		m->deleting = true;
		runtime_delete(m, false, deleted);
	}
	if (m->deleted && (m->n_clients == 0 || late)) {
		struct mon_client *c;
		while ((c = m->clients))
			mon_client_drop(m, c);
		(void)unlink(MON_SOCKET);
		m->done = true;
		return -1;
	}
	return late ? 100 : (int64_t)(m->linger_until - now);
}
