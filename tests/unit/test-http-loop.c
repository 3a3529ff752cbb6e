/* Unit tests of the event loop: timers, descriptors, children, signals. */
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "tap.h"

struct timer_log {
	struct http_loop *l;
	int order[16];
	int n;
	uint64_t cancel_id;
};

static void timer_stop(struct http_loop *l, void *data)
{
	http_loop_stop(l);
}

struct tagged {
	struct timer_log *log;
	int tag;
};

static void tagged_fire(struct http_loop *l, void *data)
{
	struct tagged *t = data;
	t->log->order[t->log->n++] = t->tag;
	if (t->log->cancel_id) {
		http_loop_cancel_timer(l, t->log->cancel_id);
		t->log->cancel_id = 0;
	}
}

TEST(timers_order_and_cancel)
{
	struct http_loop *l = NULL;
	struct timer_log log = { 0 };
	struct tagged t[6];

	ASSERT_OK(http_loop_new(&l, NULL));
	for (int i = 0; i < 6; i++)
		t[i] = (struct tagged){ &log, i };
	http_loop_add_timer(l, 30, tagged_fire, &t[3]);
	http_loop_add_timer(l, 10, tagged_fire, &t[1]);
	uint64_t gone = http_loop_add_timer(l, 15, tagged_fire, &t[5]);
	http_loop_add_timer(l, 0, tagged_fire, &t[0]);
	http_loop_add_timer(l, 20, tagged_fire, &t[2]);
	uint64_t later = http_loop_add_timer(l, 25, tagged_fire, &t[4]);
	http_loop_add_timer(l, 60, timer_stop, NULL);
	ASSERT_TRUE(gone > 0 && later > 0 && gone != later);
	http_loop_cancel_timer(l, gone);
	http_loop_cancel_timer(l, gone); /* twice is harmless */
	http_loop_cancel_timer(l, 0);
	log.cancel_id = later; /* the first timer cancels the one at 25 ms */
	uint64_t t0 = http_loop_now_ms(l);
	ASSERT_OK(http_loop_run(l));
	ASSERT_TRUE(http_loop_now_ms(l) - t0 >= 60);
	ASSERT_EQ(log.n, 4);
	ASSERT_EQ(log.order[0], 0);
	ASSERT_EQ(log.order[1], 1);
	ASSERT_EQ(log.order[2], 2);
	ASSERT_EQ(log.order[3], 3);
	http_loop_free(l);
}

struct rearm {
	int count;
};

static void rearm_fire(struct http_loop *l, void *data)
{
	struct rearm *r = data;

	/* A zero-delay timer added by a timer runs in the next pass. */
	if (++r->count < 1000)
		http_loop_add_timer(l, 0, rearm_fire, r);
	else
		http_loop_stop(l);
}

TEST(timers_rearm_and_many)
{
	struct http_loop *l = NULL;
	struct rearm r = { 0 };
	uint64_t ids[500];

	ASSERT_OK(http_loop_new(&l, NULL));
	for (int i = 0; i < 500; i++)
		ids[i] =
			http_loop_add_timer(l, 1000 + (uint64_t)(i * 7919 % 500), timer_stop, NULL);
	for (int i = 0; i < 500; i++)
		http_loop_cancel_timer(l, ids[i]);
	http_loop_add_timer(l, 0, rearm_fire, &r);
	http_loop_add_timer(l, 5000, timer_stop, NULL);
	ASSERT_OK(http_loop_run(l));
	ASSERT_EQ(r.count, 1000);
	http_loop_free(l);
}

struct pipes {
	struct http_loop *l;
	int a[2], b[2];
	int calls_a, calls_b;
};

static void pipe_a(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct pipes *p = data;
	char c;

	p->calls_a++;
	(void)read(fd, &c, 1);
	/* Remove the other descriptor, whose event is in the same batch. */
	http_loop_del_fd(l, p->b[0]);
	http_loop_add_timer(l, 20, timer_stop, NULL);
}

static void pipe_b(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct pipes *p = data;
	char c;

	p->calls_b++;
	(void)read(fd, &c, 1);
	http_loop_del_fd(l, p->a[0]);
	http_loop_add_timer(l, 20, timer_stop, NULL);
}

TEST(fds_removed_in_batch)
{
	struct pipes p = { 0 };

	ASSERT_OK(http_loop_new(&p.l, NULL));
	ASSERT_OK(pipe2(p.a, O_CLOEXEC));
	ASSERT_OK(pipe2(p.b, O_CLOEXEC));
	ASSERT_OK(http_loop_add_fd(p.l, p.a[0], EPOLLIN, pipe_a, &p));
	ASSERT_EQ(http_loop_add_fd(p.l, p.a[0], EPOLLIN, pipe_a, &p), -EEXIST);
	ASSERT_OK(http_loop_add_fd(p.l, p.b[0], EPOLLIN, pipe_b, &p));
	ASSERT_EQ(write(p.a[1], "x", 1), 1);
	ASSERT_EQ(write(p.b[1], "x", 1), 1);
	ASSERT_OK(http_loop_run(p.l));
	ASSERT_EQ(p.calls_a + p.calls_b, 1);
	/* Paused (no events): a hang-up does not wake the loop. */
	int live = p.calls_a ? p.a[0] : p.b[0];
	ASSERT_OK(http_loop_mod_fd(p.l, live, 0));
	(void)close(p.calls_a ? p.a[1] : p.b[1]);
	http_loop_add_timer(p.l, 30, timer_stop, NULL);
	ASSERT_OK(http_loop_run(p.l));
	ASSERT_EQ(p.calls_a + p.calls_b, 1);
	ASSERT_EQ(http_loop_mod_fd(p.l, 999, EPOLLIN), -ENOENT);
	http_loop_del_fd(p.l, live);
	http_loop_free(p.l);
	(void)close(p.a[0]);
	(void)close(p.b[0]);
	(void)close(p.calls_a ? p.b[1] : p.a[1]);
}

struct child {
	pid_t pid, got;
	int status, calls;
};

static void child_done(struct http_loop *l, pid_t pid, int status, void *data)
{
	struct child *c = data;

	c->calls++;
	c->status = status;
	c->got = pid;
	http_loop_stop(l);
}

TEST(watch_pid)
{
	struct http_loop *l = NULL;
	struct child c = { 0 };

	ASSERT_OK(http_loop_new(&l, NULL));
	c.pid = fork();
	ASSERT_TRUE(c.pid >= 0);
	if (c.pid == 0) {
		usleep(20000);
		_exit(7);
	}
	ASSERT_OK(http_loop_watch_pid(l, c.pid, child_done, &c));
	http_loop_add_timer(l, 5000, timer_stop, NULL);
	ASSERT_OK(http_loop_run(l));
	ASSERT_EQ(c.calls, 1);
	ASSERT_EQ(c.got, c.pid);
	ASSERT_TRUE(WIFEXITED(c.status));
	ASSERT_EQ(WEXITSTATUS(c.status), 7);
	ASSERT_EQ(waitpid(c.pid, NULL, WNOHANG), -1); /* reaped by the loop */
	ASSERT_TRUE(http_loop_watch_pid(l, c.pid, child_done, &c) < 0);
	http_loop_free(l);
}

struct sigs {
	int usr1, usr2;
};

static void on_sig(struct http_loop *l, int sig, void *data)
{
	struct sigs *s = data;

	if (sig == SIGUSR1)
		s->usr1++;
	if (sig == SIGUSR2)
		s->usr2++;
	if (s->usr1 && s->usr2)
		http_loop_stop(l);
}

TEST(signals)
{
	struct http_loop *l = NULL;
	struct sigs s = { 0 };
	sigset_t mask;

	ASSERT_OK(http_loop_new(&l, NULL));
	ASSERT_OK(http_loop_on_signal(l, SIGUSR1, on_sig, &s));
	ASSERT_OK(http_loop_on_signal(l, SIGUSR2, on_sig, &s));
	ASSERT_EQ(http_loop_on_signal(l, SIGKILL, on_sig, &s), -EINVAL);
	ASSERT_OK(raise(SIGUSR1));
	ASSERT_OK(kill(getpid(), SIGUSR2));
	http_loop_add_timer(l, 5000, timer_stop, NULL);
	ASSERT_OK(http_loop_run(l));
	ASSERT_EQ(s.usr1, 1);
	ASSERT_EQ(s.usr2, 1);
	http_loop_free(l);
	/* Freeing the loop restores the signal mask. */
	ASSERT_OK(sigprocmask(SIG_SETMASK, NULL, &mask));
	ASSERT_FALSE(sigismember(&mask, SIGUSR1));
}
