/* The monitor's loop: epoll over every descriptor, SIGCHLD through a
 * signalfd, deadlines for the phases after the container's exit, and the
 * reaper that routes each child's status to whoever waits for it. */
#define LOG_CATEGORY "monitor"
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor-internal.h"

uint64_t mon_now_ms(void)
{
	return now_usec_monotonic() / 1000;
}

int64_t mon_now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int mon_status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

int mon_watch_add(struct monitor *m, struct mon_watch *w, int fd, uint32_t events, mon_watch_fn fn)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fd = fd;
	w->events = events;
	w->fn = fn;
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		w->fd = -1;
		return -errno;
	}
	return 0;
}

void mon_watch_set(struct monitor *m, struct mon_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->fd < 0 || w->events == events)
		return;
	if (epoll_ctl(m->epfd, EPOLL_CTL_MOD, w->fd, &ev) == 0)
		w->events = events;
}

void mon_watch_close(struct monitor *m, struct mon_watch *w)
{
	if (w->fd < 0)
		return;
	(void)epoll_ctl(m->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	(void)close(w->fd);
	w->fd = -1;
}

bool mon_orphan_take(struct monitor *m, pid_t pid, int *ret_status)
{
	for (unsigned i = 0; i < m->n_orphans; i++) {
		if (m->orphans[i].pid != pid)
			continue;
		*ret_status = m->orphans[i].status;
		m->orphans[i] = m->orphans[--m->n_orphans];
		return true;
	}
	return false;
}

static void orphan_keep(struct monitor *m, pid_t pid, int status)
{
	unsigned n = (unsigned)ARRAY_SIZE(m->orphans);

	if (m->n_orphans == n) {
		memmove(m->orphans, m->orphans + 1, (n - 1) * sizeof(m->orphans[0]));
		m->n_orphans--;
	}
	m->orphans[m->n_orphans].pid = pid;
	m->orphans[m->n_orphans].status = status;
	m->n_orphans++;
}

static bool child_done(struct monitor *m, pid_t pid, int status)
{
	for (struct mon_child **p = &m->children; *p; p = &(*p)->next) {
		struct mon_child *c = *p;
		if (c->pid != pid)
			continue;
		*p = c->next;
		c->fn(m, c->data, status);
		free(c);
		return true;
	}
	return false;
}

static void reap(struct monitor *m)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			return;
		if (pid == m->init_pid && !m->reaped)
			mon_container_reaped(m, status);
		else if (!child_done(m, pid, status) && !mon_exec_reaped(m, pid, status))
			orphan_keep(m, pid, status);
	}
}

static void on_signal(struct monitor *m, struct mon_watch *w, uint32_t events)
{
	struct signalfd_siginfo si;

	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	reap(m);
}

int mon_loop_init(struct monitor *m)
{
	sigset_t set;
	int fd;

	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->epfd < 0)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	return mon_watch_add(m, &m->sig_w, fd, EPOLLIN, on_signal);
}

static int64_t earlier(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

int mon_loop_run(struct monitor *m)
{
	struct epoll_event ev[32];

	reap(m); /* the init may have exited already */
	while (!m->done) {
		int64_t timeout = earlier(mon_container_tick(m), mon_exec_tick(m));
		if (m->done)
			break;
		int n = epoll_wait(m->epfd, ev, (int)ARRAY_SIZE(ev),
				   timeout < 0 ? -1 : (int)(timeout > 60000 ? 60000 : timeout));
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			struct mon_watch *w = ev[i].data.ptr;
			if (w->fd >= 0)
				w->fn(m, w, ev[i].events);
		}
		mon_client_sweep(m);
		mon_ctl_sweep(m);
		mon_exec_sweep(m);
	}
	return 0;
}
