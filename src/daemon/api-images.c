/* Image endpoints: list, inspect, history, tag, remove, load, save, import, prune. */
#define LOG_CATEGORY "api"
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api.h"
#include "body-file.h"
#include "changes.h"
#include "container.h"
#include "image-json.h"
#include "images-io.h"

#define LOAD_MAX_BYTES (64ULL << 30)

static int containers_using(struct daemon *d, const struct image_rec *img)
{
	int n = 0;
	for (size_t i = 0; i < d->n_containers; i++)
		n += d->containers[i]->image_id && strcmp(d->containers[i]->image_id, img->id) == 0;
	return n;
}

static bool image_matches_reference(const struct image_rec *img, char *const *patterns)
{
	for (size_t p = 0; patterns && patterns[p]; p++) {
		for (size_t i = 0; img->tags && img->tags[i]; i++) {
			_cleanup_free_ char *f = image_familiar_tag(img->tags[i]);
			_cleanup_free_ char *repo = xstrndup(f, strcspn(f, ":@"));
			if (fnmatch(patterns[p], f, 0) == 0 || fnmatch(patterns[p], repo, 0) == 0)
				return true;
		}
	}
	return !patterns;
}

static void images_list(struct daemon *d, struct http_request *req)
{
	static const char *const allowed[] = { "dangling", "reference", "label", "before",
					       "since",	   "until",	NULL };
	_cleanup_error_ struct berth_error *err = NULL;
	struct api_filters f;

	if (api_filters_parse(req, allowed, &f, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	char **dangling = api_filters_get(&f, "dangling");
	char **labels = api_filters_get(&f, "label");
	_cleanup_json_ json_object *a = json_object_new_array();
	for (size_t i = 0; i < d->n_images; i++) {
		struct image_rec *img = d->images[i];
		bool is_dangling = !img->tags || !img->tags[0];
		if (dangling && strcmp(dangling[0], "true") == 0 && !is_dangling)
			continue;
		if (dangling && strcmp(dangling[0], "false") == 0 && is_dangling)
			continue;
		if (!image_matches_reference(img, api_filters_get(&f, "reference")))
			continue;
		json_object *summary = image_summary_json(img, containers_using(d, img));
		json_object *lj = NULL;
		json_object_object_get_ex(summary, "Labels", &lj);
		if (labels && !api_labels_match(labels, lj)) {
			json_object_put(summary);
			continue;
		}
		json_object_array_add(a, summary);
	}
	api_filters_free(&f);
	http_respond_json(req, 200, a);
}

static void image_delete(struct daemon *d, struct http_request *req, const char *name)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_rec *img = NULL;
	bool force = http_request_query_bool(req, "force", false);
	_cleanup_json_ json_object *out = json_object_new_array();

	if (image_lookup(d, name, &img, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_free_ char *full = NULL;
	if (!image_is_id_like(name) || strchr(name, ':') || strchr(name, '/'))
		if (image_ref_parse(name, &ref, NULL) == 0)
			full = image_ref_string(ref);
	bool by_tag = full && strv_contains(img->tags, full);
	/* A tag among several: only untag. */
	if (by_tag && strv_length(img->tags) > 1) {
		if (db_tag_delete(d->db, full, &err) < 0) {
			api_respond_error(req, err);
			return;
		}
		json_object *e = json_object_new_object();
		_cleanup_free_ char *fam = image_familiar_tag(full);
		jadd(e, "Untagged", jstr(fam));
		json_object_array_add(out, e);
		for (size_t i = 0; img->tags[i]; i++) {
			if (strcmp(img->tags[i], full) == 0) {
				free(img->tags[i]);
				memmove(&img->tags[i], &img->tags[i + 1],
					strv_length(&img->tags[i + 1]) * sizeof(char *) +
						sizeof(char *));
				break;
			}
		}
		http_respond_json(req, 200, out);
		return;
	}
	if (!by_tag && strv_length(img->tags) > 1 && !force) {
		http_respond_error(req, 409,
				   "conflict: unable to delete %.12s (must be forced) - image is "
				   "referenced in multiple repositories",
				   img->id + 7);
		return;
	}
	for (size_t i = 0; i < d->n_containers; i++) {
		struct container *c = d->containers[i];
		if (!c->image_id || strcmp(c->image_id, img->id) != 0)
			continue;
		if (!force || ct_is_running(c)) {
			http_respond_error(
				req, 409,
				"conflict: unable to %s %s (%s) - image is being used by "
				"%s container %.12s",
				by_tag ? "remove repository reference" : "delete",
				by_tag ? name : img->id + 7,
				force ? "cannot be forced" : "must be forced",
				ct_is_running(c) ? "running" : "stopped", c->id);
			return;
		}
	}
	for (size_t i = 0; img->tags && img->tags[i]; i++) {
		json_object *e = json_object_new_object();
		_cleanup_free_ char *fam = image_familiar_tag(img->tags[i]);
		jadd(e, "Untagged", jstr(fam));
		json_object_array_add(out, e);
	}
	json_object *e = json_object_new_object();
	jadd(e, "Deleted", jstr(img->id));
	json_object_array_add(out, e);
	if (image_remove(d, img, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	http_respond_json(req, 200, out);
}

static void image_tag_handler(struct daemon *d, struct http_request *req, const char *name)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_rec *img = NULL;
	const char *repo = http_request_query(req, "repo");
	const char *tag = http_request_query(req, "tag");

	if (image_lookup(d, name, &img, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	if (str_is_empty(repo)) {
		http_respond_error(req, 400, "repository name must have at least one component");
		return;
	}
	_cleanup_free_ char *text = tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	if (image_ref_parse(text, &ref, &err) < 0 || ref->digest) {
		http_respond_error(req, 400, "invalid reference format");
		return;
	}
	_cleanup_free_ char *full = image_ref_string(ref);
	if (image_tag(d, img, full, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	http_respond(req, 201, NULL, NULL, 0);
}

/* GET|POST|DELETE /images/{name*}: the last segment names the operation. */
static void images_dispatch(struct daemon *d, struct http_request *req)
{
	const char *method = http_request_method(req);
	_cleanup_free_ char *name = xstrdup(http_request_param(req, "name"));
	char *slash = strrchr(name, '/');
	const char *op = slash ? slash + 1 : "";
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_rec *img = NULL;

	if (strcmp(method, "DELETE") == 0) {
		image_delete(d, req, name);
		return;
	}
	if (!slash) {
		if (strcmp(name, "search") == 0)
			http_respond_error(req, 501, "berth: 'search' is not supported yet");
		else
			http_respond_error(req, 404, "page not found");
		return;
	}
	*slash = '\0';
	if (strcmp(method, "POST") == 0 && strcmp(op, "tag") == 0) {
		image_tag_handler(d, req, name);
		return;
	}
	if (strcmp(method, "POST") == 0 && strcmp(op, "push") == 0) {
		http_respond_error(req, 501, "berth: 'push' is not supported yet");
		return;
	}
	if (strcmp(op, "get") == 0) {
		images_save(d, req, (char *[]){ name, NULL });
		return;
	}
	if (strcmp(op, "json") != 0 && strcmp(op, "history") != 0) {
		http_respond_error(req, 404, "page not found");
		return;
	}
	if (image_lookup(d, name, &img, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	_cleanup_json_ json_object *o =
		strcmp(op, "json") == 0 ? image_inspect_json(d, img) : image_history_json(img);
	http_respond_json(req, 200, o);
}

static void images_get(struct daemon *d, struct http_request *req)
{
	_cleanup_strv_ char **names = http_request_query_all(req, "names");
	if (!names || !names[0]) {
		http_respond_error(req, 400, "no images given to save");
		return;
	}
	images_save(d, req, names);
}

static void images_prune(struct daemon *d, struct http_request *req)
{
	static const char *const allowed[] = { "dangling", "label", "until", NULL };
	_cleanup_error_ struct berth_error *err = NULL;
	struct api_filters f;

	if (api_filters_parse(req, allowed, &f, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	char **dangling = api_filters_get(&f, "dangling");
	bool all = dangling && strcmp(dangling[0], "false") == 0;
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *deleted = json_object_new_array();
	uint64_t reclaimed = 0;
	for (size_t i = d->n_images; i > 0; i--) {
		struct image_rec *img = d->images[i - 1];
		if ((!all && img->tags && img->tags[0]) || containers_using(d, img) > 0)
			continue;
		for (size_t t = 0; img->tags && img->tags[t]; t++) {
			json_object *e = json_object_new_object();
			_cleanup_free_ char *fam = image_familiar_tag(img->tags[t]);
			jadd(e, "Untagged", jstr(fam));
			json_object_array_add(deleted, e);
		}
		json_object *e = json_object_new_object();
		jadd(e, "Deleted", jstr(img->id));
		json_object_array_add(deleted, e);
		reclaimed += img->size;
		(void)image_remove(d, img, NULL);
	}
	api_filters_free(&f);
	jadd(o, "ImagesDeleted", deleted);
	jadd(o, "SpaceReclaimed", json_object_new_int64((int64_t)reclaimed));
	http_respond_json(req, 200, o);
}

void api_images_register(struct daemon *d, struct http_router *r)
{
	(void)d;
	api_add(r, "GET", "/images/json", 0, images_list);
	api_add(r, "POST", "/images/load", HTTP_ROUTE_STREAM_BODY, images_load);
	api_add(r, "GET", "/images/get", 0, images_get);
	api_add(r, "POST", "/images/create", HTTP_ROUTE_STREAM_BODY, images_create);
	api_add(r, "POST", "/images/prune", 0, images_prune);
	api_add(r, "GET", "/images/{name*}", 0, images_dispatch);
	api_add(r, "POST", "/images/{name*}", 0, images_dispatch);
	api_add(r, "DELETE", "/images/{name*}", 0, images_dispatch);
}
