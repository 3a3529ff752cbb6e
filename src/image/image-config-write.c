/* struct image_config to JSON, in the shape docker writes image configs:
 * top-level keys sorted (docker re-marshals the image through a map), the run
 * config in docker's container.Config field order with empty fields left out,
 * map keys (Labels, ExposedPorts, Volumes) sorted as Go sorts them. */
#define LOG_CATEGORY "image"
#include <string.h>

#include "image-internal.h"

static void add(json_object *o, const char *key, json_object *v)
{
	if (v)
		json_object_object_add(o, key, v);
}

static json_object *str_or_null(const char *s)
{
	return s && *s ? json_object_new_string(s) : NULL;
}

static json_object *strv_json(char *const *v)
{
	if (!v)
		return NULL;
	json_object *a = json_object_new_array();
	for (size_t i = 0; v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* {"k": {}} for each key, sorted. */
static json_object *key_set_json(char *const *keys)
{
	if (!keys || !keys[0])
		return NULL;
	_cleanup_strv_ char **sorted = strv_copy(keys);
	qsort(sorted, strv_length(sorted), sizeof(char *), cmp_str);
	json_object *o = json_object_new_object();
	for (size_t i = 0; sorted[i]; i++)
		json_object_object_add(o, sorted[i], json_object_new_object());
	return o;
}

static json_object *labels_json(const struct image_config *c)
{
	if (!c->n_labels)
		return NULL;
	_cleanup_free_ char **keys = xcalloc(c->n_labels, sizeof(char *));
	for (size_t i = 0; i < c->n_labels; i++)
		keys[i] = c->labels[i].key;
	qsort(keys, c->n_labels, sizeof(char *), cmp_str);
	json_object *o = json_object_new_object();
	for (size_t i = 0; i < c->n_labels; i++) {
		/* The last value of a repeated key wins, as in a Go map. */
		const char *value = "";
		for (size_t k = 0; k < c->n_labels; k++)
			if (strcmp(c->labels[k].key, keys[i]) == 0)
				value = c->labels[k].value ? c->labels[k].value : "";
		json_object_object_add(o, keys[i], json_object_new_string(value));
	}
	return o;
}

static json_object *healthcheck_json(const struct image_config *c)
{
	if (!c->healthcheck_test)
		return NULL;
	json_object *h = json_object_new_object();
	add(h, "Test", strv_json(c->healthcheck_test));
	if (c->healthcheck_interval)
		add(h, "Interval", json_object_new_int64(c->healthcheck_interval));
	if (c->healthcheck_timeout)
		add(h, "Timeout", json_object_new_int64(c->healthcheck_timeout));
	if (c->healthcheck_start_period)
		add(h, "StartPeriod", json_object_new_int64(c->healthcheck_start_period));
	if (c->healthcheck_start_interval)
		add(h, "StartInterval", json_object_new_int64(c->healthcheck_start_interval));
	if (c->healthcheck_retries)
		add(h, "Retries", json_object_new_int(c->healthcheck_retries));
	return h;
}

static json_object *run_config_json(const struct image_config *c)
{
	json_object *o = json_object_new_object();

	add(o, "User", str_or_null(c->user));
	add(o, "ExposedPorts", key_set_json(c->exposed_ports));
	add(o, "Env", strv_json(c->env));
	add(o, "Cmd", strv_json(c->cmd));
	add(o, "Healthcheck", healthcheck_json(c));
	add(o, "Volumes", key_set_json(c->volumes));
	add(o, "WorkingDir", str_or_null(c->working_dir));
	add(o, "Entrypoint", strv_json(c->entrypoint));
	add(o, "OnBuild", strv_json(c->onbuild));
	add(o, "Labels", labels_json(c));
	add(o, "StopSignal", str_or_null(c->stop_signal));
	add(o, "Shell", strv_json(c->shell));
	return o;
}

static json_object *history_json(const struct image_config *c)
{
	if (!c->n_history)
		return NULL;
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < c->n_history; i++) {
		const struct image_history *h = &c->history[i];
		json_object *e = json_object_new_object();
		add(e, "created", str_or_null(h->created));
		add(e, "created_by", str_or_null(h->created_by));
		add(e, "author", str_or_null(h->author));
		add(e, "comment", str_or_null(h->comment));
		if (h->empty_layer)
			add(e, "empty_layer", json_object_new_boolean(1));
		json_object_array_add(a, e);
	}
	return a;
}

static json_object *rootfs_json(const struct image_config *c)
{
	json_object *o = json_object_new_object();
	json_object *ids = json_object_new_array();

	for (size_t i = 0; i < c->n_diff_ids; i++)
		json_object_array_add(ids, json_object_new_string(c->diff_ids[i]));
	add(o, "type", json_object_new_string("layers"));
	add(o, "diff_ids", ids);
	return o;
}

char *image_config_to_json(const struct image_config *c)
{
	_cleanup_json_ json_object *o = json_object_new_object();

	add(o, "architecture", str_or_null(c->architecture));
	add(o, "author", str_or_null(c->author));
	add(o, "config", run_config_json(c));
	add(o, "created", str_or_null(c->created));
	add(o, "history", history_json(c));
	add(o, "os", str_or_null(c->os));
	add(o, "rootfs", rootfs_json(c));
	add(o, "variant", str_or_null(c->variant));
	return xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
}
