/* The running side of containers: start, stop, kill, pause, wait, and the
 * monitor's reports, restart policies and auto-removal. */
#define LOG_CATEGORY "container"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "container-internal.h"
#include "health.h"
#include "runtime.h"

const char *container_runtime_path(struct daemon *d, const struct container *c)
{
	json_object *v = jget(c->host_config, "Runtime");
	const char *name = v ? json_object_get_string(v) : d->default_runtime;

	for (size_t i = 0; i < d->n_runtimes; i++)
		if (strcmp(d->runtimes[i].name, name) == 0)
			return d->runtimes[i].path;
	return d->n_runtimes ? d->runtimes[0].path : "berth-runtime";
}

void container_event(struct daemon *d, struct container *c, const char *action, json_object *attrs)
{
	json_object *labels = jget(c->config, "Labels");

	if (!attrs)
		attrs = json_object_new_object();
	if (labels && json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach (labels, k, v)
			jadd(attrs, k, json_object_get(v));
	}
	jadd(attrs, "image", jstr(c->image ? c->image : c->image_id ? c->image_id : ""));
	jadd(attrs, "name", jstr(c->name));
	api_event(d, "container", action, c->id, attrs);
}

static json_object *one_attr(const char *k, char *v)
{
	json_object *o = json_object_new_object();
	jadd(o, k, jstr(v));
	free(v);
	return o;
}

static void persist(struct daemon *d, struct container *c)
{
	_cleanup_error_ struct berth_error *err = NULL;
	if (container_save(d, c, &err) < 0)
		log_error("Cannot save container %.12s: %s", c->id, err->msg);
}

/* Run the runtime for a quick command (kill, pause, resume) and wait for it. */
static int runtime_cmd(struct daemon *d, struct container *c, char *const *args,
		       struct berth_error **err)
{
	_cleanup_free_ char *root = xasprintf("%s/runtime", d->exec_root);
	_cleanup_strv_ char **argv = NULL;
	int pipefd[2];

	strv_push(&argv, container_runtime_path(d, c));
	strv_push(&argv, "--root");
	strv_push(&argv, root);
	for (size_t i = 0; args[i]; i++)
		strv_push(&argv, args[i]);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		(void)dup2(pipefd[1], STDERR_FILENO);
		int null = open("/dev/null", O_RDWR);
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDOUT_FILENO);
		sigset_t none;
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	(void)close(pipefd[1]);
	_cleanup_free_ char *out = NULL;
	(void)fd_read_all(pipefd[0], 65536, &out, NULL);
	(void)close(pipefd[0]);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "run the runtime");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		const char *msg = out && *out ? out : "runtime failed";
		if (str_has_prefix(msg, "berth-runtime: "))
			msg += strlen("berth-runtime: ");
		_cleanup_free_ char *m = xstrndup(msg, strcspn(msg, "\n"));
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL, "%s", m);
	}
	return 0;
}

int container_runtime_delete(struct daemon *d, struct container *c)
{
	return runtime_cmd(d, c, (char *[]){ (char *)"delete", (char *)"--force", c->id, NULL },
			   NULL);
}

static void auto_remove(struct daemon *d, struct container *c)
{
	_cleanup_error_ struct berth_error *err = NULL;
	if (container_remove(d, c, true, true, &err) < 0)
		log_warn("Cannot remove container %.12s: %s", c->id, err->msg);
}

static bool is_auto_remove(const struct container *c)
{
	json_object *ar = jget(c->host_config, "AutoRemove");
	return ar && json_object_get_boolean(ar);
}

void container_start(struct daemon *d, struct container *c, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;

	if (ct_is_running(c) || c->starting) {
		if (req)
			http_respond(req, 304, NULL, NULL, 0);
		return;
	}
	if (c->status == CT_REMOVING || c->status == CT_DEAD) {
		if (req)
			http_respond_error(req, 409,
					   "container is marked for removal and cannot be started");
		return;
	}
	if (container_prepare_bundle(d, c, &err) < 0 || mon_spawn(d, c, &err) < 0) {
		container_release_rootfs(d, c);
		if (req)
			api_respond_error(req, err);
		else
			log_warn("Cannot start container %.12s: %s", c->id, err ? err->msg : "?");
		/* as dockerd: a --rm container that cannot start is removed, which
		 * also ends the CLI's wait?condition=removed */
		if (is_auto_remove(c) && !c->in_restart)
			auto_remove(d, c);
		return;
	}
	c->starting = true;
	c->manual_stop = false;
	if (req)
		c->start_req = http_request_ref(req);
}

void container_on_started(struct daemon *d, struct container *c, pid_t pid, int64_t when)
{
	c->starting = false;
	c->status = CT_RUNNING;
	c->pid = pid;
	c->started_ns = when ? when : now_unix_ns();
	c->has_started = true;
	c->exit_code = 0;
	c->oom_killed = false;
	free(c->error);
	c->error = NULL;
	health_container_started(d, c);
	persist(d, c);
	container_event(d, c, "start", NULL);
	if (c->start_req) {
		http_respond(c->start_req, 204, NULL, NULL, 0);
		c->start_req = http_request_unref(c->start_req);
	}
}

static void wake_waiters_if(struct container *c, unsigned conditions);

void container_on_start_failed(struct daemon *d, struct container *c, int code, const char *msg)
{
	c->starting = false;
	mon_close(d, c);
	container_release_rootfs(d, c);
	c->exit_code = code;
	free(c->error);
	c->error = xstrdup(msg);
	if (c->status == CT_RESTARTING)
		c->status = CT_EXITED;
	persist(d, c);
	if (c->start_req) {
		/* docker's wording; its CLI picks exit codes 126/127 out of it */
		http_respond_error(c->start_req, 400,
				   "failed to create task for container: failed to create shim "
				   "task: OCI runtime create failed: %s: unknown",
				   msg);
		c->start_req = http_request_unref(c->start_req);
	}
	/* Only "not-running" waiters: the container never ran, so there was no
	 * exit for "next-exit" ones (dockerd leaves them waiting too). */
	wake_waiters_if(c, 1u << 0);
	if (is_auto_remove(c))
		auto_remove(d, c);
}

static void restart_fire(struct http_loop *l, void *data);

/* docker's policies: no, always, unless-stopped, on-failure[:N]. */
static bool should_restart(struct container *c)
{
	json_object *rp = jget(c->host_config, "RestartPolicy");
	const char *name = rp && jget(rp, "Name") ? json_object_get_string(jget(rp, "Name")) : "no";
	int64_t max = rp && jget(rp, "MaximumRetryCount")
			      ? json_object_get_int64(jget(rp, "MaximumRetryCount"))
			      : 0;

	if (c->manual_stop || c->status == CT_REMOVING)
		return false;
	if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0)
		return true;
	if (strcmp(name, "on-failure") == 0)
		return c->exit_code != 0 && (max == 0 || c->restart_count < max);
	return false;
}

void container_on_exited(struct daemon *d, struct container *c, int code, bool oom, int64_t when)
{
	bool ran_long = c->started_ns && when - c->started_ns > 10LL * 1000000000LL;

	mon_close(d, c);
	container_release_rootfs(d, c);
	execs_container_stopped(d, c);
	health_container_stopped(d, c);
	if (c->stop_timer) {
		http_loop_cancel_timer(d->loop, c->stop_timer);
		c->stop_timer = 0;
	}
	c->status = CT_EXITED;
	c->pid = 0;
	c->exit_code = code;
	c->oom_killed = oom;
	c->finished_ns = when ? when : now_unix_ns();
	if (!is_auto_remove(c) && should_restart(c)) {
		c->status = CT_RESTARTING;
		if (ran_long || !c->restart_delay_ms)
			c->restart_delay_ms = 100;
		else if (c->restart_delay_ms < 60000)
			c->restart_delay_ms *= 2;
		c->restart_timer =
			http_loop_add_timer(d->loop, c->restart_delay_ms, restart_fire, c);
	}
	persist(d, c);
	container_event(d, c, "die", one_attr("exitCode", xasprintf("%d", code)));
	container_wake_waiters(d, c, false);
	/* not when a restart waiter has started it again (docker restart keeps a
	 * --rm container) */
	if (is_auto_remove(c) && !c->starting && !ct_is_running(c))
		auto_remove(d, c);
}

static void restart_fire(struct http_loop *l, void *data)
{
	struct container *c = data;
	struct daemon *d = the_daemon;
	_cleanup_error_ struct berth_error *err = NULL;

	(void)l;
	c->restart_timer = 0;
	if (c->status != CT_RESTARTING)
		return;
	c->restart_count++;
	if (container_prepare_bundle(d, c, &err) < 0 || mon_spawn(d, c, &err) < 0) {
		log_warn("Cannot restart container %.12s: %s", c->id, err ? err->msg : "?");
		container_release_rootfs(d, c);
		c->status = CT_EXITED;
		persist(d, c);
		return;
	}
	c->starting = true;
}

void container_on_state(struct daemon *d, struct container *c, int state, pid_t pid, int code)
{
	if (state == MON_STATE_STARTING) {
		/* found again while it starts (berthd died during a start) */
		c->starting = true;
		c->mounted = true;
		return;
	}
	if (state == MON_STATE_RUNNING) {
		c->pid = pid;
		if (!ct_is_running(c)) {
			/* its start was never recorded: berthd died during it */
			c->status = CT_RUNNING;
			c->has_started = true;
			c->started_ns = now_unix_ns();
			c->starting = false;
			health_container_started(d, c);
		}
		c->mounted = true;
		persist(d, c);
		return;
	}
	if (state == MON_STATE_EXITED)
		container_on_exited(d, c, code, false, 0);
}

static void stop_timeout(struct http_loop *l, void *data)
{
	struct container *c = data;
	(void)l;
	c->stop_timer = 0;
	if (ct_is_running(c))
		(void)container_kill(the_daemon, c, SIGKILL, NULL);
}

void container_stop(struct daemon *d, struct container *c, const char *signal, int timeout,
		    struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	int sig = SIGTERM;

	if (c->status == CT_RESTARTING) {
		if (c->restart_timer)
			http_loop_cancel_timer(d->loop, c->restart_timer);
		c->restart_timer = 0;
		c->status = CT_EXITED;
		c->manual_stop = true;
		persist(d, c);
		http_respond(req, 204, NULL, NULL, 0);
		return;
	}
	if (!ct_is_running(c)) {
		http_respond(req, 304, NULL, NULL, 0);
		return;
	}
	json_object *ss = jget(c->config, "StopSignal");
	const char *sname = signal && *signal ? signal : ss ? json_object_get_string(ss) : NULL;
	if (sname && rt_signal_parse(sname, &sig) < 0) {
		http_respond_error(req, 400, "Invalid signal: %s", sname);
		return;
	}
	if (timeout < 0) {
		json_object *st = jget(c->config, "StopTimeout");
		timeout = st ? json_object_get_int(st) : 10;
	}
	c->manual_stop = true;
	persist(d, c);
	if (c->status == CT_PAUSED)
		(void)container_pause(d, c, false, NULL);
	if (container_kill(d, c, sig, &err) < 0 && ct_is_running(c)) {
		api_respond_error(req, err);
		return;
	}
	if (c->stop_timer)
		http_loop_cancel_timer(d->loop, c->stop_timer);
	c->stop_timer = http_loop_add_timer(d->loop, (uint64_t)timeout * 1000, stop_timeout, c);
	/* Answer when it has exited. */
	struct ct_waiter *w = xzalloc(sizeof(*w));
	w->req = http_request_ref(req);
	w->condition = 3; /* stop: answer 204 */
	w->next = c->waiters;
	c->waiters = w;
}

void container_restart(struct daemon *d, struct container *c, const char *signal, int timeout,
		       struct http_request *req)
{
	if (!ct_is_running(c)) {
		if (c->status == CT_RESTARTING && c->restart_timer) {
			http_loop_cancel_timer(d->loop, c->restart_timer);
			c->restart_timer = 0;
			c->status = CT_EXITED;
		}
		container_start(d, c, req);
		return;
	}
	container_stop(d, c, signal, timeout, req);
	/* container_stop queued a stop waiter for req: make it a restart. */
	for (struct ct_waiter *w = c->waiters; w; w = w->next)
		if (w->req == req && w->condition == 3)
			w->condition = 4;
}

int container_kill(struct daemon *d, struct container *c, int sig, struct berth_error **err)
{
	char signum[16];

	if (!ct_is_running(c))
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "Cannot kill container: %s: Container %s is not running",
				       c->name, c->id);
	(void)snprintf(signum, sizeof(signum), "%d", sig);
	/* dockerd: a kill with SIGKILL or the stop signal (any signal when the
	 * container names none) ends the restart policy until the next start */
	json_object *ss = jget(c->config, "StopSignal");
	int stop_sig = SIGTERM;
	if (!ss || sig == SIGKILL ||
	    (rt_signal_parse(json_object_get_string(ss), &stop_sig) == 0 && stop_sig == sig)) {
		if (!c->manual_stop) {
			c->manual_stop = true;
			persist(d, c);
		}
	}
	if (c->status == CT_PAUSED && sig == SIGKILL)
		(void)runtime_cmd(d, c, (char *[]){ (char *)"resume", c->id, NULL }, NULL);
	int r = runtime_cmd(d, c, (char *[]){ (char *)"kill", c->id, signum, NULL }, err);
	if (r == 0)
		container_event(d, c, "kill", one_attr("signal", xstrdup(signum)));
	return r;
}

int container_pause(struct daemon *d, struct container *c, bool pause, struct berth_error **err)
{
	int r;

	if (pause && c->status == CT_PAUSED)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT, "Container %s is already paused",
				       c->id);
	if (!pause && c->status != CT_PAUSED)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT, "Container %s is not paused",
				       c->id);
	if (!ct_is_running(c))
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT, "Container %s is not running",
				       c->id);
	r = runtime_cmd(d, c, (char *[]){ (char *)(pause ? "pause" : "resume"), c->id, NULL }, err);
	if (r < 0)
		return r;
	c->status = pause ? CT_PAUSED : CT_RUNNING;
	health_container_paused(d, c);
	persist(d, c);
	container_event(d, c, pause ? "pause" : "unpause", NULL);
	return 0;
}

static void respond_wait(struct container *c, struct ct_waiter *w)
{
	if (w->condition == 3) {
		container_event(the_daemon, c, "stop", NULL);
		http_respond(w->req, 204, NULL, NULL, 0);
		return;
	}
	if (w->condition == 4) {
		container_event(the_daemon, c, "stop", NULL);
		/* inside the waiters' walk: a failed start must not remove c here */
		c->in_restart = true;
		container_start(the_daemon, c, w->req);
		c->in_restart = false;
		container_event(the_daemon, c, "restart", NULL);
		return;
	}
	_cleanup_json_ json_object *o = json_object_new_object();
	jadd(o, "StatusCode", json_object_new_int(c->exit_code));
	/* The CLI waits for "removed" when it runs with --rm and reports the
	 * start's error itself: dockerd leaves it out there. */
	if (c->error && w->condition != 2) {
		json_object *e = json_object_new_object();
		jadd(e, "Message", jstr(c->error));
		jadd(o, "Error", e);
	} else {
		jadd(o, "Error", NULL);
	}
	http_stream_write_json(w->req, o);
	http_stream_end(w->req);
}

/* Answer the waiters whose condition (0 not-running, 1 next-exit, 2 removed,
 * 3 stop, 4 restart) is a bit of conditions. */
static void wake_waiters_if(struct container *c, unsigned conditions)
{
	struct ct_waiter **pp = &c->waiters;

	while (*pp) {
		struct ct_waiter *w = *pp;
		if (!(conditions & (1u << w->condition))) {
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		respond_wait(c, w);
		http_request_unref(w->req);
		free(w);
	}
}

void container_wake_waiters(struct daemon *d, struct container *c, bool removed)
{
	(void)d;
	wake_waiters_if(c, removed ? ~0u : ~(1u << 2));
}

void container_wait(struct daemon *d, struct container *c, const char *condition,
		    struct http_request *req)
{
	int cond = 0;

	(void)d;
	if (condition && strcmp(condition, "next-exit") == 0)
		cond = 1;
	else if (condition && strcmp(condition, "removed") == 0)
		cond = 2;
	else if (condition && *condition && strcmp(condition, "not-running") != 0) {
		http_respond_error(req, 400, "invalid condition: \"%s\"", condition);
		return;
	}
	/* Headers at once: the docker CLI starts the container only after them. */
	http_stream_begin(req, 200, "application/json");
	struct ct_waiter *w = xzalloc(sizeof(*w));
	w->req = http_request_ref(req);
	w->condition = cond;
	if (cond == 0 && !ct_is_running(c) && !c->starting && c->status != CT_RESTARTING) {
		respond_wait(c, w);
		http_request_unref(w->req);
		free(w);
		return;
	}
	w->next = c->waiters;
	c->waiters = w;
}
