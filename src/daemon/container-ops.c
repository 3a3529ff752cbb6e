/* Remove, rename, resize, attach, and settling containers at daemon start. */
#define LOG_CATEGORY "container"
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "container-internal.h"
#include "container-mounts.h"
#include "runtime.h"
#include "stats.h"

char *container_command_line(const struct container *c)
{
	char *out = xstrdup("");
	json_object *parts[] = { jget(c->config, "Entrypoint"), jget(c->config, "Cmd") };

	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; parts[k] && json_object_is_type(parts[k], json_type_array) &&
				   i < json_object_array_length(parts[k]);
		     i++) {
			const char *s =
				json_object_get_string(json_object_array_get_idx(parts[k], i));
			char *n = xasprintf("%s%s%s", out, *out ? " " : "", s);
			free(out);
			out = n;
		}
	}
	return out;
}

json_object *container_exec_ids_json(const struct container *c)
{
	if (!c->n_execs)
		return NULL;
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < c->n_execs; i++)
		json_object_array_add(a, jstr(c->execs[i]->id));
	return a;
}

int container_remove(struct daemon *d, struct container *c, bool force, bool volumes,
		     struct berth_error **err)
{
	_cleanup_strv_ char **anon = NULL;
	int r;

	if (c->status == CT_REMOVING)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "removal of container %s is already in progress", c->name);
	if ((ct_is_running(c) || c->starting) && !force)
		return berth_error_set(
			err, 0, BERTH_ERR_CONFLICT,
			"cannot remove container \"/%s\": container is running: stop "
			"the container before removing or force remove",
			c->name);
	if (c->restart_timer) {
		http_loop_cancel_timer(d->loop, c->restart_timer);
		c->restart_timer = 0;
	}
	if (ct_is_running(c) || c->starting) {
		/* Forced: kill, and settle without waiting for the monitor's report. */
		(void)container_kill(d, c, SIGKILL, NULL);
		_cleanup_free_ char *root = xasprintf("%s/runtime", d->exec_root);
		pid_t pid = fork();
		if (pid == 0) {
			execl(container_runtime_path(d, c), "berth-runtime", "--root", root,
			      "delete", "--force", c->id, (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			(void)waitpid(pid, NULL, 0);
		c->manual_stop = true;
		container_on_exited(d, c, 137, false, now_unix_ns());
		if (container_lookup(d, c->id, &c, NULL) < 0)
			return 0; /* auto-removed meanwhile */
	}
	c->status = CT_REMOVING;
	mon_close(d, c);
	container_release_rootfs(d, c);
	if (volumes)
		anon = container_anonymous_volumes(c);
	if ((r = db_container_delete(d->db, c->id, err)) < 0) {
		c->status = CT_DEAD;
		return r;
	}
	(void)rm_rf(c->dir);
	(void)rm_rf(c->run_dir);
	container_wake_waiters(d, c, true);
	for (size_t i = 0; i < c->n_pending; i++) {
		(void)close(c->pending[i].fd);
		free(c->pending[i].detach_keys);
	}
	if (c->start_req) {
		http_respond_error(c->start_req, 409, "container removed while starting");
		c->start_req = http_request_unref(c->start_req);
	}
	container_event(d, c, "destroy", NULL);
	api_stats_container_removed(d, c->id);
	container_volumes_forget(c);
	container_forget(d, c);
	/* rm -v and --rm: the anonymous volumes no other container uses. */
	container_volumes_remove(d, anon);
	return 0;
}

int container_rename(struct daemon *d, struct container *c, const char *name,
		     struct berth_error **err)
{
	struct container *other = NULL;
	int r;

	if (name[0] == '/')
		name++;
	if (str_is_empty(name))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "Neither old nor new names may be empty");
	if (strcmp(name, c->name) == 0)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"Renaming a container with the same name as its current name");
	if (container_lookup(d, name, &other, NULL) == 0 && strcmp(other->name, name) == 0)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "Error when allocating new name: Conflict. The container "
				       "name \"/%s\" is already in use by container \"%s\". You "
				       "have to remove (or rename) that container to be able to "
				       "reuse that name.",
				       name, other->id);
	char *old = c->name;
	c->name = xstrdup(name);
	if ((r = container_save(d, c, err)) < 0) {
		free(c->name);
		c->name = old;
		return r;
	}
	json_object *attrs = json_object_new_object();
	_cleanup_free_ char *old_name = xasprintf("/%s", old);
	jadd(attrs, "oldName", jstr(old_name));
	free(old);
	container_event(d, c, "rename", attrs);
	return 0;
}

int container_resize(struct daemon *d, struct container *c, int h, int w, struct berth_error **err)
{
	(void)d;
	if (!ct_is_running(c) || !c->mon)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT, "Container %s is not running",
				       c->id);
	int r = mon_send(c->mon, MON_RESIZE, h, w, NULL, -1);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "resize");
	return 0;
}

static unsigned attach_flags(struct http_request *req, struct container *c)
{
	unsigned f = 0;
	json_object *tty = jget(c->config, "Tty");

	if (http_request_query_bool(req, "stdin", false))
		f |= MON_ATTACH_STDIN;
	if (http_request_query_bool(req, "stdout", false))
		f |= MON_ATTACH_STDOUT;
	if (http_request_query_bool(req, "stderr", false))
		f |= MON_ATTACH_STDERR;
	if (http_request_query_bool(req, "logs", false))
		f |= MON_ATTACH_LOGS;
	if (http_request_query_bool(req, "stream", false))
		f |= MON_ATTACH_STREAM;
	if (tty && json_object_get_boolean(tty))
		f |= MON_ATTACH_TTY;
	return f;
}

void container_attach(struct daemon *d, struct container *c, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *pending = NULL;
	size_t pending_len = 0;
	unsigned flags = attach_flags(req, c);
	const char *keys = http_request_query(req, "detachKeys");
	int fd = -1;

	if (!ct_is_running(c) && c->status != CT_CREATED && c->status != CT_EXITED &&
	    !c->starting) {
		http_respond_error(req, 409,
				   "You cannot attach to a stopped container, start it first");
		return;
	}
	if (c->status == CT_PAUSED) {
		http_respond_error(req, 409,
				   "You cannot attach to a paused container, unpause it first");
		return;
	}
	const char *ctype = (flags & MON_ATTACH_TTY) || http_request_api_version(req) < 142
				    ? "application/vnd.docker.raw-stream"
				    : "application/vnd.docker.multiplexed-stream";
	if (http_hijack(req, ctype, &fd, &pending, &pending_len, &err) < 0) {
		log_warn("Attach to %.12s: %s", c->id, err ? err->msg : "hijack failed");
		return;
	}
	/* Bytes the client sent with the request are stdin for the container; the
	 * monitor reads the socket itself, so they would be lost: rare (docker
	 * sends stdin only after the 101) and dropped with a debug line. */
	if (pending_len)
		log_debug("Attach to %.12s: %zu early stdin bytes dropped", c->id, pending_len);
	if (ct_is_running(c) && c->mon) {
		if (mon_send(c->mon, MON_ATTACH, (int)flags, 0, keys, fd) < 0)
			log_warn("Attach to %.12s: the monitor is gone", c->id);
		return;
	}
	/* Not started yet (docker run attaches before start): keep it for the monitor. */
	c->pending = xrealloc(c->pending, (c->n_pending + 1) * sizeof(*c->pending));
	c->pending[c->n_pending++] = (struct ct_attach){
		.fd = fd, .flags = flags, .detach_keys = str_is_empty(keys) ? NULL : xstrdup(keys)
	};
}
