/* Image configs (OCI image config, Docker image JSON) to struct image_config.
 * Unknown keys are ignored (docker writes many we don't use: Hostname,
 * container_config, docker_version...); known keys of the wrong type are
 * refused with their JSON path. */
#define LOG_CATEGORY "image"
#include <string.h>

#include "image-internal.h"

struct image_config *image_config_free(struct image_config *c)
{
	if (!c)
		return NULL;
	free(c->architecture);
	free(c->os);
	free(c->variant);
	free(c->created);
	free(c->author);
	free(c->user);
	strv_free(c->env);
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	free(c->working_dir);
	for (size_t i = 0; i < c->n_labels; i++) {
		free(c->labels[i].key);
		free(c->labels[i].value);
	}
	free(c->labels);
	strv_free(c->exposed_ports);
	strv_free(c->volumes);
	free(c->stop_signal);
	strv_free(c->healthcheck_test);
	strv_free(c->onbuild);
	strv_free(c->shell);
	strv_free(c->diff_ids);
	for (size_t i = 0; i < c->n_history; i++) {
		free(c->history[i].created);
		free(c->history[i].created_by);
		free(c->history[i].author);
		free(c->history[i].comment);
	}
	free(c->history);
	free(c);
	return NULL;
}

static int get_str(json_object *o, const char *path, const char *key, char **ret,
		   struct berth_error **err)
{
	const char *s = NULL;
	int r = json_get_str(o, path, key, false, &s, err);

	if (r > 0) {
		free(*ret);
		*ret = xstrdup(s);
	}
	return r;
}

static int get_strv(json_object *o, const char *path, const char *key, char ***ret,
		    struct berth_error **err)
{
	int r = json_get_strv(o, path, key, false, ret, err);

	if (r > 0 && strv_length(*ret) > IMAGE_MAX_STRV) {
		_cleanup_free_ char *p = json_path_key(path, key);
		return berth_error_set(err, E2BIG, BERTH_ERR_INVALID, "%s: too many entries", p);
	}
	return r;
}

/* {"80/tcp": {}, ...} -> {"80/tcp", ...}: only the keys count. */
static int get_key_set(json_object *o, const char *path, const char *key, char ***ret,
		       struct berth_error **err)
{
	json_object *obj = NULL;
	int r = json_get_object(o, path, key, false, &obj, err);

	if (r <= 0)
		return r;
	if (json_object_object_length(obj) > IMAGE_MAX_STRV) {
		_cleanup_free_ char *p = json_path_key(path, key);
		return berth_error_set(err, E2BIG, BERTH_ERR_INVALID, "%s: too many entries", p);
	}
	_cleanup_strv_ char **v = xcalloc(1, sizeof(char *));
	json_object_object_foreach (obj, k, val) {
		(void)val;
		strv_push(&v, k);
	}
	*ret = TAKE_PTR(v);
	return 1;
}

static int parse_labels(json_object *o, const char *path, struct image_config *c,
			struct berth_error **err)
{
	json_object *obj = NULL;
	int r = json_get_object(o, path, "Labels", false, &obj, err);

	if (r <= 0)
		return r;
	_cleanup_free_ char *p = json_path_key(path, "Labels");
	size_t n = (size_t)json_object_object_length(obj);
	if (n > IMAGE_MAX_STRV)
		return berth_error_set(err, E2BIG, BERTH_ERR_INVALID, "%s: too many entries", p);
	c->labels = xcalloc(n ? n : 1, sizeof(*c->labels));
	json_object_object_foreach (obj, k, val) {
		const char *v = "";
		if ((r = json_get_str(obj, p, k, false, &v, err)) < 0)
			return r;
		(void)val;
		c->labels[c->n_labels].key = xstrdup(k);
		c->labels[c->n_labels].value = xstrdup(v);
		c->n_labels++;
	}
	return 1;
}

static int parse_healthcheck(json_object *o, const char *path, struct image_config *c,
			     struct berth_error **err)
{
	json_object *h = NULL;
	int r = json_get_object(o, path, "Healthcheck", false, &h, err);

	if (r <= 0)
		return r;
	_cleanup_free_ char *p = json_path_key(path, "Healthcheck");
	int32_t retries = 0;
	if ((r = get_strv(h, p, "Test", &c->healthcheck_test, err)) < 0 ||
	    (r = json_get_int64(h, p, "Interval", false, &c->healthcheck_interval, err)) < 0 ||
	    (r = json_get_int64(h, p, "Timeout", false, &c->healthcheck_timeout, err)) < 0 ||
	    (r = json_get_int64(h, p, "StartPeriod", false, &c->healthcheck_start_period, err)) <
		    0 ||
	    (r = json_get_int64(h, p, "StartInterval", false, &c->healthcheck_start_interval,
				err)) < 0 ||
	    (r = json_get_int32(h, p, "Retries", false, &retries, err)) < 0)
		return r;
	c->healthcheck_retries = retries;
	return 1;
}

static int parse_run_config(json_object *root, struct image_config *c, struct berth_error **err)
{
	json_object *o = NULL;
	const char *p = "config";
	int r = json_get_object(root, "", "config", false, &o, err);

	if (r <= 0)
		return r;
	if ((r = get_str(o, p, "User", &c->user, err)) < 0 ||
	    (r = get_strv(o, p, "Env", &c->env, err)) < 0 ||
	    (r = get_strv(o, p, "Entrypoint", &c->entrypoint, err)) < 0 ||
	    (r = get_strv(o, p, "Cmd", &c->cmd, err)) < 0 ||
	    (r = get_str(o, p, "WorkingDir", &c->working_dir, err)) < 0 ||
	    (r = parse_labels(o, p, c, err)) < 0 ||
	    (r = get_key_set(o, p, "ExposedPorts", &c->exposed_ports, err)) < 0 ||
	    (r = get_key_set(o, p, "Volumes", &c->volumes, err)) < 0 ||
	    (r = get_str(o, p, "StopSignal", &c->stop_signal, err)) < 0 ||
	    (r = parse_healthcheck(o, p, c, err)) < 0 ||
	    (r = get_strv(o, p, "OnBuild", &c->onbuild, err)) < 0 ||
	    (r = get_strv(o, p, "Shell", &c->shell, err)) < 0)
		return r;
	return 0;
}

static int parse_rootfs(json_object *root, struct image_config *c, struct berth_error **err)
{
	json_object *o = NULL;
	const char *type = NULL;
	int r = json_get_object(root, "", "rootfs", false, &o, err);

	if (r <= 0)
		return r;
	if ((r = json_get_str(o, "rootfs", "type", true, &type, err)) < 0)
		return r;
	if (strcmp(type, "layers") != 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "rootfs.type: expected \"layers\", got '%s'", type);
	if ((r = json_get_strv(o, "rootfs", "diff_ids", false, &c->diff_ids, err)) < 0)
		return r;
	c->n_diff_ids = strv_length(c->diff_ids);
	if (c->n_diff_ids > IMAGE_MAX_LAYERS)
		return berth_error_set(err, E2BIG, BERTH_ERR_INVALID,
				       "rootfs.diff_ids: more than %d layers", IMAGE_MAX_LAYERS);
	for (size_t i = 0; i < c->n_diff_ids; i++)
		if (!digest_is_valid(c->diff_ids[i]))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "rootfs.diff_ids[%zu]: invalid digest '%s'", i,
					       c->diff_ids[i]);
	return 0;
}

static int parse_history(json_object *root, struct image_config *c, struct berth_error **err)
{
	json_object *arr = NULL;
	int r = json_get_array(root, "", "history", false, &arr, err);

	if (r <= 0)
		return r;
	size_t n = json_object_array_length(arr);
	if (n > IMAGE_MAX_HISTORY)
		return berth_error_set(err, E2BIG, BERTH_ERR_INVALID,
				       "history: more than %d entries", IMAGE_MAX_HISTORY);
	c->history = xcalloc(n ? n : 1, sizeof(*c->history));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *p = json_path_index("history", i);
		struct image_history *h = &c->history[c->n_history++];
		if (!e || !json_object_is_type(e, json_type_object))
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: expected an object",
					       p);
		if ((r = get_str(e, p, "created", &h->created, err)) < 0 ||
		    (r = get_str(e, p, "created_by", &h->created_by, err)) < 0 ||
		    (r = get_str(e, p, "author", &h->author, err)) < 0 ||
		    (r = get_str(e, p, "comment", &h->comment, err)) < 0 ||
		    (r = json_get_bool(e, p, "empty_layer", &h->empty_layer, err)) < 0)
			return r;
	}
	return 0;
}

int image_config_parse(const char *json, size_t len, struct image_config **ret,
		       struct berth_error **err)
{
	_cleanup_json_ json_object *root = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	int r;

	if (len > IMAGE_CONFIG_MAX)
		return berth_error_set(err, EFBIG, BERTH_ERR_INVALID, "image config: too large");
	if ((r = json_parse_text(json, len, IMAGE_JSON_DEPTH, "image config", &root, err)) < 0)
		return r;
	if (!json_object_is_type(root, json_type_object))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "image config: expected an object");
	c = xzalloc(sizeof(*c));
	if ((r = get_str(root, "", "architecture", &c->architecture, err)) < 0 ||
	    (r = get_str(root, "", "os", &c->os, err)) < 0 ||
	    (r = get_str(root, "", "variant", &c->variant, err)) < 0 ||
	    (r = get_str(root, "", "created", &c->created, err)) < 0 ||
	    (r = get_str(root, "", "author", &c->author, err)) < 0 ||
	    (r = parse_run_config(root, c, err)) < 0 || (r = parse_rootfs(root, c, err)) < 0 ||
	    (r = parse_history(root, c, err)) < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}
