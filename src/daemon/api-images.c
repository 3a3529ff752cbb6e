/* Image endpoints: list, inspect, history, tag, remove, load, save, import, prune. */
#define LOG_CATEGORY "api"
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "body-file.h"
#include "changes.h"
#include "container.h"
#include "image-json.h"
#include "images-io.h"

#define LOAD_MAX_BYTES (64ULL << 30)

static void add_record(json_object *out, const char *key, const char *value)
{
	json_object *e = json_object_new_object();
	jadd(e, key, jstr(value));
	json_object_array_add(out, e);
}

static int containers_using(struct daemon *d, const struct image_rec *img)
{
	int n = 0;
	for (size_t i = 0; i < d->n_containers; i++)
		n += d->containers[i]->image_id && strcmp(d->containers[i]->image_id, img->id) == 0;
	return n;
}

/* A familiar reference ("busybox:latest", "a/b@sha256:...") against the
 * patterns of a reference filter: the whole of it or its repository. */
static bool ref_matches(const char *familiar, char *const *patterns)
{
	_cleanup_free_ char *repo = xstrndup(familiar, strcspn(familiar, "@"));
	char *colon = strrchr(repo, ':');
	if (colon && !strchr(colon, '/'))
		*colon = '\0';
	for (size_t p = 0; patterns && patterns[p]; p++)
		if (fnmatch(patterns[p], familiar, 0) == 0 || fnmatch(patterns[p], repo, 0) == 0)
			return true;
	return false;
}

static bool image_matches_reference(const struct image_rec *img, char *const *patterns)
{
	for (size_t i = 0; patterns && img->tags && img->tags[i]; i++) {
		_cleanup_free_ char *f = image_familiar_tag(img->tags[i]);
		if (ref_matches(f, patterns))
			return true;
	}
	return !patterns;
}

/* As dockerd: with a reference filter, an image lists only the names that
 * match it. */
static void keep_matching_refs(json_object *summary, const char *key, char *const *patterns)
{
	json_object *a = NULL, *kept = json_object_new_array();

	if (!json_object_object_get_ex(summary, key, &a) ||
	    !json_object_is_type(a, json_type_array)) {
		json_object_put(kept);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *v = json_object_array_get_idx(a, i);
		_cleanup_free_ char *f = image_familiar_tag(json_object_get_string(v));
		if (ref_matches(f, patterns))
			json_object_array_add(kept, json_object_get(v));
	}
	jadd(summary, key, kept);
}

static bool image_labels_match(const struct image_rec *img, char **labels)
{
	_cleanup_json_ json_object *lj = json_object_new_object();
	for (size_t i = 0; i < img->config->n_labels; i++)
		jadd(lj, img->config->labels[i].key, jstr(img->config->labels[i].value));
	return api_labels_match(labels, lj);
}

/* docker's GetBoolOrDefault: "true"/"1" or "false"/"0", else invalid. */
static int filter_bool(struct api_filters *f, const char *key, int *ret, struct berth_error **err)
{
	char **v = api_filters_get(f, key);
	bool yes = false, no = false;

	*ret = -1;
	if (!v)
		return 0;
	for (size_t i = 0; v[i]; i++) {
		yes |= strcmp(v[i], "true") == 0 || strcmp(v[i], "1") == 0;
		no |= strcmp(v[i], "false") == 0 || strcmp(v[i], "0") == 0;
	}
	if (yes == no)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid filter '%s=%s%s'", key,
				       v[0], v[1] ? ",..." : "");
	*ret = yes;
	return 0;
}

/* docker's timetypes.GetTimestamp (api.h). */
int api_time_filter_parse(const char *v, int64_t *ret)
{
	static const char *const formats[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
					       NULL };
	struct tm tm;
	char *end = NULL;

	errno = 0;
	double secs = strtod(v, &end);
	if (*v && end && !*end && errno == 0 && strspn(v, "-0123456789.") == strlen(v)) {
		*ret = (int64_t)secs;
		return 0;
	}
	for (size_t i = 0; formats[i]; i++) {
		memset(&tm, 0, sizeof(tm));
		const char *rest = strptime(v, formats[i], &tm);
		if (!rest)
			continue;
		if (*rest == '.')
			rest += 1 + strspn(rest + 1, "0123456789");
		if (*rest && strcmp(rest, "Z") != 0)
			continue;
		*ret = (int64_t)timegm(&tm);
		return 0;
	}
	double total = 0;
	const char *p = v;
	while (*p) {
		double n = strtod(p, &end);
		if (end == p)
			return -EINVAL;
		double unit = str_has_prefix(end, "ms")	  ? 1e-3
			      : str_has_prefix(end, "us") ? 1e-6
			      : str_has_prefix(end, "ns") ? 1e-9
			      : *end == 'h'		  ? 3600
			      : *end == 'm'		  ? 60
			      : *end == 's'		  ? 1
							  : 0;
		if (unit == 0)
			return -EINVAL;
		total += n * unit;
		p = end + (unit < 1 ? 2 : 1);
	}
	*ret = (int64_t)time(NULL) - (int64_t)total;
	return 0;
}

/* The filters of GET /images/json and POST /images/prune. */
struct image_filter {
	int dangling; /* -1: any */
	char **labels, **references;
	int64_t before, since, until; /* unix seconds, when has_* */
	bool has_before, has_since, has_until;
};

static int image_filter_parse(struct daemon *d, struct api_filters *f, struct image_filter *ret,
			      struct berth_error **err)
{
	struct image_filter flt = { .labels = api_filters_get(f, "label"),
				    .references = api_filters_get(f, "reference") };
	char **v;
	int r;

	if ((r = filter_bool(f, "dangling", &flt.dangling, err)) < 0)
		return r;
	const char *img_keys[] = { "before", "since" };
	int64_t *img_times[] = { &flt.before, &flt.since };
	bool *img_has[] = { &flt.has_before, &flt.has_since };
	for (size_t k = 0; k < 2; k++) {
		struct image_rec *img = NULL;
		for (size_t i = 0; (v = api_filters_get(f, img_keys[k])) && v[i]; i++) {
			if ((r = image_lookup(d, v[i], &img, err)) < 0)
				return r;
			*img_times[k] = img->created;
			*img_has[k] = true;
		}
	}
	for (size_t i = 0; (v = api_filters_get(f, "until")) && v[i]; i++) {
		if (api_time_filter_parse(v[i], &flt.until) < 0)
			return berth_error_set(err, 0, BERTH_ERR_INVALID,
					       "invalid filter 'until=%s'", v[i]);
		flt.has_until = true;
	}
	*ret = flt;
	return 0;
}

static bool image_filter_match(const struct image_filter *flt, const struct image_rec *img)
{
	bool is_dangling = !img->tags || !img->tags[0];

	return (flt->dangling < 0 || flt->dangling == is_dangling) &&
	       image_matches_reference(img, flt->references) &&
	       (!flt->labels || image_labels_match(img, flt->labels)) &&
	       (!flt->has_before || img->created < flt->before) &&
	       (!flt->has_since || img->created > flt->since) &&
	       (!flt->has_until || img->created < flt->until);
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
	struct image_filter flt;
	if (image_filter_parse(d, &f, &flt, &err) < 0) {
		api_filters_free(&f);
		api_respond_error(req, err);
		return;
	}
	_cleanup_json_ json_object *a = json_object_new_array();
	for (size_t i = 0; i < d->n_images; i++) {
		struct image_rec *img = d->images[i];
		if (img->removed || !image_filter_match(&flt, img))
			continue;
		json_object *sum = image_summary_json(img, containers_using(d, img));
		if (flt.references) {
			keep_matching_refs(sum, "RepoTags", flt.references);
			keep_matching_refs(sum, "RepoDigests", flt.references);
		}
		json_object_array_add(a, sum);
	}
	api_filters_free(&f);
	http_respond_json(req, 200, a);
}

/* Remove one tag of img, in the database and in memory. */
static int untag(struct daemon *d, struct image_rec *img, const char *full, json_object *out,
		 struct berth_error **err)
{
	int r = db_tag_delete(d->db, full, err);

	if (r < 0)
		return r;
	_cleanup_free_ char *fam = image_familiar_tag(full);
	add_record(out, "Untagged", fam);
	image_event(d, img, "untag", NULL);
	for (size_t i = 0; img->tags && img->tags[i]; i++) {
		if (strcmp(img->tags[i], full) != 0)
			continue;
		free(img->tags[i]);
		memmove(&img->tags[i], &img->tags[i + 1],
			(strv_length(&img->tags[i + 1]) + 1) * sizeof(char *));
		break;
	}
	return 0;
}

static struct container *container_using(struct daemon *d, const struct image_rec *img,
					 bool running)
{
	for (size_t i = 0; i < d->n_containers; i++) {
		struct container *c = d->containers[i];
		if (c->image_id && strcmp(c->image_id, img->id) == 0 && ct_is_running(c) == running)
			return c;
	}
	return NULL;
}

/* docker's checkImageDeleteConflict: a running container (hard), tags
 * (soft, unless only_hard), a stopped container (soft). */
static char *delete_conflict(struct daemon *d, const struct image_rec *img, bool only_hard,
			     bool check_tags, bool *ret_used)
{
	struct container *c = container_using(d, img, true);
	const char *hex = img->id + strlen("sha256:");

	*ret_used = c != NULL;
	if (c)
		return xasprintf("conflict: unable to delete %.12s (cannot be forced) - image is "
				 "being used by running container %.12s",
				 hex, c->id);
	if (only_hard)
		return NULL;
	if (check_tags && img->tags && img->tags[0])
		return xasprintf("conflict: unable to delete %.12s (must be forced) - image is "
				 "referenced in multiple repositories",
				 hex);
	c = container_using(d, img, false);
	*ret_used = c != NULL;
	if (c)
		return xasprintf("conflict: unable to delete %.12s (must be forced) - image is "
				 "being used by stopped container %.12s",
				 hex, c->id);
	return NULL;
}

/* docker's imageDeleteHelper: untag what is left and delete, unless a
 * conflict stops it (quiet: after a reference was removed, a conflict that is
 * not worth reporting ends the removal silently). */
static int delete_helper(struct daemon *d, struct image_rec *img, bool force, bool quiet,
			 json_object *out, struct berth_error **err)
{
	bool used = false;
	_cleanup_free_ char *conflict = delete_conflict(d, img, force, true, &used);
	_cleanup_strv_ char **layers = NULL;
	int r;

	if (conflict) {
		if (quiet && ((img->tags && img->tags[0]) || used))
			return 0;
		return berth_error_set(err, 0, BERTH_ERR_CONFLICT, "%s", conflict);
	}
	while (img->tags && img->tags[0]) {
		_cleanup_free_ char *t = xstrdup(img->tags[0]);
		if ((r = untag(d, img, t, out, err)) < 0)
			return r;
	}
	add_record(out, "Deleted", img->id);
	if ((r = image_remove(d, img, &layers, err)) < 0)
		return r;
	for (size_t i = 0; layers && layers[i]; i++)
		add_record(out, "Deleted", layers[i]);
	return 0;
}

/* A reference was named: remove it (for a digest, the tags of its
 * repository, which is where berth's digests come from). */
static int delete_reference(struct daemon *d, struct image_rec *img, const char *name,
			    const struct image_ref *ref, bool force, json_object *out,
			    struct berth_error **err)
{
	_cleanup_free_ char *full = image_ref_string(ref);
	int r;

	if (!force && strv_length(img->tags) <= 1) {
		struct container *c = container_using(d, img, true);
		if (!c)
			c = container_using(d, img, false);
		if (c)
			return berth_error_set(err, 0, BERTH_ERR_CONFLICT,
					       "conflict: unable to remove repository reference "
					       "\"%s\" (must force) - container %.12s is using its "
					       "referenced image %.12s",
					       name, c->id, img->id + strlen("sha256:"));
	}
	if (!ref->digest)
		return untag(d, img, full, out, err);
	_cleanup_free_ char *repo = image_ref_repo(ref);
	for (size_t i = 0; img->tags && img->tags[i];) {
		_cleanup_(image_ref_freep) struct image_ref *t = NULL;
		if (image_ref_parse(img->tags[i], &t, NULL) == 0 && !t->digest) {
			_cleanup_free_ char *trepo = image_ref_repo(t);
			if (strcmp(trepo, repo) == 0) {
				_cleanup_free_ char *tag = xstrdup(img->tags[i]);
				_cleanup_json_ json_object *ignored = json_object_new_array();
				if ((r = untag(d, img, tag, ignored, err)) < 0)
					return r;
				continue;
			}
		}
		i++;
	}
	_cleanup_free_ char *fam = image_ref_familiar(ref);
	add_record(out, "Untagged", fam);
	return 0;
}

/* DELETE /images/{name}: docker's ImageDelete. */
static void image_delete(struct daemon *d, struct http_request *req, const char *name)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	struct image_rec *img = NULL;
	bool force = http_request_query_bool(req, "force", false);
	bool by_id = image_is_id_like(name);
	_cleanup_json_ json_object *out = json_object_new_array();
	int r = 0;

	if (image_lookup(d, name, &img, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	/* "abc" may be a name or an id prefix: it is an id if it resolved as one. */
	if (by_id && image_ref_parse(name, &ref, NULL) == 0) {
		_cleanup_free_ char *full = image_ref_string(ref);
		by_id = !strv_contains(img->tags, full) && !ref->digest;
	}
	if (!by_id) {
		if (!ref && image_ref_parse(name, &ref, &err) < 0) {
			api_respond_error(req, err);
			return;
		}
		if ((r = delete_reference(d, img, name, ref, force, out, &err)) == 0 &&
		    (!img->tags || !img->tags[0]))
			r = delete_helper(d, img, force, true, out, &err);
	} else {
		if (strv_length(img->tags) == 1) {
			bool used = false;
			_cleanup_free_ char *conflict =
				delete_conflict(d, img, force, false, &used);
			if (conflict)
				r = berth_error_set(&err, 0, BERTH_ERR_CONFLICT, "%s", conflict);
			else {
				_cleanup_free_ char *t = xstrdup(img->tags[0]);
				r = untag(d, img, t, out, &err);
			}
		}
		if (r == 0)
			r = delete_helper(d, img, force, false, out, &err);
	}
	if (r < 0) {
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
	/* As docker: parse repo, refuse a digest, then let tag replace its tag. */
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	if (image_ref_parse(repo, &ref, &err) < 0) {
		api_respond_error(req, err);
		return;
	}
	if (ref->digest) {
		http_respond_error(req, 400, "refusing to create a tag with a digest reference");
		return;
	}
	if (!str_is_empty(tag)) {
		_cleanup_(image_ref_freep) struct image_ref *t = NULL;
		_cleanup_free_ char *text = xasprintf("x:%s", tag);
		if (image_ref_parse(text, &t, NULL) < 0 || t->digest || strchr(tag, ':')) {
			http_respond_error(req, 400, "invalid tag format");
			return;
		}
		free(ref->tag);
		ref->tag = xstrdup(tag);
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
		images_push(d, req, name);
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
		strcmp(op, "json") == 0 ? image_inspect_json(d, img) : image_history_json(d, img);
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
	struct image_filter flt;
	if (image_filter_parse(d, &f, &flt, &err) < 0) {
		api_filters_free(&f);
		api_respond_error(req, err);
		return;
	}
	bool all = flt.dangling == 0;
	flt.dangling = -1;
	images_gc_layers(d); /* images deleted while in use, now unused */
	images_gc_blobs(d);
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *deleted = json_object_new_array();
	uint64_t reclaimed = 0;
	for (size_t i = d->n_images; i > 0; i--) {
		struct image_rec *img = d->images[i - 1];
		if (img->removed || (!all && img->tags && img->tags[0]) ||
		    containers_using(d, img) > 0 || !image_filter_match(&flt, img))
			continue;
		_cleanup_strv_ char **layers = NULL;
		for (size_t t = 0; img->tags && img->tags[t]; t++) {
			_cleanup_free_ char *fam = image_familiar_tag(img->tags[t]);
			add_record(deleted, "Untagged", fam);
			image_event(d, img, "untag", NULL);
		}
		add_record(deleted, "Deleted", img->id);
		uint64_t size = img->size;
		if (image_remove(d, img, &layers, NULL) < 0)
			continue;
		reclaimed += size;
		for (size_t l = 0; layers && layers[l]; l++)
			add_record(deleted, "Deleted", layers[l]);
	}
	api_filters_free(&f);
	jadd(o, "ImagesDeleted", deleted);
	jadd(o, "SpaceReclaimed", json_object_new_int64((int64_t)reclaimed));
	api_prune_event(d, "image", (int64_t)reclaimed);
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
