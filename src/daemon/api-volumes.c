/* Volume endpoints of the Engine API: list, create, inspect, remove, prune,
 * in dockerd's shapes and words. */
#define LOG_CATEGORY "api"
#include <string.h>

#include "api.h"
#include "container.h"
#include "volumes.h"

struct vol_filter {
	int dangling; /* -1: any */
	char **names, **drivers, **labels, **not_labels;
	bool all; /* prune: named volumes too */
};

static int bool_value(const char *key, char **vals, int *ret, struct berth_error **err)
{
	*ret = -1;
	for (size_t i = 0; vals && vals[i]; i++) {
		const char *v = vals[i];
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			*ret = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			*ret = 0;
		else
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid filter '%s=%s'",
					       key, v);
	}
	return 0;
}

static int filter_parse(const struct api_filters *f, struct vol_filter *ret,
			struct berth_error **err)
{
	int all = -1, r;

	*ret = (struct vol_filter){ .dangling = -1 };
	if ((r = bool_value("dangling", api_filters_get(f, "dangling"), &ret->dangling, err)) < 0 ||
	    (r = bool_value("all", api_filters_get(f, "all"), &all, err)) < 0)
		return r;
	ret->all = all == 1;
	ret->names = api_filters_get(f, "name");
	ret->drivers = api_filters_get(f, "driver");
	ret->labels = api_filters_get(f, "label");
	ret->not_labels = api_filters_get(f, "label!");
	return 0;
}

static bool filter_match(struct daemon *d, const struct vol_filter *flt, const struct volume *v)
{
	if (flt->names && !api_filter_regex_any(flt->names, v->name))
		return false;
	if (flt->drivers && !api_filter_regex_any(flt->drivers, "local"))
		return false;
	if (flt->labels && !api_labels_match(flt->labels, v->labels))
		return false;
	if (flt->not_labels && api_labels_match(flt->not_labels, v->labels))
		return false;
	if (flt->dangling >= 0) {
		_cleanup_strv_ char **users = volume_users(d, v->name);
		if ((users == NULL) != (flt->dangling == 1))
			return false;
	}
	return true;
}

static void volumes_list(struct daemon *d, struct http_request *req)
{
	static const char *const allowed[] = {
		"dangling", "name", "driver", "label", "label!", NULL
	};
	_cleanup_error_ struct berth_error *err = NULL;
	struct api_filters f;
	struct vol_filter flt;
	size_t n;

	if (api_filters_parse(req, allowed, &f, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	if (filter_parse(&f, &flt, &err) < 0) {
		api_filters_free(&f);
		api_respond_error(req, err);
		return;
	}
	struct volume **all = volumes_all(&n);
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		if (filter_match(d, &flt, all[i]))
			json_object_array_add(a, volume_json(d, all[i], false));
	api_filters_free(&f);
	jadd(o, "Volumes", a);
	jadd(o, "Warnings", NULL);
	http_respond_json(req, 200, o);
}

static int check_string_map(json_object *o, const char *what, struct berth_error **err)
{
	if (!o)
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: an object is expected",
				       what);
	json_object_object_foreach (o, k, v) {
		if (!json_object_is_type(v, json_type_string))
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "%s.%s: a string is expected", what, k);
	}
	return 0;
}

static void volume_create_handler(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *body = NULL;
	const char *name = NULL, *driver = NULL;
	json_object *opts = NULL, *labels = NULL;
	struct volume *v = NULL;

	if (http_request_body_json(req, &body, &err) < 0 ||
	    (!json_object_is_type(body, json_type_object) &&
	     berth_error_set(&err, 0, BERTH_ERR_INVALID, "a JSON object is expected") < 0) ||
	    json_get_str(body, "", "Name", false, &name, &err) < 0 ||
	    json_get_str(body, "", "Driver", false, &driver, &err) < 0 ||
	    check_string_map((opts = jget(body, "DriverOpts")), "DriverOpts", &err) < 0 ||
	    check_string_map((labels = jget(body, "Labels")), "Labels", &err) < 0 ||
	    volume_create(d, name, driver, opts, labels, false, &v, NULL, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	_cleanup_json_ json_object *o = volume_json(d, v, false);
	http_respond_json(req, 201, o);
}

static void volume_inspect(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct volume *v = NULL;

	if (volume_get(http_request_param(req, "name"), &v, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	_cleanup_json_ json_object *o = volume_json(d, v, false);
	http_respond_json(req, 200, o);
}

static void volume_delete(struct daemon *d, struct http_request *req)
{
	_cleanup_error_ struct berth_error *err = NULL;
	bool force = http_request_query_bool(req, "force", false);
	struct volume *v = NULL;

	if (volume_get(http_request_param(req, "name"), &v, &err) < 0 && force) {
		http_respond(req, 204, NULL, NULL, 0);
		return;
	}
	if (!v || volume_remove(d, v, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	http_respond(req, 204, NULL, NULL, 0);
}

static void volumes_prune(struct daemon *d, struct http_request *req)
{
	static const char *const allowed[] = { "label", "label!", "all", NULL };
	_cleanup_error_ struct berth_error *err = NULL;
	struct api_filters f;
	struct vol_filter flt;
	int64_t reclaimed = 0;
	size_t n;

	if (api_filters_parse(req, allowed, &f, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	if (filter_parse(&f, &flt, &err) < 0) {
		api_filters_free(&f);
		api_respond_error(req, err);
		return;
	}
	/* API < 1.42 pruned named volumes too. */
	unsigned api = http_request_api_version(req);
	if (api && api < 142)
		flt.all = true;
	flt.dangling = 1;
	json_object *deleted = json_object_new_array();
	_cleanup_strv_ char **names = NULL;
	struct volume **all = volumes_all(&n);
	for (size_t i = 0; i < n; i++)
		if ((flt.all || all[i]->anonymous) && filter_match(d, &flt, all[i]))
			strv_push(&names, all[i]->name);
	api_filters_free(&f);
	for (size_t i = 0; names && names[i]; i++) {
		struct volume *v = NULL;
		_cleanup_error_ struct berth_error *e = NULL;
		if (volume_get(names[i], &v, NULL) < 0)
			continue;
		int64_t size = volume_size(v);
		if (volume_remove(d, v, &e) < 0) {
			log_warn("Prune: volume '%s': %s, ignoring", names[i], e->msg);
			continue;
		}
		reclaimed += size;
		json_object_array_add(deleted, jstr(names[i]));
	}
	if (json_object_array_length(deleted) == 0) {
		json_object_put(deleted);
		deleted = NULL;
	}
	_cleanup_json_ json_object *o = json_object_new_object();
	jadd(o, "VolumesDeleted", deleted);
	jadd(o, "SpaceReclaimed", json_object_new_int64(reclaimed));
	api_prune_event(d, "volume", reclaimed);
	http_respond_json(req, 200, o);
}

void api_volumes_register(struct daemon *d, struct http_router *r)
{
	(void)d;
	api_add(r, "GET", "/volumes", 0, volumes_list);
	api_add(r, "POST", "/volumes/create", 0, volume_create_handler);
	api_add(r, "POST", "/volumes/prune", 0, volumes_prune);
	api_add(r, "GET", "/volumes/{name}", 0, volume_inspect);
	api_add(r, "DELETE", "/volumes/{name}", 0, volume_delete);
}
