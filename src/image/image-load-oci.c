/* OCI image layouts: oci-layout, index.json and blobs/sha256/<hex>. Each
 * entry of index.json is an image (docker 25+ writes one per tag, named by
 * the "io.containerd.image.name" annotation); an entry that is an index
 * (multi-platform) resolves to its linux/amd64 manifest, through at most
 * IMAGE_INDEX_DEPTH levels. Every blob read is checked against its
 * descriptor's digest and size. */
#define LOG_CATEGORY "image"
#include <string.h>

#include "image-internal.h"

enum blob_kind { BLOB_INDEX, BLOB_MANIFEST, BLOB_OTHER, BLOB_KIND_MAX };

static enum blob_kind kind_of_media(const char *m)
{
	if (!m)
		return BLOB_KIND_MAX; /* unknown: look inside */
	if (strcmp(m, MEDIA_OCI_INDEX) == 0 || strcmp(m, MEDIA_DOCKER_LIST) == 0)
		return BLOB_INDEX;
	if (strcmp(m, MEDIA_OCI_MANIFEST) == 0 || strcmp(m, MEDIA_DOCKER_MANIFEST) == 0)
		return BLOB_MANIFEST;
	return BLOB_OTHER;
}

static char *blob_rel_path(const char *digest)
{
	return xasprintf("blobs/sha256/%s", digest + strlen("sha256:"));
}

/* Read and parse a small blob named by a descriptor, checking digest and size. */
static int read_json_blob(int rootfd, const struct image_descriptor *d, json_object **ret,
			  char **ret_path, struct berth_error **err)
{
	_cleanup_free_ char *path = blob_rel_path(d->digest);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	char got[DIGEST_LEN + 1];
	int r;

	if ((r = load_read_file(rootfd, path, IMAGE_MANIFEST_MAX, &text, &len, err)) < 0)
		return r;
	digest_of(text, len, got);
	if (strcmp(got, d->digest) != 0 || len != d->size)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "blob %s: content does not match its descriptor", d->digest);
	if ((r = json_parse_text(text, len, IMAGE_JSON_DEPTH, path, ret, err)) < 0)
		return r;
	if (!json_object_is_type(*ret, json_type_object)) {
		json_object_put(*ret);
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: expected an object", path);
	}
	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return 0;
}

static bool platform_is(json_object *desc, const char *os, const char *arch)
{
	json_object *p = NULL;
	const char *o = NULL, *a = NULL;

	if (json_get_object(desc, "", "platform", false, &p, NULL) <= 0 ||
	    json_get_str(p, "", "os", false, &o, NULL) <= 0 ||
	    json_get_str(p, "", "architecture", false, &a, NULL) <= 0)
		return false;
	return strcmp(o, os) == 0 && strcmp(a, arch) == 0;
}

static bool has_platform(json_object *desc)
{
	return json_object_object_get_ex(desc, "platform", NULL);
}

static void names_of(json_object *desc, char ***names)
{
	json_object *ann = NULL;
	const char *name = NULL;

	if (json_get_object(desc, "", "annotations", false, &ann, NULL) <= 0)
		return;
	if (json_get_str(ann, "", ANNOTATION_IMAGE_NAME, false, &name, NULL) <= 0 &&
	    (json_get_str(ann, "", ANNOTATION_REF_NAME, false, &name, NULL) <= 0 ||
	     !strpbrk(name, ":/")))
		return; /* a bare ref.name is a tag without a repository */
	_cleanup_free_ char *f = image_tag_familiar(name);
	if (f && !strv_contains(*names, f) && strv_length(*names) < IMAGE_MAX_TAGS)
		strv_push(names, f);
}

static int add_manifest(int rootfd, struct load_plan *plan, const struct image_descriptor *d,
			char *const *names, struct berth_error **err)
{
	_cleanup_json_ json_object *m = NULL;
	_cleanup_free_ char *path = NULL;
	struct image_descriptor config = { 0 };
	json_object *layers = NULL;
	int r;

	for (size_t i = 0; i < plan->n_images; i++) {
		struct load_image *li = &plan->images[i];
		if (strcmp(li->manifest_digest, d->digest) != 0)
			continue;
		for (size_t k = 0; names && names[k]; k++)
			if (!strv_contains(li->repo_tags, names[k]))
				strv_push(&li->repo_tags, names[k]);
		return 0;
	}
	if (plan->n_images >= IMAGE_MAX_IMAGES)
		return berth_error_set(err, E2BIG, BERTH_ERR_INVALID, "more than %d images",
				       IMAGE_MAX_IMAGES);
	if ((r = read_json_blob(rootfd, d, &m, &path, err)) < 0)
		return r;
	if ((r = image_descriptor_parse(json_object_object_get(m, "config"), "manifest.config",
					&config, err)) < 0 ||
	    (r = json_get_array(m, "manifest", "layers", true, &layers, err)) < 0)
		goto out;
	size_t n = json_object_array_length(layers);
	if (n > IMAGE_MAX_LAYERS) {
		r = berth_error_set(err, E2BIG, BERTH_ERR_INVALID,
				    "manifest %s: more than %d layers", d->digest,
				    IMAGE_MAX_LAYERS);
		goto out;
	}
	struct load_image *li = load_plan_add(plan);
	li->manifest_path = TAKE_PTR(path);
	memcpy(li->manifest_digest, d->digest, DIGEST_LEN + 1);
	li->config_path = blob_rel_path(config.digest);
	memcpy(li->config_digest, config.digest, DIGEST_LEN + 1);
	li->repo_tags = strv_copy(names);
	li->layers = xcalloc(n ? n : 1, sizeof(*li->layers));
	for (size_t i = 0; i < n; i++) {
		struct image_descriptor ld = { 0 };
		_cleanup_free_ char *p = json_path_index("manifest.layers", i);
		r = image_descriptor_parse(json_object_array_get_idx(layers, i), p, &ld, err);
		if (r == 0 && !image_media_is_layer(ld.media_type))
			r = berth_error_set(err, 0, BERTH_ERR_INVALID,
					    "%s: unsupported layer media type '%s'", p,
					    ld.media_type);
		if (r < 0) {
			image_descriptor_clear(&ld);
			goto out;
		}
		li->layers[i].path = blob_rel_path(ld.digest);
		memcpy(li->layers[i].digest, ld.digest, DIGEST_LEN + 1);
		li->n_layers++;
		image_descriptor_clear(&ld);
	}
out:
	image_descriptor_clear(&config);
	return r;
}

static int resolve(int rootfd, struct load_plan *plan, json_object *desc, const char *path,
		   char *const *names, unsigned depth, struct berth_error **err);

/* Pick the linux/amd64 entry of an index (or its only entry). */
static int resolve_index(int rootfd, struct load_plan *plan, json_object *index, const char *path,
			 char *const *names, unsigned depth, struct berth_error **err)
{
	json_object *arr = NULL;
	int r = json_get_array(index, path, "manifests", true, &arr, err);

	if (r < 0)
		return r;
	size_t n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		if (e && json_object_is_type(e, json_type_object) &&
		    (platform_is(e, "linux", "amd64") || (n == 1 && !has_platform(e)))) {
			_cleanup_free_ char *p = json_path_index(path, i);
			return resolve(rootfd, plan, e, p, names, depth + 1, err);
		}
	}
	return berth_error_set(err, ENOENT, BERTH_ERR_NOT_FOUND,
			       "no matching manifest for linux/amd64 in the manifest list entries");
}

static int resolve(int rootfd, struct load_plan *plan, json_object *desc, const char *path,
		   char *const *names, unsigned depth, struct berth_error **err)
{
	struct image_descriptor d = { 0 };
	_cleanup_json_ json_object *index = NULL;
	int r;

	if (depth > IMAGE_INDEX_DEPTH)
		return berth_error_set(err, ELOOP, BERTH_ERR_INVALID, "%s: indexes nested too deep",
				       path);
	if ((r = image_descriptor_parse(desc, path, &d, err)) < 0)
		return r;
	enum blob_kind kind = kind_of_media(d.media_type);
	if (kind == BLOB_KIND_MAX) {
		/* No media type: an index has "manifests", a manifest "config". */
		if ((r = read_json_blob(rootfd, &d, &index, NULL, err)) < 0)
			goto out;
		kind = json_object_object_get_ex(index, "manifests", NULL) ? BLOB_INDEX
		       : json_object_object_get_ex(index, "config", NULL)  ? BLOB_MANIFEST
									   : BLOB_OTHER;
	}
	if (kind == BLOB_MANIFEST) {
		r = add_manifest(rootfd, plan, &d, names, err);
	} else if (kind == BLOB_INDEX) {
		if (!index && (r = read_json_blob(rootfd, &d, &index, NULL, err)) < 0)
			goto out;
		r = resolve_index(rootfd, plan, index, d.digest, names, depth, err);
	} else {
		log_debug("Skipping %s of media type '%s'", path, d.media_type ? d.media_type : "");
	}
out:
	image_descriptor_clear(&d);
	return r;
}

static int check_layout(int rootfd, struct berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_object *o = NULL;
	const char *version = NULL;
	size_t len = 0;
	int r;

	if ((r = load_read_file(rootfd, "oci-layout", 4096, &text, &len, err)) < 0 ||
	    (r = json_parse_text(text, len, 4, "oci-layout", &o, err)) < 0 ||
	    (r = json_get_str(o, "oci-layout", "imageLayoutVersion", true, &version, err)) < 0)
		return r;
	if (!str_has_prefix(version, "1."))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "oci-layout: unsupported layout version '%s'", version);
	return 0;
}

int load_plan_oci(int rootfd, struct load_plan *plan, struct berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_object *index = NULL;
	json_object *arr = NULL;
	size_t len = 0;
	bool any_amd64 = false;
	int r;

	if ((r = check_layout(rootfd, err)) < 0 ||
	    (r = load_read_file(rootfd, "index.json", IMAGE_MANIFEST_MAX, &text, &len, err)) < 0 ||
	    (r = json_parse_text(text, len, IMAGE_JSON_DEPTH, "index.json", &index, err)) < 0 ||
	    (r = json_get_array(index, "index.json", "manifests", true, &arr, err)) < 0)
		return r;
	size_t n = json_object_array_length(arr);
	if (n > IMAGE_MAX_TAGS)
		return berth_error_set(err, E2BIG, BERTH_ERR_INVALID,
				       "index.json: more than %d entries", IMAGE_MAX_TAGS);
	for (size_t i = 0; i < n; i++)
		any_amd64 |= platform_is(json_object_array_get_idx(arr, i), "linux", "amd64");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		_cleanup_free_ char *p = json_path_index("index.json.manifests", i);
		_cleanup_strv_ char **names = NULL;
		/* Platform manifests listed side by side: keep linux/amd64. */
		if (any_amd64 && has_platform(e) && !platform_is(e, "linux", "amd64"))
			continue;
		if (e && json_object_is_type(e, json_type_object))
			names_of(e, &names);
		if ((r = resolve(rootfd, plan, e, p, names, 0, err)) < 0)
			return r;
	}
	return 0;
}
