/* The archive endpoints (docker cp), changes (diff) and export.
 *
 * Each request forks a child that works in the container's root (see
 * container-fs.h): it resolves the path there, reports a small JSON result
 * on a control pipe ({"status": 200, "stat": {...}} or an error), and, for
 * GET and export, then writes the tar to a data pipe that the loop pumps to
 * the client. For a PUT, the child takes the connection itself (see
 * http-handoff.h): it reads the body straight from the socket as it extracts
 * it, and the loop answers once the child has reported. The loop never
 * waits on file system work. */
#define LOG_CATEGORY "api"
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "archive.h"
#include "body-file.h"
#include "container-fs.h"
#include "container-internal.h"
#include "container-mounts.h"
#include "fs-job.h"
#include "http-handoff.h"

#define CTL_MAX	    (64u << 20)
#define STAT_HEADER "X-Docker-Container-Path-Stat"

static void job_free(struct fs_job *j)
{
	if (j->ctl >= 0)
		(void)close(j->ctl);
	if (j->data >= 0)
		(void)close(j->data);
	http_handoff_free(j->handoff);
	http_request_unref(j->req);
	free(j->name);
	free(j->path);
	free(j->rootfs);
	free(j->mounts);
	free(j->buf);
	free(j);
}

static char *base64(const char *s)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(s);
	char *out = xmalloc(4 * ((len + 2) / 3) + 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)s[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* ---- the loop side ---- */

static void job_child_done(struct http_loop *l, pid_t pid, int status, void *data)
{
	struct daemon *d = the_daemon;
	char *id = data;

	(void)l;
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		log_warn("File job (pid %d) ended with status %d", (int)pid, status);
	if (id)
		container_fs_release(d, id);
	free(id);
}

static const char *const event_of[] = {
	[FS_STAT] = "archive-path", [FS_GET] = "archive-path", [FS_PUT] = "extract-to-dir",
	[FS_EXPORT] = "export",	    [FS_CHANGES] = NULL,
};

static void job_answer(struct daemon *d, struct fs_job *j)
{
	_cleanup_json_ json_object *o = NULL;
	json_object *v;
	struct container *c = NULL;
	int status = 500;

	if (j->len)
		o = json_tokener_parse(j->buf);
	if (o && (v = jget(o, "status")))
		status = json_object_get_int(v);
	if (status != 200) {
		v = o ? jget(o, "message") : NULL;
		const char *msg = v ? json_object_get_string(v) : "the file job failed";
		if (j->handoff)
			(void)http_handoff_respond_error(j->handoff, status, msg);
		else
			http_respond_error(j->req, status, "%s", msg);
		return;
	}
	if (event_of[j->kind] && container_lookup(d, j->id, &c, NULL) == 0)
		container_event(d, c, event_of[j->kind], NULL);
	if (j->handoff) {
		(void)http_handoff_respond(j->handoff, 200, NULL, NULL, 0);
		return;
	}
	if ((v = jget(o, "stat"))) {
		_cleanup_free_ char *b =
			base64(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		http_response_add_header(j->req, STAT_HEADER, b);
	}
	switch (j->kind) {
	case FS_STAT:
	case FS_PUT:
		http_respond(j->req, 200, NULL, NULL, 0);
		break;
	case FS_CHANGES:
		v = jget(o, "changes");
		http_respond_json(j->req, 200,
				  v && json_object_array_length(v) ? json_object_get(v) : NULL);
		break;
	case FS_GET:
	case FS_EXPORT:
		http_stream_begin(j->req, 200, "application/x-tar");
		http_stream_bulk(j->req);
		pump_fd_to_stream(d, j->req, j->data, NULL, NULL);
		j->data = -EBADF;
		break;
	}
}

static void ctl_readable(struct http_loop *l, int fd, uint32_t events, void *data)
{
	struct fs_job *j = data;
	char tmp[65536];

	(void)events;
	for (;;) {
		ssize_t n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n > 0 && j->len + (size_t)n < CTL_MAX) {
			j->buf = xrealloc(j->buf, j->len + (size_t)n + 1);
			memcpy(j->buf + j->len, tmp, (size_t)n);
			j->len += (size_t)n;
			j->buf[j->len] = '\0';
			continue;
		}
		if (n > 0)
			continue;
		break;
	}
	http_loop_del_fd(l, fd);
	(void)close(j->ctl);
	j->ctl = -EBADF;
	job_answer(the_daemon, j);
	job_free(j);
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			(void)close(p[i]);
}

static void put_refuse(struct http_request *req, int status, const char *msg);

/* An error answer before the child runs (after the body for a PUT). */
static void job_refuse(struct fs_job *j, int status, const char *msg)
{
	if (j->kind == FS_PUT)
		put_refuse(j->req, status, msg);
	else
		http_respond_error(j->req, status, "%s", msg);
}

/* Start the child of job j on container c. */
static void job_start(struct daemon *d, struct container *c, struct fs_job *j)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_close_ int root = -EBADF;
	int ctl[2] = { -1, -1 }, data[2] = { -1, -1 };
	bool flag_a = http_request_query_bool(j->req, "copyUIDGID", false);
	bool flag_b = http_request_query_bool(j->req, "noOverwriteDirNonDir", false);
	bool acquired = j->kind != FS_CHANGES;
	pid_t pid = -1;

	if (acquired && container_fs_acquire(d, c, j->kind == FS_EXPORT, &root, &err) < 0) {
		job_refuse(j, api_status_of(err), err->msg);
		job_free(j);
		return;
	}
	if (acquired && j->kind != FS_EXPORT && !(ct_is_running(c) && c->pid > 0)) {
		_cleanup_json_ json_object *mounts = json_object_new_array();
		container_user_mounts(c, mounts);
		container_volumes_for_job(c, mounts);
		j->mounts = xstrdup(json_object_to_json_string_ext(mounts, JSON_C_TO_STRING_PLAIN));
		j->rootfs = xasprintf("%s/rootfs", c->dir);
	}
	if (pipe2(ctl, O_CLOEXEC) < 0 ||
	    ((j->kind == FS_GET || j->kind == FS_EXPORT) && pipe2(data, O_CLOEXEC) < 0)) {
		job_refuse(j, 500, strerror(errno));
		goto fail;
	}
	if (data[1] >= 0)
		(void)fcntl(data[1], F_SETPIPE_SZ, 1 << 20);
	if (j->kind == FS_PUT && http_handoff_take(j->req, &j->handoff, &err) < 0) {
		job_refuse(j, api_status_of(err), err->msg);
		goto fail;
	}
	pid = fork();
	if (pid == 0) {
		(void)close(ctl[0]);
		if (data[0] >= 0)
			(void)close(data[0]);
		_exit(fs_job_child_main(d, j, root, ctl[1], data[1], flag_a, flag_b));
	}
	if (pid < 0) {
		if (j->handoff)
			(void)http_handoff_respond_error(j->handoff, 500, strerror(errno));
		else
			job_refuse(j, 500, strerror(errno));
		goto fail;
	}
	/* the child reads the body; the loop keeps the socket for the answer */
	(void)close(ctl[1]);
	if (data[1] >= 0)
		(void)close(data[1]);
	(void)http_loop_watch_pid(d->loop, pid, job_child_done, acquired ? xstrdup(c->id) : NULL);
	j->ctl = ctl[0];
	j->data = data[0];
	(void)fcntl(j->ctl, F_SETFL, fcntl(j->ctl, F_GETFL) | O_NONBLOCK);
	(void)http_loop_add_fd(d->loop, j->ctl, EPOLLIN, ctl_readable, j);
	return;
fail:
	close_pair(ctl);
	close_pair(data);
	if (acquired)
		container_fs_release(d, c->id);
	job_free(j);
}

static struct fs_job *job_new(struct http_request *req, enum fs_kind kind, struct container *c,
			      const char *name, const char *path)
{
	struct fs_job *j = xzalloc(sizeof(*j));

	j->kind = kind;
	memcpy(j->id, c->id, sizeof(j->id));
	j->name = xstrdup(name);
	j->path = path ? xstrdup(path) : NULL;
	j->req = http_request_ref(req);
	j->ctl = j->data = -EBADF;
	return j;
}

/* The container and path of an archive request, or an answer. */
static struct container *archive_target(struct daemon *d, struct http_request *req,
					const char **ret_path)
{
	_cleanup_error_ struct berth_error *err = NULL;
	const char *path = http_request_query(req, "path");
	struct container *c = NULL;

	if (container_lookup(d, http_request_param(req, "id"), &c, &err) < 0) {
		api_respond_error(req, err);
		return NULL;
	}
	if (str_is_empty(path)) {
		http_respond_error(req, 400, "bad parameter: 'path' cannot be empty");
		return NULL;
	}
	*ret_path = path;
	return c;
}

static void archive_head(struct daemon *d, struct http_request *req)
{
	const char *path = NULL;
	struct container *c = archive_target(d, req, &path);

	if (c)
		job_start(d, c, job_new(req, FS_STAT, c, http_request_param(req, "id"), path));
}

static void archive_get(struct daemon *d, struct http_request *req)
{
	const char *path = NULL;
	struct container *c = archive_target(d, req, &path);

	if (c)
		job_start(d, c, job_new(req, FS_GET, c, http_request_param(req, "id"), path));
}

/* An early answer to a PUT comes after its body (up to a limit), so that
 * the client, still sending, reads it instead of a reset connection. */
struct put_refusal {
	int status;
	char *msg;
	uint64_t seen;
	bool answered;
};

static void refusal_answer(struct http_request *req, struct put_refusal *f)
{
	if (!f->answered)
		http_respond_error(req, f->status, "%s", f->msg);
	f->answered = true;
}

static int refusal_data(struct http_request *req, const void *data, size_t len, void *user)
{
	struct put_refusal *f = user;

	(void)data;
	f->seen += len;
	if (f->seen <= (1u << 20))
		return 0;
	refusal_answer(req, f);
	return -EFBIG;
}

static void refusal_end(struct http_request *req, int error, void *user)
{
	struct put_refusal *f = user;

	if (error == 0)
		refusal_answer(req, f);
	http_request_unref(req);
	free(f->msg);
	free(f);
}

static void put_refuse(struct http_request *req, int status, const char *msg)
{
	struct put_refusal *f = xzalloc(sizeof(*f));

	f->status = status;
	f->msg = xstrdup(msg);
	http_request_ref(req);
	http_request_read_body(req, refusal_data, refusal_end, f);
}

static void archive_put(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	const char *path = http_request_query(req, "path");
	struct container *c = NULL;
	json_object *ro;

	if (container_lookup(d, http_request_param(req, "id"), &c, &err) < 0) {
		put_refuse(req, api_status_of(err), err->msg);
		return;
	}
	if (str_is_empty(path)) {
		put_refuse(req, 400, "bad parameter: 'path' cannot be empty");
		return;
	}
	ro = jget(c->host_config, "ReadonlyRootfs");
	if (ro && json_object_get_boolean(ro)) {
		put_refuse(req, 400, "container rootfs is marked read-only");
		return;
	}
	job_start(d, c, job_new(req, FS_PUT, c, http_request_param(req, "id"), path));
}

static void ct_export(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct container *c = NULL;

	if (container_lookup(d, http_request_param(req, "id"), &c, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	job_start(d, c, job_new(req, FS_EXPORT, c, http_request_param(req, "id"), NULL));
}

static void ct_changes(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct container *c = NULL;

	if (container_lookup(d, http_request_param(req, "id"), &c, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	job_start(d, c, job_new(req, FS_CHANGES, c, http_request_param(req, "id"), NULL));
}

void api_archive_register(struct daemon *d, struct http_router *r)
{
	(void)d;
	api_add(r, "HEAD", "/containers/{id}/archive", 0, archive_head);
	api_add(r, "GET", "/containers/{id}/archive", 0, archive_get);
	api_add(r, "PUT", "/containers/{id}/archive", HTTP_ROUTE_STREAM_BODY, archive_put);
	api_add(r, "GET", "/containers/{id}/export", 0, ct_export);
	api_add(r, "GET", "/containers/{id}/changes", 0, ct_changes);
}
