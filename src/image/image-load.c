/* image_load: unpack a docker-save or OCI-layout tarball into the stores.
 *
 * The outer tar is extracted (regular files and directories only) into the
 * caller's scratch directory; its metadata becomes a load plan; then each
 * image's config is verified and stored, each layer tar is ingested as a blob
 * (digest checked where the archive names one) and unpacked on its parent
 * with its diff id checked against the config. A failure removes the layers
 * this load created; blobs stay, as they are content-addressed and harmless. */
#define LOG_CATEGORY "image"
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "image-internal.h"

#define COPY_BUF       (256 * 1024)
#define PROGRESS_EVERY (1u << 20)

struct load_ctx {
	struct blob_store *bs;
	struct layer_store *ls;
	int rootfd;
	image_progress_cb progress;
	void *progress_data;
	char **created; /* chains this load unpacked, removed on failure */
};

/* Copy a layer file of the archive into the blob store, reporting progress. */
static int ingest_layer(struct load_ctx *ctx, const struct load_layer *l, const char *id,
			char ret[static DIGEST_LEN + 1], struct berth_error **err)
{
	_cleanup_close_ int fd = openat_in_root(ctx->rootfd, l->path, O_RDONLY, 0);
	_cleanup_(blob_ingest_freep) struct blob_ingest *in = NULL;
	_cleanup_free_ char *buf = xmalloc(COPY_BUF);
	uint64_t done = 0, reported = 0;
	struct stat st;
	int r;

	if (fd < 0)
		return berth_error_set(err, -fd, BERTH_ERR_INVALID, "layer '%s'", l->path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "layer '%s' is not a regular file", l->path);
	if ((r = blob_ingest_begin(ctx->bs, l->digest[0] ? l->digest : NULL, LAYER_BLOB_MAX, &in,
				   err)) < 0)
		return r;
	for (;;) {
		ssize_t n = read(fd, buf, COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "read '%s'",
					       l->path);
		if (n == 0)
			break;
		if ((r = blob_ingest_write(in, buf, (size_t)n, err)) < 0)
			return r;
		done += (uint64_t)n;
		if (ctx->progress && done - reported >= PROGRESS_EVERY) {
			ctx->progress(id, "Loading layer", done, (uint64_t)st.st_size,
				      ctx->progress_data);
			reported = done;
		}
	}
	if ((r = blob_ingest_commit(in, ret, err)) < 0) {
		(void)berth_error_wrap(err, "layer '%s'", l->path);
		return r;
	}
	return 0;
}

static int apply_layer(struct load_ctx *ctx, const char *blob, const char *parent,
		       const char *diff_id, size_t index, char chain[static CHAIN_ID_LEN + 1],
		       uint64_t *size, struct berth_error **err)
{
	_cleanup_free_ char *path = blob_path(ctx->bs, blob);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char expect_chain[CHAIN_ID_LEN + 1], got[DIGEST_LEN + 1];
	int r;

	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open blob %s", blob);
	layer_chain_id(parent, diff_id, expect_chain);
	bool existed = layer_store_has(ctx->ls, expect_chain);
	if ((r = layer_store_apply_internal(ctx->ls, parent, fd, diff_id, (long)index, chain, got,
					    size, err)) < 0)
		return r;
	if (!existed)
		strv_push(&ctx->created, chain);
	return 0;
}

static int add_layers(struct load_ctx *ctx, const struct load_image *li,
		      const struct image_config *c, struct image_archive_item *item,
		      struct image_descriptor *descs, struct berth_error **err)
{
	const char *parent = NULL;
	int r;

	for (size_t i = 0; i < li->n_layers; i++) {
		char blob[DIGEST_LEN + 1], chain[CHAIN_ID_LEN + 1], id[13];
		uint64_t size = 0, blob_bytes = 0;
		enum layer_compression comp = LAYER_COMPRESSION_NONE;

		layer_chain_id(parent, c->diff_ids[i], chain);
		(void)snprintf(id, sizeof(id), "%.12s", chain + strlen("sha256:"));
		if ((r = ingest_layer(ctx, &li->layers[i], id, blob, err)) < 0 ||
		    (r = apply_layer(ctx, blob, parent, c->diff_ids[i], i, chain, &size, err)) < 0)
			return r;
		(void)blob_size(ctx->bs, blob, &blob_bytes);
		_cleanup_free_ char *bp = blob_path(ctx->bs, blob);
		_cleanup_close_ int bfd = open(bp, O_RDONLY | O_CLOEXEC);
		if (bfd >= 0)
			(void)layer_compression_of_fd(bfd, &comp);
		descs[i].media_type = xstrdup(layer_compression_media_type(comp));
		memcpy(descs[i].digest, blob, DIGEST_LEN + 1);
		descs[i].size = blob_bytes;
		if (ctx->progress)
			ctx->progress(id, "Loading layer", blob_bytes, blob_bytes,
				      ctx->progress_data);
		strv_push(&item->chain_ids, chain);
		strv_push(&item->layer_blobs, blob);
		item->n_layers++;
		item->size += size;
		parent = item->chain_ids[i];
	}
	return 0;
}

/* Whether a manifest names exactly this config and these layer blobs. */
static bool manifest_matches(const char *text, size_t len, const struct image_descriptor *config,
			     const struct image_descriptor *descs, size_t n)
{
	_cleanup_json_ json_object *m = NULL;
	struct image_descriptor d = { 0 };
	json_object *layers = NULL;
	bool same;

	if (json_parse_text(text, len, IMAGE_JSON_DEPTH, "manifest", &m, NULL) < 0 ||
	    !json_object_is_type(m, json_type_object) ||
	    json_get_array(m, "", "layers", true, &layers, NULL) < 0 ||
	    json_object_array_length(layers) != n ||
	    image_descriptor_parse(json_object_object_get(m, "config"), "", &d, NULL) < 0)
		return false;
	same = strcmp(d.digest, config->digest) == 0;
	for (size_t i = 0; same && i < n; i++) {
		same = image_descriptor_parse(json_object_array_get_idx(layers, i), "", &d, NULL) ==
			       0 &&
		       strcmp(d.digest, descs[i].digest) == 0;
	}
	image_descriptor_clear(&d);
	return same;
}

/* The archive's manifest if it describes exactly what we stored, else ours. */
static int store_manifest(struct load_ctx *ctx, const struct load_image *li,
			  const struct image_descriptor *config,
			  const struct image_descriptor *descs, struct image_archive_item *item,
			  struct berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	if (li->manifest_path && load_read_file(ctx->rootfd, li->manifest_path, IMAGE_MANIFEST_MAX,
						&text, &len, NULL) == 0) {
		char got[DIGEST_LEN + 1];
		digest_of(text, len, got);
		if (strcmp(got, li->manifest_digest) == 0 &&
		    manifest_matches(text, len, config, descs, li->n_layers))
			return blob_write(ctx->bs, text, len, item->manifest_digest, err);
	}
	_cleanup_free_ char *ours = image_manifest_build(config, descs, li->n_layers);
	return blob_write(ctx->bs, ours, strlen(ours), item->manifest_digest, err);
}

static int load_one(struct load_ctx *ctx, const struct load_image *li,
		    struct image_archive_item *item, struct berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_(image_config_freep) struct image_config *c = NULL;
	struct image_descriptor config = { .media_type = (char *)MEDIA_OCI_CONFIG };
	struct image_descriptor *descs = NULL;
	size_t len = 0;
	char got[DIGEST_LEN + 1];
	int r;

	if ((r = load_read_file(ctx->rootfd, li->config_path, IMAGE_CONFIG_MAX, &text, &len, err)) <
	    0)
		return r;
	digest_of(text, len, got);
	if (li->config_digest[0] && strcmp(got, li->config_digest) != 0)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "invalid config '%s': expected digest %s, got %s",
				       li->config_path, li->config_digest, got);
	if ((r = image_config_parse(text, len, &c, err)) < 0)
		return r;
	if (c->n_diff_ids != li->n_layers)
		return berth_error_set(
			err, 0, BERTH_ERR_INVALID,
			"invalid manifest, layers length mismatch: expected %zu, got %zu",
			c->n_diff_ids, li->n_layers);
	if ((r = blob_write(ctx->bs, text, len, item->config_digest, err)) < 0)
		return r;
	memcpy(config.digest, got, sizeof(got));
	config.size = len;
	descs = xcalloc(li->n_layers + 1, sizeof(*descs));
	item->chain_ids = xcalloc(1, sizeof(char *));
	item->layer_blobs = xcalloc(1, sizeof(char *));
	r = add_layers(ctx, li, c, item, descs, err);
	if (r == 0)
		r = store_manifest(ctx, li, &config, descs, item, err);
	for (size_t i = 0; i < li->n_layers; i++)
		image_descriptor_clear(&descs[i]);
	free(descs);
	if (r < 0)
		return r;
	item->repo_tags = strv_copy(li->repo_tags);
	return 0;
}

static bool has_file(int rootfd, const char *name)
{
	struct stat st;
	return fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

/* docker 25+ archives are OCI layouts too: take the manifest digests from
 * index.json for images of manifest.json with the same config. */
static void match_oci_manifests(int rootfd, struct load_plan *plan)
{
	struct load_plan oci = { 0 };

	if (!has_file(rootfd, "index.json") || load_plan_oci(rootfd, &oci, NULL) < 0)
		goto out;
	for (size_t i = 0; i < plan->n_images; i++) {
		struct load_image *li = &plan->images[i];
		for (size_t k = 0; k < oci.n_images && !li->manifest_path; k++) {
			if (strcmp(oci.images[k].config_digest, li->config_digest) != 0)
				continue;
			li->manifest_path = xstrdup(oci.images[k].manifest_path);
			memcpy(li->manifest_digest, oci.images[k].manifest_digest, DIGEST_LEN + 1);
		}
	}
out:
	load_plan_clear(&oci);
}

static int make_plan(int rootfd, struct load_plan *plan, struct berth_error **err)
{
	int r;

	if (has_file(rootfd, "manifest.json")) {
		if ((r = load_plan_docker(rootfd, plan, err)) < 0)
			return r;
		match_oci_manifests(rootfd, plan);
		return 0;
	}
	if (has_file(rootfd, "index.json"))
		return load_plan_oci(rootfd, plan, err);
	return berth_error_set(err, 0, BERTH_ERR_INVALID,
			       "invalid image archive: neither manifest.json nor index.json found");
}

int image_load(struct blob_store *bs, struct layer_store *ls, int tar_fd, const char *tmp_dir,
	       image_progress_cb progress, void *progress_data, struct image_archive_result **ret,
	       struct berth_error **err)
{
	_cleanup_(image_archive_result_freep) struct image_archive_result *res = NULL;
	_cleanup_close_ int rootfd = -EBADF;
	struct load_ctx ctx = {
		.bs = bs, .ls = ls, .progress = progress, .progress_data = progress_data
	};
	struct load_plan plan = { 0 };
	int r;

	if ((r = archive_extract_plain(tar_fd, tmp_dir, NULL, err)) < 0) {
		(void)berth_error_wrap(err, "load");
		return r;
	}
	rootfd = open(tmp_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open '%s'", tmp_dir);
	ctx.rootfd = rootfd;
	if ((r = make_plan(rootfd, &plan, err)) < 0)
		goto out;
	res = xzalloc(sizeof(*res));
	res->items = xcalloc(plan.n_images + 1, sizeof(*res->items));
	for (size_t i = 0; i < plan.n_images; i++) {
		res->n_items++;
		if ((r = load_one(&ctx, &plan.images[i], &res->items[i], err)) < 0)
			goto out;
	}
	*ret = TAKE_PTR(res);
out:
	if (r < 0)
		for (size_t i = 0; ctx.created && ctx.created[i]; i++)
			(void)layer_store_remove(ls, ctx.created[i], NULL);
	strv_free(ctx.created);
	load_plan_clear(&plan);
	return r;
}
