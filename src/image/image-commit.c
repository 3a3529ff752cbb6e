/* image_commit: a layer tar (a container's changes, written by the caller)
 * becomes a new image on top of a parent's layers. The tar is stored as the
 * layer blob (named by its diff id, as import and save keep layers), unpacked
 * as the child of the parent's top chain, and its diff id appended to the
 * caller's config, which is then stored. No manifest is stored: push and save
 * build theirs from the config and the layer blobs. */
#define LOG_CATEGORY "image"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "image-internal.h"

#define COPY_BUF (256 * 1024)

static int ingest_plain(struct blob_store *bs, int fd, char ret[static DIGEST_LEN + 1],
			struct berth_error **err)
{
	_cleanup_(blob_ingest_freep) struct blob_ingest *in = NULL;
	_cleanup_free_ char *buf = xmalloc(COPY_BUF);
	int r;

	if ((r = blob_ingest_begin(bs, NULL, LAYER_BLOB_MAX, &in, err)) < 0)
		return r;
	for (;;) {
		ssize_t n = read(fd, buf, COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "read layer tar");
		if (n == 0)
			break;
		if ((r = blob_ingest_write(in, buf, (size_t)n, err)) < 0)
			return r;
	}
	return blob_ingest_commit(in, ret, err);
}

int image_commit(struct blob_store *bs, struct layer_store *ls, char *const *parent_chains,
		 char *const *parent_blobs, size_t n_parent, int tar_fd,
		 struct image_config *config, struct image_archive_item *ret,
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
	if ((r = ingest_plain(bs, tar_fd, blob, err)) < 0)
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
