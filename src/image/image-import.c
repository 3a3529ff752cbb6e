/* image_import: a root file system tarball (docker import) becomes a
 * one-layer image. The tarball is decompressed (gzip, zstd, xz, bzip2...)
 * while it is stored as the layer blob, so that the blob is the layer's tar
 * named by its diff id (as docker keeps imported layers, and as save writes
 * them), then unpacked as the bottom layer. The caller's config gets the diff
 * id and, as docker writes it, a history entry "Imported from -" when it has
 * none. */
#define LOG_CATEGORY "image"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "image-internal.h"

#define COPY_BUF (256 * 1024)

static int ingest_uncompressed(struct blob_store *bs, int fd, char ret[static DIGEST_LEN + 1],
			       struct berth_error **err)
{
	_cleanup_(blob_ingest_freep) struct blob_ingest *in = NULL;
	_cleanup_(layer_stream_freep) struct layer_stream *s = NULL;
	_cleanup_free_ char *buf = xmalloc(COPY_BUF);
	int r;

	if ((r = layer_stream_open(fd, &s, err)) < 0 ||
	    (r = blob_ingest_begin(bs, NULL, LAYER_BLOB_MAX, &in, err)) < 0)
		return r;
	for (;;) {
		ssize_t n = layer_stream_read(s, buf, COPY_BUF, err);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		if ((r = blob_ingest_write(in, buf, (size_t)n, err)) < 0)
			return r;
	}
	return blob_ingest_commit(in, ret, err);
}

static void fill_config(struct image_config *c, const char *diff_id)
{
	char now[40];

	time_format_rfc3339(now);
	strv_free(c->diff_ids);
	c->diff_ids = xcalloc(2, sizeof(char *));
	c->diff_ids[0] = xstrdup(diff_id);
	c->n_diff_ids = 1;
	if (!c->created)
		c->created = xstrdup(now);
	if (!c->architecture)
		c->architecture = xstrdup("amd64");
	if (!c->os)
		c->os = xstrdup("linux");
	if (c->n_history == 0) {
		free(c->history);
		c->history = xzalloc(sizeof(*c->history));
		c->history[0].created = xstrdup(c->created);
		c->history[0].comment = xstrdup("Imported from -");
		c->n_history = 1;
	}
}

int image_import(struct blob_store *bs, struct layer_store *ls, int tar_fd, const char *tmp_dir,
		 struct image_config *config, struct image_archive_item *ret,
		 struct berth_error **err)
{
	struct image_archive_item item = { 0 };
	struct image_descriptor cdesc = { .media_type = (char *)MEDIA_OCI_CONFIG };
	struct image_descriptor ldesc = { 0 };
	char blob[DIGEST_LEN + 1], chain[CHAIN_ID_LEN + 1], diff_id[DIGEST_LEN + 1];
	uint64_t size = 0;
	int r;

	(void)tmp_dir;
	if (!config)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "import: no image config");
	if ((r = ingest_uncompressed(bs, tar_fd, blob, err)) < 0) {
		(void)berth_error_wrap(err, "import");
		return r;
	}
	_cleanup_free_ char *path = blob_path(bs, blob);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "open blob %s", blob);
	if ((r = layer_store_apply(ls, NULL, fd, blob, chain, diff_id, &size, err)) < 0)
		return r;
	fill_config(config, diff_id);
	_cleanup_free_ char *json = image_config_to_json(config);
	if ((r = blob_write(bs, json, strlen(json), item.config_digest, err)) < 0)
		return r;
	memcpy(cdesc.digest, item.config_digest, DIGEST_LEN + 1);
	cdesc.size = strlen(json);
	ldesc.media_type = (char *)MEDIA_OCI_LAYER;
	memcpy(ldesc.digest, blob, DIGEST_LEN + 1);
	(void)blob_size(bs, blob, &ldesc.size);
	_cleanup_free_ char *manifest = image_manifest_build(&cdesc, &ldesc, 1);
	if ((r = blob_write(bs, manifest, strlen(manifest), item.manifest_digest, err)) < 0)
		return r;
	item.repo_tags = xcalloc(1, sizeof(char *));
	item.chain_ids = xcalloc(2, sizeof(char *));
	item.chain_ids[0] = xstrdup(chain);
	item.layer_blobs = xcalloc(2, sizeof(char *));
	item.layer_blobs[0] = xstrdup(blob);
	item.n_layers = 1;
	item.size = size;
	*ret = item;
	return 0;
}
