/* berth image: image archives (part of image.h): docker save / OCI layout
 * load and save, and root file system imports. */
#ifndef BERTH_IMAGE_ARCHIVE_H
#define BERTH_IMAGE_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "store.h"

struct layer_store;
struct image_config;

/* One image found in an archive. */
struct image_archive_item {
	char config_digest[DIGEST_LEN + 1];   /* the image id */
	char manifest_digest[DIGEST_LEN + 1]; /* stored manifest ("" if none) */
	char **repo_tags;		      /* as written in the archive ("busybox:latest") */
	char **chain_ids;		      /* bottom first */
	char **layer_blobs;		      /* blob digests of the layer tars, bottom first */
	size_t n_layers;
	uint64_t size; /* unpacked bytes */
};

struct image_archive_result {
	struct image_archive_item *items;
	size_t n_items;
};
struct image_archive_result *image_archive_result_free(struct image_archive_result *r);
DEFINE_CLEANUP(struct image_archive_result, image_archive_result_free)

/* Progress lines for the API's JSON message stream ("Loading layer"). */
typedef void (*image_progress_cb)(const char *id, const char *status, uint64_t current,
				  uint64_t total, void *data);

/* Load a docker-save or OCI-layout tarball read from tar_fd (tmp_dir: an
 * empty scratch directory on the same file system as the data root, removed
 * by the caller). Config, manifests and layer tars go to the blob store,
 * layers are unpacked; every digest is checked. Nothing is recorded: the
 * caller records the result in one transaction. */
int image_load(struct blob_store *bs, struct layer_store *ls, int tar_fd, const char *tmp_dir,
	       image_progress_cb progress, void *progress_data, struct image_archive_result **ret,
	       struct berth_error **err);

/* What to save: an image id, its config and layer blobs, and its tags. */
struct image_save_item {
	const char *config_digest;
	char *const *layer_blobs; /* bottom first: uncompressed or compressed layer tars */
	size_t n_layers;
	char *const *repo_tags; /* familiar names, may be empty */
};
/* Write a docker-save archive that is also an OCI image layout (manifest.json,
 * repositories, index.json, oci-layout, blobs/sha256/...), as docker 25+ does. */
int image_save(struct blob_store *bs, const struct image_save_item *items, size_t n, int out_fd,
	       struct berth_error **err);
/* The checks image_save makes before it writes anything (blobs present,
 * configs readable, layers matching their diff ids). */
int image_save_check(struct blob_store *bs, const struct image_save_item *items, size_t n,
		     struct berth_error **err);

/* Import a root file system tarball (any compression) as a one-layer image
 * with config (its rootfs and history are filled in here). */
int image_import(struct blob_store *bs, struct layer_store *ls, int tar_fd, const char *tmp_dir,
		 struct image_config *config, struct image_archive_item *ret,
		 struct berth_error **err);

/* Commit: a layer tar, written by write_tar into the writer it gets, on top
 * of the parent's layers (bottom first); config (the parent's diff ids) gets
 * the new diff id and is stored. The item has no manifest; its size is the
 * new layer's. */
struct tar_writer;
typedef int (*image_commit_tar_fn)(struct tar_writer *w, void *data, struct berth_error **err);
int image_commit(struct blob_store *bs, struct layer_store *ls, char *const *parent_chains,
		 char *const *parent_blobs, size_t n_parent, image_commit_tar_fn write_tar,
		 void *data, struct image_config *config, struct image_archive_item *ret,
		 struct berth_error **err);

#endif
