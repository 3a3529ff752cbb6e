/* The event loop: epoll for descriptors, a binary heap of timers, pidfds for
 * children and one signalfd for signals, in the shape of Redis' ae.
 *
 * A registered descriptor is identified in epoll by its number and a
 * generation, so that an event already fetched for a descriptor that a
 * callback removed (or removed and added again) is dropped instead of
 * reaching the wrong callback. Timer ids carry a slot and a generation for
 * the same reason; a timer added while timers run waits for the next pass.
 */
#define LOG_CATEGORY "http"
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http.h"

#define LOOP_MAX_EVENTS 64

struct loop_fd {
	http_fd_cb cb;
	void *data;
	uint32_t events;
	uint32_t gen;
	bool used, in_epoll;
};

struct loop_timer {
	uint64_t when, seq;
	http_timer_cb cb;
	void *data;
	uint32_t gen;
	uint32_t heap_idx;
	bool used;
};

struct loop_pid {
	struct http_loop *loop;
	pid_t pid;
	int fd;
	http_pid_cb cb;
	void *data;
	struct loop_pid *next;
};

struct loop_signal {
	http_signal_cb cb;
	void *data;
};

struct http_loop {
	int epfd;
	bool stop;
	uint64_t now_ms;
	struct loop_fd *fds;
	size_t n_fds;
	struct loop_timer *timers;
	uint32_t *heap; /* slot indexes, ordered by (when, seq) */
	size_t n_timers, n_heap;
	uint32_t *free_slots;
	size_t n_free;
	uint64_t seq;
	struct loop_pid *pids;
	int sigfd;
	sigset_t sigmask, old_sigmask;
	struct loop_signal signals[_NSIG];
};

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int http_loop_new(struct http_loop **ret, struct berth_error **err)
{
	struct http_loop *l = xzalloc(sizeof(*l));

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "epoll_create1");
	}
	l->sigfd = -EBADF;
	l->now_ms = monotonic_ms();
	sigemptyset(&l->sigmask);
	*ret = l;
	return 0;
}

struct http_loop *http_loop_free(struct http_loop *l)
{
	if (!l)
		return NULL;
	while (l->pids) {
		struct loop_pid *p = l->pids;
		l->pids = p->next;
		(void)close(p->fd);
		free(p);
	}
	if (l->sigfd >= 0) {
		(void)close(l->sigfd);
		(void)sigprocmask(SIG_SETMASK, &l->old_sigmask, NULL);
	}
	(void)close(l->epfd);
	free(l->fds);
	free(l->timers);
	free(l->heap);
	free(l->free_slots);
	free(l);
	return NULL;
}

/* ---- descriptors ---- */

static uint64_t fd_key(int fd, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)fd;
}

static int fd_apply(struct http_loop *l, int fd, struct loop_fd *e, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = fd_key(fd, e->gen) };
	int op;

	/* A paused descriptor (no events) leaves epoll, so that a hang-up
	 * cannot wake the loop again and again. */
	if (events == 0) {
		if (e->in_epoll && epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
			return -errno;
		e->in_epoll = false;
		e->events = 0;
		return 0;
	}
	op = e->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(l->epfd, op, fd, &ev) < 0)
		return -errno;
	e->in_epoll = true;
	e->events = events;
	return 0;
}

int http_loop_add_fd(struct http_loop *l, int fd, uint32_t events, http_fd_cb cb, void *data)
{
	if (fd < 0 || !cb)
		return -EINVAL;
	if ((size_t)fd >= l->n_fds) {
		size_t n = l->n_fds ? l->n_fds : 64;
		while (n <= (size_t)fd)
			n *= 2;
		l->fds = xrealloc(l->fds, n * sizeof(*l->fds));
		memset(l->fds + l->n_fds, 0, (n - l->n_fds) * sizeof(*l->fds));
		l->n_fds = n;
	}
	struct loop_fd *e = &l->fds[fd];
	if (e->used)
		return -EEXIST;
	e->gen++;
	e->in_epoll = false;
	int r = fd_apply(l, fd, e, events);
	if (r < 0)
		return r;
	e->cb = cb;
	e->data = data;
	e->used = true;
	return 0;
}

int http_loop_mod_fd(struct http_loop *l, int fd, uint32_t events)
{
	if (fd < 0 || (size_t)fd >= l->n_fds || !l->fds[fd].used)
		return -ENOENT;
	if (l->fds[fd].in_epoll && l->fds[fd].events == events)
		return 0;
	return fd_apply(l, fd, &l->fds[fd], events);
}

void http_loop_del_fd(struct http_loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->n_fds || !l->fds[fd].used)
		return;
	struct loop_fd *e = &l->fds[fd];
	if (e->in_epoll)
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	e->used = false;
	e->in_epoll = false;
	e->gen++;
}

static void fd_dispatch(struct http_loop *l, const struct epoll_event *ev)
{
	int fd = (int)(uint32_t)ev->data.u64;
	uint32_t gen = (uint32_t)(ev->data.u64 >> 32);

	const struct loop_fd *e = (size_t)fd < l->n_fds ? &l->fds[fd] : NULL;

	/* Removed, paused or changed by an earlier callback of this batch. */
	if (!e || !e->used || e->gen != gen || !e->in_epoll)
		return;
	uint32_t events = ev->events & (e->events | EPOLLHUP | EPOLLERR);
	if (events)
		e->cb(l, fd, events, e->data);
}

/* ---- timers ---- */

static bool timer_before(const struct http_loop *l, uint32_t a, uint32_t b)
{
	const struct loop_timer *x = &l->timers[a], *y = &l->timers[b];
	return x->when < y->when || (x->when == y->when && x->seq < y->seq);
}

static void heap_set(struct http_loop *l, size_t i, uint32_t slot)
{
	l->heap[i] = slot;
	l->timers[slot].heap_idx = (uint32_t)i;
}

static void heap_up(struct http_loop *l, size_t i)
{
	uint32_t slot = l->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!timer_before(l, slot, l->heap[parent]))
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, slot);
}

static void heap_down(struct http_loop *l, size_t i)
{
	uint32_t slot = l->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->n_heap)
			break;
		if (c + 1 < l->n_heap && timer_before(l, l->heap[c + 1], l->heap[c]))
			c++;
		if (!timer_before(l, l->heap[c], slot))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, slot);
}

static void heap_remove(struct http_loop *l, size_t i)
{
	uint32_t last = l->heap[--l->n_heap];
	if (i == l->n_heap)
		return;
	heap_set(l, i, last);
	heap_up(l, i);
	heap_down(l, l->timers[last].heap_idx);
}

static void timer_release(struct http_loop *l, uint32_t slot)
{
	l->timers[slot].used = false;
	l->timers[slot].gen++;
	l->free_slots[l->n_free++] = slot;
}

uint64_t http_loop_add_timer(struct http_loop *l, uint64_t ms, http_timer_cb cb, void *data)
{
	uint32_t slot;

	if (l->n_free == 0) {
		size_t n = l->n_timers ? l->n_timers * 2 : 16;
		l->timers = xrealloc(l->timers, n * sizeof(*l->timers));
		l->heap = xrealloc(l->heap, n * sizeof(*l->heap));
		l->free_slots = xrealloc(l->free_slots, n * sizeof(*l->free_slots));
		memset(l->timers + l->n_timers, 0, (n - l->n_timers) * sizeof(*l->timers));
		for (size_t i = n; i > l->n_timers; i--)
			l->free_slots[l->n_free++] = (uint32_t)(i - 1);
		l->n_timers = n;
	}
	slot = l->free_slots[--l->n_free];
	struct loop_timer *t = &l->timers[slot];
	if (t->gen == 0)
		t->gen = 1;
	t->when = l->now_ms + (ms > UINT64_MAX / 2 ? UINT64_MAX / 2 : ms);
	t->seq = l->seq++;
	t->cb = cb;
	t->data = data;
	t->used = true;
	l->heap[l->n_heap] = slot;
	heap_up(l, l->n_heap++);
	return (uint64_t)t->gen << 32 | (slot + 1);
}

void http_loop_cancel_timer(struct http_loop *l, uint64_t id)
{
	uint32_t slot = (uint32_t)id - 1, gen = (uint32_t)(id >> 32);

	if (id == 0 || slot >= l->n_timers || !l->timers[slot].used || l->timers[slot].gen != gen)
		return;
	heap_remove(l, l->timers[slot].heap_idx);
	timer_release(l, slot);
}

static void timers_run(struct http_loop *l)
{
	uint64_t seq_limit = l->seq;

	while (l->n_heap > 0 && !l->stop) {
		uint32_t slot = l->heap[0];
		struct loop_timer *t = &l->timers[slot];
		if (t->when > l->now_ms || t->seq >= seq_limit)
			break;
		http_timer_cb cb = t->cb;
		void *data = t->data;
		heap_remove(l, 0);
		timer_release(l, slot);
		cb(l, data);
	}
}

static int timers_timeout(const struct http_loop *l)
{
	if (l->n_heap == 0)
		return -1;
	uint64_t when = l->timers[l->heap[0]].when;
	if (when <= l->now_ms)
		return 0;
	return when - l->now_ms > INT32_MAX ? INT32_MAX : (int)(when - l->now_ms);
}

/* ---- children ---- */

static void pid_ready(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct loop_pid *p = data, **pp;
	int status = 0;
	pid_t r;

	do
		r = waitpid(p->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return; /* not yet reapable */
	if (r < 0) {
		/* Not our child (a monitor re-found after a restart): the
		 * exit is known, its status is not. */
		log_debug("Process %d exited, status unknown: %m", (int)p->pid);
		status = -1;
	}
	http_loop_del_fd(l, fd);
	for (pp = &l->pids; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	(void)close(p->fd);
	http_pid_cb cb = p->cb;
	void *cb_data = p->data;
	pid_t pid = p->pid;
	free(p);
	cb(l, pid, status, cb_data);
}

int http_loop_watch_pid(struct http_loop *l, pid_t pid, http_pid_cb cb, void *data)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0)
		return -errno;
	struct loop_pid *p = xzalloc(sizeof(*p));
	p->loop = l;
	p->pid = pid;
	p->fd = fd;
	p->cb = cb;
	p->data = data;
	int r = http_loop_add_fd(l, fd, EPOLLIN, pid_ready, p);
	if (r < 0) {
		(void)close(fd);
		free(p);
		return r;
	}
	p->next = l->pids;
	l->pids = p;
	return 0;
}

/* ---- signals ---- */

static void signal_ready(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct signalfd_siginfo si[8];
	ssize_t n;

	n = read(fd, si, sizeof(si));
	if (n <= 0)
		return;
	for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
		unsigned sig = si[i].ssi_signo;
		if (sig < _NSIG && l->signals[sig].cb)
			l->signals[sig].cb(l, (int)sig, l->signals[sig].data);
	}
}

int http_loop_on_signal(struct http_loop *l, int sig, http_signal_cb cb, void *data)
{
	sigset_t one;
	int fd;

	if (sig <= 0 || sig >= _NSIG || sig == SIGKILL || sig == SIGSTOP)
		return -EINVAL;
	sigemptyset(&one);
	sigaddset(&one, sig);
	if (l->sigfd < 0) {
		if (sigprocmask(SIG_BLOCK, &one, &l->old_sigmask) < 0)
			return -errno;
	} else if (sigprocmask(SIG_BLOCK, &one, NULL) < 0) {
		return -errno;
	}
	sigaddset(&l->sigmask, sig);
	fd = signalfd(l->sigfd < 0 ? -1 : l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (l->sigfd < 0) {
		int r = http_loop_add_fd(l, fd, EPOLLIN, signal_ready, NULL);
		if (r < 0) {
			(void)close(fd);
			return r;
		}
		l->sigfd = fd;
	}
	l->signals[sig].cb = cb;
	l->signals[sig].data = data;
	return 0;
}

/* ---- running ---- */

int http_loop_run(struct http_loop *l)
{
	struct epoll_event events[LOOP_MAX_EVENTS];

	l->stop = false;
	l->now_ms = monotonic_ms();
	while (!l->stop) {
		int n = epoll_wait(l->epfd, events, LOOP_MAX_EVENTS, timers_timeout(l));
		if (n < 0 && errno != EINTR)
			return -errno;
		l->now_ms = monotonic_ms();
		for (int i = 0; i < n && !l->stop; i++)
			fd_dispatch(l, &events[i]);
		timers_run(l);
	}
	return 0;
}

void http_loop_stop(struct http_loop *l)
{
	l->stop = true;
}

uint64_t http_loop_now_ms(struct http_loop *l)
{
	return l->now_ms;
}
