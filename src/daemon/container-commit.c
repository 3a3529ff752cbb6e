/* The config and the layer of a commit (see commit.h). The config follows
 * dockerd's commit: the request's Config with the --change instructions
 * applied, then every setting it leaves unset taken from the container's
 * Config (env and labels by key, ports and volumes by union, Cmd and
 * Entrypoint only when no Entrypoint is given). */
#define LOG_CATEGORY "commit"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "archive.h"
#include "changes.h"
#include "commit.h"
#include "container.h"

/* An array of strings (an empty vector for []), NULL for anything else. */
static char **json_strv(json_object *a)
{
	char **v = NULL;

	if (!a || !json_object_is_type(a, json_type_array))
		return NULL;
	v = xcalloc(1, sizeof(char *));
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(a, i));
		strv_push(&v, s ? s : "");
	}
	return v;
}

/* The keys of an object ({"80/tcp":{}}), NULL when absent or empty. */
static char **json_keys(json_object *o)
{
	char **v = NULL;

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	json_object_object_foreach (o, k, val) {
		(void)val;
		strv_push(&v, k);
	}
	return v;
}

static char *json_nonempty(json_object *o, const char *key)
{
	const char *s = json_object_get_string(jget(o, key));
	return s && *s && json_object_is_type(jget(o, key), json_type_string) ? xstrdup(s) : NULL;
}

static void add_label(struct image_config *ic, const char *k, const char *v)
{
	ic->labels = xrealloc(ic->labels, (ic->n_labels + 1) * sizeof(*ic->labels));
	ic->labels[ic->n_labels].key = xstrdup(k);
	ic->labels[ic->n_labels].value = xstrdup(v ? v : "");
	ic->n_labels++;
}

static bool has_label(const struct image_config *ic, const char *k)
{
	for (size_t i = 0; i < ic->n_labels; i++)
		if (strcmp(ic->labels[i].key, k) == 0)
			return true;
	return false;
}

/* docker's Config (API JSON) into the config part of an image config. */
static void config_from_json(struct image_config *ic, json_object *cfg)
{
	json_object *hc = jget(cfg, "Healthcheck"), *labels = jget(cfg, "Labels");

	ic->user = json_nonempty(cfg, "User");
	ic->env = json_strv(jget(cfg, "Env"));
	ic->cmd = json_strv(jget(cfg, "Cmd"));
	ic->entrypoint = json_strv(jget(cfg, "Entrypoint"));
	ic->working_dir = json_nonempty(cfg, "WorkingDir");
	ic->exposed_ports = json_keys(jget(cfg, "ExposedPorts"));
	ic->volumes = json_keys(jget(cfg, "Volumes"));
	ic->stop_signal = json_nonempty(cfg, "StopSignal");
	ic->onbuild = json_strv(jget(cfg, "OnBuild"));
	ic->shell = json_strv(jget(cfg, "Shell"));
	if (labels && json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach (labels, k, v)
			add_label(ic, k, json_object_get_string(v));
	}
	if (hc && json_object_is_type(hc, json_type_object)) {
		ic->healthcheck_test = json_strv(jget(hc, "Test"));
		ic->healthcheck_interval = json_object_get_int64(jget(hc, "Interval"));
		ic->healthcheck_timeout = json_object_get_int64(jget(hc, "Timeout"));
		ic->healthcheck_start_period = json_object_get_int64(jget(hc, "StartPeriod"));
		ic->healthcheck_start_interval = json_object_get_int64(jget(hc, "StartInterval"));
		ic->healthcheck_retries = json_object_get_int(jget(hc, "Retries"));
		if (!ic->healthcheck_test)
			ic->healthcheck_test = xcalloc(1, sizeof(char *));
	}
}

static size_t key_len(const char *e)
{
	return strcspn(e, "=");
}

static bool env_has_key(char *const *env, const char *e)
{
	for (size_t i = 0; env && env[i]; i++)
		if (key_len(env[i]) == key_len(e) && strncmp(env[i], e, key_len(e)) == 0)
			return true;
	return false;
}

static void take_strv(char ***dst, char ***src)
{
	strv_free(*dst);
	*dst = *src;
	*src = NULL;
}

static void take_str(char **dst, char **src)
{
	free(*dst);
	*dst = *src;
	*src = NULL;
}

/* dockerd's merge: what u (the request) leaves unset comes from ct (the
 * container's Config). */
static void merge(struct image_config *u, struct image_config *ct)
{
	if (!u->user)
		take_str(&u->user, &ct->user);
	if (strv_length(u->exposed_ports) == 0)
		take_strv(&u->exposed_ports, &ct->exposed_ports);
	else
		for (size_t i = 0; ct->exposed_ports && ct->exposed_ports[i]; i++)
			if (!strv_contains(u->exposed_ports, ct->exposed_ports[i]))
				strv_push(&u->exposed_ports, ct->exposed_ports[i]);
	if (strv_length(u->env) == 0)
		take_strv(&u->env, &ct->env);
	else
		for (size_t i = 0; ct->env && ct->env[i]; i++)
			if (!env_has_key(u->env, ct->env[i]))
				strv_push(&u->env, ct->env[i]);
	for (size_t i = 0; i < ct->n_labels; i++)
		if (!has_label(u, ct->labels[i].key))
			add_label(u, ct->labels[i].key, ct->labels[i].value);
	if (strv_length(u->entrypoint) == 0) {
		if (strv_length(u->cmd) == 0)
			take_strv(&u->cmd, &ct->cmd);
		if (!u->entrypoint)
			take_strv(&u->entrypoint, &ct->entrypoint);
	}
	if (ct->healthcheck_test && !u->healthcheck_test) {
		take_strv(&u->healthcheck_test, &ct->healthcheck_test);
		u->healthcheck_interval = ct->healthcheck_interval;
		u->healthcheck_timeout = ct->healthcheck_timeout;
		u->healthcheck_start_period = ct->healthcheck_start_period;
		u->healthcheck_start_interval = ct->healthcheck_start_interval;
		u->healthcheck_retries = ct->healthcheck_retries;
	} else if (ct->healthcheck_test) {
		if (strv_length(u->healthcheck_test) == 0)
			take_strv(&u->healthcheck_test, &ct->healthcheck_test);
		if (!u->healthcheck_interval)
			u->healthcheck_interval = ct->healthcheck_interval;
		if (!u->healthcheck_timeout)
			u->healthcheck_timeout = ct->healthcheck_timeout;
		if (!u->healthcheck_start_period)
			u->healthcheck_start_period = ct->healthcheck_start_period;
		if (!u->healthcheck_start_interval)
			u->healthcheck_start_interval = ct->healthcheck_start_interval;
		if (!u->healthcheck_retries)
			u->healthcheck_retries = ct->healthcheck_retries;
	}
	if (!u->working_dir)
		take_str(&u->working_dir, &ct->working_dir);
	if (strv_length(u->volumes) == 0)
		take_strv(&u->volumes, &ct->volumes);
	else
		for (size_t i = 0; ct->volumes && ct->volumes[i]; i++)
			if (!strv_contains(u->volumes, ct->volumes[i]))
				strv_push(&u->volumes, ct->volumes[i]);
	if (!u->stop_signal)
		take_str(&u->stop_signal, &ct->stop_signal);
}

/* The config part of u replaces dst's. */
static void move_config(struct image_config *dst, struct image_config *u)
{
	take_str(&dst->user, &u->user);
	take_strv(&dst->env, &u->env);
	take_strv(&dst->cmd, &u->cmd);
	take_strv(&dst->entrypoint, &u->entrypoint);
	take_str(&dst->working_dir, &u->working_dir);
	take_strv(&dst->exposed_ports, &u->exposed_ports);
	take_strv(&dst->volumes, &u->volumes);
	take_str(&dst->stop_signal, &u->stop_signal);
	take_strv(&dst->onbuild, &u->onbuild);
	take_strv(&dst->shell, &u->shell);
	take_strv(&dst->healthcheck_test, &u->healthcheck_test);
	dst->healthcheck_interval = u->healthcheck_interval;
	dst->healthcheck_timeout = u->healthcheck_timeout;
	dst->healthcheck_start_period = u->healthcheck_start_period;
	dst->healthcheck_start_interval = u->healthcheck_start_interval;
	dst->healthcheck_retries = u->healthcheck_retries;
	for (size_t i = 0; i < dst->n_labels; i++) {
		free(dst->labels[i].key);
		free(dst->labels[i].value);
	}
	free(dst->labels);
	dst->labels = u->labels;
	dst->n_labels = u->n_labels;
	u->labels = NULL;
	u->n_labels = 0;
}

static char *join_cmd(json_object *cmd)
{
	char *out = xstrdup("");

	for (size_t i = 0;
	     cmd && json_object_is_type(cmd, json_type_array) && i < json_object_array_length(cmd);
	     i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(cmd, i));
		char *n = xasprintf("%s%s%s", out, i ? " " : "", s ? s : "");
		free(out);
		out = n;
	}
	return out;
}

int commit_build_config(struct container *c, const struct image_rec *parent,
			json_object *request_config, char *const *changes, const char *author,
			const char *comment, struct image_config **ret, struct berth_error **err)
{
	_cleanup_(image_config_freep) struct image_config *u = xzalloc(sizeof(*u));
	_cleanup_(image_config_freep) struct image_config *ct = xzalloc(sizeof(*ct));
	_cleanup_(image_config_freep) struct image_config *out = NULL;
	char now[40];
	int r;

	if (request_config)
		config_from_json(u, request_config);
	if ((r = image_config_apply_changes(u, changes, err)) < 0)
		return r;
	config_from_json(ct, c->config);
	merge(u, ct);
	if ((r = image_config_parse(parent->config_json, strlen(parent->config_json), &out, err)) <
	    0)
		return r;
	move_config(out, u);
	time_format_rfc3339(now);
	free(out->created);
	out->created = xstrdup(now);
	free(out->author);
	out->author = !str_is_empty(author) ? xstrdup(author) : NULL;
	out->history = xrealloc(out->history, (out->n_history + 1) * sizeof(*out->history));
	out->history[out->n_history++] = (struct image_history){
		.created = xstrdup(now),
		.created_by = join_cmd(jget(c->config, "Cmd")),
		.author = !str_is_empty(author) ? xstrdup(author) : NULL,
		.comment = !str_is_empty(comment) ? xstrdup(comment) : NULL,
	};
	*ret = TAKE_PTR(out);
	return 0;
}

/* docker's init layer: what berth mounts over or on in every container. */
static char *const init_paths[] = {
	".dockerenv",	   "dev",      "proc", "sys", "etc/hosts", "etc/hostname",
	"etc/resolv.conf", "etc/mtab", NULL,
};

int commit_write_layer(struct tar_writer *w, void *data, struct berth_error **err)
{
	const char *upper = data;

	if (access(upper, F_OK) < 0)
		return 0;
	return tar_writer_add_tree_except(w, upper, NULL, init_paths, err);
}
