/* Container records: lookup, persistence, and their API JSON. */
#define LOG_CATEGORY "container"
#include <ftw.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "container.h"
#include "container-internal.h"
#include "container-net-internal.h"
#include "health.h"

static const char *const status_names[CT_STATUS_MAX] = {
	[CT_CREATED] = "created",   [CT_RUNNING] = "running",
	[CT_PAUSED] = "paused",	    [CT_RESTARTING] = "restarting",
	[CT_REMOVING] = "removing", [CT_EXITED] = "exited",
	[CT_DEAD] = "dead",
};

const char *ct_status_name(enum ct_status s)
{
	return s < CT_STATUS_MAX ? status_names[s] : "unknown";
}

bool ct_is_running(const struct container *c)
{
	return c->status == CT_RUNNING || c->status == CT_PAUSED;
}

int container_lookup(struct daemon *d, const char *ref, struct container **ret,
		     struct berth_error **err)
{
	const char *name = ref && ref[0] == '/' ? ref + 1 : ref;
	struct container *found = NULL;
	size_t hits = 0;

	if (str_is_empty(name))
		return berth_error_set(err, 0, BERTH_ERR_NOT_FOUND, "No such container: %s",
				       ref ? ref : "");
	for (size_t i = 0; i < d->n_containers; i++) {
		struct container *c = d->containers[i];
		if (strcmp(c->id, name) == 0 || strcmp(c->name, name) == 0) {
			*ret = c;
			return 0;
		}
	}
	for (size_t i = 0; i < d->n_containers; i++) {
		if (str_has_prefix(d->containers[i]->id, name)) {
			found = d->containers[i];
			hits++;
		}
	}
	if (hits == 1) {
		*ret = found;
		return 0;
	}
	if (hits > 1)
		return berth_error_set(err, 0, BERTH_ERR_NOT_FOUND,
				       "Multiple IDs found with provided prefix: %s", name);
	return berth_error_set(err, 0, BERTH_ERR_NOT_FOUND, "No such container: %s", name);
}

static json_object *state_json(const struct container *c)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *started = time_rfc3339(c->started_ns);
	_cleanup_free_ char *finished = time_rfc3339(c->finished_ns);

	jadd(o, "Status", jstr(ct_status_name(c->status)));
	jadd(o, "Running", json_object_new_boolean(ct_is_running(c)));
	jadd(o, "Paused", json_object_new_boolean(c->status == CT_PAUSED));
	jadd(o, "Restarting", json_object_new_boolean(c->status == CT_RESTARTING));
	jadd(o, "OOMKilled", json_object_new_boolean(c->oom_killed));
	jadd(o, "Dead", json_object_new_boolean(c->status == CT_DEAD));
	jadd(o, "Pid", json_object_new_int(ct_is_running(c) ? c->pid : 0));
	jadd(o, "ExitCode", json_object_new_int(c->exit_code));
	jadd(o, "Error", jstr(c->error ? c->error : ""));
	jadd(o, "StartedAt", jstr(started));
	jadd(o, "FinishedAt", jstr(finished));
	if (c->health)
		jadd(o, "Health", health_inspect_json(c));
	return o;
}

/* The record as stored: everything needed to rebuild the container. */
static char *container_doc(const struct container *c)
{
	_cleanup_json_ json_object *o = json_object_new_object();

	jadd(o, "Id", jstr(c->id));
	jadd(o, "Name", jstr(c->name));
	jadd(o, "ImageID", jstr(c->image_id ? c->image_id : ""));
	jadd(o, "Image", jstr(c->image ? c->image : ""));
	jadd(o, "Created", json_object_new_int64(c->created_ns));
	jadd(o, "Config", json_object_get(c->config));
	jadd(o, "HostConfig", json_object_get(c->host_config));
	jadd(o, "Status", jstr(ct_status_name(c->status)));
	jadd(o, "Pid", json_object_new_int(c->pid));
	jadd(o, "ExitCode", json_object_new_int(c->exit_code));
	jadd(o, "OOMKilled", json_object_new_boolean(c->oom_killed));
	jadd(o, "Error", jstr(c->error ? c->error : ""));
	jadd(o, "StartedAt", json_object_new_int64(c->started_ns));
	jadd(o, "FinishedAt", json_object_new_int64(c->finished_ns));
	jadd(o, "RestartCount", json_object_new_int(c->restart_count));
	jadd(o, "ManualStop", json_object_new_boolean(c->manual_stop));
	jadd(o, "HasStarted", json_object_new_boolean(c->has_started));
	if (c->net)
		jadd(o, "Net", json_object_get(c->net));
	if (c->health)
		jadd(o, "Health", health_record_json(c));
	return xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

int container_save(struct daemon *d, struct container *c, struct berth_error **err)
{
	_cleanup_free_ char *doc = container_doc(c);
	int r = db_container_put(d->db, c->id, c->name, doc, err);

	if (r == -EEXIST)
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
				       "Conflict. The container name \"/%s\" is already in use by "
				       "container. You have to remove (or rename) that container "
				       "to be able to reuse that name.",
				       c->name);
	return r;
}

static enum ct_status status_from_name(const char *s)
{
	for (int i = 0; i < CT_STATUS_MAX; i++)
		if (s && strcmp(status_names[i], s) == 0)
			return (enum ct_status)i;
	return CT_EXITED;
}

void container_set_paths(struct daemon *d, struct container *c)
{
	free(c->dir);
	free(c->log_path);
	free(c->run_dir);
	c->dir = xasprintf("%s/containers/%s", d->data_root, c->id);
	c->log_path = xasprintf("%s/%s-json.log", c->dir, c->id);
	c->run_dir = xasprintf("%s/containers/%s", d->exec_root, c->id);
}

static int load_row(const char *id, const char *doc, void *data)
{
	struct daemon *d = data;
	_cleanup_json_ json_object *o = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	json_object *cfg = NULL, *hc = NULL;
	const char *s = NULL;

	if (json_parse_text(doc, strlen(doc), 64, "container record", &o, &err) < 0 ||
	    json_get_object(o, "", "Config", true, &cfg, &err) < 0 ||
	    json_get_object(o, "", "HostConfig", true, &hc, &err) < 0) {
		log_warn("Container '%s' has an unreadable record (%s), ignoring", id,
			 err ? err->msg : "?");
		return 0;
	}
	struct container *c = xzalloc(sizeof(*c));
	(void)snprintf(c->id, sizeof(c->id), "%s", id);
#define STR(key, field)                                                                            \
	do {                                                                                       \
		s = NULL;                                                                          \
		(void)json_get_str(o, "", key, false, &s, NULL);                                   \
		c->field = s && *s ? xstrdup(s) : NULL;                                            \
	} while (0)
	STR("Name", name);
	STR("ImageID", image_id);
	STR("Image", image);
	STR("Error", error);
#undef STR
	s = NULL;
	(void)json_get_str(o, "", "Status", false, &s, NULL);
	c->status = status_from_name(s);
	(void)json_get_int64(o, "", "Created", false, &c->created_ns, NULL);
	(void)json_get_int32(o, "", "Pid", false, &c->pid, NULL);
	(void)json_get_int32(o, "", "ExitCode", false, &c->exit_code, NULL);
	(void)json_get_bool(o, "", "OOMKilled", &c->oom_killed, NULL);
	(void)json_get_int64(o, "", "StartedAt", false, &c->started_ns, NULL);
	(void)json_get_int64(o, "", "FinishedAt", false, &c->finished_ns, NULL);
	(void)json_get_int32(o, "", "RestartCount", false, &c->restart_count, NULL);
	(void)json_get_bool(o, "", "ManualStop", &c->manual_stop, NULL);
	(void)json_get_bool(o, "", "HasStarted", &c->has_started, NULL);
	c->config = json_object_get(cfg);
	c->host_config = json_object_get(hc);
	json_object *net = jget(o, "Net");
	c->net = net && json_object_is_type(net, json_type_object) ? json_object_get(net) : NULL;
	if (!c->net) {
		c->net = json_object_new_object();
		jadd(c->net, "Endpoints", json_object_new_object());
	}
	if (!c->name)
		c->name = xstrndup(c->id, 12);
	health_record_load(c, jget(o, "Health"));
	container_set_paths(d, c);
	container_add(d, c);
	return 0;
}

int containers_load_all(struct daemon *d, struct berth_error **err)
{
	return db_container_foreach(d->db, load_row, d, err);
}

void container_add(struct daemon *d, struct container *c)
{
	d->containers = xrealloc(d->containers, (d->n_containers + 1) * sizeof(c));
	d->containers[d->n_containers++] = c;
}

void container_forget(struct daemon *d, struct container *c)
{
	for (size_t i = 0; i < d->n_containers; i++) {
		if (d->containers[i] != c)
			continue;
		memmove(&d->containers[i], &d->containers[i + 1],
			(d->n_containers - i - 1) * sizeof(c));
		d->n_containers--;
		break;
	}
	health_free(d, c);
	json_object_put(c->config);
	json_object_put(c->host_config);
	json_object_put(c->net);
	free(c->port_fds);
	free(c->name);
	free(c->image_id);
	free(c->image);
	free(c->error);
	free(c->dir);
	free(c->log_path);
	free(c->run_dir);
	free(c->pending);
	free(c->execs);
	free(c);
}

/* Docker's human durations ("5 seconds", "About a minute", "3 hours"). */
static char *human_duration(int64_t secs)
{
	if (secs < 1)
		return xstrdup("Less than a second");
	if (secs == 1)
		return xstrdup("1 second");
	if (secs < 60)
		return xasprintf("%lld seconds", (long long)secs);
	int64_t mins = secs / 60;
	if (mins == 1)
		return xstrdup("About a minute");
	if (mins < 60)
		return xasprintf("%lld minutes", (long long)mins);
	int64_t hours = mins / 60;
	if (hours == 1)
		return xstrdup("About an hour");
	if (hours < 48)
		return xasprintf("%lld hours", (long long)hours);
	if (hours < 24 * 7 * 2)
		return xasprintf("%lld days", (long long)(hours / 24));
	if (hours < 24 * 30 * 2)
		return xasprintf("%lld weeks", (long long)(hours / 24 / 7));
	if (hours < 24 * 365 * 2)
		return xasprintf("%lld months", (long long)(hours / 24 / 30));
	return xasprintf("%lld years", (long long)(hours / 24 / 365));
}

char *container_status_text(const struct container *c)
{
	int64_t now = now_unix_ns();
	switch (c->status) {
	case CT_RUNNING:
	case CT_PAUSED: {
		_cleanup_free_ char *h = human_duration((now - c->started_ns) / 1000000000LL);
		const char *health = health_status_text(c);
		if (c->status == CT_RUNNING && health)
			return xasprintf("Up %s (%s)", h, health);
		return xasprintf("Up %s%s", h, c->status == CT_PAUSED ? " (Paused)" : "");
	}
	case CT_RESTARTING: {
		_cleanup_free_ char *h = human_duration((now - c->finished_ns) / 1000000000LL);
		return xasprintf("Restarting (%d) %s ago", c->exit_code, h);
	}
	case CT_EXITED: {
		if (!c->has_started && c->finished_ns == 0)
			return xstrdup("Created");
		_cleanup_free_ char *h = human_duration((now - c->finished_ns) / 1000000000LL);
		return xasprintf("Exited (%d) %s ago", c->exit_code, h);
	}
	case CT_REMOVING:
		return xstrdup("Removal In Progress");
	case CT_DEAD:
		return xstrdup("Dead");
	case CT_CREATED:
	case CT_STATUS_MAX:
	default:
		return xstrdup("Created");
	}
}

json_object *container_inspect_json(struct daemon *d, struct container *c, unsigned api)
{
	json_object *o = json_object_new_object();
	json_object *ep = NULL, *cmd = NULL;
	_cleanup_free_ char *created = time_rfc3339(c->created_ns);
	_cleanup_free_ char *name = xasprintf("/%s", c->name);

	(void)api;
	jadd(o, "Id", jstr(c->id));
	jadd(o, "Created", jstr(created));
	json_object_object_get_ex(c->config, "Entrypoint", &ep);
	json_object_object_get_ex(c->config, "Cmd", &cmd);
	json_object *args = json_object_new_array();
	const char *path = "";
	json_object *all[] = { ep, cmd };
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; all[k] && json_object_is_type(all[k], json_type_array) &&
				   i < json_object_array_length(all[k]);
		     i++) {
			const char *s =
				json_object_get_string(json_object_array_get_idx(all[k], i));
			if (!*path)
				path = s;
			else
				json_object_array_add(args, jstr(s));
		}
	}
	jadd(o, "Path", jstr(path));
	jadd(o, "Args", args);
	jadd(o, "State", state_json(c));
	jadd(o, "Image", jstr(c->image_id ? c->image_id : ""));
	_cleanup_free_ char *resolv = xasprintf("%s/resolv.conf", c->dir);
	_cleanup_free_ char *hostname = xasprintf("%s/hostname", c->dir);
	_cleanup_free_ char *hosts = xasprintf("%s/hosts", c->dir);
	jadd(o, "ResolvConfPath", jstr(resolv));
	jadd(o, "HostnamePath", jstr(hostname));
	jadd(o, "HostsPath", jstr(hosts));
	jadd(o, "LogPath", jstr(c->log_path));
	jadd(o, "Name", jstr(name));
	jadd(o, "RestartCount", json_object_new_int(c->restart_count));
	jadd(o, "Driver", jstr("overlay2"));
	jadd(o, "Platform", jstr("linux"));
	jadd(o, "MountLabel", jstr(""));
	jadd(o, "ProcessLabel", jstr(""));
	jadd(o, "AppArmorProfile", jstr(""));
	jadd(o, "ExecIDs", container_exec_ids_json(c));
	jadd(o, "HostConfig", json_object_get(c->host_config));
	json_object *gd = json_object_new_object(), *gdd = json_object_new_object();
	_cleanup_free_ char *merged = xasprintf("%s/rootfs", c->dir);
	_cleanup_free_ char *upper = xasprintf("%s/upper", c->dir);
	_cleanup_free_ char *work = xasprintf("%s/work", c->dir);
	jadd(gdd, "MergedDir", jstr(merged));
	jadd(gdd, "UpperDir", jstr(upper));
	jadd(gdd, "WorkDir", jstr(work));
	jadd(gd, "Data", gdd);
	jadd(gd, "Name", jstr("overlay2"));
	jadd(o, "GraphDriver", gd);
	jadd(o, "Mounts", container_mounts_json(c));
	jadd(o, "Config", json_object_get(c->config));
	jadd(o, "NetworkSettings", container_network_json(d, c));
	return o;
}

static int64_t du_total;

static int du_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F && S_ISREG(st->st_mode))
		du_total += st->st_size;
	return 0;
}

/* SizeRw and SizeRootFs, as docker's `ps -s` and `inspect -s` show them: the
 * bytes of the files in the container's upper layer, and those plus the image. */
void container_add_sizes(struct daemon *d, struct container *c, json_object *o)
{
	_cleanup_free_ char *upper = xasprintf("%s/upper", c->dir);
	struct image_rec *img = NULL;

	du_total = 0;
	(void)nftw(upper, du_add, 16, FTW_PHYS | FTW_MOUNT);
	jadd(o, "SizeRw", json_object_new_int64(du_total));
	if (c->image_id && image_lookup(d, c->image_id, &img, NULL) == 0 && img)
		jadd(o, "SizeRootFs", json_object_new_int64(du_total + (int64_t)img->size));
	else
		jadd(o, "SizeRootFs", json_object_new_int64(du_total));
}

json_object *container_summary_json(struct daemon *d, struct container *c, bool size)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *name = xasprintf("/%s", c->name);
	_cleanup_free_ char *status = container_status_text(c);
	json_object *names = json_object_new_array(), *labels = NULL, *v = NULL;

	jadd(o, "Id", jstr(c->id));
	if (size)
		container_add_sizes(d, c, o);
	json_object_array_add(names, jstr(name));
	jadd(o, "Names", names);
	jadd(o, "Image", jstr(c->image ? c->image : c->image_id));
	jadd(o, "ImageID", jstr(c->image_id ? c->image_id : ""));
	_cleanup_free_ char *cmd = container_command_line(c);
	jadd(o, "Command", jstr(cmd));
	jadd(o, "Created", json_object_new_int64(c->created_ns / 1000000000LL));
	jadd(o, "Ports", container_ports_list_json(c));
	if (json_object_object_get_ex(c->config, "Labels", &labels) && labels)
		jadd(o, "Labels", json_object_get(labels));
	else
		jadd(o, "Labels", json_object_new_object());
	jadd(o, "State", jstr(ct_status_name(c->status)));
	jadd(o, "Status", jstr(status));
	json_object *hc = json_object_new_object();
	const char *mode = "default";
	if (json_object_object_get_ex(c->host_config, "NetworkMode", &v) && v)
		mode = json_object_get_string(v);
	jadd(hc, "NetworkMode", jstr(mode));
	jadd(o, "HostConfig", hc);
	json_object *ns = json_object_new_object();
	jadd(ns, "Networks", container_networks_json(d, c));
	jadd(o, "NetworkSettings", ns);
	jadd(o, "Mounts", container_mounts_json(c));
	return o;
}

/* A running container whose monitor is gone (killed with the daemon, or
 * while it was down): take the exit status it left, or kill what remains of
 * the container (its processes are in no one's care any more) and record
 * that we lost it; the exit handling then unmounts and applies the policy. */
static void settle_lost(struct daemon *d, struct container *c)
{
	_cleanup_free_ char *p = xasprintf("%s/%s", c->run_dir, MON_EXIT_FILE);
	_cleanup_free_ char *text = NULL;
	int code = 255, oom = 0;
	long long ns = 0;

	if (file_read_all(p, 4096, &text, NULL) == 0 &&
	    sscanf(text, "%d %lld %d", &code, &ns, &oom) >= 1) {
		log_info("Container %.12s exited with %d while berthd was away", c->id, code);
	} else {
		log_warn("Container %.12s lost its monitor: killing what remains of it", c->id);
		(void)container_runtime_delete(d, c);
		code = 255;
		ns = 0;
	}
	c->mounted = true;
	container_on_exited(d, c, code, oom != 0, ns ? ns : now_unix_ns());
}

/* docker's restore: on daemon start, `always` comes back even after a user's
 * stop, `unless-stopped` unless the user stopped it, `on-failure` after a
 * failure within its retry count. Only containers that ran before. */
static bool restart_on_daemon_start(const struct container *c)
{
	json_object *rp = jget(c->host_config, "RestartPolicy");
	const char *name = rp && jget(rp, "Name") ? json_object_get_string(jget(rp, "Name")) : "no";
	int64_t max = rp && jget(rp, "MaximumRetryCount")
			      ? json_object_get_int64(jget(rp, "MaximumRetryCount"))
			      : 0;

	if (c->status != CT_EXITED || !c->has_started || c->mon)
		return false;
	if (strcmp(name, "always") == 0)
		return true;
	if (strcmp(name, "unless-stopped") == 0)
		return !c->manual_stop;
	if (strcmp(name, "on-failure") == 0)
		return c->exit_code != 0 && (max <= 0 || c->restart_count < max);
	return false;
}

static bool is_auto_remove(const struct container *c)
{
	json_object *ar = jget(c->host_config, "AutoRemove");
	return ar && json_object_get_boolean(ar);
}

/* Directories without a record are left-overs of an interrupted create (or
 * of a removal): unmount and remove them. */
static void remove_orphan_dirs(struct daemon *d, const char *root)
{
	_cleanup_free_ char *dir = xasprintf("%s/containers", root);
	_cleanup_closedir_ DIR *dh = opendir(dir);

	for (struct dirent *de; dh && (de = readdir(dh));) {
		struct container *c = NULL;
		if (de->d_name[0] == '.' || container_lookup(d, de->d_name, &c, NULL) == 0)
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
		_cleanup_free_ char *rootfs = xasprintf("%s/rootfs", p);
		log_info("Removing '%s', left over by an interrupted create or removal", p);
		(void)layer_unmount(rootfs, NULL);
		(void)rm_rf(p);
	}
}

/* The execs of a container found again: their records were in the old
 * daemon's memory, and a client still streaming one reads its exit code with
 * GET /exec/{id}/json when it ends. Rebuilt from the exec-<id>.json process
 * files (Cmd, Tty) and exec-<id>.exit, written by the monitor. */
static void restore_execs(struct container *c)
{
	_cleanup_closedir_ DIR *dh = opendir(c->run_dir);

	for (struct dirent *de; dh && (de = readdir(dh));) {
		size_t n = strlen(de->d_name);
		if (!str_has_prefix(de->d_name, MON_EXEC_EXIT_PREFIX) || n != 5 + 64 + 5 ||
		    strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		_cleanup_free_ char *path = xasprintf("%s/%s", c->run_dir, de->d_name);
		_cleanup_free_ char *text = NULL, *exit_text = NULL;
		_cleanup_json_ json_object *proc = NULL;
		if (file_read_all(path, 1 << 20, &text, NULL) < 0 ||
		    json_parse_text(text, strlen(text), 64, "exec process", &proc, NULL) < 0)
			continue;
		struct ct_exec *x = xzalloc(sizeof(*x));
		(void)snprintf(x->id, sizeof(x->id), "%.64s", de->d_name + 5);
		x->c = c;
		x->config = json_object_new_object();
		jadd(x->config, "Cmd", json_object_get(jget(proc, "args")));
		x->tty = jget(proc, "terminal") && json_object_get_boolean(jget(proc, "terminal"));
		jadd(x->config, "Tty", json_object_new_boolean(x->tty));
		x->started = true;
		x->running = true;
		_cleanup_free_ char *exit_path = xasprintf("%s/exec-%s.exit", c->run_dir, x->id);
		if (file_read_all(exit_path, 64, &exit_text, NULL) == 0 &&
		    str_to_int(strtok(exit_text, "\n"), &x->exit_code) == 0) {
			x->running = false;
			x->has_exit_code = true;
		}
		c->execs = xrealloc(c->execs, (c->n_execs + 1) * sizeof(*c->execs));
		c->execs[c->n_execs++] = x;
	}
}

void containers_restore(struct daemon *d)
{
	for (size_t i = 0; i < d->n_containers; i++) {
		struct container *c = d->containers[i];
		if (c->status == CT_REMOVING) {
			/* A removal interrupted by a crash: finish it. */
			(void)container_remove(d, c, true, is_auto_remove(c), NULL);
			i--;
			continue;
		}
		if (ct_is_running(c) || c->status == CT_RESTARTING) {
			if (mon_reconnect(d, c, NULL) == 0) {
				restore_execs(c);
				health_container_restored(d, c);
				continue;
			}
			settle_lost(d, c);
			if (i >= d->n_containers || d->containers[i] != c)
				i--; /* auto-removed */
			continue;
		}
		/* A monitor that answers although the record says stopped: berthd
		 * died while starting it. It reports its state on reconnection. */
		_cleanup_free_ char *sock = xasprintf("%s/%s", c->run_dir, MON_SOCKET);
		if (access(sock, F_OK) == 0 && mon_reconnect(d, c, NULL) == 0)
			continue;
		/* Stopped containers keep no mount. */
		container_release_rootfs(d, c);
	}
	for (size_t i = 0; i < d->n_containers; i++) {
		struct container *c = d->containers[i];
		if (restart_on_daemon_start(c)) {
			container_start(d, c, NULL);
		} else if (c->status == CT_EXITED && c->has_started && is_auto_remove(c) &&
			   !c->mon) {
			(void)container_remove(d, c, true, true, NULL); /* --rm: with its volumes */
			i--;
		}
	}
	remove_orphan_dirs(d, d->data_root);
	remove_orphan_dirs(d, d->exec_root);
}
