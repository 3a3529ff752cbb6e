/* docker exec: instances created on a container, started through its
 * monitor (which holds the client's socket), inspected for their exit code. */
#define LOG_CATEGORY "exec"
#include <fcntl.h>
#include <string.h>

#include "api.h"
#include "container-internal.h"
#include "health.h"
#include "spec.h"

static bool jbool(json_object *o, const char *k)
{
	json_object *v = jget(o, k);
	return v && json_object_get_boolean(v);
}

static struct ct_exec *exec_find_in(struct container *c, const char *id)
{
	for (size_t i = 0; i < c->n_execs; i++)
		if (strcmp(c->execs[i]->id, id) == 0)
			return c->execs[i];
	return NULL;
}

static int exec_lookup(struct daemon *d, const char *id, struct ct_exec **ret,
		       struct berth_error **err)
{
	for (size_t i = 0; i < d->n_containers; i++) {
		struct ct_exec *x = exec_find_in(d->containers[i], id);
		if (x) {
			*ret = x;
			return 0;
		}
	}
	return berth_error_set(err, 0, BERTH_ERR_NOT_FOUND, "No such exec instance: %s", id);
}

static void exec_create(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = NULL;
	struct container *c = NULL;
	json_object *cmd = NULL;

	if (container_lookup(d, http_request_param(req, "id"), &c, &err) < 0 ||
	    http_request_body_json(req, &body, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	if (c->status == CT_PAUSED) {
		http_respond_error(req, 409,
				   "Container %s is paused, unpause the container before exec",
				   c->id);
		return;
	}
	if (!ct_is_running(c)) {
		http_respond_error(req, 409, "Container %s is not running", c->id);
		return;
	}
	if (!body || !json_object_object_get_ex(body, "Cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_array) || json_object_array_length(cmd) == 0) {
		http_respond_error(req, 400, "No exec command specified");
		return;
	}
	struct ct_exec *x = xzalloc(sizeof(*x));
	random_id(x->id);
	x->c = c;
	x->config = json_object_get(body);
	x->tty = jbool(body, "Tty");
	c->execs = xrealloc(c->execs, (c->n_execs + 1) * sizeof(*c->execs));
	c->execs[c->n_execs++] = x;
	_cleanup_json_ json_object *o = json_object_new_object();
	jadd(o, "Id", jstr(x->id));
	http_respond_json(req, 201, o);
}

int exec_process_write(struct daemon *d, struct container *c, json_object *config, bool tty,
		       const char *path, struct berth_error **err)
{
	struct image_rec *img = NULL;
	_cleanup_free_ char *spec_text = NULL;
	_cleanup_json_ json_object *spec = NULL;
	json_object *proc = NULL, *v = NULL;
	int r;

	if ((r = image_lookup(d, c->image_id, &img, err)) < 0 ||
	    (r = container_oci_spec(d, c, img, &spec_text, err)) < 0 ||
	    (r = json_parse_text(spec_text, strlen(spec_text), 64, "spec", &spec, err)) < 0)
		return r;
	json_object_object_get_ex(spec, "process", &proc);
	jadd(proc, "args", json_object_get(jget(config, "Cmd")));
	jadd(proc, "terminal", json_object_new_boolean(tty));
	if (tty)
		spec_console_size(proc, jget(config, "ConsoleSize"));
	if ((v = jget(config, "WorkingDir")) && *json_object_get_string(v))
		jadd(proc, "cwd", json_object_get(v));
	_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", c->dir);
	_cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	json_object *puser = jget(proc, "user");
	uint32_t uid = (uint32_t)json_object_get_int64(jget(puser, "uid"));
	if ((v = jget(config, "User")) && *json_object_get_string(v)) {
		uint32_t gid = 0;
		json_object *extra_gids = NULL, *user = json_object_new_object();
		if ((r = spec_resolve_user(rootfd, json_object_get_string(v), NULL, &uid, &gid,
					   &extra_gids, err)) < 0) {
			json_object_put(user);
			return r;
		}
		jadd(user, "uid", json_object_new_int64(uid));
		jadd(user, "gid", json_object_new_int64(gid));
		jadd(user, "additionalGids", extra_gids);
		jadd(proc, "user", user);
	}
	/* dockerd: the container's env for the exec's tty, then the exec's */
	jadd(proc, "env", spec_env_json(c->config, tty, jget(config, "Env"), rootfd, uid));
	const char *text = json_object_to_json_string_ext(proc, JSON_C_TO_STRING_PLAIN);
	if ((r = file_write_replace(path, text, strlen(text), 0600)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write '%s'", path);
	return 0;
}

/* The OCI process of the exec: the container's, with the exec's settings. */
static int exec_process_file(struct daemon *d, struct ct_exec *x, char **ret_path,
			     struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/exec-%s.json", x->c->run_dir, x->id);
	int r = exec_process_write(d, x->c, x->config, x->tty, path, err);

	if (r < 0)
		return r;
	*ret_path = TAKE_PTR(path);
	return 0;
}

/* The exec cannot start (its user is unknown...): dockerd finds that out
 * after the upgrade, so the client reads the reason on its stdout (framed
 * unless a tty) and the exec's exit code is 126. */
static void exec_start_failed(struct http_request *req, struct ct_exec *x, bool detach,
			      const struct berth_error *err)
{
	_cleanup_free_ char *pending = NULL, *line = NULL;
	_cleanup_error_ struct berth_error *herr = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t pending_len = 0;

	x->started = true;
	x->exit_code = 126;
	x->has_exit_code = true;
	if (detach) {
		api_respond_error(req, (struct berth_error *)err);
		return;
	}
	if (http_hijack(req,
			x->tty ? "application/vnd.docker.raw-stream"
			       : "application/vnd.docker.multiplexed-stream",
			&fd, &pending, &pending_len, &herr) < 0)
		return;
	line = xasprintf("%s\r\n", err->msg);
	size_t n = strlen(line);
	unsigned char hdr[8] = { 1,
				 0,
				 0,
				 0,
				 (unsigned char)(n >> 24),
				 (unsigned char)(n >> 16),
				 (unsigned char)(n >> 8),
				 (unsigned char)n };
	if (!x->tty)
		(void)fd_write_all(fd, hdr, sizeof(hdr));
	(void)fd_write_all(fd, line, n);
}

static void exec_start(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = NULL;
	_cleanup_free_ char *proc = NULL, *pending = NULL;
	struct ct_exec *x = NULL;
	size_t pending_len = 0;
	int fd = -1;

	if (exec_lookup(d, http_request_param(req, "id"), &x, &err) < 0 ||
	    http_request_body_json(req, &body, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	if (x->started) {
		http_respond_error(req, 409, "Error: Exec command %s has already run", x->id);
		return;
	}
	if (!ct_is_running(x->c) || !x->c->mon) {
		http_respond_error(req, 409, "Container %s is not running", x->c->id);
		return;
	}
	/* API 1.42+: the CLI sends the terminal size with start, not create */
	json_object *size = body ? jget(body, "ConsoleSize") : NULL;
	if (size)
		json_object_object_add(x->config, "ConsoleSize", json_object_get(size));
	bool detach = body && jbool(body, "Detach");
	if (exec_process_file(d, x, &proc, &err) < 0) {
		exec_start_failed(req, x, detach, err);
		return;
	}
	unsigned flags = (jbool(x->config, "AttachStdin") ? MON_ATTACH_STDIN : 0) |
			 (jbool(x->config, "AttachStdout") ? MON_ATTACH_STDOUT : 0) |
			 (jbool(x->config, "AttachStderr") ? MON_ATTACH_STDERR : 0) |
			 (x->tty ? MON_ATTACH_TTY : 0) | MON_ATTACH_STREAM;
	_cleanup_free_ char *text = xasprintf("%s %s", x->id, proc);
	x->started = true;
	x->running = true;
	if (detach) {
		flags |= MON_ATTACH_DETACH;
		if (mon_send(x->c->mon, MON_EXEC, (int)flags, 0, text, -1) < 0) {
			http_respond_error(req, 500, "the container's monitor is gone");
			return;
		}
		x->start_req = http_request_ref(req);
		return;
	}
	const char *ctype = x->tty || http_request_api_version(req) < 142
				    ? "application/vnd.docker.raw-stream"
				    : "application/vnd.docker.multiplexed-stream";
	if (http_hijack(req, ctype, &fd, &pending, &pending_len, &err) < 0)
		return;
	if (mon_send(x->c->mon, MON_EXEC, (int)flags, 0, text, fd) < 0)
		log_warn("exec %.12s: the monitor is gone", x->id);
}

void exec_on_started(struct daemon *d, struct container *c, const char *exec_id, pid_t pid)
{
	struct ct_exec *x = exec_find_in(c, exec_id);

	if (!x) {
		(void)health_on_exec_started(d, c, exec_id, pid);
		return;
	}
	x->pid = pid;
	if (x->start_req) {
		http_respond(x->start_req, 200, NULL, NULL, 0);
		x->start_req = http_request_unref(x->start_req);
	}
}

void exec_on_exited(struct daemon *d, struct container *c, const char *exec_id, int code)
{
	struct ct_exec *x = exec_find_in(c, exec_id);

	if (!x) {
		(void)health_on_exec_exited(d, c, exec_id, code);
		return;
	}
	x->running = false;
	x->exit_code = code;
	x->has_exit_code = true;
}

void exec_on_failed(struct daemon *d, struct container *c, const char *exec_id, int code,
		    const char *msg)
{
	struct ct_exec *x = exec_find_in(c, exec_id);

	if (!x) {
		(void)health_on_exec_failed(d, c, exec_id, code, msg);
		return;
	}
	x->running = false;
	x->exit_code = code;
	x->has_exit_code = true;
	if (x->start_req) {
		http_respond_error(x->start_req, 500, "OCI runtime exec failed: %s: unknown", msg);
		x->start_req = http_request_unref(x->start_req);
	}
}

void execs_container_stopped(struct daemon *d, struct container *c)
{
	(void)d;
	for (size_t i = 0; i < c->n_execs; i++) {
		struct ct_exec *x = c->execs[i];
		if (x->running) {
			x->running = false;
			if (!x->has_exit_code) {
				x->exit_code = 137;
				x->has_exit_code = true;
			}
		}
	}
}

static void exec_inspect(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct ct_exec *x = NULL;

	if (exec_lookup(d, http_request_param(req, "id"), &x, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	/* The monitor writes the exit code before it ends the stream; a client may
	 * ask before its message reached us. */
	if (x->running && !x->has_exit_code) {
		_cleanup_free_ char *p = xasprintf("%s/exec-%s.exit", x->c->run_dir, x->id);
		_cleanup_free_ char *text = NULL;
		if (file_read_all(p, 64, &text, NULL) == 0 &&
		    str_to_int(strtok(text, "\n"), &x->exit_code) == 0) {
			x->running = false;
			x->has_exit_code = true;
		}
	}
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *pc = json_object_new_object(), *cmd = jget(x->config, "Cmd");
	jadd(o, "ID", jstr(x->id));
	jadd(o, "Running", json_object_new_boolean(x->running));
	jadd(o, "ExitCode", x->has_exit_code ? json_object_new_int(x->exit_code) : NULL);
	jadd(o, "CanRemove", json_object_new_boolean(0));
	jadd(o, "ContainerID", jstr(x->c->id));
	jadd(o, "DetachKeys", jstr(""));
	jadd(o, "OpenStdin", json_object_new_boolean(jbool(x->config, "AttachStdin")));
	jadd(o, "OpenStdout", json_object_new_boolean(jbool(x->config, "AttachStdout")));
	jadd(o, "OpenStderr", json_object_new_boolean(jbool(x->config, "AttachStderr")));
	jadd(pc, "tty", json_object_new_boolean(x->tty));
	jadd(pc, "entrypoint",
	     cmd && json_object_array_length(cmd)
		     ? json_object_get(json_object_array_get_idx(cmd, 0))
		     : jstr(""));
	json_object *args = json_object_new_array();
	for (size_t i = 1; cmd && i < json_object_array_length(cmd); i++)
		json_object_array_add(args, json_object_get(json_object_array_get_idx(cmd, i)));
	jadd(pc, "arguments", args);
	jadd(pc, "privileged", json_object_new_boolean(jbool(x->config, "Privileged")));
	jadd(pc, "user", json_object_get(jget(x->config, "User")));
	jadd(o, "ProcessConfig", pc);
	jadd(o, "Pid", json_object_new_int(x->pid));
	http_respond_json(req, 200, o);
}

static void exec_resize(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct ct_exec *x = NULL;
	int h = 0, w = 0;

	if (exec_lookup(d, http_request_param(req, "id"), &x, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	(void)str_to_int(http_request_query(req, "h"), &h);
	(void)str_to_int(http_request_query(req, "w"), &w);
	if (!x->running || !x->c->mon) {
		http_respond_error(req, 409, "exec %s is not running", x->id);
		return;
	}
	(void)mon_send(x->c->mon, MON_EXEC_RESIZE, h, w, x->id, -1);
	http_respond(req, 200, NULL, NULL, 0);
}

void api_exec_register(struct daemon *d, struct http_router *r)
{
	(void)d;
	api_add(r, "POST", "/containers/{id}/exec", 0, exec_create);
	api_add(r, "POST", "/exec/{id}/start", 0, exec_start);
	api_add(r, "GET", "/exec/{id}/json", 0, exec_inspect);
	api_add(r, "POST", "/exec/{id}/resize", 0, exec_resize);
}
