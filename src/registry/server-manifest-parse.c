/* Manifests as the registry sees them: which kind (image manifest or index,
 * OCI or Docker), the blobs and manifests they reference, their subject and
 * artifact type. Shared by the manifest handlers and the garbage collector. */
#define LOG_CATEGORY "registry"
#include <string.h>

#include "server-internal.h"

#define MT_OCI_MANIFEST	   "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX	   "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST	   "application/vnd.docker.distribution.manifest.list.v2+json"

void reg_manifest_done(struct reg_manifest *m)
{
	free(m->media_type);
	free(m->artifact_type);
	free(m->config_media_type);
	strv_free(m->refs);
	strv_free(m->children);
	strv_free(m->foreign);
	free(m->subject);
	json_object_put(m->root);
	memset(m, 0, sizeof(*m));
}

static int invalid(struct berth_error **err, const char *what, const char *where)
{
	return berth_error_set(err, EINVAL, BERTH_ERR_INVALID, "%s%s%s", where ? where : "",
			       where ? ": " : "", what);
}

/* A descriptor's digest (validated); its media type into *ret_mt. */
static int descriptor(json_object *d, const char *where, const char **ret_digest,
		      const char **ret_mt, struct berth_error **err)
{
	json_object *v;

	if (!json_object_is_type(d, json_type_object))
		return invalid(err, "descriptor is not an object", where);
	if (!json_object_object_get_ex(d, "digest", &v) ||
	    !json_object_is_type(v, json_type_string))
		return invalid(err, "descriptor without a digest", where);
	const char *digest = json_object_get_string(v);
	if (!digest_is_valid(digest))
		return invalid(err, "descriptor with an unsupported or malformed digest", where);
	if (!json_object_object_get_ex(d, "size", &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return invalid(err, "descriptor without a valid size", where);
	if (json_object_object_get_ex(d, "mediaType", &v) &&
	    !json_object_is_type(v, json_type_string))
		return invalid(err, "descriptor mediaType is not a string", where);
	*ret_digest = digest;
	if (ret_mt)
		*ret_mt = v && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
									: NULL;
	return 0;
}

static char *strip_params(const char *ct)
{
	size_t n = strcspn(ct, "; \t");

	return xstrndup(ct, n);
}

static bool is_index_type(const char *mt)
{
	return strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0;
}

static bool is_manifest_type(const char *mt)
{
	return strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0;
}

static int parse_layers(struct reg_manifest *m, json_object *layers, struct berth_error **err)
{
	size_t n = json_object_array_length(layers);

	for (size_t i = 0; i < n; i++) {
		json_object *l = json_object_array_get_idx(layers, i), *urls;
		const char *d;
		int r = descriptor(l, "layers", &d, NULL, err);
		if (r < 0)
			return r;
		if (json_object_object_get_ex(l, "urls", &urls) &&
		    json_object_array_length(urls) > 0)
			strv_push(&m->foreign, d);
		else
			strv_push(&m->refs, d);
	}
	return 0;
}

static int parse_image(struct reg_manifest *m, json_object *o, struct berth_error **err)
{
	json_object *cfg, *layers;
	const char *d, *mt;
	int r;

	if (!json_object_object_get_ex(o, "config", &cfg))
		return invalid(err, "image manifest without config", NULL);
	if ((r = descriptor(cfg, "config", &d, &mt, err)) < 0)
		return r;
	strv_push(&m->refs, d);
	m->config_media_type = mt ? xstrdup(mt) : NULL;
	if (json_object_object_get_ex(o, "layers", &layers)) {
		if (!json_object_is_type(layers, json_type_array))
			return invalid(err, "layers is not an array", NULL);
		if ((r = parse_layers(m, layers, err)) < 0)
			return r;
	}
	return 0;
}

static int parse_index(struct reg_manifest *m, json_object *o, struct berth_error **err)
{
	json_object *list;

	if (!json_object_object_get_ex(o, "manifests", &list) ||
	    !json_object_is_type(list, json_type_array))
		return invalid(err, "index without a manifests array", NULL);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		const char *d;
		int r = descriptor(json_object_array_get_idx(list, i), "manifests", &d, NULL, err);
		if (r < 0)
			return r;
		strv_push(&m->refs, d);
		strv_push(&m->children, d);
	}
	return 0;
}

/* mediaType from the body, else the Content-Type, else guessed from the fields. */
static char *media_type_of(json_object *o, const char *ct)
{
	json_object *v;

	if (json_object_object_get_ex(o, "mediaType", &v) &&
	    json_object_is_type(v, json_type_string))
		return xstrdup(json_object_get_string(v));
	if (ct && *ct && !str_has_prefix(ct, "application/octet-stream") &&
	    !str_has_prefix(ct, "application/json"))
		return strip_params(ct);
	if (json_object_object_get_ex(o, "manifests", NULL))
		return xstrdup(MT_OCI_INDEX);
	return xstrdup(MT_OCI_MANIFEST);
}

int reg_manifest_parse(const char *body, size_t len, const char *ct, struct reg_manifest *ret,
		       struct berth_error **err)
{
	struct reg_manifest m = { 0 };
	json_object *v;
	int r;

	r = json_parse_text(body, len, REG_JSON_DEPTH, "manifest", &m.root, err);
	if (r < 0)
		return r;
	if (!m.root || !json_object_is_type(m.root, json_type_object)) {
		reg_manifest_done(&m);
		return invalid(err, "manifest is not a JSON object", NULL);
	}
	if (!json_object_object_get_ex(m.root, "schemaVersion", &v) ||
	    json_object_get_int(v) != 2) {
		reg_manifest_done(&m);
		return invalid(err, "schemaVersion must be 2", NULL);
	}
	m.media_type = media_type_of(m.root, ct);
	if (is_index_type(m.media_type)) {
		m.is_index = true;
		r = parse_index(&m, m.root, err);
	} else if (is_manifest_type(m.media_type) ||
		   json_object_object_get_ex(m.root, "config", NULL)) {
		r = parse_image(&m, m.root, err);
	} else {
		r = invalid(err, "unsupported manifest media type", NULL);
	}
	if (r == 0 && json_object_object_get_ex(m.root, "subject", &v)) {
		const char *d;
		r = descriptor(v, "subject", &d, NULL, err);
		if (r == 0)
			m.subject = xstrdup(d);
	}
	if (r == 0 && json_object_object_get_ex(m.root, "artifactType", &v) &&
	    json_object_is_type(v, json_type_string) && *json_object_get_string(v))
		m.artifact_type = xstrdup(json_object_get_string(v));
	if (r == 0 && json_object_object_get_ex(m.root, "annotations", &v) &&
	    json_object_is_type(v, json_type_object))
		m.annotations = v;
	if (r < 0) {
		reg_manifest_done(&m);
		return r;
	}
	*ret = m;
	return 0;
}
