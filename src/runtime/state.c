/* Container state directories: <root>/<id>/{state.json,config.json,exec.fifo}. */
#define LOG_CATEGORY "state"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "json-util.h"
#include "runtime-internal.h"

static const char *const status_names[RT_STATUS_MAX] = {
	[RT_STATUS_CREATING] = "creating", [RT_STATUS_CREATED] = "created",
	[RT_STATUS_RUNNING] = "running",   [RT_STATUS_PAUSED] = "paused",
	[RT_STATUS_STOPPED] = "stopped",
};

const char *rt_status_name(enum rt_status st)
{
	return st < RT_STATUS_MAX ? status_names[st] : "unknown";
}

int rt_id_validate(const char *id, struct berth_error **err)
{
	size_t len = id ? strlen(id) : 0;

	if (len == 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "container id cannot be empty");
	if (len > RT_ID_MAX || id[0] == '.' ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.") != len)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "invalid container id '%s': use letters, digits, '_', '+', "
				       "'-' and '.'",
				       id);
	return 0;
}

char *state_dir_path(const struct rt_context *ctx, const char *id)
{
	return xasprintf("%s/%s", ctx->root, id);
}

struct rt_state *state_free(struct rt_state *s)
{
	if (!s)
		return NULL;
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	free(s->cgroup_path);
	free(s->created);
	for (size_t i = 0; i < s->n_annotations; i++) {
		free(s->annotations[i].key);
		free(s->annotations[i].value);
	}
	free(s->annotations);
	free(s);
	return NULL;
}

uint64_t proc_start_time(pid_t pid)
{
	char path[64];
	_cleanup_free_ char *buf = NULL;

	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (file_read_all(path, 4096, &buf, NULL) < 0)
		return 0;
	/* The command name may hold spaces and parentheses: fields start after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	char state = p[2];
	if (state == 'Z' || state == 'X')
		return 0;
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return 0;
	return strtoull(p, NULL, 10);
}

int state_save(const char *dir, const struct rt_state *s, struct berth_error **err)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *ann = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(s->id));
	json_object_object_add(o, "pid", json_object_new_int(s->pid));
	json_object_object_add(o, "start_time", json_object_new_uint64(s->start_time));
	json_object_object_add(o, "bundle", json_object_new_string(s->bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(s->rootfs ? s->rootfs : ""));
	json_object_object_add(o, "cgroup_path", json_object_new_string(s->cgroup_path));
	json_object_object_add(o, "created", json_object_new_string(s->created));
	json_object_object_add(o, "own_pidns", json_object_new_boolean(s->own_pidns));
	for (size_t i = 0; i < s->n_annotations; i++)
		json_object_object_add(ann, s->annotations[i].key,
				       json_object_new_string(s->annotations[i].value));
	json_object_object_add(o, "annotations", ann);

	size_t len = 0;
	const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, RT_STATE_FILE);
	int r = file_write_replace(path, text, len, 0600);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write '%s'", path);
	return 0;
}

int state_load(const struct rt_context *ctx, const char *id, struct rt_state **ret,
	       struct berth_error **err)
{
	_cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
	_cleanup_json_ json_object *o = NULL;
	_cleanup_state_ struct rt_state *s = xzalloc(sizeof(*s));
	json_object *ann = NULL;
	const char *str;
	int64_t pid = 0;
	size_t len = 0;
	int r;

	if ((r = rt_id_validate(id, err)) < 0)
		return r;
	dir = state_dir_path(ctx, id);
	path = xasprintf("%s/%s", dir, RT_STATE_FILE);
	r = file_read_all(path, 1 << 20, &text, &len);
	if (r == -ENOENT)
		return berth_error_set(err, ENOENT, BERTH_ERR_NOT_FOUND,
				       "container '%s' does not exist", id);
	if (r < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "read '%s'", path);
	if ((r = json_parse_text(text, len, 8, path, &o, err)) < 0)
		return r;
	s->id = xstrdup(id);
#define GET_STR(key, field)                                                                        \
	do {                                                                                       \
		str = NULL;                                                                        \
		if ((r = json_get_str(o, RT_STATE_FILE, key, true, &str, err)) < 0)                \
			return r;                                                                  \
		s->field = xstrdup(str);                                                           \
	} while (0)
	GET_STR("bundle", bundle);
	GET_STR("rootfs", rootfs);
	GET_STR("cgroup_path", cgroup_path);
	GET_STR("created", created);
#undef GET_STR
	if ((r = json_get_int64(o, RT_STATE_FILE, "pid", true, &pid, err)) < 0 ||
	    (r = json_get_uint64(o, RT_STATE_FILE, "start_time", true, &s->start_time, err)) < 0 ||
	    (r = json_get_bool(o, RT_STATE_FILE, "own_pidns", &s->own_pidns, err)) < 0 ||
	    (r = json_get_object(o, RT_STATE_FILE, "annotations", false, &ann, err)) < 0)
		return r;
	s->pid = (pid_t)pid;
	if (ann) {
		s->annotations =
			xcalloc((size_t)json_object_object_length(ann) + 1, sizeof(struct rt_kv));
		json_object_object_foreach (ann, k, v) {
			s->annotations[s->n_annotations].key = xstrdup(k);
			s->annotations[s->n_annotations].value = xstrdup(json_object_get_string(v));
			s->n_annotations++;
		}
	}
	*ret = TAKE_PTR(s);
	return 0;
}

int state_load_spec(const struct rt_context *ctx, const char *id, struct rt_spec **ret,
		    struct berth_error **err)
{
	_cleanup_free_ char *dir = state_dir_path(ctx, id);
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, RT_CONFIG_FILE);
	_cleanup_free_ char *text = NULL;
	_cleanup_state_ struct rt_state *s = NULL;
	size_t len = 0;
	int r;

	if ((r = state_load(ctx, id, &s, err)) < 0)
		return r;
	if ((r = file_read_all(path, SPEC_MAX_BYTES, &text, &len)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "read '%s'", path);
	return spec_parse(text, len, s->bundle, ret, err);
}

enum rt_status state_status(const struct rt_context *ctx, const struct rt_state *s)
{
	if (s->pid <= 0 || proc_start_time(s->pid) != s->start_time)
		return RT_STATUS_STOPPED;

	_cleanup_free_ char *dir = state_dir_path(ctx, s->id);
	_cleanup_free_ char *fifo = xasprintf("%s/%s", dir, RT_EXEC_FIFO);
	if (access(fifo, F_OK) == 0)
		return RT_STATUS_CREATED;

	_cleanup_(cgroup_freep) struct rt_cgroup *cg = NULL;
	bool frozen = false;
	if (cgroup_from_path(s->cgroup_path, &cg, NULL) == 0 &&
	    cgroup_is_frozen(cg, &frozen, NULL) == 0 && frozen)
		return RT_STATUS_PAUSED;
	return RT_STATUS_RUNNING;
}

char *state_oci_json(const struct rt_state *s, enum rt_status st)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *ann = json_object_new_object();

	json_object_object_add(o, "ociVersion", json_object_new_string("1.2.0"));
	json_object_object_add(o, "id", json_object_new_string(s->id));
	json_object_object_add(o, "status", json_object_new_string(rt_status_name(st)));
	json_object_object_add(o, "pid", json_object_new_int(st == RT_STATUS_STOPPED ? 0 : s->pid));
	json_object_object_add(o, "bundle", json_object_new_string(s->bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(s->rootfs ? s->rootfs : ""));
	json_object_object_add(o, "created", json_object_new_string(s->created));
	json_object_object_add(o, "owner", json_object_new_string(""));
	for (size_t i = 0; i < s->n_annotations; i++)
		json_object_object_add(ann, s->annotations[i].key,
				       json_object_new_string(s->annotations[i].value));
	json_object_object_add(o, "annotations", ann);
	return xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
}
