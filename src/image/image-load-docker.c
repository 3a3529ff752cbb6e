/* docker save archives: manifest.json lists each image's config, tags and
 * layer tars ([{"Config": "...", "RepoTags": [...], "Layers": [...]}]).
 * Docker 25+ names files blobs/sha256/<hex>, which gives their digests; older
 * versions use "<hex>.json" for the config and "<id>/layer.tar" for layers,
 * whose diff ids are then checked against the config alone. */
#define LOG_CATEGORY "image"
#include <string.h>

#include "image-internal.h"

/* As docker's load, a RepoTags entry that is not a name with a tag fails it. */
static int add_tags(struct load_image *li, char *const *tags, struct berth_error **err)
{
	for (size_t i = 0; tags && tags[i]; i++) {
		_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
		int r = image_ref_parse(tags[i], &ref, err);
		if (r < 0)
			return r;
		_cleanup_free_ char *f = image_tag_familiar(tags[i]);
		if (!f || ref->digest)
			return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid tag \"%s\"",
					       tags[i]);
		if (!strv_contains(li->repo_tags, f))
			strv_push(&li->repo_tags, f);
	}
	return 0;
}

static struct load_image *find_config(struct load_plan *plan, const char *config_path)
{
	for (size_t i = 0; i < plan->n_images; i++)
		if (strcmp(plan->images[i].config_path, config_path) == 0)
			return &plan->images[i];
	return NULL;
}

static int parse_entry(json_object *e, const char *path, struct load_plan *plan,
		       struct berth_error **err)
{
	const char *config = NULL;
	_cleanup_strv_ char **tags = NULL;
	_cleanup_strv_ char **layers = NULL;
	int r;

	if (!json_object_is_type(e, json_type_object))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: expected an object", path);
	if ((r = json_get_str(e, path, "Config", true, &config, err)) < 0 ||
	    (r = json_get_strv(e, path, "RepoTags", false, &tags, err)) < 0 ||
	    (r = json_get_strv(e, path, "Layers", false, &layers, err)) < 0)
		return r;
	size_t n = strv_length(layers);
	if (n > IMAGE_MAX_LAYERS)
		return berth_error_set(err, E2BIG, BERTH_ERR_INVALID, "%s.Layers: more than %d",
				       path, IMAGE_MAX_LAYERS);
	if (strv_length(tags) > IMAGE_MAX_TAGS)
		return berth_error_set(err, E2BIG, BERTH_ERR_INVALID, "%s.RepoTags: more than %d",
				       path, IMAGE_MAX_TAGS);
	struct load_image *li = find_config(plan, config);
	if (li)
		return add_tags(li, tags, err);
	li = load_plan_add(plan);
	li->config_path = xstrdup(config);
	load_digest_from_path(config, li->config_digest);
	li->layers = xcalloc(n ? n : 1, sizeof(*li->layers));
	for (size_t i = 0; i < n; i++) {
		li->layers[i].path = xstrdup(layers[i]);
		load_digest_from_path(layers[i], li->layers[i].digest);
		if (str_has_prefix(li->layers[i].digest, "sha256:") &&
		    !str_has_prefix(layers[i], "blobs/") && !str_has_prefix(layers[i], "./blobs/"))
			li->layers[i].digest[0] = '\0';
		li->n_layers++;
	}
	return add_tags(li, tags, err);
}

int load_plan_docker(int rootfd, struct load_plan *plan, struct berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_object *root = NULL;
	size_t len = 0;
	int r;

	if ((r = load_read_file(rootfd, "manifest.json", IMAGE_MANIFEST_MAX, &text, &len, err)) <
		    0 ||
	    (r = json_parse_text(text, len, IMAGE_JSON_DEPTH, "manifest.json", &root, err)) < 0)
		return r;
	if (!json_object_is_type(root, json_type_array))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "manifest.json: expected an array");
	size_t n = json_object_array_length(root);
	if (n > IMAGE_MAX_IMAGES)
		return berth_error_set(err, E2BIG, BERTH_ERR_INVALID,
				       "manifest.json: more than %d images", IMAGE_MAX_IMAGES);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = json_path_index("manifest.json", i);
		if ((r = parse_entry(json_object_array_get_idx(root, i), p, plan, err)) < 0)
			return r;
	}
	return 0;
}
