/* Registry jobs: a child process per pull, push or login, its pipe relayed to
 * the client from the loop (see registry-job.h). */
#define LOG_CATEGORY "registry"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "registry-job.h"

#define LINE_MAX_BYTES (4u << 20)

struct reg_job {
	struct daemon *d;
	struct http_request *req;
	const struct reg_job_ops *ops;
	void *data;
	pid_t pid, daemon_pid;
	int fd;	   /* daemon: the pipe's read end; child: its write end */
	char *buf; /* a partial line */
	size_t len;
	struct berth_error *err; /* from an 'E' line */
	int status;
	bool exited, eof, gone, streaming;
	struct reg_job *next; /* running jobs */
};

static struct reg_job *jobs;
static unsigned jobs_running;
static bool gc_put_off;

bool reg_jobs_running(struct daemon *d)
{
	(void)d;
	return jobs_running > 0;
}

void reg_jobs_gc_pending(struct daemon *d)
{
	(void)d;
	gc_put_off = true;
}

struct http_request *reg_job_request(struct reg_job *job)
{
	return job->req;
}

bool reg_job_client_gone(const struct reg_job *job)
{
	return job->gone;
}

bool reg_job_streaming(const struct reg_job *job)
{
	return job->streaming;
}

/* ---- docker's messages ---- */

static void go_quote(char **out, const char *s)
{
	size_t n = strlen(*out);
	char *o = xrealloc(*out, n + strlen(s) * 6 + 3);

	o[n++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			o[n++] = '\\';
			o[n++] = (char)*p;
		} else if (*p == '\n') {
			memcpy(o + n, "\\n", 2);
			n += 2;
		} else if (*p == '\r') {
			memcpy(o + n, "\\r", 2);
			n += 2;
		} else if (*p == '\t') {
			memcpy(o + n, "\\t", 2);
			n += 2;
		} else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') {
			n += (size_t)sprintf(o + n, "\\u%04x", *p);
		} else {
			o[n++] = (char)*p;
		}
	}
	o[n++] = '"';
	o[n] = '\0';
	*out = o;
}

static void append(char **out, const char *s)
{
	size_t n = strlen(*out), l = strlen(s);
	*out = xrealloc(*out, n + l + 1);
	memcpy(*out + n, s, l + 1);
}

char *reg_msg_status(const char *id, const char *status)
{
	char *o = xstrdup("{\"status\":");
	go_quote(&o, status);
	if (id && *id) {
		append(&o, ",\"id\":");
		go_quote(&o, id);
	}
	append(&o, "}");
	return o;
}

void reg_human_size(uint64_t n, char buf[static 32])
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB" };
	double v = (double)n;
	size_t i = 0;

	while (v >= 1000.0 && i < ARRAY_SIZE(units) - 1) {
		v /= 1000.0;
		i++;
	}
	snprintf(buf, 32, "%.4g%s", v, units[i]);
}

/* jsonmessage.JSONProgress.String() as dockerd computes it (width 200, no
 * start time): the bar, then current/total. */
static char *progress_text(uint64_t current, uint64_t total)
{
	char cur[32], tot[32], bar[64];

	reg_human_size(current, cur);
	if (total == 0)
		return xasprintf("%8s", cur);
	int pct = (int)((double)current / (double)total * 100.0) / 2;
	if (pct > 50)
		pct = 50;
	memset(bar, '=', (size_t)pct);
	bar[pct] = '>';
	memset(bar + pct + 1, ' ', (size_t)(50 - pct));
	bar[51] = '\0';
	reg_human_size(total, tot);
	if (current > total)
		return xasprintf("[%s] %8s", bar, cur);
	return xasprintf("[%s] %8s/%s", bar, cur, tot);
}

char *reg_msg_progress(const char *id, const char *status, uint64_t current, uint64_t total)
{
	char *o = xstrdup("{\"status\":");

	go_quote(&o, status);
	append(&o, ",\"progressDetail\":{");
	if (current || total) {
		/* Go's omitempty: a zero figure is left out */
		_cleanup_free_ char *nums =
			current && total
				? xasprintf("\"current\":%llu,\"total\":%llu",
					    (unsigned long long)current, (unsigned long long)total)
			: current ? xasprintf("\"current\":%llu", (unsigned long long)current)
				  : xasprintf("\"total\":%llu", (unsigned long long)total);
		append(&o, nums);
		append(&o, "},\"progress\":");
		_cleanup_free_ char *text = progress_text(current, total);
		go_quote(&o, text);
	} else {
		append(&o, "}");
	}
	if (id && *id) {
		append(&o, ",\"id\":");
		go_quote(&o, id);
	}
	append(&o, "}");
	return o;
}

char *reg_msg_error(const char *msg)
{
	char *o = xstrdup("{\"errorDetail\":{\"message\":");
	go_quote(&o, msg);
	append(&o, "},\"error\":");
	go_quote(&o, msg);
	append(&o, "}");
	return o;
}

/* ---- the child ---- */

static void child_write(struct reg_job *job, char kind, const char *text)
{
	size_t l = strlen(text);
	char *line = xmalloc(l + 3);
	line[0] = kind;
	memcpy(line + 1, text, l);
	line[l + 1] = '\n';
	line[l + 2] = '\0';
	if (fd_write_all(job->fd, line, l + 2) < 0)
		_exit(3); /* the daemon is gone or cancelled us */
	free(line);
}

void reg_job_emit(struct reg_job *job, const char *json_line)
{
	child_write(job, 'M', json_line);
}

void reg_job_emit_record(struct reg_job *job, json_object *rec)
{
	child_write(job, 'R', json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN));
}

/* The child keeps no client or listening socket (a connection the daemon
 * closes must end for its peer too), nor the daemon's lock (a new berthd
 * must not wait for a pull of the old one). */
static void close_daemon_fds(int keep, const char *lock_path)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	struct stat st;
	char link[64], target[4096];

	if (!dir)
		return;
	int self = dirfd(dir);
	while ((e = readdir(dir))) {
		int fd = atoi(e->d_name);
		if (fd <= 2 || fd == keep || fd == self)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		if ((fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) || !strcmp(target, lock_path))
			(void)close(fd);
	}
	closedir(dir);
}

/* The daemon died: the whole job goes, helpers of the client included. */
static void on_daemon_death(int sig)
{
	(void)sig;
	(void)kill(0, SIGKILL);
}

static _Noreturn void child_main(struct reg_job *job)
{
	_cleanup_error_ struct berth_error *err = NULL;
	sigset_t none;

	(void)setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGUSR2, on_daemon_death);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/* no pull outlives a crashed daemon */
	(void)prctl(PR_SET_PDEATHSIG, SIGUSR2);
	if (getppid() != job->daemon_pid)
		_exit(1);
	signal(SIGINT, SIG_DFL);
	_cleanup_free_ char *lock = xasprintf("%s/berthd.lock", job->d->exec_root);
	_cleanup_free_ char *real = realpath(lock, NULL);
	close_daemon_fds(job->fd, real ? real : lock);
	if (job->ops->child(job, job->data, &err) == 0)
		_exit(0);
	_cleanup_json_ json_object *e = json_object_new_object();
	jadd(e, "kind", json_object_new_int(err ? (int)err->kind : BERTH_ERR_INTERNAL));
	jadd(e, "message", jstr(err && err->msg ? err->msg : "registry operation failed"));
	child_write(job, 'E', json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
	_exit(1);
}

/* ---- the daemon side ---- */

void reg_job_write(struct reg_job *job, const char *json_line)
{
	if (job->gone)
		return;
	if (!job->streaming) {
		http_stream_begin(job->req, 200, "application/json");
		job->streaming = true;
	}
	(void)http_stream_write(job->req, json_line, strlen(json_line));
	(void)http_stream_write(job->req, "\n", 1);
}

static void job_free(struct reg_job *job)
{
	for (struct reg_job **p = &jobs; *p; p = &(*p)->next) {
		if (*p == job) {
			*p = job->next;
			break;
		}
	}
	if (job->ops->free_data)
		job->ops->free_data(job->data);
	free(job->buf);
	berth_error_free(job->err);
	http_request_unref(job->req);
	free(job);
}

static void job_finish(struct reg_job *job)
{
	struct daemon *d = job->d;
	_cleanup_error_ struct berth_error *err = NULL;

	if (!job->exited || !job->eof)
		return;
	if (!job->gone)
		http_request_on_close(job->req, NULL, NULL);
	if (job->err)
		err = TAKE_PTR(job->err);
	else if (!WIFEXITED(job->status) || WEXITSTATUS(job->status) != 0)
		(void)berth_error_set(&err, 0, BERTH_ERR_INTERNAL,
				      "registry operation ended abnormally (status %d)",
				      job->status);
	if (!job->gone)
		job->ops->done(job, err, job->data);
	/* what a failed or cancelled pull stored and nothing uses goes */
	if (err || job->gone)
		gc_put_off = true;
	job_free(job);
	if (--jobs_running == 0 && gc_put_off) {
		gc_put_off = false;
		images_gc_layers(d);
		images_gc_blobs(d);
	}
}

static void handle_line(struct reg_job *job, char *line)
{
	_cleanup_json_ json_object *o = NULL;

	switch (line[0]) {
	case 'M':
		reg_job_write(job, line + 1);
		break;
	case 'R':
		if (json_parse_text(line + 1, strlen(line + 1), 32, "record", &o, NULL) == 0 &&
		    !job->gone)
			job->ops->record(job, o, job->data);
		break;
	case 'E': {
		json_object *m = NULL, *k = NULL;
		if (json_parse_text(line + 1, strlen(line + 1), 8, "error", &o, NULL) < 0)
			break;
		(void)json_object_object_get_ex(o, "message", &m);
		(void)json_object_object_get_ex(o, "kind", &k);
		int kind = k ? json_object_get_int(k) : BERTH_ERR_INTERNAL;
		if (kind < 0 || kind >= BERTH_ERR_KIND_MAX)
			kind = BERTH_ERR_INTERNAL;
		berth_error_free(job->err);
		job->err = NULL;
		(void)berth_error_set(&job->err, 0, (enum berth_err_kind)kind, "%s",
				      m ? json_object_get_string(m) : "registry operation failed");
		break;
	}
	default:
		break;
	}
}

static void on_pipe(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct reg_job *job = data;
	char chunk[65536];
	ssize_t n;

	(void)events;
	n = read(fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		job->buf = xrealloc(job->buf, job->len + (size_t)n + 1);
		memcpy(job->buf + job->len, chunk, (size_t)n);
		job->len += (size_t)n;
		job->buf[job->len] = '\0';
		char *start = job->buf, *nl;
		while ((nl = memchr(start, '\n', job->len - (size_t)(start - job->buf)))) {
			*nl = '\0';
			handle_line(job, start);
			start = nl + 1;
		}
		job->len -= (size_t)(start - job->buf);
		memmove(job->buf, start, job->len);
		if (job->len < LINE_MAX_BYTES)
			return;
		log_warn("Registry job %d wrote an overlong line, stopping it", (int)job->pid);
		(void)kill(-job->pid, SIGKILL);
	}
	http_loop_del_fd(l, fd);
	(void)close(fd);
	job->fd = -EBADF;
	job->eof = true;
	job_finish(job);
}

static void on_exit_status(struct http_loop *l, pid_t pid, int status, void *data)
{
	struct reg_job *job = data;

	(void)l;
	(void)pid;
	job->status = status;
	job->exited = true;
	/* helpers the child left behind go with it */
	(void)kill(-job->pid, SIGKILL);
	job_finish(job);
}

static void on_client_gone(struct http_request *req, void *data)
{
	struct reg_job *job = data;

	(void)req;
	job->gone = true;
	if (!job->exited)
		(void)kill(-job->pid, SIGKILL);
}

int reg_job_start(struct daemon *d, struct http_request *req, const struct reg_job_ops *ops,
		  void *data, struct berth_error **err)
{
	struct reg_job *job = xzalloc(sizeof(*job));
	int pipefd[2];

	job->d = d;
	job->ops = ops;
	job->data = data;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		free(job);
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "pipe");
	}
	job->daemon_pid = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		(void)close(pipefd[0]);
		job->fd = pipefd[1];
		child_main(job);
	}
	(void)close(pipefd[1]);
	if (pid < 0) {
		(void)close(pipefd[0]);
		free(job);
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "fork");
	}
	(void)setpgid(pid, pid);
	job->pid = pid;
	job->fd = pipefd[0];
	job->req = http_request_ref(req);
	(void)fcntl(job->fd, F_SETFL, fcntl(job->fd, F_GETFL) | O_NONBLOCK);
	jobs_running++;
	job->next = jobs;
	jobs = job;
	http_request_on_close(req, on_client_gone, job);
	/* Failures here mean the daemon ran out of descriptors: the job is
	 * killed and ends as failed, answered like any other. */
	if (http_loop_add_fd(d->loop, job->fd, EPOLLIN, on_pipe, job) < 0) {
		log_error("Cannot watch registry job %d", (int)pid);
		(void)kill(-pid, SIGKILL);
		(void)close(job->fd);
		job->fd = -EBADF;
		job->eof = true;
	}
	if (http_loop_watch_pid(d->loop, pid, on_exit_status, job) < 0) {
		int status = 0;
		log_error("Cannot watch registry job %d", (int)pid);
		(void)kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		on_exit_status(d->loop, pid, status, job); /* may end the job */
	}
	return 0;
}

void reg_jobs_kill_all(void)
{
	for (struct reg_job *j = jobs; j; j = j->next)
		if (!j->exited)
			(void)kill(-j->pid, SIGKILL);
}

/* /info's RegistryConfig in dockerd's shape: host[:port] insecure registries
 * are index configs, CIDRs are listed (loopback ones always), docker.io
 * carries the mirrors. */
json_object *registry_config_json(struct daemon *d)
{
	json_object *reg = json_object_new_object(), *idx = json_object_new_object();
	json_object *cidrs = json_object_new_array(), *mirrors = json_object_new_array();
	json_object *hub_mirrors = json_object_new_array();

	for (size_t i = 0; d->insecure_registries && d->insecure_registries[i]; i++) {
		const char *r = d->insecure_registries[i];
		if (str_has_prefix(r, "http://"))
			r += strlen("http://");
		if (strchr(r, '/')) {
			json_object_array_add(cidrs, jstr(r));
			continue;
		}
		json_object *ic = json_object_new_object();
		jadd(ic, "Name", jstr(r));
		jadd(ic, "Mirrors", json_object_new_array());
		jadd(ic, "Secure", json_object_new_boolean(0));
		jadd(ic, "Official", json_object_new_boolean(0));
		jadd(idx, r, ic);
	}
	json_object_array_add(cidrs, jstr("::1/128"));
	json_object_array_add(cidrs, jstr("127.0.0.0/8"));
	for (size_t i = 0; d->registry_mirrors && d->registry_mirrors[i]; i++) {
		const char *m = d->registry_mirrors[i];
		size_t n = strlen(m);
		_cleanup_free_ char *norm = n && m[n - 1] == '/' ? xstrdup(m) : xasprintf("%s/", m);
		json_object_array_add(mirrors, jstr(norm));
		json_object_array_add(hub_mirrors, jstr(norm));
	}
	json_object *hub = json_object_new_object();
	jadd(hub, "Name", jstr("docker.io"));
	jadd(hub, "Mirrors", hub_mirrors);
	jadd(hub, "Secure", json_object_new_boolean(1));
	jadd(hub, "Official", json_object_new_boolean(1));
	jadd(idx, "docker.io", hub);
	jadd(reg, "IndexConfigs", idx);
	jadd(reg, "InsecureRegistryCIDRs", cidrs);
	jadd(reg, "Mirrors", mirrors);
	return reg;
}
