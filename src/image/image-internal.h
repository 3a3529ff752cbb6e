/* berth image: helpers shared by the module's files (not part of image.h). */
#ifndef BERTH_IMAGE_INTERNAL_H
#define BERTH_IMAGE_INTERNAL_H

#include <json-c/json.h>

#include "image.h"
#include "json-util.h"

/* Limits on untrusted input. */
#define IMAGE_CONFIG_MAX   (8u << 20) /* bytes of an image config */
#define IMAGE_MANIFEST_MAX (4u << 20) /* manifest, index, manifest.json */
#define IMAGE_JSON_DEPTH   64
#define IMAGE_MAX_LAYERS   500 /* overlayfs stacks at most 500 lower layers */
#define IMAGE_MAX_HISTORY  4096
#define IMAGE_MAX_STRV	   65536 /* entries of Env, Cmd, Labels, ports... */
#define IMAGE_MAX_IMAGES   1024	 /* images in one archive */
#define IMAGE_MAX_TAGS	   4096	 /* names in one archive */
#define IMAGE_INDEX_DEPTH  4	 /* nested indexes */
#define LAYER_BLOB_MAX	   (64ull << 30)

#define MEDIA_OCI_INDEX	      "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_CONFIG      "application/vnd.oci.image.config.v1+json"
#define MEDIA_OCI_LAYER	      "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_OCI_LAYER_GZIP  "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_OCI_LAYER_ZSTD  "application/vnd.oci.image.layer.v1.tar+zstd"
#define MEDIA_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define ANNOTATION_IMAGE_NAME "io.containerd.image.name"
#define ANNOTATION_REF_NAME   "org.opencontainers.image.ref.name"

/* ---- layer streams: a layer blob, decompressed (layer-stream.c) ---- */

enum layer_compression {
	LAYER_COMPRESSION_NONE,
	LAYER_COMPRESSION_GZIP,
	LAYER_COMPRESSION_ZSTD,
	LAYER_COMPRESSION_MAX,
};

/* Sniff the compression from the first bytes of fd (pread at offset 0). */
int layer_compression_of_fd(int fd, enum layer_compression *ret);
const char *layer_compression_media_type(enum layer_compression c);

struct layer_stream;
/* Read fd (a tar, gzip or zstd stream) as the uncompressed tar. */
int layer_stream_open(int fd, struct layer_stream **ret, struct berth_error **err);
/* Next bytes of the uncompressed stream: a count, 0 at the end, or -errno. */
ssize_t layer_stream_read(struct layer_stream *s, void *buf, size_t len, struct berth_error **err);
struct layer_stream *layer_stream_free(struct layer_stream *s);
DEFINE_CLEANUP(struct layer_stream, layer_stream_free)
/* Digest and length of the uncompressed stream of fd, read to its end. */
int layer_stream_digest(int fd, char ret_digest[static DIGEST_LEN + 1], uint64_t *ret_size,
			struct berth_error **err);

/* ---- layer store internals (layer-store.c) ---- */

bool chain_id_is_valid(const char *chain_id);
/* layer_store_apply; a diff id mismatch names layer_no (>= 0) as docker does. */
int layer_store_apply_internal(struct layer_store *ls, const char *parent_chain, int tar_fd,
			       const char *expected_diff_id, long layer_no,
			       char ret_chain[static CHAIN_ID_LEN + 1],
			       char ret_diff_id[static DIGEST_LEN + 1], uint64_t *ret_size,
			       struct berth_error **err);

/* layer_mount_overlay; legacy forces mount(2) (tests of older kernels' path). */
int layer_mount_overlay_with(struct layer_store *ls, char *const *chain_ids, size_t n,
			     const char *container_dir, const char *target, bool legacy,
			     struct berth_error **err);

/* ---- manifests (image-manifest.c) ---- */

struct image_descriptor {
	char *media_type;
	char digest[DIGEST_LEN + 1];
	uint64_t size;
};

/* An OCI image manifest for a config and its layer blobs. */
char *image_manifest_build(const struct image_descriptor *config,
			   const struct image_descriptor *layers, size_t n_layers);
/* Parse a descriptor at path ("manifests[0]"); media type may be absent. */
int image_descriptor_parse(json_object *obj, const char *path, struct image_descriptor *ret,
			   struct berth_error **err);
void image_descriptor_clear(struct image_descriptor *d);
json_object *image_descriptor_json(const struct image_descriptor *d);
/* Whether a media type names a layer tar (any compression). */
bool image_media_is_layer(const char *media_type);

/* ---- archive items (image-archive.c) ---- */

void image_archive_item_clear(struct image_archive_item *item);
/* "busybox:latest" from any reference spelling; NULL if invalid or untagged. */
char *image_tag_familiar(const char *ref);

/* ---- loading (image-load*.c) ---- */

/* One image as an archive describes it: paths relative to the archive root. */
struct load_layer {
	char *path;
	char digest[DIGEST_LEN + 1]; /* "" when the archive names none */
};

struct load_image {
	char *config_path;
	char config_digest[DIGEST_LEN + 1]; /* "" when the archive names none */
	char *manifest_path;		    /* NULL: none in the archive */
	char manifest_digest[DIGEST_LEN + 1];
	struct load_layer *layers;
	size_t n_layers;
	char **repo_tags;
};

struct load_plan {
	struct load_image *images;
	size_t n_images;
};

void load_plan_clear(struct load_plan *p);
struct load_image *load_plan_add(struct load_plan *p);
/* "blobs/sha256/<hex>" -> "sha256:<hex>"; "" when the path names no digest. */
void load_digest_from_path(const char *path, char ret[static DIGEST_LEN + 1]);
/* Read a small file of the extracted archive (resolved inside root). */
int load_read_file(int rootfd, const char *path, size_t max, char **ret, size_t *ret_len,
		   struct berth_error **err);

/* docker save: manifest.json (and index.json for manifest digests). */
int load_plan_docker(int rootfd, struct load_plan *plan, struct berth_error **err);
/* OCI image layout: oci-layout + index.json. */
int load_plan_oci(int rootfd, struct load_plan *plan, struct berth_error **err);

#endif
