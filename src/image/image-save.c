/* image_save: a docker-save archive that is also an OCI image layout, as
 * docker 25+ writes it:
 *
 *   blobs/sha256/<hex>  configs, layer tars (uncompressed, named by diff id)
 *                       and OCI manifests
 *   index.json          one entry per tag, "io.containerd.image.name"
 *   manifest.json       [{"Config", "RepoTags", "Layers"}]
 *   oci-layout          {"imageLayoutVersion": "1.0.0"}
 *   repositories        {"busybox": {"latest": "<top layer hex>"}}
 *
 * streamed to the output with the tar writer; each blob is written once. */
#define LOG_CATEGORY "image"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "image-internal.h"

#define SAVE_BUF (256 * 1024)

struct save_ctx {
	struct blob_store *bs;
	struct tar_writer *w;
	char **written;
	json_object *manifest_json; /* array */
	json_object *index;	    /* manifests array of index.json */
	json_object *repos;	    /* repositories */
};

static char *blob_name(const char *digest)
{
	return xasprintf("blobs/sha256/%s", digest + strlen("sha256:"));
}

static int put_data(struct save_ctx *ctx, const char *digest, const char *data, size_t len,
		    struct berth_error **err)
{
	if (strv_contains(ctx->written, digest))
		return 0;
	_cleanup_free_ char *name = blob_name(digest);
	int r = tar_writer_add_data(ctx->w, name, data, len, err);
	if (r == 0)
		strv_push(&ctx->written, digest);
	return r;
}

/* Whether a layer blob can go out as the uncompressed tar named by its diff
 * id: the blob is that tar (uncompressed blobs are named by their digest). */
static int check_layer(struct blob_store *bs, const char *blob, const char *diff_id,
		       struct berth_error **err)
{
	_cleanup_free_ char *path = blob_path(bs, blob);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	enum layer_compression comp = LAYER_COMPRESSION_NONE;
	int r;

	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_NOT_FOUND, "layer blob %s", blob);
	if (strcmp(blob, diff_id) == 0)
		return 0;
	if ((r = layer_compression_of_fd(fd, &comp)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "read blob %s", blob);
	if (comp == LAYER_COMPRESSION_NONE)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "layer blob %s does not match diff id %s", blob, diff_id);
	return 0; /* written decompressed, see uncompressed_copy() */
}

/* A compressed layer blob decompressed into an unnamed file next to the
 * blobs (O_TMPFILE: nothing to clean up), checked against its diff id. */
static int uncompressed_copy(struct blob_store *bs, const char *blob, const char *diff_id,
			     int *ret_fd, uint64_t *ret_size, struct berth_error **err)
{
	_cleanup_free_ char *path = blob_path(bs, blob);
	_cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = -EBADF;
	_cleanup_(layer_stream_freep) struct layer_stream *s = NULL;
	_cleanup_(digester_freep) struct digester *dg = digester_new();
	_cleanup_free_ char *buf = xmalloc(SAVE_BUF);
	char got[DIGEST_LEN + 1];
	uint64_t size = 0;
	int r;

	*strrchr(path, '/') = '\0';
	if (in < 0)
		return berth_error_set(err, errno, BERTH_ERR_NOT_FOUND, "layer blob %s", blob);
	out = open(path, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (out < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "temporary file in '%s'",
				       path);
	if ((r = layer_stream_open(in, &s, err)) < 0)
		return r;
	for (;;) {
		ssize_t n = layer_stream_read(s, buf, SAVE_BUF, err);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		digester_update(dg, buf, (size_t)n);
		if ((r = fd_write_all(out, buf, (size_t)n)) < 0)
			return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "write layer %s",
					       diff_id);
		size += (uint64_t)n;
	}
	digester_final(dg, got);
	if (strcmp(got, diff_id) != 0)
		return berth_error_set(err, 0, BERTH_ERR_INTERNAL,
				       "layer blob %s does not decompress to %s", blob, diff_id);
	*ret_fd = TAKE_FD(out);
	*ret_size = size;
	return 0;
}

static int put_layer(struct save_ctx *ctx, const char *blob, const char *diff_id,
		     struct image_descriptor *ret, struct berth_error **err)
{
	_cleanup_free_ char *path = blob_path(ctx->bs, blob);
	_cleanup_free_ char *name = blob_name(diff_id);
	int r;

	ret->media_type = xstrdup(MEDIA_OCI_LAYER);
	memcpy(ret->digest, diff_id, DIGEST_LEN + 1);
	if ((r = check_layer(ctx->bs, blob, diff_id, err)) < 0)
		return r;
	if (strcmp(blob, diff_id) != 0) {
		_cleanup_close_ int fd = -EBADF;
		if ((r = uncompressed_copy(ctx->bs, blob, diff_id, &fd, &ret->size, err)) < 0)
			return r;
		if (strv_contains(ctx->written, diff_id))
			return 0;
		_cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d", fd);
		if ((r = tar_writer_add_file(ctx->w, name, proc, err)) < 0)
			return r;
		strv_push(&ctx->written, diff_id);
		return 0;
	}
	if ((r = blob_size(ctx->bs, blob, &ret->size)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_NOT_FOUND, "layer blob %s", blob);
	if (strv_contains(ctx->written, diff_id))
		return 0;
	if ((r = tar_writer_add_file(ctx->w, name, path, err)) < 0)
		return r;
	strv_push(&ctx->written, diff_id);
	return 0;
}

static json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

/* index.json entries and repositories for each tag. */
static void add_names(struct save_ctx *ctx, const struct image_save_item *it,
		      const struct image_descriptor *manifest, const char *top_layer)
{
	bool named = false;

	for (size_t i = 0; it->repo_tags && it->repo_tags[i]; i++) {
		_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
		if (image_ref_parse(it->repo_tags[i], &ref, NULL) < 0 || !ref->tag)
			continue;
		_cleanup_free_ char *full = image_ref_string(ref);
		json_object *d = image_descriptor_json(manifest);
		json_object *ann = json_object_new_object();
		json_object_object_add(ann, ANNOTATION_IMAGE_NAME, jstr(full));
		json_object_object_add(ann, ANNOTATION_REF_NAME, jstr(ref->tag));
		json_object_object_add(d, "annotations", ann);
		json_object_array_add(ctx->index, d);
		named = true;
		if (!top_layer)
			continue;
		_cleanup_free_ char *tag = TAKE_PTR(ref->tag);
		free(ref->digest);
		ref->digest = NULL;
		_cleanup_free_ char *repo = image_ref_familiar(ref);
		json_object *tags = NULL;
		if (!json_object_object_get_ex(ctx->repos, repo, &tags)) {
			tags = json_object_new_object();
			json_object_object_add(ctx->repos, repo, tags);
		}
		json_object_object_add(tags, tag, jstr(top_layer + strlen("sha256:")));
	}
	if (!named)
		json_object_array_add(ctx->index, image_descriptor_json(manifest));
}

static json_object *manifest_json_entry(const struct image_save_item *it, const char *config,
					const struct image_descriptor *layers)
{
	json_object *e = json_object_new_object();
	json_object *tags = NULL, *arr = json_object_new_array();

	json_object_object_add(e, "Config", json_object_new_string(config));
	for (size_t i = 0; it->repo_tags && it->repo_tags[i]; i++) {
		_cleanup_free_ char *f = image_tag_familiar(it->repo_tags[i]);
		if (!f)
			continue;
		if (!tags)
			tags = json_object_new_array();
		json_object_array_add(tags, jstr(f));
	}
	json_object_object_add(e, "RepoTags", tags);
	for (size_t i = 0; i < it->n_layers; i++) {
		_cleanup_free_ char *name = blob_name(layers[i].digest);
		json_object_array_add(arr, jstr(name));
	}
	json_object_object_add(e, "Layers", arr);
	return e;
}

/* Read an item's config and check it against the item's layers. */
static int read_item(struct blob_store *bs, const struct image_save_item *it, char **ret_text,
		     size_t *ret_len, struct image_config **ret_config, struct berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	size_t len = 0;
	int r;

	if (!digest_is_valid(it->config_digest) || it->n_layers > IMAGE_MAX_LAYERS)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "invalid image to save");
	if ((r = blob_read(bs, it->config_digest, IMAGE_CONFIG_MAX, &text, &len, err)) < 0 ||
	    (r = image_config_parse(text, len, &c, err)) < 0)
		return r;
	if (c->n_diff_ids != it->n_layers)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "image %s: %zu layers, but %zu diff ids", it->config_digest,
				       it->n_layers, c->n_diff_ids);
	for (size_t i = 0; i < it->n_layers; i++)
		if ((r = check_layer(bs, it->layer_blobs[i], c->diff_ids[i], err)) < 0)
			return r;
	*ret_text = TAKE_PTR(text);
	*ret_len = len;
	*ret_config = TAKE_PTR(c);
	return 0;
}

static int save_item(struct save_ctx *ctx, const struct image_save_item *it,
		     struct berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	struct image_descriptor cdesc = { .media_type = (char *)MEDIA_OCI_CONFIG };
	struct image_descriptor mdesc = { .media_type = (char *)MEDIA_OCI_MANIFEST };
	struct image_descriptor *layers = NULL;
	size_t len = 0;
	int r;

	if ((r = read_item(ctx->bs, it, &text, &len, &c, err)) < 0)
		return r;
	if ((r = put_data(ctx, it->config_digest, text, len, err)) < 0)
		return r;
	memcpy(cdesc.digest, it->config_digest, DIGEST_LEN + 1);
	cdesc.size = len;
	layers = xcalloc(it->n_layers + 1, sizeof(*layers));
	for (size_t i = 0; i < it->n_layers && r == 0; i++)
		r = put_layer(ctx, it->layer_blobs[i], c->diff_ids[i], &layers[i], err);
	if (r == 0) {
		_cleanup_free_ char *m = image_manifest_build(&cdesc, layers, it->n_layers);
		digest_of(m, strlen(m), mdesc.digest);
		mdesc.size = strlen(m);
		r = put_data(ctx, mdesc.digest, m, strlen(m), err);
	}
	if (r == 0) {
		_cleanup_free_ char *config = blob_name(it->config_digest);
		json_object_array_add(ctx->manifest_json, manifest_json_entry(it, config, layers));
		add_names(ctx, it, &mdesc, it->n_layers ? c->diff_ids[it->n_layers - 1] : NULL);
	}
	for (size_t i = 0; i < it->n_layers; i++)
		image_descriptor_clear(&layers[i]);
	free(layers);
	return r;
}

static int put_json(struct tar_writer *w, const char *name, json_object *o,
		    struct berth_error **err)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE);
	return tar_writer_add_data(w, name, s, strlen(s), err);
}

static int finish(struct save_ctx *ctx, struct berth_error **err)
{
	_cleanup_json_ json_object *index = json_object_new_object();
	_cleanup_json_ json_object *layout = json_object_new_object();
	int r;

	json_object_object_add(index, "schemaVersion", json_object_new_int(2));
	json_object_object_add(index, "mediaType", jstr(MEDIA_OCI_INDEX));
	json_object_object_add(index, "manifests", json_object_get(ctx->index));
	json_object_object_add(layout, "imageLayoutVersion", jstr("1.0.0"));
	if ((r = put_json(ctx->w, "index.json", index, err)) < 0 ||
	    (r = put_json(ctx->w, "manifest.json", ctx->manifest_json, err)) < 0 ||
	    (r = put_json(ctx->w, "oci-layout", layout, err)) < 0)
		return r;
	if (json_object_object_length(ctx->repos) > 0 &&
	    (r = put_json(ctx->w, "repositories", ctx->repos, err)) < 0)
		return r;
	return 0;
}

int image_save_check(struct blob_store *bs, const struct image_save_item *items, size_t n,
		     struct berth_error **err)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *text = NULL;
		_cleanup_(image_config_freep) struct image_config *c = NULL;
		size_t len = 0;
		int r = read_item(bs, &items[i], &text, &len, &c, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int image_save(struct blob_store *bs, const struct image_save_item *items, size_t n, int out_fd,
	       struct berth_error **err)
{
	struct save_ctx ctx = { .bs = bs };
	_cleanup_(tar_writer_freep) struct tar_writer *w = NULL;
	int r;

	/* Refuse what can't be saved before writing anything. */
	if ((r = image_save_check(bs, items, n, err)) < 0)
		return r;
	if ((r = tar_writer_new(out_fd, &w, err)) < 0)
		return r;
	ctx.w = w;
	ctx.manifest_json = json_object_new_array();
	ctx.index = json_object_new_array();
	ctx.repos = json_object_new_object();
	if ((r = tar_writer_add_dir(w, "blobs", err)) < 0 ||
	    (r = tar_writer_add_dir(w, "blobs/sha256", err)) < 0)
		goto out;
	for (size_t i = 0; i < n && r == 0; i++)
		r = save_item(&ctx, &items[i], err);
	if (r == 0)
		r = finish(&ctx, err);
	if (r == 0)
		r = tar_writer_close(TAKE_PTR(w), err);
out:
	json_object_put(ctx.manifest_json);
	json_object_put(ctx.index);
	json_object_put(ctx.repos);
	strv_free(ctx.written);
	return r;
}
