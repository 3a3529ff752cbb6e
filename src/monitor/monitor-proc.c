/* Running the OCI runtime: argv, fork and exec with exactly three descriptors,
 * waiting (synchronously for create and start, through the reaper
 * otherwise), its error from the JSON log, pid files and console sockets. */
#define LOG_CATEGORY "monitor"
#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor-internal.h"

char **mon_runtime_argv(const struct monitor *m, const char *log_file, const char *cmd)
{
	char **argv = NULL;

	strv_push(&argv, m->a.runtime);
	strv_push(&argv, "--root");
	strv_push(&argv, m->a.runtime_root);
	strv_push(&argv, "--log");
	strv_push(&argv, log_file);
	strv_push(&argv, "--log-format");
	strv_push(&argv, "json");
	strv_push(&argv, cmd);
	return argv;
}

__attribute__((noreturn)) static void spawn_child(char **argv, const int fds[3])
{
	sigset_t none;
	int moved[3];

	/* The runtime and the container must not inherit our signal setup, nor
	 * what berthd was started with: a shell's `berthd &` ignores SIGINT and
	 * SIGQUIT, and a container's shell cannot trap a signal ignored at entry. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/* Move the sources above 2 first, so that dup2 cannot clobber one. */
	for (int i = 0; i < 3; i++) {
		moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		if (moved[i] < 0)
			_exit(127);
	}
	for (int i = 0; i < 3; i++) {
		if (dup2(moved[i], i) < 0)
			_exit(127);
	}
	(void)syscall(SYS_close_range, 3U, ~0U, 0U);
	execv(argv[0], argv);
	_exit(127);
}

int mon_spawn(struct monitor *m, char **argv, const int fds[3], pid_t *ret_pid)
{
	pid_t pid = fork();

	(void)m;
	if (pid < 0)
		return -errno;
	if (pid == 0)
		spawn_child(argv, fds);
	*ret_pid = pid;
	return 0;
}

void mon_child_watch(struct monitor *m, pid_t pid, mon_child_fn fn, void *data)
{
	struct mon_child *c = xzalloc(sizeof(*c));

	c->pid = pid;
	c->fn = fn;
	c->data = data;
	c->next = m->children;
	m->children = c;
}

int mon_run_sync(struct monitor *m, char **argv, const int fds[3], int *ret_status)
{
	pid_t pid = 0;
	int r = mon_spawn(m, argv, fds, &pid);

	if (r < 0)
		return r;
	while (waitpid(pid, ret_status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* The "msg" of the last error line: {"level":"error","msg":"...","time":...}. */
static char *last_error(const char *text)
{
	const char *found = NULL;

	for (const char *p = text; (p = strstr(p, "\"level\":\"error\"")); p++)
		found = p;
	if (!found)
		return NULL;
	const char *eol = strchr(found, '\n');
	const char *start = found;
	while (start > text && start[-1] != '\n')
		start--;
	const char *msg = strstr(start, "\"msg\":\"");
	if (!msg || (eol && msg > eol))
		return NULL;
	msg += 7;
	struct mon_buf b = { 0 };
	size_t len = eol ? (size_t)(eol - msg) : strlen(msg);
	if (mon_json_unescape(msg, len, &b) < 0) {
		mon_buf_free(&b);
		return NULL;
	}
	char *s = xstrndup(b.data ? b.data + b.off : "", b.len);
	mon_buf_free(&b);
	return s;
}

static bool contains_nocase(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s; s++) {
		if (strncasecmp(s, word, n) == 0)
			return true;
	}
	return false;
}

char *mon_runtime_error(const char *log_file, int status, int *ret_code)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = open(log_file, O_RDONLY | O_CLOEXEC);
	char *msg = NULL;
	struct stat st;

	/* Only the tail matters: the log grows with every command. */
	if (fd >= 0 && fstat(fd, &st) == 0) {
		if (st.st_size > 65536)
			(void)lseek(fd, st.st_size - 65536, SEEK_SET);
		if (fd_read_all(fd, 65536, &text, NULL) == 0)
			msg = last_error(text);
	}
	if (!msg)
		msg = xasprintf("the OCI runtime failed (exit status %d)", mon_status_code(status));
	/* a working directory that cannot be entered: the command is not run
	 * for want of its place, which docker reports as 126 */
	if (contains_nocase(msg, "process.cwd"))
		*ret_code = 126;
	else if (contains_nocase(msg, "executable file not found") ||
		 contains_nocase(msg, "no such file or directory"))
		*ret_code = 127;
	else if (contains_nocase(msg, "permission denied"))
		*ret_code = 126;
	else
		*ret_code = 128;
	return msg;
}

int mon_pid_file_read(const char *path, pid_t *ret)
{
	_cleanup_free_ char *text = NULL;
	int pid, r;

	r = file_read_all(path, 64, &text, NULL);
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = '\0';
	r = str_to_int(text, &pid);
	if (r < 0)
		return r;
	if (pid <= 0)
		return -EINVAL;
	*ret = pid;
	return 0;
}

/* Names are relative to the monitor's directory (its working directory), so
 * that no path length limit applies to binding. */
int mon_console_listen(const char *name, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	if (strlen(name) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, name);
	(void)unlink(name);
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	(void)umask(old);
	if (r < 0 || listen(fd, 1) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int mon_console_recv(int listen_fd, int *ret_master)
{
	_cleanup_close_ int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	char data[64], cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int master = -1;
	ssize_t n;

	if (conn < 0)
		return -errno;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfds; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (master < 0)
				master = fd;
			else
				(void)close(fd);
		}
	}
	if (master < 0)
		return -EBADMSG;
	*ret_master = master;
	return 0;
}

/* Small state files: temp + rename, no fsync (the directory is on /run). */
int mon_write_file(const char *name, const char *text)
{
	return file_write_replace(name, text, strlen(text), 0644);
}
