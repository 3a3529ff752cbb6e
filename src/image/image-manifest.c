/* OCI descriptors and image manifests: parsing descriptors of untrusted
 * indexes and manifests, building the manifests we store and save. */
#define LOG_CATEGORY "image"
#include <string.h>

#include "image-internal.h"

void image_descriptor_clear(struct image_descriptor *d)
{
	free(d->media_type);
	*d = (struct image_descriptor){ 0 };
}

int image_descriptor_parse(json_object *obj, const char *path, struct image_descriptor *ret,
			   struct berth_error **err)
{
	const char *media = NULL, *digest = NULL;
	uint64_t size = 0;
	int r;

	if (!obj || !json_object_is_type(obj, json_type_object))
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "%s: expected an object", path);
	if ((r = json_get_str(obj, path, "mediaType", false, &media, err)) < 0 ||
	    (r = json_get_str(obj, path, "digest", true, &digest, err)) < 0 ||
	    (r = json_get_uint64(obj, path, "size", true, &size, err)) < 0)
		return r;
	if (!digest_is_valid(digest))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "%s.digest: unsupported digest '%s'", path, digest);
	image_descriptor_clear(ret);
	ret->media_type = media ? xstrdup(media) : NULL;
	memcpy(ret->digest, digest, DIGEST_LEN + 1);
	ret->size = size;
	return 0;
}

json_object *image_descriptor_json(const struct image_descriptor *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "mediaType", json_object_new_string(d->media_type));
	json_object_object_add(o, "digest", json_object_new_string(d->digest));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)d->size));
	return o;
}

bool image_media_is_layer(const char *media_type)
{
	static const char *const prefixes[] = {
		"application/vnd.oci.image.layer.",
		"application/vnd.docker.image.rootfs.",
	};

	if (!media_type)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (str_has_prefix(media_type, prefixes[i]))
			return true;
	return false;
}

char *image_manifest_build(const struct image_descriptor *config,
			   const struct image_descriptor *layers, size_t n_layers)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *arr = json_object_new_array();

	json_object_object_add(o, "schemaVersion", json_object_new_int(2));
	json_object_object_add(o, "mediaType", json_object_new_string(MEDIA_OCI_MANIFEST));
	json_object_object_add(o, "config", image_descriptor_json(config));
	for (size_t i = 0; i < n_layers; i++)
		json_object_array_add(arr, image_descriptor_json(&layers[i]));
	json_object_object_add(o, "layers", arr);
	return xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
}
