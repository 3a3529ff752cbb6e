/* image_commit: a layer tar (a container's changes, written by the caller
 * through a tar writer) becomes a new image on top of a parent's layers. The
 * tar is streamed into the content store as the layer blob (named by its
 * diff id, as import and save keep layers), unpacked as the child of the
 * parent's top chain, and its diff id appended to the caller's config, which
 * is then stored. No manifest is stored: push and save build theirs from the
 * config and the layer blobs. */
#define LOG_CATEGORY "image"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "image-internal.h"

static int ingest_sink(void *data, const void *buf, size_t len)
{
	_cleanup_error_ struct berth_error *err = NULL;
	int r = blob_ingest_write(data, buf, len, &err);

	if (r < 0 && err)
		log_warn("Storing the layer: %s", err->msg);
	return r < 0 ? (r == -1 ? -EIO : r) : 0;
}

/* The tar goes into the blob store as it is written; the blob exists only
 * once the tar is complete. */
static int ingest_tar(struct blob_store *bs, image_commit_tar_fn write_tar, void *data,
		      char ret[static DIGEST_LEN + 1], struct berth_error **err)
{
	_cleanup_(blob_ingest_freep) struct blob_ingest *in = NULL;
	_cleanup_(tar_writer_freep) struct tar_writer *w = NULL;
	int r;

	if ((r = blob_ingest_begin(bs, NULL, LAYER_BLOB_MAX, &in, err)) < 0 ||
	    (r = tar_writer_new_sink(ingest_sink, in, &w, err)) < 0 ||
	    (r = write_tar(w, data, err)) < 0 || (r = tar_writer_close(TAKE_PTR(w), err)) < 0)
		return r;
	return blob_ingest_commit(in, ret, err);
}

int image_commit(struct blob_store *bs, struct layer_store *ls, char *const *parent_chains,
		 char *const *parent_blobs, size_t n_parent, image_commit_tar_fn write_tar,
		 void *data, struct image_config *config, struct image_archive_item *ret,
		 struct berth_error **err)
{
	struct image_archive_item item = { 0 };
	char blob[DIGEST_LEN + 1], chain[CHAIN_ID_LEN + 1], diff_id[DIGEST_LEN + 1];
	uint64_t size = 0;
	int r;

	if (config->n_diff_ids != n_parent)
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "commit: %zu parent layers, but %zu diff ids", n_parent,
				       config->n_diff_ids);
	if ((r = ingest_tar(bs, write_tar, data, blob, err)) < 0)
		return r;
	_cleanup_free_ char *path = blob_path(bs, blob);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open blob %s", blob);
	if ((r = layer_store_apply(ls, n_parent ? parent_chains[n_parent - 1] : NULL, fd, NULL,
				   chain, diff_id, &size, err)) < 0)
		return r;
	config->diff_ids = xrealloc(config->diff_ids, (n_parent + 2) * sizeof(char *));
	config->diff_ids[n_parent] = xstrdup(diff_id);
	config->diff_ids[n_parent + 1] = NULL;
	config->n_diff_ids = n_parent + 1;
	_cleanup_free_ char *json = image_config_to_json(config);
	if ((r = blob_write(bs, json, strlen(json), item.config_digest, err)) < 0)
		return r;
	for (size_t i = 0; i < n_parent; i++) {
		strv_push(&item.chain_ids, parent_chains[i]);
		strv_push(&item.layer_blobs, parent_blobs[i]);
	}
	strv_push(&item.chain_ids, chain);
	strv_push(&item.layer_blobs, blob);
	item.repo_tags = xcalloc(1, sizeof(char *));
	item.n_layers = n_parent + 1;
	item.size = size;
	*ret = item;
	return 0;
}
