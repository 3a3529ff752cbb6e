/* Health checks: the runner. One timer per probed container on berthd's
 * loop; each probe is an exec run by the container's monitor, which streams
 * its stdout and stderr (docker's 8-byte frames) to a socket we read on the
 * loop, and reports its pid and exit code on the control channel (the
 * health_on_exec_* hooks). A probe that outlives its timeout is killed through
 * a pidfd and recorded at once; it stays listed until its exit is reported,
 * so that its files are removed. The interval counts from a probe's end, as
 * dockerd's. */
#define LOG_CATEGORY "health"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api.h"
#include "container-internal.h"
#include "health-internal.h"

struct health_probe {
	struct health_probe *next;
	struct container *c;
	char id[65];
	int fd;	   /* our end of the output stream; -1 at its end */
	int pidfd; /* the probe's process, once started */
	int64_t start_ns;
	uint64_t timer; /* the start's timeout, then the run's */
	char out[HEALTH_OUTPUT_MAX];
	size_t len;
	bool truncated;
	unsigned char hdr[8]; /* the frame header being read */
	size_t hdr_len;
	uint32_t frame_left;
	bool started, exited, done; /* done: its result is recorded */
	int exit_code;
};

static void probe_fire(struct http_loop *l, void *data);

static int64_t next_interval_ms(const struct container *c)
{
	int64_t period = health_config_duration(c, "StartPeriod", 0);
	int64_t ns = health_config_duration(c, "Interval", HEALTH_DEFAULT_INTERVAL);

	if (now_unix_ns() - c->started_ns < period && c->health->status == HEALTH_STARTING)
		ns = health_config_duration(c, "StartInterval", HEALTH_DEFAULT_START_INTERVAL);
	return ns / 1000000 > 0 ? ns / 1000000 : 1;
}

static void schedule(struct daemon *d, struct container *c)
{
	struct ct_health *h = c->health;

	if (h->timer)
		http_loop_cancel_timer(d->loop, h->timer);
	h->timer = http_loop_add_timer(d->loop, (uint64_t)next_interval_ms(c), probe_fire, c);
}

static void probe_close_stream(struct daemon *d, struct health_probe *p)
{
	if (p->fd < 0)
		return;
	http_loop_del_fd(d->loop, p->fd);
	(void)close(p->fd);
	p->fd = -1;
}

static void probe_kill(struct health_probe *p)
{
	if (p->pidfd >= 0 && !p->exited)
		(void)syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
}

static void probe_free(struct daemon *d, struct health_probe *p)
{
	struct ct_health *h = p->c->health;

	for (struct health_probe **pp = &h->probes; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	if (h->cur == p)
		h->cur = NULL;
	probe_close_stream(d, p);
	if (p->timer)
		http_loop_cancel_timer(d->loop, p->timer);
	if (p->pidfd >= 0)
		(void)close(p->pidfd);
	free(p);
}

static struct health_probe *probe_find(struct container *c, const char *id)
{
	for (struct health_probe *p = c->health ? c->health->probes : NULL; p; p = p->next)
		if (strcmp(p->id, id) == 0)
			return p;
	return NULL;
}

static void persist(struct daemon *d, struct container *c)
{
	_cleanup_error_ struct berth_error *err = NULL;

	if (container_save(d, c, &err) < 0)
		log_error("Cannot save container %.12s: %s", c->id, err->msg);
}

/* dockerd's handleProbeResult: the log, the streak, the status, the event.
 * output (taken) has len bytes, or is a string when len is SIZE_MAX. */
static void record(struct daemon *d, struct container *c, int64_t start_ns, int code, char *output,
		   size_t len)
{
	struct ct_health *h = c->health;
	enum health_status old = h->status;
	struct health_result r = { start_ns, now_unix_ns(), code, output,
				   len == SIZE_MAX ? strlen(output) : len };

	health_log_add(h, &r);
	if (code == 0) {
		h->failing_streak = 0;
		h->status = HEALTH_HEALTHY;
	} else if (h->status != HEALTH_STARTING ||
		   start_ns - c->started_ns >= health_config_duration(c, "StartPeriod", 0)) {
		/* failures while starting, within the start period, do not count */
		if (++h->failing_streak >= health_config_retries(c))
			h->status = HEALTH_UNHEALTHY;
	}
	persist(d, c);
	if (old != h->status) {
		_cleanup_free_ char *action = xasprintf("health_status: %s", health_status_name(c));
		container_event(d, c, action, NULL);
	}
}

/* The current probe is over: record its result, plan the next one. */
static void finish(struct daemon *d, struct health_probe *p, int code, char *output, size_t len)
{
	struct container *c = p->c;
	struct ct_health *h = c->health;

	p->done = true;
	if (h->cur == p)
		h->cur = NULL;
	if (p->timer) {
		http_loop_cancel_timer(d->loop, p->timer);
		p->timer = 0;
	}
	probe_close_stream(d, p);
	record(d, c, p->start_ns, code, output, len);
	if (p->exited)
		probe_free(d, p);
	if (h->open)
		schedule(d, c);
}

/* prefix, then what the probe wrote, with "..." if it wrote more (dockerd). */
static char *output_text(const struct health_probe *p, const char *prefix, size_t *ret_len)
{
	size_t n = strlen(prefix);
	char *s = xmalloc(n + p->len + 4);

	memcpy(s, prefix, n);
	memcpy(s + n, p->out, p->len);
	n += p->len;
	if (p->truncated) {
		memcpy(s + n, "...", 3);
		n += 3;
	}
	s[n] = '\0';
	*ret_len = n;
	return s;
}

static void maybe_finish(struct daemon *d, struct health_probe *p)
{
	size_t len;

	if (p->done || !p->exited || p->fd >= 0)
		return;
	char *out = output_text(p, "", &len);
	finish(d, p, p->exit_code, out, len);
}

/* The payload of docker's frames (8-byte header: stream, 0, 0, 0, size). */
static void take_output(struct health_probe *p, const unsigned char *buf, size_t n)
{
	while (n > 0) {
		if (p->frame_left == 0) {
			size_t want = sizeof(p->hdr) - p->hdr_len, k = n < want ? n : want;
			memcpy(p->hdr + p->hdr_len, buf, k);
			p->hdr_len += k;
			buf += k;
			n -= k;
			if (p->hdr_len == sizeof(p->hdr)) {
				p->frame_left = (uint32_t)p->hdr[4] << 24 |
						(uint32_t)p->hdr[5] << 16 |
						(uint32_t)p->hdr[6] << 8 | p->hdr[7];
				p->hdr_len = 0;
			}
			continue;
		}
		size_t k = n < p->frame_left ? n : p->frame_left;
		size_t room = sizeof(p->out) - p->len, keep = k < room ? k : room;
		memcpy(p->out + p->len, buf, keep);
		p->len += keep;
		p->truncated |= keep < k;
		p->frame_left -= (uint32_t)k;
		buf += k;
		n -= k;
	}
}

static void on_output(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct health_probe *p = data;
	unsigned char buf[8192];

	(void)l;
	(void)events;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			probe_close_stream(the_daemon, p);
			maybe_finish(the_daemon, p);
			return;
		}
		take_output(p, buf, (size_t)n);
	}
}

static void on_timeout(struct http_loop *l, void *data)
{
	struct health_probe *p = data;
	struct daemon *d = the_daemon;

	(void)l;
	p->timer = 0;
	if (!p->started) {
		finish(d, p, -1,
		       xasprintf("timed out starting health check for container %s", p->c->id),
		       SIZE_MAX);
		return;
	}
	probe_kill(p);
	_cleanup_free_ char *t =
		health_go_duration(health_config_duration(p->c, "Timeout", HEALTH_DEFAULT_TIMEOUT));
	_cleanup_free_ char *prefix = p->len || p->truncated
					      ? xasprintf("Health check exceeded timeout (%s): ", t)
					      : xasprintf("Health check exceeded timeout (%s)", t);
	size_t len;
	char *out = output_text(p, prefix, &len);
	finish(d, p, -1, out, len);
}

static json_object *exec_attrs(const char *id, const char *code)
{
	json_object *o = json_object_new_object();

	jadd(o, "execID", jstr(id));
	if (code)
		jadd(o, "exitCode", jstr(code));
	return o;
}

/* dockerd's "Entrypoint Args..." of the exec events: the args after a space. */
static char *join_args(char *const *v)
{
	char *s = xstrdup("");

	for (size_t i = 0; v[i]; i++) {
		char *t = xasprintf("%s%s%s", s, i ? " " : "", v[i]);
		free(s);
		s = t;
	}
	return s;
}

/* The probe's exec: its OCI process file (once per run), its stream, the
 * request to the monitor. A failure is the probe's result, as in dockerd. */
static void probe_start(struct daemon *d, struct container *c)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_strv_ char **argv = health_probe_argv(c);
	struct ct_health *h = c->health;
	int64_t start = now_unix_ns();
	int sp[2];

	if (!argv[0]) {
		record(d, c, start, -1,
		       xasprintf("healthcheck for container %s has no command", c->id), SIZE_MAX);
		schedule(d, c);
		return;
	}
	if (!h->proc_path) {
		_cleanup_json_ json_object *cfg = json_object_new_object();
		_cleanup_free_ char *path = xasprintf("%s/health-probe.json", c->run_dir);
		jadd(cfg, "Cmd", jstrv(argv));
		if (exec_process_write(d, c, cfg, false, path, &err) == 0)
			h->proc_path = TAKE_PTR(path);
	}
	if (!h->proc_path || !c->mon ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0) {
		record(d, c, start, -1,
		       err	? xstrdup(err->msg)
		       : c->mon ? xasprintf("socketpair: %s", strerror(errno))
				: xasprintf("Container %s is not running", c->id),
		       SIZE_MAX);
		schedule(d, c);
		return;
	}
	struct health_probe *p = xzalloc(sizeof(*p));
	random_id(p->id);
	p->c = c;
	p->fd = sp[0];
	p->pidfd = -1;
	p->start_ns = start;
	p->next = h->probes;
	h->probes = h->cur = p;
	_cleanup_free_ char *text = xasprintf("%s %s", p->id, h->proc_path);
	_cleanup_free_ char *args = join_args(argv + 1);
	_cleanup_free_ char *create = xasprintf("exec_create: %s %s", argv[0], args);
	container_event(d, c, create, exec_attrs(p->id, NULL));
	_cleanup_free_ char *start_ev = xasprintf("exec_start: %s %s", argv[0], args);
	container_event(d, c, start_ev, exec_attrs(p->id, NULL));
	(void)http_loop_add_fd(d->loop, p->fd, EPOLLIN, on_output, p);
	p->timer = http_loop_add_timer(d->loop, HEALTH_START_TIMEOUT_MS, on_timeout, p);
	if (mon_send(c->mon, MON_EXEC, MON_ATTACH_STDOUT | MON_ATTACH_STDERR | MON_ATTACH_STREAM, 0,
		     text, sp[1]) < 0) {
		p->exited = true; /* no report will come */
		finish(d, p, -1, xasprintf("Container %s is not running", c->id), SIZE_MAX);
	}
}

static void probe_fire(struct http_loop *l, void *data)
{
	struct container *c = data;

	(void)l;
	c->health->timer = 0;
	if (c->health->open && !c->health->cur)
		probe_start(the_daemon, c);
}

static void runner_open(struct daemon *d, struct container *c)
{
	struct ct_health *h = c->health;

	if (h->open)
		return;
	h->open = true;
	schedule(d, c);
}

/* Stop probing; running probes are killed and forgotten. dockerd leaves a
 * container whose probes stop "unhealthy". */
static void runner_close(struct daemon *d, struct container *c)
{
	struct ct_health *h = c->health;

	if (!h)
		return;
	if (h->timer)
		http_loop_cancel_timer(d->loop, h->timer);
	h->timer = 0;
	while (h->probes) {
		probe_kill(h->probes);
		probe_free(d, h->probes);
	}
	if (h->open)
		h->status = HEALTH_UNHEALTHY;
	h->open = false;
}

void health_container_started(struct daemon *d, struct container *c)
{
	if (!health_has_probe(c))
		return;
	struct ct_health *h = health_get(c);
	runner_close(d, c);
	free(h->proc_path); /* the monitor's directory is new */
	h->proc_path = NULL;
	h->status = HEALTH_STARTING;
	h->failing_streak = 0;
	if (c->status == CT_RUNNING)
		runner_open(d, c);
}

void health_container_restored(struct daemon *d, struct container *c)
{
	if (c->status == CT_RUNNING)
		health_container_started(d, c);
}

void health_container_stopped(struct daemon *d, struct container *c)
{
	runner_close(d, c);
}

void health_container_paused(struct daemon *d, struct container *c)
{
	if (!c->health || !health_has_probe(c))
		return;
	if (c->status == CT_PAUSED)
		runner_close(d, c);
	else if (c->status == CT_RUNNING)
		runner_open(d, c);
}

void health_free(struct daemon *d, struct container *c)
{
	runner_close(d, c);
	health_state_free(c->health);
	c->health = NULL;
}

static void unlink_exit_file(const struct container *c, const char *id)
{
	_cleanup_free_ char *p = xasprintf("%s/%s%s.exit", c->run_dir, MON_EXEC_EXIT_PREFIX, id);
	(void)unlink(p);
}

bool health_on_exec_started(struct daemon *d, struct container *c, const char *exec_id, pid_t pid)
{
	struct health_probe *p = probe_find(c, exec_id);

	if (!p)
		return false;
	p->started = true;
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p->done) { /* its start timed out */
		probe_kill(p);
		return true;
	}
	if (p->timer)
		http_loop_cancel_timer(d->loop, p->timer);
	int64_t ms = health_config_duration(c, "Timeout", HEALTH_DEFAULT_TIMEOUT) / 1000000;
	p->timer = http_loop_add_timer(d->loop, (uint64_t)(ms > 0 ? ms : 1), on_timeout, p);
	return true;
}

bool health_on_exec_exited(struct daemon *d, struct container *c, const char *exec_id, int code)
{
	struct health_probe *p = probe_find(c, exec_id);

	if (!p)
		return false;
	_cleanup_free_ char *s = xasprintf("%d", code);
	container_event(d, c, "exec_die", exec_attrs(p->id, s));
	unlink_exit_file(c, exec_id);
	p->exited = true;
	p->exit_code = code;
	if (p->done)
		probe_free(d, p);
	else
		maybe_finish(d, p);
	return true;
}

bool health_on_exec_failed(struct daemon *d, struct container *c, const char *exec_id, int code,
			   const char *msg)
{
	struct health_probe *p = probe_find(c, exec_id);

	(void)code;
	if (!p)
		return false;
	unlink_exit_file(c, exec_id);
	p->exited = true;
	if (p->done)
		probe_free(d, p);
	else
		finish(d, p, -1, xasprintf("OCI runtime exec failed: %s: unknown", msg), SIZE_MAX);
	return true;
}
